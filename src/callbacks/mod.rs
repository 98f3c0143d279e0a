//! Provider callback ingress: the HTTP routes providers POST status
//! notifications to.
//!
//! ```text
//! POST /callbacks/panhe/{secret}/order    callBackUrl (order and change status)
//! POST /callbacks/panhe/{secret}/refund   refundTicketCallbackUrl (refund status)
//! POST /callbacks/juhe/{secret}/{kind}     Juhe's three callback types (see `juhe`)
//! ```
//!
//! railgate sends these URLs with every createOrder / applyChange
//! (`<callbacks.public_url>/callbacks/panhe/<Panhe's secret>`) and
//! registers Juhe's with addCallbackUrl, so only a party that saw them
//! knows a secret. Each provider's secret is derived from
//! `callbacks.secret` ([`provider_secret`]), so one provider's URL never
//! opens the other's routes; `callbacks.previous_secret` keeps the old
//! ones valid during a rotation. A callback is a
//! trigger, not a source of truth (Panhe's body is undocumented): it is
//! authenticated, deduplicated through the store's inbox, and then the
//! order is re-read from the provider ([`OrderService::refresh`]), which
//! applies the transition and publishes the event. The reconciler covers
//! every callback that is lost, refused or fails.

pub mod allowlist;
// pub(crate) for the fuzz targets (`crate::fuzzing`).
pub(crate) mod body;
pub mod juhe;
mod panhe;

#[cfg(test)]
mod tests;

use crate::config::Config;
use crate::domain::ProviderId;
use crate::log_budget::LogBudget;
use crate::orders::OrderService;
use axum::extract::DefaultBodyLimit;
use axum::routing::post;
use secrecy::{ExposeSecret, SecretString};
use std::collections::HashSet;
use std::io::Read;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::{Arc, Mutex, OnceLock};

/// Largest callback body accepted. Panhe's notifications are a few hundred
/// bytes; this leaves room for a provider that sends the whole order.
const BODY_LIMIT: usize = 64 * 1024;

/// Dedupe keys remembered for reprocessing after a failure (per process;
/// beyond this the reconciler alone covers them).
const RETRY_MEMORY: usize = 10_000;

/// The secret generated when none is configured: one per process, so the
/// URLs sent to providers and the routes that check them agree.
static GENERATED_SECRET: OnceLock<String> = OnceLock::new();

/// The base secret: the configured one, or this process's random one.
fn base_secret(config: &Config) -> SecretString {
    match &config.callbacks.secret {
        Some(secret) => secret.clone(),
        None => SecretString::from(GENERATED_SECRET.get_or_init(random_secret).clone()),
    }
}

/// The secret in `provider`'s callback URLs, derived from `base`: 64 hex
/// digits of HMAC-SHA256(base, "railgate-callback:<provider>"). Each
/// provider's URLs therefore open its own routes only: a secret seen in
/// one provider's URL does not open the other's, and neither gives away
/// the base secret.
pub fn provider_secret(base: &SecretString, provider: ProviderId) -> SecretString {
    use hmac::{Hmac, Mac};
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(base.expose_secret().as_bytes())
        .expect("HMAC takes a key of any length");
    mac.update(format!("railgate-callback:{}", provider.as_str()).as_bytes());
    SecretString::from(hex::encode(mac.finalize().into_bytes()))
}

/// The secrets one provider's callbacks are checked against.
#[derive(Clone)]
pub struct ProviderSecrets {
    /// Sent in new URLs, and accepted.
    pub current: SecretString,
    /// Still accepted during a rotation (`callbacks.previous_secret`):
    /// URLs of orders booked before it carry it.
    pub previous: Option<SecretString>,
}

impl ProviderSecrets {
    /// Whether `presented` is one of them, in time independent of where
    /// they differ.
    fn accept(&self, presented: &str) -> bool {
        let current = constant_time_eq(
            presented.as_bytes(),
            self.current.expose_secret().as_bytes(),
        );
        let previous = self.previous.as_ref().is_some_and(|previous| {
            constant_time_eq(presented.as_bytes(), previous.expose_secret().as_bytes())
        });
        current | previous
    }
}

