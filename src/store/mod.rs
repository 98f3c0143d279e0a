//! The order store: orders, tickets, change orders, their events,
//! idempotency keys, the callback inbox and the notification outbox.
//!
//! One API over two backends: an SQLite file (one instance, the default)
//! and PostgreSQL (several instances sharing state). Migrations are
//! embedded and applied at connect. Queries are runtime-checked (no
//! database at build time) and shared where the dialects agree
//! ([`sql`]); each backend module holds only what differs.
//!
//! Money is stored as integer fen, instants as UTC with microsecond
//! precision, train times as Asia/Shanghai wall clock. Personal data is
//! stored raw (it must be sent to the provider again) and never appears in
//! a [`StoreError`].

/// Calls the same method on whichever backend this store uses, inside a
/// client span named after the method (OpenTelemetry database
/// conventions), timed into the store's metrics.
macro_rules! dispatch {
    ($self:ident . $method:ident ( $($arg:expr),* $(,)? )) => {{
        let span = tracing::info_span!(
            "store",
            otel.name = concat!("store ", stringify!($method)),
            otel.kind = "client",
            db.system.name = $self.system_name(),
            db.operation.name = stringify!($method),
        );
        let started = std::time::Instant::now();
        let result = tracing::Instrument::instrument(
            async {
                match &$self.backend {
                    Backend::Sqlite(db) => db.$method($($arg),*).await,
                    Backend::Postgres(db) => db.$method($($arg),*).await,
                }
            },
            span,
        )
        .await;
        if let Some(metrics) = &$self.metrics {
            metrics.store_operation(
                stringify!($method),
                $self.backend_name(),
                result.is_ok(),
                started.elapsed().as_secs_f64(),
            );
        }
        result
    }};
}

mod alongside;
mod common;
mod grab_groups;
mod identity_cipher;
mod listener;
mod names;
mod order_read;
mod outbox;
mod postgres;
mod rows;
mod snapshot;
pub use alongside::{Alongside, CallbackRecord};
mod error;
pub use error::StoreError;
use error::unique_violation;
mod transaction_log;
pub use identity_cipher::IdentityCipher;
pub use listener::{Heard, OrderEventListener};
pub use sqlite::SqliteDurability;
use transaction_log::note_transaction;
pub use transaction_log::{TRANSACTION_LOG_TARGET, TransactionKind};
mod sql;
mod sqlite;

pub use outbox::{
    MAX_OUTBOX_PAGE_SIZE, NewOutboxMessage, OutboxBacklog, OutboxClaim, OutboxEntry, OutboxError,
    OutboxMessage, OutboxPage, OutboxState,
};

/// The page tokens' readers and writers, as [`Store::list_orders`] and
/// [`Store::list_outbox`] use them: crate-visible for the fuzz targets
/// (`crate::fuzzing`), which check every reader against its writer.
pub(crate) mod page_tokens {
    pub(crate) use super::outbox::{decode_token as read_outbox, encode_token as outbox};
    use super::{StoreError, sql::Cursor};
    use chrono::{DateTime, Utc};

    /// Reads a ListOrders token: the creation time and id of the previous
    /// page's last order.
    pub(crate) fn read_orders(token: &str) -> Result<(DateTime<Utc>, String), StoreError> {
        Cursor::decode(token).map(|cursor| (cursor.created_at, cursor.id))
    }

    /// The ListOrders token that resumes after `(created_at, id)`.
    pub(crate) fn orders(created_at: DateTime<Utc>, id: &str) -> String {
        Cursor {
            created_at,
            id: id.to_owned(),
        }
        .encode()
    }
}

use crate::domain::time::{SharedClock, SystemClock};
use crate::domain::{Order, OrderEvent, OrderEventKind, OrderId, OrderStatus, ProviderId};
use chrono::{DateTime, Utc};
use sqlx::postgres::PgConnectOptions;
use sqlx::sqlite::SqliteConnectOptions;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

/// PostgreSQL `NOTIFY` channel that carries `<order id>:<sequence>` for
/// every order event, so each instance's watchers hear of other instances'
/// writes.
pub const ORDER_EVENTS_CHANNEL: &str = "railgate_order_events";

