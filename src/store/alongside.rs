//! Bookkeeping committed in the same transaction as an order change: the
//! idempotency key whose request the change answers, and the provider
//! callback it processes. One transaction instead of two or three per
//! step of an order (issue 18), and no window in which the order changed
//! but its key or its callback still reads as unfinished.

use super::{Backend, Store, StoreError};
use crate::domain::{OrderId, ProviderId};

/// What to commit with an order change. Empty by default.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Alongside<'a> {
    /// Complete this idempotency key, answering with the order's id (what
    /// every order-producing request stores as its response).
    pub completes_key: Option<&'a str>,
    /// Mark this callback inbox entry processed.
    pub processes_callback: Option<(ProviderId, &'a str)>,
}

impl<'a> Alongside<'a> {
    /// Completes `key` with the change.
    pub fn completing(key: &'a str) -> Self {
        Self {
            completes_key: Some(key),
            ..Self::default()
        }
    }

    /// Marks the callback `dedupe_key` of `provider` processed with the
    /// change.
    pub fn processing(provider: ProviderId, dedupe_key: &'a str) -> Self {
        Self {
            processes_callback: Some((provider, dedupe_key)),
            ..Self::default()
        }
    }

    /// Nothing to commit.
    pub fn is_empty(&self) -> bool {
        self.completes_key.is_none() && self.processes_callback.is_none()
    }
}

impl Store {
    /// Commits `alongside` on its own, for a step whose order did not
    /// change (the provider's detail showed nothing new): one transaction.
    pub async fn commit_alongside(
        &self,
        order_id: &OrderId,
        alongside: &Alongside<'_>,
    ) -> Result<(), StoreError> {
        if alongside.is_empty() {
            return Ok(());
        }
        let now = self.now();
        dispatch!(self.commit_alongside(order_id.as_str(), alongside, now))
    }
}

/// The backend side, the same SQL on both: `alongside_queries!(SqliteStore)`,
/// after `shared_queries!` (whose `Connection` alias it uses).
macro_rules! alongside_queries {
    ($store:ty) => {
        impl $store {
            /// Writes `alongside` on `conn`, inside the caller's
            /// transaction. A key already completed keeps its first
            /// response (the statement only fills an empty one).
            async fn write_alongside(
                conn: &mut Connection,
                order_id: &str,
                alongside: &$crate::store::Alongside<'_>,
                now: chrono::DateTime<chrono::Utc>,
            ) -> Result<(), $crate::store::StoreError> {
                if let Some(key) = alongside.completes_key {
                    sqlx::query($crate::store::sql::IDEMPOTENCY_COMPLETE)
                        .bind(key)
                        .bind(order_id.as_bytes())
                        .bind(now)
                        .execute(&mut *conn)
                        .await?;
                }
                if let Some((provider, dedupe_key)) = alongside.processes_callback {
                    sqlx::query($crate::store::sql::INBOX_PROCESSED)
                        .bind(provider.as_str())
                        .bind(dedupe_key)
                        .bind(now)
                        .execute(&mut *conn)
                        .await?;
                }
                Ok(())
            }

            pub(crate) async fn commit_alongside(
                &self,
                order_id: &str,
                alongside: &$crate::store::Alongside<'_>,
                now: chrono::DateTime<chrono::Utc>,
            ) -> Result<(), $crate::store::StoreError> {
                let mut tx = self.begin_write().await?;
                Self::write_alongside(&mut tx, order_id, alongside, now).await?;
                tx.commit().await?;
                Ok(())
            }
        }
    };
}

pub(crate) use alongside_queries;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constructors_fill_one_part_each() {
        assert!(Alongside::default().is_empty());
        let key = Alongside::completing("k");
        assert_eq!(key.completes_key, Some("k"));
        assert!(key.processes_callback.is_none());
        let callback = Alongside::processing(ProviderId::Panhe, "order:1:abc");
        assert_eq!(
            callback.processes_callback,
            Some((ProviderId::Panhe, "order:1:abc"))
        );
        assert!(!callback.is_empty());
    }
}
