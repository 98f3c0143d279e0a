//! Juhe's code tables, as seed 001's dataDictionary lists them, and how the
//! simulator's seat classes map onto them. Unit tests compare every table
//! with the dictionary the simulator serves (`data_dictionary.json`, the
//! seed's example verbatim).
//!
//! Two mappings are the simulator's choice, because the seed has no code
//! for them: 二等卧 (动卧 trains' three-tier berths) is sold under the
//! `hardsleeper*` codes and 一等卧 under `softsleeper*`, the columns 12306
//! itself shows them in; in callbacks 二等卧 berths are 5/6/7 (硬卧) and
//! 一等卧 berths 15/16 (动卧上铺/下铺).

use crate::fares::{Berth, Family, Fare, SeatClass};
use crate::timetable::Train;

/// orderStatus: a grab order's status letter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderStatus {
    /// N 抢票单已创建.
    Created,
    /// B 未到开抢时间: accepted, waiting for grabbing to start (the date's
    /// presale to open).
    Waiting,
    /// D 抢票中.
    Grabbing,
    /// F 抢票成功(出票成功): seats held and issued in one step.
    Issued,
    /// U 出票失败.
    IssueFailed,
    /// O 已过期: the deadline passed without a ticket.
    Expired,
    /// C 已取消.
    Cancelled,
    /// T 已退票: every ticket refunded.
    Refunded,
    /// E 已改签: in the table; the API has no change endpoint, so the
    /// simulator never reaches it.
    Changed,
}

impl OrderStatus {
    /// Every status, in the dictionary's order.
    pub const ALL: [OrderStatus; 9] = [
        OrderStatus::Created,
        OrderStatus::Waiting,
        OrderStatus::Grabbing,
        OrderStatus::Issued,
        OrderStatus::IssueFailed,
        OrderStatus::Expired,
        OrderStatus::Cancelled,
        OrderStatus::Refunded,
        OrderStatus::Changed,
    ];

    pub fn letter(self) -> &'static str {
        match self {
            OrderStatus::Created => "N",
            OrderStatus::Waiting => "B",
            OrderStatus::Grabbing => "D",
            OrderStatus::Issued => "F",
            OrderStatus::IssueFailed => "U",
            OrderStatus::Expired => "O",
            OrderStatus::Cancelled => "C",
            OrderStatus::Refunded => "T",
            OrderStatus::Changed => "E",
        }
    }

    /// The dictionary's name.
    pub fn name(self) -> &'static str {
        match self {
            OrderStatus::Created => "抢票单已创建",
            OrderStatus::Waiting => "未到开抢时间",
            OrderStatus::Grabbing => "抢票中",
            OrderStatus::Issued => "抢票成功(出票成功)",
            OrderStatus::IssueFailed => "出票失败",
            OrderStatus::Expired => "已过期",
            OrderStatus::Cancelled => "已取消",
            OrderStatus::Refunded => "已退票",
            OrderStatus::Changed => "已改签",
        }
    }

    /// Still grabbing (N, B, D): cancellable, and expires at the deadline.
    pub fn is_grabbing(self) -> bool {
        matches!(
            self,
            OrderStatus::Created | OrderStatus::Waiting | OrderStatus::Grabbing
        )
    }
}

/// ticketStateCode: one passenger's ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TicketState {
    /// N 未出票.
    NotIssued,
    /// F 已出票.
    Issued,
    /// C 退票中.
    Refunding,
    /// T 已退票.
    Refunded,
    /// O 退票失败.
    RefundFailed,
    /// Y 改签中 (never reached: no change endpoint).
    Changing,
    /// G 已改签 (never reached).
    Changed,
}

impl TicketState {
    pub const ALL: [TicketState; 7] = [
        TicketState::NotIssued,
        TicketState::Issued,
        TicketState::Refunding,
        TicketState::Refunded,
        TicketState::RefundFailed,
        TicketState::Changing,
        TicketState::Changed,
    ];

    pub fn letter(self) -> &'static str {
        match self {
            TicketState::NotIssued => "N",
            TicketState::Issued => "F",
            TicketState::Refunding => "C",
            TicketState::Refunded => "T",
            TicketState::RefundFailed => "O",
            TicketState::Changing => "Y",
            TicketState::Changed => "G",
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            TicketState::NotIssued => "未出票",
            TicketState::Issued => "已出票",
            TicketState::Refunding => "退票中",
            TicketState::Refunded => "已退票",
            TicketState::RefundFailed => "退票失败",
            TicketState::Changing => "改签中",
            TicketState::Changed => "已改签",
        }
    }
}

