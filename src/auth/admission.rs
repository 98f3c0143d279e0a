//! Admission of authenticated calls: each caller's token bucket and the
//! global in-flight limit. Both refuse at once instead of queueing, so an
//! overloaded railgate answers quickly and its callers back off or go to
//! another instance, rather than a queue growing until every call in it
//! times out.
//!
//! - **Per-caller rate** (GCRA token buckets, `governor`): a caller over
//!   its rate gets RESOURCE_EXHAUSTED with a google.rpc `RetryInfo` saying
//!   when a call would be admitted; other callers are unaffected. The rate
//!   is the clients file's `requests_per_second`/`burst` for that client,
//!   else `[limits] caller_requests_per_second`/`caller_burst`; 0 is no
//!   limit.
//! - **In flight**: at most `limits.max_in_flight` calls are being handled
//!   at once across all connections; one more is refused with UNAVAILABLE
//!   (gRPC clients retry UNAVAILABLE, on another instance if there is one).
//!   A WatchOrder counts until its stream has started, not for its life;
//!   open streams have their own per-caller cap (`crate::api::watch`).

use super::Caller;
use crate::api::status::ApiError;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultDirectRateLimiter, DefaultKeyedRateLimiter, Quota};
use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::Arc;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// A token bucket: `per_second` calls a second, up to `burst` at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    /// Sustained calls per second.
    pub per_second: u32,
    /// Calls that may come at once after a quiet spell (at least 1).
    pub burst: u32,
}

impl Rate {
    /// The bucket, or None when `per_second` is 0 (no limit).
    pub fn new(per_second: u32, burst: u32) -> Option<Self> {
        (per_second > 0).then_some(Self {
            per_second,
            burst: if burst == 0 { per_second } else { burst },
        })
    }

    fn quota(self) -> Quota {
        let per_second = NonZeroU32::new(self.per_second).unwrap_or(NonZeroU32::MIN);
        let burst = NonZeroU32::new(self.burst).unwrap_or(NonZeroU32::MIN);
        Quota::per_second(per_second).allow_burst(burst)
    }
}

/// Callers' buckets and the in-flight limit.
pub struct Admission {
    /// Clients with a rate of their own (the clients file's).
    own: HashMap<Arc<str>, DefaultDirectRateLimiter>,
    /// Everyone else, keyed by caller id, at the default rate.
    default: Option<DefaultKeyedRateLimiter<Arc<str>>>,
    in_flight: Option<Arc<Semaphore>>,
    clock: DefaultClock,
}

impl std::fmt::Debug for Admission {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("Admission")
            .field("own_rates", &self.own.len())
            .field("default_rate", &self.default.is_some())
            .field(
                "in_flight",
                &self.in_flight.as_ref().map(|s| s.available_permits()),
            )
            .finish()
    }
}

/// Holds a place among the calls in flight until dropped.
#[derive(Debug)]
pub struct InFlight(#[allow(dead_code)] Option<OwnedSemaphorePermit>);

impl Admission {
    /// `own` rates by caller id, `default` for the rest, and at most
    /// `max_in_flight` calls at once (0: no limit).
    pub fn new(
        own: impl IntoIterator<Item = (Arc<str>, Rate)>,
        default: Option<Rate>,
        max_in_flight: usize,
    ) -> Self {
        Self {
            own: own
                .into_iter()
                .map(|(id, rate)| (id, governor::RateLimiter::direct(rate.quota())))
                .collect(),
            default: default.map(|rate| governor::RateLimiter::keyed(rate.quota())),
            in_flight: (max_in_flight > 0).then(|| Arc::new(Semaphore::new(max_in_flight))),
            clock: DefaultClock::default(),
        }
    }

    /// Admits one call of `caller`, or says why not.
    pub fn admit(&self, caller: &Caller) -> Result<InFlight, ApiError> {
        self.check_rate(caller)?;
        match &self.in_flight {
            None => Ok(InFlight(None)),
            Some(slots) => slots
                .clone()
                .try_acquire_owned()
                .map(|permit| InFlight(Some(permit)))
                .map_err(|_| ApiError::Overloaded),
        }
    }

    fn check_rate(&self, caller: &Caller) -> Result<(), ApiError> {
        let verdict = match self.own.get(caller.id()) {
            Some(bucket) => bucket.check(),
            None => match &self.default {
                Some(buckets) => buckets.check_key(&caller.shared_id()),
                None => return Ok(()),
            },
        };
        verdict.map_err(|not_until| ApiError::RateLimited {
            retry_after: not_until.wait_time_from(self.clock.now()),
        })
    }

    /// Forgets the buckets of callers that have been quiet long enough to
    /// be full again (JWT subjects come and go); run now and then.
    pub fn forget_idle_callers(&self) {
        if let Some(buckets) = &self.default {
            buckets.retain_recent();
            buckets.shrink_to_fit();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::Scope;

    fn caller(id: &str) -> Caller {
        Caller::new(id, [Scope::Search])
    }

    #[test]
    fn a_caller_over_its_burst_waits_and_others_are_unaffected() {
        let admission = Admission::new([], Rate::new(1, 2), 0);
        let checkout = caller("checkout");
        assert!(admission.admit(&checkout).is_ok());
        assert!(admission.admit(&checkout).is_ok());
        match admission.admit(&checkout) {
            Err(ApiError::RateLimited { retry_after }) => {
                assert!(retry_after > std::time::Duration::ZERO);
                assert!(retry_after <= std::time::Duration::from_secs(1));
            }
            other => panic!("expected RateLimited, got {other:?}"),
        }
        assert!(admission.admit(&caller("reports")).is_ok());
    }

    #[test]
    fn a_client_of_its_own_rate_is_held_to_it_not_to_the_default() {
        let admission = Admission::new([(Arc::from("batch"), Rate::new(1, 1).unwrap())], None, 0);
        assert!(admission.admit(&caller("batch")).is_ok());
        assert!(matches!(
            admission.admit(&caller("batch")),
            Err(ApiError::RateLimited { .. })
        ));
        // No default rate: anyone else is unlimited.
        for _ in 0..100 {
            assert!(admission.admit(&caller("checkout")).is_ok());
        }
    }

    #[test]
    fn the_in_flight_limit_sheds_and_frees_its_place_when_a_call_ends() {
        let admission = Admission::new([], None, 2);
        let anyone = caller("anyone");
        let first = admission.admit(&anyone).unwrap();
        let _second = admission.admit(&anyone).unwrap();
        assert!(matches!(
            admission.admit(&anyone),
            Err(ApiError::Overloaded)
        ));
        drop(first);
        assert!(admission.admit(&anyone).is_ok());
    }

    #[test]
    fn a_zero_rate_is_no_limit_and_a_zero_burst_is_the_rate() {
        assert_eq!(Rate::new(0, 10), None);
        assert_eq!(
            Rate::new(5, 0),
            Some(Rate {
                per_second: 5,
                burst: 5
            })
        );
    }
}
