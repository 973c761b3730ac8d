//! The monthly partnership pack: what changed, and where, for one period and area.
//!
//! [`build_pack`] gathers from the incident table the KPIs ([`hexwatch_core::report`]), the
//! wards and LSOAs with their change on the month before, the Gi* hot spots and the kernel
//! density of the month, the emerging hot spot transitions since the month before, the
//! period's alerts, and the patrol plan with last period's PAI. [`crate::pack_html`] renders
//! it as one self-contained page and [`crate::pack_tables`] as CSV tables. The public
//! version ([`Role::Public`]) takes every count from the [`PublicCube`] (fixed periods,
//! primary and complementary suppression): a withheld count is [`WITHHELD`], one over a
//! period that is not fixed [`NOT_FIXED`], tests are made on published pairs only, and the
//! partner-only sections (flags, LSOAs, transitions, alerts, patrol) are left empty.

use std::collections::HashMap;
use std::sync::Arc;

use h3o::{CellIndex, Resolution};
use hexwatch_core::alerts::Unit;
use hexwatch_core::evaluation::pai;
use hexwatch_core::kde::{
    Bandwidth, DensityGrid, GridSpec, Kernel, KernelSum, arcgis_bandwidth, kde_binned, kde_points,
};
use hexwatch_core::patrol::{PatchShape, PatrolParams, PatrolPlan, Weighting, plan_patrols};
use hexwatch_core::report::{Comparison, KpiRow, Measure, MonthRange, MonthlySeries, kpis, rolling_mean};
use hexwatch_core::stats::{
    EmergingParams, Method, Neighbours, Pattern, RateAlternative, StatOptions, StudyArea, analyse,
    bh_adjusted, emerging_hot_spots, poisson_means_test,
};
use hexwatch_core::{
    AreaFilter, AreaId, AreaSets, DisclosurePolicy, Filter, IncidentTable, Period, PublicArea, PublicCount,
    PublicCube, Role, YearMonth, aggregate_cells, category_groups, group_of, mask_sparse_density,
    public_gi_bins,
};

use crate::alerting::{AlertSettings, StoredAlert, compute_alerts};

/// Settings of a pack, with the defaults an analyst would start from.
#[derive(Debug, Clone)]
pub struct PackOptions {
    /// The month reported on.
    pub period: YearMonth,
    /// The selection: categories, area, flags (its month range is ignored: the pack sets
    /// its own periods).
    pub filter: Filter,
    /// The area as written (`bcp`, `ward:E05…`), for captions and links.
    pub area_label: String,
    /// Who the pack is for: the public version applies the disclosure rule.
    pub role: Role,
    /// The disclosure rule.
    pub policy: DisclosurePolicy,
    /// H3 resolution of the hot spot, transition and patrol cells (default 9).
    pub resolution: Resolution,
    /// Gi* neighbourhood: the `k`-ring (default 1).
    pub gi_k: u32,
    /// FDR level for every table's significance (default 0.05).
    pub fdr_q: f64,
    /// Kernel density cell size, metres (default 200).
    pub density_cell_m: f64,
    /// Patrol areas K (default 5).
    pub patrol_areas: usize,
    /// Months of data a patrol plan is made from (default 3).
    pub patrol_training_months: u32,
    /// Rows of the top wards and LSOAs tables on the page (default 10; the CSVs have all).
    pub top_areas: usize,
    /// What the alerts watch and how they test (the server's settings; default as `hexwatch alerts`).
    pub alert_settings: AlertSettings,
    /// The alerts recorded in the store ([`crate::Store::alerts`]): their status and note, and
    /// earlier periods' alerts still open. Empty: the period's computed alerts alone.
    pub stored_alerts: Vec<StoredAlert>,
    /// The public cube of the table under `policy` (the server's cached one); `None`: a
    /// public pack builds its own.
    pub public_cube: Option<Arc<PublicCube>>,
}

impl PackOptions {
    /// The defaults for `period` over `filter`.
    #[must_use]
    pub fn new(period: YearMonth, filter: Filter, area_label: &str, role: Role) -> Self {
        Self {
            period,
            filter,
            area_label: area_label.to_owned(),
            role,
            policy: DisclosurePolicy::default(),
            resolution: Resolution::Nine,
            gi_k: 1,
            fdr_q: 0.05,
            density_cell_m: 200.0,
            patrol_areas: 5,
            patrol_training_months: 3,
            top_areas: 10,
            alert_settings: AlertSettings::default(),
            stored_alerts: Vec::new(),
            public_cube: None,
        }
    }
}

/// The marker of a count the public cube withholds (in the public version's counts).
pub const WITHHELD: u64 = u64::MAX;

