//! The simulator's fare model: which seat classes a train sells, what a ride
//! costs, and how many tickets are left.
//!
//! The timetable has no distances, so distance is estimated from time:
//! `km = speed × moving minutes` (minutes between boarding and alighting
//! minus the dwell at intermediate stops), with a per-family speed. Fares
//! are then per-km rates, tapered for conventional trains like 12306's
//! 递远递减 bands, rounded to ¥0.5 (half up) with a floor of ¥1. The
//! constants were fitted on every real fare sample in the repository;
//! `docs/SIMULATOR.md` has the derivation and the measured error, and the
//! tests below re-measure it.
//!
//! This module speaks in its own seat classes rather than `crate::domain`'s:
//! the simulator stands in for an external provider and must not change when
//! the gateway's neutral model does. Money is integer fen.

use std::hash::Hasher;

use chrono::NaiveDate;

use super::timetable::{Segment, Train};

pub mod rules;

/// Seat classes the simulator sells, cheapest first within a family (the
/// order Panhe lists them in).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SeatClass {
    /// 无座: a standing ticket, priced as the cheapest seat.
    NoSeat,
    /// 二等座.
    Second,
    /// 一等座.
    First,
    /// 商务座.
    Business,
    /// 硬座.
    HardSeat,
    /// 硬卧: upper, middle and lower berths.
    HardSleeper,
    /// 软卧: upper and lower berths.
    SoftSleeper,
    /// 二等卧 (动卧 trains): upper, middle and lower berths.
    SecondClassSleeper,
    /// 一等卧 (动卧 trains): upper and lower berths.
    FirstClassSleeper,
}

impl SeatClass {
    /// Berths sold separately, in Panhe's order (upper first), or empty for
    /// seats.
    pub fn berths(self) -> &'static [Berth] {
        match self {
            SeatClass::HardSleeper | SeatClass::SecondClassSleeper => {
                &[Berth::Upper, Berth::Middle, Berth::Lower]
            }
            SeatClass::SoftSleeper | SeatClass::FirstClassSleeper => &[Berth::Upper, Berth::Lower],
            _ => &[],
        }
    }

    /// Most tickets one query can show as left, and the percentage of
    /// queries that find the class sold out. Roughly one train's worth of
    /// each class; business and standing tickets sell out most often.
    fn stock(self) -> (u32, u64) {
        match self {
            SeatClass::NoSeat => (120, 55),
            SeatClass::Second => (500, 8),
            SeatClass::First => (60, 15),
            SeatClass::Business => (10, 30),
            SeatClass::HardSeat => (300, 10),
            SeatClass::HardSleeper => (180, 15),
            SeatClass::SoftSleeper => (36, 25),
            SeatClass::SecondClassSleeper => (120, 15),
            SeatClass::FirstClassSleeper => (40, 25),
        }
    }
}

/// A berth tier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Berth {
    Upper,
    Middle,
    Lower,
}

/// How a train is priced; decided by [`family`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// G trains, and C trains run by 高速 (300–350 km/h) EMUs.
    HighSpeed,
    /// C (城际) trains run by 动车 EMUs: high-speed seat classes at EMU
    /// rates (2,211 of the 2,492 C trains; many stop everywhere).
    Intercity,
    /// D trains (and S trains run by EMUs) selling seats.
    Emu,
    /// Overnight D trains (动卧, D7xx/D9xx): berths plus a seat class.
    EmuSleeper,
    /// Z/T/K and other express trains; `speed_kmh` depends on the letter.
    Conventional { speed_kmh: u32, sleepers: bool },
    /// 普客, 市郊 and 快慢 local trains: hard seats only, cheapest rates.
    Local,
}

/// One seat class of one ride: the price shown (the upper berth for
/// sleepers, as in the seed's example) and per-berth prices.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fare {
    pub seat: SeatClass,
    pub price_fen: u32,
    /// (berth, price) in Panhe's order; empty for seats.
    pub berths: Vec<(Berth, u32)>,
}

