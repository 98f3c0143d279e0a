//! The national timetable of 2023-12-15, treated as running every day.
//!
//! Two CSVs built from 12306's `queryByTrainNo` responses are compiled in
//! (`data/timetable/trains.csv`, `data/timetable/train_stops.csv`; see
//! `../shared/data/SOURCES.md`). Parsing copes with the quirks listed there:
//!
//! * `----` as the first stop's arrival, and a handful of first stops whose
//!   "arrival" is garbage (`00:00` before an `11:14` departure);
//! * gaps in `station_no` (C103: 01, 02, 04, ...): stops keep their number
//!   but are addressed by position;
//! * the train number changing en route (`station_train_code` per stop);
//! * day rollover: `arrive_day_diff` counts days from the first listed stop's
//!   departure day. `running_time` is *not* used for times: in 17 trains the
//!   first listed stop is not the real origin and `running_time` is measured
//!   from somewhere else, while clock time + `arrive_day_diff` is consistent
//!   everywhere (checked: never decreasing along any train);
//! * spaced names (`贵  阳北`): whitespace is removed from every name.
//!
//! Times are minutes since midnight of the train's day 0, the day it leaves
//! its first listed stop, so a train calling at 01:41 the next day has
//! `arrive == 1440 + 101`.

mod parse;

use std::sync::{Arc, OnceLock};

// FNV rather than SipHash: the keys are our own embedded data, and the
// look-ups while parsing are a visible share of start-up time.
use fnv::FnvHashMap as HashMap;

/// The embedded timetable CSVs.
const TRAINS_CSV: &str = include_str!("../../../../data/timetable/trains.csv");
const STOPS_CSV: &str = include_str!("../../../../data/timetable/train_stops.csv");

/// The embedded timetable, once parsed.
static EMBEDDED: OnceLock<Timetable> = OnceLock::new();

/// Minutes in a day.
pub const DAY_MINUTES: u32 = 24 * 60;

/// Why the timetable CSVs could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum TimetableError {
    #[error("{file}: {source}")]
    Csv {
        file: &'static str,
        #[source]
        source: csv::Error,
    },
    #[error("{file} line {line}: {problem}")]
    Record {
        file: &'static str,
        line: u64,
        problem: String,
    },
}

/// One stop of a train.
#[derive(Debug, Clone)]
pub struct Stop {
    /// 12306's `station_no`; may skip numbers.
    pub station_no: u16,
    /// Station name with whitespace removed.
    pub station_name: Arc<str>,
    /// Telecode from the 2026 list; `None` for names missing from it.
    pub telecode: Option<Arc<str>>,
    /// The train number shown at this stop (`station_train_code`).
    pub train_code: Arc<str>,
    /// Arrival, minutes since midnight of day 0. `None` only at the first
    /// stop when 12306 lists no arrival (`----`).
    pub arrive: Option<u32>,
    /// Departure, minutes since midnight of day 0 (equals `arrive` at the
    /// terminus).
    pub depart: u32,
}

impl Stop {
    /// Arrival if listed, else departure: when the train is at the station.
    pub fn arrive_or_depart(&self) -> u32 {
        self.arrive.unwrap_or(self.depart)
    }

    /// Minutes the train stands at this stop.
    pub fn dwell(&self) -> u32 {
        self.depart - self.arrive_or_depart()
    }
}

/// One train with its stops in calling order.
#[derive(Debug, Clone)]
pub struct Train {
    /// 12306 internal number (`24000000G10I`), unique.
    pub train_no: String,
    /// The first stop's train code (`G1`); other stops may show another.
    pub train_code: Arc<str>,
    /// 12306 `train_class_name`: 高速, 动车, 直特, 特快, 快速, 普快, 普客, 市郊, 快慢.
    pub class_name: String,
    /// At least one stop (one train in the data has exactly one).
    pub stops: Vec<Stop>,
}

