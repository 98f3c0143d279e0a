//! The order record: what railgate knows about a booking, as the store
//! persists it and the API returns it. Plain data with a few helpers; the
//! status rules live in [`super::order`].
//!
//! Times: train departures and arrivals are Asia/Shanghai wall-clock times
//! (`NaiveDateTime`, as on the ticket); deadlines and record times are
//! instants (`DateTime<Utc>`). Money is [`Fen`]; `None` means "not known
//! yet", never zero.

use super::personal::{IdNumber, IdType, PassengerType, PersonName, PhoneNumber, Sex};
use super::{
    Berth, Fen, OrderStatus, ProviderId, SeatClass, TicketStatus, TicketTransitionError,
    TransitionError,
};
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

mod change;
mod ids;

pub use change::{
    ChangeOrder, ChangeOrigin, ChangeRefundKind, ChangeSettlement, ChangeTransitionError,
    PriceChange, ReplacedTicket,
};
pub use ids::{ChangeId, IdError, OrderId, TicketId};

/// A station as the order records it: enough to show it and to look the
/// rest up in the station directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StationRef {
    /// 12306 telecode (`VNP`); empty when the provider named a station
    /// that is not in the current station list.
    pub telecode: String,
    /// Chinese name (`北京南`).
    pub name: String,
}

/// Who the provider notifies about the order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contact {
    /// Contact name.
    pub name: PersonName,
    /// Contact mobile number: Panhe sends issue, refund and change SMS here.
    pub phone: PhoneNumber,
}

/// The downstream channel an order came from; the notifier reports the
/// result there. Stored as JSON (no personal data).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Channel {
    /// Alibaba business travel.
    Alitrip {
        /// alitrip's order id.
        order_id: String,
        /// alitrip's purchase type.
        purchase_type: String,
        /// Further ids alitrip passed, kept with the order.
        extra: BTreeMap<String, String>,
        /// alitrip's id for each passenger, in passenger order: the book
        /// callback must send each back (SM4-encrypted). Absent in records
        /// written before railgate kept them.
        #[serde(default)]
        passenger_ids: Vec<String>,
    },
}

/// One passenger, with the identity the provider books in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Passenger {
    /// Full name as on the document.
    pub name: PersonName,
    /// Document type.
    pub id_type: IdType,
    /// Document number.
    pub id_number: IdNumber,
    /// Fare type.
    pub passenger_type: PassengerType,
    /// Mobile number (Panhe requires one per passenger).
    pub phone: Option<PhoneNumber>,
    /// Date of birth; required for non-resident-ID documents.
    pub birth_date: Option<NaiveDate>,
    /// Sex; required for non-resident-ID documents.
    pub sex: Option<Sex>,
    /// ISO country code; required for passports and permanent resident IDs.
    pub country_code: Option<String>,
    /// Document expiry date, when known.
    pub id_expiry_date: Option<NaiveDate>,
}

/// One passenger's ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ticket {
    /// railgate's ticket id.
    pub id: TicketId,
    /// Who travels.
    pub passenger: Passenger,
    /// Seat class.
    pub seat_class: SeatClass,
    /// Berth, for sleepers (requested, then as issued).
    pub berth: Option<Berth>,
    /// Status (mirrors Panhe's ticket statuses).
    pub status: TicketStatus,
    /// Ticket price, once the provider states it.
    pub price: Option<Fen>,
    /// Coach number (`03`), once issued.
    pub coach: Option<String>,
    /// Seat or berth number (`01A`), once issued.
    pub seat_number: Option<String>,
    /// Ticket number, once issued.
    pub ticket_number: Option<String>,
    /// The provider's id for this passenger in the order (Panhe's
    /// `passengerId`): how order detail, refunds and changes name a ticket.
    pub provider_passenger_id: Option<String>,
    /// Refund fee, once refunded.
    pub refund_fee: Option<Fen>,
    /// Amount refunded, once refunded.
    pub refund_amount: Option<Fen>,
    /// Why a refund failed (provider's words, masked), if it did.
    pub refund_failure_reason: Option<String>,
    /// Set once a change of this ticket was issued: the ticket it replaced.
    /// The fields above then describe the new ticket, the one in force
    /// (Panhe refunds a changed ticket only by its new number), and the
    /// change order names the new train.
    pub replaced: Option<ReplacedTicket>,
}

impl Ticket {
    /// A new ticket for `passenger`, pending, with nothing known yet.
    pub fn new(passenger: Passenger, seat_class: SeatClass, berth: Option<Berth>) -> Self {
        Ticket {
            id: TicketId::new(),
            passenger,
            seat_class,
            berth,
            status: TicketStatus::Pending,
            price: None,
            coach: None,
            seat_number: None,
            ticket_number: None,
            provider_passenger_id: None,
            refund_fee: None,
            refund_amount: None,
            refund_failure_reason: None,
            replaced: None,
        }
    }

