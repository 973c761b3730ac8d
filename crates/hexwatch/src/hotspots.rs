//! `hexwatch hotspots --res 9 --category "Anti-social behaviour" --out top.geojson`

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use h3o::Resolution;
use hexwatch_core::{Filter, YearMonth, aggregate_cells};
use hexwatch_io::{Store, WardSet, hotspots_geojson};

/// The shipped BCP wards, relative to the repository root.
const SHIPPED_WARDS: &str = "data/boundaries-bcp-wards-2020/bcp-wards-2020-bgc.geojson";

/// Arguments of `hexwatch hotspots`.
#[derive(Debug, clap::Args)]
pub(crate) struct HotspotsArgs {
    /// H3 resolution, 5 to 12 (9: cells of about 0.1 km²).
    #[arg(long, default_value_t = 9)]
    res: u8,
    /// Categories by police.uk name or slug; repeat or separate with commas (default: all).
    #[arg(long)]
    category: Vec<String>,
    /// First month, YYYY-MM (inclusive).
    #[arg(long)]
    from: Option<YearMonth>,
    /// Last month, YYYY-MM (inclusive).
    #[arg(long)]
    to: Option<YearMonth>,
    /// Area: `bcp` (all wards) or `ward:<code>`.
    #[arg(long)]
    area: Option<String>,
    /// Ward boundaries for --area (GeoJSON with WD20CD/WD20NM); default: the shipped BCP
    /// wards, `data/boundaries-bcp-wards-2020/bcp-wards-2020-bgc.geojson` under the
    /// current directory.
    #[arg(long)]
    wards: Option<PathBuf>,
    /// Point-in-polygon tolerance for the wards, metres.
    #[arg(long, default_value_t = 11.0)]
    ward_tolerance_m: f64,
    /// How many cells, highest count first (1 to 10000).
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u16).range(1..=10_000))]
    limit: u16,
    /// Output GeoJSON file (`-` for standard output).
    #[arg(long)]
    out: PathBuf,
}

pub(crate) fn run(store_path: &Path, args: &HotspotsArgs) -> anyhow::Result<ExitCode> {
    let Some(res) = Some(args.res)
        .filter(|r| hexwatch_core::INDEXED_RESOLUTIONS.contains(r))
        .and_then(|r| Resolution::try_from(r).ok())
    else {
        bail!("invalid --res {}: an H3 resolution from 5 to 12", args.res);
    };
    let store = Store::open_existing(store_path)?;
    let wards = match &args.area {
        Some(_) => {
            let path = args.wards.clone().unwrap_or_else(|| PathBuf::from(SHIPPED_WARDS));
            if !path.is_file() {
                bail!("--area needs ward boundaries: no file at {}; pass --wards PATH", path.display());
            }
            Some(WardSet::from_geojson_file(&path, "WD20CD", "WD20NM")?.index(args.ward_tolerance_m))
        }
        None => None,
    };
    let table = store.load_table(wards.as_ref())?;
    if table.is_empty() {
        bail!("store {} holds no incidents: run `hexwatch ingest FILE...` first", store_path.display());
    }
    let mut filter = Filter { from: args.from, to: args.to, ..Filter::default() };
    if !args.category.is_empty() {
        filter.categories =
            Some(Filter::parse_categories(&table, &args.category.join(",")).context("--category")?);
    }
    if let Some(area) = &args.area {
        filter.area = Filter::parse_area(wards.as_ref(), area).context("--area")?;
    }
    filter.validate().context("--from/--to")?;
    let aggregate = aggregate_cells(&table, &filter, res);
    let months = table.month_span().map_or(0, |(f, l)| filter.months_selected(f, l));
    let limit = usize::from(args.limit);
    let ranked = aggregate.ranked();
    let fc = hotspots_geojson(&table, ranked.iter().take(limit).map(|(c, n)| (*c, *n)), months);
    let text = geojson::GeoJson::from(fc).to_string();
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
