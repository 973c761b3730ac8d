//! Crash safety: the `hexwatch` binary is SIGKILLed during a file ingest and during a
//! `POST /api/incidents`, several times; the store then opens cleanly, passes SQLite's
//! integrity check, holds no partial file or batch, and rerunning completes the job.
//!
//! The store runs SQLite in WAL mode with `synchronous = NORMAL`: a commit is in the WAL
//! (written, not fsynced) before it returns, which survives a killed process; only an
//! operating-system crash or power loss could drop the last commits, never corrupt the
//! store (SQLite's documented guarantee for WAL + NORMAL).

#![allow(clippy::unwrap_used, clippy::panic, reason = "test set-up fails loudly")]

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use hexwatch_io::Store;

mod common;
use common::{data_dir, post};

/// `target/debug/hexwatch`, built by `cargo build -p hexwatch` (scripts/test.sh does so
/// before the tests). Missing: a failure under CI, a skip otherwise.
fn binary() -> Option<PathBuf> {
    let exe = std::env::current_exe().unwrap();
    let path = exe.parent()?.parent()?.join("hexwatch");
    if path.is_file() {
        return Some(path);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "{} is missing: run `cargo build -p hexwatch` first",
        path.display()
    );
    eprintln!("skipped: {} is missing (run `cargo build -p hexwatch`)", path.display());
    None
}

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

#[test]
fn killed_file_ingest_leaves_whole_files_and_reruns_to_completion() {
    let Some(bin) = binary() else { return };
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("s.sqlite3");
    let files = dorset_files();
    // Accepted rows per file, from a clean run, to check that only whole files are stored.
    let per_file: Vec<u64> = {
        let mut s = Store::open(dir.path().join("reference.sqlite3")).unwrap();
        files
            .iter()
            .map(|f| {
                hexwatch_io::ingest_file(&mut s, f, &hexwatch_io::IngestOptions::default(), &mut |_, _| {})
                    .unwrap()
                    .accepted
            })
            .collect()
    };
    for delay_ms in [150_u64, 400, 900] {
        let mut child = Command::new(&bin)
            .arg("--store")
            .arg(&store)
            .arg("ingest")
            .args(&files)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(delay_ms));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        assert!(integrity_ok(&store), "integrity after a kill at {delay_ms} ms");
        let stored = Store::open(&store).unwrap().summary().unwrap().incidents;
        // Files are ingested in order, each in one transaction: the store holds a prefix sum.
        let prefix_sums: Vec<u64> = per_file
            .iter()
            .scan(0, |acc, n| {
                *acc += n;
                Some(*acc)
            })
            .collect();
        assert!(stored == 0 || prefix_sums.contains(&stored), "{stored} is not a whole number of files");
        eprintln!("killed after {delay_ms} ms: {stored} incidents stored");
    }
    let status = Command::new(&bin)
        .arg("--store")
        .arg(&store)
        .arg("ingest")
        .args(&files)
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    assert_eq!(Store::open(&store).unwrap().summary().unwrap().incidents, per_file.iter().sum::<u64>());
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
    let Some(bin) = binary() else { return };
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
