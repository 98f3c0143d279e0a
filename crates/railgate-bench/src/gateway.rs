//! railgate in this process for the suite and `bench compare`: its own
//! Panhe simulator (whose address the direct-call scenario needs) answering
//! at once, provider limits raised out of the way, a throw-away data
//! directory and, for PostgreSQL, a throw-away schema.

use super::BenchError;
use railgate::app::{self, AppError, Listeners};
use railgate::config::Config;
use railgate::domain::time::SystemClock;
use railgate_sim as sim;
use secrecy::SecretString;
use sqlx::Connection as _;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// Where the gateway keeps its orders.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreChoice {
    /// A SQLite file in the gateway's temporary data directory.
    Sqlite,
    /// A fresh schema on this PostgreSQL server, dropped at stop.
    Postgres(String),
}

/// How to start the gateway.
#[derive(Debug, Clone)]
pub struct GatewayOptions {
    /// `search.cache_ttl_ms`: 0 makes every Search a provider call.
    pub cache_ttl_ms: u64,
    pub store: StoreChoice,
    /// The simulator's hold and issue delay (provider time); zero is "at
    /// once".
    pub provider_delay: Duration,
    /// Keep the default Panhe quota (100 calls/s, 64 in flight, 70% of both
    /// for searches) instead of raising it out of the way: for scenarios
    /// about how railgate shares a quota.
    pub default_quota: bool,
    /// Bearer-token authentication with a clients file that knows this
    /// token (with every scope); None: `auth.mode = none`.
    pub auth_token: Option<String>,
    /// Juhe beside Panhe, each with its simulator, as the sandbox that
    /// `make run` starts has them (its Search answers carry both
    /// providers' seats, about twice the bytes); false: Panhe alone.
    pub juhe: bool,
}

/// A running railgate plus its Panhe simulator.
pub struct Gateway {
    pub grpc_addr: SocketAddr,
    /// The HTTP listener: callbacks, health and `/metrics`.
    pub http_addr: SocketAddr,
    /// The simulator's base URL (`http://127.0.0.1:port`).
    pub panhe_url: String,
    /// The order store railgate uses (for the store ceiling).
    pub store_url: String,
    data_dir: PathBuf,
    schema: Option<(String, String)>,
    stop: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<Result<(), AppError>>>,
}

impl Gateway {
    pub async fn start(options: GatewayOptions) -> Result<Self, BenchError> {
        Self::start_with(options, |_| {}).await
    }

