//! The columnar incident table.

use std::collections::HashMap;

use h3o::{CellIndex, LatLng, Resolution};
use rayon::prelude::*;

use crate::area::{AreaId, AreaSet, AreaSets, WardIndex};
use crate::category::{Category, CategoryId};
use crate::time::{TimePrecision, WeekTime, YearMonth};
use crate::units::BngPoint;

/// The H3 resolution stored per location in the store (the finest H3 has).
pub const FINEST_RESOLUTION: Resolution = Resolution::Fifteen;

/// Resolutions whose cells are indexed for every location when the table is built.
///
/// Each is computed from the location's coordinates (`LatLng::to_cell`), not as the
/// `parent` of the finest cell: H3's aperture-7 hierarchy is not exactly nested, and on the
/// Dorset data the parent path moves whole snap points between resolution-9 cells (it gives
/// `8919597154fffff` 255 BCP ASB incidents where the cell drawn on the map holds 229).
/// A count must match the hexagon it is drawn as.
pub const INDEXED_RESOLUTIONS: std::ops::RangeInclusive<u8> = 5..=12;

/// Index of a distinct location in an [`IncidentTable`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LocationId(pub u32);

impl LocationId {
    /// The index as `usize`.
    #[must_use]
    pub const fn index(self) -> usize {
        self.0 as usize
    }
}

/// Incidents as columns, one entry per incident in each per-incident vector.
///
/// police.uk snaps many incidents to one anonymised map point (7,945 points for 55,863
/// Dorset incidents), so coordinates, projected metres, the finest H3 cell and ward live in
/// per-location columns, each distinct location computed once, and incidents point at them.
#[derive(Debug, Default)]
pub struct IncidentTable {
    categories: Vec<Category>,
    category: Vec<CategoryId>,
    month: Vec<YearMonth>,
    precision: Vec<TimePrecision>,
    /// Local start minute of the week, `u16::MAX` when only the month is known.
    start_minute: SparseColumn<u16>,
    /// Window length in wall-clock minutes (0: an instant).
    window_min: SparseColumn<u32>,
    /// Flags as bits of [`IncidentTable::flag_names`].
    flags: SparseColumn<u32>,
    /// Per-incident weight (harm weights from partner data; 1 otherwise).
    weight: SparseColumn<f32>,
    flag_names: Vec<String>,
    /// The coarsest precision of each category, indexed by [`CategoryId`].
    category_precision: Vec<TimePrecision>,
    location: Vec<LocationId>,
    ward: Vec<Option<AreaId>>,
    loc_lon: Vec<f64>,
    loc_lat: Vec<f64>,
    loc_bng: Vec<BngPoint>,
    loc_cell: Vec<CellIndex>,
    /// `loc_cells_by_res[r - 5][location]`: the location's cell at resolution `r` in [`INDEXED_RESOLUTIONS`].
    loc_cells_by_res: Vec<Vec<CellIndex>>,
    loc_ward: Vec<Option<AreaId>>,
    /// The source's description of each location (police.uk `Location`, e.g. "On or near
    /// Lansdowne Crescent"), the first one seen.
    /// As an index into `descriptions` ([`NONE_U32`]: none), the texts stored once.
    loc_description: Vec<u32>,
    /// The distinct location descriptions.
    descriptions: Vec<Box<str>>,
    /// Per incident: the source's own LSOA code (police.uk `LSOA code`), as an index into
    /// `lsoa_codes`; [`NONE_U32`] when the source gave none.
    source_lsoa: Vec<u32>,
    /// The distinct source LSOA codes.
    lsoa_codes: Vec<Box<str>>,
    /// Per incident: the LSOA of the table's LSOA set (`None`: in none, or no set).
    lsoa: Vec<Option<AreaId>>,
    /// `loc_custom[set][location]`: the location's area in each custom set, in
    /// [`AreaSets::custom`] order.
    loc_custom: Vec<Vec<Option<AreaId>>>,
}

/// The "none" value of the table's `u32` index columns (a source LSOA code, a location
/// description): 4 bytes per entry where `Option<u32>` takes 8.
const NONE_U32: u32 = u32::MAX;

