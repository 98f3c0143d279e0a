//! Confirm (pay), Cancel and Refresh (re-read the provider's order detail).

use super::book::outcome_unknown;
use super::fingerprint;
use super::{Claim, OrderError, OrderService};
use crate::domain::{Fen, Order, OrderId, OrderStatus, ProviderId};
use crate::providers::panhe::order_sync::apply_detail;
use crate::routing::capabilities::Capability;
use crate::store::{Alongside, StoreError};

impl OrderService {
    /// Pays for a held order, if it costs what the caller expects.
    pub async fn confirm(
        &self,
        key: &str,
        order_id: &OrderId,
        expected: Fen,
    ) -> Result<Order, OrderError> {
        let fingerprint = fingerprint::of(&[order_id.as_str(), &expected.get().to_string()]);
        if let Claim::Done(order) = self.claim(key, "confirm", &fingerprint).await? {
            return Ok(*order);
        }
        let result = self.pay(key, order_id, expected).await;
        self.finish_completed(key, result).await
    }

    /// Pays, completing `key` with the order's change whenever it answers
    /// `Ok` (see [`Self::finish_completed`]).
    async fn pay(&self, key: &str, order_id: &OrderId, expected: Fen) -> Result<Order, OrderError> {
        let order = self.get(order_id).await?;
        // Juhe issues grab orders itself: there is nothing to confirm.
        Self::require(&order, Capability::ConfirmStep)?;
        if order.status != OrderStatus::Held {
            return Err(OrderError::WrongState {
                operation: "Confirm",
                status: order.status,
            });
        }
        let (Some(provider_order_no), Some(total)) =
            (order.provider_order_no.clone(), order.total_amount)
        else {
            return Err(OrderError::WrongState {
                operation: "Confirm",
                status: order.status,
            });
        };
        if total != expected {
            return Err(OrderError::AmountMismatch {
                expected,
                actual: total,
            });
        }
        // A callback may already have moved the order on: then the stale
        // status is simply not applied.
        match self
            .panhe
            .confirm_order(&provider_order_no, total, &self.config.panhe_secret_key)
            .await
        {
            Ok(()) => {
                self.record_effect_from(
                    Some(order),
                    order_id,
                    |order| {
                        order.apply_status(OrderStatus::Issuing).ok();
                    },
                    &Alongside::completing(key),
                )
                .await
            }
            Err(error) if outcome_unknown(&error) => {
                tracing::warn!(order_id = %order.id.as_str(), error = %error, "confirm outcome unknown");
                self.save_latest_from(
                    Some(order),
                    order_id,
                    |order| {
                        order.apply_status(OrderStatus::Unknown).ok();
                    },
                    &Alongside::completing(key),
                )
                .await
            }
            Err(error) => Err(error.into()),
        }
    }

    /// Cancels an order that is still being held or is held.
    pub async fn cancel(&self, key: &str, order_id: &OrderId) -> Result<Order, OrderError> {
        let fingerprint = fingerprint::of(&[order_id.as_str()]);
        if let Claim::Done(order) = self.claim(key, "cancel", &fingerprint).await? {
            return Ok(*order);
        }
        let result = self.cancel_at_provider(order_id).await;
        self.finish(key, result).await
    }

    async fn cancel_at_provider(&self, order_id: &OrderId) -> Result<Order, OrderError> {
        let order = self.get(order_id).await?;
        Self::require(&order, Capability::Cancel)?;
        if order.provider == ProviderId::Juhe {
            return self.cancel_juhe(&order).await;
        }
        let cancellable = matches!(order.status, OrderStatus::Pending | OrderStatus::Held);
        let Some(provider_order_no) = order.provider_order_no.clone().filter(|_| cancellable)
        else {
            return Err(OrderError::WrongState {
                operation: "Cancel",
                status: order.status,
            });
        };
        match self.panhe.cancel_order(&provider_order_no).await {
            Ok(()) => {
                self.record_effect(order_id, |order| {
                    order.apply_status(OrderStatus::Cancelled).ok();
                })
                .await
            }
            Err(error) if outcome_unknown(&error) => {
                self.save_latest(order_id, |order| {
                    order.apply_status(OrderStatus::Unknown).ok();
                })
                .await
            }
            Err(error) => Err(error.into()),
        }
    }

