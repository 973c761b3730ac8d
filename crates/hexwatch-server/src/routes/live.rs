//! Live data: `POST /api/incidents` (token-protected ingest) and `GET /api/events` (SSE).

use std::convert::Infallible;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use hexwatch_io::{Batch, BodyFormat, Store, ingest_body};
use serde_json::json;
use tokio_stream::StreamExt;
use tokio_stream::wrappers::BroadcastStream;

use super::{Pairs, query_pairs};
use crate::error::ApiError;
use crate::state::{AppState, ServerEvent};

fn status(status: StatusCode, message: impl Into<String>) -> ApiError {
    ApiError { status, message: message.into(), parameter: None }
}

/// Checks `Authorization: Bearer <token>`: 403 when the server has no write token
/// configured, 401 when the header is missing or wrong. The token is never logged.
fn authorise(state: &AppState, headers: &HeaderMap) -> Result<(), ApiError> {
    let Some(token) = &state.0.config.write_token else {
        return Err(status(
            StatusCode::FORBIDDEN,
            "writes are disabled: start the server with a write token (--write-token-file or HEXWATCH_WRITE_TOKEN)",
        ));
    };
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    match given {
        Some(g) if token.matches(g) => Ok(()),
        Some(_) => Err(status(StatusCode::UNAUTHORIZED, "invalid bearer token")),
        None => Err(status(StatusCode::UNAUTHORIZED, "missing Authorization: Bearer <token>")),
    }
}

/// `POST /api/incidents?source=…&batch=…[&time_zone=Europe/London]` (body at most
/// [`crate::Limits::max_body_bytes`], 16 MiB by default: 413 past it) with a JSON array
/// (`application/json`), a GeoJSON FeatureCollection (`application/geo+json`) or CSV
/// (`text/csv`) in the schema of [`hexwatch_io::ingest_body`]. Accepted rows are committed
/// in one SQLite transaction before the reply, which reports accepted / duplicates /
/// rejected (each with its row, field and reason); the table is then rebuilt, the caches
/// purged and a `data-version` event sent.
pub(super) async fn post_incidents(
    State(state): State<AppState>,
    query: Result<Query<Pairs>, QueryRejection>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    authorise(&state, &headers)?;
    let pairs = query_pairs(query)?;
    let mut source = None;
    let mut batch = None;
    let mut time_zone = "Europe/London".to_owned();
    for (k, v) in &pairs {
        match k.as_str() {
            "source" => source = Some(v.clone()),
            "batch" => batch = Some(v.clone()),
            "time_zone" => time_zone.clone_from(v),
            other => {
                return Err(ApiError::bad_parameter(
                    other,
                    format!("unknown parameter {other:?}; /api/incidents takes source, batch, time_zone"),
                ));
            }
        }
    }
    let source = source
        .filter(|s| !s.trim().is_empty())
        .ok_or_else(|| ApiError::bad_parameter("source", "give source=<name of the sending system>"))?;
    let batch = batch
        .filter(|s| !s.trim().is_empty())
        .ok_or_else(|| ApiError::bad_parameter("batch", "give batch=<name of this upload>"))?;
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let mime = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    let format = match mime.as_str() {
        "application/json" => BodyFormat::Json,
        "application/geo+json" => BodyFormat::GeoJson,
        "text/csv" => BodyFormat::Csv,
        _ => {
            return Err(status(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                format!(
                    "unsupported Content-Type {content_type:?}: application/json, application/geo+json or text/csv"
                ),
            ));
        }
    };
    let batch = Batch { source, batch, time_zone };
    let st = state.clone();
    let outcome = tokio::task::spawn_blocking(move || -> Result<serde_json::Value, ApiError> {
        let _writer = st.0.write_lock.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut store = Store::open(&st.0.config.store_path).map_err(|e| ApiError::internal(&e))?;
        let report = match ingest_body(&mut store, &batch, format, &body) {
            Err(hexwatch_io::BodyError::Parameter { parameter, reason }) => {
                return Err(ApiError::bad_parameter(parameter, format!("invalid {parameter}: {reason}")));
            }
            Err(e) => return Err(ApiError::bad_parameter("body", e.to_string())),
            Ok(Err(e @ hexwatch_io::IngestError::Store(_))) => return Err(ApiError::internal(&e)),
            Ok(Err(e)) => return Err(ApiError::bad_parameter("body", e.to_string())),
            Ok(Ok(report)) => report,
        };
        drop(store);
        let purged = if report.accepted > 0 {
            st.apply_change(&report.accepted_points).map_err(|e| ApiError::internal(&e))?
        } else {
            0
        };
        let data_version = st.snapshot().data_version;
        let mut new_alerts = Vec::new();
        if report.accepted > 0 {
            st.0.events.publish("data-version", json!({ "data_version": data_version }).to_string());
            new_alerts = st.refresh_alerts().map_err(|e| ApiError::internal(&e))?;
        }
        let rejected: Vec<_> = report
            .rejected
            .iter()
            .map(|r| json!({ "row": r.line.saturating_sub(1), "field": r.field, "reason": r.reason }))
            .collect();
        Ok(json!({
            "source": batch.source,
            "batch": batch.batch,
            "read": report.read,
            "accepted": report.accepted,
            "duplicates": report.duplicates,
            "rejected": rejected,
            "data_version": data_version,
            "tiles_purged": purged,
            "new_alerts": new_alerts,
        }))
    })
    .await
    .map_err(|e| ApiError::internal(&e))??;
    let code =
        if outcome["accepted"].as_u64().unwrap_or(0) > 0 { StatusCode::CREATED } else { StatusCode::OK };
    Ok((code, axum::Json(outcome)).into_response())
}

