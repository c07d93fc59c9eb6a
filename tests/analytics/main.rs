//! Analytics beside attribution, against hand-computed values:
//!
//! - [`path_stats`]: path analytics (table T2 and a small timestamped table), and invariants on
//!   random tables.
//! - [`spend`]: spend files (reading, typed line-numbered errors, periods) and CPA / ROAS with
//!   bootstrap intervals.
//!
//! One test binary (one link of the crate) for both; `cargo test --test analytics spend::` runs
//! one of them.

#[path = "../common/mod.rs"]
mod common;

mod path_stats;
mod spend;
