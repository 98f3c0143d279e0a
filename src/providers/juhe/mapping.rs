//! Juhe's code tables (seed 001 数据字典) ⇄ the neutral model. A value
//! outside a documented table is `None`, which the adapter reports as
//! `UnknownCode`, never a guess.
//!
//! Juhe names one thing several ways, so each table says which calls use it:
//! - seat class: a word (`hardseat`) in search, submitOrder and the issued
//!   order detail; a number (`"1"`) in callbacks; a Chinese name (硬座) in
//!   the grab-shape order detail. Sleeper words carry the berth.
//! - document type: ZERO-based in submitOrder (0 身份证), ONE-based in the
//!   dictionary, the issued order detail and callbacks (1 身份证).

use crate::domain::{Berth, IdType, PassengerType, SeatClass, TrainType};
use chrono::{NaiveDate, NaiveDateTime};

/// A Juhe seat class: the neutral class plus the berth its code names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JuheSeat {
    /// Neutral seat class.
    pub seat_class: SeatClass,
    /// The berth the code names, for sleeper codes that name one.
    pub berth: Option<Berth>,
}

const fn seat(seat_class: SeatClass, berth: Option<Berth>) -> JuheSeat {
    JuheSeat { seat_class, berth }
}

/// seatClassCode (search, submitOrder, issued order detail): code, the
/// dictionary's name, and the neutral seat.
pub const SEAT_CLASS_CODES: [(&str, &str, JuheSeat); 14] = [
    ("hardseat", "硬座", seat(SeatClass::HardSeat, None)),
    ("softseat", "软座", seat(SeatClass::SoftSeat, None)),
    ("firstseat", "一等座", seat(SeatClass::First, None)),
    ("secondseat", "二等座", seat(SeatClass::Second, None)),
    (
        "hardsleeperup",
        "硬卧上铺",
        seat(SeatClass::HardSleeper, Some(Berth::Upper)),
    ),
    (
        "hardsleepermid",
        "硬卧中铺",
        seat(SeatClass::HardSleeper, Some(Berth::Middle)),
    ),
    (
        "hardsleeperdown",
        "硬卧下铺",
        seat(SeatClass::HardSleeper, Some(Berth::Lower)),
    ),
    (
        "softsleeperup",
        "软卧上铺",
        seat(SeatClass::SoftSleeper, Some(Berth::Upper)),
    ),
    (
        "softsleeperdown",
        "软卧下铺",
        seat(SeatClass::SoftSleeper, Some(Berth::Lower)),
    ),
    ("noseat", "无座", seat(SeatClass::NoSeat, None)),
    ("businessseat", "商务座", seat(SeatClass::Business, None)),
    ("specialseat", "特等座", seat(SeatClass::Premium, None)),
    (
        "advancedsoftsleeper",
        "高级软卧",
        seat(SeatClass::DeluxeSoftSleeper, None),
    ),
    ("otherseat", "其他", seat(SeatClass::Other, None)),
];

/// Numeric seatClass of callbacks: code, the dictionary's name, and the
/// neutral seat. 6 硬卧 and 9 软卧 name no berth, so none is assumed.
pub const CALLBACK_SEAT_CLASSES: [(u8, &str, JuheSeat); 20] = [
    (1, "硬座", seat(SeatClass::HardSeat, None)),
    (2, "软座", seat(SeatClass::SoftSeat, None)),
    (3, "一等座", seat(SeatClass::First, None)),
    (4, "二等座", seat(SeatClass::Second, None)),
    (
        5,
        "硬卧上铺",
        seat(SeatClass::HardSleeper, Some(Berth::Upper)),
    ),
    (6, "硬卧", seat(SeatClass::HardSleeper, None)),
    (
        7,
        "硬卧下铺",
        seat(SeatClass::HardSleeper, Some(Berth::Lower)),
    ),
    (
        8,
        "软卧上铺",
        seat(SeatClass::SoftSleeper, Some(Berth::Upper)),
    ),
    (9, "软卧", seat(SeatClass::SoftSleeper, None)),
    (10, "无座", seat(SeatClass::NoSeat, None)),
    (11, "商务座", seat(SeatClass::Business, None)),
    (12, "特等座", seat(SeatClass::Premium, None)),
    (13, "其它", seat(SeatClass::Other, None)),
    (14, "高级软卧", seat(SeatClass::DeluxeSoftSleeper, None)),
    (
        15,
        "动卧上铺",
        seat(SeatClass::EmuSleeper, Some(Berth::Upper)),
    ),
    (
        16,
        "动卧下铺",
        seat(SeatClass::EmuSleeper, Some(Berth::Lower)),
    ),
    (
        17,
        "高级动卧上铺",
        seat(SeatClass::DeluxeEmuSleeper, Some(Berth::Upper)),
    ),
    (
        18,
        "高级动卧下铺",
        seat(SeatClass::DeluxeEmuSleeper, Some(Berth::Lower)),
    ),
    (33, "一等软座", seat(SeatClass::FirstSoftSeat, None)),
    (44, "二等软座", seat(SeatClass::SecondSoftSeat, None)),
];

