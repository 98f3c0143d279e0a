//! The simulated 12306's accounts: passwords, login state, passengers with
//! their identity and mobile checks, the SMS codes it sends and the
//! messages each phone received.
//!
//! Times are provider time. A status that changes with time is stored as
//! the instant it changes and computed when read.

use std::collections::hash_map::RandomState;
use std::collections::{BTreeMap, HashMap};
use std::hash::{BuildHasher, Hasher};
use std::time::Duration;

use chrono::{Datelike, Days, Months, NaiveDate, NaiveDateTime, TimeDelta};
use serde::Serialize;

use super::{AccountFault, SmsCode};
use crate::identity::id18_check_digit;
use crate::panhe::PanheSimConfig;
use crate::panhe::wire::Failure;

/// Most passengers on one account (seed: 同一账号下最多有15个常旅客).
pub const MAX_PASSENGERS: usize = 15;

/// What a password other than the account's gets, as 12306 words it.
pub const WRONG_PASSWORD: &str = "密码输入错误。如果输错次数超过4次,用户将被锁定。";

/// identityVerifyStatus (seed: 0未通过 1已通过 2未知 3待核验 4请报验 5预通过).
pub const IDENTITY_FAILED: i64 = 0;
pub const IDENTITY_VERIFIED: i64 = 1;
pub const IDENTITY_PENDING: i64 = 3;
pub const IDENTITY_REPORT: i64 = 4;

/// The first passenger id handed out: the seed's example id (1691138393);
/// later ones count up from it, across accounts.
const FIRST_PASSENGER_ID: i64 = 1_691_138_393;

/// A code the simulated 12306 sent, and when.
#[derive(Debug, Clone)]
pub(super) struct IssuedCode {
    pub code: String,
    pub sent_at: NaiveDateTime,
}

/// How a submitted code compares with the one issued.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum CodeCheck {
    Valid,
    Expired,
    Wrong,
}

impl IssuedCode {
    /// Expiry first: an expired code is expired whatever was typed.
    pub(super) fn check(&self, submitted: &str, now: NaiveDateTime, ttl: Duration) -> CodeCheck {
        if now > self.sent_at + span(ttl) {
            CodeCheck::Expired
        } else if submitted == self.code {
            CodeCheck::Valid
        } else {
            CodeCheck::Wrong
        }
    }

    /// [`IssuedCode::check`] as the seed's failure messages.
    pub(super) fn verify(
        &self,
        submitted: &str,
        now: NaiveDateTime,
        ttl: Duration,
    ) -> Result<(), Failure> {
        match self.check(submitted, now, ttl) {
            CodeCheck::Valid => Ok(()),
            CodeCheck::Expired => Err(Failure("验证码已过期".into())),
            CodeCheck::Wrong => Err(Failure("验证码错误".into())),
        }
    }
}

/// Provider-time span of a configured duration.
pub(super) fn span(duration: Duration) -> TimeDelta {
    TimeDelta::from_std(duration).unwrap_or(TimeDelta::MAX)
}

/// Why 12306 sent a code; decides the message's wording.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum SmsPurpose {
    Register,
    Login,
    PasswordReset,
    PasswordChange,
}

impl SmsPurpose {
    /// The message, in the seed's wording for 找回密码 and the same form for
    /// the others.
    fn text(self, code: &str) -> String {
        let service = match self {
            SmsPurpose::Register => "正在申请注册服务",
            SmsPurpose::Login => "正在进行登录短信验证",
            SmsPurpose::PasswordReset => "正在申请找回密码服务",
            SmsPurpose::PasswordChange => "正在申请修改密码服务",
        };
        format!(
            "【12306】验证码:{code},切勿转发。12306网站用户{service}。如非本人操作,请忽略本短信。"
        )
    }
}

/// One message in a phone's outbox.
#[derive(Debug, Clone)]
pub(super) struct Sms {
    pub text: String,
    pub code: String,
}

/// A passenger of an account.
#[derive(Debug, Clone)]
pub(super) struct Passenger {
    pub id: i64,
    pub details: PassengerDetails,
    pub is_user_self: bool,
    /// When it was added (or the account registered or first seen): the
    /// start of the one-month delete lock.
    pub added_at: NaiveDateTime,
    /// When the identity check settles, and its outcome; until then 3.
    pub identity_at: NaiveDateTime,
    pub identity_outcome: i64,
    /// When the mobile counts as verified; `None`: never.
    pub mobile_at: Option<NaiveDateTime>,
    /// The 8-digit code to text to 12306 while the mobile is unverified.
    pub verification_code: String,
}

/// What a caller says about a passenger (账号注册, 增/改常旅客).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct PassengerDetails {
    pub name: String,
    pub card_type: i64,
    pub card_no: String,
    pub mobile: String,
    pub passenger_type: i64,
    pub birthday: Option<NaiveDate>,
    pub sex: i64,
    pub country: String,
    pub email: String,
    pub address: String,
    pub card_valid_end: Option<NaiveDate>,
}

