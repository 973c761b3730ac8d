//! One call from a filtered incident table to the statistics of every study-area cell.

use super::emerging::{EmergingParams, EmergingResult, emerging_hot_spots};
use super::gi_star::{GiStar, GiStarParams, gi_star};
use super::local_moran::{LocalMoran, local_moran};
use super::study_area::StudyArea;
use super::weights::Neighbours;
use crate::aggregate::aggregate_cells;
use crate::filter::Filter;
use crate::incident::IncidentTable;

/// Which statistic to compute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    /// Getis-Ord Gi* with FDR bins.
    GiStar,
    /// Local Moran's I clusters and outliers.
    Moran,
    /// Emerging hot spot patterns over the months of the selection.
    Emerging,
}

impl Method {
    /// The name used in URLs and on the command line (`gistar`, `moran`, `emerging`).
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::GiStar => "gistar",
            Self::Moran => "moran",
            Self::Emerging => "emerging",
        }
    }

    /// Parses [`Method::as_str`].
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        [Self::GiStar, Self::Moran, Self::Emerging].into_iter().find(|m| m.as_str() == s)
    }
}

/// Settings shared by the statistics, with the field's defaults.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StatOptions {
    /// Neighbourhood: the `grid_disk(k)` ring. Default 1.
    pub k: u32,
    /// Conditional permutations (Moran always; Gi* when > 0). Default 999.
    pub permutations: u32,
    /// Seed of the permutations. Default 12345.
    pub seed: u64,
    /// Significance for Moran classes. Default 0.05 (ArcGIS: 95 %).
    pub alpha: f64,
    /// Benjamini–Hochberg FDR on Moran's pseudo p-values. Default false (ArcGIS's default).
    pub moran_fdr: bool,
    /// Gi* permutation p as well as the normal p. Default false.
    pub gi_permutations: bool,
    /// Emerging hot spot settings.
    pub emerging: EmergingParams,
}

impl Default for StatOptions {
    fn default() -> Self {
        Self {
            k: 1,
            permutations: 999,
            seed: 12_345,
            alpha: 0.05,
            moran_fdr: false,
            gi_permutations: false,
            emerging: EmergingParams::default(),
        }
    }
}

/// The statistic of every cell of a study area for one selection.
#[derive(Debug, Clone)]
pub struct CellStats {
    /// The study area (cells in ascending order; every vector below is aligned with it).
    pub area: StudyArea,
    /// Incidents per cell (all months of the selection).
    pub counts: Vec<f64>,
    /// Incidents of the selection outside the study area (left out of the statistics).
    pub outside: u64,
    /// Gi*, for [`Method::GiStar`].
    pub gi: Option<GiStar>,
    /// Local Moran, for [`Method::Moran`].
    pub moran: Option<LocalMoran>,
    /// Emerging hot spots, for [`Method::Emerging`], with the months analysed (oldest first).
    pub emerging: Option<(EmergingResult, Vec<crate::YearMonth>)>,
}

/// Aggregates `filter`'s incidents into `area`'s cells and computes `method` over them.
///
/// Emerging hot spots use one step per month of the filter's range (the table's months
/// when unbounded).
#[must_use]
pub fn analyse(
    table: &IncidentTable,
    filter: &Filter,
    area: &StudyArea,
    method: Method,
    options: StatOptions,
) -> CellStats {
    let aggregate = aggregate_cells(table, filter, area.resolution());
    let (counts, outside) = area.counts(&aggregate);
    let mut stats = CellStats { area: area.clone(), counts, outside, gi: None, moran: None, emerging: None };
    match method {
        Method::GiStar => {
            let params = GiStarParams {
                permutations: if options.gi_permutations { options.permutations } else { 0 },
                seed: options.seed,
            };
            stats.gi = Some(gi_star(&stats.counts, &Neighbours::k_ring(area, options.k, true), params));
        }
        Method::Moran => {
            let w = Neighbours::k_ring(area, options.k, false);
            stats.moran = Some(local_moran(
                &stats.counts,
                &w,
                options.permutations.max(1),
                options.seed,
                options.alpha,
                options.moran_fdr,
            ));
        }
        Method::Emerging => {
            let span = table.month_span();
            let first = filter.from.or(span.map(|s| s.0));
            let last = filter.to.or(span.map(|s| s.1));
            let months: Vec<crate::YearMonth> = match (first, last) {
                (Some(f), Some(l)) => (0..f.months_through(l))
                    .filter_map(|i| i32::try_from(i).ok())
                    .map(|i| f.add_months(i))
                    .collect(),
                _ => Vec::new(),
            };
            let mut cube = vec![Vec::with_capacity(months.len()); area.len()];
            for m in &months {
                let slice = Filter { from: Some(*m), to: Some(*m), ..filter.clone() };
                let (values, _) = area.counts(&aggregate_cells(table, &slice, area.resolution()));
                for (series, v) in cube.iter_mut().zip(values) {
                    series.push(v);
                }
            }
            if !months.is_empty() {
                let result =
                    emerging_hot_spots(&cube, &Neighbours::k_ring(area, options.k, true), options.emerging);
                stats.emerging = Some((result, months));
            }
        }
    }
    stats
}
