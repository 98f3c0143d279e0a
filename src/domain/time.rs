//! Local time in Asia/Shanghai, where every train runs by the clock on the
//! station wall. The tz database (chrono-tz) rather than a hard-coded +08:00
//! keeps the offset honest.

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use std::sync::Arc;

/// The railway's time zone.
pub const RAIL_TZ: Tz = chrono_tz::Asia::Shanghai;

/// A source of "now", injectable so tests and simulators can fix time.
pub trait Clock: Send + Sync + 'static {
    /// The current instant.
    fn now_utc(&self) -> DateTime<Utc>;

    /// The current local time in Asia/Shanghai.
    fn now_local(&self) -> DateTime<Tz> {
        self.now_utc().with_timezone(&RAIL_TZ)
    }

    /// Today's date in Asia/Shanghai.
    fn today(&self) -> NaiveDate {
        self.now_local().date_naive()
    }
}

/// The real wall clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_utc(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that always says the same instant (tests).
#[derive(Debug, Clone, Copy)]
pub struct FixedClock(pub DateTime<Utc>);

impl Clock for FixedClock {
    fn now_utc(&self) -> DateTime<Utc> {
        self.0
    }
}

/// A shared clock handle.
pub type SharedClock = Arc<dyn Clock>;

/// Formats a Shanghai wall-clock time as RFC 3339 with its offset:
/// `2026-11-24T07:00:00+08:00`.
pub fn to_rfc3339(local: NaiveDateTime) -> String {
    localize(local).to_rfc3339()
}

/// Attaches the Shanghai zone to a wall-clock time. Shanghai has had no DST
/// since 1991, so every wall time maps to exactly one instant; the earliest
/// is taken for the theoretical historical ambiguity.
pub fn localize(local: NaiveDateTime) -> DateTime<Tz> {
    RAIL_TZ
        .from_local_datetime(&local)
        .earliest()
        .unwrap_or_else(|| RAIL_TZ.from_utc_datetime(&local))
}

/// Why a date string was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DateError {
    /// Empty.
    #[error("is required, as YYYY-MM-DD")]
    Missing,
    /// Not a YYYY-MM-DD calendar date.
    #[error("\"{0}\" is not a date in the form YYYY-MM-DD")]
    Malformed(String),
    /// Before today in Asia/Shanghai.
    #[error("{date} is in the past (today is {today} in Asia/Shanghai)")]
    Past {
        /// The date given.
        date: NaiveDate,
        /// Today in Asia/Shanghai.
        today: NaiveDate,
    },
}

/// Parses a travel date ("YYYY-MM-DD") and refuses dates before today.
pub fn parse_travel_date(text: &str, today: NaiveDate) -> Result<NaiveDate, DateError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(DateError::Missing);
    }
    let date = NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|_| DateError::Malformed(text.to_owned()))?;
    if date < today {
        return Err(DateError::Past { date, today });
    }
    Ok(date)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn formats_with_explicit_offset() {
        let local = date("2026-11-24").and_hms_opt(7, 0, 0).unwrap();
        assert_eq!(to_rfc3339(local), "2026-11-24T07:00:00+08:00");
    }

    #[test]
    fn today_follows_shanghai_not_utc() {
        // 2026-11-23 17:30 UTC is already 01:30 on the 24th in Shanghai.
        let clock = FixedClock("2026-11-23T17:30:00Z".parse().unwrap());
        assert_eq!(clock.today(), date("2026-11-24"));
    }

    #[test]
    fn parses_travel_dates() {
        let today = date("2026-11-23");
        assert_eq!(parse_travel_date("2026-11-23", today), Ok(today));
        assert_eq!(
            parse_travel_date(" 2026-12-01 ", today),
            Ok(date("2026-12-01"))
        );
        assert_eq!(parse_travel_date("", today), Err(DateError::Missing));
        assert_eq!(
            parse_travel_date("2026-13-01", today),
            Err(DateError::Malformed("2026-13-01".into()))
        );
        assert_eq!(
            parse_travel_date("20261124", today),
            Err(DateError::Malformed("20261124".into()))
        );
        assert_eq!(
            parse_travel_date("2026-11-22", today),
            Err(DateError::Past {
                date: date("2026-11-22"),
                today
            })
        );
    }
}
