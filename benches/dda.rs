//! The fitted conversion models at scale: fitting `logistic` (with and without its held-out
//! fit), and `dda` (fit plus the Shapley value of every converting row), on 1M distinct paths
//! over 30 channels.
//!
//! ```text
//! cargo bench --bench dda -- --noplot                                   # 100k and 1M paths
//! TOUCHPOINT_BENCH_QUICK=1 cargo bench --bench dda -- --quick --noplot  # 10k (CI)
//! ```
//!
//! Tables come from `touchpoint::synth` (30 channels, mean path length 4, seed 7), as
//! `cargo run --release --example generate -- --rows N --channels 30 --seed 7`.

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use touchpoint::synth::SynthSize;
use touchpoint::{AttributionModel, Dda, Logistic};

mod common;

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("dda");
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(20));
    for rows in common::pick(vec![100_000, 1_000_000], vec![10_000]) {
        let t = common::table(SynthSize::DistinctPaths(rows), 30, 7);
        g.throughput(Throughput::Elements(rows as u64));
        let no_holdout = Logistic {
            holdout: 0.0,
            ..Logistic::default()
        };
        g.bench_with_input(BenchmarkId::new("logistic_fit", rows), &t, |b, t| {
            b.iter(|| black_box(no_holdout.fit(t).expect("fit")))
        });
        g.bench_with_input(
            BenchmarkId::new("logistic_fit_holdout", rows),
            &t,
            |b, t| b.iter(|| black_box(Logistic::default().fit(t).expect("fit"))),
        );
        g.bench_with_input(BenchmarkId::new("logistic_attribute", rows), &t, |b, t| {
            b.iter(|| black_box(Logistic::default().attribute(t).expect("attribute")))
        });
        g.bench_with_input(BenchmarkId::new("dda_attribute", rows), &t, |b, t| {
            b.iter(|| black_box(Dda::default().attribute(t).expect("attribute")))
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
