//! Counts per H3 cell and category, as mergeable partials.

use std::collections::{BTreeMap, HashMap};

use h3o::{CellIndex, Resolution};
use rayon::prelude::*;

use crate::filter::Filter;
use crate::incident::IncidentTable;

/// Incident counts of one cell, indexed by [`crate::CategoryId`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CellCounts {
    by_category: Vec<u32>,
}

impl CellCounts {
    fn zero(n_categories: usize) -> Self {
        Self { by_category: vec![0; n_categories] }
    }

    /// Counts per category, indexed by [`crate::CategoryId`].
    #[must_use]
    pub fn by_category(&self) -> &[u32] {
        &self.by_category
    }

    /// All incidents in the cell.
    #[must_use]
    pub fn total(&self) -> u32 {
        self.by_category.iter().sum()
    }

    fn add(&mut self, other: &Self) {
        for (a, b) in self.by_category.iter_mut().zip(&other.by_category) {
            *a += b;
        }
    }
}

/// Counts per H3 cell at one resolution: a partial that merges associatively and
/// commutatively, so Rayon folds (or shards of a distributed engine) can be combined.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CellAggregate {
    resolution: Resolution,
    n_categories: usize,
    cells: HashMap<CellIndex, CellCounts>,
}

impl CellAggregate {
    /// An empty partial.
    #[must_use]
    pub fn new(resolution: Resolution, n_categories: usize) -> Self {
        Self { resolution, n_categories, cells: HashMap::new() }
    }

    /// Adds the counts of a run of incidents in `cell` and zeroes `run` for the next one.
    fn add_run(&mut self, cell: CellIndex, run: &mut [u32]) {
        let n = self.n_categories;
        let counts = self.cells.entry(cell).or_insert_with(|| CellCounts::zero(n));
        for (a, b) in counts.by_category.iter_mut().zip(run.iter_mut()) {
            *a += std::mem::take(b);
        }
    }

    /// Adds `other` into `self`.
    ///
    /// # Panics
    /// When the two partials have different resolutions or category counts (a programming
    /// error: partials of one query share both).
    pub fn merge(&mut self, other: Self) {
        assert_eq!(self.resolution, other.resolution, "merging partials of different resolutions");
        assert_eq!(self.n_categories, other.n_categories, "merging partials of different categories");
        if self.cells.len() < other.cells.len() {
            let mine = std::mem::replace(&mut self.cells, other.cells);
            for (cell, counts) in mine {
                self.merge_cell(cell, &counts);
            }
        } else {
            for (cell, counts) in other.cells {
                self.merge_cell(cell, &counts);
            }
        }
    }

    fn merge_cell(&mut self, cell: CellIndex, counts: &CellCounts) {
        let n = self.n_categories;
        self.cells.entry(cell).or_insert_with(|| CellCounts::zero(n)).add(counts);
    }

    /// The H3 resolution of the cells.
    #[must_use]
    pub const fn resolution(&self) -> Resolution {
        self.resolution
    }

    /// Number of categories per cell.
    #[must_use]
    pub const fn n_categories(&self) -> usize {
        self.n_categories
    }

    /// Number of cells with at least one incident.
    #[must_use]
    pub fn len(&self) -> usize {
        self.cells.len()
    }

    /// Whether no cell has an incident.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.cells.is_empty()
    }

    /// Counts of one cell (`None` when it has no incident).
    #[must_use]
    pub fn get(&self, cell: CellIndex) -> Option<&CellCounts> {
        self.cells.get(&cell)
    }

    /// All cells, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (CellIndex, &CellCounts)> {
        self.cells.iter().map(|(c, n)| (*c, n))
    }

    /// Sum of all counts.
    #[must_use]
    pub fn total(&self) -> u64 {
        self.cells.values().map(|c| u64::from(c.total())).sum()
    }

    /// Cells ranked by total count, highest first; ties broken by cell index so the order
    /// is deterministic.
    #[must_use]
    pub fn ranked(&self) -> Vec<(CellIndex, &CellCounts)> {
        let mut v: Vec<_> = self.iter().collect();
        v.sort_by(|a, b| b.1.total().cmp(&a.1.total()).then(a.0.cmp(&b.0)));
        v
    }

    /// The counts as an ordered map (cell → per-category counts), for comparisons.
    #[must_use]
    pub fn to_btree(&self) -> BTreeMap<CellIndex, Vec<u32>> {
        self.cells.iter().map(|(c, n)| (*c, n.by_category.clone())).collect()
    }
}

