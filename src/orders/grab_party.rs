//! A grab for a party that may travel in part (py12306's "allow less
//! members"): Juhe grabs for a whole order or none, so railgate places one
//! grab order per traveller, grouped, and keeps them only while at least
//! `min_issued` can still get a ticket. As soon as fewer can (the others
//! failed, expired or were cancelled), it cancels the orders still grabbing
//! and refunds the issued ones: the party never ends with fewer tickets
//! than it said were worth the journey.
//!
//! The group shares the tables of `grab_dates` (members by rank, rank =
//! the traveller's position), with its minimum in `grab_groups`.

use super::grab_dates::Settle;
use super::{BookCommand, GrabCommand, OrderError, OrderService};
use crate::domain::{Order, OrderStatus};

/// How much of the party is worth the journey.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PartyRule {
    /// The fewest travellers that must get a ticket, at least 1.
    pub min_issued: u32,
}

/// The orders one Book placed.
#[derive(Debug)]
pub struct BookedGroup {
    /// The main order (the main date's, or the first traveller's).
    pub order: Order,
    /// The alternative dates' orders.
    pub alternatives: Vec<Order>,
    /// The other travellers' orders.
    pub party: Vec<Order>,
}

/// What to do to a party so that it is whole or given up: nothing while
/// at least `min` members have issued or may still issue; else cancel
/// every member still open and refund every issued one.
pub fn party_plan(members: &[(u32, OrderStatus)], min: u32) -> Vec<(u32, Settle)> {
    let issued = members
        .iter()
        .filter(|(_, status)| *status == OrderStatus::Issued)
        .count();
    let open = members
        .iter()
        .filter(|(_, status)| !status.is_final())
        .count();
    if issued + open >= min as usize {
        return Vec::new();
    }
    members
        .iter()
        .filter_map(|(rank, status)| match status {
            OrderStatus::Issued => Some((*rank, Settle::Refund)),
            status if !status.is_final() => Some((*rank, Settle::Cancel)),
            _ => None,
        })
        .collect()
}

impl OrderService {
    /// Books `command`: one order, one per alternative date, or one per
    /// traveller when the party may travel in part.
    pub async fn book_grouped(&self, command: BookCommand) -> Result<BookedGroup, OrderError> {
        let party = command.grab.as_ref().and_then(|grab| grab.party);
        match party {
            Some(rule) if command.passengers.len() > 1 => self.book_party(command, rule).await,
            _ => {
                let (order, alternatives) = self.book_across_dates(command).await?;
                Ok(BookedGroup {
                    order,
                    alternatives,
                    party: Vec::new(),
                })
            }
        }
    }

    /// One grab order per traveller, grouped under the first one's. A
    /// retry finds the orders placed before and places only the missing.
    async fn book_party(
        &self,
        command: BookCommand,
        rule: PartyRule,
    ) -> Result<BookedGroup, OrderError> {
        let first = self.book(traveller_command(&command, 0)).await?;
        let placed = self.start_group(&first, Some(rule.min_issued)).await?;
        let mut others = Vec::new();
        for index in 1..command.passengers.len() {
            let rank = u32::try_from(index).unwrap_or(u32::MAX);
            let member = traveller_command(&command, index);
            // A traveller refused is one fewer who can travel: the
            // settlement below decides whether the rest still go.
            others.extend(self.place_member(&first.id, rank, &placed, member).await?);
        }
        if let Err(error) = self.settle_grab_group(&first.id).await {
            tracing::warn!(group = %first.id.as_str(), error = %error, "settling the party failed; its next change settles it");
        }
        Ok(BookedGroup {
            order: first,
            alternatives: Vec::new(),
            party: others,
        })
    }
}

/// Traveller `index`'s own grab order: the first keeps the caller's key,
/// the others get `KEY/pN`.
fn traveller_command(command: &BookCommand, index: usize) -> BookCommand {
    let key = match index {
        0 => command.idempotency_key.clone(),
        _ => format!("{}/p{index}", command.idempotency_key),
    };
    BookCommand {
        idempotency_key: key,
        passengers: command.passengers.get(index).cloned().into_iter().collect(),
        seat_choices: command
            .seat_choices
            .get(index)
            .cloned()
            .into_iter()
            .collect(),
        grab: command.grab.as_ref().map(|grab| GrabCommand {
            party: None,
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
    fn a_party_is_kept_while_enough_can_travel() {
        // Two of three still possible, two needed: wait.
        assert!(party_plan(&[(0, Issued), (1, Grabbing), (2, Failed)], 2).is_empty());
        // One failed, one expired: one left of two needed: give up.
        assert_eq!(
            party_plan(&[(0, Issued), (1, Failed), (2, Grabbing)], 3),
            [(0, Settle::Refund), (2, Settle::Cancel)]
        );
        // Enough issued: done, whatever the rest did.
        assert!(party_plan(&[(0, Issued), (1, Expired)], 1).is_empty());
        // Everything over and too few: refund what issued.
        assert_eq!(
            party_plan(&[(0, Issued), (1, Cancelled)], 2),
            [(0, Settle::Refund)]
        );
    }
}