/// Default values of the sparse columns.
const NO_START_MINUTE: u16 = u16::MAX;
const UNIT_WEIGHT: f32 = 1.0;

/// A per-incident column whose values are nearly always one default (police.uk data carry
/// no times, flags or weights): it holds no values until one differs from the default, then
/// holds one per incident. Saves 14 bytes per incident on month-precision data.
#[derive(Debug, Clone, Default)]
struct SparseColumn<T> {
    values: Vec<T>,
}

impl<T: Copy + PartialEq + Send + Sync> SparseColumn<T> {
    /// Appends the value of incident `len_before` (the number already in the table).
    fn push(&mut self, len_before: usize, value: T, default: T) {
        if self.values.is_empty() {
            if value == default {
                return;
            }
            self.values = vec![default; len_before];
        }
        self.values.push(value);
    }

    /// The value of incident `i`.
    #[inline]
    fn get(&self, i: usize, default: T) -> T {
        if self.values.is_empty() { default } else { self.values[i] }
    }

    /// Whether every incident has the default value.
    fn is_all_default(&self) -> bool {
        self.values.is_empty()
    }

    fn permute(&mut self, order: &[u32]) {
        if !self.values.is_empty() {
            self.values = permuted(&self.values, order);
        }
    }

    fn heap_bytes(&self) -> usize {
        vec_bytes(&self.values)
    }

    fn shrink(&mut self) {
        self.values.shrink_to_fit();
    }
}

/// `values` reordered so that entry k is `values[order[k]]`.
fn permuted<T: Copy + Send + Sync>(values: &[T], order: &[u32]) -> Vec<T> {
    order.par_iter().map(|&i| values[i as usize]).collect()
}

/// Heap bytes a vector holds (its capacity, not its length).
const fn vec_bytes<T>(v: &Vec<T>) -> usize {
    v.capacity() * std::mem::size_of::<T>()
}

/// Heap memory of an [`IncidentTable`] in bytes, split as the scale targets count it:
/// the columns (per incident and per location, with their dictionaries) and the derived
/// indexes (each location's H3 cell at every [`INDEXED_RESOLUTIONS`] resolution).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TableMemory {
    /// Per-incident columns.
    pub incident_columns_bytes: usize,
    /// Per-location columns (coordinates, metres, finest cell, ward, description id) and
    /// the dictionaries (categories, flags, LSOA codes, descriptions).
    pub location_columns_bytes: usize,
    /// Derived indexes: cells per indexed resolution, custom-area memberships.
    pub index_bytes: usize,
}

impl TableMemory {
    /// Columns only (the target's "heap of the columnar table", indexes excluded).
    #[must_use]
    pub const fn columns_bytes(&self) -> usize {
        self.incident_columns_bytes + self.location_columns_bytes
    }
}

/// How the incidents of a table came to belong to the areas of a set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MembershipReport {
    /// Incidents placed by the source's own area code.
    pub by_code: u64,
    /// Incidents whose source code is not in the set (e.g. an LSOA outside BCP): in none.
    pub code_outside_set: u64,
    /// Incidents without a code placed by point-in-polygon (within the set's tolerance).
    pub by_point: u64,
    /// Incidents without a code outside every area by more than the tolerance.
    pub outside: u64,
}

impl IncidentTable {
    /// Number of incidents.
    #[must_use]
    pub fn len(&self) -> usize {
        self.category.len()
    }

