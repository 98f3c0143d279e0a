//! Juhe's callbacks (seed 001 配置回调地址), one URL per type:
//!
//! ```text
//! POST /callbacks/juhe/{secret}/issue     type 1: seats and issue result
//! POST /callbacks/juhe/{secret}/refund    type 2: refund result
//! POST /callbacks/juhe/{secret}/expired   type 3: the grab deadline passed
//! ```
//!
//! railgate registers these URLs with addCallbackUrl at every start
//! ([`register`]). Juhe's payloads are documented, but as with Panhe's a
//! callback is a trigger (`OrderService::apply_juhe_callback`): the order
//! is re-read from Juhe's detail, and the payload's own fields are applied
//! only where its statuses are the detail's. Authentication, the inbox
//! dedupe and the answers are Panhe's:
//!
//! | situation | status | body |
//! | --- | --- | --- |
//! | processed, a duplicate, or an order railgate does not know | 200 | `{"success":true,"msg":"success"}` |
//! | wrong secret (nothing stored) | 403 | `{"success":false,"msg":"forbidden"}` |
//! | unknown type, or a body that is not the type's payload | 400 | `{"success":false,"msg":"bad payload"}` |
//! | applying it or the store failed | 500 | `{"success":false,"msg":"retry later"}` |
//!
//! Juhe does not document what it expects back; its simulator retries
//! anything but a 2xx, and so, presumably, does Juhe.

use super::Ingress;
use super::body;
use crate::config::Config;
use crate::domain::ProviderId;
use crate::orders::{CallbackOutcome, JuheCallback};
use crate::providers::juhe::JuheAdapter;
use crate::providers::juhe::callback_wire::CallbackType;
use crate::telemetry::ErrorChain;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use secrecy::ExposeSecret;
use serde_json::json;
use std::net::SocketAddr;
use std::sync::Arc;
use tracing::Instrument;

const PROVIDER: ProviderId = ProviderId::Juhe;

/// The path segment railgate registers for each callback type.
pub fn kind_segment(kind: CallbackType) -> &'static str {
    match kind {
        CallbackType::SeatAndIssue => "issue",
        CallbackType::Refund => "refund",
        CallbackType::GrabExpired => "expired",
    }
}

fn kind_from_segment(segment: &str) -> Option<CallbackType> {
    CallbackType::ALL
        .into_iter()
        .find(|kind| kind_segment(*kind) == segment)
}

/// `<public_url>/callbacks/juhe/<secret>`; [`register`] appends the kind.
pub fn juhe_callback_url(config: &Config, http_addr: SocketAddr) -> String {
    format!(
        "{}/callbacks/juhe/{}",
        super::public_url(config, http_addr),
        super::CallbackSecrets::from_config(config)
            .juhe
            .current
            .expose_secret()
    )
}

/// Registers the three callback URLs under `base` (from
/// [`juhe_callback_url`]). Registering the same URL again changes
/// nothing, so this runs at every start. A failure is logged and
/// start-up goes on: the reconciler reads every order anyway.
pub async fn register(juhe: &JuheAdapter, base: &str) {
    for kind in CallbackType::ALL {
        let url = format!("{base}/{}", kind_segment(kind));
        match juhe.client().add_callback_url(&url, kind).await {
            Ok(()) => tracing::info!(
                provider = "juhe",
                kind = kind_segment(kind),
                "callback URL registered"
            ),
            // The URL holds the secret: never logged.
            Err(error) => tracing::warn!(
                provider = "juhe",
                kind = kind_segment(kind),
                error = %ErrorChain(&error),
                "registering a callback URL failed; the reconciler still follows every order"
            ),
        }
    }
}

