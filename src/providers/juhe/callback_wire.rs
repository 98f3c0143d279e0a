//! Juhe's callbacks (seed 001 配置回调地址): the registration call and the
//! payloads Juhe pushes to each registered URL, spelled exactly as the seed
//! spells them. Each type goes to its own URL, so the receiver knows which
//! payload it holds from the URL, not from the body.
//!
//! `msgCode` is "100" for success; every failure example uses "101", which
//! the dictionary calls 参数无效, so a failure's meaning comes from the
//! callback type and `msgInfo` (see `codes::classify_msg_code`).

use super::lenient;
use rust_decimal::Decimal;
use secrecy::SecretString;
use serde::{Deserialize, Serialize, Serializer};

/// 回调类型 of addCallbackUrl.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CallbackType {
    /// 1: 占座和出票结果合并推送 (success and failure): [`IssueCallback`].
    SeatAndIssue,
    /// 2: 退票退款推送: [`RefundCallback`].
    Refund,
    /// 3: 抢票过期推送: [`GrabExpiredCallback`].
    GrabExpired,
}

impl CallbackType {
    /// Every type: railgate registers all three at start.
    pub const ALL: [CallbackType; 3] = [
        CallbackType::SeatAndIssue,
        CallbackType::Refund,
        CallbackType::GrabExpired,
    ];

    /// The `type` value Juhe documents (a string).
    pub const fn code(self) -> &'static str {
        match self {
            CallbackType::SeatAndIssue => "1",
            CallbackType::Refund => "2",
            CallbackType::GrabExpired => "3",
        }
    }

    /// Parses [`CallbackType::code`].
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|kind| kind.code() == code.trim())
    }
}

impl Serialize for CallbackType {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.code())
    }
}

/// Form fields of 配置回调地址 (addCallbackUrl.php). Its success answer is
/// `{"error_code":0,"reason":"success","data":null}`: nothing to read.
#[derive(Debug, Serialize)]
pub struct AddCallbackUrlRequest<'a> {
    /// Where Juhe should push this type.
    pub url: &'a str,
    /// Which pushes go there.
    #[serde(rename = "type")]
    pub callback_type: CallbackType,
}

/// Type 1: the seat-and-issue result (出票成功 / 出票失败).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IssueCallback {
    /// Juhe's order number.
    pub order_no: String,
    /// railgate's order number.
    #[serde(deserialize_with = "lenient::code")]
    pub out_order_no: String,
    /// "100" issued, anything else failed.
    #[serde(deserialize_with = "lenient::code")]
    pub msg_code: String,
    /// 出票成功 / 出票失败 / a reason.
    #[serde(default)]
    pub msg_info: Option<String>,
    /// Station codes (numbers in the example); null on failure.
    #[serde(default)]
    pub from_station_code: Option<String>,
    /// See `from_station_code`.
    #[serde(default)]
    pub to_station_code: Option<String>,
    /// yyyy-MM-dd HH:mm:ss; null on failure.
    #[serde(default)]
    pub departure_time: Option<String>,
    /// yyyy-MM-dd HH:mm:ss; null on failure.
    #[serde(default)]
    pub arrival_time: Option<String>,
    /// Train code actually issued (one of the grab's trains).
    #[serde(default)]
    pub train_no: Option<String>,
    /// 12306 order number (取票号).
    #[serde(default)]
    pub ticket_no: Option<String>,
    /// Order total in yuan.
    #[serde(default, deserialize_with = "lenient::optional")]
    pub order_amount: Option<Decimal>,
    /// Boarding station.
    #[serde(default)]
    pub from_station: Option<String>,
    /// Alighting station.
    #[serde(default)]
    pub to_station: Option<String>,
    /// yyyy-MM-dd HH:mm:ss; blank on failure.
    #[serde(default)]
    pub issue_time: Option<String>,
    /// 邮寄费用 (ignorable).
    #[serde(default, deserialize_with = "lenient::optional")]
    pub mail_charge: Option<Decimal>,
    /// "姓名|证件号,姓名|证件号": the passengers a failure is about.
    #[serde(default)]
    pub msg_detail: Option<SecretString>,
    /// Passengers with their seats.
    #[serde(default)]
    pub passengers: Vec<CallbackPassenger>,
    /// "0"/"1": whether this order came from a change.
    #[serde(default, deserialize_with = "lenient::code")]
    pub is_changed_order: String,
    /// The order changed from.
    #[serde(default)]
    pub original_order_no: Option<String>,
    /// How it was changed.
    #[serde(default)]
    pub changed_type: Option<String>,
    /// Service charge in yuan; blank when none.
    #[serde(default, deserialize_with = "lenient::optional")]
    pub service_charge: Option<Decimal>,
    /// 改签差价 in yuan; blank when none.
    #[serde(default, deserialize_with = "lenient::optional")]
    pub change_price_diff: Option<Decimal>,
    /// Juhe's fee in yuan.
    #[serde(default, deserialize_with = "lenient::optional")]
    pub juhe_service_fee: Option<Decimal>,
}

