//! Time with an explicit precision.

use std::fmt;
use std::str::FromStr;

/// How precisely an incident's time is known.
///
/// police.uk street data gives the month only; partner systems give timestamps or from–to
/// windows. Filters by hour or weekday need [`TimePrecision::Minute`] or finer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum TimePrecision {
    /// Only the calendar month is known (police.uk).
    Month,
    /// The day is known, not the time of day.
    Day,
    /// The time is known to the minute.
    Minute,
}

impl TimePrecision {
    /// Stable lowercase name, as stored and as reported by the API (`"month"`).
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Month => "month",
            Self::Day => "day",
            Self::Minute => "minute",
        }
    }

    /// Parses [`TimePrecision::as_str`] back.
    #[must_use]
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "month" => Some(Self::Month),
            "day" => Some(Self::Day),
            "minute" => Some(Self::Minute),
            _ => None,
        }
    }
}

/// A calendar month (`2025-01`), stored as months since January of year 0 so that month
/// ranges are integer ranges.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct YearMonth(i32);

/// Why a month could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum YearMonthError {
    /// The text is not `YYYY-MM`.
    #[error("invalid month (got {value:?}): expected YYYY-MM, e.g. 2025-01")]
    Malformed {
        /// The text given.
        value: String,
    },
    /// Month number outside 1..=12 or year outside 1900..=2999.
    #[error("invalid month (got \"{year:04}-{month:02}\"): year must be 1900..=2999 and month 1..=12")]
    OutOfRange {
        /// Year given.
        year: i32,
        /// Month given.
        month: u32,
    },
}

impl YearMonth {
    /// A month from its year and month number (1 = January).
    ///
    /// # Errors
    /// [`YearMonthError::OutOfRange`] when `month` is not 1..=12 or `year` not 1900..=2999.
    pub fn new(year: i32, month: u32) -> Result<Self, YearMonthError> {
        if !(1..=12).contains(&month) || !(1900..=2999).contains(&year) {
            return Err(YearMonthError::OutOfRange { year, month });
        }
        let month0 = i32::try_from(month - 1).map_err(|_| YearMonthError::OutOfRange { year, month })?;
        Ok(Self(year * 12 + month0))
    }

    /// The year.
    #[must_use]
    pub const fn year(self) -> i32 {
        self.0.div_euclid(12)
    }

    /// The month number, 1 = January.
    #[must_use]
    pub const fn month(self) -> u32 {
        self.0.rem_euclid(12).unsigned_abs() + 1
    }

    /// Months since January of year 0 (an ordinal for ranges).
    #[must_use]
    pub const fn ordinal(self) -> i32 {
        self.0
    }

    /// The month `n` months later (earlier for negative `n`).
    #[must_use]
    pub const fn add_months(self, n: i32) -> Self {
        Self(self.0 + n)
    }

    /// Number of months from `self` to `last`, both included (0 when `last` is earlier).
    #[must_use]
    pub fn months_through(self, last: Self) -> u32 {
        u32::try_from(last.0 - self.0 + 1).unwrap_or(0)
    }
}

impl FromStr for YearMonth {
    type Err = YearMonthError;

    /// Reads `YYYY-MM` exactly (police.uk's `Month` column).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let malformed = || YearMonthError::Malformed { value: s.to_owned() };
        let (y, m) = s.trim().split_once('-').ok_or_else(malformed)?;
        if y.len() != 4 || m.len() != 2 {
            return Err(malformed());
        }
        let year: i32 = y.parse().map_err(|_| malformed())?;
        let month: u32 = m.parse().map_err(|_| malformed())?;
        Self::new(year, month)
    }
}

impl fmt::Display for YearMonth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year(), self.month())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_police_uk_months() {
        let m: YearMonth = "2025-12".parse().unwrap();
        assert_eq!((m.year(), m.month()), (2025, 12));
        assert_eq!(m.to_string(), "2025-12");
        assert_eq!(m.add_months(1).to_string(), "2026-01");
        assert_eq!("2025-01".parse::<YearMonth>().unwrap().months_through(m), 12);
    }

    #[test]
    fn rejects_malformed_months() {
        for bad in ["2025-13", "2025-1", "25-01", "2025/01", "", "2025-00", "abcd-ef"] {
            assert!(bad.parse::<YearMonth>().is_err(), "{bad} should be rejected");
        }
    }
}
