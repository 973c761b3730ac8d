//! End to end: areas beyond the wards. Counts per BCP LSOA 2021 through the API against the
//! outside reference `tests/fixtures/partner/lsoa_counts.csv` and `lsoa_summary.json`
//! (Python `csv`/`gzip` and shapely, see that folder's SOURCE.md), the share of police.uk
//! points inside their own LSOA polygon, the `boundaries` tile layer, and a custom area set
//! in British National Grid (the 2016 Poole boundary) used as an `area=` filter.

#![allow(clippy::unwrap_used, clippy::panic, reason = "test set-up fails loudly")]

use std::collections::BTreeMap;
use std::path::PathBuf;

use geo::Intersects;
use hexwatch_core::{AreaSet, LocationId};
use hexwatch_io::{CustomAreaFile, CustomAreaOptions};

mod common;
use common::{data_dir, dorset_store, get, shipped_lsoas, start_server, start_server_prepared};

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/partner")
}

/// One line of `lsoa_counts.csv`.
struct Reference {
    vintage: String,
    rows: u64,
    inside_own_polygon: u64,
}

fn reference_counts() -> BTreeMap<String, Reference> {
    let mut reader = csv::Reader::from_path(fixtures().join("lsoa_counts.csv")).unwrap();
    assert_eq!(
        reader.headers().unwrap().iter().collect::<Vec<_>>(),
        ["code", "name", "vintage", "rows", "rows_inside_own_polygon"]
    );
    reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            let reference = Reference {
                vintage: r[2].to_owned(),
                rows: r[3].parse().unwrap(),
                inside_own_polygon: r[4].parse().unwrap(),
            };
            (r[0].to_owned(), reference)
        })
        .collect()
}

fn reference_summary() -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(fixtures().join("lsoa_summary.json")).unwrap()).unwrap()
}

fn json(url: &str) -> serde_json::Value {
    let (status, body) = get(url);
    assert_eq!(status, 200, "{url}: {}", String::from_utf8_lossy(&body));
    serde_json::from_slice(&body).unwrap()
}

fn error_parameter(url: &str) -> (u16, String) {
    let (status, body) = get(url);
    let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
    (status, json["parameter"].as_str().unwrap_or_default().to_owned())
}

