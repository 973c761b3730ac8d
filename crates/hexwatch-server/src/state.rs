//! Server state: the in-memory incident table and the caches.

use std::path::PathBuf;
use std::sync::{Arc, RwLock};

use h3o::{CellIndex, Resolution};
use hexwatch_core::{
    AreaSet, AreaSets, Bounds, CellAggregate, DisclosurePolicy, IncidentTable, LocationId, MembershipReport,
    PublicArea, PublicCount, PublicCube, Role, YearMonth, aggregate_cells, mask_sparse_density,
    public_gi_bins,
};
use hexwatch_io::{AreaSetError, BoundarySet, Store, StoreError, WardSet};
use rstar::RTree;
use rstar::primitives::{GeomWithData, Rectangle};

use crate::error::ApiError;
use crate::query::Selection;
use hexwatch_core::cluster::{ClusterMethod, NnhThreshold, cluster_selection};
use hexwatch_core::kde::{
    Bandwidth, BandwidthRule, DensityGrid, GridSpec, Kernel, KernelSum, WeightedPoint, arcgis_bandwidth,
    kde_exact, kde_points,
};
use hexwatch_core::stats::{CellStats, Method, StatOptions, StudyArea, analyse};
use hexwatch_core::{AreaFilter, BngPoint};
use hexwatch_tiles::{DENSITY_BREAKS, DensityBand, density_bands};

/// How the server is set up.
#[derive(Debug)]
pub struct ServerConfig {
    /// The SQLite store.
    pub store_path: PathBuf,
    /// The front end directory (`web/`, after `npm ci`).
    pub web_dir: PathBuf,
    /// Ward boundaries for `area=` filters and outlines; `None` serves without areas.
    pub wards: Option<WardSet>,
    /// Point-in-polygon tolerance for the wards, metres (11 m for the shipped BCP wards).
    pub ward_tolerance_m: f64,
    /// LSOA boundaries for `area=lsoa:` filters, `/api/lsoas` and the boundaries layer;
    /// `None` serves without LSOAs. Membership comes from the incidents' own LSOA code
    /// where they have one; the polygons place the others.
    pub lsoas: Option<BoundarySet>,
    /// Point-in-polygon tolerance for the LSOAs, metres (used only for incidents without
    /// an LSOA code).
    pub lsoa_tolerance_m: f64,
    /// Base URL for absolute TileJSON tile URLs (e.g. `https://maps.example.org`); when
    /// `None`, taken from the request's `Host` header.
    pub public_base_url: Option<String>,
    /// What the public role may see (k = 5, cells to resolution 9, sensitive categories
    /// to resolution 7).
    pub disclosure: DisclosurePolicy,
    /// Partner tokens: a request bearing one is served as [`Role::Partner`].
    pub partner_tokens: crate::auth::PartnerTokens,
    /// Where each partner request is logged (one JSON line each, appended); `None` logs
    /// nothing.
    pub access_log: Option<PathBuf>,
    /// Attribution shown with every layer.
    pub attribution: String,
    /// A MapLibre style URL for a basemap under hexwatch's layers; `None` (the default)
    /// draws no basemap, so the page needs no network (ward outlines give context).
    pub basemap_style_url: Option<String>,
    /// The bearer token `POST /api/incidents` requires; `None` disables writes (403).
    pub write_token: Option<WriteToken>,
    /// What the alerts watch (cells at resolution 9 for ASB and violence, and ward ×
    /// category, by default).
    pub alerts: hexwatch_io::AlertSettings,
    /// Body size, request time and concurrent expensive computations.
    pub limits: crate::limits::Limits,
}

/// A secret bearer token: compared in constant time, never printed (`Debug` shows `***`).
#[derive(Clone)]
pub struct WriteToken(String);

impl WriteToken {
    /// A token; `None` when it is shorter than 16 characters (too guessable).
    #[must_use]
    pub fn new(token: &str) -> Option<Self> {
        let token = token.trim();
        (token.len() >= 16).then(|| Self(token.to_owned()))
    }

    /// Whether `given` equals the token (constant time).
    #[must_use]
    pub fn matches(&self, given: &str) -> bool {
        constant_time_eq::constant_time_eq(self.0.as_bytes(), given.as_bytes())
    }
}

impl std::fmt::Debug for WriteToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WriteToken(***)")
    }
}

/// A server-sent event: `data-version` after a write, `alert` when one is raised.
#[derive(Debug, Clone)]
pub struct ServerEvent {
    /// Monotonic id (milliseconds since the epoch at the earliest, so ids keep rising
    /// across restarts), for `Last-Event-ID` replay.
    pub id: u64,
    /// `data-version` or `alert`.
    pub kind: &'static str,
    /// JSON payload.
    pub data: String,
}

