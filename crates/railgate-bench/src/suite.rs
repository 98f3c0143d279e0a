//! `make bench`: every scenario of the benchmark issue at a fixed
//! concurrency and over a sweep of open-loop rates, each next to the
//! baseline measured in the same run; written out by [`super::document`].

use super::auth_cost::{self, AuthCostReport};
use super::direct;
use super::document::{self, Machine};
use super::gateway::{Gateway, GatewayOptions, StoreChoice};
use super::growth;
use super::h2load::{self, H2loadReport};
use super::load::{self, LoadPlan, Stop, Workload};
use super::own_work::{self, OwnWorkParts};
use super::report::Report;
use super::scenarios::{self, Scenario};
use super::search_flood::{self, FloodReport};
use super::statements::{self, StoreCost};
use super::store_ceiling::{self, STORE_CEILING};
use super::trace_cost::{self, TraceCostReport};
use super::watch::{self, WatchReport};
use super::{BaselineServer, BenchError, capture, scenario_workload};
use serde::Serialize;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tonic::transport::Channel;

/// The fixed concurrency of every closed-loop figure (the issue's).
pub const CONCURRENCY: usize = 50;
pub const CONNECTIONS: usize = 4;
/// Most calls in flight in the open loop.
const OPEN_LOOP_CAP: usize = 1_000;
/// Offered rates of the sweeps, as fractions of the closed-loop maximum.
const SWEEP: [f64; 5] = [0.1, 0.25, 0.5, 0.75, 0.9];
const SHORT_SWEEP: [f64; 3] = [0.25, 0.5, 0.75];

/// Search against railgate configured as the sandbox `make run` starts:
/// Panhe and Juhe, each answer carrying both providers' seats.
pub const SEARCH_DEFAULT_CACHED: &str = "Search (cache, Panhe + Juhe: the default sandbox)";
pub const SEARCH_DEFAULT_UNCACHED: &str = "Search (no cache, Panhe + Juhe: the default sandbox)";
/// The baseline serving the very answer railgate gives (same bytes).
pub const EQUAL_BASELINE: &str = "baseline Search (the same answer)";
pub const BOOK_SQLITE: &str = "Book→Confirm→ISSUED (SQLite)";
pub const BOOK_POSTGRES: &str = "Book→Confirm→ISSUED (PostgreSQL)";
pub const BOOK_SQLITE_DELAYED: &str = "Book→Confirm→ISSUED (SQLite, provider 50 ms)";
pub const BOOK_POSTGRES_DELAYED: &str = "Book→Confirm→ISSUED (PostgreSQL, provider 50 ms)";
/// Orders in flight in the order scenarios.
const BOOK_CONCURRENCY: usize = 64;
/// A provider that holds and issues after 50 ms: its callbacks then
/// arrive after railgate has recorded the booking instead of racing it.
pub(crate) const DELAYED_PROVIDER: Duration = Duration::from_millis(50);

/// Phase lengths: the full suite, or `--quick` for a smoke run.
#[derive(Debug, Clone, Copy)]
struct Timing {
    closed: Duration,
    sweep_point: Duration,
    warmup: Duration,
    orders: Duration,
    watch_streams: usize,
    /// Orders booked one at a time while statements are counted.
    counted_orders: u64,
    /// Searches per h2load run.
    h2load_requests: u64,
    /// The sizes of the "how cost grows" measurements.
    growth: growth::Plan,
}

impl Timing {
    fn new(quick: bool) -> Self {
        if quick {
            Self {
                closed: Duration::from_millis(800),
                sweep_point: Duration::from_millis(400),
                warmup: Duration::from_millis(200),
                orders: Duration::from_secs(1),
                watch_streams: 200,
                counted_orders: 3,
                h2load_requests: 2_000,
                growth: growth::Plan {
                    stored_orders: &[1_000, 10_000],
                    order_reads: growth::Calls {
                        get: 100,
                        list_newest: 20,
                        list_rare: 5,
                    },
                    unsettled_orders: &[100, 1_000],
                    reconciler_window: Duration::from_secs(3),
                    cached_routes: &[100, 1_000],
                    cache_lookups: 200,
                },
            }
        } else {
            Self {
                closed: Duration::from_secs(5),
                sweep_point: Duration::from_secs(3),
                warmup: Duration::from_secs(1),
                orders: Duration::from_secs(10),
                watch_streams: 10_000,
                counted_orders: 20,
                h2load_requests: 50_000,
                growth: growth::Plan {
                    stored_orders: &[10_000, 100_000, 1_000_000],
                    order_reads: growth::Calls {
                        get: 2_000,
                        list_newest: 300,
                        list_rare: 20,
                    },
                    unsettled_orders: &[100, 1_000, 10_000],
                    reconciler_window: Duration::from_secs(10),
                    cached_routes: &[1_000, 10_000, 100_000],
                    cache_lookups: 20_000,
                },
            }
        }
    }

