//! The public cube (disclosure rule): building it over the Dorset year — every public cell,
//! ward and total × category group × month, quarter and year, with complementary
//! suppression — against one resolution-9 aggregation of every incident (the baseline:
//! what a count layer costs without the rule).

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion};
use h3o::Resolution;
use hexwatch_core::{DisclosurePolicy, Filter, IncidentTable, PublicCube, aggregate_cells};

pub(crate) fn bench(c: &mut Criterion, table: &IncidentTable) {
    let mut group = c.benchmark_group("public_cube_dorset");
    let n = table.len();
    group.bench_with_input(BenchmarkId::new("hexwatch/build", n), table, |b, t| {
        b.iter(|| PublicCube::build(black_box(t), DisclosurePolicy::default()));
    });
    group.bench_with_input(BenchmarkId::new("baseline/aggregate_res9", n), table, |b, t| {
        b.iter(|| aggregate_cells(black_box(t), &Filter::default(), Resolution::Nine));
    });
    group.finish();
}
