//! Table rows and their conversion to and from the domain order. The same
//! row structs serve both backends (`sqlx::FromRow`) and the JSON snapshot
//! each order event keeps, so a snapshot has exactly the tables' shape.

use super::{StoreError, names};
use crate::domain::booking::{Channel, Contact, StationRef};
use crate::domain::{
    ChangeId, ChangeOrder, ChangeOrigin, ChangeSettlement, Fen, IdNumber, IdType, Order,
    OrderEvent, OrderEventKind, OrderId, OrderStatus, Passenger, PassengerType, PersonName,
    PhoneNumber, ProviderId, ReplacedTicket, Sex, Ticket, TicketId,
};
use chrono::{DateTime, NaiveDate, NaiveDateTime, SubsecRound, Utc};
use serde::{Deserialize, Serialize};
use sqlx::types::Json;

/// One `orders` row. Columns in [`super::sql::ORDER_COLUMNS`] order.
#[derive(Debug, Clone, sqlx::FromRow, Serialize, Deserialize)]
pub(crate) struct OrderRow {
    pub id: String,
    pub provider: String,
    pub provider_order_no: Option<String>,
    pub customer_order_no: String,
    pub order_no_12306: Option<String>,
    pub status: String,
    pub status_reason: Option<String>,
    pub train_code: String,
    pub train_no: Option<String>,
    pub from_telecode: String,
    pub from_name: String,
    pub to_telecode: String,
    pub to_name: String,
    pub departure: NaiveDateTime,
    pub arrival: NaiveDateTime,
    pub contact_name: Option<String>,
    pub contact_phone: Option<String>,
    pub total_amount_fen: Option<i64>,
    pub ticket_amount_fen: Option<i64>,
    pub service_fee_fen: Option<i64>,
    pub pay_deadline: Option<DateTime<Utc>>,
    pub grab_deadline: Option<DateTime<Utc>>,
    pub channel: Option<Json<Channel>>,
    pub settled: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
    pub last_sequence: i64,
    /// Absent from snapshots written before the column existed.
    #[serde(default)]
    pub owner: String,
    /// Absent from snapshots written before the column existed.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub trace_parent: String,
    /// How many `change_orders` rows the order has: a read skips that
    /// table when none. Not in snapshots (they carry the changes).
    #[serde(default, skip_serializing)]
    pub change_count: i64,
}

/// One `tickets` row. Columns in [`super::sql::TICKET_COLUMNS`] order.
#[derive(Debug, Clone, sqlx::FromRow, Serialize, Deserialize)]
pub(crate) struct TicketRow {
    pub id: String,
    pub order_id: String,
    pub position: i64,
    pub passenger_name: String,
    pub id_type: String,
    pub id_number: String,
    pub passenger_type: String,
    pub phone: Option<String>,
    pub birth_date: Option<NaiveDate>,
    pub sex: Option<String>,
    pub country_code: Option<String>,
    pub id_expiry_date: Option<NaiveDate>,
    pub seat_class: String,
    pub berth: Option<String>,
    pub status: String,
    pub price_fen: Option<i64>,
    pub coach: Option<String>,
    pub seat_number: Option<String>,
    pub ticket_number: Option<String>,
    pub provider_passenger_id: Option<String>,
    pub refund_fee_fen: Option<i64>,
    pub refund_amount_fen: Option<i64>,
    pub refund_failure_reason: Option<String>,
    /// Absent from snapshots written before the column existed.
    #[serde(default)]
    pub replaced: Option<Json<ReplacedRow>>,
}

/// The ticket a successful change replaced, as `tickets.replaced` keeps it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct ReplacedRow {
    pub change_id: String,
    pub ticket_number: Option<String>,
    pub seat_class: String,
    pub price_fen: Option<i64>,
    pub coach: Option<String>,
    pub seat_number: Option<String>,
}

