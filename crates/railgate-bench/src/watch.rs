//! WatchOrder at scale: many streams following one order, the resident
//! memory they cost (VmRSS before and after opening them) and the delay
//! from the call that changes the order to the event reaching each watcher.

use super::BenchError;
use super::load;
use super::orders::{OfferPool, book_one};
use super::report::{LoadShape, Recorder, Report};
use super::scenarios::code_name;
use railgate::proto::{self as pb, booking_service_client::BookingServiceClient};
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
    /// CPU time of this process (both ends, all threads) from sending
    /// Confirm until the last watcher had the change, ms (10 ms ticks):
    /// the delivery's cost, which other load on the machine does not
    /// inflate as it does the delays.
    pub delivery_cpu_ms: f64,
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
        writeln!(f, "  CPU during delivery: {:.0} ms", self.delivery_cpu_ms)?;
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

/// CPU time (user and system) this process has used so far; zero where
/// /proc is not there.
pub fn cpu_time() -> Duration {
    std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|stat| parse_cpu_ticks(&stat))
        // /proc counts in USER_HZ ticks, 100 a second on Linux.
        .map_or(Duration::ZERO, |ticks| Duration::from_millis(ticks * 10))
}

/// utime + stime (fields 14 and 15) of /proc/<pid>/stat, in ticks.
pub fn parse_cpu_ticks(stat: &str) -> Option<u64> {
    // Field 2, the command, is in parentheses and may hold spaces: count
    // from after it, where field 3 comes first.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks = |field: usize| fields.get(field - 3)?.parse::<u64>().ok();
    Some(ticks(14)? + ticks(15)?)
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

/// Streams being opened at once.
const OPENING: usize = 256;

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
    let (ready, mut readiness) = tokio::sync::mpsc::channel::<bool>(streams.max(1));
    let (finished, mut finishing) = tokio::sync::mpsc::channel::<()>(streams.max(1));
    let (release, released) = tokio::sync::watch::channel(false);
    let signals = Signals {
        confirm_sent: Arc::new(OnceLock::new()),
        recorder: Arc::new(Recorder::new()),
        ready,
        finished,
        released,
    };
    let mut watchers = tokio::task::JoinSet::new();
    // Streams open OPENING at a time: railgate sheds calls past its
    // in-flight limit (1024 by default), and every opening call is in
    // flight until its answer's headers; an open stream is not.
    let opening = Arc::new(tokio::sync::Semaphore::new(OPENING));
    for index in 0..streams {
        let channel = channels[index % channels.len()].clone();
        let order_id = order_id.clone();
        let signals = signals.clone();
        let opening = opening.clone();
        watchers.spawn(async move {
            let Ok(permit) = opening.acquire_owned().await else {
                return;
            };
            let delivered = watcher(channel, order_id, &signals, permit).await;
            match delivered {
                Ok(true) => {}
                // Never opened, or ended without the change: counted as
                // finished (and as missed).
                Ok(false) => {
                    let _ = signals.finished.send(()).await;
                }
                Err(_) => {
                    let _ = signals.ready.send(false).await;
                    let _ = signals.finished.send(()).await;
                }
            }
        });
    }
    let confirm_sent = signals.confirm_sent.clone();
    let recorder = signals.recorder.clone();
    // Only the watchers hold senders now: the loops below end early if
    // every watcher is gone.
    drop(signals);
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
    eprintln!("bench: {streams} WatchOrder streams open; confirming the order");

    let cpu_before = cpu_time();
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
        for _ in 0..streams {
            if finishing.recv().await.is_none() {
                break;
            }
        }
    })
    .await;
    let cpu_after = cpu_time();
    let elapsed = sent.elapsed();
    let _ = release.send(true);
    watchers.abort_all();
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
        delivery_cpu_ms: cpu_after.saturating_sub(cpu_before).as_secs_f64() * 1000.0,
        missed,
    })
}

/// What the watchers and the run tell each other.
#[derive(Clone)]
struct Signals {
    /// When Confirm was sent: delays count from here.
    confirm_sent: Arc<OnceLock<Instant>>,
    recorder: Arc<Recorder>,
    /// A watcher's stream is open (true) or could not be (false).
    ready: tokio::sync::mpsc::Sender<bool>,
    /// A watcher has the change (or will never have it).
    finished: tokio::sync::mpsc::Sender<()>,
    /// Every watcher has finished: streams may close.
    released: tokio::sync::watch::Receiver<bool>,
}

/// One watcher: says it is ready after the snapshot, records when the
/// first change after Confirm arrives and says it has finished. Its stream
/// stays open until every watcher has finished: streams closing while
/// others still wait would be measured as part of the delivery. Ok(true)
/// once it has said it finished.
async fn watcher(
    channel: Channel,
    order_id: String,
    signals: &Signals,
    opening: tokio::sync::OwnedSemaphorePermit,
) -> Result<bool, tonic::Status> {
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
    drop(opening);
    let _ = signals.ready.send(true).await;
    while let Some(message) = stream.next().await {
        let status = message?
            .event
            .and_then(|event| event.order)
            .map(|order| order.status)
            .unwrap_or_default();
        if status == pb::OrderStatus::Held as i32 {
            continue;
        }
        if let Some(sent) = signals.confirm_sent.get() {
            signals.recorder.record(sent.elapsed(), Ok(()));
        }
        let _ = signals.finished.send(()).await;
        let mut released = signals.released.clone();
        let _ = released.wait_for(|released| *released).await;
        return Ok(true);
    }
    Ok(false)
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
    fn cpu_ticks_are_user_plus_system_time() {
        let stat = "4242 (rail gate) S 1 4242 4242 0 -1 4194560 900 0 0 0 \
                    250 31 0 0 20 0 9 0 1000 123456789 3000";
        assert_eq!(parse_cpu_ticks(stat), Some(281));
        assert_eq!(parse_cpu_ticks("4242 (railgate) S 1"), None);
    }

    #[test]
    fn this_process_has_a_resident_size_on_linux() {
        if std::path::Path::new("/proc/self/status").exists() {
            assert!(resident_kib() > 0);
        }
    }
}
