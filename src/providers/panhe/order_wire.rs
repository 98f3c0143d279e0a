//! Panhe's booking JSON (seed 002: 创单占座, 确认出票, 取消订单, 退票, 改签,
//! 查询订单详情), spelled exactly as the seed spells it. Only the adapter
//! sees these types. Money stays as the seed's yuan decimals here; the
//! mapping converts to fen.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_with::{DisplayFromStr, PickFirst, serde_as};

/// Request body of 创单占座 (createOrder).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateOrderRequest<'a> {
    /// railgate's own order number (unique per booking).
    pub customer_order_no: &'a str,
    /// Contact name.
    pub contact_name: &'a str,
    /// Contact mobile.
    pub contact_mobile: &'a str,
    /// 车次.
    pub train_code: &'a str,
    /// Departure station name.
    pub from_station: &'a str,
    /// Arrival station name.
    pub to_station: &'a str,
    /// yyyy-MM-dd HH:mm.
    pub from_date_time: String,
    /// yyyy-MM-dd HH:mm.
    pub to_date_time: String,
    /// 12306 account, ciphertext.
    pub train_account: &'a str,
    /// 12306 password, ciphertext.
    pub train_password: &'a str,
    /// Whether seats are chosen.
    pub is_choose_seats: bool,
    /// e.g. "1A1D"; null when not choosing.
    pub choose_seats: Option<String>,
    /// Lower/middle/upper counts, e.g. "201"; "000" when not choosing.
    pub choose_sleeper: String,
    /// Accept standing tickets.
    pub is_accept_standing: bool,
    /// Order status callback URL.
    pub call_back_url: Option<&'a str>,
    /// Refund result callback URL.
    pub refund_ticket_callback_url: Option<&'a str>,
    /// Passengers.
    pub passengers: Vec<PassengerRequest<'a>>,
}

/// One passenger of createOrder.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PassengerRequest<'a> {
    /// Name.
    pub name: &'a str,
    /// 证件类型 (1,2,3,4,8,9).
    pub card_type: i32,
    /// 证件号码.
    pub card_no: &'a str,
    /// Mobile.
    pub mobile: &'a str,
    /// 票种 (1-4).
    pub ticket_type: i32,
    /// 席别.
    pub seat_type: i32,
    /// yyyy-MM-dd; required for card types 2,3,4,8.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub birthday: Option<String>,
    /// yyyy-MM-dd.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub card_valid_end_date: Option<String>,
    /// 男=1 女=2; required for card types 2,3,4,8.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sex: Option<i32>,
    /// Country code; required for card types 2,8.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country_code: Option<&'a str>,
}

/// `data` of createOrder.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateOrderData {
    /// Panhe's order number.
    pub order_no: String,
}

/// Request body of 确认出票 (pay). `payAmount` takes part in the sign when
/// present.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConfirmOrderRequest<'a> {
    /// Panhe's order number.
    pub order_no: &'a str,
    /// Expected amount in yuan; null skips the amount check.
    #[serde(serialize_with = "super::sign::serialize_pay_amount")]
    pub pay_amount: Option<Decimal>,
    /// md5(secretKey+orderNo+payAmount+secretKey), lowercase hex.
    pub sign: String,
}

/// Request body of 取消订单.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CancelOrderRequest<'a> {
    /// Panhe's order number.
    pub order_no: &'a str,
}

/// Request body of 退票 (one ticket per call).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RefundTicketRequest<'a> {
    /// Panhe's order number.
    pub order_no: &'a str,
    /// Exactly one ticket.
    pub tickets: [RefundTicketInfo<'a>; 1],
    /// Optional remark: at the top level beside `tickets`, where seed 002's
    /// example puts it (its field table lists it after the ticket's fields).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remark: Option<&'a str>,
}

/// The ticket to refund.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RefundTicketInfo<'a> {
    /// Passenger name.
    pub name: &'a str,
    /// Ticket number (the new one for a changed ticket).
    pub ticket_no: &'a str,
    /// 证件类型.
    pub card_type: i32,
    /// 证件号.
    pub card_no: &'a str,
}

