//! Bodies of `POST /api/incidents` (`hexwatch_io::ingest_body`): a JSON array, a GeoJSON
//! FeatureCollection or CSV, stored in one temporary store for the whole run.
//!
//! The first input byte chooses the format (modulo 3: JSON, GeoJSON, CSV); the rest is the
//! body. Checked on every input:
//! - no panic; a body that cannot be read at all is a [`BodyError`] (a 400), never a
//!   store failure;
//! - a stored batch's report adds up (`read == accepted + duplicates + rejected`), each
//!   rejection names a field and a reason at a row of the body (line 1 or later);
//! - the store gained exactly the rows the report accepted (nothing lost, nothing extra).

#![no_main]

use std::cell::RefCell;

use hexwatch_io::{Batch, BodyError, BodyFormat, IngestError, Store, ingest_body};
use libfuzzer_sys::fuzz_target;

/// The store and the directory holding it (removed at exit).
struct Fixture {
    store: Store,
    _dir: tempfile::TempDir,
}

thread_local! {
    static FIXTURE: RefCell<Fixture> = RefCell::new({
        // In TMPDIR: scripts/fuzz.sh points it at a directory of its own (on /dev/shm when
        // there is one, so that each batch's commit is cheap) and removes it afterwards, as
        // libFuzzer ends the process without running destructors.
        let dir = tempfile::tempdir().expect("a temporary directory");
        let store = Store::open(dir.path().join("fuzz.sqlite3")).expect("a new store opens");
        Fixture { store, _dir: dir }
    });
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, body)) = data.split_first() else { return };
    let format = match mode % 3 {
        0 => BodyFormat::Json,
        1 => BodyFormat::GeoJson,
        _ => BodyFormat::Csv,
    };
    let batch =
        Batch { source: "fuzz".to_owned(), batch: "b1".to_owned(), time_zone: "Europe/London".to_owned() };
    FIXTURE.with_borrow_mut(|fixture| {
        let before = fixture.store.summary().expect("the store reads").incidents;
        let report = match ingest_body(&mut fixture.store, &batch, format, body) {
            Err(BodyError::Shape(message)) => {
                assert!(!message.is_empty(), "a refused body says why");
                return;
            }
            Err(e) => panic!("the batch parameters are valid, yet: {e}"),
            Ok(Err(e)) => {
                // A CSV body may lack a required column; the store itself must not fail.
                assert!(!matches!(e, IngestError::Store(_) | IngestError::Io { .. }), "ingest failed: {e}");
                return;
            }
            Ok(Ok(report)) => report,
        };
        assert!(
            report.adds_up(),
            "read {} != accepted {} + duplicates {} + rejected {}",
            report.read,
            report.accepted,
            report.duplicates,
            report.rejected.len()
        );
        assert_eq!(report.accepted_points.len() as u64, report.accepted, "one point per accepted row");
        for r in &report.rejected {
            assert!(!r.field.is_empty() && !r.reason.is_empty(), "rejection without field or reason: {r}");
            assert!(r.line >= 1, "rejection at line 0: {r}");
        }
        let after = fixture.store.summary().expect("the store reads").incidents;
        assert_eq!(after, before + report.accepted, "the store gained exactly the accepted rows");
    });
});
