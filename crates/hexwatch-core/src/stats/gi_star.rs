//! Getis-Ord Gi* (Ord & Getis 1995).

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

use super::fdr::{fdr_bins, two_sided_p};
use super::weights::Neighbours;

/// Settings of [`gi_star`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GiStarParams {
    /// Conditional permutations for a pseudo p-value (0, the default, computes none).
    pub permutations: u32,
    /// Seed of the permutations (one set of draws shared by all cells, so results do not
    /// depend on the number of threads). Default 12345.
    pub seed: u64,
}

impl Default for GiStarParams {
    fn default() -> Self {
        Self { permutations: 0, seed: 12_345 }
    }
}

/// Gi* of every cell.
#[derive(Debug, Clone, PartialEq)]
pub struct GiStar {
    /// Gi* z-scores (NaN when the values have no variance).
    pub z: Vec<f64>,
    /// Two-sided p-values from the standard normal.
    pub p: Vec<f64>,
    /// Esri-style bins −3…+3 with Benjamini–Hochberg FDR at 0.10/0.05/0.01.
    pub bin: Vec<i8>,
    /// Folded conditional-permutation pseudo p-values, when permutations were asked for.
    pub p_sim: Option<Vec<f64>>,
}

/// Gi* with weights `w_ij` = `weights(i, j)` over each cell's neighbour row (which must
/// include the cell itself for Gi*):
///
/// ```text
///        Σ_j w_ij x_j − X̄ Σ_j w_ij
/// z_i = ───────────────────────────────────────────────,  X̄ = Σx/n,  S = √(Σx²/n − X̄²)
///        S · √( [n Σ_j w_ij² − (Σ_j w_ij)²] / (n − 1) )
/// ```
///
/// the general form of Ord & Getis (1995), eq. 14 with their variance; with binary weights
/// Σw² = Σw = the neighbour count. Matches ArcGIS Hot Spot Analysis (`include_self`, no row
/// standardisation, population S) and esda `G_Local(y, w, transform='B', star=True).Zs`.
///
/// The optional permutation p holds `x_i` in place and draws the other neighbours' values
/// at random, without replacement, from the other n − 1 cells; with M the number of
/// permuted sums ≥ the observed one, M is folded (if R − M < M then M = R − M) and
/// p = (M + 1)/(R + 1), as esda computes `p_sim`. Prefer it over the normal p when counts
/// are very skewed (police.uk snaps up to 395 incidents to one point), where the normal
/// approximation of Gi* is poor in the tails.
///
/// # Panics
/// When `values` and `neighbours` differ in length.
///
/// # References
/// Ord, J.K. & Getis, A. (1995). Local spatial autocorrelation statistics: distributional
/// issues and an application. Geographical Analysis 27(4), 286–306.
#[must_use]
pub fn gi_star_weighted(
    values: &[f64],
    neighbours: &Neighbours,
    weights: impl Fn(usize, usize) -> f64 + Sync,
    params: GiStarParams,
) -> GiStar {
    assert_eq!(values.len(), neighbours.len(), "one value per cell");
    #[expect(clippy::cast_precision_loss, reason = "cell counts are far below 2^52")]
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let s = (values.iter().map(|x| x * x).sum::<f64>() / n - mean * mean).max(0.0).sqrt();
    let z: Vec<f64> = (0..values.len())
        .into_par_iter()
        .map(|i| {
            let (mut wx, mut w, mut w2) = (0.0, 0.0, 0.0);
            for &j in neighbours.row(i) {
                let wij = weights(i, j as usize);
                wx += wij * values[j as usize];
                w += wij;
                w2 += wij * wij;
            }
            let denominator = s * ((n * w2 - w * w) / (n - 1.0)).sqrt();
            if denominator > 0.0 { (wx - mean * w) / denominator } else { f64::NAN }
        })
        .collect();
    let p: Vec<f64> = z.iter().map(|z| two_sided_p(*z)).collect();
    let bin = fdr_bins(&z, &p);
    let p_sim = (params.permutations > 0).then(|| permutation_p(values, neighbours, &weights, params));
    GiStar { z, p, bin, p_sim }
}

/// Gi* with binary weights (each neighbour weighs 1). See [`gi_star_weighted`].
#[must_use]
pub fn gi_star(values: &[f64], neighbours: &Neighbours, params: GiStarParams) -> GiStar {
    gi_star_weighted(values, neighbours, |_, _| 1.0, params)
}

/// Folds a permutation count as esda does: `M = #(perm ≥ observed)`; if `R − M < M` then
/// `M = R − M`; `p = (M + 1)/(R + 1)`.
pub(super) fn folded_p(at_least: u32, permutations: u32) -> f64 {
    let m = at_least.min(permutations - at_least);
    f64::from(m + 1) / f64::from(permutations + 1)
}

/// Draws `k` distinct positions from `0..n` into `buf` (cleared first), uniformly without
/// replacement. For the small neighbourhoods of the statistics (k ≪ n) rejection of repeats
/// is cheapest and allocates nothing; dense draws fall back to rand's index sampling.
pub(super) fn sample_distinct(rng: &mut ChaCha8Rng, n: usize, k: usize, buf: &mut Vec<usize>) {
    use rand::RngExt;
    buf.clear();
    if k * 4 > n {
        buf.extend(rand::seq::index::sample(rng, n, k));
        return;
    }
    while buf.len() < k {
        let pick = rng.random_range(0..n);
        if !buf.contains(&pick) {
            buf.push(pick);
        }
    }
}

