//! `hexwatch cluster --method dbscan|nnh --eps-m 150 --min-points 10 --out clusters.geojson`

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, bail};
use hexwatch_core::cluster::{ClusterError, ClusterMethod, NnhParams, NnhThreshold, cluster_selection};
use hexwatch_io::{BngProjector, cluster_outlines, clusters_geojson};
use indicatif::{ProgressBar, ProgressStyle};

use crate::selection::{Selected, SelectionArgs};

/// Arguments of `hexwatch cluster`.
#[derive(Debug, clap::Args)]
pub(crate) struct ClusterArgs {
    /// `dbscan` (density-based: core points with at least --min-points incidents within
    /// --eps-m) or `nnh` (CrimeStat's nearest-neighbour hierarchical clustering, first order:
    /// incidents closer than a threshold linked, clusters of --min-points or more kept).
    #[arg(long, default_value = "dbscan", value_parser = ["dbscan", "nnh"])]
    method: String,
    /// DBSCAN's neighbourhood radius in metres (distance ≤ eps counts); default 100.
    #[arg(long)]
    eps_m: Option<f64>,
    /// DBSCAN: incidents within --eps-m (the incident itself included) that make a core
    /// point. NNH: the fewest incidents a cluster may have.
    #[arg(long, default_value_t = 10)]
    min_points: usize,
    /// NNH: one-tailed probability of the random threshold, 0 < p ≤ 0.5; the threshold is
    /// 0.5·√(A/N) − z·0.26136·√(A/N²) with P(Z > z) = p. Default 0.05 (z = 1.645).
    #[arg(long)]
    p: Option<f64>,
    /// NNH: a fixed threshold in metres instead of the random one.
    #[arg(long)]
    threshold_m: Option<f64>,
    /// NNH: the study area A in km² for the random threshold (default: the --area's size,
    /// all BCP wards for `bcp`; without --area the incidents' bounding rectangle).
    #[arg(long)]
    area_km2: Option<f64>,
    #[command(flatten)]
    selection: SelectionArgs,
    /// GeoJSON to write: one convex hull per cluster with its counts (`-` for standard output).
    #[arg(long)]
    out: PathBuf,
}

impl ClusterArgs {
    /// The method and its parameters, refusing options of the other method.
    fn method(&self) -> anyhow::Result<ClusterMethod> {
        if self.method == "dbscan" {
            for (given, name) in [
                (self.p.is_some(), "--p"),
                (self.threshold_m.is_some(), "--threshold-m"),
                (self.area_km2.is_some(), "--area-km2"),
            ] {
                if given {
                    bail!("{name} applies only to --method nnh");
                }
            }
            return Ok(ClusterMethod::Dbscan {
                eps_m: self.eps_m.unwrap_or(100.0),
                min_points: self.min_points,
            });
        }
        if self.eps_m.is_some() {
            bail!("--eps-m applies only to --method dbscan (NNH takes --p or --threshold-m)");
        }
        let threshold = match (self.p, self.threshold_m) {
            (Some(_), Some(_)) => bail!("give --p (random threshold) or --threshold-m (fixed), not both"),
            (_, Some(distance_m)) => {
                if self.area_km2.is_some() {
                    bail!("--area-km2 applies only to the random threshold (--p), not --threshold-m");
                }
                NnhThreshold::Fixed { distance_m }
            }
            (p, None) => {
                NnhThreshold::Random { area_m2: self.area_km2.map(|a| a * 1e6), p: p.unwrap_or(0.05) }
            }
        };
        Ok(ClusterMethod::Nnh(NnhParams { threshold, min_points: self.min_points }))
    }
}

/// The command-line option behind a clustering error's parameter.
fn option_of(e: &ClusterError, area_given: bool) -> &'static str {
    match e.parameter() {
        "eps_m" => "--eps-m",
        "min_points" => "--min-points",
        "p" => "--p",
        "threshold_m" => "--threshold-m",
        "area" if area_given => "--area-km2",
        "area" => "--area",
        _ => "the selection",
    }
}

pub(crate) fn run(store_path: &Path, args: &ClusterArgs) -> anyhow::Result<ExitCode> {
    let mut method = args.method()?;
    let spinner = ProgressBar::new_spinner().with_style(
        ProgressStyle::with_template("{spinner} {msg} {elapsed}")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    spinner.enable_steady_tick(Duration::from_millis(120));
    spinner.set_message("loading the incidents");
    let Selected { table, areas, filter } = args.selection.load(store_path)?;
    if let ClusterMethod::Nnh(params) = &mut method
        && let NnhThreshold::Random { area_m2: area_m2 @ None, .. } = &mut params.threshold
    {
        *area_m2 = areas.area_m2(filter.area);
    }
    spinner.set_message(format!("clustering ({})", method.as_str()));
    let run = cluster_selection(&table, &filter, method)
        .map_err(|e| anyhow::anyhow!("{}: {e}", option_of(&e, args.area_km2.is_some())))?;
    spinner.set_message("outlining the clusters");
    let outlines =
        cluster_outlines(&run, &BngProjector::new()).context("projecting the outlines to WGS84")?;
    let text = geojson::GeoJson::from(clusters_geojson(&run, &outlines)).to_string();
    spinner.finish_and_clear();
    if args.out.as_os_str() == "-" {
        println!("{text}");
        return Ok(ExitCode::SUCCESS);
    }
    std::fs::write(&args.out, text).with_context(|| format!("writing {}", args.out.display()))?;

    let incidents = run.labels.len();
    #[expect(clippy::cast_precision_loss, reason = "incident counts are far below 2^52")]
    let share = if incidents == 0 { 0.0 } else { 100.0 * run.clustered() as f64 / incidents as f64 };
    let parameters = match (run.method, run.random) {
        (ClusterMethod::Dbscan { eps_m, min_points }, _) => format!("eps {eps_m} m, min_points {min_points}"),
        (ClusterMethod::Nnh(p), Some(r)) => format!(
            "threshold {:.2} m = 0.5·√(A/N) {:.2} m − z {:.3} × SE {:.2} m (p {}; A = {:.3} km², {}; N = {}), \
             min_points {}",
            r.distance_m,
            r.mean_random_m,
            r.z,
            r.standard_error_m,
            r.p,
            r.area_m2 / 1e6,
            if r.area_given { "the selected area" } else { "the incidents' bounding rectangle" },
            r.n,
            p.min_points
        ),
        (ClusterMethod::Nnh(p), None) => {
            format!("threshold {} m, min_points {}", run.threshold_m.unwrap_or(f64::NAN), p.min_points)
        }
    };
    println!("{} ({parameters})", run.method.as_str());
    println!(
        "  {} clusters; {} of {incidents} incidents clustered ({share:.1} %), {} {}",
        run.hulls.len(),
        run.clustered(),
        run.noise(),
        if matches!(run.method, ClusterMethod::Dbscan { .. }) { "noise" } else { "unclustered" }
    );
    for o in outlines.iter().take(5) {
        let core = o.core_count.map(|c| format!(" ({c} core)")).unwrap_or_default();
        let hull = if o.buffered_m > 0.0 {
            "on one spot or line".to_owned()
        } else {
            format!("hull {:.4} km²", o.area_km2)
        };
        println!("  {}. {} incidents{core}, {hull}", o.rank, o.count);
    }
    println!("wrote {} clusters to {}", outlines.len(), args.out.display());
    Ok(ExitCode::SUCCESS)
}
