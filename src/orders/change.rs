//! Change (改签): apply (holds new seats), then confirm (pays any
//! difference) or cancel. One successful change per ticket.

use super::book::outcome_unknown;
use super::fingerprint;
use super::{Claim, OrderError, OrderService};
use crate::domain::{
    Berth, ChangeId, ChangeOrder, ChangeOrigin, ChangeSettlement, ChangeStatus, Fen, Offer, Order,
    OrderId, OrderStatus, ProviderId, StationRef, TicketId, TicketStatus,
};
use crate::providers::panhe::booking::ChangeApplication;
use crate::routing::capabilities::Capability;

/// A validated Change request.
pub struct ChangeCommand {
    /// The caller's idempotency key.
    pub idempotency_key: String,
    /// The order.
    pub order_id: OrderId,
    /// Tickets to change together.
    pub ticket_ids: Vec<TicketId>,
    /// The new train and seat class.
    pub offer: Offer,
    /// New boarding station as recorded.
    pub from_station: StationRef,
    /// New alighting station as recorded.
    pub to_station: StationRef,
    /// Seats to choose, one per ticket.
    pub seat_choices: Vec<String>,
    /// Berths, one per ticket.
    pub berths: Vec<Berth>,
    /// Accept standing tickets.
    pub accept_standing: bool,
    /// Reason passed to the provider (Panhe requires one).
    pub remark: String,
}

impl OrderService {
    /// Applies for a change; returns the order and the new change's id.
    pub async fn change(&self, command: ChangeCommand) -> Result<(Order, ChangeId), OrderError> {
        let mut parts = vec![
            command.order_id.as_str().to_owned(),
            command.offer.encode(),
            command.remark.clone(),
        ];
        parts.extend(command.ticket_ids.iter().map(|id| id.as_str().to_owned()));
        parts.push(command.seat_choices.join(","));
        parts.push(format!("{:?}{}", command.berths, command.accept_standing));
        let parts: Vec<&str> = parts.iter().map(String::as_str).collect();
        let key = command.idempotency_key.clone();
        if let Claim::Done(order) = self.claim(&key, "change", &fingerprint::of(&parts)).await? {
            // The newest change of those tickets is the one this key made.
            let change = order
                .changes
                .iter()
                .rev()
                .find(|change| {
                    command
                        .ticket_ids
                        .iter()
                        .all(|id| change.ticket_ids.contains(id))
                })
                .map(|change| change.id.clone())
                .ok_or_else(|| OrderError::NotFound(format!("change of {}", order.id.as_str())))?;
            return Ok((*order, change));
        }
        match self.apply_change(&command).await {
            Ok((order, change_id)) => {
                self.store
                    .complete_idempotent(&key, order.id.as_str().as_bytes())
                    .await?;
                Ok((order, change_id))
            }
            Err(error) => {
                // Nothing happened at the provider: a retry may try again.
                self.store.release_idempotent(&key).await?;
                Err(error)
            }
        }
    }

    async fn apply_change(&self, command: &ChangeCommand) -> Result<(Order, ChangeId), OrderError> {
        Self::require(&self.get(&command.order_id).await?, Capability::Change)?;
        if command.offer.provider != ProviderId::Panhe {
            return Err(OrderError::Unsupported {
                provider: command.offer.provider,
                capability: "change to another provider's train",
            });
        }
        let order = self.get(&command.order_id).await?;
        if order.status != OrderStatus::Issued {
            return Err(OrderError::WrongState {
                operation: "Change",
                status: order.status,
            });
        }
        let mut ticket_nos = Vec::new();
        for id in &command.ticket_ids {
            let ticket = order
                .ticket(id)
                .ok_or_else(|| OrderError::TicketNotFound(id.as_str().to_owned()))?;
            match (&ticket.ticket_number, ticket.status.can_change()) {
                (Some(number), true) => ticket_nos.push(number.clone()),
                _ => {
                    return Err(OrderError::TicketState {
                        operation: "Change",
                        status: ticket.status,
                    });
                }
            }
        }
        let provider_order_no = order
            .provider_order_no
            .clone()
            .ok_or(OrderError::WrongState {
                operation: "Change",
                status: order.status,
            })?;
        let ticket_nos: Vec<&str> = ticket_nos.iter().map(String::as_str).collect();
        let callback_url = self
            .config
            .panhe_callback_url
            .as_ref()
            .map(|base| format!("{base}/order"));
        let application = ChangeApplication {
            provider_order_no: &provider_order_no,
            ticket_nos: &ticket_nos,
            offer: &command.offer,
            seat_choices: &command.seat_choices,
            berths: &command.berths,
            accept_standing: command.accept_standing,
            remark: &command.remark,
            callback_url: callback_url.as_deref(),
        };
        let provider_change_no = match self.panhe.apply_change(&application).await {
            Ok(change_no) => Some(change_no),
            Err(error) if outcome_unknown(&error) => {
                tracing::warn!(order_id = %order.id.as_str(), error = %error, "applyChange outcome unknown");
                None
            }
            Err(error) => return Err(error.into()),
        };
        let change = ChangeOrder {
            id: ChangeId::new(),
            provider_change_no,
            status: ChangeStatus::Pending,
            ticket_ids: command.ticket_ids.clone(),
            train_code: command.offer.train_code.clone(),
            from_station: command.from_station.clone(),
            to_station: command.to_station.clone(),
            departure: command.offer.departure,
            arrival: command.offer.arrival,
            seat_class: command.offer.seat_class,
            price_difference: None,
            change_fee: None,
            need_to_pay: None,
            refund_amount: None,
            confirm_deadline: None,
            status_reason: None,
            created_at: self.clock.now_utc(),
            settlement: ChangeSettlement::default(),
            origin: ChangeOrigin::Railgate,
        };
        let change_id = change.id.clone();
        let order = self
            .save_latest(&command.order_id, |order| {
                for id in &command.ticket_ids {
                    if let Some(ticket) = order.ticket_mut(id)
                        && ticket.status.can_change()
                    {
                        ticket.status = TicketStatus::Changing;
                    }
                }
                order.changes.push(change.clone());
            })
            .await?;
        Ok((order, change_id))
    }

