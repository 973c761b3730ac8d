//! The partnership pack as one printable HTML page (inline SVG charts and map pictures, A4
//! print CSS, no external requests) and as CSV tables.

use std::fmt::Write as _;

use h3o::CellIndex;
use hexwatch_core::report::{Comparison, KpiRow, Measure, Window};
use hexwatch_core::stats::Pattern;
use plotters::prelude::*;

use crate::bng::BngProjector;
use crate::report_pack::{AreaChange, NOT_FIXED, Pack};

/// The pack's style sheet: screen and A4 print (inlined by [`PackStyle::Inline`], served
/// by the server as `/api/report/style.css` for [`PackStyle::Linked`]).
pub const PACK_CSS: &str = "\
body{font-family:system-ui,'DejaVu Sans',sans-serif;font-size:10.5pt;color:#111;margin:0 auto;max-width:190mm;padding:6mm}\
h1{font-size:17pt;margin:0 0 2mm}h2{font-size:13pt;margin:6mm 0 2mm;border-bottom:1px solid #888}\
h3{font-size:11pt;margin:4mm 0 1mm}\
.meta,.caption,figcaption{font-size:8.5pt;color:#333}\
table{border-collapse:collapse;width:100%;margin:1mm 0 3mm;font-size:8.5pt}\
th,td{border-bottom:1px solid #ccc;padding:1px 4px;text-align:left;vertical-align:top}\
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}\
.up{color:#a50f15;font-weight:bold}.down{color:#08519c;font-weight:bold}.nodata{color:#777;font-style:italic}\
.charts{display:grid;grid-template-columns:1fr 1fr;gap:2mm}\
figure{margin:0;break-inside:avoid}figure svg{width:100%;height:auto}\
.maps figure{margin-bottom:3mm}\
section{break-inside:auto}h2,h3{break-after:avoid}tr{break-inside:avoid}\
ul.changes li{margin:0.5mm 0}\
@page{size:A4;margin:12mm}\
@media print{body{padding:0;max-width:none}a{color:inherit;text-decoration:none}.pagebreak{break-before:page}}";

/// How the page gets its style sheet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PackStyle<'a> {
    /// A `<style>` element (the CLI's self-contained file).
    Inline,
    /// A `<link rel="stylesheet">` to this URL (the server, whose CSP allows `style-src 'self'`).
    Linked(&'a str),
}

fn esc(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// A p- or q-value as analysts read them.
fn fmt_p(p: f64) -> String {
    if p.is_nan() {
        "–".to_owned()
    } else if p < 0.001 {
        "&lt;0.001".to_owned()
    } else {
        format!("{p:.3}")
    }
}

fn pct(change: Option<f64>) -> String {
    change.map_or_else(|| "new (none before)".to_owned(), |c| format!("{c:+.1} %"))
}

/// Why a comparison is not shown: a period that is not fixed, or a withheld count.
const fn hidden(current: u64, earlier: u64) -> &'static str {
    if current == NOT_FIXED || earlier == NOT_FIXED { "not published" } else { "withheld" }
}

/// The judgement of a comparison in words (HTML), honest about missing data.
fn verdict(pack: &Pack, current: u64, c: &Comparison) -> String {
    let alpha = pack.options.fdr_q;
    match c {
        Comparison::NoData { range } => {
            format!("<span class=\"nodata\">no data for {}</span>", range.label())
        }
        Comparison::Compared { count, .. } if !pack.visible(current) || !pack.visible(*count) => {
            hidden(current, *count).to_owned()
        }
        Comparison::Compared { count, .. } if c.significant(alpha) && current > *count => {
            "<span class=\"up\">significant rise</span>".to_owned()
        }
        Comparison::Compared { .. } if c.significant(alpha) => {
            "<span class=\"down\">significant fall</span>".to_owned()
        }
        Comparison::Compared { .. } => "no significant change".to_owned(),
    }
}

/// Cells of a comparison: earlier count, change, p, q, verdict.
fn comparison_cells(pack: &Pack, current: u64, c: &Comparison) -> String {
    match c {
        Comparison::NoData { .. } => {
            format!("<td class=\"n\">–</td><td>–</td><td>–</td><td>{}</td>", verdict(pack, current, c))
        }
        Comparison::Compared { count, .. } if !pack.visible(current) || !pack.visible(*count) => {
            let why = hidden(current, *count);
            format!("<td class=\"n\">{}</td><td>{why}</td><td>{why}</td><td>{why}</td>", pack.shown(*count))
        }
        Comparison::Compared { count, change_pct, test, q_value, .. } => format!(
            "<td class=\"n\">{count}</td><td class=\"n\">{}</td><td class=\"n\">{} / {}</td><td>{}</td>",
            pct(*change_pct),
            fmt_p(test.p_value),
            fmt_p(*q_value),
            verdict(pack, current, c)
        ),
    }
}

fn kpi_table(pack: &Pack, window: Window) -> String {
    let rows: Vec<&KpiRow> = pack.kpis.iter().filter(|r| r.window == window).collect();
    let Some(first) = rows.first() else { return String::new() };
    let mut s = format!(
        "<h3>{}</h3><table class=\"kpi\" data-window=\"{}\"><thead><tr><th>Measure</th><th class=\"n\">Count</th>\
         <th class=\"n\">{}</th><th class=\"n\">Change</th><th class=\"n\">p / q</th><th>Judgement</th>\
         <th>Same period a year earlier ({})</th></tr></thead><tbody>",
        esc(&window.label(first.range)),
        window.as_str(),
        esc(&first.previous.range().label()),
        esc(&first.year_earlier.range().label()),
    );
    for r in rows {
        let year = match &r.year_earlier {
            Comparison::NoData { range } => {
                format!("<span class=\"nodata\">no data for {}</span>", range.label())
            }
            c @ Comparison::Compared { count, change_pct, test, .. } => {
                if pack.visible(r.count) && pack.visible(*count) {
                    format!(
                        "{count}, {} (p {}): {}",
                        pct(*change_pct),
                        fmt_p(test.p_value),
                        verdict(pack, r.count, c)
                    )
                } else {
                    format!("{}: {}", pack.shown(*count), hidden(r.count, *count))
                }
            }
        };
        let _ = write!(
            s,
            "<tr><td>{}</td><td class=\"n\">{}</td>{}<td>{year}</td></tr>",
            esc(&r.label),
            pack.shown(r.count),
            comparison_cells(pack, r.count, &r.previous)
        );
    }
    s.push_str("</tbody></table>");
    s
}

