//! The TOP gateway client: public parameters, signing, one form-encoded
//! POST, and the one place that decides whether an answer is a success, a
//! retryable failure or a permanent one.
//!
//! Classification ([`TopError::disposition`]):
//! - retryable: network errors, timeouts, HTTP 5xx / 408 / 429, an answer
//!   that is not TOP's JSON (a proxy's error page), `error_response` with an
//!   `isp.*` sub code (TOP's or the service's own fault), or without a sub
//!   code and a platform code that means "try later" (7 call limit, 10
//!   unavailable, 15/50 remote service error), and a refusal whose
//!   `result_code` is 5xx;
//! - permanent: `error_response` with an `isv.*` sub code (the request is
//!   wrong: parameters, signature, permissions), any other platform code,
//!   other HTTP statuses and other refusals.
//!
//! Resending a callback is safe: it carries alitrip's order id, and its
//! content is the same each time.
//!
//! Nothing here logs parameters: they carry (encrypted) passenger data and
//! the signature.

use super::model::{self, BookCallbackParam, OrderInfo};
use super::sign::{SIGN_PARAM, SignMethod, sign};
use crate::domain::time::{SharedClock, SystemClock};
use crate::privacy::mask_free_text;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::Value;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// TOP's protocol version.
pub const API_VERSION: &str = "2.0";

/// Platform codes that mean "try again later" when no sub code says
/// otherwise: 7 App Call Limited, 10 Service Currently Unavailable, 15 and
/// 50 Remote service error.
const RETRYABLE_PLATFORM_CODES: [i64; 4] = [7, 10, 15, 50];

/// Where and how to call TOP.
#[derive(Debug, Clone)]
pub struct TopConfig {
    /// The gateway URL, e.g. `https://eco.taobao.com/router/rest`.
    pub gateway_url: String,
    /// The application's app_key.
    pub app_key: String,
    /// The application's secret: signs every request.
    pub app_secret: SecretString,
    /// How requests are signed.
    pub sign_method: SignMethod,
    /// `session` (user authorization), when alitrip issued one.
    pub session: Option<SecretString>,
    /// `partner_id`, when configured.
    pub partner_id: Option<String>,
    /// Per-request time limit.
    pub timeout: Duration,
}

/// Whether a failed call may succeed if sent again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Disposition {
    /// Send again later.
    Retryable,
    /// Sending the same request again cannot help.
    Permanent,
}

/// Why a TOP call did not succeed. Messages from TOP are masked; no
/// parameter value is ever included.
#[derive(Debug, thiserror::Error)]
pub enum TopError {
    /// No answer within the configured time.
    #[error("top gateway did not answer within {0:?}")]
    Timeout(Duration),
    /// Connecting or transferring failed.
    #[error("top gateway unreachable")]
    Network(#[source] reqwest::Error),
    /// A non-2xx HTTP status.
    #[error("top gateway answered http {0}")]
    HttpStatus(u16),
    /// A 2xx answer that is not TOP's JSON.
    #[error("top gateway answer is not top json")]
    Malformed,
    /// `error_response`.
    #[error("top error {code} ({msg}), sub_code {sub_code:?} ({sub_msg:?})")]
    Platform {
        /// Platform error code.
        code: i64,
        /// Platform message.
        msg: String,
        /// Detailed code (`isv.*`, `isp.*`).
        sub_code: Option<String>,
        /// Detailed message.
        sub_msg: Option<String>,
    },
    /// The method answered, with `status` other than true.
    #[error("alitrip refused: result_code {result_code} ({result_msg})")]
    Refused {
        /// 返回结果码.
        result_code: String,
        /// 返回结果描述.
        result_msg: String,
    },
    /// The business parameter could not be encoded.
    #[error("could not encode the request")]
    Encode(#[source] serde_json::Error),
    /// The HTTP client could not be built.
    #[error("could not build the http client")]
    Client(#[source] reqwest::Error),
}

impl TopError {
    /// Whether sending again may help; see the module doc for the rules.
    pub fn disposition(&self) -> Disposition {
        let retryable = match self {
            TopError::Timeout(_) | TopError::Network(_) | TopError::Malformed => true,
            TopError::HttpStatus(status) => *status >= 500 || matches!(status, 408 | 429),
            TopError::Platform { code, sub_code, .. } => {
                platform_disposition(*code, sub_code.as_deref()) == Disposition::Retryable
            }
            TopError::Refused { result_code, .. } => result_code.starts_with('5'),
            TopError::Encode(_) | TopError::Client(_) => false,
        };
        if retryable {
            Disposition::Retryable
        } else {
            Disposition::Permanent
        }
    }

    /// Shorthand for `disposition() == Retryable`.
    pub fn is_retryable(&self) -> bool {
        self.disposition() == Disposition::Retryable
    }
}

/// `isp.*` is retryable, `isv.*` permanent; otherwise the platform code
/// decides.
pub fn platform_disposition(code: i64, sub_code: Option<&str>) -> Disposition {
    match sub_code {
        Some(sub) if sub.starts_with("isp.") => Disposition::Retryable,
        Some(sub) if sub.starts_with("isv.") => Disposition::Permanent,
        _ if RETRYABLE_PLATFORM_CODES.contains(&code) => Disposition::Retryable,
        _ => Disposition::Permanent,
    }
}

/// A TOP client. Cheap to clone: the connection pool is shared.
#[derive(Clone)]
pub struct TopClient {
    http: reqwest::Client,
    config: Arc<TopConfig>,
    clock: SharedClock,
}

impl std::fmt::Debug for TopClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TopClient")
            .field("gateway_url", &self.config.gateway_url)
            .field("sign_method", &self.config.sign_method)
            .finish_non_exhaustive()
    }
}

impl TopClient {
    /// A client on the system clock.
    pub fn new(config: TopConfig) -> Result<Self, TopError> {
        Self::with_clock(config, Arc::new(SystemClock))
    }

