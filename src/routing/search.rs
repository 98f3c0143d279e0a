//! Search across providers and stations: ask every selected provider for
//! every station pair it needs at once (through the cache, a bounded number
//! in flight), each call under the per-provider timeout, and merge what
//! came back. One slow or failing provider or pair costs its own part, not
//! the answer.
//!
//! A search names one station or a city's stations at each end
//! ([`JourneyQuery`]). Most providers answer for exactly the two stations
//! they are given, so they are asked once per pair (北京 → 上海 is 9 × 5
//! pairs, each cached on its own). A provider configured as merging a
//! city (`search.city_merging_providers`) is asked once, for the stations
//! the caller named, and only its trains that use searched stations are
//! kept.

use super::cache::{ProviderAnswer, SearchKey};
use super::merge::merge_trains;
use super::{Adapter, ProviderOutcome, ProviderReport, Router, RoutingError, SearchResult};
use crate::domain::{ProviderId, TrainOption};
use crate::providers::{ProviderError, SearchQuery};
use crate::stations::Station;
use chrono::NaiveDate;
use futures_util::StreamExt;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The stations and date a search covers.
#[derive(Debug, Clone)]
pub struct JourneyQuery {
    /// Departure stations; the first is the one the caller named.
    pub from: Vec<Station>,
    /// Arrival stations; the first is the one the caller named.
    pub to: Vec<Station>,
    /// Travel date at the departure station.
    pub date: NaiveDate,
}

impl JourneyQuery {
    /// Exactly one station each end.
    pub fn single(query: &SearchQuery) -> Self {
        Self {
            from: vec![query.from.clone()],
            to: vec![query.to.clone()],
            date: query.date,
        }
    }

    /// Every (departure, arrival) pair of different stations.
    pub fn pairs(&self) -> impl Iterator<Item = SearchQuery> + '_ {
        self.from.iter().flat_map(move |from| {
            self.to
                .iter()
                .filter(move |to| to.telecode != from.telecode)
                .map(move |to| SearchQuery {
                    from: from.clone(),
                    to: to.clone(),
                    date: self.date,
                })
        })
    }

    /// Whether `train` boards and alights at searched stations.
    fn covers(&self, train: &TrainOption) -> bool {
        let named = |stations: &[Station], name: &str| stations.iter().any(|s| s.name == name);
        named(&self.from, &train.from_station.name) && named(&self.to, &train.to_station.name)
    }
}

/// One provider call of a search.
struct PairCall<'a> {
    adapter: &'a Adapter,
    query: SearchQuery,
    /// The provider merges a city: keep only trains the journey covers.
    filter: bool,
}

/// What one call came back with.
type CallAnswer =
    Result<Result<Arc<ProviderAnswer>, Arc<ProviderError>>, tokio::time::error::Elapsed>;

/// What a search's provider calls brought back, before the merge.
#[derive(Debug)]
pub struct GatheredSearch {
    /// One report per provider asked.
    pub reports: Vec<ProviderReport>,
    /// The answers that came back, in call order.
    sources: Vec<Source>,
    /// Whether every call answered (none failed or timed out).
    complete: bool,
}

/// One answer a search uses.
#[derive(Debug)]
struct Source {
    answer: Arc<ProviderAnswer>,
    /// From a provider that merges a city: keep only trains the journey
    /// covers.
    filter: bool,
}

impl GatheredSearch {
    /// Whether every call answered: a result built from some of the
    /// answers is not the one the full set would give.
    pub fn is_complete(&self) -> bool {
        self.complete
    }

    /// Whether `other` was built from the very same answers (the same
    /// cached `Arc`s, in the same order): then its merge is this one's.
    pub fn same_answers(&self, other: &[Arc<ProviderAnswer>]) -> bool {
        self.sources.len() == other.len()
            && self
                .sources
                .iter()
                .zip(other)
                .all(|(source, answer)| Arc::ptr_eq(&source.answer, answer))
    }

    /// The answers, in call order (kept alive by whoever holds them, so a
    /// later [`Self::same_answers`] cannot be fooled by a reused address).
    pub fn answers(&self) -> Vec<Arc<ProviderAnswer>> {
        self.sources
            .iter()
            .map(|source| Arc::clone(&source.answer))
            .collect()
    }

    /// The trains of `journey`'s answers, merged and ordered by departure.
    pub fn merge(&self, journey: &JourneyQuery) -> Vec<Arc<TrainOption>> {
        let kept: Vec<Vec<Arc<TrainOption>>> = self
            .sources
            .iter()
            .map(|source| {
                if source.filter {
                    source
                        .answer
                        .trains
                        .iter()
                        .filter(|train| journey.covers(train))
                        .cloned()
                        .collect()
                } else {
                    source.answer.trains.clone()
                }
            })
            .collect();
        merge_trains(kept.iter().map(Vec::as_slice))
    }
}

