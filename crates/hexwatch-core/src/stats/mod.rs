//! Hotspot statistics on H3 cells: the study area with its empty cells, Getis-Ord Gi* with
//! Benjamini–Hochberg FDR, local Moran's I with conditional permutations, Mann–Kendall, emerging hot
//! spot analysis, and the E-test comparing two Poisson rates.
//!
//! Every statistic runs over a [`StudyArea`]: all cells covering the study polygon, so that
//! cells with no incidents take part in the global mean and variance (leaving them out
//! biases both; see METHODS c.3).

mod analysis;
mod emerging;
mod fdr;
mod gi_star;
mod local_moran;
mod mann_kendall;
mod poisson_rates;
mod study_area;
mod weights;

pub use analysis::{CellStats, Method, StatOptions, analyse};
pub use emerging::{EmergingParams, EmergingResult, Pattern, classify, emerging_hot_spots};
pub use fdr::{benjamini_hochberg, bh_adjusted, confidence_bins, fdr_bins, two_sided_p};
pub use gi_star::{GiStar, GiStarParams, gi_star, gi_star_weighted};
pub use local_moran::{LocalMoran, MoranClass, local_moran};
pub use mann_kendall::{MannKendall, mann_kendall};
pub use poisson_rates::{PoissonMeansError, PoissonMeansTest, RateAlternative, poisson_means_test};
pub use study_area::{StudyArea, StudyAreaError};
pub use weights::Neighbours;
