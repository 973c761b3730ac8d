//! The bad-input corpus (`tests/fixtures/bad-input/`, written by its `make_corpus.py`; the
//! 10 MB line and the truncated gzip are made here at run time): one test per kind of bad
//! input, each ingested through the public entry points (`hexwatch_io::ingest_path`,
//! `ingest_mapped`, the `hexwatch ingest` binary, `POST /api/incidents`). Each asserts the
//! message names the file, the line and the field, that the report adds up (read =
//! accepted + duplicates + rejected, the store's `ingests` and `rejections` tables
//! agreeing), and that every good row of the input is in the store (by its source line).

#![allow(clippy::unwrap_used, clippy::panic, reason = "test set-up fails loudly")]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use hexwatch_io::{
    IngestError, IngestOptions, IngestReport, MAX_ROW_BYTES, Mapping, Store, ingest_mapped, ingest_path,
};

mod common;
use common::{data_dir, hexwatch_binary, post, start_server_with};

const HEADER: &str = "Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,Crime type,Last outcome category,Context";

fn corpus(name: &str) -> PathBuf {
    data_dir().join("../tests/fixtures/bad-input").join(name)
}

/// A valid police.uk row, distinct for each `n` (as `make_corpus.py`'s `good`).
fn good(n: u32) -> String {
    format!(
        ",2025-01,Dorset Police,Dorset Police,-1.{:06},50.722301,On or near Test Street {n},E01015432,\"Bournemouth, Christchurch and Poole 001B\",Anti-social behaviour,,",
        866_000 + n
    )
}

/// A fresh store in a temporary directory.
fn fresh() -> (Store, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    (Store::open(dir.path().join("s.sqlite3")).unwrap(), dir)
}

/// Ingests one file (CSV, gzip or zip) as `hexwatch ingest` does, into a fresh store.
fn ingest_one(path: &Path) -> (Result<Vec<IngestReport>, IngestError>, Store, tempfile::TempDir) {
    let (mut store, dir) = fresh();
    let result = ingest_path(&mut store, path, &IngestOptions::default(), &mut |_, _| {})
        .map(|ingested| ingested.reports);
    (result, store, dir)
}

/// The one report of ingesting corpus file `name`, checked to add up.
fn ingest_corpus(name: &str) -> (IngestReport, Store, tempfile::TempDir) {
    let (result, store, dir) = ingest_one(&corpus(name));
    let mut reports = result.unwrap_or_else(|e| panic!("{name} was refused: {e}"));
    assert_eq!(reports.len(), 1);
    let report = reports.remove(0);
    assert_adds_up(&report, &store);
    (report, store, dir)
}

/// read = accepted + duplicates + rejected, in the report and in the store's record of the
/// ingest; every rejection is kept in the store's `rejections` table.
fn assert_adds_up(report: &IngestReport, store: &Store) {
    assert!(report.adds_up(), "{report:?}");
    let conn = rusqlite::Connection::open(store.path()).unwrap();
    let (id, read, accepted, duplicates, rejected) = conn
        .query_row(
            "SELECT id, rows_read, accepted, duplicates, rejected FROM ingests WHERE file = ?1 ORDER BY id DESC",
            [report.file.display().to_string()],
            |r| Ok((r.get::<_, i64>(0)?, count(r, 1)?, count(r, 2)?, count(r, 3)?, count(r, 4)?)),
        )
        .unwrap();
    assert_eq!(
        (read, accepted, duplicates, rejected),
        (report.read, report.accepted, report.duplicates, report.rejected.len() as u64)
    );
    let kept = conn
        .query_row("SELECT COUNT(*) FROM rejections WHERE ingest_id = ?1", [id], |r| count(r, 0))
        .unwrap();
    assert_eq!(kept, report.rejected.len() as u64);
}

/// Source lines of the stored incidents of file `name`, in order.
fn stored_lines(store: &Store, name: &str) -> Vec<u64> {
    let conn = rusqlite::Connection::open(store.path()).unwrap();
    let mut stmt = conn
        .prepare("SELECT source_line FROM incidents WHERE source_file = ?1 ORDER BY source_line")
        .unwrap();
    stmt.query_map([name], |r| count(r, 0)).unwrap().map(Result::unwrap).collect()
}

