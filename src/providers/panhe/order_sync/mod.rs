//! Applies Panhe's order detail (查询订单详情) to railgate's order record.
//! Callbacks (whose body the seed does not document) and the reconciler
//! both end here: they re-fetch the detail and sync. Observations that
//! would move a status backwards are stale (an old answer overtaken by a
//! newer one) and are ignored, never applied.

use super::mapping::{parse_date_time, seat_class_from_code};
use super::order_mapping::{order_status_from_code, ticket_status_from_code};
use super::order_wire::{OrderDetail, TrainTicket};
use crate::domain::time::localize;
use crate::domain::{
    Fen, IdNumber, IdType, Order, OrderStatus, PassengerType, ProviderId, Sex, Ticket,
};
use crate::privacy::mask_free_text;
use crate::providers::ProviderError;
pub use crate::providers::seat_no::split_seat_no;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

const PROVIDER: ProviderId = ProviderId::Panhe;

/// 证件类型 code → neutral.
pub fn id_type_from_code(code: i32) -> Option<IdType> {
    Some(match code {
        1 => IdType::ResidentIdCard,
        2 => IdType::Passport,
        3 => IdType::HkMacaoTravelPermit,
        4 => IdType::TaiwanTravelPermit,
        8 => IdType::ForeignPermanentResidentId,
        9 => IdType::HkMacaoTaiwanResidencePermit,
        _ => return None,
    })
}

/// Neutral → 证件类型 code.
pub fn id_type_to_code(id_type: IdType) -> i32 {
    match id_type {
        IdType::ResidentIdCard => 1,
        IdType::Passport => 2,
        IdType::HkMacaoTravelPermit => 3,
        IdType::TaiwanTravelPermit => 4,
        IdType::ForeignPermanentResidentId => 8,
        IdType::HkMacaoTaiwanResidencePermit => 9,
    }
}

/// 票种 code → neutral.
pub fn passenger_type_from_code(code: i32) -> Option<PassengerType> {
    Some(match code {
        1 => PassengerType::Adult,
        2 => PassengerType::Child,
        3 => PassengerType::Student,
        4 => PassengerType::DisabledMilitary,
        _ => return None,
    })
}

/// Neutral → 票种 code.
pub fn passenger_type_to_code(passenger_type: PassengerType) -> i32 {
    match passenger_type {
        PassengerType::Adult => 1,
        PassengerType::Child => 2,
        PassengerType::Student => 3,
        PassengerType::DisabledMilitary => 4,
    }
}

/// 性别 code → neutral: 0 unknown (and anything else) is `None`.
pub fn sex_from_code(code: i32) -> Option<Sex> {
    match code {
        1 => Some(Sex::Male),
        2 => Some(Sex::Female),
        _ => None,
    }
}

/// Neutral → 性别 code (男=1, 女=2).
pub fn sex_to_code(sex: Sex) -> i32 {
    match sex {
        Sex::Male => 1,
        Sex::Female => 2,
    }
}

/// Whether Panhe's masked document number ("3411***********96X": first 4
/// and last 3 kept, length preserved) is `id`.
fn masked_matches(masked: &str, id: &IdNumber) -> bool {
    crate::domain::account::masked_number_shows(masked, id.expose())
}

/// Applies `detail` to `order`. Returns whether anything changed.
///
/// Panhe reports both a requested cancel and its automatic cancel of an
/// unpaid order as 已取消 (5); only `unFinishedReason` tells them apart
/// ("超时未支付,订单已自动取消"), so a reason about the pay window makes the
/// order EXPIRED. Neither the pay deadline (the simulators run on scaled
/// clocks) nor railgate's own status (a refresh can overtake railgate's
/// recording of its Cancel) can decide it reliably.
pub fn apply_detail(order: &mut Order, detail: &OrderDetail) -> Result<bool, ProviderError> {
    let before = order.clone();
    let mut status = order_status_from_code(detail.order_status)
        .ok_or_else(|| unknown("orderStatus", detail.order_status))?;
    if let Some(limit) = detail.pay_limit_time.as_deref().and_then(instant) {
        order.pay_deadline = Some(limit);
    }
    if status == OrderStatus::Cancelled
        && detail
            .un_finished_reason
            .as_deref()
            .is_some_and(is_unpaid_timeout)
    {
        status = OrderStatus::Expired;
    }
    if let Err(stale) = order.apply_status(status) {
        tracing::info!(order_id = %order.id.as_str(), %stale, "ignoring stale provider status");
    }
    if order.provider_order_no.is_none() {
        order.provider_order_no = Some(detail.order_no.clone());
    }
    set_if_some(&mut order.order_no_12306, detail.order_no_12306.clone());
    set_if_some(
        &mut order.total_amount,
        fen("orderAmount", detail.order_amount)?,
    );
    set_if_some(
        &mut order.ticket_amount,
        fen("ticketAmount", detail.ticket_amount)?,
    );
    set_if_some(
        &mut order.service_fee,
        fen("serviceFeeAmount", detail.service_fee_amount)?,
    );
    if let Some(reason) = detail
        .un_finished_reason
        .as_deref()
        .filter(|reason| !reason.trim().is_empty())
    {
        order.status_reason = Some(mask_free_text(reason));
    }
    for (position, wire) in detail.train_tickets.iter().enumerate() {
        let Some(index) = match_ticket(&order.tickets, wire, position) else {
            tracing::warn!(order_id = %order.id.as_str(), position, "order detail names a passenger railgate did not book");
            continue;
        };
        let ticket = &mut order.tickets[index];
        if ticket.replaced.is_some() {
            // Changed: the change's new ticket is the one in force, and
            // the original's entry only says 改签确认出票成功.
            ticket.provider_passenger_id = Some(wire.passenger_id.to_string());
            continue;
        }
        apply_ticket(ticket, wire)?;
    }
    changes::apply_changes(order, detail.train_cha_order.as_deref().unwrap_or_default())?;
    Ok(*order != before)
}

