//! Routing: which provider serves a call. Search fans out to every provider
//! that can search and tolerates the failure of some; calls about a known
//! offer go to the provider that made it.
//!
//! - [`search`]: the fan-out, with the [`cache`] and the [`merge`] of
//!   answers that name the same train.
//!
//! Providers are an enum rather than trait objects: the set is closed and
//! known at compile time, dispatch is a `match`, and adding a provider is
//! one variant plus its adapter folder.

pub mod cache;
pub mod capabilities;
pub mod merge;
mod search;
pub mod through_stops;

pub use search::{GatheredSearch, JourneyQuery};
pub use through_stops::ThroughStopOffer;

use crate::config::RoutingConfig;
use crate::domain::{ProviderId, Stop, TrainOption};
use crate::providers::juhe::JuheAdapter;
use crate::providers::panhe::PanheAdapter;
use crate::providers::{ProviderError, SearchQuery, StopsQuery};
use cache::SearchCache;
use capabilities::{Capability, supports};
use std::sync::Arc;
use std::time::Duration;

/// One configured provider adapter.
#[derive(Debug, Clone)]
// One adapter per provider for the life of the process: the size of the
// largest variant costs nothing worth a Box on every call.
#[allow(clippy::large_enum_variant)]
pub enum Adapter {
    /// Panhe.
    Panhe(PanheAdapter),
    /// Juhe.
    Juhe(JuheAdapter),
}

impl Adapter {
    /// Which provider this is.
    pub fn id(&self) -> ProviderId {
        match self {
            Adapter::Panhe(_) => ProviderId::Panhe,
            Adapter::Juhe(_) => ProviderId::Juhe,
        }
    }

    async fn search(
        &self,
        query: &SearchQuery,
    ) -> Result<(Vec<TrainOption>, Vec<String>), ProviderError> {
        match self {
            Adapter::Panhe(panhe) => {
                let answer = panhe.search(query).await?;
                Ok((answer.trains, answer.skipped))
            }
            Adapter::Juhe(juhe) => {
                let answer = juhe.search(query).await?;
                Ok((answer.trains, answer.skipped))
            }
        }
    }

    async fn stops(&self, query: &StopsQuery) -> Result<Vec<Stop>, RoutingError> {
        match self {
            Adapter::Panhe(panhe) => Ok(panhe.stops(query).await?),
            Adapter::Juhe(_) => Err(RoutingError::Unsupported {
                provider: ProviderId::Juhe,
                capability: Capability::Stops,
            }),
        }
    }
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
    /// How old the answer is (zero when fetched for this search).
    pub age: Duration,
    /// How long the provider took.
    pub elapsed: Duration,
}

/// A merged search result.
#[derive(Debug)]
pub struct SearchResult {
    /// Trains ordered by departure (shared with the search cache).
    pub trains: Vec<Arc<TrainOption>>,
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
    /// Every provider asked failed; this is the first failure (shared:
    /// searches that coalesced on one provider call share its error).
    #[error(transparent)]
    Provider(Arc<ProviderError>),
    /// The request named a provider that is not configured.
    #[error("provider {provider} is not configured")]
    NotConfigured {
        /// The provider asked for.
        provider: ProviderId,
    },
    /// The chosen provider cannot do what was asked.
    #[error("{provider} does not support {capability}")]
    Unsupported {
        /// The provider.
        provider: ProviderId,
        /// What it cannot do.
        capability: Capability,
    },
    /// Every provider asked timed out.
    #[error("no provider answered within {0:?}")]
    AllTimedOut(Duration),
}

impl From<ProviderError> for RoutingError {
    fn from(error: ProviderError) -> Self {
        RoutingError::Provider(Arc::new(error))
    }
}

/// How searches are run.
#[derive(Debug, Clone)]
pub struct SearchSettings {
    /// How long a search waits for each provider.
    pub provider_timeout: Duration,
    /// How long a provider's answer is reused (zero: not cached).
    pub cache_ttl: Duration,
    /// Seals the offer ids of every answer before it is cached.
    pub offer_seal: crate::domain::OfferSeal,
    /// Where cache hits, misses and joins are counted.
    pub metrics: crate::metrics::Metrics,
    /// Providers whose search answers for a whole city: asked once per
    /// search, not once per station pair.
    pub city_merging: Vec<ProviderId>,
    /// Station-pair calls of one search in flight at once.
    pub pair_concurrency: usize,
    /// Most extra provider calls one Search spends on through-stop offers.
    pub through_stops_max_calls: u32,
}

/// Chooses providers for each call.
#[derive(Debug, Clone)]
pub struct Router {
    /// In preference order.
    adapters: Vec<Adapter>,
    routing: RoutingConfig,
    search_timeout: Duration,
    cache: SearchCache,
    offer_seal: crate::domain::OfferSeal,
    metrics: crate::metrics::Metrics,
    city_merging: Vec<ProviderId>,
    pair_concurrency: usize,
    through_stops_max_calls: u32,
}

impl Router {
    /// A router over the configured `adapters`, ordered by
    /// `routing.preference` (providers it does not name come last).
    pub fn new(mut adapters: Vec<Adapter>, routing: RoutingConfig, search: SearchSettings) -> Self {
        adapters.sort_by_key(|adapter| {
            routing
                .preference
                .iter()
                .position(|provider| *provider == adapter.id())
                .unwrap_or(usize::MAX)
        });
        Self {
            adapters,
            routing,
            search_timeout: search.provider_timeout,
            cache: SearchCache::new(search.cache_ttl),
            offer_seal: search.offer_seal,
            metrics: search.metrics,
            city_merging: search.city_merging,
            pair_concurrency: search.pair_concurrency,
            through_stops_max_calls: search.through_stops_max_calls,
        }
    }

    /// Opens the offer ids this router's searches sealed.
    pub fn offer_seal(&self) -> &crate::domain::OfferSeal {
        &self.offer_seal
    }

    /// The provider to serve `capability`: the one the request names,
    /// else the one configured for it, else the first in preference order
    /// that supports it.
    pub fn select(
        &self,
        capability: Capability,
        requested: Option<ProviderId>,
    ) -> Result<ProviderId, RoutingError> {
        if let Some(provider) = requested.or(self.routing.pinned(capability)) {
            if self.adapter(provider).is_none() {
                return Err(RoutingError::NotConfigured { provider });
            }
            if !supports(provider, capability) {
                return Err(RoutingError::Unsupported {
                    provider,
                    capability,
                });
            }
            return Ok(provider);
        }
        self.providers()
            .find(|provider| supports(*provider, capability))
            .ok_or(RoutingError::NoProvider {
                capability: capability.as_str(),
            })
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

    /// A train's stops, from `provider` when it has stop lists (a train's
    /// stops do not depend on who sells it), else from the provider
    /// routing picks.
    pub async fn stops(
        &self,
        provider: ProviderId,
        query: &StopsQuery,
    ) -> Result<Vec<Stop>, RoutingError> {
        let provider = if supports(provider, Capability::Stops) && self.adapter(provider).is_some()
        {
            provider
        } else {
            self.select(Capability::Stops, None)?
        };
        let adapter = self
            .adapter(provider)
            .ok_or(RoutingError::NotConfigured { provider })?;
        adapter.stops(query).await
    }
}

#[cfg(test)]
mod tests;
