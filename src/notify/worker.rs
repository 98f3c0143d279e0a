//! The delivery worker: claims due book-callback messages with a lease,
//! sends them, and records the result.
//!
//! - sent and acknowledged → `complete_outbox`;
//! - retryable failure (network, timeout, 5xx, `isp.*`) → rescheduled by
//!   the [`RetryPolicy`], or dead-lettered once the next attempt would fall
//!   outside the delivery window;
//! - permanent failure (`isv.*`, an order that cannot be expressed) →
//!   dead-lettered at once.
//!
//! Exactly once in effect: a row is completed only after alitrip
//! acknowledged it, so a crash between sending and completing resends it
//! after the lease runs out (alitrip dedupes by its order id); leases keep
//! instances sharing PostgreSQL from sending the same row concurrently.
//! One batch is sent concurrently, so every claim in it is settled within
//! about one TOP timeout, well inside its lease.
//!
//! Logs name the message and order ids and the error (masked), never a
//! request parameter.

use super::alitrip_book::{BookCallbackSender, DeliveryError, TOPIC};
use super::retry::{NextAttempt, RetryPolicy};
use crate::domain::time::SharedClock;
use crate::domain::{OrderEvent, OrderId};
use crate::metrics::DeliveryOutcome;
use crate::store::{OutboxMessage, Store};
use crate::telemetry::ErrorChain;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::broadcast;
use tracing::Instrument;

/// Messages claimed (and sent concurrently) per round.
const BATCH: u32 = 16;

/// The worker's settings.
#[derive(Debug, Clone, Copy)]
pub struct WorkerSettings {
    /// When failed deliveries are retried, and for how long.
    pub retry: RetryPolicy,
    /// How often due messages are looked for when nothing wakes the worker.
    pub poll_interval: Duration,
    /// How long a claim holds a message: longer than one TOP call.
    pub lease: Duration,
}

/// What became of one claimed message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Settled {
    /// Acknowledged by alitrip.
    Delivered,
    /// Failed; due again later.
    Rescheduled,
    /// Given up on.
    DeadLettered,
    /// Recording the result failed; the lease runs out and it is retried.
    Unrecorded,
    /// The lease ran out before the result was recorded, and another
    /// claim holds the message now: this result is dropped.
    ClaimLost,
}

/// Delivers book callbacks from the outbox.
pub struct Worker {
    store: Store,
    sender: BookCallbackSender,
    settings: WorkerSettings,
    clock: SharedClock,
    metrics: Option<crate::metrics::Metrics>,
}

impl Worker {
    /// A worker over `store`, sending through `sender`.
    pub fn new(
        store: Store,
        sender: BookCallbackSender,
        settings: WorkerSettings,
        clock: SharedClock,
    ) -> Self {
        Self {
            store,
            sender,
            settings,
            clock,
            metrics: None,
        }
    }

    /// Counts every delivery attempt's outcome in `metrics`.
    pub fn with_metrics(mut self, metrics: crate::metrics::Metrics) -> Self {
        self.metrics = Some(metrics);
        self
    }

