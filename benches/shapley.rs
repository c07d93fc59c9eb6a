//! Shapley benchmarks: the global conversion-rate game, exact (zeta transform), with 12 and 20
//! channels on 1,000,000 journeys; the exact-set rate game and simplified Shapley on the same
//! tables for comparison.
//!
//! Run: `cargo bench --bench shapley -- --quick --noplot`.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use touchpoint::{AttributionModel, Outcome, PathTable, Shapley, ShapleyGlobal, ShapleyRate};

/// xorshift64*: a small seeded generator, so the synthetic table is the same on every run.
struct Gen(u64);

impl Gen {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// `journeys` journeys over `channels` channels: 1–6 touches drawn with a skew toward
/// low-numbered channels; each journey converts with a probability that grows with the number
/// of distinct channels and with "strong" (even-numbered) channels. Equal paths are summed.
fn synthetic(channels: u64, journeys: usize, seed: u64) -> PathTable {
    let names: Vec<String> = (0..channels).map(|i| format!("ch{i:02}")).collect();
    let mut g = Gen(seed | 1);
    let mut t = PathTable::new();
    let mut path: Vec<&str> = Vec::new();
    for _ in 0..journeys {
        path.clear();
        let len = 1 + g.below(6);
        let mut strong = 0;
        for _ in 0..len {
            // min of two draws: channel k is drawn with probability ∝ (2(n−k) − 1).
            let c = g.below(channels).min(g.below(channels));
            strong += u64::from(c.is_multiple_of(2));
            path.push(&names[c as usize]);
        }
        let p_conv = 0.02 + 0.03 * strong as f64;
        let converted = (g.below(1_000_000) as f64) < p_conv * 1e6;
        let outcome = if converted {
            Outcome::converted(1.0, 10.0 + g.below(90) as f64)
        } else {
            Outcome::null(1.0)
        };
        // Paths are non-empty, names valid, counts finite: cannot fail.
        t.add(path.iter(), outcome)
            .expect("valid synthetic journey");
    }
    t
}

fn global_exact(c: &mut Criterion) {
    let mut group = c.benchmark_group("shapley_global_exact");
    group.sample_size(10);
    for channels in [12u64, 20] {
        let table = synthetic(channels, 1_000_000, 2024 + channels);
        let model = ShapleyGlobal::default();
        assert!(channels as usize <= model.max_exact_channels);
        group.bench_function(
            format!("{channels}ch_1M_journeys_{}rows", table.len()),
            |b| b.iter(|| black_box(model.attribute(black_box(&table)).expect("attribution"))),
        );
    }
    group.finish();
}

fn others(c: &mut Criterion) {
    let mut group = c.benchmark_group("shapley_other");
    group.sample_size(10);
    let table = synthetic(20, 1_000_000, 2044);
    group.bench_function("rate_20ch_1M_journeys", |b| {
        b.iter(|| {
            black_box(
                ShapleyRate::default()
                    .attribute(black_box(&table))
                    .expect("attribution"),
            )
        })
    });
    group.bench_function("simplified_20ch_1M_journeys", |b| {
        b.iter(|| black_box(Shapley.attribute(black_box(&table)).expect("attribution")))
    });
    group.finish();
}

criterion_group!(benches, global_exact, others);
criterion_main!(benches);
