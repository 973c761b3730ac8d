//! Hotspot alerts: per period, which H3 cells or ward × category series have more incidents
//! than their own recent past makes plausible, with the false discovery rate controlled
//! across every series tested in that period.
//!
//! # The test
//! For a series with `x` incidents in the period and `S` in its `B` baseline periods
//! (default: the six periods before it), the null hypothesis is a Poisson rate that did not
//! change over those `B + 1` periods. Conditional on the total `x + S`, the period's share is
//! then `Binomial(x + S, 1/(B + 1))` whatever the rate, so
//!
//! `p = P(X ≥ x | X ~ Binomial(x + S, 1/(B + 1)))`
//!
//! is an exact p-value (the conditional test for comparing two Poisson rates, Przyborowski &
//! Wilenski 1940). An empty baseline does not give p = 0: three incidents after six empty
//! months give `(1/7)³ = 0.0029`. A plug-in Poisson tail `P(X ≥ x | Poisson(S/B))` treats
//! the estimated mean as known and gives p = 0 there, so across a borough of mostly quiet
//! cells it raises alerts in nearly every period of a stationary null (see the null test in
//! `tests/alerts_null.rs`).
//!
//! Benjamini–Hochberg ([`crate::stats::benjamini_hochberg`]) at `fdr_q` runs over the p of
//! every series tested in the period; an alert is a rejection with `x` above its expected
//! value `μ̂ = S/B`. Wheeler's Poisson z `2(√x − √μ̂)` and an EWMA with its upper control
//! limit are reported beside it as indicators; they do not enter the false discovery rate.
//!
//! # Contents
//! - [`binomial_upper_tail`], [`ln_binomial_upper_tail`]: the exact tail.
//! - [`Period`], [`CivilDate`]: months, ISO weeks and 28-day periods as integer indices.
//! - [`Series`], [`SeriesSet`]: counts per period for cells or ward × category.
//! - [`detect()`], [`detect_all`]: the tests of one period or all; [`alerts()`]: the alert
//!   records with when each run of alerts was first raised.
//! - [`hot_spot_transitions`], [`emerging_transitions`]: cells turning into new,
//!   consecutive or intensifying hot spots in the emerging hot spot analysis.
//!
//! # Example
//! ```
//! use hexwatch_core::alerts::{AlertParams, Period, Series, SeriesSet, Unit, detect};
//!
//! let quiet = |code: &str| Series {
//!     unit: Unit::Ward(code.to_owned()),
//!     category: "anti-social-behaviour".to_owned(),
//!     counts: vec![2, 1, 3, 2, 2, 1, 2],
//! };
//! let mut busy = quiet("E05012650");
//! busy.counts[6] = 15; // 15 incidents after 11 in six months
//! let set = SeriesSet::new(Period::Month, 24_302, vec![quiet("E05012649"), busy])?;
//! let period = detect(&set, 6, AlertParams::default())?;
//! assert_eq!(period.label, "2025-09");
//! assert_eq!(period.seasonality.to_string(), "not modelled (fewer than 24 months of data)");
//! let flagged: Vec<bool> = period.tests.iter().map(|t| t.alert).collect();
//! assert_eq!(flagged, [false, true]);
//! # Ok::<(), hexwatch_core::alerts::AlertError>(())
//! ```
//!
//! # References
//! - Przyborowski, J. & Wilenski, H. (1940). Homogeneity of results in testing samples from
//!   Poisson series. Biometrika 31(3/4).
//! - Benjamini, Y. & Hochberg, Y. (1995). Controlling the false discovery rate. JRSS B 57(1).
//! - Roberts, S. W. (1959). Control chart tests based on geometric moving averages.
//!   Technometrics 1(3) (EWMA; METHODS c.8).
//! - Wheeler, A. P., Poisson z-score `2(√x − √μ)` (METHODS a.14).
//! - The binomial tail is tested against SciPy 1.17.1 (`tests/fixtures/alerts/`).

mod binomial;
mod detect;
mod period;
mod transitions;

pub use binomial::{binomial_upper_tail, ln_binomial_upper_tail};
pub use detect::{
    Alert, AlertParams, AlertStatus, METHOD, PeriodDetection, PeriodStatus, SeasonalModel, Seasonality,
    Series, SeriesSet, SeriesTest, Unit, alerts, detect, detect_all,
};
pub use period::{CivilDate, DEFAULT_28_DAY_ORIGIN, Period};
pub use transitions::{EMERGING_HOT, PatternTransition, emerging_transitions, hot_spot_transitions};

/// Why alerts could not be computed. Each variant names the parameter or input at fault.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum AlertError {
    /// `baseline_periods` is 0.
    #[error("invalid baseline_periods (got {value}): must be at least 1")]
    InvalidBaselinePeriods {
        /// The value given.
        value: u32,
    },
    /// `fdr_q` is not strictly between 0 and 1.
    #[error("invalid fdr_q (got {value}): must be > 0 and < 1")]
    InvalidFdrQ {
        /// The value given.
        value: f64,
    },
    /// `ewma_lambda` is not in (0, 1].
    #[error("invalid ewma_lambda (got {value}): must be > 0 and ≤ 1")]
    InvalidEwmaLambda {
        /// The value given.
        value: f64,
    },
    /// `ewma_sigmas` is not a positive finite number.
    #[error("invalid ewma_sigmas (got {value}): must be > 0 and finite")]
    InvalidEwmaSigmas {
        /// The value given.
        value: f64,
    },
    /// `seasonal_years` is 0, or the seasonal windows of neighbouring years would overlap.
    #[error(
        "invalid seasonal_years/seasonal_window (got {years}/{window}): years must be ≥ 1 and \
         2·window + 1 at most {per_year} periods"
    )]
    InvalidSeasonalWindow {
        /// `seasonal_years` given.
        years: u32,
        /// `seasonal_window` given.
        window: u32,
        /// Periods in a year for the set's period.
        per_year: usize,
    },
    /// A series has a different number of periods from the first series.
    #[error("invalid series {series}: {got} periods, but series 0 has {expected}")]
    SeriesLength {
        /// Position of the series in the set.
        series: usize,
        /// Its number of periods.
        got: usize,
        /// The first series' number of periods.
        expected: usize,
    },
    /// The period asked for is not in the set.
    #[error("invalid as_of period (got {value}): the set has {periods} periods (0-based)")]
    PeriodOutOfRange {
        /// The offset given.
        value: usize,
        /// Periods in the set.
        periods: usize,
    },
    /// A month range whose first month is after its last.
    #[error("invalid month range (got {first} to {last}): first after last")]
    MonthRange {
        /// First month given.
        first: crate::time::YearMonth,
        /// Last month given.
        last: crate::time::YearMonth,
    },
    /// Not a calendar date in 1900..=2999.
    #[error("invalid date (got {year:04}-{month:02}-{day:02}): not a calendar date in 1900..=2999")]
    InvalidDate {
        /// Year given.
        year: i32,
        /// Month given.
        month: u32,
        /// Day given.
        day: u32,
    },
    /// The cell and pattern lists of a transition do not line up.
    #[error("invalid patterns: {cells} cells, {before} patterns before and {after} after")]
    PatternLengths {
        /// Cells given.
        cells: usize,
        /// Patterns before.
        before: usize,
        /// Patterns after.
        after: usize,
    },
    /// The period asked for in an emerging hot spot transition is not in the cube.
    #[error("invalid step (got {step}): the cube has {steps} steps and the first transition is at step 1")]
    StepOutOfRange {
        /// The step given.
        step: usize,
        /// Steps in the cube.
        steps: usize,
    },
}
