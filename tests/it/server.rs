//! The server itself: health per service, reflection, graceful shutdown,
//! the HTTP listener.

use crate::support::TestApp;
use tonic::Code;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

#[tokio::test]
async fn health_reports_serving_per_service() {
    let app = TestApp::spawn().await;
    let mut health = HealthClient::new(app.channel.clone());
    for service in [
        "",
        "railgate.v1.BookingService",
        "railgate.v1.AccountService",
        "railgate.v1.AdminService",
    ] {
        let response = health
            .check(HealthCheckRequest {
                service: service.into(),
            })
            .await
            .unwrap_or_else(|status| panic!("{service}: {status:?}"))
            .into_inner();
        assert_eq!(response.status, ServingStatus::Serving as i32, "{service}");
    }
    let unknown = health
        .check(HealthCheckRequest {
            service: "railgate.v1.Nope".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(unknown.code(), Code::NotFound);
}

#[tokio::test]
async fn http_listener_answers_liveness() {
    let app = TestApp::spawn().await;
    let body = reqwest::get(format!("http://{}/healthz", app.http_addr))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(body, "ok");
}

#[tokio::test]
async fn shuts_down_gracefully() {
    let app = TestApp::spawn().await;
    let addr = app.grpc_addr;
    app.stop().await.expect("clean shutdown");
    assert!(
        tokio::net::TcpStream::connect(addr).await.is_err(),
        "listener closed"
    );
}