    /// Re-reads the provider's order detail and records what changed.
    /// Callbacks and the reconciler both end here. Retries once when a
    /// concurrent writer got there first.
    pub async fn refresh(&self, order_id: &OrderId) -> Result<Order, OrderError> {
        self.refresh_from(None, order_id, None, &Alongside::default())
            .await
    }

    /// [`Self::refresh`] for a Panhe callback that names its order number.
    ///
    /// Panhe may call back about a hold before its createOrder answer has
    /// been recorded (the callback overtakes the answer). Asking Panhe to
    /// retry later cost the order the provider's retry delay, or the
    /// reconciler's interval; instead the order is read by the number the
    /// callback names, and adopted only if Panhe's detail carries the
    /// customerOrderNo railgate sent for this order. Book's own answer,
    /// recorded afterwards, then finds the number already there.
    pub async fn refresh_named(
        &self,
        order_id: &OrderId,
        provider_order_no: &str,
    ) -> Result<Order, OrderError> {
        self.refresh_from(
            None,
            order_id,
            Some(provider_order_no),
            &Alongside::default(),
        )
        .await
    }

    /// [`Self::refresh_named`] for a Panhe callback: it is written to the
    /// inbox (`dedupe_key`, its raw `payload`), processed, in the
    /// transaction that records what it brought (on its own if nothing), so
    /// on `Ok` it is processed. On an error nothing of it is written, and
    /// Panhe's retry is processed afresh.
    pub async fn refresh_for_callback(
        &self,
        order: Order,
        provider_order_no: &str,
        dedupe_key: &str,
        payload: &[u8],
    ) -> Result<Order, OrderError> {
        let recorded = Alongside::recording(ProviderId::Panhe, dedupe_key, payload);
        let order_id = &order.id.clone();
        self.refresh_from(Some(order), order_id, Some(provider_order_no), &recorded)
            .await
    }

    /// Re-reads the provider's detail onto `read` (the order as the
    /// caller has it; None: read it now) and saves what changed, with
    /// `alongside`. On `Ok`, `alongside` is committed.
    pub(super) async fn refresh_from(
        &self,
        read: Option<Order>,
        order_id: &OrderId,
        named: Option<&str>,
        alongside: &Alongside<'_>,
    ) -> Result<Order, OrderError> {
        self.refresh_then(read, order_id, named, |_| {}, alongside)
            .await
    }

    /// [`Self::refresh_from`], applying `effect` after the provider's
    /// detail and saving both in one transaction: a provider call's
    /// effect that its detail may not show yet (see
    /// [`Self::record_effect`]). Retries twice when a concurrent writer
    /// got there first.
    pub(super) async fn refresh_then(
        &self,
        read: Option<Order>,
        order_id: &OrderId,
        named: Option<&str>,
        effect: impl Fn(&mut Order),
        alongside: &Alongside<'_>,
    ) -> Result<Order, OrderError> {
        let mut attempts = 0;
        let mut read = read;
        loop {
            attempts += 1;
            let order = match read.take() {
                Some(order) => order,
                None => self.get(order_id).await?,
            };
            let (before, mut order) = self.with_detail(order, order_id, named).await?;
            effect(&mut order);
            match self.save_alongside(&before, &mut order, alongside).await {
                Err(OrderError::Store(StoreError::Conflict { .. })) if attempts < 3 => continue,
                Err(error) => return Err(error),
                Ok(()) => return Ok(order),
            }
        }
    }