/// One `change_orders` row. Columns in [`super::sql::CHANGE_COLUMNS`] order.
#[derive(Debug, Clone, sqlx::FromRow, Serialize, Deserialize)]
pub(crate) struct ChangeRow {
    pub id: String,
    pub order_id: String,
    pub position: i64,
    pub provider_change_no: Option<String>,
    pub status: String,
    pub ticket_ids: Json<Vec<String>>,
    pub train_code: String,
    pub from_telecode: String,
    pub from_name: String,
    pub to_telecode: String,
    pub to_name: String,
    pub departure: NaiveDateTime,
    pub arrival: NaiveDateTime,
    pub seat_class: String,
    pub price_difference_fen: Option<i64>,
    pub change_fee_fen: Option<i64>,
    pub need_to_pay_fen: Option<i64>,
    pub refund_amount_fen: Option<i64>,
    pub confirm_deadline: Option<DateTime<Utc>>,
    pub status_reason: Option<String>,
    pub created_at: DateTime<Utc>,
    // The settlement columns: absent from snapshots written before them.
    #[serde(default)]
    pub price_change: Option<String>,
    #[serde(default)]
    pub refund_due_fen: Option<i64>,
    #[serde(default)]
    pub difference_refund_fee_fen: Option<i64>,
    #[serde(default)]
    pub paid_amount_fen: Option<i64>,
    #[serde(default)]
    pub paid_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub refund_kind: Option<String>,
    #[serde(default)]
    pub new_fare_fen: Option<i64>,
    #[serde(default)]
    pub change_fee_rate_bps: Option<i64>,
    #[serde(default)]
    pub difference_refund_fee_rate_bps: Option<i64>,
    #[serde(default = "railgate_origin")]
    pub origin: String,
}

fn railgate_origin() -> String {
    names::change_origin(ChangeOrigin::Railgate).to_owned()
}

/// An order as rows: what is written to the three tables, and (as JSON)
/// the snapshot an event keeps.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct OrderRows {
    pub order: OrderRow,
    pub tickets: Vec<TicketRow>,
    pub changes: Vec<ChangeRow>,
    /// An event's snapshot without the identity its order's rows keep
    /// (see `super::snapshot`); false in the tables and in older snapshots.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub identity_stripped: bool,
}

/// One `order_events` row.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct EventRow {
    pub order_id: String,
    pub sequence: i64,
    pub kind: String,
    pub occurred_at: DateTime<Utc>,
    pub snapshot: Json<OrderRows>,
}

/// The order's times cut to whole microseconds, the precision both
/// backends keep, so what the caller holds equals what is read back.
pub(crate) fn normalize_times(order: &mut Order) {
    order.departure = order.departure.trunc_subsecs(6);
    order.arrival = order.arrival.trunc_subsecs(6);
    order.created_at = order.created_at.trunc_subsecs(6);
    order.updated_at = order.updated_at.trunc_subsecs(6);
    order.pay_deadline = order.pay_deadline.map(|t| t.trunc_subsecs(6));
    order.grab_deadline = order.grab_deadline.map(|t| t.trunc_subsecs(6));
    for change in &mut order.changes {
        change.departure = change.departure.trunc_subsecs(6);
        change.arrival = change.arrival.trunc_subsecs(6);
        change.created_at = change.created_at.trunc_subsecs(6);
        change.confirm_deadline = change.confirm_deadline.map(|t| t.trunc_subsecs(6));
        change.settlement.paid_at = change.settlement.paid_at.map(|t| t.trunc_subsecs(6));
    }
}

/// `now` at the stored precision.
pub(crate) fn micros(time: DateTime<Utc>) -> DateTime<Utc> {
    time.trunc_subsecs(6)
}

fn fen(value: Option<Fen>) -> Option<i64> {
    value.map(Fen::get)
}

fn position(index: usize) -> i64 {
    i64::try_from(index).unwrap_or(i64::MAX)
}

