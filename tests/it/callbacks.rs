//! Callback ingress: Panhe's status callbacks, POSTed to railgate's HTTP
//! listener, move orders on without the reconciler; a wrong secret is
//! refused, redeliveries are deduplicated and unknown orders are ignored.

use crate::booking::{book_request, offer};
use crate::support::TestApp;
use railgate::config::Config;
use railgate::domain::OrderId;
use railgate::proto::{self as pb};
use railgate::sim::panhe::orders::CallbackMode;
use railgate::sim::panhe::{self, DEFAULT_APP_KEY, DEFAULT_SECRET_KEY, PanheSimConfig, SimState};
use railgate::store::{OrderFilter, Store};
use secrecy::SecretString;
use serde_json::Value;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// An hour: the reconciler's first round finds no orders, and the next
/// one comes after the test.
const NO_RECONCILER_MS: u64 = 3_600_000;

const SECRET: &str = "test-callback-secret-0123456789";

async fn get(app: &TestApp, order_id: &str) -> pb::Order {
    app.booking()
        .get_order(pb::GetOrderRequest {
            order_id: order_id.into(),
        })
        .await
        .unwrap()
        .into_inner()
        .order
        .unwrap()
}

/// Polls until `done` holds; only callbacks can make it hold here.
async fn eventually<T>(what: &str, mut probe: impl AsyncFnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(value) = probe().await {
            return value;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

async fn wait_status(app: &TestApp, order_id: &str, status: pb::OrderStatus) -> pb::Order {
    eventually(&format!("{status:?}"), async || {
        let order = get(app, order_id).await;
        (order.status == status as i32).then_some(order)
    })
    .await
}

async fn book(app: &TestApp, key: &str) -> pb::Order {
    let offer = offer(app).await;
    app.booking()
        .book(book_request(key, &offer.offer_id))
        .await
        .unwrap()
        .into_inner()
        .order
        .unwrap()
}

async fn confirm(app: &TestApp, key: &str, order: &pb::Order) -> pb::Order {
    app.booking()
        .confirm(pb::ConfirmRequest {
            idempotency_key: key.into(),
            order_id: order.order_id.clone(),
            expected_amount_fen: order.total_amount_fen,
        })
        .await
        .unwrap()
        .into_inner()
        .order
        .unwrap()
}

#[tokio::test]
async fn orders_reach_held_and_issued_through_callbacks_alone() {
    // The sandbox as `make run` starts it (random secret, default public
    // URL), with the reconciler out of the way.
    let app = TestApp::spawn_with(|config| {
        config.sandbox.clock_scale = 60.0;
        config.orders.reconcile_interval_ms = NO_RECONCILER_MS;
    })
    .await;
    let booked = book(&app, "callbacks-alone").await;
    assert_eq!(booked.status, pb::OrderStatus::Pending as i32);

    let held = wait_status(&app, &booked.order_id, pb::OrderStatus::Held).await;
    assert!(held.total_amount_fen > 0);
    let issuing = confirm(&app, "callbacks-alone-pay", &held).await;
    assert_eq!(issuing.status, pb::OrderStatus::Issuing as i32);

    let issued = wait_status(&app, &booked.order_id, pb::OrderStatus::Issued).await;
    for ticket in &issued.tickets {
        assert!(!ticket.ticket_number.is_empty(), "{ticket:?}");
        assert!(!ticket.seat_number.is_empty(), "{ticket:?}");
    }
}

/// railgate against a standalone simulator that it treats as the real
/// Panhe, with callbacks held back so the test delivers them by hand, and
/// a store the test can read.
struct Scripted {
    app: TestApp,
    sim: Arc<SimState>,
    store: Store,
    db: sqlx::SqlitePool,
    http: reqwest::Client,
    _dir: tempfile::TempDir,
}

impl Scripted {
    async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    async fn start_with(configure: impl FnOnce(&mut Config)) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let sim_addr = listener.local_addr().unwrap();
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

        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("cb.db").display());
        let store_url = url.clone();
        let app = TestApp::spawn_with(move |config| {
            config.panhe.base_url = Some(format!("http://{sim_addr}"));
            config.panhe.app_key = Some(SecretString::from(DEFAULT_APP_KEY));
            config.panhe.secret_key = Some(SecretString::from(DEFAULT_SECRET_KEY));
            config.orders.reconcile_interval_ms = NO_RECONCILER_MS;
            config.callbacks.secret = Some(SecretString::from(SECRET));
            config.store.url = Some(store_url);
            configure(config);
        })
        .await;
        // Railgate migrated the file at start; the order API is served
        // only after that, so the first gRPC call (in the tests) orders it.
        app.booking()
            .list_orders(pb::ListOrdersRequest::default())
            .await
            .unwrap();
        let store = Store::connect(&url).await.unwrap();
        let db = sqlx::SqlitePool::connect(&url).await.unwrap();
        Scripted {
            app,
            sim,
            store,
            db,
            http: reqwest::Client::new(),
            _dir: dir,
        }
    }

    fn url(&self, secret: &str, kind: &str) -> String {
        format!(
            "http://{}/callbacks/panhe/{secret}/{kind}",
            self.app.http_addr
        )
    }

    async fn post_json(&self, url: &str, body: &Value) -> (u16, String) {
        let response = self.http.post(url).json(body).send().await.unwrap();
        (response.status().as_u16(), response.text().await.unwrap())
    }

    async fn post_form(&self, url: &str, body: &str) -> (u16, String) {
        let response = self
            .http
            .post(url)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body.to_owned())
            .send()
            .await
            .unwrap();
        (response.status().as_u16(), response.text().await.unwrap())
    }

    /// The callback the simulator would have sent when `order_no` reached
    /// `status` (it was dropped).
    async fn dropped_callback(&self, order_no: &str, status: u64) -> Value {
        eventually(&format!("Panhe status {status}"), async || {
            self.sim.callbacks().into_iter().find_map(|record| {
                let body = record.body;
                (body["orderNo"] == order_no && body["orderStatus"] == status).then_some(body)
            })
        })
        .await
    }

    async fn events(&self, order_id: &str) -> usize {
        let id = OrderId::parse(order_id).unwrap();
        self.store.events_after(&id, 0).await.unwrap().len()
    }

    /// (rows, processed rows) of the callback inbox.
    async fn inbox(&self) -> (i64, i64) {
        sqlx::query_as(
            "SELECT COUNT(*), COUNT(processed_at) FROM callback_inbox WHERE provider = 'panhe'",
        )
        .fetch_one(&self.db)
        .await
        .unwrap()
    }
}

