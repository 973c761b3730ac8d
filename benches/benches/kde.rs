//! Kernel density: 1 M continuous points from the seeded generator over lon −2.05…−1.70,
//! lat 50.68…50.80 (about 24.7 × 13.4 km on the British National Grid), 50 m cells,
//! quartic h = 250 m — the exact R-tree-pruned Rayon path against the same code on one
//! thread; and on 2,000 points the exact path against the naive double loop (the naive
//! sum over every point and cell takes 25 s per iteration at 20,000 points, hours at 1 M).
//! The binned path (linear binning + direct convolution, error bound 6δ²/(πh⁴) per unit
//! weight) is timed on the 1 M points too. The set-up writes the points and the grid to
//! `target/peers/kde_points.csv` and `kde_grid.json` for KDEpy's FFTKDE in `benches/peers/`.

use std::hint::black_box;
use std::io::Write;

use criterion::{BenchmarkId, Criterion};
use hexwatch_core::Bounds;
use hexwatch_core::kde::{GridSpec, Kernel, WeightedPoint, kde_binned, kde_exact, kde_naive};
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

/// Writes `easting_m,northing_m,weight` and the grid (with a few of hexwatch's exact
/// values, per m² for one month, to check the peer computes the same thing).
fn write_peer_input(points: &[WeightedPoint], spec: &GridSpec) -> std::io::Result<std::path::PathBuf> {
    let dir = hexwatch_benches::peers_dir();
    std::fs::create_dir_all(&dir)?;
    let mut out = std::io::BufWriter::new(std::fs::File::create(dir.join("kde_points.csv"))?);
    writeln!(out, "easting_m,northing_m,weight")?;
    for p in points {
        writeln!(out, "{:?},{:?},{:?}", p.easting_m, p.northing_m, p.weight)?;
    }
    out.flush()?;
    let sum = hexwatch_core::kde::KernelSum::new(points, Kernel::Quartic, BANDWIDTH_M, 1);
    let samples: Vec<String> = (0..spec.nrows)
        .step_by(25)
        .flat_map(|row| (0..spec.ncols).step_by(37).map(move |col| (row, col)))
        .map(|(row, col)| {
            let (x, y) = spec.centre(row, col);
            format!("[{row}, {col}, {:?}]", sum.density_at(x, y) / 1e6)
        })
        .collect();
    let path = dir.join("kde_grid.json");
    std::fs::write(
        &path,
        format!(
            "{{\"xmin_m\": {:?}, \"ymax_m\": {:?}, \"cell_size_m\": {:?}, \"ncols\": {}, \"nrows\": {}, \
             \"bandwidth_m\": {BANDWIDTH_M:?}, \"kernel\": \"quartic\", \
             \"exact_per_m2_samples\": [{}]}}\n",
            spec.xmin_m,
            spec.ymax_m,
            spec.cell_size_m,
            spec.ncols,
            spec.nrows,
            samples.join(", ")
        ),
    )?;
    Ok(path)
}

pub(crate) fn bench(c: &mut Criterion) {
    let million = points(1_000_000);
    let spec = grid(&million);
    match write_peer_input(&million, &spec) {
        Ok(path) => eprintln!("kde: 1 M points and the grid written beside {}", path.display()),
        Err(e) => eprintln!("kde: could not write the peers' input: {e}"),
    }
    let mut group = c.benchmark_group("kde_1m_h250_50m");
    group.sample_size(10);
    let cells = spec.len();
    group.bench_function(BenchmarkId::new("hexwatch/exact_rayon", cells), |b| {
        b.iter(|| kde_exact(black_box(&million), &spec, Kernel::Quartic, BANDWIDTH_M, 12, &|_, _| true));
    });
    group.bench_function(BenchmarkId::new("hexwatch/binned_rayon", cells), |b| {
        b.iter(|| kde_binned(black_box(&million), &spec, Kernel::Quartic, BANDWIDTH_M, 12, &|_, _| true));
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
