//! `railgate-bench soak` (in `make bench` and `make soak`, not in CI):
//! the release `railgate` binary as a process of its own under 30 minutes
//! of mixed load with provider and client faults sprinkled in; its
//! resident memory, open files and alive tasks sampled every minute and
//! judged flat or not ([`verdict`]); written into docs/RELIABILITY.md
//! with a plot ([`section`]).
//!
//! - [`child`]: the railgate process and its /proc figures;
//!   [`scrape`]: its `/metrics`.
//! - [`providers`]: the simulators it calls, in this process;
//!   [`faults`]: what is done to them.
//! - [`traffic`], [`cycles`], [`oddities`]: the load.

pub mod child;
pub mod cycles;
pub mod faults;
pub mod oddities;
pub mod providers;
pub mod scrape;
pub mod section;
pub mod traffic;
pub mod verdict;

use crate::BenchError;
use crate::document::Machine;
use child::RailgateProcess;
use providers::Providers;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use traffic::Traffic;
use verdict::{Sample, Verdict};

/// The soak's idempotency lease: a Panhe Book whose answer was lost is
/// settled only by its caller's retry after the lease, and 2 minutes (the
/// default) would leave those orders waiting most of a fault's rotation.
/// It stays above the slowest provider call (the 10 s timeout).
const IDEMPOTENCY_LEASE_MS: &str = "20000";
/// How long the workers get to notice the stop before their calls are
/// cancelled, and railgate to exit after SIGTERM.
const DRAIN: Duration = Duration::from_secs(15);
const EXIT_LIMIT: Duration = Duration::from_secs(40);

/// How to run the soak.
#[derive(Debug, Clone)]
pub struct SoakOptions {
    /// Minutes sampled after the warm-up.
    pub minutes: u64,
    /// Minutes of load before the first sample.
    pub warmup_minutes: u64,
    /// The document whose soak section is (re)written; the plot goes
    /// beside it.
    pub out: PathBuf,
    /// The railgate binary; None: `railgate` beside this one.
    pub railgate: Option<PathBuf>,
}

/// Everything the soak saw.
#[derive(Debug, Clone, Serialize)]
pub struct SoakReport {
    pub machine: Machine,
    pub minutes: u64,
    pub warmup_minutes: u64,
    pub samples: Vec<Sample>,
    pub verdict: Verdict,
    /// gRPC calls railgate counted, by method and code.
    pub served: scrape::Served,
    /// Provider calls railgate made, by [provider, operation, outcome].
    pub provider_calls: BTreeMap<Vec<String>, u64>,
    /// Order status changes railgate recorded, by [from, to]: `to`
    /// `unknown` is a provider call whose answer was lost.
    pub transitions: BTreeMap<Vec<String>, u64>,
    /// What the clients saw, by name.
    pub tally: BTreeMap<String, u64>,
    pub injected: faults::Injected,
    /// railgate's warning and error lines, by level and message.
    pub logged: BTreeMap<String, u64>,
    /// Why sampling stopped before the planned end, if it did.
    pub ended_early: Option<String>,
    /// SIGTERM at the end: exited with status 0, and how long it took.
    pub clean_exit: bool,
    pub exit_seconds: f64,
    pub wall_seconds: f64,
}

/// Runs the soak and writes its section and plot.
pub async fn run(options: &SoakOptions) -> Result<(), BenchError> {
    let binary = match &options.railgate {
        Some(path) => path.clone(),
        None => beside_this_binary("railgate")?,
    };
    let report = soak(&binary, options).await?;
    section::write(&options.out, &report)?;
    eprintln!("soak: {}", report.verdict.summary());
    Ok(())
}

