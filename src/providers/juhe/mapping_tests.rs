//! Every Juhe code table, checked against the seed's own data dictionary
//! and round-tripped against the neutral model.

use super::*;
use crate::providers::juhe::wire::{DataDictionary, DictionaryTable, Envelope};
use std::collections::BTreeMap;

fn dictionary() -> DataDictionary {
    let envelope: Envelope =
        serde_json::from_str(include_str!("testdata/data_dictionary.json")).unwrap();
    serde_json::from_value(envelope.result).unwrap()
}

fn table<'a>(entries: impl IntoIterator<Item = (String, &'a str)>) -> BTreeMap<String, String> {
    entries
        .into_iter()
        .map(|(code, name)| (code, name.to_owned()))
        .collect()
}

fn assert_table(ours: BTreeMap<String, String>, theirs: &DictionaryTable, what: &str) {
    assert_eq!(
        ours, theirs.data,
        "{what} differs from the seed's dictionary"
    );
}

#[test]
fn seat_class_codes_are_the_dictionarys() {
    let ours = table(
        SEAT_CLASS_CODES
            .iter()
            .map(|(code, name, _)| (code.to_string(), *name)),
    );
    assert_table(ours, &dictionary().seat_class_code, "seatClassCode");
}

#[test]
fn callback_seat_classes_are_the_dictionarys() {
    let ours = table(
        CALLBACK_SEAT_CLASSES
            .iter()
            .map(|(code, name, _)| (code.to_string(), *name)),
    );
    assert_table(ours, &dictionary().seat_class, "seatClass");
}

#[test]
fn train_classes_are_the_dictionarys() {
    let ours = table(
        TRAIN_CLASSES
            .iter()
            .map(|(code, name)| (code.to_string(), *name)),
    );
    assert_table(ours, &dictionary().train_class, "trainClass");
}

#[test]
fn id_and_passenger_types_are_the_dictionarys() {
    let dictionary = dictionary();
    let names = [
        (IdType::ResidentIdCard, "身份证"),
        (IdType::Passport, "护照"),
        (IdType::TaiwanTravelPermit, "台胞证"),
        (IdType::HkMacaoTravelPermit, "港澳通行证"),
    ];
    let ours = table(
        names
            .iter()
            .map(|(id_type, name)| (id_type_to_code(*id_type).unwrap().to_string(), *name)),
    );
    assert_table(ours, &dictionary.id_type, "idType");
    for code in dictionary.id_type.data.keys() {
        assert!(id_type_from_code(code).is_some(), "idType {code}");
    }

    let names = [
        (PassengerType::Adult, "成人"),
        (PassengerType::Child, "儿童"),
        (PassengerType::Student, "学生票"),
        (PassengerType::DisabledMilitary, "残军票"),
    ];
    let ours = table(
        names
            .iter()
            .map(|(kind, name)| (passenger_type_to_code(*kind).to_string(), *name)),
    );
    assert_table(ours, &dictionary.passenger_type, "passengerType");
}

#[test]
fn refund_kinds_are_the_dictionarys() {
    let ours = table(
        REFUND_KINDS
            .iter()
            .map(|(key, _, name, _)| (key.to_string(), *name)),
    );
    assert_table(ours, &dictionary().refund_type, "refundType");
    for (key, word, _, kind) in REFUND_KINDS {
        assert_eq!(refund_kind_from_code(key), Some(kind));
        assert_eq!(refund_kind_from_code(word), Some(kind));
    }
    assert_eq!(refund_kind_from_code("3"), None);
    assert_eq!(refund_kind_from_code(""), None);
}

#[test]
fn seat_codes_map_to_class_and_berth() {
    let cases = [
        ("hardseat", SeatClass::HardSeat, None),
        ("secondseat", SeatClass::Second, None),
        (
            "hardsleepermid",
            SeatClass::HardSleeper,
            Some(Berth::Middle),
        ),
        (
            "softsleeperdown",
            SeatClass::SoftSleeper,
            Some(Berth::Lower),
        ),
        ("specialseat", SeatClass::Premium, None),
        ("advancedsoftsleeper", SeatClass::DeluxeSoftSleeper, None),
        ("otherseat", SeatClass::Other, None),
    ];
    for (code, seat_class, berth) in cases {
        assert_eq!(
            seat_from_code(code),
            Some(JuheSeat { seat_class, berth }),
            "{code}"
        );
    }
    for unknown in ["", "HARDSEAT", "softsleepermid", "1", "二等座"] {
        assert_eq!(seat_from_code(unknown), None, "{unknown}");
    }
}

