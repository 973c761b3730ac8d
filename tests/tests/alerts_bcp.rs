//! Hotspot alerts on the real data: BCP anti-social behaviour per month and resolution-9
//! study-area cell (2025-01 to 2025-12; July to December have a full six-month baseline).
//! Thirty incidents added to one cell in September raise an alert for that cell and month;
//! the alerts of the real data are printed per month (not asserted: they are our own output).

#![allow(clippy::unwrap_used, clippy::panic, reason = "test set-up fails loudly")]

use h3o::{CellIndex, Resolution};
use hexwatch_core::alerts::{AlertParams, PeriodStatus, SeriesSet, alerts, detect, detect_all};
use hexwatch_core::stats::StudyArea;
use hexwatch_core::{AreaFilter, Filter, IncidentTable, WardIndex, YearMonth, aggregate_cells};

mod common;
use common::{dorset_store, shipped_wards};

const INJECTED: u32 = 30;

struct Bcp {
    table: IncidentTable,
    wards: WardIndex,
    area: StudyArea,
    asb: Filter,
}

fn bcp() -> Bcp {
    let wards = shipped_wards();
    let polygons: Vec<_> = wards.areas.iter().map(|w| w.boundary_wgs84.clone()).collect();
    let area = StudyArea::covering(&polygons, Resolution::Nine).unwrap();
    let wards = wards.index(11.0);
    let (store, _dir) = dorset_store();
    let table = store.load_table(Some(&wards)).unwrap();
    let asb = table.find_category("anti-social-behaviour").unwrap();
    let asb = Filter { categories: Some(vec![asb]), area: AreaFilter::AnyWard, ..Filter::default() };
    Bcp { table, wards, area, asb }
}

fn year_2025() -> (YearMonth, YearMonth) {
    (YearMonth::new(2025, 1).unwrap(), YearMonth::new(2025, 12).unwrap())
}

/// The set with `extra` incidents added to `cell` in `month` (an offset, 8 = September).
fn injected(set: &SeriesSet, cell: CellIndex, month: usize, extra: u32) -> SeriesSet {
    let mut series = set.clone().into_series();
    let s = series.iter_mut().find(|s| s.unit == hexwatch_core::alerts::Unit::Cell(cell)).unwrap();
    s.counts[month] += extra;
    SeriesSet::new(set.period(), set.first(), series).unwrap()
}

#[test]
fn thirty_injected_incidents_raise_an_alert_and_real_alerts_are_listed() {
    let bcp = bcp();
    let (set, outside) =
        SeriesSet::monthly_cells(&bcp.table, &bcp.asb, &bcp.area, year_2025(), "anti-social-behaviour")
            .unwrap();
    // The monthly counts add up to the yearly per-cell counts of the aggregation path.
    assert_eq!(outside, 0);
    let (yearly, _) = bcp.area.counts(&aggregate_cells(&bcp.table, &bcp.asb, Resolution::Nine));
    for (s, y) in set.series().iter().zip(&yearly) {
        assert_eq!(f64::from(s.counts.iter().sum::<u32>()), *y, "{}", s.unit);
    }
    assert_eq!(yearly.iter().sum::<f64>(), 8_619.0);
    assert_eq!((set.periods(), set.series().len()), (12, 1_881));

    // The real data, month by month.
    let params = AlertParams::default();
    let detections = detect_all(&set, params).unwrap();
    for d in &detections {
        let n = d.alerts().count();
        println!(
            "{} {:<22} {} series, {n} alerts ({})",
            d.label,
            d.status.to_string(),
            d.tests.len(),
            d.seasonality
        );
        assert_eq!(d.status == PeriodStatus::Tested, d.offset >= 6, "{}", d.label);
    }
    for a in alerts(&set, &detections) {
        println!(
            "  {} x {} μ̂ {:.2} ratio {} p {:.2e} q {:.2e} first raised {} ({})",
            a.id,
            a.observed,
            a.expected,
            a.ratio.map_or("–".to_owned(), |r| format!("{r:.2}")),
            a.p_value,
            a.q_value,
            a.first_raised_label,
            a.status
        );
    }

    // Injections in September (offset 8): the quietest cell with any ASB, and each neighbour
    // of the busiest cell, 891959710bbffff, and that cell itself.
    let quiet = set
        .series()
        .iter()
        .filter(|s| s.counts.iter().any(|&c| c > 0))
        .min_by_key(|s| (s.counts.iter().sum::<u32>(), s.unit.clone()))
        .unwrap();
    let hexwatch_core::alerts::Unit::Cell(quiet) = quiet.unit else { unreachable!() };
    let busiest: CellIndex = "891959710bbffff".parse().unwrap();
    let mut cells = vec![quiet];
    cells.extend(busiest.grid_disk::<Vec<_>>(1).into_iter().filter(|&c| c != busiest));
    cells.push(busiest);
    let september = 8;
    for cell in cells {
        let series =
            set.series().iter().position(|s| s.unit == hexwatch_core::alerts::Unit::Cell(cell)).unwrap();
        let d = detect(&injected(&set, cell, september, INJECTED), september, params).unwrap();
        assert_eq!(d.label, "2025-09");
        let t = d.tests[series];
        println!(
            "injected {INJECTED} into {cell} in 2025-09: x {} S {} μ̂ {:.2} p {:.2e} q {:.2e} z {:.2} EWMA {:.2} (UCL {:.2}); alert {}; {} alerts in the month",
            t.observed,
            t.baseline_total,
            t.expected,
            t.p_value,
            t.q_value,
            t.wheeler_z,
            t.ewma,
            t.ewma_ucl,
            t.alert,
            d.alerts().count()
        );
        if cell == quiet {
            assert!(t.alert, "no alert for {cell} in 2025-09 after injecting {INJECTED}");
        }
    }
}

/// Ward × category series over the same year: the period family is every ward and category.
#[test]
fn ward_by_category_alerts_are_listed() {
    let bcp = bcp();
    let all = Filter { area: AreaFilter::AnyWard, ..Filter::default() };
    let set = SeriesSet::monthly_wards(&bcp.table, &all, &bcp.wards, year_2025()).unwrap();
    assert_eq!(set.series().len(), bcp.wards.areas().len() * bcp.table.categories().len());
    let total: u64 = set.series().iter().flat_map(|s| &s.counts).map(|&c| u64::from(c)).sum();
    let in_wards = bcp.table.ward_column().iter().filter(|w| w.is_some()).count();
    assert_eq!(total, u64::try_from(in_wards).unwrap());
    let detections = detect_all(&set, AlertParams::default()).unwrap();
    for d in detections.iter().filter(|d| d.status == PeriodStatus::Tested) {
        println!("{}: {} ward × category series, {} alerts", d.label, d.tests.len(), d.alerts().count());
    }
    for a in alerts(&set, &detections) {
        println!("  {} x {} μ̂ {:.2} q {:.2e} ({})", a.id, a.observed, a.expected, a.q_value, a.status);
    }
}
