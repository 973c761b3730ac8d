//! Bad input: clear errors naming file, line and field, and the good rows still stored.

#![allow(clippy::unwrap_used, clippy::panic, reason = "test set-up fails loudly")]

use std::io::Write;
use std::path::Path;

use hexwatch_io::{IngestError, IngestOptions, Store, ingest_file};

const HEADER: &str = "Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,Crime type,Last outcome category,Context";

fn row(lon: &str, lat: &str, kind: &str) -> String {
    format!(
        ",2025-01,Dorset Police,Dorset Police,{lon},{lat},On or near Test Street,E01015432,\"Bournemouth, Christchurch and Poole 001B\",{kind},,"
    )
}

fn ingest(path: &Path, store: &mut Store) -> Result<hexwatch_io::IngestReport, IngestError> {
    ingest_file(store, path, &IngestOptions::default(), &mut |_, _| {})
}

#[test]
fn short_row_and_latitude_123_are_rejected_and_the_rest_stored() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.csv");
    let body = [
        HEADER.to_owned(),
        row("-1.866628", "50.722301", "Anti-social behaviour"),
        ",2025-01,Dorset Police,Dorset Police,-1.86".to_owned(),
        row("-1.866628", "123", "Drugs"),
        row("-1.866628", "50.722301", "Anti-social behaviour"),
    ]
    .join("\n");
    std::fs::write(&path, body).unwrap();
    let mut store = Store::open(dir.path().join("s.sqlite3")).unwrap();
    let report = ingest(&path, &mut store).unwrap();
    assert_eq!((report.read, report.accepted, report.duplicates), (4, 2, 0));
    let lines: Vec<_> = report.rejected.iter().map(|r| (r.line, r.field.as_str())).collect();
    assert_eq!(lines, [(3, "(row)"), (4, "Latitude")]);
    assert!(report.rejected[0].reason.contains("expected 12 fields"), "{:?}", report.rejected[0]);
    assert!(report.rejected[1].reason.contains("123"), "{:?}", report.rejected[1]);
    assert_eq!(store.summary().unwrap().incidents, 2);
}

#[test]
fn truncated_gzip_keeps_rows_before_the_cut_and_says_where() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from(HEADER);
    for i in 0..5000 {
        text.push('\n');
        text.push_str(&row(&format!("-1.{:06}", 800_000 + i), "50.722301", "Anti-social behaviour"));
    }
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(text.as_bytes()).unwrap();
    let bytes = gz.finish().unwrap();
    let path = dir.path().join("cut.csv.gz");
    std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
    let mut store = Store::open(dir.path().join("s.sqlite3")).unwrap();
    let report = ingest(&path, &mut store).unwrap();
    let stopped = report.stopped_early.clone().expect("a truncated gzip is reported");
    // Header on line 1, one row per line, every complete row accepted.
    let last = report.accepted + 1;
    assert!(stopped.starts_with(&format!("stopped after the row at line {last},")), "{stopped}");
    assert!(report.accepted > 100 && report.accepted < 5000, "{report:?}");
    assert_eq!(store.summary().unwrap().incidents, report.accepted);
    assert!(report.adds_up());
}

#[test]
fn missing_required_column_refuses_the_file_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nolat.csv");
    std::fs::write(
        &path,
        "Crime ID,Month,Reported by,Longitude,Crime type\n,2025-01,Dorset Police,-1.9,Drugs\n",
    )
    .unwrap();
    let mut store = Store::open(dir.path().join("s.sqlite3")).unwrap();
    let err = ingest(&path, &mut store).unwrap_err();
    assert!(matches!(err, IngestError::MissingColumn { column: "Latitude", .. }), "{err}");
    assert!(err.to_string().contains("nolat.csv") && err.to_string().contains("\"Latitude\""), "{err}");
    assert_eq!(store.summary().unwrap().incidents, 0);
}

#[test]
fn empty_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("empty.csv");
    std::fs::write(&path, "").unwrap();
    let mut store = Store::open(dir.path().join("s.sqlite3")).unwrap();
    assert!(matches!(ingest(&path, &mut store).unwrap_err(), IngestError::Empty { .. }));
}

#[test]
fn crlf_files_report_the_same_line_numbers_as_lf() {
    let dir = tempfile::tempdir().unwrap();
    let rows = [
        HEADER.to_owned(),
        row("-1.866628", "50.722301", "Drugs"),
        row("-1.866628", "123", "Drugs"),
        row("-1.866628", "50.722301", "Robbery"),
    ];
    let mut store = Store::open(dir.path().join("s.sqlite3")).unwrap();
    for (name, newline) in [("lf.csv", "\n"), ("crlf.csv", "\r\n")] {
        let path = dir.path().join(name);
        std::fs::write(&path, rows.join(newline) + newline).unwrap();
        let report = ingest(&path, &mut store).unwrap();
        assert_eq!(report.rejected.iter().map(|r| r.line).collect::<Vec<_>>(), [3], "{name}");
        assert_eq!(report.read, 3, "{name}");
    }
}
