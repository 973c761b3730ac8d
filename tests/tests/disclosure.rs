//! The public role through the server and on the real Dorset data: the attacks of the
//! hardening issue each fail to recover a withheld count (a 400/401, or an equation with
//! at least two solutions), partner-only routes need a token, partner responses are
//! private and logged.

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    clippy::cast_possible_truncation,
    reason = "test set-up fails loudly"
)]

mod common;

use std::collections::BTreeMap;

use h3o::{CellIndex, Resolution};
use hexwatch_core::{
    DisclosurePolicy, Filter, Period, PublicArea, PublicCount, PublicCube, YearMonth, aggregate_cells,
};
use mvt_reader::feature::Value as MvtValue;
use serde_json::Value;

use common::{
    PARTNER_TOKEN, data_dir, dorset_store, get, get_as, get_public, shipped_wards, start_server_with,
};

fn json(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(bytes)))
}

fn assert_error(url: &str, token: Option<&str>, status: u16, parameter: &str) -> Value {
    let (s, body) = get_as(url, token);
    let v = json(&body);
    assert_eq!(s, status, "{url}: {v}");
    assert_eq!(v["parameter"], parameter, "{url}: {v}");
    v
}

/// The Dorset 2025 table with the shipped wards, and its public cube.
fn dorset_cube() -> (hexwatch_core::IncidentTable, PublicCube) {
    let (store, _dir) = dorset_store();
    let wards = shipped_wards().index(11.0);
    let table = store.load_table(Some(&wards)).unwrap();
    let cube = PublicCube::build(&table, DisclosurePolicy::default());
    (table, cube)
}

/// The cells of `table` at `res` for a group's members over `period` (by our aggregation,
/// not the cube's), with counts.
fn cells_of(
    table: &hexwatch_core::IncidentTable,
    members: &[hexwatch_core::CategoryId],
    period: Period,
    res: Resolution,
) -> BTreeMap<CellIndex, u64> {
    let (from, to) = period.range().unwrap();
    let filter =
        Filter { categories: Some(members.to_vec()), from: Some(from), to: Some(to), ..Filter::default() };
    aggregate_cells(table, &filter, res).iter().map(|(c, n)| (c, u64::from(n.total()))).collect()
}

/// For a published total and its parts as the public sees them: no part withheld, or at
/// least two whose sum (total − published parts) is at least k. Returns whether any part
/// was withheld.
fn check_total(what: &str, total: PublicCount, parts: &[PublicCount]) -> bool {
    let PublicCount::Count(total) = total else { return false };
    let withheld = parts.iter().filter(|p| **p == PublicCount::Withheld).count();
    let published: u64 = parts.iter().filter_map(|p| p.value()).sum();
    assert!(withheld != 1, "{what}: exactly one withheld part of a published total {total}");
    if withheld >= 2 {
        assert!(total - published >= 5, "{what}: withheld parts sum to {} < k", total - published);
    }
    withheld > 0
}

