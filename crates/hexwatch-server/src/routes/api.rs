//! JSON and GeoJSON routes.

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use h3o::Resolution;
use hexwatch_core::{
    AreaSet, Period, PublicArea, Role, TimePrecision, YearMonth, category_groups, is_sensitive_slug,
};
use hexwatch_tiles::ZOOM_RESOLUTION;
use serde_json::{Value, json};

use super::{Pairs, query_pairs, role_of};
use crate::error::ApiError;
use crate::query::{no_parameters, parse_selection, parse_stat_options};
use crate::state::AppState;
use hexwatch_core::stats::Method;

/// `GET /api/health`: liveness with the data version and, for a partner, the incident count
/// (`null` for the public role: the all-time total minus the published year totals would
/// give any withheld one).
pub(super) async fn health(
    State(state): State<AppState>,
    query: Result<Query<Pairs>, QueryRejection>,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    no_parameters(&query_pairs(query)?, "/api/health")?;
    let s = state.snapshot();
    let incidents = (role_of(&headers) == Role::Partner).then(|| s.table.len());
    Ok(Json(json!({
        "status": "ok",
        "data_version": s.data_version,
        "incidents": incidents,
        "limits": state.0.expensive.report(),
    })))
}

/// `GET /api/meta`: categories, periods, time precision, counts, areas, zoom table.
pub(super) async fn meta(
    State(state): State<AppState>,
    query: Result<Query<Pairs>, QueryRejection>,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    no_parameters(&query_pairs(query)?, "/api/meta")?;
    let s = state.snapshot();
    let t = &s.table;
    let role = role_of(&headers);
    let policy = state.0.config.disclosure;
    // The public role sees the default period's counts (the calendar year of the last
    // month) through the public cube; partners the counts of all the data.
    let public = match (role, s.month_span) {
        (Role::Public, Some((_, last))) => {
            let snap = s.clone();
            let cube = tokio::task::spawn_blocking(move || snap.public_cube(policy))
                .await
                .map_err(|e| ApiError::internal(&e))?;
            Some((cube, Period::Year(last.year())))
        }
        _ => None,
    };
    let public_count = |area: PublicArea, group: usize| -> Value {
        match &public {
            Some((cube, period)) => {
                cube.count(area, group, *period).value().map_or(Value::Null, |n| json!(n))
            }
            None => Value::Null,
        }
    };
    let counts: Vec<Value> = match &public {
        Some(_) => (0..t.categories().len()).map(|i| public_count(PublicArea::All, i + 1)).collect(),
        None => s.category_counts.iter().map(|n| json!(n)).collect(),
    };
    let mut categories: Vec<Value> = t
        .categories()
        .iter()
        .zip(counts)
        .enumerate()
        .map(|(i, (c, n))| {
            let id = hexwatch_core::CategoryId(u16::try_from(i).unwrap_or(u16::MAX));
            let precision = t.coarsest_precision_of(Some(&[id])).map(TimePrecision::as_str);
            let sensitive = is_sensitive_slug(&c.slug);
            json!({ "slug": c.slug, "name": c.name, "property": c.property(), "count": n, "time_precision": precision, "sensitive": sensitive })
        })
        .collect();
    categories.sort_by(|a, b| b["count"].as_u64().cmp(&a["count"].as_u64()));
    let (incidents, in_bcp, outside) = match &public {
        Some(_) => (
            public_count(PublicArea::All, 0),
            public_count(PublicArea::Wards, 0),
            public_count(PublicArea::OutsideWards, 0),
        ),
        None => (json!(t.len()), json!(s.in_wards), json!(t.len() - s.in_wards)),
    };
    let groups: Vec<Value> = category_groups(t)
        .iter()
        .map(|g| json!({ "slug": g.slug, "name": g.name, "sensitive": g.sensitive }))
        .collect();
    let disclosure = json!({
        "role": role.as_str(),
        "partner": crate::auth::partner_name(&headers),
        "k": policy.min_count,
        "period": public.as_ref().map(|(_, p)| p.label()),
        "category_groups": groups,
        "max_resolution": u8::from(policy.max_public_resolution),
        "max_sensitive_resolution": u8::from(policy.max_sensitive_resolution),
        "rule": format!(
            "public counts from 1 to {} are withheld, with further counts withheld so that no published total \
             reveals one; fixed category groups and calendar months, quarters and years only; sensitive \
             categories at resolution {} or by ward; Gi* as bins only; density masked where the kernel support \
             holds fewer than {} incidents",
            policy.min_count.saturating_sub(1),
            u8::from(policy.max_sensitive_resolution),
            policy.min_count
        ),
    });
    let months: Vec<String> = s
        .month_span
        .map(|(first, last)| {
            (0..first.months_through(last))
                .map(|i| first.add_months(i32::try_from(i).unwrap_or(0)).to_string())
                .collect()
        })
        .unwrap_or_default();
    let mut areas = Vec::new();
    if s.areas.wards.is_some() {
        areas.push(json!({ "id": "bcp", "name": "Bournemouth, Christchurch and Poole (all wards)" }));
    }
    for set in s.areas.iter() {
        let mut list: Vec<_> = set.areas().iter().collect();
        if set.name() == AreaSet::WARD {
            list.sort_by(|a, b| a.name.cmp(&b.name));
        }
        areas.extend(list.into_iter().map(|a| {
            let id = match set.name() {
                AreaSet::WARD | AreaSet::LSOA => format!("{}:{}", set.name(), a.code),
                custom => format!("custom:{custom}/{}", a.name),
            };
            // [west, south, east, north] in degrees, so the page can fit any area.
            let bbox = geo::BoundingRect::bounding_rect(&a.boundary_wgs84)
                .map(|r| [r.min().x, r.min().y, r.max().x, r.max().y]);
            json!({ "id": id, "name": a.name, "code": a.code, "set": set.name(), "bbox": bbox })
        }));
    }
    let area_sets: Vec<Value> = s
        .areas
        .iter()
        .map(|set| {
            let (label, membership) = match set.name() {
                AreaSet::WARD => ("Wards", "point in polygon within the tolerance"),
                AreaSet::LSOA => (
                    "LSOAs (2021)",
                    "the incident's own LSOA code where it has one (police.uk); point in polygon within the tolerance otherwise",
                ),
                _ => ("Custom areas", "point in polygon within the tolerance"),
            };
            let mut v = json!({
                "set": set.name(),
                "label": label,
                "areas": set.len(),
                "tolerance_m": set.tolerance_m(),
                "membership": membership,
                "filter": match set.name() {
                    AreaSet::WARD | AreaSet::LSOA => format!("{}:<code>", set.name()),
                    name => format!("custom:{name}/<name>"),
                },
            });
            if set.name() == AreaSet::LSOA
                && role == Role::Partner
                && let Some(m) = s.lsoa_membership
            {
                v["incidents_by_code"] = json!(m.by_code);
                v["incidents_with_a_code_outside_the_set"] = json!(m.code_outside_set);
                v["incidents_by_position"] = json!(m.by_point);
                v["incidents_in_no_area"] = json!(m.outside);
            }
            v
        })
        .collect();
    let zoom_resolution: Vec<Value> =
        ZOOM_RESOLUTION.iter().map(|(z, r)| json!({ "min_zoom": z, "res": u8::from(*r) })).collect();
    Ok(Json(json!({
        "data_version": s.data_version,
        "time_precision": t.coarsest_precision().unwrap_or(TimePrecision::Month).as_str(),
        "flags": t.flag_names(),
        "time_filters": {
            "hours": "hours=22-3 (from 22:00 up to 03:00; comma-separated hours and ranges), local wall-clock time; needs times to the hour in every selected category",
            "weekdays": "weekdays=fri,sat or fri-sun; needs dates",
            "windows": "an incident known only as a from–to window passes a time filter only when the whole window lies inside it",
        },
        "months": {
            "first": s.month_span.map(|(f, _)| f.to_string()),
            "last": s.month_span.map(|(_, l)| l.to_string()),
            "list": months,
        },
        "categories": categories,
        "counts": {
            "incidents": incidents,
            "locations": if role == Role::Partner { json!(t.location_count()) } else { Value::Null },
            "in_bcp": in_bcp,
            "outside_every_ward": outside,
        },
        "disclosure": disclosure,
        "areas": areas,
        "area_sets": area_sets,
        "ward_tolerance_m": s.areas.wards.as_ref().map(AreaSet::tolerance_m),
        "zoom_resolution": zoom_resolution,
        "density_unit": "incidents per km² per month",
        "attribution": state.0.config.attribution,
        "basemap_style_url": state.0.config.basemap_style_url,
    })))
}

