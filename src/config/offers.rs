//! The `[offers]` section: how the offer ids Search hands out are sealed
//! (see `crate::domain::offer_seal`).

use super::ConfigProblem;
use crate::domain::OfferSeal;
use crate::domain::time::SharedClock;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use std::time::Duration;

/// Shortest accepted signing key: 256 bits of ASCII.
pub const MIN_SIGNING_KEY_LEN: usize = 32;

/// Offer ids (Search results, sent back to Book, Change and GetStops).
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OffersConfig {
    /// The HMAC key sealing offer ids, at least 32 characters. Unset: a
    /// random one per process, so ids from before a restart, or from another
    /// instance, are refused (set it wherever several instances serve one
    /// set of callers).
    pub signing_key: Option<SecretString>,
    /// The key before a rotation, still accepted until the ids sealed with
    /// it expire (`ttl_secs` after the rotation).
    pub previous_signing_key: Option<SecretString>,
    /// How long an offer id stays valid after Search, in seconds. Book
    /// re-prices with the provider anyway; this bounds how old a Search
    /// result may be when a caller acts on it.
    pub ttl_secs: u64,
}

impl Default for OffersConfig {
    fn default() -> Self {
        Self {
            signing_key: None,
            previous_signing_key: None,
            ttl_secs: 3_600,
        }
    }
}

impl OffersConfig {
    /// The seal built from these settings.
    pub fn seal(&self, clock: SharedClock) -> OfferSeal {
        let ttl = Duration::from_secs(self.ttl_secs);
        match &self.signing_key {
            Some(key) => OfferSeal::new(
                key.expose_secret().as_bytes(),
                self.previous_signing_key
                    .as_ref()
                    .map(|key| key.expose_secret().as_bytes()),
                ttl,
                clock,
            ),
            None => OfferSeal::ephemeral(ttl, clock),
        }
    }

    pub(super) fn validate(&self, problems: &mut Vec<ConfigProblem>) {
        for (key, value) in [
            ("offers.signing_key", &self.signing_key),
            ("offers.previous_signing_key", &self.previous_signing_key),
        ] {
            if let Some(value) = value
                && value.expose_secret().len() < MIN_SIGNING_KEY_LEN
            {
                problems.push(ConfigProblem {
                    key: key.to_owned(),
                    message: format!("must be at least {MIN_SIGNING_KEY_LEN} characters"),
                });
            }
        }
        if self.previous_signing_key.is_some() && self.signing_key.is_none() {
            problems.push(ConfigProblem {
                key: "offers.previous_signing_key".to_owned(),
                message: "is only used beside offers.signing_key (RAILGATE_OFFER_SIGNING_KEY)"
                    .to_owned(),
            });
        }
        if self.ttl_secs == 0 {
            problems.push(ConfigProblem {
                key: "offers.ttl_secs".to_owned(),
                message: "must be greater than 0".to_owned(),
            });
        }
    }
}
