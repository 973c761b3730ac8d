//! Clustering against outside references: DBSCAN against scikit-learn 1.9.1 on the fixtures
//! in `fixtures/dbscan/` (generator and pinned versions beside them), and NNH against a
//! hand-computed case whose threshold is written out below.

#![allow(clippy::unwrap_used, clippy::panic, reason = "test set-up fails loudly")]

use std::collections::HashMap;
use std::path::PathBuf;

use hexwatch_core::BngPoint;
use hexwatch_core::cluster::{ClusterError, NnhParams, NnhThreshold, dbscan, nnh};

fn fixture(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/dbscan").join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A CSV without quoted fields as a header and rows of fields.
fn table(text: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let mut lines = text.lines();
    let header = lines.next().expect("a header").split(',').map(str::to_owned).collect();
    (header, lines.map(|l| l.split(',').map(str::to_owned).collect()).collect())
}

struct Case {
    dataset: String,
    eps_m: f64,
    min_samples: usize,
    label_column: String,
    core_column: String,
    clusters: usize,
    ambiguous_border: usize,
}

fn cases() -> Vec<Case> {
    let (header, rows) = table(&fixture("cases.csv"));
    let col = |name: &str| header.iter().position(|h| h == name).expect(name);
    rows.iter()
        .map(|r| Case {
            dataset: r[col("dataset")].clone(),
            eps_m: r[col("eps_m")].parse().unwrap(),
            min_samples: r[col("min_samples")].parse().unwrap(),
            label_column: r[col("label_column")].clone(),
            core_column: r[col("core_column")].clone(),
            clusters: r[col("clusters")].parse().unwrap(),
            ambiguous_border: r[col("ambiguous_border")].parse().unwrap(),
        })
        .collect()
}

/// Checks hexwatch's DBSCAN against scikit-learn's labels for one case: core flags and
/// noise identical, clusters equal up to renaming (one-to-one on core points), and any
/// border point labelled differently within eps of core points of two or more of
/// scikit-learn's clusters (where DBSCAN's answer depends on visiting order). Returns the
/// number of border points labelled differently.
fn check_case(case: &Case) -> usize {
    let (header, rows) = table(&fixture(&format!("{}.csv", case.dataset)));
    let col = |name: &str| header.iter().position(|h| h == name).expect(name);
    let (e, n, l, c) = (col("easting_m"), col("northing_m"), col(&case.label_column), col(&case.core_column));
    let points: Vec<BngPoint> = rows
        .iter()
        .map(|r| BngPoint { easting_m: r[e].parse().unwrap(), northing_m: r[n].parse().unwrap() })
        .collect();
    let want_labels: Vec<i64> = rows.iter().map(|r| r[l].parse().unwrap()).collect();
    let want_core: Vec<bool> = rows.iter().map(|r| r[c] == "1").collect();
    let what = format!("{} eps {} min {}", case.dataset, case.eps_m, case.min_samples);

    let got = dbscan(&points, case.eps_m, case.min_samples).unwrap();
    assert_eq!(got.core, want_core, "{what}: core flags");
    for (i, (g, w)) in got.labels.iter().zip(&want_labels).enumerate() {
        assert_eq!(g.is_none(), *w == -1, "{what}: noise at point {i}");
    }
    assert_eq!(got.clusters, case.clusters, "{what}: number of clusters");

    // Clusters equal up to renaming: a bijection between labels, built on core points.
    let (mut ours_to_theirs, mut theirs_to_ours) = (HashMap::new(), HashMap::new());
    for i in (0..points.len()).filter(|&i| want_core[i]) {
        let (ours, theirs) = (got.labels[i].unwrap(), want_labels[i]);
        assert_eq!(*ours_to_theirs.entry(ours).or_insert(theirs), theirs, "{what}: core point {i}");
        assert_eq!(*theirs_to_ours.entry(theirs).or_insert(ours), ours, "{what}: core point {i}");
    }
    assert_eq!(ours_to_theirs.len(), case.clusters, "{what}: every cluster has a core point");

    let r2 = case.eps_m * case.eps_m;
    let mut differing = 0;
    for i in (0..points.len()).filter(|&i| !want_core[i] && want_labels[i] != -1) {
        let mapped = ours_to_theirs[&got.labels[i].unwrap()];
        if mapped == want_labels[i] {
            continue;
        }
        differing += 1;
        // Scikit-learn's clusters with a core point within eps of this border point.
        let mut reached: Vec<i64> = (0..points.len())
            .filter(|&j| {
                let (dx, dy) =
                    (points[i].easting_m - points[j].easting_m, points[i].northing_m - points[j].northing_m);
                want_core[j] && dx * dx + dy * dy <= r2
            })
            .map(|j| want_labels[j])
            .collect();
        reached.sort_unstable();
        reached.dedup();
        assert!(reached.len() > 1, "{what}: border point {i} differs but reaches only cluster {reached:?}");
        assert!(reached.contains(&mapped), "{what}: border point {i} joined a cluster it does not reach");
    }
    differing
}

#[test]
fn dbscan_matches_scikit_learn_on_synthetic_blobs() {
    let cases: Vec<Case> = cases().into_iter().filter(|c| c.dataset == "synthetic").collect();
    assert_eq!(cases.len(), 3);
    assert!(cases.iter().any(|c| c.ambiguous_border > 0), "some border points touch two clusters");
    for case in &cases {
        // hexwatch gives a border point the lowest-numbered cluster it reaches, as
        // scikit-learn's visiting order does: no border point differs.
        assert_eq!(check_case(case), 0, "{} eps {}", case.dataset, case.eps_m);
    }
}

#[test]
fn dbscan_matches_scikit_learn_on_bcp_anti_social_behaviour_2025() {
    let cases: Vec<Case> = cases().into_iter().filter(|c| c.dataset == "bcp_asb_2025").collect();
    assert_eq!(cases.len(), 3);
    for case in &cases {
        assert_eq!(check_case(case), 0, "{} eps {}", case.dataset, case.eps_m);
    }
}

/// The hand-computed NNH case: 12 points in metres from an origin at E 410000, N 90000.
///
/// ```text
///  index  point (m)        nearest neighbour
///  0..=4  A: (0,0) (100,0) (200,0) (200,100) (300,100)   a chain, links of exactly 100 m
///  5      B1: (600,0)                 108.55 m to B2
///  6      B2: (708.55,0)              108.47 m to B3
///  7      B3: (817.02,0)
///  8..=10 C: (0,500) (60,500) (30,552)  sides 60.00, 60.03, 60.03 m
///  11     E: (900,600)                isolated
/// ```
fn hand_points() -> Vec<BngPoint> {
    [
        (0.0, 0.0),
        (100.0, 0.0),
        (200.0, 0.0),
        (200.0, 100.0),
        (300.0, 100.0),
        (600.0, 0.0),
        (708.55, 0.0),
        (817.02, 0.0),
        (0.0, 500.0),
        (60.0, 500.0),
        (30.0, 552.0),
        (900.0, 600.0),
    ]
    .into_iter()
    .map(|(e, n)| BngPoint { easting_m: 410_000.0 + e, northing_m: 90_000.0 + n })
    .collect()
}

#[test]
fn nnh_matches_the_hand_computed_threshold_and_clusters() {
    // A = 1 km² = 1,000,000 m², N = 12, p = 0.05 one-tailed, z = 1.644854 (normal table):
    //   d_ran = 0.5 · √(A/N)  = 0.5 · √83,333.33 = 0.5 · 288.6751 = 144.3376 m
    //   SE    = 0.26136 · √(A/N²) = 0.26136 · √6,944.44 = 0.26136 · 83.3333 = 21.7800 m
    //   d     = d_ran − z · SE = 144.3376 − 1.644854 · 21.7800 = 144.3376 − 35.8249 = 108.5127 m
    // Links (< 108.5127 m): the A chain (100 m), B2–B3 (108.47 m), the C triangle (≈ 60 m);
    // not B1–B2 (108.55 m). With t for 11 degrees of freedom (1.796) instead of z the
    // threshold would be 105.22 m and B2–B3 would not link.
    let params =
        NnhParams { threshold: NnhThreshold::Random { area_m2: Some(1_000_000.0), p: 0.05 }, min_points: 3 };
    let result = nnh(&hand_points(), &params).unwrap();
    let random = result.random.unwrap();
    assert!((random.mean_random_m - 144.3376).abs() < 1e-4, "{random:?}");
    assert!((random.standard_error_m - 21.7800).abs() < 1e-4, "{random:?}");
    assert!((random.z - 1.644854).abs() < 1e-6, "{random:?}");
    assert!((result.threshold_m - 108.5127).abs() < 1e-4, "{}", result.threshold_m);
    // min_points 3: the A chain (cluster 0) and the C triangle (cluster 1); B2–B3 has 2.
    let (a, c) = (Some(0), Some(1));
    assert_eq!(result.labels, [a, a, a, a, a, None, None, None, c, c, c, None]);
    assert_eq!(result.clusters, 2);

    // min_points 2 keeps B2–B3, numbered by its smallest index (6) between A (0) and C (8).
    let two = nnh(&hand_points(), &NnhParams { min_points: 2, ..params }).unwrap();
    let (a, b, c) = (Some(0), Some(1), Some(2));
    assert_eq!(two.labels, [a, a, a, a, a, None, b, b, c, c, c, None]);
}

#[test]
fn nnh_without_an_area_uses_the_bounding_rectangle() {
    // Bounding rectangle 900 m × 600 m = 540,000 m², N = 12, p = 0.05:
    //   d_ran = 0.5 · √45,000 = 106.0660 m; SE = 0.26136 · √3,750 = 16.0050 m;
    //   d = 106.0660 − 1.644854 · 16.0050 = 106.0660 − 26.3258 = 79.7402 m.
    // Only the C triangle (≈ 60 m) links; the 100 m A links do not.
    let params = NnhParams { threshold: NnhThreshold::Random { area_m2: None, p: 0.05 }, min_points: 3 };
    let result = nnh(&hand_points(), &params).unwrap();
    let random = result.random.unwrap();
    assert!(!random.area_given);
    assert!((random.area_m2 - 540_000.0).abs() < 1e-6);
    assert!((result.threshold_m - 79.7402).abs() < 1e-4, "{}", result.threshold_m);
    let c = Some(0);
    assert_eq!(result.labels, [None, None, None, None, None, None, None, None, c, c, c, None]);
}

#[test]
fn nnh_links_only_pairs_strictly_closer_than_a_fixed_threshold() {
    // The A chain's links are exactly 100 m: not linked at 100 m ("smaller than"), linked
    // at 100.5 m.
    let at = |distance_m: f64| {
        nnh(&hand_points(), &NnhParams { threshold: NnhThreshold::Fixed { distance_m }, min_points: 3 })
            .unwrap()
    };
    assert_eq!(at(100.0).labels[..5], [None; 5]);
    assert_eq!(at(100.5).labels[..5], [Some(0); 5]);
    assert_eq!(at(100.5).threshold_m, 100.5);
    assert!(at(100.5).random.is_none());
}

#[test]
fn nnh_bad_parameters_are_errors_naming_them() {
    let points = hand_points();
    let run = |threshold, min_points| nnh(&points, &NnhParams { threshold, min_points }).unwrap_err();
    let random = |area_m2, p| NnhThreshold::Random { area_m2, p };
    assert!(matches!(run(random(None, 0.05), 0), ClusterError::InvalidMinPoints { value: 0 }));
    assert!(matches!(run(random(Some(-1.0), 0.05), 3), ClusterError::InvalidArea { .. }));
    assert!(matches!(run(random(Some(1e6), 0.0), 3), ClusterError::InvalidProbability { .. }));
    assert!(matches!(run(random(Some(1e6), 0.7), 3), ClusterError::InvalidProbability { .. }));
    assert!(matches!(
        run(NnhThreshold::Fixed { distance_m: f64::NAN }, 3),
        ClusterError::InvalidThreshold { .. }
    ));
    let err = run(random(Some(1e6), f64::NAN), 3);
    assert!(err.to_string().starts_with("invalid p"), "{err}");
    // All points on one line: the bounding rectangle has no area.
    let line: Vec<BngPoint> = points.iter().map(|p| BngPoint { northing_m: 0.0, ..*p }).collect();
    let err = nnh(&line, &NnhParams::default()).unwrap_err();
    assert!(matches!(err, ClusterError::InvalidArea { value } if value == 0.0), "{err:?}");
}