    /// Whether the table holds no incident.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.category.is_empty()
    }

    /// Number of distinct locations.
    #[must_use]
    pub fn location_count(&self) -> usize {
        self.loc_cell.len()
    }

    /// The categories, indexed by [`CategoryId`].
    #[must_use]
    pub fn categories(&self) -> &[Category] {
        &self.categories
    }

    /// The category with this slug or name (case-insensitive for names).
    #[must_use]
    pub fn find_category(&self, slug_or_name: &str) -> Option<CategoryId> {
        self.categories
            .iter()
            .position(|c| c.slug == slug_or_name || c.name.eq_ignore_ascii_case(slug_or_name))
            .and_then(|i| u16::try_from(i).ok())
            .map(CategoryId)
    }

    /// Per-incident category column.
    #[must_use]
    pub fn category_column(&self) -> &[CategoryId] {
        &self.category
    }

    /// Per-incident month column.
    #[must_use]
    pub fn month_column(&self) -> &[YearMonth] {
        &self.month
    }

    /// Per-incident time-precision column.
    #[must_use]
    pub fn precision_column(&self) -> &[TimePrecision] {
        &self.precision
    }

    /// When in the week incident `i` may have happened (local wall-clock time); `None`
    /// when only its month is known.
    #[must_use]
    #[inline]
    pub fn week_time(&self, i: usize) -> Option<WeekTime> {
        let start_minute = self.start_minute.get(i, NO_START_MINUTE);
        (start_minute != NO_START_MINUTE)
            .then(|| WeekTime { start_minute, window_min: self.window_min.get(i, 0) })
    }

    /// Flag bits of incident `i` (bit k = [`IncidentTable::flag_names`]`[k]`).
    #[must_use]
    #[inline]
    pub fn flags(&self, i: usize) -> u32 {
        self.flags.get(i, 0)
    }

    /// Weight of incident `i` (1 unless the source gives one).
    #[must_use]
    #[inline]
    pub fn weight(&self, i: usize) -> f32 {
        self.weight.get(i, UNIT_WEIGHT)
    }

    /// Whether every incident has weight 1 (no source gave weights).
    #[must_use]
    pub fn all_weights_one(&self) -> bool {
        self.weight.is_all_default()
    }

    /// Heap memory of the table: see [`TableMemory`]. Counts allocated capacity, so it
    /// is what the table holds, not a lower bound.
    #[must_use]
    pub fn memory(&self) -> TableMemory {
        let strings = |v: &[Box<str>]| v.iter().map(|s| s.len()).sum::<usize>();
        let incident_columns_bytes = vec_bytes(&self.category)
            + vec_bytes(&self.month)
            + vec_bytes(&self.precision)
            + self.start_minute.heap_bytes()
            + self.window_min.heap_bytes()
            + self.flags.heap_bytes()
            + self.weight.heap_bytes()
            + vec_bytes(&self.location)
            + vec_bytes(&self.ward)
            + vec_bytes(&self.source_lsoa)
            + vec_bytes(&self.lsoa);
        let location_columns_bytes = vec_bytes(&self.loc_lon)
            + vec_bytes(&self.loc_lat)
            + vec_bytes(&self.loc_bng)
            + vec_bytes(&self.loc_cell)
            + vec_bytes(&self.loc_ward)
            + vec_bytes(&self.loc_description)
            + vec_bytes(&self.descriptions)
            + strings(&self.descriptions)
            + vec_bytes(&self.lsoa_codes)
            + strings(&self.lsoa_codes)
            + vec_bytes(&self.categories)
            + vec_bytes(&self.category_precision)
            + vec_bytes(&self.flag_names);
        let index_bytes = vec_bytes(&self.loc_cells_by_res)
            + self.loc_cells_by_res.iter().map(vec_bytes).sum::<usize>()
            + vec_bytes(&self.loc_custom)
            + self.loc_custom.iter().map(vec_bytes).sum::<usize>();
        TableMemory { incident_columns_bytes, location_columns_bytes, index_bytes }
    }

    /// Reorders the incidents so that those at one location, and locations in one H3 cell,
    /// are adjacent (ordered by the location's finest cell): counting then streams through
    /// memory instead of jumping across it. Incident indices change; categories, locations
    /// and every per-location column keep theirs. The store loads its table this way.
    pub fn cluster_by_location(&mut self) {
        let mut order: Vec<u32> =
            (0..u32::try_from(self.len()).expect("fewer than 2^32 incidents")).collect();
        let (cells, location) = (&self.loc_cell, &self.location);
        order.par_sort_by_key(|&i| {
            let loc = location[i as usize];
            (u64::from(cells[loc.index()]), loc.0, i)
        });
        self.category = permuted(&self.category, &order);
        self.month = permuted(&self.month, &order);
        self.precision = permuted(&self.precision, &order);
        self.start_minute.permute(&order);
        self.window_min.permute(&order);
        self.flags.permute(&order);
        self.weight.permute(&order);
        self.location = permuted(&self.location, &order);
        self.ward = permuted(&self.ward, &order);
        self.source_lsoa = permuted(&self.source_lsoa, &order);
        self.lsoa = permuted(&self.lsoa, &order);
    }

    /// The flags present in the data (`knife`, `domestic-abuse`, …), bit k is entry k.
    #[must_use]
    pub fn flag_names(&self) -> &[String] {
        &self.flag_names
    }

    /// The bit of a flag by name.
    #[must_use]
    pub fn flag_bit(&self, name: &str) -> Option<u32> {
        self.flag_names.iter().position(|f| f.eq_ignore_ascii_case(name.trim())).map(|k| 1 << k)
    }

    /// The coarsest time precision among incidents of the given categories (all when
    /// `None`); `None` when none of them has incidents.
    #[must_use]
    pub fn coarsest_precision_of(&self, categories: Option<&[CategoryId]>) -> Option<TimePrecision> {
        let counts = self.category_counts();
        let mut coarsest: Option<TimePrecision> = None;
        for (c, p) in self.category_precision.iter().enumerate() {
            let chosen = categories.is_none_or(|ids| ids.iter().any(|id| id.index() == c));
            if chosen && counts.get(c).is_some_and(|n| *n > 0) {
                coarsest = Some(coarsest.map_or(*p, |q| q.min(*p)));
            }
        }
        coarsest
    }

    /// Per-incident location column.
    #[must_use]
    pub fn location_column(&self) -> &[LocationId] {
        &self.location
    }

    /// Per-incident ward column (`None`: outside every ward).
    #[must_use]
    pub fn ward_column(&self) -> &[Option<AreaId>] {
        &self.ward
    }

    /// Per-incident LSOA column (`None`: in no LSOA of the set, or no set assigned).
    #[must_use]
    pub fn lsoa_column(&self) -> &[Option<AreaId>] {
        &self.lsoa
    }

    /// Per-location membership of the custom set at `set` (index in [`AreaSets::custom`]);
    /// `None` when the table was not assigned that many custom sets.
    #[must_use]
    pub fn custom_column(&self, set: usize) -> Option<&[Option<AreaId>]> {
        self.loc_custom.get(set).map(Vec::as_slice)
    }

    /// The source's own LSOA code of incident `i` (police.uk `LSOA code`), if it gave one.
    #[must_use]
    pub fn source_lsoa_code(&self, i: usize) -> Option<&str> {
        let code = self.source_lsoa.get(i).copied().filter(|c| *c != NONE_U32)?;
        self.lsoa_codes.get(code as usize).map(AsRef::as_ref)
    }

    /// The finest H3 cell ([`FINEST_RESOLUTION`]) of each distinct location.
    #[must_use]
    pub fn location_cells(&self) -> &[CellIndex] {
        &self.loc_cell
    }

    /// The cell of every distinct location at `resolution`: precomputed for
    /// [`INDEXED_RESOLUTIONS`], computed from the coordinates otherwise.
    #[must_use]
    pub fn location_cells_at(&self, resolution: Resolution) -> std::borrow::Cow<'_, [CellIndex]> {
        let r = u8::from(resolution);
        if INDEXED_RESOLUTIONS.contains(&r)
            && let Some(cells) = self.loc_cells_by_res.get(usize::from(r - INDEXED_RESOLUTIONS.start()))
        {
            return std::borrow::Cow::Borrowed(cells);
        }
        std::borrow::Cow::Owned(index_cells(&self.loc_lon, &self.loc_lat, resolution))
    }

    /// WGS84 longitude and latitude in degrees of a location.
    #[must_use]
    pub fn location_lon_lat(&self, id: LocationId) -> (f64, f64) {
        (self.loc_lon[id.index()], self.loc_lat[id.index()])
    }

    /// The source's description of a location, if it had one.
    #[must_use]
    pub fn location_description(&self, id: LocationId) -> Option<&str> {
        let d = *self.loc_description.get(id.index())?;
        self.descriptions.get(d as usize).map(AsRef::as_ref)
    }

    /// British National Grid metres of a location.
    #[must_use]
    pub fn location_bng(&self, id: LocationId) -> BngPoint {
        self.loc_bng[id.index()]
    }

    /// The coarsest time precision present (what hour/weekday filters may rely on);
    /// `None` for an empty table.
    #[must_use]
    pub fn coarsest_precision(&self) -> Option<TimePrecision> {
        self.precision.iter().min().copied()
    }

    /// First and last month present; `None` for an empty table.
    #[must_use]
    pub fn month_span(&self) -> Option<(YearMonth, YearMonth)> {
        let first = self.month.iter().min()?;
        let last = self.month.iter().max()?;
        Some((*first, *last))
    }

    /// Incidents per category, indexed by [`CategoryId`].
    #[must_use]
    pub fn category_counts(&self) -> Vec<u64> {
        let mut counts = vec![0_u64; self.categories.len()];
        for c in &self.category {
            counts[c.index()] += 1;
        }
        counts
    }

    /// Releases spare capacity left by building (a vector grown by pushing holds up to
    /// twice what it needs).
    fn shrink_to_fit(&mut self) {
        self.category.shrink_to_fit();
        self.month.shrink_to_fit();
        self.precision.shrink_to_fit();
        self.start_minute.shrink();
        self.window_min.shrink();
        self.flags.shrink();
        self.weight.shrink();
        self.location.shrink_to_fit();
        self.ward.shrink_to_fit();
        self.source_lsoa.shrink_to_fit();
        self.lsoa.shrink_to_fit();
        self.loc_lon.shrink_to_fit();
        self.loc_lat.shrink_to_fit();
        self.loc_bng.shrink_to_fit();
        self.loc_cell.shrink_to_fit();
        self.loc_ward.shrink_to_fit();
        self.loc_description.shrink_to_fit();
        self.descriptions.shrink_to_fit();
        self.lsoa_codes.shrink_to_fit();
    }

    /// Recomputes ward membership of every location with `wards` (Rayon-parallel) and
    /// copies it to the per-incident ward column.
    pub fn assign_wards(&mut self, wards: &WardIndex) {
        self.loc_ward = self.loc_bng.par_iter().map(|p| wards.assign(*p)).collect();
        self.ward = self.location.iter().map(|l| self.loc_ward[l.index()]).collect();
    }

    /// Assigns every incident to an LSOA of `lsoas`: by the source's own LSOA code when it
    /// has one (a code the set lacks places it in none: police.uk's code is the published
    /// membership, never overridden by position), otherwise by point-in-polygon within the
    /// set's tolerance (each location tested once, Rayon-parallel).
    pub fn assign_lsoas(&mut self, lsoas: &AreaSet) -> MembershipReport {
        let code_ids: Vec<Option<AreaId>> = self.lsoa_codes.iter().map(|c| lsoas.find_code(c)).collect();
        let mut needs_point = vec![false; self.loc_bng.len()];
        for (src, loc) in self.source_lsoa.iter().zip(&self.location) {
            if *src == NONE_U32 {
                needs_point[loc.index()] = true;
            }
        }
        let by_point: Vec<Option<AreaId>> = self
            .loc_bng
            .par_iter()
            .zip(&needs_point)
            .map(|(p, needed)| if *needed { lsoas.assign(*p) } else { None })
            .collect();
        let mut report = MembershipReport::default();
        self.lsoa = self
            .source_lsoa
            .iter()
            .zip(&self.location)
            .map(|(src, loc)| {
                let (area, counter) = match *src {
                    NONE_U32 => {
                        let id = by_point[loc.index()];
                        (id, if id.is_some() { &mut report.by_point } else { &mut report.outside })
                    }
                    code => {
                        let id = code_ids[code as usize];
                        (id, if id.is_some() { &mut report.by_code } else { &mut report.code_outside_set })
                    }
                };
                *counter += 1;
                area
            })
            .collect();
        report
    }

    /// Assigns every location to its area in each custom set, by point-in-polygon within
    /// each set's tolerance (custom areas have no source codes).
    pub fn assign_custom(&mut self, sets: &[AreaSet]) {
        self.loc_custom =
            sets.iter().map(|set| self.loc_bng.par_iter().map(|p| set.assign(*p)).collect()).collect();
    }

    /// Assigns wards, LSOAs and custom areas from `sets` (a set that is absent leaves its
    /// column empty of memberships).
    pub fn assign_areas(&mut self, sets: &AreaSets) {
        match &sets.wards {
            Some(w) => self.assign_wards(w),
            None => {
                self.loc_ward = vec![None; self.loc_bng.len()];
                self.ward = vec![None; self.location.len()];
            }
        }
        match &sets.lsoas {
            Some(l) => {
                self.assign_lsoas(l);
            }
            None => self.lsoa = vec![None; self.location.len()],
        }
        self.assign_custom(&sets.custom);
    }
}