async fn soak(binary: &Path, options: &SoakOptions) -> Result<SoakReport, BenchError> {
    let started = Instant::now();
    let machine = Machine::detect();
    let providers = Providers::start().await?;
    let mut env = providers.railgate_env();
    let secret = uuid::Uuid::now_v7().simple().to_string();
    env.extend(
        [
            ("RAILGATE_AUTH_MODE", "none".to_owned()),
            // Warnings, errors and the start-up line: a log line per call
            // would measure the pipe.
            ("RAILGATE_LOG", "warn,railgate::app=info".to_owned()),
            (
                "RAILGATE_OFFER_SIGNING_KEY",
                format!("soak-offers-{secret}"),
            ),
            (
                "RAILGATE_CALLBACK_SECRET",
                format!("soak-callbacks-{secret}"),
            ),
            (
                "RAILGATE_IDEMPOTENCY_LEASE_MS",
                IDEMPOTENCY_LEASE_MS.to_owned(),
            ),
        ]
        .map(|(key, value)| (key.to_owned(), value)),
    );
    let railgate = RailgateProcess::start(binary, &env).await?;
    eprintln!(
        "soak: railgate pid {} on {} (gRPC) and {} (HTTP); {} min warm-up, then {} min sampled",
        railgate.pid(),
        railgate.grpc_addr,
        railgate.http_addr,
        options.warmup_minutes,
        options.minutes
    );
    let http = reqwest::Client::new();
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let load_started = tokio::time::Instant::now();
    let traffic = Traffic::start(&railgate.uri(), railgate.grpc_addr, stopped.clone()).await?;
    let faults = tokio::spawn(faults::sprinkle(providers, stopped));

    let mut samples = Vec::new();
    let mut ended_early = None;
    let first = load_started + Duration::from_secs(options.warmup_minutes * 60);
    for minute in 0..=options.minutes {
        tokio::time::sleep_until(first + Duration::from_secs(minute * 60)).await;
        match take_sample(&railgate, &http, minute).await {
            Ok(sample) => {
                eprintln!(
                    "soak: minute {minute}: {} KiB resident, {} open files, {} alive tasks, {} threads",
                    sample.rss_kib, sample.open_fds, sample.alive_tasks, sample.threads
                );
                samples.push(sample);
            }
            Err(error) => {
                eprintln!("soak: minute {minute}: no sample: {error}");
                ended_early = Some(format!("minute {minute}: {error}"));
                break;
            }
        }
    }

    let _ = stop.send(true);
    let tally = traffic.finish(DRAIN).await;
    let (providers, injected) = faults
        .await
        .map_err(|error| BenchError::Setup(format!("fault task: {error}")))?;
    let last_scrape = match scrape::fetch(&http, railgate.http_addr).await {
        Ok(text) => text,
        Err(error) => {
            ended_early.get_or_insert(format!("final /metrics: {error}"));
            String::new()
        }
    };
    let logged = railgate.logged();
    let (clean_exit, exit_time) = railgate.terminate(EXIT_LIMIT).await;
    providers.stop().await;
    Ok(SoakReport {
        machine,
        minutes: options.minutes,
        warmup_minutes: options.warmup_minutes,
        verdict: Verdict::judge(&samples),
        samples,
        served: scrape::served(&last_scrape),
        provider_calls: scrape::by_labels(
            &last_scrape,
            "railgate_provider_call_duration_seconds_count",
            &["provider", "operation", "outcome"],
        ),
        transitions: scrape::by_labels(
            &last_scrape,
            "railgate_order_transitions_total",
            &["from", "to"],
        ),
        tally,
        injected,
        logged,
        ended_early,
        clean_exit,
        exit_seconds: exit_time.as_secs_f64(),
        wall_seconds: started.elapsed().as_secs_f64(),
    })
}

/// Resources from /proc, tasks and streams from `/metrics`.
async fn take_sample(
    railgate: &RailgateProcess,
    http: &reqwest::Client,
    minute: u64,
) -> Result<Sample, BenchError> {
    let text = scrape::fetch(http, railgate.http_addr).await?;
    let resources = railgate.resources()?;
    let alive_tasks = scrape::value(&text, scrape::ALIVE_TASKS)
        .ok_or_else(|| BenchError::Setup(format!("{} is not in /metrics", scrape::ALIVE_TASKS)))?;
    Ok(Sample {
        minute: minute as f64,
        rss_kib: resources.rss_kib,
        open_fds: resources.open_fds,
        alive_tasks: alive_tasks as u64,
        threads: resources.threads,
        watch_streams: scrape::value(&text, "railgate_watch_streams_open").unwrap_or(0.0) as u64,
    })
}

/// `name` in the directory of the running binary (cargo puts railgate and
/// railgate-bench side by side).
fn beside_this_binary(name: &str) -> Result<PathBuf, BenchError> {
    let this = std::env::current_exe().map_err(BenchError::Io)?;
    let dir = this
        .parent()
        .ok_or_else(|| BenchError::Setup("this binary has no directory".into()))?;
    Ok(dir.join(name))
}
