//! Hotspot alerts of the store's data, and their record in the store (status, notes).
//!
//! The statistics are [`hexwatch_core::alerts`]: per month, per H3 cell of the wards'
//! study area for the categories watched, and per ward × category; this module runs them
//! over the incident table and keeps the alerts in the `alerts` table, where an alert's
//! status moves from `open` to `acknowledged` (with a note) to `closed`, or to `expired`
//! when three later months have been tested without it.

use h3o::Resolution;
use hexwatch_core::alerts::{
    Alert, AlertParams, AlertStatus, SeasonalModel, SeriesSet, Unit, alerts, detect_all, emerging_transitions,
};
use hexwatch_core::stats::{EmergingParams, Neighbours, Pattern, StudyArea};
use hexwatch_core::{AreaFilter, Filter, IncidentTable, WardIndex};
use rusqlite::{OptionalExtension, params};

use crate::store::{Store, StoreError};

/// What to watch.
#[derive(Debug, Clone)]
pub struct AlertSettings {
    /// H3 resolution of the cell series (default 9).
    pub resolution: Resolution,
    /// Category slugs watched per cell (default: anti-social behaviour and violence).
    pub cell_categories: Vec<String>,
    /// Test settings (baseline of 6 periods, FDR q 0.05, …).
    pub params: AlertParams,
}

impl Default for AlertSettings {
    fn default() -> Self {
        Self {
            resolution: Resolution::Nine,
            cell_categories: vec!["anti-social-behaviour".to_owned(), "violent-crime".to_owned()],
            params: AlertParams::default(),
        }
    }
}

/// A unit's kind in stored alerts.
fn kind_of(unit: &Unit) -> &'static str {
    match unit {
        Unit::Cell(_) => "cell",
        Unit::Ward(_) => "ward",
    }
}

/// Every alert of the table's months: for each watched category, the cells of the study
/// area covering `wards` at the settings' resolution (one Benjamini–Hochberg family per
/// category), then every ward × category (one family). Months before a full baseline are
/// not tested.
///
/// # Errors
/// A message when the study area or a test cannot be built.
pub fn compute_alerts(
    table: &IncidentTable,
    wards: &WardIndex,
    settings: &AlertSettings,
) -> Result<Vec<Alert>, String> {
    let Some(span) = table.month_span() else { return Ok(Vec::new()) };
    let polygons: Vec<_> = wards.areas().iter().map(|w| w.boundary_wgs84.clone()).collect();
    let area = StudyArea::covering(&polygons, settings.resolution).map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    for slug in &settings.cell_categories {
        let Some(category) = table.find_category(slug) else { continue };
        let filter =
            Filter { categories: Some(vec![category]), area: AreaFilter::AnyWard, ..Filter::default() };
        let (set, _) =
            SeriesSet::monthly_cells(table, &filter, &area, span, slug).map_err(|e| e.to_string())?;
        let detections = detect_all(&set, settings.params).map_err(|e| e.to_string())?;
        out.extend(alerts(&set, &detections));
        out.extend(transition_alerts(&set, &area, settings)?);
    }
    let set = SeriesSet::monthly_wards(table, &Filter::default(), wards, span).map_err(|e| e.to_string())?;
    let detections = detect_all(&set, settings.params).map_err(|e| e.to_string())?;
    out.extend(alerts(&set, &detections));
    Ok(out)
}

/// Label of the transition alerts' method.
pub const TRANSITION_METHOD: &str = "emerging hot spot transition (space-time Gi*, k = 1, one step back, FDR; \
     Esri patterns; first_raised gives the month and the pattern change)";

