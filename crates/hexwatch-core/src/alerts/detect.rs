//! Series of counts per period, the per-period tests and the alert records.

use std::fmt;
use std::ops::Range;

use h3o::CellIndex;
use rayon::prelude::*;

use super::AlertError;
use super::binomial::binomial_upper_tail;
use super::period::Period;
use crate::area::WardIndex;
use crate::filter::Filter;
use crate::incident::IncidentTable;
use crate::stats::{StudyArea, benjamini_hochberg};
use crate::time::YearMonth;

/// The method every test of [`detect`] uses, as written into each [`Alert`].
pub const METHOD: &str = "exact conditional Poisson test: x | x+S ~ Binomial(x+S, 1/(B+1)), upper tail; \
                          Benjamini-Hochberg across the series of the period";

/// Months of data from which the seasonal baseline is used (the issue: seasonality is modelled
/// only with at least 24 months of data).
const SEASONAL_MIN_MONTHS: f64 = 24.0;

/// Incidents per chunk of work when counting a table.
const CHUNK: usize = 16_384;

/// What a series counts: one H3 cell or one ward.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Unit {
    /// An H3 cell (its geometry is the cell boundary).
    Cell(CellIndex),
    /// A ward, by ONS code, e.g. `E05012649` (its geometry is the ward boundary).
    Ward(String),
}

impl fmt::Display for Unit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Cell(cell) => write!(f, "{cell}"),
            Self::Ward(code) => f.write_str(code),
        }
    }
}

/// Incident counts per period of one unit and category, oldest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Series {
    /// The cell or ward.
    pub unit: Unit,
    /// The category's slug (e.g. `anti-social-behaviour`), or a label for a selection of
    /// categories (e.g. `all`). Part of each alert's id.
    pub category: String,
    /// Incidents per period; `counts[0]` is the set's first period.
    pub counts: Vec<u32>,
}

/// Series over the same periods that form one family for the false discovery rate: every
/// series tested in a period enters the same Benjamini–Hochberg run (e.g. all resolution-9
/// cells of the study area for one category, or all ward × category series).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeriesSet {
    period: Period,
    first: i64,
    periods: usize,
    series: Vec<Series>,
}

impl SeriesSet {
    /// A set whose counts start at period index `first` (see [`Period`] for the indices;
    /// for months, [`YearMonth::ordinal`]).
    ///
    /// # Errors
    /// [`AlertError::SeriesLength`] when the series differ in length.
    pub fn new(period: Period, first: i64, series: Vec<Series>) -> Result<Self, AlertError> {
        let periods = series.first().map_or(0, |s| s.counts.len());
        if let Some((i, s)) = series.iter().enumerate().find(|(_, s)| s.counts.len() != periods) {
            return Err(AlertError::SeriesLength { series: i, got: s.counts.len(), expected: periods });
        }
        Ok(Self { period, first, periods, series })
    }

    /// Monthly counts per cell of `area` from `first` to `last` (both included) of the
    /// incidents `filter` keeps, labelled `category`; also the number of kept incidents in
    /// those months whose cell is outside the area (left out). One series per study-area
    /// cell, in [`StudyArea::cells`] order, empty cells included.
    ///
    /// # Errors
    /// [`AlertError::MonthRange`] when `first` is after `last`.
    pub fn monthly_cells(
        table: &IncidentTable,
        filter: &Filter,
        area: &StudyArea,
        (first, last): (YearMonth, YearMonth),
        category: &str,
    ) -> Result<(Self, u64), AlertError> {
        let months = month_count(first, last)?;
        let loc_cells = table.location_cells_at(area.resolution());
        let locations = table.location_column();
        let slots = area.len() + 1; // the last slot collects cells outside the area
        let counts = count_table(table, filter, (first, last), slots * months, |i, month| {
            let cell = loc_cells[locations[i].index()];
            Some(area.position(cell).unwrap_or(area.len()) * months + month)
        });
        let outside = counts[area.len() * months..].iter().map(|&c| u64::from(c)).sum();
        let series = area
            .cells()
            .iter()
            .enumerate()
            .map(|(i, &cell)| Series {
                unit: Unit::Cell(cell),
                category: category.to_owned(),
                counts: counts[i * months..(i + 1) * months].to_vec(),
            })
            .collect();
        Ok((
            Self { period: Period::Month, first: i64::from(first.ordinal()), periods: months, series },
            outside,
        ))
    }

