//! Input and storage for hexwatch: data.police.uk street CSVs (plain or gzip), British
//! National Grid projection, ward boundaries, and the SQLite store with its migrations.
//!
//! # Example
//! ```no_run
//! use hexwatch_io::{IngestOptions, Store, ingest_file};
//!
//! let mut store = Store::open("hexwatch.sqlite3")?;
//! let report = ingest_file(&mut store, "data/police-uk-dorset-2025/2025-01-dorset-street.csv.gz".as_ref(),
//!     &IngestOptions::default(), &mut |_done, _total| {})?;
//! assert_eq!(report.read, report.accepted + report.duplicates + report.rejected.len() as u64);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Contents
//! - [`ingest_file`]: validate, identify and store one police.uk file; returns an [`IngestReport`].
//! - [`Store`]: the SQLite store (schema versioned by `PRAGMA user_version`).
//! - [`BngProjector`]: WGS84 ↔ EPSG:27700.
//! - [`BoundarySet`] ([`WardSet`]): ward and LSOA boundaries from GeoJSON (WGS84 or EPSG:27700),
//!   projected for point-in-polygon.
//! - [`CustomAreaFile`]: user areas (beats, PSPO zones) read with repairs and rejections, kept
//!   in the store (`Store::add_area_set`, `Store::load_area_sets`).
//! - [`hotspots_geojson`]: ranked H3 cells as GeoJSON; [`cells_csv`], [`wards_csv`]: exports.
//! - [`build_pack`], [`pack_html`], [`pack_tables`]: the monthly partnership pack (KPIs with
//!   E-tests, wards and LSOAs, hot spot and density pictures, alerts, patrol PAI).
//! - [`clusters_geojson`]: cluster outlines (convex hulls) in WGS84 with their counts.

mod alerting;
mod api_ingest;
mod bng;
mod boundary_file;
mod cluster_out;
mod custom_areas;
mod evaluation_io;
mod geojson_out;
mod ingest;
mod mapping;
mod patrol_out;
mod police_uk;
mod raster_out;
mod report_html;
mod report_pack;
mod stats_out;
mod store;
mod street_parse;
mod tables_out;
mod time;
mod wards;

pub use alerting::{AlertSettings, StoredAlert, TRANSITION_METHOD, compute_alerts};
pub use api_ingest::{Batch, BodyError, BodyFormat, ingest_body};
pub use bng::{BngProjector, ProjectionError};
pub use boundary_file::{BoundaryFileError, SourceCrs};
pub use cluster_out::{ClusterOutline, cluster_outlines, cluster_summary, clusters_geojson};
pub use custom_areas::{
    AreaSetError, AreaSetInfo, CustomAreaFile, CustomAreaOptions, DEFAULT_CODE_PROPERTIES,
    DEFAULT_NAME_PROPERTIES, FeatureRejection, Repair, check_set_name,
};
pub use evaluation_io::{backtest_inputs, evaluation_chart_svg};
pub use geojson_out::hotspots_geojson;
pub use ingest::{
    IngestError, IngestOptions, IngestReport, MAX_ROW_BYTES, PathIngest, Rejection, ingest_file, ingest_path,
};
pub use mapping::{ColumnMap, FlagMap, Mapping, TimeMap, ingest_mapped};
pub use patrol_out::{busiest_hours, patrol_csv, patrol_geojson, patrol_sheet_html, patrol_svg};
pub use raster_out::{RasterError, write_density_geotiff};
pub use report_html::{PACK_CSS, PackStyle, pack_html, pack_json, pack_tables};
pub use report_pack::{
    AreaChange, HotSpots, NOT_FIXED, Pack, PackAlert, PackError, PackOptions, PatrolSection, Transition,
    WITHHELD, build_pack,
};
pub use stats_out::{class_counts, ranked_cells, stat_properties, stats_csv, stats_geojson};
pub use store::{BUSY_TIMEOUT, SCHEMA_VERSION, Store, StoreError, StoreSummary};
pub use street_parse::{
    ParsedStreet, StreetIncident, clear_location_cache, parse_police_uk, parse_police_uk_in_chunks,
};
pub use tables_out::{WardRow, cells_csv, wards_csv};
pub use wards::{BoundarySet, WardSet, WardSetError, outlines};
