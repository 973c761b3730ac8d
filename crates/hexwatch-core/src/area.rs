//! Areas and boundary sets (wards, LSOAs, custom areas) with point-in-polygon membership
//! and a tolerance in metres stated per set.

use std::collections::HashMap;

use geo::{Area as _, BoundingRect, Distance, Euclidean, Intersects, MultiPolygon};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{AABB, RTree};

use crate::filter::AreaFilter;
use crate::units::BngPoint;

/// Index of an area within its [`AreaSet`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AreaId(pub u16);

impl AreaId {
    /// The index as `usize`.
    #[must_use]
    pub const fn index(self) -> usize {
        self.0 as usize
    }
}

/// One area of a boundary set (a ward, an LSOA, a beat or a PSPO zone) with its boundary in
/// both British National Grid metres and WGS84 degrees.
#[derive(Debug, Clone)]
pub struct Area {
    /// The area's code (ONS `E05012649`, `E01034271`; for a custom area the code property
    /// given, or its name when it has none).
    pub code: String,
    /// The area's name as published, e.g. `Alderney & Bourne Valley`.
    pub name: String,
    /// Boundary in EPSG:27700 metres (x = easting, y = northing), for membership and areas.
    pub boundary_bng: MultiPolygon<f64>,
    /// Boundary in WGS84 degrees (x = longitude), for H3 study areas, tiles and maps.
    pub boundary_wgs84: MultiPolygon<f64>,
}

/// An electoral ward: an [`Area`] of the ward set.
pub type Ward = Area;

impl Area {
    /// Area in km², measured on the British National Grid plane (the grid's scale factor
    /// is within 0.04 % of 1 across southern England, so the area is good to about 0.1 %).
    #[must_use]
    pub fn area_km2(&self) -> f64 {
        self.boundary_bng.unsigned_area() / 1e6
    }
}

type Envelope = GeomWithData<Rectangle<[f64; 2]>, usize>;

/// A named set of areas with an R-tree over their boundaries: assigns points to the area
/// containing them (boundary included), otherwise the nearest area within the set's
/// `tolerance_m`, otherwise none.
///
/// The tolerance absorbs generalised boundaries that cut off coastal snap points: for the
/// shipped BCP wards it is 11 m, which takes in the 57 BCP-labelled police.uk points lying
/// up to 10.2 m outside the ward union and leaves out the nearest Dorset Council point at
/// 12.7 m (see `data/boundaries-bcp-wards-2020/SOURCE.md`).
#[derive(Debug)]
pub struct AreaSet {
    name: String,
    areas: Vec<Area>,
    by_code: HashMap<String, AreaId>,
    tree: RTree<Envelope>,
    tolerance_m: f64,
}

/// The ward set: an [`AreaSet`] named `ward`.
pub type WardIndex = AreaSet;

impl AreaSet {
    /// Name of the ward set (`area=ward:<code>`, tile property `set=ward`).
    pub const WARD: &'static str = "ward";
    /// Name of the LSOA set (`area=lsoa:<code>`, tile property `set=lsoa`).
    pub const LSOA: &'static str = "lsoa";

