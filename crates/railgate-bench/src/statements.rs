//! Counts the SQL statements and transactions railgate's store sends, by
//! store operation: what one order costs the database.
//!
//! The statements come from sqlx's own statement log (target
//! `sqlx::query`, one event per statement executed), the transactions from
//! the event the store notes as it opens one
//! ([`railgate::store::TRANSACTION_LOG_TARGET`]): sqlx logs PostgreSQL's
//! `BEGIN`/`COMMIT` as statements but runs SQLite's out of its log, so
//! those are left out of the statement count on both backends and counted
//! as transactions instead. Each is put down to the store operation whose
//! span (`store`, with `db.operation.name`) it happened in. A statement
//! run outside an explicit transaction is a transaction of its own
//! (autocommit): it counts as a write or read transaction by its verb.
//!
//! The counter is a layer of the bench's global subscriber, switched on
//! only while counting: off, its filter turns every other callsite away
//! for good (`Interest::never`) and asks one atomic load of the three it
//! watches, so the throughput scenarios pay nothing for it.

use crate::gateway::{Gateway, GatewayOptions, StoreChoice};
use crate::load::{self, LoadPlan, Stop};
use crate::scenarios::Scenario;
use crate::suite::{CONNECTIONS, DELAYED_PROVIDER};
use crate::{BenchError, scenario_workload};
use railgate::store::TRANSACTION_LOG_TARGET;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Debug;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;
use tracing::field::{Field, Visit};
use tracing::metadata::LevelFilter;
use tracing::subscriber::Interest;
use tracing::{Event, Metadata, Subscriber, span};
use tracing_subscriber::Layer;
use tracing_subscriber::layer::{Context, Filter};
use tracing_subscriber::registry::LookupSpan;

/// Where sqlx logs each statement.
const STATEMENT_TARGET: &str = "sqlx::query";
/// The name of the span every store operation runs in.
const STORE_SPAN: &str = "store";
/// Statements that open or close a transaction (PostgreSQL's only; counted
/// as transactions, not statements).
const TRANSACTION_CONTROL: [&str; 5] = ["BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE"];
/// Statements outside any store operation (pool set-up, the listener).
pub const OUTSIDE: &str = "(outside a store operation)";

/// One store operation's share.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct OperationCounts {
    pub calls: u64,
    pub read_transactions: u64,
    pub write_transactions: u64,
    pub statements: u64,
}

impl OperationCounts {
    pub fn transactions(&self) -> u64 {
        self.read_transactions + self.write_transactions
    }

    fn add(&mut self, other: &OperationCounts) {
        self.calls += other.calls;
        self.read_transactions += other.read_transactions;
        self.write_transactions += other.write_transactions;
        self.statements += other.statements;
    }
}

/// What was counted, by store operation.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub by_operation: BTreeMap<String, OperationCounts>,
}

impl Counts {
    pub fn total(&self) -> OperationCounts {
        let mut total = OperationCounts::default();
        for counts in self.by_operation.values() {
            total.add(counts);
        }
        total
    }
}

/// The switch and the tally; one per process.
#[derive(Debug, Default)]
pub struct StatementLog {
    on: AtomicBool,
    counts: Mutex<Counts>,
}

impl StatementLog {
    /// The process's log (installed into the subscriber by [`layer`]).
    pub fn global() -> Arc<StatementLog> {
        static LOG: OnceLock<Arc<StatementLog>> = OnceLock::new();
        LOG.get_or_init(Default::default).clone()
    }

    /// Counts what `work` makes the store do, from a zero tally. Counting
    /// is process-wide: nothing else should run meanwhile.
    pub async fn count<F: Future>(&self, work: F) -> (F::Output, Counts) {
        *self.tally() = Counts::default();
        self.on.store(true, Ordering::SeqCst);
        let output = work.await;
        self.on.store(false, Ordering::SeqCst);
        (output, std::mem::take(&mut *self.tally()))
    }

    fn tally(&self) -> std::sync::MutexGuard<'_, Counts> {
        // A panic while counting leaves counts, not a broken invariant.
        self.counts
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn record(&self, operation: &str, update: impl FnOnce(&mut OperationCounts)) {
        let mut tally = self.tally();
        match tally.by_operation.get_mut(operation) {
            Some(counts) => update(counts),
            None => update(tally.by_operation.entry(operation.to_owned()).or_default()),
        }
    }
}

