//! Book with grab options: a Juhe grab order (抢票单). Juhe keeps trying
//! the listed trains and seat classes until the deadline and issues the
//! tickets itself, so the order goes PENDING → GRABBING → ISSUED (or
//! EXPIRED, FAILED, CANCELLED); there is no hold and no Confirm.
//!
//! Idempotency works as for Panhe: the key is claimed first and Juhe's
//! `outOrderNo` is derived from it, so Juhe (which refuses a repeated
//! outOrderNo) holds at most one order per key. A submit whose answer was
//! lost leaves the order UNKNOWN; unlike Panhe, Juhe's order detail is
//! keyed by outOrderNo, so the reconciler resolves it by reading the
//! detail, and a retry of Book after the lease does the same before it
//! ever submits again.

use super::book::{BookCommand, new_order, outcome_unknown};
use super::fingerprint::customer_order_no;
use super::{Claim, OrderError, OrderService};
use crate::domain::{Offer, Order, OrderId, OrderStatus, Passenger, ProviderId, SeatClass};
use crate::providers::juhe::codes;
use crate::providers::juhe::submit::{
    GrabOrder, InvalidGrabOrder, SubmitError, TrainAccount, Violation,
};
use crate::providers::{ProviderError, RejectReason};
use chrono::{DateTime, Utc};
use secrecy::SecretString;

/// The grab part of a Book request.
#[derive(Debug, Clone)]
pub struct GrabCommand {
    /// Stop grabbing at this instant.
    pub deadline: DateTime<Utc>,
    /// Further offers (trains) that will do, from the same search.
    pub alternatives: Vec<Offer>,
    /// Further seat classes that will do on every listed train.
    pub alternative_seat_classes: Vec<SeatClass>,
    /// Only trains leaving within this time of day (checked by the caller
    /// of the order service on every offer it passes).
    pub window: super::grab_dates::DepartureWindow,
    /// The other dates' offers, one order each (see `grab_dates`).
    pub dated: Vec<super::grab_dates::DatedOffers>,
    /// Split the party into one order per traveller (see `grab_party`).
    pub party: Option<super::grab_party::PartyRule>,
}

impl GrabCommand {
    /// This command's part of the Book request fingerprint.
    pub(super) fn fingerprint_part(&self) -> String {
        let mut parts = vec![self.deadline.to_rfc3339(), self.window.to_string()];
        // The dates, not their offers: a retry searches again and may get
        // other offers (new query keys) for the same trains.
        parts.extend(self.dated.iter().map(|dated| dated.date.to_string()));
        if let Some(party) = &self.party {
            parts.push(format!("party min {}", party.min_issued));
        }
        parts.extend(self.alternatives.iter().map(Offer::encode));
        parts.extend(
            self.alternative_seat_classes
                .iter()
                .map(|class| format!("{class:?}")),
        );
        parts.join("|")
    }

    /// Every offer besides `main` Juhe may grab: the alternative offers
    /// first (so `alternatives[i]` in a violation is the request's
    /// `alternative_offer_ids[i]`), then each listed train in each
    /// alternative seat class.
    fn candidate_offers(&self, main: &Offer) -> Vec<Offer> {
        let mut offers = self.alternatives.clone();
        for train in std::iter::once(main).chain(&self.alternatives) {
            for class in &self.alternative_seat_classes {
                if *class != train.seat_class {
                    offers.push(Offer {
                        seat_class: *class,
                        // The quoted berth was the other class's.
                        berth: None,
                        ..train.clone()
                    });
                }
            }
        }
        offers
    }
}

/// Names the adapter's fields as the Book request does, so a caller can
/// find what to fix. `offers` is how many alternative offers the request
/// listed (the rest of `alternatives[…]` are seat-class variants).
fn in_request_terms(error: InvalidGrabOrder, offers: usize) -> InvalidGrabOrder {
    let violations = error
        .violations
        .into_iter()
        .map(|violation| Violation {
            field: request_field(&violation.field, offers),
            description: violation.description,
        })
        .collect();
    InvalidGrabOrder { violations }
}

fn request_field(field: &str, offers: usize) -> String {
    let alternative = field
        .strip_prefix("alternatives[")
        .and_then(|rest| rest.strip_suffix(']'))
        .and_then(|index| index.parse::<usize>().ok());
    match (field, alternative) {
        (_, Some(index)) if index < offers => format!("grab.alternative_offer_ids[{index}]"),
        (_, Some(_)) => "grab.alternative_seat_classes".to_owned(),
        ("main", _) => "offer_id".to_owned(),
        ("deadline", _) => "grab.deadline".to_owned(),
        ("berth", _) => "passengers[0].berth".to_owned(),
        ("out_order_no", _) => "idempotency_key".to_owned(),
        _ => field.to_owned(),
    }
}