#[test]
fn every_seat_code_round_trips_through_the_neutral_model() {
    for (code, _, seat) in SEAT_CLASS_CODES {
        assert_eq!(
            seat_to_code(seat.seat_class, seat.berth),
            Some(code),
            "{code}"
        );
    }
}

#[test]
fn every_neutral_seat_class_has_a_code_or_a_refusal() {
    let sold_by_juhe = [
        SeatClass::Business,
        SeatClass::Premium,
        SeatClass::First,
        SeatClass::Second,
        SeatClass::DeluxeSoftSleeper,
        SeatClass::SoftSleeper,
        SeatClass::HardSleeper,
        SeatClass::SoftSeat,
        SeatClass::HardSeat,
        SeatClass::NoSeat,
        SeatClass::Other,
    ];
    for seat_class in SeatClass::ALL {
        let code = seat_to_code(seat_class, None);
        assert_eq!(
            code.is_some(),
            sold_by_juhe.contains(&seat_class),
            "{seat_class:?}"
        );
        if let Some(code) = code {
            assert_eq!(seat_from_code(code).unwrap().seat_class, seat_class);
        }
    }
    // A sleeper without a berth goes as the code search lists it under.
    assert_eq!(
        seat_to_code(SeatClass::SoftSleeper, None),
        Some("softsleeperdown")
    );
    assert_eq!(
        seat_to_code(SeatClass::HardSleeper, None),
        Some("hardsleeperdown")
    );
    // Berths Juhe cannot name are refused, not dropped.
    assert_eq!(
        seat_to_code(SeatClass::SoftSleeper, Some(Berth::Middle)),
        None
    );
    assert_eq!(seat_to_code(SeatClass::Second, Some(Berth::Lower)), None);
    assert_eq!(
        seat_to_code(SeatClass::DeluxeSoftSleeper, Some(Berth::Upper)),
        None
    );
}

#[test]
fn callback_seat_numbers_map_to_class_and_berth() {
    let cases = [
        ("1", SeatClass::HardSeat, None),
        ("5", SeatClass::HardSleeper, Some(Berth::Upper)),
        ("6", SeatClass::HardSleeper, None),
        ("9", SeatClass::SoftSleeper, None),
        ("15", SeatClass::EmuSleeper, Some(Berth::Upper)),
        ("18", SeatClass::DeluxeEmuSleeper, Some(Berth::Lower)),
        ("33", SeatClass::FirstSoftSeat, None),
        (" 44 ", SeatClass::SecondSoftSeat, None),
    ];
    for (code, seat_class, berth) in cases {
        assert_eq!(
            seat_from_callback_code(code),
            Some(JuheSeat { seat_class, berth }),
            "{code}"
        );
    }
    for unknown in ["0", "19", "32", "99", "", "hardseat", "-1"] {
        assert_eq!(seat_from_callback_code(unknown), None, "{unknown}");
    }
}

#[test]
fn chinese_seat_names_map_like_their_codes() {
    for (code, name, seat) in SEAT_CLASS_CODES {
        assert_eq!(seat_from_name(name), Some(seat), "{code}");
    }
    assert_eq!(
        seat_from_name("软卧").map(|seat| seat.seat_class),
        Some(SeatClass::SoftSleeper)
    );
    assert_eq!(
        seat_from_name("其它").map(|seat| seat.seat_class),
        Some(SeatClass::Other)
    );
    assert_eq!(seat_from_name("一等卧"), None);
}

#[test]
fn train_classes_map_with_the_train_code() {
    let cases = [
        ("GD", "G7066", TrainType::HighSpeed),
        ("GD", "D3125", TrainType::Emu),
        ("GD", "C2001", TrainType::Intercity),
        ("C", "C2001", TrainType::Intercity),
        ("D", "D1", TrainType::Emu),
        ("Z", "Z175", TrainType::DirectExpress),
        ("KT", "T110", TrainType::Express),
        ("KKS", "K8371", TrainType::Fast),
        ("KS", "K289", TrainType::Fast),
        ("KPK", "1461", TrainType::Other),
        ("KPM", "7001", TrainType::Other),
        ("PK", "1461", TrainType::Other),
        ("PM", "7001", TrainType::Other),
        ("XGZ", "Z97", TrainType::Other),
    ];
    for (class, train_code, train_type) in cases {
        assert_eq!(
            train_type_from_class(class, train_code),
            Some(train_type),
            "{class}"
        );
    }
    for (class, _) in TRAIN_CLASSES {
        assert!(train_type_from_class(class, "X1").is_some(), "{class}");
    }
    assert_eq!(train_type_from_class("G", "G1"), None);
    assert_eq!(train_type_from_class("", "G1"), None);
}

