//! HTTP transport to Juhe: every call is a form POST carrying the `key`
//! (all endpoints accept POST; submitOrder accepts nothing else), and the
//! `{reason, result, error_code}` envelope is unwrapped in one place.
//!
//! POST rather than the seed's GET examples keeps the key and order numbers
//! out of URLs, which proxies and access logs record.

use super::PROVIDER;
use super::callback_wire::{AddCallbackUrlRequest, CallbackType};
use super::codes::classify_error;
use super::order_wire::{
    ApplyRefundRequest, CancelOrderRequest, CancelOrderResult, GrabOrderDetail, IssuedOrderDetail,
    OrderDetailRequest, RefundApplication, SubmitOrderRequest, SubmitOrderResult,
};
use super::paths::JuhePaths;
use super::wire::{
    DataDictionary, DataDictionaryRequest, Envelope, Keyed, SearchRequest, SearchResult,
};
use crate::privacy::mask_free_text;
use crate::providers::ProviderError;
use crate::providers::stack::{self, ProviderLimits, ProviderStack};
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use serde::de::{DeserializeOwned, IgnoredAny};
use std::time::{Duration, Instant};

/// Where and how to reach Juhe.
#[derive(Debug, Clone)]
pub struct JuheClientConfig {
    /// Base URL without a trailing slash, e.g.
    /// [`super::paths::DEFAULT_BASE_URL`].
    pub base_url: String,
    /// The account's key.
    pub key: SecretString,
    /// Endpoint paths.
    pub paths: JuhePaths,
    /// Timeout, concurrency and rate limits (the account's quota).
    pub limits: ProviderLimits,
}

/// A Juhe API client. Cheap to clone; the reqwest client (and its
/// connection pool) is the one passed in, wrapped in Juhe's provider stack.
#[derive(Debug, Clone)]
pub struct JuheClient {
    http: reqwest::Client,
    stack: ProviderStack,
    base_url: String,
    key: SecretString,
    timeout: Duration,
    paths: JuhePaths,
}

impl JuheClient {
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

    /// A client sending through `http` and Juhe's limits. Must run inside
    /// a tokio runtime.
    pub fn new(http: reqwest::Client, config: JuheClientConfig) -> Self {
        Self {
            stack: stack::build(PROVIDER, http.clone(), config.limits),
            http,
            base_url: config.base_url.trim_end_matches('/').to_owned(),
            key: config.key,
            timeout: config.limits.timeout,
            paths: config.paths,
        }
    }

    /// The base URL in use.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// 站站查询: trains with fares, remaining tickets and the queryKey.
    pub async fn search(&self, request: &SearchRequest<'_>) -> Result<SearchResult, ProviderError> {
        self.call(&self.paths.search, request).await
    }

    /// 创建抢票单. Its outcome is unknown on a timeout or a 10014: ask
    /// [`JuheClient::order_detail`] rather than submitting again.
    pub async fn submit_order(
        &self,
        request: &SubmitOrderRequest<'_>,
    ) -> Result<SubmitOrderResult, ProviderError> {
        self.call(&self.paths.submit_order, request).await
    }

    /// 订单详情 without `issue`: the grab status, deadline and failure.
    pub async fn order_detail(&self, out_order_no: &str) -> Result<GrabOrderDetail, ProviderError> {
        let request = OrderDetailRequest {
            out_order_no,
            issue: None,
        };
        self.call(&self.paths.order_detail, &request).await
    }

    /// 订单详情 with `issue=1`: passengers with passengerId, seats and
    /// ticket states (no grab status).
    pub async fn issued_order_detail(
        &self,
        out_order_no: &str,
    ) -> Result<IssuedOrderDetail, ProviderError> {
        let request = OrderDetailRequest {
            out_order_no,
            issue: Some(1),
        };
        self.call(&self.paths.order_detail, &request).await
    }

