//! The disclosure rule: hand-worked suppression, and the attacks of the hardening issue on
//! the public role, each failing to recover a withheld count.

use super::*;
use crate::incident::{FINEST_RESOLUTION, IncidentTableBuilder, NewIncident};
use crate::kde::{GridSpec, Kernel, WeightedPoint, kde_exact};
use crate::stats::StudyArea;
use crate::units::BngPoint;
use h3o::LatLng;

/// Every assignment of positive whole numbers to the withheld parts of `relation` (the
/// total published) that matches the published total: what an attacker who knows the
/// rule can still believe. At most `cap` values per part are tried.
fn solutions(relation: &Relation, values: &[u64], withheld: &[bool], cap: u64) -> Vec<Vec<u64>> {
    assert!(!withheld[relation.total], "the total is published");
    let published: u64 = relation.parts.iter().filter(|p| !withheld[**p]).map(|p| values[*p]).sum();
    let unknown: Vec<usize> = relation.parts.iter().copied().filter(|p| withheld[*p]).collect();
    let target = values[relation.total] - published;
    let mut out = Vec::new();
    let mut current = vec![1_u64; unknown.len()];
    if unknown.is_empty() {
        return out;
    }
    loop {
        if current.iter().sum::<u64>() == target {
            out.push(current.clone());
        }
        let mut i = 0;
        loop {
            if i == current.len() {
                return out;
            }
            current[i] += 1;
            if current[i] <= cap {
                break;
            }
            current[i] = 1;
            i += 1;
        }
    }
}

#[test]
fn primary_rule_withholds_one_to_four_and_publishes_zero() {
    let policy = DisclosurePolicy::default();
    assert_eq!(policy.min_count, 5);
    assert_eq!(policy.visible_count(Role::Public, 0), Some(0));
    for c in 1..5 {
        assert_eq!(policy.visible_count(Role::Public, c), None, "{c}");
        assert_eq!(policy.visible_count(Role::Partner, c), Some(c));
    }
    assert_eq!(policy.visible_count(Role::Public, 5), Some(5));
}

/// Hand-worked: total 10 = 7 + 3 (k = 5). 3 is withheld; alone it would be 10 − 7, so the
/// 7 goes too. Total 9 = 7 + 1 + 1: the two 1s sum to 2 < k (9 − 7 = 2 reveals both), so the
/// 7 goes. Total 12 = 7 + 3 + 2: 3 + 2 = 5 ≥ k, nothing more.
#[test]
fn complementary_suppression_by_hand() {
    // 0:10 1:7 2:3 | 3:9 4:7 5:1 6:1 | 7:12 8:7 9:3 10:2
    let values = [10, 7, 3, 9, 7, 1, 1, 12, 7, 3, 2];
    let relations = [
        Relation { total: 0, parts: vec![1, 2] },
        Relation { total: 3, parts: vec![4, 5, 6] },
        Relation { total: 7, parts: vec![8, 9, 10] },
    ];
    let withheld = suppress(&values, &[false; 11], &relations, 5);
    let got: Vec<usize> = (0..11).filter(|i| withheld[*i]).collect();
    assert_eq!(got, [1, 2, 4, 5, 6, 9, 10]);
    for r in &relations {
        let s = solutions(r, &values, &withheld, 20);
        assert!(s.len() >= 2, "{r:?}: {s:?}");
    }
}

/// A withheld total (a forced one: not published at all) with every part published would
/// be their sum: the smallest part is withheld. A published total whose only non-zero
/// part is withheld is withheld itself (it equals the part).
#[test]
fn withheld_total_and_lone_part() {
    // 0 (forced) = 1:6 + 2:8 ; 3:6 = 4:6 (forced) + 5:0
    let values = [14, 6, 8, 6, 6, 0];
    let forced = [true, false, false, false, true, false];
    let relations = [Relation { total: 0, parts: vec![1, 2] }, Relation { total: 3, parts: vec![4, 5] }];
    let withheld = suppress(&values, &forced, &relations, 5);
    assert_eq!(withheld, [true, true, false, true, true, false]);
}

