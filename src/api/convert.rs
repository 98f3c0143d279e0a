//! proto ⇄ domain. Every enum table is an exhaustive `match` with a
//! round-trip test; `*_UNSPECIFIED` never maps to a domain value.

use crate::domain::time::to_rfc3339;
use crate::domain::{Berth, ProviderId, SeatClass, SeatOffer, Stop, TrainOption, TrainType};
use crate::proto as pb;
use crate::routing::ThroughStopOffer;
use crate::stations::Station;
use std::sync::Arc;

/// Domain provider → proto.
pub fn provider_to_proto(provider: ProviderId) -> pb::Provider {
    match provider {
        ProviderId::Juhe => pb::Provider::Juhe,
        ProviderId::Panhe => pb::Provider::Panhe,
    }
}

/// Proto provider → domain; `None` for UNSPECIFIED or an unknown number.
pub fn provider_from_proto(value: i32) -> Option<ProviderId> {
    match pb::Provider::try_from(value).ok()? {
        pb::Provider::Unspecified => None,
        pb::Provider::Juhe => Some(ProviderId::Juhe),
        pb::Provider::Panhe => Some(ProviderId::Panhe),
    }
}

/// Domain seat class → proto.
pub fn seat_class_to_proto(seat_class: SeatClass) -> pb::SeatClass {
    match seat_class {
        SeatClass::Business => pb::SeatClass::Business,
        SeatClass::Premium => pb::SeatClass::Premium,
        SeatClass::First => pb::SeatClass::First,
        SeatClass::Second => pb::SeatClass::Second,
        SeatClass::DeluxeSoftSleeper => pb::SeatClass::DeluxeSoftSleeper,
        SeatClass::SoftSleeper => pb::SeatClass::SoftSleeper,
        SeatClass::EmuSleeper => pb::SeatClass::EmuSleeper,
        SeatClass::HardSleeper => pb::SeatClass::HardSleeper,
        SeatClass::SoftSeat => pb::SeatClass::SoftSeat,
        SeatClass::HardSeat => pb::SeatClass::HardSeat,
        SeatClass::FirstClassSleeper => pb::SeatClass::FirstClassSleeper,
        SeatClass::SecondClassSleeper => pb::SeatClass::SecondClassSleeper,
        SeatClass::DeluxeEmuSleeper => pb::SeatClass::DeluxeEmuSleeper,
        SeatClass::FirstSoftSeat => pb::SeatClass::FirstSoftSeat,
        SeatClass::SecondSoftSeat => pb::SeatClass::SecondSoftSeat,
        SeatClass::PremiumSoftSeat => pb::SeatClass::PremiumSoftSeat,
        SeatClass::CompartmentHardSleeper => pb::SeatClass::CompartmentHardSleeper,
        SeatClass::PrivateSoftCompartment => pb::SeatClass::PrivateSoftCompartment,
        SeatClass::MultiFunction => pb::SeatClass::MultiFunction,
        SeatClass::NoSeat => pb::SeatClass::NoSeat,
        SeatClass::Other => pb::SeatClass::Other,
    }
}

/// Proto seat class → domain; `None` for UNSPECIFIED or an unknown number.
pub fn seat_class_from_proto(value: i32) -> Option<SeatClass> {
    Some(match pb::SeatClass::try_from(value).ok()? {
        pb::SeatClass::Unspecified => return None,
        pb::SeatClass::Business => SeatClass::Business,
        pb::SeatClass::Premium => SeatClass::Premium,
        pb::SeatClass::First => SeatClass::First,
        pb::SeatClass::Second => SeatClass::Second,
        pb::SeatClass::DeluxeSoftSleeper => SeatClass::DeluxeSoftSleeper,
        pb::SeatClass::SoftSleeper => SeatClass::SoftSleeper,
        pb::SeatClass::EmuSleeper => SeatClass::EmuSleeper,
        pb::SeatClass::HardSleeper => SeatClass::HardSleeper,
        pb::SeatClass::SoftSeat => SeatClass::SoftSeat,
        pb::SeatClass::HardSeat => SeatClass::HardSeat,
        pb::SeatClass::FirstClassSleeper => SeatClass::FirstClassSleeper,
        pb::SeatClass::SecondClassSleeper => SeatClass::SecondClassSleeper,
        pb::SeatClass::DeluxeEmuSleeper => SeatClass::DeluxeEmuSleeper,
        pb::SeatClass::FirstSoftSeat => SeatClass::FirstSoftSeat,
        pb::SeatClass::SecondSoftSeat => SeatClass::SecondSoftSeat,
        pb::SeatClass::PremiumSoftSeat => SeatClass::PremiumSoftSeat,
        pb::SeatClass::CompartmentHardSleeper => SeatClass::CompartmentHardSleeper,
        pb::SeatClass::PrivateSoftCompartment => SeatClass::PrivateSoftCompartment,
        pb::SeatClass::MultiFunction => SeatClass::MultiFunction,
        pb::SeatClass::NoSeat => SeatClass::NoSeat,
        pb::SeatClass::Other => SeatClass::Other,
    })
}

