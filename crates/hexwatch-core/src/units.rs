//! Coordinate newtypes that cannot be mixed up.

/// A point on the British National Grid (EPSG:27700), in metres.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BngPoint {
    /// Easting, in metres.
    pub easting_m: f64,
    /// Northing, in metres.
    pub northing_m: f64,
}

impl BngPoint {
    /// As a geo point (x = easting, y = northing), for geometry predicates in metres.
    #[must_use]
    pub fn to_geo(self) -> geo::Point<f64> {
        geo::Point::new(self.easting_m, self.northing_m)
    }
}

/// A longitude/latitude box in degrees (WGS84), named so the order never lives in prose.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bounds {
    /// Western edge, degrees of longitude.
    pub west: f64,
    /// Southern edge, degrees of latitude.
    pub south: f64,
    /// Eastern edge, degrees of longitude.
    pub east: f64,
    /// Northern edge, degrees of latitude.
    pub north: f64,
}

/// Why a box could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "invalid box (got {value:?}): expected west,south,east,north in degrees with west < east and south < north"
)]
pub struct BoundsError {
    /// The text given.
    pub value: String,
}

impl std::str::FromStr for Bounds {
    type Err = BoundsError;

    /// Reads `west,south,east,north` in degrees (`-2.05,50.68,-1.70,50.80`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || BoundsError { value: s.to_owned() };
        let v: Vec<f64> =
            s.split(',').map(|p| p.trim().parse::<f64>()).collect::<Result<_, _>>().map_err(|_| err())?;
        match v[..] {
            [west, south, east, north] if west < east && south < north => {
                Ok(Self { west, south, east, north })
            }
            _ => Err(err()),
        }
    }
}

impl Bounds {
    /// The United Kingdom with a small margin (Ordnance Survey extent of Great Britain and
    /// Northern Ireland, plus the Channel Islands and Scilly): the default ingest extent.
    pub const UNITED_KINGDOM: Self = Self { west: -8.75, south: 49.0, east: 2.0, north: 61.0 };

    /// Whether `(lon, lat)` lies inside the box (edges included).
    #[must_use]
    pub fn contains(&self, lon: f64, lat: f64) -> bool {
        (self.west..=self.east).contains(&lon) && (self.south..=self.north).contains(&lat)
    }

    /// Whether two boxes overlap (touching counts).
    #[must_use]
    pub fn intersects(&self, other: &Self) -> bool {
        self.west <= other.east
            && other.west <= self.east
            && self.south <= other.north
            && other.south <= self.north
    }
}
