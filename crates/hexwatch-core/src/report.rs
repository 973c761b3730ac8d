//! The partnership pack's key performance indicators: counts for the month, the quarter to
//! date and the year to date of each category and flag, against the previous equal period
//! and the same period a year earlier, each change judged by the E-test for two Poisson
//! rates ([`crate::stats::poisson_means_test`]) with Benjamini–Hochberg FDR across the
//! table, never by a bare percentage.
//!
//! Periods are calendar months; the quarter is the calendar quarter (Q4 = October to
//! December); the year to date runs from January to the period. A comparison is made only
//! where the data cover every month of the comparison period; otherwise it says so
//! ([`Comparison::NoData`]) rather than compare with zeros.

use rayon::prelude::*;

use crate::filter::Filter;
use crate::incident::IncidentTable;
use crate::stats::{PoissonMeansTest, RateAlternative, bh_adjusted, poisson_means_test};
use crate::time::YearMonth;

/// An inclusive range of months.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MonthRange {
    /// First month (inclusive).
    pub from: YearMonth,
    /// Last month (inclusive).
    pub to: YearMonth,
}

impl MonthRange {
    /// The months `from..=to` (`from ≤ to`).
    #[must_use]
    pub const fn new(from: YearMonth, to: YearMonth) -> Self {
        Self { from, to }
    }

    /// Number of months (at least 1 when `from ≤ to`).
    #[must_use]
    pub fn months(self) -> u32 {
        self.from.months_through(self.to)
    }

    /// The same range `n` months later (earlier when negative).
    #[must_use]
    pub const fn shift(self, n: i32) -> Self {
        Self { from: self.from.add_months(n), to: self.to.add_months(n) }
    }

    /// Whether `self` lies within `outer`.
    #[must_use]
    pub fn within(self, outer: Self) -> bool {
        outer.from <= self.from && self.to <= outer.to
    }

    /// `2025-12` for one month, `2025-10 to 2025-12` otherwise.
    #[must_use]
    pub fn label(self) -> String {
        if self.from == self.to { self.from.to_string() } else { format!("{} to {}", self.from, self.to) }
    }
}

/// One of the pack's three windows ending at the period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Window {
    /// The period's month.
    Month,
    /// The calendar quarter from its first month to the period.
    QuarterToDate,
    /// January to the period.
    YearToDate,
}

impl Window {
    /// The three windows in the pack's order.
    pub const ALL: [Self; 3] = [Self::Month, Self::QuarterToDate, Self::YearToDate];

    /// Stable name (`month`, `quarter`, `year_to_date`).
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Month => "month",
            Self::QuarterToDate => "quarter",
            Self::YearToDate => "year_to_date",
        }
    }

    /// The window's months ending at `period`.
    #[must_use]
    pub fn range(self, period: YearMonth) -> MonthRange {
        let from = match self {
            Self::Month => period,
            Self::QuarterToDate => period.add_months(-i32::try_from((period.month() - 1) % 3).unwrap_or(0)),
            Self::YearToDate => period.add_months(-i32::try_from(period.month() - 1).unwrap_or(0)),
        };
        MonthRange::new(from, period)
    }

    /// The previous equal period of `range`: the month before; the same months of the
    /// previous quarter; for the year to date the range of equal length just before it.
    #[must_use]
    pub fn previous(self, range: MonthRange) -> MonthRange {
        match self {
            Self::Month => range.shift(-1),
            Self::QuarterToDate => range.shift(-3),
            Self::YearToDate => range.shift(-i32::try_from(range.months()).unwrap_or(0)),
        }
    }

    /// A human label for a row of `range`: `Month 2025-12`, `Q4 2025 (2025-10 to 2025-12)`,
    /// `Year to date (2025-01 to 2025-12)`.
    #[must_use]
    pub fn label(self, range: MonthRange) -> String {
        match self {
            Self::Month => format!("Month {}", range.to),
            Self::QuarterToDate => {
                format!("Q{} {} ({})", (range.to.month() - 1) / 3 + 1, range.to.year(), range.label())
            }
            Self::YearToDate => format!("Year to date ({})", range.label()),
        }
    }
}

