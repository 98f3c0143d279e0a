//! PostgreSQL backend: several railgate instances share one database.
//! Reads that span tables run in a repeatable-read snapshot; outbox rows
//! are claimed with `FOR UPDATE SKIP LOCKED`, so concurrent claimers take
//! disjoint rows without waiting; every event is announced with `NOTIFY`
//! on [`ORDER_EVENTS_CHANNEL`] (delivered at commit).

use crate::store::{ORDER_EVENTS_CHANNEL, OutboxMessage};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::{Postgres, Transaction};

/// Connections per instance.
const MAX_CONNECTIONS: u32 = 16;

#[derive(Clone)]
pub(crate) struct PgStore {
    pub(super) pool: PgPool,
    identity: super::IdentityCipher,
}

// The shared operations; this also brings their imports (`sql`, `StoreError`,
// `DateTime`, ...) and the `Connection` alias into this module.
super::common::shared_queries!(PgStore, Postgres);
super::outbox::outbox_queries!(PgStore);
super::grab_groups::grab_group_queries!(PgStore);
super::alongside::alongside_queries!(PgStore);
super::order_read::order_read_queries!(PgStore);

/// How long a call waits for a pooled connection.
const ACQUIRE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

impl PgStore {
    pub(crate) fn set_identity_cipher(&mut self, cipher: super::IdentityCipher) {
        self.identity = cipher;
    }

    pub(crate) async fn connect(options: PgConnectOptions) -> Result<Self, StoreError> {
        let pool = PgPoolOptions::new()
            .max_connections(MAX_CONNECTIONS)
            // While the server restarts, a call waits this long for a
            // connection, then is told UNAVAILABLE (sqlx's default is 30 s).
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_with(options)
            .await?;
        sqlx::sqlx_macros::migrate!("migrations/postgres")
            .run(&pool)
            .await?;
        Ok(PgStore {
            pool,
            identity: super::IdentityCipher::none(),
        })
    }

    pub(crate) async fn close(&self) {
        self.pool.close().await;
    }

    /// Where a statement that writes runs: the pool, as any statement.
    fn writes(&self) -> &PgPool {
        &self.pool
    }

    async fn begin_write(&self) -> Result<Transaction<'static, Postgres>, sqlx::Error> {
        super::note_transaction(super::TransactionKind::Write);
        self.pool.begin().await
    }

    async fn begin_read(&self) -> Result<Transaction<'static, Postgres>, sqlx::Error> {
        super::note_transaction(super::TransactionKind::Read);
        self.pool
            .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            .await
    }

    /// `SELECT` of an order with its tickets (see `super::order_read`).
    fn order_with_tickets_sql() -> &'static str {
        static TEXT: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
            super::order_read::select_order_with_tickets(super::order_read::JsonDialect::Postgres)
        });
        &TEXT
    }

    /// Stores an event and announces it (`order_id:sequence` on
    /// [`ORDER_EVENTS_CHANNEL`], delivered at commit) in one statement.
    fn insert_event_sql() -> &'static str {
        static TEXT: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
            format!(
                "WITH stored AS ({} RETURNING order_id, sequence) \
                 SELECT pg_notify('{ORDER_EVENTS_CHANNEL}', order_id || ':' || sequence) FROM stored",
                sql::INSERT_EVENT
            )
        });
        &TEXT
    }

    pub(crate) async fn claim_outbox(
        &self,
        topic: Option<&str>,
        limit: i64,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> Result<Vec<OutboxMessage>, StoreError> {
        let text = format!(
            "WITH due AS (SELECT id FROM outbox WHERE {} \
                 ORDER BY id LIMIT $3 FOR UPDATE SKIP LOCKED) \
             UPDATE outbox SET lease_until = $1, attempts = outbox.attempts + 1 \
             FROM due WHERE outbox.id = due.id \
             RETURNING {}",
            super::outbox::due_condition(topic),
            sql::OUTBOX_COLUMNS
                .split(", ")
                .map(|column| format!("outbox.{column}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        let mut query = sqlx::query_as(&text)
            .bind(lease_until)
            .bind(now)
            .bind(limit);
        if let Some(topic) = topic {
            query = query.bind(topic);
        }
        let rows: Vec<OutboxRow> = query.fetch_all(&self.pool).await?;
        Self::claimed(rows)
    }

    /// Marks up to `limit` unsettled orders due for a poll as polled until
    /// `until`; returns their ids. `SKIP LOCKED`: instances claiming at once
    /// take disjoint orders, so N instances do not poll an order N times.
    pub(crate) async fn claim_unsettled(
        &self,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<String>, StoreError> {
        Ok(sqlx::query_scalar(
            "WITH due AS (SELECT id FROM orders WHERE NOT settled \
                 AND (reconcile_after IS NULL OR reconcile_after <= $1) \
                 ORDER BY updated_at, id LIMIT $3 FOR UPDATE SKIP LOCKED) \
             UPDATE orders SET reconcile_after = $2 FROM due WHERE orders.id = due.id \
             RETURNING orders.id",
        )
        .bind(now)
        .bind(until)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }
}
