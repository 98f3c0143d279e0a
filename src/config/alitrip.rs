//! `[alitrip]`: booking results to Alibaba business travel through its TOP
//! gateway (`RAILGATE_ALITRIP_*`).
//!
//! Where callbacks go ([`AlitripConfig::target`]):
//! - `gateway_url` set: that gateway, with the configured credentials
//!   (`app_key`, `app_secret` and `sm4.key` are then required);
//! - unset in sandbox mode (Panhe simulated): the built-in fake TOP
//!   gateway, in-process, with the sandbox credentials (`crate::sandbox`);
//! - unset otherwise: delivery is off; notifications wait in the outbox.

use super::{ConfigProblem, check_base_url};
use crate::alitrip::sm4::{FieldCipher, KeyEncoding, Sm4Config, Sm4Mode, TextEncoding};
use crate::alitrip::{SignMethod, TopConfig};
use crate::notify::retry::RetryPolicy;
use secrecy::SecretString;
use serde::Deserialize;
use std::time::Duration;

/// Booking results to alitrip.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AlitripConfig {
    /// TOP gateway URL, e.g. `https://eco.taobao.com/router/rest`. Unset:
    /// the built-in fake in sandbox mode, otherwise delivery is off.
    pub gateway_url: Option<String>,
    /// The application's app_key (required with `gateway_url`).
    pub app_key: Option<String>,
    /// The application's secret, which signs every request (required
    /// with `gateway_url`).
    pub app_secret: Option<SecretString>,
    /// `md5`, `hmac` or `hmac-sha256`.
    pub sign_method: SignMethod,
    /// TOP `partner_id`, when alitrip assigned one.
    pub partner_id: Option<String>,
    /// TOP `session`, when alitrip issued one.
    pub session: Option<SecretString>,
    /// Per-request time limit in milliseconds.
    pub timeout_ms: u64,
    /// The SM4 settings for the passenger fields.
    pub sm4: Sm4Settings,
    /// How long a notification is retried, in seconds from enqueueing (or
    /// its last replay); then it is dead-lettered.
    pub max_delivery_age_s: u64,
    /// The first retry's delay ceiling in milliseconds; it doubles per
    /// failure (full jitter below it).
    pub backoff_base_ms: u64,
    /// The largest retry delay ceiling in milliseconds.
    pub backoff_cap_ms: u64,
    /// How often the worker looks for due notifications, in milliseconds
    /// (it also wakes on every order change in this process).
    pub poll_interval_ms: u64,
}

impl Default for AlitripConfig {
    fn default() -> Self {
        Self {
            gateway_url: None,
            app_key: None,
            app_secret: None,
            sign_method: SignMethod::default(),
            partner_id: None,
            session: None,
            timeout_ms: 10_000,
            sm4: Sm4Settings::default(),
            max_delivery_age_s: 72 * 3600,
            backoff_base_ms: 1_000,
            backoff_cap_ms: 300_000,
            poll_interval_ms: 1_000,
        }
    }
}

/// `[alitrip.sm4]`: how passenger fields are encrypted (see
/// [`crate::alitrip::sm4`] for the defaults and why).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Sm4Settings {
    /// The key shared with alitrip (required with `gateway_url`).
    pub key: Option<SecretString>,
    /// How `key` and `iv` are written: `hex` (default), `base64`, `utf8`.
    pub key_encoding: KeyEncoding,
    /// `ecb` (default) or `cbc`.
    pub mode: Sm4Mode,
    /// The IV for `cbc`, written like the key.
    pub iv: Option<SecretString>,
    /// Ciphertext as `base64` (default) or `hex`.
    pub output: TextEncoding,
}

impl Sm4Settings {
    /// The cipher settings with `key`.
    pub fn with_key(&self, key: SecretString) -> Sm4Config {
        Sm4Config {
            key,
            key_encoding: self.key_encoding,
            mode: self.mode,
            iv: self.iv.clone(),
            output: self.output,
        }
    }
}

/// Where book callbacks go.
#[derive(Debug, Clone)]
pub enum AlitripTarget {
    /// Nowhere: notifications stay pending.
    Disabled,
    /// The built-in fake gateway, started in-process.
    Sandbox,
    /// A real gateway.
    Gateway {
        /// The TOP client's settings.
        top: TopConfig,
        /// The SM4 settings.
        sm4: Sm4Config,
    },
}

