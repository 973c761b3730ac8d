//! Patrol plans and the hotspot-method backtest on the real data (issue 8): BCP 2025
//! anti-social behaviour (plans) and ASB with violence (backtest), resolution-9 cells.

#![allow(clippy::unwrap_used, clippy::panic, reason = "test set-up fails loudly")]

use std::collections::HashSet;

use h3o::Resolution;
use hexwatch_core::evaluation::{AREA_SHARES, BacktestParams, Method, backtest};
use hexwatch_core::patrol::{PatchShape, PatrolParams, Weighting, plan_patrols};
use hexwatch_core::stats::StudyArea;
use hexwatch_core::{AreaFilter, Filter, parse_hours};
use hexwatch_io::{backtest_inputs, patrol_sheet_html};

mod common;
use common::{dorset_store, shipped_wards};

#[test]
fn bcp_ward_union_is_162_08_km2_in_british_national_grid() {
    let wards = shipped_wards();
    let total: f64 = wards.areas.iter().map(hexwatch_core::Area::area_km2).sum();
    assert!((total - 162.08).abs() < 0.005, "{total}");
}

#[test]
fn bcp_asb_plan_has_disjoint_areas_and_says_windows_cannot_be_used() {
    let wards = shipped_wards();
    let polygons: Vec<_> = wards.areas.iter().map(|w| w.boundary_wgs84.clone()).collect();
    let study = StudyArea::covering(&polygons, Resolution::Nine).unwrap();
    let index = wards.index(11.0);
    let (store, _dir) = dorset_store();
    let table = store.load_table(Some(&index)).unwrap();
    let asb = table.find_category("anti-social-behaviour").unwrap();
    let filter = Filter {
        categories: Some(vec![asb]),
        area: AreaFilter::AnyWard,
        hours: Some(parse_hours("22-3").unwrap()),
        ..Filter::default()
    };
    let params = PatrolParams {
        resolution: Resolution::Nine,
        shape: PatchShape::Ring { k: 1 },
        areas: 5,
        weighting: Weighting::Incidents,
    };
    let plan = plan_patrols(&table, &filter, &params, Some(&study)).unwrap();
    assert!(!plan.windows_used);
    assert!(plan.windows_note.as_deref().unwrap().contains("month"));
    assert_eq!(plan.areas.len(), 5);
    assert_eq!(plan.shifts, 365);
    let mut seen = HashSet::new();
    for a in &plan.areas {
        assert_eq!(a.cells.len(), 7);
        for c in &a.cells {
            assert!(seen.insert(*c), "areas overlap at {c}");
        }
        assert!(a.hour_of_week.is_none());
    }
    assert!(plan.areas.windows(2).all(|w| w[0].weight >= w[1].weight));
    assert_eq!(plan.blocking_number, 4);
    let sheet = patrol_sheet_html(&plan, "Patrol plan", "BCP ASB 2025");
    assert!(sheet.contains("<svg") && sheet.contains("size: A4") && sheet.contains("10–15 minutes"));
}

#[test]
fn bcp_backtest_scores_every_method_within_its_area_share() {
    let wards = shipped_wards();
    let polygons: Vec<_> = wards.areas.iter().map(|w| w.boundary_wgs84.clone()).collect();
    let study_km2: f64 = wards.areas.iter().map(hexwatch_core::Area::area_km2).sum();
    let study = StudyArea::covering(&polygons, Resolution::Nine).unwrap();
    let index = wards.index(11.0);
    let (store, _dir) = dorset_store();
    let table = store.load_table(Some(&index)).unwrap();
    let filter = Filter {
        categories: Some(Filter::parse_categories(&table, "anti-social-behaviour,violent-crime").unwrap()),
        area: AreaFilter::AnyWard,
        ..Filter::default()
    };
    let (units, incidents) = backtest_inputs(&table, &filter, &study).unwrap();
    let result = backtest(&units, &study, &incidents, &BacktestParams { study_km2, min_training_months: 3 });
    assert_eq!(result.test_months.len(), 9);
    assert_eq!(result.summary.len(), Method::ALL.len() * AREA_SHARES.len());
    for s in &result.scores {
        assert!(s.n <= s.n_star, "{s:?}");
        assert!(s.a_km2 <= s.share * study_km2 + 1e-9, "{s:?}");
        assert!(s.pai.unwrap() > 1.0, "every method beats chance: {s:?}");
    }
    for m in &result.summary {
        eprintln!(
            "{:<12} {:.0}% PAI {:.2} PEI* {:.3}",
            m.method.as_str(),
            m.share * 100.0,
            m.pai.unwrap(),
            m.pei_star.unwrap()
        );
    }
}

#[test]
fn patrol_plan_and_evaluation_routes_answer() {
    let server = common::start_server();
    let (status, body) = common::get(&format!("{}/api/patrol-plan?area=bcp&areas=3&hours=22-3", server.base));
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    let fc: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(fc["features"].as_array().unwrap().len(), 3);
    assert_eq!(fc["windows_used"], false);
    assert!(fc["windows_note"].as_str().unwrap().contains("could not be used"));
    let (status, body) = common::get(&format!("{}/api/patrol-plan?area=bcp&format=html", server.base));
    assert_eq!(status, 200);
    assert!(String::from_utf8_lossy(&body).contains("<svg"));
    let (status, body) = common::get(&format!("{}/api/patrol-plan?areas=0", server.base));
    assert_eq!(status, 400);
    assert!(String::from_utf8_lossy(&body).contains("areas"));
    let (status, body) = common::get(&format!("{}/api/evaluation?area=bcp", server.base));
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert!((v["study_km2"].as_f64().unwrap() - 162.08).abs() < 0.005);
    assert_eq!(v["test_months"].as_array().unwrap().len(), 9);
    assert_eq!(v["summary"].as_array().unwrap().len(), 15);
    let (status, body) = common::get(&format!("{}/api/evaluation?area=bcp&format=svg", server.base));
    assert_eq!(status, 200);
    assert!(String::from_utf8_lossy(&body).starts_with("<svg"));
}
