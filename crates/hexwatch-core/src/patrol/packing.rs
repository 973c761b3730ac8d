//! Choosing non-overlapping patches: weighted set packing, greedy with a stated bound.
//!
//! A candidate patch is a set of units (H3 cells, by index into a weight vector). Two patches
//! *conflict* when they share a unit. Choosing at most `K` pairwise non-conflicting patches of
//! largest total weight is weighted set packing with a cardinality limit (NP-hard in
//! general), so [`greedy_packing`] takes the heaviest patch compatible with those already
//! chosen, `K` times.
//!
//! # Guarantee
//! Let Δ (the *blocking number*, [`blocking_number`]) be the largest number of pairwise
//! non-overlapping candidate patches that all overlap one candidate patch. Then the greedy
//! choice weighs at least 1/Δ of the best choice of at most `K` non-overlapping patches
//! (weights non-negative):
//!
//! *Proof.* Let G₁, …, G_m be the greedy patches in the order chosen and O an optimal choice.
//! Charge each O ∈ O that overlaps some greedy patch to the first Gᵢ it overlaps: O was
//! compatible with G₁ … Gᵢ₋₁ when Gᵢ was chosen, so w(O) ≤ w(Gᵢ); the patches charged to Gᵢ
//! are pairwise disjoint and all overlap Gᵢ, so there are at most Δ of them. A patch O
//! overlapping no greedy patch exists only if greedy stopped at m = K (otherwise it would
//! still be available), and it was available at every step, so w(O) ≤ w(Gᵢ) for every i;
//! as |O| ≤ K ≤ KΔ, these can be charged to greedy patches with charges to spare (at most Δ
//! each). Summing, w(O) ≤ Δ · w(G). ∎
//!
//! Because patches overlapping a patch P and disjoint from each other each hold a different
//! unit of P, Δ ≤ max |P|: the classical 1/k bound of greedy for weighted k-set packing.
//! Δ is usually much smaller: for H3 1-ring (7 cells) and 2-ring (19 cells) patches on a full
//! grid it is 4 (tested), so greedy covers at least a quarter of the best plan's weight.
//!
//! # References
//! - D. S. Hochbaum (1983), "Efficient bounds for the stable set, vertex cover and set
//!   packing problems", *Discrete Applied Mathematics* 6(3):243–254 (greedy for set packing
//!   and for stable sets in graphs without large induced stars, 1/k- and 1/Δ-type bounds).
//! - B. Chandra and M. M. Halldórsson (2001), "Greedy local improvement and weighted set
//!   packing approximation", *Journal of Algorithms* 39(2):223–240 (greedy is a
//!   1/k-approximation for weighted k-set packing).
//!
//! The tests compare with [`brute_force_packing`] on H3 grids of at most 40 cells.

/// The chosen patches (indices into the candidate list, in the order chosen) and their
/// total weight.
#[derive(Debug, Clone, PartialEq)]
pub struct Packing {
    /// Indices of the chosen patches.
    pub chosen: Vec<usize>,
    /// Sum of the chosen patches' weights.
    pub weight: f64,
}

/// The weight of a patch: the sum of its units' weights.
#[must_use]
pub fn patch_weight(patch: &[usize], unit_weights: &[f64]) -> f64 {
    patch.iter().map(|&u| unit_weights[u]).sum()
}

/// Greedy packing: at most `k` pairwise disjoint patches, each time the heaviest patch
/// disjoint from those chosen (ties: the lower index). Patches of weight 0 are never chosen.
/// Weighs at least 1/Δ of the optimum (module docs).
///
/// # Panics
/// When a patch names a unit outside `unit_weights` (a programming error).
#[must_use]
pub fn greedy_packing(patches: &[Vec<usize>], unit_weights: &[f64], k: usize) -> Packing {
    let mut order: Vec<(usize, f64)> =
        patches.iter().enumerate().map(|(i, p)| (i, patch_weight(p, unit_weights))).collect();
    // Sorted once: a patch's weight never changes, so "the heaviest compatible patch" is the
    // first compatible one in this order.
    order.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    let mut used = vec![false; unit_weights.len()];
    let mut chosen = Vec::new();
    let mut weight = 0.0;
    for (i, w) in order {
        if chosen.len() == k || w <= 0.0 {
            break;
        }
        if patches[i].iter().all(|&u| !used[u]) {
            for &u in &patches[i] {
                used[u] = true;
            }
            chosen.push(i);
            weight += w;
        }
    }
    Packing { chosen, weight }
}

