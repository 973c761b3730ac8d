//! H3 cells to Mapbox Vector Tile polygons (MVT spec 2.1).
//!
//! The `mvt` crate writes the protobuf and the command stream but neither clips, orients
//! nor validates, so this module does: project to tile coordinates → clip to the tile
//! plus [`BUFFER`] → round to integers → drop repeated points and degenerate rings →
//! wind each exterior ring to positive surveyor's-formula area in y-down tile coordinates
//! (spec §4.3.4.4) → encode.

use geo::{BooleanOps, Coord, LineString, Polygon, Rect};
use h3o::CellIndex;
use mvt::{GeomEncoder, GeomType, Tile};

use crate::tile::TileCoord;

/// Tile extent in tile units (the spec's default).
pub const EXTENT: u32 = 4096;

/// How far geometry may extend past each tile edge, in tile units (1/64 of the tile),
/// so outlines do not seam at tile edges.
pub const BUFFER: f64 = 64.0;

/// A property value of a feature.
#[derive(Debug, Clone, PartialEq)]
pub enum PropertyValue {
    /// A string (`h3`).
    String(String),
    /// An unsigned integer (counts).
    Uint(u64),
    /// A signed integer (Gi* bins −3…+3).
    Int(i64),
    /// A double (densities, areas).
    Double(f64),
}

/// One cell and its properties.
#[derive(Debug, Clone)]
pub struct CellFeature {
    /// The H3 cell; its boundary is the feature's polygon.
    pub cell: CellIndex,
    /// Properties in the order written.
    pub properties: Vec<(String, PropertyValue)>,
}

/// Why a tile could not be encoded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TileError {
    /// The MVT encoder refused the data.
    #[error("encoding tile {tile}: {source}")]
    Encode {
        /// The tile.
        tile: TileCoord,
        /// What `mvt` said.
        source: mvt::Error,
    },
}

/// Encodes one layer named `layer` of cell polygons for `tile`.
///
/// Cells wholly outside the buffered tile are skipped; feature ids are 1, 2, 3… in the
/// order given (small integers: a 64-bit H3 index as a feature id loses precision in
/// JavaScript, so the index travels in the `h3` string property instead).
///
/// # Errors
/// [`TileError::Encode`] when the encoder refuses a geometry or the layer.
///
/// # References
/// Mapbox Vector Tile Specification 2.1, §4.3 (geometry encoding, winding).
pub fn encode_cells(
    tile: TileCoord,
    layer: &str,
    features: impl IntoIterator<Item = CellFeature>,
) -> Result<Vec<u8>, TileError> {
    encode_layer(tile, layer, features.into_iter().map(|f| (cell_rings(f.cell, tile), f.properties)))
}

/// Encodes one layer of features given as rings already in integer tile coordinates
/// (each polygon's exterior, positive area, then its interiors, negative area); features
/// with no rings are skipped and the rest get ids 1, 2, 3….
pub(crate) fn encode_layer(
    tile: TileCoord,
    layer: &str,
    features: impl Iterator<Item = (Vec<Vec<(i32, i32)>>, Vec<(String, PropertyValue)>)>,
) -> Result<Vec<u8>, TileError> {
    let err = |source| TileError::Encode { tile, source };
    let mut mvt_tile = Tile::new(EXTENT);
    let mut mvt_layer = mvt_tile.create_layer(layer);
    let mut id = 0_u64;
    for (rings, properties) in features {
        if rings.is_empty() {
            continue;
        }
        let mut encoder = GeomEncoder::new(GeomType::Polygon);
        for ring in &rings {
            for &(x, y) in ring {
                encoder.add_point(x, y).map_err(err)?;
            }
            encoder.complete_geom().map_err(err)?;
        }
        let geometry = encoder.encode().map_err(err)?;
        id += 1;
        let mut f = mvt_layer.into_feature(geometry);
        f.set_id(id);
        for (key, value) in &properties {
            match value {
                PropertyValue::String(s) => f.add_tag_string(key, s),
                PropertyValue::Uint(n) => f.add_tag_uint(key, *n),
                PropertyValue::Int(n) => f.add_tag_sint(key, *n),
                PropertyValue::Double(d) => f.add_tag_double(key, *d),
            }
        }
        mvt_layer = f.into_layer();
    }
    mvt_tile.add_layer(mvt_layer).map_err(err)?;
    mvt_tile.to_bytes().map_err(err)
}

/// The cell as exterior rings in integer tile coordinates, clipped and oriented; empty
/// when the cell lies outside the buffered tile or collapses when rounded.
fn cell_rings(cell: CellIndex, tile: TileCoord) -> Vec<Vec<(i32, i32)>> {
    let extent = f64::from(EXTENT);
    let points: Vec<Coord> = cell
        .boundary()
        .iter()
        .map(|ll| {
            let (x, y) = tile.project(ll.lng(), ll.lat(), extent);
            Coord { x, y }
        })
        .collect();
    let (lo, hi) = (-BUFFER, extent + BUFFER);
    let min_x = points.iter().map(|c| c.x).fold(f64::INFINITY, f64::min);
    let max_x = points.iter().map(|c| c.x).fold(f64::NEG_INFINITY, f64::max);
    let min_y = points.iter().map(|c| c.y).fold(f64::INFINITY, f64::min);
    let max_y = points.iter().map(|c| c.y).fold(f64::NEG_INFINITY, f64::max);
    if max_x < lo || min_x > hi || max_y < lo || min_y > hi {
        return Vec::new();
    }
    let polygons: Vec<Vec<Coord>> = if min_x >= lo && max_x <= hi && min_y >= lo && max_y <= hi {
        vec![points]
    } else {
        let hexagon = Polygon::new(LineString::new(points), Vec::new());
        let window = Rect::new(Coord { x: lo, y: lo }, Coord { x: hi, y: hi }).to_polygon();
        hexagon.intersection(&window).into_iter().map(|p| p.exterior().0.clone()).collect()
    };
    polygons.into_iter().filter_map(|coords| rounded_ring(&coords)).collect()
}

