//! The order flows on a Juhe order: refresh from both shapes of the order
//! detail, cancel (only while grabbing), refund one passenger, and the
//! three callbacks. Juhe addresses an order by railgate's number
//! (`outOrderNo`, the order's `customer_order_no`), so every call works
//! even before Juhe's own number is recorded.

use super::book::outcome_unknown;
use super::{OrderError, OrderService};
use crate::domain::{Order, OrderId, OrderStatus, ProviderId, Ticket};
use crate::providers::ProviderError;
use crate::providers::juhe::JuheAdapter;
use crate::providers::juhe::callback_wire::{GrabExpiredCallback, IssueCallback, RefundCallback};
use crate::providers::juhe::order_sync::{
    apply_grab_detail, apply_grab_expired, apply_issue_callback, apply_issued_detail,
    apply_refund_callback,
};
use crate::routing::capabilities::Capability;
use crate::store::StoreError;

/// A Juhe callback, by the URL it came to (each type has its own).
#[derive(Debug)]
pub enum JuheCallback {
    /// Type 1: seats and issue result (boxed: it is the large one).
    Issue(Box<IssueCallback>),
    /// Type 2: refund result.
    Refund(RefundCallback),
    /// Type 3: the grab deadline passed.
    GrabExpired(GrabExpiredCallback),
}

impl JuheCallback {
    /// railgate's order number the callback is about.
    pub fn out_order_no(&self) -> &str {
        match self {
            JuheCallback::Issue(callback) => &callback.out_order_no,
            JuheCallback::Refund(callback) => &callback.out_order_no,
            JuheCallback::GrabExpired(callback) => &callback.out_order_no,
        }
    }

    fn apply(&self, order: &mut Order) -> Result<bool, ProviderError> {
        match self {
            JuheCallback::Issue(callback) => apply_issue_callback(order, callback),
            JuheCallback::Refund(callback) => apply_refund_callback(order, callback),
            JuheCallback::GrabExpired(callback) => apply_grab_expired(order, callback),
        }
    }
}

impl OrderService {
    /// The Juhe adapter, or the refusal when Juhe is not configured.
    pub(super) fn juhe_adapter(&self) -> Result<&JuheAdapter, OrderError> {
        self.juhe.as_ref().ok_or(OrderError::Unsupported {
            provider: ProviderId::Juhe,
            capability: "grab orders: Juhe is not configured",
        })
    }

    /// Refused unless the order's provider supports `capability`.
    pub(super) fn require(order: &Order, capability: Capability) -> Result<(), OrderError> {
        if crate::routing::capabilities::supports(order.provider, capability) {
            Ok(())
        } else {
            Err(OrderError::Unsupported {
                provider: order.provider,
                capability: capability.as_str(),
            })
        }
    }

    /// Re-reads a Juhe order: the grab view, and the ticket view
    /// (`issue=1`) once it is issued (seats, ticket numbers, refunds).
    pub(super) async fn refresh_juhe(&self, order_id: &OrderId) -> Result<Order, OrderError> {
        let juhe = self.juhe_adapter()?;
        let mut attempts = 0;
        loop {
            attempts += 1;
            let mut order = self.get(order_id).await?;
            let before = order.clone();
            let grab = juhe.client().order_detail(&order.customer_order_no).await?;
            apply_grab_detail(&mut order, &grab)?;
            if order.status == OrderStatus::Issued {
                let issued = juhe
                    .client()
                    .issued_order_detail(&order.customer_order_no)
                    .await?;
                apply_issued_detail(&mut order, &issued)?;
            }
            match self.save(&before, &mut order).await {
                Err(OrderError::Store(StoreError::Conflict { .. })) if attempts < 3 => continue,
                Err(error) => return Err(error),
                Ok(()) => return Ok(order),
            }
        }
    }

