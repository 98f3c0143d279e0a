//! A simulator of Juhe's grab-ticket API (火车票抢票, seeds 000 and 001),
//! served by axum.
//!
//! The endpoints live where Juhe has them, under [`BASE_PATH`]
//! (`/grabTicket/action/search.php`, …), so an adapter's base URL is
//! `http://<address>/grabTicket/action`. Every endpoint takes `GET` and
//! `POST` (form-encoded) except submitOrder.php, which the seed lists as
//! `post` only. Parameters are read the way a PHP endpoint reads them (see
//! `params.rs`): unknown ones are ignored, and a JSON body is not read at
//! all. Answers are HTTP 200 with Juhe's `{reason, result, error_code}`
//! envelope, errors included: `key` is checked first (10001), then the
//! request quota (10012), then the endpoint's own rules (2257xx).
//!
//! Implemented: search.php over the real timetable and fare model (the same
//! trains and prices as the Panhe simulator) with a `queryKey` that
//! expires, and the whole grab-order lifecycle (submitOrder, orderDetail in
//! both shapes, cancelOrder, applyRefundOrder, addCallbackUrl and the three
//! callback types), plus dataDictionary.php verbatim; see [`orders`].
//!
//! # Layout
//! - `params.rs`: PHP-style parameters. [`wire`]: the envelope, error
//!   codes and search payload. [`codes`]: the dictionary's code tables.
//! - `search.rs`: search.php and the query keys. [`dictionary`]: the
//!   dictionary answer. [`orders`]: the grab-order lifecycle.
//!
//! Time: "now" is [`SimState::provider_now`], the configured
//! [`JuheSimConfig::clock`] (Asia/Shanghai wall time) sped up by
//! [`JuheSimConfig::clock_scale`].

pub mod codes;
pub mod dictionary;
pub mod orders;
mod params;
mod search;
#[cfg(test)]
mod tests;
pub mod wire;

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use chrono::{NaiveDate, NaiveDateTime, TimeDelta};

pub use crate::clock::{Clock, fixed_clock, shanghai_now};
use crate::fares::{self, SeatClass};
use crate::timetable::Timetable;
pub use codes::SubmitIdNumbering;
use orders::Scripts;
use orders::model::OrderBook;
use params::Params;
use wire::Failure;

/// The key the simulator accepts unless configured otherwise. A sandbox
/// value: it protects nothing and is published here on purpose.
pub const DEFAULT_KEY: &str = "sandbox-juhe-key";

/// Where the endpoints live, as on `v.juhe.cn`.
pub const BASE_PATH: &str = "/grabTicket/action";

/// The API's endpoints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Endpoint {
    Search,
    SubmitOrder,
    OrderDetail,
    CancelOrder,
    ApplyRefundOrder,
    AddCallbackUrl,
    DataDictionary,
}

impl Endpoint {
    pub const ALL: [Endpoint; 7] = [
        Endpoint::Search,
        Endpoint::SubmitOrder,
        Endpoint::OrderDetail,
        Endpoint::CancelOrder,
        Endpoint::ApplyRefundOrder,
        Endpoint::AddCallbackUrl,
        Endpoint::DataDictionary,
    ];

    /// The file name (`search.php`).
    pub fn file(self) -> &'static str {
        match self {
            Endpoint::Search => "search.php",
            Endpoint::SubmitOrder => "submitOrder.php",
            Endpoint::OrderDetail => "orderDetail.php",
            Endpoint::CancelOrder => "cancelOrder.php",
            Endpoint::ApplyRefundOrder => "applyRefundOrder.php",
            Endpoint::AddCallbackUrl => "addCallbackUrl.php",
            Endpoint::DataDictionary => "dataDictionary.php",
        }
    }

    /// The route (`/grabTicket/action/search.php`).
    pub fn path(self) -> String {
        format!("{BASE_PATH}/{}", self.file())
    }

    /// submitOrder is `post` only in the seed; the rest are `get post`.
    fn post_only(self) -> bool {
        self == Endpoint::SubmitOrder
    }
}

/// At most `limit` requests per `window` of real time (10012 beyond). Real
/// time, not provider time: a quota guards the service's capacity, which a
/// client's rate limiter measures on its own clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestQuota {
    pub limit: u64,
    pub window: Duration,
}

