//! The 2025 Dorset months replayed one by one through `POST /api/incidents` into a server
//! that started empty: every row accounted for, tiles that change without a restart, and
//! the alerts of each month (printed for the note; checked against the same statistics run
//! on the files ingested directly, and against the SSE `alert` events received).

#![allow(clippy::unwrap_used, clippy::panic, reason = "test set-up fails loudly")]

use std::io::{BufRead, BufReader};
use std::time::Duration;

use hexwatch_server::WriteToken;

mod common;
use common::{data_dir, dorset_store, get, post, shipped_wards, start_server_with};

const TOKEN: &str = "replay-token-0123456789abcdef";

fn month_rows(month: u32) -> Vec<serde_json::Value> {
    let path = data_dir().join(format!("police-uk-dorset-2025/2025-{month:02}-dorset-street.csv.gz"));
    let mut reader =
        csv::Reader::from_reader(flate2::read::GzDecoder::new(std::fs::File::open(path).unwrap()));
    let headers = reader.headers().unwrap().clone();
    let col = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let (m, lon, lat, kind) = (col("Month"), col("Longitude"), col("Latitude"), col("Crime type"));
    reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            let num = |i: usize| r[i].parse::<f64>().map_or(serde_json::Value::Null, serde_json::Value::from);
            serde_json::json!({ "category": &r[kind], "time": &r[m], "lon": num(lon), "lat": num(lat) })
        })
        .collect()
}

fn asb_count_in_tile(base: &str, h3: &str) -> u64 {
    let cell: h3o::CellIndex = h3.parse().unwrap();
    let ll = h3o::LatLng::from(cell);
    let tile = hexwatch_tiles::TileCoord::covering(
        &hexwatch_core::Bounds { west: ll.lng(), east: ll.lng(), south: ll.lat(), north: ll.lat() },
        13,
    )[0];
    let (_, bytes) =
        get(&format!("{base}/tiles/cells/13/{}/{}?category=anti-social-behaviour", tile.x, tile.y));
    mvt_reader::Reader::new(bytes)
        .unwrap()
        .get_features(0)
        .unwrap()
        .iter()
        .map(|f| f.properties.as_ref().unwrap())
        .find(|p| p.get("h3") == Some(&mvt_reader::feature::Value::String(h3.to_owned())))
        .map_or(0, |p| match p.get("count") {
            Some(mvt_reader::feature::Value::UInt(n)) => *n,
            _ => 0,
        })
}

#[test]
fn dorset_months_replayed_through_the_api_update_tiles_and_raise_alerts() {
    let server = start_server_with(false, |c| c.write_token = WriteToken::new(TOKEN));
    let base = server.base.clone();
    // Count SSE alert events during the replay.
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    let events = format!("{base}/api/events");
    std::thread::spawn(move || {
        let agent =
            ureq::Agent::config_builder().timeout_global(Some(Duration::from_secs(600))).build().new_agent();
        // Alerts go to partners only.
        let request = agent.get(&events).header("Authorization", &common::partner_bearer());
        let reader = BufReader::new(request.call().unwrap().into_body().into_reader());
        for line in reader.lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    std::thread::sleep(Duration::from_millis(200));

    let mut per_month = Vec::new();
    let mut previous = 0;
    for month in 1..=12 {
        let rows = month_rows(month);
        let located = rows.iter().filter(|r| !r["lon"].is_null()).count() as u64;
        let url = format!("{base}/api/incidents?source=police.uk-replay&batch=2025-{month:02}");
        let (status, reply) =
            post(&url, Some(TOKEN), "application/json", serde_json::to_string(&rows).unwrap().as_bytes());
        assert_eq!(status, 201, "{reply}");
        let rejected = reply["rejected"].as_array().unwrap().len() as u64;
        assert_eq!(reply["read"].as_u64().unwrap(), rows.len() as u64);
        assert_eq!(reply["accepted"].as_u64().unwrap(), located, "every located row is new");
        assert_eq!(rows.len() as u64, located + rejected);
        // The busiest cell's tile moves with each month, without a restart.
        let now = asb_count_in_tile(&base, "891959710bbffff");
        assert!(now >= previous);
        previous = now;
        let (_, body) = get(&format!("{base}/api/alerts?period=2025-{month:02}"));
        let alerts: serde_json::Value = serde_json::from_slice(&body).unwrap();
        let ids: Vec<String> = alerts["features"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["properties"]["id"].as_str().unwrap().to_owned())
            .collect();
        eprintln!("2025-{month:02}: {} alerts {ids:?}", ids.len());
        per_month.push(ids);
    }
    assert_eq!(previous, 244, "the year's ASB in 891959710bbffff, as the main-job issue gives");
    assert!(per_month[..6].iter().all(Vec::is_empty), "no alert before a six-month baseline");

    // The same statistics on the files ingested directly give the same alerts per month.
    let (store, _dir) = dorset_store();
    let wards = shipped_wards().index(11.0);
    let table = store.load_table(Some(&wards)).unwrap();
    let direct = hexwatch_io::compute_alerts(&table, &wards, &hexwatch_io::AlertSettings::default()).unwrap();
    for (i, ids) in per_month.iter().enumerate() {
        let label = format!("2025-{:02}", i + 1);
        let mut expected: Vec<String> =
            direct.iter().filter(|a| a.period_label == label).map(|a| a.id.clone()).collect();
        let mut got = ids.clone();
        expected.sort();
        got.sort();
        assert_eq!(got, expected, "{label}");
    }

    // One SSE `alert` event per alert raised.
    let total: usize = per_month.iter().map(Vec::len).sum();
    let mut alert_events = 0;
    while let Ok(line) = rx.recv_timeout(Duration::from_secs(2)) {
        if line.trim() == "event: alert" || line.trim() == "event:alert" {
            alert_events += 1;
        }
    }
    assert_eq!(alert_events, total);

    // Acknowledge one with a note; it keeps its figures and survives as acknowledged.
    let first = per_month.iter().flatten().next().unwrap().clone();
    let ack = format!("{base}/api/alerts/{first}/ack");
    let (status, reply) =
        post(&ack, Some(TOKEN), "application/json", br#"{"note":"patrols briefed at the PCG"}"#);
    assert_eq!(status, 200, "{reply}");
    let (_, body) = get(&format!("{base}/api/alerts?status=acknowledged"));
    let acked: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(acked["features"][0]["properties"]["note"], "patrols briefed at the PCG");
    let geometry = acked["features"][0]["geometry"]["type"].as_str().unwrap();
    assert!(geometry == "Polygon" || geometry == "MultiPolygon", "{geometry}");
    let (status, _) = post(&format!("{base}/api/alerts/nope/ack"), Some(TOKEN), "application/json", b"{}");
    assert_eq!(status, 404);
    let (status, _) = post(&ack, None, "application/json", b"{}");
    assert_eq!(status, 401);
}