/// On the real data, no published total has exactly one withheld part (nor withheld parts
/// summing to less than k): parent cells and their children at every public resolution,
/// all crime and its categories, a quarter and its months, the study area and its wards.
/// Children, categories and months are enumerated here with h3o and our own aggregation,
/// not through the cube's relations.
#[test]
fn dorset_no_published_total_reveals_a_withheld_part() {
    let started = std::time::Instant::now();
    let (table, cube) = dorset_cube();
    let (n, withheld) = cube.sizes();
    eprintln!(
        "public cube: {n} counts, {withheld} withheld (store, table and cube in {:?})",
        started.elapsed()
    );
    assert!(withheld > 0 && withheld < n);
    let groups = cube.groups();
    for (g, period) in [
        (0, Period::Year(2025)),
        (0, Period::Month(YearMonth::new(2025, 7).unwrap())),
        (1, Period::Year(2025)),
    ] {
        for r in 5..=9_u8 {
            let res = Resolution::try_from(r).unwrap();
            let cells = cells_of(&table, &groups[g].members, period, res);
            let hidden = cells
                .keys()
                .filter(|c| cube.count(PublicArea::Cell(**c), g, period) == PublicCount::Withheld)
                .count();
            eprintln!(
                "{} {}: resolution {r}: {hidden} of {} cells withheld",
                groups[g].slug,
                period.label(),
                cells.len()
            );
        }
    }
    let ym = |m| YearMonth::new(2025, m).unwrap();
    let periods = [Period::Month(ym(3)), Period::Quarter { year: 2025, quarter: 3 }, Period::Year(2025)];
    let mut with_withheld = 0;
    for slug in ["all", "anti-social-behaviour", "burglary", "violent-crime"] {
        let g = groups.iter().position(|x| x.slug == slug).unwrap();
        for &period in &periods {
            for r in 5..9_u8 {
                let res = Resolution::try_from(r).unwrap();
                let child_res = Resolution::try_from(r + 1).unwrap();
                for parent in cells_of(&table, &groups[g].members, period, res).keys() {
                    let parts: Vec<PublicCount> = parent
                        .children(child_res)
                        .map(|c| cube.count(PublicArea::Cell(c), g, period))
                        .collect();
                    let what = format!("{slug} {period:?} cell {parent} and its children");
                    with_withheld += usize::from(check_total(
                        &what,
                        cube.count(PublicArea::Cell(*parent), g, period),
                        &parts,
                    ));
                }
            }
        }
    }
    assert!(with_withheld > 100, "the data exercise the rule: {with_withheld}");
    for &period in &periods {
        for r in [7_u8, 9] {
            let res = Resolution::try_from(r).unwrap();
            for cell in cells_of(&table, &groups[0].members, period, res).keys() {
                let parts: Vec<PublicCount> = (1..=table.categories().len())
                    .map(|g| cube.count(PublicArea::Cell(*cell), g, period))
                    .collect();
                check_total(
                    &format!("{period:?} cell {cell}: all crime and its categories"),
                    cube.count(PublicArea::Cell(*cell), 0, period),
                    &parts,
                );
            }
        }
        let wards: Vec<PublicCount> = (0..shipped_wards().areas.len())
            .map(|w| cube.count(PublicArea::Ward(w as u16), 0, period))
            .collect();
        check_total(
            &format!("{period:?}: the study area and its wards"),
            cube.count(PublicArea::Wards, 0, period),
            &wards,
        );
    }
    for q in 1..=4_u8 {
        let quarter = Period::Quarter { year: 2025, quarter: q };
        let (from, _) = quarter.range().unwrap();
        for cell in cells_of(&table, &groups[0].members, quarter, Resolution::Nine).keys() {
            let months: Vec<PublicCount> = (0..3)
                .map(|i| cube.count(PublicArea::Cell(*cell), 0, Period::Month(from.add_months(i))))
                .collect();
            check_total(
                &format!("Q{q} cell {cell}: the quarter and its months"),
                cube.count(PublicArea::Cell(*cell), 0, quarter),
                &months,
            );
        }
    }
}

/// Decodes a public `cells` tile: h3 → its properties.
fn tile_cells(
    base: &str,
    z: u8,
    cell: CellIndex,
    query: &str,
    token: Option<&str>,
) -> BTreeMap<String, BTreeMap<String, MvtValue>> {
    let ll = h3o::LatLng::from(cell);
    let n = f64::from(1_u32 << z);
    let x = ((ll.lng() + 180.0) / 360.0 * n).floor() as u32;
    let r = ll.lat().to_radians();
    let y = ((1.0 - (r.tan() + 1.0 / r.cos()).ln() / std::f64::consts::PI) / 2.0 * n).floor() as u32;
    let (status, bytes) = get_as(&format!("{base}/tiles/cells/{z}/{x}/{y}?{query}"), token);
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&bytes));
    let reader = mvt_reader::Reader::new(bytes).unwrap();
    let mut out = BTreeMap::new();
    for f in reader.get_features(0).unwrap_or_default() {
        let props: BTreeMap<String, MvtValue> = f.properties.unwrap().into_iter().collect();
        let Some(MvtValue::String(h3)) = props.get("h3") else { panic!("h3") };
        out.insert(h3.clone(), props);
    }
    out
}

