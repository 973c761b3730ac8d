//! Scale: the national multi-force set (`../shared/data/police-uk-multiforce-2025-h1/`, never
//! committed; these groups skip with a message when it is absent).
//!
//! - `ingest_parse_national`: rows parsed, validated and indexed (identity, BNG metres, H3
//!   cell of each distinct location) per second from the **decompressed bytes in memory**,
//!   against the same-run baseline of the csv crate merely splitting the same bytes into
//!   records on one thread. gzip inflation (`ingest_inflate_national`) and SQLite writes
//!   (`ingest_sqlite_write_month`) are measured apart.
//! - `points_to_h3_national`: every row's resolution-9 cell, hexwatch's
//!   [`cells_of_points`] (each distinct location once, Rayon) against a raw h3o loop over
//!   every row.
//! - `aggregate_10m`: 10 M incidents (the national rows five times over, shifted by 6, 12,
//!   18 and 24 months: 30 months) counted per resolution-9 cell × category for 12 months,
//!   against the same code on one thread. The set-up prints the table's heap per incident.
//!
//! The set-up writes `target/peers/scale.json` (file list, rows, memory) for the peers.

use std::hint::black_box;
use std::io::Read;
use std::path::PathBuf;

use criterion::{BenchmarkId, Criterion, Throughput};
use h3o::{LatLng, Resolution};
use hexwatch_core::{
    Filter, IncidentTable, IncidentTableBuilder, NewIncident, YearMonth, aggregate_cells, cells_of_points,
};
use hexwatch_io::{BngProjector, IngestOptions, Store, clear_location_cache, ingest_file, parse_police_uk};

/// The national set's directory, if present.
pub(crate) fn national_dir() -> Option<PathBuf> {
    let dir =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/police-uk-multiforce-2025-h1");
    dir.is_dir().then_some(dir)
}

fn national_files(dir: &std::path::Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("national set directory")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.to_string_lossy().ends_with("-street.csv.gz"))
        .collect();
    files.sort();
    files
}

fn inflate(path: &std::path::Path) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::MultiGzDecoder::new(std::fs::File::open(path).expect("national file"))
        .read_to_end(&mut out)
        .expect("inflates");
    out
}