    /// A client whose timestamps come from `clock` (tests).
    pub fn with_clock(config: TopConfig, clock: SharedClock) -> Result<Self, TopError> {
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .pool_idle_timeout(Duration::from_secs(90))
            .user_agent(concat!("railgate/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(TopError::Client)?;
        Ok(TopClient {
            http,
            config: Arc::new(config),
            clock,
        })
    }

    /// Sends `alitrip.btrip.supplychain.train.callback.book`.
    pub async fn send_book_callback(
        &self,
        param: &BookCallbackParam,
    ) -> Result<OrderInfo, TopError> {
        let json = serde_json::to_string(param).map_err(TopError::Encode)?;
        let body = self
            .call(model::METHOD, &[(model::PARAM_NAME, json.as_str())])
            .await?;
        read_book_answer(body)
    }

    /// The signed form of a call: public parameters, `business`, `sign`.
    pub fn signed_form(&self, method: &str, business: &[(&str, &str)]) -> Vec<(String, String)> {
        let config = &self.config;
        let timestamp = self
            .clock
            .now_local()
            .format("%Y-%m-%d %H:%M:%S")
            .to_string();
        let mut form: Vec<(String, String)> = vec![
            ("method".into(), method.into()),
            ("app_key".into(), config.app_key.clone()),
            ("timestamp".into(), timestamp),
            ("format".into(), "json".into()),
            ("v".into(), API_VERSION.into()),
            ("sign_method".into(), config.sign_method.as_str().into()),
        ];
        if let Some(partner_id) = &config.partner_id {
            form.push(("partner_id".into(), partner_id.clone()));
        }
        if let Some(session) = &config.session {
            form.push(("session".into(), session.expose_secret().to_owned()));
        }
        form.extend(
            business
                .iter()
                .map(|(name, value)| ((*name).to_owned(), (*value).to_owned())),
        );
        let signature = sign(
            form.iter()
                .map(|(name, value)| (name.as_str(), value.as_str())),
            &config.app_secret,
            config.sign_method,
        );
        form.push((SIGN_PARAM.into(), signature));
        form
    }

    /// Signs and POSTs one call; returns the body under the method's
    /// response key.
    pub async fn call(&self, method: &str, business: &[(&str, &str)]) -> Result<Value, TopError> {
        let started = Instant::now();
        let form = self.signed_form(method, business);
        let response = self
            .http
            .post(&self.config.gateway_url)
            .form(&form)
            .send()
            .await
            .map_err(|error| self.transport_error(error))?;
        let status = response.status();
        if !status.is_success() {
            tracing::warn!(method, status = status.as_u16(), "top http error");
            return Err(TopError::HttpStatus(status.as_u16()));
        }
        let bytes = response
            .bytes()
            .await
            .map_err(|error| self.transport_error(error))?;
        let outcome = read_answer(method, &bytes);
        match &outcome {
            Ok(_) => tracing::debug!(
                method,
                elapsed_ms = started.elapsed().as_millis() as u64,
                "top call"
            ),
            Err(error) => tracing::warn!(
                method,
                retryable = error.is_retryable(),
                error = %error,
                "top call failed"
            ),
        }
        outcome
    }

    fn transport_error(&self, error: reqwest::Error) -> TopError {
        if error.is_timeout() {
            TopError::Timeout(self.config.timeout)
        } else {
            TopError::Network(error.without_url())
        }
    }
}

/// The response key of a method: dots to underscores, plus `_response`.
pub fn response_key(method: &str) -> String {
    format!("{}_response", method.replace('.', "_"))
}

/// `error_response`, read leniently (TOP sends `code` as a number, some
/// proxies as a string).
#[derive(Deserialize)]
struct ErrorBody {
    #[serde(default)]
    code: Value,
    #[serde(default)]
    msg: Option<String>,
    #[serde(default)]
    sub_code: Option<String>,
    #[serde(default)]
    sub_msg: Option<String>,
}

/// Reads TOP's JSON answer to `method`: the body under its response key,
/// or the `error_response` as an error.
pub fn read_answer(method: &str, bytes: &[u8]) -> Result<Value, TopError> {
    let Ok(Value::Object(mut answer)) = serde_json::from_slice::<Value>(bytes) else {
        return Err(TopError::Malformed);
    };
    if let Some(error) = answer.remove("error_response") {
        let error: ErrorBody = serde_json::from_value(error).map_err(|_| TopError::Malformed)?;
        let code = match &error.code {
            Value::Number(number) => number.as_i64(),
            Value::String(text) => text.trim().parse().ok(),
            _ => None,
        }
        .unwrap_or_default();
        return Err(TopError::Platform {
            code,
            msg: mask_free_text(error.msg.as_deref().unwrap_or_default()),
            sub_code: error.sub_code,
            sub_msg: error.sub_msg.as_deref().map(mask_free_text),
        });
    }
    answer
        .remove(&response_key(method))
        .ok_or(TopError::Malformed)
}

/// The book callback's answer: `status` true (string or boolean) is
/// success; anything else a refusal.
#[derive(Deserialize)]
struct BookAnswer {
    #[serde(default)]
    data: Option<OrderInfo>,
    #[serde(default)]
    result_code: Value,
    #[serde(default)]
    status: Value,
    #[serde(default)]
    result_msg: Option<String>,
}

/// Reads the book callback's answer (the body under its response key).
/// pub(crate) for the fuzz targets (`crate::fuzzing`).
pub(crate) fn read_book_answer(body: Value) -> Result<OrderInfo, TopError> {
    let answer: BookAnswer = serde_json::from_value(body).map_err(|_| TopError::Malformed)?;
    let accepted = match &answer.status {
        Value::Bool(flag) => *flag,
        Value::String(text) => text == "true",
        _ => false,
    };
    if accepted {
        return Ok(answer.data.unwrap_or(OrderInfo {
            order_id: None,
            supplier_order_id: None,
        }));
    }
    let result_code = match answer.result_code {
        Value::String(text) => text,
        Value::Null => String::new(),
        other => other.to_string(),
    };
    Err(TopError::Refused {
        result_code,
        result_msg: mask_free_text(answer.result_msg.as_deref().unwrap_or_default()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::time::FixedClock;

    fn client(sign_method: SignMethod) -> TopClient {
        let config = TopConfig {
            gateway_url: "http://127.0.0.1:9/router/rest".into(),
            app_key: "12345678".into(),
            app_secret: SecretString::from("helloworld"),
            sign_method,
            session: Some(SecretString::from("test")),
            partner_id: Some("railgate".into()),
            timeout: Duration::from_secs(1),
        };
        // 2016-01-01 04:00 UTC is 12:00 in GMT+8.
        let clock = FixedClock("2016-01-01T04:00:00Z".parse().unwrap());
        TopClient::with_clock(config, Arc::new(clock)).unwrap()
    }

    #[test]
    fn builds_and_signs_the_public_parameters() {
        for method in SignMethod::ALL {
            let form = client(method).signed_form(model::METHOD, &[(model::PARAM_NAME, "{}")]);
            let get = |name: &str| {
                form.iter()
                    .find(|(key, _)| key == name)
                    .map(|(_, value)| value.as_str())
            };
            assert_eq!(get("method"), Some(model::METHOD));
            assert_eq!(get("app_key"), Some("12345678"));
            assert_eq!(get("timestamp"), Some("2016-01-01 12:00:00"), "GMT+8");
            assert_eq!(get("format"), Some("json"));
            assert_eq!(get("v"), Some("2.0"));
            assert_eq!(get("sign_method"), Some(method.as_str()));
            assert_eq!(get("partner_id"), Some("railgate"));
            assert_eq!(get("session"), Some("test"));
            assert_eq!(get(model::PARAM_NAME), Some("{}"));
            let expected = sign(
                form.iter()
                    .filter(|(key, _)| key != "sign")
                    .map(|(k, v)| (k.as_str(), v.as_str())),
                &SecretString::from("helloworld"),
                method,
            );
            assert_eq!(get("sign"), Some(expected.as_str()));
        }
    }

    #[test]
    fn the_published_example_signs_as_published() {
        // TOP's own example (see sign.rs) through the client's form.
        let config = TopConfig {
            session: Some(SecretString::from("test")),
            partner_id: None,
            ..client(SignMethod::Md5).config.as_ref().clone()
        };
        let clock = FixedClock("2016-01-01T04:00:00Z".parse().unwrap());
        let client = TopClient::with_clock(config, Arc::new(clock)).unwrap();
        let form = client.signed_form(
            "taobao.item.seller.get",
            &[
                ("fields", "num_iid,title,nick,price,num"),
                ("num_iid", "11223344"),
            ],
        );
        assert_eq!(
            form.last().unwrap(),
            &(
                "sign".to_owned(),
                "66987CB115214E59E6EC978214934FB8".to_owned()
            )
        );
    }

    #[test]
    fn reads_the_seed_success_answer() {
        let body = serde_json::json!({ model::RESPONSE_KEY: {
            "data": {"order_id": "123456789", "supplier_order_id": "987654321"},
            "result_code": "200", "status": "true", "result_msg": "成功"
        }});
        let bytes = serde_json::to_vec(&body).unwrap();
        let info = read_book_answer(read_answer(model::METHOD, &bytes).unwrap()).unwrap();
        assert_eq!(info.order_id.as_deref(), Some("123456789"));
        assert_eq!(info.supplier_order_id.as_deref(), Some("987654321"));
    }

    #[test]
    fn reads_the_seed_error_answer_as_permanent() {
        let body = r#"{"error_response":{"code":50,"msg":"Remote service error",
            "sub_code":"isv.invalid-parameter","sub_msg":"非法参数"}}"#;
        let error = read_answer(model::METHOD, body.as_bytes()).unwrap_err();
        assert!(matches!(
            &error,
            TopError::Platform { code: 50, sub_code: Some(sub), sub_msg: Some(msg), .. }
                if sub == "isv.invalid-parameter" && msg == "非法参数"
        ));
        assert_eq!(error.disposition(), Disposition::Permanent);
    }

    #[test]
    fn classifies_every_kind_of_failure() {
        let platform = |code, sub: Option<&str>| TopError::Platform {
            code,
            msg: String::new(),
            sub_code: sub.map(str::to_owned),
            sub_msg: None,
        };
        let refused = |code: &str| TopError::Refused {
            result_code: code.into(),
            result_msg: String::new(),
        };
        let cases = [
            (platform(15, Some("isp.remote-service-error")), true),
            (
                platform(50, Some("isp.top-remote-connection-timeout")),
                true,
            ),
            (platform(50, Some("isv.invalid-parameter")), false),
            (platform(40, Some("isv.missing-parameter")), false),
            (platform(25, None), false),
            (platform(7, None), true),
            (platform(10, None), true),
            (platform(15, Some("order-not-found")), true),
            (platform(41, Some("order-not-found")), false),
            (TopError::HttpStatus(502), true),
            (TopError::HttpStatus(429), true),
            (TopError::HttpStatus(404), false),
            (TopError::Malformed, true),
            (TopError::Timeout(Duration::from_secs(1)), true),
            (refused("500"), true),
            (refused("400"), false),
        ];
        for (error, retryable) in cases {
            assert_eq!(error.is_retryable(), retryable, "{error}");
        }
    }

    #[test]
    fn lenient_about_types_strict_about_shape() {
        let string_code = br#"{"error_response":{"code":"7","msg":"App Call Limited"}}"#;
        let error = read_answer(model::METHOD, string_code).unwrap_err();
        assert!(matches!(error, TopError::Platform { code: 7, .. }));
        assert!(error.is_retryable());

        let boolean_status = serde_json::json!({"status": true, "result_code": 200});
        assert!(read_book_answer(boolean_status).is_ok());
        let refused = serde_json::json!({"status": "false", "result_code": 400,
            "result_msg": "订单 123456789012 不存在"});
        match read_book_answer(refused).unwrap_err() {
            TopError::Refused {
                result_code,
                result_msg,
            } => {
                assert_eq!(result_code, "400");
                assert!(!result_msg.contains("123456789012"), "{result_msg}");
            }
            other => panic!("{other:?}"),
        }

        for bad in [&b"<html>502</html>"[..], b"[]", br#"{"other_response":{}}"#] {
            assert!(matches!(
                read_answer(model::METHOD, bad),
                Err(TopError::Malformed)
            ));
        }
    }

    #[test]
    fn debug_shows_no_secret() {
        let shown = format!("{:?}", client(SignMethod::Md5));
        assert!(!shown.contains("helloworld"), "{shown}");
    }
}