/// A passenger of the issue callback.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CallbackPassenger {
    /// Name.
    pub passenger_name: SecretString,
    /// passengerType code.
    #[serde(deserialize_with = "lenient::code")]
    pub passenger_type: String,
    /// cardType code, ONE-based like the dictionary's idType.
    #[serde(deserialize_with = "lenient::code")]
    pub card_type: String,
    /// Document number.
    #[serde(default)]
    pub card_no: Option<SecretString>,
    /// What applyRefundOrder needs.
    #[serde(deserialize_with = "lenient::code")]
    pub passenger_id: String,
    /// NUMERIC seat class ("1" 硬座), unlike search's seatClassCode.
    #[serde(default, deserialize_with = "lenient::code")]
    pub seat_class: String,
    /// "02车厢,007号"; blank on failure.
    #[serde(default)]
    pub seat_no: Option<String>,
    /// Fare in yuan.
    #[serde(default, deserialize_with = "lenient::optional")]
    pub price: Option<Decimal>,
    /// The passenger's ticket number; blank on failure.
    #[serde(default)]
    pub p_ticket_no: Option<String>,
    /// Service charge in yuan.
    #[serde(default, deserialize_with = "lenient::optional")]
    pub service_charge: Option<Decimal>,
    /// Insurance in yuan.
    #[serde(default, deserialize_with = "lenient::optional")]
    pub insurance_charge: Option<Decimal>,
}

/// Type 3: the grab deadline passed without tickets.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GrabExpiredCallback {
    /// "101" in the example.
    #[serde(deserialize_with = "lenient::code")]
    pub msg_code: String,
    /// 抢票单过期.
    #[serde(default)]
    pub msg_info: Option<String>,
    /// Juhe's order number.
    pub order_no: String,
    /// railgate's order number.
    #[serde(deserialize_with = "lenient::code")]
    pub out_order_no: String,
}

/// Type 2: the result of one refund application.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RefundCallback {
    /// Juhe's order number.
    pub order_no: String,
    /// railgate's order number.
    #[serde(deserialize_with = "lenient::code")]
    pub out_order_no: String,
    /// yyyy-MM-dd HH:mm:ss.
    #[serde(default)]
    pub refund_time: Option<String>,
    /// Amount refunded in yuan (0.00 on failure).
    #[serde(default, deserialize_with = "lenient::optional")]
    pub refund_price: Option<Decimal>,
    /// refundType word (online, offline, issuefail...).
    #[serde(default, deserialize_with = "lenient::code")]
    pub refund_type: String,
    /// The refunded passenger(s).
    #[serde(default)]
    pub passengers: Vec<RefundedPassenger>,
    /// "100" refunded, anything else failed.
    #[serde(deserialize_with = "lenient::code")]
    pub msg_code: String,
    /// 线上退票成功 / the reason.
    #[serde(default)]
    pub msg_info: Option<String>,
}

