//! applyRefundOrder.php (申请退票): one passenger per call, only once the
//! order is issued. The ticket shows C (退票中) at once; `refund_delay`
//! later it is T (已退票), with the seat back on sale and a type 2
//! callback (msgCode 100 线上退票成功, refundPrice = price − fee), or O
//! (退票失败, msgCode 312 不支持网上退票, refundPrice 0.00). The order is T
//! once every ticket is. The fee follows 12306's rule
//! ([`crate::fares::rules`]), decided when the refund is applied for.
//!
//! Refusals: an unknown order or passengerId is the seed's own 223804
//! `参数错误:订单号或passengerId不存在`; the rest are 225701 with the
//! callback table's wording: `当前订单状态不允许执行此操作` (not issued),
//! `当前车票状态不允许执行此操作` (not F or O), `距离发车时间太近,无法申请退票`
//! (the train has left), `订单中包含儿童票,如需退票请先退儿童票` (an adult
//! while a child's ticket of the order is still valid).

use std::sync::Arc;

use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::Fault;
use super::callbacks::Notice;
use super::model::Refund;
use crate::fares::rules::{refund_fee, refund_rate_percent};
use crate::juhe::SimState;
use crate::juhe::codes::{OrderStatus, TicketState, msg};
use crate::juhe::params::Params;
use crate::juhe::wire::{self, Envelope, Failure};

/// `result` of applyRefundOrder.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RefundResult {
    pub order_no: String,
    pub passenger_id: String,
}

const ADULT: u8 = 1;
const CHILD: u8 = 2;

pub(in crate::juhe) fn apply_refund(
    state: &Arc<SimState>,
    params: &Params,
) -> Result<Response, Failure> {
    let out_order_no = params.required("outOrderNo")?;
    let passenger_id = params.required("passengerId")?;
    let now = state.provider_now();
    let order_no = {
        let mut book = state.book();
        let order = book
            .orders
            .get_mut(out_order_no)
            .ok_or_else(|| Failure::code(wire::REFUND_NOT_FOUND))?;
        let index = order
            .tickets
            .iter()
            .position(|ticket| ticket.passenger.passenger_id.to_string() == passenger_id)
            .ok_or_else(|| Failure::code(wire::REFUND_NOT_FOUND))?;
        if !matches!(order.status, OrderStatus::Issued | OrderStatus::Refunded) {
            return Err(Failure::supplier("当前订单状态不允许执行此操作"));
        }
        let ticket = &order.tickets[index];
        if !matches!(
            ticket.state,
            TicketState::Issued | TicketState::RefundFailed
        ) {
            return Err(Failure::supplier("当前车票状态不允许执行此操作"));
        }
        let depart = order.shown_ride().depart;
        if depart <= now {
            return Err(Failure::supplier("距离发车时间太近,无法申请退票"));
        }
        let child_still_travels = order.tickets.iter().any(|other| {
            other.passenger.passenger_type == CHILD
                && matches!(
                    other.state,
                    TicketState::Issued | TicketState::Refunding | TicketState::RefundFailed
                )
        });
        if ticket.passenger.passenger_type == ADULT && child_still_travels {
            return Err(Failure::supplier("订单中包含儿童票,如需退票请先退儿童票"));
        }
        let fee_fen = refund_fee(ticket.price_fen, refund_rate_percent(depart - now));
        let ticket = &mut order.tickets[index];
        ticket.state = TicketState::Refunding;
        ticket.refund = Some(Refund {
            fee_fen,
            finished_at: None,
        });
        order.order_no.clone()
    };
    let out_order_no = out_order_no.to_owned();
    let refunded_passenger = passenger_id.to_owned();
    state.after(state.config.refund_delay, move |state| {
        complete_refund(state, &out_order_no, &refunded_passenger);
    });
    Ok(Envelope::ok(RefundResult {
        order_no,
        passenger_id: passenger_id.to_owned(),
    })
    .into_response())
}

/// The refund's result, `refund_delay` after it was applied for.
fn complete_refund(state: &Arc<SimState>, out_order_no: &str, passenger_id: &str) {
    let now = state.provider_now();
    let notice = {
        let mut book = state.book();
        let Some(mut order) = book.orders.remove(out_order_no) else {
            return;
        };
        let Some(index) = order
            .tickets
            .iter()
            .position(|ticket| ticket.passenger.passenger_id.to_string() == passenger_id)
            .filter(|&index| order.tickets[index].state == TicketState::Refunding)
        else {
            book.orders.insert(out_order_no.to_owned(), order);
            return;
        };
        let fails = order.tickets[index].passenger.name.contains("退票失败")
            || state
                .take_fault(|fault| *fault == Fault::FailNextRefund)
                .is_some();
        let ride = order.shown_ride().clone();
        let ticket = &mut order.tickets[index];
        let notice_ticket;
        let (refunded_fen, failure) = if fails {
            ticket.state = TicketState::RefundFailed;
            notice_ticket = ticket.clone();
            (0, Some(msg::NO_ONLINE_REFUND))
        } else {
            let fee_fen = ticket.refund.as_ref().map_or(0, |refund| refund.fee_fen);
            ticket.state = TicketState::Refunded;
            if let Some(refund) = ticket.refund.as_mut() {
                refund.finished_at = Some(now);
            }
            book.hold_inventory(&ride, ticket, false);
            notice_ticket = ticket.clone();
            (ticket.price_fen.saturating_sub(fee_fen), None)
        };
        if order
            .tickets
            .iter()
            .all(|ticket| ticket.state == TicketState::Refunded)
        {
            order.status = OrderStatus::Refunded;
        }
        let notice = Notice::refund(&order, &notice_ticket, refunded_fen, failure, now);
        book.orders.insert(out_order_no.to_owned(), order);
        notice
    };
    state.notify(vec![notice]);
}
