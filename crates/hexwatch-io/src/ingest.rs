//! Ingest of data.police.uk files into the store, with a report that adds up.

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use h3o::LatLng;
use hexwatch_core::{Bounds, FINEST_RESOLUTION, TimePrecision, YearMonth};
use rusqlite::params;
use xxhash_rust::xxh3::xxh3_128;

use crate::bng::BngProjector;
use crate::police_uk::{Columns, HeaderProblem, RepeatedColumn, RowProblem};
use crate::store::{Store, StoreError};
use crate::time::Transitions;

/// The `source` of police.uk rows in the identity and the store.
const SOURCE: &str = "police.uk";

/// Settings for [`ingest_file`].
#[derive(Debug, Clone)]
pub struct IngestOptions {
    /// Points outside this box are rejected ("outside extent"), never clamped.
    /// Default: [`Bounds::UNITED_KINGDOM`].
    pub extent: Bounds,
    /// Replace each partition the file holds (police.uk: force × month; partner data:
    /// source × month or the mapping's partition): stored incidents the file no longer
    /// has are deleted, and the report counts added, removed and changed.
    pub replace: bool,
}

impl Default for IngestOptions {
    fn default() -> Self {
        Self { extent: Bounds::UNITED_KINGDOM, replace: false }
    }
}

/// A stored incident of a partition being replaced.
struct Correction {
    id: i64,
    identity: Vec<u8>,
    ingest_id: i64,
    crime_id: Option<String>,
    /// (month, location, crime type): how rows without a Crime ID are matched.
    key: (String, Option<String>, String),
}

/// Pairs deleted with added incidents of one partition as changes: first by Crime ID where
/// the ID is unique among the deleted and among the added rows, then rows without an ID
/// by (month, location, crime type), in stored order. Returns the number of pairs.
fn pair_changes(gone: &[Correction], added: &[Correction]) -> u64 {
    fn unique_ids(rows: &[Correction]) -> HashSet<&str> {
        let mut count: HashMap<&str, u32> = HashMap::new();
        for id in rows.iter().filter_map(|r| r.crime_id.as_deref()) {
            *count.entry(id).or_default() += 1;
        }
        count.into_iter().filter(|(_, n)| *n == 1).map(|(id, _)| id).collect()
    }
    let (gone_ids, added_ids) = (unique_ids(gone), unique_ids(added));
    let mut pairs = gone_ids.intersection(&added_ids).count() as u64;
    let mut unmatched: HashMap<&(String, Option<String>, String), u64> = HashMap::new();
    for r in gone.iter().filter(|r| r.crime_id.is_none()) {
        *unmatched.entry(&r.key).or_default() += 1;
    }
    for r in added.iter().filter(|r| r.crime_id.is_none()) {
        if let Some(n) = unmatched.get_mut(&r.key).filter(|n| **n > 0) {
            *n -= 1;
            pairs += 1;
        }
    }
    pairs
}

/// One rejected row.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Rejection {
    /// Line number in the (decompressed) file where the row starts, 1 = header.
    pub line: u64,
    /// The column at fault, by header name (`(row)` for the row as a whole).
    pub field: String,
    /// Why, in words a user can act on.
    pub reason: String,
}

impl std::fmt::Display for Rejection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}: {}", self.line, self.field, self.reason)
    }
}

