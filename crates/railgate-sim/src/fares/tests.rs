use std::collections::BTreeMap;
use std::sync::Arc;

use super::*;
use crate::timetable::{Stop, Timetable};

const NAGEOFFER_TRAINS: &str = include_str!("../../../../data/fares/t_train.csv");
const NAGEOFFER_PRICES: &str = include_str!("../../../../data/fares/t_train_station_price.csv");
const STOP_FARES: &str = include_str!("../../../../data/timetable/train_stop_fares_sample.csv");

/// One real fare next to the model's.
struct Sample {
    group: &'static str,
    what: String,
    actual_fen: u32,
    model_fen: u32,
}

impl Sample {
    fn error(&self) -> f64 {
        f64::from(self.model_fen) / f64::from(self.actual_fen) - 1.0
    }
}

fn fare_of(segment: &Segment<'_>, seat: SeatClass) -> u32 {
    fares(segment)
        .into_iter()
        .find(|fare| fare.seat == seat)
        .unwrap_or_else(|| panic!("{} sells no {seat:?}", segment.train.train_no))
        .price_fen
}

fn group(family: Family, seat: SeatClass) -> &'static str {
    match (family, seat) {
        (Family::HighSpeed, SeatClass::Business) => "G business",
        (Family::HighSpeed, SeatClass::First) => "G first",
        (Family::HighSpeed, _) => "G second",
        (Family::EmuSleeper, SeatClass::FirstClassSleeper | SeatClass::SecondClassSleeper) => {
            "D sleeper berths"
        }
        (Family::EmuSleeper, _) => "D sleeper seats",
        (Family::Local, _) => "local 75xx",
        (Family::Intercity | Family::Emu, _) => "EMU seats",
        (_, SeatClass::HardSleeper | SeatClass::SoftSleeper) => "K berths",
        _ => "K seats",
    }
}

/// Every real fare in the repository with the model's price: nageoffer's
/// G35/G39/D717 (Z284 is placeholder data, see SOURCES.md), the 12306 fares
/// of K22 and eleven 75xx trains, and the seed's G8293 example.
fn samples() -> Vec<Sample> {
    let timetable = Timetable::embedded();
    let mut out = Vec::new();
    let mut push = |segment: &Segment<'_>, seat, actual_fen, what: String| {
        out.push(Sample {
            group: group(family(segment.train), seat),
            what,
            actual_fen,
            model_fen: fare_of(segment, seat),
        });
    };

    let mut codes = BTreeMap::new();
    for record in csv::Reader::from_reader(NAGEOFFER_TRAINS.as_bytes()).records() {
        let record = record.unwrap();
        codes.insert(record[0].to_owned(), record[1].to_owned());
    }
    for record in csv::Reader::from_reader(NAGEOFFER_PRICES.as_bytes()).records() {
        let record = record.unwrap();
        let code = &codes[&record[1]];
        if code == "Z284" {
            continue;
        }
        let (from, to) = (&record[2], &record[3]);
        let seat = match &record[4] {
            "0" => SeatClass::Business,
            "1" => SeatClass::First,
            // 3 is D717's 二等包座, sold as its second-class seat.
            "2" | "3" => SeatClass::Second,
            "4" => SeatClass::FirstClassSleeper,
            "5" => SeatClass::SecondClassSleeper,
            "13" => SeatClass::NoSeat,
            other => panic!("unexpected seat type {other}"),
        };
        let segment = timetable
            .trains_between(from, to)
            .into_iter()
            .find(|segment| segment.train_code() == code)
            .unwrap_or_else(|| panic!("{code} {from}→{to} not in the timetable"));
        let what = format!("{code} {from}→{to} {seat:?}");
        push(&segment, seat, record[5].parse().unwrap(), what);
    }

    for record in csv::Reader::from_reader(STOP_FARES.as_bytes()).records() {
        let record = record.unwrap();
        let train = timetable.train_by_no(&record[0]).unwrap();
        let to_no: u16 = record[3].parse().unwrap();
        let to = train
            .stops
            .iter()
            .position(|s| s.station_no == to_no)
            .unwrap();
        let segment = Segment { train, from: 0, to };
        let seat = match &record[5] {
            "A1" => SeatClass::HardSeat,
            "A3" => SeatClass::HardSleeper,
            "A4" => SeatClass::SoftSleeper,
            "WZ" => SeatClass::NoSeat,
            other => panic!("unexpected seat key {other}"),
        };
        let jiao: u32 = record[8].parse().unwrap();
        let what = format!("{} {}→{} {seat:?}", &record[1], &record[2], &record[4]);
        push(&segment, seat, jiao * 10, what);
    }

    let g8293 = timetable
        .trains_between("苏州", "昆山南")
        .into_iter()
        .find(|segment| segment.train.train_no == "5f000G829601")
        .unwrap();
    for (seat, yuan) in [
        (SeatClass::Second, 14),
        (SeatClass::First, 23),
        (SeatClass::Business, 49),
    ] {
        push(
            &g8293,
            seat,
            yuan * 100,
            format!("seed G8293 苏州→昆山南 {seat:?}"),
        );
    }
    out
}

