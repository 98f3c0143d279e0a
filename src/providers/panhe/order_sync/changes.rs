//! The change orders (改签单) of Panhe's order detail: each one matched to
//! the change railgate applied for (by `chaNo`, or for an application whose
//! answer was lost, by the tickets and train it names), or recorded as a
//! change made outside railgate; its money; and once it is issued, its new
//! tickets put in force on the tickets they replace.

use super::{apply_ticket, fen, instant, set_if_some, unknown};
use crate::domain::{
    ChangeId, ChangeOrder, ChangeOrigin, ChangeSettlement, ChangeStatus, Fen, Order,
    ReplacedTicket, StationRef, Ticket, TicketId,
};
use crate::privacy::mask_free_text;
use crate::providers::ProviderError;
use crate::providers::panhe::mapping::{parse_date_time, seat_class_from_code};
use crate::providers::panhe::order_mapping::{
    change_refund_kind_from_code, change_status_from_code, price_change_from_code,
};
use crate::providers::panhe::order_wire::{ChangeOrderDetail, TrainTicket};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

/// Applies every change order of the detail to `order`.
pub(super) fn apply_changes(
    order: &mut Order,
    wires: &[ChangeOrderDetail],
) -> Result<(), ProviderError> {
    for wire in wires {
        let ticket_ids = tickets_named(&order.tickets, &wire.train_tickets);
        let index = match find_change(&order.changes, wire, &ticket_ids) {
            Some(index) => index,
            None => {
                let change = change_made_elsewhere(order, wire, ticket_ids.clone())?;
                tracing::info!(order_id = %order.id.as_str(), change_id = %change.id.as_str(), "order detail lists a change made outside railgate");
                order.changes.push(change);
                order.changes.len() - 1
            }
        };
        let change = &mut order.changes[index];
        if change.provider_change_no.is_none() {
            tracing::info!(order_id = %order.id.as_str(), change_id = %change.id.as_str(), "change number recovered from order detail");
            change.provider_change_no = Some(wire.cha_no.clone());
        }
        apply_change(change, wire)?;
        let change_id = change.id.clone();
        let issued = change.status == ChangeStatus::Issued;
        let difference = price_difference(&order.tickets, &wire.train_tickets)?;
        set_if_some(&mut order.changes[index].price_difference, difference);
        if issued {
            put_in_force(order, &change_id, &wire.train_tickets)?;
        }
    }
    Ok(())
}

/// The order's tickets a change's tickets belong to (by Panhe's passenger
/// id), in the change's order.
fn tickets_named(tickets: &[Ticket], wires: &[TrainTicket]) -> Vec<TicketId> {
    wires
        .iter()
        .filter_map(|wire| ticket_by_passenger(tickets, wire))
        .map(|index| tickets[index].id.clone())
        .collect()
}

fn ticket_by_passenger(tickets: &[Ticket], wire: &TrainTicket) -> Option<usize> {
    let passenger_id = wire.passenger_id.to_string();
    tickets
        .iter()
        .position(|ticket| ticket.provider_passenger_id.as_deref() == Some(passenger_id.as_str()))
}

/// The change `wire` is: the one with its number, else the oldest change
/// railgate applied for without learning its number (applyChange timed
/// out) on the same train for the same tickets.
fn find_change(
    changes: &[ChangeOrder],
    wire: &ChangeOrderDetail,
    ticket_ids: &[TicketId],
) -> Option<usize> {
    changes
        .iter()
        .position(|change| change.provider_change_no.as_deref() == Some(wire.cha_no.as_str()))
        .or_else(|| {
            changes.iter().position(|change| {
                change.provider_change_no.is_none()
                    && change.origin == ChangeOrigin::Railgate
                    && change.train_code == wire.train_code
                    && same_tickets(&change.ticket_ids, ticket_ids)
            })
        })
}

fn same_tickets(a: &[TicketId], b: &[TicketId]) -> bool {
    a.len() == b.len() && a.iter().all(|id| b.contains(id))
}