impl OrderRows {
    /// The rows for `order` (times should already be normalized).
    pub(crate) fn from_order(order: &Order) -> Self {
        let row = OrderRow {
            id: order.id.as_str().to_owned(),
            provider: order.provider.as_str().to_owned(),
            provider_order_no: order.provider_order_no.clone(),
            customer_order_no: order.customer_order_no.clone(),
            order_no_12306: order.order_no_12306.clone(),
            status: order.status.as_str().to_owned(),
            status_reason: order.status_reason.clone(),
            train_code: order.train_code.clone(),
            train_no: order.train_no.clone(),
            from_telecode: order.from_station.telecode.clone(),
            from_name: order.from_station.name.clone(),
            to_telecode: order.to_station.telecode.clone(),
            to_name: order.to_station.name.clone(),
            departure: order.departure,
            arrival: order.arrival,
            contact_name: order.contact.as_ref().map(|c| c.name.expose().to_owned()),
            contact_phone: order.contact.as_ref().map(|c| c.phone.expose().to_owned()),
            total_amount_fen: fen(order.total_amount),
            ticket_amount_fen: fen(order.ticket_amount),
            service_fee_fen: fen(order.service_fee),
            pay_deadline: order.pay_deadline,
            grab_deadline: order.grab_deadline,
            channel: order.channel.clone().map(Json),
            settled: order.is_settled(),
            created_at: order.created_at,
            updated_at: order.updated_at,
            version: order.version,
            last_sequence: order.last_sequence,
            owner: order.owner.clone(),
            trace_parent: order.trace_parent.clone(),
            change_count: i64::try_from(order.changes.len()).unwrap_or(i64::MAX),
        };
        let tickets = order
            .tickets
            .iter()
            .enumerate()
            .map(|(index, ticket)| ticket_row(&order.id, index, ticket))
            .collect();
        let changes = order
            .changes
            .iter()
            .enumerate()
            .map(|(index, change)| change_row(&order.id, index, change))
            .collect();
        OrderRows {
            order: row,
            tickets,
            changes,
            identity_stripped: false,
        }
    }

    /// The domain order back from its rows. Tickets and changes must be in
    /// position order.
    pub(crate) fn into_order(self) -> Result<Order, StoreError> {
        let row = self.order;
        let contact = match (row.contact_name, row.contact_phone) {
            (Some(name), Some(phone)) => Some(Contact {
                name: personal(PersonName::new(name), "contact name")?,
                phone: personal(PhoneNumber::new(phone), "contact phone")?,
            }),
            _ => None,
        };
        Ok(Order {
            id: parse_id(OrderId::parse(&row.id))?,
            provider: ProviderId::from_name(&row.provider)
                .ok_or_else(|| corrupt("provider", &row.provider))?,
            provider_order_no: row.provider_order_no,
            customer_order_no: row.customer_order_no,
            order_no_12306: row.order_no_12306,
            status: OrderStatus::from_name(&row.status)
                .ok_or_else(|| corrupt("order status", &row.status))?,
            status_reason: row.status_reason,
            train_code: row.train_code,
            train_no: row.train_no,
            from_station: StationRef {
                telecode: row.from_telecode,
                name: row.from_name,
            },
            to_station: StationRef {
                telecode: row.to_telecode,
                name: row.to_name,
            },
            departure: row.departure,
            arrival: row.arrival,
            tickets: self
                .tickets
                .into_iter()
                .map(ticket_from_row)
                .collect::<Result<_, _>>()?,
            contact,
            total_amount: row.total_amount_fen.map(Fen::new),
            ticket_amount: row.ticket_amount_fen.map(Fen::new),
            service_fee: row.service_fee_fen.map(Fen::new),
            pay_deadline: row.pay_deadline,
            grab_deadline: row.grab_deadline,
            changes: self
                .changes
                .into_iter()
                .map(change_from_row)
                .collect::<Result<_, _>>()?,
            channel: row.channel.map(|json| json.0),
            created_at: row.created_at,
            updated_at: row.updated_at,
            version: row.version,
            last_sequence: row.last_sequence,
            owner: row.owner,
            trace_parent: row.trace_parent,
        })
    }
}

