//! Configuration: one typed tree. Sources, later ones winning: built-in
//! defaults → TOML file (`--config`) → `RAILGATE_*` environment variables
//! (and the standard `OTEL_*` ones for `[telemetry]`).
//! The environment is passed in as a map so tests never touch the process
//! environment. Every problem is reported at once, naming its key.

mod alitrip;
mod auth;
mod callbacks;
mod edge;
mod env;
mod offers;
mod providers;
mod resilience;
mod routing;
mod telemetry;

pub use alitrip::{AlitripConfig, AlitripTarget, Sm4Settings};
pub use auth::{AuthConfig, AuthMode, AuthSetupError, JwtConfig};
pub use callbacks::{CallbacksConfig, MIN_CALLBACK_SECRET_LEN};
pub use edge::{LimitsConfig, TlsConfig};
pub use offers::OffersConfig;
pub use providers::{JuheConfig, PanheConfig};
pub use resilience::ResilienceConfig;
pub use routing::RoutingConfig;
pub use telemetry::{ENV_KEYS as OTEL_ENV_KEYS, SamplerKind, TelemetryConfig};

use crate::providers::panhe::credentials::ConfiguredCipher;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use std::collections::HashMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub use alitrip::ENV_KEYS as ALITRIP_ENV_KEYS;
pub use env::ENV_KEYS;

/// The whole configuration.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Listeners and local state.
    pub server: ServerConfig,
    /// Logging.
    pub log: LogConfig,
    /// Search behaviour across providers.
    pub search: SearchConfig,
    /// How offer ids are sealed.
    pub offers: OffersConfig,
    /// How gRPC callers authenticate.
    pub auth: AuthConfig,
    /// TLS on the gRPC listener.
    pub tls: TlsConfig,
    /// What the gRPC listener lets in.
    pub limits: LimitsConfig,
    /// The Panhe provider; unset `base_url` means the built-in simulator.
    pub panhe: PanheConfig,
    /// The Juhe provider.
    pub juhe: JuheConfig,
    /// Each provider's circuit breaker and read retries.
    pub resilience: ResilienceConfig,
    /// The order store.
    pub store: StoreConfig,
    /// Booking flows.
    pub orders: OrdersConfig,
    /// The built-in simulators of sandbox mode.
    pub sandbox: SandboxConfig,
    /// Provider callback ingress.
    pub callbacks: CallbacksConfig,
    /// Which provider serves what.
    pub routing: RoutingConfig,
    /// Booking results to Alibaba business travel (TOP callbacks).
    pub alitrip: AlitripConfig,
    /// OpenTelemetry traces.
    pub telemetry: TelemetryConfig,
}

/// The order store.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StoreConfig {
    /// `sqlite://path?mode=rwc` or `postgres://…`. Unset: a SQLite file
    /// `railgate.db` in the data directory.
    pub url: Option<String>,
    /// 32 bytes as 64 hex digits: encrypts passengers' and contacts' names,
    /// ID numbers and phones at rest (AES-256-GCM). Unset: stored in clear.
    pub identity_key: Option<SecretString>,
    /// The key before a rotation, still used to read values sealed with it.
    pub previous_identity_key: Option<SecretString>,
    /// An SQLite store's commit durability: `normal` (default; a commit
    /// survives railgate crashing, the last ones may not survive a power
    /// loss) or `full` (one disk sync per commit). See OPERATIONS.md.
    pub sqlite_durability: crate::store::SqliteDurability,
}

impl StoreConfig {
    /// The at-rest cipher of these settings; an unusable key is an error
    /// (never a silent fall-back to clear text), for configs built in code
    /// as well as loaded ones.
    pub fn identity_cipher(&self) -> Result<crate::store::IdentityCipher, String> {
        let key = |name: &str, key: &Option<SecretString>| {
            key.as_ref()
                .map(|key| identity_key(key).map_err(|message| format!("{name} {message}")))
                .transpose()
        };
        let current = key("store.identity_key", &self.identity_key)?;
        let previous = key("store.previous_identity_key", &self.previous_identity_key)?;
        Ok(match current {
            Some(current) => crate::store::IdentityCipher::new(&current, previous.as_ref()),
            None => crate::store::IdentityCipher::none(),
        })
    }
}

