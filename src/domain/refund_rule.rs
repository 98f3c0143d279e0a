//! 12306's refund fee (退票费), as railgate quotes it before a refund.
//!
//! The rule, as 12306 publishes it (12306.cn, 客运服务 › 退票, in force since
//! China Railway's revision of 2016-01-01, unchanged in the pages checked
//! for this code):
//!
//! | time left before departure | fee |
//! |---|---|
//! | 8 days (192 h) or more | none |
//! | 48 h to 8 days | 5% of the ticket price |
//! | 24 h to 48 h | 10% |
//! | under 24 h | 20% |
//!
//! A fee is rounded to ¥0.5 (a fraction of a yuan under ¥0.25 is dropped,
//! ¥0.25 to under ¥0.75 counts as ¥0.5, ¥0.75 and more as ¥1) and is at
//! least ¥2 where one is due; it never exceeds the price. The time left
//! is counted to the departure of the train the ticket now rides (after a
//! change, the new train's). The provider's own answer to the refund is
//! what is charged: a quote is the rule applied now, and a refund that
//! carries one is refused if the fee would be higher (the band moved on).

use super::Fen;
use chrono::{NaiveDateTime, TimeDelta};

/// The fee bands of the rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefundBand {
    /// 8 days or more before departure: no fee.
    EightDaysOrMore,
    /// 48 h to 8 days: 5%.
    TwoToEightDays,
    /// 24 h to 48 h: 10%.
    OneToTwoDays,
    /// Under 24 h: 20%.
    UnderOneDay,
}

impl RefundBand {
    /// The band `until_departure` falls in.
    pub fn of(until_departure: TimeDelta) -> Self {
        if until_departure >= TimeDelta::days(8) {
            RefundBand::EightDaysOrMore
        } else if until_departure >= TimeDelta::hours(48) {
            RefundBand::TwoToEightDays
        } else if until_departure >= TimeDelta::hours(24) {
            RefundBand::OneToTwoDays
        } else {
            RefundBand::UnderOneDay
        }
    }

    /// The fee, percent of the price.
    pub const fn rate_percent(self) -> u32 {
        match self {
            RefundBand::EightDaysOrMore => 0,
            RefundBand::TwoToEightDays => 5,
            RefundBand::OneToTwoDays => 10,
            RefundBand::UnderOneDay => 20,
        }
    }

    /// How long before departure the band ends (the next, dearer one
    /// begins); `None` for the last band, which ends at departure.
    const fn ends_before_departure(self) -> Option<TimeDelta> {
        match self {
            RefundBand::EightDaysOrMore => Some(TimeDelta::days(8)),
            RefundBand::TwoToEightDays => Some(TimeDelta::hours(48)),
            RefundBand::OneToTwoDays => Some(TimeDelta::hours(24)),
            RefundBand::UnderOneDay => None,
        }
    }

    /// Stable name (API, metadata).
    pub const fn as_str(self) -> &'static str {
        match self {
            RefundBand::EightDaysOrMore => "8_days_or_more",
            RefundBand::TwoToEightDays => "48_hours_to_8_days",
            RefundBand::OneToTwoDays => "24_to_48_hours",
            RefundBand::UnderOneDay => "under_24_hours",
        }
    }
}

/// The rule applied to one ticket now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RefundFigures {
    /// The band.
    pub band: RefundBand,
    /// The fee.
    pub fee: Fen,
    /// What comes back: the price less the fee.
    pub refund: Fen,
    /// When the band ends (Asia/Shanghai wall time): after it, the fee is
    /// higher (or the train has left).
    pub valid_until: NaiveDateTime,
}

/// Why the rule gives no figure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RefundRuleError {
    /// The train has left: 12306 refunds only at a station window then.
    #[error("the train has departed: no refund online")]
    Departed,
}

/// The fee and refund of a ticket of `price` on a train leaving at
/// `departure`, at `now` (both Asia/Shanghai wall time).
pub fn refund_figures(
    price: Fen,
    departure: NaiveDateTime,
    now: NaiveDateTime,
) -> Result<RefundFigures, RefundRuleError> {
    if now >= departure {
        return Err(RefundRuleError::Departed);
    }
    let band = RefundBand::of(departure - now);
    let fee = fee(price, band.rate_percent());
    let valid_until = band
        .ends_before_departure()
        .map_or(departure, |before| departure - before);
    Ok(RefundFigures {
        band,
        fee,
        refund: Fen::new(price.get().saturating_sub(fee.get())),
        valid_until,
    })
}

