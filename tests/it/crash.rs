//! Crash safety of Book: the server is SIGKILLed after it sent createOrder
//! and before it answered. After a restart on the same database, the
//! client's retry with the same key gets the order Panhe made, and Panhe
//! holds exactly one order for it: the retry asks Panhe (by sending the
//! same customerOrderNo, which Panhe refuses as a repeat), never books
//! again.

use crate::booking::{book_request, offer_via, wait_for_via};
use crate::database::TestDatabase;
use crate::process::{Railgate, external_panhe};
use railgate::orders::customer_order_no;
use railgate::proto::booking_service_client::BookingServiceClient;
use railgate::proto::{self as pb};
use railgate_sim::panhe::orders::CallbackMode;
use railgate_sim::panhe::{self, PanheSimConfig, SimState};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tonic::Code;
use tonic::transport::Channel;

/// The idempotency lease: the retry after the restart takes the key over
/// once the dead process's claim is this old.
const LEASE_MS: &str = "1000";

/// Panhe on loopback, in this process, so the test can hold its answers
/// back and count its orders. Callbacks are dropped: they would go to the
/// killed process's port; the reconciler brings the order on instead.
async fn simulator() -> (SocketAddr, Arc<SimState>) {
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
    (address, sim)
}

/// Polls `done` until it holds, for at most 20 seconds.
async fn eventually(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Book, retried while the key is still claimed by the dead process
/// (`ABORTED` until its lease runs out).
async fn book_after_restart(
    client: &mut BookingServiceClient<Channel>,
    request: &pb::BookRequest,
) -> pb::Order {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        match client.book(request.clone()).await {
            Ok(response) => return response.into_inner().order.expect("an order"),
            Err(status) if status.code() == Code::Aborted => {
                assert!(
                    Instant::now() < deadline,
                    "the key stayed in progress: {status:?}"
                );
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(status) => panic!("the retry failed: {status:?}"),
        }
    }
}

#[tokio::test]
async fn a_booking_survives_a_kill_between_sending_and_answering() {
    let (sim_addr, sim) = simulator().await;
    let dir = tempfile::tempdir().unwrap();
    // Both processes use the same database: a file, or a PostgreSQL schema.
    let database = TestDatabase::create(dir.path()).await;
    let data_dir = dir.path().join("data");
    let sim_url = format!("http://{sim_addr}");
    let mut env = external_panhe(&sim_url).to_vec();
    env.extend([
        ("RAILGATE_DATA_DIR", data_dir.to_str().unwrap()),
        ("RAILGATE_DATABASE_URL", database.url()),
        // Longer than the test: the first process waits for Panhe's answer
        // until it is killed, and never times out on its own.
        ("RAILGATE_PANHE_TIMEOUT_MS", "600000"),
        ("RAILGATE_IDEMPOTENCY_LEASE_MS", LEASE_MS),
        ("RAILGATE_RECONCILE_INTERVAL_MS", "100"),
        (
            "RAILGATE_CALLBACK_SECRET",
            "crash-test-callback-secret-0123",
        ),
        // The retry sends the offer id the first process sealed.
        (
            "RAILGATE_OFFER_SIGNING_KEY",
            "crash-test-offer-signing-key-0123",
        ),
    ]);
    let key = "crash-between-send-and-answer";
    let customer_order_no = customer_order_no(key);

    let first = Railgate::start(&env).await;
    let mut client = first.booking().await;
    let offer = offer_via(&mut client, 3).await;
    let request = book_request(key, &offer.offer_id);
    // Panhe books at once but holds its answer back.
    sim.set_response_delay(Some(Duration::from_secs(600)));
    let unanswered = tokio::spawn({
        let mut client = client.clone();
        let request = request.clone();
        async move { client.book(request).await }
    });
    eventually("createOrder to reach Panhe", || {
        sim.create_requests(&customer_order_no) == 1
    })
    .await;
    first.kill();
    let lost = unanswered.await.unwrap();
    assert!(lost.is_err(), "the killed server cannot answer: {lost:?}");
    assert_eq!(sim.order_count(), 1);
    sim.set_response_delay(None);

    let second = Railgate::start(&env).await;
    let mut client = second.booking().await;
    let order = book_after_restart(&mut client, &request).await;
    let at_panhe = sim
        .order_by_customer_no(&customer_order_no)
        .expect("Panhe holds the order");
    assert_eq!(order.provider_order_no, at_panhe.order_no);
    assert_eq!(sim.order_count(), 1, "exactly one order at Panhe");
    assert_eq!(
        sim.create_requests(&customer_order_no),
        2,
        "the first send and one resend, which Panhe refused as a repeat"
    );

    let again = client
        .book(request.clone())
        .await
        .unwrap()
        .into_inner()
        .order
        .unwrap();
    assert_eq!(again.order_id, order.order_id);
    assert_eq!(again.provider_order_no, at_panhe.order_no);
    assert_eq!(
        sim.create_requests(&customer_order_no),
        2,
        "a completed key answers from the store"
    );

    let held = wait_for_via(&mut client, &order.order_id, |order| {
        order.status == pb::OrderStatus::Held as i32
    })
    .await;
    assert_eq!(held.provider_order_no, at_panhe.order_no);
    assert!(held.total_amount_fen > 0, "{held:?}");
    assert_eq!(sim.order_count(), 1);

    let logs = second.logs();
    assert!(
        logs.iter().any(|line| line.contains("resuming a booking")),
        "the retry resumed the booking: {logs:?}"
    );
    for secret in ["11010519491231002X", "13800138000", "sandbox-password"] {
        assert!(
            !logs.iter().any(|line| line.contains(secret)),
            "personal data in the log"
        );
    }
}