/// `GET /api/events`: server-sent events `data-version` (after each write) and `alert`,
/// with ids; a client sending `Last-Event-ID` first receives the events it missed (the last
/// 1,024 are kept); a comment every 15 s keeps the connection open.
pub(super) async fn events(
    State(state): State<AppState>,
    query: Result<Query<Pairs>, QueryRejection>,
    headers: HeaderMap,
) -> Result<impl IntoResponse, ApiError> {
    crate::query::no_parameters(&query_pairs(query)?, "/api/events")?;
    let last_id = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.trim()
                .parse::<u64>()
                .map_err(|_| ApiError::bad_parameter("Last-Event-ID", "expected an event id"))
        })
        .transpose()?;
    // Subscribe before reading the backlog so nothing falls between them.
    // The public role gets `data-version` only: alerts are partner data.
    let partner = super::role_of(&headers) == hexwatch_core::Role::Partner;
    let shown = move |e: &ServerEvent| partner || e.kind != "alert";
    let live = BroadcastStream::new(state.0.events.sender.subscribe());
    let mut backlog = last_id.map(|id| state.0.events.since(id)).unwrap_or_default();
    backlog.retain(shown);
    let newest_replayed = backlog.last().map_or(last_id.unwrap_or(0), |e| e.id);
    let to_sse = |e: ServerEvent| Event::default().id(e.id.to_string()).event(e.kind).data(e.data);
    let replay = tokio_stream::iter(backlog.into_iter().map(move |e| Ok::<_, Infallible>(to_sse(e))));
    let live = live.filter_map(move |item| match item {
        Ok(e) if e.id > newest_replayed && shown(&e) => Some(Ok(to_sse(e))),
        // Already replayed, or the client fell behind the channel: it reconnects with its
        // Last-Event-ID and the backlog covers the gap.
        _ => None,
    });
    Ok(Sse::new(replay.chain(live)).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}

