//! Both provider simulators on loopback ports, each with its state for the
//! test to inspect, and railgate configured to use them as the real Panhe
//! and Juhe (not sandbox mode). Juhe can be stopped mid-test.

use crate::support::TestApp;
use railgate::config::Config;
use railgate_sim::{juhe, panhe};
use secrecy::SecretString;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::sync::oneshot;

pub struct TwoSims {
    pub app: TestApp,
    pub panhe: Arc<panhe::SimState>,
    pub juhe: Arc<juhe::SimState>,
    stop_juhe: Option<oneshot::Sender<()>>,
}

impl TwoSims {
    /// Starts both simulators (Juhe as `juhe_config` says), then railgate
    /// against them with `configure` applied last.
    pub async fn start(
        juhe_config: juhe::JuheSimConfig,
        configure: impl FnOnce(&mut Config),
    ) -> Self {
        let (panhe_addr, panhe) = start_panhe().await;
        let juhe_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let juhe_addr = juhe_listener.local_addr().unwrap();
        let (juhe_router, juhe) = juhe::router_with_state(juhe_config);
        let (stop_juhe, juhe_stopped) = oneshot::channel::<()>();
        tokio::spawn(juhe::serve_router(juhe_listener, juhe_router, async {
            let _ = juhe_stopped.await;
        }));
        let app = TestApp::spawn_with(|config| {
            config.panhe.base_url = Some(format!("http://{panhe_addr}"));
            // The simulator reads credentials in clear: say so explicitly.
            config.panhe.credential_cipher =
                Some(railgate::providers::panhe::credentials::CredentialCipherConfig::plaintext());
            config.panhe.app_key = Some(SecretString::from(panhe::DEFAULT_APP_KEY));
            config.panhe.secret_key = Some(SecretString::from(panhe::DEFAULT_SECRET_KEY));
            config.juhe.base_url = Some(format!("http://{juhe_addr}{}", juhe::BASE_PATH));
            config.juhe.key = Some(SecretString::from(juhe::DEFAULT_KEY));
            configure(config);
        })
        .await;
        Self {
            app,
            panhe,
            juhe,
            stop_juhe: Some(stop_juhe),
        }
    }

    /// Stops the Juhe simulator: its listener closes.
    pub fn stop_juhe(&mut self) {
        if let Some(stop) = self.stop_juhe.take() {
            let _ = stop.send(());
        }
    }
}

async fn start_panhe() -> (SocketAddr, Arc<panhe::SimState>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (router, state) = panhe::router_with_state(panhe::PanheSimConfig::default());
    tokio::spawn(panhe::serve_router(
        listener,
        router,
        std::future::pending(),
    ));
    (addr, state)
}