    /// 取消订单 (only while grabbing).
    pub async fn cancel_order(
        &self,
        out_order_no: &str,
    ) -> Result<CancelOrderResult, ProviderError> {
        self.call(
            &self.paths.cancel_order,
            &CancelOrderRequest { out_order_no },
        )
        .await
    }

    /// 申请退票 for one passenger; the result comes by the refund callback.
    pub async fn apply_refund(
        &self,
        out_order_no: &str,
        passenger_id: &str,
    ) -> Result<RefundApplication, ProviderError> {
        let request = ApplyRefundRequest {
            out_order_no,
            passenger_id,
        };
        self.call(&self.paths.apply_refund, &request).await
    }

    /// 配置回调地址 for one callback type. The seed does not say whether a
    /// second registration replaces the first or adds to it; callers that
    /// register at every start rely on registering the same URL again
    /// changing nothing.
    pub async fn add_callback_url(
        &self,
        url: &str,
        callback_type: CallbackType,
    ) -> Result<(), ProviderError> {
        let request = AddCallbackUrlRequest { url, callback_type };
        let _: IgnoredAny = self.call(&self.paths.add_callback_url, &request).await?;
        Ok(())
    }

    /// 数据字典: Juhe's own code tables.
    pub async fn data_dictionary(&self) -> Result<DataDictionary, ProviderError> {
        self.call(&self.paths.data_dictionary, &DataDictionaryRequest {})
            .await
    }

    /// POSTs `body` plus the key as a form to `path` and reads the result.
    async fn call<B, T>(&self, path: &str, body: &B) -> Result<T, ProviderError>
    where
        B: Serialize,
        T: DeserializeOwned,
    {
        let started = Instant::now();
        let form = Keyed {
            key: self.key.expose_secret(),
            body,
        };
        let request = self
            .http
            .post(format!("{}{}", self.base_url, path))
            // Bounds reading the body too; the stack's timeout ends at the head.
            .timeout(self.timeout)
            .form(&form)
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
        unwrap_envelope(&bytes, path)
    }
}

/// Reads `{reason, result, error_code}`: the result when `error_code` is 0,
/// a classified rejection otherwise, `Malformed` for anything else (never
/// echoing the body, which may carry personal data).
pub fn unwrap_envelope<T: DeserializeOwned>(bytes: &[u8], path: &str) -> Result<T, ProviderError> {
    let envelope: Envelope =
        serde_json::from_slice(bytes).map_err(|error| malformed(path, &error))?;
    if envelope.error_code != 0 {
        return Err(rejected(envelope.error_code, envelope.reason));
    }
    serde_json::from_value(envelope.result).map_err(|error| malformed(path, &error))
}

fn rejected(error_code: i64, reason: Option<String>) -> ProviderError {
    // Juhe's reasons can quote passengers' document and phone numbers; they
    // travel on into logs and error metadata, so numbers are masked here.
    let message = mask_free_text(&reason.unwrap_or_default());
    ProviderError::Rejected {
        provider: PROVIDER,
        reason: classify_error(error_code, &message),
        code: Some(error_code.to_string()),
        message,
    }
}

fn malformed(path: &str, error: &serde_json::Error) -> ProviderError {
    ProviderError::Malformed {
        provider: PROVIDER,
        detail: format!(
            "{path}: {}",
            mask_free_text(&redact_quoted(&error.to_string()))
        ),
    }
}