/// One incident to add to an [`IncidentTableBuilder`].
#[derive(Debug, Clone, Copy)]
pub struct NewIncident {
    /// Category, from [`IncidentTableBuilder::category_id`].
    pub category: CategoryId,
    /// Month of the incident.
    pub month: YearMonth,
    /// How precisely its time is known.
    pub precision: TimePrecision,
    /// WGS84 longitude, degrees.
    pub lon: f64,
    /// WGS84 latitude, degrees.
    pub lat: f64,
    /// British National Grid metres.
    pub bng: BngPoint,
    /// H3 cell at [`FINEST_RESOLUTION`].
    pub cell: CellIndex,
    /// When in the week it may have happened (local wall clock); `None` for month-only.
    pub week_time: Option<WeekTime>,
    /// Flag bits from [`IncidentTableBuilder::flag_bit`].
    pub flags: u32,
    /// Weight (1.0 unless the source gives one).
    pub weight: f32,
}

impl NewIncident {
    /// A police.uk-style incident: known to the month, no flags, weight 1.
    #[must_use]
    pub const fn monthly(
        category: CategoryId,
        month: YearMonth,
        lon: f64,
        lat: f64,
        bng: BngPoint,
        cell: CellIndex,
    ) -> Self {
        Self {
            category,
            month,
            precision: TimePrecision::Month,
            lon,
            lat,
            bng,
            cell,
            week_time: None,
            flags: 0,
            weight: 1.0,
        }
    }
}