/// Recent events (for replay) and the live channel.
#[derive(Debug)]
pub(crate) struct EventLog {
    pub(crate) sender: tokio::sync::broadcast::Sender<ServerEvent>,
    recent: std::sync::Mutex<std::collections::VecDeque<ServerEvent>>,
}

/// Events kept for `Last-Event-ID` replay.
const REPLAY_EVENTS: usize = 1024;

impl EventLog {
    fn new() -> Self {
        Self {
            sender: tokio::sync::broadcast::channel(256).0,
            recent: std::sync::Mutex::new(Default::default()),
        }
    }

    /// Records and broadcasts an event; returns it.
    pub(crate) fn publish(&self, kind: &'static str, data: String) -> ServerEvent {
        let mut recent = self.recent.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let now_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
        let id = recent.back().map_or(now_ms, |e| (e.id + 1).max(now_ms));
        let event = ServerEvent { id, kind, data };
        recent.push_back(event.clone());
        if recent.len() > REPLAY_EVENTS {
            recent.pop_front();
        }
        // No subscriber is not an error.
        let _ = self.sender.send(event.clone());
        event
    }

    /// Events after `last_id`, oldest first.
    pub(crate) fn since(&self, last_id: u64) -> Vec<ServerEvent> {
        let recent = self.recent.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        recent.iter().filter(|e| e.id > last_id).cloned().collect()
    }
}

/// Attribution for police.uk data and ONS boundaries (Open Government Licence v3.0).
pub const DEFAULT_ATTRIBUTION: &str = "Contains public sector information licensed under the Open Government Licence v3.0 \
     (data.police.uk). Ward boundaries: Source: Office for National Statistics licensed under the Open Government \
     Licence v.3.0. Contains OS data © Crown copyright and database right 2020. LSOA boundaries: Source: Office for \
     National Statistics licensed under the Open Government Licence v.3.0. Contains OS data © Crown copyright and \
     database right.";

impl ServerConfig {
    /// A configuration with no wards, no base URL, no partner token, the default
    /// disclosure policy (k = 5) and the default attribution.
    #[must_use]
    pub fn new(store_path: PathBuf, web_dir: PathBuf) -> Self {
        Self {
            store_path,
            web_dir,
            wards: None,
            ward_tolerance_m: 11.0,
            lsoas: None,
            lsoa_tolerance_m: DEFAULT_LSOA_TOLERANCE_M,
            public_base_url: None,
            disclosure: DisclosurePolicy::default(),
            partner_tokens: crate::auth::PartnerTokens::default(),
            access_log: None,
            attribution: DEFAULT_ATTRIBUTION.to_owned(),
            basemap_style_url: None,
            write_token: None,
            alerts: hexwatch_io::AlertSettings::default(),
            limits: crate::limits::Limits::default(),
        }
    }
}

/// Default point-in-polygon tolerance of the LSOA set, metres: the same 11 m as the wards,
/// for the same coastal snap points (police.uk rows carry their LSOA code, so the polygons
/// place only incidents without one).
pub const DEFAULT_LSOA_TOLERANCE_M: f64 = 11.0;

