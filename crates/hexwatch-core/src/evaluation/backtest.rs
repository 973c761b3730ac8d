//! The rolling-origin backtest.

use h3o::CellIndex;

use super::metrics::{as_f64, best_capture, hit_rate, pai, pei_star, rri, select_by_area};
use crate::kde::{Kernel, KernelSum, WeightedPoint, arcgis_bandwidth};
use crate::patrol::greedy_packing;
use crate::stats::{GiStarParams, Neighbours, StudyArea, gi_star};
use crate::units::BngPoint;

/// The area shares the backtest reports: 1, 3 and 5 % of the study area.
pub const AREA_SHARES: [f64; 3] = [0.01, 0.03, 0.05];

/// A hotspot method compared by the backtest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Method {
    /// Cells ranked by their training-period count.
    H3Counts,
    /// Cells ranked by quartic kernel density at their centre (ArcGIS default bandwidth on the
    /// training incidents).
    Kde,
    /// Cells ranked by Gi* z-score of the training counts (1-ring binary weights, self included).
    GiStar,
    /// Cells ranked by their count in the last training month only.
    LastMonth,
    /// Greedy patrol patches (cell + 1-ring) on the training counts, in the order chosen.
    PatrolPlan,
}

impl Method {
    /// Every method, in table order.
    pub const ALL: [Self; 5] = [Self::H3Counts, Self::Kde, Self::GiStar, Self::LastMonth, Self::PatrolPlan];

    /// Stable name (`"kde"`).
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::H3Counts => "h3-counts",
            Self::Kde => "kde",
            Self::GiStar => "gi-star",
            Self::LastMonth => "last-month",
            Self::PatrolPlan => "patrol-plan",
        }
    }
}

/// One unit of the evaluation: a study-area cell.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EvalUnit {
    /// The cell.
    pub cell: CellIndex,
    /// Its exact area, km² (`CellIndex::area_km2`).
    pub area_km2: f64,
    /// Its centre in British National Grid metres (for KDE).
    pub centre: BngPoint,
}

/// One incident of the selection, reduced to what the backtest needs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EvalIncident {
    /// Month ordinal ([`crate::YearMonth::ordinal`]).
    pub month: i32,
    /// Index of its cell in the units.
    pub unit: usize,
    /// Its point, British National Grid metres.
    pub point: BngPoint,
}

/// Settings of [`backtest`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BacktestParams {
    /// Study area's land area A, km² (162.08 for the BCP ward union in EPSG:27700).
    pub study_km2: f64,
    /// Fewest training months before the first test month (default 3, as Chainey et al.).
    pub min_training_months: u32,
}

/// One method's measures at one area share in one test month.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Score {
    /// The method.
    pub method: Method,
    /// Test month ordinal.
    pub month: i32,
    /// Area share asked (0.03 = 3 %).
    pub share: f64,
    /// Units selected.
    pub units: usize,
    /// Their exact area a, km².
    pub a_km2: f64,
    /// Test incidents inside (n) and in all (N).
    pub n: u64,
    /// All test incidents N.
    pub total_n: u64,
    /// Training incidents inside (n₁) and in all (N₁).
    pub n1: u64,
    /// All training incidents N₁.
    pub total_n1: u64,
    /// Most test incidents any selection of area a could hold (n*).
    pub n_star: u64,
    /// n/N.
    pub hit_rate: Option<f64>,
    /// (n/N)/(a/A).
    pub pai: Option<f64>,
    /// n/n*.
    pub pei_star: Option<f64>,
    /// (n₂/n₁)/(N₂/N₁).
    pub rri: Option<f64>,
}

/// A method's means over the test months at one share (undefined values left out of the
/// means).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MethodSummary {
    /// The method.
    pub method: Method,
    /// Area share.
    pub share: f64,
    /// Test months.
    pub months: usize,
    /// Mean selected area share a/A.
    pub mean_area_share: f64,
    /// Mean hit rate.
    pub hit_rate: Option<f64>,
    /// Mean PAI.
    pub pai: Option<f64>,
    /// Mean PEI*.
    pub pei_star: Option<f64>,
    /// Mean RRI over the months where it is defined.
    pub rri: Option<f64>,
}

/// The backtest's scores per month and their means.
#[derive(Debug, Clone, PartialEq)]
pub struct BacktestResult {
    /// Test month ordinals, in order.
    pub test_months: Vec<i32>,
    /// Every score.
    pub scores: Vec<Score>,
    /// Means per method and share.
    pub summary: Vec<MethodSummary>,
}

