use super::*;
use crate::stats::StudyArea;
use crate::units::BngPoint;
use h3o::{CellIndex, LatLng, Resolution};

#[test]
fn pai_pei_star_and_rri_on_a_hand_computed_example() {
    // Ten 1 km² units, A = 10 km². Test counts 5 3 2 0 0 1 0 0 4 0 (N = 15); training counts
    // 10 6 4 2 2 4 2 2 6 2 (N₁ = 40). Hotspots: units 0 and 1 (a = 2 km²).
    let areas = [1.0; 10];
    let test = [5, 3, 2, 0, 0, 1, 0, 0, 4, 0];
    let train = [10, 6, 4, 2, 2, 4, 2, 2, 6, 2];
    let ranking = vec![vec![0], vec![1], vec![8], vec![2]];
    // 20 % of A = 2 km²: the first two units; the third would exceed it.
    let (selected, a) = select_by_area(&ranking, &areas, 0.2 * 10.0);
    assert_eq!(selected, vec![0, 1]);
    assert!((a - 2.0).abs() < 1e-12);
    let n: u64 = selected.iter().map(|&u| test[u]).sum();
    let n1: u64 = selected.iter().map(|&u| train[u]).sum();
    assert_eq!((n, n1), (8, 16));
    // Hit rate 8/15; PAI = (8/15)/(2/10) = 8/3.
    assert!((hit_rate(8, 15).expect("N > 0") - 8.0 / 15.0).abs() < 1e-12);
    assert!((pai(n, 15, a, 10.0).expect("defined") - 8.0 / 3.0).abs() < 1e-12);
    // n*: the best 2 km² holds 5 + 4 = 9; PEI* = 8/9.
    let n_star = best_capture(&test, &areas, a);
    assert_eq!(n_star, 9);
    assert!((pei_star(n, n_star).expect("n* > 0") - 8.0 / 9.0).abs() < 1e-12);
    // RRI = (n₂/n₁)/(N₂/N₁) = (8/16)/(15/40) = 4/3.
    assert!((rri(16, 40, n, 15).expect("n₁ > 0") - 4.0 / 3.0).abs() < 1e-12);
}

#[test]
fn undefined_cases_are_none() {
    assert_eq!(rri(0, 40, 3, 15), None);
    assert_eq!(rri(5, 40, 3, 0), None);
    assert_eq!(pai(0, 0, 1.0, 10.0), None);
    assert_eq!(pai(1, 2, 0.0, 10.0), None);
    assert_eq!(pei_star(0, 0), None);
    assert_eq!(hit_rate(0, 0), None);
    // The hotspots lost everything: RRI 0, not undefined.
    assert_eq!(rri(5, 40, 0, 15), Some(0.0));
}

#[test]
fn best_capture_solves_the_knapsack_exactly() {
    // A greedy by count takes the 7 (3 km²) and stops at 7; the best 3 km² is 4 + 4 + 1 = 9.
    let counts = [7, 4, 4, 1];
    let areas = [3.0, 1.0, 1.0, 1.0];
    assert_eq!(best_capture(&counts, &areas, 3.0), 9);
    assert_eq!(best_capture(&counts, &areas, 0.5), 0);
    assert_eq!(best_capture(&counts, &areas, 6.0), 16);
}

#[test]
fn backtest_finds_a_persistent_hotspot() {
    let centre = LatLng::new(50.72, -1.88).expect("valid").to_cell(Resolution::Nine);
    let cells: Vec<CellIndex> = centre.grid_disk(4);
    let study = StudyArea::from_cells(Resolution::Nine, cells);
    let units: Vec<EvalUnit> = study
        .cells()
        .iter()
        .enumerate()
        .map(|(i, &cell)| EvalUnit {
            cell,
            area_km2: cell.area_km2(),
            #[expect(clippy::cast_precision_loss, reason = "small index")]
            centre: BngPoint {
                easting_m: 400_000.0 + 300.0 * (i % 8) as f64,
                northing_m: 90_000.0 + 300.0 * (i / 8) as f64,
            },
        })
        .collect();
    let hot = study.position(centre).expect("in the study area");
    let mut incidents = Vec::new();
    for month in 0..6 {
        for k in 0..10 {
            incidents.push(EvalIncident { month, unit: hot, point: units[hot].centre });
            // A background incident in a different unit each time.
            let u = (month as usize * 10 + k * 7) % units.len();
            incidents.push(EvalIncident { month, unit: u, point: units[u].centre });
        }
    }
    let study_km2: f64 = units.iter().map(|u| u.area_km2).sum();
    let result = backtest(&units, &study, &incidents, &BacktestParams { study_km2, min_training_months: 3 });
    assert_eq!(result.test_months, vec![3, 4, 5]);
    assert_eq!(result.scores.len(), 3 * Method::ALL.len() * AREA_SHARES.len());
    for s in &result.scores {
        assert!(s.n <= s.n_star, "{s:?}");
        assert!(s.a_km2 <= s.share * study_km2 + 1e-12);
    }
    // 61 cells: 3 % and 5 % of the area hold a cell; H3 counts pick the hot one.
    let h3 = result.summary.iter().find(|m| m.method == Method::H3Counts && m.share == 0.03).expect("row");
    assert!(h3.pai.expect("defined") > 10.0, "{h3:?}");
    assert!((h3.pei_star.expect("defined") - 1.0).abs() < 1e-12);
}
