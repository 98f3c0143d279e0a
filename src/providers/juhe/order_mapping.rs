//! Juhe's order status and ticket state letters ⇄ the neutral state
//! machine. Exhaustive both ways; an undocumented letter is `None`, which
//! the adapter reports as `UnknownCode`, never a guess.

use crate::domain::{OrderStatus, TicketStatus};

/// orderStatus (订单详情 `status`, issued shape `orderStateCode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JuheOrderStatus {
    /// N 抢票单已创建.
    Created,
    /// B 未到开抢时间.
    WaitingToGrab,
    /// D 抢票中.
    Grabbing,
    /// F 抢票成功(出票成功): grab orders issue automatically.
    Issued,
    /// U 出票失败.
    IssueFailed,
    /// O 已过期: the deadline passed without tickets.
    Expired,
    /// C 已取消.
    Cancelled,
    /// T 已退票.
    Refunded,
    /// E 已改签.
    Changed,
}

impl JuheOrderStatus {
    /// Every status with its letter and the dictionary's name.
    pub const ALL: [(JuheOrderStatus, &'static str, &'static str); 9] = [
        (JuheOrderStatus::Created, "N", "抢票单已创建"),
        (JuheOrderStatus::WaitingToGrab, "B", "未到开抢时间"),
        (JuheOrderStatus::Grabbing, "D", "抢票中"),
        (JuheOrderStatus::Issued, "F", "抢票成功(出票成功)"),
        (JuheOrderStatus::IssueFailed, "U", "出票失败"),
        (JuheOrderStatus::Expired, "O", "已过期"),
        (JuheOrderStatus::Cancelled, "C", "已取消"),
        (JuheOrderStatus::Refunded, "T", "已退票"),
        (JuheOrderStatus::Changed, "E", "已改签"),
    ];

    /// Parses a letter.
    pub fn from_code(code: &str) -> Option<Self> {
        let code = code.trim();
        Self::ALL
            .iter()
            .find(|(_, letter, _)| *letter == code)
            .map(|(status, _, _)| *status)
    }

    /// The letter.
    pub const fn code(self) -> &'static str {
        match self {
            JuheOrderStatus::Created => "N",
            JuheOrderStatus::WaitingToGrab => "B",
            JuheOrderStatus::Grabbing => "D",
            JuheOrderStatus::Issued => "F",
            JuheOrderStatus::IssueFailed => "U",
            JuheOrderStatus::Expired => "O",
            JuheOrderStatus::Cancelled => "C",
            JuheOrderStatus::Refunded => "T",
            JuheOrderStatus::Changed => "E",
        }
    }

    /// The neutral order status. Created, waiting and grabbing are all
    /// Grabbing: Juhe has accepted the order and will try until the
    /// deadline. Refunded and changed orders were issued: the order stays
    /// Issued and the refund or change lives on its tickets, as for every
    /// provider.
    pub const fn to_neutral(self) -> OrderStatus {
        match self {
            JuheOrderStatus::Created
            | JuheOrderStatus::WaitingToGrab
            | JuheOrderStatus::Grabbing => OrderStatus::Grabbing,
            JuheOrderStatus::Issued | JuheOrderStatus::Refunded | JuheOrderStatus::Changed => {
                OrderStatus::Issued
            }
            JuheOrderStatus::IssueFailed => OrderStatus::Failed,
            JuheOrderStatus::Expired => OrderStatus::Expired,
            JuheOrderStatus::Cancelled => OrderStatus::Cancelled,
        }
    }

    /// Whether cancelOrder may be called: only while grabbing (a grab
    /// order that has tickets or has expired cannot be cancelled).
    pub const fn is_cancellable(self) -> bool {
        matches!(
            self,
            JuheOrderStatus::Created | JuheOrderStatus::WaitingToGrab | JuheOrderStatus::Grabbing
        )
    }
}

/// ticketStateCode (issued order detail, per passenger).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JuheTicketState {
    /// N 未出票.
    NotIssued,
    /// F 已出票.
    Issued,
    /// C 退票中.
    Refunding,
    /// T 已退票.
    Refunded,
    /// O 退票失败.
    RefundFailed,
    /// Y 改签中.
    Changing,
    /// G 已改签.
    Changed,
}

impl JuheTicketState {
    /// Every state with its letter and the dictionary's name.
    pub const ALL: [(JuheTicketState, &'static str, &'static str); 7] = [
        (JuheTicketState::NotIssued, "N", "未出票"),
        (JuheTicketState::Issued, "F", "已出票"),
        (JuheTicketState::Refunding, "C", "退票中"),
        (JuheTicketState::Refunded, "T", "已退票"),
        (JuheTicketState::RefundFailed, "O", "退票失败"),
        (JuheTicketState::Changing, "Y", "改签中"),
        (JuheTicketState::Changed, "G", "已改签"),
    ];

    /// Parses a letter.
    pub fn from_code(code: &str) -> Option<Self> {
        let code = code.trim();
        Self::ALL
            .iter()
            .find(|(_, letter, _)| *letter == code)
            .map(|(state, _, _)| *state)
    }

