//! WatchOrder at scale: many streams following one order, the resident
//! memory they cost (VmRSS before and after opening them) and the delay
//! from the call that changes the order to the event reaching each watcher.

use super::BenchError;
use super::load;
use super::orders::{OfferPool, book_one};
use super::report::{LoadShape, Recorder, Report};
use super::scenarios::code_name;
use crate::proto::{self as pb, booking_service_client::BookingServiceClient};
use serde::Serialize;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};
use tokio_stream::StreamExt;
use tonic::transport::Channel;

/// Longest wait for any one step (streams opening, events arriving).
const STEP_LIMIT: Duration = Duration::from_secs(60);
/// HTTP/2 connections the streams share, in the suite and by default.
pub const CONNECTIONS: usize = 64;

/// What the watch scenario measured.
#[derive(Debug, Clone, Serialize)]
pub struct WatchReport {
    pub streams: usize,
    pub connections: usize,
    /// VmRSS of this process before and after opening the streams, KiB
    /// (client and server share the process: an upper bound for railgate).
    pub rss_before_kib: u64,
    pub rss_after_kib: u64,
    /// (after − before) / streams, bytes.
    pub bytes_per_stream: f64,
    /// Delay from sending Confirm to each watcher receiving the change.
    pub delivery: Report,
    /// Watchers that got no event within the step limit.
    pub missed: usize,
}

impl std::fmt::Display for WatchReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "WatchOrder: {} streams over {} connections",
            self.streams, self.connections
        )?;
        writeln!(
            f,
            "  resident {} KiB -> {} KiB: {:.1} KiB per stream",
            self.rss_before_kib,
            self.rss_after_kib,
            self.bytes_per_stream / 1024.0
        )?;
        write!(f, "{}", self.delivery)?;
        writeln!(f, "  watchers missed: {}", self.missed)
    }
}

/// `VmRSS` of this process in KiB (0 where /proc is not there).
pub fn resident_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| parse_vm_rss(&status))
        .unwrap_or(0)
}

/// The `VmRSS:  1234 kB` line of /proc/<pid>/status.
pub fn parse_vm_rss(status: &str) -> Option<u64> {
    let line = status.lines().find(|line| line.starts_with("VmRSS:"))?;
    line.trim_start_matches("VmRSS:")
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()
}

/// Books and holds one order on `target`, opens `streams` WatchOrder
/// streams on it over `connections` connections, then confirms it.
pub async fn run(
    target: &str,
    streams: usize,
    connections: usize,
) -> Result<WatchReport, BenchError> {
    let channels = load::connect(target, connections).await?;
    let pool = OfferPool::gather(&channels[0], 2..=2).await?;
    let key = format!("bench-watch-{}", uuid::Uuid::now_v7().simple());
    let order_id = book_one(&channels[0], &pool, &key).await?;
    let held = wait_until_held(&channels[0], &order_id).await?;

    let rss_before_kib = resident_kib();
    let confirm_sent: Arc<OnceLock<Instant>> = Arc::new(OnceLock::new());
    let recorder = Arc::new(Recorder::new());
    let (ready, mut readiness) = tokio::sync::mpsc::channel::<bool>(streams.max(1));
    let mut watchers = tokio::task::JoinSet::new();
    for index in 0..streams {
        let channel = channels[index % channels.len()].clone();
        let order_id = order_id.clone();
        let ready = ready.clone();
        let confirm_sent = confirm_sent.clone();
        let recorder = recorder.clone();
        watchers.spawn(async move {
            let opened = watcher(channel, order_id, ready.clone(), confirm_sent, recorder).await;
            if opened.is_err() {
                let _ = ready.send(false).await;
            }
        });
    }
    drop(ready);
    let mut opened = 0;
    for _ in 0..streams {
        match tokio::time::timeout(STEP_LIMIT, readiness.recv()).await {
            Ok(Some(true)) => opened += 1,
            Ok(Some(false)) => {}
            _ => break,
        }
    }
    if opened < streams {
        return Err(BenchError::Setup(format!(
            "only {opened} of {streams} WatchOrder streams opened"
        )));
    }
    let rss_after_kib = resident_kib();

    let _ = confirm_sent.set(Instant::now());
    let sent = Instant::now();
    BookingServiceClient::new(channels[0].clone())
        .confirm(pb::ConfirmRequest {
            idempotency_key: format!("{key}-confirm"),
            order_id: order_id.clone(),
            expected_amount_fen: held.total_amount_fen,
        })
        .await
        .map_err(|status| BenchError::Setup(format!("Confirm: {}", code_name(&status))))?;
    let all_in = tokio::time::timeout(STEP_LIMIT, async {
        while watchers.join_next().await.is_some() {}
    })
    .await;
    watchers.abort_all();
    let elapsed = sent.elapsed();
    let shape = LoadShape {
        concurrency: streams,
        connections: channels.len(),
        offered_rps: None,
    };
    let delivery = recorder.report("WatchOrder delivery", shape, elapsed);
    let missed = if all_in.is_ok() {
        streams.saturating_sub(delivery.requests as usize)
    } else {
        streams.saturating_sub(delivery.ok as usize)
    };
    Ok(WatchReport {
        streams,
        connections: channels.len(),
        rss_before_kib,
        rss_after_kib,
        bytes_per_stream: (rss_after_kib.saturating_sub(rss_before_kib) * 1024) as f64
            / streams.max(1) as f64,
        delivery,
        missed,
    })
}