/// The ticket a detail entry describes: by Panhe's passenger id once
/// known, else by name, document type and masked number, else by position
/// (Panhe lists passengers in booking order).
fn match_ticket(tickets: &[Ticket], wire: &TrainTicket, position: usize) -> Option<usize> {
    let passenger_id = wire.passenger_id.to_string();
    tickets
        .iter()
        .position(|ticket| ticket.provider_passenger_id.as_deref() == Some(passenger_id.as_str()))
        .or_else(|| {
            tickets.iter().position(|ticket| {
                ticket.provider_passenger_id.is_none()
                    && ticket.passenger.name.expose() == wire.name
                    && id_type_to_code(ticket.passenger.id_type) == wire.card_type
                    && wire
                        .card_no
                        .as_deref()
                        .is_none_or(|masked| masked_matches(masked, &ticket.passenger.id_number))
            })
        })
        .or_else(|| {
            (position < tickets.len() && tickets[position].provider_passenger_id.is_none())
                .then_some(position)
        })
}

fn apply_ticket(ticket: &mut Ticket, wire: &TrainTicket) -> Result<(), ProviderError> {
    ticket.provider_passenger_id = Some(wire.passenger_id.to_string());
    ticket.status = ticket_status_from_code(wire.ticket_status)
        .ok_or_else(|| unknown("ticketStatus", wire.ticket_status))?;
    ticket.seat_class =
        seat_class_from_code(wire.seat_type).ok_or_else(|| unknown("seatType", wire.seat_type))?;
    set_if_some(&mut ticket.price, fen("ticketPrice", wire.ticket_price)?);
    set_if_some(
        &mut ticket.ticket_number,
        wire.ticket_no.clone().filter(|no| !no.is_empty()),
    );
    if let Some(seat_no) = wire.seat_no.as_deref() {
        let (coach, seat) = split_seat_no(seat_no);
        set_if_some(&mut ticket.coach, coach);
        set_if_some(&mut ticket.seat_number, seat);
    }
    set_if_some(
        &mut ticket.refund_fee,
        fen("refundTicketPoundage", wire.refund_ticket_poundage)?,
    );
    set_if_some(
        &mut ticket.refund_amount,
        fen("refundTicketAmount", wire.refund_ticket_amount)?,
    );
    if let Some(reason) = wire
        .refund_fail_reason
        .as_deref()
        .filter(|reason| !reason.trim().is_empty())
    {
        ticket.refund_failure_reason = Some(mask_free_text(reason));
    }
    Ok(())
}

/// Whether Panhe's reason for a cancel is the pay window closing.
fn is_unpaid_timeout(reason: &str) -> bool {
    ["超时", "未支付", "支付时限"]
        .iter()
        .any(|fragment| reason.contains(fragment))
}

fn set_if_some<T>(slot: &mut Option<T>, value: Option<T>) {
    if value.is_some() {
        *slot = value;
    }
}

fn fen(field: &'static str, yuan: Option<Decimal>) -> Result<Option<Fen>, ProviderError> {
    yuan.map(|yuan| {
        Fen::from_yuan(yuan).map_err(|error| ProviderError::Malformed {
            provider: PROVIDER,
            detail: format!("{field}: {error}"),
        })
    })
    .transpose()
}

/// A Panhe local time ("yyyy-MM-dd HH:mm:ss") as an instant.
fn instant(text: &str) -> Option<DateTime<Utc>> {
    parse_date_time(text).map(|local| localize(local).with_timezone(&Utc))
}

fn unknown(field: &'static str, value: i32) -> ProviderError {
    ProviderError::UnknownCode {
        provider: PROVIDER,
        field,
        value: value.to_string(),
    }
}

mod changes;
#[cfg(test)]
mod tests;
