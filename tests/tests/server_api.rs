//! End to end: the summary, cell, ward and export routes over the real data, checked against
//! the figures of the main-job issue and SOURCE.md, and against counts computed here from the
//! CSV files with `csv` and `flate2` only (BCP rows by their `LSOA name`, which SOURCE.md shows
//! selects exactly the rows the wards do).

#![allow(clippy::unwrap_used, clippy::panic, reason = "test set-up fails loudly")]

use std::collections::BTreeMap;

mod common;
use common::{data_dir, get, start_server};

/// BCP ASB and violence rows per month, straight from the CSV files.
fn bcp_asb_violence_by_month() -> BTreeMap<String, u64> {
    let mut by_month = BTreeMap::new();
    for entry in std::fs::read_dir(data_dir().join("police-uk-dorset-2025")).unwrap() {
        let path = entry.unwrap().path();
        if !path.to_string_lossy().ends_with(".csv.gz") {
            continue;
        }
        let mut reader =
            csv::Reader::from_reader(flate2::read::GzDecoder::new(std::fs::File::open(&path).unwrap()));
        let headers = reader.headers().unwrap().clone();
        let col = |name: &str| headers.iter().position(|h| h == name).unwrap();
        let (month, lsoa, kind) = (col("Month"), col("LSOA name"), col("Crime type"));
        for record in reader.records() {
            let r = record.unwrap();
            let wanted = matches!(&r[kind], "Anti-social behaviour" | "Violence and sexual offences");
            if wanted && r[lsoa].starts_with("Bournemouth, Christchurch and Poole") {
                *by_month.entry(r[month].to_owned()).or_insert(0) += 1;
            }
        }
    }
    by_month
}

fn json(url: &str) -> serde_json::Value {
    let (status, body) = get(url);
    assert_eq!(status, 200, "{url}: {}", String::from_utf8_lossy(&body));
    serde_json::from_slice(&body).unwrap()
}

#[test]
fn summary_compares_with_the_previous_equal_period() {
    let server = start_server();
    let reference = bcp_asb_violence_by_month();
    let sum = |months: &[&str]| months.iter().map(|m| reference[*m]).sum::<u64>();
    let h2 = ["2025-07", "2025-08", "2025-09", "2025-10", "2025-11", "2025-12"];
    let h1 = ["2025-01", "2025-02", "2025-03", "2025-04", "2025-05", "2025-06"];
    let filters = "category=anti-social-behaviour,violent-crime&area=bcp";
    let s = json(&format!("{}/api/summary?{filters}&from=2025-07&to=2025-12", server.base));
    assert_eq!(s["incidents"], sum(&h2));
    assert_eq!(
        (s["previous"]["from"].as_str(), s["previous"]["to"].as_str()),
        (Some("2025-01"), Some("2025-06"))
    );
    assert_eq!(s["previous"]["incidents"], sum(&h1));
    assert_eq!(s["change"]["absolute"], i64::try_from(sum(&h2)).unwrap() - i64::try_from(sum(&h1)).unwrap());
    let months: Vec<_> =
        s["by_month"].as_array().unwrap().iter().map(|m| m["count"].as_u64().unwrap()).collect();
    assert_eq!(months, h2.map(|m| reference[m]));
    // The whole year: 8,619 ASB + 11,051 violence (SOURCE.md); 2024 is outside the data.
    let year = json(&format!("{}/api/summary?{filters}", server.base));
    assert_eq!(year["incidents"], 19_670);
    assert_eq!(year["previous"]["available"], false);
    assert!(year["previous"]["incidents"].is_null() && year["change"].is_null());
}

#[test]
fn cell_and_ward_details_match_the_issue_figures() {
    let server = start_server();
    let cell =
        json(&format!("{}/api/cells/891959710bbffff?category=anti-social-behaviour&area=bcp", server.base));
    assert_eq!(cell["count"], 244);
    assert_eq!(cell["res"], 9);
    let by_month: u64 =
        cell["by_month"].as_array().unwrap().iter().map(|m| m["count"].as_u64().unwrap()).sum();
    assert_eq!(by_month, 244);
    let top: Vec<_> =
        cell["top_locations"].as_array().unwrap().iter().map(|l| l["count"].as_u64().unwrap()).collect();
    assert!(
        !top.is_empty() && top.windows(2).all(|w| w[0] >= w[1]) && top.iter().sum::<u64>() <= 244,
        "{top:?}"
    );
    let ward =
        json(&format!("{}/api/wards/E05012653?category=anti-social-behaviour,violent-crime", server.base));
    assert_eq!((ward["name"].as_str(), ward["count"].as_u64()), (Some("Bournemouth Central"), Some(3_611)));
    let (status, _) = get(&format!("{}/api/cells/not-a-cell", server.base));
    assert_eq!(status, 400);
    let (status, _) = get(&format!("{}/api/wards/E99999999", server.base));
    assert_eq!(status, 404);
    let (status, _) = get(&format!("{}/api/wards/E05012653?area=bcp", server.base));
    assert_eq!(status, 400);
}

