//! Search mapping tests, fed with the seed's example and variations of it.

use super::*;
use crate::domain::{ProviderId, TrainType};
use crate::providers::juhe::client::unwrap_envelope;
use serde_json::{Value, json};

const SEARCH: &str = include_str!("testdata/search.json");

fn date(text: &str) -> NaiveDate {
    text.parse().unwrap()
}

fn stations() -> &'static StationDirectory {
    StationDirectory::embedded()
}

fn seed_result() -> SearchResult {
    unwrap_envelope(SEARCH.as_bytes(), "/search.php").unwrap()
}

/// The seed's answer as JSON, to vary.
fn seed_json() -> Value {
    let envelope: Value = serde_json::from_str(SEARCH).unwrap();
    envelope["result"].clone()
}

/// The seed's answer with its one train changed by `edit`, plus `extra`
/// trains (each the seed's train changed by its own edit).
fn varied(edits: &[&dyn Fn(&mut Value)]) -> SearchResult {
    let mut result = seed_json();
    let seed_train = result["trains"][0].clone();
    let trains: Vec<Value> = edits
        .iter()
        .map(|edit| {
            let mut train = seed_train.clone();
            edit(&mut train);
            train
        })
        .collect();
    result["trains"] = Value::Array(trains);
    serde_json::from_value(result).unwrap()
}

fn seed_answer() -> SearchAnswer {
    search_answer(seed_result(), date("2015-05-14"), stations()).unwrap()
}

#[test]
fn maps_the_seed_example() {
    let answer = seed_answer();
    assert!(answer.skipped.is_empty(), "{:?}", answer.skipped);
    let [train] = answer.trains.as_slice() else {
        panic!("one train expected: {:?}", answer.trains);
    };
    assert_eq!(train.train_code, "G7066");
    assert_eq!(train.train_no, "", "Juhe has no 12306 internal number");
    assert_eq!(train.train_type, TrainType::HighSpeed);
    assert_eq!(train.from_station.name, "上海西");
    assert_eq!(train.from_station.telecode, "SXH");
    assert_eq!(train.to_station.telecode, "KAH");
    assert_eq!(train.departure, "2015-05-14T09:02:00".parse().unwrap());
    // 09:02 + 28 minutes; the seed's toTime (09:00) is not the arrival.
    assert_eq!(train.arrival, "2015-05-14T09:30:00".parse().unwrap());
    assert_eq!(train.duration_minutes, 28);
    assert_eq!(train.arrival_day_offset, 0);
    assert_eq!(
        train.origin_station_name, "",
        "passing through (fromPassType 1)"
    );
    assert_eq!(train.terminal_station_name, "");
    assert!(!train.seat_choice_supported);
    assert!(train.berth_choice_supported, "软卧 berths have codes");
}

#[test]
fn prices_the_seeds_seat_classes_in_fen() {
    let answer = seed_answer();
    let seats = &answer.trains[0].seats;
    let summary: Vec<(SeatClass, i64, u32)> = seats
        .iter()
        .map(|seat| (seat.seat_class, seat.price.get(), seat.remaining))
        .collect();
    assert_eq!(
        summary,
        [
            (SeatClass::Business, 9950, 10),
            (SeatClass::First, 4950, 28),
            (SeatClass::Second, 2950, 490),
            // Cheapest berth; seatState 0, so none to be had now.
            (SeatClass::SoftSleeper, 102950, 0),
        ]
    );
    // Seated classes have no berths, whatever the example repeats.
    assert!(seats[2].berth_prices.is_empty());
    assert_eq!(
        seats[3].berth_prices,
        [
            (Berth::Lower, Fen::new(107550)),
            (Berth::Upper, Fen::new(102950))
        ]
    );
    assert!(seats.iter().all(|seat| seat.provider == ProviderId::Juhe));
}

