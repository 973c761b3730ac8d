//! XYZ tiles on the Web Mercator grid (y = 0 at the north, as MapLibre and OSM use).

use std::f64::consts::PI;
use std::fmt;

use h3o::Resolution;
use hexwatch_core::Bounds;

/// Highest zoom served.
pub const MAX_ZOOM: u8 = 22;

/// H3 resolution by zoom: `(first zoom, resolution)`, ascending. A tile at zoom `z` uses
/// the resolution of the last entry whose first zoom is ≤ `z`.
///
/// Chosen so a hexagon spans roughly 15–60 screen pixels on 512-pixel tiles at British
/// latitudes (a resolution step shrinks the edge ≈ 2.65×, a zoom step halves the pixel
/// size): zoom 13 shows resolution 9 (≈ 174 m edge, the patrol micro-place scale).
pub const ZOOM_RESOLUTION: [(u8, Resolution); 8] = [
    (0, Resolution::Five),
    (8, Resolution::Six),
    (10, Resolution::Seven),
    (11, Resolution::Eight),
    (13, Resolution::Nine),
    (14, Resolution::Ten),
    (16, Resolution::Eleven),
    (17, Resolution::Twelve),
];

/// The H3 resolution of tiles at zoom `z` (see [`ZOOM_RESOLUTION`]).
#[must_use]
pub fn resolution_for_zoom(z: u8) -> Resolution {
    ZOOM_RESOLUTION.iter().rev().find(|(first, _)| *first <= z).map_or(Resolution::Five, |(_, r)| *r)
}

/// An XYZ tile address. Construct with [`TileCoord::new_checked`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TileCoord {
    /// Zoom, 0..=[`MAX_ZOOM`].
    pub z: u8,
    /// Column, 0..2^z, west to east.
    pub x: u32,
    /// Row, 0..2^z, north to south.
    pub y: u32,
}

impl fmt::Display for TileCoord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}/{}", self.z, self.x, self.y)
    }
}

impl TileCoord {
    /// The tile, or `None` when `z` > [`MAX_ZOOM`] or `x`/`y` ≥ 2^z.
    #[must_use]
    pub fn new_checked(z: u8, x: u32, y: u32) -> Option<Self> {
        if z > MAX_ZOOM {
            return None;
        }
        let n = 1_u32 << z;
        (x < n && y < n).then_some(Self { z, x, y })
    }

    fn n(self) -> f64 {
        f64::from(1_u32 << self.z)
    }

    /// The tile's edges in WGS84 degrees.
    #[must_use]
    pub fn bounds(self) -> Bounds {
        let n = self.n();
        let lon = |x: f64| (x / n).mul_add(360.0, -180.0);
        let lat = |y: f64| (PI * (1.0 - 2.0 * y / n)).sinh().atan().to_degrees();
        Bounds {
            west: lon(f64::from(self.x)),
            east: lon(f64::from(self.x) + 1.0),
            north: lat(f64::from(self.y)),
            south: lat(f64::from(self.y) + 1.0),
        }
    }

    /// A WGS84 position in this tile's coordinates: 0..`extent` across the tile, y down.
    #[must_use]
    pub fn project(self, lon: f64, lat: f64, extent: f64) -> (f64, f64) {
        let n = self.n();
        let x = (lon + 180.0) / 360.0 * n;
        let lat_r = lat.to_radians();
        let y = (1.0 - (lat_r.tan() + 1.0 / lat_r.cos()).ln() / PI) / 2.0 * n;
        ((x - f64::from(self.x)) * extent, (y - f64::from(self.y)) * extent)
    }

    /// The tiles at zoom `z` that cover `bounds` (clamped to the Web Mercator latitude limit).
    #[must_use]
    pub fn covering(bounds: &Bounds, z: u8) -> Vec<Self> {
        let origin = Self { z, x: 0, y: 0 };
        let n = 1_u32 << z.min(MAX_ZOOM);
        let to_index = |v: f64| {
            let max = f64::from(n - 1);
            // Truncation to a tile index is the point of this cast.
            #[expect(
                clippy::cast_possible_truncation,
                clippy::cast_sign_loss,
                reason = "clamped to 0..n first"
            )]
            let i = v.floor().clamp(0.0, max) as u32;
            i
        };
        let (x0, y0) = origin.project(bounds.west, bounds.north.min(85.051_128), 1.0);
        let (x1, y1) = origin.project(bounds.east, bounds.south.max(-85.051_128), 1.0);
        let mut tiles = Vec::new();
        for x in to_index(x0)..=to_index(x1) {
            for y in to_index(y0)..=to_index(y1) {
                tiles.push(Self { z, x, y });
            }
        }
        tiles
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Reference bounds from the OSM slippy-map formulas as tabulated by maptiler
    // (https://docs.maptiler.com/google-maps-coordinates-tile-bounds-projection/):
    // tile 0/0/0 spans ±180° and ±85.0511287798066°.
    #[test]
    fn world_tile_bounds() {
        let b = TileCoord::new_checked(0, 0, 0).unwrap().bounds();
        assert!((b.west + 180.0).abs() < 1e-12 && (b.east - 180.0).abs() < 1e-12);
        assert!(
            (b.north - 85.051_128_779_806_6).abs() < 1e-12 && (b.south + 85.051_128_779_806_6).abs() < 1e-12
        );
    }

    #[test]
    fn rejects_out_of_range_tiles() {
        assert!(TileCoord::new_checked(2, 4, 0).is_none());
        assert!(TileCoord::new_checked(2, 0, 4).is_none());
        assert!(TileCoord::new_checked(MAX_ZOOM + 1, 0, 0).is_none());
        assert!(TileCoord::new_checked(2, 3, 3).is_some());
    }

    #[test]
    fn projects_tile_corners_to_0_and_extent() {
        let t = TileCoord::new_checked(13, 4053, 2764).unwrap();
        let b = t.bounds();
        let (x, y) = t.project(b.west, b.north, 4096.0);
        assert!(x.abs() < 1e-6 && y.abs() < 1e-6, "{x} {y}");
        let (x, y) = t.project(b.east, b.south, 4096.0);
        assert!((x - 4096.0).abs() < 1e-6 && (y - 4096.0).abs() < 1e-6, "{x} {y}");
    }

    #[test]
    fn covering_includes_every_corner_tile() {
        let bcp = Bounds { west: -2.04075, south: 50.68265, east: -1.68167, north: 50.80961 };
        let tiles = TileCoord::covering(&bcp, 13);
        assert!(tiles.iter().all(|t| t.bounds().intersects(&bcp)));
        for (lon, lat) in [(bcp.west, bcp.north), (bcp.east, bcp.south), (-1.86, 50.72)] {
            assert!(tiles.iter().any(|t| {
                let b = t.bounds();
                b.contains(lon, lat)
            }));
        }
    }

    #[test]
    fn zoom_table_is_ascending_and_spans_5_to_12() {
        assert_eq!(u8::from(resolution_for_zoom(0)), 5);
        assert_eq!(u8::from(resolution_for_zoom(13)), 9);
        assert_eq!(u8::from(resolution_for_zoom(22)), 12);
        assert!(ZOOM_RESOLUTION.windows(2).all(|w| w[0].0 < w[1].0 && w[0].1 < w[1].1));
    }
}
