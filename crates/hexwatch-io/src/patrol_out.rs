//! Patrol plan exports: GeoJSON, CSV and the printable patrol sheet (HTML with an SVG map).

use std::fmt::Write as _;

use hexwatch_core::patrol::{PatrolArea, PatrolPlan, hour_of_week_label};
use serde_json::json;

/// The plan as an RFC 7946 FeatureCollection: one feature per patrol area, a MultiPolygon of
/// its hexagons (WGS84), with properties `rank`, `centre_h3`, `cells`, `area_km2`,
/// `incidents`, `weight`, `share_of_incidents`, `share_of_weight`, `expected_per_shift`,
/// `busiest_hours`, `hour_of_week` (168 aoristic counts from Monday 00:00, or null for
/// month-only data) and `guidance`. The collection's foreign members carry the plan's
/// figures (`total_incidents`, `shifts`, `windows_used`, `windows_note`, `blocking_number`,
/// `guarantee`).
#[must_use]
pub fn patrol_geojson(plan: &PatrolPlan) -> geojson::FeatureCollection {
    let features = plan
        .areas
        .iter()
        .map(|a| {
            let polygons: Vec<geo::Polygon<f64>> =
                a.cells.iter().flat_map(|&c| geo::MultiPolygon::from(c).0).collect();
            let mp = geo::MultiPolygon::new(polygons);
            let mut f = geojson::Feature::from(geojson::Geometry::from(geojson::GeometryValue::from(&mp)));
            f.set_property("rank", a.rank);
            f.set_property("centre_h3", a.centre.to_string());
            f.set_property("cells", a.cells.iter().map(ToString::to_string).collect::<Vec<_>>());
            f.set_property("area_km2", a.area_km2);
            f.set_property("incidents", a.incidents);
            f.set_property("weight", a.weight);
            f.set_property("share_of_incidents", a.share_of_incidents);
            f.set_property("share_of_weight", a.share_of_weight);
            f.set_property("expected_per_shift", a.expected_per_shift);
            f.set_property("busiest_hours", busiest_hours(a));
            f.set_property("hour_of_week", a.hour_of_week.clone());
            f.set_property("guidance", a.guidance.clone());
            f
        })
        .collect();
    let mut members = serde_json::Map::new();
    members.insert("total_incidents".into(), json!(plan.total_incidents));
    members.insert("total_weight".into(), json!(plan.total_weight));
    members.insert("shifts".into(), json!(plan.shifts));
    members.insert("windows_used".into(), json!(plan.windows_used));
    members.insert("windows_note".into(), json!(plan.windows_note));
    members.insert("blocking_number".into(), json!(plan.blocking_number));
    members.insert("guarantee".into(), json!(plan.guarantee));
    members.insert("koper_guidance".into(), json!(plan.koper_guidance));
    geojson::FeatureCollection { bbox: None, features, foreign_members: Some(members) }
}

/// The three busiest hours of the week in an area ("Fri 22:00, Sat 01:00"), or "" when the
/// data have no times.
#[must_use]
pub fn busiest_hours(area: &PatrolArea) -> String {
    let Some(hours) = &area.hour_of_week else { return String::new() };
    let mut order: Vec<usize> = (0..hours.len()).filter(|&b| hours[b] > 0.0).collect();
    order.sort_by(|&a, &b| hours[b].total_cmp(&hours[a]).then(a.cmp(&b)));
    order.iter().take(3).map(|&b| hour_of_week_label(b)).collect::<Vec<_>>().join(", ")
}

/// The plan as CSV, one row per area: `rank,centre_h3,centre_lon,centre_lat,cells,area_km2,
/// incidents,weight,share_of_incidents,expected_per_shift,busiest_hours`.
///
/// # Errors
/// When the CSV writer fails (it writes to memory, so only on a bug).
pub fn patrol_csv(plan: &PatrolPlan) -> Result<String, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "rank",
        "centre_h3",
        "centre_lon",
        "centre_lat",
        "cells",
        "area_km2",
        "incidents",
        "weight",
        "share_of_incidents",
        "expected_per_shift",
        "busiest_hours",
    ])?;
    for a in &plan.areas {
        w.write_record([
            a.rank.to_string(),
            a.centre.to_string(),
            format!("{:.6}", a.centre_lon_lat.0),
            format!("{:.6}", a.centre_lon_lat.1),
            a.cells.len().to_string(),
            format!("{:.4}", a.area_km2),
            a.incidents.to_string(),
            format!("{:.3}", a.weight),
            format!("{:.4}", a.share_of_incidents),
            format!("{:.4}", a.expected_per_shift),
            busiest_hours(a),
        ])?;
    }
    let bytes = w.into_inner().map_err(|e| csv::Error::from(e.into_error()))?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// A hexagon's corners, (longitude, latitude) degrees.
