//! Panhe's JSON, spelled exactly as seed 002 spells it. Only the adapter
//! sees these types.
//!
//! Panhe's examples disagree with its own tables in places (`stationId` is
//! "int" in the table and a string in the example; `arrive_days` is a
//! string), so numeric fields accept either form.

use rust_decimal::Decimal;
use serde::de::{self, IntoDeserializer, Visitor};
use serde::{Deserialize, Deserializer, Serialize};
use serde_with::{DisplayFromStr, PickFirst, serde_as};
use std::borrow::Cow;

/// Every Panhe response: `{data, success, msg}`.
#[derive(Debug, Deserialize)]
pub struct Envelope<T> {
    /// The payload; null on failure.
    #[serde(default = "none")]
    pub data: Option<T>,
    /// Whether the call succeeded.
    pub success: bool,
    /// "请求成功" or the reason for failure.
    #[serde(default)]
    pub msg: Option<String>,
}

fn none<T>() -> Option<T> {
    None
}

/// The envelope without its payload, for reading a failure whose `data`
/// does not have the success shape.
#[derive(Debug, Deserialize)]
pub struct BareEnvelope {
    /// Whether the call succeeded.
    pub success: bool,
    /// The reason for failure.
    #[serde(default)]
    pub msg: Option<String>,
}

/// Request body of 余票查询.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct QueryTicketsRequest<'a> {
    /// Departure station name.
    pub from_station: &'a str,
    /// Arrival station name.
    pub to_station: &'a str,
    /// Date, yyyy-MM-dd.
    pub from_date: String,
}

/// `data` of 余票查询. Its strings borrow from the response body (an
/// answer carries hundreds of them, and most are only looked at).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QueryTicketsData<'a> {
    /// Matching trains; null or empty when none.
    #[serde(default, borrow)]
    pub train_lines: Option<Vec<TrainLine<'a>>>,
}

/// One train in 余票查询.
#[serde_as]
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TrainLine<'a> {
    /// 车次, e.g. K257.
    #[serde(borrow)]
    pub train_code: Cow<'a, str>,
    /// 12306 internal number.
    #[serde(borrow)]
    pub train_no: Cow<'a, str>,
    /// Departure station name.
    #[serde(borrow)]
    pub from_station: Cow<'a, str>,
    /// Arrival station name.
    #[serde(borrow)]
    pub to_station: Cow<'a, str>,
    /// HH:mm.
    #[serde(borrow)]
    pub from_time: Cow<'a, str>,
    /// HH:mm.
    #[serde(borrow)]
    pub to_time: Cow<'a, str>,
    /// yyyy-MM-dd HH:mm.
    #[serde(borrow)]
    pub from_date_time: Cow<'a, str>,
    /// yyyy-MM-dd HH:mm.
    #[serde(borrow)]
    pub to_date_time: Cow<'a, str>,
    /// Days to arrival (0 = same day), a string in the seed.
    #[serde(rename = "arrive_days")]
    #[serde_as(as = "PickFirst<(DisplayFromStr, _)>")]
    pub arrive_days: u32,
    /// Duration HH:mm.
    #[serde(borrow)]
    pub run_time: Cow<'a, str>,
    /// 高铁=1 动车=2 直达=3 特快=4 快速=5 其他=6.
    #[serde_as(as = "PickFirst<(_, DisplayFromStr)>")]
    pub trains_type: i32,
    /// Name of trains_type.
    #[serde(default, borrow, deserialize_with = "borrowed_text")]
    pub trains_type_name: Option<Cow<'a, str>>,
    /// 始发站 (optional).
    #[serde(default, borrow, deserialize_with = "borrowed_text")]
    pub begin_station: Option<Cow<'a, str>>,
    /// 始发时间 (null in the seed).
    #[serde(default, borrow, deserialize_with = "borrowed_text")]
    pub begin_time: Option<Cow<'a, str>>,
    /// 终点站.
    #[serde(default, borrow, deserialize_with = "borrowed_text")]
    pub end_station: Option<Cow<'a, str>>,
    /// 终点时间 (null in the seed).
    #[serde(default, borrow, deserialize_with = "borrowed_text")]
    pub end_time: Option<Cow<'a, str>>,
    /// 是否支持选铺.
    #[serde(default)]
    pub is_support_choose_sleeper: Option<bool>,
    /// 是否支持选座 (absent from the seed's example).
    #[serde(default)]
    pub is_support_choose_seat: Option<bool>,
    /// 席别信息; note the capital S.
    #[serde(rename = "Seats", default, borrow)]
    pub seats: Option<Vec<SeatInfo<'a>>>,
}

