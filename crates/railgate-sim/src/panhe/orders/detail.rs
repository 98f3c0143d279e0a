//! 查询订单详情 (orderDetail): exactly the seed's example shape, field for
//! field and in its order, including its odd spellings
//! (`outTicketFail_RefundSuccessTime`, `applayChangeTime`, `changRate`,
//! `orderNo12306`). Passenger id numbers and mobiles are masked as in the
//! example (`3411***********96X`, `157****0587`); names and the contact's
//! mobile are not, as in the example.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use chrono::NaiveDateTime;
use serde::Serialize;

use super::model::{
    CARD_TYPES, ChangeOrder, Order, Payment, SEAT_TYPES, TICKET_TYPES, Ticket, TicketStatus,
    code_name,
};
use super::pay::{order_not_found, yuan2};
use super::respond;
use crate::panhe::SimState;
use crate::panhe::params::Params;
use crate::panhe::wire::{Failure, seat_code, yuan};
use crate::timetable::Timetable;

/// `data` of orderDetail, in the seed's field order.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderDetail {
    pub order_no: String,
    /// Known once seats are held (tickets + service fee + insurance).
    pub order_amount: Option<f64>,
    pub ticket_amount: Option<f64>,
    pub insurance_amount: Option<f64>,
    pub service_fee_amount: Option<f64>,
    pub service_fee_per_ticket: Option<f64>,
    pub customer_order_no: Option<String>,
    #[serde(rename = "orderNo12306")]
    pub order_no_12306: Option<String>,
    pub train_code: String,
    pub from_station: String,
    pub to_station: String,
    pub from_date_time: String,
    pub to_date_time: String,
    pub order_status: u8,
    pub order_status_name: String,
    pub pay_status: u8,
    pub payment_type: u8,
    pub real_pay_amount: Option<f64>,
    pub pay_time: Option<String>,
    pub transaction_no: Option<String>,
    pub ticket_time: Option<String>,
    pub is_choose_seats: bool,
    pub choose_seats: Option<String>,
    pub is_snatch_order: bool,
    pub snatch_dead_line: Option<String>,
    pub insurance_codes: Option<String>,
    pub contact_name: String,
    pub contact_mobile: String,
    #[serde(rename = "outTicketFail_RefundSuccessTime")]
    pub out_ticket_fail_refund_success_time: Option<String>,
    #[serde(rename = "outTicketFail_RefundTransactionNo")]
    pub out_ticket_fail_refund_transaction_no: Option<String>,
    #[serde(rename = "outTicketFail_RefundAmount")]
    pub out_ticket_fail_refund_amount: Option<f64>,
    #[serde(rename = "outTicketFail_RefundTransactionMethods")]
    pub out_ticket_fail_refund_transaction_methods: u8,
    pub pay_limit_time: Option<String>,
    pub un_finished_reason: Option<String>,
    pub ticket_entrance: Option<String>,
    pub create_time: String,
    pub train_tickets: Vec<TrainTicket>,
    #[serde(rename = "trainChaOrder")]
    pub train_cha_order: Vec<ChangeOrderDetail>,
}

/// One ticket (trainTicketInfo), of an order or of a change order.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TrainTicket {
    pub passenger_id: u64,
    pub name: String,
    pub ticket_no: Option<String>,
    pub card_type: i64,
    pub card_type_name: String,
    pub card_no: String,
    pub mobile: String,
    pub ticket_type: i64,
    pub ticket_type_name: String,
    pub seat_type: i64,
    pub seat_type_name: String,
    pub ticket_status: u8,
    pub ticket_status_name: String,
    pub seat_no: Option<String>,
    pub ticket_price: f64,
    pub insurance_amount: f64,
    pub policy_nos: Option<String>,
    /// A string in the seed's table (`"2.50"`); null until refunded.
    pub refund_ticket_poundage: Option<String>,
    pub refund_ticket_amount: Option<f64>,
    pub refund_success_time: Option<String>,
    pub refund_transaction_no: Option<String>,
    pub refund_fail_reason: Option<String>,
}

