//! End to end: the real data ingested, the server on a free port, every zoom-13 tile over
//! BCP fetched over HTTP and decoded with `mvt-reader` (not our encoder), and each cell's
//! count checked against a reference computed here from the CSV files with `csv`, `flate2`
//! and `h3o` only.

#![allow(clippy::unwrap_used, clippy::panic, reason = "test set-up fails loudly")]

use std::collections::{BTreeMap, HashMap};
use std::f64::consts::PI;

use h3o::{LatLng, Resolution};
use mvt_reader::feature::Value;

mod common;
use common::{Server, data_dir, get, start_server};

/// Located ASB rows per resolution-9 cell, straight from the CSV files.
fn reference_asb_counts() -> HashMap<String, u32> {
    let mut counts = HashMap::new();
    let dir = data_dir().join("police-uk-dorset-2025");
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if !path.to_string_lossy().ends_with(".csv.gz") {
            continue;
        }
        let gz = flate2::read::GzDecoder::new(std::fs::File::open(&path).unwrap());
        let mut reader = csv::Reader::from_reader(gz);
        let headers = reader.headers().unwrap().clone();
        let col = |name: &str| headers.iter().position(|h| h == name).unwrap();
        let (lon, lat, kind) = (col("Longitude"), col("Latitude"), col("Crime type"));
        for record in reader.records() {
            let r = record.unwrap();
            if &r[kind] != "Anti-social behaviour" || r[lon].is_empty() {
                continue;
            }
            let ll = LatLng::new(r[lat].parse().unwrap(), r[lon].parse().unwrap()).unwrap();
            *counts.entry(ll.to_cell(Resolution::Nine).to_string()).or_insert(0) += 1;
        }
    }
    counts
}

/// XYZ tiles at zoom `z` covering a lon/lat box (OSM slippy-map formulas).
fn tiles_covering(west: f64, south: f64, east: f64, north: f64, z: u8) -> Vec<(u32, u32)> {
    let n = f64::from(1_u32 << z);
    let x = |lon: f64| ((lon + 180.0) / 360.0 * n).floor() as u32;
    let y = |lat: f64| {
        let r = lat.to_radians();
        ((1.0 - (r.tan() + 1.0 / r.cos()).ln() / PI) / 2.0 * n).floor() as u32
    };
    let mut tiles = Vec::new();
    for tx in x(west)..=x(east) {
        for ty in y(north)..=y(south) {
            tiles.push((tx, ty));
        }
    }
    tiles
}

/// Fetches and decodes every zoom-13 tile over BCP; returns h3 → count, deduplicated,
/// checking that every copy of a cell carries the same count and resolution 9.
fn fetch_cells(server: &Server, query: &str) -> BTreeMap<String, u64> {
    // BCP ward union extent (data/boundaries-bcp-wards-2020/SOURCE.md).
    let tiles = tiles_covering(-2.04075, 50.68265, -1.68167, 50.80961, 13);
    assert!(tiles.len() > 20, "{}", tiles.len());
    let mut cells = BTreeMap::new();
    for (x, y) in tiles {
        let (status, bytes) = get(&format!("{}/tiles/cells/13/{x}/{y}?{query}", server.base));
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&bytes));
        let reader = mvt_reader::Reader::new(bytes).unwrap();
        let layers = reader.get_layer_names().unwrap();
        assert_eq!(layers, ["cells"]);
        let meta = &reader.get_layer_metadata().unwrap()[0];
        assert_eq!((meta.version, meta.extent), (2, 4096));
        let features = reader.get_features(0).unwrap();
        let mut ids: Vec<u64> = features.iter().map(|f| f.id.unwrap()).collect();
        ids.sort_unstable();
        assert_eq!(ids, (1..=features.len() as u64).collect::<Vec<_>>(), "small unique feature ids");
        for f in features {
            let polygon_ok = match &f.geometry {
                geo_types::Geometry::Polygon(p) => p.interiors().is_empty() && p.exterior().0.len() >= 4,
                geo_types::Geometry::MultiPolygon(mp) => mp.0.iter().all(|p| p.interiors().is_empty()),
                _ => false,
            };
            assert!(polygon_ok, "cells are simple polygons with exterior rings only: {:?}", f.geometry);
            let props = f.properties.unwrap();
            let Some(Value::String(h3)) = props.get("h3") else { panic!("h3 property is a string") };
            let Some(Value::UInt(count)) = props.get("count") else { panic!("count is a uint") };
            assert_eq!(props.get("res"), Some(&Value::UInt(9)), "zoom 13 shows resolution 9");
            if let Some(previous) = cells.insert(h3.clone(), *count) {
                assert_eq!(previous, *count, "{h3} has one count in every tile");
            }
        }
    }
    cells
}

