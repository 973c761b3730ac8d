//! Alert periods: calendar months (police.uk), ISO weeks and 28-day periods, each numbered
//! by a plain integer index so that "the B periods before t" is `t − B .. t`.

use std::fmt;

use super::AlertError;
use crate::time::YearMonth;

/// Days from 0000-03-01 to 1970-01-01 in the proleptic Gregorian calendar.
const EPOCH_SHIFT_DAYS: i64 = 719_468;

/// Days in a 400-year Gregorian cycle.
const DAYS_PER_ERA: i64 = 146_097;

/// Mean length of a Gregorian month in days (365.2425 / 12).
const MEAN_MONTH_DAYS: f64 = 30.436_875;

/// A day of the proleptic Gregorian calendar (local date, no time zone).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CivilDate {
    year: i32,
    month: u8,
    day: u8,
}

/// Monday 1 January 2024, the default origin of [`Period::Days28`].
pub const DEFAULT_28_DAY_ORIGIN: CivilDate = CivilDate { year: 2024, month: 1, day: 1 };

impl CivilDate {
    /// A date from year, month (1 = January) and day of the month.
    ///
    /// # Errors
    /// [`AlertError::InvalidDate`] when the year is outside 1900..=2999, the month outside
    /// 1..=12 or the day not in that month (29 February only in leap years).
    pub fn new(year: i32, month: u32, day: u32) -> Result<Self, AlertError> {
        let invalid = AlertError::InvalidDate { year, month, day };
        if !(1900..=2999).contains(&year) || !(1..=12).contains(&month) {
            return Err(invalid);
        }
        let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
        let days_in_month = match month {
            2 if leap => 29,
            2 => 28,
            4 | 6 | 9 | 11 => 30,
            _ => 31,
        };
        if !(1..=days_in_month).contains(&day) {
            return Err(invalid);
        }
        let (Ok(month), Ok(day)) = (u8::try_from(month), u8::try_from(day)) else {
            return Err(invalid);
        };
        Ok(Self { year, month, day })
    }

    /// The year.
    #[must_use]
    pub const fn year(self) -> i32 {
        self.year
    }

    /// The month, 1 = January.
    #[must_use]
    pub const fn month(self) -> u32 {
        self.month as u32
    }

    /// The day of the month.
    #[must_use]
    pub const fn day(self) -> u32 {
        self.day as u32
    }

    /// Days since 1970-01-01 (negative before it).
    ///
    /// # Example
    /// ```
    /// use hexwatch_core::alerts::CivilDate;
    /// assert_eq!(CivilDate::new(2025, 9, 1)?.days_since_epoch(), 20_332);
    /// # Ok::<(), hexwatch_core::alerts::AlertError>(())
    /// ```
    #[must_use]
    pub fn days_since_epoch(self) -> i64 {
        // Count years from March so that the leap day ends the year (the civil-to-days
        // method of H. Hinnant, "chrono-Compatible Low-Level Date Algorithms").
        let month = i64::from(self.month);
        let year = i64::from(self.year) - i64::from(month <= 2);
        let era = year.div_euclid(400);
        let year_of_era = year - era * 400;
        let month_from_march = (month + 9) % 12;
        let day_of_year = (153 * month_from_march + 2) / 5 + i64::from(self.day) - 1;
        let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
        era * DAYS_PER_ERA + day_of_era - EPOCH_SHIFT_DAYS
    }

    /// The date `days` days after 1970-01-01 (the inverse of [`CivilDate::days_since_epoch`]).
    #[must_use]
    pub fn from_days_since_epoch(days: i64) -> Self {
        let z = days + EPOCH_SHIFT_DAYS;
        let era = z.div_euclid(DAYS_PER_ERA);
        let day_of_era = z - era * DAYS_PER_ERA;
        let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
        let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
        let month_from_march = (5 * day_of_year + 2) / 153;
        let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
        let month = if month_from_march < 10 { month_from_march + 3 } else { month_from_march - 9 };
        let year = year_of_era + era * 400 + i64::from(month <= 2);
        // The casts are in range: month 1..=12, day 1..=31, and the year of any i64 day count
        // divided by 365 fits an i32 for every date this crate handles (saturated otherwise).
        Self {
            year: i32::try_from(year).unwrap_or(if year < 0 { i32::MIN } else { i32::MAX }),
            month: u8::try_from(month).unwrap_or(1),
            day: u8::try_from(day).unwrap_or(1),
        }
    }

