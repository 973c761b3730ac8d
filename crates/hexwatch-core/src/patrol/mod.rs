//! Patrol deployment plans: K non-overlapping patrol areas covering the most incidents (or
//! harm-weighted incidents) of a selection, with per-area figures and Koper-curve guidance.
//!
//! A candidate *patch* is an H3 cell with its k-ring ([`PatchShape::Ring`]) or the cells
//! whose centres lie within a radius of a cell's centre ([`PatchShape::Radius`]). Patches
//! overlap, so choosing K of them is a packing problem, solved greedily with the guarantee
//! proved in [`packing`]: the plan weighs at least 1/Δ of the best possible plan, Δ being the
//! candidate set's blocking number (reported with every plan).
//!
//! # References
//! - C. S. Koper (1995), "Just enough police presence: reducing crime and disorderly
//!   behavior by optimizing patrol time in crime hot spots", *Justice Quarterly*
//!   12(4):649–672 (the Koper curve: stops of about 10–15 minutes).
//! - Ratcliffe (2000) for the aoristic hour-of-week profile ([`crate::WeekTime::add_aoristic`]).

pub mod packing;

use std::collections::HashMap;

use h3o::{CellIndex, LatLng, Resolution};

use crate::filter::Filter;
use crate::incident::IncidentTable;
use crate::stats::StudyArea;
use crate::time::{HOURS_PER_WEEK, TimePrecision, WEEKDAY_NAMES, YearMonth};

pub use packing::{Packing, blocking_number, brute_force_packing, greedy_packing, patch_weight};

/// Koper-curve guidance printed on every plan.
pub const KOPER_GUIDANCE: &str = "Visit each area for 10–15 minutes at a time, at irregular, unpredictable times, \
     with no more than about two hours between visits (Koper 1995).";

/// Most patrol areas a plan may ask for.
pub const MAX_AREAS: usize = 100;

/// Largest radius of a [`PatchShape::Radius`] patch, metres.
pub const MAX_RADIUS_M: f64 = 5_000.0;

/// Largest k of a [`PatchShape::Ring`] patch.
pub const MAX_RING_K: u32 = 10;

/// The shape of a candidate patrol area.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum PatchShape {
    /// A cell and its k-ring (k = 0: the cell alone; k = 1: 7 cells).
    Ring {
        /// Grid distance, 0 to [`MAX_RING_K`].
        k: u32,
    },
    /// The cells whose centre lies within `radius_m` metres (great-circle) of the centre
    /// cell's centre.
    Radius {
        /// Radius in metres, > 0 and at most [`MAX_RADIUS_M`].
        radius_m: f64,
    },
}

/// What a patch's weight counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Weighting {
    /// Each incident counts 1 (the default).
    #[default]
    Incidents,
    /// Each incident counts its harm weight ([`IncidentTable::weight`]).
    Harm,
}

/// Settings of [`plan_patrols`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PatrolParams {
    /// Resolution of the cells patches are made of.
    pub resolution: Resolution,
    /// Shape of every candidate patch.
    pub shape: PatchShape,
    /// Number of patrol areas K (1 to [`MAX_AREAS`]).
    pub areas: usize,
    /// Incidents or harm.
    pub weighting: Weighting,
}

/// Why a plan could not be made.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum PatrolError {
    /// K out of range.
    #[error("invalid areas (got {value}): must be 1 to {MAX_AREAS}")]
    InvalidAreas {
        /// The value given.
        value: usize,
    },
    /// Radius out of range.
    #[error("invalid radius_m (got {value}): must be > 0 and at most {MAX_RADIUS_M}")]
    InvalidRadius {
        /// The value given.
        value: f64,
    },
    /// Ring size out of range.
    #[error("invalid ring k (got {value}): must be 0 to {MAX_RING_K}")]
    InvalidRing {
        /// The value given.
        value: u32,
    },
}