/// seatClassCode → seat.
pub fn seat_from_code(code: &str) -> Option<JuheSeat> {
    let code = code.trim();
    SEAT_CLASS_CODES
        .iter()
        .find(|(known, _, _)| *known == code)
        .map(|(_, _, seat)| *seat)
}

/// Callback seatClass number (sent as a string) → seat.
pub fn seat_from_callback_code(code: &str) -> Option<JuheSeat> {
    let number: u8 = code.trim().parse().ok()?;
    CALLBACK_SEAT_CLASSES
        .iter()
        .find(|(known, _, _)| *known == number)
        .map(|(_, _, seat)| *seat)
}

/// A Chinese seat class name (the grab-shape order detail, search's
/// `seatName`) → seat. Both dictionaries' names are known; search calls
/// the `softsleeperdown` class plain 软卧, which the callback table has.
pub fn seat_from_name(name: &str) -> Option<JuheSeat> {
    let name = name.trim();
    SEAT_CLASS_CODES
        .iter()
        .map(|(_, known, seat)| (*known, *seat))
        .chain(
            CALLBACK_SEAT_CLASSES
                .iter()
                .map(|(_, known, seat)| (*known, *seat)),
        )
        .find(|(known, _)| *known == name)
        .map(|(_, seat)| seat)
}

/// Seat class and wanted berth → the seatClassCode submitOrder takes.
/// `None` when Juhe has no code for it: classes Juhe does not sell by code
/// (动卧, 一等软座...), a berth on a seated class, or a berth Juhe cannot
/// name (no middle berth in soft sleepers, none for 高级软卧). A sleeper
/// without a berth preference is the lower-berth code, because that is the
/// code Juhe's search lists the class under (`softsleeperdown`: 软卧).
pub fn seat_to_code(seat_class: SeatClass, berth: Option<Berth>) -> Option<&'static str> {
    let seated = |code: &'static str| berth.is_none().then_some(code);
    match seat_class {
        SeatClass::HardSeat => seated("hardseat"),
        SeatClass::SoftSeat => seated("softseat"),
        SeatClass::First => seated("firstseat"),
        SeatClass::Second => seated("secondseat"),
        SeatClass::NoSeat => seated("noseat"),
        SeatClass::Business => seated("businessseat"),
        SeatClass::Premium => seated("specialseat"),
        SeatClass::DeluxeSoftSleeper => seated("advancedsoftsleeper"),
        SeatClass::Other => seated("otherseat"),
        SeatClass::HardSleeper => Some(match berth {
            Some(Berth::Upper) => "hardsleeperup",
            Some(Berth::Middle) => "hardsleepermid",
            Some(Berth::Lower) | None => "hardsleeperdown",
        }),
        SeatClass::SoftSleeper => match berth {
            Some(Berth::Upper) => Some("softsleeperup"),
            Some(Berth::Lower) | None => Some("softsleeperdown"),
            Some(Berth::Middle) => None,
        },
        SeatClass::EmuSleeper
        | SeatClass::FirstClassSleeper
        | SeatClass::SecondClassSleeper
        | SeatClass::DeluxeEmuSleeper
        | SeatClass::FirstSoftSeat
        | SeatClass::SecondSoftSeat
        | SeatClass::PremiumSoftSeat
        | SeatClass::CompartmentHardSleeper
        | SeatClass::PrivateSoftCompartment
        | SeatClass::MultiFunction => None,
    }
}

