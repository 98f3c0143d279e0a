//! alitrip's code tables ⇄ the neutral model, for the book callback.
//!
//! Seed 003 prints only some tables: `ticket_type` (0 儿童, 1 成人, 2 学生)
//! and the `*_flag`s (0 允许, 1 不允许). The rest are "枚举值提供" — supplied
//! by alitrip at onboarding, not in the document. Until that table arrives,
//! railgate uses the tables below, chosen to agree with every example the
//! seed gives; each is one exhaustive `match`, so swapping in alitrip's
//! real codes is a change to this file only:
//! - `seat_type`: 12306's own seat codes. The seed's example pairs
//!   seat_type `1` with seat_name `硬座`, which is 12306's code for 硬座.
//!   Classes without a well-established 12306 code are sent as
//!   [`OTHER_SEAT_CODE`] with their exact name in `seat_name`.
//! - `passenger_id_type`: 0-based; the seed's example pairs type `0` with an
//!   18-digit resident ID number.
//! - `sex`: 0 男, 1 女, as alitrip's sibling refund callback
//!   (`alitrip.btrip.supplychain.train.callback.refund`) prints it.
//! - `order_status` / `ticket_status`: the seed's example is `11` for both,
//!   and the refund callback's example ticket status is `31`: booking
//!   outcomes are the 1x codes, `11` issued and `12` failed.
//!
//! Mapping is one way (neutral → alitrip) for sending; the `from_code`
//! functions exist for the fake endpoint and the round-trip tests.

use crate::domain::{IdType, OrderStatus, PassengerType, SeatClass, Sex, TicketStatus};

/// A neutral value the book callback cannot say.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{field} cannot express {value}")]
pub struct Unrepresentable {
    /// The callback field.
    pub field: &'static str,
    /// The neutral value's stable name.
    pub value: &'static str,
}

/// The booking outcome of a whole order (`order_status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BookOrderStatus {
    /// 出票成功.
    Issued,
    /// 出票失败 (also: cancelled or expired before issuing).
    Failed,
}

impl BookOrderStatus {
    /// Every value.
    pub const ALL: [BookOrderStatus; 2] = [BookOrderStatus::Issued, BookOrderStatus::Failed];

    /// The wire code.
    pub const fn code(self) -> &'static str {
        match self {
            BookOrderStatus::Issued => "11",
            BookOrderStatus::Failed => "12",
        }
    }

    /// Parses a wire code.
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|status| status.code() == code)
    }

    /// The outcome a final order reports. A non-final order has no booking
    /// outcome yet and is refused.
    pub fn from_domain(status: OrderStatus) -> Result<Self, Unrepresentable> {
        match status {
            OrderStatus::Issued => Ok(BookOrderStatus::Issued),
            OrderStatus::Failed | OrderStatus::Cancelled | OrderStatus::Expired => {
                Ok(BookOrderStatus::Failed)
            }
            OrderStatus::Pending
            | OrderStatus::Grabbing
            | OrderStatus::Held
            | OrderStatus::Issuing
            | OrderStatus::Unknown => Err(Unrepresentable {
                field: "order_status",
                value: status.as_str(),
            }),
        }
    }
}

/// The booking outcome of one ticket (`ticket_status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BookTicketStatus {
    /// 出票成功.
    Issued,
    /// 出票失败.
    Failed,
}

impl BookTicketStatus {
    /// Every value.
    pub const ALL: [BookTicketStatus; 2] = [BookTicketStatus::Issued, BookTicketStatus::Failed];

    /// The wire code.
    pub const fn code(self) -> &'static str {
        match self {
            BookTicketStatus::Issued => "11",
            BookTicketStatus::Failed => "12",
        }
    }

    /// Parses a wire code.
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|status| status.code() == code)
    }

    /// The booking outcome of a ticket. A ticket that was refunded or
    /// changed since was issued: its booking outcome stays "issued" (refunds
    /// and changes have their own alitrip callbacks). A ticket still being
    /// held or issued has no outcome yet and is refused.
    pub fn from_domain(status: TicketStatus) -> Result<Self, Unrepresentable> {
        use TicketStatus as T;
        match status {
            T::Issued
            | T::Refunding
            | T::Refunded
            | T::RefundFailed
            | T::RefundedAwaitingMoney
            | T::Changing
            | T::ChangeHeld
            | T::ChangeHoldFailed
            | T::ChangeIssuing
            | T::Changed
            | T::ChangeIssueFailed
            | T::ChangeCancelled => Ok(BookTicketStatus::Issued),
            T::HoldFailed | T::IssueFailed | T::Cancelled => Ok(BookTicketStatus::Failed),
            T::Pending => Err(unrepresentable_ticket("pending")),
            T::Held => Err(unrepresentable_ticket("held")),
            T::Issuing => Err(unrepresentable_ticket("issuing")),
        }
    }
}

