//! railgate's metrics, in Prometheus text format at the HTTP listener's
//! `/metrics`.
//!
//! `prometheus-client` (the Prometheus project's own Rust client) rather
//! than the `metrics` facade: its registry is a value, not a process
//! global, so each railgate instance in a test process (and each bench
//! gateway) has its own figures, and every family's label set is a typed
//! struct, so no call site can invent a label with unbounded values.
//! Names follow the OpenTelemetry semantic conventions where they exist
//! (`rpc.server.call.duration` → `rpc_server_call_duration_seconds`), in
//! seconds; railgate's own are prefixed `railgate_`.
//!
//! No label carries personal data or a caller-chosen string: RPC and
//! provider operation names come from railgate's own tables, codes and
//! outcomes from closed sets.

mod labels;
mod rpc;
pub mod text;

use labels::{
    CacheLabels, CallbackLabels, DeliveryLabels, OutboxLabels, PoolLabels, RefusalLabels,
    ReplyLabels, StatusLabels, StoreLabels, TransitionLabels,
};
pub use labels::{
    CacheOutcome, CallbackOutcome, DeliveryOutcome, ProviderLabels, ProviderOutcome, Refusal,
    ReplyOutcome, RpcLabels,
};
pub use rpc::MetricsLayer;
pub(crate) use rpc::{method_of, status_code};

use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::{Registry, Unit};
use std::sync::Arc;
use std::sync::atomic::AtomicU64;

/// Every family railgate exposes, by its name in the exposition (counters
/// without `_total`), in registration order: what dashboards and alert
/// rules may query.
pub const FAMILIES: &[&str] = &[
    "rpc_server_call_duration_seconds",
    "rpc_server_calls_in_flight",
    "railgate_call_refusals",
    "railgate_search_provider_answers",
    "railgate_search_replies",
    "railgate_provider_call_duration_seconds",
    "railgate_watch_streams_open",
    "railgate_order_transitions",
    "railgate_callbacks",
    "railgate_outbox_messages",
    "railgate_outbox_delivery_attempts",
    "railgate_store_operation_duration_seconds",
    "railgate_store_pool_connections",
    "railgate_orders_unsettled",
    "railgate_orders_unsettled_oldest_unchanged_seconds",
    "railgate_runtime_alive_tasks",
];

/// Latency buckets in seconds, 0.5 ms to 30 s: a cached Search is well
/// under a millisecond, a provider call can take its whole timeout.
const SECONDS_BUCKETS: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0, 30.0,
];

fn seconds_histogram() -> Histogram {
    Histogram::new(SECONDS_BUCKETS)
}

struct Instruments {
    registry: Registry,
    rpc_duration: Family<RpcLabels, Histogram>,
    rpc_in_flight: Gauge,
    refusals: Family<RefusalLabels, Counter>,
    search_cache: Family<CacheLabels, Counter>,
    search_replies: Family<ReplyLabels, Counter>,
    provider_duration: Family<ProviderLabels, Histogram>,
    watch_streams: Gauge,
    order_transitions: Family<TransitionLabels, Counter>,
    callbacks: Family<CallbackLabels, Counter>,
    outbox: Family<OutboxLabels, Gauge>,
    deliveries: Family<DeliveryLabels, Counter>,
    store_duration: Family<StoreLabels, Histogram>,
    store_pool: Family<PoolLabels, Gauge>,
    unsettled: Family<StatusLabels, Gauge>,
    unsettled_oldest: Family<StatusLabels, Gauge<f64, AtomicU64>>,
    alive_tasks: Gauge,
}

/// The instruments of one railgate instance; cheap to clone.
#[derive(Clone)]
pub struct Metrics(Arc<Instruments>);

