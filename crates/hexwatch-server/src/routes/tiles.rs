//! `/tiles/{layer}` (TileJSON) and `/tiles/{layer}/{z}/{x}/{y}` (MVT or PNG) for the `cells`,
//! `density`, `density-contours`, `boundaries` and `clusters` layers.

use std::io::{Read, Write};
use std::sync::Arc;

use axum::body::Body;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use h3o::CellIndex;
use hexwatch_core::cluster::{ClusterMethod, NnhParams, NnhThreshold};
use hexwatch_core::{AreaSet, AreaSets, PublicArea, Role, density_per_km2_month};
use hexwatch_tiles::{
    BUFFER, BoundaryFeature, CellFeature, ClusterFeature, EXTENT, PropertyValue, TileCoord,
    boundaries_tilejson, cells_tilejson, clusters_tilejson, encode_boundaries, encode_cells, encode_clusters,
    resolution_for_zoom,
};
use rstar::AABB;

use super::{Pairs, base_url, path_segments, query_pairs, role_of};
use crate::error::ApiError;
use crate::public::{PublicAreas, pinned_query, public_resolution, public_selection};
use crate::query::{Selection, parse_selection, parse_stat_options};
use crate::state::{AppState, CachedTile, Snapshot, TileKey, TileScope};
use hexwatch_core::kde::Kernel;
use hexwatch_core::stats::{Method, StatOptions};
use hexwatch_tiles::{
    CONTOUR_LAYER, DENSITY_BREAKS, DENSITY_TILE_SIZE, density_tile_png, encode_density_bands, pixel_means,
};

const LAYERS: [&str; 5] = ["cells", "density", "density-contours", "boundaries", "clusters"];

/// Parameters of the `clusters` layer.
const CLUSTER_PARAMS: [&str; 5] = ["method", "eps_m", "min_points", "p", "threshold_m"];

/// Default DBSCAN radius of the `clusters` layer, metres (about a street block).
pub(crate) const DEFAULT_EPS_M: f64 = 100.0;
/// Default `min_points` of the `clusters` layer (DBSCAN and NNH).
pub(crate) const DEFAULT_MIN_POINTS: usize = 10;
/// Default one-tailed probability of NNH's random threshold (the 95 % lower bound).
pub(crate) const DEFAULT_NNH_P: f64 = 0.05;

/// Parses the `clusters` layer's parameters: `method` (`dbscan`, the default, or `nnh`),
/// `eps_m` (DBSCAN, metres, 1–5000, default 100), `min_points` (1–100000, default 10), and
/// for NNH either `p` (one-tailed probability of the random threshold, 0 < p ≤ 0.5, default
/// 0.05) or `threshold_m` (a fixed threshold, metres, 1–5000).
///
/// # Errors
/// 400 naming the parameter: an unknown method, a value out of range, a parameter of the
/// other method, or both `p` and `threshold_m`.
pub(crate) fn parse_cluster_params(pairs: &Pairs) -> Result<ClusterMethod, ApiError> {
    let value = |k: &str| pairs.iter().find(|(key, _)| key == k).map(|(_, v)| v.as_str());
    let number = |name: &str, min: f64, max: f64, unit: &str| -> Result<Option<f64>, ApiError> {
        value(name)
            .map(|v| {
                v.parse::<f64>().ok().filter(|m| m.is_finite() && (min..=max).contains(m)).ok_or_else(|| {
                    ApiError::bad_parameter(
                        name,
                        format!("invalid {name} (got {v:?}): {unit} from {min} to {max}"),
                    )
                })
            })
            .transpose()
    };
    let min_points = match value("min_points") {
        None => DEFAULT_MIN_POINTS,
        Some(v) => v.parse::<usize>().ok().filter(|n| (1..=100_000).contains(n)).ok_or_else(|| {
            ApiError::bad_parameter(
                "min_points",
                format!("invalid min_points (got {v:?}): a whole number of incidents from 1 to 100000"),
            )
        })?,
    };
    let only = |name: &str, method: &str| match value(name) {
        Some(_) => Err(ApiError::bad_parameter(name, format!("{name} applies only to method={method}"))),
        None => Ok(()),
    };
    match value("method").unwrap_or("dbscan") {
        "dbscan" => {
            only("p", "nnh")?;
            only("threshold_m", "nnh")?;
            let eps_m = number("eps_m", 1.0, 5_000.0, "metres")?.unwrap_or(DEFAULT_EPS_M);
            Ok(ClusterMethod::Dbscan { eps_m, min_points })
        }
        "nnh" => {
            only("eps_m", "dbscan")?;
            let p = number("p", 0.0, 0.5, "a one-tailed probability")?;
            if p == Some(0.0) {
                return Err(ApiError::bad_parameter(
                    "p",
                    "invalid p (got \"0\"): must be above 0 (0.05 for 95 %)",
                ));
            }
            let threshold = match (p, number("threshold_m", 1.0, 5_000.0, "metres")?) {
                (Some(_), Some(_)) => {
                    return Err(ApiError::bad_parameter(
                        "threshold_m",
                        "give p (the random threshold's probability) or threshold_m (a fixed threshold), not both",
                    ));
                }
                (_, Some(distance_m)) => NnhThreshold::Fixed { distance_m },
                (p, None) => NnhThreshold::Random { area_m2: None, p: p.unwrap_or(DEFAULT_NNH_P) },
            };
            Ok(ClusterMethod::Nnh(NnhParams { threshold, min_points }))
        }
        m => Err(ApiError::bad_parameter("method", format!("invalid method (got {m:?}): dbscan or nnh"))),
    }
}

