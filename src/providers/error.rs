//! What can go wrong talking to a provider, in provider-neutral terms. The
//! gRPC mapping of these lives in `api::status`, the only place that builds
//! a `tonic::Status`.

use crate::domain::ProviderId;
use std::time::Duration;

/// Why a provider refused a request, decided by the adapter's classifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RejectReason {
    /// A parameter was missing or malformed.
    InvalidRequest,
    /// railgate's credentials for the provider were refused.
    AuthFailed,
    /// The provider does not know a station.
    UnknownStation,
    /// The date is outside what the provider sells.
    DateOutOfRange,
    /// The provider does not know the train.
    TrainNotFound,
    /// No tickets left.
    SoldOut,
    /// Too close to departure to book.
    TooCloseToDeparture,
    /// 12306 has not verified a passenger's identity.
    PassengerIdentityUnverified,
    /// Too many requests in a short time; the same call may pass later.
    RateLimited,
    /// A count limit is used up (a daily request quota, open grab orders,
    /// cancellations per day): waiting a moment does not help.
    QuotaExhausted,
    /// The provider says it cannot serve now (busy, maintenance, internal
    /// error, outside service hours). For a mutating call the outcome is
    /// unknown: Juhe's 10014 asks callers to check the order, not resend.
    ProviderUnavailable,
    /// The provider does not know the order.
    OrderNotFound,
    /// The provider already has an order with this order number.
    DuplicateOrder,
    /// The order or ticket is in a state that does not allow the call.
    OrderStateConflict,
    /// The search answer the offer came from has expired; search again.
    OfferExpired,
    /// The 12306 account used to book was refused (locked, unverified,
    /// login failed...).
    TrainAccountRejected,
    /// 12306 will not sell to a passenger (conflicting trip, already booked,
    /// restricted by a court).
    PassengerNotAllowed,
    /// The 12306 account must pass SMS verification before it can log in
    /// (CheckLogin says how).
    TrainAccountSmsRequired,
    /// A verification code (SMS, password recovery) is wrong.
    VerificationCodeInvalid,
    /// A verification code has expired; ask for a new one.
    VerificationCodeExpired,
    /// 12306 did not recognise the account holder's face.
    FaceVerificationFailed,
    /// The account has as many frequent passengers as 12306 allows (15).
    FrequentPassengerLimit,
    /// The account has no such frequent passenger.
    FrequentPassengerNotFound,
    /// Anything the classifier does not recognise.
    Other,
}

impl RejectReason {
    /// Every reason, for exhaustive tests.
    pub const ALL: [RejectReason; 24] = [
        RejectReason::InvalidRequest,
        RejectReason::AuthFailed,
        RejectReason::UnknownStation,
        RejectReason::DateOutOfRange,
        RejectReason::TrainNotFound,
        RejectReason::SoldOut,
        RejectReason::TooCloseToDeparture,
        RejectReason::PassengerIdentityUnverified,
        RejectReason::RateLimited,
        RejectReason::QuotaExhausted,
        RejectReason::ProviderUnavailable,
        RejectReason::OrderNotFound,
        RejectReason::DuplicateOrder,
        RejectReason::OrderStateConflict,
        RejectReason::OfferExpired,
        RejectReason::TrainAccountRejected,
        RejectReason::PassengerNotAllowed,
        RejectReason::TrainAccountSmsRequired,
        RejectReason::VerificationCodeInvalid,
        RejectReason::VerificationCodeExpired,
        RejectReason::FaceVerificationFailed,
        RejectReason::FrequentPassengerLimit,
        RejectReason::FrequentPassengerNotFound,
        RejectReason::Other,
    ];

