//! Optional source-address allowlists per provider: a callback from an
//! address outside its provider's list is refused with `403` before its
//! body is read. The secret in the path stays the authentication; the
//! list narrows who may even try (the providers publish the addresses
//! they call back from). The TCP peer is checked: behind a proxy or load
//! balancer it is the proxy's address, so allowlist there instead.

use crate::domain::ProviderId;
use crate::log_budget::LogBudget;
use axum::extract::{ConnectInfo, Request};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use ipnet::IpNet;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

static REFUSED: LogBudget = LogBudget::per_minute(10);

/// Each provider's networks; empty: any address.
#[derive(Debug, Clone, Default)]
pub struct SourceAllowlists {
    /// Panhe's.
    pub panhe: Vec<IpNet>,
    /// Juhe's.
    pub juhe: Vec<IpNet>,
}

impl SourceAllowlists {
    /// Whether `provider` may call back from `address`.
    pub fn allows(&self, provider: ProviderId, address: IpAddr) -> bool {
        let list = match provider {
            ProviderId::Panhe => &self.panhe,
            ProviderId::Juhe => &self.juhe,
        };
        // An IPv4 peer on a dual-stack socket shows as ::ffff:a.b.c.d.
        let address = match address {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(address, IpAddr::V4),
            v4 => v4,
        };
        list.is_empty() || list.iter().any(|network| network.contains(&address))
    }
}

/// Middleware for `provider`'s routes.
pub async fn check(
    lists: Arc<SourceAllowlists>,
    provider: ProviderId,
    request: Request,
    next: Next,
) -> Response {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip());
    let allowed = match peer {
        Some(ip) => lists.allows(provider, ip),
        // No peer known (a test calling the router directly): only an
        // open list lets it through.
        None => lists.allows_anyone(provider),
    };
    if allowed {
        return next.run(request).await;
    }
    if let Some(suppressed) = REFUSED.admit() {
        tracing::warn!(
            provider = provider.as_str(),
            peer = ?peer,
            suppressed,
            "callback refused: source address not in the provider's allowlist"
        );
    }
    (StatusCode::FORBIDDEN, "source address not allowed").into_response()
}

impl SourceAllowlists {
    fn allows_anyone(&self, provider: ProviderId) -> bool {
        match provider {
            ProviderId::Panhe => self.panhe.is_empty(),
            ProviderId::Juhe => self.juhe.is_empty(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_inside_a_providers_blocks_pass_and_others_do_not() {
        let lists = SourceAllowlists {
            panhe: vec![
                "203.0.113.0/24".parse().unwrap(),
                "2001:db8::/32".parse().unwrap(),
            ],
            juhe: vec![],
        };
        let allows = |ip: &str| lists.allows(ProviderId::Panhe, ip.parse().unwrap());
        assert!(allows("203.0.113.7"));
        assert!(allows("::ffff:203.0.113.7"));
        assert!(allows("2001:db8::1"));
        assert!(!allows("198.51.100.1"));
        assert!(!allows("127.0.0.1"));
        // Juhe's list is empty: anyone.
        assert!(lists.allows(ProviderId::Juhe, "198.51.100.1".parse().unwrap()));
    }
}