/// Parameters of the density layer.
const DENSITY_PARAMS: [&str; 3] = ["kernel", "bandwidth_m", "cell_size_m"];

/// Parses `kernel` (default quartic), `bandwidth_m` and `cell_size_m` (metres, > 0; each
/// defaults to ArcGIS's rule).
fn parse_density_params(pairs: &Pairs) -> Result<(Kernel, Option<f64>, Option<f64>), ApiError> {
    let value = |k: &str| pairs.iter().find(|(key, _)| key == k).map(|(_, v)| v.as_str());
    let kernel = match value("kernel") {
        None => Kernel::Quartic,
        Some(k) => Kernel::parse(k).ok_or_else(|| {
            ApiError::bad_parameter(
                "kernel",
                format!("invalid kernel (got {k:?}): quartic, epanechnikov, triangular, uniform or gaussian"),
            )
        })?,
    };
    let metres = |name: &str, min: f64, max: f64| -> Result<Option<f64>, ApiError> {
        value(name)
            .map(|v| {
                v.parse::<f64>().ok().filter(|m| m.is_finite() && (min..=max).contains(m)).ok_or_else(|| {
                    ApiError::bad_parameter(
                        name,
                        format!("invalid {name} (got {v:?}): metres from {min} to {max}"),
                    )
                })
            })
            .transpose()
    };
    Ok((kernel, metres("bandwidth_m", 10.0, 20_000.0)?, metres("cell_size_m", 5.0, 2_000.0)?))
}

fn check_layer(layer: &str) -> Result<&'static str, ApiError> {
    LAYERS.iter().find(|l| **l == layer).copied().ok_or_else(|| ApiError {
        parameter: Some("layer".to_owned()),
        ..ApiError::not_found(format!(
            "unknown tile layer {layer:?}; layers: {} (see /catalog)",
            LAYERS.join(", ")
        ))
    })
}

/// TileJSON 3.0.0 for a layer; the request's filters are carried into the tile URL.
pub(super) async fn tilejson(
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
    query: Result<Query<Pairs>, QueryRejection>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let layer = check_layer(&path_segments(path)?)?;
    let pairs = query_pairs(query)?;
    let snapshot = state.snapshot();
    if layer == "boundaries" {
        let set = parse_boundary_set(&pairs, &snapshot.areas)?;
        let url = format!(
            "{}/tiles/{layer}/{{z}}/{{x}}/{{y}}{}",
            base_url(&state, &headers),
            set.map(|s| format!("?set={}", percent(s))).unwrap_or_default()
        );
        let names: Vec<&str> = match set {
            Some(s) => vec![s],
            None => snapshot.areas.iter().map(AreaSet::name).collect(),
        };
        let doc = boundaries_tilejson(url, &names, snapshot.bounds, &state.0.config.attribution);
        return Ok(axum::Json(doc).into_response());
    }
    if layer == "clusters" {
        return clusters_tilejson_route(&state, &snapshot, &pairs, &headers).await;
    }
    if layer != "cells" {
        return density_tilejson(&state, &snapshot, &pairs, &headers, layer).await;
    }
    let mut selection = parse_selection(&pairs, &snapshot.table, &snapshot.areas, &CELL_PARAMS)?;
    let (method, _) = parse_stat_options(&pairs)?;
    parse_density_params(&pairs)?;
    if role_of(&headers) == Role::Public {
        check_public_cells(&state, &snapshot, &mut selection, method)?;
    }
    let query = serde_urlencoded_pairs(&pairs);
    let url = format!(
        "{}/tiles/{layer}/{{z}}/{{x}}/{{y}}{}",
        base_url(&state, &headers),
        if query.is_empty() { String::new() } else { format!("?{query}") }
    );
    let doc = cells_tilejson(url, snapshot.table.categories(), snapshot.bounds, &state.0.config.attribution);
    Ok(axum::Json(doc).into_response())
}