impl AlitripConfig {
    /// Where callbacks go; `sandbox` says whether railgate runs in sandbox
    /// mode.
    pub fn target(&self, sandbox: bool) -> AlitripTarget {
        match (&self.gateway_url, &self.app_secret, &self.sm4.key) {
            (Some(url), Some(secret), Some(key)) => AlitripTarget::Gateway {
                top: self.top_config(
                    url,
                    self.app_key.clone().unwrap_or_default(),
                    secret.clone(),
                ),
                sm4: self.sm4.with_key(key.clone()),
            },
            // Validation refuses a gateway without credentials.
            (Some(_), _, _) => AlitripTarget::Disabled,
            (None, _, _) if sandbox => AlitripTarget::Sandbox,
            (None, _, _) => AlitripTarget::Disabled,
        }
    }

    /// The TOP client's settings for `gateway_url` with the given
    /// credentials.
    pub fn top_config(
        &self,
        gateway_url: &str,
        app_key: String,
        secret: SecretString,
    ) -> TopConfig {
        TopConfig {
            gateway_url: gateway_url.to_owned(),
            app_key,
            app_secret: secret,
            sign_method: self.sign_method,
            session: self.session.clone(),
            partner_id: self.partner_id.clone(),
            timeout: Duration::from_millis(self.timeout_ms),
        }
    }

    /// The worker's retry policy.
    pub fn retry_policy(&self) -> RetryPolicy {
        RetryPolicy {
            base: Duration::from_millis(self.backoff_base_ms),
            cap: Duration::from_millis(self.backoff_cap_ms),
            max_age: Duration::from_secs(self.max_delivery_age_s),
        }
    }

    /// How long a worker's claim holds a message: twice the TOP timeout,
    /// so the call and the write after it finish well inside it, and at
    /// least a second.
    pub fn lease(&self) -> Duration {
        Duration::from_millis(self.timeout_ms.saturating_mul(2).max(1_000))
    }

    pub(super) fn validate(&self, problems: &mut Vec<ConfigProblem>) {
        let mut problem = |key: &str, message: String| {
            problems.push(ConfigProblem {
                key: key.to_owned(),
                message,
            })
        };
        if let Some(url) = &self.gateway_url {
            if let Err(message) = check_base_url(url) {
                problem("alitrip.gateway_url", message);
            }
            let required = [
                (
                    "alitrip.app_key",
                    "RAILGATE_ALITRIP_APP_KEY",
                    self.app_key.is_some(),
                ),
                (
                    "alitrip.app_secret",
                    "RAILGATE_ALITRIP_APP_SECRET",
                    self.app_secret.is_some(),
                ),
                (
                    "alitrip.sm4.key",
                    "RAILGATE_ALITRIP_SM4_KEY",
                    self.sm4.key.is_some(),
                ),
            ];
            for (key, env, present) in required {
                if !present {
                    problem(
                        key,
                        format!("is required when alitrip.gateway_url is set ({env})"),
                    );
                }
            }
        }
        if let Some(key) = &self.sm4.key
            && let Err(error) = FieldCipher::new(&self.sm4.with_key(key.clone()))
        {
            problem("alitrip.sm4", error.to_string());
        }
        for (key, value) in [
            ("alitrip.timeout_ms", self.timeout_ms),
            ("alitrip.max_delivery_age_s", self.max_delivery_age_s),
            ("alitrip.backoff_base_ms", self.backoff_base_ms),
            ("alitrip.backoff_cap_ms", self.backoff_cap_ms),
            ("alitrip.poll_interval_ms", self.poll_interval_ms),
        ] {
            if value == 0 {
                problem(key, "must be greater than 0".into());
            }
        }
        if self.backoff_cap_ms < self.backoff_base_ms {
            problem(
                "alitrip.backoff_cap_ms",
                "must not be less than alitrip.backoff_base_ms".into(),
            );
        }
    }
}

