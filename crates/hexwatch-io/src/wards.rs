//! Boundary sets from GeoJSON files (the wards, the LSOAs), read all-or-nothing.

use std::path::Path;

use hexwatch_core::{Area, AreaSet};

use crate::bng::BngProjector;
use crate::boundary_file::{
    BoundaryCollection, BoundaryFileError, both_systems, property_text, source_polygons,
};

/// Why a ward (or other boundary set) file could not be read.
pub type WardSetError = BoundaryFileError;

/// A set of boundaries read from a file: projected for membership, and as WGS84 GeoJSON
/// for the map.
#[derive(Debug)]
pub struct BoundarySet {
    /// The set's name (`ward`, `lsoa`).
    pub name: String,
    /// The areas with boundaries in British National Grid and WGS84, sorted by code.
    pub areas: Vec<Area>,
    /// The same areas as a WGS84 FeatureCollection with properties `code` and `name`.
    pub outlines: geojson::FeatureCollection,
}

/// The ward set read from a file.
pub type WardSet = BoundarySet;

impl BoundarySet {
    /// Reads the ward set (named `ward`): see [`BoundarySet::read`]. ONS ward files carry
    /// the code in `WD20CD` and the name in `WD20NM`.
    ///
    /// # Errors
    /// As [`BoundarySet::read`].
    pub fn from_geojson_file(
        path: &Path,
        code_property: &str,
        name_property: &str,
    ) -> Result<Self, BoundaryFileError> {
        Self::read(AreaSet::WARD, path, code_property, name_property)
    }

    /// Reads a GeoJSON FeatureCollection of (Multi)Polygons whose features carry the code
    /// in `code_property` and the name in `name_property`, as the set `name`. Coordinates
    /// are WGS84 unless the `crs` member names British National Grid (EPSG:27700); other
    /// systems are refused. Areas are sorted by code. Geometries are taken as published
    /// (no repair): these are the shipped reference layers.
    ///
    /// # Errors
    /// [`BoundaryFileError`] naming the file and, for a bad feature, its index.
    pub fn read(
        name: &str,
        path: &Path,
        code_property: &str,
        name_property: &str,
    ) -> Result<Self, BoundaryFileError> {
        let collection = BoundaryCollection::read(path)?;
        let projector = BngProjector::new();
        let bad = |index, reason: String| BoundaryFileError::BadFeature { path: path.into(), index, reason };
        let mut areas = Vec::new();
        for (index, feature) in collection.features.iter().enumerate() {
            let prop = |key: &str| {
                property_text(feature, key)
                    .ok_or_else(|| bad(index, format!("missing string property {key:?}")))
            };
            let (code, area_name) = (prop(code_property)?, prop(name_property)?);
            let polygons = source_polygons(feature, collection.crs).map_err(|reason| bad(index, reason))?;
            let (wgs84, bng) = both_systems(polygons, collection.crs, &projector)
                .map_err(|cause| BoundaryFileError::Projection { path: path.into(), cause })?;
            areas.push(Area { code, name: area_name, boundary_bng: bng, boundary_wgs84: wgs84 });
        }
        areas.sort_by(|a, b| a.code.cmp(&b.code));
        let outlines = outlines(&areas);
        Ok(Self { name: name.to_owned(), areas, outlines })
    }

    /// A point-in-polygon index over these areas with the given tolerance in metres.
    #[must_use]
    pub fn index(&self, tolerance_m: f64) -> AreaSet {
        AreaSet::new(self.name.clone(), self.areas.clone(), tolerance_m)
    }
}

/// The areas as a WGS84 FeatureCollection with properties `code` and `name`.
#[must_use]
pub fn outlines(areas: &[Area]) -> geojson::FeatureCollection {
    areas
        .iter()
        .map(|a| {
            let mut f = geojson::Feature::from(geojson::Geometry::from(geojson::GeometryValue::from(
                &a.boundary_wgs84,
            )));
            f.set_property("code", a.code.clone());
            f.set_property("name", a.name.clone());
            f
        })
        .collect()
}