/// `GET /catalog`: the layers and where to find them.
pub(super) async fn catalog(
    State(state): State<AppState>,
    query: Result<Query<Pairs>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    no_parameters(&query_pairs(query)?, "/catalog")?;
    let snapshot = state.snapshot();
    let sets: Vec<&str> = snapshot.areas.iter().map(AreaSet::name).collect();
    Ok(Json(json!({
        "tiles": {
            "cells": {
                "content_type": "application/vnd.mapbox-vector-tile",
                "tilejson": "/tiles/cells",
                "description": "Incidents per H3 cell; resolution follows zoom (see /api/meta zoom_resolution) unless res= pins it; method=gistar|moran|emerging adds hotspot statistics",
            },
            "density": {
                "content_type": "image/png",
                "tilejson": "/tiles/density",
                "description": "Kernel density in incidents per km² per month (quartic, ArcGIS default bandwidth unless bandwidth_m=); each pixel the mean over its footprint",
            },
            "density-contours": {
                "content_type": "application/vnd.mapbox-vector-tile",
                "tilejson": "/tiles/density-contours",
                "description": "Isobands of the same density between the legend's breaks (properties class, lower_per_km2_month, upper_per_km2_month, label)",
            },
            "boundaries": {
                "content_type": "application/vnd.mapbox-vector-tile",
                "tilejson": "/tiles/boundaries",
                "description": "Area outlines of every boundary set (properties set, code, name); ?set=ward|lsoa|<custom set> selects one (see /api/meta area_sets)",
                "sets": sets,
            },
            "clusters": {
                "content_type": "application/vnd.mapbox-vector-tile",
                "tilejson": "/tiles/clusters",
                "description": "Convex hulls of incident clusters (properties cluster, count, core_count, share, area_km2, buffered_m, threshold_m): method=dbscan (eps_m, default 100; min_points, default 10) or method=nnh (CrimeStat's nearest-neighbour hierarchical clustering: p, default 0.05, or threshold_m; min_points); the TileJSON carries the counts",
            }
        },
        "geojson": {
            "wards": { "url": "/api/areas/wards", "description": "BCP ward outlines (properties code, name)" },
            "ward_counts": { "url": "/api/wards?format=geojson", "description": "Every ward with its counts and density for the selection" },
            "lsoa_counts": { "url": "/api/lsoas?format=geojson", "description": "Every LSOA with its counts (from the incidents' own LSOA code) and density for the selection" },
            "hotspots": { "url": "/api/hotspots?method=count&res=9", "description": "Cells ranked by count" },
            "patrol_plan": { "url": "/api/patrol-plan?area=bcp&areas=5", "description": "K non-overlapping patrol areas (format=geojson|csv|html: the printable patrol sheet)" },
        },
        "evaluation": { "url": "/api/evaluation?area=bcp", "description": "Rolling-origin backtest of the hotspot methods: hit rate, PAI, PEI*, RRI at 1/3/5 % of the area (format=json|svg)" },
        "report": { "url": "/api/report?period=2025-12&area=bcp", "description": "The monthly partnership pack: KPIs of the month, quarter and year to date against earlier periods (E-test for two Poisson rates, FDR), monthly charts, top wards and LSOAs, Gi* and density pictures, emerging transitions, alerts, patrol plan and PAI (format=html|json|csv&table=kpis|series|wards|lsoas|hotspots|transitions|alerts|patrol)" }
    })))
}