impl EventRow {
    /// The domain event, its snapshot made whole from the order's `current`
    /// rows (needed only for stripped snapshots).
    pub(crate) fn into_event(self, current: Option<&OrderRows>) -> Result<OrderEvent, StoreError> {
        let snapshot = match current {
            Some(current) => super::snapshot::restore(self.snapshot.0, current)?,
            None if self.snapshot.0.identity_stripped => {
                return Err(StoreError::Corrupt(format!(
                    "event {} of order {} has no order to restore it from",
                    self.sequence, self.order_id
                )));
            }
            None => self.snapshot.0,
        };
        Ok(OrderEvent {
            order_id: parse_id(OrderId::parse(&self.order_id))?,
            sequence: self.sequence,
            kind: OrderEventKind::from_name(&self.kind)
                .ok_or_else(|| corrupt("event kind", &self.kind))?,
            occurred_at: self.occurred_at,
            order: snapshot.into_order()?,
        })
    }
}

fn ticket_row(order_id: &OrderId, index: usize, ticket: &Ticket) -> TicketRow {
    let passenger = &ticket.passenger;
    TicketRow {
        id: ticket.id.as_str().to_owned(),
        order_id: order_id.as_str().to_owned(),
        position: position(index),
        passenger_name: passenger.name.expose().to_owned(),
        id_type: passenger.id_type.as_str().to_owned(),
        id_number: passenger.id_number.expose().to_owned(),
        passenger_type: passenger.passenger_type.as_str().to_owned(),
        phone: passenger.phone.as_ref().map(|p| p.expose().to_owned()),
        birth_date: passenger.birth_date,
        sex: passenger.sex.map(|sex| sex.as_str().to_owned()),
        country_code: passenger.country_code.clone(),
        id_expiry_date: passenger.id_expiry_date,
        seat_class: names::seat_class(ticket.seat_class).to_owned(),
        berth: ticket.berth.map(|berth| names::berth(berth).to_owned()),
        status: names::ticket_status(ticket.status).to_owned(),
        price_fen: fen(ticket.price),
        coach: ticket.coach.clone(),
        seat_number: ticket.seat_number.clone(),
        ticket_number: ticket.ticket_number.clone(),
        provider_passenger_id: ticket.provider_passenger_id.clone(),
        refund_fee_fen: fen(ticket.refund_fee),
        refund_amount_fen: fen(ticket.refund_amount),
        refund_failure_reason: ticket.refund_failure_reason.clone(),
        replaced: ticket.replaced.as_ref().map(|replaced| {
            Json(ReplacedRow {
                change_id: replaced.change_id.as_str().to_owned(),
                ticket_number: replaced.ticket_number.clone(),
                seat_class: names::seat_class(replaced.seat_class).to_owned(),
                price_fen: fen(replaced.price),
                coach: replaced.coach.clone(),
                seat_number: replaced.seat_number.clone(),
            })
        }),
    }
}

fn replaced_from_row(row: ReplacedRow) -> Result<ReplacedTicket, StoreError> {
    Ok(ReplacedTicket {
        change_id: parse_id(ChangeId::parse(&row.change_id))?,
        ticket_number: row.ticket_number,
        seat_class: names::parse_seat_class(&row.seat_class)
            .ok_or_else(|| corrupt("seat class", &row.seat_class))?,
        price: row.price_fen.map(Fen::new),
        coach: row.coach,
        seat_number: row.seat_number,
    })
}