/// How the simulator behaves.
#[derive(Clone)]
pub struct JuheSimConfig {
    /// The only `key` accepted.
    pub key: String,
    /// "Now" in Asia/Shanghai.
    pub clock: Clock,
    /// Provider seconds per real second: 1.0 is real time, 60.0 runs a
    /// provider minute per real second. Scales every delay below, the query
    /// key lifetime, deadlines, callback retry backoff and
    /// [`SimState::provider_now`].
    pub clock_scale: f64,
    /// How long a search's `queryKey` stays usable, provider time.
    pub query_key_ttl: Duration,
    /// Provider time from submitOrder to B (未到开抢时间).
    pub accept_delay: Duration,
    /// Provider time from B to D (抢票中) once the date is on sale.
    pub start_delay: Duration,
    /// Provider time between grab attempts while D; the first comes one
    /// interval after D.
    pub grab_interval: Duration,
    /// Provider time from a refund request to its result.
    pub refund_delay: Duration,
    /// `juheServiceFee` per ticket, in fen (the seed's example: ¥8).
    pub service_fee_per_ticket_fen: u32,
    /// Requests allowed per window (10012 beyond), or unlimited.
    pub quota: Option<RequestQuota>,
    /// How submitOrder's `idCardType` is read (seed 001 is ambiguous).
    pub submit_id_numbering: SubmitIdNumbering,
}

impl Default for JuheSimConfig {
    fn default() -> Self {
        JuheSimConfig {
            key: DEFAULT_KEY.to_owned(),
            clock: Arc::new(shanghai_now),
            clock_scale: 1.0,
            query_key_ttl: Duration::from_secs(30 * 60),
            accept_delay: Duration::from_secs(2),
            start_delay: Duration::from_secs(3),
            grab_interval: Duration::from_secs(20),
            refund_delay: Duration::from_secs(10),
            service_fee_per_ticket_fen: 800,
            quota: None,
            submit_id_numbering: SubmitIdNumbering::ZeroBased,
        }
    }
}

impl fmt::Debug for JuheSimConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The key is a credential, even a sandbox one: never printed.
        f.debug_struct("JuheSimConfig")
            .field("key", &"<redacted>")
            .field("clock_scale", &self.clock_scale)
            .field("query_key_ttl", &self.query_key_ttl)
            .field("accept_delay", &self.accept_delay)
            .field("start_delay", &self.start_delay)
            .field("grab_interval", &self.grab_interval)
            .field("refund_delay", &self.refund_delay)
            .field(
                "service_fee_per_ticket_fen",
                &self.service_fee_per_ticket_fen,
            )
            .field("quota", &self.quota)
            .field("submit_id_numbering", &self.submit_id_numbering)
            .finish_non_exhaustive()
    }
}

impl JuheSimConfig {
    /// The clock scale must be a positive number, the grab interval and
    /// the quota window non-zero.
    pub fn validate(&self) -> Result<(), String> {
        if !(self.clock_scale.is_finite() && self.clock_scale > 0.0) {
            return Err(format!(
                "juhe simulator clock_scale must be positive: {}",
                self.clock_scale
            ));
        }
        if self.grab_interval.is_zero() {
            return Err("juhe simulator grab_interval must not be zero".to_owned());
        }
        if self.quota.is_some_and(|quota| quota.window.is_zero()) {
            return Err("juhe simulator quota window must not be zero".to_owned());
        }
        Ok(())
    }
}

/// Requests seen, and the quota's current window.
#[derive(Debug)]
struct Traffic {
    per_endpoint: HashMap<Endpoint, u64>,
    quota: Option<RequestQuota>,
    window_start: Instant,
    used_in_window: u64,
}

/// Shared state of one simulator instance: configuration, order book,
/// traffic counters and test scripts. The timetable is process-wide.
///
/// Tests get it from [`router_with_state`]; [`orders`] documents the
/// scripting surface.
pub struct SimState {
    config: JuheSimConfig,
    /// When this simulator started, for the clock scale.
    started: Instant,
    /// Orders, query keys, sales and callback URLs. Never held across an
    /// await.
    book: Mutex<OrderBook>,
    /// Scripted faults, callback mode and the callback log.
    scripts: Mutex<Scripts>,
    traffic: Mutex<Traffic>,
    /// Sends callbacks.
    http: reqwest::Client,
}

