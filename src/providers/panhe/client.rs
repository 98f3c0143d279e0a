//! HTTP transport to Panhe: one pooled reqwest client behind the provider
//! stack (limits, timeout), JSON bodies with the appKey, and the
//! `{data, success, msg}` envelope unwrapped in one place.

use super::codes::classify_refusal;
use super::paths::PanhePaths;
use super::wire::{Authenticated, BareEnvelope, Envelope};
use crate::domain::ProviderId;
use crate::privacy::mask_free_text;
use crate::providers::ProviderError;
use crate::providers::stack::{self, ProviderLimits, ProviderStack};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize, de::DeserializeOwned};
use std::time::{Duration, Instant};

const PROVIDER: ProviderId = ProviderId::Panhe;

/// Where and how to reach Panhe.
#[derive(Debug, Clone)]
pub struct PanheClientConfig {
    /// Base URL, e.g. `http://api.panhe.net`, without a trailing slash.
    pub base_url: String,
    /// The account's appKey.
    pub app_key: SecretString,
    /// Endpoint paths.
    pub paths: PanhePaths,
    /// Timeout, concurrency and rate limits.
    pub limits: ProviderLimits,
}

/// A Panhe API client. Cheap to clone: the connection pool is shared.
#[derive(Debug, Clone)]
pub struct PanheClient {
    http: reqwest::Client,
    stack: ProviderStack,
    base_url: String,
    app_key: SecretString,
    /// Endpoint paths (public so callers name the endpoint they call).
    pub paths: PanhePaths,
}

impl PanheClient {
    /// Uses `resilience` (circuit breaker, read retries) instead of the
    /// defaults.
    pub fn with_resilience(mut self, resilience: crate::providers::stack::Resilience) -> Self {
        self.stack.set_resilience(resilience);
        self
    }

    /// Records every call's duration and outcome in `metrics`.
    pub fn with_metrics(mut self, metrics: crate::metrics::Metrics) -> Self {
        self.stack.set_metrics(metrics);
        self
    }

    /// Builds a client with its own connection pool and provider stack.
    /// Must run inside a tokio runtime.
    pub fn new(config: PanheClientConfig) -> Result<Self, reqwest::Error> {
        let http = reqwest::Client::builder()
            // The stack's timeout ends at the response head; this one also
            // bounds reading the body.
            .timeout(config.limits.timeout)
            .pool_idle_timeout(Duration::from_secs(90))
            .user_agent(concat!("railgate/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Self {
            stack: stack::build(PROVIDER, http.clone(), config.limits),
            http,
            base_url: config.base_url.trim_end_matches('/').to_owned(),
            app_key: config.app_key,
            paths: config.paths,
        })
    }

    /// The base URL in use.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// POSTs `body` (plus appKey) to `path` and returns the envelope's data.
    /// A `success:false` answer becomes `ProviderError::Rejected`.
    pub async fn call<B, T>(&self, path: &str, body: &B) -> Result<T, ProviderError>
    where
        B: Serialize,
        T: DeserializeOwned,
    {
        let bytes = self.post(path, body).await?;
        unwrap_answer(&bytes, path, body)
    }

    /// POSTs `body` (plus appKey) to `path` and returns the raw body of a
    /// 200 answer, for a caller that must read a refusal before
    /// [`unwrap_envelope`] masks its message. The body may carry personal
    /// data: never log it.
    pub async fn post<B: Serialize>(&self, path: &str, body: &B) -> Result<Vec<u8>, ProviderError> {
        let started = Instant::now();
        let url = format!("{}{}", self.base_url, path);
        let request = Authenticated {
            app_key: self.app_key.expose_secret(),
            body,
        };
        let request = self
            .http
            .post(&url)
            .json(&request)
            .build()
            .map_err(|error| self.stack.classify(error.without_url().into()))?;
        let lane = self.paths.lane(path);
        let response = if self.paths.is_read(path) {
            self.stack.send_read(lane, request).await?
        } else {
            self.stack.send(lane, request).await?
        };
        let status = response.status();
        if !status.is_success() {
            tracing::warn!(provider = %PROVIDER, path, status = status.as_u16(), "provider http error");
            return Err(ProviderError::HttpStatus {
                provider: PROVIDER,
                status: status.as_u16(),
            });
        }
        let bytes = response
            .bytes()
            .await
            .map_err(|error| self.stack.classify(error.without_url().into()))?;
        tracing::debug!(provider = %PROVIDER, path, elapsed_ms = started.elapsed().as_millis() as u64, "provider call");
        Ok(bytes.to_vec())
    }
}

/// Reads `{data, success, msg}`: the data on success, a classified rejection
/// on failure, `Malformed` for anything else (without echoing the body,
/// which may carry personal data).
pub fn unwrap_envelope<'a, T: Deserialize<'a>>(
    bytes: &'a [u8],
    path: &str,
) -> Result<T, ProviderError> {
    read_envelope(bytes, path, Vec::new)
}

/// [`unwrap_envelope`] for the answer to `request`: a refusal is classified
/// on Panhe's own words, without the values the request sent (Panhe's
/// messages quote them, and a client chose them).
pub fn unwrap_answer<'a, T: Deserialize<'a>, B: Serialize>(
    bytes: &'a [u8],
    path: &str,
    request: &B,
) -> Result<T, ProviderError> {
    read_envelope(bytes, path, || sent_text(request))
}