fn ticket_from_row(row: TicketRow) -> Result<Ticket, StoreError> {
    let passenger = Passenger {
        name: personal(PersonName::new(row.passenger_name), "passenger name")?,
        id_type: IdType::from_name(&row.id_type).ok_or_else(|| corrupt("id type", &row.id_type))?,
        id_number: personal(IdNumber::new(row.id_number), "id number")?,
        passenger_type: PassengerType::from_name(&row.passenger_type)
            .ok_or_else(|| corrupt("passenger type", &row.passenger_type))?,
        phone: row
            .phone
            .map(|phone| personal(PhoneNumber::new(phone), "phone"))
            .transpose()?,
        birth_date: row.birth_date,
        sex: row
            .sex
            .map(|sex| Sex::from_name(&sex).ok_or_else(|| corrupt("sex", &sex)))
            .transpose()?,
        country_code: row.country_code,
        id_expiry_date: row.id_expiry_date,
    };
    Ok(Ticket {
        id: parse_id(TicketId::parse(&row.id))?,
        passenger,
        seat_class: names::parse_seat_class(&row.seat_class)
            .ok_or_else(|| corrupt("seat class", &row.seat_class))?,
        berth: row
            .berth
            .map(|berth| names::parse_berth(&berth).ok_or_else(|| corrupt("berth", &berth)))
            .transpose()?,
        status: names::parse_ticket_status(&row.status)
            .ok_or_else(|| corrupt("ticket status", &row.status))?,
        price: row.price_fen.map(Fen::new),
        coach: row.coach,
        seat_number: row.seat_number,
        ticket_number: row.ticket_number,
        provider_passenger_id: row.provider_passenger_id,
        refund_fee: row.refund_fee_fen.map(Fen::new),
        refund_amount: row.refund_amount_fen.map(Fen::new),
        refund_failure_reason: row.refund_failure_reason,
        replaced: row
            .replaced
            .map(|json| replaced_from_row(json.0))
            .transpose()?,
    })
}

fn change_row(order_id: &OrderId, index: usize, change: &ChangeOrder) -> ChangeRow {
    ChangeRow {
        id: change.id.as_str().to_owned(),
        order_id: order_id.as_str().to_owned(),
        position: position(index),
        provider_change_no: change.provider_change_no.clone(),
        status: names::change_status(change.status).to_owned(),
        ticket_ids: Json(
            change
                .ticket_ids
                .iter()
                .map(|id| id.as_str().to_owned())
                .collect(),
        ),
        train_code: change.train_code.clone(),
        from_telecode: change.from_station.telecode.clone(),
        from_name: change.from_station.name.clone(),
        to_telecode: change.to_station.telecode.clone(),
        to_name: change.to_station.name.clone(),
        departure: change.departure,
        arrival: change.arrival,
        seat_class: names::seat_class(change.seat_class).to_owned(),
        price_difference_fen: fen(change.price_difference),
        change_fee_fen: fen(change.change_fee),
        need_to_pay_fen: fen(change.need_to_pay),
        refund_amount_fen: fen(change.refund_amount),
        confirm_deadline: change.confirm_deadline,
        status_reason: change.status_reason.clone(),
        created_at: change.created_at,
        price_change: change
            .settlement
            .price_change
            .map(|value| names::price_change(value).to_owned()),
        refund_due_fen: fen(change.settlement.refund_due),
        difference_refund_fee_fen: fen(change.settlement.difference_refund_fee),
        paid_amount_fen: fen(change.settlement.paid_amount),
        paid_at: change.settlement.paid_at,
        refund_kind: change
            .settlement
            .refund_kind
            .map(|value| names::change_refund_kind(value).to_owned()),
        new_fare_fen: fen(change.settlement.new_fare),
        change_fee_rate_bps: change.settlement.change_fee_rate_bps.map(i64::from),
        difference_refund_fee_rate_bps: change
            .settlement
            .difference_refund_fee_rate_bps
            .map(i64::from),
        origin: names::change_origin(change.origin).to_owned(),
    }
}