/// The marker of a count over a period that is not a calendar month, quarter or year (the
/// public version publishes fixed periods only: a year to date of January–November minus
/// one of January–October would give November away).
pub const NOT_FIXED: u64 = u64::MAX - 1;

/// One ward or LSOA: its month against the month before.
#[derive(Debug, Clone, PartialEq)]
pub struct AreaChange {
    /// ONS code.
    pub code: String,
    /// Name.
    pub name: String,
    /// Incidents in the period's month.
    pub count: u64,
    /// Incidents in the month before (`None` when the data do not cover it).
    pub previous: Option<u64>,
    /// Incidents in the year to date.
    pub year_to_date: u64,
    /// E-test p-value of the month against the month before (two-sided).
    pub p_value: Option<f64>,
    /// Benjamini–Hochberg q across the set's areas.
    pub q_value: Option<f64>,
}

/// The Gi* hot spots of the period's month over the study area.
#[derive(Debug, Clone)]
pub struct HotSpots {
    /// The cells (study-area order).
    pub cells: Vec<CellIndex>,
    /// Each cell's Esri bin −3…+3 (FDR-corrected).
    pub bins: Vec<i8>,
    /// Each cell's incidents in the month.
    pub counts: Vec<f64>,
}

/// Cells whose emerging hot spot pattern changed between the analysis up to the month
/// before and up to the period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    /// Pattern with the data to the month before.
    pub before: Pattern,
    /// Pattern with the data to the period.
    pub after: Pattern,
    /// How many cells changed so.
    pub cells: usize,
}

/// An alert in the pack: raised this period, or raised earlier and still open in the store.
#[derive(Debug, Clone, PartialEq)]
pub struct PackAlert {
    /// The alert's id (as `/api/alerts` gives it).
    pub id: String,
    /// `cell` or `ward`.
    pub kind: String,
    /// H3 cell or ward code.
    pub unit: String,
    /// Category slug.
    pub category: String,
    /// The month it was raised for.
    pub period: String,
    /// Incidents observed.
    pub observed: u32,
    /// Incidents expected from the baseline.
    pub expected: f64,
    /// Benjamini–Hochberg q (none for emerging hot spot transitions).
    pub q_value: Option<f64>,
    /// When (and for transitions, how) it was first raised.
    pub first_raised: String,
    /// Raised in the pack's period.
    pub new: bool,
    /// Its status in the store (`open`, `acknowledged`, `closed`, `expired`), `open` when not
    /// recorded.
    pub status: String,
    /// The note recorded with its status.
    pub note: Option<String>,
}

/// The patrol section: the plan for the coming period and how last period's plan did.
#[derive(Debug, Clone)]
pub struct PatrolSection {
    /// Plan from the `patrol_training_months` to the period.
    pub current: PatrolPlan,
    /// Its training months.
    pub current_training: MonthRange,
    /// Plan from the months to the month before.
    pub last: Option<PatrolPlan>,
    /// Its training months.
    pub last_training: Option<MonthRange>,
    /// The period's incidents inside last period's plan (`n`), of all in the study area (`N`).
    pub last_hits: Option<(u64, u64)>,
    /// Area of last period's plan, km².
    pub last_area_km2: Option<f64>,
    /// PAI of last period's plan on the period: `(n/N)/(a/A)`.
    pub last_pai: Option<f64>,
}

/// A partnership pack ([`build_pack`]).
#[derive(Debug, Clone)]
pub struct Pack {
    /// The settings.
    pub options: PackOptions,
    /// The store's data version (as `/api/meta` gives it).
    pub data_version: u64,
    /// The area's name.
    pub area_name: String,
    /// The selection in words: categories, flags, area.
    pub filters: String,
    /// The months the data cover.
    pub data_span: MonthRange,
    /// Monthly counts of every category and flag.
    pub series: MonthlySeries,
    /// Category names (index = category id) and flag names.
    pub category_names: Vec<String>,
    /// Flag names (bit order).
    pub flag_names: Vec<String>,
    /// The KPI rows.
    pub kpis: Vec<KpiRow>,
    /// Every ward with incidents in the selection's year to date, busiest month first.
    pub wards: Vec<AreaChange>,
    /// Every LSOA with incidents, busiest month first (empty without LSOA boundaries).
    pub lsoas: Vec<AreaChange>,
    /// Study area: cells and area, km².
    pub study_km2: f64,
    /// Gi* of the month.
    pub hot_spots: HotSpots,
    /// Kernel density of the month, with the bandwidth chosen.
    pub density: Option<(DensityGrid, Bandwidth)>,
    /// Outlines of the study area's wards (or the one area), British National Grid rings, for
    /// the map pictures.
    pub outlines: Vec<Vec<(f64, f64)>>,
    /// Emerging hot spot pattern changes since the month before (`None` when the period is
    /// the data's first month).
    pub transitions: Option<Vec<Transition>>,
    /// The area's alerts raised in the period, then earlier ones still open in the store.
    pub alerts: Vec<PackAlert>,
    /// Ward `(code, name)` pairs (for the alerts).
    pub ward_names: Vec<(String, String)>,
    /// The patrol section.
    pub patrol: PatrolSection,
}