/// One change order (ChangeOrderDetail).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ChangeOrderDetail {
    pub cha_no: String,
    pub cha_order_status: u8,
    pub cha_order_status_name: String,
    pub train_code: String,
    pub from_station: String,
    pub to_station: String,
    pub from_date_time: String,
    pub to_date_time: String,
    pub is_choose_seats: bool,
    pub choose_seats: Option<String>,
    /// 0 待确定 until the new seats are held, then 1, 2 or 3.
    pub price_change_type: u8,
    pub price_change_type_info: Option<String>,
    pub real_pay_amount: Option<f64>,
    pub pay_time: Option<String>,
    pub total_price_diff: Option<f64>,
    pub diff_rate: Option<f64>,
    pub diff_refund_fee_amount: Option<f64>,
    pub chang_rate: Option<f64>,
    pub chang_fee_amount: Option<f64>,
    pub need_pay_amount: Option<f64>,
    pub cha_refund_type: Option<u8>,
    pub refund_amount: Option<f64>,
    pub refund_time: Option<String>,
    pub refund_transaction_no: Option<String>,
    pub refund_transaction_methods: u8,
    pub remark: String,
    pub un_finished_reason: Option<String>,
    pub ticket_entrance: Option<String>,
    pub confirm_change_limit_time: Option<String>,
    pub applay_change_time: String,
    pub train_tickets: Vec<TrainTicket>,
}

pub(super) async fn handler(
    State(state): State<Arc<SimState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    respond(state, headers, body, order_detail).await
}

fn order_detail(
    state: &Arc<SimState>,
    _timetable: &'static Timetable,
    params: &Params,
) -> Result<OrderDetail, Failure> {
    let order_no = params.required_str("orderNo")?;
    state
        .order(order_no)
        .ok_or_else(|| order_not_found(order_no))
}

fn time(at: NaiveDateTime) -> String {
    at.format("%Y-%m-%d %H:%M:%S").to_string()
}

fn percent(rate: u32) -> f64 {
    f64::from(rate) / 100.0
}

/// `3411***********96X`: the first four and last three characters.
pub fn mask_card_no(card_no: &str) -> String {
    mask(card_no, 4, 3)
}

/// `157****0587`: the first three and last four digits.
pub fn mask_mobile(mobile: &str) -> String {
    mask(mobile, 3, 4)
}

fn mask(text: &str, head: usize, tail: usize) -> String {
    let chars: Vec<char> = text.chars().collect();
    let (head, tail) = if chars.len() > head + tail {
        (head, tail)
    } else {
        // Too short to show both ends: only the last character, if any.
        (0, usize::from(chars.len() > 1))
    };
    let hidden = chars.len() - head - tail;
    chars[..head]
        .iter()
        .chain(std::iter::repeat_n(&'*', hidden))
        .chain(&chars[chars.len() - tail..])
        .collect()
}

fn ticket(ticket: &Ticket) -> TrainTicket {
    let passenger = &ticket.passenger;
    let (seat_type, seat_type_name) = seat_code(ticket.seat);
    let refunded = ticket.status == TicketStatus::Refunded;
    let fee = ticket.refund.fee_fen.filter(|_| refunded);
    TrainTicket {
        passenger_id: passenger.passenger_id,
        name: passenger.name.clone(),
        ticket_no: ticket.ticket_no.clone(),
        card_type: passenger.card_type,
        card_type_name: code_name(&CARD_TYPES, passenger.card_type)
            .unwrap_or_default()
            .to_owned(),
        card_no: mask_card_no(&passenger.card_no),
        mobile: mask_mobile(&passenger.mobile),
        ticket_type: passenger.ticket_type,
        ticket_type_name: code_name(&TICKET_TYPES, passenger.ticket_type)
            .unwrap_or_default()
            .to_owned(),
        seat_type: i64::from(seat_type),
        seat_type_name: code_name(&SEAT_TYPES, i64::from(seat_type))
            .unwrap_or(seat_type_name)
            .to_owned(),
        ticket_status: ticket.status.code(),
        ticket_status_name: ticket.status.name().to_owned(),
        seat_no: ticket.seat_no.clone(),
        ticket_price: yuan(ticket.price_fen),
        insurance_amount: 0.0,
        policy_nos: None,
        refund_ticket_poundage: fee.map(yuan2),
        refund_ticket_amount: fee.map(|fee| yuan(ticket.price_fen - fee)),
        refund_success_time: ticket.refund.succeeded_at.filter(|_| refunded).map(time),
        refund_transaction_no: ticket.refund.transaction_no.clone().filter(|_| refunded),
        refund_fail_reason: ticket.refund.fail_reason.clone(),
    }
}

