//! Shapley-value attribution and Shao & Li's probabilistic model (the model reference, §Shapley
//! games).
//!
//! | model | type | name | game | cost |
//! |---|---|---|---|---|
//! | simplified Shapley (Zhao et al.) | [`Shapley`] | `shapley` | v(S) = conversions of journeys with set ⊆ S | O(T) |
//! | ordered Shapley | [`ShapleyOrdered`] | `shapley_ordered` | the same, by touch position | O(T) |
//! | exact-set rate (DP6) | [`ShapleyRate`] | `shapley_rate` | per converting set T, v(S) = CR of set S exactly | Σ_T 2^\|T\| |
//! | global rate | [`ShapleyGlobal`] | `shapley_global` | v(S) = CR of journeys with set ⊆ S | O(n·2^n) |
//! | Shao & Li | [`ShaoLi`] | `shao_li` | not a game: pairwise conditional probabilities | O(Σ_S \|S\|²) |
//!
//! T = touches, n = channels, S = distinct channel sets. The rate games are computed exactly up
//! to a configurable size and by seeded permutation sampling (antithetic pairs, standard errors
//! reported) beyond it; their credits can be negative and are never clamped.

mod game;
mod ordered;
mod rate;
mod sets;
mod shao_li;
mod simplified;

pub use ordered::ShapleyOrdered;
pub use rate::{
    GLOBAL_EXACT_LIMIT, RATE_EXACT_LIMIT, SHAPLEY_DEFAULT_SEED, ShapleyGlobal, ShapleyRate,
};
pub use shao_li::{SHAO_LI_DEFAULT_MAX_PAIRS, ShaoLi};
pub use simplified::Shapley;

use crate::attribution::Attribution;
use crate::error::{Error, Result, relative_error};
use crate::outcome::sum_compensated;

/// Relative tolerance of the efficiency check of [`check_efficiency`].
pub(crate) const EFFICIENCY_TOL: f64 = 1e-9;

/// Checks that the credit of `a` sums (compensated) to its totals within [`EFFICIENCY_TOL`]
/// (relative; absolute when a total is 0), and that the credits are small enough for their own
/// rounding to stay within it (Σ|credit| · ε ≤ tolerance · total). An efficient model whose credit misses its totals
/// lost precision (credits of opposite signs cancelling, counts of very different magnitudes),
/// and its numbers would be silently wrong: that is an [`Error::Inefficient`] saying `reason`.
pub(crate) fn check_efficiency(a: Attribution, reason: &'static str) -> Result<Attribution> {
    let conv: Vec<f64> = a.channels.iter().map(|c| c.conversions).collect();
    let value: Vec<f64> = a.channels.iter().map(|c| c.value).collect();
    for (what, credit, total) in [
        ("conversions", &conv, a.total_conversions),
        ("value", &value, a.total_value),
    ] {
        let sum = sum_compensated(credit.iter());
        let err = relative_error(sum, total);
        // Credits so large that their own rounding (half an ulp each) exceeds the tolerance
        // cannot be trusted to sum to the total either, even when they happen to.
        let mass: f64 = credit.iter().map(|c| c.abs()).sum();
        let noise = mass * f64::EPSILON;
        // A NaN error (a NaN credit) fails too.
        if err.is_nan() || err > EFFICIENCY_TOL || noise > EFFICIENCY_TOL * total.abs() {
            return Err(Error::Inefficient {
                model: a.model.clone(),
                what,
                sum,
                total,
                reason,
            });
        }
    }
    Ok(a)
}
