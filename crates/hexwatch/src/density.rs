//! `hexwatch density --bandwidth-m 300 --cell-size-m 50 --category ... --out FILE.tif`

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use hexwatch_core::kde::{
    Bandwidth, BandwidthRule, GridSpec, Kernel, arcgis_bandwidth, binned_error_bound_per_m2, kde_binned,
    kde_exact, kde_points,
};
use hexwatch_io::write_density_geotiff;

use crate::selection::{Selected, SelectionArgs};

/// Arguments of `hexwatch density`.
#[derive(Debug, clap::Args)]
pub(crate) struct DensityArgs {
    /// Kernel support radius in metres (default: ArcGIS's rule, 0.9·min(SD, √(1/ln 2)·Dm)·n^−0.2).
    #[arg(long)]
    bandwidth_m: Option<f64>,
    /// Cell size in metres (default: the shorter side of the points' extent ÷ 250, as ArcGIS).
    #[arg(long)]
    cell_size_m: Option<f64>,
    /// Kernel.
    #[arg(long, default_value = "quartic", value_parser = ["quartic", "epanechnikov", "triangular", "uniform", "gaussian"])]
    kernel: String,
    /// Harm weight per category, `category=weight` (repeatable; e.g.
    /// `--weight violence-and-sexual-offences=3`); categories not named weigh 1.
    #[arg(long = "weight", value_name = "CATEGORY=WEIGHT")]
    weights: Vec<String>,
    /// Use the binned path (linear binning + convolution; quartic kernel only): faster, within
    /// 6·δ²/(π·h⁴) per m² per unit weight of the exact sum (δ cell size, h bandwidth).
    #[arg(long)]
    binned: bool,
    #[command(flatten)]
    selection: SelectionArgs,
    /// GeoTIFF to write (EPSG:27700, float32, incidents per km² per month).
    #[arg(long)]
    out: PathBuf,
    /// PNG preview with a legend (default: the GeoTIFF's name with .png).
    #[arg(long)]
    png: Option<PathBuf>,
}

