//! `hexwatch generate --n 100000 --bbox west,south,east,north --out synthetic.csv`
//!
//! Seeded synthetic incidents (see `hexwatch_core::synthetic`) written as a data.police.uk
//! street CSV, so that `hexwatch ingest` reads them like real data.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use hexwatch_core::synthetic::{Synthetic, SyntheticParams};
use hexwatch_core::{Bounds, YearMonth};
use indicatif::{ProgressBar, ProgressStyle};

/// The data.police.uk street CSV header.
const HEADER: [&str; 12] = [
    "Crime ID",
    "Month",
    "Reported by",
    "Falls within",
    "Longitude",
    "Latitude",
    "Location",
    "LSOA code",
    "LSOA name",
    "Crime type",
    "Last outcome category",
    "Context",
];

/// The force named in `Reported by` and `Falls within`.
const FORCE: &str = "Synthetic";

/// Rows between progress-bar updates.
const PROGRESS_STEP: usize = 8192;

/// Arguments of `hexwatch generate`.
#[derive(Debug, clap::Args)]
pub(crate) struct GenerateArgs {
    /// Number of incidents.
    #[arg(long, default_value_t = 100_000)]
    n: usize,
    /// The box every incident lies in, as west,south,east,north in degrees (WGS84).
    #[arg(long, allow_hyphen_values = true)]
    bbox: Bounds,
    /// Number of Gaussian hotspots, their centres uniform in the box.
    #[arg(long, default_value_t = 20)]
    hotspots: usize,
    /// Share of the incidents drawn from the hotspots (0 to 1); the rest are uniform.
    #[arg(long, default_value_t = 0.3)]
    hotspot_share: f64,
    /// Standard deviation of each hotspot along each axis, metres.
    #[arg(long, default_value_t = 300.0)]
    sigma_m: f64,
    /// Seed: the same seed and settings write the same file, byte for byte.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Months, `YYYY-MM..YYYY-MM` (inclusive) or one `YYYY-MM`; incident i falls in month
    /// i mod (number of months), so every month gets the same share of hotspot and
    /// background incidents.
    #[arg(long, default_value = "2025-01..2025-12", value_parser = parse_months)]
    months: MonthRange,
    /// The police.uk crime type of every incident.
    #[arg(long, default_value = "Anti-social behaviour")]
    category: String,
    /// Output CSV file (`-` for standard output).
    #[arg(long)]
    out: PathBuf,
}

/// An inclusive range of months.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct MonthRange {
    first: YearMonth,
    last: YearMonth,
}

impl MonthRange {
    /// The months, oldest first.
    fn months(self) -> Vec<YearMonth> {
        (0..self.first.months_through(self.last))
            .filter_map(|i| i32::try_from(i).ok())
            .map(|i| self.first.add_months(i))
            .collect()
    }
}

fn parse_months(s: &str) -> Result<MonthRange, String> {
    let (first, last) = s.split_once("..").unwrap_or((s, s));
    let first: YearMonth = first.trim().parse().map_err(|e| format!("{e}"))?;
    let last: YearMonth = last.trim().parse().map_err(|e| format!("{e}"))?;
    if last < first {
        return Err(format!("the range {first}..{last} ends before it starts"));
    }
    Ok(MonthRange { first, last })
}

