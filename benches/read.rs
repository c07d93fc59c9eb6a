//! Reading speed against the floor: a path CSV and an event CSV read into a table or a log,
//! next to a pass that only counts the lines of the same bytes with `memchr` (the least any
//! reader must do). The same events as JSON Lines are read by the byte scanner and by serde
//! alone (the reader before the scanner). The ratio of the two is the figure to watch (targets: at most 3× for paths,
//! 4× for events); absolute times depend on the machine.
//!
//! ```text
//! cargo bench --bench read -- --noplot                        # 1M paths, 5M events
//! TOUCHPOINT_BENCH_QUICK=1 cargo bench --bench read -- --quick --noplot   # 100k, 500k
//! ```
//!
//! The inputs are those of `cargo run --release --example generate -- --rows 1000000
//! --channels 30 --seed 7` and `generate --events 5000000 --seed 7`, built in memory outside
//! the timed closures.

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use touchpoint::events::synth::{SynthEvents, SynthOptions};
use touchpoint::events::{EventOptions, read_events, read_events_serde_only};
use touchpoint::formats::{PathCsvOptions, read_paths, write_paths};
use touchpoint::synth::SynthSize;

mod common;

/// Lines of `bytes`, counted with `memchr` (the floor of any line-oriented reader).
fn count_lines(bytes: &[u8]) -> usize {
    memchr::memchr_iter(b'\n', bytes).count()
}

fn benches(c: &mut Criterion) {
    let rows = common::pick(1_000_000, 100_000);
    let table = common::table(SynthSize::DistinctPaths(rows), 30, 7);
    let mut paths = Vec::new();
    write_paths(&table, &mut paths).expect("write to memory");
    let mut g = c.benchmark_group("read_paths_csv");
    g.sample_size(10);
    g.throughput(Throughput::Bytes(paths.len() as u64));
    let param = format!("{rows}paths_30ch");
    g.bench_with_input(BenchmarkId::new("count_lines", &param), &paths, |b, csv| {
        b.iter(|| assert_eq!(count_lines(black_box(csv)), rows + 1));
    });
    g.bench_with_input(BenchmarkId::new("read_paths", &param), &paths, |b, csv| {
        b.iter(|| {
            let (t, report) = read_paths(&csv[..], &PathCsvOptions::default()).expect("valid");
            assert_eq!(report.rows as usize, rows);
            t
        });
    });
    g.finish();

    let events = common::pick(5_000_000, 500_000);
    let mut log = Vec::new();
    let synth = SynthEvents::new(SynthOptions {
        events,
        seed: 7,
        ..SynthOptions::default()
    })
    .expect("valid options");
    synth.clone().write_csv(&mut log).expect("write to memory");
    let mut g = c.benchmark_group("read_events_csv");
    g.sample_size(10);
    g.throughput(Throughput::Bytes(log.len() as u64));
    let param = format!("{events}events");
    let lines = count_lines(&log);
    g.bench_with_input(BenchmarkId::new("count_lines", &param), &log, |b, csv| {
        b.iter(|| assert_eq!(count_lines(black_box(csv)), lines));
    });
    g.bench_with_input(BenchmarkId::new("read_events", &param), &log, |b, csv| {
        b.iter(|| {
            let (l, report) = read_events(&csv[..], &EventOptions::default()).expect("valid");
            assert_eq!(report.rows as usize, lines - 1);
            l
        });
    });
    g.finish();

    let mut jsonl = Vec::new();
    synth.write_jsonl(&mut jsonl).expect("write to memory");
    let mut g = c.benchmark_group("read_events_jsonl");
    g.sample_size(10);
    g.throughput(Throughput::Bytes(jsonl.len() as u64));
    let lines = count_lines(&jsonl);
    g.bench_with_input(BenchmarkId::new("count_lines", &param), &jsonl, |b, j| {
        b.iter(|| assert_eq!(count_lines(black_box(j)), lines));
    });
    for serde_only in [false, true] {
        let name = if serde_only {
            "read_events_serde_only"
        } else {
            "read_events"
        };
        g.bench_with_input(BenchmarkId::new(name, &param), &jsonl, |b, j| {
            b.iter(|| {
                let o = EventOptions::default();
                let (l, report) = if serde_only {
                    read_events_serde_only(&j[..], &o)
                } else {
                    read_events(&j[..], &o)
                }
                .expect("valid");
                assert_eq!(report.rows as usize, lines);
                l
            });
        });
    }
    g.finish();
}

criterion_group!(read, benches);
criterion_main!(read);
