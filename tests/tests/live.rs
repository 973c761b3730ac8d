//! Live ingest over HTTP: `POST /api/incidents` with its token, formats, identities and
//! 4xx answers; tiles that change without a restart; the SSE `data-version` event.

#![allow(clippy::unwrap_used, clippy::panic, reason = "test set-up fails loudly")]

use std::io::{BufRead, BufReader};
use std::time::{Duration, Instant};

use hexwatch_server::WriteToken;

mod common;
use common::{get, post, start_server_with};

const TOKEN: &str = "test-token-0123456789abcdef";

/// A bad request: token, query, content type, body, expected status.
type Case<'a> = (Option<&'a str>, &'a str, &'a str, &'a [u8], u16);

fn url(base: &str, query: &str) -> String {
    format!("{base}/api/incidents?{query}")
}

fn count_in_tile(base: &str, h3: &str) -> u64 {
    let cell: h3o::CellIndex = h3.parse().unwrap();
    let ll = h3o::LatLng::from(cell);
    let point = hexwatch_core::Bounds { west: ll.lng(), east: ll.lng(), south: ll.lat(), north: ll.lat() };
    let tile = hexwatch_tiles::TileCoord::covering(&point, 13)[0];
    let (status, bytes) =
        get(&format!("{base}/tiles/cells/13/{}/{}?category=anti-social-behaviour", tile.x, tile.y));
    assert_eq!(status, 200);
    let features = mvt_reader::Reader::new(bytes).unwrap().get_features(0).unwrap();
    features
        .iter()
        .map(|f| f.properties.as_ref().unwrap())
        .find(|p| p.get("h3") == Some(&mvt_reader::feature::Value::String(h3.to_owned())))
        .map_or(0, |p| match p.get("count") {
            Some(mvt_reader::feature::Value::UInt(n)) => *n,
            other => panic!("count: {other:?}"),
        })
}