/// seatClassCode: every code of search and submitOrder, with its name.
pub const SEAT_CLASS_CODES: [(&str, &str); 14] = [
    ("hardseat", "硬座"),
    ("softseat", "软座"),
    ("firstseat", "一等座"),
    ("secondseat", "二等座"),
    ("hardsleeperup", "硬卧上铺"),
    ("hardsleepermid", "硬卧中铺"),
    ("hardsleeperdown", "硬卧下铺"),
    ("softsleeperup", "软卧上铺"),
    ("softsleeperdown", "软卧下铺"),
    ("noseat", "无座"),
    ("businessseat", "商务座"),
    ("specialseat", "特等座"),
    ("advancedsoftsleeper", "高级软卧"),
    ("otherseat", "其他"),
];

/// seatClass: the numbers callbacks use.
pub const SEAT_CLASS_NUMBERS: [(u8, &str); 20] = [
    (1, "硬座"),
    (2, "软座"),
    (3, "一等座"),
    (4, "二等座"),
    (5, "硬卧上铺"),
    (6, "硬卧"),
    (7, "硬卧下铺"),
    (8, "软卧上铺"),
    (9, "软卧"),
    (10, "无座"),
    (11, "商务座"),
    (12, "特等座"),
    (13, "其它"),
    (14, "高级软卧"),
    (15, "动卧上铺"),
    (16, "动卧下铺"),
    (17, "高级动卧上铺"),
    (18, "高级动卧下铺"),
    (33, "一等软座"),
    (44, "二等软座"),
];

/// idType as the dictionary numbers it (1-based), which orderDetail and
/// callbacks use. submitOrder's `idCardType` is 0-based: see
/// [`id_type_of_submit`].
pub const ID_TYPES: [(u8, &str); 4] =
    [(1, "身份证"), (2, "护照"), (3, "台胞证"), (4, "港澳通行证")];

/// passengerType.
pub const PASSENGER_TYPES: [(u8, &str); 4] =
    [(1, "成人"), (2, "儿童"), (3, "学生票"), (4, "残军票")];

/// trainClass.
pub const TRAIN_CLASSES: [(&str, &str); 12] = [
    ("C", "城际高速"),
    ("D", "动车组"),
    ("KT", "空调特快"),
    ("KKS", "空调快速"),
    ("KPK", "空调普快"),
    ("KPM", "空调普慢"),
    ("KS", "快速"),
    ("PK", "普快"),
    ("PM", "普慢"),
    ("XGZ", "香港直通车"),
    ("Z", "直达特快"),
    ("GD", "高速动车"),
];

/// The callback msgCodes the simulator sends (the dictionary has 100–417
/// and 999; these are the ones its triggers reach).
pub mod msg {
    pub const OK: (&str, &str) = ("100", "请求成功");
    pub const ISSUED: (&str, &str) = ("100", "出票成功");
    pub const ISSUE_FAILED: (&str, &str) = ("101", "出票失败");
    pub const EXPIRED: (&str, &str) = ("101", "抢票单过期");
    pub const REFUNDED: (&str, &str) = ("100", "线上退票成功");
    pub const IDENTITY_UNVERIFIED: (&str, &str) = ("308", "乘客身份信息未通过验证");
    pub const ACCOUNT_LOGIN_FAILED: (&str, &str) = ("403", "12306账号登录失败");
    pub const NO_ONLINE_REFUND: (&str, &str) = ("312", "不支持网上退票");
}

/// How the simulator reads submitOrder's `idCardType`. Seed 001 is
/// ambiguous: submitOrder's field table says `0:身份证 1:护照 2:台胞证
/// 3:港澳通行证`, while the dictionary's idType (`"1": "身份证"` …) is
/// `一般用在创建订单的idType字段`. The field table is the default.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SubmitIdNumbering {
    /// 0 身份证, 1 护照, 2 台胞证, 3 港澳通行证 (submitOrder's table).
    #[default]
    ZeroBased,
    /// 1 身份证 … 4 港澳通行证 (the dictionary's idType).
    OneBased,
}