// --- High speed (G/C) and EMU seats -----------------------------------------
// km = SPEED × (t / 60 min)^1.15 with t = moving minutes − 10 per leg: every
// start and stop costs time at low speed, and the average speed of a run
// grows with its length (short hops never reach line speed and are often on
// slower lines). Fitted on G35/G39 (14 pairs each class) and the seed's G8293
// example, choosing among (exponent, overhead) pairs the one that fits the
// samples best without pricing slow 北京南→上海虹桥 trains far above fast
// ones (γ 1.2 fitted the samples as well but priced G113 32% over G15).
/// Reference speed of G/C trains, km/h.
const HIGH_SPEED_KMH: f64 = 250.0;
/// Reference speed of D and 动车-run C trains on 200–250 km/h lines
/// (assumed: no such fare sample exists).
const EMU_KMH: f64 = 200.0;
/// Exponent of the run-time → distance curve.
const HIGH_SPEED_GAMMA: f64 = 1.15;
/// Minutes lost per start (acceleration and braking), per leg.
const START_OVERHEAD_MINUTES: f64 = 10.0;
/// Shortest distance charged on EMUs.
const EMU_MIN_KM: f64 = 20.0;
/// G/C yuan per km: geometric means of price / estimated km over the samples.
const HIGH_SPEED_SECOND_PER_KM: f64 = 0.589;
const HIGH_SPEED_FIRST_PER_KM: f64 = 0.957;
const HIGH_SPEED_BUSINESS_PER_KM: f64 = 2.01;
/// D seats cost this fraction of G seats per km (assumption, no sample:
/// 12306's 250 km/h tariffs are roughly 60% of its 350 km/h ones).
const EMU_RATE_FACTOR: f64 = 0.6;

// --- Overnight EMU sleepers (D717 calibrated) --------------------------------
/// D717 covers 北京→杭州 in 13h44: a deliberately slow overnight run.
const EMU_SLEEPER_KMH: f64 = 120.0;
/// A D train running at least this long and arriving on a later day is a
/// 动卧 train (48 trains in the data, all D7xx/D9xx).
const EMU_SLEEPER_MIN_RUN_MINUTES: u32 = 8 * 60;
const EMU_SLEEPER_SEAT_PER_KM: f64 = 0.203;
const EMU_SLEEPER_FIRST_BERTH_PER_KM: f64 = 0.385;
const EMU_SLEEPER_SECOND_BERTH_PER_KM: f64 = 0.328;

// --- Conventional trains (K22 and the seed's K289 calibrated) ----------------
/// Moving speeds; K (90 km/h) is fitted on K22, Z and T are assumed faster.
const Z_KMH: u32 = 110;
const T_KMH: u32 = 100;
const K_KMH: u32 = 90;
/// Trains running at least this long carry sleepers.
const SLEEPER_MIN_RUN_MINUTES: u32 = 6 * 60;
/// Hard seat yuan per tapered km.
const HARD_SEAT_PER_KM: f64 = 0.1365;
/// Shortest distance charged for a seat (fits the seed's 苏州→昆山 ¥9.0).
const SEAT_MIN_KM: f64 = 65.0;
/// Berths are charged for at least 400 km (12306's 卧铺 minimum distance);
/// hence ¥46 over the seat for K22 南宁→黎塘 and the seed's 苏州→昆山 alike.
const BERTH_MIN_KM: f64 = 400.0;
/// 硬卧 = seat + fixed + rate × tapered berth km (least squares on K22).
const HARD_BERTH_FIXED: f64 = 11.2;
const HARD_BERTH_PER_KM: f64 = 0.0883;
/// 软卧 = this × 硬卧: the ratio is 1.48–1.58 over all 31 pairs (K22 at
/// every stop and the seed's example); this is their geometric mean.
const SOFT_OVER_HARD_SLEEPER: f64 = 1.556;

// --- Local trains (the eleven 75xx samples) -----------------------------------
const LOCAL_KMH: u32 = 50;
const LOCAL_SEAT_PER_KM: f64 = 0.0647;

/// 12306's 递远递减 bands: (band width km, share of the full rate).
const TAPER: [(f64, f64); 6] = [
    (200.0, 1.0),
    (300.0, 0.9),
    (500.0, 0.8),
    (500.0, 0.7),
    (1000.0, 0.6),
    (f64::INFINITY, 0.5),
];

