//! 站站查询's answer → neutral trains and offers.
//!
//! - Times: Juhe gives the departure as "HH:mm" on the searched date and
//!   the run time in minutes; the arrival is computed from those two, as
//!   `toTime` is the arrival at the boarding station (see `wire`).
//! - Stations: by name in the 12306 directory, else by the pinyin code Juhe
//!   sends beside it; a station the directory does not know is kept with
//!   its name only, as for Panhe. The offer keeps Juhe's own spelling,
//!   which submitOrder must repeat.
//! - Seats: one offer per neutral seat class, priced in fen from Juhe's
//!   decimal yuan. Sold-out classes stay listed: a grab order exists to wait
//!   for exactly those.
//! - Choice: submitOrder has no seat-choice field, but its seat class codes
//!   name sleeper berths (`hardsleeperup`), so a train with a hard or soft
//!   sleeper class supports berth choice, for the whole order.
//!
//! Juhe has no 12306 internal train number, so `train_no` is empty.
//! A train or seat class that cannot be mapped is left out and noted in
//! [`SearchAnswer::skipped`], never guessed.

use super::PROVIDER;
use super::mapping::{parse_date, seat_from_code, seat_to_code, train_type_from_class};
use super::wire::{SearchResult, SearchTrain, SeatTickets};
use crate::domain::{Berth, Fen, Offer, SeatClass, SeatOffer, TrainOption};
use crate::providers::{ProviderError, SearchAnswer};
use crate::stations::{Station, StationDirectory};
use chrono::{NaiveDate, NaiveDateTime, NaiveTime, TimeDelta};
use rust_decimal::Decimal;

/// bookState 2 全部不可预订: nothing on the train can be ordered, grabbed
/// or not. (0 不可预订 only means no tickets now, which is when grabbing
/// makes sense; 3 is the last half hour, which submit validation refuses.)
const BOOK_STATE_CLOSED: u8 = 2;
/// seatState 0 不可预定: whatever `seats` says, none can be had now.
const SEAT_STATE_CLOSED: u8 = 0;
/// fromPassType 0 始发: the train starts at the boarding station.
const STARTS_HERE: u8 = 0;
/// toPassType 2 终点: the train ends at the alighting station.
const ENDS_HERE: u8 = 2;

/// Maps a search answer for `date`. Fails only when the answer as a whole
/// is unusable (no queryKey, or trains of another date).
pub fn search_answer(
    result: SearchResult,
    date: NaiveDate,
    stations: &StationDirectory,
) -> Result<SearchAnswer, ProviderError> {
    let query_key = result.query_key.trim();
    if query_key.is_empty() {
        return Err(malformed("queryKey is blank: no offer could be booked"));
    }
    let train_date = result.train_date.as_deref().map(str::trim);
    if let Some(text) = train_date.filter(|text| !text.is_empty()) {
        if parse_date(text) != Some(date) {
            return Err(malformed(format!(
                "trainDate {text:?} is not the date searched ({date})"
            )));
        }
    }
    let mut answer = SearchAnswer::default();
    for train in &result.trains {
        match train_option(train, date, query_key, stations, &mut answer.skipped) {
            Ok(option) => answer.trains.push(option),
            Err(note) => answer.skipped.push(note),
        }
    }
    answer.trains.sort_by_key(|train| train.departure);
    Ok(answer)
}

