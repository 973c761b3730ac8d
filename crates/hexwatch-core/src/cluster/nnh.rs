//! CrimeStat's nearest-neighbour hierarchical clustering (NNH), first order.

use rayon::prelude::*;

use super::ClusterError;
use super::grid::Grid;
use crate::units::BngPoint;

/// Standard error constant of the mean nearest-neighbour distance under complete spatial
/// randomness: SE = 0.26136·√(A/N²) (Clark & Evans 1954; CrimeStat's nearest neighbour
/// index uses the same constant).
const NN_STANDARD_ERROR: f64 = 0.26136;

/// How NNH sets its threshold distance.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum NnhThreshold {
    /// CrimeStat's random nearest-neighbour distance: the lower bound of the one-tailed
    /// confidence interval of the mean nearest-neighbour distance of N random points in the
    /// study area, d = 0.5·√(A/N) − z·0.26136·√(A/N²) (see [`random_threshold`]).
    Random {
        /// The study area A in m²; `None` takes the bounding rectangle of the points, as
        /// CrimeStat does when no area is given (which understates clustering when the
        /// points cover only part of it: give the real area).
        area_m2: Option<f64>,
        /// One-tailed probability p, 0 < p ≤ 0.5, of a random pair being closer than the
        /// threshold: p = 0.05 is the 95 % lower bound (z = 1.6449), p = 0.5 the mean
        /// random distance itself (z = 0).
        p: f64,
    },
    /// CrimeStat's fixed distance: pairs closer than `distance_m` metres are linked.
    Fixed {
        /// The threshold, metres (> 0).
        distance_m: f64,
    },
}

/// Settings of [`nnh()`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NnhParams {
    /// The threshold rule. Default: [`NnhThreshold::Random`] over the points' bounding
    /// rectangle with p = 0.05.
    pub threshold: NnhThreshold,
    /// Fewest points a cluster may have (CrimeStat's "minimum points per cluster");
    /// smaller groups are dropped (their points are left unclustered). Default 10.
    pub min_points: usize,
}

impl NnhParams {
    /// Checks what does not depend on the points: `min_points` ≥ 1, a fixed distance or a
    /// given area finite and > 0, 0 < p ≤ 0.5.
    ///
    /// # Errors
    /// [`ClusterError::InvalidMinPoints`], [`ClusterError::InvalidThreshold`],
    /// [`ClusterError::InvalidArea`] or [`ClusterError::InvalidProbability`].
    pub fn validate(&self) -> Result<(), ClusterError> {
        if self.min_points == 0 {
            return Err(ClusterError::InvalidMinPoints { value: self.min_points });
        }
        match self.threshold {
            NnhThreshold::Fixed { distance_m } if !(distance_m.is_finite() && distance_m > 0.0) => {
                Err(ClusterError::InvalidThreshold { value: distance_m })
            }
            NnhThreshold::Fixed { .. } => Ok(()),
            NnhThreshold::Random { area_m2, p } => {
                one_tailed_z(p)?;
                match area_m2 {
                    Some(a) if !(a.is_finite() && a > 0.0) => Err(ClusterError::InvalidArea { value: a }),
                    _ => Ok(()),
                }
            }
        }
    }
}

impl Default for NnhParams {
    fn default() -> Self {
        Self { threshold: NnhThreshold::Random { area_m2: None, p: 0.05 }, min_points: 10 }
    }
}

/// The random-distance threshold with its working: what [`random_threshold`] computed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RandomThreshold {
    /// Points N.
    pub n: usize,
    /// Study area A, m².
    pub area_m2: f64,
    /// Whether A was given (`false`: the points' bounding rectangle).
    pub area_given: bool,
    /// One-tailed probability p.
    pub p: f64,
    /// The standard normal quantile z with P(Z > z) = p.
    pub z: f64,
    /// Mean random nearest-neighbour distance 0.5·√(A/N), metres.
    pub mean_random_m: f64,
    /// Its standard error 0.26136·√(A/N²), metres.
    pub standard_error_m: f64,
    /// The threshold mean_random_m − z·standard_error_m, metres.
    pub distance_m: f64,
}

/// NNH's answer: a first-order cluster or nothing per point, and the threshold used.
#[derive(Debug, Clone, PartialEq)]
pub struct NnhClusters {
    /// Per input point, in input order: its first-order cluster (0, 1, 2…, numbered in the
    /// order of each cluster's smallest point index), or `None`.
    pub labels: Vec<Option<u32>>,
    /// Number of clusters (with at least `min_points` points).
    pub clusters: usize,
    /// The threshold distance used, metres.
    pub threshold_m: f64,
    /// The working of a random-distance threshold (`None` for a fixed one).
    pub random: Option<RandomThreshold>,
}

