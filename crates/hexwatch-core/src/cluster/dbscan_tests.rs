use proptest::prelude::*;

use super::*;

fn p(e: f64, n: f64) -> BngPoint {
    BngPoint { easting_m: e, northing_m: n }
}

/// The oracle: Ester et al.'s sequential algorithm with a full O(n²) neighbour scan,
/// visiting points in input order (as scikit-learn's `dbscan_inner`).
fn dbscan_naive(points: &[BngPoint], eps_m: f64, min_points: usize) -> DbscanLabels {
    let r2 = eps_m * eps_m;
    let neighbours = |i: usize| -> Vec<usize> {
        (0..points.len())
            .filter(|&j| {
                let (dx, dy) =
                    (points[i].easting_m - points[j].easting_m, points[i].northing_m - points[j].northing_m);
                dx * dx + dy * dy <= r2
            })
            .collect()
    };
    let core: Vec<bool> = (0..points.len()).map(|i| neighbours(i).len() >= min_points).collect();
    let mut labels: Vec<Option<u32>> = vec![None; points.len()];
    let mut clusters = 0_u32;
    for start in 0..points.len() {
        if labels[start].is_some() || !core[start] {
            continue;
        }
        let mut stack = vec![start];
        while let Some(i) = stack.pop() {
            if labels[i].is_none() {
                labels[i] = Some(clusters);
                if core[i] {
                    stack.extend(neighbours(i).into_iter().filter(|&j| labels[j].is_none()));
                }
            }
        }
        clusters += 1;
    }
    DbscanLabels { labels, core, clusters: clusters as usize }
}

/// Seeded points: Gaussian-ish blobs (sums of uniforms) over a uniform background, in BNG
/// metres near Bournemouth.
fn blobs(n: usize, seed: u64) -> Vec<BngPoint> {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut uniform = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        #[expect(clippy::cast_precision_loss, reason = "53 bits kept")]
        let u = (state >> 11) as f64 / (1_u64 << 53) as f64;
        u
    };
    let centres = [(2_000.0, 3_000.0), (6_000.0, 1_500.0), (4_000.0, 4_500.0), (6_300.0, 1_900.0)];
    (0..n)
        .map(|i| {
            let (x, y) = if i % 3 == 0 {
                (uniform() * 8_000.0, uniform() * 6_000.0)
            } else {
                let (cx, cy) = centres[i % centres.len()];
                let g = |u: &mut dyn FnMut() -> f64| (0..4).map(|_| u() - 0.5).sum::<f64>() * 300.0;
                (cx + g(&mut uniform), cy + g(&mut uniform))
            };
            p(400_000.0 + x, 90_000.0 + y)
        })
        .collect()
}

#[test]
fn matches_the_sequential_algorithm_on_blobs() {
    let points = blobs(3_000, 7);
    for (eps, min_points) in [(40.0, 5), (60.0, 10), (100.0, 20), (25.0, 1)] {
        let got = dbscan(&points, eps, min_points).unwrap();
        let want = dbscan_naive(&points, eps, min_points);
        assert_eq!(got, want, "eps {eps}, min_points {min_points}");
        assert!(want.clusters > 1, "the case exercises several clusters");
    }
}

#[test]
fn matches_the_sequential_algorithm_on_a_grid_too_sparse_to_index_densely() {
    // Three towns 150 km apart with eps 20 m: the grid would have ~10^8 cells for 3,000
    // points, so cells are found by binary search in their sorted keys.
    let points: Vec<BngPoint> = blobs(3_000, 11)
        .into_iter()
        .enumerate()
        .map(|(i, q)| p(q.easting_m + 150_000.0 * (i % 3) as f64, q.northing_m + 100_000.0 * (i % 3) as f64))
        .collect();
    let got = dbscan(&points, 20.0, 3).unwrap();
    assert_eq!(got, dbscan_naive(&points, 20.0, 3));
    assert!(got.clusters > 10);
}

