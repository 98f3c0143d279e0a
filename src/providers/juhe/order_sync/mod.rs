//! Applies what Juhe says about an order to railgate's order record: the
//! order detail in both shapes (grab view without `issue`, ticket view with
//! `issue=1`) and the three callbacks (seat-and-issue result, refund, grab
//! expiry). Each returns whether the record changed.
//!
//! Statuses go through the domain's state machines ([`Order::apply_status`],
//! [`Ticket::apply_status`]): an observation that would move an order or a
//! ticket backwards is stale (a detail read before a callback, a callback
//! delivered twice) and is ignored, never applied.
//!
//! The train an order ends up on comes from the ticket view and the issue
//! callback only: a grab order lists several trains, and only those two
//! give the issued train's departure and arrival together.
//!
//! Juhe's free text (failMsg, failureReason, msgInfo, msgDetail) can quote
//! passengers by name and document number, so it is masked with the
//! order's own names before it is stored.

mod passengers;

pub use passengers::{WirePassenger, match_tickets, shown_matches};

use super::PROVIDER;
use super::callback_wire::{GrabExpiredCallback, IssueCallback, RefundCallback};
use super::codes::{MsgOutcome, classify_msg_code};
use super::mapping::{
    JuheSeat, RefundKind, id_type_from_code, parse_date_time, refund_kind_from_code,
    seat_from_callback_code, seat_from_code,
};
use super::order_mapping::{JuheOrderStatus, JuheTicketState};
use super::order_wire::{GrabOrderDetail, IssuedOrderDetail};
use crate::domain::time::localize;
use crate::domain::{Fen, Order, OrderStatus, Ticket, TicketStatus};
use crate::privacy::mask_free_text_naming;
use crate::providers::ProviderError;
use crate::providers::seat_no::split_seat_no;
use chrono::{NaiveDateTime, Utc};
use rust_decimal::Decimal;
use secrecy::ExposeSecret;

/// Applies the grab view (订单详情 without `issue`): status, deadline,
/// failure reason and, once grabbed, ticket prices.
pub fn apply_grab_detail(
    order: &mut Order,
    detail: &GrabOrderDetail,
) -> Result<bool, ProviderError> {
    atomically(order, |draft| apply_grab_detail_to(draft, detail))
}

fn apply_grab_detail_to(order: &mut Order, detail: &GrabOrderDetail) -> Result<(), ProviderError> {
    let (_, current) = apply_order_status(order, "status", &detail.status)?;
    set_provider_order_no(order, &detail.order_no);
    if let Some(deadline) = local_time("grabEndTime", detail.grab_end_time.as_deref())? {
        order.grab_deadline = Some(localize(deadline).with_timezone(&Utc));
    }
    if current {
        set_reason(
            order,
            detail.fail_msg.as_ref().map(ExposeSecret::expose_secret),
        );
    }
    let wire: Vec<WirePassenger<'_>> = detail
        .passengers
        .iter()
        .map(|passenger| WirePassenger {
            name: passenger.passenger_name.expose_secret(),
            id_number: passenger
                .certificate_no
                .as_ref()
                .map(ExposeSecret::expose_secret),
            ..WirePassenger::default()
        })
        .collect();
    for (entry, index) in detail.passengers.iter().zip(matches(order, &wire)) {
        let Some(index) = index else { continue };
        set_if_some(
            &mut order.tickets[index].price,
            price("ticketPrice", entry.ticket_price)?,
        );
    }
    Ok(())
}

/// Applies the ticket view (订单详情 with `issue=1`): status, passengerIds,
/// seats, ticket numbers and states, amounts and the issued train.
pub fn apply_issued_detail(
    order: &mut Order,
    detail: &IssuedOrderDetail,
) -> Result<bool, ProviderError> {
    atomically(order, |draft| apply_issued_detail_to(draft, detail))
}