    /// Day of the week, 0 = Monday … 6 = Sunday.
    #[must_use]
    pub fn weekday(self) -> u32 {
        // 1970-01-01 was a Thursday (3).
        u32::try_from((self.days_since_epoch() + 3).rem_euclid(7)).unwrap_or(0)
    }
}

impl fmt::Display for CivilDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// The length of an alert period; each period has an integer index.
///
/// - [`Period::Month`]: calendar months, index = months since January of year 0
///   ([`YearMonth::ordinal`]), e.g. 2025-09 → 24,308. The natural period of police.uk data,
///   which gives the month only.
/// - [`Period::IsoWeek`]: ISO 8601 weeks (Monday to Sunday), index = weeks since the week of
///   Monday 1969-12-29 (ISO week 1970-W01), for timestamped partner data.
/// - [`Period::Days28`]: 28-day periods starting at `origin` (and every 28 days before and
///   after it), e.g. to follow a force's four-weekly tasking cycle; index 0 starts at
///   `origin`. [`DEFAULT_28_DAY_ORIGIN`] is Monday 2024-01-01.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Period {
    /// Calendar months.
    Month,
    /// ISO weeks, Monday first.
    IsoWeek,
    /// Consecutive 28-day periods.
    Days28 {
        /// First day of period 0.
        origin: CivilDate,
    },
}

impl Period {
    /// The index of the period holding `date`.
    ///
    /// # Example
    /// ```
    /// use hexwatch_core::alerts::{CivilDate, DEFAULT_28_DAY_ORIGIN, Period};
    /// let date = CivilDate::new(2025, 9, 10)?;
    /// assert_eq!(Period::Month.label(Period::Month.index_of_date(date)), "2025-09");
    /// assert_eq!(Period::IsoWeek.label(Period::IsoWeek.index_of_date(date)), "2025-W37");
    /// let four_weekly = Period::Days28 { origin: DEFAULT_28_DAY_ORIGIN };
    /// assert_eq!(four_weekly.index_of_date(date), 22); // 618 days after 2024-01-01
    /// # Ok::<(), hexwatch_core::alerts::AlertError>(())
    /// ```
    #[must_use]
    pub fn index_of_date(self, date: CivilDate) -> i64 {
        match self {
            Self::Month => i64::from(date.year) * 12 + i64::from(date.month) - 1,
            // Monday 1969-12-29 is day −3.
            Self::IsoWeek => (date.days_since_epoch() + 3).div_euclid(7),
            Self::Days28 { origin } => (date.days_since_epoch() - origin.days_since_epoch()).div_euclid(28),
        }
    }

    /// The index of a calendar month: `Some` for [`Period::Month`], `None` for weeks and
    /// 28-day periods (a month does not fall in one of them).
    #[must_use]
    pub fn index_of_month(self, month: YearMonth) -> Option<i64> {
        match self {
            Self::Month => Some(i64::from(month.ordinal())),
            Self::IsoWeek | Self::Days28 { .. } => None,
        }
    }

    /// The first day of period `index`.
    #[must_use]
    pub fn start(self, index: i64) -> CivilDate {
        match self {
            Self::Month => CivilDate {
                year: i32::try_from(index.div_euclid(12)).unwrap_or(i32::MAX),
                month: u8::try_from(index.rem_euclid(12) + 1).unwrap_or(1),
                day: 1,
            },
            Self::IsoWeek => CivilDate::from_days_since_epoch(index * 7 - 3),
            Self::Days28 { origin } => {
                CivilDate::from_days_since_epoch(origin.days_since_epoch() + index * 28)
            }
        }
    }

    /// A label for period `index`: `2025-09`, `2025-W37` (ISO year and week) or
    /// `2025-09-01+28d` (first day and length).
    #[must_use]
    pub fn label(self, index: i64) -> String {
        match self {
            Self::Month => {
                let start = self.start(index);
                format!("{:04}-{:02}", start.year, start.month)
            }
            Self::IsoWeek => {
                // The ISO year is the year of the week's Thursday; week 1 holds the first Thursday.
                let thursday = CivilDate::from_days_since_epoch(index * 7);
                let jan1 = CivilDate { year: thursday.year, month: 1, day: 1 };
                let week = (thursday.days_since_epoch() - jan1.days_since_epoch()) / 7 + 1;
                format!("{:04}-W{week:02}", thursday.year)
            }
            Self::Days28 { .. } => format!("{}+28d", self.start(index)),
        }
    }

