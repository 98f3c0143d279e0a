//! Grab orders across dates, and the departure-time window.
//!
//! Juhe's submitOrder takes one date and has no time window, so railgate
//! does both itself. The caller's offers must leave within the window;
//! for each alternative date the API layer searches the provider again and
//! passes the same trains and classes on that date ([`DatedOffers`]).
//! Each date becomes a grab order of its own, placed with a key derived
//! from the caller's, and all are recorded as one grab group named by the
//! main date's order.
//!
//! At most one is kept: whenever a member issues, [`OrderService::
//! settle_grab_group`] keeps the issued member of lowest rank (the main
//! date, then the alternatives in the caller's order), cancels every
//! member still grabbing and refunds every other issued one. The rule
//! depends only on which members have issued, so runs that race (two
//! dates issuing at once, on two instances) agree: the kept member only
//! ever moves to a lower rank, and a member once refunded is never kept.

use super::fingerprint::customer_order_no;
use super::{BookCommand, GrabCommand, OrderError, OrderService};
use crate::domain::{
    Offer, Order, OrderEvent, OrderEventKind, OrderId, OrderStatus, ProviderId, TicketStatus,
};
use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::sync::Arc;
use tokio::sync::broadcast;

/// Departures allowed, by time of day; both ends included, either open.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DepartureWindow {
    /// Not before this time of day.
    pub after: Option<NaiveTime>,
    /// Not after this time of day.
    pub before: Option<NaiveTime>,
}

impl DepartureWindow {
    /// Whether a train leaving at `departure` is within the window.
    pub fn contains(&self, departure: NaiveDateTime) -> bool {
        let time = departure.time();
        self.after.is_none_or(|after| time >= after)
            && self.before.is_none_or(|before| time <= before)
    }
}

impl fmt::Display for DepartureWindow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let end = |time: Option<NaiveTime>| {
            time.map(|time| time.format("%H:%M").to_string())
                .unwrap_or_default()
        };
        write!(f, "{}-{}", end(self.after), end(self.before))
    }
}

/// One alternative date's offers: the first is its order's main offer.
#[derive(Debug, Clone)]
pub struct DatedOffers {
    /// The travel date.
    pub date: NaiveDate,
    /// The same trains and classes as the caller's offers, on `date`.
    pub offers: Vec<Offer>,
}

/// What settling a grab group does to one member.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Settle {
    /// Still grabbing (or not yet known): stop it.
    Cancel,
    /// Issued as well as the kept member: give the tickets back.
    Refund,
}

/// The actions that leave one member kept: the issued member of lowest
/// rank. Nothing while no member has issued.
pub fn settle_plan(members: &[(u32, OrderStatus)]) -> Vec<(u32, Settle)> {
    let Some(kept) = members
        .iter()
        .filter(|(_, status)| *status == OrderStatus::Issued)
        .map(|(rank, _)| *rank)
        .min()
    else {
        return Vec::new();
    };
    members
        .iter()
        .filter(|(rank, _)| *rank != kept)
        .filter_map(|(rank, status)| match status {
            OrderStatus::Issued => Some((*rank, Settle::Refund)),
            status if !status.is_final() => Some((*rank, Settle::Cancel)),
            _ => None,
        })
        .collect()
}

/// Settles a grab group whenever one of its orders ends (issues, fails,
/// expires, is cancelled), as this process records it (each instance settles the issues it records).
/// Settling is idempotent, so a repeat costs a few reads.
pub fn start_settler(
    orders: Arc<OrderService>,
    mut events: broadcast::Receiver<Arc<OrderEvent>>,
    stopped: impl Future<Output = ()> + Send + 'static,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        tokio::pin!(stopped);
        loop {
            let event = tokio::select! {
                () = &mut stopped => return,
                event = events.recv() => event,
            };
            match event {
                Ok(event) if settles_grab(&event) => {
                    if let Err(error) = orders.settle_grab_group(&event.order_id).await {
                        tracing::warn!(order_id = %event.order_id.as_str(), error = %error, "settling a grab group failed; its next issue settles it");
                    }
                }
                Ok(_) => {}
                Err(broadcast::error::RecvError::Lagged(missed)) => {
                    tracing::warn!(
                        missed,
                        "grab settler missed order events; their groups settle at their next issue"
                    );
                }
                Err(broadcast::error::RecvError::Closed) => return,
            }
        }
    })
}

