//! The tower stack every provider call passes through, built in one place.
//!
//! From the outside in:
//!
//! 1. **buffer** — makes the stack cloneable while every clone shares the
//!    limits below (they are per provider, not per caller);
//! 2. **concurrency limit** — at most `max_concurrency` calls in flight;
//! 3. **rate limit** — at most `requests_per_second` calls start per second,
//!    the provider's quota;
//! 4. **timeout** — innermost on purpose: it bounds the HTTP exchange only,
//!    so a timeout always means "sent, no answer" (the outcome is unknown),
//!    never "still queued here".
//!
//! Each provider's quota is split into two lanes with a stack each: the
//! **search** lane (Search, stop lists, station lists: what callers can
//! flood) and the **order** lane (every mutating call and order detail).
//! A flood of searches queues in its own lane and never delays a Book, a
//! payment or the reconciler; the two lanes together never exceed the
//! provider's quota. The split is a fixed share rather than a priority
//! queue so that it needs no hand-written scheduler and its effect is
//! exact: the order lane always has its reserve.
//!
//! Around both lanes, per provider:
//!
//! - a **circuit breaker** ([`breaker`]): after 5 consecutive failures (no
//!   connection, no answer in time, HTTP 5xx) every call is refused at
//!   once for 30 s, then one probe decides; nothing is sent meanwhile;
//! - a **retry budget** for idempotent reads only ([`ProviderStack::send_read`]:
//!   searches, stop lists, order detail): a failed read is sent again at
//!   most `max_retries` times, and retries stay within 20% of reads (at
//!   least 10 per second), Linkerd's budget, so a struggling provider is
//!   not buried under retries. A mutating call is never retried here: its
//!   outcome is unknown, and the reconciler asks instead.

pub mod breaker;

use crate::domain::ProviderId;
use crate::metrics::ProviderOutcome;
use crate::providers::ProviderError;
use breaker::{Admission, Breaker, BreakerSettings};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tower::retry::budget::{Budget, TpsBudget};
use tower::util::BoxCloneSyncService;
use tower::{BoxError, Service, ServiceBuilder, ServiceExt};
use tracing::Instrument;

/// How long a deposit counts in the retry budget (Linkerd's `ttl`).
const RETRY_BUDGET_WINDOW: Duration = Duration::from_secs(10);

/// Calls queued in the buffer before callers wait for room.
const BUFFER_CAPACITY: usize = 1024;

/// The share of a provider's quota searches get when not configured.
pub const DEFAULT_SEARCH_SHARE_PERCENT: u8 = 70;

/// One provider's limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProviderLimits {
    /// Time limit of one HTTP exchange.
    pub timeout: Duration,
    /// Calls in flight at once, both lanes together.
    pub max_concurrency: usize,
    /// Calls started per second (the provider's quota), both lanes together.
    pub requests_per_second: u64,
    /// The percentage of both limits the search lane gets; the order lane
    /// gets the rest. Each lane gets at least one call.
    pub search_share_percent: u8,
}

impl ProviderLimits {
    /// `(max_concurrency, requests_per_second)` of `lane`.
    pub fn of(&self, lane: Lane) -> (usize, u64) {
        let share = u64::from(self.search_share_percent.min(100));
        let split = |total: u64| {
            // total × share / 100 without overflowing for any configured
            // total (the config_toml fuzz target's finding).
            let search = (total / 100 * share + total % 100 * share / 100).max(1);
            let orders = total.saturating_sub(search).max(1);
            match lane {
                Lane::Search => search,
                Lane::Orders => orders,
            }
        };
        let concurrency = split(self.max_concurrency as u64);
        (
            usize::try_from(concurrency).unwrap_or(usize::MAX),
            split(self.requests_per_second),
        )
    }
}

/// Retries of idempotent reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetrySettings {
    /// Retries allowed as a percentage of reads (over 10 s).
    pub budget_percent: u8,
    /// Retries allowed per second whatever the traffic.
    pub min_per_second: u32,
    /// Retries of one read at most (0 turns retries off).
    pub max_retries: u32,
}

impl Default for RetrySettings {
    /// Linkerd's budget (20%, at least 10/s), two retries per read.
    fn default() -> Self {
        Self {
            budget_percent: 20,
            min_per_second: 10,
            max_retries: 2,
        }
    }
}

/// A provider's circuit breaker and retry settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Resilience {
    /// When the breaker opens and for how long.
    pub breaker: BreakerSettings,
    /// How idempotent reads are retried.
    pub retries: RetrySettings,
}

/// Which share of a provider's quota a call uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lane {
    /// Reads callers ask for at will: searches, stop and station lists.
    Search,
    /// Bookings, payments, cancellations, refunds, changes and order detail.
    Orders,
}

