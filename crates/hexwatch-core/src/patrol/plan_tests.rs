use super::*;
use crate::incident::{FINEST_RESOLUTION, IncidentTableBuilder, NewIncident};
use crate::time::WeekTime;
use crate::units::BngPoint;
use crate::{parse_hours, parse_weekdays};

const BNG: BngPoint = BngPoint { easting_m: 409_400.0, northing_m: 91_900.0 };

/// Two places in Bournemouth 2 km apart; `timed` gives minute-precision Friday/Saturday times.
fn table(timed: bool) -> (IncidentTable, CellIndex, CellIndex) {
    let mut b = IncidentTableBuilder::new();
    let asb = b.category_id("Anti-social behaviour");
    let a = (-1.8800, 50.7200);
    let c = (-1.8520, 50.7230);
    let month = YearMonth::new(2025, 3).expect("valid");
    let mut push = |(lon, lat): (f64, f64), minute_of_week: Option<u16>, weight: f32| {
        let cell = LatLng::new(lat, lon).expect("valid").to_cell(FINEST_RESOLUTION);
        let mut inc = NewIncident::monthly(asb, month, lon, lat, BNG, cell);
        if let Some(m) = minute_of_week {
            inc.precision = TimePrecision::Minute;
            inc.week_time = Some(WeekTime { start_minute: m, window_min: 0 });
        }
        inc.weight = weight;
        b.push(inc);
    };
    // Friday is day 4: Fri 22:30 = 4·1440 + 22·60 + 30 = 7,110; Sat 01:15 = 5·1440 + 75 = 7,275;
    // Tue 10:00 = 1·1440 + 600 = 2,040.
    for m in [7_110, 7_110, 7_275, 2_040] {
        push(a, timed.then_some(m), 1.0);
    }
    for m in [7_110, 2_040, 2_040] {
        push(c, timed.then_some(m), 10.0);
    }
    let t = b.build(None);
    let cell = |(lon, lat): (f64, f64)| LatLng::new(lat, lon).expect("valid").to_cell(Resolution::Nine);
    (t, cell(a), cell(c))
}

fn params(areas: usize) -> PatrolParams {
    PatrolParams {
        resolution: Resolution::Nine,
        shape: PatchShape::Ring { k: 1 },
        areas,
        weighting: Weighting::Incidents,
    }
}

#[test]
fn plan_covers_the_busiest_place_first_with_shares_and_shifts() {
    let (t, a, c) = table(false);
    let plan = plan_patrols(&t, &Filter::default(), &params(2), None).expect("plan");
    assert_eq!(plan.total_incidents, 7);
    assert_eq!(plan.areas.len(), 2);
    assert_eq!(plan.areas[0].incidents, 4);
    assert!(plan.areas[0].cells.contains(&a));
    assert!(plan.areas[1].cells.contains(&c));
    assert!((plan.areas[0].share_of_incidents - 4.0 / 7.0).abs() < 1e-12);
    // March 2025 has 31 days; a shift is a day when no window is given.
    assert_eq!(plan.shifts, 31);
    assert!((plan.areas[0].expected_per_shift - 4.0 / 31.0).abs() < 1e-12);
    assert!(plan.areas[0].hour_of_week.is_none());
    assert!(plan.areas[0].guidance.contains("10–15 minutes"));
    assert!(!plan.windows_used);
    assert!(plan.windows_note.is_none());
    // Two separate 1-ring clusters of candidates: at most 4 disjoint ones touch one.
    assert!(plan.blocking_number <= 4);
}

#[test]
fn harm_weighting_reorders_areas() {
    let (t, _, c) = table(false);
    let mut p = params(1);
    p.weighting = Weighting::Harm;
    let plan = plan_patrols(&t, &Filter::default(), &p, None).expect("plan");
    assert!(plan.areas[0].cells.contains(&c));
    assert!((plan.areas[0].weight - 30.0).abs() < 1e-9);
    assert!((plan.areas[0].share_of_weight - 30.0 / 34.0).abs() < 1e-9);
}

#[test]
fn month_precision_data_cannot_use_shift_windows() {
    let (t, _, _) = table(false);
    let filter = Filter { hours: Some(parse_hours("22-3").expect("valid")), ..Filter::default() };
    let plan = plan_patrols(&t, &filter, &params(1), None).expect("plan");
    assert!(!plan.windows_used);
    assert!(
        plan.windows_note.as_deref().is_some_and(|n| n.contains("could not be used") && n.contains("month"))
    );
    assert_eq!(plan.total_incidents, 7);
}

#[test]
fn shift_windows_give_a_hand_checked_hour_of_week_profile() {
    let (t, a, _) = table(true);
    let filter = Filter {
        hours: Some(parse_hours("22-3").expect("valid")),
        weekdays: Some(parse_weekdays("fri,sat").expect("valid")),
        ..Filter::default()
    };
    let plan = plan_patrols(&t, &filter, &params(2), None).expect("plan");
    assert!(plan.windows_used);
    // Kept: at a, Fri 22:30 ×2 and Sat 01:15; at c, Fri 22:30. Tuesday 10:00 is outside.
    assert_eq!(plan.total_incidents, 4);
    let first = &plan.areas[0];
    assert!(first.cells.contains(&a));
    let profile = first.hour_of_week.as_ref().expect("times known");
    // Fri 22:00 = bin 4·24 + 22 = 118; Sat 01:00 = bin 121.
    assert!((profile[118] - 2.0).abs() < 1e-12);
    assert!((profile[121] - 1.0).abs() < 1e-12);
    assert!((profile.iter().sum::<f64>() - 3.0).abs() < 1e-12);
    assert!(first.guidance.contains("Fri 22:00"));
    // March 2025: Fridays 7, 14, 21, 28 and Saturdays 1, 8, 15, 22, 29 = 9 shifts.
    assert_eq!(plan.shifts, 9);
    assert!((first.expected_per_shift - 3.0 / 9.0).abs() < 1e-12);
}

#[test]
fn radius_patches_hold_the_cells_within_the_radius() {
    let centre = LatLng::new(50.72, -1.88).expect("valid").to_cell(Resolution::Nine);
    let cells = patch_cells(centre, PatchShape::Radius { radius_m: 200.0 });
    // Here res-9 neighbours' centres are 326–350 m away: a 200 m radius holds the centre
    // only, 340 m the centre and four neighbours, 360 m the 1-ring.
    assert_eq!(cells, vec![centre]);
    assert_eq!(patch_cells(centre, PatchShape::Radius { radius_m: 340.0 }).len(), 5);
    assert_eq!(patch_cells(centre, PatchShape::Radius { radius_m: 360.0 }).len(), 7);
}

#[test]
fn bad_parameters_are_refused() {
    let (t, _, _) = table(false);
    assert!(matches!(
        plan_patrols(&t, &Filter::default(), &params(0), None),
        Err(PatrolError::InvalidAreas { value: 0 })
    ));
    let mut p = params(1);
    p.shape = PatchShape::Radius { radius_m: -1.0 };
    assert!(matches!(plan_patrols(&t, &Filter::default(), &p, None), Err(PatrolError::InvalidRadius { .. })));
}

#[test]
fn day_counts_follow_the_calendar() {
    assert_eq!(days_from_civil(1970, 1, 1), 0);
    assert_eq!(days_in_month(YearMonth::new(2024, 2).expect("valid")), 29);
    assert_eq!(days_in_month(YearMonth::new(2025, 2).expect("valid")), 28);
    assert_eq!(hour_of_week_label(118), "Fri 22:00");
}