/// Re-encodes query pairs (already validated) for the TileJSON tile URL.
fn serde_urlencoded_pairs(pairs: &Pairs) -> String {
    pairs.iter().map(|(k, v)| format!("{}={}", percent(k), percent(v))).collect::<Vec<_>>().join("&")
}

/// Percent-encodes everything but unreserved characters and the `,` and `:` our filter
/// values use (`category=a,b`, `area=ward:E05…`), which are legal in a query.
fn percent(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~,:".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn parse_coord(z: &str, x: &str, y: &str) -> Result<TileCoord, ApiError> {
    let y = y.strip_suffix(".mvt").or_else(|| y.strip_suffix(".pbf")).unwrap_or(y);
    let num = |name: &str, v: &str| {
        v.parse::<u32>().map_err(|_| {
            ApiError::bad_parameter(name, format!("invalid {name} (got {v:?}): a non-negative integer"))
        })
    };
    let (zn, xn, yn) = (num("z", z)?, num("x", x)?, num("y", y)?);
    let z8 = u8::try_from(zn).ok().filter(|z| *z <= hexwatch_tiles::MAX_ZOOM).ok_or_else(|| {
        ApiError::bad_parameter("z", format!("invalid z (got {zn}): zoom 0 to {}", hexwatch_tiles::MAX_ZOOM))
    })?;
    TileCoord::new_checked(z8, xn, yn).ok_or_else(|| {
        let name = if xn >= (1 << z8) { "x" } else { "y" };
        ApiError::bad_parameter(
            name,
            format!("invalid tile {z8}/{xn}/{yn}: x and y must be below 2^z = {}", 1_u32 << z8),
        )
    })
}

/// The public role's cell layers: a fixed group and period (pinned into `selection`), the
/// whole data, the study area or one ward, and of the statistics Gi* bins only.
///
/// # Errors
/// 400 naming the parameter (see [`public_selection`]); `method=moran` or `emerging`.
fn check_public_cells(
    state: &AppState,
    snapshot: &Snapshot,
    selection: &mut Selection,
    method: Option<Method>,
) -> Result<(), ApiError> {
    if let Some(m @ (Method::Moran | Method::Emerging)) = method {
        return Err(ApiError::bad_parameter(
            "method",
            format!(
                "method={} needs a partner token: the public map shows Gi* hot spots as bins only (method=gistar)",
                m.as_str()
            ),
        ));
    }
    // An area picks the cells that meet it; each shows its whole count (clipped cells would
    // be new totals to protect).
    public_selection(selection, snapshot, state.0.config.disclosure, PublicAreas::Wards)?;
    Ok(())
}

/// One MVT tile of a layer, gzip-compressed, cached by (role, layer, z/x/y, filters, data
/// version), with ETag = hash of the tile bytes.
pub(super) async fn tile(
    State(state): State<AppState>,
    path: Result<Path<(String, String, String, String)>, PathRejection>,
    query: Result<Query<Pairs>, QueryRejection>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let (layer, z, x, y) = path_segments(path)?;
    let layer = check_layer(&layer)?;
    let coord = parse_coord(&z, &x, &y)?;
    let pairs = query_pairs(query)?;
    let snapshot = state.snapshot();
    if layer == "boundaries" {
        return boundaries_tile(state, snapshot, &pairs, &headers, coord).await;
    }
    if layer == "clusters" {
        return clusters_tile(state, snapshot, &pairs, &headers, coord).await;
    }
    if layer != "cells" {
        return density_tile(state, snapshot, &pairs, &headers, coord, layer).await;
    }
    let mut selection = parse_selection(&pairs, &snapshot.table, &snapshot.areas, &CELL_PARAMS)?;
    let (method, options) = parse_stat_options(&pairs)?;
    let (kernel, bandwidth_m, _) = parse_density_params(&pairs)?;
    let role = role_of(&headers);
    if role == Role::Public {
        check_public_cells(&state, &snapshot, &mut selection, method)?;
    }
    let key = TileKey {
        role,
        layer,
        z: coord.z,
        x: coord.x,
        y: coord.y,
        selection: format!("{};{method:?};{options:?};{kernel:?};{bandwidth_m:?}", selection.cache_key()),
        // Statistics are global; so is the public role's complementary suppression (a change
        // anywhere can change which counts are withheld here, and tiles of two suppression
        // patterns side by side could be combined). Densities divide by the months covered.
        version: if method.is_some() || role == Role::Public {
            format!("data {}", snapshot.data_version)
        } else {
            format!("months {}", snapshot.months(&selection))
        },
    };
    // Statistics tiles need the study area's statistics (permutations for Moran), and a
    // given bandwidth the kernel density model: expensive.
    let expensive = method.is_some() || bandwidth_m.is_some();
    let cached = cached_tile(&state, key, expensive, move |st| match method {
        None => build_cells_tile(st, &snapshot, role, &selection, coord, kernel, bandwidth_m),
        Some(m) => build_stats_tile(st, &snapshot, role, &selection, coord, m, options),
    })
    .await?;
    Ok(respond(&cached, &headers))
}

