//! The SQLite store: the source of truth, versioned by migrations.

use std::path::{Path, PathBuf};

use h3o::CellIndex;
use hexwatch_core::{
    BngPoint, IncidentTable, IncidentTableBuilder, NewIncident, TimePrecision, WardIndex, YearMonth,
};
use rusqlite::{Connection, OptionalExtension};

/// The schema version this build writes (`PRAGMA user_version`).
pub const SCHEMA_VERSION: u32 = 4;

/// How long a connection waits for another writer before giving up: one file's or one
/// batch's transaction takes that long (measured in a debug build: a Dorset month about
/// 0.2 s, the 148,636 Chicago rows in one file about 6 s), with room for far bigger files.
pub const BUSY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(300);

/// Migrations in order: `MIGRATIONS[i]` takes a store from version `i` to `i + 1`.
const MIGRATIONS: [&str; SCHEMA_VERSION as usize] = [
    r"
CREATE TABLE ingests (
    id INTEGER PRIMARY KEY,
    file TEXT NOT NULL,
    started_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    rows_read INTEGER NOT NULL DEFAULT 0,
    accepted INTEGER NOT NULL DEFAULT 0,
    duplicates INTEGER NOT NULL DEFAULT 0,
    rejected INTEGER NOT NULL DEFAULT 0,
    not_in_file INTEGER NOT NULL DEFAULT 0,
    stopped_early TEXT
);
CREATE TABLE rejections (
    ingest_id INTEGER NOT NULL REFERENCES ingests(id),
    line INTEGER NOT NULL,
    field TEXT NOT NULL,
    reason TEXT NOT NULL
);
CREATE TABLE incidents (
    id INTEGER PRIMARY KEY,
    identity BLOB NOT NULL UNIQUE,
    source TEXT NOT NULL,
    partition TEXT NOT NULL,
    crime_id TEXT,
    month TEXT NOT NULL,
    time_precision TEXT NOT NULL,
    category TEXT NOT NULL,
    longitude REAL NOT NULL,
    latitude REAL NOT NULL,
    easting_m REAL NOT NULL,
    northing_m REAL NOT NULL,
    h3_cell INTEGER NOT NULL,
    location TEXT,
    lsoa_code TEXT,
    lsoa_name TEXT,
    outcome TEXT,
    force TEXT NOT NULL,
    falls_within TEXT,
    context TEXT,
    source_file TEXT NOT NULL,
    source_line INTEGER NOT NULL,
    ingest_id INTEGER NOT NULL REFERENCES ingests(id)
);
CREATE INDEX incidents_partition ON incidents(partition);
CREATE TABLE store_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
INSERT INTO store_meta (key, value) VALUES ('data_version', '0');
",
    r"
-- 2: partner data: times with zones and windows, sub-categories, flags, weights,
-- source references, the projected CRS of easting/northing, and correction counts.
ALTER TABLE incidents ADD COLUMN sub_category TEXT;
ALTER TABLE incidents ADD COLUMN flags TEXT;
ALTER TABLE incidents ADD COLUMN weight REAL NOT NULL DEFAULT 1;
ALTER TABLE incidents ADD COLUMN source_ref TEXT;
ALTER TABLE incidents ADD COLUMN local_start TEXT;
ALTER TABLE incidents ADD COLUMN local_end TEXT;
ALTER TABLE incidents ADD COLUMN start_utc TEXT;
ALTER TABLE incidents ADD COLUMN end_utc TEXT;
ALTER TABLE incidents ADD COLUMN time_zone TEXT;
ALTER TABLE incidents ADD COLUMN projected_crs TEXT NOT NULL DEFAULT 'EPSG:27700';
CREATE INDEX incidents_source_ref ON incidents(source, source_ref);
ALTER TABLE ingests ADD COLUMN ambiguous_times INTEGER NOT NULL DEFAULT 0;
ALTER TABLE ingests ADD COLUMN nonexistent_times INTEGER NOT NULL DEFAULT 0;
ALTER TABLE ingests ADD COLUMN removed INTEGER NOT NULL DEFAULT 0;
ALTER TABLE ingests ADD COLUMN changed INTEGER NOT NULL DEFAULT 0;
",
    r"
-- 3: hotspot alerts with their status (open, acknowledged, closed, expired).
CREATE TABLE alerts (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    unit TEXT NOT NULL,
    category TEXT NOT NULL,
    period TEXT NOT NULL,
    period_index INTEGER NOT NULL,
    observed INTEGER NOT NULL,
    expected REAL NOT NULL,
    ratio REAL,
    p REAL,
    q REAL,
    method TEXT NOT NULL,
    seasonality TEXT NOT NULL,
    first_raised TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'open',
    note TEXT,
    acknowledged_at TEXT,
    raised_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);
CREATE INDEX alerts_period ON alerts(period_index, status);
",
    // 4: custom area sets.
    MIGRATION_AREA_SETS,
];

