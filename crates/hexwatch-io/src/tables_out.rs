//! CSV and GeoJSON tables of cells and wards, for exports.

use h3o::CellIndex;
use hexwatch_core::{CellCounts, IncidentTable, density_per_km2_month};

/// One ward's counts for a selection.
#[derive(Debug, Clone)]
pub struct WardRow {
    /// ONS ward code.
    pub code: String,
    /// Ward name.
    pub name: String,
    /// Area in km² (British National Grid plane).
    pub area_km2: f64,
    /// Incidents per category, indexed by category id.
    pub counts: Vec<u64>,
}

impl WardRow {
    /// All incidents of the ward.
    #[must_use]
    pub fn total(&self) -> u64 {
        self.counts.iter().sum()
    }

    /// Incidents per km² per month over `months` (0 when `months` is 0).
    #[must_use]
    pub fn density_per_km2_month(&self, months: u32) -> f64 {
        let total = u32::try_from(self.total()).unwrap_or(u32::MAX);
        density_per_km2_month(total, self.area_km2, months)
    }
}

/// Ranked cells as CSV: `rank,h3,res,count,area_km2,density_per_km2_month`, then one
/// column per category slug.
///
/// # Errors
/// A [`csv::Error`] if writing to memory fails (it does not in practice).
pub fn cells_csv<'a>(
    table: &IncidentTable,
    cells: impl IntoIterator<Item = (CellIndex, &'a CellCounts)>,
    months: u32,
) -> Result<String, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header = vec!["rank", "h3", "res", "count", "area_km2", "density_per_km2_month"];
    header.extend(table.categories().iter().map(|c| c.slug.as_str()));
    w.write_record(&header)?;
    for (i, (cell, counts)) in cells.into_iter().enumerate() {
        let area = cell.area_km2();
        let mut row = vec![
            (i + 1).to_string(),
            cell.to_string(),
            u8::from(cell.resolution()).to_string(),
            counts.total().to_string(),
            format!("{area:.6}"),
            format!("{:.3}", density_per_km2_month(counts.total(), area, months)),
        ];
        row.extend(counts.by_category().iter().map(u32::to_string));
        w.write_record(&row)?;
    }
    finish(w)
}

/// Wards as CSV: `code,name,area_km2,count,density_per_km2_month`, then one column per
/// category slug.
///
/// # Errors
/// A [`csv::Error`] if writing to memory fails (it does not in practice).
pub fn wards_csv(table: &IncidentTable, rows: &[WardRow], months: u32) -> Result<String, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header = vec!["code", "name", "area_km2", "count", "density_per_km2_month"];
    header.extend(table.categories().iter().map(|c| c.slug.as_str()));
    w.write_record(&header)?;
    for r in rows {
        let mut row = vec![
            r.code.clone(),
            r.name.clone(),
            format!("{:.4}", r.area_km2),
            r.total().to_string(),
            format!("{:.3}", r.density_per_km2_month(months)),
        ];
        row.extend(r.counts.iter().map(u64::to_string));
        w.write_record(&row)?;
    }
    finish(w)
}

fn finish(w: csv::Writer<Vec<u8>>) -> Result<String, csv::Error> {
    let bytes = w.into_inner().map_err(|e| csv::Error::from(e.into_error()))?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}
