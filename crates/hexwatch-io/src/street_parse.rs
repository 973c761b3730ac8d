//! Parallel parse of data.police.uk street CSV text: validation, identities and H3 cells.
//!
//! The decompressed bytes of one file are split at record boundaries into one chunk per
//! Rayon worker (a few per core), each chunk read by its own `csv` reader. A record may
//! span lines inside a quoted field, so a split point is a newline that no quoted field
//! covers: the quoted spans are found by following every `"` byte as the csv crate reads
//! it (a quote opens a field only at its start, `""` inside one is an escaped quote), which
//! is cheap because quotes are rare in police.uk files (quoted LSOA names).
//!
//! Each row is validated by [`Columns::parse_fields`] (the one police.uk row check), and its normalised
//! content (the trimmed fields joined by U+001F) is hashed into its identity. Distinct
//! locations (exact coordinate bits) are projected and indexed once each, in parallel.
//! Nothing here touches the store: what this module returns is ready to write, so the
//! benchmark of parse, validate and index (`benches/benches/scale.rs`) times exactly the
//! work an ingest does before SQLite.

use std::path::Path;
use std::sync::{LazyLock, Mutex, PoisonError};

use h3o::{CellIndex, LatLng};
use hexwatch_core::{BngPoint, Bounds, FINEST_RESOLUTION, YearMonth};
use rayon::prelude::*;
use rustc_hash::FxHashMap;
use xxhash_rust::xxh3::xxh3_128;

use crate::bng::BngProjector;
use crate::ingest::{IngestError, Rejection, line_ends, row_too_long, spanning};
use crate::police_uk::{Columns, HeaderProblem, RowProblem, TextColumns, problem};

/// Chunks per Rayon worker: a few, so one slow chunk does not leave a core idle.
const CHUNKS_PER_THREAD: usize = 4;
/// Files smaller than this are read as one chunk.
const MIN_CHUNK_BYTES: usize = 1 << 20;

/// One accepted row: where its text is, what it parsed to, and its identity.
#[derive(Debug, Clone)]
pub(crate) struct StreetRow {
    /// Line where the row starts in the decompressed file (1 = the header).
    pub(crate) line: u64,
    /// Byte range of the row's normalised content in its chunk's text.
    content: (u32, u32),
    /// Index of the row's first field end in its chunk's `field_ends`.
    fields: u32,
    pub(crate) month: YearMonth,
    /// Index into [`ParsedStreet::partitions`].
    pub(crate) partition: u32,
    /// Index into the file's distinct locations.
    pub(crate) location: u32,
    content_hash: u128,
    /// The identity: xxh3-128 of `partition U+001E content U+001E ordinal`.
    pub(crate) identity: [u8; 16],
}

/// A chunk's rows and the text they point into.
#[derive(Debug, Default)]
struct Chunk {
    /// Normalised contents of the chunk's accepted rows, back to back.
    text: String,
    /// For each row, the end of each field within its content (one per header column).
    field_ends: Vec<u32>,
    rows: Vec<StreetRow>,
    rejected: Vec<Rejection>,
    read: u64,
    /// Chunk-local partitions (text) in first-seen order.
    partitions: Vec<String>,
    /// The `Reported by` and month of each chunk-local partition.
    partition_keys: Vec<(String, YearMonth)>,
    /// Chunk-local distinct locations (coordinate bits) in first-seen order.
    locations: Vec<(u64, u64)>,
}

/// A distinct location of a file, projected and indexed.
#[derive(Debug, Clone, Copy)]
pub(crate) struct StreetLocation {
    pub(crate) lon: f64,
    pub(crate) lat: f64,
    pub(crate) bng: BngPoint,
    /// The cell at [`FINEST_RESOLUTION`].
    pub(crate) cell: CellIndex,
}

/// One accepted row of a parsed file, as an incident.
#[derive(Debug, Clone, Copy)]
pub struct StreetIncident<'a> {
    /// `Crime type` as written.
    pub crime_type: &'a str,
    /// `Location` (police.uk's description of the snap point), if given.
    pub location: Option<&'a str>,
    /// `LSOA code`, if given.
    pub lsoa_code: Option<&'a str>,
    /// `Month`.
    pub month: YearMonth,
    /// WGS84 longitude, degrees.
    pub lon: f64,
    /// WGS84 latitude, degrees.
    pub lat: f64,
    /// British National Grid metres.
    pub bng: BngPoint,
    /// The H3 cell at [`FINEST_RESOLUTION`].
    pub cell: CellIndex,
}

