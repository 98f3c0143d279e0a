//! Prices by ticket type, refund fees and change amounts, in fen.
//!
//! The rules follow 12306's, simplified (see `docs/SIMULATOR.md`):
//! fees are rounded to ¥0.5 as 12306 rounds them (below ¥0.25 down, ¥0.25
//! to ¥0.75 to ¥0.5, above up); the refund rate depends on the time left
//! before departure (8 days or more 0%, 48 h to 8 days 5%, 24 to 48 h 10%,
//! less than 24 h 20%) with at least ¥2 per ticket when a fee is due; a
//! change costs 5% of the original fare within 48 h of departure. Together
//! they reproduce every amount of the seed's three change orders. The
//! ticket-type and refund rules are shared with every simulator
//! ([`crate::fares::rules`]); the change rules are Panhe's alone.

use chrono::TimeDelta;

use super::model::PriceChange;
use crate::fares::rules::round_half_yuan;
pub use crate::fares::rules::{refund_fee, refund_rate_percent, ticket_price};

/// The change fee rate, percent, by the time left before the original
/// train departs: free until 48 h before, 5% after.
pub fn change_rate_percent(until_departure: TimeDelta) -> u32 {
    if until_departure >= TimeDelta::hours(48) {
        0
    } else {
        5
    }
}

/// A change fee: `rate` of the original price, rounded to ¥0.5, no minimum.
pub fn change_fee(original_fen: u32, rate_percent: u32) -> u32 {
    round_half_yuan(u64::from(original_fen) * u64::from(rate_percent))
}

/// Yuan with one decimal, as the seed's priceChangeTypeInfo writes them.
fn yuan1(fen: u32) -> String {
    format!("{:.1}", f64::from(fen) / 100.0)
}

/// The amounts of a change from `originals` to `news` (ticket prices, pair
/// by pair), `until_departure` being the time left before the original
/// train leaves when the change was applied for.
pub fn price_change(originals: &[u32], news: &[u32], until_departure: TimeDelta) -> PriceChange {
    let change_rate = change_rate_percent(until_departure);
    let diff_rate = refund_rate_percent(until_departure);
    let original_total: u32 = originals.iter().sum();
    let new_total: u32 = news.iter().sum();
    let change_fee_fen: u32 = originals
        .iter()
        .map(|&price| change_fee(price, change_rate))
        .sum();
    if new_total > original_total {
        // Dearer: pay the whole new fare plus the fee; the original fare
        // is refunded once the change succeeds.
        return PriceChange {
            kind: 1,
            info: format!(
                "收取新票款:{}元,退还原票款:{}元,改签费用:{}元,改签费率:{change_rate}%",
                yuan1(new_total),
                yuan1(original_total),
                yuan1(change_fee_fen)
            ),
            total_price_diff_fen: original_total,
            diff_rate_percent: 0,
            diff_refund_fee_fen: 0,
            change_rate_percent: change_rate,
            change_fee_fen,
            need_pay_fen: new_total + change_fee_fen,
        };
    }
    if new_total == original_total {
        return PriceChange {
            kind: 2,
            info: format!(
                "改签票款差价:0.0元,改签费用:{}元,改签费率:{change_rate}%",
                yuan1(change_fee_fen)
            ),
            total_price_diff_fen: 0,
            diff_rate_percent: 0,
            diff_refund_fee_fen: 0,
            change_rate_percent: change_rate,
            change_fee_fen,
            need_pay_fen: change_fee_fen,
        };
    }
    // Cheaper: the difference is refunded like a ticket, per ticket, less
    // the change fee; anything the refund cannot cover is paid.
    let diff_refund_fee_fen: u32 = originals
        .iter()
        .zip(news)
        .map(|(&old, &new)| {
            let diff = old.saturating_sub(new);
            if diff == 0 {
                0
            } else {
                refund_fee(diff, diff_rate)
            }
        })
        .sum();
    let diff = original_total - new_total;
    let refundable = i64::from(diff) - i64::from(diff_refund_fee_fen) - i64::from(change_fee_fen);
    let (total_price_diff_fen, need_pay_fen) = if refundable >= 0 {
        (refundable as u32, 0)
    } else {
        (0, refundable.unsigned_abs() as u32)
    };
    PriceChange {
        kind: 3,
        info: format!(
            "退票手续费:{}元,退票费率:{diff_rate}%,实际退还票款:{}元,改签费用:{}元,改签费率:{change_rate}%",
            yuan1(diff_refund_fee_fen),
            yuan1(total_price_diff_fen),
            yuan1(change_fee_fen)
        ),
        total_price_diff_fen,
        diff_rate_percent: diff_rate,
        diff_refund_fee_fen,
        change_rate_percent: change_rate,
        change_fee_fen,
        need_pay_fen,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The seed's change orders were applied for 41.9 h before G7199 left
    /// (applied 2024-01-25 13:02, departure 2024-01-27 06:57).
    fn seed_lead() -> TimeDelta {
        TimeDelta::minutes(41 * 60 + 55)
    }

    #[test]
    fn reproduces_the_seeds_cheaper_change() {
        // 2 × ¥13 (G7199 二等) → 2 × ¥9 (K289 硬座).
        let change = price_change(&[1300, 1300], &[900, 900], seed_lead());
        assert_eq!(change.kind, 3);
        assert_eq!(change.diff_rate_percent, 10);
        assert_eq!(change.diff_refund_fee_fen, 400);
        assert_eq!(change.change_rate_percent, 5);
        assert_eq!(change.change_fee_fen, 100);
        assert_eq!(change.total_price_diff_fen, 300);
        assert_eq!(change.need_pay_fen, 0);
        assert_eq!(
            change.info,
            "退票手续费:4.0元,退票费率:10%,实际退还票款:3.0元,改签费用:1.0元,改签费率:5%"
        );
    }

    #[test]
    fn reproduces_the_seeds_same_price_change() {
        let change = price_change(&[1300, 1300], &[1300, 1300], seed_lead());
        assert_eq!(change.kind, 2);
        assert_eq!(change.total_price_diff_fen, 0);
        assert_eq!(change.change_fee_fen, 100);
        assert_eq!(change.need_pay_fen, 100);
        assert_eq!(change.info, "改签票款差价:0.0元,改签费用:1.0元,改签费率:5%");
    }

    #[test]
    fn reproduces_the_seeds_dearer_change() {
        let change = price_change(&[1300, 1300], &[1900, 1900], seed_lead());
        assert_eq!(change.kind, 1);
        assert_eq!(change.total_price_diff_fen, 2600);
        assert_eq!(change.need_pay_fen, 3900);
        assert_eq!(change.diff_refund_fee_fen, 0);
        assert_eq!(
            change.info,
            "收取新票款:38.0元,退还原票款:26.0元,改签费用:1.0元,改签费率:5%"
        );
    }

    #[test]
    fn changes_are_free_until_48_hours_before() {
        let change = price_change(&[1300], &[1300], TimeDelta::hours(72));
        assert_eq!(change.change_fee_fen, 0);
        assert_eq!(change.need_pay_fen, 0);
    }

    #[test]
    fn change_fees_round_to_half_yuan_without_a_floor() {
        assert_eq!(change_fee(1300, 5), 50); // 0.65 → 0.5
        assert_eq!(change_fee(900, 5), 50); // 0.45 → 0.5
        assert_eq!(change_fee(1900, 5), 100); // 0.95 → 1.0
    }
}