    /// Mean length in days (a month: 365.2425 / 12).
    #[must_use]
    pub const fn mean_days(self) -> f64 {
        match self {
            Self::Month => MEAN_MONTH_DAYS,
            Self::IsoWeek => 7.0,
            Self::Days28 { .. } => 28.0,
        }
    }

    /// Periods in a year, the lag of the seasonal baseline: 12 months, 52 weeks, 13 28-day
    /// periods. The last two are 364 days, so "the same period a year ago" drifts by 1.24
    /// days a year (and a 53-week ISO year shifts weeks by one); the seasonal window of
    /// neighbouring periods absorbs that.
    #[must_use]
    pub const fn per_year(self) -> usize {
        match self {
            Self::Month => 12,
            Self::IsoWeek => 52,
            Self::Days28 { .. } => 13,
        }
    }

    /// A short name: `month`, `iso-week` or `28-day`.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Month => "month",
            Self::IsoWeek => "iso-week",
            Self::Days28 { .. } => "28-day",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> CivilDate {
        CivilDate::new(y, m, d).unwrap()
    }

    #[test]
    fn days_round_trip_over_four_centuries() {
        let first = date(1900, 1, 1).days_since_epoch();
        let last = date(2299, 12, 31).days_since_epoch();
        let mut previous = CivilDate::from_days_since_epoch(first - 1);
        for days in first..=last {
            let d = CivilDate::from_days_since_epoch(days);
            assert_eq!(CivilDate::new(d.year(), d.month(), d.day()), Ok(d));
            assert_eq!(d.days_since_epoch(), days);
            assert!(d > previous);
            previous = d;
        }
        assert_eq!(date(1970, 1, 1).days_since_epoch(), 0);
        assert_eq!(date(2000, 3, 1).days_since_epoch(), 11_017);
        assert_eq!(date(1970, 1, 1).weekday(), 3);
        assert_eq!(date(2024, 1, 1).weekday(), 0);
    }

    #[test]
    fn invalid_dates_are_refused() {
        assert!(CivilDate::new(2025, 2, 29).is_err());
        assert!(CivilDate::new(2024, 2, 29).is_ok());
        assert!(CivilDate::new(1900, 2, 29).is_err());
        assert!(CivilDate::new(2000, 2, 29).is_ok());
        assert!(CivilDate::new(2025, 4, 31).is_err());
        assert!(CivilDate::new(2025, 13, 1).is_err());
        assert!(CivilDate::new(2025, 1, 0).is_err());
    }

    /// ISO week labels checked against the calendar (e.g. `date -d 2021-01-03 +%G-W%V`).
    #[test]
    fn iso_weeks() {
        let week = |y, m, d| Period::IsoWeek.label(Period::IsoWeek.index_of_date(date(y, m, d)));
        assert_eq!(week(1970, 1, 1), "1970-W01");
        assert_eq!(week(2021, 1, 3), "2020-W53");
        assert_eq!(week(2021, 1, 4), "2021-W01");
        assert_eq!(week(2024, 12, 30), "2025-W01");
        assert_eq!(week(2025, 12, 28), "2025-W52");
        assert_eq!(week(2026, 1, 1), "2026-W01");
        let monday = date(2025, 9, 8);
        let index = Period::IsoWeek.index_of_date(monday);
        assert_eq!(Period::IsoWeek.start(index), monday);
        assert_eq!(Period::IsoWeek.index_of_date(date(2025, 9, 14)), index);
        assert_eq!(Period::IsoWeek.index_of_date(date(2025, 9, 15)), index + 1);
    }

    #[test]
    fn months_and_28_day_periods() {
        let september = YearMonth::new(2025, 9).unwrap();
        let index = Period::Month.index_of_month(september).unwrap();
        assert_eq!(index, Period::Month.index_of_date(date(2025, 9, 30)));
        assert_eq!(Period::Month.start(index), date(2025, 9, 1));
        assert_eq!(Period::Month.label(index + 4), "2026-01");
        assert_eq!(Period::IsoWeek.index_of_month(september), None);

        let p = Period::Days28 { origin: DEFAULT_28_DAY_ORIGIN };
        assert_eq!(p.index_of_date(date(2024, 1, 1)), 0);
        assert_eq!(p.index_of_date(date(2024, 1, 28)), 0);
        assert_eq!(p.index_of_date(date(2024, 1, 29)), 1);
        assert_eq!(p.index_of_date(date(2023, 12, 31)), -1);
        assert_eq!(p.start(1), date(2024, 1, 29));
        assert_eq!(p.label(-1), "2023-12-04+28d");
    }
}
