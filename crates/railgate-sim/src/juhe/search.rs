//! search.php (站站查询): every train from `from` to `to` on `date`, with
//! prices and tickets left, and a `queryKey` that submitOrder must echo.
//!
//! Stations are matched by exact name, as the Panhe simulator matches them
//! (12306 does not merge a city's stations), so the same route and date
//! list the same trains at the same prices in both; `from`/`to` may also be
//! pinyin (`suzhou`), resolved through the 12306 station list. `froms` and
//! `tos` therefore list the one station each.
//!
//! Dates run from today to [`GRAB_HORIZON_DAYS`] ahead: grab orders may be
//! placed before a date's presale opens (they wait in B until it does), and
//! the seed asks for test orders 20 days out.

use std::hash::Hasher;

use chrono::{Days, NaiveDate, TimeDelta};

use super::codes::{self, search_code, seat_name};
use super::orders::model::{Query, Ride};
use super::params::Params;
use super::wire::{
    Envelope, Failure, PlaceStation, SEARCH_REASON, SearchResult, SearchTrain, SeatTicket, Tickets,
    yuan,
};
use super::{SimState, span};
use crate::fares::rules::ticket_price;
use crate::fares::{Berth, SeatClass};
use crate::timetable::{DAY_MINUTES, Segment, Timetable, normalize_name};
use railgate_stations::{ResolveError, StationDirectory};

/// Days ahead a search (and a grab order) may look, today included.
pub const GRAB_HORIZON_DAYS: u64 = 30;

/// Trains leaving this soon are not bookable (bookState 3).
pub const BOOKING_CUTOFF: TimeDelta = TimeDelta::minutes(30);

/// search.php's `type`: 1 正常票, 2 学生票 (listed, but not orderable).
const ADULT: i64 = 1;
const STUDENT: i64 = 2;

/// The whole answer of search.php.
pub(super) fn search(
    state: &SimState,
    timetable: &Timetable,
    params: &Params,
) -> Result<Envelope<SearchResult>, Failure> {
    let from = station(timetable, params, "from")?;
    let to = station(timetable, params, "to")?;
    let date = params.required_compact_date("date")?;
    let kind = params.optional_int("type")?.unwrap_or(ADULT);
    if kind != ADULT && kind != STUDENT {
        return Err(Failure::parameter(format!("type格式错误,应为1或2:{kind}")));
    }
    if from == to {
        return Err(Failure::parameter("出发地和目的地不能相同"));
    }
    let now = state.provider_now();
    let today = now.date();
    if date < today || date > today + Days::new(GRAB_HORIZON_DAYS - 1) {
        return Err(Failure::supplier(format!(
            "发车日期无效:{date},可查询{today}至{}",
            today + Days::new(GRAB_HORIZON_DAYS - 1)
        )));
    }
    let segments = timetable.trains_between(&from, &to);
    let rides: Vec<Ride> = segments.iter().map(|segment| ride(segment, date)).collect();
    let trains = segments
        .iter()
        .zip(&rides)
        .enumerate()
        .map(|(index, (segment, ride))| {
            let percent_type = if kind == STUDENT { 3 } else { 1 };
            search_train(state, segment, ride, index as u32 + 1, percent_type, now)
        })
        .collect::<Vec<_>>();
    let query_key = state.store_query(Query {
        created: now,
        from: from.clone(),
        to: to.clone(),
        date,
        student: kind == STUDENT,
        rides,
    });
    let place = |name: &str| {
        vec![PlaceStation {
            station: name.to_owned(),
            location: String::new(),
        }]
    };
    let result = SearchResult {
        query_key,
        from_station_code: station_code(&from),
        to_station_code: station_code(&to),
        train_date: date.format("%Y%m%d").to_string(),
        page_index: 0,
        page_size: 0,
        total_count: trains.len() as u32,
        total_size: 0,
        trains,
        froms: place(&from),
        tos: place(&to),
        from_station: from,
        to_station: to,
    };
    Ok(Envelope {
        reason: SEARCH_REASON.to_owned(),
        result: Some(result),
        error_code: 0,
    })
}

/// A station parameter: a Chinese name the timetable or the 12306 list
/// knows, or pinyin (full or initials) naming one station.
fn station(timetable: &Timetable, params: &Params, field: &str) -> Result<String, Failure> {
    let input = params.required(field)?;
    let unknown = || Failure::parameter(format!("{field}站点不存在:{input}"));
    if input.is_ascii() {
        return match StationDirectory::embedded().resolve(input) {
            Ok(station) => Ok(station.name.clone()),
            Err(ResolveError::Ambiguous { candidates, .. }) => Err(Failure::parameter(format!(
                "{field}站点不明确:{input}可能是{},请使用中文站名",
                candidates.join("、")
            ))),
            Err(_) => Err(unknown()),
        };
    }
    let name = normalize_name(input);
    let known = timetable.serves(&name) || StationDirectory::embedded().by_name(&name).is_some();
    if known { Ok(name) } else { Err(unknown()) }
}

/// The station's code as search spells it: its full pinyin
/// (`shanghaixi`), or the name for the few 2023 stations gone from the
/// 12306 list.
pub(super) fn station_code(name: &str) -> String {
    StationDirectory::embedded()
        .by_name(name)
        .map_or_else(|| name.to_owned(), |station| station.pinyin.clone())
}

