//! Several `railgate serve` processes on one PostgreSQL, as production runs
//! them behind a load balancer: started together (migrations run once,
//! under sqlx's advisory lock), a watcher on one hears another's write as
//! it commits (LISTEN/NOTIFY, with the poll set to a minute), identical
//! Books on both make one order, the reconciler's polls are divided, and
//! SIGTERM drains one instance while its watchers resume on the other.
//! Always PostgreSQL, whichever backend the rest of the suite runs on.

use crate::alitrip::{FakeTop, alitrip_book_request};
use crate::booking::{book_request, offer_via, wait_for_via};
use crate::database::TestDatabase;
use crate::process::{Railgate, external_panhe};
use axum::extract::Request;
use axum::middleware::Next;
use railgate::proto::booking_service_client::BookingServiceClient;
use railgate::proto::{self as pb};
use railgate_sim::panhe::orders::CallbackMode;
use railgate_sim::panhe::{self, PanheSimConfig, SimState};
use railgate_sim::top::Fault;
use sqlx::Connection as _;
use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tonic::Code;
use tonic::transport::Channel;
use tonic_types::StatusExt;

/// Order-detail reads Panhe received: (orderNo, when).
type DetailReads = Arc<Mutex<Vec<(String, Instant)>>>;

/// Panhe in this process, shared by every instance, recording each
/// order-detail read.
async fn panhe() -> (SocketAddr, Arc<SimState>, DetailReads) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let (router, sim) = panhe::router_with_state(PanheSimConfig {
        clock_scale: 60.0,
        ..PanheSimConfig::default()
    });
    let detail_path = panhe::PanhePaths::default().order_detail;
    let reads: DetailReads = Arc::new(Mutex::new(Vec::new()));
    let recorded = reads.clone();
    let router = router.layer(axum::middleware::from_fn(
        move |request: Request, next: Next| {
            let recorded = recorded.clone();
            let detail_path = detail_path.clone();
            async move {
                if request.uri().path() != detail_path {
                    return next.run(request).await;
                }
                let (parts, body) = request.into_parts();
                let bytes = axum::body::to_bytes(body, 1 << 20).await.unwrap();
                let order_no = serde_json::from_slice::<serde_json::Value>(&bytes)
                    .ok()
                    .and_then(|body| body["orderNo"].as_str().map(str::to_owned))
                    .unwrap_or_default();
                recorded.lock().unwrap().push((order_no, Instant::now()));
                let request = Request::from_parts(parts, axum::body::Body::from(bytes));
                next.run(request).await
            }
        },
    ));
    tokio::spawn(panhe::serve_router(
        listener,
        router,
        std::future::pending(),
    ));
    (address, sim, reads)
}

/// Two instances and what they share.
struct Pair {
    a: Railgate,
    b: Railgate,
    sim: Arc<SimState>,
    detail_reads: DetailReads,
    database: TestDatabase,
    _dir: tempfile::TempDir,
}

/// Two instances on one fresh PostgreSQL schema, started at the same time,
/// with the feeds' poll at a minute (only LISTEN can be quick).
async fn pair(extra: &[(&str, &str)]) -> Pair {
    let (panhe_addr, sim, detail_reads) = panhe().await;
    let database = TestDatabase::postgres().await;
    let dir = tempfile::tempdir().unwrap();
    let panhe_url = format!("http://{panhe_addr}");
    let data = |name: &str| dir.path().join(name).to_str().unwrap().to_owned();
    let (data_a, data_b) = (data("a"), data("b"));
    let mut shared = external_panhe(&panhe_url).to_vec();
    shared.extend([
        ("RAILGATE_DATABASE_URL", database.url()),
        (
            "RAILGATE_CALLBACK_SECRET",
            "instances-test-callback-secret-01",
        ),
        // Offers sealed by one instance are taken by the other.
        (
            "RAILGATE_OFFER_SIGNING_KEY",
            "instances-test-offer-signing-key-0",
        ),
        ("RAILGATE_WATCH_POLL_INTERVAL_MS", "60000"),
        ("RAILGATE_SHUTDOWN_GRACE_MS", "5000"),
    ]);
    let env = |data_dir: &str| -> Vec<(String, String)> {
        shared
            .iter()
            .chain(extra)
            .copied()
            .chain([("RAILGATE_DATA_DIR", data_dir)])
            .map(|(key, value)| (key.to_owned(), value.to_owned()))
            .collect()
    };
    let (env_a, env_b) = (env(&data_a), env(&data_b));
    fn pairs(env: &[(String, String)]) -> Vec<(&str, &str)> {
        env.iter()
            .map(|(key, value)| (key.as_str(), value.as_str()))
            .collect()
    }
    let (env_a, env_b) = (pairs(&env_a), pairs(&env_b));
    // Together: both migrate the fresh schema at once.
    let (a, b) = tokio::join!(Railgate::start(&env_a), Railgate::start(&env_b));
    Pair {
        a,
        b,
        sim,
        detail_reads,
        database,
        _dir: dir,
    }
}