/// Each provider's callback secrets.
#[derive(Clone)]
pub struct CallbackSecrets {
    /// Panhe's.
    pub panhe: ProviderSecrets,
    /// Juhe's.
    pub juhe: ProviderSecrets,
}

impl CallbackSecrets {
    /// The secrets `config` gives: derived per provider from
    /// `callbacks.secret` (or this process's random one) and
    /// `callbacks.previous_secret`.
    pub fn from_config(config: &Config) -> Self {
        let base = base_secret(config);
        let previous = config.callbacks.previous_secret.as_ref();
        let for_provider = |provider| ProviderSecrets {
            current: provider_secret(&base, provider),
            previous: previous.map(|previous| provider_secret(previous, provider)),
        };
        CallbackSecrets {
            panhe: for_provider(ProviderId::Panhe),
            juhe: for_provider(ProviderId::Juhe),
        }
    }

    fn of(&self, provider: ProviderId) -> &ProviderSecrets {
        match provider {
            ProviderId::Panhe => &self.panhe,
            ProviderId::Juhe => &self.juhe,
        }
    }
}

/// The base URL railgate gives Panhe for callbacks
/// (`<public_url>/callbacks/panhe/<secret>`; OrderService appends `/order`
/// and `/refund`). `http_addr` is the bound HTTP listener, the default
/// public address. Called once at start: it logs what operators must know.
pub fn panhe_callback_url(config: &Config, http_addr: SocketAddr) -> String {
    let public = public_url(config, http_addr);
    let live = !config.panhe_is_simulated();
    if live && config.callbacks.secret.is_none() {
        tracing::warn!(
            "callbacks.secret is not set (RAILGATE_CALLBACK_SECRET): using a random callback secret for this process; \
             after a restart, callbacks for orders booked before it are refused (403) and those orders move on only through the reconciler"
        );
    }
    if live && config.callbacks.public_url.is_none() && !routable(http_addr.ip()) {
        tracing::warn!(
            public_url = %public,
            "callbacks.public_url is not set (RAILGATE_CALLBACK_PUBLIC_URL): providers are told to call back a local address they cannot reach; the reconciler alone moves orders on"
        );
    }
    tracing::info!(
        public_url = %public,
        "provider callbacks go to <public_url>/callbacks/panhe/<secret>/order and /refund"
    );
    format!(
        "{public}/callbacks/panhe/{}",
        CallbackSecrets::from_config(config)
            .panhe
            .current
            .expose_secret()
    )
}

/// `callbacks.public_url` without a trailing `/`, or `http://<http_addr>`
/// (loopback when the listener is bound to every interface).
fn public_url(config: &Config, http_addr: SocketAddr) -> String {
    match &config.callbacks.public_url {
        Some(url) => url.trim_end_matches('/').to_owned(),
        None => {
            let mut addr = http_addr;
            match addr.ip() {
                IpAddr::V4(ip) if ip.is_unspecified() => addr.set_ip(Ipv4Addr::LOCALHOST.into()),
                IpAddr::V6(ip) if ip.is_unspecified() => addr.set_ip(Ipv6Addr::LOCALHOST.into()),
                _ => {}
            }
            format!("http://{addr}")
        }
    }
}

/// Whether a provider outside this host could reach `ip`.
fn routable(ip: IpAddr) -> bool {
    !(ip.is_loopback() || ip.is_unspecified())
}