/// A count or line number column (SQLite integers are signed).
fn count(row: &rusqlite::Row<'_>, i: usize) -> rusqlite::Result<u64> {
    Ok(u64::try_from(row.get::<_, i64>(i)?).unwrap())
}

/// Asserts the rejections, in order, as (line, field, words of the reason), and that each
/// message names the file, the line and the field.
fn assert_rejected(report: &IngestReport, expected: &[(u64, &str, &str)]) {
    let got: Vec<(u64, &str)> = report.rejected.iter().map(|r| (r.line, r.field.as_str())).collect();
    let want: Vec<(u64, &str)> = expected.iter().map(|(l, f, _)| (*l, *f)).collect();
    assert_eq!(got, want, "{:#?}", report.rejected);
    let file = report.file.file_name().unwrap().to_string_lossy().into_owned();
    for (message, (line, field, words)) in report.rejection_messages().zip(expected) {
        let place = format!("{file}: line {line}: {field}: ");
        assert!(message.contains(&place), "{message:?} should name {place:?}");
        assert!(message.contains(words), "{message:?} should say {words:?}");
    }
}

/// Runs `hexwatch --store <store> ingest <args>`; `None` when the binary is not built
/// (outside CI).
fn cli(store: &Path, args: &[&std::ffi::OsStr]) -> Option<Output> {
    let bin = hexwatch_binary()?;
    Some(Command::new(bin).arg("--store").arg(store).arg("ingest").args(args).output().unwrap())
}

fn text(output: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr))
}

#[test]
fn empty_file_is_refused_naming_it() {
    let (result, store, _dir) = ingest_one(&corpus("empty.csv"));
    let err = result.unwrap_err();
    assert!(matches!(err, IngestError::Empty { .. }), "{err}");
    assert!(err.to_string().contains("empty.csv: empty file"), "{err}");
    assert_eq!(store.summary().unwrap().incidents, 0);
    // The command names it too, stores nothing from it and exits 1.
    let dir = tempfile::tempdir().unwrap();
    let Some(out) = cli(&dir.path().join("s.sqlite3"), &[corpus("empty.csv").as_os_str()]) else { return };
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("empty.csv: empty file"), "{}", text(&out));
    assert!(text(&out).contains("refused: nothing from this file was stored"), "{}", text(&out));
}

#[test]
fn header_only_file_reads_no_rows_and_says_so() {
    let (report, store, _dir) = ingest_corpus("header-only.csv");
    assert_eq!((report.read, report.accepted), (0, 0));
    assert_eq!(store.summary().unwrap().incidents, 0);
    let dir = tempfile::tempdir().unwrap();
    let Some(out) = cli(&dir.path().join("s.sqlite3"), &[corpus("header-only.csv").as_os_str()]) else {
        return;
    };
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("header-only.csv: the file has a header but no data rows"), "{}", text(&out));
}

#[test]
fn wrong_columns_refuse_the_file_naming_the_missing_column() {
    // An outcomes file given where a street file was expected.
    let (result, store, _dir) = ingest_one(&corpus("outcomes-file.csv"));
    let err = result.unwrap_err();
    assert!(matches!(err, IngestError::MissingColumn { column: "Crime type", .. }), "{err}");
    let message = err.to_string();
    assert!(
        message.contains("outcomes-file.csv: line 1: header lacks the required column \"Crime type\""),
        "{message}"
    );
    assert_eq!(store.summary().unwrap().incidents, 0);
}

#[test]
fn missing_column_refuses_the_file_naming_it() {
    let (result, store, _dir) = ingest_one(&corpus("missing-latitude.csv"));
    let message = result.unwrap_err().to_string();
    assert!(
        message.contains("missing-latitude.csv: line 1: header lacks the required column \"Latitude\""),
        "{message}"
    );
    assert_eq!(store.summary().unwrap().incidents, 0);
}

