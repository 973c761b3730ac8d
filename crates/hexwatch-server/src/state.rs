//! Server state: the in-memory incident table and the caches.

use std::path::PathBuf;
use std::sync::{Arc, RwLock};

use h3o::{CellIndex, Resolution};
use hexwatch_core::{
    AreaSet, AreaSets, Bounds, CellAggregate, DisclosurePolicy, IncidentTable, LocationId, MembershipReport,
    Role, YearMonth, aggregate_cells,
};
use hexwatch_io::{AreaSetError, BoundarySet, Store, StoreError, WardSet};
use rstar::RTree;
use rstar::primitives::{GeomWithData, Rectangle};

use crate::error::ApiError;
use crate::query::Selection;
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
    /// What the public role may see (k = 0 until the hardening issue sets it).
    pub disclosure: DisclosurePolicy,
    /// Attribution shown with every layer.
    pub attribution: String,
    /// A MapLibre style URL for a basemap under hexwatch's layers; `None` (the default)
    /// draws no basemap, so the page needs no network (ward outlines give context).
    pub basemap_style_url: Option<String>,
}

/// Attribution for police.uk data and ONS boundaries (Open Government Licence v3.0).
pub const DEFAULT_ATTRIBUTION: &str = "Contains public sector information licensed under the Open Government Licence v3.0 \
     (data.police.uk). Ward boundaries: Source: Office for National Statistics licensed under the Open Government \
     Licence v.3.0. Contains OS data © Crown copyright and database right 2020. LSOA boundaries: Source: Office for \
     National Statistics licensed under the Open Government Licence v.3.0. Contains OS data © Crown copyright and \
     database right.";

impl ServerConfig {
    /// A configuration with no wards, no base URL, k = 0 and the default attribution.
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
            attribution: DEFAULT_ATTRIBUTION.to_owned(),
            basemap_style_url: None,
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
    /// The custom area sets could not be read from the store.
    #[error(transparent)]
    Areas(#[from] AreaSetError),
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
}

impl Snapshot {
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

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct TileKey {
    pub(crate) role: Role,
    pub(crate) layer: &'static str,
    pub(crate) z: u8,
    pub(crate) x: u32,
    pub(crate) y: u32,
    pub(crate) selection: String,
    pub(crate) data_version: u64,
}

/// A cached tile: gzip bytes and the ETag of the uncompressed tile.
#[derive(Debug)]
pub(crate) struct CachedTile {
    /// The body: gzip-compressed MVT, or a PNG as it is (already compressed).
    pub(crate) gzip: Vec<u8>,
    pub(crate) etag: String,
    /// `true` for PNG bodies, which are sent without gzip.
    pub(crate) png: bool,
}

/// A density surface, how its parameters were chosen, and its isobands.
#[derive(Debug)]
pub(crate) struct DensitySurface {
    pub(crate) grid: DensityGrid,
    pub(crate) bandwidth: Bandwidth,
    pub(crate) cell_size_rule: &'static str,
    /// Isobands between the legend's breaks, WGS84, for `density-contours` tiles.
    pub(crate) bands: Vec<DensityBand>,
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
    /// WGS84 → British National Grid, for density tiles.
    pub(crate) projector: hexwatch_io::BngProjector,
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
        let inner = Inner {
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
            projector: hexwatch_io::BngProjector::new(),
        };
        Ok(Self(Arc::new(inner)))
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
        let key = AggregateKey {
            role,
            selection: selection.cache_key(),
            res: u8::from(res),
            data_version: snapshot.data_version,
        };
        let settings = format!("{method:?};{options:?}");
        Ok(self.0.stats.get_with((key, settings), || {
            let stats = analyse(&snapshot.table, &selection.filter, &area, method, options);
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
        let key = AggregateKey {
            role,
            selection: selection.cache_key(),
            res: 0,
            data_version: snapshot.data_version,
        };
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

    /// The kernel density surface of `selection` (see [`Self::density_model`]): cell size
    /// given or the points' shorter extent side ÷ 250, over the points' extent grown by the
    /// bandwidth; cells outside the area filter's areas are NoData. `None` when no incident
    /// matches.
    pub(crate) fn density(
        &self,
        snapshot: &Snapshot,
        role: Role,
        selection: &Selection,
        kernel: Kernel,
        bandwidth_m: Option<f64>,
        cell_size_m: Option<f64>,
    ) -> Option<Arc<DensitySurface>> {
        let key = AggregateKey {
            role,
            selection: selection.cache_key(),
            res: 0,
            data_version: snapshot.data_version,
        };
        let settings = format!("{kernel:?};{bandwidth_m:?};{cell_size_m:?}");
        self.0
            .densities
            .try_get_with((key, settings), || {
                let model = self.density_model(snapshot, role, selection, kernel, bandwidth_m).ok_or(())?;
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
                let spec = GridSpec::over_extent(x0 - h, y0 - h, x1 + h, y1 + h, Some(cell)).ok_or(())?;
                let area = selection.filter.area;
                let keep = |x: f64, y: f64| {
                    snapshot.areas.keeps_point(area, BngPoint { easting_m: x, northing_m: y })
                };
                let grid = kde_exact(&model.points, &spec, kernel, h, model.months, &keep);
                let cell_size_rule =
                    if cell_size_m.is_some() { "given" } else { "ArcGIS default: shorter extent side / 250" };
                let projector = &self.0.projector;
                let bands = density_bands(&grid, &DENSITY_BREAKS, &|x, y| {
                    projector.to_wgs84(BngPoint { easting_m: x, northing_m: y }).ok()
                })
                .map_err(|_| ())?;
                Ok::<_, ()>(Arc::new(DensitySurface {
                    grid,
                    bandwidth: model.bandwidth,
                    cell_size_rule,
                    bands,
                }))
            })
            .ok()
    }

    /// The aggregate of `selection` at `res` for `role`, computed once per data version.
    pub(crate) fn aggregate(
        &self,
        snapshot: &Snapshot,
        role: Role,
        selection: &Selection,
        res: Resolution,
    ) -> Arc<IndexedAggregate> {
        let key = AggregateKey {
            role,
            selection: selection.cache_key(),
            res: u8::from(res),
            data_version: snapshot.data_version,
        };
        self.0.aggregates.get_with(key, || {
            let aggregate = aggregate_cells(&snapshot.table, &selection.filter, res);
            let boxes = aggregate.iter().map(|(cell, _)| GeomWithData::new(cell_box(cell), cell)).collect();
            Arc::new(IndexedAggregate { aggregate, tree: RTree::bulk_load(boxes) })
        })
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
    })
}
