//! The SQLite store: the source of truth, versioned by migrations.

use std::path::{Path, PathBuf};

use h3o::CellIndex;
use hexwatch_core::{
    BngPoint, IncidentTable, IncidentTableBuilder, NewIncident, TimePrecision, WardIndex, YearMonth,
};
use rusqlite::{Connection, OptionalExtension};

/// The schema version this build writes (`PRAGMA user_version`).
pub const SCHEMA_VERSION: u32 = 2;

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
        conn.pragma_update(None, "journal_mode", "WAL").map_err(sql)?;
        conn.pragma_update(None, "synchronous", "NORMAL").map_err(sql)?;
        conn.pragma_update(None, "foreign_keys", true).map_err(sql)?;
        let found: u32 = conn.pragma_query_value(None, "user_version", |r| r.get(0)).map_err(sql)?;
        if found > SCHEMA_VERSION {
            return Err(StoreError::TooNew { path, found, supported: SCHEMA_VERSION });
        }
        for (from, migration) in MIGRATIONS.iter().enumerate().skip(found as usize) {
            let tx = conn.transaction().map_err(sql)?;
            tx.execute_batch(migration).map_err(sql)?;
            tx.pragma_update(None, "user_version", u32::try_from(from + 1).unwrap_or(u32::MAX))
                .map_err(sql)?;
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

    /// Builds the in-memory incident table from every stored incident, assigning wards
    /// with `wards` when given.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`]; [`StoreError::Corrupt`] for a stored value this build did not write.
    pub fn load_table(&self, wards: Option<&WardIndex>) -> Result<IncidentTable, StoreError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT id, category, month, time_precision, longitude, latitude, easting_m, northing_m, h3_cell, location, \
                 lsoa_code FROM incidents ORDER BY id",
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
            let incident = NewIncident {
                category,
                month,
                precision,
                lon: real(4)?,
                lat: real(5)?,
                bng: BngPoint { easting_m: real(6)?, northing_m: real(7)? },
                cell,
            };
            builder.push_described(incident, description.as_deref());
            let lsoa_code: Option<String> = row.get(10).map_err(|e| self.sql_error(e))?;
            if let Some(code) = lsoa_code {
                builder.set_lsoa_code(&code);
            }
        }
        Ok(builder.build(wards))
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