/// The significant changes of the KPI table in words, strongest first.
fn changes_list(pack: &Pack) -> String {
    let alpha = pack.options.fdr_q;
    let mut found: Vec<(f64, String)> = Vec::new();
    for r in &pack.kpis {
        for c in [&r.previous, &r.year_earlier] {
            if let Comparison::Compared { count, change_pct, test, q_value, range } = c
                && c.significant(alpha)
                && pack.visible(r.count)
                && pack.visible(*count)
            {
                found.push((
                    test.p_value,
                    format!(
                        "{}, {}: {} against {} in {} ({}; E-test p {}, q {})",
                        esc(&r.label),
                        esc(&r.window.label(r.range)),
                        r.count,
                        count,
                        range.label(),
                        pct(*change_pct),
                        fmt_p(test.p_value),
                        fmt_p(*q_value)
                    ),
                ));
            }
        }
    }
    if found.is_empty() {
        return "<p>No change is significant at the FDR level.</p>".to_owned();
    }
    found.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut s = String::from("<ul class=\"changes\">");
    for (_, text) in found {
        let _ = write!(s, "<li>{text}</li>");
    }
    s.push_str("</ul>");
    s
}

/// A small line chart of a measure's monthly counts with its rolling 12-month mean.
fn series_chart(pack: &Pack, title: &str, counts: &[u64]) -> Result<String, String> {
    let mut svg = String::new();
    let rolling = pack.rolling_mean(counts);
    let visible: Vec<(i32, f64)> = counts
        .iter()
        .enumerate()
        .filter(|(_, n)| pack.visible(**n))
        .filter_map(|(i, &n)| {
            #[expect(clippy::cast_precision_loss, reason = "counts are far below 2^52")]
            let v = n as f64;
            Some((i32::try_from(i).ok()?, v))
        })
        .collect();
    let mean: Vec<(i32, f64)> =
        rolling.iter().enumerate().filter_map(|(i, m)| Some((i32::try_from(i).ok()?, (*m)?))).collect();
    let max = visible.iter().chain(&mean).map(|p| p.1).fold(1.0_f64, f64::max);
    let n = i32::try_from(counts.len()).unwrap_or(1).max(2);
    {
        let root = SVGBackend::with_string(&mut svg, (420, 210)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 15))
            .margin(8)
            .x_label_area_size(24)
            .y_label_area_size(42)
            .build_cartesian_2d(0..n - 1, 0.0..max * 1.15)
            .map_err(|e| e.to_string())?;
        let month = |i: &i32| pack.series.month(usize::try_from(*i).unwrap_or(0)).to_string();
        chart
            .configure_mesh()
            .x_labels(6)
            .y_labels(5)
            .x_label_formatter(&month)
            .label_style(("sans-serif", 11))
            .draw()
            .map_err(|e| e.to_string())?;
        let blue = RGBColor(33, 102, 172);
        let orange = RGBColor(230, 97, 1);
        // One line per run of consecutive visible months: a withheld month is a gap.
        let mut runs: Vec<Vec<(i32, f64)>> = Vec::new();
        for &p in &visible {
            match runs.last_mut() {
                Some(run) if run.last().is_some_and(|q| q.0 + 1 == p.0) => run.push(p),
                _ => runs.push(vec![p]),
            }
        }
        for run in runs.iter().skip(1) {
            chart
                .draw_series(LineSeries::new(run.clone(), blue.stroke_width(2)))
                .map_err(|e| e.to_string())?;
        }
        chart
            .draw_series(LineSeries::new(runs.first().cloned().unwrap_or_default(), blue.stroke_width(2)))
            .map_err(|e| e.to_string())?
            .label("monthly count")
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], blue.stroke_width(2)));
        chart
            .draw_series(visible.iter().map(|&p| Circle::new(p, 2, blue.filled())))
            .map_err(|e| e.to_string())?;
        chart
            .draw_series(LineSeries::new(mean.clone(), orange.stroke_width(2)))
            .map_err(|e| e.to_string())?
            .label("rolling 12-month mean")
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], orange.stroke_width(2)));
        chart
            .draw_series(mean.iter().map(|&p| Cross::new(p, 4, orange.stroke_width(2))))
            .map_err(|e| e.to_string())?;
        chart
            .configure_series_labels()
            .label_font(("sans-serif", 10))
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .position(SeriesLabelPosition::LowerLeft)
            .draw()
            .map_err(|e| e.to_string())?;
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(svg)
}

/// Maps British National Grid metres onto an SVG of `width_px`, fitted to the outlines.
struct Frame {
    west: f64,
    north: f64,
    scale: f64,
    width_px: f64,
    height_px: f64,
}

impl Frame {
    const MARGIN: f64 = 10.0;

    fn fit(outlines: &[Vec<(f64, f64)>], width_px: f64, max_height_px: f64) -> Option<Self> {
        let (mut west, mut east, mut south, mut north) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
        for &(x, y) in outlines.iter().flatten() {
            west = west.min(x);
            east = east.max(x);
            south = south.min(y);
            north = north.max(y);
        }
        if west >= east || south >= north {
            return None;
        }
        let m = Self::MARGIN;
        let scale =
            ((width_px - 2.0 * m) / (east - west)).min((max_height_px - 2.0 * m - 30.0) / (north - south));
        let height_px = (north - south) * scale + 2.0 * m + 30.0;
        Some(Self { west, north, scale, width_px, height_px })
    }

    fn px(&self, (x, y): (f64, f64)) -> (f64, f64) {
        (Self::MARGIN + (x - self.west) * self.scale, Self::MARGIN + (self.north - y) * self.scale)
    }