/// The cached tile of `key`, or `build` run off the async runtime (concurrent misses of one
/// key build once) and cached. An `expensive` build first takes a slot of the expensive
/// gate (a 503 when they are all taken and the queue is full) and holds it while it runs.
async fn cached_tile(
    state: &AppState,
    key: TileKey,
    expensive: bool,
    build: impl FnOnce(&AppState) -> Result<Arc<CachedTile>, ApiError> + Send + 'static,
) -> Result<(Arc<CachedTile>, bool), ApiError> {
    if let Some(t) = state.0.tiles.get(&key) {
        return Ok((t, true));
    }
    let permit = if expensive { Some(state.0.expensive.enter().await?) } else { None };
    let st = state.clone();
    let tile = tokio::task::spawn_blocking(move || {
        let _permit = permit;
        st.0.tiles.try_get_with(key, || build(&st)).map_err(|e: Arc<ApiError>| (*e).clone())
    })
    .await
    .map_err(|e| ApiError::internal(&e))??;
    Ok((tile, false))
}

/// The `set` parameter of the `boundaries` layer (`None`: every set); the layer takes no
/// other parameter.
fn parse_boundary_set<'a>(pairs: &'a Pairs, areas: &AreaSets) -> Result<Option<&'a str>, ApiError> {
    let mut set = None;
    for (i, (key, value)) in pairs.iter().enumerate() {
        if key != "set" {
            return Err(ApiError::bad_parameter(
                key,
                format!("unknown parameter {key:?}: the boundaries layer takes only set"),
            ));
        }
        if pairs[..i].iter().any(|(k, _)| k == key) {
            return Err(ApiError::bad_parameter(key, "set is given more than once; give it once"));
        }
        if areas.by_name(value).is_none() {
            let known: Vec<&str> = areas.iter().map(AreaSet::name).collect();
            return Err(ApiError::bad_parameter(
                "set",
                format!("invalid set (got {value:?}): one of {} (see /api/meta area_sets)", known.join(", ")),
            ));
        }
        set = Some(value.as_str());
    }
    Ok(set)
}

/// A `boundaries` tile: the outlines of one set (`?set=`) or of every set, with
/// properties `set`, `code` and `name`, cached like every tile.
async fn boundaries_tile(
    state: AppState,
    snapshot: Arc<Snapshot>,
    pairs: &Pairs,
    headers: &HeaderMap,
    coord: TileCoord,
) -> Result<Response, ApiError> {
    let set = parse_boundary_set(pairs, &snapshot.areas)?.map(str::to_owned);
    let role = role_of(headers);
    let key = TileKey {
        role,
        layer: "boundaries",
        z: coord.z,
        x: coord.x,
        y: coord.y,
        selection: format!("set={set:?}"),
        // Boundaries change only with a restart (area sets are loaded at start).
        version: String::new(),
    };
    let cached = cached_tile(&state, key, false, move |_| {
        let features =
            snapshot.areas.iter().filter(|s| set.as_deref().is_none_or(|n| n == s.name())).flat_map(|s| {
                s.areas().iter().map(|a| BoundaryFeature {
                    set: s.name(),
                    code: &a.code,
                    name: &a.name,
                    polygons: &a.boundary_wgs84,
                })
            });
        gzip_tile(
            encode_boundaries(coord, features).map_err(|e| ApiError::internal(&e))?,
            TileScope::Boundaries,
        )
    })
    .await?;
    Ok(respond(&cached, headers))
}

/// A `clusters` tile: the convex hull of every cluster of the selection that reaches the
/// tile, with its counts. The clustering depends on every incident of the selection, so the
/// tile is keyed by the data version and purged on every change.
async fn clusters_tile(
    state: AppState,
    snapshot: Arc<Snapshot>,
    pairs: &Pairs,
    headers: &HeaderMap,
    coord: TileCoord,
) -> Result<Response, ApiError> {
    let selection = parse_selection(pairs, &snapshot.table, &snapshot.areas, &CLUSTER_PARAMS)?;
    let method = parse_cluster_params(pairs)?;
    let role = role_of(headers);
    let key = TileKey {
        role,
        layer: "clusters",
        z: coord.z,
        x: coord.x,
        y: coord.y,
        selection: format!("{};{method:?}", selection.cache_key()),
        version: format!("data {}", snapshot.data_version),
    };
    let cached = cached_tile(&state, key, true, move |st| {
        let clusters = st.clusters(&snapshot, role, &selection, method)?;
        let mut found: Vec<usize> =
            clusters.tree.locate_in_envelope_intersecting(&tile_window(coord)).map(|e| e.data).collect();
        found.sort_unstable();
        let policy = st.0.config.disclosure;
        let features = found.into_iter().filter_map(|i| {
            let o = &clusters.outlines[i];
            let count = policy.visible_count(role, u32::try_from(o.count).ok()?)?;
            Some(ClusterFeature {
                cluster: u32::try_from(o.rank).ok()?,
                count,
                core_count: o.core_count.and_then(|c| u32::try_from(c).ok()),
                share: o.share,
                area_km2: o.area_km2,
                buffered_m: o.buffered_m,
                threshold_m: clusters.threshold_m,
                polygons: &clusters.polygons[i],
            })
        });
        gzip_tile(encode_clusters(coord, features).map_err(|e| ApiError::internal(&e))?, TileScope::Global)
    })
    .await?;
    Ok(respond(&cached, headers))
}

