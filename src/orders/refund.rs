//! Refund: one issued ticket per call, as Panhe and Juhe require. The provider
//! answers the application at once and the result later (callback or
//! reconciler): the ticket goes REFUNDING, then REFUNDED or REFUND_FAILED.

use super::book::outcome_unknown;
use super::fingerprint;
use super::refund_quote::QuotedFee;
use super::{Claim, OrderError, OrderService};
use crate::domain::{Order, OrderId, ProviderId, TicketId, TicketStatus};
use crate::routing::capabilities::Capability;

impl OrderService {
    /// Applies for the refund of one ticket.
    /// With `quoted`, the refund is refused (nothing sent) when the fee
    /// would now be higher than the quote's.
    pub async fn refund(
        &self,
        key: &str,
        order_id: &OrderId,
        ticket_id: &TicketId,
        remark: Option<&str>,
        quoted: Option<QuotedFee>,
    ) -> Result<Order, OrderError> {
        let quoted_fee = quoted.map(|quoted| format!("quoted {}", quoted.fee.get()));
        let mut parts = vec![order_id.as_str(), ticket_id.as_str(), remark.unwrap_or("")];
        // Only when quoted: keys stored before quotes keep their fingerprints.
        parts.extend(quoted_fee.as_deref());
        let fingerprint = fingerprint::of(&parts);
        if let Claim::Done(order) = self.claim(key, "refund", &fingerprint).await? {
            return Ok(*order);
        }
        let result = self
            .refund_at_provider(order_id, ticket_id, remark, quoted)
            .await;
        self.finish(key, result).await
    }

    async fn refund_at_provider(
        &self,
        order_id: &OrderId,
        ticket_id: &TicketId,
        remark: Option<&str>,
        quoted: Option<QuotedFee>,
    ) -> Result<Order, OrderError> {
        let order = self.get(order_id).await?;
        if let Some(quoted) = quoted {
            self.check_quote(&order, ticket_id, quoted)?;
        }
        Self::require(&order, Capability::Refund)?;
        let ticket = order
            .ticket(ticket_id)
            .ok_or_else(|| OrderError::TicketNotFound(ticket_id.as_str().to_owned()))?;
        if !ticket.status.can_refund() {
            return Err(OrderError::TicketState {
                operation: "Refund",
                status: ticket.status,
            });
        }
        let Some(provider_order_no) = order.provider_order_no.clone() else {
            return Err(OrderError::WrongState {
                operation: "Refund",
                status: order.status,
            });
        };
        let outcome = match order.provider {
            ProviderId::Panhe => self
                .panhe
                .refund_ticket(&provider_order_no, ticket, remark)
                .await
                .map_err(OrderError::from),
            ProviderId::Juhe => self.refund_juhe(&order, ticket).await,
        };
        // Unless the provider's detail already shows it (or its result).
        let refunding = |order: &mut Order| {
            if let Some(ticket) = order.ticket_mut(ticket_id)
                && ticket.status.can_refund()
            {
                ticket.status = TicketStatus::Refunding;
            }
        };
        match outcome {
            Ok(()) => self.record_effect(order_id, refunding).await,
            // The application may have landed: the next detail read says.
            Err(OrderError::Provider(error)) if outcome_unknown(&error) => {
                tracing::warn!(order_id = %order.id.as_str(), error = %error, "refund outcome unknown");
                self.save_latest(order_id, refunding).await
            }
            Err(error) => Err(error),
        }
    }
}
