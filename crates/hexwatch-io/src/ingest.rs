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
use crate::police_uk::{RepeatedColumn, RowProblem};
use crate::store::{Store, StoreError};
use crate::street_parse::parse_police_uk;
use crate::time::Transitions;

/// The `source` of police.uk rows in the identity and the store.
pub(crate) const SOURCE: &str = "police.uk";

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
    /// The last byte scanned was `\r` (a `\n` after it ends no further line).
    after_cr: bool,
}

impl LineStarts {
    fn new() -> Self {
        Self {
            starts: std::collections::VecDeque::new(),
            offset: 0,
            line: 1,
            at_line_start: true,
            after_cr: false,
        }
    }

    fn scan(&mut self, bytes: &[u8]) {
        for &b in bytes {
            if self.at_line_start && b != b'\n' && b != b'\r' {
                self.starts.push_back((self.offset, self.line));
                self.at_line_start = false;
            }
            // A line ends at `\n`, `\r\n` or a lone `\r`, as in [`line_ends`].
            if b == b'\r' || (b == b'\n' && !self.after_cr) {
                self.line += 1;
                self.at_line_start = true;
            }
            self.after_cr = b == b'\r';
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

/// An opened input: decompressed text, file size and bytes read
/// so far.
pub(crate) struct Opened {
    reader: Box<dyn Read>,
    size: u64,
    count: ByteCounter,
    /// Number rows by record (header = 1, first row = 2) instead of by physical line: for
    /// CSV converted from JSON, whose strings may hold newlines.
    by_record: bool,
}

impl Opened {
    fn new(text: impl Read + 'static, size: u64, count: ByteCounter, by_record: bool) -> Self {
        Self { reader: Box::new(text), size, count, by_record }
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

/// Reads one opened police.uk street CSV into the store (see [`ingest_file`]): the whole
/// decompressed text is read into memory, parsed in parallel
/// ([`crate::street_parse::parse_street`]), then written in one transaction. `path` names
/// it in reports.
fn ingest_opened(
    store: &mut Store,
    path: &Path,
    opened: Opened,
    options: &IngestOptions,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<IngestReport, IngestError> {
    let Opened { mut reader, size: total, count, .. } = opened;
    let mut text = Vec::new();
    // A read error (a truncated gzip) keeps what was read: the rows before the last line
    // end are stored, the partial line after it is not a row.
    let mut damage = reader.read_to_end(&mut text).err();
    progress(count.get(), total);
    if damage.is_some() {
        let keep = memchr::memrchr(b'\n', &text).map_or(0, |i| i + 1);
        text.truncate(keep);
        if text.is_empty()
            && let Some(cause) = damage.take()
        {
            return Err(IngestError::Io { path: path.into(), cause });
        }
    }
    let projector = BngProjector::new();
    let parsed = parse_police_uk(&text, path, &options.extent, &projector)?;
    drop(text);
    let text_columns = parsed.text_columns;
    let rows_total = parsed.accepted().max(1) as u64;
    let crs = projector.crs().to_owned();
    let report = store_rows(store, path, options.replace, &mut |sink| {
        for r in &parsed.rejected {
            sink.read();
            sink.reject(r.line, &r.field, &r.reason);
        }
        for (done, (row, text, location)) in parsed.rows().enumerate() {
            sink.read();
            let field = |i: Option<usize>| i.and_then(|i| text.field(i));
            sink.row(&ReadyRow {
                line: row.line,
                identity: row.identity,
                partition: &parsed.partitions[row.partition as usize],
                source: SOURCE,
                crime_id: field(text_columns.crime_id),
                source_ref: None,
                month: row.month,
                precision: TimePrecision::Month,
                local_start: None,
                local_end: None,
                start_utc: None,
                end_utc: None,
                time_zone: None,
                category: text.field(text_columns.crime_type).unwrap_or_default(),
                sub_category: None,
                flags: None,
                weight: 1.0,
                lon: location.lon,
                lat: location.lat,
                easting_m: location.bng.easting_m,
                northing_m: location.bng.northing_m,
                cell: location.cell,
                location: field(text_columns.location),
                lsoa_code: field(text_columns.lsoa_code),
                lsoa_name: field(text_columns.lsoa_name),
                outcome: field(text_columns.outcome),
                force: partition_force(&parsed.partitions[row.partition as usize]),
                falls_within: field(text_columns.falls_within),
                context: field(text_columns.context),
                crs: &crs,
            })?;
            if done % 16_384 == 0 {
                progress(total / 2 + total / 2 * done as u64 / rows_total, total);
            }
        }
        if let Some(e) = &damage {
            sink.report.stopped_early =
                Some(format!("stopped after the row at line {}, the last complete one: {e}", sink.last_line));
        }
        Ok(())
    })?;
    debug_assert_eq!(report.read, parsed.read(), "every parsed row reaches the report");
    progress(total, total);
    Ok(report)
}

/// `Reported by` of a police.uk partition (`police.uk|<force>|<month>`).
fn partition_force(partition: &str) -> &str {
    let rest = partition.strip_prefix(SOURCE).and_then(|r| r.strip_prefix('|')).unwrap_or(partition);
    rest.rsplit_once('|').map_or(rest, |(force, _)| force)
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
    let Opened { reader, size: total, count, by_record } = opened;
    // Line starts are recorded as the CSV reader pulls the text (the police.uk reader
    // counts its own, in parallel: see `street_parse`).
    let lines = std::rc::Rc::new(std::cell::RefCell::new(LineStarts::new()));
    let reader = LineTap { inner: reader, lines: lines.clone() };
    let mut csv = csv::ReaderBuilder::new().flexible(true).has_headers(false).from_reader(reader);
    let mut record = csv::ByteRecord::new();
    let io = |e: csv::Error| IngestError::Io { path: path.into(), cause: std::io::Error::other(e) };
    if !csv.read_byte_record(&mut record).map_err(io)? {
        return Err(IngestError::Empty { path: path.into() });
    }
    let mut rows = make_reader(&record)?;
    let mut transitions = Transitions::default();
    // Ordinal of each (partition, content) seen so far in this file.
    let mut ordinals: HashMap<(String, u128), u32> = HashMap::new();
    let mut last_line = 1_u64;
    let report = store_rows(store, path, replace, &mut |sink| {
        loop {
            match csv.read_byte_record(&mut record) {
                Ok(false) => break,
                Ok(true) => {}
                Err(e) => {
                    // Only I/O errors reach here (flexible byte records have no other):
                    // a truncated gzip or a read failure. Keep what was read before.
                    sink.report.stopped_early = Some(format!(
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
            sink.read();
            if sink.report.read.is_multiple_of(4096) {
                progress(count.get(), total);
            }
            if let Some((i, reason)) = row_too_long(&record) {
                sink.reject(line, &rows.column_name(i), &reason);
                continue;
            }
            let row = match rows.read(&record, &mut transitions) {
                Ok(row) => row,
                Err(p) => {
                    let reason = if by_record { p.reason } else { spanning(&record, line, &p) };
                    sink.reject(line, &p.field, &reason);
                    continue;
                }
            };
            let (easting_m, northing_m) = match row.projected {
                Some(xy) => xy,
                None => match rows.projector().to_bng(row.lon, row.lat) {
                    Ok(p) => (p.easting_m, p.northing_m),
                    Err(e) => {
                        sink.reject(line, "Longitude", &e.to_string());
                        continue;
                    }
                },
            };
            let cell = match LatLng::new(row.lat, row.lon) {
                Ok(ll) => ll.to_cell(FINEST_RESOLUTION),
                Err(e) => {
                    sink.reject(line, "Latitude", &e.to_string());
                    continue;
                }
            };
            let content_hash = xxh3_128(row.content.as_bytes());
            let ordinal = ordinals.entry((row.partition.clone(), content_hash)).or_insert(0);
            *ordinal += 1;
            let identity =
                xxh3_128(format!("{}\u{1e}{}\u{1e}{ordinal}", row.partition, row.content).as_bytes())
                    .to_be_bytes();
            let flags = (!row.flags.is_empty()).then(|| row.flags.join(","));
            sink.row(&ReadyRow {
                line,
                identity,
                partition: &row.partition,
                source: &row.source,
                crime_id: row.crime_id.as_deref(),
                source_ref: row.source_ref.as_deref(),
                month: row.month,
                precision: row.precision,
                local_start: row.local_start.as_deref(),
                local_end: row.local_end.as_deref(),
                start_utc: row.start_utc.as_deref(),
                end_utc: row.end_utc.as_deref(),
                time_zone: row.time_zone.as_deref(),
                category: &row.category,
                sub_category: row.sub_category.as_deref(),
                flags: flags.as_deref(),
                weight: row.weight,
                lon: row.lon,
                lat: row.lat,
                easting_m,
                northing_m,
                cell,
                location: row.location.as_deref(),
                lsoa_code: row.lsoa_code.as_deref(),
                lsoa_name: row.lsoa_name.as_deref(),
                outcome: row.outcome.as_deref(),
                force: &row.force,
                falls_within: row.falls_within.as_deref(),
                context: row.context.as_deref(),
                crs: rows.projector().crs(),
            })?;
        }
        sink.report.ambiguous_times = transitions.ambiguous;
        sink.report.nonexistent_times = transitions.nonexistent;
        Ok(())
    })?;
    progress(total, total);
    Ok(report)
}

/// A row longer than [`MAX_ROW_BYTES`]: the index of its longest field and the reason.
pub(crate) fn row_too_long(record: &csv::ByteRecord) -> Option<(usize, String)> {
    let len = record.as_slice().len();
    (len > MAX_ROW_BYTES).then(|| {
        let (i, longest) = record.iter().enumerate().max_by_key(|(_, f)| f.len()).unwrap_or((0, &[][..]));
        (
            i,
            format!(
                "the row is {len} bytes long ({} in this field); rows are limited to {MAX_ROW_BYTES} bytes \
                 (an unclosed quote?)",
                longest.len()
            ),
        )
    })
}

/// The reason of a rejected row starting at `line`, saying which lines it spans when quoted
/// line breaks make it span several, so that rows an unclosed quote swallowed are not lost
/// from sight.
pub(crate) fn spanning(record: &csv::ByteRecord, line: u64, p: &RowProblem) -> String {
    let breaks = line_ends(record.as_slice());
    if breaks == 0 {
        return p.reason.clone();
    }
    let hint = if p.field == "(row)" { " (an unclosed quote?)" } else { "" };
    format!("{}; the row spans lines {line} to {}{hint}", p.reason, line + breaks)
}

/// Line ends in `bytes` as an editor counts them and the csv crate reads them: `\n`, `\r\n`
/// and a lone `\r` (classic Mac text, as Excel for Mac's "CSV (Macintosh)" writes) each end
/// one line. A `\n` first in `bytes` counts as a line end of its own: callers never start a
/// slice inside a `\r\n`.
pub(crate) fn line_ends(bytes: &[u8]) -> u64 {
    memchr::memchr2_iter(b'\n', b'\r', bytes)
        .filter(|&i| bytes[i] == b'\r' || i == 0 || bytes[i - 1] != b'\r')
        .count() as u64
}

/// One validated row ready to store, borrowing its text from the reader.
pub(crate) struct ReadyRow<'a> {
    /// Line where the row starts (1 = header).
    pub(crate) line: u64,
    /// xxh3-128 of `partition U+001E content U+001E ordinal`.
    pub(crate) identity: [u8; 16],
    pub(crate) partition: &'a str,
    pub(crate) source: &'a str,
    pub(crate) crime_id: Option<&'a str>,
    pub(crate) source_ref: Option<&'a str>,
    pub(crate) month: YearMonth,
    pub(crate) precision: TimePrecision,
    pub(crate) local_start: Option<&'a str>,
    pub(crate) local_end: Option<&'a str>,
    pub(crate) start_utc: Option<&'a str>,
    pub(crate) end_utc: Option<&'a str>,
    pub(crate) time_zone: Option<&'a str>,
    pub(crate) category: &'a str,
    pub(crate) sub_category: Option<&'a str>,
    /// Flag names joined by commas.
    pub(crate) flags: Option<&'a str>,
    pub(crate) weight: f64,
    pub(crate) lon: f64,
    pub(crate) lat: f64,
    pub(crate) easting_m: f64,
    pub(crate) northing_m: f64,
    /// The cell at [`FINEST_RESOLUTION`].
    pub(crate) cell: h3o::CellIndex,
    pub(crate) location: Option<&'a str>,
    pub(crate) lsoa_code: Option<&'a str>,
    pub(crate) lsoa_name: Option<&'a str>,
    pub(crate) outcome: Option<&'a str>,
    pub(crate) force: &'a str,
    pub(crate) falls_within: Option<&'a str>,
    pub(crate) context: Option<&'a str>,
    /// The projected CRS of `easting_m`/`northing_m`.
    pub(crate) crs: &'a str,
}

/// Where a file's rows go: counts every row read, stores accepted rows by identity, keeps
/// rejections. Handed to the reader by [`store_rows`].
pub(crate) struct Sink<'s> {
    insert: rusqlite::Statement<'s>,
    pub(crate) report: IngestReport,
    /// Identities seen per partition (what a `replace` keeps).
    identities: HashMap<String, HashSet<[u8; 16]>>,
    ingest_id: i64,
    file_name: String,
    store_path: PathBuf,
    /// Line of the last row read.
    last_line: u64,
}

impl Sink<'_> {
    /// Counts one data row read.
    pub(crate) const fn read(&mut self) {
        self.report.read += 1;
    }

    /// Records a rejected row.
    pub(crate) fn reject(&mut self, line: u64, field: &str, reason: &str) {
        self.last_line = self.last_line.max(line);
        self.report.rejected.push(Rejection { line, field: field.to_owned(), reason: reason.to_owned() });
    }

    /// Stores a row (a duplicate when its identity is already stored).
    pub(crate) fn row(&mut self, row: &ReadyRow<'_>) -> Result<(), IngestError> {
        self.last_line = self.last_line.max(row.line);
        match self.identities.get_mut(row.partition) {
            Some(seen) => {
                seen.insert(row.identity);
            }
            None => {
                self.identities.insert(row.partition.to_owned(), HashSet::from([row.identity]));
            }
        }
        let h3 = i64::try_from(u64::from(row.cell)).expect("H3 indexes have the top bit clear");
        let store_path = &self.store_path;
        let changed = self
            .insert
            .execute(params![
                row.identity.as_slice(),
                row.source,
                row.partition,
                row.crime_id,
                row.month.to_string(),
                row.precision.as_str(),
                row.category,
                row.lon,
                row.lat,
                row.easting_m,
                row.northing_m,
                h3,
                row.location,
                row.lsoa_code,
                row.lsoa_name,
                row.outcome,
                row.force,
                row.falls_within,
                row.context,
                self.file_name,
                i64::try_from(row.line).unwrap_or(i64::MAX),
                self.ingest_id,
                row.sub_category,
                row.flags,
                row.weight,
                row.source_ref,
                row.local_start,
                row.local_end,
                row.start_utc,
                row.end_utc,
                row.time_zone,
                row.crs,
            ])
            .map_err(|cause| IngestError::Store(StoreError::Sqlite { path: store_path.clone(), cause }))?;
        if changed == 1 {
            self.report.accepted += 1;
            self.report.accepted_points.push((row.lon, row.lat));
        } else {
            self.report.duplicates += 1;
        }
        Ok(())
    }
}

/// Runs `fill` with a [`Sink`] inside one transaction, then handles the partitions the
/// file touched (with `replace`: deletes what it no longer has, pairing changes), stores
/// the rejections and the ingest's counts, and commits. The report adds up.
fn store_rows(
    store: &mut Store,
    path: &Path,
    replace: bool,
    fill: &mut dyn FnMut(&mut Sink<'_>) -> Result<(), IngestError>,
) -> Result<IngestReport, IngestError> {
    let file_name =
        path.file_name().map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned());
    let store_path = store.path().to_path_buf();
    let sql = |cause| IngestError::Store(StoreError::Sqlite { path: store_path.clone(), cause });
    // IMMEDIATE: take the write lock before reading anything, so that a concurrent ingest
    // (another process, or the server's POST) waits for this one (the store's busy timeout)
    // instead of failing on a snapshot that a commit made stale.
    let tx = store.conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate).map_err(sql)?;
    tx.execute("INSERT INTO ingests (file) VALUES (?1)", [path.display().to_string()]).map_err(sql)?;
    let ingest_id = tx.last_insert_rowid();
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
    {
        let insert = tx
            .prepare(
                "INSERT OR IGNORE INTO incidents (identity, source, partition, crime_id, month, time_precision, \
                 category, longitude, latitude, easting_m, northing_m, h3_cell, location, lsoa_code, lsoa_name, \
                 outcome, force, falls_within, context, source_file, source_line, ingest_id, sub_category, flags, \
                 weight, source_ref, local_start, local_end, start_utc, end_utc, time_zone, projected_crs) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, \
                 ?23, ?24, ?25, ?26, ?27, ?28, ?29, ?30, ?31, ?32)",
            )
            .map_err(sql)?;
        let mut sink = Sink {
            insert,
            report,
            identities: HashMap::new(),
            ingest_id,
            file_name,
            store_path: store_path.clone(),
            last_line: 1,
        };
        fill(&mut sink)?;
        let Sink { report: filled, identities, .. } = sink;
        report = filled;
        report.rejected.sort_by_key(|r| r.line);
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
        let lines = std::rc::Rc::new(std::cell::RefCell::new(LineStarts::new()));
        let reader = LineTap { inner: opened.reader, lines: lines.clone() };
        let mut csv = csv::ReaderBuilder::new().flexible(true).has_headers(false).from_reader(reader);
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
        // A lone CR ends a line (classic Mac text), as editors and the csv crate read it.
        assert_eq!(record_lines("h1,h2\ra,b\r\rc,d\r\"x\ry\",z\re,f\r"), [1, 2, 4, 5, 7]);
        assert_eq!(record_lines("h\ra\r\nb\n\rc"), [1, 2, 3, 5]);
    }

    #[test]
    fn line_ends_count_lf_crlf_and_lone_cr_once_each() {
        assert_eq!(line_ends(b""), 0);
        assert_eq!(line_ends(b"a\nb\r\nc\rd"), 3);
        assert_eq!(line_ends(b"\r\n\r\n"), 2);
        assert_eq!(line_ends(b"\n\r\r\n"), 3);
    }
}
