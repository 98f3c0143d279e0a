//! A mutating cell (Book, Confirm, Cancel, Refund, Change…): the call
//! under the fault, the order settling, the caller's retry with the same
//! key, and the simulator's count of what happened.
//!
//! The checks: the answer is mapped (or OK, and always OK under mere
//! latency); an outcome the answer left unknown is resolved by the
//! reconciler; the order ends where the simulator says it is; the
//! simulator holds at most one booking, payment and refund; and the
//! endpoint was reached no more often than `send_limit`.

use super::group::Group;
use super::observe::{Row, answer, get, past_the_lease, settle, unsettled_note};
use super::proxy::{Fault, FaultProxy};
use railgate::proto::{self as pb};
use tonic::Status;

/// What the simulator holds for a cell.
#[derive(Debug, Clone, Copy)]
pub struct AtSimulator {
    /// Whether the operation took effect there.
    pub effect: bool,
    /// Orders the cell created there (its fixture's included).
    pub bookings: usize,
    /// Payments: the order's, and each change confirmed.
    pub payments: usize,
    /// Change orders of the order.
    pub changes: usize,
    /// Tickets refunded, or being refunded.
    pub refunds: usize,
}

/// A mutating operation and what it expects.
pub struct Mutation<'a> {
    pub row: Row,
    pub group: &'a Group,
    pub proxy: &'a FaultProxy,
    /// The endpoint the operation calls.
    pub path: &'static str,
    /// The provider's order detail endpoint: the reconciler's reads of it
    /// wait while the call under test runs (see [`FaultProxy::arm_holding`]).
    pub detail_path: &'static str,
    /// The order acted on, when it exists before the call (all but Book).
    pub order_id: Option<String>,
    /// The state the operation leads to once it took effect.
    pub done: fn(&pb::Order) -> bool,
    /// How the table shows the order for this operation.
    pub show: fn(&pb::Order) -> String,
    /// Whether the reconciler resolves a lost answer. Not for Panhe's
    /// Book: finding out means sending createOrder again, which only the
    /// caller's retry can (it carries the 12306 credentials).
    pub reconciled: bool,
    /// Most requests to `path` that may reach the simulator: 1, or 2 for
    /// a Panhe Book resent after its lease (Panhe refuses the repeat).
    pub send_limit: usize,
}

impl Mutation<'_> {
    /// Runs the cell: `call` is the operation with its idempotency key,
    /// `at_simulator` reads the simulator for the order railgate has.
    pub async fn run(
        mut self,
        mut call: impl AsyncFnMut() -> Result<pb::Order, Status>,
        at_simulator: impl Fn(Option<&pb::Order>) -> AtSimulator,
    ) -> Row {
        let app = &self.group.app;
        let show = self.show;
        let sent_before = self.proxy.sent(self.path);
        if self.row.fault == Fault::Latency {
            // The call succeeds and re-reads the order itself: nothing to
            // hold back.
            self.proxy.arm(self.row.fault, self.path).await;
        } else {
            self.proxy
                .arm_holding(self.row.fault, self.path, self.detail_path)
                .await;
        }
        let first = call().await;
        self.proxy.disarm().await;
        let landed = self.proxy.sent(self.path) > sent_before;
        self.row.answer = answer(&mut self.row, &first, unsettled_note);
        if self.row.fault == Fault::Latency && first.is_err() {
            self.row
                .violation("latency under the timeout turned into an error");
        }
        let mut order_id = self
            .order_id
            .clone()
            .or_else(|| first.as_ref().ok().map(|order| order.order_id.clone()));

        // What the order settles to before the caller retries. Only the
        // caller's retry resolves an UNKNOWN Panhe Book.
        if let Some(id) = &order_id {
            let current = get(app, id).await;
            let waits_for_retry =
                !self.reconciled && current.status == pb::OrderStatus::Unknown as i32;
            let order = if landed && !waits_for_retry {
                match settle(app, id, self.done).await {
                    Ok(order) => order,
                    Err(stuck) => {
                        self.row.violation(format!(
                            "the reconciler did not resolve it: stuck at {}",
                            show(&stuck)
                        ));
                        stuck
                    }
                }
            } else {
                current
            };
            self.row.settled = show(&order);
        }

        // The caller retries with the same key (a Book after its lease).
        let retry = past_the_lease(&mut call).await;
        self.row.retry = answer(&mut self.row, &retry, unsettled_note);
        order_id = order_id.or_else(|| retry.as_ref().ok().map(|order| order.order_id.clone()));

        // railgate must end where the simulator is.
        let last = match &order_id {
            None => None,
            Some(id) => Some(self.agree_with_simulator(id, &at_simulator).await),
        };
        let view = at_simulator(last.as_ref());
        self.row.last = last.as_ref().map_or_else(|| "no order".into(), show);
        if last.is_none() && view.effect {
            self.row
                .violation("the simulator has the effect, railgate answered no order");
        }
        let sent = self.proxy.sent(self.path) - sent_before;
        self.count(view, sent);
        self.row
    }

    /// Waits until the order shows the operation's effect exactly when the
    /// simulator has it, and is not left unknown.
    async fn agree_with_simulator(
        &mut self,
        order_id: &str,
        at_simulator: &impl Fn(Option<&pb::Order>) -> AtSimulator,
    ) -> pb::Order {
        let app = &self.group.app;
        let effect = at_simulator(Some(&get(app, order_id).await)).effect;
        let done = self.done;
        let settled = settle(app, order_id, |order| {
            let known = order.status != pb::OrderStatus::Unknown as i32
                && order.status != pb::OrderStatus::Pending as i32;
            done(order) == effect && known
        })
        .await;
        match settled {
            Ok(order) => order,
            Err(stuck) => {
                let wanted = if effect { "its effect" } else { "no effect" };
                self.row.violation(format!(
                    "the simulator shows {wanted}, railgate stays {}",
                    (self.show)(&stuck)
                ));
                stuck
            }
        }
    }

    fn count(&mut self, view: AtSimulator, sent: usize) {
        self.row.sent = sent.to_string();
        if sent > self.send_limit {
            self.row.violation(format!(
                "{} sent {sent} times (at most {})",
                self.path, self.send_limit
            ));
        }
        self.row.at_simulator = format!("{} / {} / {}", view.bookings, view.payments, view.refunds);
        if view.bookings > 1 {
            self.row.violation(format!("{} bookings", view.bookings));
        }
        // Each of the order and its changes is paid at most once, and one
        // Change request makes one change.
        if view.changes > 1 || view.payments > 1 + view.changes {
            self.row.violation(format!(
                "{} payments for {} changes",
                view.payments, view.changes
            ));
        }
        if view.refunds > 1 {
            self.row.violation(format!("{} refunds", view.refunds));
        }
    }
}