/// Domain berth → proto.
pub fn berth_to_proto(berth: Berth) -> pb::Berth {
    match berth {
        Berth::Lower => pb::Berth::Lower,
        Berth::Middle => pb::Berth::Middle,
        Berth::Upper => pb::Berth::Upper,
    }
}

/// Proto berth → domain; `None` for UNSPECIFIED (no preference).
pub fn berth_from_proto(value: i32) -> Option<Berth> {
    match pb::Berth::try_from(value).ok()? {
        pb::Berth::Unspecified => None,
        pb::Berth::Lower => Some(Berth::Lower),
        pb::Berth::Middle => Some(Berth::Middle),
        pb::Berth::Upper => Some(Berth::Upper),
    }
}

/// Domain train type → proto.
pub fn train_type_to_proto(train_type: TrainType) -> pb::TrainType {
    match train_type {
        TrainType::HighSpeed => pb::TrainType::HighSpeed,
        TrainType::Emu => pb::TrainType::Emu,
        TrainType::Intercity => pb::TrainType::Intercity,
        TrainType::DirectExpress => pb::TrainType::DirectExpress,
        TrainType::Express => pb::TrainType::Express,
        TrainType::Fast => pb::TrainType::Fast,
        TrainType::Other => pb::TrainType::Other,
    }
}

/// Proto train type → domain; `None` for UNSPECIFIED or an unknown number.
pub fn train_type_from_proto(value: i32) -> Option<TrainType> {
    Some(match pb::TrainType::try_from(value).ok()? {
        pb::TrainType::Unspecified => return None,
        pb::TrainType::HighSpeed => TrainType::HighSpeed,
        pb::TrainType::Emu => TrainType::Emu,
        pb::TrainType::Intercity => TrainType::Intercity,
        pb::TrainType::DirectExpress => TrainType::DirectExpress,
        pb::TrainType::Express => TrainType::Express,
        pb::TrainType::Fast => TrainType::Fast,
        pb::TrainType::Other => TrainType::Other,
    })
}

/// Station → proto.
pub fn station_to_proto(station: &Station) -> pb::Station {
    station_into_proto(station.clone())
}

/// Station → proto, moving its strings.
pub fn station_into_proto(station: Station) -> pb::Station {
    pb::Station {
        telecode: station.telecode,
        name: station.name,
        pinyin: station.pinyin,
        short_pinyin: station.short_pinyin,
        city: station.city,
    }
}

/// Train option → proto, copying a train that is shared (with the search
/// cache) and moving one that is not: an answer has hundreds of strings,
/// and copying them was most of the cost of the conversion.
pub fn shared_train_to_proto(train: Arc<TrainOption>) -> pb::TrainOption {
    match Arc::try_unwrap(train) {
        Ok(owned) => train_into_proto(owned),
        Err(shared) => train_to_proto(&shared),
    }
}

/// Train option → proto.
pub fn train_to_proto(train: &TrainOption) -> pb::TrainOption {
    train_into_proto(train.clone())
}

/// Train option → proto, moving its strings.
pub fn train_into_proto(train: TrainOption) -> pb::TrainOption {
    pb::TrainOption {
        train_code: train.train_code,
        train_no: train.train_no,
        train_type: train_type_to_proto(train.train_type) as i32,
        from_station: Some(station_into_proto(train.from_station)),
        to_station: Some(station_into_proto(train.to_station)),
        departure_time: to_rfc3339(train.departure),
        arrival_time: to_rfc3339(train.arrival),
        arrival_day_offset: saturating_i32(train.arrival_day_offset),
        duration_minutes: saturating_i32(train.duration_minutes),
        origin_station_name: train.origin_station_name,
        terminal_station_name: train.terminal_station_name,
        seat_choice_supported: train.seat_choice_supported,
        berth_choice_supported: train.berth_choice_supported,
        seats: train.seats.into_iter().map(seat_offer_into_proto).collect(),
        through_ticket: None,
    }
}

/// A through-stop offer → the train as the traveller rides it, with the
/// longer ticket's seats and segment.
pub fn through_stop_offer_to_proto(offer: &ThroughStopOffer) -> pb::TrainOption {
    let ticket = &offer.ticket;
    let mut train = train_to_proto(&offer.ride);
    train.seats = ticket
        .seats
        .iter()
        .map(|seat| pb::SeatOffer {
            extra_fare_fen: offer.extra_fare(seat),
            ..seat_offer_into_proto(seat.clone())
        })
        .collect();
    train.seat_choice_supported = ticket.seat_choice_supported;
    train.berth_choice_supported = ticket.berth_choice_supported;
    train.through_ticket = Some(pb::ThroughTicket {
        from_station: Some(station_to_proto(&ticket.from_station)),
        to_station: Some(station_to_proto(&ticket.to_station)),
        departure_time: to_rfc3339(ticket.departure),
        arrival_time: to_rfc3339(ticket.arrival),
    });
    train
}

