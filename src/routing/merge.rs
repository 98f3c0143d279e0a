//! Merging providers' answers: the same train (same code, same departure)
//! from several providers becomes one train that keeps every provider's
//! seat offers.
//!
//! Trains are shared (`Arc`) with the answers in the search cache: a train
//! only one provider reported is passed on as it is, and only a train that
//! absorbs another provider's offers is copied.

use crate::domain::TrainOption;
use chrono::NaiveDateTime;
use std::collections::HashMap;
use std::sync::Arc;

/// Merges `answers` (one list per provider, in preference order) into one
/// list ordered by departure, then train code. Train-level facts come from
/// the first provider that reported the train; seat offers from all.
pub fn merge_trains<'a>(
    answers: impl IntoIterator<Item = &'a [Arc<TrainOption>]>,
) -> Vec<Arc<TrainOption>> {
    let mut merged: Vec<Arc<TrainOption>> = Vec::new();
    let mut index: HashMap<(&'a str, NaiveDateTime), usize> = HashMap::new();
    for trains in answers {
        for train in trains {
            let key = (train.train_code.as_str(), train.departure);
            match index.get(&key) {
                Some(&position) => absorb(Arc::make_mut(&mut merged[position]), train),
                None => {
                    index.insert(key, merged.len());
                    merged.push(Arc::clone(train));
                }
            }
        }
    }
    merged.sort_by(|a, b| {
        a.departure
            .cmp(&b.departure)
            .then_with(|| a.train_code.cmp(&b.train_code))
    });
    merged
}

/// Adds `other`'s offers to `train`; a choice is possible if any provider
/// offers it (each offer names its provider, and Book goes there).
fn absorb(train: &mut TrainOption, other: &TrainOption) {
    // Juhe knows no 12306 train number; another provider may.
    if train.train_no.is_empty() {
        train.train_no.clone_from(&other.train_no);
    }
    train.seat_choice_supported |= other.seat_choice_supported;
    train.berth_choice_supported |= other.berth_choice_supported;
    train.seats.extend_from_slice(&other.seats);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Fen, ProviderId, SeatClass, SeatOffer, TrainType};
    use crate::stations::Station;
    use chrono::NaiveDate;

    fn station(name: &str, telecode: &str) -> Station {
        Station {
            telecode: telecode.into(),
            name: name.into(),
            pinyin: String::new(),
            short_pinyin: String::new(),
            city: String::new(),
        }
    }

    fn merge(answers: &[Vec<TrainOption>]) -> Vec<Arc<TrainOption>> {
        let shared: Vec<Vec<Arc<TrainOption>>> = answers
            .iter()
            .map(|trains| trains.iter().cloned().map(Arc::new).collect())
            .collect();
        merge_trains(shared.iter().map(Vec::as_slice))
    }

    fn train(code: &str, hour: u32, provider: ProviderId, price: i64) -> TrainOption {
        let departure = NaiveDate::from_ymd_opt(2026, 12, 2)
            .unwrap()
            .and_hms_opt(hour, 0, 0)
            .unwrap();
        TrainOption {
            train_code: code.into(),
            train_no: format!("24000000{code}"),
            train_type: TrainType::HighSpeed,
            from_station: station("北京南", "VNP"),
            to_station: station("上海虹桥", "AOH"),
            departure,
            arrival: departure + chrono::Duration::hours(5),
            arrival_day_offset: 0,
            duration_minutes: 300,
            origin_station_name: "北京南".into(),
            terminal_station_name: "上海虹桥".into(),
            seat_choice_supported: provider == ProviderId::Panhe,
            berth_choice_supported: false,
            seats: vec![SeatOffer {
                seat_class: SeatClass::Second,
                price: Fen::new(price),
                remaining: 10,
                berth_prices: Vec::new(),
                provider,
                offer_id: format!("{provider}-{code}"),
            }],
        }
    }

    #[test]
    fn the_same_train_from_two_providers_is_one_train_with_both_offers() {
        let panhe = vec![train("G1", 7, ProviderId::Panhe, 60400)];
        let juhe = vec![
            train("G3", 8, ProviderId::Juhe, 60400),
            train("G1", 7, ProviderId::Juhe, 60500),
        ];
        let merged = merge(&[panhe, juhe]);
        let codes: Vec<&str> = merged.iter().map(|t| t.train_code.as_str()).collect();
        assert_eq!(codes, ["G1", "G3"]);
        let providers: Vec<ProviderId> = merged[0].seats.iter().map(|s| s.provider).collect();
        assert_eq!(providers, [ProviderId::Panhe, ProviderId::Juhe]);
        assert_eq!(merged[0].seats[1].price, Fen::new(60500));
        assert!(merged[0].seat_choice_supported, "Panhe offers seat choice");
        assert!(!merged[1].seat_choice_supported);
    }

    #[test]
    fn merging_leaves_the_cached_answers_as_they_were() {
        let panhe: Vec<Arc<TrainOption>> = vec![Arc::new(train("G1", 7, ProviderId::Panhe, 1))];
        let juhe: Vec<Arc<TrainOption>> = vec![
            Arc::new(train("G1", 7, ProviderId::Juhe, 2)),
            Arc::new(train("G3", 8, ProviderId::Juhe, 3)),
        ];
        let merged = merge_trains([panhe.as_slice(), juhe.as_slice()]);
        assert_eq!(merged[0].seats.len(), 2);
        assert_eq!(panhe[0].seats.len(), 1, "the cached train is not changed");
        assert!(
            Arc::ptr_eq(&merged[1], &juhe[1]),
            "a train one provider reported is shared, not copied"
        );
    }

    #[test]
    fn a_missing_train_number_is_taken_from_another_provider() {
        let mut juhe = train("G1", 7, ProviderId::Juhe, 60500);
        juhe.train_no = String::new();
        let merged = merge(&[vec![juhe], vec![train("G1", 7, ProviderId::Panhe, 60400)]]);
        assert_eq!(merged[0].train_no, "24000000G1");
    }

    #[test]
    fn same_code_at_another_time_is_another_train() {
        let merged = merge(&[
            vec![train("G1", 7, ProviderId::Panhe, 1)],
            vec![train("G1", 9, ProviderId::Juhe, 1)],
        ]);
        assert_eq!(merged.len(), 2);
        assert!(merged.iter().all(|train| train.seats.len() == 1));
    }

    #[test]
    fn ordered_by_departure_then_code() {
        let merged = merge(&[vec![
            train("G9", 9, ProviderId::Panhe, 1),
            train("G5", 7, ProviderId::Panhe, 1),
            train("D2", 7, ProviderId::Panhe, 1),
        ]]);
        let codes: Vec<&str> = merged.iter().map(|t| t.train_code.as_str()).collect();
        assert_eq!(codes, ["D2", "G5", "G9"]);
    }
}
