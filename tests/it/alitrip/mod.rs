//! Booking results to alitrip (issue 6), end to end: an order booked
//! through the alitrip channel is reported to a fake TOP gateway that
//! verifies the signature, decrypts the SM4 fields and checks every field
//! the seed requires. The fake runs in the test process so the test can
//! script its failures and read what it received; railgate points at it
//! like at the real gateway.
//!
//! - [`delivery`]: one valid callback per outcome, nothing in plaintext;
//!   the sandbox's built-in fake.
//! - [`outage`]: retries through failures, dead letters and replay.
//! - [`crash`]: SIGKILL between commit and delivery.
//! - [`fake_gateway`]: railgate's TOP client and builder against the fake
//!   alone, failure by failure.

mod crash;
mod delivery;
mod fake_gateway;
mod outage;

use crate::booking::{book_request, offer_on};
use crate::scripted::eventually;
use crate::support::TestApp;
use railgate::config::Config;
use railgate::proto::admin_service_client::AdminServiceClient;
use railgate::proto::{self as pb};
use railgate_sim::top::{
    self, AcceptedCallback, DEFAULT_APP_KEY, DEFAULT_APP_SECRET, DEFAULT_SM4_KEY, TopSimConfig,
    TopSimState,
};
use secrecy::SecretString;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tonic::transport::Channel;

/// The passengers' personal values as `book_request` sends them, and the
/// alitrip passenger ids the tests pass: none may leave railgate in
/// plaintext or appear in a log.
pub const PERSONAL: [&str; 7] = [
    "张三",
    "李四",
    "11010519491231002X",
    "440524188001010014",
    "13800138000",
    "ali-passenger-0001",
    "ali-passenger-0002",
];

/// A fake TOP gateway on loopback, in this process.
pub struct FakeTop {
    pub url: String,
    pub state: Arc<TopSimState>,
}

impl FakeTop {
    /// The fake with the sandbox credentials; a stalled call gives up
    /// after `stall_limit`.
    pub async fn start(stall_limit: Duration) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address: SocketAddr = listener.local_addr().unwrap();
        let config = TopSimConfig {
            stall_limit,
            ..TopSimConfig::default()
        };
        let url = format!("http://{address}{}", config.path);
        let (router, state) = top::router_with_state(config);
        tokio::spawn(async move { axum::serve(listener, router).await });
        FakeTop { url, state }
    }

    /// The callbacks accepted for alitrip order `order_id`.
    pub fn accepted_for(&self, order_id: &str) -> Vec<AcceptedCallback> {
        self.state
            .accepted()
            .into_iter()
            .filter(|callback| callback.order_id == order_id)
            .collect()
    }

    /// Waits until `count` callbacks for `order_id` were accepted.
    pub async fn wait_accepted(&self, order_id: &str, count: usize) -> Vec<AcceptedCallback> {
        eventually(&format!("{count} callbacks for {order_id}"), async || {
            let accepted = self.accepted_for(order_id);
            (accepted.len() >= count).then_some(accepted)
        })
        .await
    }

    /// The environment that points a railgate process at this fake.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("RAILGATE_ALITRIP_GATEWAY_URL", self.url.clone()),
            ("RAILGATE_ALITRIP_APP_KEY", DEFAULT_APP_KEY.to_owned()),
            ("RAILGATE_ALITRIP_APP_SECRET", DEFAULT_APP_SECRET.to_owned()),
            ("RAILGATE_ALITRIP_SM4_KEY", DEFAULT_SM4_KEY.to_owned()),
            ("RAILGATE_ALITRIP_BACKOFF_BASE_MS", "20".to_owned()),
            ("RAILGATE_ALITRIP_BACKOFF_CAP_MS", "100".to_owned()),
            ("RAILGATE_ALITRIP_POLL_INTERVAL_MS", "50".to_owned()),
        ]
    }

    /// Points an in-process railgate's config at this fake, with quick
    /// retries.
    pub fn configure(&self, config: &mut Config) {
        let alitrip = &mut config.alitrip;
        alitrip.gateway_url = Some(self.url.clone());
        alitrip.app_key = Some(DEFAULT_APP_KEY.to_owned());
        alitrip.app_secret = Some(SecretString::from(DEFAULT_APP_SECRET));
        alitrip.sm4.key = Some(SecretString::from(DEFAULT_SM4_KEY));
        alitrip.backoff_base_ms = 20;
        alitrip.backoff_cap_ms = 100;
        alitrip.poll_interval_ms = 50;
        alitrip.timeout_ms = 2_000;
    }
}

