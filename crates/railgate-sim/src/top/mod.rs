//! A fake alitrip TOP gateway for `alitrip.btrip.supplychain.train.callback.book`
//! (seed 003), served by axum: what railgate's TOP client sends to in tests
//! and sandbox mode.
//!
//! It is a second reading of seed 003, written from the seed and TOP's
//! published protocol, not from railgate's alitrip module: its own field
//! list ([`required`], [`seed`]), signature check ([`signature`]) and SM4
//! decryption ([`sm4`]). One route ([`TopSimConfig::path`], `/router/rest`
//! like TOP) takes the parameters from the query string and the form body,
//! then, like TOP:
//! 1. checks the public parameters and the signature ([`gateway`]);
//! 2. checks that every field the seed marks 必须 is present ([`required`]);
//! 3. checks values and decrypts every SM4 field ([`validate`]);
//! 4. answers the seed's success shape.
//!
//! Failures are `error_response`s in the seed's shape, always HTTP 200 as
//! TOP does. Tests script faults with [`TopSimState::fail_next`] and read
//! what arrived with [`TopSimState::accepted`] and
//! [`TopSimState::raw_bodies`].

pub mod gateway;
pub mod required;
pub mod seed;
pub mod signature;
pub mod sm4;
#[cfg(test)]
mod tests;
pub mod validate;

use crate::clock::{self, Clock};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use gateway::{Params, invalid_parameter, missing_parameter};
use secrecy::SecretString;
use serde::Serialize;
use serde_json::{Value, json};
use std::collections::VecDeque;
use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;
use tokio::sync::Notify;
use validate::{Passenger, Problem, Rules};

pub use seed::Enumerations;
pub use sm4::{CipherText, Sm4Mode, Sm4Settings};

/// The app key the fake accepts unless configured otherwise.
pub const DEFAULT_APP_KEY: &str = "sandbox-alitrip-app-key";

/// The app secret unless configured otherwise. A sandbox value: it
/// protects nothing and is published here on purpose.
pub const DEFAULT_APP_SECRET: &str = "sandbox-alitrip-app-secret";

/// The SM4 key (hex) unless configured otherwise; sandbox only.
pub const DEFAULT_SM4_KEY: &str = "5a3c1e7f9b2d4c6e8a0f1b3d5c7e9a2b";

/// How the fake behaves.
#[derive(Clone)]
pub struct TopSimConfig {
    /// The only `app_key` accepted.
    pub app_key: String,
    /// The secret signatures are checked with.
    pub app_secret: SecretString,
    /// The SM4 settings shared with the sender.
    pub sm4: Sm4Settings,
    /// The code tables the seed leaves to alitrip.
    pub enumerations: Enumerations,
    /// The gateway path.
    pub path: String,
    /// How far `timestamp` may be from now (TOP allows 10 minutes); `None`
    /// accepts any well-formed timestamp.
    pub max_clock_skew: Option<Duration>,
    /// "Now" in Asia/Shanghai (TOP timestamps are GMT+8).
    pub clock: Clock,
    /// How long a [`Fault::Stall`] holds its answer at most before giving
    /// up with an `isp` timeout error.
    pub stall_limit: Duration,
}

impl Default for TopSimConfig {
    fn default() -> Self {
        TopSimConfig {
            app_key: DEFAULT_APP_KEY.to_owned(),
            app_secret: SecretString::from(DEFAULT_APP_SECRET),
            sm4: Sm4Settings::ecb_hex_key(DEFAULT_SM4_KEY)
                .unwrap_or_else(|| unreachable!("the sandbox key is 32 hex digits")),
            enumerations: Enumerations::default(),
            path: "/router/rest".to_owned(),
            max_clock_skew: Some(Duration::from_secs(600)),
            clock: Arc::new(clock::shanghai_now),
            stall_limit: Duration::from_secs(30),
        }
    }
}