/// A passenger of the refund callback.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RefundedPassenger {
    /// The passenger the refund was for.
    #[serde(deserialize_with = "lenient::code")]
    pub passenger_id: String,
    /// The refunded ticket.
    #[serde(default)]
    pub p_ticket_no: Option<String>,
    /// Name.
    pub passenger_name: SecretString,
    /// passengerType code.
    #[serde(default, deserialize_with = "lenient::code")]
    pub passenger_type: String,
    /// cardType code (one-based).
    #[serde(default, deserialize_with = "lenient::code")]
    pub card_type: String,
    /// Document number (blank in the examples).
    #[serde(default)]
    pub card_no: Option<SecretString>,
    /// Amount refunded for this ticket, in yuan.
    #[serde(default, deserialize_with = "lenient::optional")]
    pub refund_price: Option<Decimal>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    #[test]
    fn callback_types_round_trip() {
        for kind in CallbackType::ALL {
            assert_eq!(CallbackType::from_code(kind.code()), Some(kind));
        }
        assert_eq!(CallbackType::from_code("0"), None);
        assert_eq!(CallbackType::from_code("4"), None);
    }

    #[test]
    fn parses_the_seed_issued_callback() {
        let callback: IssueCallback =
            serde_json::from_str(include_str!("testdata/callback_issued.json")).unwrap();
        assert_eq!(callback.msg_code, "100");
        assert_eq!(callback.out_order_no, "2016113006");
        assert_eq!(callback.train_no.as_deref(), Some("Z175"));
        assert_eq!(callback.ticket_no.as_deref(), Some("E566781381"));
        assert_eq!(callback.order_amount, Some(Decimal::new(900, 2)));
        assert_eq!(callback.is_changed_order, "0");
        assert_eq!(callback.service_charge, None, "blank means none");
        assert_eq!(callback.change_price_diff, None);
        assert!(callback.msg_detail.is_none());
        let passenger = &callback.passengers[0];
        assert_eq!(passenger.passenger_id, "615151438");
        assert_eq!(passenger.seat_class, "1");
        assert_eq!(passenger.card_type, "1");
        assert_eq!(passenger.seat_no.as_deref(), Some("02车厢,007号"));
        assert_eq!(passenger.p_ticket_no.as_deref(), Some("E5667813811020007"));
        assert_eq!(passenger.passenger_name.expose_secret(), "奥巴马");
        assert!(!format!("{callback:?}").contains("奥巴马"));
    }

    #[test]
    fn parses_the_seed_issue_failure_with_its_nulls() {
        let callback: IssueCallback =
            serde_json::from_str(include_str!("testdata/callback_issue_failed.json")).unwrap();
        assert_eq!(callback.msg_code, "101");
        assert_eq!(callback.msg_info.as_deref(), Some("出票失败"));
        assert_eq!(callback.departure_time, None);
        assert_eq!(callback.order_amount, None);
        assert_eq!(callback.issue_time.as_deref(), Some(""));
        let passenger = &callback.passengers[0];
        assert_eq!(passenger.passenger_id, "123");
        assert_eq!(passenger.seat_no.as_deref(), Some(""));
        assert_eq!(passenger.price, Some(Decimal::new(10000, 2)));
    }

    #[test]
    fn parses_the_seed_expiry_and_refund_callbacks() {
        let expired: GrabExpiredCallback =
            serde_json::from_str(include_str!("testdata/callback_grab_expired.json")).unwrap();
        assert_eq!(expired.msg_code, "101");
        assert_eq!(expired.msg_info.as_deref(), Some("抢票单过期"));
        assert_eq!(expired.out_order_no, "2016113005");

        let refunded: RefundCallback =
            serde_json::from_str(include_str!("testdata/callback_refunded.json")).unwrap();
        assert_eq!(refunded.msg_code, "100");
        assert_eq!(refunded.refund_type, "online");
        assert_eq!(refunded.refund_price, Some(Decimal::new(900, 2)));
        assert_eq!(refunded.passengers[0].passenger_id, "615151438");
        assert_eq!(
            refunded.passengers[0]
                .card_no
                .as_ref()
                .unwrap()
                .expose_secret(),
            ""
        );

        let failed: RefundCallback =
            serde_json::from_str(include_str!("testdata/callback_refund_failed.json")).unwrap();
        assert_eq!(failed.msg_code, "101");
        assert_eq!(failed.msg_info.as_deref(), Some("参数无效"));
        assert_eq!(failed.refund_price, Some(Decimal::ZERO));
        assert_eq!(
            failed.passengers[0].p_ticket_no.as_deref(),
            Some("E1234567890001")
        );
    }
}
