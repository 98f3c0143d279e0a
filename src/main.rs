//! The `railgate` command: thin on purpose. clap → config → telemetry →
//! `app::run` (or a simulator).

use clap::{Parser, Subcommand};
use railgate::config::Config;
use railgate::domain::time::SystemClock;
use railgate::{app, sim, telemetry};
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
        #[arg(long, default_value = sim::panhe::DEFAULT_APP_KEY)]
        panhe_app_key: String,
        /// Address of the Juhe simulator (not started without one); its
        /// endpoints are under /grabTicket/action.
        #[arg(long)]
        juhe_addr: Option<SocketAddr>,
        /// key the Juhe simulator accepts.
        #[arg(long, default_value = sim::juhe::DEFAULT_KEY)]
        juhe_key: String,
        /// Address of the fake alitrip TOP gateway (not started without
        /// one), at /router/rest. It takes [alitrip] app_key, app_secret
        /// and sm4 from the configuration, else the sandbox ones.
        #[arg(long)]
        top_addr: Option<SocketAddr>,
    },
    /// Benchmarks: load generator, baseline server, the suite.
    Bench(railgate::bench::BenchArgs),
}

#[tokio::main]
async fn main() -> ExitCode {
    let shutdown = shutdown_signal();
    let cli = Cli::parse();
    let env: HashMap<String, String> = std::env::vars().collect();
    let mut config = match Config::load(cli.config.as_deref(), &env) {
        Ok(config) => config,
        Err(error) => {
            eprintln!("railgate: {error}");
            return ExitCode::from(2);
        }
    };
    let benchmarking = matches!(cli.command, Some(Command::Bench(_)));
    if benchmarking && !env.contains_key("RAILGATE_LOG") {
        // A log line per request would measure the terminal, not railgate.
        config.log.filter = "warn".to_owned();
    }
    // A benchmark's report is its output; its logs go beside it.
    let log_target = if benchmarking {
        telemetry::LogTarget::Stderr
    } else {
        telemetry::LogTarget::Stdout
    };
    telemetry::init(&config.log, log_target);
    let result = match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(config, shutdown).await,
        Command::Sim {
            panhe_addr,
            panhe_app_key,
            juhe_addr,
            juhe_key,
            top_addr,
        } => {
            let juhe = juhe_addr.map(|addr| (addr, juhe_key));
            let addresses = SimAddresses {
                panhe: panhe_addr,
                juhe,
                top: top_addr,
            };
            run_simulators(config, addresses, panhe_app_key, shutdown).await
        }
        Command::Bench(args) => railgate::bench::run(args, shutdown)
            .await
            .map_err(Into::into),
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

async fn serve(
    config: Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), Box<dyn std::error::Error>> {
    let listeners = app::Listeners::bind(&config).await?;
    app::run(config, listeners, Arc::new(SystemClock), shutdown).await?;
    Ok(())
}

/// Where `railgate sim` listens.
struct SimAddresses {
    panhe: SocketAddr,
    /// Juhe's address and the key it accepts.
    juhe: Option<(SocketAddr, String)>,
    top: Option<SocketAddr>,
}

async fn run_simulators(
    config: Config,
    addresses: SimAddresses,
    panhe_app_key: String,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), Box<dyn std::error::Error>> {
    use futures_util::FutureExt;
    type Served = std::pin::Pin<Box<dyn Future<Output = std::io::Result<()>> + Send>>;
    let listener = tokio::net::TcpListener::bind(addresses.panhe).await?;
    let juhe_listener = match &addresses.juhe {
        Some((addr, _)) => Some(tokio::net::TcpListener::bind(addr).await?),
        None => None,
    };
    let top_listener = match addresses.top {
        Some(addr) => Some(tokio::net::TcpListener::bind(addr).await?),
        None => None,
    };
    let juhe_url = match &juhe_listener {
        Some(listener) => format!("http://{}{}", listener.local_addr()?, sim::juhe::BASE_PATH),
        None => String::new(),
    };
    let top_sim_config = config.alitrip.sim_config();
    let top_url = match &top_listener {
        Some(listener) => format!("http://{}{}", listener.local_addr()?, top_sim_config.path),
        None => String::new(),
    };
    tracing::info!(
        panhe = %format!("http://{}", listener.local_addr()?),
        juhe = %juhe_url,
        top = %top_url,
        "railgate simulators listening"
    );
    let sim_config = sim::panhe::PanheSimConfig {
        app_key: panhe_app_key,
        paths: config.panhe.paths,
        ..sim::panhe::PanheSimConfig::default()
    };
    // One signal stops every simulator.
    let shutdown = shutdown.shared();
    let mut served: Vec<Served> = vec![Box::pin(sim::panhe::serve(
        listener,
        sim_config,
        shutdown.clone(),
    ))];
    if let (Some(juhe_listener), Some((_, key))) = (juhe_listener, addresses.juhe) {
        let juhe_config = sim::juhe::JuheSimConfig {
            key,
            ..sim::juhe::JuheSimConfig::default()
        };
        served.push(Box::pin(sim::juhe::serve(
            juhe_listener,
            juhe_config,
            shutdown.clone(),
        )));
    }
    if let Some(top_listener) = top_listener {
        served.push(Box::pin(sim::top::serve(
            top_listener,
            top_sim_config,
            shutdown,
        )));
    }
    futures_util::future::try_join_all(served).await?;
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
