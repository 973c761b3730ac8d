//! Cluster outlines (DBSCAN or NNH convex hulls) as the `clusters` vector tile layer.

use std::collections::BTreeMap;

use geo::{BoundingRect, MultiPolygon};
use hexwatch_core::Bounds;
use tilejson::{TileJSON, VectorLayer};

use crate::mvt_cells::{PropertyValue, TileError, encode_layer};
use crate::mvt_polygons::{buffered_window, clip_to_window, tile_rings};
use crate::tile::TileCoord;
use crate::tilejson_doc::vector_tilejson;

/// The layer name inside `clusters` tiles (equal to the route's layer name).
pub const CLUSTERS_LAYER: &str = "clusters";

/// One cluster to draw.
#[derive(Debug, Clone, Copy)]
pub struct ClusterFeature<'a> {
    /// Its rank: 1 for the largest cluster of the selection.
    pub cluster: u32,
    /// Incidents in it.
    pub count: u32,
    /// Core points among them (DBSCAN); `None` for NNH.
    pub core_count: Option<u32>,
    /// Its share of the selection's incidents, 0–1.
    pub share: f64,
    /// Area of the convex hull of its incidents, km².
    pub area_km2: f64,
    /// 0, or the buffer in metres drawn round a hull without area.
    pub buffered_m: f64,
    /// NNH's threshold distance, metres (`None` for DBSCAN).
    pub threshold_m: Option<f64>,
    /// Its outline, WGS84 degrees (x = longitude).
    pub polygons: &'a MultiPolygon<f64>,
}

/// Encodes the clusters that reach `tile` as one MVT layer ([`CLUSTERS_LAYER`]), each
/// outline clipped to the tile plus its buffer and rounded to the tile grid like the other
/// polygon layers, with properties `cluster`, `count`, `core_count` (DBSCAN), `share`,
/// `area_km2`, `buffered_m` and `threshold_m` (NNH); feature ids 1, 2, 3… in the order given.
///
/// # Errors
/// [`TileError::Encode`] when the encoder refuses a geometry.
pub fn encode_clusters<'a>(
    tile: TileCoord,
    features: impl IntoIterator<Item = ClusterFeature<'a>>,
) -> Result<Vec<u8>, TileError> {
    let window = buffered_window(tile);
    let encoded = features.into_iter().filter_map(|f| {
        let clipped = clip_to_window(f.polygons, f.polygons.bounding_rect()?, window)?;
        let rings = tile_rings(&clipped, tile);
        let mut properties = vec![
            ("cluster".to_owned(), PropertyValue::Uint(u64::from(f.cluster))),
            ("count".to_owned(), PropertyValue::Uint(u64::from(f.count))),
        ];
        if let Some(core) = f.core_count {
            properties.push(("core_count".to_owned(), PropertyValue::Uint(u64::from(core))));
        }
        properties.push(("share".to_owned(), PropertyValue::Double(f.share)));
        properties.push(("area_km2".to_owned(), PropertyValue::Double(f.area_km2)));
        properties.push(("buffered_m".to_owned(), PropertyValue::Double(f.buffered_m)));
        if let Some(t) = f.threshold_m {
            properties.push(("threshold_m".to_owned(), PropertyValue::Double(t)));
        }
        Some((rings, properties))
    });
    encode_layer(tile, CLUSTERS_LAYER, encoded)
}

