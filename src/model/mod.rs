//! The attribution models, all behind one object-safe trait.
//!
//! | model | type | name(s) | time | extra memory |
//! |---|---|---|---|---|
//! | first / last touch | [`FirstTouch`], [`LastTouch`] | `first_touch`, `last_touch` | O(T) | O(n) |
//! | last non-direct | [`LastNonDirect`] | `last_non_direct` | O(T) | O(n) |
//! | linear | [`Linear`] | `linear`, `linear_distinct`, `linear_run` | O(T) | O(n) |
//! | position-based | [`PositionBased`] | `position_based`, `j_curve`, `inverse_j` (+ `_split_middle`) | O(T) | O(n) |
//! | W-shaped | [`WShaped`] | `w_shaped` | O(T) | O(n) |
//! | participation | [`Participation`] | `participation`, `participation_normalized` | O(T) | O(n) |
//! | time decay | [`TimeDecay`] | `time_decay` | O(T) | O(n) |
//! | simplified Shapley | [`Shapley`] | `shapley` | O(T) | O(n) |
//! | ordered Shapley | [`ShapleyOrdered`] | `shapley_ordered` | O(T) | O(n·P) |
//! | exact-set rate Shapley | [`ShapleyRate`] | `shapley_rate` | O(T + Σ_T 2^\|T\|) | O(S) |
//! | global rate Shapley | [`ShapleyGlobal`] | `shapley_global` | O(T + n·2^n) | O(S + 2^n) |
//! | Shao & Li | [`ShaoLi`] | `shao_li` | O(T + Σ_S \|S\|²) | O(S + pairs) |
//! | Markov chain (removal effects) | [`Markov`] | `markov` | O(T·k) + solve (see [`Markov`]) | O(S·k + E) |
//!
//! T = total touches of the table (Σ path lengths), n = channels; for Markov, k = order,
//! S = observed states, E = observed transitions. Rule-based models make one
//! pass over the rows (in parallel with the `parallel` feature; see the crate docs on
//! determinism) and keep one credit accumulator per channel and per chunk of rows.

use std::borrow::Cow;

use crate::attribution::Attribution;
use crate::error::Result;
use crate::fit::FittedModel;
use crate::table::PathTable;

pub(crate) mod dda;
mod first_last;
mod linear;
mod markov;
mod participation;
mod position;
pub(crate) mod rules;
mod shapley;
mod time_decay;

pub use dda::{
    AdditiveHazard, Coefficient, DDA_EXACT_LIMIT, Dda, DdaFit, FitQuality, HazardCredit, HazardFit,
    HazardInteraction, HazardParameter, Interactions, Logistic, LogisticFit,
};
pub use first_last::{FirstTouch, LastNonDirect, LastTouch};
pub use linear::{Linear, LinearMode};
pub use markov::{Markov, MarkovFit, Order, OrderScore, Solver, Transition, ValueMode};
pub use participation::Participation;
pub use position::{PositionBased, TwoTouch, WShaped};
pub use rules::{PathCredit, RuleBased};
pub use shapley::{
    GLOBAL_EXACT_LIMIT, RATE_EXACT_LIMIT, SHAO_LI_DEFAULT_MAX_PAIRS, SHAPLEY_DEFAULT_SEED, ShaoLi,
    Shapley, ShapleyGlobal, ShapleyOrdered, ShapleyRate,
};
pub use time_decay::TimeDecay;

/// Every attribution model.
///
/// Object safe: a caller can hold `Vec<Box<dyn AttributionModel>>` and run them all on one table.
/// Implementations validate their parameters first and never panic: every failure is an
/// [`Error`](crate::Error).
///
/// ```
/// use touchpoint::{AttributionModel, FirstTouch, Linear, LastTouch, Outcome, PathTable};
/// let mut t = PathTable::new();
/// t.add(["Search", "Email", "Direct"], Outcome::converted(3.0, 30.0))?;
/// t.add(["Email"], Outcome::converted(1.0, 5.0))?;
/// let models: Vec<Box<dyn AttributionModel>> =
///     vec![Box::new(FirstTouch), Box::new(LastTouch), Box::new(Linear::default())];
/// for m in &models {
///     let a = m.attribute(&t)?;
///     assert!((a.credited_conversions() - 4.0).abs() < 1e-12);
/// }
/// assert_eq!(models[2].attribute(&t)?.conversions("Email"), 2.0);
/// # Ok::<(), touchpoint::Error>(())
/// ```
pub trait AttributionModel: Send + Sync + std::fmt::Debug {
    /// Stable `lower_snake` name used in reports and by the `attribute` example (`linear`,
    /// `markov`, …).
    fn name(&self) -> Cow<'static, str>;

    /// Credits every channel of `table`.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`](crate::Error::InvalidParameter) for a bad configuration,
    /// [`Error::NoConversions`](crate::Error::NoConversions) when the table has no conversion,
    /// and model-specific errors documented on each model.
    fn attribute(&self, table: &PathTable) -> Result<Attribution>;

    /// Fits the model on `table`: its aggregate attribution plus what it needs to credit any
    /// journey touch by touch (see [`crate::fit`]).
    ///
    /// The provided method calibrates channel weights to the aggregate (the split of
    /// table-level models); rule-based models return their rule instead.
    ///
    /// # Errors
    /// As [`AttributionModel::attribute`].
    fn fit(&self, table: &PathTable) -> Result<FittedModel> {
        FittedModel::calibrated(self.attribute(table)?, table)
    }

    /// Is the model additive over key levels: does the roll-up of its credit at a finer level
    /// ([`crate::levels::KeyLevels::rollup`]) equal its credit at the coarser level? True for
    /// models that credit each touch by its position or time alone (first and last touch,
    /// linear per touch, the position-based family, time decay); false by default. See
    /// [`crate::levels`].
    fn additive_over_levels(&self) -> bool {
        false
    }
}
