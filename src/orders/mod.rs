//! The booking flows: Book, Confirm, Cancel and Refresh, with exactly-once
//! effects over at-least-once callers. Each mutating flow claims the
//! caller's idempotency key first; the provider holds at most one order
//! per key because the customer order number is derived from the key, the
//! store keeps it unique, and Panhe and Juhe refuse a repeated one.
//!
//! A provider call that times out after sending leaves the order UNKNOWN:
//! it is resolved by asking the provider (refresh), never by booking again.
//! A booking that never heard Panhe's answer to createOrder (a timeout, or
//! a crash before recording it) is asked by sending the same
//! customerOrderNo again, which Panhe refuses as a repeat if the first send
//! arrived (`resolution`).
//!
//! Book with grab options places a Juhe grab order (`grab`); every later
//! flow dispatches on the order's provider (`juhe` holds Juhe's side) and
//! refuses what that provider cannot do (`routing::capabilities`).

mod book;
mod change;
mod fingerprint;
mod grab;
pub mod grab_dates;
pub mod grab_party;
mod juhe;
mod lifecycle;
pub mod reconciler;
mod refund;
pub mod refund_quote;
mod resolution;
pub mod retention;

pub use book::{BookCommand, BookPassenger};
pub use change::ChangeCommand;
pub use fingerprint::customer_order_no;
pub use grab::GrabCommand;
pub use juhe::{CallbackOutcome, JuheCallback};

use crate::domain::time::SharedClock;
use crate::domain::{Order, OrderEvent, OrderId};
use crate::providers::ProviderError;
use crate::providers::juhe::JuheAdapter;
use crate::providers::juhe::submit::InvalidGrabOrder;
use crate::providers::panhe::PanheAdapter;
use crate::providers::panhe::credentials::CredentialCipher;
use crate::store::{Alongside, Begin, Store, StoreError};
use secrecy::SecretString;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::broadcast;

