//! Cluster outlines: the convex hull of each cluster's points in British National Grid
//! metres, with its counts.

use geo::{Area, ConvexHull, Coord, MultiPoint, Point, Polygon};
use rayon::prelude::*;

use crate::units::BngPoint;

/// Half-width, metres, of the outline drawn round a cluster whose points lie on one spot
/// or nearly on one line (police.uk snaps incidents to map points, so a cluster of many
/// incidents may sit on a single point): its hull would have no area to draw.
pub const DEGENERATE_BUFFER_M: f64 = 10.0;

/// Hulls below this area (a 10 m × 10 m square), m², are drawn buffered.
const MIN_DRAWN_AREA_M2: f64 = DEGENERATE_BUFFER_M * DEGENERATE_BUFFER_M;

/// One cluster's outline and counts.
#[derive(Debug, Clone, PartialEq)]
pub struct ClusterHull {
    /// The cluster's label in the labels it was built from (0, 1, 2…).
    pub label: u32,
    /// Points (incidents) in the cluster.
    pub count: usize,
    /// Core points among them (DBSCAN); `None` for methods without core points (NNH).
    pub core_count: Option<usize>,
    /// The outline to draw, British National Grid metres: the convex hull of the points,
    /// or, when that hull's area is below 100 m² (points on one spot or nearly on one
    /// line), the convex hull of octagons of radius [`DEGENERATE_BUFFER_M`] round its
    /// vertices (then `buffered_m` says so).
    pub outline_bng: Polygon<f64>,
    /// Area of the convex hull of the points (before any buffer), km².
    pub area_km2: f64,
    /// 0, or [`DEGENERATE_BUFFER_M`] when the outline was buffered.
    pub buffered_m: f64,
}

/// The outline and counts of every cluster in `labels`, largest first (ties: lower label
/// first).
///
/// `labels[i]` is point `i`'s cluster (`None`: noise or unclustered), `core[i]` whether it
/// is a core point (DBSCAN; `None` for NNH). Entries past the shorter of `points` and
/// `labels` are ignored. Hulls are computed in parallel with geo's `ConvexHull` (quickhull).
#[must_use]
pub fn cluster_hulls(points: &[BngPoint], labels: &[Option<u32>], core: Option<&[bool]>) -> Vec<ClusterHull> {
    let clusters = labels.iter().flatten().max().map_or(0, |&m| m as usize + 1);
    let mut members: Vec<Vec<Point<f64>>> = vec![Vec::new(); clusters];
    let mut cores = vec![0_usize; clusters];
    for (i, (p, label)) in points.iter().zip(labels).enumerate() {
        if let Some(k) = label {
            members[*k as usize].push(p.to_geo());
            if core.is_some_and(|c| c.get(i).copied().unwrap_or(false)) {
                cores[*k as usize] += 1;
            }
        }
    }
    let mut hulls: Vec<ClusterHull> = members
        .into_par_iter()
        .zip(cores)
        .enumerate()
        .filter(|(_, (m, _))| !m.is_empty())
        .map(|(k, (m, core_count))| {
            let count = m.len();
            let hull = MultiPoint::new(m).convex_hull();
            let area_m2 = hull.unsigned_area();
            let (outline_bng, buffered_m) = if area_m2 < MIN_DRAWN_AREA_M2 {
                (buffered(&hull), DEGENERATE_BUFFER_M)
            } else {
                (hull, 0.0)
            };
            #[expect(clippy::cast_possible_truncation, reason = "labels are u32")]
            ClusterHull {
                label: k as u32,
                count,
                core_count: core.map(|_| core_count),
                outline_bng,
                area_km2: area_m2 / 1e6,
                buffered_m,
            }
        })
        .collect();
    hulls.sort_by(|a, b| b.count.cmp(&a.count).then(a.label.cmp(&b.label)));
    hulls
}

/// The convex hull of octagons of radius [`DEGENERATE_BUFFER_M`] round a (degenerate)
/// hull's vertices.
fn buffered(hull: &Polygon<f64>) -> Polygon<f64> {
    let corners: Vec<Point<f64>> = hull
        .exterior()
        .coords()
        .flat_map(|c| {
            (0..8).map(move |k| {
                let a = f64::from(k) * std::f64::consts::FRAC_PI_4;
                Point::from(Coord {
                    x: c.x + DEGENERATE_BUFFER_M * a.cos(),
                    y: c.y + DEGENERATE_BUFFER_M * a.sin(),
                })
            })
        })
        .collect();
    MultiPoint::new(corners).convex_hull()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(e: f64, n: f64) -> BngPoint {
        BngPoint { easting_m: e, northing_m: n }
    }

    #[test]
    fn hulls_count_points_and_cores_largest_first() {
        let points =
            [p(0.0, 0.0), p(100.0, 0.0), p(100.0, 100.0), p(0.0, 100.0), p(50.0, 50.0), p(900.0, 900.0)];
        let labels = [Some(1), Some(1), Some(1), Some(1), Some(1), Some(0)];
        let core = [true, false, true, true, true, true];
        let hulls = cluster_hulls(&points, &labels, Some(&core));
        assert_eq!(hulls.len(), 2);
        assert_eq!((hulls[0].label, hulls[0].count, hulls[0].core_count), (1, 5, Some(4)));
        assert!((hulls[0].area_km2 - 0.01).abs() < 1e-12, "the 100 m square: 0.01 km²");
        assert_eq!(hulls[0].buffered_m, 0.0);
        assert_eq!(hulls[0].outline_bng.exterior().coords().count(), 5, "four corners, closed");
        // One point: no area, drawn as a 10 m octagon (area 2·√2·r² = 282.8 m²).
        assert_eq!((hulls[1].label, hulls[1].count, hulls[1].area_km2), (0, 1, 0.0));
        assert_eq!(hulls[1].buffered_m, DEGENERATE_BUFFER_M);
        assert!((hulls[1].outline_bng.unsigned_area() - 200.0 * std::f64::consts::SQRT_2).abs() < 1e-6);
    }

    #[test]
    fn a_line_of_points_is_drawn_as_a_buffered_strip() {
        let points = [p(0.0, 0.0), p(50.0, 0.0), p(100.0, 0.0)];
        let hulls = cluster_hulls(&points, &[Some(0); 3], None);
        assert_eq!((hulls[0].count, hulls[0].core_count, hulls[0].area_km2), (3, None, 0.0));
        // 100 m long, 20 m wide plus the octagons' ends.
        let drawn = hulls[0].outline_bng.unsigned_area();
        assert!(drawn > 100.0 * 20.0 * 0.99 && drawn < 100.0 * 20.0 + 400.0, "{drawn}");
    }
}