/// Largest page `list_orders` returns.
pub const MAX_PAGE_SIZE: u32 = 500;

/// The unsettled orders of one status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnsettledOrders {
    /// Their status.
    pub status: OrderStatus,
    /// How many.
    pub count: i64,
    /// When the one changed longest ago last changed.
    pub oldest_change: DateTime<Utc>,
}

/// An order found by a provider's number: its id, and the `traceparent`
/// of the Book that made it (for span links).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderRef {
    /// The order.
    pub id: OrderId,
    /// [`crate::domain::Order::trace_parent`].
    pub trace_parent: String,
}

/// Outcome of claiming an idempotency key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Begin {
    /// The key is new and now belongs to the caller: do the work, then
    /// [`Store::complete_idempotent`] (or [`Store::release_idempotent`]).
    New,
    /// An earlier claim's lease ran out before it completed (its owner
    /// crashed): the caller owns the key now. The earlier attempt may have
    /// had effects, so find and resume them (e.g. the order by customer
    /// order number), never redo them blindly.
    Resumed,
    /// Another request with this key is still being processed.
    InProgress,
    /// Done before: answer with this stored response.
    Completed(Vec<u8>),
    /// The key was used for a different operation or request.
    Mismatch,
}

/// Which orders `list_orders` returns; empty fields do not filter.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OrderFilter {
    /// Only these statuses.
    pub statuses: Vec<OrderStatus>,
    /// Only this provider.
    pub provider: Option<ProviderId>,
    /// Created at or after.
    pub created_after: Option<DateTime<Utc>>,
    /// Created before.
    pub created_before: Option<DateTime<Utc>>,
    /// Only orders this caller booked (None: everyone's).
    pub owner: Option<String>,
}

/// One page of orders, newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderPage {
    /// The orders.
    pub orders: Vec<Order>,
    /// Token for the next page; `None` on the last page.
    pub next_page_token: Option<String>,
}

#[derive(Clone)]
enum Backend {
    Sqlite(sqlite::SqliteStore),
    Postgres(postgres::PgStore),
}

/// The order store; cheap to clone (a pool handle).
#[derive(Clone)]
pub struct Store {
    backend: Backend,
    clock: SharedClock,
    /// Where each operation's duration is recorded.
    metrics: Option<crate::metrics::Metrics>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("backend", &self.backend_name())
            .finish()
    }
}