#[test]
fn exports_add_up() {
    let server = start_server();
    let (status, body) = get(&format!("{}/api/wards?format=csv", server.base));
    assert_eq!(status, 200);
    let mut reader = csv::Reader::from_reader(body.as_slice());
    let headers = reader.headers().unwrap().clone();
    let count = headers.iter().position(|h| h == "count").unwrap();
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 33);
    assert_eq!(rows.iter().map(|r| r[count].parse::<u64>().unwrap()).sum::<u64>(), 34_900);
    let fc = json(&format!("{}/api/wards?format=geojson&category=anti-social-behaviour", server.base));
    let asb: u64 =
        fc["features"].as_array().unwrap().iter().map(|f| f["properties"]["count"].as_u64().unwrap()).sum();
    assert_eq!(asb, 8_619);
    let (status, body) = get(&format!(
        "{}/api/hotspots?format=csv&res=9&category=anti-social-behaviour&area=bcp&limit=10000",
        server.base
    ));
    assert_eq!(status, 200);
    let mut reader = csv::Reader::from_reader(body.as_slice());
    let first = reader.records().next().unwrap().unwrap();
    assert_eq!((&first[1], &first[3]), ("891959710bbffff", "244"));
    let total: u64 = std::iter::once(first)
        .chain(reader.records().map(Result::unwrap))
        .map(|r| r[3].parse::<u64>().unwrap())
        .sum();
    assert_eq!(total, 8_619);
}

#[test]
fn statistics_through_the_api_and_tiles() {
    let server = start_server();
    let asb = "category=anti-social-behaviour&from=2025-01&to=2025-12&area=bcp";
    let gi = json(&format!("{}/api/hotspots?method=gistar&res=9&{asb}&limit=10000", server.base));
    assert_eq!(gi["study_area_cells"], 1_881);
    assert_eq!(gi["classes"], serde_json::json!({"0": 1_823, "1": 2, "2": 6, "3": 50}));
    let top = &gi["features"][0]["properties"];
    assert_eq!(top["h3"], "891959710b3ffff");
    assert!((top["gi_z"].as_f64().unwrap() - 21.40).abs() < 0.005);
    let k2 = json(&format!("{}/api/hotspots?method=gistar&k=2&res=9&{asb}&limit=1", server.base));
    assert_eq!(k2["classes"], serde_json::json!({"0": 1_778, "1": 1, "2": 7, "3": 95}));
    // The zoom-13 tile holding the top cell: Gi* bin +3 there, and no cold cell anywhere in it.
    let (status, bytes) = get(&format!("{}/tiles/cells/13/4053/2752?method=gistar&{asb}", server.base));
    assert_eq!(status, 200);
    let reader = mvt_reader::Reader::new(bytes).unwrap();
    let features = reader.get_features(0).unwrap();
    let bin_of = |f: &mvt_reader::feature::Feature| match f.properties.as_ref().unwrap().get("gi_bin") {
        Some(mvt_reader::feature::Value::SInt(b)) => *b,
        other => panic!("gi_bin is a signed integer, got {other:?}"),
    };
    let top_cell = features
        .iter()
        .find(|f| {
            f.properties.as_ref().unwrap().get("h3")
                == Some(&mvt_reader::feature::Value::String("891959710b3ffff".into()))
        })
        .expect("the top cell is in the tile");
    assert_eq!(bin_of(top_cell), 3);
    assert!(features.iter().all(|f| bin_of(f) >= 0), "no cold spots");
    assert!(features.len() > 50, "empty study-area cells are drawn too: {}", features.len());
    for (query, parameter) in [
        ("method=foo", "method"),
        ("method=gistar&k=5", "k"),
        ("method=moran&permutations=0", "permutations"),
        ("method=gistar&seed=x", "seed"),
    ] {
        let (status, body) = get(&format!("{}/api/hotspots?{query}", server.base));
        let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!((status, json["parameter"].as_str()), (400, Some(parameter)), "{query}");
    }
}