/// An order booked through `client`, once it is HELD.
async fn held_order(client: &mut BookingServiceClient<Channel>, key: &str) -> pb::Order {
    let offer = offer_via(client, 3).await;
    let booked = client
        .book(book_request(key, &offer.offer_id))
        .await
        .unwrap()
        .into_inner()
        .order
        .unwrap();
    wait_for_via(client, &booked.order_id, |order| {
        order.status == pb::OrderStatus::Held as i32
    })
    .await
}

/// A following stream of `order_id` after `after_sequence`.
async fn watch(
    client: &mut BookingServiceClient<Channel>,
    order_id: &str,
    after_sequence: i64,
) -> tonic::Streaming<pb::WatchOrderResponse> {
    client
        .watch_order(pb::WatchOrderRequest {
            order_id: order_id.into(),
            after_sequence,
            follow: true,
        })
        .await
        .unwrap()
        .into_inner()
}

async fn cancel(client: &mut BookingServiceClient<Channel>, order_id: &str) {
    client
        .cancel(pb::CancelRequest {
            idempotency_key: format!("cancel-{order_id}"),
            order_id: order_id.into(),
        })
        .await
        .unwrap();
}

#[tokio::test]
async fn started_together_they_migrate_once_and_a_watcher_hears_the_others_writes() {
    let pair = pair(&[("RAILGATE_RECONCILE_INTERVAL_MS", "60000")]).await;
    let mut on_a = pair.a.booking().await;
    let mut on_b = pair.b.booking().await;
    let mut after_answer = Vec::new();
    for index in 0..8 {
        let order = held_order(&mut on_a, &format!("listen-{index}")).await;
        let last = order_sequence(&mut on_a, &order).await;
        let mut stream = watch(&mut on_a, &order.order_id, last).await;
        cancel(&mut on_b, &order.order_id).await;
        let answered = Instant::now();
        let event = tokio::time::timeout(Duration::from_secs(10), stream.message())
            .await
            .expect("A heard B's write (the poll is a minute away)")
            .unwrap()
            .unwrap();
        after_answer.push(answered.elapsed());
        let kind = event.event.unwrap();
        assert!(kind.sequence > 0);
    }
    // Every migration applied once, by one of the two (both serve by now,
    // so both have migrated).
    let (server, schema) = pair.database.schema().unwrap();
    let mut admin = sqlx::PgConnection::connect(server).await.unwrap();
    let applied: Vec<(i64, i64)> = sqlx::query_as(&format!(
        "SELECT version, COUNT(*) FROM {schema}._sqlx_migrations GROUP BY version"
    ))
    .fetch_all(&mut admin)
    .await
    .unwrap();
    let migrations = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/postgres"))
        .unwrap()
        .count();
    assert_eq!(applied.len(), migrations);
    assert!(applied.iter().all(|(_, count)| *count == 1));

    after_answer.sort();
    let worst = *after_answer.last().unwrap();
    eprintln!("A heard B's commits {after_answer:?} after B answered");
    assert!(
        worst <= Duration::from_millis(100),
        "every event within 100 ms of B's answer: {after_answer:?}"
    );
    pair.a.kill();
    pair.b.kill();
}

/// The order's last event sequence, read now.
async fn order_sequence(client: &mut BookingServiceClient<Channel>, order: &pb::Order) -> i64 {
    let mut stream = client
        .watch_order(pb::WatchOrderRequest {
            order_id: order.order_id.clone(),
            after_sequence: 0,
            follow: false,
        })
        .await
        .unwrap()
        .into_inner();
    // The snapshot carries the order's last sequence.
    stream
        .message()
        .await
        .unwrap()
        .unwrap()
        .event
        .unwrap()
        .sequence
}

