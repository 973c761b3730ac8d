//! The density grid and the exact kernel sum.

use rayon::prelude::*;
use rstar::RTree;
use rstar::primitives::GeomWithData;

use super::kernel::Kernel;
use crate::filter::Filter;
use crate::incident::{IncidentTable, LocationId};

/// A point in British National Grid metres with its weight (incidents, or harm-weighted).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WeightedPoint {
    /// Easting, metres.
    pub easting_m: f64,
    /// Northing, metres.
    pub northing_m: f64,
    /// Weight (1 per incident unless weighted).
    pub weight: f64,
}

/// The distinct locations of the incidents `filter` keeps, each weighted by the sum over
/// its incidents of `weight_of(category index)` (1.0 for plain counts) times the
/// incident's own weight (1 unless the source gives one). police.uk's 55,863 Dorset
/// incidents sit on 7,945 locations, so the kernel sum runs over far fewer points.
#[must_use]
pub fn kde_points(
    table: &IncidentTable,
    filter: &Filter,
    weight_of: impl Fn(usize) -> f64,
) -> Vec<WeightedPoint> {
    let mask = filter.category_mask(table.categories().len());
    let mut weights = vec![0.0_f64; table.location_count()];
    let (locations, categories) = (table.location_column(), table.category_column());
    let area = filter.area_test(table);
    for i in 0..table.len() {
        if filter.keeps_incident(table, &mask, &area, i) {
            let c = categories[i].index();
            weights[locations[i].index()] += weight_of(c) * f64::from(table.weight(i));
        }
    }
    weights
        .into_iter()
        .enumerate()
        .filter(|(_, w)| *w != 0.0)
        .map(|(loc, weight)| (LocationId(u32::try_from(loc).expect("location ids fit u32")), weight))
        .map(|(loc, weight)| {
            let p = table.location_bng(loc);
            WeightedPoint { easting_m: p.easting_m, northing_m: p.northing_m, weight }
        })
        .collect()
}

/// A raster on the British National Grid: `ncols × nrows` square cells of `cell_size_m`,
/// row 0 at the north, whose top-left corner is `(xmin_m, ymax_m)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GridSpec {
    /// Western edge, metres.
    pub xmin_m: f64,
    /// Northern edge, metres.
    pub ymax_m: f64,
    /// Cell side, metres.
    pub cell_size_m: f64,
    /// Columns.
    pub ncols: usize,
    /// Rows.
    pub nrows: usize,
}

impl GridSpec {
    /// The grid over an extent as ArcGIS lays it out: the extent's top-left corner, cells of
    /// `cell_size_m` (default: the shorter side ÷ 250, ArcGIS's default), enough columns and
    /// rows to cover it. `None` when the extent is empty or degenerate and no size is given.
    #[must_use]
    pub fn over_extent(
        xmin_m: f64,
        ymin_m: f64,
        xmax_m: f64,
        ymax_m: f64,
        cell_size_m: Option<f64>,
    ) -> Option<Self> {
        let (w, h) = (xmax_m - xmin_m, ymax_m - ymin_m);
        let cell = cell_size_m.unwrap_or(w.min(h) / 250.0);
        if !(cell > 0.0 && cell.is_finite() && w >= 0.0 && h >= 0.0) {
            return None;
        }
        #[expect(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            reason = "positive, bounded by the extent"
        )]
        let count = |len: f64| ((len / cell).ceil() as usize).max(1);
        Some(Self { xmin_m, ymax_m, cell_size_m: cell, ncols: count(w), nrows: count(h) })
    }

    /// Centre of cell (row, col), metres.
    #[must_use]
    pub fn centre(&self, row: usize, col: usize) -> (f64, f64) {
        #[expect(clippy::cast_precision_loss, reason = "grid sizes are far below 2^52")]
        let (r, c) = (row as f64, col as f64);
        (self.xmin_m + (c + 0.5) * self.cell_size_m, self.ymax_m - (r + 0.5) * self.cell_size_m)
    }

    /// Number of cells.
    #[must_use]
    pub fn len(&self) -> usize {
        self.ncols * self.nrows
    }

    /// Whether the grid has no cells.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A density surface: `values[row * ncols + col]` in incidents per km² per month, NaN for
