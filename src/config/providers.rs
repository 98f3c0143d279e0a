//! The provider sections: `[panhe]` and `[juhe]`.

use crate::providers::juhe::JuhePaths;
use crate::providers::juhe::mapping::SubmitIdNumbering;
use crate::providers::panhe::PanhePaths;
use crate::providers::panhe::credentials::CredentialCipherConfig;
use crate::providers::stack::{DEFAULT_SEARCH_SHARE_PERCENT, ProviderLimits};
use secrecy::SecretString;
use serde::Deserialize;
use std::time::Duration;

/// The Panhe provider.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PanheConfig {
    /// API base URL, e.g. `http://api.panhe.net`. Unset: sandbox simulator.
    pub base_url: Option<String>,
    /// The account's appKey (required with `base_url`).
    pub app_key: Option<SecretString>,
    /// The account's secretKey, used to sign payments.
    pub secret_key: Option<SecretString>,
    /// Per-request time limit in milliseconds.
    pub timeout_ms: u64,
    /// Calls in flight at once.
    pub max_concurrency: usize,
    /// Calls started per second: set it to the account's quota.
    pub requests_per_second: u64,
    /// Percentage of both limits above that searches may use; the rest is
    /// reserved for bookings, payments, refunds, changes and order detail.
    pub search_share_percent: u8,
    /// Endpoint path overrides.
    pub paths: PanhePaths,
    /// Whether the default paths still in `paths` were confirmed with
    /// Panhe. Seed 002 gives no paths (railgate guesses `/train/<action>`),
    /// so with a real `base_url` railgate warns at start about every
    /// default path until this is set.
    pub paths_confirmed: bool,
    /// How 12306 credentials are encrypted for Panhe (seed 002: 密文, no
    /// algorithm named). Required with `base_url`; the sandbox simulator
    /// takes them in clear when unset.
    pub credential_cipher: Option<CredentialCipherConfig>,
}

/// A provider section's limits as the stack takes them.
fn limits(
    timeout_ms: u64,
    max_concurrency: usize,
    requests_per_second: u64,
    search_share_percent: u8,
) -> ProviderLimits {
    ProviderLimits {
        timeout: Duration::from_millis(timeout_ms),
        max_concurrency,
        requests_per_second,
        search_share_percent,
    }
}

impl Default for PanheConfig {
    fn default() -> Self {
        Self {
            base_url: None,
            app_key: None,
            secret_key: None,
            timeout_ms: 10_000,
            max_concurrency: 64,
            requests_per_second: 100,
            search_share_percent: DEFAULT_SEARCH_SHARE_PERCENT,
            paths: PanhePaths::default(),
            paths_confirmed: false,
            credential_cipher: None,
        }
    }
}

impl PanheConfig {
    /// The provider stack's limits.
    pub fn limits(&self) -> ProviderLimits {
        limits(
            self.timeout_ms,
            self.max_concurrency,
            self.requests_per_second,
            self.search_share_percent,
        )
    }

    /// The endpoints whose path is still railgate's unconfirmed guess: the
    /// default path, with a real Panhe configured and `paths_confirmed`
    /// unset. Empty for the sandbox simulator, which serves the defaults.
    pub fn unconfirmed_default_paths(&self) -> Vec<&'static str> {
        if self.base_url.is_none() || self.paths_confirmed {
            return Vec::new();
        }
        let defaults = PanhePaths::default();
        self.paths
            .entries()
            .into_iter()
            .zip(defaults.entries())
            .filter(|((_, path), (_, default))| path == default)
            .map(|((key, _), _)| key)
            .collect()
    }
}

/// The Juhe provider.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct JuheConfig {
    /// API base URL, e.g. `http://v.juhe.cn/grabTicket/action` (Juhe's own,
    /// [`crate::providers::juhe::DEFAULT_BASE_URL`]). Unset: not used.
    pub base_url: Option<String>,
    /// The account's key (required with `base_url`).
    pub key: Option<SecretString>,
    /// Per-request time limit in milliseconds.
    pub timeout_ms: u64,
    /// Calls in flight at once.
    pub max_concurrency: usize,
    /// Calls started per second: set it to the account's quota.
    pub requests_per_second: u64,
    /// Percentage of both limits above that searches may use; the rest is
    /// reserved for grab orders, cancellations, refunds and order detail.
    pub search_share_percent: u8,
    /// How submitOrder's idCardType is numbered: `zero_based` (seed 001's
    /// submitOrder table, the default) or `one_based` (its dictionary).
    /// Confirm with Juhe before going live.
    pub submit_id_numbering: SubmitIdNumbering,
    /// Endpoint path overrides.
    pub paths: JuhePaths,
}

impl JuheConfig {
    /// The provider stack's limits.
    pub fn limits(&self) -> ProviderLimits {
        limits(
            self.timeout_ms,
            self.max_concurrency,
            self.requests_per_second,
            self.search_share_percent,
        )
    }
}

impl Default for JuheConfig {
    fn default() -> Self {
        Self {
            base_url: None,
            key: None,
            timeout_ms: 10_000,
            max_concurrency: 32,
            requests_per_second: 50,
            search_share_percent: DEFAULT_SEARCH_SHARE_PERCENT,
            submit_id_numbering: SubmitIdNumbering::default(),
            paths: JuhePaths::default(),
        }
    }
}
