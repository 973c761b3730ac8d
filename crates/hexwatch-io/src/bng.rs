//! WGS84 ↔ British National Grid (EPSG:27700) with proj4rs.

use hexwatch_core::BngPoint;
use proj4rs::proj::Proj;

/// EPSG:27700 as a PROJ string: transverse Mercator on the Airy 1830 ellipsoid with the
/// EPSG 7-parameter Helmert shift to WGS84. Against OSTN15 (survey grade) this is about
/// 2 m off (1.74 m E / 0.20 m N measured in central London), which is far below an H3
/// resolution-9 cell (~174 m edge), a 200–400 m KDE bandwidth, and police.uk's own
/// location anonymisation (snapping to map points).
const EPSG_27700: &str = "+proj=tmerc +lat_0=49 +lon_0=-2 +k=0.9996012717 +x_0=400000 +y_0=-100000 \
     +ellps=airy +towgs84=446.448,-125.157,542.06,0.15,0.247,0.842,-20.489 +units=m +no_defs";
const EPSG_4326: &str = "+proj=longlat +ellps=WGS84 +datum=WGS84 +no_defs";

/// A coordinate that could not be projected.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("cannot project ({lon}, {lat}) to British National Grid: {reason}")]
pub struct ProjectionError {
    /// Longitude given, degrees (or easting, metres, for the inverse).
    pub lon: f64,
    /// Latitude given, degrees (or northing, metres, for the inverse).
    pub lat: f64,
    /// What proj4rs said.
    pub reason: String,
}

/// Projects WGS84 longitude/latitude (degrees) to British National Grid metres and back;
/// [`BngProjector::for_crs`] gives the same for a UTM zone, for partner data outside
/// Great Britain (the metres KDE and clustering work in).
#[derive(Debug)]
pub struct BngProjector {
    wgs84: Proj,
    bng: Proj,
    crs: String,
}

impl Default for BngProjector {
    fn default() -> Self {
        Self::new()
    }
}

impl BngProjector {
    /// The projector (parsing two fixed PROJ strings).
    ///
    /// # Panics
    /// Never: the strings are constants checked by the tests.
    #[must_use]
    pub fn new() -> Self {
        Self {
            wgs84: Proj::from_proj_string(EPSG_4326).expect("EPSG:4326 proj string is valid"),
            bng: Proj::from_proj_string(EPSG_27700).expect("EPSG:27700 proj string is valid"),
            crs: "EPSG:27700".to_owned(),
        }
    }

    /// A projector to `crs`: `EPSG:27700` (British National Grid) or a WGS84 UTM zone,
    /// `EPSG:326NN` (north) or `EPSG:327NN` (south), NN = 01…60.
    ///
    /// # Errors
    /// A message naming the code when it is none of these.
    pub fn for_crs(crs: &str) -> Result<Self, String> {
        let code = crs.trim().to_ascii_uppercase();
        if code == "EPSG:27700" {
            return Ok(Self::new());
        }
        let zone = code
            .strip_prefix("EPSG:326")
            .map(|z| (z, ""))
            .or_else(|| code.strip_prefix("EPSG:327").map(|z| (z, " +south")))
            .and_then(|(z, south)| z.parse::<u8>().ok().filter(|z| (1..=60).contains(z)).map(|z| (z, south)));
        let Some((zone, south)) = zone else {
            return Err(format!(
                "unsupported projected CRS {crs:?}: use EPSG:27700 (British National Grid) or a WGS84 UTM zone \
                 EPSG:326NN / EPSG:327NN"
            ));
        };
        let utm =
            Proj::from_proj_string(&format!("+proj=utm +zone={zone}{south} +datum=WGS84 +units=m +no_defs"))
                .map_err(|e| format!("{crs}: {e}"))?;
        Ok(Self { wgs84: Proj::from_proj_string(EPSG_4326).map_err(|e| e.to_string())?, bng: utm, crs: code })
    }

    /// The projected CRS, e.g. `EPSG:27700`.
    #[must_use]
    pub fn crs(&self) -> &str {
        &self.crs
    }

    /// WGS84 degrees to British National Grid metres.
    ///
    /// # Errors
    /// [`ProjectionError`] when proj4rs cannot transform the point (non-finite input).
    pub fn to_bng(&self, lon: f64, lat: f64) -> Result<BngPoint, ProjectionError> {
        let (e, n) =
            proj4rs::adaptors::transform_xy(&self.wgs84, &self.bng, lon.to_radians(), lat.to_radians())
                .map_err(|err| ProjectionError { lon, lat, reason: err.to_string() })?;
        if !(e.is_finite() && n.is_finite()) {
            return Err(ProjectionError { lon, lat, reason: "result is not finite".into() });
        }
        Ok(BngPoint { easting_m: e, northing_m: n })
    }

    /// British National Grid metres to WGS84 degrees `(lon, lat)`.
    ///
    /// # Errors
    /// [`ProjectionError`] when proj4rs cannot transform the point.
    pub fn to_wgs84(&self, p: BngPoint) -> Result<(f64, f64), ProjectionError> {
        let (lon, lat) =
            proj4rs::adaptors::transform_xy(&self.bng, &self.wgs84, p.easting_m, p.northing_m).map_err(
                |err| ProjectionError { lon: p.easting_m, lat: p.northing_m, reason: err.to_string() },
            )?;
        Ok((lon.to_degrees(), lat.to_degrees()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_within_a_millimetre() {
        let p = BngProjector::new();
        let bng = p.to_bng(-1.866628, 50.722301).unwrap();
        let (lon, lat) = p.to_wgs84(bng).unwrap();
        // Metres per degree near 50.7° N (spherical approximation, ample for a 1 mm check).
        let east_m = (lon + 1.866628) * 111_320.0 * 50.722301_f64.to_radians().cos();
        let north_m = (lat - 50.722301) * 110_574.0;
        assert!(east_m.abs() < 1e-3 && north_m.abs() < 1e-3, "{east_m} m, {north_m} m");
    }
}
