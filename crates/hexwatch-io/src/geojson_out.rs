//! GeoJSON writers.

use h3o::CellIndex;
use hexwatch_core::{CellCounts, IncidentTable, density_per_km2_month};
use serde_json::{Map, Value, json};

/// Ranked cells as an RFC 7946 FeatureCollection of hexagons (WGS84, exterior rings
/// counter-clockwise).
///
/// Each feature's properties: `rank` (1 = highest count), `h3` (index as a string), `res`,
/// `count`, `area_km2` (exact cell area), `density_per_km2_month` (count ÷ area ÷
/// `months`), and `counts` (category slug → count, non-zero only). `cells` should come
/// ranked, e.g. from `CellAggregate::ranked`.
#[must_use]
pub fn hotspots_geojson<'a>(
    table: &IncidentTable,
    cells: impl IntoIterator<Item = (CellIndex, &'a CellCounts)>,
    months: u32,
) -> geojson::FeatureCollection {
    let features = cells
        .into_iter()
        .enumerate()
        .map(|(i, (cell, counts))| {
            let area_km2 = cell.area_km2();
            let mut by_category = Map::new();
            for (c, n) in table.categories().iter().zip(counts.by_category()) {
                if *n > 0 {
                    by_category.insert(c.slug.clone(), json!(n));
                }
            }
            let polygon = geo::MultiPolygon::from(cell);
            let mut f =
                geojson::Feature::from(geojson::Geometry::from(geojson::GeometryValue::from(&polygon)));
            f.set_property("rank", i + 1);
            f.set_property("h3", cell.to_string());
            f.set_property("res", u8::from(cell.resolution()));
            f.set_property("count", counts.total());
            f.set_property("area_km2", area_km2);
            f.set_property("density_per_km2_month", density_per_km2_month(counts.total(), area_km2, months));
            f.set_property("counts", Value::Object(by_category));
            f
        })
        .collect();
    // Built directly: collecting into a FeatureCollection writes `"bbox": []` when empty,
    // which RFC 7946 does not allow.
    geojson::FeatureCollection { bbox: None, features, foreign_members: None }
}