/// Request body of 申请改签.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ApplyChangeRequest<'a> {
    /// Panhe's order number.
    pub order_no: &'a str,
    /// Ticket numbers joined with '|'.
    pub change_psg_ticket_nos: String,
    /// New departure station name.
    pub from_station: &'a str,
    /// New arrival station name.
    pub to_station: &'a str,
    /// New train code.
    pub train_code: &'a str,
    /// New seat type.
    pub seat_type: i32,
    /// yyyy-MM-dd HH:mm.
    pub from_date_time: String,
    /// yyyy-MM-dd HH:mm.
    pub to_date_time: String,
    /// Whether seats are chosen.
    pub is_choose_seats: bool,
    /// e.g. "1A1D".
    pub choose_seats: Option<String>,
    /// e.g. "100"; "000" when not choosing.
    pub choose_sleeper: String,
    /// Accept standing tickets.
    pub is_accept_standing: bool,
    /// Required remark.
    pub remark: &'a str,
    /// Change status callback URL.
    pub call_back_url: Option<&'a str>,
}

/// Request body of 确认改签.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConfirmChangeRequest<'a> {
    /// Panhe's order number.
    pub order_no: &'a str,
    /// Change order number.
    pub cha_no: &'a str,
    /// needPayAmount in yuan, or null.
    #[serde(serialize_with = "super::sign::serialize_pay_amount")]
    pub pay_amount: Option<Decimal>,
    /// md5(secretKey+chaNo+payAmount+secretKey).
    pub sign: String,
}

/// Request body of 取消改签.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CancelChangeRequest<'a> {
    /// Change order number.
    pub cha_no: &'a str,
    /// Required remark.
    pub remark: &'a str,
}

/// Request body of 查询订单详情.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderDetailRequest<'a> {
    /// Panhe's order number.
    pub order_no: &'a str,
}

/// `data` of 查询订单详情. Nullable fields are `Option`; amounts are yuan.
#[serde_as]
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderDetail {
    /// Panhe's order number.
    pub order_no: String,
    /// Total (tickets + service fee + insurance), once seats are held.
    pub order_amount: Option<Decimal>,
    /// Sum of ticket prices.
    pub ticket_amount: Option<Decimal>,
    /// Insurance total.
    pub insurance_amount: Option<Decimal>,
    /// Service fee total.
    pub service_fee_amount: Option<Decimal>,
    /// Service fee per ticket.
    pub service_fee_per_ticket: Option<Decimal>,
    /// The customer's order number.
    pub customer_order_no: Option<String>,
    /// 12306's order number.
    #[serde(rename = "orderNo12306")]
    pub order_no_12306: Option<String>,
    /// Train code.
    pub train_code: String,
    /// Departure station name.
    pub from_station: String,
    /// Arrival station name.
    pub to_station: String,
    /// yyyy-MM-dd HH:mm:ss.
    pub from_date_time: String,
    /// yyyy-MM-dd HH:mm:ss.
    pub to_date_time: String,
    /// 占位中=1 占位成功=2 占位失败=3 已取消=5 出票中=7 出票成功=8 出票失败=9.
    #[serde_as(as = "PickFirst<(_, DisplayFromStr)>")]
    pub order_status: i32,
    /// Name of order_status.
    pub order_status_name: Option<String>,
    /// 0 unpaid, 1 paid.
    pub pay_status: Option<i32>,
    /// Amount paid.
    pub real_pay_amount: Option<Decimal>,
    /// When paid.
    pub pay_time: Option<String>,
    /// Payment transaction number.
    pub transaction_no: Option<String>,
    /// When issued.
    pub ticket_time: Option<String>,
    /// Whether a grab order.
    pub is_snatch_order: Option<bool>,
    /// Grab deadline.
    pub snatch_dead_line: Option<String>,
    /// Refund of a failed issue: amount.
    #[serde(rename = "outTicketFail_RefundAmount")]
    pub out_ticket_fail_refund_amount: Option<Decimal>,
    /// Pay before this time.
    pub pay_limit_time: Option<String>,
    /// Why the order did not complete.
    pub un_finished_reason: Option<String>,
    /// Gate.
    pub ticket_entrance: Option<String>,
    /// When created.
    pub create_time: Option<String>,
    /// One per passenger.
    #[serde(default)]
    pub train_tickets: Vec<TrainTicket>,
    /// Change orders.
    #[serde(default, rename = "trainChaOrder")]
    pub train_cha_order: Option<Vec<ChangeOrderDetail>>,
}