/// The counting layer for the bench's subscriber.
pub fn layer() -> railgate::telemetry::ExtraLayer {
    let log = StatementLog::global();
    Box::new(Counter { log: log.clone() }.with_filter(Watched { log }))
}

struct Counter {
    log: Arc<StatementLog>,
}

/// The operation a `store` span runs, kept in its extensions, and
/// whether it has opened an explicit transaction yet.
struct Operation {
    name: String,
    in_transaction: bool,
}

impl<S> Layer<S> for Counter
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(&self, attrs: &span::Attributes<'_>, id: &span::Id, ctx: Context<'_, S>) {
        if attrs.metadata().name() != STORE_SPAN {
            return;
        }
        let mut visitor = FieldText::new("db.operation.name");
        attrs.record(&mut visitor);
        let operation = visitor.value.unwrap_or_else(|| "(unnamed)".to_owned());
        self.log.record(&operation, |counts| counts.calls += 1);
        if let Some(span) = ctx.span(id) {
            span.extensions_mut().insert(Operation {
                name: operation,
                in_transaction: false,
            });
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let target = event.metadata().target();
        let opens_transaction = target == TRANSACTION_LOG_TARGET;
        // The innermost store operation: its name, and whether this
        // statement runs inside an explicit transaction of it.
        let (operation, in_transaction) = ctx
            .event_scope(event)
            .and_then(|scope| {
                scope.into_iter().find_map(|span| {
                    let mut extensions = span.extensions_mut();
                    let operation = extensions.get_mut::<Operation>()?;
                    let before = operation.in_transaction;
                    operation.in_transaction |= opens_transaction;
                    Some((operation.name.clone(), before))
                })
            })
            .unwrap_or_else(|| (OUTSIDE.to_owned(), false));
        if opens_transaction {
            let mut kind = FieldText::new("kind");
            event.record(&mut kind);
            let write = kind.value.as_deref() == Some("write");
            self.log.record(&operation, |counts| {
                if write {
                    counts.write_transactions += 1;
                } else {
                    counts.read_transactions += 1;
                }
            });
        } else if target == STATEMENT_TARGET {
            let mut summary = FieldText::new("summary");
            event.record(&mut summary);
            let summary = summary.value.unwrap_or_default();
            if is_transaction_control(&summary) {
                return;
            }
            self.log.record(&operation, |counts| {
                counts.statements += 1;
                // Autocommit: the statement is a transaction of its own.
                if !in_transaction {
                    if writes(&summary) {
                        counts.write_transactions += 1;
                    } else {
                        counts.read_transactions += 1;
                    }
                }
            });
        }
    }
}

/// Whether a statement writes, by its verb (`WITH` leads both kinds in
/// general; railgate's store starts its writes with their verb).
fn writes(summary: &str) -> bool {
    let first = summary.split_whitespace().next().unwrap_or_default();
    ["INSERT", "UPDATE", "DELETE", "REPLACE", "UPSERT"]
        .iter()
        .any(|verb| first.eq_ignore_ascii_case(verb))
}

/// Whether a statement only opens or closes a transaction.
fn is_transaction_control(summary: &str) -> bool {
    let first = summary.split_whitespace().next().unwrap_or_default();
    TRANSACTION_CONTROL
        .iter()
        .any(|control| first.eq_ignore_ascii_case(control))
}

/// Lets through the three callsites the counter reads, and those only
/// while counting.
struct Watched {
    log: Arc<StatementLog>,
}

fn watched(metadata: &Metadata<'_>) -> bool {
    let target = metadata.target();
    target == STATEMENT_TARGET
        || target == TRANSACTION_LOG_TARGET
        || (metadata.is_span() && metadata.name() == STORE_SPAN)
}

impl<S> Filter<S> for Watched {
    fn enabled(&self, metadata: &Metadata<'_>, _: &Context<'_, S>) -> bool {
        watched(metadata) && self.log.on.load(Ordering::Relaxed)
    }

    fn callsite_enabled(&self, metadata: &'static Metadata<'static>) -> Interest {
        if watched(metadata) {
            Interest::sometimes()
        } else {
            Interest::never()
        }
    }

