//! The binomial upper tail, exact and stable far into the tail.
//!
//! The probability mass is computed in log space by Loader's saddle-point form, which avoids
//! the cancellation of `lgamma(n + 1) − lgamma(k + 1) − lgamma(n − k + 1)` (at n = 5,000 that
//! difference loses about eleven digits' worth of absolute precision in the log), and the tail
//! is the first mass times a sum of ratios, so a p-value stays representable down to the
//! smallest subnormal double.

/// `ln(2π)`.
const LN_2PI: f64 = 1.837_877_066_409_345_5;

/// Factorials 0! … 15!, exact in an `f64` (15! < 2⁵³).
const FACTORIALS: [f64; 16] = [
    1.0,
    1.0,
    2.0,
    6.0,
    24.0,
    120.0,
    720.0,
    5_040.0,
    40_320.0,
    362_880.0,
    3_628_800.0,
    39_916_800.0,
    479_001_600.0,
    6_227_020_800.0,
    87_178_291_200.0,
    1_307_674_368_000.0,
];

/// `P(X ≥ k)` for `X ~ Binomial(n, p)`: the upper tail including `k`.
///
/// Exact summation of the probability mass (no normal or Poisson approximation). `k = 0`
/// gives 1, `k > n` gives 0; `p` outside `[0, 1]` or NaN gives NaN. Values keep about 13
/// significant digits down to the subnormal range (below about 4.9e-324 the result is 0;
/// [`ln_binomial_upper_tail`] has the logarithm for those).
///
/// # Algorithm
/// When `k` lies above the mean `n·p`, the tail is `f(k)·Σ_{j ≥ k} f(j)/f(k)`, with `f(k)`
/// from Loader's saddle-point expansion and the ratios by the recurrence
/// `f(j + 1)/f(j) = (n − j)/(j + 1) · p/(1 − p)`, stopped once a ratio no longer changes the
/// sum. Otherwise the tail is at least one half and is `1 − P(X ≤ k − 1)`, the lower sum taken
/// the same way downwards from `k − 1` (then at most one half, so the subtraction loses no
/// relative precision). The work is about `√(n·p·(1 − p))` terms.
///
/// # Example
/// ```
/// use hexwatch_core::alerts::binomial_upper_tail;
/// // Three incidents after an empty six-period baseline: (1/7)³.
/// let p = binomial_upper_tail(3, 3, 1.0 / 7.0);
/// assert!((p - 1.0 / 343.0).abs() < 1e-17);
/// assert_eq!(binomial_upper_tail(0, 10, 0.5), 1.0);
/// ```
///
/// # References
/// Loader, C. (2000). Fast and accurate computation of binomial probabilities. Tested against
/// SciPy 1.17.1 `scipy.stats.binom.sf(k − 1, n, p)` (`tests/fixtures/alerts/`).
#[must_use]
pub fn binomial_upper_tail(k: u64, n: u64, p: f64) -> f64 {
    ln_binomial_upper_tail(k, n, p).exp()
}

/// The natural logarithm of [`binomial_upper_tail`]: `ln P(X ≥ k)`, finite far below the
/// smallest double (`−inf` when the tail is exactly 0, i.e. `k > n` or `p = 0 < k`).
///
/// # Example
/// ```
/// use hexwatch_core::alerts::ln_binomial_upper_tail;
/// // (1/7)^400 ≈ 10^-338 is below the smallest double; its logarithm is not.
/// let ln_p = ln_binomial_upper_tail(400, 400, 1.0 / 7.0);
/// assert!((ln_p - 400.0 * (1.0_f64 / 7.0).ln()).abs() < 1e-10);
/// ```
#[must_use]
pub fn ln_binomial_upper_tail(k: u64, n: u64, p: f64) -> f64 {
    if !(0.0..=1.0).contains(&p) {
        return f64::NAN;
    }
    if k == 0 {
        return 0.0;
    }
    if k > n || p == 0.0 {
        return f64::NEG_INFINITY;
    }
    if p == 1.0 {
        return 0.0;
    }
    let q = 1.0 - p;
    #[expect(clippy::cast_precision_loss, reason = "counts are far below 2^52")]
    let (kf, nf) = (k as f64, n as f64);
    if kf > nf * p {
        // The mode is at most k, so the masses from k upwards only fall.
        let ratio = p / q;
        let mut sum = 1.0;
        let mut term = 1.0;
        for j in k..n {
            #[expect(clippy::cast_precision_loss, reason = "counts are far below 2^52")]
            let jf = j as f64;
            term *= (nf - jf) / (jf + 1.0) * ratio;
            let next = sum + term;
            if next == sum {
                break;
            }
            sum = next;
        }
        ln_binomial_pmf(k, n, p, q) + sum.ln()
    } else {
        // k − 1 lies below the median, so P(X ≤ k − 1) ≤ 1/2 and its masses fall downwards.
        let ratio = q / p;
        let mut sum = 1.0;
        let mut term = 1.0;
        for j in (1..k).rev() {
            #[expect(clippy::cast_precision_loss, reason = "counts are far below 2^52")]
            let jf = j as f64;
            term *= jf / (nf - jf + 1.0) * ratio;
            let next = sum + term;
            if next == sum {
                break;
            }
            sum = next;
        }
        let lower = (ln_binomial_pmf(k - 1, n, p, q) + sum.ln()).exp();
        (-lower).ln_1p()
    }
}

