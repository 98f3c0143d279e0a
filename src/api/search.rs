//! Search, GetStops and LookupStations: validate, resolve stations, route,
//! convert.

use super::ApiState;
use super::convert::{
    provider_from_proto, provider_to_proto, shared_train_to_proto, station_to_proto, stop_to_proto,
    through_stop_offer_to_proto, train_type_from_proto,
};
use super::search_reply::ReplyKey;
use super::status::{ApiError, Violation};
use crate::domain::time::parse_travel_date;
use crate::domain::{ProviderId, TrainOption};
use crate::proto as pb;
use crate::providers::{SearchQuery, StopsQuery};
use crate::routing::{JourneyQuery, ProviderOutcome, ProviderReport, RoutingError};
use crate::stations::{ResolveError, Station};
use chrono::NaiveDate;
use std::sync::Arc;

const DEFAULT_LOOKUP_SIZE: usize = 10;
const MAX_LOOKUP_SIZE: usize = 100;
/// Longest station input accepted (the longest pinyin is well under this).
const MAX_STATION_INPUT: usize = 64;
/// Most travellers in one Search's party: as many as one Book takes.
const MAX_PARTY: i32 = super::book_request::MAX_PASSENGERS as i32;
/// Longest train code accepted (12306's are at most 5 characters).
const MAX_TRAIN_CODE: usize = 16;

/// Search: every provider that can search, merged; a city's stations when
/// an end names a city; through-stop offers when asked for.
pub async fn search(
    state: &ApiState,
    request: pb::SearchRequest,
) -> Result<pb::SearchReply, ApiError> {
    let mut violations = Vec::new();
    let journey = journey(
        state,
        &request.from_station,
        &request.to_station,
        &request.travel_date,
        &mut violations,
    );
    let train_types = enum_filter(
        &request.train_types,
        "train_types",
        train_type_from_proto,
        &mut violations,
    );
    let providers = enum_filter(
        &request.providers,
        "providers",
        provider_from_proto,
        &mut violations,
    );
    let party = party_size(request.party_size, &mut violations);
    let Some(query) = journey.filter(|_| violations.is_empty()) else {
        return Err(ApiError::InvalidArgument(violations));
    };
    let journey = if request.exact_stations {
        JourneyQuery::single(&query)
    } else {
        city_journey(state, &query)
    };

    let gathered = state.router.gather_journey(&journey, &providers).await?;
    let provider_results = gathered.reports.iter().map(provider_result).collect();
    // Through-stop offers come from further provider calls, made per
    // search: only replies without them are kept encoded.
    let reply_key =
        (!request.through_stops).then(|| reply_key(&query, &journey, &train_types, &providers));
    if let Some(key) = &reply_key
        && let Some(encoded) = state.search_replies.get(key, &gathered).await
    {
        return Ok(pb::SearchReply::from_encoded(encoded, provider_results));
    }

    let merged = gathered.merge(&journey);
    let wanted = |train: &TrainOption| -> bool {
        train_types.is_empty() || train_types.contains(&train.train_type)
    };
    let through_offers = if request.through_stops {
        let short: Vec<_> = merged
            .iter()
            .filter(|train| wanted(train))
            .cloned()
            .collect();
        state
            .router
            .through_stop_offers(&short, party, &providers)
            .await
    } else {
        Vec::new()
    };
    let mut trains = Vec::with_capacity(merged.len() + through_offers.len());
    for train in merged.into_iter().filter(|train| wanted(train)) {
        // A through-stop offer follows the train it stands in for.
        let through = through_offers
            .iter()
            .find(|offer| Arc::ptr_eq(&offer.ride, &train));
        let through = through.map(through_stop_offer_to_proto);
        trains.push(shared_train_to_proto(train));
        trains.extend(through);
    }
    let response = pb::SearchResponse {
        from_station: Some(station_to_proto(&query.from)),
        to_station: Some(station_to_proto(&query.to)),
        travel_date: query.date.format("%Y-%m-%d").to_string(),
        trains,
        provider_results: Vec::new(),
        from_stations: journey.from.iter().map(station_to_proto).collect(),
        to_stations: journey.to.iter().map(station_to_proto).collect(),
    };
    let encoded = pb::SearchReply::new(response).encoded().clone();
    state
        .search_replies
        .encoded(reply_key, &gathered, encoded.clone())
        .await;
    Ok(pb::SearchReply::from_encoded(encoded, provider_results))
}

