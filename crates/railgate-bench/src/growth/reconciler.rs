//! The reconciler against the orders it has to poll: provider calls per
//! second and CPU at 100, 1k and 10k unsettled orders.
//!
//! One order is booked and issued through railgate; the unsettled orders
//! are its copies, ISSUING and unsettled ([`Copies::Unsettled`]), so each
//! poll is one order-detail call to the Panhe simulator (answered "not
//! found": the copies' numbers are their own) and a read of the order.
//! The reconciler runs at a 1 s interval; each size is watched for a
//! window after a settling pause. Calls are railgate's own count
//! (`railgate_provider_call_duration_seconds_count` for Panhe on
//! `/metrics`); CPU is this process's (railgate, the simulator and an idle
//! bench), from /proc.
//!
//! [`Copies::Unsettled`]: super::seed::Copies::Unsettled

use super::seed::{Copies, Seeder};
use crate::BenchError;
use crate::gateway::{Gateway, GatewayOptions, StoreChoice};
use crate::load;
use crate::watch::cpu_time;
use railgate::orders::reconciler::BATCH;
use serde::Serialize;
use std::time::{Duration, Instant};

pub const NAME: &str = "the reconciler against unsettled orders";

/// The reconciler's interval in this measurement.
const INTERVAL: Duration = Duration::from_secs(1);

/// The reconciler at one number of unsettled orders.
#[derive(Debug, Clone, Serialize)]
pub struct ReconcilePoint {
    pub unsettled: u64,
    /// Panhe calls per second over the window.
    pub calls_per_second: f64,
    /// CPU of the process over the window, % of one core.
    pub cpu_percent: f64,
    /// How long until every unsettled order has been polled once, s.
    pub full_round_seconds: f64,
}

/// The figures, and the settings behind them.
#[derive(Debug, Clone, Serialize)]
pub struct ReconcileGrowth {
    pub interval_ms: u64,
    /// Orders one round claims at most.
    pub batch: u32,
    pub window_seconds: f64,
    pub points: Vec<ReconcilePoint>,
}

/// Watches the reconciler for `window` at each of `sizes` (ascending)
/// unsettled orders.
pub async fn reconciler_growth(
    sizes: &[u64],
    window: Duration,
) -> Result<ReconcileGrowth, BenchError> {
    let options = GatewayOptions {
        cache_ttl_ms: 3_600_000,
        store: StoreChoice::Sqlite,
        provider_delay: Duration::ZERO,
        default_quota: false,
        auth_token: None,
        juhe: false,
    };
    let gateway = Gateway::start_with(options, |config| {
        config.orders.reconcile_interval_ms = INTERVAL.as_millis() as u64;
    })
    .await?;
    let result = async {
        let channels = load::connect(&gateway.uri(), 1).await?;
        let template = super::issue_one(&channels[0]).await?;
        let mut seeder = Seeder::connect(&gateway.store_url).await?;
        let metrics = format!("http://{}/metrics", gateway.http_addr);
        let mut seeded = 0;
        let mut points = Vec::new();
        for &size in sizes {
            eprintln!("bench: {NAME} ({size} orders)");
            if size > seeded {
                seeder
                    .copy(&template, seeded + 1, size, Copies::Unsettled)
                    .await?;
                seeded = size;
            }
            seeder.analyze().await?;
            // Two rounds for the new orders to enter the rotation.
            tokio::time::sleep(INTERVAL * 2).await;
            let calls_before = panhe_calls(&metrics).await?;
            let (cpu_before, started) = (cpu_time(), Instant::now());
            tokio::time::sleep(window).await;
            let elapsed = started.elapsed().as_secs_f64();
            let cpu = (cpu_time() - cpu_before).as_secs_f64();
            let calls = panhe_calls(&metrics).await? - calls_before;
            let calls_per_second = calls / elapsed;
            points.push(ReconcilePoint {
                unsettled: size,
                calls_per_second,
                cpu_percent: cpu / elapsed * 100.0,
                full_round_seconds: size as f64 / calls_per_second.max(f64::EPSILON),
            });
        }
        seeder.close().await;
        Ok(ReconcileGrowth {
            interval_ms: INTERVAL.as_millis() as u64,
            batch: BATCH,
            window_seconds: window.as_secs_f64(),
            points,
        })
    }
    .await;
    gateway.stop().await;
    result
}

/// railgate's count of Panhe calls so far, from its `/metrics`.
async fn panhe_calls(url: &str) -> Result<f64, BenchError> {
    let text = reqwest::get(url)
        .await
        .and_then(reqwest::Response::error_for_status)
        .map_err(|error| BenchError::Setup(format!("/metrics: {error}")))?
        .text()
        .await
        .map_err(|error| BenchError::Setup(format!("/metrics: {error}")))?;
    Ok(sum_of(
        &text,
        "railgate_provider_call_duration_seconds_count",
        "provider=\"panhe\"",
    ))
}

/// The sum of every sample of `name` whose labels hold `label`.
fn sum_of(text: &str, name: &str, label: &str) -> f64 {
    text.lines()
        .filter(|line| line.starts_with(name) && line.contains(label))
        .filter_map(|line| line.rsplit_once(' '))
        .filter_map(|(_, value)| value.parse::<f64>().ok())
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calls_are_summed_over_operations_and_outcomes_of_one_provider() {
        let text = "# TYPE railgate_provider_call_duration_seconds histogram\n\
            railgate_provider_call_duration_seconds_count{provider=\"panhe\",operation=\"/a\",outcome=\"ok\"} 12\n\
            railgate_provider_call_duration_seconds_count{provider=\"panhe\",operation=\"/b\",outcome=\"timeout\"} 3\n\
            railgate_provider_call_duration_seconds_count{provider=\"juhe\",operation=\"/a\",outcome=\"ok\"} 100\n\
            railgate_provider_call_duration_seconds_sum{provider=\"panhe\",operation=\"/a\",outcome=\"ok\"} 0.5\n";
        assert_eq!(
            sum_of(
                text,
                "railgate_provider_call_duration_seconds_count",
                "provider=\"panhe\""
            ),
            15.0
        );
    }
}
