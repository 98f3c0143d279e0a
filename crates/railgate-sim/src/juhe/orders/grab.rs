//! A grab order's driver: one task per order that applies every transition
//! due at provider time "now", then sleeps until the next one.
//!
//! - N → B `accept_delay` after submitOrder;
//! - B → D `start_delay` later, or when the date's presale opens (00:00,
//!   14 days before the date), whichever is later;
//! - D: an attempt every `grab_interval`. The first attempt decides the
//!   failures the request data triggers (→ U); an attempt that finds
//!   tickets for every passenger on a candidate (train, class) holds and
//!   issues them at once (→ F); otherwise the order keeps grabbing;
//! - N/B/D → O at `closeTime`, checked before anything else.
//!
//! Every F, U and O sends its callback (types 1, 1 and 3). Cancellation
//! (cancelOrder) simply ends the loop: the driver finds the order in C.

use std::sync::Arc;
use std::time::Duration;

use chrono::{Days, NaiveDateTime};

use super::Fault;
use super::callbacks::Notice;
use super::model::{Candidate, IssueFailure, Order, OrderBook};
use super::seats;
use crate::fares::SeatClass;
use crate::fares::rules::ticket_price;
use crate::juhe::codes::{OrderStatus, TicketState, msg};
use crate::juhe::search::BOOKING_CUTOFF;
use crate::juhe::{SimState, span};

/// Days on sale, today included (12306's presale period).
pub const PRESALE_DAYS: u64 = 15;

impl SimState {
    /// Start the order's driver.
    pub(super) fn drive(self: &Arc<Self>, out_order_no: String) {
        let state = Arc::clone(self);
        tokio::spawn(async move {
            // The provider time slept until: a timer counts as fired even
            // when the clock stands still (a fixed clock at scale 1), as the
            // Panhe simulator's timers do.
            let mut reached = state.provider_now();
            loop {
                let now = state.provider_now().max(reached);
                let (wake, notices) = state.step_at(&out_order_no, now);
                state.notify(notices);
                let Some(at) = wake else {
                    break;
                };
                let wait = (at - now).to_std().unwrap_or(Duration::ZERO);
                tokio::time::sleep(state.real_duration(wait)).await;
                reached = at;
            }
        });
    }

    /// Apply every transition due at `now`; the provider time of the next
    /// one, if the order is still grabbing, and the callbacks to send.
    /// Tests call it directly to drive an order one instant at a time.
    pub(super) fn step_at(
        &self,
        out_order_no: &str,
        now: NaiveDateTime,
    ) -> (Option<NaiveDateTime>, Vec<Notice>) {
        let mut book = self.book();
        let Some(mut order) = book.orders.remove(out_order_no) else {
            return (None, Vec::new());
        };
        let (wake, notices) = self.advance(&mut book, &mut order, now);
        book.orders.insert(out_order_no.to_owned(), order);
        (wake, notices)
    }

    fn advance(
        &self,
        book: &mut OrderBook,
        order: &mut Order,
        now: NaiveDateTime,
    ) -> (Option<NaiveDateTime>, Vec<Notice>) {
        let config = &self.config;
        let delay = span;
        loop {
            if !order.status.is_grabbing() {
                return (None, Vec::new());
            }
            if now >= order.close_time {
                order.status = OrderStatus::Expired;
                tracing::debug!(order_no = %order.order_no, "juhe sim grab order expired");
                return (None, vec![Notice::expired(order)]);
            }
            let due = match order.status {
                OrderStatus::Created => {
                    let due = order.created_at + delay(config.accept_delay);
                    if now >= due {
                        order.status = OrderStatus::Waiting;
                        order.waiting_since = Some(due);
                        continue;
                    }
                    due
                }
                OrderStatus::Waiting => {
                    let since = order.waiting_since.unwrap_or(order.created_at);
                    let due = (since + delay(config.start_delay)).max(presale_opens(order));
                    if now >= due {
                        order.status = OrderStatus::Grabbing;
                        order.next_attempt = Some(due + delay(config.grab_interval));
                        continue;
                    }
                    due
                }
                _ => {
                    let due = order.next_attempt.unwrap_or(now);
                    if now >= due {
                        if let Some(notice) = self.attempt(book, order, now) {
                            return (None, vec![notice]);
                        }
                        // Keep grabbing: the next attempt after now.
                        let mut next = due + delay(config.grab_interval);
                        while next <= now {
                            next += delay(config.grab_interval);
                        }
                        order.next_attempt = Some(next);
                        continue;
                    }
                    due
                }
            };
            return (Some(due.min(order.close_time)), Vec::new());
        }
    }

    /// One grab attempt: the result's callback if the order ended (F or U),
    /// `None` to keep grabbing.
    fn attempt(
        &self,
        book: &mut OrderBook,
        order: &mut Order,
        now: NaiveDateTime,
    ) -> Option<Notice> {
        let scripted = self
            .take_fault(|fault| matches!(fault, Fault::FailNextGrab(_)))
            .and_then(|fault| match fault {
                Fault::FailNextGrab(reason) => Some(reason),
                _ => None,
            });
        if let Some(failure) = triggered_failure(order, scripted) {
            tracing::debug!(order_no = %order.order_no, msg_code = failure.msg_code, "juhe sim grab failed");
            order.status = OrderStatus::IssueFailed;
            order.failure = Some(failure);
            return Some(Notice::issue_result(order));
        }
        let unlucky = order
            .tickets
            .iter()
            .any(|ticket| ticket.passenger.name.contains("无票"));
        if unlucky {
            return None;
        }
        let choice = choose(book, order, now)?;
        self.issue(book, order, choice, now);
        Some(Notice::issue_result(order))
    }

