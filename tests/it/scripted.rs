//! `Scripted`: railgate against a standalone Panhe simulator that it treats
//! as the real Panhe, with the simulator's callback mode chosen by the
//! test, a known callback secret and a store the test can read. Shared by
//! the callback ingress tests and the delivery (loss, duplication) tests.

use crate::booking::{book_request, offer};
use crate::support::TestApp;
use railgate::config::Config;
use railgate::domain::time::{Clock, SystemClock};
use railgate::domain::{OrderEvent, OrderId};
use railgate::proto::{self as pb};
use railgate::store::Store;
use railgate_sim::panhe::orders::CallbackMode;
use railgate_sim::panhe::{self, DEFAULT_APP_KEY, DEFAULT_SECRET_KEY, PanheSimConfig, SimState};
use secrecy::SecretString;
use serde_json::Value;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// An hour: the reconciler's first round finds no orders, and the next
/// one comes after the test.
pub const NO_RECONCILER_MS: u64 = 3_600_000;

/// The callback secret railgate is configured with.
pub const SECRET: &str = "test-callback-secret-0123456789";

/// The secret in `provider`'s callback paths for the base secret `base`.
pub fn provider_path_secret(base: &str, provider: railgate::domain::ProviderId) -> String {
    use secrecy::ExposeSecret;
    railgate::callbacks::provider_secret(&SecretString::from(base), provider)
        .expose_secret()
        .to_owned()
}