fn apply_issued_detail_to(
    order: &mut Order,
    detail: &IssuedOrderDetail,
) -> Result<(), ProviderError> {
    check_order(order, &detail.out_order_no)?;
    let (status, current) = apply_order_status(order, "orderStateCode", &detail.order_state_code)?;
    set_provider_order_no(order, &detail.order_no);
    if current {
        set_reason(
            order,
            detail
                .failure_reason
                .as_ref()
                .map(ExposeSecret::expose_secret),
        );
    }
    if status.to_neutral() == OrderStatus::Issued {
        set_train(
            order,
            detail.train_no.as_deref(),
            ("departureTime", detail.departure_time.as_deref()),
            ("arrivalTime", detail.arrival_time.as_deref()),
        )?;
        set_if_some(
            &mut order.order_no_12306,
            non_blank(detail.ticket_no.as_deref()),
        );
        set_amounts(order, detail.order_price, detail.juhe_service_fee)?;
    }
    let wire: Vec<WirePassenger<'_>> = detail
        .passengers
        .iter()
        .map(|passenger| WirePassenger {
            passenger_id: Some(&passenger.passenger_id),
            ticket_number: passenger.p_ticket_no.as_deref(),
            name: passenger.passenger_name.expose_secret(),
            id_type: id_type_from_code(&passenger.id_type),
            id_number: passenger.id_card.as_ref().map(ExposeSecret::expose_secret),
        })
        .collect();
    for (entry, index) in detail.passengers.iter().zip(matches(order, &wire)) {
        let Some(index) = index else { continue };
        let ticket = &mut order.tickets[index];
        let seat = code(&entry.seat_class, "seatClass", seat_from_code)?;
        let state = code(
            &entry.ticket_state_code,
            "ticketStateCode",
            JuheTicketState::from_code,
        )?;
        set_ticket(
            ticket,
            IssuedTicket {
                passenger_id: &entry.passenger_id,
                seat,
                seat_no: entry.seat_no.as_deref(),
                ticket_number: entry.p_ticket_no.as_deref(),
                price: price("ticketPrice", entry.ticket_price)?,
            },
        );
        if let Some(state) = state {
            apply_ticket_status(ticket, state.to_neutral());
        }
    }
    Ok(())
}

/// Applies the seat-and-issue callback (type 1): issued with seats, or
/// failed with Juhe's reason.
pub fn apply_issue_callback(
    order: &mut Order,
    callback: &IssueCallback,
) -> Result<bool, ProviderError> {
    atomically(order, |draft| apply_issue_callback_to(draft, callback))
}

fn apply_issue_callback_to(
    order: &mut Order,
    callback: &IssueCallback,
) -> Result<(), ProviderError> {
    check_order(order, &callback.out_order_no)?;
    let issued = succeeded(&callback.msg_code, callback.msg_info.as_deref())?;
    set_provider_order_no(order, &callback.order_no);
    let wire: Vec<WirePassenger<'_>> = callback
        .passengers
        .iter()
        .map(|passenger| WirePassenger {
            passenger_id: Some(&passenger.passenger_id),
            ticket_number: passenger.p_ticket_no.as_deref(),
            name: passenger.passenger_name.expose_secret(),
            id_type: id_type_from_code(&passenger.card_type),
            id_number: passenger.card_no.as_ref().map(ExposeSecret::expose_secret),
        })
        .collect();
    let matched = matches(order, &wire);
    let reported = if issued {
        OrderStatus::Issued
    } else {
        OrderStatus::Failed
    };
    // A result that contradicts what the order already is (issued, then
    // "failed"; expired, then "issued") is stale or conflicting: nothing of
    // it is applied.
    if !apply_neutral_status(order, reported) {
        return Ok(());
    }
    if issued {
        set_train(
            order,
            callback.train_no.as_deref(),
            ("departureTime", callback.departure_time.as_deref()),
            ("arrivalTime", callback.arrival_time.as_deref()),
        )?;
        set_if_some(
            &mut order.order_no_12306,
            non_blank(callback.ticket_no.as_deref()),
        );
        set_amounts(order, callback.order_amount, callback.juhe_service_fee)?;
    } else {
        let detail = callback
            .msg_detail
            .as_ref()
            .map(ExposeSecret::expose_secret)
            .and_then(|detail| non_blank(Some(detail)));
        let reason = match (non_blank(callback.msg_info.as_deref()), detail) {
            (Some(info), Some(detail)) => Some(format!("{info}: {detail}")),
            (info, detail) => info.or(detail),
        };
        set_reason(order, reason.as_deref());
    }
    for (entry, index) in callback.passengers.iter().zip(matched) {
        let Some(index) = index else { continue };
        let ticket = &mut order.tickets[index];
        if !issued {
            set_if_some(
                &mut ticket.provider_passenger_id,
                non_blank(Some(&entry.passenger_id)),
            );
            apply_ticket_status(ticket, TicketStatus::IssueFailed);
            continue;
        }
        let seat = code(&entry.seat_class, "seatClass", seat_from_callback_code)?;
        set_ticket(
            ticket,
            IssuedTicket {
                passenger_id: &entry.passenger_id,
                seat,
                seat_no: entry.seat_no.as_deref(),
                ticket_number: entry.p_ticket_no.as_deref(),
                price: price("price", entry.price)?,
            },
        );
        apply_ticket_status(ticket, TicketStatus::Issued);
    }
    Ok(())
}

