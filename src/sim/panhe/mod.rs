//! A simulator of Panhe's train REST API (seed 002), served by axum.
//!
//! Every endpoint is `POST <path>` with a JSON body carrying `appKey`;
//! paths come from [`PanhePaths`], so a path overridden in configuration
//! moves the simulated route with the adapter's. Answers are always HTTP 200
//! with Panhe's `{data, success, msg}` envelope, errors included (wrong
//! `appKey`, a missing or malformed parameter, an unknown station or train, a
//! date outside the 15-day presale window, even a body that is not JSON).
//!
//! Implemented now: the read endpoints (余票查询, 经停站查询 V1 and V2,
//! 火车站列表). Booking paths answer `success:false` "not supported" until
//! the booking simulator lands; its order state will live in [`SimState`].
//!
//! "Today" comes from [`PanheSimConfig::clock`] (Asia/Shanghai wall time),
//! so tests can pin the date.

mod query;
#[cfg(test)]
mod tests;
pub mod wire;

use std::fmt;
use std::future::Future;
use std::sync::Arc;

use axum::Router;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, post};
use chrono::{Days, NaiveDate, NaiveDateTime, Utc};

use crate::providers::panhe::paths::PanhePaths;
use crate::sim::timetable::Timetable;
use wire::{Envelope, Failure};

/// The app key the simulator accepts unless configured otherwise.
pub const DEFAULT_APP_KEY: &str = "sandbox-panhe-app-key";

/// Days on sale, today included (12306's presale period).
pub const PRESALE_DAYS: u32 = 15;

/// Current Asia/Shanghai wall-clock time.
pub type Clock = Arc<dyn Fn() -> NaiveDateTime + Send + Sync>;

/// The real current time in Asia/Shanghai.
pub fn shanghai_now() -> NaiveDateTime {
    Utc::now()
        .with_timezone(&chrono_tz::Asia::Shanghai)
        .naive_local()
}

/// A clock stuck at `at`, for tests.
pub fn fixed_clock(at: NaiveDateTime) -> Clock {
    Arc::new(move || at)
}

/// How the simulator behaves.
#[derive(Clone)]
pub struct PanheSimConfig {
    /// The only `appKey` accepted.
    pub app_key: String,
    /// Endpoint paths, shared with the adapter's configuration.
    pub paths: PanhePaths,
    /// "Now" in Asia/Shanghai; decides today's date for the presale window.
    pub clock: Clock,
}

impl Default for PanheSimConfig {
    fn default() -> Self {
        PanheSimConfig {
            app_key: DEFAULT_APP_KEY.to_owned(),
            paths: PanhePaths::default(),
            clock: Arc::new(shanghai_now),
        }
    }
}

impl fmt::Debug for PanheSimConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The app key is a credential, even a sandbox one: never printed.
        f.debug_struct("PanheSimConfig")
            .field("app_key", &"<redacted>")
            .field("paths", &self.paths)
            .finish_non_exhaustive()
    }
}

impl PanheSimConfig {
    /// Every path must start with `/` and be distinct, or axum cannot route
    /// them.
    pub fn validate(&self) -> Result<(), String> {
        let mut seen = std::collections::HashSet::new();
        for (key, path) in self.paths.entries() {
            if !path.starts_with('/') {
                return Err(format!("panhe path {key} must start with '/': {path:?}"));
            }
            if !seen.insert(path) {
                return Err(format!(
                    "panhe path {key} duplicates another path: {path:?}"
                ));
            }
        }
        Ok(())
    }
}

/// Shared state of one simulator instance. Booking will add its order
/// book here (behind a mutex); the timetable is process-wide and immutable.
pub struct SimState {
    config: PanheSimConfig,
}

impl SimState {
    /// Today in Asia/Shanghai, from the configured clock.
    fn today(&self) -> NaiveDate {
        (self.config.clock)().date()
    }

    /// Tickets sell from today to today + 14 days.
    fn check_presale(&self, date: NaiveDate) -> Result<(), Failure> {
        let today = self.today();
        let last = today + Days::new(u64::from(PRESALE_DAYS - 1));
        if date < today {
            return Err(Failure(format!("出发日期不能早于今天:{date}")));
        }
        if date > last {
            return Err(Failure(format!(
                "出发日期超出预售期:{date},可预订{today}至{last}"
            )));
        }
        Ok(())
    }
}

/// The simulator as an axum router.
///
/// # Panics
/// If [`PanheSimConfig::validate`] fails; [`serve`] checks first and returns
/// an error instead.
pub fn router(config: PanheSimConfig) -> Router {
    if let Err(problem) = config.validate() {
        panic!("invalid panhe simulator config: {problem}");
    }
    // Parse the timetable while the listener comes up; the first query waits
    // for it if it comes sooner.
    Timetable::preload_in_background();
    let paths = config.paths.clone();
    let state = Arc::new(SimState { config });
    let mut router = Router::new()
        .route(
            &paths.query_tickets,
            endpoint(post(query::query_tickets_handler)),
        )
        .route(
            &paths.stop_stations,
            endpoint(post(query::stop_stations_handler)),
        )
        .route(
            &paths.stop_stations_v2,
            endpoint(post(query::stop_stations_v2_handler)),
        )
        .route(
            &paths.station_list,
            endpoint(post(query::station_list_handler)),
        );
    let implemented = [
        &paths.query_tickets,
        &paths.stop_stations,
        &paths.stop_stations_v2,
        &paths.station_list,
    ];
    for (key, path) in paths.entries() {
        if !implemented.iter().any(|done| done.as_str() == path) {
            let message = format!("沙箱暂不支持此接口:{key}");
            let handler = move || async move { Failure(message).into_response() };
            router = router.route(path, endpoint(post(handler)));
        }
    }
    router.fallback(not_found).with_state(state)
}

/// Wrong methods get Panhe's envelope too, not axum's empty 405.
fn endpoint(route: MethodRouter<Arc<SimState>>) -> MethodRouter<Arc<SimState>> {
    route.fallback(|| async {
        let body = Envelope::<()> {
            data: None,
            success: false,
            msg: "请求方法不支持,请使用POST".to_owned(),
        };
        (StatusCode::METHOD_NOT_ALLOWED, body).into_response()
    })
}

async fn not_found() -> Response {
    let body = Envelope::<()> {
        data: None,
        success: false,
        msg: "接口不存在".to_owned(),
    };
    (StatusCode::NOT_FOUND, body).into_response()
}

/// Serve the simulator on `listener` until `shutdown` resolves.
pub async fn serve(
    listener: tokio::net::TcpListener,
    config: PanheSimConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    config
        .validate()
        .map_err(|problem| std::io::Error::new(std::io::ErrorKind::InvalidInput, problem))?;
    if let Ok(address) = listener.local_addr() {
        tracing::info!(%address, "panhe simulator listening");
    }
    axum::serve(listener, router(config))
        .with_graceful_shutdown(shutdown)
        .await
}
