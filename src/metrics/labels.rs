//! The label sets of railgate's metric families: typed, from closed sets
//! (railgate's own tables and enums), so no call site can put a
//! caller-chosen or personal value in a label.

use prometheus_client::encoding::{EncodeLabelSet, EncodeLabelValue};

/// One gRPC method and how its call ended.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct RpcLabels {
    /// e.g. `railgate.v1.BookingService`.
    pub rpc_service: &'static str,
    /// e.g. `Search`.
    pub rpc_method: &'static str,
    /// The numeric gRPC status code (0 is OK), as OpenTelemetry records it.
    pub rpc_grpc_status_code: u8,
}

/// Why a call was refused before any service saw it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EncodeLabelValue)]
#[allow(non_camel_case_types)]
pub enum Refusal {
    /// No known caller.
    unauthenticated,
    /// The caller lacks the scope.
    permission_denied,
    /// Over the caller's rate.
    rate_limited,
    /// The in-flight limit.
    overloaded,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub(super) struct RefusalLabels {
    pub(super) reason: Refusal,
}

/// Where a provider's answer for a search came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EncodeLabelValue)]
#[allow(non_camel_case_types)]
pub enum CacheOutcome {
    /// From the cache.
    hit,
    /// A provider call made for this search.
    miss,
    /// Joined a provider call another search had started.
    joined,
}

/// How a Search's reply was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EncodeLabelValue)]
#[allow(non_camel_case_types)]
pub enum ReplyOutcome {
    /// The encoded reply of an earlier identical search over the same
    /// provider answers.
    reused,
    /// Merged, converted and encoded for this search.
    encoded,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub(super) struct ReplyLabels {
    pub(super) outcome: ReplyOutcome,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub(super) struct CacheLabels {
    pub(super) provider: &'static str,
    pub(super) outcome: CacheOutcome,
}

/// How a provider call ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EncodeLabelValue)]
#[allow(non_camel_case_types)]
pub enum ProviderOutcome {
    /// A 2xx answer (the provider may still have refused in its body).
    ok,
    /// A non-2xx HTTP status.
    http_error,
    /// No answer within the timeout.
    timeout,
    /// Not reached, or the connection failed.
    unreachable,
    /// Not sent: the provider's circuit breaker is open.
    circuit_open,
}

impl ProviderOutcome {
    /// How `result` of a provider call ended.
    pub fn of(result: &Result<reqwest::Response, crate::providers::ProviderError>) -> Self {
        use crate::providers::ProviderError;
        match result {
            Ok(response) if response.status().is_success() => Self::ok,
            Ok(_) => Self::http_error,
            Err(ProviderError::Timeout { .. }) => Self::timeout,
            Err(ProviderError::CircuitOpen { .. }) => Self::circuit_open,
            Err(_) => Self::unreachable,
        }
    }

    /// The label value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ok => "ok",
            Self::http_error => "http_error",
            Self::timeout => "timeout",
            Self::unreachable => "unreachable",
            Self::circuit_open => "circuit_open",
        }
    }
}

/// One provider operation and how it ended.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct ProviderLabels {
    /// `panhe` or `juhe`.
    pub provider: &'static str,
    /// The endpoint's path as configured, e.g. `/train/queryTickets`.
    pub operation: String,
    /// How it ended.
    pub outcome: ProviderOutcome,
}

/// How railgate answered a provider callback.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EncodeLabelValue)]
#[allow(non_camel_case_types)]
pub enum CallbackOutcome {
    /// Taken in and processed (200).
    processed,
    /// Seen before and dropped (200).
    duplicate,
    /// Refused: a wrong secret or source, a bad or oversized body (4xx).
    rejected,
    /// Not processed this time; the provider retries (5xx).
    failed,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub(super) struct CallbackLabels {
    pub(super) provider: &'static str,
    pub(super) outcome: CallbackOutcome,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub(super) struct OutboxLabels {
    pub(super) state: &'static str,
}

/// How one delivery attempt of a partner notification ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EncodeLabelValue)]
#[allow(non_camel_case_types)]
pub enum DeliveryOutcome {
    /// The partner took it.
    delivered,
    /// It failed and will be tried again.
    retry,
    /// It failed for the last time (a dead letter).
    dead,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub(super) struct DeliveryLabels {
    pub(super) outcome: DeliveryOutcome,
}

/// One store operation and how it ended.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub(super) struct StoreLabels {
    pub(super) operation: &'static str,
    pub(super) backend: &'static str,
    pub(super) outcome: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub(super) struct PoolLabels {
    pub(super) state: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub(super) struct StatusLabels {
    pub(super) status: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub(super) struct TransitionLabels {
    pub(super) from: &'static str,
    pub(super) to: &'static str,
}
