//! The search cache against the routes it holds: resident memory and the
//! latency of a lookup that hits, at 1k, 10k and 100k cached routes.
//!
//! The cache is railgate's own (`SearchCache`), filled in this process
//! with one answer per route: each a deep copy of the trains railgate
//! gave for the bench route from Panhe (the answer a cached route really
//! holds, not a shared pointer to one). The cache grows from one size to
//! the next, and the figure is this process's resident memory (VmRSS)
//! above what it was before the first answer: freed memory the allocator
//! keeps would blur a fresh cache per size. railgate keeps at most
//! [`CAPACITY`] answers; the bench raises that to the largest size, so
//! the figure past it says what a larger cache would cost.

use super::Latency;
use crate::BenchError;
use crate::watch::resident_kib;
use chrono::{DateTime, NaiveDate};
use railgate::api::convert::{
    berth_from_proto, provider_from_proto, seat_class_from_proto, train_type_from_proto,
};
use railgate::domain::{Fen, ProviderId, SeatOffer, TrainOption, TrainType};
use railgate::proto as pb;
use railgate::routing::cache::{CAPACITY, ProviderAnswer, SearchCache, SearchKey};
use railgate::stations::{Station, StationDirectory};
use serde::Serialize;
use std::sync::Arc;
use std::time::{Duration, Instant};

pub const NAME: &str = "the search cache against the routes it holds";

/// The cache at one number of routes.
#[derive(Debug, Clone, Serialize)]
pub struct CachePoint {
    pub routes: u64,
    /// Answers the cache holds (all of them: capacity is not reached).
    pub kept: u64,
    /// Resident memory above the start, MiB.
    pub resident_mib: f64,
    /// That over the routes, KiB.
    pub kib_per_route: f64,
    /// Lookups of cached routes, spread over all of them.
    pub lookup: Latency,
}

/// The figures, and what one answer is.
#[derive(Debug, Clone, Serialize)]
pub struct CacheGrowth {
    /// "38 trains, 152 seat offers".
    pub answer: String,
    /// railgate's cap on cached answers.
    pub capacity: u64,
    pub points: Vec<CachePoint>,
}

/// Fills a cache to each of `sizes` (ascending) with copies of the Panhe
/// trains of `template`, measuring memory and `lookups` hits at each.
pub async fn cache_growth(
    template: &pb::SearchResponse,
    sizes: &[u64],
    lookups: usize,
) -> Result<CacheGrowth, BenchError> {
    let trains = panhe_trains(template, StationDirectory::embedded())?;
    let seats: usize = trains.iter().map(|train| train.seats.len()).sum();
    let largest = sizes.iter().copied().max().unwrap_or(0);
    let cache = SearchCache::with_capacity(Duration::from_secs(3_600), largest.max(1));
    let start_kib = resident_kib();
    let mut filled = 0;
    let mut points = Vec::new();
    for &size in sizes {
        eprintln!("bench: {NAME} ({size} routes)");
        while filled < size {
            let answer = ProviderAnswer {
                trains: trains.iter().cloned().map(Arc::new).collect(),
                skipped: Vec::new(),
                fetched_at: Instant::now(),
            };
            let fetched = cache.get_or_fetch(key(filled), async { Ok(answer) }).await;
            fetched.map_err(|error| BenchError::Setup(format!("cache fill: {error}")))?;
            filled += 1;
        }
        let kept = cache.entry_count().await;
        let resident_kib = resident_kib().saturating_sub(start_kib) as f64;
        let lookup = lookup_latency(&cache, size, lookups).await?;
        points.push(CachePoint {
            routes: size,
            kept,
            resident_mib: resident_kib / 1024.0,
            kib_per_route: resident_kib / size.max(1) as f64,
            lookup,
        });
    }
    Ok(CacheGrowth {
        answer: format!("{} trains, {seats} seat offers", trains.len()),
        capacity: CAPACITY,
        points,
    })
}

/// Route `number`'s key: a station pair of its own on one date.
fn key(number: u64) -> SearchKey {
    SearchKey {
        provider: ProviderId::Panhe,
        from: format!("F{number:06}"),
        to: format!("T{number:06}"),
        date: NaiveDate::from_ymd_opt(2026, 12, 20).unwrap_or_default(),
    }
}

/// `lookups` hits spread over the `routes` cached; a miss is an error (the
/// cache dropped what it was filled with).
async fn lookup_latency(
    cache: &SearchCache,
    routes: u64,
    lookups: usize,
) -> Result<Latency, BenchError> {
    let mut samples = Vec::with_capacity(lookups);
    for call in 0..lookups as u64 {
        let wanted = key((call * 7_919) % routes.max(1));
        let started = Instant::now();
        let answer = cache
            .get_or_fetch(wanted, async {
                // Never sent: a miss is reported below as the error it is.
                Err(railgate::providers::ProviderError::Malformed {
                    provider: ProviderId::Panhe,
                    detail: "the bench looked up a route it had not cached".into(),
                })
            })
            .await;
        samples.push(started.elapsed());
        answer.map_err(|error| BenchError::Setup(format!("cache lookup: {error}")))?;
    }
    Ok(Latency::of(samples))
}