pub(crate) fn run(store_path: &Path, args: &DensityArgs) -> anyhow::Result<ExitCode> {
    let Selected { table, areas, filter } = args.selection.load(store_path)?;
    let months = table.month_span().map_or(0, |(f, l)| filter.months_selected(f, l));
    let mut weight_of = vec![1.0; table.categories().len()];
    for spec in &args.weights {
        let (name, w) = spec
            .split_once('=')
            .with_context(|| format!("invalid --weight {spec:?}: expected category=weight"))?;
        let c = table.find_category(name.trim()).with_context(|| {
            format!("invalid --weight {spec:?}: no category {:?} in the store", name.trim())
        })?;
        let w: f64 = w
            .trim()
            .parse()
            .ok()
            .filter(|w: &f64| w.is_finite() && *w >= 0.0)
            .with_context(|| format!("invalid --weight {spec:?}: the weight must be a number ≥ 0"))?;
        weight_of[c.index()] = w;
    }
    let weighted = if args.weights.is_empty() { "incidents" } else { "harm-weighted incidents" };
    let points = kde_points(&table, &filter, |c| weight_of[c]);
    if points.is_empty() {
        bail!("no incidents match the selection: nothing to smooth");
    }
    let kernel = Kernel::parse(&args.kernel).context("--kernel")?;
    let bandwidth = match args.bandwidth_m {
        Some(h) if h > 0.0 && h.is_finite() => Bandwidth {
            bandwidth_m: h,
            rule: BandwidthRule::Given,
            standard_distance_m: f64::NAN,
            median_distance_m: f64::NAN,
            n: points.iter().map(|p| p.weight).sum(),
        },
        Some(h) => bail!("invalid --bandwidth-m {h}: must be a positive number of metres"),
        None => arcgis_bandwidth(
            &points.iter().map(|p| (p.easting_m, p.northing_m, p.weight)).collect::<Vec<_>>(),
        )
        .context("no weight to choose a bandwidth from")?,
    };
    let extent = |get: fn(&hexwatch_core::kde::WeightedPoint) -> f64| {
        points.iter().map(get).fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| (lo.min(v), hi.max(v)))
    };
    let ((xmin, xmax), (ymin, ymax)) = (extent(|p| p.easting_m), extent(|p| p.northing_m));
    if let Some(c) = args.cell_size_m
        && !(c > 0.0 && c.is_finite())
    {
        bail!("invalid --cell-size-m {c}: must be a positive number of metres");
    }
    let spec = GridSpec::over_extent(xmin, ymin, xmax, ymax, args.cell_size_m)
        .context("the incidents lie on one line or point: give --cell-size-m")?;
    let cell_rule =
        if args.cell_size_m.is_some() { "given" } else { "ArcGIS default: shorter extent side / 250" };
    if bandwidth.bandwidth_m < spec.cell_size_m {
        eprintln!(
            "warning: bandwidth {:.1} m is below the cell size {:.1} m: the surface will look like isolated dots",
            bandwidth.bandwidth_m, spec.cell_size_m
        );
    }
    let keep = |x: f64, y: f64| {
        areas.keeps_point(filter.area, hexwatch_core::BngPoint { easting_m: x, northing_m: y })
    };
    let grid = if args.binned {
        let bound = binned_error_bound_per_m2(bandwidth.bandwidth_m, spec.cell_size_m) * 1e6
            / f64::from(months.max(1));
        eprintln!(
            "binned path: each cell within {bound:.3e} incidents per km² per month per incident within h + δ√2 of it"
        );
        kde_binned(&points, &spec, kernel, bandwidth.bandwidth_m, months, &keep)
            .map_err(|e| anyhow::anyhow!("--{e}"))?
    } else {
        kde_exact(&points, &spec, kernel, bandwidth.bandwidth_m, months, &keep)
    };
    let path = if args.binned { "binned" } else { "exact" };
    let rule = if bandwidth.rule == BandwidthRule::Given { "given" } else { "ArcGIS rule" };
    let notes = vec![
        format!("kernel {} ({path})", kernel.as_str()),
        format!("bandwidth {:.1} m ({rule})", bandwidth.bandwidth_m),
        format!(
            "cell {:.1} m ({})",
            spec.cell_size_m,
            if args.cell_size_m.is_some() { "given" } else { "extent / 250" }
        ),
        format!("{} {weighted}, {months} months", bandwidth.n),
        "EPSG:27700; NoData outside area".to_owned(),
        "Contains public sector information".to_owned(),
        "licensed under the OGL v3.0".to_owned(),
    ];
    let description = format!(
        "hexwatch kernel density, {weighted} per km2 per month; path={path}; weights={:?}; kernel={}; bandwidth_m={}; bandwidth_rule={}; cell_size_m={}; cell_size_rule={cell_rule}; incidents={}; months={months}; filter={filter:?}",
        args.weights,
        kernel.as_str(),
        bandwidth.bandwidth_m,
        bandwidth.rule.describe(),
        spec.cell_size_m,
        bandwidth.n
    );
    // TIFF ASCII tags take ASCII only.
    let description = description.replace('·', "*").replace('√', "sqrt").replace('−', "-").replace('²', "2");
    let description: String = description.chars().filter(char::is_ascii).collect();
    write_density_geotiff(&args.out, &grid, &description)?;
    let png_path = args.png.clone().unwrap_or_else(|| args.out.with_extension("png"));
    let png = hexwatch_tiles::density_preview_png(&grid, &notes).context("encoding the PNG preview")?;
    std::fs::write(&png_path, png).with_context(|| format!("writing {}", png_path.display()))?;
    println!(
        "wrote {} ({} × {} cells) and {}",
        args.out.display(),
        spec.ncols,
        spec.nrows,
        png_path.display()
    );
    println!(
        "  kernel {}, bandwidth {:.1} m ({})",
        kernel.as_str(),
        bandwidth.bandwidth_m,
        bandwidth.rule.describe()
    );
    println!(
        "  cell {:.1} m ({cell_rule}); {} {weighted} over {months} months; {path} path",
        spec.cell_size_m, bandwidth.n
    );
    if let Some((peak, row, col)) = grid.peak() {
        let (x, y) = spec.centre(row, col);
        println!("  peak {peak:.2} incidents per km² per month at E {x:.0} N {y:.0}");
    }
    Ok(ExitCode::SUCCESS)
}