impl std::fmt::Debug for TopSimConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Secrets and keys never print, even sandbox ones.
        f.debug_struct("TopSimConfig")
            .field("path", &self.path)
            .field("sm4", &self.sm4)
            .field("max_clock_skew", &self.max_clock_skew)
            .finish_non_exhaustive()
    }
}

/// A scripted failure for the next call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// `error_response` with an `isp.*` sub code: TOP's own failure.
    PlatformError,
    /// `error_response` `isv.invalid-parameter`, the seed's example.
    InvalidParameter,
    /// This HTTP status with an empty body.
    Http(u16),
    /// No answer until [`TopSimState::release_stalled`] or the stall limit.
    Stall,
}

/// TOP's error answer (`error_response`), as in the seed's 异常示例.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ErrorResponse {
    /// TOP's public error code.
    pub code: i64,
    /// Its message.
    pub msg: String,
    /// The business sub code (`isv.*`, `isp.*`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sub_code: Option<String>,
    /// The sub code's message.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sub_msg: Option<String>,
}

/// A callback the fake accepted.
#[derive(Debug, Clone)]
pub struct AcceptedCallback {
    /// The `sign_method` it was signed with.
    pub sign_method: String,
    /// `book_callback_param` as received (passenger fields encrypted).
    pub param: Value,
    /// `order_id`: alitrip's order.
    pub order_id: String,
    /// `supplier_order_id`: the sender's order.
    pub supplier_order_id: String,
    /// `order_status`.
    pub order_status: String,
    /// The decrypted passengers, train by train, ticket by ticket.
    pub passengers: Vec<Passenger>,
}

#[derive(Default)]
struct Log {
    /// Every request body as it arrived, accepted or not.
    raw_bodies: Vec<String>,
    accepted: Vec<AcceptedCallback>,
}

/// The fake's state: configuration, scripted faults and the log.
pub struct TopSimState {
    config: TopSimConfig,
    faults: Mutex<VecDeque<Fault>>,
    log: Mutex<Log>,
    release: Notify,
}

impl TopSimState {
    /// The configuration.
    pub fn config(&self) -> &TopSimConfig {
        &self.config
    }

    /// Makes the next `count` calls fail with `fault` (after any already
    /// scripted).
    pub fn fail_next(&self, count: usize, fault: Fault) {
        lock(&self.faults).extend(std::iter::repeat_n(fault, count));
    }

    /// Scripted faults not used yet.
    pub fn pending_faults(&self) -> usize {
        lock(&self.faults).len()
    }

    /// Drops the scripted faults not used yet: the next calls are answered
    /// normally (stalled calls stay stalled until released).
    pub fn clear_faults(&self) {
        lock(&self.faults).clear();
    }

    /// Lets every stalled call answer now.
    pub fn release_stalled(&self) {
        self.release.notify_waiters();
    }

    /// The callbacks accepted so far, oldest first.
    pub fn accepted(&self) -> Vec<AcceptedCallback> {
        lock(&self.log).accepted.clone()
    }

    /// Every request body received so far, as it arrived.
    pub fn raw_bodies(&self) -> Vec<String> {
        lock(&self.log).raw_bodies.clone()
    }
}

/// Poisoning is ignored: every mutation leaves the data consistent.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The fake's router and its state.
pub fn router_with_state(config: TopSimConfig) -> (Router, Arc<TopSimState>) {
    let path = config.path.clone();
    let state = Arc::new(TopSimState {
        config,
        faults: Mutex::new(VecDeque::new()),
        log: Mutex::new(Log::default()),
        release: Notify::new(),
    });
    let router = Router::new()
        .route(&path, post(handle).get(handle))
        .with_state(Arc::clone(&state));
    (router, state)
}

/// Serves the fake on `listener` until `shutdown` resolves.
pub async fn serve(
    listener: tokio::net::TcpListener,
    config: TopSimConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let (router, _) = router_with_state(config);
    if let Ok(address) = listener.local_addr() {
        tracing::info!(%address, "alitrip top simulator listening");
    }
    axum::serve(listener, router)
        .with_graceful_shutdown(shutdown)
        .await
}