/// The callback routes, ready to merge into the HTTP listener's router.
pub fn router(
    orders: Arc<OrderService>,
    secrets: CallbackSecrets,
    allowlists: allowlist::SourceAllowlists,
    metrics: crate::metrics::Metrics,
) -> axum::Router {
    let ingress = Arc::new(Ingress {
        orders,
        secrets,
        retry: Mutex::new(HashSet::new()),
    });
    let allowlists = Arc::new(allowlists);
    let only_from = |provider: ProviderId| {
        let lists = allowlists.clone();
        axum::middleware::from_fn(move |request, next| {
            allowlist::check(lists.clone(), provider, request, next)
        })
    };
    let counted = |provider: ProviderId| {
        let metrics = metrics.clone();
        axum::middleware::from_fn(move |request, next| {
            count(metrics.clone(), provider, request, next)
        })
    };
    let panhe = axum::Router::new()
        .route("/callbacks/panhe/{secret}/order", post(panhe::order))
        .route("/callbacks/panhe/{secret}/refund", post(panhe::refund))
        .route_layer(only_from(ProviderId::Panhe))
        .route_layer(counted(ProviderId::Panhe));
    let juhe = axum::Router::new()
        .route("/callbacks/juhe/{secret}/{kind}", post(juhe::callback))
        .route_layer(only_from(ProviderId::Juhe))
        .route_layer(counted(ProviderId::Juhe));
    panhe
        .merge(juhe)
        // A bigger body is refused with 413 before it is read whole.
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(ingress)
}

/// Counts each callback by its answer: 4xx rejected, 5xx failed, 200
/// processed unless the handler marked it a duplicate.
async fn count(
    metrics: crate::metrics::Metrics,
    provider: ProviderId,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use crate::metrics::CallbackOutcome;
    let response = next.run(request).await;
    let status = response.status();
    let outcome = if response.extensions().get::<Duplicate>().is_some() {
        CallbackOutcome::duplicate
    } else if status.is_client_error() {
        CallbackOutcome::rejected
    } else if status.is_server_error() {
        CallbackOutcome::failed
    } else {
        CallbackOutcome::processed
    };
    metrics.callback(provider.as_str(), outcome);
    response
}

/// Marks the answer to a callback dropped as a duplicate.
#[derive(Debug, Clone, Copy)]
struct Duplicate;

/// The `200 success` answer to a duplicate, marked for the metrics.
fn duplicate_answer(answer: axum::response::Response) -> axum::response::Response {
    let mut answer = answer;
    answer.extensions_mut().insert(Duplicate);
    answer
}

/// What the handlers share.
struct Ingress {
    orders: Arc<OrderService>,
    secrets: CallbackSecrets,
    /// Dedupe keys whose processing failed in this process: a redelivery
    /// of one is processed again instead of dropped as a duplicate (the
    /// inbox row stays unprocessed).
    retry: Mutex<HashSet<String>>,
}

impl Ingress {
    /// Whether `presented` opens `provider`'s routes.
    fn authentic(&self, provider: ProviderId, presented: &str) -> bool {
        self.secrets.of(provider).accept(presented)
    }

    /// Remembers that processing `key` failed.
    fn remember_failure(&self, key: &str) {
        let mut retry = self
            .retry
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        if retry.len() >= RETRY_MEMORY {
            retry.clear();
        }
        retry.insert(key.to_owned());
    }

    /// Whether `key` failed before (and forgets it: the caller retries).
    fn take_failure(&self, key: &str) -> bool {
        let mut retry = self
            .retry
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        retry.remove(key)
    }
}

/// Refused callbacks are logged within these budgets (anyone who can reach
/// the listener can send them).
pub(super) static WRONG_SECRET_LOG: LogBudget = LogBudget::per_minute(10);
pub(super) static BAD_PAYLOAD_LOG: LogBudget = LogBudget::per_minute(10);

/// Compares without an early exit: a length check, then an xor fold.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// 32 random bytes as 64 hex digits: from the OS (`/dev/urandom`), or, where
/// that is missing, from std's randomly keyed SipHash (seeded by the OS).
fn random_secret() -> String {
    let mut bytes = [0u8; 32];
    let from_os = std::fs::File::open("/dev/urandom")
        .and_then(|mut file| file.read_exact(&mut bytes))
        .is_ok();
    if !from_os {
        use std::hash::{BuildHasher, Hasher};
        for (index, chunk) in bytes.chunks_mut(8).enumerate() {
            let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
            hasher.write_usize(index);
            hasher.write_u128(
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|elapsed| elapsed.as_nanos())
                    .unwrap_or_default(),
            );
            chunk.copy_from_slice(&hasher.finish().to_le_bytes());
        }
    }
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}
