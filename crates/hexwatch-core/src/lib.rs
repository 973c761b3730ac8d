//! Pure hotspot engine for hexwatch: the columnar incident table, filters, areas and
//! Rayon-parallel H3 aggregation. No files, HTTP or SQL here (see `hexwatch-io` and
//! `hexwatch-server`).
//!
//! # Example
//! ```
//! use hexwatch_core::{BngPoint, Filter, IncidentTableBuilder, NewIncident, YearMonth};
//! use hexwatch_core::{FINEST_RESOLUTION, aggregate_cells};
//! use h3o::{LatLng, Resolution};
//!
//! let mut builder = IncidentTableBuilder::new();
//! let asb = builder.category_id("Anti-social behaviour");
//! let (lon, lat) = (-1.866628, 50.722301); // "On or near Lansdowne Crescent"
//! let cell = LatLng::new(lat, lon)?.to_cell(FINEST_RESOLUTION);
//! let bng = BngPoint { easting_m: 409_400.0, northing_m: 91_900.0 };
//! for month in [1, 2] {
//!     let month = YearMonth::new(2025, month)?;
//!     builder.push(NewIncident::monthly(asb, month, lon, lat, bng, cell));
//! }
//! let table = builder.build(None);
//! assert_eq!(table.location_count(), 1);
//! let counts = aggregate_cells(&table, &Filter::default(), Resolution::Nine);
//! assert_eq!(counts.total(), 2);
//! assert_eq!(counts.get(cell.parent(Resolution::Nine).unwrap()).unwrap().total(), 2);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Contents
//! - [`IncidentTable`]: incidents as columns; distinct locations indexed once.
//! - [`Category`] and [`CategoryId`]: police.uk crime types with their police.uk API slugs.
//! - [`YearMonth`], [`TimePrecision`]: time with an explicit precision.
//! - [`AreaSet`], [`AreaSets`]: boundary sets (wards, LSOAs, custom areas) and point-in-polygon
//!   membership with a tolerance in metres stated per set.
//! - [`Filter`], [`AreaFilter`]: the selection shared by tiles and the API.
//! - [`aggregate_cells`]: counts per H3 cell and category as a mergeable partial.
//! - [`summarise`], [`aggregate_wards`]: totals by category, month, location and ward.
//! - [`evaluation`]: hit rate, PAI, PEI*, RRI and a rolling-origin backtest of the methods.
//! - [`kde`]: kernel density surfaces in British National Grid metres.
//! - [`cluster`]: DBSCAN and CrimeStat's nearest-neighbour hierarchical clustering (NNH) of
//!   incidents in British National Grid metres, with convex-hull outlines.
//! - [`stats`]: study area, Getis-Ord Gi* with FDR, local Moran's I, emerging hot spots.
//! - [`alerts`]: hotspot alerts per period: exact conditional Poisson test with FDR, Poisson z,
//!   EWMA, and cells turning into emerging hot spots.
//! - [`Role`], [`DisclosurePolicy`], [`PublicCube`], [`suppress`]: who sees what — the public
//!   role's counts with primary and complementary suppression, fixed [`Period`]s and
//!   [`CategoryGroup`]s, Gi\* bins and density masks for the public role.
//! - [`patrol`]: patrol plans: K non-overlapping patrol areas, greedy with a stated bound.
//! - [`report`]: the partnership pack's KPIs (month, quarter and year to date against earlier
//!   periods, judged by the E-test for two Poisson rates).
//! - [`synthetic`]: seeded synthetic incidents (Gaussian hotspots over a uniform background).

mod aggregate;
pub mod alerts;
mod area;
mod category;
pub mod cluster;
mod disclosure;
pub mod evaluation;
mod filter;
mod incident;
pub mod kde;
pub mod patrol;
mod points;
pub mod report;
pub mod stats;
mod summary;
pub mod synthetic;
mod time;
mod units;

pub use aggregate::{
    CellAggregate, CellCounts, aggregate_cells, aggregate_cells_sequential, density_per_km2_month,
};
pub use area::{Area, AreaId, AreaSet, AreaSets, Ward, WardIndex};
pub use category::{Category, CategoryId, police_uk_name, police_uk_slug};
pub use disclosure::{
    ACQUISITIVE_SLUGS, CategoryGroup, DisclosurePolicy, MIN_PUBLIC_RESOLUTION, Period, PeriodError,
    PublicArea, PublicCount, PublicCube, Relation, Role, SENSITIVE_SLUGS, category_groups, group_of,
    is_sensitive_slug, mask_sparse_density, public_gi_bins, public_period, suppress,
};
pub use filter::{AreaFilter, AreaTest, Filter, FilterError};
pub use incident::{
    FINEST_RESOLUTION, INDEXED_RESOLUTIONS, IncidentTable, IncidentTableBuilder, LocationId,
    MembershipReport, NewIncident, TableMemory,
};
pub use points::{InvalidPoint, cells_of_points};
pub use summary::{Scope, Summary, aggregate_lsoas, aggregate_wards, previous_period, summarise};
pub use time::{
    HOURS_PER_WEEK, MINUTES_PER_WEEK, TimePrecision, WEEKDAY_NAMES, WeekTime, YearMonth, YearMonthError,
    parse_hours, parse_weekdays,
};
pub use units::{BngPoint, Bounds, BoundsError};
