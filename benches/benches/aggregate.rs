//! H3 aggregation: Rayon fold/merge over the incident table vs a plain sequential loop
//! that indexes every incident afresh (the baseline).

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion};
use h3o::Resolution;
use hexwatch_core::{AreaFilter, Filter, IncidentTable, aggregate_cells, aggregate_cells_sequential};

pub(crate) fn bench(c: &mut Criterion, table: &IncidentTable) {
    let asb = table.find_category("anti-social-behaviour").expect("ASB in the data");
    let filter = Filter { categories: Some(vec![asb]), area: AreaFilter::AnyWard, ..Filter::default() };
    let mut group = c.benchmark_group("aggregate_res9_bcp_asb");
    let n = table.len();
    group.bench_with_input(BenchmarkId::new("hexwatch/rayon", n), &filter, |b, f| {
        b.iter(|| aggregate_cells(black_box(table), black_box(f), Resolution::Nine));
    });
    group.bench_with_input(BenchmarkId::new("baseline/sequential", n), &filter, |b, f| {
        b.iter(|| aggregate_cells_sequential(black_box(table), black_box(f), Resolution::Nine));
    });
    group.finish();
}
