//! 账号注册 and the password rule it shares with 找回密码 and 修改密码.

use serde::Serialize;

use super::model::{Account, CodeCheck, Passenger};
use super::passengers::{Form, details};
use super::{Outcome, SmsCode};
use crate::panhe::SimState;
use crate::panhe::params::Params;

/// The seed's rule, as its register table words it.
pub const PASSWORD_RULE: &str = "不少于6位,必须且只能包含字母,数字,下划线中的两种或两种以上!";

/// Seed: 不少于6位,必须且只能包含字母,数字,下划线中的两种或两种以上. The
/// sandbox's cipher is plain text, so the rule applies to the value as
/// received.
pub fn password_is_valid(password: &str) -> bool {
    let only_allowed = password
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_');
    let kinds = [
        password.chars().any(|c| c.is_ascii_alphabetic()),
        password.chars().any(|c| c.is_ascii_digit()),
        password.contains('_'),
    ];
    password.chars().count() >= 6 && only_allowed && kinds.iter().filter(|kind| **kind).count() >= 2
}

/// `data` of 账号注册.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Registration {
    reg_submit_is_pass: bool,
    note: String,
}

impl Registration {
    fn refused(note: impl Into<String>) -> Self {
        Registration {
            reg_submit_is_pass: false,
            note: note.into(),
        }
    }
}

/// The seed's success note.
pub const REGISTERED_NOTE: &str =
    "您已完成注册,本网站将在24小时内对您的身份信息进行核验,通过后即可购票";

/// 账号注册. Fields in the table's order (trainAccount, trainPassword,
/// name, cardType, cardNo, mobile, passengerType, email, sex, countryCode,
/// cardValidEndDate, birthday, msgCode); then, each answered
/// `regSubmitIsPass:false` with a note as the seed's examples: the password
/// rule, a taken account name, a mobile another account uses, the code
/// texted back for 999.
pub(super) fn register(state: &SimState, params: &Params) -> Outcome<Registration> {
    let train_account = params.required_str("trainAccount")?;
    let password = params.required_str("trainPassword")?;
    let config = state.config();
    let details = details(params, Form::Register, config)?;
    let msg_code = params.required_str("msgCode")?;
    if !password_is_valid(password) {
        return Ok(Registration::refused(format!(
            "密码格式错误:{PASSWORD_RULE}"
        )));
    }
    let now = state.provider_now();
    let mut book = state.accounts();
    if book.accounts.contains_key(train_account) {
        return Ok(Registration::refused("该注册名已存在"));
    }
    let owner = book
        .accounts
        .values()
        .map(Account::holder)
        .find(|holder| holder.details.mobile == details.mobile);
    if let Some(owner) = owner {
        return Ok(Registration::refused(format!(
            "您输入的手机号码已被其他注册用户({})使用,请确认是否本人注册。如果此手机号是本人注册,您可使用此手机号进行登录,或返回登录页点击忘记密码进行重置密码;如果手机号不是您注册的,您可更换手机号码或致电12306客服协助处理。",
            mask_name(&owner.details.name)
        )));
    }
    let fixed = matches!(&config.sms_code, SmsCode::Fixed(code) if code == msg_code);
    if !fixed {
        let check = book
            .register_codes
            .get(&details.mobile)
            .map(|issued| issued.check(msg_code, now, config.sms_code_ttl));
        match check {
            Some(CodeCheck::Valid) => {}
            None => {
                return Ok(Registration::refused(
                    "请先用注册手机号发送短信999至12306获取验证码",
                ));
            }
            Some(CodeCheck::Expired) => {
                return Ok(Registration::refused(
                    "验证码已过期,请重新发送短信999至12306获取",
                ));
            }
            Some(CodeCheck::Wrong) => return Ok(Registration::refused("验证码错误")),
        }
    }
    book.register_codes.remove(&details.mobile);
    let id = book.next_passenger_id();
    let code = book.random_digits(8);
    let mut holder = Passenger::new(id, details, true, now, config, code);
    // The mobile was verified by the 999 exchange.
    holder.mobile_at = Some(now);
    let account = Account::new(train_account, password, true, holder);
    book.accounts.insert(train_account.to_owned(), account);
    Ok(Registration {
        reg_submit_is_pass: true,
        note: REGISTERED_NOTE.into(),
    })
}

/// `*杰`: every character but the last hidden, as the seed's note shows
/// the other account's holder.
fn mask_name(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let hidden = chars.len().saturating_sub(1);
    std::iter::repeat_n('*', hidden)
        .chain(chars.last().copied())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_seeds_password_rule() {
        for good in ["abc123", "abc_def", "123_456", "A1b2C3d4", "______1"] {
            assert!(password_is_valid(good), "{good}");
        }
        for bad in [
            "abc12",
            "abcdef",
            "123456",
            "______",
            "abc-123",
            "密码abc123",
            "Wmv70Z79f//uT+/ggruPuQ==",
            "",
        ] {
            assert!(!password_is_valid(bad), "{bad}");
        }
    }

    #[test]
    fn names_are_masked_but_the_last_character() {
        assert_eq!(mask_name("张杰"), "*杰");
        assert_eq!(mask_name("欧阳小杰"), "***杰");
        assert_eq!(mask_name("杰"), "杰");
    }
}