/// serde_json names fields in backticks but quotes a wrong string value in
/// double quotes (`invalid type: string "张三", expected u32`); the value
/// may be personal data, so every double-quoted part is blanked. (A wrong
/// number is shown in backticks; `mask_free_text` masks long ones.)
fn redact_quoted(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut quoted = false;
    for c in text.chars() {
        if c == '"' {
            if quoted {
                out.push_str("…\"");
            } else {
                out.push('"');
            }
            quoted = !quoted;
        } else if !quoted {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::RejectReason;

    #[test]
    fn unwraps_success() {
        let result: SubmitOrderResult =
            unwrap_envelope(include_bytes!("testdata/submit_order.json"), "/s").unwrap();
        assert_eq!(result.out_order_no, "2016113001");
        let _: IgnoredAny =
            unwrap_envelope(include_bytes!("testdata/add_callback_url.json"), "/a").unwrap();
    }

    #[test]
    fn classifies_failures_and_keeps_the_code() {
        let error = unwrap_envelope::<CancelOrderResult>(
            include_bytes!("testdata/cancel_order_failed.json"),
            "/c",
        )
        .unwrap_err();
        match error {
            ProviderError::Rejected {
                reason,
                code,
                message,
                provider,
            } => {
                assert_eq!(provider, PROVIDER);
                assert_eq!(reason, RejectReason::OrderStateConflict);
                assert_eq!(code.as_deref(), Some("223801"));
                assert_eq!(message, "抢票取消失败");
            }
            other => panic!("{other:?}"),
        }
        let error = unwrap_envelope::<SearchResult>(
            r#"{"reason":"错误的请求KEY","result":null,"error_code":10001}"#.as_bytes(),
            "/s",
        )
        .unwrap_err();
        assert!(matches!(
            error,
            ProviderError::Rejected {
                reason: RejectReason::AuthFailed,
                ..
            }
        ));
    }

    #[test]
    fn rejection_messages_are_masked() {
        let body = r#"{"reason":"乘客身份信息未通过验证 320382199001013916","result":null,"error_code":225701}"#;
        let error = unwrap_envelope::<SearchResult>(body.as_bytes(), "/s").unwrap_err();
        match error {
            ProviderError::Rejected {
                message, reason, ..
            } => {
                assert_eq!(message, "乘客身份信息未通过验证 320*************16");
                assert_eq!(reason, RejectReason::PassengerIdentityUnverified);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn garbage_and_missing_results_are_malformed_without_echoing() {
        let error =
            unwrap_envelope::<SearchResult>(b"<html>110101199001011234</html>", "/s").unwrap_err();
        match error {
            ProviderError::Malformed { detail, .. } => assert!(!detail.contains("110101")),
            other => panic!("{other:?}"),
        }
        let error =
            unwrap_envelope::<SubmitOrderResult>(br#"{"reason":"success","error_code":0}"#, "/s")
                .unwrap_err();
        assert!(matches!(error, ProviderError::Malformed { .. }));
        let error = unwrap_envelope::<SubmitOrderResult>(
            br#"{"reason":"success","result":{"orderNo":"T1","outOrderNo":"110101199001011234X"},"error_code":"oops"}"#,
            "/s",
        )
        .unwrap_err();
        assert!(matches!(error, ProviderError::Malformed { .. }));
        // A personal value in a field of the wrong type is not quoted back.
        for (result, secret) in [
            (
                r#"{"orderNo":"T1","status":"D","passengers":"张三丰"}"#,
                "张三",
            ),
            (
                r#"{"orderNo":"T1","status":"D","phone":15712340587}"#,
                "1234",
            ),
        ] {
            let body = format!(r#"{{"reason":"success","result":{result},"error_code":0}}"#);
            let error = unwrap_envelope::<GrabOrderDetail>(body.as_bytes(), "/d").unwrap_err();
            match error {
                ProviderError::Malformed { detail, .. } => {
                    assert!(detail.starts_with("/d: invalid type"), "{detail}");
                    assert!(!detail.contains(secret), "{detail}");
                }
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn redacts_double_quoted_values_only() {
        assert_eq!(
            redact_quoted(r#"invalid type: string "张三", expected u32 at line 1"#),
            r#"invalid type: string "…", expected u32 at line 1"#
        );
        assert_eq!(
            redact_quoted("missing field `orderNo` at line 1 column 2"),
            "missing field `orderNo` at line 1 column 2"
        );
    }
}