    /// Stable machine-readable reason for google.rpc.ErrorInfo.
    pub const fn as_str(self) -> &'static str {
        match self {
            RejectReason::InvalidRequest => "PROVIDER_INVALID_REQUEST",
            RejectReason::AuthFailed => "PROVIDER_AUTH_FAILED",
            RejectReason::UnknownStation => "UNKNOWN_STATION",
            RejectReason::DateOutOfRange => "DATE_OUT_OF_RANGE",
            RejectReason::TrainNotFound => "TRAIN_NOT_FOUND",
            RejectReason::SoldOut => "SOLD_OUT",
            RejectReason::TooCloseToDeparture => "TOO_CLOSE_TO_DEPARTURE",
            RejectReason::PassengerIdentityUnverified => "PASSENGER_IDENTITY_UNVERIFIED",
            RejectReason::RateLimited => "PROVIDER_RATE_LIMITED",
            RejectReason::QuotaExhausted => "PROVIDER_QUOTA_EXHAUSTED",
            // Deliberately the reason of an unreachable provider: the caller
            // does the same thing about both.
            RejectReason::ProviderUnavailable => "PROVIDER_UNAVAILABLE",
            RejectReason::OrderNotFound => "PROVIDER_ORDER_NOT_FOUND",
            RejectReason::DuplicateOrder => "PROVIDER_DUPLICATE_ORDER",
            RejectReason::OrderStateConflict => "PROVIDER_ORDER_STATE",
            RejectReason::OfferExpired => "OFFER_EXPIRED",
            RejectReason::TrainAccountRejected => "TRAIN_ACCOUNT_REJECTED",
            RejectReason::PassengerNotAllowed => "PASSENGER_NOT_ALLOWED",
            RejectReason::TrainAccountSmsRequired => "TRAIN_ACCOUNT_SMS_REQUIRED",
            RejectReason::VerificationCodeInvalid => "VERIFICATION_CODE_INVALID",
            RejectReason::VerificationCodeExpired => "VERIFICATION_CODE_EXPIRED",
            RejectReason::FaceVerificationFailed => "FACE_VERIFICATION_FAILED",
            RejectReason::FrequentPassengerLimit => "FREQUENT_PASSENGER_LIMIT",
            RejectReason::FrequentPassengerNotFound => "FREQUENT_PASSENGER_NOT_FOUND",
            RejectReason::Other => "PROVIDER_REJECTED",
        }
    }

    /// Whether the same request, sent again unchanged a little later, may
    /// succeed. Only a read or an idempotent call may act on this: a
    /// booking whose outcome is unknown is asked about, never resent.
    pub const fn is_retryable(self) -> bool {
        matches!(
            self,
            RejectReason::RateLimited | RejectReason::ProviderUnavailable
        )
    }
}

/// A failed provider call.
#[derive(Debug, thiserror::Error)]
pub enum ProviderError {
    /// The connection failed before an answer.
    #[error("{provider} could not be reached")]
    Unreachable {
        /// The provider.
        provider: ProviderId,
        /// Whether the request may have been sent (the connection was
        /// made): then a mutating call's outcome is unknown.
        sent: bool,
        /// The transport error (without the URL).
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// No answer in time. For a mutating call the outcome is unknown.
    #[error("{provider} did not answer within {timeout:?}")]
    Timeout {
        /// The provider.
        provider: ProviderId,
        /// The limit that passed.
        timeout: Duration,
    },
    /// An HTTP status other than 200.
    #[error("{provider} answered HTTP {status}")]
    HttpStatus {
        /// The provider.
        provider: ProviderId,
        /// The HTTP status code.
        status: u16,
    },
    /// A body that does not match the provider's documented shape.
    #[error("{provider} sent a response railgate cannot read: {detail}")]
    Malformed {
        /// The provider.
        provider: ProviderId,
        /// What did not parse (never the body itself: it may hold personal data).
        detail: String,
    },
    /// The provider answered and refused.
    #[error("{provider} refused the request: {message}")]
    Rejected {
        /// The provider.
        provider: ProviderId,
        /// The classified reason.
        reason: RejectReason,
        /// The provider's own error code, where it has codes.
        code: Option<String>,
        /// The provider's own message.
        message: String,
    },
    /// Not sent: the provider failed too often in a row and its circuit
    /// breaker is open. Nothing reached the provider.
    #[error("{provider} is unavailable (its circuit breaker is open; next try in {retry_in:?})")]
    CircuitOpen {
        /// The provider.
        provider: ProviderId,
        /// Until the breaker lets a probe through.
        retry_in: Duration,
    },
    /// A code outside the provider's documented tables.
    #[error("{provider} sent an undocumented {field} value {value:?}")]
    UnknownCode {
        /// The provider.
        provider: ProviderId,
        /// The field that carried it.
        field: &'static str,
        /// The raw value.
        value: String,
    },
}

impl ProviderError {
    /// The provider that failed.
    pub fn provider(&self) -> ProviderId {
        match self {
            ProviderError::Unreachable { provider, .. }
            | ProviderError::Timeout { provider, .. }
            | ProviderError::HttpStatus { provider, .. }
            | ProviderError::Malformed { provider, .. }
            | ProviderError::Rejected { provider, .. }
            | ProviderError::CircuitOpen { provider, .. }
            | ProviderError::UnknownCode { provider, .. } => *provider,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn reasons_are_distinct_upper_snake_case() {
        let names: HashSet<_> = RejectReason::ALL.iter().map(|r| r.as_str()).collect();
        assert_eq!(names.len(), RejectReason::ALL.len());
        for name in names {
            assert!(
                name.chars().all(|c| c.is_ascii_uppercase() || c == '_'),
                "{name}"
            );
        }
    }

    #[test]
    fn only_transient_refusals_are_retryable() {
        let retryable: Vec<_> = RejectReason::ALL
            .into_iter()
            .filter(|reason| reason.is_retryable())
            .collect();
        assert_eq!(
            retryable,
            [RejectReason::RateLimited, RejectReason::ProviderUnavailable]
        );
    }
}