impl Lane {
    /// `search` or `orders`.
    pub fn as_str(self) -> &'static str {
        match self {
            Lane::Search => "search",
            Lane::Orders => "orders",
        }
    }
}

type Lanes = BoxCloneSyncService<reqwest::Request, reqwest::Response, BoxError>;

/// A provider's HTTP stack: send a request, get a response or a
/// [`ProviderError`] that says whether the request may have been sent.
#[derive(Clone)]
pub struct ProviderStack {
    provider: ProviderId,
    limits: ProviderLimits,
    search: Lanes,
    orders: Lanes,
    /// Where each call's duration and outcome are recorded.
    metrics: Option<crate::metrics::Metrics>,
    /// Shared by both lanes and every clone: the provider is up or not.
    breaker: Arc<Breaker>,
    /// Retries of idempotent reads, shared likewise.
    retry_budget: Arc<TpsBudget>,
    max_retries: u32,
}

impl std::fmt::Debug for ProviderStack {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("ProviderStack")
            .field("provider", &self.provider)
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

/// Builds `provider`'s stack over `http`. Must run inside a tokio runtime
/// (the buffer's worker is a task).
pub fn build(provider: ProviderId, http: reqwest::Client, limits: ProviderLimits) -> ProviderStack {
    ProviderStack {
        provider,
        limits,
        search: layered(Http(http.clone()), limits, Lane::Search),
        orders: layered(Http(http), limits, Lane::Orders),
        metrics: None,
        breaker: Arc::new(Breaker::new(BreakerSettings::default())),
        retry_budget: Arc::new(retry_budget(RetrySettings::default())),
        max_retries: RetrySettings::default().max_retries,
    }
}

fn retry_budget(settings: RetrySettings) -> TpsBudget {
    TpsBudget::new(
        RETRY_BUDGET_WINDOW,
        settings.min_per_second,
        f32::from(settings.budget_percent.min(100)) / 100.0,
    )
}

/// Reports an admitted probe that never finished (its caller went away),
/// so the next call may probe instead of the breaker waiting forever.
struct ProbeGuard<'a> {
    breaker: &'a Breaker,
    armed: bool,
}

impl Drop for ProbeGuard<'_> {
    fn drop(&mut self) {
        if self.armed {
            self.breaker.abandon_probe();
        }
    }
}

/// The layers of [`build`] for one lane around any transport (tests use a
/// fake one).
fn layered<S>(transport: S, limits: ProviderLimits, lane: Lane) -> Lanes
where
    S: Service<reqwest::Request, Response = reqwest::Response> + Send + 'static,
    S::Error: Into<BoxError> + Send + Sync,
    S::Future: Send + 'static,
{
    let (max_concurrency, requests_per_second) = limits.of(lane);
    let stack = ServiceBuilder::new()
        .buffer(BUFFER_CAPACITY)
        .concurrency_limit(max_concurrency)
        .rate_limit(requests_per_second, Duration::from_secs(1))
        .timeout(limits.timeout)
        .service(transport);
    BoxCloneSyncService::new(stack)
}

impl ProviderStack {
    /// Uses `resilience` (a new breaker and budget) instead of the defaults.
    pub fn set_resilience(&mut self, resilience: Resilience) {
        self.breaker = Arc::new(Breaker::new(resilience.breaker));
        self.retry_budget = Arc::new(retry_budget(resilience.retries));
        self.max_retries = resilience.retries.max_retries;
    }

    /// The breaker's state now.
    pub fn breaker_state(&self) -> breaker::BreakerState {
        self.breaker.state()
    }

    /// [`Self::send`] for a read that changes nothing at the provider
    /// (search, stop list, order detail): a failed attempt (no
    /// connection, no answer in time, HTTP 5xx) is sent again, up to
    /// `max_retries` times and within the retry budget. Never for a
    /// mutating call.
    pub async fn send_read(
        &self,
        lane: Lane,
        request: reqwest::Request,
    ) -> Result<reqwest::Response, ProviderError> {
        self.retry_budget.deposit();
        let mut request = request;
        let mut retries = 0;
        loop {
            let spare = request.try_clone();
            let result = self.send(lane, request).await;
            let failed = match &result {
                Ok(response) => response.status().is_server_error(),
                // Not sent, and the breaker says not to.
                Err(ProviderError::CircuitOpen { .. }) => false,
                Err(_) => true,
            };
            match spare {
                Some(spare)
                    if failed && retries < self.max_retries && self.retry_budget.withdraw() =>
                {
                    retries += 1;
                    tracing::debug!(provider = %self.provider, retries, "retrying a failed read");
                    request = spare;
                }
                _ => return result,
            }
        }
    }

    /// Records every call's duration and outcome in `metrics`.
    pub fn set_metrics(&mut self, metrics: crate::metrics::Metrics) {
        self.metrics = Some(metrics);
    }

