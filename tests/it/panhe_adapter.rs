//! The Panhe adapter over real HTTP to the simulator, below the gRPC layer.

use railgate::providers::panhe::{PanheAdapter, PanheClient, PanheClientConfig, PanhePaths};
use railgate::providers::stack::ProviderLimits;
use railgate::sim::panhe::{DEFAULT_APP_KEY, PanheSimConfig, serve};
use railgate::stations::StationDirectory;
use secrecy::SecretString;
use std::time::Duration;

async fn adapter(paths: PanhePaths) -> PanheAdapter {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let config = PanheSimConfig {
        paths: paths.clone(),
        ..PanheSimConfig::default()
    };
    tokio::spawn(serve(listener, config, std::future::pending()));
    let client = PanheClient::new(PanheClientConfig {
        base_url: format!("http://{addr}/"),
        app_key: SecretString::from(DEFAULT_APP_KEY),
        paths,
        limits: ProviderLimits {
            timeout: Duration::from_secs(10),
            max_concurrency: 8,
            requests_per_second: 100,
        },
    })
    .unwrap();
    PanheAdapter::new(client, StationDirectory::embedded())
}

#[tokio::test]
async fn station_list_matches_the_directory() {
    let panhe = adapter(PanhePaths::default()).await;
    let stations = panhe.station_list().await.unwrap();
    assert_eq!(stations.len(), StationDirectory::embedded().len());
    let beijing_south = stations
        .iter()
        .find(|station| station.telecode == "VNP")
        .unwrap();
    assert_eq!(beijing_south.name, "北京南");
    assert_eq!(beijing_south.pinyin, "beijingnan");
    assert_eq!(beijing_south.short_pinyin, "bjn");
    assert_eq!(beijing_south.city, "北京");
}

#[tokio::test]
async fn overridden_paths_move_both_sides() {
    let paths = PanhePaths {
        station_list: "/v9/stations".into(),
        ..PanhePaths::default()
    };
    let panhe = adapter(paths).await;
    assert!(!panhe.station_list().await.unwrap().is_empty());
}