/// Why the state could not be built.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StateError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The alert statistics failed.
    #[error("alerts: {0}")]
    Alerts(String),
    /// The custom area sets could not be read from the store.
    #[error(transparent)]
    Areas(#[from] AreaSetError),
    /// The partner access log could not be opened.
    #[error("access log {path}: {source}")]
    AccessLog {
        /// The log file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
}

/// Everything computed from one version of the store.
#[derive(Debug)]
pub(crate) struct Snapshot {
    pub(crate) table: IncidentTable,
    /// Wards, LSOAs and the store's custom sets, as the table was assigned with them.
    pub(crate) areas: AreaSets,
    /// How incidents were placed in LSOAs (by code, by position), when LSOAs are loaded.
    pub(crate) lsoa_membership: Option<MembershipReport>,
    pub(crate) data_version: u64,
    pub(crate) month_span: Option<(YearMonth, YearMonth)>,
    /// Extent of all locations, for TileJSON.
    pub(crate) bounds: Option<Bounds>,
    /// Incidents per category, indexed by category id (for `/api/meta`).
    pub(crate) category_counts: Vec<u64>,
    /// Incidents inside some ward (the BCP study area).
    pub(crate) in_wards: usize,
    /// What the public role sees of this version: built on the first public request.
    public_cube: std::sync::OnceLock<Arc<PublicCube>>,
}

impl Snapshot {
    /// The public cube of this data version under `policy` (built once, on first use).
    pub(crate) fn public_cube(&self, policy: DisclosurePolicy) -> Arc<PublicCube> {
        self.public_cube.get_or_init(|| Arc::new(PublicCube::build(&self.table, policy))).clone()
    }

    /// Months a selection spans for densities (see `Filter::months_selected`).
    pub(crate) fn months(&self, selection: &Selection) -> u32 {
        self.month_span.map_or(0, |(first, last)| selection.filter.months_selected(first, last))
    }
}

/// A cell aggregate with an R-tree over the cells' bounding boxes (degrees), for tiles.
#[derive(Debug)]
pub(crate) struct IndexedAggregate {
    pub(crate) aggregate: CellAggregate,
    pub(crate) tree: RTree<GeomWithData<Rectangle<[f64; 2]>, CellIndex>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct AggregateKey {
    pub(crate) role: Role,
    pub(crate) selection: String,
    pub(crate) res: u8,
    pub(crate) data_version: u64,
}

impl AggregateKey {
    /// The key of `selection` at `res` (0 for resolution-free results) for `role` in
    /// `snapshot`'s data version.
    fn of(snapshot: &Snapshot, role: Role, selection: &Selection, res: u8) -> Self {
        Self { role, selection: selection.cache_key(), res, data_version: snapshot.data_version }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct TileKey {
    pub(crate) role: Role,
    pub(crate) layer: &'static str,
    pub(crate) z: u8,
    pub(crate) x: u32,
    pub(crate) y: u32,
    pub(crate) selection: String,
    /// What the tile depends on beyond its own area: the data version for statistics
    /// (global), the bandwidth and grid for density, the kernel bandwidth for cells. Tiles
    /// whose version is unchanged stay cached until a change near them purges them.
    pub(crate) version: String,
}

/// How far a change reaches a cached tile (the purge rules of [`AppState::apply_change`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum TileScope {
    /// Counts at this H3 resolution: purged when a changed incident's cell at that
    /// resolution meets the tile's buffered extent.
    Cells {
        /// H3 resolution of the tile's cells.
        res: u8,
    },
    /// A density surface: purged when a changed incident lies within the bandwidth of the
    /// tile's buffered extent.
    Density {
        /// Bandwidth, metres.
        bandwidth_m: f64,
    },
    /// Global statistics (Gi*, Moran, emerging) and clusters (a cluster may reach across
    /// the whole selection): purged on every change.
    Global,
    /// Area outlines: no incident change touches them.
    Boundaries,
}

/// A cached tile: gzip bytes and the ETag of the uncompressed tile.
#[derive(Debug)]
pub(crate) struct CachedTile {
    /// The body: gzip-compressed MVT, or a PNG as it is (already compressed).
    pub(crate) gzip: Vec<u8>,
    pub(crate) etag: String,
    /// `true` for PNG bodies, which are sent without gzip.
    pub(crate) png: bool,
    /// What purges it.
    pub(crate) scope: TileScope,
}

/// A density surface, how its parameters were chosen, and its isobands.
#[derive(Debug)]
pub(crate) struct DensitySurface {
    pub(crate) grid: DensityGrid,
    pub(crate) bandwidth: Bandwidth,
    pub(crate) cell_size_rule: &'static str,
    /// Isobands between the legend's breaks, WGS84, for `density-contours` tiles: computed
    /// on the first contour tile ([`DensitySurface::bands`]).
    bands: std::sync::OnceLock<Vec<DensityBand>>,
}

impl DensitySurface {
    /// The isobands between the legend's breaks (computed once).
    pub(crate) fn bands(&self, projector: &hexwatch_io::BngProjector) -> &[DensityBand] {
        self.bands.get_or_init(|| {
            density_bands(&self.grid, &DENSITY_BREAKS, &|x, y| {
                projector.to_wgs84(BngPoint { easting_m: x, northing_m: y }).ok()
            })
            .unwrap_or_default()
        })
    }
}

/// The points of a selection with the kernel and bandwidth: the exact density anywhere.
#[derive(Debug)]
pub(crate) struct DensityModel {
    pub(crate) points: Vec<WeightedPoint>,
    pub(crate) bandwidth: Bandwidth,
    #[expect(dead_code, reason = "kept with the model it describes")]
    pub(crate) kernel: Kernel,
    pub(crate) months: u32,
    pub(crate) sum: KernelSum,
}

pub(crate) struct Inner {
    pub(crate) config: ServerConfig,
    /// The partner access log, when configured.
    pub(crate) access_log: Option<crate::auth::AccessLog>,
    pub(crate) outlines: Option<String>,
    snapshot: RwLock<Arc<Snapshot>>,
    /// Tiles by (role, layer, z/x/y, filters, data version); concurrent misses of one key
    /// are built once (`try_get_with`).
    pub(crate) tiles: moka::sync::Cache<TileKey, Arc<CachedTile>>,
    aggregates: moka::sync::Cache<AggregateKey, Arc<IndexedAggregate>>,
    /// Study areas by (resolution, area): they depend only on the boundaries.
    study_areas: moka::sync::Cache<(u8, AreaFilter), Arc<StudyArea>>,
    /// Statistics by (role, selection, resolution, method and settings, data version).
    stats: moka::sync::Cache<(AggregateKey, String), Arc<IndexedStats>>,
    /// Density surfaces by (role, selection, kernel and sizes, data version).
    densities: moka::sync::Cache<(AggregateKey, String), Arc<DensitySurface>>,
    /// Density models (points, bandwidth, R-tree) by (role, selection, kernel, bandwidth).
    density_models: moka::sync::Cache<(AggregateKey, String), Arc<DensityModel>>,
    /// Clusterings by (role, selection, method and parameters, data version).
    clusters: moka::sync::Cache<(AggregateKey, String), Arc<IndexedClusters>>,
    /// WGS84 → British National Grid, for density tiles.
    pub(crate) projector: hexwatch_io::BngProjector,
    /// Server-sent events.
    pub(crate) events: EventLog,
    /// One write at a time (SQLite takes one writer; the reload follows each).
    pub(crate) write_lock: std::sync::Mutex<()>,
    /// Admission to expensive computations.
    pub(crate) expensive: crate::limits::ExpensiveGate,
}

/// A clustering of a selection: its outlines in WGS84 with an R-tree over their bounding
/// boxes (degrees), for tiles, and its summary (method, parameters, counts) for TileJSON.
#[derive(Debug)]
pub(crate) struct IndexedClusters {
    pub(crate) outlines: Vec<hexwatch_io::ClusterOutline>,
    /// Each outline as a MultiPolygon (what the tile encoder clips).
    pub(crate) polygons: Vec<geo::MultiPolygon<f64>>,
    pub(crate) threshold_m: Option<f64>,
    pub(crate) summary: serde_json::Map<String, serde_json::Value>,
    pub(crate) tree: RTree<GeomWithData<Rectangle<[f64; 2]>, usize>>,
}

/// Cell statistics with an R-tree over the cells' bounding boxes (degrees), for tiles.
#[derive(Debug)]
pub(crate) struct IndexedStats {
    pub(crate) stats: CellStats,
    pub(crate) tree: RTree<GeomWithData<Rectangle<[f64; 2]>, usize>>,
}

/// Shared server state (cheap to clone).
#[derive(Clone)]
pub struct AppState(pub(crate) Arc<Inner>);

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState").field("store", &self.0.config.store_path).finish_non_exhaustive()
    }
}

impl AppState {
    /// Opens the store and builds the in-memory table (wards assigned when configured).
    ///
    /// # Errors
    /// [`StateError::Store`] when the store cannot be opened or read.
    pub fn load(config: ServerConfig) -> Result<Self, StateError> {
        let outlines = config.wards.as_ref().map(|w| geojson::GeoJson::from(w.outlines.clone()).to_string());
        let snapshot = load_snapshot(&config)?;
        let config_limits = config.limits;
        let access_log = match &config.access_log {
            Some(path) => Some(
                crate::auth::AccessLog::open(path)
                    .map_err(|source| StateError::AccessLog { path: path.clone(), source })?,
            ),
            None => None,
        };
        let inner = Inner {
            access_log,
            config,
            outlines,
            snapshot: RwLock::new(Arc::new(snapshot)),
            // Tiles are a few kB gzipped: bound by bytes (64 MiB), not entries.
            tiles: moka::sync::Cache::builder()
                .weigher(|_k, v: &Arc<CachedTile>| u32::try_from(v.gzip.len()).unwrap_or(u32::MAX))
                .max_capacity(64 * 1024 * 1024)
                .build(),
            aggregates: moka::sync::Cache::new(256),
            study_areas: moka::sync::Cache::new(64),
            stats: moka::sync::Cache::new(64),
            densities: moka::sync::Cache::new(32),
            density_models: moka::sync::Cache::new(64),
            clusters: moka::sync::Cache::new(32),
            projector: hexwatch_io::BngProjector::new(),
            events: EventLog::new(),
            write_lock: std::sync::Mutex::new(()),
            expensive: crate::limits::ExpensiveGate::new(&config_limits),
        };
        let state = Self(Arc::new(inner));
        // Alerts of the data as loaded (new ones since the last run are recorded as open).
        state.refresh_alerts()?;
        Ok(state)
    }

    /// Computes the alerts of the current data (cells and wards; none without ward
    /// boundaries), records them in the store, and sends an `alert` event for each new one.
    /// Returns the new alerts' ids.
    ///
    /// # Errors
    /// [`StateError::Store`], or [`StateError::Alerts`] when the statistics fail.
    pub fn refresh_alerts(&self) -> Result<Vec<String>, StateError> {
        let snapshot = self.snapshot();
        let Some(wards) = snapshot.areas.wards.as_ref() else { return Ok(Vec::new()) };
        let alerts = hexwatch_io::compute_alerts(&snapshot.table, wards, &self.0.config.alerts)
            .map_err(StateError::Alerts)?;
        let mut store = Store::open(&self.0.config.store_path)?;
        let new = store.record_alerts(&alerts)?;
        if !new.is_empty() {
            let stored = store.alerts(None, None, None)?;
            for a in stored.iter().filter(|a| new.contains(&a.id)) {
                self.0.events.publish("alert", serde_json::to_string(a).unwrap_or_default());
            }
        }
        Ok(new)
    }

    /// Rebuilds the table after incidents at `changed` (lon, lat) were added or removed,
    /// and purges cached tiles by the rules of their scope: count tiles whose
    /// buffered extent meets a changed incident's cell at the tile's resolution, density
    /// tiles within the bandwidth of a changed incident, every statistics and clusters tile
    /// (clusters chain across the selection, and their ranks are global). Tiles that
    /// depend on a global parameter that changed (the default bandwidth, the density grid)
    /// miss by key. Returns the number of tiles purged.
    ///
    /// # Errors
    /// [`StateError::Store`].
    pub fn apply_change(&self, changed: &[(f64, f64)]) -> Result<usize, StateError> {
        let snapshot = load_snapshot(&self.0.config)?;
        *self.0.snapshot.write().unwrap_or_else(std::sync::PoisonError::into_inner) = Arc::new(snapshot);
        let mut purged = 0;
        for (key, tile) in &self.0.tiles {
            let window = crate::routes::tile_window_of(key.z, key.x, key.y);
            let hit = match tile.scope {
                TileScope::Global => true,
                TileScope::Boundaries => false,
                TileScope::Cells { res } => Resolution::try_from(res).is_ok_and(|r| {
                    changed.iter().any(|&(lon, lat)| {
                        h3o::LatLng::new(lat, lon).is_ok_and(|ll| {
                            let b = cell_box(ll.to_cell(r));
                            rstar::Envelope::intersects(&window, &rstar::RTreeObject::envelope(&b))
                        })
                    })
                }),
                TileScope::Density { bandwidth_m } => changed.iter().any(|&(lon, lat)| {
                    let dlat = bandwidth_m / 111_320.0;
                    let dlon = dlat / lat.to_radians().cos().max(0.01);
                    let (lo, hi) = (window.lower(), window.upper());
                    lon >= lo[0] - dlon && lon <= hi[0] + dlon && lat >= lo[1] - dlat && lat <= hi[1] + dlat
                }),
            };
            if hit {
                self.0.tiles.invalidate(key.as_ref());
                purged += 1;
            }
        }
        Ok(purged)
    }

    /// Rebuilds the table from the store (after an ingest) and purges every cache.
    ///
    /// # Errors
    /// [`StateError::Store`].
    pub fn reload(&self) -> Result<(), StateError> {
        let snapshot = load_snapshot(&self.0.config)?;
        *self.0.snapshot.write().unwrap_or_else(std::sync::PoisonError::into_inner) = Arc::new(snapshot);
        self.0.tiles.invalidate_all();
        self.0.aggregates.invalidate_all();
        // Custom area sets are re-read with the store: their ids may have changed.
        self.0.study_areas.invalidate_all();
        self.0.stats.invalidate_all();
        self.0.densities.invalidate_all();
        self.0.density_models.invalidate_all();
        self.0.clusters.invalidate_all();
        Ok(())
    }

    pub(crate) fn snapshot(&self) -> Arc<Snapshot> {
        self.0.snapshot.read().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }

    /// Incidents in the current snapshot.
    #[must_use]
    pub fn incident_count(&self) -> usize {
        self.snapshot().table.len()
    }

    /// The statistics of `selection` at `res` over the study area of its area filter (all
    /// wards for `bcp` or no area; the one area for `ward:`, `lsoa:` or `custom:`),
    /// computed once per data version.
    ///
    /// # Errors
    /// 400 naming `method` when no ward boundaries are configured (no study area).
    pub(crate) fn cell_stats(
        &self,
        snapshot: &Snapshot,
        role: Role,
        selection: &Selection,
        res: Resolution,
        method: Method,
        options: StatOptions,
    ) -> Result<Arc<IndexedStats>, ApiError> {
        // One area selected: its own polygon is the study area; otherwise all of BCP.
        let area_key = match selection.filter.area {
            AreaFilter::All | AreaFilter::AnyWard => AreaFilter::AnyWard,
            single => single,
        };
        let polygons = snapshot.areas.study_polygons(area_key);
        if polygons.is_empty() {
            return Err(ApiError::bad_parameter(
                "method",
                "hotspot statistics need a study area: start the server with ward boundaries",
            ));
        }
        let area = self
            .0
            .study_areas
            .try_get_with((u8::from(res), area_key), || StudyArea::covering(&polygons, res).map(Arc::new))
            .map_err(|e| ApiError::internal(&e))?;
        let key = AggregateKey::of(snapshot, role, selection, u8::from(res));
        let settings = format!("{method:?};{options:?}");
        let policy = self.0.config.disclosure;
        Ok(self.0.stats.get_with((key, settings), || {
            let mut stats = analyse(&snapshot.table, &selection.filter, &area, method, options);
            if role == Role::Public
                && let (Some(gi), Some(q)) =
                    (stats.gi.as_mut(), crate::public::pinned_query(selection, snapshot))
            {
                // Bins computed with every withheld count entered as k/2 (see public_gi_bins).
                let cube = snapshot.public_cube(policy);
                let withheld: Vec<bool> = stats
                    .area
                    .cells()
                    .iter()
                    .map(|c| cube.count(PublicArea::Cell(*c), q.group, q.period) == PublicCount::Withheld)
                    .collect();
                let w = hexwatch_core::stats::Neighbours::k_ring(&stats.area, options.k, true);
                gi.bin = public_gi_bins(&stats.counts, &withheld, &w, policy.min_count);
                gi.z.fill(f64::NAN);
                gi.p.fill(f64::NAN);
                gi.p_sim = None;
            }
            let boxes = stats
                .area
                .cells()
                .iter()
                .enumerate()
                .map(|(i, cell)| GeomWithData::new(cell_box(*cell), i))
                .collect();
            Arc::new(IndexedStats { stats, tree: RTree::bulk_load(boxes) })
        }))
    }

    /// The study area of an area filter at `res` (all wards for `bcp`, the one area for
    /// `ward:`, `lsoa:` or `custom:`), cached; `None` for no area or no boundaries.
    ///
    /// # Errors
    /// 500 when h3o cannot tile a boundary.
    pub(crate) fn study_area(
        &self,
        snapshot: &Snapshot,
        area: AreaFilter,
        res: Resolution,
    ) -> Result<Option<Arc<StudyArea>>, ApiError> {
        if area == AreaFilter::All {
            return Ok(None);
        }
        let polygons = snapshot.areas.study_polygons(area);
        if polygons.is_empty() {
            return Ok(None);
        }
        self.0
            .study_areas
            .try_get_with((u8::from(res), area), || StudyArea::covering(&polygons, res).map(Arc::new))
            .map(Some)
            .map_err(|e| ApiError::internal(&e))
    }

    /// The kernel-density model of `selection`: its distinct locations with their weights,
    /// the bandwidth given or by ArcGIS's rule, and an R-tree for the exact density at any
    /// point. `None` when no incident matches.
    pub(crate) fn density_model(
        &self,
        snapshot: &Snapshot,
        role: Role,
        selection: &Selection,
        kernel: Kernel,
        bandwidth_m: Option<f64>,
    ) -> Option<Arc<DensityModel>> {
        let key = AggregateKey::of(snapshot, role, selection, 0);
        let settings = format!("{kernel:?};{bandwidth_m:?}");
        self.0
            .density_models
            .try_get_with((key, settings), || {
                let points = kde_points(&snapshot.table, &selection.filter, |_| 1.0);
                let triples: Vec<_> = points.iter().map(|p| (p.easting_m, p.northing_m, p.weight)).collect();
                let mut bandwidth = arcgis_bandwidth(&triples).ok_or(())?;
                if let Some(h) = bandwidth_m {
                    bandwidth.bandwidth_m = h;
                    bandwidth.rule = BandwidthRule::Given;
                }
                let months = snapshot.months(selection);
                let sum = KernelSum::new(&points, kernel, bandwidth.bandwidth_m, months);
                Ok::<_, ()>(Arc::new(DensityModel { points, bandwidth, kernel, months, sum }))
            })
            .ok()
    }

    /// [`Self::density_spec`] when the density model is already built (no work at all);
    /// `None` when it is not.
    pub(crate) fn cached_density_spec(
        &self,
        snapshot: &Snapshot,
        role: Role,
        selection: &Selection,
        kernel: Kernel,
        bandwidth_m: Option<f64>,
        cell_size_m: Option<f64>,
    ) -> Option<Result<Option<(f64, GridSpec)>, ApiError>> {
        let key = AggregateKey::of(snapshot, role, selection, 0);
        let model = self.0.density_models.get(&(key, format!("{kernel:?};{bandwidth_m:?}")))?;
        Some(grid_of(&model, cell_size_m))
    }

    /// The bandwidth and grid the density surface of `selection` uses (cheap: no kernel
    /// sums), or `None` when no incident matches.
    ///
    /// # Errors
    /// 400 naming `cell_size_m` when the grid would exceed [`MAX_DENSITY_CELLS`].
    pub(crate) fn density_spec(
        &self,
        snapshot: &Snapshot,
        role: Role,
        selection: &Selection,
        kernel: Kernel,
        bandwidth_m: Option<f64>,
        cell_size_m: Option<f64>,
    ) -> Result<Option<(f64, GridSpec)>, ApiError> {
        match self.density_model(snapshot, role, selection, kernel, bandwidth_m) {
            None => Ok(None),
            Some(model) => grid_of(&model, cell_size_m),
        }
    }

    /// The kernel density surface of `selection` (see [`Self::density_model`]): cell size
    /// given or the points' shorter extent side ÷ 250, over the points' extent grown by the
    /// bandwidth; cells outside the area filter's areas are NoData. `None` when no incident
    /// matches.
    ///
    /// # Errors
    /// 400 naming `cell_size_m` when the grid would exceed [`MAX_DENSITY_CELLS`].
    pub(crate) fn density(
        &self,
        snapshot: &Snapshot,
        role: Role,
        selection: &Selection,
        kernel: Kernel,
        bandwidth_m: Option<f64>,
        cell_size_m: Option<f64>,
    ) -> Result<Option<Arc<DensitySurface>>, ApiError> {
        let Some(model) = self.density_model(snapshot, role, selection, kernel, bandwidth_m) else {
            return Ok(None);
        };
        let Some((h, spec)) = grid_of(&model, cell_size_m)? else { return Ok(None) };
        let key = AggregateKey::of(snapshot, role, selection, 0);
        let settings = format!("{kernel:?};{bandwidth_m:?};{cell_size_m:?}");
        let surface = self.0.densities.get_with((key, settings), || {
            let area = selection.filter.area;
            let keep =
                |x: f64, y: f64| snapshot.areas.keeps_point(area, BngPoint { easting_m: x, northing_m: y });
            let mut grid = kde_exact(&model.points, &spec, kernel, h, model.months, &keep);
            if role == Role::Public {
                mask_sparse_density(&mut grid, &model.sum, self.0.config.disclosure.min_count);
            }
            let cell_size_rule =
                if cell_size_m.is_some() { "given" } else { "ArcGIS default: shorter extent side / 250" };
            Arc::new(DensitySurface {
                grid,
                bandwidth: model.bandwidth,
                cell_size_rule,
                bands: std::sync::OnceLock::new(),
            })
        });
        Ok(Some(surface))
    }

    /// The clusters of `selection` by `method` for `role`, computed once per data version:
    /// each cluster's convex hull in WGS84 (largest first) with its counts, and the summary.
    /// NNH's random threshold takes the selected area's size as its study area (see
    /// [`nnh_study_area`]).
    ///
    /// # Errors
    /// 400 naming the parameter when the clustering refuses it (e.g. an NNH threshold ≤ 0
    /// for very few incidents); 500 when an outline cannot be projected.
    pub(crate) fn clusters(
        &self,
        snapshot: &Snapshot,
        role: Role,
        selection: &Selection,
        method: ClusterMethod,
    ) -> Result<Arc<IndexedClusters>, ApiError> {
        let key = AggregateKey::of(snapshot, role, selection, 0);
        let method = nnh_study_area(snapshot, selection, method);
        self.0
            .clusters
            .try_get_with((key, format!("{method:?}")), || {
                let run = cluster_selection(&snapshot.table, &selection.filter, method)
                    .map_err(|e| ApiError::bad_parameter(e.parameter(), e.to_string()))?;
                let outlines = hexwatch_io::cluster_outlines(&run, &self.0.projector)
                    .map_err(|e| ApiError::internal(&e))?;
                let polygons: Vec<geo::MultiPolygon<f64>> =
                    outlines.iter().map(|o| geo::MultiPolygon::new(vec![o.outline_wgs84.clone()])).collect();
                let boxes = polygons
                    .iter()
                    .enumerate()
                    .filter_map(|(i, p)| {
                        let r = geo::BoundingRect::bounding_rect(p)?;
                        Some(GeomWithData::new(
                            Rectangle::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y]),
                            i,
                        ))
                    })
                    .collect();
                Ok::<_, ApiError>(Arc::new(IndexedClusters {
                    summary: hexwatch_io::cluster_summary(&run),
                    threshold_m: run.threshold_m,
                    outlines,
                    polygons,
                    tree: RTree::bulk_load(boxes),
                }))
            })
            .map_err(|e: Arc<ApiError>| (*e).clone())
    }

    /// The aggregate of `selection` at `res` for `role`, computed once per data version.
    pub(crate) fn aggregate(
        &self,
        snapshot: &Snapshot,
        role: Role,
        selection: &Selection,
        res: Resolution,
    ) -> Arc<IndexedAggregate> {
        let key = AggregateKey::of(snapshot, role, selection, u8::from(res));
        self.0.aggregates.get_with(key, || {
            let aggregate = aggregate_cells(&snapshot.table, &selection.filter, res);
            let boxes = aggregate.iter().map(|(cell, _)| GeomWithData::new(cell_box(cell), cell)).collect();
            Arc::new(IndexedAggregate { aggregate, tree: RTree::bulk_load(boxes) })
        })
    }
}

