//! TileJSON 3.0.0 documents.

use std::collections::BTreeMap;

use hexwatch_core::{Bounds, Category};
use tilejson::{TileJSON, VectorLayer};

use crate::tile::MAX_ZOOM;

/// TileJSON 3.0.0 for the `cells` layer.
///
/// `tile_url` is the absolute URL template (`…/tiles/cells/{z}/{x}/{y}?filters`);
/// `fields` lists `h3`, `res`, `count`, `density_per_km2_month`, `area_km2`,
/// `kde_per_km2_month` and one
/// `count_<slug>` per category, with descriptions and units.
#[must_use]
pub fn cells_tilejson(
    tile_url: String,
    categories: &[Category],
    bounds: Option<Bounds>,
    attribution: &str,
) -> TileJSON {
    let mut fields = BTreeMap::from([
        ("h3".to_owned(), "String: H3 cell index (hexadecimal); also the feature's promoteId".to_owned()),
        ("res".to_owned(), "Number: H3 resolution of the cell (follows zoom unless res= pins it)".to_owned()),
        ("count".to_owned(), "Number: incidents in the cell for the selection".to_owned()),
        (
            "density_per_km2_month".to_owned(),
            "Number: incidents per km² per month (count ÷ exact cell area ÷ months selected)".to_owned(),
        ),
        ("area_km2".to_owned(), "Number: exact area of the cell in km²".to_owned()),
        (
            "kde_per_km2_month".to_owned(),
            "Number: kernel density at the cell's centre, incidents per km² per month (exact sum; present \
             when the request gives bandwidth_m=, with kernel= as the density layer, quartic by default)"
                .to_owned(),
        ),
    ]);
    for c in categories {
        fields.insert(c.property(), format!("Number: incidents of category {:?} (absent when 0)", c.name));
    }
    let mut layer = VectorLayer::new("cells".to_owned(), fields);
    layer.description = Some("Incidents aggregated into H3 cells".to_owned());
    vector_tilejson("cells", "hexwatch H3 incident counts", layer, tile_url, bounds, attribution)
}

/// TileJSON 3.0.0 for one vector layer `name` (XYZ scheme, zooms 0 to [`MAX_ZOOM`]), shared
/// by every MVT layer of the server.
pub(crate) fn vector_tilejson(
    name: &str,
    description: &str,
    layer: VectorLayer,
    tile_url: String,
    bounds: Option<Bounds>,
    attribution: &str,
) -> TileJSON {
    TileJSON {
        tilejson: "3.0.0".to_owned(),
        tiles: vec![tile_url],
        vector_layers: Some(vec![layer]),
        attribution: Some(attribution.to_owned()),
        bounds: bounds.map(|b| tilejson::Bounds::new(b.west, b.south, b.east, b.north)),
        center: None,
        data: None,
        description: Some(description.to_owned()),
        fillzoom: None,
        grids: None,
        legend: None,
        maxzoom: Some(MAX_ZOOM),
        minzoom: Some(0),
        name: Some(name.to_owned()),
        scheme: Some("xyz".to_owned()),
        template: None,
        version: Some("1.0.0".to_owned()),
        other: BTreeMap::new(),
    }
}
