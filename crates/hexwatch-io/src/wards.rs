//! Ward boundaries from GeoJSON.

use std::path::{Path, PathBuf};

use geo::{MapCoords, MultiPolygon};
use hexwatch_core::{Ward, WardIndex};

use crate::bng::{BngProjector, ProjectionError};

/// Why a ward file could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WardSetError {
    /// The file could not be read.
    #[error("reading ward boundaries {}: {cause}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        cause: std::io::Error,
    },
    /// Not a GeoJSON FeatureCollection.
    #[error("{}: not a GeoJSON FeatureCollection: {reason}", path.display())]
    NotFeatureCollection {
        /// The file.
        path: PathBuf,
        /// What the parser said.
        reason: String,
    },
    /// A feature lacks a property or has a non-polygon geometry.
    #[error("{}: feature {index}: {reason}", path.display())]
    BadFeature {
        /// The file.
        path: PathBuf,
        /// Zero-based feature index.
        index: usize,
        /// What is wrong.
        reason: String,
    },
    /// A vertex could not be projected.
    #[error("{}: {cause}", path.display())]
    Projection {
        /// The file.
        path: PathBuf,
        /// The projection error.
        cause: ProjectionError,
    },
}

/// A set of ward boundaries: projected for membership, and as WGS84 GeoJSON for the map.
#[derive(Debug)]
pub struct WardSet {
    /// Wards in British National Grid, for [`WardIndex`].
    pub wards: Vec<Ward>,
    /// The same wards as a WGS84 FeatureCollection with properties `code` and `name`.
    pub outlines: geojson::FeatureCollection,
}

impl WardSet {
    /// Reads a WGS84 GeoJSON FeatureCollection of (Multi)Polygons whose features carry the
    /// ward code in `code_property` and the name in `name_property` (ONS: `WD20CD`, `WD20NM`).
    /// Wards are sorted by code.
    ///
    /// # Errors
    /// [`WardSetError`] naming the file and, for a bad feature, its index.
    pub fn from_geojson_file(
        path: &Path,
        code_property: &str,
        name_property: &str,
    ) -> Result<Self, WardSetError> {
        let text =
            std::fs::read_to_string(path).map_err(|cause| WardSetError::Io { path: path.into(), cause })?;
        let fc: geojson::FeatureCollection = text.parse().map_err(|e: geojson::Error| {
            WardSetError::NotFeatureCollection { path: path.into(), reason: e.to_string() }
        })?;
        let projector = BngProjector::new();
        let bad = |index, reason: String| WardSetError::BadFeature { path: path.into(), index, reason };
        let mut rows = Vec::new();
        for (index, feature) in fc.features.into_iter().enumerate() {
            let prop = |key: &str| {
                feature
                    .property(key)
                    .and_then(|v| v.as_str())
                    .map(str::to_owned)
                    .ok_or_else(|| bad(index, format!("missing string property {key:?}")))
            };
            let (code, name) = (prop(code_property)?, prop(name_property)?);
            let geometry = feature.geometry.clone().ok_or_else(|| bad(index, "no geometry".into()))?;
            let wgs84: MultiPolygon<f64> = match geo::Geometry::<f64>::try_from(&geometry.value) {
                Ok(geo::Geometry::Polygon(p)) => MultiPolygon::new(vec![p]),
                Ok(geo::Geometry::MultiPolygon(mp)) => mp,
                Ok(other) => {
                    return Err(bad(
                        index,
                        format!("geometry is not a polygon: {other:?}").chars().take(80).collect(),
                    ));
                }
                Err(e) => return Err(bad(index, e.to_string())),
            };
            let bng = wgs84.try_map_coords(|c| {
                projector.to_bng(c.x, c.y).map(|p| geo::coord! { x: p.easting_m, y: p.northing_m })
            });
            let bng = bng.map_err(|cause| WardSetError::Projection { path: path.into(), cause })?;
            rows.push((Ward { code, name, boundary_bng: bng, boundary_wgs84: wgs84.clone() }, wgs84));
        }
        rows.sort_by(|a, b| a.0.code.cmp(&b.0.code));
        let outlines = rows
            .iter()
            .map(|(w, wgs84)| {
                let mut f =
                    geojson::Feature::from(geojson::Geometry::from(geojson::GeometryValue::from(wgs84)));
                f.set_property("code", w.code.clone());
                f.set_property("name", w.name.clone());
                f
            })
            .collect();
        Ok(Self { wards: rows.into_iter().map(|(w, _)| w).collect(), outlines })
    }

    /// A point-in-polygon index over these wards with the given tolerance in metres.
    #[must_use]
    pub fn index(&self, tolerance_m: f64) -> WardIndex {
        WardIndex::new(self.wards.clone(), tolerance_m)
    }
}