/// Applies the grab expiry callback (type 3): the deadline passed without
/// tickets. Its URL says what it is; the seed sends msgCode 101 with it.
pub fn apply_grab_expired(
    order: &mut Order,
    callback: &GrabExpiredCallback,
) -> Result<bool, ProviderError> {
    atomically(order, |draft| apply_grab_expired_to(draft, callback))
}

fn apply_grab_expired_to(
    order: &mut Order,
    callback: &GrabExpiredCallback,
) -> Result<(), ProviderError> {
    check_order(order, &callback.out_order_no)?;
    set_provider_order_no(order, &callback.order_no);
    if apply_neutral_status(order, OrderStatus::Expired) {
        set_reason(order, callback.msg_info.as_deref());
    }
    Ok(())
}

/// Applies the refund callback (type 2) to the refunded passengers'
/// tickets. Money Juhe returns for other reasons (a failed issue, a
/// duplicate payment...) refunds no ticket and changes nothing.
pub fn apply_refund_callback(
    order: &mut Order,
    callback: &RefundCallback,
) -> Result<bool, ProviderError> {
    atomically(order, |draft| apply_refund_callback_to(draft, callback))
}

fn apply_refund_callback_to(
    order: &mut Order,
    callback: &RefundCallback,
) -> Result<(), ProviderError> {
    check_order(order, &callback.out_order_no)?;
    let kind = refund_kind_from_code(&callback.refund_type)
        .ok_or_else(|| unknown("refundType", &callback.refund_type))?;
    let refunded = succeeded(&callback.msg_code, callback.msg_info.as_deref())?;
    if !matches!(kind, RefundKind::Online | RefundKind::AtStation) {
        tracing::info!(order_id = %order.id.as_str(), ?kind, "refund callback returns money, not a ticket");
        return Ok(());
    }
    let reason = non_blank(callback.msg_info.as_deref()).map(|info| masked(order, &info));
    let wire: Vec<WirePassenger<'_>> = callback
        .passengers
        .iter()
        .map(|passenger| WirePassenger {
            passenger_id: Some(&passenger.passenger_id),
            ticket_number: passenger.p_ticket_no.as_deref(),
            name: passenger.passenger_name.expose_secret(),
            id_type: id_type_from_code(&passenger.card_type),
            id_number: passenger.card_no.as_ref().map(ExposeSecret::expose_secret),
        })
        .collect();
    let single = callback.passengers.len() == 1;
    for (entry, index) in callback.passengers.iter().zip(matches(order, &wire)) {
        let Some(index) = index else { continue };
        let ticket = &mut order.tickets[index];
        if !refunded {
            if ticket.apply_status(TicketStatus::RefundFailed).is_ok() {
                ticket.refund_failure_reason = reason.clone();
            } else {
                tracing::info!(ticket_id = %ticket.id.as_str(), from = ?ticket.status, "ignoring stale refund failure");
            }
            continue;
        }
        // The callback's own total is the passenger's when it names one.
        let amount = entry
            .refund_price
            .or(if single { callback.refund_price } else { None });
        if let Some(amount) = money("refundPrice", amount)? {
            ticket.refund_amount = Some(amount);
            // Juhe states no fee: what the ticket cost and did not come
            // back is 12306's refund fee.
            // (Checked: a negative refund price overflowed the difference,
            // found by the juhe_callback fuzz target.)
            ticket.refund_fee = ticket
                .price
                .filter(|price| *price >= amount)
                .and_then(|price| price.get().checked_sub(amount.get()))
                .map(Fen::new);
        }
        apply_ticket_status(ticket, TicketStatus::Refunded);
    }
    Ok(())
}

