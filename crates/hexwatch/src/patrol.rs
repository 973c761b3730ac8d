//! `hexwatch patrol-plan --areas 5 --area bcp`: K non-overlapping patrol areas and a patrol sheet.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use hexwatch_core::patrol::{PatchShape, PatrolParams, PatrolPlan, Weighting, plan_patrols};
use hexwatch_core::stats::StudyArea;
use hexwatch_core::{AreaFilter, Filter, parse_hours, parse_weekdays};
use hexwatch_io::{busiest_hours, patrol_csv, patrol_geojson, patrol_sheet_html};

use crate::selection::{Selected, SelectionArgs};

/// Arguments of `hexwatch patrol-plan`.
#[derive(Debug, clap::Args)]
pub(crate) struct PatrolArgs {
    /// Number of patrol areas K (1 to 100).
    #[arg(long, default_value_t = 5)]
    areas: usize,
    /// H3 resolution of the cells the areas are made of (9: about 0.1 km² a cell).
    #[arg(long, default_value_t = 9)]
    res: u8,
    /// Patch: a cell and its k-ring (k = 1: 7 cells).
    #[arg(long, default_value_t = 1, conflicts_with = "radius_m")]
    ring: u32,
    /// Patch: the cells whose centre lies within this many metres of a cell's centre
    /// (instead of --ring).
    #[arg(long)]
    radius_m: Option<f64>,
    /// Weigh incidents by their harm weight (the source's weight column) instead of counting them.
    #[arg(long)]
    harm: bool,
    /// Shift window: local hours, e.g. `22-3` (22:00 to 03:00). Needs timed data.
    #[arg(long)]
    hours: Option<String>,
    /// Shift window: weekdays, e.g. `fri,sat`. Needs dated data.
    #[arg(long)]
    weekdays: Option<String>,
    #[command(flatten)]
    selection: SelectionArgs,
    /// Output format: `text` (the plan on the terminal), `geojson`, `csv` or `html` (the
    /// printable patrol sheet).
    #[arg(long, default_value = "text", value_parser = ["text", "geojson", "csv", "html"])]
    format: String,
    /// Output file for geojson/csv/html (`-` or none: standard output).
    #[arg(long)]
    out: Option<PathBuf>,
}

pub(crate) fn run(store_path: &Path, args: &PatrolArgs) -> anyhow::Result<ExitCode> {
    let resolution = crate::selection::indexed_resolution(args.res)?;
    let Selected { table, areas, mut filter } = args.selection.load(store_path)?;
    if filter.categories.is_none() {
        filter.categories =
            Some(Filter::parse_categories(&table, "anti-social-behaviour").context("default category")?);
    }
    if let Some(h) = &args.hours {
        filter.hours = Some(parse_hours(h).map_err(anyhow::Error::msg).context("--hours")?);
    }
    if let Some(w) = &args.weekdays {
        filter.weekdays = Some(parse_weekdays(w).map_err(anyhow::Error::msg).context("--weekdays")?);
    }
    let study = if filter.area == AreaFilter::All {
        None
    } else {
        Some(StudyArea::covering(&areas.study_polygons(filter.area), resolution)?)
    };
    let shape =
        args.radius_m.map_or(PatchShape::Ring { k: args.ring }, |radius_m| PatchShape::Radius { radius_m });
    let params = PatrolParams {
        resolution,
        shape,
        areas: args.areas,
        weighting: if args.harm { Weighting::Harm } else { Weighting::Incidents },
    };
    let plan = plan_patrols(&table, &filter, &params, study.as_ref()).context("patrol plan")?;
    let selection = describe(&table, &filter, args);
    let text = match args.format.as_str() {
        "geojson" => serde_json::to_string_pretty(&patrol_geojson(&plan))?,
        "csv" => patrol_csv(&plan)?,
        "html" => patrol_sheet_html(&plan, "Patrol plan", &selection),
        _ => {
            print_plan(&plan, &selection);
            return Ok(ExitCode::SUCCESS);
        }
    };
    match &args.out {
        Some(path) if path.as_os_str() != "-" => {
            std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))?;
            println!("wrote {} patrol area(s) to {}", plan.areas.len(), path.display());
        }
        _ => print!("{text}"),
    }
    Ok(ExitCode::SUCCESS)
}

fn describe(table: &hexwatch_core::IncidentTable, filter: &Filter, args: &PatrolArgs) -> String {
    let categories = filter.categories.as_ref().map_or_else(
        || "all categories".to_owned(),
        |ids| ids.iter().map(|id| table.categories()[id.index()].name.clone()).collect::<Vec<_>>().join(", "),
    );
    let months = table.month_span().map(|(f, l)| {
        let from = filter.from.map_or(f, |x| x.max(f));
        let to = filter.to.map_or(l, |x| x.min(l));
        format!("{from} to {to}")
    });
    let patch = args.radius_m.map_or_else(
        || format!("H3 res {} cell + {}-ring", args.res, args.ring),
        |r| format!("{r} m radius"),
    );
    let mut s = format!(
        "{categories}; {}; area {}; patches: {patch}; weights: {}",
        months.unwrap_or_default(),
        args.selection.area_label(),
        if args.harm { "harm" } else { "incidents" }
    );
    if let Some(h) = &args.hours {
        s.push_str(&format!("; hours {h}"));
    }
    if let Some(w) = &args.weekdays {
        s.push_str(&format!("; weekdays {w}"));
    }
    s
}

fn print_plan(plan: &PatrolPlan, selection: &str) {
    println!("patrol plan: {selection}");
    if let Some(note) = &plan.windows_note {
        println!("note: {note}");
    }
    println!(
        "{} area(s) from {} candidates; {} selected incidents; {} shifts",
        plan.areas.len(),
        plan.candidates,
        plan.total_incidents,
        plan.shifts
    );
    println!(
        "{:>4} {:<16} {:>10} {:>10} {:>5} {:>7} {:>9} {:>7} {:>9}  busiest hours",
        "area", "centre", "lat", "lon", "cells", "km2", "incidents", "share", "per shift"
    );
    for a in &plan.areas {
        println!(
            "{:>4} {:<16} {:>10.5} {:>10.5} {:>5} {:>7.3} {:>9} {:>6.1}% {:>9.3}  {}",
            a.rank,
            a.centre.to_string(),
            a.centre_lon_lat.1,
            a.centre_lon_lat.0,
            a.cells.len(),
            a.area_km2,
            a.incidents,
            100.0 * a.share_of_incidents,
            a.expected_per_shift,
            busiest_hours(a)
        );
    }
    println!("guidance: {}", plan.koper_guidance);
    println!("guarantee: {}", plan.guarantee);
}
