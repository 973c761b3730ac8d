//! Emerging hot spot analysis: space-time Gi*, Mann–Kendall on each cell's z series, and
//! Esri's seventeen patterns.

use rayon::prelude::*;

use super::fdr::{benjamini_hochberg, two_sided_p};
use super::mann_kendall::{MannKendall, mann_kendall};
use super::weights::Neighbours;

/// Settings of [`emerging_hot_spots`], Esri's defaults unless said otherwise.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EmergingParams {
    /// Past time steps in the space-time neighbourhood: the k ring at step t plus the same
    /// cells at steps t − 1 … t − N (never future steps). Default 1.
    pub time_steps_back: u32,
    /// Significance level for hot/cold bins and for the trend. Default 0.05.
    pub alpha: f64,
    /// Benjamini–Hochberg FDR over all bins of the cube. Default true.
    pub fdr: bool,
    /// Share of steps that makes a spot persistent, intensifying, diminishing or historical.
    /// Default 0.9.
    pub share: f64,
}

impl Default for EmergingParams {
    fn default() -> Self {
        Self { time_steps_back: 1, alpha: 0.05, fdr: true, share: 0.9 }
    }
}

/// Esri's emerging hot spot patterns, in Esri's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[expect(missing_docs, reason = "each variant is documented by its label and Esri's definition")]
pub enum Pattern {
    NoPattern,
    NewHot,
    ConsecutiveHot,
    IntensifyingHot,
    PersistentHot,
    DiminishingHot,
    SporadicHot,
    OscillatingHot,
    HistoricalHot,
    NewCold,
    ConsecutiveCold,
    IntensifyingCold,
    PersistentCold,
    DiminishingCold,
    SporadicCold,
    OscillatingCold,
    HistoricalCold,
}

impl Pattern {
    /// All seventeen, in Esri's order (hot patterns, cold patterns, no pattern last).
    pub const ALL: [Self; 17] = [
        Self::NewHot,
        Self::ConsecutiveHot,
        Self::IntensifyingHot,
        Self::PersistentHot,
        Self::DiminishingHot,
        Self::SporadicHot,
        Self::OscillatingHot,
        Self::HistoricalHot,
        Self::NewCold,
        Self::ConsecutiveCold,
        Self::IntensifyingCold,
        Self::PersistentCold,
        Self::DiminishingCold,
        Self::SporadicCold,
        Self::OscillatingCold,
        Self::HistoricalCold,
        Self::NoPattern,
    ];

    /// Esri's label, e.g. `New Hot Spot`.
    #[must_use]
    pub const fn label(self) -> &'static str {
        match self {
            Self::NoPattern => "No Pattern Detected",
            Self::NewHot => "New Hot Spot",
            Self::ConsecutiveHot => "Consecutive Hot Spot",
            Self::IntensifyingHot => "Intensifying Hot Spot",
            Self::PersistentHot => "Persistent Hot Spot",
            Self::DiminishingHot => "Diminishing Hot Spot",
            Self::SporadicHot => "Sporadic Hot Spot",
            Self::OscillatingHot => "Oscillating Hot Spot",
            Self::HistoricalHot => "Historical Hot Spot",
            Self::NewCold => "New Cold Spot",
            Self::ConsecutiveCold => "Consecutive Cold Spot",
            Self::IntensifyingCold => "Intensifying Cold Spot",
            Self::PersistentCold => "Persistent Cold Spot",
            Self::DiminishingCold => "Diminishing Cold Spot",
            Self::SporadicCold => "Sporadic Cold Spot",
            Self::OscillatingCold => "Oscillating Cold Spot",
            Self::HistoricalCold => "Historical Cold Spot",
        }
    }

    /// A slug for URLs and tile properties, e.g. `new-hot`.
    #[must_use]
    pub fn slug(self) -> String {
        match self {
            Self::NoPattern => "none".to_owned(),
            p => p.label().trim_end_matches(" Spot").to_lowercase().replace(' ', "-"),
        }
    }
}

