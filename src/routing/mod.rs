//! Routing: which provider serves a call. Search fans out to every provider
//! that can search and tolerates the failure of some; calls about a known
//! offer go to the provider that made it.
//!
//! Providers are an enum rather than trait objects: the set is closed and
//! known at compile time, dispatch is a `match`, and adding a provider is
//! one variant plus its adapter folder.

use crate::domain::{ProviderId, Stop, TrainOption};
use crate::providers::panhe::PanheAdapter;
use crate::providers::{ProviderError, SearchQuery, StopsQuery};
use futures_util::future::join_all;
use std::time::{Duration, Instant};

/// One configured provider adapter.
#[derive(Debug, Clone)]
pub enum Adapter {
    /// Panhe.
    Panhe(PanheAdapter),
}

impl Adapter {
    /// Which provider this is.
    pub fn id(&self) -> ProviderId {
        match self {
            Adapter::Panhe(_) => ProviderId::Panhe,
        }
    }

    async fn search(&self, query: &SearchQuery) -> Result<ProviderTrains, ProviderError> {
        match self {
            Adapter::Panhe(panhe) => {
                let answer = panhe.search(query).await?;
                if !answer.skipped.is_empty() {
                    tracing::warn!(provider = "panhe", skipped = ?answer.skipped, "search answer had unmappable values");
                }
                Ok(ProviderTrains {
                    trains: answer.trains,
                    skipped: answer.skipped,
                })
            }
        }
    }

    async fn stops(&self, query: &StopsQuery) -> Result<Vec<Stop>, ProviderError> {
        match self {
            Adapter::Panhe(panhe) => panhe.stops(query).await,
        }
    }
}

struct ProviderTrains {
    trains: Vec<TrainOption>,
    skipped: Vec<String>,
}

/// How one provider took part in a search.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProviderOutcome {
    /// Answered; `note` lists values left out because they could not be mapped.
    Answered {
        /// Empty, or what was left out.
        note: String,
    },
    /// Answered with an error.
    Failed {
        /// The error, for the caller.
        message: String,
    },
    /// Did not answer in time.
    TimedOut,
}

/// One provider's part in a search.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderReport {
    /// The provider.
    pub provider: ProviderId,
    /// How it went.
    pub outcome: ProviderOutcome,
    /// How old the answer is (zero while there is no cache).
    pub age: Duration,
    /// How long the provider took.
    pub elapsed: Duration,
}

/// A merged search result.
#[derive(Debug)]
pub struct SearchResult {
    /// Trains ordered by departure.
    pub trains: Vec<TrainOption>,
    /// One report per provider asked.
    pub reports: Vec<ProviderReport>,
}

/// Why routing could not serve a call.
#[derive(Debug, thiserror::Error)]
pub enum RoutingError {
    /// No configured provider has the capability.
    #[error("no configured provider supports {capability}")]
    NoProvider {
        /// The missing capability.
        capability: &'static str,
    },
    /// Every provider asked failed; this is the first failure.
    #[error(transparent)]
    Provider(#[from] ProviderError),
    /// Every provider asked timed out.
    #[error("no provider answered within {0:?}")]
    AllTimedOut(Duration),
}

/// Chooses providers for each call.
#[derive(Debug, Clone)]
pub struct Router {
    adapters: Vec<Adapter>,
    search_timeout: Duration,
}

impl Router {
    /// A router over `adapters` (in preference order).
    pub fn new(adapters: Vec<Adapter>, search_timeout: Duration) -> Self {
        Self {
            adapters,
            search_timeout,
        }
    }

    /// The configured providers.
    pub fn providers(&self) -> impl Iterator<Item = ProviderId> + '_ {
        self.adapters.iter().map(Adapter::id)
    }

    fn adapter(&self, provider: ProviderId) -> Option<&Adapter> {
        self.adapters
            .iter()
            .find(|adapter| adapter.id() == provider)
    }

    /// Searches every provider in `only` (all when empty) concurrently, each
    /// under the search timeout. Fails only when no provider answered.
    pub async fn search(
        &self,
        query: &SearchQuery,
        only: &[ProviderId],
    ) -> Result<SearchResult, RoutingError> {
        let selected: Vec<&Adapter> = self
            .adapters
            .iter()
            .filter(|adapter| only.is_empty() || only.contains(&adapter.id()))
            .collect();
        if selected.is_empty() {
            return Err(RoutingError::NoProvider {
                capability: "search",
            });
        }
        let timeout = self.search_timeout;
        let answers = join_all(selected.iter().map(|adapter| async move {
            let started = Instant::now();
            let answer = tokio::time::timeout(timeout, adapter.search(query)).await;
            (adapter.id(), answer, started.elapsed())
        }))
        .await;

        let mut trains = Vec::new();
        let mut reports = Vec::new();
        let mut first_error = None;
        for (provider, answer, elapsed) in answers {
            let outcome = match answer {
                Ok(Ok(answer)) => {
                    trains.extend(answer.trains);
                    ProviderOutcome::Answered {
                        note: summarize_skipped(&answer.skipped),
                    }
                }
                Ok(Err(error)) => {
                    tracing::warn!(%provider, error = %error, "search failed");
                    let message = error.to_string();
                    first_error.get_or_insert(error);
                    ProviderOutcome::Failed { message }
                }
                Err(_elapsed) => {
                    tracing::warn!(%provider, timeout_ms = timeout.as_millis() as u64, "search timed out");
                    ProviderOutcome::TimedOut
                }
            };
            reports.push(ProviderReport {
                provider,
                outcome,
                age: Duration::ZERO,
                elapsed,
            });
        }
        let answered = reports
            .iter()
            .any(|report| matches!(report.outcome, ProviderOutcome::Answered { .. }));
        if !answered {
            return Err(match first_error {
                Some(error) => RoutingError::Provider(error),
                None => RoutingError::AllTimedOut(timeout),
            });
        }
        trains.sort_by(|a, b| {
            a.departure
                .cmp(&b.departure)
                .then_with(|| a.train_code.cmp(&b.train_code))
        });
        Ok(SearchResult { trains, reports })
    }

    /// A train's stops from `provider`.
    pub async fn stops(
        &self,
        provider: ProviderId,
        query: &StopsQuery,
    ) -> Result<Vec<Stop>, RoutingError> {
        let adapter = self.adapter(provider).ok_or(RoutingError::NoProvider {
            capability: "stop stations",
        })?;
        Ok(adapter.stops(query).await?)
    }
}

fn summarize_skipped(skipped: &[String]) -> String {
    match skipped.len() {
        0 => String::new(),
        count => format!(
            "left out {count} unmappable value(s): {}",
            skipped.join("; ")
        ),
    }
}
