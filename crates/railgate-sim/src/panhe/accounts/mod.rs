//! Panhe's 12306 account endpoints (seed 002): 账号注册, 登录校验, 短信验证,
//! 人脸认证, 获取常旅客, 增/改常旅客, 修改账号本人信息, 删除常旅客, 找回密码
//! (获取验证码, 回填验证码) and 修改密码 (获取验证码, 提交).
//!
//! A second reading of the seed, independent of railgate's adapter. The
//! simulated 12306 keeps its accounts in memory ([`model`]): an account it
//! has never seen is created on first sight (12306 accounts exist outside
//! the sandbox) with a made-up holder, and remembers the password it was
//! first given. Statuses that change with time (identity and mobile checks)
//! are computed from provider time when read; nothing runs in the
//! background.
//!
//! # Layout
//! - [`model`]: accounts, passengers, SMS codes and the outbox.
//! - `login`: 登录校验, 短信验证, 人脸认证.
//! - `passengers`: 获取常旅客, 增/改常旅客, 修改账号本人信息, 删除常旅客.
//! - `register`: 账号注册 and the password rule.
//! - `passwords`: 找回密码 and 修改密码.
//!
//! # Scripting (tests)
//! [`SimState::script_account`] fails the next call of an endpoint;
//! [`SimState::text_999`] plays the user texting 999 to 12306 before
//! registering; [`SimState::sms_sent`] and [`SimState::last_sms_code`] read
//! a phone's messages; [`SimState::account`],
//! [`SimState::account_passengers`] and [`SimState::ensure_account`]
//! inspect and seed accounts. Triggers in account and passenger names are
//! in `docs/SIMULATOR.md`.

mod login;
pub mod model;
mod passengers;
mod passwords;
mod register;
#[cfg(test)]
mod tests;

use std::sync::{Arc, MutexGuard, PoisonError};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, post};
use serde::Serialize;

use super::params::Params;
use super::wire::{Envelope, Failure};
use super::{PanheSimConfig, SimState, endpoint};
use crate::panhe::paths::PanhePaths;
use model::{AccountBook, SmsPurpose};
pub use model::{AccountPassenger, AccountSnapshot};

/// How the simulated 12306 picks the 6-digit SMS codes it sends.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum SmsCode {
    /// A fresh random code each time (the default).
    #[default]
    Random,
    /// Always this code (6 digits), so a walk-through can type it. For
    /// 账号注册 it is accepted even without a prior [`SimState::text_999`].
    Fixed(String),
}

/// How 找回密码-获取验证码 spells the app key. Its field table says
/// `appkey`, every other endpoint `appKey`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AppKeySpelling {
    /// `appKey` only, like the rest of the API.
    CamelCase,
    /// `appkey` only, as the table prints it.
    LowerCase,
    /// Either spelling (the default).
    #[default]
    Either,
}

/// The account endpoints, for [`AccountFault`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AccountEndpoint {
    Register,
    CheckLogin,
    VerifySms,
    VerifyFace,
    ListPassengers,
    SavePassenger,
    UpdateAccountHolder,
    DeletePassenger,
    PasswordResetCode,
    PasswordReset,
    PasswordChangeCode,
    PasswordChange,
}

impl AccountEndpoint {
    /// Every account endpoint.
    pub const ALL: [AccountEndpoint; 12] = [
        AccountEndpoint::Register,
        AccountEndpoint::CheckLogin,
        AccountEndpoint::VerifySms,
        AccountEndpoint::VerifyFace,
        AccountEndpoint::ListPassengers,
        AccountEndpoint::SavePassenger,
        AccountEndpoint::UpdateAccountHolder,
        AccountEndpoint::DeletePassenger,
        AccountEndpoint::PasswordResetCode,
        AccountEndpoint::PasswordReset,
        AccountEndpoint::PasswordChangeCode,
        AccountEndpoint::PasswordChange,
    ];