#[test]
fn post_incidents_stores_reports_and_updates_tiles_without_restart() {
    let server = start_server_with(true, |c| c.write_token = WriteToken::new(TOKEN));
    let base = &server.base;
    // A quiet resolution-9 cell on the Bournemouth seafront.
    let cell = "891959710a3ffff";
    let ll = h3o::LatLng::from(cell.parse::<h3o::CellIndex>().unwrap());
    let before = count_in_tile(base, cell);

    let rows = serde_json::json!([
        { "reference": "A1", "category": "Anti-social behaviour", "sub_category": "youth", "flags": ["alcohol"],
          "time": "2025-09-12T23:15", "lon": ll.lng(), "lat": ll.lat() },
        { "reference": "A2", "category": "anti-social-behaviour", "time": "2025-09-13T00:40",
          "lon": ll.lng(), "lat": ll.lat(), "weight": 2 },
        { "reference": "A3", "category": "Anti-social behaviour", "time": "2025-09-13", "lon": 50.72, "lat": -1.87 },
        { "category": "", "time": "2025-09-13", "lon": ll.lng(), "lat": ll.lat() },
        { "reference": "A5", "category": "Anti-social behaviour", "time": "2025-13-01", "lon": ll.lng(), "lat": ll.lat() },
        { "reference": "A6", "colour": "red", "category": "Anti-social behaviour", "time": "2025-09", "lon": ll.lng(), "lat": ll.lat() }
    ]);
    let body = rows.to_string();
    let (status, reply) =
        post(&url(base, "source=bcp-asb&batch=2025-09-a"), Some(TOKEN), "application/json", body.as_bytes());
    assert_eq!(status, 201, "{reply}");
    assert_eq!(
        (reply["read"].as_u64(), reply["accepted"].as_u64(), reply["duplicates"].as_u64()),
        (Some(6), Some(2), Some(0))
    );
    let rejected = reply["rejected"].as_array().unwrap();
    let fields: Vec<(u64, &str)> =
        rejected.iter().map(|r| (r["row"].as_u64().unwrap(), r["field"].as_str().unwrap())).collect();
    // An unknown field is named (issue 10: the field, not the row as a whole).
    assert_eq!(fields, [(3, "lon"), (4, "category"), (5, "time"), (6, "colour")], "{reply}");
    assert!(rejected[0]["reason"].as_str().unwrap().contains("swapped"));
    // The map changes without a restart; a police.uk slug is that crime type, not a new one.
    assert_eq!(count_in_tile(base, cell), before + 2);
    let (_, meta) = get(&format!("{base}/api/meta"));
    let meta: serde_json::Value = serde_json::from_slice(&meta).unwrap();
    let slugs: Vec<&str> =
        meta["categories"].as_array().unwrap().iter().map(|c| c["slug"].as_str().unwrap()).collect();
    assert_eq!(slugs.iter().filter(|s| **s == "anti-social-behaviour").count(), 1, "{slugs:?}");
    // Re-sending adds nothing: identities are (source, reference).
    let (status, again) =
        post(&url(base, "source=bcp-asb&batch=2025-09-b"), Some(TOKEN), "application/json", body.as_bytes());
    assert_eq!((status, again["accepted"].as_u64(), again["duplicates"].as_u64()), (200, Some(0), Some(2)));

    // The same schema as GeoJSON and CSV; rows without a reference take the batch as partition.
    let geojson = serde_json::json!({ "type": "FeatureCollection", "features": [
        { "type": "Feature", "geometry": { "type": "Point", "coordinates": [ll.lng(), ll.lat()] },
          "properties": { "category": "Anti-social behaviour", "time": "2025-09-20T21:00" } }
    ]});
    let (status, r) = post(
        &url(base, "source=bcp-asb&batch=g1"),
        Some(TOKEN),
        "application/geo+json",
        geojson.to_string().as_bytes(),
    );
    assert_eq!((status, r["accepted"].as_u64()), (201, Some(1)), "{r}");
    let csv =
        format!("category,time,lon,lat\nAnti-social behaviour,2025-09-21 22:00,{},{}\n", ll.lng(), ll.lat());
    let (status, r) = post(&url(base, "source=bcp-asb&batch=c1"), Some(TOKEN), "text/csv", csv.as_bytes());
    assert_eq!((status, r["accepted"].as_u64()), (201, Some(1)), "{r}");
    let (_, r) = post(&url(base, "source=bcp-asb&batch=c1"), Some(TOKEN), "text/csv", csv.as_bytes());
    assert_eq!((r["accepted"].as_u64(), r["duplicates"].as_u64()), (Some(0), Some(1)));
    assert_eq!(count_in_tile(base, cell), before + 4);

    // A clear 4xx for each kind of bad request.
    let cases: [Case<'_>; 7] = [
        (None, "source=a&batch=b", "application/json", b"[]", 401),
        (Some("wrong-token-0123456789"), "source=a&batch=b", "application/json", b"[]", 401),
        (Some(TOKEN), "source=a&batch=b", "application/xml", b"<x/>", 415),
        (Some(TOKEN), "batch=b", "application/json", b"[]", 400),
        (Some(TOKEN), "source=a&batch=b", "application/json", b"{not json", 400),
        (Some(TOKEN), "source=a&batch=b", "application/json", b"{\"a\": 1}", 400),
        (Some(TOKEN), "source=a&batch=b&x=1", "application/json", b"[]", 400),
    ];
    for (token, query, content_type, body, expected) in cases {
        let (status, reply) = post(&url(base, query), token, content_type, body);
        assert_eq!(status, expected, "{query} {content_type}: {reply}");
        assert!(reply["error"].is_string(), "{reply}");
    }
    let big = vec![b' '; 17 * 1024 * 1024];
    let (status, _) = post(&url(base, "source=a&batch=b"), Some(TOKEN), "application/json", &big);
    assert_eq!(status, 413);
}

#[test]
fn writes_are_refused_without_a_configured_token() {
    let server = start_server_with(false, |_| {});
    let (status, reply) =
        post(&url(&server.base, "source=a&batch=b"), Some(TOKEN), "application/json", b"[]");
    assert_eq!(status, 403, "{reply}");
    assert!(WriteToken::new("short").is_none());
    assert_eq!(format!("{:?}", WriteToken::new(TOKEN).unwrap()), "WriteToken(***)");
}

