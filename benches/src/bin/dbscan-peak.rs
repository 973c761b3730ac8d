//! Time and peak memory of hexwatch's DBSCAN on the benchmark's points, outside criterion.
//!
//! ```sh
//! cargo run --release -p hexwatch-benches --bin dbscan-peak -- 1000000 [runs]
//! /usr/bin/time -v target/release/dbscan-peak 1000000     # the kernel's view of the peak
//! ```
//!
//! Reads `target/peers/dbscan_points_<n>.csv` (written by the `cluster` benchmark's set-up)
//! when present, else generates the same points. Prints the resident-set high-water mark
//! (`VmHWM` of `/proc/self/status`) after loading the points and after DBSCAN, so the
//! difference bounds what DBSCAN itself held at its peak, then each run's wall time.

#![expect(clippy::print_stdout, reason = "a measuring tool reports on its terminal")]

use std::time::Instant;

use hexwatch_benches::{DBSCAN_EPS_M, DBSCAN_MIN_POINTS, dbscan_points, peers_dir};
use hexwatch_core::BngPoint;
use hexwatch_core::cluster::dbscan;

/// `VmHWM` (peak resident set) of this process in kB, when the kernel reports it.
fn peak_rss_kb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn load(n: usize) -> (Vec<BngPoint>, String) {
    let path = peers_dir().join(format!("dbscan_points_{n}.csv"));
    let Ok(text) = std::fs::read_to_string(&path) else {
        return (dbscan_points(n), "generated".to_owned());
    };
    let points = text
        .lines()
        .skip(1)
        .filter_map(|l| {
            let (e, n) = l.split_once(',')?;
            Some(BngPoint { easting_m: e.parse().ok()?, northing_m: n.parse().ok()? })
        })
        .collect();
    (points, path.display().to_string())
}

fn main() -> std::process::ExitCode {
    let mut args = std::env::args().skip(1);
    let n: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(1_000_000);
    let runs: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(3).max(1);
    let (points, source) = load(n);
    let before = peak_rss_kb();
    println!(
        "dbscan-peak: {} points from {source}; eps {DBSCAN_EPS_M} m, min_points {DBSCAN_MIN_POINTS}",
        points.len()
    );
    println!("  peak RSS after loading the points: {} kB", before.map_or("?".to_owned(), |k| k.to_string()));
    for run in 1..=runs {
        let start = Instant::now();
        let result = match dbscan(&points, DBSCAN_EPS_M, DBSCAN_MIN_POINTS) {
            Ok(r) => r,
            Err(e) => {
                println!("dbscan-peak: {e}");
                return std::process::ExitCode::FAILURE;
            }
        };
        let seconds = start.elapsed().as_secs_f64();
        println!(
            "  run {run}: {seconds:.3} s; {} clusters, {} noise, {} core",
            result.clusters,
            result.noise(),
            result.core.iter().filter(|c| **c).count()
        );
    }
    let after = peak_rss_kb();
    println!("  peak RSS after DBSCAN: {} kB", after.map_or("?".to_owned(), |k| k.to_string()));
    if let (Some(a), Some(b)) = (after, before) {
        println!("  DBSCAN's own peak: at most {} kB above the loaded points", a.saturating_sub(b));
    }
    std::process::ExitCode::SUCCESS
}
