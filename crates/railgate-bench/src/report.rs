//! Latency recording (HDR histograms) and the report of one load run, as
//! text for people and JSON for tools.

use hdrhistogram::Histogram;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

/// Highest latency the histogram tracks (longer ones are clamped to it).
const MAX_TRACKED: Duration = Duration::from_secs(60);

/// What one call ended with: success, or the name of its failure (a gRPC
/// code name such as `Unavailable`, or `http-503` for direct HTTP calls).
pub type Outcome = Result<(), String>;

/// Collects latencies and outcomes from many tasks. The lock is held for
/// one histogram increment, far below the cost of the call it records.
pub struct Recorder {
    inner: Mutex<Tally>,
}

/// Latencies in nanoseconds and failures by name.
struct Tally {
    latency: Histogram<u64>,
    ok: u64,
    errors: BTreeMap<String, u64>,
}

impl Default for Recorder {
    fn default() -> Self {
        Self::new()
    }
}

impl Recorder {
    pub fn new() -> Self {
        // 3 significant digits from 1 µs to a minute: ~0.1% resolution.
        // Constant, valid bounds: this cannot fail.
        let latency = Histogram::new_with_bounds(1_000, MAX_TRACKED.as_nanos() as u64, 3)
            .expect("constant histogram bounds are valid");
        Self {
            inner: Mutex::new(Tally {
                latency,
                ok: 0,
                errors: BTreeMap::new(),
            }),
        }
    }

    /// Records one finished call.
    pub fn record(&self, latency: Duration, outcome: Outcome) {
        let nanos = latency.as_nanos().min(MAX_TRACKED.as_nanos()) as u64;
        let mut tally = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        tally.latency.saturating_record(nanos.max(1_000));
        match outcome {
            Ok(()) => tally.ok += 1,
            Err(name) => *tally.errors.entry(name).or_default() += 1,
        }
    }

    /// The report of everything recorded, over `elapsed` wall time.
    pub fn report(&self, label: &str, shape: LoadShape, elapsed: Duration) -> Report {
        let tally = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        let micros = |nanos: u64| nanos as f64 / 1_000.0;
        let at = |quantile: f64| micros(tally.latency.value_at_quantile(quantile));
        let failed: u64 = tally.errors.values().sum();
        let requests = tally.ok + failed;
        let elapsed_s = elapsed.as_secs_f64();
        Report {
            label: label.to_owned(),
            shape,
            requests,
            ok: tally.ok,
            errors: tally.errors.clone(),
            elapsed_s,
            rps: if elapsed_s > 0.0 {
                requests as f64 / elapsed_s
            } else {
                0.0
            },
            latency_us: Percentiles {
                recorded: tally.latency.len(),
                mean: tally.latency.mean() / 1_000.0,
                p50: at(0.50),
                p90: at(0.90),
                p99: at(0.99),
                p999: at(0.999),
                max: micros(tally.latency.max()),
            },
        }
    }
}

/// How the load was offered.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct LoadShape {
    /// Workers (closed loop) or most calls in flight (open loop).
    pub concurrency: usize,
    /// HTTP/2 connections the calls were spread over.
    pub connections: usize,
    /// Open loop: calls started per second on a fixed schedule. None: a
    /// closed loop (each worker sends its next call when one returns).
    pub offered_rps: Option<f64>,
}

/// Latency percentiles in microseconds.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Percentiles {
    /// How many latencies the histogram holds (= requests).
    pub recorded: u64,
    pub mean: f64,
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
    pub p999: f64,
    pub max: f64,
}

/// The result of one measured run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub label: String,
    pub shape: LoadShape,
    /// Calls finished in the measured phase (ok + errors).
    pub requests: u64,
    pub ok: u64,
    /// Failed calls by gRPC code name (or `http-<status>`).
    pub errors: BTreeMap<String, u64>,
    pub elapsed_s: f64,
    /// Finished calls per second of the measured phase.
    pub rps: f64,
    pub latency_us: Percentiles,
}

impl Report {
    /// Calls that failed, of any kind.
    pub fn failed(&self) -> u64 {
        self.errors.values().sum()
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shape = &self.shape;
        let mode = match shape.offered_rps {
            Some(rate) => format!(
                "open loop at {rate:.0} req/s, ≤{} in flight",
                shape.concurrency
            ),
            None => format!("closed loop, concurrency {}", shape.concurrency),
        };
        writeln!(
            f,
            "{}: {mode}, {} connections",
            self.label, shape.connections
        )?;
        writeln!(
            f,
            "  requests {} (ok {}, failed {}) in {:.2} s: {:.0} req/s",
            self.requests,
            self.ok,
            self.failed(),
            self.elapsed_s,
            self.rps
        )?;
        let l = &self.latency_us;
        writeln!(
            f,
            "  latency µs: p50 {:.0}  p90 {:.0}  p99 {:.0}  p99.9 {:.0}  max {:.0}  mean {:.0}",
            l.p50, l.p90, l.p99, l.p999, l.max, l.mean
        )?;
        for (code, count) in &self.errors {
            writeln!(f, "  error {code}: {count}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHAPE: LoadShape = LoadShape {
        concurrency: 2,
        connections: 1,
        offered_rps: None,
    };

    #[test]
    fn counts_and_percentiles_follow_the_recorded_calls() {
        let recorder = Recorder::new();
        for millis in 1..=100 {
            recorder.record(Duration::from_millis(millis), Ok(()));
        }
        recorder.record(Duration::from_millis(5), Err("Unavailable".into()));
        recorder.record(Duration::from_millis(5), Err("Unavailable".into()));
        let report = recorder.report("t", SHAPE, Duration::from_secs(2));
        assert_eq!((report.requests, report.ok, report.failed()), (102, 100, 2));
        assert_eq!(report.errors["Unavailable"], 2);
        assert_eq!(report.latency_us.recorded, 102);
        assert!((report.rps - 51.0).abs() < 1e-9);
        let l = &report.latency_us;
        assert!((49_000.0..=51_100.0).contains(&l.p50), "{l:?}");
        assert!(l.p50 <= l.p90 && l.p90 <= l.p99 && l.p99 <= l.p999 && l.p999 <= l.max);
        assert!((99_900.0..=100_100.0).contains(&l.max), "{l:?}");
    }

    #[test]
    fn an_empty_run_reports_zeroes_not_a_division_by_zero() {
        let report = Recorder::new().report("empty", SHAPE, Duration::ZERO);
        assert_eq!((report.requests, report.rps), (0, 0.0));
        assert!(report.to_string().contains("requests 0"));
    }

    #[test]
    fn latencies_beyond_a_minute_are_clamped_not_lost() {
        let recorder = Recorder::new();
        recorder.record(Duration::from_secs(3600), Ok(()));
        let report = recorder.report("slow", SHAPE, Duration::from_secs(1));
        assert_eq!(report.latency_us.recorded, 1);
        assert!(report.latency_us.max >= 59_000_000.0);
    }
}
