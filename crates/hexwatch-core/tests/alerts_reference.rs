//! Alerts against SciPy 1.17.1: the exact binomial upper tail against
//! `scipy.stats.binom.sf(k − 1, n, p)`, and p and Benjamini–Hochberg q of a period's tests
//! against `binom.sf` and `scipy.stats.false_discovery_control(method='bh')`. Fixtures,
//! generator and pinned versions: `tests/fixtures/alerts/` (see its SOURCE.md).

#![allow(clippy::unwrap_used, clippy::panic, reason = "test set-up fails loudly")]

use hexwatch_core::alerts::{
    AlertParams, Period, Series, SeriesSet, Unit, binomial_upper_tail, detect, ln_binomial_upper_tail,
};

/// Rows of a fixture, split on commas, header dropped.
fn rows(name: &str) -> Vec<Vec<String>> {
    let path = format!("{}/tests/fixtures/alerts/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap();
    text.lines().skip(1).map(|l| l.split(',').map(str::to_owned).collect()).collect()
}

/// Agreement to 1e-12 relative, or 1e-300 absolute where SciPy's value is at or below the
/// double range's edge (it returns 0 below about 1e-308).
fn agrees(got: f64, want: f64) -> bool {
    (got - want).abs() <= 1e-12 * want.abs() || (want.abs() < 1e-290 && (got - want).abs() <= 1e-300)
}

#[test]
fn binomial_upper_tail_matches_scipy() {
    let cases = rows("binomial_tail.csv");
    assert!(cases.len() > 1_000);
    let mut worst = (0.0_f64, String::new());
    let mut underflow = 0;
    for r in &cases {
        let (k, n, p, want): (u64, u64, f64, f64) =
            (r[0].parse().unwrap(), r[1].parse().unwrap(), r[2].parse().unwrap(), r[3].parse().unwrap());
        let got = binomial_upper_tail(k, n, p);
        assert!(agrees(got, want), "k {k} n {n} p {p}: ours {got:e}, scipy {want:e}");
        if want > 0.0 {
            let rel = (got / want - 1.0).abs();
            if rel > worst.0 {
                worst = (rel, format!("k {k} n {n} p {p}"));
            }
        } else {
            underflow += 1;
            // Where SciPy underflows, our logarithm is still finite and below ln(1e-300).
            let ln = ln_binomial_upper_tail(k, n, p);
            assert!(ln.is_finite() && ln < -690.0, "k {k} n {n} p {p}: ln {ln}");
        }
        if k == 0 {
            assert_eq!(got, 1.0);
        }
    }
    println!(
        "{} cases ({underflow} below SciPy's range); worst relative error {:.2e} at {}",
        cases.len(),
        worst.0,
        worst.1
    );
}

/// The p and q of one period's forty series (last of seven months tested against the six
/// before) equal SciPy's, through the public `detect`.
#[test]
fn period_p_and_q_match_scipy() {
    let cases = rows("detect_cases.csv");
    let series: Vec<Series> = cases
        .iter()
        .map(|r| Series {
            unit: Unit::Ward(format!("W{}", r[0])),
            category: "all".to_owned(),
            counts: r[1].split(';').map(|c| c.parse().unwrap()).collect(),
        })
        .collect();
    let set = SeriesSet::new(Period::Month, 2025 * 12, series).unwrap();
    let d = detect(&set, 6, AlertParams::default()).unwrap();
    for (t, r) in d.tests.iter().zip(&cases) {
        let (p, q): (f64, f64) = (r[2].parse().unwrap(), r[3].parse().unwrap());
        assert!(agrees(t.p_value, p), "series {}: p {:e} vs scipy {p:e}", r[0], t.p_value);
        assert!(agrees(t.q_value, q), "series {}: q {:e} vs scipy {q:e}", r[0], t.q_value);
        assert_eq!(t.alert, q <= 0.05 && f64::from(t.observed) > t.expected, "series {}", r[0]);
    }
    // The three strongly raised final months alert; the +6 on series 0 does not survive FDR.
    assert!(d.tests[1..4].iter().all(|t| t.alert));
    assert!(!d.tests[0].alert);
}