/// One seat class of a train.
#[serde_as]
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SeatInfo<'a> {
    /// Panhe seat type code.
    #[serde_as(as = "PickFirst<(_, DisplayFromStr)>")]
    pub seat_type: i32,
    /// Name of seat_type.
    #[serde(default, borrow, deserialize_with = "borrowed_text")]
    pub seat_type_name: Option<Cow<'a, str>>,
    /// Price in yuan.
    #[serde(deserialize_with = "yuan")]
    pub ticket_price: Decimal,
    /// Tickets left.
    #[serde_as(as = "PickFirst<(_, DisplayFromStr)>")]
    pub left_ticket_num: i64,
    /// Per-berth prices, sleepers only.
    #[serde(default, borrow)]
    pub other_seats: Option<Vec<SleeperSeatInfo<'a>>>,
}

/// One berth's price.
#[serde_as]
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SleeperSeatInfo<'a> {
    /// 下铺=1 中铺=2 上铺=3.
    #[serde_as(as = "PickFirst<(_, DisplayFromStr)>")]
    pub sleeper_type: i32,
    /// Name of sleeper_type.
    #[serde(default, borrow, deserialize_with = "borrowed_text")]
    pub sleeper_type_name: Option<Cow<'a, str>>,
    /// Price in yuan.
    #[serde(deserialize_with = "yuan")]
    pub ticket_price: Decimal,
}

/// An optional string, borrowed from the body unless it has escapes. serde
/// borrows a bare `Cow<str>` field with `#[serde(borrow)]`, but not one
/// inside an `Option`, which it always copies.
fn borrowed_text<'de: 'a, 'a, D>(deserializer: D) -> Result<Option<Cow<'a, str>>, D::Error>
where
    D: Deserializer<'de>,
{
    #[derive(Deserialize)]
    struct Text<'a>(#[serde(borrow)] Cow<'a, str>);
    Ok(Option::<Text<'a>>::deserialize(deserializer)?.map(|text| text.0))
}

/// A price as rust_decimal reads it, with a shortcut for the JSON number
/// of a price in whole fen (all of them, in practice). rust_decimal reads a
/// float by formatting it (`f64::to_string`, the shortest decimal that
/// reads back as the same float) and parsing that: two per seat, a visible
/// part of reading a search answer.
fn yuan<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Decimal, D::Error> {
    deserializer.deserialize_any(YuanVisitor)
}

struct YuanVisitor;

impl<'de> Visitor<'de> for YuanVisitor {
    type Value = Decimal;

    fn expecting(&self, formatter: &mut std::fmt::Formatter) -> std::fmt::Result {
        formatter.write_str("a price in yuan")
    }

    fn visit_f64<E: de::Error>(self, value: f64) -> Result<Decimal, E> {
        match whole_fen(value) {
            Some(price) => Ok(price),
            None => <Decimal as Deserialize>::deserialize(value.into_deserializer()),
        }
    }