fn identity_key(key: &SecretString) -> Result<[u8; 32], String> {
    hex::decode(key.expose_secret().trim())
        .ok()
        .and_then(|bytes| <[u8; 32]>::try_from(bytes).ok())
        .ok_or_else(|| {
            "must be 32 bytes as 64 hex digits (e.g. from `openssl rand -hex 32`)".into()
        })
}

/// Booking flows.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OrdersConfig {
    /// How often the reconciler polls the provider for orders that are not
    /// settled, in milliseconds.
    pub reconcile_interval_ms: u64,
    /// How long a request holds its idempotency key before a retry may
    /// take it over, in milliseconds. A retry within the lease is told the
    /// request is still in progress; after it, the retry resumes whatever
    /// the first attempt left (its owner is presumed dead). Longer than
    /// the slowest provider call, or a slow first attempt is taken over.
    pub idempotency_lease_ms: u64,
    /// Days processed callback inbox entries (raw provider bodies) are
    /// kept; 0 keeps them for ever.
    pub inbox_retention_days: u32,
    /// Days a settled order's events (snapshots; older ones copy its passengers)
    /// are kept after its last change, all but the last; 0 keeps them.
    pub event_retention_days: u32,
}

impl Default for OrdersConfig {
    fn default() -> Self {
        Self {
            reconcile_interval_ms: 2_000,
            idempotency_lease_ms: 120_000,
            inbox_retention_days: 30,
            event_retention_days: 90,
        }
    }
}

impl OrdersConfig {
    /// The retention sweep's settings.
    pub fn retention(&self) -> crate::orders::retention::Retention {
        crate::orders::retention::Retention {
            inbox_days: self.inbox_retention_days,
            event_days: self.event_retention_days,
        }
    }
}

/// The built-in simulators of sandbox mode.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SandboxConfig {
    /// Provider seconds per real second in the simulators (1.0 = real
    /// time; 60 runs a provider minute per second).
    pub clock_scale: f64,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        Self { clock_scale: 1.0 }
    }
}

/// Listeners and local state.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerConfig {
    /// gRPC listen address.
    pub grpc_addr: SocketAddr,
    /// HTTP listen address (provider callbacks, health, metrics).
    pub http_addr: SocketAddr,
    /// Directory for local state (the SQLite database).
    pub data_dir: PathBuf,
    /// A request's headers must reach the HTTP listener within this, in
    /// milliseconds; a connection that sends nothing (or idles between
    /// requests) for longer is closed.
    pub http_header_read_timeout_ms: u64,
    /// A request to the HTTP listener (a callback) must be answered within
    /// this, in milliseconds, or gets `503` (the provider retries).
    pub http_request_timeout_ms: u64,
    /// A gRPC handler must answer within this, in milliseconds (a
    /// WatchOrder stream answers at once and then runs as long as it
    /// follows); a client's shorter `grpc-timeout` still applies.
    pub grpc_request_timeout_ms: u64,
    /// A gRPC connection must send its HTTP/2 preface within this, in
    /// milliseconds, or is closed (a client that connects and sends nothing
    /// would otherwise hold it for ever).
    pub grpc_handshake_timeout_ms: u64,
    /// HTTP/2 keepalive pings on gRPC connections, in milliseconds: a
    /// connection whose peer does not answer one within a third of this
    /// (or 10 s) is closed.
    pub grpc_keepalive_interval_ms: u64,
    /// After a shutdown signal, how long in-flight calls may take to finish,
    /// in milliseconds; then railgate exits with whatever is still open.
    /// Below Kubernetes' default 30 s termination grace.
    pub shutdown_grace_ms: u64,
    /// How often a WatchOrder feed reads the store for other instances'
    /// events while no PostgreSQL `LISTEN` connection hears them (always on
    /// SQLite), in milliseconds.
    pub watch_poll_interval_ms: u64,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            grpc_addr: SocketAddr::from(([127, 0, 0, 1], 50051)),
            http_addr: SocketAddr::from(([127, 0, 0, 1], 8080)),
            data_dir: PathBuf::from("var"),
            http_header_read_timeout_ms: 10_000,
            http_request_timeout_ms: 30_000,
            grpc_request_timeout_ms: 60_000,
            grpc_handshake_timeout_ms: 10_000,
            grpc_keepalive_interval_ms: 30_000,
            shutdown_grace_ms: 25_000,
            watch_poll_interval_ms: 2_000,
        }
    }
}

