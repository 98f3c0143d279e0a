//! The `railgate` command: thin on purpose. clap → config → telemetry →
//! `app::run` (or a simulator).

use clap::{Parser, Subcommand};
use railgate::config::Config;
use railgate::domain::time::SystemClock;
use railgate::{app, sim, telemetry};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

/// railgate: one gRPC API in front of the Juhe and Panhe rail-ticket providers.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Cli {
    /// TOML configuration file; environment variables (RAILGATE_*) override it.
    #[arg(long, short, global = true, env = "RAILGATE_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the gRPC API (the default). With no provider configured, runs
    /// in sandbox mode against the built-in simulators.
    Serve,
    /// Run the provider simulators standalone.
    Sim {
        /// Address of the Panhe simulator.
        #[arg(long, default_value = "127.0.0.1:9001")]
        panhe_addr: SocketAddr,
        /// appKey the Panhe simulator accepts.
        #[arg(long, default_value = sim::panhe::DEFAULT_APP_KEY)]
        panhe_app_key: String,
    },
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let env: HashMap<String, String> = std::env::vars().collect();
    let config = match Config::load(cli.config.as_deref(), &env) {
        Ok(config) => config,
        Err(error) => {
            eprintln!("railgate: {error}");
            return ExitCode::from(2);
        }
    };
    telemetry::init(&config.log);
    let result = match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(config).await,
        Command::Sim {
            panhe_addr,
            panhe_app_key,
        } => run_simulators(config, panhe_addr, panhe_app_key).await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!(error = %telemetry::ErrorChain(error.as_ref()), "railgate failed");
            eprintln!("railgate: {}", telemetry::ErrorChain(error.as_ref()));
            ExitCode::FAILURE
        }
    }
}

async fn serve(config: Config) -> Result<(), Box<dyn std::error::Error>> {
    let listeners = app::Listeners::bind(&config).await?;
    app::run(config, listeners, Arc::new(SystemClock), shutdown_signal()).await?;
    Ok(())
}

async fn run_simulators(
    config: Config,
    panhe_addr: SocketAddr,
    panhe_app_key: String,
) -> Result<(), Box<dyn std::error::Error>> {
    let listener = tokio::net::TcpListener::bind(panhe_addr).await?;
    tracing::info!(
        panhe = %format!("http://{}", listener.local_addr()?),
        "railgate simulators listening"
    );
    let sim_config = sim::panhe::PanheSimConfig {
        app_key: panhe_app_key,
        paths: config.panhe.paths,
        ..sim::panhe::PanheSimConfig::default()
    };
    sim::panhe::serve(listener, sim_config, shutdown_signal()).await?;
    Ok(())
}

/// Completes on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::error!(%error, "cannot listen for ctrl-c");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::error!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