    fn open(&self, label: &str) -> String {
        format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {w:.0} {h:.0}\" width=\"{w:.0}\" height=\"{h:.0}\" \
             role=\"img\" aria-label=\"{}\"><rect width=\"100%\" height=\"100%\" fill=\"#fbfbf8\"/>",
            esc(label),
            w = self.width_px,
            h = self.height_px
        )
    }

    fn outlines(&self, outlines: &[Vec<(f64, f64)>]) -> String {
        let mut d = String::new();
        for ring in outlines {
            for (i, p) in ring.iter().enumerate() {
                let (x, y) = self.px(*p);
                let _ = write!(d, "{}{x:.1},{y:.1}", if i == 0 { "M" } else { "L" });
            }
            d.push('Z');
        }
        format!("<path d=\"{d}\" fill=\"none\" stroke=\"#555\" stroke-width=\"0.6\"/>")
    }

    /// Scale bar and legend entries `(colour, label)` along the bottom.
    fn footer(&self, legend: &[(&str, String)]) -> String {
        let y = self.height_px - 12.0;
        let bar_px = 2_000.0 * self.scale;
        let mut s = format!(
            "<line x1=\"10\" y1=\"{y:.1}\" x2=\"{:.1}\" y2=\"{y:.1}\" stroke=\"#000\" stroke-width=\"3\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\" font-family=\"sans-serif\" font-size=\"10\">2 km</text>",
            10.0 + bar_px,
            14.0 + bar_px,
            y + 4.0
        );
        let mut x = 60.0 + bar_px;
        for (colour, label) in legend {
            let _ = write!(
                s,
                "<rect x=\"{x:.1}\" y=\"{:.1}\" width=\"10\" height=\"10\" fill=\"{colour}\" stroke=\"#666\" stroke-width=\"0.5\"/>\
                 <text x=\"{:.1}\" y=\"{:.1}\" font-family=\"sans-serif\" font-size=\"9\">{}</text>",
                y - 6.0,
                x + 13.0,
                y + 3.0,
                esc(label)
            );
            #[expect(clippy::cast_precision_loss, reason = "short labels")]
            let w = label.chars().count() as f64;
            x += 22.0 + 5.2 * w;
        }
        s
    }
}

/// Esri's Gi* bin colours, bin −3 to +3.
const GI_COLOURS: [(i8, &str, &str); 6] = [
    (3, "#d62f27", "hot 99 %"),
    (2, "#ed7551", "hot 95 %"),
    (1, "#fab984", "hot 90 %"),
    (-1, "#c0ccbe", "cold 90 %"),
    (-2, "#849eba", "cold 95 %"),
    (-3, "#4575b5", "cold 99 %"),
];

fn hot_spot_map(pack: &Pack) -> String {
    let Some(frame) = Frame::fit(&pack.outlines, 700.0, 520.0) else { return String::new() };
    let projector = BngProjector::new();
    let mut s = frame.open("Map of the Gi* hot and cold spots of the month");
    for (cell, bin) in pack.hot_spots.cells.iter().zip(&pack.hot_spots.bins) {
        let Some((_, colour, _)) = GI_COLOURS.iter().find(|(b, _, _)| b == bin) else { continue };
        let _ = write!(
            s,
            "<path d=\"{}\" fill=\"{colour}\" stroke=\"none\"/>",
            hex_path(&frame, &projector, *cell)
        );
    }
    s.push_str(&frame.outlines(&pack.outlines));
    let legend: Vec<(&str, String)> = GI_COLOURS.iter().map(|(_, c, l)| (*c, (*l).to_owned())).collect();
    s.push_str(&frame.footer(&legend));
    s.push_str("</svg>");
    s
}

fn hex_path(frame: &Frame, projector: &BngProjector, cell: CellIndex) -> String {
    let mut d = String::new();
    for (i, ll) in cell.boundary().iter().enumerate() {
        let Ok(p) = projector.to_bng(ll.lng(), ll.lat()) else { return String::new() };
        let (x, y) = frame.px((p.easting_m, p.northing_m));
        let _ = write!(d, "{}{x:.1},{y:.1}", if i == 0 { "M" } else { "L" });
    }
    d.push('Z');
    d
}

const DENSITY_COLOURS: [&str; 5] = ["#ffffcc", "#fed976", "#fd8d3c", "#e31a1c", "#800026"];

/// Class breaks of the density picture: the 50th, 75th, 90th and 97.5th percentiles of the
/// positive values.
fn density_breaks(values: &[f64]) -> Vec<f64> {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite() && *x > 0.0).collect();
    v.sort_by(f64::total_cmp);
    if v.is_empty() {
        return Vec::new();
    }
    #[expect(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss,
        reason = "indices"
    )]
    let at = |q: f64| v[((v.len() - 1) as f64 * q).round() as usize];
    vec![at(0.5), at(0.75), at(0.9), at(0.975)]
}

fn density_map(pack: &Pack) -> String {
    let Some((grid, _)) = &pack.density else { return String::new() };
    let Some(frame) = Frame::fit(&pack.outlines, 700.0, 520.0) else { return String::new() };
    let breaks = density_breaks(&grid.values);
    let class = |v: f64| -> Option<usize> {
        (v.is_finite() && v > 0.0).then(|| breaks.iter().filter(|b| v > **b).count())
    };
    let mut s = frame.open("Map of the kernel density of the month");
    let spec = grid.spec;
    let cell_px = spec.cell_size_m * frame.scale;
    for row in 0..spec.nrows {
        let mut col = 0;
        while col < spec.ncols {
            let Some(c) = class(grid.get(row, col)) else {
                col += 1;
                continue;
            };
            let start = col;
            while col < spec.ncols && class(grid.get(row, col)) == Some(c) {
                col += 1;
            }
            let (cx, cy) = spec.centre(row, start);
            let (x, y) = frame.px((cx - spec.cell_size_m / 2.0, cy + spec.cell_size_m / 2.0));
            #[expect(clippy::cast_precision_loss, reason = "grid sizes are small")]
            let w = (col - start) as f64 * cell_px;
            let _ = write!(
                s,
                "<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"{}\"/>",
                w + 0.3,
                cell_px + 0.3,
                DENSITY_COLOURS[c.min(4)]
            );
        }
    }
    s.push_str(&frame.outlines(&pack.outlines));
    let mut legend = Vec::new();
    let mut lower = 0.0;
    for (i, colour) in DENSITY_COLOURS.iter().enumerate() {
        let label = match breaks.get(i) {
            Some(b) => format!("{lower:.1}–{b:.1}"),
            None => format!("> {lower:.1}"),
        };
        legend.push((*colour, label));
        if let Some(b) = breaks.get(i) {
            lower = *b;
        }
    }
    s.push_str(&frame.footer(&legend));
    s.push_str("</svg>");
    s
}