/// Poisoning is ignored: every mutation leaves the data consistent before
/// anything can panic.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl SimState {
    fn new(config: JuheSimConfig) -> SimState {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(5))
            .build()
            .unwrap_or_default();
        let traffic = Traffic {
            per_endpoint: HashMap::new(),
            quota: config.quota,
            window_start: Instant::now(),
            used_in_window: 0,
        };
        SimState {
            config,
            started: Instant::now(),
            book: Mutex::new(OrderBook::default()),
            scripts: Mutex::new(Scripts::default()),
            traffic: Mutex::new(traffic),
            http,
        }
    }

    /// The simulator's configuration.
    pub fn config(&self) -> &JuheSimConfig {
        &self.config
    }

    /// Provider time in Asia/Shanghai (see [`crate::clock::provider_now`]).
    pub fn provider_now(&self) -> NaiveDateTime {
        crate::clock::provider_now(&self.config.clock, self.started, self.config.clock_scale)
    }

    /// The real time a span of provider time takes.
    pub fn real_duration(&self, provider: Duration) -> Duration {
        crate::clock::real_duration(provider, self.config.clock_scale)
    }

    /// Tickets left for a class of a ride: the deterministic count of
    /// [`fares::remaining`] (the Panhe simulator's too) minus what this
    /// simulator has sold.
    pub fn remaining(
        &self,
        train_no: &str,
        date: NaiveDate,
        from: &str,
        to: &str,
        seat: SeatClass,
    ) -> u32 {
        let key = orders::model::InventoryKey {
            train_no: train_no.to_owned(),
            date,
            from_station: from.to_owned(),
            to_station: to.to_owned(),
            seat,
        };
        fares::remaining(train_no, date, from, to, seat).saturating_sub(self.book().sold(&key))
    }

    /// Requests that reached `endpoint`, refused ones included.
    pub fn requests(&self, endpoint: Endpoint) -> u64 {
        lock(&self.traffic)
            .per_endpoint
            .get(&endpoint)
            .copied()
            .unwrap_or(0)
    }

    /// Requests that reached any endpoint.
    pub fn total_requests(&self) -> u64 {
        lock(&self.traffic).per_endpoint.values().sum()
    }

    /// Change the request quota from now on (a fresh window starts).
    pub fn set_quota(&self, quota: Option<RequestQuota>) {
        let mut traffic = lock(&self.traffic);
        traffic.quota = quota;
        traffic.window_start = Instant::now();
        traffic.used_in_window = 0;
    }

    fn book(&self) -> MutexGuard<'_, OrderBook> {
        lock(&self.book)
    }

    fn scripts(&self) -> MutexGuard<'_, Scripts> {
        lock(&self.scripts)
    }

    fn count(&self, endpoint: Endpoint) {
        *lock(&self.traffic)
            .per_endpoint
            .entry(endpoint)
            .or_default() += 1;
    }

    /// The gateway's checks: the key (10001), then the quota (10012).
    /// Requests with a wrong key do not use the quota.
    fn admit(&self, params: &Params) -> Result<(), Failure> {
        if params.optional("key") != Some(self.config.key.as_str()) {
            return Err(Failure::code(wire::WRONG_KEY));
        }
        let mut traffic = lock(&self.traffic);
        let Some(quota) = traffic.quota else {
            return Ok(());
        };
        if traffic.window_start.elapsed() >= quota.window {
            traffic.window_start = Instant::now();
            traffic.used_in_window = 0;
        }
        if traffic.used_in_window >= quota.limit {
            return Err(Failure::code(wire::OVER_QUOTA));
        }
        traffic.used_in_window += 1;
        Ok(())
    }
}

/// A configured span as provider time, capped at a century so adding it to
/// a date never overflows.
pub(crate) fn span(duration: Duration) -> TimeDelta {
    let century = TimeDelta::days(36_500);
    TimeDelta::from_std(duration).map_or(century, |span| span.min(century))
}

/// The timetable, parsed in the background at start-up; a request that
/// arrives first waits for it off the async workers.
async fn timetable() -> &'static Timetable {
    if let Some(timetable) = Timetable::embedded_if_loaded() {
        return timetable;
    }
    tokio::task::spawn_blocking(Timetable::embedded)
        .await
        .expect("the embedded timetable parses (checked by unit tests)")
}

