//! `hexwatch report --period 2025-12 --area bcp --out pack.html`: the monthly partnership pack.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use hexwatch_core::{AreaSet, AreaSets, Filter, Role, YearMonth};
use hexwatch_io::{BoundarySet, PackOptions, PackStyle, Store, WardSet, build_pack, pack_html, pack_tables};

use crate::selection::SHIPPED_LSOAS;

/// The shipped BCP wards, relative to the repository root.
const SHIPPED_WARDS: &str = "data/boundaries-bcp-wards-2020/bcp-wards-2020-bgc.geojson";

/// Debian's Chromium, which prints the pack to PDF.
const CHROMIUM: &str = "/usr/bin/chromium";

/// Arguments of `hexwatch report`.
#[derive(Debug, clap::Args)]
pub(crate) struct ReportArgs {
    /// The month reported on, `YYYY-MM` (the quarter and year to date end there).
    #[arg(long)]
    period: YearMonth,
    /// Area: `bcp` (all wards), `ward:<code>`, `lsoa:<code>`, `custom:<set>/<name>` or `all`.
    #[arg(long, default_value = "bcp")]
    area: String,
    /// Categories by police.uk name or slug; repeat or separate with commas (default: all).
    #[arg(long)]
    category: Vec<String>,
    /// Ward boundaries (GeoJSON with WD20CD/WD20NM); default: the shipped BCP wards.
    #[arg(long)]
    wards: Option<PathBuf>,
    /// Point-in-polygon tolerance for the wards, metres.
    #[arg(long, default_value_t = 11.0)]
    ward_tolerance_m: f64,
    /// LSOA boundaries (GeoJSON with code/name); default: the shipped BCP LSOA 2021 layer
    /// when present.
    #[arg(long)]
    lsoas: Option<PathBuf>,
    /// Point-in-polygon tolerance for the LSOAs, metres (only for incidents without an LSOA code).
    #[arg(long, default_value_t = hexwatch_server::DEFAULT_LSOA_TOLERANCE_M)]
    lsoa_tolerance_m: f64,
    /// Who the pack is for: `partner` (exact counts) or `public` (only what the public cube
    /// publishes; partner-only sections omitted; `--res` capped at the public resolution).
    #[arg(long, default_value = "partner", value_parser = ["partner", "public"])]
    role: String,
    /// H3 resolution of the hot spot, transition and patrol cells (5–12).
    #[arg(long, default_value_t = 9)]
    res: u8,
    /// Patrol areas K in the plan (1 to 100).
    #[arg(long, default_value_t = 5)]
    patrol_areas: usize,
    /// Rows of the top wards and LSOAs tables on the page.
    #[arg(long, default_value_t = 10)]
    top: usize,
    /// Output HTML file; the CSV tables go to `<stem>-tables/` beside it.
    #[arg(long)]
    out: PathBuf,
    /// Also print the page to this PDF with Debian's Chromium (`/usr/bin/chromium`, package `chromium`).
    #[arg(long)]
    pdf: Option<PathBuf>,
}

