//! Panhe's code tables ⇄ the neutral model. Every table is an exhaustive
//! `match`; a value outside Panhe's documented table is `None`, which the
//! adapter turns into an explicit `UnknownCode` error, never a default.

use crate::domain::{Berth, SeatClass, TrainType};
use chrono::{NaiveDateTime, NaiveTime};

/// Seat type code (席别类型) → seat class.
pub fn seat_class_from_code(code: i32) -> Option<SeatClass> {
    Some(match code {
        1 => SeatClass::Business,
        2 => SeatClass::Premium,
        3 => SeatClass::First,
        4 => SeatClass::Second,
        5 => SeatClass::DeluxeSoftSleeper,
        6 => SeatClass::SoftSleeper,
        7 => SeatClass::EmuSleeper,
        8 => SeatClass::HardSleeper,
        9 => SeatClass::SoftSeat,
        10 => SeatClass::HardSeat,
        11 => SeatClass::FirstClassSleeper,
        12 => SeatClass::SecondClassSleeper,
        13 => SeatClass::DeluxeEmuSleeper,
        14 => SeatClass::FirstSoftSeat,
        15 => SeatClass::SecondSoftSeat,
        16 => SeatClass::PremiumSoftSeat,
        17 => SeatClass::CompartmentHardSleeper,
        18 => SeatClass::PrivateSoftCompartment,
        19 => SeatClass::MultiFunction,
        98 => SeatClass::NoSeat,
        99 => SeatClass::Other,
        _ => return None,
    })
}

/// Seat class → seat type code. Panhe sells every neutral class.
pub fn seat_class_to_code(seat_class: SeatClass) -> i32 {
    match seat_class {
        SeatClass::Business => 1,
        SeatClass::Premium => 2,
        SeatClass::First => 3,
        SeatClass::Second => 4,
        SeatClass::DeluxeSoftSleeper => 5,
        SeatClass::SoftSleeper => 6,
        SeatClass::EmuSleeper => 7,
        SeatClass::HardSleeper => 8,
        SeatClass::SoftSeat => 9,
        SeatClass::HardSeat => 10,
        SeatClass::FirstClassSleeper => 11,
        SeatClass::SecondClassSleeper => 12,
        SeatClass::DeluxeEmuSleeper => 13,
        SeatClass::FirstSoftSeat => 14,
        SeatClass::SecondSoftSeat => 15,
        SeatClass::PremiumSoftSeat => 16,
        SeatClass::CompartmentHardSleeper => 17,
        SeatClass::PrivateSoftCompartment => 18,
        SeatClass::MultiFunction => 19,
        SeatClass::NoSeat => 98,
        SeatClass::Other => 99,
    }
}

/// Sleeper type (铺别类型) → berth.
pub fn berth_from_code(code: i32) -> Option<Berth> {
    match code {
        1 => Some(Berth::Lower),
        2 => Some(Berth::Middle),
        3 => Some(Berth::Upper),
        _ => None,
    }
}

/// Berth → sleeper type code.
pub fn berth_to_code(berth: Berth) -> i32 {
    match berth {
        Berth::Lower => 1,
        Berth::Middle => 2,
        Berth::Upper => 3,
    }
}

/// Train type code (车次类型) → train type. Panhe has no intercity type and
/// files C trains under 高铁 or 动车, so the train code refines it.
pub fn train_type_from_code(code: i32, train_code: &str) -> Option<TrainType> {
    let train_type = match code {
        1 => TrainType::HighSpeed,
        2 => TrainType::Emu,
        3 => TrainType::DirectExpress,
        4 => TrainType::Express,
        5 => TrainType::Fast,
        6 => TrainType::Other,
        _ => return None,
    };
    let is_intercity = train_code.starts_with('C');
    Some(match train_type {
        TrainType::HighSpeed | TrainType::Emu if is_intercity => TrainType::Intercity,
        other => other,
    })
}