/// Rounds a ring to integers, drops repeated points (and the closing point), and orients
/// it as an exterior ring; `None` when fewer than three distinct points or no area remain.
pub(crate) fn rounded_ring(coords: &[Coord]) -> Option<Vec<(i32, i32)>> {
    let mut ring: Vec<(i32, i32)> = Vec::with_capacity(coords.len());
    for c in coords {
        // Tile coordinates are bounded by the buffer, far inside i32.
        #[expect(clippy::cast_possible_truncation, reason = "values lie within -64..=4160")]
        let p = (c.x.round() as i32, c.y.round() as i32);
        if ring.last() != Some(&p) {
            ring.push(p);
        }
    }
    while ring.len() > 1 && ring.first() == ring.last() {
        ring.pop();
    }
    orient_exterior(&mut ring).then_some(ring)
}

/// Winds an open ring (no repeated closing point) so that its surveyor's-formula area in
/// tile coordinates is positive, as MVT 2.1 §4.3.4.4 defines an exterior ring (clockwise
/// on screen, y down). Returns `false`, leaving the ring as it was, when it has fewer than
/// three points or zero area.
pub fn orient_exterior(ring: &mut [(i32, i32)]) -> bool {
    if ring.len() < 3 {
        return false;
    }
    let twice_area: i64 = ring
        .iter()
        .zip(ring.iter().cycle().skip(1))
        .map(|(&(x0, y0), &(x1, y1))| i64::from(x0) * i64::from(y1) - i64::from(x1) * i64::from(y0))
        .sum();
    if twice_area < 0 {
        ring.reverse();
    }
    twice_area != 0
}

#[cfg(test)]
mod tests {
    use super::*;

    /// MVT 2.1 §4.3.5.3 "Example Polygon": MoveTo(3,6) LineTo(8,12) LineTo(20,34) ClosePath
    /// encodes as [9, 6, 12, 18, 10, 12, 24, 44, 15]. Given the ring wound the other way,
    /// orientation must restore the spec's order, and the encoder emit the spec's integers.
    #[test]
    fn spec_example_polygon_bytes() {
        let mut ring = vec![(3, 6), (20, 34), (8, 12)];
        assert!(orient_exterior(&mut ring));
        ring.rotate_left(2); // start at (3, 6) as the spec does
        assert_eq!(ring, [(3, 6), (8, 12), (20, 34)]);
        let mut encoder = GeomEncoder::new(GeomType::Polygon);
        for &(x, y) in &ring {
            encoder.add_point(x, y).unwrap();
        }
        let geometry = encoder.encode().unwrap();
        let tile_bytes = {
            let mut t = Tile::new(EXTENT);
            let layer = t.create_layer("spec").into_feature(geometry).into_layer();
            t.add_layer(layer).unwrap();
            t.to_bytes().unwrap()
        };
        let spec: [u8; 9] = [9, 6, 12, 18, 10, 12, 24, 44, 15];
        assert!(tile_bytes.windows(spec.len()).any(|w| w == spec), "{tile_bytes:?}");
    }

    #[test]
    fn degenerate_rings_are_dropped() {
        assert!(!orient_exterior(&mut [(0, 0), (5, 5)]));
        assert!(!orient_exterior(&mut [(0, 0), (5, 5), (10, 10)]));
        assert!(
            rounded_ring(&[Coord { x: 0.1, y: 0.1 }, Coord { x: 0.2, y: 0.3 }, Coord { x: 0.4, y: 0.1 }])
                .is_none()
        );
    }

    #[test]
    fn hexagon_on_a_tile_edge_is_clipped_to_the_buffer() {
        // A resolution-9 cell in Bournemouth, on a zoom-16 tile it overlaps only in part.
        let cell: CellIndex = "891959710bbffff".parse().unwrap();
        let centre = h3o::LatLng::from(cell);
        let t = crate::TileCoord::covering(
            &hexwatch_core::Bounds {
                west: centre.lng(),
                east: centre.lng(),
                south: centre.lat(),
                north: centre.lat(),
            },
            16,
        )[0];
        let mut rings_seen = 0;
        for neighbour in
            [t, TileCoord { x: t.x + 1, ..t }, TileCoord { y: t.y + 1, ..t }, TileCoord { x: t.x - 1, ..t }]
        {
            for ring in cell_rings(cell, neighbour) {
                rings_seen += 1;
                assert!(ring.iter().all(|&(x, y)| (-64..=4160).contains(&x) && (-64..=4160).contains(&y)));
                let mut check = ring.clone();
                assert!(orient_exterior(&mut check));
                assert_eq!(check, ring, "already wound as an exterior ring");
            }
        }
        assert!(rings_seen >= 2, "the cell spans more than one zoom-16 tile");
        assert_eq!(cell_rings(cell, t).len(), 1, "the tile holding the centre has the cell");
    }
}
