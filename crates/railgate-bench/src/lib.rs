//! `railgate-bench`: a gRPC load generator with HDR histograms, a baseline
//! server (the tonic + HTTP/2 ceiling) and the benchmark suite that
//! writes docs/PERFORMANCE.md.
//!
//! - [`args`]: the command line; [`load`]: closed and open loop load;
//!   [`report`]: histograms and reports.
//! - [`scenarios`], [`orders`], [`watch`]: what is called.
//! - [`baseline`]: the no-work server; [`store_ceiling`]: the order
//!   scenarios' ceiling; [`gateway`]: railgate in-process.
//! - [`suite`], [`document`], [`targets`], [`plot`]: `make bench` and its
//!   report; [`auth_cost`], [`trace_cost`], [`search_flood`]: scenarios of
//!   their own.
//! - [`soak`]: the soak (`make soak`), railgate as a process of its own,
//!   written into docs/RELIABILITY.md.

pub mod args;
pub mod auth_cost;
pub mod baseline;
pub mod direct;
pub mod document;
pub mod gateway;
pub mod growth;
pub mod h2load;
pub mod load;
pub mod orders;
pub mod own_work;
pub mod plot;
pub mod report;
pub mod scenarios;
pub mod search_flood;
pub mod soak;
pub mod statements;
pub mod store_ceiling;
pub mod suite;
pub mod targets;
pub mod trace_cost;
pub mod watch;

pub use args::{BenchArgs, BenchCommand, LoadArgs};
use gateway::{Gateway, GatewayOptions, StoreChoice};
use load::{LoadPlan, Workload};
use railgate::proto::{self as pb, booking_service_client::BookingServiceClient};
use report::Report;
use scenarios::Scenario;
use serde::Serialize;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;

/// Why a benchmark could not run.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    #[error("not a gRPC target URI: {0}")]
    InvalidTarget(String),
    #[error("cannot connect to {target}: {source}")]
    Connect {
        target: String,
        #[source]
        source: tonic::transport::Error,
    },
    #[error("bad request data: {0}")]
    Data(String),
    #[error("scenario setup failed: {0}")]
    Setup(String),
    #[error("say what to call: --scenario NAME, or --rpc RPC with --data JSON")]
    NothingToCall,
    #[error("baseline server: {0}")]
    Serve(#[from] tonic::transport::Error),
    #[error("report: {0}")]
    Report(String),
    #[error(transparent)]
    Io(std::io::Error),
}

/// Runs a `railgate-bench` command; `shutdown` stops a serving baseline.
pub async fn run(
    args: BenchArgs,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), BenchError> {
    match args.command {
        BenchCommand::Load { target, what, load } => {
            let channels = load::connect(&target, load.connections).await?;
            let workload = match (what.scenario, what.rpc, what.data) {
                (Some(scenario), _, _) => scenario_workload(scenario, &channels[0]).await?,
                (None, Some(rpc), Some(data)) => scenarios::raw(rpc, &data)?,
                _ => return Err(BenchError::NothingToCall),
            };
            let report = load::run(&target, workload, &channels, load.plan()).await;
            print(&report, load.json)
        }
        BenchCommand::Baseline {
            listen,
            capture_from,
        } => {
            // Without a railgate to capture from, one configured as the
            // sandbox `make run` starts (Panhe and Juhe) answers once: the
            // same answer size as the railgate a newcomer points ghz at.
            let (answer, source) = match capture_from {
                Some(target) => (capture(&target).await?, target),
                None => {
                    let gateway = Gateway::start(GatewayOptions {
                        juhe: true,
                        ..sqlite(3_600_000)
                    })
                    .await?;
                    let answer = capture(&gateway.uri()).await;
                    gateway.stop().await;
                    (
                        answer?,
                        "a sandbox railgate (Panhe and Juhe) in this process".into(),
                    )
                }
            };
            eprintln!("baseline: {} from {source}", describe_answer(&answer));
            serve_baseline_on(listen, answer, shutdown).await
        }
        BenchCommand::Compare { scenario, load } => {
            let comparison = compare(scenario, &load).await?;
            if load.json {
                print(&comparison, true)
            } else {
                println!("{}\n{}", comparison.railgate, comparison.baseline);
                println!(
                    "railgate / {}: {:.2} of the requests/s, {:.2}× the p50 latency",
                    comparison.baseline.label, comparison.rps_ratio, comparison.p50_ratio
                );
                if let Some(direct) = &comparison.direct {
                    println!("\n{direct}");
                    println!(
                        "railgate adds {:.0} µs at p50 over the direct simulator call; {:.2} of its requests/s",
                        comparison.railgate.latency_us.p50 - direct.latency_us.p50,
                        comparison.railgate.rps / direct.rps.max(f64::MIN_POSITIVE)
                    );
                }
                Ok(())
            }
        }
        BenchCommand::Watch {
            streams,
            connections,
            json,
        } => {
            let gateway = Gateway::start(sqlite(3_600_000)).await?;
            let report = watch::run(&gateway.uri(), streams, connections).await;
            gateway.stop().await;
            print(&report?, json)
        }
        BenchCommand::Suite {
            out,
            postgres,
            quick,
            h2load,
        } => suite::run(&out, &postgres, quick, h2load.as_deref()).await,
        BenchCommand::StoreCost {
            store,
            orders,
            json,
        } => {
            let (backend, store) = match store.as_str() {
                "sqlite" => ("SQLite", StoreChoice::Sqlite),
                url => ("PostgreSQL", StoreChoice::Postgres(url.to_owned())),
            };
            let cost = statements::store_cost(backend, store, orders).await?;
            if json {
                let text = serde_json::to_string_pretty(&cost)
                    .map_err(|error| BenchError::Report(error.to_string()))?;
                println!("{text}");
            } else {
                let mut text = String::new();
                statements::section(&mut text, &[cost]);
                println!("{text}");
            }
            Ok(())
        }
        BenchCommand::Soak {
            minutes,
            warmup_minutes,
            out,
            railgate,
        } => {
            soak::run(&soak::SoakOptions {
                minutes,
                warmup_minutes,
                out,
                railgate,
            })
            .await
        }
        BenchCommand::TracedGateway { .. } => trace_cost::serve_child().await,
    }
}