pub(crate) fn run(store_path: &Path, args: &ReportArgs) -> anyhow::Result<ExitCode> {
    let resolution = crate::selection::indexed_resolution(args.res)?;
    if !(1..=100).contains(&args.patrol_areas) {
        bail!("invalid --patrol-areas {}: 1 to 100", args.patrol_areas);
    }
    let store = Store::open_existing(store_path)?;
    let data_version = store.summary()?.data_version;
    let mut areas = AreaSets::default();
    let wards = args.wards.clone().unwrap_or_else(|| PathBuf::from(SHIPPED_WARDS));
    if !wards.is_file() {
        bail!(
            "the partnership pack needs ward boundaries: no file at {}; pass --wards PATH",
            wards.display()
        );
    }
    areas.wards = Some(
        WardSet::from_geojson_file(&wards, "WD20CD", "WD20NM")
            .with_context(|| format!("--wards {}", wards.display()))?
            .index(args.ward_tolerance_m),
    );
    let lsoas = args.lsoas.clone().unwrap_or_else(|| PathBuf::from(SHIPPED_LSOAS));
    if lsoas.is_file() {
        areas.lsoas = Some(
            BoundarySet::read(AreaSet::LSOA, &lsoas, "code", "name")
                .with_context(|| format!("--lsoas {}", lsoas.display()))?
                .index(args.lsoa_tolerance_m),
        );
    } else if args.lsoas.is_some() {
        bail!("--lsoas: no file at {}", lsoas.display());
    }
    if args.area.starts_with("custom:") {
        areas.custom = store.load_area_sets()?;
    }
    let mut table = store.load_table(areas.wards.as_ref())?;
    if table.is_empty() {
        bail!("store {} holds no incidents: run `hexwatch ingest FILE...` first", store_path.display());
    }
    if let Some(l) = &areas.lsoas {
        table.assign_lsoas(l);
    }
    table.assign_custom(&areas.custom);
    let mut filter = Filter::default();
    if !args.category.is_empty() {
        filter.categories =
            Some(Filter::parse_categories(&table, &args.category.join(",")).context("--category")?);
    }
    if args.area != "all" {
        filter.area = Filter::parse_area(&areas, &args.area).context("--area")?;
    }
    let role = if args.role == "public" { Role::Public } else { Role::Partner };
    let mut options = PackOptions::new(args.period, filter, &args.area, role);
    options.resolution = resolution;
    options.patrol_areas = args.patrol_areas;
    options.top_areas = args.top;
    // Statuses and notes of the alerts the server (or `hexwatch alerts --record`) recorded.
    options.stored_alerts = store.alerts(None, None, None)?;
    let pack = build_pack(&table, &areas, data_version, options).map_err(|e| match e {
        hexwatch_io::PackError::Public { parameter, message } => {
            anyhow::anyhow!("--{parameter} (with --role public): {message}")
        }
        other => anyhow::Error::new(other).context("--period"),
    })?;
    let html =
        pack_html(&pack, PackStyle::Inline).map_err(anyhow::Error::msg).context("drawing the charts")?;
    std::fs::write(&args.out, &html).with_context(|| format!("writing {}", args.out.display()))?;
    let dir = tables_dir(&args.out);
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    for (name, body) in pack_tables(&pack)? {
        let path = dir.join(name);
        std::fs::write(&path, body).with_context(|| format!("writing {}", path.display()))?;
    }
    println!("wrote {} and its tables in {}", args.out.display(), dir.display());
    if let Some(pdf) = &args.pdf {
        print_pdf(&args.out, pdf)?;
        println!("printed {}", pdf.display());
    }
    Ok(ExitCode::SUCCESS)
}

/// `pack.html` → `pack-tables/` beside it.
fn tables_dir(out: &Path) -> PathBuf {
    let stem = out.file_stem().map_or_else(|| "pack".into(), |s| s.to_string_lossy().into_owned());
    out.with_file_name(format!("{stem}-tables"))
}

/// Prints `html` to `pdf` with headless Chromium.
fn print_pdf(html: &Path, pdf: &Path) -> anyhow::Result<()> {
    if !Path::new(CHROMIUM).is_file() {
        bail!(
            "--pdf needs Debian's Chromium at {CHROMIUM}: install the `chromium` package (apt-get install chromium)"
        );
    }
    let html = std::fs::canonicalize(html).with_context(|| format!("reading {}", html.display()))?;
    let status = std::process::Command::new(CHROMIUM)
        .args(["--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer"])
        .arg(format!("--print-to-pdf={}", pdf.display()))
        .arg(format!("file://{}", html.display()))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .with_context(|| format!("running {CHROMIUM}"))?;
    if !status.success() || !pdf.is_file() {
        bail!("{CHROMIUM} could not print {} to {} ({status})", html.display(), pdf.display());
    }
    Ok(())
}
