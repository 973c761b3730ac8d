//! Kernel density on the real data: BCP anti-social behaviour in 2025, default ArcGIS radius
//! and cell size, against the committed numpy computation
//! (`crates/hexwatch-core/tests/fixtures/kde/bcp_asb_2025_*.csv`).

#![allow(clippy::unwrap_used, clippy::panic, reason = "test set-up fails loudly")]

use std::collections::HashMap;

use hexwatch_core::kde::{GridSpec, Kernel, arcgis_bandwidth, kde_exact, kde_points};
use hexwatch_core::{AreaFilter, Filter};

mod common;
use common::{data_dir, dorset_store, shipped_wards};

fn reference(name: &str) -> Vec<Vec<String>> {
    let text =
        std::fs::read_to_string(data_dir().join("../crates/hexwatch-core/tests/fixtures/kde").join(name))
            .unwrap();
    text.lines().skip(1).map(|l| l.split(',').map(str::to_owned).collect()).collect()
}

#[test]
fn bcp_asb_density_matches_numpy() {
    let meta: HashMap<String, f64> = reference("bcp_asb_2025_meta.csv")
        .into_iter()
        .map(|r| (r[0].clone(), r[1].parse().unwrap()))
        .collect();
    let (store, _dir) = dorset_store();
    let wards = shipped_wards();
    let table = store.load_table(Some(&wards.index(11.0))).unwrap();
    let asb = table.find_category("anti-social-behaviour").unwrap();
    let filter = Filter { categories: Some(vec![asb]), area: AreaFilter::AnyWard, ..Filter::default() };
    let points = kde_points(&table, &filter, |_| 1.0);
    assert_eq!(points.iter().map(|p| p.weight).sum::<f64>(), 8_619.0);
    let b =
        arcgis_bandwidth(&points.iter().map(|p| (p.easting_m, p.northing_m, p.weight)).collect::<Vec<_>>())
            .unwrap();
    assert!(
        (b.bandwidth_m / meta["radius_m"] - 1.0).abs() < 0.001,
        "radius {} vs numpy {}",
        b.bandwidth_m,
        meta["radius_m"]
    );
    let fold = |f: fn(f64, f64) -> f64, start: f64, get: fn(&hexwatch_core::kde::WeightedPoint) -> f64| {
        points.iter().map(get).fold(start, f)
    };
    let (xmin, xmax) =
        (fold(f64::min, f64::INFINITY, |p| p.easting_m), fold(f64::max, f64::NEG_INFINITY, |p| p.easting_m));
    let (ymin, ymax) = (
        fold(f64::min, f64::INFINITY, |p| p.northing_m),
        fold(f64::max, f64::NEG_INFINITY, |p| p.northing_m),
    );
    let spec = GridSpec::over_extent(xmin, ymin, xmax, ymax, None).unwrap();
    assert!((spec.cell_size_m - meta["cell_size_m"]).abs() < 0.01, "{}", spec.cell_size_m);
    assert_eq!((spec.ncols as f64, spec.nrows as f64), (meta["ncols"], meta["nrows"]));
    let grid = kde_exact(&points, &spec, Kernel::Quartic, b.bandwidth_m, 12, &|_, _| true);
    let (peak, row, col) = grid.peak().unwrap();
    assert!((peak / meta["peak_density_per_km2_month"] - 1.0).abs() < 0.02, "peak {peak}");
    assert_eq!((row as f64, col as f64), (meta["peak_row"], meta["peak_col"]));
    for r in reference("bcp_asb_2025_cells.csv") {
        let (row, col, want): (usize, usize, f64) =
            (r[0].parse().unwrap(), r[1].parse().unwrap(), r[2].parse().unwrap());
        let got = grid.get(row, col);
        assert!((got - want).abs() <= 0.02 * want.max(0.05), "({row},{col}): {got} vs {want}");
    }
}
