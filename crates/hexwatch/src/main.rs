//! The `hexwatch` command: `serve`, `ingest`, `delete`, `areas`, `density`, `hotspots`,
//! `cluster`, `alerts`, `patrol-plan`, `evaluate`, `report`, `generate`.

#![expect(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "a command-line program reports on its terminal"
)]

mod alerts;
mod areas;
mod cluster;
mod density;
mod evaluate;
mod generate;
mod hotspots;
mod ingest;
mod patrol;
mod report;
mod selection;
mod serve;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Hotspot maps of anti-social behaviour and violence for community safety partnerships.
#[derive(Debug, Parser)]
#[command(name = "hexwatch", version, about)]
struct Cli {
    /// The SQLite store (created when missing).
    #[arg(long, global = true, env = "HEXWATCH_STORE", default_value = "hexwatch.sqlite3")]
    store: PathBuf,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the map, tiles and API (ingesting the shipped data first when the store is empty).
    Serve(serve::ServeArgs),
    /// Ingest data.police.uk street CSV files (plain, .gz or monthly .zip), or partner CSV
    /// files with a column mapping, into the store.
    Ingest(ingest::IngestArgs),
    /// Delete a partner source's incidents by their source references (cancelled records).
    Delete(ingest::DeleteArgs),
    /// Custom area sets (beats, PSPO zones, …): add from GeoJSON, list, remove.
    Areas(areas::AreasArgs),
    /// Kernel density of the selection as a GeoTIFF (EPSG:27700) and a PNG preview.
    Density(density::DensityArgs),
    /// Write the top H3 cells by incident count as GeoJSON.
    Hotspots(hotspots::HotspotsArgs),
    /// Cluster the selected incidents (DBSCAN, or CrimeStat's nearest-neighbour hierarchical
    /// clustering) and write each cluster's convex hull with its counts as GeoJSON.
    Cluster(cluster::ClusterArgs),
    /// Plan K non-overlapping patrol areas covering the most incidents; print them or write
    /// GeoJSON, CSV or a printable patrol sheet (HTML).
    PatrolPlan(patrol::PatrolArgs),
    /// Backtest the hotspot methods month by month (hit rate, PAI, PEI*, RRI at 1/3/5 % of
    /// the area) and write a chart.
    Evaluate(evaluate::EvaluateArgs),
    /// Print the hotspot alerts of one month (cells and ward × category).
    Alerts(alerts::AlertsArgs),
    /// The monthly partnership pack: KPIs with E-tests against earlier periods, monthly
    /// charts, top wards and LSOAs, hot spot and density pictures, alerts and the patrol plan
    /// with last period's PAI, as one HTML page with CSV tables (and a PDF with --pdf).
    Report(report::ReportArgs),
    /// Write seeded synthetic incidents (Gaussian hotspots over a uniform background) as a
    /// data.police.uk street CSV.
    Generate(generate::GenerateArgs),
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("HEXWATCH_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn,hexwatch=info,tower_http=warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Serve(args) => serve::run(&cli.store, args),
        Command::Ingest(args) => ingest::run(&cli.store, &args),
        Command::Delete(args) => ingest::run_delete(&cli.store, &args),
        Command::Areas(args) => areas::run(&cli.store, &args),
        Command::Hotspots(args) => hotspots::run(&cli.store, &args),
        Command::Cluster(args) => cluster::run(&cli.store, &args),
        Command::PatrolPlan(args) => patrol::run(&cli.store, &args),
        Command::Evaluate(args) => evaluate::run(&cli.store, &args),
        Command::Alerts(args) => alerts::run(&cli.store, &args),
        Command::Density(args) => density::run(&cli.store, &args),
        Command::Report(args) => report::run(&cli.store, &args),
        Command::Generate(args) => generate::run(&args),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("hexwatch: error: {e:#}");
            ExitCode::from(2)
        }
    }
}