    /// Monthly counts per ward × category from `first` to `last` (both included) of the
    /// incidents `filter` keeps that lie in a ward: one series for every ward of `wards` and
    /// every category the filter keeps, empty ones included, ward-major. `wards` must be the
    /// index the table's wards were assigned with.
    ///
    /// # Errors
    /// [`AlertError::MonthRange`] when `first` is after `last`.
    pub fn monthly_wards(
        table: &IncidentTable,
        filter: &Filter,
        wards: &WardIndex,
        (first, last): (YearMonth, YearMonth),
    ) -> Result<Self, AlertError> {
        let months = month_count(first, last)?;
        let categories = table.categories();
        let mask = filter.category_mask(categories.len());
        let kept: Vec<usize> = (0..categories.len()).filter(|&c| mask[c]).collect();
        let mut slot_of_category = vec![usize::MAX; categories.len()];
        for (slot, &c) in kept.iter().enumerate() {
            slot_of_category[c] = slot;
        }
        let n_wards = wards.areas().len();
        let category_column = table.category_column();
        let ward_column = table.ward_column();
        let counts = count_table(table, filter, (first, last), n_wards * kept.len() * months, |i, month| {
            let ward = ward_column[i]?.index();
            let slot = slot_of_category[category_column[i].index()];
            (ward < n_wards).then_some((ward * kept.len() + slot) * months + month)
        });
        let mut series = Vec::with_capacity(n_wards * kept.len());
        for (w, ward) in wards.areas().iter().enumerate() {
            for (slot, &c) in kept.iter().enumerate() {
                let at = (w * kept.len() + slot) * months;
                series.push(Series {
                    unit: Unit::Ward(ward.code.clone()),
                    category: categories[c].slug.clone(),
                    counts: counts[at..at + months].to_vec(),
                });
            }
        }
        Ok(Self { period: Period::Month, first: i64::from(first.ordinal()), periods: months, series })
    }

    /// The period length.
    #[must_use]
    pub const fn period(&self) -> Period {
        self.period
    }

    /// The period index of `counts[0]`.
    #[must_use]
    pub const fn first(&self) -> i64 {
        self.first
    }

    /// Periods in every series.
    #[must_use]
    pub const fn periods(&self) -> usize {
        self.periods
    }

    /// The series.
    #[must_use]
    pub fn series(&self) -> &[Series] {
        &self.series
    }

    /// The series, given back (e.g. to add counts and build a new set).
    #[must_use]
    pub fn into_series(self) -> Vec<Series> {
        self.series
    }

    /// The period index of offset `t` (`counts[t]`).
    #[must_use]
    pub fn index_at(&self, t: usize) -> i64 {
        self.first + i64::try_from(t).unwrap_or(i64::MAX - self.first)
    }

    /// The offset of period index `index`, when the set holds it.
    #[must_use]
    pub fn offset_of(&self, index: i64) -> Option<usize> {
        usize::try_from(index - self.first).ok().filter(|&t| t < self.periods)
    }
}

/// Months from `first` to `last`, both included.
fn month_count(first: YearMonth, last: YearMonth) -> Result<usize, AlertError> {
    match usize::try_from(first.months_through(last)) {
        Ok(0) | Err(_) => Err(AlertError::MonthRange { first, last }),
        Ok(months) => Ok(months),
    }
}

/// Counts the incidents `filter` keeps in the months `first..=last` into `len` slots, the
/// slot of incident `i` in month offset `m` being `slot(i, m)` (`None`: not counted).
fn count_table(
    table: &IncidentTable,
    filter: &Filter,
    (first, last): (YearMonth, YearMonth),
    len: usize,
    slot: impl Fn(usize, usize) -> Option<usize> + Sync,
) -> Vec<u32> {
    let mask = filter.category_mask(table.categories().len());
    let area = filter.area_test(table);
    let month_column = table.month_column();
    (0..table.len())
        .into_par_iter()
        .with_min_len(CHUNK)
        .fold(
            || vec![0_u32; len],
            |mut acc, i| {
                let month = month_column[i];
                if month >= first && month <= last && filter.keeps_incident(table, &mask, &area, i) {
                    let offset = usize::try_from(month.ordinal() - first.ordinal()).unwrap_or(usize::MAX);
                    if let Some(at) = slot(i, offset)
                        && let Some(c) = acc.get_mut(at)
                    {
                        *c += 1;
                    }
                }
                acc
            },
        )
        .reduce(
            || vec![0_u32; len],
            |mut a, b| {
                for (x, y) in a.iter_mut().zip(b) {
                    *x += y;
                }
                a
            },
        )
}

