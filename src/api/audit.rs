//! The audit log: one structured line per mutating call — who (the
//! caller's id), what (the RPC), which order, how it ended, and the trace
//! id to find the rest of the call by. Nothing personal: an order id and
//! a caller id are railgate's own identifiers, and the request's
//! passengers, contacts and credentials are never read here.
//!
//! Lines go to the `railgate::audit` target at info level, so a log
//! pipeline can route them apart (`log.filter` can keep them when other
//! lines are cut: `warn,railgate::audit=info`).

use super::status::ApiError;
use crate::auth::Caller;
use crate::proto as pb;
use std::future::Future;
use tonic::{Request, Response, Status};

/// The order a mutating request names ("" for Book, which makes one).
pub trait OrderOfRequest {
    /// The order id as sent.
    fn order_id(&self) -> &str;
}

/// The order a mutating call's answer carries.
pub trait OrderOfAnswer {
    /// The order id, when the answer holds an order.
    fn order_id(&self) -> Option<&str>;
}

macro_rules! order_of {
    (requests: $($request:ty),*; answers: $($answer:ty),*) => {
        $(impl OrderOfRequest for $request {
            fn order_id(&self) -> &str {
                &self.order_id
            }
        })*
        $(impl OrderOfAnswer for $answer {
            fn order_id(&self) -> Option<&str> {
                self.order.as_ref().map(|order| order.order_id.as_str())
            }
        })*
    };
}

order_of!(
    requests: pb::ConfirmRequest, pb::CancelRequest, pb::RefundRequest, pb::ChangeRequest,
        pb::ConfirmChangeRequest, pb::CancelChangeRequest;
    answers: pb::BookResponse, pb::ConfirmResponse, pb::CancelResponse, pb::RefundResponse,
        pb::ChangeResponse, pb::ConfirmChangeResponse, pb::CancelChangeResponse
);

impl OrderOfRequest for pb::BookRequest {
    fn order_id(&self) -> &str {
        ""
    }
}

/// The AccountService calls that change an account: about no order.
macro_rules! about_no_order {
    ($($request:ty => $answer:ty),* $(,)?) => {
        $(impl OrderOfRequest for $request {
            fn order_id(&self) -> &str {
                ""
            }
        }
        impl OrderOfAnswer for $answer {
            fn order_id(&self) -> Option<&str> {
                None
            }
        })*
    };
}

about_no_order!(
    pb::RegisterAccountRequest => pb::RegisterAccountResponse,
    pb::VerifySmsRequest => pb::VerifySmsResponse,
    pb::VerifyFaceRequest => pb::VerifyFaceResponse,
    pb::UpsertFrequentPassengerRequest => pb::UpsertFrequentPassengerResponse,
    pb::UpdateAccountHolderRequest => pb::UpdateAccountHolderResponse,
    pb::DeleteFrequentPassengerRequest => pb::DeleteFrequentPassengerResponse,
    pb::RequestPasswordResetRequest => pb::RequestPasswordResetResponse,
    pb::ResetPasswordRequest => pb::ResetPasswordResponse,
    pb::RequestPasswordChangeRequest => pb::RequestPasswordChangeResponse,
    pb::ChangePasswordRequest => pb::ChangePasswordResponse,
);

/// A replayed notification is about an order, but names the notification.
impl OrderOfRequest for pb::ReplayNotificationRequest {
    fn order_id(&self) -> &str {
        ""
    }
}

impl OrderOfAnswer for pb::ReplayNotificationResponse {
    fn order_id(&self) -> Option<&str> {
        None
    }
}

/// Runs a mutating RPC's `handle` for the request's caller and logs its
/// audit line.
pub async fn audited<Req, Resp, Fut>(
    rpc: &'static str,
    request: Request<Req>,
    handle: impl FnOnce(Caller, Req) -> Fut,
) -> Result<Response<Resp>, Status>
where
    Req: OrderOfRequest,
    Resp: OrderOfAnswer,
    Fut: Future<Output = Result<Resp, ApiError>>,
{
    let trace_id = trace_id(&request);
    let caller = super::caller::of(&request)?;
    let request = request.into_inner();
    // Bounded: an order id is 36 characters; a caller may send anything.
    let asked: String = request.order_id().chars().take(64).collect();
    let result = handle(caller.clone(), request).await.map_err(Status::from);
    let order_id = match &result {
        Ok(answer) => answer.order_id().map(str::to_owned).unwrap_or(asked),
        Err(_) => asked,
    };
    let (outcome, reason) = match &result {
        Ok(_) => ("OK".to_owned(), String::new()),
        Err(status) => (format!("{:?}", status.code()), reason_of(status)),
    };
    tracing::info!(
        target: "railgate::audit",
        audit = true,
        caller = caller.id(),
        rpc,
        order_id = %order_id,
        outcome = %outcome,
        reason = %reason,
        trace_id = %trace_id,
        "audit"
    );
    result.map(Response::new)
}

/// The ErrorInfo reason of a refusal (stable, and never personal).
fn reason_of(status: &Status) -> String {
    use tonic_types::StatusExt;
    status
        .get_details_error_info()
        .map(|info| info.reason)
        .unwrap_or_default()
}

/// The call's trace id, as the RPC span layer put it in the request; when
/// a call reaches a handler without that layer (in-process callers of the
/// service, tests), read from its `traceparent` or made fresh.
fn trace_id<T>(request: &Request<T>) -> String {
    match request.extensions().get::<crate::telemetry::CallTrace>() {
        Some(trace) => trace.0.clone(),
        None => crate::telemetry::trace_id(
            &opentelemetry::Context::new(),
            &crate::telemetry::extract(request.metadata().as_ref()),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_layers_trace_id_else_the_callers_else_a_fresh_one() {
        let mut request = Request::new(());
        request
            .extensions_mut()
            .insert(crate::telemetry::CallTrace("a".repeat(32)));
        assert_eq!(trace_id(&request), "a".repeat(32));
        let mut request = Request::new(());
        request.metadata_mut().insert(
            "traceparent",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
                .parse()
                .unwrap(),
        );
        assert_eq!(trace_id(&request), "4bf92f3577b34da6a3ce929d0e0e4736");
        let request = Request::new(());
        let first = trace_id(&request);
        assert_eq!(first.len(), 32);
        assert_ne!(first, trace_id(&request));
    }
}
