//! Density isobands: the density surface as filled polygons between the legend's class
//! breaks, for the `density-contours` vector tile layer.
//!
//! Bands come from marching squares (the `contour` crate, linear interpolation between
//! cell centres) on the density grid in British National Grid metres, projected to WGS84
//! once per surface; each tile then clips them to its buffered extent.

use geo::{BoundingRect, Coord, LineString, MultiPolygon, Polygon, Rect};
use hexwatch_core::kde::DensityGrid;

use crate::mvt_cells::{PropertyValue, TileError, encode_layer};
use crate::mvt_polygons::{buffered_window, clip_to_window, tile_rings};
use crate::tile::TileCoord;

/// The layer name inside `density-contours` tiles.
pub const CONTOUR_LAYER: &str = "density_contours";

/// One isoband: where `lower ≤ density < upper` (incidents per km² per month), as WGS84
/// polygons (x = longitude, y = latitude).
#[derive(Debug, Clone)]
pub struct DensityBand {
    /// Legend class, 1 for the band from the first break upwards (class 0, below the first
    /// break, is not drawn).
    pub class: usize,
    /// Lower bound, incidents per km² per month (inclusive).
    pub lower_per_km2_month: f64,
    /// Upper bound (exclusive); `None` for the top band.
    pub upper_per_km2_month: Option<f64>,
    /// The band's area, WGS84 degrees.
    pub polygons: MultiPolygon<f64>,
    /// Bounding box of `polygons`, degrees; `None` when empty.
    pub bbox: Option<Rect<f64>>,
}

/// Why isobands could not be computed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ContourError {
    /// The `contour` crate refused the grid.
    #[error("computing density isobands: {0}")]
    Contour(#[from] contour::Error),
}

/// The isobands of `grid` between consecutive `breaks` (ascending; the last band is open
/// above), with vertices projected by `to_wgs84(easting_m, northing_m)`. NoData cells
/// count as below every break, so bands stop at the study-area mask. Vertices that fail to
/// project are dropped.
///
/// # Errors
/// [`ContourError`] when marching squares refuses the grid (fewer than 2×2 cells).
pub fn density_bands(
    grid: &DensityGrid,
    breaks: &[f64],
    to_wgs84: &dyn Fn(f64, f64) -> Option<(f64, f64)>,
) -> Result<Vec<DensityBand>, ContourError> {
    let spec = grid.spec;
    let floor = breaks.first().copied().unwrap_or(0.0).min(0.0) - 1.0;
    let values: Vec<f64> = grid.values.iter().map(|v| if v.is_nan() { floor } else { *v }).collect();
    let mut thresholds = breaks.to_vec();
    thresholds.push(f64::INFINITY);
    let bands = contour::ContourBuilder::new(spec.ncols, spec.nrows, true)
        .x_origin(spec.xmin_m)
        .y_origin(spec.ymax_m)
        .x_step(spec.cell_size_m)
        .y_step(-spec.cell_size_m)
        .isobands(&values, &thresholds)?;
    let project_ring = |ring: &LineString<f64>| -> LineString<f64> {
        ring.0.iter().filter_map(|c| to_wgs84(c.x, c.y).map(|(x, y)| Coord { x, y })).collect()
    };
    Ok(bands
        .into_iter()
        .enumerate()
        .map(|(i, band)| {
            let (polygons, lower, upper) = band.into_inner();
            let polygons: MultiPolygon<f64> = polygons
                .into_iter()
                .map(|p| {
                    Polygon::new(project_ring(p.exterior()), p.interiors().iter().map(project_ring).collect())
                })
                .collect();
            let bbox = polygons.bounding_rect();
            DensityBand {
                class: i + 1,
                lower_per_km2_month: lower,
                upper_per_km2_month: upper.is_finite().then_some(upper),
                polygons,
                bbox,
            }
        })
        .filter(|b| !b.polygons.0.is_empty())
        .collect())
}

/// Encodes the bands that reach `tile` as one MVT layer ([`CONTOUR_LAYER`]), clipped to
/// the tile plus [`crate::BUFFER`], with properties `class`, `lower_per_km2_month`,
/// `upper_per_km2_month` (absent for the top band) and `label` (e.g. `"10–30"`, `"≥ 300"`).
///
/// # Errors
/// [`TileError::Encode`] when the encoder refuses a geometry.
///
/// # References
/// Mapbox Vector Tile Specification 2.1, §4.3.4.4: an exterior ring (positive area in
/// tile coordinates) followed by its interior rings (negative area).
pub fn encode_density_bands(tile: TileCoord, bands: &[DensityBand]) -> Result<Vec<u8>, TileError> {
    let window = buffered_window(tile);
    let features = bands.iter().filter_map(|band| {
        let clipped = clip_to_window(&band.polygons, band.bbox?, window)?;
        let rings = tile_rings(&clipped, tile);
        let mut properties = vec![
            ("class".to_owned(), PropertyValue::Uint(band.class as u64)),
            ("lower_per_km2_month".to_owned(), PropertyValue::Double(band.lower_per_km2_month)),
        ];
        let label = match band.upper_per_km2_month {
            Some(upper) => {
                properties.push(("upper_per_km2_month".to_owned(), PropertyValue::Double(upper)));
                format!("{}–{}", band.lower_per_km2_month, upper)
            }
            None => format!("≥ {}", band.lower_per_km2_month),
        };
        properties.push(("label".to_owned(), PropertyValue::String(label)));
        Some((rings, properties))
    });
    encode_layer(tile, CONTOUR_LAYER, features)
}

