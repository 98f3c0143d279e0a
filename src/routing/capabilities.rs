//! What each provider's API can do, in one table. Routing picks providers
//! by capability; the order flows refuse what an order's provider cannot
//! do (FAILED_PRECONDITION, reason `CAPABILITY_UNSUPPORTED`) before any
//! call is made.

use crate::domain::ProviderId;
use std::fmt;

/// One thing a provider may or may not support.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Capability {
    /// Trains with fares and availability.
    Search,
    /// A train's stop list.
    Stops,
    /// Book one train now: hold seats, then pay (Confirm).
    DirectBooking,
    /// Grab orders (抢票): keep trying several trains until a deadline.
    GrabOrders,
    /// A separate pay/issue step after the seats are held.
    ConfirmStep,
    /// Cancel an order before it is issued.
    Cancel,
    /// Refund an issued ticket.
    Refund,
    /// Change (改签) an issued ticket to another train.
    Change,
    /// Choose seats (`1A`) when booking.
    SeatChoice,
    /// Choose berths when booking a sleeper.
    BerthChoice,
    /// Book with the passenger's own 12306 account.
    TrainAccounts,
    /// Register, check and recover 12306 accounts and manage their
    /// frequent passengers (AccountService).
    AccountManagement,
}

impl Capability {
    /// Every capability, for exhaustive tests and docs.
    pub const ALL: [Capability; 12] = [
        Capability::Search,
        Capability::Stops,
        Capability::DirectBooking,
        Capability::GrabOrders,
        Capability::ConfirmStep,
        Capability::Cancel,
        Capability::Refund,
        Capability::Change,
        Capability::SeatChoice,
        Capability::BerthChoice,
        Capability::TrainAccounts,
        Capability::AccountManagement,
    ];

    /// How errors and docs name it.
    pub const fn as_str(self) -> &'static str {
        match self {
            Capability::Search => "search",
            Capability::Stops => "stop stations",
            Capability::DirectBooking => "direct booking",
            Capability::GrabOrders => "grab orders",
            Capability::ConfirmStep => "a confirm (pay) step",
            Capability::Cancel => "cancel",
            Capability::Refund => "refund",
            Capability::Change => "change (改签)",
            Capability::SeatChoice => "seat choice",
            Capability::BerthChoice => "berth choice",
            Capability::TrainAccounts => "12306 accounts",
            Capability::AccountManagement => "12306 account management",
        }
    }
}

impl fmt::Display for Capability {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.as_str())
    }
}

/// Whether `provider`'s API supports `capability` (seeds 001 and 002).
pub const fn supports(provider: ProviderId, capability: Capability) -> bool {
    use Capability::*;
    match provider {
        // Panhe (seed 002): hold-then-pay booking of one train with seat
        // and berth choice, refund and change, 12306 account management;
        // no grab orders.
        ProviderId::Panhe => !matches!(capability, GrabOrders),
        // Juhe (seed 001): grab orders only, issued by Juhe itself (no
        // confirm step), cancel while grabbing, refund after issue; berths
        // through its seat codes (hardsleeperup...); no change, no stop
        // list, no seat choice, no account management (it books with an
        // account, or its own).
        ProviderId::Juhe => matches!(
            capability,
            Search | GrabOrders | Cancel | Refund | BerthChoice | TrainAccounts
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The whole table, written out: a change to it is a visible decision.
    #[test]
    fn table() {
        let expected_panhe = [
            true, true, true, false, true, true, true, true, true, true, true, true,
        ];
        let expected_juhe = [
            true, false, false, true, false, true, true, false, false, true, true, false,
        ];
        for (index, capability) in Capability::ALL.into_iter().enumerate() {
            assert_eq!(
                supports(ProviderId::Panhe, capability),
                expected_panhe[index],
                "panhe {capability}"
            );
            assert_eq!(
                supports(ProviderId::Juhe, capability),
                expected_juhe[index],
                "juhe {capability}"
            );
        }
    }

    #[test]
    fn every_booking_capability_has_some_provider() {
        for capability in Capability::ALL {
            assert!(
                ProviderId::ALL
                    .into_iter()
                    .any(|provider| supports(provider, capability)),
                "{capability}"
            );
        }
    }
}