/// `GET /api/alerts?status=open&period=2025-09&kind=cell|ward`: stored alerts as a GeoJSON
/// FeatureCollection, each with its cell or ward polygon and its figures (observed,
/// expected, ratio, p, q, method, seasonality, first raised, status, note).
pub(super) async fn alerts(
    State(state): State<AppState>,
    query: Result<Query<Pairs>, QueryRejection>,
) -> Result<Response, ApiError> {
    let pairs = query_pairs(query)?;
    let (mut status, mut period, mut kind) = (None, None, None);
    for (k, v) in &pairs {
        match k.as_str() {
            "status" if ["open", "acknowledged", "closed", "expired"].contains(&v.as_str()) => {
                status = Some(v.clone())
            }
            "status" => {
                return Err(ApiError::bad_parameter(
                    "status",
                    "status: open, acknowledged, closed or expired",
                ));
            }
            "period" => {
                v.parse::<hexwatch_core::YearMonth>()
                    .map_err(|e| ApiError::bad_parameter("period", e.to_string()))?;
                period = Some(v.clone());
            }
            "kind" if v == "cell" || v == "ward" => kind = Some(v.clone()),
            "kind" => return Err(ApiError::bad_parameter("kind", "kind: cell or ward")),
            other => {
                return Err(ApiError::bad_parameter(
                    other,
                    format!("unknown parameter {other:?}; /api/alerts takes status, period, kind"),
                ));
            }
        }
    }
    let st = state.clone();
    let body = tokio::task::spawn_blocking(move || -> Result<serde_json::Value, ApiError> {
        let store = Store::open(&st.0.config.store_path).map_err(|e| ApiError::internal(&e))?;
        let list = store
            .alerts(status.as_deref(), period.as_deref(), kind.as_deref())
            .map_err(|e| ApiError::internal(&e))?;
        let features: Vec<serde_json::Value> = list
            .into_iter()
            .map(|a| {
                let geometry = geometry_of(&st, &a.kind, &a.unit);
                json!({ "type": "Feature", "id": a.id, "geometry": geometry, "properties": a })
            })
            .collect();
        Ok(json!({
            "type": "FeatureCollection",
            "features": features,
            "method": hexwatch_core::alerts::METHOD,
            "data_version": st.snapshot().data_version,
        }))
    })
    .await
    .map_err(|e| ApiError::internal(&e))??;
    Ok(([(header::CONTENT_TYPE, "application/geo+json")], body.to_string()).into_response())
}

/// The polygon of an alert's cell or ward as GeoJSON (`null` when unknown).
fn geometry_of(state: &AppState, kind: &str, unit: &str) -> serde_json::Value {
    match kind {
        "cell" => unit.parse::<h3o::CellIndex>().map_or(serde_json::Value::Null, |cell| {
            let mut ring: Vec<[f64; 2]> = cell.boundary().iter().map(|ll| [ll.lng(), ll.lat()]).collect();
            if let Some(first) = ring.first().copied() {
                ring.push(first);
            }
            json!({ "type": "Polygon", "coordinates": [ring] })
        }),
        _ => state
            .0
            .config
            .wards
            .as_ref()
            .and_then(|w| {
                w.outlines.features.iter().find(|f| {
                    f.properties.as_ref().and_then(|p| p.get("code")).and_then(|c| c.as_str()) == Some(unit)
                })
            })
            .and_then(|f| f.geometry.as_ref())
            .and_then(|g| serde_json::to_value(g).ok())
            .unwrap_or(serde_json::Value::Null),
    }
}

/// `POST /api/alerts/{id}/ack` with `{"note": "...", "status": "acknowledged" | "closed"}`
/// (bearer token as for writes): records who-knows-why next to the alert.
pub(super) async fn ack_alert(
    State(state): State<AppState>,
    path: Result<axum::extract::Path<String>, axum::extract::rejection::PathRejection>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    authorise(&state, &headers)?;
    let id = super::path_segments(path)?;
    let request: serde_json::Value = if body.is_empty() {
        json!({})
    } else {
        serde_json::from_slice(&body)
            .map_err(|e| ApiError::bad_parameter("body", format!("not JSON: {e}")))?
    };
    let status = request.get("status").and_then(|s| s.as_str()).unwrap_or("acknowledged").to_owned();
    if status != "acknowledged" && status != "closed" {
        return Err(ApiError::bad_parameter("status", "status: acknowledged or closed"));
    }
    let note = request.get("note").and_then(|n| n.as_str()).map(str::to_owned);
    if note.as_ref().is_some_and(|n| n.len() > 4_000) {
        return Err(ApiError::bad_parameter("note", "note: at most 4,000 bytes"));
    }
    let st = state.clone();
    let found = tokio::task::spawn_blocking(move || {
        let mut store = Store::open(&st.0.config.store_path).map_err(|e| ApiError::internal(&e))?;
        store
            .set_alert_status(&id, &status, note.as_deref())
            .map_err(|e| ApiError::internal(&e))
            .map(|f| (f, id, status))
    })
    .await
    .map_err(|e| ApiError::internal(&e))??;
    let (found, id, status) = found;
    if !found {
        return Err(ApiError::not_found(format!("no alert {id:?}; see /api/alerts")));
    }
    Ok(axum::Json(json!({ "id": id, "status": status })).into_response())
}