/// submitOrder's `idCardType` read in `numbering` → the dictionary's
/// 1-based idType.
pub fn id_type_of_submit(id_card_type: i64, numbering: SubmitIdNumbering) -> Option<u8> {
    match (numbering, id_card_type) {
        (SubmitIdNumbering::ZeroBased, 0..=3) => Some(id_card_type as u8 + 1),
        (SubmitIdNumbering::OneBased, 1..=4) => Some(id_card_type as u8),
        _ => None,
    }
}

/// The issue callback's `fromStationCode` / `toStationCode` for a station.
/// Seed 001's example gives `"226"` for both 苏州 and 昆山, which reads as a
/// numeric city code (昆山 is under 苏州) from a table the seed does not
/// publish, unlike search's pinyin codes. The simulator numbers cities in
/// the order the 12306 station list first names them, so the code is
/// numeric, stable and shared by a city's stations. `None` for a name
/// outside the list.
pub fn callback_station_code(station_name: &str) -> Option<String> {
    static CITY_NUMBERS: std::sync::OnceLock<std::collections::HashMap<&'static str, usize>> =
        std::sync::OnceLock::new();
    let directory = railgate_stations::StationDirectory::embedded();
    let numbers = CITY_NUMBERS.get_or_init(|| {
        let mut numbers = std::collections::HashMap::new();
        for station in directory.iter() {
            let next = numbers.len() + 1;
            numbers.entry(station.city.as_str()).or_insert(next);
        }
        numbers
    });
    let station = directory.by_name(station_name)?;
    numbers
        .get(station.city.as_str())
        .map(|number| number.to_string())
}

/// A seatClassCode as submitOrder reads it: a class, and for sleepers the
/// berth.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeatCode {
    HardSeat,
    SoftSeat,
    First,
    Second,
    /// `hardsleeperup/mid/down`: 硬卧, or 二等卧 on 动卧 trains.
    HardSleeper(Berth),
    /// `softsleeperup/down`: 软卧, or 一等卧 on 动卧 trains.
    SoftSleeper(Berth),
    NoSeat,
    Business,
    Special,
    AdvancedSoftSleeper,
    Other,
}

impl SeatCode {
    pub fn parse(code: &str) -> Option<SeatCode> {
        Some(match code {
            "hardseat" => SeatCode::HardSeat,
            "softseat" => SeatCode::SoftSeat,
            "firstseat" => SeatCode::First,
            "secondseat" => SeatCode::Second,
            "hardsleeperup" => SeatCode::HardSleeper(Berth::Upper),
            "hardsleepermid" => SeatCode::HardSleeper(Berth::Middle),
            "hardsleeperdown" => SeatCode::HardSleeper(Berth::Lower),
            "softsleeperup" => SeatCode::SoftSleeper(Berth::Upper),
            "softsleeperdown" => SeatCode::SoftSleeper(Berth::Lower),
            "noseat" => SeatCode::NoSeat,
            "businessseat" => SeatCode::Business,
            "specialseat" => SeatCode::Special,
            "advancedsoftsleeper" => SeatCode::AdvancedSoftSleeper,
            "otherseat" => SeatCode::Other,
            _ => return None,
        })
    }

    /// The class (and berth) this code buys on a ride selling `fares`, if
    /// the ride sells it. 软座, 特等座, 高级软卧 and 其他 are valid codes that
    /// no simulated train sells.
    pub fn on(self, fares: &[Fare]) -> Option<(SeatClass, Option<Berth>)> {
        let sold = |seat: SeatClass| fares.iter().any(|fare| fare.seat == seat);
        let first_sold = |candidates: &[SeatClass]| candidates.iter().copied().find(|s| sold(*s));
        let (seat, berth) = match self {
            SeatCode::HardSeat => (SeatClass::HardSeat, None),
            SeatCode::First => (SeatClass::First, None),
            SeatCode::Second => (SeatClass::Second, None),
            SeatCode::NoSeat => (SeatClass::NoSeat, None),
            SeatCode::Business => (SeatClass::Business, None),
            SeatCode::HardSleeper(berth) => (
                first_sold(&[SeatClass::HardSleeper, SeatClass::SecondClassSleeper])?,
                Some(berth),
            ),
            SeatCode::SoftSleeper(berth) => (
                first_sold(&[SeatClass::SoftSleeper, SeatClass::FirstClassSleeper])?,
                Some(berth),
            ),
            SeatCode::SoftSeat
            | SeatCode::Special
            | SeatCode::AdvancedSoftSleeper
            | SeatCode::Other => return None,
        };
        (sold(seat) && berth.is_none_or(|berth| seat.berths().contains(&berth)))
            .then_some((seat, berth))
    }
}