const fn unrepresentable_ticket(value: &'static str) -> Unrepresentable {
    Unrepresentable {
        field: "ticket_status",
        value,
    }
}

/// The `seat_type` sent for classes without an established 12306 code.
pub const OTHER_SEAT_CODE: &str = "QT";

/// Seat class → (`seat_type`, `seat_name`).
pub const fn seat(class: SeatClass) -> (&'static str, &'static str) {
    match class {
        SeatClass::Business => ("9", "商务座"),
        SeatClass::Premium => ("P", "特等座"),
        SeatClass::First => ("M", "一等座"),
        SeatClass::Second => ("O", "二等座"),
        SeatClass::DeluxeSoftSleeper => ("6", "高级软卧"),
        SeatClass::SoftSleeper => ("4", "软卧"),
        SeatClass::EmuSleeper => ("F", "动卧"),
        SeatClass::HardSleeper => ("3", "硬卧"),
        SeatClass::SoftSeat => ("2", "软座"),
        SeatClass::HardSeat => ("1", "硬座"),
        SeatClass::FirstClassSleeper => ("I", "一等卧"),
        SeatClass::SecondClassSleeper => ("J", "二等卧"),
        SeatClass::DeluxeEmuSleeper => ("A", "高级动卧"),
        SeatClass::FirstSoftSeat => ("7", "一等软座"),
        SeatClass::SecondSoftSeat => ("8", "二等软座"),
        SeatClass::NoSeat => ("W", "无座"),
        SeatClass::PremiumSoftSeat => (OTHER_SEAT_CODE, "特等软座"),
        SeatClass::CompartmentHardSleeper => (OTHER_SEAT_CODE, "包厢硬卧"),
        SeatClass::PrivateSoftCompartment => (OTHER_SEAT_CODE, "一人软包"),
        SeatClass::MultiFunction => (OTHER_SEAT_CODE, "多功能座"),
        SeatClass::Other => (OTHER_SEAT_CODE, "其他"),
    }
}

/// `seat_type` + `seat_name` → seat class. The name decides among the
/// classes that share [`OTHER_SEAT_CODE`].
pub fn seat_from_codes(code: &str, name: &str) -> Option<SeatClass> {
    SeatClass::ALL
        .into_iter()
        .find(|class| seat(*class) == (code, name))
}

/// Document type → `passenger_id_type`.
pub const fn id_type(id_type: IdType) -> &'static str {
    match id_type {
        IdType::ResidentIdCard => "0",
        IdType::Passport => "1",
        IdType::HkMacaoTravelPermit => "2",
        IdType::TaiwanTravelPermit => "3",
        IdType::ForeignPermanentResidentId => "4",
        IdType::HkMacaoTaiwanResidencePermit => "5",
    }
}

/// `passenger_id_type` → document type.
pub fn id_type_from_code(code: &str) -> Option<IdType> {
    IdType::ALL
        .iter()
        .copied()
        .find(|value| id_type(*value) == code)
}

/// Sex → `sex`.
pub const fn sex(sex: Sex) -> &'static str {
    match sex {
        Sex::Male => "0",
        Sex::Female => "1",
    }
}

/// `sex` → sex.
pub fn sex_from_code(code: &str) -> Option<Sex> {
    Sex::ALL.iter().copied().find(|value| sex(*value) == code)
}

/// Fare type → `ticket_type` (seed: 0 儿童票, 1 成人票, 2 学生票). The seed
/// has no code for 残军票.
pub const fn ticket_type(passenger_type: PassengerType) -> Result<&'static str, Unrepresentable> {
    match passenger_type {
        PassengerType::Child => Ok("0"),
        PassengerType::Adult => Ok("1"),
        PassengerType::Student => Ok("2"),
        PassengerType::DisabledMilitary => Err(Unrepresentable {
            field: "ticket_type",
            value: "disabled_military",
        }),
    }
}

/// `ticket_type` → fare type.
pub fn ticket_type_from_code(code: &str) -> Option<PassengerType> {
    PassengerType::ALL
        .iter()
        .copied()
        .find(|value| ticket_type(*value) == Ok(code))
}

/// `resign_flag`, `refund_flag`, `change_flag`: note that `0` means
/// allowed (seed: 0:允许, 1:不允许).
pub const fn flag(allowed: bool) -> &'static str {
    if allowed { "0" } else { "1" }
}