/// `ln P(X = x)` for `X ~ Binomial(n, p)`, `q = 1 − p`, `0 < p < 1`, `x ≤ n` (Loader 2000):
/// `ln C(n, x) pˣ qⁿ⁻ˣ = δ(n) − δ(x) − δ(n − x) − D(x, np) − D(n − x, nq)
///  − ½ ln(2π x (n − x)/n)` with δ the Stirling remainder and D the deviance term.
fn ln_binomial_pmf(x: u64, n: u64, p: f64, q: f64) -> f64 {
    #[expect(clippy::cast_precision_loss, reason = "counts are far below 2^52")]
    let (xf, nf) = (x as f64, n as f64);
    if x == 0 {
        return nf * (-p).ln_1p();
    }
    if x == n {
        return nf * p.ln();
    }
    let lc = stirling_remainder(n)
        - stirling_remainder(x)
        - stirling_remainder(n - x)
        - deviance(xf, nf * p)
        - deviance(nf - xf, nf * q);
    let lf = LN_2PI + xf.ln() + (-xf / nf).ln_1p();
    lc - 0.5 * lf
}

/// `δ(m) = ln m! − (m + ½) ln m + m − ½ ln 2π`, the error of Stirling's formula, `m ≥ 1`.
fn stirling_remainder(m: u64) -> f64 {
    #[expect(clippy::cast_precision_loss, reason = "counts are far below 2^52")]
    let mf = m as f64;
    match usize::try_from(m) {
        Ok(small) if small < FACTORIALS.len() => {
            FACTORIALS[small].ln() - (mf + 0.5) * mf.ln() + mf - 0.5 * LN_2PI
        }
        _ => {
            // The asymptotic series 1/(12m) − 1/(360m³) + 1/(1260m⁵) − 1/(1680m⁷) + 1/(1188m⁹);
            // the next term is below 2e-16 for m ≥ 16.
            let m2 = mf * mf;
            (1.0 / 12.0
                - (1.0 / 360.0 - (1.0 / 1260.0 - (1.0 / 1680.0 - 1.0 / (1188.0 * m2)) / m2) / m2) / m2)
                / mf
        }
    }
}

/// `D(x, m) = x ln(x/m) + m − x ≥ 0`, the deviance term, without cancellation when x ≈ m.
fn deviance(x: f64, m: f64) -> f64 {
    if (x - m).abs() < 0.1 * (x + m) {
        // With v = (x − m)/(x + m): D = (x − m)·v + 2x·Σ_{j ≥ 1} v^(2j+1)/(2j + 1), all terms
        // of one sign, so the sum is stable.
        let v = (x - m) / (x + m);
        let v2 = v * v;
        let mut sum = (x - m) * v;
        let mut power = 2.0 * x * v;
        let mut j = 1.0;
        loop {
            power *= v2;
            let next = sum + power / (2.0 * j + 1.0);
            if next == sum {
                return sum;
            }
            sum = next;
            j += 1.0;
        }
    }
    x * (x / m).ln() + m - x
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Probability masses from exact rational arithmetic: C(10, 3)·0.3³·0.7⁷ and
    /// C(40, 20)/2⁴⁰ = 137846528820/1099511627776.
    #[test]
    fn pmf_matches_exact_values() {
        let got = ln_binomial_pmf(3, 10, 0.3, 0.7).exp();
        let want = 120.0 * 0.027 * 0.082_354_3;
        assert!((got / want - 1.0).abs() < 1e-14, "{got} vs {want}");
        let got = ln_binomial_pmf(20, 40, 0.5, 0.5).exp();
        let want = 137_846_528_820.0 / 1_099_511_627_776.0;
        assert!((got / want - 1.0).abs() < 1e-14, "{got} vs {want}");
    }

    #[test]
    fn stirling_remainder_is_continuous_at_the_switch() {
        // δ(15) from the factorial and δ(16) from the series: δ(m) − δ(m + 1) =
        // (m + ½) ln((m + 1)/m) − 1 exactly.
        let lhs = stirling_remainder(15) - stirling_remainder(16);
        let rhs = 15.5 * (16.0_f64 / 15.0).ln() - 1.0;
        assert!((lhs - rhs).abs() < 5e-14, "{lhs:e} vs {rhs:e}");
    }

    #[test]
    fn edges() {
        assert_eq!(binomial_upper_tail(0, 0, 0.3), 1.0);
        assert_eq!(binomial_upper_tail(1, 0, 0.3), 0.0);
        assert_eq!(binomial_upper_tail(4, 3, 0.3), 0.0);
        assert_eq!(binomial_upper_tail(1, 5, 0.0), 0.0);
        assert_eq!(binomial_upper_tail(5, 5, 1.0), 1.0);
        assert!(binomial_upper_tail(1, 5, 1.5).is_nan());
        assert!(binomial_upper_tail(1, 5, f64::NAN).is_nan());
        // k = n is pⁿ; k = 1 is 1 − qⁿ.
        assert!((binomial_upper_tail(5, 5, 0.5) - 1.0 / 32.0).abs() < 1e-17);
        assert!((binomial_upper_tail(1, 5, 0.5) - 31.0 / 32.0).abs() < 1e-15);
    }
}
