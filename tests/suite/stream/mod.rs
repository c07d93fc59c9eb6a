//! The incremental journey builder:
//!
//! - [`builder`]: against the batch builder (any split into batches, any arrival order within
//!   the allowed lateness), checkpoints, late events, keys from the readers.
//! - [`memory`]: its memory over simulated days, bounded by the active users (the README's
//!   figure: `cargo test --release --test suite stream::memory:: -- --ignored --nocapture`).
//!
//! One test binary (one link of the crate) for both.

mod builder;
mod memory;