/// A parsed file: every data row accepted (with identity, location and cell) or rejected.
#[derive(Debug)]
pub struct ParsedStreet {
    chunks: Vec<Chunk>,
    /// Identity partitions (`police.uk|<Reported by>|<Month>`), indexed by
    /// `StreetRow::partition`.
    pub(crate) partitions: Vec<String>,
    /// Distinct locations, indexed by `StreetRow::location`; `Err` holds why the location
    /// could not be projected or indexed (its rows are among the rejections).
    locations: Vec<Result<StreetLocation, RowProblem>>,
    /// Rejected rows in line order.
    pub(crate) rejected: Vec<Rejection>,
    /// Data rows read.
    pub(crate) read: u64,
    /// Fields per row (the header's width).
    width: usize,
    /// Where the stored text columns are in each row.
    pub(crate) text_columns: TextColumns,
}

/// A view of one accepted row's fields.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RowText<'a> {
    content: &'a str,
    ends: &'a [u32],
}

impl<'a> RowText<'a> {
    /// Field `i` (trimmed), `None` when empty.
    pub(crate) fn field(&self, i: usize) -> Option<&'a str> {
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize + 1 };
        let text = &self.content[start..self.ends[i] as usize];
        (!text.is_empty()).then_some(text)
    }
}

impl ParsedStreet {
    /// Data rows read.
    #[must_use]
    pub const fn read(&self) -> u64 {
        self.read
    }

    /// Rows accepted (validated, located and given an identity).
    #[must_use]
    pub fn accepted(&self) -> usize {
        self.chunks.iter().map(|c| c.rows.len()).sum()
    }

    /// Rows rejected.
    #[must_use]
    pub fn rejected(&self) -> usize {
        self.rejected.len()
    }

    /// Rejected rows in line order, each with its line, field and reason.
    #[must_use]
    pub fn rejections(&self) -> &[Rejection] {
        &self.rejected
    }

    /// Distinct locations (each projected and indexed once).
    #[must_use]
    pub fn distinct_locations(&self) -> usize {
        self.locations.len()
    }

    /// Accepted rows in file order as incidents (crime type, month, place, finest cell).
    pub fn incidents(&self) -> impl Iterator<Item = StreetIncident<'_>> {
        self.rows().map(|(row, text, location)| StreetIncident {
            crime_type: text.field(self.text_columns.crime_type).unwrap_or_default(),
            location: self.text_columns.location.and_then(|i| text.field(i)),
            lsoa_code: self.text_columns.lsoa_code.and_then(|i| text.field(i)),
            month: row.month,
            lon: location.lon,
            lat: location.lat,
            bng: location.bng,
            cell: location.cell,
        })
    }

    /// Accepted rows in file order, with their text and location.
    pub(crate) fn rows(&self) -> impl Iterator<Item = (&StreetRow, RowText<'_>, &StreetLocation)> {
        self.chunks.iter().flat_map(move |chunk| {
            chunk.rows.iter().map(move |row| {
                let (a, b) = (row.content.0 as usize, row.content.1 as usize);
                let f = row.fields as usize;
                let text = RowText { content: &chunk.text[a..b], ends: &chunk.field_ends[f..f + self.width] };
                let location = self.locations[row.location as usize]
                    .as_ref()
                    .expect("rows at unlocatable locations are rejected");
                (row, text, location)
            })
        })
    }
}

/// Parses a whole decompressed police.uk street file (header and rows); `path` names it
/// in errors.
///
/// # Errors
/// [`IngestError::Empty`] without a header line, [`IngestError::MissingColumn`] when the
/// header lacks a required column. Bad rows are not errors: they are in the rejections.
pub fn parse_police_uk(
    text: &[u8],
    path: &Path,
    extent: &Bounds,
    projector: &BngProjector,
) -> Result<ParsedStreet, IngestError> {
    parse_police_uk_with(text, path, extent, projector, None)
}

