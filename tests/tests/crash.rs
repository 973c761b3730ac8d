//! Crash safety: the `hexwatch` binary is SIGKILLed during a file ingest and during a
//! `POST /api/incidents`, several times; the store then opens cleanly, passes SQLite's
//! integrity check, holds no partial file or batch, and rerunning completes the job.
//!
//! The store runs SQLite in WAL mode with `synchronous = NORMAL`: a commit is in the WAL
//! (written, not fsynced) before it returns, which survives a killed process; only an
//! operating-system crash or power loss could drop the last commits, never corrupt the
//! store (SQLite's documented guarantee for WAL + NORMAL).

#![allow(clippy::unwrap_used, clippy::panic, reason = "test set-up fails loudly")]

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use hexwatch_io::Store;

mod common;
use common::{data_dir, hexwatch_binary, post};

fn integrity_ok(store: &std::path::Path) -> bool {
    let conn = rusqlite::Connection::open(store).unwrap();
    let result: String = conn.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
    result == "ok"
}

fn dorset_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(data_dir().join("police-uk-dorset-2025"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(".csv.gz"))
        .collect();
    files.sort();
    files
}

/// Stored incidents per source file.
fn stored_by_file(store: &Path) -> BTreeMap<String, u64> {
    let conn = rusqlite::Connection::open(store).unwrap();
    let mut stmt = conn.prepare("SELECT source_file, COUNT(*) FROM incidents GROUP BY source_file").unwrap();
    stmt.query_map([], |r| Ok((r.get(0)?, count(r, 1)?))).unwrap().map(Result::unwrap).collect()
}

/// A count column (SQLite integers are signed).
fn count(row: &rusqlite::Row<'_>, i: usize) -> rusqlite::Result<u64> {
    Ok(u64::try_from(row.get::<_, i64>(i)?).unwrap())
}

/// Every recorded ingest is complete: its counts add up and its rejections are all kept,
/// and the incidents it stored are there (a killed ingest leaves no record at all).
fn ingests_complete(store: &Path) {
    let conn = rusqlite::Connection::open(store).unwrap();
    let mut stmt = conn
        .prepare(
            "SELECT id, file, rows_read, accepted, duplicates, rejected, \
             (SELECT COUNT(*) FROM rejections r WHERE r.ingest_id = i.id), \
             (SELECT COUNT(*) FROM incidents n WHERE n.ingest_id = i.id) FROM ingests i",
        )
        .unwrap();
    let rows: Vec<(i64, String, [u64; 6])> = stmt
        .query_map([], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                [count(r, 2)?, count(r, 3)?, count(r, 4)?, count(r, 5)?, count(r, 6)?, count(r, 7)?],
            ))
        })
        .unwrap()
        .map(Result::unwrap)
        .collect();
    for (id, file, [read, accepted, duplicates, rejected, rejections, incidents]) in rows {
        assert!(read > 0, "ingest {id} of {file} records no rows: a partial record");
        assert_eq!(read, accepted + duplicates + rejected, "ingest {id} of {file}");
        assert_eq!(rejections, rejected, "ingest {id} of {file}: rejections kept");
        assert_eq!(incidents, accepted, "ingest {id} of {file}: incidents stored");
    }
}

/// `read R = accepted A + duplicates D + rejected J` of the command's total line.
fn totals(output: &str) -> [u64; 4] {
    let line = output.lines().find(|l| l.starts_with("total: read ")).unwrap_or_else(|| panic!("{output}"));
    let numbers: Vec<u64> =
        line.split(|c: char| !c.is_ascii_digit()).filter_map(|w| w.parse().ok()).collect();
    [numbers[0], numbers[1], numbers[2], numbers[3]]
}

