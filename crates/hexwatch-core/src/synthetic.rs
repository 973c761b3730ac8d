//! Seeded synthetic incidents: Gaussian hotspots over a uniform background, for benchmarks,
//! load tests and demonstrations of the statistics on data whose hotspots are known.
//!
//! Deterministic for a seed (ChaCha8, and `libm` for the transcendental functions, so the
//! same seed gives the same points on every platform).

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::units::Bounds;

/// Radius of the sphere on which metres are turned into degrees, in metres (H3's authalic
/// Earth radius, as `h3o` uses for areas and distances).
const EARTH_RADIUS_M: f64 = 6_371_007.180_918_475;

/// Why synthetic incidents could not be generated.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum SyntheticError {
    /// The box is not finite, is empty, or lies outside −180…180 / −90…90 degrees.
    #[error(
        "invalid bounds (west {west}, south {south}, east {east}, north {north}): need finite degrees \
         with -180 <= west < east <= 180 and -90 <= south < north <= 90"
    )]
    InvalidBounds {
        /// Western edge given, degrees.
        west: f64,
        /// Southern edge given, degrees.
        south: f64,
        /// Eastern edge given, degrees.
        east: f64,
        /// Northern edge given, degrees.
        north: f64,
    },
    /// The hotspot share is not in 0…1.
    #[error("invalid hotspot_share (got {value}): must be between 0 and 1")]
    InvalidHotspotShare {
        /// The share given.
        value: f64,
    },
    /// The hotspot spread is not a positive finite number of metres.
    #[error("invalid sigma_m (got {value}): must be > 0 metres")]
    InvalidSigma {
        /// The spread given, metres.
        value: f64,
    },
    /// A share of the incidents should come from hotspots but there are none.
    #[error("hotspot_share is {hotspot_share} but hotspots is 0: give at least one hotspot or a share of 0")]
    NoHotspots {
        /// The share given.
        hotspot_share: f64,
    },
}

/// Settings of [`Synthetic`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SyntheticParams {
    /// The box every point lies in (WGS84 degrees).
    pub bounds: Bounds,
    /// Number of incidents.
    pub n: usize,
    /// Number of Gaussian hotspots, their centres uniform in the box.
    pub hotspots: usize,
    /// Share of the incidents drawn from the hotspots, 0 to 1; the rest are uniform
    /// background. `round(n × hotspot_share)` incidents come from hotspots.
    pub hotspot_share: f64,
    /// Standard deviation of each hotspot along each axis, in metres (isotropic).
    pub sigma_m: f64,
    /// Seed of the ChaCha8 generator.
    pub seed: u64,
}

/// One synthetic incident.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SyntheticPoint {
    /// Longitude, degrees (WGS84).
    pub lon: f64,
    /// Latitude, degrees (WGS84).
    pub lat: f64,
    /// The hotspot it was drawn from (index into [`Synthetic::centres`]), or `None` for
    /// background.
    pub hotspot: Option<usize>,
}

