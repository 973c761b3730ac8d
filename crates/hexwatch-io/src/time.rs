//! Incident times: wall-clock text in a time zone (DST-correct, via jiff) to the stored
//! local start/end, UTC instants and the week position used by hour and weekday filters.

use hexwatch_core::{TimePrecision, WeekTime, YearMonth};
use jiff::civil::{Date, DateTime, Time};
use jiff::tz::{AmbiguousOffset, TimeZone};
use jiff::{SignedDuration, Timestamp};

/// The stored text of a local wall-clock time (`YYYY-MM-DDTHH:MM`).
const LOCAL_FORMAT: &str = "%Y-%m-%dT%H:%M";

/// How a wall-clock time met its time zone's transitions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Transitions {
    /// Times in a repeated (autumn) hour: the earlier offset was taken.
    pub(crate) ambiguous: u64,
    /// Times in a skipped (spring) hour: moved forward by the gap.
    pub(crate) nonexistent: u64,
}

/// An incident's time as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct IncidentTime {
    /// Local month of the start.
    pub(crate) month: YearMonth,
    /// How precisely the time is known.
    pub(crate) precision: TimePrecision,
    /// Local start, `YYYY-MM-DDTHH:MM`.
    pub(crate) local_start: String,
    /// Local end (exclusive) of a from–to window.
    pub(crate) local_end: Option<String>,
    /// UTC instant of the start, RFC 3339.
    pub(crate) start_utc: String,
    /// UTC instant of the end of a window.
    pub(crate) end_utc: Option<String>,
}

/// How far past the moment of ingest an incident's start may lie before it is rejected
/// as in the future: the clock of a sending system may run a little ahead of ours.
pub(crate) const CLOCK_SKEW_ALLOWED: SignedDuration = SignedDuration::from_mins(15);

/// The latest month an incident can be in now: the current month where it is latest on
/// Earth (UTC+14), so that no time zone's current month is taken for a future one.
pub(crate) fn latest_month() -> YearMonth {
    let zoned = Timestamp::now().to_zoned_datetime(TimeZone::fixed(jiff::tz::offset(14)));
    YearMonth::new(i32::from(zoned.year()), u32::from(zoned.month().unsigned_abs()))
        .unwrap_or_else(|_| YearMonth::new(2999, 12).expect("2999-12 is a valid month"))
}

/// A time zone for reading incident times.
#[derive(Debug, Clone)]
pub(crate) struct Zone {
    tz: TimeZone,
    name: String,
    /// When the zone was made for an ingest: starts after it plus [`CLOCK_SKEW_ALLOWED`]
    /// are in the future, rejected.
    now: Timestamp,
}

/// One end of a time: its local wall clock and UTC instant.
#[derive(Debug, Clone, Copy)]
struct Moment {
    local: DateTime,
    utc: Timestamp,
}

impl Zone {
    /// The IANA zone `name` (e.g. `Europe/London`, `America/Chicago`), from jiff's bundled
    /// tz database.
    pub(crate) fn new(name: &str) -> Result<Self, String> {
        let tz = TimeZone::get(name).map_err(|e| format!("unknown time zone {name:?}: {e}"))?;
        Ok(Self { tz, name: name.to_owned(), now: Timestamp::now() })
    }

    /// The zone's name.
    pub(crate) fn name(&self) -> &str {
        &self.name
    }

    /// A wall-clock time in this zone: the repeated autumn hour takes the earlier offset,
    /// the skipped spring hour moves forward by the gap; both are counted.
    fn civil(&self, local: DateTime, seen: &mut Transitions) -> Result<Moment, String> {
        let ambiguous = self.tz.to_ambiguous_zoned_datetime(local);
        match ambiguous.offset() {
            AmbiguousOffset::Unambiguous { .. } => {}
            AmbiguousOffset::Fold { .. } => seen.ambiguous += 1,
            AmbiguousOffset::Gap { .. } => seen.nonexistent += 1,
        }
        let zoned = ambiguous.compatible().map_err(|e| format!("{local} in {}: {e}", self.name))?;
        Ok(Moment { local: zoned.datetime(), utc: zoned.timestamp() })
    }