/// [`parse_police_uk`] with the data rows split into `parts` chunks (at least one) whatever
/// the file's size, where `parse_police_uk` reads files under 1 MiB as one chunk. The
/// result is the same for any `parts`: the fuzz target `street_csv` (`fuzz/`) checks that
/// on small inputs, which only this function splits.
///
/// # Errors
/// As [`parse_police_uk`].
pub fn parse_police_uk_in_chunks(
    text: &[u8],
    path: &Path,
    extent: &Bounds,
    projector: &BngProjector,
    parts: usize,
) -> Result<ParsedStreet, IngestError> {
    parse_police_uk_with(text, path, extent, projector, Some(parts.max(1)))
}

fn parse_police_uk_with(
    text: &[u8],
    path: &Path,
    extent: &Bounds,
    projector: &BngProjector,
    parts: Option<usize>,
) -> Result<ParsedStreet, IngestError> {
    let mut header_reader = csv::ReaderBuilder::new().flexible(true).has_headers(false).from_reader(text);
    let mut header = csv::ByteRecord::new();
    if !header_reader.read_byte_record(&mut header).unwrap_or(false) {
        return Err(IngestError::Empty { path: path.into() });
    }
    let mut body_start =
        usize::try_from(header_reader.position().byte()).unwrap_or(text.len()).min(text.len());
    // After a CRLF header the reader stops at the '\n': the body starts after it, so that
    // no count of line ends starts inside a CRLF.
    if body_start > 0 && text[body_start - 1] == b'\r' && text.get(body_start) == Some(&b'\n') {
        body_start += 1;
    }
    let first_line = 1 + line_ends(&text[..body_start]);
    let columns = Columns::from_header(&header).map_err(|problem| match problem {
        HeaderProblem::Missing(column) => IngestError::MissingColumn { path: path.into(), column },
        HeaderProblem::Repeated(r) => IngestError::repeated(path, r),
    })?;
    let latest = crate::time::latest_month();
    let body = &text[body_start..];
    Ok(match parts {
        None => parse_street(body, first_line, &columns, extent, projector, latest),
        Some(parts) => parse_street_in(body, first_line, &columns, extent, projector, latest, parts),
    })
}

/// Parses the data rows of a police.uk street file, `text` being the decompressed bytes
/// after the header line, the first of them at line `first_line`; months after `latest`
/// are in the future.
///
/// Every row ends accepted or in `rejected` with its line, field and reason, exactly as
/// the sequential reader would report it (the tests compare the two on files with quoted
/// newlines, CRLF and stray quotes). `projector` turns WGS84 into the stored metres.
pub(crate) fn parse_street(
    text: &[u8],
    first_line: u64,
    columns: &Columns,
    extent: &Bounds,
    projector: &BngProjector,
    latest: YearMonth,
) -> ParsedStreet {
    let parts = (rayon::current_num_threads() * CHUNKS_PER_THREAD).min(text.len() / MIN_CHUNK_BYTES).max(1);
    parse_street_in(text, first_line, columns, extent, projector, latest, parts)
}

/// [`parse_street`] with the number of chunks chosen (tests force many).
pub(crate) fn parse_street_in(
    text: &[u8],
    first_line: u64,
    columns: &Columns,
    extent: &Bounds,
    projector: &BngProjector,
    latest: YearMonth,
    parts: usize,
) -> ParsedStreet {
    let bounds = chunk_bounds(text, parts);
    // Line of each chunk's start: one newline-count per chunk (memchr-fast).
    let mut starts = Vec::with_capacity(bounds.len());
    let mut line = first_line;
    let mut previous = 0;
    for &(a, _) in &bounds {
        line += line_ends(&text[previous..a]);
        starts.push(line);
        previous = a;
    }
    let chunks: Vec<Chunk> = bounds
        .par_iter()
        .zip(&starts)
        .map(|(&(a, b), &line)| parse_chunk(&text[a..b], line, columns, extent, latest))
        .collect();
    assemble(chunks, projector, columns)
}

