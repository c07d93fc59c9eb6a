//! Markov-chain attribution by removal effects, solved exactly at any order (the model
//! reference, §Markov chain).
//!
//! * `config`: the order, value mode and solver settings.
//! * `states`: states of the table's paths (§States); `counts`: transition counts and the
//!   estimated chain (§Transition probabilities).
//! * `fit`: the fitted chain, its removal effects and the attribution.
//! * `solve`: exact conversion probability and removal effects (§Base rate, §Exact solve).
//! * `monte_carlo`: ChannelAttribution's simulation, for comparisons (§Simulation).
//! * `order`: choosing the order by out-of-sample prediction (§Order selection).

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use crate::attribution::Attribution;
use crate::error::{Error, Result};
use crate::model::AttributionModel;
use crate::table::PathTable;

mod config;
mod counts;
mod dense;
mod elim;
mod fit;
mod gauss_seidel;
mod inverse;
mod monte_carlo;
mod order;
pub(crate) mod quality;
#[cfg(test)]
mod reach;
mod scc;
mod solve;
mod states;
mod symbolic;

pub use config::{Order, Solver, ValueMode};
pub use fit::{MarkovFit, Transition};
pub use order::OrderScore;

use counts::Chain;
use solve::Method;
use states::StateRule;

const MODEL: &str = "markov";