/// A grab order (Juhe's) that just reached a final status: an issue
/// settles a group of dates, and any end may leave a party too small.
fn settles_grab(event: &OrderEvent) -> bool {
    event.kind == OrderEventKind::StatusChanged
        && event.order.status.is_final()
        && event.order.provider == ProviderId::Juhe
}

/// The idempotency key of the order placed for an alternative date.
fn date_key(key: &str, date: NaiveDate) -> String {
    format!("{key}#{}", date.format("%Y%m%d"))
}

impl OrderService {
    /// Books `command`, and for a grab order with alternative dates one
    /// more grab order per date, grouped. Returns the main order and the
    /// dates' orders (a date the provider refused is left out, and
    /// logged). A retry finds the orders placed before and places only the
    /// missing ones.
    pub async fn book_across_dates(
        &self,
        command: BookCommand,
    ) -> Result<(Order, Vec<Order>), OrderError> {
        let grab = match &command.grab {
            Some(grab) if !grab.dated.is_empty() => grab.clone(),
            _ => return Ok((self.book(command).await?, Vec::new())),
        };
        let main = self.book(command.clone()).await?;
        let placed = self.start_group(&main, None).await?;
        let mut others = Vec::new();
        for (rank, dated) in (1u32..).zip(&grab.dated) {
            let key = date_key(&command.idempotency_key, dated.date);
            let member = dated_command(&command, &grab, dated, key);
            others.extend(self.place_member(&main.id, rank, &placed, member).await?);
        }
        // A member may have issued before the last was placed.
        if let Err(error) = self.settle_grab_group(&main.id).await {
            tracing::warn!(group = %main.id.as_str(), error = %error, "settling the grab group failed; the next issue settles it");
        }
        Ok((main, others))
    }

    /// Records `first` as rank 0 of the group it names (with a party's
    /// minimum, for a party); returns the members placed so far.
    pub(super) async fn start_group(
        &self,
        first: &Order,
        party_min: Option<u32>,
    ) -> Result<HashMap<u32, OrderId>, OrderError> {
        if let Some(min) = party_min {
            self.store.add_party_group(&first.id, min).await?;
        }
        self.store
            .add_grab_group_member(&first.id, 0, &first.id)
            .await?;
        Ok(self
            .store
            .grab_group_members(&first.id)
            .await?
            .into_iter()
            .collect())
    }

    /// Member `rank` of `group`: the order placed before (by rank, or by
    /// its key when an earlier attempt stopped between recording and
    /// grouping it: grouped now, nothing sent), else `command` booked now.
    /// `None` when the provider refused it (logged; the rest go on, and
    /// the group's settlement counts it out).
    pub(super) async fn place_member(
        &self,
        group: &OrderId,
        rank: u32,
        placed: &HashMap<u32, OrderId>,
        command: BookCommand,
    ) -> Result<Option<Order>, OrderError> {
        if let Some(order_id) = placed.get(&rank) {
            return Ok(Some(self.get(order_id).await?));
        }
        let earlier = self
            .store
            .find_by_customer_order_no(
                ProviderId::Juhe,
                &customer_order_no(&command.idempotency_key),
            )
            .await?;
        let order = match earlier {
            Some(order) => order,
            None => match self.book(command).await {
                Ok(order) => order,
                Err(error) => {
                    tracing::warn!(group = %group.as_str(), rank, error = %error, "a grab group member was refused; the others go on");
                    return Ok(None);
                }
            },
        };
        self.store
            .add_grab_group_member(group, rank, &order.id)
            .await?;
        Ok(Some(order))
    }

