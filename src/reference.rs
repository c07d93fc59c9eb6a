#![doc = include_str!("../docs/models.md")]

#[doc = include_str!("../docs/data-driven.md")]
pub mod data_driven {}
