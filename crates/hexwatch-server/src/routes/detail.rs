//! Summaries and tables: `/api/summary`, `/api/cells/{h3}`, `/api/wards`, `/api/wards/{code}`,
//! `/api/lsoas`, `/api/lsoas/{code}`.

use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use h3o::CellIndex;
use hexwatch_core::{
    AreaFilter, AreaSet, AreaSets, Filter, IncidentTable, Period, PublicArea, PublicCount, PublicCube, Role,
    Scope, Summary, YearMonth, aggregate_lsoas, aggregate_wards, density_per_km2_month, previous_period,
    summarise,
};
use hexwatch_io::WardRow;
use serde_json::{Value, json};

use super::{Pairs, path_segments, query_pairs, role_of};
use crate::error::ApiError;
use crate::public::{PublicAreas, PublicQuery, public_area, public_selection};
use crate::query::{Selection, parse_selection};
use crate::state::{AppState, Snapshot};

/// Top location descriptions listed per cell or ward.
const TOP_LOCATIONS: usize = 10;

/// The selection's month range, defaulting to the data's months.
fn range(snapshot: &Snapshot, selection: &Selection) -> Option<(YearMonth, YearMonth)> {
    let (first, last) = snapshot.month_span?;
    Some((selection.filter.from.unwrap_or(first), selection.filter.to.unwrap_or(last)))
}

fn by_category(table: &IncidentTable, counts: &[u64]) -> Value {
    let mut v: Vec<_> = table.categories().iter().zip(counts).filter(|(_, n)| **n > 0).collect();
    v.sort_by(|a, b| b.1.cmp(a.1).then(a.0.name.cmp(&b.0.name)));
    v.into_iter().map(|(c, n)| json!({ "slug": c.slug, "name": c.name, "count": n })).collect()
}

/// Every month of `range`, with zero where nothing happened.
fn by_month(summary: &Summary, range: Option<(YearMonth, YearMonth)>) -> Value {
    let Some((from, to)) = range else { return json!([]) };
    (0..from.months_through(to))
        .filter_map(|i| i32::try_from(i).ok())
        .map(|i| {
            let m = from.add_months(i);
            json!({ "month": m.to_string(), "count": summary.by_month.get(&m).copied().unwrap_or(0) })
        })
        .collect()
}

/// The count a role may see (`None` when withheld by the disclosure policy).
/// The 168-bin hour-of-week profile of a summary (local wall-clock time, Monday 00:00 first;
/// windows spread aoristically), or why there is none.
pub(super) fn hour_of_week(summary: &Summary) -> Value {
    let timed = summary.total - summary.month_only;
    if summary.hour_of_week.is_empty() {
        return json!({
            "available": false,
            "reason": "no selected incident has a time finer than the month (police.uk gives the month only)",
            "month_only": summary.month_only,
        });
    }
    json!({
        "available": true,
        "bins": summary.hour_of_week,
        "bin": "weekday × 24 + hour, Monday 00:00–00:59 = 0, local wall-clock time",
        "method": "aoristic: an incident whose time is a window adds its share of 1 to each hour it spans (Ratcliffe 2000)",
        "incidents_with_time": timed,
        "month_only": summary.month_only,
    })
}

fn visible(state: &AppState, role: Role, n: u64) -> Option<u64> {
    let n32 = u32::try_from(n).unwrap_or(u32::MAX);
    state.0.config.disclosure.visible_count(role, n32).map(|_| n)
}