/// What a KPI row counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Measure {
    /// Every selected incident.
    All,
    /// One category (index of [`IncidentTable::categories`]).
    Category(usize),
    /// Incidents carrying one flag (bit index of [`IncidentTable::flag_names`]).
    Flag(usize),
}

/// Counts per month of a selection from its first to its last month, per category and flag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MonthlySeries {
    /// The months covered, consecutive (the table's month span).
    pub span: MonthRange,
    /// All selected incidents per month of `span`.
    pub all: Vec<u64>,
    /// `by_category[c][m]`: incidents of category `c` in month `m` of `span`.
    pub by_category: Vec<Vec<u64>>,
    /// `by_flag[f][m]`: incidents carrying flag bit `f` in month `m` of `span`.
    pub by_flag: Vec<Vec<u64>>,
}

impl MonthlySeries {
    /// Counts per month of the incidents `filter` keeps, ignoring its month range, over the
    /// table's month span. `None` when the table is empty.
    #[must_use]
    pub fn of(table: &IncidentTable, filter: &Filter) -> Option<Self> {
        let (first, last) = table.month_span()?;
        let span = MonthRange::new(first, last);
        let filter = Filter { from: None, to: None, ..filter.clone() };
        let months = usize::try_from(span.months()).unwrap_or(0);
        let (n_cat, n_flag) = (table.categories().len(), table.flag_names().len());
        let mask = filter.category_mask(n_cat);
        let area = filter.area_test(table);
        let zero = || (vec![vec![0_u64; months]; n_cat], vec![vec![0_u64; months]; n_flag]);
        let (by_category, by_flag) = (0..table.len())
            .into_par_iter()
            .with_min_len(16_384)
            .fold(zero, |mut acc, i| {
                if filter.keeps_incident(table, &mask, &area, i) {
                    let m = usize::try_from(table.month_column()[i].ordinal() - first.ordinal()).unwrap_or(0);
                    acc.0[table.category_column()[i].index()][m] += 1;
                    let flags = table.flags(i);
                    for (f, row) in acc.1.iter_mut().enumerate() {
                        if flags & (1 << f) != 0 {
                            row[m] += 1;
                        }
                    }
                }
                acc
            })
            .reduce(zero, |mut a, b| {
                for (x, y) in a.0.iter_mut().flatten().zip(b.0.into_iter().flatten()) {
                    *x += y;
                }
                for (x, y) in a.1.iter_mut().flatten().zip(b.1.into_iter().flatten()) {
                    *x += y;
                }
                a
            });
        let all = (0..months).map(|m| by_category.iter().map(|row| row[m]).sum()).collect();
        Some(Self { span, all, by_category, by_flag })
    }

    /// The monthly counts of a measure (empty for an unknown category or flag).
    #[must_use]
    pub fn series(&self, measure: Measure) -> &[u64] {
        match measure {
            Measure::All => &self.all,
            Measure::Category(c) => self.by_category.get(c).map_or(&[], Vec::as_slice),
            Measure::Flag(f) => self.by_flag.get(f).map_or(&[], Vec::as_slice),
        }
    }

    /// The count of a measure over `range`, or `None` when the data do not cover every
    /// month of it.
    #[must_use]
    pub fn sum(&self, measure: Measure, range: MonthRange) -> Option<u64> {
        if !range.within(self.span) {
            return None;
        }
        let start = usize::try_from(range.from.ordinal() - self.span.from.ordinal()).ok()?;
        let len = usize::try_from(range.months()).ok()?;
        Some(self.series(measure).get(start..start + len)?.iter().sum())
    }

    /// The month of index `i` of the series.
    #[must_use]
    pub fn month(&self, i: usize) -> YearMonth {
        self.span.from.add_months(i32::try_from(i).unwrap_or(0))
    }
}