/// Sandbox Panhe at 60× with a fast reconciler, alitrip pointed at `fake`.
pub async fn app_with(fake: &FakeTop) -> TestApp {
    TestApp::spawn_with(|config| {
        config.sandbox.clock_scale = 60.0;
        config.orders.reconcile_interval_ms = 50;
        fake.configure(config);
    })
    .await
}

/// `book_request` from alitrip order `alitrip_order_id`.
pub fn alitrip_book_request(key: &str, offer_id: &str, alitrip_order_id: &str) -> pb::BookRequest {
    pb::BookRequest {
        channel: Some(pb::Channel {
            kind: Some(pb::channel::Kind::Alitrip(pb::AlitripChannel {
                order_id: alitrip_order_id.into(),
                purchase_type: "2".into(),
                extra: Default::default(),
                passenger_ids: vec![PERSONAL[5].into(), PERSONAL[6].into()],
            })),
        }),
        ..book_request(key, offer_id)
    }
}

/// Books from alitrip and waits until the order is HELD.
pub async fn held_alitrip_order(app: &TestApp, key: &str, alitrip_order_id: &str) -> pb::Order {
    let offer = offer_on(app, 3).await;
    let booked = app
        .booking()
        .book(alitrip_book_request(key, &offer.offer_id, alitrip_order_id))
        .await
        .unwrap()
        .into_inner()
        .order
        .unwrap();
    crate::scripted::wait_status(app, &booked.order_id, pb::OrderStatus::Held).await
}

/// Books from alitrip, confirms, and waits until the order is ISSUED.
pub async fn issued_alitrip_order(app: &TestApp, key: &str, alitrip_order_id: &str) -> pb::Order {
    let held = held_alitrip_order(app, key, alitrip_order_id).await;
    crate::scripted::confirm(app, &format!("{key}-confirm"), &held).await;
    crate::scripted::wait_status(app, &held.order_id, pb::OrderStatus::Issued).await
}

/// An AdminService client of `app`.
pub fn admin(app: &TestApp) -> AdminServiceClient<Channel> {
    AdminServiceClient::new(app.channel.clone())
}

/// The notifications in `states` (pending and dead when empty).
pub async fn notifications(
    admin: &mut AdminServiceClient<Channel>,
    states: &[pb::NotificationState],
) -> Vec<pb::Notification> {
    admin
        .list_notifications(pb::ListNotificationsRequest {
            states: states.iter().map(|state| *state as i32).collect(),
            page_size: 500,
            page_token: String::new(),
        })
        .await
        .unwrap()
        .into_inner()
        .notifications
}

/// Waits until the notification of railgate order `order_id` is in `state`.
pub async fn wait_notification(
    admin: &mut AdminServiceClient<Channel>,
    order_id: &str,
    state: pb::NotificationState,
) -> pb::Notification {
    eventually(
        &format!("notification of {order_id} {state:?}"),
        async || {
            notifications(admin, &[state])
                .await
                .into_iter()
                .find(|notification| notification.order_id == order_id)
        },
    )
    .await
}

/// Every raw request body the fake received, as received and form-decoded.
pub fn bodies_as_sent_and_decoded(fake: &FakeTop) -> Vec<String> {
    fake.state
        .raw_bodies()
        .into_iter()
        .flat_map(|raw| {
            let decoded: Vec<(String, String)> =
                serde_urlencoded::from_str(&raw).unwrap_or_default();
            let decoded = decoded
                .into_iter()
                .map(|(name, value)| format!("{name}={value}"))
                .collect::<Vec<_>>()
                .join("&");
            [raw, decoded]
        })
        .collect()
}

/// Asserts that no personal value appears in any of `texts`.
pub fn assert_no_personal_data(what: &str, texts: &[String]) {
    for value in PERSONAL {
        assert!(
            !texts.iter().any(|text| text.contains(value)),
            "{value:?} in plaintext in {what}"
        );
    }
}
