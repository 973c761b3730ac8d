//! The monthly partnership pack: `GET /api/report` and its style sheet.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use h3o::Resolution;
use hexwatch_core::{AreaFilter, Role, YearMonth};
use hexwatch_io::{PACK_CSS, PackOptions, PackStyle, build_pack, pack_html, pack_json, pack_tables};

use super::{Pairs, query_pairs, role_of};
use crate::error::ApiError;
use crate::public::{PublicAreas, public_selection};
use crate::query::parse_selection;
use crate::state::AppState;

/// Where the pack's page finds its style sheet (the CSP allows `style-src 'self'` only).
const STYLE_URL: &str = "/api/report/style.css";

/// The CSV tables `table=` may name.
const TABLES: [&str; 8] = ["kpis", "series", "wards", "lsoas", "hotspots", "transitions", "alerts", "patrol"];

fn value<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
}

/// `GET /api/report?period=2025-12&area=bcp&category=…&res=9&format=html|json|csv&table=kpis`:
/// the monthly partnership pack of `period` (default: the data's last month) for the area
/// (default `bcp`; `all` for no area filter). `format=html` (default) is the printable page,
/// `json` its figures, `csv` one of its tables (`table=kpis`, `series`, `wards`, `lsoas`,
/// `hotspots`, `transitions`, `alerts`, `patrol`), byte for byte what `hexwatch report`
/// writes. `from`/`to` are refused: the pack sets its own periods.
pub(super) async fn report(
    State(state): State<AppState>,
    query: Result<Query<Pairs>, QueryRejection>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let mut pairs = query_pairs(query)?;
    for key in ["from", "to", "hours", "weekdays"] {
        if value(&pairs, key).is_some() {
            return Err(ApiError::bad_parameter(
                key,
                format!("the partnership pack sets its own months and times: give period=YYYY-MM, not {key}"),
            ));
        }
    }
    let snapshot = state.snapshot();
    let Some((_, last)) = snapshot.month_span else {
        return Err(ApiError::not_found("no incidents: ingest data first"));
    };
    let period = match value(&pairs, "period") {
        None => last,
        Some(p) => p.parse::<YearMonth>().map_err(|e| ApiError::bad_parameter("period", e.to_string()))?,
    };
    let area_label = value(&pairs, "area").unwrap_or("bcp").to_owned();
    let no_area = area_label == "all";
    pairs.retain(|(k, v)| !(k == "area" && v == "all"));
    let mut selection =
        parse_selection(&pairs, &snapshot.table, &snapshot.areas, &["period", "format", "table"])?;
    if value(&pairs, "area").is_none() && !no_area {
        selection.filter.area = AreaFilter::AnyWard;
    }
    let format = value(&pairs, "format").unwrap_or("html").to_owned();
    let table = match (format.as_str(), value(&pairs, "table")) {
        ("csv", Some(t)) if TABLES.contains(&t) => Some(format!("{t}.csv")),
        ("csv", t) => {
            return Err(ApiError::bad_parameter(
                "table",
                format!("invalid table (got {t:?}): one of {}", TABLES.join(", ")),
            ));
        }
        ("html" | "json", None) => None,
        ("html" | "json", Some(_)) => {
            return Err(ApiError::bad_parameter("table", "table= goes with format=csv"));
        }
        (other, _) => {
            return Err(ApiError::bad_parameter(
                "format",
                format!("invalid format (got {other:?}): html, json or csv"),
            ));
        }
    };
    let role = role_of(&headers);
    let policy = state.0.config.disclosure;
    let public_cube = if role == Role::Public {
        // The public map's checks (fixed category groups, no flags or times, the study area
        // or a ward, res within the public cap); the pack sets its own fixed periods.
        public_selection(&mut selection, &snapshot, policy, PublicAreas::Wards)?;
        Some(snapshot.public_cube(policy))
    } else {
        None
    };
    let mut options = PackOptions::new(period, selection.filter.clone(), &area_label, role);
    options.policy = policy;
    options.public_cube = public_cube;
    options.resolution = selection.res.unwrap_or(Resolution::Nine);
    options.alert_settings = state.0.config.alerts.clone();
    let permit = state.0.expensive.enter().await?;
    let store_path = state.0.config.store_path.clone();
    let (content_type, body) =
        tokio::task::spawn_blocking(move || -> Result<(&'static str, String), ApiError> {
            let _permit = permit;
            // Statuses and notes of the recorded alerts (the server records them as it loads).
            options.stored_alerts = hexwatch_io::Store::open(&store_path)
                .and_then(|store| store.alerts(None, None, None))
                .map_err(|e| ApiError::internal(&e))?;
            let pack = build_pack(&snapshot.table, &snapshot.areas, snapshot.data_version, options).map_err(
                |e| match e {
                    hexwatch_io::PackError::Period(e) => ApiError::bad_parameter("period", e.to_string()),
                    hexwatch_io::PackError::NoWards => ApiError::bad_parameter("area", e.to_string()),
                    hexwatch_io::PackError::Public { parameter, message } => {
                        ApiError::bad_parameter(parameter, message)
                    }
                    other => ApiError::internal(&other),
                },
            )?;
            if let Some(name) = table {
                let tables = pack_tables(&pack).map_err(|e| ApiError::internal(&e))?;
                let body = tables.into_iter().find(|(n, _)| *n == name).map(|(_, b)| b).unwrap_or_default();
                return Ok(("text/csv; charset=utf-8", body));
            }
            if format == "json" {
                return Ok(("application/json", pack_json(&pack).to_string()));
            }
            let html = pack_html(&pack, PackStyle::Linked(STYLE_URL)).map_err(|e| ApiError::internal(&e))?;
            Ok(("text/html; charset=utf-8", html))
        })
        .await
        .map_err(|e| ApiError::internal(&e))??;
    Ok(([(header::CONTENT_TYPE, HeaderValue::from_static(content_type))], body).into_response())
}

/// `GET /api/report/style.css`: the pack's style sheet (screen and A4 print).
pub(super) async fn style(query: Result<Query<Pairs>, QueryRejection>) -> Result<Response, ApiError> {
    crate::query::no_parameters(&query_pairs(query)?, STYLE_URL)?;
    Ok(([(header::CONTENT_TYPE, HeaderValue::from_static("text/css; charset=utf-8"))], PACK_CSS)
        .into_response())
}
