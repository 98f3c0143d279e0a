//! cancelOrder.php (取消订单): only while grabbing (N, B or D) — "取消前提:
//! 1、订单还未抢到票; 2、抢票单未过期". The order becomes C at once and its
//! driver stops; no callback (the seed has none for it). Anything else is
//! the seed's own refusal, 223801 `抢票取消失败`; an unknown order 225702.

use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::juhe::SimState;
use crate::juhe::codes::OrderStatus;
use crate::juhe::params::Params;
use crate::juhe::wire::{self, Envelope, Failure};

/// `result` of cancelOrder.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CancelResult {
    pub order_no: String,
}

pub(in crate::juhe) fn cancel_order(
    state: &SimState,
    params: &Params,
) -> Result<Response, Failure> {
    let out_order_no = params.required("outOrderNo")?;
    let now = state.provider_now();
    let mut book = state.book();
    let order = book
        .orders
        .get_mut(out_order_no)
        .ok_or_else(|| Failure::code(wire::ORDER_NOT_FOUND))?;
    // Past the deadline the order is expired, even if its driver has not
    // woken up to say so yet.
    if !order.status.is_grabbing() || now >= order.close_time {
        return Err(Failure::code(wire::CANCEL_FAILED));
    }
    order.status = OrderStatus::Cancelled;
    tracing::debug!(order_no = %order.order_no, "juhe sim grab order cancelled");
    Ok(Envelope::ok(CancelResult {
        order_no: order.order_no.clone(),
    })
    .into_response())
}