/// Applies `apply` to a copy of `order` and keeps it only if it succeeds,
/// so a payload with one unreadable value changes nothing. Returns whether
/// the order changed.
fn atomically(
    order: &mut Order,
    apply: impl FnOnce(&mut Order) -> Result<(), ProviderError>,
) -> Result<bool, ProviderError> {
    let mut draft = order.clone();
    apply(&mut draft)?;
    let changed = draft != *order;
    *order = draft;
    Ok(changed)
}

/// What the issued shapes say about one ticket.
struct IssuedTicket<'a> {
    passenger_id: &'a str,
    seat: Option<JuheSeat>,
    seat_no: Option<&'a str>,
    ticket_number: Option<&'a str>,
    price: Option<Fen>,
}

fn set_ticket(ticket: &mut Ticket, issued: IssuedTicket<'_>) {
    set_if_some(
        &mut ticket.provider_passenger_id,
        non_blank(Some(issued.passenger_id)),
    );
    if let Some(seat) = issued.seat {
        ticket.seat_class = seat.seat_class;
        // A berth the code names is the one issued; a sleeper code that
        // names none (callback 6 硬卧) keeps the berth asked for.
        if seat.berth.is_some() || !seat.seat_class.is_sleeper() {
            ticket.berth = seat.berth;
        }
    }
    if let Some(seat_no) = issued.seat_no {
        let (coach, seat) = split_seat_no(seat_no);
        set_if_some(&mut ticket.coach, coach);
        set_if_some(&mut ticket.seat_number, seat);
    }
    set_if_some(&mut ticket.ticket_number, non_blank(issued.ticket_number));
    set_if_some(&mut ticket.price, issued.price);
}

