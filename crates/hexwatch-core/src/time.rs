//! Time with an explicit precision.

use std::fmt;
use std::str::FromStr;

/// How precisely an incident's time is known.
///
/// police.uk street data gives the month only; partner systems give timestamps or from–to
/// windows. Weekday filters need [`TimePrecision::Day`] or finer, hour filters
/// [`TimePrecision::Hour`] or finer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum TimePrecision {
    /// Only the calendar month is known (police.uk).
    Month,
    /// The day is known, not the time of day.
    Day,
    /// The hour is known (e.g. Toronto's `occurrencehour`), not the minute.
    Hour,
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
            Self::Hour => "hour",
            Self::Minute => "minute",
        }
    }

    /// Parses [`TimePrecision::as_str`] back.
    #[must_use]
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "month" => Some(Self::Month),
            "day" => Some(Self::Day),
            "hour" => Some(Self::Hour),
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

/// Minutes in a week: minute-of-week values run from 0 (Monday 00:00) to 10,079.
pub const MINUTES_PER_WEEK: u32 = 7 * 24 * 60;

/// Hour-of-week bins: Monday 00:00–00:59 is bin 0, Sunday 23:00–23:59 bin 167.
pub const HOURS_PER_WEEK: usize = 168;

/// Weekday names as the `weekdays` filter takes them, Monday first.
pub const WEEKDAY_NAMES: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// When an incident may have happened within the week, in local wall-clock time.
///
/// A single time known to the minute has `window_min == 0`. Coarser precisions and from–to
/// windows are windows: an hour-precision time is the 60 minutes from HH:00, a
/// day-precision date the 1,440 minutes from 00:00, a from–to pair its wall-clock span.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct WeekTime {
    /// Local minute of the week at which the window starts (Monday 00:00 = 0).
    pub start_minute: u16,
    /// Length of the window in wall-clock minutes (0: an instant).
    pub window_min: u32,
}

impl WeekTime {
    /// The hour-of-week bins the window touches, each with the minutes it spends there
    /// (an instant: its one bin with 0 minutes). Windows of a week or more touch every bin.
    fn bins(self) -> impl Iterator<Item = (usize, u32)> {
        let start = u32::from(self.start_minute);
        let end = start + self.window_min;
        let first = start / 60;
        let last = if self.window_min == 0 { first } else { (end - 1) / 60 };
        let last = last.min(first + 167);
        (first..=last).map(move |b| {
            let (lo, hi) = (start.max(b * 60), end.min((b + 1) * 60));
            ((b % 168) as usize, hi.saturating_sub(lo))
        })
    }

    /// Whether every hour of the window falls in the kept `hours` (bit h = hour h) and
    /// `weekdays` (bit d = day d, Monday 0): a window is kept only when it lies wholly in
    /// the selected hours, so counts never include an incident that may have happened
    /// outside them.
    #[must_use]
    pub fn within(self, hours: u32, weekdays: u8) -> bool {
        self.bins().all(|(b, _)| hours & (1 << (b % 24)) != 0 && weekdays & (1 << (b / 24)) != 0)
    }

    /// Adds `weight` to the hour-of-week `bins` aoristically (Ratcliffe 2000, "Aoristic
    /// analysis: the spatial interpretation of unspecific temporal events", IJGIS
    /// 14(7)): an instant puts it all in its bin; a window spreads it in proportion to the
    /// minutes it spends in each bin (a week or more: evenly over the week).
    pub fn add_aoristic(self, bins: &mut [f64; HOURS_PER_WEEK], weight: f64) {
        if self.window_min == 0 {
            bins[usize::from(self.start_minute) / 60 % 168] += weight;
        } else if self.window_min >= MINUTES_PER_WEEK {
            for b in bins.iter_mut() {
                *b += weight / 168.0;
            }
        } else {
            let total = f64::from(self.window_min);
            for (b, minutes) in self.bins() {
                bins[b] += weight * f64::from(minutes) / total;
            }
        }
    }
}

/// Parses an `hours` filter: comma-separated hours (0–23) and ranges `a-b` from a:00 up to
/// b:00 (end excluded; `22-3` wraps past midnight to 22, 23, 0, 1, 2). Returns bit h set
/// for each hour h kept.
///
/// # Errors
/// A message naming the bad piece.
pub fn parse_hours(text: &str) -> Result<u32, String> {
    let hour = |t: &str| -> Result<u32, String> {
        t.trim()
            .trim_end_matches(":00")
            .parse::<u32>()
            .ok()
            .filter(|h| *h <= 24)
            .ok_or_else(|| format!("{t:?} is not an hour 0–23"))
    };
    let mut mask = 0_u32;
    let pieces: Vec<&str> = text.split(',').map(str::trim).filter(|p| !p.is_empty()).collect();
    if pieces.is_empty() || pieces.len() > 24 {
        return Err("give 1 to 24 hours or ranges, e.g. 22-3 or 8,9,17-19".to_owned());
    }
    for piece in pieces {
        if let Some((a, b)) = piece.split_once('-') {
            let (from, to) = (hour(a)?, hour(b)?);
            if from == to {
                return Err(format!("{piece:?} is an empty range (end is excluded)"));
            }
            let (a, b) = (from % 24, to % 24);
            let mut h = a;
            loop {
                mask |= 1 << h;
                h = (h + 1) % 24;
                if h == b {
                    break;
                }
            }
        } else {
            let h = hour(piece)?;
            if h == 24 {
                return Err(format!("{piece:?} is not an hour 0–23"));
            }
            mask |= 1 << h;
        }
    }
    Ok(mask)
}