// ---------------------------------------------------------------------------------------
// A hand-built table near Bournemouth: every count below is written by hand.

const ASB: &str = "Anti-social behaviour";
const BURGLARY: &str = "Burglary";
const VIOLENCE: &str = "Violence and sexual offences";

/// Two sibling resolution-9 cells under one resolution-8 parent.
fn siblings() -> (CellIndex, CellIndex, CellIndex) {
    let a = LatLng::new(50.7200, -1.8800).unwrap().to_cell(Resolution::Nine);
    let parent = a.parent(Resolution::Eight).unwrap();
    let b = parent.children(Resolution::Nine).find(|c| *c != a).unwrap();
    (a, b, parent)
}

/// `(cell, category, month, n)`: n incidents at the cell's centre.
fn table_of(rows: &[(CellIndex, &str, u32, usize)]) -> IncidentTable {
    let mut b = IncidentTableBuilder::new();
    for name in [ASB, BURGLARY, VIOLENCE] {
        b.category_id(name);
    }
    for &(cell, name, month, n) in rows {
        let ll = LatLng::from(cell);
        let category = b.category_id(name);
        for _ in 0..n {
            b.push(NewIncident::monthly(
                category,
                YearMonth::new(2025, month).unwrap(),
                ll.lng(),
                ll.lat(),
                BngPoint { easting_m: 0.0, northing_m: 0.0 },
                ll.to_cell(FINEST_RESOLUTION),
            ));
        }
    }
    b.build(None)
}

fn group(cube: &PublicCube, slug: &str) -> usize {
    cube.groups().iter().position(|g| g.slug == slug).unwrap()
}

/// Attack 1, parent minus the sum of its children: 7 burglaries in cell A and 3 in its
/// sibling B (January). The parent shows 10; B's 3 is withheld, and so is A's 7, so
/// 10 − (published children) = A + B has solutions 7+3, 6+4, 5+5, ….
#[test]
fn attack_parent_minus_children_fails() {
    let (a, b, parent) = siblings();
    let table = table_of(&[(a, BURGLARY, 1, 7), (b, BURGLARY, 1, 3)]);
    let cube = PublicCube::build(&table, DisclosurePolicy::default());
    let (g, jan) = (group(&cube, "burglary"), Period::Month(YearMonth::new(2025, 1).unwrap()));
    assert_eq!(cube.count(PublicArea::Cell(parent), g, jan), PublicCount::Count(10));
    assert_eq!(cube.count(PublicArea::Cell(b), g, jan), PublicCount::Withheld);
    assert_eq!(cube.count(PublicArea::Cell(a), g, jan), PublicCount::Withheld);
    // The attacker: 10 minus every published child of the parent.
    let published: u64 = parent
        .children(Resolution::Nine)
        .filter_map(|c| cube.count(PublicArea::Cell(c), g, jan).value())
        .sum();
    let unknown = 10 - published;
    let candidates: Vec<(u64, u64)> = (1..unknown).map(|x| (x, unknown - x)).collect();
    assert!(candidates.len() >= 2 && candidates.contains(&(3, 7)), "{candidates:?}");
    assert!(cube.violations().is_empty());
}

/// Attack 2, all categories minus all but one: cell A has 8 ASB and 2 burglaries. All
/// crime shows 10; burglary is withheld, and so is ASB (the only other part). There is no
/// "all but burglary" group for the public role to ask for.
#[test]
fn attack_all_categories_minus_all_but_one_fails() {
    let (a, _, _) = siblings();
    let table = table_of(&[(a, ASB, 1, 8), (a, BURGLARY, 1, 2)]);
    let cube = PublicCube::build(&table, DisclosurePolicy::default());
    let jan = Period::Month(YearMonth::new(2025, 1).unwrap());
    let cell = PublicArea::Cell(a);
    assert_eq!(cube.count(cell, 0, jan), PublicCount::Count(10));
    assert_eq!(cube.count(cell, group(&cube, "burglary"), jan), PublicCount::Withheld);
    assert_eq!(cube.count(cell, group(&cube, "anti-social-behaviour"), jan), PublicCount::Withheld);
    // "All but burglary" (ASB + violence) is not a fixed group.
    let all_but_one = [table.find_category(ASB).unwrap(), table.find_category(VIOLENCE).unwrap()];
    assert_eq!(group_of(cube.groups(), Some(&all_but_one)), None);
    assert!(cube.violations().is_empty());
}