async fn handle(
    State(state): State<Arc<TopSimState>>,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    let body = String::from_utf8_lossy(&body).into_owned();
    lock(&state.log).raw_bodies.push(body.clone());
    let fault = lock(&state.faults).pop_front();
    if let Some(fault) = fault {
        return apply(fault, &state).await;
    }
    match accept(&state.config, query.as_deref().unwrap_or_default(), &body) {
        Ok(accepted) => {
            let answer = json!({
                "data": {
                    "order_id": accepted.order_id,
                    "supplier_order_id": accepted.supplier_order_id,
                },
                "result_code": "200",
                "status": "true",
                "result_msg": "成功",
            });
            tracing::debug!(
                sign_method = %accepted.sign_method,
                "top sim accepted a book callback"
            );
            lock(&state.log).accepted.push(accepted);
            json_answer(seed::RESPONSE_KEY, answer)
        }
        Err(error) => error_answer(&error),
    }
}

async fn apply(fault: Fault, state: &TopSimState) -> Response {
    match fault {
        Fault::PlatformError => error_answer(&ErrorResponse {
            code: 15,
            msg: "Remote service error".to_owned(),
            sub_code: Some("isp.remote-service-error".to_owned()),
            sub_msg: Some("服务暂不可用".to_owned()),
        }),
        Fault::InvalidParameter => error_answer(&ErrorResponse {
            sub_msg: Some("非法参数".to_owned()),
            ..invalid_parameter("")
        }),
        Fault::Http(status) => StatusCode::from_u16(status)
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
            .into_response(),
        Fault::Stall => {
            tokio::select! {
                () = state.release.notified() => {}
                () = tokio::time::sleep(state.config.stall_limit) => {}
            }
            error_answer(&ErrorResponse {
                code: 15,
                msg: "Remote service error".to_owned(),
                sub_code: Some("isp.top-remote-connection-timeout".to_owned()),
                sub_msg: None,
            })
        }
    }
}

/// Everything TOP and the method check, in order.
fn accept(
    config: &TopSimConfig,
    query: &str,
    body: &str,
) -> Result<AcceptedCallback, ErrorResponse> {
    let params = parse_params(query, body);
    let sign_method = gateway::check_public(&params, config)?;
    let raw = params
        .get(seed::PARAM_NAME)
        .filter(|value| !value.trim().is_empty())
        .ok_or_else(|| missing_parameter(seed::PARAM_NAME))?;
    let param: Value = serde_json::from_str(raw)
        .ok()
        .filter(Value::is_object)
        .ok_or_else(|| invalid_parameter(seed::PARAM_NAME))?;
    if let Some(path) = required::first_missing(&param) {
        return Err(missing_parameter(&path));
    }
    let rules = Rules {
        sm4: &config.sm4,
        enumerations: &config.enumerations,
    };
    let passengers = validate::validate(&param, &rules).map_err(|problem| match problem {
        Problem::Missing(path) => missing_parameter(&path),
        Problem::Invalid(path) => invalid_parameter(&path),
    })?;
    // Present and non-empty strings: `required` checked them.
    let field = |name: &str| param[name].as_str().unwrap_or_default().to_owned();
    Ok(AcceptedCallback {
        sign_method,
        order_id: field("order_id"),
        supplier_order_id: field("supplier_order_id"),
        order_status: field("order_status"),
        param,
        passengers,
    })
}

/// Query string and form body merged; a name in both keeps the body's.
/// Form decoding never fails: bad escapes stay as written and invalid
/// UTF-8 becomes U+FFFD, so such a request fails its signature check.
fn parse_params(query: &str, body: &str) -> Params {
    let mut params = Params::new();
    for text in [query, body] {
        params.extend(form_urlencoded::parse(text.as_bytes()).into_owned());
    }
    params
}

fn json_answer(key: &str, body: Value) -> Response {
    axum::Json(json!({ key: body })).into_response()
}

fn error_answer(error: &ErrorResponse) -> Response {
    json_answer("error_response", json!(error))
}
