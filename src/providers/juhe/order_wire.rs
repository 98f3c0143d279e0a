//! Juhe's order calls (seed 001 创建抢票单, 订单详情, 取消订单, 申请退票;
//! seed 000 订单详情), spelled exactly as the seeds spell them. Only the
//! adapter sees these types.
//!
//! Personal data (names, document numbers, phones, 12306 credentials) is
//! borrowed into requests for the one send and never printed: requests
//! that carry it have a `Debug` without it, and responses hold it as
//! `SecretString`, which prints `[REDACTED]`. Free-text failure reasons
//! quote passengers (seed 000's `failMsg` names one and gives a document
//! number), so they are secret too until masked.

use super::lenient;
use rust_decimal::Decimal;
use secrecy::SecretString;
use serde::{Deserialize, Serialize, Serializer};
use std::fmt;

/// 0: 代购模式 (Juhe buys with its own 12306 accounts); 1: 自购模式 (the
/// passenger's own 12306 account, so the tickets show up there too).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TicketModel {
    /// 代购模式.
    Proxy,
    /// 自购模式, with `accountNo`/`accountPwd`.
    SelfPurchase,
}

impl Serialize for TicketModel {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u8(match self {
            TicketModel::Proxy => 0,
            TicketModel::SelfPurchase => 1,
        })
    }
}

/// Form fields of 创建抢票单 (submitOrder.php, POST only).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SubmitOrderRequest<'a> {
    /// The search's queryKey; must be the one the trains came from.
    pub query_key: &'a str,
    /// railgate's order number (6-32 letters and digits).
    pub out_order_no: &'a str,
    /// 代购 or 自购; absent leaves Juhe's default.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ticket_model: Option<TicketModel>,
    /// 12306 account (自购模式).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account_no: Option<&'a str>,
    /// 12306 password (自购模式).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account_pwd: Option<&'a str>,
    /// Every train code to grab, sent joined with `|` (G7211|G7213).
    #[serde(rename = "trainNo", serialize_with = "joined")]
    pub train_nos: Vec<&'a str>,
    /// Every seatClassCode to grab, sent joined with `|`.
    #[serde(rename = "seatClassCode", serialize_with = "joined")]
    pub seat_class_codes: Vec<&'a str>,
    /// 主车次: required with several trains or seat classes.
    pub main_train_no: &'a str,
    /// 主坐席.
    pub main_seat_class: &'a str,
    /// Boarding station, exactly as the search named it.
    pub from_station: &'a str,
    /// Alighting station, exactly as the search named it.
    pub to_station: &'a str,
    /// yyyy-MM-dd, or "yyyy-MM-dd HH:mm" (the main train's departure) for a
    /// single train or several trains with several seat classes; must match
    /// the queryKey.
    pub depart_date: String,
    /// 抢票截止时间, yyyy-MM-dd HH:mm:ss.
    pub close_time: String,
    /// 是否接受无座, sent as "0"/"1".
    #[serde(serialize_with = "flag")]
    pub accept_no_seat: bool,
    /// 联系人姓名.
    pub person: &'a str,
    /// 联系人手机.
    pub cellphone: &'a str,
    /// 联系人邮箱.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<&'a str>,
    /// At most five passengers, sent as a JSON array inside one form field.
    #[serde(serialize_with = "json_text")]
    pub passengers: Vec<SubmitPassenger<'a>>,
}

impl fmt::Debug for SubmitOrderRequest<'_> {
    /// Everything but personal data and credentials.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SubmitOrderRequest")
            .field("out_order_no", &self.out_order_no)
            .field("ticket_model", &self.ticket_model)
            .field("train_nos", &self.train_nos)
            .field("seat_class_codes", &self.seat_class_codes)
            .field("main_train_no", &self.main_train_no)
            .field("main_seat_class", &self.main_seat_class)
            .field("from_station", &self.from_station)
            .field("to_station", &self.to_station)
            .field("depart_date", &self.depart_date)
            .field("close_time", &self.close_time)
            .field("accept_no_seat", &self.accept_no_seat)
            .field("passengers", &self.passengers.len())
            .finish_non_exhaustive()
    }
}

/// One passenger of submitOrder. The seed's example writes every value as a
/// string, codes included, so they are sent that way.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SubmitPassenger<'a> {
    /// Name as on the document.
    pub passenger_name: &'a str,
    /// 1 成人 2 儿童 3 学生 4 残军 (grab orders take only 1 and 2).
    #[serde(serialize_with = "as_text")]
    pub passenger_type: u8,
    /// 0 身份证 1 护照 2 台胞证 3 港澳通行证: ZERO-based here, unlike the
    /// dictionary, order detail and callbacks.
    #[serde(serialize_with = "as_text")]
    pub id_card_type: u8,
    /// Document number.
    pub id_card_no: &'a str,
    /// yyyy-MM-dd.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub birthday: Option<String>,
}