/// One passenger's ticket in order detail.
#[serde_as]
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TrainTicket {
    /// Panhe's passenger id.
    #[serde_as(as = "PickFirst<(_, DisplayFromStr)>")]
    pub passenger_id: i64,
    /// Name.
    pub name: String,
    /// Ticket number, once held.
    pub ticket_no: Option<String>,
    /// 证件类型.
    #[serde_as(as = "PickFirst<(_, DisplayFromStr)>")]
    pub card_type: i32,
    /// Masked document number.
    pub card_no: Option<String>,
    /// 票种.
    #[serde_as(as = "PickFirst<(_, DisplayFromStr)>")]
    pub ticket_type: i32,
    /// 席别.
    #[serde_as(as = "PickFirst<(_, DisplayFromStr)>")]
    pub seat_type: i32,
    /// 客票状态 (1-37).
    #[serde_as(as = "PickFirst<(_, DisplayFromStr)>")]
    pub ticket_status: i32,
    /// e.g. "03车厢,01A座".
    pub seat_no: Option<String>,
    /// Ticket price in yuan.
    pub ticket_price: Option<Decimal>,
    /// Refund fee: a string in the seed's table.
    #[serde_as(as = "Option<PickFirst<(_, DisplayFromStr)>>")]
    #[serde(default)]
    pub refund_ticket_poundage: Option<Decimal>,
    /// Amount refunded.
    pub refund_ticket_amount: Option<Decimal>,
    /// Why a refund failed.
    pub refund_fail_reason: Option<String>,
}

