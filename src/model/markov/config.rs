//! The model's configuration: the order, the value mode and the solver.

use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

use super::MODEL;

/// The order k of the chain: fixed, or chosen from the data by out-of-sample prediction of
/// conversion (`Auto`, in the spirit of Anderl et al. 2016 and ChannelAttribution's
/// `choose_order`; [model reference](crate::reference), §Markov chain / Order selection).
///
/// # Method
///
/// 1. **Folds.** Every row (a distinct modelled path with its journeys) goes to fold
///    `hash(channel names of the path) mod F`. The hash is a fixed 64-bit function of the names,
///    so the split is deterministic and does not depend on row order, on channel ids or on
///    threads. Folds are by path, not by journey: a held-out path was never seen in training,
///    which is exactly where high orders overfit.
/// 2. **Prediction.** Under the order-k chain, a journey that ended after the state sequence
///    s₁ … s_m has probability Π P(sᵢ, sᵢ₊₁)·P(s_m, end) of ending with `end`; the product over
///    the path cancels, so the posterior probability that it converted is
///
///    ```text
///    p_k(path) = N(s_m, conv) / (N(s_m, conv) + N(s_m, null))
///    ```
///
///    with the counts of the training folds and s_m the path's last state (its last k
///    channels). This is also ChannelAttribution's `choose_order` predictor. A last state not
///    seen ending a training journey gets the training folds' conversion rate.
/// 3. **Score.** The held-out predictions of all folds are pooled and scored by the area under
///    the ROC curve, every row weighted by its conversions (positives) and nulls (negatives),
///    ties counting one half.
/// 4. **Choice.** The smallest k whose AUC is within `tolerance` of the best AUC over
///    `1..=max_order` (higher orders must earn their exponentially larger state space). A table
///    without nulls has no negatives, hence no AUC: order 1 is chosen.
///
/// Orders whose suffixes cannot be numbered in 64 bits (beyond 3 with a million channels) are
/// not tried.
///
/// # Complexity
/// `Auto` costs O(T + R·K) for T touches, R rows and K = `max_order`, plus a sort of the
/// distinct (path suffix, fold) pairs per order; it builds no chain.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Order {
    /// States are the last k channels (k ≥ 1).
    Fixed(usize),
    /// The smallest k in `1..=max_order` whose out-of-sample AUC of conversion prediction is
    /// within `tolerance` of the best, estimated over `folds` folds of distinct paths (see the
    /// method above). [`MarkovFit::order_scores`](super::MarkovFit::order_scores) reports every order's AUC.
    Auto {
        /// Largest order tried (default 4).
        max_order: usize,
        /// Number of folds (default 5, at least 2).
        folds: usize,
        /// AUC a smaller order may lose to the best and still be chosen (default 0.001).
        tolerance: f64,
    },
}

impl Default for Order {
    fn default() -> Self {
        Order::Fixed(1)
    }
}

impl Order {
    /// `Auto` with the defaults: orders 1–4, 5 folds, tolerance 0.001.
    pub fn auto() -> Order {
        Order::Auto {
            max_order: 4,
            folds: 5,
            tolerance: 1e-3,
        }
    }
}

impl FromStr for Order {
    type Err = Error;

    /// `"auto"` → [`Order::auto`], `"3"` → `Order::Fixed(3)` (the CLI's `--order K|auto`).
    fn from_str(s: &str) -> Result<Order> {
        let s = s.trim();
        if s.eq_ignore_ascii_case("auto") {
            return Ok(Order::auto());
        }
        match s.parse::<usize>() {
            Ok(k) if k >= 1 => Ok(Order::Fixed(k)),
            _ => Err(Error::InvalidParameter {
                model: MODEL,
                name: "order",
                reason: format!("`{s}` is neither an order ≥ 1 nor `auto`"),
            }),
        }
    }
}

/// How conversion value is credited ([model reference](crate::reference), §Markov chain /
/// Conversion value).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ValueMode {
    /// ChannelAttribution's value removal effects: value(c) = V·RE_V(c)/Σ RE_V, where RE_V
    /// weights each conversion by the mean value of the conversions that end in the same last
    /// state (the exact limit of its simulation).
    #[default]
    ValueWeighted,
    /// value(c) = V·RE(c)/Σ RE (DP6, mta).
    Proportional,
}

/// How the removal effects are computed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Solver {
    /// Exact absorption probabilities (the limit of the simulation as walks → ∞).
    #[default]
    Exact,
    /// ChannelAttribution's simulation: `walks` walks from `(start)`, each cut (as a
    /// non-conversion) after `max_steps` channel states (`None`: the most states of any path in
    /// the data, ChannelAttribution's default), random numbers from ChaCha8 seeded with `seed`.
    /// Results depend on `(walks, max_steps, seed)` only, not on the thread count.
    MonteCarlo {
        /// Number of simulated walks (ChannelAttribution starts at 100,000).
        walks: u64,
        /// Most channel states per walk.
        max_steps: Option<usize>,
        /// Seed of the generator.
        seed: u64,
    },
}

impl Solver {
    /// The simulation with ChannelAttribution's default step cap.
    pub fn monte_carlo(walks: u64, seed: u64) -> Solver {
        Solver::MonteCarlo {
            walks,
            max_steps: None,
            seed,
        }
    }
}
