//! The wire types of `alitrip.btrip.supplychain.train.callback.book`
//! (seed 003), spelled exactly as the seed: field names, nesting
//! (`book_callback_param` → `book_train_details[]` → `book_ticket_details[]`
//! → `passenger_info`), and 必须 fields as plain `String`s, 可选 ones as
//! `Option`s left out of the JSON when empty. Every value is a string:
//! amounts in fen, times `yyyy-MM-dd HH:mm:ss` and dates `yyyy-MM-dd` in
//! Asia/Shanghai (GMT+8), codes from [`super::codes`].
//!
//! Nesting: the seed's field table lists `book_ticket_details` among the
//! train's fields and `passenger_info` among the ticket's; its Java example
//! agrees (`setBookTicketDetails` on a train detail, ticket setters around
//! `setPassengerInfo`), though its generated variable names are garbled.
//!
//! [`PassengerInfo`] holds the SM4 ciphertext that goes on the wire;
//! [`PassengerPlain`] the plaintext it seals, which never prints.

use super::sm4::{FieldCipher, Sm4Error};
use crate::domain::Fen;
use chrono::{NaiveDate, NaiveDateTime};
use serde::{Deserialize, Serialize};
use std::fmt;

/// The TOP method name.
pub const METHOD: &str = "alitrip.btrip.supplychain.train.callback.book";

/// The key of the success answer in TOP's JSON (method name, dots to
/// underscores, plus `_response`).
pub const RESPONSE_KEY: &str = "alitrip_btrip_supplychain_train_callback_book_response";

/// The business parameter that carries [`BookCallbackParam`] as JSON.
pub const PARAM_NAME: &str = "book_callback_param";

/// `book_callback_param` (BookCallbackParam): 正向预订出票回调信息.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BookCallbackParam {
    /// 正向预订出票详情 (必须).
    pub book_train_details: Vec<BookTrainDetail>,
    /// 供应商订单号 (必须): railgate's order id.
    pub supplier_order_id: String,
    /// 12306票号 (可选).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ticket_no: Option<String>,
    /// 商旅订单号 (必须): alitrip's order id.
    pub order_id: String,
    /// 订单状态 (必须).
    pub order_status: String,
    /// 采购模式 (必须), as alitrip passed it.
    pub purchase_type: String,
    /// 失败原因code (可选).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fail_code: Option<String>,
    /// 失败原因描述 (可选).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fail_reason: Option<String>,
}

/// `book_train_details[]` (BookTrainDetail): one train of the order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BookTrainDetail {
    /// 到达站名 (必须).
    pub to_station_name: String,
    /// 到达时间 `yyyy-MM-dd HH:mm:ss` (必须).
    pub arrive_time: String,
    /// 订单金额, fen (必须).
    pub order_total_price: String,
    /// 乘车日期 `yyyy-MM-dd` (必须).
    pub train_date: String,
    /// 出发站名 (必须).
    pub from_station_name: String,
    /// 票数 (必须).
    pub ticket_num: String,
    /// 到达站三字码 (必须): the 12306 telecode.
    pub to_station_code: String,
    /// 票信息 (必须).
    pub book_ticket_details: Vec<BookTicketDetail>,
    /// 短车次号 (必须): the public train code (`G1`).
    pub train_no: String,
    /// 出发站三字码 (必须).
    pub from_station_code: String,
    /// 出发时间 `yyyy-MM-dd HH:mm:ss` (必须).
    pub start_time: String,
    /// 车次id (可选): 12306's internal train number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub train_id: Option<String>,
}

/// `book_ticket_details[]` (BookTicketDetail): one passenger's ticket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BookTicketDetail {
    /// 是否允许改签, 0 允许 / 1 不允许 (必须).
    pub resign_flag: String,
    /// 车厢号 (可选).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coach_no: Option<String>,
    /// 车票单价, fen (可选).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ticket_price: Option<String>,
    /// 检票口, JSON text like `{"0":"xx检票口"}` (可选).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ticket_entrance: Option<String>,
    /// 乘客信息 (必须), SM4-encrypted.
    pub passenger_info: PassengerInfo,
    /// 票类型 (必须).
    pub ticket_type: String,
    /// 坐席类型 (必须).
    pub seat_type: String,
    /// 票状态 (必须).
    pub ticket_status: String,
    /// 是否允许退票, 0 允许 / 1 不允许 (必须).
    pub refund_flag: String,
    /// 坐席名称 (必须).
    pub seat_name: String,
    /// 是否允许变更到站, 0 允许 / 1 不允许 (必须).
    pub change_flag: String,
    /// 坐席号 (可选).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seat_no: Option<String>,
    /// 乘客取票号 (可选).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub passenger_ticket_no: Option<String>,
    /// 失败code (可选).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fail_code: Option<String>,
    /// 失败原因 (可选).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fail_reason: Option<String>,
}