/// Whether a seasonal baseline may be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Seasonality {
    /// The seasonal baseline when the set holds at least 24 months of data up to the period
    /// tested, otherwise the trailing baseline (the default).
    #[default]
    Auto,
    /// Always the trailing baseline.
    Off,
}

/// Which baseline a period was tested against; `Display` gives the sentence for the output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SeasonalModel {
    /// Trailing baseline: seasonality switched off.
    Off,
    /// Trailing baseline: fewer than 24 months of data up to the period.
    ShortHistory,
    /// Seasonal baseline: the same period in up to `years` earlier years, with `window`
    /// periods either side.
    SameSeason {
        /// Earlier years that contributed at least one baseline period.
        years: u32,
        /// Periods either side of the same period a year earlier.
        window: u32,
    },
}

impl SeasonalModel {
    /// Whether the baseline followed the season.
    #[must_use]
    pub const fn is_modelled(self) -> bool {
        matches!(self, Self::SameSeason { .. })
    }
}

impl fmt::Display for SeasonalModel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Off => f.write_str("not modelled (switched off)"),
            Self::ShortHistory => f.write_str("not modelled (fewer than 24 months of data)"),
            Self::SameSeason { years, window } => {
                write!(f, "modelled: same period ± {window} in {years} earlier year(s)")
            }
        }
    }
}

/// Settings of [`detect`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AlertParams {
    /// B, the periods of the trailing baseline, immediately before the period tested.
    /// Default 6. Periods with fewer than B earlier periods are not tested.
    pub baseline_periods: u32,
    /// The false discovery rate of Benjamini–Hochberg across the series of a period.
    /// Default 0.05.
    pub fdr_q: f64,
    /// λ, the EWMA smoothing weight. Default 0.2.
    pub ewma_lambda: f64,
    /// L, the width of the EWMA upper control limit in standard deviations. Default 3.
    pub ewma_sigmas: f64,
    /// Whether a seasonal baseline may be used. Default [`Seasonality::Auto`].
    pub seasonality: Seasonality,
    /// Earlier years in the seasonal baseline, at most. Default 5 (Farrington's `b`).
    pub seasonal_years: u32,
    /// Periods either side of the same period in an earlier year. Default 1.
    pub seasonal_window: u32,
}

impl Default for AlertParams {
    fn default() -> Self {
        Self {
            baseline_periods: 6,
            fdr_q: 0.05,
            ewma_lambda: 0.2,
            ewma_sigmas: 3.0,
            seasonality: Seasonality::Auto,
            seasonal_years: 5,
            seasonal_window: 1,
        }
    }
}

impl AlertParams {
    fn validate(&self, period: Period) -> Result<(), AlertError> {
        if self.baseline_periods == 0 {
            return Err(AlertError::InvalidBaselinePeriods { value: self.baseline_periods });
        }
        if !(self.fdr_q > 0.0 && self.fdr_q < 1.0) {
            return Err(AlertError::InvalidFdrQ { value: self.fdr_q });
        }
        if !(self.ewma_lambda > 0.0 && self.ewma_lambda <= 1.0) {
            return Err(AlertError::InvalidEwmaLambda { value: self.ewma_lambda });
        }
        if !(self.ewma_sigmas > 0.0 && self.ewma_sigmas.is_finite()) {
            return Err(AlertError::InvalidEwmaSigmas { value: self.ewma_sigmas });
        }
        let per_year = period.per_year();
        let span = usize::try_from(self.seasonal_window).unwrap_or(usize::MAX).saturating_mul(2);
        if self.seasonality == Seasonality::Auto && (self.seasonal_years == 0 || span >= per_year) {
            return Err(AlertError::InvalidSeasonalWindow {
                years: self.seasonal_years,
                window: self.seasonal_window,
                per_year,
            });
        }
        Ok(())
    }
}

