//! Markov attribution on synthetic tables of 100k and 1M distinct paths over 30 channels (the
//! shared generator, seed 7; 10k only with `TOUCHPOINT_BENCH_QUICK=1`). Tables are built outside
//! the timed closures; `markov_csv_end_to_end` times CSV parsing plus the fit.
//!
//! `markov_campaigns` fits order 1 on campaign-level tables (`generate --rows 1000000
//! --channels 30 --campaigns N [--campaign-stickiness P] --seed 7`: N = 1,000 and 3,000 drawn
//! independently, N = 10,000 and 100,000 with journeys keeping their campaign, P = 0.98 and 1;
//! 300 campaigns on 10k rows, independent and with P = 0.9, in quick mode).
//!
//! `cargo bench --bench markov -- --quick --noplot`

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use touchpoint::bootstrap::Bootstrap;
use touchpoint::formats::{PathCsvOptions, read_paths, write_paths};
use touchpoint::{Markov, PathTable};

mod common;

use touchpoint::synth::{SynthConfig, SynthSize, generate};

/// `rows` distinct paths over 30 channels (seed 7): 1M rows is issue 3's benchmark shape
/// (about 3.1M journeys, mean path length about 4).
fn synthetic(rows: usize) -> PathTable {
    common::table(SynthSize::DistinctPaths(rows), 30, 7)
}

fn fit(c: &mut Criterion) {
    let mut g = c.benchmark_group("markov_fit");
    g.sample_size(10).measurement_time(Duration::from_secs(5));
    let sizes = common::pick(
        vec![("100k", 100_000), ("1M", 1_000_000)],
        vec![("10k", 10_000)],
    );
    for (label, rows) in sizes {
        let t = synthetic(rows);
        for k in [1, 3] {
            let m = Markov::with_order(k);
            g.bench_with_input(BenchmarkId::new(format!("order{k}"), label), &t, |b, t| {
                b.iter(|| black_box(m.fit(t).unwrap().conversion_probability()))
            });
        }
    }
    g.finish();
}

/// CSV text → table → fit, as `attribute --models markov` does it.
fn end_to_end(c: &mut Criterion) {
    let mut g = c.benchmark_group("markov_csv_end_to_end");
    g.sample_size(10).measurement_time(Duration::from_secs(10));
    let (label, rows) = common::pick(("1M", 1_000_000), ("10k", 10_000));
    let mut csv = Vec::new();
    write_paths(&synthetic(rows), &mut csv).unwrap();
    for k in [1, 3] {
        let m = Markov::with_order(k);
        g.bench_function(BenchmarkId::new(format!("order{k}"), label), |b| {
            b.iter(|| {
                let (t, _) = read_paths(&csv[..], &PathCsvOptions::default()).unwrap();
                black_box(m.fit(&t).unwrap().conversion_probability())
            })
        });
    }
    g.finish();
}

/// Bootstrap intervals around Markov order 1 (issue 7's figure is 1000 replicates on 100k
/// paths: about 10× one iteration of the full-size bench here).
fn bootstrap(c: &mut Criterion) {
    let mut g = c.benchmark_group("markov_bootstrap");
    g.sample_size(10).measurement_time(Duration::from_secs(10));
    let (label, rows, replicates) = common::pick(("100k", 100_000, 100), ("10k", 10_000, 20));
    let t = synthetic(rows);
    let boot = Bootstrap {
        replicates,
        seed: 1,
        ..Bootstrap::default()
    };
    let m = Markov::with_order(1);
    g.bench_function(
        BenchmarkId::new(format!("order1_{replicates}replicates"), label),
        |b| b.iter(|| black_box(boot.run(&m, &t).unwrap().degenerate)),
    );
    g.finish();
}

/// Order 1 on campaign keys: `rows` distinct paths, 30 channels, `campaigns` keys, campaign
/// stickiness `p` (seed 7).
fn campaigns(c: &mut Criterion) {
    let mut g = c.benchmark_group("markov_campaigns");
    g.sample_size(10).measurement_time(Duration::from_secs(10));
    let sizes = common::pick(
        vec![
            ("1M_rows", 1_000_000, 1_000, 0.0),
            ("1M_rows", 1_000_000, 3_000, 0.0),
            ("1M_rows", 1_000_000, 10_000, 0.98),
            ("1M_rows", 1_000_000, 10_000, 1.0),
            ("1M_rows", 1_000_000, 100_000, 1.0),
        ],
        vec![
            ("10k_rows", 10_000, 300, 0.0),
            ("10k_rows", 10_000, 300, 0.9),
        ],
    );
    for (label, rows, campaigns, p) in sizes {
        let t = generate(&SynthConfig {
            size: SynthSize::DistinctPaths(rows),
            channels: 30,
            campaigns,
            campaign_stickiness: p,
            seed: 7,
            ..SynthConfig::default()
        })
        .expect("valid synthetic configuration");
        let m = Markov::default();
        let sticky = if p > 0.0 {
            format!("_sticky{p}")
        } else {
            String::new()
        };
        let id = BenchmarkId::new(format!("order1_{campaigns}campaigns{sticky}"), label);
        g.bench_with_input(id, &t, |b, t| {
            b.iter(|| black_box(m.fit(t).unwrap().conversion_probability()))
        });
    }
    g.finish();
}

criterion_group!(benches, fit, end_to_end, bootstrap, campaigns);
criterion_main!(benches);