/// Attack 1 through the tiles: a published resolution-8 cell minus its published
/// resolution-9 children never leaves exactly one withheld child; withheld cells carry
/// `withheld` and no count; the partner sees every count.
#[test]
fn public_tiles_parent_minus_children_and_partner_counts() {
    let server = start_server_with(true, |_| {});
    let (table, cube) = dorset_cube();
    let year = Period::Year(2025);
    // A resolution-8 parent of the data with a withheld child (the first in cell order).
    let parents = cells_of(&table, &cube.groups()[0].members, year, Resolution::Eight);
    let parent = parents
        .keys()
        .find(|p| {
            cube.count(PublicArea::Cell(**p), 0, year).value().is_some()
                && p.children(Resolution::Nine)
                    .any(|c| cube.count(PublicArea::Cell(c), 0, year) == PublicCount::Withheld)
        })
        .copied()
        .unwrap();
    let r8 = tile_cells(&server.base, 11, parent, "", None);
    let Some(MvtValue::UInt(total)) = r8[&parent.to_string()].get("count") else {
        panic!("parent published")
    };
    let r9 = tile_cells(&server.base, 13, parent, "", None);
    let mut withheld = 0;
    let mut published = 0;
    for child in parent.children(Resolution::Nine) {
        let Some(props) = r9.get(&child.to_string()) else { continue };
        match (props.get("count"), props.get("withheld")) {
            (Some(MvtValue::UInt(n)), None) => published += n,
            (None, Some(MvtValue::UInt(1))) => withheld += 1,
            other => panic!("{child}: {other:?}"),
        }
    }
    assert!(withheld >= 2, "{parent}: {withheld} withheld children");
    assert!(total - published >= 5, "the withheld children's sum has several splits");
    // The partner sees the exact counts.
    let partner = tile_cells(&server.base, 13, parent, "", Some(PARTNER_TOKEN));
    let exact: u64 = parent
        .children(Resolution::Nine)
        .filter_map(|c| match partner.get(&c.to_string())?.get("count") {
            Some(MvtValue::UInt(n)) => Some(*n),
            _ => None,
        })
        .sum();
    assert_eq!(exact, *total);
    assert!(partner.values().all(|p| p.get("withheld").is_none()));
}