/// Builds an [`IncidentTable`], deduplicating locations by their exact coordinates.
#[derive(Debug, Default)]
pub struct IncidentTableBuilder {
    table: IncidentTable,
    locations: HashMap<(u64, u64), LocationId>,
    lsoa_code_ids: HashMap<Box<str>, u32>,
    description_ids: HashMap<Box<str>, u32>,
}

impl IncidentTableBuilder {
    /// An empty builder.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// The id of the category with this name, adding it when new.
    ///
    /// # Panics
    /// Never in practice: more than 65,535 distinct categories would overflow the id.
    pub fn category_id(&mut self, name: &str) -> CategoryId {
        let name = name.trim();
        if let Some(i) = self.table.categories.iter().position(|c| c.name == name) {
            return CategoryId(u16::try_from(i).expect("category ids fit u16 by construction"));
        }
        self.table.categories.push(Category::from_name(name));
        CategoryId(u16::try_from(self.table.categories.len() - 1).expect("fewer than 65,536 categories"))
    }

    /// The bit of a flag name, adding it when new; `None` once 32 flags exist.
    pub fn flag_bit(&mut self, name: &str) -> Option<u32> {
        let name = name.trim().to_ascii_lowercase();
        if let Some(k) = self.table.flag_names.iter().position(|f| *f == name) {
            return Some(1 << k);
        }
        if self.table.flag_names.len() >= 32 {
            return None;
        }
        self.table.flag_names.push(name);
        Some(1 << (self.table.flag_names.len() - 1))
    }

