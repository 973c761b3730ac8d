//! Local Moran's I (Anselin 1995) with conditional permutation inference.

use rayon::prelude::*;

use super::fdr::benjamini_hochberg;
use super::gi_star::{SharedDraws, folded_p};
use super::weights::Neighbours;

/// Cluster and outlier class of a cell (esda quadrants 1–4, ArcGIS `COType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MoranClass {
    /// High value among high neighbours (esda quadrant 1).
    HighHigh,
    /// Low value among high neighbours (quadrant 2): a low outlier.
    LowHigh,
    /// Low value among low neighbours (quadrant 3).
    LowLow,
    /// High value among low neighbours (quadrant 4): a high outlier, e.g. an ASB cell in a quiet area.
    HighLow,
    /// Not significant at the chosen level.
    NotSignificant,
}

impl MoranClass {
    /// Short label: `HH`, `LH`, `LL`, `HL` or `NS`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::HighHigh => "HH",
            Self::LowHigh => "LH",
            Self::LowLow => "LL",
            Self::HighLow => "HL",
            Self::NotSignificant => "NS",
        }
    }
}

/// Local Moran's I of every cell.
#[derive(Debug, Clone, PartialEq)]
pub struct LocalMoran {
    /// I_i.
    pub i: Vec<f64>,
    /// esda quadrant: 1 HH, 2 LH, 3 LL, 4 HL (positive means strictly above the mean).
    pub quadrant: Vec<u8>,
    /// Folded conditional-permutation pseudo p-values.
    pub p_sim: Vec<f64>,
    /// Class at the significance level given (optionally FDR-corrected).
    pub class: Vec<MoranClass>,
}

/// Local Moran's I with row-standardised weights over each cell's neighbour row (which
/// must not include the cell itself):
///
/// ```text
/// I_i = (z_i / m₂) · Σ_{j≠i} w_ij z_j,   z = x − x̄,   m₂ = Σz² / (n − 1),   w_ij = 1/|N_i|
/// ```
///
/// m₂ with n − 1 is the form esda 2.9 `Moran_Local` computes (its `(n−1)·z·lag/Σz²`).
/// Pseudo p-values come from `permutations` conditional permutations (x_i held, the
/// neighbours drawn without replacement from the other n − 1 cells), folded as esda does;
/// one seeded set of draws is shared by all cells (as esda's `crand`; see `SharedDraws`),
/// so results do not depend on the thread count. A cell is classed by its quadrant when its p (Benjamini–Hochberg-corrected at
/// `alpha` if `fdr`) is ≤ `alpha` (ArcGIS: 95 %, i.e. 0.05).
///
/// # Panics
/// When `values` and `neighbours` differ in length, or `permutations` is 0.
///
/// # References
/// Anselin, L. (1995). Local indicators of spatial association — LISA. Geographical
/// Analysis 27(2), 93–115.
#[must_use]
pub fn local_moran(
    values: &[f64],
    neighbours: &Neighbours,
    permutations: u32,
    seed: u64,
    alpha: f64,
    fdr: bool,
) -> LocalMoran {
    assert_eq!(values.len(), neighbours.len(), "one value per cell");
    assert!(permutations > 0, "permutations must be positive");
    let n = values.len();
    #[expect(clippy::cast_precision_loss, reason = "cell counts are far below 2^52")]
    let nf = n as f64;
    let mean = values.iter().sum::<f64>() / nf;
    let z: Vec<f64> = values.iter().map(|x| x - mean).collect();
    let m2 = z.iter().map(|v| v * v).sum::<f64>() / (nf - 1.0);
    let lag = |i: usize| -> f64 {
        let row = neighbours.row(i);
        if row.is_empty() {
            return 0.0;
        }
        #[expect(clippy::cast_precision_loss, reason = "neighbour counts are small")]
        let k = row.len() as f64;
        row.iter().map(|&j| z[j as usize]).sum::<f64>() / k
    };
    let k_max = (0..n).map(|i| neighbours.row(i).len()).max().unwrap_or(0);
    let draws = SharedDraws::new(seed, permutations, k_max, n.saturating_sub(1));
    let results: Vec<(f64, u8, f64)> = (0..n)
        .into_par_iter()
        .map(|i| {
            let lag_i = lag(i);
            let observed = z[i] / m2 * lag_i;
            let quadrant = match (z[i] > 0.0, lag_i > 0.0) {
                (true, true) => 1,
                (false, true) => 2,
                (false, false) => 3,
                (true, false) => 4,
            };
            let k = neighbours.row(i).len();
            if k == 0 || n < 2 || k > n - 1 || m2 <= 0.0 {
                return (observed, quadrant, f64::NAN);
            }
            // Compare neighbour sums of the raw values rather than I itself:
            // I_perm ≥ I ⇔ z_i·(Σx_perm − Σx_obs) ≥ 0. Sums of counts are exact, so a draw
            // of exactly the observed neighbour values is a tie and counts as "at least as
            // extreme", as esda defines M (esda's own floating-point paths for observed and
            // simulated I can split such ties by an ulp either way).
            let observed_sum: f64 = neighbours.row(i).iter().map(|&j| values[j as usize]).sum();
            let mut at_least = 0;
            for draw in draws.rows(i, k) {
                let sum: f64 = draw.map(|j| values[j]).sum();
                if z[i] * (sum - observed_sum) >= 0.0 {
                    at_least += 1;
                }
            }
            (observed, quadrant, folded_p(at_least, permutations))
        })
        .collect();
    let p_sim: Vec<f64> = results.iter().map(|r| r.2).collect();
    let significant: Vec<bool> =
        if fdr { benjamini_hochberg(&p_sim, alpha) } else { p_sim.iter().map(|p| *p <= alpha).collect() };
    let class = results
        .iter()
        .zip(&significant)
        .map(|(r, sig)| match (sig, r.1) {
            (false, _) => MoranClass::NotSignificant,
            (true, 1) => MoranClass::HighHigh,
            (true, 2) => MoranClass::LowHigh,
            (true, 3) => MoranClass::LowLow,
            (true, _) => MoranClass::HighLow,
        })
        .collect();
    LocalMoran {
        i: results.iter().map(|r| r.0).collect(),
        quadrant: results.iter().map(|r| r.1).collect(),
        p_sim,
        class,
    }
}