fn joined<S: Serializer>(values: &[&str], serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&values.join("|"))
}

fn flag<S: Serializer>(value: &bool, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(if *value { "1" } else { "0" })
}

fn as_text<S: Serializer>(value: &u8, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_str(value)
}

fn json_text<S: Serializer>(
    passengers: &[SubmitPassenger<'_>],
    serializer: S,
) -> Result<S::Ok, S::Error> {
    let text = serde_json::to_string(passengers).map_err(serde::ser::Error::custom)?;
    serializer.serialize_str(&text)
}

/// `result` of submitOrder.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SubmitOrderResult {
    /// Juhe's order number.
    pub order_no: String,
    /// railgate's order number, echoed.
    #[serde(deserialize_with = "lenient::code")]
    pub out_order_no: String,
}

/// Form fields of 订单详情 (orderDetail.php).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderDetailRequest<'a> {
    /// railgate's order number.
    pub out_order_no: &'a str,
    /// 1: the issued shape (passengerId, ticket states); absent: the grab
    /// shape (grab status, deadline).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issue: Option<u8>,
}

/// `result` of orderDetail WITHOUT `issue`: the grab order as it stands.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GrabOrderDetail {
    /// orderStatus letter (N B D F U O C T E).
    pub status: String,
    /// Boarding station.
    #[serde(default)]
    pub from_station: Option<String>,
    /// Alighting station.
    #[serde(default)]
    pub to_station: Option<String>,
    /// yyyy-MM-ddTHH:mm:ss (with a T, unlike the issued shape).
    #[serde(default)]
    pub depart_date: Option<String>,
    /// Juhe's order number.
    pub order_no: String,
    /// Train code(s).
    #[serde(default)]
    pub train_no: Option<String>,
    /// Seat class as its CHINESE name (硬座), not a code.
    #[serde(default)]
    pub seat_class: Option<String>,
    /// Passengers.
    #[serde(default)]
    pub passengers: Vec<GrabPassenger>,
    /// Contact phone.
    #[serde(default)]
    pub phone: Option<SecretString>,
    /// 主车次; blank for a single train.
    #[serde(default)]
    pub main_train_no: Option<String>,
    /// Why the order failed; quotes passengers.
    #[serde(default)]
    pub fail_msg: Option<SecretString>,
    /// 主坐席; blank for a single seat class.
    #[serde(default)]
    pub main_seat_class: Option<String>,
    /// 抢票截止时间, yyyy-MM-ddTHH:mm:ss.
    #[serde(default)]
    pub grab_end_time: Option<String>,
}

/// A passenger of the grab shape.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GrabPassenger {
    /// Name.
    pub passenger_name: SecretString,
    /// passengerType code (a number here).
    #[serde(deserialize_with = "lenient::code")]
    pub passenger_type: String,
    /// Document number (masked in the example).
    #[serde(default)]
    pub certificate_no: Option<SecretString>,
    /// Fare in yuan; 0 before a seat is grabbed.
    #[serde(default, deserialize_with = "lenient::optional")]
    pub ticket_price: Option<Decimal>,
}

/// `result` of orderDetail WITH `issue=1`. The fields the seed marks 可忽略
/// (bookTime, payTime, payType, placeTime, payStatus, payInfo, postalInfo,
/// insurance) are not read.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IssuedOrderDetail {
    /// Juhe's order number.
    pub order_no: String,
    /// railgate's order number.
    #[serde(deserialize_with = "lenient::code")]
    pub out_order_no: String,
    /// Train code.
    #[serde(default)]
    pub train_no: Option<String>,
    /// yyyy-MM-dd.
    #[serde(default)]
    pub train_date: Option<String>,
    /// Boarding station.
    #[serde(default)]
    pub from_station: Option<String>,
    /// Alighting station.
    #[serde(default)]
    pub to_station: Option<String>,
    /// yyyy-MM-dd HH:mm:ss.
    #[serde(default)]
    pub departure_time: Option<String>,
    /// yyyy-MM-dd HH:mm:ss.
    #[serde(default)]
    pub arrival_time: Option<String>,
    /// Chinese name of the state (已出票).
    #[serde(default)]
    pub order_state: Option<String>,
    /// orderStatus letter.
    pub order_state_code: String,
    /// Why the order failed, if it did.
    #[serde(default)]
    pub failure_reason: Option<SecretString>,
    /// yyyy-MM-dd HH:mm:ss.
    #[serde(default)]
    pub issue_time: Option<String>,
    /// Total in yuan.
    #[serde(default, deserialize_with = "lenient::optional")]
    pub order_price: Option<Decimal>,
    /// 12306 order number (取票号).
    #[serde(default)]
    pub ticket_no: Option<String>,
    /// Passengers with their tickets.
    #[serde(default)]
    pub passengers: Vec<IssuedPassenger>,
    /// Contact, masked by Juhe.
    #[serde(default)]
    pub contact_info: Option<ContactInfo>,
    /// Juhe's fee per order in yuan.
    #[serde(default, deserialize_with = "lenient::optional")]
    pub juhe_service_fee: Option<Decimal>,
}

