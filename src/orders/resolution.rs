//! What a createOrder send says about a booking, and recording it. The
//! first send and a resend (after a crash or a lost answer) share this, so
//! an order gets its provider number the same way whichever send got it.
//!
//! The idempotency key completes only once the booking is settled one way
//! or the other. While Panhe's answer is unknown the key stays claimed, so
//! a retry after the lease resumes the booking and sends again (see
//! `book::resume_unfinished_booking`); the reconciler cannot, as resending
//! needs the 12306 credentials that only the caller's request carries.

use super::book::outcome_unknown;
use super::{OrderError, OrderService};
use crate::domain::{Order, OrderStatus};
use crate::providers::panhe::booking::CreateOutcome;
use crate::providers::{ProviderError, RejectReason};
use crate::store::Alongside;

/// Which send of an order's createOrder answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Send {
    /// Nothing was sent for the order before.
    First,
    /// An earlier send may have reached Panhe.
    Again,
}

/// What railgate now knows about the booking.
#[derive(Debug)]
pub(super) enum Resolution {
    /// Panhe booked it on this send: its order number.
    Booked(String),
    /// An earlier send had booked it: that order's number.
    AlreadyBooked(String),
    /// An earlier send had booked it, but Panhe did not say which order.
    AlreadyBookedUnnamed,
    /// Panhe refused the order: nothing is booked.
    Refused(ProviderError),
    /// Whether anything is booked is not known.
    Unanswered(ProviderError),
}

/// Reads a send's outcome.
pub(super) fn resolve(outcome: Result<CreateOutcome, ProviderError>, send: Send) -> Resolution {
    let error = match outcome {
        Ok(CreateOutcome::Created(provider_order_no)) => {
            return Resolution::Booked(provider_order_no);
        }
        Ok(CreateOutcome::Duplicate {
            existing_order_no: Some(provider_order_no),
        }) => return Resolution::AlreadyBooked(provider_order_no),
        Ok(CreateOutcome::Duplicate {
            existing_order_no: None,
        }) => return Resolution::AlreadyBookedUnnamed,
        Err(error) => error,
    };
    if outcome_unknown(&error) {
        return Resolution::Unanswered(error);
    }
    match send {
        Send::First => Resolution::Refused(error),
        Send::Again if refuses_the_order(&error) => Resolution::Refused(error),
        // A refused connection, a rate limit or a refused appKey says
        // nothing about what the earlier send did.
        Send::Again => Resolution::Unanswered(error),
    }
}

/// Whether Panhe looked at the order and refused it. Panhe checks the
/// customerOrderNo for a repeat before booking (the seed: duplicates are
/// intercepted; the simulator checks them first), so such a refusal of a
/// resend means the earlier send booked nothing either. Were the check
/// later in the real Panhe, the worst case is an unpaid hold marked
/// FAILED here, which Panhe lets expire.
fn refuses_the_order(error: &ProviderError) -> bool {
    match error {
        ProviderError::Rejected { reason, .. } => {
            !matches!(reason, RejectReason::RateLimited | RejectReason::AuthFailed)
        }
        _ => false,
    }
}

const UNANSWERED: &str = "Panhe did not answer createOrder; retry Book with the same \
     idempotency key to find out (it cannot book twice)";
const UNNAMED_DUPLICATE: &str = "Panhe refused createOrder as a repeat of this order's \
     customer order number without naming its order: an operator must look the order up \
     at Panhe by the customer order number";

