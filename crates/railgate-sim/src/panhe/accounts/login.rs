//! 登录校验, 短信验证 (login SMS verification) and 人脸认证.

use base64::Engine;
use base64::engine::DecodePaddingMode;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use serde::Serialize;
use serde_json::Value;

use super::Outcome;
use super::model::{IssuedCode, SmsPurpose};
use crate::panhe::SimState;
use crate::panhe::params::Params;
use crate::panhe::wire::{Envelope, Failure};

/// Largest photo 人脸认证 takes, decoded (seed: 图片文件大小控制在100k以内).
pub const MAX_PHOTO_BYTES: usize = 100 * 1024;

/// Most photos in one 人脸认证 request (seed: 至少1张,最多2张).
pub const MAX_PHOTOS: usize = 2;

/// `data` of 登录校验.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct LoginCheck {
    is_pass: bool,
    error_msg: String,
}

impl LoginCheck {
    fn failed(msg: impl Into<String>) -> Self {
        LoginCheck {
            is_pass: false,
            error_msg: msg.into(),
        }
    }
}

/// 登录校验: `{trainAccount, trainPassword, lastDigits?}`. Every refusal
/// of the account is `isPass:false` with `errorMsg`; only a malformed
/// request is `success:false`.
///
/// An account with the `sms` trigger answers, until 短信验证 succeeds,
/// `请您用手机尾号{last4}发送短信666至12306` and "sends" a code to the
/// holder's mobile (as 12306 answers the user's 666). A code still valid is
/// not replaced, so two checks in a row do not void the first code.
pub(super) fn check_login(state: &SimState, params: &Params) -> Outcome<LoginCheck> {
    let train_account = params.required_str("trainAccount")?;
    let password = params.required_str("trainPassword")?;
    let last_digits = params.optional_str("lastDigits")?;
    let config = state.config();
    let now = state.provider_now();
    let mut book = state.accounts();
    let account = match book.sign_in(config, now, train_account, password) {
        Ok(account) => account,
        Err(failure) => return Ok(LoginCheck::failed(failure.0)),
    };
    if let Some(digits) = last_digits {
        let card_no = &account.holder().details.card_no;
        let tail: String = {
            let chars: Vec<char> = card_no.chars().collect();
            chars[chars.len().saturating_sub(4)..].iter().collect()
        };
        if !tail.eq_ignore_ascii_case(digits) {
            return Ok(LoginCheck::failed(
                "证件号后4位与12306账号绑定的证件号码不符",
            ));
        }
    }
    if account.logged_in {
        return Ok(LoginCheck {
            is_pass: true,
            error_msg: "已通过".into(),
        });
    }
    let tail = account.mobile_tail();
    let mobile = account.holder().details.mobile.clone();
    let valid = account
        .login_code
        .as_ref()
        .is_some_and(|code| now <= code.sent_at + super::model::span(config.sms_code_ttl));
    if !valid {
        let code = book.send_code(config, &mobile, SmsPurpose::Login, now);
        if let Some(account) = book.accounts.get_mut(train_account) {
            account.login_code = Some(IssuedCode { code, sent_at: now });
        }
    }
    Ok(LoginCheck::failed(format!(
        "请您用手机尾号{tail}发送短信666至12306"
    )))
}

/// 短信验证: `{trainAccount, trainPassword, msgCode, validateType}`; only
/// validateType 2 (登录验证) is served, 1 (注册验证) being deprecated.
pub(super) fn verify_sms(state: &SimState, params: &Params) -> Outcome<bool> {
    let train_account = params.required_str("trainAccount")?;
    let password = params.required_str("trainPassword")?;
    let msg_code = params.required_str("msgCode")?;
    match params.required_int("validateType")? {
        2 => {}
        1 => {
            return Err(Failure(
                "validateType=1(注册验证)已废弃,注册请直接在账号注册接口中通过msgCode字段一步完成"
                    .into(),
            )
            .into());
        }
        other => {
            return Err(
                Failure(format!("参数validateType格式错误,应为2(登录验证):{other}")).into(),
            );
        }
    }
    let config = state.config();
    let now = state.provider_now();
    let mut book = state.accounts();
    let account = book.sign_in(config, now, train_account, password)?;
    let Some(issued) = &account.login_code else {
        return Err(Failure(format!(
            "请先用手机尾号{}发送短信666至12306获取验证码",
            account.mobile_tail()
        ))
        .into());
    };
    issued.verify(msg_code, now, config.sms_code_ttl)?;
    account.login_code = None;
    account.logged_in = true;
    Ok(true)
}

/// 人脸认证: `{trainAccount, trainPassword, photos}`, 1–2 Base64 photos of
/// at most 100 KB each. An account containing `face-fail` fails as the
/// seed's example does: `{"data":false,"success":false,"msg":"人脸认证失败"}`.
pub(super) fn verify_face(state: &SimState, params: &Params) -> Outcome<bool> {
    let train_account = params.required_str("trainAccount")?;
    let password = params.required_str("trainPassword")?;
    check_photos(params)?;
    let config = state.config();
    let now = state.provider_now();
    let mut book = state.accounts();
    let account = book.sign_in(config, now, train_account, password)?;
    if train_account.contains("face-fail") {
        return Err(Envelope {
            data: Some(false),
            success: false,
            msg: "人脸认证失败".into(),
        });
    }
    account.face_verified = true;
    Ok(true)
}

/// Standard Base64, padding optional; line breaks and spaces (MIME-style
/// encoders insert them) are ignored.
const PHOTO_BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

fn check_photos(params: &Params) -> Result<(), Failure> {
    let photos = params.required_array("photos")?;
    if photos.len() > MAX_PHOTOS {
        return Err(Failure(format!(
            "参数photos格式错误,最多{MAX_PHOTOS}张照片,当前{}张",
            photos.len()
        )));
    }
    for (index, photo) in photos.iter().enumerate() {
        let field = params.field(&format!("photos[{index}]"));
        let text = match photo {
            Value::String(text) => text,
            _ => return Err(Failure(format!("参数{field}格式错误,应为Base64字符串"))),
        };
        let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
        if compact.is_empty() {
            return Err(Failure(format!("参数{field}不能为空")));
        }
        let bytes = PHOTO_BASE64
            .decode(&compact)
            .map_err(|_| Failure(format!("参数{field}格式错误,应为Base64字符串")))?;
        if bytes.len() > MAX_PHOTO_BYTES {
            return Err(Failure(format!(
                "照片{field}大小为{}字节,超过100K,请等比缩放压缩后再上传",
                bytes.len()
            )));
        }
    }
    Ok(())
}