/// `passenger_info` (PassengerInfo) as sent: every field SM4 ciphertext.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PassengerInfo {
    /// 乘客姓名 (必须).
    pub passenger_name: String,
    /// 乘客手机号 (必须).
    pub passenger_mobile: String,
    /// 证件号 (必须).
    pub passenger_id_no: String,
    /// 证件类型 (必须).
    pub passenger_id_type: String,
    /// 国籍码 (可选; 证件为非身份证类型必传).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country_code: Option<String>,
    /// 性别 (可选).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sex: Option<String>,
    /// 乘客id, alitrip's (必须).
    pub passenger_id: String,
    /// 签发日期 (可选).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_date_start: Option<String>,
    /// 出生日期 `yyyy-MM-dd` (可选; 证件为非身份证类型必传).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub birth_date: Option<String>,
    /// 证件有效期 `yyyy-MM-dd` (可选; 证件为非身份证类型必传).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_date_end: Option<String>,
}

/// The plaintext of [`PassengerInfo`], field for field. Personal data:
/// `Debug` shows only which optional fields are present.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct PassengerPlain {
    /// 乘客姓名.
    pub passenger_name: String,
    /// 乘客手机号.
    pub passenger_mobile: String,
    /// 证件号.
    pub passenger_id_no: String,
    /// 证件类型 code.
    pub passenger_id_type: String,
    /// 国籍码.
    pub country_code: Option<String>,
    /// 性别 code.
    pub sex: Option<String>,
    /// alitrip's passenger id.
    pub passenger_id: String,
    /// 签发日期.
    pub valid_date_start: Option<String>,
    /// 出生日期.
    pub birth_date: Option<String>,
    /// 证件有效期.
    pub valid_date_end: Option<String>,
}

impl fmt::Debug for PassengerPlain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PassengerPlain")
            .field("passenger_id_type", &self.passenger_id_type)
            .field("has_country_code", &self.country_code.is_some())
            .field("has_birth_date", &self.birth_date.is_some())
            .field("has_valid_date_end", &self.valid_date_end.is_some())
            .finish_non_exhaustive()
    }
}

/// A passenger field that did not decrypt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("passenger_info.{field}: {source}")]
pub struct OpenError {
    /// Which field.
    pub field: &'static str,
    /// Why.
    pub source: Sm4Error,
}

impl PassengerPlain {
    /// Encrypts every field for the wire.
    pub fn seal(&self, cipher: &FieldCipher) -> PassengerInfo {
        let seal_optional = |value: &Option<String>| value.as_deref().map(|v| cipher.encrypt(v));
        PassengerInfo {
            passenger_name: cipher.encrypt(&self.passenger_name),
            passenger_mobile: cipher.encrypt(&self.passenger_mobile),
            passenger_id_no: cipher.encrypt(&self.passenger_id_no),
            passenger_id_type: cipher.encrypt(&self.passenger_id_type),
            country_code: seal_optional(&self.country_code),
            sex: seal_optional(&self.sex),
            passenger_id: cipher.encrypt(&self.passenger_id),
            valid_date_start: seal_optional(&self.valid_date_start),
            birth_date: seal_optional(&self.birth_date),
            valid_date_end: seal_optional(&self.valid_date_end),
        }
    }
}

impl PassengerInfo {
    /// Decrypts every field (the fake endpoint's side).
    pub fn open(&self, cipher: &FieldCipher) -> Result<PassengerPlain, OpenError> {
        let open = |field: &'static str, value: &str| {
            cipher
                .decrypt(value)
                .map_err(|source| OpenError { field, source })
        };
        let open_optional = |field: &'static str, value: &Option<String>| {
            value.as_deref().map(|v| open(field, v)).transpose()
        };
        Ok(PassengerPlain {
            passenger_name: open("passenger_name", &self.passenger_name)?,
            passenger_mobile: open("passenger_mobile", &self.passenger_mobile)?,
            passenger_id_no: open("passenger_id_no", &self.passenger_id_no)?,
            passenger_id_type: open("passenger_id_type", &self.passenger_id_type)?,
            country_code: open_optional("country_code", &self.country_code)?,
            sex: open_optional("sex", &self.sex)?,
            passenger_id: open("passenger_id", &self.passenger_id)?,
            valid_date_start: open_optional("valid_date_start", &self.valid_date_start)?,
            birth_date: open_optional("birth_date", &self.birth_date)?,
            valid_date_end: open_optional("valid_date_end", &self.valid_date_end)?,
        })
    }
}

