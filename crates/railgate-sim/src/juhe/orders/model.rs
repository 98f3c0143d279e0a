//! The order book's records: search queries, grab orders and their
//! tickets, sales. Money is integer fen; it becomes Juhe's yuan strings
//! only where an answer or a callback is written.

use std::collections::HashMap;

use chrono::{NaiveDate, NaiveDateTime};

use crate::fares::{Berth, Fare, SeatClass};
use crate::juhe::codes::{OrderStatus, SeatCode, TicketState};

/// One ride: a train between two of its stops on one date.
#[derive(Debug, Clone)]
pub struct Ride {
    /// 12306 internal number; keys inventory and seat numbering.
    pub train_no: String,
    /// The code shown at the boarding stop (Juhe's `trainNo`).
    pub train_code: String,
    pub from_station: String,
    pub to_station: String,
    /// Search's station codes (pinyin).
    pub from_code: String,
    pub to_code: String,
    /// Boarding date.
    pub date: NaiveDate,
    pub depart: NaiveDateTime,
    pub arrive: NaiveDateTime,
    pub fares: Vec<Fare>,
}

impl Ride {
    /// The full price of a class (of a berth, for sleepers), if sold.
    pub fn full_price(&self, seat: SeatClass, berth: Option<Berth>) -> Option<u32> {
        let fare = self.fares.iter().find(|fare| fare.seat == seat)?;
        Some(
            berth
                .and_then(|berth| fare.berths.iter().find(|(tier, _)| *tier == berth))
                .map_or(fare.price_fen, |(_, price)| *price),
        )
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

/// A search, kept for submitOrder under its `queryKey`.
#[derive(Debug, Clone)]
pub struct Query {
    /// Provider time of the search; the key expires `query_key_ttl` later.
    pub created: NaiveDateTime,
    pub from: String,
    pub to: String,
    pub date: NaiveDate,
    /// A 学生票 search (type 2): listed, not orderable.
    pub student: bool,
    pub rides: Vec<Ride>,
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

/// One (train, seat class) a grab order would take, in preference order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Candidate {
    /// Index into the order's rides.
    pub ride: usize,
    pub code: SeatCode,
    pub seat: SeatClass,
    pub berth: Option<Berth>,
}

/// A passenger as submitted.
#[derive(Debug, Clone)]
pub struct Passenger {
    /// Juhe's passengerId (refunds name it).
    pub passenger_id: u64,
    pub name: String,
    /// 1 成人, 2 儿童 (students and disabled soldiers are refused).
    pub passenger_type: u8,
    /// The dictionary's 1-based idType (submitOrder sends it 0-based).
    pub id_type: u8,
    pub id_no: String,
    pub birthday: String,
}

/// A seat once the grab succeeded.
#[derive(Debug, Clone)]
pub struct SoldSeat {
    pub seat: SeatClass,
    pub berth: Option<Berth>,
    /// `07车厢,009号`.
    pub seat_no: String,
    /// `E3450910341070009`.
    pub p_ticket_no: String,
}

/// A refund of one ticket.
#[derive(Debug, Clone)]
pub struct Refund {
    /// Decided when the refund is applied for.
    pub fee_fen: u32,
    pub finished_at: Option<NaiveDateTime>,
}

/// One passenger's ticket.
#[derive(Debug, Clone)]
pub struct Ticket {
    pub passenger: Passenger,
    pub state: TicketState,
    /// The price: of the main train and seat while grabbing, of the seat
    /// sold once issued.
    pub price_fen: u32,
    pub sold: Option<SoldSeat>,
    pub refund: Option<Refund>,
    /// Whether this ticket counts against the ride's remaining tickets.
    pub holds_inventory: bool,
}

/// Why a grab order ended in U.
#[derive(Debug, Clone)]
pub struct IssueFailure {
    /// The callback's msgCode and msgInfo.
    pub msg_code: &'static str,
    pub msg_info: &'static str,
    /// orderDetail's `failMsg` / `failureReason`.
    pub fail_msg: String,
    /// The callback's `msgDetail` (`姓名|证件号`), when the failure is one
    /// passenger's.
    pub msg_detail: Option<String>,
}

/// The contact of an order.
#[derive(Debug, Clone)]
pub struct Contact {
    pub person: String,
    pub cellphone: String,
    pub email: String,
}

/// A grab order (抢票单).
#[derive(Debug, Clone)]
pub struct Order {
    pub order_no: String,
    pub out_order_no: String,
    /// The trains listed in `trainNo`, in that order.
    pub rides: Vec<Ride>,
    /// `trainNo` and `seatClassCode` as sent (`G1|G3`).
    pub train_nos: String,
    pub seat_codes: Vec<SeatCode>,
    pub main_ride: usize,
    pub main_seat: SeatCode,
    /// Every sold (train, class), main first, then trains and classes in
    /// the order given.
    pub candidates: Vec<Candidate>,
    pub accept_no_seat: bool,
    /// The 12306 account of a self-purchase order (ticketModel 1); the
    /// password is checked for presence and never kept.
    pub account: Option<String>,
    pub contact: Contact,
    /// `juheServiceFee` once issued: the per-ticket fee × tickets.
    pub service_fee_fen: u32,
    pub close_time: NaiveDateTime,
    pub created_at: NaiveDateTime,
    pub status: OrderStatus,
    /// When the order reached B and D.
    pub waiting_since: Option<NaiveDateTime>,
    pub next_attempt: Option<NaiveDateTime>,
    /// The ride and 12306 order number of a successful grab.
    pub booked_ride: Option<usize>,
    pub ticket_no: Option<String>,
    pub issued_at: Option<NaiveDateTime>,
    pub failure: Option<IssueFailure>,
    pub tickets: Vec<Ticket>,
}

impl Order {
    /// The ride the tickets are for: the booked one, else the main one.
    pub fn shown_ride(&self) -> &Ride {
        &self.rides[self.booked_ride.unwrap_or(self.main_ride)]
    }

    /// Sum of the ticket prices.
    pub fn price_fen(&self) -> u32 {
        self.tickets.iter().map(|ticket| ticket.price_fen).sum()
    }
}

/// Every order and query, and the counters around them.
#[derive(Debug, Default)]
pub struct OrderBook {
    /// By outOrderNo, which every endpoint names orders by.
    pub orders: HashMap<String, Order>,
    /// By queryKey.
    pub queries: HashMap<String, Query>,
    /// Callback URL per type (1 issue result, 2 refund, 3 expiry).
    pub callback_urls: [Option<String>; 3],
    /// Tickets this simulator holds per ride and class.
    pub sold: fnv::FnvHashMap<InventoryKey, u32>,
    /// Next seat per (train, date, class, berth): seats never repeat.
    pub seat_counters: HashMap<(String, NaiveDate, SeatClass, Option<Berth>), u32>,
    pub next_passenger_id: u64,
    pub sequence: u64,
}

impl OrderBook {
    /// Mark a ticket's seat as taken or given back in the sales book.
    pub fn hold_inventory(&mut self, ride: &Ride, ticket: &mut Ticket, hold: bool) {
        let Some(sold) = &ticket.sold else {
            return;
        };
        if ticket.holds_inventory == hold {
            return;
        }
        ticket.holds_inventory = hold;
        let count = self.sold.entry(ride.inventory(sold.seat)).or_default();
        if hold {
            *count += 1;
        } else {
            *count = count.saturating_sub(1);
        }
    }

    /// Tickets sold on a ride's class.
    pub fn sold(&self, key: &InventoryKey) -> u32 {
        self.sold.get(key).copied().unwrap_or(0)
    }

    /// A fresh sequence number.
    pub fn next_sequence(&mut self) -> u64 {
        self.sequence += 1;
        self.sequence
    }
}

/// An id number as the seed's examples show one (`320382XXXXXXX3916`):
/// the first 6 and last 4 characters of a long number, the first and last
/// 2 of a short one, the rest `X`.
pub fn mask_id(id_no: &str) -> String {
    let chars: Vec<char> = id_no.chars().collect();
    let (head, tail) = match chars.len() {
        n if n > 10 => (6, 4),
        n if n > 4 => (2, 2),
        _ => (0, 0),
    };
    chars
        .iter()
        .enumerate()
        .map(|(index, c)| {
            if index < head || index >= chars.len() - tail {
                *c
            } else {
                'X'
            }
        })
        .collect()
}

/// A mobile as orderDetail's `phone` shows it (`1599XXXXXXX`).
pub fn mask_phone_x(mobile: &str) -> String {
    mobile
        .chars()
        .enumerate()
        .map(|(index, c)| if index < 4 { c } else { 'X' })
        .collect()
}

/// A mobile as `contactInfo` shows it (`1599****577`).
pub fn mask_phone_stars(mobile: &str) -> String {
    let chars: Vec<char> = mobile.chars().collect();
    if chars.len() < 8 {
        return "*".repeat(chars.len());
    }
    let head: String = chars[..4].iter().collect();
    let tail: String = chars[chars.len() - 3..].iter().collect();
    format!("{head}****{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_follow_the_seeds_examples() {
        assert_eq!(mask_id("320382199001013916"), "320382XXXXXXXX3916");
        assert_eq!(mask_id("E12345678"), "E1XXXXX78");
        assert_eq!(mask_id("1234"), "XXXX");
        assert_eq!(mask_phone_x("15991234577"), "1599XXXXXXX");
        assert_eq!(mask_phone_stars("15991234577"), "1599****577");
    }
}