/// A seeded generator of synthetic incidents: `hotspots` Gaussian hotspots plus a uniform
/// background, every point inside `bounds`.
///
/// - **Centres** are uniform in longitude and latitude within the box.
/// - **Hotspot points** (`round(n × hotspot_share)` of them, first in the sequence) pick a
///   centre uniformly at random and add an isotropic Gaussian offset of `sigma_m` metres
///   per axis (Box–Muller). Metres become degrees on a sphere of H3's authalic radius
///   (6,371,007 m) at the box's middle latitude: `σ_lat = σ_m / (R·π/180)` and
///   `σ_lon = σ_lat / cos(middle latitude)`; for a box a few tens of km high the scale is
///   good to well under 1 % over the box.
/// - **Points outside the box are redrawn** (another Gaussian offset around the same
///   centre), never clamped: clamping would pile points onto the edges and make false
///   hotspots there. The hotspots are thus Gaussians truncated to the box. Since every
///   centre is inside, at least a quarter of the draws land inside, whatever `sigma_m`.
/// - **Background points** are uniform in longitude and latitude within the box.
///
/// The same parameters give the same points, in the same order, on every platform.
///
/// # Example
/// ```
/// use hexwatch_core::Bounds;
/// use hexwatch_core::synthetic::{Synthetic, SyntheticParams};
///
/// let bounds = Bounds { west: -2.0, south: 50.65, east: -1.7, north: 50.8 };
/// let params = SyntheticParams { bounds, n: 1000, hotspots: 5, hotspot_share: 0.3, sigma_m: 300.0, seed: 1 };
/// let synthetic = Synthetic::new(params)?;
/// let points: Vec<_> = synthetic.points().collect();
/// assert_eq!(points.len(), 1000);
/// assert_eq!(points.iter().filter(|p| p.hotspot.is_some()).count(), 300);
/// assert!(points.iter().all(|p| bounds.contains(p.lon, p.lat)));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct Synthetic {
    params: SyntheticParams,
    centres: Vec<(f64, f64)>,
    sigma_lon_deg: f64,
    sigma_lat_deg: f64,
    hotspot_points: usize,
}

impl Synthetic {
    /// Validates the parameters and draws the hotspot centres.
    ///
    /// # Errors
    /// [`SyntheticError`] naming the parameter that is out of range.
    pub fn new(params: SyntheticParams) -> Result<Self, SyntheticError> {
        let Bounds { west, south, east, north } = params.bounds;
        let finite = [west, south, east, north].iter().all(|v| v.is_finite());
        if !(finite
            && -180.0 <= west
            && west < east
            && east <= 180.0
            && -90.0 <= south
            && south < north
            && north <= 90.0)
        {
            return Err(SyntheticError::InvalidBounds { west, south, east, north });
        }
        if !(0.0..=1.0).contains(&params.hotspot_share) {
            return Err(SyntheticError::InvalidHotspotShare { value: params.hotspot_share });
        }
        if !(params.sigma_m.is_finite() && params.sigma_m > 0.0) {
            return Err(SyntheticError::InvalidSigma { value: params.sigma_m });
        }
        #[expect(clippy::cast_precision_loss, reason = "incident counts are far below 2^52")]
        let wanted = (params.n as f64 * params.hotspot_share).round();
        #[expect(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            reason = "0 ≤ wanted ≤ n, so it fits in usize"
        )]
        let hotspot_points = (wanted as usize).min(params.n);
        if params.hotspots == 0 && hotspot_points > 0 {
            return Err(SyntheticError::NoHotspots { hotspot_share: params.hotspot_share });
        }
        let mut rng = Self::rng(params.seed, 0);
        let centres = (0..params.hotspots).map(|_| uniform_in(&params.bounds, &mut rng)).collect();
        let metres_per_degree = EARTH_RADIUS_M * std::f64::consts::PI / 180.0;
        let sigma_lat_deg = params.sigma_m / metres_per_degree;
        let middle_lat = (south + north) / 2.0;
        let sigma_lon_deg = sigma_lat_deg / libm::cos(middle_lat.to_radians()).max(1e-9);
        Ok(Self { params, centres, sigma_lon_deg, sigma_lat_deg, hotspot_points })
    }

    /// The parameters.
    #[must_use]
    pub const fn params(&self) -> &SyntheticParams {
        &self.params
    }

    /// Hotspot centres as (longitude, latitude) in degrees.
    #[must_use]
    pub fn centres(&self) -> &[(f64, f64)] {
        &self.centres
    }

    /// Number of points drawn from hotspots: `round(n × hotspot_share)`.
    #[must_use]
    pub const fn hotspot_points(&self) -> usize {
        self.hotspot_points
    }

    /// Number of uniform background points: `n − hotspot_points()`.
    #[must_use]
    pub const fn background_points(&self) -> usize {
        self.params.n - self.hotspot_points
    }

    /// The `n` points, hotspot points first, lazily (so a large `n` needs no memory and a
    /// caller can report progress). Each call starts the same sequence afresh.
    #[must_use]
    pub fn points(&self) -> SyntheticPoints<'_> {
        SyntheticPoints { synthetic: self, rng: Self::rng(self.params.seed, 1), next: 0 }
    }

    /// Stream 0 draws the centres, stream 1 the points, so the points do not depend on how
    /// many centres were drawn before them.
    fn rng(seed: u64, stream: u64) -> ChaCha8Rng {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        rng.set_stream(stream);
        rng
    }

    fn hotspot_point(&self, rng: &mut ChaCha8Rng) -> SyntheticPoint {
        let hotspot = rng.random_range(0..self.centres.len());
        let (lon0, lat0) = self.centres[hotspot];
        loop {
            // Box–Muller: two independent standard normals from two uniforms. 1 − u lies in
            // (0, 1], so the logarithm is finite.
            let u1: f64 = 1.0 - rng.random::<f64>();
            let u2: f64 = rng.random::<f64>();
            let r = libm::sqrt(-2.0 * libm::log(u1));
            let theta = 2.0 * std::f64::consts::PI * u2;
            let lon = lon0 + r * libm::cos(theta) * self.sigma_lon_deg;
            let lat = lat0 + r * libm::sin(theta) * self.sigma_lat_deg;
            if self.params.bounds.contains(lon, lat) {
                return SyntheticPoint { lon, lat, hotspot: Some(hotspot) };
            }
        }
    }
}

