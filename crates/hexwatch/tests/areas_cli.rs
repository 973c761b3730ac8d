//! `hexwatch areas add | list | remove` as a user runs them: the Poole 2016 boundary in
//! British National Grid against its reference area, and the messages for a file in an
//! unknown CRS, a self-intersecting polygon (repaired) and an empty geometry (rejected).

#![allow(clippy::unwrap_used, clippy::panic, reason = "test set-up fails loudly")]

use std::path::{Path, PathBuf};
use std::process::Output;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn hexwatch(store: &Path, args: &[&str]) -> (i32, String, String) {
    let Output { status, stdout, stderr } = std::process::Command::new(env!("CARGO_BIN_EXE_hexwatch"))
        .arg("--store")
        .arg(store)
        .args(args)
        .env_remove("HEXWATCH_STORE")
        .output()
        .unwrap();
    (status.code().unwrap_or(-1), String::from_utf8(stdout).unwrap(), String::from_utf8(stderr).unwrap())
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.to_string_lossy().into_owned()
}

#[test]
fn poole_bng_boundary_is_added_with_its_reference_area() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("s.sqlite3");
    let file = repo().join("data/boundaries-poole-bng-2016/boundary_poole_bng.geojson");
    let (code, out, err) = hexwatch(&store, &["areas", "add", file.to_str().unwrap(), "--set", "poole-2016"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("read 1 = added 1 + rejected 0"), "{out}");
    assert!(out.contains("British National Grid (EPSG:27700), crs urn:ogc:def:crs:EPSG::27700"), "{out}");
    let line = out.lines().find(|l| l.contains("custom:poole-2016/Poole (B)")).unwrap();
    let km2: f64 = line.split_whitespace().rev().nth(1).unwrap().parse().unwrap();
    let fixture: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(repo().join("tests/fixtures/partner/poole_boundary.json")).unwrap(),
    )
    .unwrap();
    let want = fixture["area_km2"].as_f64().unwrap();
    assert!((km2 - want).abs() / want < 1e-4, "{km2} km² against {want} km²");

    let (code, out, _) = hexwatch(&store, &["areas", "list"]);
    assert_eq!(code, 0);
    assert!(out.starts_with("poole-2016: 1 area(s), 74.716160 km², tolerance 0 m"), "{out}");
    let (code, _, err) = hexwatch(&store, &["areas", "add", file.to_str().unwrap(), "--set", "poole-2016"]);
    assert_eq!(code, 2);
    assert!(err.contains("area set \"poole-2016\" already exists"), "{err}");
    let (code, out, _) = hexwatch(&store, &["areas", "remove", "--set", "poole-2016"]);
    assert_eq!((code, out.trim()), (0, "removed area set poole-2016"));
    let (code, _, err) = hexwatch(&store, &["areas", "remove", "--set", "poole-2016"]);
    assert_eq!(code, 1, "{err}");
}

#[test]
fn unknown_crs_self_intersection_and_empty_geometry_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("s.sqlite3");
    let square = "[[[-1.90,50.70],[-1.88,50.70],[-1.88,50.72],[-1.90,50.72],[-1.90,50.70]]]";

    let mercator = write(
        dir.path(),
        "mercator.geojson",
        &format!(
            r#"{{"type":"FeatureCollection","crs":{{"type":"name","properties":{{"name":"urn:ogc:def:crs:EPSG::3857"}}}},
            "features":[{{"type":"Feature","properties":{{"name":"a"}},"geometry":{{"type":"Polygon","coordinates":{square}}}}}]}}"#
        ),
    );
    let (code, out, err) = hexwatch(&store, &["areas", "add", &mercator, "--set", "zones"]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(
        err.contains(&format!("{mercator}: unsupported crs \"urn:ogc:def:crs:EPSG::3857\"")),
        "the message names the file and the crs: {err}"
    );

    // A bowtie (its boundary crosses itself at (-1.89, 50.71)) next to a good square.
    let bowtie = write(
        dir.path(),
        "bowtie.geojson",
        &format!(
            r#"{{"type":"FeatureCollection","features":[
            {{"type":"Feature","properties":{{"name":"NTE zone"}},"geometry":{{"type":"Polygon","coordinates":[[[-1.90,50.70],[-1.88,50.72],[-1.88,50.70],[-1.90,50.72],[-1.90,50.70]]]}}}},
            {{"type":"Feature","properties":{{"name":"Beat 1"}},"geometry":{{"type":"Polygon","coordinates":{square}}}}}]}}"#
        ),
    );
    let (code, out, err) = hexwatch(&store, &["areas", "add", &bowtie, "--set", "nte"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("read 2 = added 2 + rejected 0 (WGS84 (EPSG:4326), no crs member)"), "{out}");
    let repaired = out
        .lines()
        .find(|l| l.contains("repaired feature 0 \"NTE zone\""))
        .unwrap_or_else(|| panic!("{out}"));
    assert!(
        repaired.contains("self-intersection") && repaired.contains("→ 2 valid polygon(s)"),
        "{repaired}"
    );

    let empty = write(
        dir.path(),
        "empty.geojson",
        &format!(
            r#"{{"type":"FeatureCollection","features":[
            {{"type":"Feature","properties":{{"name":"PSPO 1"}},"geometry":{{"type":"Polygon","coordinates":[]}}}},
            {{"type":"Feature","properties":{{"name":"PSPO 2"}},"geometry":{{"type":"Polygon","coordinates":{square}}}}}]}}"#
        ),
    );
    let (code, out, err) = hexwatch(&store, &["areas", "add", &empty, "--set", "pspo"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("read 2 = added 1 + rejected 1"), "{out}");
    assert!(
        out.contains("rejected feature 0 \"PSPO 1\" (geometry): empty geometry (no coordinates)"),
        "the rejection names the feature, its name, the property and the reason: {out}"
    );
    // Nothing left to add: refused, nothing stored.
    let only_empty = write(
        dir.path(),
        "only-empty.geojson",
        r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"name":"x"},"geometry":null}]}"#,
    );
    let (code, out, err) = hexwatch(&store, &["areas", "add", &only_empty, "--set", "nothing"]);
    assert_eq!(code, 2);
    assert!(out.contains("rejected feature 0 \"x\" (geometry): no geometry (null)"), "{out}");
    assert!(err.contains("no area to add (1 feature(s) rejected)"), "{err}");
    let (_, out, _) = hexwatch(&store, &["areas", "list"]);
    let sets: Vec<&str> = out.lines().map(|l| l.split(':').next().unwrap()).collect();
    assert_eq!(sets, ["nte", "pspo"]);
    let (code, _, err) = hexwatch(&store, &["areas", "add", &empty, "--set", "lsoa"]);
    assert_eq!(code, 2);
    assert!(err.contains("invalid set name \"lsoa\""), "{err}");
}
