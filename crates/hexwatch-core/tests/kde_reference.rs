//! Kernel density against outside references: a direct numpy sum and KDEpy 1.1.12
//! `NaiveKDE(kernel='biweight', norm=2, bw=h/√7)` on a small fixture, the ArcGIS default
//! radius computed with numpy, and hand values of each kernel. Fixtures, generator and pinned
//! versions: `tests/fixtures/kde/` (see its SOURCE.md).

#![allow(clippy::unwrap_used, clippy::panic, reason = "test set-up fails loudly")]

use std::collections::HashMap;

use hexwatch_core::kde::{GridSpec, Kernel, WeightedPoint, arcgis_bandwidth, kde_exact};

fn fixture(name: &str) -> Vec<HashMap<String, String>> {
    let text =
        std::fs::read_to_string(format!("{}/tests/fixtures/kde/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap();
    let mut lines = text.lines();
    let header: Vec<String> = lines.next().unwrap().split(',').map(str::to_owned).collect();
    lines.map(|l| header.iter().cloned().zip(l.split(',').map(str::to_owned)).collect()).collect()
}

fn meta(name: &str) -> HashMap<String, f64> {
    fixture(name).into_iter().filter_map(|r| Some((r["key"].clone(), r["value"].parse().ok()?))).collect()
}

fn num(r: &HashMap<String, String>, k: &str) -> f64 {
    r[k].parse().unwrap()
}

fn small_points() -> Vec<WeightedPoint> {
    fixture("small_points.csv")
        .iter()
        .map(|r| WeightedPoint {
            easting_m: num(r, "easting_m"),
            northing_m: num(r, "northing_m"),
            weight: num(r, "weight"),
        })
        .collect()
}

#[test]
fn small_grid_matches_numpy_and_kdepy() {
    let m = meta("small_meta.csv");
    let spec = GridSpec {
        xmin_m: m["xmin"],
        ymax_m: m["ymax"],
        cell_size_m: m["cell_m"],
        ncols: m["ncols"] as usize,
        nrows: m["nrows"] as usize,
    };
    // One month, and back from per km² to per m².
    let d = kde_exact(&small_points(), &spec, Kernel::Quartic, m["h_m"], 1, &|_, _| true);
    for r in fixture("small_grid.csv") {
        let ours = d.get(r["row"].parse().unwrap(), r["col"].parse().unwrap()) / 1e6;
        for column in ["density_per_m2_exact", "density_per_m2_kdepy"] {
            let want = num(&r, column);
            assert!(
                (ours - want).abs() <= 1e-9 * want.abs().max(1e-12),
                "{column} at {},{}: {ours} vs {want}",
                r["row"],
                r["col"]
            );
        }
    }
    let mass: f64 = d.values.iter().sum::<f64>() / 1e6 * spec.cell_size_m * spec.cell_size_m;
    assert!((mass - m["grid_sum_times_cell_area"]).abs() < 1e-9);
    assert!((mass - m["sum_w"]).abs() / m["sum_w"] < 0.005, "grid sum × cell area = incidents within 0.5 %");
}

#[test]
fn arcgis_radius_matches_numpy() {
    let m = meta("small_meta.csv");
    let points = small_points();
    let unweighted: Vec<_> = points.iter().map(|p| (p.easting_m, p.northing_m, 1.0)).collect();
    let weighted: Vec<_> = points.iter().map(|p| (p.easting_m, p.northing_m, p.weight)).collect();
    let b = arcgis_bandwidth(&unweighted).unwrap();
    assert!((b.bandwidth_m - m["arcgis_unweighted_radius_m"]).abs() < 1e-9, "{}", b.bandwidth_m);
    assert!((b.standard_distance_m - m["arcgis_unweighted_sd_m"]).abs() < 1e-9);
    assert!((b.median_distance_m - m["arcgis_unweighted_dm_m"]).abs() < 1e-9);
    let b = arcgis_bandwidth(&weighted).unwrap();
    assert!((b.bandwidth_m - m["arcgis_weighted_radius_m"]).abs() < 1e-9, "{}", b.bandwidth_m);
}

#[test]
fn kernels_match_hand_values() {
    for r in fixture("kernels.csv") {
        let kernel = Kernel::parse(&r["kernel"]).unwrap_or_else(|| panic!("kernel {}", r["kernel"]));
        let got = kernel.value_per_m2(num(&r, "d_m"), num(&r, "h_m"));
        let want = num(&r, "value_per_m2");
        assert!((got - want).abs() <= 1e-12 * want.abs().max(1e-300), "{r:?}: {got}");
    }
}