/// The parts shared by cell and ward details.
fn detail_body(
    state: &AppState,
    snapshot: &Snapshot,
    role: Role,
    selection: &Selection,
    summary: &Summary,
) -> Value {
    let t = &snapshot.table;
    // police.uk describes snap points generically ("On or near Parking Area"), so several
    // points can share a description: group by the text and say how many points it covers.
    let mut by_text: std::collections::HashMap<&str, (u64, u32)> = std::collections::HashMap::new();
    for (loc, n) in &summary.by_location {
        let entry = by_text.entry(t.location_description(*loc).unwrap_or("(no description)")).or_default();
        entry.0 += n;
        entry.1 += 1;
    }
    let mut by_text: Vec<_> =
        by_text.into_iter().filter(|(_, (n, _))| visible(state, role, *n).is_some()).collect();
    by_text.sort_by(|a, b| b.1.0.cmp(&a.1.0).then(a.0.cmp(b.0)));
    let top_locations: Vec<Value> = by_text
        .into_iter()
        .take(TOP_LOCATIONS)
        .map(|(text, (n, points))| json!({ "location": text, "count": n, "points": points }))
        .collect();
    let wards: Vec<Value> = summary
        .by_ward
        .iter()
        .filter_map(|(w, n)| {
            let ward = snapshot.areas.wards.as_ref()?.area((*w)?)?;
            Some(json!({ "code": ward.code, "name": ward.name, "count": n }))
        })
        .collect();
    json!({
        "count": visible(state, role, summary.total),
        "by_category": by_category(t, &summary.by_category),
        "by_month": by_month(summary, range(snapshot, selection)),
        "top_locations": top_locations,
        "wards": wards,
        "hour_of_week": hour_of_week(summary),
        "months_selected": snapshot.months(selection),
        "data_version": snapshot.data_version,
    })
}

/// `GET /api/summary`: the selection's total, its change against the previous equal period,
/// and counts by category and month.
pub(super) async fn summary(
    State(state): State<AppState>,
    query: Result<Query<Pairs>, QueryRejection>,
    headers: HeaderMap,
) -> Result<axum::Json<Value>, ApiError> {
    let pairs = query_pairs(query)?;
    refuse_res(&pairs, "/api/summary")?;
    let snapshot = state.snapshot();
    let mut selection = parse_selection(&pairs, &snapshot.table, &snapshot.areas, &[])?;
    let role = role_of(&headers);
    if role == Role::Public {
        let policy = state.0.config.disclosure;
        let q = public_selection(&mut selection, &snapshot, policy, PublicAreas::Wards)?;
        let area = public_area(selection.filter.area).ok_or_else(|| ApiError::internal(&"public area"))?;
        let body = tokio::task::spawn_blocking(move || {
            public_summary(&snapshot, &snapshot.public_cube(policy), q, area, &selection)
        })
        .await
        .map_err(|e| ApiError::internal(&e))?;
        return Ok(axum::Json(body));
    }
    let st = state.clone();
    let body = tokio::task::spawn_blocking(move || {
        let t = &snapshot.table;
        let current = summarise(t, &selection.filter, Scope::All);
        let range = range(&snapshot, &selection);
        let previous = range.map(|(from, to)| {
            let (pf, pt) = previous_period(from, to);
            let available = snapshot.month_span.is_some_and(|(first, _)| first <= pf);
            let count = available.then(|| {
                let filter = Filter { from: Some(pf), to: Some(pt), ..selection.filter.clone() };
                summarise(t, &filter, Scope::All).total
            });
            (pf, pt, count)
        });
        let change = match previous {
            Some((_, _, Some(prev))) => {
                let diff = i128::from(current.total) - i128::from(prev);
                #[expect(clippy::cast_precision_loss, reason = "counts are far below 2^52")]
                let percent = (prev > 0).then(|| diff as f64 / prev as f64 * 100.0);
                json!({ "absolute": diff, "percent": percent })
            }
            _ => Value::Null,
        };
        json!({
            "incidents": visible(&st, role, current.total),
            "months_selected": snapshot.months(&selection),
            "from": range.map(|r| r.0.to_string()),
            "to": range.map(|r| r.1.to_string()),
            "previous": previous.map(|(pf, pt, count)| json!({
                "from": pf.to_string(),
                "to": pt.to_string(),
                "incidents": count,
                "available": count.is_some(),
            })),
            "change": change,
            "by_category": by_category(t, &current.by_category),
            "by_month": by_month(&current, range),
            "hour_of_week": hour_of_week(&current),
            "data_version": snapshot.data_version,
        })
    })
    .await
    .map_err(|e| ApiError::internal(&e))?;
    Ok(axum::Json(body))
}

/// A public count as JSON: the number, or `null` when withheld.
fn public_json(count: PublicCount) -> Value {
    count.value().map_or(Value::Null, |n| json!(n))
}