    /// Parses `text` with the strftime `format`: a wall-clock time in this zone, or an
    /// instant when the text carries a UTC offset (`%z`), converted to this zone.
    fn moment(&self, text: &str, format: &str, seen: &mut Transitions) -> Result<Moment, String> {
        let parsed = jiff::fmt::strtime::parse(format, text.trim())
            .map_err(|e| format!("{text:?} does not match the format {format:?}: {e}"))?;
        if parsed.offset().is_some() {
            let utc = parsed.to_timestamp().map_err(|e| format!("{text:?}: {e}"))?;
            let local = utc.to_zoned_datetime(self.tz.clone()).datetime();
            return Ok(Moment { local, utc });
        }
        let local = match parsed.to_datetime() {
            Ok(dt) => dt,
            Err(_) => parsed.to_date().map_err(|e| format!("{text:?}: {e}"))?.to_datetime(Time::midnight()),
        };
        self.civil(local, seen)
    }

    /// A timestamp column: `precision` says how much of it is meaningful (minute, hour
    /// or day).
    pub(crate) fn point(
        &self,
        text: &str,
        format: &str,
        precision: TimePrecision,
        seen: &mut Transitions,
    ) -> Result<IncidentTime, String> {
        let m = self.moment(text, format, seen)?;
        let local = truncate(m.local, precision);
        let start = if local == m.local { m } else { self.civil(local, &mut Transitions::default())? };
        self.incident_time(start, None, precision)
    }

    /// A date column (an instant's date in this zone when it carries an offset, as
    /// Toronto's local midnights written in UTC) plus an optional hour column (0–23).
    pub(crate) fn date_hour(
        &self,
        date_text: &str,
        format: &str,
        hour_text: Option<&str>,
        seen: &mut Transitions,
    ) -> Result<IncidentTime, String> {
        let date: Date = self.moment(date_text, format, &mut Transitions::default())?.local.date();
        let Some(h) = hour_text.map(str::trim) else {
            let start = self.civil(date.to_datetime(Time::midnight()), seen)?;
            return self.incident_time(start, None, TimePrecision::Day);
        };
        let hour: i8 = h
            .parse()
            .ok()
            .filter(|h| (0..=23).contains(h))
            .ok_or_else(|| format!("hour {h:?} is not 0–23"))?;
        let time = Time::new(hour, 0, 0, 0).map_err(|e| e.to_string())?;
        let start = self.civil(date.to_datetime(time), seen)?;
        self.incident_time(start, None, TimePrecision::Hour)
    }

    /// A from–to window; the end must not precede the start. Equal ends are an instant.
    pub(crate) fn window(
        &self,
        from_text: &str,
        to_text: &str,
        format: &str,
        precision: TimePrecision,
        seen: &mut Transitions,
    ) -> Result<IncidentTime, String> {
        let from = self.moment(from_text, format, seen)?;
        let to = self.moment(to_text, format, seen)?;
        if to.utc < from.utc {
            return Err(format!("the end {to_text:?} is before the start {from_text:?}"));
        }
        let from_local = truncate(from.local, precision);
        let start = if from_local == from.local {
            from
        } else {
            self.civil(from_local, &mut Transitions::default())?
        };
        self.incident_time(start, (to.utc > from.utc).then_some(to), precision)
    }
}

impl Zone {
    /// One of the posted schema's forms: `YYYY-MM` (month), `YYYY-MM-DD` (day),
    /// `YYYY-MM-DDTHH:MM[:SS]` or with a space (minute, wall clock here), or RFC 3339 with an
    /// offset or `Z` (an instant, minute). Returns the moment (none for a month) and the
    /// precision the text gives.
    fn any(&self, text: &str, seen: &mut Transitions) -> Result<(Moment, TimePrecision), String> {
        let t = text.trim();
        if t.len() == 7 {
            let month: YearMonth = t.parse().map_err(|e| format!("{e}"))?;
            let first = Date::new(
                i16::try_from(month.year()).map_err(|e| e.to_string())?,
                i8::try_from(month.month()).map_err(|e| e.to_string())?,
                1,
            )
            .map_err(|e| e.to_string())?;
            let m = self.civil(first.to_datetime(Time::midnight()), &mut Transitions::default())?;
            return Ok((m, TimePrecision::Month));
        }
        if t.len() == 10 {
            return Ok((self.moment(t, "%Y-%m-%d", seen)?, TimePrecision::Day));
        }
        if let Ok(utc) = t.parse::<Timestamp>() {
            return Ok((
                Moment { local: utc.to_zoned_datetime(self.tz.clone()).datetime(), utc },
                TimePrecision::Minute,
            ));
        }
        let normal = t.replacen(' ', "T", 1);
        let format = if normal.len() == 16 { "%Y-%m-%dT%H:%M" } else { "%Y-%m-%dT%H:%M:%S" };
        Ok((self.moment(&normal, format, seen)?, TimePrecision::Minute))
    }

