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
//! Later resilience layers (retry budgets, circuit breakers, outlier
//! ejection) go into [`build`] between the buffer and the limits.

use crate::domain::ProviderId;
use crate::providers::ProviderError;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;
use tower::util::BoxCloneSyncService;
use tower::{BoxError, Service, ServiceBuilder, ServiceExt};

/// Calls queued in the buffer before callers wait for room.
const BUFFER_CAPACITY: usize = 1024;

/// One provider's limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProviderLimits {
    /// Time limit of one HTTP exchange.
    pub timeout: Duration,
    /// Calls in flight at once.
    pub max_concurrency: usize,
    /// Calls started per second (the provider's quota).
    pub requests_per_second: u64,
}

/// A provider's HTTP stack: send a request, get a response or a
/// [`ProviderError`] that says whether the request may have been sent.
#[derive(Clone)]
pub struct ProviderStack {
    provider: ProviderId,
    limits: ProviderLimits,
    inner: BoxCloneSyncService<reqwest::Request, reqwest::Response, BoxError>,
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
        inner: layered(Http(http), limits),
    }
}

/// The layers of [`build`] around any transport (tests use a fake one).
fn layered<S>(
    transport: S,
    limits: ProviderLimits,
) -> BoxCloneSyncService<reqwest::Request, reqwest::Response, BoxError>
where
    S: Service<reqwest::Request, Response = reqwest::Response> + Send + 'static,
    S::Error: Into<BoxError> + Send + Sync,
    S::Future: Send + 'static,
{
    let stack = ServiceBuilder::new()
        .buffer(BUFFER_CAPACITY)
        .concurrency_limit(limits.max_concurrency.max(1))
        .rate_limit(limits.requests_per_second.max(1), Duration::from_secs(1))
        .timeout(limits.timeout)
        .service(transport);
    BoxCloneSyncService::new(stack)
}

impl ProviderStack {
    /// Sends `request` through the limits.
    pub async fn send(
        &self,
        request: reqwest::Request,
    ) -> Result<reqwest::Response, ProviderError> {
        self.inner
            .clone()
            .oneshot(request)
            .await
            .map_err(|error| self.classify(error))
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
