//! The `railgate-bench` command: thin on purpose. clap → logging →
//! [`railgate_bench::run`]. Its report is its output (stdout); logs go to
//! stderr.

use clap::Parser;
use railgate::config::Config;
use railgate::telemetry;
use railgate_bench::BenchArgs;
use std::collections::HashMap;
use std::process::ExitCode;

/// The same allocator as the railgate binary: the in-process gateway and
/// the baseline are measured as railgate runs.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// railgate-bench: load generator, baseline server and the benchmark suite.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Cli {
    #[command(flatten)]
    bench: BenchArgs,
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let env: HashMap<String, String> = std::env::vars().collect();
    // RAILGATE_LOG and RAILGATE_LOG_FORMAT as for railgate; without them a
    // log line per request would measure the terminal, not railgate.
    let mut log = match Config::load(None, &env) {
        Ok(config) => config.log,
        Err(error) => {
            eprintln!("railgate-bench: {error}");
            return ExitCode::from(2);
        }
    };
    if !env.contains_key("RAILGATE_LOG") {
        log.filter = "warn".to_owned();
    }
    // Traces are the bench's to switch (the tracing-cost scenario's
    // gateways), never the environment's.
    // With the statement counter beside the log lines: the suite counts
    // what one order costs the store.
    let telemetry = match telemetry::init_with(
        &log,
        &cli.bench.command.telemetry(),
        telemetry::LogTarget::Stderr,
        Some(railgate_bench::statements::layer()),
    ) {
        Ok(telemetry) => telemetry,
        Err(error) => {
            eprintln!("railgate-bench: {}", telemetry::ErrorChain(&error));
            return ExitCode::from(2);
        }
    };
    let result = railgate_bench::run(cli.bench, shutdown_signal()).await;
    telemetry.shutdown().await;
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("railgate-bench: {}", telemetry::ErrorChain(&error));
            ExitCode::FAILURE
        }
    }
}

/// Completes on Ctrl-C (which stops a serving baseline).
async fn shutdown_signal() {
    if tokio::signal::ctrl_c().await.is_err() {
        std::future::pending::<()>().await;
    }
}