/// Markov-chain attribution: each channel's credit is its removal effect, the share of
/// conversions the chain loses when the channel is removed (the
/// [model reference](crate::reference), §Markov chain).
///
/// States are ChannelAttribution's: the last k channels of the path (sliding windows; a path of
/// at most k touches is one state), consecutive identical states merged. Transition counts weigh
/// every row by its journeys c + u. With G = (I − Q)⁻¹ the fundamental matrix of the
/// transient part and A_c the states containing channel c:
///
/// ```text
/// P(conv)   = h(start),  (I − Q) h = r_conv              (= C / (C + U): §Base rate)
/// P₋c(conv) = the same with every transition into A_c sent to (null)
/// RE(c)     = 1 − P₋c(conv) / P(conv)                    (0 ≤ RE ≤ 1, Σ RE ≥ 1)
/// conv(c)   = C · RE(c) / Σ_c' RE(c')
///
/// value-weighted (default):  m(s) = value / conversions of the rows ending in state s
///   RE_V(c)  = Σ_s m(s) [g(s) − g₋c(s)] R(s, conv) / Σ_s m(s) g(s) R(s, conv)
///   value(c) = V · RE_V(c) / Σ_c' RE_V(c')
/// proportional:  value(c) = V · RE(c) / Σ_c' RE(c')
/// ```
///
/// g and g₋c are the expected visits from `(start)` in the chain and in the removed chain.
/// Order 1 uses one factorisation for all channels (§Exact solve:
/// `RE(c) = G[start,c]·h(c) / (G[c,c]·h(start))`), dense or sparse; higher orders solve each
/// removed chain by Gauss–Seidel to an estimated relative error of 1e-13, with a dense LU per
/// removed chain as the fallback on chains of at most 1,000 states where Gauss–Seidel
/// converges too slowly.
///
/// Corner cases (§Corner cases): a table without conversions is an error; a table without nulls works
/// (P(conv) = 1 by construction, so removal effects are visit probabilities; the result carries a
/// `note`); a channel only in null paths gets credit only if the chain can reach a conversion
/// through it (T4 vs T4b); channels of the vocabulary absent from every weighted path get 0.
///
/// # Errors
/// [`Error::InvalidParameter`] for an order of 0, an order too large for the vocabulary (more
/// than 128 bits per state key, e.g. k > 12 at 1,000 channels), bad `Auto` settings or a
/// simulation with no walks; [`Error::NoConversions`] when C = 0; [`Error::Numerical`] if
/// Gauss–Seidel would need more than 20,000 sweeps on a chain of more than 1,000 states (only
/// on chains with cycles that walks almost never leave, e.g. paths thousands of touches long
/// alternating two channels; smaller chains fall back to dense solves) or no simulated walk
/// converts; [`Error::CostLimit`] when the estimated cost is above [`Markov::max_work`] or
/// [`Markov::max_walk_steps`].
///
/// # Complexity
/// With T touches, n channels, S observed states, E observed transitions:
/// * states and counts: O(T·k) time in parallel passes over the rows (one at order 1, two at
///   k ≥ 2: distinct states, then counts by state and next channel), no hashing while the
///   Σ_{l≤k} nˡ possible tuples number at most 2¹⁸. The chain takes O(S·k + E) memory; while
///   counting, chunks of rows keep their partial counts until they are merged (dense and tiny
///   at order 1 and for small state spaces, else 16 bytes per counted transition, at most
///   O(T + R) transiently, comparable to the table itself);
/// * order 1: a dense solve, S³ multiply-adds (a blocked LU without pivoting, S³/3, and the
///   diagonal of G, 2S³/3, both in parallel) and 8S² bytes, when it fits in 11,585 states
///   (1 GiB) and the limit; measured on two busy cores: 1,001 states in about 0.5 s of CPU,
///   3,001 states in about 5 s. Otherwise sparse elimination: Σ in(v)·out(v) fill-in updates
///   over the eliminated states, 48 bytes per filled entry, and 4m³/3 for a dense core of m
///   states (100,000 rows with 10,000 campaign keys: a core of 2,576, 10 s of CPU);
/// * order k ≥ 2: O((n + 1)·(E_a + Σ_k sweeps_k·E_k)) multiply-adds, with E_a the transitions
///   into states in no cycle (one pass) and E_k those into cyclic component k; 8 removed
///   chains per pass, blocks of 8 in parallel, O(S + E) plus 64·S bytes per thread; sweeps
///   grow with how long walks stay in the cycles (45–70 on 100k paths over 1,000 channels for
///   1e-13); the dense fallback costs O((n + 1)·S³);
/// * `Auto`: O(T·K) plus a sort of the distinct path suffixes, K = `max_order`;
/// * Monte Carlo: O(walks · steps · log d) for d transitions per state.
///
/// Every exact fit estimates its solve before starting it (see [`Markov::max_work`]) and a
/// simulation its steps ([`Markov::max_walk_steps`]); above the limit the fit is refused with
/// [`Error::CostLimit`], which names the limit and the estimate. With the defaults, order 1
/// runs the dense solver up to about 3,700 states; larger order-1 chains are factorised
/// sparsely (rare states eliminated first, a dense core of the rest, the diagonal of G from
/// the factors). That elimination is planned on the pattern first (exactly: nothing cancels),
/// and the plan's cost is checked against [`Markov::max_work`] before any numeric work: fast
/// when the chain is sparse, refused early when it fills in (a dense core of m states costs
/// 4m³/3).
///
/// ```
/// use touchpoint::{AttributionModel, Markov, Outcome, PathTable};
/// // Table T1 of the model reference (published answer: 0.2, 0.4, 0.4 conversions).
/// let mut t = PathTable::new();
/// t.add(["C1", "C2", "C3"], Outcome::new(1.0, 1000.0, 0.0))?;
/// t.add(["C1"], Outcome::null(1.0))?;
/// t.add(["C2", "C3"], Outcome::null(1.0))?;
/// let fit = Markov::default().fit(&t)?;
/// assert!((fit.conversion_probability() - 1.0 / 3.0).abs() < 1e-12);
/// assert!((fit.removal_effect("C1").unwrap() - 0.5).abs() < 1e-12);
/// let a = Markov::default().attribute(&t)?;
/// assert!((a.conversions("C2") - 0.4).abs() < 1e-12);
/// assert!((a.value("C1") - 200.0).abs() < 1e-9);
/// # Ok::<(), touchpoint::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Markov {
    /// Order of the chain (default 1).
    pub order: Order,
    /// Value crediting (default value-weighted, ChannelAttribution's).
    pub value_mode: ValueMode,
    /// Collapse consecutive repeated channels (`A > A > B` → `A > B`) before building states.
    /// Irrelevant at order 1; at k ≥ 2 it changes results (§Higher orders: T7), so it is off
    /// by default (ChannelAttribution builds states from the raw path).
    pub collapse_repeats: bool,
    /// Exact (default) or simulated.
    pub solver: Solver,
    /// Most multiply-adds the exact solver may need by its estimate (default
    /// [`Markov::DEFAULT_MAX_WORK`]): a fit whose solve would cost more is refused with
    /// [`Error::CostLimit`] before the solver allocates anything. The estimate is n³ for the
    /// dense order-1 solver (n = states + 1, up to 1,000), 400·U + m³ for the order-1
    /// elimination (U fill-in updates and a dense core of m states, both planned on the
    /// pattern first) and (channels + 1)·(U_a + 30·U_c)·14 for Gauss–Seidel (U_a and U_c the
    /// transitions + states outside and inside the cyclic components, 30 sweeps assumed, 14
    /// multiply-adds a lane update; on a chain of 10% or more of the limit, the sweeps of its
    /// first block of chains replace the assumed 30).
    #[serde(default = "default_max_work")]
    pub max_work: f64,
    /// Most simulated steps the Monte Carlo solver may need by its estimate, walks × (mean
    /// states per journey + 1), capped by the step limit (default
    /// [`Markov::DEFAULT_MAX_WALK_STEPS`]); above it the fit is refused with
    /// [`Error::CostLimit`].
    #[serde(default = "default_max_walk_steps")]
    pub max_walk_steps: f64,
}

