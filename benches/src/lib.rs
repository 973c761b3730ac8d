//! Shared set-up of the benchmarks in `benches/`.

use std::path::PathBuf;

use hexwatch_core::synthetic::generate;
use hexwatch_core::{BngPoint, Bounds};
use hexwatch_io::BngProjector;

/// Where the benchmarks write the Python peers' input: `$HEXWATCH_PEERS_DIR`, else
/// `$CARGO_TARGET_DIR/peers`, else `target/peers` at the workspace root.
#[must_use]
pub fn peers_dir() -> PathBuf {
    std::env::var_os("HEXWATCH_PEERS_DIR").map_or_else(
        || {
            std::env::var_os("CARGO_TARGET_DIR")
                .map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"), PathBuf::from)
                .join("peers")
        },
        PathBuf::from,
    )
}

/// DBSCAN benchmark radius, metres: about a street block.
pub const DBSCAN_EPS_M: f64 = 100.0;
/// DBSCAN benchmark core threshold: points within eps, the point itself included.
pub const DBSCAN_MIN_POINTS: usize = 10;

/// The DBSCAN benchmark's `n` points in British National Grid metres: the seeded generator's
/// 20 Gaussian hotspots of σ = 300 m holding 30 % of the points, the rest uniform (seed 1),
/// over lon −2.05…−1.70, lat 50.68…50.80 (about 24.7 × 13.4 km, BCP's size), projected
/// with hexwatch's EPSG:27700.
///
/// # Panics
/// Never for these constant settings (the generator and projection accept them).
#[must_use]
pub fn dbscan_points(n: usize) -> Vec<BngPoint> {
    let bounds = Bounds { west: -2.05, south: 50.68, east: -1.70, north: 50.80 };
    let projector = BngProjector::new();
    generate(bounds, n, 20, 0.3, 300.0, 1)
        .expect("valid generator settings")
        .into_iter()
        .map(|p| projector.to_bng(p.lon, p.lat).expect("points inside Great Britain"))
        .collect()
}
