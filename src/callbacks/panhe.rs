//! Panhe's callbacks (订单状态推送通知): authenticate, find the order,
//! deduplicate through the inbox, re-read the order from Panhe.
//!
//! Answers (the seed does not say what Panhe expects; Panhe's envelope is
//! `{data, success, msg}`, so railgate answers in it):
//!
//! | situation | status | body |
//! | --- | --- | --- |
//! | processed, a duplicate, or an order railgate does not know | 200 | `{"success":true,"msg":"success"}` |
//! | wrong secret (nothing stored) | 403 | `{"success":false,"msg":"forbidden"}` |
//! | no `orderNo` in the body (nothing stored) | 400 | `{"success":false,"msg":"orderNo missing"}` |
//! | re-reading the order or the store failed | 500 | `{"success":false,"msg":"retry later"}` |
//!
//! The inbox entry is written, processed, in the transaction that records
//! what the callback brought; a callback whose entry is there is a
//! duplicate. A non-2xx makes Panhe retry: nothing of the failed attempt
//! was written, so the retry is processed afresh, and the reconciler
//! covers the order anyway.

use super::Ingress;
use super::body::{self, Notice};
use crate::domain::{Order, ProviderId};
use crate::store::StoreError;
use crate::telemetry::ErrorChain;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;
use std::sync::Arc;
use tracing::Instrument;

const PROVIDER: ProviderId = ProviderId::Panhe;

/// `POST /callbacks/panhe/{secret}/order`: order and change status.
pub(super) async fn order(
    State(ingress): State<Arc<Ingress>>,
    Path(secret): Path<String>,
    body: Bytes,
) -> Response {
    handle(&ingress, "order", &secret, &body).await
}

/// `POST /callbacks/panhe/{secret}/refund`: refund status.
pub(super) async fn refund(
    State(ingress): State<Arc<Ingress>>,
    Path(secret): Path<String>,
    body: Bytes,
) -> Response {
    handle(&ingress, "refund", &secret, &body).await
}

async fn handle(ingress: &Ingress, kind: &'static str, secret: &str, body: &[u8]) -> Response {
    if !ingress.authentic(PROVIDER, secret) {
        if let Some(suppressed) = super::WRONG_SECRET_LOG.admit() {
            tracing::warn!(
                provider = "panhe",
                kind,
                suppressed,
                "callback refused: wrong secret in the path"
            );
        }
        return answer(StatusCode::FORBIDDEN, "forbidden");
    }
    let Some(notice) = body::parse(body) else {
        if let Some(suppressed) = super::BAD_PAYLOAD_LOG.admit() {
            tracing::warn!(
                provider = "panhe",
                kind,
                bytes = body.len(),
                suppressed,
                "callback refused: no orderNo in the body"
            );
        }
        return answer(StatusCode::BAD_REQUEST, "orderNo missing");
    };
    let span = tracing::info_span!(
        "callback",
        otel.name = %format_args!("callback panhe {kind}"),
        otel.kind = "server",
        provider = "panhe",
        kind,
        provider_order_no = %notice.order_no
    );
    // The link to the Book comes once the order is found, from a store
    // span of this one: the sampling decision cannot wait for it.
    crate::telemetry::settle_sampling(&span);
    dispatch(ingress, kind, &notice, body)
        .instrument(span)
        .await
}

/// Finds the order (and whether the inbox holds this callback as
/// processed already) and processes it.
async fn dispatch(ingress: &Ingress, kind: &str, notice: &Notice, body: &[u8]) -> Response {
    let key = body::dedupe_key(kind, &notice.order_no, body);
    let found = ingress
        .orders
        .store()
        .find_order_for_callback(
            PROVIDER,
            &notice.order_no,
            notice.customer_order_no.as_deref(),
            &key,
        )
        .await;
    let order = match found {
        Ok(Some((_, true))) => {
            tracing::debug!("duplicate callback dropped");
            return super::duplicate_answer(success());
        }
        Ok(Some((order, false))) => {
            crate::telemetry::link_current_span(&order.trace_parent);
            order
        }
        Ok(None) => {
            tracing::info!(
                provider_order_no = %notice.order_no,
                "callback for an order railgate does not know: acknowledged, ignored"
            );
            return success();
        }
        Err(error) => return failed(&error),
    };
    match process(ingress, order, notice, &key, body).await {
        Ok(()) => success(),
        Err(response) => response,
    }
}

/// Re-reads the order from Panhe, recording and publishing what changed
/// and writing the inbox entry, processed, in one transaction. A callback
/// that overtook Book's answer (no Panhe number recorded yet) reads the
/// order by the number it names; see
/// [`crate::orders::OrderService::refresh_named`].
async fn process(
    ingress: &Ingress,
    order: Order,
    notice: &Notice,
    key: &str,
    body: &[u8],
) -> Result<(), Response> {
    let order_id = &order.id.clone();
    match ingress
        .orders
        .refresh_for_callback(order, &notice.order_no, key, body)
        .await
    {
        Ok(refreshed) => {
            tracing::info!(order_id = %order_id.as_str(), status = ?refreshed.status, "callback processed");
            Ok(())
        }
        Err(error) => {
            tracing::warn!(order_id = %order_id.as_str(), error = %ErrorChain(&error), "callback: re-reading the order failed; the reconciler will retry");
            Err(answer(StatusCode::INTERNAL_SERVER_ERROR, "retry later"))
        }
    }
}

fn failed(error: &StoreError) -> Response {
    tracing::warn!(error = %ErrorChain(error), "callback: order store failed");
    answer(StatusCode::INTERNAL_SERVER_ERROR, "retry later")
}

fn success() -> Response {
    answer(StatusCode::OK, "success")
}

fn answer(status: StatusCode, message: &str) -> Response {
    let body = json!({ "success": status.is_success(), "msg": message });
    (status, Json(body)).into_response()
}
