//! Panhe's booking lifecycle (seed 002): 创单占座, 确认出票, 取消订单, 退票,
//! 申请/确认/取消改签 and 查询订单详情, with the asynchronous steps the
//! seed describes (seat hold, issuing, refund, change hold and issue), the
//! payment window, and a callback on every status change.
//!
//! # Layout
//! - [`model`]: orders, tickets, change orders, status and code tables.
//! - `validate`: parameter rules shared by createOrder and applyChange.
//! - `create`: 创单占座 and the seat-hold step.
//! - `pay`: 确认出票, 取消订单, issuing and the payment window.
//! - `refund`: 退票. `change`: 申请/确认/取消改签.
//! - [`detail`]: 查询订单详情, in exactly the seed's shape.
//! - `callbacks`: callback bodies, delivery and retries.
//! - `money`: ticket-type prices, refund and change fees.
//! - `seats`: coach, seat, ticket and 12306 order numbers.
//!
//! # Scripting (tests)
//! [`SimState::order`], [`SimState::order_by_customer_no`],
//! [`SimState::order_count`] and [`SimState::create_requests`] inspect the
//! book; [`SimState::script`] queues a [`Fault`] for the next asynchronous
//! step of its kind; [`SimState::set_callback_mode`] drops or duplicates
//! callbacks; [`SimState::callbacks`] lists what was sent;
//! [`SimState::set_response_delay`] answers booking calls late (after their
//! effect, as a timeout after send would see it). Deterministic triggers in
//! the request data (a passenger named `…未核验`, …) are in
//! `docs/SIMULATOR.md`.

mod callbacks;
mod change;
mod create;
pub mod detail;
pub mod model;
mod money;
mod pay;
mod refund;
mod seats;
#[cfg(test)]
mod testkit;
#[cfg(test)]
mod tests;
mod validate;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde::Serialize;

use super::params::Params;
use super::wire::{Envelope, Failure};
use super::{SimState, endpoint, query};
use crate::fares::{self, SeatClass};
use crate::panhe::paths::PanhePaths;
use crate::timetable::Timetable;
pub use callbacks::{CallbackMode, CallbackRecord};
pub use detail::OrderDetail;
use model::{OrderBook, Ride};
pub use pay::payment_sign;

/// A failure scripted for the next asynchronous step of its kind, whatever
/// the order. Faults queue: two `FailNextHold` fail the next two holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// The next seat hold fails (占位失败) with this unFinishedReason.
    FailNextHold(String),
    /// The next issuing fails (出票失败); the payment is refunded.
    FailNextIssue,
    /// The next refund fails (退票失败).
    FailNextRefund,
    /// The next change hold fails (改签占位失败).
    FailNextChangeHold,
    /// The next change confirmation fails (改签确认出票失败).
    FailNextChangeIssue,
}

/// Test scripts: queued faults, callback behaviour, late answers.
#[derive(Debug, Default)]
pub(super) struct Scripts {
    faults: Vec<Fault>,
    callback_mode: CallbackMode,
    callback_log: Vec<CallbackRecord>,
    /// Stale copies waiting for their order's next callback.
    held_copies: Vec<callbacks::HeldCopy>,
    /// 2xx answers to callback POSTs so far.
    deliveries: u64,
    response_delay: Option<Duration>,
}

/// Routes of the booking endpoints.
pub(super) fn routes(router: Router<Arc<SimState>>, paths: &PanhePaths) -> Router<Arc<SimState>> {
    router
        .route(&paths.create_order, endpoint(post(create::handler)))
        .route(&paths.confirm_order, endpoint(post(pay::confirm_handler)))
        .route(&paths.cancel_order, endpoint(post(pay::cancel_handler)))
        .route(&paths.refund_ticket, endpoint(post(refund::handler)))
        .route(&paths.apply_change, endpoint(post(change::apply_handler)))
        .route(
            &paths.confirm_change,
            endpoint(post(change::confirm_handler)),
        )
        .route(&paths.cancel_change, endpoint(post(change::cancel_handler)))
        .route(&paths.order_detail, endpoint(post(detail::handler)))
}