fn print<T: Serialize + std::fmt::Display>(value: &T, json: bool) -> Result<(), BenchError> {
    if json {
        let text = serde_json::to_string_pretty(value)
            .map_err(|error| BenchError::Report(error.to_string()))?;
        println!("{text}");
    } else {
        print!("{value}");
    }
    Ok(())
}

/// A gateway on SQLite with the given Search cache TTL.
pub fn sqlite(cache_ttl_ms: u64) -> GatewayOptions {
    GatewayOptions {
        cache_ttl_ms,
        store: StoreChoice::Sqlite,
        provider_delay: std::time::Duration::ZERO,
        default_quota: false,
        auth_token: None,
        juhe: false,
    }
}

/// "a Search answer of N bytes (T trains, S seat offers)": what a
/// baseline serves, so a reader can check it against railgate's own.
pub fn describe_answer(answer: &pb::SearchResponse) -> String {
    let seats: usize = answer.trains.iter().map(|train| train.seats.len()).sum();
    format!(
        "a Search answer of {} bytes ({} trains, {seats} seat offers)",
        prost::Message::encoded_len(answer),
        answer.trains.len()
    )
}

/// One Search answer of `target`, for the baseline to serve.
pub async fn capture(target: &str) -> Result<pb::SearchResponse, BenchError> {
    let channel = load::connect(target, 1).await?.remove(0);
    BookingServiceClient::new(channel)
        .search(scenarios::search_request())
        .await
        .map(tonic::Response::into_inner)
        .map_err(|status| {
            BenchError::Setup(format!("capture Search: {}", scenarios::code_name(&status)))
        })
}

/// The workload of a named scenario, set up against `channel`.
pub async fn scenario_workload(
    scenario: Scenario,
    channel: &tonic::transport::Channel,
) -> Result<Arc<dyn Workload>, BenchError> {
    Ok(match scenario {
        Scenario::SearchCached | Scenario::SearchUncached => {
            scenarios::search(scenarios::search_request())
        }
        Scenario::GetOrder => {
            let pool = orders::OfferPool::gather(channel, 1..=1).await?;
            let key = format!("bench-get-order-{}", uuid::Uuid::now_v7().simple());
            scenarios::get_order(orders::book_one(channel, &pool, &key).await?)
        }
        Scenario::BookConfirm => {
            let pool = orders::OfferPool::gather(channel, 1..=14).await?;
            orders::book_confirm(Arc::new(pool), uuid::Uuid::now_v7().simple().to_string())
        }
    })
}

