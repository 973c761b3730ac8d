//! DBSCAN: 100 k, 300 k and 1 M points from the seeded generator (20 Gaussian hotspots of
//! σ = 300 m holding 30 %, the rest uniform, seed 1) over lon −2.05…−1.70, lat 50.68…50.80
//! (about 24.7 × 13.4 km on the British National Grid, BCP's size), eps = 100 m,
//! min_points = 10 — hexwatch's grid DBSCAN on the global Rayon pool against the same call in
//! a one-thread pool, and at 100 k against a textbook DBSCAN over an R-tree (rstar bulk
//! load, one radius query per point, as scikit-learn's k-d tree DBSCAN does with its tree).
//!
//! The set-up writes the points to `target/peers/dbscan_points_<n>.csv`
//! (`easting_m,northing_m`, shortest round-trip text) and hexwatch's cluster, noise and core
//! counts to `dbscan_meta.json`, the input of `benches/peers/dbscan_peer.py`
//! (scikit-learn's `DBSCAN(algorithm='kd_tree')` on the same points).

use std::collections::VecDeque;
use std::hint::black_box;
use std::io::Write;

use criterion::{BenchmarkId, Criterion};
use hexwatch_benches::dbscan_points;
use hexwatch_core::BngPoint;
use hexwatch_core::cluster::{DbscanLabels, dbscan};
use rstar::RTree;
use rstar::primitives::GeomWithData;

/// Sizes timed.
pub(crate) const SIZES: [usize; 3] = [100_000, 300_000, 1_000_000];
const EPS_M: f64 = hexwatch_benches::DBSCAN_EPS_M;
const MIN_POINTS: usize = hexwatch_benches::DBSCAN_MIN_POINTS;

/// DBSCAN as the textbook describes it over an R-tree: one radius query per point (the
/// neighbourhood kept for core points), then a breadth-first expansion in input order.
fn dbscan_rtree(points: &[BngPoint], eps_m: f64, min_points: usize) -> DbscanLabels {
    let tree = RTree::bulk_load(
        points.iter().enumerate().map(|(i, p)| GeomWithData::new([p.easting_m, p.northing_m], i)).collect(),
    );
    let r2 = eps_m * eps_m;
    let neighbours = |i: usize| -> Vec<usize> {
        let p = [points[i].easting_m, points[i].northing_m];
        tree.locate_within_distance(p, r2).map(|g| g.data).collect()
    };
    let core: Vec<bool> = (0..points.len()).map(|i| neighbours(i).len() >= min_points).collect();
    let mut labels: Vec<Option<u32>> = vec![None; points.len()];
    let mut clusters = 0_u32;
    let mut queue = VecDeque::new();
    for start in 0..points.len() {
        if labels[start].is_some() || !core[start] {
            continue;
        }
        labels[start] = Some(clusters);
        queue.push_back(start);
        while let Some(i) = queue.pop_front() {
            if !core[i] {
                continue;
            }
            for j in neighbours(i) {
                if labels[j].is_none() {
                    labels[j] = Some(clusters);
                    queue.push_back(j);
                }
            }
        }
        clusters += 1;
    }
    DbscanLabels { labels, core, clusters: clusters as usize }
}

/// Writes the points of each size and hexwatch's counts for the Python peer.
fn write_peer_input(sets: &[(usize, Vec<BngPoint>, DbscanLabels)]) -> std::io::Result<std::path::PathBuf> {
    let dir = hexwatch_benches::peers_dir();
    std::fs::create_dir_all(&dir)?;
    let mut sizes = Vec::new();
    for (n, points, result) in sets {
        let mut out =
            std::io::BufWriter::new(std::fs::File::create(dir.join(format!("dbscan_points_{n}.csv")))?);
        writeln!(out, "easting_m,northing_m")?;
        for p in points {
            writeln!(out, "{:?},{:?}", p.easting_m, p.northing_m)?;
        }
        out.flush()?;
        sizes.push(format!(
            "\"{n}\": {{\"clusters\": {}, \"noise\": {}, \"core\": {}}}",
            result.clusters,
            result.noise(),
            result.core.iter().filter(|c| **c).count()
        ));
    }
    let path = dir.join("dbscan_meta.json");
    std::fs::write(
        &path,
        format!(
            "{{\"eps_m\": {EPS_M:?}, \"min_points\": {MIN_POINTS}, \"hexwatch\": {{{}}}}}\n",
            sizes.join(", ")
        ),
    )?;
    Ok(path)
}

pub(crate) fn bench(c: &mut Criterion) {
    let sets: Vec<(usize, Vec<BngPoint>, DbscanLabels)> = SIZES
        .iter()
        .map(|&n| {
            let points = dbscan_points(n);
            let result = dbscan(&points, EPS_M, MIN_POINTS).expect("valid parameters");
            (n, points, result)
        })
        .collect();
    match write_peer_input(&sets) {
        Ok(path) => eprintln!("cluster: points and counts written beside {}", path.display()),
        Err(e) => eprintln!("cluster: could not write the peer's input: {e}"),
    }
    let one_thread = rayon::ThreadPoolBuilder::new().num_threads(1).build().expect("a one-thread pool");
    let mut group = c.benchmark_group("dbscan_e100_m10");
    group.sample_size(10);
    for (n, points, result) in &sets {
        group.bench_function(BenchmarkId::new("hexwatch/rayon", n), |b| {
            b.iter(|| dbscan(black_box(points), EPS_M, MIN_POINTS));
        });
        group.bench_function(BenchmarkId::new("baseline/sequential", n), |b| {
            b.iter(|| one_thread.install(|| dbscan(black_box(points), EPS_M, MIN_POINTS)));
        });
        if *n == SIZES[0] {
            assert_eq!(&dbscan_rtree(points, EPS_M, MIN_POINTS), result, "the R-tree DBSCAN agrees");
            group.bench_function(BenchmarkId::new("baseline/rtree", n), |b| {
                b.iter(|| dbscan_rtree(black_box(points), EPS_M, MIN_POINTS));
            });
        }
    }
    group.finish();
}
