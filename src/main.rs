//! The `railgate` command: thin on purpose. clap → config → telemetry →
//! `app::run` (or a simulator).

use clap::{Parser, Subcommand};
use railgate::config::Config;
use railgate::domain::time::SystemClock;
use railgate::sandbox::{self, SimAddresses};
use railgate::{app, telemetry};
use std::collections::HashMap;
use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

/// mimalloc instead of the system allocator: a Search answer is hundreds
/// of short strings built, copied into protobuf and freed on every call,
/// and glibc's malloc and free were about a sixth of the gateway's CPU.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
        #[arg(long, default_value = sandbox::PANHE_APP_KEY)]
        panhe_app_key: String,
        /// Address of the Juhe simulator (not started without one); its
        /// endpoints are under /grabTicket/action.
        #[arg(long)]
        juhe_addr: Option<SocketAddr>,
        /// key the Juhe simulator accepts.
        #[arg(long, default_value = sandbox::JUHE_KEY)]
        juhe_key: String,
        /// Address of the fake alitrip TOP gateway (not started without
        /// one), at /router/rest. It takes [alitrip] app_key, app_secret
        /// and sm4 from the configuration, else the sandbox ones.
        #[arg(long)]
        top_addr: Option<SocketAddr>,
    },
}

#[tokio::main]
async fn main() -> ExitCode {
    let shutdown = shutdown_signal();
    let cli = Cli::parse();
    let env: HashMap<String, String> = std::env::vars().collect();
    let config = match Config::load(cli.config.as_deref(), &env) {
        Ok(config) => config,
        Err(error) => {
            eprintln!("railgate: {error}");
            return ExitCode::from(2);
        }
    };
    let telemetry =
        match telemetry::init(&config.log, &config.telemetry, telemetry::LogTarget::Stdout) {
            Ok(telemetry) => telemetry,
            Err(error) => {
                eprintln!("railgate: {}", telemetry::ErrorChain(&error));
                return ExitCode::from(2);
            }
        };
    let result = match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(config, shutdown).await,
        Command::Sim {
            panhe_addr,
            panhe_app_key,
            juhe_addr,
            juhe_key,
            top_addr,
        } => {
            let addresses = SimAddresses {
                panhe: (panhe_addr, panhe_app_key),
                juhe: juhe_addr.map(|addr| (addr, juhe_key)),
                top: top_addr,
            };
            sandbox::run_simulators(config, Arc::new(SystemClock), addresses, shutdown).await
        }
    };
    // What is still batched goes to the collector before the process ends.
    telemetry.shutdown().await;
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!(error = %telemetry::ErrorChain(error.as_ref()), "railgate failed");
            eprintln!("railgate: {}", telemetry::ErrorChain(error.as_ref()));
            ExitCode::FAILURE
        }
    }
}

async fn serve(
    config: Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), Box<dyn std::error::Error>> {
    let listeners = app::Listeners::bind(&config).await?;
    app::run(config, listeners, Arc::new(SystemClock), shutdown).await?;
    Ok(())
}

/// Completes on Ctrl-C or SIGTERM. The handlers are installed when this is
/// called, not when the future is first polled, so a signal that arrives
/// during start-up is not lost (nor does it kill the process outright).
fn shutdown_signal() -> impl Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let interrupt = signal(SignalKind::interrupt());
        let terminate = signal(SignalKind::terminate());
        async move {
            match (interrupt, terminate) {
                (Ok(mut interrupt), Ok(mut terminate)) => {
                    tokio::select! {
                        _ = interrupt.recv() => {},
                        _ = terminate.recv() => {},
                    }
                }
                (interrupt, terminate) => {
                    tracing::error!(
                        interrupt_ok = interrupt.is_ok(),
                        terminate_ok = terminate.is_ok(),
                        "cannot install signal handlers; stop railgate with SIGKILL"
                    );
                    std::future::pending::<()>().await;
                }
            }
        }
    }
    #[cfg(not(unix))]
    {
        async {
            if tokio::signal::ctrl_c().await.is_err() {
                std::future::pending::<()>().await;
            }
        }
    }
}
