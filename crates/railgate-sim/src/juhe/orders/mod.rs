//! Juhe's grab-order lifecycle (seed 001): submitOrder, orderDetail (both
//! shapes), cancelOrder, applyRefundOrder and addCallbackUrl, with the
//! asynchronous steps the seed describes and its three callback types.
//!
//! An order moves N (抢票单已创建) → B (未到开抢时间, until its date's
//! presale opens) → D (抢票中) → F (抢票成功, seats held and tickets issued in
//! one step, one callback) — or → U (出票失败) on a failing grab, → O
//! (已过期) at its `closeTime`, → C (已取消) on cancelOrder while N/B/D. Each
//! ticket then goes F → C (退票中) → T (已退票) or O (退票失败) on
//! applyRefundOrder; the order is T once every ticket is.
//!
//! # Layout
//! - [`model`]: queries, orders, tickets, sales.
//! - `submit`: submitOrder's rules and the new order.
//! - `grab`: the order's driver (N → B → D → F/U/O) and the grab itself.
//! - `seats`: coach and seat numbers, ticket numbers.
//! - `detail`: orderDetail in both shapes. `cancel`, `refund`.
//! - [`callbacks`]: addCallbackUrl, the payloads, delivery and retries.
//!
//! # Scripting (tests)
//! [`SimState::order_count`], [`SimState::order_status`] and
//! [`SimState::order_detail`] inspect orders without a request (so they do
//! not move the request counters); [`SimState::requests`] counts requests
//! per endpoint; [`SimState::script`] queues a [`Fault`];
//! [`SimState::set_callback_mode`] drops or duplicates callbacks;
//! [`SimState::callbacks`] lists them; [`SimState::set_response_delay`]
//! answers late; [`SimState::set_quota`] changes the request quota.
//! Deterministic triggers in the request data (a passenger named
//! `…未核验`, …) are in `docs/SIMULATOR.md`.

pub mod callbacks;
pub(super) mod cancel;
pub(super) mod detail;
mod grab;
pub mod model;
pub(super) mod refund;
mod seats;
pub(super) mod submit;
#[cfg(test)]
pub(super) mod testkit;
#[cfg(test)]
mod tests;

use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

use super::SimState;
use super::codes::OrderStatus;
use super::wire::Failure;
pub use callbacks::{CallbackMode, CallbackRecord, CallbackType};

/// A failure scripted for the next step of its kind, whatever the order.
/// Faults queue: two `FailNextGrab` fail the next two grabs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// The next request to any endpoint that passes the key and quota
    /// checks answers this error code with its table text instead (225700
    /// 网络繁忙, 10020 接口维护, 10014 系统内部异常, …), with no effect.
    FailNextRequest(u32),
    /// The next submitOrder that passes every check creates its grab order
    /// as usual, then answers this error code instead of the order number.
    /// Seed 000's 10014 系统内部异常 warns of exactly this ("请通过订单查询接口
    /// 检测订单,避免造成损失"): the order exists although the answer is an
    /// error.
    CreateNextOrderThenFail(u32),
    /// The next grab attempt ends its order in U (msgCode 101 出票失败) with
    /// this failMsg.
    FailNextGrab(String),
    /// The next refund fails (ticket O, refund callback msgCode 312).
    FailNextRefund,
}

/// Test scripts: queued faults, callback behaviour, late answers.
#[derive(Debug, Default)]
pub(super) struct Scripts {
    faults: Vec<Fault>,
    callback_mode: CallbackMode,
    callback_log: Vec<CallbackRecord>,
    pub(super) response_delay: Option<Duration>,
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

    /// A scripted request failure, if one is queued.
    pub(super) fn take_request_fault(&self) -> Option<Failure> {
        match self.take_fault(|fault| matches!(fault, Fault::FailNextRequest(_)))? {
            Fault::FailNextRequest(code) => Some(Failure::code(code)),
            _ => None,
        }
    }

    /// A scripted "created, but answered with an error" for submitOrder.
    pub(super) fn take_created_then_failed(&self) -> Option<Failure> {
        match self.take_fault(|fault| matches!(fault, Fault::CreateNextOrderThenFail(_)))? {
            Fault::CreateNextOrderThenFail(code) => Some(Failure::code(code)),
            _ => None,
        }
    }

    /// Queue a fault for the next step of its kind.
    pub fn script(&self, fault: Fault) {
        self.scripts().faults.push(fault);
    }

    /// Drop, duplicate or deliver callbacks from now on.
    pub fn set_callback_mode(&self, mode: CallbackMode) {
        self.scripts().callback_mode = mode;
    }

    /// Every callback so far, in the order the events happened, with its
    /// delivery outcome.
    pub fn callbacks(&self) -> Vec<CallbackRecord> {
        self.scripts().callback_log.clone()
    }

    /// Answer every request this late (after its effect), or on time with
    /// `None`.
    pub fn set_response_delay(&self, delay: Option<Duration>) {
        self.scripts().response_delay = delay;
    }

    /// The URL registered for a callback type.
    pub fn callback_url(&self, kind: CallbackType) -> Option<String> {
        self.book().callback_urls[kind.index()].clone()
    }

    /// How many orders the simulator holds.
    pub fn order_count(&self) -> usize {
        self.book().orders.len()
    }

    /// Every order's status, in no particular order (for "issued at most
    /// once" checks across orders).
    pub fn order_statuses(&self) -> Vec<OrderStatus> {
        self.book()
            .orders
            .values()
            .map(|order| order.status)
            .collect()
    }

    /// An order's status, by outOrderNo.
    pub fn order_status(&self, out_order_no: &str) -> Option<OrderStatus> {
        self.book()
            .orders
            .get(out_order_no)
            .map(|order| order.status)
    }

    /// An order as orderDetail's `result` shows it: with `issue=1`
    /// (`issued`) or without.
    pub fn order_detail(&self, out_order_no: &str, issued: bool) -> Option<Value> {
        let book = self.book();
        let order = book.orders.get(out_order_no)?;
        let value = if issued {
            serde_json::to_value(detail::issued(order))
        } else {
            serde_json::to_value(detail::grab(order))
        };
        value.ok()
    }
}
