//! railgate's Juhe client against the Juhe simulator over HTTP.

use railgate::providers::juhe::wire::{DataDictionary, Envelope};
use railgate::providers::juhe::{JuheClient, JuheClientConfig, JuhePaths};
use railgate::providers::stack::ProviderLimits;
use railgate_sim::juhe::{BASE_PATH, DEFAULT_KEY, JuheSimConfig, serve};
use std::time::Duration;

/// The seed's dataDictionary answer, as the adapter's tables are checked
/// against it (src/providers/juhe/mapping_tests.rs).
fn seed_dictionary() -> DataDictionary {
    let envelope: Envelope = serde_json::from_str(include_str!(
        "../../src/providers/juhe/testdata/data_dictionary.json"
    ))
    .unwrap();
    serde_json::from_value(envelope.result).unwrap()
}

/// The adapter's code tables are checked against the seed's dictionary;
/// this ties them to the simulator too: its live dataDictionary answer,
/// fetched over HTTP by railgate's own client, is the seed's.
#[tokio::test]
async fn the_simulators_live_dictionary_is_the_seeds() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(serve(
        listener,
        JuheSimConfig::default(),
        std::future::pending(),
    ));
    let client = JuheClient::new(
        reqwest::Client::new(),
        JuheClientConfig {
            base_url: format!("http://{address}{BASE_PATH}"),
            key: secrecy::SecretString::from(DEFAULT_KEY),
            paths: JuhePaths::default(),
            limits: ProviderLimits {
                timeout: Duration::from_secs(10),
                max_concurrency: 1,
                requests_per_second: 10,
                search_share_percent: railgate::providers::stack::DEFAULT_SEARCH_SHARE_PERCENT,
            },
        },
    );
    let live = client.data_dictionary().await.unwrap();
    assert_eq!(live, seed_dictionary());
}