    fn max_level_hint(&self) -> Option<LevelFilter> {
        // sqlx logs statements at DEBUG by default.
        Some(LevelFilter::DEBUG)
    }
}

/// Reads one field as text.
struct FieldText {
    name: &'static str,
    value: Option<String>,
}

impl FieldText {
    fn new(name: &'static str) -> Self {
        Self { name, value: None }
    }
}

impl Visit for FieldText {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == self.name {
            self.value = Some(value.to_owned());
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn Debug) {
        if field.name() == self.name && self.value.is_none() {
            self.value = Some(format!("{value:?}").trim_matches('"').to_owned());
        }
    }
}

/// The targets for one Book → Confirm → ISSUED.
pub const TARGET_TRANSACTIONS: f64 = 6.0;
pub const TARGET_STATEMENTS: f64 = 20.0;

/// One backend's tally over a run of whole orders.
#[derive(Debug, Clone, Serialize)]
pub struct StoreCost {
    /// `SQLite` or `PostgreSQL`.
    pub backend: String,
    /// Orders that reached ISSUED in the counted run.
    pub orders: u64,
    pub counts: Counts,
}

impl StoreCost {
    fn per_order(&self, count: u64) -> f64 {
        count as f64 / self.orders.max(1) as f64
    }

    /// Transactions and statements per order.
    pub fn per_order_totals(&self) -> (f64, f64) {
        let total = self.counts.total();
        (
            self.per_order(total.transactions()),
            self.per_order(total.statements),
        )
    }
}

/// The section of docs/PERFORMANCE.md: per order, by store operation.
pub fn section(doc: &mut String, costs: &[StoreCost]) {
    use std::fmt::Write as _;
    if costs.is_empty() {
        return;
    }
    let _ = writeln!(
        doc,
        "## What one order costs the store\n\n\
         Book → Confirm → ISSUED one order at a time (the Panhe simulator holding and issuing \
         after 50 ms, so its callbacks arrive after railgate recorded each step and nothing \
         races), every statement railgate sent counted from sqlx's statement log and every \
         transaction from the one the store notes as it opens it, by store operation, divided \
         by the orders issued. `BEGIN`/`COMMIT` are transactions, not statements; a statement \
         outside an explicit transaction is one of its own (autocommit), a write or a read \
         by its verb. The \
         reconciler, callbacks, WatchOrder and the outbox are in it: all an order costs. \
         Target: at most {TARGET_TRANSACTIONS:.0} transactions and {TARGET_STATEMENTS:.0} \
         statements per order.\n"
    );
    for cost in costs {
        let (transactions, statements) = cost.per_order_totals();
        let met = transactions <= TARGET_TRANSACTIONS && statements <= TARGET_STATEMENTS;
        let _ = writeln!(
            doc,
            "**{}**, {} orders: **{transactions:.1} transactions** (read and write) and \
             **{statements:.1} statements** per order: target {}.\n",
            cost.backend,
            cost.orders,
            if met { "met" } else { "**missed**" }
        );
        let _ = writeln!(
            doc,
            "| store operation | calls | write transactions | read transactions | statements |\n\
             |---|---:|---:|---:|---:|"
        );
        let row = |label: &str, counts: &OperationCounts| {
            format!(
                "| {label} | {:.1} | {:.1} | {:.1} | {:.1} |",
                cost.per_order(counts.calls),
                cost.per_order(counts.write_transactions),
                cost.per_order(counts.read_transactions),
                cost.per_order(counts.statements),
            )
        };
        for (operation, counts) in &cost.counts.by_operation {
            let _ = writeln!(doc, "{}", row(&format!("`{operation}`"), counts));
        }
        let _ = writeln!(doc, "{}\n", row("all", &cost.counts.total()));
    }
}

