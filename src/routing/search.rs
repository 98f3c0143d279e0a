//! Search across providers: ask every selected provider at once (through
//! the cache), each under the per-provider timeout, and merge what came
//! back. One slow or failing provider costs its own part, not the answer.

use super::cache::{ProviderAnswer, SearchKey};
use super::merge::merge_trains;
use super::{Adapter, ProviderOutcome, ProviderReport, Router, RoutingError, SearchResult};
use crate::providers::SearchQuery;
use futures_util::future::join_all;
use std::time::{Duration, Instant};

impl Router {
    /// Searches every provider in `only` (all when empty) concurrently, each
    /// under the search timeout. Fails only when no provider answered.
    pub async fn search(
        &self,
        query: &SearchQuery,
        only: &[crate::domain::ProviderId],
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
        let asked_at = Instant::now();
        let answers = join_all(selected.iter().map(|adapter| async move {
            let started = Instant::now();
            let answer = tokio::time::timeout(timeout, self.ask(adapter, query)).await;
            (adapter.id(), answer, started.elapsed())
        }))
        .await;

        let mut answered = Vec::new();
        let mut reports = Vec::new();
        let mut first_error = None;
        for (provider, answer, elapsed) in answers {
            let (outcome, age) = match answer {
                Ok(Ok(answer)) => {
                    let outcome = ProviderOutcome::Answered {
                        note: summarize_skipped(&answer.skipped),
                    };
                    // Age when this search asked: zero for an answer
                    // fetched for it (or for an identical one in flight).
                    let age = asked_at.saturating_duration_since(answer.fetched_at);
                    answered.push(answer);
                    (outcome, age)
                }
                Ok(Err(error)) => {
                    tracing::warn!(%provider, error = %error, "search failed");
                    let message = error.to_string();
                    first_error.get_or_insert(error);
                    (ProviderOutcome::Failed { message }, Duration::ZERO)
                }
                Err(_elapsed) => {
                    tracing::warn!(%provider, timeout_ms = timeout.as_millis() as u64, "search timed out");
                    (ProviderOutcome::TimedOut, Duration::ZERO)
                }
            };
            reports.push(ProviderReport {
                provider,
                outcome,
                age,
                elapsed,
            });
        }
        if answered.is_empty() {
            return Err(match first_error {
                Some(error) => RoutingError::Provider(error),
                None => RoutingError::AllTimedOut(timeout),
            });
        }
        let trains = merge_trains(answered.iter().map(|answer| answer.trains.as_slice()));
        Ok(SearchResult { trains, reports })
    }

    /// One provider's answer: from the cache, from a search already in
    /// flight, or fetched now.
    async fn ask(
        &self,
        adapter: &Adapter,
        query: &SearchQuery,
    ) -> Result<std::sync::Arc<ProviderAnswer>, std::sync::Arc<crate::providers::ProviderError>>
    {
        let key = SearchKey {
            provider: adapter.id(),
            from: query.from.telecode.clone(),
            to: query.to.telecode.clone(),
            date: query.date,
        };
        let (answer, outcome) = self
            .cache
            .get_or_fetch_traced(key, async {
                let (mut trains, skipped) = adapter.search(query).await?;
                // Sealed once per fetch, not per cache hit.
                for train in &mut trains {
                    for seat in &mut train.seats {
                        seat.offer_id = self.offer_seal.seal(&seat.offer_id);
                    }
                }
                if !skipped.is_empty() {
                    tracing::warn!(provider = %adapter.id(), ?skipped, "search answer had unmappable values");
                }
                Ok(ProviderAnswer {
                    trains: trains.into_iter().map(std::sync::Arc::new).collect(),
                    skipped,
                    fetched_at: Instant::now(),
                })
            })
            .await;
        self.metrics.search_answer(adapter.id().as_str(), outcome);
        answer
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
