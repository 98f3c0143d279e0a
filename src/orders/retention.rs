//! Retention of personal data the store keeps beyond the order itself:
//! raw provider callback bodies in the inbox, and the order snapshots
//! every event copies. PIPL's storage-limitation duty (个人信息保存期限应当
//! 为实现处理目的所必要的最短时间) asks that they go once they are no
//! longer needed: an inbox entry once it has been processed and the
//! provider has stopped retrying, an order's history once the order is
//! settled and nobody resumes a watch that far back. The order and its
//! tickets stay (they are the booking record); the last event stays too.

use crate::domain::time::SharedClock;
use crate::store::Store;
use std::future::Future;
use std::time::Duration;

/// How long what is pruned is kept, in days; 0 keeps it for ever.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    /// Processed callback inbox entries.
    pub inbox_days: u32,
    /// Events (but the last) of settled orders, after their last change.
    pub event_days: u32,
}

/// How often the sweep runs.
const SWEEP_INTERVAL: Duration = Duration::from_secs(3600);

/// Sweeps every hour (the first at start) until `stopped`.
pub async fn run(
    store: Store,
    clock: SharedClock,
    retention: Retention,
    stopped: impl Future<Output = ()>,
) {
    let mut ticker = tokio::time::interval(SWEEP_INTERVAL);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tokio::pin!(stopped);
    loop {
        tokio::select! {
            () = &mut stopped => return,
            _ = ticker.tick() => sweep(&store, &clock, retention).await,
        }
    }
}

/// One sweep at the clock's now.
pub async fn sweep(store: &Store, clock: &SharedClock, retention: Retention) {
    let now = clock.now_utc();
    // 0 days: a cut-off before anything was stored (1970, which both
    // backends can compare with).
    let cutoff = |days: u32| match days {
        0 => chrono::DateTime::<chrono::Utc>::UNIX_EPOCH,
        days => now - chrono::Duration::days(i64::from(days)),
    };
    match store
        .prune(cutoff(retention.inbox_days), cutoff(retention.event_days))
        .await
    {
        Ok(pruned) if pruned.inbox > 0 || pruned.events > 0 => tracing::info!(
            inbox_entries = pruned.inbox,
            order_events = pruned.events,
            "retention sweep removed personal data past its keeping time"
        ),
        Ok(_) => {}
        Err(error) => tracing::warn!(
            error = %crate::telemetry::ErrorChain(&error),
            "retention sweep failed; the next one retries"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alitrip::fixtures::issued_order;
    use crate::domain::time::FixedClock;
    use crate::domain::{OrderEventKind, OrderStatus, ProviderId};
    use std::sync::Arc;

    #[tokio::test]
    async fn the_sweep_keeps_what_is_young_and_prunes_what_is_old() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("r.db").display());
        let store = Store::connect(&url).await.unwrap();
        let mut order = issued_order();
        order.status = OrderStatus::Held;
        store.insert_order(&mut order).await.unwrap();
        order.status = OrderStatus::Cancelled;
        store
            .update_order(&mut order, OrderEventKind::StatusChanged, &[])
            .await
            .unwrap();
        store
            .record_callback(ProviderId::Panhe, "k", b"{}")
            .await
            .unwrap();
        store
            .mark_callback_processed(ProviderId::Panhe, "k")
            .await
            .unwrap();
        let retention = Retention {
            inbox_days: 30,
            event_days: 90,
        };
        let at = |days: i64| -> SharedClock {
            Arc::new(FixedClock(
                chrono::Utc::now() + chrono::Duration::days(days),
            ))
        };
        sweep(&store, &at(29), retention).await;
        assert_eq!(store.events_after(&order.id, 0).await.unwrap().len(), 2);
        assert!(
            !store
                .record_callback(ProviderId::Panhe, "k", b"{}")
                .await
                .unwrap()
        );
        // The inbox entry is 31 days old: gone (a redelivery is new again).
        // The events are kept until day 90.
        store
            .mark_callback_processed(ProviderId::Panhe, "k")
            .await
            .unwrap();
        sweep(&store, &at(31), retention).await;
        assert!(
            store
                .record_callback(ProviderId::Panhe, "k", b"{}")
                .await
                .unwrap()
        );
        assert_eq!(store.events_after(&order.id, 0).await.unwrap().len(), 2);
        sweep(&store, &at(91), retention).await;
        assert_eq!(store.events_after(&order.id, 0).await.unwrap().len(), 1);
        // 0 keeps for ever.
        let forever = Retention {
            inbox_days: 0,
            event_days: 0,
        };
        store
            .mark_callback_processed(ProviderId::Panhe, "k")
            .await
            .unwrap();
        sweep(&store, &at(10_000), forever).await;
        assert!(
            !store
                .record_callback(ProviderId::Panhe, "k", b"{}")
                .await
                .unwrap()
        );
    }
}