type Ring = Vec<(f64, f64)>;

/// An SVG picture of the patrol areas: each area's hexagons, numbered by rank, on an
/// equirectangular projection scaled by cos(latitude) so that shapes are true at the plan's
/// latitude, with a scale bar. `width_px` × `height_px`.
#[must_use]
pub fn patrol_svg(plan: &PatrolPlan, width_px: f64, height_px: f64) -> String {
    let rings: Vec<(usize, Vec<Ring>)> = plan
        .areas
        .iter()
        .map(|a| {
            let hexes = a
                .cells
                .iter()
                .map(|&c| {
                    let b = c.boundary();
                    b.iter().map(|ll| (ll.lng(), ll.lat())).collect::<Vec<_>>()
                })
                .collect();
            (a.rank, hexes)
        })
        .collect();
    let all = rings.iter().flat_map(|(_, h)| h.iter().flatten());
    let (mut west, mut east, mut south, mut north) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
    for &(x, y) in all {
        west = west.min(x);
        east = east.max(x);
        south = south.min(y);
        north = north.max(y);
    }
    let header = |h: f64| {
        format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {width_px} {h:.0}\" width=\"{width_px}\" \
             height=\"{h:.0}\" role=\"img\" aria-label=\"Map of the patrol areas\">\
             <rect width=\"100%\" height=\"100%\" fill=\"#f7f7f4\" stroke=\"#999\"/>"
        )
    };
    if rings.is_empty() || west > east {
        return header(height_px) + "<text x=\"20\" y=\"40\">No patrol areas</text></svg>";
    }
    let k = ((south + north) / 2.0).to_radians().cos();
    let margin = 24.0;
    let span_x = ((east - west) * k).max(1e-6);
    let span_y = (north - south).max(1e-6);
    let scale = ((width_px - 2.0 * margin) / span_x).min((height_px - 2.0 * margin) / span_y);
    // A picture no taller than the areas need (room for the scale bar below them).
    let height_px = height_px.min(span_y * scale + 2.0 * margin + 20.0);
    let mut svg = header(height_px);
    let px = |(x, y): (f64, f64)| (margin + (x - west) * k * scale, margin + (north - y) * scale);
    let palette = ["#b2182b", "#ef8a62", "#2166ac", "#67a9cf", "#1b7837", "#7fbf7b", "#762a83", "#af8dc3"];
    for (rank, hexes) in &rings {
        let colour = palette[(rank - 1) % palette.len()];
        let mut cx = 0.0;
        let mut cy = 0.0;
        let mut n = 0.0;
        for hex in hexes {
            let mut d = String::new();
            for (i, p) in hex.iter().enumerate() {
                let (x, y) = px(*p);
                cx += x;
                cy += y;
                n += 1.0;
                let _ = write!(d, "{}{x:.1},{y:.1}", if i == 0 { "M" } else { "L" });
            }
            let _ = write!(
                svg,
                "<path d=\"{d}Z\" fill=\"{colour}\" fill-opacity=\"0.45\" stroke=\"{colour}\" stroke-width=\"1\"/>"
            );
        }
        if n > 0.0 {
            let _ = write!(
                svg,
                "<text x=\"{:.1}\" y=\"{:.1}\" font-family=\"sans-serif\" font-size=\"16\" font-weight=\"bold\" \
                 text-anchor=\"middle\" dominant-baseline=\"middle\" fill=\"#000\">{rank}</text>",
                cx / n,
                cy / n
            );
        }
    }
    // Scale bar: 1 km (or 500 m when the map is small).
    let metres_per_px = 111_320.0 / scale;
    let bar_m = if metres_per_px * width_px > 4_000.0 { 1_000.0 } else { 500.0 };
    let bar_px = bar_m / metres_per_px;
    let y = height_px - 10.0;
    let _ = write!(
        svg,
        "<line x1=\"{margin}\" y1=\"{y}\" x2=\"{:.1}\" y2=\"{y}\" stroke=\"#000\" stroke-width=\"3\"/>\
         <text x=\"{:.1}\" y=\"{:.1}\" font-family=\"sans-serif\" font-size=\"12\">{} m</text>\
         <text x=\"{:.1}\" y=\"18\" font-family=\"sans-serif\" font-size=\"14\" text-anchor=\"end\">N ↑</text></svg>",
        margin + bar_px,
        margin + bar_px + 6.0,
        y + 4.0,
        bar_m,
        width_px - 10.0
    );
    svg
}