/// Reads the answer of an endpoint whose `data` says nothing more than
/// `success` does (`true`, or null as 删除常旅客 answers): `Ok` on success,
/// a classified rejection on failure.
pub fn unwrap_acknowledgement<B: Serialize>(
    bytes: &[u8],
    path: &str,
    request: &B,
) -> Result<(), ProviderError> {
    match from_body::<BareEnvelope>(bytes) {
        Ok(BareEnvelope { success: true, .. }) => Ok(()),
        Ok(BareEnvelope {
            success: false,
            msg,
        }) => Err(rejected(msg, &sent_text(request))),
        Err(error) => Err(malformed(path, error.to_string())),
    }
}

fn read_envelope<'a, T: Deserialize<'a>>(
    bytes: &'a [u8],
    path: &str,
    sent: impl FnOnce() -> Vec<String>,
) -> Result<T, ProviderError> {
    match from_body::<Envelope<T>>(bytes) {
        Ok(Envelope {
            success: true,
            data: Some(data),
            ..
        }) => Ok(data),
        Ok(Envelope {
            success: true,
            data: None,
            ..
        }) => Err(malformed(path, "success without data".to_owned())),
        Ok(Envelope {
            success: false,
            msg,
            ..
        }) => Err(rejected(msg, &sent())),
        Err(parse_error) => match serde_json::from_slice::<BareEnvelope>(bytes) {
            Ok(BareEnvelope {
                success: false,
                msg,
            }) => Err(rejected(msg, &sent())),
            _ => Err(malformed(path, parse_error.to_string())),
        },
    }
}

/// Every string value of `request`, however deep: what a refusal may quote.
fn sent_text<B: Serialize>(request: &B) -> Vec<String> {
    fn collect(value: &serde_json::Value, out: &mut Vec<String>) {
        match value {
            serde_json::Value::String(text) => out.push(text.clone()),
            serde_json::Value::Array(items) => items.iter().for_each(|item| collect(item, out)),
            serde_json::Value::Object(fields) => {
                fields.values().for_each(|item| collect(item, out))
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    if let Ok(value) = serde_json::to_value(request) {
        collect(&value, &mut out);
    }
    out
}

/// serde_json checks the UTF-8 of every string it reads from bytes, but
/// not from a `&str`: one check of the whole body costs far less. A body
/// that is not UTF-8 is read from bytes, so it fails exactly as before.
fn from_body<'a, T: Deserialize<'a>>(bytes: &'a [u8]) -> serde_json::Result<T> {
    match std::str::from_utf8(bytes) {
        Ok(text) => serde_json::from_str(text),
        Err(_) => serde_json::from_slice(bytes),
    }
}

fn rejected(msg: Option<String>, sent: &[String]) -> ProviderError {
    let raw = msg.unwrap_or_default();
    let reason = classify_refusal(&raw, sent);
    // Panhe's messages quote passenger details at times; they travel on into
    // logs and error metadata, so numbers are masked here, at the boundary.
    let message = mask_free_text(&raw);
    ProviderError::Rejected {
        provider: PROVIDER,
        reason,
        code: None,
        message,
    }
}

fn malformed(path: &str, detail: String) -> ProviderError {
    ProviderError::Malformed {
        provider: PROVIDER,
        detail: format!("{path}: {detail}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::RejectReason;

    #[test]
    fn unwraps_success() {
        let data: bool =
            unwrap_envelope(br#"{"data":true,"success":true,"msg":"ok"}"#, "/p").unwrap();
        assert!(data);
    }

    #[test]
    fn classifies_failures() {
        let error = unwrap_envelope::<bool>(
            r#"{"data":null,"success":false,"msg":"appKey错误"}"#.as_bytes(),
            "/p",
        )
        .unwrap_err();
        assert!(matches!(
            error,
            ProviderError::Rejected { reason: RejectReason::AuthFailed, ref message, .. } if message == "appKey错误"
        ));
    }

    #[test]
    fn rejection_messages_are_masked() {
        let error = unwrap_envelope::<bool>(
            r#"{"data":null,"success":false,"msg":"乘客320382199001013916身份核验未通过"}"#
                .as_bytes(),
            "/p",
        )
        .unwrap_err();
        match error {
            ProviderError::Rejected {
                message, reason, ..
            } => {
                assert_eq!(message, "乘客320*************16身份核验未通过");
                assert_eq!(reason, RejectReason::PassengerIdentityUnverified);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn failure_with_odd_data_still_reads_the_message() {
        let error = unwrap_envelope::<Vec<u32>>(
            r#"{"data":false,"success":false,"msg":"人脸认证失败"}"#.as_bytes(),
            "/p",
        )
        .unwrap_err();
        assert!(
            matches!(error, ProviderError::Rejected { ref message, .. } if message == "人脸认证失败")
        );
    }

    #[test]
    fn garbage_is_malformed_without_echoing_the_body() {
        let error = unwrap_envelope::<bool>(b"<html>110101199001011234</html>", "/p").unwrap_err();
        match error {
            ProviderError::Malformed { detail, .. } => assert!(!detail.contains("110101")),
            other => panic!("{other:?}"),
        }
        let error = unwrap_envelope::<bool>(br#"{"data":null,"success":true}"#, "/p").unwrap_err();
        assert!(matches!(error, ProviderError::Malformed { .. }));
    }
}
