//! The `[tls]` and `[limits]` sections: how the gRPC listener is secured
//! and what it lets in (see `crate::tls`, `crate::auth::admission`).

use super::ConfigProblem;
use crate::tls::{ServerTls, TlsError, TlsFiles};
use serde::Deserialize;
use std::path::PathBuf;
use std::time::Duration;

/// TLS on the gRPC listener. No cert/key: plaintext (sandbox, or behind a
/// mesh that terminates TLS).
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TlsConfig {
    /// The server certificate chain, PEM, leaf first.
    pub cert_file: Option<PathBuf>,
    /// Its private key, PEM.
    pub key_file: Option<PathBuf>,
    /// CA bundle (PEM) client certificates must chain to: set, every
    /// client must present one (mTLS).
    pub client_ca_file: Option<PathBuf>,
    /// How often the files are checked for a rotated certificate, in
    /// milliseconds.
    pub reload_interval_ms: u64,
}

impl Default for TlsConfig {
    fn default() -> Self {
        Self {
            cert_file: None,
            key_file: None,
            client_ca_file: None,
            reload_interval_ms: 10_000,
        }
    }
}

impl TlsConfig {
    /// The files, when TLS is on.
    pub fn files(&self) -> Option<TlsFiles> {
        Some(TlsFiles {
            cert: self.cert_file.clone()?,
            key: self.key_file.clone()?,
            client_ca: self.client_ca_file.clone(),
        })
    }

    /// The listener's TLS, loaded; None when TLS is off.
    pub fn load(&self) -> Result<Option<ServerTls>, TlsError> {
        self.files().map(ServerTls::load).transpose()
    }

    /// How often the files are polled.
    pub fn reload_interval(&self) -> Duration {
        Duration::from_millis(self.reload_interval_ms.max(100))
    }

    /// Whether clients must present a certificate.
    pub fn requires_client_certificates(&self) -> bool {
        self.files().is_some_and(|files| files.client_ca.is_some())
    }

    pub(super) fn validate(&self, problems: &mut Vec<ConfigProblem>) {
        let mut problem = |key: &str, message: &str| {
            problems.push(ConfigProblem {
                key: key.to_owned(),
                message: message.to_owned(),
            })
        };
        match (&self.cert_file, &self.key_file) {
            (Some(_), None) => problem("tls.key_file", "is required with tls.cert_file"),
            (None, Some(_)) => problem("tls.cert_file", "is required with tls.key_file"),
            (None, None) if self.client_ca_file.is_some() => problem(
                "tls.client_ca_file",
                "needs tls.cert_file and tls.key_file (mTLS is TLS first)",
            ),
            _ => {}
        }
        if let Err(error) = self.load() {
            problem("tls", &error.to_string());
        }
    }
}

/// What the gRPC listener lets in.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LimitsConfig {
    /// Calls being handled at once, across all connections; one more is
    /// refused with UNAVAILABLE. 0: no limit.
    pub max_in_flight: usize,
    /// Each caller's sustained calls per second (clients without a rate of
    /// their own in the clients file); 0: no limit.
    pub caller_requests_per_second: u32,
    /// Calls a caller may make at once after a quiet spell; 0: the rate.
    pub caller_burst: u32,
    /// WatchOrder streams one caller may hold open.
    pub watch_streams_per_caller: usize,
    /// Largest gRPC message railgate accepts, in bytes.
    pub max_message_bytes: usize,
    /// HTTP/2 streams (calls) one connection may have open at once.
    pub max_concurrent_streams: u32,
    /// A connection is asked to go away (GOAWAY) after this, in seconds,
    /// so clients reconnect and a load balancer spreads them over the
    /// instances again; 0: never.
    pub max_connection_age_secs: u64,
    /// Calls open when a connection is asked to go away may finish within
    /// this, in seconds, before it is closed.
    pub max_connection_age_grace_secs: u64,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        Self {
            max_in_flight: 1024,
            caller_requests_per_second: 0,
            caller_burst: 0,
            watch_streams_per_caller: 1000,
            max_message_bytes: 4 * 1024 * 1024,
            max_concurrent_streams: 256,
            max_connection_age_secs: 1800,
            max_connection_age_grace_secs: 60,
        }
    }
}

impl LimitsConfig {
    /// The default per-caller bucket.
    pub fn caller_rate(&self) -> Option<crate::auth::admission::Rate> {
        crate::auth::admission::Rate::new(self.caller_requests_per_second, self.caller_burst)
    }

    pub(super) fn validate(&self, problems: &mut Vec<ConfigProblem>) {
        let mut problem = |key: &str, message: &str| {
            problems.push(ConfigProblem {
                key: key.to_owned(),
                message: message.to_owned(),
            })
        };
        if self.caller_burst > 0 && self.caller_requests_per_second == 0 {
            problem(
                "limits.caller_burst",
                "needs limits.caller_requests_per_second",
            );
        }
        if self.max_message_bytes < 64 * 1024 {
            problem(
                "limits.max_message_bytes",
                "must be at least 65536: a Search answer is tens of kilobytes",
            );
        }
        if self.max_concurrent_streams == 0 {
            problem("limits.max_concurrent_streams", "must be at least 1");
        }
        if self.watch_streams_per_caller == 0 {
            problem("limits.watch_streams_per_caller", "must be at least 1");
        }
    }
}
