//! What the simulated Panhe sends: the `{data, success, msg}` envelope and
//! the read endpoints' payloads, field for field as seed 002's examples
//! spell them (`Seats` capitalised, `arrive_days` a string, `stationId` a
//! string, `beginTime` null). Deliberately separate from the adapter's
//! `providers::panhe::wire`: the simulator is the other side of the wire,
//! and sharing types would hide a mismatch instead of catching it.

use axum::Json;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::fares::{Berth, SeatClass};

/// The seed's success message.
pub const SUCCESS_MSG: &str = "请求成功";

/// Every Panhe response. Field order follows the seed.
#[derive(Debug, Serialize)]
pub struct Envelope<T> {
    pub data: Option<T>,
    pub success: bool,
    pub msg: String,
}

impl<T: Serialize> Envelope<T> {
    pub fn ok(data: T) -> Self {
        Envelope {
            data: Some(data),
            success: true,
            msg: SUCCESS_MSG.to_owned(),
        }
    }
}

impl<T: Serialize> IntoResponse for Envelope<T> {
    fn into_response(self) -> Response {
        Json(self).into_response()
    }
}

/// A business failure: HTTP 200 with `{"data":null,"success":false,"msg"}`,
/// which is how Panhe reports every error in the seed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure(pub String);

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        Envelope::<()> {
            data: None,
            success: false,
            msg: self.0,
        }
        .into_response()
    }
}

impl<T> From<Failure> for Envelope<T> {
    /// The failure envelope with `data` null.
    fn from(failure: Failure) -> Self {
        Envelope {
            data: None,
            success: false,
            msg: failure.0,
        }
    }
}

/// `data` of 余票查询.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct QueryTicketsData {
    pub train_lines: Vec<TrainLine>,
}

/// One train of 余票查询, in the seed's field order.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TrainLine {
    pub train_code: String,
    pub train_no: String,
    pub from_station: String,
    pub to_station: String,
    pub from_time: String,
    pub to_time: String,
    pub from_date_time: String,
    pub to_date_time: String,
    /// A string in the seed ("0"), snake_case unlike its neighbours.
    #[serde(rename = "arrive_days")]
    pub arrive_days: String,
    pub run_time: String,
    pub trains_type: u8,
    pub trains_type_name: &'static str,
    pub begin_station: String,
    /// Always null in the seed's examples.
    pub begin_time: Option<String>,
    pub end_station: String,
    /// Always null in the seed's examples.
    pub end_time: Option<String>,
    pub is_support_choose_sleeper: bool,
    pub is_support_choose_seat: bool,
    pub note: String,
    pub transfer_query_extra_params: Option<serde_json::Value>,
    pub sequence: i32,
    #[serde(rename = "Seats")]
    pub seats: Vec<SeatInfo>,
}

/// One seat class of a train line.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SeatInfo {
    pub seat_type: u8,
    pub seat_type_name: &'static str,
    /// Yuan as a JSON number (`9.0`, `81.5`): Panhe's float.
    pub ticket_price: f64,
    pub left_ticket_num: u32,
    /// Berth prices for sleepers, null for seats.
    pub other_seats: Option<Vec<SleeperSeatInfo>>,
}

/// One berth tier's price.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SleeperSeatInfo {
    pub sleeper_type: u8,
    pub sleeper_type_name: &'static str,
    pub ticket_price: f64,
}

/// One row of 经停站查询 (V1 and V2 share the shape; only `interval`
/// differs: "2" in V1, "2分钟" in V2).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StopStation {
    /// "1".."n" as a string, as in both examples.
    pub station_id: String,
    pub station_name: String,
    pub arrive_time: String,
    pub start_time: String,
    pub interval: String,
}

/// One row of 火车站列表.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StationInfo {
    pub station_name: String,
    /// Pinyin initials (`bj` for 北京 in the seed).
    pub station_short_char: String,
    #[serde(rename = "stationPinYin")]
    pub station_pin_yin: String,
    pub station_code: String,
}

/// Panhe's seat type code and name (seed: 商务座 = 1 … 无座 = 98).
pub fn seat_code(seat: SeatClass) -> (u8, &'static str) {
    match seat {
        SeatClass::Business => (1, "商务座"),
        SeatClass::First => (3, "一等座"),
        SeatClass::Second => (4, "二等座"),
        SeatClass::SoftSleeper => (6, "软卧"),
        SeatClass::HardSleeper => (8, "硬卧"),
        SeatClass::HardSeat => (10, "硬座"),
        SeatClass::FirstClassSleeper => (11, "一等卧"),
        SeatClass::SecondClassSleeper => (12, "二等卧"),
        SeatClass::NoSeat => (98, "无座"),
    }
}

/// Panhe's berth code and name (下铺 = 1, 中铺 = 2, 上铺 = 3).
pub fn berth_code(berth: Berth) -> (u8, &'static str) {
    match berth {
        Berth::Lower => (1, "下铺"),
        Berth::Middle => (2, "中铺"),
        Berth::Upper => (3, "上铺"),
    }
}

/// Panhe's train type (高铁 = 1, 动车 = 2, 直达 = 3, 特快 = 4, 快速 = 5,
/// 其他 = 6) from the code's letter. C (城际) counts as 高铁, as in 12306's
/// own "GC-高铁/城际" filter.
pub fn trains_type(train_code: &str) -> (u8, &'static str) {
    match train_code.chars().next() {
        Some('G' | 'C') => (1, "高铁"),
        Some('D') => (2, "动车"),
        Some('Z') => (3, "直达"),
        Some('T') => (4, "特快"),
        Some('K') => (5, "快速"),
        _ => (6, "其他"),
    }
}

/// Fen → Panhe's yuan float. Exact for every multiple of ¥0.5.
pub fn yuan(fen: u32) -> f64 {
    f64::from(fen) / 100.0
}