    /// Indexes `areas` as the set `name` (kept in the given order: [`AreaId`] is the
    /// position; only the first 65,536 areas are addressable).
    ///
    /// # Units
    /// `tolerance_m`: metres in British National Grid; negative or non-finite values count as 0.
    #[must_use]
    pub fn new(name: impl Into<String>, areas: Vec<Area>, tolerance_m: f64) -> Self {
        let tolerance_m = if tolerance_m.is_finite() { tolerance_m.max(0.0) } else { 0.0 };
        let envelopes = areas
            .iter()
            .enumerate()
            .filter_map(|(i, a)| {
                let r = a.boundary_bng.bounding_rect()?;
                Some(GeomWithData::new(
                    Rectangle::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y]),
                    i,
                ))
            })
            .collect();
        let mut by_code = HashMap::with_capacity(areas.len());
        for (i, a) in areas.iter().enumerate() {
            if let Ok(id) = u16::try_from(i) {
                by_code.entry(a.code.clone()).or_insert(AreaId(id));
            }
        }
        Self { name: name.into(), areas, by_code, tree: RTree::bulk_load(envelopes), tolerance_m }
    }

    /// The set's name: `ward`, `lsoa` or a custom set's name.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The areas, in [`AreaId`] order.
    #[must_use]
    pub fn areas(&self) -> &[Area] {
        &self.areas
    }

    /// Number of areas.
    #[must_use]
    pub fn len(&self) -> usize {
        self.areas.len()
    }

    /// Whether the set has no area.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.areas.is_empty()
    }

    /// The area with this id.
    #[must_use]
    pub fn area(&self, id: AreaId) -> Option<&Area> {
        self.areas.get(id.index())
    }

    /// The id of the area with this code (the first one listed if codes repeat).
    #[must_use]
    pub fn find_code(&self, code: &str) -> Option<AreaId> {
        self.by_code.get(code).copied()
    }

    /// The id of the area with this name (exact match, first listed).
    #[must_use]
    pub fn find_name(&self, name: &str) -> Option<AreaId> {
        self.areas.iter().position(|a| a.name == name).and_then(|i| u16::try_from(i).ok()).map(AreaId)
    }

    /// The tolerance in metres.
    #[must_use]
    pub const fn tolerance_m(&self) -> f64 {
        self.tolerance_m
    }

    /// Candidate areas whose bounding box lies within the tolerance of `point`, in id order.
    fn candidates(&self, point: BngPoint) -> Vec<usize> {
        let t = self.tolerance_m;
        let query = AABB::from_corners(
            [point.easting_m - t, point.northing_m - t],
            [point.easting_m + t, point.northing_m + t],
        );
        let mut candidates: Vec<usize> =
            self.tree.locate_in_envelope_intersecting(&query).map(|e| e.data).collect();
        candidates.sort_unstable();
        candidates
    }

    /// The area a point belongs to, or `None` when it lies outside every area by more than
    /// the tolerance. A point inside two areas (on a shared edge, or where generalised
    /// outlines overlap) goes to the one listed first; outside all, to the nearest.
    #[must_use]
    pub fn assign(&self, point: BngPoint) -> Option<AreaId> {
        let p = point.to_geo();
        let candidates = self.candidates(point);
        if let Some(&i) = candidates.iter().find(|&&i| self.areas[i].boundary_bng.intersects(&p)) {
            return u16::try_from(i).ok().map(AreaId);
        }
        candidates
            .iter()
            .map(|&i| (i, Euclidean.distance(&p, &self.areas[i].boundary_bng)))
            .filter(|(_, d)| *d <= self.tolerance_m)
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .and_then(|(i, _)| u16::try_from(i).ok())
            .map(AreaId)
    }

    /// Whether `point` lies in area `id` (boundary included) or within the tolerance of it,
    /// whatever other area also holds it.
    #[must_use]
    pub fn covers(&self, id: AreaId, point: BngPoint) -> bool {
        let Some(area) = self.area(id) else { return false };
        let p = point.to_geo();
        area.boundary_bng.intersects(&p)
            || (self.tolerance_m > 0.0 && Euclidean.distance(&p, &area.boundary_bng) <= self.tolerance_m)
    }
}

/// Every boundary set an incident table is assigned with: the wards (the study area of
/// `area=bcp`), the LSOAs and the custom sets, in the order [`AreaFilter::Custom`]'s `set`
/// index refers to.
#[derive(Debug, Default)]
pub struct AreaSets {
    /// The ward set (`ward:<code>`, and `bcp` for any ward).
    pub wards: Option<AreaSet>,
    /// The LSOA set (`lsoa:<code>`).
    pub lsoas: Option<AreaSet>,
    /// Custom sets (`custom:<set>/<name>`), each with its own name.
    pub custom: Vec<AreaSet>,
}