/// `/api/summary` for the public role: every figure from the public cube (withheld ones
/// `null` with `"withheld": true`), the change against the previous period of the same
/// kind only when both counts are published, and no hour-of-week profile.
fn public_summary(
    snapshot: &Snapshot,
    cube: &PublicCube,
    q: PublicQuery,
    area: PublicArea,
    selection: &Selection,
) -> Value {
    let t = &snapshot.table;
    let current = cube.count(area, q.group, q.period);
    let previous_period = q.period.previous();
    let previous_range = previous_period.range();
    let available =
        snapshot.month_span.zip(previous_range).is_some_and(|((first, _), (from, _))| first <= from);
    let previous = available.then(|| cube.count(area, q.group, previous_period));
    let change = match (current, previous) {
        (PublicCount::Count(now), Some(PublicCount::Count(before))) => {
            let diff = i128::from(now) - i128::from(before);
            #[expect(clippy::cast_precision_loss, reason = "counts are far below 2^52")]
            let percent = (before > 0).then(|| diff as f64 / before as f64 * 100.0);
            json!({ "absolute": diff, "percent": percent })
        }
        _ => Value::Null,
    };
    let members = &cube.groups()[q.group].members;
    let mut by_category: Vec<(String, String, PublicCount)> = members
        .iter()
        .map(|id| {
            let c = &t.categories()[id.index()];
            (c.slug.clone(), c.name.clone(), cube.category_count(area, *id, q.period))
        })
        .filter(|(_, _, n)| *n != PublicCount::Count(0))
        .collect();
    by_category.sort_by(|a, b| b.2.value().cmp(&a.2.value()).then(a.1.cmp(&b.1)));
    let by_category: Vec<Value> = by_category
        .into_iter()
        .map(|(slug, name, n)| {
            json!({ "slug": slug, "name": name, "count": public_json(n), "withheld": n == PublicCount::Withheld })
        })
        .collect();
    // Pinned by public_selection.
    let Some((from, to)) = selection.filter.from.zip(selection.filter.to) else {
        return json!({ "error": "no period" });
    };
    let by_month: Vec<Value> = (0..from.months_through(to))
        .filter_map(|i| i32::try_from(i).ok())
        .map(|i| {
            let m = from.add_months(i);
            let n = cube.count(area, q.group, Period::Month(m));
            json!({ "month": m.to_string(), "count": public_json(n), "withheld": n == PublicCount::Withheld })
        })
        .collect();
    let k = cube.policy().min_count;
    json!({
        "role": "public",
        "incidents": public_json(current),
        "withheld": current == PublicCount::Withheld,
        "period": q.period.label(),
        "months_selected": snapshot.months(selection),
        "from": from.to_string(),
        "to": to.to_string(),
        "previous": previous_range.map(|(pf, pt)| json!({
            "from": pf.to_string(),
            "to": pt.to_string(),
            "incidents": previous.map_or(Value::Null, public_json),
            "available": available,
            "withheld": previous == Some(PublicCount::Withheld),
        })),
        "change": change,
        "by_category": by_category,
        "by_month": by_month,
        "hour_of_week": {
            "available": false,
            "reason": "the hour-of-week profile needs a partner token",
        },
        "disclosure": format!(
            "counts from 1 to {} are withheld, with further counts withheld so that none can be worked out from the totals",
            k.saturating_sub(1)
        ),
        "data_version": snapshot.data_version,
    })
}

/// `GET /api/cells/{h3}`: one cell's counts by category and month, top locations and wards.
pub(super) async fn cell(
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
    query: Result<Query<Pairs>, QueryRejection>,
    headers: HeaderMap,
) -> Result<axum::Json<Value>, ApiError> {
    let text = path_segments(path)?;
    let cell: CellIndex = text
        .parse()
        .ok()
        .filter(|c: &CellIndex| hexwatch_core::INDEXED_RESOLUTIONS.contains(&u8::from(c.resolution())))
        .ok_or_else(|| {
            ApiError::bad_parameter(
                "h3",
                format!("invalid h3 (got {text:?}): an H3 cell index of resolution 5 to 12"),
            )
        })?;
    let pairs = query_pairs(query)?;
    if pairs.iter().any(|(k, _)| k == "res") {
        return Err(ApiError::bad_parameter(
            "res",
            "res does not apply here: the cell's own resolution is used",
        ));
    }
    let snapshot = state.snapshot();
    let selection = parse_selection(&pairs, &snapshot.table, &snapshot.areas, &[])?;
    let identity = vec![("h3", json!(cell.to_string())), ("res", json!(u8::from(cell.resolution())))];
    detail(state, snapshot, role_of(&headers), selection, Scope::Cell(cell), cell.area_km2(), identity).await
}

