//! Adapter mapping tests fed with the seed's own JSON examples.

use super::client::unwrap_envelope;
use super::*;
use crate::domain::{Berth, SeatClass, TrainType};

const QUERY_TICKETS: &str = include_str!("testdata/query_tickets.json");
const STOPS_V1: &str = include_str!("testdata/stop_stations_v1.json");
const STOPS_V2: &str = include_str!("testdata/stop_stations_v2.json");

fn seed_trains() -> (Vec<TrainOption>, Vec<String>) {
    let data: wire::QueryTicketsData = unwrap_envelope(QUERY_TICKETS.as_bytes(), "/q").unwrap();
    let mut skipped = Vec::new();
    let trains = data
        .train_lines
        .unwrap()
        .into_iter()
        .map(|line| {
            train_option(
                &mut StationMemo::new(StationDirectory::embedded()),
                line,
                &mut skipped,
            )
            .unwrap()
        })
        .collect();
    (trains, skipped)
}

#[test]
fn maps_the_seed_search_example() {
    let (trains, skipped) = seed_trains();
    assert!(skipped.is_empty());
    let k289 = &trains[0];
    assert_eq!(k289.train_code, "K289");
    assert_eq!(k289.train_type, TrainType::Fast);
    assert_eq!(k289.from_station.name, "苏州");
    assert_eq!(k289.from_station.telecode, "SZH");
    assert_eq!(k289.departure, "2023-12-15T04:30:00".parse().unwrap());
    assert_eq!(k289.arrival, "2023-12-15T04:54:00".parse().unwrap());
    assert_eq!(k289.duration_minutes, 24);
    assert_eq!(k289.origin_station_name, "成都西");
    assert!(k289.berth_choice_supported);
    assert!(!k289.seat_choice_supported, "K trains have no seat choice");

    let classes: Vec<_> = k289.seats.iter().map(|s| s.seat_class).collect();
    assert_eq!(
        classes,
        [
            SeatClass::NoSeat,
            SeatClass::HardSeat,
            SeatClass::HardSleeper,
            SeatClass::SoftSleeper
        ]
    );
    let hard_sleeper = &k289.seats[2];
    assert_eq!(hard_sleeper.price, Fen::new(5500));
    assert_eq!(hard_sleeper.remaining, 108);
    assert_eq!(
        hard_sleeper.berth_prices,
        [
            (Berth::Lower, Fen::new(6300)),
            (Berth::Middle, Fen::new(6000)),
            (Berth::Upper, Fen::new(5500))
        ]
    );
    let soft_sleeper = &k289.seats[3];
    assert_eq!(soft_sleeper.price, Fen::new(8150));
    assert_eq!(
        soft_sleeper.berth_prices,
        [
            (Berth::Lower, Fen::new(8750)),
            (Berth::Upper, Fen::new(8150))
        ]
    );
    assert!(k289.seats[0].berth_prices.is_empty());

    let g8293 = &trains[1];
    assert_eq!(g8293.train_type, TrainType::HighSpeed);
    assert!(g8293.seat_choice_supported);
    assert_eq!(g8293.seats[1].seat_class, SeatClass::Second);
    assert_eq!(g8293.seats[1].price, Fen::new(1400));
    assert_eq!(g8293.seats[3].seat_class, SeatClass::Business);
    assert_eq!(g8293.seats[3].remaining, 0);
}

#[test]
fn offer_ids_carry_what_booking_needs() {
    let (trains, _) = seed_trains();
    let offer = Offer::decode(&trains[1].seats[1].offer_id).unwrap();
    assert_eq!(offer.provider, ProviderId::Panhe);
    assert_eq!(offer.train_code, "G8293");
    assert_eq!(offer.train_no, "5f000G829601");
    assert_eq!(offer.from_station, "苏州");
    assert_eq!(offer.to_station, "昆山南");
    assert_eq!(offer.seat_class, SeatClass::Second);
    assert_eq!(offer.departure, "2023-12-15T22:20:00".parse().unwrap());
}

