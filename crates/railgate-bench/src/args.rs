//! `railgate-bench` command-line arguments.

use super::BenchError;
use super::load::{LoadPlan, Stop};
use super::scenarios::{Rpc, Scenario};
use clap::{Args, Subcommand};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// `railgate-bench`: load generator, baseline server and the suite.
#[derive(Debug, Args)]
pub struct BenchArgs {
    #[command(subcommand)]
    pub command: BenchCommand,
}

#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Load a running railgate (or any BookingService) and report.
    Load {
        /// gRPC target URI.
        #[arg(long, default_value = "http://127.0.0.1:50051")]
        target: String,
        #[command(flatten)]
        what: WhatArgs,
        #[command(flatten)]
        load: LoadArgs,
    },
    /// Serve the baseline: Search answers a captured response, no work.
    Baseline {
        #[arg(long, default_value = "127.0.0.1:50052")]
        listen: SocketAddr,
        /// Capture the Search answer from this railgate (its gRPC URI), so
        /// the baseline answers with the same bytes as the railgate it is
        /// compared with; unset: from a railgate configured as the sandbox
        /// `make run` starts (Panhe and Juhe), started in this process for
        /// a moment. The answer's size is printed at start.
        #[arg(long)]
        capture_from: Option<String>,
    },
    /// Run a scenario against railgate and its ceiling (both in this
    /// process, back to back) and report both and their ratio. The
    /// ceiling is the baseline's Search, or for `book-confirm` the same
    /// orders' store calls replayed on railgate's store alone.
    Compare {
        #[arg(long, value_enum, default_value = "search-cached")]
        scenario: Scenario,
        #[command(flatten)]
        load: LoadArgs,
    },
    /// WatchOrder alone: railgate (SQLite) in this process, many streams
    /// following one order, the resident memory they cost and how long a
    /// change takes to reach every one of them (the suite's scenario).
    Watch {
        /// Streams to open on the order.
        #[arg(long, default_value_t = 10_000)]
        streams: usize,
        /// HTTP/2 connections to spread the streams over.
        #[arg(long, default_value_t = super::watch::CONNECTIONS)]
        connections: usize,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// The whole suite (`make bench`): every scenario, baseline and
    /// ratio, written as a Markdown report with an SVG plot.
    Suite {
        /// The report; the plot is written beside it.
        #[arg(long, default_value = "docs/PERFORMANCE.md")]
        out: PathBuf,
        /// PostgreSQL server for the PostgreSQL order scenario (a schema
        /// is created and dropped); unreachable: the scenario is skipped.
        #[arg(long, default_value = "postgres://postgres@127.0.0.1:5432/test")]
        postgres: String,
        /// Shorter phases and fewer streams: a quick check, not figures.
        #[arg(long)]
        quick: bool,
        /// h2load, the outside load generator (default: .tools/usr/bin/
        /// h2load as `make bench` unpacks it, else h2load on the PATH);
        /// it loads the release `railgate` binary beside this one.
        #[arg(long)]
        h2load: Option<PathBuf>,
    },
    /// What one order costs the store: Book → Confirm → ISSUED one order
    /// at a time, its transactions and statements counted by store
    /// operation (the suite's "What one order costs the store").
    StoreCost {
        /// `sqlite`, or a PostgreSQL URL (a schema is created and dropped).
        #[arg(long, default_value = "sqlite")]
        store: String,
        /// Orders to book.
        #[arg(long, default_value_t = 20)]
        orders: u64,
        /// Print JSON instead of the Markdown section.
        #[arg(long)]
        json: bool,
    },
    /// The soak (`make soak`, and `make bench` after the suite): the
    /// release railgate binary as a process of its own under mixed load
    /// with faults for `--minutes`, its resident memory, open files and
    /// alive tasks sampled every minute and judged flat or not; written
    /// into the soak section of `--out` with an SVG plot beside it.
    Soak {
        /// Minutes sampled after the warm-up.
        #[arg(long, default_value_t = 30)]
        minutes: u64,
        /// Minutes of load before the first sample.
        #[arg(long, default_value_t = 2)]
        warmup_minutes: u64,
        /// The document whose soak section is written.
        #[arg(long, default_value = "docs/RELIABILITY.md")]
        out: PathBuf,
        /// The railgate binary; default: `railgate` beside this binary
        /// (`cargo build --release --bin railgate`).
        #[arg(long)]
        railgate: Option<PathBuf>,
    },
    /// A bench gateway in this process with railgate's telemetry, serving
    /// until standard input closes: the tracing-cost scenario starts one
    /// per side (the tracing subscriber is one per process).
    #[command(hide = true)]
    TracedGateway {
        /// Export spans over OTLP/gRPC here; unset: traces off.
        #[arg(long)]
        otlp_endpoint: Option<String>,
        /// The share of traces exported.
        #[arg(long, default_value_t = super::trace_cost::SAMPLE_RATIO)]
        sample_ratio: f64,
    },
}