impl ServerConfig {
    /// The HTTP listener's limits.
    pub fn http_limits(&self) -> crate::http_server::HttpLimits {
        crate::http_server::HttpLimits {
            header_read_timeout: Duration::from_millis(self.http_header_read_timeout_ms),
            handler_timeout: Duration::from_millis(self.http_request_timeout_ms),
            shutdown_grace: Duration::from_secs(10),
        }
    }
}

/// Log output.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LogConfig {
    /// `text` for people, `json` for log pipelines.
    pub format: LogFormat,
    /// A tracing filter directive, e.g. `info` or `railgate=debug,info`.
    pub filter: String,
}

impl Default for LogConfig {
    fn default() -> Self {
        Self {
            format: LogFormat::Text,
            filter: "info".to_owned(),
        }
    }
}

/// Log line format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// Search behaviour.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SearchConfig {
    /// How long a search waits for each provider before answering without
    /// it, in milliseconds.
    pub provider_timeout_ms: u64,
    /// How long a provider's answer for a route and date is reused, in
    /// milliseconds; 0 turns the cache (and coalescing) off.
    pub cache_ttl_ms: u64,
    /// Providers whose search answers for a whole city, so that a city
    /// search asks them once rather than once per station pair. Empty by
    /// default: both providers' seeds say a search takes a station (see
    /// the README, "Same-city search").
    pub city_merging_providers: Vec<crate::domain::ProviderId>,
    /// Station-pair calls of one city search in flight at once (on top of
    /// each provider's own concurrency and rate limits).
    pub pair_concurrency: usize,
    /// Most extra provider calls (stop lists and longer-segment searches)
    /// one Search may make to find through-stop (买长乘短) offers.
    pub through_stops_max_calls: u32,
}

impl Default for SearchConfig {
    fn default() -> Self {
        Self {
            provider_timeout_ms: 5_000,
            cache_ttl_ms: 10_000,
            city_merging_providers: Vec::new(),
            pair_concurrency: 8,
            through_stops_max_calls: 8,
        }
    }
}

/// Most station-pair calls of one search in flight.
pub const MAX_PAIR_CONCURRENCY: usize = 64;
/// Most extra provider calls a Search may spend on through-stop offers.
pub const MAX_THROUGH_STOPS_CALLS: u32 = 50;

impl SearchConfig {
    /// The per-provider search timeout.
    pub fn provider_timeout(&self) -> Duration {
        Duration::from_millis(self.provider_timeout_ms)
    }

    /// How long provider answers are cached.
    pub fn cache_ttl(&self) -> Duration {
        Duration::from_millis(self.cache_ttl_ms)
    }
}

/// One bad setting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigProblem {
    /// The key, as the user wrote it (`panhe.app_key` or `RAILGATE_PANHE_APP_KEY`).
    pub key: String,
    /// What is wrong with it.
    pub message: String,
}

/// Every problem found in the configuration.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ConfigError {
    /// The problems, in the order found.
    pub problems: Vec<ConfigProblem>,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid configuration:")?;
        for problem in &self.problems {
            write!(f, "\n  {}: {}", problem.key, problem.message)?;
        }
        Ok(())
    }
}

impl Config {
    /// Loads defaults, then `file` if given, then the `RAILGATE_*` entries
    /// of `env`, and validates the result.
    pub fn load(file: Option<&Path>, env: &HashMap<String, String>) -> Result<Config, ConfigError> {
        let config = match file {
            Some(path) => Self::from_file(path)?,
            None => Config::default(),
        };
        Self::finish(config, env)
    }

    /// [`Config::load`] of a file whose content is `text` (`source` names
    /// it in problems): the same parsing, environment and validation,
    /// without the file system (for the fuzz targets, `crate::fuzzing`).
    pub fn load_text(
        source: &str,
        text: &str,
        env: &HashMap<String, String>,
    ) -> Result<Config, ConfigError> {
        Self::finish(Self::from_toml(source, text)?, env)
    }

