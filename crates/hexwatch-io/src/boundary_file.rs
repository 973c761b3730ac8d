//! GeoJSON boundary files: the FeatureCollection, its coordinate reference system (the
//! pre-RFC 7946 `crs` member: WGS84 or British National Grid), and each feature's
//! (Multi)Polygon in both systems.

use std::path::{Path, PathBuf};

use geo::{CoordsIter, MapCoords, MultiPolygon};

use crate::bng::{BngProjector, ProjectionError};

/// The coordinate reference system of a boundary file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceCrs {
    /// WGS84 longitude/latitude in degrees: RFC 7946 GeoJSON (no `crs` member), or a `crs`
    /// naming CRS84 or EPSG:4326 (read as longitude, latitude, as GeoJSON writers do).
    Wgs84,
    /// British National Grid (EPSG:27700) eastings and northings in metres.
    BritishNationalGrid,
}

impl SourceCrs {
    /// Reads a `crs` member (`{"type": "name", "properties": {"name": …}}`); `None` for no
    /// member.
    ///
    /// # Errors
    /// The name found (or the member as text) when it is not one of the accepted spellings:
    /// `urn:ogc:def:crs:EPSG::27700`, `EPSG:27700` (any case, with or without an EPSG
    /// version) for British National Grid; `urn:ogc:def:crs:OGC:1.3:CRS84`,
    /// `urn:ogc:def:crs:OGC::CRS84`, `CRS84`, `urn:ogc:def:crs:EPSG::4326` and `EPSG:4326`
    /// for WGS84.
    pub fn from_crs_member(member: Option<&serde_json::Value>) -> Result<Self, String> {
        let Some(member) = member.filter(|m| !m.is_null()) else { return Ok(Self::Wgs84) };
        let name = member
            .get("properties")
            .and_then(|p| p.get("name"))
            .and_then(serde_json::Value::as_str)
            .ok_or_else(|| member.to_string())?;
        let lower = name.trim().to_ascii_lowercase();
        // urn:ogc:def:crs:EPSG:<version>:<code>, with the version usually empty.
        let urn_code = |authority: &str| {
            lower
                .strip_prefix("urn:ogc:def:crs:")
                .and_then(|rest| rest.strip_prefix(authority))
                .and_then(|rest| rest.strip_prefix(':'))
                .and_then(|rest| rest.rsplit_once(':'))
                .map(|(_version, code)| code.to_owned())
        };
        let code = urn_code("epsg")
            .map(|c| format!("epsg:{c}"))
            .or_else(|| urn_code("ogc").map(|c| format!("ogc:{c}")))
            .unwrap_or(lower);
        match code.as_str() {
            "epsg:27700" => Ok(Self::BritishNationalGrid),
            "epsg:4326" | "ogc:crs84" | "crs84" => Ok(Self::Wgs84),
            _ => Err(name.to_owned()),
        }
    }

    /// How reports name it.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Wgs84 => "WGS84 (EPSG:4326)",
            Self::BritishNationalGrid => "British National Grid (EPSG:27700)",
        }
    }
}

/// Why a boundary file could not be read as a whole.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BoundaryFileError {
    /// The file could not be read.
    #[error("reading boundaries {}: {cause}", path.display())]
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
    /// A `crs` member naming a system hexwatch does not read.
    #[error(
        "{}: unsupported crs {crs:?}: hexwatch reads WGS84 (no crs member, CRS84 or EPSG:4326) and British National \
         Grid (urn:ogc:def:crs:EPSG::27700 or EPSG:27700); reproject the file first, e.g. \
         `ogr2ogr -t_srs EPSG:4326 out.geojson in.geojson`",
        path.display()
    )]
    UnsupportedCrs {
        /// The file.
        path: PathBuf,
        /// The crs name (or the member as JSON text) found.
        crs: String,
    },
    /// A feature the strict reader cannot take (wards and LSOAs are all-or-nothing).
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

/// A boundary file read as a FeatureCollection with its coordinate reference system.
#[derive(Debug)]
pub(crate) struct BoundaryCollection {
    pub(crate) crs: SourceCrs,
    /// The `crs` member's name as found (`None` without a member).
    pub(crate) crs_name: Option<String>,
    pub(crate) features: Vec<geojson::Feature>,
}

impl BoundaryCollection {
    /// Reads `path` as a FeatureCollection and its `crs` member.
    pub(crate) fn read(path: &Path) -> Result<Self, BoundaryFileError> {
        let text = std::fs::read_to_string(path)
            .map_err(|cause| BoundaryFileError::Io { path: path.into(), cause })?;
        let fc: geojson::FeatureCollection = text.parse().map_err(|e: geojson::Error| {
            BoundaryFileError::NotFeatureCollection { path: path.into(), reason: e.to_string() }
        })?;
        let member = fc.foreign_members.as_ref().and_then(|m| m.get("crs"));
        let crs = SourceCrs::from_crs_member(member)
            .map_err(|crs| BoundaryFileError::UnsupportedCrs { path: path.into(), crs })?;
        let crs_name = member
            .and_then(|m| m.get("properties"))
            .and_then(|p| p.get("name"))
            .and_then(serde_json::Value::as_str)
            .map(str::to_owned);
        Ok(Self { crs, crs_name, features: fc.features })
    }
}

