//! Hotspot statistics against PySAL: esda 2.9.0 `G_Local(transform='B', star=True)` and
//! `Moran_Local`, statsmodels `multipletests(method='fdr_bh')` and pymannkendall 1.4.3, on a
//! synthetic grid, the real BCP 2025 ASB counts at resolution 9, and a space-time cube.
//! Fixtures, generator and pinned versions: `tests/fixtures/stats/` (see its SOURCE.md).

#![allow(clippy::unwrap_used, clippy::panic, reason = "test set-up fails loudly")]

use std::collections::HashMap;

use h3o::{CellIndex, Resolution};
use hexwatch_core::stats::{
    EmergingParams, GiStarParams, Neighbours, StudyArea, emerging_hot_spots, gi_star, local_moran,
    mann_kendall,
};

/// Rows of a fixture as maps from column name to text.
fn rows(name: &str) -> Vec<HashMap<String, String>> {
    let path = format!("{}/tests/fixtures/stats/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap();
    let mut lines = text.lines();
    let header: Vec<String> = lines.next().unwrap().split(',').map(str::to_owned).collect();
    lines.map(|l| header.iter().cloned().zip(l.split(',').map(str::to_owned)).collect()).collect()
}

fn num(row: &HashMap<String, String>, key: &str) -> f64 {
    row[key].parse().unwrap()
}

struct Case {
    area: StudyArea,
    values: Vec<f64>,
    rows: Vec<HashMap<String, String>>,
}

/// A fixture's cells as a study area, with counts and fixture rows in the area's order.
fn case(name: &str) -> Case {
    let mut rows = rows(name);
    let cells: Vec<CellIndex> = rows.iter().map(|r| r["cell"].parse().unwrap()).collect();
    let area = StudyArea::from_cells(Resolution::Nine, cells);
    assert_eq!(area.len(), rows.len(), "fixture cells are unique");
    rows.sort_by_key(|r| area.position(r["cell"].parse().unwrap()).unwrap());
    let values = rows.iter().map(|r| num(r, "count")).collect();
    Case { area, values, rows }
}

/// The permutation tolerance of the issue: |p − p_esda| ≤ 3·√(2p(1−p)/999).
fn within_permutation_noise(ours: f64, esda: f64) -> bool {
    (ours - esda).abs() <= 3.0 * (2.0 * esda * (1.0 - esda) / 999.0).sqrt()
}

fn check_gi_and_moran(c: &Case) {
    let gi = gi_star(
        &c.values,
        &Neighbours::k_ring(&c.area, 1, true),
        GiStarParams { permutations: 999, seed: 7 },
    );
    let moran = local_moran(&c.values, &Neighbours::k_ring(&c.area, 1, false), 999, 7, 0.05, false);
    let p_sim = gi.p_sim.as_ref().unwrap();
    let (mut gi_close, mut moran_close) = (0, 0);
    for (i, r) in c.rows.iter().enumerate() {
        let cell = &r["cell"];
        assert!((gi.z[i] - num(r, "gi_z")).abs() < 1e-9, "{cell}: Gi* z {} vs esda {}", gi.z[i], r["gi_z"]);
        assert!((gi.p[i] - num(r, "gi_p_two_sided")).abs() < 1e-9, "{cell}: p");
        assert_eq!(i32::from(gi.bin[i]), r["fdr_bin"].parse::<i32>().unwrap(), "{cell}: FDR bin");
        assert!(
            (moran.i[i] - num(r, "moran_i")).abs() < 1e-9,
            "{cell}: I {} vs esda {}",
            moran.i[i],
            r["moran_i"]
        );
        assert_eq!(moran.quadrant[i].to_string(), r["moran_q"], "{cell}: quadrant");
        gi_close += usize::from(within_permutation_noise(p_sim[i], num(r, "gi_p_sim")));
        // esda's draws counted with its documented tie rule (see the fixture's SOURCE.md).
        moran_close += usize::from(within_permutation_noise(moran.p_sim[i], num(r, "moran_p_sim_ties")));
    }
    let n = c.rows.len();
    assert!(gi_close * 100 >= n * 99, "Gi* pseudo p within noise for {gi_close} of {n}");
    assert!(moran_close * 100 >= n * 99, "Moran pseudo p within noise for {moran_close} of {n}");
}

#[test]
fn synthetic_grid_matches_esda() {
    check_gi_and_moran(&case("grid_cells.csv"));
}

#[test]
fn bcp_asb_2025_matches_esda_and_the_issue_figures() {
    let c = case("bcp_asb_2025_res9.csv");
    assert_eq!(c.area.len(), 1_881);
    assert_eq!(c.values.iter().sum::<f64>(), 8_619.0);
    check_gi_and_moran(&c);
    let bins = |k: u32| {
        let gi = gi_star(&c.values, &Neighbours::k_ring(&c.area, k, true), GiStarParams::default());
        let mut counts = HashMap::new();
        for b in &gi.bin {
            *counts.entry(*b).or_insert(0) += 1;
        }
        (gi, counts)
    };
    let (gi, counts) = bins(1);
    assert_eq!((counts[&3], counts[&2], counts[&1], counts[&0]), (50, 6, 2, 1_823));
    assert!(gi.bin.iter().all(|b| *b >= 0), "no cold spots");
    // 891959710b3ffff and its neighbour 891959710bbffff tie at z = 21.4017 (their rings hold
    // the same incidents); ties rank by cell index, so the first maximum is the top.
    let top = (0..gi.z.len()).rev().max_by(|&a, &b| gi.z[a].total_cmp(&gi.z[b])).unwrap();
    assert_eq!(c.area.cells()[top].to_string(), "891959710b3ffff");
    assert!((gi.z[top] - 21.40).abs() < 0.005);
    let (gi2, counts) = bins(2);
    assert_eq!((counts[&3], counts[&2], counts[&1]), (95, 7, 1));
    let k2: HashMap<String, f64> =
        rows("bcp_asb_2025_res9_k2.csv").iter().map(|r| (r["cell"].clone(), num(r, "gi_z"))).collect();
    for (cell, z) in c.area.cells().iter().zip(&gi2.z) {
        assert!((z - k2[&cell.to_string()]).abs() < 1e-9, "{cell}");
    }
}

#[test]
fn moran_is_identical_with_one_and_two_threads() {
    let c = case("bcp_asb_2025_res9.csv");
    let w = Neighbours::k_ring(&c.area, 1, false);
    let run = |threads| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| local_moran(&c.values, &w, 999, 42, 0.05, false))
    };
    assert_eq!(run(1), run(2));
}