fn area_table(pack: &Pack, title: &str, rows: &[AreaChange]) -> String {
    if rows.is_empty() {
        return format!("<h3>{title}</h3><p class=\"nodata\">No boundaries of this kind are loaded.</p>");
    }
    let mut s = format!(
        "<h3>{title}</h3><table class=\"areas\"><thead><tr><th>Code</th><th>Name</th><th class=\"n\">{}</th>\
         <th class=\"n\">{}</th><th class=\"n\">Change</th><th class=\"n\">p / q</th><th>Judgement</th>\
         <th class=\"n\">Year to date</th></tr></thead><tbody>",
        pack.options.period,
        pack.options.period.add_months(-1)
    );
    for r in rows.iter().take(pack.options.top_areas) {
        let (change, pq, judgement) = match (r.previous, r.p_value, r.q_value) {
            (Some(p), _, _) if !pack.visible(r.count) || !pack.visible(p) => {
                ("withheld".to_owned(), "withheld".to_owned(), "withheld".to_owned())
            }
            (Some(p), Some(pv), Some(q)) => {
                #[expect(clippy::cast_precision_loss, reason = "counts are far below 2^52")]
                let c = (p > 0).then(|| 100.0 * (r.count as f64 - p as f64) / p as f64);
                let j = if q <= pack.options.fdr_q {
                    if r.count > p {
                        "<span class=\"up\">significant rise</span>"
                    } else {
                        "<span class=\"down\">significant fall</span>"
                    }
                } else {
                    "no significant change"
                };
                (pct(c), format!("{} / {}", fmt_p(pv), fmt_p(q)), j.to_owned())
            }
            _ => (
                "–".to_owned(),
                "–".to_owned(),
                "<span class=\"nodata\">no data for the month before</span>".to_owned(),
            ),
        };
        let _ = write!(
            s,
            "<tr><td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{change}</td>\
             <td class=\"n\">{pq}</td><td>{judgement}</td><td class=\"n\">{}</td></tr>",
            esc(&r.code),
            esc(&r.name),
            pack.shown(r.count),
            r.previous.map_or_else(|| "–".to_owned(), |p| pack.shown(p)),
            pack.shown(r.year_to_date)
        );
    }
    s.push_str("</tbody></table>");
    s
}

fn pattern_name(p: Pattern) -> &'static str {
    p.label()
}