#[test]
fn a_neighbour_at_exactly_eps_counts() {
    // A 25 m lattice (integer metres, exact in f64): with eps = 25 each inner point has 5
    // neighbours (itself and four at exactly 25 m), corners 3, edges 4.
    let points: Vec<BngPoint> = (0..5)
        .flat_map(|i| (0..5).map(move |j| p(409_000.0 + 25.0 * f64::from(i), 91_000.0 + 25.0 * f64::from(j))))
        .collect();
    let result = dbscan(&points, 25.0, 5).unwrap();
    let inner = result.core.iter().filter(|c| **c).count();
    assert_eq!(inner, 9, "the 3 × 3 inner points are core");
    assert_eq!(result.clusters, 1);
    assert_eq!(result.noise(), 4, "the four corners reach no core point (35.4 m to the nearest)");
    // Just under 25 m the inner points have only themselves.
    let none = dbscan(&points, 24.999_999, 2).unwrap();
    assert_eq!((none.clusters, none.noise()), (0, 25));
}

#[test]
fn a_border_point_between_two_clusters_joins_the_lower_numbered() {
    // Two tight groups of 3 on either side of a point 50 m from each: eps 50, min 3.
    let mut points = vec![p(100.0, 0.0)];
    points.extend([p(0.0, 0.0), p(0.0, 1.0), p(0.0, -1.0)]);
    points.extend([p(200.0, 0.0), p(200.0, 1.0), p(200.0, -1.0)]);
    points.swap(0, 4); // the right group now holds index 0: it is cluster 0
    let result = dbscan(&points, 100.0, 4).unwrap();
    assert_eq!(result, dbscan_naive(&points, 100.0, 4));
    let middle = points.iter().position(|q| q.easting_m == 100.0).unwrap();
    assert!(!result.core[middle]);
    assert_eq!(result.labels[middle], Some(0), "the cluster holding index 0");
}

#[test]
fn the_result_does_not_depend_on_the_thread_count() {
    let points = blobs(40_000, 3);
    let many = dbscan(&points, 50.0, 8).unwrap();
    let one = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap()
        .install(|| dbscan(&points, 50.0, 8))
        .unwrap();
    assert_eq!(many, one);
    assert!(many.clusters > 3);
}

#[test]
fn bad_parameters_are_errors_naming_them() {
    let points = [p(0.0, 0.0), p(1.0, 1.0)];
    for eps in [0.0, -5.0, f64::NAN, f64::INFINITY] {
        let err = dbscan(&points, eps, 2).unwrap_err();
        assert!(matches!(err, ClusterError::InvalidEps { .. }), "{eps}");
        assert!(err.to_string().starts_with("invalid eps_m"), "{err}");
    }
    let err = dbscan(&points, 10.0, 0).unwrap_err();
    assert_eq!(err, ClusterError::InvalidMinPoints { value: 0 });
    assert!(err.to_string().contains("min_points"));
    let err = dbscan(&[p(0.0, 0.0), p(f64::NAN, 3.0)], 10.0, 2).unwrap_err();
    assert!(matches!(err, ClusterError::NonFinitePoint { index: 1, .. }), "{err:?}");
    let err = dbscan(&[p(0.0, 0.0), p(1e12, 0.0)], 1e-3, 2).unwrap_err();
    assert!(matches!(err, ClusterError::ExtentTooLarge { .. }), "{err:?}");
}

#[test]
fn no_points_no_clusters_and_one_point_is_its_own_cluster_at_min_points_1() {
    assert_eq!(dbscan(&[], 10.0, 3).unwrap(), DbscanLabels::default());
    let one = dbscan(&[p(5.0, 5.0)], 10.0, 1).unwrap();
    assert_eq!((one.labels, one.core, one.clusters), (vec![Some(0)], vec![true], 1));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    /// Points on a 10 m lattice (so many pairs lie at exactly eps), with repeats, against
    /// the sequential algorithm: labels, core flags and numbering identical.
    #[test]
    fn matches_the_sequential_algorithm_on_lattices(
        cells in prop::collection::vec((0_i32..30, 0_i32..30, 1_usize..4), 0..150),
        eps in prop::sample::select(vec![10.0, 14.142_135_623_730_951, 20.0, 30.0, 45.0]),
        min_points in 1_usize..7,
    ) {
        let points: Vec<BngPoint> = cells
            .iter()
            .flat_map(|&(x, y, k)| std::iter::repeat_n(p(430_000.0 + 10.0 * f64::from(x), 80_000.0 + 10.0 * f64::from(y)), k))
            .collect();
        prop_assert_eq!(dbscan(&points, eps, min_points).unwrap(), dbscan_naive(&points, eps, min_points));
    }
}