/// Attack 3, Jan–Jun minus Jan–May: neither range is a fixed period (a 400 naming `to`);
/// and Q2 minus April minus May: 6 in April, 5 in May, 2 in June — June is withheld, and
/// May (the smallest published month) with it, so Q2 − April = May + June has solutions
/// 5+2, 4+3, ….
#[test]
fn attack_period_differences_fail() {
    let (a, _, _) = siblings();
    let latest = YearMonth::new(2025, 12).unwrap();
    let ym = |m| YearMonth::new(2025, m).unwrap();
    for (from, to) in [(1, 6), (1, 5), (2, 4), (11, 12)] {
        let e = public_period(Some(ym(from)), Some(ym(to)), latest).unwrap_err();
        assert!(["from", "to"].contains(&e.parameter), "{e:?}");
    }
    assert_eq!(public_period(Some(ym(1)), Some(ym(6)), latest).unwrap_err().parameter, "to");
    assert_eq!(
        public_period(Some(ym(4)), Some(ym(6)), latest),
        Ok(Period::Quarter { year: 2025, quarter: 2 })
    );
    assert_eq!(public_period(Some(ym(1)), Some(ym(12)), latest), Ok(Period::Year(2025)));
    assert_eq!(public_period(Some(ym(3)), Some(ym(3)), latest), Ok(Period::Month(ym(3))));
    assert_eq!(public_period(None, None, latest), Ok(Period::Year(2025)));
    assert_eq!(public_period(Some(ym(3)), None, latest).unwrap_err().parameter, "to");

    let table = table_of(&[(a, ASB, 4, 6), (a, ASB, 5, 5), (a, ASB, 6, 2)]);
    let cube = PublicCube::build(&table, DisclosurePolicy::default());
    let (g, cell) = (group(&cube, "anti-social-behaviour"), PublicArea::Cell(a));
    assert_eq!(cube.count(cell, g, Period::Quarter { year: 2025, quarter: 2 }), PublicCount::Count(13));
    assert_eq!(cube.count(cell, g, Period::Month(ym(4))), PublicCount::Count(6));
    assert_eq!(cube.count(cell, g, Period::Month(ym(5))), PublicCount::Withheld);
    assert_eq!(cube.count(cell, g, Period::Month(ym(6))), PublicCount::Withheld);
    assert!(cube.violations().is_empty());
}

