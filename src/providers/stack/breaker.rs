//! A circuit breaker per provider: consecutive-failure ejection with
//! half-open probes, after Envoy's outlier detection (5 consecutive
//! failures eject for 30 s; each further ejection in a row lasts one base
//! period longer, up to a maximum).
//!
//! A failure is what says the provider itself is unwell: no connection, no
//! answer in time, an HTTP 5xx. A refusal it answered (sold out, bad
//! parameter) is a healthy provider saying no. While the breaker is open
//! every call is refused at once, before anything is sent, so a caller
//! gets UNAVAILABLE in microseconds instead of a timeout, and a provider
//! that is down is not hammered. When the ejection ends, one call goes
//! through as a probe; its success closes the breaker, its failure ejects
//! again.
//!
//! The clock is tokio's, so tests drive it with paused time.

use std::sync::{Mutex, PoisonError};
use std::time::Duration;
use tokio::time::Instant;

/// The breaker's settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BreakerSettings {
    /// Consecutive failures that open the breaker (0 turns it off).
    pub consecutive_failures: u32,
    /// How long the first ejection lasts; the n-th in a row lasts n times
    /// as long.
    pub base_ejection: Duration,
    /// The longest ejection.
    pub max_ejection: Duration,
}

impl Default for BreakerSettings {
    /// Envoy's outlier-detection defaults.
    fn default() -> Self {
        Self {
            consecutive_failures: 5,
            base_ejection: Duration::from_secs(30),
            max_ejection: Duration::from_secs(300),
        }
    }
}

/// Where the breaker stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BreakerState {
    /// Calls go through.
    Closed,
    /// Calls are refused until the ejection ends.
    Open,
    /// One probe is in flight; other calls are refused until it answers.
    HalfOpen,
}

impl BreakerState {
    /// `closed`, `open` or `half_open` (metrics, logs).
    pub fn as_str(self) -> &'static str {
        match self {
            BreakerState::Closed => "closed",
            BreakerState::Open => "open",
            BreakerState::HalfOpen => "half_open",
        }
    }
}

/// May a call go through?
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// Yes; report its outcome with [`Breaker::record`].
    Admitted {
        /// Whether it is the half-open probe.
        probe: bool,
    },
    /// No: the provider is ejected for this much longer.
    Refused {
        /// Until the next probe may go.
        retry_in: Duration,
    },
}

#[derive(Debug)]
struct Inner {
    state: BreakerState,
    consecutive_failures: u32,
    /// Ejections in a row (reset by a success).
    ejections: u32,
    /// When the current ejection ends.
    open_until: Option<Instant>,
}

/// One provider's breaker, shared by its lanes.
#[derive(Debug)]
pub struct Breaker {
    settings: BreakerSettings,
    inner: Mutex<Inner>,
}

impl Breaker {
    /// A closed breaker.
    pub fn new(settings: BreakerSettings) -> Self {
        Self {
            settings,
            inner: Mutex::new(Inner {
                state: BreakerState::Closed,
                consecutive_failures: 0,
                ejections: 0,
                open_until: None,
            }),
        }
    }

    fn inner(&self) -> std::sync::MutexGuard<'_, Inner> {
        // Every update leaves the state whole before anything can panic.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The state now (an ended ejection reads as half-open-to-be).
    pub fn state(&self) -> BreakerState {
        self.inner().state
    }

    /// Whether a call may go now. An open breaker whose ejection has ended
    /// admits exactly one call, the probe.
    pub fn admit(&self) -> Admission {
        if self.settings.consecutive_failures == 0 {
            return Admission::Admitted { probe: false };
        }
        let mut inner = self.inner();
        match inner.state {
            BreakerState::Closed => Admission::Admitted { probe: false },
            BreakerState::HalfOpen => Admission::Refused {
                // The probe's answer decides; ask again shortly.
                retry_in: Duration::from_millis(100),
            },
            BreakerState::Open => {
                let now = Instant::now();
                match inner.open_until {
                    Some(until) if until > now => Admission::Refused {
                        retry_in: until - now,
                    },
                    _ => {
                        inner.state = BreakerState::HalfOpen;
                        Admission::Admitted { probe: true }
                    }
                }
            }
        }
    }