/// The pack as one HTML page: title and captions, what changed, the KPI tables, the
/// monthly charts, where (wards, LSOAs, the hot spot and density pictures, emerging
/// transitions), alerts, the patrol plan and PAI, and the methods.
///
/// # Errors
/// A message when a chart cannot be drawn.
pub fn pack_html(pack: &Pack, style: PackStyle<'_>) -> Result<String, String> {
    let o = &pack.options;
    let caption = esc(&pack.caption());
    let mut s = String::from(
        "<!DOCTYPE html><html lang=\"en-GB\"><head><meta charset=\"utf-8\"><link rel=\"icon\" href=\"data:,\">",
    );
    let _ = write!(s, "<title>Partnership pack {}: {}</title>", o.period, esc(&pack.area_name));
    match style {
        PackStyle::Inline => {
            let _ = write!(s, "<style>{PACK_CSS}</style>");
        }
        PackStyle::Linked(url) => {
            let _ = write!(s, "<link rel=\"stylesheet\" href=\"{}\">", esc(url));
        }
    }
    let _ = write!(
        s,
        "</head><body><header><h1>Partnership pack: {} — {}</h1><p class=\"meta\">Data version <b id=\"data-version\">{}</b>; \
         data cover {}; period {} (quarter and year to date as calendar periods ending there); {}; {} version \
         (role {}, {}).</p></header>",
        esc(&pack.area_name),
        o.period,
        pack.data_version,
        pack.data_span.label(),
        o.period,
        esc(&pack.filters),
        if o.role == hexwatch_core::Role::Public { "public" } else { "partner" },
        o.role.as_str(),
        if pack.is_public() {
            format!(
                "every count from the public cube: counts below {} are withheld, and further counts wherever a total \
                 and its other parts would give one away; fixed periods only (calendar months, quarters, years); \
                 p-values only where both counts are published, with Benjamini–Hochberg q over those tests alone",
                o.policy.min_count
            )
        } else if o.policy.min_count == 0 {
            "no count is withheld".to_owned()
        } else {
            format!("counts below {} are withheld", o.policy.min_count)
        }
    );

    // What changed.
    let _ = write!(
        s,
        "<section id=\"changed\"><h2>What changed</h2><p class=\"caption\">{caption}. Each change is judged by the E-test for \
         two Poisson rates (Krishnamoorthy and Thomson 2004; two-sided, equal exposures in months), with \
         Benjamini–Hochberg FDR q ≤ {} across the {} comparisons of the KPI tables; a percentage alone is not evidence of change.</p>{}</section>",
        o.fdr_q,
        pack.kpis
            .iter()
            .flat_map(|r| [&r.previous, &r.year_earlier].map(|c| (r.count, c)))
            .filter(|(n, c)| c.count().is_some_and(|m| pack.visible(*n) && pack.visible(m)))
            .count(),
        changes_list(pack)
    );

    // KPIs.
    s.push_str("<section id=\"kpis\"><h2>Key performance indicators</h2>");
    let _ = write!(
        s,
        "<p class=\"caption\">{caption}. Previous equal period: the month before; the same months of the previous quarter; the months of equal length before the year to date. \"No data\" where the store has no incidents for every month of a comparison period.</p>"
    );
    for window in Window::ALL {
        s.push_str(&kpi_table(pack, window));
    }
    s.push_str("</section>");

    // Charts.
    let _ = write!(
        s,
        "<section id=\"trends\" class=\"pagebreak\"><h2>Monthly series</h2><p class=\"caption\">{caption}. Monthly counts \
         {} to {} with the rolling 12-month mean (the mean of the twelve months to each month; drawn from the twelfth month of data).</p><div class=\"charts\">",
        pack.data_span.from, o.period
    );
    for (m, name) in &pack.measures() {
        let counts = pack.series_to_period(*m);
        let chart = series_chart(pack, name, counts)?;
        let last = counts.last().copied().unwrap_or(0);
        let mean = pack.rolling_mean(counts).last().copied().flatten();
        let _ = write!(
            s,
            "<figure class=\"chart\">{chart}<figcaption>{}: {} in {}; rolling 12-month mean {} (data version {}, area {}).</figcaption></figure>",
            esc(name),
            pack.shown(last),
            pack.series.month(counts.len().saturating_sub(1)),
            mean.map_or_else(
                || {
                    if counts.len() >= 12 {
                        "not published (a month of the twelve is withheld)"
                    } else {
                        "needs twelve months of data"
                    }
                    .to_owned()
                },
                |v| format!("{v:.1}")
            ),
            pack.data_version,
            esc(&o.area_label)
        );
    }
    if pack.is_public() {
        s.push_str("<p class=\"nodata\">Flags (e.g. knife crime, domestic abuse) are shown to partners.</p>");
    } else if pack.flag_names.is_empty() {
        s.push_str("<p class=\"nodata\">No flagged data in the store: knife-crime and domestic-abuse flags come from partner data (police.uk has none).</p>");
    }
    s.push_str("</div></section>");

    // Where.
    let _ = write!(
        s,
        "<section id=\"where\" class=\"pagebreak\"><h2>Where</h2><p class=\"caption\">{caption}. The month against the month before, \
         E-test per area with Benjamini–Hochberg q across the set's areas; busiest {} shown (all in the CSV tables).</p>",
        o.top_areas
    );
    s.push_str(&area_table(pack, "Top wards", &pack.wards));
    if pack.is_public() {
        s.push_str(
            "<h3>Top LSOAs (2021)</h3><p class=\"nodata\" id=\"lsoas-partner\">LSOA tables need a partner token: \
             the public version shows the study area and wards.</p>",
        );
    } else {
        s.push_str(&area_table(pack, "Top LSOAs (2021)", &pack.lsoas));
    }
    let hot = pack.hot_spots.bins.iter().filter(|b| **b > 0).count();
    let cold = pack.hot_spots.bins.iter().filter(|b| **b < 0).count();
    let _ = write!(
        s,
        "<div class=\"maps\"><figure class=\"map\" id=\"hotspot-map\">{}<figcaption>Significant hot and cold spots of {}: Getis-Ord Gi* on H3 \
         resolution {} cells ({} cells, {:.1} km², empty cells included), neighbourhood k = {} ring with the cell itself, \
         Esri bins with Benjamini–Hochberg FDR; {hot} hot and {cold} cold cells.{} {caption}.</figcaption></figure>",
        hot_spot_map(pack),
        o.period,
        u8::from(o.resolution),
        pack.hot_spots.cells.len(),
        pack.study_km2,
        o.gi_k,
        if pack.is_public() {
            format!(
                " Public version: the bins alone, computed with every withheld cell count entered as {}/2; no cell counts, z or p.",
                o.policy.min_count
            )
        } else {
            String::new()
        }
    );
    match &pack.density {
        Some((grid, bw)) => {
            let _ = write!(
                s,
                "<figure class=\"map\" id=\"density-map\">{}<figcaption>Kernel density of {}, incidents per km² per month: quartic kernel, \
                 bandwidth {:.0} m ({}), {:.0} m cells (binned), classes at the 50th, 75th, 90th and 97.5th percentiles of the \
                 positive cells; ward outlines.{} {caption}.</figcaption></figure>",
                density_map(pack),
                o.period,
                grid.bandwidth_m,
                esc(bw.rule.describe()),
                grid.spec.cell_size_m,
                if pack.is_public() {
                    format!(
                        " Public version: cells whose kernel disc holds fewer than {} incidents are left blank.",
                        o.policy.min_count
                    )
                } else {
                    String::new()
                }
            );
        }
        None => s.push_str(
            "<p class=\"nodata\">No density: too few incidents in the month to choose a bandwidth.</p>",
        ),
    }
    s.push_str("</div>");
    s.push_str("<h3>Emerging hot spot transitions since last period</h3>");
    match &pack.transitions {
        None if pack.is_public() => {
            s.push_str("<p class=\"nodata\">Emerging hot spot transitions are shown to partners.</p>")
        }
        None => s.push_str(
            "<p class=\"nodata\">The period is the data's first month: no earlier analysis to compare.</p>",
        ),
        Some(t) if t.is_empty() => s.push_str("<p>No cell changed its emerging hot spot pattern.</p>"),
        Some(t) => {
            let _ = write!(
                s,
                "<p class=\"caption\">Emerging hot spot analysis (space-time Gi*, k = {}, one step back; Mann–Kendall trend; Esri patterns) \
                 of the months {} to {} against the same analysis to {}. {caption}.</p><table class=\"transitions\"><thead><tr>\
                 <th>Pattern to {}</th><th>Pattern to {}</th><th class=\"n\">Cells</th></tr></thead><tbody>",
                o.gi_k,
                pack.data_span.from,
                o.period,
                o.period.add_months(-1),
                o.period.add_months(-1),
                o.period
            );
            for tr in t {
                let _ = write!(
                    s,
                    "<tr><td>{}</td><td>{}</td><td class=\"n\">{}</td></tr>",
                    pattern_name(tr.before),
                    pattern_name(tr.after),
                    tr.cells
                );
            }
            s.push_str("</tbody></table>");
        }
    }
    s.push_str("</section>");

    if pack.is_public() {
        s.push_str(
            "<section id=\"alerts\"><h2>Alerts</h2><p class=\"nodata\">Alerts are shown to partners.</p></section>\
             <section id=\"patrol\"><h2>Patrol plan</h2><p class=\"nodata\">The patrol plan and its PAI are shown to \
             partners.</p></section>",
        );
    } else {
        // Alerts.
        let settings = &o.alert_settings;
        let new = pack.alerts.iter().filter(|a| a.new).count();
        let raised = pack.alerts.iter().filter(|a| a.period == o.period.to_string()).count();
        let _ = write!(
            s,
            "<section id=\"alerts\"><h2>Alerts</h2><p class=\"caption\">Alerts of {}: {} new (first raised this period), {} continuing \
             from earlier months, and {} raised earlier and still open in the store. Exact conditional Poisson test of the month against \
             the {} before (Benjamini–Hochberg q ≤ {} per family) per H3 res {} cell for {} and per ward × category, and cells turning \
             into new, consecutive or intensifying emerging hot spots; status as recorded (acknowledge or close alerts in the map). {caption}.</p>",
            o.period,
            new,
            raised - new,
            pack.alerts.len() - raised,
            settings.params.baseline_periods,
            settings.params.fdr_q,
            u8::from(settings.resolution),
            settings.cell_categories.join(" and "),
        );
        if pack.alerts.is_empty() {
            s.push_str("<p>No alerts this period and none open.</p>");
        } else {
            s.push_str(
                "<table class=\"alerts\"><thead><tr><th>Raised</th><th>Status</th><th>Unit</th><th>Category</th><th class=\"n\">Observed</th>\
                 <th class=\"n\">Expected</th><th class=\"n\">q</th><th>First raised</th></tr></thead><tbody>",
            );
            for a in &pack.alerts {
                let unit = if a.kind == "ward" {
                    pack.ward_names
                        .iter()
                        .find(|(c, _)| *c == a.unit)
                        .map_or_else(|| format!("ward {}", a.unit), |(c, n)| format!("ward {n} ({c})"))
                } else {
                    format!("cell {}", a.unit)
                };
                let status = match &a.note {
                    Some(note) => format!("{} ({})", esc(&a.status), esc(note)),
                    None => esc(&a.status),
                };
                let _ = write!(
                    s,
                    "<tr><td>{}</td><td>{status}</td><td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{:.1}</td><td class=\"n\">{}</td><td>{}</td></tr>",
                    if a.new { "new".to_owned() } else { esc(&a.period) },
                    esc(&unit),
                    esc(&a.category),
                    pack.shown(u64::from(a.observed)),
                    a.expected,
                    a.q_value.map_or_else(|| "–".to_owned(), fmt_p),
                    esc(&a.first_raised)
                );
            }
            s.push_str("</tbody></table>");
        }
        s.push_str("</section>");

        // Patrol.
        let p = &pack.patrol;
        let _ = write!(
            s,
            "<section id=\"patrol\"><h2>Patrol plan</h2><p class=\"caption\">The current plan: {} non-overlapping patrol areas \
             (H3 res {} cell and its 1-ring), greedy on the incidents of {} ({}). {caption}.</p>",
            o.patrol_areas,
            u8::from(o.resolution),
            p.current_training.label(),
            esc(&p.current.guarantee)
        );
        s.push_str(
            "<table class=\"patrol\"><thead><tr><th class=\"n\">Area</th><th>Centre cell</th><th class=\"n\">km²</th>\
             <th class=\"n\">Incidents</th><th class=\"n\">Share</th></tr></thead><tbody>",
        );
        for a in &p.current.areas {
            let _ = write!(
                s,
                "<tr><td class=\"n\">{}</td><td>{}</td><td class=\"n\">{:.3}</td><td class=\"n\">{}</td><td class=\"n\">{:.1} %</td></tr>",
                a.rank,
                a.centre,
                a.area_km2,
                pack.shown(a.incidents),
                100.0 * a.share_of_incidents
            );
        }
        s.push_str("</tbody></table>");
        match (&p.last_training, p.last_hits, p.last_area_km2) {
            (Some(t), Some((n, total)), Some(a)) => {
                let _ = write!(
                    s,
                    "<p id=\"pai\">Last period's plan (made from {}) held {} of the {} incidents of {} in the study area on {:.3} km² of {:.1} km²: \
                     PAI = (n/N)/(a/A) = <b>{}</b> (Chainey, Tompson and Uhlig 2008; above 1 means the areas caught more than their share).</p>",
                    t.label(),
                    pack.shown(n),
                    pack.shown(total),
                    o.period,
                    a,
                    pack.study_km2,
                    p.last_pai.map_or_else(|| "undefined (no incidents)".to_owned(), |v| format!("{v:.2}"))
                );
            }
            _ => s.push_str(
                "<p class=\"nodata\">No plan for last period: the period is the data's first month.</p>",
            ),
        }
        s.push_str("</section>");
    }

    let _ = write!(
        s,
        "<section id=\"methods\"><h2>Methods and parameters</h2><ul class=\"caption\">\
         <li>Data version {} (the store's, as /api/meta reports); data {}; {}.</li>\
         <li>KPIs: E-test for two Poisson rates (Krishnamoorthy, K. and Thomson, J. 2004, J. Stat. Plan. Inference 119:23–35), two-sided, \
         agreeing with SciPy's poisson_means_test to 1e-9; Benjamini–Hochberg FDR q ≤ {}.</li>\
         <li>Hot spots: Getis-Ord Gi*, H3 resolution {}, k = {} ring, FDR-corrected Esri bins. Density: quartic kernel, ArcGIS default bandwidth \
         (at least the cell size), {:.0} m cells.</li>\
         <li>Patrol: K = {}, 1-ring patches, {} training months; PAI on the period's incidents in the study area ({:.1} km²).</li>\
         <li>Tables: the CSV files beside this page hold every row.</li></ul></section></body></html>",
        pack.data_version,
        pack.data_span.label(),
        esc(&pack.filters),
        o.fdr_q,
        u8::from(o.resolution),
        o.gi_k,
        o.density_cell_m,
        o.patrol_areas,
        o.patrol_training_months,
        pack.study_km2
    );
    Ok(s)
}

