//! The order state machine: the one place that says which status changes
//! are allowed. Provider observations (callbacks, order detail) and caller
//! actions both go through [`OrderStatus::check_transition`], so a late or
//! duplicated callback can never move an order backwards.

use std::fmt;

/// Status of an order (the whole booking).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum OrderStatus {
    /// Submitted; the provider is holding seats (占位中), or has not yet
    /// accepted a grab order.
    Pending,
    /// A grab order trying until its deadline (抢票中).
    Grabbing,
    /// Seats held; must be confirmed (paid) before the pay deadline.
    Held,
    /// Paid; tickets being issued (出票中).
    Issuing,
    /// Tickets issued. Final for the order; tickets go on (refund, change).
    Issued,
    /// Holding or issuing failed. Final.
    Failed,
    /// Cancelled by the caller or the provider. Final.
    Cancelled,
    /// Pay window or grab deadline passed. Final.
    Expired,
    /// A provider call's outcome is not known (sent, no answer). Resolved
    /// only by asking the provider, never by booking again.
    Unknown,
}

impl OrderStatus {
    /// Every status, for exhaustive tests.
    pub const ALL: [OrderStatus; 9] = [
        OrderStatus::Pending,
        OrderStatus::Grabbing,
        OrderStatus::Held,
        OrderStatus::Issuing,
        OrderStatus::Issued,
        OrderStatus::Failed,
        OrderStatus::Cancelled,
        OrderStatus::Expired,
        OrderStatus::Unknown,
    ];

    /// Whether nothing more can happen to the order as a whole.
    pub const fn is_final(self) -> bool {
        matches!(
            self,
            OrderStatus::Issued
                | OrderStatus::Failed
                | OrderStatus::Cancelled
                | OrderStatus::Expired
        )
    }

    /// Whether `self → next` is allowed.
    ///
    /// Forward steps may be skipped, because a lost callback means railgate
    /// can first learn of an order when it is already further along (the
    /// reconciler sees Pending, then Issued). Nothing moves backwards, and
    /// a final status never changes. Staying in the same status is not a
    /// transition (callers treat it as a no-op, e.g. a duplicate callback).
    pub const fn can_become(self, next: OrderStatus) -> bool {
        use OrderStatus::*;
        match self {
            // A grab order is recorded Pending before the provider accepts it.
            Pending => matches!(
                next,
                Grabbing | Held | Issuing | Issued | Failed | Cancelled | Expired | Unknown
            ),
            Grabbing => matches!(
                next,
                Issuing | Issued | Failed | Cancelled | Expired | Unknown
            ),
            Held => matches!(
                next,
                Issuing | Issued | Failed | Cancelled | Expired | Unknown
            ),
            Issuing => matches!(next, Issued | Failed | Unknown),
            // Asking the provider resolves Unknown to whatever it reports.
            Unknown => !matches!(next, Unknown),
            Issued | Failed | Cancelled | Expired => false,
        }
    }

    /// `Ok` if `self → next` is allowed, otherwise the refused transition.
    pub fn check_transition(self, next: OrderStatus) -> Result<(), TransitionError> {
        if self.can_become(next) {
            Ok(())
        } else {
            Err(TransitionError {
                from: self,
                to: next,
            })
        }
    }

    /// Stable lowercase name, used in storage and logs.
    pub const fn as_str(self) -> &'static str {
        match self {
            OrderStatus::Pending => "pending",
            OrderStatus::Grabbing => "grabbing",
            OrderStatus::Held => "held",
            OrderStatus::Issuing => "issuing",
            OrderStatus::Issued => "issued",
            OrderStatus::Failed => "failed",
            OrderStatus::Cancelled => "cancelled",
            OrderStatus::Expired => "expired",
            OrderStatus::Unknown => "unknown",
        }
    }

    /// Parses [`OrderStatus::as_str`].
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|status| status.as_str() == name)
    }
}

impl fmt::Display for OrderStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A status change the state machine refuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("an order cannot go from {from} to {to}")]
pub struct TransitionError {
    /// Current status.
    pub from: OrderStatus,
    /// Refused next status.
    pub to: OrderStatus,
}

