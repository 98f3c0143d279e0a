//! The `[callbacks]` section: provider callback ingress (the HTTP
//! listener's `/callbacks/...` routes).

use ipnet::IpNet;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use std::net::IpAddr;

/// Shortest accepted callback secret.
pub const MIN_CALLBACK_SECRET_LEN: usize = 16;

/// Provider callback ingress.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CallbacksConfig {
    /// The base URL providers reach the HTTP listener at, e.g.
    /// `https://railgate.example.com`. Unset: `http://<server.http_addr>`
    /// (loopback when that address is unspecified).
    pub public_url: Option<String>,
    /// The per-deployment secret in every callback path. Unset: a random
    /// one per process (callbacks of orders booked before a restart are
    /// then refused and only the reconciler moves those orders on). Each
    /// provider's URLs carry a secret derived from it, so one provider's
    /// URL does not open the other's routes.
    pub secret: Option<SecretString>,
    /// The secret before a rotation, still accepted (derived per provider
    /// the same way) until the orders booked under it have settled.
    pub previous_secret: Option<SecretString>,
    /// Addresses or CIDR blocks Panhe calls back from; empty: any. The
    /// TCP peer is checked, so behind a proxy this is the proxy's address.
    pub panhe_allow_from: Vec<String>,
    /// The same for Juhe.
    pub juhe_allow_from: Vec<String>,
}

impl CallbacksConfig {
    /// The allowlists, parsed (validated by `Config::load`; an entry that
    /// does not parse is left out, never widened to "any").
    pub fn allowlists(&self) -> crate::callbacks::allowlist::SourceAllowlists {
        crate::callbacks::allowlist::SourceAllowlists {
            panhe: networks(&self.panhe_allow_from)
                .into_iter()
                .flatten()
                .collect(),
            juhe: networks(&self.juhe_allow_from)
                .into_iter()
                .flatten()
                .collect(),
        }
    }

    pub(super) fn validate(&self, problem: &mut impl FnMut(&str, String)) {
        if let Some(url) = &self.public_url
            && let Err(message) = super::check_base_url(url)
        {
            problem("callbacks.public_url", message);
        }
        for (key, secret) in [
            ("callbacks.secret", &self.secret),
            ("callbacks.previous_secret", &self.previous_secret),
        ] {
            if let Some(secret) = secret
                && let Err(message) = check_callback_secret(secret.expose_secret())
            {
                problem(key, message);
            }
        }
        for (key, entries) in [
            ("callbacks.panhe_allow_from", &self.panhe_allow_from),
            ("callbacks.juhe_allow_from", &self.juhe_allow_from),
        ] {
            for (entry, parsed) in entries.iter().zip(networks(entries)) {
                if parsed.is_none() {
                    problem(
                        key,
                        format!("\"{entry}\" is not an IP address or CIDR block"),
                    );
                }
            }
        }
    }
}

/// Each entry as a network: a CIDR block, or one address as its /32 or /128.
fn networks(entries: &[String]) -> Vec<Option<IpNet>> {
    entries
        .iter()
        .map(|entry| {
            let entry = entry.trim();
            entry
                .parse::<IpNet>()
                .ok()
                .or_else(|| entry.parse::<IpAddr>().ok().map(IpNet::from))
        })
        .collect()
}

/// A secret goes into URL paths as is: unreserved characters only.
fn check_callback_secret(secret: &str) -> Result<(), String> {
    if secret.len() < MIN_CALLBACK_SECRET_LEN {
        return Err(format!(
            "must be at least {MIN_CALLBACK_SECRET_LEN} characters (RAILGATE_CALLBACK_SECRET)"
        ));
    }
    if !secret
        .bytes()
        .all(|byte| byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~'))
    {
        return Err("may hold only letters, digits and - _ . ~ (it goes into URL paths)".into());
    }
    Ok(())
}
