//! Starting delivery from the configuration: where book callbacks go (a
//! real TOP gateway, the in-process fake in sandbox mode, or nowhere), and
//! the worker that sends them. The fake itself is started by the app layer
//! (`crate::sandbox`) and handed in as a [`SandboxGateway`].

use super::alitrip_book::BookCallbackSender;
use super::worker::{Worker, WorkerSettings};
use crate::alitrip::sm4::{Sm4Config, Sm4Error};
use crate::alitrip::{FieldCipher, TopClient, TopConfig, TopError};
use crate::config::{AlitripTarget, Config};
use crate::domain::OrderEvent;
use crate::domain::time::SharedClock;
use crate::stations::StationDirectory;
use crate::store::Store;
use std::future::Future;
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

/// The built-in fake TOP gateway of sandbox mode, already serving, and how
/// to reach it.
#[derive(Debug, Clone)]
pub struct SandboxGateway {
    /// The TOP client's settings: the fake's URL and credentials.
    pub top: TopConfig,
    /// The SM4 settings the fake decrypts with.
    pub sm4: Sm4Config,
}

/// Why delivery could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
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
    /// Where delivery attempts are counted.
    pub metrics: crate::metrics::Metrics,
    /// Makes a future that completes when the application stops.
    pub stopped: S,
}

/// Starts the delivery worker, per `config.alitrip`: to the configured
/// gateway, else to `sandbox` (the fake of sandbox mode), else nowhere.
pub fn start<S, F>(
    config: &Config,
    sandbox: Option<SandboxGateway>,
    context: DeliveryContext<S>,
) -> Result<Delivery, StartError>
where
    S: Fn() -> F,
    F: Future<Output = ()> + Send + 'static,
{
    let alitrip = &config.alitrip;
    let (top_config, sm4, delivery) = match alitrip.target(sandbox.is_some()) {
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
        AlitripTarget::Sandbox => match sandbox {
            Some(gateway) => {
                let url = gateway.top.gateway_url.clone();
                (gateway.top, gateway.sm4, Delivery::Sandbox(url))
            }
            None => {
                tracing::info!(
                    "alitrip delivery is off (no sandbox gateway): book callbacks wait in the outbox"
                );
                return Ok(Delivery::Disabled);
            }
        },
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
    )
    .with_metrics(context.metrics);
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