fn change_from_row(row: ChangeRow) -> Result<ChangeOrder, StoreError> {
    Ok(ChangeOrder {
        id: parse_id(ChangeId::parse(&row.id))?,
        provider_change_no: row.provider_change_no,
        status: names::parse_change_status(&row.status)
            .ok_or_else(|| corrupt("change status", &row.status))?,
        ticket_ids: row
            .ticket_ids
            .0
            .iter()
            .map(|id| parse_id(TicketId::parse(id)))
            .collect::<Result<_, _>>()?,
        train_code: row.train_code,
        from_station: StationRef {
            telecode: row.from_telecode,
            name: row.from_name,
        },
        to_station: StationRef {
            telecode: row.to_telecode,
            name: row.to_name,
        },
        departure: row.departure,
        arrival: row.arrival,
        seat_class: names::parse_seat_class(&row.seat_class)
            .ok_or_else(|| corrupt("seat class", &row.seat_class))?,
        price_difference: row.price_difference_fen.map(Fen::new),
        change_fee: row.change_fee_fen.map(Fen::new),
        need_to_pay: row.need_to_pay_fen.map(Fen::new),
        refund_amount: row.refund_amount_fen.map(Fen::new),
        confirm_deadline: row.confirm_deadline,
        status_reason: row.status_reason,
        created_at: row.created_at,
        settlement: ChangeSettlement {
            price_change: row
                .price_change
                .map(|name| {
                    names::parse_price_change(&name).ok_or_else(|| corrupt("price change", &name))
                })
                .transpose()?,
            refund_due: row.refund_due_fen.map(Fen::new),
            difference_refund_fee: row.difference_refund_fee_fen.map(Fen::new),
            paid_amount: row.paid_amount_fen.map(Fen::new),
            paid_at: row.paid_at,
            refund_kind: row
                .refund_kind
                .map(|name| {
                    names::parse_change_refund_kind(&name)
                        .ok_or_else(|| corrupt("change refund kind", &name))
                })
                .transpose()?,
            new_fare: row.new_fare_fen.map(Fen::new),
            change_fee_rate_bps: rate(row.change_fee_rate_bps)?,
            difference_refund_fee_rate_bps: rate(row.difference_refund_fee_rate_bps)?,
        },
        origin: names::parse_change_origin(&row.origin)
            .ok_or_else(|| corrupt("change origin", &row.origin))?,
    })
}

/// Groups ticket and change rows under their order rows (kept in the
/// given order) and converts each order.
pub(crate) fn assemble(
    orders: Vec<OrderRow>,
    tickets: Vec<TicketRow>,
    changes: Vec<ChangeRow>,
    identity: &super::IdentityCipher,
) -> Result<Vec<Order>, StoreError> {
    let mut index = std::collections::HashMap::with_capacity(orders.len());
    let mut all = Vec::with_capacity(orders.len());
    for order in orders {
        index.insert(order.id.clone(), all.len());
        all.push(OrderRows {
            order,
            tickets: Vec::new(),
            changes: Vec::new(),
            identity_stripped: false,
        });
    }
    for ticket in tickets {
        if let Some(&at) = index.get(&ticket.order_id) {
            all[at].tickets.push(ticket);
        }
    }
    for change in changes {
        if let Some(&at) = index.get(&change.order_id) {
            all[at].changes.push(change);
        }
    }
    all.into_iter()
        .map(|mut rows| {
            rows.tickets.sort_by_key(|ticket| ticket.position);
            rows.changes.sort_by_key(|change| change.position);
            identity.open(&mut rows)?;
            rows.into_order()
        })
        .collect()
}

/// Stored data that does not parse. The message names the column and, for
/// codes, the value; personal values are never quoted.
/// A stored rate in basis points.
fn rate(stored: Option<i64>) -> Result<Option<u32>, StoreError> {
    stored
        .map(|bps| u32::try_from(bps).map_err(|_| corrupt("rate", &bps.to_string())))
        .transpose()
}

fn corrupt(what: &str, value: &str) -> StoreError {
    StoreError::Corrupt(format!("unknown {what} \"{value}\""))
}

fn personal<T>(
    value: Result<T, crate::domain::personal::PersonalDataError>,
    what: &str,
) -> Result<T, StoreError> {
    value.map_err(|error| StoreError::Corrupt(format!("stored {what} is invalid: {error}")))
}

fn parse_id<T>(value: Result<T, crate::domain::booking::IdError>) -> Result<T, StoreError> {
    value.map_err(|error| StoreError::Corrupt(error.to_string()))
}