    /// Sends `request` through `lane`'s limits, inside a client span that
    /// passes its `traceparent` on to the provider. With metrics, the call
    /// is timed until the answer's headers, queueing in the limits
    /// included (what the caller waits for). Span and metrics name the
    /// operation by the URL's path: the configured endpoint, never a query
    /// (Juhe's key is one).
    pub async fn send(
        &self,
        lane: Lane,
        mut request: reqwest::Request,
    ) -> Result<reqwest::Response, ProviderError> {
        let stack = match lane {
            Lane::Search => &self.search,
            Lane::Orders => &self.orders,
        };
        let operation = request.url().path().to_owned();
        let probe = match self.breaker.admit() {
            Admission::Admitted { probe } => probe,
            Admission::Refused { retry_in } => {
                let refused = Err(ProviderError::CircuitOpen {
                    provider: self.provider,
                    retry_in,
                });
                self.record_call(operation, &refused, Duration::ZERO);
                return refused;
            }
        };
        let mut probe_guard = ProbeGuard {
            breaker: &self.breaker,
            armed: probe,
        };
        let span = tracing::info_span!(
            "provider call",
            otel.name = %format_args!("{} {operation}", self.provider.as_str()),
            otel.kind = "client",
            otel.status_code = tracing::field::Empty,
            provider = self.provider.as_str(),
            provider.operation = operation.as_str(),
            provider.lane = lane.as_str(),
            http.request.method = request.method().as_str(),
            http.response.status_code = tracing::field::Empty,
            outcome = tracing::field::Empty,
            timeout_ms = self.limits.timeout.as_millis() as u64,
        );
        crate::telemetry::inject(&span, request.headers_mut());
        let started = Instant::now();
        let result = stack
            .clone()
            .oneshot(request)
            .instrument(span.clone())
            .await
            .map_err(|error| self.classify(error));
        let outcome = ProviderOutcome::of(&result);
        span.record("outcome", outcome.as_str());
        if let Ok(response) = &result {
            span.record("http.response.status_code", response.status().as_u16());
        }
        if outcome != ProviderOutcome::ok {
            span.record("otel.status_code", "ERROR");
        }
        // A refusal the provider answered is a healthy provider saying no.
        let healthy = matches!(&result, Ok(response) if !response.status().is_server_error());
        probe_guard.armed = false;
        if let Some(state) = self.breaker.record(healthy) {
            tracing::warn!(
                provider = %self.provider,
                breaker = state.as_str(),
                "provider circuit breaker changed"
            );
        }
        self.record_call(operation, &result, started.elapsed());
        result
    }

    fn record_call(
        &self,
        operation: String,
        result: &Result<reqwest::Response, ProviderError>,
        elapsed: Duration,
    ) {
        if let Some(metrics) = &self.metrics {
            metrics.provider_call(
                crate::metrics::ProviderLabels {
                    provider: self.provider.as_str(),
                    operation,
                    outcome: ProviderOutcome::of(result),
                },
                elapsed.as_secs_f64(),
            );
        }
    }

    /// The limits in force.
    pub fn limits(&self) -> ProviderLimits {
        self.limits
    }

    /// Turns a stack error into a provider error that keeps the one fact
    /// callers act on: whether the request may have reached the provider.
    pub fn classify(&self, error: BoxError) -> ProviderError {
        if error.is::<tower::timeout::error::Elapsed>() {
            return self.timeout_error();
        }
        match error.downcast::<reqwest::Error>() {
            Ok(http) if http.is_timeout() => self.timeout_error(),
            Ok(http) => ProviderError::Unreachable {
                provider: self.provider,
                // A refused connection never sent anything; anything later might have.
                sent: !http.is_connect(),
                source: http,
            },
            // The buffer closed (the runtime is stopping): nothing was sent.
            Err(other) => ProviderError::Unreachable {
                provider: self.provider,
                sent: false,
                source: other,
            },
        }
    }

    fn timeout_error(&self) -> ProviderError {
        ProviderError::Timeout {
            provider: self.provider,
            timeout: self.limits.timeout,
        }
    }
}

/// reqwest as a tower service.
#[derive(Clone)]
struct Http(reqwest::Client);

impl Service<reqwest::Request> for Http {
    type Response = reqwest::Response;
    type Error = reqwest::Error;
    type Future = Pin<Box<dyn Future<Output = Result<reqwest::Response, reqwest::Error>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: reqwest::Request) -> Self::Future {
        let sending = self.0.execute(request);
        // URLs may carry credentials (Juhe's key is a query parameter):
        // they never travel on in an error.
        Box::pin(async move { sending.await.map_err(reqwest::Error::without_url) })
    }
}

#[cfg(test)]
mod tests;
