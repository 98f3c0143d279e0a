//! Refund quotes: what refunding an issued ticket costs now under 12306's
//! rule ([`crate::domain::refund_rule`]), and the check a Refund carrying a
//! quote makes before anything is sent.

use super::{OrderError, OrderService};
use crate::domain::refund_rule::{RefundFigures, refund_figures};
use crate::domain::{ChangeStatus, Fen, Order, OrderId, Ticket, TicketId};
use crate::routing::capabilities::Capability;
use chrono::NaiveDateTime;

/// A quote for one ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundQuote {
    /// The ticket.
    pub ticket_id: TicketId,
    /// Its price.
    pub price: Fen,
    /// The departure the time left is counted to.
    pub departure: NaiveDateTime,
    /// Fee, refund, band and how long they hold.
    pub figures: RefundFigures,
}

/// The fee a Refund was quoted, as the caller sent it back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuotedFee {
    /// The fee quoted.
    pub fee: Fen,
}

impl OrderService {
    /// Quotes the refund of `ticket_id` now. Changes nothing.
    pub async fn quote_refund(
        &self,
        order_id: &OrderId,
        ticket_id: &TicketId,
    ) -> Result<RefundQuote, OrderError> {
        let order = self.get(order_id).await?;
        self.quote_ticket(&order, ticket_id)
    }

    /// The quote for a ticket of `order` that can be refunded.
    pub(super) fn quote_ticket(
        &self,
        order: &Order,
        ticket_id: &TicketId,
    ) -> Result<RefundQuote, OrderError> {
        Self::require(order, Capability::Refund)?;
        let ticket = order
            .ticket(ticket_id)
            .ok_or_else(|| OrderError::TicketNotFound(ticket_id.as_str().to_owned()))?;
        if !ticket.status.can_refund() {
            return Err(OrderError::TicketState {
                operation: "QuoteRefund",
                status: ticket.status,
            });
        }
        // An issued ticket has its price; one without is not issued yet.
        let price = ticket.price.ok_or(OrderError::TicketState {
            operation: "QuoteRefund",
            status: ticket.status,
        })?;
        let departure = ticket_departure(order, ticket);
        let now = self.clock.now_local().naive_local();
        let figures = refund_figures(price, departure, now)?;
        Ok(RefundQuote {
            ticket_id: ticket.id.clone(),
            price,
            departure,
            figures,
        })
    }

    /// Refuses a refund whose quoted fee would now be exceeded.
    pub(super) fn check_quote(
        &self,
        order: &Order,
        ticket_id: &TicketId,
        quoted: QuotedFee,
    ) -> Result<(), OrderError> {
        let now = self.quote_ticket(order, ticket_id)?;
        if now.figures.fee > quoted.fee {
            return Err(OrderError::QuoteChanged {
                quoted_fee: quoted.fee,
                fee_now: now.figures.fee,
            });
        }
        Ok(())
    }
}

/// The departure of the train `ticket` now rides: the issued change's new
/// train if it was changed, else the order's.
fn ticket_departure(order: &Order, ticket: &Ticket) -> NaiveDateTime {
    if ticket.replaced.is_some()
        && let Some(change) = order.changes.iter().rev().find(|change| {
            change.status == ChangeStatus::Issued && change.ticket_ids.contains(&ticket.id)
        })
    {
        return change.departure;
    }
    order.departure
}
