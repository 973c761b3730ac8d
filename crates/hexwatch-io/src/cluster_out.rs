//! Cluster exports: outlines in WGS84 and GeoJSON.

use geo::orient::{Direction, Orient};
use geo::{Coord, LineString, Polygon};
use hexwatch_core::BngPoint;
use hexwatch_core::cluster::{ClusterMethod, ClusterRun, NnhThreshold};
use serde_json::{Map, Value, json};

use crate::bng::{BngProjector, ProjectionError};

/// One cluster as drawn: its outline in WGS84 and its figures.
#[derive(Debug, Clone, PartialEq)]
pub struct ClusterOutline {
    /// 1 for the largest cluster, 2 for the next… (ties: the lower label first).
    pub rank: usize,
    /// Incidents in the cluster.
    pub count: usize,
    /// Core points among them (DBSCAN); `None` for NNH.
    pub core_count: Option<usize>,
    /// The cluster's share of the incidents clustered (all of the selection), 0–1.
    pub share: f64,
    /// Area of the convex hull of its incidents, km² (0 for one spot or a line).
    pub area_km2: f64,
    /// 0, or the buffer in metres drawn round a hull with no area to draw
    /// ([`hexwatch_core::cluster::DEGENERATE_BUFFER_M`]).
    pub buffered_m: f64,
    /// The outline, WGS84 degrees (x = longitude), exterior counter-clockwise (RFC 7946).
    pub outline_wgs84: Polygon<f64>,
}

/// Every cluster of `run` as an outline in WGS84, largest first: each hull vertex (an
/// incident's own British National Grid position, or a buffer vertex) projected back with
/// `projector`, so the outline passes through the incidents' map positions (the round trip
/// is below a millimetre).
///
/// # Errors
/// [`ProjectionError`] when a vertex cannot be projected.
pub fn cluster_outlines(
    run: &ClusterRun,
    projector: &BngProjector,
) -> Result<Vec<ClusterOutline>, ProjectionError> {
    #[expect(clippy::cast_precision_loss, reason = "incident counts are far below 2^52")]
    let total = run.labels.len().max(1) as f64;
    run.hulls
        .iter()
        .enumerate()
        .map(|(i, h)| {
            let ring = h
                .outline_bng
                .exterior()
                .coords()
                .map(|c| {
                    projector
                        .to_wgs84(BngPoint { easting_m: c.x, northing_m: c.y })
                        .map(|(lon, lat)| Coord { x: lon, y: lat })
                })
                .collect::<Result<Vec<_>, _>>()?;
            #[expect(clippy::cast_precision_loss, reason = "incident counts are far below 2^52")]
            let share = h.count as f64 / total;
            Ok(ClusterOutline {
                rank: i + 1,
                count: h.count,
                core_count: h.core_count,
                share,
                area_km2: h.area_km2,
                buffered_m: h.buffered_m,
                outline_wgs84: Polygon::new(LineString::new(ring), Vec::new()).orient(Direction::Default),
            })
        })
        .collect()
}

/// What a clustering was and found, as JSON members: `method` (`dbscan` | `nnh`),
/// `eps_m` (DBSCAN), `min_points`, `threshold_m` (NNH) with, for a random threshold,
/// `threshold_rule`, `area_m2`, `area_rule`, `p`, `z`, `mean_random_m`,
/// `standard_error_m`; `incidents` (clustered), `clusters`, `clustered`, `noise`,
/// `clustered_share`. Shared by the GeoJSON and the tile layer's TileJSON.
#[must_use]
pub fn cluster_summary(run: &ClusterRun) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("method".into(), json!(run.method.as_str()));
    match run.method {
        ClusterMethod::Dbscan { eps_m, min_points } => {
            m.insert("eps_m".into(), json!(eps_m));
            m.insert("min_points".into(), json!(min_points));
        }
        ClusterMethod::Nnh(params) => {
            m.insert("min_points".into(), json!(params.min_points));
            m.insert("threshold_m".into(), json!(run.threshold_m));
            let rule = match params.threshold {
                NnhThreshold::Fixed { .. } => "fixed",
                NnhThreshold::Random { .. } => {
                    "random nearest-neighbour distance 0.5·√(A/N) − z·0.26136·√(A/N²) (CrimeStat)"
                }
            };
            m.insert("threshold_rule".into(), json!(rule));
            if let Some(r) = run.random {
                m.insert("area_m2".into(), json!(r.area_m2));
                m.insert(
                    "area_rule".into(),
                    json!(if r.area_given {
                        "the selected area"
                    } else {
                        "the incidents' bounding rectangle"
                    }),
                );
                m.insert("p".into(), json!(r.p));
                m.insert("z".into(), json!(r.z));
                m.insert("mean_random_m".into(), json!(r.mean_random_m));
                m.insert("standard_error_m".into(), json!(r.standard_error_m));
            }
        }
    }
    let (incidents, clustered) = (run.labels.len(), run.clustered());
    m.insert("incidents".into(), json!(incidents));
    m.insert("clusters".into(), json!(run.hulls.len()));
    m.insert("clustered".into(), json!(clustered));
    m.insert("noise".into(), json!(run.noise()));
    #[expect(clippy::cast_precision_loss, reason = "incident counts are far below 2^52")]
    let share = if incidents == 0 { 0.0 } else { clustered as f64 / incidents as f64 };
    m.insert("clustered_share".into(), json!(share));
    m
}

