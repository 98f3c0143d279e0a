//! A simulator of Panhe's train REST API (seed 002), served by axum.
//!
//! Every endpoint is `POST <path>` with a JSON body carrying `appKey`;
//! paths come from [`PanhePaths`], so a path overridden in configuration
//! moves the simulated route with the adapter's. Answers are always HTTP 200
//! with Panhe's `{data, success, msg}` envelope, errors included (wrong
//! `appKey`, a missing or malformed parameter, an unknown station or train, a
//! date outside the 15-day presale window, even a body that is not JSON).
//!
//! Implemented: the read endpoints (余票查询, 经停站查询 V1 and V2,
//! 火车站列表) and the whole booking lifecycle (创单占座, 确认出票, 取消订单,
//! 退票, 申请/确认/取消改签, 查询订单详情) with its asynchronous steps, the
//! payment window and callbacks; see [`orders`]. And the 12306 account
//! endpoints (账号注册, 登录校验, 短信验证, 人脸认证, 常旅客, 找回/修改密码)
//! against an in-memory 12306; see [`accounts`].
//!
//! Time: "now" is [`SimState::provider_now`], the configured
//! [`PanheSimConfig::clock`] (Asia/Shanghai wall time, so tests can pin the
//! date) sped up by [`PanheSimConfig::clock_scale`].

pub mod accounts;
pub mod orders;
mod params;
pub mod paths;
mod query;
#[cfg(test)]
mod tests;
pub mod wire;

use std::fmt;
use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use axum::Router;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, post};
use chrono::{Days, NaiveDate, NaiveDateTime};

pub use crate::clock::{Clock, fixed_clock, shanghai_now};
use crate::fares::{self, SeatClass};
use crate::timetable::Timetable;
use accounts::model::AccountBook;
pub use accounts::{AccountEndpoint, AccountFault, AppKeySpelling, SmsCode};
use orders::Scripts;
use orders::model::OrderBook;
pub use paths::PanhePaths;
use wire::{Envelope, Failure};

/// The app key the simulator accepts unless configured otherwise.
pub const DEFAULT_APP_KEY: &str = "sandbox-panhe-app-key";

/// The secret key payments are signed with unless configured otherwise
/// (`md5(secretKey+orderNo+payAmount+secretKey)`). A sandbox value: it
/// protects nothing and is published here on purpose.
pub const DEFAULT_SECRET_KEY: &str = "sandbox-panhe-secret-key";

/// Days on sale, today included (12306's presale period).
pub const PRESALE_DAYS: u32 = 15;

/// How the simulator behaves.
#[derive(Clone)]
pub struct PanheSimConfig {
    /// The only `appKey` accepted.
    pub app_key: String,
    /// Endpoint paths, shared with the adapter's configuration.
    pub paths: PanhePaths,
    /// "Now" in Asia/Shanghai; decides today's date for the presale window.
    pub clock: Clock,
    /// The secret key of the payment signs (确认出票, 确认改签).
    pub secret_key: String,
    /// Provider seconds per real second: 1.0 is real time, 60.0 runs a
    /// provider minute per real second. Scales every delay below, the
    /// payment and change-confirmation windows, callback retry backoff and
    /// [`SimState::provider_now`].
    pub clock_scale: f64,
    /// Provider time from createOrder (or applyChange) to the seat-hold
    /// result.
    pub hold_delay: Duration,
    /// Provider time from a confirmation to the issuing result.
    pub issue_delay: Duration,
    /// Provider time from a refund request to its result.
    pub refund_delay: Duration,
    /// 单张票的出票服务费 in fen (the seed's example charges ¥2.50).
    pub service_fee_per_ticket_fen: u32,
    /// Where 退票 takes `remark`. Seed 002 is ambiguous: its field table
    /// lists it among the ticket's fields, its example puts it at the top
    /// level beside `tickets`. `false` (the default) reads the example: a
    /// remark inside a ticket is refused.
    pub refund_remark_in_ticket: bool,
    /// Whether createOrder and applyChange must carry `chooseSleeper`.
    /// Seed 002's tables mark it 是 (required), its createOrder example
    /// leaves it out; `true` (the default) reads the tables.
    pub choose_sleeper_required: bool,
    /// How the simulated 12306 picks its 6-digit SMS codes (login, 999
    /// registration, 找回密码, 修改密码).
    pub sms_code: SmsCode,
    /// How long an SMS code stays valid, provider time. The seed gives 60 s
    /// for 找回密码; the simulator uses the same for every code.
    pub sms_code_ttl: Duration,
    /// Provider time from adding a passenger (or registering an account)
    /// until its identity check settles (3 待核验 → 1, or a trigger's 0/4).
    pub identity_check_delay: Duration,
    /// Provider time from adding a passenger (or changing its mobile)
    /// until its mobile counts as verified (0 → 1).
    pub mobile_check_delay: Duration,
    /// Whether the account holder counts towards the 15 passengers of an
    /// account. The seed (同一账号下最多有15个常旅客) does not say; `true`
    /// (the default) counts every row 获取常旅客 lists.
    pub passenger_cap_counts_holder: bool,
    /// Which passengers the one-month delete lock covers. The seed:
    /// 常旅客添加成功后(身份核验状态为已核验的)一个月之内无法删除; `true` (the
    /// default) locks verified passengers only, `false` every passenger.
    pub delete_lock_verified_only: bool,
    /// The key of 账号注册's email. Its table row has no field name; the
    /// default is `email`, as 获取常旅客's example spells it.
    pub register_email_field: String,
    /// Which spelling of the app key 找回密码-获取验证码 accepts: its
    /// table says `appkey`, every other endpoint `appKey`. Default: either.
    pub reset_code_app_key: AppKeySpelling,
}

