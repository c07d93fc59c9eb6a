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
pub use shao_li::ShaoLi;
pub use simplified::Shapley;