/// `[start, end)` byte ranges of about `parts` chunks, split after newlines that no
/// quoted field covers.
fn chunk_bounds(text: &[u8], parts: usize) -> Vec<(usize, usize)> {
    if parts <= 1 {
        return vec![(0, text.len())];
    }
    let quoted = quoted_spans(text);
    let mut bounds = Vec::with_capacity(parts);
    let mut start = 0;
    for k in 1..parts {
        let target = (text.len() * k / parts).max(start);
        let Some(split) = next_free_newline(text, target, &quoted) else { break };
        if split > start {
            bounds.push((start, split));
            start = split;
        }
    }
    bounds.push((start, text.len()));
    bounds
}

/// The byte ranges inside quoted fields, in order, following the csv crate's reading: a
/// `"` at the start of a field (after a delimiter, a line end or the start) opens a quoted
/// field; inside one, `""` is an escaped quote and a lone `"` closes it; elsewhere a `"` is
/// an ordinary character.
fn quoted_spans(text: &[u8]) -> Vec<(usize, usize)> {
    let mut spans = Vec::new();
    let mut quotes = memchr::memchr_iter(b'"', text).peekable();
    while let Some(q) = quotes.next() {
        let at_field_start = q == 0 || matches!(text[q - 1], b',' | b'\n' | b'\r');
        if !at_field_start {
            continue;
        }
        // Inside the field: find its closing quote.
        let mut end = text.len();
        while let Some(c) = quotes.next() {
            if quotes.peek() == Some(&(c + 1)) {
                quotes.next();
                continue;
            }
            end = c;
            break;
        }
        spans.push((q, end));
    }
    spans
}

/// The position just after the first `\n` at or after `from` that no quoted span covers.
fn next_free_newline(text: &[u8], from: usize, quoted: &[(usize, usize)]) -> Option<usize> {
    let mut at = from;
    loop {
        let nl = at + memchr::memchr(b'\n', &text[at..])?;
        let inside = quoted.partition_point(|&(_, end)| end < nl);
        match quoted.get(inside) {
            Some(&(start, end)) if start < nl && nl < end => at = end,
            _ => return Some(nl + 1),
        }
    }
}