/// `GET /api/areas/wards`: ward outlines as GeoJSON.
pub(super) async fn wards(
    State(state): State<AppState>,
    query: Result<Query<Pairs>, QueryRejection>,
) -> Result<Response, ApiError> {
    no_parameters(&query_pairs(query)?, "/api/areas/wards")?;
    let body =
        state.0.outlines.clone().ok_or_else(|| ApiError::not_found("no ward boundaries are configured"))?;
    Ok(([(header::CONTENT_TYPE, HeaderValue::from_static("application/geo+json"))], body).into_response())
}

/// Most cells a hotspot list returns.
const MAX_LIMIT: usize = 10_000;

/// `GET /api/hotspots?method=count&res=9&category=…&from=…&to=…&area=…&limit=100`: cells
/// ranked by count as GeoJSON.
pub(super) async fn hotspots(
    State(state): State<AppState>,
    query: Result<Query<Pairs>, QueryRejection>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let pairs = query_pairs(query)?;
    let snapshot = state.snapshot();
    let selection = parse_selection(
        &pairs,
        &snapshot.table,
        &snapshot.areas,
        &["method", "limit", "format", "k", "permutations", "seed"],
    )?;
    let value = |k: &str| pairs.iter().rev().find(|(key, _)| key == k).map(|(_, v)| v.as_str());
    let (method, options) = parse_stat_options(&pairs)?;
    let limit = match value("limit") {
        None => 100,
        Some(v) => v.parse::<usize>().ok().filter(|n| (1..=MAX_LIMIT).contains(n)).ok_or_else(|| {
            ApiError::bad_parameter("limit", format!("invalid limit (got {v:?}): 1 to {MAX_LIMIT}"))
        })?,
    };
    let csv = match value("format").unwrap_or("geojson") {
        "geojson" => false,
        "csv" => true,
        other => {
            return Err(ApiError::bad_parameter(
                "format",
                format!("invalid format (got {other:?}): geojson or csv"),
            ));
        }
    };
    let res = selection.res.unwrap_or(Resolution::Nine);
    let role = role_of(&headers);
    let st = state.clone();
    if let Some(method) = method {
        let permit = state.0.expensive.enter().await?;
        let body = tokio::task::spawn_blocking(move || {
            let _permit = permit;
            let indexed = st.cell_stats(&snapshot, role, &selection, res, method, options)?;
            let stats = &indexed.stats;
            let order: Vec<usize> =
                hexwatch_io::ranked_cells(stats, method).into_iter().take(limit).collect();
            if csv {
                return hexwatch_io::stats_csv(stats, &order)
                    .map(|b| ("text/csv; charset=utf-8", b))
                    .map_err(|e| ApiError::internal(&e));
            }
            let mut fc = hexwatch_io::stats_geojson(stats, &order);
            let months =
                stats.emerging.as_ref().map(|(_, m)| m.iter().map(ToString::to_string).collect::<Vec<_>>());
            fc.foreign_members = Some(serde_json::Map::from_iter([
                ("method".to_owned(), json!(method.as_str())),
                ("res".to_owned(), json!(u8::from(res))),
                ("k".to_owned(), json!(options.k)),
                (
                    "permutations".to_owned(),
                    json!(match method {
                        Method::GiStar if !options.gi_permutations => 0,
                        _ => options.permutations,
                    }),
                ),
                ("fdr".to_owned(), json!(method != Method::Moran)),
                ("study_area_cells".to_owned(), json!(stats.area.len())),
                ("incidents".to_owned(), json!(stats.counts.iter().sum::<f64>())),
                ("outside_study_area".to_owned(), json!(stats.outside)),
                ("classes".to_owned(), serde_json::Value::Object(hexwatch_io::class_counts(stats))),
                ("steps".to_owned(), json!(months)),
                ("data_version".to_owned(), json!(snapshot.data_version)),
            ]));
            Ok(("application/geo+json", geojson::GeoJson::from(fc).to_string()))
        })
        .await
        .map_err(|e| ApiError::internal(&e))??;
        return Ok(([(header::CONTENT_TYPE, HeaderValue::from_static(body.0))], body.1).into_response());
    }
    let body = tokio::task::spawn_blocking(move || {
        let indexed = st.aggregate(&snapshot, role, &selection, res);
        let policy = st.0.config.disclosure;
        let ranked = indexed.aggregate.ranked();
        let visible =
            ranked.into_iter().filter(|(_, c)| policy.visible_count(role, c.total()).is_some()).take(limit);
        let months = snapshot.months(&selection);
        if csv {
            return hexwatch_io::cells_csv(&snapshot.table, visible, months)
                .map(|body| ("text/csv; charset=utf-8", body));
        }
        let mut fc = hexwatch_io::hotspots_geojson(&snapshot.table, visible, months);
        let (first, last) = snapshot.month_span.map_or((None, None), |(f, l)| (Some(f), Some(l)));
        let period = |m: Option<YearMonth>| m.map(|m| m.to_string());
        fc.foreign_members = Some(serde_json::Map::from_iter([
            ("method".to_owned(), json!("count")),
            ("res".to_owned(), json!(u8::from(res))),
            ("months_selected".to_owned(), json!(months)),
            ("from".to_owned(), json!(period(selection.filter.from.or(first)))),
            ("to".to_owned(), json!(period(selection.filter.to.or(last)))),
            ("data_version".to_owned(), json!(snapshot.data_version)),
        ]));
        Ok(("application/geo+json", geojson::GeoJson::from(fc).to_string()))
    })
    .await
    .map_err(|e| ApiError::internal(&e))?
    .map_err(|e| ApiError::internal(&e))?;
    Ok(([(header::CONTENT_TYPE, HeaderValue::from_static(body.0))], body.1).into_response())
}