/// `hexwatch ingest` on the twelve Dorset files is SIGKILLed at several points of its run
/// (fractions of a timed full run, so that kills land inside file transactions whatever
/// the machine's speed). After each kill the store passes `integrity_check`, every file
/// is stored whole or not at all, and every recorded ingest is complete; at least one kill
/// lands after some files and before the last. Rerunning then completes the job: its
/// report adds up, stores exactly what was missing and counts the rest as duplicates.
#[test]
fn killed_file_ingest_leaves_whole_files_and_reruns_to_completion() {
    let Some(bin) = hexwatch_binary() else { return };
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("s.sqlite3");
    let files = dorset_files();
    let ingest = |store: &Path| {
        let mut command = Command::new(&bin);
        command.arg("--store").arg(store).arg("ingest").args(&files);
        command
    };
    // A full run into a reference store: its duration and each file's incidents.
    let reference = dir.path().join("reference.sqlite3");
    let started = Instant::now();
    let out = ingest(&reference).output().unwrap();
    let full_run = started.elapsed();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let per_file = stored_by_file(&reference);
    assert_eq!(per_file.len(), files.len());
    let total: u64 = per_file.values().sum();
    assert_eq!(total, 55_863);

    let mut kills_between_files = 0;
    for fraction in [0.08, 0.3, 0.55, 0.8] {
        let mut child = ingest(&store).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
        std::thread::sleep(full_run.mul_f64(fraction));
        let running = child.try_wait().unwrap().is_none();
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        assert!(integrity_ok(&store), "integrity after a kill at {fraction} of a run");
        let stored = stored_by_file(&store);
        for (file, n) in &stored {
            assert_eq!(Some(n), per_file.get(file), "{file} is stored in part after a kill at {fraction}");
        }
        ingests_complete(&store);
        let n: u64 = stored.values().sum();
        if running && n > 0 && n < total {
            kills_between_files += 1;
        }
        eprintln!(
            "killed at {fraction} of {full_run:?} (running: {running}): {n} incidents, {} files",
            stored.len()
        );
    }
    assert!(kills_between_files >= 1, "no kill landed between the first file and the last");

    let before: u64 = stored_by_file(&store).values().sum();
    let out = ingest(&store).output().unwrap();
    let output = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{output}");
    let [read, accepted, duplicates, rejected] = totals(&output);
    assert_eq!(read, accepted + duplicates + rejected, "{output}");
    assert_eq!((accepted, duplicates), (total - before, before), "{output}");
    assert_eq!(stored_by_file(&store), per_file);
    ingests_complete(&store);
    assert!(integrity_ok(&store));
}

struct Served {
    child: Child,
    base: String,
}

fn serve(bin: &std::path::Path, store: &std::path::Path, token_file: &std::path::Path) -> Served {
    let mut child = Command::new(bin)
        .arg("--store")
        .arg(store)
        .args(["serve", "--no-auto-ingest", "--bind", "127.0.0.1:0", "--write-token-file"])
        .arg(token_file)
        .arg("--data-dir")
        .arg(data_dir())
        .arg("--web-dir")
        .arg(data_dir().join("../web"))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let base = loop {
        let line = lines.next().expect("the server prints its URL").unwrap();
        if let Some(at) = line.find("http://") {
            break line[at..].trim_end_matches('/').to_owned();
        }
    };
    Served { child, base }
}

#[test]
fn killed_post_loses_nothing_acknowledged_and_stores_no_partial_batch() {
    let Some(bin) = hexwatch_binary() else { return };
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("s.sqlite3");
    let token = "crash-test-token-0123456789";
    let token_file = dir.path().join("token");
    std::fs::write(&token_file, token).unwrap();
    drop(Store::open(&store).unwrap());
    // One batch of 20,000 incidents with references, heavy enough to be killed mid-way.
    let rows: Vec<serde_json::Value> = (0..20_000)
        .map(|i| {
            serde_json::json!({
                "reference": format!("K{i}"),
                "category": "Anti-social behaviour",
                "time": format!("2025-07-{:02}T{:02}:00", 1 + i % 28, i % 24),
                "lon": -1.95 + f64::from(i % 200) * 0.001,
                "lat": 50.70 + f64::from(i / 200) * 0.0005,
            })
        })
        .collect();
    let body = serde_json::to_vec(&rows).unwrap();
    for delay_ms in [30_u64, 400, 1_500, 4_000] {
        let mut served = serve(&bin, &store, &token_file);
        let url = format!("{}/api/incidents?source=crash&batch=b1", served.base);
        let (body, token) = (body.clone(), token.to_owned());
        let sender = std::thread::spawn(move || {
            let agent = ureq::Agent::config_builder().http_status_as_error(false).build().new_agent();
            agent
                .post(&url)
                .header("Content-Type", "application/json")
                .header("Authorization", &format!("Bearer {token}"))
                .send(&body[..])
                .ok()
                .map(|r| r.status().as_u16())
        });
        std::thread::sleep(Duration::from_millis(delay_ms));
        served.child.kill().unwrap();
        served.child.wait().unwrap();
        let acknowledged = sender.join().unwrap();
        assert!(integrity_ok(&store));
        let stored = Store::open(&store).unwrap().summary().unwrap().incidents;
        assert!(stored == 0 || stored == 20_000, "a partial batch: {stored}");
        if matches!(acknowledged, Some(200 | 201)) {
            assert_eq!(stored, 20_000, "an acknowledged batch was lost");
        }
        eprintln!("killed after {delay_ms} ms: reply {acknowledged:?}, {stored} stored");
    }
    // Rerunning completes the job; re-sending adds nothing more.
    let mut served = serve(&bin, &store, &token_file);
    let url = format!("{}/api/incidents?source=crash&batch=b1", served.base);
    let (status, reply) = post(&url, Some(token), "application/json", &body);
    assert!(status == 200 || status == 201, "{reply}");
    assert_eq!(reply["accepted"].as_u64().unwrap() + reply["duplicates"].as_u64().unwrap(), 20_000);
    assert_eq!(Store::open(&store).unwrap().summary().unwrap().incidents, 20_000);
    served.child.kill().unwrap();
    served.child.wait().unwrap();
}