/// Incidents per km² per month: `count ÷ area_km2 ÷ months`.
///
/// The unit used for every hexagon colour and density in hexwatch, so one colour scale
/// holds at every H3 resolution, zoom and period; `area_km2` is the cell's exact area
/// (`CellIndex::area_km2`), not the resolution's average (H3 areas vary with position).
/// Returns 0 when `months` is 0 or the area is not positive.
///
/// ```
/// // 244 incidents over 12 months in a 0.1 km² cell: 203.3 per km² per month.
/// let d = hexwatch_core::density_per_km2_month(244, 0.1, 12);
/// assert!((d - 203.333_333_333).abs() < 1e-6);
/// ```
#[must_use]
pub fn density_per_km2_month(count: u32, area_km2: f64, months: u32) -> f64 {
    if months == 0 || area_km2 <= 0.0 {
        return 0.0;
    }
    f64::from(count) / area_km2 / f64::from(months)
}

/// Fewest incidents worth a worker of their own.
const MIN_PART: usize = 65_536;

/// Counts incidents passing `filter` per H3 cell at `resolution` and per category,
/// Rayon-parallel: one contiguous range of the table per worker is counted into a partial,
/// then the partials are merged.
///
/// Each distinct location's cell at `resolution` is indexed once (see
/// [`crate::INDEXED_RESOLUTIONS`]), then incidents are counted through their location.
/// Within a range, consecutive incidents in the same cell are counted into one small
/// buffer that is added to the partial when the cell changes, so on a table clustered by
/// location ([`IncidentTable::cluster_by_location`], as the store loads it) the cost per
/// incident is the filter test and one increment, and the partial's map is touched once
/// per run of a cell rather than once per incident. Any order gives the same counts.
#[must_use]
pub fn aggregate_cells(table: &IncidentTable, filter: &Filter, resolution: Resolution) -> CellAggregate {
    let n = table.categories().len();
    let loc_cells = table.location_cells_at(resolution);
    let mask = filter.category_mask(n);
    let categories = table.category_column();
    let locations = table.location_column();
    let area = filter.area_test(table);
    let len = table.len();
    // One contiguous range per worker: each partial map is merged once, and a range's
    // incidents stream through memory in table order.
    let parts = rayon::current_num_threads().clamp(1, len.div_ceil(MIN_PART).max(1));
    let step = len.div_ceil(parts).max(1);
    (0..parts)
        .into_par_iter()
        .map(|k| {
            let mut acc = CellAggregate::new(resolution, n);
            let mut run = vec![0_u32; n];
            let mut run_cell: Option<CellIndex> = None;
            let mut last_location = None;
            for i in k * step..len.min((k + 1) * step) {
                if !filter.keeps_incident(table, &mask, &area, i) {
                    continue;
                }
                let location = locations[i];
                if last_location != Some(location) {
                    last_location = Some(location);
                    let cell = loc_cells[location.index()];
                    if run_cell != Some(cell) {
                        if let Some(previous) = run_cell {
                            acc.add_run(previous, &mut run);
                        }
                        run_cell = Some(cell);
                    }
                }
                run[categories[i].index()] += 1;
            }
            if let Some(cell) = run_cell {
                acc.add_run(cell, &mut run);
            }
            acc
        })
        .reduce(
            || CellAggregate::new(resolution, n),
            |mut a, b| {
                a.merge(b);
                a
            },
        )
}