#[test]
fn offers_carry_what_submit_order_needs() {
    let answer = seed_answer();
    let train = &answer.trains[0];
    let second = &train.seats[2];
    let offer = Offer::decode(&second.offer_id).unwrap();
    assert_eq!(
        offer,
        Offer {
            provider: ProviderId::Juhe,
            train_code: "G7066".into(),
            train_no: String::new(),
            from_station: "上海西".into(),
            to_station: "苏州园区".into(),
            departure: train.departure,
            arrival: train.arrival,
            seat_class: SeatClass::Second,
            provider_key: Some("6d31300d58be4d239af4039c71ddc313".into()),
            berth: None,
        }
    );
    let sleeper = Offer::decode(&train.seats[3].offer_id).unwrap();
    assert_eq!(sleeper.seat_class, SeatClass::SoftSleeper);
    // softsleeperdown's price is the lower berth's (1075.5 = downPrice);
    // the offer is quoted at the upper berth (upPrice 1029.5) and books it.
    assert_eq!(train.seats[3].price, Fen::new(102950));
    assert_eq!(sleeper.berth, Some(Berth::Upper));
    assert_eq!(Offer::decode(&second.offer_id).unwrap().berth, None);
}

#[test]
fn an_arrival_after_midnight_moves_to_the_next_day() {
    let result = varied(&[&|train| {
        train["fromTime"] = json!("23:30");
        train["runTimeSpan"] = json!(95);
    }]);
    let answer = search_answer(result, date("2015-05-14"), stations()).unwrap();
    let train = &answer.trains[0];
    assert_eq!(train.departure, "2015-05-14T23:30:00".parse().unwrap());
    assert_eq!(train.arrival, "2015-05-15T01:05:00".parse().unwrap());
    assert_eq!(train.arrival_day_offset, 1);
    assert_eq!(train.duration_minutes, 95);
}

#[test]
fn trains_and_seats_that_cannot_be_mapped_are_skipped_and_noted() {
    let result = varied(&[
        &|_train| {},
        &|train| {
            train["trainNo"] = json!("G1");
            train["trainClass"] = json!("MAGLEV");
        },
        &|train| {
            train["trainNo"] = json!("G2");
            train["fromTime"] = json!("9点");
        },
        &|train| {
            train["trainNo"] = json!("G3");
            train["bookState"] = json!(2);
        },
        &|train| {
            train["trainNo"] = json!("G4");
            train["tickets"]["hovercraft"] = train["tickets"]["secondseat"].clone();
            train["tickets"]["firstseat"]["price"] = json!(49.555);
        },
    ]);
    let answer = search_answer(result, date("2015-05-14"), stations()).unwrap();
    let codes: Vec<&str> = answer
        .trains
        .iter()
        .map(|train| train.train_code.as_str())
        .collect();
    assert_eq!(codes, ["G7066", "G4"]);
    assert_eq!(
        answer.skipped,
        [
            "G1: unknown trainClass \"MAGLEV\"",
            "G2: fromTime \"9点\" is not HH:mm",
            "G3: not bookable (bookState 2)",
            "G4: firstseat price: amount 49.555 yuan has fractions of a fen",
            "G4: unknown seatClassCode \"hovercraft\"",
        ]
    );
    let g4: Vec<SeatClass> = answer.trains[1]
        .seats
        .iter()
        .map(|seat| seat.seat_class)
        .collect();
    assert_eq!(
        g4,
        [
            SeatClass::Business,
            SeatClass::Second,
            SeatClass::SoftSleeper
        ]
    );
}

#[test]
fn sold_out_trains_stay_listed_for_grabbing() {
    let result = varied(&[&|train| {
        train["bookState"] = json!(0);
        for seat in train["tickets"].as_object_mut().unwrap().values_mut() {
            seat["seatState"] = json!(0);
            seat["seats"] = json!("0");
        }
    }]);
    let answer = search_answer(result, date("2015-05-14"), stations()).unwrap();
    let seats = &answer.trains[0].seats;
    assert_eq!(seats.len(), 4);
    assert!(seats.iter().all(|seat| seat.remaining == 0));
}