impl BenchCommand {
    /// The telemetry this command's process installs: traces only for a
    /// traced gateway, and only as its arguments say.
    pub fn telemetry(&self) -> railgate::config::TelemetryConfig {
        match self {
            BenchCommand::TracedGateway {
                otlp_endpoint,
                sample_ratio,
            } => railgate::config::TelemetryConfig {
                otlp_endpoint: otlp_endpoint.clone(),
                sampler: railgate::config::SamplerKind::ParentbasedTraceIdRatio,
                sampler_ratio: *sample_ratio,
                ..railgate::config::TelemetryConfig::default()
            },
            _ => railgate::config::TelemetryConfig::default(),
        }
    }
}

/// What to call: a named scenario or a raw RPC with JSON.
#[derive(Debug, Args)]
pub struct WhatArgs {
    #[arg(long, value_enum, conflicts_with = "rpc")]
    pub scenario: Option<Scenario>,
    /// A raw RPC of railgate.v1.BookingService, with `--data`.
    #[arg(long, value_enum, requires = "data")]
    pub rpc: Option<Rpc>,
    /// The request as JSON (as grpcurl and ghz take it).
    #[arg(long, short = 'd')]
    pub data: Option<String>,
}

/// The shape of the load (ghz's essentials).
#[derive(Debug, Clone, Args)]
pub struct LoadArgs {
    /// Workers (closed loop) or most calls in flight (open loop). Long
    /// form only: `-c` is railgate's global `--config`.
    #[arg(long, default_value_t = 50)]
    pub concurrency: usize,
    /// HTTP/2 connections to spread the calls over.
    #[arg(long, default_value_t = 4)]
    pub connections: usize,
    /// Stop after this many calls.
    #[arg(long, short = 'n', conflicts_with = "duration")]
    pub total: Option<u64>,
    /// Stop after this long (e.g. `10s`, `500ms`); default 10s.
    #[arg(long, short = 'z', value_parser = parse_duration)]
    pub duration: Option<Duration>,
    /// Unrecorded load first (same shape).
    #[arg(long, value_parser = parse_duration, default_value = "1s")]
    pub warmup: Duration,
    /// Open loop: start calls at this constant rate; latency counts from
    /// each call's scheduled start.
    #[arg(long)]
    pub rps: Option<f64>,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

impl LoadArgs {
    pub fn plan(&self) -> LoadPlan {
        let stop = match (self.total, self.duration) {
            (Some(total), _) => Stop::Requests(total),
            (None, Some(length)) => Stop::Duration(length),
            (None, None) => Stop::Duration(Duration::from_secs(10)),
        };
        LoadPlan {
            concurrency: self.concurrency.max(1),
            rate: self.rps,
            stop,
            warmup: self.warmup,
        }
    }
}

/// `250ms`, `10s`, `2m` or a plain number of seconds (`1.5`).
pub fn parse_duration(text: &str) -> Result<Duration, BenchError> {
    let text = text.trim();
    let (number, scale) = if let Some(number) = text.strip_suffix("ms") {
        (number, 0.001)
    } else if let Some(number) = text.strip_suffix('s') {
        (number, 1.0)
    } else if let Some(number) = text.strip_suffix('m') {
        (number, 60.0)
    } else {
        (text, 1.0)
    };
    number
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|value| value.is_finite() && *value >= 0.0)
        .and_then(|value| Duration::try_from_secs_f64(value * scale).ok())
        .ok_or_else(|| BenchError::Data(format!("not a duration: {text:?}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_take_the_usual_suffixes() {
        assert_eq!(parse_duration("250ms").unwrap(), Duration::from_millis(250));
        assert_eq!(parse_duration("10s").unwrap(), Duration::from_secs(10));
        assert_eq!(parse_duration("2m").unwrap(), Duration::from_secs(120));
        assert_eq!(parse_duration("1.5").unwrap(), Duration::from_millis(1500));
        for bad in ["", "s", "-1s", "fast", "1e400s", "NaN"] {
            assert!(parse_duration(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_total_wins_and_ten_seconds_is_the_default_stop() {
        let mut args = LoadArgs {
            concurrency: 0,
            connections: 1,
            total: None,
            duration: None,
            warmup: Duration::ZERO,
            rps: Some(100.0),
            json: false,
        };
        let plan = args.plan();
        assert_eq!(plan.stop, Stop::Duration(Duration::from_secs(10)));
        assert_eq!(plan.concurrency, 1, "at least one worker");
        assert_eq!(plan.rate, Some(100.0));
        args.total = Some(7);
        assert_eq!(args.plan().stop, Stop::Requests(7));
    }
}
