//! Which ticket status changes are allowed: the ticket half of the state
//! machine in [`super::order`]. Provider observations (order detail,
//! callbacks) go through [`TicketStatus::check_transition`], so a stale
//! detail read after a refund callback cannot put a refunded ticket back
//! to issued.
//!
//! The rules, as for orders: forward steps may be skipped (a lost callback
//! means railgate can learn of a refund only once it is done), nothing
//! moves backwards, and a final status never changes. Refunds and changes
//! may be tried again after one fails, so those failures lead back into
//! the refund and change paths.

use super::TicketStatus;

/// A ticket status change the state machine refuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a ticket cannot go from {from:?} to {to:?}")]
pub struct TicketTransitionError {
    /// Current status.
    pub from: TicketStatus,
    /// Refused next status.
    pub to: TicketStatus,
}

/// Everything that can happen to an issued ticket: refunds and changes,
/// including their outcomes (reachable directly when the steps between
/// were never observed).
const AFTER_ISSUE: [TicketStatus; 11] = [
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

const fn after_issue(next: TicketStatus) -> bool {
    let mut index = 0;
    while index < AFTER_ISSUE.len() {
        if AFTER_ISSUE[index] as u8 == next as u8 {
            return true;
        }
        index += 1;
    }
    false
}

impl TicketStatus {
    /// Whether nothing more can happen to the ticket.
    pub const fn is_final(self) -> bool {
        matches!(
            self,
            TicketStatus::HoldFailed
                | TicketStatus::Cancelled
                | TicketStatus::IssueFailed
                | TicketStatus::Refunded
        )
    }

    /// Whether `self → next` is allowed. Staying in the same status is not
    /// a transition (callers treat it as a no-op).
    pub const fn can_become(self, next: TicketStatus) -> bool {
        use TicketStatus::*;
        if self as u8 == next as u8 {
            return false;
        }
        match self {
            Pending => true,
            Held => matches!(next, Cancelled | Issuing | Issued | IssueFailed) || after_issue(next),
            Issuing => matches!(next, Issued | IssueFailed) || after_issue(next),
            Issued => after_issue(next),
            Refunding => matches!(next, Refunded | RefundFailed | RefundedAwaitingMoney),
            RefundedAwaitingMoney => matches!(next, Refunded),
            // A failed refund may be applied for again, or the ticket
            // changed instead; a change that did not go through leaves an
            // issued ticket that may be refunded or changed again.
            RefundFailed | ChangeHoldFailed | ChangeIssueFailed | ChangeCancelled => {
                after_issue(next)
            }
            Changing => matches!(
                next,
                ChangeHeld
                    | ChangeHoldFailed
                    | ChangeIssuing
                    | Changed
                    | ChangeIssueFailed
                    | ChangeCancelled
            ),
            ChangeHeld => matches!(
                next,
                ChangeIssuing | Changed | ChangeIssueFailed | ChangeCancelled
            ),
            ChangeIssuing => matches!(next, Changed | ChangeIssueFailed),
            // One change per ticket: a changed ticket can only be refunded.
            Changed => matches!(
                next,
                Refunding | Refunded | RefundFailed | RefundedAwaitingMoney
            ),
            HoldFailed | Cancelled | IssueFailed | Refunded => false,
        }
    }

    /// `Ok` if `self → next` is allowed, otherwise the refused transition.
    pub fn check_transition(self, next: TicketStatus) -> Result<(), TicketTransitionError> {
        if self.can_become(next) {
            Ok(())
        } else {
            Err(TicketTransitionError {
                from: self,
                to: next,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::TicketStatus::*;
    use super::*;

    const ISSUED_LIKE_EXITS: &[TicketStatus] = &[
        Refunding,
        Refunded,
        RefundFailed,
        RefundedAwaitingMoney,
        Changing,
        ChangeHeld,
        ChangeHoldFailed,
        ChangeIssuing,
        Changed,
        ChangeIssueFailed,
        ChangeCancelled,
    ];

    /// Every allowed ticket transition, spelled out; the test walks all
    /// 324 pairs. `ISSUED_LIKE_EXITS` minus the status itself for the
    /// statuses that leave an issued ticket behind.
    fn allowed(from: TicketStatus) -> Vec<TicketStatus> {
        let issued_like = |extra: &[TicketStatus]| {
            let mut exits: Vec<TicketStatus> = extra.to_vec();
            exits.extend(ISSUED_LIKE_EXITS.iter().filter(|next| **next != from));
            exits
        };
        match from {
            Pending => TicketStatus::ALL
                .into_iter()
                .filter(|next| *next != Pending)
                .collect(),
            Held => issued_like(&[Cancelled, Issuing, Issued, IssueFailed]),
            Issuing => issued_like(&[Issued, IssueFailed]),
            Issued | RefundFailed | ChangeHoldFailed | ChangeIssueFailed | ChangeCancelled => {
                issued_like(&[])
            }
            Refunding => vec![Refunded, RefundFailed, RefundedAwaitingMoney],
            RefundedAwaitingMoney => vec![Refunded],
            Changing => vec![
                ChangeHeld,
                ChangeHoldFailed,
                ChangeIssuing,
                Changed,
                ChangeIssueFailed,
                ChangeCancelled,
            ],
            ChangeHeld => vec![ChangeIssuing, Changed, ChangeIssueFailed, ChangeCancelled],
            ChangeIssuing => vec![Changed, ChangeIssueFailed],
            Changed => vec![Refunding, Refunded, RefundFailed, RefundedAwaitingMoney],
            HoldFailed | Cancelled | IssueFailed | Refunded => Vec::new(),
        }
    }

    #[test]
    fn ticket_transitions_match_the_table() {
        for from in TicketStatus::ALL {
            let allowed = allowed(from);
            for to in TicketStatus::ALL {
                let expected = allowed.contains(&to);
                assert_eq!(from.can_become(to), expected, "{from:?} → {to:?}");
                assert_eq!(
                    from.check_transition(to).is_ok(),
                    expected,
                    "{from:?} → {to:?}"
                );
            }
            assert_eq!(from.is_final(), allowed.is_empty(), "{from:?}");
        }
    }

    #[test]
    fn nothing_moves_back_to_issued_or_pending() {
        for from in TicketStatus::ALL {
            assert!(!from.can_become(Pending), "{from:?}");
            if !matches!(from, Pending | Held | Issuing) {
                assert!(!from.can_become(Issued), "{from:?}");
            }
        }
        assert_eq!(
            Refunded.check_transition(Issued),
            Err(TicketTransitionError {
                from: Refunded,
                to: Issued
            })
        );
    }

    #[test]
    fn refusals_name_both_ends() {
        let error = Refunded.check_transition(Refunding).unwrap_err();
        assert_eq!(
            error.to_string(),
            "a ticket cannot go from Refunded to Refunding"
        );
    }
}