#[test]
fn counts_per_lsoa_equal_the_reference() {
    let reference = reference_counts();
    let summary = reference_summary();
    assert_eq!(reference.len(), 240);
    let server = start_server();
    let body = json(&format!("{}/api/lsoas", server.base));
    let got: BTreeMap<String, u64> = body["lsoas"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| (l["code"].as_str().unwrap().to_owned(), l["count"].as_u64().unwrap()))
        .collect();
    assert_eq!(got.keys().collect::<Vec<_>>(), reference.keys().collect::<Vec<_>>(), "the 240 BCP codes");
    for (code, r) in &reference {
        assert_eq!(got[code], r.rows, "{code}");
    }
    let total: u64 = got.values().sum();
    assert_eq!(total, summary["bcp_rows"].as_u64().unwrap());
    assert_eq!(total, 34_900);
    let new: Vec<&String> =
        reference.iter().filter(|(_, r)| r.vintage == "2021-bgc").map(|(c, _)| c).collect();
    assert_eq!(new.len(), 14);
    let new_total: u64 = new.iter().map(|c| got[*c]).sum();
    assert_eq!(new_total, summary["new_2021_code_rows"].as_u64().unwrap());
    assert_eq!(new_total, 6_186);
    // The same total as the wards under the 11 m rule.
    assert_eq!(json(&format!("{}/api/summary?area=bcp", server.base))["incidents"], total);

    // One LSOA as a filter and as a detail, and the CSV export.
    let code = "E01034271";
    let one = json(&format!("{}/api/summary?area=lsoa:{code}", server.base));
    assert_eq!(one["incidents"], reference[code].rows);
    let detail = json(&format!("{}/api/lsoas/{code}", server.base));
    assert_eq!((detail["code"].as_str(), detail["count"].as_u64()), (Some(code), Some(reference[code].rows)));
    let (status, csv_body) =
        get(&format!("{}/api/lsoas?format=csv&category=anti-social-behaviour", server.base));
    assert_eq!(status, 200);
    let rows = csv::Reader::from_reader(csv_body.as_slice()).records().count();
    assert_eq!(rows, 240);
    let cells = json(&format!("{}/api/hotspots?res=9&area=lsoa:{code}&limit=10000", server.base));
    let in_cells: u64 = cells["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["properties"]["count"].as_u64().unwrap())
        .sum();
    assert_eq!(in_cells, reference[code].rows, "cells of the LSOA add up to its count");

    // Unknown values are 400s naming the parameter.
    for (query, parameter) in [
        ("area=lsoa:E09999999", "area"),
        ("area=custom:nope/x", "area"),
        ("area=lsoa", "area"),
        ("area=parish:E04000001", "area"),
    ] {
        assert_eq!(error_parameter(&format!("{}/api/summary?{query}", server.base)), (400, parameter.into()));
    }
    assert_eq!(error_parameter(&format!("{}/api/lsoas?area=bcp", server.base)), (400, "area".into()));
    assert_eq!(get(&format!("{}/api/lsoas/E09999999", server.base)).0, 404);

    // /api/meta lists the LSOAs as areas and the sets with their membership rule.
    let meta = json(&format!("{}/api/meta", server.base));
    let lsoa_areas = meta["areas"].as_array().unwrap().iter().filter(|a| a["set"] == "lsoa").count();
    assert_eq!(lsoa_areas, 240);
    let sets: Vec<&str> =
        meta["area_sets"].as_array().unwrap().iter().map(|s| s["set"].as_str().unwrap()).collect();
    assert_eq!(sets, ["ward", "lsoa"]);
    assert_eq!(meta["area_sets"][1]["incidents_by_code"], 34_900);
    let catalog = json(&format!("{}/catalog", server.base));
    assert_eq!(catalog["tiles"]["boundaries"]["sets"], serde_json::json!(["ward", "lsoa"]));
}

/// The share of BCP police.uk points inside (or on the edge of) the polygon of their own
/// LSOA code, computed with hexwatch's area set at tolerance 0, against the shapely figure.
///
/// hexwatch tests points in British National Grid metres against polygons whose vertices
/// were projected there; shapely tested them in degrees. A polygon edge is straight in one
/// system and very slightly curved in the other (centimetres over an edge of a few hundred
/// metres), and police.uk snap points can sit on the edges of the generalised outlines, so a
/// handful of points may fall differently: at most 5 of the 34,900 rows are allowed to.
#[test]
fn share_inside_own_polygon_matches_the_reference() {
    const HANDFUL: u64 = 5;
    let reference = reference_counts();
    let summary = reference_summary();
    let (store, _dir) = dorset_store();
    let table = store.load_table(None).unwrap();
    let lsoas = shipped_lsoas().index(0.0);
    assert_eq!(lsoas.name(), AreaSet::LSOA);
    let mut inside: BTreeMap<&str, u64> = BTreeMap::new();
    let (mut rows, mut elsewhere, mut nowhere) = (0_u64, 0_u64, 0_u64);
    let mut by_location: BTreeMap<(LocationId, &str), bool> = BTreeMap::new();
    for (i, loc) in table.location_column().iter().enumerate() {
        let Some(code) = table.source_lsoa_code(i) else { continue };
        let Some(id) = lsoas.find_code(code) else { continue };
        rows += 1;
        let hit =
            *by_location.entry((*loc, code)).or_insert_with(|| lsoas.covers(id, table.location_bng(*loc)));
        if hit {
            *inside.entry(code).or_default() += 1;
        } else if lsoas.assign(table.location_bng(*loc)).is_some() {
            elsewhere += 1;
        } else {
            nowhere += 1;
        }
    }
    let all = &summary["points_inside_own_polygon"]["all_bcp"];
    assert_eq!(rows, all["rows"].as_u64().unwrap());
    let total_inside: u64 = inside.values().sum();
    let want = all["inside"].as_u64().unwrap();
    let share = total_inside as f64 / rows as f64;
    println!(
        "inside own polygon: {total_inside} of {rows} ({:.4}; shapely {want}, {:.4}); in another BCP polygon \
         {elsewhere} (shapely {}), in none {nowhere} (shapely {})",
        share,
        all["share"].as_f64().unwrap(),
        summary["points_inside_own_polygon"]["inside_another_bcp_polygon"],
        summary["points_inside_own_polygon"]["inside_no_bcp_polygon"],
    );
    assert!(total_inside.abs_diff(want) <= HANDFUL, "{total_inside} vs {want}");
    let per_code_difference: u64 = reference
        .iter()
        .map(|(code, r)| inside.get(code.as_str()).copied().unwrap_or(0).abs_diff(r.inside_own_polygon))
        .sum();
    assert!(per_code_difference <= HANDFUL, "per-code differences add up to {per_code_difference}");
    let new = &summary["points_inside_own_polygon"]["new_2021_codes"];
    let new_inside: u64 = reference
        .iter()
        .filter(|(_, r)| r.vintage == "2021-bgc")
        .map(|(c, _)| inside.get(c.as_str()).copied().unwrap_or(0))
        .sum();
    assert!(new_inside.abs_diff(new["inside"].as_u64().unwrap()) <= HANDFUL, "{new_inside}");
    assert!((share - all["share"].as_f64().unwrap()).abs() <= HANDFUL as f64 / rows as f64);
}

#[test]
fn boundaries_layer_draws_every_set_and_selects_one() {
    let server = start_server();
    let tilejson = json(&format!("{}/tiles/boundaries?set=lsoa", server.base));
    assert_eq!(tilejson["vector_layers"][0]["id"], "boundaries");
    let fields = tilejson["vector_layers"][0]["fields"].as_object().unwrap();
    assert_eq!(fields.keys().collect::<Vec<_>>(), ["code", "name", "set"]);
    assert!(tilejson["tiles"][0].as_str().unwrap().ends_with("/tiles/boundaries/{z}/{x}/{y}?set=lsoa"));
    // The zoom-13 tile over Bournemouth centre (the one holding cell 891959710bbffff).
    let decode = |query: &str| {
        let (status, bytes) = get(&format!("{}/tiles/boundaries/13/4053/2752{query}", server.base));
        assert_eq!(status, 200, "{query}");
        let reader = mvt_reader::Reader::new(bytes).unwrap();
        assert_eq!(reader.get_layer_names().unwrap(), ["boundaries"]);
        reader
            .get_features(0)
            .unwrap()
            .into_iter()
            .map(|f| {
                let props = f.properties.unwrap();
                let text = |k: &str| match props.get(k) {
                    Some(mvt_reader::feature::Value::String(s)) => s.clone(),
                    other => panic!("{k}: {other:?}"),
                };
                (text("set"), text("code"), text("name"))
            })
            .collect::<Vec<_>>()
    };
    let lsoa = decode("?set=lsoa");
    assert!(
        lsoa.len() > 5 && lsoa.iter().all(|(set, code, _)| set == "lsoa" && code.starts_with("E01")),
        "{lsoa:?}"
    );
    assert!(lsoa.iter().any(|(_, code, _)| code == "E01034271"), "the town-centre LSOA is in the tile");
    let ward = decode("?set=ward");
    assert!(ward.iter().all(|(set, code, _)| set == "ward" && code.starts_with("E05")));
    assert!(ward.iter().any(|(_, _, name)| name == "Bournemouth Central"));
    let all = decode("");
    assert_eq!(all.len(), lsoa.len() + ward.len());
    assert_eq!(
        error_parameter(&format!("{}/tiles/boundaries/13/4053/2752?set=nope", server.base)),
        (400, "set".into())
    );
    assert_eq!(
        error_parameter(&format!("{}/tiles/boundaries?category=drugs", server.base)),
        (400, "category".into())
    );
}

/// `hexwatch areas add data/boundaries-poole-bng-2016/boundary_poole_bng.geojson --set
/// poole-2016` as the command does it, then `area=custom:poole-2016/Poole (B)` through the
/// API, against a direct point-in-polygon count on the file's own coordinates.
#[test]
fn poole_bng_boundary_is_a_custom_area_filter() {
    let path = data_dir().join("boundaries-poole-bng-2016/boundary_poole_bng.geojson");
    let fixture: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(fixtures().join("poole_boundary.json")).unwrap())
            .unwrap();
    let file = CustomAreaFile::read(&path, &CustomAreaOptions::default()).unwrap();
    assert_eq!(file.crs_name.as_deref(), fixture["crs_name"].as_str());
    assert_eq!((file.read, file.areas.len(), file.rejected.len(), file.repaired.len()), (1, 1, 0, 0));
    let poole = &file.areas[0];
    assert_eq!((poole.name.as_str(), poole.code.as_str()), ("Poole (B)", "E06000029"));
    let want_km2 = fixture["area_km2"].as_f64().unwrap();
    assert!((poole.area_km2() - want_km2).abs() / want_km2 < 1e-4, "{} km²", poole.area_km2());

    // The reference: located rows whose stored grid position lies in the polygon read here
    // straight from the file's JSON (metres as given).
    let raw: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let ring: Vec<(f64, f64)> = raw["features"][0]["geometry"]["coordinates"][0]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p[0].as_f64().unwrap(), p[1].as_f64().unwrap()))
        .collect();
    let polygon = geo::Polygon::new(geo::LineString::from(ring), vec![]);

    let (server, expected) = start_server_prepared(|store| {
        let table = store.load_table(None).unwrap();
        let expected = table
            .location_column()
            .iter()
            .filter(|loc| polygon.intersects(&table.location_bng(**loc).to_geo()))
            .count() as u64;
        store.add_area_set("poole-2016", &file, &CustomAreaOptions::default(), 0.0).unwrap();
        expected
    });
    let summary = json(&format!("{}/api/summary?area=custom:poole-2016/Poole%20(B)", server.base));
    let got = summary["incidents"].as_u64().unwrap();
    println!("area=custom:poole-2016/Poole (B): {got} incidents (direct point in polygon: {expected})");
    assert_eq!(got, expected);
    assert!((8_000..34_900).contains(&got), "Poole holds part of BCP's 34,900: {got}");
    let meta = json(&format!("{}/api/meta", server.base));
    assert!(meta["areas"].as_array().unwrap().iter().any(|a| a["id"] == "custom:poole-2016/Poole (B)"));
    let tile = get(&format!("{}/tiles/boundaries/13/4050/2752?set=poole-2016", server.base));
    assert_eq!(tile.0, 200);
    assert_eq!(
        error_parameter(&format!("{}/api/summary?area=custom:poole-2016/Bournemouth", server.base)),
        (400, "area".into())
    );
}