    /// Moves to `next` if the ticket state machine allows it. `Ok(false)`
    /// when already there (a duplicate observation), `Ok(true)` when it
    /// moved.
    pub fn apply_status(&mut self, next: TicketStatus) -> Result<bool, TicketTransitionError> {
        if self.status == next {
            return Ok(false);
        }
        self.status.check_transition(next)?;
        self.status = next;
        Ok(true)
    }

    /// Whether the provider still has something to do with this ticket
    /// (holding, issuing, refunding, changing), so it needs watching.
    pub fn is_in_flight(&self) -> bool {
        matches!(
            self.status,
            TicketStatus::Pending
                | TicketStatus::Held
                | TicketStatus::Issuing
                | TicketStatus::Refunding
                | TicketStatus::RefundedAwaitingMoney
                | TicketStatus::Changing
                | TicketStatus::ChangeHeld
                | TicketStatus::ChangeIssuing
        )
    }
}

/// A booking: one train, one or more passengers, one provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Order {
    /// railgate's order id.
    pub id: OrderId,
    /// The provider that holds the order.
    pub provider: ProviderId,
    /// The provider's order number, once it answered.
    pub provider_order_no: Option<String>,
    /// The order number railgate sends the provider as its own
    /// (Panhe's `customerOrderNo`). Fixed before the first provider call
    /// and unique per provider (the store enforces it), so a retried
    /// booking can never create a second provider order.
    pub customer_order_no: String,
    /// 12306's order number, once known.
    pub order_no_12306: Option<String>,
    /// Status.
    pub status: OrderStatus,
    /// Why the order failed or is incomplete (provider's words, masked).
    pub status_reason: Option<String>,
    /// Public train code (`G1`).
    pub train_code: String,
    /// 12306 internal train number, when known.
    pub train_no: Option<String>,
    /// Boarding station.
    pub from_station: StationRef,
    /// Alighting station.
    pub to_station: StationRef,
    /// Departure, Asia/Shanghai wall clock.
    pub departure: NaiveDateTime,
    /// Arrival, Asia/Shanghai wall clock.
    pub arrival: NaiveDateTime,
    /// One ticket per passenger, in booking order.
    pub tickets: Vec<Ticket>,
    /// Who the provider notifies.
    pub contact: Option<Contact>,
    /// Total to pay (tickets + service fees), once seats are held.
    pub total_amount: Option<Fen>,
    /// Sum of ticket prices.
    pub ticket_amount: Option<Fen>,
    /// Service fees.
    pub service_fee: Option<Fen>,
    /// Pay before this instant (held orders).
    pub pay_deadline: Option<DateTime<Utc>>,
    /// Keep trying until this instant (grab orders).
    pub grab_deadline: Option<DateTime<Utc>>,
    /// Change orders, oldest first.
    pub changes: Vec<ChangeOrder>,
    /// Where the order came from, for result notifications.
    pub channel: Option<Channel>,
    /// When railgate created the order.
    pub created_at: DateTime<Utc>,
    /// When the order record last changed (set by the store).
    pub updated_at: DateTime<Utc>,
    /// Optimistic-concurrency version (set by the store; 1 after insert).
    pub version: i64,
    /// Sequence number of the latest event (set by the store).
    pub last_sequence: i64,
    /// The caller that booked it (its clients-file id); empty when booked
    /// without authentication. Other callers cannot see it.
    pub owner: String,
    /// The W3C `traceparent` of the call that booked it (empty when that
    /// call was not traced), so a callback's span can link to the Book's
    /// trace and one order's whole life is found from its Book.
    pub trace_parent: String,
}

/// Where a FAILED order failed: Panhe tells 占位失败 (orderStatus 3) from
/// 出票失败 (9), and its tickets carry the same distinction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureStage {
    /// No seat could be held (占位失败); nothing was paid.
    Hold,
    /// The provider could not issue the tickets (出票失败): for a paid
    /// direct booking the provider refunds the payment.
    Issue,
}

impl Order {
    /// The stage a FAILED order failed at, from its tickets (a ticket that
    /// failed to issue means the issue stage); `None` unless FAILED.
    pub fn failure_stage(&self) -> Option<FailureStage> {
        if self.status != OrderStatus::Failed {
            return None;
        }
        let issue_failed = self
            .tickets
            .iter()
            .any(|ticket| ticket.status == TicketStatus::IssueFailed);
        Some(if issue_failed {
            FailureStage::Issue
        } else {
            FailureStage::Hold
        })
    }

    /// Moves to `next` if the state machine allows it. `Ok(false)` when
    /// already there (a duplicate callback), `Ok(true)` when it moved.
    pub fn apply_status(&mut self, next: OrderStatus) -> Result<bool, TransitionError> {
        if self.status == next {
            return Ok(false);
        }
        self.status.check_transition(next)?;
        self.status = next;
        Ok(true)
    }