    /// The endpoint's key in [`PanhePaths`].
    pub fn key(self) -> &'static str {
        match self {
            AccountEndpoint::Register => "account_register",
            AccountEndpoint::CheckLogin => "check_login",
            AccountEndpoint::VerifySms => "verify_sms",
            AccountEndpoint::VerifyFace => "verify_face",
            AccountEndpoint::ListPassengers => "list_passengers",
            AccountEndpoint::SavePassenger => "save_passenger",
            AccountEndpoint::UpdateAccountHolder => "update_account_holder",
            AccountEndpoint::DeletePassenger => "delete_passenger",
            AccountEndpoint::PasswordResetCode => "password_reset_code",
            AccountEndpoint::PasswordReset => "password_reset",
            AccountEndpoint::PasswordChangeCode => "password_change_code",
            AccountEndpoint::PasswordChange => "password_change",
        }
    }

    /// The three endpoints whose field tables say trainAccount and
    /// trainPassword may come "跟在url后" (in the query string).
    fn takes_query(self) -> bool {
        matches!(
            self,
            AccountEndpoint::CheckLogin
                | AccountEndpoint::VerifySms
                | AccountEndpoint::ListPassengers
        )
    }

    /// The spellings of the app key this endpoint accepts.
    fn app_key_names(self, config: &PanheSimConfig) -> &'static [&'static str] {
        if self != AccountEndpoint::PasswordResetCode {
            return &["appKey"];
        }
        match config.reset_code_app_key {
            AppKeySpelling::CamelCase => &["appKey"],
            AppKeySpelling::LowerCase => &["appkey"],
            AppKeySpelling::Either => &["appKey", "appkey"],
        }
    }
}

/// A failure scripted for the next call of an account endpoint: the call
/// answers `success:false` with this msg after the appKey check, and has
/// no effect. Faults queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccountFault {
    /// The next call of this endpoint fails with this msg.
    FailNext(AccountEndpoint, String),
    /// The next call of any account endpoint fails with this msg.
    FailNextAny(String),
}

/// What an endpoint's rules answer: `data` on success, or the whole
/// failure envelope (a [`Failure`] converts, with `data` null).
type Outcome<T> = Result<T, Envelope<T>>;

/// The signature of every account endpoint's rules.
type Handle<T> = fn(&SimState, &Params) -> Outcome<T>;

/// Routes of the account endpoints.
pub(super) fn routes(router: Router<Arc<SimState>>, paths: &PanhePaths) -> Router<Arc<SimState>> {
    use AccountEndpoint as E;
    router
        .route(
            &paths.account_register,
            route(E::Register, register::register),
        )
        .route(&paths.check_login, route(E::CheckLogin, login::check_login))
        .route(&paths.verify_sms, route(E::VerifySms, login::verify_sms))
        .route(&paths.verify_face, route(E::VerifyFace, login::verify_face))
        .route(
            &paths.list_passengers,
            route(E::ListPassengers, passengers::list),
        )
        .route(
            &paths.save_passenger,
            route(E::SavePassenger, passengers::save),
        )
        .route(
            &paths.update_account_holder,
            route(E::UpdateAccountHolder, passengers::update_holder),
        )
        .route(
            &paths.delete_passenger,
            route(E::DeletePassenger, passengers::delete),
        )
        .route(
            &paths.password_reset_code,
            route(E::PasswordResetCode, passwords::reset_code),
        )
        .route(
            &paths.password_reset,
            route(E::PasswordReset, passwords::reset),
        )
        .route(
            &paths.password_change_code,
            route(E::PasswordChangeCode, passwords::change_code),
        )
        .route(
            &paths.password_change,
            route(E::PasswordChange, passwords::change),
        )
}

fn route<T: Serialize + 'static>(
    which: AccountEndpoint,
    handle: Handle<T>,
) -> MethodRouter<Arc<SimState>> {
    endpoint(post(
        move |State(state): State<Arc<SimState>>, uri: Uri, headers: HeaderMap, body: Bytes| async move {
            respond(&state, which, &uri, &headers, &body, handle)
        },
    ))
}