    /// A posted time or from–to window (see [`Zone::any`] for the forms); `precision`, when
    /// given, may only coarsen what the text gives.
    pub(crate) fn flexible(
        &self,
        from: &str,
        to: Option<&str>,
        precision: Option<TimePrecision>,
        seen: &mut Transitions,
    ) -> Result<IncidentTime, String> {
        let (start, given) = self.any(from, seen)?;
        let precision = precision.map_or(given, |p| p.min(given));
        let start = {
            let local = truncate(start.local, precision);
            if local == start.local { start } else { self.civil(local, &mut Transitions::default())? }
        };
        let end = match to {
            None => None,
            Some(t) => {
                let (end, _) = self.any(t, seen)?;
                if end.utc < start.utc {
                    return Err(format!("the end {t:?} is before the start {from:?}"));
                }
                (end.utc > start.utc).then_some(end)
            }
        };
        self.incident_time(start, end, precision)
    }

    /// The stored time of a start and optional end, or why it is refused: a start after
    /// the moment of ingest (plus [`CLOCK_SKEW_ALLOWED`]) is in the future.
    fn incident_time(
        &self,
        start: Moment,
        end: Option<Moment>,
        precision: TimePrecision,
    ) -> Result<IncidentTime, String> {
        if start.utc.duration_since(self.now) > CLOCK_SKEW_ALLOWED {
            return Err(format!(
                "{} ({}) is in the future: after the time of ingest, {}",
                start.local.strftime(LOCAL_FORMAT),
                start.utc,
                self.now.round(jiff::Unit::Second).unwrap_or(self.now)
            ));
        }
        incident_time(start, end, precision)
    }
}

/// Drops what `precision` does not know (the minutes of an hour-precision time, the time
/// of a day-precision one).
fn truncate(dt: DateTime, precision: TimePrecision) -> DateTime {
    match precision {
        TimePrecision::Hour => {
            dt.date().to_datetime(Time::new(dt.hour(), 0, 0, 0).unwrap_or(Time::midnight()))
        }
        TimePrecision::Day | TimePrecision::Month => dt.date().to_datetime(Time::midnight()),
        _ => dt.date().to_datetime(Time::new(dt.hour(), dt.minute(), 0, 0).unwrap_or(Time::midnight())),
    }
}

fn incident_time(
    start: Moment,
    end: Option<Moment>,
    precision: TimePrecision,
) -> Result<IncidentTime, String> {
    let month = YearMonth::new(i32::from(start.local.year()), u32::from(start.local.month().unsigned_abs()))
        .map_err(|e| e.to_string())?;
    Ok(IncidentTime {
        month,
        precision,
        local_start: start.local.strftime(LOCAL_FORMAT).to_string(),
        local_end: end.map(|e| e.local.strftime(LOCAL_FORMAT).to_string()),
        start_utc: start.utc.to_string(),
        end_utc: end.map(|e| e.utc.to_string()),
    })
}