/// `POST /callbacks/juhe/{secret}/{kind}`.
pub(super) async fn callback(
    State(ingress): State<Arc<Ingress>>,
    Path((secret, kind)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    if !ingress.authentic(PROVIDER, &secret) {
        if let Some(suppressed) = super::WRONG_SECRET_LOG.admit() {
            tracing::warn!(
                provider = "juhe",
                suppressed,
                "callback refused: wrong secret in the path"
            );
        }
        return answer(StatusCode::FORBIDDEN, "forbidden");
    }
    let Some(kind) = kind_from_segment(&kind) else {
        return answer(StatusCode::BAD_REQUEST, "bad payload");
    };
    let Some(payload) = parse(kind, &body) else {
        if let Some(suppressed) = super::BAD_PAYLOAD_LOG.admit() {
            tracing::warn!(
                provider = "juhe",
                kind = kind_segment(kind),
                bytes = body.len(),
                suppressed,
                "callback refused: not the documented payload"
            );
        }
        return answer(StatusCode::BAD_REQUEST, "bad payload");
    };
    let span = tracing::info_span!(
        "callback",
        otel.name = %format_args!("callback juhe {}", kind_segment(kind)),
        otel.kind = "server",
        provider = "juhe",
        kind = kind_segment(kind),
        out_order_no = %payload.out_order_no()
    );
    // The link to the Book comes once the order is found, from a store
    // span of this one: the sampling decision cannot wait for it.
    crate::telemetry::settle_sampling(&span);
    dispatch(&ingress, kind, &payload, &body)
        .instrument(span)
        .await
}

/// The payload of `kind` (JSON, as the seed's examples are). pub(crate)
/// for the fuzz targets (`crate::fuzzing`).
pub(crate) fn parse(kind: CallbackType, body: &[u8]) -> Option<JuheCallback> {
    let payload = match kind {
        CallbackType::SeatAndIssue => {
            JuheCallback::Issue(Box::new(serde_json::from_slice(body).ok()?))
        }
        CallbackType::Refund => JuheCallback::Refund(serde_json::from_slice(body).ok()?),
        CallbackType::GrabExpired => JuheCallback::GrabExpired(serde_json::from_slice(body).ok()?),
    };
    Some(payload)
}

async fn dispatch(
    ingress: &Ingress,
    kind: CallbackType,
    payload: &JuheCallback,
    body: &[u8],
) -> Response {
    let store = ingress.orders.store();
    let order_id = match store
        .order_ref_by_customer_order_no(PROVIDER, payload.out_order_no())
        .await
    {
        Ok(Some(order)) => {
            crate::telemetry::link_current_span(&order.trace_parent);
            order.id
        }
        Ok(None) => {
            tracing::info!("callback for an order railgate does not know: acknowledged, ignored");
            return answer(StatusCode::OK, "success");
        }
        Err(error) => return failed(&ErrorChain(&error).to_string()),
    };
    let key = body::dedupe_key(kind_segment(kind), payload.out_order_no(), body);
    match store.record_callback(PROVIDER, &key, body).await {
        Ok(true) => {}
        // Delivered before, but that attempt failed here: process again.
        Ok(false) if ingress.take_failure(&key) => {}
        Ok(false) => {
            tracing::debug!(order_id = %order_id.as_str(), "duplicate callback dropped");
            return super::duplicate_answer(answer(StatusCode::OK, "success"));
        }
        Err(error) => return failed(&ErrorChain(&error).to_string()),
    }
    let applied = match ingress.orders.apply_juhe_callback(&order_id, payload).await {
        Ok(CallbackOutcome::Applied(order)) => order,
        Ok(CallbackOutcome::Unconfirmed(_)) => {
            // Forged, stale, or ahead of the detail: Juhe may send it again.
            ingress.remember_failure(&key);
            return failed("the order detail does not confirm the callback");
        }
        Err(error) => {
            ingress.remember_failure(&key);
            return failed(&ErrorChain(&error).to_string());
        }
    };
    tracing::info!(order_id = %order_id.as_str(), status = ?applied.status, "callback processed");
    match store.mark_callback_processed(PROVIDER, &key).await {
        Ok(()) => answer(StatusCode::OK, "success"),
        Err(error) => {
            ingress.remember_failure(&key);
            failed(&ErrorChain(&error).to_string())
        }
    }
}

fn failed(error: &str) -> Response {
    tracing::warn!(
        error,
        "juhe callback failed; the reconciler will follow the order"
    );
    answer(StatusCode::INTERNAL_SERVER_ERROR, "retry later")
}

fn answer(status: StatusCode, message: &str) -> Response {
    let body = json!({ "success": status.is_success(), "msg": message });
    (status, Json(body)).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_type_has_its_own_path_and_back() {
        for kind in CallbackType::ALL {
            assert_eq!(kind_from_segment(kind_segment(kind)), Some(kind));
        }
        assert_eq!(kind_from_segment("order"), None);
    }

    #[test]
    fn the_expiry_payload_of_the_seed_parses() {
        let body =
            r#"{"orderNo":"J1","outOrderNo":"RG1","msgCode":"101","msgInfo":"抢票单已过期"}"#
                .as_bytes();
        let parsed = parse(CallbackType::GrabExpired, body).expect("parses");
        assert_eq!(parsed.out_order_no(), "RG1");
        assert!(parse(CallbackType::GrabExpired, b"not json").is_none());
    }
}