    /// Records the outcome of an admitted call: `healthy` unless the
    /// provider could not be reached, did not answer in time or answered
    /// 5xx. Returns the state it leaves the breaker in, when that changed.
    pub fn record(&self, healthy: bool) -> Option<BreakerState> {
        if self.settings.consecutive_failures == 0 {
            return None;
        }
        let mut inner = self.inner();
        let before = inner.state;
        if healthy {
            inner.consecutive_failures = 0;
            inner.ejections = 0;
            inner.open_until = None;
            inner.state = BreakerState::Closed;
        } else {
            inner.consecutive_failures = inner.consecutive_failures.saturating_add(1);
            let trips = match inner.state {
                // A failed probe ejects again at once.
                BreakerState::HalfOpen => true,
                BreakerState::Closed => {
                    inner.consecutive_failures >= self.settings.consecutive_failures
                }
                // A call admitted before the breaker opened: already out.
                BreakerState::Open => false,
            };
            if trips {
                inner.ejections = inner.ejections.saturating_add(1);
                let ejection = self
                    .settings
                    .base_ejection
                    .saturating_mul(inner.ejections)
                    .min(self.settings.max_ejection);
                inner.open_until = Some(Instant::now() + ejection);
                inner.state = BreakerState::Open;
            }
        }
        (inner.state != before).then_some(inner.state)
    }

    /// A probe that was admitted and never reported (its caller went
    /// away): the next call may probe instead.
    pub fn abandon_probe(&self) {
        let mut inner = self.inner();
        if inner.state == BreakerState::HalfOpen {
            inner.state = BreakerState::Open;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn breaker() -> Breaker {
        Breaker::new(BreakerSettings {
            consecutive_failures: 3,
            base_ejection: Duration::from_secs(30),
            max_ejection: Duration::from_secs(75),
        })
    }

    fn fail(breaker: &Breaker, times: u32) {
        for _ in 0..times {
            assert!(matches!(breaker.admit(), Admission::Admitted { .. }));
            breaker.record(false);
        }
    }

    #[tokio::test(start_paused = true)]
    async fn opens_after_consecutive_failures_and_probes_after_the_ejection() {
        let breaker = breaker();
        fail(&breaker, 2);
        breaker.record(true);
        fail(&breaker, 2);
        assert_eq!(
            breaker.state(),
            BreakerState::Closed,
            "a success resets the count"
        );
        fail(&breaker, 1);
        assert_eq!(breaker.state(), BreakerState::Open);
        assert_eq!(
            breaker.admit(),
            Admission::Refused {
                retry_in: Duration::from_secs(30)
            }
        );
        tokio::time::advance(Duration::from_secs(29)).await;
        assert!(matches!(breaker.admit(), Admission::Refused { .. }));
        tokio::time::advance(Duration::from_secs(1)).await;
        assert_eq!(breaker.admit(), Admission::Admitted { probe: true });
        // One probe at a time.
        assert!(matches!(breaker.admit(), Admission::Refused { .. }));
        assert_eq!(breaker.record(true), Some(BreakerState::Closed));
        assert_eq!(breaker.admit(), Admission::Admitted { probe: false });
    }

    #[tokio::test(start_paused = true)]
    async fn each_ejection_in_a_row_lasts_longer_up_to_the_maximum() {
        let breaker = breaker();
        fail(&breaker, 3);
        let mut lengths = Vec::new();
        for _ in 0..3 {
            let Admission::Refused { retry_in } = breaker.admit() else {
                panic!("open");
            };
            lengths.push(retry_in.as_secs());
            tokio::time::advance(retry_in).await;
            assert_eq!(breaker.admit(), Admission::Admitted { probe: true });
            assert_eq!(breaker.record(false), Some(BreakerState::Open));
        }
        assert_eq!(lengths, [30, 60, 75]);
    }

    #[tokio::test(start_paused = true)]
    async fn an_abandoned_probe_lets_the_next_call_probe() {
        let breaker = breaker();
        fail(&breaker, 3);
        tokio::time::advance(Duration::from_secs(30)).await;
        assert_eq!(breaker.admit(), Admission::Admitted { probe: true });
        breaker.abandon_probe();
        assert_eq!(breaker.admit(), Admission::Admitted { probe: true });
    }

    #[test]
    fn zero_failures_turns_it_off() {
        let breaker = Breaker::new(BreakerSettings {
            consecutive_failures: 0,
            ..BreakerSettings::default()
        });
        for _ in 0..100 {
            assert_eq!(breaker.admit(), Admission::Admitted { probe: false });
            assert_eq!(breaker.record(false), None);
        }
    }
}