/// The test of one series in one period.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SeriesTest {
    /// Position of the series in the set.
    pub series: usize,
    /// x, incidents in the period.
    pub observed: u32,
    /// S, incidents in the baseline periods.
    pub baseline_total: u64,
    /// B, the number of baseline periods.
    pub baseline_periods: u32,
    /// μ̂ = S / B, incidents expected in the period.
    pub expected: f64,
    /// x / μ̂; `None` when μ̂ = 0.
    pub ratio: Option<f64>,
    /// `P(X ≥ x)` for `X ~ Binomial(x + S, 1/(B + 1))`: 1 when x = 0.
    pub p_value: f64,
    /// The Benjamini–Hochberg adjusted p-value across the series of the period: the
    /// smallest FDR level at which this series would be rejected.
    pub q_value: f64,
    /// Wheeler's Poisson z, `2(√x − √μ̂)` (indicator; alarm convention |z| ≥ 3).
    pub wheeler_z: f64,
    /// The EWMA at the period (indicator; see [`detect`]).
    pub ewma: f64,
    /// The EWMA's in-control mean: the mean of the trailing B periods.
    pub ewma_centre: f64,
    /// The EWMA's upper control limit, `μ + L·√μ·√(λ/(2 − λ))`.
    pub ewma_ucl: f64,
    /// Rejected by Benjamini–Hochberg at `fdr_q` and x > μ̂.
    pub alert: bool,
}

/// Whether a period was tested.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeriodStatus {
    /// Every series was tested.
    Tested,
    /// Fewer earlier periods than the baseline needs; nothing was tested.
    InsufficientBaseline {
        /// Earlier periods in the set.
        available: usize,
        /// Periods the baseline needs.
        needed: u32,
    },
}

impl fmt::Display for PeriodStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Tested => f.write_str("tested"),
            Self::InsufficientBaseline { .. } => f.write_str("insufficient baseline"),
        }
    }
}

/// The outcome of one period.
#[derive(Debug, Clone, PartialEq)]
pub struct PeriodDetection {
    /// Offset of the period in the set.
    pub offset: usize,
    /// Period index.
    pub period: i64,
    /// Period label, e.g. `2025-09`.
    pub label: String,
    /// Tested, or why not.
    pub status: PeriodStatus,
    /// Which baseline was used (and, when not seasonal, why).
    pub seasonality: SeasonalModel,
    /// Offsets of the baseline periods, ascending (empty when not tested).
    pub baseline: Vec<usize>,
    /// [`METHOD`].
    pub method: &'static str,
    /// One test per series, in set order (empty when not tested). Every series is tested,
    /// those with x = 0 and S = 0 included: their p is 1 and they count in the
    /// Benjamini–Hochberg m, which is the conservative choice (leaving them out would make
    /// the procedure depend on a data-driven selection of hypotheses).
    pub tests: Vec<SeriesTest>,
}

impl PeriodDetection {
    /// The tests that raised an alert.
    pub fn alerts(&self) -> impl Iterator<Item = &SeriesTest> {
        self.tests.iter().filter(|t| t.alert)
    }
}

