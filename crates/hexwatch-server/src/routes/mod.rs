//! Routes.

mod api;
mod detail;
mod live;
mod planning;
mod tiles;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query};
use axum::handler::HandlerWithoutStateExt;
use axum::routing::{get, post};
use hexwatch_core::Role;
use tower_http::services::ServeDir;
use tower_http::trace::TraceLayer;

use crate::error::ApiError;
use crate::state::AppState;

/// The application: every route over `state`, with `web/` served at `/`.
pub fn router(state: AppState) -> Router {
    let web = ServeDir::new(&state.0.config.web_dir)
        .append_index_html_on_directories(true)
        .not_found_service(not_found.into_service());
    Router::new()
        .route("/api/health", get(api::health))
        .route("/api/meta", get(api::meta))
        .route("/catalog", get(api::catalog))
        .route("/api/areas/wards", get(api::wards))
        .route("/api/hotspots", get(api::hotspots))
        .route("/api/patrol-plan", get(planning::patrol_plan))
        .route("/api/evaluation", get(planning::evaluation))
        .route("/api/summary", get(detail::summary))
        .route("/api/cells/{h3}", get(detail::cell))
        .route("/api/wards", get(detail::wards))
        .route("/api/wards/{code}", get(detail::ward))
        .route("/api/lsoas", get(detail::lsoas))
        .route("/api/lsoas/{code}", get(detail::lsoa))
        .route("/tiles/{layer}", get(tiles::tilejson))
        .route("/tiles/{layer}/{z}/{x}/{y}", get(tiles::tile))
        .route(
            "/api/incidents",
            post(live::post_incidents).layer(DefaultBodyLimit::max(live::MAX_BODY_BYTES)),
        )
        .route("/api/events", get(live::events))
        .route("/api/alerts", get(live::alerts))
        .route("/api/alerts/{id}/ack", post(live::ack_alert))
        .fallback_service(web)
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

type Pairs = Vec<(String, String)>;

/// The buffered extent of tile z/x/y in degrees (for purging).
pub(crate) fn tile_window_of(z: u8, x: u32, y: u32) -> rstar::AABB<[f64; 2]> {
    tiles::tile_window(hexwatch_tiles::TileCoord { z, x, y })
}

/// Anything no route or file matches: a JSON 404 pointing at the catalogue.
async fn not_found(uri: axum::http::Uri) -> ApiError {
    ApiError::not_found(format!(
        "nothing at {}; see /catalog for layers and /api/meta for the data",
        uri.path()
    ))
}

/// Query pairs, with axum's rejection answered in our JSON shape.
fn query_pairs(query: Result<Query<Pairs>, QueryRejection>) -> Result<Pairs, ApiError> {
    query.map(|Query(q)| q).map_err(|e| ApiError::bad_parameter("query", e.body_text()))
}

/// Path segments, with axum's rejection answered in our JSON shape.
fn path_segments<T>(path: Result<Path<T>, PathRejection>) -> Result<T, ApiError> {
    path.map(|Path(p)| p).map_err(|e| ApiError::bad_parameter("path", e.body_text()))
}

/// The role a request is served as. Every request is public until the hardening issue
/// adds partner authentication; the role is already part of every cache key.
const fn role_of(_headers: &axum::http::HeaderMap) -> Role {
    Role::Public
}

/// The base URL for absolute links: the configured one, else from the `Host` header.
fn base_url(state: &AppState, headers: &axum::http::HeaderMap) -> String {
    if let Some(base) = &state.0.config.public_base_url {
        return base.trim_end_matches('/').to_owned();
    }
    let host = headers.get(axum::http::header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("localhost");
    format!("http://{host}")
}