    /// Delivers until `stopped` completes: every poll interval, and at once
    /// when an order event in this process may have enqueued a message.
    pub async fn run(
        self,
        mut order_events: broadcast::Receiver<Arc<OrderEvent>>,
        stopped: impl Future<Output = ()>,
    ) {
        let mut ticker = tokio::time::interval(self.settings.poll_interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut events_open = true;
        tokio::pin!(stopped);
        loop {
            tokio::select! {
                () = &mut stopped => return,
                _ = ticker.tick() => {}
                event = order_events.recv(), if events_open => {
                    // Lagging only means many events: one round covers them.
                    events_open = !matches!(event, Err(broadcast::error::RecvError::Closed));
                }
            }
            // A full batch suggests more are due: keep going.
            while self.run_once().await.len() == BATCH as usize {}
        }
    }

    /// One round: claims due messages and settles each.
    pub async fn run_once(&self) -> Vec<Settled> {
        let claimed = match self
            .store
            .claim_outbox_topic(TOPIC, BATCH, self.settings.lease)
            .await
        {
            Ok(claimed) => claimed,
            Err(error) => {
                tracing::warn!(error = %ErrorChain(&error), "notification worker cannot claim messages");
                return Vec::new();
            }
        };
        futures_util::future::join_all(claimed.iter().map(|message| self.settle(message))).await
    }

    /// Delivers `message` inside a client span (the TOP call and the
    /// store writes that record it) and counts the outcome.
    async fn settle(&self, message: &OutboxMessage) -> Settled {
        let span = tracing::info_span!(
            "outbox delivery",
            otel.name = "alitrip book callback",
            otel.kind = "client",
            otel.status_code = tracing::field::Empty,
            notification_id = message.id,
            attempt = message.attempts + 1,
            outcome = tracing::field::Empty,
        );
        crate::telemetry::settle_sampling(&span);
        let settled = self.deliver(message).instrument(span.clone()).await;
        let outcome = match settled {
            Settled::Delivered => Some(DeliveryOutcome::delivered),
            Settled::Rescheduled => Some(DeliveryOutcome::retry),
            Settled::DeadLettered => Some(DeliveryOutcome::dead),
            Settled::Unrecorded | Settled::ClaimLost => None,
        };
        span.record("outcome", format!("{settled:?}").as_str());
        if settled != Settled::Delivered {
            span.record("otel.status_code", "ERROR");
        }
        if let (Some(metrics), Some(outcome)) = (&self.metrics, outcome) {
            metrics.delivery_attempt(outcome);
        }
        settled
    }

    async fn deliver(&self, message: &OutboxMessage) -> Settled {
        let order_id = message
            .order_id
            .as_ref()
            .map(OrderId::as_str)
            .unwrap_or_default();
        let outcome = self.sender.deliver(&self.store, message).await;
        let recorded = match &outcome {
            Ok(()) => {
                tracing::info!(
                    notification_id = message.id,
                    order_id,
                    attempts = message.attempts,
                    "alitrip book callback delivered"
                );
                self.store
                    .complete_outbox(&message.claim())
                    .await
                    .map(|()| Settled::Delivered)
            }
            Err(error) => self.record_failure(message, order_id, error).await,
        };
        recorded.unwrap_or_else(|error| {
            if let crate::store::StoreError::ClaimLost { .. } = error {
                // This worker stalled past its lease: another instance
                // claimed the message since, and its outcome stands.
                tracing::warn!(
                    notification_id = message.id,
                    order_id,
                    attempts = message.attempts,
                    "a late delivery result was refused: the lease ran out and the message was \
                     claimed again (the lease is twice alitrip.timeout_ms)"
                );
                return Settled::ClaimLost;
            }
            tracing::warn!(
                notification_id = message.id,
                order_id,
                error = %ErrorChain(&error),
                "cannot record a delivery attempt; it is retried when its lease runs out"
            );
            Settled::Unrecorded
        })
    }

    async fn record_failure(
        &self,
        message: &OutboxMessage,
        order_id: &str,
        error: &DeliveryError,
    ) -> Result<Settled, crate::store::StoreError> {
        let reason = ErrorChain(error).to_string();
        let next = if error.is_retryable() {
            self.settings.retry.next_attempt(
                message.attempts,
                message.window_start(),
                self.clock.now_utc(),
                &mut rand::rng(),
            )
        } else {
            NextAttempt::GiveUp
        };
        match next {
            NextAttempt::At(at) => {
                tracing::warn!(
                    notification_id = message.id,
                    order_id,
                    attempts = message.attempts,
                    next_attempt_at = %at,
                    error = %reason,
                    "alitrip book callback failed; retrying later"
                );
                self.store
                    .fail_outbox(&message.claim(), at, &reason)
                    .await?;
                Ok(Settled::Rescheduled)
            }
            NextAttempt::GiveUp => {
                tracing::error!(
                    notification_id = message.id,
                    order_id,
                    attempts = message.attempts,
                    retryable = error.is_retryable(),
                    error = %reason,
                    "alitrip book callback dead-lettered; replay it with AdminService/ReplayNotification"
                );
                self.store
                    .dead_letter_outbox(&message.claim(), &reason)
                    .await?;
                Ok(Settled::DeadLettered)
            }
        }
    }
}
