//! The hexwatch HTTP server: axum routes for the map page, TileJSON, H3 cell tiles (MVT),
//! ward outlines, hotspot GeoJSON and metadata. Formulas live in `hexwatch-core`; this crate
//! parses requests, caches and serves.
//!
//! # Example
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use hexwatch_server::{AppState, ServerConfig, router};
//! let state = AppState::load(ServerConfig::new("hexwatch.sqlite3".into(), "web".into()))?;
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
//! axum::serve(listener, router(state)).await?;
//! # Ok(()) }
//! ```
//!
//! # Routes
//! `GET /` (the map, from `web/`), `/api/health`, `/api/meta`, `/catalog`,
//! `/tiles/cells` (TileJSON 3.0.0), `/tiles/cells/{z}/{x}/{y}` (MVT, optional `.mvt`/`.pbf`
//! suffix), `/tiles/boundaries[/{z}/{x}/{y}]?set=ward|lsoa|<custom>` (area outlines),
//! `/api/areas/wards` (GeoJSON), `/api/wards`, `/api/lsoas` (counts per area),
//! `/api/hotspots?method=count&res=9&…` (GeoJSON). Filters shared by tiles and API:
//! `category`, `from`, `to`, `area` (`all`, `bcp`, `ward:<code>`, `lsoa:<code>`,
//! `custom:<set>/<name>`), `res`.
//!
//! # Roles
//! A request with `Authorization: Bearer <token>` of a configured [`PartnerTokens`] entry is
//! served as the partner (exact counts, every route, `Cache-Control: private`, one line in
//! the [`AccessLog`]); any other token is a 401; none is the public role, which sees the
//! public cube of `hexwatch_core::PublicCube` (fixed groups and periods, counts under k
//! withheld with complementary suppression, Gi\* bins, masked density) and is refused the
//! incident-level routes.
//!
//! # Limits, headers, CORS
//! Bodies, request time and concurrent expensive computations are bounded by [`Limits`];
//! every response carries the security headers ([`content_security_policy`]); only the
//! tiles, their TileJSON and `/catalog` answer other origins (see [`router`]). Every error
//! is JSON.

mod auth;
mod error;
mod limits;
mod public;
mod query;
mod routes;
mod state;

pub use auth::{AccessLog, PartnerTokens, TokenFileError};
pub use error::ApiError;
pub use limits::{
    Limits, MAX_PARAMETER_BYTES, MAX_PARAMETERS, MAX_PATH_BYTES, MAX_SMALL_BODY_BYTES,
    content_security_policy,
};
pub use query::{Selection, parse_selection};
pub use routes::router;
pub use state::{
    AppState, DEFAULT_ATTRIBUTION, DEFAULT_LSOA_TOLERANCE_M, MAX_DENSITY_CELLS, ServerConfig, ServerEvent,
    StateError, WriteToken,
};
