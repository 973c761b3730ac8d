//! Inputs and chart of the hotspot-method backtest ([`hexwatch_core::evaluation`]).

use hexwatch_core::evaluation::{BacktestResult, EvalIncident, EvalUnit, Method};
use hexwatch_core::stats::StudyArea;
use hexwatch_core::{Filter, IncidentTable, YearMonth};
use plotters::prelude::*;

use crate::bng::{BngProjector, ProjectionError};

/// The backtest's units (the study area's cells in order, with exact areas and centres in
/// British National Grid metres) and the selected incidents inside the study area.
///
/// # Errors
/// [`ProjectionError`] when a cell centre cannot be projected.
pub fn backtest_inputs(
    table: &IncidentTable,
    filter: &Filter,
    study: &StudyArea,
) -> Result<(Vec<EvalUnit>, Vec<EvalIncident>), ProjectionError> {
    let projector = BngProjector::new();
    let units = study
        .cells()
        .iter()
        .map(|&cell| {
            let ll = h3o::LatLng::from(cell);
            Ok(EvalUnit { cell, area_km2: cell.area_km2(), centre: projector.to_bng(ll.lng(), ll.lat())? })
        })
        .collect::<Result<Vec<_>, ProjectionError>>()?;
    let mask = filter.category_mask(table.categories().len());
    let area = filter.area_test(table);
    let cells = table.location_cells_at(study.resolution());
    let incidents = (0..table.len())
        .filter(|&i| filter.keeps_incident(table, &mask, &area, i))
        .filter_map(|i| {
            let location = table.location_column()[i];
            let unit = study.position(cells[location.index()])?;
            Some(EvalIncident {
                month: table.month_column()[i].ordinal(),
                unit,
                point: table.location_bng(location),
            })
        })
        .collect();
    Ok((units, incidents))
}

/// Month label of an ordinal (`2025-07`).
fn month_label(ordinal: i32) -> String {
    YearMonth::new(ordinal.div_euclid(12), ordinal.rem_euclid(12).unsigned_abs() + 1)
        .map_or_else(|_| ordinal.to_string(), |m| m.to_string())
}

/// Line chart (SVG) of each method's PAI per test month at area share `share`.
///
/// # Errors
/// A message when plotters fails to draw.
pub fn evaluation_chart_svg(result: &BacktestResult, share: f64) -> Result<String, String> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (900, 520)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let at = |m: Method| -> Vec<(i32, f64)> {
            result
                .scores
                .iter()
                .filter(|s| s.method == m && (s.share - share).abs() < 1e-12)
                .filter_map(|s| s.pai.map(|p| (s.month, p)))
                .collect()
        };
        let max_pai = Method::ALL.iter().flat_map(|&m| at(m)).map(|p| p.1).fold(1.0_f64, f64::max);
        let (first, last) = match (result.test_months.first(), result.test_months.last()) {
            (Some(&f), Some(&l)) => (f, l.max(f + 1)),
            _ => (0, 1),
        };
        let mut chart = ChartBuilder::on(&root)
            .caption(
                format!("PAI at {:.0} % of the study area, by test month", share * 100.0),
                ("sans-serif", 22),
            )
            .margin(16)
            .x_label_area_size(40)
            .y_label_area_size(50)
            .build_cartesian_2d(first..last, 0.0..max_pai * 1.1)
            .map_err(|e| e.to_string())?;
        chart
            .configure_mesh()
            .x_desc("test month (trained on all earlier months)")
            .y_desc("PAI")
            .x_label_formatter(&|m| month_label(*m))
            .draw()
            .map_err(|e| e.to_string())?;
        let colours = [
            RGBColor(178, 24, 43),
            RGBColor(33, 102, 172),
            RGBColor(27, 120, 55),
            RGBColor(118, 42, 131),
            RGBColor(230, 97, 1),
        ];
        for (m, colour) in Method::ALL.iter().zip(colours) {
            let points = at(*m);
            chart
                .draw_series(LineSeries::new(points.clone(), colour.stroke_width(2)))
                .map_err(|e| e.to_string())?
                .label(m.as_str())
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], colour.stroke_width(2)));
            chart
                .draw_series(points.iter().map(|&p| Circle::new(p, 3, colour.filled())))
                .map_err(|e| e.to_string())?;
        }
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .draw()
            .map_err(|e| e.to_string())?;
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(svg)
}