impl std::fmt::Debug for Metrics {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("Metrics")
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// A fresh registry with every instrument.
    pub fn new() -> Self {
        let mut registry = Registry::default();
        let rpc_duration =
            Family::<RpcLabels, Histogram>::new_with_constructor(seconds_histogram as fn() -> _);
        registry.register_with_unit(
            "rpc_server_call_duration",
            "Duration of gRPC calls railgate served, until the answer's headers",
            Unit::Seconds,
            rpc_duration.clone(),
        );
        let rpc_in_flight = Gauge::default();
        registry.register(
            "rpc_server_calls_in_flight",
            "gRPC calls being handled now",
            rpc_in_flight.clone(),
        );
        let refusals = Family::<RefusalLabels, Counter>::default();
        registry.register(
            "railgate_call_refusals",
            "Calls refused before any service saw them, by reason",
            refusals.clone(),
        );
        let search_cache = Family::<CacheLabels, Counter>::default();
        registry.register(
            "railgate_search_provider_answers",
            "Provider answers for searches, by where they came from (cache hit, miss, joined)",
            search_cache.clone(),
        );
        let search_replies = Family::<ReplyLabels, Counter>::default();
        registry.register(
            "railgate_search_replies",
            "Search replies, by how they were made (reused encoded, or encoded)",
            search_replies.clone(),
        );
        let provider_duration = Family::<ProviderLabels, Histogram>::new_with_constructor(
            seconds_histogram as fn() -> _,
        );
        registry.register_with_unit(
            "railgate_provider_call_duration",
            "Duration of provider HTTP calls, queueing in their limits included",
            Unit::Seconds,
            provider_duration.clone(),
        );
        let watch_streams = Gauge::default();
        registry.register(
            "railgate_watch_streams_open",
            "WatchOrder streams open now",
            watch_streams.clone(),
        );
        let order_transitions = Family::<TransitionLabels, Counter>::default();
        registry.register(
            "railgate_order_transitions",
            "Order status changes recorded by this instance, from one status to another \
             (from \"none\" for a new order; to \"unknown\" when a provider call's outcome was lost)",
            order_transitions.clone(),
        );
        let callbacks = Family::<CallbackLabels, Counter>::default();
        registry.register(
            "railgate_callbacks",
            "Provider callbacks received, by how railgate answered them",
            callbacks.clone(),
        );
        let outbox = Family::<OutboxLabels, Gauge>::default();
        registry.register(
            "railgate_outbox_messages",
            "Partner notifications not delivered, by state (pending; retrying, the pending that \
             failed before; dead), read from the store at each scrape",
            outbox.clone(),
        );
        let deliveries = Family::<DeliveryLabels, Counter>::default();
        registry.register(
            "railgate_outbox_delivery_attempts",
            "Partner notification delivery attempts by this instance, by outcome",
            deliveries.clone(),
        );
        let store_duration =
            Family::<StoreLabels, Histogram>::new_with_constructor(seconds_histogram as fn() -> _);
        registry.register_with_unit(
            "railgate_store_operation_duration",
            "Duration of order store operations (each one or a few statements in a transaction), \
             by operation, backend and outcome",
            Unit::Seconds,
            store_duration.clone(),
        );
        let store_pool = Family::<PoolLabels, Gauge>::default();
        registry.register(
            "railgate_store_pool_connections",
            "Order store pool connections by state (in_use, idle), at each scrape",
            store_pool.clone(),
        );
        let unsettled = Family::<StatusLabels, Gauge>::default();
        registry.register(
            "railgate_orders_unsettled",
            "Orders the reconciler has yet to settle, by status, read from the store at each \
             scrape (status unknown: a provider call's outcome was lost)",
            unsettled.clone(),
        );
        let unsettled_oldest = Family::<StatusLabels, Gauge<f64, AtomicU64>>::default();
        registry.register_with_unit(
            "railgate_orders_unsettled_oldest_unchanged",
            "Of the unsettled orders of each status, how long the one unchanged longest has \
             gone without a change (0 when there is none)",
            Unit::Seconds,
            unsettled_oldest.clone(),
        );
        let alive_tasks = Gauge::default();
        registry.register(
            "railgate_runtime_alive_tasks",
            "Tasks alive on railgate's tokio runtime (spawned, not yet finished), at each scrape: \
             a figure that keeps growing under steady load is a task leak",
            alive_tasks.clone(),
        );
        Self(Arc::new(Instruments {
            registry,
            rpc_duration,
            rpc_in_flight,
            refusals,
            search_cache,
            search_replies,
            provider_duration,
            watch_streams,
            order_transitions,
            callbacks,
            outbox,
            deliveries,
            store_duration,
            store_pool,
            unsettled,
            unsettled_oldest,
            alive_tasks,
        }))
    }

    /// The exposition of every instrument as the `Accept` header asks:
    /// its content type and text.
    pub fn exposition(&self, accept: Option<&str>) -> (&'static str, String) {
        if text::wants_openmetrics(accept) {
            (text::OPENMETRICS, self.render())
        } else {
            (
                text::PROMETHEUS_TEXT,
                text::to_prometheus_text(&self.render()),
            )
        }
    }