/// The best packing of at most `k` disjoint patches by exhaustive search (for tests and tiny
/// inputs: the work grows as `patches.len()^k`).
#[must_use]
pub fn brute_force_packing(patches: &[Vec<usize>], unit_weights: &[f64], k: usize) -> Packing {
    #[expect(clippy::too_many_arguments, reason = "a private recursive helper carrying its state")]
    fn search(
        patches: &[Vec<usize>],
        weights: &[f64],
        start: usize,
        left: usize,
        used: &mut Vec<bool>,
        current: &mut Vec<usize>,
        current_w: f64,
        best: &mut Packing,
    ) {
        if current_w > best.weight {
            *best = Packing { chosen: current.clone(), weight: current_w };
        }
        if left == 0 {
            return;
        }
        for i in start..patches.len() {
            if patches[i].iter().all(|&u| !used[u]) {
                for &u in &patches[i] {
                    used[u] = true;
                }
                current.push(i);
                let w = current_w + weights[i];
                search(patches, weights, i + 1, left - 1, used, current, w, best);
                current.pop();
                for &u in &patches[i] {
                    used[u] = false;
                }
            }
        }
    }
    let weights: Vec<f64> = patches.iter().map(|p| patch_weight(p, unit_weights)).collect();
    let mut best = Packing { chosen: Vec::new(), weight: 0.0 };
    let mut used = vec![false; unit_weights.len()];
    search(patches, &weights, 0, k, &mut used, &mut Vec::new(), 0.0, &mut best);
    best
}

/// Largest neighbourhood searched exactly by [`blocking_number`]; beyond it the patch size
/// bound Δ ≤ |P| is used for that patch.
const MAX_EXACT_NEIGHBOURHOOD: usize = 64;

/// The blocking number Δ of a candidate set: the largest number of pairwise disjoint
/// patches that all overlap one patch (a patch overlaps itself). Greedy packing weighs at
/// least 1/Δ of the optimum. Computed exactly by search over each patch's overlapping
/// patches when there are at most 64 of them, otherwise bounded by the patch's size. 0 for no
/// patches.
#[must_use]
pub fn blocking_number(patches: &[Vec<usize>], n_units: usize) -> usize {
    let mut by_unit: Vec<Vec<usize>> = vec![Vec::new(); n_units];
    for (i, p) in patches.iter().enumerate() {
        for &u in p {
            by_unit[u].push(i);
        }
    }
    let mut delta = 0;
    for p in patches {
        let mut near: Vec<usize> = p.iter().flat_map(|&u| by_unit[u].iter().copied()).collect();
        near.sort_unstable();
        near.dedup();
        let here = if near.len() > MAX_EXACT_NEIGHBOURHOOD {
            p.len()
        } else {
            max_disjoint(patches, &near, n_units)
        };
        delta = delta.max(here);
    }
    delta
}

/// The most pairwise disjoint patches among `candidates` (exact, by branching).
fn max_disjoint(patches: &[Vec<usize>], candidates: &[usize], n_units: usize) -> usize {
    fn go(patches: &[Vec<usize>], cands: &[usize], used: &mut Vec<bool>, count: usize, best: &mut usize) {
        if count + cands.len() <= *best {
            return;
        }
        let Some((&first, rest)) = cands.split_first() else {
            *best = (*best).max(count);
            return;
        };
        if patches[first].iter().all(|&u| !used[u]) {
            for &u in &patches[first] {
                used[u] = true;
            }
            go(patches, rest, used, count + 1, best);
            for &u in &patches[first] {
                used[u] = false;
            }
        }
        go(patches, rest, used, count, best);
    }
    let mut best = 0;
    let mut used = vec![false; n_units];
    go(patches, candidates, &mut used, 0, &mut best);
    best
}

#[cfg(test)]
#[path = "packing_tests.rs"]
mod tests;