pub async fn get(app: &TestApp, order_id: &str) -> pb::Order {
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

/// Polls until `probe` answers, for at most 20 s.
pub async fn eventually<T>(what: &str, mut probe: impl AsyncFnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(value) = probe().await {
            return value;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// Polls GetOrder until the order satisfies `done`.
pub async fn wait_until(
    app: &TestApp,
    order_id: &str,
    what: &str,
    done: impl Fn(&pb::Order) -> bool,
) -> pb::Order {
    eventually(what, async || {
        let order = get(app, order_id).await;
        done(&order).then_some(order)
    })
    .await
}

pub async fn wait_status(app: &TestApp, order_id: &str, status: pb::OrderStatus) -> pb::Order {
    wait_until(app, order_id, &format!("{status:?}"), |order| {
        order.status == status as i32
    })
    .await
}

pub async fn book(app: &TestApp, key: &str) -> pb::Order {
    let offer = offer(app).await;
    app.booking()
        .book(book_request(key, &offer.offer_id))
        .await
        .unwrap()
        .into_inner()
        .order
        .unwrap()
}

pub async fn confirm(app: &TestApp, key: &str, order: &pb::Order) -> pb::Order {
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

pub struct Scripted {
    pub app: TestApp,
    pub sim: Arc<SimState>,
    pub store: Store,
    db: RawDb,
    pub http: reqwest::Client,
}

/// Direct SQL access to railgate's store, on whichever backend it uses.
enum RawDb {
    Sqlite(sqlx::SqlitePool),
    Postgres(sqlx::PgPool),
}

impl Scripted {
    /// Callbacks dropped (the test delivers them by hand), no reconciler,
    /// provider time at 60×.
    pub async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    /// As [`Scripted::start`], with `configure` applied to railgate's
    /// config last.
    pub async fn start_with(configure: impl FnOnce(&mut Config)) -> Self {
        let sim = PanheSimConfig {
            clock_scale: 60.0,
            ..PanheSimConfig::default()
        };
        Self::launch(sim, CallbackMode::Drop, configure).await
    }

    /// A simulator configured as `sim` with callbacks in `mode`, and
    /// railgate against it (reconciler off unless `configure` sets it).
    pub async fn launch(
        sim: PanheSimConfig,
        mode: CallbackMode,
        configure: impl FnOnce(&mut Config),
    ) -> Self {
        Self::launch_full(sim, mode, configure, Arc::new(SystemClock)).await
    }

    /// As [`Scripted::launch`], railgate reading `clock`.
    pub async fn launch_with_clock(
        sim: PanheSimConfig,
        mode: CallbackMode,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self::launch_full(sim, mode, |_| {}, clock).await
    }

    async fn launch_full(
        sim: PanheSimConfig,
        mode: CallbackMode,
        configure: impl FnOnce(&mut Config),
        clock: Arc<dyn Clock>,
    ) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let sim_addr = listener.local_addr().unwrap();
        let (router, sim) = panhe::router_with_state(sim);
        tokio::spawn(panhe::serve_router(
            listener,
            router,
            std::future::pending(),
        ));
        sim.set_callback_mode(mode);

        let app = TestApp::spawn_with_clock(
            move |config| {
                config.panhe.base_url = Some(format!("http://{sim_addr}"));
                // The simulator reads credentials in clear: say so explicitly.
                config.panhe.credential_cipher = Some(
                    railgate::providers::panhe::credentials::CredentialCipherConfig::plaintext(),
                );
                config.panhe.app_key = Some(SecretString::from(DEFAULT_APP_KEY));
                config.panhe.secret_key = Some(SecretString::from(DEFAULT_SECRET_KEY));
                config.orders.reconcile_interval_ms = NO_RECONCILER_MS;
                config.callbacks.secret = Some(SecretString::from(SECRET));
                configure(config);
            },
            clock,
        )
        .await;
        // Railgate migrated the file at start; the order API is served
        // only after that, so the first gRPC call (in the tests) orders it.
        app.booking()
            .list_orders(pb::ListOrdersRequest::default())
            .await
            .unwrap();
        let url = app.store_url().to_owned();
        let store = Store::connect(&url).await.unwrap();
        let db = if url.starts_with("sqlite:") {
            RawDb::Sqlite(sqlx::SqlitePool::connect(&url).await.unwrap())
        } else {
            RawDb::Postgres(sqlx::PgPool::connect(&url).await.unwrap())
        };
        Scripted {
            app,
            sim,
            store,
            db,
            http: reqwest::Client::new(),
        }
    }

    /// Panhe's callback URL of `kind` for the base secret `secret` (each
    /// provider's path carries a secret derived from it).
    pub fn url(&self, secret: &str, kind: &str) -> String {
        format!(
            "http://{}/callbacks/panhe/{}/{kind}",
            self.app.http_addr,
            provider_path_secret(secret, railgate::domain::ProviderId::Panhe)
        )
    }

    pub async fn post_json(&self, url: &str, body: &Value) -> (u16, String) {
        let response = self.http.post(url).json(body).send().await.unwrap();
        (response.status().as_u16(), response.text().await.unwrap())
    }

    pub async fn post_form(&self, url: &str, body: &str) -> (u16, String) {
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
    pub async fn dropped_callback(&self, order_no: &str, status: u64) -> Value {
        eventually(&format!("Panhe status {status}"), async || {
            self.sim.callbacks().into_iter().find_map(|record| {
                let body = record.body;
                (body["orderNo"] == order_no && body["orderStatus"] == status).then_some(body)
            })
        })
        .await
    }

    /// The order's stored events from the first.
    pub async fn history(&self, order_id: &str) -> Vec<OrderEvent> {
        let id = OrderId::parse(order_id).unwrap();
        self.store.events_after(&id, 0).await.unwrap()
    }

    pub async fn events(&self, order_id: &str) -> usize {
        self.history(order_id).await.len()
    }

    /// (rows, processed rows) of the callback inbox.
    pub async fn inbox(&self) -> (i64, i64) {
        const COUNTS: &str =
            "SELECT COUNT(*), COUNT(processed_at) FROM callback_inbox WHERE provider = 'panhe'";
        match &self.db {
            RawDb::Sqlite(pool) => sqlx::query_as(COUNTS).fetch_one(pool).await,
            RawDb::Postgres(pool) => sqlx::query_as(COUNTS).fetch_one(pool).await,
        }
        .unwrap()
    }
}