/// Maps one train; `Err` is the note saying why it was left out. Seat
/// classes that cannot be mapped are noted in `skipped` and left out.
fn train_option(
    train: &SearchTrain,
    date: NaiveDate,
    query_key: &str,
    stations: &StationDirectory,
    skipped: &mut Vec<String>,
) -> Result<TrainOption, String> {
    let code = train.train_no.trim();
    if code.is_empty() {
        return Err("a train without trainNo".to_owned());
    }
    let class = train.train_class.as_deref().unwrap_or_default();
    let train_type = train_type_from_class(class, code)
        .ok_or_else(|| format!("{code}: unknown trainClass {class:?}"))?;
    if train.book_state == Some(BOOK_STATE_CLOSED) {
        return Err(format!("{code}: not bookable (bookState 2)"));
    }
    let from_time = NaiveTime::parse_from_str(train.from_time.trim(), "%H:%M")
        .map_err(|_| format!("{code}: fromTime {:?} is not HH:mm", train.from_time))?;
    let departure = date.and_time(from_time);
    let arrival = departure + TimeDelta::minutes(i64::from(train.run_time_span));
    let arrival_day_offset = u32::try_from((arrival.date() - departure.date()).num_days())
        .map_err(|_| format!("{code}: arrives before it departs"))?;
    let from_name = train.from_station.trim();
    let to_name = train.to_station.trim();
    if from_name.is_empty() || to_name.is_empty() {
        return Err(format!("{code}: a blank station name"));
    }
    let ride = Ride {
        train_code: code,
        from_station: from_name,
        to_station: to_name,
        departure,
        arrival,
        query_key,
    };
    let seats = seat_offers(train, &ride, skipped);
    let berth_choice_supported = seats
        .iter()
        .any(|seat| seat_to_code(seat.seat_class, Some(Berth::Upper)).is_some());
    Ok(TrainOption {
        train_code: code.to_owned(),
        train_no: String::new(),
        train_type,
        from_station: station(stations, from_name, train.from_station_code.as_deref()),
        to_station: station(stations, to_name, train.to_station_code.as_deref()),
        departure,
        arrival,
        arrival_day_offset,
        duration_minutes: train.run_time_span,
        origin_station_name: end_name(train.from_pass_type, STARTS_HERE, from_name),
        terminal_station_name: end_name(train.to_pass_type, ENDS_HERE, to_name),
        seat_choice_supported: false,
        berth_choice_supported,
        seats,
    })
}

/// What every offer on one train shares.
struct Ride<'a> {
    train_code: &'a str,
    from_station: &'a str,
    to_station: &'a str,
    departure: NaiveDateTime,
    arrival: NaiveDateTime,
    query_key: &'a str,
}

impl Ride<'_> {
    fn offer_id(&self, seat_class: SeatClass, berth: Option<Berth>) -> String {
        Offer {
            provider: PROVIDER,
            train_code: self.train_code.to_owned(),
            train_no: String::new(),
            from_station: self.from_station.to_owned(),
            to_station: self.to_station.to_owned(),
            departure: self.departure,
            arrival: self.arrival,
            seat_class,
            provider_key: Some(self.query_key.to_owned()),
            berth,
        }
        .encode()
    }
}

/// One seat class as read so far; several codes may name the same class
/// (one per berth).
struct SeatDraft {
    seat_class: SeatClass,
    price: Fen,
    remaining: u32,
    berth_prices: Vec<(Berth, Fen)>,
}

impl SeatDraft {
    /// Adds another code's view of the same class: more berths, and the
    /// larger count (each berth code counts the class's tickets it can
    /// have, so the larger one is certainly available).
    fn merge(&mut self, other: SeatDraft) {
        self.price = self.price.min(other.price);
        self.remaining = self.remaining.max(other.remaining);
        for (berth, price) in other.berth_prices {
            if !self.berth_prices.iter().any(|(known, _)| *known == berth) {
                self.berth_prices.push((berth, price));
            }
        }
    }
}