/// Parses "yyyy-MM-dd HH:mm" (search) or "yyyy-MM-dd HH:mm:ss" (orders).
pub fn parse_date_time(text: &str) -> Option<NaiveDateTime> {
    let text = text.trim();
    if let Some(parsed) = parse_canonical_date_time(text) {
        return Some(parsed);
    }
    NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M")
        .or_else(|_| NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S"))
        .ok()
}

/// Exactly `yyyy-MM-dd HH:mm`, as Panhe writes every time of a search
/// answer (two per train), read without chrono's format interpreter; None
/// for any other shape, which chrono then reads as before.
fn parse_canonical_date_time(text: &str) -> Option<NaiveDateTime> {
    let bytes = text.as_bytes();
    let shape_ok = bytes.len() == 16
        && bytes[4] == b'-'
        && bytes[7] == b'-'
        && bytes[10] == b' '
        && bytes[13] == b':';
    if !shape_ok {
        return None;
    }
    let number = |range: std::ops::Range<usize>| {
        bytes[range].iter().try_fold(0u32, |value, byte| {
            byte.is_ascii_digit()
                .then(|| value * 10 + u32::from(byte - b'0'))
        })
    };
    let year = i32::try_from(number(0..4)?).ok()?;
    chrono::NaiveDate::from_ymd_opt(year, number(5..7)?, number(8..10)?)?.and_hms_opt(
        number(11..13)?,
        number(14..16)?,
        0,
    )
}

/// Parses a duration "HH:mm" (hours may exceed 24) into minutes; `None`
/// for a duration of more minutes than a `u32` holds.
pub fn parse_duration_minutes(text: &str) -> Option<u32> {
    let (hours, minutes) = text.trim().split_once(':')?;
    let hours: u32 = hours.parse().ok()?;
    let minutes: u32 = minutes.parse().ok()?;
    if minutes >= 60 {
        return None;
    }
    hours.checked_mul(60)?.checked_add(minutes)
}

/// A field value that does not have its documented format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BadFormat;

/// Parses a stop time "HH:mm"; "----" (no time) is `Ok(None)`.
pub fn parse_stop_time(text: &str) -> Result<Option<NaiveTime>, BadFormat> {
    let text = text.trim();
    if text.is_empty() || text.chars().all(|c| c == '-') {
        return Ok(None);
    }
    // The seed's table writes the format as "HH;mm"; accept the typo too.
    NaiveTime::parse_from_str(&text.replace(';', ":"), "%H:%M")
        .map(Some)
        .map_err(|_| BadFormat)
}

/// Parses a dwell "2", "3分钟" or "----" into minutes.
pub fn parse_interval_minutes(text: &str) -> Result<u32, BadFormat> {
    let text = text.trim();
    if text.is_empty() || text.chars().all(|c| c == '-') {
        return Ok(0);
    }
    text.trim_end_matches("分钟")
        .trim()
        .parse()
        .map_err(|_| BadFormat)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Panhe's documented seat type codes.
    const SEAT_CODES: [i32; 21] = [
        1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 98, 99,
    ];

    #[test]
    fn seat_classes_round_trip_both_ways() {
        for code in SEAT_CODES {
            let class = seat_class_from_code(code).unwrap_or_else(|| panic!("code {code}"));
            assert_eq!(seat_class_to_code(class), code);
        }
        for class in SeatClass::ALL {
            assert_eq!(seat_class_from_code(seat_class_to_code(class)), Some(class));
        }
    }

    #[test]
    fn undocumented_seat_codes_are_unknown() {
        for code in [0, 20, 97, 100, -1] {
            assert_eq!(seat_class_from_code(code), None, "code {code}");
        }
    }

    #[test]
    fn berths_round_trip() {
        for berth in Berth::ALL {
            assert_eq!(berth_from_code(berth_to_code(berth)), Some(berth));
        }
        assert_eq!(berth_from_code(0), None);
        assert_eq!(berth_from_code(4), None);
    }

    #[test]
    fn train_types_cover_the_table() {
        let expected = [
            (1, TrainType::HighSpeed),
            (2, TrainType::Emu),
            (3, TrainType::DirectExpress),
            (4, TrainType::Express),
            (5, TrainType::Fast),
            (6, TrainType::Other),
        ];
        for (code, train_type) in expected {
            assert_eq!(train_type_from_code(code, "X1"), Some(train_type));
        }
        assert_eq!(train_type_from_code(1, "C2001"), Some(TrainType::Intercity));
        assert_eq!(train_type_from_code(2, "C2001"), Some(TrainType::Intercity));
        assert_eq!(train_type_from_code(5, "K289"), Some(TrainType::Fast));
        assert_eq!(train_type_from_code(0, "G1"), None);
        assert_eq!(train_type_from_code(7, "G1"), None);
    }

    #[test]
    fn the_canonical_time_reader_agrees_with_chrono() {
        let chrono_reads = |text: &str| NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M").ok();
        for text in [
            "2023-12-15 04:30",
            "2024-02-29 23:59",
            "0001-01-01 00:00",
            "2023-02-29 04:30",
            "2023-13-01 04:30",
            "2023-12-15 24:00",
            "2023-12-15 04:60",
            "2023-12-15T04:30",
            "2023-1a-15 04:30",
            "+023-12-15 04:30",
        ] {
            assert_eq!(
                parse_canonical_date_time(text).or_else(|| chrono_reads(text)),
                chrono_reads(text),
                "{text}"
            );
        }
        assert!(parse_canonical_date_time("2023-12-15 04:30").is_some());
        assert_eq!(
            parse_date_time(" 2023-1-5 4:30 "),
            chrono_reads("2023-1-5 4:30"),
            "other shapes still go to chrono"
        );
    }

    #[test]
    fn parses_times_and_durations() {
        assert_eq!(
            parse_date_time("2023-12-15 04:30"),
            Some("2023-12-15T04:30:00".parse().unwrap())
        );
        assert_eq!(
            parse_date_time("2024-01-27 06:57:00"),
            Some("2024-01-27T06:57:00".parse().unwrap())
        );
        assert_eq!(parse_date_time("2023-12-15"), None);
        assert_eq!(parse_duration_minutes("00:24"), Some(24));
        assert_eq!(parse_duration_minutes("34:10"), Some(2050));
        assert_eq!(parse_duration_minutes("1:75"), None);
        assert_eq!(parse_duration_minutes("abc"), None);
        // Found by the panhe_search fuzz target: more minutes than a u32
        // holds overflowed.
        assert_eq!(parse_duration_minutes("99999999:00"), None);
        assert_eq!(parse_duration_minutes("71582788:15"), Some(u32::MAX));
        assert_eq!(parse_stop_time("----"), Ok(None));
        assert_eq!(
            parse_stop_time("07:46"),
            Ok(NaiveTime::from_hms_opt(7, 46, 0))
        );
        assert_eq!(
            parse_stop_time("07;46"),
            Ok(NaiveTime::from_hms_opt(7, 46, 0))
        );
        assert_eq!(parse_stop_time("25:00"), Err(BadFormat));
        assert_eq!(parse_interval_minutes("----"), Ok(0));
        assert_eq!(parse_interval_minutes("2"), Ok(2));
        assert_eq!(parse_interval_minutes("30分钟"), Ok(30));
        assert_eq!(parse_interval_minutes("long"), Err(BadFormat));
    }
}