/// A change railgate did not apply for, as the detail describes it.
fn change_made_elsewhere(
    order: &Order,
    wire: &ChangeOrderDetail,
    ticket_ids: Vec<TicketId>,
) -> Result<ChangeOrder, ProviderError> {
    let time = |field: &'static str, text: &str| {
        parse_date_time(text).ok_or_else(|| ProviderError::Malformed {
            provider: super::PROVIDER,
            detail: format!("{field}: not a date and time"),
        })
    };
    let seat_type = wire
        .train_tickets
        .first()
        .map(|ticket| ticket.seat_type)
        .ok_or_else(|| ProviderError::Malformed {
            provider: super::PROVIDER,
            detail: "a change order without tickets".into(),
        })?;
    let station = |name: &str| StationRef {
        telecode: String::new(),
        name: name.to_owned(),
    };
    Ok(ChangeOrder {
        id: ChangeId::new(),
        provider_change_no: Some(wire.cha_no.clone()),
        status: change_status_from_code(wire.cha_order_status)
            .ok_or_else(|| unknown("chaOrderStatus", wire.cha_order_status))?,
        ticket_ids,
        train_code: wire.train_code.clone(),
        from_station: station(&wire.from_station),
        to_station: station(&wire.to_station),
        departure: time("fromDateTime", &wire.from_date_time)?,
        arrival: time("toDateTime", &wire.to_date_time)?,
        seat_class: seat_class_from_code(seat_type)
            .ok_or_else(|| unknown("seatType", seat_type))?,
        price_difference: None,
        change_fee: None,
        need_to_pay: None,
        refund_amount: None,
        confirm_deadline: None,
        status_reason: None,
        created_at: wire
            .applay_change_time
            .as_deref()
            .and_then(instant)
            .unwrap_or(order.updated_at),
        settlement: ChangeSettlement::default(),
        origin: ChangeOrigin::Provider,
    })
}

fn apply_change(change: &mut ChangeOrder, wire: &ChangeOrderDetail) -> Result<(), ProviderError> {
    let status = change_status_from_code(wire.cha_order_status)
        .ok_or_else(|| unknown("chaOrderStatus", wire.cha_order_status))?;
    if let Err(stale) = change.apply_status(status) {
        tracing::info!(change_id = %change.id.as_str(), %stale, "ignoring stale change status");
    }
    set_if_some(
        &mut change.change_fee,
        fen("changFeeAmount", wire.chang_fee_amount)?,
    );
    set_if_some(
        &mut change.need_to_pay,
        fen("needPayAmount", wire.need_pay_amount)?,
    );
    set_if_some(
        &mut change.refund_amount,
        fen("refundAmount", wire.refund_amount)?,
    );
    if let Some(limit) = wire.confirm_change_limit_time.as_deref().and_then(instant) {
        change.confirm_deadline = Some(limit);
    }
    if let Some(reason) = wire
        .un_finished_reason
        .as_deref()
        .filter(|reason| !reason.trim().is_empty())
    {
        change.status_reason = Some(mask_free_text(reason));
    }
    apply_settlement(&mut change.settlement, wire)
}

fn apply_settlement(
    settlement: &mut ChangeSettlement,
    wire: &ChangeOrderDetail,
) -> Result<(), ProviderError> {
    if let Some(code) = wire.price_change_type {
        settlement.price_change =
            Some(price_change_from_code(code).ok_or_else(|| unknown("priceChangeType", code))?);
    }
    if let Some(code) = wire.cha_refund_type {
        settlement.refund_kind =
            Some(change_refund_kind_from_code(code).ok_or_else(|| unknown("chaRefundType", code))?);
    }
    set_if_some(
        &mut settlement.refund_due,
        fen("totalPriceDiff", wire.total_price_diff)?,
    );
    set_if_some(
        &mut settlement.difference_refund_fee,
        fen("diffRefundFeeAmount", wire.diff_refund_fee_amount)?,
    );
    set_if_some(
        &mut settlement.paid_amount,
        fen("realPayAmount", wire.real_pay_amount)?,
    );
    if let Some(at) = wire.pay_time.as_deref().and_then(instant) {
        settlement.paid_at = Some(at);
    }
    set_if_some(&mut settlement.new_fare, new_fare(&wire.train_tickets)?);
    set_if_some(
        &mut settlement.change_fee_rate_bps,
        basis_points("changRate", wire.chang_rate)?,
    );
    set_if_some(
        &mut settlement.difference_refund_fee_rate_bps,
        basis_points("diffRate", wire.diff_rate)?,
    );
    Ok(())
}