/// TileJSON of the `clusters` layer: the tile template with the request's filters and
/// parameters, the layer's fields, and the clustering's method, parameters and counts
/// (`clusters`, `clustered`, `noise`, `clustered_share`; NNH's threshold and its working).
async fn clusters_tilejson_route(
    state: &AppState,
    snapshot: &Arc<Snapshot>,
    pairs: &Pairs,
    headers: &HeaderMap,
) -> Result<Response, ApiError> {
    let selection = parse_selection(pairs, &snapshot.table, &snapshot.areas, &CLUSTER_PARAMS)?;
    let method = parse_cluster_params(pairs)?;
    let role = role_of(headers);
    let query = serde_urlencoded_pairs(pairs);
    let url = format!(
        "{}/tiles/clusters/{{z}}/{{x}}/{{y}}{}",
        base_url(state, headers),
        if query.is_empty() { String::new() } else { format!("?{query}") }
    );
    let (st, snap) = (state.clone(), snapshot.clone());
    // Clustering the selection is expensive: through the gate, off the async runtime.
    let permit = state.0.expensive.enter().await?;
    let clusters = tokio::task::spawn_blocking(move || {
        let _permit = permit;
        st.clusters(&snap, role, &selection, method)
    })
    .await
    .map_err(|e| ApiError::internal(&e))??;
    let doc = clusters_tilejson(url, snapshot.bounds, &state.0.config.attribution, clusters.summary.clone());
    Ok(axum::Json(doc).into_response())
}

/// A density tile: for `density` a 256 × 256 PNG, each pixel the mean density over its
/// footprint; for `density-contours` an MVT of the isobands between the legend's breaks.
async fn density_tile(
    state: AppState,
    snapshot: Arc<Snapshot>,
    pairs: &Pairs,
    headers: &HeaderMap,
    coord: TileCoord,
    layer: &'static str,
) -> Result<Response, ApiError> {
    let mut selection = parse_selection(pairs, &snapshot.table, &snapshot.areas, &DENSITY_PARAMS)?;
    let (kernel, bandwidth_m, cell_size_m) = parse_density_params(pairs)?;
    let role = role_of(headers);
    if role == Role::Public {
        public_selection(&mut selection, &snapshot, state.0.config.disclosure, PublicAreas::Wards)?;
    }
    // The key's version needs the density model (points, bandwidth, R-tree): built once per
    // selection, off the async runtime and through the expensive gate; once built, read here.
    let spec = match state.cached_density_spec(&snapshot, role, &selection, kernel, bandwidth_m, cell_size_m)
    {
        Some(spec) => spec?,
        None => {
            let (st, snap, sel) = (state.clone(), snapshot.clone(), selection.clone());
            let permit = state.0.expensive.enter().await?;
            tokio::task::spawn_blocking(move || {
                let _permit = permit;
                st.density_spec(&snap, role, &sel, kernel, bandwidth_m, cell_size_m)
            })
            .await
            .map_err(|e| ApiError::internal(&e))??
        }
    };
    let key = TileKey {
        role,
        layer,
        z: coord.z,
        x: coord.x,
        y: coord.y,
        selection: format!("{};{kernel:?};{bandwidth_m:?};{cell_size_m:?}", selection.cache_key()),
        version: spec.map_or_else(String::new, |(h, spec)| {
            format!(
                "months {}; h {h:?}; grid {:?} {:?} {:?} {}x{}",
                snapshot.months(&selection),
                spec.xmin_m,
                spec.ymax_m,
                spec.cell_size_m,
                spec.ncols,
                spec.nrows
            )
        }),
    };
    let cached = cached_tile(&state, key, true, move |st| {
        let surface = st.density(&snapshot, role, &selection, kernel, bandwidth_m, cell_size_m)?;
        let scope =
            TileScope::Density { bandwidth_m: surface.as_ref().map_or(0.0, |s| s.bandwidth.bandwidth_m) };
        if layer == "density-contours" {
            let bands = surface.as_ref().map_or(&[][..], |s| s.bands(&st.0.projector));
            let mvt = encode_density_bands(coord, bands).map_err(|e| ApiError::internal(&e))?;
            return gzip_tile(mvt, scope);
        }
        let values = match surface {
            Some(surface) => pixel_means(&surface.grid, coord, &|lon, lat| {
                st.0.projector.to_bng(lon, lat).ok().map(|p| (p.easting_m, p.northing_m))
            }),
            None => vec![f64::NAN; (DENSITY_TILE_SIZE * DENSITY_TILE_SIZE) as usize],
        };
        let png = density_tile_png(&values).map_err(|e| ApiError::internal(&e))?;
        let etag = format!("\"{:016x}\"", xxhash_rust::xxh3::xxh3_64(&png));
        Ok::<_, ApiError>(Arc::new(CachedTile { gzip: png, etag, png: true, scope }))
    })
    .await?;
    Ok(respond(&cached, headers))
}

