//! Multi-touch marketing attribution.
#![deny(missing_docs)]
#![doc(test(attr(deny(warnings))))]

mod attribution;
pub mod bootstrap;
mod channel;
mod error;
pub mod formats;
mod journey;
pub mod model;
mod outcome;
mod table;
mod walk;

pub use attribution::{Attribution, ChannelCredit, CreditTriple};
pub use channel::{ChannelId, Channels, RESERVED_NAMES};
pub use error::{Error, Location, ParseProblem, Result};
pub use journey::{Journey, Touchpoint};
pub use model::{
    AttributionModel, FirstTouch, LastNonDirect, LastTouch, Linear, LinearMode, Participation,
    PathCredit, PositionBased, RuleBased, TimeDecay, TwoTouch, WShaped,
};
pub use outcome::Outcome;
pub use table::{DEFAULT_MAX_PATH_LEN, PathTable, Row};