    /// Adds one incident.
    ///
    /// # Panics
    /// When more than `u32::MAX` distinct locations are added.
    pub fn push(&mut self, incident: NewIncident) {
        let key = (incident.lon.to_bits(), incident.lat.to_bits());
        let t = &mut self.table;
        let location = *self.locations.entry(key).or_insert_with(|| {
            t.loc_lon.push(incident.lon);
            t.loc_lat.push(incident.lat);
            t.loc_bng.push(incident.bng);
            t.loc_cell.push(incident.cell);
            t.loc_ward.push(None);
            t.loc_description.push(NONE_U32);
            LocationId(u32::try_from(t.loc_cell.len() - 1).expect("fewer than 2^32 locations"))
        });
        let n = t.category.len();
        t.category.push(incident.category);
        t.month.push(incident.month);
        t.precision.push(incident.precision);
        t.start_minute.push(
            n,
            incident.week_time.map_or(NO_START_MINUTE, |w| w.start_minute),
            NO_START_MINUTE,
        );
        t.window_min.push(n, incident.week_time.map_or(0, |w| w.window_min), 0);
        t.flags.push(n, incident.flags, 0);
        t.weight.push(n, incident.weight, UNIT_WEIGHT);
        t.location.push(location);
        t.ward.push(None);
        t.source_lsoa.push(NONE_U32);
        t.lsoa.push(None);
    }