    /// Keeps one issued member of `order_id`'s grab group (if it is in one
    /// and any member has issued): cancels the members still grabbing and
    /// refunds the other issued ones. Idempotent: each action has a key of
    /// its own, so a repeat is answered from the store.
    pub async fn settle_grab_group(&self, order_id: &OrderId) -> Result<(), OrderError> {
        let Some(group) = self.store.grab_group_of(order_id).await? else {
            return Ok(());
        };
        let mut members = Vec::new();
        for (rank, member) in self.store.grab_group_members(&group).await? {
            members.push((rank, self.get(&member).await?));
        }
        let statuses: Vec<(u32, OrderStatus)> = members
            .iter()
            .map(|(rank, order)| (*rank, order.status))
            .collect();
        let plan = match self.store.party_group_min(&group).await? {
            Some(min) => super::grab_party::party_plan(&statuses, min),
            None => settle_plan(&statuses),
        };
        for (rank, action) in plan {
            let Some((_, order)) = members.iter().find(|(member, _)| *member == rank) else {
                continue;
            };
            let outcome = match action {
                Settle::Cancel => {
                    let key = format!("grab-group:{}:cancel", order.id.as_str());
                    self.cancel(&key, &order.id).await.map(drop)
                }
                Settle::Refund => self.refund_all(order).await,
            };
            match outcome {
                Ok(()) => {
                    tracing::info!(group = %group.as_str(), order_id = %order.id.as_str(), ?action, "grab group: another date kept")
                }
                // It issued meanwhile: its own issue settles the group again.
                Err(error) => {
                    tracing::warn!(group = %group.as_str(), order_id = %order.id.as_str(), ?action, error = %error, "grab group member not settled")
                }
            }
        }
        Ok(())
    }

    async fn refund_all(&self, order: &Order) -> Result<(), OrderError> {
        for ticket in &order.tickets {
            if ticket.status != TicketStatus::Issued {
                continue;
            }
            let key = format!("grab-group:{}:refund", ticket.id.as_str());
            self.refund(
                &key,
                &order.id,
                &ticket.id,
                Some("another date of the grab order was issued"),
                None,
            )
            .await?;
        }
        Ok(())
    }
}

/// The Book of one alternative date: the caller's request on that date's
/// offers, under its own key.
fn dated_command(
    command: &BookCommand,
    grab: &GrabCommand,
    dated: &DatedOffers,
    key: String,
) -> BookCommand {
    let mut offers = dated.offers.iter().cloned();
    let main = offers.next().unwrap_or_else(|| command.offer.clone());
    BookCommand {
        idempotency_key: key,
        offer: main,
        grab: Some(GrabCommand {
            alternatives: offers.collect(),
            dated: Vec::new(),
            ..grab.clone()
        }),
        ..command.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use OrderStatus::*;

    #[test]
    fn the_issued_member_of_lowest_rank_is_kept() {
        // Nothing issued: nothing to do.
        assert!(settle_plan(&[(0, Grabbing), (1, Grabbing)]).is_empty());
        // The alternative issued first: the main date is stopped.
        assert_eq!(
            settle_plan(&[(0, Grabbing), (1, Issued), (2, Unknown)]),
            [(0, Settle::Cancel), (2, Settle::Cancel)]
        );
        // Both issued: the main date is kept, the other refunded.
        assert_eq!(
            settle_plan(&[(0, Issued), (1, Issued), (2, Expired)]),
            [(1, Settle::Refund)]
        );
        // Finished members are left alone.
        assert_eq!(settle_plan(&[(0, Cancelled), (1, Issued), (2, Failed)]), []);
    }

    #[test]
    fn the_kept_member_only_moves_to_a_lower_rank() {
        // Whatever order members issue in, a member refunded once is
        // never the one kept later.
        let mut statuses = [(0, Grabbing), (1, Grabbing), (2, Grabbing)];
        let mut refunded = Vec::new();
        for issuing in [2usize, 0, 1] {
            statuses[issuing].1 = Issued;
            for (rank, action) in settle_plan(&statuses) {
                if action == Settle::Refund {
                    refunded.push(rank);
                }
            }
            let kept = statuses
                .iter()
                .filter(|(_, s)| *s == Issued)
                .map(|(r, _)| *r)
                .min()
                .unwrap();
            assert!(!refunded.contains(&kept), "{refunded:?} {kept}");
        }
    }

    #[test]
    fn a_window_includes_its_ends() {
        let at = |h, m| {
            NaiveDate::from_ymd_opt(2026, 12, 8)
                .unwrap()
                .and_hms_opt(h, m, 0)
                .unwrap()
        };
        let window = DepartureWindow {
            after: NaiveTime::from_hms_opt(7, 0, 0),
            before: NaiveTime::from_hms_opt(9, 30, 0),
        };
        assert!(window.contains(at(7, 0)) && window.contains(at(9, 30)));
        assert!(!window.contains(at(6, 59)) && !window.contains(at(9, 31)));
        assert!(DepartureWindow::default().contains(at(23, 59)));
        assert_eq!(window.to_string(), "07:00-09:30");
        assert_eq!(
            date_key("k", NaiveDate::from_ymd_opt(2026, 12, 8).unwrap()),
            "k#20261208"
        );
    }
}
