//! Wiring: builds the station directory, adapters, router and servers from
//! a [`Config`], then serves until the shutdown future completes. Tests
//! call [`run`] with listeners bound to port 0.

use crate::api::{self, ApiState};
use crate::config::{AlitripTarget, Config};
use crate::domain::time::SharedClock;
use crate::orders::{OrderService, OrderServiceConfig, reconciler};
use crate::providers::juhe::{JuheAdapter, JuheClient, JuheClientConfig};
use crate::providers::panhe::credentials::{
    ConfiguredCipher, CredentialCipher, CredentialCipherError, SandboxCipher,
};
use crate::providers::panhe::{PanheAdapter, PanheClient, PanheClientConfig};
use crate::routing::{Adapter, Router, SearchSettings};
use crate::sandbox::{self, SandboxCredentials};
use crate::stations::StationDirectory;
use crate::store::Store;
use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::watch;

/// The sockets railgate serves on, bound before [`run`] so callers (and
/// tests) know the ports and connections queue up while start-up finishes.
pub struct Listeners {
    /// gRPC API.
    pub grpc: TcpListener,
    /// HTTP: provider callbacks and liveness.
    pub http: TcpListener,
}

impl Listeners {
    /// Binds the configured addresses.
    pub async fn bind(config: &Config) -> Result<Self, AppError> {
        Ok(Self {
            grpc: bind(config.server.grpc_addr).await?,
            http: bind(config.server.http_addr).await?,
        })
    }
}

async fn bind(addr: SocketAddr) -> Result<TcpListener, AppError> {
    TcpListener::bind(addr)
        .await
        .map_err(|source| AppError::Bind { addr, source })
}