    /// The OpenMetrics text exposition of every instrument.
    pub fn render(&self) -> String {
        let mut text = String::new();
        // Writing to a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut text, &self.0.registry);
        text
    }

    /// One finished gRPC call.
    pub fn rpc_finished(&self, labels: RpcLabels, seconds: f64) {
        self.0.rpc_duration.get_or_create(&labels).observe(seconds);
    }

    /// The gauge of calls in flight.
    pub(crate) fn rpc_in_flight(&self) -> &Gauge {
        &self.0.rpc_in_flight
    }

    /// A call refused for `reason`.
    pub fn refused(&self, reason: Refusal) {
        self.0
            .refusals
            .get_or_create(&RefusalLabels { reason })
            .inc();
    }

    /// A provider answer for a search, from `outcome`.
    pub fn search_answer(&self, provider: &'static str, outcome: CacheOutcome) {
        self.0
            .search_cache
            .get_or_create(&CacheLabels { provider, outcome })
            .inc();
    }

    /// A Search reply, made as `outcome` says.
    pub fn search_reply(&self, outcome: ReplyOutcome) {
        self.0
            .search_replies
            .get_or_create(&ReplyLabels { outcome })
            .inc();
    }

    /// One provider call.
    pub fn provider_call(&self, labels: ProviderLabels, seconds: f64) {
        self.0
            .provider_duration
            .get_or_create(&labels)
            .observe(seconds);
    }

    /// An order went from status `from` ("none": it is new) to `to`.
    pub fn order_transition(&self, from: &'static str, to: &'static str) {
        self.0
            .order_transitions
            .get_or_create(&TransitionLabels { from, to })
            .inc();
    }

    /// A callback of `provider`, answered as `outcome`.
    pub fn callback(&self, provider: &'static str, outcome: CallbackOutcome) {
        self.0
            .callbacks
            .get_or_create(&CallbackLabels { provider, outcome })
            .inc();
    }

    /// Reads the figures that are the store's, shared by every instance
    /// (the outbox backlog, unsettled orders), this instance's pool usage
    /// and its runtime's task count: at each scrape. A failed read leaves
    /// the last figures and is logged.
    pub async fn refresh_from_store(&self, store: &crate::store::Store) {
        self.sample_runtime();
        let (open, idle) = store.pool_usage();
        let idle = i64::try_from(idle).unwrap_or(i64::MAX);
        let pool = |state| self.0.store_pool.get_or_create(&PoolLabels { state });
        pool("idle").set(idle);
        pool("in_use").set((i64::from(open) - idle).max(0));
        match store.outbox_backlog().await {
            Ok(backlog) => {
                for (state, count) in [
                    ("pending", backlog.pending),
                    ("retrying", backlog.retrying),
                    ("dead", backlog.dead),
                ] {
                    self.0
                        .outbox
                        .get_or_create(&OutboxLabels { state })
                        .set(count);
                }
            }
            Err(error) => tracing::warn!(error = %error, "metrics: cannot count the outbox"),
        }
        match store.unsettled_orders().await {
            Ok(unsettled) => self.set_unsettled(&unsettled, chrono::Utc::now()),
            Err(error) => {
                tracing::warn!(error = %error, "metrics: cannot count unsettled orders")
            }
        }
    }

