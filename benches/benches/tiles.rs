//! Tile encoding: a zoom-13 tile over central Bournemouth (aggregation excluded), vs the
//! baseline of encoding the same cells with no clipping needed (a tile of points only); and
//! one zoom-10 tile of 5,000 resolution-9 hexagons (clip and quantise included), whose
//! hexagons the set-up writes to `target/peers/tile_z10.json` for the mapbox-vector-tile peer.

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion};
use h3o::Resolution;
use hexwatch_core::{Filter, IncidentTable, aggregate_cells};
use hexwatch_tiles::{CellFeature, PropertyValue, TileCoord, encode_cells};

pub(crate) fn bench(c: &mut Criterion, table: &IncidentTable) {
    let aggregate = aggregate_cells(table, &Filter::default(), Resolution::Nine);
    let tile = TileCoord::new_checked(13, 4053, 2752).expect("valid tile");
    let b = tile.bounds();
    let cells: Vec<_> = aggregate
        .iter()
        .filter(|(cell, _)| {
            let ll = h3o::LatLng::from(*cell);
            (b.west - 0.01..=b.east + 0.01).contains(&ll.lng())
                && (b.south - 0.01..=b.north + 0.01).contains(&ll.lat())
        })
        .map(|(cell, n)| (cell, n.total()))
        .collect();
    let features = || {
        cells.iter().map(|(cell, n)| CellFeature {
            cell: *cell,
            properties: vec![
                ("h3".to_owned(), PropertyValue::String(cell.to_string())),
                ("count".to_owned(), PropertyValue::Uint(u64::from(*n))),
            ],
        })
    };
    let mut group = c.benchmark_group("encode_z13_res9_tile");
    group.bench_function(BenchmarkId::new("hexwatch/clip_orient_encode", cells.len()), |bench| {
        bench.iter(|| encode_cells(black_box(tile), "cells", features()).expect("encodes"));
    });
    group.bench_function(BenchmarkId::new("baseline/boundaries_only", cells.len()), |bench| {
        bench.iter(|| cells.iter().map(|(cell, _)| black_box(cell.boundary()).len()).sum::<usize>());
    });
    group.finish();
    bench_z10(c);
}

/// The zoom-10 tile over Bournemouth and the 5,000 resolution-9 cells nearest its centre
/// (a disk of cells, some crossing the tile edge and clipped), each with a count and its
/// `h3` string.
fn bench_z10(c: &mut Criterion) {
    let tile = TileCoord::new_checked(10, 506, 344).expect("valid tile");
    let b = tile.bounds();
    let centre = h3o::LatLng::new((b.south + b.north) / 2.0, (b.west + b.east) / 2.0)
        .expect("valid centre")
        .to_cell(Resolution::Nine);
    let mut cells: Vec<_> = centre.grid_disk::<Vec<_>>(45);
    cells.sort_by_key(|c| (centre.grid_distance(*c).unwrap_or(i32::MAX), *c));
    cells.truncate(5_000);
    let counts: Vec<(h3o::CellIndex, u64)> =
        cells.iter().enumerate().map(|(i, c)| (*c, (i as u64 * 7919) % 97 + 1)).collect();
    let features = || {
        counts.iter().map(|(cell, n)| CellFeature {
            cell: *cell,
            properties: vec![
                ("h3".to_owned(), PropertyValue::String(cell.to_string())),
                ("count".to_owned(), PropertyValue::Uint(*n)),
            ],
        })
    };
    write_z10_peer_input(tile, &counts);
    let mut group = c.benchmark_group("encode_z10_5000_res9");
    group.bench_function(BenchmarkId::new("hexwatch/clip_quantise_encode", counts.len()), |bench| {
        bench.iter(|| encode_cells(black_box(tile), "cells", features()).expect("encodes").len());
    });
    group.bench_function(BenchmarkId::new("baseline/boundaries_only", counts.len()), |bench| {
        bench.iter(|| counts.iter().map(|(cell, _)| black_box(cell.boundary()).len()).sum::<usize>());
    });
    group.finish();
}

/// The z10 tile's Web Mercator bounds and each cell's boundary in Web Mercator metres
/// (EPSG:3857), count and `h3`: what mapbox-vector-tile quantises and encodes.
fn write_z10_peer_input(tile: TileCoord, counts: &[(h3o::CellIndex, u64)]) {
    const R: f64 = 6_378_137.0;
    let merc = |lon: f64, lat: f64| {
        (R * lon.to_radians(), R * (std::f64::consts::FRAC_PI_4 + lat.to_radians() / 2.0).tan().ln())
    };
    let b = tile.bounds();
    let (x0, y0) = merc(b.west, b.south);
    let (x1, y1) = merc(b.east, b.north);
    let mut json = format!("{{\"bounds\": [{x0}, {y0}, {x1}, {y1}], \"cells\": [");
    for (k, (cell, n)) in counts.iter().enumerate() {
        let ring: Vec<String> = cell
            .boundary()
            .iter()
            .chain(std::iter::once(&cell.boundary()[0]))
            .map(|ll| {
                let (x, y) = merc(ll.lng(), ll.lat());
                format!("[{x}, {y}]")
            })
            .collect();
        if k > 0 {
            json.push_str(", ");
        }
        json.push_str(&format!("{{\"h3\": \"{cell}\", \"count\": {n}, \"ring\": [{}]}}", ring.join(", ")));
    }
    json.push_str("]}\n");
    let dir = hexwatch_benches::peers_dir();
    std::fs::create_dir_all(&dir).expect("peers directory");
    std::fs::write(dir.join("tile_z10.json"), json).expect("writes tile_z10.json");
}