impl Default for PanheSimConfig {
    fn default() -> Self {
        PanheSimConfig {
            app_key: DEFAULT_APP_KEY.to_owned(),
            paths: PanhePaths::default(),
            clock: Arc::new(shanghai_now),
            secret_key: DEFAULT_SECRET_KEY.to_owned(),
            clock_scale: 1.0,
            hold_delay: Duration::from_secs(3),
            issue_delay: Duration::from_secs(5),
            refund_delay: Duration::from_secs(10),
            service_fee_per_ticket_fen: 250,
            refund_remark_in_ticket: false,
            choose_sleeper_required: true,
            sms_code: SmsCode::Random,
            sms_code_ttl: Duration::from_secs(60),
            identity_check_delay: Duration::from_secs(10 * 60),
            mobile_check_delay: Duration::from_secs(5 * 60),
            passenger_cap_counts_holder: true,
            delete_lock_verified_only: true,
            register_email_field: "email".to_owned(),
            reset_code_app_key: AppKeySpelling::Either,
        }
    }
}

impl fmt::Debug for PanheSimConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The app key is a credential, even a sandbox one: never printed.
        f.debug_struct("PanheSimConfig")
            .field("app_key", &"<redacted>")
            .field("secret_key", &"<redacted>")
            .field("paths", &self.paths)
            .field("clock_scale", &self.clock_scale)
            .field("hold_delay", &self.hold_delay)
            .field("issue_delay", &self.issue_delay)
            .field("refund_delay", &self.refund_delay)
            .field(
                "service_fee_per_ticket_fen",
                &self.service_fee_per_ticket_fen,
            )
            .field("refund_remark_in_ticket", &self.refund_remark_in_ticket)
            .field("choose_sleeper_required", &self.choose_sleeper_required)
            .field("sms_code", &self.sms_code)
            .field("sms_code_ttl", &self.sms_code_ttl)
            .field("identity_check_delay", &self.identity_check_delay)
            .field("mobile_check_delay", &self.mobile_check_delay)
            .field(
                "passenger_cap_counts_holder",
                &self.passenger_cap_counts_holder,
            )
            .field("delete_lock_verified_only", &self.delete_lock_verified_only)
            .field("register_email_field", &self.register_email_field)
            .field("reset_code_app_key", &self.reset_code_app_key)
            .finish_non_exhaustive()
    }
}