/// TileJSON of the `density` or `density-contours` layer, stating the bandwidth, cell size
/// and the rules that chose them, the unit, the legend's class breaks and the peak.
async fn density_tilejson(
    state: &AppState,
    snapshot: &Arc<Snapshot>,
    pairs: &Pairs,
    headers: &HeaderMap,
    layer: &'static str,
) -> Result<Response, ApiError> {
    let mut selection = parse_selection(pairs, &snapshot.table, &snapshot.areas, &DENSITY_PARAMS)?;
    let (kernel, bandwidth_m, cell_size_m) = parse_density_params(pairs)?;
    let role = role_of(headers);
    if role == Role::Public {
        public_selection(&mut selection, snapshot, state.0.config.disclosure, PublicAreas::Wards)?;
    }
    let query = serde_urlencoded_pairs(pairs);
    let url = format!(
        "{}/tiles/{layer}/{{z}}/{{x}}/{{y}}{}",
        base_url(state, headers),
        if query.is_empty() { String::new() } else { format!("?{query}") }
    );
    let (st, snap) = (state.clone(), snapshot.clone());
    let permit = state.0.expensive.enter().await?;
    let surface = tokio::task::spawn_blocking(move || {
        let _permit = permit;
        st.density(&snap, role, &selection, kernel, bandwidth_m, cell_size_m)
    })
    .await
    .map_err(|e| ApiError::internal(&e))??;
    let mut doc = serde_json::json!({
        "tilejson": "3.0.0",
        "name": layer,
        "description": if layer == "density" {
            "Kernel density, incidents per km² per month; each pixel is the mean over its footprint"
        } else {
            "Kernel density isobands between the legend's breaks, incidents per km² per month"
        },
        "tiles": [url],
        "minzoom": 0,
        "maxzoom": hexwatch_tiles::MAX_ZOOM,
        "attribution": state.0.config.attribution,
        "unit": "incidents per km² per month",
        "kernel": kernel.as_str(),
        "legend_breaks": DENSITY_BREAKS,
    });
    if layer == "density" {
        doc["tileSize"] = serde_json::json!(DENSITY_TILE_SIZE);
    } else {
        doc["vector_layers"] = serde_json::json!([{
            "id": CONTOUR_LAYER,
            "description": "Where the density lies in one legend class",
            "fields": {
                "class": "Number: legend class, 1 from the first break upwards",
                "lower_per_km2_month": "Number: lower bound, incidents per km² per month (inclusive)",
                "upper_per_km2_month": "Number: upper bound (exclusive); absent for the top class",
                "label": "String: the class bounds, e.g. 10–30",
            }
        }]);
    }
    if let Some(s) = surface {
        doc["bandwidth_m"] = serde_json::json!(s.bandwidth.bandwidth_m);
        doc["bandwidth_rule"] = serde_json::json!(s.bandwidth.rule.describe());
        doc["cell_size_m"] = serde_json::json!(s.grid.spec.cell_size_m);
        doc["cell_size_rule"] = serde_json::json!(s.cell_size_rule);
        if role == Role::Partner {
            doc["incidents"] = serde_json::json!(s.bandwidth.n);
        } else {
            doc["masked"] = serde_json::json!(format!(
                "no data where the kernel support (radius = bandwidth) holds fewer than {} incidents",
                state.0.config.disclosure.min_count
            ));
        }
        doc["months"] = serde_json::json!(s.grid.months);
        doc["peak_density_per_km2_month"] = serde_json::json!(s.grid.peak().map(|p| p.0));
        if s.bandwidth.bandwidth_m < s.grid.spec.cell_size_m {
            doc["warning"] = serde_json::json!("the bandwidth is below the cell size");
        }
    }
    Ok(axum::Json(doc).into_response())
}