impl OrderService {
    /// Books `command` as a Juhe grab order: at most one Juhe order per
    /// idempotency key, and nothing stored or sent for a request that
    /// breaks one of Juhe's rules.
    pub(super) async fn book_grab(
        &self,
        command: &BookCommand,
        grab: &GrabCommand,
    ) -> Result<Order, OrderError> {
        let juhe = self.juhe_adapter()?;
        let now = self.clock.now_utc();
        let key = command.idempotency_key.as_str();
        let out_order_no = customer_order_no(key);
        let passengers: Vec<Passenger> = command
            .passengers
            .iter()
            .map(|booked| booked.passenger.clone())
            .collect();
        let account = command
            .account
            .as_ref()
            .map(|(user, password)| TrainAccount {
                account: SecretString::from(user.clone()),
                password: password.clone(),
            });
        let alternatives = grab.candidate_offers(&command.offer);
        let request = GrabOrder {
            out_order_no: &out_order_no,
            main: &command.offer,
            alternatives: &alternatives,
            berth: command.passengers.first().and_then(|booked| booked.berth),
            deadline: grab.deadline,
            passengers: &passengers,
            contact: &command.contact,
            accept_no_seat: command.accept_standing,
            account: account.as_ref(),
        };
        let offers = grab.alternatives.len();
        let resumed = match self.claim(key, "book", &command.fingerprint()).await? {
            // Answered before: the first answer stands, even once the
            // train is too close to grab again.
            Claim::Done(order) => return Ok(*order),
            Claim::Owned { resumed } => resumed,
        };
        let earlier = if resumed {
            self.store
                .find_by_customer_order_no(ProviderId::Juhe, &out_order_no)
                .await?
        } else {
            None
        };
        // A new order is checked before anything is stored or sent; the
        // key is released so a corrected request may use it.
        if earlier.is_none()
            && let Err(invalid) = juhe.submit_request(&request, now)
        {
            self.store.release_idempotent(key).await?;
            return Err(in_request_terms(invalid, offers).into());
        }
        let order_id = match earlier {
            Some(order) => match self.resume_grab(key, &order).await? {
                Some(settled) => return Ok(settled),
                None => order.id,
            },
            None => {
                // Recorded before sending, so a crash after the send leaves
                // an order for the reconciler and the retry to find.
                let mut order = new_order(command, out_order_no.clone(), now);
                order.grab_deadline = Some(grab.deadline);
                self.insert(&mut order).await?;
                order.id
            }
        };
        let outcome = juhe.submit_order(&request, now).await;
        self.record_grab(key, &order_id, outcome, offers).await
    }

    /// An earlier attempt recorded the order and stopped: Juhe's detail
    /// (by outOrderNo) says whether its submit arrived. `Some` when it did
    /// (or it is still unknown): the answer. `None`: Juhe has no such order
    /// and it may be submitted.
    async fn resume_grab(&self, key: &str, order: &Order) -> Result<Option<Order>, OrderError> {
        let unanswered = order.provider_order_no.is_none()
            && matches!(order.status, OrderStatus::Pending | OrderStatus::Unknown);
        if !unanswered {
            self.store
                .complete_idempotent(key, order.id.as_str().as_bytes())
                .await?;
            return Ok(Some(order.clone()));
        }
        match self.refresh(&order.id).await {
            Ok(refreshed) => {
                self.store
                    .complete_idempotent(key, order.id.as_str().as_bytes())
                    .await?;
                Ok(Some(refreshed))
            }
            Err(OrderError::Provider(ProviderError::Rejected {
                reason: RejectReason::OrderNotFound,
                ..
            })) => Ok(None),
            // Still unknown: the key stays claimed for the next retry.
            Err(error) => {
                tracing::warn!(order_id = %order.id.as_str(), error = %error, "resumed grab order still unresolved");
                Ok(Some(self.get(&order.id).await?))
            }
        }
    }

    /// Records what submitOrder answered and answers the Book call.
    async fn record_grab(
        &self,
        key: &str,
        order_id: &OrderId,
        outcome: Result<String, SubmitError>,
        offers: usize,
    ) -> Result<Order, OrderError> {
        let failure: OrderError = match outcome {
            Ok(order_no) => {
                let order = self
                    .save_latest(order_id, |order| accepted(order, &order_no))
                    .await?;
                self.store
                    .complete_idempotent(key, order_id.as_str().as_bytes())
                    .await?;
                return Ok(order);
            }
            Err(SubmitError::Provider(ProviderError::Rejected {
                reason: RejectReason::DuplicateOrder,
                ..
            })) => {
                // An earlier send of this outOrderNo arrived: read it.
                tracing::info!(order_id = %order_id.as_str(), "juhe already had the grab order: adopting it");
                let order = match self.refresh(order_id).await {
                    Ok(order) => order,
                    Err(error) => {
                        tracing::warn!(order_id = %order_id.as_str(), error = %error, "reading the adopted grab order failed; the reconciler will");
                        self.get(order_id).await?
                    }
                };
                self.store
                    .complete_idempotent(key, order_id.as_str().as_bytes())
                    .await?;
                return Ok(order);
            }
            Err(SubmitError::Provider(error)) if submit_outcome_unknown(&error) => {
                tracing::warn!(order_id = %order_id.as_str(), error = %error, "submitOrder outcome unknown");
                // The key stays claimed; the reconciler reads the detail.
                return self.save_latest(order_id, unanswered).await;
            }
            Err(SubmitError::Provider(error)) => error.into(),
            Err(SubmitError::Invalid(error)) => in_request_terms(error, offers).into(),
        };
        let reason = failure.to_string();
        self.save_latest(order_id, |order| refused(order, &reason))
            .await?;
        self.store
            .complete_idempotent(key, order_id.as_str().as_bytes())
            .await?;
        Err(failure)
    }
}

