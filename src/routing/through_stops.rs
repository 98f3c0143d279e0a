//! Buying through stops (买长乘短): when the segment a traveller asked for
//! is short of tickets, 12306 often still sells a longer segment of the
//! same train (its quotas are per segment), and the traveller may ride
//! just part of it. For each short train this asks for its stop list, then
//! searches the longer segments that cover the journey, nearest first, and
//! offers the first that has the tickets.
//!
//! Every provider call counts against a per-Search budget
//! (`search.through_stops_max_calls`): a stop list is one call, a segment
//! search one per provider asked, whether or not the cache answers it. The
//! budget is spent on the earliest short trains first.

use super::{Router, capabilities::Capability};
use crate::domain::{ProviderId, SeatOffer, Stop, TrainOption};
use crate::providers::{SearchQuery, StopsQuery};
use chrono::Days;
use std::sync::Arc;

/// A longer ticket for a train the traveller cannot get on their segment.
#[derive(Debug, Clone)]
pub struct ThroughStopOffer {
    /// The train as the traveller rides it (the segment they searched).
    pub ride: Arc<TrainOption>,
    /// The segment the ticket names, with only the seat offers that have
    /// enough tickets for the party.
    pub ticket: TrainOption,
}

impl ThroughStopOffer {
    /// What the ticket costs over the traveller's own segment in the same
    /// class from the same provider, if the segment lists that class.
    pub fn extra_fare(&self, seat: &SeatOffer) -> Option<i64> {
        self.ride
            .seats
            .iter()
            .find(|own| own.seat_class == seat.seat_class && own.provider == seat.provider)
            .map(|own| seat.price.get() - own.price.get())
    }
}

/// Whether no seat class of `train` has `party` tickets left.
pub fn is_short(train: &TrainOption, party: u32) -> bool {
    train.seats.iter().all(|seat| seat.remaining < party)
}

/// Provider calls left for one Search.
#[derive(Debug)]
struct CallBudget(u32);

impl CallBudget {
    /// Takes `calls` from the budget if it has them.
    fn take(&mut self, calls: u32) -> bool {
        match self.0.checked_sub(calls) {
            Some(left) => {
                self.0 = left;
                true
            }
            None => false,
        }
    }
}

impl Router {
    /// Through-stop offers for the trains of a search result that are short
    /// for a party of `party`, spending at most the configured number of
    /// provider calls. `only` limits the providers searched, as in Search.
    pub async fn through_stop_offers(
        &self,
        trains: &[Arc<TrainOption>],
        party: u32,
        only: &[ProviderId],
    ) -> Vec<ThroughStopOffer> {
        let searched = self
            .providers()
            .filter(|provider| only.is_empty() || only.contains(provider))
            .count() as u32;
        let mut budget = CallBudget(self.through_stops_max_calls);
        let mut offers = Vec::new();
        for train in trains.iter().filter(|train| is_short(train, party)) {
            // A stop list and at least one segment search, or stop.
            if budget.0 < 1 + searched {
                break;
            }
            if let Some(offer) = self
                .through_stop_offer(train, party, only, searched, &mut budget)
                .await
            {
                offers.push(offer);
            }
        }
        offers
    }

    async fn through_stop_offer(
        &self,
        train: &Arc<TrainOption>,
        party: u32,
        only: &[ProviderId],
        searched: u32,
        budget: &mut CallBudget,
    ) -> Option<ThroughStopOffer> {
        // Stop lists are looked up by 12306's train number.
        if train.train_no.is_empty() {
            return None;
        }
        let provider = train
            .seats
            .first()
            .map(|seat| seat.provider)
            .filter(|provider| super::capabilities::supports(*provider, Capability::Stops))
            .unwrap_or(ProviderId::Panhe);
        budget.take(1);
        let query = StopsQuery {
            train_code: train.train_code.clone(),
            train_no: train.train_no.clone(),
            date: train.departure.date(),
            from_station: train.from_station.name.clone(),
            to_station: train.to_station.name.clone(),
        };
        let stops = match self.stops(provider, &query).await {
            Ok(stops) => stops,
            Err(error) => {
                tracing::debug!(train = %train.train_code, %error, "no stop list for through stops");
                return None;
            }
        };
        let segments = longer_segments(&stops, &train.from_station.name, &train.to_station.name);
        for (board, alight) in segments {
            let (board, alight) = (&stops[board], &stops[alight]);
            if board.station.telecode.is_empty() || alight.station.telecode.is_empty() {
                continue;
            }
            if !budget.take(searched) {
                break;
            }
            let query = SearchQuery {
                from: board.station.clone(),
                to: alight.station.clone(),
                date: boarding_date(train, &stops, board)?,
            };
            let Ok(result) = self.search(&query, only).await else {
                continue;
            };
            let Some(found) = result
                .trains
                .iter()
                .find(|candidate| candidate.train_code == train.train_code)
            else {
                continue;
            };
            let seats: Vec<SeatOffer> = found
                .seats
                .iter()
                .filter(|seat| seat.remaining >= party)
                .cloned()
                .collect();
            if !seats.is_empty() {
                let mut ticket = TrainOption::clone(found);
                ticket.seats = seats;
                return Some(ThroughStopOffer {
                    ride: Arc::clone(train),
                    ticket,
                });
            }
        }
        None
    }
}

