//! Point clustering of incidents in British National Grid metres: DBSCAN and CrimeStat's
//! nearest-neighbour hierarchical clustering (NNH, first order), with convex-hull outlines.
//!
//! - [`dbscan()`]: density-based clusters (`eps_m`, `min_points` counting the point itself,
//!   neighbourhood ≤ `eps_m`), core and border points, grid-accelerated and Rayon-parallel;
//!   labels equal scikit-learn's.
//! - [`nnh()`]: pairs closer than a threshold linked, the threshold from the random
//!   nearest-neighbour distance 0.5·√(A/N) less z standard errors ([`random_threshold`]),
//!   clusters below a minimum size dropped.
//! - [`cluster_hulls`]: each cluster's convex hull with its counts and area.
//! - [`cluster_selection`]: the incidents a [`Filter`] keeps, clustered and outlined.
//!
//! Both clusterings run over incidents, not distinct locations: ten incidents at one
//! police.uk map point are ten points.

mod dbscan;
mod grid;
mod hull;
mod nnh;

pub use dbscan::{DbscanLabels, dbscan};
pub use hull::{ClusterHull, DEGENERATE_BUFFER_M, cluster_hulls};
pub use nnh::{NnhClusters, NnhParams, NnhThreshold, RandomThreshold, nnh, one_tailed_z, random_threshold};

use crate::filter::Filter;
use crate::incident::IncidentTable;
use crate::units::BngPoint;

/// Why points could not be clustered. Each variant names the parameter at fault.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ClusterError {
    /// `eps_m` is not a finite number of metres above 0.
    #[error("invalid eps_m (got {value}): must be a finite number of metres > 0")]
    InvalidEps {
        /// The value given.
        value: f64,
    },
    /// `min_points` is 0.
    #[error("invalid min_points (got {value}): must be at least 1 (it counts the point itself)")]
    InvalidMinPoints {
        /// The value given.
        value: usize,
    },
    /// A point has a NaN or infinite coordinate.
    #[error(
        "invalid point {index} (easting_m {easting_m}, northing_m {northing_m}): coordinates must be finite metres"
    )]
    NonFinitePoint {
        /// Its index in the input.
        index: usize,
        /// Easting given, metres.
        easting_m: f64,
        /// Northing given, metres.
        northing_m: f64,
    },
    /// More points than a `u32` can index.
    #[error("too many points ({n}): at most 4294967295")]
    TooManyPoints {
        /// Points given.
        n: usize,
    },
    /// The linking distance is so small against the points' extent that the grid would
    /// have 2³¹ cells or more per axis.
    #[error(
        "eps_m / threshold {radius_m} m is too small for points spread over {extent_m} m: \
         at most 2^31 grid cells of radius/√2 per axis"
    )]
    ExtentTooLarge {
        /// The linking distance, metres.
        radius_m: f64,
        /// The points' larger extent, metres.
        extent_m: f64,
    },
    /// NNH's random threshold needs at least one point.
    #[error("no points: the random nearest-neighbour distance needs at least one point")]
    NoPoints,
    /// The study area for NNH's random threshold is not a finite number of m² above 0.
    #[error(
        "invalid area_m2 (got {value}): the study area must be a finite number of m² > 0 \
         (with no area given, the points' bounding rectangle is used, which has none when they lie on a line)"
    )]
    InvalidArea {
        /// The area given or computed, m².
        value: f64,
    },
    /// NNH's one-tailed probability is outside (0, 0.5].
    #[error("invalid p (got {value}): the one-tailed probability must be > 0 and ≤ 0.5 (0.05 for 95 %)")]
    InvalidProbability {
        /// The value given.
        value: f64,
    },
    /// NNH's fixed threshold is not a finite number of metres above 0.
    #[error("invalid threshold_m (got {value}): must be a finite number of metres > 0")]
    InvalidThreshold {
        /// The value given.
        value: f64,
    },
    /// The random threshold came out ≤ 0: too few points for the probability chosen.
    #[error(
        "NNH threshold is {distance_m} m (mean random distance {mean_random_m} m − z {z} × standard error \
         {standard_error_m} m): not > 0; choose a larger p or a fixed threshold_m"
    )]
    NonPositiveThreshold {
        /// The threshold computed, metres.
        distance_m: f64,
        /// Mean random nearest-neighbour distance, metres.
        mean_random_m: f64,
        /// Its standard error, metres.
        standard_error_m: f64,
        /// The normal quantile used.
        z: f64,
    },
}

impl ClusterError {
    /// The parameter at fault, as the server and the command line name it: `eps_m`,
    /// `min_points`, `p`, `threshold_m`, `area` (NNH's study area) or `points`.
    #[must_use]
    pub const fn parameter(&self) -> &'static str {
        match self {
            Self::InvalidEps { .. } | Self::ExtentTooLarge { .. } => "eps_m",
            Self::InvalidMinPoints { .. } => "min_points",
            Self::InvalidProbability { .. } | Self::NonPositiveThreshold { .. } => "p",
            Self::InvalidThreshold { .. } => "threshold_m",
            Self::InvalidArea { .. } => "area",
            Self::NonFinitePoint { .. } | Self::TooManyPoints { .. } | Self::NoPoints => "points",
        }
    }
}

