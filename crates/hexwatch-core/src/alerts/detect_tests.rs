//! Hand-computed cases of the per-period test, the seasonal switch and the alert runs.

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::*;

fn ward(code: &str, counts: &[u32]) -> Series {
    Series { unit: Unit::Ward(code.to_owned()), category: "burglary".to_owned(), counts: counts.to_vec() }
}

/// 2025-01 as a month index.
const JAN_2025: i64 = 2025 * 12;

fn set(series: Vec<Series>) -> SeriesSet {
    SeriesSet::new(Period::Month, JAN_2025, series).unwrap()
}

/// x = 3 after six empty periods: p = P(Bin(3, 1/7) ≥ 3) = (1/7)³; x = 0: p = 1.
#[test]
fn empty_baseline_gives_one_seventh_cubed_not_zero() {
    let s = set(vec![ward("A", &[0, 0, 0, 0, 0, 0, 3]), ward("B", &[0, 0, 0, 0, 0, 0, 0])]);
    let d = detect(&s, 6, AlertParams::default()).unwrap();
    let (a, b) = (d.tests[0], d.tests[1]);
    assert!((a.p_value - 1.0 / 343.0).abs() < 1e-17, "{}", a.p_value);
    assert_eq!((a.observed, a.baseline_total, a.baseline_periods), (3, 0, 6));
    assert_eq!(a.expected, 0.0);
    assert_eq!(a.ratio, None);
    assert_eq!(b.p_value, 1.0);
    // Wheeler z = 2√3; EWMA from 0 over six zeros then 3: 0.2·3.
    assert!((a.wheeler_z - 2.0 * 3.0_f64.sqrt()).abs() < 1e-15);
    assert!((a.ewma - 0.6).abs() < 1e-15);
    assert_eq!(a.ewma_ucl, 0.0);
    // m = 2: q = p·2/1 for the smaller p, and the larger keeps 1.
    assert!((a.q_value - 2.0 / 343.0).abs() < 1e-17);
    assert_eq!(b.q_value, 1.0);
    assert!(a.alert && !b.alert);
}

/// x = 5, S = 12 over B = 6: p = P(Bin(17, 1/7) ≥ 5) = 1 − Σ_{j ≤ 4} C(17, j) 6^(17−j)/7^17
/// = 0.0925... (exact rational, evaluated with Python's fractions); μ̂ = 2, ratio 2.5,
/// z = 2(√5 − √2); EWMA from 2 through 1, 3, 2, 2, 3, 1 then 5.
#[test]
fn moderate_case_by_hand() {
    let s = set(vec![ward("A", &[1, 3, 2, 2, 3, 1, 5])]);
    let t = detect(&s, 6, AlertParams::default()).unwrap().tests[0];
    let exact_lower: f64 = [1.0, 17.0, 136.0, 680.0, 2380.0]
        .iter()
        .enumerate()
        .map(|(j, c)| c * 6.0_f64.powi(17 - i32::try_from(j).unwrap()) / 7.0_f64.powi(17))
        .sum();
    assert!((t.p_value - (1.0 - exact_lower)).abs() < 1e-15, "{}", t.p_value);
    assert_eq!(t.expected, 2.0);
    assert_eq!(t.ratio, Some(2.5));
    assert!((t.wheeler_z - 2.0 * (5.0_f64.sqrt() - 2.0_f64.sqrt())).abs() < 1e-15);
    let mut e = 2.0;
    for x in [1.0, 3.0, 2.0, 2.0, 3.0, 1.0, 5.0] {
        e = 0.2 * x + 0.8 * e;
    }
    assert!((t.ewma - e).abs() < 1e-15);
    assert!((t.ewma_centre - 2.0).abs() < 1e-15);
    assert!((t.ewma_ucl - (2.0 + 3.0 * 2.0_f64.sqrt() * (0.2_f64 / 1.8).sqrt())).abs() < 1e-15);
    assert!(!t.alert, "p = 0.09 alone is no alert at q = 0.05");
}