/// Why a booking flow failed.
#[derive(Debug, thiserror::Error)]
pub enum OrderError {
    /// No such order.
    #[error("order {0} not found")]
    NotFound(String),
    /// The idempotency key was used for a different request.
    #[error("idempotency key {key:?} was already used for a different request")]
    KeyReused {
        /// The key.
        key: String,
    },
    /// The first request with this key is still running.
    #[error("a request with idempotency key {key:?} is still in progress; retry shortly")]
    KeyInProgress {
        /// The key.
        key: String,
    },
    /// The order is not in a state that allows the operation.
    #[error("{operation} is not possible while the order is {status}")]
    WrongState {
        /// What was asked.
        operation: &'static str,
        /// The order's status.
        status: crate::domain::OrderStatus,
    },
    /// No such ticket in the order.
    #[error("ticket {0} not found in the order")]
    TicketNotFound(String),
    /// No such change order in the order.
    #[error("change {0} not found in the order")]
    ChangeNotFound(String),
    /// The ticket is not in a state that allows the operation.
    #[error("{operation} is not possible while the ticket is {status:?}")]
    TicketState {
        /// What was asked.
        operation: &'static str,
        /// The ticket's status.
        status: crate::domain::TicketStatus,
    },
    /// The change order is not in a state that allows the operation.
    #[error("{operation} is not possible while the change is {status:?}")]
    ChangeState {
        /// What was asked.
        operation: &'static str,
        /// The change's status.
        status: crate::domain::ChangeStatus,
    },
    /// The caller expected a different amount than the provider charges.
    #[error("the order costs {actual} but the caller expected {expected}")]
    AmountMismatch {
        /// What the caller said.
        expected: crate::domain::Fen,
        /// What the order costs.
        actual: crate::domain::Fen,
    },
    /// The order's provider cannot do this.
    #[error("{provider} orders do not support {capability}")]
    Unsupported {
        /// The provider.
        provider: crate::domain::ProviderId,
        /// The capability.
        capability: &'static str,
    },
    /// A grab order the provider would refuse; nothing was sent. Fields
    /// are named as in the Book request.
    #[error(transparent)]
    InvalidGrab(#[from] InvalidGrabOrder),
    /// A refund quoted a lower fee than the rule gives now (its band has
    /// ended).
    #[error("the refund fee is now {fee_now}, more than the {quoted_fee} quoted: quote again")]
    QuoteChanged {
        /// The fee quoted.
        quoted_fee: crate::domain::Fen,
        /// The fee now.
        fee_now: crate::domain::Fen,
    },
    /// 12306's refund rule gives no figure (the train has left).
    #[error(transparent)]
    RefundRule(#[from] crate::domain::refund_rule::RefundRuleError),
    /// A frequent passenger the Book named cannot travel on the account.
    #[error(transparent)]
    Traveller(#[from] crate::accounts::TravellerProblem),
    /// The provider refused or failed.
    #[error(transparent)]
    Provider(#[from] ProviderError),
    /// The store failed.
    #[error("order store failed")]
    Store(#[from] StoreError),
}

/// What the booking flows need.
pub struct OrderServiceConfig {
    /// Panhe's secretKey, for payment signs.
    pub panhe_secret_key: SecretString,
    /// Encrypts 12306 credentials for Panhe.
    pub cipher: Arc<dyn CredentialCipher>,
    /// Where Panhe calls back (`…/callbacks/panhe/<secret>`), if anywhere.
    pub panhe_callback_url: Option<String>,
    /// How long a claimed idempotency key stays with its claimer before a
    /// retry may take it over (the claimer crashed or never heard back).
    pub idempotency_lease: Duration,
}

/// The booking flows over the store and the providers.
pub struct OrderService {
    store: Store,
    panhe: PanheAdapter,
    /// Juhe, when configured: grab orders.
    juhe: Option<JuheAdapter>,
    config: OrderServiceConfig,
    clock: SharedClock,
    /// Every order event stored by this process, for its watchers and
    /// its notification worker.
    events: broadcast::Sender<Arc<OrderEvent>>,
    /// Where status transitions are counted.
    metrics: crate::metrics::Metrics,
}

impl OrderService {
    /// A service over `store` and the Panhe adapter.
    pub fn new(
        store: Store,
        panhe: PanheAdapter,
        config: OrderServiceConfig,
        clock: SharedClock,
    ) -> Self {
        let (events, _) = broadcast::channel(4096);
        Self {
            store,
            panhe,
            juhe: None,
            config,
            clock,
            events,
            metrics: crate::metrics::Metrics::new(),
        }
    }

    /// Counts status transitions in `metrics`.
    pub fn with_metrics(mut self, metrics: crate::metrics::Metrics) -> Self {
        self.metrics = metrics;
        self
    }

    /// Records a new order (its event 1) and counts its first status.
    async fn insert(&self, order: &mut Order) -> Result<(), StoreError> {
        self.store.insert_order(order).await?;
        self.metrics.order_transition("none", order.status.as_str());
        Ok(())
    }

    /// Adds Juhe for grab orders (without it, they are refused).
    pub fn with_juhe(mut self, juhe: JuheAdapter) -> Self {
        self.juhe = Some(juhe);
        self
    }

    /// The store (read paths and watchers use it directly).
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Subscribes to every event this process stores from now on (events
    /// stored by another instance sharing the database are not seen).
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<OrderEvent>> {
        self.events.subscribe()
    }

    /// The order, as last recorded.
    pub async fn get(&self, id: &OrderId) -> Result<Order, OrderError> {
        self.store
            .get_order(id)
            .await?
            .ok_or_else(|| OrderError::NotFound(id.as_str().to_owned()))
    }

    /// Saves `order` (optimistic version), recording an event of the kind
    /// `before → order` describes and the notifications it calls for, and
    /// tells watchers. Every order change goes through here.
    async fn save(&self, before: &Order, order: &mut Order) -> Result<(), OrderError> {
        self.save_alongside(before, order, &Alongside::default())
            .await
    }

    /// [`Self::save`], committing `alongside` (the request's idempotency
    /// key, the callback being processed) in the same transaction; on its
    /// own when the order did not change. On `Ok` it is committed.
    /// `before` is the order as stored (read, or as the last save left
    /// it): tickets and changes equal to its are not written again.
    async fn save_alongside(
        &self,
        before: &Order,
        order: &mut Order,
        alongside: &Alongside<'_>,
    ) -> Result<(), OrderError> {
        if before == order {
            self.store.commit_alongside(&order.id, alongside).await?;
            return Ok(());
        }
        let kind = crate::domain::OrderEventKind::between(before, order);
        // Notifications go into the outbox in the same transaction.
        let outbox = crate::notify::notifications(before, order);
        let sequence = self
            .store
            .update_order_alongside(Some(before), order, kind, &outbox, alongside)
            .await?;
        if before.status != order.status {
            self.metrics
                .order_transition(before.status.as_str(), order.status.as_str());
        }
        // The event as stored (`update_order` set the order's time and
        // sequence), so watchers need not read it back. No receivers is
        // fine: nobody is watching.
        let _ = self.events.send(Arc::new(OrderEvent {
            order_id: order.id.clone(),
            sequence,
            kind,
            occurred_at: order.updated_at,
            order: order.clone(),
        }));
        Ok(())
    }

    /// Applies `change` to the latest stored order and saves it, re-reading
    /// and re-applying when a concurrent writer (a callback, the
    /// reconciler) got there first. Used after a provider call succeeded:
    /// its effect must be recorded, never lost to a version conflict.
    async fn save_latest(
        &self,
        order_id: &OrderId,
        change: impl Fn(&mut Order),
    ) -> Result<Order, OrderError> {
        self.save_latest_from(None, order_id, change, &Alongside::default())
            .await
    }

    /// [`Self::save_latest`] starting from `first`, the order as the
    /// caller last read or wrote it (a stale copy costs one conflict and a
    /// re-read; a current one saves the read), with `alongside` committed
    /// with the change.
    async fn save_latest_from(
        &self,
        first: Option<Order>,
        order_id: &OrderId,
        change: impl Fn(&mut Order),
        alongside: &Alongside<'_>,
    ) -> Result<Order, OrderError> {
        let mut attempts = 0;
        let mut first = first;
        loop {
            attempts += 1;
            let mut order = match first.take() {
                Some(order) => order,
                None => self.get(order_id).await?,
            };
            let before = order.clone();
            change(&mut order);
            match self.save_alongside(&before, &mut order, alongside).await {
                Err(OrderError::Store(StoreError::Conflict { .. })) if attempts < 5 => continue,
                Err(error) => return Err(error),
                Ok(()) => return Ok(order),
            }
        }
    }

    /// Records the effect of a provider call that succeeded. The order is
    /// re-read from the provider first and recorded as a callback's or the
    /// reconciler's refresh records it; only then is `expected` applied,
    /// for a provider whose detail does not show the effect yet.
    ///
    /// Why not just apply `expected`: the provider calls back about the same
    /// change at about the same time. Applying `expected` first recorded a
    /// state the provider never had (an order ISSUING whose tickets are
    /// still HELD, CANCELLED with its seats still HELD), and the callback's
    /// re-read then added a second event, unless it got there first. An
    /// order's history depended on who won. Now both record the same
    /// detail: whichever comes second finds nothing new.
    ///
    /// If the re-read fails, `expected` alone is recorded; the callback or
    /// the reconciler brings the rest.
    async fn record_effect(
        &self,
        order_id: &OrderId,
        expected: impl Fn(&mut Order),
    ) -> Result<Order, OrderError> {
        self.record_effect_from(None, order_id, expected, &Alongside::default())
            .await
    }

    /// [`Self::record_effect`] starting from `read`, the order as the
    /// caller read it before the provider call (a callback that wrote
    /// since costs a conflict and a re-read), with `alongside` committed
    /// with the effect.
    async fn record_effect_from(
        &self,
        read: Option<Order>,
        order_id: &OrderId,
        expected: impl Fn(&mut Order),
        alongside: &Alongside<'_>,
    ) -> Result<Order, OrderError> {
        // The detail and `expected` in one save, with `alongside`.
        match self
            .refresh_then(read, order_id, None, &expected, alongside)
            .await
        {
            Ok(order) => return Ok(order),
            Err(error) => tracing::warn!(
                order_id = %order_id.as_str(),
                error = %crate::telemetry::ErrorChain(&error),
                "re-reading the order after a provider call failed: recording the expected effect only"
            ),
        }
        self.save_latest_from(None, order_id, expected, alongside)
            .await
    }

    /// Claims `key`; `Ok(None)` when the caller owns it (New or Resumed),
    /// `Ok(Some(order))` when it completed before.
    async fn claim(
        &self,
        key: &str,
        operation: &str,
        fingerprint: &[u8],
    ) -> Result<Claim, OrderError> {
        match self
            .store
            .begin_idempotent(key, operation, fingerprint, self.config.idempotency_lease)
            .await?
        {
            Begin::New => Ok(Claim::Owned { resumed: false }),
            Begin::Resumed => Ok(Claim::Owned { resumed: true }),
            Begin::InProgress => Err(OrderError::KeyInProgress {
                key: key.to_owned(),
            }),
            Begin::Mismatch => Err(OrderError::KeyReused {
                key: key.to_owned(),
            }),
            Begin::Completed(response) => {
                let id = String::from_utf8(response)
                    .ok()
                    .and_then(|text| OrderId::parse(&text).ok())
                    .ok_or_else(|| {
                        StoreError::Corrupt(format!("idempotency response of {key:?}"))
                    })?;
                Ok(Claim::Done(Box::new(self.get(&id).await?)))
            }
        }
    }
}

/// The outcome of claiming an idempotency key.
enum Claim {
    /// The caller does the work (`resumed`: an earlier claimer crashed).
    Owned {
        /// Whether an earlier attempt may have had effects.
        resumed: bool,
    },
    /// Done before; this is the order it produced (boxed: an order is
    /// large and this variant is the rare one).
    Done(Box<Order>),
}