/// Sensitive categories: violence at resolution 8 and 9 is never published, and a cell's
/// other categories hide it (all crime minus ASB would otherwise give it). At resolution 7
/// it is published when it spreads over at least two resolution-8 cells (6 and 4 here);
/// held in one, it would give that cell's count away and is withheld.
#[test]
fn sensitive_category_only_at_coarse_resolution() {
    let (a, _, _) = siblings();
    let r7 = a.parent(Resolution::Seven).unwrap();
    let a8 = a.parent(Resolution::Eight).unwrap();
    let c8 = r7.children(Resolution::Eight).find(|c| *c != a8).unwrap();
    let c = c8.center_child(Resolution::Nine).unwrap();
    let jan = Period::Month(YearMonth::new(2025, 1).unwrap());
    let table = table_of(&[(a, ASB, 1, 9), (a, VIOLENCE, 1, 6), (c, ASB, 1, 7), (c, VIOLENCE, 1, 4)]);
    let cube = PublicCube::build(&table, DisclosurePolicy::default());
    let v = group(&cube, "violent-crime");
    assert!(cube.groups()[v].sensitive);
    assert_eq!(cube.count(PublicArea::Cell(a), v, jan), PublicCount::Withheld);
    assert_eq!(cube.count(PublicArea::Cell(a8), v, jan), PublicCount::Withheld);
    assert_eq!(cube.count(PublicArea::Cell(r7), v, jan), PublicCount::Count(10));
    assert_eq!(
        cube.count(PublicArea::Cell(a), group(&cube, "anti-social-behaviour"), jan),
        PublicCount::Withheld
    );
    assert_eq!(cube.count(PublicArea::Cell(a), 0, jan), PublicCount::Count(15));
    assert!(cube.violations().is_empty());

    let lone =
        PublicCube::build(&table_of(&[(a, ASB, 1, 9), (a, VIOLENCE, 1, 6)]), DisclosurePolicy::default());
    assert_eq!(lone.count(PublicArea::Cell(r7), v, jan), PublicCount::Withheld);
    assert_eq!(DisclosurePolicy::default().public_resolution(Resolution::Eleven, true), Resolution::Seven);
    assert_eq!(DisclosurePolicy::default().public_resolution(Resolution::Eleven, false), Resolution::Nine);
}

/// Attack 4, z-score to count inversion on a 7-cell patch: a cell with a withheld count
/// (1 to 4) among six published neighbours. With z, the global mean and sd published, z
/// gives the patch's sum and so the count; the public role gets bins computed with the
/// withheld count entered as k/2, identical for every possible value. (Without that, the
/// z-score itself differs for each value: the inversion would work.)
#[test]
fn attack_gi_star_inversion_fails() {
    let centre = LatLng::new(50.7200, -1.8800).unwrap().to_cell(Resolution::Nine);
    let area = StudyArea::from_cells(Resolution::Nine, centre.grid_disk::<Vec<_>>(4));
    let w = Neighbours::k_ring(&area, 1, true);
    let at = area.position(centre).unwrap();
    let mut counts: Vec<f64> = (0..area.len()).map(|i| [0.0, 6.0, 0.0, 9.0, 0.0][i % 5]).collect();
    for n in centre.grid_disk::<Vec<_>>(1) {
        if n != centre {
            counts[area.position(n).unwrap()] = 12.0;
        }
    }
    let withheld: Vec<bool> = (0..area.len()).map(|i| i == at).collect();
    let mut public = Vec::new();
    let mut raw_z = Vec::new();
    for value in 1..5 {
        counts[at] = f64::from(value);
        public.push(public_gi_bins(&counts, &withheld, &w, 5));
        raw_z.push(gi_star(&counts, &w, GiStarParams::default()).z[at]);
    }
    assert!(public.windows(2).all(|p| p[0] == p[1]), "public bins depend on the withheld count");
    assert!(raw_z.windows(2).all(|z| (z[0] - z[1]).abs() > 1e-6), "the raw z would reveal it: {raw_z:?}");
}