#[tokio::test]
async fn identical_books_on_both_make_one_order() {
    let pair = pair(&[]).await;
    let mut on_a = pair.a.booking().await;
    let mut on_b = pair.b.booking().await;
    let offer = offer_via(&mut on_a, 4).await;
    let request = book_request("same-key-both-instances", &offer.offer_id);
    let (from_a, from_b) = tokio::join!(on_a.book(request.clone()), on_b.book(request.clone()));
    let mut orders = HashSet::new();
    for answer in [from_a, from_b] {
        match answer {
            Ok(answer) => {
                orders.insert(answer.into_inner().order.unwrap().order_id);
            }
            // The other instance holds the key: the retry gets the order.
            Err(status) => assert_eq!(status.code(), Code::Aborted, "{status:?}"),
        }
    }
    let deadline = Instant::now() + Duration::from_secs(20);
    while orders.len() < 2 && Instant::now() < deadline {
        match on_b.book(request.clone()).await {
            Ok(answer) => {
                orders.insert(answer.into_inner().order.unwrap().order_id);
                break;
            }
            Err(status) if status.code() == Code::Aborted => {
                tokio::time::sleep(Duration::from_millis(50)).await
            }
            Err(status) => panic!("{status:?}"),
        }
    }
    assert_eq!(orders.len(), 1, "one order for one key: {orders:?}");
    assert_eq!(pair.sim.order_count(), 1, "one order at Panhe");
    pair.a.kill();
    pair.b.kill();
}

#[tokio::test]
async fn the_reconcilers_of_two_instances_poll_each_order_once_per_interval() {
    const INTERVAL_MS: u64 = 400;
    let pair = pair(&[("RAILGATE_RECONCILE_INTERVAL_MS", "400")]).await;
    // No callbacks: only the reconcilers read the orders.
    pair.sim.set_callback_mode(CallbackMode::Drop);
    let mut on_a = pair.a.booking().await;
    let mut order_nos = Vec::new();
    for index in 0..4 {
        let order = held_order(&mut on_a, &format!("divided-{index}")).await;
        order_nos.push(order.provider_order_no);
    }
    pair.detail_reads.lock().unwrap().clear();
    tokio::time::sleep(Duration::from_millis(INTERVAL_MS * 10)).await;
    let reads = pair.detail_reads.lock().unwrap().clone();
    let mut by_order: HashMap<&str, Vec<Instant>> = HashMap::new();
    for (order_no, at) in &reads {
        by_order.entry(order_no.as_str()).or_default().push(*at);
    }
    for order_no in &order_nos {
        let times = by_order.get(order_no.as_str()).cloned().unwrap_or_default();
        assert!(times.len() >= 3, "{order_no} was polled: {times:?}");
        // One instance per interval. Two undivided reconcilers, each on
        // its own ticker, would poll an order at two phases of the
        // interval, one of them at most half an interval after the other;
        // divided, polls are an interval apart (give or take the time
        // between a claim and its request).
        for pair in times.windows(2) {
            let gap = pair[1] - pair[0];
            assert!(
                gap > Duration::from_millis(INTERVAL_MS / 2),
                "{order_no} polled twice within {gap:?}: {times:?}"
            );
        }
    }
    pair.a.kill();
    pair.b.kill();
}