/// What happened to every row of one file: `read == accepted + duplicates + rejected.len()`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct IngestReport {
    /// The file.
    pub file: PathBuf,
    /// Data rows read (the header is not a row).
    pub read: u64,
    /// Rows stored as new incidents.
    pub accepted: u64,
    /// Rows whose identity was already stored.
    pub duplicates: u64,
    /// Rows rejected, each with line, field and reason.
    pub rejected: Vec<Rejection>,
    /// Stored incidents of the partitions in this file (force × month) that this file does
    /// not contain: kept, and reported (a republished month is a correction, handled apart).
    pub not_in_file: u64,
    /// Set when reading stopped before the end of the file (e.g. a truncated gzip): where
    /// and why. Rows before that point are stored.
    pub stopped_early: Option<String>,
    /// Accepted or duplicate rows whose local time fell in a repeated autumn hour: stored
    /// with the earlier offset.
    pub ambiguous_times: u64,
    /// Rows whose local time fell in a skipped spring hour: moved forward by the gap.
    pub nonexistent_times: u64,
    /// With `replace`: stored incidents of the file's partitions that the file no longer
    /// has (deleted), not counting `changed`.
    pub removed: u64,
    /// With `replace`: incidents the file restates with a different outcome or location
    /// (the old version deleted, the new one among `accepted`). A change is the same
    /// Crime ID (unique within the partition) or, for rows without one, the same month,
    /// location and crime type.
    pub changed: u64,
    /// Longitude and latitude of each accepted row (what a live map must refresh).
    #[serde(skip)]
    pub accepted_points: Vec<(f64, f64)>,
}

impl IngestReport {
    /// New incidents that are not new versions of changed ones.
    #[must_use]
    pub const fn added(&self) -> u64 {
        self.accepted - self.changed
    }
}

impl IngestReport {
    /// One line per rejection naming the file, line and field:
    /// `2025-01-dorset-street.csv: line 4: Latitude: 123 out of range [-90, 90]`.
    pub fn rejection_messages(&self) -> impl Iterator<Item = String> + '_ {
        self.rejected.iter().map(|r| format!("{}: {r}", self.file.display()))
    }

    /// Whether the counts add up (checked before every report is returned).
    #[must_use]
    pub fn adds_up(&self) -> bool {
        self.read == self.accepted + self.duplicates + self.rejected.len() as u64
    }
}

/// Why a file was refused as a whole (nothing from it is stored).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IngestError {
    /// The file could not be opened or read before the header.
    #[error("reading {}: {cause}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        cause: std::io::Error,
    },
    /// The file has no header line.
    #[error("{}: empty file: expected a data.police.uk header line", path.display())]
    Empty {
        /// The file.
        path: PathBuf,
    },
    /// The header lacks a required column.
    #[error("{}: line 1: header lacks the required column {column:?} (a data.police.uk street file has Crime ID, Month, Reported by, Falls within, Longitude, Latitude, Location, LSOA code, LSOA name, Crime type, Last outcome category, Context)", path.display())]
    MissingColumn {
        /// The file.
        path: PathBuf,
        /// The column's name.
        column: &'static str,
    },
    /// A column the reader uses appears twice in the header: which to read is ambiguous.
    #[error("{}: line 1: the header has column {column:?} twice (columns {first} and {second}): which one to read is ambiguous; rename or remove one", path.display())]
    RepeatedColumn {
        /// The file.
        path: PathBuf,
        /// The column's name as written first.
        column: String,
        /// Its first position, 1 = the first column.
        first: usize,
        /// Its second position.
        second: usize,
    },
    /// A column mapping is unreadable, inconsistent or names a column the header lacks.
    #[error("{}: mapping: {reason}", path.display())]
    Mapping {
        /// The mapping file (or the CSV whose header lacks a mapped column).
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// A zip archive could not be read or holds no street file.
    #[error("{}: {reason}", path.display())]
    Archive {
        /// The archive.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl IngestError {
    pub(crate) fn repeated(path: &Path, r: RepeatedColumn) -> Self {
        Self::RepeatedColumn { path: path.into(), column: r.name, first: r.first, second: r.second }
    }
}

/// Counts bytes read from the file, so progress can be shown for gzip input too.
struct Counting<R> {
    inner: R,
    count: ByteCounter,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.set(self.count.get() + n as u64);
        Ok(n)
    }
}

/// Bytes of the file read so far, shared with the reader chain.
type ByteCounter = std::rc::Rc<std::cell::Cell<u64>>;

/// Where each line that holds something starts, as (byte offset, line number): filled as
/// the CSV reader pulls the text through a [`LineTap`], drained as records are numbered.
///
/// The CSV reader's own line count cannot number rows: a record's position is the byte
/// after the previous record's terminator, before any blank lines (which it skips without
/// counting) and, in CRLF files, before the terminator's `\n`. A record's line is that of
/// the first line with content at or after its position.
#[derive(Debug)]
struct LineStarts {
    starts: std::collections::VecDeque<(u64, u64)>,
    offset: u64,
    line: u64,
    at_line_start: bool,
}

