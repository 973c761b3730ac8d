//! Kernel density: 1 M continuous points from the seeded generator over lon −2.05…−1.70,
//! lat 50.68…50.80 (about 24.7 × 13.4 km on the British National Grid), 50 m cells,
//! quartic h = 250 m — the exact R-tree-pruned Rayon path against the same code on one
//! thread; and on 2,000 points the exact path against the naive double loop (the naive
//! sum over every point and cell takes 25 s per iteration at 20,000 points, hours at 1 M).

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion};
use hexwatch_core::Bounds;
use hexwatch_core::kde::{GridSpec, Kernel, WeightedPoint, kde_exact, kde_naive};
use hexwatch_core::synthetic::generate;
use hexwatch_io::BngProjector;

const BANDWIDTH_M: f64 = 250.0;
const CELL_M: f64 = 50.0;

fn points(n: usize) -> Vec<WeightedPoint> {
    let bounds = Bounds { west: -2.05, south: 50.68, east: -1.70, north: 50.80 };
    let projector = BngProjector::new();
    generate(bounds, n, 20, 0.3, 300.0, 1)
        .expect("valid generator settings")
        .into_iter()
        .map(|p| {
            let b = projector.to_bng(p.lon, p.lat).expect("points inside Great Britain");
            WeightedPoint { easting_m: b.easting_m, northing_m: b.northing_m, weight: 1.0 }
        })
        .collect()
}

fn grid(points: &[WeightedPoint]) -> GridSpec {
    let fold = |get: fn(&WeightedPoint) -> f64| {
        points.iter().map(get).fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| (a.min(v), b.max(v)))
    };
    let ((x0, x1), (y0, y1)) = (fold(|p| p.easting_m), fold(|p| p.northing_m));
    GridSpec::over_extent(x0, y0, x1, y1, Some(CELL_M)).expect("a non-empty extent")
}

pub(crate) fn bench(c: &mut Criterion) {
    let million = points(1_000_000);
    let spec = grid(&million);
    let mut group = c.benchmark_group("kde_1m_h250_50m");
    group.sample_size(10);
    let cells = spec.len();
    group.bench_function(BenchmarkId::new("hexwatch/exact_rayon", cells), |b| {
        b.iter(|| kde_exact(black_box(&million), &spec, Kernel::Quartic, BANDWIDTH_M, 12, &|_, _| true));
    });
    let one_thread = rayon::ThreadPoolBuilder::new().num_threads(1).build().expect("a one-thread pool");
    group.bench_function(BenchmarkId::new("baseline/sequential", cells), |b| {
        b.iter(|| {
            one_thread.install(|| {
                kde_exact(black_box(&million), &spec, Kernel::Quartic, BANDWIDTH_M, 12, &|_, _| true)
            })
        });
    });
    group.finish();

    let few = points(2_000);
    let spec = grid(&few);
    let mut group = c.benchmark_group("kde_2k_h250_50m");
    group.sample_size(10);
    group.bench_function(BenchmarkId::new("hexwatch/exact_rayon", spec.len()), |b| {
        b.iter(|| kde_exact(black_box(&few), &spec, Kernel::Quartic, BANDWIDTH_M, 12, &|_, _| true));
    });
    group.bench_function(BenchmarkId::new("baseline/naive", spec.len()), |b| {
        b.iter(|| kde_naive(black_box(&few), &spec, Kernel::Quartic, BANDWIDTH_M, 12));
    });
    group.finish();
}