/// Reads one chunk: validation, normalised content, hashes, chunk-local partitions and
/// locations. `line` is the chunk's first line.
fn parse_chunk(bytes: &[u8], line: u64, columns: &Columns, extent: &Bounds, latest: YearMonth) -> Chunk {
    let mut chunk = Chunk::default();
    // Sized up front from the chunk's bytes (a police.uk row is about 220 bytes, its
    // content a little shorter): growing by doubling would copy and fault in each buffer
    // twice over.
    let rows_guess = bytes.len() / 160 + 1;
    chunk.text.reserve(bytes.len());
    chunk.rows.reserve(rows_guess);
    chunk.field_ends.reserve(rows_guess * columns.width());
    let mut reader = csv::ReaderBuilder::new().flexible(true).has_headers(false).from_reader(bytes);
    let mut record = csv::ByteRecord::new();
    let mut partition_ids: FxHashMap<(String, YearMonth), u32> = FxHashMap::default();
    let mut location_ids: FxHashMap<(u64, u64), u32> = FxHashMap::default();
    let mut last_partition: Option<u32> = None;
    let mut identity_input = Vec::new();
    let (mut counted_to, mut current_line) = (0_usize, line);
    // Reading from memory, only a record of invalid structure could fail, and flexible
    // byte records have none: a failure ends the chunk (reported as the sequential reader
    // would report a read error, which cannot happen for in-memory bytes).
    while reader.read_byte_record(&mut record).unwrap_or(false) {
        // The csv crate places a record after a CRLF at its '\n' (it consumes it with the
        // next read) and skips blank lines: the row starts after any line ends there.
        let at = record.position().map_or(counted_to, |p| usize::try_from(p.byte()).unwrap_or(counted_to));
        let start = at + bytes[at..].iter().take_while(|b| matches!(b, b'\r' | b'\n')).count();
        current_line += line_ends(&bytes[counted_to..start]);
        counted_to = start;
        chunk.read += 1;
        if let Some((i, reason)) = row_too_long(&record) {
            let field = columns.names().get(i).cloned().unwrap_or_else(|| format!("column {}", i + 1));
            chunk.rejected.push(Rejection { line: current_line, field, reason });
            continue;
        }
        let row = match columns.parse_fields(&record, extent, latest) {
            Ok(row) => row,
            Err(p) => {
                let reason = spanning(&record, current_line, &p);
                chunk.rejected.push(Rejection { line: current_line, field: p.field, reason });
                continue;
            }
        };
        // The partition: rows come force by force, so the last one nearly always matches.
        let partition = match last_partition {
            Some(id)
                if chunk.partition_keys[id as usize].1 == row.month
                    && chunk.partition_keys[id as usize].0 == row.force =>
            {
                id
            }
            _ => {
                let next = u32::try_from(chunk.partitions.len()).expect("fewer than 2^32 partitions");
                let id = *partition_ids.entry((row.force.to_owned(), row.month)).or_insert_with(|| {
                    chunk.partitions.push(format!("{}|{}|{}", crate::ingest::SOURCE, row.force, row.month));
                    chunk.partition_keys.push((row.force.to_owned(), row.month));
                    next
                });
                last_partition = Some(id);
                id
            }
        };
        let content_start = chunk.text.len();
        for (i, field) in row.fields.iter().enumerate() {
            if i > 0 {
                chunk.text.push('\u{1f}');
            }
            chunk.text.push_str(field);
            chunk.field_ends.push(u32::try_from(chunk.text.len() - content_start).expect("rows under 4 GiB"));
        }
        let content = &chunk.text[content_start..];
        let content_hash = xxh3_128(content.as_bytes());
        identity_input.clear();
        identity_input.extend_from_slice(chunk.partitions[partition as usize].as_bytes());
        identity_input.extend_from_slice("\u{1e}".as_bytes());
        identity_input.extend_from_slice(content.as_bytes());
        identity_input.extend_from_slice("\u{1e}1".as_bytes());
        let key = (row.lon.to_bits(), row.lat.to_bits());
        let next = u32::try_from(chunk.locations.len()).expect("fewer than 2^32 locations");
        let location = *location_ids.entry(key).or_insert_with(|| {
            chunk.locations.push(key);
            next
        });
        let rows_before = chunk.rows.len();
        chunk.rows.push(StreetRow {
            line: current_line,
            content: (
                u32::try_from(content_start).expect("chunks under 4 GiB"),
                u32::try_from(chunk.text.len()).expect("chunks under 4 GiB"),
            ),
            fields: u32::try_from(rows_before * row.fields.len()).expect("chunks under 4 GiB"),
            month: row.month,
            partition,
            location,
            content_hash,
            identity: xxh3_128(&identity_input).to_be_bytes(),
        });
    }
    chunk.text.shrink_to_fit();
    chunk
}

/// Distinct values in first-seen order, each with its index.
struct Interner<T> {
    values: Vec<T>,
    ids: FxHashMap<T, u32>,
}

impl<T> Default for Interner<T> {
    fn default() -> Self {
        Self { values: Vec::new(), ids: FxHashMap::default() }
    }
}

impl<T: Clone + Eq + std::hash::Hash> Interner<T> {
    /// The file-wide index of each of a chunk's values (adding the new ones).
    fn intern_all(&mut self, chunk_values: Vec<T>) -> Vec<u32> {
        chunk_values
            .into_iter()
            .map(|v| {
                let next = u32::try_from(self.values.len()).expect("fewer than 2^32 distinct values");
                *self.ids.entry(v.clone()).or_insert_with(|| {
                    self.values.push(v);
                    next
                })
            })
            .collect()
    }
}

