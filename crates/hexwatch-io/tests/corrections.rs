//! Corrections: a republished police.uk month replaces its partition (added, removed and
//! changed counted by hand below), and a partner source deletes incidents by reference.

#![allow(clippy::unwrap_used, clippy::panic, reason = "test set-up fails loudly")]

use hexwatch_io::{IngestOptions, Mapping, Store, ingest_file, ingest_mapped};

const HEADER: &str = "Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,Crime type,Last outcome category,Context";

fn row(id: &str, lon: &str, lat: &str, location: &str, kind: &str, outcome: &str) -> String {
    format!(
        "{id},2025-01,Dorset Police,Dorset Police,{lon},{lat},{location},E01015434,\"Bournemouth, Christchurch and Poole 001D\",{kind},{outcome},"
    )
}

#[test]
fn republished_month_replaces_its_partition() {
    let dir = tempfile::tempdir().unwrap();
    let original = [
        row(
            "aaa",
            "-1.966585",
            "50.784170",
            "On or near Seafox Place",
            "Violence and sexual offences",
            "Under investigation",
        ),
        row(
            "bbb",
            "-1.975689",
            "50.789082",
            "On or near Oakley Road",
            "Burglary",
            "Unable to prosecute suspect",
        ),
        row("", "-1.978735", "50.766907", "On or near Gravel Hill", "Anti-social behaviour", ""),
        row("", "-1.806133", "50.761164", "On or near Foreland Close", "Anti-social behaviour", ""),
        row("eee", "-1.966943", "50.779287", "On or near Queen Anne Drive", "Drugs", "Local resolution"),
    ];
    // Republished: A has a new outcome, C moved (same month, location text and type), D
    // is gone, B and E are unchanged, F is new.
    let republished = [
        row(
            "aaa",
            "-1.966585",
            "50.784170",
            "On or near Seafox Place",
            "Violence and sexual offences",
            "Offender given a caution",
        ),
        original[1].clone(),
        row("", "-1.978000", "50.767000", "On or near Gravel Hill", "Anti-social behaviour", ""),
        original[4].clone(),
        row(
            "fff",
            "-1.900000",
            "50.720000",
            "On or near Lansdowne Crescent",
            "Robbery",
            "Under investigation",
        ),
    ];
    let write = |name: &str, rows: &[String]| {
        let path = dir.path().join(name);
        std::fs::write(&path, format!("{HEADER}\n{}\n", rows.join("\n"))).unwrap();
        path
    };
    let (first, second) = (write("2025-01-a.csv", &original), write("2025-01-b.csv", &republished));

    // Without --replace: the new versions are added and the old ones kept and reported.
    let mut kept = Store::open(dir.path().join("kept.sqlite3")).unwrap();
    ingest_file(&mut kept, &first, &IngestOptions::default(), &mut |_, _| {}).unwrap();
    let r = ingest_file(&mut kept, &second, &IngestOptions::default(), &mut |_, _| {}).unwrap();
    assert_eq!((r.accepted, r.duplicates, r.not_in_file, r.removed, r.changed), (3, 2, 3, 0, 0));
    assert_eq!(kept.summary().unwrap().incidents, 8);

    // With --replace: 2 changed (A by Crime ID, C by month/location/type), 1 removed (D),
    // 1 added (F); the partition ends with the republished 5 rows.
    let mut store = Store::open(dir.path().join("s.sqlite3")).unwrap();
    ingest_file(&mut store, &first, &IngestOptions::default(), &mut |_, _| {}).unwrap();
    let version = store.summary().unwrap().data_version;
    let replace = IngestOptions { replace: true, ..IngestOptions::default() };
    let r = ingest_file(&mut store, &second, &replace, &mut |_, _| {}).unwrap();
    assert!(r.adds_up());
    assert_eq!((r.read, r.accepted, r.duplicates), (5, 3, 2));
    assert_eq!((r.added(), r.removed, r.changed, r.not_in_file), (1, 1, 2, 0));
    let s = store.summary().unwrap();
    assert_eq!((s.incidents, s.data_version), (5, version + 1));
    // Replacing again with the same file changes nothing.
    let again = ingest_file(&mut store, &second, &replace, &mut |_, _| {}).unwrap();
    assert_eq!((again.accepted, again.duplicates, again.removed, again.changed), (0, 5, 0, 0));
    assert_eq!(
        store.summary().unwrap(),
        hexwatch_io::StoreSummary { incidents: 5, data_version: version + 1 }
    );
}

#[test]
fn partner_source_deletes_by_reference() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("asb.csv");
    std::fs::write(
        &csv,
        "ref,when,kind,lon,lat\nR1,2025-03-01 22:15,ASB,-1.88,50.72\nR2,2025-03-01 23:40,ASB,-1.87,50.72\nR3,2025-03-02 01:05,ASB,-1.86,50.73\n",
    )
    .unwrap();
    let mapping = Mapping::from_toml(
        "source = \"bcp-asb-team\"\n[columns]\nreference=\"ref\"\ncategory=\"kind\"\nlongitude=\"lon\"\nlatitude=\"lat\"\n\
         [time]\ncolumn=\"when\"\nformat=\"%Y-%m-%d %H:%M\"\n[categories]\nASB=\"Anti-social behaviour\"\n",
    )
    .unwrap();
    let mut store = Store::open(dir.path().join("s.sqlite3")).unwrap();
    let r = ingest_mapped(&mut store, &csv, &mapping, &IngestOptions::default(), &mut |_, _| {}).unwrap();
    assert_eq!(r.accepted, 3);
    let (deleted, missing) =
        store.delete_by_reference("bcp-asb-team", &["R2".to_owned(), "R9".to_owned()]).unwrap();
    assert_eq!((deleted, missing), (1, vec!["R9".to_owned()]));
    assert_eq!(store.summary().unwrap().incidents, 2);
    // Another source's references are untouched.
    assert_eq!(store.delete_by_reference("other", &["R1".to_owned()]).unwrap().0, 0);
    let table = store.load_table(None).unwrap();
    assert_eq!(table.categories()[0].name, "Anti-social behaviour");
}
