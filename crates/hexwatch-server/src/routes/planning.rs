//! Patrol plans and the evaluation backtest: `GET /api/patrol-plan`, `GET /api/evaluation`.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use h3o::Resolution;
use hexwatch_core::evaluation::{BacktestParams, backtest};
use hexwatch_core::patrol::{PatchShape, PatrolParams, Weighting, plan_patrols};
use hexwatch_core::{Area, AreaFilter, Filter};
use serde_json::json;

use super::{Pairs, query_pairs};
use crate::error::ApiError;
use crate::query::parse_selection;
use crate::state::AppState;

/// Parameters `/api/patrol-plan` takes besides the selection.
const PATROL_PARAMS: [&str; 6] = ["areas", "ring", "radius_m", "harm", "format", "title"];

fn value<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
}

/// `GET /api/patrol-plan?areas=5&ring=1&category=…&area=bcp&hours=22-3&weekdays=fri,sat&format=geojson`:
/// K non-overlapping patrol areas. `radius_m=400` instead of `ring`; `harm=true` weighs by
/// harm; `format` = `geojson` (default; the plan's figures as foreign members), `csv` or
/// `html` (the printable patrol sheet). Shift windows on month-precision data are not an
/// error here: the plan covers all times and says so (`windows_note`).
pub(super) async fn patrol_plan(
    State(state): State<AppState>,
    query: Result<Query<Pairs>, QueryRejection>,
) -> Result<Response, ApiError> {
    let pairs = query_pairs(query)?;
    let snapshot = state.snapshot();
    // The windows are parsed apart, so that the shared parser's precision check does not
    // refuse them on month-precision data.
    let (windows, rest): (Pairs, Pairs) =
        pairs.iter().cloned().partition(|(k, _)| k == "hours" || k == "weekdays");
    let mut selection = parse_selection(&rest, &snapshot.table, &snapshot.areas, &PATROL_PARAMS)?;
    for (k, v) in &windows {
        if k == "hours" {
            selection.filter.hours =
                Some(hexwatch_core::parse_hours(v).map_err(|e| {
                    ApiError::bad_parameter("hours", format!("invalid hours (got {v:?}): {e}"))
                })?);
        } else {
            selection.filter.weekdays = Some(hexwatch_core::parse_weekdays(v).map_err(|e| {
                ApiError::bad_parameter("weekdays", format!("invalid weekdays (got {v:?}): {e}"))
            })?);
        }
    }
    if selection.filter.categories.is_none() {
        selection.filter.categories = Filter::parse_categories(&snapshot.table, "anti-social-behaviour").ok();
    }
    let areas = match value(&pairs, "areas") {
        None => 5,
        Some(v) => v
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=hexwatch_core::patrol::MAX_AREAS).contains(n))
            .ok_or_else(|| {
                ApiError::bad_parameter("areas", format!("invalid areas (got {v:?}): 1 to 100"))
            })?,
    };
    let shape = match (value(&pairs, "ring"), value(&pairs, "radius_m")) {
        (Some(_), Some(_)) => {
            return Err(ApiError::bad_parameter("radius_m", "give ring or radius_m, not both"));
        }
        (_, Some(r)) => PatchShape::Radius {
            radius_m: r
                .parse::<f64>()
                .ok()
                .filter(|r| *r > 0.0 && *r <= hexwatch_core::patrol::MAX_RADIUS_M)
                .ok_or_else(|| {
                    ApiError::bad_parameter(
                        "radius_m",
                        format!("invalid radius_m (got {r:?}): > 0 and at most 5000"),
                    )
                })?,
        },
        (Some(k), None) => PatchShape::Ring {
            k: k.parse::<u32>().ok().filter(|k| *k <= hexwatch_core::patrol::MAX_RING_K).ok_or_else(
                || ApiError::bad_parameter("ring", format!("invalid ring (got {k:?}): 0 to 10")),
            )?,
        },
        (None, None) => PatchShape::Ring { k: 1 },
    };
    let weighting = match value(&pairs, "harm") {
        None | Some("false") => Weighting::Incidents,
        Some("true") => Weighting::Harm,
        Some(v) => {
            return Err(ApiError::bad_parameter("harm", format!("invalid harm (got {v:?}): true or false")));
        }
    };
    let format = value(&pairs, "format").unwrap_or("geojson").to_owned();
    if !["geojson", "csv", "html"].contains(&format.as_str()) {
        return Err(ApiError::bad_parameter(
            "format",
            format!("invalid format (got {format:?}): geojson, csv or html"),
        ));
    }
    let title = value(&pairs, "title").unwrap_or("Patrol plan").to_owned();
    let resolution = selection.res.unwrap_or(Resolution::Nine);
    let st = state.clone();
    let permit = state.0.expensive.enter().await?;
    let (content_type, body) =
        tokio::task::spawn_blocking(move || -> Result<(&'static str, String), ApiError> {
            let _permit = permit;
            let study = st.study_area(&snapshot, selection.filter.area, resolution)?;
            let params = PatrolParams { resolution, shape, areas, weighting };
            let plan = plan_patrols(&snapshot.table, &selection.filter, &params, study.as_deref())
                .map_err(|e| ApiError::bad_parameter("areas", e.to_string()))?;
            Ok(match format.as_str() {
                "csv" => (
                    "text/csv; charset=utf-8",
                    hexwatch_io::patrol_csv(&plan).map_err(|e| ApiError::internal(&e))?,
                ),
                "html" => {
                    let described = describe(&snapshot.table, &selection.filter, resolution, shape);
                    ("text/html; charset=utf-8", hexwatch_io::patrol_sheet_html(&plan, &title, &described))
                }
                _ => {
                    let mut fc = hexwatch_io::patrol_geojson(&plan);
                    if let Some(m) = fc.foreign_members.as_mut() {
                        m.insert("res".into(), json!(u8::from(resolution)));
                        m.insert("data_version".into(), json!(snapshot.data_version));
                    }
                    ("application/geo+json", geojson::GeoJson::from(fc).to_string())
                }
            })
        })
        .await
        .map_err(|e| ApiError::internal(&e))??;
    let mut response =
        ([(header::CONTENT_TYPE, HeaderValue::from_static(content_type))], body).into_response();
    if content_type.starts_with("text/html") {
        // The sheet is a page of its own: inline styles, an inline SVG map, no script.
        response.headers_mut().insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(crate::limits::PATROL_SHEET_CSP),
        );
    }
    Ok(response)
}