/// The trailing mean of `window` months ending at each month (`None` until `window` months
/// are available): the rolling 12-month mean of the pack's charts with `window` = 12.
#[must_use]
pub fn rolling_mean(counts: &[u64], window: usize) -> Vec<Option<f64>> {
    (0..counts.len())
        .map(|i| {
            (window > 0 && i + 1 >= window).then(|| {
                #[expect(clippy::cast_precision_loss, reason = "counts and windows are far below 2^52")]
                let mean = counts[i + 1 - window..=i].iter().sum::<u64>() as f64 / window as f64;
                mean
            })
        })
        .collect()
}

/// A KPI's comparison with an earlier period.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Comparison {
    /// The data do not cover every month of the comparison period: no comparison.
    NoData {
        /// The period it would have been.
        range: MonthRange,
    },
    /// Compared with the E-test (two-sided, equal exposures in months).
    Compared {
        /// The comparison period.
        range: MonthRange,
        /// Its count.
        count: u64,
        /// `100·(current − earlier)/earlier`, `None` when the earlier count is 0.
        change_pct: Option<f64>,
        /// The E-test of the current against the earlier count.
        test: PoissonMeansTest,
        /// Benjamini–Hochberg adjusted p-value across every comparison of the table.
        q_value: f64,
    },
}

impl Comparison {
    /// The comparison period.
    #[must_use]
    pub const fn range(&self) -> MonthRange {
        match self {
            Self::NoData { range } | Self::Compared { range, .. } => *range,
        }
    }

    /// The earlier count when compared.
    #[must_use]
    pub const fn count(&self) -> Option<u64> {
        match self {
            Self::NoData { .. } => None,
            Self::Compared { count, .. } => Some(*count),
        }
    }

    /// Whether the change is significant at FDR level `alpha` (`q ≤ alpha`).
    #[must_use]
    pub fn significant(&self, alpha: f64) -> bool {
        matches!(self, Self::Compared { q_value, .. } if *q_value <= alpha)
    }
}

/// One KPI: a measure over a window, with its two comparisons.
#[derive(Debug, Clone, PartialEq)]
pub struct KpiRow {
    /// What is counted.
    pub measure: Measure,
    /// `All crime`, the category's name, or `Flag: <name>`.
    pub label: String,
    /// Which window.
    pub window: Window,
    /// The window's months.
    pub range: MonthRange,
    /// Incidents in the window.
    pub count: u64,
    /// Against the previous equal period ([`Window::previous`]).
    pub previous: Comparison,
    /// Against the same months a year earlier.
    pub year_earlier: Comparison,
}

/// Why KPIs could not be computed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KpiError {
    /// The period lies outside the data.
    #[error("invalid period {period}: the data cover {first} to {last}")]
    PeriodOutsideData {
        /// The period asked for.
        period: YearMonth,
        /// First month of the data.
        first: YearMonth,
        /// Last month of the data.
        last: YearMonth,
    },
}