/// The travel date at `board`: the train's date at the traveller's own
/// boarding station, less the days the train runs between the two.
fn boarding_date(train: &TrainOption, stops: &[Stop], board: &Stop) -> Option<chrono::NaiveDate> {
    let own = stops
        .iter()
        .find(|stop| stop.station.name == train.from_station.name)?;
    let days = own.day_offset.checked_sub(board.day_offset)?;
    train
        .departure
        .date()
        .checked_sub_days(Days::new(u64::from(days)))
}

/// (boarding, alighting) stop indexes of the segments that cover the
/// journey `from` → `to` and are longer than it: nearest first, and at the
/// same length, alighting later before boarding earlier (the traveller
/// then boards where the ticket says).
pub fn longer_segments(stops: &[Stop], from: &str, to: &str) -> Vec<(usize, usize)> {
    let position = |name: &str| stops.iter().position(|stop| stop.station.name == name);
    let (Some(from), Some(to)) = (position(from), position(to)) else {
        return Vec::new();
    };
    if from >= to {
        return Vec::new();
    }
    let mut segments: Vec<(usize, usize)> = (0..=from)
        .flat_map(|board| (to..stops.len()).map(move |alight| (board, alight)))
        .filter(|&segment| segment != (from, to))
        .collect();
    segments.sort_by_key(|&(board, alight)| ((from - board) + (alight - to), from - board));
    segments
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stations::StationDirectory;

    fn stops(names: &[&str]) -> Vec<Stop> {
        names
            .iter()
            .zip(1..)
            .map(|(name, sequence)| Stop {
                sequence,
                station: StationDirectory::embedded().by_name(name).unwrap().clone(),
                arrival: None,
                departure: None,
                stop_minutes: 0,
                day_offset: u32::from(sequence >= 4),
            })
            .collect()
    }

    fn train_with_seats(remaining: &[u32]) -> TrainOption {
        let station = |name: &str| StationDirectory::embedded().by_name(name).unwrap().clone();
        let departure = chrono::NaiveDate::from_ymd_opt(2026, 12, 8)
            .unwrap()
            .and_hms_opt(9, 0, 0)
            .unwrap();
        TrainOption {
            train_code: "G1".into(),
            train_no: "24000000G10I".into(),
            train_type: crate::domain::TrainType::HighSpeed,
            from_station: station("天津南"),
            to_station: station("南京南"),
            departure,
            arrival: departure + chrono::TimeDelta::hours(3),
            arrival_day_offset: 0,
            duration_minutes: 180,
            origin_station_name: "北京南".into(),
            terminal_station_name: "上海虹桥".into(),
            seat_choice_supported: true,
            berth_choice_supported: false,
            seats: remaining
                .iter()
                .map(|&left| SeatOffer {
                    seat_class: crate::domain::SeatClass::Second,
                    price: crate::domain::Fen::new(10_000),
                    remaining: left,
                    berth_prices: Vec::new(),
                    provider: ProviderId::Panhe,
                    offer_id: String::new(),
                })
                .collect(),
        }
    }

    #[test]
    fn the_boarding_date_steps_back_over_midnight() {
        let run = stops(&["北京南", "天津南", "济南西", "南京南", "上海虹桥"]);
        let mut train = train_with_seats(&[]);
        train.from_station = run[3].station.clone();
        // 南京南 is a day after 北京南 in this run.
        assert_eq!(
            boarding_date(&train, &run, &run[0]),
            chrono::NaiveDate::from_ymd_opt(2026, 12, 7)
        );
        assert_eq!(
            boarding_date(&train, &run, &run[3]),
            chrono::NaiveDate::from_ymd_opt(2026, 12, 8)
        );
    }

    #[test]
    fn longer_segments_come_nearest_first_alighting_later_first() {
        let run = stops(&["北京南", "天津南", "济南西", "南京南", "上海虹桥"]);
        // Journey 天津南 (1) → 南京南 (3).
        assert_eq!(
            longer_segments(&run, "天津南", "南京南"),
            [(1, 4), (0, 3), (0, 4)]
        );
        // From the origin to the terminus there is nothing longer.
        assert!(longer_segments(&run, "北京南", "上海虹桥").is_empty());
        // Unknown stations or the wrong direction: nothing.
        assert!(longer_segments(&run, "上海虹桥", "北京南").is_empty());
        assert!(longer_segments(&run, "广州南", "南京南").is_empty());
    }

    #[test]
    fn a_train_is_short_when_no_class_seats_the_party() {
        let mut train = train_with_seats(&[0, 2]);
        assert!(!is_short(&train, 2));
        assert!(is_short(&train, 3));
        train.seats.clear();
        assert!(is_short(&train, 1));
    }

    #[test]
    fn the_budget_is_never_overspent() {
        let mut budget = CallBudget(3);
        assert!(budget.take(2));
        assert!(!budget.take(2));
        assert!(budget.take(1));
        assert!(!budget.take(1));
    }
}
