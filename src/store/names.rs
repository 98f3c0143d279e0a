//! Stable storage names for the domain enums that have none of their own.
//! Exhaustive matches: a new variant does not compile until it has a name.
//! Names are forever: renaming one needs a migration.

use crate::domain::{
    Berth, ChangeOrigin, ChangeRefundKind, ChangeStatus, PriceChange, SeatClass, TicketStatus,
};

/// Storage name of a seat class.
pub(crate) const fn seat_class(value: SeatClass) -> &'static str {
    match value {
        SeatClass::Business => "business",
        SeatClass::Premium => "premium",
        SeatClass::First => "first",
        SeatClass::Second => "second",
        SeatClass::DeluxeSoftSleeper => "deluxe_soft_sleeper",
        SeatClass::SoftSleeper => "soft_sleeper",
        SeatClass::EmuSleeper => "emu_sleeper",
        SeatClass::HardSleeper => "hard_sleeper",
        SeatClass::SoftSeat => "soft_seat",
        SeatClass::HardSeat => "hard_seat",
        SeatClass::FirstClassSleeper => "first_class_sleeper",
        SeatClass::SecondClassSleeper => "second_class_sleeper",
        SeatClass::DeluxeEmuSleeper => "deluxe_emu_sleeper",
        SeatClass::FirstSoftSeat => "first_soft_seat",
        SeatClass::SecondSoftSeat => "second_soft_seat",
        SeatClass::PremiumSoftSeat => "premium_soft_seat",
        SeatClass::CompartmentHardSleeper => "compartment_hard_sleeper",
        SeatClass::PrivateSoftCompartment => "private_soft_compartment",
        SeatClass::MultiFunction => "multi_function",
        SeatClass::NoSeat => "no_seat",
        SeatClass::Other => "other",
    }
}

/// Parses [`seat_class`].
pub(crate) fn parse_seat_class(name: &str) -> Option<SeatClass> {
    SeatClass::ALL
        .into_iter()
        .find(|value| seat_class(*value) == name)
}

/// Storage name of a berth.
pub(crate) const fn berth(value: Berth) -> &'static str {
    match value {
        Berth::Lower => "lower",
        Berth::Middle => "middle",
        Berth::Upper => "upper",
    }
}

/// Parses [`berth`].
pub(crate) fn parse_berth(name: &str) -> Option<Berth> {
    Berth::ALL.into_iter().find(|value| berth(*value) == name)
}

/// Storage name of a ticket status.
pub(crate) const fn ticket_status(value: TicketStatus) -> &'static str {
    match value {
        TicketStatus::Pending => "pending",
        TicketStatus::Held => "held",
        TicketStatus::HoldFailed => "hold_failed",
        TicketStatus::Cancelled => "cancelled",
        TicketStatus::Issuing => "issuing",
        TicketStatus::Issued => "issued",
        TicketStatus::IssueFailed => "issue_failed",
        TicketStatus::Refunding => "refunding",
        TicketStatus::Refunded => "refunded",
        TicketStatus::RefundFailed => "refund_failed",
        TicketStatus::RefundedAwaitingMoney => "refunded_awaiting_money",
        TicketStatus::Changing => "changing",
        TicketStatus::ChangeHeld => "change_held",
        TicketStatus::ChangeHoldFailed => "change_hold_failed",
        TicketStatus::ChangeIssuing => "change_issuing",
        TicketStatus::Changed => "changed",
        TicketStatus::ChangeIssueFailed => "change_issue_failed",
        TicketStatus::ChangeCancelled => "change_cancelled",
    }
}

/// Parses [`ticket_status`].
pub(crate) fn parse_ticket_status(name: &str) -> Option<TicketStatus> {
    TicketStatus::ALL
        .into_iter()
        .find(|value| ticket_status(*value) == name)
}

/// Storage name of a change order status.
pub(crate) const fn change_status(value: ChangeStatus) -> &'static str {
    match value {
        ChangeStatus::Pending => "pending",
        ChangeStatus::Held => "held",
        ChangeStatus::HoldFailed => "hold_failed",
        ChangeStatus::Issuing => "issuing",
        ChangeStatus::Issued => "issued",
        ChangeStatus::IssueFailed => "issue_failed",
        ChangeStatus::Cancelled => "cancelled",
    }
}

/// Parses [`change_status`].
pub(crate) fn parse_change_status(name: &str) -> Option<ChangeStatus> {
    ChangeStatus::ALL
        .into_iter()
        .find(|value| change_status(*value) == name)
}

/// Storage name of a price change.
pub(crate) const fn price_change(value: PriceChange) -> &'static str {
    match value {
        PriceChange::Undetermined => "undetermined",
        PriceChange::Higher => "higher",
        PriceChange::Equal => "equal",
        PriceChange::Lower => "lower",
    }
}

/// Parses [`price_change`].
pub(crate) fn parse_price_change(name: &str) -> Option<PriceChange> {
    PriceChange::ALL
        .into_iter()
        .find(|value| price_change(*value) == name)
}

/// Storage name of a change refund kind.
pub(crate) const fn change_refund_kind(value: ChangeRefundKind) -> &'static str {
    match value {
        ChangeRefundKind::FailedChangePayment => "failed_change_payment",
        ChangeRefundKind::LowerFareDifference => "lower_fare_difference",
        ChangeRefundKind::HigherOriginalFare => "higher_original_fare",
    }
}

/// Parses [`change_refund_kind`].
pub(crate) fn parse_change_refund_kind(name: &str) -> Option<ChangeRefundKind> {
    ChangeRefundKind::ALL
        .into_iter()
        .find(|value| change_refund_kind(*value) == name)
}

/// Storage name of a change's origin.
pub(crate) const fn change_origin(value: ChangeOrigin) -> &'static str {
    match value {
        ChangeOrigin::Railgate => "railgate",
        ChangeOrigin::Provider => "provider",
    }
}

/// Parses [`change_origin`].
pub(crate) fn parse_change_origin(name: &str) -> Option<ChangeOrigin> {
    [ChangeOrigin::Railgate, ChangeOrigin::Provider]
        .into_iter()
        .find(|value| change_origin(*value) == name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn every_name_is_unique_and_parses_back() {
        let seat: HashSet<_> = SeatClass::ALL.iter().map(|v| seat_class(*v)).collect();
        assert_eq!(seat.len(), SeatClass::ALL.len());
        for value in SeatClass::ALL {
            assert_eq!(parse_seat_class(seat_class(value)), Some(value));
        }
        for value in Berth::ALL {
            assert_eq!(parse_berth(berth(value)), Some(value));
        }
        let ticket: HashSet<_> = TicketStatus::ALL
            .iter()
            .map(|v| ticket_status(*v))
            .collect();
        assert_eq!(ticket.len(), TicketStatus::ALL.len());
        for value in TicketStatus::ALL {
            assert_eq!(parse_ticket_status(ticket_status(value)), Some(value));
        }
        for value in ChangeStatus::ALL {
            assert_eq!(parse_change_status(change_status(value)), Some(value));
        }
        for value in PriceChange::ALL {
            assert_eq!(parse_price_change(price_change(value)), Some(value));
        }
        for value in ChangeRefundKind::ALL {
            assert_eq!(
                parse_change_refund_kind(change_refund_kind(value)),
                Some(value)
            );
        }
        for value in [ChangeOrigin::Railgate, ChangeOrigin::Provider] {
            assert_eq!(parse_change_origin(change_origin(value)), Some(value));
        }
        assert_eq!(parse_seat_class("deluxe"), None);
    }
}