/// The finest resolution statistics tiles reach by following the zoom.
const MAX_AUTO_STAT_RESOLUTION: h3o::Resolution = h3o::Resolution::Ten;

/// Parameters of the `cells` layer: statistics, and the kernel and bandwidth of the
/// density at each cell's centre.
const CELL_PARAMS: [&str; 6] = ["method", "k", "permutations", "seed", "kernel", "bandwidth_m"];

/// A tile of every study-area cell (empty ones included) with the statistic's properties.
fn build_stats_tile(
    state: &AppState,
    snapshot: &Snapshot,
    role: Role,
    selection: &Selection,
    coord: TileCoord,
    method: Method,
    options: StatOptions,
) -> Result<Arc<CachedTile>, ApiError> {
    // Statistics follow the zoom only up to resolution 10 (12,259 BCP cells): finer study
    // areas (83k cells at 11, 575k at 12) take minutes for permutations. `res=` still pins.
    let mut res = selection.res.unwrap_or_else(|| resolution_for_zoom(coord.z).min(MAX_AUTO_STAT_RESOLUTION));
    if role == Role::Public {
        let q =
            pinned_query(selection, snapshot).ok_or_else(|| ApiError::internal(&"unpinned public query"))?;
        res = public_resolution(state.0.config.disclosure, res, &q);
    }
    let indexed = state.cell_stats(snapshot, role, selection, res, method, options)?;
    let mut cells: Vec<usize> =
        indexed.tree.locate_in_envelope_intersecting(&tile_window(coord)).map(|e| e.data).collect();
    cells.sort_unstable();
    let features = cells.into_iter().map(|i| {
        let properties = hexwatch_io::stat_properties(&indexed.stats, i)
            .into_iter()
            // The public role gets the bin only: no z, p or count to invert.
            .filter(|(k, _)| role == Role::Partner || ["h3", "res", "gi_bin"].contains(&k.as_str()))
            .filter_map(|(k, v)| {
                let value = match v {
                    serde_json::Value::String(s) => PropertyValue::String(s),
                    // Bins are signed (−3…+3): one MVT type for every feature.
                    serde_json::Value::Number(n) if k == "gi_bin" => PropertyValue::Int(n.as_i64()?),
                    serde_json::Value::Number(n) if n.is_u64() => PropertyValue::Uint(n.as_u64()?),
                    serde_json::Value::Number(n) if n.is_i64() => PropertyValue::Int(n.as_i64()?),
                    serde_json::Value::Number(n) => PropertyValue::Double(n.as_f64()?),
                    _ => return None,
                };
                Some((k, value))
            })
            .collect();
        CellFeature { cell: indexed.stats.area.cells()[i], properties }
    });
    finish_tile(coord, features, TileScope::Global)
}

/// The tile's bounds grown by the MVT buffer, in degrees.
pub(crate) fn tile_window(coord: TileCoord) -> AABB<[f64; 2]> {
    let b = coord.bounds();
    let pad = BUFFER / f64::from(EXTENT);
    let (dx, dy) = ((b.east - b.west) * pad, (b.north - b.south) * pad);
    AABB::from_corners([b.west - dx, b.south - dy], [b.east + dx, b.north + dy])
}

/// Encodes, hashes and gzips a `cells` layer.
fn finish_tile(
    coord: TileCoord,
    features: impl Iterator<Item = CellFeature>,
    scope: TileScope,
) -> Result<Arc<CachedTile>, ApiError> {
    gzip_tile(encode_cells(coord, "cells", features).map_err(|e| ApiError::internal(&e))?, scope)
}

/// Hashes and gzips an encoded MVT.
fn gzip_tile(mvt: Vec<u8>, scope: TileScope) -> Result<Arc<CachedTile>, ApiError> {
    let etag = format!("\"{:016x}\"", xxhash_rust::xxh3::xxh3_64(&mvt));
    let mut gz =
        flate2::write::GzEncoder::new(Vec::with_capacity(mvt.len() / 2), flate2::Compression::fast());
    gz.write_all(&mvt).map_err(|e| ApiError::internal(&e))?;
    let gzip = gz.finish().map_err(|e| ApiError::internal(&e))?;
    Ok(Arc::new(CachedTile { gzip, etag, png: false, scope }))
}

