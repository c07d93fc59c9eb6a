//! Multi-touch marketing attribution.
#![deny(missing_docs)]
#![doc(test(attr(deny(warnings))))]

mod attribution;
mod channel;
mod error;
mod journey;
pub mod formats;
pub mod model;
mod outcome;
pub mod registry;
pub mod report;
pub mod synth;
mod table;
mod walk;

/// The README's code blocks, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
mod readme_doctest {}

pub use attribution::{Attribution, ChannelCredit};
pub use channel::{ChannelId, Channels, RESERVED_NAMES};
pub use error::{Error, Location, ParseProblem, Result};
pub use journey::{Journey, Touchpoint};
pub use model::{
    AttributionModel, FirstTouch, LastNonDirect, LastTouch, Linear, LinearMode, Participation,
    PathCredit, PositionBased, RuleBased, TimeDecay, TwoTouch, WShaped,
};
pub use outcome::Outcome;
pub use table::{DEFAULT_MAX_PATH_LEN, PathTable, Row};