#[cfg(test)]
mod tests {
    use super::*;
    use hexwatch_core::kde::{GridSpec, Kernel, WeightedPoint, kde_exact};

    /// One incident: the bands are nested discs around it, each band's inner radius where
    /// the quartic kernel crosses the break (d = h·√(1 − √(v/peak))), and the encoded
    /// tile decodes with mvt-reader.
    #[test]
    fn single_incident_bands_are_rings_at_the_kernel_radii() {
        let h = 300.0;
        let spec = GridSpec { xmin_m: 0.0, ymax_m: 1000.0, cell_size_m: 5.0, ncols: 200, nrows: 200 };
        let points = [WeightedPoint { easting_m: 500.0, northing_m: 500.0, weight: 1.0 }];
        let grid = kde_exact(&points, &spec, Kernel::Quartic, h, 1, &|_, _| true);
        let peak = 3.0 / (std::f64::consts::PI * h * h) * 1e6; // 10.61 per km²
        let breaks = [1.0, 3.0, 10.0];
        let bands = density_bands(&grid, &breaks, &|x, y| Some((x, y))).unwrap();
        assert_eq!(bands.len(), 3);
        for (band, lower) in bands.iter().zip(breaks) {
            let bbox = band.bbox.unwrap();
            let outer = h * (1.0 - (lower / peak).sqrt()).sqrt();
            // The band's outer edge is the disc where density ≥ lower.
            assert!(((bbox.max().x - bbox.min().x) / 2.0 - outer).abs() < 3.0, "{band:?}");
            assert!(((bbox.max().x + bbox.min().x) / 2.0 - 500.0).abs() < 1.0);
        }
        assert_eq!(bands[2].upper_per_km2_month, None);
        assert_eq!(bands[0].upper_per_km2_month, Some(3.0));
        // The middle band is an annulus: one exterior and one hole.
        assert_eq!(bands[1].polygons.0.len(), 1);
        assert_eq!(bands[1].polygons.0[0].interiors().len(), 1);
    }

    #[test]
    fn bands_encode_with_holes_and_labels() {
        // A band in degrees over Bournemouth: a square with a square hole.
        let (w, s) = (-1.90, 50.70);
        let square = |x0: f64, y0: f64, d: f64| {
            LineString::from(vec![(x0, y0), (x0 + d, y0), (x0 + d, y0 + d), (x0, y0 + d), (x0, y0)])
        };
        let polygon = Polygon::new(square(w, s, 0.04), vec![square(w + 0.01, s + 0.01, 0.02)]);
        let polygons = MultiPolygon(vec![polygon]);
        let bbox = polygons.bounding_rect();
        let band = DensityBand {
            class: 4,
            lower_per_km2_month: 10.0,
            upper_per_km2_month: Some(30.0),
            polygons,
            bbox,
        };
        let tile = TileCoord::covering(
            &hexwatch_core::Bounds { west: -1.88, east: -1.88, south: 50.72, north: 50.72 },
            11,
        )[0];
        let bytes = encode_density_bands(tile, &[band]).unwrap();
        let reader = mvt_reader::Reader::new(bytes).unwrap();
        let features = reader.get_features(0).unwrap();
        assert_eq!(features.len(), 1);
        let props = features[0].properties.as_ref().unwrap();
        assert_eq!(props.get("label"), Some(&mvt_reader::feature::Value::String("10–30".to_owned())));
        match &features[0].geometry {
            geo::Geometry::MultiPolygon(mp) => {
                assert_eq!(mp.0.len(), 1);
                assert_eq!(mp.0[0].interiors().len(), 1, "the hole survives");
            }
            geo::Geometry::Polygon(p) => assert_eq!(p.interiors().len(), 1, "the hole survives"),
            other => panic!("unexpected geometry {other:?}"),
        }
        let far = TileCoord { x: tile.x + 5, ..tile };
        let empty = mvt_reader::Reader::new(encode_density_bands(far, &[]).unwrap()).unwrap();
        assert!(empty.get_features(0).unwrap().is_empty());
    }
}