/// Merges chunk-local partitions and locations into file-wide ones, projects and indexes
/// each distinct location once (in parallel), rejects rows whose location fails, and gives
/// repeated contents their ordinals (in file order, as the identity requires).
fn assemble(mut chunks: Vec<Chunk>, projector: &BngProjector, columns: &Columns) -> ParsedStreet {
    let width = columns.width();
    let mut partitions = Interner::default();
    let mut keys = Interner::default();
    let mut remaps = Vec::with_capacity(chunks.len());
    for chunk in &mut chunks {
        let partition_map = partitions.intern_all(std::mem::take(&mut chunk.partitions));
        let location_map = keys.intern_all(std::mem::take(&mut chunk.locations));
        remaps.push((partition_map, location_map));
    }
    chunks.par_iter_mut().zip(&remaps).for_each(|(chunk, (partition_map, location_map))| {
        for row in &mut chunk.rows {
            row.partition = partition_map[row.partition as usize];
            row.location = location_map[row.location as usize];
        }
    });
    let locations = locate_all(&keys.values, projector);

    let mut rejected: Vec<Rejection> = Vec::new();
    let mut read = 0;
    // One map of content hashes per partition: rows come force by force, so the map in use
    // stays small and in cache (one file-wide map missed the cache on nearly every row).
    let mut ordinals: Vec<FxHashMap<u128, u32>> = vec![FxHashMap::default(); partitions.values.len()];
    for chunk in &mut chunks {
        read += chunk.read;
        rejected.append(&mut chunk.rejected);
        let text = &chunk.text;
        chunk.rows.retain_mut(|row| {
            if let Err(p) = &locations[row.location as usize] {
                rejected.push(Rejection { line: row.line, field: p.field.clone(), reason: p.reason.clone() });
                return false;
            }
            let ordinal = ordinals[row.partition as usize].entry(row.content_hash).or_insert(0);
            *ordinal += 1;
            if *ordinal > 1 {
                let content = &text[row.content.0 as usize..row.content.1 as usize];
                let input =
                    format!("{}\u{1e}{content}\u{1e}{ordinal}", partitions.values[row.partition as usize]);
                row.identity = xxh3_128(input.as_bytes()).to_be_bytes();
            }
            true
        });
    }
    rejected.sort_by_key(|r| r.line);
    ParsedStreet {
        chunks,
        partitions: partitions.values,
        locations,
        rejected,
        read,
        width,
        text_columns: columns.text_columns(),
    }
}

/// Locations projected to British National Grid and indexed by this process, by coordinate
/// bits: police.uk reuses its anonymised map points month after month (the national 2025 H1
/// set has 404,319 distinct points, but its six monthly files hold 953,815 file-distinct
/// ones), and a point's metres and cell depend on its coordinates alone, so each is computed
/// once per process. Cleared when it passes [`LOCATION_CACHE_MAX`] entries (about 150 MB).
static LOCATION_CACHE: LazyLock<Mutex<FxHashMap<(u64, u64), StreetLocation>>> =
    LazyLock::new(|| Mutex::new(FxHashMap::default()));

/// Most locations kept in [`LOCATION_CACHE`].
const LOCATION_CACHE_MAX: usize = 2_000_000;

/// Empties the process's cache of projected and indexed locations (benchmarks clear it so
/// that every run projects every distinct location once).
pub fn clear_location_cache() {
    LOCATION_CACHE.lock().unwrap_or_else(PoisonError::into_inner).clear();
}

/// Each distinct location (coordinate bits) projected and indexed: from the cache when the
/// projector is British National Grid's, otherwise (or when missing) computed in parallel.
fn locate_all(keys: &[(u64, u64)], projector: &BngProjector) -> Vec<Result<StreetLocation, RowProblem>> {
    let compute = |&(lon, lat): &(u64, u64)| locate(f64::from_bits(lon), f64::from_bits(lat), projector);
    if projector.crs() != "EPSG:27700" {
        return keys.par_iter().map(compute).collect();
    }
    let mut cache = LOCATION_CACHE.lock().unwrap_or_else(PoisonError::into_inner);
    let mut found: Vec<Option<Result<StreetLocation, RowProblem>>> =
        keys.iter().map(|k| cache.get(k).map(|l| Ok(*l))).collect();
    let missing: Vec<usize> = (0..keys.len()).filter(|&i| found[i].is_none()).collect();
    let computed: Vec<Result<StreetLocation, RowProblem>> =
        missing.par_iter().map(|&i| compute(&keys[i])).collect();
    if cache.len() + computed.len() > LOCATION_CACHE_MAX {
        cache.clear();
    }
    for (i, result) in missing.into_iter().zip(computed) {
        if let Ok(location) = &result {
            cache.insert(keys[i], *location);
        }
        found[i] = Some(result);
    }
    found.into_iter().map(|r| r.expect("every location found or computed")).collect()
}