/// Every `RAILGATE_ALITRIP_*` variable, with the setting it sets.
pub const ENV_KEYS: &[(&str, &str)] = &[
    ("RAILGATE_ALITRIP_GATEWAY_URL", "alitrip.gateway_url"),
    ("RAILGATE_ALITRIP_APP_KEY", "alitrip.app_key"),
    ("RAILGATE_ALITRIP_APP_SECRET", "alitrip.app_secret"),
    ("RAILGATE_ALITRIP_SIGN_METHOD", "alitrip.sign_method"),
    ("RAILGATE_ALITRIP_PARTNER_ID", "alitrip.partner_id"),
    ("RAILGATE_ALITRIP_SESSION", "alitrip.session"),
    ("RAILGATE_ALITRIP_TIMEOUT_MS", "alitrip.timeout_ms"),
    ("RAILGATE_ALITRIP_SM4_KEY", "alitrip.sm4.key"),
    (
        "RAILGATE_ALITRIP_SM4_KEY_ENCODING",
        "alitrip.sm4.key_encoding",
    ),
    ("RAILGATE_ALITRIP_SM4_MODE", "alitrip.sm4.mode"),
    ("RAILGATE_ALITRIP_SM4_IV", "alitrip.sm4.iv"),
    ("RAILGATE_ALITRIP_SM4_OUTPUT", "alitrip.sm4.output"),
    (
        "RAILGATE_ALITRIP_MAX_DELIVERY_AGE_S",
        "alitrip.max_delivery_age_s",
    ),
    (
        "RAILGATE_ALITRIP_BACKOFF_BASE_MS",
        "alitrip.backoff_base_ms",
    ),
    ("RAILGATE_ALITRIP_BACKOFF_CAP_MS", "alitrip.backoff_cap_ms"),
    (
        "RAILGATE_ALITRIP_POLL_INTERVAL_MS",
        "alitrip.poll_interval_ms",
    ),
];

/// Applies one `RAILGATE_ALITRIP_*` variable. `Ok(false)` for a name that
/// is not one of [`ENV_KEYS`].
pub(super) fn set_env(config: &mut AlitripConfig, name: &str, value: &str) -> Result<bool, String> {
    let optional = |value: &str| (!value.is_empty()).then(|| value.to_owned());
    let secret = |value: &str| optional(value).map(SecretString::from);
    match name {
        "RAILGATE_ALITRIP_GATEWAY_URL" => config.gateway_url = optional(value),
        "RAILGATE_ALITRIP_APP_KEY" => config.app_key = optional(value),
        "RAILGATE_ALITRIP_APP_SECRET" => config.app_secret = secret(value),
        "RAILGATE_ALITRIP_SIGN_METHOD" => {
            config.sign_method = SignMethod::from_wire(value)
                .ok_or_else(|| format!("\"{value}\" is not one of: md5, hmac, hmac-sha256"))?
        }
        "RAILGATE_ALITRIP_PARTNER_ID" => config.partner_id = optional(value),
        "RAILGATE_ALITRIP_SESSION" => config.session = secret(value),
        "RAILGATE_ALITRIP_TIMEOUT_MS" => config.timeout_ms = whole(value)?,
        "RAILGATE_ALITRIP_SM4_KEY" => config.sm4.key = secret(value),
        "RAILGATE_ALITRIP_SM4_KEY_ENCODING" => {
            config.sm4.key_encoding = one_of(value, "hex, base64, utf8")?
        }
        "RAILGATE_ALITRIP_SM4_MODE" => config.sm4.mode = one_of(value, "ecb, cbc")?,
        "RAILGATE_ALITRIP_SM4_IV" => config.sm4.iv = secret(value),
        "RAILGATE_ALITRIP_SM4_OUTPUT" => config.sm4.output = one_of(value, "base64, hex")?,
        "RAILGATE_ALITRIP_MAX_DELIVERY_AGE_S" => config.max_delivery_age_s = whole(value)?,
        "RAILGATE_ALITRIP_BACKOFF_BASE_MS" => config.backoff_base_ms = whole(value)?,
        "RAILGATE_ALITRIP_BACKOFF_CAP_MS" => config.backoff_cap_ms = whole(value)?,
        "RAILGATE_ALITRIP_POLL_INTERVAL_MS" => config.poll_interval_ms = whole(value)?,
        _ => return Ok(false),
    }
    Ok(true)
}

fn whole(value: &str) -> Result<u64, String> {
    value
        .parse()
        .map_err(|_| format!("\"{value}\" is not a whole number"))
}

/// A lowercase enum value, read as the file form reads it.
fn one_of<T: serde::de::DeserializeOwned>(value: &str, allowed: &str) -> Result<T, String> {
    T::deserialize(serde::de::value::StrDeserializer::<serde::de::value::Error>::new(value))
        .map_err(|_| format!("\"{value}\" is not one of: {allowed}"))
}

#[cfg(test)]
#[path = "alitrip_tests.rs"]
mod tests;