/// What the reply of a search without through-stop offers depends on,
/// besides the provider answers it is built from.
fn reply_key(
    query: &SearchQuery,
    journey: &JourneyQuery,
    train_types: &[crate::domain::TrainType],
    providers: &[ProviderId],
) -> ReplyKey {
    let telecodes = |named: &Station, stations: &[Station]| -> Vec<String> {
        std::iter::once(named)
            .chain(stations)
            .map(|station| station.telecode.clone())
            .collect()
    };
    let mut train_types = train_types.to_vec();
    train_types.sort_by_key(|train_type| *train_type as u8);
    train_types.dedup();
    let mut providers = providers.to_vec();
    providers.sort();
    providers.dedup();
    ReplyKey {
        from: telecodes(&query.from, &journey.from),
        to: telecodes(&query.to, &journey.to),
        date: query.date,
        train_types,
        providers,
    }
}

/// The stations a search covers: at each end, the city's stations when
/// the station named is its city's namesake (北京), else that station.
fn city_journey(state: &ApiState, query: &SearchQuery) -> JourneyQuery {
    let end = |station: &Station| -> Vec<Station> {
        match state.stations.city_stations(station) {
            Some(stations) if !stations.is_empty() => stations.into_iter().cloned().collect(),
            _ => vec![station.clone()],
        }
    };
    JourneyQuery {
        from: end(&query.from),
        to: end(&query.to),
        date: query.date,
    }
}

fn provider_result(report: &ProviderReport) -> pb::ProviderResult {
    let (status, message) = match &report.outcome {
        ProviderOutcome::Answered { note } => (pb::ProviderResultStatus::Ok, note.clone()),
        ProviderOutcome::Failed { message } => (pb::ProviderResultStatus::Error, message.clone()),
        ProviderOutcome::TimedOut => (
            pb::ProviderResultStatus::Timeout,
            "did not answer in time".to_owned(),
        ),
    };
    pb::ProviderResult {
        provider: provider_to_proto(report.provider) as i32,
        status: status as i32,
        message,
        age_millis: i64::try_from(report.age.as_millis()).unwrap_or(i64::MAX),
    }
}

/// The party size: 0 means 1; at most [`MAX_PARTY`], as one order holds.
fn party_size(value: i32, violations: &mut Vec<Violation>) -> u32 {
    match value {
        0 => 1,
        1..=MAX_PARTY => value as u32,
        _ => {
            violations.push(Violation::new(
                "party_size",
                format!("must be from 1 to {MAX_PARTY} (0 means 1)"),
            ));
            1
        }
    }
}

/// GetStops: by offer id, or by train code + date + stations (railgate
/// finds the train and its provider with a search).
pub async fn get_stops(
    state: &ApiState,
    request: pb::GetStopsRequest,
) -> Result<pb::GetStopsResponse, ApiError> {
    let (provider, query) = if request.offer_id.trim().is_empty() {
        stops_query_by_train(state, &request).await?
    } else {
        let mut violations = Vec::new();
        let offer = super::orders::offer_from_request(
            state,
            &request.offer_id,
            "offer_id",
            &mut violations,
        )
        .ok_or(ApiError::InvalidArgument(violations))?;
        if offer.train_no.is_empty() {
            // Juhe's offers carry no 12306 train number, which stop lists
            // need: find the train as a by-code request would.
            let by_train = pb::GetStopsRequest {
                offer_id: String::new(),
                train_code: offer.train_code.clone(),
                travel_date: offer.departure.date().format("%Y-%m-%d").to_string(),
                from_station: offer.from_station.clone(),
                to_station: offer.to_station.clone(),
            };
            return Box::pin(get_stops(state, by_train)).await;
        }
        let query = StopsQuery {
            train_code: offer.train_code,
            train_no: offer.train_no,
            date: offer.departure.date(),
            from_station: offer.from_station,
            to_station: offer.to_station,
        };
        (offer.provider, query)
    };
    let stops = state.router.stops(provider, &query).await?;
    Ok(pb::GetStopsResponse {
        train_code: query.train_code,
        train_no: query.train_no,
        stops: stops.iter().map(stop_to_proto).collect(),
    })
}