#[test]
fn unknown_codes_are_skipped_and_noted_never_defaulted() {
    let json = QUERY_TICKETS.replacen("\"seatType\": 98", "\"seatType\": 55", 1);
    let data: wire::QueryTicketsData = unwrap_envelope(json.as_bytes(), "/q").unwrap();
    let mut skipped = Vec::new();
    let line = data.train_lines.unwrap().remove(0);
    let train = train_option(
        &mut StationMemo::new(StationDirectory::embedded()),
        line,
        &mut skipped,
    )
    .unwrap();
    assert_eq!(train.seats.len(), 3);
    assert_eq!(skipped, ["K289: a seat with unknown seatType 55"]);

    let json = QUERY_TICKETS.replacen("\"trainsType\": 5", "\"trainsType\": 9", 1);
    let data: wire::QueryTicketsData = unwrap_envelope(json.as_bytes(), "/q").unwrap();
    let line = data.train_lines.unwrap().remove(0);
    let error = train_option(
        &mut StationMemo::new(StationDirectory::embedded()),
        line,
        &mut skipped,
    )
    .unwrap_err();
    assert!(
        matches!(error, ProviderError::UnknownCode { field: "trainsType", ref value, .. } if value == "9")
    );
}

#[test]
fn fractional_fen_prices_are_malformed() {
    let json = QUERY_TICKETS.replacen("\"ticketPrice\": 9.0", "\"ticketPrice\": 9.005", 1);
    let data: wire::QueryTicketsData = unwrap_envelope(json.as_bytes(), "/q").unwrap();
    let line = data.train_lines.unwrap().remove(0);
    let error = train_option(
        &mut StationMemo::new(StationDirectory::embedded()),
        line,
        &mut Vec::new(),
    )
    .unwrap_err();
    assert!(matches!(error, ProviderError::Malformed { .. }));
}

#[test]
fn maps_stops_v2_with_day_rollover() {
    let stops: Vec<wire::StopStation> = unwrap_envelope(STOPS_V2.as_bytes(), "/s").unwrap();
    let stops = stops_from_wire(stops, StationDirectory::embedded()).unwrap();
    assert_eq!(stops.len(), 30);
    let origin = &stops[0];
    assert_eq!((origin.sequence, origin.station.name.as_str()), (1, "天津"));
    assert_eq!(origin.arrival, None, "the origin has no arrival");
    assert_eq!(origin.departure, chrono::NaiveTime::from_hms_opt(16, 17, 0));
    assert_eq!(origin.day_offset, 0);
    assert_eq!(stops[4].stop_minutes, 30); // 德州 "30分钟"
    let handan = &stops[7];
    assert_eq!(handan.station.name, "邯郸");
    assert_eq!(handan.day_offset, 1, "00:59 is the next day");
    let chengdu_west = &stops[28];
    assert_eq!(
        chengdu_west.day_offset, 2,
        "04:58 after 22:58 is the day after"
    );
    let terminus = &stops[29];
    assert_eq!(terminus.departure, None, "the terminus has no departure");
    assert_eq!(terminus.stop_minutes, 0);
}

#[test]
fn maps_stops_v1_shape() {
    let stops: Vec<wire::StopStation> = unwrap_envelope(STOPS_V1.as_bytes(), "/s").unwrap();
    let stops = stops_from_wire(stops, StationDirectory::embedded()).unwrap();
    assert_eq!(stops.len(), 12);
    assert_eq!(stops[0].station.telecode, "AOH");
    assert_eq!(stops[4].stop_minutes, 10);
    assert!(stops.iter().all(|stop| stop.day_offset == 0));
}

#[test]
fn unlisted_stations_keep_their_name() {
    let station = station_named(StationDirectory::embedded(), "金山卫");
    assert_eq!(station.name, "金山卫");
    assert!(station.telecode.is_empty());
}

#[test]
fn the_station_memo_answers_as_the_directory_does() {
    let directory = StationDirectory::embedded();
    let mut memo = StationMemo::new(directory);
    for name in ["北京南", "金山卫", "北京南", " 北京南", "金山卫"] {
        assert_eq!(memo.named(name), station_named(directory, name), "{name:?}");
    }
    assert_eq!(memo.seen.len(), 3, "each spelling looked up once");
}
