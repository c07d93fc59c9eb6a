//! `table_memory`: the memory of aggregating many journeys into a path table, streamed (no
//! file is written or read): journeys are drawn one at a time from the seeded generator
//! (`touchpoint::synth::generate`) and added to a `PathTable`, which sums equal paths.
//!
//! ```text
//! cargo run --release --example table_memory -- --journeys 100000000 --channels 40 --mean-len 5
//! /usr/bin/time -f '%e s wall %U s user %M KB' target/release/examples/table_memory -- ...
//! ```
//!
//! It prints the journeys drawn, the distinct paths, their mean length, the table's own count
//! of its heap bytes (`PathTable::heap_bytes`) and the process's peak resident memory (Linux
//! `VmHWM`; `/usr/bin/time`'s `%M` is the same figure).

use std::process::exit;
use std::time::Instant;

use clap::Parser;
use touchpoint::synth::{SynthConfig, SynthSize, generate};

/// table_memory: peak memory of aggregating N generated journeys into a path table
#[derive(Parser, Debug)]
#[command(name = "table_memory")]
struct Args {
    /// Journeys to draw and aggregate.
    #[arg(long, value_name = "N", default_value_t = 1_000_000)]
    journeys: u64,
    /// Channels of the generator.
    #[arg(long, value_name = "K", default_value_t = 30)]
    channels: usize,
    /// Mean touches per journey, >= 1.
    #[arg(long = "mean-len", value_name = "L", default_value_t = 5.0)]
    mean_len: f64,
    /// Zipf exponent of channel popularity (0: all equally popular).
    #[arg(long, value_name = "S", default_value_t = 1.0)]
    zipf: f64,
    /// Seed.
    #[arg(long, value_name = "N", default_value_t = 7)]
    seed: u64,
    /// Also sort the table into canonical order at the end (as a reader's result is).
    #[arg(long)]
    canonicalize: bool,
}

/// Peak resident memory of this process in KB (`VmHWM` of `/proc/self/status`; Linux only).
fn peak_kb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn run(args: &Args) -> touchpoint::Result<()> {
    let cfg = SynthConfig {
        size: SynthSize::Journeys(args.journeys),
        channels: args.channels,
        mean_path_len: args.mean_len,
        zipf_exponent: args.zipf,
        seed: args.seed,
        ..SynthConfig::default()
    };
    let start = Instant::now();
    // The generator draws the journeys one at a time into the table (no file, no list).
    let mut table = generate(&cfg)?;
    let built = start.elapsed().as_secs_f64();
    let heap = table.heap_bytes();
    let peak_built = peak_kb();
    if args.canonicalize {
        table.canonicalize();
    }
    let rows = table.len();
    let distinct_touches: usize = table.rows().map(|r| r.path.len()).sum();
    let mb = |b: f64| b / 1e6;
    println!(
        "{} journeys -> {rows} distinct paths (mean length {:.2}) in {built:.1} s",
        table.totals().journeys(),
        distinct_touches as f64 / rows.max(1) as f64,
    );
    println!(
        "table heap after building: {:.1} MB ({:.1} bytes per distinct path)",
        mb(heap as f64),
        heap as f64 / rows.max(1) as f64
    );
    if let Some(kb) = peak_built {
        println!(
            "peak resident memory after building: {:.1} MB",
            mb(kb as f64 * 1e3)
        );
    }
    if args.canonicalize {
        let heap = table.heap_bytes();
        println!("table heap after canonicalize: {:.1} MB", mb(heap as f64));
    }
    if let Some(kb) = peak_kb() {
        println!("peak resident memory: {:.1} MB", mb(kb as f64 * 1e3));
    }
    Ok(())
}

fn main() {
    let args = Args::parse();
    if let Err(e) = run(&args) {
        eprintln!("table_memory: {e}");
        exit(1);
    }
}