/// `data` (OrderInfo) of the success answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderInfo {
    /// 商旅订单号.
    #[serde(default)]
    pub order_id: Option<String>,
    /// 供应商订单号.
    #[serde(default)]
    pub supplier_order_id: Option<String>,
}

/// The success answer's body (under [`RESPONSE_KEY`]), as the seed shows
/// it: every value a string (`"status": "true"`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BookCallbackResponse {
    /// 数据.
    pub data: OrderInfo,
    /// 返回结果码 (`200`).
    pub result_code: String,
    /// 是否成功 (`true`).
    pub status: String,
    /// 返回结果描述 (`成功`).
    pub result_msg: String,
}

/// TOP's `error_response` body (seed shape: code, msg, sub_code, sub_msg).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ErrorResponse {
    /// Platform error code (`50`).
    pub code: i64,
    /// Platform message (`Remote service error`).
    pub msg: String,
    /// Detailed code: `isv.*` caller errors, `isp.*` platform errors.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sub_code: Option<String>,
    /// Detailed message (`非法参数`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sub_msg: Option<String>,
}

/// `yyyy-MM-dd HH:mm:ss` of a Shanghai wall-clock time.
pub fn format_time(local: NaiveDateTime) -> String {
    local.format("%Y-%m-%d %H:%M:%S").to_string()
}

/// Parses `yyyy-MM-dd HH:mm:ss`.
pub fn parse_time(text: &str) -> Option<NaiveDateTime> {
    NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S").ok()
}

/// `yyyy-MM-dd`.
pub fn format_date(date: NaiveDate) -> String {
    date.format("%Y-%m-%d").to_string()
}

/// Parses `yyyy-MM-dd`.
pub fn parse_date(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()
}

/// An amount as a fen string (`1000` is ¥10.00).
pub fn fen_text(amount: Fen) -> String {
    amount.get().to_string()
}

/// Parses a fen string: ASCII digits only, no sign, no decimals.
pub fn parse_fen(text: &str) -> Option<Fen> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok().map(Fen::new)
}

#[cfg(test)]
mod tests {
    use super::super::sm4::Sm4Config;
    use super::*;

