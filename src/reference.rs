#![doc = include_str!("../docs/models.md")]
