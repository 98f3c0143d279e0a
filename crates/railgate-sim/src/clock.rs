//! The wall clock the simulators read: Asia/Shanghai local time, or a
//! fixed instant for tests, sped up by each simulator's clock scale
//! ([`provider_now`], [`real_duration`]).

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{NaiveDateTime, TimeDelta, Utc};

/// Current Asia/Shanghai wall-clock time.
pub type Clock = Arc<dyn Fn() -> NaiveDateTime + Send + Sync>;

/// The real current time in Asia/Shanghai.
pub fn shanghai_now() -> NaiveDateTime {
    Utc::now()
        .with_timezone(&chrono_tz::Asia::Shanghai)
        .naive_local()
}

/// A clock stuck at `at`, for tests.
pub fn fixed_clock(at: NaiveDateTime) -> Clock {
    Arc::new(move || at)
}

/// Provider time: `clock` plus `(scale − 1) ×` the real time since
/// `started`. With the real clock this runs `scale` times as fast as wall
/// time; with a fixed clock and scale 1 it stands still.
pub fn provider_now(clock: &Clock, started: Instant, scale: f64) -> NaiveDateTime {
    let extra = started.elapsed().as_secs_f64() * (scale - 1.0);
    clock() + TimeDelta::milliseconds((extra * 1000.0) as i64)
}

/// The real time a span of provider time takes at `scale`.
pub fn real_duration(provider: Duration, scale: f64) -> Duration {
    provider.div_f64(scale)
}
