//! `hexwatch cluster` as a user runs it on the shipped Dorset 2025 data: the README's DBSCAN
//! and NNH figures for BCP anti-social behaviour, the GeoJSON agreeing with the summary, and
//! the messages for bad parameters, each naming the option.

#![allow(clippy::unwrap_used, clippy::panic, reason = "test set-up fails loudly")]

use std::path::{Path, PathBuf};
use std::process::Output;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn hexwatch(store: &Path, args: &[&str]) -> (i32, String, String) {
    let Output { status, stdout, stderr } = std::process::Command::new(env!("CARGO_BIN_EXE_hexwatch"))
        .current_dir(repo())
        .arg("--store")
        .arg(store)
        .args(args)
        .env_remove("HEXWATCH_STORE")
        .output()
        .unwrap();
    (status.code().unwrap_or(-1), String::from_utf8(stdout).unwrap(), String::from_utf8(stderr).unwrap())
}

fn dorset_store(dir: &Path) -> PathBuf {
    let store = dir.join("s.sqlite3");
    let mut files: Vec<String> = std::fs::read_dir(repo().join("data/police-uk-dorset-2025"))
        .unwrap()
        .map(|e| e.unwrap().path().to_string_lossy().into_owned())
        .filter(|p| p.ends_with(".csv.gz"))
        .collect();
    files.sort();
    let mut args = vec!["ingest"];
    args.extend(files.iter().map(String::as_str));
    let (code, out, err) = hexwatch(&store, &args);
    assert_eq!(code, 0, "{out}{err}");
    store
}

const ASB_BCP: [&str; 8] =
    ["--category", "anti-social-behaviour", "--area", "bcp", "--from", "2025-01", "--to", "2025-12"];

#[test]
fn dbscan_and_nnh_on_bcp_anti_social_behaviour_2025() {
    let dir = tempfile::tempdir().unwrap();
    let store = dorset_store(dir.path());
    let out_path = dir.path().join("clusters.geojson");
    let mut args = vec!["cluster", "--method", "dbscan", "--eps-m", "100", "--min-points", "10"];
    args.extend(ASB_BCP);
    args.extend(["--out", out_path.to_str().unwrap()]);
    let (code, out, err) = hexwatch(&store, &args);
    assert_eq!(code, 0, "{out}{err}");
    // The README's figures.
    assert!(out.starts_with("dbscan (eps 100 m, min_points 10)\n"), "{out}");
    assert!(out.contains("  188 clusters; 5251 of 8619 incidents clustered (60.9 %), 3368 noise"), "{out}");
    assert!(out.contains("  1. 465 incidents (459 core), hull 0.1752 km²"), "{out}");
    assert!(out.contains("  3. 190 incidents (190 core), on one spot or line"), "{out}");

    let geojson: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out_path).unwrap()).unwrap();
    assert_eq!(geojson["type"], "FeatureCollection");
    assert_eq!((geojson["method"].as_str(), geojson["eps_m"].as_f64()), (Some("dbscan"), Some(100.0)));
    let features = geojson["features"].as_array().unwrap();
    assert_eq!(features.len(), 188);
    let counts: Vec<u64> = features.iter().map(|f| f["properties"]["count"].as_u64().unwrap()).collect();
    assert_eq!(counts.iter().sum::<u64>(), 5251, "the clusters hold the clustered incidents");
    assert!(counts.windows(2).all(|w| w[0] >= w[1]), "largest first");
    for (i, f) in features.iter().enumerate() {
        assert_eq!(f["properties"]["cluster"].as_u64(), Some(i as u64 + 1));
        assert_eq!(f["geometry"]["type"], "Polygon");
    }

    let mut args = vec!["cluster", "--method", "nnh", "--min-points", "10"];
    args.extend(ASB_BCP);
    args.extend(["--out", out_path.to_str().unwrap()]);
    let (code, out, err) = hexwatch(&store, &args);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.starts_with(
            "nnh (threshold 67.93 m = 0.5·√(A/N) 68.57 m − z 1.645 × SE 0.39 m (p 0.05; A = 162.079 km², the \
             selected area; N = 8619), min_points 10)"
        ),
        "{out}"
    );
    assert!(
        out.contains("  207 clusters; 4569 of 8619 incidents clustered (53.0 %), 4050 unclustered"),
        "{out}"
    );
    let geojson: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out_path).unwrap()).unwrap();
    assert_eq!(geojson["area_rule"], "the selected area");
    assert!(
        geojson["features"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["properties"]["threshold_m"].as_f64().is_some())
    );
}

#[test]
fn bad_parameters_name_the_option() {
    let dir = tempfile::tempdir().unwrap();
    let store = dorset_store(dir.path());
    let out = dir.path().join("x.geojson");
    let out = out.to_str().unwrap();
    for (args, want) in [
        (vec!["--eps-m", "0"], "--eps-m: invalid eps_m (got 0)"),
        (vec!["--eps-m", "NaN"], "--eps-m: invalid eps_m (got NaN)"),
        (vec!["--eps-m=-5"], "--eps-m: invalid eps_m (got -5)"),
        (vec!["--min-points", "0"], "--min-points: invalid min_points (got 0)"),
        (vec!["--method", "nnh", "--p", "0.9"], "--p: invalid p (got 0.9)"),
        (vec!["--method", "nnh", "--threshold-m", "0"], "--threshold-m: invalid threshold_m (got 0)"),
        (vec!["--method", "nnh", "--area-km2=-1"], "--area-km2: invalid area_m2"),
        (vec!["--method", "nnh", "--eps-m", "100"], "--eps-m applies only to --method dbscan"),
        (vec!["--p", "0.05"], "--p applies only to --method nnh"),
        (vec!["--method", "nnh", "--p", "0.05", "--threshold-m", "80"], "not both"),
    ] {
        let mut full = vec!["cluster"];
        full.extend(args.iter());
        full.extend(["--out", out]);
        let (code, stdout, err) = hexwatch(&store, &full);
        assert_eq!(code, 2, "{args:?}: {stdout}{err}");
        assert!(err.contains(want), "{args:?}: {err}");
    }
}
