//! Money as integer fen (分). Providers speak yuan with decimals; the
//! conversion happens once, exactly, at the adapter boundary.

use rust_decimal::Decimal;
use std::fmt;

/// An amount of money in fen (1 yuan = 100 fen). Never a float.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Fen(i64);

/// A yuan amount that cannot be expressed in whole fen.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    /// More than two decimal places: converting would round, so refuse.
    #[error("amount {0} yuan has fractions of a fen")]
    FractionOfFen(Decimal),
    /// Beyond what i64 fen can hold.
    #[error("amount {0} yuan is out of range")]
    OutOfRange(Decimal),
}

impl Fen {
    /// Zero fen.
    pub const ZERO: Fen = Fen(0);

    /// An amount from a count of fen.
    pub const fn new(fen: i64) -> Self {
        Fen(fen)
    }

    /// The count of fen.
    pub const fn get(self) -> i64 {
        self.0
    }

    /// Converts a yuan amount exactly: 81.5 → 8150 fen. An amount with
    /// fractions of a fen is an error rather than silently rounded.
    pub fn from_yuan(yuan: Decimal) -> Result<Self, MoneyError> {
        let fen = yuan
            .checked_mul(Decimal::ONE_HUNDRED)
            .ok_or(MoneyError::OutOfRange(yuan))?;
        if !fen.fract().is_zero() {
            return Err(MoneyError::FractionOfFen(yuan));
        }
        i64::try_from(fen)
            .map(Fen)
            .map_err(|_| MoneyError::OutOfRange(yuan))
    }

    /// The amount in yuan, for providers that want yuan.
    pub fn to_yuan(self) -> Decimal {
        Decimal::new(self.0, 2)
    }
}

impl fmt::Display for Fen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "¥{}", self.to_yuan())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn yuan(text: &str) -> Decimal {
        Decimal::from_str(text).unwrap()
    }

    #[test]
    fn converts_yuan_to_fen_exactly() {
        assert_eq!(Fen::from_yuan(yuan("81.5")), Ok(Fen(8150)));
        assert_eq!(Fen::from_yuan(yuan("9.0")), Ok(Fen(900)));
        assert_eq!(Fen::from_yuan(yuan("0.01")), Ok(Fen(1)));
        assert_eq!(Fen::from_yuan(yuan("2313")), Ok(Fen(231300)));
        assert_eq!(Fen::from_yuan(yuan("-3.00")), Ok(Fen(-300)));
    }

    #[test]
    fn refuses_fractions_of_a_fen() {
        assert_eq!(
            Fen::from_yuan(yuan("0.005")),
            Err(MoneyError::FractionOfFen(yuan("0.005")))
        );
    }

    #[test]
    fn refuses_out_of_range() {
        assert!(matches!(
            Fen::from_yuan(Decimal::MAX),
            Err(MoneyError::OutOfRange(_))
        ));
    }

    #[test]
    fn round_trips_through_yuan() {
        for fen in [0, 1, 99, 100, 8150, 231300, -300] {
            assert_eq!(Fen::from_yuan(Fen(fen).to_yuan()), Ok(Fen(fen)));
        }
        assert_eq!(Fen(8150).to_string(), "¥81.50");
    }
}
