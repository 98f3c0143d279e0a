//! The tower layer that authenticates every gRPC call and checks its
//! scope before any service sees it. A refusal is a gRPC status built from
//! [`crate::api::status::ApiError`], so its code, reason and details are mapped in
//! the one place every error is.

use super::tokens::TokenTable;
use super::{Caller, required_scope};
use crate::api::status::ApiError;
use std::sync::Arc;
use std::task::{Context, Poll};
use tonic::body::Body;

/// How callers prove who they are.
#[derive(Debug, Clone)]
pub enum Authenticator {
    /// Nobody is asked: every call is the anonymous caller's.
    None,
    /// `authorization: Bearer <token>`, looked up in a clients file.
    Tokens(Arc<TokenTable>),
}

impl Authenticator {
    /// The caller of a request with these headers.
    fn caller(&self, headers: &http::HeaderMap) -> Result<Caller, ApiError> {
        let table = match self {
            Authenticator::None => return Ok(Caller::anonymous()),
            Authenticator::Tokens(table) => table,
        };
        let value = headers
            .get(http::header::AUTHORIZATION)
            .ok_or(ApiError::Unauthenticated(
                "send authorization: Bearer <token>",
            ))?;
        let token = value
            .to_str()
            .ok()
            .and_then(|value| value.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|token| !token.is_empty())
            .ok_or(ApiError::Unauthenticated(
                "the authorization header must be Bearer <token>",
            ))?;
        table
            .caller(token)
            .cloned()
            .ok_or(ApiError::Unauthenticated(
                "the token is not one railgate knows",
            ))
    }
}

/// Adds [`AuthService`] around a service.
#[derive(Debug, Clone)]
pub struct AuthLayer {
    authenticator: Authenticator,
}

impl AuthLayer {
    /// Checks calls with `authenticator`.
    pub fn new(authenticator: Authenticator) -> Self {
        Self { authenticator }
    }
}

impl<S> tower::Layer<S> for AuthLayer {
    type Service = AuthService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        AuthService {
            inner,
            authenticator: self.authenticator.clone(),
        }
    }
}

/// Refuses calls without a known caller or without their RPC's scope;
/// passes the rest on with the [`Caller`] in the request's extensions.
#[derive(Debug, Clone)]
pub struct AuthService<S> {
    inner: S,
    authenticator: Authenticator,
}

impl<S> tower::Service<http::Request<Body>> for AuthService<S>
where
    S: tower::Service<http::Request<Body>, Response = http::Response<Body>>,
    S::Future: Send + 'static,
{
    type Response = http::Response<Body>;
    type Error = S::Error;
    type Future = futures_util::future::Either<
        S::Future,
        std::future::Ready<Result<http::Response<Body>, S::Error>>,
    >;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: http::Request<Body>) -> Self::Future {
        use futures_util::future::Either;
        let Some(scope) = required_scope(request.uri().path()) else {
            // Health, reflection: open to every client.
            return Either::Left(self.inner.call(request));
        };
        let checked = self
            .authenticator
            .caller(request.headers())
            .and_then(|caller| {
                if caller.may(scope) {
                    Ok(caller)
                } else {
                    Err(ApiError::PermissionDenied { scope })
                }
            });
        match checked {
            Ok(caller) => {
                request.extensions_mut().insert(caller);
                Either::Left(self.inner.call(request))
            }
            Err(refusal) => {
                if let ApiError::PermissionDenied { .. } = &refusal {
                    tracing::info!(rpc = request.uri().path(), %scope, "call refused: scope missing");
                }
                let status = tonic::Status::from(refusal);
                Either::Right(std::future::ready(Ok(status.into_http())))
            }
        }
    }
}