/// A feature's geometry as a MultiPolygon in the file's own coordinates.
///
/// # Errors
/// The reason, for no geometry, a geometry that is not a (Multi)Polygon, an empty one,
/// non-finite coordinates, or (in a WGS84 file) coordinates that are not degrees.
pub(crate) fn source_polygons(
    feature: &geojson::Feature,
    crs: SourceCrs,
) -> Result<MultiPolygon<f64>, String> {
    let geometry = feature.geometry.as_ref().ok_or_else(|| "no geometry (null)".to_owned())?;
    let polygons = match geo::Geometry::<f64>::try_from(&geometry.value) {
        Ok(geo::Geometry::Polygon(p)) => MultiPolygon::new(vec![p]),
        Ok(geo::Geometry::MultiPolygon(mp)) => mp,
        Ok(other) => return Err(format!("geometry is a {}, not a Polygon or MultiPolygon", kind(&other))),
        Err(e) => return Err(format!("geometry: {e}")),
    };
    if polygons.0.iter().all(|p| p.exterior().0.is_empty()) {
        return Err("empty geometry (no coordinates)".to_owned());
    }
    if let Some(c) = polygons.coords_iter().find(|c| !(c.x.is_finite() && c.y.is_finite())) {
        return Err(format!("non-finite coordinate ({}, {})", c.x, c.y));
    }
    if crs == SourceCrs::Wgs84
        && let Some(c) = polygons
            .coords_iter()
            .find(|c| !((-180.0..=180.0).contains(&c.x) && (-90.0..=90.0).contains(&c.y)))
    {
        return Err(format!(
            "coordinate ({}, {}) is not longitude/latitude in degrees: a file in British National Grid metres \
             needs a crs member naming urn:ogc:def:crs:EPSG::27700",
            c.x, c.y
        ));
    }
    Ok(polygons)
}

/// The GeoJSON type name of a geometry, for messages.
fn kind(g: &geo::Geometry<f64>) -> &'static str {
    match g {
        geo::Geometry::Point(_) => "Point",
        geo::Geometry::Line(_) | geo::Geometry::LineString(_) => "LineString",
        geo::Geometry::MultiPoint(_) => "MultiPoint",
        geo::Geometry::MultiLineString(_) => "MultiLineString",
        geo::Geometry::GeometryCollection(_) => "GeometryCollection",
        geo::Geometry::Polygon(_) | geo::Geometry::Rect(_) | geo::Geometry::Triangle(_) => "Polygon",
        geo::Geometry::MultiPolygon(_) => "MultiPolygon",
    }
}

/// The polygons in (WGS84 degrees, British National Grid metres): projected from the
/// file's system to the other, the file's own coordinates kept as given.
///
/// # Errors
/// [`ProjectionError`] for a vertex proj4rs cannot transform.
pub(crate) fn both_systems(
    polygons: MultiPolygon<f64>,
    crs: SourceCrs,
    projector: &BngProjector,
) -> Result<(MultiPolygon<f64>, MultiPolygon<f64>), ProjectionError> {
    match crs {
        SourceCrs::Wgs84 => {
            let bng = polygons.try_map_coords(|c| {
                projector.to_bng(c.x, c.y).map(|p| geo::coord! { x: p.easting_m, y: p.northing_m })
            })?;
            Ok((polygons, bng))
        }
        SourceCrs::BritishNationalGrid => {
            let wgs84 = polygons.try_map_coords(|c| {
                projector
                    .to_wgs84(hexwatch_core::BngPoint { easting_m: c.x, northing_m: c.y })
                    .map(|(lon, lat)| geo::coord! { x: lon, y: lat })
            })?;
            Ok((wgs84, polygons))
        }
    }
}

/// A property as text: strings as they are, numbers and booleans printed; `None` for a
/// missing, null or structured value.
pub(crate) fn property_text(feature: &geojson::Feature, key: &str) -> Option<String> {
    match feature.property(key)? {
        serde_json::Value::String(s) => Some(s.trim().to_owned()).filter(|s| !s.is_empty()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        serde_json::Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn crs(name: &str) -> serde_json::Value {
        json!({ "type": "name", "properties": { "name": name } })
    }

    #[test]
    fn reads_the_accepted_crs_spellings() {
        for name in
            ["urn:ogc:def:crs:EPSG::27700", "EPSG:27700", "epsg:27700", "urn:ogc:def:crs:EPSG:8.9:27700"]
        {
            assert_eq!(
                SourceCrs::from_crs_member(Some(&crs(name))),
                Ok(SourceCrs::BritishNationalGrid),
                "{name}"
            );
        }
        for name in [
            "urn:ogc:def:crs:OGC:1.3:CRS84",
            "urn:ogc:def:crs:OGC::CRS84",
            "CRS84",
            "EPSG:4326",
            "urn:ogc:def:crs:EPSG::4326",
        ] {
            assert_eq!(SourceCrs::from_crs_member(Some(&crs(name))), Ok(SourceCrs::Wgs84), "{name}");
        }
        assert_eq!(SourceCrs::from_crs_member(None), Ok(SourceCrs::Wgs84));
        assert_eq!(
            SourceCrs::from_crs_member(Some(&crs("urn:ogc:def:crs:EPSG::3857"))),
            Err("urn:ogc:def:crs:EPSG::3857".to_owned())
        );
        assert!(SourceCrs::from_crs_member(Some(&json!({ "type": "link" }))).is_err());
    }
}