/// Most cells of a density grid: 4,000,000 (32 MB of densities; the default grid over
/// all the Dorset data has about 220,000). A finer grid is a 400 naming `cell_size_m`,
/// not an allocation that could exhaust the server's memory.
pub const MAX_DENSITY_CELLS: usize = 4_000_000;

/// The bandwidth and grid of a model's surface: cells of `cell_size_m` (default the
/// points' shorter extent side ÷ 250, ArcGIS's rule) over the extent grown by the bandwidth.
fn grid_of(model: &DensityModel, cell_size_m: Option<f64>) -> Result<Option<(f64, GridSpec)>, ApiError> {
    let fold = |get: fn(&WeightedPoint) -> f64| {
        model
            .points
            .iter()
            .map(get)
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| (a.min(v), b.max(v)))
    };
    let ((x0, x1), (y0, y1)) = (fold(|p| p.easting_m), fold(|p| p.northing_m));
    let cell = cell_size_m.unwrap_or_else(|| ((x1 - x0).min(y1 - y0) / 250.0).max(1.0));
    let h = model.bandwidth.bandwidth_m;
    let Some(spec) = GridSpec::over_extent(x0 - h, y0 - h, x1 + h, y1 + h, Some(cell)) else {
        return Ok(None);
    };
    if spec.ncols.checked_mul(spec.nrows).is_none_or(|n| n > MAX_DENSITY_CELLS) {
        return Err(ApiError::bad_parameter(
            "cell_size_m",
            format!(
                "a grid of {cell} m cells over the selection's extent (grown by the {h:.0} m bandwidth) would have \
                 {} × {} cells, more than the {MAX_DENSITY_CELLS} allowed: give a larger cell_size_m or narrow the selection",
                spec.ncols, spec.nrows
            ),
        ));
    }
    Ok(Some((h, spec)))
}