impl Pack {
    /// What a count shows for the pack's role: the number, `withheld` ([`WITHHELD`], or a
    /// count the primary rule withholds), or `not published (not a fixed period)`
    /// ([`NOT_FIXED`]).
    #[must_use]
    pub fn shown(&self, count: u64) -> String {
        match count {
            NOT_FIXED => "not published (not a fixed period)".to_owned(),
            _ if self.visible(count) => count.to_string(),
            _ => "withheld".to_owned(),
        }
    }

    /// Whether this is the public version (counts from the public cube).
    #[must_use]
    pub fn is_public(&self) -> bool {
        self.options.role == Role::Public
    }

    /// The rolling 12-month mean of monthly `counts` ([`rolling_mean`]), `None` wherever
    /// a month of its window is not visible (a mean over a withheld month would give it
    /// away).
    #[must_use]
    pub fn rolling_mean(&self, counts: &[u64]) -> Vec<Option<f64>> {
        let published: Vec<u64> = counts.iter().map(|&n| if self.visible(n) { n } else { 0 }).collect();
        let mut means = rolling_mean(&published, 12);
        for (i, m) in means.iter_mut().enumerate() {
            if i + 1 >= 12 && counts[i + 1 - 12..=i].iter().any(|n| !self.visible(*n)) {
                *m = None;
            }
        }
        means
    }

    /// The measures of the KPI table in its order (all crime, categories busiest first,
    /// flags), each once with its label.
    #[must_use]
    pub fn measures(&self) -> Vec<(hexwatch_core::report::Measure, String)> {
        let mut out: Vec<(hexwatch_core::report::Measure, String)> = Vec::new();
        for r in &self.kpis {
            if !out.iter().any(|(m, _)| *m == r.measure) {
                out.push((r.measure, r.label.clone()));
            }
        }
        out
    }

    /// A measure's monthly counts from the data's first month to the period (later months
    /// are not part of the pack).
    #[must_use]
    pub fn series_to_period(&self, measure: hexwatch_core::report::Measure) -> &[u64] {
        let counts = self.series.series(measure);
        let end =
            usize::try_from(self.options.period.ordinal() - self.series.span.from.ordinal() + 1).unwrap_or(0);
        &counts[..end.min(counts.len())]
    }

    /// Whether a count is visible to the pack's role: not a marker ([`WITHHELD`],
    /// [`NOT_FIXED`]) and not withheld by the primary rule.
    #[must_use]
    pub fn visible(&self, count: u64) -> bool {
        if count >= NOT_FIXED {
            return false;
        }
        let n = u32::try_from(count).unwrap_or(u32::MAX);
        self.options.policy.visible_count(self.options.role, n).is_some()
    }

    /// The caption every figure carries: data version, period, filters.
    #[must_use]
    pub fn caption(&self) -> String {
        format!(
            "Data version {}; period {}; {}; {} version",
            self.data_version,
            self.options.period,
            self.filters,
            self.options.role.as_str()
        )
    }
}

