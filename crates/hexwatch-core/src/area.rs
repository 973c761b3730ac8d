//! Areas (wards) and point-in-polygon membership with a tolerance in metres.

use geo::{Area, BoundingRect, Distance, Euclidean, Intersects, MultiPolygon};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{AABB, RTree};

use crate::units::BngPoint;

/// Index of a ward in a [`WardIndex`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AreaId(pub u16);

impl AreaId {
    /// The index as `usize`.
    #[must_use]
    pub const fn index(self) -> usize {
        self.0 as usize
    }
}

/// An electoral ward with its boundary in British National Grid metres.
#[derive(Debug, Clone)]
pub struct Ward {
    /// ONS ward code, e.g. `E05012649`.
    pub code: String,
    /// Ward name as published, e.g. `Alderney & Bourne Valley`.
    pub name: String,
    /// Boundary in EPSG:27700 metres (x = easting, y = northing), for membership.
    pub boundary_bng: MultiPolygon<f64>,
    /// Boundary in WGS84 degrees (x = longitude), for H3 study areas and maps.
    pub boundary_wgs84: MultiPolygon<f64>,
}

impl Ward {
    /// Area in km², measured on the British National Grid plane (the grid's scale factor
    /// is within 0.04 % of 1 across southern England, so the area is good to about 0.1 %).
    #[must_use]
    pub fn area_km2(&self) -> f64 {
        self.boundary_bng.unsigned_area() / 1e6
    }
}

type Envelope = GeomWithData<Rectangle<[f64; 2]>, usize>;

/// Assigns points to wards: the ward containing the point (boundary included), otherwise
/// the nearest ward within `tolerance_m`, otherwise none.
///
/// The tolerance absorbs generalised (BGC) boundaries that cut off coastal snap points:
/// for the shipped BCP wards it is 11 m, which takes in the 57 BCP-labelled police.uk
/// points lying up to 10.2 m outside the ward union and leaves out the nearest Dorset
/// Council point at 12.7 m (see `data/boundaries-bcp-wards-2020/SOURCE.md`).
#[derive(Debug)]
pub struct WardIndex {
    wards: Vec<Ward>,
    tree: RTree<Envelope>,
    tolerance_m: f64,
}

impl WardIndex {
    /// Indexes `wards` (kept in the given order: [`AreaId`] is the position).
    ///
    /// # Units
    /// `tolerance_m`: metres in British National Grid; negative or non-finite values count as 0.
    #[must_use]
    pub fn new(wards: Vec<Ward>, tolerance_m: f64) -> Self {
        let tolerance_m = if tolerance_m.is_finite() { tolerance_m.max(0.0) } else { 0.0 };
        let envelopes = wards
            .iter()
            .enumerate()
            .filter_map(|(i, w)| {
                let r = w.boundary_bng.bounding_rect()?;
                Some(GeomWithData::new(
                    Rectangle::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y]),
                    i,
                ))
            })
            .collect();
        Self { wards, tree: RTree::bulk_load(envelopes), tolerance_m }
    }

    /// The wards, in [`AreaId`] order.
    #[must_use]
    pub fn wards(&self) -> &[Ward] {
        &self.wards
    }

    /// The ward with this id.
    #[must_use]
    pub fn ward(&self, id: AreaId) -> Option<&Ward> {
        self.wards.get(id.index())
    }

    /// The id of the ward with this ONS code.
    #[must_use]
    pub fn find_code(&self, code: &str) -> Option<AreaId> {
        self.wards.iter().position(|w| w.code == code).and_then(|i| u16::try_from(i).ok()).map(AreaId)
    }

    /// The tolerance in metres.
    #[must_use]
    pub const fn tolerance_m(&self) -> f64 {
        self.tolerance_m
    }

    /// The ward a point belongs to, or `None` when it lies outside every ward by more than
    /// the tolerance. A point inside two wards (only possible on a shared edge) goes to
    /// the one listed first; outside all, to the nearest.
    #[must_use]
    pub fn assign(&self, point: BngPoint) -> Option<AreaId> {
        let p = point.to_geo();
        let t = self.tolerance_m;
        let query = AABB::from_corners(
            [point.easting_m - t, point.northing_m - t],
            [point.easting_m + t, point.northing_m + t],
        );
        let mut candidates: Vec<usize> =
            self.tree.locate_in_envelope_intersecting(&query).map(|e| e.data).collect();
        candidates.sort_unstable();
        if let Some(&i) = candidates.iter().find(|&&i| self.wards[i].boundary_bng.intersects(&p)) {
            return u16::try_from(i).ok().map(AreaId);
        }
        candidates
            .iter()
            .map(|&i| (i, Euclidean.distance(&p, &self.wards[i].boundary_bng)))
            .filter(|(_, d)| *d <= t)
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .and_then(|(i, _)| u16::try_from(i).ok())
            .map(AreaId)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::polygon;

    fn square(code: &str, x0: f64, y0: f64, side: f64) -> Ward {
        let p = polygon![(x: x0, y: y0), (x: x0 + side, y: y0), (x: x0 + side, y: y0 + side), (x: x0, y: y0 + side)];
        Ward {
            code: code.into(),
            name: code.into(),
            boundary_bng: MultiPolygon::new(vec![p]),
            boundary_wgs84: MultiPolygon::new(vec![]),
        }
    }

    fn at(e: f64, n: f64) -> BngPoint {
        BngPoint { easting_m: e, northing_m: n }
    }

    #[test]
    fn assigns_inside_then_nearest_within_tolerance() {
        let index = WardIndex::new(vec![square("A", 0.0, 0.0, 100.0), square("B", 200.0, 0.0, 100.0)], 11.0);
        assert_eq!(index.assign(at(50.0, 50.0)), Some(AreaId(0)));
        assert_eq!(index.assign(at(250.0, 50.0)), Some(AreaId(1)));
        // 10 m east of A's edge: within 11 m.
        assert_eq!(index.assign(at(110.0, 50.0)), Some(AreaId(0)));
        // 12 m beyond B's northern edge: outside.
        assert_eq!(index.assign(at(250.0, 112.0)), None);
        // In the 100 m gap, 90 m from A and 10 m from B: the nearest.
        assert_eq!(index.assign(at(190.0, 50.0)), Some(AreaId(1)));
        // On the shared-corner-free boundary of A: inside.
        assert_eq!(index.assign(at(100.0, 100.0)), Some(AreaId(0)));
    }
}
