use super::*;
use h3o::{CellIndex, LatLng, Resolution};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// A 3-ring around a cell in Bournemouth: 37 cells.
fn grid() -> (CellIndex, Vec<CellIndex>) {
    let centre = LatLng::new(50.7200, -1.8800).expect("valid").to_cell(Resolution::Nine);
    let mut cells: Vec<CellIndex> = centre.grid_disk::<Vec<_>>(3);
    cells.sort_unstable();
    (centre, cells)
}

/// Every cell's k-ring, clipped to the grid, as unit indices.
fn ring_patches(cells: &[CellIndex], k: u32) -> Vec<Vec<usize>> {
    cells
        .iter()
        .map(|c| {
            let ring: Vec<CellIndex> = c.grid_disk(k);
            ring.iter().filter_map(|r| cells.iter().position(|x| x == r)).collect()
        })
        .collect()
}

fn distance(a: CellIndex, b: CellIndex) -> i32 {
    a.grid_distance(b).expect("near cells")
}

#[test]
fn greedy_equals_brute_force_for_single_cells() {
    // k = 0: patches never overlap unless equal, Δ = 1, greedy is optimal.
    let (_, cells) = grid();
    let patches = ring_patches(&cells, 0);
    let mut rng = ChaCha8Rng::seed_from_u64(8);
    let weights: Vec<f64> = cells.iter().map(|_| f64::from(rng.random_range(0..20_u32))).collect();
    assert_eq!(blocking_number(&patches, cells.len()), 1);
    for k in 1..=3 {
        let g = greedy_packing(&patches, &weights, k);
        let b = brute_force_packing(&patches, &weights, k);
        assert!((g.weight - b.weight).abs() < 1e-9, "k={k}: {} vs {}", g.weight, b.weight);
    }
}

#[test]
fn greedy_is_within_its_bound_of_brute_force_on_random_grids() {
    let (_, cells) = grid();
    let patches = ring_patches(&cells, 1);
    let delta = blocking_number(&patches, cells.len());
    // As on the full grid (computed below): four pairwise disjoint 1-rings can touch one.
    assert_eq!(delta, 4);
    let mut rng = ChaCha8Rng::seed_from_u64(2026);
    let mut worst = f64::INFINITY;
    for _ in 0..60 {
        let weights: Vec<f64> = cells
            .iter()
            .map(|_| if rng.random_bool(0.4) { f64::from(rng.random_range(1..10_u32)) } else { 0.0 })
            .collect();
        for k in 1..=3 {
            let g = greedy_packing(&patches, &weights, k);
            let b = brute_force_packing(&patches, &weights, k);
            assert!(g.chosen.len() <= k);
            assert!(g.weight <= b.weight + 1e-9);
            #[expect(clippy::cast_precision_loss, reason = "a small count")]
            let bound = b.weight / delta as f64;
            assert!(g.weight >= bound - 1e-9, "k={k}: greedy {} < OPT/Δ {}", g.weight, bound);
            if b.weight > 0.0 {
                worst = worst.min(g.weight / b.weight);
            }
            // Chosen patches are disjoint.
            let mut seen = std::collections::HashSet::new();
            for &i in &g.chosen {
                for &u in &patches[i] {
                    assert!(seen.insert(u));
                }
            }
        }
    }
    assert!(worst >= 1.0 / 4.0);
}

#[test]
fn greedy_is_not_optimal_on_a_hand_built_grid_and_the_bound_holds() {
    // On one line through the centre c: o1 – n1 – c – n4 – o4. Weights n1 = n4 = 1,
    // o1 = o4 = 0.9, c = 0.5, all else 0. The 1-ring around c holds c, n1, n4 = 2.5, the
    // heaviest patch; greedy takes it, which blocks every patch touching n1 or n4, then the
    // best left holds only o1 or o4 (0.9): 3.4. The optimum for K = 2 is the ring around n1
    // (c + n1 + o1 = 2.4) and the ring around o4 (n4 + o4 = 1.9), three steps apart: 4.3.
    // Bound: 3.4 ≥ 4.3 / 4.
    let (c, cells) = grid();
    let ring1: Vec<CellIndex> = c.grid_disk(1);
    let n1 = *ring1.iter().find(|&&x| x != c).expect("a neighbour");
    // Opposite n1: c is their only common neighbour.
    let common = |a: CellIndex, b: CellIndex| {
        ring1.iter().filter(|&&x| distance(x, a) <= 1 && distance(x, b) <= 1).count()
    };
    let n4 =
        *ring1.iter().find(|&&x| x != c && distance(x, n1) == 2 && common(x, n1) == 1).expect("opposite");
    let o1 = *cells
        .iter()
        .find(|&&x| distance(x, c) == 2 && distance(x, n1) == 1 && distance(x, n4) == 3)
        .expect("o1");
    let o4 = *cells
        .iter()
        .find(|&&x| distance(x, c) == 2 && distance(x, n4) == 1 && distance(x, o1) == 4)
        .expect("o4");
    let at = |x: CellIndex| cells.iter().position(|&y| y == x).expect("in grid");
    let mut weights = vec![0.0; cells.len()];
    weights[at(c)] = 0.5;
    weights[at(n1)] = 1.0;
    weights[at(n4)] = 1.0;
    weights[at(o1)] = 0.9;
    weights[at(o4)] = 0.9;
    let patches = ring_patches(&cells, 1);
    let g = greedy_packing(&patches, &weights, 2);
    let b = brute_force_packing(&patches, &weights, 2);
    assert_eq!(g.chosen[0], at(c));
    assert!((g.weight - 3.4).abs() < 1e-9, "greedy {}", g.weight);
    assert!((b.weight - 4.3).abs() < 1e-9, "optimum {}", b.weight);
    assert!(g.weight < b.weight);
    let delta = blocking_number(&patches, cells.len());
    #[expect(clippy::cast_precision_loss, reason = "a small count")]
    let bound = b.weight / delta as f64;
    assert!(g.weight >= bound);
}

#[test]
fn abstract_path_case_meets_the_bound_with_delta_two() {
    // Units a b c d; patches {b,c} = 3, {a,b} = 2.9, {c,d} = 2.9: greedy 3, optimum 5.8, Δ = 2.
    let weights = [1.4, 1.5, 1.5, 1.4];
    let patches = vec![vec![1, 2], vec![0, 1], vec![2, 3]];
    let g = greedy_packing(&patches, &weights, 2);
    let b = brute_force_packing(&patches, &weights, 2);
    assert_eq!(g.chosen, vec![0]);
    assert!((b.weight - 5.8).abs() < 1e-9);
    assert_eq!(blocking_number(&patches, 4), 2);
    assert!(g.weight >= b.weight / 2.0);
}

#[test]
fn blocking_number_of_ring_patches_on_a_full_grid_is_four() {
    // Candidates centred within 2k of a cell, on a grid large enough that none is clipped.
    let (c, _) = grid();
    let big: Vec<CellIndex> = c.grid_disk(6);
    for k in [1, 2] {
        let near: Vec<CellIndex> = c.grid_disk(2 * k);
        let patches: Vec<Vec<usize>> = near
            .iter()
            .map(|x| {
                let ring: Vec<CellIndex> = x.grid_disk(k);
                ring.iter().map(|y| big.iter().position(|z| z == y).expect("inside")).collect()
            })
            .collect();
        let all: Vec<usize> = (0..patches.len()).collect();
        assert_eq!(max_disjoint(&patches, &all, big.len()), 4, "k = {k}");
    }
}