/// The result of an emerging hot spot analysis.
#[derive(Debug, Clone, PartialEq)]
pub struct EmergingResult {
    /// Space-time Gi* z-scores, `z[cell][step]`.
    pub z: Vec<Vec<f64>>,
    /// Significant hot (+1), cold (−1) or neither (0) per bin, `state[cell][step]`.
    pub state: Vec<Vec<i8>>,
    /// Mann–Kendall test of each cell's z series.
    pub trend: Vec<MannKendall>,
    /// Each cell's pattern.
    pub pattern: Vec<Pattern>,
}

/// Emerging hot spot analysis of a space-time cube `counts[cell][step]` (every cell the
/// same number of steps, oldest first) with spatial neighbour rows that include each cell
/// itself (e.g. `Neighbours::k_ring(area, k, true)`).
///
/// 1. Gi* per bin with binary space-time weights: the cell's spatial neighbours at step t
///    and at the `time_steps_back` steps before it; the mean and standard deviation are
///    those of the whole cube (Esri's global window).
/// 2. Two-sided normal p; a bin is hot (cold) when significant at `alpha`, after
///    Benjamini–Hochberg over all bins when `fdr`, and its z is positive (negative).
/// 3. Mann–Kendall on each cell's z series; the pattern by [`classify`].
///
/// # Panics
/// When `counts` and `neighbours` differ in length.
#[must_use]
pub fn emerging_hot_spots(
    counts: &[Vec<f64>],
    neighbours: &Neighbours,
    params: EmergingParams,
) -> EmergingResult {
    assert_eq!(counts.len(), neighbours.len(), "one series per cell");
    let steps = counts.first().map_or(0, Vec::len);
    let flat: Vec<f64> = counts.iter().flatten().copied().collect();
    #[expect(clippy::cast_precision_loss, reason = "cube sizes are far below 2^52")]
    let n = flat.len() as f64;
    let mean = flat.iter().sum::<f64>() / n;
    let s = (flat.iter().map(|x| x * x).sum::<f64>() / n - mean * mean).max(0.0).sqrt();
    let back = params.time_steps_back as usize;
    let z: Vec<Vec<f64>> = (0..counts.len())
        .into_par_iter()
        .map(|i| {
            (0..steps)
                .map(|t| {
                    let first = t.saturating_sub(back);
                    let mut sum = 0.0;
                    let mut w = 0.0;
                    for &j in neighbours.row(i) {
                        for count in &counts[j as usize][first..=t] {
                            sum += count;
                            w += 1.0;
                        }
                    }
                    let denominator = s * ((n * w - w * w) / (n - 1.0)).sqrt();
                    if denominator > 0.0 { (sum - mean * w) / denominator } else { f64::NAN }
                })
                .collect()
        })
        .collect();
    let p: Vec<f64> = z.iter().flatten().map(|z| two_sided_p(*z)).collect();
    let significant: Vec<bool> = if params.fdr {
        benjamini_hochberg(&p, params.alpha)
    } else {
        p.iter().map(|p| *p < params.alpha).collect()
    };
    let state: Vec<Vec<i8>> = z
        .iter()
        .enumerate()
        .map(|(i, zs)| {
            zs.iter()
                .enumerate()
                .map(|(t, z)| match (significant[i * steps + t], *z > 0.0) {
                    (false, _) => 0,
                    (true, true) => 1,
                    (true, false) => -1,
                })
                .collect()
        })
        .collect();
    let trend: Vec<MannKendall> = z.iter().map(|zs| mann_kendall(zs)).collect();
    let pattern =
        state.iter().zip(&trend).map(|(st, mk)| classify(st, mk, params.alpha, params.share)).collect();
    EmergingResult { z, state, trend, pattern }
}