    /// Applies `env` to `config` and validates the result.
    fn finish(mut config: Config, env: &HashMap<String, String>) -> Result<Config, ConfigError> {
        let mut problems = env::apply(&mut config, env);
        config.telemetry.apply_env(env, &mut problems);
        problems.extend(config.validate());
        if problems.is_empty() {
            Ok(config)
        } else {
            Err(ConfigError { problems })
        }
    }

    fn from_file(path: &Path) -> Result<Config, ConfigError> {
        let key = path.display().to_string();
        let text = std::fs::read_to_string(path)
            .map_err(|error| single(&key, format!("cannot read: {error}")))?;
        Self::from_toml(&key, &text)
    }

    fn from_toml(key: &str, text: &str) -> Result<Config, ConfigError> {
        toml::from_str(text).map_err(|error| single(key, error.to_string().trim_end().to_owned()))
    }

    /// The order store URL: the configured one, or the data directory's
    /// SQLite file.
    pub fn store_url(&self) -> String {
        self.store.url.clone().unwrap_or_else(|| {
            format!(
                "sqlite://{}?mode=rwc",
                self.server.data_dir.join("railgate.db").display()
            )
        })
    }

    /// Whether Panhe runs as the built-in simulator.
    pub fn panhe_is_simulated(&self) -> bool {
        self.panhe.base_url.is_none()
    }

