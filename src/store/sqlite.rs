//! SQLite backend: one database file in WAL mode (readers never wait for
//! the writer). SQLite has a single writer, so railgate writes on one
//! connection of its own: writers queue for it in the process and wake
//! when it is free, rather than contend for the file lock and sleep in
//! SQLite's busy handler; reads run on a pool beside it. Write
//! transactions still start with `BEGIN IMMEDIATE` (the lock up front);
//! claiming outbox rows is one `UPDATE … RETURNING` statement, atomic
//! under the single writer.

use crate::store::OutboxMessage;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
    SqliteTransactionManager,
};
use sqlx::{Sqlite, Transaction, TransactionManager};
use std::time::Duration;

/// Write transactions take the write lock up front.
const BEGIN_WRITE: &str = "BEGIN IMMEDIATE";

/// Times a write retries after closing connections a failed write left
/// stuck (see `close_stuck_connections`).
const STUCK_RETRIES: u32 = 3;

/// How long a writer waits for the write lock before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// Reading connections: readers run in parallel (WAL), beside the writer.
const MAX_CONNECTIONS: u32 = 8;

/// When an SQLite commit is durable (its `synchronous` setting; the file
/// is always in WAL mode). PostgreSQL keeps its server's own setting.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SqliteDurability {
    /// A commit survives railgate crashing; the last commits before the
    /// machine loses power or its OS crashes may be lost (the WAL is
    /// synced at checkpoints, not at every commit). The database stays
    /// consistent either way.
    #[default]
    Normal,
    /// Every commit waits for the WAL to reach the disk: it survives a
    /// power loss too, at the cost of one sync per write transaction.
    Full,
}

impl SqliteDurability {
    /// Parses the setting's value (`normal` / `full`).
    pub fn parse(value: &str) -> Option<Self> {
        match value.trim() {
            "normal" => Some(Self::Normal),
            "full" => Some(Self::Full),
            _ => None,
        }
    }

    fn synchronous(self) -> SqliteSynchronous {
        match self {
            SqliteDurability::Normal => SqliteSynchronous::Normal,
            SqliteDurability::Full => SqliteSynchronous::Full,
        }
    }
}

#[derive(Clone)]
pub(crate) struct SqliteStore {
    /// Reads.
    pub(super) pool: SqlitePool,
    /// Every write, on one connection: SQLite has one writer at a time
    /// anyway, and writers queued here wake as soon as it is free, where
    /// writers on several connections contending for the file lock sleep
    /// in SQLite's busy handler (1, 2, 5, 10 ms and longer) while the lock
    /// may already be free.
    writer: SqlitePool,
    identity: super::IdentityCipher,
}

// The shared operations; this also brings their imports (`sql`, `StoreError`,
// `DateTime`, ...) and the `Connection` alias into this module.
super::common::shared_queries!(SqliteStore, Sqlite);
super::outbox::outbox_queries!(SqliteStore);
super::grab_groups::grab_group_queries!(SqliteStore);
super::alongside::alongside_queries!(SqliteStore);
super::order_read::order_read_queries!(SqliteStore);

impl SqliteStore {
    pub(crate) fn set_identity_cipher(&mut self, cipher: super::IdentityCipher) {
        self.identity = cipher;
    }

