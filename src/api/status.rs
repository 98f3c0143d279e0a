//! The one place a `tonic::Status` is built. Every error the API can return
//! is an [`ApiError`]; its gRPC code, stable `ErrorInfo.reason` and metadata
//! are decided here, following the google.rpc error model.

use crate::orders::OrderError;
use crate::providers::{ProviderError, RejectReason};
use crate::routing::RoutingError;
use crate::store::{OutboxError, StoreError};
use std::collections::HashMap;
use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};

/// `ErrorInfo.domain` of every railgate error.
pub const ERROR_DOMAIN: &str = "railgate";

/// One bad request field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// The proto field path, e.g. `from_station`.
    pub field: String,
    /// What is wrong and, where possible, what would be right.
    pub description: String,
}

impl Violation {
    /// A violation of `field`.
    pub fn new(field: impl Into<String>, description: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            description: description.into(),
        }
    }
}

/// Everything an RPC can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The request itself is wrong; every bad field is listed.
    #[error("invalid request")]
    InvalidArgument(Vec<Violation>),
    /// A named thing does not exist.
    #[error("{what} not found: {detail}")]
    NotFound {
        /// What was looked for, e.g. "train".
        what: &'static str,
        /// Which one, in the caller's terms.
        detail: String,
    },
    /// The RPC belongs to a capability this build does not provide yet.
    #[error("{rpc} is not implemented yet: railgate does not provide {capability} in this version")]
    Unimplemented {
        /// The RPC name.
        rpc: &'static str,
        /// The missing capability.
        capability: &'static str,
    },
    /// Routing or a provider failed.
    #[error(transparent)]
    Routing(#[from] RoutingError),
    /// A booking flow failed.
    #[error(transparent)]
    Orders(#[from] OrderError),
    /// An operator's notification request failed.
    #[error(transparent)]
    Outbox(#[from] OutboxError),
    /// The call names no caller railgate knows.
    #[error("unauthenticated: {0}")]
    Unauthenticated(&'static str),
    /// The caller lacks the RPC's scope.
    #[error("this call needs the {scope} scope, which the caller does not hold")]
    PermissionDenied {
        /// The scope the RPC needs.
        scope: crate::auth::Scope,
    },
    /// The caller is over its rate.
    #[error("this caller is over its rate limit; retry after {retry_after:?}")]
    RateLimited {
        /// When a call would be admitted.
        retry_after: std::time::Duration,
    },
    /// railgate is handling as many calls as it may (`limits.max_in_flight`).
    #[error("railgate is at its limit of calls in flight; retry shortly, or another instance")]
    Overloaded,
    /// The caller has as many WatchOrder streams open as it may.
    #[error("this caller has {limit} WatchOrder streams open, the most it may")]
    TooManyStreams {
        /// The per-caller cap.
        limit: usize,
    },
    /// This instance is shutting down: a WatchOrder stream ends, to be
    /// resumed on another instance.
    #[error(
        "railgate is shutting down: watch again (another instance) with after_sequence = {last_sequence}"
    )]
    ShuttingDown {
        /// The last sequence the stream sent.
        last_sequence: i64,
    },
}

impl From<ProviderError> for ApiError {
    fn from(error: ProviderError) -> Self {
        ApiError::Routing(RoutingError::from(error))
    }
}

impl From<ApiError> for Status {
    fn from(error: ApiError) -> Status {
        match error {
            ApiError::InvalidArgument(violations) => {
                // Descriptions may quote what the caller sent: each is cut
                // short, and only the first few are listed, so a huge
                // request never comes back as a huge answer.
                let total = violations.len();
                let shown: Vec<Violation> = violations
                    .into_iter()
                    .take(MAX_VIOLATIONS_SHOWN)
                    .map(|violation| Violation {
                        field: excerpt(&violation.field),
                        description: excerpt(&violation.description),
                    })
                    .collect();
                let mut summary = shown
                    .iter()
                    .map(|violation| format!("{}: {}", violation.field, violation.description))
                    .collect::<Vec<_>>()
                    .join("; ");
                if total > shown.len() {
                    summary.push_str(&format!("; and {} more", total - shown.len()));
                }
                let mut details = ErrorDetails::new();
                for violation in shown {
                    details.add_bad_request_violation(violation.field, violation.description);
                }
                details.set_error_info("INVALID_ARGUMENT", ERROR_DOMAIN, HashMap::new());
                Status::with_error_details(Code::InvalidArgument, summary, details)
            }
            ApiError::NotFound { what, ref detail } => with_info(
                Code::NotFound,
                error.to_string(),
                "NOT_FOUND",
                [("resource", what.to_owned()), ("detail", detail.clone())],
            ),
            ApiError::Unimplemented { rpc, capability } => with_info(
                Code::Unimplemented,
                error.to_string(),
                "NOT_IMPLEMENTED",
                [
                    ("rpc", rpc.to_owned()),
                    ("capability", capability.to_owned()),
                ],
            ),
            ApiError::Routing(routing) => routing_status(routing),
            ApiError::Orders(orders) => order_status(orders),
            ApiError::Outbox(outbox) => outbox_status(outbox),
            ApiError::Unauthenticated(_) => with_info(
                Code::Unauthenticated,
                error.to_string(),
                "UNAUTHENTICATED",
                [],
            ),
            ApiError::PermissionDenied { scope } => with_info(
                Code::PermissionDenied,
                error.to_string(),
                "MISSING_SCOPE",
                [("scope", scope.as_str().to_owned())],
            ),
            ApiError::RateLimited { retry_after } => {
                let mut details =
                    ErrorDetails::with_error_info("RATE_LIMITED", ERROR_DOMAIN, HashMap::new());
                // Whole milliseconds, never zero: a client told to retry
                // at once would come straight back.
                let retry_after = retry_after.max(std::time::Duration::from_millis(1));
                details.set_retry_info(Some(retry_after));
                Status::with_error_details(Code::ResourceExhausted, error.to_string(), details)
            }
            ApiError::Overloaded => {
                let mut details =
                    ErrorDetails::with_error_info("OVERLOADED", ERROR_DOMAIN, HashMap::new());
                details.set_retry_info(Some(std::time::Duration::from_millis(100)));
                Status::with_error_details(Code::Unavailable, error.to_string(), details)
            }
            ApiError::TooManyStreams { limit } => with_info(
                Code::ResourceExhausted,
                error.to_string(),
                "TOO_MANY_STREAMS",
                [("limit", limit.to_string())],
            ),
            ApiError::ShuttingDown { last_sequence } => with_info(
                Code::Unavailable,
                error.to_string(),
                "SHUTTING_DOWN",
                [("last_sequence", last_sequence.to_string())],
            ),
        }
    }
}

fn outbox_status(error: OutboxError) -> Status {
    let message = error.to_string();
    match error {
        OutboxError::NotFound(id) => with_info(
            Code::NotFound,
            message,
            "NOTIFICATION_NOT_FOUND",
            [("notification_id", id.to_string())],
        ),
        OutboxError::NotDead { state, .. } => with_info(
            Code::FailedPrecondition,
            message,
            "NOTIFICATION_STATE",
            [("state", state.as_str().to_owned())],
        ),
        OutboxError::Store(store_error) => {
            // Logged once here, with its chain; the caller gets no internals.
            tracing::error!(error = %crate::telemetry::ErrorChain(&store_error), "outbox store failed");
            with_info(Code::Internal, "internal error".to_owned(), "INTERNAL", [])
        }
    }
}

fn routing_status(error: RoutingError) -> Status {
    match error {
        RoutingError::NoProvider { capability } => with_info(
            Code::FailedPrecondition,
            error.to_string(),
            "NO_PROVIDER",
            [("capability", capability.to_owned())],
        ),
        RoutingError::NotConfigured { provider } => with_info(
            Code::FailedPrecondition,
            error.to_string(),
            "PROVIDER_NOT_CONFIGURED",
            [("provider", provider.as_str().to_owned())],
        ),
        RoutingError::Unsupported {
            provider,
            capability,
        } => with_info(
            Code::FailedPrecondition,
            error.to_string(),
            "CAPABILITY_UNSUPPORTED",
            [
                ("provider", provider.as_str().to_owned()),
                ("capability", capability.as_str().to_owned()),
            ],
        ),
        RoutingError::AllTimedOut(_) => with_info(
            Code::DeadlineExceeded,
            error.to_string(),
            "PROVIDER_TIMEOUT",
            [],
        ),
        RoutingError::Provider(provider_error) => provider_status(&provider_error),
    }
}

fn order_status(error: OrderError) -> Status {
    let message = error.to_string();
    match error {
        OrderError::NotFound(id) => with_info(
            Code::NotFound,
            message,
            "ORDER_NOT_FOUND",
            [("order_id", id)],
        ),
        OrderError::KeyReused { key } => with_info(
            Code::AlreadyExists,
            message,
            "IDEMPOTENCY_KEY_REUSED",
            [("idempotency_key", key)],
        ),
        OrderError::KeyInProgress { key } => with_info(
            Code::Aborted,
            message,
            "IDEMPOTENCY_KEY_IN_PROGRESS",
            [("idempotency_key", key)],
        ),
        OrderError::WrongState { status, .. } => with_info(
            Code::FailedPrecondition,
            message,
            "ORDER_STATE",
            [("status", status.as_str().to_owned())],
        ),
        OrderError::TicketNotFound(id) => with_info(
            Code::NotFound,
            message,
            "TICKET_NOT_FOUND",
            [("ticket_id", id)],
        ),
        OrderError::ChangeNotFound(id) => with_info(
            Code::NotFound,
            message,
            "CHANGE_NOT_FOUND",
            [("change_id", id)],
        ),
        OrderError::TicketState { status, .. } => with_info(
            Code::FailedPrecondition,
            message,
            "TICKET_STATE",
            [("status", format!("{status:?}"))],
        ),
        OrderError::ChangeState { status, .. } => with_info(
            Code::FailedPrecondition,
            message,
            "CHANGE_STATE",
            [("status", format!("{status:?}"))],
        ),
        OrderError::AmountMismatch { expected, actual } => with_info(
            Code::FailedPrecondition,
            message,
            "AMOUNT_MISMATCH",
            [
                ("expected_fen", expected.get().to_string()),
                ("actual_fen", actual.get().to_string()),
            ],
        ),
        OrderError::Unsupported {
            provider,
            capability,
        } => with_info(
            Code::FailedPrecondition,
            message,
            "CAPABILITY_UNSUPPORTED",
            [
                ("provider", provider.as_str().to_owned()),
                ("capability", capability.to_owned()),
            ],
        ),
        // What Juhe would refuse (departure within 3 h, over 5
        // passengers, student tickets...): the caller's request to fix.
        OrderError::InvalidGrab(invalid) => Status::from(ApiError::InvalidArgument(
            invalid
                .violations
                .into_iter()
                .map(|violation| Violation::new(violation.field, violation.description))
                .collect(),
        )),
        OrderError::Provider(provider_error) => provider_status(&provider_error),
        OrderError::Store(StoreError::Conflict { .. }) => with_info(
            Code::Aborted,
            "the order changed concurrently; retry".to_owned(),
            "CONCURRENT_UPDATE",
            [],
        ),
        OrderError::Store(store_error) => {
            // Logged once here, with its chain; the caller gets no internals.
            tracing::error!(error = %crate::telemetry::ErrorChain(&store_error), "order store failed");
            with_info(Code::Internal, "internal error".to_owned(), "INTERNAL", [])
        }
    }
}

fn provider_status(error: &ProviderError) -> Status {
    let provider = error.provider().as_str().to_owned();
    match error {
        ProviderError::Rejected {
            reason,
            code,
            message,
            ..
        } => {
            let mut metadata = vec![
                ("provider", provider),
                ("provider_message", message.clone()),
            ];
            if let Some(code) = code {
                metadata.push(("provider_code", code.clone()));
            }
            with_info(
                reject_code(*reason),
                error.to_string(),
                reason.as_str(),
                metadata,
            )
        }
        ProviderError::Timeout { .. } => with_info(
            Code::DeadlineExceeded,
            error.to_string(),
            "PROVIDER_TIMEOUT",
            [("provider", provider)],
        ),
        ProviderError::Unreachable { .. } => {
            tracing::error!(error = %crate::telemetry::ErrorChain(error), "provider unreachable");
            with_info(
                Code::Unavailable,
                error.to_string(),
                "PROVIDER_UNAVAILABLE",
                [("provider", provider)],
            )
        }
        ProviderError::HttpStatus { status, .. } => {
            let code = if *status >= 500 {
                Code::Unavailable
            } else {
                Code::Internal
            };
            with_info(
                code,
                error.to_string(),
                "PROVIDER_HTTP_ERROR",
                [("provider", provider), ("http_status", status.to_string())],
            )
        }
        ProviderError::Malformed { .. } | ProviderError::UnknownCode { .. } => {
            // The detail says which field broke the contract: useful in the
            // log, noise for the caller.
            tracing::error!(error = %error, "provider broke its contract");
            with_info(
                Code::Internal,
                format!("{provider} sent a response railgate cannot read"),
                "PROVIDER_BAD_RESPONSE",
                [("provider", provider)],
            )
        }
    }
}

/// The gRPC code that tells the caller what to do about a refusal.
fn reject_code(reason: RejectReason) -> Code {
    match reason {
        RejectReason::InvalidRequest => Code::InvalidArgument,
        RejectReason::UnknownStation
        | RejectReason::TrainNotFound
        | RejectReason::OrderNotFound => Code::NotFound,
        RejectReason::DateOutOfRange => Code::OutOfRange,
        RejectReason::SoldOut
        | RejectReason::TooCloseToDeparture
        | RejectReason::PassengerIdentityUnverified
        | RejectReason::OrderStateConflict
        | RejectReason::OfferExpired
        | RejectReason::TrainAccountRejected
        | RejectReason::PassengerNotAllowed
        | RejectReason::Other => Code::FailedPrecondition,
        RejectReason::RateLimited | RejectReason::QuotaExhausted => Code::ResourceExhausted,
        RejectReason::ProviderUnavailable => Code::Unavailable,
        RejectReason::DuplicateOrder => Code::AlreadyExists,
        // railgate's own credentials were refused: nothing the caller can fix.
        RejectReason::AuthFailed => Code::Internal,
    }
}

/// Violations listed in one answer; the rest are counted.
const MAX_VIOLATIONS_SHOWN: usize = 20;
/// Characters of a message, description or metadata value kept: enough
/// for every message railgate writes, short of anything a caller could
/// make it echo at length.
const MAX_EXCERPT_CHARS: usize = 200;

/// `text` cut to [`MAX_EXCERPT_CHARS`] characters, marked when cut.
pub(crate) fn excerpt(text: &str) -> String {
    match text.char_indices().nth(MAX_EXCERPT_CHARS) {
        None => text.to_owned(),
        Some((end, _)) => format!("{}…", &text[..end]),
    }
}

fn with_info(
    code: Code,
    message: String,
    reason: &str,
    metadata: impl IntoIterator<Item = (&'static str, String)>,
) -> Status {
    let metadata: HashMap<String, String> = metadata
        .into_iter()
        .map(|(key, value)| (key.to_owned(), excerpt(&value)))
        .collect();
    Status::with_error_details(
        code,
        excerpt(&message),
        ErrorDetails::with_error_info(reason, ERROR_DOMAIN, metadata),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ProviderId;

    fn rejected(reason: RejectReason) -> ApiError {
        ProviderError::Rejected {
            provider: ProviderId::Panhe,
            reason,
            code: Some("223801".into()),
            message: "出发车站不存在".into(),
        }
        .into()
    }

    #[test]
    fn every_rejection_has_a_code_and_its_reason() {
        for reason in RejectReason::ALL {
            let status = Status::from(rejected(reason));
            assert_eq!(status.code(), reject_code(reason));
            let details = status.get_error_details();
            let info = details.error_info().expect("ErrorInfo");
            assert_eq!(info.reason, reason.as_str());
            assert_eq!(info.domain, ERROR_DOMAIN);
            assert_eq!(info.metadata["provider"], "panhe");
            assert_eq!(info.metadata["provider_message"], "出发车站不存在");
            assert_eq!(info.metadata["provider_code"], "223801");
        }
    }

    #[test]
    fn an_invalid_grab_order_is_invalid_argument_with_its_fields() {
        use crate::providers::juhe::submit::{InvalidGrabOrder, Violation as GrabViolation};
        let invalid = InvalidGrabOrder {
            violations: vec![GrabViolation {
                field: "passengers[1].passenger_type".into(),
                description: "adult and child tickets only".into(),
            }],
        };
        let status = Status::from(ApiError::Orders(OrderError::InvalidGrab(invalid)));
        assert_eq!(status.code(), Code::InvalidArgument);
        let details = status.get_error_details();
        let violations = &details.bad_request().expect("BadRequest").field_violations;
        assert_eq!(violations.len(), 1);
        assert_eq!(violations[0].field, "passengers[1].passenger_type");
    }

    #[test]
    fn answers_never_echo_much_of_the_request() {
        let huge = "长".repeat(3_000_000);
        let mut violations = vec![Violation::new("train_code", format!("{huge:?} is unknown"))];
        violations
            .extend((0..5_000).map(|index| Violation::new(format!("passengers[{index}]"), "bad")));
        let status = Status::from(ApiError::InvalidArgument(violations));
        assert!(
            status.message().len() < 8 * 1024,
            "{}",
            status.message().len()
        );
        assert!(
            status.message().ends_with("; and 4981 more"),
            "{}",
            &status.message()[..100]
        );
        let details = tonic_types::StatusExt::get_error_details(&status);
        let bad_request = details.bad_request().unwrap();
        assert_eq!(bad_request.field_violations.len(), MAX_VIOLATIONS_SHOWN);
        assert!(
            bad_request.field_violations[0].description.chars().count() <= MAX_EXCERPT_CHARS + 1
        );
        let not_found = Status::from(ApiError::NotFound {
            what: "station",
            detail: huge.clone(),
        });
        assert!(not_found.message().len() < 1024);
        assert_eq!(excerpt("短"), "短");
    }

    #[test]
    fn invalid_argument_lists_every_violation() {
        let status = Status::from(ApiError::InvalidArgument(vec![
            Violation::new("from_station", "unknown"),
            Violation::new("travel_date", "in the past"),
        ]));
        assert_eq!(status.code(), Code::InvalidArgument);
        assert_eq!(
            status.message(),
            "from_station: unknown; travel_date: in the past"
        );
        let details = status.get_error_details();
        let violations = &details.bad_request().unwrap().field_violations;
        assert_eq!(violations.len(), 2);
        assert_eq!(violations[1].field, "travel_date");
    }

    #[test]
    fn outbox_errors_say_what_the_operator_can_do() {
        let missing = Status::from(ApiError::from(OutboxError::NotFound(9)));
        assert_eq!(missing.code(), Code::NotFound);
        let info = missing.get_error_details().error_info().unwrap().clone();
        assert_eq!(info.reason, "NOTIFICATION_NOT_FOUND");
        assert_eq!(info.metadata["notification_id"], "9");
        let delivered = Status::from(ApiError::from(OutboxError::NotDead {
            id: 9,
            state: crate::store::OutboxState::Delivered,
        }));
        assert_eq!(delivered.code(), Code::FailedPrecondition);
        let info = delivered.get_error_details().error_info().unwrap().clone();
        assert_eq!(info.reason, "NOTIFICATION_STATE");
        assert_eq!(info.metadata["state"], "delivered");
        let internal = Status::from(ApiError::from(OutboxError::Store(StoreError::Corrupt(
            "payload".into(),
        ))));
        assert_eq!(internal.code(), Code::Internal);
        assert_eq!(internal.message(), "internal error");
    }

    #[test]
    fn transport_failures_map_to_retryable_codes() {
        let timeout = Status::from(ApiError::from(ProviderError::Timeout {
            provider: ProviderId::Panhe,
            timeout: std::time::Duration::from_secs(1),
        }));
        assert_eq!(timeout.code(), Code::DeadlineExceeded);
        let server_error = Status::from(ApiError::from(ProviderError::HttpStatus {
            provider: ProviderId::Panhe,
            status: 502,
        }));
        assert_eq!(server_error.code(), Code::Unavailable);
        let client_error = Status::from(ApiError::from(ProviderError::HttpStatus {
            provider: ProviderId::Panhe,
            status: 404,
        }));
        assert_eq!(client_error.code(), Code::Internal);
    }

    #[test]
    fn contract_breaks_do_not_leak_details() {
        let status = Status::from(ApiError::from(ProviderError::Malformed {
            provider: ProviderId::Panhe,
            detail: "cardNo \"110101199001011234\"".into(),
        }));
        assert_eq!(status.code(), Code::Internal);
        assert!(!status.message().contains("110101"));
        assert_eq!(
            status.get_error_details().error_info().unwrap().reason,
            "PROVIDER_BAD_RESPONSE"
        );
    }
}
