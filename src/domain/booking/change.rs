//! A change order (改签单): an application to move tickets to another
//! train, what the provider says it costs, and the ticket it replaced.

use super::{ChangeId, StationRef, TicketId};
use crate::domain::{ChangeStatus, Fen, SeatClass};
use chrono::{DateTime, NaiveDateTime, Utc};

/// A change-order status change the state machine refuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a change order cannot go from {from:?} to {to:?}")]
pub struct ChangeTransitionError {
    /// Current status.
    pub from: ChangeStatus,
    /// Refused next status.
    pub to: ChangeStatus,
}

/// An application to move tickets to another train (改签单).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeOrder {
    /// railgate's change id.
    pub id: ChangeId,
    /// The provider's change number (Panhe's `chaNo`), once it answered.
    pub provider_change_no: Option<String>,
    /// Status.
    pub status: ChangeStatus,
    /// The tickets being changed together.
    pub ticket_ids: Vec<TicketId>,
    /// New train code.
    pub train_code: String,
    /// New boarding station.
    pub from_station: StationRef,
    /// New alighting station.
    pub to_station: StationRef,
    /// New departure, Asia/Shanghai wall clock.
    pub departure: NaiveDateTime,
    /// New arrival, Asia/Shanghai wall clock.
    pub arrival: NaiveDateTime,
    /// New seat class.
    pub seat_class: SeatClass,
    /// New price minus old price (negative when cheaper).
    pub price_difference: Option<Fen>,
    /// Change fee.
    pub change_fee: Option<Fen>,
    /// Amount to pay on confirmation.
    pub need_to_pay: Option<Fen>,
    /// Amount refunded to the buyer.
    pub refund_amount: Option<Fen>,
    /// Confirm before this instant.
    pub confirm_deadline: Option<DateTime<Utc>>,
    /// Why the change did not complete (provider's words, masked).
    pub status_reason: Option<String>,
    /// When the change was applied for (by railgate, or for a change made
    /// elsewhere the provider's application time); oldest first.
    pub created_at: DateTime<Utc>,
    /// How the price change is settled, as the provider reports it.
    pub settlement: ChangeSettlement,
    /// Who applied for the change.
    pub origin: ChangeOrigin,
}

impl ChangeOrder {
    /// Moves to `next` if the state machine allows it. `Ok(false)` when
    /// already there (a duplicate observation), `Ok(true)` when it moved.
    pub fn apply_status(&mut self, next: ChangeStatus) -> Result<bool, ChangeTransitionError> {
        if self.status == next {
            return Ok(false);
        }
        if !self.status.can_become(next) {
            return Err(ChangeTransitionError {
                from: self.status,
                to: next,
            });
        }
        self.status = next;
        Ok(true)
    }
}

/// Who applied for a change.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ChangeOrigin {
    /// railgate's Change call.
    #[default]
    Railgate,
    /// Made outside railgate (the provider's detail lists a change railgate
    /// never applied for, e.g. in the traveller's 12306 app).
    Provider,
}

/// Panhe's ChaPriceChangeType: how the new fare compares with the old.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PriceChange {
    /// 待确定: not known yet.
    Undetermined,
    /// 新票款高于原票款: the buyer pays the new fare (高改).
    Higher,
    /// 新票款等于原票款.
    Equal,
    /// 新票款低于原票款: the difference is refunded, less a fee (低改).
    Lower,
}

impl PriceChange {
    /// Every value, for exhaustive tests.
    pub const ALL: [PriceChange; 4] = [
        PriceChange::Undetermined,
        PriceChange::Higher,
        PriceChange::Equal,
        PriceChange::Lower,
    ];
}

/// Panhe's ChaOderRefundType: what a change's refund is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeRefundKind {
    /// 改签失败已支付改签金额退款: the change failed; what was paid for it
    /// comes back.
    FailedChangePayment,
    /// 改签成功低改差价退款: a cheaper change's difference.
    LowerFareDifference,
    /// 改签成功高改原票款退款: a dearer change paid in full; the original
    /// fare comes back.
    HigherOriginalFare,
}

impl ChangeRefundKind {
    /// Every value, for exhaustive tests.
    pub const ALL: [ChangeRefundKind; 3] = [
        ChangeRefundKind::FailedChangePayment,
        ChangeRefundKind::LowerFareDifference,
        ChangeRefundKind::HigherOriginalFare,
    ];
}

/// The money of a change beyond fee and amount due, as the provider
/// reports it. `None` is "not stated", never zero.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChangeSettlement {
    /// How the new fare compares with the old.
    pub price_change: Option<PriceChange>,
    /// What is to be refunded to the buyer once the change succeeds
    /// (Panhe's totalPriceDiff, 改签待退款金额).
    pub refund_due: Option<Fen>,
    /// The refund fee taken from a cheaper change's difference
    /// (diffRefundFeeAmount).
    pub difference_refund_fee: Option<Fen>,
    /// What was paid for a dearer change (realPayAmount).
    pub paid_amount: Option<Fen>,
    /// When it was paid (payTime).
    pub paid_at: Option<DateTime<Utc>>,
    /// What the change's refund is for (chaRefundType).
    pub refund_kind: Option<ChangeRefundKind>,
    /// The new fare: the change's new tickets' prices together.
    pub new_fare: Option<Fen>,
    /// The change fee rate, in basis points (changRate 0.05 = 500).
    pub change_fee_rate_bps: Option<u32>,
    /// The refund fee rate of a cheaper change's difference, in basis
    /// points (diffRate).
    pub difference_refund_fee_rate_bps: Option<u32>,
}

/// The ticket a successful change replaced, as it was before the change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplacedTicket {
    /// The change order whose new ticket is in force.
    pub change_id: ChangeId,
    /// The old ticket number (no longer refundable).
    pub ticket_number: Option<String>,
    /// The old seat class.
    pub seat_class: SeatClass,
    /// The old price.
    pub price: Option<Fen>,
    /// The old coach.
    pub coach: Option<String>,
    /// The old seat or berth number.
    pub seat_number: Option<String>,
}
