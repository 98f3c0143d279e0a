//! 12306's price rules that every simulated provider applies the same way:
//! ticket-type prices and refund fees, in fen.
//!
//! They follow 12306's rules, simplified (see `docs/SIMULATOR.md`, "Fees"):
//! amounts are rounded to ¥0.5 as 12306 rounds them (below ¥0.25 down,
//! ¥0.25 to ¥0.75 to ¥0.5, above up); the refund rate depends on the time
//! left before departure (8 days or more 0%, 48 h to 8 days 5%, 24 to 48 h
//! 10%, less than 24 h 20%) with at least ¥2 per ticket when a fee is due.
//! They live here, beside the fares, so two simulators refund the same
//! ticket for the same amount.

use chrono::TimeDelta;

/// Fen rounded to ¥0.5, half up: `x / 100` yuan where `x` is in
/// hundredths of a fen (so rates in percent stay exact).
pub fn round_half_yuan(hundredths_of_fen: u64) -> u32 {
    ((hundredths_of_fen + 2_500) / 5_000 * 50) as u32
}

/// A ticket's price for a ticket type (成人 1, 儿童 2, 学生 3, 残军 4):
/// children and disabled soldiers pay half, students three quarters,
/// rounded to ¥0.5, at least ¥1.
pub fn ticket_price(full_fen: u32, ticket_type: i64) -> u32 {
    let percent: u64 = match ticket_type {
        2 | 4 => 50,
        3 => 75,
        _ => 100,
    };
    round_half_yuan(u64::from(full_fen) * percent).max(100)
}

/// 12306's refund fee rate, percent, by the time left before departure.
pub fn refund_rate_percent(until_departure: TimeDelta) -> u32 {
    let hours = until_departure.num_minutes() as f64 / 60.0;
    if hours >= 8.0 * 24.0 {
        0
    } else if hours >= 48.0 {
        5
    } else if hours >= 24.0 {
        10
    } else {
        20
    }
}

/// A refund fee: `rate` of `price`, rounded to ¥0.5, at least ¥2 when a
/// fee is due, never more than the price.
pub fn refund_fee(price_fen: u32, rate_percent: u32) -> u32 {
    if rate_percent == 0 {
        return 0;
    }
    round_half_yuan(u64::from(price_fen) * u64::from(rate_percent))
        .max(200)
        .min(price_fen)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refund_rates_follow_the_time_left() {
        assert_eq!(refund_rate_percent(TimeDelta::days(9)), 0);
        assert_eq!(refund_rate_percent(TimeDelta::days(8)), 0);
        assert_eq!(refund_rate_percent(TimeDelta::hours(100)), 5);
        assert_eq!(refund_rate_percent(TimeDelta::hours(48)), 5);
        assert_eq!(refund_rate_percent(TimeDelta::hours(30)), 10);
        assert_eq!(refund_rate_percent(TimeDelta::hours(23)), 20);
        assert_eq!(refund_rate_percent(TimeDelta::minutes(40)), 20);
    }

    #[test]
    fn refund_fees_round_to_half_yuan_with_a_two_yuan_floor() {
        assert_eq!(refund_fee(55350, 5), 2750); // 27.675 → 27.5
        assert_eq!(refund_fee(55350, 20), 11050); // 110.7 → 110.5 (0.2 → 0.0)
        assert_eq!(refund_fee(1400, 5), 200); // 0.7 → 0.5 → floor ¥2
        assert_eq!(refund_fee(150, 20), 150); // never above the price
        assert_eq!(refund_fee(55350, 0), 0);
    }

    #[test]
    fn ticket_types_discount() {
        assert_eq!(ticket_price(1300, 1), 1300);
        assert_eq!(ticket_price(1300, 2), 650);
        assert_eq!(ticket_price(900, 3), 700); // 6.75 → 7.0
        assert_eq!(ticket_price(8150, 4), 4100); // 40.75 → 41.0
        assert_eq!(ticket_price(100, 2), 100); // at least ¥1
    }
}