pub(crate) fn run(args: &GenerateArgs) -> anyhow::Result<ExitCode> {
    let synthetic = Synthetic::new(SyntheticParams {
        bounds: args.bbox,
        n: args.n,
        hotspots: args.hotspots,
        hotspot_share: args.hotspot_share,
        sigma_m: args.sigma_m,
        seed: args.seed,
    })?;
    let months = args.months.months();
    let bar = ProgressBar::new(args.n as u64).with_style(
        ProgressStyle::with_template("generating [{bar:30}] {human_pos}/{human_len} {elapsed}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    let to_stdout = args.out.as_os_str() == "-";
    let result = if to_stdout {
        write_csv(&synthetic, &months, &args.category, std::io::stdout().lock(), &mut |done| {
            bar.set_position(done as u64);
        })
    } else {
        let file = File::create(&args.out).with_context(|| format!("creating {}", args.out.display()))?;
        write_csv(&synthetic, &months, &args.category, file, &mut |done| bar.set_position(done as u64))
    };
    bar.finish_and_clear();
    result.with_context(|| format!("writing {}", display(&args.out)))?;
    let report = format!(
        "{}: wrote {} incidents ({} from {} hotspots + {} background), {} over {} months {}..{}, seed {}",
        display(&args.out),
        args.n,
        synthetic.hotspot_points(),
        args.hotspots,
        synthetic.background_points(),
        args.category,
        months.len(),
        args.months.first,
        args.months.last,
        args.seed,
    );
    if to_stdout {
        eprintln!("{report}");
    } else {
        println!("{report}");
    }
    Ok(ExitCode::SUCCESS)
}

fn display(path: &Path) -> String {
    if path.as_os_str() == "-" { "standard output".to_owned() } else { path.display().to_string() }
}

/// Writes the points of `synthetic` as a data.police.uk street CSV: `Reported by` and
/// `Falls within` are "Synthetic", point i falls in `months[i % months.len()]`,
/// coordinates have 6 decimals (police.uk's precision), `Location` names the hotspot
/// ("On or near synthetic hotspot 3") or "On or near synthetic background", and the Crime
/// ID, LSOA, outcome and context columns are empty (as police.uk leaves them for ASB).
/// `progress` is called with the rows written so far.
fn write_csv(
    synthetic: &Synthetic,
    months: &[YearMonth],
    category: &str,
    out: impl Write,
    progress: &mut dyn FnMut(usize),
) -> anyhow::Result<()> {
    anyhow::ensure!(!months.is_empty(), "no months to spread the incidents over");
    let mut csv = csv::Writer::from_writer(BufWriter::new(out));
    csv.write_record(HEADER)?;
    let months: Vec<String> = months.iter().map(ToString::to_string).collect();
    let background = "On or near synthetic background".to_owned();
    let hotspot_names: Vec<String> =
        (0..synthetic.centres().len()).map(|h| format!("On or near synthetic hotspot {h}")).collect();
    for (i, p) in synthetic.points().enumerate() {
        let location = p.hotspot.map_or(&background, |h| &hotspot_names[h]);
        let (lon, lat) = (format!("{:.6}", p.lon), format!("{:.6}", p.lat));
        csv.write_record([
            "",
            &months[i % months.len()],
            FORCE,
            FORCE,
            &lon,
            &lat,
            location,
            "",
            "",
            category,
            "",
            "",
        ])?;
        if (i + 1) % PROGRESS_STEP == 0 {
            progress(i + 1);
        }
    }
    progress(synthetic.params().n);
    csv.into_inner().map_err(|e| e.into_error())?.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use hexwatch_io::{IngestOptions, Store, ingest_file};

    use super::*;

    const BCP: Bounds = Bounds { west: -2.05, south: 50.68, east: -1.70, north: 50.80 };

    fn synthetic(n: usize, seed: u64) -> Synthetic {
        Synthetic::new(SyntheticParams {
            bounds: BCP,
            n,
            hotspots: 5,
            hotspot_share: 0.3,
            sigma_m: 300.0,
            seed,
        })
        .unwrap()
    }

    fn written(n: usize, seed: u64, months: &[YearMonth], category: &str) -> Vec<u8> {
        let mut out = Vec::new();
        write_csv(&synthetic(n, seed), months, category, &mut out, &mut |_| {}).unwrap();
        out
    }

    #[test]
    fn generated_file_ingests_with_every_row_accepted() {
        let months = parse_months("2025-01..2025-12").unwrap().months();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("synthetic.csv");
        std::fs::write(&path, written(3_001, 1, &months, "Anti-social behaviour")).unwrap();
        let mut store = Store::open(dir.path().join("s.sqlite3")).unwrap();
        let report = ingest_file(&mut store, &path, &IngestOptions::default(), &mut |_, _| {}).unwrap();
        assert_eq!(report.read, 3_001);
        assert_eq!(report.accepted, report.read, "{:?}", report.rejected.first());
        assert!(report.rejected.is_empty());
        assert_eq!(store.summary().unwrap().incidents, 3_001);
    }

    #[test]
    fn same_seed_same_bytes_and_months_spread_evenly() {
        let months = parse_months("2024-11..2025-02").unwrap().months();
        let a = written(1_000, 9, &months, "Violence and sexual offences, \"quoted\"");
        assert_eq!(a, written(1_000, 9, &months, "Violence and sexual offences, \"quoted\""));
        assert_ne!(a, written(1_000, 10, &months, "Violence and sexual offences, \"quoted\""));
        let mut reader = csv::Reader::from_reader(&a[..]);
        assert_eq!(reader.headers().unwrap().iter().collect::<Vec<_>>(), HEADER);
        let mut by_month: BTreeMap<String, (usize, usize)> = BTreeMap::new();
        for row in reader.records() {
            let row = row.unwrap();
            assert_eq!(&row[2], "Synthetic");
            assert_eq!(&row[9], "Violence and sexual offences, \"quoted\"");
            assert_eq!(row[4].split('.').nth(1).unwrap().len(), 6, "6 decimals: {}", &row[4]);
            let entry = by_month.entry(row[1].to_owned()).or_default();
            entry.0 += 1;
            entry.1 += usize::from(row[6].contains("hotspot"));
        }
        // 1,000 over 4 months, 300 of them from hotspots: 250 and 75 a month.
        let expected: BTreeMap<String, (usize, usize)> = ["2024-11", "2024-12", "2025-01", "2025-02"]
            .iter()
            .map(|m| ((*m).to_owned(), (250, 75)))
            .collect();
        assert_eq!(by_month, expected);
    }

    #[test]
    fn month_ranges_parse_and_refuse_backwards() {
        assert_eq!(parse_months("2025-03").unwrap().months().len(), 1);
        assert_eq!(parse_months("2025-01..2025-12").unwrap().months().len(), 12);
        assert!(parse_months("2025-12..2025-01").is_err());
        assert!(parse_months("2025-13").is_err());
        assert!("-2,50,-1".parse::<Bounds>().is_err());
        assert!("-1,50,-2,51".parse::<Bounds>().is_err());
    }
}
