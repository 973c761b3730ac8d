//! Hotspot statistics on a study area of 101,017 resolution-10 cells (`grid_disk(183)` of
//! the cell over central Bournemouth), counts from the seeded synthetic generator:
//! Gi* (k = 1 and 2) and local Moran's I with 999 permutations (k = 1), each with Rayon vs
//! the same function in a one-thread Rayon pool (the baseline). Weights are built once,
//! outside the timed part, on both sides.
//!
//! The set-up also writes the cells and counts, with hexwatch's Gi* z and local Moran's I,
//! to `target/peers/cells.csv` (or `$HEXWATCH_PEERS_DIR/cells.csv`), the input of the
//! Python peers in `benches/peers/` (esda on exactly the same values).

use std::hint::black_box;
use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, SamplingMode};
use h3o::{CellIndex, LatLng, Resolution};
use hexwatch_core::Bounds;
use hexwatch_core::stats::{GiStarParams, Neighbours, StudyArea, gi_star, local_moran};
use hexwatch_core::synthetic::{Synthetic, SyntheticParams};
use rayon::ThreadPool;

/// Resolution of the study area (cells of about 0.015 km², 76 m edge).
const RESOLUTION: Resolution = Resolution::Ten;
/// Grid distance of the study area's disk: 1 + 3k(k + 1) = 101,017 cells.
const DISK_K: u32 = 183;
/// Central Bournemouth (the Square), degrees.
const CENTRE: (f64, f64) = (50.7202, -1.8795);
/// Synthetic incidents: as `hexwatch generate --n 100000 --hotspots 20 --hotspot-share 0.3
/// --sigma-m 300 --seed 1` over the disk's bounding box.
const INCIDENTS: usize = 100_000;
/// Permutations of local Moran's I (esda's default and ArcGIS's choice).
const PERMUTATIONS: u32 = 999;
/// Seed of the permutations (hexwatch's default).
const PERMUTATION_SEED: u64 = 12_345;

/// The study area and its counts.
struct Input {
    area: StudyArea,
    counts: Vec<f64>,
}

fn input() -> Input {
    let centre = LatLng::new(CENTRE.0, CENTRE.1).expect("valid centre").to_cell(RESOLUTION);
    let area = StudyArea::from_cells(RESOLUTION, centre.grid_disk::<Vec<CellIndex>>(DISK_K));
    let corners: Vec<LatLng> = area.cells().iter().map(|c| LatLng::from(*c)).collect();
    let bounds = Bounds {
        west: corners.iter().map(|p| p.lng()).fold(f64::INFINITY, f64::min),
        south: corners.iter().map(|p| p.lat()).fold(f64::INFINITY, f64::min),
        east: corners.iter().map(|p| p.lng()).fold(f64::NEG_INFINITY, f64::max),
        north: corners.iter().map(|p| p.lat()).fold(f64::NEG_INFINITY, f64::max),
    };
    let synthetic = Synthetic::new(SyntheticParams {
        bounds,
        n: INCIDENTS,
        hotspots: 20,
        hotspot_share: 0.3,
        sigma_m: 300.0,
        seed: 1,
    })
    .expect("valid synthetic parameters");
    let mut counts = vec![0.0; area.len()];
    for p in synthetic.points() {
        let cell = LatLng::new(p.lat, p.lon).expect("inside the box").to_cell(RESOLUTION);
        // Points in the box's corners outside the disk are left out, as the statistics
        // leave out incidents outside a study area.
        if let Some(i) = area.position(cell) {
            counts[i] += 1.0;
        }
    }
    Input { area, counts }
}

/// Writes `cell,count,gi_z_k1,moran_i_k1` for the Python peers.
fn write_peer_input(input: &Input, gi_z_k1: &[f64], moran_i_k1: &[f64]) -> std::io::Result<PathBuf> {
    let dir = hexwatch_benches::peers_dir();
    std::fs::create_dir_all(&dir)?;
    let path = dir.join("cells.csv");
    let mut out = std::io::BufWriter::new(std::fs::File::create(&path)?);
    writeln!(out, "cell,count,gi_z_k1,moran_i_k1")?;
    for (((cell, count), z), i) in input.area.cells().iter().zip(&input.counts).zip(gi_z_k1).zip(moran_i_k1) {
        // `{:?}` of f64 is the shortest text that reads back to the same number.
        writeln!(out, "{cell},{count},{z:?},{i:?}")?;
    }
    out.flush()?;
    Ok(path)
}

pub(crate) fn bench(c: &mut Criterion) {
    let input = input();
    let n = input.area.len();
    let single = rayon::ThreadPoolBuilder::new().num_threads(1).build().expect("a one-thread pool");
    let with_self_k1 = Neighbours::k_ring(&input.area, 1, true);
    let with_self_k2 = Neighbours::k_ring(&input.area, 2, true);
    let without_self_k1 = Neighbours::k_ring(&input.area, 1, false);

    let gi_k1 = gi_star(&input.counts, &with_self_k1, GiStarParams::default());
    let moran_k1 = local_moran(&input.counts, &without_self_k1, 1, PERMUTATION_SEED, 0.05, false);
    match write_peer_input(&input, &gi_k1.z, &moran_k1.i) {
        Ok(path) => eprintln!("stats: {n} cells, counts and hexwatch's values written to {}", path.display()),
        Err(e) => eprintln!("stats: could not write the peers' input: {e}"),
    }

    for (name, neighbours) in [("gi_star_k1", &with_self_k1), ("gi_star_k2", &with_self_k2)] {
        let mut group = c.benchmark_group(name);
        group.bench_function(BenchmarkId::new("hexwatch/rayon", n), |b| {
            b.iter(|| gi_star(black_box(&input.counts), black_box(neighbours), GiStarParams::default()));
        });
        group.bench_function(BenchmarkId::new("baseline/sequential", n), |b| {
            on(&single, || {
                b.iter(|| gi_star(black_box(&input.counts), black_box(neighbours), GiStarParams::default()));
            });
        });
        group.finish();
    }

    // Seconds per call: criterion's minimum of 10 samples, one call each, flat sampling.
    let mut group = c.benchmark_group("local_moran_k1_999");
    group.sample_size(10).sampling_mode(SamplingMode::Flat).warm_up_time(Duration::from_millis(500));
    let moran = || {
        local_moran(
            black_box(&input.counts),
            black_box(&without_self_k1),
            PERMUTATIONS,
            PERMUTATION_SEED,
            0.05,
            false,
        )
    };
    group.measurement_time(Duration::from_secs(30));
    group.bench_function(BenchmarkId::new("hexwatch/rayon", n), |b| b.iter(moran));
    group.measurement_time(Duration::from_secs(60));
    group.bench_function(BenchmarkId::new("baseline/sequential", n), |b| on(&single, || b.iter(moran)));
    group.finish();
}

/// Runs `f` on a pool's thread, so Rayon calls inside it use that pool.
fn on(pool: &ThreadPool, f: impl FnOnce() + Send) {
    pool.install(f);
}