/// The standard normal quantile z with P(Z > z) = p, for 0 < p ≤ 0.5 (so z ≥ 0): solved
/// by bisection on the upper tail ½·erfc(z/√2) (libm's erfc) to the last bit.
///
/// # Errors
/// [`ClusterError::InvalidProbability`] unless 0 < p ≤ 0.5.
pub fn one_tailed_z(p: f64) -> Result<f64, ClusterError> {
    if !(p > 0.0 && p <= 0.5) {
        return Err(ClusterError::InvalidProbability { value: p });
    }
    let upper = |z: f64| 0.5 * libm::erfc(z / std::f64::consts::SQRT_2);
    // P(Z > 40) is far below the smallest positive f64.
    let (mut lo, mut hi) = (0.0_f64, 40.0_f64);
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if mid <= lo || mid >= hi {
            break;
        }
        if upper(mid) > p {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    Ok(if p == 0.5 { 0.0 } else { 0.5 * (lo + hi) })
}

/// CrimeStat's NNH threshold from the random nearest-neighbour distance:
///
/// ```text
/// mean random NN distance   d_ran = 0.5 · √(A / N)
/// its standard error        SE    = 0.26136 · √(A / N²)
/// threshold                 d     = d_ran − z · SE,   z one-tailed: P(Z > z) = p
/// ```
///
/// the lower bound of the one-tailed confidence interval around d_ran: under complete
/// spatial randomness a pair of nearest neighbours is closer than d with probability about
/// p. z is the normal quantile (CrimeStat writes a t-value; for the N of crime data, a few
/// hundred and up, t with N − 1 degrees of freedom equals z to within 0.5 %).
///
/// # Units
/// - `area_m2`: square metres; the result's distances in metres.
///
/// # Errors
/// [`ClusterError::NoPoints`] for N = 0; [`ClusterError::InvalidArea`] unless A is finite
/// and > 0; [`ClusterError::InvalidProbability`] unless 0 < p ≤ 0.5;
/// [`ClusterError::NonPositiveThreshold`] when z·SE ≥ d_ran (very few points with a small p).
///
/// # Example
/// ```
/// use hexwatch_core::cluster::random_threshold;
/// // 12 points in 1 km², p = 0.05: d_ran = 0.5·√(10⁶/12) = 144.338 m,
/// // SE = 0.26136·√(10⁶/144) = 21.780 m, z = 1.644854, d = 144.338 − 35.825 = 108.513 m.
/// let t = random_threshold(12, 1_000_000.0, true, 0.05)?;
/// assert!((t.distance_m - 108.5127).abs() < 1e-3);
/// # Ok::<(), hexwatch_core::cluster::ClusterError>(())
/// ```
///
/// # References
/// Levine, N. (2004). CrimeStat III, chapter 6 "'Hot spot' analysis I": Nearest Neighbor
/// Hierarchical Spatial Clustering, criterion 1 (threshold distance from the random
/// nearest-neighbour distance and its confidence interval) and criterion 2 (minimum
/// points). Clark, P. J. & Evans, F. C. (1954). Distance to nearest neighbor as a measure
/// of spatial relationships in populations. Ecology 35(4), 445–453 (d_ran and SE).
pub fn random_threshold(
    n: usize,
    area_m2: f64,
    area_given: bool,
    p: f64,
) -> Result<RandomThreshold, ClusterError> {
    if n == 0 {
        return Err(ClusterError::NoPoints);
    }
    if !(area_m2.is_finite() && area_m2 > 0.0) {
        return Err(ClusterError::InvalidArea { value: area_m2 });
    }
    let z = one_tailed_z(p)?;
    #[expect(clippy::cast_precision_loss, reason = "point counts are far below 2^52")]
    let n_f = n as f64;
    let mean_random_m = 0.5 * (area_m2 / n_f).sqrt();
    let standard_error_m = NN_STANDARD_ERROR * (area_m2 / (n_f * n_f)).sqrt();
    let distance_m = mean_random_m - z * standard_error_m;
    // Finite: A, N and z are.
    if distance_m <= 0.0 {
        return Err(ClusterError::NonPositiveThreshold { distance_m, mean_random_m, standard_error_m, z });
    }
    Ok(RandomThreshold { n, area_m2, area_given, p, z, mean_random_m, standard_error_m, distance_m })
}

/// First-order nearest-neighbour hierarchical clustering (CrimeStat's NNH).
///
/// **Rule** (CrimeStat III ch. 6: "a pair of points is clustered if the distance between
/// them is smaller than the threshold distance"): two points are linked when their
/// distance is strictly less than the threshold d; the first-order clusters are the groups
/// of points joined by chains of links (single linkage cut at d); groups with fewer than
/// `min_points` points are dropped. d comes from [`random_threshold`] (the random
/// nearest-neighbour distance's one-tailed lower confidence bound) or is fixed. Every
/// point is in one cluster or none. Second- and higher-order clusters (clustering the
/// first-order clusters' centres again) are not computed.
///
/// # Units
/// `points` in metres (British National Grid); areas in m², distances in metres.
///
/// # Errors
/// [`ClusterError::InvalidMinPoints`] for `min_points` 0; [`ClusterError::InvalidThreshold`]
/// for a fixed distance that is not finite and > 0; those of [`random_threshold`] (with no
/// area given, [`ClusterError::InvalidArea`] when the points' bounding rectangle has no
/// area); [`ClusterError::NonFinitePoint`] and [`ClusterError::ExtentTooLarge`] as for
/// [`super::dbscan()`].
///
/// # References
/// Levine, N. (2004). CrimeStat III, chapter 6, Nearest Neighbor Hierarchical Spatial
/// Clustering; de Smith, Goodchild & Longley, Geospatial Analysis (spatialanalysisonline),
/// "Hierarchical nearest neighbour clustering": "these parameters effectively define a
/// search radius within which point pairs are combined into clusters". Tested against a
/// hand-computed fixture (`crates/hexwatch-core/tests/cluster_reference.rs`).
pub fn nnh(points: &[BngPoint], params: &NnhParams) -> Result<NnhClusters, ClusterError> {
    params.validate()?;
    let (threshold_m, random) = match params.threshold {
        NnhThreshold::Fixed { distance_m } => (distance_m, None),
        NnhThreshold::Random { area_m2, p } => {
            let (area, given) = match area_m2 {
                Some(a) => (a, true),
                None => (bounding_rectangle_m2(points), false),
            };
            let t = random_threshold(points.len(), area, given, p)?;
            (t.distance_m, Some(t))
        }
    };
    let grid = Grid::build(points, threshold_m)?;
    let n = grid.len();
    let everyone = vec![true; n];
    let (group_of_cell, groups) = grid.components::<true>(&everyone);
    let mut sizes = vec![0_usize; groups];
    for &c in &grid.cell_of {
        sizes[group_of_cell[c as usize] as usize] += 1;
    }
    // Keep the groups of min_points or more, renumbered in their (smallest index) order.
    let mut kept = vec![None; groups];
    let mut clusters = 0_u32;
    for (g, &size) in sizes.iter().enumerate() {
        if size >= params.min_points {
            kept[g] = Some(clusters);
            clusters += 1;
        }
    }
    let sorted: Vec<Option<u32>> =
        grid.cell_of.par_iter().map(|&c| kept[group_of_cell[c as usize] as usize]).collect();
    let mut labels = vec![None; n];
    for (i, &input) in grid.order.iter().enumerate() {
        labels[input as usize] = sorted[i];
    }
    Ok(NnhClusters { labels, clusters: clusters as usize, threshold_m, random })
}

/// Area of the points' bounding rectangle, m² (0 for fewer than two distinct positions on
/// each axis).
fn bounding_rectangle_m2(points: &[BngPoint]) -> f64 {
    let (mut x0, mut y0, mut x1, mut y1) =
        (f64::INFINITY, f64::INFINITY, f64::NEG_INFINITY, f64::NEG_INFINITY);
    for p in points {
        x0 = x0.min(p.easting_m);
        y0 = y0.min(p.northing_m);
        x1 = x1.max(p.easting_m);
        y1 = y1.max(p.northing_m);
    }
    if points.is_empty() { 0.0 } else { (x1 - x0) * (y1 - y0) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn z_matches_the_normal_table() {
        // scipy.stats.norm.isf(p)
        for (p, z) in [(0.05, 1.6448536269514722), (0.01, 2.3263478740408408), (0.1, 1.2815515655446004)] {
            assert!((one_tailed_z(p).unwrap() - z).abs() < 1e-12, "p {p}");
        }
        assert_eq!(one_tailed_z(0.5).unwrap(), 0.0);
        for bad in [0.0, -0.1, 0.6, f64::NAN] {
            assert!(matches!(one_tailed_z(bad), Err(ClusterError::InvalidProbability { .. })), "{bad}");
        }
    }

    #[test]
    fn too_few_points_for_a_small_p_is_an_error_naming_the_threshold() {
        // N = 1, A = 1 m²: d_ran = 0.5, SE = 0.26136, p = 0.01 (z = 2.326): d = −0.108.
        let err = random_threshold(1, 1.0, true, 0.01).unwrap_err();
        assert!(matches!(err, ClusterError::NonPositiveThreshold { .. }));
        assert!(err.to_string().contains("threshold"), "{err}");
    }
}