    fn closed(&self, concurrency: usize, length: Duration) -> LoadPlan {
        LoadPlan {
            concurrency,
            rate: None,
            stop: Stop::Duration(length),
            warmup: self.warmup,
        }
    }

    fn open(&self, rate: f64) -> LoadPlan {
        LoadPlan {
            concurrency: OPEN_LOOP_CAP,
            rate: Some(rate),
            stop: Stop::Duration(self.sweep_point),
            warmup: self.warmup / 2,
        }
    }
}

/// One row of the results table.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub scenario: String,
    pub railgate: Report,
    /// The ceiling under the same load: the baseline's Search, or the
    /// direct simulator call for the uncached Search.
    pub baseline: Option<Report>,
    pub baseline_name: String,
}

/// Search missing the cache one call at a time, with what bounds the
/// latency railgate adds.
#[derive(Debug, Clone, Serialize)]
pub struct SerialSearch {
    /// railgate's Search through the simulator.
    pub railgate: Report,
    /// The same search sent straight to the simulator over HTTP.
    pub direct: Report,
    /// The no-work baseline's Search: the gRPC hop alone (client, HTTP/2,
    /// tonic, encoding a Search-sized answer), which railgate's figure
    /// includes and the direct call does not.
    pub grpc_hop: Report,
    /// The named parts of railgate's own work, timed alone (None: they
    /// could not be measured; the run says why).
    pub parts: Option<OwnWorkParts>,
}

impl SerialSearch {
    /// What railgate adds over the direct call at p50.
    pub fn added_p50(&self) -> f64 {
        self.railgate.latency_us.p50 - self.direct.latency_us.p50
    }
}

/// One offered rate of a sweep.
#[derive(Debug, Clone, Serialize)]
pub struct SweepPoint {
    pub offered_rps: f64,
    pub railgate: Report,
    pub baseline: Report,
}

/// A sweep of open-loop rates for one scenario.
#[derive(Debug, Clone, Serialize)]
pub struct Sweep {
    pub scenario: String,
    pub baseline_name: String,
    pub points: Vec<SweepPoint>,
}

/// Everything the suite measured.
#[derive(Debug, Clone, Serialize)]
pub struct Results {
    pub machine: Machine,
    pub quick: bool,
    pub rows: Vec<Row>,
    pub sweeps: Vec<Sweep>,
    /// Search missing the cache at concurrency 1, for the added latency.
    pub uncached_serial: Option<SerialSearch>,
    pub watch: Option<WatchReport>,
    /// Book with and without a search flood.
    pub search_flood: Option<FloodReport>,
    /// Cached Search with token authentication and without.
    pub auth_cost: Option<AuthCostReport>,
    /// Cached Search and Book→ISSUED exporting traces and not.
    pub trace_cost: Option<TraceCostReport>,
    /// Transactions and statements per order, SQLite then PostgreSQL.
    pub store_cost: Vec<StoreCost>,
    /// How cost grows: order reads, the reconciler, the search cache.
    pub growth: growth::Growth,
    /// Search from the cache loaded by h2load, railgate and the baseline
    /// each a process of its own.
    pub h2load: Option<H2loadReport>,
    /// Scenarios that could not run, and why.
    pub skipped: Vec<String>,
    pub wall_time_s: f64,
}