impl LineStarts {
    fn new() -> Self {
        Self { starts: std::collections::VecDeque::new(), offset: 0, line: 1, at_line_start: true }
    }

    fn scan(&mut self, bytes: &[u8]) {
        for &b in bytes {
            if self.at_line_start && b != b'\n' && b != b'\r' {
                self.starts.push_back((self.offset, self.line));
                self.at_line_start = false;
            }
            if b == b'\n' {
                self.line += 1;
                self.at_line_start = true;
            }
            self.offset += 1;
        }
    }

    /// The line number of the first line with content starting at or after `byte`.
    fn line_at(&mut self, byte: u64) -> Option<u64> {
        while self.starts.front().is_some_and(|(offset, _)| *offset < byte) {
            self.starts.pop_front();
        }
        self.starts.front().map(|(_, line)| *line)
    }
}

/// The line starts, shared between the reader chain and the ingest loop.
type SharedLines = std::rc::Rc<std::cell::RefCell<LineStarts>>;

/// Records the line starts of the text read through it.
struct LineTap<R> {
    inner: R,
    lines: SharedLines,
}

impl<R: Read> Read for LineTap<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.lines.borrow_mut().scan(&buf[..n]);
        Ok(n)
    }
}

/// An opened input: decompressed text (with its line starts), file size and bytes read
/// so far.
pub(crate) struct Opened {
    reader: Box<dyn Read>,
    size: u64,
    count: ByteCounter,
    lines: SharedLines,
    /// Number rows by record (header = 1, first row = 2) instead of by physical line: for
    /// CSV converted from JSON, whose strings may hold newlines.
    by_record: bool,
}

impl Opened {
    fn new(text: impl Read + 'static, size: u64, count: ByteCounter, by_record: bool) -> Self {
        let lines = std::rc::Rc::new(std::cell::RefCell::new(LineStarts::new()));
        let reader = Box::new(LineTap { inner: text, lines: lines.clone() });
        Self { reader, size, count, lines, by_record }
    }
}

/// Opens a file as plain text or gzip (by its magic bytes).
pub(crate) fn open(path: &Path) -> Result<Opened, IngestError> {
    let io = |cause| IngestError::Io { path: path.into(), cause };
    let file = File::open(path).map_err(io)?;
    let total = file.metadata().map_err(io)?.len();
    let count = std::rc::Rc::new(std::cell::Cell::new(0));
    let mut reader = BufReader::new(Counting { inner: file, count: count.clone() });
    let is_gzip = reader.fill_buf().map_err(io)?.starts_with(&[0x1f, 0x8b]);
    let reader: Box<dyn Read> =
        if is_gzip { Box::new(flate2::read::MultiGzDecoder::new(reader)) } else { Box::new(reader) };
    // A truncated or corrupt start is reported by the CSV reader, with its line.
    Ok(Opened::new(reader, total, count, false))
}

/// Reads one data.police.uk street CSV (plain or gzip, detected by content) into `store`.
///
/// Identity, not Crime ID: an incident is (partition, normalised row content, ordinal of
/// that content within the partition), the partition being (source, `Reported by`,
/// `Month`). Exact repeats in a file are separate incidents; a second ingest of the same
/// rows (also the same file gzipped) stores nothing new and counts duplicates. All rows of
/// a file are committed in one transaction.
///
/// `progress(bytes_read, file_size)` is called every few thousand rows.
///
/// # Errors
/// [`IngestError`] when the file is refused as a whole: unreadable, empty, a required
/// column missing from the header, or a store failure. Bad rows are not errors: they are
/// listed in [`IngestReport::rejected`].
pub fn ingest_file(
    store: &mut Store,
    path: &Path,
    options: &IngestOptions,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<IngestReport, IngestError> {
    let opened = open(path)?;
    ingest_opened(store, path, opened, options, progress)
}

/// What an ingest of one path did: a report per CSV read (one for a CSV file, one per
/// `*-street.csv` member of a zip) and the archive members skipped.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PathIngest {
    /// One report per CSV read, in order.
    pub reports: Vec<IngestReport>,
    /// Members of a zip archive that are not street files (outcomes, stop and search,
    /// folders), by name; empty for a CSV file.
    pub skipped: Vec<String>,
}