/// One change order (改签单) in order detail.
#[serde_as]
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChangeOrderDetail {
    /// Change order number.
    pub cha_no: String,
    /// 30-37.
    #[serde_as(as = "PickFirst<(_, DisplayFromStr)>")]
    pub cha_order_status: i32,
    /// New train code.
    pub train_code: String,
    /// New departure station.
    pub from_station: String,
    /// New arrival station.
    pub to_station: String,
    /// yyyy-MM-dd HH:mm:ss.
    pub from_date_time: String,
    /// yyyy-MM-dd HH:mm:ss.
    pub to_date_time: String,
    /// 0 待确定, 1 higher, 2 equal, 3 lower.
    pub price_change_type: Option<i32>,
    /// 高改时,实际支付总金额.
    pub real_pay_amount: Option<Decimal>,
    /// 高改时,支付时间 (yyyy-MM-dd HH:mm:ss).
    pub pay_time: Option<String>,
    /// 改签待退款金额: refunded to the buyer once the change succeeds.
    pub total_price_diff: Option<Decimal>,
    /// 改签差额退票手续费合计.
    pub diff_refund_fee_amount: Option<Decimal>,
    /// Change fee total.
    pub chang_fee_amount: Option<Decimal>,
    /// 改签费率, e.g. 0.05.
    pub chang_rate: Option<Decimal>,
    /// 改签差额退票费率 of a cheaper change, e.g. 0.10.
    pub diff_rate: Option<Decimal>,
    /// Amount to pay on confirmation.
    pub need_pay_amount: Option<Decimal>,
    /// 1 failed change refunded, 2 cheaper change's difference, 3 dearer
    /// change's original fare (ChaOderRefundType).
    pub cha_refund_type: Option<i32>,
    /// Refund amount (failed change, cheaper change, or original fare).
    pub refund_amount: Option<Decimal>,
    /// 申请改签时间 (the seed's spelling).
    pub applay_change_time: Option<String>,
    /// Confirm before this time.
    pub confirm_change_limit_time: Option<String>,
    /// Why the change did not complete.
    pub un_finished_reason: Option<String>,
    /// The new tickets.
    #[serde(default)]
    pub train_tickets: Vec<TrainTicket>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::panhe::client::unwrap_envelope;

    const ORDER_DETAIL: &str = include_str!("testdata/order_detail.json");

    #[test]
    fn parses_the_seed_order_detail_example() {
        let detail: OrderDetail = unwrap_envelope(ORDER_DETAIL.as_bytes(), "/d").unwrap();
        assert_eq!(detail.order_no, "T24012512251820419");
        assert_eq!(detail.order_amount, Some(Decimal::from(31)));
        assert_eq!(detail.order_no_12306.as_deref(), Some("EF48476727"));
        assert_eq!(detail.order_status, 8);
        assert_eq!(detail.pay_status, Some(1));
        assert_eq!(detail.from_date_time, "2024-01-27 06:57:00");
        assert_eq!(detail.train_tickets.len(), 2);
        let first = &detail.train_tickets[0];
        assert_eq!(first.passenger_id, 15155);
        assert_eq!(first.ticket_status, 34);
        assert_eq!(first.seat_no.as_deref(), Some("03车厢,01A座"));
        assert_eq!(first.card_no.as_deref(), Some("3411***********96X"));
        let changes = detail.train_cha_order.unwrap();
        assert_eq!(changes.len(), 3);
        assert_eq!(changes[0].cha_no, "T24012512251820419C3779");
        assert_eq!(changes[0].cha_order_status, 34);
        assert_eq!(changes[0].price_change_type, Some(3));
        assert_eq!(changes[0].total_price_diff, Some(Decimal::from(3)));
        assert_eq!(changes[0].diff_refund_fee_amount, Some(Decimal::from(4)));
        assert_eq!(changes[0].cha_refund_type, Some(2));
        assert_eq!(changes[0].real_pay_amount, None);
        assert_eq!(
            changes[0].applay_change_time.as_deref(),
            Some("2024-01-25 13:02:46")
        );
        assert_eq!(
            changes[0].train_tickets[0].ticket_no.as_deref(),
            Some("EF484767274060066")
        );
        assert_eq!(changes[2].price_change_type, Some(1));
        assert_eq!(changes[2].need_pay_amount, Some(Decimal::from(39)));
        assert_eq!(changes[2].train_tickets[0].ticket_status, 37);
    }

    #[test]
    fn the_seed_create_order_request_has_our_field_names() {
        let passenger = PassengerRequest {
            name: "张文涛",
            card_type: 2,
            card_no: "7418563",
            mobile: "18956251378",
            ticket_type: 1,
            seat_type: 4,
            birthday: None,
            card_valid_end_date: None,
            sex: None,
            country_code: None,
        };
        let request = CreateOrderRequest {
            customer_order_no: "1804257654",
            contact_name: "李伟",
            contact_mobile: "18754683215",
            train_code: "G7240",
            from_station: "上海",
            to_station: "合肥南",
            from_date_time: "2020-04-20 10:54".into(),
            to_date_time: "2020-04-20 14:13".into(),
            train_account: "a",
            train_password: "p",
            is_choose_seats: false,
            choose_seats: None,
            choose_sleeper: "000".into(),
            is_accept_standing: false,
            call_back_url: Some("http://cb"),
            refund_ticket_callback_url: None,
            passengers: vec![passenger],
        };
        let json = serde_json::to_value(&request).unwrap();
        // Every key of the seed's example request is one we send.
        let seed: serde_json::Value = serde_json::from_str(
            r#"{ "appKey": "k", "customerOrderNo": "1804257654", "contactName": "李伟", "contactMobile": "18754683215", "trainCode": "G7240", "fromStation": "上海", "toStation": "合肥南", "fromDateTime": "2020-04-20 10:54", "toDateTime": "2020-04-20 14:13", "trainAccount":"a", "trainPassword":"p", "isChooseSeats": false, "chooseSeats": null, "callBackUrl": "x", "passengers": [ { "name": "张文涛", "cardType": 2, "cardNo": "7418563", "mobile": "18956251378", "ticketType": 1, "seatType": 4 } ] }"#,
        )
        .unwrap();
        for key in seed
            .as_object()
            .unwrap()
            .keys()
            .filter(|key| *key != "appKey")
        {
            assert!(json.get(key).is_some(), "missing {key}");
        }
        for key in seed["passengers"][0].as_object().unwrap().keys() {
            assert!(
                json["passengers"][0].get(key).is_some(),
                "missing passengers[].{key}"
            );
        }
    }

    /// The request bodies have the shape of seed 002's own examples:
    /// 确认出票 `{"orderNo": "1804257654", "payAmount": 127, "sign": ...}`
    /// and 退票 with `"remark"` beside `tickets`.
    #[test]
    fn request_bodies_match_the_seeds_examples() {
        let confirm = ConfirmOrderRequest {
            order_no: "1804257654",
            pay_amount: Some(Decimal::from(127)),
            sign: "17fb3f159a93cf6a5d0275565d1a0954".into(),
        };
        assert_eq!(
            serde_json::to_value(&confirm).unwrap(),
            serde_json::json!({"orderNo": "1804257654", "payAmount": 127,
                               "sign": "17fb3f159a93cf6a5d0275565d1a0954"})
        );
        let refund = RefundTicketRequest {
            order_no: "TO2020041913272061601607",
            tickets: [RefundTicketInfo {
                name: "许文强",
                ticket_no: "E7315002701020001",
                card_type: 1,
                card_no: "***************",
            }],
            remark: Some("行程取消了"),
        };
        assert_eq!(
            serde_json::to_value(&refund).unwrap(),
            serde_json::json!({"orderNo": "TO2020041913272061601607",
                               "tickets": [{"name": "许文强", "ticketNo": "E7315002701020001",
                                            "cardType": 1, "cardNo": "***************"}],
                               "remark": "行程取消了"})
        );
    }
}
