//! Named requests to load a target with, and raw `--rpc` + `--data` JSON.

use super::BenchError;
use super::load::{CallFuture, Workload};
use railgate::domain::time::{Clock, SystemClock};
use railgate::proto::{self as pb, booking_service_client::BookingServiceClient};
use serde::Deserialize;
use std::sync::Arc;
use tonic::transport::Channel;

/// The route every Search scenario asks for: a busy one (dozens of trains).
pub const FROM: &str = "北京南";
pub const TO: &str = "上海虹桥";
/// Days from today (Asia/Shanghai) of the searched date: inside the
/// simulator's 15-day presale window.
pub const DAYS_AHEAD: i64 = 3;

/// A named scenario.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Scenario {
    /// Search one route and date again and again: answered from the cache
    /// after the first call.
    SearchCached,
    /// The same Search; a miss only when the target runs with
    /// `search.cache_ttl_ms = 0` (`bench compare` and `bench suite` do).
    SearchUncached,
    /// GetOrder of one order booked at start.
    GetOrder,
    /// Book → Confirm → ISSUED, one order per call (needs a Panhe that
    /// answers at once, as `bench suite` starts it).
    BookConfirm,
}

/// The Search request of the Search scenarios.
pub fn search_request() -> pb::SearchRequest {
    let date = SystemClock.today() + chrono::Duration::days(DAYS_AHEAD);
    pb::SearchRequest {
        from_station: FROM.to_owned(),
        to_station: TO.to_owned(),
        travel_date: date.format("%Y-%m-%d").to_string(),
        ..Default::default()
    }
}

/// The gRPC code's name, as a failure's name in reports.
pub fn code_name(status: &tonic::Status) -> String {
    format!("{:?}", status.code())
}

/// Calls Search with `request` each time.
pub fn search(request: pb::SearchRequest) -> Arc<dyn Workload> {
    let request = Arc::new(request);
    Arc::new(move |channel: &Channel, _sequence: u64| -> CallFuture {
        let mut client = BookingServiceClient::new(channel.clone());
        let request = (*request).clone();
        Box::pin(async move {
            client
                .search(request)
                .await
                .map(drop)
                .map_err(|status| code_name(&status))
        })
    })
}

/// Calls GetOrder of `order_id` each time.
pub fn get_order(order_id: String) -> Arc<dyn Workload> {
    Arc::new(move |channel: &Channel, _sequence: u64| -> CallFuture {
        let mut client = BookingServiceClient::new(channel.clone());
        let order_id = order_id.clone();
        Box::pin(async move {
            client
                .get_order(pb::GetOrderRequest { order_id })
                .await
                .map(drop)
                .map_err(|status| code_name(&status))
        })
    })
}

/// `--rpc` values accepted with `--data`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Rpc {
    /// railgate.v1.BookingService/Search
    Search,
    /// railgate.v1.BookingService/GetOrder
    GetOrder,
}

/// Search's JSON form, as grpcurl and ghz take it (proto field names or
/// their lowerCamelCase, enum values by name).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SearchJson {
    #[serde(alias = "fromStation")]
    from_station: String,
    #[serde(alias = "toStation")]
    to_station: String,
    #[serde(alias = "travelDate")]
    travel_date: String,
    #[serde(default, alias = "trainTypes")]
    train_types: Vec<String>,
    #[serde(default)]
    providers: Vec<String>,
    #[serde(default, alias = "exactStations")]
    exact_stations: bool,
    #[serde(default, alias = "partySize")]
    party_size: i32,
    #[serde(default, alias = "throughStops")]
    through_stops: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct GetOrderJson {
    #[serde(alias = "orderId")]
    order_id: String,
}

/// The workload of `--rpc` with `--data` JSON.
pub fn raw(rpc: Rpc, data: &str) -> Result<Arc<dyn Workload>, BenchError> {
    match rpc {
        Rpc::Search => Ok(search(parse_search(data)?)),
        Rpc::GetOrder => {
            let json: GetOrderJson =
                serde_json::from_str(data).map_err(|error| BenchError::Data(error.to_string()))?;
            Ok(get_order(json.order_id))
        }
    }
}

/// A SearchRequest from its JSON form.
pub fn parse_search(data: &str) -> Result<pb::SearchRequest, BenchError> {
    let json: SearchJson =
        serde_json::from_str(data).map_err(|error| BenchError::Data(error.to_string()))?;
    let enum_value = |field: &str, name: &str, value: Option<i32>| {
        value.ok_or_else(|| BenchError::Data(format!("{field}: unknown value {name:?}")))
    };
    let train_types = json
        .train_types
        .iter()
        .map(|name| {
            enum_value(
                "train_types",
                name,
                pb::TrainType::from_str_name(name).map(|value| value as i32),
            )
        })
        .collect::<Result<_, _>>()?;
    let providers = json
        .providers
        .iter()
        .map(|name| {
            enum_value(
                "providers",
                name,
                pb::Provider::from_str_name(name).map(|value| value as i32),
            )
        })
        .collect::<Result<_, _>>()?;
    Ok(pb::SearchRequest {
        from_station: json.from_station,
        to_station: json.to_station,
        travel_date: json.travel_date,
        train_types,
        providers,
        exact_stations: json.exact_stations,
        party_size: json.party_size,
        through_stops: json.through_stops,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_json_takes_proto_and_camel_case_names_and_enum_names() {
        let request = parse_search(
            r#"{"fromStation": "北京南", "to_station": "上海虹桥", "travel_date": "2030-01-02",
                "train_types": ["TRAIN_TYPE_HIGH_SPEED"], "providers": ["PROVIDER_PANHE"]}"#,
        )
        .unwrap();
        assert_eq!(request.from_station, "北京南");
        assert_eq!(request.to_station, "上海虹桥");
        assert_eq!(request.travel_date, "2030-01-02");
        assert_eq!(request.train_types, vec![pb::TrainType::HighSpeed as i32]);
        assert_eq!(request.providers, vec![pb::Provider::Panhe as i32]);
    }

    #[test]
    fn bad_search_json_is_an_error_naming_the_problem() {
        let unknown = parse_search(
            r#"{"from_station": "a", "to_station": "b", "travel_date": "c", "providers": ["NOPE"]}"#,
        )
        .unwrap_err();
        assert!(unknown.to_string().contains("NOPE"), "{unknown}");
        assert!(parse_search("{").is_err());
        assert!(parse_search(r#"{"from_station": "a"}"#).is_err());
        assert!(
            parse_search(r#"{"from_station": "a", "to_station": "b", "travel_date": "c", "x": 1}"#)
                .is_err()
        );
    }

    #[test]
    fn get_order_json_needs_an_order_id() {
        assert!(raw(Rpc::GetOrder, r#"{"order_id": "ord_1"}"#).is_ok());
        assert!(raw(Rpc::GetOrder, r#"{}"#).is_err());
    }

    #[test]
    fn the_search_scenario_asks_for_a_date_inside_the_presale_window() {
        let request = search_request();
        let date = chrono::NaiveDate::parse_from_str(&request.travel_date, "%Y-%m-%d").unwrap();
        assert_eq!(
            date - SystemClock.today(),
            chrono::Duration::days(DAYS_AHEAD)
        );
    }
}