/// One set of random draws shared by every cell, as esda's conditional randomisation
/// (`crand`) does: row r holds `k_max` distinct positions among the n − 1 cells other than
/// the one being tested; a cell with k neighbours uses the first k of each row, mapping
/// position p to cell p (below the tested cell) or p + 1 (from it on). A prefix of a
/// uniform draw without replacement is itself one, so each cell's pseudo p has the right
/// distribution; p-values of different cells are correlated, as in esda. Drawing once makes
/// 999 permutations of 100,000 cells cheap, and the result does not depend on threads.
pub(super) struct SharedDraws {
    k_max: usize,
    picks: Vec<u32>,
}

impl SharedDraws {
    /// `permutations` rows of `k_max` positions in `0..n_others`, from `seed`.
    pub(super) fn new(seed: u64, permutations: u32, k_max: usize, n_others: usize) -> Self {
        let k_max = k_max.min(n_others);
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut buf = Vec::with_capacity(k_max);
        let mut picks = Vec::with_capacity(permutations as usize * k_max);
        for _ in 0..permutations {
            sample_distinct(&mut rng, n_others, k_max, &mut buf);
            picks.extend(buf.iter().map(|&p| u32::try_from(p).unwrap_or(u32::MAX)));
        }
        Self { k_max, picks }
    }

    /// The first `k` cells of every draw for tested cell `i`, as cell positions.
    pub(super) fn rows(
        &self,
        i: usize,
        k: usize,
    ) -> impl Iterator<Item = impl Iterator<Item = usize> + '_> + '_ {
        self.picks.chunks_exact(self.k_max.max(1)).map(move |row| {
            row[..k.min(row.len())]
                .iter()
                .map(move |&p| if (p as usize) < i { p as usize } else { p as usize + 1 })
        })
    }
}

fn permutation_p(
    values: &[f64],
    neighbours: &Neighbours,
    weights: &(impl Fn(usize, usize) -> f64 + Sync),
    params: GiStarParams,
) -> Vec<f64> {
    let n = values.len();
    let k_max =
        (0..n).map(|i| neighbours.row(i).iter().filter(|&&j| j as usize != i).count()).max().unwrap_or(0);
    let draws = SharedDraws::new(params.seed, params.permutations, k_max, n.saturating_sub(1));
    (0..n)
        .into_par_iter()
        .map(|i| {
            let row = neighbours.row(i);
            let self_w: f64 = row.iter().filter(|&&j| j as usize == i).map(|_| weights(i, i)).sum();
            let others: Vec<f64> =
                row.iter().filter(|&&j| j as usize != i).map(|&j| weights(i, j as usize)).collect();
            let observed: f64 = row.iter().map(|&j| weights(i, j as usize) * values[j as usize]).sum();
            if n < 2 || others.len() > n - 1 {
                return f64::NAN;
            }
            let mut at_least = 0;
            for draw in draws.rows(i, others.len()) {
                let mut sum = self_w * values[i];
                for (w, j) in others.iter().zip(draw) {
                    sum += w * values[j];
                }
                if sum >= observed {
                    at_least += 1;
                }
            }
            folded_p(at_least, params.permutations)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A hand-computed case with general weights. Five cells in a row, values
    /// x = [1, 2, 3, 4, 10]; cell 2's weights: itself 1, distance-1 neighbours (1, 3) 0.5,
    /// distance-2 neighbours (0, 4) 0.25.
    /// n = 5, X̄ = 4, Σx² = 130, S = √(130/5 − 16) = √10.
    /// Σw x = 3 + 0.5·(2 + 4) + 0.25·(1 + 10) = 8.75; Σw = 2.5; Σw² = 1 + 0.5 + 0.125 = 1.625.
    /// z = (8.75 − 4·2.5) / (√10 · √((5·1.625 − 6.25)/4)) = −1.25 / (√10 · √0.46875)
    ///   = −0.577350269189626 (= −1/√3).
    #[test]
    fn general_weights_by_hand() {
        let rows: Vec<Vec<u32>> = (0..5).map(|_| (0..5).collect()).collect();
        let neighbours = Neighbours::from_rows(&rows);
        let values = [1.0, 2.0, 3.0, 4.0, 10.0];
        let w = |i: usize, j: usize| match i.abs_diff(j) {
            0 => 1.0,
            1 => 0.5,
            _ => 0.25,
        };
        let gi = gi_star_weighted(&values, &neighbours, w, GiStarParams::default());
        assert!((gi.z[2] + 1.0 / 3.0_f64.sqrt()).abs() < 1e-12, "{}", gi.z[2]);
    }

    #[test]
    fn constant_values_have_no_z() {
        let neighbours = Neighbours::from_rows(&[vec![0, 1], vec![0, 1]]);
        assert!(gi_star(&[3.0, 3.0], &neighbours, GiStarParams::default()).z.iter().all(|z| z.is_nan()));
    }

    #[test]
    fn folding_matches_esda() {
        // 999 permutations, 990 at least as large: folded to 9, p = 10/1000.
        assert!((folded_p(990, 999) - 0.01).abs() < 1e-15);
        assert!((folded_p(0, 999) - 0.001).abs() < 1e-15);
    }
}
