//! Bounded logging for lines anyone on the network can trigger (a wrong
//! callback secret, a malformed callback): at most a few lines per window
//! from each call site, and the next line that is let through says how
//! many were left out. A flood of bad requests then costs a handful of log
//! lines, not one each.
//!
//! ```ignore
//! static WRONG_SECRET: LogBudget = LogBudget::per_minute(10);
//! if let Some(suppressed) = WRONG_SECRET.admit() {
//!     tracing::warn!(suppressed, "callback refused: wrong secret");
//! }
//! ```

use std::sync::Mutex;
use std::time::{Duration, Instant};

/// One call site's allowance of log lines.
#[derive(Debug)]
pub struct LogBudget {
    limit: u32,
    window: Duration,
    state: Mutex<Option<Window>>,
}

#[derive(Debug, Clone, Copy)]
struct Window {
    started: Instant,
    logged: u32,
    /// Lines left out since the last one let through.
    suppressed: u64,
}

impl LogBudget {
    /// At most `limit` lines per minute.
    pub const fn per_minute(limit: u32) -> Self {
        Self::new(limit, Duration::from_secs(60))
    }

    /// At most `limit` lines per `window`.
    pub const fn new(limit: u32, window: Duration) -> Self {
        LogBudget {
            limit,
            window,
            state: Mutex::new(None),
        }
    }

    /// `Some(left out since the last line)` when this line may be logged.
    pub fn admit(&self) -> Option<u64> {
        self.admit_at(Instant::now())
    }

    fn admit_at(&self, now: Instant) -> Option<u64> {
        let mut state = self
            .state
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        let window = state.get_or_insert(Window {
            started: now,
            logged: 0,
            suppressed: 0,
        });
        if now.duration_since(window.started) >= self.window {
            window.started = now;
            window.logged = 0;
        }
        if window.logged < self.limit {
            window.logged += 1;
            Some(std::mem::take(&mut window.suppressed))
        } else {
            window.suppressed += 1;
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flood_costs_the_limit_and_the_next_line_counts_the_rest() {
        let budget = LogBudget::new(3, Duration::from_secs(60));
        let start = Instant::now();
        let admitted: Vec<Option<u64>> = (0..100).map(|_| budget.admit_at(start)).collect();
        assert_eq!(admitted[..3], [Some(0), Some(0), Some(0)]);
        assert!(admitted[3..].iter().all(Option::is_none));
        // A minute on: lines again, the first saying what was left out.
        let later = start + Duration::from_secs(60);
        assert_eq!(budget.admit_at(later), Some(97));
        assert_eq!(budget.admit_at(later), Some(0));
        assert_eq!(budget.admit_at(later + Duration::from_secs(1)), Some(0));
        assert_eq!(budget.admit_at(later + Duration::from_secs(2)), None);
    }

    #[test]
    fn a_quiet_site_logs_every_line() {
        let budget = LogBudget::per_minute(2);
        let start = Instant::now();
        for minute in 0..5 {
            let at = start + Duration::from_secs(60 * minute);
            assert_eq!(budget.admit_at(at), Some(0), "minute {minute}");
        }
    }
}
