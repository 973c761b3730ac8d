//! Tiles for hexwatch: XYZ tile maths (Web Mercator), H3 cells to Mapbox Vector Tiles
//! (spec 2.1), and TileJSON 3.0.0. No HTTP or SQL.
//!
//! # Example
//! ```
//! use hexwatch_tiles::{TileCoord, resolution_for_zoom};
//! let tile = TileCoord::new_checked(13, 4053, 2752).expect("valid tile");
//! let b = tile.bounds();
//! assert!(b.west < -1.87 && b.east > -1.87 && b.south < 50.72 && b.north > 50.72);
//! assert_eq!(u8::from(resolution_for_zoom(13)), 9);
//! ```

mod boundaries;
mod clusters;
mod density_contours;
mod density_png;
mod density_tile;
mod mvt_cells;
mod mvt_polygons;
mod tile;
mod tilejson_doc;

pub use boundaries::{BOUNDARIES_LAYER, BoundaryFeature, boundaries_tilejson, encode_boundaries};
pub use clusters::{CLUSTERS_LAYER, ClusterFeature, clusters_tilejson, encode_clusters};
pub use density_contours::{CONTOUR_LAYER, ContourError, DensityBand, density_bands, encode_density_bands};
pub use density_png::{DENSITY_BREAKS, DENSITY_COLOURS, density_preview_png, density_rgba};
pub use density_tile::{DENSITY_TILE_SIZE, density_tile_png, footprint_mean, pixel_means};
pub use mvt_cells::{BUFFER, CellFeature, EXTENT, PropertyValue, TileError, encode_cells, orient_exterior};
pub use tile::{MAX_ZOOM, TileCoord, ZOOM_RESOLUTION, resolution_for_zoom};
pub use tilejson_doc::cells_tilejson;
