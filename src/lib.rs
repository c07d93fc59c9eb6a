//! Multi-touch marketing attribution: split the credit (and revenue) of conversions among the
//! marketing touchpoints on the way, with rule-based models, an exact Markov-chain removal
//! effect, Shapley values, and bootstrap confidence intervals, over aggregated path tables that
//! can be built in shards and merged.
//!
//! The primary types are [`PathTable`] (conversion paths with their outcomes, stored flat with
//! channels interned to [`ChannelId`]s), the [`AttributionModel`] trait that every model
//! implements, and [`Attribution`], a model's per-channel answer. [`formats::read_paths`] reads
//! ChannelAttribution's `path,total_conversions,total_conversion_value,total_null` CSV;
//! [`bootstrap::Bootstrap`] wraps any model with confidence intervals.
//!
//! # Quick start
//!
//! Table T2 of the [model reference](crate::reference#worked-tables), by hand: linear credit
//! per touch is A = 25/12, B = 5/2, C = 29/12 of the 7 conversions.
//!
//! ```
//! use touchpoint::{AttributionModel, Linear, Outcome, PathTable, PositionBased};
//!
//! let mut table = PathTable::new();
//! for (path, conversions, value, nulls) in [
//!     ("A > B > C", 2.0, 20.0, 1.0),
//!     ("A > A > B", 1.0, 15.0, 2.0),
//!     ("B", 1.0, 5.0, 3.0),
//!     ("C > A", 1.0, 10.0, 1.0),
//!     ("B > C > B > A", 1.0, 12.0, 0.0),
//!     ("C", 1.0, 8.0, 1.0),
//! ] {
//!     table.add(path.split('>').map(str::trim), Outcome::new(conversions, value, nulls))?;
//! }
//! let linear = Linear::default().attribute(&table)?;
//! assert!((linear.conversions("A") - 25.0 / 12.0).abs() < 1e-12);
//! assert!((linear.conversions("C") - 29.0 / 12.0).abs() < 1e-12);
//! let u = PositionBased::u_shaped().attribute(&table)?;
//! assert!((u.conversions("C") - 2.4).abs() < 1e-12);
//! # Ok::<(), touchpoint::Error>(())
//! ```
//!
//! # Errors and panics
//!
//! Every fallible function returns [`Result`] with the crate's one [`Error`] enum. Input
//! problems carry a [`Location`] (the line of the file) and a [`ParseProblem`]; parameter
//! problems name the model and the parameter. Bad input never panics. Readers can skip bad rows
//! instead ([`formats::BadRows::Skip`]); every skip is counted and reported.
//!
//! # Determinism and floating point
//!
//! Output is sorted by channel name, never by hash-map or interning order. Passes over rows are
//! cut into chunks whose size depends only on the table, folded independently (in parallel with
//! the default `parallel` feature) and combined in chunk order, so results are identical to the
//! last bit on any number of threads. Counts may be fractional (`f64`); whole-number counts below
//! 2^53 sum exactly, so merging shards of whole-number tables gives identical tables.
//! Randomness (bootstrap) is seeded and keyed by row content, never by row position.
//!
//! # Models
//!
//! See [`model`] for the list with definitions, complexity and memory. The
//! [model reference](crate::reference) gives each model's definition, conventions, edge cases
//! and worked examples with their numbers, and how touchpoint differs from ChannelAttribution,
//! DP6 and mta.
#![deny(missing_docs)]
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![doc(test(attr(deny(warnings))))]

pub mod analytics;
mod attribution;
pub mod bootstrap;
mod buffers;
mod channel;
pub mod codec;
#[cfg(feature = "datafusion")]
pub mod datafusion;
mod error;
pub mod events;
pub mod fit;
#[cfg(test)]
mod fixtures;
pub mod formats;
mod hash;
pub mod html;
mod journey;
pub mod levels;
pub mod model;
mod outcome;
mod par;
pub mod pipeline;
#[cfg(feature = "plot")]
#[cfg_attr(docsrs, doc(cfg(feature = "plot")))]
pub mod plot;
pub mod reference;
pub mod registry;
pub mod report;
pub mod spend;
pub mod synth;
pub mod synth_truth;
mod table;
mod table_serde;
mod tag_index;
mod time;
mod walk;

/// The README's code blocks, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
mod readme_doctest {}

pub use attribution::{Attribution, ChannelCredit, CreditTriple, INTERVAL_COLUMNS, LONG_COLUMNS};
pub use channel::{ChannelId, Channels, RESERVED_NAMES};
pub use error::{CsvSyntax, Error, Location, ParseProblem, PlotProblem, Result};
pub use journey::{Journey, Touchpoint};
pub use model::{
    AdditiveHazard, AttributionModel, Dda, DdaFit, FirstTouch, HazardFit, LastNonDirect, LastTouch,
    Linear, LinearMode, Logistic, LogisticFit, Markov, MarkovFit, Order, OrderScore, Participation,
    PathCredit, PositionBased, RuleBased, ShaoLi, Shapley, ShapleyGlobal, ShapleyOrdered,
    ShapleyRate, Solver, TimeDecay, Transition, TwoTouch, ValueMode, WShaped,
};
pub use outcome::Outcome;
pub use table::{DEFAULT_MAX_PATH_LEN, PathTable, Row};