#[tokio::test]
async fn wrong_secret_redelivery_and_unknown_orders() {
    let t = Scripted::start().await;
    let booked = book(&t.app, "callbacks-scripted").await;
    let order_no = booked.provider_order_no.clone();
    let held_callback = t.dropped_callback(&order_no, 2).await;
    assert!(
        t.sim.callbacks()[0]
            .url
            .starts_with(&t.url(SECRET, "order")),
        "railgate sends its callback URL: {}",
        t.sim.callbacks()[0].url
    );
    let created_events = t.events(&booked.order_id).await;

    // A wrong secret (same length, or not) is refused and stores nothing.
    for secret in ["test-callback-secret-0123456788", "guess"] {
        let (status, _) = t.post_json(&t.url(secret, "order"), &held_callback).await;
        assert_eq!(status, 403);
    }
    assert_eq!(t.inbox().await, (0, 0));
    assert_eq!(
        get(&t.app, &booked.order_id).await.status,
        pb::OrderStatus::Pending as i32
    );

    // The right secret: the order is re-read from Panhe and is HELD.
    let (status, answer) = t.post_json(&t.url(SECRET, "order"), &held_callback).await;
    assert_eq!(status, 200);
    let answer: Value = serde_json::from_str(&answer).unwrap();
    assert_eq!(
        answer,
        serde_json::json!({"success": true, "msg": "success"})
    );
    let held = get(&t.app, &booked.order_id).await;
    assert_eq!(held.status, pb::OrderStatus::Held as i32);
    let held_events = t.events(&booked.order_id).await;
    assert_eq!(held_events, created_events + 1);
    assert_eq!(t.inbox().await, (1, 1));

    // Paid: Panhe issues, but its callbacks are dropped.
    confirm(&t.app, "callbacks-scripted-pay", &held).await;
    t.dropped_callback(&order_no, 8).await;
    let issuing_events = t.events(&booked.order_id).await;

    // The HELD callback again (a redelivery) is acknowledged and dropped:
    // no re-read, so the order stays ISSUING and gets no event.
    let (status, _) = t.post_json(&t.url(SECRET, "order"), &held_callback).await;
    assert_eq!(status, 200);
    assert_eq!(
        get(&t.app, &booked.order_id).await.status,
        pb::OrderStatus::Issuing as i32
    );
    assert_eq!(t.events(&booked.order_id).await, issuing_events);
    assert_eq!(t.inbox().await, (1, 1));

    // The issue callback, as a form this time, brings ISSUED; its
    // redelivery changes nothing.
    let form = format!(
        "orderNo={order_no}&customerOrderNo={}&orderStatus=8",
        held_callback["customerOrderNo"].as_str().unwrap()
    );
    for _ in 0..2 {
        let (status, _) = t.post_form(&t.url(SECRET, "order"), &form).await;
        assert_eq!(status, 200);
        assert_eq!(
            get(&t.app, &booked.order_id).await.status,
            pb::OrderStatus::Issued as i32
        );
        assert_eq!(t.events(&booked.order_id).await, issuing_events + 1);
        assert_eq!(t.inbox().await, (2, 2));
    }

    // An order railgate never booked: acknowledged, nothing stored.
    let stranger = serde_json::json!({
        "notifyType": "refund", "orderNo": "T99991231235959999", "customerOrderNo": "not-ours",
        "ticketNo": "E999999999", "ticketStatus": 21,
    });
    let (status, _) = t.post_json(&t.url(SECRET, "refund"), &stranger).await;
    assert_eq!(status, 200);
    assert_eq!(t.inbox().await, (2, 2));
    let orders = t
        .store
        .list_orders(&OrderFilter::default(), 10, None)
        .await
        .unwrap();
    assert_eq!(orders.orders.len(), 1);

    // A body without an order number is refused; other paths are not ours.
    let (status, _) = t
        .post_json(
            &t.url(SECRET, "order"),
            &serde_json::json!({"orderStatus": 2}),
        )
        .await;
    assert_eq!(status, 400);
    let (status, _) = t.post_json(&t.url(SECRET, "change"), &held_callback).await;
    assert_eq!(status, 404);
    assert_eq!(t.inbox().await, (2, 2));
}

#[tokio::test]
async fn a_failed_refresh_asks_for_a_retry_and_the_retry_is_processed() {
    let t = Scripted::start_with(|config| config.panhe.timeout_ms = 500).await;
    let booked = book(&t.app, "callbacks-retry").await;
    let held_callback = t.dropped_callback(&booked.provider_order_no, 2).await;

    // Panhe answers order detail too late: the callback gets a 500 and its
    // inbox entry stays unprocessed.
    t.sim.set_response_delay(Some(Duration::from_secs(2)));
    let (status, _) = t.post_json(&t.url(SECRET, "order"), &held_callback).await;
    assert_eq!(status, 500);
    assert_eq!(t.inbox().await, (1, 0));
    assert_eq!(
        get(&t.app, &booked.order_id).await.status,
        pb::OrderStatus::Pending as i32
    );

    // Panhe retries the same body: not dropped as a duplicate, processed.
    t.sim.set_response_delay(None);
    let (status, _) = t.post_json(&t.url(SECRET, "order"), &held_callback).await;
    assert_eq!(status, 200);
    assert_eq!(t.inbox().await, (1, 1));
    assert_eq!(
        get(&t.app, &booked.order_id).await.status,
        pb::OrderStatus::Held as i32
    );
}