#[test]
fn periods_without_a_full_baseline_are_not_tested() {
    let s = set(vec![ward("A", &[9; 8])]);
    let all = detect_all(&s, AlertParams::default()).unwrap();
    assert_eq!(all.len(), 8);
    for d in &all[..6] {
        assert_eq!(d.status, PeriodStatus::InsufficientBaseline { available: d.offset, needed: 6 });
        assert_eq!(d.status.to_string(), "insufficient baseline");
        assert!(d.tests.is_empty());
    }
    assert_eq!(all[6].status, PeriodStatus::Tested);
    assert_eq!(all[6].baseline, (0..6).collect::<Vec<_>>());
    assert_eq!(all[7].label, "2025-08");
    assert_eq!(
        detect(&s, 8, AlertParams::default()),
        Err(AlertError::PeriodOutOfRange { value: 8, periods: 8 })
    );
}

#[test]
fn a_fall_is_never_an_alert() {
    // 40 after 0: rejected; 0 after 40 a period: p = 1.
    let s = set(vec![ward("A", &[0, 0, 0, 0, 0, 0, 40]), ward("B", &[40, 40, 40, 40, 40, 40, 0])]);
    let d = detect(&s, 6, AlertParams::default()).unwrap();
    assert!(d.tests[0].alert);
    assert_eq!(d.tests[1].p_value, 1.0);
    assert!(!d.tests[1].alert);
}

/// The alert decision is fdr.rs's `benjamini_hochberg`; the reported q must agree with it:
/// q ≤ α exactly when rejected, on seeded random p-vectors with true signals mixed in.
#[test]
fn q_values_agree_with_the_bh_decision() {
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    for round in 0..200 {
        let m = rng.random_range(1..300);
        let p: Vec<f64> = (0..m)
            .map(|_| if rng.random::<f64>() < 0.2 { rng.random::<f64>() * 1e-4 } else { rng.random::<f64>() })
            .collect();
        let q = crate::stats::bh_adjusted(&p);
        for alpha in [0.01, 0.05, 0.1, 0.2] {
            let rejected = benjamini_hochberg(&p, alpha);
            for i in 0..m {
                assert_eq!(q[i] <= alpha, rejected[i], "round {round}, α {alpha}, p {} q {}", p[i], q[i]);
                assert!(q[i] >= p[i] * (1.0 - 1e-15) && q[i] <= 1.0);
            }
        }
    }
}

#[test]
fn seasonality_is_used_from_24_months_and_said_either_way() {
    // 31 months from January 2025: a peak of 12 every July (offsets 6, 18, 30), 3 otherwise.
    let counts: Vec<u32> = (0..31).map(|t| if t % 12 == 6 { 12 } else { 3 }).collect();
    let s = set(vec![ward("A", &counts)]);
    let params = AlertParams::default();
    // Offset 22 (2026-11) holds 23 months of data: trailing baseline.
    let short = detect(&s, 22, params).unwrap();
    assert_eq!(short.seasonality, SeasonalModel::ShortHistory);
    assert_eq!(short.seasonality.to_string(), "not modelled (fewer than 24 months of data)");
    assert_eq!(short.baseline, (16..22).collect::<Vec<_>>());
    // Offset 23 holds 24: the same month a year earlier ± 1 (10, 11, 12) and, two years
    // back, the one period of the window inside the set (0 of −2..=0).
    let long = detect(&s, 23, params).unwrap();
    assert_eq!(long.seasonality, SeasonalModel::SameSeason { years: 2, window: 1 });
    assert_eq!(long.seasonality.to_string(), "modelled: same period ± 1 in 2 earlier year(s)");
    assert_eq!(long.baseline, [0, 10, 11, 12]);
    // July 2027 (offset 30): Julys 2026 and 2025 with their neighbours; the peak is expected.
    let july = detect(&s, 30, params).unwrap();
    assert_eq!(july.baseline, [5, 6, 7, 17, 18, 19]);
    assert_eq!(july.tests[0].baseline_periods, 6);
    let off = detect(&s, 30, AlertParams { seasonality: Seasonality::Off, ..params }).unwrap();
    assert_eq!(off.seasonality.to_string(), "not modelled (switched off)");
    assert_eq!(off.baseline, (24..30).collect::<Vec<_>>());
    assert!(july.tests[0].p_value > off.tests[0].p_value);

    // Weeks: 24 months is 105 weeks (735 days ≥ 730.5).
    let weekly = SeriesSet::new(Period::IsoWeek, 2_900, vec![ward("A", &[1; 110])]).unwrap();
    assert_eq!(detect(&weekly, 103, params).unwrap().seasonality, SeasonalModel::ShortHistory);
    let w = detect(&weekly, 104, params).unwrap();
    assert_eq!(w.seasonality, SeasonalModel::SameSeason { years: 2, window: 1 });
    assert_eq!(w.baseline, [0, 1, 51, 52, 53]);
}

