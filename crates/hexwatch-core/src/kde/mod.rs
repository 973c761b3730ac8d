//! Kernel density estimation in British National Grid metres.
//!
//! The exact path sums every distinct location's kernel at each grid-cell centre, pruned
//! with an R-tree to the locations within the bandwidth, Rayon-parallel over rows.
//! Densities are in incidents per km² per month (a selection's total divided by its months).
//! The binned path ([`kde_binned`]) trades a stated error bound for speed.

mod bandwidth;
mod binned;
mod grid;
mod kernel;

pub use bandwidth::{Bandwidth, BandwidthRule, arcgis_bandwidth};
pub use binned::{BinnedError, MAX_STENCIL_RADIUS_CELLS, binned_error_bound_per_m2, kde_binned};
pub use grid::{DensityGrid, GridSpec, KernelSum, WeightedPoint, kde_exact, kde_naive, kde_points};
pub use kernel::Kernel;