#[test]
fn repeated_column_refuses_the_file_naming_both_positions() {
    let (result, store, _dir) = ingest_one(&corpus("repeated-column.csv"));
    let err = result.unwrap_err();
    assert!(
        matches!(&err, IngestError::RepeatedColumn { column, first: 2, second: 13, .. } if column == "Month"),
        "{err}"
    );
    assert!(
        err.to_string().contains("repeated-column.csv: line 1: the header has column \"Month\" twice"),
        "{err}"
    );
    assert_eq!(store.summary().unwrap().incidents, 0);
}

#[test]
fn extra_columns_are_read_by_name_and_an_extra_field_rejects_its_row() {
    let (report, store, _dir) = ingest_corpus("extra-columns.csv");
    assert_rejected(&report, &[(4, "(row)", "expected 13 fields as in the header, found 14")]);
    assert_eq!(stored_lines(&store, "extra-columns.csv"), [2, 3, 5]);
}

#[test]
fn rows_of_the_wrong_width_are_rejected_and_the_rest_stored() {
    let (report, store, _dir) = ingest_corpus("wrong-width.csv");
    assert_rejected(
        &report,
        &[
            (3, "(row)", "found 5 (a row cut short"),
            (5, "(row)", "found 13 (an unquoted comma inside a field"),
        ],
    );
    assert_eq!(stored_lines(&store, "wrong-width.csv"), [2, 4, 6]);
}

#[test]
fn utf8_bom_is_not_part_of_the_header_or_the_identity() {
    let (report, mut store, _dir) = ingest_corpus("bom.csv");
    assert_eq!((report.read, report.accepted), (3, 3));
    assert_eq!(stored_lines(&store, "bom.csv"), [2, 3, 4]);
    // The same rows without the BOM are the same incidents.
    let again =
        ingest_path(&mut store, &corpus("no-bom.csv"), &IngestOptions::default(), &mut |_, _| {}).unwrap();
    assert_eq!((again.reports[0].accepted, again.reports[0].duplicates), (0, 3));
}

#[test]
fn crlf_files_count_lines_as_written() {
    let (report, store, _dir) = ingest_corpus("crlf.csv");
    assert_rejected(&report, &[(3, "Latitude", "123 out of range"), (6, "Month", "invalid month")]);
    // The row on lines 4-5 has a quoted CRLF inside its Location.
    assert_eq!(stored_lines(&store, "crlf.csv"), [2, 4, 7]);
    let conn = rusqlite::Connection::open(store.path()).unwrap();
    let location: String =
        conn.query_row("SELECT location FROM incidents WHERE source_line = 4", [], |r| r.get(0)).unwrap();
    assert_eq!(location, "On or near\r\nCRLF Street");
}

#[test]
fn quoted_commas_line_breaks_and_quotes_are_read_and_lines_still_counted() {
    let (report, store, _dir) = ingest_corpus("quoted.csv");
    assert_rejected(
        &report,
        &[(5, "Latitude", "123 out of range"), (7, "Month", "invalid month (got \"2025-13\")")],
    );
    assert!(report.rejected[1].reason.contains("the row spans lines 7 to 9"), "{:?}", report.rejected[1]);
    assert_eq!(stored_lines(&store, "quoted.csv"), [2, 3, 6, 10]);
    let conn = rusqlite::Connection::open(store.path()).unwrap();
    let locations: Vec<String> = conn
        .prepare("SELECT location FROM incidents ORDER BY source_line")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(
        locations[..3],
        ["On or near High Street, Poole", "On or near\nTwo Line Street", "On or near \"The Square\""]
    );
}

#[test]
fn non_utf8_bytes_reject_the_row_naming_the_field_and_byte() {
    let (report, store, _dir) = ingest_corpus("latin1.csv");
    assert_rejected(&report, &[(3, "Location", "not valid UTF-8: byte 0xE9 at byte 15 of the field")]);
    assert!(report.rejected[0].reason.contains("save it as UTF-8"), "{:?}", report.rejected[0]);
    assert_eq!(stored_lines(&store, "latin1.csv"), [2, 4]);
}

