//! The tower layer in front of every gRPC service: it authenticates the
//! call, checks its scope and admits it under the caller's rate and the
//! in-flight limit, before any service sees it. A refusal is a gRPC status
//! built from [`crate::api::status::ApiError`], so its code, reason and
//! details are mapped in the one place every error is.

use super::admission::{Admission, InFlight};
use super::clients::ClientTable;
use super::jwt::JwtVerifier;
use super::{Caller, required_scope};
use crate::api::status::ApiError;
use crate::grpc_incoming::PeerInfo;
use crate::log_budget::LogBudget;
use crate::metrics::{Metrics, Refusal};
use futures_util::future::BoxFuture;
use std::sync::Arc;
use std::task::{Context, Poll};
use tonic::body::Body;

/// Refusals anyone can trigger are logged a few times a minute at most.
static REFUSED: LogBudget = LogBudget::per_minute(20);

/// How callers prove who they are.
#[derive(Debug, Clone)]
pub enum Authenticator {
    /// Nobody is asked: every call is the anonymous caller's.
    None,
    /// `authorization: Bearer <token>`, looked up in a clients file.
    Tokens(Arc<ClientTable>),
    /// `authorization: Bearer <JWT>`, verified against a JWKS.
    Jwt(Arc<JwtVerifier>),
    /// The identity of the client certificate (mTLS), looked up by id in
    /// a clients file.
    Certificates(Arc<ClientTable>),
}

impl Authenticator {
    /// The caller of a request with these headers over this connection.
    fn caller(
        &self,
        headers: &http::HeaderMap,
        peer: Option<&PeerInfo>,
    ) -> Result<Caller, ApiError> {
        match self {
            Authenticator::None => Ok(Caller::anonymous()),
            Authenticator::Tokens(table) => {
                table
                    .caller(bearer(headers)?)
                    .cloned()
                    .ok_or(ApiError::Unauthenticated(
                        "the token is not one railgate knows",
                    ))
            }
            Authenticator::Jwt(verifier) => verifier
                .caller(bearer(headers)?)
                .map_err(|refusal| ApiError::Unauthenticated(refusal.message())),
            Authenticator::Certificates(table) => {
                let identity = peer
                    .and_then(|peer| peer.certificate_identity.as_deref())
                    .ok_or(ApiError::Unauthenticated(
                        "connect with a client certificate (mTLS)",
                    ))?;
                table
                    .by_identity(identity)
                    .cloned()
                    .ok_or(ApiError::Unauthenticated(
                        "the client certificate names no caller railgate knows",
                    ))
            }
        }
    }

    /// Clients with a rate of their own.
    pub fn own_rates(&self) -> Vec<(Arc<str>, super::admission::Rate)> {
        match self {
            Authenticator::Tokens(table) | Authenticator::Certificates(table) => {
                table.rates().collect()
            }
            Authenticator::None | Authenticator::Jwt(_) => Vec::new(),
        }
    }
}

/// The token of `authorization: Bearer <token>`.
fn bearer(headers: &http::HeaderMap) -> Result<&str, ApiError> {
    let value = headers
        .get(http::header::AUTHORIZATION)
        .ok_or(ApiError::Unauthenticated(
            "send authorization: Bearer <token>",
        ))?;
    value
        .to_str()
        .ok()
        .and_then(|value| value.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|token| !token.is_empty())
        .ok_or(ApiError::Unauthenticated(
            "the authorization header must be Bearer <token>",
        ))
}

/// Adds [`AuthService`] around a service.
#[derive(Debug, Clone)]
pub struct AuthLayer {
    authenticator: Authenticator,
    admission: Arc<Admission>,
    metrics: Metrics,
}

impl AuthLayer {
    /// Checks calls with `authenticator`, admits them under `admission`
    /// and counts refusals in `metrics`.
    pub fn new(authenticator: Authenticator, admission: Arc<Admission>, metrics: Metrics) -> Self {
        Self {
            authenticator,
            admission,
            metrics,
        }
    }
}

impl<S> tower::Layer<S> for AuthLayer {
    type Service = AuthService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        AuthService {
            inner,
            authenticator: self.authenticator.clone(),
            admission: self.admission.clone(),
            metrics: self.metrics.clone(),
        }
    }
}

/// Refuses calls without a known caller, without their RPC's scope or
/// over a limit; passes the rest on with the [`Caller`] in the request's
/// extensions.
#[derive(Debug, Clone)]
pub struct AuthService<S> {
    inner: S,
    authenticator: Authenticator,
    admission: Arc<Admission>,
    metrics: Metrics,
}

impl<S> tower::Service<http::Request<Body>> for AuthService<S>
where
    S: tower::Service<http::Request<Body>, Response = http::Response<Body>>,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
{
    type Response = http::Response<Body>;
    type Error = S::Error;
    type Future = BoxFuture<'static, Result<http::Response<Body>, S::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: http::Request<Body>) -> Self::Future {
        let Some(scope) = required_scope(request.uri().path()) else {
            // Health, reflection: open to every client.
            return Box::pin(self.inner.call(request));
        };
        let admitted = self
            .authenticator
            .caller(request.headers(), request.extensions().get::<PeerInfo>())
            .and_then(|caller| {
                if caller.may(scope) {
                    Ok(caller)
                } else {
                    Err(ApiError::PermissionDenied { scope })
                }
            })
            .and_then(|caller| {
                let in_flight = self.admission.admit(&caller)?;
                Ok((caller, in_flight))
            });
        match admitted {
            Ok((caller, in_flight)) => {
                request.extensions_mut().insert(caller);
                let answer = self.inner.call(request);
                Box::pin(async move {
                    let _in_flight: InFlight = in_flight;
                    answer.await
                })
            }
            Err(refusal) => {
                if let Some(reason) = refusal_reason(&refusal) {
                    self.metrics.refused(reason);
                }
                if let Some(suppressed) = REFUSED.admit() {
                    tracing::info!(rpc = request.uri().path(), reason = %refusal, suppressed, "call refused");
                }
                let status = tonic::Status::from(refusal);
                Box::pin(std::future::ready(Ok(status.into_http())))
            }
        }
    }
}

/// The metrics label of a refusal.
fn refusal_reason(refusal: &ApiError) -> Option<Refusal> {
    match refusal {
        ApiError::Unauthenticated(_) => Some(Refusal::unauthenticated),
        ApiError::PermissionDenied { .. } => Some(Refusal::permission_denied),
        ApiError::RateLimited { .. } => Some(Refusal::rate_limited),
        ApiError::Overloaded => Some(Refusal::overloaded),
        _ => None,
    }
}
