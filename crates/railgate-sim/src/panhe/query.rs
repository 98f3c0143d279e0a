//! The read endpoints: 余票查询, 经停站查询 (V1, deprecated) and V2, and
//! 火车站列表. Each handler is a thin shell over a synchronous function that
//! takes the parsed parameters, so the rules are testable without HTTP.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use chrono::{Days, NaiveDate};

use super::SimState;
use super::params::Params;
use super::wire::{
    self, Envelope, Failure, QueryTicketsData, SeatInfo, SleeperSeatInfo, StationInfo, StopStation,
    TrainLine,
};
use crate::fares::{self, Family};
use crate::timetable::{DAY_MINUTES, Segment, Stop, Timetable, Train, normalize_name};
use railgate_stations::StationDirectory;

/// The timetable, parsed in the background at start-up; a request that
/// arrives first waits for it off the async workers.
pub(super) async fn timetable() -> &'static Timetable {
    if let Some(timetable) = Timetable::embedded_if_loaded() {
        return timetable;
    }
    tokio::task::spawn_blocking(Timetable::embedded)
        .await
        .expect("the embedded timetable parses (checked by unit tests)")
}

/// Run `handle` on the shared checks' output and wrap the result.
async fn respond<T, F>(state: Arc<SimState>, headers: HeaderMap, body: Bytes, handle: F) -> Response
where
    T: serde::Serialize,
    F: FnOnce(&SimState, &'static Timetable, &Params) -> Result<T, Failure>,
{
    let params = match Params::parse(&state, &headers, &body) {
        Ok(params) => params,
        Err(failure) => return failure.into_response(),
    };
    let timetable = timetable().await;
    match handle(&state, timetable, &params) {
        Ok(data) => Envelope::ok(data).into_response(),
        Err(failure) => {
            tracing::debug!(msg = %failure.0, "panhe sim request refused");
            failure.into_response()
        }
    }
}

pub(super) async fn query_tickets_handler(
    State(state): State<Arc<SimState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    state
        .search_requests
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    respond(state, headers, body, query_tickets).await
}

pub(super) async fn stop_stations_v2_handler(
    State(state): State<Arc<SimState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    respond(state, headers, body, stop_stations_v2).await
}

pub(super) async fn stop_stations_handler(
    State(state): State<Arc<SimState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    respond(state, headers, body, |_, timetable, params| {
        stop_stations_v1(timetable, params)
    })
    .await
}

pub(super) async fn station_list_handler(
    State(state): State<Arc<SimState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    respond(state, headers, body, |_, _, _| Ok(station_list())).await
}

/// A station is known if the 12306 list has it or a 2023 train calls there
/// (some 2023 names, e.g. 金山卫, are gone from the 2026 list).
pub(super) fn known_station(timetable: &Timetable, name: &str) -> bool {
    timetable.serves(name) || StationDirectory::embedded().by_name(name).is_some()
}

/// 余票查询: every train from `fromStation` to `toStation` on `fromDate`.
pub(super) fn query_tickets(
    state: &SimState,
    timetable: &Timetable,
    params: &Params,
) -> Result<QueryTicketsData, Failure> {
    let from = normalize_name(params.required_str("fromStation")?);
    let to = normalize_name(params.required_str("toStation")?);
    let date = params.required_date("fromDate")?;
    if !known_station(timetable, &from) {
        return Err(Failure(format!("出发站不存在:{from}")));
    }
    if !known_station(timetable, &to) {
        return Err(Failure(format!("到达站不存在:{to}")));
    }
    if from == to {
        return Err(Failure("出发站和到达站不能相同".into()));
    }
    state.check_presale(date)?;
    let train_lines = timetable
        .trains_between(&from, &to)
        .iter()
        .map(|segment| train_line(state, segment, date))
        .collect();
    Ok(QueryTicketsData { train_lines })
}

fn train_line(state: &SimState, segment: &Segment<'_>, date: NaiveDate) -> TrainLine {
    let train = segment.train;
    let from = segment.from_stop();
    let to = segment.to_stop();
    let arrive_date = date + Days::new(u64::from(segment.arrive_days()));
    let family = fares::family(train);
    let (trains_type, trains_type_name) = wire::trains_type(segment.train_code());
    let seats: Vec<SeatInfo> = fares::fares(segment)
        .into_iter()
        .map(|fare| {
            let (seat_type, seat_type_name) = wire::seat_code(fare.seat);
            let other_seats = (!fare.berths.is_empty()).then(|| {
                fare.berths
                    .iter()
                    .map(|&(berth, fen)| {
                        let (sleeper_type, sleeper_type_name) = wire::berth_code(berth);
                        SleeperSeatInfo {
                            sleeper_type,
                            sleeper_type_name,
                            ticket_price: wire::yuan(fen),
                        }
                    })
                    .collect()
            });
            SeatInfo {
                seat_type,
                seat_type_name,
                ticket_price: wire::yuan(fare.price_fen),
                // The deterministic count minus what this simulator sold.
                left_ticket_num: state.remaining(
                    &train.train_no,
                    date,
                    &from.station_name,
                    &to.station_name,
                    fare.seat,
                ),
                other_seats,
            }
        })
        .collect();
    TrainLine {
        train_code: segment.train_code().to_owned(),
        train_no: train.train_no.clone(),
        from_station: from.station_name.to_string(),
        to_station: to.station_name.to_string(),
        from_time: clock(segment.depart()),
        to_time: clock(segment.arrive()),
        from_date_time: format!("{date} {}", clock(segment.depart())),
        to_date_time: format!("{arrive_date} {}", clock(segment.arrive())),
        arrive_days: segment.arrive_days().to_string(),
        run_time: duration(segment.minutes()),
        trains_type,
        trains_type_name,
        begin_station: train.origin().station_name.to_string(),
        begin_time: None,
        end_station: train.terminus().station_name.to_string(),
        end_time: None,
        is_support_choose_sleeper: seats.iter().any(|seat| seat.other_seats.is_some()),
        // 12306 offers seat choice on G/C/D seats only.
        is_support_choose_seat: matches!(
            family,
            Family::HighSpeed | Family::Intercity | Family::Emu
        ),
        note: String::new(),
        transfer_query_extra_params: None,
        sequence: 0,
        seats,
    }
}

/// 经停站查询V2: the whole route of `trainNo`, which must show `trainCode`
/// and call at `fromStation` before `toStation`.
pub(super) fn stop_stations_v2(
    _state: &SimState,
    timetable: &Timetable,
    params: &Params,
) -> Result<Vec<StopStation>, Failure> {
    let code = params.required_str("trainCode")?.to_ascii_uppercase();
    let train_no = params.required_str("trainNo")?;
    // The date only picks the run; every train runs every day here, so it
    // is checked for format but not against the presale window.
    params.required_date("fromDate")?;
    let from = params.required_str("fromStation")?;
    let to = params.required_str("toStation")?;
    let train = timetable
        .train_by_no(train_no)
        .ok_or_else(|| Failure(format!("车次不存在:{train_no}")))?;
    if !train.has_code(&code) {
        return Err(Failure(format!("车次{code}与trainNo{train_no}不匹配")));
    }
    let from_index = train
        .stop_index(from)
        .ok_or_else(|| Failure(format!("车次{code}不经停出发站:{from}")))?;
    let to_index = train
        .stop_index(to)
        .ok_or_else(|| Failure(format!("车次{code}不经停到达站:{to}")))?;
    if to_index <= from_index {
        return Err(Failure(format!("车次{code}不是从{from}开往{to}")));
    }
    Ok(stop_rows(train, "分钟"))
}

/// 经停站查询 (V1, deprecated): the route of the train showing `trainCode`.
pub(super) fn stop_stations_v1(
    timetable: &Timetable,
    params: &Params,
) -> Result<Vec<StopStation>, Failure> {
    let code = params.required_str("trainCode")?;
    let train = timetable
        .train_by_code(code)
        .ok_or_else(|| Failure(format!("车次不存在:{code}")))?;
    Ok(stop_rows(train, ""))
}

/// Stops numbered 1..n (12306's `station_no` gaps are not Panhe's
/// `stationId`); `----` for the origin's missing arrival and for the
/// interval at both ends, as in the seed's examples.
fn stop_rows(train: &Train, interval_unit: &str) -> Vec<StopStation> {
    let last = train.stops.len() - 1;
    train
        .stops
        .iter()
        .enumerate()
        .map(|(index, stop): (usize, &Stop)| StopStation {
            station_id: (index + 1).to_string(),
            station_name: stop.station_name.to_string(),
            arrive_time: stop.arrive.map_or_else(|| "----".to_owned(), clock),
            start_time: clock(stop.depart),
            interval: if index == 0 || index == last {
                "----".to_owned()
            } else {
                format!("{}{interval_unit}", stop.dwell())
            },
        })
        .collect()
}

/// 火车站列表: the whole 12306 station list.
pub(super) fn station_list() -> Vec<StationInfo> {
    StationDirectory::embedded()
        .iter()
        .map(|station| StationInfo {
            station_name: station.name.clone(),
            station_short_char: station.short_pinyin.clone(),
            station_pin_yin: station.pinyin.clone(),
            station_code: station.telecode.clone(),
        })
        .collect()
}

/// Minutes since day 0 → `HH:mm` of its day.
pub(super) fn clock(minutes: u32) -> String {
    let minutes = minutes % DAY_MINUTES;
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

/// A duration as Panhe's `HH:mm` (hours may exceed 24: `34:10`).
fn duration(minutes: u32) -> String {
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}