impl OrderService {
    /// Records `resolution` for the booking of `order` (as recorded before
    /// the send) under `key` and answers the Book call. The key is
    /// completed in the transaction that records the answer, except where
    /// the answer needs a second read (a repeat Panhe already had) or
    /// leaves the key claimed (no answer).
    pub(super) async fn record_booking(
        &self,
        key: &str,
        order: Order,
        resolution: Resolution,
    ) -> Result<Order, OrderError> {
        let order_id = &order.id.clone();
        let read = Some(order);
        let completing = Alongside::completing(key);
        let (order, failure) = match resolution {
            Resolution::Booked(provider_order_no) => {
                let order = self
                    .save_latest_from(
                        read,
                        order_id,
                        |order| adopt(order, &provider_order_no),
                        &completing,
                    )
                    .await?;
                (order, None)
            }
            Resolution::AlreadyBooked(provider_order_no) => {
                tracing::info!(order_id = %order_id.as_str(), "panhe already had the order: adopting it");
                self.save_latest_from(
                    read,
                    order_id,
                    |order| adopt(order, &provider_order_no),
                    &Alongside::default(),
                )
                .await?;
                // The earlier send may be long past: read where it got to.
                let order = match self.refresh(order_id).await {
                    Ok(order) => order,
                    Err(error) => {
                        tracing::warn!(order_id = %order_id.as_str(), error = %error, "reading the adopted order failed; the reconciler will");
                        self.get(order_id).await?
                    }
                };
                self.store
                    .complete_idempotent(key, order.id.as_str().as_bytes())
                    .await?;
                (order, None)
            }
            Resolution::AlreadyBookedUnnamed => {
                tracing::warn!(order_id = %order_id.as_str(), "panhe refused a repeat without naming the order: needs an operator");
                let order = self
                    .save_latest_from(
                        read,
                        order_id,
                        |order| mark_unknown(order, UNNAMED_DUPLICATE),
                        &completing,
                    )
                    .await?;
                (order, None)
            }
            Resolution::Refused(error) => {
                let reason = error.to_string();
                let order = self
                    .save_latest_from(read, order_id, |order| fail(order, &reason), &completing)
                    .await?;
                (order, Some(error))
            }
            Resolution::Unanswered(error) => {
                tracing::warn!(order_id = %order_id.as_str(), error = %error, "createOrder outcome unknown");
                let order = self
                    .save_latest_from(
                        read,
                        order_id,
                        |order| mark_unknown(order, UNANSWERED),
                        &Alongside::default(),
                    )
                    .await?;
                // The key stays claimed: the next retry after the lease
                // sends again and learns the outcome.
                return Ok(order);
            }
        };
        super::book::log_booking(&order, failure.as_ref());
        match failure {
            Some(error) => Err(error.into()),
            None => Ok(order),
        }
    }
}

/// Panhe holds the order under `provider_order_no`: at least submitted.
/// A concurrent writer may have got further already; that stays.
fn adopt(order: &mut Order, provider_order_no: &str) {
    if order.provider_order_no.is_none() {
        order.provider_order_no = Some(provider_order_no.to_owned());
    }
    if order.status == OrderStatus::Unknown {
        order.apply_status(OrderStatus::Pending).ok();
        order.status_reason = None;
    }
}

/// Nothing is booked, unless a concurrent writer learned otherwise.
fn fail(order: &mut Order, reason: &str) {
    if order.provider_order_no.is_none() && order.apply_status(OrderStatus::Failed).is_ok() {
        order.status_reason = Some(reason.to_owned());
    }
}

