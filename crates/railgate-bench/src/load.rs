//! The load generator: a closed loop (N workers, each sending its next call
//! when the last returns) or an open loop (calls started on a fixed
//! schedule, latency measured from each call's SCHEDULED start so a slow
//! server cannot hide its queueing: no coordinated omission).

use super::BenchError;
use super::report::{LoadShape, Outcome, Recorder, Report};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;
use tonic::transport::Channel;

/// One call's future: its outcome.
pub type CallFuture = Pin<Box<dyn Future<Output = Outcome> + Send>>;

/// Something to call repeatedly: given a connection and the call's
/// sequence number (unique within a run, for idempotency keys).
pub trait Workload: Send + Sync + 'static {
    fn call(&self, channel: &Channel, sequence: u64) -> CallFuture;
}

impl<F> Workload for F
where
    F: Fn(&Channel, u64) -> CallFuture + Send + Sync + 'static,
{
    fn call(&self, channel: &Channel, sequence: u64) -> CallFuture {
        self(channel, sequence)
    }
}

/// When the measured phase ends.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Stop {
    /// After this many calls.
    Requests(u64),
    /// After this much wall time (calls in flight then still finish).
    Duration(Duration),
}

/// How to load the target.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LoadPlan {
    /// Workers (closed loop) or most calls in flight (open loop).
    pub concurrency: usize,
    /// Open loop rate in calls per second; None for a closed loop.
    pub rate: Option<f64>,
    pub stop: Stop,
    /// Unrecorded load before the measured phase (same shape).
    pub warmup: Duration,
}

/// Runs `plan` against `channels` (calls spread round-robin over them) and
/// reports the measured phase.
pub async fn run(
    label: &str,
    workload: Arc<dyn Workload>,
    channels: &[Channel],
    plan: LoadPlan,
) -> Report {
    let concurrency = plan.concurrency.max(1);
    let channels: Arc<[Channel]> = channels.to_vec().into();
    let sequence = Arc::new(AtomicU64::new(0));
    if !plan.warmup.is_zero() {
        let warmup = Phase {
            workload: workload.clone(),
            channels: channels.clone(),
            sequence: sequence.clone(),
            recorder: None,
        };
        warmup
            .run(concurrency, plan.rate, Stop::Duration(plan.warmup))
            .await;
    }
    let recorder = Arc::new(Recorder::new());
    let measured = Phase {
        workload,
        channels: channels.clone(),
        sequence,
        recorder: Some(recorder.clone()),
    };
    let elapsed = measured.run(concurrency, plan.rate, plan.stop).await;
    let shape = LoadShape {
        concurrency,
        connections: channels.len(),
        offered_rps: plan.rate,
    };
    recorder.report(label, shape, elapsed)
}

/// One phase (warm-up or measured) of a run.
#[derive(Clone)]
struct Phase {
    workload: Arc<dyn Workload>,
    channels: Arc<[Channel]>,
    /// Shared across phases so sequence numbers never repeat.
    sequence: Arc<AtomicU64>,
    /// None in the warm-up.
    recorder: Option<Arc<Recorder>>,
}

impl Phase {
    /// Runs until `stop`; returns the phase's wall time, up to the last
    /// call's return.
    async fn run(&self, concurrency: usize, rate: Option<f64>, stop: Stop) -> Duration {
        match rate {
            Some(rate) if rate > 0.0 => self.open_loop(concurrency, rate, stop).await,
            _ => self.closed_loop(concurrency, stop).await,
        }
    }

    async fn call(&self, index: u64) -> Outcome {
        let channel = &self.channels[index as usize % self.channels.len()];
        self.workload.call(channel, index).await
    }

    fn record(&self, started: Instant, outcome: Outcome) {
        if let Some(recorder) = &self.recorder {
            recorder.record(started.elapsed(), outcome);
        }
    }

    async fn closed_loop(&self, concurrency: usize, stop: Stop) -> Duration {
        let start = Instant::now();
        let issued = Arc::new(AtomicU64::new(0));
        let mut workers = tokio::task::JoinSet::new();
        for _ in 0..concurrency {
            let phase = self.clone();
            let issued = issued.clone();
            workers.spawn(async move {
                loop {
                    let more = match stop {
                        Stop::Requests(total) => issued.fetch_add(1, Ordering::Relaxed) < total,
                        Stop::Duration(length) => start.elapsed() < length,
                    };
                    if !more {
                        break;
                    }
                    let index = phase.sequence.fetch_add(1, Ordering::Relaxed);
                    let started = Instant::now();
                    let outcome = phase.call(index).await;
                    phase.record(started, outcome);
                }
            });
        }
        while workers.join_next().await.is_some() {}
        start.elapsed()
    }

    /// Calls start at `start + k / rate`. A std thread keeps the schedule
    /// (its sleep is finer than tokio's 1 ms timer); each call runs as a
    /// task and waits for one of `concurrency` slots, its latency counted
    /// from the scheduled time all the same.
    async fn open_loop(&self, concurrency: usize, rate: f64, stop: Stop) -> Duration {
        let slots = Arc::new(Semaphore::new(concurrency));
        let (spawned, mut calls) = tokio::sync::mpsc::unbounded_channel();
        let runtime = tokio::runtime::Handle::current();
        let phase = self.clone();
        let interval = Duration::from_secs_f64(1.0 / rate);
        let start = Instant::now();
        let scheduler = std::thread::spawn(move || {
            let mut scheduled = start;
            let mut count: u64 = 0;
            loop {
                let done = match stop {
                    Stop::Requests(total) => count >= total,
                    Stop::Duration(length) => scheduled.duration_since(start) >= length,
                };
                if done {
                    break;
                }
                let now = Instant::now();
                if scheduled > now {
                    std::thread::sleep(scheduled - now);
                }
                let phase = phase.clone();
                let slots = slots.clone();
                let due = scheduled;
                let call = runtime.spawn(async move {
                    let Ok(_slot) = slots.acquire_owned().await else {
                        return;
                    };
                    let index = phase.sequence.fetch_add(1, Ordering::Relaxed);
                    let outcome = phase.call(index).await;
                    phase.record(due, outcome);
                });
                if spawned.send(call).is_err() {
                    break;
                }
                count += 1;
                scheduled = start + interval.mul_f64(count as f64);
            }
        });
        while let Some(call) = calls.recv().await {
            let _ = call.await;
        }
        let _ = tokio::task::spawn_blocking(move || scheduler.join()).await;
        start.elapsed()
    }
}

/// Opens `count` HTTP/2 connections to `uri` (each Channel is one
/// connection).
pub async fn connect(uri: &str, count: usize) -> Result<Vec<Channel>, BenchError> {
    let endpoint = Channel::from_shared(uri.to_owned())
        .map_err(|_| BenchError::InvalidTarget(uri.to_owned()))?;
    let mut channels = Vec::with_capacity(count.max(1));
    for _ in 0..count.max(1) {
        channels.push(
            endpoint
                .connect()
                .await
                .map_err(|source| BenchError::Connect {
                    target: uri.to_owned(),
                    source,
                })?,
        );
    }
    Ok(channels)
}