/// Why a pack could not be built.
#[derive(Debug, thiserror::Error)]
pub enum PackError {
    /// The table is empty.
    #[error("no incidents: ingest data first")]
    Empty,
    /// The period is outside the data.
    #[error(transparent)]
    Period(#[from] hexwatch_core::report::KpiError),
    /// No ward boundaries: the pack's maps, wards and alerts need them.
    #[error("the partnership pack needs ward boundaries (the study area, wards table and alerts)")]
    NoWards,
    /// A computation failed.
    #[error("{0}")]
    Compute(String),
    /// The public version cannot be made of this selection.
    #[error("{message}")]
    Public {
        /// The parameter at fault (`category`, `flag`, `area`, `hours`).
        parameter: &'static str,
        /// For the user.
        message: String,
    },
}

/// Incidents `filter` keeps per area of a membership column.
fn counts_by_area(table: &IncidentTable, filter: &Filter, column: &[Option<AreaId>]) -> HashMap<AreaId, u64> {
    let mask = filter.category_mask(table.categories().len());
    let area = filter.area_test(table);
    let mut out = HashMap::new();
    for i in 0..table.len() {
        if let Some(a) = column.get(i).copied().flatten()
            && filter.keeps_incident(table, &mask, &area, i)
        {
            *out.entry(a).or_default() += 1;
        }
    }
    out
}

/// Month, month before and year to date of every area of a set with incidents.
fn area_changes(
    table: &IncidentTable,
    filter: &Filter,
    column: &[Option<AreaId>],
    set: &hexwatch_core::AreaSet,
    period: YearMonth,
    span: MonthRange,
) -> Vec<AreaChange> {
    let month = |from: YearMonth, to: YearMonth| Filter { from: Some(from), to: Some(to), ..filter.clone() };
    let current = counts_by_area(table, &month(period, period), column);
    let before = period.add_months(-1);
    let previous = (before >= span.from).then(|| counts_by_area(table, &month(before, before), column));
    let ytd = counts_by_area(
        table,
        &month(period.add_months(1 - i32::try_from(period.month()).unwrap_or(1)), period),
        column,
    );
    let mut rows: Vec<AreaChange> = set
        .areas()
        .iter()
        .enumerate()
        .filter_map(|(i, a)| {
            let id = AreaId(u16::try_from(i).ok()?);
            let count = current.get(&id).copied().unwrap_or(0);
            let year_to_date = ytd.get(&id).copied().unwrap_or(0);
            let prev = previous.as_ref().map(|p| p.get(&id).copied().unwrap_or(0));
            if year_to_date == 0 && prev.unwrap_or(0) == 0 {
                return None;
            }
            let p_value = prev.and_then(|p| {
                poisson_means_test(count, 1.0, p, 1.0, 0.0, RateAlternative::TwoSided).ok().map(|t| t.p_value)
            });
            Some(AreaChange {
                code: a.code.clone(),
                name: a.name.clone(),
                count,
                previous: prev,
                year_to_date,
                p_value,
                q_value: None,
            })
        })
        .collect();
    let p: Vec<f64> = rows.iter().map(|r| r.p_value.unwrap_or(f64::NAN)).collect();
    for (r, q) in rows.iter_mut().zip(bh_adjusted(&p)) {
        r.q_value = (!q.is_nan()).then_some(q);
    }
    rows.sort_by(|a, b| {
        b.count.cmp(&a.count).then(b.year_to_date.cmp(&a.year_to_date)).then(a.code.cmp(&b.code))
    });
    rows
}

/// The selection in words.
fn describe_filters(table: &IncidentTable, filter: &Filter, area_name: &str) -> String {
    let categories = filter.categories.as_ref().map_or_else(
        || "all categories".to_owned(),
        |ids| ids.iter().map(|id| table.categories()[id.index()].name.clone()).collect::<Vec<_>>().join(", "),
    );
    let mut s = format!("area {area_name}; {categories}");
    if let Some(bits) = filter.flags {
        let names: Vec<&str> = table
            .flag_names()
            .iter()
            .enumerate()
            .filter(|(i, _)| bits & (1 << i) != 0)
            .map(|(_, n)| n.as_str())
            .collect();
        s.push_str(&format!("; flags {}", names.join(", ")));
    }
    if filter.has_time_filter() {
        s.push_str("; a time-of-week filter");
    }
    s
}

/// The area's name for captions.
fn area_name(areas: &AreaSets, area: AreaFilter) -> String {
    match area {
        AreaFilter::All => "all incidents (no area filter)".to_owned(),
        AreaFilter::AnyWard => "Bournemouth, Christchurch and Poole (all wards)".to_owned(),
        _ => areas.resolve(area).map_or_else(
            || "the area".to_owned(),
            |(set, a)| format!("{} {} ({})", set.name(), a.name, a.code),
        ),
    }
}

/// A plan from `training` months of the selection.
fn plan_for(
    table: &IncidentTable,
    filter: &Filter,
    training: MonthRange,
    options: &PackOptions,
    study: &StudyArea,
) -> Result<PatrolPlan, PackError> {
    let f = Filter { from: Some(training.from), to: Some(training.to), ..filter.clone() };
    let params = PatrolParams {
        resolution: options.resolution,
        shape: PatchShape::Ring { k: 1 },
        areas: options.patrol_areas,
        weighting: Weighting::Incidents,
    };
    plan_patrols(table, &f, &params, Some(study)).map_err(|e| PackError::Compute(format!("patrol plan: {e}")))
}

/// Builds the pack of `options.period` from `table` with its area sets (`areas.wards` must
/// be loaded; LSOAs when available) and the store's `data_version`.
///
/// # Errors
/// [`PackError`] when the table is empty, the period lies outside the data, there are no
/// ward boundaries, or a computation fails.
pub fn build_pack(
    table: &IncidentTable,
    areas: &AreaSets,
    data_version: u64,
    mut options: PackOptions,
) -> Result<Pack, PackError> {
    let wards = areas.wards.as_ref().ok_or(PackError::NoWards)?;
    let public = match options.role {
        Role::Public => {
            let (group, area) = public_selection(table, &options.filter)?;
            let sensitive = category_groups(table)[group].sensitive;
            options.resolution = options.policy.public_resolution(options.resolution, sensitive);
            Some((group, area))
        }
        _ => None,
    };
    let filter = Filter { from: None, to: None, ..options.filter.clone() };
    let series = MonthlySeries::of(table, &filter).ok_or(PackError::Empty)?;
    let period = options.period;
    let kpis = kpis(table, &series, period)?;
    let span = series.span;
    let area_name = area_name(areas, filter.area);
    let filters = describe_filters(table, &filter, &area_name);

    let ward_rows = area_changes(table, &filter, table.ward_column(), wards, period, span);
    let lsoa_rows = areas
        .lsoas
        .as_ref()
        .map(|set| area_changes(table, &filter, table.lsoa_column(), set, period, span))
        .unwrap_or_default();

    // The study area: the area's polygons, or every ward for bcp or no area.
    let polygons = areas.study_polygons(filter.area);
    let study =
        StudyArea::covering(&polygons, options.resolution).map_err(|e| PackError::Compute(e.to_string()))?;
    let study_km2 = match areas.resolve(filter.area) {
        Some((_, a)) => a.area_km2(),
        None => wards.areas().iter().map(hexwatch_core::Area::area_km2).sum(),
    };
    let month = Filter { from: Some(period), to: Some(period), ..filter.clone() };
    let stat_options = StatOptions { k: options.gi_k, ..StatOptions::default() };
    let stats = analyse(table, &month, &study, Method::GiStar, stat_options);
    let hot_spots = HotSpots {
        cells: study.cells().to_vec(),
        bins: stats.gi.map(|g| g.bin).unwrap_or_default(),
        counts: stats.counts,
    };

    let points = kde_points(table, &month, |_| 1.0);
    let study_area = if filter.area == AreaFilter::All { AreaFilter::AnyWard } else { filter.area };
    let density =
        arcgis_bandwidth(&points.iter().map(|p| (p.easting_m, p.northing_m, p.weight)).collect::<Vec<_>>())
            .and_then(|bandwidth| {
                let (mut xmin, mut ymin, mut xmax, mut ymax) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
                for a in polygons_bng(areas, study_area) {
                    use geo::BoundingRect;
                    if let Some(r) = a.bounding_rect() {
                        xmin = xmin.min(r.min().x);
                        ymin = ymin.min(r.min().y);
                        xmax = xmax.max(r.max().x);
                        ymax = ymax.max(r.max().y);
                    }
                }
                let spec = GridSpec::over_extent(xmin, ymin, xmax, ymax, Some(options.density_cell_m))?;
                let h = bandwidth.bandwidth_m.max(options.density_cell_m);
                let keep = |x: f64, y: f64| {
                    areas.keeps_point(study_area, hexwatch_core::BngPoint { easting_m: x, northing_m: y })
                };
                let grid = kde_binned(&points, &spec, Kernel::Quartic, h, 1, &keep).ok()?;
                Some((grid, Bandwidth { bandwidth_m: h, ..bandwidth }))
            });

    let outlines: Vec<Vec<(f64, f64)>> = polygons_bng(areas, study_area)
        .iter()
        .flat_map(|mp| mp.0.iter().map(|p| p.exterior().0.iter().map(|c| (c.x, c.y)).collect()))
        .collect();

    let transitions = transitions(table, &filter, &study, span, period, options.gi_k);

    let all_alerts = compute_alerts(table, wards, &options.alert_settings).map_err(PackError::Compute)?;
    let label = period.to_string();
    let ward_in_area = |code: &str| match filter.area {
        AreaFilter::All | AreaFilter::AnyWard => true,
        AreaFilter::Ward(id) => wards.area(id).is_some_and(|w| w.code == code),
        _ => false,
    };
    let in_area = |kind: &str, unit: &str| match kind {
        "cell" => unit.parse::<CellIndex>().is_ok_and(|c| study.position(c).is_some()),
        _ => ward_in_area(unit),
    };
    let stored: HashMap<&str, &StoredAlert> =
        options.stored_alerts.iter().map(|a| (a.id.as_str(), a)).collect();
    let mut alerts: Vec<PackAlert> = all_alerts
        .into_iter()
        .filter(|a| a.period_label == label)
        .map(|a| {
            let (kind, unit) = match &a.unit {
                Unit::Cell(c) => ("cell", c.to_string()),
                Unit::Ward(code) => ("ward", code.clone()),
            };
            let record = stored.get(a.id.as_str());
            PackAlert {
                kind: kind.to_owned(),
                unit,
                category: a.category.clone(),
                period: a.period_label.clone(),
                observed: a.observed,
                expected: a.expected,
                q_value: (!a.q_value.is_nan()).then_some(a.q_value),
                first_raised: a.first_raised_label.clone(),
                new: a.first_raised == a.period,
                status: record.map_or_else(|| "open".to_owned(), |r| r.status.clone()),
                note: record.and_then(|r| r.note.clone()),
                id: a.id,
            }
        })
        .filter(|a| in_area(&a.kind, &a.unit))
        .collect();
    // Earlier periods' alerts the store still has open (older than the period, so a pack
    // for an earlier month does not show later ones).
    let earlier: Vec<PackAlert> = options
        .stored_alerts
        .iter()
        .filter(|a| a.status == "open" && a.period < label && in_area(&a.kind, &a.unit))
        .filter(|a| !alerts.iter().any(|b| b.id == a.id))
        .map(|a| PackAlert {
            id: a.id.clone(),
            kind: a.kind.clone(),
            unit: a.unit.clone(),
            category: a.category.clone(),
            period: a.period.clone(),
            observed: a.observed,
            expected: a.expected,
            q_value: a.q,
            first_raised: a.first_raised.clone(),
            new: false,
            status: a.status.clone(),
            note: a.note.clone(),
        })
        .collect();
    alerts.extend(earlier);

    let training = |end: YearMonth| {
        let from =
            end.add_months(1 - i32::try_from(options.patrol_training_months).unwrap_or(1)).max(span.from);
        MonthRange::new(from, end)
    };
    let current_training = training(period);
    let current = plan_for(table, &filter, current_training, &options, &study)?;
    let before = period.add_months(-1);
    let (last, last_training, last_hits, last_area_km2, last_pai) = if before >= span.from {
        let t = training(before);
        let plan = plan_for(table, &filter, t, &options, &study)?;
        let cells: std::collections::HashSet<CellIndex> =
            plan.areas.iter().flat_map(|a| a.cells.iter().copied()).collect();
        let a_km2: f64 = plan.areas.iter().map(|a| a.area_km2).sum();
        let (counts, _) = study.counts(&aggregate_cells(table, &month, options.resolution));
        let mut hits = 0.0;
        for (cell, n) in study.cells().iter().zip(&counts) {
            if cells.contains(cell) {
                hits += n;
            }
        }
        #[expect(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            reason = "counts are whole numbers"
        )]
        let (hits, total) = (hits as u64, counts.iter().sum::<f64>() as u64);
        let p = pai(hits, total, a_km2, study_km2);
        (Some(plan), Some(t), Some((hits, total)), Some(a_km2), p)
    } else {
        (None, None, None, None, None)
    };

    let mut pack = Pack {
        data_version,
        area_name,
        filters,
        data_span: span,
        category_names: table.categories().iter().map(|c| c.name.clone()).collect(),
        flag_names: table.flag_names().to_vec(),
        series,
        kpis,
        wards: ward_rows,
        lsoas: lsoa_rows,
        study_km2,
        hot_spots,
        density,
        outlines,
        transitions,
        alerts,
        ward_names: wards.areas().iter().map(|a| (a.code.clone(), a.name.clone())).collect(),
        patrol: PatrolSection {
            current,
            current_training,
            last,
            last_training,
            last_hits,
            last_area_km2,
            last_pai,
        },
        options,
    };
    if let Some((group, area)) = public {
        let cube = match &pack.options.public_cube {
            Some(c) => Arc::clone(c),
            None => Arc::new(PublicCube::build(table, pack.options.policy)),
        };
        // Hot spots: the bins alone, each withheld cell entered as k/2 (as the public map).
        if !pack.hot_spots.bins.is_empty() {
            let withheld: Vec<bool> = study
                .cells()
                .iter()
                .map(|c| {
                    cube.count(PublicArea::Cell(*c), group, Period::Month(period)) == PublicCount::Withheld
                })
                .collect();
            let w = Neighbours::k_ring(&study, pack.options.gi_k, true);
            pack.hot_spots.bins =
                public_gi_bins(&pack.hot_spots.counts, &withheld, &w, pack.options.policy.min_count);
        }
        // Density: cells whose kernel support holds fewer than k incidents are NoData.
        if let Some((grid, bandwidth)) = &mut pack.density {
            let sum = KernelSum::new(&points, Kernel::Quartic, bandwidth.bandwidth_m, 1);
            mask_sparse_density(grid, &sum, pack.options.policy.min_count);
        }
        make_public(&mut pack, &cube, group, area);
    }
    Ok(pack)
}