impl Store {
    /// Connects to `url` and applies the embedded migrations:
    /// `sqlite://path/to/file.db?mode=rwc` or `postgres://user@host/db`.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        Self::connect_with(url, SqliteDurability::default()).await
    }

    /// [`Self::connect`], an SQLite file committing with `durability`.
    pub async fn connect_with(url: &str, durability: SqliteDurability) -> Result<Self, StoreError> {
        if url.starts_with("sqlite:") {
            let options = SqliteConnectOptions::from_str(url)?;
            let backend = Backend::Sqlite(sqlite::SqliteStore::connect(options, durability).await?);
            Ok(Self::with_backend(backend))
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Self::connect_postgres(PgConnectOptions::from_str(url)?).await
        } else {
            Err(StoreError::UnsupportedUrl)
        }
    }

    /// Opens an SQLite database (WAL, foreign keys on) and migrates it.
    pub async fn connect_sqlite(options: SqliteConnectOptions) -> Result<Self, StoreError> {
        let durability = SqliteDurability::default();
        let backend = Backend::Sqlite(sqlite::SqliteStore::connect(options, durability).await?);
        Ok(Self::with_backend(backend))
    }

    /// Connects to PostgreSQL and migrates. The tables go into the first
    /// schema of the connection's `search_path` (tests set one per test).
    pub async fn connect_postgres(options: PgConnectOptions) -> Result<Self, StoreError> {
        let backend = Backend::Postgres(postgres::PgStore::connect(options).await?);
        Ok(Self::with_backend(backend))
    }

    fn with_backend(backend: Backend) -> Self {
        Store {
            backend,
            clock: Arc::new(SystemClock),
            metrics: None,
        }
    }

    /// Encrypts identity fields at rest with `cipher` (see
    /// [`IdentityCipher`]).
    pub fn with_identity_cipher(mut self, cipher: IdentityCipher) -> Self {
        match &mut self.backend {
            Backend::Sqlite(store) => store.set_identity_cipher(cipher),
            Backend::Postgres(store) => store.set_identity_cipher(cipher),
        }
        self
    }

    /// Uses `clock` for every time the store records (updated_at, event
    /// times, leases).
    pub fn with_clock(mut self, clock: SharedClock) -> Self {
        self.clock = clock;
        self
    }

    /// A listener for the order events every instance stores (PostgreSQL);
    /// None on SQLite, where this instance's own events are all there are.
    pub async fn order_event_listener(&self) -> Result<Option<OrderEventListener>, StoreError> {
        match &self.backend {
            Backend::Sqlite(_) => Ok(None),
            Backend::Postgres(db) => OrderEventListener::connect(&db.pool).await.map(Some),
        }
    }

    /// Records every operation's duration in `metrics`.
    pub fn with_metrics(mut self, metrics: crate::metrics::Metrics) -> Self {
        self.metrics = Some(metrics);
        self
    }

    /// The connection pool now: (open connections, idle ones).
    pub fn pool_usage(&self) -> (u32, usize) {
        match &self.backend {
            Backend::Sqlite(db) => db.pool_usage(),
            Backend::Postgres(db) => (db.pool.size(), db.pool.num_idle()),
        }
    }

    /// The OpenTelemetry `db.system.name`: `sqlite` or `postgresql`.
    fn system_name(&self) -> &'static str {
        match self.backend {
            Backend::Sqlite(_) => "sqlite",
            Backend::Postgres(_) => "postgresql",
        }
    }

    /// `sqlite` or `postgres`.
    pub fn backend_name(&self) -> &'static str {
        match self.backend {
            Backend::Sqlite(_) => "sqlite",
            Backend::Postgres(_) => "postgres",
        }
    }

    /// Closes the connection pool.
    pub async fn close(&self) {
        match &self.backend {
            Backend::Sqlite(db) => db.close().await,
            Backend::Postgres(db) => db.close().await,
        }
    }

    fn now(&self) -> DateTime<Utc> {
        rows::micros(self.clock.now_utc())
    }

    /// Records a new order and its event 1 ([`OrderEventKind::Created`]).
    /// Sets `version` and `last_sequence` to 1 and cuts times to
    /// microseconds, so `order` equals what `get_order` returns.
    /// `AlreadyExists` if the id or customer order number is taken.
    pub async fn insert_order(&self, order: &mut Order) -> Result<(), StoreError> {
        let mut stored = order.clone();
        rows::normalize_times(&mut stored);
        stored.version = 1;
        stored.last_sequence = 1;
        let now = self.now();
        dispatch!(self.insert_order(&stored, now))?;
        *order = stored;
        Ok(())
    }

    /// The order, with its tickets and changes.
    pub async fn get_order(&self, id: &OrderId) -> Result<Option<Order>, StoreError> {
        dispatch!(self.get_order(id))
    }

    /// Who booked order `id` (None: no such order), without reading it.
    pub async fn order_owner(&self, id: &OrderId) -> Result<Option<String>, StoreError> {
        dispatch!(self.order_owner(id.as_str()))
    }

    /// The order the provider knows by `provider_order_no`.
    pub async fn find_by_provider_order_no(
        &self,
        provider: ProviderId,
        provider_order_no: &str,
    ) -> Result<Option<Order>, StoreError> {
        dispatch!(self.find_order_by("provider_order_no", provider, provider_order_no))
    }

    /// The order railgate sent the provider as `customer_order_no`.
    pub async fn find_by_customer_order_no(
        &self,
        provider: ProviderId,
        customer_order_no: &str,
    ) -> Result<Option<Order>, StoreError> {
        dispatch!(self.find_order_by("customer_order_no", provider, customer_order_no))
    }

    /// The order railgate sent the provider as `customer_order_no`, by id:
    /// one indexed lookup, for callers that go on to read or refresh it.
    pub async fn order_ref_by_customer_order_no(
        &self,
        provider: ProviderId,
        customer_order_no: &str,
    ) -> Result<Option<OrderRef>, StoreError> {
        dispatch!(self.find_order_ref("customer_order_no", provider, customer_order_no))
    }

    /// Saves `order` if nobody changed it since it was read (its `version`
    /// is still current), appends an event of `kind` with a snapshot, and
    /// enqueues `outbox` messages, all in one transaction. On success
    /// `order` gets its new version, sequence and `updated_at`, and the new
    /// sequence is returned. `Conflict` if the version moved on; `NotFound`
    /// if the order does not exist.
    pub async fn update_order(
        &self,
        order: &mut Order,
        kind: OrderEventKind,
        outbox: &[NewOutboxMessage],
    ) -> Result<i64, StoreError> {
        self.update_order_alongside(None, order, kind, outbox, &Alongside::default())
            .await
    }

    /// [`Self::update_order`], committing `alongside` in the same
    /// transaction: the change and its bookkeeping land together or not
    /// at all. `before`, when given, is the order as stored at `order`'s
    /// version: tickets and changes equal to its are not written again
    /// (the version check makes sure they are still what is stored).
    pub async fn update_order_alongside(
        &self,
        before: Option<&Order>,
        order: &mut Order,
        kind: OrderEventKind,
        outbox: &[NewOutboxMessage],
        alongside: &Alongside<'_>,
    ) -> Result<i64, StoreError> {
        let expected = order.version;
        let children_changed = before.is_none_or(|before| {
            before.version != expected
                || before.tickets != order.tickets
                || before.changes != order.changes
        });
        let mut stored = order.clone();
        rows::normalize_times(&mut stored);
        stored.version = expected + 1;
        stored.last_sequence = order.last_sequence + 1;
        stored.updated_at = self.now();
        dispatch!(self.update_order(&stored, expected, children_changed, kind, outbox, alongside))?;
        let sequence = stored.last_sequence;
        *order = stored;
        Ok(sequence)
    }

    /// Orders matching `filter`, newest first (by creation time, then id),
    /// `page_size` at a time (clamped to 1..=[`MAX_PAGE_SIZE`]). Pass the
    /// returned token to get the next page; pages neither skip nor repeat
    /// orders when new orders arrive between calls.
    pub async fn list_orders(
        &self,
        filter: &OrderFilter,
        page_size: u32,
        page_token: Option<&str>,
    ) -> Result<OrderPage, StoreError> {
        let cursor = page_token
            .filter(|token| !token.is_empty())
            .map(sql::Cursor::decode)
            .transpose()?;
        let limit = page_size.clamp(1, MAX_PAGE_SIZE);
        let mut orders: Vec<Order> =
            dispatch!(self.list_orders(filter, cursor.as_ref(), i64::from(limit)))?;
        let next_page_token = if orders.len() > limit as usize {
            orders.truncate(limit as usize);
            orders.last().map(|last| {
                sql::Cursor {
                    created_at: last.created_at,
                    id: last.id.as_str().to_owned(),
                }
                .encode()
            })
        } else {
            None
        };
        Ok(OrderPage {
            orders,
            next_page_token,
        })
    }

    /// The order's events with a sequence greater than `after_sequence`,
    /// oldest first.
    pub async fn events_after(
        &self,
        order_id: &OrderId,
        after_sequence: i64,
    ) -> Result<Vec<OrderEvent>, StoreError> {
        dispatch!(self.events_after(order_id, after_sequence))
    }

    /// Up to `limit` orders that are not settled ([`Order::is_settled`]:
    /// not final, or issued with a refund or change in flight), least
    /// recently updated first: what the reconciler polls.
    pub async fn non_final_orders(&self, limit: u32) -> Result<Vec<Order>, StoreError> {
        dispatch!(self.non_final_orders(i64::from(limit.max(1))))
    }

    /// Unsettled orders by status: how many, and when the one changed
    /// longest ago last changed (what the reconciler has yet to settle).
    pub async fn unsettled_orders(&self) -> Result<Vec<UnsettledOrders>, StoreError> {
        let rows = dispatch!(self.unsettled_by_status())?;
        rows.into_iter()
            .map(|(status, count, oldest_change)| {
                let status = OrderStatus::from_name(&status)
                    .ok_or_else(|| StoreError::Corrupt(format!("order status {status:?}")))?;
                Ok(UnsettledOrders {
                    status,
                    count,
                    oldest_change,
                })
            })
            .collect()
    }

    /// Claims up to `limit` unsettled orders for one reconciler poll each
    /// and returns them, least recently updated first. A claimed order is
    /// not handed out again (to this or any instance sharing the store)
    /// for `hold`: the reconciler's interval, so each order is polled once
    /// per interval however many instances run.
    pub async fn claim_unsettled(
        &self,
        limit: u32,
        hold: Duration,
    ) -> Result<Vec<Order>, StoreError> {
        let now = self.now();
        let until = lease_end(now, hold);
        let ids = dispatch!(self.claim_unsettled(now, until, i64::from(limit.max(1))))?;
        dispatch!(self.orders_by_ids(&ids))
    }

    /// Claims `key` for `operation` with the request's `fingerprint`.
    /// Atomic: of concurrent callers with the same key exactly one gets
    /// `New`. The claim holds for `lease`; a claim older than that which
    /// never completed can be taken over (`Resumed`).
    pub async fn begin_idempotent(
        &self,
        key: &str,
        operation: &str,
        fingerprint: &[u8],
        lease: Duration,
    ) -> Result<Begin, StoreError> {
        let now = self.now();
        let locked_until = lease_end(now, lease);
        dispatch!(self.begin_idempotent(key, operation, fingerprint, now, locked_until))
    }

    /// Stores the response for `key`; later `begin_idempotent` calls get
    /// `Completed(response)`. The first response stays if called twice.
    pub async fn complete_idempotent(&self, key: &str, response: &[u8]) -> Result<(), StoreError> {
        dispatch!(self.complete_idempotent(key, response, self.now()))
    }

    /// Drops an uncompleted claim (the work failed before any effect), so
    /// a retry with the key starts afresh. A completed key stays.
    pub async fn release_idempotent(&self, key: &str) -> Result<(), StoreError> {
        dispatch!(self.release_idempotent(key))
    }

    /// Records a provider callback in the inbox. `true` if it is new,
    /// `false` if this `dedupe_key` was seen before (drop the duplicate).
    pub async fn record_callback(
        &self,
        provider: ProviderId,
        dedupe_key: &str,
        payload: &[u8],
    ) -> Result<bool, StoreError> {
        dispatch!(self.record_callback(provider, dedupe_key, payload, self.now()))
    }

    /// Marks an inbox entry as processed.
    pub async fn mark_callback_processed(
        &self,
        provider: ProviderId,
        dedupe_key: &str,
    ) -> Result<(), StoreError> {
        dispatch!(self.mark_callback_processed(provider, dedupe_key, self.now()))
    }
}