/// Runs the suite and writes `out` (Markdown) and the plot beside it.
pub async fn run(
    out: &Path,
    postgres: &str,
    quick: bool,
    h2load: Option<&Path>,
) -> Result<(), BenchError> {
    let started = Instant::now();
    let timing = Timing::new(quick);
    let mut results = Results {
        machine: Machine::detect(),
        quick,
        rows: Vec::new(),
        sweeps: Vec::new(),
        uncached_serial: None,
        watch: None,
        search_flood: None,
        auth_cost: None,
        trace_cost: None,
        store_cost: Vec::new(),
        growth: growth::Growth::default(),
        h2load: None,
        skipped: Vec::new(),
        wall_time_s: 0.0,
    };
    cached_and_orders(&timing, &mut results).await?;
    uncached(&timing, &mut results).await?;
    default_configuration(&timing, &mut results).await?;
    eprintln!("bench: {}", h2load::NAME);
    let railgate_binary = std::env::current_exe()
        .map_err(BenchError::Io)?
        .with_file_name("railgate");
    let h2load_binary = h2load::locate(h2load);
    match h2load::run(&h2load_binary, &railgate_binary, timing.h2load_requests).await {
        Ok(report) => results.h2load = Some(report),
        Err(error) => results.skipped.push(format!("{}: {error}", h2load::NAME)),
    }
    eprintln!("bench: {}", search_flood::NAME);
    match search_flood::run(timing.orders).await {
        Ok(report) => results.search_flood = Some(report),
        Err(error) => results
            .skipped
            .push(format!("{}: {error}", search_flood::NAME)),
    }
    eprintln!("bench: {}", auth_cost::NAME);
    match auth_cost::run(timing.closed, timing.warmup, CONCURRENCY, CONNECTIONS).await {
        Ok(report) => results.auth_cost = Some(report),
        Err(error) => results
            .skipped
            .push(format!("{}: {error}", auth_cost::NAME)),
    }
    eprintln!("bench: {}", trace_cost::NAME);
    let this_binary = std::env::current_exe().map_err(BenchError::Io)?;
    let traced = trace_cost::run(
        &this_binary,
        timing.closed / 2,
        timing.orders / 4,
        timing.warmup,
        CONCURRENCY,
        BOOK_CONCURRENCY,
        CONNECTIONS,
    );
    match traced.await {
        Ok(report) => results.trace_cost = Some(report),
        Err(error) => results
            .skipped
            .push(format!("{}: {error}", trace_cost::NAME)),
    }
    let postgres = StoreChoice::Postgres(postgres.to_owned());
    for (backend, store) in [
        ("SQLite", StoreChoice::Sqlite),
        ("PostgreSQL", postgres.clone()),
    ] {
        eprintln!("bench: what one order costs the store ({backend})");
        match statements::store_cost(backend, store, timing.counted_orders).await {
            Ok(cost) => results.store_cost.push(cost),
            Err(error) => results
                .skipped
                .push(format!("store cost ({backend}): {error}")),
        }
    }
    for (name, store, delay) in [
        (BOOK_SQLITE, StoreChoice::Sqlite, Duration::ZERO),
        (BOOK_POSTGRES, postgres.clone(), Duration::ZERO),
        (BOOK_SQLITE_DELAYED, StoreChoice::Sqlite, DELAYED_PROVIDER),
        (BOOK_POSTGRES_DELAYED, postgres.clone(), DELAYED_PROVIDER),
    ] {
        eprintln!("bench: {name}");
        match book_confirm(&timing, store, delay).await {
            Ok((report, ceiling)) => results.rows.push(Row {
                scenario: name.to_owned(),
                railgate: report,
                baseline: Some(ceiling),
                baseline_name: STORE_CEILING.to_owned(),
            }),
            Err(error) => results.skipped.push(format!("{name}: {error}")),
        }
    }
    results.growth = growth::measure(&timing.growth, &postgres).await;
    let growth_skipped = std::mem::take(&mut results.growth.skipped);
    results.skipped.extend(growth_skipped);
    results.wall_time_s = started.elapsed().as_secs_f64();
    document::write(out, &results)
}

async fn connect(uri: &str) -> Result<Vec<Channel>, BenchError> {
    load::connect(uri, CONNECTIONS).await
}