#[test]
fn ten_megabyte_line_is_rejected_naming_its_field_and_the_rest_stored() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ten-megabyte-line.csv");
    let huge = good(2).replace("On or near Test Street 2", &"x".repeat(10 * 1024 * 1024));
    std::fs::write(&path, [HEADER, &good(1), &huge, &good(3)].join("\n") + "\n").unwrap();
    let (result, store, _store_dir) = ingest_one(&path);
    let report = result.unwrap().remove(0);
    assert_adds_up(&report, &store);
    assert_rejected(&report, &[(3, "Location", &format!("rows are limited to {MAX_ROW_BYTES} bytes"))]);
    assert!(report.rejected[0].reason.contains("10485760 in this field"), "{:?}", report.rejected[0]);
    assert_eq!(stored_lines(&store, "ten-megabyte-line.csv"), [2, 4]);
}

/// 5,000 rows, gzipped and cut in the middle.
fn truncated_gzip(dir: &Path) -> PathBuf {
    let rows: Vec<String> = (1..=5_000).map(good).collect();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(format!("{HEADER}\n{}\n", rows.join("\n")).as_bytes()).unwrap();
    let bytes = gz.finish().unwrap();
    let path = dir.join("cut.csv.gz");
    std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
    path
}

#[test]
fn truncated_gzip_keeps_the_rows_before_the_cut_and_says_where() {
    let dir = tempfile::tempdir().unwrap();
    let path = truncated_gzip(dir.path());
    let (result, store, _store_dir) = ingest_one(&path);
    let report = result.unwrap().remove(0);
    assert_adds_up(&report, &store);
    let stopped = report.stopped_early.clone().expect("the cut is reported");
    let last = report.accepted + 1;
    assert!(
        stopped.starts_with(&format!("stopped after the row at line {last}, the last complete one")),
        "{stopped}"
    );
    assert!(report.accepted > 100 && report.accepted < 5_000, "{report:?}");
    assert_eq!(stored_lines(&store, "cut.csv.gz"), (2..=last).collect::<Vec<_>>());
    // The command keeps them too, warns naming the file, and exits 1.
    let Some(out) = cli(&dir.path().join("s.sqlite3"), &[path.as_os_str()]) else { return };
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let output = text(&out);
    assert!(output.contains(&format!("cut.csv.gz: read {} =", report.read)), "{output}");
    assert!(output.contains(&format!("WARNING: stopped after the row at line {last}")), "{output}");
}

#[test]
fn zip_without_a_street_file_is_refused_naming_its_members() {
    let (result, store, _dir) = ingest_one(&corpus("no-street.zip"));
    let err = result.unwrap_err();
    assert!(matches!(err, IngestError::Archive { .. }), "{err}");
    assert!(
        err.to_string()
            .contains("no-street.zip: no data.police.uk street file (*-street.csv) among its 2 members"),
        "{err}"
    );
    assert_eq!(store.summary().unwrap().incidents, 0);
}

#[test]
fn swapped_latitude_and_longitude_are_outside_the_extent() {
    let (report, store, _dir) = ingest_corpus("swapped.csv");
    assert_rejected(&report, &[(3, "Longitude", "outside extent (longitude -8.75 to 2")]);
    assert!(report.rejected[0].reason.contains("(latitude/longitude swapped?)"));
    assert_eq!(stored_lines(&store, "swapped.csv"), [2, 4]);
}

#[test]
fn out_of_range_coordinates_are_rejected_never_clamped() {
    let (report, store, _dir) = ingest_corpus("out-of-range.csv");
    assert_rejected(
        &report,
        &[(3, "Latitude", "123 out of range [-90, 90]"), (4, "Longitude", "-200 out of range [-180, 180]")],
    );
    assert_eq!(stored_lines(&store, "out-of-range.csv"), [2, 5]);
}

#[test]
fn nan_coordinates_are_rejected() {
    let (report, store, _dir) = ingest_corpus("nan.csv");
    assert_rejected(
        &report,
        &[(3, "Longitude", "not finite: \"NaN\""), (4, "Latitude", "not finite: \"nan\"")],
    );
    assert_eq!(stored_lines(&store, "nan.csv"), [2, 5]);
}