/// Custom area sets (`hexwatch areas add`): one row per set with its point-in-polygon
/// tolerance, one row per area with its boundary as GeoJSON geometry text in WGS84 and in
/// British National Grid metres (both kept: the file's own coordinates are never
/// round-tripped through a projection). Self-contained: new tables only.
const MIGRATION_AREA_SETS: &str = r"
CREATE TABLE area_sets (
    name TEXT PRIMARY KEY,
    source_file TEXT NOT NULL,
    source_crs TEXT NOT NULL,
    tolerance_m REAL NOT NULL DEFAULT 0,
    name_property TEXT,
    code_property TEXT,
    added_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);
CREATE TABLE areas (
    set_name TEXT NOT NULL REFERENCES area_sets(name) ON DELETE CASCADE,
    ordinal INTEGER NOT NULL,
    code TEXT,
    name TEXT NOT NULL,
    geometry_wgs84 TEXT NOT NULL,
    geometry_bng TEXT NOT NULL,
    area_km2 REAL NOT NULL,
    PRIMARY KEY (set_name, ordinal),
    UNIQUE (set_name, name)
);
";

/// A transaction that takes the write lock at its start (`BEGIN IMMEDIATE`). A deferred one
/// that reads and then writes fails at once with `SQLITE_BUSY` (no busy wait) when another
/// connection has committed since its read; an immediate one waits for the lock instead (the
/// [`BUSY_TIMEOUT`]). The store's read-then-write transactions use it.
pub(crate) fn write_transaction(
    conn: &mut rusqlite::Connection,
) -> rusqlite::Result<rusqlite::Transaction<'_>> {
    conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
}

/// Runs `f` again while SQLite answers `SQLITE_BUSY`, for up to [`BUSY_TIMEOUT`]. The busy
/// timeout covers most waits, but not all: while another connection is turning a new file
/// into WAL mode (two processes opening a new store at once), SQLite answers busy at once,
/// without calling the busy handler.
fn retry_busy<T>(mut f: impl FnMut() -> rusqlite::Result<T>) -> rusqlite::Result<T> {
    let started = std::time::Instant::now();
    loop {
        match f() {
            Err(rusqlite::Error::SqliteFailure(e, _))
                if e.code == rusqlite::ErrorCode::DatabaseBusy && started.elapsed() < BUSY_TIMEOUT =>
            {
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
            other => return other,
        }
    }
}

/// Why the store could not be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// SQLite failed.
    #[error("store {}: {cause}", path.display())]
    Sqlite {
        /// The store file.
        path: PathBuf,
        /// The SQLite error.
        cause: rusqlite::Error,
    },
    /// A read-only command was pointed at a store that does not exist.
    #[error("store {} does not exist: run `hexwatch ingest FILE...` or `hexwatch serve` first, or pass --store", path.display())]
    Missing {
        /// The path given.
        path: PathBuf,
    },
    /// The store was written by a newer hexwatch.
    #[error(
        "store {} has schema version {found}, but this hexwatch understands versions up to {supported}: \
         it was written by a newer hexwatch; upgrade hexwatch or use another store (--store)",
        path.display()
    )]
    TooNew {
        /// The store file.
        path: PathBuf,
        /// Version found.
        found: u32,
        /// Latest version this build knows.
        supported: u32,
    },
    /// A stored value is not what this build wrote.
    #[error("store {}: incident {id}: {reason}", path.display())]
    Corrupt {
        /// The store file.
        path: PathBuf,
        /// Row id.
        id: i64,
        /// What is wrong.
        reason: String,
    },
}

