//! Panhe (磐河) train API adapter (seed 002): neutral requests in, neutral
//! answers out. `wire` holds Panhe's JSON, `mapping` its code tables,
//! `codes` its failure classifier, `client` the HTTP transport and `paths`
//! the endpoint table shared with the simulator.

pub mod account_wire;
pub mod accounts;
pub mod booking;
pub mod client;
pub mod codes;
pub mod credentials;
pub mod mapping;
pub mod order_mapping;
pub mod order_sync;
pub mod order_wire;
pub mod paths;
pub mod sign;
pub mod wire;

pub use client::{PanheClient, PanheClientConfig};
pub use paths::PanhePaths;

use crate::domain::offer::TrainOffers;
use crate::domain::{Fen, Offer, ProviderId, SeatClass, SeatOffer, Stop, TrainOption};
pub use crate::providers::SearchAnswer;
use crate::providers::{ProviderError, SearchQuery, StopsQuery};
use crate::stations::{Station, StationDirectory};
use chrono::Timelike;
use std::borrow::Cow;

const PROVIDER: ProviderId = ProviderId::Panhe;
const DATE_FORMAT: &str = "%Y-%m-%d";

/// The Panhe adapter.
#[derive(Debug, Clone)]
pub struct PanheAdapter {
    client: PanheClient,
    stations: &'static StationDirectory,
}

impl PanheAdapter {
    /// An adapter over `client`, naming stations from `stations`.
    pub fn new(client: PanheClient, stations: &'static StationDirectory) -> Self {
        Self { client, stations }
    }

    /// The base URL in use.
    pub fn base_url(&self) -> &str {
        self.client.base_url()
    }

    /// 余票查询 → trains with fares and availability.
    pub async fn search(&self, query: &SearchQuery) -> Result<SearchAnswer, ProviderError> {
        let request = wire::QueryTicketsRequest {
            from_station: &query.from.name,
            to_station: &query.to.name,
            from_date: query.date.format(DATE_FORMAT).to_string(),
        };
        // Read in place: the answer's strings borrow from this body.
        let path = &self.client.paths.query_tickets;
        let body = self.client.post(path, &request).await?;
        search_answer(&body, path, &request, self.stations)
    }

    /// 经停站查询V2 → the train's stops in running order.
    pub async fn stops(&self, query: &StopsQuery) -> Result<Vec<Stop>, ProviderError> {
        let request = wire::StopStationsV2Request {
            train_code: &query.train_code,
            train_no: &query.train_no,
            from_date: query.date.format(DATE_FORMAT).to_string(),
            from_station: &query.from_station,
            to_station: &query.to_station,
        };
        let stops: Vec<wire::StopStation> = self
            .client
            .call(&self.client.paths.stop_stations_v2, &request)
            .await?;
        stops_from_wire(stops, self.stations)
    }

    /// 火车站列表 → Panhe's station list (static data: Panhe asks callers to
    /// fetch it at most 10 times a day).
    pub async fn station_list(&self) -> Result<Vec<Station>, ProviderError> {
        let entries: Vec<wire::StationEntry> = self
            .client
            .call(
                &self.client.paths.station_list,
                &wire::StationListRequest {},
            )
            .await?;
        Ok(entries
            .into_iter()
            .map(|entry| Station {
                city: self
                    .stations
                    .by_telecode(&entry.station_code)
                    .map(|known| known.city.clone())
                    .unwrap_or_default(),
                telecode: entry.station_code,
                name: entry.station_name,
                pinyin: entry.station_pin_yin,
                short_pinyin: entry.station_short_char,
            })
            .collect())
    }
}