/// Attacks 2 and 3 through the API: an "all but one" category list and a Jan–Jun or
/// Jan–May range are 400s naming the parameter; the public summary's months and
/// categories never leave exactly one withheld part of the published year.
#[test]
fn public_api_refuses_differencing_and_summaries_hold() {
    let server = start_server_with(true, |_| {});
    let b = &server.base;
    let all_but_asb = "bicycle-theft,burglary,criminal-damage-arson,drugs,other-theft,possession-of-weapons,\
                       public-order,robbery,shoplifting,theft-from-the-person,vehicle-crime,violent-crime,other-crime";
    assert_error(&format!("{b}/api/summary?category={all_but_asb}"), None, 400, "category");
    assert_error(&format!("{b}/tiles/cells/13/4070/2760?category={all_but_asb}"), None, 400, "category");
    assert_error(&format!("{b}/api/summary?from=2025-01&to=2025-06"), None, 400, "to");
    assert_error(&format!("{b}/api/summary?from=2025-01&to=2025-05"), None, 400, "to");
    assert_error(&format!("{b}/api/summary?from=2025-02&to=2025-04"), None, 400, "from");
    assert_error(&format!("{b}/api/summary?hours=22-3"), None, 400, "hours");
    assert_error(&format!("{b}/api/summary?area=lsoa:E01015232"), None, 400, "area");
    assert_error(&format!("{b}/tiles/cells/13/4070/2760?area=lsoa:E01015232"), None, 400, "area");
    assert_error(&format!("{b}/tiles/cells/13/4070/2760?res=10"), None, 400, "res");
    assert_error(&format!("{b}/tiles/cells/13/4070/2760?category=violent-crime&res=8"), None, 400, "res");
    assert_error(&format!("{b}/tiles/cells/13/4070/2760?method=moran"), None, 400, "method");
    // The partner may ask for any of them.
    assert_eq!(get(&format!("{b}/api/summary?from=2025-01&to=2025-06&category={all_but_asb}")).0, 200);

    // Fixed periods and groups are served; every total holds.
    let (_, cube) = dorset_cube();
    for (query, slug) in [
        ("", "all"),
        ("category=anti-social-behaviour", "anti-social-behaviour"),
        ("category=acquisitive", "acquisitive"),
    ] {
        let (s, body) = get_public(&format!("{b}/api/summary?{query}"));
        let v = json(&body);
        assert_eq!(s, 200, "{v}");
        assert_eq!(v["period"], "2025");
        assert_eq!(v["hour_of_week"]["available"], false);
        let g = cube.groups().iter().position(|x| x.slug == slug).unwrap();
        assert_eq!(v["incidents"].as_u64(), cube.count(PublicArea::All, g, Period::Year(2025)).value());
        let to_count = |x: &Value| {
            if x["withheld"] == true {
                PublicCount::Withheld
            } else {
                PublicCount::Count(x["count"].as_u64().unwrap())
            }
        };
        let months: Vec<PublicCount> = v["by_month"].as_array().unwrap().iter().map(to_count).collect();
        assert_eq!(months.len(), 12);
        let total = PublicCount::Count(v["incidents"].as_u64().unwrap());
        check_total(&format!("{slug}: the year and its months"), total, &months);
        let categories: Vec<PublicCount> =
            v["by_category"].as_array().unwrap().iter().map(to_count).collect();
        check_total(&format!("{slug}: the year and its categories"), total, &categories);
    }
    // A quarter and a month are fixed periods too.
    let (s, body) = get_public(&format!("{b}/api/summary?from=2025-04&to=2025-06&area=bcp"));
    assert_eq!(s, 200, "{}", String::from_utf8_lossy(&body));
    assert_eq!(json(&body)["period"], "2025-Q2");
    let wards = json(&get_public(&format!("{b}/api/wards?category=burglary&from=2025-03&to=2025-03")).1);
    let list = wards["wards"].as_array().unwrap();
    assert!(list.iter().any(|w| w["withheld"] == true), "some ward has fewer than 5 burglaries in March");
    assert!(list.iter().all(|w| (w["withheld"] == true) == w["count"].is_null()));
}

/// Attack 4 through the tiles: the public Gi* tile carries the bin only (no z, p or count).
#[test]
fn public_gi_star_tiles_carry_bins_only() {
    let server = start_server_with(true, |_| {});
    let cell = h3o::LatLng::new(50.7205, -1.8800).unwrap().to_cell(Resolution::Nine);
    let public = tile_cells(&server.base, 13, cell, "method=gistar&permutations=0", None);
    assert!(!public.is_empty());
    for props in public.values() {
        let keys: Vec<&str> = props.keys().map(String::as_str).collect();
        assert_eq!(keys, ["gi_bin", "h3", "res"]);
    }
    let partner = tile_cells(&server.base, 13, cell, "method=gistar&permutations=0", Some(PARTNER_TOKEN));
    assert!(partner.values().all(|p| p.contains_key("gi_z") && p.contains_key("count")));
}

