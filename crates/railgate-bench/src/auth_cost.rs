//! What caller authentication costs: cached Search on a gateway with
//! bearer-token authentication next to the same Search on a gateway with
//! `auth.mode = none`, closed loop at the suite's concurrency, in
//! alternating runs ordered off, on, on, off (twice) so drift in the
//! machine and whichever side runs first fall on both sides alike. The
//! figure is the ratio of the mean rates.

use super::BenchError;
use super::gateway::{Gateway, GatewayOptions, StoreChoice};
use super::load::{self, CallFuture, LoadPlan, Stop, Workload};
use super::report::Report;
use super::scenarios::{self, code_name};
use railgate::proto::booking_service_client::BookingServiceClient;
use serde::Serialize;
use std::sync::Arc;
use std::time::Duration;
use tonic::metadata::{Ascii, MetadataValue};
use tonic::transport::Channel;

/// The scenario's name in the results.
pub const NAME: &str = "Search (cache) with token authentication";
/// The token the authenticated gateway's clients file knows.
const TOKEN: &str = "bench-token-0123456789abcdef0123456789abcdef";
/// Rounds of off, on, on, off.
const ROUNDS: usize = 2;

/// Both sides, run by run.
#[derive(Debug, Clone, Serialize)]
pub struct AuthCostReport {
    /// `auth.mode = none`.
    pub off: Vec<Report>,
    /// `auth.mode = tokens`, every call with its bearer token.
    pub on: Vec<Report>,
}

impl AuthCostReport {
    /// Mean rate with authentication over mean rate without.
    pub fn ratio(&self) -> f64 {
        let mean = |reports: &[Report]| {
            reports.iter().map(|report| report.rps).sum::<f64>() / reports.len().max(1) as f64
        };
        mean(&self.on) / mean(&self.off).max(1.0)
    }
}

/// Runs the scenario on two gateways of its own, each run lasting `length`.
pub async fn run(
    length: Duration,
    warmup: Duration,
    concurrency: usize,
    connections: usize,
) -> Result<AuthCostReport, BenchError> {
    let options = |auth_token: Option<String>| GatewayOptions {
        cache_ttl_ms: 3_600_000,
        store: StoreChoice::Sqlite,
        provider_delay: Duration::ZERO,
        default_quota: false,
        auth_token,
        juhe: false,
    };
    let open = Gateway::start(options(None)).await?;
    let guarded = Gateway::start(options(Some(TOKEN.to_owned()))).await?;
    let open_channels = load::connect(&open.uri(), connections).await?;
    let guarded_channels = load::connect(&guarded.uri(), connections).await?;
    let plain = scenarios::search(scenarios::search_request());
    let with_token = search_with_token(TOKEN)?;
    let plan = LoadPlan {
        concurrency,
        rate: None,
        stop: Stop::Duration(length),
        warmup,
    };
    let mut report = AuthCostReport {
        off: Vec::new(),
        on: Vec::new(),
    };
    for _ in 0..ROUNDS {
        for authenticated in [false, true, true, false] {
            if authenticated {
                let run = load::run("auth on", with_token.clone(), &guarded_channels, plan);
                report.on.push(run.await);
            } else {
                let run = load::run("auth off", plain.clone(), &open_channels, plan);
                report.off.push(run.await);
            }
        }
    }
    open.stop().await;
    guarded.stop().await;
    if let Some(failed) = report.on.iter().find(|run| run.failed() > 0) {
        return Err(BenchError::Setup(format!(
            "authenticated searches failed: {:?}",
            failed.errors
        )));
    }
    Ok(report)
}

/// The suite's Search, sent with `authorization: Bearer <token>`.
fn search_with_token(token: &str) -> Result<Arc<dyn Workload>, BenchError> {
    let header: MetadataValue<Ascii> = format!("Bearer {token}")
        .parse()
        .map_err(|_| BenchError::Setup("the bench token is not a header value".into()))?;
    let request = Arc::new(scenarios::search_request());
    Ok(Arc::new(
        move |channel: &Channel, _sequence: u64| -> CallFuture {
            let mut client = BookingServiceClient::new(channel.clone());
            let mut call = tonic::Request::new((*request).clone());
            call.metadata_mut().insert("authorization", header.clone());
            Box::pin(async move {
                client
                    .search(call)
                    .await
                    .map(drop)
                    .map_err(|status| code_name(&status))
            })
        },
    ))
}
