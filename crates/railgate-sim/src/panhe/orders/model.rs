//! The order book's records: orders, tickets and change orders as Panhe's
//! 查询订单详情 describes them, with seed 002's status and code tables.
//! Money is integer fen; it becomes Panhe's yuan float only in `detail.rs`.

use std::collections::HashMap;

use chrono::{NaiveDate, NaiveDateTime};

use crate::fares::{Berth, Fare, SeatClass};

/// 火车票订单状态 (orderStatus).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderStatus {
    Holding,
    Held,
    HoldFailed,
    Cancelled,
    Issuing,
    Issued,
    IssueFailed,
}

impl OrderStatus {
    /// The seed's code.
    pub fn code(self) -> u8 {
        match self {
            OrderStatus::Holding => 1,
            OrderStatus::Held => 2,
            OrderStatus::HoldFailed => 3,
            OrderStatus::Cancelled => 5,
            OrderStatus::Issuing => 7,
            OrderStatus::Issued => 8,
            OrderStatus::IssueFailed => 9,
        }
    }

    /// The seed's name (orderStatusName).
    pub fn name(self) -> &'static str {
        self.ticket_status().name()
    }

    /// The status every ticket of the order shows alongside.
    pub fn ticket_status(self) -> TicketStatus {
        match self {
            OrderStatus::Holding => TicketStatus::Holding,
            OrderStatus::Held => TicketStatus::Held,
            OrderStatus::HoldFailed => TicketStatus::HoldFailed,
            OrderStatus::Cancelled => TicketStatus::Cancelled,
            OrderStatus::Issuing => TicketStatus::Issuing,
            OrderStatus::Issued => TicketStatus::Issued,
            OrderStatus::IssueFailed => TicketStatus::IssueFailed,
        }
    }
}

/// 乘客客票状态 (ticketStatus); its 30–37 values are also the change
/// order statuses (chaOrderStatus), with the same names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TicketStatus {
    Holding,
    Held,
    HoldFailed,
    Cancelled,
    Issuing,
    Issued,
    IssueFailed,
    Refunding,
    Refunded,
    RefundFailed,
    /// 已退票未退款 (23): in the seed's table; the simulator never reaches it.
    RefundedAwaitingMoney,
    Changing,
    ChangeHeld,
    ChangeHoldFailed,
    ChangeIssuing,
    Changed,
    ChangeIssueFailed,
    ChangeCancelled,
}

impl TicketStatus {
    /// Every status, in code order.
    pub const ALL: [TicketStatus; 18] = [
        TicketStatus::Holding,
        TicketStatus::Held,
        TicketStatus::HoldFailed,
        TicketStatus::Cancelled,
        TicketStatus::Issuing,
        TicketStatus::Issued,
        TicketStatus::IssueFailed,
        TicketStatus::Refunding,
        TicketStatus::Refunded,
        TicketStatus::RefundFailed,
        TicketStatus::RefundedAwaitingMoney,
        TicketStatus::Changing,
        TicketStatus::ChangeHeld,
        TicketStatus::ChangeHoldFailed,
        TicketStatus::ChangeIssuing,
        TicketStatus::Changed,
        TicketStatus::ChangeIssueFailed,
        TicketStatus::ChangeCancelled,
    ];

    /// The seed's code.
    pub fn code(self) -> u8 {
        match self {
            TicketStatus::Holding => 1,
            TicketStatus::Held => 2,
            TicketStatus::HoldFailed => 3,
            TicketStatus::Cancelled => 5,
            TicketStatus::Issuing => 7,
            TicketStatus::Issued => 8,
            TicketStatus::IssueFailed => 9,
            TicketStatus::Refunding => 20,
            TicketStatus::Refunded => 21,
            TicketStatus::RefundFailed => 22,
            TicketStatus::RefundedAwaitingMoney => 23,
            TicketStatus::Changing => 30,
            TicketStatus::ChangeHeld => 31,
            TicketStatus::ChangeHoldFailed => 32,
            TicketStatus::ChangeIssuing => 33,
            TicketStatus::Changed => 34,
            TicketStatus::ChangeIssueFailed => 35,
            TicketStatus::ChangeCancelled => 37,
        }
    }

