//! The reconciler: polls the provider for every order that is not settled,
//! so a lost callback delays an update but never loses it.

use super::OrderService;
use crate::domain::{OrderStatus, ProviderId};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tracing::Instrument;

/// Orders refreshed per round; the oldest-updated come first. With the
/// interval, this caps one instance's polls (the benchmark's "how cost
/// grows" section shows what that means for many unsettled orders).
pub const BATCH: u32 = 100;

/// Refreshes unsettled orders every `interval` until `stopped` completes.
pub async fn run(orders: Arc<OrderService>, interval: Duration, stopped: impl Future<Output = ()>) {
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tokio::pin!(stopped);
    loop {
        tokio::select! {
            () = &mut stopped => return,
            _ = ticker.tick() => reconcile_claimed(&orders, interval).await,
        }
    }
}

/// One round of [`run`]: the orders this instance claims (each order is
/// polled by one instance once per `interval`, however many share the
/// store).
async fn reconcile_claimed(orders: &OrderService, interval: Duration) {
    match orders.store().claim_unsettled(BATCH, interval).await {
        Ok(claimed) => refresh_all(orders, &claimed).await,
        Err(error) => {
            tracing::warn!(error = %crate::telemetry::ErrorChain(&error), "reconciler cannot claim orders");
        }
    }
}

/// Refreshes each of `pending` that the provider knows. A Panhe order
/// without a provider number is left to the caller's retry of Book:
/// finding out whether Panhe has it means sending createOrder again, which
/// needs the 12306 credentials that the store never holds. A Juhe order
/// whose submit went unanswered is read by its outOrderNo.
async fn refresh_all(orders: &OrderService, pending: &[crate::domain::Order]) {
    for order in pending.iter().filter(|order| {
        order.provider_order_no.is_some()
            || (order.provider == ProviderId::Juhe && order.status == OrderStatus::Unknown)
    }) {
        // A trace of its own per poll, linked to the order's Book, so the
        // order's whole life is found from there.
        let span = tracing::info_span!(
            "reconcile",
            otel.name = "reconcile order",
            order_id = %order.id.as_str(),
            provider = order.provider.as_str(),
            status = order.status.as_str(),
        );
        span.in_scope(|| crate::telemetry::link_current_span(&order.trace_parent));
        crate::telemetry::settle_sampling(&span);
        let refreshed = orders.refresh(&order.id).instrument(span).await;
        if let Err(error) = refreshed {
            tracing::warn!(order_id = %order.id.as_str(), error = %error, "reconciler refresh failed");
        }
    }
}