/// Tests every series of `set` at period offset `as_of` (`counts[as_of]`).
///
/// - Baseline: the `baseline_periods` (B) periods before `as_of`; when
///   [`Seasonality::Auto`] and the set holds at least 24 months of data up to and including
///   `as_of`, instead the periods within `seasonal_window` of the same period in each of up
///   to `seasonal_years` earlier years (those inside the set; 12, 52 or 13 periods a year,
///   see [`Period::per_year`]). Under the null, the rate in the period equals the rate of
///   each baseline period, and the same exact test applies with B the number of baseline
///   periods.
/// - p: `P(X ≥ x)`, `X ~ Binomial(x + S, 1/(B + 1))`; q: Benjamini–Hochberg adjusted p over
///   all series of the set; alert: rejected by [`benjamini_hochberg`] at `fdr_q` and x > μ̂.
/// - EWMA (indicator): started at the mean μ of the trailing B periods, updated
///   `E = λ·x_t + (1 − λ)·E` through those periods and the one tested; its limit is
///   `μ + L·√μ·√(λ/(2 − λ))` (σ = √μ for Poisson counts, asymptotic limit; METHODS c.8). It
///   always uses the trailing periods, so it shows the recent level also when the test is
///   seasonal.
///
/// Series are tested in parallel (Rayon).
///
/// # Errors
/// [`AlertError::PeriodOutOfRange`] when `as_of` is not in the set; the parameter errors
/// ([`AlertError::InvalidBaselinePeriods`], [`AlertError::InvalidFdrQ`],
/// [`AlertError::InvalidEwmaLambda`], [`AlertError::InvalidEwmaSigmas`],
/// [`AlertError::InvalidSeasonalWindow`]) for settings out of range.
pub fn detect(set: &SeriesSet, as_of: usize, params: AlertParams) -> Result<PeriodDetection, AlertError> {
    params.validate(set.period)?;
    if as_of >= set.periods {
        return Err(AlertError::PeriodOutOfRange { value: as_of, periods: set.periods });
    }
    let period = set.index_at(as_of);
    let mut detection = PeriodDetection {
        offset: as_of,
        period,
        label: set.period.label(period),
        status: PeriodStatus::Tested,
        seasonality: SeasonalModel::ShortHistory,
        baseline: Vec::new(),
        method: METHOD,
        tests: Vec::new(),
    };
    let b = usize::try_from(params.baseline_periods).unwrap_or(usize::MAX);
    let months_of_data = to_f64(as_of + 1) * set.period.mean_days() / Period::Month.mean_days();
    let seasonal = params.seasonality == Seasonality::Auto && months_of_data >= SEASONAL_MIN_MONTHS - 1e-9;
    let (baseline, seasonality) = if seasonal {
        let (offsets, years) = seasonal_baseline(as_of, set.period.per_year(), params);
        (offsets, SeasonalModel::SameSeason { years, window: params.seasonal_window })
    } else {
        let seasonality = match params.seasonality {
            Seasonality::Off => SeasonalModel::Off,
            Seasonality::Auto => SeasonalModel::ShortHistory,
        };
        detection.seasonality = seasonality;
        if as_of < b {
            detection.status =
                PeriodStatus::InsufficientBaseline { available: as_of, needed: params.baseline_periods };
            return Ok(detection);
        }
        ((as_of - b..as_of).collect(), seasonality)
    };
    detection.baseline = baseline;
    detection.seasonality = seasonality;
    // The EWMA always follows the trailing periods that exist (all B of them once as_of ≥ B).
    let trailing = as_of.saturating_sub(b)..as_of;
    let mut tests: Vec<SeriesTest> = set
        .series
        .par_iter()
        .enumerate()
        .map(|(i, s)| test_series(i, &s.counts, as_of, &detection.baseline, trailing.clone(), params))
        .collect();
    let p: Vec<f64> = tests.iter().map(|t| t.p_value).collect();
    let rejected = benjamini_hochberg(&p, params.fdr_q);
    let q = crate::stats::bh_adjusted(&p);
    for ((test, rejected), q) in tests.iter_mut().zip(rejected).zip(q) {
        test.q_value = q;
        test.alert = rejected && f64::from(test.observed) > test.expected;
    }
    detection.tests = tests;
    Ok(detection)
}

/// [`detect`] at every period of the set, in order (periods in parallel).
///
/// # Errors
/// As [`detect`].
pub fn detect_all(set: &SeriesSet, params: AlertParams) -> Result<Vec<PeriodDetection>, AlertError> {
    (0..set.periods).into_par_iter().map(|t| detect(set, t, params)).collect()
}

/// The baseline offsets of a seasonal test (ascending) and the number of earlier years
/// contributing: the periods within `seasonal_window` of `as_of − y·per_year` for
/// y = 1 … `seasonal_years`, those before the set left out.
fn seasonal_baseline(as_of: usize, per_year: usize, params: AlertParams) -> (Vec<usize>, u32) {
    let window = i64::from(params.seasonal_window);
    let (as_of, per_year) = (to_i64(as_of), to_i64(per_year));
    let mut offsets = Vec::new();
    let mut years = 0;
    for year in 1..=params.seasonal_years {
        let centre = as_of - i64::from(year) * per_year;
        if centre + window < 0 {
            break;
        }
        // Windows of different years do not overlap (2·window < per_year is validated), so
        // the offsets come out ascending within a year and descending between years.
        offsets.extend(((centre - window).max(0)..=centre + window).filter_map(|t| usize::try_from(t).ok()));
        years += 1;
    }
    offsets.sort_unstable();
    (offsets, years)
}