/// The ticket each payload entry is about; entries about no ticket of the
/// order are logged (without personal data) and left out.
fn matches(order: &Order, wire: &[WirePassenger<'_>]) -> Vec<Option<usize>> {
    let matched = match_tickets(&order.tickets, wire);
    for (position, _) in matched
        .iter()
        .enumerate()
        .filter(|(_, index)| index.is_none())
    {
        tracing::warn!(order_id = %order.id.as_str(), position, "juhe names a passenger railgate did not book");
    }
    matched
}

/// Applies a status letter; also says whether the order is now in that
/// status (false when the letter was stale).
fn apply_order_status(
    order: &mut Order,
    field: &'static str,
    letter: &str,
) -> Result<(JuheOrderStatus, bool), ProviderError> {
    let status = JuheOrderStatus::from_code(letter).ok_or_else(|| unknown(field, letter))?;
    let current = apply_neutral_status(order, status.to_neutral());
    Ok((status, current))
}

/// Moves the order to `status` unless that is stale; whether the order is
/// now in `status`. What comes with a stale status (its failure reason) is
/// not applied either.
fn apply_neutral_status(order: &mut Order, status: OrderStatus) -> bool {
    if let Err(stale) = order.apply_status(status) {
        tracing::info!(order_id = %order.id.as_str(), %stale, "ignoring stale provider status");
        return false;
    }
    true
}

fn apply_ticket_status(ticket: &mut Ticket, status: TicketStatus) {
    if let Err(stale) = ticket.apply_status(status) {
        tracing::info!(ticket_id = %ticket.id.as_str(), %stale, "ignoring stale ticket status");
    }
}

/// Whether a callback's msgCode reports success.
fn succeeded(msg_code: &str, msg_info: Option<&str>) -> Result<bool, ProviderError> {
    match classify_msg_code(msg_code, msg_info.unwrap_or_default()) {
        Some(MsgOutcome::Success) => Ok(true),
        Some(MsgOutcome::Failure(_)) => Ok(false),
        None => Err(unknown("msgCode", msg_code)),
    }
}

/// A payload about another order is refused before anything is applied.
fn check_order(order: &Order, out_order_no: &str) -> Result<(), ProviderError> {
    if out_order_no.trim() == order.customer_order_no {
        return Ok(());
    }
    Err(ProviderError::Malformed {
        provider: PROVIDER,
        detail: format!(
            "a payload for order {:?} applied to order {:?}",
            out_order_no.trim(),
            order.customer_order_no
        ),
    })
}

fn set_provider_order_no(order: &mut Order, order_no: &str) {
    if order.provider_order_no.is_none() {
        order.provider_order_no = non_blank(Some(order_no));
    }
}

/// The train actually issued: one of the grab order's trains.
fn set_train(
    order: &mut Order,
    train_no: Option<&str>,
    departure: (&'static str, Option<&str>),
    arrival: (&'static str, Option<&str>),
) -> Result<(), ProviderError> {
    if let Some(code) = non_blank(train_no).filter(|code| !code.contains('|')) {
        order.train_code = code;
    }
    if let Some(departure) = local_time(departure.0, departure.1)? {
        order.departure = departure;
    }
    if let Some(arrival) = local_time(arrival.0, arrival.1)? {
        order.arrival = arrival;
    }
    Ok(())
}

/// Juhe's order price is the tickets' sum; its service fee comes on top.
fn set_amounts(
    order: &mut Order,
    order_price: Option<Decimal>,
    service_fee: Option<Decimal>,
) -> Result<(), ProviderError> {
    set_if_some(&mut order.ticket_amount, price("orderPrice", order_price)?);
    set_if_some(
        &mut order.service_fee,
        money("juheServiceFee", service_fee)?,
    );
    if let (Some(tickets), Some(fee)) = (order.ticket_amount, order.service_fee) {
        // Checked: amounts of any size overflowed the sum (found by the
        // juhe_order_detail fuzz target).
        let total =
            tickets
                .get()
                .checked_add(fee.get())
                .ok_or_else(|| ProviderError::Malformed {
                    provider: PROVIDER,
                    detail: "orderPrice + juheServiceFee: amounts out of range".to_owned(),
                })?;
        order.total_amount = Some(Fen::new(total));
    }
    Ok(())
}

/// Stores a failure reason, masked with the order's own names.
fn set_reason(order: &mut Order, text: Option<&str>) {
    if let Some(text) = non_blank(text) {
        order.status_reason = Some(masked(order, &text));
    }
}

fn masked(order: &Order, text: &str) -> String {
    let names = order
        .tickets
        .iter()
        .map(|ticket| &ticket.passenger.name)
        .chain(order.contact.iter().map(|contact| &contact.name));
    mask_free_text_naming(text.trim(), names)
}

/// Looks a code up in `table`; blank is `None`, an unknown code an error.
fn code<T>(
    value: &str,
    field: &'static str,
    table: impl Fn(&str) -> Option<T>,
) -> Result<Option<T>, ProviderError> {
    match non_blank(Some(value)) {
        None => Ok(None),
        Some(value) => table(&value)
            .map(Some)
            .ok_or_else(|| unknown(field, &value)),
    }
}

/// A Juhe wall-clock time; blank is `None`, anything unreadable an error.
fn local_time(field: &str, text: Option<&str>) -> Result<Option<NaiveDateTime>, ProviderError> {
    match non_blank(text) {
        None => Ok(None),
        Some(text) => parse_date_time(&text)
            .map(Some)
            .ok_or_else(|| ProviderError::Malformed {
                provider: PROVIDER,
                detail: format!("{field} {text:?} is not a date-time"),
            }),
    }
}

/// An amount in fen; zero or less is a price not known yet (Juhe sends 0
/// before a seat is grabbed).
fn price(field: &str, yuan: Option<Decimal>) -> Result<Option<Fen>, ProviderError> {
    money(field, yuan.filter(|yuan| *yuan > Decimal::ZERO))
}

fn money(field: &str, yuan: Option<Decimal>) -> Result<Option<Fen>, ProviderError> {
    yuan.map(|yuan| {
        Fen::from_yuan(yuan).map_err(|error| ProviderError::Malformed {
            provider: PROVIDER,
            detail: format!("{field}: {error}"),
        })
    })
    .transpose()
}

fn non_blank(text: Option<&str>) -> Option<String> {
    text.map(str::trim)
        .filter(|text| !text.is_empty())
        .map(str::to_owned)
}

fn set_if_some<T>(slot: &mut Option<T>, value: Option<T>) {
    if value.is_some() {
        *slot = value;
    }
}

fn unknown(field: &'static str, value: &str) -> ProviderError {
    ProviderError::UnknownCode {
        provider: PROVIDER,
        field,
        value: value.to_owned(),
    }
}

#[cfg(test)]
mod tests;