/// The seed's K289 苏州→昆山 (24 minutes; not in the 2023 timetable), on a
/// synthetic train that runs long enough to carry sleepers.
fn seed_k289() -> Train {
    let stop = |name: &str, arrive: Option<u32>, depart: u32| Stop {
        station_no: 1,
        station_name: Arc::from(name),
        telecode: None,
        train_code: Arc::from("K289"),
        arrive,
        depart,
    };
    Train {
        train_no: "760000K2920K".to_owned(),
        train_code: Arc::from("K289"),
        class_name: "快速".to_owned(),
        stops: vec![
            stop("成都西", None, 0),
            stop("苏州", Some(1_700), 1_710),
            stop("昆山", Some(1_734), 1_736),
            stop("上海", Some(1_790), 1_790),
        ],
    }
}

#[test]
fn model_is_within_the_stated_tolerance_of_every_sample() {
    let samples = samples();
    assert_eq!(samples.len(), 103 - 4 + 338 + 3);
    let mut groups: BTreeMap<&str, Vec<&Sample>> = BTreeMap::new();
    for sample in &samples {
        groups.entry(sample.group).or_default().push(sample);
    }
    // The measured error, for docs/SIMULATOR.md (`--nocapture`).
    for (name, members) in &groups {
        let mut errors: Vec<f64> = members.iter().map(|s| s.error().abs()).collect();
        errors.sort_by(f64::total_cmp);
        let worst = members
            .iter()
            .max_by(|a, b| a.error().abs().total_cmp(&b.error().abs()))
            .unwrap();
        println!(
            "{name:18} n={:3} median {:5.1}% p90 {:5.1}% max {:5.1}% ({}: {} vs {})",
            members.len(),
            errors[errors.len() / 2] * 100.0,
            errors[errors.len() * 9 / 10] * 100.0,
            errors[errors.len() - 1] * 100.0,
            worst.what,
            worst.model_fen,
            worst.actual_fen,
        );
    }
    let within = |name: &str, tolerance: f64| {
        for sample in &groups[name] {
            assert!(
                sample.error().abs() <= tolerance,
                "{}: model {} fen, real {} fen",
                sample.what,
                sample.model_fen,
                sample.actual_fen
            );
        }
    };
    within("G second", 0.20);
    within("G first", 0.20);
    within("G business", 0.25);
    within("D sleeper berths", 0.06);
    // D717's seat on short hops near 杭州 (44 minutes for ¥13) is the worst.
    within("D sleeper seats", 0.40);
    within("K seats", 0.06);
    within("K berths", 0.06);
    // Local trains: fares of ¥1–28 on lines of very different speeds. Judge
    // them in yuan and by the median rather than the worst ratio.
    let local = &groups["local 75xx"];
    let mut errors: Vec<f64> = local.iter().map(|s| s.error().abs()).collect();
    errors.sort_by(f64::total_cmp);
    assert!(
        errors[errors.len() / 2] <= 0.20,
        "median {}",
        errors[errors.len() / 2]
    );
    for sample in local {
        let off = sample.model_fen.abs_diff(sample.actual_fen);
        assert!(
            off <= 500,
            "{}: {} vs {}",
            sample.what,
            sample.model_fen,
            sample.actual_fen
        );
    }
}