#[test]
fn infinite_coordinates_are_rejected() {
    let (report, store, _dir) = ingest_corpus("infinite.csv");
    assert_rejected(
        &report,
        &[
            (3, "Longitude", "not finite: \"inf\""),
            (4, "Latitude", "not finite: \"-Infinity\""),
            (5, "Latitude", "not finite: \"1e999\""),
        ],
    );
    assert_eq!(stored_lines(&store, "infinite.csv"), [2, 6]);
}

#[test]
fn blank_coordinates_are_rejected_as_no_location() {
    let (report, store, _dir) = ingest_corpus("blank-coordinates.csv");
    assert_rejected(
        &report,
        &[
            (3, "Longitude", "no location (Longitude and Latitude are empty)"),
            (4, "Latitude", "empty"),
            (5, "Longitude", "empty"),
        ],
    );
    assert_eq!(stored_lines(&store, "blank-coordinates.csv"), [2, 6]);
}

#[test]
fn non_numeric_coordinates_are_rejected() {
    let (report, store, _dir) = ingest_corpus("not-a-number.csv");
    // "-1,86" unquoted splits the row: one field too many.
    assert_rejected(&report, &[(3, "(row)", "found 13"), (4, "Latitude", "not a number: \"fifty\"")]);
    assert_eq!(stored_lines(&store, "not-a-number.csv"), [2, 5]);
}

#[test]
fn unknown_crime_type_is_kept_with_its_text() {
    let (report, store, _dir) = ingest_corpus("unknown-crime-type.csv");
    assert!(report.rejected.is_empty(), "{:?}", report.rejected);
    assert_eq!(stored_lines(&store, "unknown-crime-type.csv"), [2, 3, 4]);
    let conn = rusqlite::Connection::open(store.path()).unwrap();
    let category: String =
        conn.query_row("SELECT category FROM incidents WHERE source_line = 3", [], |r| r.get(0)).unwrap();
    assert_eq!(category, "Fly-tipping");
    let table = store.load_table(None).unwrap();
    let fly = table.categories().iter().find(|c| c.name == "Fly-tipping").expect("its own category");
    assert_eq!(fly.slug, "fly-tipping");
}

#[test]
fn malformed_months_are_rejected_naming_the_value() {
    let (report, store, _dir) = ingest_corpus("malformed-month.csv");
    assert_rejected(
        &report,
        &[
            (3, "Month", "year must be 1900..=2999 and month 1..=12"),
            (4, "Month", "invalid month (got \"Jan 2025\"): expected YYYY-MM"),
            (5, "Month", "invalid month (got \"2025/01\")"),
            (6, "Month", "invalid month (got \"\")"),
        ],
    );
    assert_eq!(stored_lines(&store, "malformed-month.csv"), [2, 7]);
}

#[test]
fn future_months_are_rejected() {
    let (report, store, _dir) = ingest_corpus("future-month.csv");
    assert_rejected(&report, &[(3, "Month", "2099-01 is in the future (it is now ")]);
    assert_eq!(stored_lines(&store, "future-month.csv"), [2, 4]);
}

#[test]
fn empty_required_fields_are_rejected() {
    let (report, store, _dir) = ingest_corpus("empty-required.csv");
    assert_rejected(
        &report,
        &[
            (3, "Reported by", "empty: the force is needed for the identity partition"),
            (4, "Crime type", "empty"),
        ],
    );
    assert_eq!(stored_lines(&store, "empty-required.csv"), [2, 5]);
}

#[test]
fn blank_lines_are_skipped_and_still_counted_as_lines() {
    let (report, store, _dir) = ingest_corpus("blank-lines.csv");
    assert_eq!(report.read, 4, "blank lines are not rows");
    assert_rejected(&report, &[(6, "Latitude", "123 out of range")]);
    assert_eq!(stored_lines(&store, "blank-lines.csv"), [2, 4, 7]);
}

#[test]
fn unclosed_quote_says_which_lines_it_swallowed() {
    let (report, store, _dir) = ingest_corpus("unclosed-quote.csv");
    assert_eq!(report.read, 2);
    assert_rejected(&report, &[(3, "(row)", "expected 12 fields as in the header, found 7")]);
    assert!(
        report.rejected[0].reason.ends_with("the row spans lines 3 to 6 (an unclosed quote?)"),
        "{:?}",
        report.rejected[0]
    );
    assert_eq!(stored_lines(&store, "unclosed-quote.csv"), [2]);
}

