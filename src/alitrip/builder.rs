//! Builds `book_callback_param` from the neutral order record: the booking
//! outcome of an order that came through the alitrip channel, with its
//! passenger fields SM4-sealed. Pure: no store, no clock, no network.

use super::codes::{self, BookOrderStatus, BookTicketStatus, Unrepresentable};
use super::model::{
    BookCallbackParam, BookTicketDetail, BookTrainDetail, PassengerPlain, fen_text, format_date,
    format_time,
};
use super::sm4::FieldCipher;
use crate::domain::{Channel, Fen, IdType, Order, OrderStatus, StationRef, Ticket};
use crate::stations::StationDirectory;

/// Why an order cannot be reported. Carries no personal data: tickets are
/// named by position, stations by their public name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BuildError {
    /// The order did not come through the alitrip channel.
    #[error("order is not an alitrip-channel order")]
    NotAlitrip,
    /// The order has no ticket (the seed requires at least one).
    #[error("order has no ticket")]
    NoTickets,
    /// One alitrip passenger id is needed per ticket.
    #[error("{ids} alitrip passenger ids for {tickets} tickets")]
    PassengerIdCount {
        /// Tickets in the order.
        tickets: usize,
        /// Passenger ids given.
        ids: usize,
    },
    /// A status, fare type... the callback has no code for.
    #[error(transparent)]
    Unrepresentable(#[from] Unrepresentable),
    /// A ticket's status has no booking outcome yet.
    #[error("ticket {ticket}: {source}")]
    TicketNotFinal {
        /// Position of the ticket in the order (0-based).
        ticket: usize,
        /// The refused status.
        source: Unrepresentable,
    },
    /// A field the seed requires is not known for a passenger.
    #[error("ticket {ticket}: passenger_info.{field} is required but unknown")]
    MissingPassengerField {
        /// Position of the ticket in the order (0-based).
        ticket: usize,
        /// The callback field.
        field: &'static str,
    },
    /// Neither the telecode nor the name is in the station directory.
    #[error("station {name:?} ({telecode:?}) is not in the station directory")]
    UnknownStation {
        /// The order's station name.
        name: String,
        /// The order's telecode (may be empty).
        telecode: String,
    },
    /// An issued order whose amount is not known.
    #[error("order_total_price is unknown for an issued order")]
    MissingAmount,
    /// A negative amount cannot be written as fen digits.
    #[error("{field} is negative")]
    NegativeAmount {
        /// The callback field.
        field: &'static str,
    },
}

/// Builds the callback for `order`, which must be final and carry the
/// alitrip channel. `passenger_ids` are alitrip's ids for the passengers,
/// one per ticket in `order.tickets` order (alitrip sends them with the
/// booking; the seed requires them back, encrypted).
pub fn build_book_callback(
    order: &Order,
    passenger_ids: &[String],
    stations: &StationDirectory,
    cipher: &FieldCipher,
) -> Result<BookCallbackParam, BuildError> {
    let Some(Channel::Alitrip {
        order_id,
        purchase_type,
        ..
    }) = &order.channel
    else {
        return Err(BuildError::NotAlitrip);
    };
    let order_status = BookOrderStatus::from_domain(order.status)?;
    if order.tickets.is_empty() {
        return Err(BuildError::NoTickets);
    }
    if passenger_ids.len() != order.tickets.len() {
        return Err(BuildError::PassengerIdCount {
            tickets: order.tickets.len(),
            ids: passenger_ids.len(),
        });
    }
    let failure_reason = match order_status {
        BookOrderStatus::Failed => order.status_reason.clone(),
        BookOrderStatus::Issued => None,
    };
    let tickets = order
        .tickets
        .iter()
        .zip(passenger_ids)
        .enumerate()
        .map(|(index, (ticket, passenger_id))| {
            ticket_detail(
                index,
                ticket,
                passenger_id,
                failure_reason.as_deref(),
                cipher,
            )
        })
        .collect::<Result<Vec<_>, _>>()?;
    let (from_code, from_name) = station(stations, &order.from_station)?;
    let (to_code, to_name) = station(stations, &order.to_station)?;
    let train = BookTrainDetail {
        to_station_name: to_name,
        arrive_time: format_time(order.arrival),
        order_total_price: total_price(order, order_status)?,
        train_date: format_date(order.departure.date()),
        from_station_name: from_name,
        ticket_num: order.tickets.len().to_string(),
        to_station_code: to_code,
        book_ticket_details: tickets,
        train_no: order.train_code.clone(),
        from_station_code: from_code,
        start_time: format_time(order.departure),
        train_id: order.train_no.clone(),
    };
    Ok(BookCallbackParam {
        book_train_details: vec![train],
        supplier_order_id: order.id.to_string(),
        ticket_no: order.order_no_12306.clone(),
        order_id: order_id.clone(),
        order_status: order_status.code().to_owned(),
        purchase_type: purchase_type.clone(),
        // railgate has no neutral failure code; the reason says it.
        fail_code: None,
        fail_reason: failure_reason,
    })
}