/// A passenger of the issued shape.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IssuedPassenger {
    /// What applyRefundOrder needs.
    #[serde(deserialize_with = "lenient::code")]
    pub passenger_id: String,
    /// Name.
    pub passenger_name: SecretString,
    /// passengerType code.
    #[serde(deserialize_with = "lenient::code")]
    pub passenger_type: String,
    /// idType code, ONE-based (1 身份证).
    #[serde(deserialize_with = "lenient::code")]
    pub id_type: String,
    /// Document number.
    #[serde(default)]
    pub id_card: Option<SecretString>,
    /// yyyy-MM-dd.
    #[serde(default)]
    pub birthday: Option<SecretString>,
    /// seatClassCode (hardseat), not the callback's number.
    #[serde(default, deserialize_with = "lenient::code")]
    pub seat_class: String,
    /// Chinese name of the seat class.
    #[serde(default)]
    pub seat_class_name: Option<String>,
    /// "07车厢,009号".
    #[serde(default)]
    pub seat_no: Option<String>,
    /// The passenger's ticket number.
    #[serde(default)]
    pub p_ticket_no: Option<String>,
    /// ticketStateCode letter (N F C T O Y G).
    #[serde(default, deserialize_with = "lenient::code")]
    pub ticket_state_code: String,
    /// Chinese name of the state.
    #[serde(default)]
    pub ticket_state: Option<String>,
    /// Fare in yuan.
    #[serde(default, deserialize_with = "lenient::optional")]
    pub ticket_price: Option<Decimal>,
}

/// Contact of the issued shape.
#[derive(Debug, Deserialize)]
pub struct ContactInfo {
    /// Contact name (the example shows a masked phone here).
    #[serde(default)]
    pub person: Option<SecretString>,
    /// Contact phone.
    #[serde(default)]
    pub cellphone: Option<SecretString>,
    /// Contact email.
    #[serde(default)]
    pub email: Option<SecretString>,
}

/// Form fields of 取消订单 (only while grabbing).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CancelOrderRequest<'a> {
    /// railgate's order number.
    pub out_order_no: &'a str,
}

/// `result` of cancelOrder.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CancelOrderResult {
    /// Juhe's order number.
    pub order_no: String,
}

/// Form fields of 申请退票: one passenger per call; the result arrives by
/// the refund callback.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ApplyRefundRequest<'a> {
    /// railgate's order number.
    pub out_order_no: &'a str,
    /// passengerId from the issued order detail or the issue callback.
    pub passenger_id: &'a str,
}