/// Cells turning into a new, consecutive or intensifying hot spot from no hot pattern: the
/// emerging hot spot analysis re-run with the months up to each tested month and up to the
/// month before.
/// Months before a full baseline are not tested, as for the count test.
fn transition_alerts(
    set: &SeriesSet,
    area: &StudyArea,
    settings: &AlertSettings,
) -> Result<Vec<Alert>, String> {
    let cube: Vec<Vec<f64>> =
        set.series().iter().map(|s| s.counts.iter().map(|&c| f64::from(c)).collect()).collect();
    let neighbours = Neighbours::k_ring(area, 1, true);
    let baseline = usize::try_from(settings.params.baseline_periods).unwrap_or(usize::MAX);
    let mut out = Vec::new();
    for step in baseline..set.periods() {
        let turned = emerging_transitions(area.cells(), &cube, &neighbours, step, EmergingParams::default())
            .map_err(|e| e.to_string())?;
        let period = set.index_at(step);
        let label = set.period().label(period);
        // Only cells that were no hot spot of any kind the month before: a cell moving
        // between hot patterns (new → consecutive) is already on the map.
        for t in turned.into_iter().filter(|t| !is_hot(t.before)) {
            let Some(i) = area.position(t.cell) else { continue };
            let series = &set.series()[i];
            let observed = series.counts[step];
            let trailing = &series.counts[step - baseline..step];
            #[expect(clippy::cast_precision_loss, reason = "small counts")]
            let expected = f64::from(trailing.iter().sum::<u32>()) / baseline as f64;
            // A cell that turns hot through its neighbours alone, with no more incidents of
            // its own than usual, is not where to send anyone.
            if f64::from(observed) <= expected {
                continue;
            }
            out.push(Alert {
                id: format!("{}:{}:{label}:emerging", t.cell, series.category),
                unit: Unit::Cell(t.cell),
                category: series.category.clone(),
                period,
                period_label: label.clone(),
                observed,
                expected,
                ratio: (expected > 0.0).then(|| f64::from(observed) / expected),
                p_value: f64::NAN,
                q_value: f64::NAN,
                method: TRANSITION_METHOD,
                seasonality: if set.periods() < 24 {
                    SeasonalModel::ShortHistory
                } else {
                    SeasonalModel::Off
                },
                first_raised: period,
                first_raised_label: format!("{label} ({} → {})", t.before.label(), t.after.label()),
                status: AlertStatus::New,
            });
        }
    }
    Ok(out)
}

fn is_hot(p: Pattern) -> bool {
    matches!(
        p,
        Pattern::NewHot
            | Pattern::ConsecutiveHot
            | Pattern::IntensifyingHot
            | Pattern::PersistentHot
            | Pattern::DiminishingHot
            | Pattern::SporadicHot
            | Pattern::OscillatingHot
            | Pattern::HistoricalHot
    )
}

/// An alert as stored, with its status.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct StoredAlert {
    /// `{unit}:{category}:{period}`.
    pub id: String,
    /// `cell` or `ward`.
    pub kind: String,
    /// H3 index or ward code.
    pub unit: String,
    /// Category slug.
    pub category: String,
    /// Period label (`2025-09`).
    pub period: String,
    /// Incidents in the period.
    pub observed: u32,
    /// Baseline mean.
    pub expected: f64,
    /// observed ÷ expected.
    pub ratio: Option<f64>,
    /// Exact conditional p (none for an emerging hot-spot transition).
    pub p: Option<f64>,
    /// Benjamini–Hochberg q across the period's series (none for a transition).
    pub q: Option<f64>,
    /// The test.
    pub method: String,
    /// Which baseline was used.
    pub seasonality: String,
    /// Period the run of alerts began.
    pub first_raised: String,
    /// `open`, `acknowledged`, `closed` or `expired`.
    pub status: String,
    /// The acknowledging note.
    pub note: Option<String>,
    /// When hexwatch first raised it (UTC).
    pub raised_at: String,
}

/// Months after which an open alert not raised again expires.
const EXPIRE_AFTER_PERIODS: i64 = 3;