/// The public cube's category group and area of a public pack's selection.
///
/// # Errors
/// [`PackError::Public`] naming `hours`/`weekdays`, `flag`, `category` (not a fixed group)
/// or `area` (an LSOA or custom area), as the public map's routes.
fn public_selection(table: &IncidentTable, filter: &Filter) -> Result<(usize, PublicArea), PackError> {
    let refuse = |parameter: &'static str, why: &str| PackError::Public {
        parameter,
        message: format!(
            "{parameter} needs a partner token (Authorization: Bearer <token>): {why}; the public pack shows \
             fixed categories and periods"
        ),
    };
    if filter.hours.is_some() {
        return Err(refuse("hours", "hour-of-day counts are not published"));
    }
    if filter.weekdays.is_some() {
        return Err(refuse("weekdays", "weekday counts are not published"));
    }
    if filter.flags.is_some() {
        return Err(refuse("flag", "flagged incidents (e.g. domestic abuse) are not published by flag"));
    }
    let groups = category_groups(table);
    let group = group_of(&groups, filter.categories.as_deref()).ok_or_else(|| {
        let list: Vec<&str> = groups.iter().map(|g| g.slug.as_str()).collect();
        PackError::Public {
            parameter: "category",
            message: format!(
                "the public pack shows fixed category groups only: {}; other lists need a partner token",
                list.join(", ")
            ),
        }
    })?;
    let area = match filter.area {
        AreaFilter::All => PublicArea::All,
        AreaFilter::AnyWard => PublicArea::Wards,
        AreaFilter::Ward(id) => PublicArea::Ward(id.0),
        _ => {
            return Err(refuse(
                "area",
                "the public pack covers the study area (bcp), a ward or all incidents, not LSOAs or custom areas",
            ));
        }
    };
    Ok((group, area))
}

