//! Density tiles preserve mass: the mean over a zoom-10 tile's pixels equals the mean of the
//! underlying grid over the same ground within 1 %.

#![allow(clippy::unwrap_used, clippy::panic, reason = "test set-up fails loudly")]

use hexwatch_core::kde::{GridSpec, Kernel, WeightedPoint, kde_exact};
use hexwatch_io::BngProjector;
use hexwatch_tiles::{TileCoord, pixel_means};

#[test]
fn zoom_10_tile_mean_equals_grid_mean() {
    let projector = BngProjector::new();
    let to_bng = |lon: f64, lat: f64| projector.to_bng(lon, lat).ok().map(|p| (p.easting_m, p.northing_m));
    // The zoom-10 tile over Bournemouth, and a grid reaching 2 km beyond it on every side.
    let tile = TileCoord::new_checked(10, 506, 344).unwrap();
    let b = tile.bounds();
    let corners: Vec<(f64, f64)> =
        [(b.west, b.north), (b.east, b.north), (b.west, b.south), (b.east, b.south)]
            .iter()
            .map(|&(x, y)| to_bng(x, y).unwrap())
            .collect();
    let (x0, x1) =
        corners.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, c), p| (a.min(p.0), c.max(p.0)));
    let (y0, y1) =
        corners.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, c), p| (a.min(p.1), c.max(p.1)));
    let spec =
        GridSpec::over_extent(x0 - 2_000.0, y0 - 2_000.0, x1 + 2_000.0, y1 + 2_000.0, Some(100.0)).unwrap();
    // A surface with structure at several scales: 400 seeded points, bandwidth 1.5 km.
    let mut state = 12_345_u64;
    let mut next = || {
        state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (state >> 11) as f64 / (1_u64 << 53) as f64
    };
    let points: Vec<WeightedPoint> = (0..400)
        .map(|_| WeightedPoint {
            easting_m: x0 + next() * (x1 - x0),
            northing_m: y0 + next() * (y1 - y0),
            weight: 1.0,
        })
        .collect();
    let grid = kde_exact(&points, &spec, Kernel::Quartic, 1_500.0, 1, &|_, _| true);
    let pixels = pixel_means(&grid, tile, &to_bng);
    assert!(pixels.iter().all(|v| v.is_finite()), "the grid covers the whole tile");
    let pixel_mean = pixels.iter().sum::<f64>() / pixels.len() as f64;
    // Grid cells whose centre lies inside the tile (its ground outline, a near-rectangle).
    let inside = |x: f64, y: f64| {
        let (lon, lat) = projector.to_wgs84(hexwatch_core::BngPoint { easting_m: x, northing_m: y }).unwrap();
        b.contains(lon, lat)
    };
    let (mut sum, mut n) = (0.0, 0.0);
    for r in 0..spec.nrows {
        for c in 0..spec.ncols {
            let (x, y) = spec.centre(r, c);
            if inside(x, y) {
                sum += grid.get(r, c);
                n += 1.0;
            }
        }
    }
    let grid_mean = sum / n;
    assert!((pixel_mean / grid_mean - 1.0).abs() < 0.01, "pixels {pixel_mean} vs grid {grid_mean}");
}