fn default_max_work() -> f64 {
    Markov::DEFAULT_MAX_WORK
}

fn default_max_walk_steps() -> f64 {
    Markov::DEFAULT_MAX_WALK_STEPS
}

impl Default for Markov {
    fn default() -> Self {
        Markov {
            order: Order::default(),
            value_mode: ValueMode::default(),
            collapse_repeats: false,
            solver: Solver::default(),
            max_work: Markov::DEFAULT_MAX_WORK,
            max_walk_steps: Markov::DEFAULT_MAX_WALK_STEPS,
        }
    }
}

impl Markov {
    /// Default [`Markov::max_work`]: 5·10¹⁰ multiply-adds, under a minute of CPU (an order-1
    /// elimination whose dense core has 3,700 states, or which makes 1.25·10⁸ fill-in updates,
    /// takes 5–15 s on two busy cores).
    pub const DEFAULT_MAX_WORK: f64 = 5e10;

    /// Default [`Markov::max_walk_steps`]: 10⁹ simulated steps, about a minute on two cores.
    pub const DEFAULT_MAX_WALK_STEPS: f64 = 1e9;

    /// The default model at order `k`.
    pub fn with_order(k: usize) -> Markov {
        Markov {
            order: Order::Fixed(k),
            ..Markov::default()
        }
    }

    /// Checks the parameters.
    ///
    /// # Errors
    /// See the type's docs.
    pub fn validate(&self) -> Result<()> {
        let bad = |name, reason: String| Error::InvalidParameter {
            model: MODEL,
            name,
            reason,
        };
        match self.order {
            Order::Fixed(0) => return Err(bad("order", "must be ≥ 1".into())),
            Order::Fixed(_) => {}
            Order::Auto {
                max_order,
                folds,
                tolerance,
            } => {
                if max_order == 0 {
                    return Err(bad("max_order", "must be ≥ 1".into()));
                }
                if folds < 2 {
                    return Err(bad("folds", format!("{folds} must be ≥ 2")));
                }
                if !(tolerance.is_finite() && tolerance >= 0.0) {
                    return Err(bad(
                        "tolerance",
                        format!("{tolerance} must be finite and ≥ 0"),
                    ));
                }
            }
        }
        for (name, limit) in [
            ("max_work", self.max_work),
            ("max_walk_steps", self.max_walk_steps),
        ] {
            if limit.is_nan() || limit <= 0.0 {
                return Err(bad(
                    name,
                    format!("{limit} must be > 0 (infinity: no limit)"),
                ));
            }
        }
        if let Solver::MonteCarlo {
            walks, max_steps, ..
        } = self.solver
        {
            if walks == 0 {
                return Err(bad("walks", "must be ≥ 1".into()));
            }
            if max_steps == Some(0) {
                return Err(bad("max_steps", "must be ≥ 1".into()));
            }
        }
        Ok(())
    }