impl PassengerDetails {
    /// Whether this is the same document.
    pub fn same_card(&self, card_type: i64, card_no: &str) -> bool {
        self.card_type == card_type && self.card_no.eq_ignore_ascii_case(card_no)
    }
}

impl Passenger {
    /// A passenger whose checks start now, with the name triggers applied:
    /// `未通过` ends the identity check at 0, `请报验` at 4, and
    /// `手机待核验` leaves the mobile unverified for good.
    pub fn new(
        id: i64,
        details: PassengerDetails,
        is_user_self: bool,
        now: NaiveDateTime,
        config: &PanheSimConfig,
        verification_code: String,
    ) -> Passenger {
        let mut passenger = Passenger {
            id,
            details,
            is_user_self,
            added_at: now,
            identity_at: now,
            identity_outcome: IDENTITY_VERIFIED,
            mobile_at: None,
            verification_code,
        };
        passenger.restart_identity_check(now, config);
        passenger.restart_mobile_check(now, config);
        passenger
    }

    pub fn restart_identity_check(&mut self, now: NaiveDateTime, config: &PanheSimConfig) {
        let name = &self.details.name;
        self.identity_outcome = if name.contains("未通过") {
            IDENTITY_FAILED
        } else if name.contains("请报验") {
            IDENTITY_REPORT
        } else {
            IDENTITY_VERIFIED
        };
        self.identity_at = now + span(config.identity_check_delay);
    }

    pub fn restart_mobile_check(&mut self, now: NaiveDateTime, config: &PanheSimConfig) {
        self.mobile_at = (!self.details.name.contains("手机待核验"))
            .then(|| now + span(config.mobile_check_delay));
    }

    pub fn identity_status(&self, now: NaiveDateTime) -> i64 {
        if now >= self.identity_at {
            self.identity_outcome
        } else {
            IDENTITY_PENDING
        }
    }

    pub fn mobile_status(&self, now: NaiveDateTime) -> i64 {
        i64::from(self.mobile_at.is_some_and(|at| now >= at))
    }

    /// The code to text to 12306 while the mobile is unverified.
    pub fn pending_code(&self, now: NaiveDateTime) -> Option<String> {
        (self.mobile_status(now) == 0).then(|| self.verification_code.clone())
    }

    /// The first day it may be deleted: a month after it was added.
    pub fn deletable_from(&self) -> NaiveDate {
        let added = self.added_at.date();
        added.checked_add_months(Months::new(1)).unwrap_or(added)
    }

    fn snapshot(&self, now: NaiveDateTime) -> AccountPassenger {
        let details = &self.details;
        AccountPassenger {
            id: self.id,
            name: details.name.clone(),
            card_type: details.card_type,
            card_no: details.card_no.clone(),
            mobile: details.mobile.clone(),
            passenger_type: details.passenger_type,
            birthday: details.birthday,
            sex: details.sex,
            country: details.country.clone(),
            email: details.email.clone(),
            address: details.address.clone(),
            card_valid_end_date: details.card_valid_end,
            identity_verify_status: self.identity_status(now),
            mobile_verify_status: self.mobile_status(now),
            is_user_self: self.is_user_self,
            verification_code: self.pending_code(now),
            added_at: self.added_at,
        }
    }
}

/// A passenger as [`crate::panhe::SimState::account_passengers`] shows it:
/// unmasked, statuses at provider time now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AccountPassenger {
    pub id: i64,
    pub name: String,
    pub card_type: i64,
    pub card_no: String,
    pub mobile: String,
    pub passenger_type: i64,
    pub birthday: Option<NaiveDate>,
    pub sex: i64,
    pub country: String,
    pub email: String,
    pub address: String,
    pub card_valid_end_date: Option<NaiveDate>,
    pub identity_verify_status: i64,
    pub mobile_verify_status: i64,
    pub is_user_self: bool,
    /// The 8-digit mobile check code while the mobile is unverified.
    pub verification_code: Option<String>,
    pub added_at: NaiveDateTime,
}

/// An account as [`crate::panhe::SimState::account`] shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AccountSnapshot {
    pub train_account: String,
    pub password: String,
    /// Created by 账号注册 (false: first seen by another endpoint).
    pub registered: bool,
    /// The `sms` trigger: login needs SMS verification.
    pub needs_sms_login: bool,
    pub logged_in: bool,
    pub face_verified: bool,
    /// The holder first.
    pub passengers: Vec<AccountPassenger>,
}

/// 修改密码's first step, waiting for its code.
#[derive(Debug, Clone)]
pub(super) struct PasswordChange {
    pub new_password: String,
    pub code: IssuedCode,
}

