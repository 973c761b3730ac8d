//! The real Dorset 2025 data in `data/`: ingest counts, ward totals and top cells, with the
//! expected figures from `data/police-uk-dorset-2025/SOURCE.md` and the main-job issue.

#![allow(clippy::unwrap_used, clippy::panic, reason = "test set-up fails loudly")]

use std::path::PathBuf;
use std::sync::OnceLock;

use h3o::{CellIndex, Resolution};
use hexwatch_core::{AreaFilter, Filter, IncidentTable, WardIndex, aggregate_cells};
use hexwatch_io::{IngestOptions, IngestReport, Store, WardSet, ingest_file};

fn data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../data")
}

fn dorset_files() -> Vec<PathBuf> {
    let mut files: Vec<_> = std::fs::read_dir(data_dir().join("police-uk-dorset-2025"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(".csv.gz"))
        .collect();
    files.sort();
    assert_eq!(files.len(), 12);
    files
}

fn ingest_all(store: &mut Store, files: &[PathBuf]) -> Vec<IngestReport> {
    files.iter().map(|f| ingest_file(store, f, &IngestOptions::default(), &mut |_, _| {}).unwrap()).collect()
}

fn sum(reports: &[IngestReport]) -> (u64, u64, u64, u64) {
    reports.iter().fold((0, 0, 0, 0), |acc, r| {
        assert!(r.adds_up(), "{r:?}");
        (acc.0 + r.read, acc.1 + r.accepted, acc.2 + r.duplicates, acc.3 + r.rejected.len() as u64)
    })
}

struct Loaded {
    table: IncidentTable,
    wards: WardIndex,
    _dir: tempfile::TempDir,
}

fn loaded() -> &'static Loaded {
    static LOADED: OnceLock<Loaded> = OnceLock::new();
    LOADED.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path().join("s.sqlite3")).unwrap();
        ingest_all(&mut store, &dorset_files());
        let set = WardSet::from_geojson_file(
            &data_dir().join("boundaries-bcp-wards-2020/bcp-wards-2020-bgc.geojson"),
            "WD20CD",
            "WD20NM",
        )
        .unwrap();
        let wards = set.index(11.0);
        Loaded { table: store.load_table(Some(&wards)).unwrap(), wards, _dir: dir }
    })
}

#[test]
fn ingest_counts_match_source_md_and_a_second_run_adds_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path().join("s.sqlite3")).unwrap();
    let files = dorset_files();
    let first = ingest_all(&mut store, &files);
    assert_eq!(sum(&first), (56_023, 55_863, 0, 160));
    assert!(first.iter().flat_map(|r| &r.rejected).all(|r| r.reason.starts_with("no location")));
    let second = ingest_all(&mut store, &files);
    assert_eq!(sum(&second), (56_023, 0, 55_863, 160));
    assert!(second.iter().all(|r| r.not_in_file == 0));
    assert_eq!(store.summary().unwrap().incidents, 55_863);
    assert_eq!(store.summary().unwrap().data_version, 12);
}

#[test]
fn plain_and_gzip_copies_of_a_file_count_once() {
    let dir = tempfile::tempdir().unwrap();
    let gz = &dorset_files()[0];
    let mut text = String::new();
    std::io::Read::read_to_string(
        &mut flate2::read::GzDecoder::new(std::fs::File::open(gz).unwrap()),
        &mut text,
    )
    .unwrap();
    let plain = dir.path().join("2025-01-dorset-street.csv");
    std::fs::write(&plain, &text).unwrap();
    let mut store = Store::open(dir.path().join("s.sqlite3")).unwrap();
    // January's rows without a location, counted from the text itself.
    let no_location = text.lines().filter(|l| l.contains(",No Location,")).count() as u64;
    let a = ingest_all(&mut store, std::slice::from_ref(gz));
    let b = ingest_all(&mut store, &[plain]);
    assert_eq!(sum(&a), (4156, 4156 - no_location, 0, no_location));
    assert_eq!(sum(&b), (4156, 0, 4156 - no_location, no_location));
}

#[test]
fn bcp_rows_by_ward_tolerance_match_source_md() {
    let l = loaded();
    let in_bcp = l.table.ward_column().iter().filter(|w| w.is_some()).count();
    assert_eq!(in_bcp, 34_900);
    let asb = l.table.find_category("anti-social-behaviour").unwrap();
    let violence = l.table.find_category("violent-crime").unwrap();
    let filter = Filter { categories: Some(vec![asb]), area: AreaFilter::AnyWard, ..Filter::default() };
    assert_eq!(aggregate_cells(&l.table, &filter, Resolution::Nine).total(), 8_619);
    let filter = Filter { categories: Some(vec![violence]), area: AreaFilter::AnyWard, ..Filter::default() };
    assert_eq!(aggregate_cells(&l.table, &filter, Resolution::Nine).total(), 11_051);
}

#[test]
fn top_wards_for_asb_and_violence() {
    let l = loaded();
    let asb = l.table.find_category("anti-social-behaviour").unwrap();
    let violence = l.table.find_category("violent-crime").unwrap();
    let mut by_ward = vec![0_u32; l.wards.areas().len()];
    for ((c, w), m) in l.table.category_column().iter().zip(l.table.ward_column()).zip(l.table.month_column())
    {
        if (*c == asb || *c == violence)
            && m.year() == 2025
            && let Some(w) = w
        {
            by_ward[w.index()] += 1;
        }
    }
    let mut ranked: Vec<_> = l.wards.areas().iter().map(|w| w.name.as_str()).zip(by_ward).collect();
    ranked.sort_by_key(|r| std::cmp::Reverse(r.1));
    assert_eq!(
        ranked[..5],
        [
            ("Bournemouth Central", 3_611),
            ("Poole Town", 1_334),
            ("East Cliff & Springbourne", 1_058),
            ("Kinson", 995),
            ("Boscombe West", 874)
        ]
    );
}

#[test]
fn top_bcp_asb_cells_at_resolutions_9_and_8() {
    let l = loaded();
    let asb = l.table.find_category("anti-social-behaviour").unwrap();
    let filter = Filter { categories: Some(vec![asb]), area: AreaFilter::AnyWard, ..Filter::default() };
    let top = |res| -> Vec<(String, u32)> {
        aggregate_cells(&l.table, &filter, res)
            .ranked()
            .iter()
            .take(3)
            .map(|(c, n)| (c.to_string(), n.total()))
            .collect()
    };
    let want9 = [("891959710bbffff", 244), ("8919597154fffff", 229), ("89195971017ffff", 213)];
    assert_eq!(top(Resolution::Nine), want9.map(|(c, n)| (c.to_owned(), n)));
    assert_eq!(top(Resolution::Eight)[0], ("881959710bfffff".to_owned(), 704));
    assert!("891959710bbffff".parse::<CellIndex>().is_ok());
}