async fn stops_query_by_train(
    state: &ApiState,
    request: &pb::GetStopsRequest,
) -> Result<(ProviderId, StopsQuery), ApiError> {
    let mut violations = Vec::new();
    let train_code = request.train_code.trim();
    if train_code.is_empty() || train_code.len() > MAX_TRAIN_CODE {
        violations.push(Violation::new(
            "train_code",
            format!(
                "is required without offer_id, e.g. \"G1\" (at most {MAX_TRAIN_CODE} characters)"
            ),
        ));
    }
    let train_code = train_code.to_ascii_uppercase();
    let journey = journey(
        state,
        &request.from_station,
        &request.to_station,
        &request.travel_date,
        &mut violations,
    );
    let Some(search_query) = journey.filter(|_| violations.is_empty()) else {
        return Err(ApiError::InvalidArgument(violations));
    };
    let result = state.router.search(&search_query, &[]).await?;
    let train = result
        .trains
        .iter()
        .find(|train| train.train_code.eq_ignore_ascii_case(&train_code))
        .ok_or_else(|| ApiError::NotFound {
            what: "train",
            detail: format!(
                "{train_code} does not run from {} to {} on {}",
                search_query.from.name, search_query.to.name, search_query.date
            ),
        })?;
    // Any provider that listed the train knows its stops: prefer one with an
    // offer on it, else the first that answered.
    let provider = train
        .seats
        .first()
        .map(|seat| seat.provider)
        .or_else(|| {
            result
                .reports
                .iter()
                .find(|report| matches!(report.outcome, ProviderOutcome::Answered { .. }))
                .map(|report| report.provider)
        })
        .ok_or(RoutingError::NoProvider {
            capability: "stop stations",
        })?;
    let query = StopsQuery {
        train_code: train.train_code.clone(),
        train_no: train.train_no.clone(),
        date: search_query.date,
        from_station: train.from_station.name.clone(),
        to_station: train.to_station.name.clone(),
    };
    Ok((provider, query))
}

/// LookupStations: prefix search in the station directory.
pub fn lookup_stations(
    state: &ApiState,
    request: pb::LookupStationsRequest,
) -> Result<pb::LookupStationsResponse, ApiError> {
    let mut violations = Vec::new();
    let query = request.query.trim();
    if query.is_empty() {
        violations.push(Violation::new(
            "query",
            "is required: a name, pinyin, initials or telecode prefix",
        ));
    }
    let limit = match request.page_size {
        0 => DEFAULT_LOOKUP_SIZE,
        size if size < 0 => {
            violations.push(Violation::new("page_size", "must not be negative"));
            0
        }
        size => usize::try_from(size)
            .unwrap_or(MAX_LOOKUP_SIZE)
            .min(MAX_LOOKUP_SIZE),
    };
    if !violations.is_empty() {
        return Err(ApiError::InvalidArgument(violations));
    }
    Ok(pb::LookupStationsResponse {
        stations: state
            .stations
            .lookup(query, limit)
            .into_iter()
            .map(station_to_proto)
            .collect(),
    })
}

/// Resolves both stations and the date, adding a violation for each
/// problem; `None` when any of the three is bad.
fn journey(
    state: &ApiState,
    from_input: &str,
    to_input: &str,
    date_input: &str,
    violations: &mut Vec<Violation>,
) -> Option<SearchQuery> {
    let from = resolve_station(state, "from_station", from_input, violations);
    let to = resolve_station(state, "to_station", to_input, violations);
    let date = travel_date(state, date_input, violations);
    if let (Some(from), Some(to)) = (&from, &to)
        && from.telecode == to.telecode
    {
        violations.push(Violation::new(
            "to_station",
            format!("must differ from from_station (both are {})", to.name),
        ));
        return None;
    }
    Some(SearchQuery {
        from: from?,
        to: to?,
        date: date?,
    })
}

fn resolve_station(
    state: &ApiState,
    field: &str,
    input: &str,
    violations: &mut Vec<Violation>,
) -> Option<Station> {
    // Errors quote the input back; no station form is anywhere near this long.
    if input.chars().count() > MAX_STATION_INPUT {
        violations.push(Violation::new(
            field,
            format!("is longer than {MAX_STATION_INPUT} characters; give a station name, pinyin, initials or telecode"),
        ));
        return None;
    }
    match state.stations.resolve(input) {
        Ok(station) => Some(station.clone()),
        Err(ResolveError::Empty) => {
            violations.push(Violation::new(
                field,
                "is required: a station name, pinyin, initials or telecode",
            ));
            None
        }
        Err(error) => {
            violations.push(Violation::new(field, error.to_string()));
            None
        }
    }
}

fn travel_date(
    state: &ApiState,
    input: &str,
    violations: &mut Vec<Violation>,
) -> Option<NaiveDate> {
    parse_travel_date(input, state.clock.today())
        .map_err(|error| violations.push(Violation::new("travel_date", error.to_string())))
        .ok()
}

/// Converts a repeated enum filter, refusing UNSPECIFIED and unknown values.
fn enum_filter<T>(
    values: &[i32],
    field: &str,
    convert: fn(i32) -> Option<T>,
    violations: &mut Vec<Violation>,
) -> Vec<T> {
    values
        .iter()
        .enumerate()
        .filter_map(|(index, value)| {
            let converted = convert(*value);
            if converted.is_none() {
                violations.push(Violation::new(
                    format!("{field}[{index}]"),
                    format!("{value} is not a valid value"),
                ));
            }
            converted
        })
        .collect()
}
