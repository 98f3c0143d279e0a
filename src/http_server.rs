//! The HTTP listener (provider callbacks, health): hyper's server with the
//! limits a listener anyone can reach needs. `axum::serve` has none of
//! them, so a client that connects and sends nothing held its connection
//! for ever.
//!
//! - **Header read timeout**: a connection that has not sent a request's
//!   headers within it (the first request, or the next one on a kept-alive
//!   connection) is closed. This is also the idle timeout.
//! - **Handler timeout**: a request whose answer takes longer gets `503`
//!   (the providers retry callbacks; the reconciler follows every order).
//! - **Graceful shutdown**: on stop, no new connections; open ones finish
//!   their request, for at most the grace period.

use axum::Router;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use std::future::Future;
use std::time::Duration;
use tokio::net::TcpListener;
use tower::ServiceExt;

/// The HTTP listener's limits.
#[derive(Debug, Clone, Copy)]
pub struct HttpLimits {
    /// A request's headers must arrive within this (also the idle limit).
    pub header_read_timeout: Duration,
    /// A request must be answered within this.
    pub handler_timeout: Duration,
    /// How long open connections may finish after stop.
    pub shutdown_grace: Duration,
}

/// Serves `app` on `listener` under `limits` until `stopped`.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: HttpLimits,
    stopped: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let handler_timeout = limits.handler_timeout;
    let app = app.layer(axum::middleware::from_fn(
        move |request: axum::extract::Request, next: axum::middleware::Next| async move {
            match tokio::time::timeout(handler_timeout, next.run(request)).await {
                Ok(response) => response,
                Err(_) => (StatusCode::SERVICE_UNAVAILABLE, "timed out").into_response(),
            }
        },
    ));
    // HTTP/1.1 only: providers call back over HTTP/1.1, and hyper's
    // header read timeout is an HTTP/1 setting.
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout);
    let graceful = GracefulShutdown::new();
    tokio::pin!(stopped);
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, peer) = match accepted {
                    Ok(accepted) => accepted,
                    // Out of file descriptors and the like: keep serving.
                    Err(error) => {
                        tracing::warn!(error = %error, "http accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                // The peer's address for handlers (callback allowlists).
                let service = TowerToHyperService::new(app.clone().map_request(
                    move |mut request: axum::extract::Request<hyper::body::Incoming>| {
                        request.extensions_mut().insert(axum::extract::ConnectInfo(peer));
                        request
                    },
                ));
                let connection = builder.serve_connection(TokioIo::new(stream), service);
                let connection = graceful.watch(connection);
                tokio::spawn(async move {
                    // A client that goes away or times out ends its
                    // connection; nothing to report.
                    let _ = connection.await;
                });
            }
            () = &mut stopped => break,
        }
    }
    drop(listener);
    if tokio::time::timeout(limits.shutdown_grace, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("http connections still open after the shutdown grace period");
    }
    Ok(())
}