/// Berth supplements over the upper berth, as a share of the berth part of
/// the fare (fare minus the seat fare), from the seed's example: 硬卧 55 /
/// 60 / 63 over a ¥9 seat, 软卧 81.5 / 87.5 over ¥18 of seat.
const MIDDLE_BERTH_SHARE: f64 = 0.11;
const LOWER_BERTH_SHARE_THREE_TIER: f64 = 0.17;
const LOWER_BERTH_SHARE_TWO_TIER: f64 = 0.095;

/// Which pricing family a train belongs to: by the code letter, then by
/// 12306's `train_class_name` for S and all-digit trains.
pub fn family(train: &Train) -> Family {
    let run = train.terminus().arrive_or_depart() - train.origin().depart;
    let sleepers = run >= SLEEPER_MIN_RUN_MINUTES;
    let conventional = |speed_kmh| Family::Conventional {
        speed_kmh,
        sleepers,
    };
    match train.train_code.chars().next().unwrap_or(' ') {
        'G' => Family::HighSpeed,
        'C' if train.class_name == "高速" => Family::HighSpeed,
        'C' => Family::Intercity,
        'D' => {
            let overnight = train.terminus().arrive_or_depart() / super::timetable::DAY_MINUTES > 0;
            if overnight && run >= EMU_SLEEPER_MIN_RUN_MINUTES {
                Family::EmuSleeper
            } else {
                Family::Emu
            }
        }
        'Z' => conventional(Z_KMH),
        'T' => conventional(T_KMH),
        _ => match train.class_name.as_str() {
            "动车" | "高速" => Family::Emu,
            "普客" | "市郊" | "快慢" => Family::Local,
            _ => conventional(K_KMH),
        },
    }
}

/// Seat classes a family sells, in Panhe's listing order.
pub fn seat_classes(family: Family) -> &'static [SeatClass] {
    use SeatClass::*;
    match family {
        Family::HighSpeed | Family::Intercity => &[NoSeat, Second, First, Business],
        Family::Emu => &[NoSeat, Second, First],
        Family::EmuSleeper => &[NoSeat, Second, SecondClassSleeper, FirstClassSleeper],
        Family::Conventional { sleepers: true, .. } => {
            &[NoSeat, HardSeat, HardSleeper, SoftSleeper]
        }
        Family::Conventional {
            sleepers: false, ..
        }
        | Family::Local => &[NoSeat, HardSeat],
    }
}

/// Estimated distance of a ride, km, before minimum distances.
pub fn estimate_km(family: Family, segment: &Segment<'_>) -> f64 {
    let moving = f64::from(segment.moving_minutes());
    match family {
        Family::HighSpeed | Family::Intercity | Family::Emu => {
            let legs = segment.intermediate_stops() as f64 + 1.0;
            let minutes = (moving - START_OVERHEAD_MINUTES * legs).max(1.0);
            let speed = if family == Family::HighSpeed {
                HIGH_SPEED_KMH
            } else {
                EMU_KMH
            };
            speed * (minutes / 60.0).powf(HIGH_SPEED_GAMMA)
        }
        Family::EmuSleeper => EMU_SLEEPER_KMH * moving / 60.0,
        Family::Conventional { speed_kmh, .. } => f64::from(speed_kmh) * moving / 60.0,
        Family::Local => f64::from(LOCAL_KMH) * moving / 60.0,
    }
}

/// Every seat class of the ride with its price.
pub fn fares(segment: &Segment<'_>) -> Vec<Fare> {
    let family = family(segment.train);
    let km = estimate_km(family, segment);
    seat_classes(family)
        .iter()
        .map(|&seat| {
            let (price, seat_part) = price_yuan(family, seat, km);
            let upper = round_fen(price);
            let berth_part = price - seat_part;
            let berths = seat
                .berths()
                .iter()
                .map(|&berth| {
                    let share = match (berth, seat.berths().len()) {
                        (Berth::Upper, _) => 0.0,
                        (Berth::Middle, _) => MIDDLE_BERTH_SHARE,
                        (Berth::Lower, 3) => LOWER_BERTH_SHARE_THREE_TIER,
                        (Berth::Lower, _) => LOWER_BERTH_SHARE_TWO_TIER,
                    };
                    (berth, round_fen(price + share * berth_part))
                })
                .collect();
            Fare {
                seat,
                price_fen: upper,
                berths,
            }
        })
        .collect()
}