/// `rate` percent of `price`, rounded to ¥0.5 (ties up), at least ¥2 where
/// a fee is due, at most the price.
pub fn fee(price: Fen, rate_percent: u32) -> Fen {
    if rate_percent == 0 || price.get() <= 0 {
        return Fen::new(0);
    }
    // Hundredths of a fen, so a percentage stays exact (saturating: an
    // absurd price from a provider must not overflow).
    let exact = price.get().saturating_mul(i64::from(rate_percent));
    const HALF_YUAN: i64 = 50 * 100;
    let rounded = (exact.saturating_add(HALF_YUAN / 2) / HALF_YUAN).saturating_mul(50);
    Fen::new(rounded.max(200).min(price.get()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn at(day: u32, hour: u32, minute: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2026, 12, day)
            .unwrap()
            .and_hms_opt(hour, minute, 0)
            .unwrap()
    }

    #[test]
    fn the_bands_follow_the_time_left() {
        let departure = at(20, 8, 0);
        let band = |now| {
            refund_figures(Fen::new(55300), departure, now)
                .unwrap()
                .band
        };
        assert_eq!(band(at(1, 8, 0)), RefundBand::EightDaysOrMore);
        assert_eq!(
            band(at(12, 8, 0)),
            RefundBand::EightDaysOrMore,
            "exactly 8 days"
        );
        assert_eq!(band(at(12, 8, 1)), RefundBand::TwoToEightDays);
        assert_eq!(
            band(at(18, 8, 0)),
            RefundBand::TwoToEightDays,
            "exactly 48 h"
        );
        assert_eq!(band(at(18, 8, 1)), RefundBand::OneToTwoDays);
        assert_eq!(band(at(19, 8, 0)), RefundBand::OneToTwoDays, "exactly 24 h");
        assert_eq!(band(at(19, 8, 1)), RefundBand::UnderOneDay);
        assert_eq!(band(at(20, 7, 59)), RefundBand::UnderOneDay);
        assert_eq!(
            refund_figures(Fen::new(55300), departure, at(20, 8, 0)),
            Err(RefundRuleError::Departed)
        );
    }

    #[test]
    fn a_quote_is_valid_until_its_band_ends() {
        let departure = at(20, 8, 0);
        let until = |now| {
            refund_figures(Fen::new(55300), departure, now)
                .unwrap()
                .valid_until
        };
        assert_eq!(until(at(1, 0, 0)), at(12, 8, 0));
        assert_eq!(until(at(15, 0, 0)), at(18, 8, 0));
        assert_eq!(until(at(18, 20, 0)), at(19, 8, 0));
        assert_eq!(until(at(19, 20, 0)), departure);
    }

    #[test]
    fn fees_round_to_half_a_yuan_with_a_two_yuan_floor() {
        // ¥553: 5% 27.65 → 27.5; 10% 55.3 → 55.5; 20% 110.6 → 110.5.
        assert_eq!(fee(Fen::new(55300), 5), Fen::new(2750));
        assert_eq!(fee(Fen::new(55300), 10), Fen::new(5550));
        assert_eq!(fee(Fen::new(55300), 20), Fen::new(11050));
        // ¥0.25 exactly rounds to ¥0.5; ¥0.75 to ¥1.
        assert_eq!(fee(Fen::new(10500), 5), Fen::new(550)); // 5.25 → 5.5
        assert_eq!(fee(Fen::new(11500), 5), Fen::new(600)); // 5.75 → 6
        assert_eq!(fee(Fen::new(10400), 5), Fen::new(500)); // 5.20 → 5
        // At least ¥2, never above the price, nothing at 0%.
        assert_eq!(fee(Fen::new(1400), 5), Fen::new(200));
        assert_eq!(fee(Fen::new(150), 20), Fen::new(150));
        assert_eq!(fee(Fen::new(55300), 0), Fen::new(0));
        assert_eq!(fee(Fen::new(i64::MAX), 20), Fen::new(i64::MAX / 5000 * 50));
        let figures = refund_figures(Fen::new(55300), at(20, 8, 0), at(19, 20, 0)).unwrap();
        assert_eq!(
            (figures.fee, figures.refund),
            (Fen::new(11050), Fen::new(44250))
        );
    }
}