impl Router {
    /// Searches every provider in `only` (all when empty) for one pair of
    /// stations. Fails only when no provider answered.
    pub async fn search(
        &self,
        query: &SearchQuery,
        only: &[ProviderId],
    ) -> Result<SearchResult, RoutingError> {
        self.search_journey(&JourneyQuery::single(query), only)
            .await
    }

    /// Searches every provider in `only` (all when empty) for every station
    /// pair of `journey` it needs, at most `pair_concurrency` calls in
    /// flight. Fails only when no provider answered any pair.
    pub async fn search_journey(
        &self,
        journey: &JourneyQuery,
        only: &[ProviderId],
    ) -> Result<SearchResult, RoutingError> {
        let gathered = self.gather_journey(journey, only).await?;
        Ok(SearchResult {
            trains: gathered.merge(journey),
            reports: gathered.reports,
        })
    }

    /// As [`Self::search_journey`], stopping before the merge: the caller
    /// sees which answers the result would be built from (an answer still
    /// cached is the same `Arc`), and merges only when it needs the trains.
    pub async fn gather_journey(
        &self,
        journey: &JourneyQuery,
        only: &[ProviderId],
    ) -> Result<GatheredSearch, RoutingError> {
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
        let calls = self.plan(journey, &selected);
        let timeout = self.search_timeout;
        let asked_at = Instant::now();
        // Futures built up front rather than in a stream closure: a
        // closure over borrowed calls makes the handler's future not Send
        // (the compiler cannot prove it for every lifetime).
        let mut pending = Vec::with_capacity(calls.len());
        for (index, call) in calls.iter().enumerate() {
            pending.push(async move {
                let started = Instant::now();
                let answer =
                    tokio::time::timeout(timeout, self.ask(call.adapter, &call.query)).await;
                (index, answer, started.elapsed())
            });
        }
        let mut answers: Vec<(usize, CallAnswer, Duration)> = futures_util::stream::iter(pending)
            .buffer_unordered(self.pair_concurrency.max(1))
            .collect()
            .await;
        // Back in call order: providers in preference order, so the
        // preferred provider's train-level facts win the merge.
        answers.sort_by_key(|(index, _, _)| *index);

        let mut sources = Vec::with_capacity(answers.len());
        let mut tallies: Vec<ProviderTally> = selected
            .iter()
            .map(|adapter| ProviderTally::new(adapter.id()))
            .collect();
        let mut first_error = None;
        let mut complete = true;
        for (index, answer, elapsed) in answers {
            let call = &calls[index];
            let provider = call.adapter.id();
            let Some(tally) = tallies.iter_mut().find(|t| t.provider == provider) else {
                continue;
            };
            tally.elapsed = tally.elapsed.max(elapsed);
            match answer {
                Ok(Ok(answer)) => {
                    // Age when this search asked: zero for an answer
                    // fetched for it (or for an identical one in flight).
                    let age = asked_at.saturating_duration_since(answer.fetched_at);
                    tally.answered(age, &answer.skipped);
                    sources.push(Source {
                        answer,
                        filter: call.filter,
                    });
                }
                Ok(Err(error)) => {
                    tracing::warn!(%provider, error = %error, "search failed");
                    tally.failed(error.to_string());
                    first_error.get_or_insert(error);
                    complete = false;
                }
                Err(_elapsed) => {
                    tracing::warn!(%provider, timeout_ms = timeout.as_millis() as u64, "search timed out");
                    tally.timed_out += 1;
                    complete = false;
                }
            }
        }
        let reports: Vec<ProviderReport> = tallies.into_iter().map(ProviderTally::report).collect();
        if sources.is_empty() {
            return Err(match first_error {
                Some(error) => RoutingError::Provider(error),
                None => RoutingError::AllTimedOut(timeout),
            });
        }
        Ok(GatheredSearch {
            reports,
            sources,
            complete,
        })
    }

    /// The calls a search makes: per provider, one per station pair, or
    /// one for the named stations when the provider merges a city.
    fn plan<'a>(&self, journey: &JourneyQuery, selected: &[&'a Adapter]) -> Vec<PairCall<'a>> {
        let mut calls = Vec::new();
        for adapter in selected {
            let merges_city = self.city_merging.contains(&adapter.id());
            if merges_city {
                let named = SearchQuery {
                    from: journey.from[0].clone(),
                    to: journey.to[0].clone(),
                    date: journey.date,
                };
                calls.push(PairCall {
                    adapter,
                    query: named,
                    filter: true,
                });
            } else {
                calls.extend(journey.pairs().map(|query| PairCall {
                    adapter,
                    query,
                    filter: false,
                }));
            }
        }
        calls
    }

    /// One provider's answer: from the cache, from a search already in
    /// flight, or fetched now.
    async fn ask(
        &self,
        adapter: &Adapter,
        query: &SearchQuery,
    ) -> Result<Arc<ProviderAnswer>, Arc<ProviderError>> {
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
                    trains: trains.into_iter().map(Arc::new).collect(),
                    skipped,
                    fetched_at: Instant::now(),
                })
            })
            .await;
        self.metrics.search_answer(adapter.id().as_str(), outcome);
        answer
    }
}

