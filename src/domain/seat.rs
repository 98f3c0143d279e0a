//! Seat classes and berths in neutral terms.

use serde::{Deserialize, Serialize};

/// Seat class (席别): every class either provider sells.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SeatClass {
    /// 商务座.
    Business,
    /// 特等座.
    Premium,
    /// 一等座.
    First,
    /// 二等座.
    Second,
    /// 高级软卧.
    DeluxeSoftSleeper,
    /// 软卧.
    SoftSleeper,
    /// 动卧.
    EmuSleeper,
    /// 硬卧.
    HardSleeper,
    /// 软座.
    SoftSeat,
    /// 硬座.
    HardSeat,
    /// 一等卧.
    FirstClassSleeper,
    /// 二等卧.
    SecondClassSleeper,
    /// 高级动卧.
    DeluxeEmuSleeper,
    /// 一等软座.
    FirstSoftSeat,
    /// 二等软座.
    SecondSoftSeat,
    /// 特等软座.
    PremiumSoftSeat,
    /// 包厢硬卧.
    CompartmentHardSleeper,
    /// 一人软包.
    PrivateSoftCompartment,
    /// 多功能座.
    MultiFunction,
    /// 无座.
    NoSeat,
    /// 其他.
    Other,
}

impl SeatClass {
    /// Every seat class, for exhaustive mapping tests.
    pub const ALL: [SeatClass; 21] = [
        SeatClass::Business,
        SeatClass::Premium,
        SeatClass::First,
        SeatClass::Second,
        SeatClass::DeluxeSoftSleeper,
        SeatClass::SoftSleeper,
        SeatClass::EmuSleeper,
        SeatClass::HardSleeper,
        SeatClass::SoftSeat,
        SeatClass::HardSeat,
        SeatClass::FirstClassSleeper,
        SeatClass::SecondClassSleeper,
        SeatClass::DeluxeEmuSleeper,
        SeatClass::FirstSoftSeat,
        SeatClass::SecondSoftSeat,
        SeatClass::PremiumSoftSeat,
        SeatClass::CompartmentHardSleeper,
        SeatClass::PrivateSoftCompartment,
        SeatClass::MultiFunction,
        SeatClass::NoSeat,
        SeatClass::Other,
    ];

    /// Whether the class is sold by berth, so a berth can be chosen.
    pub const fn is_sleeper(self) -> bool {
        matches!(
            self,
            SeatClass::DeluxeSoftSleeper
                | SeatClass::SoftSleeper
                | SeatClass::EmuSleeper
                | SeatClass::HardSleeper
                | SeatClass::FirstClassSleeper
                | SeatClass::SecondClassSleeper
                | SeatClass::DeluxeEmuSleeper
                | SeatClass::CompartmentHardSleeper
        )
    }
}

/// Sleeper berth (铺别).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Berth {
    /// 下铺.
    Lower,
    /// 中铺.
    Middle,
    /// 上铺.
    Upper,
}

impl Berth {
    /// Every berth, for exhaustive mapping tests.
    pub const ALL: [Berth; 3] = [Berth::Lower, Berth::Middle, Berth::Upper];
}
