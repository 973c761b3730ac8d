//! End to end: the `clusters` tile layer over the real data. The server on a free port; the
//! TileJSON's counts against `/api/summary` and against every zoom-12 tile over BCP fetched
//! over HTTP and decoded with `mvt-reader`; NNH's threshold from the BCP ward area; and bad
//! parameters answered 400 naming them.

#![allow(clippy::unwrap_used, clippy::panic, reason = "test set-up fails loudly")]

use std::collections::BTreeMap;
use std::f64::consts::PI;

use mvt_reader::feature::Value;

mod common;
use common::{Server, get, start_server};

const ASB_BCP: &str = "category=anti-social-behaviour&from=2025-01&to=2025-12&area=bcp";

fn json(server: &Server, path: &str) -> serde_json::Value {
    let (status, body) = get(&format!("{}{path}", server.base));
    assert_eq!(status, 200, "{path}: {}", String::from_utf8_lossy(&body));
    serde_json::from_slice(&body).unwrap()
}

/// XYZ tiles at zoom `z` covering a lon/lat box (OSM slippy-map formulas).
fn tiles_covering(west: f64, south: f64, east: f64, north: f64, z: u8) -> Vec<(u32, u32)> {
    let n = f64::from(1_u32 << z);
    let x = |lon: f64| ((lon + 180.0) / 360.0 * n).floor() as u32;
    let y = |lat: f64| {
        let r = lat.to_radians();
        ((1.0 - (r.tan() + 1.0 / r.cos()).ln() / PI) / 2.0 * n).floor() as u32
    };
    (x(west)..=x(east)).flat_map(|tx| (y(north)..=y(south)).map(move |ty| (tx, ty))).collect()
}

/// Every cluster seen in the zoom-12 tiles over BCP: rank → (count, core_count), checking
/// each copy of a cluster carries the same figures.
fn clusters_in_tiles(server: &Server, query: &str) -> BTreeMap<u64, (u64, Option<u64>)> {
    let uint = |props: &std::collections::HashMap<String, Value>, k: &str| match props.get(k) {
        Some(Value::UInt(n)) => Some(*n),
        None => None,
        other => panic!("{k}: {other:?}"),
    };
    let mut seen = BTreeMap::new();
    // BCP ward union extent (data/boundaries-bcp-wards-2020/SOURCE.md).
    for (x, y) in tiles_covering(-2.04075, 50.68265, -1.68167, 50.80961, 12) {
        let (status, bytes) = get(&format!("{}/tiles/clusters/12/{x}/{y}?{query}", server.base));
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&bytes));
        let reader = mvt_reader::Reader::new(bytes).unwrap();
        assert_eq!(reader.get_layer_names().unwrap(), ["clusters"]);
        for f in reader.get_features(0).unwrap() {
            assert!(
                matches!(f.geometry, geo_types::Geometry::Polygon(_) | geo_types::Geometry::MultiPolygon(_)),
                "{:?}",
                f.geometry
            );
            let props = f.properties.as_ref().unwrap();
            let rank = uint(props, "cluster").unwrap();
            let figures = (uint(props, "count").unwrap(), uint(props, "core_count"));
            assert_eq!(*seen.entry(rank).or_insert(figures), figures, "cluster {rank} in tile {x}/{y}");
        }
    }
    seen
}