/// How one provider's calls of a search went, summed into its report.
struct ProviderTally {
    provider: ProviderId,
    answered: usize,
    failures: Vec<String>,
    timed_out: usize,
    skipped: Vec<String>,
    age: Duration,
    elapsed: Duration,
}

impl ProviderTally {
    fn new(provider: ProviderId) -> Self {
        Self {
            provider,
            answered: 0,
            failures: Vec::new(),
            timed_out: 0,
            skipped: Vec::new(),
            age: Duration::ZERO,
            elapsed: Duration::ZERO,
        }
    }

    fn answered(&mut self, age: Duration, skipped: &[String]) {
        self.answered += 1;
        // The oldest part of the answer is its age.
        self.age = self.age.max(age);
        self.skipped.extend_from_slice(skipped);
    }

    fn failed(&mut self, message: String) {
        self.failures.push(message);
    }

    /// Answered if any call answered (saying what the others did); else
    /// failed with the first failure; else timed out.
    fn report(self) -> ProviderReport {
        let calls = self.answered + self.failures.len() + self.timed_out;
        let outcome = if self.answered > 0 {
            let mut notes = Vec::new();
            if !self.skipped.is_empty() {
                notes.push(summarize_skipped(&self.skipped));
            }
            if let Some(first) = self.failures.first() {
                notes.push(format!(
                    "{} of {calls} station pairs failed, the first with: {first}",
                    self.failures.len()
                ));
            }
            if self.timed_out > 0 {
                notes.push(format!(
                    "{} of {calls} station pairs did not answer in time",
                    self.timed_out
                ));
            }
            ProviderOutcome::Answered {
                note: notes.join("; "),
            }
        } else if let Some(message) = self.failures.into_iter().next() {
            ProviderOutcome::Failed { message }
        } else {
            ProviderOutcome::TimedOut
        };
        ProviderReport {
            provider: self.provider,
            outcome,
            age: if self.answered > 0 {
                self.age
            } else {
                Duration::ZERO
            },
            elapsed: self.elapsed,
        }
    }
}

fn summarize_skipped(skipped: &[String]) -> String {
    format!(
        "left out {} unmappable value(s): {}",
        skipped.len(),
        skipped.join("; ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn station(name: &str) -> Station {
        crate::stations::StationDirectory::embedded()
            .by_name(name)
            .unwrap()
            .clone()
    }

    #[test]
    fn pairs_cover_every_different_station_pair() {
        let journey = JourneyQuery {
            from: vec![station("北京"), station("北京南")],
            to: vec![station("上海"), station("北京南")],
            date: NaiveDate::from_ymd_opt(2026, 12, 6).unwrap(),
        };
        let pairs: Vec<(String, String)> =
            journey.pairs().map(|q| (q.from.name, q.to.name)).collect();
        // 北京南 → 北京南 is no journey.
        assert_eq!(
            pairs,
            [
                ("北京".to_owned(), "上海".to_owned()),
                ("北京".to_owned(), "北京南".to_owned()),
                ("北京南".to_owned(), "上海".to_owned()),
            ]
        );
    }

    #[test]
    fn a_provider_report_sums_its_pairs() {
        let mut tally = ProviderTally::new(ProviderId::Panhe);
        tally.answered(Duration::from_millis(5), &[]);
        tally.answered(Duration::from_millis(9), &["seat 77".to_owned()]);
        tally.failed("no such station".into());
        tally.timed_out = 1;
        let report = tally.report();
        assert_eq!(report.age, Duration::from_millis(9));
        let ProviderOutcome::Answered { note } = report.outcome else {
            panic!("{:?}", report.outcome);
        };
        assert_eq!(
            note,
            "left out 1 unmappable value(s): seat 77; \
             1 of 4 station pairs failed, the first with: no such station; \
             1 of 4 station pairs did not answer in time"
        );

        let mut failed = ProviderTally::new(ProviderId::Juhe);
        failed.failed("down".into());
        failed.timed_out = 2;
        assert_eq!(
            failed.report().outcome,
            ProviderOutcome::Failed {
                message: "down".into()
            }
        );
        let mut slow = ProviderTally::new(ProviderId::Juhe);
        slow.timed_out = 1;
        assert_eq!(slow.report().outcome, ProviderOutcome::TimedOut);
    }
}