    // Everything else exactly as rust_decimal reads it.
    fn visit_i64<E: de::Error>(self, value: i64) -> Result<Decimal, E> {
        <Decimal as Deserialize>::deserialize(value.into_deserializer())
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<Decimal, E> {
        <Decimal as Deserialize>::deserialize(value.into_deserializer())
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<Decimal, E> {
        <Decimal as Deserialize>::deserialize(value.into_deserializer())
    }
}

/// `value`'s shortest round-trip decimal (what `to_string` writes) when it
/// has at most two decimals, without formatting. If `cents / 100` reads
/// back as `value`, it lies within `value`'s rounding interval, which below
/// 10^12 is far narrower than a fen, so no other decimal of two places or
/// fewer does, and the shortest one is it.
fn whole_fen(value: f64) -> Option<Decimal> {
    if !value.is_finite() || value == 0.0 || value.abs() >= 1e12 {
        return None;
    }
    let cents = (value * 100.0).round();
    // Below 10^14 every whole f64 is exact, and so is this conversion.
    #[allow(clippy::cast_possible_truncation, clippy::float_cmp)]
    let exact = (cents / 100.0 == value).then_some(cents as i64)?;
    Some(Decimal::new(exact, 2).normalize())
}

/// Request body of 经停站查询V2.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StopStationsV2Request<'a> {
    /// 车次.
    pub train_code: &'a str,
    /// 12306 internal number.
    pub train_no: &'a str,
    /// yyyy-MM-dd.
    pub from_date: String,
    /// Departure station name.
    pub from_station: &'a str,
    /// Arrival station name.
    pub to_station: &'a str,
}

/// One stop in 经停站查询 (V1 and V2 share the shape).
#[serde_as]
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StopStation {
    /// 1-based sequence (a string in the seed's example).
    #[serde_as(as = "PickFirst<(_, DisplayFromStr)>")]
    pub station_id: u32,
    /// Station name.
    pub station_name: String,
    /// HH:mm or "----".
    pub arrive_time: String,
    /// HH:mm or "----".
    pub start_time: String,
    /// Minutes: "2", "3分钟" or "----".
    pub interval: String,
}

/// Request body of 火车站列表: only the appKey.
#[derive(Debug, Serialize)]
pub struct StationListRequest {}

/// One station in 火车站列表.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StationEntry {
    /// Chinese name.
    pub station_name: String,
    /// Pinyin initials.
    pub station_short_char: String,
    /// Full pinyin.
    pub station_pin_yin: String,
    /// Telecode.
    pub station_code: String,
}

/// Wraps any request body with the `appKey` every call carries.
#[derive(Debug, Serialize)]
pub struct Authenticated<'a, B> {
    /// The account key.
    #[serde(rename = "appKey")]
    pub app_key: &'a str,
    /// The call's own fields.
    #[serde(flatten)]
    pub body: &'a B,
}

#[cfg(test)]
mod tests {
    use super::*;

    const QUERY_TICKETS: &str = include_str!("testdata/query_tickets.json");
    const STOPS_V1: &str = include_str!("testdata/stop_stations_v1.json");
    const STOPS_V2: &str = include_str!("testdata/stop_stations_v2.json");
    const STATIONS: &str = include_str!("testdata/station_list.json");

    #[test]
    fn parses_the_seed_query_tickets_example() {
        let envelope: Envelope<QueryTicketsData> = serde_json::from_str(QUERY_TICKETS).unwrap();
        assert!(envelope.success);
        assert_eq!(envelope.msg.as_deref(), Some("请求成功"));
        let lines = envelope.data.unwrap().train_lines.unwrap();
        assert_eq!(lines.len(), 2);
        let k289 = &lines[0];
        assert_eq!(k289.train_code, "K289");
        assert_eq!(k289.train_no, "760000K2920K");
        assert_eq!(k289.arrive_days, 0);
        assert_eq!(k289.trains_type, 5);
        assert_eq!(k289.begin_time, None);
        assert_eq!(k289.is_support_choose_seat, None);
        let seats = k289.seats.as_ref().unwrap();
        assert_eq!(seats.len(), 4);
        let soft_sleeper = &seats[3];
        assert_eq!(soft_sleeper.seat_type, 6);
        assert_eq!(soft_sleeper.ticket_price.to_string(), "81.5");
        assert_eq!(soft_sleeper.left_ticket_num, 4);
        let berths = soft_sleeper.other_seats.as_ref().unwrap();
        assert_eq!(berths.len(), 2);
        assert_eq!(berths[1].sleeper_type, 1);
        assert_eq!(berths[1].ticket_price.to_string(), "87.5");
        assert!(seats[0].other_seats.is_none());
    }

    #[test]
    fn parses_both_stop_shapes() {
        for (fixture, count, last_interval) in [(STOPS_V1, 12, "----"), (STOPS_V2, 30, "----")] {
            let envelope: Envelope<Vec<StopStation>> = serde_json::from_str(fixture).unwrap();
            let stops = envelope.data.unwrap();
            assert_eq!(stops.len(), count);
            assert_eq!(stops[0].station_id, 1);
            assert_eq!(stops.last().unwrap().interval, last_interval);
        }
    }