fn to_i64(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn test_series(
    series: usize,
    counts: &[u32],
    as_of: usize,
    baseline: &[usize],
    trailing: Range<usize>,
    params: AlertParams,
) -> SeriesTest {
    let x = counts[as_of];
    let s: u64 = baseline.iter().map(|&t| u64::from(counts[t])).sum();
    let b = baseline.len();
    let expected = to_f64_u64(s) / to_f64(b);
    let p_value = binomial_upper_tail(u64::from(x), u64::from(x) + s, 1.0 / (to_f64(b) + 1.0));
    let xf = f64::from(x);
    let lambda = params.ewma_lambda;
    let window = &counts[trailing];
    let centre = if window.is_empty() {
        expected
    } else {
        window.iter().map(|&c| f64::from(c)).sum::<f64>() / to_f64(window.len())
    };
    let mut ewma = centre;
    for &c in window.iter().chain(std::iter::once(&x)) {
        ewma = lambda * f64::from(c) + (1.0 - lambda) * ewma;
    }
    SeriesTest {
        series,
        observed: x,
        baseline_total: s,
        baseline_periods: u32::try_from(b).unwrap_or(u32::MAX),
        expected,
        ratio: (expected > 0.0).then(|| xf / expected),
        p_value,
        q_value: f64::NAN,
        wheeler_z: 2.0 * (xf.sqrt() - expected.sqrt()),
        ewma,
        ewma_centre: centre,
        ewma_ucl: centre + params.ewma_sigmas * centre.sqrt() * (lambda / (2.0 - lambda)).sqrt(),
        alert: false,
    }
}

#[expect(clippy::cast_precision_loss, reason = "counts and lengths are far below 2^52")]
const fn to_f64(n: usize) -> f64 {
    n as f64
}

#[expect(clippy::cast_precision_loss, reason = "counts are far below 2^52")]
const fn to_f64_u64(n: u64) -> f64 {
    n as f64
}

/// Whether an alert opens a run or continues one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AlertStatus {
    /// No alert for this series in the period before.
    New,
    /// The series also alerted in the period before (see [`Alert::first_raised`]).
    Continuing,
}

impl fmt::Display for AlertStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::New => "new",
            Self::Continuing => "continuing",
        })
    }
}

/// One alert: a series that passed the test in a period.
#[derive(Debug, Clone, PartialEq)]
pub struct Alert {
    /// `{unit}:{category}:{period label}`, e.g. `891959710bbffff:anti-social-behaviour:2025-09`.
    pub id: String,
    /// The cell or ward: the alert's geometry is its boundary.
    pub unit: Unit,
    /// The category slug or label of the series.
    pub category: String,
    /// Period index.
    pub period: i64,
    /// Period label.
    pub period_label: String,
    /// x, incidents in the period.
    pub observed: u32,
    /// μ̂ = S/B.
    pub expected: f64,
    /// x/μ̂ (`None` when μ̂ = 0).
    pub ratio: Option<f64>,
    /// The exact conditional p-value.
    pub p_value: f64,
    /// The Benjamini–Hochberg adjusted p-value.
    pub q_value: f64,
    /// [`METHOD`].
    pub method: &'static str,
    /// Which baseline the period used.
    pub seasonality: SeasonalModel,
    /// First period of the uninterrupted run of alerts of this series that ends here.
    pub first_raised: i64,
    /// Label of `first_raised`.
    pub first_raised_label: String,
    /// New or continuing.
    pub status: AlertStatus,
}

/// The alerts of `detections` (from [`detect_all`] or [`detect`] on `set`), by period then
/// series. A run of alerts of one series is broken by a period without an alert, a period
/// not tested or a period missing from `detections`.
#[must_use]
pub fn alerts(set: &SeriesSet, detections: &[PeriodDetection]) -> Vec<Alert> {
    let mut ordered: Vec<&PeriodDetection> = detections.iter().collect();
    ordered.sort_by_key(|d| d.period);
    let mut run_start: Vec<Option<i64>> = vec![None; set.series.len()];
    let mut previous: Option<i64> = None;
    let mut out = Vec::new();
    for d in ordered {
        if previous.is_none_or(|p| p + 1 != d.period) || d.status != PeriodStatus::Tested {
            run_start.fill(None);
        }
        previous = Some(d.period);
        let mut alerting = vec![false; set.series.len()];
        for t in d.alerts() {
            let Some(series) = set.series.get(t.series) else { continue };
            alerting[t.series] = true;
            let first = *run_start[t.series].get_or_insert(d.period);
            out.push(Alert {
                id: format!("{}:{}:{}", series.unit, series.category, d.label),
                unit: series.unit.clone(),
                category: series.category.clone(),
                period: d.period,
                period_label: d.label.clone(),
                observed: t.observed,
                expected: t.expected,
                ratio: t.ratio,
                p_value: t.p_value,
                q_value: t.q_value,
                method: d.method,
                seasonality: d.seasonality,
                first_raised: first,
                first_raised_label: set.period.label(first),
                status: if first == d.period { AlertStatus::New } else { AlertStatus::Continuing },
            });
        }
        for (start, alerting) in run_start.iter_mut().zip(alerting) {
            if !alerting {
                *start = None;
            }
        }
    }
    out
}

#[cfg(test)]
#[path = "detect_tests.rs"]
mod tests;