impl Train {
    /// Position of the first stop with this (normalised) name.
    pub fn stop_index(&self, station_name: &str) -> Option<usize> {
        let name = normalize_name(station_name);
        self.stops
            .iter()
            .position(|stop| *stop.station_name == *name)
    }

    /// The first stop.
    pub fn origin(&self) -> &Stop {
        &self.stops[0]
    }

    /// The last stop.
    pub fn terminus(&self) -> &Stop {
        &self.stops[self.stops.len() - 1]
    }

    /// Whether any stop shows this train code.
    pub fn has_code(&self, code: &str) -> bool {
        self.stops.iter().any(|stop| *stop.train_code == *code)
    }
}

/// A ride on one train from one of its stops to a later one.
#[derive(Debug, Clone, Copy)]
pub struct Segment<'a> {
    pub train: &'a Train,
    /// Index into `train.stops` of the boarding stop.
    pub from: usize,
    /// Index into `train.stops` of the alighting stop (`> from`).
    pub to: usize,
}

impl<'a> Segment<'a> {
    pub fn from_stop(&self) -> &'a Stop {
        &self.train.stops[self.from]
    }

    pub fn to_stop(&self) -> &'a Stop {
        &self.train.stops[self.to]
    }

    /// The train code at the boarding stop: what a passenger's ticket shows.
    pub fn train_code(&self) -> &'a str {
        &self.from_stop().train_code
    }

    /// Departure from the boarding stop, minutes since midnight of day 0.
    pub fn depart(&self) -> u32 {
        self.from_stop().depart
    }

    /// Arrival at the alighting stop, minutes since midnight of day 0.
    pub fn arrive(&self) -> u32 {
        self.to_stop().arrive_or_depart()
    }

    /// Travel time in minutes.
    pub fn minutes(&self) -> u32 {
        self.arrive() - self.depart()
    }

    /// Travel time without the dwell at intermediate stops.
    pub fn moving_minutes(&self) -> u32 {
        let dwell: u32 = self.train.stops[self.from + 1..self.to]
            .iter()
            .map(Stop::dwell)
            .sum();
        self.minutes() - dwell
    }

    /// Stops between boarding and alighting.
    pub fn intermediate_stops(&self) -> usize {
        self.to - self.from - 1
    }

    /// Days between the departure date and the arrival date (0 = same day).
    pub fn arrive_days(&self) -> u32 {
        self.arrive() / DAY_MINUTES - self.depart() / DAY_MINUTES
    }
}

/// Every train calling at one station, as (train index, stop index).
#[derive(Debug, Default)]
struct Calls {
    calls: Vec<(u32, u16)>,
}

/// The whole timetable with its look-up indexes. Immutable once built.
#[derive(Debug)]
pub struct Timetable {
    trains: Vec<Train>,
    by_no: HashMap<String, u32>,
    /// Every stop's code → train, so a code shown mid-route (C1303 of the
    /// C1302/C1303 train) finds the train. Codes are unique across trains in
    /// the data (checked at parse time).
    by_code: HashMap<Arc<str>, u32>,
    /// Normalised station name → calls, for "trains calling at A, later B".
    by_station: HashMap<Arc<str>, Calls>,
    stop_count: usize,
}

/// Remove all whitespace: `贵  阳北` → `贵阳北`.
pub fn normalize_name(name: &str) -> String {
    name.chars().filter(|c| !c.is_whitespace()).collect()
}

