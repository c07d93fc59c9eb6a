//! Reliability: nothing lost, nothing corrupted, nothing dependent on order.
//!
//! - [`defects`]: regression tests of the defects found by attacking the readers, each named
//!   for the defect it pins down.
//! - [`numerics`]: numerics that degrade loudly, and resource limits checked before allocating.
//! - [`order`]: bit-identical results under any row order, sharding and thread count.
//! - [`scale`]: the map-reduce shape (shards built apart and merged in any order give the whole
//!   table's attribution) and results independent of the number of threads.
//! - [`codec`]: the binary path-table codec: round trips, shard → encode → merge → model,
//!   corrupted input, size.
//!
//! `cargo test --test suite reliability::order::` runs one of them.

mod codec;
mod defects;
mod numerics;
mod order;
mod scale;