/// A boundary file whose `crs` member names EPSG:27700 is read in metres (not as degrees),
/// also by the reader of the ward and LSOA sets (`hexwatch serve --wards FILE`); a file in
/// another system is refused naming the file and the crs.
#[test]
fn boundary_sets_honour_a_bng_crs_member() {
    let path = data_dir().join("boundaries-poole-bng-2016/boundary_poole_bng.geojson");
    let set = hexwatch_io::BoundarySet::read("ward", &path, "CODE", "NAME").unwrap();
    assert_eq!(set.areas.len(), 1);
    let poole = &set.areas[0];
    assert!((poole.area_km2() - 74.716_159_765).abs() < 1e-6, "the file's own metres: {}", poole.area_km2());
    // Poole lies around 1.95° W, 50.72° N.
    let rect = geo::BoundingRect::bounding_rect(&poole.boundary_wgs84).unwrap();
    assert!(
        rect.min().x > -2.05 && rect.max().x < -1.85 && rect.min().y > 50.65 && rect.max().y < 50.80,
        "{rect:?}"
    );
    let dir = tempfile::tempdir().unwrap();
    let other = dir.path().join("irish-grid.geojson");
    std::fs::write(
        &other,
        r#"{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::29902"}},"features":[]}"#,
    )
    .unwrap();
    let err = hexwatch_io::BoundarySet::read("ward", &other, "CODE", "NAME").unwrap_err().to_string();
    assert!(err.contains("irish-grid.geojson: unsupported crs \"urn:ogc:def:crs:EPSG::29902\""), "{err}");
}