/// The week position of a stored time: start minute of the week (Monday 00:00 = 0) and the
/// window in wall-clock minutes: the span to `local_end` when given, else 60 for
/// hour-precision, 1,440 for day-precision and 0 for minute-precision times.
///
/// # Errors
/// A message when the text is not `YYYY-MM-DDTHH:MM`.
pub(crate) fn week_time(
    local_start: &str,
    local_end: Option<&str>,
    precision: TimePrecision,
) -> Result<WeekTime, String> {
    let parse = |t: &str| DateTime::strptime(LOCAL_FORMAT, t).map_err(|e| format!("{t:?}: {e}"));
    let start = parse(local_start)?;
    let by_precision = match precision {
        TimePrecision::Hour => 60,
        TimePrecision::Day | TimePrecision::Month => 1440,
        _ => 0,
    };
    let window_min = match local_end {
        Some(end) => {
            let span: SignedDuration = parse(end)?.duration_since(start);
            u32::try_from(span.as_mins()).unwrap_or(0).max(by_precision)
        }
        None => by_precision,
    };
    let minute = u32::from(start.weekday().to_monday_zero_offset().unsigned_abs()) * 1440
        + u32::from(start.hour().unsigned_abs()) * 60
        + u32::from(start.minute().unsigned_abs());
    Ok(WeekTime { start_minute: u16::try_from(minute).unwrap_or(0), window_min })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Chicago's autumn fall-back: 2010-11-07 01:30 happens twice; the earlier offset
    /// (CDT, −05:00) gives 06:30Z, as the partner fixture records for file line 15366.
    #[test]
    fn repeated_hour_takes_the_earlier_offset_and_is_counted() {
        let zone = Zone::new("America/Chicago").unwrap();
        let mut seen = Transitions::default();
        let t = zone.point("2010-11-07 01:30", "%Y-%m-%d %H:%M", TimePrecision::Minute, &mut seen).unwrap();
        assert_eq!(t.start_utc, "2010-11-07T06:30:00Z");
        assert_eq!(t.local_start, "2010-11-07T01:30");
        assert_eq!(seen, Transitions { ambiguous: 1, nonexistent: 0 });
        // The spring gap: 02:30 on 2010-03-14 does not exist and moves to 03:30 CDT.
        let gap = zone.point("2010-03-14 02:30", "%Y-%m-%d %H:%M", TimePrecision::Minute, &mut seen).unwrap();
        assert_eq!(
            (gap.local_start.as_str(), gap.start_utc.as_str()),
            ("2010-03-14T03:30", "2010-03-14T08:30:00Z")
        );
        assert_eq!(seen.nonexistent, 1);
    }

    /// Toronto: a local midnight written in UTC (`04:00:00+00` in summer) is that local
    /// date; the hour comes from its own column.
    #[test]
    fn toronto_date_is_local_and_hour_comes_from_its_column() {
        let zone = Zone::new("America/Toronto").unwrap();
        let mut seen = Transitions::default();
        let t = zone
            .date_hour("2016/08/20 04:00:00+00", "%Y/%m/%d %H:%M:%S%:::z", Some("10"), &mut seen)
            .unwrap();
        assert_eq!(t.local_start, "2016-08-20T10:00");
        assert_eq!(t.start_utc, "2016-08-20T14:00:00Z");
        assert_eq!(t.precision, TimePrecision::Hour);
        let w = week_time(&t.local_start, None, t.precision).unwrap();
        // Saturday 10:00: day 5.
        assert_eq!(w, WeekTime { start_minute: 5 * 1440 + 600, window_min: 60 });
        assert!(
            zone.date_hour("2016/08/20 04:00:00+00", "%Y/%m/%d %H:%M:%S%:::z", Some("24"), &mut seen)
                .is_err()
        );
    }

    #[test]
    fn london_windows_span_wall_clock_minutes() {
        let zone = Zone::new("Europe/London").unwrap();
        let mut seen = Transitions::default();
        let t = zone
            .window(
                "2025-03-29 23:00",
                "2025-03-30 03:00",
                "%Y-%m-%d %H:%M",
                TimePrecision::Minute,
                &mut seen,
            )
            .unwrap();
        // 23:00 GMT to 03:00 BST is 3 hours elapsed but 4 on the wall clock.
        assert_eq!(t.end_utc.as_deref(), Some("2025-03-30T02:00:00Z"));
        let w = week_time(&t.local_start, t.local_end.as_deref(), t.precision).unwrap();
        assert_eq!(w.window_min, 240);
        assert!(
            zone.window(
                "2025-03-30 03:00",
                "2025-03-29 23:00",
                "%Y-%m-%d %H:%M",
                TimePrecision::Minute,
                &mut seen
            )
            .is_err()
        );
        assert_eq!(zone.name(), "Europe/London");
    }

    #[test]
    fn future_starts_are_refused() {
        let zone = Zone::new("Europe/London").unwrap();
        let mut seen = Transitions::default();
        let err =
            zone.point("2099-01-01 10:00", "%Y-%m-%d %H:%M", TimePrecision::Minute, &mut seen).unwrap_err();
        assert!(err.starts_with("2099-01-01T10:00 (2099-01-01T10:00:00Z) is in the future"), "{err}");
        assert!(zone.flexible("2099-01", None, None, &mut seen).unwrap_err().contains("in the future"));
        assert!(zone.flexible("2025-01", None, None, &mut seen).is_ok());
        assert!(latest_month() >= YearMonth::new(2026, 11).unwrap());
    }
}