/// The pack's tables as CSV files `(name, contents)`: `kpis.csv`, `series.csv`, `wards.csv`,
/// `lsoas.csv`, `hotspots.csv`, `transitions.csv`, `alerts.csv`, `patrol.csv`. Every row
/// starts with `data_version`, `period` and `area`. In the public version a withheld count
/// reads `withheld`, a count over a period that is not fixed `not published (not a fixed
/// period)`, and the tests beside either `withheld` or `not published`.
///
/// # Errors
/// A CSV error from the writer.
pub fn pack_tables(pack: &Pack) -> Result<Vec<(&'static str, String)>, csv::Error> {
    let o = &pack.options;
    let head = [pack.data_version.to_string(), o.period.to_string(), o.area_label.clone()];
    let write = |header: &[&str], rows: Vec<Vec<String>>| -> Result<String, csv::Error> {
        let mut w = csv::Writer::from_writer(Vec::new());
        let mut h = vec!["data_version", "period", "area"];
        h.extend_from_slice(header);
        w.write_record(&h)?;
        for r in rows {
            w.write_record(head.iter().cloned().chain(r))?;
        }
        let bytes = w.into_inner().map_err(|e| csv::Error::from(e.into_error()))?;
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    };
    let opt = |v: Option<f64>| v.map_or_else(String::new, |x| format!("{x}"));
    let comparison = |current: u64, c: &Comparison| -> Vec<String> {
        match c {
            Comparison::NoData { range } => {
                vec![range.label(), "no data".into(), String::new(), String::new(), String::new()]
            }
            Comparison::Compared { count, .. } if !pack.visible(current) || !pack.visible(*count) => {
                let why = hidden(current, *count);
                vec![c.range().label(), pack.shown(*count), why.into(), why.into(), why.into()]
            }
            Comparison::Compared { range, count, change_pct, test, q_value } => vec![
                range.label(),
                count.to_string(),
                opt(*change_pct),
                test.p_value.to_string(),
                q_value.to_string(),
            ],
        }
    };
    let kpis = write(
        &[
            "measure",
            "window",
            "from",
            "to",
            "count",
            "previous_period",
            "previous_count",
            "previous_change_pct",
            "previous_p",
            "previous_q",
            "year_earlier_period",
            "year_earlier_count",
            "year_earlier_change_pct",
            "year_earlier_p",
            "year_earlier_q",
        ],
        pack.kpis
            .iter()
            .map(|r| {
                let mut row = vec![
                    r.label.clone(),
                    r.window.as_str().to_owned(),
                    r.range.from.to_string(),
                    r.range.to.to_string(),
                    pack.shown(r.count),
                ];
                row.extend(comparison(r.count, &r.previous));
                row.extend(comparison(r.count, &r.year_earlier));
                row
            })
            .collect(),
    )?;
    let mut series_rows = Vec::new();
    for (m, name) in &pack.measures() {
        let counts = pack.series_to_period(*m);
        for (i, (n, mean)) in counts.iter().zip(pack.rolling_mean(counts)).enumerate() {
            series_rows.push(vec![name.clone(), pack.series.month(i).to_string(), pack.shown(*n), opt(mean)]);
        }
    }
    let series = write(&["measure", "month", "count", "rolling_12_month_mean"], series_rows)?;
    let areas = |rows: &[AreaChange]| -> Vec<Vec<String>> {
        rows.iter()
            .map(|r| {
                vec![
                    r.code.clone(),
                    r.name.clone(),
                    pack.shown(r.count),
                    r.previous.map_or_else(String::new, |p| pack.shown(p)),
                    pack.shown(r.year_to_date),
                    opt(r.p_value),
                    opt(r.q_value),
                ]
            })
            .collect()
    };
    let area_header = ["code", "name", "count", "previous_month", "year_to_date", "p", "q"];
    let wards = write(&area_header, areas(&pack.wards))?;
    let lsoas = write(&area_header, areas(&pack.lsoas))?;
    let hotspots = write(
        &["h3", "count", "gi_bin"],
        pack.hot_spots
            .cells
            .iter()
            .zip(&pack.hot_spots.bins)
            .enumerate()
            .filter(|(_, (_, b))| **b != 0)
            .map(|(i, (c, b))| {
                // The public version has no cell counts (the bins alone): an empty field.
                #[expect(clippy::cast_possible_truncation, clippy::cast_sign_loss, reason = "whole counts")]
                let n = pack.hot_spots.counts.get(i).map_or_else(String::new, |n| pack.shown(*n as u64));
                vec![c.to_string(), n, b.to_string()]
            })
            .collect(),
    )?;
    let transitions = write(
        &["before", "after", "cells"],
        pack.transitions
            .iter()
            .flatten()
            .map(|t| vec![t.before.label().to_owned(), t.after.label().to_owned(), t.cells.to_string()])
            .collect(),
    )?;
    let alerts = write(
        &[
            "id",
            "raised",
            "status",
            "note",
            "kind",
            "unit",
            "category",
            "observed",
            "expected",
            "q",
            "first_raised",
        ],
        pack.alerts
            .iter()
            .map(|a| {
                vec![
                    a.id.clone(),
                    if a.new { "new".to_owned() } else { a.period.clone() },
                    a.status.clone(),
                    a.note.clone().unwrap_or_default(),
                    a.kind.clone(),
                    a.unit.clone(),
                    a.category.clone(),
                    pack.shown(u64::from(a.observed)),
                    a.expected.to_string(),
                    opt(a.q_value),
                    a.first_raised.clone(),
                ]
            })
            .collect(),
    )?;
    let patrol = write(
        &[
            "plan",
            "training_from",
            "training_to",
            "rank",
            "centre_h3",
            "cells",
            "area_km2",
            "incidents",
            "share_of_incidents",
            "pai_in_period",
        ],
        [
            (Some(&pack.patrol.current), Some(pack.patrol.current_training), "current", None),
            (pack.patrol.last.as_ref(), pack.patrol.last_training, "last_period", pack.patrol.last_pai),
        ]
        .into_iter()
        .filter_map(|(plan, t, name, pai)| Some((plan?, t?, name, pai)))
        .flat_map(|(plan, t, name, pai)| {
            plan.areas.iter().map(move |a| {
                vec![
                    name.to_owned(),
                    t.from.to_string(),
                    t.to.to_string(),
                    a.rank.to_string(),
                    a.centre.to_string(),
                    a.cells.len().to_string(),
                    a.area_km2.to_string(),
                    pack.shown(a.incidents),
                    a.share_of_incidents.to_string(),
                    pai.map_or_else(String::new, |v: f64| v.to_string()),
                ]
            })
        })
        .collect(),
    )?;
    Ok(vec![
        ("kpis.csv", kpis),
        ("series.csv", series),
        ("wards.csv", wards),
        ("lsoas.csv", lsoas),
        ("hotspots.csv", hotspots),
        ("transitions.csv", transitions),
        ("alerts.csv", alerts),
        ("patrol.csv", patrol),
    ])
}