/// The Panhe trains of `response` as railgate's cache holds them (only
/// Panhe's seat offers: the cache keeps one provider's answer per key).
fn panhe_trains(
    response: &pb::SearchResponse,
    stations: &StationDirectory,
) -> Result<Vec<TrainOption>, BenchError> {
    let station = |proto: &Option<pb::Station>| -> Result<Station, BenchError> {
        let telecode = proto
            .as_ref()
            .map_or("", |station| station.telecode.as_str());
        stations
            .by_telecode(telecode)
            .cloned()
            .ok_or_else(|| BenchError::Setup(format!("no station {telecode:?}")))
    };
    let time = |text: &str| {
        DateTime::parse_from_rfc3339(text)
            .map(|time| time.naive_local())
            .map_err(|error| BenchError::Setup(format!("time {text:?}: {error}")))
    };
    let mut trains = Vec::new();
    for train in &response.trains {
        let seats: Vec<SeatOffer> = train
            .seats
            .iter()
            .filter(|seat| provider_from_proto(seat.provider) == Some(ProviderId::Panhe))
            .filter_map(|seat| {
                Some(SeatOffer {
                    seat_class: seat_class_from_proto(seat.seat_class)?,
                    price: Fen::new(seat.price_fen),
                    remaining: u32::try_from(seat.remaining).unwrap_or(0),
                    berth_prices: seat
                        .berth_prices
                        .iter()
                        .filter_map(|berth| {
                            Some((berth_from_proto(berth.berth)?, Fen::new(berth.price_fen)))
                        })
                        .collect(),
                    provider: ProviderId::Panhe,
                    offer_id: seat.offer_id.clone(),
                })
            })
            .collect();
        if seats.is_empty() {
            continue;
        }
        trains.push(TrainOption {
            train_code: train.train_code.clone(),
            train_no: train.train_no.clone(),
            train_type: train_type_from_proto(train.train_type).unwrap_or(TrainType::Other),
            from_station: station(&train.from_station)?,
            to_station: station(&train.to_station)?,
            departure: time(&train.departure_time)?,
            arrival: time(&train.arrival_time)?,
            arrival_day_offset: u32::try_from(train.arrival_day_offset).unwrap_or(0),
            duration_minutes: u32::try_from(train.duration_minutes).unwrap_or(0),
            origin_station_name: train.origin_station_name.clone(),
            terminal_station_name: train.terminal_station_name.clone(),
            seat_choice_supported: train.seat_choice_supported,
            berth_choice_supported: train.berth_choice_supported,
            seats,
        });
    }
    if trains.is_empty() {
        return Err(BenchError::Setup(
            "the captured answer has no Panhe train".into(),
        ));
    }
    Ok(trains)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn station(telecode: &str) -> Option<pb::Station> {
        Some(pb::Station {
            telecode: telecode.into(),
            ..Default::default()
        })
    }

    fn seat(provider: pb::Provider, price_fen: i64) -> pb::SeatOffer {
        pb::SeatOffer {
            seat_class: pb::SeatClass::Second as i32,
            price_fen,
            remaining: 20,
            provider: provider as i32,
            offer_id: format!("offer-{price_fen}"),
            ..Default::default()
        }
    }

    #[test]
    fn the_cache_holds_panhes_trains_as_railgate_read_them() {
        let response = pb::SearchResponse {
            trains: vec![
                pb::TrainOption {
                    train_code: "G1".into(),
                    train_type: pb::TrainType::HighSpeed as i32,
                    from_station: station("VNP"),
                    to_station: station("AOH"),
                    departure_time: "2026-12-20T07:00:00+08:00".into(),
                    arrival_time: "2026-12-20T11:29:00+08:00".into(),
                    duration_minutes: 269,
                    seats: vec![
                        seat(pb::Provider::Panhe, 66_200),
                        seat(pb::Provider::Juhe, 66_300),
                    ],
                    ..Default::default()
                },
                // Juhe's alone: not in Panhe's answer.
                pb::TrainOption {
                    train_code: "G3".into(),
                    from_station: station("VNP"),
                    to_station: station("AOH"),
                    seats: vec![seat(pb::Provider::Juhe, 66_200)],
                    ..Default::default()
                },
            ],
            ..Default::default()
        };
        let trains = panhe_trains(&response, StationDirectory::embedded()).unwrap();
        assert_eq!(trains.len(), 1);
        let train = &trains[0];
        assert_eq!(train.train_code, "G1");
        assert_eq!(train.train_type, TrainType::HighSpeed);
        assert_eq!(train.from_station.telecode, "VNP");
        assert_eq!(train.departure.to_string(), "2026-12-20 07:00:00");
        assert_eq!(train.seats.len(), 1);
        assert_eq!(train.seats[0].price, Fen::new(66_200));
        assert_eq!(train.seats[0].provider, ProviderId::Panhe);
    }

    #[test]
    fn an_unknown_station_or_no_panhe_train_is_refused() {
        let unknown = pb::SearchResponse {
            trains: vec![pb::TrainOption {
                from_station: station("???"),
                to_station: station("AOH"),
                seats: vec![seat(pb::Provider::Panhe, 1)],
                ..Default::default()
            }],
            ..Default::default()
        };
        assert!(panhe_trains(&unknown, StationDirectory::embedded()).is_err());
        let empty = pb::SearchResponse::default();
        assert!(panhe_trains(&empty, StationDirectory::embedded()).is_err());
    }

    #[tokio::test]
    async fn every_filled_route_is_found() {
        let cache = SearchCache::with_capacity(Duration::from_secs(60), 10);
        for number in 0..10 {
            let answer = ProviderAnswer {
                trains: Vec::new(),
                skipped: Vec::new(),
                fetched_at: Instant::now(),
            };
            cache
                .get_or_fetch(key(number), async { Ok(answer) })
                .await
                .unwrap();
        }
        assert_eq!(cache.entry_count().await, 10);
        let latency = lookup_latency(&cache, 10, 25).await.unwrap();
        assert_eq!(latency.calls, 25);
        // A route never filled is a miss, reported as an error.
        assert!(lookup_latency(&cache, 11, 11).await.is_err());
    }
}
