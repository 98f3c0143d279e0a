//! Panhe's order, ticket and change status codes ⇄ the neutral state
//! machine. Exhaustive both ways; an undocumented code is `None`, which the
//! adapter reports as `UnknownCode`, never a guess.

use crate::domain::{ChangeRefundKind, ChangeStatus, OrderStatus, PriceChange, TicketStatus};

/// Order status (火车票订单状态) → neutral. Panhe's 已取消 (5) covers both
/// a caller's cancellation and the automatic cancel of an unpaid order; the
/// booking flow tells them apart by the pay deadline.
pub fn order_status_from_code(code: i32) -> Option<OrderStatus> {
    Some(match code {
        1 => OrderStatus::Pending,
        2 => OrderStatus::Held,
        3 => OrderStatus::Failed,
        5 => OrderStatus::Cancelled,
        7 => OrderStatus::Issuing,
        8 => OrderStatus::Issued,
        9 => OrderStatus::Failed,
        _ => return None,
    })
}

/// Ticket status (乘客客票状态) → neutral; one to one.
pub fn ticket_status_from_code(code: i32) -> Option<TicketStatus> {
    Some(match code {
        1 => TicketStatus::Pending,
        2 => TicketStatus::Held,
        3 => TicketStatus::HoldFailed,
        5 => TicketStatus::Cancelled,
        7 => TicketStatus::Issuing,
        8 => TicketStatus::Issued,
        9 => TicketStatus::IssueFailed,
        20 => TicketStatus::Refunding,
        21 => TicketStatus::Refunded,
        22 => TicketStatus::RefundFailed,
        23 => TicketStatus::RefundedAwaitingMoney,
        30 => TicketStatus::Changing,
        31 => TicketStatus::ChangeHeld,
        32 => TicketStatus::ChangeHoldFailed,
        33 => TicketStatus::ChangeIssuing,
        34 => TicketStatus::Changed,
        35 => TicketStatus::ChangeIssueFailed,
        37 => TicketStatus::ChangeCancelled,
        _ => return None,
    })
}

/// Neutral ticket status → Panhe's code.
pub fn ticket_status_to_code(status: TicketStatus) -> i32 {
    match status {
        TicketStatus::Pending => 1,
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

/// Change order status (改签单状态) → neutral.
pub fn change_status_from_code(code: i32) -> Option<ChangeStatus> {
    Some(match code {
        30 => ChangeStatus::Pending,
        31 => ChangeStatus::Held,
        32 => ChangeStatus::HoldFailed,
        33 => ChangeStatus::Issuing,
        34 => ChangeStatus::Issued,
        35 => ChangeStatus::IssueFailed,
        37 => ChangeStatus::Cancelled,
        _ => return None,
    })
}

/// Neutral change status → Panhe's code.
pub fn change_status_to_code(status: ChangeStatus) -> i32 {
    match status {
        ChangeStatus::Pending => 30,
        ChangeStatus::Held => 31,
        ChangeStatus::HoldFailed => 32,
        ChangeStatus::Issuing => 33,
        ChangeStatus::Issued => 34,
        ChangeStatus::IssueFailed => 35,
        ChangeStatus::Cancelled => 37,
    }
}

/// priceChangeType → neutral.
pub fn price_change_from_code(code: i32) -> Option<PriceChange> {
    Some(match code {
        0 => PriceChange::Undetermined,
        1 => PriceChange::Higher,
        2 => PriceChange::Equal,
        3 => PriceChange::Lower,
        _ => return None,
    })
}

/// chaRefundType (ChaOderRefundType) → neutral.
pub fn change_refund_kind_from_code(code: i32) -> Option<ChangeRefundKind> {
    Some(match code {
        1 => ChangeRefundKind::FailedChangePayment,
        2 => ChangeRefundKind::LowerFareDifference,
        3 => ChangeRefundKind::HigherOriginalFare,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const TICKET_CODES: [i32; 18] = [
        1, 2, 3, 5, 7, 8, 9, 20, 21, 22, 23, 30, 31, 32, 33, 34, 35, 37,
    ];
    const CHANGE_CODES: [i32; 7] = [30, 31, 32, 33, 34, 35, 37];

    #[test]
    fn ticket_statuses_round_trip_both_ways() {
        for code in TICKET_CODES {
            let status = ticket_status_from_code(code).unwrap_or_else(|| panic!("{code}"));
            assert_eq!(ticket_status_to_code(status), code);
        }
        for status in TicketStatus::ALL {
            assert_eq!(
                ticket_status_from_code(ticket_status_to_code(status)),
                Some(status)
            );
        }
        for code in (-1..=40).filter(|code| !TICKET_CODES.contains(code)) {
            assert_eq!(ticket_status_from_code(code), None, "{code}");
        }
    }

    #[test]
    fn change_statuses_round_trip_both_ways() {
        for code in CHANGE_CODES {
            let status = change_status_from_code(code).unwrap();
            assert_eq!(change_status_to_code(status), code);
        }
        for status in ChangeStatus::ALL {
            assert_eq!(
                change_status_from_code(change_status_to_code(status)),
                Some(status)
            );
        }
        assert_eq!(change_status_from_code(36), None);
        assert_eq!(change_status_from_code(8), None);
    }

    #[test]
    fn order_statuses_cover_the_table() {
        let table = [
            (1, OrderStatus::Pending),
            (2, OrderStatus::Held),
            (3, OrderStatus::Failed),
            (5, OrderStatus::Cancelled),
            (7, OrderStatus::Issuing),
            (8, OrderStatus::Issued),
            (9, OrderStatus::Failed),
        ];
        for (code, status) in table {
            assert_eq!(order_status_from_code(code), Some(status), "{code}");
        }
        for code in [0, 4, 6, 10, 20, 34] {
            assert_eq!(order_status_from_code(code), None, "{code}");
        }
    }

    #[test]
    fn price_change_types() {
        assert_eq!(price_change_from_code(0), Some(PriceChange::Undetermined));
        assert_eq!(price_change_from_code(1), Some(PriceChange::Higher));
        assert_eq!(price_change_from_code(2), Some(PriceChange::Equal));
        assert_eq!(price_change_from_code(3), Some(PriceChange::Lower));
        assert_eq!(price_change_from_code(4), None);
    }

    #[test]
    fn change_refund_types() {
        use ChangeRefundKind::*;
        assert_eq!(change_refund_kind_from_code(1), Some(FailedChangePayment));
        assert_eq!(change_refund_kind_from_code(2), Some(LowerFareDifference));
        assert_eq!(change_refund_kind_from_code(3), Some(HigherOriginalFare));
        assert_eq!(change_refund_kind_from_code(0), None);
        assert_eq!(change_refund_kind_from_code(4), None);
    }
}