/// Parses a flag: `Some(true)` when allowed.
pub fn flag_from_code(code: &str) -> Option<bool> {
    match code {
        "0" => Some(true),
        "1" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn order_status_table() {
        use OrderStatus::*;
        let expected: [(OrderStatus, Option<BookOrderStatus>); 9] = [
            (Pending, None),
            (Grabbing, None),
            (Held, None),
            (Issuing, None),
            (Issued, Some(BookOrderStatus::Issued)),
            (Failed, Some(BookOrderStatus::Failed)),
            (Cancelled, Some(BookOrderStatus::Failed)),
            (Expired, Some(BookOrderStatus::Failed)),
            (Unknown, None),
        ];
        assert_eq!(expected.len(), OrderStatus::ALL.len());
        for (status, outcome) in expected {
            let mapped = BookOrderStatus::from_domain(status);
            assert_eq!(mapped.ok(), outcome, "{status}");
            if let Err(error) = mapped {
                assert_eq!(error.field, "order_status");
                assert_eq!(error.value, status.as_str());
            }
        }
        for status in BookOrderStatus::ALL {
            assert_eq!(BookOrderStatus::from_code(status.code()), Some(status));
        }
        assert_eq!(BookOrderStatus::Issued.code(), "11", "seed example");
        assert_eq!(BookOrderStatus::from_code("31"), None);
    }

    #[test]
    fn ticket_status_table() {
        use TicketStatus as T;
        let issued = BookTicketStatus::Issued;
        let failed = BookTicketStatus::Failed;
        let expected: [(TicketStatus, Option<BookTicketStatus>); 18] = [
            (T::Pending, None),
            (T::Held, None),
            (T::HoldFailed, Some(failed)),
            (T::Cancelled, Some(failed)),
            (T::Issuing, None),
            (T::Issued, Some(issued)),
            (T::IssueFailed, Some(failed)),
            (T::Refunding, Some(issued)),
            (T::Refunded, Some(issued)),
            (T::RefundFailed, Some(issued)),
            (T::RefundedAwaitingMoney, Some(issued)),
            (T::Changing, Some(issued)),
            (T::ChangeHeld, Some(issued)),
            (T::ChangeHoldFailed, Some(issued)),
            (T::ChangeIssuing, Some(issued)),
            (T::Changed, Some(issued)),
            (T::ChangeIssueFailed, Some(issued)),
            (T::ChangeCancelled, Some(issued)),
        ];
        assert_eq!(expected.len(), TicketStatus::ALL.len());
        for (status, outcome) in expected {
            assert_eq!(
                BookTicketStatus::from_domain(status).ok(),
                outcome,
                "{status:?}"
            );
        }
        for status in BookTicketStatus::ALL {
            assert_eq!(BookTicketStatus::from_code(status.code()), Some(status));
        }
    }

    #[test]
    fn every_seat_class_has_a_code_and_its_own_name() {
        let mut names = HashSet::new();
        let mut codes = HashSet::new();
        for class in SeatClass::ALL {
            let (code, name) = seat(class);
            assert!(!code.is_empty() && !name.is_empty(), "{class:?}");
            assert!(names.insert(name), "duplicate seat name {name}");
            // A code is shared only by the classes sent as "other".
            assert!(
                codes.insert(code) || code == OTHER_SEAT_CODE,
                "duplicate {code}"
            );
            assert_eq!(seat_from_codes(code, name), Some(class));
        }
        assert_eq!(seat(SeatClass::HardSeat), ("1", "硬座"), "seed example");
        assert_eq!(seat_from_codes("1", "二等座"), None);
        assert_eq!(seat_from_codes("Z", "硬座"), None);
    }

    #[test]
    fn id_types_round_trip() {
        let mut codes = HashSet::new();
        for value in IdType::ALL {
            let code = id_type(*value);
            assert!(codes.insert(code), "duplicate {code}");
            assert_eq!(id_type_from_code(code), Some(*value));
        }
        assert_eq!(id_type(IdType::ResidentIdCard), "0", "seed example");
        assert_eq!(id_type_from_code("9"), None);
    }

    #[test]
    fn sexes_round_trip() {
        assert_eq!(sex(Sex::Male), "0");
        assert_eq!(sex(Sex::Female), "1");
        for value in Sex::ALL {
            assert_eq!(sex_from_code(sex(*value)), Some(*value));
        }
        assert_eq!(sex_from_code("2"), None);
    }

    #[test]
    fn ticket_types_follow_the_seed() {
        assert_eq!(ticket_type(PassengerType::Child), Ok("0"));
        assert_eq!(ticket_type(PassengerType::Adult), Ok("1"));
        assert_eq!(ticket_type(PassengerType::Student), Ok("2"));
        assert_eq!(
            ticket_type(PassengerType::DisabledMilitary),
            Err(Unrepresentable {
                field: "ticket_type",
                value: "disabled_military"
            })
        );
        for value in PassengerType::ALL {
            if let Ok(code) = ticket_type(*value) {
                assert_eq!(ticket_type_from_code(code), Some(*value));
            }
        }
        assert_eq!(ticket_type_from_code("3"), None);
    }

    #[test]
    fn flags_say_zero_for_allowed() {
        assert_eq!(flag(true), "0");
        assert_eq!(flag(false), "1");
        for allowed in [true, false] {
            assert_eq!(flag_from_code(flag(allowed)), Some(allowed));
        }
        assert_eq!(flag_from_code("2"), None);
    }
}