    /// Records the source's own LSOA code (police.uk `LSOA code`) of the incident pushed
    /// last; an empty code is ignored.
    ///
    /// # Panics
    /// When more than `u32::MAX` distinct codes are recorded.
    pub fn set_lsoa_code(&mut self, code: &str) {
        let code = code.trim();
        let t = &mut self.table;
        let (Some(slot), false) = (t.source_lsoa.last_mut(), code.is_empty()) else { return };
        let id = *self.lsoa_code_ids.entry(code.into()).or_insert_with(|| {
            t.lsoa_codes.push(code.into());
            u32::try_from(t.lsoa_codes.len() - 1).expect("fewer than 2^32 LSOA codes")
        });
        *slot = id;
    }

    /// Adds one incident with the source's description of its location, kept for the
    /// location when it has none yet.
    pub fn push_described(&mut self, incident: NewIncident, description: Option<&str>) {
        self.push(incident);
        let loc = self.table.location.last().map(|l| l.index());
        if let (Some(text), Some(loc)) = (description.filter(|t| !t.is_empty()), loc)
            && self.table.loc_description[loc] == NONE_U32
        {
            let t = &mut self.table;
            let id = *self.description_ids.entry(text.into()).or_insert_with(|| {
                t.descriptions.push(text.into());
                u32::try_from(t.descriptions.len() - 1).expect("fewer than 2^32 descriptions")
            });
            t.loc_description[loc] = id;
        }
    }

    /// The table, with wards assigned when an index is given.
    #[must_use]
    pub fn build(self, wards: Option<&WardIndex>) -> IncidentTable {
        let mut table = self.table;
        let mut precision = vec![TimePrecision::Minute; table.categories.len()];
        for (c, p) in table.category.iter().zip(&table.precision) {
            precision[c.index()] = precision[c.index()].min(*p);
        }
        table.category_precision = precision;
        table.loc_cells_by_res = INDEXED_RESOLUTIONS
            .map(|r| {
                let res = Resolution::try_from(r).expect("indexed resolutions are valid H3 resolutions");
                index_cells(&table.loc_lon, &table.loc_lat, res)
            })
            .collect();
        if let Some(w) = wards {
            table.assign_wards(w);
        }
        table.shrink_to_fit();
        table
    }

    /// The table, with every area set of `sets` assigned (see [`IncidentTable::assign_areas`]).
    #[must_use]
    pub fn build_with_areas(self, sets: &AreaSets) -> IncidentTable {
        let mut table = self.build(None);
        table.assign_areas(sets);
        table
    }
}