/// An SSE client receives the `data-version` event a POST causes, and a reconnect with
/// `Last-Event-ID` replays what it missed.
#[test]
fn events_stream_data_version_after_a_post() {
    let server = start_server_with(false, |c| c.write_token = WriteToken::new(TOKEN));
    let base = server.base.clone();
    let (tx, rx) = std::sync::mpsc::channel();
    let events_url = format!("{base}/api/events");
    std::thread::spawn(move || {
        let agent =
            ureq::Agent::config_builder().timeout_global(Some(Duration::from_secs(60))).build().new_agent();
        let response =
            agent.get(&events_url).header("Authorization", &common::partner_bearer()).call().unwrap();
        let reader = BufReader::new(response.into_body().into_reader());
        for line in reader.lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    std::thread::sleep(Duration::from_millis(300));
    let sent = Instant::now();
    let body = r#"[{"reference":"E1","category":"Anti-social behaviour","time":"2025-10-01T22:00","lon":-1.87,"lat":50.72}]"#;
    let (status, reply) =
        post(&url(&base, "source=s&batch=b"), Some(TOKEN), "application/json", body.as_bytes());
    assert_eq!(status, 201, "{reply}");
    let (mut id, mut kind, mut data) = (None, None, None);
    while data.is_none() {
        let line = rx.recv_timeout(Duration::from_secs(30)).expect("an event within 30 s");
        if let Some(v) = line.strip_prefix("id:") {
            id = Some(v.trim().to_owned());
        } else if let Some(v) = line.strip_prefix("event:") {
            kind = Some(v.trim().to_owned());
        } else if let Some(v) = line.strip_prefix("data:") {
            data = Some(v.trim().to_owned());
        }
    }
    eprintln!("data-version event {} ms after the POST was sent", sent.elapsed().as_millis());
    assert_eq!(kind.as_deref(), Some("data-version"));
    let data: serde_json::Value = serde_json::from_str(&data.unwrap()).unwrap();
    assert_eq!(data["data_version"], reply["data_version"]);
    // Replay: asking from before that event gets it again.
    let first: u64 = id.unwrap().parse().unwrap();
    let agent =
        ureq::Agent::config_builder().timeout_global(Some(Duration::from_secs(5))).build().new_agent();
    let response = agent
        .get(&format!("{base}/api/events"))
        .header("Authorization", &common::partner_bearer())
        .header("Last-Event-ID", &(first - 1).to_string())
        .call()
        .unwrap();
    let mut reader = BufReader::new(response.into_body().into_reader());
    let mut line = String::new();
    let mut replayed = false;
    while reader.read_line(&mut line).is_ok_and(|n| n > 0) {
        if line.trim() == format!("id:{first}") || line.trim() == format!("id: {first}") {
            replayed = true;
            break;
        }
        line.clear();
    }
    assert!(replayed, "the missed event is replayed");
}

/// Purge rules: after a POST near one cell, the count tile holding it and the density tile
/// within the bandwidth are rebuilt, a far count tile and a far density tile stay cached
/// (same ETag), and a Gi* tile and a clusters tile far away are rebuilt (global statistics;
/// clusters depend on every incident of the selection).
#[test]
fn a_post_purges_near_tiles_and_statistics_but_not_far_tiles() {
    let server = start_server_with(true, |c| c.write_token = WriteToken::new(TOKEN));
    let base = &server.base;
    let tile_of = |lon: f64, lat: f64| {
        hexwatch_tiles::TileCoord::covering(
            &hexwatch_core::Bounds { west: lon, east: lon, south: lat, north: lat },
            13,
        )[0]
    };
    // Near: Bournemouth town centre. Far: Christchurch, about 9 km east.
    let (near_lon, near_lat) = (-1.8766, 50.7209);
    let (near, far) = (tile_of(near_lon, near_lat), tile_of(-1.7780, 50.7355));
    let fetch = |layer: &str, t: hexwatch_tiles::TileCoord, query: &str| {
        let agent = ureq::Agent::config_builder().http_status_as_error(false).build().new_agent();
        let response = agent
            .get(&format!("{base}/tiles/{layer}/13/{}/{}?{query}", t.x, t.y))
            .header("Authorization", &common::partner_bearer())
            .call()
            .unwrap();
        assert_eq!(response.status().as_u16(), 200);
        let header = |h: &str| response.headers().get(h).unwrap().to_str().unwrap().to_owned();
        (header("x-hexwatch-cache"), header("etag"))
    };
    let counts = "category=anti-social-behaviour";
    let density = "category=anti-social-behaviour&bandwidth_m=300&cell_size_m=200";
    let gistar = "category=anti-social-behaviour&area=bcp&method=gistar";
    let clusters = "category=anti-social-behaviour&method=dbscan&eps_m=100&min_points=10";
    let probes = [
        ("cells", near, counts, true),
        ("cells", far, counts, false),
        ("density", near, density, true),
        ("density", far, density, false),
        ("cells", far, gistar, true),
        ("clusters", far, clusters, true),
    ];
    let mut etags = Vec::new();
    for (layer, t, q, _) in probes {
        assert_eq!(fetch(layer, t, q).0, "miss");
        let (state, etag) = fetch(layer, t, q);
        assert_eq!(state, "hit", "{layer} {q}");
        etags.push(etag);
    }
    let body = format!(
        r#"[{{"reference":"P1","category":"Anti-social behaviour","time":"2025-06-14T22:30","lon":{near_lon},"lat":{near_lat}}}]"#
    );
    let (status, reply) =
        post(&url(base, "source=purge&batch=1"), Some(TOKEN), "application/json", body.as_bytes());
    assert_eq!(status, 201, "{reply}");
    assert!(reply["tiles_purged"].as_u64().unwrap() >= 4, "{reply}");
    for ((layer, t, q, purged), etag) in probes.into_iter().zip(etags) {
        let (state, new_etag) = fetch(layer, t, q);
        assert_eq!(state, if purged { "miss" } else { "hit" }, "{layer} {q} at {t:?}");
        if !purged {
            assert_eq!(new_etag, etag, "an unchanged tile keeps its ETag");
        }
    }
}
