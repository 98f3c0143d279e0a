//! `[resilience]`: each provider's circuit breaker and the retries of its
//! idempotent reads (one setting for every provider; each provider gets a
//! breaker and a budget of its own).

use super::ConfigProblem;
use crate::providers::stack::breaker::BreakerSettings;
use crate::providers::stack::{Resilience, RetrySettings};
use serde::Deserialize;
use std::time::Duration;

/// The longest ejection accepted: a day.
const MAX_EJECTION_MS: u64 = 24 * 60 * 60 * 1000;
/// Most retries of one read: more would only pile onto a failing provider.
const MAX_RETRIES: u32 = 5;
/// The retry budget's minimum, per second (tower's budget takes < 2^31).
const MAX_RETRIES_PER_SECOND: u32 = 10_000;

/// `[resilience]`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ResilienceConfig {
    /// Consecutive failures (no connection, no answer in time, HTTP 5xx)
    /// that open a provider's breaker; 0 turns the breaker off.
    pub consecutive_failures: u32,
    /// How long the first ejection lasts, in milliseconds; the n-th in a
    /// row lasts n times as long.
    pub ejection_ms: u64,
    /// The longest ejection, in milliseconds.
    pub max_ejection_ms: u64,
    /// Retries of idempotent reads as a percentage of reads (over 10 s).
    pub retry_budget_percent: u8,
    /// Retries allowed per second whatever the traffic.
    pub retry_min_per_second: u32,
    /// Retries of one read at most; 0 turns retries off.
    pub max_retries: u32,
}

impl Default for ResilienceConfig {
    /// Envoy's outlier detection (5 failures, 30 s, at most 300 s) and
    /// Linkerd's retry budget (20%, at least 10/s).
    fn default() -> Self {
        let breaker = BreakerSettings::default();
        let retries = RetrySettings::default();
        Self {
            consecutive_failures: breaker.consecutive_failures,
            ejection_ms: breaker.base_ejection.as_millis() as u64,
            max_ejection_ms: breaker.max_ejection.as_millis() as u64,
            retry_budget_percent: retries.budget_percent,
            retry_min_per_second: retries.min_per_second,
            max_retries: retries.max_retries,
        }
    }
}

impl ResilienceConfig {
    /// The settings the provider stacks take.
    pub fn settings(&self) -> Resilience {
        Resilience {
            breaker: BreakerSettings {
                consecutive_failures: self.consecutive_failures,
                base_ejection: Duration::from_millis(self.ejection_ms),
                max_ejection: Duration::from_millis(self.max_ejection_ms),
            },
            retries: RetrySettings {
                budget_percent: self.retry_budget_percent,
                min_per_second: self.retry_min_per_second,
                max_retries: self.max_retries,
            },
        }
    }

    pub(super) fn validate(&self, problems: &mut Vec<ConfigProblem>) {
        let mut problem = |key: &str, message: String| {
            problems.push(ConfigProblem {
                key: key.to_owned(),
                message,
            })
        };
        if self.consecutive_failures > 0 && self.ejection_ms == 0 {
            problem(
                "resilience.ejection_ms",
                "must be above 0 while the breaker is on (consecutive_failures > 0)".into(),
            );
        }
        if self.max_ejection_ms > MAX_EJECTION_MS {
            problem(
                "resilience.max_ejection_ms",
                format!("must be at most {MAX_EJECTION_MS} (a day)"),
            );
        } else if self.max_ejection_ms < self.ejection_ms {
            problem(
                "resilience.max_ejection_ms",
                format!("must be at least ejection_ms ({})", self.ejection_ms),
            );
        }
        if self.retry_budget_percent > 100 {
            problem(
                "resilience.retry_budget_percent",
                "is a percentage: 0 to 100".into(),
            );
        }
        if self.retry_min_per_second > MAX_RETRIES_PER_SECOND {
            problem(
                "resilience.retry_min_per_second",
                format!("must be at most {MAX_RETRIES_PER_SECOND}"),
            );
        }
        if self.max_retries > MAX_RETRIES {
            problem(
                "resilience.max_retries",
                format!("must be at most {MAX_RETRIES}"),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_are_envoys_and_linkerds() {
        let settings = ResilienceConfig::default().settings();
        assert_eq!(settings.breaker.consecutive_failures, 5);
        assert_eq!(settings.breaker.base_ejection, Duration::from_secs(30));
        assert_eq!(settings.breaker.max_ejection, Duration::from_secs(300));
        assert_eq!(settings.retries.budget_percent, 20);
        assert_eq!(settings.retries.min_per_second, 10);
        assert_eq!(settings.retries.max_retries, 2);
        let mut problems = Vec::new();
        ResilienceConfig::default().validate(&mut problems);
        assert!(problems.is_empty(), "{problems:?}");
    }

    #[test]
    fn bad_values_are_named() {
        let config = ResilienceConfig {
            consecutive_failures: 3,
            ejection_ms: 0,
            max_ejection_ms: 0,
            retry_budget_percent: 150,
            retry_min_per_second: 1_000_000,
            max_retries: 9,
        };
        let mut problems = Vec::new();
        config.validate(&mut problems);
        let keys: Vec<&str> = problems
            .iter()
            .map(|problem| problem.key.as_str())
            .collect();
        assert_eq!(
            keys,
            [
                "resilience.ejection_ms",
                "resilience.retry_budget_percent",
                "resilience.retry_min_per_second",
                "resilience.max_retries",
            ]
        );
    }
}