impl AreaSets {
    /// Every set present: wards, LSOAs, then the custom sets.
    pub fn iter(&self) -> impl Iterator<Item = &AreaSet> {
        self.wards.iter().chain(self.lsoas.iter()).chain(self.custom.iter())
    }

    /// The set with this name (`ward`, `lsoa` or a custom set's name).
    #[must_use]
    pub fn by_name(&self, name: &str) -> Option<&AreaSet> {
        match name {
            AreaSet::WARD => self.wards.as_ref(),
            AreaSet::LSOA => self.lsoas.as_ref(),
            other => self.custom.iter().find(|s| s.name() == other),
        }
    }

    /// The index of the custom set with this name.
    #[must_use]
    pub fn custom_index(&self, name: &str) -> Option<u16> {
        self.custom.iter().position(|s| s.name() == name).and_then(|i| u16::try_from(i).ok())
    }

    /// The set and area a single-area filter names; `None` for `All`, `AnyWard` and ids
    /// this registry does not have.
    #[must_use]
    pub fn resolve(&self, area: AreaFilter) -> Option<(&AreaSet, &Area)> {
        let (set, id) = match area {
            AreaFilter::All | AreaFilter::AnyWard => return None,
            AreaFilter::Ward(id) => (self.wards.as_ref()?, id),
            AreaFilter::Lsoa(id) => (self.lsoas.as_ref()?, id),
            AreaFilter::Custom { set, area } => (self.custom.get(usize::from(set))?, area),
        };
        Some((set, set.area(id)?))
    }

    /// The filter's canonical text, as the `area` parameter spells it: `all`, `bcp`,
    /// `ward:<code>`, `lsoa:<code>` or `custom:<set>/<name>`.
    #[must_use]
    pub fn describe(&self, area: AreaFilter) -> String {
        match (area, self.resolve(area)) {
            (AreaFilter::All, _) => "all".to_owned(),
            (AreaFilter::AnyWard, _) => "bcp".to_owned(),
            (AreaFilter::Custom { .. }, Some((set, a))) => format!("custom:{}/{}", set.name(), a.name),
            (_, Some((set, a))) => format!("{}:{}", set.name(), a.code),
            (other, None) => format!("{other:?}"),
        }
    }

    /// The WGS84 polygons of the study area a filter implies: the one area it names, or
    /// every ward for `bcp` and no area (the partnership's study area).
    #[must_use]
    pub fn study_polygons(&self, area: AreaFilter) -> Vec<MultiPolygon<f64>> {
        match self.resolve(area) {
            Some((_, a)) => vec![a.boundary_wgs84.clone()],
            None => {
                self.wards.iter().flat_map(|w| w.areas().iter().map(|a| a.boundary_wgs84.clone())).collect()
            }
        }
    }

    /// The area, m² on the British National Grid plane, of what an area filter selects:
    /// the one area it names, or every ward together for `AnyWard` (BCP); `None` for
    /// `All` or when the set is not loaded. NNH's random threshold takes it as its study area.
    #[must_use]
    pub fn area_m2(&self, area: AreaFilter) -> Option<f64> {
        match (area, self.resolve(area)) {
            (_, Some((_, a))) => Some(a.area_km2() * 1e6),
            (AreaFilter::AnyWard, None) => {
                self.wards.as_ref().map(|w| w.areas().iter().map(|a| a.area_km2() * 1e6).sum())
            }
            _ => None,
        }
    }