impl PanheSimConfig {
    /// Every path must start with `/` and be distinct, or axum cannot route
    /// them; the clock scale must be a positive number.
    pub fn validate(&self) -> Result<(), String> {
        if !(self.clock_scale.is_finite() && self.clock_scale > 0.0) {
            return Err(format!(
                "panhe simulator clock_scale must be positive: {}",
                self.clock_scale
            ));
        }
        if let SmsCode::Fixed(code) = &self.sms_code
            && !(code.len() == 6 && code.bytes().all(|byte| byte.is_ascii_digit()))
        {
            return Err(format!(
                "panhe simulator fixed sms_code must be 6 digits: {code:?}"
            ));
        }
        if self.sms_code_ttl.is_zero() {
            return Err("panhe simulator sms_code_ttl must be positive".to_owned());
        }
        if self.register_email_field.trim().is_empty() {
            return Err("panhe simulator register_email_field must not be empty".to_owned());
        }
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

/// Shared state of one simulator instance: the configuration, the order
/// book, the 12306 accounts and the test scripts. The timetable is process-wide and immutable.
///
/// Tests get it from [`router_with_state`] to inspect orders
/// ([`SimState::order`]) and script faults ([`SimState::script`]); see
/// [`orders`] for the whole scripting surface.
pub struct SimState {
    config: PanheSimConfig,
    /// When this simulator started, for the clock scale.
    started: Instant,
    /// Orders, change orders, sales and counters. Never held across an
    /// await.
    book: Mutex<OrderBook>,
    /// Scripted faults, callback mode and the callback log.
    scripts: Mutex<Scripts>,
    /// The simulated 12306's accounts, codes and SMS outbox. Never held
    /// across an await.
    accounts: Mutex<AccountBook>,
    /// Sends callbacks.
    http: reqwest::Client,
    /// 余票查询 requests received, for tests of caching and coalescing.
    search_requests: std::sync::atomic::AtomicU64,
}

impl SimState {
    /// How many 余票查询 (search) requests have arrived.
    pub fn search_requests(&self) -> u64 {
        self.search_requests
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    fn new(config: PanheSimConfig) -> SimState {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(5))
            .build()
            .unwrap_or_default();
        SimState {
            config,
            started: Instant::now(),
            book: Mutex::new(OrderBook::default()),
            scripts: Mutex::new(Scripts::default()),
            accounts: Mutex::new(AccountBook::default()),
            http,
            search_requests: std::sync::atomic::AtomicU64::new(0),
        }
    }

    /// The simulator's configuration.
    pub fn config(&self) -> &PanheSimConfig {
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
    /// [`fares::remaining`] minus what this simulator holds or has sold.
    pub fn remaining(
        &self,
        train_no: &str,
        date: NaiveDate,
        from: &str,
        to: &str,
        seat: SeatClass,
    ) -> u32 {
        let base = fares::remaining(train_no, date, from, to, seat);
        let key = orders::model::InventoryKey {
            train_no: train_no.to_owned(),
            date,
            from_station: from.to_owned(),
            to_station: to.to_owned(),
            seat,
        };
        base.saturating_sub(self.book().sold(&key))
    }

    /// The order book. Poisoning is ignored: every mutation leaves the book
    /// consistent before anything can panic.
    fn book(&self) -> MutexGuard<'_, OrderBook> {
        self.book.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn scripts(&self) -> MutexGuard<'_, Scripts> {
        self.scripts.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Today in Asia/Shanghai, provider time.
    fn today(&self) -> NaiveDate {
        self.provider_now().date()
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
    router_with_state(config).0
}

/// The simulator's router and its state, through which tests inspect
/// orders and script faults. Serve the router with [`serve_router`].
///
/// # Panics
/// If [`PanheSimConfig::validate`] fails.
pub fn router_with_state(config: PanheSimConfig) -> (Router, Arc<SimState>) {
    if let Err(problem) = config.validate() {
        panic!("invalid panhe simulator config: {problem}");
    }
    // Parse the timetable while the listener comes up; the first query waits
    // for it if it comes sooner.
    Timetable::preload_in_background();
    let paths = config.paths.clone();
    let state = Arc::new(SimState::new(config));
    let router = Router::new()
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
    let router = orders::routes(router, &paths);
    let router = accounts::routes(router, &paths);
    let router = router.fallback(not_found).with_state(Arc::clone(&state));
    (router, state)
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
        tracing::info!(%address, "panhe simulator listening");
    }
    axum::serve(listener, router)
        .with_graceful_shutdown(shutdown)
        .await
}
