//! The density GeoTIFF read by GDAL (`gdalinfo`, Debian package gdal-bin): EPSG:27700, the
//! grid's origin, and a pixel size equal to `cell_size_m`.

#![allow(clippy::unwrap_used, clippy::panic, reason = "test set-up fails loudly")]

use hexwatch_core::kde::{GridSpec, Kernel, WeightedPoint, kde_exact};
use hexwatch_io::write_density_geotiff;

#[test]
fn gdalinfo_reads_epsg_27700_origin_and_pixel_size() {
    if std::process::Command::new("gdalinfo").arg("--version").output().is_err() {
        assert!(std::env::var_os("CI").is_none(), "gdalinfo is missing: install the Debian package gdal-bin");
        eprintln!("skipped: gdalinfo is missing (install the Debian package gdal-bin)");
        return;
    }
    let spec = GridSpec { xmin_m: 397_710.0, ymax_m: 99_826.0, cell_size_m: 50.0, ncols: 40, nrows: 30 };
    let points = [WeightedPoint { easting_m: 398_500.0, northing_m: 99_100.0, weight: 3.0 }];
    let grid = kde_exact(&points, &spec, Kernel::Quartic, 300.0, 12, &|x, _| x < 399_500.0);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("density.tif");
    write_density_geotiff(&path, &grid, "test density").unwrap();
    let out = std::process::Command::new("gdalinfo").arg("-json").arg(&path).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let info: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let wkt = info["coordinateSystem"]["wkt"].as_str().unwrap();
    assert!(wkt.contains("British National Grid") && wkt.contains("27700"), "{wkt}");
    let gt: Vec<f64> = info["geoTransform"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
    assert_eq!(gt, [397_710.0, 50.0, 0.0, 99_826.0, 0.0, -50.0]);
    assert_eq!(info["size"], serde_json::json!([40, 30]));
    let band = &info["bands"][0];
    assert_eq!(band["type"], "Float32");
    assert_eq!(band["noDataValue"], "NaN", "cells outside the mask are NoData");
}