/// A running baseline server on a loopback port of its own.
pub struct BaselineServer {
    pub uri: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl BaselineServer {
    pub async fn start(answer: pb::SearchResponse) -> Result<Self, BenchError> {
        let listener = TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
            .await
            .map_err(BenchError::Io)?;
        let uri = format!("http://{}", listener.local_addr().map_err(BenchError::Io)?);
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(baseline::serve(listener, answer, async {
            let _ = stopped.await;
        }));
        Ok(Self {
            uri,
            stop: Some(stop),
        })
    }
}

impl Drop for BaselineServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

async fn serve_baseline_on(
    listen: SocketAddr,
    answer: pb::SearchResponse,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), BenchError> {
    let listener = TcpListener::bind(listen).await.map_err(BenchError::Io)?;
    eprintln!("railgate-bench baseline listening on {listen} (Search only)");
    baseline::serve(listener, answer, shutdown).await?;
    Ok(())
}

/// railgate's and the baseline's report for one shape of load.
#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    pub railgate: Report,
    pub baseline: Report,
    /// railgate's requests/s over the baseline's.
    pub rps_ratio: f64,
    /// railgate's p50 latency over the baseline's.
    pub p50_ratio: f64,
    /// For Search missing the cache: the same 余票查询 sent straight to
    /// railgate's simulator, the ceiling railgate's own cost is added to.
    pub direct: Option<Report>,
}

impl Comparison {
    pub fn new(railgate: Report, baseline: Report) -> Self {
        let ratio = |a: f64, b: f64| if b > 0.0 { a / b } else { 0.0 };
        Self {
            rps_ratio: ratio(railgate.rps, baseline.rps),
            p50_ratio: ratio(railgate.latency_us.p50, baseline.latency_us.p50),
            railgate,
            baseline,
            direct: None,
        }
    }
}

impl std::fmt::Display for Comparison {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}{}", self.railgate, self.baseline)?;
        writeln!(
            f,
            "ratio: {:.2} of the baseline's requests/s",
            self.rps_ratio
        )
    }
}

/// `bench compare`: railgate (in this process) then the baseline, same
/// load. The baseline always answers Search: it is the ceiling of the
/// stack whatever railgate's scenario does.
pub async fn compare(scenario: Scenario, load: &LoadArgs) -> Result<Comparison, BenchError> {
    let cache_ttl_ms = match scenario {
        Scenario::SearchUncached => 0,
        _ => 600_000,
    };
    let mut gateway = Gateway::start(sqlite(cache_ttl_ms)).await?;
    let mut result = match scenario {
        // An order has no Search-shaped ceiling: its store is the limit.
        Scenario::BookConfirm => against_store(&mut gateway, load).await,
        _ => compare_against(&gateway.uri(), scenario, load.plan(), load.connections).await,
    };
    if let (Ok(comparison), Scenario::SearchUncached) = (&mut result, scenario) {
        match direct_uncached(&gateway, load).await {
            Ok(direct) => comparison.direct = Some(direct),
            Err(error) => result = Err(error),
        }
    }
    gateway.stop().await;
    result
}

/// Book → Confirm → ISSUED through `gateway`, then the same load replaying
/// one order's store calls on its store.
async fn against_store(gateway: &mut Gateway, load: &LoadArgs) -> Result<Comparison, BenchError> {
    let channels = load::connect(&gateway.uri(), load.connections).await?;
    let workload = scenario_workload(Scenario::BookConfirm, &channels[0]).await?;
    let railgate = load::run("railgate", workload, &channels, load.plan()).await;
    // The replay's orders are not the simulator's: keep railgate's
    // reconciler away from them.
    gateway.stop_server().await;
    let ceiling = store_ceiling::measure(&gateway.store_url, &channels, load.plan()).await?;
    Ok(Comparison::new(railgate, ceiling))
}

/// The direct simulator call under `load`, as the suite measures it.
async fn direct_uncached(gateway: &Gateway, load: &LoadArgs) -> Result<Report, BenchError> {
    let workload = direct::search(&gateway.panhe_url)?;
    // The direct workload ignores the channel; one is needed all the same.
    let channels = load::connect(&gateway.uri(), 1).await?;
    Ok(load::run("direct", workload, &channels, load.plan()).await)
}

/// Runs `scenario` against railgate at `target`, then Search against a
/// baseline serving railgate's own answer.
pub async fn compare_against(
    target: &str,
    scenario: Scenario,
    plan: LoadPlan,
    connections: usize,
) -> Result<Comparison, BenchError> {
    let answer = capture(target).await?;
    let channels = load::connect(target, connections).await?;
    let workload = scenario_workload(scenario, &channels[0]).await?;
    let railgate = load::run("railgate", workload, &channels, plan).await;
    drop(channels);
    let baseline = BaselineServer::start(answer.clone()).await?;
    let channels = load::connect(&baseline.uri, connections).await?;
    let workload = scenarios::search(scenarios::search_request());
    let baseline_report = load::run("baseline", workload, &channels, plan).await;
    Ok(Comparison::new(railgate, baseline_report))
}
