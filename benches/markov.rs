//! Markov attribution on synthetic tables shaped like issue 3's benchmark. At 1M rows the table
//! has 30 channels, 3.08M journeys (15 % converting), 4.7 touches per row and 4.3 per journey;
//! 27,930 states and 774,283 transitions at order 3. Tables are built outside the timed
//! closures; `markov_csv_end_to_end` times CSV parsing plus the fit.
//!
//! `cargo bench --bench markov -- --quick --noplot`

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use touchpoint::formats::{PathCsvOptions, read_paths, write_paths};
use touchpoint::{ChannelId, Markov, Outcome, PathTable};

/// xorshift64*: a tiny seeded generator, local to this bench (to be replaced by the shared
/// synthetic-table generator).
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// `rows` distinct paths over `channels` channels, shaped like issue 3's benchmark table
/// (30 channels, 1,000,000 rows, about 3.1M journeys, mean path length about 4): mildly skewed
/// channel popularity (weight 1/i^0.3), path lengths mostly 4 (short paths are few because
/// only 27,930 distinct paths of length ≤ 3 exist over 30 channels), 1 + Geometric journeys per
/// draw (equal paths drawn twice are summed), each converting with a probability that grows
/// with path length and with five strong channels.
fn synthetic(rows: usize, channels: usize, seed: u64) -> PathTable {
    const LENGTHS: [(usize, f64); 7] = [
        (1, 0.02),
        (2, 0.04),
        (3, 0.08),
        (4, 0.50),
        (5, 0.26),
        (6, 0.06),
        (7, 0.04),
    ];
    let mut rng = XorShift(seed.max(1));
    let mut t = PathTable::new();
    let ids: Vec<ChannelId> = (0..channels)
        .map(|i| t.intern(&format!("ch{i:02}")).unwrap())
        .collect();
    let mut cum = Vec::with_capacity(channels);
    let mut acc = 0.0;
    for i in 0..channels {
        acc += 1.0 / ((i + 1) as f64).powf(0.3);
        cum.push(acc);
    }
    let mut path = Vec::new();
    while t.len() < rows {
        let mut x = rng.unit();
        let len = LENGTHS
            .iter()
            .find(|&&(_, p)| {
                x -= p;
                x < 0.0
            })
            .map_or(8, |&(l, _)| l);
        path.clear();
        for _ in 0..len {
            let x = rng.unit() * acc;
            path.push(ids[cum.partition_point(|&c| c <= x).min(channels - 1)]);
        }
        let mut journeys = 1;
        while rng.unit() < 0.52 {
            journeys += 1;
        }
        let strong = path.iter().filter(|c| c.index() < 5).count() as f64;
        let q = (0.02 + 0.02 * len as f64 + 0.04 * strong).min(0.6);
        let conv = (0..journeys).filter(|_| rng.unit() < q).count() as f64;
        let value = conv * (20.0 + 80.0 * rng.unit());
        t.add_ids(&path, Outcome::new(conv, value, journeys as f64 - conv))
            .unwrap();
    }
    t
}

fn fit(c: &mut Criterion) {
    let mut g = c.benchmark_group("markov_fit");
    g.sample_size(10).measurement_time(Duration::from_secs(5));
    for (label, rows) in [("100k", 100_000), ("1M", 1_000_000)] {
        let t = synthetic(rows, 30, 42);
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
    let mut csv = Vec::new();
    write_paths(&synthetic(1_000_000, 30, 42), &mut csv).unwrap();
    for k in [1, 3] {
        let m = Markov::with_order(k);
        g.bench_function(BenchmarkId::new(format!("order{k}"), "1M"), |b| {
            b.iter(|| {
                let (t, _) = read_paths(&csv[..], &PathCsvOptions::default()).unwrap();
                black_box(m.fit(&t).unwrap().conversion_probability())
            })
        });
    }
    g.finish();
}

criterion_group!(benches, fit, end_to_end);
criterion_main!(benches);