/// Attack 5, density peak of an isolated incident: alone, its quartic peak 3/(πh²) gives
/// its weight away. The public surface masks every cell whose support (radius = bandwidth)
/// holds fewer than 5 incidents: the isolated incident's surroundings are NoData, the
/// cluster of 12 is shown.
#[test]
fn attack_density_peak_of_isolated_incident_fails() {
    let mut points = vec![WeightedPoint { easting_m: 1_000.0, northing_m: 1_000.0, weight: 1.0 }];
    points.extend((0..12).map(|i| WeightedPoint {
        easting_m: 5_000.0 + f64::from(i) * 10.0,
        northing_m: 5_000.0,
        weight: 1.0,
    }));
    let h = 400.0;
    let spec = GridSpec::over_extent(0.0, 0.0, 6_000.0, 6_000.0, Some(50.0)).unwrap();
    let mut grid = kde_exact(&points, &spec, Kernel::Quartic, h, 1, &|_, _| true);
    let sum = KernelSum::new(&points, Kernel::Quartic, h, 1);
    let peak_of_one = 3.0 / (std::f64::consts::PI * h * h) * 1e6;
    let near_isolated = |g: &DensityGrid| {
        (0..spec.nrows)
            .flat_map(|r| (0..spec.ncols).map(move |c| (r, c)))
            .filter(|&(r, c)| {
                let (x, y) = spec.centre(r, c);
                (x - 1_000.0).hypot(y - 1_000.0) < h
            })
            .map(|(r, c)| g.get(r, c))
            .collect::<Vec<f64>>()
    };
    let before = near_isolated(&grid).into_iter().fold(0.0, f64::max);
    assert!((before - peak_of_one).abs() / peak_of_one < 0.05, "{before} vs {peak_of_one}");
    let masked = mask_sparse_density(&mut grid, &sum, 5);
    assert!(masked > 0);
    assert!(near_isolated(&grid).iter().all(|v| v.is_nan()));
    let (x, y) = (5_050.0, 5_000.0);
    let col = ((x - spec.xmin_m) / spec.cell_size_m) as usize;
    let row = ((spec.ymax_m - y) / spec.cell_size_m) as usize;
    assert!(grid.get(row, col) > 0.0, "the cluster stays visible");
}

#[test]
fn periods_nest_and_step_back() {
    let m = YearMonth::new(2025, 2).unwrap();
    assert_eq!(Period::Month(m).parent(), Some(Period::Quarter { year: 2025, quarter: 1 }));
    assert_eq!(Period::Quarter { year: 2025, quarter: 1 }.parent(), Some(Period::Year(2025)));
    assert_eq!(
        Period::Quarter { year: 2025, quarter: 1 }.previous(),
        Period::Quarter { year: 2024, quarter: 4 }
    );
    assert_eq!(
        Period::Quarter { year: 2025, quarter: 4 }.range().unwrap().1,
        YearMonth::new(2025, 12).unwrap()
    );
    assert_eq!(Period::Year(2025).label(), "2025");
}

/// Every relation of a cube adds up: its total is the sum of its parts (a relation that
/// mixed two breakdowns of one total, e.g. cells and wards of all incidents, would not).
#[test]
fn every_relation_adds_up() {
    let (a, b, _) = siblings();
    let far = LatLng::new(50.7600, -1.9500).unwrap().to_cell(Resolution::Nine);
    let table =
        table_of(&[(a, ASB, 1, 7), (b, BURGLARY, 2, 3), (far, VIOLENCE, 4, 9), (far, BURGLARY, 12, 2)]);
    let cube = PublicCube::build(&table, DisclosurePolicy::default());
    assert!(cube.relations.len() > 50);
    for r in &cube.relations {
        let sum: u64 = r.parts.iter().map(|p| cube.values[*p]).sum();
        assert_eq!(cube.values[r.total], sum, "{r:?}");
    }
    assert!(cube.violations().is_empty());
}

/// The same table gives the same withheld set every time (the cube is rebuilt on every
/// restart; two patterns of one table could be combined).
#[test]
fn the_withheld_set_is_the_same_every_build() {
    let (a, b, _) = siblings();
    let far = LatLng::new(50.7600, -1.9500).unwrap().to_cell(Resolution::Nine);
    let rows: Vec<(CellIndex, &str, u32, usize)> = (1..=12)
        .flat_map(|m| {
            [(a, ASB, m, (m as usize) % 4 + 1), (b, BURGLARY, m, 2), (far, ASB, m, 3), (far, VIOLENCE, m, 1)]
        })
        .collect();
    let table = table_of(&rows);
    let first = PublicCube::build(&table, DisclosurePolicy::default());
    for _ in 0..5 {
        let again = PublicCube::build(&table, DisclosurePolicy::default());
        assert_eq!(again.withheld, first.withheld);
        assert_eq!(again.values, first.values);
    }
}
