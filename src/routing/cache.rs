//! The search cache: each provider's answer for a route and date is kept
//! for a short TTL, and identical searches that arrive while one is in
//! flight wait for it instead of asking the provider again (single-flight).
//!
//! moka does both (TTL eviction and coalesced loads in `try_get_with`), is
//! widely used and maintained, and keeps the hot path free of a global
//! lock; a hand-written map of in-flight futures would re-implement it.

use crate::domain::{ProviderId, TrainOption};
use crate::providers::ProviderError;
use chrono::NaiveDate;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Routes × dates × providers kept at most. At about 70 KiB an answer
/// (北京南 → 上海虹桥 from Panhe, 38 trains; docs/PERFORMANCE.md measures
/// it), this bounds the cache near 700 MiB.
pub const CAPACITY: u64 = 10_000;

/// What a cached answer is filed under.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SearchKey {
    /// The provider that answered.
    pub provider: ProviderId,
    /// Boarding station telecode.
    pub from: String,
    /// Alighting station telecode.
    pub to: String,
    /// Travel date.
    pub date: NaiveDate,
}

/// One provider's answer, as fetched.
#[derive(Debug)]
pub struct ProviderAnswer {
    /// Its trains, shared with every search result built from them.
    pub trains: Vec<Arc<TrainOption>>,
    /// Values it sent that could not be mapped.
    pub skipped: Vec<String>,
    /// When it was fetched (its age is reported to callers).
    pub fetched_at: Instant,
}

/// Provider answers by route, date and provider.
#[derive(Clone)]
pub struct SearchCache {
    answers: Option<moka::future::Cache<SearchKey, Arc<ProviderAnswer>>>,
}

impl std::fmt::Debug for SearchCache {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("SearchCache")
            .field("enabled", &self.answers.is_some())
            .finish_non_exhaustive()
    }
}

impl SearchCache {
    /// A cache keeping answers for `ttl`; zero turns caching (and
    /// coalescing) off.
    pub fn new(ttl: Duration) -> Self {
        Self::with_capacity(ttl, CAPACITY)
    }

    /// As [`Self::new`], keeping at most `entries` answers (the benchmark
    /// measures the cache past [`CAPACITY`]).
    pub fn with_capacity(ttl: Duration, entries: u64) -> Self {
        let answers = (!ttl.is_zero()).then(|| {
            moka::future::Cache::builder()
                .max_capacity(entries)
                .time_to_live(ttl)
                .build()
        });
        Self { answers }
    }

    /// How many answers are kept (after moka's pending bookkeeping).
    pub async fn entry_count(&self) -> u64 {
        match &self.answers {
            Some(answers) => {
                answers.run_pending_tasks().await;
                answers.entry_count()
            }
            None => 0,
        }
    }

    /// The cached answer for `key`, or `fetch`'s. Concurrent callers with
    /// the same key share one `fetch`; failures are not cached.
    pub async fn get_or_fetch<F>(
        &self,
        key: SearchKey,
        fetch: F,
    ) -> Result<Arc<ProviderAnswer>, Arc<ProviderError>>
    where
        F: Future<Output = Result<ProviderAnswer, ProviderError>>,
    {
        self.get_or_fetch_traced(key, fetch).await.0
    }

    /// As [`Self::get_or_fetch`], saying where the answer came from.
    pub async fn get_or_fetch_traced<F>(
        &self,
        key: SearchKey,
        fetch: F,
    ) -> (
        Result<Arc<ProviderAnswer>, Arc<ProviderError>>,
        crate::metrics::CacheOutcome,
    )
    where
        F: Future<Output = Result<ProviderAnswer, ProviderError>>,
    {
        use crate::metrics::CacheOutcome;
        let Some(answers) = &self.answers else {
            return (
                fetch.await.map(Arc::new).map_err(Arc::new),
                CacheOutcome::miss,
            );
        };
        if let Some(answer) = answers.get(&key).await {
            return (Ok(answer), CacheOutcome::hit);
        }
        // Set when this caller's fetch is the one that runs; otherwise it
        // joined another caller's (or one that just finished).
        let fetched = std::sync::atomic::AtomicBool::new(false);
        let answer = answers
            .try_get_with(key, async {
                fetched.store(true, std::sync::atomic::Ordering::Relaxed);
                fetch.await.map(Arc::new)
            })
            .await;
        let outcome = if fetched.load(std::sync::atomic::Ordering::Relaxed) {
            CacheOutcome::miss
        } else {
            CacheOutcome::joined
        };
        (answer, outcome)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ProviderId;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn key(date_day: u32) -> SearchKey {
        SearchKey {
            provider: ProviderId::Panhe,
            from: "VNP".into(),
            to: "AOH".into(),
            date: NaiveDate::from_ymd_opt(2026, 12, date_day).unwrap(),
        }
    }

    async fn fetch(calls: &AtomicUsize) -> Result<ProviderAnswer, ProviderError> {
        calls.fetch_add(1, Ordering::SeqCst);
        // Yield so concurrent callers really overlap with this fetch.
        tokio::task::yield_now().await;
        Ok(ProviderAnswer {
            trains: Vec::new(),
            skipped: Vec::new(),
            fetched_at: Instant::now(),
        })
    }

    #[tokio::test]
    async fn identical_concurrent_searches_fetch_once() {
        let cache = SearchCache::new(Duration::from_secs(30));
        let calls = AtomicUsize::new(0);
        let searches = (0..20).map(|_| cache.get_or_fetch(key(2), fetch(&calls)));
        for answer in futures_util::future::join_all(searches).await {
            answer.unwrap();
        }
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        // A later identical search is answered from the cache.
        cache.get_or_fetch(key(2), fetch(&calls)).await.unwrap();
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        // Another date is another entry.
        cache.get_or_fetch(key(3), fetch(&calls)).await.unwrap();
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn failures_are_not_cached() {
        let cache = SearchCache::new(Duration::from_secs(30));
        let failing = async {
            Err(ProviderError::Timeout {
                provider: ProviderId::Panhe,
                timeout: Duration::from_secs(1),
            })
        };
        assert!(cache.get_or_fetch(key(2), failing).await.is_err());
        let calls = AtomicUsize::new(0);
        cache.get_or_fetch(key(2), fetch(&calls)).await.unwrap();
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn zero_ttl_always_fetches() {
        let cache = SearchCache::new(Duration::ZERO);
        let calls = AtomicUsize::new(0);
        cache.get_or_fetch(key(2), fetch(&calls)).await.unwrap();
        cache.get_or_fetch(key(2), fetch(&calls)).await.unwrap();
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }
}
