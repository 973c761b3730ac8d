//! GeoJSON and CSV of hotspot statistics per cell.

use hexwatch_core::stats::{CellStats, Method};
use serde_json::{Map, Value, json};

/// The per-cell properties of a statistic, in a fixed order: `h3`, `res`, `count`, then
/// `gi_z`, `gi_p`, `gi_bin` (and `gi_p_sim` with permutations) for Gi*; `moran_i`,
/// `moran_p`, `moran_class` for local Moran; `pattern`, `pattern_label`, `trend_tau`,
/// `trend_p` for emerging hot spots. NaN values (no variance) are written as null.
#[must_use]
pub fn stat_properties(stats: &CellStats, i: usize) -> Map<String, Value> {
    let num = |v: f64| if v.is_finite() { json!(v) } else { Value::Null };
    let cell = stats.area.cells()[i];
    let mut p = Map::new();
    p.insert("h3".into(), json!(cell.to_string()));
    p.insert("res".into(), json!(u8::from(cell.resolution())));
    // Counts are whole numbers held as f64 for the statistics.
    p.insert("count".into(), json!(stats.counts[i].round() as u64));
    if let Some(gi) = &stats.gi {
        p.insert("gi_z".into(), num(gi.z[i]));
        p.insert("gi_p".into(), num(gi.p[i]));
        p.insert("gi_bin".into(), json!(gi.bin[i]));
        if let Some(sim) = &gi.p_sim {
            p.insert("gi_p_sim".into(), num(sim[i]));
        }
    }
    if let Some(m) = &stats.moran {
        p.insert("moran_i".into(), num(m.i[i]));
        p.insert("moran_p".into(), num(m.p_sim[i]));
        p.insert("moran_class".into(), json!(m.class[i].as_str()));
    }
    if let Some((e, _)) = &stats.emerging {
        p.insert("pattern".into(), json!(e.pattern[i].slug()));
        p.insert("pattern_label".into(), json!(e.pattern[i].label()));
        p.insert("trend_tau".into(), num(e.trend[i].tau));
        p.insert("trend_p".into(), num(e.trend[i].p));
    }
    p
}

/// Cells in the order a reader wants them: Gi* by z (highest first); Moran significant
/// cells first, high–high clusters, then outliers (high–low, low–high), then low–low, each
/// by I (strongest first); emerging by pattern (Esri's order), then count. Ties by cell.
#[must_use]
pub fn ranked_cells(stats: &CellStats, method: Method) -> Vec<usize> {
    let mut order: Vec<usize> = (0..stats.area.len()).collect();
    let key_f = |v: f64| if v.is_nan() { f64::NEG_INFINITY } else { v };
    match method {
        Method::GiStar => {
            if let Some(gi) = &stats.gi {
                order.sort_by(|&a, &b| key_f(gi.z[b]).total_cmp(&key_f(gi.z[a])).then(a.cmp(&b)));
            }
        }
        Method::Moran => {
            if let Some(m) = &stats.moran {
                use hexwatch_core::stats::MoranClass;
                let rank = |i: usize| match m.class[i] {
                    MoranClass::HighHigh => 0,
                    MoranClass::HighLow => 1,
                    MoranClass::LowHigh => 2,
                    MoranClass::LowLow => 3,
                    MoranClass::NotSignificant => 4,
                };
                order.sort_by(|&a, &b| {
                    rank(a).cmp(&rank(b)).then(key_f(m.i[b]).total_cmp(&key_f(m.i[a]))).then(a.cmp(&b))
                });
            }
        }
        Method::Emerging => {
            if let Some((e, _)) = &stats.emerging {
                let rank =
                    |i: usize| hexwatch_core::stats::Pattern::ALL.iter().position(|p| *p == e.pattern[i]);
                order.sort_by(|&a, &b| {
                    rank(a).cmp(&rank(b)).then(stats.counts[b].total_cmp(&stats.counts[a])).then(a.cmp(&b))
                });
            }
        }
    }
    order
}

/// Cells (by index into the study area) as an RFC 7946 FeatureCollection of hexagons with
/// [`stat_properties`] and a `rank`.
#[must_use]
pub fn stats_geojson(stats: &CellStats, cells: &[usize]) -> geojson::FeatureCollection {
    let features = cells
        .iter()
        .enumerate()
        .map(|(rank, &i)| {
            let polygon = geo::MultiPolygon::from(stats.area.cells()[i]);
            let mut properties = Map::new();
            properties.insert("rank".into(), json!(rank + 1));
            properties.extend(stat_properties(stats, i));
            geojson::Feature {
                properties: Some(properties),
                ..geojson::Feature::from(geojson::Geometry::from(geojson::GeometryValue::from(&polygon)))
            }
        })
        .collect();
    geojson::FeatureCollection { bbox: None, features, foreign_members: None }
}

/// The same cells as CSV: `rank` then the columns of [`stat_properties`].
///
/// # Errors
/// A [`csv::Error`] if writing to memory fails (it does not in practice).
pub fn stats_csv(stats: &CellStats, cells: &[usize]) -> Result<String, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let Some(&first) = cells.first() else {
        return Ok(String::new());
    };
    let keys: Vec<String> = stat_properties(stats, first).keys().cloned().collect();
    let mut header = vec!["rank".to_owned()];
    header.extend(keys.iter().cloned());
    w.write_record(&header)?;
    for (rank, &i) in cells.iter().enumerate() {
        let p = stat_properties(stats, i);
        let mut row = vec![(rank + 1).to_string()];
        row.extend(keys.iter().map(|k| match &p[k] {
            Value::String(s) => s.clone(),
            Value::Null => String::new(),
            v => v.to_string(),
        }));
        w.write_record(&row)?;
    }
    let bytes = w.into_inner().map_err(|e| csv::Error::from(e.into_error()))?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// Counts per class for a summary: Gi* bins `"-3"…"3"`, Moran classes, or pattern slugs.
#[must_use]
pub fn class_counts(stats: &CellStats) -> Map<String, Value> {
    let mut counts: std::collections::BTreeMap<String, u64> = std::collections::BTreeMap::new();
    if let Some(gi) = &stats.gi {
        for b in &gi.bin {
            *counts.entry(b.to_string()).or_default() += 1;
        }
    }
    if let Some(m) = &stats.moran {
        for c in &m.class {
            *counts.entry(c.as_str().to_owned()).or_default() += 1;
        }
    }
    if let Some((e, _)) = &stats.emerging {
        for p in &e.pattern {
            *counts.entry(p.slug()).or_default() += 1;
        }
    }
    counts.into_iter().map(|(k, v)| (k, json!(v))).collect()
}