/// A 找回密码 request that matched an account.
#[derive(Debug, Clone)]
pub(super) struct PasswordReset {
    pub train_account: String,
    pub code: IssuedCode,
    pub done: bool,
}

/// One 12306 account.
#[derive(Debug, Clone)]
pub(super) struct Account {
    pub password: String,
    pub registered: bool,
    pub needs_sms_login: bool,
    /// Whether an SMS-verified login is in place (only matters with
    /// `needs_sms_login`); a password change ends it.
    pub logged_in: bool,
    pub login_code: Option<IssuedCode>,
    pub password_change: Option<PasswordChange>,
    pub face_verified: bool,
    /// The holder first.
    pub passengers: Vec<Passenger>,
}

impl Account {
    /// A new account for `holder`; the `sms` trigger is read from its name.
    pub fn new(train_account: &str, password: &str, registered: bool, holder: Passenger) -> Self {
        let needs_sms_login = train_account.contains("sms");
        Account {
            password: password.to_owned(),
            registered,
            needs_sms_login,
            logged_in: !needs_sms_login,
            login_code: None,
            password_change: None,
            face_verified: false,
            passengers: vec![holder],
        }
    }

    pub fn holder(&self) -> &Passenger {
        &self.passengers[0]
    }

    pub fn holder_mut(&mut self) -> &mut Passenger {
        &mut self.passengers[0]
    }

    /// The holder mobile's last four digits.
    pub fn mobile_tail(&self) -> String {
        let digits: Vec<char> = self.holder().details.mobile.chars().collect();
        digits[digits.len().saturating_sub(4)..].iter().collect()
    }

    /// Refuses a call that needs the login to be complete.
    pub fn require_login(&self) -> Result<(), Failure> {
        if self.logged_in {
            return Ok(());
        }
        Err(Failure(format!(
            "12306账号登录需短信验证:请先调用登录校验,用手机尾号{}发送短信666至12306,再提交短信验证",
            self.mobile_tail()
        )))
    }

    pub fn snapshot(&self, train_account: &str, now: NaiveDateTime) -> AccountSnapshot {
        AccountSnapshot {
            train_account: train_account.to_owned(),
            password: self.password.clone(),
            registered: self.registered,
            needs_sms_login: self.needs_sms_login,
            logged_in: self.logged_in,
            face_verified: self.face_verified,
            passengers: self
                .passengers
                .iter()
                .map(|passenger| passenger.snapshot(now))
                .collect(),
        }
    }
}

/// Every account, code and message of one simulator.
#[derive(Debug, Default)]
pub(crate) struct AccountBook {
    pub(super) accounts: BTreeMap<String, Account>,
    /// Messages sent, by mobile.
    pub(super) outbox: HashMap<String, Vec<Sms>>,
    /// Registration codes (the answer to texting 999), by mobile.
    pub(super) register_codes: HashMap<String, IssuedCode>,
    /// 找回密码 requests by requestID; `None` for one that matched no
    /// account (its requestID is used up all the same).
    pub(super) reset_requests: HashMap<String, Option<PasswordReset>>,
    pub(super) faults: Vec<AccountFault>,
    last_passenger_id: i64,
    random: RandomState,
    draws: u64,
}

impl AccountBook {
    pub(super) fn next_passenger_id(&mut self) -> i64 {
        self.last_passenger_id = if self.last_passenger_id == 0 {
            FIRST_PASSENGER_ID
        } else {
            self.last_passenger_id + 1
        };
        self.last_passenger_id
    }

    /// `digits` random decimal digits.
    pub(super) fn random_digits(&mut self, digits: u32) -> String {
        let mut hasher = self.random.build_hasher();
        hasher.write_u64(self.draws);
        self.draws += 1;
        let value = hasher.finish() % 10u64.pow(digits);
        format!("{value:0width$}", width = digits as usize)
    }

    /// A 6-digit SMS code as configured.
    fn sms_code(&mut self, setting: &SmsCode) -> String {
        match setting {
            SmsCode::Random => self.random_digits(6),
            SmsCode::Fixed(code) => code.clone(),
        }
    }

    /// Draws a code and texts it to `mobile`; the code.
    pub(super) fn send_code(
        &mut self,
        config: &PanheSimConfig,
        mobile: &str,
        purpose: SmsPurpose,
        now: NaiveDateTime,
    ) -> String {
        let code = self.sms_code(&config.sms_code);
        tracing::debug!(?purpose, %now, "panhe sim sends an SMS code");
        self.outbox.entry(mobile.to_owned()).or_default().push(Sms {
            text: purpose.text(&code),
            code: code.clone(),
        });
        code
    }