/// The signature of every booking endpoint's rules.
type Handle<T> = fn(&Arc<SimState>, &'static Timetable, &Params) -> Result<T, Failure>;

/// Shared checks, then `handle`, then the (scripted) response delay, then
/// the envelope.
async fn respond<T: Serialize>(
    state: Arc<SimState>,
    headers: HeaderMap,
    body: Bytes,
    handle: Handle<T>,
) -> Response {
    let params = match Params::parse(&state, &headers, &body) {
        Ok(params) => params,
        Err(failure) => return failure.into_response(),
    };
    let timetable = query::timetable().await;
    let result = handle(&state, timetable, &params);
    let delay = state.scripts().response_delay;
    if let Some(delay) = delay {
        tokio::time::sleep(delay).await;
    }
    match result {
        Ok(data) => Envelope::ok(data).into_response(),
        Err(failure) => {
            tracing::debug!(msg = %failure.0, "panhe sim request refused");
            failure.into_response()
        }
    }
}

/// Tickets of a ride's class still for sale: the deterministic count less
/// this simulator's own sales.
fn available(book: &OrderBook, ride: &Ride, seat: SeatClass) -> u32 {
    let base = fares::remaining(
        &ride.train_no,
        ride.date,
        &ride.from_station,
        &ride.to_station,
        seat,
    );
    base.saturating_sub(book.sold(&ride.inventory(seat)))
}

impl SimState {
    /// Run `step` after `provider_delay` of provider time (scaled to real
    /// time), on the runtime, without blocking the caller.
    fn after(
        self: &Arc<Self>,
        provider_delay: Duration,
        step: impl FnOnce(&Arc<SimState>) + Send + 'static,
    ) {
        let state = Arc::clone(self);
        let delay = self.real_duration(provider_delay);
        tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            step(&state);
        });
    }

    /// Take the first queued fault matching `wanted`.
    fn take_fault(&self, wanted: impl Fn(&Fault) -> bool) -> Option<Fault> {
        let mut scripts = self.scripts();
        let index = scripts.faults.iter().position(wanted)?;
        Some(scripts.faults.remove(index))
    }

    /// Queue a fault for the next asynchronous step of its kind.
    pub fn script(&self, fault: Fault) {
        self.scripts().faults.push(fault);
    }

    /// Drop, duplicate or deliver callbacks from now on.
    pub fn set_callback_mode(&self, mode: CallbackMode) {
        self.scripts().callback_mode = mode;
    }

    /// Every callback so far, in the order the status changes happened,
    /// with its delivery outcome.
    pub fn callbacks(&self) -> Vec<CallbackRecord> {
        self.scripts().callback_log.clone()
    }

    /// Answer every booking call this late (after its effect), or on time
    /// with `None`.
    pub fn set_response_delay(&self, delay: Option<Duration>) {
        self.scripts().response_delay = delay;
    }

    /// Sell out every class of one segment of a train (train_no, the date
    /// at `from`, station names), as if other travellers had bought it up:
    /// searches show 0 left and orders for it fail. Longer and shorter
    /// segments of the same train keep their own tickets, as 12306's
    /// per-segment quotas do.
    pub fn sell_out(&self, train_no: &str, date: chrono::NaiveDate, from: &str, to: &str) {
        self.book()
            .sold_out
            .push((train_no.to_owned(), date, from.to_owned(), to.to_owned()));
    }

    /// An order as 查询订单详情 shows it.
    pub fn order(&self, order_no: &str) -> Option<OrderDetail> {
        let book = self.book();
        book.orders.get(order_no).map(detail::render)
    }

    /// The order booked under a customerOrderNo.
    pub fn order_by_customer_no(&self, customer_order_no: &str) -> Option<OrderDetail> {
        let book = self.book();
        let order_no = book.by_customer_no.get(customer_order_no)?;
        book.orders.get(order_no).map(detail::render)
    }

    /// How many orders the simulator holds.
    pub fn order_count(&self) -> usize {
        self.book().orders.len()
    }

    /// How many createOrder requests carried this customerOrderNo,
    /// refused duplicates and invalid requests included.
    pub fn create_requests(&self, customer_order_no: &str) -> u32 {
        self.book()
            .create_requests
            .get(customer_order_no)
            .copied()
            .unwrap_or(0)
    }
}