/// Ingests a data.police.uk street CSV (plain or gzip) or a data.police.uk zip archive as
/// downloaded (`2025-12.zip` holding `2025-12/2025-12-dorset-street.csv`,
/// `…-outcomes.csv`, `…-stop-and-search.csv`): every member whose name ends in
/// `-street.csv` is ingested as [`ingest_file`] would, each in its own transaction and with
/// its own report (file `archive.zip!member`); the other members are listed as skipped.
///
/// # Errors
/// As [`ingest_file`]; [`IngestError::Archive`] for an unreadable zip or one with no
/// street file (nothing is stored from it).
pub fn ingest_path(
    store: &mut Store,
    path: &Path,
    options: &IngestOptions,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<PathIngest, IngestError> {
    let io = |cause| IngestError::Io { path: path.into(), cause };
    let mut magic = [0_u8; 4];
    let n = File::open(path).and_then(|mut f| f.read(&mut magic)).map_err(io)?;
    if magic[..n] != *b"PK\x03\x04" {
        return Ok(PathIngest {
            reports: vec![ingest_file(store, path, options, progress)?],
            skipped: Vec::new(),
        });
    }
    let archive_error = |reason: String| IngestError::Archive { path: path.into(), reason };
    let mut archive = zip::ZipArchive::new(File::open(path).map_err(io)?)
        .map_err(|e| archive_error(format!("not a readable zip archive: {e}")))?;
    let (mut street, mut skipped) = (Vec::new(), Vec::new());
    for i in 0..archive.len() {
        let name = archive
            .name_for_index(i)
            .ok_or_else(|| archive_error(format!("member {} is missing", i + 1)))?
            .map_err(|e| archive_error(format!("member {}: unreadable name: {e}", i + 1)))?
            .into_owned();
        if name.to_ascii_lowercase().ends_with("-street.csv") {
            street.push((i, name));
        } else {
            skipped.push(name);
        }
    }
    if street.is_empty() {
        return Err(archive_error(format!(
            "no data.police.uk street file (*-street.csv) among its {} members",
            archive.len()
        )));
    }
    let mut reports = Vec::with_capacity(street.len());
    let total: u64 = street.len() as u64;
    for (done, (i, name)) in street.into_iter().enumerate() {
        let mut member = archive.by_index(i).map_err(|e| archive_error(format!("member {name}: {e}")))?;
        let mut bytes = Vec::with_capacity(usize::try_from(member.size()).unwrap_or(0));
        // A damaged member keeps what inflated before the damage, as a truncated gzip does.
        let damage = member.read_to_end(&mut bytes).err();
        drop(member);
        let label = PathBuf::from(format!("{}!{name}", path.display()));
        let opened = open_bytes(bytes, false);
        let mut report = ingest_opened(store, &label, opened, options, &mut |_, _| {})?;
        if let (Some(e), None) = (damage, &report.stopped_early) {
            report.stopped_early = Some(format!("the archive member is damaged: {e}"));
        }
        reports.push(report);
        progress(done as u64 + 1, total);
    }
    Ok(PathIngest { reports, skipped })
}

/// Bytes in memory (an archive member, a posted body) as an opened input; `by_record`
/// numbers rows by record rather than by line (see [`Opened`]).
pub(crate) fn open_bytes(bytes: Vec<u8>, by_record: bool) -> Opened {
    let size = bytes.len() as u64;
    let count = std::rc::Rc::new(std::cell::Cell::new(size));
    Opened::new(std::io::Cursor::new(bytes), size, count, by_record)
}

/// One validated row ready to store, from any reader.
#[derive(Debug, Clone)]
pub(crate) struct StoredRow {
    /// Identity partition, e.g. `police.uk|Dorset Police|2025-01`.
    pub(crate) partition: String,
    /// Normalised row content for the identity.
    pub(crate) content: String,
    pub(crate) source: String,
    pub(crate) crime_id: Option<String>,
    pub(crate) source_ref: Option<String>,
    pub(crate) month: YearMonth,
    pub(crate) precision: TimePrecision,
    pub(crate) local_start: Option<String>,
    pub(crate) local_end: Option<String>,
    pub(crate) start_utc: Option<String>,
    pub(crate) end_utc: Option<String>,
    pub(crate) time_zone: Option<String>,
    pub(crate) category: String,
    pub(crate) sub_category: Option<String>,
    /// Flag names, lowercase.
    pub(crate) flags: Vec<String>,
    pub(crate) weight: f64,
    pub(crate) lon: f64,
    pub(crate) lat: f64,
    /// Projected metres when the source gave them (else computed from lon/lat).
    pub(crate) projected: Option<(f64, f64)>,
    pub(crate) location: Option<String>,
    pub(crate) lsoa_code: Option<String>,
    pub(crate) lsoa_name: Option<String>,
    pub(crate) outcome: Option<String>,
    pub(crate) force: String,
    pub(crate) falls_within: Option<String>,
    pub(crate) context: Option<String>,
}

/// Turns CSV records of one format into rows to store.
pub(crate) trait RowReader {
    /// Validates one record; `Err` names the field and the reason.
    fn read(
        &mut self,
        record: &csv::ByteRecord,
        transitions: &mut Transitions,
    ) -> Result<StoredRow, RowProblem>;

    /// The projector of the metres this source is stored in.
    fn projector(&self) -> &BngProjector;

    /// The header's name of column `i` (0 = first), for rejections.
    fn column_name(&self, i: usize) -> String;
}

/// Longest row accepted, in bytes: police.uk rows are about 200 bytes and partner rows with
/// free text a few kB; a longer row is a broken file (an unclosed quote swallowing the rest
/// of the file) or not incident data, and is rejected rather than stored.
pub const MAX_ROW_BYTES: usize = 64 * 1024;

/// police.uk street rows.
struct PoliceUkReader {
    columns: Columns,
    extent: Bounds,
    projector: BngProjector,
    /// Later months are in the future.
    latest: YearMonth,
}

impl RowReader for PoliceUkReader {
    fn read(&mut self, record: &csv::ByteRecord, _: &mut Transitions) -> Result<StoredRow, RowProblem> {
        let row = self.columns.parse(record, &self.extent, self.latest)?;
        Ok(StoredRow {
            partition: format!("{SOURCE}|{}|{}", row.force, row.month),
            content: row.content,
            source: SOURCE.to_owned(),
            crime_id: row.crime_id,
            source_ref: None,
            month: row.month,
            precision: TimePrecision::Month,
            local_start: None,
            local_end: None,
            start_utc: None,
            end_utc: None,
            time_zone: None,
            category: row.crime_type,
            sub_category: None,
            flags: Vec::new(),
            weight: 1.0,
            lon: row.lon,
            lat: row.lat,
            projected: None,
            location: row.location,
            lsoa_code: row.lsoa_code,
            lsoa_name: row.lsoa_name,
            outcome: row.outcome,
            force: row.force,
            falls_within: row.falls_within,
            context: row.context,
        })
    }

    fn projector(&self) -> &BngProjector {
        &self.projector
    }

    fn column_name(&self, i: usize) -> String {
        self.columns.names().get(i).cloned().unwrap_or_else(|| format!("column {}", i + 1))
    }
}

/// Reads one opened CSV into the store (see [`ingest_file`]); `path` names it in reports.
fn ingest_opened(
    store: &mut Store,
    path: &Path,
    opened: Opened,
    options: &IngestOptions,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<IngestReport, IngestError> {
    let extent = options.extent;
    ingest_records(store, path, opened, options.replace, progress, &mut |header| {
        let columns = Columns::from_header(header).map_err(|problem| match problem {
            HeaderProblem::Missing(column) => IngestError::MissingColumn { path: path.into(), column },
            HeaderProblem::Repeated(r) => IngestError::repeated(path, r),
        })?;
        Ok(Box::new(PoliceUkReader {
            columns,
            extent,
            projector: BngProjector::new(),
            latest: crate::time::latest_month(),
        }))
    })
}

/// The reader for a header, or why the file is refused.
pub(crate) type MakeReader<'a> = dyn FnMut(&csv::ByteRecord) -> Result<Box<dyn RowReader>, IngestError> + 'a;

/// Reads every record of an opened CSV through the reader `make_reader` builds from its
/// header, storing rows by identity in one transaction. See [`ingest_file`].
pub(crate) fn ingest_records(
    store: &mut Store,
    path: &Path,
    opened: Opened,
    replace: bool,
    progress: &mut dyn FnMut(u64, u64),
    make_reader: &mut MakeReader<'_>,
) -> Result<IngestReport, IngestError> {
    let Opened { reader, size: total, count, lines, by_record } = opened;
    let mut csv = csv::ReaderBuilder::new().flexible(true).has_headers(false).from_reader(reader);
    let mut record = csv::ByteRecord::new();
    let io = |e: csv::Error| IngestError::Io { path: path.into(), cause: std::io::Error::other(e) };
    if !csv.read_byte_record(&mut record).map_err(io)? {
        return Err(IngestError::Empty { path: path.into() });
    }
    let mut rows = make_reader(&record)?;
    let file_name =
        path.file_name().map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned());

    let mut report = IngestReport {
        file: path.into(),
        read: 0,
        accepted: 0,
        duplicates: 0,
        rejected: Vec::new(),
        not_in_file: 0,
        stopped_early: None,
        ambiguous_times: 0,
        nonexistent_times: 0,
        removed: 0,
        changed: 0,
        accepted_points: Vec::new(),
    };
    let mut transitions = Transitions::default();
    let store_path = store.path().to_path_buf();
    let sql = |cause| IngestError::Store(StoreError::Sqlite { path: store_path.clone(), cause });
    // IMMEDIATE: take the write lock before reading anything, so that a concurrent ingest
    // (another process, or the server's POST) waits for this one (the store's busy timeout)
    // instead of failing on a snapshot that a commit made stale.
    let tx = store.conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate).map_err(sql)?;
    tx.execute("INSERT INTO ingests (file) VALUES (?1)", [path.display().to_string()]).map_err(sql)?;
    let ingest_id = tx.last_insert_rowid();
    // Ordinal of each (partition, content) seen so far in this file; identities per partition.
    let mut ordinals: HashMap<(String, u128), u32> = HashMap::new();
    let mut identities: HashMap<String, HashSet<[u8; 16]>> = HashMap::new();
    let mut last_line = 1_u64;
    {
        let mut insert = tx
            .prepare(
                "INSERT OR IGNORE INTO incidents (identity, source, partition, crime_id, month, time_precision, \
                 category, longitude, latitude, easting_m, northing_m, h3_cell, location, lsoa_code, lsoa_name, \
                 outcome, force, falls_within, context, source_file, source_line, ingest_id, sub_category, flags, \
                 weight, source_ref, local_start, local_end, start_utc, end_utc, time_zone, projected_crs) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, \
                 ?23, ?24, ?25, ?26, ?27, ?28, ?29, ?30, ?31, ?32)",
            )
            .map_err(sql)?;
        loop {
            match csv.read_byte_record(&mut record) {
                Ok(false) => break,
                Ok(true) => {}
                Err(e) => {
                    // Only I/O errors reach here (flexible byte records have no other):
                    // a truncated gzip or a read failure. Keep what was read before.
                    report.stopped_early = Some(format!(
                        "stopped after the row at line {last_line}, the last complete one: {e}"
                    ));
                    break;
                }
            }
            let line = if by_record {
                last_line + 1
            } else {
                record.position().and_then(|p| lines.borrow_mut().line_at(p.byte())).unwrap_or(last_line + 1)
            };
            last_line = line;
            report.read += 1;
            if report.read.is_multiple_of(4096) {
                progress(count.get(), total);
            }
            if record.as_slice().len() > MAX_ROW_BYTES {
                let (i, longest) =
                    record.iter().enumerate().max_by_key(|(_, f)| f.len()).unwrap_or((0, &[][..]));
                report.rejected.push(Rejection {
                    line,
                    field: rows.column_name(i),
                    reason: format!(
                        "the row is {} bytes long ({} in this field); rows are limited to {MAX_ROW_BYTES} bytes \
                         (an unclosed quote?)",
                        record.as_slice().len(),
                        longest.len()
                    ),
                });
                continue;
            }
            let row = match rows.read(&record, &mut transitions) {
                Ok(row) => row,
                Err(p) => {
                    // Quoted line breaks make a row span lines: say which, so that rows an
                    // unclosed quote swallowed are not lost from sight.
                    let breaks = record.as_slice().iter().filter(|b| **b == b'\n').count() as u64;
                    let reason = if breaks > 0 && !by_record {
                        let hint = if p.field == "(row)" { " (an unclosed quote?)" } else { "" };
                        format!("{}; the row spans lines {line} to {}{hint}", p.reason, line + breaks)
                    } else {
                        p.reason
                    };
                    report.rejected.push(Rejection { line, field: p.field, reason });
                    continue;
                }
            };
            let (easting_m, northing_m) = match row.projected {
                Some(xy) => xy,
                None => match rows.projector().to_bng(row.lon, row.lat) {
                    Ok(p) => (p.easting_m, p.northing_m),
                    Err(e) => {
                        report.rejected.push(Rejection {
                            line,
                            field: "Longitude".into(),
                            reason: e.to_string(),
                        });
                        continue;
                    }
                },
            };
            let cell = match LatLng::new(row.lat, row.lon) {
                Ok(ll) => ll.to_cell(FINEST_RESOLUTION),
                Err(e) => {
                    report.rejected.push(Rejection { line, field: "Latitude".into(), reason: e.to_string() });
                    continue;
                }
            };
            let content_hash = xxh3_128(row.content.as_bytes());
            let ordinal = ordinals.entry((row.partition.clone(), content_hash)).or_insert(0);
            *ordinal += 1;
            let identity =
                xxh3_128(format!("{}\u{1e}{}\u{1e}{ordinal}", row.partition, row.content).as_bytes())
                    .to_be_bytes();
            identities.entry(row.partition.clone()).or_default().insert(identity);
            let h3 = i64::try_from(u64::from(cell)).expect("H3 indexes have the top bit clear");
            let flags = (!row.flags.is_empty()).then(|| row.flags.join(","));
            let changed = insert
                .execute(params![
                    identity.as_slice(),
                    row.source,
                    row.partition,
                    row.crime_id,
                    row.month.to_string(),
                    row.precision.as_str(),
                    row.category,
                    row.lon,
                    row.lat,
                    easting_m,
                    northing_m,
                    h3,
                    row.location,
                    row.lsoa_code,
                    row.lsoa_name,
                    row.outcome,
                    row.force,
                    row.falls_within,
                    row.context,
                    file_name,
                    i64::try_from(line).unwrap_or(i64::MAX),
                    ingest_id,
                    row.sub_category,
                    flags,
                    row.weight,
                    row.source_ref,
                    row.local_start,
                    row.local_end,
                    row.start_utc,
                    row.end_utc,
                    row.time_zone,
                    rows.projector().crs(),
                ])
                .map_err(sql)?;
            if changed == 1 {
                report.accepted += 1;
                report.accepted_points.push((row.lon, row.lat));
            } else {
                report.duplicates += 1;
            }
        }
        let mut stored = tx
            .prepare(
                "SELECT id, identity, ingest_id, crime_id, month, location, category FROM incidents WHERE partition = ?1",
            )
            .map_err(sql)?;
        let mut removed_ids = Vec::new();
        for (partition, seen) in &identities {
            let rows = stored
                .query_map([partition], |r| {
                    Ok(Correction {
                        id: r.get(0)?,
                        identity: r.get(1)?,
                        ingest_id: r.get(2)?,
                        crime_id: r.get(3)?,
                        key: (r.get(4)?, r.get(5)?, r.get(6)?),
                    })
                })
                .map_err(sql)?;
            let (mut gone, mut added) = (Vec::new(), Vec::new());
            for row in rows {
                let row = row.map_err(sql)?;
                if row.ingest_id == ingest_id {
                    added.push(row);
                } else if <[u8; 16]>::try_from(row.identity.as_slice()).is_ok_and(|id| !seen.contains(&id)) {
                    gone.push(row);
                }
            }
            if replace {
                report.changed += pair_changes(&gone, &added);
                removed_ids.extend(gone.iter().map(|r| r.id));
            } else {
                report.not_in_file += gone.len() as u64;
            }
        }
        report.removed = removed_ids.len() as u64 - report.changed;
        let mut delete = tx.prepare("DELETE FROM incidents WHERE id = ?1").map_err(sql)?;
        for id in removed_ids {
            delete.execute([id]).map_err(sql)?;
        }
        let mut reject = tx
            .prepare("INSERT INTO rejections (ingest_id, line, field, reason) VALUES (?1, ?2, ?3, ?4)")
            .map_err(sql)?;
        for r in &report.rejected {
            reject
                .execute(params![ingest_id, i64::try_from(r.line).unwrap_or(i64::MAX), r.field, r.reason])
                .map_err(sql)?;
        }
    }
    report.ambiguous_times = transitions.ambiguous;
    report.nonexistent_times = transitions.nonexistent;
    let count = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
    tx.execute(
        "UPDATE ingests SET rows_read = ?2, accepted = ?3, duplicates = ?4, rejected = ?5, not_in_file = ?6, \
         stopped_early = ?7, ambiguous_times = ?8, nonexistent_times = ?9, removed = ?10, changed = ?11 WHERE id = ?1",
        params![
            ingest_id,
            count(report.read),
            count(report.accepted),
            count(report.duplicates),
            count(report.rejected.len() as u64),
            count(report.not_in_file),
            report.stopped_early,
            count(report.ambiguous_times),
            count(report.nonexistent_times),
            count(report.removed),
            count(report.changed),
        ],
    )
    .map_err(sql)?;
    if report.accepted > 0 || report.removed > 0 {
        tx.execute("UPDATE store_meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'data_version'", [])
            .map_err(sql)?;
    }
    tx.commit().map_err(sql)?;
    progress(total, total);
    debug_assert!(report.adds_up(), "ingest report must add up: {report:?}");
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The line of each record as an editor shows it, from the CSV reader's positions
    /// (which point before skipped blank lines and, in CRLF text, before the `\n`).
    fn record_lines(text: &str) -> Vec<u64> {
        let opened = open_bytes(text.as_bytes().to_vec(), false);
        let lines = opened.lines.clone();
        let mut csv = csv::ReaderBuilder::new().flexible(true).has_headers(false).from_reader(opened.reader);
        let mut record = csv::ByteRecord::new();
        let mut found = Vec::new();
        while csv.read_byte_record(&mut record).unwrap() {
            found.push(lines.borrow_mut().line_at(record.position().unwrap().byte()).unwrap());
        }
        found
    }

    #[test]
    fn lines_count_blank_lines_quoted_breaks_and_crlf() {
        assert_eq!(record_lines("h1,h2\na,b\n\nc,d\n\n\ne,f\n"), [1, 2, 4, 7]);
        assert_eq!(record_lines("h1,h2\r\na,b\r\n\r\nc,d\r\n\"x\r\ny\",z\r\ne,f\r\n"), [1, 2, 4, 5, 7]);
        assert_eq!(record_lines("h1,h2\n\"a\nb\",c\nd,e\n"), [1, 2, 4]);
        // Mixed line endings.
        assert_eq!(record_lines("h\r\na\nb\r\n\nc"), [1, 2, 3, 5]);
    }
}
