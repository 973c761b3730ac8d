//! `hexwatch hotspots --res 9 --category "Anti-social behaviour" --out top.geojson`

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use h3o::Resolution;
use hexwatch_core::stats::{Method, StatOptions, StudyArea, analyse};
use hexwatch_core::{AreaFilter, AreaSets, Filter, aggregate_cells};
use hexwatch_io::hotspots_geojson;

use crate::selection::{Selected, SelectionArgs};

/// Arguments of `hexwatch hotspots`.
#[derive(Debug, clap::Args)]
pub(crate) struct HotspotsArgs {
    /// H3 resolution, 5 to 12 (9: cells of about 0.1 km²).
    #[arg(long, default_value_t = 9)]
    res: u8,
    #[command(flatten)]
    selection: SelectionArgs,
    /// How many cells, highest count first (1 to 10000).
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u16).range(1..=10_000))]
    limit: u16,
    /// Output file (`-` for standard output).
    #[arg(long)]
    out: PathBuf,
    /// What to rank: `count`, `gistar` (Getis-Ord Gi* with FDR bins), `moran` (local
    /// Moran's I clusters and outliers) or `emerging` (emerging hot spot patterns by month).
    #[arg(long, default_value = "count", value_parser = ["count", "gistar", "moran", "emerging"])]
    method: String,
    /// Output format.
    #[arg(long, default_value = "geojson", value_parser = ["geojson", "csv"])]
    format: String,
    /// Neighbourhood ring of the statistics, 1 to 3.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=3))]
    k: u32,
    /// Conditional permutations (local Moran; Gi* pseudo p when given).
    #[arg(long)]
    permutations: Option<u32>,
    /// Seed of the permutations.
    #[arg(long, default_value_t = 12_345)]
    seed: u64,
}

pub(crate) fn run(store_path: &Path, args: &HotspotsArgs) -> anyhow::Result<ExitCode> {
    let res = crate::selection::indexed_resolution(args.res)?;
    let Selected { table, areas, filter } = args.selection.load(store_path)?;
    if let Some(method) = Method::parse(&args.method) {
        return run_statistic(&table, &filter, &areas, res, method, args);
    }
    let aggregate = aggregate_cells(&table, &filter, res);
    let months = table.month_span().map_or(0, |(f, l)| filter.months_selected(f, l));
    let limit = usize::from(args.limit);
    let ranked = aggregate.ranked();
    let top = ranked.iter().take(limit).map(|(c, n)| (*c, *n));
    let text = if args.format == "csv" {
        hexwatch_io::cells_csv(&table, top, months)?
    } else {
        geojson::GeoJson::from(hotspots_geojson(&table, top, months)).to_string()
    };
    if args.out.as_os_str() == "-" {
        println!("{text}");
    } else {
        std::fs::write(&args.out, text).with_context(|| format!("writing {}", args.out.display()))?;
        println!(
            "wrote {} cells at resolution {} to {}",
            ranked.len().min(limit),
            args.res,
            args.out.display()
        );
        for (i, (cell, counts)) in ranked.iter().take(5).enumerate() {
            println!("  {}. {cell} {} incidents", i + 1, counts.total());
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Gi*, local Moran or emerging hot spots over the study area: every cell covering the
/// wards (the chosen area with `--area ward:…`, `lsoa:…` or `custom:…`).
fn run_statistic(
    table: &hexwatch_core::IncidentTable,
    filter: &Filter,
    areas: &AreaSets,
    res: Resolution,
    method: Method,
    args: &HotspotsArgs,
) -> anyhow::Result<ExitCode> {
    let area_key = match filter.area {
        AreaFilter::All | AreaFilter::AnyWard => AreaFilter::AnyWard,
        single => single,
    };
    let polygons = areas.study_polygons(area_key);
    if polygons.is_empty() {
        bail!(
            "--method {} needs a study area: give --area bcp (or ward:<code>, lsoa:<code>, custom:<set>/<name>)",
            method.as_str()
        );
    }
    let area = StudyArea::covering(&polygons, res)?;
    let mut options = StatOptions { k: args.k, seed: args.seed, ..StatOptions::default() };
    if let Some(p) = args.permutations {
        if method == Method::Moran && p == 0 {
            bail!("--permutations: local Moran needs at least 1 (999 by default)");
        }
        options.permutations = p;
        options.gi_permutations = p > 0;
    }
    let stats = analyse(table, filter, &area, method, options);
    let order: Vec<usize> =
        hexwatch_io::ranked_cells(&stats, method).into_iter().take(usize::from(args.limit)).collect();
    let text = if args.format == "csv" {
        hexwatch_io::stats_csv(&stats, &order)?
    } else {
        geojson::GeoJson::from(hexwatch_io::stats_geojson(&stats, &order)).to_string()
    };
    if args.out.as_os_str() == "-" {
        println!("{text}");
        return Ok(ExitCode::SUCCESS);
    }
    std::fs::write(&args.out, text).with_context(|| format!("writing {}", args.out.display()))?;
    println!(
        "{}: {} study-area cells at resolution {} ({} incidents inside, {} outside the study area); wrote {} to {}",
        method.as_str(),
        area.len(),
        u8::from(res),
        stats.counts.iter().sum::<f64>(),
        stats.outside,
        order.len(),
        args.out.display()
    );
    for (class, n) in hexwatch_io::class_counts(&stats) {
        println!("  {class}: {n}");
    }
    Ok(ExitCode::SUCCESS)
}