/// Reads the 余票查询 answer `body` to `request` (sent to `path`): its
/// trains, by departure, named from `stations`. A train or seat with an
/// unknown code is skipped and noted; anything else unreadable fails the
/// whole answer. (What [`PanheAdapter::search`] does with an answer; public
/// for the fuzz targets, `crate::fuzzing`.)
pub fn search_answer(
    body: &[u8],
    path: &str,
    request: &wire::QueryTicketsRequest<'_>,
    stations: &StationDirectory,
) -> Result<SearchAnswer, ProviderError> {
    let data: wire::QueryTicketsData = client::unwrap_answer(body, path, request)?;
    let mut answer = SearchAnswer::default();
    let mut stations = StationMemo::new(stations);
    for line in data.train_lines.unwrap_or_default() {
        match train_option(&mut stations, line, &mut answer.skipped) {
            Ok(train) => answer.trains.push(train),
            Err(ProviderError::UnknownCode { field, value, .. }) => {
                answer
                    .skipped
                    .push(format!("a train with unknown {field} {value}"));
            }
            Err(error) => return Err(error),
        }
    }
    answer.trains.sort_by_key(|train| train.departure);
    Ok(answer)
}

/// Maps one train of a search answer; unknown seat codes are skipped and
/// noted, an unknown train type fails the train.
fn train_option(
    stations: &mut StationMemo<'_>,
    line: wire::TrainLine<'_>,
    skipped: &mut Vec<String>,
) -> Result<TrainOption, ProviderError> {
    let train_type = mapping::train_type_from_code(line.trains_type, &line.train_code)
        .ok_or_else(|| unknown("trainsType", line.trains_type))?;
    let departure = mapping::parse_date_time(&line.from_date_time)
        .ok_or_else(|| malformed("fromDateTime", &line.from_date_time))?;
    let arrival = mapping::parse_date_time(&line.to_date_time)
        .ok_or_else(|| malformed("toDateTime", &line.to_date_time))?;
    let duration_minutes = mapping::parse_duration_minutes(&line.run_time)
        .ok_or_else(|| malformed("runTime", &line.run_time))?;
    let from_station = stations.named(&line.from_station);
    let to_station = stations.named(&line.to_station);
    // One offer for the whole train: its seats' ids differ only in the
    // seat class, and most of each id is written once per train.
    let offer = Offer {
        provider: PROVIDER,
        train_code: line.train_code.into_owned(),
        train_no: line.train_no.into_owned(),
        from_station: from_station.name.clone(),
        to_station: to_station.name.clone(),
        departure,
        arrival,
        // Each seat's id has its own class (see `TrainOffers`).
        seat_class: SeatClass::Other,
        provider_key: None,
        berth: None,
    };
    let offers = TrainOffers::new(&offer);
    let mut seats = Vec::new();
    for seat in line.seats.unwrap_or_default() {
        match seat_offer(seat, &offers) {
            Ok(seat) => seats.push(seat),
            Err(ProviderError::UnknownCode { field, value, .. }) => {
                skipped.push(format!(
                    "{}: a seat with unknown {field} {value}",
                    offer.train_code
                ));
            }
            Err(error) => return Err(error),
        }
    }
    Ok(TrainOption {
        // The seed documents seat choice for G/D trains only and its
        // example omits the flag, so absence means "by train type".
        seat_choice_supported: line.is_support_choose_seat.unwrap_or(matches!(
            train_type,
            crate::domain::TrainType::HighSpeed
                | crate::domain::TrainType::Emu
                | crate::domain::TrainType::Intercity
        )),
        berth_choice_supported: line.is_support_choose_sleeper.unwrap_or(false),
        train_code: offer.train_code,
        train_no: offer.train_no,
        train_type,
        from_station,
        to_station,
        departure,
        arrival,
        arrival_day_offset: line.arrive_days,
        duration_minutes,
        origin_station_name: line.begin_station.map(Cow::into_owned).unwrap_or_default(),
        terminal_station_name: line.end_station.map(Cow::into_owned).unwrap_or_default(),
        seats,
    })
}

/// Maps one seat class of a train, whose offer ids `offers` writes.
fn seat_offer(seat: wire::SeatInfo<'_>, offers: &TrainOffers) -> Result<SeatOffer, ProviderError> {
    let seat_class = mapping::seat_class_from_code(seat.seat_type)
        .ok_or_else(|| unknown("seatType", seat.seat_type))?;
    let price = to_fen("ticketPrice", seat.ticket_price)?;
    let remaining = u32::try_from(seat.left_ticket_num)
        .map_err(|_| malformed("leftTicketNum", &seat.left_ticket_num.to_string()))?;
    let mut berth_prices = Vec::new();
    for berth in seat.other_seats.unwrap_or_default() {
        let kind = mapping::berth_from_code(berth.sleeper_type)
            .ok_or_else(|| unknown("sleeperType", berth.sleeper_type))?;
        berth_prices.push((kind, to_fen("otherSeats.ticketPrice", berth.ticket_price)?));
    }
    berth_prices.sort();
    Ok(SeatOffer {
        seat_class,
        price,
        remaining,
        berth_prices,
        provider: PROVIDER,
        offer_id: offers.encode(seat_class),
    })
}

