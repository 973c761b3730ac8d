//! data.police.uk monthly zip archives: the street files are ingested, the rest reported as
//! skipped, and the counts equal those of the same CSV given directly.

#![allow(clippy::unwrap_used, clippy::panic, reason = "test set-up fails loudly")]

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use hexwatch_io::{IngestError, IngestOptions, Store, ingest_file, ingest_path};

fn dorset_january() -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../data/police-uk-dorset-2025/2025-01-dorset-street.csv.gz");
    let mut text = Vec::new();
    flate2::read::GzDecoder::new(std::fs::File::open(path).unwrap()).read_to_end(&mut text).unwrap();
    text
}

fn write_zip(dir: &Path, name: &str, members: &[(&str, &[u8])]) -> PathBuf {
    let path = dir.join(name);
    let mut zip = zip::ZipWriter::new(std::fs::File::create(&path).unwrap());
    let options =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for (member, bytes) in members {
        if member.ends_with('/') {
            zip.add_directory(*member, options).unwrap();
        } else {
            zip.start_file(*member, options).unwrap();
            zip.write_all(bytes).unwrap();
        }
    }
    zip.finish().unwrap();
    path
}

#[test]
fn zip_archive_reads_street_files_and_lists_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let street = dorset_january();
    let archive = write_zip(
        dir.path(),
        "2025-01.zip",
        &[
            ("2025-01/", b""),
            ("2025-01/2025-01-dorset-street.csv", &street),
            ("2025-01/2025-01-dorset-outcomes.csv", b"Crime ID,Month\n"),
            ("2025-01/2025-01-dorset-stop-and-search.csv", b"Type,Date\n"),
        ],
    );
    let mut store = Store::open(dir.path().join("zip.sqlite3")).unwrap();
    let ingested = ingest_path(&mut store, &archive, &IngestOptions::default(), &mut |_, _| {}).unwrap();
    assert_eq!(ingested.reports.len(), 1);
    assert_eq!(
        ingested.skipped,
        ["2025-01/", "2025-01/2025-01-dorset-outcomes.csv", "2025-01/2025-01-dorset-stop-and-search.csv"]
    );
    let report = &ingested.reports[0];
    assert!(report.adds_up());
    assert!(report.file.to_string_lossy().ends_with("2025-01.zip!2025-01/2025-01-dorset-street.csv"));

    // The same rows given as a CSV: the same counts in a fresh store, all duplicates here.
    let csv = dir.path().join("2025-01-dorset-street.csv");
    std::fs::write(&csv, &street).unwrap();
    let mut fresh = Store::open(dir.path().join("csv.sqlite3")).unwrap();
    let direct = ingest_file(&mut fresh, &csv, &IngestOptions::default(), &mut |_, _| {}).unwrap();
    assert_eq!(
        (report.read, report.accepted, report.rejected.len()),
        (direct.read, direct.accepted, direct.rejected.len())
    );
    let again = ingest_file(&mut store, &csv, &IngestOptions::default(), &mut |_, _| {}).unwrap();
    assert_eq!((again.accepted, again.duplicates), (0, direct.accepted));
}

#[test]
fn zip_without_a_street_file_is_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let archive =
        write_zip(dir.path(), "outcomes-only.zip", &[("2025-01/2025-01-dorset-outcomes.csv", b"Crime ID\n")]);
    let mut store = Store::open(dir.path().join("s.sqlite3")).unwrap();
    let err = ingest_path(&mut store, &archive, &IngestOptions::default(), &mut |_, _| {}).unwrap_err();
    assert!(matches!(err, IngestError::Archive { .. }), "{err:?}");
    let text = err.to_string();
    assert!(text.contains("outcomes-only.zip") && text.contains("no data.police.uk street file"), "{text}");
    assert_eq!(store.summary().unwrap().incidents, 0);
}