    /// Sets the alive-task gauge from the runtime this runs on. Read at the
    /// scrape rather than counted at each spawn: tokio already keeps the
    /// figure, and no spawn site (ours or a library's) can be missed.
    /// Outside a runtime the last figure stays.
    fn sample_runtime(&self) {
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            let alive = runtime.metrics().num_alive_tasks();
            self.0
                .alive_tasks
                .set(i64::try_from(alive).unwrap_or(i64::MAX));
        }
    }

    /// Sets the unsettled-order gauges of every status: one absent from
    /// `unsettled` has none (0), so a status that drains reads 0, not its
    /// last figure.
    fn set_unsettled(
        &self,
        unsettled: &[crate::store::UnsettledOrders],
        now: chrono::DateTime<chrono::Utc>,
    ) {
        for status in crate::domain::OrderStatus::ALL {
            let labels = StatusLabels {
                status: status.as_str(),
            };
            let found = unsettled.iter().find(|orders| orders.status == status);
            let (count, oldest) = found.map_or((0, 0.0), |orders| {
                let age = (now - orders.oldest_change).num_milliseconds().max(0);
                (orders.count, age as f64 / 1000.0)
            });
            self.0.unsettled.get_or_create(&labels).set(count);
            self.0.unsettled_oldest.get_or_create(&labels).set(oldest);
        }
    }

    /// One partner notification delivery attempt.
    pub fn delivery_attempt(&self, outcome: DeliveryOutcome) {
        self.0
            .deliveries
            .get_or_create(&DeliveryLabels { outcome })
            .inc();
    }

    /// One store operation.
    pub fn store_operation(
        &self,
        operation: &'static str,
        backend: &'static str,
        ok: bool,
        seconds: f64,
    ) {
        self.0
            .store_duration
            .get_or_create(&StoreLabels {
                operation,
                backend,
                outcome: if ok { "ok" } else { "error" },
            })
            .observe(seconds);
    }

    /// A WatchOrder stream opened (+1) or closed (-1).
    pub fn watch_stream(&self, delta: i64) {
        self.0.watch_streams.inc_by(delta);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_exposition_names_every_family_with_its_unit_and_labels() {
        let metrics = Metrics::new();
        metrics.rpc_finished(
            RpcLabels {
                rpc_service: "railgate.v1.BookingService",
                rpc_method: "Search",
                rpc_grpc_status_code: 0,
            },
            0.002,
        );
        metrics.refused(Refusal::rate_limited);
        metrics.search_answer("panhe", CacheOutcome::hit);
        metrics.search_reply(ReplyOutcome::reused);
        metrics.provider_call(
            ProviderLabels {
                provider: "panhe",
                operation: "/train/queryTickets".into(),
                outcome: ProviderOutcome::timeout,
            },
            10.0,
        );
        metrics.watch_stream(1);
        metrics.order_transition("none", "pending");
        metrics.callback("panhe", CallbackOutcome::processed);
        metrics.delivery_attempt(DeliveryOutcome::retry);
        metrics.store_operation("insert_order", "sqlite", true, 0.001);
        metrics.set_unsettled(&[], chrono::Utc::now());
        metrics
            .0
            .outbox
            .get_or_create(&OutboxLabels { state: "dead" })
            .set(0);
        metrics
            .0
            .store_pool
            .get_or_create(&PoolLabels { state: "idle" })
            .set(1);
        let text = metrics.render();
        let families: Vec<&str> = text
            .lines()
            .filter_map(|line| line.strip_prefix("# TYPE "))
            .filter_map(|line| line.split(' ').next())
            .collect();
        assert_eq!(families, FAMILIES, "FAMILIES lists every family, in order");
        for expected in [
            "# TYPE rpc_server_call_duration_seconds histogram",
            "rpc_server_call_duration_seconds_count{rpc_service=\"railgate.v1.BookingService\",rpc_method=\"Search\",rpc_grpc_status_code=\"0\"} 1",
            "railgate_call_refusals_total{reason=\"rate_limited\"} 1",
            "railgate_search_provider_answers_total{provider=\"panhe\",outcome=\"hit\"} 1",
            "railgate_search_replies_total{outcome=\"reused\"} 1",
            "railgate_provider_call_duration_seconds_bucket{le=\"10.0\",provider=\"panhe\",operation=\"/train/queryTickets\",outcome=\"timeout\"} 1",
            "railgate_watch_streams_open 1",
            "railgate_order_transitions_total{from=\"none\",to=\"pending\"} 1",
            "rpc_server_calls_in_flight 0",
            "railgate_runtime_alive_tasks 0",
        ] {
            assert!(text.contains(expected), "{expected} in\n{text}");
        }
    }

    /// The gauge follows the runtime's own count: tasks spawned and still
    /// running are in it, and leave it when they finish.
    #[tokio::test]
    async fn alive_tasks_are_sampled_from_the_runtime() {
        let metrics = Metrics::new();
        let (release, released) = tokio::sync::watch::channel(false);
        let waiting: Vec<_> = (0..5)
            .map(|_| {
                let mut released = released.clone();
                tokio::spawn(async move {
                    let _ = released.wait_for(|go| *go).await;
                })
            })
            .collect();
        metrics.sample_runtime();
        let during = metrics.0.alive_tasks.get();
        assert!(during >= 5, "five tasks wait, the gauge says {during}");
        release.send(true).unwrap();
        for task in waiting {
            task.await.unwrap();
        }
        metrics.sample_runtime();
        let after = metrics.0.alive_tasks.get();
        assert!(after <= during - 5, "{during} while waiting, {after} after");
        assert!(
            metrics
                .render()
                .contains(&format!("railgate_runtime_alive_tasks {after}"))
        );
    }
}