/// The change's new tickets' prices together, when every one is stated.
fn new_fare(wires: &[TrainTicket]) -> Result<Option<Fen>, ProviderError> {
    let mut total = Fen::ZERO;
    for wire in wires {
        let Some(price) = fen("ticketPrice", wire.ticket_price)? else {
            return Ok(None);
        };
        total = total
            .get()
            .checked_add(price.get())
            .map(Fen::new)
            .ok_or_else(|| too_large("ticketPrice"))?;
    }
    Ok((!wires.is_empty()).then_some(total))
}

/// A rate such as 0.05 in basis points (500); a rate outside 0..=1 or
/// finer than a basis point breaks the contract.
fn basis_points(field: &'static str, rate: Option<Decimal>) -> Result<Option<u32>, ProviderError> {
    let Some(rate) = rate else {
        return Ok(None);
    };
    // In range first: a rate of any size would overflow the product (a
    // panic found by the panhe_order_detail fuzz target).
    let bps = (Decimal::ZERO..=Decimal::ONE)
        .contains(&rate)
        .then(|| rate * Decimal::from(10_000))
        .filter(|bps| bps.fract().is_zero());
    let Some(bps) = bps else {
        return Err(ProviderError::Malformed {
            provider: crate::domain::ProviderId::Panhe,
            detail: format!("{field}: {rate} is not a rate between 0 and 1"),
        });
    };
    Ok(bps.to_u32())
}

/// New fares minus the fares they replace, when every one is stated: the
/// seed's first example change (two ¥13 tickets for two ¥9) is −¥8.
fn price_difference(
    tickets: &[Ticket],
    wires: &[TrainTicket],
) -> Result<Option<Fen>, ProviderError> {
    let mut difference = Fen::ZERO;
    for wire in wires {
        let Some(index) = ticket_by_passenger(tickets, wire) else {
            return Ok(None);
        };
        let ticket = &tickets[index];
        let old = match &ticket.replaced {
            Some(replaced) => replaced.price,
            None => ticket.price,
        };
        let (Some(new), Some(old)) = (fen("ticketPrice", wire.ticket_price)?, old) else {
            return Ok(None);
        };
        difference = difference
            .get()
            .checked_add(new.get())
            .and_then(|sum| sum.checked_sub(old.get()))
            .map(Fen::new)
            .ok_or_else(|| too_large("ticketPrice"))?;
    }
    Ok((!wires.is_empty()).then_some(difference))
}

/// An issued change's new tickets become the tickets in force; what they
/// replaced is kept once, on the first sight of the issued change.
fn put_in_force(
    order: &mut Order,
    change_id: &ChangeId,
    wires: &[TrainTicket],
) -> Result<(), ProviderError> {
    for wire in wires {
        let Some(index) = ticket_by_passenger(&order.tickets, wire) else {
            continue;
        };
        let ticket = &mut order.tickets[index];
        match &ticket.replaced {
            Some(replaced) if replaced.change_id != *change_id => {
                // Panhe allows one successful change per ticket.
                tracing::warn!(order_id = %order.id.as_str(), "a second issued change of one ticket; keeping the first");
                continue;
            }
            Some(_) => {}
            None => {
                ticket.replaced = Some(ReplacedTicket {
                    change_id: change_id.clone(),
                    ticket_number: ticket.ticket_number.take(),
                    seat_class: ticket.seat_class,
                    price: ticket.price.take(),
                    coach: ticket.coach.take(),
                    seat_number: ticket.seat_number.take(),
                });
                ticket.refund_fee = None;
                ticket.refund_amount = None;
                ticket.refund_failure_reason = None;
            }
        }
        apply_ticket(ticket, wire)?;
    }
    Ok(())
}

/// Amounts whose sum or difference no `Fen` holds: no real fare, a broken
/// answer (found by the panhe_order_detail fuzz target, which overflowed).
fn too_large(field: &'static str) -> ProviderError {
    ProviderError::Malformed {
        provider: crate::domain::ProviderId::Panhe,
        detail: format!("{field}: amounts out of range"),
    }
}