/// Which clustering to run, with its parameters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ClusterMethod {
    /// [`dbscan()`].
    Dbscan {
        /// Neighbourhood radius, metres (inclusive).
        eps_m: f64,
        /// Points within `eps_m` (the point itself included) that make a core point.
        min_points: usize,
    },
    /// [`nnh()`].
    Nnh(NnhParams),
}

impl ClusterMethod {
    /// `dbscan` or `nnh`.
    #[must_use]
    pub const fn as_str(&self) -> &'static str {
        match self {
            Self::Dbscan { .. } => "dbscan",
            Self::Nnh(_) => "nnh",
        }
    }

    /// The smallest cluster size the method keeps (`min_points` of either).
    #[must_use]
    pub const fn min_points(&self) -> usize {
        match self {
            Self::Dbscan { min_points, .. } => *min_points,
            Self::Nnh(p) => p.min_points,
        }
    }
}

/// The clusters of a selection: labels per incident and each cluster's outline.
#[derive(Debug, Clone, PartialEq)]
pub struct ClusterRun {
    /// The method and parameters.
    pub method: ClusterMethod,
    /// The incidents clustered (indices into the table), in table order.
    pub incidents: Vec<u32>,
    /// Per clustered incident (same order): its cluster label, `None` for noise.
    pub labels: Vec<Option<u32>>,
    /// Per clustered incident: core point or not (DBSCAN only).
    pub core: Option<Vec<bool>>,
    /// Each cluster's outline and counts, largest first.
    pub hulls: Vec<ClusterHull>,
    /// NNH's threshold, metres (`None` for DBSCAN).
    pub threshold_m: Option<f64>,
    /// NNH's random-threshold working (`None` for DBSCAN or a fixed threshold).
    pub random: Option<RandomThreshold>,
}

impl ClusterRun {
    /// Incidents in some cluster.
    #[must_use]
    pub fn clustered(&self) -> usize {
        self.labels.iter().filter(|l| l.is_some()).count()
    }

    /// Incidents in no cluster (DBSCAN's noise; NNH's unclustered points).
    #[must_use]
    pub fn noise(&self) -> usize {
        self.labels.len() - self.clustered()
    }
}

/// The British National Grid position of every incident `filter` keeps, with the
/// incidents' indices, in table order (incidents sharing a location repeat its point).
#[must_use]
pub fn incident_points(table: &IncidentTable, filter: &Filter) -> (Vec<BngPoint>, Vec<u32>) {
    let mask = filter.category_mask(table.categories().len());
    let area = filter.area_test(table);
    let locations = table.location_column();
    let mut points = Vec::new();
    let mut incidents = Vec::new();
    for (i, index) in (0..table.len()).zip(0_u32..) {
        if filter.keeps_incident(table, &mask, &area, i) {
            points.push(table.location_bng(locations[i]));
            incidents.push(index);
        }
    }
    (points, incidents)
}

/// Clusters the incidents `filter` keeps with `method` and outlines each cluster
/// ([`cluster_hulls`]). An empty selection gives no clusters (NNH's random threshold is
/// then not computed).
///
/// # Errors
/// Those of [`dbscan()`] and [`nnh()`], naming the parameter at fault.
pub fn cluster_selection(
    table: &IncidentTable,
    filter: &Filter,
    method: ClusterMethod,
) -> Result<ClusterRun, ClusterError> {
    let (points, incidents) = incident_points(table, filter);
    cluster_points(&points, incidents, method)
}

/// [`cluster_selection`] on points already chosen: `incidents` names each point (any
/// identifiers; kept in the result).
///
/// # Errors
/// Those of [`dbscan()`] and [`nnh()`].
pub fn cluster_points(
    points: &[BngPoint],
    incidents: Vec<u32>,
    method: ClusterMethod,
) -> Result<ClusterRun, ClusterError> {
    let (labels, core, threshold_m, random) = match method {
        ClusterMethod::Dbscan { eps_m, min_points } => {
            let result = dbscan(points, eps_m, min_points)?;
            (result.labels, Some(result.core), None, None)
        }
        ClusterMethod::Nnh(params) if points.is_empty() => {
            params.validate()?;
            (Vec::new(), None, None, None)
        }
        ClusterMethod::Nnh(params) => {
            let result = nnh(points, &params)?;
            (result.labels, None, Some(result.threshold_m), result.random)
        }
    };
    let hulls = cluster_hulls(points, &labels, core.as_deref());
    Ok(ClusterRun { method, incidents, labels, core, hulls, threshold_m, random })
}