/// The stations one answer names, each looked up once: a search's trains
/// share a handful of stations, and a directory lookup is a binary search
/// over thousands of names.
struct StationMemo<'a> {
    directory: &'a StationDirectory,
    /// Each name as the answer spelled it, with its station.
    seen: Vec<(String, Station)>,
}

impl<'a> StationMemo<'a> {
    fn new(directory: &'a StationDirectory) -> Self {
        Self {
            directory,
            seen: Vec::new(),
        }
    }

    /// What [`station_named`] gives for `name`.
    fn named(&mut self, name: &str) -> Station {
        if let Some((_, station)) = self.seen.iter().find(|(seen, _)| seen == name) {
            return station.clone();
        }
        let station = station_named(self.directory, name);
        self.seen.push((name.to_owned(), station.clone()));
        station
    }
}

/// Maps stops, numbering days from the first departure: a time earlier
/// than the previous one means the train ran past midnight.
pub(crate) fn stops_from_wire(
    stops: Vec<wire::StopStation>,
    stations: &StationDirectory,
) -> Result<Vec<Stop>, ProviderError> {
    let mut day_offset = 0;
    let mut previous_minute: Option<u32> = None;
    let mut advance = |time: Option<chrono::NaiveTime>| {
        if let Some(time) = time {
            let minute = time.hour() * 60 + time.minute();
            if previous_minute.is_some_and(|previous| minute < previous) {
                day_offset += 1;
            }
            previous_minute = Some(minute);
        }
        day_offset
    };
    let last_index = stops.len().saturating_sub(1);
    stops
        .into_iter()
        .enumerate()
        .map(|(index, stop)| {
            let mut arrival = mapping::parse_stop_time(&stop.arrive_time)
                .map_err(|_| malformed("arriveTime", &stop.arrive_time))?;
            let mut departure = mapping::parse_stop_time(&stop.start_time)
                .map_err(|_| malformed("startTime", &stop.start_time))?;
            // Panhe repeats the departure as the origin's arrival and the
            // arrival as the terminus's departure; neither is a real time.
            if index == 0 {
                arrival = None;
            }
            if index == last_index && index != 0 {
                departure = None;
            }
            let stop_minutes = mapping::parse_interval_minutes(&stop.interval)
                .map_err(|_| malformed("interval", &stop.interval))?;
            let arrival_day = advance(arrival);
            let departure_day = advance(departure);
            Ok(Stop {
                sequence: stop.station_id,
                station: station_named(stations, &stop.station_name),
                arrival,
                departure,
                stop_minutes,
                day_offset: if arrival.is_some() {
                    arrival_day
                } else {
                    departure_day
                },
            })
        })
        .collect()
}

/// The directory's station for a provider-given name, or a station that
/// carries only the name when the directory does not know it (renamed or
/// closed stations still appear in timetables).
fn station_named(stations: &StationDirectory, name: &str) -> Station {
    stations.by_name(name).cloned().unwrap_or_else(|| Station {
        telecode: String::new(),
        name: name.to_owned(),
        pinyin: String::new(),
        short_pinyin: String::new(),
        city: String::new(),
    })
}

fn to_fen(field: &'static str, yuan: rust_decimal::Decimal) -> Result<Fen, ProviderError> {
    Fen::from_yuan(yuan).map_err(|error| malformed(field, &error.to_string()))
}

fn unknown(field: &'static str, value: impl ToString) -> ProviderError {
    ProviderError::UnknownCode {
        provider: PROVIDER,
        field,
        value: value.to_string(),
    }
}

fn malformed(field: &str, value: &str) -> ProviderError {
    ProviderError::Malformed {
        provider: PROVIDER,
        detail: format!("{field} {value:?}"),
    }
}

#[cfg(test)]
mod tests;