/// A point uniform in longitude and latitude within `bounds` (edges: `[west, east)`,
/// `[south, north)`).
fn uniform_in(bounds: &Bounds, rng: &mut ChaCha8Rng) -> (f64, f64) {
    let lon = bounds.west + rng.random::<f64>() * (bounds.east - bounds.west);
    let lat = bounds.south + rng.random::<f64>() * (bounds.north - bounds.south);
    (lon, lat)
}

/// The points of a [`Synthetic`], from [`Synthetic::points`].
#[derive(Debug, Clone)]
pub struct SyntheticPoints<'a> {
    synthetic: &'a Synthetic,
    rng: ChaCha8Rng,
    next: usize,
}

impl Iterator for SyntheticPoints<'_> {
    type Item = SyntheticPoint;

    fn next(&mut self) -> Option<SyntheticPoint> {
        let s = self.synthetic;
        if self.next >= s.params.n {
            return None;
        }
        let point = if self.next < s.hotspot_points {
            s.hotspot_point(&mut self.rng)
        } else {
            let (lon, lat) = uniform_in(&s.params.bounds, &mut self.rng);
            SyntheticPoint { lon, lat, hotspot: None }
        };
        self.next += 1;
        Some(point)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = self.synthetic.params.n - self.next;
        (left, Some(left))
    }
}

impl ExactSizeIterator for SyntheticPoints<'_> {}

