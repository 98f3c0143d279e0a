//! Book under a search flood: the same open-loop stream of Books, first on
//! a quiet gateway, then while 200 callers search without a cache, both
//! with the default Panhe quota (100 calls/s) that the searches exhaust.
//! The ratio of the two p99s is the figure: searches have their own share
//! of the quota, so they must not queue Books behind them.

use super::BenchError;
use super::gateway::{Gateway, GatewayOptions, StoreChoice};
use super::load::{self, CallFuture, LoadPlan, Stop, Workload};
use super::orders::{OfferPool, book_request};
use super::report::Report;
use super::scenarios::{self, code_name};
use railgate::proto::{self as pb, booking_service_client::BookingServiceClient};
use serde::Serialize;
use std::sync::Arc;
use std::time::Duration;
use tonic::transport::Channel;

/// Callers searching at once during the flood (the probe).
pub const SEARCHERS: usize = 200;
/// Books started per second in both phases: well inside the order lane's
/// 30 calls/s, so the quota is not what the Books wait for.
const BOOK_RATE: f64 = 5.0;
/// The scenario's name in the results.
pub const NAME: &str = "Book during a search flood";

/// Both phases, and what the flood itself achieved.
#[derive(Debug, Clone, Serialize)]
pub struct FloodReport {
    /// Books with no search running.
    pub quiet: Report,
    /// The same Books while [`SEARCHERS`] callers search.
    pub flooded: Report,
    /// The searches of the flood (bounded by the search lane's share).
    pub searches: Report,
}

impl FloodReport {
    /// Book p99 during the flood over Book p99 without it.
    pub fn p99_ratio(&self) -> f64 {
        self.flooded.latency_us.p99 / self.quiet.latency_us.p99.max(1.0)
    }
}

/// Runs the scenario on a gateway of its own, each phase lasting `length`.
pub async fn run(length: Duration) -> Result<FloodReport, BenchError> {
    let gateway = Gateway::start(GatewayOptions {
        // Every Search a provider call, as the probe's distinct searches were.
        cache_ttl_ms: 0,
        store: StoreChoice::Sqlite,
        provider_delay: Duration::ZERO,
        default_quota: true,
        auth_token: None,
        juhe: false,
    })
    .await?;
    let result = phases(&gateway, length).await;
    gateway.stop().await;
    result
}

async fn phases(gateway: &Gateway, length: Duration) -> Result<FloodReport, BenchError> {
    let book_channels = load::connect(&gateway.uri(), 2).await?;
    let search_channels = load::connect(&gateway.uri(), 4).await?;
    let pool = Arc::new(OfferPool::gather(&book_channels[0], 1..=14).await?);
    // Idempotency keys from each phase's own run id (sequence numbers
    // restart with every run).
    let books = |phase: &str| {
        book_only(
            pool.clone(),
            format!("{phase}-{}", uuid::Uuid::now_v7().simple()),
        )
    };
    let book_plan = LoadPlan {
        concurrency: 64,
        rate: Some(BOOK_RATE),
        stop: Stop::Duration(length),
        warmup: Duration::from_millis(400),
    };
    let quiet = load::run("quiet", books("quiet"), &book_channels, book_plan).await;

    let search = scenarios::search(scenarios::search_request());
    let flood_plan = LoadPlan {
        concurrency: SEARCHERS,
        rate: None,
        // Outlasts the Books' warm-up and measured phase.
        stop: Stop::Duration(length + Duration::from_secs(1)),
        // Long enough for the search lane's queue to fill first.
        warmup: Duration::from_secs(1),
    };
    let flood =
        tokio::spawn(
            async move { load::run("searches", search, &search_channels, flood_plan).await },
        );
    tokio::time::sleep(Duration::from_secs(1)).await;
    let flooded = load::run("flooded", books("flooded"), &book_channels, book_plan).await;
    let searches = flood
        .await
        .map_err(|error| BenchError::Setup(format!("the search flood: {error}")))?;
    Ok(FloodReport {
        quiet,
        flooded,
        searches,
    })
}

/// One Book (a hold at the provider) per call, each on a seat of its own.
/// The order is cancelled afterwards, outside the measured call, so held
/// orders do not pile up for the reconciler to poll: its polls share the
/// order lane with the Books, and their growth would be measured instead
/// of the searches.
fn book_only(pool: Arc<OfferPool>, run_id: String) -> Arc<dyn Workload> {
    Arc::new(move |channel: &Channel, sequence: u64| -> CallFuture {
        let mut client = BookingServiceClient::new(channel.clone());
        let pool = pool.clone();
        let key = format!("bench-flood-{run_id}-{sequence}");
        Box::pin(async move {
            let Some(offer) = pool.take() else {
                return Err("no-seats-left".to_owned());
            };
            let order = client
                .book(book_request(key.clone(), offer))
                .await
                .map_err(|status| format!("Book {}", code_name(&status)))?
                .into_inner()
                .order
                .ok_or("Book without order")?;
            tokio::spawn(async move {
                let _ = client
                    .cancel(pb::CancelRequest {
                        idempotency_key: format!("{key}-cancel"),
                        order_id: order.order_id,
                    })
                    .await;
            });
            Ok(())
        })
    })
}
