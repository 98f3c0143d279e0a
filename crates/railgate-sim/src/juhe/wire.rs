//! What the simulated Juhe sends: the `{reason, result, error_code}`
//! envelope, the error codes of seed 000 (system errors 100xx, service
//! errors 2257xx) plus the two 2238xx codes seed 001's cancel and refund
//! examples show, and the search payload, field for field as the seeds
//! spell them. Deliberately separate from the adapter's wire types: the
//! simulator is the other side of the wire, and sharing types would hide a
//! mismatch instead of catching it.

use axum::Json;
use axum::response::{IntoResponse, Response};
use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};

/// `reason` of a success, except search's (see [`SEARCH_REASON`]).
pub const SUCCESS_REASON: &str = "success";

/// Search's success `reason`: the seed's example says `"0"`, not
/// `"success"`. Reproduced as is: a client must read `error_code`.
pub const SEARCH_REASON: &str = "0";

/// Every answer but addCallbackUrl's. Field order follows the seed.
#[derive(Debug, Serialize)]
pub struct Envelope<T> {
    pub reason: String,
    pub result: Option<T>,
    pub error_code: u32,
}

impl<T: Serialize> Envelope<T> {
    pub fn ok(result: T) -> Self {
        Envelope {
            reason: SUCCESS_REASON.to_owned(),
            result: Some(result),
            error_code: 0,
        }
    }
}

impl<T: Serialize> IntoResponse for Envelope<T> {
    fn into_response(self) -> Response {
        Json(self).into_response()
    }
}

/// addCallbackUrl's answer, which the seed spells differently from every
/// other: `error_code` first and `data` instead of `result`.
#[derive(Debug, Serialize)]
pub struct CallbackUrlReply {
    pub error_code: u32,
    pub reason: &'static str,
    pub data: Option<()>,
}

/// Seed 000's system-level errors (系统级错误码), with their texts.
pub const SYSTEM_ERRORS: [(u32, &str); 14] = [
    (10001, "错误的请求KEY"),
    (10002, "该KEY无请求权限"),
    (10003, "KEY过期"),
    (10004, "错误的OPENID"),
    (10005, "应用未审核超时,请提交认证"),
    (10007, "未知的请求源"),
    (10008, "被禁止的IP"),
    (10009, "被禁止的KEY"),
    (10011, "当前IP请求超过限制"),
    (10012, "请求超过次数限制"),
    (10013, "测试KEY超过请求限制"),
    (
        10014,
        "系统内部异常(调用充值类业务时,请务必联系客服或通过订单查询接口检测订单,避免造成损失)",
    ),
    (10020, "接口维护"),
    (10021, "接口停用"),
];

/// Seed 000's service-level errors (服务级错误码) of this API (data id 257),
/// then the two codes seed 001's examples use: 223801 for a refused cancel
/// and 223804 for an unknown order or passenger on refund.
pub const SERVICE_ERRORS: [(u32, &str); 7] = [
    (225700, "网络繁忙,请稍后重试"),
    (225701, "供应商错误信息提示,具体看接口返回"),
    (225702, "订单号不存在"),
    (225703, "订单号已经存在"),
    (225704, "各种参数错误,具体看接口返回"),
    (223801, "抢票取消失败"),
    (223804, "参数错误:订单号或passengerId不存在"),
];

pub const WRONG_KEY: u32 = 10001;
pub const OVER_QUOTA: u32 = 10012;
pub const INTERFACE_DISABLED: u32 = 10021;
pub const BUSY: u32 = 225700;
/// A business refusal; `reason` says which (with the callback msgCode
/// table's wording where one fits).
pub const SUPPLIER: u32 = 225701;
pub const ORDER_NOT_FOUND: u32 = 225702;
pub const ORDER_EXISTS: u32 = 225703;
/// A missing or malformed parameter; `reason` says which.
pub const BAD_PARAMETER: u32 = 225704;
pub const CANCEL_FAILED: u32 = 223801;
pub const REFUND_NOT_FOUND: u32 = 223804;

/// The table text of a known error code.
pub fn error_text(code: u32) -> Option<&'static str> {
    SYSTEM_ERRORS
        .iter()
        .chain(SERVICE_ERRORS.iter())
        .find(|(known, _)| *known == code)
        .map(|(_, text)| *text)
}

/// An error answer: HTTP 200 with `{"reason", "result": null, "error_code"}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub code: u32,
    pub reason: String,
}

impl Failure {
    /// An error with its table text as the reason.
    pub fn code(code: u32) -> Failure {
        Failure {
            code,
            reason: error_text(code).unwrap_or("未知错误").to_owned(),
        }
    }

    /// 225704 with `参数错误:<detail>`.
    pub fn parameter(detail: impl std::fmt::Display) -> Failure {
        Failure {
            code: BAD_PARAMETER,
            reason: format!("参数错误:{detail}"),
        }
    }

    /// 225701 with the supplier's message.
    pub fn supplier(message: impl Into<String>) -> Failure {
        Failure {
            code: SUPPLIER,
            reason: message.into(),
        }
    }
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        Envelope::<()> {
            reason: self.reason,
            result: None,
            error_code: self.code,
        }
        .into_response()
    }
}

