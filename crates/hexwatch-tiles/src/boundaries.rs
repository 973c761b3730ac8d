//! Area outlines (wards, LSOAs, custom areas) as the `boundaries` vector tile layer.

use std::collections::BTreeMap;

use geo::{BoundingRect, MultiPolygon};
use hexwatch_core::Bounds;
use tilejson::{TileJSON, VectorLayer};

use crate::mvt_cells::{PropertyValue, TileError, encode_layer};
use crate::mvt_polygons::{buffered_window, clip_to_window, tile_rings};
use crate::tile::TileCoord;
use crate::tilejson_doc::vector_tilejson;

/// The layer name inside `boundaries` tiles (equal to the route's layer name).
pub const BOUNDARIES_LAYER: &str = "boundaries";

/// One area to draw.
#[derive(Debug, Clone, Copy)]
pub struct BoundaryFeature<'a> {
    /// The area's set: `ward`, `lsoa` or a custom set's name.
    pub set: &'a str,
    /// The area's code.
    pub code: &'a str,
    /// The area's name.
    pub name: &'a str,
    /// Its boundary in WGS84 degrees (x = longitude).
    pub polygons: &'a MultiPolygon<f64>,
}

/// Encodes the areas that reach `tile` as one MVT layer ([`BOUNDARIES_LAYER`]), each
/// clipped to the tile plus its buffer (holes kept), with properties `set`, `code` and
/// `name`; feature ids 1, 2, 3… in the order given.
///
/// # Errors
/// [`TileError::Encode`] when the encoder refuses a geometry.
pub fn encode_boundaries<'a>(
    tile: TileCoord,
    features: impl IntoIterator<Item = BoundaryFeature<'a>>,
) -> Result<Vec<u8>, TileError> {
    let window = buffered_window(tile);
    let encoded = features.into_iter().filter_map(|f| {
        let clipped = clip_to_window(f.polygons, f.polygons.bounding_rect()?, window)?;
        let rings = tile_rings(&clipped, tile);
        let properties = vec![
            ("set".to_owned(), PropertyValue::String(f.set.to_owned())),
            ("code".to_owned(), PropertyValue::String(f.code.to_owned())),
            ("name".to_owned(), PropertyValue::String(f.name.to_owned())),
        ];
        Some((rings, properties))
    });
    encode_layer(tile, BOUNDARIES_LAYER, encoded)
}

/// TileJSON 3.0.0 for the `boundaries` layer: `tile_url` is the absolute URL template
/// (`…/tiles/boundaries/{z}/{x}/{y}?set=…`), `sets` the set names available (listed in
/// the description of the `set` field).
#[must_use]
pub fn boundaries_tilejson(
    tile_url: String,
    sets: &[&str],
    bounds: Option<Bounds>,
    attribution: &str,
) -> TileJSON {
    let fields = BTreeMap::from([
        (
            "set".to_owned(),
            format!("String: the boundary set, one of {}; ?set= selects one", sets.join(", ")),
        ),
        ("code".to_owned(), "String: the area's code (ONS code for wards and LSOAs)".to_owned()),
        ("name".to_owned(), "String: the area's name".to_owned()),
    ]);
    let mut layer = VectorLayer::new(BOUNDARIES_LAYER.to_owned(), fields);
    layer.description = Some("Outlines of the areas an area= filter can select".to_owned());
    vector_tilejson(
        BOUNDARIES_LAYER,
        "hexwatch area outlines: wards, LSOAs and custom areas",
        layer,
        tile_url,
        bounds,
        attribution,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{LineString, Polygon};

    #[test]
    fn areas_encode_with_set_code_name_and_holes() {
        let square = |x0: f64, y0: f64, d: f64| {
            LineString::from(vec![(x0, y0), (x0 + d, y0), (x0 + d, y0 + d), (x0, y0 + d), (x0, y0)])
        };
        let (w, s) = (-1.90, 50.70);
        let ring =
            MultiPolygon(vec![Polygon::new(square(w, s, 0.04), vec![square(w + 0.01, s + 0.01, 0.02)])]);
        let far = MultiPolygon(vec![Polygon::new(square(0.0, 0.0, 0.01), vec![])]);
        let tile =
            TileCoord::covering(&Bounds { west: -1.88, east: -1.88, south: 50.72, north: 50.72 }, 11)[0];
        let features = [
            BoundaryFeature { set: "lsoa", code: "E01034271", name: "BCP 001", polygons: &ring },
            BoundaryFeature { set: "lsoa", code: "E01000000", name: "far away", polygons: &far },
        ];
        let reader = mvt_reader::Reader::new(encode_boundaries(tile, features).unwrap()).unwrap();
        assert_eq!(reader.get_layer_names().unwrap(), [BOUNDARIES_LAYER]);
        let decoded = reader.get_features(0).unwrap();
        assert_eq!(decoded.len(), 1, "the far area is not in the tile");
        let props = decoded[0].properties.as_ref().unwrap();
        let text = |k: &str| match props.get(k) {
            Some(mvt_reader::feature::Value::String(s)) => s.clone(),
            other => panic!("{k}: {other:?}"),
        };
        assert_eq!(
            (text("set"), text("code"), text("name")),
            ("lsoa".into(), "E01034271".into(), "BCP 001".into())
        );
        let holes = match &decoded[0].geometry {
            geo::Geometry::Polygon(p) => p.interiors().len(),
            geo::Geometry::MultiPolygon(mp) => mp.0.iter().map(|p| p.interiors().len()).sum(),
            other => panic!("unexpected geometry {other:?}"),
        };
        assert_eq!(holes, 1);
    }
}