/// One chosen patrol area.
#[derive(Debug, Clone, PartialEq)]
pub struct PatrolArea {
    /// 1 for the heaviest area.
    pub rank: usize,
    /// The patch's centre cell.
    pub centre: CellIndex,
    /// Longitude and latitude of the centre cell's centre, degrees.
    pub centre_lon_lat: (f64, f64),
    /// The patch's cells.
    pub cells: Vec<CellIndex>,
    /// Exact area of the cells, km².
    pub area_km2: f64,
    /// Selected incidents inside.
    pub incidents: u64,
    /// Weight inside (incidents, or harm with [`Weighting::Harm`]).
    pub weight: f64,
    /// `incidents` ÷ all selected incidents.
    pub share_of_incidents: f64,
    /// `weight` ÷ the selection's total weight.
    pub share_of_weight: f64,
    /// `incidents` ÷ [`PatrolPlan::shifts`]: incidents to expect in the area per shift.
    pub expected_per_shift: f64,
    /// Incidents by hour of the week (Monday 00:00 = bin 0), aoristic; `None` when the
    /// selection has incidents known only to the month.
    pub hour_of_week: Option<Vec<f64>>,
    /// Guidance for this area: Koper curve plus its busiest hours where known.
    pub guidance: String,
}

/// A patrol plan ([`plan_patrols`]).
#[derive(Debug, Clone, PartialEq)]
pub struct PatrolPlan {
    /// The chosen areas, heaviest first (fewer than asked when no more patch with weight fits).
    pub areas: Vec<PatrolArea>,
    /// Selected incidents (all of them, in or out of the areas).
    pub total_incidents: u64,
    /// The selection's total weight.
    pub total_weight: f64,
    /// Whether the shift windows (hours, weekdays) were applied.
    pub windows_used: bool,
    /// Why the windows were not used, when they were asked for but not applied.
    pub windows_note: Option<String>,
    /// Shifts in the period: days of the selected months on the selected weekdays (a shift =
    /// the selected hours of one such day; all days when no weekday is selected).
    pub shifts: u32,
    /// Candidate patches considered.
    pub candidates: usize,
    /// Blocking number Δ of the candidates: the plan weighs at least 1/Δ of the best plan.
    pub blocking_number: usize,
    /// The guarantee in words.
    pub guarantee: String,
    /// [`KOPER_GUIDANCE`].
    pub koper_guidance: &'static str,
}

struct CellAcc {
    incidents: u64,
    weight: f64,
    hours: [f64; HOURS_PER_WEEK],
}

/// Makes a patrol plan for the incidents `filter` selects.
///
/// The hour and weekday filters are the shift windows. When the selected data are known
/// only to the month (police.uk) or day (for an hour window), the windows cannot be applied:
/// they are dropped, the plan is made over all times, and [`PatrolPlan::windows_note`] says
/// so. With `study` the patch centres are limited to its cells (patches still include
/// neighbouring cells beyond it).
///
/// # Errors
/// [`PatrolError`] for K, ring or radius out of range.
pub fn plan_patrols(
    table: &IncidentTable,
    filter: &Filter,
    params: &PatrolParams,
    study: Option<&StudyArea>,
) -> Result<PatrolPlan, PatrolError> {
    validate(params)?;
    let (effective, windows_used, windows_note) = shift_windows(table, filter);
    let cells = accumulate(table, &effective, params.resolution, params.weighting);
    let (total_incidents, total_weight) =
        cells.values().fold((0, 0.0), |(n, w), c| (n + c.incidents, w + c.weight));

    let occupied: Vec<CellIndex> = {
        let mut v: Vec<CellIndex> = cells.keys().copied().collect();
        v.sort_unstable();
        v
    };
    let (patch_cells, centres) = candidates(&occupied, params.shape, study);
    let mut units: Vec<CellIndex> = patch_cells.iter().flatten().copied().collect();
    units.sort_unstable();
    units.dedup();
    let position: HashMap<CellIndex, usize> = units.iter().enumerate().map(|(i, c)| (*c, i)).collect();
    let unit_weights: Vec<f64> = units.iter().map(|c| cells.get(c).map_or(0.0, |a| a.weight)).collect();
    let patches: Vec<Vec<usize>> =
        patch_cells.iter().map(|p| p.iter().map(|c| position[c]).collect()).collect();

    let packing = greedy_packing(&patches, &unit_weights, params.areas);
    let delta = blocking_number(&patches, units.len());
    let shifts = count_shifts(table, &effective);
    let with_times = table
        .coarsest_precision_of(effective.categories.as_deref())
        .is_some_and(|p| p > TimePrecision::Month);

    let areas = packing
        .chosen
        .iter()
        .enumerate()
        .map(|(rank, &i)| {
            let mut cells_here = patch_cells[i].clone();
            cells_here.sort_unstable();
            let (incidents, weight) = cells_here
                .iter()
                .filter_map(|c| cells.get(c))
                .fold((0, 0.0), |(n, w), a| (n + a.incidents, w + a.weight));
            let hour_of_week = with_times.then(|| {
                let mut bins = vec![0.0; HOURS_PER_WEEK];
                for a in cells_here.iter().filter_map(|c| cells.get(c)) {
                    for (b, v) in bins.iter_mut().zip(a.hours.iter()) {
                        *b += v;
                    }
                }
                bins
            });
            let centre = centres[i];
            let ll = LatLng::from(centre);
            PatrolArea {
                rank: rank + 1,
                centre,
                centre_lon_lat: (ll.lng(), ll.lat()),
                area_km2: cells_here.iter().map(|c| c.area_km2()).sum(),
                incidents,
                weight,
                share_of_incidents: ratio(as_f64(incidents), as_f64(total_incidents)),
                share_of_weight: ratio(weight, total_weight),
                expected_per_shift: ratio(as_f64(incidents), f64::from(shifts)),
                guidance: area_guidance(hour_of_week.as_deref()),
                hour_of_week,
                cells: cells_here,
            }
        })
        .collect();

    Ok(PatrolPlan {
        areas,
        total_incidents,
        total_weight,
        windows_used,
        windows_note,
        shifts,
        candidates: patches.len(),
        blocking_number: delta,
        guarantee: format!(
            "greedy choice: at least 1/{delta} of the largest weight any {} non-overlapping candidate areas could cover \
             (Δ = {delta}: at most {delta} non-overlapping candidates overlap any one candidate)",
            params.areas
        ),
        koper_guidance: KOPER_GUIDANCE,
    })
}

