//! The server itself: health per service, reflection, UNIMPLEMENTED RPCs
//! naming their capability, graceful shutdown, the HTTP listener.

use crate::support::TestApp;
use railgate::proto::account_service_client::AccountServiceClient;
use railgate::proto::{self as pb};
use tonic::Code;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

#[tokio::test]
async fn health_reports_serving_per_service() {
    let app = TestApp::spawn().await;
    let mut health = HealthClient::new(app.channel.clone());
    for service in ["", "railgate.v1.BookingService", "railgate.v1.AdminService"] {
        let response = health
            .check(HealthCheckRequest {
                service: service.into(),
            })
            .await
            .unwrap_or_else(|status| panic!("{service}: {status:?}"))
            .into_inner();
        assert_eq!(response.status, ServingStatus::Serving as i32, "{service}");
    }
    // Its RPCs are all UNIMPLEMENTED: not serving, though it is there.
    let account = health
        .check(HealthCheckRequest {
            service: "railgate.v1.AccountService".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(account.status, ServingStatus::NotServing as i32);
    let unknown = health
        .check(HealthCheckRequest {
            service: "railgate.v1.Nope".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(unknown.code(), Code::NotFound);
}

#[tokio::test]
async fn account_rpcs_are_unimplemented_and_name_the_capability() {
    let app = TestApp::spawn().await;
    let mut account = AccountServiceClient::new(app.channel.clone());
    let status = account
        .check_login(pb::CheckLoginRequest::default())
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::Unimplemented);
    assert!(
        status.message().contains("CheckLogin"),
        "{}",
        status.message()
    );
    assert!(
        status.message().contains("12306 account"),
        "{}",
        status.message()
    );
    let info = crate::support::details(&status);
    let info = info.error_info().expect("ErrorInfo");
    assert_eq!(info.reason, "NOT_IMPLEMENTED");
    assert_eq!(info.metadata["rpc"], "CheckLogin");
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