    fn validate(&self) -> Vec<ConfigProblem> {
        let mut problems = Vec::new();
        self.routing.validate(&mut problems);
        self.alitrip.validate(&mut problems);
        self.offers.validate(&mut problems);
        self.resilience.validate(&mut problems);
        self.telemetry.validate(&mut problems);
        self.tls.validate(&mut problems);
        self.limits.validate(&mut problems);
        self.auth.validate(
            self.panhe_is_simulated(),
            self.tls.requires_client_certificates(),
            &mut problems,
        );
        let mut problem = |key: &str, message: String| {
            problems.push(ConfigProblem {
                key: key.to_owned(),
                message,
            })
        };
        if let Some(url) = &self.panhe.base_url {
            if let Err(message) = check_base_url(url) {
                problem("panhe.base_url", message);
            }
            if self.panhe.app_key.is_none() {
                problem(
                    "panhe.app_key",
                    "is required when panhe.base_url is set (RAILGATE_PANHE_APP_KEY)".into(),
                );
            }
            if self.panhe.secret_key.is_none() {
                problem(
                    "panhe.secret_key",
                    "is required when panhe.base_url is set: it signs payments (RAILGATE_PANHE_SECRET_KEY)".into(),
                );
            }
            match &self.panhe.credential_cipher {
                None => problem(
                    "panhe.credential_cipher",
                    "is required when panhe.base_url is set: Panhe takes 12306 credentials as \
                     ciphertext (密文) of a cipher the seed does not name; set algorithm \
                     (aes-128-ecb, sm4-ecb, or plaintext if Panhe takes clear text) and key as \
                     agreed with Panhe (RAILGATE_PANHE_CREDENTIAL_CIPHER, RAILGATE_PANHE_CREDENTIAL_KEY)"
                        .into(),
                ),
                Some(cipher) => {
                    if let Err(error) = ConfiguredCipher::new(cipher) {
                        problem("panhe.credential_cipher", error.to_string());
                    }
                }
            }
        }
        if let Some(url) = &self.juhe.base_url {
            if let Err(message) = check_base_url(url) {
                problem("juhe.base_url", message);
            }
            if self.juhe.key.is_none() {
                problem(
                    "juhe.key",
                    "is required when juhe.base_url is set (RAILGATE_JUHE_KEY)".into(),
                );
            }
        }
        for (key, value) in [
            ("panhe.timeout_ms", self.panhe.timeout_ms),
            ("panhe.max_concurrency", self.panhe.max_concurrency as u64),
            ("panhe.requests_per_second", self.panhe.requests_per_second),
            ("juhe.timeout_ms", self.juhe.timeout_ms),
            (
                "server.http_header_read_timeout_ms",
                self.server.http_header_read_timeout_ms,
            ),
            (
                "server.http_request_timeout_ms",
                self.server.http_request_timeout_ms,
            ),
            (
                "server.grpc_request_timeout_ms",
                self.server.grpc_request_timeout_ms,
            ),
            (
                "server.grpc_keepalive_interval_ms",
                self.server.grpc_keepalive_interval_ms,
            ),
            (
                "server.grpc_handshake_timeout_ms",
                self.server.grpc_handshake_timeout_ms,
            ),
            ("server.shutdown_grace_ms", self.server.shutdown_grace_ms),
            (
                "server.watch_poll_interval_ms",
                self.server.watch_poll_interval_ms,
            ),
            ("juhe.max_concurrency", self.juhe.max_concurrency as u64),
            ("juhe.requests_per_second", self.juhe.requests_per_second),
            (
                "search.provider_timeout_ms",
                self.search.provider_timeout_ms,
            ),
            (
                "search.pair_concurrency",
                self.search.pair_concurrency as u64,
            ),
            (
                "orders.reconcile_interval_ms",
                self.orders.reconcile_interval_ms,
            ),
            (
                "orders.idempotency_lease_ms",
                self.orders.idempotency_lease_ms,
            ),
        ] {
            if value == 0 {
                problem(key, "must be greater than 0".into());
            }
        }
        if self.search.pair_concurrency > MAX_PAIR_CONCURRENCY {
            problem(
                "search.pair_concurrency",
                format!("must be at most {MAX_PAIR_CONCURRENCY}"),
            );
        }
        if self.search.through_stops_max_calls > MAX_THROUGH_STOPS_CALLS {
            problem(
                "search.through_stops_max_calls",
                format!("must be at most {MAX_THROUGH_STOPS_CALLS}"),
            );
        }
        for (key, share) in [
            (
                "panhe.search_share_percent",
                self.panhe.search_share_percent,
            ),
            ("juhe.search_share_percent", self.juhe.search_share_percent),
        ] {
            if !(1..=99).contains(&share) {
                problem(
                    key,
                    format!("{share} is not a percentage from 1 to 99 (the rest is for orders)"),
                );
            }
        }
        let provider_paths = self
            .panhe
            .paths
            .entries()
            .into_iter()
            .map(|(key, path)| ("panhe", key, path))
            .chain(
                self.juhe
                    .paths
                    .entries()
                    .into_iter()
                    .map(|(key, path)| ("juhe", key, path)),
            );
        for (provider, key, path) in provider_paths {
            if !path.starts_with('/') {
                problem(
                    &format!("{provider}.paths.{key}"),
                    format!("\"{path}\" must start with /"),
                );
            }
        }
        if !(self.sandbox.clock_scale.is_finite() && self.sandbox.clock_scale > 0.0) {
            problem(
                "sandbox.clock_scale",
                "must be a number greater than 0".into(),
            );
        }
        if let Some(url) = &self.store.url
            && !(url.starts_with("sqlite:")
                || url.starts_with("postgres:")
                || url.starts_with("postgresql:"))
        {
            problem("store.url", "must start with sqlite: or postgres:".into());
        }
        for (key, value) in [
            ("store.identity_key", &self.store.identity_key),
            (
                "store.previous_identity_key",
                &self.store.previous_identity_key,
            ),
        ] {
            if let Some(value) = value
                && let Err(message) = identity_key(value)
            {
                problem(key, message);
            }
        }
        if self.store.previous_identity_key.is_some() && self.store.identity_key.is_none() {
            problem(
                "store.previous_identity_key",
                "is only used beside store.identity_key (RAILGATE_STORE_IDENTITY_KEY)".into(),
            );
        }
        self.callbacks.validate(&mut problem);
        if let Err(error) = tracing_subscriber::EnvFilter::try_new(&self.log.filter) {
            problem("log.filter", error.to_string());
        }
        problems
    }
}

pub(super) fn check_base_url(url: &str) -> Result<(), String> {
    match reqwest::Url::parse(url) {
        Ok(parsed) if matches!(parsed.scheme(), "http" | "https") && parsed.host().is_some() => {
            Ok(())
        }
        Ok(_) => Err(format!(
            "\"{url}\" must be an http:// or https:// URL with a host"
        )),
        Err(error) => Err(format!("\"{url}\" is not a URL: {error}")),
    }
}

fn single(key: &str, message: String) -> ConfigError {
    ConfigError {
        problems: vec![ConfigProblem {
            key: key.to_owned(),
            message,
        }],
    }
}

#[cfg(test)]
mod edge_tests;
#[cfg(test)]
mod tests;
