//! The code tables against the dictionary, and the seat mappings.

use serde_json::Value;

use super::*;
use crate::juhe::dictionary::DATA_DICTIONARY;

fn table(name: &str) -> Vec<(String, String)> {
    let dictionary: Value = serde_json::from_str(DATA_DICTIONARY).unwrap();
    let data = dictionary["result"][name]["data"].as_object().unwrap();
    let mut entries: Vec<(String, String)> = data
        .iter()
        .map(|(key, value)| (key.clone(), value.as_str().unwrap().to_owned()))
        .collect();
    entries.sort();
    entries
}

fn ours<K: ToString>(
    entries: impl IntoIterator<Item = (K, &'static str)>,
) -> Vec<(String, String)> {
    let mut entries: Vec<(String, String)> = entries
        .into_iter()
        .map(|(key, name)| (key.to_string(), name.to_owned()))
        .collect();
    entries.sort();
    entries
}

#[test]
fn every_table_is_the_dictionarys() {
    assert_eq!(
        ours(OrderStatus::ALL.map(|s| (s.letter(), s.name()))),
        table("orderStatus")
    );
    assert_eq!(
        ours(TicketState::ALL.map(|s| (s.letter(), s.name()))),
        table("ticketStateCode")
    );
    assert_eq!(ours(SEAT_CLASS_CODES), table("seatClassCode"));
    assert_eq!(ours(SEAT_CLASS_NUMBERS), table("seatClass"));
    assert_eq!(ours(ID_TYPES), table("idType"));
    assert_eq!(ours(PASSENGER_TYPES), table("passengerType"));
    assert_eq!(ours(TRAIN_CLASSES), table("trainClass"));
    let msg_codes = table("msgCode");
    for (code, text) in [
        msg::OK,
        msg::IDENTITY_UNVERIFIED,
        msg::ACCOUNT_LOGIN_FAILED,
        msg::NO_ONLINE_REFUND,
    ] {
        assert!(
            msg_codes.contains(&(code.to_owned(), text.to_owned())),
            "{code} {text}"
        );
    }
}

#[test]
fn every_seat_code_parses_and_sold_codes_round_trip() {
    for (code, _) in SEAT_CLASS_CODES {
        assert!(SeatCode::parse(code).is_some(), "{code}");
    }
    assert_eq!(SeatCode::parse("hardsleeper"), None);
    assert_eq!(SeatCode::parse("SecondSeat"), None);
    let sleeper = |seat, berths: &[(Berth, u32)]| Fare {
        seat,
        price_fen: 5500,
        berths: berths.to_vec(),
    };
    let conventional = [
        sleeper(SeatClass::HardSeat, &[]),
        sleeper(
            SeatClass::HardSleeper,
            &[
                (Berth::Upper, 5500),
                (Berth::Middle, 6000),
                (Berth::Lower, 6300),
            ],
        ),
        sleeper(
            SeatClass::SoftSleeper,
            &[(Berth::Upper, 8150), (Berth::Lower, 8750)],
        ),
    ];
    let emu_sleeper = [
        sleeper(
            SeatClass::SecondClassSleeper,
            &[
                (Berth::Upper, 5500),
                (Berth::Middle, 6000),
                (Berth::Lower, 6300),
            ],
        ),
        sleeper(
            SeatClass::FirstClassSleeper,
            &[(Berth::Upper, 8150), (Berth::Lower, 8750)],
        ),
    ];
    for (code, _) in SEAT_CLASS_CODES {
        let parsed = SeatCode::parse(code).unwrap();
        for fares in [&conventional[..], &emu_sleeper[..]] {
            if let Some((seat, berth)) = parsed.on(fares) {
                assert_eq!(sold_code(seat, berth), code);
            }
        }
    }
    assert_eq!(
        SeatCode::parse("hardsleepermid").unwrap().on(&emu_sleeper),
        Some((SeatClass::SecondClassSleeper, Some(Berth::Middle)))
    );
    assert_eq!(
        SeatCode::parse("softsleeperdown")
            .unwrap()
            .on(&conventional),
        Some((SeatClass::SoftSleeper, Some(Berth::Lower)))
    );
    assert_eq!(
        SeatCode::parse("secondseat").unwrap().on(&conventional),
        None
    );
    assert_eq!(SeatCode::parse("softseat").unwrap().on(&conventional), None);
}

#[test]
fn seat_numbers_are_in_the_dictionary_with_matching_names() {
    let all = [
        SeatClass::NoSeat,
        SeatClass::Second,
        SeatClass::First,
        SeatClass::Business,
        SeatClass::HardSeat,
        SeatClass::HardSleeper,
        SeatClass::SoftSleeper,
        SeatClass::SecondClassSleeper,
        SeatClass::FirstClassSleeper,
    ];
    for seat in all {
        let berths: Vec<Option<Berth>> = if seat.berths().is_empty() {
            vec![None]
        } else {
            seat.berths().iter().copied().map(Some).collect()
        };
        for berth in berths {
            let number = seat_number(seat, berth);
            let name = SEAT_CLASS_NUMBERS
                .iter()
                .find(|(known, _)| *known == number)
                .map(|(_, name)| *name)
                .unwrap_or_else(|| panic!("{number} not in the dictionary"));
            let code = sold_code(seat, berth);
            assert!(SeatCode::parse(code).is_some(), "{code}");
            // A berth's number names the same tier as its code.
            if berth == Some(Berth::Upper) {
                assert!(name.ends_with("上铺"), "{seat:?} {name}");
            }
        }
    }
    assert_eq!(seat_number(SeatClass::HardSleeper, Some(Berth::Lower)), 7);
    assert_eq!(
        seat_number(SeatClass::FirstClassSleeper, Some(Berth::Lower)),
        16
    );
}

#[test]
fn submit_id_types_are_zero_based_unless_set_otherwise() {
    use SubmitIdNumbering::{OneBased, ZeroBased};
    assert_eq!(SubmitIdNumbering::default(), ZeroBased);
    assert_eq!(id_type_of_submit(0, ZeroBased), Some(1));
    assert_eq!(id_type_of_submit(3, ZeroBased), Some(4));
    assert_eq!(id_type_of_submit(4, ZeroBased), None);
    assert_eq!(id_type_of_submit(-1, ZeroBased), None);
    assert_eq!(id_type_of_submit(0, OneBased), None);
    assert_eq!(id_type_of_submit(1, OneBased), Some(1));
    assert_eq!(id_type_of_submit(4, OneBased), Some(4));
    assert_eq!(id_type_of_submit(5, OneBased), None);
}

#[test]
fn train_classes_by_letter_and_family() {
    assert_eq!(train_class("G7066", Family::HighSpeed), "GD");
    assert_eq!(train_class("C1303", Family::Intercity), "C");
    assert_eq!(train_class("D717", Family::EmuSleeper), "D");
    assert_eq!(
        train_class(
            "T110",
            Family::Conventional {
                speed_kmh: 100,
                sleepers: true
            }
        ),
        "KT"
    );
    assert_eq!(
        train_class(
            "K289",
            Family::Conventional {
                speed_kmh: 90,
                sleepers: false
            }
        ),
        "KKS"
    );
    assert_eq!(train_class("7501", Family::Local), "KPM");
    assert_eq!(
        train_class(
            "4351",
            Family::Conventional {
                speed_kmh: 90,
                sleepers: false
            }
        ),
        "KPK"
    );
    assert_eq!(train_class("S101", Family::Emu), "D");
    for code in ["G1", "C1", "D1", "Z1", "T1", "K1", "7501", "4351"] {
        let class = train_class(code, Family::Local);
        assert!(TRAIN_CLASSES.iter().any(|(known, _)| *known == class));
    }
}

#[test]
fn callback_station_codes_are_numeric_and_shared_by_a_city() {
    let suzhou = callback_station_code("苏州").unwrap();
    assert!(suzhou.bytes().all(|b| b.is_ascii_digit()), "{suzhou}");
    // As in the seed's example, 苏州 and 昆山 share one code.
    assert_eq!(callback_station_code("昆山"), Some(suzhou.clone()));
    assert_eq!(callback_station_code("苏州园区"), Some(suzhou.clone()));
    assert_ne!(callback_station_code("北京南"), Some(suzhou));
    assert_eq!(
        callback_station_code("北京南"),
        callback_station_code("北京西")
    );
    assert_eq!(callback_station_code("不存在站"), None);
}
