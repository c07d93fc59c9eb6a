//! Shapley benchmarks: the global conversion-rate game, exact (zeta transform), with 12 and 20
//! channels on 1,000,000 journeys; the exact-set rate game and simplified Shapley on the same
//! tables for comparison.
//!
//! Run: `cargo bench --bench shapley -- --quick --noplot`.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use touchpoint::{AttributionModel, PathTable, Shapley, ShapleyGlobal, ShapleyRate};

mod common;

use touchpoint::synth::SynthSize;

/// `journeys` journeys over `channels` channels from the shared generator (seed 7).
fn synthetic(channels: u64, journeys: usize) -> PathTable {
    common::table(SynthSize::Journeys(journeys as u64), channels as usize, 7)
}

fn global_exact(c: &mut Criterion) {
    let mut group = c.benchmark_group("shapley_global_exact");
    group.sample_size(10);
    let journeys = common::pick(1_000_000, 10_000);
    for channels in [12u64, 20] {
        let table = synthetic(channels, journeys);
        let model = ShapleyGlobal::default();
        assert!(channels as usize <= model.max_exact_channels);
        group.bench_function(
            format!("{channels}ch_{journeys}journeys_{}rows", table.len()),
            |b| b.iter(|| black_box(model.attribute(black_box(&table)).expect("attribution"))),
        );
    }
    group.finish();
}

fn others(c: &mut Criterion) {
    let mut group = c.benchmark_group("shapley_other");
    group.sample_size(10);
    let journeys = common::pick(1_000_000, 10_000);
    let table = synthetic(20, journeys);
    group.bench_function(format!("rate_20ch_{journeys}journeys"), |b| {
        b.iter(|| {
            black_box(
                ShapleyRate::default()
                    .attribute(black_box(&table))
                    .expect("attribution"),
            )
        })
    });
    group.bench_function(format!("simplified_20ch_{journeys}journeys"), |b| {
        b.iter(|| black_box(Shapley.attribute(black_box(&table)).expect("attribution")))
    });
    group.finish();
}

criterion_group!(benches, global_exact, others);
criterion_main!(benches);
