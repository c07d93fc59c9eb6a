//! Shared by the benches: seeded synthetic tables from `touchpoint::synth` (the generator of
//! `cargo run --example generate`, so every figure can be reproduced from the command line) and
//! the quick mode CI uses.

#![allow(dead_code)]

use touchpoint::PathTable;
use touchpoint::synth::{SynthConfig, SynthSize, generate};

/// True when `TOUCHPOINT_BENCH_QUICK` is set (and not `0`): CI runs only the smallest sizes.
pub fn quick() -> bool {
    std::env::var("TOUCHPOINT_BENCH_QUICK").is_ok_and(|v| !v.is_empty() && v != "0")
}

/// `full` normally, `small` in quick mode.
pub fn pick<T>(full: T, small: T) -> T {
    if quick() { small } else { full }
}

/// A table of `size` over `channels` channels, mean path length 4, seed `seed` (as
/// `generate --rows N --channels K --mean-len 4 --seed S`).
pub fn table(size: SynthSize, channels: usize, seed: u64) -> PathTable {
    generate(&SynthConfig {
        size,
        channels,
        mean_path_len: 4.0,
        seed,
        ..SynthConfig::default()
    })
    .expect("valid synthetic configuration")
}
