//! DBSCAN on British National Grid metres, grid-accelerated and Rayon-parallel.

use rayon::prelude::*;

use super::ClusterError;
use super::grid::Grid;
use crate::units::BngPoint;

/// DBSCAN's answer: a cluster or noise per point, and which points are core points.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DbscanLabels {
    /// Per input point, in input order: its cluster (0, 1, 2…, numbered in the order of
    /// each cluster's smallest core-point index, as scikit-learn numbers them), or `None`
    /// for noise (scikit-learn's −1).
    pub labels: Vec<Option<u32>>,
    /// Per input point: whether it is a core point (at least `min_points` points, itself
    /// included, within `eps_m`).
    pub core: Vec<bool>,
    /// Number of clusters.
    pub clusters: usize,
}

impl DbscanLabels {
    /// Points that are in no cluster.
    #[must_use]
    pub fn noise(&self) -> usize {
        self.labels.iter().filter(|l| l.is_none()).count()
    }
}

/// DBSCAN (Ester et al. 1996) of points in British National Grid metres.
///
/// A point is a **core point** when at least `min_points` points — itself included — lie
/// within `eps_m` of it, distance ≤ `eps_m` (inclusive; squared distances are compared,
/// `dx² + dy² ≤ eps_m²`). Core points within `eps_m` of each other are in one cluster
/// (transitively). A non-core point within `eps_m` of a core point is a **border point**;
/// every other point is **noise**. This is scikit-learn's definition
/// (`DBSCAN(eps, min_samples)`: `min_samples` counts the point itself).
///
/// **Border points within `eps_m` of core points of two or more clusters** join the one
/// with the lowest number, clusters being numbered 0, 1, 2… in the order of their smallest
/// core-point index. This is what the sequential algorithm gives when it visits the points
/// in input order (Ester et al.'s and scikit-learn's `dbscan_inner` do), so with the same
/// input order the labels equal scikit-learn's exactly, border points included; and they
/// do not depend on the number of threads.
///
/// # Units
/// - `points`: easting and northing in metres (EPSG:27700, or any metric plane).
/// - `eps_m`: metres.
///
/// # Algorithm
/// Points are bucketed into square cells of side `eps_m`/√2 and sorted by cell (counting
/// sort, or radix sort for very sparse grids), so each cell's points are contiguous and any two points of one cell are within
/// `eps_m`. In parallel: each point counts its neighbours in the 5 × 5 cells around its
/// own, stopping at `min_points`; cells holding core points are joined in a lock-free
/// union-find when some pair of their core points is within `eps_m` (nearest cells first,
/// and skipped when already joined); each border point takes the lowest-numbered cluster
/// with a core point within `eps_m`. Time about O(n · min_points) for the core test in
/// dense areas plus the cell joins; memory O(n) (no neighbour lists are kept, unlike
/// scikit-learn's, which holds every neighbourhood at once).
///
/// # Errors
/// [`ClusterError::InvalidEps`] unless `eps_m` is finite and > 0;
/// [`ClusterError::InvalidMinPoints`] when `min_points` is 0;
/// [`ClusterError::NonFinitePoint`] for a NaN or infinite coordinate;
/// [`ClusterError::ExtentTooLarge`] when the points span 2³¹ cells or more.
///
/// # Example
/// ```
/// use hexwatch_core::BngPoint;
/// use hexwatch_core::cluster::dbscan;
///
/// let p = |e: f64, n: f64| BngPoint { easting_m: 409_000.0 + e, northing_m: 91_000.0 + n };
/// // Three points 50 m apart in a row, and one 500 m away.
/// let points = [p(0.0, 0.0), p(50.0, 0.0), p(100.0, 0.0), p(600.0, 0.0)];
/// let result = dbscan(&points, 50.0, 2)?;
/// assert_eq!(result.labels, [Some(0), Some(0), Some(0), None]);
/// assert_eq!(result.core, [true, true, true, false]);
/// # Ok::<(), hexwatch_core::cluster::ClusterError>(())
/// ```
///
/// # References
/// Ester, M., Kriegel, H.-P., Sander, J. & Xu, X. (1996). A density-based algorithm for
/// discovering clusters in large spatial databases with noise. KDD-96, 226–231.
/// Tested against scikit-learn 1.9.1 `DBSCAN(eps, min_samples, algorithm='kd_tree')` on the
/// fixtures in `crates/hexwatch-core/tests/fixtures/dbscan/`.
pub fn dbscan(points: &[BngPoint], eps_m: f64, min_points: usize) -> Result<DbscanLabels, ClusterError> {
    if !(eps_m.is_finite() && eps_m > 0.0) {
        return Err(ClusterError::InvalidEps { value: eps_m });
    }
    if min_points == 0 {
        return Err(ClusterError::InvalidMinPoints { value: min_points });
    }
    let grid = Grid::build(points, eps_m)?;
    let n = grid.len();
    let core_sorted: Vec<bool> =
        (0..n).into_par_iter().map(|i| grid.count_within::<false>(i, min_points) >= min_points).collect();
    let (cluster_of_cell, clusters) = grid.components::<false>(&core_sorted);
    let sorted_labels: Vec<Option<u32>> = (0..n)
        .into_par_iter()
        .map(|i| {
            if core_sorted[i] {
                Some(cluster_of_cell[grid.cell_of[i] as usize])
            } else {
                grid.smallest_linked_group::<false>(i, &core_sorted, &cluster_of_cell)
            }
        })
        .collect();
    let mut labels = vec![None; n];
    let mut core = vec![false; n];
    for (i, &input) in grid.order.iter().enumerate() {
        labels[input as usize] = sorted_labels[i];
        core[input as usize] = core_sorted[i];
    }
    Ok(DbscanLabels { labels, core, clusters })
}

#[cfg(test)]
#[path = "dbscan_tests.rs"]
mod tests;