/// The key a class is listed under in search's `tickets`: sleepers under
/// their lower berth's code, as the seed's example lists 软卧 under
/// `softsleeperdown`.
pub fn search_code(seat: SeatClass) -> &'static str {
    match seat {
        SeatClass::NoSeat => "noseat",
        SeatClass::Second => "secondseat",
        SeatClass::First => "firstseat",
        SeatClass::Business => "businessseat",
        SeatClass::HardSeat => "hardseat",
        SeatClass::HardSleeper | SeatClass::SecondClassSleeper => "hardsleeperdown",
        SeatClass::SoftSleeper | SeatClass::FirstClassSleeper => "softsleeperdown",
    }
}

/// `seatName` of search and `seatClassName` of orderDetail: the class as
/// 12306 names it.
pub fn seat_name(seat: SeatClass) -> &'static str {
    match seat {
        SeatClass::NoSeat => "无座",
        SeatClass::Second => "二等座",
        SeatClass::First => "一等座",
        SeatClass::Business => "商务座",
        SeatClass::HardSeat => "硬座",
        SeatClass::HardSleeper => "硬卧",
        SeatClass::SoftSleeper => "软卧",
        SeatClass::SecondClassSleeper => "二等卧",
        SeatClass::FirstClassSleeper => "一等卧",
    }
}

/// The seatClassCode of a sold seat: sleepers by their berth.
pub fn sold_code(seat: SeatClass, berth: Option<Berth>) -> &'static str {
    match (seat, berth) {
        (SeatClass::HardSleeper | SeatClass::SecondClassSleeper, Some(Berth::Upper)) => {
            "hardsleeperup"
        }
        (SeatClass::HardSleeper | SeatClass::SecondClassSleeper, Some(Berth::Middle)) => {
            "hardsleepermid"
        }
        (SeatClass::SoftSleeper | SeatClass::FirstClassSleeper, Some(Berth::Upper)) => {
            "softsleeperup"
        }
        _ => search_code(seat),
    }
}

/// The callbacks' numeric seatClass of a sold seat. 硬卧 without its own
/// middle-berth code is 6 (硬卧); 软卧's lower berth is 9 (软卧).
pub fn seat_number(seat: SeatClass, berth: Option<Berth>) -> u8 {
    match (seat, berth) {
        (SeatClass::HardSeat, _) => 1,
        (SeatClass::First, _) => 3,
        (SeatClass::Second, _) => 4,
        (SeatClass::NoSeat, _) => 10,
        (SeatClass::Business, _) => 11,
        (SeatClass::HardSleeper | SeatClass::SecondClassSleeper, Some(Berth::Upper)) => 5,
        (SeatClass::HardSleeper | SeatClass::SecondClassSleeper, Some(Berth::Lower)) => 7,
        (SeatClass::HardSleeper | SeatClass::SecondClassSleeper, _) => 6,
        (SeatClass::SoftSleeper, Some(Berth::Upper)) => 8,
        (SeatClass::SoftSleeper, _) => 9,
        (SeatClass::FirstClassSleeper, Some(Berth::Upper)) => 15,
        (SeatClass::FirstClassSleeper, _) => 16,
    }
}

/// trainClass of a train, by its code's letter and pricing family.
pub fn train_class(train_code: &str, family: Family) -> &'static str {
    match train_code.chars().next() {
        Some('G') => "GD",
        Some('C') => "C",
        Some('D') => "D",
        Some('Z') => "Z",
        Some('T') => "KT",
        Some('K') => "KKS",
        _ => match family {
            Family::Emu | Family::EmuSleeper | Family::HighSpeed | Family::Intercity => "D",
            Family::Local => "KPM",
            Family::Conventional { .. } => "KPK",
        },
    }
}

/// trainClass of a timetable train (see [`train_class`]).
pub fn train_class_of(train: &Train, train_code: &str) -> &'static str {
    train_class(train_code, crate::fares::family(train))
}

#[cfg(test)]
mod tests;