/// NoData (outside the study-area mask).
#[derive(Debug, Clone, PartialEq)]
pub struct DensityGrid {
    /// The raster layout.
    pub spec: GridSpec,
    /// Row-major values, incidents per km² per month; NaN is NoData.
    pub values: Vec<f64>,
    /// The kernel.
    pub kernel: Kernel,
    /// The bandwidth, metres.
    pub bandwidth_m: f64,
    /// Months the densities are averaged over.
    pub months: u32,
}

impl DensityGrid {
    /// The value at (row, col).
    #[must_use]
    pub fn get(&self, row: usize, col: usize) -> f64 {
        self.values[row * self.spec.ncols + col]
    }

    /// The largest value and its (row, col), ignoring NoData.
    #[must_use]
    pub fn peak(&self) -> Option<(f64, usize, usize)> {
        self.values
            .iter()
            .enumerate()
            .filter(|(_, v)| !v.is_nan())
            .max_by(|a, b| a.1.total_cmp(b.1))
            .map(|(i, v)| (*v, i / self.spec.ncols, i % self.spec.ncols))
    }
}

pub(super) fn per_km2_month(months: u32) -> f64 {
    if months == 0 { 0.0 } else { 1e6 / f64::from(months) }
}

/// The incidents' points in an R-tree with a kernel and bandwidth: the exact density at
/// any point, Σ w_i·K(d_i) over the points within the bandwidth, in incidents per km² per
/// month. Used for the grid ([`kde_exact`]) and for density at H3 cell centres.
#[derive(Debug, Clone)]
pub struct KernelSum {
    tree: RTree<GeomWithData<[f64; 2], f64>>,
    kernel: Kernel,
    bandwidth_m: f64,
    scale: f64,
}

impl KernelSum {
    /// Indexes `points` (non-finite coordinates are left out) for `kernel` with bandwidth
    /// `bandwidth_m` (metres), densities averaged over `months`.
    #[must_use]
    pub fn new(points: &[WeightedPoint], kernel: Kernel, bandwidth_m: f64, months: u32) -> Self {
        let tree = RTree::bulk_load(
            points
                .iter()
                .filter(|p| p.easting_m.is_finite() && p.northing_m.is_finite())
                .map(|p| GeomWithData::new([p.easting_m, p.northing_m], p.weight))
                .collect(),
        );
        Self { tree, kernel, bandwidth_m, scale: per_km2_month(months) }
    }

    /// The weight (incidents) within the kernel's support of (`easting_m`,
    /// `northing_m`): the points closer than the bandwidth, whose kernel is non-zero there.
    #[must_use]
    pub fn support_weight(&self, easting_m: f64, northing_m: f64) -> f64 {
        let (x, y, h) = (easting_m, northing_m, self.bandwidth_m);
        self.tree
            .locate_within_distance([x, y], h * h)
            .filter(|p| (p.geom()[0] - x).hypot(p.geom()[1] - y) < h)
            .map(|p| p.data)
            .sum()
    }

    /// The density at (`easting_m`, `northing_m`), incidents per km² per month.
    #[must_use]
    pub fn density_at(&self, easting_m: f64, northing_m: f64) -> f64 {
        let (x, y, h) = (easting_m, northing_m, self.bandwidth_m);
        let sum: f64 = self
            .tree
            .locate_within_distance([x, y], h * h)
            .map(|p| p.data * self.kernel.value_per_m2((p.geom()[0] - x).hypot(p.geom()[1] - y), h))
            .sum();
        sum * self.scale
    }
}

/// The exact kernel density at every cell centre: Σ w_i·K(d_i) over the points within the
/// bandwidth (found with an R-tree), times 1e6 ÷ `months` for incidents per km² per month.
/// Cells whose centre `keep(x, y)` rejects are NoData (NaN): the study-area mask. Edge
/// treatment: none — mass that spreads past the mask is not redistributed, so cells near a
/// coastline read lower than an edge-corrected estimate would.
#[must_use]
pub fn kde_exact(
    points: &[WeightedPoint],
    spec: &GridSpec,
    kernel: Kernel,
    bandwidth_m: f64,
    months: u32,
    keep: &(dyn Fn(f64, f64) -> bool + Sync),
) -> DensityGrid {
    let sum = KernelSum::new(points, kernel, bandwidth_m, months);
    let values = (0..spec.nrows)
        .into_par_iter()
        .flat_map_iter(|row| {
            let sum = &sum;
            (0..spec.ncols).map(move |col| {
                let (x, y) = spec.centre(row, col);
                if keep(x, y) { sum.density_at(x, y) } else { f64::NAN }
            })
        })
        .collect();
    DensityGrid { spec: *spec, values, kernel, bandwidth_m, months }
}

