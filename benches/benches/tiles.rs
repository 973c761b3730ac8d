//! Tile encoding: a zoom-13 tile over central Bournemouth (aggregation excluded), vs the
//! baseline of encoding the same cells with no clipping needed (a tile of points only).

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
}
