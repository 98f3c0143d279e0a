//! One cell group: both simulators, each behind a [`FaultProxy`], and
//! railgate configured to reach them only through the proxies. Its cells
//! run one after another (a fault is armed for one cell at a time); groups
//! run side by side.

use super::proxy::FaultProxy;
use crate::scripted::eventually;
use crate::support::TestApp;
use railgate_sim::{juhe, panhe};
use secrecy::SecretString;
use std::net::SocketAddr;
use std::sync::Arc;

/// Every provider call's time limit: short, so a stall ends soon, and
/// several times [`super::proxy::LATENCY`], so latency alone stays
/// harmless, and with room for a loaded machine.
pub const PROVIDER_TIMEOUT_MS: u64 = 2_000;
/// How long a Book without an answer keeps its key: just over the
/// provider timeout (it must be longer, or a slow first attempt is taken
/// over), so the caller's retry that resolves it comes soon.
pub const LEASE_MS: u64 = 2_500;
/// The reconciler's interval: short, so it resolves an order soon after
/// its answer was lost.
const RECONCILE_MS: u64 = 100;
/// Panhe's clock: a hold in 50 ms, an issue in 85 ms, the payment window
/// 10 s.
const PANHE_CLOCK_SCALE: f64 = 60.0;
/// Juhe's clock: a grab in presale issues within a quarter of a second;
/// a search's queryKey stays usable for 15 s.
const JUHE_CLOCK_SCALE: f64 = 120.0;

pub struct Group {
    pub app: TestApp,
    pub panhe: Arc<panhe::SimState>,
    pub juhe: Arc<juhe::SimState>,
    pub panhe_proxy: FaultProxy,
    pub juhe_proxy: FaultProxy,
}

impl Group {
    pub async fn start() -> Group {
        let (panhe_addr, panhe) = start_panhe().await;
        let (juhe_addr, juhe) = start_juhe().await;
        // Only the reconciler (and the caller's retry) may resolve what a
        // fault left unknown: no callback brings the answer another way.
        panhe.set_callback_mode(panhe::orders::CallbackMode::Drop);
        juhe.set_callback_mode(juhe::orders::CallbackMode::Drop);
        let panhe_proxy = FaultProxy::start(panhe_addr).await;
        let juhe_proxy = FaultProxy::start(juhe_addr).await;
        let (panhe_via, juhe_via) = (panhe_proxy.addr(), juhe_proxy.addr());
        let app = TestApp::spawn_with(|config| {
            config.panhe.base_url = Some(format!("http://{panhe_via}"));
            // The simulator reads credentials in clear: say so explicitly.
            config.panhe.credential_cipher =
                Some(railgate::providers::panhe::credentials::CredentialCipherConfig::plaintext());
            config.panhe.app_key = Some(SecretString::from(panhe::DEFAULT_APP_KEY));
            config.panhe.secret_key = Some(SecretString::from(panhe::DEFAULT_SECRET_KEY));
            config.panhe.timeout_ms = PROVIDER_TIMEOUT_MS;
            config.juhe.base_url = Some(format!("http://{juhe_via}{}", juhe::BASE_PATH));
            config.juhe.key = Some(SecretString::from(juhe::DEFAULT_KEY));
            config.juhe.timeout_ms = PROVIDER_TIMEOUT_MS;
            // Each provider's own timeout decides, not Search's.
            config.search.provider_timeout_ms = 2 * PROVIDER_TIMEOUT_MS;
            // Every Search reaches the provider (and its fault).
            config.search.cache_ttl_ms = 0;
            config.orders.reconcile_interval_ms = RECONCILE_MS;
            config.orders.idempotency_lease_ms = LEASE_MS;
            // The breaker has tests of its own; here it would carry one
            // cell's failures into the next cell's answer.
            config.resilience.consecutive_failures = 0;
        })
        .await;
        // railgate registers its three Juhe callback URLs at start: let
        // them through before any fault is armed.
        eventually("Juhe callback URLs registered", async || {
            (juhe.requests(juhe::Endpoint::AddCallbackUrl) >= 3).then_some(())
        })
        .await;
        Group {
            app,
            panhe,
            juhe,
            panhe_proxy,
            juhe_proxy,
        }
    }

    /// What the proxies could not handle; empty in a sound test.
    pub fn proxy_problems(&self) -> Vec<String> {
        let mut problems = self.panhe_proxy.problems();
        problems.extend(self.juhe_proxy.problems());
        problems
    }
}

async fn start_panhe() -> (SocketAddr, Arc<panhe::SimState>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (router, state) = panhe::router_with_state(panhe::PanheSimConfig {
        clock_scale: PANHE_CLOCK_SCALE,
        ..panhe::PanheSimConfig::default()
    });
    tokio::spawn(panhe::serve_router(
        listener,
        router,
        std::future::pending(),
    ));
    (addr, state)
}

async fn start_juhe() -> (SocketAddr, Arc<juhe::SimState>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (router, state) = juhe::router_with_state(juhe::JuheSimConfig {
        clock_scale: JUHE_CLOCK_SCALE,
        ..juhe::JuheSimConfig::default()
    });
    tokio::spawn(juhe::serve_router(listener, router, std::future::pending()));
    (addr, state)
}
