//! Parsing the timetable CSVs: interning names, resolving clock times and
//! day offsets into minutes since day 0, and building the indexes.

use std::sync::Arc;

use fnv::FnvHashMap as HashMap;

use super::{Calls, DAY_MINUTES, Stop, Timetable, TimetableError, Train, normalize_name};

/// A first stop's listed arrival is believed only if it is at most this long
/// before the departure; beyond that it is noise (`00:00` before `11:14`).
const MAX_ORIGIN_DWELL: u32 = 120;

/// `HH:MM` → minutes; `None` for `----` or anything malformed.
fn parse_clock(text: &str) -> Option<u32> {
    let (hours, minutes) = text.split_once(':')?;
    let hours: u32 = hours.parse().ok()?;
    let minutes: u32 = minutes.parse().ok()?;
    (minutes < 60).then_some(hours * 60 + minutes)
}

/// Train codes shared between stops and the code index (one allocation per
/// code instead of one per stop).
#[derive(Default)]
struct Interner {
    strings: HashMap<String, Arc<str>>,
}

impl Interner {
    fn get(&mut self, text: &str) -> Arc<str> {
        match self.strings.get(text) {
            Some(shared) => shared.clone(),
            None => {
                let shared: Arc<str> = Arc::from(text);
                self.strings.insert(text.to_owned(), shared.clone());
                shared
            }
        }
    }
}

/// Station names with their telecode, shared by every stop at the station.
#[derive(Default)]
struct StationInterner {
    stations: HashMap<String, (Arc<str>, Option<Arc<str>>)>,
}

impl StationInterner {
    /// The shared name and telecode; the first non-empty telecode wins (the
    /// CSV derives telecodes from names, so they agree anyway).
    fn get(&mut self, name: &str, telecode: &str) -> (Arc<str>, Option<Arc<str>>) {
        let entry = match self.stations.get_mut(name) {
            Some(entry) => entry,
            None => self
                .stations
                .entry(name.to_owned())
                .or_insert_with(|| (Arc::from(name), None)),
        };
        if entry.1.is_none() && !telecode.is_empty() {
            entry.1 = Some(Arc::from(telecode));
        }
        (entry.0.clone(), entry.1.clone())
    }
}

/// A stop row before times are resolved against the previous stop.
struct RawStop {
    line: u64,
    station_no: u16,
    station_name: Arc<str>,
    telecode: Option<Arc<str>>,
    train_code: Arc<str>,
    arrive_clock: Option<u32>,
    depart_clock: Option<u32>,
    day_diff: u32,
}