/// The same density by a plain double loop over every cell and every point: the baseline
/// for tests and benchmarks.
#[must_use]
pub fn kde_naive(
    points: &[WeightedPoint],
    spec: &GridSpec,
    kernel: Kernel,
    bandwidth_m: f64,
    months: u32,
) -> DensityGrid {
    let scale = per_km2_month(months);
    let mut values = Vec::with_capacity(spec.len());
    for row in 0..spec.nrows {
        for col in 0..spec.ncols {
            let (x, y) = spec.centre(row, col);
            let mut sum = 0.0;
            for p in points {
                sum += p.weight * kernel.value_per_m2((p.easting_m - x).hypot(p.northing_m - y), bandwidth_m);
            }
            values.push(sum * scale);
        }
    }
    DensityGrid { spec: *spec, values, kernel, bandwidth_m, months }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grid_around(points: &[WeightedPoint], h: f64, cell: f64) -> GridSpec {
        let xmin = points.iter().map(|p| p.easting_m).fold(f64::INFINITY, f64::min) - h;
        let xmax = points.iter().map(|p| p.easting_m).fold(f64::NEG_INFINITY, f64::max) + h;
        let ymin = points.iter().map(|p| p.northing_m).fold(f64::INFINITY, f64::min) - h;
        let ymax = points.iter().map(|p| p.northing_m).fold(f64::NEG_INFINITY, f64::max) + h;
        GridSpec::over_extent(xmin, ymin, xmax, ymax, Some(cell)).unwrap()
    }

    /// One incident: the peak is 3/(πh²) per m² (× 1e6 per km², one month), and the grid
    /// sum × cell area is the incident within 0.5 %.
    #[test]
    fn single_incident_peak_and_mass() {
        let h = 300.0;
        // Centred on a cell centre so the peak is sampled exactly.
        let spec =
            GridSpec { xmin_m: 409_000.0, ymax_m: 92_000.0, cell_size_m: 10.0, ncols: 100, nrows: 100 };
        let (x, y) = spec.centre(50, 50);
        let points = [WeightedPoint { easting_m: x, northing_m: y, weight: 1.0 }];
        let d = kde_exact(&points, &spec, Kernel::Quartic, h, 1, &|_, _| true);
        let (peak, r, c) = d.peak().unwrap();
        assert_eq!((r, c), (50, 50));
        assert!((peak - 3.0 / (std::f64::consts::PI * h * h) * 1e6).abs() < 1e-9);
        let mass: f64 = d.values.iter().sum::<f64>() / 1e6 * 100.0;
        assert!((mass - 1.0).abs() < 0.005, "{mass}");
    }

    #[test]
    fn exact_equals_naive_within_1e9_relative() {
        let points: Vec<WeightedPoint> = (0..60)
            .map(|i| {
                let f = f64::from(i);
                WeightedPoint {
                    easting_m: 409_000.0 + (f * 37.0) % 900.0,
                    northing_m: 91_000.0 + (f * 53.0) % 700.0,
                    weight: 1.0 + f64::from(i % 3),
                }
            })
            .collect();
        for kernel in Kernel::ALL {
            let spec = grid_around(&points, 250.0, 25.0);
            let exact = kde_exact(&points, &spec, kernel, 250.0, 12, &|_, _| true);
            let naive = kde_naive(&points, &spec, kernel, 250.0, 12);
            for (a, b) in exact.values.iter().zip(&naive.values) {
                assert!((a - b).abs() <= 1e-9 * b.abs().max(1e-300), "{kernel:?}: {a} vs {b}");
            }
        }
    }

    #[test]
    fn arcgis_default_cell_size_is_the_shorter_side_over_250() {
        let g = GridSpec::over_extent(0.0, 0.0, 24_700.0, 13_400.0, None).unwrap();
        assert!((g.cell_size_m - 53.6).abs() < 1e-12);
        assert_eq!((g.ncols, g.nrows), (461, 250));
    }
}