/// Status of one passenger's ticket. Mirrors Panhe's ticket statuses
/// (占位中=1 … 改签已取消=37) one to one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TicketStatus {
    /// 占位中.
    Pending,
    /// 占位成功.
    Held,
    /// 占位失败.
    HoldFailed,
    /// 已取消.
    Cancelled,
    /// 出票中.
    Issuing,
    /// 出票成功.
    Issued,
    /// 出票失败.
    IssueFailed,
    /// 退票中.
    Refunding,
    /// 退票成功.
    Refunded,
    /// 退票失败.
    RefundFailed,
    /// 已退票未退款.
    RefundedAwaitingMoney,
    /// 改签占位中.
    Changing,
    /// 改签占位成功.
    ChangeHeld,
    /// 改签占位失败.
    ChangeHoldFailed,
    /// 改签确认出票中.
    ChangeIssuing,
    /// 改签确认出票成功.
    Changed,
    /// 改签确认出票失败.
    ChangeIssueFailed,
    /// 改签已取消.
    ChangeCancelled,
}

impl TicketStatus {
    /// Every status, for exhaustive tests.
    pub const ALL: [TicketStatus; 18] = [
        TicketStatus::Pending,
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

    /// Whether a refund may be applied for. Panhe allows it for an issued
    /// ticket, after a failed refund, and after a change that did not go
    /// through; a changed ticket is refunded as its new ticket.
    pub const fn can_refund(self) -> bool {
        matches!(
            self,
            TicketStatus::Issued
                | TicketStatus::RefundFailed
                | TicketStatus::ChangeHoldFailed
                | TicketStatus::ChangeIssueFailed
                | TicketStatus::ChangeCancelled
                | TicketStatus::Changed
        )
    }

    /// Whether a change may be applied for. One successful change per
    /// ticket: a changed ticket cannot change again.
    pub const fn can_change(self) -> bool {
        matches!(
            self,
            TicketStatus::Issued
                | TicketStatus::RefundFailed
                | TicketStatus::ChangeHoldFailed
                | TicketStatus::ChangeIssueFailed
                | TicketStatus::ChangeCancelled
        )
    }
}

/// Status of a change order (改签单).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ChangeStatus {
    /// 改签占位中.
    Pending,
    /// 改签占位成功: confirm before the deadline.
    Held,
    /// 改签占位失败.
    HoldFailed,
    /// 改签确认出票中.
    Issuing,
    /// 改签确认出票成功.
    Issued,
    /// 改签确认出票失败.
    IssueFailed,
    /// 改签已取消.
    Cancelled,
}

impl ChangeStatus {
    /// Every status, for exhaustive tests.
    pub const ALL: [ChangeStatus; 7] = [
        ChangeStatus::Pending,
        ChangeStatus::Held,
        ChangeStatus::HoldFailed,
        ChangeStatus::Issuing,
        ChangeStatus::Issued,
        ChangeStatus::IssueFailed,
        ChangeStatus::Cancelled,
    ];

    /// Whether nothing more can happen to the change.
    pub const fn is_final(self) -> bool {
        matches!(
            self,
            ChangeStatus::HoldFailed
                | ChangeStatus::Issued
                | ChangeStatus::IssueFailed
                | ChangeStatus::Cancelled
        )
    }