/// The fixed period of a KPI window ending at `range.to`: the month, the whole calendar
/// quarter, the whole calendar year; `None` for a part of one.
fn fixed_period(range: MonthRange) -> Option<Period> {
    Period::of_range(range.from, range.to)
}

/// Turns a built pack into its public version: every count replaced by the public cube's
/// answer ([`WITHHELD`] when withheld, [`NOT_FIXED`] over a period that is not fixed); the
/// E-tests made again on published pairs only, with Benjamini–Hochberg over those alone;
/// flags, LSOAs, emerging hot spot transitions, alerts and the patrol plan cleared (they
/// are shown to partners); hot spot counts dropped (the bins stay).
fn make_public(pack: &mut Pack, cube: &PublicCube, group: usize, area: PublicArea) {
    let get = |g: usize, a: PublicArea, p: Option<Period>| -> u64 {
        match p.map(|p| cube.count(a, g, p)) {
            None => NOT_FIXED,
            Some(PublicCount::Count(n)) => n,
            Some(PublicCount::Withheld) => WITHHELD,
        }
    };
    let group_of_measure = |m: Measure| match m {
        Measure::Category(c) => c + 1,
        _ => group,
    };
    let test = |current: u64, earlier: u64, months: u32| -> Option<hexwatch_core::stats::PoissonMeansTest> {
        let published = |n: u64| n < NOT_FIXED;
        (published(current) && published(earlier)).then(|| {
            let m = f64::from(months);
            poisson_means_test(current, m, earlier, m, 0.0, RateAlternative::TwoSided)
                .unwrap_or(hexwatch_core::stats::PoissonMeansTest { statistic: 0.0, p_value: 1.0 })
        })
    };
    // KPIs: all crime and the categories; no flags.
    pack.kpis.retain(|r| !matches!(r.measure, Measure::Flag(_)));
    for r in &mut pack.kpis {
        let g = group_of_measure(r.measure);
        let fixed = fixed_period(r.range);
        r.count = get(g, area, fixed);
        let current = r.count;
        for c in [&mut r.previous, &mut r.year_earlier] {
            let Comparison::Compared { range, .. } = *c else { continue };
            // The comparison's own months (the month, quarter or year before, or a year
            // earlier), published only when the window itself is a fixed period.
            let count = if fixed.is_some() { get(g, area, fixed_period(range)) } else { NOT_FIXED };
            *c = match test(current, count, range.months()) {
                Some(t) => {
                    #[expect(clippy::cast_precision_loss, reason = "counts are far below 2^52")]
                    let change_pct =
                        (count > 0).then(|| 100.0 * (current as f64 - count as f64) / count as f64);
                    Comparison::Compared { range, count, change_pct, test: t, q_value: f64::NAN }
                }
                None => Comparison::Compared {
                    range,
                    count,
                    change_pct: None,
                    test: hexwatch_core::stats::PoissonMeansTest { statistic: f64::NAN, p_value: f64::NAN },
                    q_value: f64::NAN,
                },
            };
        }
    }
    // Benjamini–Hochberg over the published tests alone.
    hexwatch_core::report::adjust_q_values(&mut pack.kpis);
    // Monthly series from the cube's months.
    let span = pack.series.span;
    let months: Vec<YearMonth> =
        (0..span.months()).map(|i| span.from.add_months(i32::try_from(i).unwrap_or(0))).collect();
    pack.series.all = months.iter().map(|m| get(group, area, Some(Period::Month(*m)))).collect();
    for (c, row) in pack.series.by_category.iter_mut().enumerate() {
        *row = months.iter().map(|m| get(c + 1, area, Some(Period::Month(*m)))).collect();
    }
    pack.series.by_flag.clear();
    pack.flag_names.clear();
    // Wards from the cube; LSOAs shown to partners.
    let period = pack.options.period;
    let year = (period.month() == 12).then(|| Period::Year(period.year()));
    for r in &mut pack.wards {
        let Some(i) =
            pack.ward_names.iter().position(|(c, _)| *c == r.code).and_then(|i| u16::try_from(i).ok())
        else {
            // Not a ward of the set (cannot happen): nothing of it is published.
            (r.count, r.year_to_date, r.p_value) = (WITHHELD, WITHHELD, None);
            r.previous = r.previous.map(|_| WITHHELD);
            continue;
        };
        let ward = PublicArea::Ward(i);
        r.count = get(group, ward, Some(Period::Month(period)));
        r.previous = r.previous.map(|_| get(group, ward, Some(Period::Month(period.add_months(-1)))));
        r.year_to_date = get(group, ward, year);
        r.p_value = r.previous.and_then(|p| test(r.count, p, 1)).map(|t| t.p_value);
    }
    let p: Vec<f64> = pack.wards.iter().map(|r| r.p_value.unwrap_or(f64::NAN)).collect();
    for (r, q) in pack.wards.iter_mut().zip(bh_adjusted(&p)) {
        r.q_value = (!q.is_nan()).then_some(q);
    }
    let order = |n: u64| if n < NOT_FIXED { Some(n) } else { None };
    pack.wards.sort_by(|a, b| order(b.count).cmp(&order(a.count)).then(a.code.cmp(&b.code)));
    pack.lsoas.clear();
    pack.hot_spots.counts.clear();
    pack.transitions = None;
    pack.alerts.clear();
    let p = &mut pack.patrol;
    p.current.areas.clear();
    (p.last, p.last_training, p.last_hits, p.last_area_km2, p.last_pai) = (None, None, None, None, None);
}

