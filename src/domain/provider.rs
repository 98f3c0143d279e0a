//! Which provider a thing belongs to.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A ticketing provider behind the gateway.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProviderId {
    /// Juhe grab-ticket API.
    Juhe,
    /// Panhe train API.
    Panhe,
}

impl ProviderId {
    /// Every provider, in preference order.
    pub const ALL: [ProviderId; 2] = [ProviderId::Panhe, ProviderId::Juhe];

    /// Lowercase name used in config, logs and error metadata.
    pub const fn as_str(self) -> &'static str {
        match self {
            ProviderId::Juhe => "juhe",
            ProviderId::Panhe => "panhe",
        }
    }

    /// Parses the lowercase name.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|provider| provider.as_str() == name)
    }
}

impl fmt::Display for ProviderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for provider in ProviderId::ALL {
            assert_eq!(ProviderId::from_name(provider.as_str()), Some(provider));
        }
        assert_eq!(ProviderId::from_name("12306"), None);
    }
}