#[test]
fn id_types_are_zero_based_in_submit_and_one_based_elsewhere() {
    use SubmitIdNumbering::{OneBased, ZeroBased};
    assert_eq!(SubmitIdNumbering::default(), ZeroBased);
    assert_eq!(
        id_type_to_submit_code(IdType::ResidentIdCard, ZeroBased),
        Some(0)
    );
    assert_eq!(id_type_to_code(IdType::ResidentIdCard), Some(1));
    assert_eq!(
        id_type_from_submit_code("0", ZeroBased),
        Some(IdType::ResidentIdCard)
    );
    assert_eq!(id_type_from_code("1"), Some(IdType::ResidentIdCard));
    // The same digit means different documents in the two numberings.
    assert_eq!(
        id_type_from_submit_code("1", ZeroBased),
        Some(IdType::Passport)
    );
    assert_eq!(id_type_from_code("2"), Some(IdType::Passport));
    for numbering in [ZeroBased, OneBased] {
        for id_type in IdType::ALL.iter().copied() {
            match id_type_to_submit_code(id_type, numbering) {
                Some(code) => {
                    let text = code.to_string();
                    assert_eq!(id_type_from_submit_code(&text, numbering), Some(id_type));
                }
                None => assert!(matches!(
                    id_type,
                    IdType::ForeignPermanentResidentId | IdType::HkMacaoTaiwanResidencePermit
                )),
            }
        }
    }
    // One-based submit codes are the dictionary's codes.
    for id_type in IdType::ALL.iter().copied() {
        assert_eq!(
            id_type_to_submit_code(id_type, OneBased),
            id_type_to_code(id_type)
        );
    }
    assert_eq!(id_type_from_submit_code("4", ZeroBased), None);
    assert_eq!(
        id_type_from_submit_code("4", OneBased),
        Some(IdType::HkMacaoTravelPermit)
    );
    assert_eq!(id_type_from_submit_code("0", OneBased), None);
    assert_eq!(id_type_from_code("0"), None);
    assert_eq!(id_type_from_code("5"), None);
    assert_eq!(SubmitIdNumbering::parse("one_based"), Some(OneBased));
    assert_eq!(SubmitIdNumbering::parse("zero_based"), Some(ZeroBased));
    assert_eq!(SubmitIdNumbering::parse("1"), None);
}

#[test]
fn passenger_types_round_trip_and_grab_orders_refuse_two() {
    for kind in PassengerType::ALL.iter().copied() {
        let code = passenger_type_to_code(kind).to_string();
        assert_eq!(passenger_type_from_code(&code), Some(kind));
    }
    assert_eq!(passenger_type_from_code("0"), None);
    assert_eq!(passenger_type_from_code("5"), None);
    assert!(grab_order_accepts(PassengerType::Adult));
    assert!(grab_order_accepts(PassengerType::Child));
    assert!(!grab_order_accepts(PassengerType::Student));
    assert!(!grab_order_accepts(PassengerType::DisabledMilitary));
}

#[test]
fn parses_every_date_format_juhe_uses() {
    let expected: NaiveDateTime = "2016-12-29T03:34:00".parse().unwrap();
    assert_eq!(parse_date_time("2016-12-29 03:34:00"), Some(expected));
    assert_eq!(parse_date_time("2016-12-29T03:34:00"), Some(expected));
    assert_eq!(parse_date_time("2016-12-29 03:34"), Some(expected));
    assert_eq!(parse_date_time("2016-12-29"), None);
    assert_eq!(parse_date_time(""), None);
    let date = NaiveDate::from_ymd_opt(2015, 5, 14).unwrap();
    assert_eq!(parse_date("20150514"), Some(date));
    assert_eq!(parse_date("2015-05-14"), Some(date));
    assert_eq!(parse_date("2015-13-14"), None);
    assert_eq!(search_date(date), "20150514");
    assert_eq!(close_time(expected), "2016-12-29 03:34:00");
    assert_eq!(depart_date_time(expected), "2016-12-29 03:34");
}