/// Counts over the whole store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoreSummary {
    /// Stored incidents.
    pub incidents: u64,
    /// Data version: bumped by every ingest that stored at least one incident.
    pub data_version: u64,
}

/// The SQLite store of incidents, ingests and rejections.
#[derive(Debug)]
pub struct Store {
    pub(crate) conn: Connection,
    path: PathBuf,
}

impl Store {
    /// Opens (creating if needed) the store at `path` and migrates it to [`SCHEMA_VERSION`].
    ///
    /// # Errors
    /// [`StoreError::TooNew`] for a store written by a newer hexwatch;
    /// [`StoreError::Sqlite`] when the file cannot be opened or migrated.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        let path = path.as_ref().to_path_buf();
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            // A missing directory is reported by SQLite's open below, with the path.
            let _ = std::fs::create_dir_all(dir);
        }
        let sql = |cause| StoreError::Sqlite { path: path.clone(), cause };
        let mut conn = Connection::open(&path).map_err(sql)?;
        // WAL with synchronous = NORMAL: a commit is written to the WAL before it returns, so
        // a killed process loses nothing committed (tests/tests/crash.rs SIGKILLs ingests and
        // POSTs); only an OS crash or power loss could drop the last commits, and never
        // corrupt the store. FULL would fsync every commit for that last case, at a cost to
        // ingest that partnership data (re-sendable batches, republished files) does not need.
        // Another writer (a second `hexwatch ingest`, the server's POST) holds the lock for
        // the length of one file or batch: wait for it rather than fail.
        conn.busy_timeout(BUSY_TIMEOUT).map_err(sql)?;
        retry_busy(|| conn.pragma_update(None, "journal_mode", "WAL")).map_err(sql)?;
        conn.pragma_update(None, "synchronous", "NORMAL").map_err(sql)?;
        conn.pragma_update(None, "foreign_keys", true).map_err(sql)?;
        let found: u32 =
            retry_busy(|| conn.pragma_query_value(None, "user_version", |r| r.get(0))).map_err(sql)?;
        if found > SCHEMA_VERSION {
            return Err(StoreError::TooNew { path, found, supported: SCHEMA_VERSION });
        }
        if found < SCHEMA_VERSION {
            // Under the write lock, and reading the version again: two processes opening a
            // new store at once must not both run the first migration.
            retry_busy(|| conn.execute_batch("BEGIN IMMEDIATE; COMMIT;")).map_err(sql)?;
            let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate).map_err(sql)?;
            let found: u32 = tx.pragma_query_value(None, "user_version", |r| r.get(0)).map_err(sql)?;
            for (from, migration) in MIGRATIONS.iter().enumerate().skip(found as usize) {
                tx.execute_batch(migration).map_err(sql)?;
                tx.pragma_update(None, "user_version", u32::try_from(from + 1).unwrap_or(u32::MAX))
                    .map_err(sql)?;
            }
            tx.commit().map_err(sql)?;
        }
        Ok(Self { conn, path })
    }

    /// The store file.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    pub(crate) fn sql_error(&self, cause: rusqlite::Error) -> StoreError {
        StoreError::Sqlite { path: self.path.clone(), cause }
    }

    /// Opens an existing store (as [`Store::open`]) without creating one.
    ///
    /// # Errors
    /// [`StoreError::Missing`] when there is no file at `path`; otherwise as [`Store::open`].
    pub fn open_existing(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        if !path.as_ref().is_file() {
            return Err(StoreError::Missing { path: path.as_ref().to_path_buf() });
        }
        Self::open(path)
    }

    /// Incident count and data version.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`].
    pub fn summary(&self) -> Result<StoreSummary, StoreError> {
        let incidents: i64 = self
            .conn
            .query_row("SELECT COUNT(*) FROM incidents", [], |r| r.get(0))
            .map_err(|e| self.sql_error(e))?;
        let version: Option<String> = self
            .conn
            .query_row("SELECT value FROM store_meta WHERE key = 'data_version'", [], |r| r.get(0))
            .optional()
            .map_err(|e| self.sql_error(e))?;
        Ok(StoreSummary {
            incidents: u64::try_from(incidents).unwrap_or(0),
            data_version: version.and_then(|v| v.parse().ok()).unwrap_or(0),
        })
    }

    /// Deletes the incidents of `source` whose source reference is one of `references`, in
    /// one transaction; bumps the data version when any was deleted. Returns (deleted,
    /// references not found).
    ///
    /// # Errors
    /// [`StoreError::Sqlite`].
    pub fn delete_by_reference(
        &mut self,
        source: &str,
        references: &[String],
    ) -> Result<(u64, Vec<String>), StoreError> {
        let path = self.path.clone();
        let sql = |cause| StoreError::Sqlite { path: path.clone(), cause };
        let tx = crate::store::write_transaction(&mut self.conn).map_err(sql)?;
        let (mut deleted, mut missing) = (0_u64, Vec::new());
        {
            let mut delete =
                tx.prepare("DELETE FROM incidents WHERE source = ?1 AND source_ref = ?2").map_err(sql)?;
            for reference in references {
                let n = delete.execute(rusqlite::params![source, reference]).map_err(sql)?;
                if n == 0 {
                    missing.push(reference.clone());
                }
                deleted += n as u64;
            }
        }
        if deleted > 0 {
            tx.execute(
                "UPDATE store_meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'data_version'",
                [],
            )
            .map_err(sql)?;
        }
        tx.commit().map_err(sql)?;
        Ok((deleted, missing))
    }

    /// Builds the in-memory incident table from every stored incident, assigning wards
    /// with `wards` when given, its incidents clustered by location
    /// ([`IncidentTable::cluster_by_location`]).
    ///
    /// # Errors
    /// [`StoreError::Sqlite`]; [`StoreError::Corrupt`] for a stored value this build did not write.
    pub fn load_table(&self, wards: Option<&WardIndex>) -> Result<IncidentTable, StoreError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT id, category, month, time_precision, longitude, latitude, easting_m, northing_m, h3_cell, location, \
                 local_start, local_end, flags, weight, lsoa_code FROM incidents ORDER BY id",
            )
            .map_err(|e| self.sql_error(e))?;
        let mut rows = stmt.query([]).map_err(|e| self.sql_error(e))?;
        let mut builder = IncidentTableBuilder::new();
        while let Some(row) = rows.next().map_err(|e| self.sql_error(e))? {
            let get = |i| -> Result<rusqlite::types::Value, StoreError> {
                row.get(i).map_err(|e| self.sql_error(e))
            };
            let id: i64 = row.get(0).map_err(|e| self.sql_error(e))?;
            let corrupt = |reason: String| StoreError::Corrupt { path: self.path.clone(), id, reason };
            let text = |i| -> Result<String, StoreError> {
                match get(i)? {
                    rusqlite::types::Value::Text(t) => Ok(t),
                    other => Err(corrupt(format!("column {i}: expected text, got {other:?}"))),
                }
            };
            let real = |i| -> Result<f64, StoreError> { row.get::<_, f64>(i).map_err(|e| self.sql_error(e)) };
            let category = builder.category_id(&text(1)?);
            let month: YearMonth = text(2)?.parse().map_err(|e| corrupt(format!("month: {e}")))?;
            let precision =
                TimePrecision::parse(&text(3)?).ok_or_else(|| corrupt("time_precision".into()))?;
            let raw_cell: i64 = row.get(8).map_err(|e| self.sql_error(e))?;
            let cell = u64::try_from(raw_cell)
                .ok()
                .and_then(|c| CellIndex::try_from(c).ok())
                .ok_or_else(|| corrupt(format!("h3_cell {raw_cell} is not an H3 cell")))?;
            let description: Option<String> = row.get(9).map_err(|e| self.sql_error(e))?;
            let local_start: Option<String> = row.get(10).map_err(|e| self.sql_error(e))?;
            let local_end: Option<String> = row.get(11).map_err(|e| self.sql_error(e))?;
            let week_time = match local_start {
                None => None,
                Some(start) => Some(
                    crate::time::week_time(&start, local_end.as_deref(), precision)
                        .map_err(|e| corrupt(format!("local_start/local_end: {e}")))?,
                ),
            };
            let flag_text: Option<String> = row.get(12).map_err(|e| self.sql_error(e))?;
            let mut flags = 0;
            for name in flag_text.iter().flat_map(|t| t.split(',')).filter(|f| !f.is_empty()) {
                flags |= builder
                    .flag_bit(name)
                    .ok_or_else(|| corrupt(format!("flag {name:?}: more than 32 distinct flags")))?;
            }
            #[expect(clippy::cast_possible_truncation, reason = "weights are small numbers")]
            let weight = real(13)? as f32;
            let incident = NewIncident {
                category,
                month,
                precision,
                lon: real(4)?,
                lat: real(5)?,
                bng: BngPoint { easting_m: real(6)?, northing_m: real(7)? },
                cell,
                week_time,
                flags,
                weight,
            };
            builder.push_described(incident, description.as_deref());
            let lsoa_code: Option<String> = row.get(14).map_err(|e| self.sql_error(e))?;
            if let Some(code) = lsoa_code {
                builder.set_lsoa_code(&code);
            }
        }
        let mut table = builder.build(wards);
        table.cluster_by_location();
        Ok(table)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_a_store_from_a_newer_hexwatch() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.sqlite3");
        drop(Store::open(&path).unwrap());
        let conn = Connection::open(&path).unwrap();
        conn.pragma_update(None, "user_version", SCHEMA_VERSION + 1).unwrap();
        drop(conn);
        let err = Store::open(&path).unwrap_err();
        assert!(matches!(err, StoreError::TooNew { found, .. } if found == SCHEMA_VERSION + 1));
        assert!(err.to_string().contains("newer hexwatch"), "{err}");
    }

    /// A store written by schema version 1 (committed, see its SOURCE.md) opens,
    /// upgrades in place and keeps every incident and the data version.
    #[test]
    fn upgrades_a_version_1_store() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v1.sqlite3");
        std::fs::copy(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/store-v1/store-v1.sqlite3"),
            &path,
        )
        .unwrap();
        let before: u32 =
            Connection::open(&path).unwrap().pragma_query_value(None, "user_version", |r| r.get(0)).unwrap();
        assert_eq!(before, 1);
        let store = Store::open(&path).unwrap();
        let after: u32 = store.conn.pragma_query_value(None, "user_version", |r| r.get(0)).unwrap();
        assert_eq!(after, SCHEMA_VERSION);
        assert_eq!(store.summary().unwrap(), StoreSummary { incidents: 300, data_version: 1 });
        let weights: f64 =
            store.conn.query_row("SELECT SUM(weight) FROM incidents", [], |r| r.get(0)).unwrap();
        assert_eq!(weights, 300.0);
        let table = store.load_table(None).unwrap();
        assert_eq!(table.len(), 300);
        assert!((0..300).all(|i| table.week_time(i).is_none()), "police.uk rows stay month-only");
        drop(store);
        // Reopening does not migrate again.
        assert_eq!(Store::open(&path).unwrap().summary().unwrap().incidents, 300);
    }

    #[test]
    fn reopening_keeps_the_schema_version() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.sqlite3");
        drop(Store::open(&path).unwrap());
        let store = Store::open(&path).unwrap();
        let v: u32 = store.conn.pragma_query_value(None, "user_version", |r| r.get(0)).unwrap();
        assert_eq!(v, SCHEMA_VERSION);
        assert_eq!(store.summary().unwrap(), StoreSummary { incidents: 0, data_version: 0 });
    }
}
