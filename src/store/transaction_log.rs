//! The event each store transaction opens with, at `debug`: what
//! `railgate-bench` counts transactions by (see its `statements` module),
//! the same way on both backends.

/// The `tracing` target of the event each transaction opens with: what
/// the benchmark counts transactions by, on both backends alike (sqlx
/// logs PostgreSQL's `BEGIN` as a statement but not SQLite's).
pub const TRANSACTION_LOG_TARGET: &str = "railgate::store::transaction";

/// Which kind of transaction a store operation opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransactionKind {
    Read,
    Write,
}

impl TransactionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TransactionKind::Read => "read",
            TransactionKind::Write => "write",
        }
    }
}

/// Notes a transaction being opened, at `debug` under
/// [`TRANSACTION_LOG_TARGET`]: a disabled callsite costs nothing.
pub(super) fn note_transaction(kind: TransactionKind) {
    tracing::debug!(target: TRANSACTION_LOG_TARGET, kind = kind.as_str(), "transaction");
}
