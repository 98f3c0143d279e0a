//! `[routing]`: which provider serves each kind of booking, and the order
//! in which providers are preferred when several could.

use super::ConfigProblem;
use crate::domain::ProviderId;
use crate::routing::capabilities::{Capability, supports};
use serde::Deserialize;

/// Provider choice per capability.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RoutingConfig {
    /// Providers in order of preference: the first configured provider
    /// that can do what a request needs serves it, unless the request or
    /// the settings below name one.
    pub preference: Vec<ProviderId>,
    /// The provider for direct (hold, then pay) bookings.
    pub direct_booking: Option<ProviderId>,
    /// The provider for grab orders.
    pub grab_orders: Option<ProviderId>,
}

impl Default for RoutingConfig {
    fn default() -> Self {
        Self {
            preference: ProviderId::ALL.to_vec(),
            direct_booking: None,
            grab_orders: None,
        }
    }
}

impl RoutingConfig {
    /// The provider pinned for `capability`, if any.
    pub fn pinned(&self, capability: Capability) -> Option<ProviderId> {
        match capability {
            Capability::DirectBooking => self.direct_booking,
            Capability::GrabOrders => self.grab_orders,
            _ => None,
        }
    }

    pub(super) fn validate(&self, problems: &mut Vec<ConfigProblem>) {
        let mut seen = Vec::new();
        for provider in &self.preference {
            if seen.contains(provider) {
                problems.push(ConfigProblem {
                    key: "routing.preference".into(),
                    message: format!("names {provider} twice"),
                });
            }
            seen.push(*provider);
        }
        for (key, capability, pinned) in [
            (
                "routing.direct_booking",
                Capability::DirectBooking,
                self.direct_booking,
            ),
            (
                "routing.grab_orders",
                Capability::GrabOrders,
                self.grab_orders,
            ),
        ] {
            if let Some(provider) = pinned
                && !supports(provider, capability)
            {
                problems.push(ConfigProblem {
                    key: key.into(),
                    message: format!("{provider} does not support {capability}"),
                });
            }
        }
    }
}

/// Parses `panhe,juhe` (the environment form of `routing.preference`).
pub(super) fn parse_preference(value: &str) -> Result<Vec<ProviderId>, String> {
    value
        .split(',')
        .map(str::trim)
        .filter(|name| !name.is_empty())
        .map(parse_provider)
        .collect()
}

/// Parses one provider name.
pub(super) fn parse_provider(name: &str) -> Result<ProviderId, String> {
    ProviderId::from_name(name).ok_or_else(|| {
        let known: Vec<&str> = ProviderId::ALL.iter().map(|p| p.as_str()).collect();
        format!("\"{name}\" is not one of: {}", known.join(", "))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn preference_parses_and_rejects_unknown_names() {
        assert_eq!(
            parse_preference("juhe, panhe"),
            Ok(vec![ProviderId::Juhe, ProviderId::Panhe])
        );
        assert!(
            parse_preference("panhe,12306")
                .unwrap_err()
                .contains("12306")
        );
    }

    #[test]
    fn pinning_a_provider_that_cannot_do_it_is_a_problem() {
        let config = RoutingConfig {
            preference: vec![ProviderId::Panhe, ProviderId::Panhe],
            direct_booking: Some(ProviderId::Juhe),
            grab_orders: Some(ProviderId::Juhe),
        };
        let mut problems = Vec::new();
        config.validate(&mut problems);
        let keys: Vec<&str> = problems.iter().map(|p| p.key.as_str()).collect();
        assert_eq!(keys, ["routing.preference", "routing.direct_booking"]);
        assert_eq!(
            config.pinned(Capability::GrabOrders),
            Some(ProviderId::Juhe)
        );
        assert_eq!(config.pinned(Capability::Search), None);
    }
}