/// TileJSON 3.0.0 for the `clusters` layer: `tile_url` is the absolute URL template
/// (`…/tiles/clusters/{z}/{x}/{y}?method=…&eps_m=…`); `summary` (the clustering's method,
/// parameters and counts, `hexwatch_io::cluster_summary`) is added as top-level members.
#[must_use]
pub fn clusters_tilejson(
    tile_url: String,
    bounds: Option<Bounds>,
    attribution: &str,
    summary: serde_json::Map<String, serde_json::Value>,
) -> TileJSON {
    let fields = BTreeMap::from([
        ("cluster".to_owned(), "Number: the cluster's rank, 1 = most incidents".to_owned()),
        ("count".to_owned(), "Number: incidents in the cluster".to_owned()),
        (
            "core_count".to_owned(),
            "Number: DBSCAN core points among them (at least min_points incidents within eps_m); absent for NNH"
                .to_owned(),
        ),
        ("share".to_owned(), "Number: the cluster's share of the selection's incidents, 0–1".to_owned()),
        (
            "area_km2".to_owned(),
            "Number: area of the convex hull of the cluster's incidents, km² (0 for one spot or a line)".to_owned(),
        ),
        (
            "buffered_m".to_owned(),
            "Number: 0, or the metres of buffer drawn round a hull that has no area (incidents on one spot or line)"
                .to_owned(),
        ),
        ("threshold_m".to_owned(), "Number: NNH's threshold distance in metres; absent for DBSCAN".to_owned()),
    ]);
    let mut layer = VectorLayer::new(CLUSTERS_LAYER.to_owned(), fields);
    layer.description = Some("Convex hulls of the incident clusters (DBSCAN or CrimeStat's NNH)".to_owned());
    let mut doc = vector_tilejson(
        CLUSTERS_LAYER,
        "hexwatch incident clusters: convex hulls with counts",
        layer,
        tile_url,
        bounds,
        attribution,
    );
    doc.other.extend(summary);
    doc
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{LineString, Polygon};

    #[test]
    fn clusters_encode_with_their_counts_and_only_where_they_reach() {
        let square = |x0: f64, y0: f64, d: f64| {
            MultiPolygon(vec![Polygon::new(
                LineString::from(vec![(x0, y0), (x0 + d, y0), (x0 + d, y0 + d), (x0, y0 + d), (x0, y0)]),
                vec![],
            )])
        };
        let near = square(-1.885, 50.715, 0.004);
        let far = square(0.0, 0.0, 0.004);
        let tile =
            TileCoord::covering(&Bounds { west: -1.88, east: -1.88, south: 50.717, north: 50.717 }, 13)[0];
        let features = [
            ClusterFeature {
                cluster: 1,
                count: 120,
                core_count: Some(90),
                share: 0.25,
                area_km2: 0.08,
                buffered_m: 0.0,
                threshold_m: None,
                polygons: &near,
            },
            ClusterFeature {
                cluster: 2,
                count: 40,
                core_count: Some(30),
                share: 0.1,
                area_km2: 0.08,
                buffered_m: 0.0,
                threshold_m: None,
                polygons: &far,
            },
        ];
        let reader = mvt_reader::Reader::new(encode_clusters(tile, features).unwrap()).unwrap();
        assert_eq!(reader.get_layer_names().unwrap(), [CLUSTERS_LAYER]);
        let decoded = reader.get_features(0).unwrap();
        assert_eq!(decoded.len(), 1, "the far cluster is not in the tile");
        let props = decoded[0].properties.as_ref().unwrap();
        let uint = |k: &str| match props.get(k) {
            Some(mvt_reader::feature::Value::UInt(n)) => *n,
            other => panic!("{k}: {other:?}"),
        };
        assert_eq!((uint("cluster"), uint("count"), uint("core_count")), (1, 120, 90));
        assert!(props.get("threshold_m").is_none());
        assert!(matches!(decoded[0].geometry, geo::Geometry::Polygon(_) | geo::Geometry::MultiPolygon(_)));
    }

    #[test]
    fn tilejson_lists_the_fields_and_carries_the_summary() {
        let mut summary = serde_json::Map::new();
        summary.insert("method".into(), serde_json::json!("dbscan"));
        summary.insert("eps_m".into(), serde_json::json!(100.0));
        let doc = clusters_tilejson("http://x/tiles/clusters/{z}/{x}/{y}".into(), None, "OGL", summary);
        let v = serde_json::to_value(&doc).unwrap();
        assert_eq!(v["vector_layers"][0]["id"], CLUSTERS_LAYER);
        assert!(v["vector_layers"][0]["fields"]["count"].is_string());
        assert_eq!((v["method"].as_str(), v["eps_m"].as_f64()), (Some("dbscan"), Some(100.0)));
        assert_eq!(v["tilejson"], "3.0.0");
    }
}
