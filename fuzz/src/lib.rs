//! Shared set-up of the router fuzz targets (`api_query`, `tile_path`): the real axum
//! router over a small temporary store, built once per process, and the check every
//! response must pass.
//!
//! The store holds the good rows of `tests/fixtures/bad-input/` (a dozen made-up
//! Bournemouth incidents of several categories and months) with the shipped BCP wards and
//! LSOAs, so that area, category and month filters all reach real data. Requests go through
//! `tower::ServiceExt::oneshot` on a current-thread tokio runtime: the whole middleware
//! stack (limits, JSON errors, caught panics) runs, without sockets.

use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use hexwatch_io::{BoundarySet, IngestOptions, Store, WardSet, ingest_file};
use hexwatch_server::{AppState, ServerConfig, router};
use tower::ServiceExt;

/// The router, its runtime, and the directory of its store.
pub struct Fixture {
    runtime: tokio::runtime::Runtime,
    app: Router,
    _dir: tempfile::TempDir,
}

/// The repository root (this crate lives in `fuzz/`).
fn repository() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn build() -> Fixture {
    let root = repository();
    let dir = tempfile::tempdir().expect("a temporary directory");
    let store_path = dir.path().join("fuzz.sqlite3");
    let mut store = Store::open(&store_path).expect("a new store opens");
    let fixtures = root.join("tests/fixtures/bad-input");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&fixtures)
        .expect("tests/fixtures/bad-input is readable")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "csv") && !p.ends_with("partner.csv"))
        .collect();
    files.sort();
    for path in &files {
        // Some fixtures are refused as a whole (no header, missing columns): that is their point.
        let _ = ingest_file(&mut store, path, &IngestOptions::default(), &mut |_, _| {});
    }
    let incidents = store.summary().expect("the store reads").incidents;
    assert!(incidents >= 10, "the fixtures gave only {incidents} incidents");
    drop(store);
    let data = root.join("data");
    let mut config = ServerConfig::new(store_path, root.join("web"));
    config.wards = Some(
        WardSet::from_geojson_file(
            &data.join("boundaries-bcp-wards-2020/bcp-wards-2020-bgc.geojson"),
            "WD20CD",
            "WD20NM",
        )
        .expect("the shipped wards read"),
    );
    config.lsoas = Some(
        BoundarySet::read("lsoa", &data.join("bcp-lsoa-2021.geojson"), "code", "name")
            .expect("the shipped LSOAs read"),
    );
    let state = AppState::load(config).expect("the server state loads");
    let runtime =
        tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a tokio runtime");
    Fixture { runtime, app: router(state), _dir: dir }
}

static FIXTURE: LazyLock<Fixture> = LazyLock::new(build);

/// Percent-encodes every byte of `bytes` outside the characters a URI may carry as they are
/// and `keep` (e.g. `&=` for a query, `/` for a path), so that any byte string reaches the
/// server as a request it could receive from a client.
#[must_use]
pub fn encode(bytes: &[u8], keep: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for &b in bytes {
        if b.is_ascii_alphanumeric() || b"-._~!$'()*,;:@%".contains(&b) || keep.contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Sends `GET uri` through the router and checks the response: never a 5xx, except a 503
/// with `Retry-After` from the deliberate limits; every 4xx a JSON object with an `error`
/// string. A `uri` that is not a valid request target is skipped (the HTTP layer refuses
/// it before the router).
///
/// # Panics
/// When a check fails (libFuzzer records the input as a crash).
pub fn check(uri: &str) {
    let Ok(request) = Request::get(uri).header(header::HOST, "localhost").body(Body::empty()) else {
        return;
    };
    let fixture = &*FIXTURE;
    let (status, retry_after, body) = fixture.runtime.block_on(async {
        let response = fixture.app.clone().oneshot(request).await.expect("the router is infallible");
        let status = response.status();
        let retry_after = response.headers().contains_key(header::RETRY_AFTER);
        let body = axum::body::to_bytes(response.into_body(), usize::MAX).await.expect("the body reads");
        (status, retry_after, body)
    });
    let text = || String::from_utf8_lossy(&body).into_owned();
    if status.is_server_error() {
        assert!(status == StatusCode::SERVICE_UNAVAILABLE && retry_after, "GET {uri}: {status} {}", text());
    }
    if status.is_client_error() {
        let json: serde_json::Value = serde_json::from_slice(&body)
            .unwrap_or_else(|e| panic!("GET {uri}: {status} with a body that is not JSON ({e}): {}", text()));
        assert!(
            json.get("error").is_some_and(serde_json::Value::is_string),
            "GET {uri}: {status} without error: {}",
            text()
        );
    }
}