/// NNH with a random threshold and no study area given takes the selection's area: the
/// one area of an `area=` filter, all wards together for `bcp`; with no area filter the
/// incidents' bounding rectangle (CrimeStat's default when no area is defined).
fn nnh_study_area(snapshot: &Snapshot, selection: &Selection, method: ClusterMethod) -> ClusterMethod {
    match method {
        ClusterMethod::Nnh(mut params) => {
            if let NnhThreshold::Random { area_m2: None, p } = params.threshold {
                params.threshold =
                    NnhThreshold::Random { area_m2: snapshot.areas.area_m2(selection.filter.area), p };
            }
            ClusterMethod::Nnh(params)
        }
        dbscan @ ClusterMethod::Dbscan { .. } => dbscan,
    }
}

/// A cell's bounding box in degrees.
fn cell_box(cell: CellIndex) -> Rectangle<[f64; 2]> {
    let (mut lo, mut hi) = ([f64::INFINITY; 2], [f64::NEG_INFINITY; 2]);
    for ll in cell.boundary().iter() {
        lo = [lo[0].min(ll.lng()), lo[1].min(ll.lat())];
        hi = [hi[0].max(ll.lng()), hi[1].max(ll.lat())];
    }
    Rectangle::from_corners(lo, hi)
}

fn load_snapshot(config: &ServerConfig) -> Result<Snapshot, StateError> {
    let store = Store::open(&config.store_path)?;
    let areas = AreaSets {
        wards: config.wards.as_ref().map(|w: &WardSet| w.index(config.ward_tolerance_m)),
        lsoas: config.lsoas.as_ref().map(|l| l.index(config.lsoa_tolerance_m)),
        custom: store.load_area_sets()?,
    };
    let mut table = store.load_table(areas.wards.as_ref())?;
    let lsoa_membership = areas.lsoas.as_ref().map(|l: &AreaSet| table.assign_lsoas(l));
    table.assign_custom(&areas.custom);
    let data_version = store.summary()?.data_version;
    let month_span = table.month_span();
    let bounds = (0..table.location_count())
        .filter_map(|i| u32::try_from(i).ok())
        .map(|i| table.location_lon_lat(LocationId(i)))
        .fold(None, |b: Option<Bounds>, (lon, lat)| {
            Some(b.map_or(Bounds { west: lon, east: lon, south: lat, north: lat }, |b| Bounds {
                west: b.west.min(lon),
                east: b.east.max(lon),
                south: b.south.min(lat),
                north: b.north.max(lat),
            }))
        });
    let category_counts = table.category_counts();
    let in_wards = table.ward_column().iter().filter(|w| w.is_some()).count();
    Ok(Snapshot {
        table,
        areas,
        lsoa_membership,
        data_version,
        month_span,
        bounds,
        category_counts,
        in_wards,
        public_cube: std::sync::OnceLock::new(),
    })
}
