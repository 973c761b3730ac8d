//! `hexwatch alerts --as-of 2025-12`: the hotspot alerts of one period.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use hexwatch_core::YearMonth;
use hexwatch_io::{AlertSettings, Store, WardSet, compute_alerts};

/// Arguments of `hexwatch alerts`.
#[derive(Debug, clap::Args)]
pub(crate) struct AlertsArgs {
    /// The period (month) whose alerts to print, `YYYY-MM`.
    #[arg(long)]
    as_of: YearMonth,
    /// H3 resolution of the cell series (5–12).
    #[arg(long, default_value_t = 9)]
    res: u8,
    /// Ward boundaries (GeoJSON with WD20CD/WD20NM).
    #[arg(long, default_value = "data/boundaries-bcp-wards-2020/bcp-wards-2020-bgc.geojson")]
    wards: PathBuf,
    /// Point-in-polygon tolerance for the wards, metres.
    #[arg(long, default_value_t = 11.0)]
    ward_tolerance_m: f64,
    /// Trailing baseline periods B.
    #[arg(long, default_value_t = 6)]
    baseline: u32,
    /// False discovery rate q across the series tested in a period.
    #[arg(long, default_value_t = 0.05)]
    fdr_q: f64,
    /// Also record the alerts in the store (as the server does), keeping their status.
    #[arg(long)]
    record: bool,
}

pub(crate) fn run(store_path: &Path, args: &AlertsArgs) -> anyhow::Result<ExitCode> {
    let resolution = crate::selection::indexed_resolution(args.res)?;
    let wards = WardSet::from_geojson_file(&args.wards, "WD20CD", "WD20NM")
        .with_context(|| format!("--wards {}", args.wards.display()))?;
    let index = wards.index(args.ward_tolerance_m);
    let mut store = Store::open_existing(store_path)?;
    let table = store.load_table(Some(&index))?;
    let Some((first, last)) = table.month_span() else { bail!("the store holds no incidents") };
    if args.as_of < first || args.as_of > last {
        bail!("invalid --as-of {}: the data cover {first} to {last}", args.as_of);
    }
    let mut settings = AlertSettings { resolution, ..AlertSettings::default() };
    settings.params.baseline_periods = args.baseline;
    settings.params.fdr_q = args.fdr_q;
    let alerts = compute_alerts(&table, &index, &settings).map_err(anyhow::Error::msg)?;
    if args.record {
        let new = store.record_alerts(&alerts)?;
        println!("recorded {} alert(s), {} new", alerts.len(), new.len());
    }
    let label = args.as_of.to_string();
    let chosen: Vec<_> = alerts.iter().filter(|a| a.period_label == label).collect();
    let needed = usize::try_from(args.baseline).unwrap_or(usize::MAX);
    let available = usize::try_from(args.as_of.ordinal() - first.ordinal()).unwrap_or(0);
    if available < needed {
        println!(
            "{label}: insufficient baseline ({available} of {needed} earlier months in the data): not tested"
        );
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "{label}: {} alert(s) — exact conditional test x | x+S ~ Binomial(x+S, 1/(B+1)), B = {needed}, \
         Benjamini–Hochberg q ≤ {}",
        chosen.len(),
        args.fdr_q
    );
    if let Some(a) = chosen.first() {
        println!("seasonality: {}", a.seasonality);
    }
    println!(
        "{:<48} {:>8} {:>8} {:>6} {:>10} {:>10}  first raised",
        "alert", "observed", "expected", "ratio", "p", "q"
    );
    for a in chosen {
        let ratio = a.ratio.map_or_else(|| "-".to_owned(), |r| format!("{r:.1}"));
        println!(
            "{:<48} {:>8} {:>8.2} {:>6} {:>10.2e} {:>10.2e}  {} ({})",
            a.id, a.observed, a.expected, ratio, a.p_value, a.q_value, a.first_raised_label, a.status
        );
    }
    Ok(ExitCode::SUCCESS)
}