/// One watcher: says it is ready after the snapshot, then records when the
/// first change after Confirm arrives.
async fn watcher(
    channel: Channel,
    order_id: String,
    ready: tokio::sync::mpsc::Sender<bool>,
    confirm_sent: Arc<OnceLock<Instant>>,
    recorder: Arc<Recorder>,
) -> Result<(), tonic::Status> {
    let mut stream = BookingServiceClient::new(channel)
        .watch_order(pb::WatchOrderRequest {
            order_id,
            after_sequence: 0,
            follow: true,
        })
        .await?
        .into_inner();
    // The snapshot comes first: the stream is live once it is here.
    stream.next().await.transpose()?;
    let _ = ready.send(true).await;
    while let Some(message) = stream.next().await {
        let status = message?
            .event
            .and_then(|event| event.order)
            .map(|order| order.status)
            .unwrap_or_default();
        if status == pb::OrderStatus::Held as i32 {
            continue;
        }
        if let Some(sent) = confirm_sent.get() {
            recorder.record(sent.elapsed(), Ok(()));
        }
        return Ok(());
    }
    Ok(())
}

async fn wait_until_held(channel: &Channel, order_id: &str) -> Result<pb::Order, BenchError> {
    let setup = |what: &str, status: tonic::Status| {
        BenchError::Setup(format!("{what}: {}", code_name(&status)))
    };
    let mut stream = BookingServiceClient::new(channel.clone())
        .watch_order(pb::WatchOrderRequest {
            order_id: order_id.to_owned(),
            after_sequence: 0,
            follow: false,
        })
        .await
        .map_err(|status| setup("WatchOrder", status))?
        .into_inner();
    let held = tokio::time::timeout(STEP_LIMIT, async {
        while let Some(message) = stream.next().await {
            let order = message.ok()?.event?.order?;
            if order.status == pb::OrderStatus::Held as i32 {
                return Some(order);
            }
        }
        None
    })
    .await;
    held.ok()
        .flatten()
        .ok_or_else(|| BenchError::Setup("the watched order never became HELD".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vm_rss_is_read_from_the_status_file() {
        let status = "Name:\trailgate\nVmPeak:\t  900 kB\nVmRSS:\t   12345 kB\nThreads:\t4\n";
        assert_eq!(parse_vm_rss(status), Some(12_345));
        assert_eq!(parse_vm_rss("Name:\tx\n"), None);
        assert_eq!(parse_vm_rss("VmRSS:\tlots kB\n"), None);
    }

    #[test]
    fn this_process_has_a_resident_size_on_linux() {
        if std::path::Path::new("/proc/self/status").exists() {
            assert!(resident_kib() > 0);
        }
    }
}