    /// The letter.
    pub const fn code(self) -> &'static str {
        match self {
            JuheTicketState::NotIssued => "N",
            JuheTicketState::Issued => "F",
            JuheTicketState::Refunding => "C",
            JuheTicketState::Refunded => "T",
            JuheTicketState::RefundFailed => "O",
            JuheTicketState::Changing => "Y",
            JuheTicketState::Changed => "G",
        }
    }

    /// The neutral ticket status. 未出票 is Pending: a grab order's ticket
    /// has no seat until the grab succeeds, and then it is issued at once.
    pub const fn to_neutral(self) -> TicketStatus {
        match self {
            JuheTicketState::NotIssued => TicketStatus::Pending,
            JuheTicketState::Issued => TicketStatus::Issued,
            JuheTicketState::Refunding => TicketStatus::Refunding,
            JuheTicketState::Refunded => TicketStatus::Refunded,
            JuheTicketState::RefundFailed => TicketStatus::RefundFailed,
            JuheTicketState::Changing => TicketStatus::Changing,
            JuheTicketState::Changed => TicketStatus::Changed,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::juhe::wire::{DataDictionary, Envelope};
    use std::collections::BTreeMap;

    fn dictionary() -> DataDictionary {
        let envelope: Envelope =
            serde_json::from_str(include_str!("testdata/data_dictionary.json")).unwrap();
        serde_json::from_value(envelope.result).unwrap()
    }

    #[test]
    fn order_statuses_are_the_dictionarys_and_round_trip() {
        let ours: BTreeMap<String, String> = JuheOrderStatus::ALL
            .iter()
            .map(|(_, letter, name)| (letter.to_string(), name.to_string()))
            .collect();
        assert_eq!(ours, dictionary().order_status.data);
        for (status, letter, _) in JuheOrderStatus::ALL {
            assert_eq!(status.code(), letter);
            assert_eq!(JuheOrderStatus::from_code(letter), Some(status));
        }
        for unknown in ["", "A", "f", "FF", "X"] {
            assert_eq!(JuheOrderStatus::from_code(unknown), None, "{unknown:?}");
        }
    }

    #[test]
    fn order_statuses_map_to_the_neutral_machine() {
        let expected = [
            ("N", OrderStatus::Grabbing),
            ("B", OrderStatus::Grabbing),
            ("D", OrderStatus::Grabbing),
            ("F", OrderStatus::Issued),
            ("U", OrderStatus::Failed),
            ("O", OrderStatus::Expired),
            ("C", OrderStatus::Cancelled),
            ("T", OrderStatus::Issued),
            ("E", OrderStatus::Issued),
        ];
        for (letter, neutral) in expected {
            let status = JuheOrderStatus::from_code(letter).unwrap();
            assert_eq!(status.to_neutral(), neutral, "{letter}");
        }
        assert_eq!(expected.len(), JuheOrderStatus::ALL.len());
    }

    #[test]
    fn a_grab_order_can_walk_every_path_juhe_reports() {
        // railgate records the order Pending, then learns Juhe's statuses.
        let paths = [
            ["N", "B", "D", "F"],
            ["N", "D", "D", "O"],
            ["N", "B", "D", "C"],
            ["N", "D", "U", "U"],
        ];
        for path in paths {
            let mut current = OrderStatus::Pending;
            for letter in path {
                let next = JuheOrderStatus::from_code(letter).unwrap().to_neutral();
                if next != current {
                    assert!(current.can_become(next), "{current} → {next} in {path:?}");
                    current = next;
                }
            }
        }
    }

    #[test]
    fn only_grabbing_orders_are_cancellable() {
        for (status, letter, _) in JuheOrderStatus::ALL {
            assert_eq!(
                status.is_cancellable(),
                status.to_neutral() == OrderStatus::Grabbing,
                "{letter}"
            );
        }
    }

    #[test]
    fn ticket_states_are_the_dictionarys_and_map_one_to_one() {
        let ours: BTreeMap<String, String> = JuheTicketState::ALL
            .iter()
            .map(|(_, letter, name)| (letter.to_string(), name.to_string()))
            .collect();
        assert_eq!(ours, dictionary().ticket_state_code.data);
        let expected = [
            ("N", TicketStatus::Pending),
            ("F", TicketStatus::Issued),
            ("C", TicketStatus::Refunding),
            ("T", TicketStatus::Refunded),
            ("O", TicketStatus::RefundFailed),
            ("Y", TicketStatus::Changing),
            ("G", TicketStatus::Changed),
        ];
        for (letter, neutral) in expected {
            let state = JuheTicketState::from_code(letter).unwrap();
            assert_eq!(state.code(), letter);
            assert_eq!(state.to_neutral(), neutral, "{letter}");
        }
        assert_eq!(expected.len(), JuheTicketState::ALL.len());
        assert_eq!(JuheTicketState::from_code("D"), None);
        assert_eq!(JuheTicketState::from_code(""), None);
    }

    #[test]
    fn refundable_tickets_follow_the_neutral_rules() {
        // Juhe refunds issued tickets and retries after a failed refund.
        for (state, letter, _) in JuheTicketState::ALL {
            let refundable = matches!(
                state,
                JuheTicketState::Issued | JuheTicketState::RefundFailed | JuheTicketState::Changed
            );
            assert_eq!(state.to_neutral().can_refund(), refundable, "{letter}");
        }
    }
}
