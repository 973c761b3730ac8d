//! hexwatch benchmarks: one criterion harness, a module per concern, each with a
//! same-run baseline (`baseline/…`) so results read as ratios.
//!
//! Run with `cargo bench -p hexwatch-benches`.

use std::path::PathBuf;

use criterion::{Criterion, criterion_group, criterion_main};
use hexwatch_core::IncidentTable;
use hexwatch_io::{IngestOptions, Store, WardSet, ingest_file};

mod aggregate;
mod cluster;
mod disclosure;
mod http;
mod kde;
mod scale;
mod stats;
mod tiles;

/// The twelve Dorset months from `data/`, loaded with the BCP wards (11 m tolerance).
fn dorset_table() -> (IncidentTable, tempfile::TempDir) {
    let data = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../data");
    let dir = tempfile::tempdir().expect("temporary directory");
    let mut store = Store::open(dir.path().join("bench.sqlite3")).expect("store");
    let mut files: Vec<_> = std::fs::read_dir(data.join("police-uk-dorset-2025"))
        .expect("data/police-uk-dorset-2025")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.to_string_lossy().ends_with(".csv.gz"))
        .collect();
    files.sort();
    for f in &files {
        ingest_file(&mut store, f, &IngestOptions::default(), &mut |_, _| {}).expect("ingest");
    }
    let wards = WardSet::from_geojson_file(
        &data.join("boundaries-bcp-wards-2020/bcp-wards-2020-bgc.geojson"),
        "WD20CD",
        "WD20NM",
    )
    .expect("wards");
    let table = store.load_table(Some(&wards.index(11.0))).expect("table");
    (table, dir)
}

fn benches(c: &mut Criterion) {
    let (table, dir) = dorset_table();
    aggregate::bench(c, &table);
    tiles::bench(c, &table);
    disclosure::bench(c, &table);
    stats::bench(c);
    kde::bench(c);
    scale::bench(c);
    cluster::bench(c);
    http::bench(c, &dir.path().join("bench.sqlite3"));
}

criterion_group! {
    name = all;
    config = Criterion::default().sample_size(20).measurement_time(std::time::Duration::from_secs(3));
    targets = benches
}
criterion_main!(all);