    /// Confirms a held change, paying `expected` (its need-to-pay amount).
    pub async fn confirm_change(
        &self,
        key: &str,
        order_id: &OrderId,
        change_id: &ChangeId,
        expected: Fen,
    ) -> Result<Order, OrderError> {
        let parts = [
            order_id.as_str(),
            change_id.as_str(),
            &expected.get().to_string(),
        ];
        if let Claim::Done(order) = self
            .claim(key, "confirm_change", &fingerprint::of(&parts))
            .await?
        {
            return Ok(*order);
        }
        let result = self
            .settle_change(order_id, change_id, Settle::Confirm(expected))
            .await;
        self.finish(key, result).await
    }

    /// Cancels a held change; the original tickets stand.
    pub async fn cancel_change(
        &self,
        key: &str,
        order_id: &OrderId,
        change_id: &ChangeId,
        remark: &str,
    ) -> Result<Order, OrderError> {
        let parts = [order_id.as_str(), change_id.as_str(), remark];
        if let Claim::Done(order) = self
            .claim(key, "cancel_change", &fingerprint::of(&parts))
            .await?
        {
            return Ok(*order);
        }
        let result = self
            .settle_change(order_id, change_id, Settle::Cancel(remark))
            .await;
        self.finish(key, result).await
    }

    async fn settle_change(
        &self,
        order_id: &OrderId,
        change_id: &ChangeId,
        settle: Settle<'_>,
    ) -> Result<Order, OrderError> {
        let order = self.get(order_id).await?;
        Self::require(&order, Capability::Change)?;
        let provider_order_no = order.provider_order_no.clone().unwrap_or_default();
        let change = order
            .change(change_id)
            .ok_or_else(|| OrderError::ChangeNotFound(change_id.as_str().to_owned()))?;
        let operation = match settle {
            Settle::Confirm(_) => "ConfirmChange",
            Settle::Cancel(_) => "CancelChange",
        };
        let allowed = match settle {
            Settle::Confirm(_) => change.status == ChangeStatus::Held,
            Settle::Cancel(_) => {
                matches!(change.status, ChangeStatus::Pending | ChangeStatus::Held)
            }
        };
        let Some(change_no) = change.provider_change_no.clone().filter(|_| allowed) else {
            return Err(OrderError::ChangeState {
                operation,
                status: change.status,
            });
        };
        let need_to_pay = change.need_to_pay.unwrap_or(Fen::ZERO);
        let next = match settle {
            Settle::Confirm(expected) => {
                if expected != need_to_pay {
                    return Err(OrderError::AmountMismatch {
                        expected,
                        actual: need_to_pay,
                    });
                }
                self.panhe
                    .confirm_change(
                        &provider_order_no,
                        &change_no,
                        need_to_pay,
                        &self.config.panhe_secret_key,
                    )
                    .await?;
                ChangeStatus::Issuing
            }
            Settle::Cancel(remark) => {
                self.panhe.cancel_change(&change_no, remark).await?;
                ChangeStatus::Cancelled
            }
        };
        self.record_effect(order_id, |order| {
            if let Some(change) = order.change_mut(change_id)
                && let Err(stale) = change.apply_status(next)
            {
                tracing::info!(%stale, "change moved on before the answer");
            }
        })
        .await
    }
}

#[derive(Clone, Copy)]
enum Settle<'a> {
    Confirm(Fen),
    Cancel(&'a str),
}