    /// The seed's name (ticketStatusName, chaOrderStatusName).
    pub fn name(self) -> &'static str {
        match self {
            TicketStatus::Holding => "占位中",
            TicketStatus::Held => "占位成功",
            TicketStatus::HoldFailed => "占位失败",
            TicketStatus::Cancelled => "已取消",
            TicketStatus::Issuing => "出票中",
            TicketStatus::Issued => "出票成功",
            TicketStatus::IssueFailed => "出票失败",
            TicketStatus::Refunding => "退票中",
            TicketStatus::Refunded => "退票成功",
            TicketStatus::RefundFailed => "退票失败",
            TicketStatus::RefundedAwaitingMoney => "已退票未退款",
            TicketStatus::Changing => "改签占位中",
            TicketStatus::ChangeHeld => "改签占位成功",
            TicketStatus::ChangeHoldFailed => "改签占位失败",
            TicketStatus::ChangeIssuing => "改签确认出票中",
            TicketStatus::Changed => "改签确认出票成功",
            TicketStatus::ChangeIssueFailed => "改签确认出票失败",
            TicketStatus::ChangeCancelled => "改签已取消",
        }
    }
}

/// 证件类型 (cardType) the seed lists.
pub const CARD_TYPES: [(i64, &str); 6] = [
    (1, "身份证"),
    (2, "护照"),
    (3, "港澳居民来往内地通行证"),
    (4, "台湾居民来往大陆通行证"),
    (8, "外国人永久居留身份证"),
    (9, "港澳台居民居住证"),
];

/// 火车票票种 (ticketType).
pub const TICKET_TYPES: [(i64, &str); 4] =
    [(1, "成人票"), (2, "儿童票"), (3, "学生票"), (4, "残军票")];

/// 席别 (seatType): every code the seed lists. The simulator sells the
/// nine classes of [`seat_class`]; the others are valid codes that no
/// simulated train sells.
pub const SEAT_TYPES: [(i64, &str); 21] = [
    (1, "商务座"),
    (2, "特等座"),
    (3, "一等座"),
    (4, "二等座"),
    (5, "高级软卧"),
    (6, "软卧"),
    (7, "动卧"),
    (8, "硬卧"),
    (9, "软座"),
    (10, "硬座"),
    (11, "一等卧"),
    (12, "二等卧"),
    (13, "高级动卧"),
    (14, "一等软座"),
    (15, "二等软座"),
    (16, "特等软座"),
    (17, "包厢硬卧"),
    (18, "一人软包"),
    (19, "多功能座"),
    (98, "无座"),
    (99, "其他"),
];