/// Projects and indexes one location; the problem names the field the sequential reader
/// named (Longitude for the projection, Latitude for H3).
fn locate(lon: f64, lat: f64, projector: &BngProjector) -> Result<StreetLocation, RowProblem> {
    let bng = projector.to_bng(lon, lat).map_err(|e| problem("Longitude", e.to_string()))?;
    let cell =
        LatLng::new(lat, lon).map_err(|e| problem("Latitude", e.to_string()))?.to_cell(FINEST_RESOLUTION);
    Ok(StreetLocation { lon, lat, bng, cell })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The month the tests ingest in (later months would be in the future).
    fn latest() -> YearMonth {
        YearMonth::new(2026, 11).unwrap()
    }

    const HEADER: &str = "Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,Crime type,Last outcome category,Context";

    /// A file body with every shape a split point could get wrong: quoted commas, quoted
    /// newlines, escaped quotes, a stray quote inside an unquoted field, blank lines,
    /// exact repeats (ordinals), and rejected rows.
    fn body(eol: &str) -> String {
        let mut out = String::new();
        for i in 0..600_u32 {
            let lon = -1.9 + f64::from(i % 37) * 1e-3;
            let lat = 50.7 + f64::from(i % 23) * 1e-3;
            let location = match i % 7 {
                0 => "\"On or near \"\"The Square\"\"\"".to_owned(),
                1 => format!("\"On or near{eol}two lines\""),
                2 => "On or near O\"Brien Road".to_owned(),
                _ => format!("On or near Street {}", i % 11),
            };
            let month = if i % 97 == 5 { "2025-13" } else { "2025-01" };
            let (lon_text, lat_text) = if i % 89 == 3 {
                (lat.to_string(), lon.to_string())
            } else {
                (lon.to_string(), lat.to_string())
            };
            let row = format!(
                ",{month},Dorset Police,Dorset Police,{lon_text},{lat_text},{location},E0101543{},\"Bournemouth, Christchurch and Poole 0{:02}B\",Anti-social behaviour,,",
                i % 5,
                i % 13
            );
            out.push_str(&row);
            out.push_str(eol);
            if i % 50 == 0 {
                // An exact repeat: a second incident with the same content.
                out.push_str(&row);
                out.push_str(eol);
            }
            if i % 131 == 0 {
                out.push_str(eol);
            }
        }
        out
    }

    fn columns() -> Columns {
        let mut r = csv::ReaderBuilder::new().has_headers(false).from_reader(HEADER.as_bytes());
        Columns::from_header(&r.byte_records().next().unwrap().unwrap()).unwrap()
    }

    type Summary = (Vec<(u64, [u8; 16], String, u64, u64)>, Vec<Rejection>, u64);

    fn summary(parsed: &ParsedStreet) -> Summary {
        let rows = parsed
            .rows()
            .map(|(row, text, loc)| {
                (
                    row.line,
                    row.identity,
                    text.field(6).unwrap_or_default().to_owned(),
                    loc.lon.to_bits(),
                    loc.lat.to_bits(),
                )
            })
            .collect();
        (rows, parsed.rejected.clone(), parsed.read())
    }

    #[test]
    fn any_number_of_chunks_reads_what_one_chunk_reads() {
        let projector = BngProjector::new();
        for eol in ["\n", "\r\n"] {
            let text = body(eol);
            let one = parse_street_in(
                text.as_bytes(),
                2,
                &columns(),
                &Bounds::UNITED_KINGDOM,
                &projector,
                latest(),
                1,
            );
            assert_eq!(one.read(), 600 + 12, "600 rows and 12 repeats");
            assert_eq!(one.rejected(), 7 + 7, "7 bad months and 7 swapped coordinates");
            for parts in [2, 3, 7, 16, 61] {
                let many = parse_street_in(
                    text.as_bytes(),
                    2,
                    &columns(),
                    &Bounds::UNITED_KINGDOM,
                    &projector,
                    latest(),
                    parts,
                );
                let (a, b) = (summary(&many), summary(&one));
                let first_difference = a.0.iter().zip(&b.0).position(|(x, y)| x != y);
                assert_eq!(
                    (a.0.len(), first_difference, &a.1, a.2),
                    (b.0.len(), None, &b.1, b.2),
                    "{parts} chunks, eol {eol:?}: first differing row {:?} vs {:?}",
                    first_difference.map(|i| &a.0[i]),
                    first_difference.map(|i| &b.0[i])
                );
            }
        }
    }

    #[test]
    fn lines_are_where_each_row_starts() {
        // Every row's start line, counted while writing the body: rows spanning two lines
        // (a quoted newline) and blank lines move the later rows down.
        let text = body("\n");
        let mut expected = Vec::new();
        let mut line = 2;
        let mut rest = text.as_str();
        let mut reader =
            csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(text.as_bytes());
        for record in reader.records() {
            let record = record.unwrap();
            // Skip blank lines before the row, then count the row's own lines.
            while let Some(r) = rest.strip_prefix('\n') {
                rest = r;
                line += 1;
            }
            let location = record.get(6).unwrap().trim().to_owned();
            expected.push((line, location));
            let row_lines = 1 + record.iter().map(|f| f.matches('\n').count()).sum::<usize>() as u64;
            for _ in 0..row_lines {
                let end = rest.find('\n').unwrap();
                rest = &rest[end + 1..];
            }
            line += row_lines;
        }
        let parsed = parse_street_in(
            text.as_bytes(),
            2,
            &columns(),
            &Bounds::UNITED_KINGDOM,
            &BngProjector::new(),
            latest(),
            9,
        );
        let rejected: Vec<u64> = parsed.rejected.iter().map(|r| r.line).collect();
        let kept: Vec<(u64, String)> = expected.into_iter().filter(|(l, _)| !rejected.contains(l)).collect();
        let got: Vec<(u64, String)> = parsed
            .rows()
            .map(|(row, text, _)| (row.line, text.field(6).unwrap_or_default().to_owned()))
            .collect();
        assert_eq!(got, kept);
        assert!(
            got.iter().any(|(_, l)| l == "On or near O\"Brien Road"),
            "the stray quote is an ordinary character"
        );
        assert!(got.iter().any(|(_, l)| l == "On or near\ntwo lines"), "a quoted newline stays in its field");
    }

    #[test]
    fn exact_repeats_get_ordinals_in_file_order() {
        let text = body("\n");
        let parsed = parse_street_in(
            text.as_bytes(),
            2,
            &columns(),
            &Bounds::UNITED_KINGDOM,
            &BngProjector::new(),
            latest(),
            5,
        );
        let (rows, _, _) = summary(&parsed);
        let first = &rows[0];
        let second = &rows[1];
        assert_eq!((first.2.as_str(), second.2.as_str()), (first.2.as_str(), first.2.as_str()));
        let partition = "police.uk|Dorset Police|2025-01";
        let content = parsed.rows().next().map(|(_, t, _)| t.content.to_owned()).unwrap();
        let expect = |ordinal: u32| {
            xxh3_128(format!("{partition}\u{1e}{content}\u{1e}{ordinal}").as_bytes()).to_be_bytes()
        };
        assert_eq!(first.1, expect(1));
        assert_eq!(second.1, expect(2));
    }

    /// Regression of the fuzz target `street_csv` (fuzz/regressions/street_csv/): a lone CR
    /// ends a line, as in classic Mac text (Excel for Mac's "CSV (Macintosh)"), so its rows
    /// are numbered as an editor shows them instead of all at line 1.
    #[test]
    fn rows_of_cr_only_text_are_numbered_as_editors_show_them() {
        let row = |month: &str| {
            format!(
                ",{month},Dorset Police,Dorset Police,-1.866001,50.722301,On or near High Street,E01015432,BCP 001B,Anti-social behaviour,,"
            )
        };
        for eol in ["\r", "\n", "\r\n"] {
            let lines = [
                HEADER.to_owned(),
                row("2025-01"),
                row("2025-13"),
                String::new(),
                row("2025-14"),
                row("2025-02"),
            ];
            let text = lines.join(eol);
            let parsed = parse_police_uk(
                text.as_bytes(),
                Path::new("mac.csv"),
                &Bounds::UNITED_KINGDOM,
                &BngProjector::new(),
            )
            .unwrap();
            let rejected: Vec<(u64, &str)> =
                parsed.rejections().iter().map(|r| (r.line, r.field.as_str())).collect();
            assert_eq!(rejected, [(3, "Month"), (5, "Month")], "eol {eol:?}");
            let accepted: Vec<u64> = parsed.rows().map(|(r, _, _)| r.line).collect();
            assert_eq!(accepted, [2, 6], "eol {eol:?}");
        }
    }
}