    #[test]
    fn parses_the_station_list() {
        let envelope: Envelope<Vec<StationEntry>> = serde_json::from_str(STATIONS).unwrap();
        let stations = envelope.data.unwrap();
        assert_eq!(stations.len(), 5);
        assert_eq!(stations[3].station_name, "北京南");
        assert_eq!(stations[3].station_code, "VNP");
        assert_eq!(stations[3].station_pin_yin, "beijingnan");
    }

    #[test]
    fn reads_failures_whatever_data_holds() {
        let failure = r#"{ "data": null, "success": false, "msg": "验证码错误" }"#;
        let envelope: Envelope<QueryTicketsData> = serde_json::from_str(failure).unwrap();
        assert!(!envelope.success && envelope.data.is_none());
        let odd = r#"{ "data": false, "success": false, "msg": "人脸认证失败" }"#;
        let bare: BareEnvelope = serde_json::from_str(odd).unwrap();
        assert_eq!(bare.msg.as_deref(), Some("人脸认证失败"));
    }

    #[test]
    fn search_strings_borrow_from_the_body_and_escaped_ones_still_read() {
        let envelope: Envelope<QueryTicketsData> = serde_json::from_str(QUERY_TICKETS).unwrap();
        let lines = envelope.data.unwrap().train_lines.unwrap();
        assert!(matches!(lines[0].from_station, Cow::Borrowed(_)));
        assert!(matches!(lines[0].end_station, Some(Cow::Borrowed(_))));
        let escaped = r#"{"seatType":4,"seatTypeName":"\u4e8c\u7b49\u5ea7","ticketPrice":1,"leftTicketNum":1}"#;
        let seat: SeatInfo = serde_json::from_str(escaped).unwrap();
        assert_eq!(seat.seat_type_name.as_deref(), Some("二等座"));
        let missing = r#"{"seatType":4,"ticketPrice":1,"leftTicketNum":1,"seatTypeName":null}"#;
        let seat: SeatInfo = serde_json::from_str(missing).unwrap();
        assert_eq!(seat.seat_type_name, None);
    }

    #[test]
    fn prices_read_as_rust_decimal_reads_them() {
        let rust_decimal_reads = |json: &str| serde_json::from_str::<Decimal>(json).unwrap();
        let ours = |json: &str| {
            let body = format!(r#"{{"seatType":4,"ticketPrice":{json},"leftTicketNum":1}}"#);
            let seat: SeatInfo = serde_json::from_str(&body).unwrap();
            seat.ticket_price
        };
        let mut samples: Vec<String> = (-2_000_i64..200_000)
            .step_by(7)
            .map(|cents| format!("{}.{:02}", cents / 100, (cents % 100).abs()))
            .collect();
        samples.extend(
            [
                "0",
                "0.0",
                "-0.0",
                "1",
                "13",
                "676.5",
                "0.1",
                "0.30000000000000004",
                "1e3",
                "2.5e-3",
                "123.456",
                "999999999999.99",
                "1e15",
                "\"81.5\"",
                "\"1e2\"",
                "-7",
            ]
            .map(str::to_owned),
        );
        for json in &samples {
            let expected = rust_decimal_reads(json);
            let got = ours(json);
            // Same value and same scale: Display shows both.
            assert_eq!(got.to_string(), expected.to_string(), "{json}");
        }
        assert!(whole_fen(676.5).is_some() && whole_fen(0.1 + 0.2).is_none());
    }

    #[test]
    fn accepts_numbers_as_strings_and_strings_as_numbers() {
        let line =
            r#"{"seatType":"4","ticketPrice":"13.5","leftTicketNum":"12","otherSeats":null}"#;
        let seat: SeatInfo = serde_json::from_str(line).unwrap();
        assert_eq!((seat.seat_type, seat.left_ticket_num), (4, 12));
        assert_eq!(seat.ticket_price.to_string(), "13.5");
    }

    #[test]
    fn authenticates_requests_with_app_key() {
        let body = QueryTicketsRequest {
            from_station: "北京南",
            to_station: "上海虹桥",
            from_date: "2026-11-24".into(),
        };
        let json = serde_json::to_value(Authenticated {
            app_key: "k",
            body: &body,
        })
        .unwrap();
        assert_eq!(
            json,
            serde_json::json!({"appKey":"k","fromStation":"北京南","toStation":"上海虹桥","fromDate":"2026-11-24"})
        );
    }
}