fn seat_offer_into_proto(seat: SeatOffer) -> pb::SeatOffer {
    pb::SeatOffer {
        seat_class: seat_class_to_proto(seat.seat_class) as i32,
        price_fen: seat.price.get(),
        remaining: saturating_i32(seat.remaining),
        berth_prices: seat
            .berth_prices
            .iter()
            .map(|(berth, price)| pb::BerthPrice {
                berth: berth_to_proto(*berth) as i32,
                price_fen: price.get(),
            })
            .collect(),
        provider: provider_to_proto(seat.provider) as i32,
        offer_id: seat.offer_id,
        extra_fare_fen: None,
    }
}

/// Stop → proto.
pub fn stop_to_proto(stop: &Stop) -> pb::Stop {
    let hh_mm = |time: Option<chrono::NaiveTime>| {
        time.map(|t| t.format("%H:%M").to_string())
            .unwrap_or_default()
    };
    pb::Stop {
        sequence: saturating_i32(stop.sequence),
        station: Some(station_to_proto(&stop.station)),
        arrival_time: hh_mm(stop.arrival),
        departure_time: hh_mm(stop.departure),
        stop_minutes: saturating_i32(stop.stop_minutes),
        day_offset: saturating_i32(stop.day_offset),
    }
}

fn saturating_i32(value: u32) -> i32 {
    i32::try_from(value).unwrap_or(i32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seat_classes_round_trip_and_cover_the_proto_enum() {
        for class in SeatClass::ALL {
            assert_eq!(
                seat_class_from_proto(seat_class_to_proto(class) as i32),
                Some(class)
            );
        }
        // Every proto value but UNSPECIFIED has a domain class.
        let mut value = 1;
        while pb::SeatClass::try_from(value).is_ok() {
            assert!(
                seat_class_from_proto(value).is_some(),
                "proto seat class {value}"
            );
            value += 1;
        }
        assert_eq!(value as usize - 1, SeatClass::ALL.len());
        assert_eq!(seat_class_from_proto(0), None);
        assert_eq!(seat_class_from_proto(999), None);
    }

    #[test]
    fn berths_round_trip() {
        for berth in Berth::ALL {
            assert_eq!(berth_from_proto(berth_to_proto(berth) as i32), Some(berth));
        }
        assert_eq!(berth_from_proto(0), None);
        assert_eq!(berth_from_proto(9), None);
    }

    #[test]
    fn train_types_round_trip() {
        for train_type in TrainType::ALL {
            assert_eq!(
                train_type_from_proto(train_type_to_proto(train_type) as i32),
                Some(train_type)
            );
        }
        assert_eq!(train_type_from_proto(0), None);
        assert_eq!(train_type_from_proto(8), None);
    }

    #[test]
    fn a_shared_train_and_an_owned_one_convert_alike() {
        let station = |name: &str, telecode: &str| Station {
            telecode: telecode.into(),
            name: name.into(),
            pinyin: "p".into(),
            short_pinyin: "s".into(),
            city: "c".into(),
        };
        let departure = chrono::NaiveDate::from_ymd_opt(2026, 12, 2)
            .unwrap()
            .and_hms_opt(7, 0, 0)
            .unwrap();
        let train = TrainOption {
            train_code: "G1".into(),
            train_no: "24000000G10I".into(),
            train_type: TrainType::HighSpeed,
            from_station: station("北京南", "VNP"),
            to_station: station("上海虹桥", "AOH"),
            departure,
            arrival: departure + chrono::Duration::hours(5),
            arrival_day_offset: 0,
            duration_minutes: 300,
            origin_station_name: "北京南".into(),
            terminal_station_name: "上海虹桥".into(),
            seat_choice_supported: true,
            berth_choice_supported: false,
            seats: vec![SeatOffer {
                seat_class: SeatClass::SoftSleeper,
                price: crate::domain::Fen::new(60400),
                remaining: 10,
                berth_prices: vec![(Berth::Lower, crate::domain::Fen::new(61000))],
                provider: ProviderId::Panhe,
                offer_id: "o1.x".into(),
            }],
        };
        let expected = train_to_proto(&train);
        assert_eq!(expected.seats[0].berth_prices[0].price_fen, 61000);
        assert_eq!(expected.from_station.as_ref().unwrap().city, "c");
        let shared = Arc::new(train);
        let cached = Arc::clone(&shared);
        assert_eq!(
            shared_train_to_proto(shared),
            expected,
            "copied while shared"
        );
        assert_eq!(shared_train_to_proto(cached), expected, "moved when alone");
    }

    #[test]
    fn providers_round_trip() {
        for provider in ProviderId::ALL {
            assert_eq!(
                provider_from_proto(provider_to_proto(provider) as i32),
                Some(provider)
            );
        }
        assert_eq!(provider_from_proto(0), None);
        assert_eq!(provider_from_proto(3), None);
    }
}
