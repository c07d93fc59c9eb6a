//! Fitted models in a request handler: crediting one journey with a reusable scorer, fitting
//! (aggregate plus calibration), and a table scored journey by journey against in one pass.
//!
//! ```text
//! cargo bench --bench fit -- --noplot                          # 100k and 1M distinct paths
//! TOUCHPOINT_BENCH_QUICK=1 cargo bench --bench fit -- --quick --noplot   # 10k (CI)
//! ```
//!
//! Tables come from `touchpoint::synth` (30 channels, mean path length 4, seed 7), as
//! `cargo run --release --example generate -- --rows N --channels 30 --seed 7`.

use std::hint::black_box;

use chrono::DateTime;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use touchpoint::registry::{ModelOptions, build_model};
use touchpoint::synth::SynthSize;
use touchpoint::{Journey, Outcome, PathTable, Touchpoint};

mod common;

const CHANNELS: usize = 30;
const SEED: u64 = 7;

fn table(rows: usize) -> PathTable {
    common::table(SynthSize::DistinctPaths(rows), CHANNELS, SEED)
}

/// The 5-touch journey of the request-handler figure: channels of the table, one per day.
fn journey(t: &PathTable, timed: bool) -> Journey {
    let names: Vec<String> = t
        .channels()
        .iter()
        .take(5)
        .map(|(_, n)| n.to_string())
        .collect();
    let day = 86_400;
    let touches = names
        .iter()
        .enumerate()
        .map(|(i, n)| {
            if timed {
                let at = DateTime::from_timestamp(1_700_000_000 + i as i64 * day, 0);
                Touchpoint::at(n.clone(), at.expect("valid timestamp"))
            } else {
                Touchpoint::new(n.clone())
            }
        })
        .collect();
    Journey {
        touches,
        outcome: Outcome::converted(1.0, 80.0),
        converted_at: None,
        ..Journey::default()
    }
}

fn journeys(t: &PathTable) -> Vec<Journey> {
    t.rows()
        .map(|r| {
            let names = r.path.iter().map(|&id| t.channels().name(id).to_string());
            Journey::from_channels(names, r.outcome)
        })
        .collect()
}

fn benches(c: &mut Criterion) {
    let opts = ModelOptions::default();
    let small = table(10_000);
    let mut one = c.benchmark_group("score_one_journey");
    for (name, timed) in [("linear", false), ("time_decay", true), ("markov", false)] {
        let fitted = build_model(name, &opts)
            .and_then(|m| m.fit(&small))
            .expect("fit");
        let j = journey(&small, timed);
        let mut scorer = fitted.scorer();
        let total: f64 = scorer
            .credit(&j)
            .expect("credit")
            .iter()
            .map(|c| c.conversions)
            .sum();
        assert!((total - 1.0).abs() < 1e-12, "{name}");
        one.bench_function(BenchmarkId::new(name, "5touches"), |b| {
            b.iter(|| scorer.credit(black_box(&j)).expect("credit").len())
        });
    }
    one.finish();

    for rows in common::pick(vec![100_000, 1_000_000], vec![10_000]) {
        let t = table(rows);
        let param = format!("{rows}paths_{CHANNELS}ch");
        let mut fit = c.benchmark_group("fit");
        fit.sample_size(10);
        fit.throughput(Throughput::Elements(rows as u64));
        for name in ["markov", "shao_li"] {
            let model = build_model(name, &opts).expect("registry model");
            fit.bench_with_input(
                BenchmarkId::new(format!("{name}_attribute"), &param),
                &t,
                |b, t| b.iter(|| model.attribute(black_box(t)).expect("attribute")),
            );
            fit.bench_with_input(
                BenchmarkId::new(format!("{name}_fit"), &param),
                &t,
                |b, t| b.iter(|| model.fit(black_box(t)).expect("fit")),
            );
        }
        fit.finish();

        let fitted = build_model("markov", &opts)
            .and_then(|m| m.fit(&t))
            .expect("fit");
        let js = journeys(&t);
        let mut score = c.benchmark_group("score_table");
        score.sample_size(10);
        score.throughput(Throughput::Elements(rows as u64));
        score.bench_with_input(
            BenchmarkId::new("markov_one_at_a_time", &param),
            &js,
            |b, js| {
                let mut scorer = fitted.scorer();
                b.iter(|| {
                    let mut sum = 0.0;
                    for j in js {
                        sum += scorer.credit(j).expect("credit")[0].conversions;
                    }
                    sum
                })
            },
        );
        score.bench_with_input(BenchmarkId::new("markov_as_table", &param), &t, |b, t| {
            b.iter(|| fitted.credit_table(black_box(t)).expect("credit").len())
        });
        score.finish();
    }
}

criterion_group!(fit, benches);
criterion_main!(fit);
