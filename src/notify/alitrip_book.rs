//! The alitrip book callback as an outbox message: when an order change
//! calls for one, what the outbox row holds, and how a claimed row is
//! turned into the TOP call.
//!
//! **When.** An order from the alitrip channel is reported once, when it
//! first has a booking outcome the callback can express: the order is
//! final (ISSUED → `11`; FAILED, CANCELLED or EXPIRED → `12`) and every
//! ticket has its own outcome (issued or failed). An order that turns
//! final while a ticket is still being issued is reported when that
//! ticket's outcome arrives. Nothing later is reported through this
//! callback: refunds and changes have alitrip callbacks of their own
//! (`…callback.refund`, `…callback.change`), which seed 003 does not cover.
//!
//! **What is stored.** Only the outcome ([`BookCallbackPayload`]); the
//! order id is the row's own column. The TOP request, with its
//! SM4-sealed passenger fields, is built from the order when it is sent,
//! so no passenger data sits in the outbox in plaintext or otherwise.

use crate::alitrip::codes::{BookOrderStatus, BookTicketStatus};
use crate::alitrip::{BuildError, FieldCipher, TopClient, TopError, build_book_callback};
use crate::domain::{Channel, Order};
use crate::stations::StationDirectory;
use crate::store::{NewOutboxMessage, OutboxMessage, Store, StoreError};
use serde::{Deserialize, Serialize};

/// The outbox topic of book callbacks.
pub const TOPIC: &str = "alitrip.book_callback";

/// The booking outcome a message reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// 出票成功 (`order_status` 11).
    Issued,
    /// 出票失败 (`order_status` 12).
    Failed,
}

impl Outcome {
    fn from_status(status: BookOrderStatus) -> Self {
        match status {
            BookOrderStatus::Issued => Outcome::Issued,
            BookOrderStatus::Failed => Outcome::Failed,
        }
    }

    /// Stable lowercase name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Outcome::Issued => "issued",
            Outcome::Failed => "failed",
        }
    }
}

/// The outbox row's payload (JSON).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BookCallbackPayload {
    /// The outcome being reported.
    pub outcome: Outcome,
}

impl BookCallbackPayload {
    /// Reads a stored payload.
    pub fn parse(bytes: &[u8]) -> Option<Self> {
        serde_json::from_slice(bytes).ok()
    }
}

/// The outcome `order` can report now, if it is an alitrip order with one.
pub fn reportable_outcome(order: &Order) -> Option<Outcome> {
    let Some(Channel::Alitrip { .. }) = &order.channel else {
        return None;
    };
    let status = BookOrderStatus::from_domain(order.status).ok()?;
    let every_ticket_decided = !order.tickets.is_empty()
        && order
            .tickets
            .iter()
            .all(|ticket| BookTicketStatus::from_domain(ticket.status).is_ok());
    every_ticket_decided.then(|| Outcome::from_status(status))
}

