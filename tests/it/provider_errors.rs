//! Provider failures reach the caller as mapped gRPC codes with a stable
//! reason and the provider's own message in ErrorInfo metadata.

use crate::support::{TestApp, date_in, details};
use railgate::proto::SearchRequest;
use railgate_sim::panhe::{PanheSimConfig, serve};
use secrecy::SecretString;
use std::net::SocketAddr;
use tonic::Code;

/// A standalone Panhe simulator that accepts only `app_key`.
async fn simulator(app_key: &str) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let config = PanheSimConfig {
        app_key: app_key.to_owned(),
        ..PanheSimConfig::default()
    };
    tokio::spawn(serve(listener, config, std::future::pending()));
    addr
}

fn search(date: String) -> SearchRequest {
    SearchRequest {
        from_station: "北京南".into(),
        to_station: "上海虹桥".into(),
        travel_date: date,
        ..Default::default()
    }
}

#[tokio::test]
async fn wrong_app_key_is_internal_with_the_provider_message() {
    let sim = simulator("the-right-key").await;
    let app = TestApp::spawn_with(|config| {
        config.panhe.base_url = Some(format!("http://{sim}"));
        // The simulator reads credentials in clear: say so explicitly.
        config.panhe.credential_cipher =
            Some(railgate::providers::panhe::credentials::CredentialCipherConfig::plaintext());
        config.panhe.app_key = Some(SecretString::from("a-wrong-key"));
    })
    .await;
    let status = app.booking().search(search(date_in(1))).await.unwrap_err();
    assert_eq!(status.code(), Code::Internal, "{status:?}");
    let details = details(&status);
    let info = details.error_info().expect("ErrorInfo");
    assert_eq!(info.reason, "PROVIDER_AUTH_FAILED");
    assert_eq!(info.domain, "railgate");
    assert_eq!(info.metadata["provider"], "panhe");
    assert!(
        info.metadata["provider_message"].contains("appKey"),
        "{:?}",
        info.metadata
    );
}

#[tokio::test]
async fn a_date_beyond_presale_is_out_of_range() {
    let app = TestApp::spawn().await;
    let status = app.booking().search(search(date_in(60))).await.unwrap_err();
    assert_eq!(status.code(), Code::OutOfRange, "{status:?}");
    let details = details(&status);
    let info = details.error_info().unwrap();
    assert_eq!(info.reason, "DATE_OUT_OF_RANGE");
    assert!(!info.metadata["provider_message"].is_empty());
}

#[tokio::test]
async fn an_unreachable_provider_is_unavailable() {
    // Bind then drop: nothing listens on the port afterwards.
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap()
        .local_addr()
        .unwrap();
    let app = TestApp::spawn_with(|config| {
        config.panhe.base_url = Some(format!("http://{closed}"));
        // The simulator reads credentials in clear: say so explicitly.
        config.panhe.credential_cipher =
            Some(railgate::providers::panhe::credentials::CredentialCipherConfig::plaintext());
        config.panhe.app_key = Some(SecretString::from("k"));
    })
    .await;
    let status = app.booking().search(search(date_in(1))).await.unwrap_err();
    assert_eq!(status.code(), Code::Unavailable, "{status:?}");
    assert_eq!(
        details(&status).error_info().unwrap().reason,
        "PROVIDER_UNAVAILABLE"
    );
}

#[tokio::test]
async fn a_provider_slower_than_the_search_timeout_is_deadline_exceeded() {
    // A provider that accepts connections and never answers.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let silent = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    let app = TestApp::spawn_with(|config| {
        config.panhe.base_url = Some(format!("http://{silent}"));
        // The simulator reads credentials in clear: say so explicitly.
        config.panhe.credential_cipher =
            Some(railgate::providers::panhe::credentials::CredentialCipherConfig::plaintext());
        config.panhe.app_key = Some(SecretString::from("k"));
        config.search.provider_timeout_ms = 200;
    })
    .await;
    let status = app.booking().search(search(date_in(1))).await.unwrap_err();
    assert_eq!(status.code(), Code::DeadlineExceeded, "{status:?}");
    assert_eq!(
        details(&status).error_info().unwrap().reason,
        "PROVIDER_TIMEOUT"
    );
}
