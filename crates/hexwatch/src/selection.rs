//! The selection options shared by `hotspots`, `density`, `cluster` and the planning commands.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use hexwatch_core::{AreaSet, AreaSets, Filter, IncidentTable, YearMonth};
use hexwatch_io::{BoundarySet, Store, WardSet};

/// The shipped BCP wards, relative to the repository root.
const SHIPPED_WARDS: &str = "data/boundaries-bcp-wards-2020/bcp-wards-2020-bgc.geojson";
/// The shipped BCP LSOA 2021 layer, relative to the repository root.
pub(crate) const SHIPPED_LSOAS: &str = "data/bcp-lsoa-2021.geojson";

/// Which incidents a command works on.
#[derive(Debug, clap::Args)]
pub(crate) struct SelectionArgs {
    /// Categories by police.uk name or slug; repeat or separate with commas (default: all).
    #[arg(long)]
    category: Vec<String>,
    /// First month, YYYY-MM (inclusive).
    #[arg(long)]
    from: Option<YearMonth>,
    /// Last month, YYYY-MM (inclusive).
    #[arg(long)]
    to: Option<YearMonth>,
    /// Area: `bcp` (all wards), `ward:<code>`, `lsoa:<code>` or `custom:<set>/<name>` (a set
    /// added with `hexwatch areas add`).
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
    /// LSOA boundaries for `--area lsoa:…` (GeoJSON with code/name); default: the shipped
    /// BCP LSOA 2021 layer, `data/bcp-lsoa-2021.geojson` under the current directory.
    #[arg(long)]
    lsoas: Option<PathBuf>,
    /// Point-in-polygon tolerance for the LSOAs, metres (only for incidents without an LSOA code).
    #[arg(long, default_value_t = hexwatch_server::DEFAULT_LSOA_TOLERANCE_M)]
    lsoa_tolerance_m: f64,
}

/// A loaded table with the area sets (when `--area` is given) and the parsed filter.
pub(crate) struct Selected {
    pub(crate) table: IncidentTable,
    pub(crate) areas: AreaSets,
    pub(crate) filter: Filter,
}

impl SelectionArgs {
    /// The `--area` value as given, or `all`.
    pub(crate) fn area_label(&self) -> &str {
        self.area.as_deref().unwrap_or("all")
    }

    /// Opens the store (which must exist and hold incidents), loads the table and parses the
    /// filter, naming the option at fault.
    pub(crate) fn load(&self, store_path: &Path) -> anyhow::Result<Selected> {
        let store = Store::open_existing(store_path)?;
        let mut areas = AreaSets::default();
        if let Some(area) = &self.area {
            let path = self.wards.clone().unwrap_or_else(|| PathBuf::from(SHIPPED_WARDS));
            if !path.is_file() {
                bail!("--area needs ward boundaries: no file at {}; pass --wards PATH", path.display());
            }
            areas.wards =
                Some(WardSet::from_geojson_file(&path, "WD20CD", "WD20NM")?.index(self.ward_tolerance_m));
            let lsoas = self.lsoas.clone().unwrap_or_else(|| PathBuf::from(SHIPPED_LSOAS));
            if area.starts_with("lsoa:") {
                if !lsoas.is_file() {
                    bail!(
                        "--area lsoa:… needs LSOA boundaries: no file at {}; pass --lsoas PATH",
                        lsoas.display()
                    );
                }
                areas.lsoas = Some(
                    BoundarySet::read(AreaSet::LSOA, &lsoas, "code", "name")?.index(self.lsoa_tolerance_m),
                );
            }
            if area.starts_with("custom:") {
                areas.custom = store.load_area_sets()?;
            }
        }
        let mut table = store.load_table(areas.wards.as_ref())?;
        if table.is_empty() {
            bail!("store {} holds no incidents: run `hexwatch ingest FILE...` first", store_path.display());
        }
        if let Some(lsoas) = &areas.lsoas {
            table.assign_lsoas(lsoas);
        }
        table.assign_custom(&areas.custom);
        let mut filter = Filter { from: self.from, to: self.to, ..Filter::default() };
        if !self.category.is_empty() {
            filter.categories =
                Some(Filter::parse_categories(&table, &self.category.join(",")).context("--category")?);
        }
        if let Some(area) = &self.area {
            filter.area = Filter::parse_area(&areas, area).context("--area")?;
        }
        filter.validate().context("--from/--to")?;
        Ok(Selected { table, areas, filter })
    }
}

/// The H3 resolution of a `--res` argument: one of [`hexwatch_core::INDEXED_RESOLUTIONS`].
///
/// # Errors
/// A message naming `--res` for any other number.
pub(crate) fn indexed_resolution(res: u8) -> anyhow::Result<h3o::Resolution> {
    h3o::Resolution::try_from(res)
        .ok()
        .filter(|_| hexwatch_core::INDEXED_RESOLUTIONS.contains(&res))
        .with_context(|| format!("invalid --res {res}: an H3 resolution from 5 to 12"))
}
