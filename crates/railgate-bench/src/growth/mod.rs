//! How cost grows: what reading orders, the reconciler and the search
//! cache cost as what they work on grows tenfold a step. Each measurement
//! is a table and a log-log plot in docs/PERFORMANCE.md ([`section`]).
//!
//! - [`orders`]: GetOrder and ListOrders against orders stored.
//! - [`reconciler`]: provider calls and CPU against unsettled orders.
//! - [`cache`]: the search cache's memory and lookups against routes.
//! - [`providers`]: Search latency against the providers configured (from
//!   the suite's Search rows).
//!
//! The stores are filled with copies of one real order ([`seed`]).

pub mod cache;
pub mod orders;
pub mod providers;
pub mod reconciler;
pub mod section;
pub mod seed;

use crate::gateway::{Gateway, StoreChoice};
use crate::{BenchError, capture};
use serde::Serialize;
use std::time::Duration;

pub(crate) use orders::issue_one;
pub use orders::{Calls, OrderReads, ReadPoint};

/// Latency percentiles of serial calls.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Latency {
    pub calls: usize,
    pub p50_us: f64,
    pub p99_us: f64,
}

impl Latency {
    /// Percentiles of `samples` (nearest rank); zero calls give zeros.
    pub fn of(mut samples: Vec<Duration>) -> Self {
        samples.sort_unstable();
        let rank = |quantile: f64| -> f64 {
            if samples.is_empty() {
                return 0.0;
            }
            let index = ((quantile * samples.len() as f64).ceil() as usize).clamp(1, samples.len());
            samples[index - 1].as_secs_f64() * 1e6
        };
        Self {
            calls: samples.len(),
            p50_us: rank(0.50),
            p99_us: rank(0.99),
        }
    }
}

/// The sizes and call counts of every measurement.
#[derive(Debug, Clone, Copy)]
pub struct Plan {
    /// Orders stored at each step, and the reads made at each.
    pub stored_orders: &'static [u64],
    pub order_reads: Calls,
    /// Unsettled orders at each step, and how long each is watched.
    pub unsettled_orders: &'static [u64],
    pub reconciler_window: Duration,
    /// Routes cached at each step, and the lookups made at each.
    pub cached_routes: &'static [u64],
    pub cache_lookups: usize,
}

/// What the measurements found; a measurement that could not run is in
/// `skipped`, with why.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Growth {
    /// SQLite, then PostgreSQL.
    pub order_reads: Vec<OrderReads>,
    pub reconciler: Option<reconciler::ReconcileGrowth>,
    pub search_cache: Option<cache::CacheGrowth>,
    pub skipped: Vec<String>,
}

/// Runs every measurement of `plan`, the order reads on SQLite and on
/// `postgres`. The search cache comes last: it leaves this process's
/// resident memory gigabytes larger.
pub async fn measure(plan: &Plan, postgres: &StoreChoice) -> Growth {
    let mut growth = Growth::default();
    for (backend, store) in [
        ("SQLite", StoreChoice::Sqlite),
        ("PostgreSQL", postgres.clone()),
    ] {
        let reads = orders::order_reads(backend, store, plan.stored_orders, plan.order_reads);
        match reads.await {
            Ok(reads) => growth.order_reads.push(reads),
            Err(error) => growth
                .skipped
                .push(format!("{} ({backend}): {error}", orders::NAME)),
        }
    }
    let polls = reconciler::reconciler_growth(plan.unsettled_orders, plan.reconciler_window);
    match polls.await {
        Ok(found) => growth.reconciler = Some(found),
        Err(error) => growth
            .skipped
            .push(format!("{}: {error}", reconciler::NAME)),
    }
    match search_cache(plan).await {
        Ok(found) => growth.search_cache = Some(found),
        Err(error) => growth.skipped.push(format!("{}: {error}", cache::NAME)),
    }
    growth
}

/// The search cache filled with copies of the answer a Panhe-only
/// gateway gives for the bench route.
async fn search_cache(plan: &Plan) -> Result<cache::CacheGrowth, BenchError> {
    let gateway = Gateway::start(crate::sqlite(3_600_000)).await?;
    let answer = capture(&gateway.uri()).await;
    gateway.stop().await;
    cache::cache_growth(&answer?, plan.cached_routes, plan.cache_lookups).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank() {
        let samples = (1..=100).map(Duration::from_micros).collect();
        let latency = Latency::of(samples);
        assert_eq!(latency.calls, 100);
        assert_eq!(latency.p50_us, 50.0);
        assert_eq!(latency.p99_us, 99.0);
        let one = Latency::of(vec![Duration::from_micros(7)]);
        assert_eq!((one.p50_us, one.p99_us), (7.0, 7.0));
        assert_eq!(Latency::of(Vec::new()).p99_us, 0.0);
    }
}
