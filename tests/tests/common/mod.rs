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

pub(crate) fn data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../data")
}

pub(crate) struct Server {
    pub(crate) base: String,
    _runtime: tokio::runtime::Runtime,
    _dir: tempfile::TempDir,
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
    start_server_with(|_| ()).0
}

/// [`start_server`], with `prepare` run on the store first (e.g. to add custom area sets);
/// returns what `prepare` returns.
pub(crate) fn start_server_with<T>(prepare: impl FnOnce(&mut Store) -> T) -> (Server, T) {
    let (mut store, dir) = dorset_store();
    let prepared = prepare(&mut store);
    let store_path = store.path().to_path_buf();
    drop(store);
    let mut config = ServerConfig::new(store_path, data_dir().join("../web"));
    config.wards = Some(shipped_wards());
    config.lsoas = Some(shipped_lsoas());
    let state = AppState::load(config).unwrap();
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    runtime.spawn(async move { axum::serve(listener, router(state)).await.unwrap() });
    (Server { base, _runtime: runtime, _dir: dir }, prepared)
}

pub(crate) fn get(url: &str) -> (u16, Vec<u8>) {
    let agent = ureq::Agent::config_builder().http_status_as_error(false).build().new_agent();
    let mut response = agent.get(url).call().unwrap();
    let status = response.status().as_u16();
    (status, response.body_mut().read_to_vec().unwrap())
}
