//! Bookkeeping committed in the same transaction as an order change: the
//! idempotency key whose request the change answers, and the provider
//! callback it processes (written to the inbox, processed, with the
//! change). One transaction instead of two or three per step of an order
//! (issue 18), and no window in which the order changed but its key or its
//! callback still reads as unfinished.

use super::{Backend, Store, StoreError};
use crate::domain::{Order, OrderId, ProviderId};

/// What to commit with an order change. Empty by default.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Alongside<'a> {
    /// Complete this idempotency key, answering with the order's id (what
    /// every order-producing request stores as its response).
    pub completes_key: Option<&'a str>,
    /// Record this callback in the inbox, processed.
    pub records_callback: Option<CallbackRecord<'a>>,
}

/// A provider callback as the inbox keeps it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallbackRecord<'a> {
    pub provider: ProviderId,
    /// What tells one notification from another (and a copy of it).
    pub dedupe_key: &'a str,
    /// The raw body, kept for retention's time (it may name passengers).
    pub payload: &'a [u8],
}

impl<'a> Alongside<'a> {
    /// Completes `key` with the change.
    pub fn completing(key: &'a str) -> Self {
        Self {
            completes_key: Some(key),
            ..Self::default()
        }
    }

    /// Records the callback `dedupe_key` of `provider` in the inbox,
    /// processed, with the change.
    pub fn recording(provider: ProviderId, dedupe_key: &'a str, payload: &'a [u8]) -> Self {
        Self {
            records_callback: Some(CallbackRecord {
                provider,
                dedupe_key,
                payload,
            }),
            ..Self::default()
        }
    }

    /// Nothing to commit.
    pub fn is_empty(&self) -> bool {
        self.completes_key.is_none() && self.records_callback.is_none()
    }
}

/// An inbox entry is written once processed, with the change it brought;
/// an entry recorded unprocessed (Juhe's callbacks record first) is marked.
pub(crate) const INBOX_RECORD_PROCESSED: &str = "INSERT INTO callback_inbox \
     (provider, dedupe_key, payload, received_at, processed_at) VALUES ($1, $2, $3, $4, $4) \
     ON CONFLICT (provider, dedupe_key) DO UPDATE SET processed_at = excluded.processed_at";

impl Store {
    /// The order a callback is about, by the provider's order number, else
    /// by the customer order number railgate sent; with whether the inbox
    /// already holds this callback (`dedupe_key`) as processed: one
    /// statement per lookup, the whole order, so processing the callback
    /// need not read it again.
    pub async fn find_order_for_callback(
        &self,
        provider: ProviderId,
        provider_order_no: &str,
        customer_order_no: Option<&str>,
        dedupe_key: &str,
    ) -> Result<Option<(Order, bool)>, StoreError> {
        if let Some(found) = dispatch!(self.read_order_for_callback(
            "provider_order_no",
            provider,
            provider_order_no,
            dedupe_key
        ))? {
            return Ok(Some(found));
        }
        match customer_order_no {
            Some(number) => dispatch!(self.read_order_for_callback(
                "customer_order_no",
                provider,
                number,
                dedupe_key
            )),
            None => Ok(None),
        }
    }

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
                if let Some(callback) = alongside.records_callback {
                    sqlx::query($crate::store::alongside::INBOX_RECORD_PROCESSED)
                        .bind(callback.provider.as_str())
                        .bind(callback.dedupe_key)
                        .bind(callback.payload)
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
        assert!(key.records_callback.is_none());
        let callback = Alongside::recording(ProviderId::Panhe, "order:1:abc", b"{}");
        assert_eq!(
            callback.records_callback,
            Some(CallbackRecord {
                provider: ProviderId::Panhe,
                dedupe_key: "order:1:abc",
                payload: b"{}",
            })
        );
        assert!(callback.completes_key.is_none());
        assert!(!callback.is_empty());
    }
}
