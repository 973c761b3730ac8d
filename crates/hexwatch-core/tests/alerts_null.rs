//! The alert test under a stationary Poisson null: each of the 1,881 resolution-9 cells of the
//! BCP study area gets Poisson counts at its own mean monthly rate of 2025 anti-social
//! behaviour (its 2025 count ÷ 12, from `tests/fixtures/stats/bcp_asb_2025_res9.csv`, the
//! counts the Gi* reference was built on; 848 cells have any, the busiest 244). Eighteen
//! months are drawn, so the last twelve each have a full six-month baseline. Nothing changes
//! in any cell, so every alert is false and a period with any alert is a false discovery;
//! under this complete null the false discovery rate is the chance of any alert, which
//! Benjamini–Hochberg at q keeps at or below q.
//!
//! The criterion: over 500 replicates, the share of periods with at least one alert
//! stays within q + 2·SE, SE = √(q(1 − q)/periods), with no minimum-count guard. The plug-in
//! Poisson tail against the trailing mean, run through the same Benjamini–Hochberg, fails it.

#![allow(clippy::unwrap_used, clippy::panic, reason = "test set-up fails loudly")]

use hexwatch_core::alerts::{AlertParams, Period, PeriodStatus, Series, SeriesSet, Unit, detect_all};
use hexwatch_core::stats::benjamini_hochberg;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

const MONTHS: usize = 18;
const BASELINE: usize = 6;

/// Mean monthly rate of each study-area cell: its 2025 ASB count ÷ 12.
fn cell_rates() -> Vec<(h3o::CellIndex, f64)> {
    let path = format!("{}/tests/fixtures/stats/bcp_asb_2025_res9.csv", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let (cell, count) = (
        header.iter().position(|h| *h == "cell").unwrap(),
        header.iter().position(|h| *h == "count").unwrap(),
    );
    lines
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (f[cell].parse().unwrap(), f[count].parse::<f64>().unwrap() / 12.0)
        })
        .collect()
}

/// A Poisson draw by inversion (sequential search of the CDF), fine for the means here
/// (at most about 20: e^−20 is far from underflow).
fn poisson(rng: &mut ChaCha8Rng, mean: f64) -> u32 {
    if mean <= 0.0 {
        return 0;
    }
    let u: f64 = rng.random();
    let mut k = 0_u32;
    let mut pmf = (-mean).exp();
    let mut cdf = pmf;
    while u > cdf && k < 10_000 {
        k += 1;
        pmf *= mean / f64::from(k);
        cdf += pmf;
    }
    k
}

/// `P(X ≥ x)` for `X ~ Poisson(mean)`: the plug-in tail that treats the baseline mean as known.
fn poisson_upper_tail(x: u32, mean: f64) -> f64 {
    if x == 0 {
        return 1.0;
    }
    if mean <= 0.0 {
        return 0.0;
    }
    let xf = f64::from(x);
    let mut term = (-mean + xf * mean.ln() - libm::lgamma(xf + 1.0)).exp();
    let mut sum = 0.0;
    let mut j = xf;
    while term > sum * 1e-17 {
        sum += term;
        j += 1.0;
        term *= mean / j;
    }
    sum.min(1.0)
}

/// Periods with at least one alert in one replicate: (exact conditional test, plug-in).
fn replicate(rates: &[(h3o::CellIndex, f64)], seed: u64, q: f64) -> (usize, usize) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let series: Vec<Series> = rates
        .iter()
        .map(|&(cell, mean)| Series {
            unit: Unit::Cell(cell),
            category: "anti-social-behaviour".to_owned(),
            counts: (0..MONTHS).map(|_| poisson(&mut rng, mean)).collect(),
        })
        .collect();
    let set = SeriesSet::new(Period::Month, 2025 * 12, series).unwrap();
    let params = AlertParams { fdr_q: q, ..AlertParams::default() };
    let mut exact = 0;
    let mut plug_in = 0;
    for d in detect_all(&set, params).unwrap() {
        if d.status != PeriodStatus::Tested {
            continue;
        }
        exact += usize::from(d.alerts().next().is_some());
        let p: Vec<f64> = d.tests.iter().map(|t| poisson_upper_tail(t.observed, t.expected)).collect();
        let rejected = benjamini_hochberg(&p, q);
        plug_in +=
            usize::from(d.tests.iter().zip(rejected).any(|(t, r)| r && f64::from(t.observed) > t.expected));
    }
    (exact, plug_in)
}

/// Shares of tested periods with at least one alert over `replicates` replicates, for the
/// exact test and the plug-in tail, and the level q + 2·SE.
fn null_shares(replicates: u64) -> (f64, f64, f64) {
    let rates = cell_rates();
    assert_eq!(rates.len(), 1_881);
    let q = 0.05;
    let (exact, plug_in) = (0..replicates)
        .into_par_iter()
        .map(|r| replicate(&rates, 20_251_203 + r, q))
        .reduce(|| (0, 0), |a, b| (a.0 + b.0, a.1 + b.1));
    let periods = (replicates as usize * (MONTHS - BASELINE)) as f64;
    let level = q + 2.0 * (q * (1.0 - q) / periods).sqrt();
    let (exact, plug_in) = (exact as f64 / periods, plug_in as f64 / periods);
    println!(
        "{replicates} replicates, {periods} periods: share with ≥ 1 alert {exact:.4} (exact conditional test), \
         {plug_in:.4} (plug-in Poisson tail); level q + 2·SE = {level:.4}"
    );
    (exact, plug_in, level)
}

/// The criterion at its 500 replicates (6,000 tested periods). About 12 s of CPU in
/// a debug build (6 s on two idle cores); the replicates run in parallel, each seeded
/// `20251203 + r`.
#[test]
fn stationary_null_keeps_any_alert_share_within_q_plus_two_se() {
    let (exact, plug_in, level) = null_shares(500);
    assert!(exact <= level, "exact test: {exact} > {level}");
    // The plug-in tail gives p = 0 to any incident in a cell with an empty baseline.
    assert!(plug_in > level, "plug-in tail: {plug_in} ≤ {level}");
}