/// `result` of search.php, in the seed's field order.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SearchResult {
    pub query_key: String,
    pub from_station: String,
    pub from_station_code: String,
    pub to_station: String,
    pub to_station_code: String,
    /// `yyyyMMdd`, as the request's `date`.
    pub train_date: String,
    pub page_index: u32,
    pub page_size: u32,
    pub total_count: u32,
    pub total_size: u32,
    pub trains: Vec<SearchTrain>,
    pub froms: Vec<PlaceStation>,
    pub tos: Vec<PlaceStation>,
}

/// One train of search.php.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SearchTrain {
    pub serial_number: u32,
    /// The train code (`G7066`), not 12306's internal number.
    pub train_no: String,
    /// Departure from the boarding station, `HH:mm`.
    pub from_time: String,
    /// Arrival **at the boarding station** (`HH:mm`), empty where the
    /// train starts there: the seed's comment says 到达该站时间(如果是首发站
    /// 则没有到达时间), and its example shows 09:00 against a 09:02
    /// departure. The arrival at `toStation` is `fromTime + runTimeSpan`.
    pub to_time: String,
    pub from_station: String,
    pub from_station_code: String,
    pub to_station: String,
    pub to_station_code: String,
    /// Minutes, as a string (`"28"`).
    pub run_time_span: String,
    /// 0 the train starts here, 1 it passes.
    pub from_pass_type: u8,
    /// 2 the train ends here, 1 it passes.
    pub to_pass_type: u8,
    /// 0 none left, 1 bookable, 2 nothing bookable, 3 leaves within 30 min.
    pub book_state: u8,
    pub train_class: &'static str,
    pub tickets: Tickets,
    pub miles: u32,
    pub pull_in_by_id_card: u8,
    pub note: String,
}

/// `tickets`: seatClassCode → seat, in the simulator's class order (a
/// JSON object whose key order a `HashMap` would lose).
#[derive(Debug, Default)]
pub struct Tickets(pub Vec<(&'static str, SeatTicket)>);

impl Serialize for Tickets {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (code, seat) in &self.0 {
            map.serialize_entry(code, seat)?;
        }
        map.end()
    }
}

/// One seat class of a train.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SeatTicket {
    pub seat_name: &'static str,
    /// Yuan as a JSON number (`29.5`).
    pub price: f64,
    /// 0 not bookable, 1 bookable.
    pub seat_state: u8,
    /// Tickets left, as a string (`"490"`).
    pub seats: String,
    /// Berth prices, 0 where the class has no such berth (and for seats).
    pub up_price: f64,
    pub mid_price: f64,
    pub down_price: f64,
}

/// One entry of `froms` / `tos`.
#[derive(Debug, Serialize)]
pub struct PlaceStation {
    pub station: String,
    pub location: String,
}

/// Fen → a yuan JSON number. Exact for every multiple of ¥0.01 that a
/// float can print back (all prices here are multiples of ¥0.5).
pub fn yuan(fen: u32) -> f64 {
    f64::from(fen) / 100.0
}

/// Fen → yuan with two decimals, as a string (`"9.00"`).
pub fn yuan2(fen: u32) -> String {
    format!("{}.{:02}", fen / 100, fen % 100)
}

/// Fen → yuan without trailing zeros (`"8"`, `"8.5"`), as the seed writes
/// `juheServiceFee`.
pub fn yuan_short(fen: u32) -> String {
    match fen % 100 {
        0 => (fen / 100).to_string(),
        cents if cents % 10 == 0 => format!("{}.{}", fen / 100, cents / 10),
        cents => format!("{}.{cents:02}", fen / 100),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_spellings() {
        assert_eq!(yuan(2950), 29.5);
        assert_eq!(yuan2(900), "9.00");
        assert_eq!(yuan2(107_550), "1075.50");
        assert_eq!(yuan2(5), "0.05");
        assert_eq!(yuan_short(800), "8");
        assert_eq!(yuan_short(850), "8.5");
        assert_eq!(yuan_short(805), "8.05");
    }

    #[test]
    fn error_texts_are_the_seeds() {
        assert_eq!(error_text(10001), Some("错误的请求KEY"));
        assert_eq!(error_text(10012), Some("请求超过次数限制"));
        assert_eq!(error_text(225702), Some("订单号不存在"));
        assert_eq!(error_text(223801), Some("抢票取消失败"));
        assert_eq!(error_text(10006), None);
        let failure = Failure::code(10020);
        assert_eq!((failure.code, failure.reason.as_str()), (10020, "接口维护"));
        assert_eq!(
            Failure::parameter("缺少key").reason,
            "参数错误:缺少key".to_owned()
        );
    }

    #[test]
    fn tickets_keep_their_order() {
        let seat = |name| SeatTicket {
            seat_name: name,
            price: 1.0,
            seat_state: 1,
            seats: "1".into(),
            up_price: 0.0,
            mid_price: 0.0,
            down_price: 0.0,
        };
        let tickets = Tickets(vec![
            ("secondseat", seat("二等座")),
            ("businessseat", seat("商务座")),
        ]);
        let text = serde_json::to_string(&tickets).unwrap();
        assert!(text.find("secondseat").unwrap() < text.find("businessseat").unwrap());
    }
}