/// Parses a `weekdays` filter: comma-separated `mon`…`sun` (or full names) and ranges
/// `fri-sun`, `sat-mon` (inclusive, wrapping). Returns bit d set for each day kept, Monday 0.
///
/// # Errors
/// A message naming the bad piece.
pub fn parse_weekdays(text: &str) -> Result<u8, String> {
    let day = |t: &str| -> Result<u8, String> {
        let t = t.trim().to_ascii_lowercase();
        WEEKDAY_NAMES
            .iter()
            .position(|d| {
                // ASCII letters first: `t[..3]` must not cut a multi-byte character (a panic
                // the fuzz target `api_query` found with `weekdays=mié`).
                t.len() >= 3 && t.chars().all(|c| c.is_ascii_alphabetic()) && d.starts_with(&t[..3])
            })
            .and_then(|d| u8::try_from(d).ok())
            .ok_or_else(|| format!("{t:?} is not a weekday (mon, tue, wed, thu, fri, sat, sun)"))
    };
    let mut mask = 0_u8;
    let pieces: Vec<&str> = text.split(',').map(str::trim).filter(|p| !p.is_empty()).collect();
    if pieces.is_empty() || pieces.len() > 7 {
        return Err("give 1 to 7 weekdays or ranges, e.g. fri,sat or mon-fri".to_owned());
    }
    for piece in pieces {
        if let Some((a, b)) = piece.split_once('-') {
            let (a, b) = (day(a)?, day(b)?);
            let mut d = a;
            loop {
                mask |= 1 << d;
                if d == b {
                    break;
                }
                d = (d + 1) % 7;
            }
        } else {
            mask |= 1 << day(piece)?;
        }
    }
    Ok(mask)
}

#[cfg(test)]
mod week_tests {
    use super::*;

    #[test]
    fn hours_and_weekdays_parse_with_wrapping_ranges() {
        assert_eq!(parse_hours("22-3").unwrap(), (1 << 22) | (1 << 23) | 0b111);
        assert_eq!(parse_hours("8,17-19").unwrap(), (1 << 8) | (1 << 17) | (1 << 18));
        assert_eq!(parse_hours("0-24").unwrap(), (1 << 24) - 1);
        assert!(parse_hours("25").is_err() && parse_hours("3-3").is_err() && parse_hours("x").is_err());
        assert_eq!(parse_weekdays("fri,sat").unwrap(), 0b011_0000);
        assert_eq!(parse_weekdays("Saturday-mon").unwrap(), 0b110_0001);
        assert!(parse_weekdays("funday").is_err());
        // Regression (fuzz/regressions/api_query/): a multi-byte character across byte 3.
        for text in ["mié", "maña", "ééi", "\u{fffd}\u{fffd}i"] {
            let message = parse_weekdays(text).unwrap_err();
            assert!(message.contains("is not a weekday"), "{text:?}: {message}");
        }
    }

    #[test]
    fn windows_are_kept_only_inside_the_selection_and_spread_aoristically() {
        // Friday 23:30 instant; Friday 23:00 for an hour; Friday 22:30 to Saturday 01:30.
        let fri = 4 * 1440;
        let at = |m: u32, w: u32| WeekTime { start_minute: u16::try_from(fri + m).unwrap(), window_min: w };
        let (night, fri_sat) = (parse_hours("22-3").unwrap(), parse_weekdays("fri,sat").unwrap());
        assert!(at(23 * 60 + 30, 0).within(night, fri_sat));
        assert!(at(23 * 60, 60).within(night, fri_sat));
        assert!(at(22 * 60 + 30, 180).within(night, fri_sat));
        assert!(!at(22 * 60 + 30, 300).within(night, fri_sat), "runs to 03:30");
        assert!(!at(0, 1440).within(night, fri_sat), "a whole day is not all night");
        let mut bins = [0.0; HOURS_PER_WEEK];
        at(22 * 60 + 30, 180).add_aoristic(&mut bins, 1.0);
        // 30 min in Fri 22h, 60 in Fri 23h, 60 in Sat 00h, 30 in Sat 01h.
        let b = |day: usize, h: usize| bins[day * 24 + h];
        assert_eq!((b(4, 22), b(4, 23), b(5, 0), b(5, 1)), (1.0 / 6.0, 1.0 / 3.0, 1.0 / 3.0, 1.0 / 6.0));
        // Sunday 23:30 for an hour wraps into Monday 00h.
        let mut wrap = [0.0; HOURS_PER_WEEK];
        WeekTime { start_minute: u16::try_from(6 * 1440 + 23 * 60 + 30).unwrap(), window_min: 60 }
            .add_aoristic(&mut wrap, 2.0);
        assert_eq!((wrap[167], wrap[0]), (1.0, 1.0));
        assert!((wrap.iter().sum::<f64>() - 2.0).abs() < 1e-12);
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