    /// The ticket with `id`.
    pub fn ticket(&self, id: &TicketId) -> Option<&Ticket> {
        self.tickets.iter().find(|ticket| &ticket.id == id)
    }

    /// The ticket with `id`, to update.
    pub fn ticket_mut(&mut self, id: &TicketId) -> Option<&mut Ticket> {
        self.tickets.iter_mut().find(|ticket| &ticket.id == id)
    }

    /// The change order with `id`.
    pub fn change(&self, id: &ChangeId) -> Option<&ChangeOrder> {
        self.changes.iter().find(|change| &change.id == id)
    }

    /// The change order with `id`, to update.
    pub fn change_mut(&mut self, id: &ChangeId) -> Option<&mut ChangeOrder> {
        self.changes.iter_mut().find(|change| &change.id == id)
    }

    /// Whether nothing more is expected from the provider: the order is
    /// final and, if issued, no ticket or change is still in flight. The
    /// reconciler polls every order that is not settled.
    pub fn is_settled(&self) -> bool {
        match self.status {
            OrderStatus::Issued => {
                !self.tickets.iter().any(Ticket::is_in_flight)
                    && self.changes.iter().all(|change| change.status.is_final())
            }
            OrderStatus::Failed | OrderStatus::Cancelled | OrderStatus::Expired => true,
            OrderStatus::Pending
            | OrderStatus::Grabbing
            | OrderStatus::Held
            | OrderStatus::Issuing
            | OrderStatus::Unknown => false,
        }
    }
}

/// What an order event records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OrderEventKind {
    /// The order was recorded (always sequence 1). The API shows it as
    /// `ORDER_EVENT_KIND_STATUS_CHANGED` (from nothing to the first status).
    Created,
    /// The order status changed.
    StatusChanged,
    /// A ticket's status or details changed (or other order details).
    TicketChanged,
    /// A change order was created or changed.
    ChangeOrderChanged,
}

impl OrderEventKind {
    /// Every kind, for exhaustive tests.
    pub const ALL: [OrderEventKind; 4] = [
        OrderEventKind::Created,
        OrderEventKind::StatusChanged,
        OrderEventKind::TicketChanged,
        OrderEventKind::ChangeOrderChanged,
    ];

    /// Stable lowercase name, used in storage and logs.
    pub const fn as_str(self) -> &'static str {
        match self {
            OrderEventKind::Created => "created",
            OrderEventKind::StatusChanged => "status_changed",
            OrderEventKind::TicketChanged => "ticket_changed",
            OrderEventKind::ChangeOrderChanged => "change_order_changed",
        }
    }

    /// Parses [`OrderEventKind::as_str`].
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == name)
    }

    /// The kind that best describes `before → after`: a status change wins,
    /// then a change-order change; anything else is a ticket change.
    pub fn between(before: &Order, after: &Order) -> Self {
        if before.status != after.status {
            OrderEventKind::StatusChanged
        } else if before.changes != after.changes {
            OrderEventKind::ChangeOrderChanged
        } else {
            OrderEventKind::TicketChanged
        }
    }
}