    /// Cancels a grab order while Juhe is still grabbing.
    pub(super) async fn cancel_juhe(&self, order: &Order) -> Result<Order, OrderError> {
        let juhe = self.juhe_adapter()?;
        if order.status != OrderStatus::Grabbing {
            return Err(OrderError::WrongState {
                operation: "Cancel",
                status: order.status,
            });
        }
        match juhe.client().cancel_order(&order.customer_order_no).await {
            Ok(_) => {
                self.record_effect(&order.id, |order| {
                    order.apply_status(OrderStatus::Cancelled).ok();
                })
                .await
            }
            Err(error) if outcome_unknown(&error) => {
                tracing::warn!(order_id = %order.id.as_str(), error = %error, "cancel outcome unknown");
                self.save_latest(&order.id, |order| {
                    order.apply_status(OrderStatus::Unknown).ok();
                })
                .await
            }
            Err(error) => Err(error.into()),
        }
    }

    /// Applies for the refund of one passenger's ticket (applyRefundOrder
    /// takes Juhe's passengerId, learned from the ticket view).
    pub(super) async fn refund_juhe(
        &self,
        order: &Order,
        ticket: &Ticket,
    ) -> Result<(), OrderError> {
        let juhe = self.juhe_adapter()?;
        let Some(passenger_id) = ticket.provider_passenger_id.as_deref() else {
            return Err(OrderError::TicketState {
                operation: "Refund",
                status: ticket.status,
            });
        };
        juhe.client()
            .apply_refund(&order.customer_order_no, passenger_id)
            .await?;
        Ok(())
    }

    /// A Juhe callback is a trigger, not the truth: the order is re-read
    /// from Juhe's detail first, and the callback's own fields (a failure
    /// reason, seats not yet in the detail) are applied only when its
    /// statuses are the detail's. A forged or stale callback (the URL
    /// secret is all it needs) therefore changes nothing the detail does
    /// not confirm; it is [`CallbackOutcome::Unconfirmed`], answered so
    /// that Juhe sends it again (a genuine one may have overtaken the
    /// detail). A failed re-read is an error, answered the same way; the
    /// reconciler follows the order in any case.
    pub async fn apply_juhe_callback(
        &self,
        order_id: &OrderId,
        callback: &JuheCallback,
    ) -> Result<CallbackOutcome, OrderError> {
        let confirmed = self.refresh(order_id).await?;
        let mut trial = confirmed.clone();
        callback.apply(&mut trial)?;
        if !same_statuses(&trial, &confirmed) {
            tracing::warn!(
                order_id = %order_id.as_str(),
                detail_status = ?confirmed.status,
                callback_status = ?trial.status,
                "a Juhe callback its order detail does not confirm: not applied"
            );
            return Ok(CallbackOutcome::Unconfirmed(confirmed));
        }
        let mut attempts = 0;
        loop {
            attempts += 1;
            let mut order = self.get(order_id).await?;
            let before = order.clone();
            callback.apply(&mut order)?;
            if !same_statuses(&order, &before) {
                // The order moved on since the re-read: the next detail
                // read decides.
                return Ok(CallbackOutcome::Unconfirmed(before));
            }
            match self.save(&before, &mut order).await {
                Err(OrderError::Store(StoreError::Conflict { .. })) if attempts < 5 => continue,
                Err(error) => return Err(error),
                Ok(()) => return Ok(CallbackOutcome::Applied(order)),
            }
        }
    }
}

/// What became of a Juhe callback.
#[derive(Debug)]
pub enum CallbackOutcome {
    /// Juhe's detail confirmed it; the order with the callback's fields.
    Applied(Order),
    /// Juhe's detail does not (yet) say what the callback says: nothing of
    /// it was applied; the order as the detail has it.
    Unconfirmed(Order),
}

/// Whether two views of an order agree on its status and every ticket's.
fn same_statuses(a: &Order, b: &Order) -> bool {
    a.status == b.status
        && a.tickets.len() == b.tickets.len()
        && a.tickets
            .iter()
            .zip(&b.tickets)
            .all(|(x, y)| x.status == y.status)
}
