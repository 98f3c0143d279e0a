//! How the cost of reading orders grows with the orders stored: GetOrder
//! and ListOrders, one call at a time through railgate's gRPC API, on a
//! store holding 10k, 100k and 1M orders (SQLite and PostgreSQL).
//!
//! One order is booked and issued through railgate; the rest are its
//! copies, written with SQL ([`seed`](super::seed)). Each size is measured on the same
//! store, grown between measurements, after `ANALYZE`.
//!
//! | call | what it asks the store |
//! | --- | --- |
//! | GetOrder | one order by id (spread over every stored order) |
//! | ListOrders, newest page | the 20 newest orders |
//! | ListOrders, rare status | the 20 newest EXPIRED orders, when none is |
//!
//! The last was the worst case of a filtered list: with no index on
//! status the store read every order before it could say there was none
//! (2 s at 1M on SQLite), which is why `orders_status_created` exists.

use super::Latency;
use super::seed::{self, Seeder};
use crate::gateway::{Gateway, GatewayOptions, StoreChoice};
use crate::load::{self, LoadPlan, Stop};
use crate::scenarios::{Scenario, code_name};
use crate::{BenchError, scenario_workload};
use railgate::proto::{self as pb, booking_service_client::BookingServiceClient};
use serde::Serialize;
use std::time::{Duration, Instant};
use tonic::transport::Channel;

pub const NAME: &str = "how order reads grow with the orders stored";

/// Page size of the ListOrders calls.
const PAGE: i32 = 20;

/// The calls measured at each size.
#[derive(Debug, Clone, Copy)]
pub struct Calls {
    pub get: usize,
    pub list_newest: usize,
    pub list_rare: usize,
}

/// One backend's figures at each size.
#[derive(Debug, Clone, Serialize)]
pub struct OrderReads {
    pub backend: String,
    pub points: Vec<ReadPoint>,
}

/// The figures at one number of stored orders.
#[derive(Debug, Clone, Serialize)]
pub struct ReadPoint {
    pub stored: u64,
    /// How long writing this size's copies (and ANALYZE) took.
    pub seed_seconds: f64,
    pub get: Latency,
    pub list_newest: Latency,
    pub list_rare: Latency,
}

/// Measures `calls` at each of `sizes` (ascending) on a fresh `store`.
pub async fn order_reads(
    backend: &str,
    store: StoreChoice,
    sizes: &[u64],
    calls: Calls,
) -> Result<OrderReads, BenchError> {
    let gateway = Gateway::start(GatewayOptions {
        cache_ttl_ms: 3_600_000,
        store,
        provider_delay: Duration::ZERO,
        default_quota: false,
        auth_token: None,
        juhe: false,
    })
    .await?;
    let result = async {
        let channels = load::connect(&gateway.uri(), 1).await?;
        let channel = &channels[0];
        let template = issue_one(channel).await?;
        let mut seeder = Seeder::connect(&gateway.store_url).await?;
        let mut stored = 1;
        let mut points = Vec::new();
        for &size in sizes {
            eprintln!("bench: {NAME} ({backend}, {size} orders)");
            let started = Instant::now();
            if size > stored {
                seeder
                    .copy(&template, stored, size - 1, seed::Copies::Same)
                    .await?;
                stored = size;
            }
            seeder.analyze().await?;
            let seed_seconds = started.elapsed().as_secs_f64();
            points.push(ReadPoint {
                stored,
                seed_seconds,
                get: get_orders(channel, &template, stored, calls.get).await?,
                list_newest: list_orders(channel, Vec::new(), calls.list_newest).await?,
                list_rare: list_orders(
                    channel,
                    vec![pb::OrderStatus::Expired as i32],
                    calls.list_rare,
                )
                .await?,
            });
        }
        seeder.close().await;
        Ok(OrderReads {
            backend: backend.to_owned(),
            points,
        })
    }
    .await;
    gateway.stop().await;
    result
}

/// Books and issues one order through railgate; its id.
pub(crate) async fn issue_one(channel: &Channel) -> Result<String, BenchError> {
    let workload = scenario_workload(Scenario::BookConfirm, channel).await?;
    let plan = LoadPlan {
        concurrency: 1,
        rate: None,
        stop: Stop::Requests(1),
        warmup: Duration::ZERO,
    };
    let report = load::run("template", workload, std::slice::from_ref(channel), plan).await;
    if report.ok != 1 {
        return Err(BenchError::Setup(format!(
            "the template order did not reach ISSUED: {:?}",
            report.errors
        )));
    }
    let page = BookingServiceClient::new(channel.clone())
        .list_orders(pb::ListOrdersRequest {
            page_size: 1,
            ..Default::default()
        })
        .await
        .map_err(|status| BenchError::Setup(format!("ListOrders: {}", code_name(&status))))?
        .into_inner();
    page.orders
        .into_iter()
        .next()
        .map(|order| order.order_id)
        .ok_or_else(|| BenchError::Setup("no order listed".into()))
}

/// The id of copy `number` of `template` (as [`seed`] writes it).
fn copy_id(template: &str, number: u64) -> String {
    let keep = template.len().saturating_sub(12);
    format!("{}{number:012x}", &template[..keep])
}

/// GetOrder of `calls` orders spread over the `stored` (a stride through
/// the copies, so pages are not read in order).
async fn get_orders(
    channel: &Channel,
    template: &str,
    stored: u64,
    calls: usize,
) -> Result<Latency, BenchError> {
    let mut client = BookingServiceClient::new(channel.clone());
    let copies = stored.saturating_sub(1).max(1);
    let mut samples = Vec::with_capacity(calls);
    for call in 0..calls as u64 {
        let number = (call * 7_919) % copies + 1;
        let order_id = if stored > 1 {
            copy_id(template, number)
        } else {
            template.to_owned()
        };
        let started = Instant::now();
        let order = client
            .get_order(pb::GetOrderRequest { order_id })
            .await
            .map_err(|status| BenchError::Setup(format!("GetOrder: {}", code_name(&status))))?;
        samples.push(started.elapsed());
        if order.into_inner().order.is_none() {
            return Err(BenchError::Setup("GetOrder answered no order".into()));
        }
    }
    Ok(Latency::of(samples))
}

/// `calls` ListOrders of the first page, filtered by `statuses`.
async fn list_orders(
    channel: &Channel,
    statuses: Vec<i32>,
    calls: usize,
) -> Result<Latency, BenchError> {
    let mut client = BookingServiceClient::new(channel.clone());
    let mut samples = Vec::with_capacity(calls);
    for _ in 0..calls {
        let request = pb::ListOrdersRequest {
            page_size: PAGE,
            statuses: statuses.clone(),
            ..Default::default()
        };
        let started = Instant::now();
        client
            .list_orders(request)
            .await
            .map_err(|status| BenchError::Setup(format!("ListOrders: {}", code_name(&status))))?;
        samples.push(started.elapsed());
    }
    Ok(Latency::of(samples))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_copy_id_keeps_the_template_format() {
        let template = "ord_0190f5d2000070008000a1b2c3d4e5f6";
        assert_eq!(
            copy_id(template, 255),
            "ord_0190f5d20000700080000000000000ff"
        );
        assert_eq!(copy_id(template, 1).len(), template.len());
    }
}