/// Search from the cache and GetOrder (with their sweeps) and the
/// WatchOrder streams, on one SQLite gateway.
async fn cached_and_orders(timing: &Timing, results: &mut Results) -> Result<(), BenchError> {
    eprintln!("bench: Search from the cache");
    let gateway = Gateway::start(super::sqlite(3_600_000)).await?;
    let pair = SearchPair::measure(timing, &gateway).await?;
    let (search, railgate, ceiling) = (pair.search.clone(), pair.railgate, pair.ceiling);
    let (railgate_channels, baseline_channels) = (&pair.railgate_channels, &pair.baseline_channels);
    let closed = timing.closed(CONCURRENCY, timing.closed);
    let sweep = run_sweep(
        timing,
        "Search (cache)",
        "baseline",
        railgate.rps,
        &SWEEP,
        (search.clone(), railgate_channels),
        (search.clone(), baseline_channels),
    )
    .await;
    results.sweeps.push(sweep);
    results.rows.push(Row {
        scenario: "Search (cache)".into(),
        railgate,
        baseline: Some(ceiling.clone()),
        baseline_name: "baseline Search".into(),
    });

    eprintln!("bench: GetOrder");
    let get_order = scenario_workload(Scenario::GetOrder, &railgate_channels[0]).await?;
    let railgate = load::run("railgate", get_order.clone(), railgate_channels, closed).await;
    let sweep = run_sweep(
        timing,
        "GetOrder",
        "baseline Search",
        railgate.rps,
        &SHORT_SWEEP,
        (get_order, railgate_channels),
        (search, baseline_channels),
    )
    .await;
    results.sweeps.push(sweep);
    results.rows.push(Row {
        scenario: "GetOrder".into(),
        railgate,
        baseline: Some(ceiling),
        baseline_name: "baseline Search".into(),
    });

    eprintln!("bench: WatchOrder × {}", timing.watch_streams);
    // The Search connections closed first: the streams get the gateway.
    drop(pair.railgate_channels);
    drop(pair.baseline_channels);
    drop(pair.baseline);
    match watch::run(&gateway.uri(), timing.watch_streams, watch::CONNECTIONS).await {
        Ok(report) => results.watch = Some(report),
        Err(error) => results.skipped.push(format!("WatchOrder: {error}")),
    }
    gateway.stop().await;
    Ok(())
}

/// Search missing the cache, against direct HTTP calls to the same
/// simulator.
async fn uncached(timing: &Timing, results: &mut Results) -> Result<(), BenchError> {
    eprintln!("bench: Search missing the cache");
    let gateway = Gateway::start(super::sqlite(0)).await?;
    let channels = connect(&gateway.uri()).await?;
    let search = scenarios::search(scenarios::search_request());
    let direct = direct::search(&gateway.panhe_url)?;
    let serial = timing.closed(1, timing.closed);
    let railgate_serial = load::run("railgate", search.clone(), &channels, serial).await;
    let direct_serial = load::run("direct", direct.clone(), &channels, serial).await;
    let reply = capture(&gateway.uri()).await?;
    let parts = match own_work::measure(&gateway.panhe_url, &reply).await {
        Ok(parts) => Some(parts),
        Err(error) => {
            eprintln!("bench: the parts of railgate's own work were not measured: {error}");
            None
        }
    };
    let baseline = BaselineServer::start(reply).await?;
    let baseline_channels = connect(&baseline.uri).await?;
    let grpc_hop = load::run("baseline", search.clone(), &baseline_channels, serial).await;
    drop(baseline);
    results.uncached_serial = Some(SerialSearch {
        railgate: railgate_serial,
        direct: direct_serial,
        grpc_hop,
        parts,
    });
    let closed = timing.closed(CONCURRENCY, timing.closed);
    let railgate = load::run("railgate", search.clone(), &channels, closed).await;
    let ceiling = load::run("direct", direct.clone(), &channels, closed).await;
    let sweep = run_sweep(
        timing,
        "Search (no cache)",
        "direct simulator call",
        railgate.rps,
        &SHORT_SWEEP,
        (search, &channels),
        (direct, &channels),
    )
    .await;
    results.sweeps.push(sweep);
    results.rows.push(Row {
        scenario: "Search (no cache)".into(),
        railgate,
        baseline: Some(ceiling),
        baseline_name: "direct simulator call".into(),
    });
    gateway.stop().await;
    Ok(())
}

