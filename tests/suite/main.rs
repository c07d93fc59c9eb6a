//! The integration tests of the default features, in one test binary: one link of the crate
//! instead of fifteen (a clean `cargo test` builds this crate once, and each module compiles
//! against it once). Every module is one concern; run one with its path as the filter, e.g.
//! `cargo test --test suite reliability::order::` or `cargo test --test suite cli::`.
//!
//! Separate binaries remain where they must: `alloc` (a counting global allocator), `fuzz`
//! (run in release by CI), and the feature-gated `arrow`, `plot`, `datafusion` and `serve`.

#[path = "../common/mod.rs"]
mod common;

mod analytics;
mod browser;
mod cli;
mod dda;
mod events;
mod fit;
mod io;
mod levels;
mod markov;
mod markov_limits;
mod reliability;
mod rules;
mod shapley;
mod stream;