/// trainClass codes of search with the dictionary's names.
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

/// trainClass → train type. GD (高速动车) covers both G and D trains in
/// Juhe's own example (G7066 is GD), so the train code tells them apart.
pub fn train_type_from_class(class: &str, train_code: &str) -> Option<TrainType> {
    Some(match class.trim() {
        "C" => TrainType::Intercity,
        "D" => TrainType::Emu,
        "GD" if train_code.starts_with('D') => TrainType::Emu,
        "GD" if train_code.starts_with('C') => TrainType::Intercity,
        "GD" => TrainType::HighSpeed,
        "Z" => TrainType::DirectExpress,
        "KT" => TrainType::Express,
        "KKS" | "KS" => TrainType::Fast,
        "KPK" | "KPM" | "PK" | "PM" | "XGZ" => TrainType::Other,
        _ => return None,
    })
}

/// How submitOrder's `idCardType` is numbered. Seed 001 says two things:
/// submitOrder's own field table gives `0:身份证 1:护照 2:台胞证 3:港澳通行证`
/// (zero-based), while its dictionary lists idType `"1": "身份证"` …
/// `"4": "港澳通行证"` and says idType is `一般用在创建订单的idType字段`
/// (one-based). The field table is the default; which one Juhe really reads
/// must be confirmed with Juhe (`juhe.submit_id_numbering`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SubmitIdNumbering {
    /// submitOrder's field table: 0 = 身份证 … 3 = 港澳通行证.
    #[default]
    ZeroBased,
    /// The dictionary's idType: 1 = 身份证 … 4 = 港澳通行证.
    OneBased,
}

impl SubmitIdNumbering {
    /// Parses the setting's value (`zero_based` / `one_based`).
    pub fn parse(value: &str) -> Option<Self> {
        match value.trim() {
            "zero_based" => Some(Self::ZeroBased),
            "one_based" => Some(Self::OneBased),
            _ => None,
        }
    }
}

/// Document type → submitOrder's idCardType in `numbering`. `None` for the
/// documents Juhe does not take (foreign permanent residence ID, residence
/// permit).
pub fn id_type_to_submit_code(id_type: IdType, numbering: SubmitIdNumbering) -> Option<u8> {
    let zero_based = match id_type {
        IdType::ResidentIdCard => 0,
        IdType::Passport => 1,
        IdType::TaiwanTravelPermit => 2,
        IdType::HkMacaoTravelPermit => 3,
        IdType::ForeignPermanentResidentId | IdType::HkMacaoTaiwanResidencePermit => return None,
    };
    Some(match numbering {
        SubmitIdNumbering::ZeroBased => zero_based,
        SubmitIdNumbering::OneBased => zero_based + 1,
    })
}

/// submitOrder's idCardType in `numbering` → document type (the
/// simulator's side of the wire).
pub fn id_type_from_submit_code(code: &str, numbering: SubmitIdNumbering) -> Option<IdType> {
    match numbering {
        SubmitIdNumbering::ZeroBased => match code.trim() {
            "0" => Some(IdType::ResidentIdCard),
            "1" => Some(IdType::Passport),
            "2" => Some(IdType::TaiwanTravelPermit),
            "3" => Some(IdType::HkMacaoTravelPermit),
            _ => None,
        },
        SubmitIdNumbering::OneBased => id_type_from_code(code),
    }
}

/// The ONE-based idType / cardType of the dictionary, the issued order
/// detail and callbacks → document type.
pub fn id_type_from_code(code: &str) -> Option<IdType> {
    match code.trim() {
        "1" => Some(IdType::ResidentIdCard),
        "2" => Some(IdType::Passport),
        "3" => Some(IdType::TaiwanTravelPermit),
        "4" => Some(IdType::HkMacaoTravelPermit),
        _ => None,
    }
}

/// Document type → the ONE-based idType / cardType.
pub fn id_type_to_code(id_type: IdType) -> Option<u8> {
    id_type_to_submit_code(id_type, SubmitIdNumbering::OneBased)
}

/// passengerType (the same in every call) → fare type.
pub fn passenger_type_from_code(code: &str) -> Option<PassengerType> {
    match code.trim() {
        "1" => Some(PassengerType::Adult),
        "2" => Some(PassengerType::Child),
        "3" => Some(PassengerType::Student),
        "4" => Some(PassengerType::DisabledMilitary),
        _ => None,
    }
}