#[test]
fn berth_codes_of_one_class_make_one_offer() {
    let result = varied(&[&|train| {
        let berth = |price: f64, seats: &str, up: f64, mid: f64, down: f64| {
            json!({"seatName": "硬卧", "price": price, "seatState": 1, "seats": seats,
                   "upPrice": up, "midPrice": mid, "downPrice": down})
        };
        train["trainClass"] = json!("KS");
        train["trainNo"] = json!("K289");
        train["tickets"] = json!({
            "hardsleeperdown": berth(63.0, "3", 0.0, 0.0, 63.0),
            "hardsleeperup": berth(55.0, "12", 55.0, 0.0, 0.0),
            "hardseat": {"seatName": "硬座", "price": "28.5", "seatState": 1, "seats": "100"},
        });
    }]);
    let answer = search_answer(result, date("2015-05-14"), stations()).unwrap();
    let train = &answer.trains[0];
    assert_eq!(train.train_type, TrainType::Fast);
    let [sleeper, seat] = train.seats.as_slice() else {
        panic!("{:?}", train.seats);
    };
    assert_eq!(sleeper.seat_class, SeatClass::HardSleeper);
    assert_eq!(sleeper.price, Fen::new(5500));
    assert_eq!(sleeper.remaining, 12);
    assert_eq!(
        sleeper.berth_prices,
        [
            (Berth::Lower, Fen::new(6300)),
            (Berth::Upper, Fen::new(5500))
        ]
    );
    assert_eq!(seat.seat_class, SeatClass::HardSeat);
    assert_eq!(seat.price, Fen::new(2850));
    assert!(train.berth_choice_supported);
}

#[test]
fn trains_without_sleepers_offer_no_berth_choice() {
    let result = varied(&[&|train| {
        train["tickets"]
            .as_object_mut()
            .unwrap()
            .remove("softsleeperdown");
    }]);
    let answer = search_answer(result, date("2015-05-14"), stations()).unwrap();
    assert!(!answer.trains[0].berth_choice_supported);
    assert!(!answer.trains[0].seat_choice_supported);
}

#[test]
fn names_the_ends_where_the_train_starts_or_ends() {
    let result = varied(&[&|train| {
        train["fromPassType"] = json!(0);
        train["toPassType"] = json!(2);
    }]);
    let answer = search_answer(result, date("2015-05-14"), stations()).unwrap();
    assert_eq!(answer.trains[0].origin_station_name, "上海西");
    assert_eq!(answer.trains[0].terminal_station_name, "苏州园区");
}

#[test]
fn stations_fall_back_to_pinyin_then_to_the_name_alone() {
    let result = varied(&[&|train| {
        train["fromStation"] = json!("上海 西");
        train["toStation"] = json!("苏州新区站点");
        train["toStationCode"] = json!("suzhouxinquzhandian");
    }]);
    let answer = search_answer(result, date("2015-05-14"), stations()).unwrap();
    let train = &answer.trains[0];
    // The directory ignores whitespace in names.
    assert_eq!(train.from_station.telecode, "SXH");
    assert_eq!(train.to_station.name, "苏州新区站点");
    assert_eq!(train.to_station.telecode, "", "unknown to the directory");
    // The offer keeps Juhe's spelling, which submitOrder must repeat.
    let offer = Offer::decode(&train.seats[0].offer_id).unwrap();
    assert_eq!(offer.from_station, "上海 西");

    let result = varied(&[&|train| {
        train["toStation"] = json!("苏州园区东");
    }]);
    let answer = search_answer(result, date("2015-05-14"), stations()).unwrap();
    assert_eq!(
        answer.trains[0].to_station.telecode, "KAH",
        "by pinyin code"
    );
}

#[test]
fn an_answer_for_another_date_or_without_a_key_is_malformed() {
    let error = search_answer(seed_result(), date("2015-05-15"), stations()).unwrap_err();
    assert!(
        matches!(&error, ProviderError::Malformed { detail, .. } if detail.contains("20150514")),
        "{error:?}"
    );
    let mut result = seed_result();
    result.query_key = " ".into();
    let error = search_answer(result, date("2015-05-14"), stations()).unwrap_err();
    assert!(matches!(error, ProviderError::Malformed { .. }));
    let mut result = seed_result();
    result.train_date = None;
    assert!(search_answer(result, date("2015-05-14"), stations()).is_ok());
}

#[test]
fn trains_come_out_in_departure_order() {
    let result = varied(&[&|train| train["fromTime"] = json!("18:00"), &|train| {
        train["trainNo"] = json!("G1");
        train["fromTime"] = json!("06:15");
    }]);
    let answer = search_answer(result, date("2015-05-14"), stations()).unwrap();
    let codes: Vec<&str> = answer
        .trains
        .iter()
        .map(|train| train.train_code.as_str())
        .collect();
    assert_eq!(codes, ["G1", "G7066"]);
}
