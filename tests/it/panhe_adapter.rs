//! The Panhe adapter over real HTTP to the simulator, below the gRPC layer.

use railgate::config::Config;
use railgate::providers::panhe::{PanheAdapter, PanheClient, PanheClientConfig, PanhePaths};
use railgate::providers::stack::ProviderLimits;
use railgate::stations::StationDirectory;
use railgate_sim::panhe::{DEFAULT_APP_KEY, serve};
use secrecy::SecretString;
use std::time::Duration;

async fn adapter(paths: PanhePaths) -> PanheAdapter {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    // The simulator's routes as sandbox mode sets them from the adapter's.
    let mut config = Config::default();
    config.panhe.paths = paths.clone();
    let settings = railgate::sandbox::panhe_settings(&config, DEFAULT_APP_KEY.to_owned());
    tokio::spawn(serve(listener, settings, std::future::pending()));
    let client = PanheClient::new(PanheClientConfig {
        base_url: format!("http://{addr}/"),
        app_key: SecretString::from(DEFAULT_APP_KEY),
        paths,
        limits: ProviderLimits {
            timeout: Duration::from_secs(10),
            max_concurrency: 8,
            requests_per_second: 100,
            search_share_percent: railgate::providers::stack::DEFAULT_SEARCH_SHARE_PERCENT,
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