/// Unit groups in rank order for `method`, from the training incidents (months before `test`).
///
/// Units with no positive score are not ranked (so a method may fill less than the area
/// share); ties are broken by cell index.
#[must_use]
pub fn rank_units(
    method: Method,
    units: &[EvalUnit],
    study: &StudyArea,
    training: &[EvalIncident],
    last_month: i32,
    n_training_months: u32,
) -> Vec<Vec<usize>> {
    let mut counts = vec![0.0; units.len()];
    for i in training {
        counts[i.unit] += 1.0;
    }
    let scores: Vec<f64> = match method {
        Method::H3Counts => counts,
        Method::LastMonth => {
            let mut last = vec![0.0; units.len()];
            for i in training.iter().filter(|i| i.month == last_month) {
                last[i.unit] += 1.0;
            }
            last
        }
        Method::Kde => {
            let xyw: Vec<(f64, f64, f64)> =
                training.iter().map(|i| (i.point.easting_m, i.point.northing_m, 1.0)).collect();
            let Some(bandwidth) = arcgis_bandwidth(&xyw) else { return Vec::new() };
            let points: Vec<WeightedPoint> = training
                .iter()
                .map(|i| WeightedPoint {
                    easting_m: i.point.easting_m,
                    northing_m: i.point.northing_m,
                    weight: 1.0,
                })
                .collect();
            let sum =
                KernelSum::new(&points, Kernel::Quartic, bandwidth.bandwidth_m, n_training_months.max(1));
            units.iter().map(|u| sum.density_at(u.centre.easting_m, u.centre.northing_m)).collect()
        }
        Method::GiStar => {
            let neighbours = Neighbours::k_ring(study, 1, true);
            // Units are the study cells in order, so the counts are aligned with the weights.
            gi_star(&counts, &neighbours, GiStarParams::default()).z
        }
        Method::PatrolPlan => {
            let patches: Vec<Vec<usize>> = units
                .iter()
                .map(|u| {
                    let ring: Vec<CellIndex> = u.cell.grid_disk(1);
                    ring.iter().filter_map(|c| study.position(*c)).collect()
                })
                .collect();
            // Study positions and unit indices coincide when the units are the study cells in
            // order (as [`backtest`] requires).
            let packing = greedy_packing(&patches, &counts, patches.len());
            return packing.chosen.iter().map(|&i| patches[i].clone()).collect();
        }
    };
    let mut order: Vec<usize> = (0..units.len()).filter(|&u| scores[u] > 0.0).collect();
    order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]).then(units[a].cell.cmp(&units[b].cell)));
    order.into_iter().map(|u| vec![u]).collect()
}

/// Rolling-origin backtest: for every month t with at least `min_training_months` months of
/// data before it, each method ranks the units from all incidents of the months before t, and
/// is scored on month t at each of [`AREA_SHARES`].
///
/// `units` must be `study`'s cells in order (`units[i].cell == study.cells()[i]`);
/// `incidents` are those of the selection inside the study area.
#[must_use]
pub fn backtest(
    units: &[EvalUnit],
    study: &StudyArea,
    incidents: &[EvalIncident],
    params: &BacktestParams,
) -> BacktestResult {
    let areas: Vec<f64> = units.iter().map(|u| u.area_km2).collect();
    let (Some(first), Some(last)) =
        (incidents.iter().map(|i| i.month).min(), incidents.iter().map(|i| i.month).max())
    else {
        return BacktestResult { test_months: Vec::new(), scores: Vec::new(), summary: Vec::new() };
    };
    let min_train = i32::try_from(params.min_training_months.max(1)).unwrap_or(1);
    let test_months: Vec<i32> = (first + min_train..=last).collect();
    let mut scores = Vec::new();
    for &t in &test_months {
        let training: Vec<EvalIncident> = incidents.iter().filter(|i| i.month < t).copied().collect();
        let mut test_counts = vec![0_u64; units.len()];
        for i in incidents.iter().filter(|i| i.month == t) {
            test_counts[i.unit] += 1;
        }
        let mut train_counts = vec![0_u64; units.len()];
        for i in &training {
            train_counts[i.unit] += 1;
        }
        let total_n: u64 = test_counts.iter().sum();
        let total_n1: u64 = train_counts.iter().sum();
        let n_months = u32::try_from(t - first).unwrap_or(1);
        for method in Method::ALL {
            let groups = rank_units(method, units, study, &training, t - 1, n_months);
            for share in AREA_SHARES {
                let (selected, a_km2) = select_by_area(&groups, &areas, share * params.study_km2);
                let n: u64 = selected.iter().map(|&u| test_counts[u]).sum();
                let n1: u64 = selected.iter().map(|&u| train_counts[u]).sum();
                let n_star = best_capture(&test_counts, &areas, a_km2);
                scores.push(Score {
                    method,
                    month: t,
                    share,
                    units: selected.len(),
                    a_km2,
                    n,
                    total_n,
                    n1,
                    total_n1,
                    n_star,
                    hit_rate: hit_rate(n, total_n),
                    pai: pai(n, total_n, a_km2, params.study_km2),
                    pei_star: pei_star(n, n_star),
                    rri: rri(n1, total_n1, n, total_n),
                });
            }
        }
    }
    let summary = summarise(&scores, params.study_km2);
    BacktestResult { test_months, scores, summary }
}

fn mean(values: impl Iterator<Item = Option<f64>>) -> Option<f64> {
    let (sum, n) = values.flatten().fold((0.0, 0_u64), |(s, n), v| (s + v, n + 1));
    (n > 0).then(|| sum / as_f64(n))
}

fn summarise(scores: &[Score], study_km2: f64) -> Vec<MethodSummary> {
    let mut out = Vec::new();
    for method in Method::ALL {
        for share in AREA_SHARES {
            let these: Vec<&Score> =
                scores.iter().filter(|s| s.method == method && s.share == share).collect();
            if these.is_empty() {
                continue;
            }
            out.push(MethodSummary {
                method,
                share,
                months: these.len(),
                mean_area_share: mean(these.iter().map(|s| Some(s.a_km2 / study_km2))).unwrap_or(0.0),
                hit_rate: mean(these.iter().map(|s| s.hit_rate)),
                pai: mean(these.iter().map(|s| s.pai)),
                pei_star: mean(these.iter().map(|s| s.pei_star)),
                rri: mean(these.iter().map(|s| s.rri)),
            });
        }
    }
    out
}
