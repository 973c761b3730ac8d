//! Summaries of a selection: totals by category, month, location and ward.

use std::collections::{BTreeMap, HashMap};

use h3o::CellIndex;
use rayon::prelude::*;

use crate::area::AreaId;
use crate::filter::Filter;
use crate::incident::{IncidentTable, LocationId};
use crate::time::{HOURS_PER_WEEK, YearMonth};

/// Which incidents a summary covers, on top of a [`Filter`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Everything the filter keeps.
    All,
    /// Incidents whose location lies in this H3 cell (at the cell's own resolution, indexed
    /// from coordinates as tiles are, so the count equals the tile's `count`).
    Cell(CellIndex),
    /// Incidents in this ward.
    Ward(AreaId),
    /// Incidents in this LSOA.
    Lsoa(AreaId),
}

/// Counts of the incidents a filter and scope select.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Summary {
    /// Incidents selected.
    pub total: u64,
    /// Per category, indexed by [`crate::CategoryId`].
    pub by_category: Vec<u64>,
    /// Per month present.
    pub by_month: BTreeMap<YearMonth, u64>,
    /// Per distinct location, highest first (ties by location id).
    pub by_location: Vec<(LocationId, u64)>,
    /// Per ward (`None`: outside every ward), highest first.
    pub by_ward: Vec<(Option<AreaId>, u64)>,
    /// Hour-of-week profile in local wall-clock time (bin = weekday × 24 + hour, Monday
    /// 0): each incident whose time is known adds 1, spread aoristically over the hours
    /// its window covers ([`crate::WeekTime::add_aoristic`]); empty when no incident has a
    /// time finer than the month.
    pub hour_of_week: Vec<f64>,
    /// Selected incidents known only to the month (left out of `hour_of_week`).
    pub month_only: u64,
}

#[derive(Default)]
struct Partial {
    total: u64,
    hour_of_week: Vec<f64>,
    month_only: u64,
    by_category: Vec<u64>,
    by_month: HashMap<YearMonth, u64>,
    by_location: HashMap<LocationId, u64>,
    by_ward: HashMap<Option<AreaId>, u64>,
}

impl Partial {
    fn merge(mut self, other: Self) -> Self {
        self.total += other.total;
        self.month_only += other.month_only;
        if self.hour_of_week.is_empty() {
            self.hour_of_week = other.hour_of_week;
        } else {
            for (a, b) in self.hour_of_week.iter_mut().zip(other.hour_of_week) {
                *a += b;
            }
        }
        if self.by_category.len() < other.by_category.len() {
            self.by_category.resize(other.by_category.len(), 0);
        }
        for (a, b) in self.by_category.iter_mut().zip(other.by_category) {
            *a += b;
        }
        for (k, v) in other.by_month {
            *self.by_month.entry(k).or_default() += v;
        }
        for (k, v) in other.by_location {
            *self.by_location.entry(k).or_default() += v;
        }
        for (k, v) in other.by_ward {
            *self.by_ward.entry(k).or_default() += v;
        }
        self
    }
}

fn ranked<K: Ord + Copy>(map: HashMap<K, u64>) -> Vec<(K, u64)> {
    let mut v: Vec<_> = map.into_iter().collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    v
}

/// Summarises the incidents that `filter` keeps within `scope` (Rayon fold and merge).
#[must_use]
pub fn summarise(table: &IncidentTable, filter: &Filter, scope: Scope) -> Summary {
    let n = table.categories().len();
    let mask = filter.category_mask(n);
    let cells = match scope {
        Scope::Cell(cell) => Some((cell, table.location_cells_at(cell.resolution()))),
        _ => None,
    };
    let (categories, months, locations, wards) =
        (table.category_column(), table.month_column(), table.location_column(), table.ward_column());
    let (lsoas, area) = (table.lsoa_column(), filter.area_test(table));
    let partial = (0..table.len())
        .into_par_iter()
        .with_min_len(16_384)
        .fold(
            || Partial { by_category: vec![0; n], ..Partial::default() },
            |mut acc, i| {
                let c = categories[i].index();
                let in_scope = match (scope, &cells) {
                    (Scope::All, _) => true,
                    (Scope::Cell(_), Some((cell, at))) => at[locations[i].index()] == *cell,
                    (Scope::Ward(w), _) => wards[i] == Some(w),
                    (Scope::Lsoa(l), _) => lsoas[i] == Some(l),
                    (Scope::Cell(_), None) => false,
                };
                if in_scope && filter.keeps_incident(table, &mask, &area, i) {
                    acc.total += 1;
                    acc.by_category[c] += 1;
                    *acc.by_month.entry(months[i]).or_default() += 1;
                    *acc.by_location.entry(locations[i]).or_default() += 1;
                    *acc.by_ward.entry(wards[i]).or_default() += 1;
                    match table.week_time(i) {
                        Some(w) => {
                            let bins: &mut [f64; HOURS_PER_WEEK] = {
                                if acc.hour_of_week.is_empty() {
                                    acc.hour_of_week = vec![0.0; HOURS_PER_WEEK];
                                }
                                (&mut acc.hour_of_week[..]).try_into().expect("168 bins")
                            };
                            w.add_aoristic(bins, 1.0);
                        }
                        None => acc.month_only += 1,
                    }
                }
                acc
            },
        )
        .reduce(|| Partial { by_category: vec![0; n], ..Partial::default() }, Partial::merge);
    Summary {
        total: partial.total,
        by_category: partial.by_category,
        by_month: partial.by_month.into_iter().collect(),
        by_location: ranked(partial.by_location),
        by_ward: ranked(partial.by_ward),
        hour_of_week: partial.hour_of_week,
        month_only: partial.month_only,
    }
}