/// (price, the seat part of it) in yuan, unrounded, for `km` estimated km.
fn price_yuan(family: Family, seat: SeatClass, km: f64) -> (f64, f64) {
    use SeatClass::*;
    let emu_km = km.max(EMU_MIN_KM);
    match family {
        Family::HighSpeed | Family::Intercity | Family::Emu => {
            let factor = if family != Family::HighSpeed {
                EMU_RATE_FACTOR
            } else {
                1.0
            };
            let rate = match seat {
                Business => HIGH_SPEED_BUSINESS_PER_KM,
                First => HIGH_SPEED_FIRST_PER_KM,
                _ => HIGH_SPEED_SECOND_PER_KM,
            };
            let price = rate * factor * emu_km;
            (price, price)
        }
        Family::EmuSleeper => {
            let seat_price = EMU_SLEEPER_SEAT_PER_KM * emu_km;
            let berth_km = km.max(BERTH_MIN_KM);
            let price = match seat {
                FirstClassSleeper => EMU_SLEEPER_FIRST_BERTH_PER_KM * berth_km,
                SecondClassSleeper => EMU_SLEEPER_SECOND_BERTH_PER_KM * berth_km,
                _ => seat_price,
            };
            (price, seat_price.min(price))
        }
        Family::Conventional { .. } => {
            let seat_price = HARD_SEAT_PER_KM * tapered_km(km.max(SEAT_MIN_KM));
            let berth_km = tapered_km(km.max(BERTH_MIN_KM));
            let hard_sleeper = seat_price + HARD_BERTH_FIXED + HARD_BERTH_PER_KM * berth_km;
            match seat {
                HardSleeper => (hard_sleeper, seat_price),
                // 12306 builds 软卧 on a 软座 base, twice the 硬座 one.
                SoftSleeper => (SOFT_OVER_HARD_SLEEPER * hard_sleeper, 2.0 * seat_price),
                _ => (seat_price, seat_price),
            }
        }
        Family::Local => {
            let price = LOCAL_SEAT_PER_KM * tapered_km(km);
            (price, price)
        }
    }
}

/// Distance weighted by the 递远递减 bands.
fn tapered_km(km: f64) -> f64 {
    let mut left = km;
    let mut weighted = 0.0;
    for (width, share) in TAPER {
        let in_band = left.min(width);
        weighted += in_band * share;
        left -= in_band;
        if left <= 0.0 {
            break;
        }
    }
    weighted
}

/// Yuan → fen, rounded half up to ¥0.5 as 12306 does, at least ¥1.
fn round_fen(yuan: f64) -> u32 {
    let halves = (yuan * 2.0 + 0.5).floor().max(2.0);
    halves as u32 * 50
}

/// Tickets left for a class on a ride on a date: a pure function of its
/// inputs (FNV-1a is unseeded), so every run and every process agrees, and
/// some classes come out sold out.
pub fn remaining(train_no: &str, date: NaiveDate, from: &str, to: &str, seat: SeatClass) -> u32 {
    let mut hasher = fnv::FnvHasher::default();
    let date = date.format("%Y-%m-%d").to_string();
    // A separator byte that cannot occur in UTF-8 keeps ("ab","c") and
    // ("a","bc") apart.
    for part in [train_no, &date, from, to, seat_key(seat)] {
        hasher.write(part.as_bytes());
        hasher.write_u8(0xff);
    }
    let hash = hasher.finish();
    let (capacity, sold_out_percent) = seat.stock();
    if hash % 100 < sold_out_percent {
        return 0;
    }
    1 + ((hash >> 8) % u64::from(capacity)) as u32
}

/// Stable names for hashing (not `Debug`, which may change).
fn seat_key(seat: SeatClass) -> &'static str {
    match seat {
        SeatClass::NoSeat => "no_seat",
        SeatClass::Second => "second",
        SeatClass::First => "first",
        SeatClass::Business => "business",
        SeatClass::HardSeat => "hard_seat",
        SeatClass::HardSleeper => "hard_sleeper",
        SeatClass::SoftSleeper => "soft_sleeper",
        SeatClass::SecondClassSleeper => "second_class_sleeper",
        SeatClass::FirstClassSleeper => "first_class_sleeper",
    }
}

#[cfg(test)]
mod tests;