impl Store {
    /// Retention: deletes processed callback inbox entries (raw provider
    /// bodies) received before `inbox_before`, and every event but the
    /// last of settled orders last changed before `events_before` (each
    /// event is a snapshot of the order; older ones copy its passengers).
    pub async fn prune(
        &self,
        inbox_before: DateTime<Utc>,
        events_before: DateTime<Utc>,
    ) -> Result<Pruned, StoreError> {
        dispatch!(self.prune(inbox_before, events_before))
    }
}

/// What one retention sweep removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pruned {
    /// Callback inbox entries.
    pub inbox: u64,
    /// Order events.
    pub events: u64,
}

/// `now + lease`, with leases capped at ten years (a longer one is a bug,
/// and far-future times would not sort as text in SQLite).
fn lease_end(now: DateTime<Utc>, lease: Duration) -> DateTime<Utc> {
    let cap = chrono::Duration::days(3650);
    now + chrono::Duration::from_std(lease).map_or(cap, |lease| lease.min(cap))
}

/// The answer to `begin_idempotent` for an existing row.
fn existing_claim(
    operation: &str,
    fingerprint: &[u8],
    stored: (String, Vec<u8>, Option<Vec<u8>>),
) -> Begin {
    let (stored_operation, stored_fingerprint, response) = stored;
    if stored_operation != operation || stored_fingerprint != fingerprint {
        return Begin::Mismatch;
    }
    match response {
        Some(response) => Begin::Completed(response),
        None => Begin::InProgress,
    }
}