#[test]
fn dbscan_tiles_and_tilejson_agree_on_bcp_anti_social_behaviour() {
    let server = start_server();
    let params = "method=dbscan&eps_m=100&min_points=10";
    let tj = json(&server, &format!("/tiles/clusters?{ASB_BCP}&{params}"));
    assert_eq!(tj["tilejson"], "3.0.0");
    assert_eq!(tj["vector_layers"][0]["id"], "clusters");
    assert!(
        tj["tiles"][0]
            .as_str()
            .unwrap()
            .contains(&format!("/tiles/clusters/{{z}}/{{x}}/{{y}}?{ASB_BCP}&{params}"))
    );
    assert_eq!(
        (tj["method"].as_str(), tj["eps_m"].as_f64(), tj["min_points"].as_u64()),
        (Some("dbscan"), Some(100.0), Some(10))
    );
    // Every BCP ASB incident of 2025 was clustered or called noise.
    let summary = json(&server, &format!("/api/summary?{ASB_BCP}"));
    let incidents = tj["incidents"].as_u64().unwrap();
    assert_eq!(Some(incidents), summary["incidents"].as_u64());
    assert_eq!(tj["clustered"].as_u64().unwrap() + tj["noise"].as_u64().unwrap(), incidents);

    // The tiles hold every cluster, ranked 1…K by count, with the TileJSON's totals.
    let seen = clusters_in_tiles(&server, &format!("{ASB_BCP}&{params}"));
    let k = tj["clusters"].as_u64().unwrap();
    assert!(k > 10, "{k} clusters");
    assert_eq!(seen.keys().copied().collect::<Vec<_>>(), (1..=k).collect::<Vec<_>>());
    assert_eq!(seen.values().map(|(n, _)| n).sum::<u64>(), tj["clustered"].as_u64().unwrap());
    let counts: Vec<u64> = seen.values().map(|(n, _)| *n).collect();
    assert!(counts.windows(2).all(|w| w[0] >= w[1]), "ranked by count: {counts:?}");
    for (rank, (count, core)) in &seen {
        let core = core.unwrap_or_else(|| panic!("cluster {rank} has core_count"));
        assert!(core >= 1 && core <= *count, "cluster {rank}: {core} core of {count}");
        assert!(*count >= 10, "a cluster holds at least min_points incidents");
    }
}

#[test]
fn nnh_takes_the_bcp_ward_area_for_its_random_threshold() {
    let server = start_server();
    let tj = json(&server, &format!("/tiles/clusters?{ASB_BCP}&method=nnh&min_points=10"));
    assert_eq!(tj["method"], "nnh");
    assert_eq!(tj["area_rule"], "the selected area");
    // The BCP ward union: 162.08 km² (see the patrol plan's end-to-end test).
    let area_km2 = tj["area_m2"].as_f64().unwrap() / 1e6;
    assert!((area_km2 - 162.08).abs() < 0.01, "{area_km2}");
    let n = tj["incidents"].as_f64().unwrap();
    // 0.5·√(A/N) − 1.6449·0.26136·√(A/N²), recomputed here.
    let a = tj["area_m2"].as_f64().unwrap();
    let want = 0.5 * (a / n).sqrt() - 1.644_853_626_951_472_2 * 0.26136 * (a / (n * n)).sqrt();
    assert!((tj["threshold_m"].as_f64().unwrap() - want).abs() < 1e-9, "{tj}");
    let seen = clusters_in_tiles(&server, &format!("{ASB_BCP}&method=nnh&min_points=10"));
    assert_eq!(seen.len() as u64, tj["clusters"].as_u64().unwrap());
    assert!(seen.values().all(|(n, core)| *n >= 10 && core.is_none()));
    // With no area filter the incidents' bounding rectangle is the study area.
    let all = json(&server, "/tiles/clusters?category=anti-social-behaviour&method=nnh");
    assert_eq!(all["area_rule"], "the incidents' bounding rectangle");
}

#[test]
fn bad_cluster_parameters_are_400_json_naming_them() {
    let server = start_server();
    for (query, parameter) in [
        ("method=kmeans", "method"),
        ("eps_m=0", "eps_m"),
        ("eps_m=abc", "eps_m"),
        ("eps_m=NaN", "eps_m"),
        ("eps_m=10000", "eps_m"),
        ("min_points=0", "min_points"),
        ("min_points=-3", "min_points"),
        ("min_points=2.5", "min_points"),
        ("p=0.05", "p"),
        ("method=dbscan&threshold_m=50", "threshold_m"),
        ("method=nnh&eps_m=100", "eps_m"),
        ("method=nnh&p=0", "p"),
        ("method=nnh&p=0.7", "p"),
        ("method=nnh&p=0.05&threshold_m=80", "threshold_m"),
        ("method=nnh&threshold_m=-1", "threshold_m"),
        ("k=2", "k"),
        ("category=not-a-category", "category"),
        ("eps_m=50&eps_m=60", "eps_m"),
    ] {
        for path in ["/tiles/clusters/13/4053/2752", "/tiles/clusters"] {
            let (status, body) = get(&format!("{}{path}?{query}", server.base));
            assert_eq!(status, 400, "{path}?{query}: {}", String::from_utf8_lossy(&body));
            let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
            assert_eq!(json["parameter"], parameter, "{path}?{query}: {json}");
            assert!(json["error"].as_str().is_some_and(|e| !e.is_empty()));
        }
    }
}