fn ticket_detail(
    index: usize,
    ticket: &Ticket,
    passenger_id: &str,
    failure_reason: Option<&str>,
    cipher: &FieldCipher,
) -> Result<BookTicketDetail, BuildError> {
    let status = BookTicketStatus::from_domain(ticket.status).map_err(|source| {
        BuildError::TicketNotFinal {
            ticket: index,
            source,
        }
    })?;
    let issued = status == BookTicketStatus::Issued;
    let (seat_type, seat_name) = codes::seat(ticket.seat_class);
    let ticket_price = ticket
        .price
        .map(|price| non_negative(price, "ticket_price"))
        .transpose()?;
    Ok(BookTicketDetail {
        // A failed ticket can be neither changed nor refunded.
        resign_flag: codes::flag(issued && ticket.status.can_change()).to_owned(),
        coach_no: ticket.coach.clone(),
        ticket_price,
        ticket_entrance: None,
        passenger_info: passenger(index, ticket, passenger_id)?.seal(cipher),
        ticket_type: codes::ticket_type(ticket.passenger.passenger_type)?.to_owned(),
        seat_type: seat_type.to_owned(),
        ticket_status: status.code().to_owned(),
        refund_flag: codes::flag(issued && ticket.status.can_refund()).to_owned(),
        seat_name: seat_name.to_owned(),
        // 变更到站 is a kind of change (改签): allowed exactly when that is.
        change_flag: codes::flag(issued && ticket.status.can_change()).to_owned(),
        seat_no: ticket.seat_number.clone(),
        passenger_ticket_no: ticket.ticket_number.clone(),
        fail_code: None,
        fail_reason: if issued {
            None
        } else {
            failure_reason.map(str::to_owned)
        },
    })
}

/// The passenger's plaintext fields. The seed requires country, birth date
/// and document expiry for every document but the resident ID card.
fn passenger(
    index: usize,
    ticket: &Ticket,
    passenger_id: &str,
) -> Result<PassengerPlain, BuildError> {
    let person = &ticket.passenger;
    let missing = |field| BuildError::MissingPassengerField {
        ticket: index,
        field,
    };
    let mobile = person
        .phone
        .as_ref()
        .ok_or_else(|| missing("passenger_mobile"))?;
    if passenger_id.trim().is_empty() {
        return Err(missing("passenger_id"));
    }
    let plain = PassengerPlain {
        passenger_name: person.name.expose().to_owned(),
        passenger_mobile: mobile.expose().to_owned(),
        passenger_id_no: person.id_number.expose().to_owned(),
        passenger_id_type: codes::id_type(person.id_type).to_owned(),
        country_code: person.country_code.clone(),
        sex: person.sex.map(|sex| codes::sex(sex).to_owned()),
        passenger_id: passenger_id.to_owned(),
        valid_date_start: None,
        birth_date: person.birth_date.map(format_date),
        valid_date_end: person.id_expiry_date.map(format_date),
    };
    if person.id_type != IdType::ResidentIdCard {
        let required = [
            ("country_code", plain.country_code.is_some()),
            ("birth_date", plain.birth_date.is_some()),
            ("valid_date_end", plain.valid_date_end.is_some()),
        ];
        if let Some((field, _)) = required.into_iter().find(|(_, present)| !present) {
            return Err(missing(field));
        }
    }
    Ok(plain)
}

/// The station's telecode and name from the directory: by the order's
/// telecode when it has one, else by name.
fn station(
    stations: &StationDirectory,
    reference: &StationRef,
) -> Result<(String, String), BuildError> {
    stations
        .by_telecode(&reference.telecode)
        .or_else(|| stations.by_name(&reference.name))
        .map(|station| (station.telecode.clone(), station.name.clone()))
        .ok_or_else(|| BuildError::UnknownStation {
            name: reference.name.clone(),
            telecode: reference.telecode.clone(),
        })
}

/// 订单金额: the tickets' sum, on every outcome. Seed 003's example sends
/// `order_total_price` 1000 for one ticket of `ticket_price` 1000, so the
/// provider's service fee (in an order's `total_amount` once issued) is
/// not part of it; a hold-failed order, which never had that fee, reports
/// the same kind of figure. A failed order may never have had a price: it
/// reports 0.
fn total_price(order: &Order, status: BookOrderStatus) -> Result<String, BuildError> {
    // The sum only when every ticket's price is known.
    let ticket_sum = order
        .tickets
        .iter()
        .try_fold(0i64, |sum, ticket| sum.checked_add(ticket.price?.get()))
        .map(Fen::new);
    let amount = order.ticket_amount.or(ticket_sum);
    match (amount, status) {
        (Some(amount), _) => non_negative(amount, "order_total_price"),
        (None, BookOrderStatus::Failed) => Ok(fen_text(Fen::ZERO)),
        (None, BookOrderStatus::Issued) => Err(BuildError::MissingAmount),
    }
}

fn non_negative(amount: Fen, field: &'static str) -> Result<String, BuildError> {
    if amount.get() < 0 {
        return Err(BuildError::NegativeAmount { field });
    }
    Ok(fen_text(amount))
}

/// Whether an order status is one the book callback reports.
pub fn is_reportable(status: OrderStatus) -> bool {
    BookOrderStatus::from_domain(status).is_ok()
}

#[cfg(test)]
#[path = "builder_tests.rs"]
mod tests;