/// Attack 5 through the API: the public density surface masks where the kernel support
/// holds fewer than 5 incidents: with a 60 m bandwidth over one month of bicycle thefts
/// (scattered), the public peak is below the partner's, and the TileJSON does not give the
/// incident count.
#[test]
fn public_density_is_masked_where_support_is_thin() {
    let server = start_server_with(true, |_| {});
    let q = "category=bicycle-theft&from=2025-03&to=2025-03&area=bcp&bandwidth_m=60&cell_size_m=20";
    let public = json(&get_public(&format!("{}/tiles/density?{q}", server.base)).1);
    let partner = json(&get(&format!("{}/tiles/density?{q}", server.base)).1);
    assert!(public.get("incidents").is_none(), "{public}");
    assert!(partner["incidents"].as_f64().is_some_and(|n| n > 0.0), "{partner}");
    assert!(public["masked"].as_str().unwrap().contains("fewer than 5"));
    let (pp, qp) = (
        public["peak_density_per_km2_month"].as_f64(),
        partner["peak_density_per_km2_month"].as_f64().unwrap(),
    );
    // One incident's quartic peak at h = 60 m: 3/(π·60²)·1e6 ≈ 265 per km² per month.
    let one = 3.0 / (std::f64::consts::PI * 60.0 * 60.0) * 1e6;
    assert!(qp >= one * 0.8, "{qp}");
    assert!(pp.is_none_or(|p| p < qp), "{pp:?} vs {qp}");
}

/// Partner-only routes are 401 for the public role; a wrong token is 401 (not the public
/// map); partner responses are private and logged by partner name, never by token.
#[test]
fn tokens_roles_cache_headers_and_access_log() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("access.log");
    let log_path = log.clone();
    let server = start_server_with(true, move |c| c.access_log = Some(log_path));
    let b = &server.base;
    let cell = "8919521ac03ffff";
    for route in [
        format!("/api/cells/{cell}"),
        "/api/hotspots".to_owned(),
        "/api/wards/E05012649".to_owned(),
        "/api/lsoas".to_owned(),
        "/api/patrol-plan".to_owned(),
        "/api/evaluation".to_owned(),
        "/api/alerts".to_owned(),
        "/tiles/clusters".to_owned(),
        // Percent-encoded: the router matches the raw path but decodes the layer capture.
        "/tiles/%63lusters".to_owned(),
        "/tiles/%63lusters/13/4053/2752".to_owned(),
        "/api/wards/%45%30%35%30%31%32%36%34%39".to_owned(),
    ] {
        let v = assert_error(&format!("{b}{route}"), None, 401, "Authorization");
        assert!(v["error"].as_str().unwrap().contains("partner token"), "{v}");
    }
    assert_error(&format!("{b}/api/summary"), Some("not-a-partner-token-at-all"), 401, "Authorization");
    // The all-time total is the partner's: with the published year totals it would give a
    // withheld year.
    assert_eq!(json(&common::get_public(&format!("{b}/api/health")).1)["incidents"], Value::Null);
    assert!(json(&common::get(&format!("{b}/api/health")).1)["incidents"].as_u64().unwrap() > 0);
    let agent = ureq::Agent::config_builder().http_status_as_error(false).build().new_agent();
    let partner = agent
        .get(&format!("{b}/api/summary?from=2025-01&to=2025-02"))
        .header("Authorization", &common::partner_bearer())
        .call()
        .unwrap();
    assert_eq!(partner.status().as_u16(), 200);
    let h = partner.headers();
    assert!(h.get("cache-control").unwrap().to_str().unwrap().starts_with("private"));
    assert!(h.get_all("vary").iter().any(|v| v.to_str().unwrap().contains("Authorization")));
    let public = agent.get(&format!("{b}/api/summary")).call().unwrap();
    assert!(public.headers().get_all("vary").iter().any(|v| v.to_str().unwrap().contains("Authorization")));
    let text = std::fs::read_to_string(&log).unwrap();
    let lines: Vec<Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let line = lines.iter().find(|l| l["path"] == "/api/summary?from=2025-01&to=2025-02").unwrap();
    assert_eq!(
        (line["partner"].as_str(), line["method"].as_str(), line["status"].as_u64()),
        (Some("e2e"), Some("GET"), Some(200))
    );
    assert!(line["time"].as_str().unwrap().starts_with("20") && line["ms"].as_f64().is_some());
    assert!(!text.contains(PARTNER_TOKEN), "the token is never logged");
    assert!(lines.iter().all(|l| l["partner"] == "e2e"), "public requests are not logged");
    let _ = data_dir();
}