/// The book callback message `before → after` calls for: one when
/// `after` has an outcome to report and `before` did not.
pub fn message(before: &Order, after: &Order) -> Option<NewOutboxMessage> {
    if reportable_outcome(before).is_some() {
        return None;
    }
    let outcome = reportable_outcome(after)?;
    // The JSON of [`BookCallbackPayload`], written out: it cannot fail.
    let payload = format!(r#"{{"outcome":"{}"}}"#, outcome.as_str());
    Some(NewOutboxMessage {
        topic: TOPIC.to_owned(),
        payload: payload.into_bytes(),
    })
}

/// Why a book callback was not delivered. No variant carries personal
/// data: builder errors name tickets by position, TOP's texts are masked.
#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    /// The row names no order, or its payload is not ours.
    #[error("outbox message is not a readable book callback")]
    BadMessage,
    /// The order the row names is gone.
    #[error("order not found")]
    OrderMissing,
    /// The order cannot be expressed as a callback.
    #[error("cannot build the callback: {0}")]
    Build(#[from] BuildError),
    /// The TOP call failed.
    #[error(transparent)]
    Top(#[from] TopError),
    /// Reading the order failed.
    #[error("reading the order failed")]
    Store(#[source] StoreError),
}

impl DeliveryError {
    /// Whether sending again later may succeed: TOP's own verdict, or a
    /// store hiccup; the rest would fail the same way every time.
    pub fn is_retryable(&self) -> bool {
        match self {
            DeliveryError::Top(error) => error.is_retryable(),
            DeliveryError::Store(_) => true,
            DeliveryError::BadMessage | DeliveryError::OrderMissing | DeliveryError::Build(_) => {
                false
            }
        }
    }
}

/// Sends book callbacks to alitrip's TOP gateway.
#[derive(Debug, Clone)]
pub struct BookCallbackSender {
    client: TopClient,
    cipher: FieldCipher,
    stations: &'static StationDirectory,
}

impl BookCallbackSender {
    /// A sender through `client`, sealing passenger fields with `cipher`.
    pub fn new(
        client: TopClient,
        cipher: FieldCipher,
        stations: &'static StationDirectory,
    ) -> Self {
        Self {
            client,
            cipher,
            stations,
        }
    }

    /// Builds the callback for the order `message` names, from the order
    /// as stored now, and sends it.
    pub async fn deliver(
        &self,
        store: &Store,
        message: &OutboxMessage,
    ) -> Result<(), DeliveryError> {
        let (Some(order_id), Some(_payload)) = (
            message.order_id.as_ref(),
            BookCallbackPayload::parse(&message.payload),
        ) else {
            return Err(DeliveryError::BadMessage);
        };
        let order = store
            .get_order(order_id)
            .await
            .map_err(DeliveryError::Store)?
            .ok_or(DeliveryError::OrderMissing)?;
        let passenger_ids = match &order.channel {
            Some(Channel::Alitrip { passenger_ids, .. }) => passenger_ids.as_slice(),
            None => return Err(BuildError::NotAlitrip.into()),
        };
        let param = build_book_callback(&order, passenger_ids, self.stations, &self.cipher)?;
        self.client.send_book_callback(&param).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alitrip::fixtures;
    use crate::domain::{OrderStatus, TicketStatus};

    fn pending_of(order: &Order) -> Order {
        let mut pending = order.clone();
        pending.status = OrderStatus::Issuing;
        for ticket in &mut pending.tickets {
            ticket.status = TicketStatus::Issuing;
        }
        pending
    }

    fn outcome_of(message: &NewOutboxMessage) -> Outcome {
        assert_eq!(message.topic, TOPIC);
        BookCallbackPayload::parse(&message.payload)
            .unwrap()
            .outcome
    }

    #[test]
    fn reaching_issued_or_failed_enqueues_one_message() {
        let issued = fixtures::issued_order();
        let reported = message(&pending_of(&issued), &issued).expect("a message");
        assert_eq!(outcome_of(&reported), Outcome::Issued);
        assert_eq!(reported.payload, br#"{"outcome":"issued"}"#);

        let failed = fixtures::failed_order();
        let mut held = failed.clone();
        held.status = OrderStatus::Pending;
        for ticket in &mut held.tickets {
            ticket.status = TicketStatus::Pending;
        }
        assert_eq!(
            outcome_of(&message(&held, &failed).unwrap()),
            Outcome::Failed
        );
    }

    #[test]
    fn cancelled_and_expired_report_as_failed() {
        for status in [OrderStatus::Cancelled, OrderStatus::Expired] {
            let mut order = fixtures::failed_order();
            order.status = status;
            for ticket in &mut order.tickets {
                ticket.status = TicketStatus::Cancelled;
            }
            let mut before = order.clone();
            before.status = OrderStatus::Held;
            before
                .tickets
                .iter_mut()
                .for_each(|t| t.status = TicketStatus::Held);
            assert_eq!(
                outcome_of(&message(&before, &order).unwrap()),
                Outcome::Failed,
                "{status}"
            );
        }
    }

    #[test]
    fn later_changes_of_a_reported_order_enqueue_nothing() {
        let issued = fixtures::issued_order();
        let mut refunded = issued.clone();
        refunded.tickets[0].status = TicketStatus::Refunded;
        assert_eq!(message(&issued, &refunded), None);
        assert_eq!(message(&issued, &issued), None);
    }

    #[test]
    fn waits_until_every_ticket_has_an_outcome() {
        let issued = fixtures::issued_order();
        let mut partly = issued.clone();
        partly.tickets[1].status = TicketStatus::Issuing;
        assert_eq!(reportable_outcome(&partly), None);
        assert_eq!(message(&pending_of(&issued), &partly), None);
        let reported = message(&partly, &issued).expect("the last ticket decides");
        assert_eq!(outcome_of(&reported), Outcome::Issued);
    }

    #[test]
    fn non_alitrip_and_unfinished_orders_report_nothing() {
        let mut direct = fixtures::issued_order();
        direct.channel = None;
        assert_eq!(message(&pending_of(&direct), &direct), None);
        for status in [
            OrderStatus::Pending,
            OrderStatus::Grabbing,
            OrderStatus::Held,
            OrderStatus::Issuing,
            OrderStatus::Unknown,
        ] {
            let mut order = fixtures::issued_order();
            order.status = status;
            assert_eq!(reportable_outcome(&order), None, "{status}");
        }
        let mut empty = fixtures::issued_order();
        empty.tickets.clear();
        assert_eq!(reportable_outcome(&empty), None);
    }

    #[test]
    fn payloads_parse_strictly_and_hold_no_personal_data() {
        assert_eq!(
            BookCallbackPayload::parse(br#"{"outcome":"failed"}"#),
            Some(BookCallbackPayload {
                outcome: Outcome::Failed
            })
        );
        for bad in [&b"{}"[..], b"[]", br#"{"outcome":"refunded"}"#, b"\xff"] {
            assert_eq!(BookCallbackPayload::parse(bad), None);
        }
        let issued = fixtures::issued_order();
        let payload = message(&pending_of(&issued), &issued).unwrap().payload;
        let text = String::from_utf8(payload).unwrap();
        for personal in ["欧阳娜娜", "11010519491231002X", "15712340587", "123452"] {
            assert!(!text.contains(personal), "{text}");
        }
    }

    #[test]
    fn only_top_verdicts_and_store_failures_are_retried() {
        let retryable = DeliveryError::Top(TopError::HttpStatus(502));
        let permanent = DeliveryError::Top(TopError::HttpStatus(404));
        assert!(retryable.is_retryable());
        assert!(!permanent.is_retryable());
        assert!(DeliveryError::Store(StoreError::InvalidPageToken).is_retryable());
        assert!(!DeliveryError::BadMessage.is_retryable());
        assert!(!DeliveryError::OrderMissing.is_retryable());
        assert!(!DeliveryError::Build(BuildError::NoTickets).is_retryable());
    }
}