    /// As [`Self::start`], with `configure` applied last to railgate's
    /// configuration (a setting one scenario needs, such as the
    /// reconciler's interval).
    pub async fn start_with(
        options: GatewayOptions,
        configure: impl FnOnce(&mut Config),
    ) -> Result<Self, BenchError> {
        let loopback = SocketAddr::from(([127, 0, 0, 1], 0));
        let sim_listener = TcpListener::bind(loopback).await.map_err(BenchError::Io)?;
        let panhe_url = format!(
            "http://{}",
            sim_listener.local_addr().map_err(BenchError::Io)?
        );
        let (stop, stopped) = oneshot::channel::<()>();
        let stopped = futures_util::FutureExt::shared(async {
            let _ = stopped.await;
        });
        let sim_config = sim::panhe::PanheSimConfig {
            hold_delay: options.provider_delay,
            issue_delay: options.provider_delay,
            ..sim::panhe::PanheSimConfig::default()
        };
        tokio::spawn(sim::panhe::serve(sim_listener, sim_config, stopped.clone()));
        let juhe_url = if options.juhe {
            let listener = TcpListener::bind(loopback).await.map_err(BenchError::Io)?;
            let address = listener.local_addr().map_err(BenchError::Io)?;
            let config = sim::juhe::JuheSimConfig::default();
            tokio::spawn(sim::juhe::serve(listener, config, stopped.clone()));
            Some(format!("http://{address}{}", sim::juhe::BASE_PATH))
        } else {
            None
        };

        let data_dir = std::env::temp_dir().join(format!(
            "railgate-bench-{}-{}",
            std::process::id(),
            uuid::Uuid::now_v7().simple()
        ));
        let mut config = Config::load(None, &HashMap::new())
            .map_err(|error| BenchError::Setup(error.to_string()))?;
        config.server.grpc_addr = loopback;
        config.server.http_addr = loopback;
        config.server.data_dir = data_dir.clone();
        config.search.cache_ttl_ms = options.cache_ttl_ms;
        config.panhe.base_url = Some(panhe_url.clone());
        // The simulator reads credentials in clear: say so explicitly.
        config.panhe.credential_cipher =
            Some(railgate::providers::panhe::credentials::CredentialCipherConfig::plaintext());
        config.panhe.app_key = Some(SecretString::from(sim::panhe::DEFAULT_APP_KEY));
        config.panhe.secret_key = Some(SecretString::from(sim::panhe::DEFAULT_SECRET_KEY));
        if let Some(url) = juhe_url {
            config.juhe.base_url = Some(url);
            config.juhe.key = Some(SecretString::from(sim::juhe::DEFAULT_KEY));
        }
        if !options.default_quota {
            // The providers' quotas are not what is measured.
            config.panhe.requests_per_second = 1_000_000;
            config.panhe.max_concurrency = 10_000;
            config.juhe.requests_per_second = 1_000_000;
            config.juhe.max_concurrency = 10_000;
        }
        // Every bench client is one caller (no authentication): the
        // per-caller cap on WatchOrder streams would stop the fan-out
        // scenario at its default of 1,000.
        config.limits.watch_streams_per_caller = 100_000;
        if let Some(token) = &options.auth_token {
            std::fs::create_dir_all(&data_dir).map_err(BenchError::Io)?;
            let clients = data_dir.join("clients.toml");
            std::fs::write(
                &clients,
                format!(
                    "[[client]]\nid = \"bench\"\ntoken_sha256 = \"{}\"\n\
                     scopes = [\"search\", \"book\", \"pay\", \"refund\", \"accounts\", \"admin\"]\n",
                    railgate::auth::clients::token_hash(token)
                ),
            )
            .map_err(BenchError::Io)?;
            config.auth.mode = Some(railgate::config::AuthMode::Tokens);
            config.auth.clients_file = Some(clients);
        }
        let schema = match &options.store {
            StoreChoice::Sqlite => None,
            StoreChoice::Postgres(server) => {
                let schema = format!("rg_bench_{}", uuid::Uuid::now_v7().simple());
                let mut admin = sqlx::PgConnection::connect(server)
                    .await
                    .map_err(|error| BenchError::Setup(format!("PostgreSQL: {error}")))?;
                sqlx::query(&format!("CREATE SCHEMA {schema}"))
                    .execute(&mut admin)
                    .await
                    .map_err(|error| BenchError::Setup(format!("PostgreSQL: {error}")))?;
                let _ = admin.close().await;
                let separator = if server.contains('?') { '&' } else { '?' };
                config.store.url = Some(format!(
                    "{server}{separator}options%5Bsearch_path%5D={schema}"
                ));
                Some((server.clone(), schema))
            }
        };
        let listeners = Listeners::bind(&config)
            .await
            .map_err(|error| BenchError::Setup(error.to_string()))?;
        let grpc_addr = listeners.grpc.local_addr().map_err(BenchError::Io)?;
        // The simulator calls back on loopback: say so, with a secret of
        // this run, so railgate neither warns nor waits for its reconciler.
        let http_addr = listeners.http.local_addr().map_err(BenchError::Io)?;
        config.callbacks.public_url = Some(format!("http://{http_addr}"));
        config.callbacks.secret = Some(SecretString::from(format!(
            "bench-{}",
            uuid::Uuid::now_v7().simple()
        )));
        configure(&mut config);
        let store_url = config.store_url();
        let server = tokio::spawn(app::run(config, listeners, Arc::new(SystemClock), stopped));
        Ok(Self {
            grpc_addr,
            http_addr,
            panhe_url,
            store_url,
            data_dir,
            schema,
            stop: Some(stop),
            server: Some(server),
        })
    }

    /// The gRPC URI for clients.
    pub fn uri(&self) -> String {
        format!("http://{}", self.grpc_addr)
    }

    /// Stops the server (and so its reconciler and outbox worker) but
    /// keeps its store, for measurements on the store alone.
    pub async fn stop_server(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(server) = self.server.take() {
            if let Ok(Err(error)) = server.await {
                tracing::warn!(error = %error, "bench gateway stopped with an error");
            }
        }
    }

    /// Stops the server and removes its data.
    pub async fn stop(mut self) {
        self.stop_server().await;
        if let Some((server, schema)) = self.schema.take() {
            if let Ok(mut admin) = sqlx::PgConnection::connect(&server).await {
                let _ = sqlx::query(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
                    .execute(&mut admin)
                    .await;
                let _ = admin.close().await;
            }
        }
        let _ = std::fs::remove_dir_all(&self.data_dir);
    }
}