fn change(change: &ChangeOrder) -> ChangeOrderDetail {
    let price = change.price.as_ref();
    let refund: Option<&(u8, Payment)> = change.refund.as_ref();
    ChangeOrderDetail {
        cha_no: change.cha_no.clone(),
        cha_order_status: change.status.code(),
        cha_order_status_name: change.status.name().to_owned(),
        train_code: change.ride.train_code.clone(),
        from_station: change.ride.from_station.clone(),
        to_station: change.ride.to_station.clone(),
        from_date_time: time(change.ride.depart),
        to_date_time: time(change.ride.arrive),
        is_choose_seats: change.choice.is_choose_seats,
        choose_seats: change.choice.choose_seats.clone(),
        price_change_type: price.map_or(0, |price| price.kind),
        price_change_type_info: price.map(|price| price.info.clone()),
        real_pay_amount: change.pay.as_ref().map(|pay| yuan(pay.amount_fen)),
        pay_time: change.pay.as_ref().map(|pay| time(pay.at)),
        total_price_diff: price.map(|price| yuan(price.total_price_diff_fen)),
        diff_rate: price.map(|price| percent(price.diff_rate_percent)),
        diff_refund_fee_amount: price.map(|price| yuan(price.diff_refund_fee_fen)),
        chang_rate: price.map(|price| percent(price.change_rate_percent)),
        chang_fee_amount: price.map(|price| yuan(price.change_fee_fen)),
        need_pay_amount: price.map(|price| yuan(price.need_pay_fen)),
        cha_refund_type: refund.map(|(kind, _)| *kind),
        refund_amount: refund.map(|(_, pay)| yuan(pay.amount_fen)),
        refund_time: refund.map(|(_, pay)| time(pay.at)),
        refund_transaction_no: refund.map(|(_, pay)| pay.transaction_no.clone()),
        refund_transaction_methods: u8::from(refund.is_some()),
        remark: change.remark.clone(),
        un_finished_reason: change.un_finished_reason.clone(),
        ticket_entrance: change.ticket_entrance.clone(),
        confirm_change_limit_time: change.confirm_limit_time.map(time),
        applay_change_time: time(change.apply_time),
        train_tickets: change.tickets.iter().map(ticket).collect(),
    }
}

/// The order as orderDetail shows it.
pub(super) fn render(order: &Order) -> OrderDetail {
    let pay = order.pay.as_ref();
    let refund = order.issue_fail_refund.as_ref();
    OrderDetail {
        order_no: order.order_no.clone(),
        order_amount: order.order_amount_fen().map(yuan),
        ticket_amount: Some(yuan(order.ticket_amount_fen())),
        insurance_amount: Some(0.0),
        service_fee_amount: Some(yuan(order.service_fee_fen())),
        service_fee_per_ticket: Some(yuan(order.service_fee_per_ticket_fen)),
        customer_order_no: order.customer_order_no.clone(),
        order_no_12306: order.order_no_12306.clone(),
        train_code: order.ride.train_code.clone(),
        from_station: order.ride.from_station.clone(),
        to_station: order.ride.to_station.clone(),
        from_date_time: time(order.ride.depart),
        to_date_time: time(order.ride.arrive),
        order_status: order.status.code(),
        order_status_name: order.status.name().to_owned(),
        pay_status: u8::from(pay.is_some()),
        payment_type: u8::from(pay.is_some()),
        real_pay_amount: pay.map(|pay| yuan(pay.amount_fen)),
        pay_time: pay.map(|pay| time(pay.at)),
        transaction_no: pay.map(|pay| pay.transaction_no.clone()),
        ticket_time: order.ticket_time.map(time),
        is_choose_seats: order.choice.is_choose_seats,
        choose_seats: order.choice.choose_seats.clone(),
        is_snatch_order: false,
        snatch_dead_line: None,
        insurance_codes: None,
        contact_name: order.contact_name.clone(),
        contact_mobile: order.contact_mobile.clone(),
        out_ticket_fail_refund_success_time: refund.map(|refund| time(refund.at)),
        out_ticket_fail_refund_transaction_no: refund.map(|refund| refund.transaction_no.clone()),
        out_ticket_fail_refund_amount: refund.map(|refund| yuan(refund.amount_fen)),
        out_ticket_fail_refund_transaction_methods: u8::from(refund.is_some()),
        pay_limit_time: order.pay_limit_time.map(time),
        un_finished_reason: order.un_finished_reason.clone(),
        ticket_entrance: order.ticket_entrance.clone(),
        create_time: time(order.create_time),
        train_tickets: order.tickets.iter().map(ticket).collect(),
        train_cha_order: order.changes.iter().map(change).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_like_the_seed() {
        assert_eq!(mask_card_no("34112219900101196X"), "3411***********96X");
        assert_eq!(mask_mobile("15712340587"), "157****0587");
        assert_eq!(mask_card_no("E1234567"), "E123*567");
        assert_eq!(mask_card_no("7418563"), "******3");
        assert_eq!(mask_mobile("1"), "*");
        assert_eq!(mask_mobile(""), "");
    }
}