/// The body shared by cell and ward details: the place's identity, area and density, and
/// [`detail_body`], computed off the async runtime.
async fn detail(
    state: AppState,
    snapshot: std::sync::Arc<Snapshot>,
    role: Role,
    selection: Selection,
    scope: Scope,
    area_km2: f64,
    identity: Vec<(&'static str, Value)>,
) -> Result<axum::Json<Value>, ApiError> {
    let body = tokio::task::spawn_blocking(move || {
        let summary = summarise(&snapshot.table, &selection.filter, scope);
        let mut body = detail_body(&state, &snapshot, role, &selection, &summary);
        for (key, value) in identity {
            body[key] = value;
        }
        let count = u32::try_from(summary.total).unwrap_or(u32::MAX);
        body["area_km2"] = json!(area_km2);
        body["density_per_km2_month"] =
            json!(density_per_km2_month(count, area_km2, snapshot.months(&selection)));
        body
    })
    .await
    .map_err(|e| ApiError::internal(&e))?;
    Ok(axum::Json(body))
}

/// The area sets with a table route: wards and LSOAs.
#[derive(Debug, Clone, Copy)]
enum Kind {
    Ward,
    Lsoa,
}

impl Kind {
    fn set(self, areas: &AreaSets) -> Option<&AreaSet> {
        match self {
            Self::Ward => areas.wards.as_ref(),
            Self::Lsoa => areas.lsoas.as_ref(),
        }
    }

    const fn noun(self) -> &'static str {
        match self {
            Self::Ward => "ward",
            Self::Lsoa => "LSOA",
        }
    }

    const fn plural(self) -> &'static str {
        match self {
            Self::Ward => "wards",
            Self::Lsoa => "lsoas",
        }
    }

    fn scope(self, id: hexwatch_core::AreaId) -> Scope {
        match self {
            Self::Ward => Scope::Ward(id),
            Self::Lsoa => Scope::Lsoa(id),
        }
    }

    fn counts(self, table: &IncidentTable, filter: &Filter, n: usize) -> Vec<Vec<u64>> {
        match self {
            Self::Ward => aggregate_wards(table, filter, n),
            Self::Lsoa => aggregate_lsoas(table, filter, n),
        }
    }
}

/// `res` pins the resolution of cells; routes that count incidents without cells refuse
/// it rather than ignore it.
fn refuse_res(pairs: &Pairs, route: &str) -> Result<(), ApiError> {
    if pairs.iter().any(|(k, _)| k == "res") {
        return Err(ApiError::bad_parameter(
            "res",
            format!("res does not apply to {route}: it counts incidents, not cells of a resolution"),
        ));
    }
    Ok(())
}

fn refuse_area(pairs: &Pairs, kind: Kind) -> Result<(), ApiError> {
    if pairs.iter().any(|(k, _)| k == "area") {
        return Err(ApiError::bad_parameter(
            "area",
            format!("area does not apply here: these routes are about {}s", kind.noun()),
        ));
    }
    Ok(())
}

/// `GET /api/wards/{code}`: one ward's counts by category and month, and top locations.
pub(super) async fn ward(
    state: State<AppState>,
    path: Result<Path<String>, PathRejection>,
    query: Result<Query<Pairs>, QueryRejection>,
    headers: HeaderMap,
) -> Result<axum::Json<Value>, ApiError> {
    area_detail(state, path, query, headers, Kind::Ward).await
}

/// `GET /api/lsoas/{code}`: one LSOA's counts (membership by the incidents' own LSOA code
/// where they have one), by category and month, and top locations.
pub(super) async fn lsoa(
    state: State<AppState>,
    path: Result<Path<String>, PathRejection>,
    query: Result<Query<Pairs>, QueryRejection>,
    headers: HeaderMap,
) -> Result<axum::Json<Value>, ApiError> {
    area_detail(state, path, query, headers, Kind::Lsoa).await
}