/// The KPI rows of `period`: for the whole selection, then each category with incidents in
/// the data's span (busiest over the span first, ties by name), then each flag, the three
/// [`Window`]s each. Changes are two-sided E-tests with equal exposures (the months of the
/// window), and the q-values are Benjamini–Hochberg across every comparison made.
///
/// # Errors
/// [`KpiError::PeriodOutsideData`] when `period` is not within `series.span`.
pub fn kpis(
    table: &IncidentTable,
    series: &MonthlySeries,
    period: YearMonth,
) -> Result<Vec<KpiRow>, KpiError> {
    let span = series.span;
    if period < span.from || period > span.to {
        return Err(KpiError::PeriodOutsideData { period, first: span.from, last: span.to });
    }
    let mut measures = vec![(Measure::All, "All crime".to_owned())];
    let mut categories: Vec<(u64, &str, usize)> = table
        .categories()
        .iter()
        .enumerate()
        .map(|(c, category)| {
            (series.by_category.get(c).map_or(0, |s| s.iter().sum()), category.name.as_str(), c)
        })
        .filter(|(total, _, _)| *total > 0)
        .collect();
    // Busiest first over the data's span, then by name: the same order however the table
    // was loaded.
    categories.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(b.1)));
    measures.extend(categories.into_iter().map(|(_, name, c)| (Measure::Category(c), name.to_owned())));
    for (f, name) in table.flag_names().iter().enumerate() {
        measures.push((Measure::Flag(f), format!("Flag: {name}")));
    }
    let compare = |measure: Measure, current: u64, range: MonthRange| -> Comparison {
        let Some(count) = series.sum(measure, range) else { return Comparison::NoData { range } };
        let months = f64::from(range.months());
        #[expect(clippy::cast_precision_loss, reason = "counts are far below 2^52")]
        let change_pct = (count > 0).then(|| 100.0 * (current as f64 - count as f64) / count as f64);
        let test = poisson_means_test(current, months, count, months, 0.0, RateAlternative::TwoSided)
            .unwrap_or(PoissonMeansTest { statistic: 0.0, p_value: 1.0 });
        Comparison::Compared { range, count, change_pct, test, q_value: f64::NAN }
    };
    let mut rows: Vec<KpiRow> = measures
        .par_iter()
        .flat_map_iter(|(measure, label)| {
            Window::ALL.into_iter().map(move |window| {
                let range = window.range(period);
                let count = series.sum(*measure, range).unwrap_or(0);
                KpiRow {
                    measure: *measure,
                    label: label.clone(),
                    window,
                    range,
                    count,
                    previous: compare(*measure, count, window.previous(range)),
                    year_earlier: compare(*measure, count, range.shift(-12)),
                }
            })
        })
        .collect();
    adjust_q_values(&mut rows);
    Ok(rows)
}

