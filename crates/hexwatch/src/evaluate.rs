//! `hexwatch evaluate --area bcp --category anti-social-behaviour,violent-crime`: the
//! rolling-origin backtest of the hotspot methods, printed, with a chart.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use hexwatch_core::evaluation::{AREA_SHARES, BacktestParams, BacktestResult, backtest};
use hexwatch_core::stats::StudyArea;
use hexwatch_core::{AreaFilter, Filter};
use hexwatch_io::{backtest_inputs, evaluation_chart_svg};

use crate::selection::{Selected, SelectionArgs};

/// Arguments of `hexwatch evaluate`.
#[derive(Debug, clap::Args)]
pub(crate) struct EvaluateArgs {
    /// H3 resolution of the units (9: about 0.1 km² a cell).
    #[arg(long, default_value_t = 9)]
    res: u8,
    /// Fewest training months before the first test month.
    #[arg(long, default_value_t = 3)]
    min_training_months: u32,
    #[command(flatten)]
    selection: SelectionArgs,
    /// Where to write the chart (SVG): PAI at 3 % of the area by test month and method.
    #[arg(long, default_value = "evaluation.svg")]
    chart: PathBuf,
    /// Also write every month's scores as CSV here.
    #[arg(long)]
    csv: Option<PathBuf>,
}

pub(crate) fn run(store_path: &Path, args: &EvaluateArgs) -> anyhow::Result<ExitCode> {
    let resolution = crate::selection::indexed_resolution(args.res)?;
    let Selected { table, areas, mut filter } = args.selection.load(store_path)?;
    if filter.area == AreaFilter::All {
        bail!("evaluate needs a study area: pass --area bcp (or a ward, LSOA or custom area)");
    }
    if filter.categories.is_none() {
        filter.categories = Some(
            Filter::parse_categories(&table, "anti-social-behaviour,violent-crime")
                .context("default categories")?,
        );
    }
    let polygons = areas.study_polygons(filter.area);
    let study_km2 = study_area_km2(&areas, filter.area);
    let study = StudyArea::covering(&polygons, resolution)?;
    let (units, incidents) = backtest_inputs(&table, &filter, &study)?;
    let result = backtest(
        &units,
        &study,
        &incidents,
        &BacktestParams { study_km2, min_training_months: args.min_training_months },
    );
    println!(
        "study area A = {study_km2:.2} km² (boundary area in EPSG:27700); {} cells at res {}; {} incidents; \
         {} test months",
        units.len(),
        args.res,
        incidents.len(),
        result.test_months.len()
    );
    print_table(&result);
    let svg = evaluation_chart_svg(&result, 0.03).map_err(anyhow::Error::msg).context("drawing the chart")?;
    std::fs::write(&args.chart, svg).with_context(|| format!("writing {}", args.chart.display()))?;
    println!("chart: {}", args.chart.display());
    if let Some(path) = &args.csv {
        std::fs::write(path, scores_csv(&result)).with_context(|| format!("writing {}", path.display()))?;
        println!("scores: {}", path.display());
    }
    Ok(ExitCode::SUCCESS)
}

/// The study area's land area: the sum of its boundaries' areas in EPSG:27700 (wards do not
/// overlap, so for `bcp` this is the ward union's area).
fn study_area_km2(areas: &hexwatch_core::AreaSets, area: AreaFilter) -> f64 {
    match areas.resolve(area) {
        Some((_, a)) => a.area_km2(),
        None => areas.wards.iter().flat_map(|w| w.areas().iter().map(hexwatch_core::Area::area_km2)).sum(),
    }
}

fn fmt(v: Option<f64>, digits: usize) -> String {
    v.map_or_else(|| "n/a".to_owned(), |x| format!("{x:.digits$}"))
}

fn print_table(result: &BacktestResult) {
    println!(
        "{:<12} {:>6} {:>7} {:>8} {:>7} {:>7} {:>7}",
        "method", "share", "a/A", "hit rate", "PAI", "PEI*", "RRI"
    );
    for share in AREA_SHARES {
        for s in result.summary.iter().filter(|s| (s.share - share).abs() < 1e-12) {
            println!(
                "{:<12} {:>5.0}% {:>6.2}% {:>8} {:>7} {:>7} {:>7}",
                s.method.as_str(),
                s.share * 100.0,
                s.mean_area_share * 100.0,
                fmt(s.hit_rate, 3),
                fmt(s.pai, 2),
                fmt(s.pei_star, 3),
                fmt(s.rri, 2)
            );
        }
        let best = result
            .summary
            .iter()
            .filter(|s| (s.share - share).abs() < 1e-12)
            .filter_map(|s| s.pai.map(|p| (s.method, p)))
            .max_by(|a, b| a.1.total_cmp(&b.1));
        if let Some((m, p)) = best {
            println!("  highest mean PAI at {:.0} %: {} ({p:.2})", share * 100.0, m.as_str());
        }
    }
}

fn scores_csv(result: &BacktestResult) -> String {
    let mut out =
        String::from("method,test_month,share,units,a_km2,n,N,n1,N1,n_star,hit_rate,pai,pei_star,rri\n");
    for s in &result.scores {
        let o = |v: Option<f64>| v.map_or_else(String::new, |x| format!("{x:.6}"));
        out.push_str(&format!(
            "{},{},{},{},{:.6},{},{},{},{},{},{},{},{},{}\n",
            s.method.as_str(),
            hexwatch_core::YearMonth::new(s.month.div_euclid(12), s.month.rem_euclid(12).unsigned_abs() + 1)
                .map_or_else(|_| s.month.to_string(), |m| m.to_string()),
            s.share,
            s.units,
            s.a_km2,
            s.n,
            s.total_n,
            s.n1,
            s.total_n1,
            s.n_star,
            o(s.hit_rate),
            o(s.pai),
            o(s.pei_star),
            o(s.rri)
        ));
    }
    out
}
