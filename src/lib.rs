//! Multi-touch marketing attribution.
#![deny(missing_docs)]
#![doc(test(attr(deny(warnings))))]

mod attribution;
mod channel;
mod error;
pub mod formats;
mod journey;
pub mod model;
mod outcome;
mod table;
mod walk;

pub use attribution::{Attribution, ChannelCredit};
pub use channel::{ChannelId, Channels, RESERVED_NAMES};
pub use error::{Error, Location, ParseProblem, Result};
pub use journey::{Journey, Touchpoint};
pub use model::{
    AttributionModel, FirstTouch, LastNonDirect, LastTouch, Linear, LinearMode, Markov, MarkovFit,
    Order, OrderScore, Participation, PathCredit, PositionBased, RuleBased, Solver, TimeDecay,
    Transition, TwoTouch, ValueMode, WShaped,
};
pub use outcome::Outcome;
pub use table::{DEFAULT_MAX_PATH_LEN, PathTable, Row};