/// Whether Juhe may have created the grab order although submitOrder did
/// not say so: no answer, or one of the refusals after which seed 000 says
/// to check the order ([`codes::SUBMIT_OUTCOME_UNKNOWN`]).
fn submit_outcome_unknown(error: &ProviderError) -> bool {
    match error {
        ProviderError::Rejected {
            code: Some(code), ..
        } => codes::submit_outcome_unknown(code),
        other => outcome_unknown(other),
    }
}

const UNANSWERED: &str = "Juhe did not answer submitOrder; the order is read from Juhe's \
     order detail until it is known";

/// Juhe took the order: it is grabbing, unless a concurrent reader
/// already saw it further along.
fn accepted(order: &mut Order, order_no: &str) {
    if order.provider_order_no.is_none() {
        order.provider_order_no = Some(order_no.to_owned());
    }
    if matches!(order.status, OrderStatus::Pending | OrderStatus::Unknown)
        && order.apply_status(OrderStatus::Grabbing).is_ok()
    {
        order.status_reason = None;
    }
}

fn unanswered(order: &mut Order) {
    if order.provider_order_no.is_none() && order.apply_status(OrderStatus::Unknown).is_ok() {
        order.status_reason = Some(UNANSWERED.to_owned());
    }
}

fn refused(order: &mut Order, reason: &str) {
    if order.provider_order_no.is_none() && order.apply_status(OrderStatus::Failed).is_ok() {
        order.status_reason = Some(reason.to_owned());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn offer(train_code: &str, seat_class: SeatClass) -> Offer {
        let departure = chrono::NaiveDate::from_ymd_opt(2026, 5, 3)
            .and_then(|date| date.and_hms_opt(8, 0, 0))
            .unwrap_or_default();
        Offer {
            provider: ProviderId::Juhe,
            train_code: train_code.to_owned(),
            train_no: format!("{train_code}00"),
            from_station: "北京南".to_owned(),
            to_station: "上海虹桥".to_owned(),
            departure,
            arrival: departure,
            seat_class,
            provider_key: Some("qk".to_owned()),
            berth: None,
        }
    }

    #[test]
    fn alternatives_come_first_then_every_train_in_every_other_class() {
        let grab = GrabCommand {
            deadline: Utc::now(),
            alternatives: vec![offer("G2", SeatClass::Second)],
            alternative_seat_classes: vec![SeatClass::First, SeatClass::Second],
            window: Default::default(),
            dated: Vec::new(),
            party: None,
        };
        let offers = grab.candidate_offers(&offer("G1", SeatClass::Second));
        let listed: Vec<(&str, SeatClass)> = offers
            .iter()
            .map(|offer| (offer.train_code.as_str(), offer.seat_class))
            .collect();
        assert_eq!(
            listed,
            [
                ("G2", SeatClass::Second),
                ("G1", SeatClass::First),
                ("G2", SeatClass::First),
            ]
        );
    }

    #[test]
    fn adapter_fields_are_named_as_in_the_request() {
        assert_eq!(request_field("main", 2), "offer_id");
        assert_eq!(
            request_field("alternatives[1]", 2),
            "grab.alternative_offer_ids[1]"
        );
        assert_eq!(
            request_field("alternatives[2]", 2),
            "grab.alternative_seat_classes"
        );
        assert_eq!(request_field("deadline", 0), "grab.deadline");
        assert_eq!(
            request_field("passengers[3].passenger_type", 0),
            "passengers[3].passenger_type"
        );
        assert_eq!(request_field("passengers", 0), "passengers");
    }

    #[test]
    fn a_refused_submit_may_still_have_made_the_order() {
        let rejected = |code: &str| ProviderError::Rejected {
            provider: ProviderId::Juhe,
            reason: RejectReason::ProviderUnavailable,
            code: Some(code.to_owned()),
            message: String::new(),
        };
        // Seed 000: 10014 says to check the order; 225700 says nothing.
        assert!(submit_outcome_unknown(&rejected("10014")));
        assert!(submit_outcome_unknown(&rejected("225700")));
        // Refusals that say the order was not taken.
        for code in ["10012", "10020", "225701", "225703"] {
            assert!(!submit_outcome_unknown(&rejected(code)), "{code}");
        }
        let timeout = ProviderError::Timeout {
            provider: ProviderId::Juhe,
            timeout: std::time::Duration::from_secs(1),
        };
        assert!(submit_outcome_unknown(&timeout));
    }
}