fn validate(params: &PatrolParams) -> Result<(), PatrolError> {
    if params.areas == 0 || params.areas > MAX_AREAS {
        return Err(PatrolError::InvalidAreas { value: params.areas });
    }
    match params.shape {
        PatchShape::Ring { k } if k > MAX_RING_K => Err(PatrolError::InvalidRing { value: k }),
        PatchShape::Radius { radius_m } if !(radius_m > 0.0 && radius_m <= MAX_RADIUS_M) => {
            Err(PatrolError::InvalidRadius { value: radius_m })
        }
        _ => Ok(()),
    }
}

/// The filter actually applied, whether the windows were, and why not.
fn shift_windows(table: &IncidentTable, filter: &Filter) -> (Filter, bool, Option<String>) {
    if !filter.has_time_filter() {
        return (filter.clone(), false, None);
    }
    let precision = table.coarsest_precision_of(filter.categories.as_deref());
    let needed = if filter.hours.is_some() { TimePrecision::Hour } else { TimePrecision::Day };
    match precision {
        Some(p) if p < needed => {
            let mut all_times = filter.clone();
            all_times.hours = None;
            all_times.weekdays = None;
            let note = format!(
                "the shift windows could not be used: the selected data are known only to the {} \
                 (the {} filter needs {} precision); the plan covers all times",
                p.as_str(),
                if filter.hours.is_some() { "hours" } else { "weekdays" },
                needed.as_str()
            );
            (all_times, false, Some(note))
        }
        _ => (filter.clone(), true, None),
    }
}

fn accumulate(
    table: &IncidentTable,
    filter: &Filter,
    resolution: Resolution,
    weighting: Weighting,
) -> HashMap<CellIndex, CellAcc> {
    let mask = filter.category_mask(table.categories().len());
    let area = filter.area_test(table);
    let location_cells = table.location_cells_at(resolution);
    let mut cells: HashMap<CellIndex, CellAcc> = HashMap::new();
    for i in 0..table.len() {
        if !filter.keeps_incident(table, &mask, &area, i) {
            continue;
        }
        let cell = location_cells[table.location_column()[i].index()];
        let w = match weighting {
            Weighting::Incidents => 1.0,
            Weighting::Harm => f64::from(table.weight(i)),
        };
        let acc = cells.entry(cell).or_insert_with(|| CellAcc {
            incidents: 0,
            weight: 0.0,
            hours: [0.0; HOURS_PER_WEEK],
        });
        acc.incidents += 1;
        acc.weight += w;
        if let Some(t) = table.week_time(i) {
            t.add_aoristic(&mut acc.hours, 1.0);
        }
    }
    cells
}

