//! Starting delivery from the configuration: where book callbacks go (a
//! real TOP gateway, the in-process fake in sandbox mode, or nowhere), and
//! the worker that sends them.

use super::alitrip_book::BookCallbackSender;
use super::worker::{Worker, WorkerSettings};
use crate::alitrip::sm4::Sm4Error;
use crate::alitrip::{FieldCipher, TopClient, TopError};
use crate::config::{AlitripTarget, Config};
use crate::domain::OrderEvent;
use crate::domain::time::SharedClock;
use crate::sim::top::{self, TopSimConfig};
use crate::stations::StationDirectory;
use crate::store::Store;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::broadcast;

/// Where book callbacks are delivered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    /// Nowhere: notifications wait in the outbox.
    Disabled,
    /// The built-in fake TOP gateway at this URL (sandbox mode).
    Sandbox(String),
    /// A configured TOP gateway at this URL.
    Gateway(String),
}

/// Why delivery could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The sandbox fake could not listen.
    #[error("cannot listen for the sandbox TOP gateway")]
    Bind(#[source] std::io::Error),
    /// The TOP client could not be built.
    #[error("cannot build the TOP client")]
    Client(#[source] TopError),
    /// The SM4 settings are unusable (validation should have said so).
    #[error("cannot set up SM4")]
    Cipher(#[source] Sm4Error),
}

/// What the worker needs from the rest of the application.
pub struct DeliveryContext<S> {
    /// The order store (the outbox).
    pub store: Store,
    /// Order events in this process, to wake the worker.
    pub order_events: broadcast::Receiver<Arc<OrderEvent>>,
    /// "Now".
    pub clock: SharedClock,
    /// The station directory (telecodes in callbacks).
    pub stations: &'static StationDirectory,
    /// Makes a future that completes when the application stops.
    pub stopped: S,
}

/// Starts the sandbox fake if needed and the delivery worker, per
/// `config.alitrip`; `sandbox` says whether railgate runs in sandbox mode.
pub async fn start<S, F>(
    config: &Config,
    sandbox: bool,
    context: DeliveryContext<S>,
) -> Result<Delivery, StartError>
where
    S: Fn() -> F,
    F: Future<Output = ()> + Send + 'static,
{
    let alitrip = &config.alitrip;
    let (top_config, sm4, delivery) = match alitrip.target(sandbox) {
        AlitripTarget::Disabled => {
            tracing::info!(
                "alitrip delivery is off (alitrip.gateway_url is not set): book callbacks wait in the outbox"
            );
            return Ok(Delivery::Disabled);
        }
        AlitripTarget::Gateway { top, sm4 } => {
            let url = top.gateway_url.clone();
            (top, sm4, Delivery::Gateway(url))
        }
        AlitripTarget::Sandbox => {
            let sim_config = TopSimConfig {
                clock: context.clock.clone(),
                ..TopSimConfig::default()
            };
            let url = spawn_sandbox_gateway(sim_config, (context.stopped)()).await?;
            (
                alitrip.sandbox_top_config(&url),
                crate::config::AlitripConfig::sandbox_sm4(),
                Delivery::Sandbox(url),
            )
        }
    };
    let client =
        TopClient::with_clock(top_config, context.clock.clone()).map_err(StartError::Client)?;
    let cipher = FieldCipher::new(&sm4).map_err(StartError::Cipher)?;
    let worker = Worker::new(
        context.store,
        BookCallbackSender::new(client, cipher, context.stations),
        WorkerSettings {
            retry: alitrip.retry_policy(),
            poll_interval: Duration::from_millis(alitrip.poll_interval_ms),
            lease: alitrip.lease(),
        },
        context.clock,
    );
    tokio::spawn(worker.run(context.order_events, (context.stopped)()));
    match &delivery {
        Delivery::Sandbox(url) => tracing::info!(
            top_simulator = %url,
            "alitrip book callbacks go to the built-in fake TOP gateway (sandbox)"
        ),
        Delivery::Gateway(url) => {
            tracing::info!(top_gateway = %url, "alitrip book callbacks go to the TOP gateway")
        }
        Delivery::Disabled => {}
    }
    Ok(delivery)
}

/// Serves the fake TOP gateway on a private loopback port until `stopped`;
/// returns its URL.
async fn spawn_sandbox_gateway(
    config: TopSimConfig,
    stopped: impl Future<Output = ()> + Send + 'static,
) -> Result<String, StartError> {
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .map_err(StartError::Bind)?;
    let address = listener.local_addr().map_err(StartError::Bind)?;
    let url = format!("http://{address}{}", config.path);
    tokio::spawn(async move {
        if let Err(error) = top::serve(listener, config, stopped).await {
            tracing::error!(error = %error, "top simulator stopped");
        }
    });
    Ok(url)
}