/// The name of a code in one of the tables above.
pub fn code_name(table: &[(i64, &'static str)], code: i64) -> Option<&'static str> {
    table
        .iter()
        .find(|(known, _)| *known == code)
        .map(|(_, name)| *name)
}

/// The simulated seat class of a Panhe seat type code.
pub fn seat_class(code: i64) -> Option<SeatClass> {
    Some(match code {
        1 => SeatClass::Business,
        3 => SeatClass::First,
        4 => SeatClass::Second,
        6 => SeatClass::SoftSleeper,
        8 => SeatClass::HardSleeper,
        10 => SeatClass::HardSeat,
        11 => SeatClass::FirstClassSleeper,
        12 => SeatClass::SecondClassSleeper,
        98 => SeatClass::NoSeat,
        _ => return None,
    })
}

/// One ride: a train between two of its stops on one date.
#[derive(Debug, Clone)]
pub struct Ride {
    /// 12306 internal number; keys inventory and seat numbering.
    pub train_no: String,
    /// The code shown at the boarding stop.
    pub train_code: String,
    pub from_station: String,
    pub to_station: String,
    /// Boarding date (the `fromDate` of 余票查询).
    pub date: NaiveDate,
    pub depart: NaiveDateTime,
    pub arrive: NaiveDateTime,
    /// Every class the ride sells, with prices.
    pub fares: Vec<Fare>,
    /// 12306 offers seat choice on this train (G/C/D seat trains).
    pub supports_seat_choice: bool,
}

/// What one class of one ride is counted under in the sales book.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct InventoryKey {
    pub train_no: String,
    pub date: NaiveDate,
    pub from_station: String,
    pub to_station: String,
    pub seat: SeatClass,
}

impl Ride {
    /// The fare of a class, if the ride sells it.
    pub fn fare(&self, seat: SeatClass) -> Option<&Fare> {
        self.fares.iter().find(|fare| fare.seat == seat)
    }

    /// The price of a class (of a berth, for sleepers), full fare.
    pub fn full_price(&self, seat: SeatClass, berth: Option<Berth>) -> u32 {
        let Some(fare) = self.fare(seat) else {
            return 0;
        };
        berth
            .and_then(|berth| fare.berths.iter().find(|(tier, _)| *tier == berth))
            .map_or(fare.price_fen, |(_, price)| *price)
    }

    pub fn inventory(&self, seat: SeatClass) -> InventoryKey {
        InventoryKey {
            train_no: self.train_no.clone(),
            date: self.date,
            from_station: self.from_station.clone(),
            to_station: self.to_station.clone(),
            seat,
        }
    }
}

/// Seat and berth preferences of a booking or a change.
#[derive(Debug, Clone, Default)]
pub struct SeatChoice {
    pub is_choose_seats: bool,
    /// `1A1D…`, one pair per passenger, when choosing.
    pub choose_seats: Option<String>,
    /// Lower, middle and upper berth counts (`203`).
    pub sleepers: [u32; 3],
    pub accept_standing: bool,
}

/// A passenger as booked. Change tickets copy it from the original ticket.
#[derive(Debug, Clone)]
pub struct Passenger {
    pub passenger_id: u64,
    pub name: String,
    pub card_type: i64,
    pub card_no: String,
    pub mobile: String,
    pub ticket_type: i64,
}

/// A refund's outcome on a ticket.
#[derive(Debug, Clone, Default)]
pub struct RefundInfo {
    /// Fee decided when the refund was accepted; shown once it succeeds.
    pub fee_fen: Option<u32>,
    pub succeeded_at: Option<NaiveDateTime>,
    pub transaction_no: Option<String>,
    pub fail_reason: Option<String>,
}

/// One passenger's ticket (of an order, or of a change order).
#[derive(Debug, Clone)]
pub struct Ticket {
    pub passenger: Passenger,
    /// The class requested.
    pub requested: SeatClass,
    /// The class sold: the requested one, or 无座 for a standing
    /// passenger who accepted standing.
    pub seat: SeatClass,
    /// The berth, for sleepers once held.
    pub berth: Option<Berth>,
    /// The seat letter asked for with chooseSeats (`A`).
    pub chosen_letter: Option<char>,
    pub ticket_no: Option<String>,
    pub seat_no: Option<String>,
    pub status: TicketStatus,
    pub price_fen: u32,
    pub refund: RefundInfo,
    /// Whether this ticket counts against the ride's remaining tickets.
    pub holds_inventory: bool,
}

/// A payment, or a refund of one.
#[derive(Debug, Clone)]
pub struct Payment {
    pub amount_fen: u32,
    pub at: NaiveDateTime,
    pub transaction_no: String,
}

/// The fare difference of a change, decided when the new seats are held.
#[derive(Debug, Clone)]
pub struct PriceChange {
    /// 1 dearer, 2 same, 3 cheaper (0 = 待确定 is shown while unknown).
    pub kind: u8,
    pub info: String,
    /// Refunded to the buyer once the change succeeds.
    pub total_price_diff_fen: u32,
    pub diff_rate_percent: u32,
    pub diff_refund_fee_fen: u32,
    pub change_rate_percent: u32,
    pub change_fee_fen: u32,
    /// To pay with 确认改签.
    pub need_pay_fen: u32,
}

/// A change order (改签单).
#[derive(Debug, Clone)]
pub struct ChangeOrder {
    pub cha_no: String,
    pub status: TicketStatus,
    pub ride: Ride,
    pub choice: SeatChoice,
    /// Indexes into the order's tickets, in the order asked for.
    pub originals: Vec<usize>,
    /// The ticket-number batch digit: 2 for the order's first change.
    pub batch: u32,
    pub price: Option<PriceChange>,
    pub pay: Option<Payment>,
    /// (chaRefundType, refund).
    pub refund: Option<(u8, Payment)>,
    pub remark: String,
    pub un_finished_reason: Option<String>,
    pub ticket_entrance: Option<String>,
    pub confirm_limit_time: Option<NaiveDateTime>,
    pub apply_time: NaiveDateTime,
    pub call_back_url: Option<String>,
    /// The new tickets, one per original, in the same order.
    pub tickets: Vec<Ticket>,
}

/// An order (火车票订单).
#[derive(Debug, Clone)]
pub struct Order {
    pub order_no: String,
    pub customer_order_no: Option<String>,
    pub contact_name: String,
    pub contact_mobile: String,
    pub ride: Ride,
    pub choice: SeatChoice,
    pub status: OrderStatus,
    pub service_fee_per_ticket_fen: u32,
    pub order_no_12306: Option<String>,
    pub pay: Option<Payment>,
    pub ticket_time: Option<NaiveDateTime>,
    /// The refund of the payment when issuing failed.
    pub issue_fail_refund: Option<Payment>,
    pub pay_limit_time: Option<NaiveDateTime>,
    pub un_finished_reason: Option<String>,
    pub ticket_entrance: Option<String>,
    pub create_time: NaiveDateTime,
    pub call_back_url: Option<String>,
    pub refund_callback_url: Option<String>,
    /// The 12306 account ciphertext, for the "not logged in" trigger.
    pub train_account: String,
    pub tickets: Vec<Ticket>,
    pub changes: Vec<ChangeOrder>,
}

impl Order {
    /// Sum of the ticket prices.
    pub fn ticket_amount_fen(&self) -> u32 {
        self.tickets.iter().map(|ticket| ticket.price_fen).sum()
    }

    pub fn service_fee_fen(&self) -> u32 {
        self.service_fee_per_ticket_fen * self.tickets.len() as u32
    }

    /// 订单总金额: known once the seats are held.
    pub fn order_amount_fen(&self) -> Option<u32> {
        self.order_no_12306
            .as_ref()
            .map(|_| self.ticket_amount_fen() + self.service_fee_fen())
    }

    /// Set the order's status and every ticket's alongside it.
    pub fn set_status(&mut self, status: OrderStatus) {
        self.status = status;
        for ticket in &mut self.tickets {
            ticket.status = status.ticket_status();
        }
    }

    pub fn change(&self, cha_no: &str) -> Option<&ChangeOrder> {
        self.changes.iter().find(|change| change.cha_no == cha_no)
    }

    pub fn change_mut(&mut self, cha_no: &str) -> Option<&mut ChangeOrder> {
        self.changes
            .iter_mut()
            .find(|change| change.cha_no == cha_no)
    }
}

/// Every order, and the indexes and counters around them.
#[derive(Debug, Default)]
pub struct OrderBook {
    pub orders: HashMap<String, Order>,
    /// customerOrderNo → orderNo, for the duplicate check.
    pub by_customer_no: HashMap<String, String>,
    /// createOrder requests seen per customerOrderNo, refused ones included.
    pub create_requests: HashMap<String, u32>,
    /// chaNo → orderNo (取消改签 names only the chaNo).
    pub by_cha_no: HashMap<String, String>,
    /// Tickets this simulator holds per ride and class.
    pub sold: fnv::FnvHashMap<InventoryKey, u32>,
    /// Next seat per (train, date, class, berth): seats never repeat.
    pub seat_counters: HashMap<(String, NaiveDate, SeatClass, Option<Berth>), u32>,
    pub next_passenger_id: u64,
    pub sequence: u64,
    /// Segments other travellers bought up (see [`SimState::sell_out`]):
    /// (train_no, date, from, to).
    ///
    /// [`SimState::sell_out`]: crate::panhe::SimState::sell_out
    pub sold_out: Vec<(String, NaiveDate, String, String)>,
}

impl OrderBook {
    /// Mark a ticket's seat as taken or given back in the sales book.
    pub fn hold_inventory(&mut self, ride: &Ride, ticket: &mut Ticket, hold: bool) {
        if ticket.holds_inventory == hold {
            return;
        }
        ticket.holds_inventory = hold;
        let count = self.sold.entry(ride.inventory(ticket.seat)).or_default();
        if hold {
            *count += 1;
        } else {
            *count = count.saturating_sub(1);
        }
    }

    /// Tickets sold on a ride's class.
    pub fn sold(&self, key: &InventoryKey) -> u32 {
        let bought_up = self.sold_out.iter().any(|(train_no, date, from, to)| {
            *train_no == key.train_no
                && *date == key.date
                && *from == key.from_station
                && *to == key.to_station
        });
        if bought_up {
            return u32::MAX;
        }
        self.sold.get(key).copied().unwrap_or(0)
    }

    /// A fresh sequence number.
    pub fn next_sequence(&mut self) -> u64 {
        self.sequence += 1;
        self.sequence
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticket_status_codes_are_the_seeds() {
        let codes: Vec<u8> = TicketStatus::ALL.iter().map(|s| s.code()).collect();
        assert_eq!(
            codes,
            [
                1, 2, 3, 5, 7, 8, 9, 20, 21, 22, 23, 30, 31, 32, 33, 34, 35, 37
            ]
        );
        assert_eq!(TicketStatus::Changed.name(), "改签确认出票成功");
        assert_eq!(OrderStatus::Issued.name(), "出票成功");
        assert_eq!(OrderStatus::IssueFailed.code(), 9);
    }

    #[test]
    fn sold_seat_classes_map_to_their_codes() {
        for (code, name) in SEAT_TYPES {
            if let Some(seat) = seat_class(code) {
                let (wire_code, wire_name) = crate::panhe::wire::seat_code(seat);
                assert_eq!((i64::from(wire_code), wire_name), (code, name));
            }
        }
        assert_eq!(seat_class(2), None);
        assert_eq!(code_name(&CARD_TYPES, 8), Some("外国人永久居留身份证"));
        assert_eq!(code_name(&TICKET_TYPES, 5), None);
    }
}
