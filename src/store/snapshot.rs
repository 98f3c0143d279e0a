//! What an order event keeps of its order. An event's snapshot is the
//! order's rows as they were, minus what Book fixed once and nothing
//! changes afterwards: the channel (an alitrip booking's `extra` alone may
//! be 34 KiB), the contact, and each passenger's identity. Those stay in the
//! order's own rows, once, and are put back when events are read. So an
//! order's size does not multiply by its events, and names and ID numbers
//! are kept in one place that retention and redaction can reach, not in
//! every event.
//!
//! Snapshots written before this (with everything in them) read as they
//! are: `identity_stripped` is absent from them.

use super::StoreError;
use super::rows::{OrderRows, TicketRow};

/// `rows` as an event keeps them.
pub(crate) fn strip(rows: &OrderRows) -> OrderRows {
    let mut snapshot = rows.clone();
    snapshot.identity_stripped = true;
    snapshot.order.channel = None;
    snapshot.order.contact_name = None;
    snapshot.order.contact_phone = None;
    for ticket in &mut snapshot.tickets {
        strip_passenger(ticket);
    }
    snapshot
}

fn strip_passenger(ticket: &mut TicketRow) {
    ticket.passenger_name = String::new();
    ticket.id_number = String::new();
    ticket.phone = None;
    ticket.birth_date = None;
    ticket.sex = None;
    ticket.country_code = None;
    ticket.id_expiry_date = None;
}

/// `snapshot` whole again, with what [`strip`] left out taken from the
/// order's `current` rows (a full snapshot is returned as it is).
pub(crate) fn restore(
    mut snapshot: OrderRows,
    current: &OrderRows,
) -> Result<OrderRows, StoreError> {
    if !snapshot.identity_stripped {
        return Ok(snapshot);
    }
    snapshot.identity_stripped = false;
    snapshot.order.channel = current.order.channel.clone();
    snapshot.order.contact_name = current.order.contact_name.clone();
    snapshot.order.contact_phone = current.order.contact_phone.clone();
    for ticket in &mut snapshot.tickets {
        let now = current
            .tickets
            .iter()
            .find(|now| now.id == ticket.id)
            .ok_or_else(|| {
                StoreError::Corrupt(format!(
                    "an event of order {} names ticket {}, which the order no longer has",
                    snapshot.order.id, ticket.id
                ))
            })?;
        ticket.passenger_name = now.passenger_name.clone();
        ticket.id_number = now.id_number.clone();
        ticket.phone = now.phone.clone();
        ticket.birth_date = now.birth_date;
        ticket.sex = now.sex.clone();
        ticket.country_code = now.country_code.clone();
        ticket.id_expiry_date = now.id_expiry_date;
    }
    Ok(snapshot)
}