/// Why railgate could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// A listen address is taken or not allowed.
    #[error("cannot listen on {addr}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The data directory cannot be created.
    #[error("cannot create data directory {path}")]
    DataDir {
        /// The directory.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// An HTTP client could not be built (TLS set-up).
    #[error("cannot build the {provider} HTTP client")]
    HttpClient {
        /// The provider.
        provider: &'static str,
        /// Why.
        #[source]
        source: reqwest::Error,
    },
    /// Reflection descriptors failed to load (a build problem).
    #[error("cannot build gRPC reflection")]
    Reflection(#[from] tonic_reflection::server::Error),
    /// The order store cannot be opened or migrated.
    #[error("cannot open the order store")]
    Store(#[source] crate::store::StoreError),
    /// Panhe is real and no credential cipher is configured, or the one
    /// configured is unusable.
    #[error("cannot encrypt 12306 credentials for Panhe: {0}")]
    CredentialCipher(String),
    /// The gRPC server failed.
    #[error("gRPC server failed")]
    Grpc(#[from] tonic::transport::Error),
    /// An HTTP server failed.
    #[error("HTTP server failed")]
    Http(#[source] std::io::Error),
    /// Notification delivery could not start.
    #[error("cannot start notification delivery")]
    Notify(#[from] crate::notify::start::StartError),
    /// A sandbox simulator could not start.
    #[error("cannot start the sandbox")]
    Sandbox(#[from] sandbox::SandboxError),
    /// Callers cannot be authenticated (the clients file or JWT keys).
    #[error("cannot authenticate callers")]
    Auth(#[from] crate::config::AuthSetupError),
    /// The at-rest identity key is unusable.
    #[error("cannot encrypt identity fields at rest: {0}")]
    IdentityKey(String),
    /// The gRPC listener's TLS files cannot be used.
    #[error("cannot serve TLS")]
    Tls(#[from] crate::tls::TlsError),
}

/// Runs railgate until `shutdown` completes, then drains and returns.
pub async fn run(
    config: Config,
    listeners: Listeners,
    clock: SharedClock,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), AppError> {
    let (stop_sender, stop_receiver) = watch::channel(false);
    let stopped = move || {
        let mut receiver = stop_receiver.clone();
        async move {
            // An Err means the sender is gone, which also means stop.
            let _ = receiver.wait_for(|stop| *stop).await;
        }
    };

    // Port 0: a sandbox simulator is private to this process. Bound before
    // the first log line so that line can say where it is.
    let (panhe_base_url, panhe_simulator) = match &config.panhe.base_url {
        Some(url) => (url.clone(), None),
        None => {
            let listener = bind(SocketAddr::from(([127, 0, 0, 1], 0))).await?;
            let url = format!("http://{}", listener.local_addr().map_err(AppError::Http)?);
            (url, Some(listener))
        }
    };
    // Juhe: the configured API, else (in sandbox mode only) its simulator.
    let (juhe_base_url, juhe_simulator) = match &config.juhe.base_url {
        Some(url) => (Some(url.clone()), None),
        None if config.panhe_is_simulated() => {
            let listener = bind(SocketAddr::from(([127, 0, 0, 1], 0))).await?;
            let address = listener.local_addr().map_err(AppError::Http)?;
            let url = format!("http://{address}{}", sandbox::JUHE_BASE_PATH);
            (Some(url), Some(listener))
        }
        None => (None, None),
    };
    let grpc_addr = listeners.grpc.local_addr().map_err(AppError::Http)?;
    let http_addr = listeners.http.local_addr().map_err(AppError::Http)?;
    if config.panhe_is_simulated() {
        tracing::info!(
            mode = "sandbox",
            panhe_simulator = %panhe_base_url,
            juhe_simulator = juhe_base_url.as_deref().unwrap_or("-"),
            grpc = %grpc_addr,
            http = %http_addr,
            "railgate starting in sandbox mode: built-in Panhe and Juhe simulators, no real provider is called"
        );
    } else {
        tracing::info!(mode = "live", panhe = %panhe_base_url, grpc = %grpc_addr, http = %http_addr, "railgate starting");
        let unconfirmed = config.panhe.unconfirmed_default_paths();
        if !unconfirmed.is_empty() {
            tracing::warn!(
                endpoints = %unconfirmed.join(","),
                "panhe endpoint paths are railgate's defaults, which seed 002 does not give: \
                 confirm them with Panhe, override them in [panhe.paths], then set panhe.paths_confirmed = true"
            );
        }
        if config.offers.signing_key.is_none() {
            tracing::warn!(
                "offers.signing_key is unset: offer ids are sealed with a key of this process, so \
                 they are refused after a restart or by another instance (RAILGATE_OFFER_SIGNING_KEY)"
            );
        }
    }
    if let Some(listener) = panhe_simulator {
        sandbox::spawn_panhe(&config, listener, stopped());
    }
    if let Some(listener) = juhe_simulator {
        sandbox::spawn_juhe(&config, listener, stopped());
    }
    std::fs::create_dir_all(&config.server.data_dir).map_err(|source| AppError::DataDir {
        path: config.server.data_dir.clone(),
        source,
    })?;

    let stations = StationDirectory::embedded();
    let metrics = crate::metrics::Metrics::new();
    let panhe_app_key = config
        .panhe
        .app_key
        .clone()
        .unwrap_or_else(SandboxCredentials::panhe_app_key);
    let panhe_client = PanheClient::new(PanheClientConfig {
        base_url: panhe_base_url,
        app_key: panhe_app_key,
        paths: config.panhe.paths.clone(),
        limits: config.panhe.limits(),
    })
    .map_err(|source| AppError::HttpClient {
        provider: "panhe",
        source,
    })?
    .with_resilience(config.resilience.settings())
    .with_metrics(metrics.clone());
    let panhe = PanheAdapter::new(panhe_client, stations);
    let mut adapters = vec![Adapter::Panhe(panhe.clone())];
    let juhe = match juhe_base_url {
        Some(base_url) => Some(juhe_adapter(&config, base_url, stations, &metrics)?),
        None => None,
    };
    adapters.extend(juhe.clone().map(Adapter::Juhe));
    let router = Router::new(
        adapters,
        config.routing.clone(),
        SearchSettings {
            provider_timeout: config.search.provider_timeout(),
            cache_ttl: config.search.cache_ttl(),
            offer_seal: config.offers.seal(clock.clone()),
            metrics: metrics.clone(),
            city_merging: config.search.city_merging_providers.clone(),
            pair_concurrency: config.search.pair_concurrency,
            through_stops_max_calls: config.search.through_stops_max_calls,
        },
    );
    let store = Store::connect_with(&config.store_url(), config.store.sqlite_durability)
        .await
        .map_err(AppError::Store)?
        .with_clock(clock.clone())
        .with_metrics(metrics.clone())
        .with_identity_cipher(
            config
                .store
                .identity_cipher()
                .map_err(AppError::IdentityKey)?,
        );
    tracing::info!(backend = store.backend_name(), "order store ready");
    let panhe_secret_key = config
        .panhe
        .secret_key
        .clone()
        .unwrap_or_else(SandboxCredentials::panhe_secret_key);
    let cipher = credential_cipher(&config)?;
    let accounts = crate::accounts::Accounts::new(panhe.clone(), cipher.clone());
    let orders = OrderService::new(
        store,
        panhe,
        OrderServiceConfig {
            panhe_secret_key,
            cipher,
            panhe_callback_url: Some(crate::callbacks::panhe_callback_url(&config, http_addr)),
            idempotency_lease: Duration::from_millis(config.orders.idempotency_lease_ms),
        },
        clock.clone(),
    )
    .with_metrics(metrics.clone());
    let orders = Arc::new(match juhe {
        Some(juhe) => {
            let base = crate::callbacks::juhe::juhe_callback_url(&config, http_addr);
            let registering = juhe.clone();
            tokio::spawn(
                async move { crate::callbacks::juhe::register(&registering, &base).await },
            );
            orders.with_juhe(juhe)
        }
        None => orders,
    });
    tokio::spawn(reconciler::run(
        orders.clone(),
        Duration::from_millis(config.orders.reconcile_interval_ms),
        stopped(),
    ));
    tokio::spawn(crate::orders::retention::run(
        orders.store().clone(),
        clock.clone(),
        config.orders.retention(),
        stopped(),
    ));
    let sandbox_gateway = match config.alitrip.target(config.panhe_is_simulated()) {
        AlitripTarget::Sandbox => {
            Some(sandbox::start_top(&config, clock.clone(), stopped()).await?)
        }
        AlitripTarget::Disabled | AlitripTarget::Gateway { .. } => None,
    };
    crate::notify::start::start(
        &config,
        sandbox_gateway,
        crate::notify::start::DeliveryContext {
            store: orders.store().clone(),
            order_events: orders.subscribe(),
            clock: clock.clone(),
            stations,
            metrics: metrics.clone(),
            stopped: &stopped,
        },
    )?;
    crate::orders::grab_dates::start_settler(orders.clone(), orders.subscribe(), stopped());
    let watch_hub = api::watch::WatchHub::start(
        orders.store().clone(),
        stations,
        api::watch::WatchSettings {
            streams_per_caller: config.limits.watch_streams_per_caller,
            poll_interval: Duration::from_millis(config.server.watch_poll_interval_ms),
            metrics: metrics.clone(),
            ..api::watch::WatchSettings::default()
        },
        orders.subscribe(),
    );
    let state = Arc::new(ApiState {
        stations,
        router,
        clock,
        orders,
        watch_hub,
        accounts,
        search_replies: api::search_reply::ReplyCache::new(
            config.search.cache_ttl(),
            metrics.clone(),
        ),
    });

    let http = tokio::spawn(serve_http(
        listeners.http,
        state.orders.clone(),
        crate::callbacks::CallbackSecrets::from_config(&config),
        config.callbacks.allowlists(),
        metrics.clone(),
        config.server.http_limits(),
        stopped(),
    ));
    let watch_hub = state.watch_hub.clone();
    let grpc = crate::grpc_server::start(state, listeners.grpc, &config, metrics.clone(), &stopped)
        .await?;
    tokio::spawn(async move {
        shutdown.await;
        tracing::info!("shutdown requested: draining connections");
        let _ = stop_sender.send(true);
        // Follow streams never finish by themselves: they end now, with
        // UNAVAILABLE, and their watchers resume on another instance.
        watch_hub.stop_streams();
    });

    let drained = async {
        let grpc_result = grpc.await;
        let http_result = match http.await {
            Ok(result) => result,
            Err(join_error) => Err(AppError::Http(std::io::Error::other(join_error))),
        };
        grpc_result.and(http_result)
    };
    let grace = Duration::from_millis(config.server.shutdown_grace_ms);
    let grace_over = async {
        stopped().await;
        tokio::time::sleep(grace).await;
    };
    let result = tokio::select! {
        result = drained => result,
        () = grace_over => {
            tracing::warn!(
                grace_ms = config.server.shutdown_grace_ms,
                "shutdown grace period over: exiting with calls still in flight"
            );
            Ok(())
        }
    };
    tracing::info!("railgate stopped");
    result
}

/// The Juhe adapter at `base_url` with the configured key (the sandbox
/// key for the simulator) and limits.
fn juhe_adapter(
    config: &Config,
    base_url: String,
    stations: &'static StationDirectory,
    metrics: &crate::metrics::Metrics,
) -> Result<JuheAdapter, AppError> {
    let key = config
        .juhe
        .key
        .clone()
        .unwrap_or_else(SandboxCredentials::juhe_key);
    let limits = config.juhe.limits();
    let http = reqwest::Client::builder()
        .timeout(limits.timeout)
        .pool_idle_timeout(Duration::from_secs(90))
        .user_agent(concat!("railgate/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|source| AppError::HttpClient {
            provider: "juhe",
            source,
        })?;
    let client = JuheClient::new(
        http,
        JuheClientConfig {
            base_url,
            key,
            paths: config.juhe.paths.clone(),
            limits,
        },
    )
    .with_resilience(config.resilience.settings())
    .with_metrics(metrics.clone());
    Ok(
        JuheAdapter::new(client, stations)
            .with_submit_id_numbering(config.juhe.submit_id_numbering),
    )
}

/// The configured credential cipher; the pass-through one only for the
/// sandbox simulator (Config::load refuses a real Panhe without one, and
/// this refuses it again for configs built in code).
fn credential_cipher(config: &Config) -> Result<Arc<dyn CredentialCipher>, AppError> {
    match &config.panhe.credential_cipher {
        Some(cipher) => ConfiguredCipher::new(cipher)
            .map(|cipher| Arc::new(cipher) as Arc<dyn CredentialCipher>)
            .map_err(|error: CredentialCipherError| AppError::CredentialCipher(error.to_string())),
        None if config.panhe_is_simulated() => Ok(Arc::new(SandboxCipher)),
        None => Err(AppError::CredentialCipher(
            "panhe.credential_cipher is not set and panhe.base_url is a real Panhe".into(),
        )),
    }
}

async fn serve_http(
    listener: TcpListener,
    orders: Arc<OrderService>,
    callback_secrets: crate::callbacks::CallbackSecrets,
    allowlists: crate::callbacks::allowlist::SourceAllowlists,
    metrics: crate::metrics::Metrics,
    limits: crate::http_server::HttpLimits,
    stopped: impl Future<Output = ()> + Send + 'static,
) -> Result<(), AppError> {
    let app = axum::Router::new()
        .route("/healthz", axum::routing::get(|| async { "ok" }))
        .route(
            "/metrics",
            axum::routing::get({
                let metrics = metrics.clone();
                let store = orders.store().clone();
                move |headers: axum::http::HeaderMap| {
                    let metrics = metrics.clone();
                    let store = store.clone();
                    async move {
                        metrics.refresh_from_store(&store).await;
                        let accept = headers
                            .get(axum::http::header::ACCEPT)
                            .and_then(|value| value.to_str().ok());
                        let (content_type, text) = metrics.exposition(accept);
                        ([(axum::http::header::CONTENT_TYPE, content_type)], text)
                    }
                }
            }),
        )
        .merge(crate::callbacks::router(
            orders,
            callback_secrets,
            allowlists,
            metrics,
        ));
    crate::http_server::serve(listener, app, limits, stopped)
        .await
        .map_err(AppError::Http)
}
