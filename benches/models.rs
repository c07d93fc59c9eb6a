//! Throughput of CSV ingestion and of every registry model on seeded synthetic tables.
//!
//! ```text
//! cargo bench --bench models -- --noplot            # 10k, 100k and 1M distinct paths
//! TOUCHPOINT_BENCH_QUICK=1 cargo bench -- --quick --noplot   # 10k only (CI)
//! ```
//!
//! Tables come from `touchpoint::synth` (30 channels, mean path length 4, seed 7), the same
//! generator as `cargo run --release --example generate -- --rows N --channels 30 --seed 7`,
//! so every figure can be reproduced from the command line. Data is built outside the timed
//! closures and each result is checked once.

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use touchpoint::PathTable;
use touchpoint::formats::{PathCsvOptions, read_paths, write_paths};
use touchpoint::registry::{ModelOptions, TABLE_MODELS, build_model};
use touchpoint::synth::SynthSize;

const CHANNELS: usize = 30;
const MEAN_LEN: f64 = 4.0;
const SEED: u64 = 7;

mod common;

/// Distinct paths per table: 10k only when `TOUCHPOINT_BENCH_QUICK` is set (and not `0`).
fn sizes() -> Vec<usize> {
    common::pick(vec![10_000, 100_000, 1_000_000], vec![10_000])
}

fn table(rows: usize) -> PathTable {
    common::table(SynthSize::DistinctPaths(rows), CHANNELS, SEED)
}

fn param(rows: usize) -> String {
    format!("{rows}paths_{CHANNELS}ch_len{MEAN_LEN}")
}

fn benches(c: &mut Criterion) {
    for rows in sizes() {
        let table = table(rows);
        let mut csv = Vec::new();
        write_paths(&table, &mut csv).expect("write to memory");

        let mut ingest = c.benchmark_group("ingest_csv");
        if rows >= 100_000 {
            ingest.sample_size(10);
        }
        ingest.throughput(Throughput::Bytes(csv.len() as u64));
        ingest.bench_with_input(
            BenchmarkId::new("read_paths", param(rows)),
            &csv,
            |b, csv| {
                b.iter(|| {
                    let (t, report) =
                        read_paths(&csv[..], &PathCsvOptions::default()).expect("valid CSV");
                    assert_eq!(report.rows as usize, rows);
                    t
                })
            },
        );
        ingest.finish();

        let mut models = c.benchmark_group("models");
        if rows >= 100_000 {
            models.sample_size(10);
        }
        models.throughput(Throughput::Elements(rows as u64));
        let opts = ModelOptions::default();
        let total = table.totals().conversions;
        for name in TABLE_MODELS {
            let model = build_model(name, &opts).expect("registry model");
            // Checked once, outside the timing: credit is finite and efficient models give C.
            let a = model.attribute(&table).expect("attribution");
            let credited = a.credited_conversions();
            assert!(
                credited.is_finite() && credited >= total * (1.0 - 1e-9),
                "{name}"
            );
            models.bench_with_input(BenchmarkId::new(*name, param(rows)), &table, |b, t| {
                b.iter(|| model.attribute(black_box(t)).expect("attribution"))
            });
        }
        models.finish();
    }
}

criterion_group!(models, benches);
criterion_main!(models);