async fn area_detail(
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
    query: Result<Query<Pairs>, QueryRejection>,
    headers: HeaderMap,
    kind: Kind,
) -> Result<axum::Json<Value>, ApiError> {
    let code = path_segments(path)?;
    let pairs = query_pairs(query)?;
    refuse_area(&pairs, kind)?;
    refuse_res(&pairs, &format!("/api/{}/{{code}}", kind.plural()))?;
    let snapshot = state.snapshot();
    let set = kind
        .set(&snapshot.areas)
        .ok_or_else(|| ApiError::not_found(format!("no {} boundaries are configured", kind.noun())))?;
    let not_found = || ApiError {
        parameter: Some("code".to_owned()),
        ..ApiError::not_found(format!("no {} with code {code:?}; see /api/meta areas", kind.noun()))
    };
    let id = set.find_code(&code).ok_or_else(not_found)?;
    let area = set.area(id).ok_or_else(not_found)?;
    let selection = parse_selection(&pairs, &snapshot.table, &snapshot.areas, &[])?;
    let identity = vec![("code", json!(area.code)), ("name", json!(area.name))];
    let area_km2 = area.area_km2();
    detail(state, snapshot.clone(), role_of(&headers), selection, kind.scope(id), area_km2, identity).await
}

/// `GET /api/wards?format=json|csv|geojson`: every ward's counts for the selection.
pub(super) async fn wards(
    state: State<AppState>,
    query: Result<Query<Pairs>, QueryRejection>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    area_table(state, query, headers, Kind::Ward).await
}

/// `GET /api/lsoas?format=json|csv|geojson`: every LSOA's counts for the selection, from
/// the incidents' own LSOA code where they have one (police.uk), by position otherwise.
pub(super) async fn lsoas(
    state: State<AppState>,
    query: Result<Query<Pairs>, QueryRejection>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    area_table(state, query, headers, Kind::Lsoa).await
}

async fn area_table(
    State(state): State<AppState>,
    query: Result<Query<Pairs>, QueryRejection>,
    headers: HeaderMap,
    kind: Kind,
) -> Result<Response, ApiError> {
    let pairs = query_pairs(query)?;
    refuse_area(&pairs, kind)?;
    refuse_res(&pairs, &format!("/api/{}", kind.plural()))?;
    let format = pairs.iter().find(|(k, _)| k == "format").map_or("json", |(_, v)| v.as_str()).to_owned();
    if !["json", "csv", "geojson"].contains(&format.as_str()) {
        return Err(ApiError::bad_parameter(
            "format",
            format!("invalid format (got {format:?}): json, csv or geojson"),
        ));
    }
    let snapshot = state.snapshot();
    let mut selection = parse_selection(&pairs, &snapshot.table, &snapshot.areas, &["format"])?;
    let role = role_of(&headers);
    if role == Role::Public {
        if format == "csv" {
            return Err(ApiError::bad_parameter(
                "format",
                "format=csv needs a partner token (a withheld count has no number); use json or geojson",
            ));
        }
        let policy = state.0.config.disclosure;
        let q = public_selection(&mut selection, &snapshot, policy, PublicAreas::None)?;
        return tokio::task::spawn_blocking(move || {
            public_wards(&snapshot, &snapshot.public_cube(policy), q, &selection, &format)
        })
        .await
        .map_err(|e| ApiError::internal(&e))?;
    }
    let st = state.clone();
    tokio::task::spawn_blocking(move || {
        let Some(index) = kind.set(&snapshot.areas) else {
            return Err(ApiError::not_found(format!("no {} boundaries are configured", kind.noun())));
        };
        let filter = Filter { area: AreaFilter::All, ..selection.filter.clone() };
        let counts = kind.counts(&snapshot.table, &filter, index.len());
        let rows: Vec<(WardRow, &geo::MultiPolygon<f64>)> = index
            .areas()
            .iter()
            .zip(counts)
            .filter(|(_, c)| visible(&st, role, c.iter().sum()).is_some())
            .map(|(a, counts)| {
                let row =
                    WardRow { code: a.code.clone(), name: a.name.clone(), area_km2: a.area_km2(), counts };
                (row, &a.boundary_wgs84)
            })
            .collect();
        let months = snapshot.months(&selection);
        let t = &snapshot.table;
        let properties = |r: &WardRow| {
            let mut p = serde_json::Map::new();
            p.insert("code".into(), json!(r.code));
            p.insert("name".into(), json!(r.name));
            p.insert("area_km2".into(), json!(r.area_km2));
            p.insert("count".into(), json!(r.total()));
            p.insert("density_per_km2_month".into(), json!(r.density_per_km2_month(months)));
            for (c, n) in t.categories().iter().zip(&r.counts) {
                p.insert(c.property(), json!(n));
            }
            p
        };
        let (content_type, body) = match format.as_str() {
            "csv" => {
                let table_rows: Vec<WardRow> = rows.iter().map(|(r, _)| r.clone()).collect();
                let csv =
                    hexwatch_io::wards_csv(t, &table_rows, months).map_err(|e| ApiError::internal(&e))?;
                ("text/csv; charset=utf-8", csv)
            }
            "geojson" => {
                let features: Vec<geojson::Feature> = rows
                    .iter()
                    .map(|(r, outline)| geojson::Feature {
                        geometry: Some(geojson::Geometry::from(geojson::GeometryValue::from(*outline))),
                        properties: Some(properties(r)),
                        ..geojson::Feature::default()
                    })
                    .collect();
                let fc = geojson::FeatureCollection { bbox: None, features, foreign_members: None };
                ("application/geo+json", geojson::GeoJson::from(fc).to_string())
            }
            _ => {
                let list: Vec<Value> = rows.iter().map(|(r, _)| Value::Object(properties(r))).collect();
                let body = json!({
                    kind.plural(): list,
                    "months_selected": months,
                    "data_version": snapshot.data_version,
                });
                ("application/json", body.to_string())
            }
        };
        Ok(([(header::CONTENT_TYPE, HeaderValue::from_static(content_type))], body).into_response())
    })
    .await
    .map_err(|e| ApiError::internal(&e))?
}

