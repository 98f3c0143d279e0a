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
//! (`<callbacks.public_url>/callbacks/panhe/<callbacks.secret>`), so only a
//! party that saw an order request knows the secret. A callback is a
//! trigger, not a source of truth (Panhe's body is undocumented): it is
//! authenticated, deduplicated through the store's inbox, and then the
//! order is re-read from the provider ([`OrderService::refresh`]), which
//! applies the transition and publishes the event. The reconciler covers
//! every callback that is lost, refused or fails.

mod body;
pub mod juhe;
mod panhe;

#[cfg(test)]
mod tests;

use crate::config::Config;
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

/// The callback secret: the configured one, or this process's random one.
pub fn secret(config: &Config) -> SecretString {
    match &config.callbacks.secret {
        Some(secret) => secret.clone(),
        None => SecretString::from(GENERATED_SECRET.get_or_init(random_secret).clone()),
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
        secret(config).expose_secret()
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
pub fn router(orders: Arc<OrderService>, secret: SecretString) -> axum::Router {
    let ingress = Arc::new(Ingress {
        orders,
        secret,
        retry: Mutex::new(HashSet::new()),
    });
    axum::Router::new()
        .route("/callbacks/panhe/{secret}/order", post(panhe::order))
        .route("/callbacks/panhe/{secret}/refund", post(panhe::refund))
        .route("/callbacks/juhe/{secret}/{kind}", post(juhe::callback))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(ingress)
}

/// What the handlers share.
struct Ingress {
    orders: Arc<OrderService>,
    secret: SecretString,
    /// Dedupe keys whose processing failed in this process: a redelivery
    /// of one is processed again instead of dropped as a duplicate (the
    /// inbox row stays unprocessed).
    retry: Mutex<HashSet<String>>,
}

impl Ingress {
    /// Whether `presented` is the secret, in time independent of where
    /// they differ.
    fn authentic(&self, presented: &str) -> bool {
        constant_time_eq(presented.as_bytes(), self.secret.expose_secret().as_bytes())
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