/// Parse `trains.csv` and `train_stops.csv` into an indexed timetable.
pub(super) fn parse(trains_csv: &str, stops_csv: &str) -> Result<Timetable, TimetableError> {
    let mut interner = Interner::default();
    let mut trains = Vec::new();
    let mut by_no = HashMap::default();
    let csv_error = |file| move |source| TimetableError::Csv { file, source };

    // One reused record per file: allocating a record per row costs
    // more than everything else in the parse.
    let mut record = csv::StringRecord::new();
    let mut reader = csv::Reader::from_reader(trains_csv.as_bytes());
    while reader
        .read_record(&mut record)
        .map_err(csv_error("trains.csv"))?
    {
        let line = record.position().map_or(0, |p| p.line());
        let field = |i: usize| record.get(i).unwrap_or("");
        let train_no = field(0).to_owned();
        if train_no.is_empty() {
            return Err(problem("trains.csv", line, "empty train_no".into()));
        }
        let index = trains.len() as u32;
        if by_no.insert(train_no.clone(), index).is_some() {
            return Err(problem(
                "trains.csv",
                line,
                format!("duplicate train_no {train_no}"),
            ));
        }
        trains.push(Train {
            train_no,
            train_code: interner.get(field(1)),
            class_name: field(2).to_owned(),
            stops: Vec::new(),
        });
    }

    let mut raw_stops: Vec<Vec<RawStop>> = trains.iter().map(|_| Vec::new()).collect();
    let mut reader = csv::Reader::from_reader(stops_csv.as_bytes());
    let mut stop_count = 0;
    let mut stations = StationInterner::default();
    let mut current: Option<u32> = None;
    while reader
        .read_record(&mut record)
        .map_err(csv_error("train_stops.csv"))?
    {
        let line = record.position().map_or(0, |p| p.line());
        let field = |i: usize| record.get(i).unwrap_or("");
        // Rows come grouped by train: look the train up only when it
        // changes.
        if current.is_none_or(|index| trains[index as usize].train_no != field(0)) {
            let Some(&index) = by_no.get(field(0)) else {
                let message = format!("train_no {} not in trains.csv", field(0));
                return Err(problem("train_stops.csv", line, message));
            };
            current = Some(index);
        }
        let train = current.unwrap_or_default() as usize;
        let station_no = field(1).parse().map_err(|_| {
            problem(
                "train_stops.csv",
                line,
                format!("bad station_no {:?}", field(1)),
            )
        })?;
        // Allocate only for the few spaced names.
        let raw_name = field(2);
        let name = if raw_name.contains(char::is_whitespace) {
            std::borrow::Cow::Owned(normalize_name(raw_name))
        } else {
            std::borrow::Cow::Borrowed(raw_name)
        };
        if name.is_empty() {
            return Err(problem(
                "train_stops.csv",
                line,
                "empty station_name".into(),
            ));
        }
        let depart_clock = parse_clock(field(6));
        if depart_clock.is_none() && field(6) != "----" {
            let message = format!("bad depart_time {:?}", field(6));
            return Err(problem("train_stops.csv", line, message));
        }
        let (station_name, telecode) = stations.get(&name, field(3));
        // The code rarely changes between consecutive stops.
        let train_code = match raw_stops[train].last() {
            Some(previous) if *previous.train_code == *field(4) => previous.train_code.clone(),
            _ => interner.get(field(4)),
        };
        raw_stops[train].push(RawStop {
            line,
            station_no,
            station_name,
            telecode,
            train_code,
            arrive_clock: parse_clock(field(5)),
            depart_clock,
            day_diff: field(7).parse().unwrap_or(0),
        });
        stop_count += 1;
    }

    let mut by_code: HashMap<Arc<str>, u32> = HashMap::default();
    let mut by_station: HashMap<Arc<str>, Calls> = HashMap::default();
    for (index, (train, mut raw)) in trains.iter_mut().zip(raw_stops).enumerate() {
        if raw.is_empty() {
            let message = format!("train {} has no stops", train.train_no);
            return Err(problem("train_stops.csv", 0, message));
        }
        // The rows are in calling order in the data; sort anyway, stably,
        // so a shuffled file still parses the same.
        raw.sort_by_key(|stop| stop.station_no);
        train.stops = resolve_times(raw)?;
        for (stop_index, stop) in train.stops.iter().enumerate() {
            let owner = *by_code
                .entry(stop.train_code.clone())
                .or_insert(index as u32);
            if owner != index as u32 {
                let message = format!("train code {} used by two trains", stop.train_code);
                return Err(problem("train_stops.csv", 0, message));
            }
            let calls = by_station.entry(stop.station_name.clone()).or_default();
            calls.calls.push((index as u32, stop_index as u16));
        }
    }

    Ok(Timetable {
        trains,
        by_no,
        by_code,
        by_station,
        stop_count,
    })
}

fn problem(file: &'static str, line: u64, problem: String) -> TimetableError {
    TimetableError::Record {
        file,
        line,
        problem,
    }
}

/// Turn one train's rows into stops with absolute minutes since day 0.
fn resolve_times(raw: Vec<RawStop>) -> Result<Vec<Stop>, TimetableError> {
    let count = raw.len();
    let mut stops: Vec<Stop> = Vec::with_capacity(count);
    for (position, row) in raw.into_iter().enumerate() {
        let is_last = position + 1 == count;
        let (arrive, depart) = if position == 0 {
            let Some(depart) = row.depart_clock else {
                let message = "first stop has no departure time".to_owned();
                return Err(problem("train_stops.csv", row.line, message));
            };
            // A one-stop train (C5501 in the data) departs and arrives at once.
            let arrive = origin_arrival(row.arrive_clock, depart);
            (arrive, depart)
        } else {
            let previous_depart = stops[position - 1].depart;
            let arrive = match row.arrive_clock {
                Some(clock) => {
                    let mut minutes = clock + row.day_diff * DAY_MINUTES;
                    // Never seen in the data, but a missing day increment
                    // would otherwise make the train travel back in time.
                    while minutes < previous_depart {
                        minutes += DAY_MINUTES;
                    }
                    minutes
                }
                None => previous_depart,
            };
            let depart = match (row.depart_clock, row.arrive_clock) {
                _ if is_last => arrive,
                (Some(depart), Some(arrive_clock)) => {
                    arrive + (depart + DAY_MINUTES - arrive_clock) % DAY_MINUTES
                }
                _ => arrive,
            };
            (Some(arrive), depart)
        };
        stops.push(Stop {
            station_no: row.station_no,
            station_name: row.station_name,
            telecode: row.telecode,
            train_code: row.train_code,
            arrive,
            depart,
        });
    }
    Ok(stops)
}

/// The first stop's arrival: listed (`07:22` before `07:24` where the data
/// starts mid-route, or equal to the departure), or `None` for `----` and
/// implausible values.
fn origin_arrival(arrive_clock: Option<u32>, depart: u32) -> Option<u32> {
    let arrive_clock = arrive_clock?;
    let dwell = (depart + DAY_MINUTES - arrive_clock) % DAY_MINUTES;
    (dwell <= MAX_ORIGIN_DWELL && dwell <= depart).then(|| depart - dwell)
}
