//! Crash safety of delivery: the order is issued (its notification is
//! committed with the transition) and the railgate process is SIGKILLed
//! while its callback is on the wire, unanswered. After a restart on the
//! same database the callback is delivered, once; the logs of both
//! processes hold no passenger data.

use super::{
    FakeTop, PERSONAL, alitrip_book_request, assert_no_personal_data, bodies_as_sent_and_decoded,
    wait_notification,
};
use crate::booking::{offer_via, wait_for_via};
use crate::database::TestDatabase;
use crate::process::Railgate;
use crate::scripted::eventually;
use railgate::proto::admin_service_client::AdminServiceClient;
use railgate::proto::booking_service_client::BookingServiceClient;
use railgate::proto::{self as pb};
use railgate_sim::panhe::orders::CallbackMode;
use railgate_sim::panhe::{self, DEFAULT_APP_KEY, DEFAULT_SECRET_KEY, PanheSimConfig};
use railgate_sim::top::Fault;
use std::time::Duration;
use tonic::transport::Channel;

/// Panhe on loopback in this process, at 60×. Callbacks are dropped (they
/// would reach a killed process); the reconciler moves orders on.
async fn panhe() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let (router, sim) = panhe::router_with_state(PanheSimConfig {
        clock_scale: 60.0,
        ..PanheSimConfig::default()
    });
    tokio::spawn(panhe::serve_router(
        listener,
        router,
        std::future::pending(),
    ));
    sim.set_callback_mode(CallbackMode::Drop);
    format!("http://{address}")
}

async fn admin_of(railgate: &Railgate) -> AdminServiceClient<Channel> {
    AdminServiceClient::connect(format!("http://{}", railgate.grpc_addr))
        .await
        .expect("connect to railgate")
}

/// Books from alitrip through `client`, confirms, waits for ISSUED.
async fn issue(
    client: &mut BookingServiceClient<Channel>,
    key: &str,
    alitrip_order_id: &str,
) -> pb::Order {
    let offer = offer_via(client, 3).await;
    let booked = client
        .book(alitrip_book_request(key, &offer.offer_id, alitrip_order_id))
        .await
        .unwrap()
        .into_inner()
        .order
        .unwrap();
    let held = wait_for_via(client, &booked.order_id, |order| {
        order.status == pb::OrderStatus::Held as i32
    })
    .await;
    client
        .confirm(pb::ConfirmRequest {
            idempotency_key: format!("{key}-confirm"),
            order_id: held.order_id.clone(),
            expected_amount_fen: held.total_amount_fen,
        })
        .await
        .unwrap();
    wait_for_via(client, &booked.order_id, |order| {
        order.status == pb::OrderStatus::Issued as i32
    })
    .await
}

#[tokio::test]
async fn a_callback_cut_off_by_a_kill_is_delivered_after_restart_once() {
    // Every call stalls until released: the first process never hears
    // back. Its TOP timeout (1 s) keeps its claims short (2 s leases).
    let fake = FakeTop::start(Duration::from_secs(60)).await;
    fake.state.fail_next(10_000, Fault::Stall);
    let panhe_url = panhe().await;
    let dir = tempfile::tempdir().unwrap();
    let database = TestDatabase::create(dir.path()).await;
    let data_dir = dir.path().join("data");
    let mut env: Vec<(&str, String)> = vec![
        ("RAILGATE_DATA_DIR", data_dir.display().to_string()),
        ("RAILGATE_DATABASE_URL", database.url().to_owned()),
        ("RAILGATE_PANHE_BASE_URL", panhe_url),
        ("RAILGATE_PANHE_CREDENTIAL_CIPHER", "plaintext".to_owned()),
        ("RAILGATE_AUTH_MODE", "none".to_owned()),
        ("RAILGATE_PANHE_APP_KEY", DEFAULT_APP_KEY.to_owned()),
        ("RAILGATE_PANHE_SECRET_KEY", DEFAULT_SECRET_KEY.to_owned()),
        ("RAILGATE_RECONCILE_INTERVAL_MS", "100".to_owned()),
        ("RAILGATE_ALITRIP_TIMEOUT_MS", "1000".to_owned()),
        (
            "RAILGATE_CALLBACK_SECRET",
            "alitrip-crash-test-secret-0123".to_owned(),
        ),
    ];
    env.extend(fake.env());
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();

    let first = Railgate::start(&env).await;
    let mut client = first.booking().await;
    let issued = issue(&mut client, "crash-alitrip", "AT-CRASH-1").await;
    // The committed notification is on the wire, unanswered: kill.
    eventually("the first delivery attempt", async || {
        (!fake.state.raw_bodies().is_empty()).then_some(())
    })
    .await;
    let first_logs = first.logs();
    first.kill();
    assert!(fake.accepted_for("AT-CRASH-1").is_empty());

    // The gateway recovers; the stalled call of the dead process ends
    // with an error and is never accepted.
    fake.state.clear_faults();
    fake.state.release_stalled();
    let second = Railgate::start(&env).await;
    let mut admin = admin_of(&second).await;
    let delivered = wait_notification(
        &mut admin,
        &issued.order_id,
        pb::NotificationState::Delivered,
    )
    .await;
    assert_eq!(delivered.outcome, "issued");
    assert!(
        delivered.attempts >= 2,
        "attempted before the kill and after the restart: {delivered:?}"
    );
    let accepted = fake.accepted_for("AT-CRASH-1");
    assert_eq!(accepted.len(), 1, "delivered once");
    assert_eq!(accepted[0].supplier_order_id, issued.order_id);
    assert_eq!(
        accepted[0].passengers[0].get("passenger_name").unwrap(),
        PERSONAL[0]
    );

    // A later order's callback goes through the same worker after it: the
    // delivered one is not sent again.
    let mut client = second.booking().await;
    let later = issue(&mut client, "crash-alitrip-later", "AT-CRASH-2").await;
    wait_notification(
        &mut admin,
        &later.order_id,
        pb::NotificationState::Delivered,
    )
    .await;
    assert_eq!(fake.accepted_for("AT-CRASH-1").len(), 1, "not twice");
    assert_eq!(fake.accepted_for("AT-CRASH-2").len(), 1);

    let mut logs = first_logs;
    logs.extend(second.logs());
    assert!(
        logs.iter()
            .any(|line| line.contains("alitrip book callback delivered")),
        "the restarted process delivered"
    );
    assert_no_personal_data("the logs", &logs);
    assert_no_personal_data("the TOP requests", &bodies_as_sent_and_decoded(&fake));
}