impl Timetable {
    /// The embedded 2023-12-15 timetable, parsed once on first use (about
    /// 0.1 s in a release build; see [`Timetable::preload_in_background`]).
    pub fn embedded() -> &'static Timetable {
        EMBEDDED.get_or_init(|| {
            let started = std::time::Instant::now();
            let timetable = Timetable::parse(TRAINS_CSV, STOPS_CSV)
                .expect("the embedded timetable is valid (checked by unit tests)");
            tracing::debug!(
                trains = timetable.len(),
                stops = timetable.stop_count(),
                elapsed_ms = started.elapsed().as_millis() as u64,
                "timetable loaded"
            );
            timetable
        })
    }

    /// The embedded timetable if it has been parsed already.
    pub fn embedded_if_loaded() -> Option<&'static Timetable> {
        EMBEDDED.get()
    }

    /// Start parsing the embedded timetable on a thread of its own, so a
    /// server can start listening at once; [`Timetable::embedded`] then
    /// waits for that parse instead of starting another.
    pub fn preload_in_background() {
        if EMBEDDED.get().is_some() {
            return;
        }
        let spawned = std::thread::Builder::new()
            .name("timetable-load".into())
            .spawn(|| {
                Timetable::embedded();
            });
        if let Err(error) = spawned {
            // Not fatal: the first query parses it instead.
            tracing::warn!(%error, "could not start the timetable loader thread");
        }
    }
    /// Parse `trains.csv` and `train_stops.csv` (formats in SOURCES.md).
    pub fn parse(trains_csv: &str, stops_csv: &str) -> Result<Timetable, TimetableError> {
        parse::parse(trains_csv, stops_csv)
    }

    /// Number of trains.
    pub fn len(&self) -> usize {
        self.trains.len()
    }

    /// True if there is no train.
    pub fn is_empty(&self) -> bool {
        self.trains.is_empty()
    }

    /// Number of stop records.
    pub fn stop_count(&self) -> usize {
        self.stop_count
    }

    /// All trains, in `trains.csv` order.
    pub fn trains(&self) -> impl Iterator<Item = &Train> {
        self.trains.iter()
    }

    /// Whether any train calls at this station (name normalised).
    pub fn serves(&self, station_name: &str) -> bool {
        self.by_station
            .contains_key(normalize_name(station_name).as_str())
    }

    /// Normalised names of every station some train calls at.
    pub fn station_names(&self) -> impl Iterator<Item = &str> {
        self.by_station.keys().map(|name| &**name)
    }

    /// The train with this 12306 internal number.
    pub fn train_by_no(&self, train_no: &str) -> Option<&Train> {
        let index = *self.by_no.get(train_no.trim())?;
        Some(&self.trains[index as usize])
    }

    /// The train showing this code at any of its stops (`C1303` finds the
    /// C1302/C1303 train). ASCII case-insensitive.
    pub fn train_by_code(&self, code: &str) -> Option<&Train> {
        let code = code.trim().to_ascii_uppercase();
        let index = *self.by_code.get(code.as_str())?;
        Some(&self.trains[index as usize])
    }

    /// Every train calling at `from_name` and later at `to_name` (exact
    /// station names, whitespace ignored), ordered by the departure time of
    /// day at `from_name`, then train number. A train that passes `from`
    /// twice (circle lines) appears once, boarding at the first call that has
    /// a later call at `to`.
    pub fn trains_between(&self, from_name: &str, to_name: &str) -> Vec<Segment<'_>> {
        let from = normalize_name(from_name);
        let to = normalize_name(to_name);
        let Some(calls) = self.by_station.get(from.as_str()) else {
            return Vec::new();
        };
        let mut segments: Vec<Segment<'_>> = Vec::new();
        for &(train_index, stop_index) in &calls.calls {
            let train = &self.trains[train_index as usize];
            if segments
                .last()
                .is_some_and(|last| std::ptr::eq(last.train, train))
            {
                continue;
            }
            let from_index = stop_index as usize;
            let later = train.stops[from_index + 1..]
                .iter()
                .position(|stop| *stop.station_name == *to);
            if let Some(offset) = later {
                segments.push(Segment {
                    train,
                    from: from_index,
                    to: from_index + 1 + offset,
                });
            }
        }
        segments.sort_by(|a, b| {
            (a.depart() % DAY_MINUTES)
                .cmp(&(b.depart() % DAY_MINUTES))
                .then_with(|| a.train.train_no.cmp(&b.train.train_no))
        });
        segments
    }
}

#[cfg(test)]
mod tests;