/// Each location's cell at `resolution`, Rayon-parallel.
fn index_cells(lon: &[f64], lat: &[f64], resolution: Resolution) -> Vec<CellIndex> {
    lon.par_iter()
        .zip(lat)
        .map(|(&lon, &lat)| {
            LatLng::new(lat, lon).expect("locations are validated at ingest").to_cell(resolution)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::area::Area;
    use crate::filter::{AreaFilter, Filter};
    use crate::summary::{Scope, aggregate_lsoas, summarise};
    use geo::{MultiPolygon, polygon};

    fn square(code: &str, x0: f64) -> Area {
        let p =
            polygon![(x: x0, y: 0.0), (x: x0 + 100.0, y: 0.0), (x: x0 + 100.0, y: 100.0), (x: x0, y: 100.0)];
        Area {
            code: code.into(),
            name: format!("{code} name"),
            boundary_bng: MultiPolygon::new(vec![p]),
            boundary_wgs84: MultiPolygon::new(vec![]),
        }
    }

    /// Incidents at BNG (x, 50) with an optional source LSOA code.
    fn table(points: &[(f64, Option<&str>)]) -> IncidentTable {
        let mut b = IncidentTableBuilder::new();
        let asb = b.category_id("Anti-social behaviour");
        for (i, (x, code)) in points.iter().enumerate() {
            let lon = -1.9 + f64::from(u32::try_from(i).unwrap()) * 1e-4;
            b.push(NewIncident::monthly(
                asb,
                YearMonth::new(2025, 1).unwrap(),
                lon,
                50.7,
                BngPoint { easting_m: *x, northing_m: 50.0 },
                LatLng::new(50.7, lon).unwrap().to_cell(FINEST_RESOLUTION),
            ));
            if let Some(code) = code {
                b.set_lsoa_code(code);
            }
        }
        b.build(None)
    }

    #[test]
    fn lsoas_come_from_the_source_code_then_from_position() {
        let lsoas = AreaSet::new(AreaSet::LSOA, vec![square("L1", 0.0), square("L2", 200.0)], 0.0);
        // In L1's square but coded L2 (the code wins); coded outside the set; no code, in L2;
        // no code, in neither.
        let mut t = table(&[(50.0, Some("L2")), (50.0, Some("E01999999")), (250.0, None), (150.0, None)]);
        let report = t.assign_lsoas(&lsoas);
        assert_eq!(report, MembershipReport { by_code: 1, code_outside_set: 1, by_point: 1, outside: 1 });
        assert_eq!(t.lsoa_column(), [Some(AreaId(1)), None, Some(AreaId(1)), None]);
        assert_eq!(t.source_lsoa_code(1), Some("E01999999"));
        assert_eq!(t.source_lsoa_code(2), None);
        let in_l2 = Filter { area: AreaFilter::Lsoa(AreaId(1)), ..Filter::default() };
        assert_eq!(summarise(&t, &in_l2, Scope::All).total, 2);
        assert_eq!(summarise(&t, &Filter::default(), Scope::Lsoa(AreaId(1))).total, 2);
        assert_eq!(aggregate_lsoas(&t, &Filter::default(), 2), [vec![0], vec![2]]);
    }

    #[test]
    fn custom_areas_come_from_position() {
        let beats = AreaSet::new("beats", vec![square("B1", 0.0), square("B2", 100.0)], 5.0);
        let mut t = table(&[(50.0, Some("L1")), (150.0, None), (204.0, None), (300.0, None)]);
        t.assign_custom(std::slice::from_ref(&beats));
        assert_eq!(t.custom_column(0), Some(&[Some(AreaId(0)), Some(AreaId(1)), Some(AreaId(1)), None][..]));
        let in_b2 = Filter { area: AreaFilter::Custom { set: 0, area: AreaId(1) }, ..Filter::default() };
        assert_eq!(summarise(&t, &in_b2, Scope::All).total, 2);
        // A set index the table was not assigned with keeps nothing.
        let missing = Filter { area: AreaFilter::Custom { set: 3, area: AreaId(0) }, ..Filter::default() };
        assert_eq!(summarise(&t, &missing, Scope::All).total, 0);
    }
}
