//! What exporting traces costs: cached Search and Book→Confirm→ISSUED on a
//! gateway that exports its spans over OTLP/gRPC (10% of traces sampled,
//! to a collector on loopback) next to the same gateway with traces off.
//!
//! The tracing subscriber is one per process, so each gateway runs in a
//! process of its own: this binary started again as `railgate-bench
//! traced-gateway`, which installs railgate's telemetry as `railgate serve`
//! does and serves a bench gateway. The load comes from this process, to
//! both alike, in runs ordered off, on, on, off (four times) so drift and order
//! fall on both sides. The collector counts the spans it receives (so the
//! "on" side provably exported) and keeps none. Figures are the ratios of
//! the mean rates.

use super::BenchError;
use super::gateway::Gateway;
use super::load::{self, LoadPlan, Stop, Workload};
use super::report::Report;
use super::scenarios::{self, Scenario};
use railgate_sim::otlp::Collector;
use serde::Serialize;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;
use tonic::transport::Channel;

/// The scenario's name in the results.
pub const NAME: &str = "Tracing cost (OTLP export, 10% of traces)";
/// The share of traces the exporting gateway samples.
pub const SAMPLE_RATIO: f64 = 0.1;
/// The line a child prints once its gateway serves, before the URI.
const READY: &str = "traced-gateway ready at";
/// Rounds of off, on, on, off: many short runs rather than a few long
/// ones, so the machine's drift (which on a shared 2-core host is larger
/// than the effect measured) falls on both sides alike.
const ROUNDS: usize = 4;
/// Runs per side.
pub const RUNS_PER_SIDE: usize = ROUNDS * 2;

/// Both sides of both workloads, run by run.
#[derive(Debug, Clone, Serialize)]
pub struct TraceCostReport {
    pub search_off: Vec<Report>,
    pub search_on: Vec<Report>,
    pub book_off: Vec<Report>,
    pub book_on: Vec<Report>,
    /// Spans the collector received from the exporting gateway.
    pub spans_exported: u64,
}

fn mean_rate(reports: &[Report]) -> f64 {
    reports.iter().map(|report| report.rps).sum::<f64>() / reports.len().max(1) as f64
}

impl TraceCostReport {
    /// Cached Search: mean rate with traces exported over mean rate without.
    pub fn search_ratio(&self) -> f64 {
        mean_rate(&self.search_on) / mean_rate(&self.search_off).max(f64::MIN_POSITIVE)
    }

    /// Book→Confirm→ISSUED: the same ratio.
    pub fn book_ratio(&self) -> f64 {
        mean_rate(&self.book_on) / mean_rate(&self.book_off).max(f64::MIN_POSITIVE)
    }
}

/// A bench gateway in a child process, stopped when dropped.
struct ChildGateway {
    child: Child,
    uri: String,
}

impl ChildGateway {
    /// Starts `<binary> traced-gateway` (`binary` is railgate-bench),
    /// exporting to `endpoint` if given, and waits for it to serve.
    async fn start(binary: &Path, endpoint: Option<String>) -> Result<Self, BenchError> {
        let mut command = Command::new(binary);
        command.arg("traced-gateway");
        if let Some(endpoint) = &endpoint {
            command.args([
                "--otlp-endpoint",
                endpoint,
                "--sample-ratio",
                &SAMPLE_RATIO.to_string(),
            ]);
        }
        // Traces are set by the arguments alone, never by the caller's
        // environment.
        let mut child = command
            .env_remove("OTEL_EXPORTER_OTLP_ENDPOINT")
            .env_remove("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
            .env_remove("OTEL_SDK_DISABLED")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(BenchError::Io)?;
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| BenchError::Setup("the child's stdout".into()))?;
        let uri = tokio::task::spawn_blocking(move || {
            BufReader::new(stdout)
                .lines()
                .map_while(Result::ok)
                .find_map(|line| line.strip_prefix(READY).map(|uri| uri.trim().to_owned()))
        })
        .await
        .map_err(|error| BenchError::Setup(error.to_string()))?;
        match uri {
            Some(uri) => Ok(Self { child, uri }),
            None => {
                let _ = child.kill();
                let status = child.wait().map_err(BenchError::Io)?;
                Err(BenchError::Setup(format!(
                    "traced-gateway exited ({status}) before serving"
                )))
            }
        }
    }
}