    pub(crate) async fn connect(
        options: SqliteConnectOptions,
        durability: SqliteDurability,
    ) -> Result<Self, StoreError> {
        let options = options
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(durability.synchronous())
            .foreign_keys(true)
            .busy_timeout(BUSY_TIMEOUT);
        // The writer first: it creates the file and migrates it.
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options.clone())
            .await?;
        sqlx::sqlx_macros::migrate!("migrations/sqlite")
            .run(&writer)
            .await?;
        let pool = SqlitePoolOptions::new()
            .max_connections(MAX_CONNECTIONS)
            .connect_with(options)
            .await?;
        Ok(SqliteStore {
            pool,
            writer,
            identity: super::IdentityCipher::none(),
        })
    }

    /// Where a statement that writes runs: the one writing connection.
    fn writes(&self) -> &SqlitePool {
        &self.writer
    }

    /// Closes both pools.
    pub(crate) async fn close(&self) {
        self.writer.close().await;
        self.pool.close().await;
    }

    /// Open connections and idle ones, readers and the writer together.
    pub(crate) fn pool_usage(&self) -> (u32, usize) {
        (
            self.pool.size() + self.writer.size(),
            self.pool.num_idle() + self.writer.num_idle(),
        )
    }

    async fn begin_write(&self) -> Result<Transaction<'static, Sqlite>, sqlx::Error> {
        super::note_transaction(super::TransactionKind::Write);
        let mut attempt = 0;
        loop {
            match self.writer.begin_with(BEGIN_WRITE).await {
                Err(sqlx::Error::InvalidSavePointStatement) if attempt < STUCK_RETRIES => {
                    attempt += 1;
                    self.close_stuck_connections().await?;
                }
                other => return other,
            }
        }
    }

    /// Closes the idle connections that a failed write left stuck.
    ///
    /// When a write fails mid-transaction on a full disk (SQLITE_FULL) or
    /// an I/O error, SQLite rolls the transaction back itself; sqlx's own
    /// ROLLBACK then fails ("no transaction is active") and the connection
    /// goes back to the pool still counting itself inside a transaction, so
    /// every later `BEGIN IMMEDIATE` on it fails with
    /// `InvalidSavePointStatement` until it is closed. Each idle connection
    /// is probed with a `BEGIN IMMEDIATE` (rolled back at once) and closed
    /// if stuck; the pool opens fresh ones as needed.
    async fn close_stuck_connections(&self) -> Result<(), sqlx::Error> {
        // The connection that just failed is handed back to the pool by a
        // task of its own: let it get there.
        tokio::task::yield_now().await;
        let mut probed = Vec::new();
        while let Some(mut conn) = self.writer.try_acquire() {
            match SqliteTransactionManager::begin(&mut conn, Some(BEGIN_WRITE.into())).await {
                Ok(()) => SqliteTransactionManager::rollback(&mut conn).await?,
                Err(sqlx::Error::InvalidSavePointStatement) => {
                    tracing::warn!(
                        "closing a database connection left inside a failed transaction"
                    );
                    conn.close_on_drop();
                }
                Err(error) => return Err(error),
            }
            // Held until every idle connection has been probed once.
            probed.push(conn);
        }
        Ok(())
    }

    /// A deferred transaction: in WAL mode its reads share one snapshot.
    async fn begin_read(&self) -> Result<Transaction<'static, Sqlite>, sqlx::Error> {
        super::note_transaction(super::TransactionKind::Read);
        self.pool.begin().await
    }

    /// `SELECT` of an order with its tickets (see `super::order_read`).
    fn order_with_tickets_sql() -> &'static str {
        static TEXT: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
            super::order_read::select_order_with_tickets(super::order_read::JsonDialect::Sqlite)
        });
        &TEXT
    }

    /// Stores an event. One instance per SQLite file: its watchers hear
    /// of events in process, so there is nothing to announce.
    fn insert_event_sql() -> &'static str {
        sql::INSERT_EVENT
    }

    pub(crate) async fn claim_outbox(
        &self,
        topic: Option<&str>,
        limit: i64,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> Result<Vec<OutboxMessage>, StoreError> {
        let text = format!(
            "UPDATE outbox SET lease_until = $1, attempts = attempts + 1 \
             WHERE id IN (SELECT id FROM outbox WHERE {} ORDER BY id LIMIT $3) \
             RETURNING {}",
            super::outbox::due_condition(topic),
            sql::OUTBOX_COLUMNS
        );
        let mut query = sqlx::query_as(&text)
            .bind(lease_until)
            .bind(now)
            .bind(limit);
        if let Some(topic) = topic {
            query = query.bind(topic);
        }
        let rows: Vec<OutboxRow> = query.fetch_all(self.writes()).await?;
        Self::claimed(rows)
    }

    /// Marks up to `limit` unsettled orders due for a poll as polled until
    /// `until`; returns their ids. One instance: no locking needed beyond
    /// SQLite's single writer.
    pub(crate) async fn claim_unsettled(
        &self,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<String>, StoreError> {
        Ok(sqlx::query_scalar(
            "UPDATE orders SET reconcile_after = $2 WHERE id IN \
               (SELECT id FROM orders WHERE NOT settled \
                  AND (reconcile_after IS NULL OR reconcile_after <= $1) \
                ORDER BY updated_at, id LIMIT $3) \
             RETURNING id",
        )
        .bind(now)
        .bind(until)
        .bind(limit)
        .fetch_all(self.writes())
        .await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    /// The setting reaches the readers' and the writer's connections:
    /// PRAGMA synchronous reads 1 (NORMAL) or 2 (FULL).
    #[tokio::test]
    async fn durability_sets_synchronous_on_the_connections() {
        let dir = tempfile::tempdir().unwrap();
        for (durability, expected) in [(SqliteDurability::Normal, 1), (SqliteDurability::Full, 2)] {
            let path = dir.path().join(format!("{durability:?}.db"));
            let url = format!("sqlite://{}?mode=rwc", path.display());
            let options = SqliteConnectOptions::from_str(&url).unwrap();
            let store = SqliteStore::connect(options, durability).await.unwrap();
            for pool in [&store.pool, &store.writer] {
                let synchronous: i64 = sqlx::query_scalar("PRAGMA synchronous")
                    .fetch_one(pool)
                    .await
                    .unwrap();
                assert_eq!(synchronous, expected, "{durability:?}");
            }
            store.close().await;
        }
    }
}
