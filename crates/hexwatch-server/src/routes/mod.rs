//! Routes.

mod api;
mod detail;
mod live;
mod planning;
mod report;
mod tiles;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query};
use axum::handler::HandlerWithoutStateExt;
use axum::http::{HeaderName, Method, header};
use axum::routing::{get, post};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

use crate::auth::role_of;
use crate::error::ApiError;
use crate::limits::{self, MAX_PARAMETER_BYTES, MAX_PARAMETERS};
use crate::state::AppState;

/// The application: every route over `state`, with `web/` served at `/`.
///
/// Every request is authenticated first ([`crate::PartnerTokens`]): a partner token gives the
/// partner role, and the public role is refused the partner-only routes.
///
/// Layers, outermost first: the security headers (CSP, `nosniff`, `Referrer-Policy`,
/// `X-Frame-Options`) on every response; a caught panic answered as an opaque JSON 500;
/// every error in JSON; the trace; the request limits (path length, body size, request
/// timeout, see [`crate::Limits`]). CORS is deliberate: the tiles, their TileJSON and the
/// catalogue may be read from any origin (GET and HEAD, so other map clients can use them);
/// nothing else answers a cross-origin request, so the write routes cannot be called from
/// another site's page.
pub fn router(state: AppState) -> Router {
    let web = ServeDir::new(&state.0.config.web_dir)
        .append_index_html_on_directories(true)
        .not_found_service(not_found.into_service());
    let cors = CorsLayer::new()
        .allow_origin(AllowOrigin::any())
        .allow_methods([Method::GET, Method::HEAD])
        .allow_headers([header::IF_NONE_MATCH])
        .expose_headers([header::ETAG, HeaderName::from_static("x-hexwatch-cache")])
        .max_age(std::time::Duration::from_secs(24 * 3600));
    let shared = Router::new()
        .route("/catalog", get(api::catalog))
        .route("/tiles/{layer}", get(tiles::tilejson))
        .route("/tiles/{layer}/{z}/{x}/{y}", get(tiles::tile))
        .layer(cors);
    let csp = limits::content_security_policy(state.0.config.basemap_style_url.as_deref());
    let mut app = Router::new()
        .route("/api/health", get(api::health))
        .route("/api/meta", get(api::meta))
        .route("/api/areas/wards", get(api::wards))
        .route("/api/hotspots", get(api::hotspots))
        .route("/api/patrol-plan", get(planning::patrol_plan))
        .route("/api/evaluation", get(planning::evaluation))
        .route("/api/report", get(report::report))
        .route("/api/report/style.css", get(report::style))
        .route("/api/summary", get(detail::summary))
        .route("/api/cells/{h3}", get(detail::cell))
        .route("/api/wards", get(detail::wards))
        .route("/api/wards/{code}", get(detail::ward))
        .route("/api/lsoas", get(detail::lsoas))
        .route("/api/lsoas/{code}", get(detail::lsoa))
        .route("/api/incidents", post(live::post_incidents))
        .route("/api/events", get(live::events))
        .route("/api/alerts", get(live::alerts))
        .route("/api/alerts/{id}/ack", post(live::ack_alert))
        .merge(shared)
        .fallback_service(web)
        // Bodies are read, bounded and timed by `limit_requests`, before the extractors.
        .layer(DefaultBodyLimit::disable())
        .layer(axum::middleware::from_fn_with_state(state.clone(), crate::auth::authenticate))
        .layer(axum::middleware::from_fn(limits::retry_after))
        .layer(axum::middleware::from_fn_with_state(state.clone(), limits::limit_requests))
        .layer(TraceLayer::new_for_http())
        .layer(axum::middleware::from_fn(limits::json_errors))
        .layer(CatchPanicLayer::custom(limits::panic_response));
    for (name, value) in limits::security_headers(&csp) {
        app = app.layer(SetResponseHeaderLayer::if_not_present(name, value));
    }
    app.with_state(state)
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

/// Query pairs, with axum's rejection answered in our JSON shape; at most
/// [`MAX_PARAMETERS`] parameters, each name and value at most [`MAX_PARAMETER_BYTES`].
fn query_pairs(query: Result<Query<Pairs>, QueryRejection>) -> Result<Pairs, ApiError> {
    let pairs = query.map(|Query(q)| q).map_err(|e| ApiError::bad_parameter("query", e.body_text()))?;
    if pairs.len() > MAX_PARAMETERS {
        return Err(ApiError::bad_parameter(
            "query",
            format!("{} query parameters: at most {MAX_PARAMETERS}", pairs.len()),
        ));
    }
    if let Some((key, value)) =
        pairs.iter().find(|(k, v)| k.len() > MAX_PARAMETER_BYTES || v.len() > MAX_PARAMETER_BYTES)
    {
        let name: String = key.chars().take(64).collect();
        return Err(ApiError::bad_parameter(
            &name,
            format!(
                "{name} is {} bytes long: query parameter names and values are at most {MAX_PARAMETER_BYTES} bytes",
                key.len().max(value.len())
            ),
        ));
    }
    Ok(pairs)
}

/// Path segments, with axum's rejection answered in our JSON shape.
fn path_segments<T>(path: Result<Path<T>, PathRejection>) -> Result<T, ApiError> {
    path.map(|Path(p)| p).map_err(|e| ApiError::bad_parameter("path", e.body_text()))
}

/// The base URL for absolute links: the configured one, else from the `Host` header.
fn base_url(state: &AppState, headers: &axum::http::HeaderMap) -> String {
    if let Some(base) = &state.0.config.public_base_url {
        return base.trim_end_matches('/').to_owned();
    }
    let host = headers.get(axum::http::header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("localhost");
    format!("http://{host}")
}