/// Transactions and statements per order: `orders` orders booked one at a
/// time on a fresh gateway with the delayed provider (its callbacks come
/// after railgate recorded each step, so nothing races), then a pause for
/// the work that trails an order (the outbox, a late reconciler poll).
pub async fn store_cost(
    backend: &str,
    store: StoreChoice,
    orders: u64,
) -> Result<StoreCost, BenchError> {
    const TRAILING_WORK: Duration = Duration::from_secs(1);
    let gateway = Gateway::start(GatewayOptions {
        cache_ttl_ms: 3_600_000,
        store,
        provider_delay: DELAYED_PROVIDER,
        default_quota: false,
        auth_token: None,
        juhe: false,
    })
    .await?;
    let result = async {
        let channels = load::connect(&gateway.uri(), CONNECTIONS).await?;
        let workload = scenario_workload(Scenario::BookConfirm, &channels[0]).await?;
        let plan = LoadPlan {
            concurrency: 1,
            rate: None,
            stop: Stop::Requests(orders),
            warmup: Duration::ZERO,
        };
        let (report, counts) = StatementLog::global()
            .count(async {
                let report = load::run("railgate", workload, &channels, plan).await;
                tokio::time::sleep(TRAILING_WORK).await;
                report
            })
            .await;
        if report.ok == 0 {
            return Err(BenchError::Setup(format!(
                "no order reached ISSUED: {:?}",
                report.errors
            )));
        }
        Ok(StoreCost {
            backend: backend.to_owned(),
            orders: report.ok,
            counts,
        })
    }
    .await;
    gateway.stop().await;
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use tracing_subscriber::layer::SubscriberExt;

    /// Statements and transactions land on the store operation whose span
    /// they happen in; BEGIN and COMMIT are not statements; nothing is
    /// counted while the switch is off.
    #[tokio::test]
    async fn counts_by_operation_only_while_on() {
        let log = Arc::new(StatementLog::default());
        let subscriber = tracing_subscriber::registry()
            .with(Counter { log: log.clone() }.with_filter(Watched { log: log.clone() }));
        let _guard = tracing::subscriber::set_default(subscriber);
        let one_operation = || {
            let span = tracing::info_span!("store", db.operation.name = "update_order");
            let _entered = span.enter();
            tracing::debug!(target: TRANSACTION_LOG_TARGET, kind = "write", "transaction");
            tracing::debug!(target: STATEMENT_TARGET, summary = "BEGIN", "");
            tracing::debug!(target: STATEMENT_TARGET, summary = "UPDATE orders SET status", "");
            tracing::debug!(target: STATEMENT_TARGET, summary = "INSERT INTO order_events (order_id,", "");
            tracing::debug!(target: STATEMENT_TARGET, summary = "COMMIT", "");
        };
        let autocommit = || {
            let span = tracing::info_span!("store", db.operation.name = "complete_idempotent");
            let _entered = span.enter();
            tracing::debug!(target: STATEMENT_TARGET, summary = "UPDATE idempotency_keys SET response", "");
        };
        one_operation();
        let ((), counts) = log
            .count(async {
                one_operation();
                one_operation();
                autocommit();
                tracing::debug!(target: STATEMENT_TARGET, summary = "PRAGMA foreign_keys", "");
                tracing::info!("an unrelated line");
            })
            .await;
        let update = counts.by_operation["update_order"];
        assert_eq!(
            update,
            OperationCounts {
                calls: 2,
                read_transactions: 0,
                write_transactions: 2,
                statements: 4,
            }
        );
        // Autocommit: one statement, one write transaction.
        assert_eq!(
            counts.by_operation["complete_idempotent"],
            OperationCounts {
                calls: 1,
                read_transactions: 0,
                write_transactions: 1,
                statements: 1,
            }
        );
        assert_eq!(counts.by_operation[OUTSIDE].statements, 1);
        assert_eq!(counts.by_operation[OUTSIDE].read_transactions, 1);
        assert_eq!(counts.total().statements, 6);
        assert_eq!(counts.total().transactions(), 4);
        one_operation();
        assert_eq!(*log.tally(), Counts::default());
    }

    #[test]
    fn transaction_control_is_told_from_statements() {
        for control in [
            "BEGIN",
            "begin ISOLATION LEVEL",
            "COMMIT",
            "ROLLBACK",
            "SAVEPOINT _sqlx",
        ] {
            assert!(is_transaction_control(control), "{control}");
        }
        for statement in ["SELECT id FROM", "INSERT INTO orders", "BEGINNING", ""] {
            assert!(!is_transaction_control(statement), "{statement}");
        }
    }
}
