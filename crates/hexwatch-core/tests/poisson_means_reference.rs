//! The E-test for two Poisson rates against SciPy 1.17.1 `scipy.stats.poisson_means_test`:
//! statistic and p-value to 1e-9 on 2,112 cases (small, zero and large counts, equal and
//! unequal exposures, a non-zero diff, the three alternatives). Fixture, generator and pinned
//! versions: `tests/fixtures/poisson_means/` (see its SOURCE.md).

#![allow(clippy::unwrap_used, clippy::panic, reason = "test set-up fails loudly")]

use hexwatch_core::stats::{RateAlternative, poisson_means_test};

#[test]
fn poisson_means_test_matches_scipy() {
    let path = format!("{}/tests/fixtures/poisson_means/poisson_means.csv", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("k1,n1,k2,n2,diff,alternative,statistic,pvalue"));
    let (mut cases, mut worst) = (0, (0.0_f64, String::new()));
    let (mut significant, mut zero_counts, mut unequal) = (0, 0, 0);
    for line in lines {
        let r: Vec<&str> = line.split(',').collect();
        let (k1, n1, k2, n2, diff): (u64, f64, u64, f64, f64) = (
            r[0].parse().unwrap(),
            r[1].parse().unwrap(),
            r[2].parse().unwrap(),
            r[3].parse().unwrap(),
            r[4].parse().unwrap(),
        );
        let alternative = RateAlternative::parse(r[5]).unwrap();
        let (statistic, p_value): (f64, f64) = (r[6].parse().unwrap(), r[7].parse().unwrap());
        let got = poisson_means_test(k1, n1, k2, n2, diff, alternative).unwrap();
        assert!(
            (got.statistic - statistic).abs() <= 1e-9 * statistic.abs().max(1.0),
            "{line}: statistic {} against scipy's {statistic}",
            got.statistic
        );
        let error = (got.p_value - p_value).abs();
        assert!(error <= 1e-9, "{line}: p-value {:e} against scipy's {p_value:e}", got.p_value);
        if error > worst.0 {
            worst = (error, line.to_owned());
        }
        cases += 1;
        significant += usize::from(p_value < 0.05);
        zero_counts += usize::from(k1 == 0 || k2 == 0);
        unequal += usize::from(n1 != n2);
    }
    assert_eq!(cases, 2_112);
    // The fixture spans both outcomes and the edge cases it claims to.
    assert!(significant > 300 && cases - significant > 300, "{significant} significant");
    assert!(zero_counts > 300 && unequal > 800, "{zero_counts} with a zero count, {unequal} unequal");
    println!("{cases} cases; worst p-value error {:.2e} at {}", worst.0, worst.1);
}