    /// Whether a point in British National Grid metres passes the area filter by position
    /// (for surfaces such as kernel density, where cells have no source code): `All` keeps
    /// everything, `AnyWard` any point of a ward, a single area the points it
    /// [`AreaSet::assign`]s to that area.
    #[must_use]
    pub fn keeps_point(&self, area: AreaFilter, point: BngPoint) -> bool {
        let (set, id) = match area {
            AreaFilter::All => return true,
            AreaFilter::AnyWard => return self.wards.as_ref().is_none_or(|w| w.assign(point).is_some()),
            AreaFilter::Ward(id) => (self.wards.as_ref(), id),
            AreaFilter::Lsoa(id) => (self.lsoas.as_ref(), id),
            AreaFilter::Custom { set, area } => (self.custom.get(usize::from(set)), area),
        };
        set.is_some_and(|s| s.assign(point) == Some(id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::polygon;

    fn square(code: &str, x0: f64, y0: f64, side: f64) -> Area {
        let p = polygon![(x: x0, y: y0), (x: x0 + side, y: y0), (x: x0 + side, y: y0 + side), (x: x0, y: y0 + side)];
        Area {
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
        let index =
            AreaSet::new("ward", vec![square("A", 0.0, 0.0, 100.0), square("B", 200.0, 0.0, 100.0)], 11.0);
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

    #[test]
    fn covers_ignores_the_order_of_overlapping_areas() {
        // B overlaps A's eastern half: assign gives A (listed first), covers says both.
        let set = AreaSet::new("x", vec![square("A", 0.0, 0.0, 100.0), square("B", 50.0, 0.0, 100.0)], 0.0);
        assert_eq!(set.assign(at(75.0, 50.0)), Some(AreaId(0)));
        assert!(set.covers(AreaId(0), at(75.0, 50.0)) && set.covers(AreaId(1), at(75.0, 50.0)));
        assert!(!set.covers(AreaId(1), at(25.0, 50.0)));
        assert_eq!(
            (set.find_code("B"), set.find_name("A"), set.find_code("C")),
            (Some(AreaId(1)), Some(AreaId(0)), None)
        );
    }

    #[test]
    fn registry_describes_and_resolves_each_kind_of_filter() {
        let sets = AreaSets {
            wards: Some(AreaSet::new(AreaSet::WARD, vec![square("E05000001", 0.0, 0.0, 100.0)], 11.0)),
            lsoas: Some(AreaSet::new(AreaSet::LSOA, vec![square("E01000001", 0.0, 0.0, 50.0)], 0.0)),
            custom: vec![AreaSet::new("beats", vec![square("B1", 50.0, 50.0, 50.0)], 0.0)],
        };
        assert_eq!(sets.describe(AreaFilter::AnyWard), "bcp");
        assert_eq!(sets.describe(AreaFilter::Ward(AreaId(0))), "ward:E05000001");
        assert_eq!(sets.describe(AreaFilter::Lsoa(AreaId(0))), "lsoa:E01000001");
        assert_eq!(sets.describe(AreaFilter::Custom { set: 0, area: AreaId(0) }), "custom:beats/B1");
        assert!(sets.keeps_point(AreaFilter::Lsoa(AreaId(0)), at(10.0, 10.0)));
        assert!(!sets.keeps_point(AreaFilter::Lsoa(AreaId(0)), at(60.0, 10.0)));
        assert!(sets.keeps_point(AreaFilter::Custom { set: 0, area: AreaId(0) }, at(60.0, 60.0)));
        assert_eq!(sets.study_polygons(AreaFilter::All).len(), 1);
        assert_eq!(sets.by_name("beats").map(AreaSet::len), Some(1));
        assert_eq!(sets.custom_index("beats"), Some(0));
    }

    #[test]
    fn area_m2_of_one_area_all_wards_or_nothing() {
        let sets = AreaSets {
            wards: Some(AreaSet::new(
                AreaSet::WARD,
                vec![square("W1", 0.0, 0.0, 100.0), square("W2", 200.0, 0.0, 50.0)],
                11.0,
            )),
            lsoas: None,
            custom: vec![],
        };
        assert_eq!(sets.area_m2(AreaFilter::Ward(AreaId(1))), Some(2_500.0));
        assert_eq!(sets.area_m2(AreaFilter::AnyWard), Some(12_500.0));
        assert_eq!(sets.area_m2(AreaFilter::All), None);
        assert_eq!(sets.area_m2(AreaFilter::Lsoa(AreaId(0))), None, "no LSOA set loaded");
    }
}