/// A `cells` tile: each cell with its count, own density, per-category counts and, when the
/// request gives `bandwidth_m`, the kernel density at its centre (`kde_per_km2_month`,
/// exact). With ArcGIS's default bandwidth, which depends on every incident, the property
/// would tie every tile to every change, so it is left out.
fn build_cells_tile(
    state: &AppState,
    snapshot: &Snapshot,
    role: Role,
    selection: &Selection,
    coord: TileCoord,
    kernel: Kernel,
    bandwidth_m: Option<f64>,
) -> Result<Arc<CachedTile>, ApiError> {
    let mut res = selection.res.unwrap_or_else(|| resolution_for_zoom(coord.z));
    let policy = state.0.config.disclosure;
    let public = match role {
        Role::Public => {
            let q = pinned_query(selection, snapshot)
                .ok_or_else(|| ApiError::internal(&"unpinned public query"))?;
            res = public_resolution(policy, res, &q);
            Some((q, snapshot.public_cube(policy)))
        }
        _ => None,
    };
    let indexed = state.aggregate(snapshot, role, selection, res);
    let model = bandwidth_m.and_then(|_| state.density_model(snapshot, role, selection, kernel, bandwidth_m));
    let mut cells: Vec<CellIndex> =
        indexed.tree.locate_in_envelope_intersecting(&tile_window(coord)).map(|e| e.data).collect();
    cells.sort_unstable();
    let months = snapshot.months(selection);
    let categories = snapshot.table.categories();
    let features = cells.into_iter().filter_map(|cell| {
        let counts = indexed.aggregate.get(cell)?;
        let area_km2 = cell.area_km2();
        let mut properties = vec![
            ("h3".to_owned(), PropertyValue::String(cell.to_string())),
            ("res".to_owned(), PropertyValue::Uint(u64::from(u8::from(cell.resolution())))),
            ("area_km2".to_owned(), PropertyValue::Double(area_km2)),
        ];
        let count = match &public {
            None => Some(counts.total()),
            Some((q, cube)) => cube.count(PublicArea::Cell(cell), q.group, q.period).value().map(clamp_u32),
        };
        match count {
            Some(count) => properties.extend([
                ("count".to_owned(), PropertyValue::Uint(u64::from(count))),
                (
                    "density_per_km2_month".to_owned(),
                    PropertyValue::Double(density_per_km2_month(count, area_km2, months)),
                ),
            ]),
            // Withheld: drawn as "fewer than k" (or hiding one that is), no count.
            None => properties.push(("withheld".to_owned(), PropertyValue::Uint(1))),
        }
        let centre = h3o::LatLng::from(cell);
        if let (Some(m), Ok(p)) = (&model, state.0.projector.to_bng(centre.lng(), centre.lat()))
            && (public.is_none()
                || m.sum.support_weight(p.easting_m, p.northing_m) >= f64::from(policy.min_count))
        {
            let kde = m.sum.density_at(p.easting_m, p.northing_m);
            properties.push(("kde_per_km2_month".to_owned(), PropertyValue::Double(kde)));
        }
        for (i, (c, n)) in categories.iter().zip(counts.by_category()).enumerate() {
            let shown = match &public {
                None => Some(u64::from(*n)),
                Some((q, cube)) => {
                    let id = hexwatch_core::CategoryId(u16::try_from(i).ok()?);
                    cube.category_count(PublicArea::Cell(cell), id, q.period).value()
                }
            };
            if let Some(n) = shown.filter(|n| *n > 0) {
                properties.push((c.property(), PropertyValue::Uint(n)));
            }
        }
        Some(CellFeature { cell, properties })
    });
    finish_tile(coord, features, TileScope::Cells { res: u8::from(res) })
}

fn respond((tile, hit): &(Arc<CachedTile>, bool), headers: &HeaderMap) -> Response {
    let etag = HeaderValue::from_str(&tile.etag).unwrap_or_else(|_| HeaderValue::from_static("\"\""));
    let matches = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == tile.etag || t.trim() == "*"));
    let common = [
        (header::ETAG, etag),
        (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        (header::VARY, HeaderValue::from_static("Accept-Encoding")),
        (
            header::HeaderName::from_static("x-hexwatch-cache"),
            HeaderValue::from_static(if *hit { "hit" } else { "miss" }),
        ),
    ];
    if matches {
        return (StatusCode::NOT_MODIFIED, common).into_response();
    }
    if tile.png {
        let content_type = (header::CONTENT_TYPE, HeaderValue::from_static("image/png"));
        return (common, [content_type], Body::from(tile.gzip.clone())).into_response();
    }
    let content_type = (header::CONTENT_TYPE, HeaderValue::from_static("application/vnd.mapbox-vector-tile"));
    let gzip_ok = headers
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|e| e.trim().starts_with("gzip")));
    if gzip_ok {
        let enc = (header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        return (common, [content_type, enc], Body::from(tile.gzip.clone())).into_response();
    }
    let mut plain = Vec::new();
    if let Err(e) = flate2::read::GzDecoder::new(tile.gzip.as_slice()).read_to_end(&mut plain) {
        return ApiError::internal(&e).into_response();
    }
    (common, [content_type], Body::from(plain)).into_response()
}

/// A count as `u32` (MVT counts; saturating).
fn clamp_u32(n: u64) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}