    /// Creates the account as on first sight unless it exists.
    pub(super) fn ensure(
        &mut self,
        config: &PanheSimConfig,
        now: NaiveDateTime,
        train_account: &str,
        password: &str,
    ) {
        if self.accounts.contains_key(train_account) {
            return;
        }
        let id = self.next_passenger_id();
        let verification_code = self.random_digits(8);
        let mut holder = Passenger::new(
            id,
            made_up_holder(train_account),
            true,
            now,
            config,
            verification_code,
        );
        // An account 12306 already had: its holder is verified.
        holder.identity_at = now;
        holder.identity_outcome = IDENTITY_VERIFIED;
        holder.mobile_at = Some(now);
        let account = Account::new(train_account, password, false, holder);
        self.accounts.insert(train_account.to_owned(), account);
    }

    /// The account after the password check, created on first sight.
    pub(super) fn sign_in(
        &mut self,
        config: &PanheSimConfig,
        now: NaiveDateTime,
        train_account: &str,
        password: &str,
    ) -> Result<&mut Account, Failure> {
        self.ensure(config, now, train_account, password);
        let account = self
            .accounts
            .get_mut(train_account)
            .expect("ensured just now");
        if account.password != password {
            return Err(Failure(WRONG_PASSWORD.into()));
        }
        Ok(account)
    }

    /// [`AccountBook::sign_in`], then [`Account::require_login`].
    pub(super) fn logged_in(
        &mut self,
        config: &PanheSimConfig,
        now: NaiveDateTime,
        train_account: &str,
        password: &str,
    ) -> Result<&mut Account, Failure> {
        let account = self.sign_in(config, now, train_account, password)?;
        account.require_login()?;
        Ok(account)
    }
}

/// A made-up but plausible holder for an account 12306 "already had",
/// derived from the account name alone (same name, same holder): a common
/// name, a valid GB 11643 resident id, a 13x mobile.
pub(super) fn made_up_holder(train_account: &str) -> PassengerDetails {
    const SURNAMES: [&str; 16] = [
        "王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "胡", "朱", "高",
        "林",
    ];
    const GIVEN: [&str; 20] = [
        "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛",
        "明", "超", "秀英", "华", "平",
    ];
    const REGIONS: [&str; 8] = [
        "110105", "310104", "440106", "320506", "330106", "510107", "420106", "610113",
    ];
    let mut hasher = fnv::FnvHasher::default();
    hasher.write(train_account.as_bytes());
    let hash = hasher.finish();
    let pick = |shift: u32, len: usize| ((hash >> shift) % len as u64) as usize;
    let name = format!(
        "{}{}",
        SURNAMES[pick(0, SURNAMES.len())],
        GIVEN[pick(8, GIVEN.len())]
    );
    let first_day = NaiveDate::from_ymd_opt(1970, 1, 1).expect("a valid date");
    let birthday = first_day + Days::new((hash >> 16) % 12_000);
    let sequence = (hash >> 32) % 1000;
    let first17 = format!(
        "{}{}{sequence:03}",
        REGIONS[pick(48, REGIONS.len())],
        birthday.format("%Y%m%d")
    );
    let check = id18_check_digit(&first17).expect("17 digits");
    PassengerDetails {
        name,
        card_type: 1,
        card_no: format!("{first17}{check}"),
        mobile: format!("13{:09}", (hash >> 7) % 1_000_000_000),
        passenger_type: 1,
        birthday: Some(birthday),
        sex: if sequence % 2 == 1 { 1 } else { 2 },
        country: "CN".into(),
        email: String::new(),
        address: String::new(),
        card_valid_end: None,
    }
}

/// The birthday and sex an 18-character resident id encodes.
pub(super) fn id_birthday_and_sex(card_no: &str) -> (Option<NaiveDate>, Option<i64>) {
    let birthday = card_no
        .get(6..14)
        .and_then(|text| NaiveDate::parse_from_str(text, "%Y%m%d").ok())
        .filter(|date| date.year() >= 1900);
    let sex = card_no
        .as_bytes()
        .get(16)
        .filter(|byte| byte.is_ascii_digit())
        .map(|byte| if (byte - b'0') % 2 == 1 { 1 } else { 2 });
    (birthday, sex)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::id18_is_valid;

    #[test]
    fn made_up_holders_are_valid_and_stable() {
        for index in 0..2000 {
            let account = format!("account-{index}");
            let holder = made_up_holder(&account);
            assert!(id18_is_valid(&holder.card_no), "{}", holder.card_no);
            let (birthday, sex) = id_birthday_and_sex(&holder.card_no);
            assert_eq!(birthday, holder.birthday);
            assert_eq!(sex, Some(holder.sex));
            assert_eq!(holder.mobile.len(), 11);
            assert!(holder.mobile.bytes().all(|byte| byte.is_ascii_digit()));
            assert_eq!(made_up_holder(&account), holder);
        }
    }
}
