//! The per-caller cap on open WatchOrder streams: each stream holds a
//! slot of its caller's until it is dropped (the client went away, the
//! order settled, or railgate stopped), so one caller cannot hold every
//! task and feed of the process open.

use crate::api::status::ApiError;
use crate::auth::Caller;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Open streams by caller.
#[derive(Debug)]
pub struct StreamQuota {
    limit: usize,
    open: Mutex<HashMap<Arc<str>, usize>>,
    metrics: crate::metrics::Metrics,
}

/// One open stream of a caller; gives its slot back when dropped.
#[derive(Debug)]
pub struct StreamSlot {
    quota: Arc<StreamQuota>,
    caller: Arc<str>,
}

impl StreamQuota {
    /// At most `limit` open streams per caller, counted in `metrics`.
    pub fn new(limit: usize, metrics: crate::metrics::Metrics) -> Arc<Self> {
        Arc::new(Self {
            limit,
            open: Mutex::new(HashMap::new()),
            metrics,
        })
    }

    /// A slot for one more stream of `caller`, or TooManyStreams.
    pub fn acquire(self: &Arc<Self>, caller: &Caller) -> Result<StreamSlot, ApiError> {
        let id = caller.shared_id();
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        let count = open.entry(id.clone()).or_insert(0);
        if *count >= self.limit {
            return Err(ApiError::TooManyStreams { limit: self.limit });
        }
        *count += 1;
        self.metrics.watch_stream(1);
        Ok(StreamSlot {
            quota: self.clone(),
            caller: id,
        })
    }

    /// Streams `caller` has open.
    #[cfg(test)]
    fn open(&self, caller: &Caller) -> usize {
        let open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        open.get(caller.id()).copied().unwrap_or(0)
    }
}

impl Drop for StreamSlot {
    fn drop(&mut self) {
        self.quota.metrics.watch_stream(-1);
        let mut open = self.quota.open.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(count) = open.get_mut(&self.caller) {
            *count -= 1;
            if *count == 0 {
                open.remove(&self.caller);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::Scope;

    #[test]
    fn a_caller_at_its_cap_is_refused_until_a_stream_closes_and_others_are_not() {
        let quota = StreamQuota::new(2, crate::metrics::Metrics::new());
        let shop = Caller::new("shop", [Scope::Book]);
        let first = quota.acquire(&shop).unwrap();
        let _second = quota.acquire(&shop).unwrap();
        assert!(matches!(
            quota.acquire(&shop),
            Err(ApiError::TooManyStreams { limit: 2 })
        ));
        assert!(
            quota
                .acquire(&Caller::new("reports", [Scope::Book]))
                .is_ok()
        );
        drop(first);
        assert_eq!(quota.open(&shop), 1);
        let _third = quota.acquire(&shop).unwrap();
        drop(_second);
        drop(_third);
        assert_eq!(quota.open(&shop), 0);
        assert!(quota.open.lock().unwrap().is_empty());
    }
}
