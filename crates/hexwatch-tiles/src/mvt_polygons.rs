//! WGS84 polygons (with holes) to MVT rings: clip to the buffered tile, project, round and
//! orient. Shared by the `density-contours`, `boundaries` and `clusters` layers.

use std::borrow::Cow;

use geo::{BooleanOps, Coord, LineString, MultiPolygon, Rect};

use crate::mvt_cells::{BUFFER, EXTENT, rounded_ring};
use crate::tile::TileCoord;

/// The tile's bounds grown by [`BUFFER`], in degrees (x = longitude, y = latitude).
pub(crate) fn buffered_window(tile: TileCoord) -> Rect<f64> {
    let b = tile.bounds();
    let pad = BUFFER / f64::from(EXTENT);
    let (dx, dy) = ((b.east - b.west) * pad, (b.north - b.south) * pad);
    Rect::new(Coord { x: b.west - dx, y: b.south - dy }, Coord { x: b.east + dx, y: b.north + dy })
}

/// `polygons` (WGS84, bounding box `bbox`) clipped to `window`: `None` when they lie
/// wholly outside it, borrowed unchanged when wholly inside.
pub(crate) fn clip_to_window<'a>(
    polygons: &'a MultiPolygon<f64>,
    bbox: Rect<f64>,
    window: Rect<f64>,
) -> Option<Cow<'a, MultiPolygon<f64>>> {
    let (lo, hi) = (window.min(), window.max());
    if bbox.max().x < lo.x || bbox.min().x > hi.x || bbox.max().y < lo.y || bbox.min().y > hi.y {
        return None;
    }
    if bbox.min().x >= lo.x && bbox.max().x <= hi.x && bbox.min().y >= lo.y && bbox.max().y <= hi.y {
        return Some(Cow::Borrowed(polygons));
    }
    Some(Cow::Owned(polygons.intersection(&window.to_polygon())))
}

/// Polygons in degrees, already clipped to the buffered tile, to integer tile-coordinate
/// rings: each exterior wound positive, followed by its interiors wound negative;
/// collapsed rings are dropped (an interior only with its exterior).
///
/// # References
/// Mapbox Vector Tile Specification 2.1, §4.3.4.4: an exterior ring (positive area in
/// tile coordinates) followed by its interior rings (negative area).
pub(crate) fn tile_rings(polygons: &MultiPolygon<f64>, tile: TileCoord) -> Vec<Vec<(i32, i32)>> {
    let extent = f64::from(EXTENT);
    let to_tile = |ring: &LineString<f64>| -> Vec<Coord> {
        ring.0
            .iter()
            .map(|c| {
                let (x, y) = tile.project(c.x, c.y, extent);
                Coord { x, y }
            })
            .collect()
    };
    let mut rings = Vec::new();
    for polygon in polygons {
        let Some(exterior) = rounded_ring(&to_tile(polygon.exterior())) else { continue };
        rings.push(exterior);
        for interior in polygon.interiors() {
            if let Some(mut hole) = rounded_ring(&to_tile(interior)) {
                hole.reverse();
                rings.push(hole);
            }
        }
    }
    rings
}
