//! Shared set-up of the end-to-end tests: the real data ingested into a temporary store and
//! the server on a free port.

#![allow(
    dead_code,
    clippy::unwrap_used,
    reason = "each test binary uses part of the helpers; set-up fails loudly"
)]

use std::path::PathBuf;

use hexwatch_io::{BoundarySet, IngestOptions, Store, WardSet, ingest_file};
use hexwatch_server::{AppState, ServerConfig, router};

/// `target/debug/hexwatch`, built by `cargo build -p hexwatch` (scripts/test.sh does so
/// before the tests). Missing: a failure under CI (env `CI` set), a skip otherwise.
pub(crate) fn hexwatch_binary() -> Option<PathBuf> {
    let exe = std::env::current_exe().unwrap();
    let path = exe.parent()?.parent()?.join("hexwatch");
    if path.is_file() {
        return Some(path);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "{} is missing: run `cargo build -p hexwatch` first",
        path.display()
    );
    eprintln!("skipped: {} is missing (run `cargo build -p hexwatch`)", path.display());
    None
}

pub(crate) fn data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../data")
}

pub(crate) struct Server {
    pub(crate) base: String,
    _runtime: tokio::runtime::Runtime,
    _dir: Option<tempfile::TempDir>,
}

/// The shipped BCP wards.
pub(crate) fn shipped_wards() -> WardSet {
    WardSet::from_geojson_file(
        &data_dir().join("boundaries-bcp-wards-2020/bcp-wards-2020-bgc.geojson"),
        "WD20CD",
        "WD20NM",
    )
    .unwrap()
}

/// The shipped BCP LSOA 2021 layer (properties `code`, `name`).
pub(crate) fn shipped_lsoas() -> BoundarySet {
    BoundarySet::read("lsoa", &data_dir().join("bcp-lsoa-2021.geojson"), "code", "name").unwrap()
}

/// A temporary store holding the twelve shipped Dorset months.
pub(crate) fn dorset_store() -> (Store, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path().join("s.sqlite3")).unwrap();
    for entry in std::fs::read_dir(data_dir().join("police-uk-dorset-2025")).unwrap() {
        let path = entry.unwrap().path();
        if path.to_string_lossy().ends_with(".csv.gz") {
            ingest_file(&mut store, &path, &IngestOptions::default(), &mut |_, _| {}).unwrap();
        }
    }
    (store, dir)
}

/// The server over the Dorset store with the shipped wards and LSOAs, as `hexwatch serve`
/// sets it up.
pub(crate) fn start_server() -> Server {
    start_server_with(true, |_| {})
}

/// [`start_server`], with `prepare` run on the store first (e.g. to add custom area sets);
/// returns what `prepare` returns.
pub(crate) fn start_server_prepared<T>(prepare: impl FnOnce(&mut Store) -> T) -> (Server, T) {
    let mut prepared = None;
    let server = start_server_full(true, |store| prepared = Some(prepare(store)), |_| {});
    (server, prepared.unwrap())
}

/// A server on the Dorset store (`dorset`) or an empty one, its configuration adjusted by
/// `configure` (e.g. a write token).
pub(crate) fn start_server_with(dorset: bool, configure: impl FnOnce(&mut ServerConfig)) -> Server {
    start_server_full(dorset, |_| {}, configure)
}

fn start_server_full(
    dorset: bool,
    prepare: impl FnOnce(&mut Store),
    configure: impl FnOnce(&mut ServerConfig),
) -> Server {
    let (mut store, dir) = if dorset {
        dorset_store()
    } else {
        let dir = tempfile::tempdir().unwrap();
        (Store::open(dir.path().join("s.sqlite3")).unwrap(), dir)
    };
    prepare(&mut store);
    let store_path = store.path().to_path_buf();
    drop(store);
    let mut server = start_server_on(&store_path, configure);
    server._dir = Some(dir);
    server
}

/// A server over the store at `store_path` (left in place when the server is dropped),
/// with the shipped wards and LSOAs and its configuration adjusted by `configure`.
pub(crate) fn start_server_on(
    store_path: &std::path::Path,
    configure: impl FnOnce(&mut ServerConfig),
) -> Server {
    let mut config = ServerConfig::new(store_path.to_path_buf(), data_dir().join("../web"));
    config.wards = Some(shipped_wards());
    config.lsoas = Some(shipped_lsoas());
    config.partner_tokens = hexwatch_server::PartnerTokens::new([("e2e", PARTNER_TOKEN)]).unwrap();
    configure(&mut config);
    let state = AppState::load(config).unwrap();
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    runtime.spawn(async move { axum::serve(listener, router(state)).await.unwrap() });
    Server { base, _runtime: runtime, _dir: None }
}

/// POSTs `body` with a content type and an optional bearer token; status and JSON reply.
pub(crate) fn post(
    url: &str,
    token: Option<&str>,
    content_type: &str,
    body: &[u8],
) -> (u16, serde_json::Value) {
    let agent = ureq::Agent::config_builder().http_status_as_error(false).build().new_agent();
    let mut request = agent.post(url).header("Content-Type", content_type);
    if let Some(t) = token {
        request = request.header("Authorization", &format!("Bearer {t}"));
    }
    let mut response = request.send(body).unwrap();
    let status = response.status().as_u16();
    let text = response.body_mut().read_to_string().unwrap();
    (status, serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text)))
}

/// The partner token every test server accepts (partner name `e2e`): tests that assert
/// exact counts read as a partner.
pub(crate) const PARTNER_TOKEN: &str = "e2e-partner-token-0123456789";

/// The `Authorization` header value of [`PARTNER_TOKEN`].
pub(crate) fn partner_bearer() -> String {
    format!("Bearer {PARTNER_TOKEN}")
}

/// GETs `url` as a partner (exact counts); status and body.
pub(crate) fn get(url: &str) -> (u16, Vec<u8>) {
    get_as(url, Some(PARTNER_TOKEN))
}

/// GETs `url` as the public role (no token); status and body.
pub(crate) fn get_public(url: &str) -> (u16, Vec<u8>) {
    get_as(url, None)
}

/// GETs `url` with an optional bearer token; status and body.
pub(crate) fn get_as(url: &str, token: Option<&str>) -> (u16, Vec<u8>) {
    let agent = ureq::Agent::config_builder().http_status_as_error(false).build().new_agent();
    let mut request = agent.get(url);
    if let Some(t) = token {
        request = request.header("Authorization", &format!("Bearer {t}"));
    }
    let mut response = request.call().unwrap();
    let status = response.status().as_u16();
    (status, response.body_mut().read_to_vec().unwrap())
}