#[test]
fn binary_file_is_refused_naming_a_missing_column() {
    let (result, store, _dir) = ingest_one(&corpus("not-csv.csv"));
    let message = result.unwrap_err().to_string();
    assert!(message.contains("not-csv.csv: line 1: header lacks the required column \"Month\""), "{message}");
    assert_eq!(store.summary().unwrap().incidents, 0);
}

#[test]
fn the_same_file_twice_stores_nothing_new() {
    let (first, mut store, _dir) = ingest_corpus("quoted.csv");
    let second = ingest_path(&mut store, &corpus("quoted.csv"), &IngestOptions::default(), &mut |_, _| {})
        .unwrap()
        .reports
        .remove(0);
    assert_adds_up(&second, &store);
    assert_eq!(
        (second.read, second.accepted, second.duplicates, second.rejected.len()),
        (first.read, 0, first.accepted, first.rejected.len())
    );
    assert_eq!(store.summary().unwrap().incidents, first.accepted);
}

/// One Dorset month, big enough (4,156 rows) that two ingests overlap.
fn dorset_january() -> PathBuf {
    data_dir().join("police-uk-dorset-2025/2025-01-dorset-street.csv.gz")
}

#[test]
fn two_ingests_of_one_file_at_once_store_it_once() {
    // Two connections of this process, opening a new store at the same moment.
    let dir = tempfile::tempdir().unwrap();
    let store_path = dir.path().join("s.sqlite3");
    let barrier = std::sync::Arc::new(std::sync::Barrier::new(2));
    let reports: Vec<IngestReport> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..2)
            .map(|_| {
                let (barrier, store_path) = (barrier.clone(), store_path.clone());
                scope.spawn(move || {
                    barrier.wait();
                    let mut store = Store::open(&store_path).unwrap();
                    ingest_path(&mut store, &dorset_january(), &IngestOptions::default(), &mut |_, _| {})
                        .unwrap()
                        .reports
                        .remove(0)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let store = Store::open(&store_path).unwrap();
    for r in &reports {
        assert!(r.adds_up(), "{r:?}");
        assert_eq!(r.read, 4_156);
    }
    let accepted: u64 = reports.iter().map(|r| r.accepted).sum();
    assert_eq!(accepted, reports[0].read - reports[0].rejected.len() as u64, "{reports:?}");
    assert_eq!(store.summary().unwrap().incidents, accepted);

    // Two `hexwatch ingest` processes on a new store.
    let Some(bin) = hexwatch_binary() else { return };
    let store_path = dir.path().join("cli.sqlite3");
    let children: Vec<_> = (0..2)
        .map(|_| {
            Command::new(&bin)
                .arg("--store")
                .arg(&store_path)
                .arg("ingest")
                .arg(dorset_january())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let outputs: Vec<Output> = children.into_iter().map(|c| c.wait_with_output().unwrap()).collect();
    let mut accepted = 0;
    for out in &outputs {
        assert!(out.status.success(), "{}", text(out));
        let line =
            text(out).lines().find(|l| l.starts_with("total: read 4156 = accepted")).map(str::to_owned);
        let line = line.unwrap_or_else(|| panic!("a total line: {}", text(out)));
        let n: u64 = line["total: read 4156 = accepted ".len()..].split(' ').next().unwrap().parse().unwrap();
        accepted += n;
    }
    assert_eq!(accepted, accepted_of_january());
    assert_eq!(Store::open(&store_path).unwrap().summary().unwrap().incidents, accepted);
}

/// Rows of the Dorset January file that are stored: all but its rows without a location.
fn accepted_of_january() -> u64 {
    let (report, _store, _dir) = {
        let (result, store, dir) = ingest_one(&dorset_january());
        (result.unwrap().remove(0), store, dir)
    };
    report.accepted
}

/// The partner corpus read with its column mapping.
fn ingest_partner(mapping: &str) -> (Result<IngestReport, IngestError>, Store, tempfile::TempDir) {
    let (mut store, dir) = fresh();
    let mapping = Mapping::from_toml_file(&corpus(mapping)).unwrap();
    let result = ingest_mapped(
        &mut store,
        &corpus("partner.csv"),
        &mapping,
        &IngestOptions::default(),
        &mut |_, _| {},
    );
    (result, store, dir)
}

#[test]
fn mapped_partner_rows_are_rejected_naming_the_mapped_column() {
    let (result, store, _dir) = ingest_partner("partner-mapping.toml");
    let report = result.unwrap();
    assert_adds_up(&report, &store);
    assert_rejected(
        &report,
        &[
            (3, "occurred", "\"2025-02-30 10:00\": invalid date: parameter 'day' for `2025-02` is invalid"),
            (4, "occurred", "2099-01-01T10:00 (2099-01-01T10:00:00Z) is in the future"),
            (
                5,
                "lon",
                "outside extent (longitude -8.75 to 2, latitude 49 to 61) (latitude/longitude swapped?)",
            ),
            (6, "harm", "weight \"-3\" is not a number ≥ 0"),
            (7, "lat", "not finite: \"NaN\""),
            (8, "offence", "not valid UTF-8: byte 0xE9 at byte 4 of the field"),
        ],
    );
    assert_eq!(stored_lines(&store, "partner.csv"), [2, 9]);
    // The command prints the same messages.
    let dir = tempfile::tempdir().unwrap();
    let Some(out) = cli(
        &dir.path().join("s.sqlite3"),
        &[
            "--mapping".as_ref(),
            corpus("partner-mapping.toml").as_os_str(),
            corpus("partner.csv").as_os_str(),
        ],
    ) else {
        return;
    };
    let output = text(&out);
    assert!(out.status.success(), "{output}");
    assert!(output.contains("partner.csv: read 8 = accepted 2 + duplicates 0 + rejected 6"), "{output}");
    assert!(output.contains("partner.csv: line 3: occurred: \"2025-02-30 10:00\": invalid date"), "{output}");
}

#[test]
fn mapping_naming_a_missing_column_refuses_the_file() {
    let (result, store, _dir) = ingest_partner("partner-mapping-missing-column.toml");
    let message = result.unwrap_err().to_string();
    assert!(
        message.contains("partner.csv: mapping: line 1: the mapping's time.column names column \"occurred_at\", which the header lacks"),
        "{message}"
    );
    assert_eq!(store.summary().unwrap().incidents, 0);
}

const TOKEN: &str = "bad-input-token-0123456789";

#[test]
fn posted_bodies_answer_clear_errors_and_store_every_good_row() {
    let server = start_server_with(false, |c| c.write_token = hexwatch_server::WriteToken::new(TOKEN));
    let url = |batch: &str| format!("{}/api/incidents?source=bad&batch={batch}", server.base);
    let json = "application/json";

    // Not JSON: a 400 naming the body and where the JSON breaks.
    let (status, reply) = post(&url("b1"), Some(TOKEN), json, b"[{\"category\": \"Drugs\",]");
    assert_eq!(status, 400, "{reply}");
    assert_eq!(reply["parameter"], "body");
    assert!(
        reply["error"].as_str().unwrap().contains("not JSON: key must be a string at line 1 column 23"),
        "{reply}"
    );

    // Wrong types, an unknown field, a string with a line break, a non-object: each row
    // rejected naming its field, numbered by its place in the array; the good rows stored.
    let body = serde_json::json!([
        { "category": "Anti-social behaviour", "time": "2025-07-01", "lon": -1.87, "lat": 50.72 },
        { "category": ["Drugs", "Robbery"], "time": "2025-07-01", "lon": -1.87, "lat": 50.72 },
        { "category": "Drugs", "time": 2025, "lon": -1.87, "lat": 50.72 },
        { "category": "Drugs", "time": "2025-07-01", "lon": { "x": 1 }, "lat": 50.72 },
        { "category": "Line\nbreak", "time": "2025-07-01", "lon": -1.88, "lat": 50.72 },
        { "category": "Drugs", "time": "2025-07-01", "lon": -1.87, "lat": 50.72, "colour": "red" },
        42,
        { "category": "Drugs", "time": "2099-07-01", "lon": -1.87, "lat": 50.72 },
        { "category": "Drugs", "time": "2025-07-01", "lon": 50.72, "lat": -1.87 },
        { "category": "Drugs", "time": "2025-07-02", "lon": -1.86, "lat": 50.72 },
    ]);
    let (status, reply) = post(&url("b2"), Some(TOKEN), json, body.to_string().as_bytes());
    assert_eq!(status, 201, "{reply}");
    let rejected: Vec<(u64, String, String)> = reply["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["row"].as_u64().unwrap(),
                r["field"].as_str().unwrap().to_owned(),
                r["reason"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let expected = [
        (2, "category", "expected a string, found an array"),
        (3, "time", "expected a string, found a number"),
        (4, "lon", "expected a number, found an object"),
        (6, "colour", "unknown field; the schema has reference, category"),
        (7, "(row)", "expected an incident object, got a number"),
        (8, "time", "is in the future"),
        (9, "lon", "outside the United Kingdom (latitude/longitude swapped?)"),
    ];
    assert_eq!(rejected.len(), expected.len(), "{reply}");
    for ((row, field, reason), (want_row, want_field, words)) in rejected.iter().zip(expected) {
        assert_eq!((*row, field.as_str()), (want_row, want_field), "{reason}");
        assert!(reason.contains(words), "row {row}: {reason:?} should say {words:?}");
    }
    assert_eq!(reply["read"], 10);
    assert_eq!(reply["accepted"], 3, "rows 1, 5 and 10: {reply}");
    assert_eq!(reply["duplicates"], 0);

    // GeoJSON: a feature whose geometry is not a Point is rejected naming the geometry.
    let fc = serde_json::json!({ "type": "FeatureCollection", "features": [
        { "type": "Feature", "geometry": { "type": "Point", "coordinates": [-1.87, 50.73] },
          "properties": { "category": "Drugs", "time": "2025-07-03" } },
        { "type": "Feature", "geometry": { "type": "Polygon", "coordinates": [] },
          "properties": { "category": "Drugs", "time": "2025-07-03" } },
    ]});
    let (status, reply) = post(&url("b3"), Some(TOKEN), "application/geo+json", fc.to_string().as_bytes());
    assert_eq!(status, 201, "{reply}");
    assert_eq!(reply["rejected"][0]["row"], 2);
    assert_eq!(reply["rejected"][0]["field"], "geometry");
    assert!(
        reply["rejected"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("expected a Point geometry, found \"Polygon\"")
    );

    // CSV: a repeated column refuses the body; a byte that is not UTF-8 rejects its row.
    let (status, reply) = post(
        &url("b4"),
        Some(TOKEN),
        "text/csv",
        b"category,time,lon,lat,time\nDrugs,2025-07-01,-1.87,50.72,2025-07-02\n",
    );
    assert_eq!(status, 400, "{reply}");
    assert!(
        reply["error"].as_str().unwrap().contains("the header has column \"time\" twice (columns 2 and 5)"),
        "{reply}"
    );
    let (status, reply) = post(
        &url("b5"),
        Some(TOKEN),
        "text/csv",
        b"category,time,lon,lat\nCaf\xe9 disorder,2025-07-01,-1.87,50.72\nDrugs,2025-07-04,-1.87,50.72\n",
    );
    assert_eq!(status, 201, "{reply}");
    assert_eq!(reply["rejected"][0]["field"], "category");
    assert!(reply["rejected"][0]["reason"].as_str().unwrap().contains("byte 0xE9 at byte 4"), "{reply}");
    assert_eq!(reply["accepted"], 1);

    // Too large: a 413 in JSON before the body is read.
    let big = vec![b' '; 17 * 1024 * 1024];
    let (status, reply) = post(&url("b6"), Some(TOKEN), json, &big);
    assert_eq!(status, 413, "{reply}");
    assert!(reply["error"].as_str().unwrap().contains("larger than the 16777216 bytes"), "{reply}");

    let (_, body) = common::get(&format!("{}/api/health", server.base));
    let health: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(health["incidents"], 3 + 1 + 1, "every good row of every body is stored");
}
