//! Everything that can go wrong in the store, and which of it means "the
//! database is out of reach for now" (callers are told UNAVAILABLE).

use crate::domain::OrderId;

/// Everything that can go wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The record does not exist.
    #[error("{entity} {id} not found")]
    NotFound {
        /// What was looked for (`order`, `idempotency key`, ...).
        entity: &'static str,
        /// Its id.
        id: String,
    },
    /// A claimed outbox message is no longer the claimer's: its lease ran
    /// out and another claim took it, or it was settled since.
    #[error("outbox message {id} is no longer held by this claim (its lease ran out)")]
    ClaimLost {
        /// The message.
        id: i64,
    },
    /// Optimistic concurrency: someone else updated the order first.
    /// Re-read and re-apply.
    #[error("order {order_id} was changed concurrently (expected version {expected})")]
    Conflict {
        /// The order.
        order_id: OrderId,
        /// The version the writer started from.
        expected: i64,
    },
    /// A unique value is taken (order id, customer order number, provider
    /// order number).
    #[error("{0} already exists")]
    AlreadyExists(&'static str),
    /// A page token this store did not issue.
    #[error("invalid page token")]
    InvalidPageToken,
    /// The database URL is neither `sqlite:` nor `postgres:`.
    #[error("unsupported database URL scheme (use sqlite:// or postgres://)")]
    UnsupportedUrl,
    /// Stored data that does not parse (an unknown code, a bad id).
    #[error("stored data is invalid: {0}")]
    Corrupt(String),
    /// The database refused or failed.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// An embedded migration failed.
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

impl StoreError {
    /// Whether the database is out of reach or cannot take writes for now
    /// (restarting, unreachable, pool exhausted, disk full, locked), so the
    /// same call may succeed later: callers are told UNAVAILABLE, not
    /// INTERNAL. sqlx reconnects by itself: the pool tests a connection
    /// before lending it and opens a new one for a broken one.
    pub fn is_unavailable(&self) -> bool {
        match self {
            StoreError::Database(error) => database_unavailable(error),
            _ => false,
        }
    }
}

fn database_unavailable(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::Io(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed
        | sqlx::Error::Tls(_)
        // A transaction cut off by the failure above (SQLite rolls back
        // on a full disk) leaves the connection's transaction bookkeeping
        // behind for the next BEGIN: the same fault, seen one call later.
        | sqlx::Error::InvalidSavePointStatement
        | sqlx::Error::BeginFailed => true,
        sqlx::Error::Database(database) => database
            .code()
            .is_some_and(|code| unavailable_code(&code)),
        _ => false,
    }
}

/// PostgreSQL SQLSTATEs and SQLite result codes that mean "not now".
fn unavailable_code(code: &str) -> bool {
    // PostgreSQL: class 08 connection exception, 53 insufficient resources
    // (53100 disk full), 57P01–57P03 shutdown and start-up, 40001/40P01
    // serialization failure and deadlock (retryable as a whole).
    code.starts_with("08")
        || code.starts_with("53")
        || matches!(code, "57P01" | "57P02" | "57P03" | "40001" | "40P01")
        // SQLite primary (and extended) codes: 5 BUSY, 6 LOCKED, 10 IOERR,
        // 13 FULL, 14 CANTOPEN. sqlx reports the extended code as text.
        || code
            .parse::<i32>()
            .is_ok_and(|code| matches!(code & 0xff, 5 | 6 | 10 | 13 | 14))
}

/// Maps a unique-constraint violation to `AlreadyExists(what)`.
pub(super) fn unique_violation(error: sqlx::Error, what: &'static str) -> StoreError {
    match &error {
        sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::AlreadyExists(what),
        _ => StoreError::Database(error),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_that_mean_not_now_are_unavailable() {
        for code in [
            "08006", "08001", "53100", "57P01", "57P03", "40001", "5", "13", "1290",
        ] {
            assert!(unavailable_code(code), "{code}");
        }
        for code in ["23505", "42P01", "22001", "1", "19", "2067"] {
            assert!(!unavailable_code(code), "{code}");
        }
        assert!(StoreError::Database(sqlx::Error::PoolTimedOut).is_unavailable());
        assert!(
            StoreError::Database(sqlx::Error::Io(std::io::Error::from(
                std::io::ErrorKind::ConnectionReset
            )))
            .is_unavailable()
        );
        assert!(!StoreError::Database(sqlx::Error::RowNotFound).is_unavailable());
        assert!(!StoreError::Corrupt("x".into()).is_unavailable());
    }
}
