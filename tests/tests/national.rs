//! The national multi-force set (`../shared/data/police-uk-multiforce-2025-h1/`, never
//! committed): its Dorset rows equal the Jan–Jun Dorset files as a multiset, and after the
//! Dorset files they add no incident. Skips with a message when the set is absent.

#![allow(clippy::unwrap_used, clippy::panic, reason = "test set-up fails loudly")]

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;

use hexwatch_io::{IngestOptions, ingest_file};

mod common;
use common::{data_dir, dorset_store};

fn national_dir() -> Option<PathBuf> {
    let dir = data_dir().join("../../shared/data/police-uk-multiforce-2025-h1");
    dir.is_dir().then_some(dir)
}

/// Data lines of a gzip CSV (header dropped), optionally only those of one force.
fn lines(path: &std::path::Path, force: Option<&str>) -> Vec<String> {
    let reader = BufReader::new(flate2::read::GzDecoder::new(std::fs::File::open(path).unwrap()));
    reader
        .lines()
        .skip(1)
        .map(Result::unwrap)
        .filter(|l| force.is_none_or(|f| l.split(',').nth(2) == Some(f)))
        .collect()
}

#[test]
fn national_dorset_rows_equal_the_dorset_files_and_add_nothing() {
    let Some(national) = national_dir() else {
        eprintln!("skipped: the national set police-uk-multiforce-2025-h1 is not at ../shared/data/");
        return;
    };
    let mut from_national: BTreeMap<String, u32> = BTreeMap::new();
    let mut dorset_rows = Vec::new();
    for month in 1..=6 {
        for line in
            lines(&national.join(format!("2025-{month:02}-multi-force-street.csv.gz")), Some("Dorset Police"))
        {
            *from_national.entry(line.clone()).or_default() += 1;
            dorset_rows.push(line);
        }
    }
    assert_eq!(dorset_rows.len(), 28_172, "SOURCE.md: 28,172 Dorset rows");
    let mut from_dorset: BTreeMap<String, u32> = BTreeMap::new();
    for month in 1..=6 {
        let path = data_dir().join(format!("police-uk-dorset-2025/2025-{month:02}-dorset-street.csv.gz"));
        for line in lines(&path, None) {
            *from_dorset.entry(line).or_default() += 1;
        }
    }
    assert!(
        from_national == from_dorset,
        "the national Dorset rows differ from the Dorset files as a multiset"
    );

    // Ingested after the twelve Dorset files, the national Dorset rows add nothing.
    let (mut store, dir) = dorset_store();
    let before = store.summary().unwrap();
    let extract = dir.path().join("national-dorset.csv");
    let mut out = std::fs::File::create(&extract).unwrap();
    writeln!(out, "Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,Crime type,Last outcome category,Context").unwrap();
    for line in &dorset_rows {
        writeln!(out, "{line}").unwrap();
    }
    drop(out);
    let r = ingest_file(&mut store, &extract, &IngestOptions::default(), &mut |_, _| {}).unwrap();
    assert!(r.adds_up());
    assert_eq!(r.accepted, 0);
    assert_eq!(r.duplicates + r.rejected.len() as u64, 28_172);
    assert!(r.rejected.iter().all(|x| x.reason.contains("no location")));
    assert_eq!(store.summary().unwrap(), before);
}

/// The whole national set ingested end to end after the twelve Dorset files: every file's
/// report adds up, its duplicates are exactly its located Dorset rows (already stored from
/// the Dorset files) and nothing else, and its rejections are exactly the rows without a
/// location (SOURCE.md: 37,968 over the six months).
#[test]
fn national_set_ingests_end_to_end_after_dorset_adding_no_dorset_row() {
    let Some(national) = national_dir() else {
        eprintln!("skipped: the national set police-uk-multiforce-2025-h1 is not at ../shared/data/");
        return;
    };
    let (mut store, _dir) = dorset_store();
    let before = store.summary().unwrap().incidents;
    let (mut read, mut accepted, mut duplicates, mut rejected) = (0, 0, 0, 0);
    for month in 1..=6 {
        let path = national.join(format!("2025-{month:02}-multi-force-street.csv.gz"));
        let r = ingest_file(&mut store, &path, &IngestOptions::default(), &mut |_, _| {}).unwrap();
        assert!(r.adds_up(), "{}: {r:?}", path.display());
        let dorset = data_dir().join(format!("police-uk-dorset-2025/2025-{month:02}-dorset-street.csv.gz"));
        let located_dorset = lines(&dorset, None).iter().filter(|l| l.split(',').nth(4) != Some("")).count();
        assert_eq!(
            r.duplicates, located_dorset as u64,
            "2025-{month:02}: the Dorset rows are already stored"
        );
        assert!(
            r.rejected.iter().all(|x| x.reason.contains("no location")),
            "2025-{month:02}: {:?}",
            r.rejected.first()
        );
        read += r.read;
        accepted += r.accepted;
        duplicates += r.duplicates;
        rejected += r.rejected.len() as u64;
    }
    assert_eq!(read, 2_018_895, "SOURCE.md: 2,018,895 rows");
    assert_eq!(rejected, 37_968, "SOURCE.md: 37,968 rows without coordinates");
    assert_eq!(read, accepted + duplicates + rejected);
    assert_eq!(store.summary().unwrap().incidents, before + accepted);
}
