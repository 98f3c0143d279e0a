//! When a failed delivery is tried again: exponential backoff with full
//! jitter, inside a delivery window.
//!
//! After the n-th failed attempt the next one waits a uniformly random
//! time between zero and `min(cap, base · 2^(n-1))` ("full jitter"): many
//! messages that failed together (an outage) spread out instead of coming
//! back as one burst. Once the next attempt would fall after the window
//! (`max_age` from enqueueing or the last replay), the message is given up
//! on and dead-lettered.
//!
//! Pure: "now" and the random source are passed in.

use chrono::{DateTime, TimeDelta, Utc};
use rand::Rng;
use std::time::Duration;

/// How long retries go on and how far apart they are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// The delay ceiling after the first failure.
    pub base: Duration,
    /// The largest delay ceiling.
    pub cap: Duration,
    /// How long after its window starts a message may still be retried.
    pub max_age: Duration,
}

/// What to do with a message whose attempt failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NextAttempt {
    /// Try again at this instant.
    At(DateTime<Utc>),
    /// Stop: the next attempt would fall outside the delivery window.
    GiveUp,
}

impl RetryPolicy {
    /// The delay ceiling after `failures` failed attempts (1 for the
    /// first): `base · 2^(failures-1)`, at most `cap`.
    pub fn ceiling(&self, failures: i64) -> Duration {
        // 2^31 · base overflows nothing a config allows and is far past
        // any sane cap; the exponent is clamped so the shift cannot panic.
        let exponent = failures.saturating_sub(1).clamp(0, 31) as u32;
        self.base
            .checked_mul(1u32 << exponent)
            .map_or(self.cap, |delay| delay.min(self.cap))
    }

    /// A random delay in `[0, ceiling(failures)]`.
    pub fn delay(&self, failures: i64, rng: &mut impl Rng) -> Duration {
        let ceiling = self.ceiling(failures).as_millis();
        let ceiling = u64::try_from(ceiling).unwrap_or(u64::MAX);
        Duration::from_millis(rng.random_range(0..=ceiling))
    }

    /// The next attempt after `failures` failed attempts of a message
    /// whose window started at `window_start`.
    pub fn next_attempt(
        &self,
        failures: i64,
        window_start: DateTime<Utc>,
        now: DateTime<Utc>,
        rng: &mut impl Rng,
    ) -> NextAttempt {
        let (Ok(delay), Ok(max_age)) = (
            TimeDelta::from_std(self.delay(failures, rng)),
            TimeDelta::from_std(self.max_age),
        ) else {
            return NextAttempt::GiveUp;
        };
        let (Some(at), Some(window_end)) = (
            now.checked_add_signed(delay),
            window_start.checked_add_signed(max_age),
        ) else {
            return NextAttempt::GiveUp;
        };
        if at > window_end {
            NextAttempt::GiveUp
        } else {
            NextAttempt::At(at)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    fn policy() -> RetryPolicy {
        RetryPolicy {
            base: Duration::from_secs(1),
            cap: Duration::from_secs(60),
            max_age: Duration::from_secs(72 * 3600),
        }
    }

    #[test]
    fn the_ceiling_doubles_from_base_up_to_cap() {
        let ceilings: Vec<u64> = (1..=8).map(|n| policy().ceiling(n).as_secs()).collect();
        assert_eq!(ceilings, [1, 2, 4, 8, 16, 32, 60, 60]);
        assert_eq!(
            policy().ceiling(0),
            Duration::from_secs(1),
            "no failure yet"
        );
        assert_eq!(policy().ceiling(i64::MAX), Duration::from_secs(60));
        let huge = RetryPolicy {
            base: Duration::MAX,
            ..policy()
        };
        assert_eq!(huge.ceiling(5), huge.cap, "overflow falls back to the cap");
    }

    #[test]
    fn delays_are_jittered_over_the_whole_range() {
        let mut rng = StdRng::seed_from_u64(7);
        let delays: Vec<Duration> = (0..200).map(|_| policy().delay(4, &mut rng)).collect();
        assert!(delays.iter().all(|delay| *delay <= Duration::from_secs(8)));
        // Full jitter: both halves of [0, 8 s] are used.
        assert!(delays.iter().any(|delay| *delay < Duration::from_secs(4)));
        assert!(delays.iter().any(|delay| *delay > Duration::from_secs(4)));
    }

    #[test]
    fn retries_inside_the_window_and_gives_up_after_it() {
        let mut rng = StdRng::seed_from_u64(1);
        let start: DateTime<Utc> = "2026-11-20T00:00:00Z".parse().unwrap();
        let early = start + TimeDelta::minutes(5);
        match policy().next_attempt(3, start, early, &mut rng) {
            NextAttempt::At(at) => {
                assert!(at >= early && at <= early + TimeDelta::seconds(4), "{at}");
            }
            NextAttempt::GiveUp => panic!("inside the window"),
        }
        let late = start + TimeDelta::hours(72) + TimeDelta::seconds(1);
        assert_eq!(
            policy().next_attempt(3, start, late, &mut rng),
            NextAttempt::GiveUp
        );
        let no_window = RetryPolicy {
            max_age: Duration::ZERO,
            ..policy()
        };
        assert_eq!(
            no_window.next_attempt(1, start, start + TimeDelta::seconds(1), &mut rng),
            NextAttempt::GiveUp
        );
    }
}