/// The clusters as an RFC 7946 FeatureCollection: one Polygon per cluster (its convex hull
/// in WGS84, largest cluster first), properties `cluster` (the rank, 1 = largest), `count`,
/// `core_count` (DBSCAN), `share`, `area_km2`, `buffered_m`, and `threshold_m` (NNH); the
/// collection's foreign members are [`cluster_summary`].
#[must_use]
pub fn clusters_geojson(run: &ClusterRun, outlines: &[ClusterOutline]) -> geojson::FeatureCollection {
    let features = outlines
        .iter()
        .map(|o| {
            let mut f = geojson::Feature::from(geojson::Geometry::from(geojson::GeometryValue::from(
                &o.outline_wgs84,
            )));
            f.set_property("cluster", o.rank);
            f.set_property("count", o.count);
            if let Some(core) = o.core_count {
                f.set_property("core_count", core);
            }
            f.set_property("share", o.share);
            f.set_property("area_km2", o.area_km2);
            f.set_property("buffered_m", o.buffered_m);
            if let Some(t) = run.threshold_m {
                f.set_property("threshold_m", t);
            }
            f
        })
        .collect();
    geojson::FeatureCollection { bbox: None, features, foreign_members: Some(cluster_summary(run)) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hexwatch_core::cluster::{NnhParams, cluster_points};

    #[test]
    fn geojson_carries_each_cluster_and_the_summary() {
        let projector = BngProjector::new();
        // Twelve incidents on a 20 m grid (4 × 3) from Bournemouth Square, and one 2 km away;
        // eps 30 m reaches the diagonal (28.3 m): corners have 4 points, the rest 6 or 9.
        let origin = projector.to_bng(-1.8795, 50.7202).unwrap();
        let mut points: Vec<BngPoint> = (0..12)
            .map(|i| BngPoint {
                easting_m: origin.easting_m + 20.0 * f64::from(i % 4),
                northing_m: origin.northing_m + 20.0 * f64::from(i / 4),
            })
            .collect();
        points.push(BngPoint { easting_m: origin.easting_m + 2_000.0, northing_m: origin.northing_m });
        let run =
            cluster_points(&points, (0..13).collect(), ClusterMethod::Dbscan { eps_m: 30.0, min_points: 5 })
                .unwrap();
        let outlines = cluster_outlines(&run, &projector).unwrap();
        assert_eq!(outlines.len(), 1);
        let o = &outlines[0];
        assert_eq!((o.rank, o.count, o.core_count), (1, 12, Some(8)));
        assert!((o.area_km2 - 60.0 * 40.0 / 1e6).abs() < 1e-9, "a 60 m × 40 m rectangle");
        assert!((o.share - 12.0 / 13.0).abs() < 1e-12);
        // The outline's corner is the incident's own WGS84 position, within a millimetre
        // (metres per degree near 50.7° N, spherical: ample for a 1 mm check).
        let ring = &o.outline_wgs84.exterior().0;
        let nearest_m = ring
            .iter()
            .map(|c| {
                let east = (c.x + 1.8795) * 111_320.0 * 50.7202_f64.to_radians().cos();
                let north = (c.y - 50.7202) * 110_574.0;
                east.hypot(north)
            })
            .fold(f64::INFINITY, f64::min);
        assert!(nearest_m < 1e-3, "{nearest_m} m; {ring:?}");
        let fc = clusters_geojson(&run, &outlines);
        let text = geojson::GeoJson::from(fc).to_string();
        let v: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["method"], "dbscan");
        assert_eq!(
            (v["clusters"].as_u64(), v["clustered"].as_u64(), v["noise"].as_u64()),
            (Some(1), Some(12), Some(1))
        );
        let props = &v["features"][0]["properties"];
        assert_eq!(
            (props["cluster"].as_u64(), props["count"].as_u64(), props["core_count"].as_u64()),
            (Some(1), Some(12), Some(8))
        );
        assert_eq!(v["features"][0]["geometry"]["type"], "Polygon");

        let nnh =
            cluster_points(&points, (0..13).collect(), ClusterMethod::Nnh(NnhParams::default())).unwrap();
        let summary = cluster_summary(&nnh);
        assert_eq!(summary["method"], "nnh");
        assert_eq!(summary["area_rule"], "the incidents' bounding rectangle");
        assert!(summary["threshold_m"].as_f64().unwrap() > 0.0);
    }
}