#[test]
fn seed_k289_berth_prices() {
    let train = seed_k289();
    assert!(matches!(
        family(&train),
        Family::Conventional {
            sleepers: true,
            speed_kmh: 90
        }
    ));
    let fares = fares(&Segment {
        train: &train,
        from: 1,
        to: 2,
    });
    let by_seat = |seat| fares.iter().find(|fare| fare.seat == seat).unwrap();
    // The seed: 无座 9.0, 硬座 9.0, 硬卧 55/60/63, 软卧 81.5/87.5.
    assert_eq!(by_seat(SeatClass::HardSeat).price_fen, 900);
    assert_eq!(by_seat(SeatClass::NoSeat).price_fen, 900);
    let hard = by_seat(SeatClass::HardSleeper);
    let berths: Vec<u32> = hard.berths.iter().map(|(_, fen)| *fen).collect();
    assert_eq!(hard.berths[0].0, Berth::Upper);
    assert_eq!(
        berths[0], hard.price_fen,
        "the seat price is the upper berth"
    );
    for (model, seed) in berths.iter().zip([5_500, 6_000, 6_300]) {
        assert!(model.abs_diff(seed) <= 300, "{berths:?}");
    }
    let soft = by_seat(SeatClass::SoftSleeper);
    assert_eq!(soft.berths.len(), 2);
    assert!(soft.price_fen.abs_diff(8_150) <= 300, "{soft:?}");
    assert!(
        soft.berths[1].1 > soft.berths[0].1,
        "lower costs more: {soft:?}"
    );
}

#[test]
fn seat_classes_follow_the_train_type() {
    let timetable = Timetable::embedded();
    let classes = |code: &str| seat_classes(family(timetable.train_by_code(code).unwrap()));
    use SeatClass::*;
    assert_eq!(classes("G1"), [NoSeat, Second, First, Business]);
    assert_eq!(classes("C103"), [NoSeat, Second, First, Business]);
    assert_eq!(classes("D2201"), [NoSeat, Second, First]);
    assert_eq!(
        classes("D717"),
        [NoSeat, Second, SecondClassSleeper, FirstClassSleeper]
    );
    assert_eq!(classes("K22"), [NoSeat, HardSeat, HardSleeper, SoftSleeper]);
    assert_eq!(classes("7510"), [NoSeat, HardSeat]);
    let sleeper_d = timetable
        .trains()
        .filter(|train| family(train) == Family::EmuSleeper)
        .count();
    assert_eq!(sleeper_d, 48);
    // Every train with at least two stops prices every class it sells, and
    // dearer classes cost more.
    for train in timetable.trains().filter(|train| train.stops.len() > 1) {
        let segment = Segment {
            train,
            from: 0,
            to: train.stops.len() - 1,
        };
        let fares = fares(&segment);
        assert!(fares.iter().all(|fare| fare.price_fen >= 100));
        assert!(fares.iter().all(|fare| fare.price_fen % 50 == 0));
        for pair in fares.windows(2).skip(1) {
            assert!(
                pair[0].price_fen <= pair[1].price_fen,
                "{}: {fares:?}",
                train.train_no
            );
        }
    }
}

#[test]
fn rounding_is_half_up_to_half_a_yuan() {
    assert_eq!(round_fen(8.74), 850);
    assert_eq!(round_fen(8.75), 900);
    assert_eq!(round_fen(81.3), 8_150);
    assert_eq!(round_fen(0.2), 100, "at least ¥1");
    assert_eq!(tapered_km(100.0), 100.0);
    assert_eq!(tapered_km(600.0), 200.0 + 270.0 + 80.0);
}

#[test]
fn remaining_counts_are_deterministic() {
    let date = NaiveDate::from_ymd_opt(2026, 5, 1).unwrap();
    let count = |seat| remaining("24000000G10I", date, "北京南", "上海", seat);
    // Pinned values: a change here means every process and every test that
    // relies on a stable sandbox sees different availability.
    let pinned = [
        count(SeatClass::Second),
        count(SeatClass::First),
        count(SeatClass::Business),
        count(SeatClass::NoSeat),
    ];
    assert_eq!(pinned, PINNED_G1_COUNTS);
    assert_eq!(
        count(SeatClass::Second),
        pinned[0],
        "same inputs, same count"
    );

    let timetable = Timetable::embedded();
    let mut total = 0;
    let mut sold_out = 0;
    for day in 0..15 {
        let date = date + chrono::Days::new(day);
        for segment in timetable.trains_between("北京南", "上海虹桥") {
            let (from, to) = (
                &segment.from_stop().station_name,
                &segment.to_stop().station_name,
            );
            for &seat in seat_classes(family(segment.train)) {
                let left = remaining(&segment.train.train_no, date, from, to, seat);
                assert!(left <= seat.stock().0);
                total += 1;
                sold_out += usize::from(left == 0);
            }
        }
    }
    // Some but not most classes are sold out.
    assert!(
        sold_out * 100 > total * 10 && sold_out * 100 < total * 40,
        "{sold_out}/{total}"
    );
}

/// Counts of G1 北京南→上海 on 2026-05-01 (second, first, business, no seat).
const PINNED_G1_COUNTS: [u32; 4] = [315, 13, 4, 51];