fn describe(
    table: &hexwatch_core::IncidentTable,
    filter: &Filter,
    res: Resolution,
    shape: PatchShape,
) -> String {
    let categories = filter.categories.as_ref().map_or_else(
        || "all categories".to_owned(),
        |ids| ids.iter().map(|id| table.categories()[id.index()].name.clone()).collect::<Vec<_>>().join(", "),
    );
    let period = table.month_span().map_or_else(String::new, |(f, l)| {
        format!("{} to {}", filter.from.map_or(f, |x| x.max(f)), filter.to.map_or(l, |x| x.min(l)))
    });
    let patch = match shape {
        PatchShape::Ring { k } => format!("H3 res {} cell + {k}-ring", u8::from(res)),
        PatchShape::Radius { radius_m } => format!("{radius_m} m radius"),
    };
    format!("{categories}; {period}; patches: {patch}")
}

/// `GET /api/evaluation?category=…&area=bcp&res=9&min_training_months=3&format=json|svg`: the
/// rolling-origin backtest (hit rate, PAI, PEI*, RRI at 1, 3 and 5 % of the study area) as
/// JSON, or its chart (PAI at 3 %) as SVG. Default categories: ASB and violence.
pub(super) async fn evaluation(
    State(state): State<AppState>,
    query: Result<Query<Pairs>, QueryRejection>,
) -> Result<Response, ApiError> {
    let pairs = query_pairs(query)?;
    let snapshot = state.snapshot();
    let mut selection =
        parse_selection(&pairs, &snapshot.table, &snapshot.areas, &["min_training_months", "format"])?;
    if selection.filter.categories.is_none() {
        selection.filter.categories =
            Filter::parse_categories(&snapshot.table, "anti-social-behaviour,violent-crime").ok();
    }
    if selection.filter.area == AreaFilter::All {
        selection.filter.area = AreaFilter::AnyWard;
    }
    let min_training_months = match value(&pairs, "min_training_months") {
        None => 3,
        Some(v) => v.parse::<u32>().ok().filter(|n| (1..=24).contains(n)).ok_or_else(|| {
            ApiError::bad_parameter(
                "min_training_months",
                format!("invalid min_training_months (got {v:?}): 1 to 24"),
            )
        })?,
    };
    let svg = match value(&pairs, "format").unwrap_or("json") {
        "json" => false,
        "svg" => true,
        other => {
            return Err(ApiError::bad_parameter(
                "format",
                format!("invalid format (got {other:?}): json or svg"),
            ));
        }
    };
    let resolution = selection.res.unwrap_or(Resolution::Nine);
    let st = state.clone();
    let permit = state.0.expensive.enter().await?;
    let (content_type, body) = tokio::task::spawn_blocking(move || -> Result<(&'static str, String), ApiError> {
        let _permit = permit;
        let study = st.study_area(&snapshot, selection.filter.area, resolution)?.ok_or_else(|| {
            ApiError::bad_parameter("area", "the evaluation needs a study area: start the server with ward boundaries")
        })?;
        let study_km2 = match snapshot.areas.resolve(selection.filter.area) {
            Some((_, a)) => a.area_km2(),
            None => snapshot.areas.wards.iter().flat_map(|w| w.areas().iter().map(Area::area_km2)).sum(),
        };
        let (units, incidents) =
            hexwatch_io::backtest_inputs(&snapshot.table, &selection.filter, &study).map_err(|e| ApiError::internal(&e))?;
        let result = backtest(&units, &study, &incidents, &BacktestParams { study_km2, min_training_months });
        if svg {
            let chart = hexwatch_io::evaluation_chart_svg(&result, 0.03).map_err(|e| ApiError::internal(&e))?;
            return Ok(("image/svg+xml", chart));
        }
        let opt = |v: Option<f64>| v.map_or(serde_json::Value::Null, |x| json!(x));
        let month = |m: i32| {
            hexwatch_core::YearMonth::new(m.div_euclid(12), m.rem_euclid(12).unsigned_abs() + 1)
                .map_or_else(|_| m.to_string(), |m| m.to_string())
        };
        let summary: Vec<serde_json::Value> = result
            .summary
            .iter()
            .map(|s| {
                json!({ "method": s.method.as_str(), "share": s.share, "months": s.months,
                        "mean_area_share": s.mean_area_share, "hit_rate": opt(s.hit_rate), "pai": opt(s.pai),
                        "pei_star": opt(s.pei_star), "rri": opt(s.rri) })
            })
            .collect();
        let scores: Vec<serde_json::Value> = result
            .scores
            .iter()
            .map(|s| {
                json!({ "method": s.method.as_str(), "month": month(s.month), "share": s.share, "units": s.units,
                        "a_km2": s.a_km2, "n": s.n, "N": s.total_n, "n1": s.n1, "N1": s.total_n1, "n_star": s.n_star,
                        "hit_rate": opt(s.hit_rate), "pai": opt(s.pai), "pei_star": opt(s.pei_star), "rri": opt(s.rri) })
            })
            .collect();
        let body = json!({
            "study_km2": study_km2,
            "res": u8::from(resolution),
            "units": units.len(),
            "incidents": incidents.len(),
            "test_months": result.test_months.iter().map(|&m| month(m)).collect::<Vec<_>>(),
            "summary": summary,
            "scores": scores,
            "data_version": snapshot.data_version,
        });
        Ok(("application/json", body.to_string()))
    })
    .await
    .map_err(|e| ApiError::internal(&e))??;
    Ok(([(header::CONTENT_TYPE, HeaderValue::from_static(content_type))], body).into_response())
}