#[tokio::test]
async fn sigterm_drains_one_instance_while_its_watchers_resume_on_the_other() {
    let pair = pair(&[("RAILGATE_RECONCILE_INTERVAL_MS", "60000")]).await;
    let mut on_a = pair.a.booking().await;
    let mut on_b = pair.b.booking().await;
    let watched = held_order(&mut on_a, "drain-watched").await;
    let last = order_sequence(&mut on_a, &watched).await;
    let mut stream = watch(&mut on_a, &watched.order_id, last).await;

    // Books against both instances until A is gone.
    let offer = offer_via(&mut on_b, 5).await;
    let seen: Arc<Mutex<Vec<String>>> = Arc::new(Mutex::new(Vec::new()));
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut load = Vec::new();
    for (worker, client) in [
        (0, on_a.clone()),
        (1, on_b.clone()),
        (2, on_a.clone()),
        (3, on_b.clone()),
    ] {
        let seen = seen.clone();
        let stop = stop.clone();
        let offer_id = offer.offer_id.clone();
        load.push(tokio::spawn(async move {
            let mut client = client;
            let mut index = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let request = book_request(&format!("drain-{worker}-{index}"), &offer_id);
                index += 1;
                match client.book(request).await {
                    Ok(answer) => {
                        seen.lock()
                            .unwrap()
                            .push(answer.into_inner().order.unwrap().order_id);
                    }
                    // A is draining or gone, or the seats ran out.
                    Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
                }
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (clean, took) = pair.a.terminate().await;
    assert!(clean, "A exits cleanly on SIGTERM");
    assert!(
        took < Duration::from_secs(10),
        "within its grace period: {took:?}"
    );

    // A's watcher was told to go elsewhere, with where it was.
    let ended = stream.message().await.unwrap_err();
    assert_eq!(ended.code(), Code::Unavailable, "{ended:?}");
    let info = ended.get_details_error_info().expect("ErrorInfo");
    assert_eq!(info.reason, "SHUTTING_DOWN");
    let resume_after: i64 = info.metadata["last_sequence"].parse().unwrap();
    assert_eq!(resume_after, last);
    let mut resumed = watch(&mut on_b, &watched.order_id, resume_after).await;
    cancel(&mut on_b, &watched.order_id).await;
    let next = resumed.message().await.unwrap().unwrap().event.unwrap();
    assert_eq!(
        next.sequence,
        resume_after + 1,
        "no gap on the other instance"
    );

    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for task in load {
        task.await.unwrap();
    }
    // Every Book a client saw succeed exists, once.
    let seen = seen.lock().unwrap().clone();
    assert!(!seen.is_empty());
    let unique: HashSet<&String> = seen.iter().collect();
    assert_eq!(unique.len(), seen.len(), "no order answered twice");
    for order_id in &seen {
        on_b.get_order(pb::GetOrderRequest {
            order_id: order_id.clone(),
        })
        .await
        .unwrap_or_else(|status| panic!("{order_id} was answered but is not stored: {status:?}"));
    }
    pair.b.kill();
}

#[tokio::test]
async fn both_instances_workers_race_and_deliver_each_notification_once() {
    const ORDERS: usize = 200;
    let fake = FakeTop::start(Duration::from_secs(30)).await;
    // TOP refuses everything (retryable) while the orders are made, so the
    // notifications pile up for both workers to race over.
    fake.state.fail_next(1_000_000, Fault::Http(503));
    let fake_env = fake.env();
    let extra: Vec<(&str, &str)> = fake_env
        .iter()
        .map(|(key, value)| (*key, value.as_str()))
        .chain([("RAILGATE_RECONCILE_INTERVAL_MS", "200")])
        .collect();
    let pair = pair(&extra).await;
    let clients = [pair.a.booking().await, pair.b.booking().await];
    let mut makers = Vec::new();
    for worker in 0..20 {
        let mut client = clients[worker % 2].clone();
        makers.push(tokio::spawn(async move {
            for index in (worker..ORDERS).step_by(20) {
                let offer = offer_via(&mut client, 3 + (index % 10) as i64).await;
                let request = alitrip_book_request(
                    &format!("race-{index}"),
                    &offer.offer_id,
                    &format!("AT-RACE-{index:03}"),
                );
                let booked = client
                    .book(request)
                    .await
                    .unwrap()
                    .into_inner()
                    .order
                    .unwrap();
                wait_for_via(&mut client, &booked.order_id, |order| {
                    order.status == pb::OrderStatus::Held as i32
                })
                .await;
                cancel(&mut client, &booked.order_id).await;
            }
        }));
    }
    for maker in makers {
        maker.await.unwrap();
    }
    fake.state.clear_faults();
    let deadline = Instant::now() + Duration::from_secs(60);
    while fake.state.accepted().len() < ORDERS {
        assert!(
            Instant::now() < deadline,
            "{} of {ORDERS} delivered",
            fake.state.accepted().len()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Time for a second delivery, were there one.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let accepted = fake.state.accepted();
    let orders: HashSet<&str> = accepted.iter().map(|call| call.order_id.as_str()).collect();
    assert_eq!(orders.len(), ORDERS, "every notification delivered");
    assert_eq!(accepted.len(), ORDERS, "none delivered twice");
    pair.a.kill();
    pair.b.kill();
}
