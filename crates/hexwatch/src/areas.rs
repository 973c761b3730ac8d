//! `hexwatch areas add FILE --set NAME`, `hexwatch areas list`, `hexwatch areas remove --set NAME`

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use hexwatch_io::{CustomAreaFile, CustomAreaOptions, Store, check_set_name};

/// Arguments of `hexwatch areas`.
#[derive(Debug, clap::Args)]
pub(crate) struct AreasArgs {
    #[command(subcommand)]
    command: AreasCommand,
}

#[derive(Debug, clap::Subcommand)]
enum AreasCommand {
    /// Add a custom area set (beats, PSPO zones, night-time-economy zones) from a GeoJSON
    /// FeatureCollection of (Multi)Polygons in WGS84 or British National Grid (a `crs`
    /// member naming EPSG:27700). Invalid polygons are repaired or rejected with a reason.
    Add(AddArgs),
    /// List the custom area sets in the store.
    List,
    /// Remove a custom area set and its areas.
    Remove {
        /// The set's name.
        #[arg(long)]
        set: String,
    },
}

/// Arguments of `hexwatch areas add`.
#[derive(Debug, clap::Args)]
struct AddArgs {
    /// The GeoJSON file.
    file: PathBuf,
    /// The set's name, as in `area=custom:<set>/<name>` (letters, digits, '-' and '_').
    #[arg(long)]
    set: String,
    /// Property holding each area's name (default: name, NAME or Name; else the code).
    #[arg(long)]
    name_property: Option<String>,
    /// Property holding each area's code (default: code, CODE or Code; else the name).
    #[arg(long)]
    code_property: Option<String>,
    /// Point-in-polygon tolerance in metres: incidents this close outside an area count in it.
    #[arg(long, default_value_t = 0.0)]
    tolerance_m: f64,
}

/// Areas listed one by one after an add.
const LISTED: usize = 20;

pub(crate) fn run(store_path: &Path, args: &AreasArgs) -> anyhow::Result<ExitCode> {
    match &args.command {
        AreasCommand::Add(add) => run_add(store_path, add),
        AreasCommand::List => {
            let store =
                Store::open(store_path).with_context(|| format!("opening store {}", store_path.display()))?;
            let sets = store.area_sets()?;
            if sets.is_empty() {
                println!(
                    "store {}: no custom area sets (add one with `hexwatch areas add FILE --set NAME`)",
                    store_path.display()
                );
            }
            for s in sets {
                println!(
                    "{}: {} area(s), {:.6} km², tolerance {} m, from {} ({}), added {}",
                    s.name, s.areas, s.area_km2, s.tolerance_m, s.source_file, s.source_crs, s.added_at
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        AreasCommand::Remove { set } => {
            let mut store =
                Store::open(store_path).with_context(|| format!("opening store {}", store_path.display()))?;
            if store.remove_area_set(set)? {
                println!("removed area set {set}");
                Ok(ExitCode::SUCCESS)
            } else {
                eprintln!(
                    "hexwatch: no area set {set:?} in store {} (see `hexwatch areas list`)",
                    store_path.display()
                );
                Ok(ExitCode::from(1))
            }
        }
    }
}

fn run_add(store_path: &Path, args: &AddArgs) -> anyhow::Result<ExitCode> {
    check_set_name(&args.set)?;
    if !(args.tolerance_m.is_finite() && args.tolerance_m >= 0.0) {
        anyhow::bail!("invalid --tolerance-m {}: a number of metres ≥ 0", args.tolerance_m);
    }
    let options = CustomAreaOptions {
        name_property: args.name_property.clone(),
        code_property: args.code_property.clone(),
    };
    let file = CustomAreaFile::read(&args.file, &options)?;
    let crs = match &file.crs_name {
        Some(name) => format!("{}, crs {name}", file.crs.as_str()),
        None => format!("{}, no crs member", file.crs.as_str()),
    };
    println!(
        "{}: read {} = added {} + rejected {} ({crs})",
        args.file.display(),
        file.read,
        file.areas.len(),
        file.rejected.len()
    );
    for r in &file.repaired {
        println!("  repaired feature {} {:?}: {}; {}", r.index, r.name, r.problem, r.result);
    }
    for r in &file.rejected {
        let name = r.name.as_ref().map(|n| format!(" {n:?}")).unwrap_or_default();
        let property = r.property.as_ref().map(|p| format!(" ({p})")).unwrap_or_default();
        println!("  rejected feature {}{name}{property}: {}", r.index, r.reason);
    }
    let mut store =
        Store::open(store_path).with_context(|| format!("opening store {}", store_path.display()))?;
    store.add_area_set(&args.set, &file, &options, args.tolerance_m)?;
    let total: f64 = file.areas.iter().map(hexwatch_core::Area::area_km2).sum();
    println!(
        "added area set {}: {} area(s), {total:.6} km², tolerance {} m; filter with area=custom:{}/<name>",
        args.set,
        file.areas.len(),
        args.tolerance_m,
        args.set
    );
    for a in file.areas.iter().take(LISTED) {
        println!("  custom:{}/{}  code {}  {:.6} km²", args.set, a.name, a.code, a.area_km2());
    }
    if file.areas.len() > LISTED {
        println!("  … and {} more (hexwatch areas list)", file.areas.len() - LISTED);
    }
    println!("a running `hexwatch serve` picks the set up when restarted");
    Ok(ExitCode::SUCCESS)
}