impl Store {
    /// Records `alerts`: new ones are inserted as `open`, known ones get the latest figures
    /// and keep their status; open alerts whose period lies more than three periods
    /// before the latest tested one expire. Returns the ids inserted.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`].
    pub fn record_alerts(&mut self, alerts: &[Alert]) -> Result<Vec<String>, StoreError> {
        let path = self.path().to_path_buf();
        let sql = |cause| StoreError::Sqlite { path: path.clone(), cause };
        let tx = crate::store::write_transaction(&mut self.conn).map_err(sql)?;
        let mut inserted = Vec::new();
        {
            let mut exists = tx.prepare("SELECT 1 FROM alerts WHERE id = ?1").map_err(sql)?;
            let mut upsert = tx
                .prepare(
                    "INSERT INTO alerts (id, kind, unit, category, period, period_index, observed, expected, ratio, p, q, \
                     method, seasonality, first_raised) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14) \
                     ON CONFLICT(id) DO UPDATE SET observed = ?7, expected = ?8, ratio = ?9, p = ?10, q = ?11, \
                     seasonality = ?13, first_raised = ?14",
                )
                .map_err(sql)?;
            for a in alerts {
                let known = exists.query_row([&a.id], |_| Ok(())).optional().map_err(sql)?.is_some();
                upsert
                    .execute(params![
                        a.id,
                        kind_of(&a.unit),
                        a.unit.to_string(),
                        a.category,
                        a.period_label,
                        a.period,
                        a.observed,
                        a.expected,
                        a.ratio,
                        a.p_value.is_finite().then_some(a.p_value),
                        a.q_value.is_finite().then_some(a.q_value),
                        a.method,
                        a.seasonality.to_string(),
                        a.first_raised_label,
                    ])
                    .map_err(sql)?;
                if !known {
                    inserted.push(a.id.clone());
                }
            }
        }
        if let Some(latest) = alerts.iter().map(|a| a.period).max() {
            tx.execute(
                "UPDATE alerts SET status = 'expired' WHERE status = 'open' AND period_index < ?1",
                [latest - EXPIRE_AFTER_PERIODS],
            )
            .map_err(sql)?;
        }
        tx.commit().map_err(sql)?;
        Ok(inserted)
    }

    /// Stored alerts, newest period first, optionally only those with `status`, `period`
    /// (label) or `kind` (`cell`/`ward`).
    ///
    /// # Errors
    /// [`StoreError::Sqlite`].
    pub fn alerts(
        &self,
        status: Option<&str>,
        period: Option<&str>,
        kind: Option<&str>,
    ) -> Result<Vec<StoredAlert>, StoreError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT id, kind, unit, category, period, observed, expected, ratio, p, q, method, seasonality, \
                 first_raised, status, note, raised_at FROM alerts \
                 WHERE (?1 IS NULL OR status = ?1) AND (?2 IS NULL OR period = ?2) AND (?3 IS NULL OR kind = ?3) \
                 ORDER BY period_index DESC, q, id",
            )
            .map_err(|e| self.sql_error(e))?;
        let rows = stmt
            .query_map(params![status, period, kind], |r| {
                Ok(StoredAlert {
                    id: r.get(0)?,
                    kind: r.get(1)?,
                    unit: r.get(2)?,
                    category: r.get(3)?,
                    period: r.get(4)?,
                    observed: r.get(5)?,
                    expected: r.get(6)?,
                    ratio: r.get(7)?,
                    p: r.get(8)?,
                    q: r.get(9)?,
                    method: r.get(10)?,
                    seasonality: r.get(11)?,
                    first_raised: r.get(12)?,
                    status: r.get(13)?,
                    note: r.get(14)?,
                    raised_at: r.get(15)?,
                })
            })
            .map_err(|e| self.sql_error(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.sql_error(e))
    }

    /// Sets an alert's status (`acknowledged` or `closed`) with a note. Returns `false`
    /// when no alert has that id.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`].
    pub fn set_alert_status(
        &mut self,
        id: &str,
        status: &str,
        note: Option<&str>,
    ) -> Result<bool, StoreError> {
        let n = self
            .conn
            .execute(
                "UPDATE alerts SET status = ?2, note = COALESCE(?3, note), \
                 acknowledged_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now') WHERE id = ?1",
                params![id, status, note],
            )
            .map_err(|e| self.sql_error(e))?;
        Ok(n > 0)
    }
}