    /// `order` as stored and as the provider's detail has it, to save.
    /// Juhe's refresh saves on its own path, so both are its result; an
    /// order without a Panhe number, or one a callback named under
    /// another customer order number, is left as it is.
    async fn with_detail(
        &self,
        order: Order,
        order_id: &OrderId,
        named: Option<&str>,
    ) -> Result<(Order, Order), OrderError> {
        if order.provider == ProviderId::Juhe {
            let order = self.refresh_juhe(order_id).await?;
            return Ok((order.clone(), order));
        }
        let recorded = order.provider_order_no.is_some();
        let Some(provider_order_no) = order
            .provider_order_no
            .clone()
            .or_else(|| named.map(str::to_owned))
        else {
            return Ok((order.clone(), order));
        };
        let detail = self.panhe.order_detail(&provider_order_no).await?;
        if !recorded && detail.customer_order_no.as_deref() != Some(&order.customer_order_no) {
            tracing::warn!(
                order_id = %order_id.as_str(),
                "a callback named a Panhe order booked under another customer order number: not adopted"
            );
            return Ok((order.clone(), order));
        }
        let before = order.clone();
        let mut order = order;
        apply_detail(&mut order, &detail)?;
        Ok((before, order))
    }

    /// Completes the idempotency key on success; otherwise as
    /// [`Self::finish_completed`].
    pub(super) async fn finish(
        &self,
        key: &str,
        result: Result<Order, OrderError>,
    ) -> Result<Order, OrderError> {
        if let Ok(order) = &result {
            self.store
                .complete_idempotent(key, order.id.as_str().as_bytes())
                .await?;
        }
        self.finish_completed(key, result).await
    }

    /// [`Self::finish`] for work that completed the key itself, with its
    /// change ([`Alongside::completing`]) whenever it answered `Ok`. On a
    /// definite failure (nothing happened at the provider) the key is
    /// released so a retry may try again; on a failure that may have acted
    /// it stays claimed.
    pub(super) async fn finish_completed(
        &self,
        key: &str,
        result: Result<Order, OrderError>,
    ) -> Result<Order, OrderError> {
        match &result {
            Ok(_) => {}
            // A retry at once would send the call again: within the key's
            // lease it is told the request is in progress; after it, it
            // resumes and finds the order as the reconciler read it.
            Err(error) if may_have_acted(error) => {}
            Err(_) => self.store.release_idempotent(key).await?,
        }
        result
    }
}

/// Whether a failed request may still have had its effect at the provider.
/// Confirm, Cancel and Refund record such an outcome on the order and
/// answer; ConfirmChange and CancelChange answer the error, the change
/// staying as last read until the reconciler reads it again. Releasing
/// their key let the caller's prompt retry pay a change twice (issue 19,
/// found by the network fault matrix).
fn may_have_acted(error: &OrderError) -> bool {
    matches!(error, OrderError::Provider(error) if outcome_unknown(error))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::{ProviderError, RejectReason};
    use std::time::Duration;

    #[test]
    fn a_lost_answer_keeps_the_key_and_a_refusal_releases_it() {
        let provider = ProviderId::Panhe;
        let lost = [
            ProviderError::Timeout {
                provider,
                timeout: Duration::from_millis(1_500),
            },
            ProviderError::HttpStatus {
                provider,
                status: 502,
            },
        ];
        for error in lost {
            assert!(may_have_acted(&OrderError::Provider(error)));
        }
        let refused = [
            ProviderError::Rejected {
                provider,
                reason: RejectReason::OrderStateConflict,
                code: None,
                message: "只有改签占位成功状态下才允许确认改签".into(),
            },
            ProviderError::CircuitOpen {
                provider,
                retry_in: Duration::from_secs(1),
            },
        ];
        for error in refused {
            assert!(!may_have_acted(&OrderError::Provider(error)));
        }
        assert!(!may_have_acted(&OrderError::ChangeNotFound("chg".into())));
    }
}