/// The printable patrol sheet: a self-contained A4 HTML page with the plan's title and
/// selection, the map picture ([`patrol_svg`]), the table of areas, the Koper-curve guidance,
/// a visit log to fill in, and the plan's guarantee.
#[must_use]
pub fn patrol_sheet_html(plan: &PatrolPlan, title: &str, selection: &str) -> String {
    let mut rows = String::new();
    for a in &plan.areas {
        let hours = busiest_hours(a);
        let _ = write!(
            rows,
            "<tr><td class=\"n\">{}</td><td><code>{}</code><br><small>{:.5}, {:.5}</small></td><td class=\"n\">{:.3}</td>\
             <td class=\"n\">{}</td><td class=\"n\">{:.1} %</td><td class=\"n\">{:.2}</td><td>{}</td><td class=\"log\"></td></tr>",
            a.rank,
            a.centre,
            a.centre_lon_lat.1,
            a.centre_lon_lat.0,
            a.area_km2,
            a.incidents,
            100.0 * a.share_of_incidents,
            a.expected_per_shift,
            if hours.is_empty() { "not known (month-only data)".to_owned() } else { escape(&hours) },
        );
    }
    let note = plan
        .windows_note
        .as_deref()
        .map_or_else(String::new, |n| format!("<p class=\"note\">Note: {}.</p>", escape(n)));
    let covered: u64 = plan.areas.iter().map(|a| a.incidents).sum();
    #[expect(clippy::cast_precision_loss, reason = "incident counts are far below 2^52")]
    let covered_share =
        if plan.total_incidents > 0 { 100.0 * covered as f64 / plan.total_incidents as f64 } else { 0.0 };
    format!(
        "<!DOCTYPE html>\n<html lang=\"en-GB\"><head><meta charset=\"utf-8\"><title>{title}</title>\
<style>@page {{ size: A4 portrait; margin: 12mm; }}\
body {{ font-family: sans-serif; font-size: 10.5pt; margin: 0; color: #111; }}\
.sheet {{ width: 186mm; margin: 0 auto; }}\
h1 {{ font-size: 16pt; margin: 0 0 2mm; }} p {{ margin: 1mm 0; }}\
.map svg {{ width: 186mm; height: auto; display: block; }}\
table {{ border-collapse: collapse; width: 100%; margin-top: 3mm; }}\
th, td {{ border: 1px solid #555; padding: 1mm 1.5mm; vertical-align: top; }} th {{ background: #eee; }}\
td.n {{ text-align: right; }} td.log {{ width: 38mm; }}\
.guidance {{ border: 2px solid #111; padding: 2mm; margin: 3mm 0; font-weight: bold; }}\
.note {{ color: #8a1c1c; }} small {{ color: #444; }} .foot {{ font-size: 8.5pt; color: #444; }}</style></head>\
<body><div class=\"sheet\"><h1>{title}</h1><p>{selection}</p>{note}\
<div class=\"map\">{map}</div>\
<div class=\"guidance\">{koper}</div>\
<table><thead><tr><th>Area</th><th>Centre (H3 cell; lat, lon)</th><th>km²</th><th>Incidents</th>\
<th>Share of all</th><th>Expected per shift</th><th>Busiest hours</th><th>Visits (time, minutes)</th></tr></thead>\
<tbody>{rows}</tbody></table>\
<p>The {n} areas hold {covered} of {total} incidents ({covered_share:.1} %). A shift is {shift_def}; {shifts} shifts in the period.</p>\
<p class=\"foot\">Areas chosen so that none overlap: {guarantee}. Made by hexwatch.</p></div></body></html>\n",
        title = escape(title),
        selection = escape(selection),
        map = patrol_svg(plan, 700.0, 420.0),
        koper = escape(plan.koper_guidance),
        n = plan.areas.len(),
        total = plan.total_incidents,
        shift_def = if plan.windows_used { "the selected hours on one selected day" } else { "one day" },
        shifts = plan.shifts,
        guarantee = escape(&plan.guarantee),
    )
}