/// The cells of a patch centred on `centre`.
#[must_use]
pub fn patch_cells(centre: CellIndex, shape: PatchShape) -> Vec<CellIndex> {
    match shape {
        PatchShape::Ring { k } => centre.grid_disk(k),
        PatchShape::Radius { radius_m } => {
            let spacing_m = centre.resolution().edge_length_m() * 3_f64.sqrt();
            let k = (radius_m / spacing_m).ceil() + 1.0;
            #[expect(
                clippy::cast_possible_truncation,
                clippy::cast_sign_loss,
                reason = "k ≤ 5 km ÷ cell spacing + 1, small"
            )]
            let k = k as u32;
            let origin = LatLng::from(centre);
            let disk: Vec<CellIndex> = centre.grid_disk(k);
            disk.into_iter().filter(|c| origin.distance_m(LatLng::from(*c)) <= radius_m).collect()
        }
    }
}

/// Candidate patches (their cells) and their centres: every cell whose patch can hold an
/// occupied cell (a patch of no weight is never chosen), within `study` when given.
fn candidates(
    occupied: &[CellIndex],
    shape: PatchShape,
    study: Option<&StudyArea>,
) -> (Vec<Vec<CellIndex>>, Vec<CellIndex>) {
    let mut centres: Vec<CellIndex> = occupied.iter().flat_map(|&c| patch_cells(c, shape)).collect();
    centres.sort_unstable();
    centres.dedup();
    // A study area at another resolution cannot name these cells: it is not applied.
    if let Some(study) = study.filter(|s| occupied.first().is_some_and(|c| c.resolution() == s.resolution()))
    {
        centres.retain(|c| study.position(*c).is_some());
    }
    let patches = centres.iter().map(|&c| patch_cells(c, shape)).collect();
    (patches, centres)
}

/// Days of the selected months (the filter's range within the data's) on the kept weekdays.
fn count_shifts(table: &IncidentTable, filter: &Filter) -> u32 {
    let Some((first, last)) = table.month_span() else {
        return 0;
    };
    let from = filter.from.map_or(first, |f| f.max(first));
    let to = filter.to.map_or(last, |t| t.min(last));
    let weekdays = filter.weekdays.unwrap_or(0x7f);
    let mut n = 0;
    let mut month = from;
    while month <= to {
        let start = days_from_civil(month.year(), month.month(), 1);
        for d in 0..days_in_month(month) {
            // 1970-01-01 was a Thursday (weekday 3, Monday = 0).
            let weekday = (start + i64::from(d) + 3).rem_euclid(7);
            if weekdays & (1 << weekday) != 0 {
                n += 1;
            }
        }
        month = month.add_months(1);
    }
    n
}

/// Days from 1970-01-01 to the date (H. Hinnant's `days_from_civil`).
fn days_from_civil(year: i32, month: u32, day: u32) -> i64 {
    let y = i64::from(year) - i64::from(month <= 2);
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Days in a month.
fn days_in_month(month: YearMonth) -> u32 {
    let next = month.add_months(1);
    let days =
        days_from_civil(next.year(), next.month(), 1) - days_from_civil(month.year(), month.month(), 1);
    u32::try_from(days).unwrap_or(30)
}

/// "Fri 22:00" for an hour-of-week bin.
#[must_use]
pub fn hour_of_week_label(bin: usize) -> String {
    let day = WEEKDAY_NAMES[(bin / 24) % 7];
    let mut name = day.to_string();
    if let Some(first) = name.get_mut(0..1) {
        first.make_ascii_uppercase();
    }
    format!("{name} {:02}:00", bin % 24)
}

fn area_guidance(hours: Option<&[f64]>) -> String {
    let Some(hours) = hours else {
        return format!("{KOPER_GUIDANCE} Times of day are not known for these data.");
    };
    let mut order: Vec<usize> = (0..hours.len()).filter(|&b| hours[b] > 0.0).collect();
    order.sort_by(|&a, &b| hours[b].total_cmp(&hours[a]).then(a.cmp(&b)));
    if order.is_empty() {
        return KOPER_GUIDANCE.to_string();
    }
    let busiest: Vec<String> = order.iter().take(3).map(|&b| hour_of_week_label(b)).collect();
    format!("{KOPER_GUIDANCE} Busiest hours: {}.", busiest.join(", "))
}

#[expect(clippy::cast_precision_loss, reason = "incident counts are far below 2^52")]
const fn as_f64(n: u64) -> f64 {
    n as f64
}

fn ratio(a: f64, b: f64) -> f64 {
    if b > 0.0 { a / b } else { 0.0 }
}

#[cfg(test)]
#[path = "plan_tests.rs"]
mod tests;