pub(crate) fn bench(c: &mut Criterion) {
    let Some(dir) = national_dir() else {
        eprintln!(
            "scale benchmarks skipped: the national set police-uk-multiforce-2025-h1 is not at ../shared/data/"
        );
        return;
    };
    let files = national_files(&dir);
    let texts: Vec<Vec<u8>> = files.iter().map(|f| inflate(f)).collect();
    let bytes: usize = texts.iter().map(Vec::len).sum();
    let projector = BngProjector::new();
    let extent = IngestOptions::default().extent;
    let parsed: Vec<_> = texts
        .iter()
        .zip(&files)
        .map(|(t, f)| parse_police_uk(t, f, &extent, &projector).expect("parses"))
        .collect();
    let rows: u64 = parsed.iter().map(hexwatch_io::ParsedStreet::read).sum();
    let accepted: usize = parsed.iter().map(hexwatch_io::ParsedStreet::accepted).sum();
    eprintln!(
        "national set: {} files, {bytes} bytes decompressed, {rows} rows, {accepted} accepted",
        files.len()
    );

    let mut group = c.benchmark_group("ingest_parse_national");
    group.sample_size(10);
    group.throughput(Throughput::Elements(rows));
    group.bench_function(BenchmarkId::new("hexwatch/parse_validate_index", rows), |b| {
        b.iter(|| {
            // One ingest run of the six files: each distinct location projected once.
            clear_location_cache();
            texts
                .iter()
                .zip(&files)
                .map(|(t, f)| {
                    parse_police_uk(black_box(t), f, &extent, &projector).expect("parses").accepted()
                })
                .sum::<usize>()
        });
    });
    group.bench_function(BenchmarkId::new("baseline/csv_records_one_thread", rows), |b| {
        b.iter(|| {
            let mut record = csv::ByteRecord::new();
            let mut n = 0_u64;
            for t in &texts {
                let mut reader =
                    csv::ReaderBuilder::new().flexible(true).has_headers(true).from_reader(black_box(&t[..]));
                while reader.read_byte_record(&mut record).expect("in memory") {
                    n += 1;
                }
            }
            n
        });
    });
    group.finish();

    let compressed: Vec<Vec<u8>> = files.iter().map(|f| std::fs::read(f).expect("national file")).collect();
    let mut group = c.benchmark_group("ingest_inflate_national");
    group.sample_size(10);
    group.throughput(Throughput::Elements(rows));
    group.bench_function(BenchmarkId::new("flate2/gzip_to_memory", rows), |b| {
        b.iter(|| {
            compressed
                .iter()
                .map(|gz| {
                    let mut out = Vec::with_capacity(gz.len() * 5);
                    flate2::read::MultiGzDecoder::new(&gz[..]).read_to_end(&mut out).expect("inflates");
                    out.len()
                })
                .sum::<usize>()
        });
    });
    group.finish();

    // SQLite writes: one national month into a fresh store (WAL, synchronous = NORMAL).
    let month = &files[0];
    let month_rows = parsed[0].read();
    let mut group = c.benchmark_group("ingest_sqlite_write_month");
    group.sample_size(10);
    group.throughput(Throughput::Elements(month_rows));
    group.bench_function(BenchmarkId::new("hexwatch/ingest_file_fresh_store", month_rows), |b| {
        b.iter_with_setup(
            || {
                let dir = tempfile::tempdir().expect("temporary directory");
                let store = Store::open(dir.path().join("bench.sqlite3")).expect("store");
                (dir, store)
            },
            |(dir, mut store)| {
                let r = ingest_file(&mut store, month, &IngestOptions::default(), &mut |_, _| {})
                    .expect("ingest");
                drop(store);
                drop(dir);
                r.accepted
            },
        );
    });
    group.finish();

    let points: Vec<(f64, f64)> = parsed.iter().flat_map(|p| p.incidents().map(|i| (i.lon, i.lat))).collect();
    let mut group = c.benchmark_group("points_to_h3_national");
    group.sample_size(10);
    group.throughput(Throughput::Elements(points.len() as u64));
    group.bench_function(BenchmarkId::new("hexwatch/distinct_once_rayon", points.len()), |b| {
        b.iter(|| cells_of_points(black_box(&points), Resolution::Nine).expect("valid points").len());
    });
    group.bench_function(BenchmarkId::new("baseline/h3o_every_row", points.len()), |b| {
        b.iter(|| {
            black_box(&points)
                .iter()
                .map(|&(lon, lat)| LatLng::new(lat, lon).expect("valid").to_cell(Resolution::Nine))
                .collect::<Vec<_>>()
                .len()
        });
    });
    group.finish();

    let table = ten_million(&parsed);
    let memory = table.memory();
    let n = table.len();
    eprintln!(
        "aggregate_10m table: {n} incidents, {} locations; columns {:.1} bytes/incident (incident columns {:.1}, \
         location columns {:.1}), indexes {:.1} bytes/incident",
        table.location_count(),
        memory.columns_bytes() as f64 / n as f64,
        memory.incident_columns_bytes as f64 / n as f64,
        memory.location_columns_bytes as f64 / n as f64,
        memory.index_bytes as f64 / n as f64,
    );
    let national_table = ten_million_from(&parsed, 1);
    let national_memory = national_table.memory();
    let nn = national_table.len();
    eprintln!(
        "national table: {nn} incidents; columns {:.1} bytes/incident, indexes {:.1} bytes/incident",
        national_memory.columns_bytes() as f64 / nn as f64,
        national_memory.index_bytes as f64 / nn as f64,
    );
    drop(national_table);
    std::fs::create_dir_all(hexwatch_benches::peers_dir()).expect("peers directory");
    std::fs::write(
        hexwatch_benches::peers_dir().join("scale.json"),
        format!(
            "{{\"files\": {:?}, \"rows\": {rows}, \"points\": {}, \"aggregate_incidents\": {n}, \
             \"columns_bytes_per_incident\": {:.2}, \"index_bytes_per_incident\": {:.2}}}\n",
            files.iter().map(|f| f.display().to_string()).collect::<Vec<_>>(),
            points.len(),
            memory.columns_bytes() as f64 / n as f64,
            memory.index_bytes as f64 / n as f64,
        ),
    )
    .expect("writes scale.json");

    let first = YearMonth::new(2025, 7).expect("valid month");
    let filter = Filter { from: Some(first), to: Some(first.add_months(11)), ..Filter::default() };
    let one_thread = rayon::ThreadPoolBuilder::new().num_threads(1).build().expect("pool");
    let mut group = c.benchmark_group("aggregate_10m");
    group.sample_size(20);
    group.throughput(Throughput::Elements(n as u64));
    group.bench_function(BenchmarkId::new("hexwatch/rayon", n), |b| {
        b.iter(|| aggregate_cells(black_box(&table), black_box(&filter), Resolution::Nine).len());
    });
    group.bench_function(BenchmarkId::new("baseline/one_thread", n), |b| {
        b.iter(|| {
            one_thread
                .install(|| aggregate_cells(black_box(&table), black_box(&filter), Resolution::Nine).len())
        });
    });
    group.finish();
}

/// About 10 M incidents: the national rows five times, the copies 6 months apart.
fn ten_million(parsed: &[hexwatch_io::ParsedStreet]) -> IncidentTable {
    ten_million_from(parsed, 5)
}

/// The national rows `copies` times, copy k shifted by 6k months, clustered by location
/// as the store loads its table.
fn ten_million_from(parsed: &[hexwatch_io::ParsedStreet], copies: i32) -> IncidentTable {
    let mut builder = IncidentTableBuilder::new();
    for k in 0..copies {
        for file in parsed {
            for i in file.incidents() {
                let category = builder.category_id(i.crime_type);
                let incident =
                    NewIncident::monthly(category, i.month.add_months(6 * k), i.lon, i.lat, i.bng, i.cell);
                builder.push_described(incident, i.location);
                if let Some(code) = i.lsoa_code {
                    builder.set_lsoa_code(code);
                }
            }
        }
    }
    let mut table = builder.build(None);
    table.cluster_by_location();
    table
}