/// The pack's figures as JSON (`/api/report?format=json`): `data_version`, `period`,
/// `area`, `area_name`, `filters`, `role`, `data_first`/`data_last`, `kpis` (each with
/// `measure`, `window`, `from`, `to`, `count` and `previous`/`year_earlier` holding `from`,
/// `to` and either `no_data: true` or `count`, `change_pct`, `p`, `q`, `significant`),
/// `wards`, `lsoas` (`code`, `name`, `count`, `previous`, `year_to_date`, `p`, `q`),
/// `hot_spots` (`hot`, `cold`, `cells`), `transitions`, `alerts` and `patrol`. A count the
/// role may not see is `null` beside `"withheld": true`.
#[must_use]
pub fn pack_json(pack: &Pack) -> serde_json::Value {
    use serde_json::{Value, json};
    let o = &pack.options;
    let count = |n: u64| if pack.visible(n) { json!(n) } else { Value::Null };
    let finite = |x: f64| if x.is_finite() { json!(x) } else { Value::Null };
    let comparison = |current: u64, c: &Comparison| -> Value {
        let r = c.range();
        match c {
            Comparison::NoData { .. } => {
                json!({ "from": r.from.to_string(), "to": r.to.to_string(), "no_data": true })
            }
            Comparison::Compared { count: n, .. } if !pack.visible(current) || !pack.visible(*n) => {
                json!({ "from": r.from.to_string(), "to": r.to.to_string(), "count": count(*n), "withheld": true })
            }
            Comparison::Compared { count: n, change_pct, test, q_value, .. } => json!({
                "from": r.from.to_string(), "to": r.to.to_string(), "count": n, "change_pct": change_pct,
                "p": finite(test.p_value), "q": finite(*q_value), "statistic": finite(test.statistic),
                "significant": c.significant(o.fdr_q),
            }),
        }
    };
    let kpis: Vec<Value> = pack
        .kpis
        .iter()
        .map(|r| {
            let measure = match r.measure {
                Measure::All => "all".to_owned(),
                Measure::Category(c) => format!("category:{c}"),
                Measure::Flag(f) => format!("flag:{f}"),
            };
            json!({
                "measure": measure, "label": r.label, "window": r.window.as_str(),
                "from": r.range.from.to_string(), "to": r.range.to.to_string(),
                "count": count(r.count), "withheld": !pack.visible(r.count) && r.count != NOT_FIXED,
                "not_fixed_period": r.count == NOT_FIXED,
                "previous": comparison(r.count, &r.previous), "year_earlier": comparison(r.count, &r.year_earlier),
            })
        })
        .collect();
    let areas = |rows: &[AreaChange]| -> Vec<Value> {
        rows.iter()
            .map(|r| {
                json!({ "code": r.code, "name": r.name, "count": count(r.count), "previous": r.previous.map(count),
                        "year_to_date": count(r.year_to_date), "p": r.p_value, "q": r.q_value })
            })
            .collect()
    };
    let p = &pack.patrol;
    json!({
        "data_version": pack.data_version,
        "period": o.period.to_string(),
        "area": o.area_label,
        "area_name": pack.area_name,
        "filters": pack.filters,
        "role": o.role.as_str(),
        "data_first": pack.data_span.from.to_string(),
        "data_last": pack.data_span.to.to_string(),
        "fdr_q": o.fdr_q,
        "kpis": kpis,
        "wards": areas(&pack.wards),
        "lsoas": areas(&pack.lsoas),
        "hot_spots": {
            "res": u8::from(o.resolution), "k": o.gi_k, "cells": pack.hot_spots.cells.len(),
            "hot": pack.hot_spots.bins.iter().filter(|b| **b > 0).count(),
            "cold": pack.hot_spots.bins.iter().filter(|b| **b < 0).count(),
        },
        "transitions": pack.transitions.as_ref().map(|t| t.iter().map(|t| json!({
            "before": t.before.label(), "after": t.after.label(), "cells": t.cells })).collect::<Vec<_>>()),
        "alerts": pack.alerts.iter().map(|a| json!({
            "id": a.id, "new": a.new, "period": a.period, "status": a.status, "note": a.note, "kind": a.kind,
            "unit": a.unit, "category": a.category, "observed": count(u64::from(a.observed)),
            "expected": a.expected, "q": a.q_value, "first_raised": a.first_raised })).collect::<Vec<_>>(),
        "patrol": {
            "areas": o.patrol_areas,
            "current_training": p.current_training.label(),
            "current": p.current.areas.iter().map(|a| json!({
                "rank": a.rank, "centre_h3": a.centre.to_string(), "area_km2": a.area_km2, "incidents": count(a.incidents) })).collect::<Vec<_>>(),
            "last_training": p.last_training.map(|t| t.label()),
            "last_hits": p.last_hits.map(|(n, _)| count(n)),
            "last_total": p.last_hits.map(|(_, t)| count(t)),
            "last_area_km2": p.last_area_km2,
            "last_pai": p.last_pai,
            "study_km2": pack.study_km2,
        },
    })
}