    /// Hold and issue every ticket on `choice`.
    fn issue(
        &self,
        book: &mut OrderBook,
        order: &mut Order,
        choice: Candidate,
        now: NaiveDateTime,
    ) {
        let ride = order.rides[choice.ride].clone();
        let ticket_no = seats::ticket_no(&order.order_no);
        for ticket in &mut order.tickets {
            let full = ride.full_price(choice.seat, choice.berth).unwrap_or(0);
            ticket.price_fen = ticket_price(full, i64::from(ticket.passenger.passenger_type));
            ticket.sold = Some(seats::assign(
                book,
                &ride,
                choice.seat,
                choice.berth,
                &ticket_no,
            ));
            ticket.state = TicketState::Issued;
            book.hold_inventory(&ride, ticket, true);
        }
        order.booked_ride = Some(choice.ride);
        order.ticket_no = Some(ticket_no);
        order.issued_at = Some(now);
        order.status = OrderStatus::Issued;
        tracing::debug!(order_no = %order.order_no, "juhe sim grab order issued");
    }
}

/// 00:00 of the day the order's date goes on sale.
fn presale_opens(order: &Order) -> NaiveDateTime {
    let date = order.rides[order.main_ride].date;
    (date - Days::new(PRESALE_DAYS - 1))
        .and_hms_opt(0, 0, 0)
        .expect("midnight is a valid time")
}

/// The failures the request data (or a script) decides, checked on every
/// attempt; the first attempt therefore decides them.
fn triggered_failure(order: &Order, scripted: Option<String>) -> Option<IssueFailure> {
    if let Some(reason) = scripted {
        let (msg_code, msg_info) = msg::ISSUE_FAILED;
        return Some(IssueFailure {
            msg_code,
            msg_info,
            fail_msg: reason,
            msg_detail: None,
        });
    }
    if let Some(passenger) = order
        .tickets
        .iter()
        .map(|ticket| &ticket.passenger)
        .find(|passenger| passenger.name.contains("未核验"))
    {
        let (msg_code, msg_info) = msg::IDENTITY_UNVERIFIED;
        let id = super::model::mask_id(&passenger.id_no);
        return Some(IssueFailure {
            msg_code,
            msg_info,
            // The seed's own example of this failure.
            fail_msg: format!(
                "乘客身份信息未通过验证_订票失败 添加乘客 未通过身份效验 {} {id} ",
                passenger.name
            ),
            msg_detail: Some(format!("{}|{id}", passenger.name)),
        });
    }
    if order
        .account
        .as_deref()
        .is_some_and(|account| account.contains("未登录"))
    {
        let (msg_code, msg_info) = msg::ACCOUNT_LOGIN_FAILED;
        return Some(IssueFailure {
            msg_code,
            msg_info,
            fail_msg: "12306账号登录失败,请检查账号密码后重试".to_owned(),
            msg_detail: None,
        });
    }
    let unissuable = order.contact.person.contains("出票失败")
        || order
            .tickets
            .iter()
            .any(|ticket| ticket.passenger.name.contains("出票失败"));
    if unissuable {
        let (msg_code, msg_info) = msg::ISSUE_FAILED;
        return Some(IssueFailure {
            msg_code,
            msg_info,
            fail_msg: "出票失败:12306出票异常".to_owned(),
            msg_detail: None,
        });
    }
    None
}

/// The first candidate with a ticket for every passenger, skipping trains
/// leaving within 30 minutes; failing that, with acceptNoSeat, 无座 on the
/// first train (in candidate order) that has enough, for a seat class.
pub(super) fn choose(book: &OrderBook, order: &Order, now: NaiveDateTime) -> Option<Candidate> {
    let wanted = order.tickets.len() as u32;
    let open = |candidate: &&Candidate| order.rides[candidate.ride].depart - now >= BOOKING_CUTOFF;
    let left = |candidate: &Candidate, seat: SeatClass| {
        let ride = &order.rides[candidate.ride];
        crate::fares::remaining(
            &ride.train_no,
            ride.date,
            &ride.from_station,
            &ride.to_station,
            seat,
        )
        .saturating_sub(book.sold(&ride.inventory(seat)))
    };
    if let Some(found) = order
        .candidates
        .iter()
        .filter(open)
        .find(|candidate| left(candidate, candidate.seat) >= wanted)
    {
        return Some(*found);
    }
    if !order.accept_no_seat {
        return None;
    }
    order
        .candidates
        .iter()
        .filter(open)
        .filter(|candidate| candidate.seat.berths().is_empty())
        .find(|candidate| {
            order.rides[candidate.ride]
                .full_price(SeatClass::NoSeat, None)
                .is_some()
                && left(candidate, SeatClass::NoSeat) >= wanted
        })
        .map(|candidate| Candidate {
            seat: SeatClass::NoSeat,
            berth: None,
            ..*candidate
        })
}