/// The British National Grid polygons of what an area filter selects (every ward for
/// `bcp` or no area).
fn polygons_bng(areas: &AreaSets, area: AreaFilter) -> Vec<geo::MultiPolygon<f64>> {
    match areas.resolve(area) {
        Some((_, a)) => vec![a.boundary_bng.clone()],
        None => areas.wards.iter().flat_map(|w| w.areas().iter().map(|a| a.boundary_bng.clone())).collect(),
    }
}

/// Pattern changes of the study area's cells between the emerging hot spot analysis of the
/// months to the month before and to the period.
fn transitions(
    table: &IncidentTable,
    filter: &Filter,
    study: &StudyArea,
    span: MonthRange,
    period: YearMonth,
    k: u32,
) -> Option<Vec<Transition>> {
    if period <= span.from {
        return None;
    }
    let steps = usize::try_from(span.from.months_through(period)).ok()?;
    let mut cube = vec![Vec::with_capacity(steps); study.len()];
    for i in 0..steps {
        let m = span.from.add_months(i32::try_from(i).ok()?);
        let slice = Filter { from: Some(m), to: Some(m), ..filter.clone() };
        let (values, _) = study.counts(&aggregate_cells(table, &slice, study.resolution()));
        for (series, v) in cube.iter_mut().zip(values) {
            series.push(v);
        }
    }
    let neighbours = Neighbours::k_ring(study, k, true);
    let up_to = |last: usize| -> Vec<Vec<f64>> { cube.iter().map(|c| c[..=last].to_vec()).collect() };
    let params = EmergingParams::default();
    let (before, after) = rayon::join(
        || emerging_hot_spots(&up_to(steps - 2), &neighbours, params).pattern,
        || emerging_hot_spots(&up_to(steps - 1), &neighbours, params).pattern,
    );
    let mut tally: Vec<Transition> = Vec::new();
    for (b, a) in before.into_iter().zip(after) {
        if b == a {
            continue;
        }
        match tally.iter_mut().find(|t| t.before == b && t.after == a) {
            Some(t) => t.cells += 1,
            None => tally.push(Transition { before: b, after: a, cells: 1 }),
        }
    }
    tally.sort_by(|x, y| y.cells.cmp(&x.cells).then(x.after.label().cmp(y.after.label())));
    Some(tally)
}