/// Search against the default configuration (Panhe and Juhe), from the
/// cache (with its open-loop sweep) and missing it, each next to a
/// baseline serving the same answer railgate gives, byte for byte.
async fn default_configuration(timing: &Timing, results: &mut Results) -> Result<(), BenchError> {
    for (name, cache_ttl_ms) in [
        (SEARCH_DEFAULT_CACHED, 3_600_000),
        (SEARCH_DEFAULT_UNCACHED, 0),
    ] {
        eprintln!("bench: {name}");
        let gateway = Gateway::start(GatewayOptions {
            juhe: true,
            ..super::sqlite(cache_ttl_ms)
        })
        .await?;
        let pair = SearchPair::measure(timing, &gateway).await?;
        if cache_ttl_ms > 0 {
            let sweep = run_sweep(
                timing,
                name,
                EQUAL_BASELINE,
                pair.railgate.rps,
                &SHORT_SWEEP,
                (pair.search.clone(), &pair.railgate_channels),
                (pair.search.clone(), &pair.baseline_channels),
            )
            .await;
            results.sweeps.push(sweep);
        }
        results.rows.push(Row {
            scenario: name.into(),
            railgate: pair.railgate,
            baseline: Some(pair.ceiling),
            baseline_name: EQUAL_BASELINE.into(),
        });
        drop(pair.railgate_channels);
        drop(pair.baseline_channels);
        drop(pair.baseline);
        gateway.stop().await;
    }
    Ok(())
}

/// A gateway's Search next to a baseline serving its very answer, each
/// in a closed loop at the fixed concurrency; the channels stay open for
/// what is measured next.
struct SearchPair {
    /// Serves while its channels are in use.
    baseline: BaselineServer,
    search: Arc<dyn Workload>,
    railgate_channels: Vec<Channel>,
    baseline_channels: Vec<Channel>,
    railgate: Report,
    ceiling: Report,
}

impl SearchPair {
    async fn measure(timing: &Timing, gateway: &Gateway) -> Result<Self, BenchError> {
        let answer = capture(&gateway.uri()).await?;
        eprintln!(
            "bench: the baseline serves {}",
            super::describe_answer(&answer)
        );
        let baseline = BaselineServer::start(answer).await?;
        let railgate_channels = connect(&gateway.uri()).await?;
        let baseline_channels = connect(&baseline.uri).await?;
        let search = scenarios::search(scenarios::search_request());
        let closed = timing.closed(CONCURRENCY, timing.closed);
        let railgate = load::run("railgate", search.clone(), &railgate_channels, closed).await;
        let ceiling = load::run("baseline", search.clone(), &baseline_channels, closed).await;
        Ok(Self {
            baseline,
            search,
            railgate_channels,
            baseline_channels,
            railgate,
            ceiling,
        })
    }
}

/// Open-loop points at `fractions` of `max_rps`, railgate then its
/// ceiling at each rate.
async fn run_sweep(
    timing: &Timing,
    scenario: &str,
    baseline_name: &str,
    max_rps: f64,
    fractions: &[f64],
    railgate: (Arc<dyn Workload>, &[Channel]),
    baseline: (Arc<dyn Workload>, &[Channel]),
) -> Sweep {
    let mut points = Vec::new();
    for fraction in fractions {
        let rate = (max_rps * fraction).max(1.0).round();
        eprintln!("bench: {scenario} at {rate} req/s");
        let plan = timing.open(rate);
        let ours = load::run("railgate", railgate.0.clone(), railgate.1, plan).await;
        let theirs = load::run(baseline_name, baseline.0.clone(), baseline.1, plan).await;
        points.push(SweepPoint {
            offered_rps: rate,
            railgate: ours,
            baseline: theirs,
        });
    }
    Sweep {
        scenario: scenario.to_owned(),
        baseline_name: baseline_name.to_owned(),
        points,
    }
}

/// Orders per second through the whole lifecycle, on a fresh gateway
/// (and so a fresh simulator with every seat for sale), then the same
/// load replaying one order's store calls on the gateway's own store.
async fn book_confirm(
    timing: &Timing,
    store: StoreChoice,
    provider_delay: Duration,
) -> Result<(Report, Report), BenchError> {
    let mut gateway = Gateway::start(GatewayOptions {
        cache_ttl_ms: 3_600_000,
        store,
        provider_delay,
        default_quota: false,
        auth_token: None,
        juhe: false,
    })
    .await?;
    let plan = timing.closed(BOOK_CONCURRENCY, timing.orders);
    let result = async {
        let channels = connect(&gateway.uri()).await?;
        let workload = scenario_workload(Scenario::BookConfirm, &channels[0]).await?;
        let railgate = load::run("railgate", workload, &channels, plan).await;
        // The replay's orders are not the simulator's: railgate's
        // reconciler must not chase them while the store is measured.
        gateway.stop_server().await;
        let ceiling = store_ceiling::measure(&gateway.store_url, &channels, plan).await?;
        Ok((railgate, ceiling))
    }
    .await;
    gateway.stop().await;
    result
}