/// The booking's fate is open, unless a concurrent writer learned it.
fn mark_unknown(order: &mut Order, reason: &str) {
    if order.provider_order_no.is_none() && order.apply_status(OrderStatus::Unknown).is_ok() {
        order.status_reason = Some(reason.to_owned());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{OrderId, ProviderId};
    use std::time::Duration;

    fn rejected(reason: RejectReason) -> ProviderError {
        ProviderError::Rejected {
            provider: ProviderId::Panhe,
            reason,
            code: None,
            message: "refused".into(),
        }
    }

    fn timeout() -> ProviderError {
        ProviderError::Timeout {
            provider: ProviderId::Panhe,
            timeout: Duration::from_secs(10),
        }
    }

    /// A connection that was refused: nothing was sent on this send.
    fn refused_connection() -> ProviderError {
        ProviderError::Unreachable {
            provider: ProviderId::Panhe,
            sent: false,
            source: "connection refused".into(),
        }
    }

    fn name(resolution: &Resolution) -> String {
        match resolution {
            Resolution::Booked(number) => format!("booked {number}"),
            Resolution::AlreadyBooked(number) => format!("already booked {number}"),
            Resolution::AlreadyBookedUnnamed => "already booked, unnamed".into(),
            Resolution::Refused(_) => "refused".into(),
            Resolution::Unanswered(_) => "unanswered".into(),
        }
    }

    #[test]
    fn answers_resolve_the_same_on_either_send() {
        for send in [Send::First, Send::Again] {
            let created = resolve(Ok(CreateOutcome::Created("T1".into())), send);
            assert_eq!(name(&created), "booked T1");
            let named = CreateOutcome::Duplicate {
                existing_order_no: Some("T0".into()),
            };
            assert_eq!(name(&resolve(Ok(named), send)), "already booked T0");
            let unnamed = CreateOutcome::Duplicate {
                existing_order_no: None,
            };
            assert_eq!(name(&resolve(Ok(unnamed), send)), "already booked, unnamed");
            assert_eq!(name(&resolve(Err(timeout()), send)), "unanswered");
            let server_error = ProviderError::HttpStatus {
                provider: ProviderId::Panhe,
                status: 502,
            };
            assert_eq!(name(&resolve(Err(server_error), send)), "unanswered");
            let sold_out = rejected(RejectReason::SoldOut);
            assert_eq!(name(&resolve(Err(sold_out), send)), "refused");
        }
    }

    /// Errors before Panhe reads the order, then refusals of the order.
    async fn early_then_order_errors() -> Vec<ProviderError> {
        vec![
            rejected(RejectReason::RateLimited),
            rejected(RejectReason::AuthFailed),
            refused_connection(),
            rejected(RejectReason::InvalidRequest),
            rejected(RejectReason::PassengerIdentityUnverified),
            rejected(RejectReason::Other),
        ]
    }

    #[tokio::test]
    async fn a_resend_learns_nothing_from_errors_before_the_order_is_read() {
        // On the first send, every refusal means nothing is booked.
        for error in early_then_order_errors().await {
            let label = error.to_string();
            assert_eq!(
                name(&resolve(Err(error), Send::First)),
                "refused",
                "{label}"
            );
        }
        // On a resend, only a refusal of the order itself says so.
        let expected = [
            "unanswered",
            "unanswered",
            "unanswered",
            "refused",
            "refused",
            "refused",
        ];
        for (error, expected) in early_then_order_errors().await.into_iter().zip(expected) {
            let label = error.to_string();
            assert_eq!(name(&resolve(Err(error), Send::Again)), expected, "{label}");
        }
    }

    fn order(status: OrderStatus) -> Order {
        let departure = chrono::NaiveDate::from_ymd_opt(2026, 11, 24)
            .unwrap()
            .and_hms_opt(7, 0, 0)
            .unwrap();
        let now = chrono::Utc::now();
        let station = |telecode: &str, name: &str| crate::domain::StationRef {
            telecode: telecode.into(),
            name: name.into(),
        };
        Order {
            id: OrderId::new(),
            provider: ProviderId::Panhe,
            provider_order_no: None,
            customer_order_no: "RG0001".into(),
            order_no_12306: None,
            status,
            status_reason: None,
            train_code: "G1".into(),
            train_no: None,
            from_station: station("VNP", "北京南"),
            to_station: station("AOH", "上海虹桥"),
            departure,
            arrival: departure + chrono::Duration::hours(4),
            tickets: Vec::new(),
            contact: None,
            total_amount: None,
            ticket_amount: None,
            service_fee: None,
            pay_deadline: None,
            grab_deadline: None,
            changes: Vec::new(),
            channel: None,
            created_at: now,
            updated_at: now,
            version: 0,
            last_sequence: 0,
            owner: String::new(),
            trace_parent: String::new(),
        }
    }

    #[test]
    fn adopting_records_the_number_and_resolves_unknown() {
        for status in [OrderStatus::Pending, OrderStatus::Unknown] {
            let mut booking = order(status);
            booking.status_reason = Some(UNANSWERED.into());
            adopt(&mut booking, "T1");
            assert_eq!(booking.provider_order_no.as_deref(), Some("T1"));
            assert_eq!(booking.status, OrderStatus::Pending);
        }
        let mut unknown = order(OrderStatus::Unknown);
        unknown.status_reason = Some(UNANSWERED.into());
        adopt(&mut unknown, "T1");
        assert_eq!(unknown.status_reason, None);
    }

    #[test]
    fn adopting_keeps_what_a_concurrent_writer_learned() {
        let mut held = order(OrderStatus::Held);
        held.provider_order_no = Some("T1".into());
        adopt(&mut held, "T1");
        assert_eq!(held.status, OrderStatus::Held);
        assert_eq!(held.provider_order_no.as_deref(), Some("T1"));
    }

    #[test]
    fn failing_or_unknown_never_overrides_a_provider_number() {
        let mut booked = order(OrderStatus::Pending);
        booked.provider_order_no = Some("T1".into());
        fail(&mut booked, "sold out");
        mark_unknown(&mut booked, UNANSWERED);
        assert_eq!(booked.status, OrderStatus::Pending);
        assert_eq!(booked.status_reason, None);

        let mut refused = order(OrderStatus::Unknown);
        fail(&mut refused, "sold out");
        assert_eq!(refused.status, OrderStatus::Failed);
        assert_eq!(refused.status_reason.as_deref(), Some("sold out"));

        let mut open = order(OrderStatus::Pending);
        mark_unknown(&mut open, UNNAMED_DUPLICATE);
        assert_eq!(open.status, OrderStatus::Unknown);
        assert!(open.status_reason.unwrap().contains("operator"));
    }

    #[test]
    fn a_final_order_is_not_marked_unknown() {
        let mut failed = order(OrderStatus::Failed);
        failed.status_reason = Some("sold out".into());
        mark_unknown(&mut failed, UNANSWERED);
        assert_eq!(failed.status, OrderStatus::Failed);
        assert_eq!(failed.status_reason.as_deref(), Some("sold out"));
    }
}