    /// Whether `self → next` is allowed (forward only; skips allowed).
    pub const fn can_become(self, next: ChangeStatus) -> bool {
        use ChangeStatus::*;
        match self {
            Pending => matches!(
                next,
                Held | HoldFailed | Issuing | Issued | IssueFailed | Cancelled
            ),
            Held => matches!(next, Issuing | Issued | IssueFailed | Cancelled),
            Issuing => matches!(next, Issued | IssueFailed),
            HoldFailed | Issued | IssueFailed | Cancelled => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::OrderStatus::*;
    use super::*;

    /// Every allowed order transition, spelled out. Anything not listed is
    /// refused; the test walks all 81 pairs.
    const ALLOWED: &[(OrderStatus, &[OrderStatus])] = &[
        (
            Pending,
            &[
                Grabbing, Held, Issuing, Issued, Failed, Cancelled, Expired, Unknown,
            ],
        ),
        (
            Grabbing,
            &[Issuing, Issued, Failed, Cancelled, Expired, Unknown],
        ),
        (
            Held,
            &[Issuing, Issued, Failed, Cancelled, Expired, Unknown],
        ),
        (Issuing, &[Issued, Failed, Unknown]),
        (Issued, &[]),
        (Failed, &[]),
        (Cancelled, &[]),
        (Expired, &[]),
        (
            Unknown,
            &[
                Pending, Grabbing, Held, Issuing, Issued, Failed, Cancelled, Expired,
            ],
        ),
    ];

    #[test]
    fn order_transitions_match_the_table() {
        assert_eq!(ALLOWED.len(), OrderStatus::ALL.len());
        for (from, allowed) in ALLOWED {
            for to in OrderStatus::ALL {
                let expected = allowed.contains(&to);
                assert_eq!(from.can_become(to), expected, "{from} → {to}");
                assert_eq!(from.check_transition(to).is_ok(), expected, "{from} → {to}");
            }
        }
    }

    #[test]
    fn refusals_name_both_ends() {
        let error = Issued.check_transition(Pending).unwrap_err();
        assert_eq!(
            error,
            TransitionError {
                from: Issued,
                to: Pending
            }
        );
        assert_eq!(
            error.to_string(),
            "an order cannot go from issued to pending"
        );
    }

    #[test]
    fn final_statuses_have_no_way_out() {
        for status in OrderStatus::ALL {
            let exits = OrderStatus::ALL
                .iter()
                .filter(|next| status.can_become(**next))
                .count();
            assert_eq!(status.is_final(), exits == 0, "{status}");
        }
    }

    #[test]
    fn nothing_moves_to_itself() {
        for status in OrderStatus::ALL {
            assert!(!status.can_become(status), "{status}");
        }
        for status in ChangeStatus::ALL {
            assert!(!status.can_become(status), "{status:?}");
        }
    }

    #[test]
    fn names_round_trip() {
        for status in OrderStatus::ALL {
            assert_eq!(OrderStatus::from_name(status.as_str()), Some(status));
        }
        assert_eq!(OrderStatus::from_name("paid"), None);
    }

    #[test]
    fn change_transitions_are_forward_only() {
        use ChangeStatus as C;
        let allowed: &[(ChangeStatus, &[ChangeStatus])] = &[
            (
                C::Pending,
                &[
                    C::Held,
                    C::HoldFailed,
                    C::Issuing,
                    C::Issued,
                    C::IssueFailed,
                    C::Cancelled,
                ],
            ),
            (
                C::Held,
                &[C::Issuing, C::Issued, C::IssueFailed, C::Cancelled],
            ),
            (C::Issuing, &[C::Issued, C::IssueFailed]),
            (C::HoldFailed, &[]),
            (C::Issued, &[]),
            (C::IssueFailed, &[]),
            (C::Cancelled, &[]),
        ];
        for (from, to_list) in allowed {
            for to in ChangeStatus::ALL {
                assert_eq!(
                    from.can_become(to),
                    to_list.contains(&to),
                    "{from:?} → {to:?}"
                );
            }
            assert_eq!(from.is_final(), to_list.is_empty(), "{from:?}");
        }
    }

    #[test]
    fn refund_and_change_eligibility_follow_panhe() {
        use TicketStatus as T;
        let refundable = [
            T::Issued,
            T::RefundFailed,
            T::ChangeHoldFailed,
            T::ChangeIssueFailed,
            T::ChangeCancelled,
            T::Changed,
        ];
        let changeable = [
            T::Issued,
            T::RefundFailed,
            T::ChangeHoldFailed,
            T::ChangeIssueFailed,
            T::ChangeCancelled,
        ];
        for status in TicketStatus::ALL {
            assert_eq!(
                status.can_refund(),
                refundable.contains(&status),
                "{status:?}"
            );
            assert_eq!(
                status.can_change(),
                changeable.contains(&status),
                "{status:?}"
            );
        }
    }
}
