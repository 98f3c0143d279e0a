//! 找回密码 (获取验证码, 回填验证码) and 修改密码 (获取验证码, 提交).
//!
//! Codes live `sms_code_ttl` of provider time (seed: 验证码有效期只有60秒).
//! A changed password ends an SMS-verified login.

use super::Outcome;
use super::model::{IssuedCode, PasswordChange, PasswordReset, SmsPurpose};
use super::passengers::card_type_name;
use super::register::{PASSWORD_RULE, password_is_valid};
use crate::panhe::SimState;
use crate::panhe::params::Params;
use crate::panhe::wire::Failure;

/// 找回密码-获取验证码: `{appkey, requestID, cardType, cardNo, mobile}`.
/// The document and mobile must be an account holder's; the code goes to
/// that mobile with the seed's text. Every requestID is used once, even
/// by a request that matched no account.
pub(super) fn reset_code(state: &SimState, params: &Params) -> Outcome<bool> {
    let request_id = params.required_str("requestID")?;
    let card_type = params.required_int("cardType")?;
    card_type_name(params, card_type)?;
    let card_no = params.required_str("cardNo")?;
    let mobile = params.required_str("mobile")?;
    let config = state.config();
    let now = state.provider_now();
    let mut book = state.accounts();
    if book.reset_requests.contains_key(request_id) {
        return Err(Failure(format!(
            "requestID重复,每次找回密码请求须使用新的requestID:{request_id}"
        ))
        .into());
    }
    let owner = book
        .accounts
        .iter()
        .find(|(_, account)| {
            let holder = &account.holder().details;
            holder.same_card(card_type, card_no) && holder.mobile == mobile
        })
        .map(|(name, _)| name.clone());
    let Some(train_account) = owner else {
        book.reset_requests.insert(request_id.to_owned(), None);
        return Err(Failure("证件号码或手机号与12306账号信息不匹配".into()).into());
    };
    let code = book.send_code(config, mobile, SmsPurpose::PasswordReset, now);
    book.reset_requests.insert(
        request_id.to_owned(),
        Some(PasswordReset {
            train_account,
            code: IssuedCode { code, sent_at: now },
            done: false,
        }),
    );
    Ok(true)
}

/// 找回密码-回填验证码: `{appKey, requestID, trainPassword,
/// verificationCode}`: the new password (the seed's rule) set if the code
/// of that request is right and not expired.
pub(super) fn reset(state: &SimState, params: &Params) -> Outcome<bool> {
    let request_id = params.required_str("requestID")?;
    let password = params.required_str("trainPassword")?;
    let submitted = params.required_str("verificationCode")?;
    let config = state.config();
    let now = state.provider_now();
    let mut book = state.accounts();
    let Some(Some(request)) = book.reset_requests.get(request_id) else {
        return Err(Failure(format!(
            "requestID不存在或未发送验证码,请先调用找回密码-获取验证码:{request_id}"
        ))
        .into());
    };
    if request.done {
        return Err(Failure("该找回密码请求已完成,请重新获取验证码".into()).into());
    }
    if !password_is_valid(password) {
        return Err(Failure(format!("密码格式错误:{PASSWORD_RULE}")).into());
    }
    request.code.verify(submitted, now, config.sms_code_ttl)?;
    let train_account = request.train_account.clone();
    if let Some(Some(request)) = book.reset_requests.get_mut(request_id) {
        request.done = true;
    }
    if let Some(account) = book.accounts.get_mut(&train_account) {
        password.clone_into(&mut account.password);
        account.logged_in = !account.needs_sms_login;
        account.password_change = None;
    }
    Ok(true)
}

/// What both steps of 修改密码 send.
struct ChangeFields<'p> {
    train_account: &'p str,
    old: &'p str,
    new: &'p str,
    /// Only in the second step.
    code: Option<&'p str>,
}

/// Presence in the table's order, then: the new password confirmed and
/// following the rule.
fn change_fields(params: &Params, with_code: bool) -> Result<ChangeFields<'_>, Failure> {
    let train_account = params.required_str("trainAccount")?;
    let old = params.required_str("oldTrainPassword")?;
    let new = params.required_str("newTrainPassword")?;
    let confirm = params.required_str("confirmTrainPassword")?;
    let code = if with_code {
        Some(params.required_str("verificationCode")?)
    } else {
        None
    };
    if new != confirm {
        return Err(Failure("两次输入的新密码不一致".into()));
    }
    if !password_is_valid(new) {
        return Err(Failure(format!("新密码格式错误:{PASSWORD_RULE}")));
    }
    Ok(ChangeFields {
        train_account,
        old,
        new,
        code,
    })
}

/// 修改密码-获取验证码: `{appKey, trainAccount, oldTrainPassword,
/// newTrainPassword, confirmTrainPassword}`; the code goes to the
/// holder's mobile. A new request replaces the one before.
pub(super) fn change_code(state: &SimState, params: &Params) -> Outcome<bool> {
    let ChangeFields {
        train_account,
        old,
        new,
        ..
    } = change_fields(params, false)?;
    let config = state.config();
    let now = state.provider_now();
    let mut book = state.accounts();
    let account = book.logged_in(config, now, train_account, old)?;
    let mobile = account.holder().details.mobile.clone();
    let code = book.send_code(config, &mobile, SmsPurpose::PasswordChange, now);
    if let Some(account) = book.accounts.get_mut(train_account) {
        account.password_change = Some(PasswordChange {
            new_password: new.to_owned(),
            code: IssuedCode { code, sent_at: now },
        });
    }
    Ok(true)
}

/// 修改密码-提交: the first step's fields and `verificationCode`; the new
/// password must be the one the code was sent for.
pub(super) fn change(state: &SimState, params: &Params) -> Outcome<bool> {
    let ChangeFields {
        train_account,
        old,
        new,
        code,
    } = change_fields(params, true)?;
    let submitted = code.unwrap_or_default();
    let config = state.config();
    let now = state.provider_now();
    let mut book = state.accounts();
    let account = book.logged_in(config, now, train_account, old)?;
    let Some(pending) = &account.password_change else {
        return Err(Failure("请先调用修改密码-获取验证码".into()).into());
    };
    if pending.new_password != new {
        return Err(Failure("新密码与获取验证码时提交的不一致,请重新获取验证码".into()).into());
    }
    pending.code.verify(submitted, now, config.sms_code_ttl)?;
    new.clone_into(&mut account.password);
    account.password_change = None;
    account.logged_in = !account.needs_sms_login;
    Ok(true)
}