/// Incidents per ward and category that `filter` keeps (its area is ignored):
/// `counts[ward][category]`, wards in [`AreaId`] order.
#[must_use]
pub fn aggregate_wards(table: &IncidentTable, filter: &Filter, n_wards: usize) -> Vec<Vec<u64>> {
    aggregate_by_area(table, filter, table.ward_column(), n_wards)
}

/// Incidents per LSOA and category that `filter` keeps (its area is ignored):
/// `counts[lsoa][category]`, LSOAs in [`AreaId`] order of the LSOA set the table was
/// assigned with (membership from the source's own LSOA code where it has one).
#[must_use]
pub fn aggregate_lsoas(table: &IncidentTable, filter: &Filter, n_lsoas: usize) -> Vec<Vec<u64>> {
    aggregate_by_area(table, filter, table.lsoa_column(), n_lsoas)
}

/// Counts per area of a per-incident membership column and per category.
fn aggregate_by_area(
    table: &IncidentTable,
    filter: &Filter,
    areas: &[Option<AreaId>],
    n_areas: usize,
) -> Vec<Vec<u64>> {
    let n = table.categories().len();
    let mask = filter.category_mask(n);
    let (categories, months) = (table.category_column(), table.month_column());
    let zero = || vec![vec![0_u64; n]; n_areas];
    (0..table.len())
        .into_par_iter()
        .with_min_len(16_384)
        .fold(zero, |mut acc, i| {
            let c = categories[i].index();
            if let Some(a) = areas[i]
                && mask[c]
                && filter.keeps_month(months[i])
                && filter.keeps_flags(table.flags(i))
                && filter.keeps_time(table, i)
                && let Some(row) = acc.get_mut(a.index())
            {
                row[c] += 1;
            }
            acc
        })
        .reduce(zero, |mut a, b| {
            for (ra, rb) in a.iter_mut().zip(b) {
                for (x, y) in ra.iter_mut().zip(rb) {
                    *x += y;
                }
            }
            a
        })
}

/// The period of equal length just before `from..=to`: `(from - len, from - 1)`.
///
/// ```
/// use hexwatch_core::{YearMonth, previous_period};
/// let (f, t) = previous_period("2025-04".parse()?, "2025-06".parse()?);
/// assert_eq!((f.to_string(), t.to_string()), ("2025-01".to_owned(), "2025-03".to_owned()));
/// # Ok::<(), hexwatch_core::YearMonthError>(())
/// ```
#[must_use]
pub fn previous_period(from: YearMonth, to: YearMonth) -> (YearMonth, YearMonth) {
    let len = i32::try_from(from.months_through(to)).unwrap_or(0);
    (from.add_months(-len), from.add_months(-1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::incident::{FINEST_RESOLUTION, IncidentTableBuilder, NewIncident};
    use crate::units::BngPoint;
    use h3o::{LatLng, Resolution};

    #[test]
    fn summary_of_a_cell_counts_what_the_aggregate_counts() {
        let mut b = IncidentTableBuilder::new();
        let asb = b.category_id("Anti-social behaviour");
        let drugs = b.category_id("Drugs");
        // Three hand-placed incidents: two at one point in two months, one 5 km away.
        let points =
            [(-1.866628, 50.722301, asb, 1), (-1.866628, 50.722301, drugs, 2), (-1.80, 50.74, asb, 2)];
        for (lon, lat, category, month) in points {
            let cell = LatLng::new(lat, lon).unwrap().to_cell(FINEST_RESOLUTION);
            let incident = NewIncident::monthly(
                category,
                YearMonth::new(2025, month).unwrap(),
                lon,
                lat,
                BngPoint { easting_m: 0.0, northing_m: 0.0 },
                cell,
            );
            b.push_described(incident, Some("On or near Lansdowne Crescent"));
        }
        let table = b.build(None);
        let cell = LatLng::new(50.722301, -1.866628).unwrap().to_cell(Resolution::Nine);
        let s = summarise(&table, &Filter::default(), Scope::Cell(cell));
        assert_eq!(s.total, 2);
        assert_eq!(s.by_category, [1, 1]);
        assert_eq!(s.by_month.values().copied().collect::<Vec<_>>(), [1, 1]);
        assert_eq!(s.by_location.len(), 1);
        assert_eq!(table.location_description(s.by_location[0].0), Some("On or near Lansdowne Crescent"));
        let all = summarise(&table, &Filter::default(), Scope::All);
        assert_eq!((all.total, all.by_category.clone()), (3, vec![2, 1]));
    }
}
