//! p-values, Benjamini–Hochberg FDR and Esri-style confidence bins.

use rayon::prelude::*;

/// Two-sided p-value of a standard normal z-score: `2·(1 − Φ(|z|)) = erfc(|z|/√2)`
/// (computed with the complementary error function of `libm`, a port of musl's, so tail
/// values keep their precision).
#[must_use]
pub fn two_sided_p(z: f64) -> f64 {
    if z.is_nan() {
        return f64::NAN;
    }
    libm::erfc(z.abs() / std::f64::consts::SQRT_2)
}

/// Benjamini–Hochberg (1995) at level `alpha`: which hypotheses are rejected.
///
/// Sort p ascending; find the largest rank k with p₍ₖ₎ ≤ k·α/n; reject every hypothesis with
/// p ≤ p₍ₖ₎. No Bonferroni fall-back when nothing passes (esda's `fdr` has one; this is the
/// standard procedure, as statsmodels `multipletests(method='fdr_bh')` and Esri's
/// `Stats.fdrTransform` compute it). NaN p-values are never rejected and do not count in n.
///
/// # References
/// Benjamini, Y. & Hochberg, Y. (1995). Controlling the false discovery rate. JRSS B 57(1).
#[must_use]
pub fn benjamini_hochberg(p: &[f64], alpha: f64) -> Vec<bool> {
    let mut order: Vec<usize> = (0..p.len()).filter(|&i| !p[i].is_nan()).collect();
    order.sort_by(|&a, &b| p[a].total_cmp(&p[b]));
    #[expect(clippy::cast_precision_loss, reason = "cell counts are far below 2^52")]
    let n = order.len() as f64;
    let mut cutoff = None;
    for (rank0, &i) in order.iter().enumerate() {
        #[expect(clippy::cast_precision_loss, reason = "ranks are far below 2^52")]
        let k = (rank0 + 1) as f64;
        if p[i] <= k * alpha / n {
            cutoff = Some(p[i]);
        }
    }
    p.iter().map(|&v| cutoff.is_some_and(|c| !v.is_nan() && v <= c)).collect()
}

/// Benjamini–Hochberg adjusted p-values (`q₍ᵢ₎ = min_{j ≥ i} min(1, p₍ⱼ₎·m/j)`, as
/// `scipy.stats.false_discovery_control(method='bh')` and R's `p.adjust(method = "BH")`):
/// `q ≤ α` exactly for the hypotheses that [`benjamini_hochberg`] rejects at α. NaN p-values
/// get NaN and do not count in m, as there.
#[must_use]
#[expect(clippy::cast_precision_loss, reason = "lengths are far below 2^52")]
pub fn bh_adjusted(p: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..p.len()).filter(|&i| !p[i].is_nan()).collect();
    order.sort_by(|&a, &b| p[a].total_cmp(&p[b]));
    let m = order.len() as f64;
    let mut q = vec![f64::NAN; p.len()];
    let mut running = 1.0_f64;
    for (rank0, &i) in order.iter().enumerate().rev() {
        running = running.min(p[i] * m / (rank0 + 1) as f64);
        q[i] = running;
    }
    q
}

/// Esri-style bins with FDR: ±3, ±2, ±1 when the cell passes Benjamini–Hochberg at
/// α = 0.01, 0.05, 0.10 (the strictest level passed), signed by z; 0 otherwise.
#[must_use]
pub fn fdr_bins(z: &[f64], p: &[f64]) -> Vec<i8> {
    // One (parallel) sort gives the BH cut-off at every level.
    let mut sorted: Vec<f64> = p.iter().copied().filter(|v| !v.is_nan()).collect();
    sorted.par_sort_unstable_by(f64::total_cmp);
    let cutoff = |alpha: f64| bh_cutoff(&sorted, alpha);
    let (c01, c05, c10) = (cutoff(0.01), cutoff(0.05), cutoff(0.10));
    let passes = |v: f64, c: Option<f64>| c.is_some_and(|c| !v.is_nan() && v <= c);
    z.par_iter()
        .zip(p)
        .map(|(z, &v)| {
            let level = if passes(v, c01) {
                3
            } else if passes(v, c05) {
                2
            } else {
                i8::from(passes(v, c10))
            };
            if *z < 0.0 { -level } else { level }
        })
        .collect()
}

/// The Benjamini–Hochberg cut-off of ascending p-values: the largest p₍ₖ₎ ≤ k·α/n.
fn bh_cutoff(sorted: &[f64], alpha: f64) -> Option<f64> {
    #[expect(clippy::cast_precision_loss, reason = "cell counts are far below 2^52")]
    let n = sorted.len() as f64;
    sorted
        .iter()
        .enumerate()
        .rev()
        .find(|(rank0, v)| {
            #[expect(clippy::cast_precision_loss, reason = "ranks are far below 2^52")]
            let k = (rank0 + 1) as f64;
            **v <= k * alpha / n
        })
        .map(|(_, v)| *v)
}

/// Esri-style bins without FDR: ±3, ±2, ±1 for p < 0.01, 0.05, 0.10.
#[must_use]
pub fn confidence_bins(z: &[f64], p: &[f64]) -> Vec<i8> {
    z.iter()
        .zip(p)
        .map(|(z, p)| {
            let level = if *p < 0.01 {
                3
            } else if *p < 0.05 {
                2
            } else {
                i8::from(*p < 0.10)
            };
            if *z < 0.0 { -level } else { level }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_sided_p_of_textbook_z_scores() {
        // Standard normal table: P(|Z| > 1.959964) = 0.05, P(|Z| > 2.575829) = 0.01.
        let p = two_sided_p(1.959_963_984_540_054);
        assert!((p - 0.05).abs() < 1e-12, "{p:e}");
        assert!((two_sided_p(-2.575_829_303_548_901) - 0.01).abs() < 1e-12);
        assert!((two_sided_p(0.0) - 1.0).abs() < 1e-15);
    }

    /// Hand-computed: n = 5, α = 0.05, thresholds k·α/n = 0.01, 0.02, 0.03, 0.04, 0.05.
    /// Sorted p = 0.005, 0.011, 0.039, 0.041, 0.6: ranks 1 (0.005 ≤ 0.01) and 2
    /// (0.011 ≤ 0.02) pass, ranks 3–5 do not, so the two smallest are rejected.
    #[test]
    fn benjamini_hochberg_by_hand() {
        let p = [0.041, 0.005, 0.6, 0.011, 0.039];
        assert_eq!(benjamini_hochberg(&p, 0.05), [false, true, false, true, false]);
        // Step-up: thresholds 0.0167, 0.0333, 0.05; rank 1 (0.02) fails its own threshold
        // but rank 3 (0.022 ≤ 0.05) passes, so all three are rejected.
        let p = [0.02, 0.021, 0.022];
        assert_eq!(benjamini_hochberg(&p, 0.05), [true, true, true]);
        assert_eq!(benjamini_hochberg(&[0.5, 0.9], 0.05), [false, false]);
    }
}