/// `result` of applyRefundOrder.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RefundApplication {
    /// Juhe's order number.
    pub order_no: String,
    /// The passenger whose ticket is being refunded.
    #[serde(deserialize_with = "lenient::code")]
    pub passenger_id: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::juhe::wire::Envelope;
    use secrecy::ExposeSecret;

    fn result<T: serde::de::DeserializeOwned>(json: &str) -> T {
        let envelope: Envelope = serde_json::from_str(json).unwrap();
        assert_eq!(envelope.error_code, 0);
        serde_json::from_value(envelope.result).unwrap()
    }

    #[test]
    fn parses_the_seed_submit_and_cancel_and_refund_answers() {
        let submitted: SubmitOrderResult = result(include_str!("testdata/submit_order.json"));
        assert_eq!(submitted.order_no, "TFT583U752U210D284004800356");
        assert_eq!(submitted.out_order_no, "2016113001");
        let cancelled: CancelOrderResult = result(include_str!("testdata/cancel_order.json"));
        assert_eq!(cancelled.order_no, "TFT583U7A64210D1BB016912627");
        let refund: RefundApplication = result(include_str!("testdata/apply_refund.json"));
        assert_eq!(refund.passenger_id, "615151438");
    }

    #[test]
    fn parses_the_seed_grab_shape() {
        let detail: GrabOrderDetail = result(include_str!("testdata/order_detail.json"));
        assert_eq!(detail.status, "U");
        assert_eq!(detail.order_no, "TFT583U2D6U21011A3068416353");
        assert_eq!(detail.depart_date.as_deref(), Some("2016-12-30T02:29:00"));
        assert_eq!(detail.seat_class.as_deref(), Some("硬座"));
        assert_eq!(detail.main_train_no.as_deref(), Some(""));
        assert_eq!(detail.grab_end_time.as_deref(), Some("2016-11-30T18:00:00"));
        let passenger = &detail.passengers[0];
        assert_eq!(passenger.passenger_type, "1");
        assert_eq!(passenger.ticket_price, Some(Decimal::ZERO));
        assert_eq!(passenger.passenger_name.expose_secret(), "魏XX");
        assert!(
            detail
                .fail_msg
                .unwrap()
                .expose_secret()
                .starts_with("乘客身份信息未通过验证")
        );
    }

    #[test]
    fn parses_the_seed_issued_shape() {
        let detail: IssuedOrderDetail = result(include_str!("testdata/order_detail_issued.json"));
        assert_eq!(detail.out_order_no, "2016120501");
        assert_eq!(detail.order_state_code, "F");
        assert_eq!(
            detail.departure_time.as_deref(),
            Some("2016-12-29 03:34:00")
        );
        assert_eq!(detail.order_price, Some(Decimal::new(900, 2)));
        assert_eq!(detail.juhe_service_fee, Some(Decimal::from(8)));
        assert_eq!(detail.ticket_no.as_deref(), Some("E345091034"));
        let passenger = &detail.passengers[0];
        assert_eq!(passenger.passenger_id, "623838773");
        assert_eq!(passenger.id_type, "1");
        assert_eq!(passenger.seat_class, "hardseat");
        assert_eq!(passenger.seat_no.as_deref(), Some("07车厢,009号"));
        assert_eq!(passenger.p_ticket_no.as_deref(), Some("E3450910341070009"));
        assert_eq!(passenger.ticket_state_code, "F");
        assert_eq!(passenger.ticket_price, Some(Decimal::new(900, 2)));
        let contact = detail.contact_info.unwrap();
        assert_eq!(contact.cellphone.unwrap().expose_secret(), "1599****577");
    }

    #[test]
    fn debug_output_hides_personal_data() {
        let detail: IssuedOrderDetail = result(include_str!("testdata/order_detail_issued.json"));
        let shown = format!("{detail:?}");
        assert!(!shown.contains("1976-06-13"), "{shown}");
        assert!(!shown.contains("1599"), "{shown}");
        let grab: GrabOrderDetail = result(include_str!("testdata/order_detail.json"));
        let shown = format!("{grab:?}");
        assert!(!shown.contains("魏") && !shown.contains("3916"), "{shown}");

        let request = SubmitOrderRequest {
            query_key: "q",
            out_order_no: "rg0001",
            ticket_model: Some(TicketModel::SelfPurchase),
            account_no: Some("account-name"),
            account_pwd: Some("hunter2"),
            train_nos: vec!["G1"],
            seat_class_codes: vec!["secondseat"],
            main_train_no: "G1",
            main_seat_class: "secondseat",
            from_station: "北京南",
            to_station: "上海虹桥",
            depart_date: "2026-12-01 07:00".into(),
            close_time: "2026-11-30 18:00:00".into(),
            accept_no_seat: false,
            person: "张三丰",
            cellphone: "15712340587",
            email: None,
            passengers: vec![SubmitPassenger {
                passenger_name: "张三丰",
                passenger_type: 1,
                id_card_type: 0,
                id_card_no: "11010519491231002X",
                birthday: None,
            }],
        };
        let shown = format!("{request:?}");
        for secret in [
            "张三丰",
            "15712340587",
            "11010519491231002X",
            "hunter2",
            "account-name",
        ] {
            assert!(!shown.contains(secret), "{shown}");
        }
        assert!(shown.contains("rg0001"));
    }

    #[test]
    fn passengers_json_matches_the_seed_example_shape() {
        let passengers = vec![SubmitPassenger {
            passenger_name: "XXX",
            passenger_type: 1,
            id_card_type: 0,
            id_card_no: "XXXXXXXXXXXXXXXXXXXXXXXXX",
            birthday: Some("1989-02-18".into()),
        }];
        let ours = serde_json::to_value(&passengers).unwrap();
        let seed: serde_json::Value =
            serde_json::from_str(include_str!("testdata/submit_passengers.json")).unwrap();
        assert_eq!(ours, seed);
    }
}