#[test]
fn alert_runs_carry_when_they_were_first_raised() {
    let hot = [0, 0, 0, 0, 0, 0, 30, 30, 0, 30];
    let s = set(vec![ward("E05012649", &hot), ward("E05012650", &[0; 10])]);
    let d = detect_all(&s, AlertParams::default()).unwrap();
    let a = alerts(&s, &d);
    let summary: Vec<(String, String, AlertStatus)> =
        a.iter().map(|a| (a.period_label.clone(), a.first_raised_label.clone(), a.status)).collect();
    // July and August alert (August's baseline holds July's 30, but 30 after 30 in six
    // months is still far above 30/6); September does not; October opens a new run.
    assert_eq!(
        summary,
        [
            ("2025-07".to_owned(), "2025-07".to_owned(), AlertStatus::New),
            ("2025-08".to_owned(), "2025-07".to_owned(), AlertStatus::Continuing),
            ("2025-10".to_owned(), "2025-10".to_owned(), AlertStatus::New),
        ]
    );
    assert_eq!(a[0].id, "E05012649:burglary:2025-07");
    assert_eq!(a[0].method, METHOD);
    assert_eq!(a[0].unit, Unit::Ward("E05012649".to_owned()));
    // Without August the run breaks.
    let gappy: Vec<PeriodDetection> = d.iter().filter(|d| d.label != "2025-08").cloned().collect();
    let a = alerts(&s, &gappy);
    assert!(a.iter().all(|a| a.status == AlertStatus::New));
}

#[test]
fn parameters_are_validated() {
    let s = set(vec![ward("A", &[1; 8])]);
    let d = AlertParams::default();
    let err = |p| detect(&s, 7, p).unwrap_err();
    assert_eq!(
        err(AlertParams { baseline_periods: 0, ..d }),
        AlertError::InvalidBaselinePeriods { value: 0 }
    );
    assert_eq!(err(AlertParams { fdr_q: 1.0, ..d }), AlertError::InvalidFdrQ { value: 1.0 });
    assert!(matches!(err(AlertParams { fdr_q: f64::NAN, ..d }), AlertError::InvalidFdrQ { .. }));
    assert_eq!(err(AlertParams { ewma_lambda: 0.0, ..d }), AlertError::InvalidEwmaLambda { value: 0.0 });
    assert_eq!(err(AlertParams { ewma_sigmas: -1.0, ..d }), AlertError::InvalidEwmaSigmas { value: -1.0 });
    assert_eq!(
        err(AlertParams { seasonal_window: 6, ..d }),
        AlertError::InvalidSeasonalWindow { years: 5, window: 6, per_year: 12 }
    );
    assert!(detect(&s, 7, AlertParams { seasonal_window: 6, seasonality: Seasonality::Off, ..d }).is_ok());
    assert_eq!(
        SeriesSet::new(Period::Month, 0, vec![ward("A", &[1, 2]), ward("B", &[1])]),
        Err(AlertError::SeriesLength { series: 1, got: 1, expected: 2 })
    );
}

/// `bh_adjusted` equals SciPy 1.17.1 `false_discovery_control(p, method='bh')` on the
/// vectors of `tests/fixtures/alerts/bh_q.csv` (hand cases, ties, many ones, uniform and
/// mixed vectors, p down to 1e-300).
#[test]
fn q_values_match_scipy() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/alerts/bh_q.csv");
    let text = std::fs::read_to_string(path).unwrap();
    let mut vectors: Vec<(String, Vec<f64>, Vec<f64>)> = Vec::new();
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        if vectors.last().is_none_or(|v| v.0 != f[0]) {
            vectors.push((f[0].to_owned(), Vec::new(), Vec::new()));
        }
        let v = vectors.last_mut().unwrap();
        v.1.push(f[1].parse().unwrap());
        v.2.push(f[2].parse().unwrap());
    }
    assert_eq!(vectors.len(), 7);
    for (name, p, want) in &vectors {
        for (got, want) in crate::stats::bh_adjusted(p).iter().zip(want) {
            assert!((got - want).abs() <= 1e-15 * want, "{name}: {got:e} vs scipy {want:e}");
        }
    }
}