/// Count, check method, key, quota and scripted faults, run the endpoint,
/// then wait out a scripted response delay.
async fn handle(
    state: Arc<SimState>,
    endpoint: Endpoint,
    method: Method,
    query: Option<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    state.count(endpoint);
    if method != Method::GET && method != Method::POST {
        let failure = Failure::parameter("请求方式不支持,请使用GET或POST");
        return (StatusCode::METHOD_NOT_ALLOWED, failure).into_response();
    }
    let params = Params::parse(query.as_deref(), &headers, &body);
    let response = match answer(&state, endpoint, &method, &params).await {
        Ok(response) => response,
        Err(failure) => {
            tracing::debug!(
                endpoint = endpoint.file(),
                error_code = failure.code,
                "juhe sim request refused"
            );
            failure.into_response()
        }
    };
    let delay = state.scripts().response_delay;
    if let Some(delay) = delay {
        tokio::time::sleep(delay).await;
    }
    response
}

async fn answer(
    state: &Arc<SimState>,
    endpoint: Endpoint,
    method: &Method,
    params: &Params,
) -> Result<Response, Failure> {
    state.admit(params)?;
    if endpoint.post_only() && *method != Method::POST {
        return Err(Failure::parameter(format!(
            "{}只支持POST方式提交",
            endpoint.file()
        )));
    }
    if let Some(failure) = state.take_request_fault() {
        return Err(failure);
    }
    match endpoint {
        Endpoint::Search => {
            let timetable = timetable().await;
            search::search(state, timetable, params).map(IntoResponse::into_response)
        }
        Endpoint::SubmitOrder => orders::submit::submit_order(state, params),
        Endpoint::OrderDetail => orders::detail::order_detail(state, params),
        Endpoint::CancelOrder => orders::cancel::cancel_order(state, params),
        Endpoint::ApplyRefundOrder => orders::refund::apply_refund(state, params),
        Endpoint::AddCallbackUrl => orders::callbacks::add_callback_url(state, params),
        Endpoint::DataDictionary => Ok((
            [(CONTENT_TYPE, "application/json")],
            dictionary::DATA_DICTIONARY,
        )
            .into_response()),
    }
}

/// The simulator as an axum router.
///
/// # Panics
/// If [`JuheSimConfig::validate`] fails; [`serve`] checks first and returns
/// an error instead.
pub fn router(config: JuheSimConfig) -> Router {
    router_with_state(config).0
}

/// The simulator's router and its state, through which tests inspect
/// orders, count requests and script faults. Serve the router with
/// [`serve_router`].
///
/// # Panics
/// If [`JuheSimConfig::validate`] fails.
pub fn router_with_state(config: JuheSimConfig) -> (Router, Arc<SimState>) {
    if let Err(problem) = config.validate() {
        panic!("invalid juhe simulator config: {problem}");
    }
    Timetable::preload_in_background();
    let state = Arc::new(SimState::new(config));
    let mut router = Router::new();
    for endpoint in Endpoint::ALL {
        let route = any(
            move |State(state): State<Arc<SimState>>,
                  method: Method,
                  RawQuery(query): RawQuery,
                  headers: HeaderMap,
                  body: Bytes| {
                handle(state, endpoint, method, query, headers, body)
            },
        );
        router = router.route(&endpoint.path(), route);
    }
    let router = router.fallback(not_found).with_state(Arc::clone(&state));
    (router, state)
}

/// An unknown path: 404 with the envelope and 10021 (接口停用), the
/// closest the seed's tables come to "no such interface".
async fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        Failure::code(wire::INTERFACE_DISABLED),
    )
        .into_response()
}

/// Serve the simulator on `listener` until `shutdown` resolves.
pub async fn serve(
    listener: tokio::net::TcpListener,
    config: JuheSimConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    config
        .validate()
        .map_err(|problem| std::io::Error::new(std::io::ErrorKind::InvalidInput, problem))?;
    serve_router(listener, router(config), shutdown).await
}

/// Serve a router from [`router_with_state`] on `listener` until `shutdown`
/// resolves.
pub async fn serve_router(
    listener: tokio::net::TcpListener,
    router: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    if let Ok(address) = listener.local_addr() {
        tracing::info!(%address, "juhe simulator listening");
    }
    axum::serve(listener, router)
        .with_graceful_shutdown(shutdown)
        .await
}