/// The pattern of one location from its bins (`+1` significant hot, `−1` significant
/// cold, `0` neither; oldest first) and the Mann–Kendall test of its z series.
///
/// Esri's published definitions ("Learn more about Emerging Hot Spot Analysis"), checked in
/// Esri's order, hot patterns first; cold patterns mirror them (signs of bins and trend
/// reversed); "90 percent" is `share`:
/// 1. New: hot in the final step, never hot before.
/// 2. Consecutive: a single uninterrupted run of at least two hot bins ending in the final
///    step, never hot before the run, and fewer than 90 % of bins hot.
/// 3. Intensifying: hot in ≥ 90 % of steps including the final one, with a significant
///    upward trend.
/// 4. Persistent: hot in ≥ 90 % of steps with no significant trend. Read as including the
///    final step (Esri's text leaves it open): otherwise a place hot in 11 of 12 months but
///    not the last, with no trend, would be persistent, and "historical" could only arise
///    with a significant trend.
/// 5. Diminishing: hot in ≥ 90 % of steps including the final one, with a significant
///    downward trend.
/// 6. Sporadic: hot in the final step, on and off before, fewer than 90 % hot, never cold.
/// 7. Oscillating: hot in the final step, cold in some earlier step, fewer than 90 % hot.
/// 8. Historical: not hot in the final step, hot in ≥ 90 % of steps.
///
/// Deviations of sfdep (`emerging_hotspot_analysis`) that this does not follow: sfdep's
/// intensifying counts significant bins of either sign; its historical asks for a negative
/// final z; its sporadic does not require a hot final step; its oscillating compares with
/// ≤ 0.9 for hot and < 0.9 for cold; it uses p ≤ 0.01 with no FDR by default.
#[must_use]
pub fn classify(state: &[i8], trend: &MannKendall, alpha: f64, share: f64) -> Pattern {
    const HOT: [Pattern; 8] = [
        Pattern::NewHot,
        Pattern::ConsecutiveHot,
        Pattern::IntensifyingHot,
        Pattern::PersistentHot,
        Pattern::DiminishingHot,
        Pattern::SporadicHot,
        Pattern::OscillatingHot,
        Pattern::HistoricalHot,
    ];
    const COLD: [Pattern; 8] = [
        Pattern::NewCold,
        Pattern::ConsecutiveCold,
        Pattern::IntensifyingCold,
        Pattern::PersistentCold,
        Pattern::DiminishingCold,
        Pattern::SporadicCold,
        Pattern::OscillatingCold,
        Pattern::HistoricalCold,
    ];
    if let Some(i) = one_sided(state, trend.z, trend.p, alpha, share) {
        return HOT[i];
    }
    let mirrored: Vec<i8> = state.iter().map(|s| -s).collect();
    if let Some(i) = one_sided(&mirrored, -trend.z, trend.p, alpha, share) {
        return COLD[i];
    }
    Pattern::NoPattern
}

/// Index (0–7, Esri's order) of the hot pattern the bins match, if any.
fn one_sided(state: &[i8], trend_z: f64, trend_p: f64, alpha: f64, share: f64) -> Option<usize> {
    let n = state.len();
    let last_hot = *state.last()? == 1;
    let hot = state.iter().filter(|s| **s == 1).count();
    #[expect(clippy::cast_precision_loss, reason = "series lengths are small")]
    let mostly_hot = hot as f64 >= share * n as f64;
    let cold_before = state[..n - 1].contains(&-1);
    let final_run = state.iter().rev().take_while(|s| **s == 1).count();
    let hot_before_run = state[..n - final_run].contains(&1);
    let trend_up = trend_z > 0.0 && trend_p < alpha;
    let trend_down = trend_z < 0.0 && trend_p < alpha;
    let rules = [
        last_hot && hot == 1,
        last_hot && final_run >= 2 && !hot_before_run && !mostly_hot,
        mostly_hot && last_hot && trend_up,
        mostly_hot && last_hot && trend_p >= alpha,
        mostly_hot && last_hot && trend_down,
        last_hot && !mostly_hot && !state.contains(&-1),
        last_hot && !mostly_hot && cold_before,
        !last_hot && mostly_hot,
    ];
    rules.iter().position(|r| *r)
}

#[cfg(test)]
#[path = "emerging_tests.rs"]
mod tests;