/// The same counts as [`aggregate_cells`], with one thread, indexing every incident's
/// coordinates afresh with h3o and sharing no code path beyond the filter predicates: the
/// baseline for tests and benchmarks.
#[must_use]
pub fn aggregate_cells_sequential(
    table: &IncidentTable,
    filter: &Filter,
    resolution: Resolution,
) -> BTreeMap<CellIndex, Vec<u32>> {
    let n = table.categories().len();
    let mut out: BTreeMap<CellIndex, Vec<u32>> = BTreeMap::new();
    let area = filter.area_test(table);
    for i in 0..table.len() {
        let category = table.category_column()[i];
        if let Some(ids) = &filter.categories
            && !ids.contains(&category)
        {
            continue;
        }
        if !filter.keeps_month(table.month_column()[i])
            || !area.keeps(i)
            || !filter.keeps_flags(table.flags(i))
            || !filter.keeps_time(table, i)
        {
            continue;
        }
        let (lon, lat) = table.location_lon_lat(table.location_column()[i]);
        let Ok(ll) = h3o::LatLng::new(lat, lon) else {
            continue;
        };
        let cell = ll.to_cell(resolution);
        out.entry(cell).or_insert_with(|| vec![0; n])[category.index()] += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filter::AreaFilter;
    use crate::incident::{FINEST_RESOLUTION, IncidentTableBuilder, NewIncident};
    use crate::time::YearMonth;
    use crate::units::BngPoint;
    use h3o::LatLng;
    use proptest::prelude::*;

    fn table_from(points: &[(f64, f64, u8, u8)]) -> IncidentTable {
        let mut b = IncidentTableBuilder::new();
        let names = ["Anti-social behaviour", "Violence and sexual offences", "Burglary"];
        for &(lon, lat, cat, month) in points {
            let category = b.category_id(names[usize::from(cat % 3)]);
            let cell = LatLng::new(lat, lon).unwrap().to_cell(FINEST_RESOLUTION);
            b.push(NewIncident::monthly(
                category,
                YearMonth::new(2025, u32::from(month % 12) + 1).unwrap(),
                lon,
                lat,
                BngPoint { easting_m: 0.0, northing_m: 0.0 },
                cell,
            ));
        }
        b.build(None)
    }

    fn point() -> impl Strategy<Value = (f64, f64, u8, u8)> {
        // A 10 km square in Bournemouth, snapped to a coarse grid so locations repeat.
        (0_u32..40, 0_u32..40, any::<u8>(), any::<u8>()).prop_map(|(x, y, c, m)| {
            (f64::from(x).mul_add(0.0025, -1.95), f64::from(y).mul_add(0.0025, 50.70), c, m)
        })
    }

    proptest! {
        #[test]
        fn rayon_equals_sequential_loop(points in prop::collection::vec(point(), 0..3000), res in 5_u8..=12, from in 0_u8..12, len in 0_u8..12) {
            let table = table_from(&points);
            let res = Resolution::try_from(res).unwrap();
            let first = YearMonth::new(2025, u32::from(from) + 1).unwrap();
            let filter = Filter { categories: table.find_category("burglary").map(|b| vec![b]).filter(|_| len % 2 == 0),
                from: Some(first), to: Some(first.add_months(i32::from(len))), area: AreaFilter::All, ..Filter::default() };
            prop_assert_eq!(aggregate_cells(&table, &filter, res).to_btree(), aggregate_cells_sequential(&table, &filter, res));
        }

        #[test]
        fn merge_is_commutative_and_counts_add_up(a in prop::collection::vec(point(), 0..500), b in prop::collection::vec(point(), 0..500)) {
            let all: Vec<_> = a.iter().chain(&b).copied().collect();
            let whole = table_from(&all);
            // Same category ids across tables: all three names appear first in this order.
            let prefix: Vec<_> = [(-1.9, 50.7, 0, 0), (-1.9, 50.7, 1, 0), (-1.9, 50.7, 2, 0)].into();
            let ta = table_from(&prefix.iter().chain(&a).copied().collect::<Vec<_>>());
            let tb = table_from(&prefix.iter().chain(&b).copied().collect::<Vec<_>>());
            let tw = table_from(&prefix.iter().chain(&prefix).chain(&all).copied().collect::<Vec<_>>());
            let f = Filter::default();
            let mut ab = aggregate_cells(&ta, &f, Resolution::Nine);
            ab.merge(aggregate_cells(&tb, &f, Resolution::Nine));
            let mut ba = aggregate_cells(&tb, &f, Resolution::Nine);
            ba.merge(aggregate_cells(&ta, &f, Resolution::Nine));
            prop_assert_eq!(&ab, &ba);
            prop_assert_eq!(ab.to_btree(), aggregate_cells(&tw, &f, Resolution::Nine).to_btree());
            prop_assert_eq!(aggregate_cells(&whole, &f, Resolution::Nine).total(), all.len() as u64);
        }
    }
}
