//! Analytics beside attribution, against hand-computed values:
//!
//! - [`path_stats`]: path analytics (table T2 and a small timestamped table), and invariants on
//!   random tables.
//! - [`spend`]: spend files (reading, typed line-numbered errors, periods) and CPA / ROAS with
//!   bootstrap intervals.
//!
//! `cargo test --test suite analytics::spend::` runs one of them.

mod path_stats;
mod spend;