    /// The seed's Java example, as JSON, with the passenger fields as the
    /// wire carries them (any strings: only their placement matters here).
    const SEED_EXAMPLE: &str = r#"{
        "book_train_details": [{
            "to_station_name": "上海", "arrive_time": "2022-10-28 12:00:00",
            "order_total_price": "1000", "train_date": "2022-10-28",
            "from_station_name": "北京", "ticket_num": "1", "to_station_code": "SHH",
            "book_ticket_details": [{
                "resign_flag": "1", "coach_no": "01", "ticket_price": "1000",
                "ticket_entrance": "{\"0\":\"xx检票口\"}",
                "passenger_info": {
                    "passenger_name": "n", "passenger_mobile": "m", "passenger_id_no": "i",
                    "passenger_id_type": "t", "country_code": "c", "sex": "s",
                    "passenger_id": "p", "valid_date_start": "vs", "birth_date": "b",
                    "valid_date_end": "ve"
                },
                "ticket_type": "1", "seat_type": "1", "ticket_status": "11",
                "refund_flag": "0", "seat_name": "硬座", "change_flag": "1",
                "seat_no": "001", "passenger_ticket_no": "EW123123212",
                "fail_code": "1001", "fail_reason": "车次已无票"
            }],
            "train_no": "T123", "from_station_code": "BJP",
            "start_time": "2022-10-10 12:00:00", "train_id": "车次id"
        }],
        "supplier_order_id": "987654321", "ticket_no": "EW123452", "order_id": "123456789",
        "order_status": "11", "purchase_type": "2", "fail_code": "1001",
        "fail_reason": "车次已无票"
    }"#;

    #[test]
    fn reads_and_writes_the_seed_example_unchanged() {
        let param: BookCallbackParam = serde_json::from_str(SEED_EXAMPLE).unwrap();
        let train = &param.book_train_details[0];
        let ticket = &train.book_ticket_details[0];
        assert_eq!(train.to_station_code, "SHH");
        assert_eq!(ticket.seat_name, "硬座");
        assert_eq!(ticket.passenger_info.valid_date_end.as_deref(), Some("ve"));
        assert_eq!(param.purchase_type, "2");
        let written = serde_json::to_value(&param).unwrap();
        let original: serde_json::Value = serde_json::from_str(SEED_EXAMPLE).unwrap();
        assert_eq!(written, original);
    }

    #[test]
    fn optional_fields_are_left_out_when_empty() {
        let mut param: BookCallbackParam = serde_json::from_str(SEED_EXAMPLE).unwrap();
        param.ticket_no = None;
        param.book_train_details[0].book_ticket_details[0].coach_no = None;
        param.book_train_details[0].book_ticket_details[0]
            .passenger_info
            .sex = None;
        let json = serde_json::to_string(&param).unwrap();
        assert!(!json.contains("\"ticket_no\""), "{json}");
        assert!(!json.contains("coach_no"));
        assert!(!json.contains("\"sex\""));
        assert!(!json.contains("null"));
    }

    #[test]
    fn a_missing_required_field_does_not_parse() {
        let without = SEED_EXAMPLE.replace("\"order_id\": \"123456789\",", "");
        assert!(serde_json::from_str::<BookCallbackParam>(&without).is_err());
    }

    #[test]
    fn passengers_seal_and_open() {
        let cipher =
            FieldCipher::new(&Sm4Config::with_hex_key("0123456789abcdeffedcba9876543210")).unwrap();
        let plain = PassengerPlain {
            passenger_name: "张三".into(),
            passenger_mobile: "15712340587".into(),
            passenger_id_no: "11010519491231002X".into(),
            passenger_id_type: "0".into(),
            country_code: None,
            sex: Some("1".into()),
            passenger_id: "123452".into(),
            valid_date_start: None,
            birth_date: Some("1949-12-31".into()),
            valid_date_end: None,
        };
        let sealed = plain.seal(&cipher);
        let json = serde_json::to_string(&sealed).unwrap();
        for raw in [
            "张三",
            "15712340587",
            "11010519491231002X",
            "123452",
            "1949-12-31",
        ] {
            assert!(!json.contains(raw), "{raw} in {json}");
        }
        assert_eq!(sealed.country_code, None);
        assert_eq!(sealed.open(&cipher).unwrap(), plain);
        let shown = format!("{plain:?}");
        assert!(!shown.contains("张三") && !shown.contains("1571234"));

        let mut broken = sealed;
        broken.passenger_mobile = "garbage!".into();
        assert_eq!(broken.open(&cipher).unwrap_err().field, "passenger_mobile");
    }

    #[test]
    fn formats_times_dates_and_fen() {
        let date = NaiveDate::from_ymd_opt(2022, 10, 28).unwrap();
        let time = date.and_hms_opt(7, 5, 0).unwrap();
        assert_eq!(format_time(time), "2022-10-28 07:05:00");
        assert_eq!(parse_time("2022-10-28 07:05:00"), Some(time));
        assert_eq!(parse_time("2022-10-28 07:05"), None);
        assert_eq!(format_date(date), "2022-10-28");
        assert_eq!(parse_date("2022-10-28"), Some(date));
        assert_eq!(parse_date("20221028"), None);
        assert_eq!(fen_text(Fen::new(1000)), "1000");
        assert_eq!(parse_fen("1000"), Some(Fen::new(1000)));
        for bad in ["", "-1", "10.00", "1e3", " 1"] {
            assert_eq!(parse_fen(bad), None, "{bad}");
        }
    }

    #[test]
    fn answers_have_the_seed_shape() {
        let success = BookCallbackResponse {
            data: OrderInfo {
                order_id: Some("123456789".into()),
                supplier_order_id: Some("987654321".into()),
            },
            result_code: "200".into(),
            status: "true".into(),
            result_msg: "成功".into(),
        };
        assert_eq!(
            serde_json::to_value(serde_json::json!({ RESPONSE_KEY: success })).unwrap(),
            serde_json::json!({ RESPONSE_KEY: {
                "data": {"order_id": "123456789", "supplier_order_id": "987654321"},
                "result_code": "200", "status": "true", "result_msg": "成功"
            }})
        );
        let error = ErrorResponse {
            code: 50,
            msg: "Remote service error".into(),
            sub_code: Some("isv.invalid-parameter".into()),
            sub_msg: Some("非法参数".into()),
        };
        assert_eq!(
            serde_json::to_value(&error).unwrap(),
            serde_json::json!({"code": 50, "msg": "Remote service error",
                "sub_code": "isv.invalid-parameter", "sub_msg": "非法参数"})
        );
    }
}