/// Shared checks (content type, JSON, app key), a scripted fault, then
/// the endpoint's rules and the envelope. Synchronous: the account book is
/// never held across an await.
fn respond<T: Serialize>(
    state: &SimState,
    which: AccountEndpoint,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
    handle: Handle<T>,
) -> Response {
    let query = if which.takes_query() {
        uri.query()
    } else {
        None
    };
    let key_names = which.app_key_names(state.config());
    let params = match Params::parse_request(state, headers, body, query, key_names) {
        Ok(params) => params,
        Err(failure) => return failure.into_response(),
    };
    if let Some(msg) = state.take_account_fault(which) {
        tracing::debug!(endpoint = which.key(), %msg, "panhe sim scripted account failure");
        return Failure(msg).into_response();
    }
    match handle(state, &params) {
        Ok(data) => Envelope::ok(data).into_response(),
        Err(refusal) => {
            tracing::debug!(endpoint = which.key(), msg = %refusal.msg, "panhe sim account request refused");
            refusal.into_response()
        }
    }
}

impl SimState {
    /// The account book. Poisoning is ignored: every mutation leaves the
    /// book consistent before anything can panic.
    fn accounts(&self) -> MutexGuard<'_, AccountBook> {
        self.accounts.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn take_account_fault(&self, which: AccountEndpoint) -> Option<String> {
        let mut book = self.accounts();
        let index = book.faults.iter().position(|fault| match fault {
            AccountFault::FailNext(endpoint, _) => *endpoint == which,
            AccountFault::FailNextAny(_) => true,
        })?;
        match book.faults.remove(index) {
            AccountFault::FailNext(_, msg) | AccountFault::FailNextAny(msg) => Some(msg),
        }
    }

    /// Why createOrder's hold fails for `train_account`, if its login is
    /// not complete (seed 002, 创单占座: "下单前请确保用户12306账号登录成功,
    /// 否则会占位失败"). An account this 12306 has never seen books as
    /// before: it stands for an account logged in elsewhere.
    pub(super) fn login_refusal(&self, train_account: &str) -> Option<String> {
        let book = self.accounts();
        let account = book.accounts.get(train_account)?;
        account.require_login().err().map(|failure| failure.0)
    }

    /// Queue a failure for the next call of an account endpoint.
    pub fn script_account(&self, fault: AccountFault) {
        self.accounts().faults.push(fault);
    }

    /// The user texts 999 to 12306 from `mobile` (the seed's first step of
    /// 账号注册): 12306 answers with a registration code, returned here and
    /// in the phone's messages ([`SimState::sms_sent`]).
    pub fn text_999(&self, mobile: &str) -> String {
        let now = self.provider_now();
        let mut book = self.accounts();
        let code = book.send_code(&self.config, mobile, SmsPurpose::Register, now);
        book.register_codes.insert(
            mobile.to_owned(),
            model::IssuedCode {
                code: code.clone(),
                sent_at: now,
            },
        );
        code
    }

    /// Every SMS the simulated 12306 sent to `mobile`, oldest first
    /// (`【12306】验证码:456350,切勿转发。…`).
    pub fn sms_sent(&self, mobile: &str) -> Vec<String> {
        self.accounts()
            .outbox
            .get(mobile)
            .map(|messages| messages.iter().map(|sms| sms.text.clone()).collect())
            .unwrap_or_default()
    }

    /// The code of the last SMS sent to `mobile`.
    pub fn last_sms_code(&self, mobile: &str) -> Option<String> {
        self.accounts()
            .outbox
            .get(mobile)?
            .last()
            .map(|sms| sms.code.clone())
    }

    /// An account as the simulated 12306 holds it, statuses at provider
    /// time now; `None` if it has never been seen.
    pub fn account(&self, train_account: &str) -> Option<AccountSnapshot> {
        let now = self.provider_now();
        let book = self.accounts();
        book.accounts
            .get(train_account)
            .map(|account| account.snapshot(train_account, now))
    }

    /// An account's passengers, unmasked, the holder first.
    pub fn account_passengers(&self, train_account: &str) -> Option<Vec<AccountPassenger>> {
        self.account(train_account)
            .map(|account| account.passengers)
    }

    /// The account, created as on first sight (with `password`) if the
    /// simulator has never seen it; an existing account is left as it is.
    pub fn ensure_account(&self, train_account: &str, password: &str) -> AccountSnapshot {
        let now = self.provider_now();
        let mut book = self.accounts();
        book.ensure(&self.config, now, train_account, password);
        book.accounts[train_account].snapshot(train_account, now)
    }
}