impl Drop for ChildGateway {
    fn drop(&mut self) {
        // Closing stdin asks it to stop; a kill makes sure.
        drop(self.child.stdin.take());
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The child's side: serves a bench gateway (SQLite, cached Search) until
/// its standard input closes. Telemetry was installed by `main` from the
/// command's arguments.
pub async fn serve_child() -> Result<(), BenchError> {
    let gateway = Gateway::start(super::sqlite(3_600_000)).await?;
    println!("{READY} {}", gateway.uri());
    // Until the parent closes our stdin (or goes away).
    let _ = tokio::task::spawn_blocking(|| {
        let mut sink = Vec::new();
        let _ = std::io::Read::read_to_end(&mut std::io::stdin(), &mut sink);
    })
    .await;
    gateway.stop().await;
    Ok(())
}

/// Runs the scenario with gateways started from `binary` (this
/// railgate-bench): each Search run lasts `length`, each order run
/// `orders`, at the given concurrencies.
pub async fn run(
    binary: &Path,
    length: Duration,
    orders: Duration,
    warmup: Duration,
    concurrency: usize,
    order_concurrency: usize,
    connections: usize,
) -> Result<TraceCostReport, BenchError> {
    let collector = Collector::counting();
    let collector_addr = collector.clone().spawn().await.map_err(BenchError::Io)?;
    let off = ChildGateway::start(binary, None).await?;
    let on = ChildGateway::start(binary, Some(format!("http://{collector_addr}"))).await?;
    let off_channels = load::connect(&off.uri, connections).await?;
    let on_channels = load::connect(&on.uri, connections).await?;
    let search = scenarios::search(scenarios::search_request());
    let search_plan = plan(concurrency, length, warmup);
    let (search_off, search_on) = alternate(
        (search.clone(), &off_channels),
        (search, &on_channels),
        search_plan,
    )
    .await;
    let book_off = scenario_workload_on(&off_channels[0]).await?;
    let book_on = scenario_workload_on(&on_channels[0]).await?;
    let (book_off, book_on) = alternate(
        (book_off, &off_channels),
        (book_on, &on_channels),
        plan(order_concurrency, orders, warmup),
    )
    .await;
    // What is still batched reaches the collector within its delay.
    tokio::time::sleep(Duration::from_secs(6)).await;
    let report = TraceCostReport {
        search_off,
        search_on,
        book_off,
        book_on,
        spans_exported: collector.span_count(),
    };
    drop((off, on));
    if report.spans_exported == 0 {
        return Err(BenchError::Setup(
            "the exporting gateway sent the collector no span".into(),
        ));
    }
    let failed = report
        .search_on
        .iter()
        .chain(&report.search_off)
        .find(|run| run.failed() > 0);
    if let Some(failed) = failed {
        return Err(BenchError::Setup(format!(
            "searches failed: {:?}",
            failed.errors
        )));
    }
    Ok(report)
}

fn plan(concurrency: usize, length: Duration, warmup: Duration) -> LoadPlan {
    LoadPlan {
        concurrency,
        rate: None,
        stop: Stop::Duration(length),
        warmup,
    }
}

/// Book→Confirm→ISSUED against a gateway, with the seats it has on sale.
async fn scenario_workload_on(channel: &Channel) -> Result<Arc<dyn Workload>, BenchError> {
    super::scenario_workload(Scenario::BookConfirm, channel).await
}

/// Runs `off` and `on` in the order off, on, on, off, [`ROUNDS`] times.
async fn alternate(
    off: (Arc<dyn Workload>, &[Channel]),
    on: (Arc<dyn Workload>, &[Channel]),
    plan: LoadPlan,
) -> (Vec<Report>, Vec<Report>) {
    let mut reports = (Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        for exporting in [false, true, true, false] {
            if exporting {
                let run = load::run("traces on", on.0.clone(), on.1, plan);
                reports.1.push(run.await);
            } else {
                let run = load::run("traces off", off.0.clone(), off.1, plan);
                reports.0.push(run.await);
            }
        }
    }
    reports
}