/// The ride a segment makes on `date` (the boarding date).
pub(super) fn ride(segment: &Segment<'_>, date: NaiveDate) -> Ride {
    let depart = at_minutes(date, segment.depart());
    let from_station = segment.from_stop().station_name.to_string();
    let to_station = segment.to_stop().station_name.to_string();
    Ride {
        train_no: segment.train.train_no.clone(),
        train_code: segment.train_code().to_owned(),
        from_code: station_code(&from_station),
        to_code: station_code(&to_station),
        from_station,
        to_station,
        date,
        depart,
        arrive: depart + TimeDelta::minutes(i64::from(segment.minutes())),
        fares: crate::fares::fares(segment),
    }
}

/// `date` at a timetable time of day (minutes since midnight of day 0).
fn at_minutes(date: NaiveDate, minutes: u32) -> chrono::NaiveDateTime {
    let minutes = minutes % DAY_MINUTES;
    date.and_hms_opt(minutes / 60, minutes % 60, 0)
        .expect("minutes of a day form a valid time")
}

fn clock(minutes: u32) -> String {
    let minutes = minutes % DAY_MINUTES;
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

fn search_train(
    state: &SimState,
    segment: &Segment<'_>,
    ride: &Ride,
    serial_number: u32,
    ticket_type: i64,
    now: chrono::NaiveDateTime,
) -> SearchTrain {
    let from = segment.from_stop();
    let starts_here = segment.from == 0;
    let ends_here = segment.to == segment.train.stops.len() - 1;
    // Seats first in the fare model's order, 无座 last (12306's column order).
    let mut fares = ride.fares.clone();
    fares.sort_by_key(|fare| fare.seat == SeatClass::NoSeat);
    let mut left_total = 0;
    let tickets = fares
        .iter()
        .map(|fare| {
            let left = state.remaining(
                &ride.train_no,
                ride.date,
                &ride.from_station,
                &ride.to_station,
                fare.seat,
            );
            left_total += left;
            let berth_price = |berth: Berth| {
                fare.berths
                    .iter()
                    .find(|(tier, _)| *tier == berth)
                    .map_or(0.0, |(_, fen)| yuan(ticket_price(*fen, ticket_type)))
            };
            let down_price = berth_price(Berth::Lower);
            let price = if fare.berths.is_empty() {
                yuan(ticket_price(fare.price_fen, ticket_type))
            } else {
                down_price
            };
            let seat = SeatTicket {
                seat_name: seat_name(fare.seat),
                price,
                seat_state: u8::from(left > 0),
                seats: left.to_string(),
                up_price: berth_price(Berth::Upper),
                mid_price: berth_price(Berth::Middle),
                down_price,
            };
            (search_code(fare.seat), seat)
        })
        .collect();
    let book_state = if ride.depart - now < BOOKING_CUTOFF {
        3
    } else if left_total == 0 {
        0
    } else {
        1
    };
    SearchTrain {
        serial_number,
        train_no: ride.train_code.clone(),
        from_time: clock(segment.depart()),
        to_time: if starts_here {
            String::new()
        } else {
            from.arrive.map(clock).unwrap_or_default()
        },
        from_station: ride.from_station.clone(),
        from_station_code: ride.from_code.clone(),
        to_station: ride.to_station.clone(),
        to_station_code: ride.to_code.clone(),
        run_time_span: segment.minutes().to_string(),
        from_pass_type: if starts_here { 0 } else { 1 },
        to_pass_type: if ends_here { 2 } else { 1 },
        book_state,
        train_class: codes::train_class_of(segment.train, segment.train_code()),
        tickets: Tickets(tickets),
        miles: 0,
        pull_in_by_id_card: 1,
        note: String::new(),
    }
}

/// A fresh query key: 32 lowercase hex digits, like the seed's.
pub(super) fn new_query_key(sequence: u64, now: chrono::NaiveDateTime, salt: &str) -> String {
    let hash = |part: u8| {
        let mut hasher = fnv::FnvHasher::default();
        hasher.write_u8(part);
        hasher.write_u64(sequence);
        hasher.write(now.to_string().as_bytes());
        hasher.write(salt.as_bytes());
        hasher.finish()
    };
    format!("{:016x}{:016x}", hash(1), hash(2))
}

impl SimState {
    /// Keep a query for submitOrder; expired ones are dropped on the way.
    fn store_query(&self, query: Query) -> String {
        let ttl = span(self.config.query_key_ttl);
        let mut book = self.book();
        let now = query.created;
        book.queries.retain(|_, kept| now - kept.created <= ttl);
        let sequence = book.next_sequence();
        let key = new_query_key(sequence, now, &format!("{}{}", query.from, query.to));
        book.queries.insert(key.clone(), query);
        key
    }

    /// The query behind a key, if it has not expired.
    pub(super) fn query(&self, key: &str) -> Option<Query> {
        let ttl = span(self.config.query_key_ttl);
        let now = self.provider_now();
        let book = self.book();
        book.queries
            .get(key)
            .filter(|query| now - query.created <= ttl)
            .cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_keys_look_like_the_seeds() {
        let now = NaiveDate::from_ymd_opt(2026, 5, 1)
            .unwrap()
            .and_hms_opt(10, 0, 0)
            .unwrap();
        let key = new_query_key(1, now, "苏州昆山");
        assert_eq!(key.len(), "6d31300d58be4d239af4039c71ddc313".len());
        assert!(
            key.bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        );
        assert_ne!(key, new_query_key(2, now, "苏州昆山"));
    }

    #[test]
    fn station_codes_are_pinyin() {
        assert_eq!(station_code("上海西"), "shanghaixi");
        assert_eq!(station_code("不存在站"), "不存在站");
    }
}