/// Sets every comparison's `q_value`: Benjamini–Hochberg (1995) over the p-values of all
/// the rows' comparisons with a test (a NaN p-value, e.g. a test not made, is left out of the
/// family and gets a NaN q). Call it again after changing which tests a table publishes.
pub fn adjust_q_values(rows: &mut [KpiRow]) {
    let p: Vec<f64> = rows
        .iter()
        .flat_map(|r| [&r.previous, &r.year_earlier])
        .map(|c| match c {
            Comparison::Compared { test, .. } => test.p_value,
            Comparison::NoData { .. } => f64::NAN,
        })
        .collect();
    let mut q = bh_adjusted(&p).into_iter();
    for r in rows {
        for c in [&mut r.previous, &mut r.year_earlier] {
            let next = q.next().unwrap_or(f64::NAN);
            if let Comparison::Compared { q_value, .. } = c {
                *q_value = next;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::incident::{FINEST_RESOLUTION, IncidentTableBuilder, NewIncident};
    use crate::units::BngPoint;
    use h3o::LatLng;

    fn ym(s: &str) -> YearMonth {
        s.parse().unwrap_or_else(|e| unreachable!("{e}"))
    }

    #[test]
    fn windows_of_december_and_february() {
        let dec = ym("2025-12");
        assert_eq!(Window::QuarterToDate.range(dec), MonthRange::new(ym("2025-10"), dec));
        assert_eq!(Window::YearToDate.range(dec), MonthRange::new(ym("2025-01"), dec));
        assert_eq!(
            Window::Month.previous(Window::Month.range(dec)),
            MonthRange::new(ym("2025-11"), ym("2025-11"))
        );
        assert_eq!(
            Window::QuarterToDate.previous(Window::QuarterToDate.range(dec)),
            MonthRange::new(ym("2025-07"), ym("2025-09"))
        );
        assert_eq!(
            Window::YearToDate.previous(Window::YearToDate.range(dec)),
            MonthRange::new(ym("2024-01"), ym("2024-12"))
        );
        let feb = ym("2026-02");
        // Quarter to date: January and February, against October and November.
        let q = Window::QuarterToDate.range(feb);
        assert_eq!(q, MonthRange::new(ym("2026-01"), feb));
        assert_eq!(Window::QuarterToDate.previous(q), MonthRange::new(ym("2025-10"), ym("2025-11")));
        assert_eq!(Window::QuarterToDate.label(q), "Q1 2026 (2026-01 to 2026-02)");
        assert_eq!(rolling_mean(&[1, 2, 3, 4], 3), vec![None, None, Some(2.0), Some(3.0)]);
    }

    /// A hand-made table: 4 ASB incidents in 2025-01, 12 in 2025-02, 1 drugs in 2025-02.
    #[test]
    fn kpis_compare_only_where_data_exist() {
        let mut b = IncidentTableBuilder::new();
        let asb = b.category_id("Anti-social behaviour");
        let drugs = b.category_id("Drugs");
        let (lon, lat) = (-1.866628, 50.722301);
        let cell = LatLng::new(lat, lon).unwrap_or_else(|e| unreachable!("{e}")).to_cell(FINEST_RESOLUTION);
        let bng = BngPoint { easting_m: 409_400.0, northing_m: 91_900.0 };
        let knife = b.flag_bit("knife").unwrap_or_else(|| unreachable!());
        // Three of February's ASB incidents carry the knife flag.
        for (category, month, n, flags) in [
            (asb, "2025-01", 4, 0),
            (asb, "2025-02", 9, 0),
            (asb, "2025-02", 3, knife),
            (drugs, "2025-02", 1, 0),
        ] {
            for _ in 0..n {
                let mut incident = NewIncident::monthly(category, ym(month), lon, lat, bng, cell);
                incident.flags = flags;
                b.push(incident);
            }
        }
        let table = b.build(None);
        let series = MonthlySeries::of(&table, &Filter::default()).unwrap_or_else(|| unreachable!());
        assert_eq!(series.all, vec![4, 13]);
        assert_eq!(series.by_category, vec![vec![4, 12], vec![0, 1]]);
        assert_eq!(series.by_flag, vec![vec![0, 3]]);
        let rows = kpis(&table, &series, ym("2025-02")).unwrap_or_else(|e| unreachable!("{e}"));
        // All crime, ASB, drugs and the knife flag, three windows each.
        assert_eq!(rows.len(), 12);
        assert_eq!(
            (rows[9].label.as_str(), rows[9].measure, rows[9].count),
            ("Flag: knife", Measure::Flag(0), 3)
        );
        let Comparison::Compared { count: 0, change_pct: None, .. } = rows[9].previous else {
            unreachable!("no knife-flagged incidents in January: {:?}", rows[9].previous)
        };
        let asb_month = &rows[3];
        assert_eq!(
            (asb_month.label.as_str(), asb_month.window, asb_month.count),
            ("Anti-social behaviour", Window::Month, 12)
        );
        let Comparison::Compared { count, change_pct, test, q_value, .. } = asb_month.previous else {
            unreachable!("January is in the data")
        };
        assert_eq!(count, 4);
        assert_eq!(change_pct, Some(200.0));
        let direct = poisson_means_test(12, 1.0, 4, 1.0, 0.0, RateAlternative::TwoSided)
            .unwrap_or_else(|e| unreachable!("{e}"));
        assert_eq!(test, direct);
        assert!(q_value >= test.p_value);
        assert_eq!(
            asb_month.year_earlier,
            Comparison::NoData { range: MonthRange::new(ym("2024-02"), ym("2024-02")) }
        );
        // The quarter to date (January–February) has no earlier quarter in the data.
        assert!(matches!(rows[4].previous, Comparison::NoData { .. }));
        assert_eq!(rows[4].count, 16);
        assert!(kpis(&table, &series, ym("2025-03")).is_err());
    }
}