#[test]
fn zoom_13_tiles_match_counts_from_the_csv_files() {
    let server = start_server();
    let reference = reference_asb_counts();
    let asb = "category=anti-social-behaviour&from=2025-01&to=2025-12";
    let cells = fetch_cells(&server, asb);
    assert!(cells.len() > 500, "{} cells", cells.len());
    for (h3, count) in &cells {
        assert_eq!(Some(*count), reference.get(h3).map(|&n| u64::from(n)), "cell {h3}");
    }
    let in_bcp = fetch_cells(&server, &format!("{asb}&area=bcp"));
    assert_eq!(in_bcp.values().sum::<u64>(), 8_619);
    // The top cell of the main-job issue, seen through tiles.
    assert_eq!(in_bcp.get("891959710bbffff"), Some(&244));
}

#[test]
fn bad_parameters_are_400_json_naming_them() {
    let server = start_server();
    for (query, parameter) in [
        ("category=not-a-category", "category"),
        ("from=2025-13", "from"),
        ("from=2025-06&to=2025-01", "from"),
        ("area=ward:E99999999", "area"),
        ("res=4", "res"),
        ("hours=18-23", "hours"),
        ("weekdays=sat", "weekdays"),
        ("flag=knife", "flag"),
        ("categroy=drugs", "categroy"),
        ("category=", "category"),
        ("area=", "area"),
        ("from=2025-01&from=2025-02", "from"),
    ] {
        let (status, body) = get(&format!("{}/tiles/cells/13/4053/2752?{query}", server.base));
        assert_eq!(status, 400, "{query}");
        let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(json["parameter"], parameter, "{query}: {json}");
        assert!(json["error"].as_str().is_some_and(|e| !e.is_empty()));
    }
    for (path, parameter) in [
        ("13/8192/2752", "x"),
        ("13/4053/9000", "y"),
        ("23/0/0", "z"),
        ("13/-1/2752", "x"),
        ("13/a/2752", "x"),
    ] {
        let (status, body) = get(&format!("{}/tiles/cells/{path}", server.base));
        assert_eq!(status, 400, "{path}");
        let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(json["parameter"], parameter, "{path}: {json}");
    }
    let (status, body) = get(&format!("{}/tiles/nope/13/4053/2752", server.base));
    assert_eq!(status, 404, "{}", String::from_utf8_lossy(&body));
    for route in ["/api/meta", "/api/health", "/catalog", "/api/areas/wards"] {
        let (status, body) = get(&format!("{}{route}?foo=1", server.base));
        let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!((status, json["parameter"].as_str()), (400, Some("foo")), "{route}");
    }
    for path in ["/api/nope", "/tiles/cells/13/4053", "/nope.html"] {
        let (status, body) = get(&format!("{}{path}", server.base));
        let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(status, 404, "{path}");
        assert!(json["error"].as_str().is_some_and(|e| e.contains(path)), "{path}: {json}");
    }
    let (status, _) = get(&format!("{}/tiles/cells/13/4053/2752.mvt?category=drugs", server.base));
    assert_eq!(status, 200, "the .mvt suffix is accepted");
}

#[test]
fn meta_tilejson_and_hotspots_report_the_data() {
    let server = start_server();
    let (status, body) = get(&format!("{}/api/meta", server.base));
    assert_eq!(status, 200);
    let meta: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(meta["counts"]["incidents"], 55_863);
    assert_eq!(meta["counts"]["in_bcp"], 34_900);
    assert_eq!(meta["time_precision"], "month");
    assert_eq!(meta["months"]["list"].as_array().unwrap().len(), 12);
    let (_, body) =
        get(&format!("{}/tiles/cells?category=anti-social-behaviour&area=ward:E05012653", server.base));
    let tilejson: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(tilejson["tilejson"], "3.0.0");
    let url = tilejson["tiles"][0].as_str().unwrap();
    assert!(
        url.starts_with(&server.base)
            && url.ends_with("/tiles/cells/{z}/{x}/{y}?category=anti-social-behaviour&area=ward:E05012653"),
        "{url}"
    );
    let fields = tilejson["vector_layers"][0]["fields"].as_object().unwrap();
    for key in ["h3", "count", "density_per_km2_month", "count_anti_social_behaviour", "count_violent_crime"]
    {
        assert!(fields.contains_key(key), "{key}");
    }
    let (_, body) = get(&format!(
        "{}/api/hotspots?method=count&res=8&category=anti-social-behaviour&area=bcp&limit=1",
        server.base
    ));
    let fc: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(fc["features"][0]["properties"]["h3"], "881959710bfffff");
    assert_eq!(fc["features"][0]["properties"]["count"], 704);
    let (status, _) = get(&format!("{}/api/hotspots?method=nope", server.base));
    assert_eq!(status, 400);
    // A period with no data: valid GeoJSON with no features, no bbox, and no months.
    let (status, body) = get(&format!("{}/api/hotspots?from=2024-01&to=2024-02", server.base));
    let fc: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(status, 200);
    assert_eq!(fc["features"].as_array().map(Vec::len), Some(0));
    assert!(fc.get("bbox").is_none(), "{fc}");
    assert_eq!(fc["months_selected"], 0);
}
