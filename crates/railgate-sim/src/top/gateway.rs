//! The TOP gateway's own checks, before the method sees anything: public
//! parameters, timestamp window and signature. Failures are TOP platform
//! errors: `error_response` with TOP's public error codes and no sub code.

use super::seed::{API_VERSION, METHOD};
use super::{ErrorResponse, TopSimConfig, signature};
use chrono::{NaiveDateTime, TimeDelta};
use secrecy::ExposeSecret;
use std::collections::BTreeMap;

/// The request's parameters, query string and form body merged.
pub type Params = BTreeMap<String, String>;

/// A platform error without a sub code.
pub fn platform_error(code: i64, msg: &str) -> ErrorResponse {
    ErrorResponse {
        code,
        msg: msg.to_owned(),
        sub_code: None,
        sub_msg: None,
    }
}

/// A required business parameter is missing (`isv.missing-parameter`).
pub fn missing_parameter(path: &str) -> ErrorResponse {
    ErrorResponse {
        code: 40,
        msg: "Missing Required Arguments".to_owned(),
        sub_code: Some("isv.missing-parameter".to_owned()),
        sub_msg: Some(format!("缺少必选参数:{path}")),
    }
}

/// A business parameter is invalid: the seed's own error example
/// (`50 Remote service error`, `isv.invalid-parameter`, `非法参数`).
pub fn invalid_parameter(path: &str) -> ErrorResponse {
    ErrorResponse {
        code: 50,
        msg: "Remote service error".to_owned(),
        sub_code: Some("isv.invalid-parameter".to_owned()),
        sub_msg: Some(format!("非法参数:{path}")),
    }
}

/// Checks the public parameters and the signature; returns the
/// `sign_method` used.
pub fn check_public(params: &Params, config: &TopSimConfig) -> Result<String, ErrorResponse> {
    let get = |name: &str| {
        params
            .get(name)
            .map(String::as_str)
            .filter(|value| !value.is_empty())
    };
    match get("method") {
        None => return Err(platform_error(21, "Missing Method")),
        Some(METHOD) => {}
        Some(_) => return Err(platform_error(22, "Invalid Method")),
    }
    match get("app_key") {
        None => return Err(platform_error(28, "Missing App Key")),
        Some(key) if key == config.app_key => {}
        Some(_) => return Err(platform_error(29, "Invalid App Key")),
    }
    let Some(timestamp) = get("timestamp") else {
        return Err(platform_error(30, "Missing Timestamp"));
    };
    if !timestamp_in_window(timestamp, config) {
        return Err(platform_error(31, "Invalid Timestamp"));
    }
    match get("v") {
        None => return Err(platform_error(32, "Missing Version")),
        Some(API_VERSION) => {}
        Some(_) => return Err(platform_error(33, "Invalid Version")),
    }
    // TOP answers XML without format=json; the fake speaks JSON only.
    if get("format") != Some("json") {
        return Err(platform_error(23, "Invalid Format"));
    }
    let Some(given) = get("sign") else {
        return Err(platform_error(24, "Missing Signature"));
    };
    // sign_method is one of TOP's required public parameters.
    let Some(method) = get("sign_method") else {
        return Err(platform_error(25, "Invalid Signature"));
    };
    let secret = config.app_secret.expose_secret().as_bytes();
    if !signature::is_valid(params, secret, method, given) {
        return Err(platform_error(25, "Invalid Signature"));
    }
    Ok(method.to_owned())
}

/// `yyyy-MM-dd HH:mm:ss` in GMT+8, within the configured skew of now (the
/// simulator clock is Asia/Shanghai local time, the same zone).
fn timestamp_in_window(text: &str, config: &TopSimConfig) -> bool {
    let Ok(local) = NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S") else {
        return false;
    };
    let Some(max_skew) = config.max_clock_skew else {
        return true;
    };
    let skew = local - (config.clock)();
    TimeDelta::from_std(max_skew).is_ok_and(|max| skew.abs() <= max)
}