    /// Fits the chain to `table` and computes every channel's removal effects.
    ///
    /// The exact solver checks the base rate on its own answer: a conversion probability that
    /// differs from C/(C + U) by more than 1e-9 (relative) is reported as
    /// [`Error::Numerical`] rather than returned.
    ///
    /// # Errors
    /// See the type's docs.
    ///
    /// # Complexity
    /// See the type's docs.
    pub fn fit(&self, table: &PathTable) -> Result<MarkovFit> {
        self.fit_with(table, Method::Auto)
    }

    fn fit_with(&self, table: &PathTable, method: Method) -> Result<MarkovFit> {
        self.validate()?;
        let totals = table.totals();
        // Counts are validated finite and >= 0 on the way into the table.
        if totals.conversions <= 0.0 {
            return Err(Error::NoConversions {
                model: MODEL.to_string(),
            });
        }
        let (order, selection) = match self.order {
            Order::Fixed(k) => (k, None),
            Order::Auto {
                max_order,
                folds,
                tolerance,
            } => {
                let (k, scores) =
                    order::choose(table, self.collapse_repeats, max_order, folds, tolerance)?;
                (k, Some(scores))
            }
        };
        let rule = StateRule {
            order,
            collapse: self.collapse_repeats,
        };
        let simulate = matches!(self.solver, Solver::MonteCarlo { .. });
        let with_pool = simulate && self.value_mode == ValueMode::ValueWeighted;
        let chain = Chain::build(table, rule, with_pool)?;
        let n = table.channels().len();
        let (p_conv, re, re_value, simulated) = match self.solver {
            Solver::Exact => {
                let plan = solve::Plan::new(&chain, n, self.max_work);
                if method == Method::Auto && plan.work > self.max_work {
                    return Err(max_work_error(
                        self.max_work,
                        plan.work,
                        plan.describe(&chain),
                    ));
                }
                let s = solve::solve(&chain, n, method, self.max_work)?;
                let base = totals.conversions / totals.journeys();
                if (s.p_conv - base).abs() > 1e-9 * base {
                    return Err(Error::Numerical {
                        model: MODEL,
                        reason: format!(
                            "self-check failed: P(conv) = {} but C/(C+U) = {base} (the base rate)",
                            s.p_conv
                        ),
                    });
                }
                (s.p_conv, s.re, s.re_value, None)
            }
            Solver::MonteCarlo {
                walks,
                max_steps,
                seed,
            } => {
                let cap = max_steps.unwrap_or(chain.max_states);
                let per_walk = (chain.visits[1..].iter().sum::<f64>() / chain.visits[0] + 1.0)
                    .min(cap as f64 + 1.0);
                let steps = walks as f64 * per_walk;
                if steps > self.max_walk_steps {
                    return Err(Error::CostLimit {
                        model: MODEL,
                        limit: "max_walk_steps",
                        allowed: self.max_walk_steps,
                        cost: steps,
                        estimate: format!(
                            "{walks} simulated walks of about {per_walk:.1} steps each need \
                             about {steps:.1e} steps"
                        ),
                    });
                }
                let s = monte_carlo::simulate(&chain, n, walks, cap, seed)?;
                let p = s.conversions as f64 / walks as f64;
                (p, s.re, s.re_value, Some((walks, s.conversions)))
            }
        };
        Ok(MarkovFit {
            names: table
                .channels()
                .iter()
                .map(|(_, s)| s.to_string())
                .collect(),
            order,
            selection,
            value_mode: self.value_mode,
            totals,
            chain,
            p_conv,
            re,
            re_value,
            simulated,
        })
    }
}

impl AttributionModel for Markov {
    fn name(&self) -> Cow<'static, str> {
        MODEL.into()
    }

    fn attribute(&self, table: &PathTable) -> Result<Attribution> {
        self.fit(table)?.attribution(table)
    }
}

/// The refusal of an exact solve whose estimated `cost` (multiply-adds, described in
/// `estimate`) is above `max_work` (`allowed`): one message shape for every solver.
pub(crate) fn max_work_error(allowed: f64, cost: f64, estimate: String) -> Error {
    Error::CostLimit {
        model: MODEL,
        limit: "max_work",
        allowed,
        cost,
        estimate,
    }
}

#[cfg(test)]
mod tests;
