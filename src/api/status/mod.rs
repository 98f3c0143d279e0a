//! The one place a `tonic::Status` is built. Every error the API can return
//! is an [`ApiError`]; its gRPC code, stable `ErrorInfo.reason` and metadata
//! are decided here, following the google.rpc error model.

use crate::accounts::TravellerProblem;
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
    /// 12306 keeps a frequent passenger verified less than a month ago.
    #[error("12306 allows deleting this frequent passenger from {deletable_from}")]
    PassengerDeleteTooSoon {
        /// The first day the delete is allowed.
        deletable_from: chrono::NaiveDate,
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
            ApiError::PassengerDeleteTooSoon { deletable_from } => with_info(
                Code::FailedPrecondition,
                error.to_string(),
                "PASSENGER_DELETE_TOO_SOON",
                [("deletable_from", deletable_from.to_string())],
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
        OutboxError::Store(store_error) => store_status(&store_error, "outbox store failed"),
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
        OrderError::QuoteChanged {
            quoted_fee,
            fee_now,
        } => with_info(
            Code::FailedPrecondition,
            message,
            "QUOTE_CHANGED",
            [
                ("quoted_fee_fen", quoted_fee.get().to_string()),
                ("fee_fen", fee_now.get().to_string()),
            ],
        ),
        OrderError::RefundRule(_) => {
            with_info(Code::FailedPrecondition, message, "TRAIN_DEPARTED", [])
        }
        OrderError::Traveller(problem) => traveller_status(&problem),
        OrderError::Provider(provider_error) => provider_status(&provider_error),
        OrderError::Store(StoreError::Conflict { .. }) => with_info(
            Code::Aborted,
            "the order changed concurrently; retry".to_owned(),
            "CONCURRENT_UPDATE",
            [],
        ),
        OrderError::Store(store_error) => store_status(&store_error, "order store failed"),
    }
}

/// A store failure: UNAVAILABLE with a retry hint while the database is
/// out of reach or full (the call may be retried with the same
/// idempotency key), else INTERNAL. Logged once here, with its chain; the
/// caller gets no internals.
fn store_status(error: &StoreError, what: &'static str) -> Status {
    tracing::error!(error = %crate::telemetry::ErrorChain(error), "{what}");
    if error.is_unavailable() {
        let mut details =
            ErrorDetails::with_error_info("DATABASE_UNAVAILABLE", ERROR_DOMAIN, HashMap::new());
        details.set_retry_info(Some(DATABASE_RETRY_AFTER));
        return Status::with_error_details(
            Code::Unavailable,
            "the order database is unavailable; retry with the same idempotency key",
            details,
        );
    }
    with_info(Code::Internal, "internal error".to_owned(), "INTERNAL", [])
}

/// How soon a caller refused for an unavailable database should retry.
const DATABASE_RETRY_AFTER: std::time::Duration = std::time::Duration::from_secs(1);

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
        // Nothing was sent; the caller may come back when the breaker
        // lets a probe through (RetryInfo).
        ProviderError::CircuitOpen { retry_in, .. } => {
            let mut metadata = HashMap::new();
            metadata.insert("provider".to_owned(), provider);
            metadata.insert("circuit".to_owned(), "open".to_owned());
            let mut details =
                ErrorDetails::with_error_info("PROVIDER_UNAVAILABLE", ERROR_DOMAIN, metadata);
            details.set_retry_info(Some((*retry_in).max(std::time::Duration::from_millis(1))));
            Status::with_error_details(Code::Unavailable, error.to_string(), details)
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

/// A frequent passenger Book named that cannot travel on the account.
fn traveller_status(problem: &TravellerProblem) -> Status {
    let message = problem.to_string();
    match *problem {
        TravellerProblem::NotOnAccount { index, id } => with_info(
            Code::NotFound,
            message,
            RejectReason::FrequentPassengerNotFound.as_str(),
            [
                ("passenger_index", index.to_string()),
                ("frequent_passenger_id", id.to_string()),
            ],
        ),
        TravellerProblem::Mismatch { index, id } => with_info(
            Code::FailedPrecondition,
            message,
            "FREQUENT_PASSENGER_MISMATCH",
            [
                ("passenger_index", index.to_string()),
                ("frequent_passenger_id", id.to_string()),
            ],
        ),
        TravellerProblem::Unverified { index, id, status } => with_info(
            Code::FailedPrecondition,
            message,
            RejectReason::PassengerIdentityUnverified.as_str(),
            [
                ("passenger_index", index.to_string()),
                ("frequent_passenger_id", id.to_string()),
                ("identity_verification", status.as_str().to_owned()),
            ],
        ),
    }
}

/// The gRPC code that tells the caller what to do about a refusal.
fn reject_code(reason: RejectReason) -> Code {
    match reason {
        RejectReason::InvalidRequest | RejectReason::VerificationCodeInvalid => {
            Code::InvalidArgument
        }
        RejectReason::UnknownStation
        | RejectReason::TrainNotFound
        | RejectReason::OrderNotFound
        | RejectReason::FrequentPassengerNotFound => Code::NotFound,
        RejectReason::DateOutOfRange => Code::OutOfRange,
        RejectReason::SoldOut
        | RejectReason::TooCloseToDeparture
        | RejectReason::PassengerIdentityUnverified
        | RejectReason::OrderStateConflict
        | RejectReason::OfferExpired
        | RejectReason::TrainAccountRejected
        | RejectReason::PassengerNotAllowed
        | RejectReason::TrainAccountSmsRequired
        | RejectReason::VerificationCodeExpired
        | RejectReason::FaceVerificationFailed
        | RejectReason::FrequentPassengerLimit
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
mod tests;
