//! `hexwatch ingest FILE...`

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use hexwatch_io::{IngestOptions, IngestReport, Mapping, PathIngest, Store, ingest_mapped, ingest_path};
use indicatif::{ProgressBar, ProgressStyle};

/// Arguments of `hexwatch ingest`.
#[derive(Debug, clap::Args)]
pub(crate) struct IngestArgs {
    /// data.police.uk street CSV files (plain or gzip) or monthly zip archives as downloaded
    /// (their `*-street.csv` members are read; the others are listed as skipped).
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Accept only points inside this box, as west,south,east,north in degrees
    /// (default: the United Kingdom). Points outside are rejected, never clamped.
    #[arg(long, allow_hyphen_values = true)]
    extent: Option<hexwatch_core::Bounds>,
    /// Read partner CSV files (plain or gzip) with this column mapping (TOML: source, time
    /// zone, columns, time, categories, flags) instead of as data.police.uk files.
    #[arg(long, value_name = "MAPPING.toml")]
    mapping: Option<PathBuf>,
    /// Replace every partition the files hold (police.uk: force × month, as republished
    /// with new outcomes; partner data: source × month): stored incidents the file no
    /// longer has are deleted; the report counts added, removed and changed.
    #[arg(long)]
    replace: bool,
}

/// Arguments of `hexwatch delete`.
#[derive(Debug, clap::Args)]
pub(crate) struct DeleteArgs {
    /// The partner source (the `source` of its column mapping).
    #[arg(long)]
    source: String,
    /// Source references of the incidents to delete.
    #[arg(required = true)]
    references: Vec<String>,
}

pub(crate) fn run_delete(store_path: &Path, args: &DeleteArgs) -> anyhow::Result<ExitCode> {
    let mut store = Store::open_existing(store_path)?;
    let (deleted, missing) = store.delete_by_reference(&args.source, &args.references)?;
    println!(
        "{}: deleted {deleted} incident(s) of {} reference(s); {} reference(s) not found",
        args.source,
        args.references.len(),
        missing.len()
    );
    for m in &missing {
        println!("  not found: {m}");
    }
    let summary = store.summary()?;
    println!(
        "store {}: {} incidents, data version {}",
        store_path.display(),
        summary.incidents,
        summary.data_version
    );
    Ok(if missing.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

pub(crate) fn run(store_path: &Path, args: &IngestArgs) -> anyhow::Result<ExitCode> {
    let mut store =
        Store::open(store_path).with_context(|| format!("opening store {}", store_path.display()))?;
    let options = IngestOptions {
        extent: args.extent.unwrap_or(hexwatch_core::Bounds::UNITED_KINGDOM),
        replace: args.replace,
    };
    let mapping = args.mapping.as_deref().map(Mapping::from_toml_file).transpose()?;
    let (reports, refused) = ingest_files(&mut store, &args.files, &options, mapping.as_ref());
    print_totals(&reports);
    let summary = store.summary()?;
    println!(
        "store {}: {} incidents, data version {}",
        store_path.display(),
        summary.incidents,
        summary.data_version
    );
    let cut_short = reports.iter().filter(|r| r.stopped_early.is_some()).count();
    if refused + cut_short > 0 {
        eprintln!("hexwatch: {refused} file(s) refused and {cut_short} read only in part (see above)");
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}

/// Ingests each file with a progress bar, printing its report; a refused file is reported
/// and the others still ingested. Returns the reports and the number of refused files.
pub(crate) fn ingest_files(
    store: &mut Store,
    files: &[PathBuf],
    options: &IngestOptions,
    mapping: Option<&Mapping>,
) -> (Vec<IngestReport>, usize) {
    let mut reports = Vec::new();
    let mut refused = 0;
    for file in files {
        let bar = ProgressBar::new(0).with_style(
            ProgressStyle::with_template("{msg:30!} [{bar:30}] {bytes}/{total_bytes} {elapsed}")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        bar.set_message(file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default());
        let mut on_progress = |done, total| {
            bar.set_length(total);
            bar.set_position(done);
        };
        let result = match mapping {
            Some(m) => ingest_mapped(store, file, m, options, &mut on_progress)
                .map(|report| PathIngest { reports: vec![report], skipped: Vec::new() }),
            None => ingest_path(store, file, options, &mut on_progress),
        };
        bar.finish_and_clear();
        match result {
            Ok(ingested) => {
                for report in ingested.reports {
                    print_report(&report);
                    reports.push(report);
                }
                if !ingested.skipped.is_empty() {
                    println!(
                        "{}: skipped {} archive member(s) that are not street files: {}",
                        file.display(),
                        ingested.skipped.len(),
                        ingested.skipped.join(", ")
                    );
                }
            }
            Err(e) => {
                eprintln!("{e}");
                eprintln!("  refused: nothing from this file was stored");
                refused += 1;
            }
        }
    }
    (reports, refused)
}

/// Rejections listed one by one before the rest are summarised by reason.
const LISTED: usize = 5;

fn print_report(r: &IngestReport) {
    println!(
        "{}: read {} = accepted {} + duplicates {} + rejected {}",
        r.file.display(),
        r.read,
        r.accepted,
        r.duplicates,
        r.rejected.len()
    );
    if r.read == 0 && r.stopped_early.is_none() {
        println!("  note: {}: the file has a header but no data rows", r.file.display());
    }
    for message in r.rejection_messages().take(LISTED) {
        println!("  rejected: {message}");
    }
    if r.rejected.len() > LISTED {
        let mut by_reason: BTreeMap<String, usize> = BTreeMap::new();
        for rej in &r.rejected[LISTED..] {
            let reason = rej.reason.split(':').next().unwrap_or(&rej.reason);
            *by_reason.entry(format!("{}: {reason}", rej.field)).or_default() += 1;
        }
        for (reason, n) in by_reason {
            println!("  … and {n} more rejected ({reason})");
        }
    }
    if r.not_in_file > 0 {
        println!(
            "  {} stored incidents of this file's force-months are not in this file (kept)",
            r.not_in_file
        );
    }
    if r.removed + r.changed > 0 {
        println!("  replaced: added {}, removed {}, changed {}", r.added(), r.removed, r.changed);
    }
    if r.ambiguous_times > 0 {
        println!(
            "  {} rows fall in a repeated autumn hour: stored with the earlier UTC offset",
            r.ambiguous_times
        );
    }
    if r.nonexistent_times > 0 {
        println!("  {} rows fall in a skipped spring hour: moved forward by the gap", r.nonexistent_times);
    }
    if let Some(stopped) = &r.stopped_early {
        println!("  WARNING: {stopped}; the rows before it are stored");
    }
}

pub(crate) fn print_totals(reports: &[IngestReport]) {
    let (read, acc, dup, rej) = reports.iter().fold((0, 0, 0, 0), |a, r| {
        (a.0 + r.read, a.1 + r.accepted, a.2 + r.duplicates, a.3 + r.rejected.len() as u64)
    });
    println!(
        "total: read {read} = accepted {acc} + duplicates {dup} + rejected {rej} ({} files)",
        reports.len()
    );
}