#[test]
fn space_time_gi_and_mann_kendall_match_esda_and_pymannkendall() {
    let cube_rows = rows("spacetime_cells.csv");
    let cells: Vec<CellIndex> = cube_rows.iter().map(|r| r["cell"].parse().unwrap()).collect();
    let area = StudyArea::from_cells(Resolution::Nine, cells);
    assert_eq!(area.len(), 19);
    let mut counts = vec![vec![0.0; 12]; 19];
    for r in &cube_rows {
        let i = area.position(r["cell"].parse().unwrap()).unwrap();
        counts[i][r["t"].parse::<usize>().unwrap()] = num(r, "count");
    }
    let result = emerging_hot_spots(&counts, &Neighbours::k_ring(&area, 1, true), EmergingParams::default());
    for r in rows("spacetime_gi.csv") {
        let i = area.position(r["cell"].parse().unwrap()).unwrap();
        let t: usize = r["t"].parse().unwrap();
        assert!((result.z[i][t] - num(&r, "gi_z")).abs() < 1e-9, "{} t={t}", r["cell"]);
    }
    for r in rows("spacetime_mk.csv") {
        let i = area.position(r["cell"].parse().unwrap()).unwrap();
        // Recompute from the fixture's z so that ties are exactly as pymannkendall saw them.
        let z: Vec<f64> = rows("spacetime_gi.csv")
            .iter()
            .filter(|g| g["cell"] == r["cell"])
            .map(|g| num(g, "gi_z"))
            .collect();
        let mk = mann_kendall(&z);
        assert_eq!(mk.s, num(&r, "mk_s"), "{}", r["cell"]);
        assert!((mk.var_s - num(&r, "mk_var_s")).abs() < 1e-9);
        assert!((mk.z - num(&r, "mk_z")).abs() < 1e-9 && (mk.p - num(&r, "mk_p")).abs() < 1e-9);
        assert!((mk.tau - num(&r, "mk_tau")).abs() < 1e-9);
        assert!((result.trend[i].z - mk.z).abs() < 1e-6, "the cube's own z series gives the same trend");
    }
}
