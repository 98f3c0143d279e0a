//! The wall clock the simulators read: Asia/Shanghai local time, or a
//! fixed instant for tests. Each simulator speeds it up by its own clock
//! scale (see `SimState::provider_now` in each).

use std::sync::Arc;

use chrono::{NaiveDateTime, Utc};

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
