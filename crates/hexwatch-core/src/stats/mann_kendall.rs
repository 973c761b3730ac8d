//! The Mann–Kendall trend test with tie correction.

use super::fdr::two_sided_p;

/// A Mann–Kendall test of one series.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MannKendall {
    /// S = Σ_{k<j} sgn(x_j − x_k).
    pub s: f64,
    /// Var(S) with the tie correction.
    pub var_s: f64,
    /// Continuity-corrected z: (S − 1)/√Var if S > 0, 0 if S = 0, (S + 1)/√Var if S < 0.
    pub z: f64,
    /// Two-sided p from the normal.
    pub p: f64,
    /// Kendall's τ = S / (n(n − 1)/2).
    pub tau: f64,
}

/// Mann–Kendall test of `series` in time order:
///
/// ```text
/// Var(S) = [ n(n−1)(2n+5) − Σ_p t_p(t_p−1)(2t_p+5) ] / 18   (t_p: size of tie group p)
/// ```
///
/// as `pymannkendall.original_test` computes it (the tests compare against it).
///
/// # References
/// Mann, H.B. (1945), Econometrica 13; Kendall, M.G. (1975), Rank Correlation Methods.
#[must_use]
pub fn mann_kendall(series: &[f64]) -> MannKendall {
    let n = series.len();
    let mut s = 0.0;
    for k in 0..n {
        for j in k + 1..n {
            let d = series[j] - series[k];
            if d > 0.0 {
                s += 1.0;
            } else if d < 0.0 {
                s -= 1.0;
            }
        }
    }
    let mut sorted: Vec<f64> = series.to_vec();
    sorted.sort_by(f64::total_cmp);
    let mut ties = 0.0;
    let mut run = 1.0_f64;
    for w in 0..sorted.len() {
        if w + 1 < sorted.len() && sorted[w + 1] == sorted[w] {
            run += 1.0;
        } else {
            ties += run * (run - 1.0) * 2.0f64.mul_add(run, 5.0);
            run = 1.0;
        }
    }
    #[expect(clippy::cast_precision_loss, reason = "series lengths are small")]
    let nf = n as f64;
    let var_s = (nf * (nf - 1.0) * 2.0f64.mul_add(nf, 5.0) - ties) / 18.0;
    let z = if var_s <= 0.0 {
        0.0
    } else if s > 0.0 {
        (s - 1.0) / var_s.sqrt()
    } else if s < 0.0 {
        (s + 1.0) / var_s.sqrt()
    } else {
        0.0
    };
    let pairs = nf * (nf - 1.0) / 2.0;
    MannKendall { s, var_s, z, p: two_sided_p(z), tau: if pairs > 0.0 { s / pairs } else { 0.0 } }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// By hand: x = [1, 2, 2, 3]. Pairs: (1,2)+ (1,2)+ (1,3)+ (2,2)0 (2,3)+ (2,3)+ → S = 5.
    /// One tie group of 2: Var = [4·3·13 − 2·1·9]/18 = (156 − 18)/18 = 7.6667.
    /// z = (5 − 1)/√7.6667 = 1.44463; τ = 5/6.
    #[test]
    fn small_series_by_hand() {
        let mk = mann_kendall(&[1.0, 2.0, 2.0, 3.0]);
        assert_eq!(mk.s, 5.0);
        assert!((mk.var_s - 138.0 / 18.0).abs() < 1e-12);
        assert!((mk.z - 4.0 / (138.0_f64 / 18.0).sqrt()).abs() < 1e-12);
        assert!((mk.tau - 5.0 / 6.0).abs() < 1e-12);
    }
}