impl fmt::Display for OrderEventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Something that happened to an order, with the order as it was right
/// after. Sequence numbers increase by one from 1 per order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderEvent {
    /// The order.
    pub order_id: OrderId,
    /// Per-order sequence number.
    pub sequence: i64,
    /// What happened.
    pub kind: OrderEventKind,
    /// When it was recorded.
    pub occurred_at: DateTime<Utc>,
    /// The order right after the event.
    pub order: Order,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ChangeStatus;

    fn passenger() -> Passenger {
        Passenger {
            name: PersonName::new("欧阳娜娜".into()).unwrap(),
            id_type: IdType::ResidentIdCard,
            id_number: IdNumber::new("11010519491231002X".into()).unwrap(),
            passenger_type: PassengerType::Adult,
            phone: Some(PhoneNumber::new("15712340587".into()).unwrap()),
            birth_date: NaiveDate::from_ymd_opt(1949, 12, 31),
            sex: Some(Sex::Female),
            country_code: Some("CN".into()),
            id_expiry_date: None,
        }
    }

    fn order() -> Order {
        let departure = NaiveDate::from_ymd_opt(2026, 11, 24)
            .unwrap()
            .and_hms_opt(7, 0, 0)
            .unwrap();
        let now = Utc::now();
        Order {
            id: OrderId::new(),
            provider: ProviderId::Panhe,
            provider_order_no: None,
            customer_order_no: "rg0001".into(),
            order_no_12306: None,
            status: OrderStatus::Pending,
            status_reason: None,
            train_code: "G1".into(),
            train_no: None,
            from_station: StationRef {
                telecode: "VNP".into(),
                name: "北京南".into(),
            },
            to_station: StationRef {
                telecode: "AOH".into(),
                name: "上海虹桥".into(),
            },
            departure,
            arrival: departure + chrono::Duration::hours(4),
            tickets: vec![Ticket::new(passenger(), SeatClass::Second, None)],
            contact: Some(Contact {
                name: PersonName::new("张三".into()).unwrap(),
                phone: PhoneNumber::new("18754683215".into()).unwrap(),
            }),
            total_amount: None,
            ticket_amount: None,
            service_fee: None,
            pay_deadline: None,
            grab_deadline: None,
            changes: Vec::new(),
            channel: None,
            created_at: now,
            updated_at: now,
            version: 0,
            last_sequence: 0,
            owner: String::new(),
            trace_parent: String::new(),
        }
    }

    #[test]
    fn apply_status_uses_the_state_machine() {
        let mut order = order();
        assert_eq!(order.apply_status(OrderStatus::Pending), Ok(false));
        assert_eq!(order.apply_status(OrderStatus::Held), Ok(true));
        assert_eq!(order.apply_status(OrderStatus::Issued), Ok(true));
        assert_eq!(
            order.apply_status(OrderStatus::Held),
            Err(TransitionError {
                from: OrderStatus::Issued,
                to: OrderStatus::Held
            })
        );
        assert_eq!(order.status, OrderStatus::Issued);
    }

    #[test]
    fn ticket_apply_status_uses_the_state_machine() {
        let mut ticket = order().tickets.remove(0);
        assert_eq!(ticket.apply_status(TicketStatus::Pending), Ok(false));
        assert_eq!(ticket.apply_status(TicketStatus::Issued), Ok(true));
        assert_eq!(ticket.apply_status(TicketStatus::Refunded), Ok(true));
        assert_eq!(
            ticket.apply_status(TicketStatus::Issued),
            Err(TicketTransitionError {
                from: TicketStatus::Refunded,
                to: TicketStatus::Issued
            })
        );
        assert_eq!(ticket.status, TicketStatus::Refunded);
    }

    #[test]
    fn change_apply_status_is_forward_only() {
        let departure = order().departure;
        let mut change = ChangeOrder {
            id: ChangeId::new(),
            provider_change_no: None,
            status: ChangeStatus::Pending,
            ticket_ids: Vec::new(),
            train_code: "G3".into(),
            from_station: order().from_station,
            to_station: order().to_station,
            departure,
            arrival: departure,
            seat_class: SeatClass::First,
            price_difference: None,
            change_fee: None,
            need_to_pay: None,
            refund_amount: None,
            confirm_deadline: None,
            status_reason: None,
            created_at: Utc::now(),
            settlement: ChangeSettlement::default(),
            origin: ChangeOrigin::Railgate,
        };
        assert_eq!(change.apply_status(ChangeStatus::Held), Ok(true));
        assert_eq!(change.apply_status(ChangeStatus::Held), Ok(false));
        assert_eq!(change.apply_status(ChangeStatus::Cancelled), Ok(true));
        assert!(change.apply_status(ChangeStatus::Issued).is_err());
    }

    #[test]
    fn settled_waits_for_tickets_and_changes() {
        let mut order = order();
        assert!(!order.is_settled());
        order.status = OrderStatus::Issued;
        order.tickets[0].status = TicketStatus::Issued;
        assert!(order.is_settled());
        order.tickets[0].status = TicketStatus::Refunding;
        assert!(!order.is_settled());
        order.tickets[0].status = TicketStatus::Refunded;
        assert!(order.is_settled());
        order.status = OrderStatus::Cancelled;
        order.tickets[0].status = TicketStatus::Pending;
        assert!(order.is_settled());
    }

    #[test]
    fn event_kind_between_prefers_status() {
        let before = order();
        let mut after = before.clone();
        after.tickets[0].status = TicketStatus::Held;
        assert_eq!(
            OrderEventKind::between(&before, &after),
            OrderEventKind::TicketChanged
        );
        after.status = OrderStatus::Held;
        assert_eq!(
            OrderEventKind::between(&before, &after),
            OrderEventKind::StatusChanged
        );
        for kind in OrderEventKind::ALL {
            assert_eq!(OrderEventKind::from_name(kind.as_str()), Some(kind));
        }
    }

    #[test]
    fn debug_of_an_order_shows_no_personal_data() {
        let shown = format!("{:?}", order());
        for raw in [
            "欧阳娜娜",
            "11010519491231002X",
            "15712340587",
            "张三",
            "18754683215",
        ] {
            assert!(!shown.contains(raw), "{raw} leaked: {shown}");
        }
        assert!(shown.contains("欧**娜"));
        assert!(shown.contains("1101***********02X"));
    }
}