/// `n` synthetic incidents: see [`Synthetic`] for the model.
///
/// # Units
/// `bounds` in WGS84 degrees, `sigma_m` in metres (standard deviation per axis),
/// `hotspot_share` a fraction 0–1. The points are (longitude, latitude) in degrees.
///
/// # Errors
/// [`SyntheticError`] naming the parameter that is out of range.
pub fn generate(
    bounds: Bounds,
    n: usize,
    hotspots: usize,
    hotspot_share: f64,
    sigma_m: f64,
    seed: u64,
) -> Result<Vec<SyntheticPoint>, SyntheticError> {
    let synthetic = Synthetic::new(SyntheticParams { bounds, n, hotspots, hotspot_share, sigma_m, seed })?;
    Ok(synthetic.points().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    const BCP: Bounds = Bounds { west: -2.05, south: 50.68, east: -1.70, north: 50.80 };

    #[test]
    fn same_seed_same_points_and_another_seed_others() {
        let a = generate(BCP, 5_000, 20, 0.3, 300.0, 7).unwrap();
        let b = generate(BCP, 5_000, 20, 0.3, 300.0, 7).unwrap();
        let c = generate(BCP, 5_000, 20, 0.3, 300.0, 8).unwrap();
        assert_eq!(a, b);
        assert_ne!(a, c);
        let synthetic = Synthetic::new(SyntheticParams {
            bounds: BCP,
            n: 5_000,
            hotspots: 20,
            hotspot_share: 0.3,
            sigma_m: 300.0,
            seed: 7,
        })
        .unwrap();
        assert_eq!(synthetic.points().collect::<Vec<_>>(), a, "each points() call starts afresh");
    }

    #[test]
    fn counts_add_up() {
        for (n, share, hot) in
            [(10_001, 0.3, 3_000), (7, 0.5, 4), (100, 0.0, 0), (100, 1.0, 100), (0, 0.3, 0)]
        {
            let points = generate(BCP, n, 4, share, 250.0, 1).unwrap();
            let from_hotspots = points.iter().filter(|p| p.hotspot.is_some()).count();
            assert_eq!(points.len(), n);
            assert_eq!(from_hotspots, hot, "n {n}, share {share}");
            assert_eq!(points.len() - from_hotspots, n - hot);
            assert!(points.iter().all(|p| p.hotspot.is_none_or(|h| h < 4)));
        }
    }

    #[test]
    fn every_point_inside_the_bounds_even_with_wide_hotspots() {
        // σ of 20 km in a box about 25 × 13 km: most Gaussian draws fall outside and are
        // redrawn.
        let points = generate(BCP, 20_000, 3, 0.9, 20_000.0, 3).unwrap();
        assert!(points.iter().all(|p| BCP.contains(p.lon, p.lat)));
    }

    #[test]
    fn hotspot_spread_is_sigma_metres() {
        // A box far wider than σ, so truncation is negligible: the root mean square offset
        // from the centre along each axis, in metres, is σ.
        let bounds = Bounds { west: -3.0, south: 50.0, east: -1.0, north: 51.5 };
        let synthetic = Synthetic::new(SyntheticParams {
            bounds,
            n: 40_000,
            hotspots: 2,
            hotspot_share: 1.0,
            sigma_m: 400.0,
            seed: 11,
        })
        .unwrap();
        let m_per_deg = EARTH_RADIUS_M * std::f64::consts::PI / 180.0;
        let (mut sx, mut sy) = (0.0, 0.0);
        for p in synthetic.points() {
            let (lon0, lat0) = synthetic.centres()[p.hotspot.unwrap()];
            sx += ((p.lon - lon0) * m_per_deg * lat0.to_radians().cos()).powi(2);
            sy += ((p.lat - lat0) * m_per_deg).powi(2);
        }
        let (rms_x, rms_y) = ((sx / 40_000.0).sqrt(), (sy / 40_000.0).sqrt());
        assert!((rms_x - 400.0).abs() < 8.0, "east-west {rms_x} m");
        assert!((rms_y - 400.0).abs() < 8.0, "north-south {rms_y} m");
    }

    #[test]
    fn refuses_bad_parameters() {
        let bad =
            |b: Bounds, share: f64, sigma: f64, hotspots: usize| generate(b, 10, hotspots, share, sigma, 1);
        let swapped = Bounds { west: BCP.east, south: BCP.south, east: BCP.west, north: BCP.north };
        assert!(matches!(bad(swapped, 0.3, 300.0, 2), Err(SyntheticError::InvalidBounds { .. })));
        assert!(matches!(bad(BCP, 1.5, 300.0, 2), Err(SyntheticError::InvalidHotspotShare { .. })));
        assert!(matches!(bad(BCP, f64::NAN, 300.0, 2), Err(SyntheticError::InvalidHotspotShare { .. })));
        assert!(matches!(bad(BCP, 0.3, 0.0, 2), Err(SyntheticError::InvalidSigma { .. })));
        assert!(matches!(bad(BCP, 0.3, 300.0, 0), Err(SyntheticError::NoHotspots { .. })));
        assert_eq!(bad(BCP, 0.0, 300.0, 0).unwrap().len(), 10, "no hotspots are needed for a share of 0");
    }
}