/// The `kde_per_km2_month` of `cells` tiles equals the committed numpy sum at the H3 cell
/// centres (`crates/hexwatch-core/tests/fixtures/kde/bcp_asb_2025_h3_centres.csv`: h3-py
/// centres, pyproj, the ArcGIS radius); the `density-contours` tile over Bournemouth
/// Central puts the top cell's centre in the 100–300 band.
#[test]
fn kde_at_cell_centres_and_contour_bands() {
    use geo::Contains;
    use hexwatch_tiles::TileCoord;

    let server = start_server();
    let asb = "category=anti-social-behaviour&from=2025-01&to=2025-12&area=bcp";
    let fixtures = data_dir().join("../crates/hexwatch-core/tests/fixtures/kde");
    let text = std::fs::read_to_string(fixtures.join("bcp_asb_2025_h3_centres.csv")).unwrap();
    // The fixture's bandwidth: numpy's ArcGIS radius, given explicitly.
    let meta = std::fs::read_to_string(fixtures.join("bcp_asb_2025_meta.csv")).unwrap();
    let radius = meta.lines().find_map(|l| l.strip_prefix("radius_m,")).unwrap();
    let with_h = format!("{asb}&bandwidth_m={radius}");
    let mut tiles: BTreeMap<(u32, u32), Vec<mvt_reader::feature::Feature>> = BTreeMap::new();
    let mut checked = 0;
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let (h3, lon, lat, numpy): (&str, f64, f64, f64) =
            (f[0], f[1].parse().unwrap(), f[2].parse().unwrap(), f[6].parse().unwrap());
        let point = hexwatch_core::Bounds { west: lon, east: lon, south: lat, north: lat };
        let tile = TileCoord::covering(&point, 13)[0];
        let features = tiles.entry((tile.x, tile.y)).or_insert_with(|| {
            let (status, bytes) =
                get(&format!("{}/tiles/cells/13/{}/{}?{with_h}", server.base, tile.x, tile.y));
            assert_eq!(status, 200);
            mvt_reader::Reader::new(bytes).unwrap().get_features(0).unwrap()
        });
        let props = features
            .iter()
            .map(|f| f.properties.as_ref().unwrap())
            .find(|p| p.get("h3") == Some(&mvt_reader::feature::Value::String(h3.to_owned())))
            .unwrap_or_else(|| panic!("{h3} is in its zoom-13 tile"));
        let Some(mvt_reader::feature::Value::Double(kde)) = props.get("kde_per_km2_month") else {
            panic!("{h3}: kde_per_km2_month is a double: {props:?}")
        };
        assert!((kde / numpy - 1.0).abs() < 1e-6, "{h3}: {kde} vs numpy {numpy}");
        checked += 1;
    }
    assert_eq!(checked, 30);

    let doc = json(&format!("{}/tiles/density-contours?{asb}", server.base));
    assert_eq!(doc["vector_layers"][0]["id"], "density_contours");
    assert_eq!(doc["unit"], "incidents per km² per month");
    let top: h3o::CellIndex = "891959710bbffff".parse().unwrap();
    let centre = h3o::LatLng::from(top);
    let point = hexwatch_core::Bounds {
        west: centre.lng(),
        east: centre.lng(),
        south: centre.lat(),
        north: centre.lat(),
    };
    let tile = TileCoord::covering(&point, 13)[0];
    let (status, bytes) =
        get(&format!("{}/tiles/density-contours/13/{}/{}?{asb}", server.base, tile.x, tile.y));
    assert_eq!(status, 200);
    let features = mvt_reader::Reader::new(bytes).unwrap().get_features(0).unwrap();
    let (x, y) = tile.project(centre.lng(), centre.lat(), 4096.0);
    let at_centre: Vec<_> = features
        .iter()
        .filter(|f| match &f.geometry {
            geo_types::Geometry::Polygon(p) => p.contains(&geo_types::Point::new(x as f32, y as f32)),
            geo_types::Geometry::MultiPolygon(p) => p.contains(&geo_types::Point::new(x as f32, y as f32)),
            _ => false,
        })
        .map(|f| f.properties.as_ref().unwrap().get("label").cloned())
        .collect();
    assert_eq!(at_centre, [Some(mvt_reader::feature::Value::String("100–300".to_owned()))]);
}