/// Fare type → passengerType.
pub fn passenger_type_to_code(passenger_type: PassengerType) -> u8 {
    match passenger_type {
        PassengerType::Adult => 1,
        PassengerType::Child => 2,
        PassengerType::Student => 3,
        PassengerType::DisabledMilitary => 4,
    }
}

/// Whether a grab order may carry this fare type: Juhe's tips say grab
/// orders take neither student nor disabled-military tickets.
pub const fn grab_order_accepts(passenger_type: PassengerType) -> bool {
    matches!(passenger_type, PassengerType::Adult | PassengerType::Child)
}

/// Why money came back (退款类型 of the refund callback).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefundKind {
    /// 改签差价退款.
    ChangeDifference,
    /// 重复支付退款.
    DuplicatePayment,
    /// 延迟支付退款.
    LatePayment,
    /// 线上退票退款: the refund railgate applied for.
    Online,
    /// 车站退票退款: refunded at a station window.
    AtStation,
    /// 出票失败退款.
    IssueFailed,
    /// 其他原因退款.
    Other,
}

/// Every refund kind with its dictionary key, the word the callback sends
/// and the dictionary's description. The dictionary keys the first three
/// by number ("0": "change:改签差价退款") and the rest by word, so both
/// spellings are read.
pub const REFUND_KINDS: [(&str, &str, &str, RefundKind); 7] = [
    (
        "0",
        "change",
        "change:改签差价退款",
        RefundKind::ChangeDifference,
    ),
    (
        "1",
        "repeatpay",
        "repeatpay:重复支付退款",
        RefundKind::DuplicatePayment,
    ),
    (
        "2",
        "delaypay",
        "delaypay:延迟支付退款",
        RefundKind::LatePayment,
    ),
    ("online", "online", "线上退票退款", RefundKind::Online),
    ("offline", "offline", "车站退票退款", RefundKind::AtStation),
    (
        "issuefail",
        "issuefail",
        "出票失败退款",
        RefundKind::IssueFailed,
    ),
    ("other", "other", "其他原因退款", RefundKind::Other),
];

/// refundType → refund kind.
pub fn refund_kind_from_code(code: &str) -> Option<RefundKind> {
    let code = code.trim();
    REFUND_KINDS
        .iter()
        .find(|(key, word, _, _)| *key == code || *word == code)
        .map(|(_, _, _, kind)| *kind)
}

/// Parses Juhe's date-times: "yyyy-MM-dd HH:mm:ss" (issued detail,
/// callbacks), "yyyy-MM-ddTHH:mm:ss" (grab detail) and "yyyy-MM-dd HH:mm"
/// (submitOrder's departDate).
pub fn parse_date_time(text: &str) -> Option<NaiveDateTime> {
    let text = text.trim().replacen('T', " ", 1);
    NaiveDateTime::parse_from_str(&text, "%Y-%m-%d %H:%M:%S")
        .or_else(|_| NaiveDateTime::parse_from_str(&text, "%Y-%m-%d %H:%M"))
        .ok()
}

/// Parses a date: "yyyyMMdd" (search) or "yyyy-MM-dd" (order detail).
pub fn parse_date(text: &str) -> Option<NaiveDate> {
    let text = text.trim();
    NaiveDate::parse_from_str(text, "%Y%m%d")
        .or_else(|_| NaiveDate::parse_from_str(text, "%Y-%m-%d"))
        .ok()
}

/// Search's date parameter: yyyyMMdd.
pub fn search_date(date: NaiveDate) -> String {
    date.format("%Y%m%d").to_string()
}

/// submitOrder's closeTime: yyyy-MM-dd HH:mm:ss.
pub fn close_time(deadline: NaiveDateTime) -> String {
    deadline.format("%Y-%m-%d %H:%M:%S").to_string()
}

/// submitOrder's departDate for one train (or several trains with several
/// seat classes): the main train's departure, yyyy-MM-dd HH:mm.
pub fn depart_date_time(departure: NaiveDateTime) -> String {
    departure.format("%Y-%m-%d %H:%M").to_string()
}

#[cfg(test)]
#[path = "mapping_tests.rs"]
mod tests;