fn seat_offers(train: &SearchTrain, ride: &Ride<'_>, skipped: &mut Vec<String>) -> Vec<SeatOffer> {
    let mut drafts: Vec<SeatDraft> = Vec::new();
    for (code, tickets) in &train.tickets {
        let draft = match seat_draft(code, tickets) {
            Ok(draft) => draft,
            Err(note) => {
                skipped.push(format!("{}: {note}", ride.train_code));
                continue;
            }
        };
        match drafts
            .iter_mut()
            .find(|known| known.seat_class == draft.seat_class)
        {
            Some(known) => known.merge(draft),
            None => drafts.push(draft),
        }
    }
    drafts.sort_by_key(|draft| draft.seat_class);
    drafts
        .into_iter()
        .map(|mut draft| {
            draft.berth_prices.sort();
            // A sleeper is quoted at its cheapest berth Juhe can grab, and
            // its offer books that berth (Juhe sells each berth as its own
            // seat code: without one, submitOrder would take the lower
            // berth at the lower berth's price).
            let quoted = draft
                .berth_prices
                .iter()
                .filter(|(berth, _)| seat_to_code(draft.seat_class, Some(*berth)).is_some())
                .min_by_key(|(_, price)| *price)
                .copied();
            let price = quoted.map_or(draft.price, |(_, price)| price);
            SeatOffer {
                seat_class: draft.seat_class,
                price,
                remaining: draft.remaining,
                berth_prices: draft.berth_prices,
                provider: PROVIDER,
                offer_id: ride.offer_id(draft.seat_class, quoted.map(|(berth, _)| berth)),
            }
        })
        .collect()
}

/// Reads one entry of `tickets`; `Err` is the note saying why not.
fn seat_draft(code: &str, tickets: &SeatTickets) -> Result<SeatDraft, String> {
    let seat = seat_from_code(code).ok_or_else(|| format!("unknown seatClassCode {code:?}"))?;
    let price = fen(code, "price", tickets.price)?;
    let remaining = if tickets.seat_state == Some(SEAT_STATE_CLOSED) {
        0
    } else {
        tickets.seats
    };
    let mut berth_prices = Vec::new();
    // Juhe's example repeats berth prices on seated classes too; only a
    // sleeper has berths.
    if seat.seat_class.is_sleeper() {
        for (berth, field, yuan) in [
            (Berth::Lower, "downPrice", tickets.down_price),
            (Berth::Middle, "midPrice", tickets.mid_price),
            (Berth::Upper, "upPrice", tickets.up_price),
        ] {
            // 0 means the class has no such berth.
            if let Some(yuan) = yuan.filter(|yuan| *yuan > Decimal::ZERO) {
                berth_prices.push((berth, fen(code, field, yuan)?));
            }
        }
        // A berth code (softsleeperdown) prices its own berth at `price`.
        if let Some(berth) = seat.berth {
            if !berth_prices.iter().any(|(known, _)| *known == berth) {
                berth_prices.push((berth, price));
            }
        }
    }
    Ok(SeatDraft {
        seat_class: seat.seat_class,
        price,
        remaining,
        berth_prices,
    })
}

fn fen(code: &str, field: &str, yuan: Decimal) -> Result<Fen, String> {
    Fen::from_yuan(yuan).map_err(|error| format!("{code} {field}: {error}"))
}

/// The directory's station for Juhe's name, else for its pinyin code, else
/// a station carrying only the name (renamed or closed stations).
fn station(stations: &StationDirectory, name: &str, pinyin: Option<&str>) -> Station {
    stations
        .by_name(name)
        .or_else(|| {
            pinyin
                .map(str::trim)
                .filter(|code| !code.is_empty() && code.is_ascii())
                .and_then(|code| stations.resolve(code).ok())
        })
        .cloned()
        .unwrap_or_else(|| Station {
            telecode: String::new(),
            name: name.to_owned(),
            pinyin: String::new(),
            short_pinyin: String::new(),
            city: String::new(),
        })
}

/// The station's name when Juhe says the train starts (or ends) there;
/// empty when the train runs on, since Juhe does not name its real ends.
fn end_name(pass_type: Option<u8>, here: u8, name: &str) -> String {
    if pass_type == Some(here) {
        name.to_owned()
    } else {
        String::new()
    }
}

fn malformed(detail: impl Into<String>) -> ProviderError {
    ProviderError::Malformed {
        provider: PROVIDER,
        detail: detail.into(),
    }
}

#[cfg(test)]
#[path = "search_tests.rs"]
mod tests;
