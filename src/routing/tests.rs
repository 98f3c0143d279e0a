//! Provider selection by capability, request and configuration.

use super::*;
use crate::providers::panhe::{PanheClient, PanheClientConfig, PanhePaths};
use crate::providers::stack::ProviderLimits;
use crate::stations::StationDirectory;
use secrecy::SecretString;

/// A router over Panhe alone (nothing listens at its URL: selection makes
/// no calls).
fn panhe_only(routing: RoutingConfig) -> Router {
    let client = PanheClient::new(PanheClientConfig {
        base_url: "http://127.0.0.1:9".into(),
        app_key: SecretString::from("key"),
        paths: PanhePaths::default(),
        limits: ProviderLimits {
            timeout: Duration::from_secs(1),
            max_concurrency: 1,
            requests_per_second: 1,
            search_share_percent: crate::providers::stack::DEFAULT_SEARCH_SHARE_PERCENT,
        },
    })
    .unwrap();
    let panhe = PanheAdapter::new(client, StationDirectory::embedded());
    Router::new(
        vec![Adapter::Panhe(panhe)],
        routing,
        SearchSettings {
            provider_timeout: Duration::from_secs(1),
            cache_ttl: Duration::ZERO,
            offer_seal: crate::domain::OfferSeal::ephemeral(
                Duration::from_secs(60),
                std::sync::Arc::new(crate::domain::time::SystemClock),
            ),
            metrics: crate::metrics::Metrics::new(),
            city_merging: Vec::new(),
            pair_concurrency: 1,
            through_stops_max_calls: 0,
        },
    )
}

#[tokio::test]
async fn the_first_provider_that_can_serves() {
    let router = panhe_only(RoutingConfig::default());
    assert_eq!(
        router.select(Capability::DirectBooking, None).unwrap(),
        ProviderId::Panhe
    );
    assert_eq!(
        router
            .select(Capability::Change, Some(ProviderId::Panhe))
            .unwrap(),
        ProviderId::Panhe
    );
}

#[tokio::test]
async fn a_capability_no_configured_provider_has_is_refused() {
    let router = panhe_only(RoutingConfig::default());
    let error = router.select(Capability::GrabOrders, None).unwrap_err();
    assert!(
        matches!(error, RoutingError::NoProvider { capability } if capability == "grab orders"),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_named_provider_must_be_configured_and_capable() {
    let router = panhe_only(RoutingConfig::default());
    assert!(matches!(
        router.select(Capability::Search, Some(ProviderId::Juhe)),
        Err(RoutingError::NotConfigured {
            provider: ProviderId::Juhe
        })
    ));
    assert!(matches!(
        router.select(Capability::GrabOrders, Some(ProviderId::Panhe)),
        Err(RoutingError::Unsupported {
            provider: ProviderId::Panhe,
            capability: Capability::GrabOrders
        })
    ));
}

#[tokio::test]
async fn a_pinned_provider_that_is_not_configured_is_reported() {
    let router = panhe_only(RoutingConfig {
        grab_orders: Some(ProviderId::Juhe),
        ..RoutingConfig::default()
    });
    assert!(matches!(
        router.select(Capability::GrabOrders, None),
        Err(RoutingError::NotConfigured {
            provider: ProviderId::Juhe
        })
    ));
}