/// `/api/wards` for the public role: each ward's count and per-category counts from the
/// public cube (`null` and `"withheld": true` when withheld; density only when published).
fn public_wards(
    snapshot: &Snapshot,
    cube: &PublicCube,
    q: PublicQuery,
    selection: &Selection,
    format: &str,
) -> Result<Response, ApiError> {
    let Some(index) = snapshot.areas.wards.as_ref() else {
        return Err(ApiError::not_found("no ward boundaries are configured"));
    };
    let months = snapshot.months(selection);
    let t = &snapshot.table;
    let members = &cube.groups()[q.group].members;
    let rows: Vec<(serde_json::Map<String, Value>, &geo::MultiPolygon<f64>)> = index
        .areas()
        .iter()
        .enumerate()
        .filter_map(|(i, a)| {
            let area = PublicArea::Ward(u16::try_from(i).ok()?);
            let count = cube.count(area, q.group, q.period);
            let mut p = serde_json::Map::new();
            p.insert("code".into(), json!(a.code));
            p.insert("name".into(), json!(a.name));
            p.insert("area_km2".into(), json!(a.area_km2()));
            p.insert("count".into(), public_json(count));
            p.insert("withheld".into(), json!(count == PublicCount::Withheld));
            if let PublicCount::Count(n) = count {
                let n32 = u32::try_from(n).unwrap_or(u32::MAX);
                p.insert(
                    "density_per_km2_month".into(),
                    json!(density_per_km2_month(n32, a.area_km2(), months)),
                );
            }
            for id in members {
                let c = &t.categories()[id.index()];
                p.insert(c.property(), public_json(cube.category_count(area, *id, q.period)));
            }
            Some((p, &a.boundary_wgs84))
        })
        .collect();
    let (content_type, body) = if format == "geojson" {
        let features: Vec<geojson::Feature> = rows
            .into_iter()
            .map(|(p, outline)| geojson::Feature {
                geometry: Some(geojson::Geometry::from(geojson::GeometryValue::from(outline))),
                properties: Some(p),
                ..geojson::Feature::default()
            })
            .collect();
        let fc = geojson::FeatureCollection { bbox: None, features, foreign_members: None };
        ("application/geo+json", geojson::GeoJson::from(fc).to_string())
    } else {
        let list: Vec<Value> = rows.into_iter().map(|(p, _)| Value::Object(p)).collect();
        let body = json!({
            "wards": list,
            "role": "public",
            "period": q.period.label(),
            "months_selected": months,
            "data_version": snapshot.data_version,
        });
        ("application/json", body.to_string())
    };
    Ok(([(header::CONTENT_TYPE, HeaderValue::from_static(content_type))], body).into_response())
}
