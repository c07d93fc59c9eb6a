//! Markov-chain attribution by removal effects, solved exactly at any order (the model
//! reference, §Markov chain).
//!
//! * `states`: states and transition counts from the table (§States, §Transition probabilities).
//! * `solve`: exact conversion probability and removal effects (§Base rate, §Exact solve).
//! * `monte_carlo`: ChannelAttribution's simulation, for comparisons (§Simulation).
//! * `order`: choosing the order by out-of-sample prediction (§Order selection).

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::attribution::Attribution;
use crate::error::{Error, Result};
use crate::model::AttributionModel;
use crate::outcome::Outcome;
use crate::table::PathTable;

mod monte_carlo;
mod order;
mod solve;
mod states;

pub use order::OrderScore;

use solve::Method;
use states::{Chain, StateRule};

const MODEL: &str = "markov";

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
    /// method above). [`MarkovFit::order_scores`] reports every order's AUC.
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
/// `RE(c) = G[start,c]·h(c) / (G[c,c]·h(start))`); higher orders solve each removed chain by
/// Gauss–Seidel to an estimated relative error of 1e-13, with a dense LU per removed chain as
/// the fallback on chains of at most 1,000 states where Gauss–Seidel converges too slowly.
///
/// Corner cases (§Corner cases): a table without conversions is an error; one without nulls works
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
/// converts.
///
/// # Complexity
/// With T touches, n channels, S observed states, E observed transitions:
/// * states and counts: O(T·k) time in parallel passes over the rows (one at order 1, two at
///   k ≥ 2: distinct states, then counts by state and next channel), no hashing while the
///   Σ_{l≤k} nˡ possible tuples number at most 2¹⁸. The chain takes O(S·k + E) memory; while
///   counting, chunks of rows keep their partial counts until they are merged (dense and tiny
///   at order 1 and for small state spaces, else 16 bytes per counted transition, at most
///   O(T + R) transiently, comparable to the table itself);
/// * order 1: O(S³) time and O(S²) memory (dense LU; above 1000 states the sparse solver is
///   used);
/// * order k ≥ 2: O((n + 1)·E·sweeps) multiply-adds, 8 removed chains per pass over the
///   transitions, blocks of 8 in parallel, O(S + E) plus O(8·S) memory per block; sweeps grow
///   with how long walks stay in the chain (about 30 on synthetic web paths for 1e-13); the
///   dense fallback costs O((n + 1)·S³);
/// * `Auto`: O(T·K) plus a sort of the distinct path suffixes, K = `max_order`;
/// * Monte Carlo: O(walks · steps · log d) for d transitions per state.
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
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
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
}

impl Markov {
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
                let s = solve::solve(&chain, n, method)?;
                let base = totals.conversions / totals.journeys();
                if (s.p_conv - base).abs() > 1e-9 * base {
                    return Err(Error::Numerical {
                        model: MODEL,
                        reason: format!(
                            "self-check failed: P(conv) = {} but C/(C+U) = {base} (Theorem M1)",
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

/// One transition of the fitted chain (see [`MarkovFit::transitions`]).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Transition {
    /// Source state.
    pub from: String,
    /// Target state.
    pub to: String,
    /// Estimated transition probability N(from, to) / N(from).
    pub probability: f64,
}

/// A fitted Markov model: the chain, its conversion probability and every channel's removal
/// effects, from [`Markov::fit`].
#[derive(Clone, Debug)]
pub struct MarkovFit {
    /// Channel names by id (the fitted table's vocabulary).
    names: Vec<String>,
    order: usize,
    selection: Option<Vec<OrderScore>>,
    value_mode: ValueMode,
    totals: Outcome,
    chain: Chain,
    p_conv: f64,
    re: Vec<f64>,
    re_value: Vec<f64>,
    /// `(walks, converting walks)` when simulated.
    simulated: Option<(u64, u64)>,
}

impl MarkovFit {
    /// The order k used (the chosen one for [`Order::Auto`]).
    pub fn order(&self) -> usize {
        self.order
    }

    /// Cross-validated AUC of every order tried, for [`Order::Auto`].
    pub fn order_scores(&self) -> Option<&[OrderScore]> {
        self.selection.as_deref()
    }

    /// P(conv) from `(start)`: C/(C + U) for the exact solver (the base rate), the fraction of
    /// converting walks for the simulation.
    pub fn conversion_probability(&self) -> f64 {
        self.p_conv
    }

    /// Number of channel states (tuples of at most k channels), without `(start)`,
    /// `(conversion)` and `(null)`.
    pub fn states(&self) -> usize {
        self.chain.states
    }

    /// Number of transitions with positive probability, those into `(conversion)` and `(null)`
    /// included (the rows of [`MarkovFit::transitions`]).
    pub fn transition_count(&self) -> usize {
        self.chain.transition_count()
    }

    /// True when the table has null journeys. Without them P(conv) = 1 by construction and
    /// removal effects are the probabilities of visiting each channel.
    pub fn has_nulls(&self) -> bool {
        self.totals.nulls > 0.0
    }

    /// Converting walks of the simulation (`None` for the exact solver).
    pub fn simulated_conversions(&self) -> Option<u64> {
        self.simulated.map(|(_, c)| c)
    }

    fn by_name<'a>(&'a self, v: &'a [f64]) -> Vec<(&'a str, f64)> {
        let mut out: Vec<(&str, f64)> = self
            .names
            .iter()
            .map(String::as_str)
            .zip(v.iter().copied())
            .collect();
        out.sort_unstable_by(|a, b| a.0.cmp(b.0));
        out
    }

    fn lookup(&self, v: &[f64], channel: &str) -> Option<f64> {
        self.names.iter().position(|n| n == channel).map(|i| v[i])
    }

    /// RE(c) of `channel` (`None` if the table does not know it).
    pub fn removal_effect(&self, channel: &str) -> Option<f64> {
        self.lookup(&self.re, channel)
    }

    /// Every channel's RE, sorted by channel name.
    pub fn removal_effects(&self) -> Vec<(&str, f64)> {
        self.by_name(&self.re)
    }

    /// RE_V(c) of `channel`: ChannelAttribution's value removal effect (§Conversion value),
    /// computed in both value modes, used for crediting value only by
    /// [`ValueMode::ValueWeighted`]. 0 for every channel when the table has no value.
    pub fn value_removal_effect(&self, channel: &str) -> Option<f64> {
        self.lookup(&self.re_value, channel)
    }

    /// Every channel's RE_V, sorted by channel name.
    pub fn value_removal_effects(&self) -> Vec<(&str, f64)> {
        self.by_name(&self.re_value)
    }

    /// Name of state `s` (`0` = `(start)`): its channels joined by `,`.
    fn state_name(&self, s: usize) -> String {
        if s == 0 {
            return "(start)".into();
        }
        let ch = self.chain.channels_of(s);
        let mut name = String::new();
        for (i, c) in ch.iter().enumerate() {
            if i > 0 {
                name.push(',');
            }
            name.push_str(&self.names[c.index()]);
        }
        name
    }

    /// The transition matrix as `(from, to, probability)` rows, in ChannelAttribution's
    /// vocabulary: states `(start)`, `(conversion)`, `(null)`, and channel states named by their
    /// channels joined with `,` (`"A"` at order 1, `"A,B"` for the window A > B at order 2; a
    /// path shorter than k is a shorter tuple). A channel name that itself contains `,` makes a
    /// joined name ambiguous; quote fields when writing CSV.
    ///
    /// Only transitions with positive probability are listed; probabilities out of each state
    /// sum to 1. Rows are sorted by source then target: `(start)` first, channel states by their
    /// channel names (tuple order), then `(conversion)` and `(null)`. This is the matrix the
    /// model uses (no self-transitions, §States), which differs from ChannelAttribution's
    /// `transition_matrix(flg_equal = TRUE)` only by keeping no self-loops.
    pub fn transitions(&self) -> Vec<Transition> {
        let s_count = self.chain.states;
        // Rank of each channel state by its tuple of names.
        let mut by_names: Vec<usize> = (1..=s_count).collect();
        let tuple = |s: usize| -> Vec<&str> {
            self.chain
                .channels_of(s)
                .iter()
                .map(|c| self.names[c.index()].as_str())
                .collect()
        };
        by_names.sort_by_cached_key(|&s| tuple(s));
        let mut rank = vec![0usize; s_count + 1];
        for (i, &s) in by_names.iter().enumerate() {
            rank[s] = i + 1;
        }
        let names: Vec<String> = (0..=s_count).map(|s| self.state_name(s)).collect();
        let mut rows: Vec<(usize, usize, Transition)> = Vec::with_capacity(self.transition_count());
        for s in 0..=s_count {
            let v = self.chain.visits[s];
            let absorbing = [
                (s_count + 1, "(conversion)", self.chain.n_conv[s]),
                (s_count + 2, "(null)", self.chain.n_null[s]),
            ];
            let transient = self
                .chain
                .out(s)
                .map(|(t, x)| (rank[t as usize], names[t as usize].as_str(), x));
            for (r, to, x) in transient.chain(absorbing) {
                if x > 0.0 {
                    rows.push((
                        rank[s],
                        r,
                        Transition {
                            from: names[s].clone(),
                            to: to.to_string(),
                            probability: x / v,
                        },
                    ));
                }
            }
        }
        rows.sort_unstable_by_key(|r| (r.0, r.1));
        rows.into_iter().map(|r| r.2).collect()
    }

    /// Credit per channel id: conv(c) = C·RE(c)/Σ RE, value per the value mode.
    fn credit(&self) -> Result<(Vec<f64>, Vec<f64>)> {
        let numerical = |reason: &str| Error::Numerical {
            model: MODEL,
            reason: reason.to_string(),
        };
        let spread = |weights: &[f64], total: f64| -> Option<Vec<f64>> {
            let sum: f64 = weights.iter().sum();
            (sum > 0.0).then(|| weights.iter().map(|w| total * w / sum).collect())
        };
        let (c, v) = (self.totals.conversions, self.totals.value);
        let conv = spread(&self.re, c).ok_or_else(|| numerical("every removal effect is 0"))?;
        let value = if v > 0.0 {
            let w = match self.value_mode {
                ValueMode::ValueWeighted => &self.re_value,
                ValueMode::Proportional => &self.re,
            };
            spread(w, v).ok_or_else(|| numerical("every value removal effect is 0"))?
        } else {
            vec![0.0; self.names.len()]
        };
        Ok((conv, value))
    }

    /// The attribution of the fitted table, with the extras `removal_effects`,
    /// `value_removal_effects` (value-weighted mode only), `conversion_probability`, `order`,
    /// `states`, `transitions` (the count), `solver`, `order_selection` (for `Auto`),
    /// `simulated_walks` and `simulated_conversions` (Monte Carlo), and `note` when the table
    /// has no nulls.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] if `table` is not the table that was fitted (different
    /// vocabulary or totals); [`Error::Numerical`] if a credit is not finite.
    pub fn attribution(&self, table: &PathTable) -> Result<Attribution> {
        let same_vocabulary = table.channels().len() == self.names.len()
            && table
                .channels()
                .iter()
                .all(|(id, n)| self.names[id.index()] == n);
        if !same_vocabulary || table.totals() != self.totals {
            return Err(Error::InvalidParameter {
                model: MODEL,
                name: "table",
                reason: "not the table this model was fitted on".into(),
            });
        }
        let (conv, value) = self.credit()?;
        let map = |v: Vec<(&str, f64)>| -> BTreeMap<String, f64> {
            v.into_iter().map(|(n, x)| (n.to_string(), x)).collect()
        };
        let mut a = Attribution::from_credit(MODEL, table, &conv, &value)?
            .with_extra("removal_effects", map(self.removal_effects()));
        if self.value_mode == ValueMode::ValueWeighted {
            a = a.with_extra("value_removal_effects", map(self.value_removal_effects()));
        }
        a = a
            .with_extra("conversion_probability", self.p_conv)
            .with_extra("order", self.order)
            .with_extra("states", self.states())
            .with_extra("transitions", self.transition_count());
        a = match self.simulated {
            None => a.with_extra("solver", "exact"),
            Some((walks, conversions)) => a
                .with_extra("solver", "monte_carlo")
                .with_extra("simulated_walks", walks)
                .with_extra("simulated_conversions", conversions),
        };
        if let Some(scores) = &self.selection {
            a = a.with_extra("order_selection", scores);
        }
        if !self.has_nulls() {
            a = a.with_extra(
                "note",
                "the table has no null journeys: P(conv) = 1 by construction, so removal \
                 effects are visit probabilities",
            );
        }
        Ok(a)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::fixtures::t2;

    #[test]
    fn dense_and_sparse_solvers_agree_at_order_1() {
        // T2 at order 1 (the model reference, §Markov worked examples): RE = 88/161, 71/126,
        // 199/357; RE_V = 457/805, 5/9, 1913/3570.
        let m = Markov::default();
        let dense = m.fit_with(&t2(), Method::Auto).unwrap();
        let sparse = m.fit_with(&t2(), Method::Sparse).unwrap();
        let want = [88.0 / 161.0, 71.0 / 126.0, 199.0 / 357.0];
        let want_v = [457.0 / 805.0, 5.0 / 9.0, 1913.0 / 3570.0];
        for fit in [&dense, &sparse] {
            for (i, (_, re)) in fit.removal_effects().into_iter().enumerate() {
                assert!((re - want[i]).abs() < 1e-12, "{re} vs {}", want[i]);
            }
            for (i, (_, re)) in fit.value_removal_effects().into_iter().enumerate() {
                assert!((re - want_v[i]).abs() < 1e-12, "{re} vs {}", want_v[i]);
            }
            assert!((fit.conversion_probability() - 7.0 / 15.0).abs() < 1e-14);
        }
    }

    fn t7() -> PathTable {
        let mut t = PathTable::new();
        t.add(["X", "A", "A", "X"], Outcome::new(1.0, 10.0, 0.0))
            .unwrap();
        t.add(["Z", "A", "A", "Z"], Outcome::new(0.0, 0.0, 1.0))
            .unwrap();
        t.add(["Z", "A", "X"], Outcome::new(1.0, 10.0, 1.0))
            .unwrap();
        t.add(["X", "A", "Z"], Outcome::new(0.0, 0.0, 1.0)).unwrap();
        t
    }

    fn assert_same_fit(a: &MarkovFit, b: &MarkovFit, tol: f64) {
        assert!((a.conversion_probability() - b.conversion_probability()).abs() < tol);
        let pairs = a.removal_effects().into_iter().zip(b.removal_effects());
        let value_pairs = a
            .value_removal_effects()
            .into_iter()
            .zip(b.value_removal_effects());
        for (x, y) in pairs.chain(value_pairs) {
            assert!((x.1 - y.1).abs() < tol, "{x:?} vs {y:?}");
        }
    }

    #[test]
    fn iterative_and_direct_solvers_agree_at_every_order() {
        for t in [t2(), t7()] {
            for k in 1..=4 {
                for collapse_repeats in [false, true] {
                    let m = Markov {
                        order: Order::Fixed(k),
                        collapse_repeats,
                        ..Markov::default()
                    };
                    let direct = m.fit_with(&t, Method::Direct).unwrap();
                    assert_same_fit(&m.fit_with(&t, Method::Sparse).unwrap(), &direct, 1e-12);
                    assert_same_fit(&m.fit_with(&t, Method::Auto).unwrap(), &direct, 1e-12);
                }
            }
        }
    }

    #[test]
    fn slow_gauss_seidel_falls_back_to_direct_solves() {
        // A > B repeated 1000 times: at order 2 the walk alternates between the states A,B and
        // B,A and leaves with probability about 1/2000 per step, so Gauss–Seidel would need
        // ~60,000 sweeps. All converting walks visit both channels: RE = 1, 1; P = 1/3 (base rate).
        let long: Vec<&str> = (0..2000)
            .map(|i| if i % 2 == 0 { "A" } else { "B" })
            .collect();
        let mut t = PathTable::new();
        t.add(&long, Outcome::new(1.0, 5.0, 1.0)).unwrap();
        t.add(["A"], Outcome::null(1.0)).unwrap();
        let m = Markov::with_order(2);
        assert!(matches!(
            m.fit_with(&t, Method::Sparse),
            Err(Error::Numerical { .. })
        ));
        let fit = m.fit(&t).unwrap();
        assert!((fit.conversion_probability() - 1.0 / 3.0).abs() < 1e-12);
        assert!((fit.removal_effect("A").unwrap() - 1.0).abs() < 1e-12);
        assert!((fit.removal_effect("B").unwrap() - 1.0).abs() < 1e-12);
    }

    /// Regression (found by proptest): on a non-converting cycle at order 2 Gauss–Seidel's
    /// change moved in bursts and a one-sweep rate estimate read ρ = 1, so the sparse solver
    /// gave up; the rate is now measured over several sweeps.
    #[test]
    fn gauss_seidel_converges_on_bursty_cycles() {
        let mut t = PathTable::new();
        t.add(["ch3"], Outcome::new(1.0, 0.0, 0.0)).unwrap();
        t.add(
            ["ch2", "ch2", "ch3", "ch0", "ch2", "ch2"],
            Outcome::new(0.0, 0.0, 1.0),
        )
        .unwrap();
        let m = Markov::with_order(2);
        let sparse = m.fit_with(&t, Method::Sparse).unwrap();
        let direct = m.fit_with(&t, Method::Direct).unwrap();
        assert_eq!(sparse.removal_effect("ch3"), Some(1.0));
        for (x, y) in direct
            .removal_effects()
            .into_iter()
            .zip(sparse.removal_effects())
        {
            assert!((x.1 - y.1).abs() <= 1e-12, "{x:?} {y:?}");
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

        /// Gauss–Seidel against dense solves of every removed chain, at orders 2 and 3.
        #[test]
        fn gauss_seidel_matches_dense_solves(
            rows in proptest::collection::vec(
                (proptest::collection::vec(0u8..4, 1..=6), 0u8..=3, 0u8..=3, 0u8..=9),
                1..10,
            ),
            k in 2usize..=3,
        ) {
            let t = random_table(&rows);
            let m = Markov::with_order(k);
            let direct = m.fit_with(&t, Method::Direct).unwrap();
            let sparse = m.fit_with(&t, Method::Sparse).unwrap();
            let pairs = direct.removal_effects().into_iter().zip(sparse.removal_effects());
            let value_pairs = direct.value_removal_effects().into_iter().zip(sparse.value_removal_effects());
            for (x, y) in pairs.chain(value_pairs) {
                proptest::prop_assert!((x.1 - y.1).abs() <= 1e-9, "{x:?} {y:?}");
            }
        }

        /// The one-factorisation solve (§Exact solve) against the per-channel iterative solves.
        #[test]
        fn m5_dense_matches_the_iterative_solver(
            rows in proptest::collection::vec(
                (proptest::collection::vec(0u8..5, 1..=6), 0u8..=3, 0u8..=3, 0u8..=9),
                1..10,
            )
        ) {
            let t = random_table(&rows);
            let m = Markov::default();
            let dense = m.fit_with(&t, Method::Auto).unwrap();
            let sparse = m.fit_with(&t, Method::Sparse).unwrap();
            let close = |a: f64, b: f64| (a - b).abs() <= 1e-9 * b.abs().max(1.0);
            for (x, y) in dense.removal_effects().iter().zip(sparse.removal_effects()) {
                proptest::prop_assert!(close(x.1, y.1), "{x:?} {y:?}");
            }
            for (x, y) in dense.value_removal_effects().iter().zip(sparse.value_removal_effects()) {
                proptest::prop_assert!(close(x.1, y.1), "{x:?} {y:?}");
            }
        }
    }

    /// A table from random rows `(path, conversions, nulls, value per conversion)`; the first
    /// row converts at least once.
    fn random_table(rows: &[(Vec<u8>, u8, u8, u8)]) -> PathTable {
        let mut t = PathTable::new();
        for (i, (path, c, u, v)) in rows.iter().enumerate() {
            let c = if i == 0 { (*c).max(1) } else { *c };
            let names: Vec<String> = path.iter().map(|x| format!("ch{x}")).collect();
            let o = Outcome::new(f64::from(c), f64::from(c) * f64::from(*v), f64::from(*u));
            t.add(&names, o).unwrap();
        }
        t
    }

    /// A table of several chunks (8192 rows each) so that the parallel passes really split.
    #[cfg(feature = "parallel")]
    fn many_rows() -> PathTable {
        let names = ["A", "B", "C", "D", "E", "F"];
        let mut t = PathTable::new();
        let mut x = 12345u64;
        let mut next = |m: u64| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x % m
        };
        while t.len() < 30_000 {
            let len = 1 + next(7) as usize;
            let path: Vec<&str> = (0..len).map(|_| names[next(6) as usize]).collect();
            let c = next(3) as f64;
            t.add(
                &path,
                Outcome::new(c, c * (1 + next(50)) as f64 / 3.0, next(4) as f64),
            )
            .unwrap();
        }
        t
    }

    #[cfg(feature = "parallel")]
    #[test]
    fn results_do_not_depend_on_the_thread_count() {
        let t = many_rows();
        let models = [
            Markov::default(),
            Markov::with_order(2),
            Markov::with_order(3),
            Markov {
                order: Order::auto(),
                ..Markov::default()
            },
            Markov {
                order: Order::Fixed(2),
                solver: Solver::monte_carlo(40_000, 9),
                ..Markov::default()
            },
        ];
        let run = |threads: usize| -> Vec<(f64, Vec<f64>, Vec<f64>)> {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            pool.install(|| {
                models
                    .iter()
                    .map(|m| {
                        let f = m.fit(&t).unwrap();
                        let re = f.removal_effects().into_iter().map(|x| x.1).collect();
                        let rv = f.value_removal_effects().into_iter().map(|x| x.1).collect();
                        (f.conversion_probability(), re, rv)
                    })
                    .collect()
            })
        };
        // Bit for bit.
        assert_eq!(run(1), run(3));
    }

    #[test]
    fn parameters_are_validated() {
        let bad = [
            Markov::with_order(0),
            Markov {
                order: Order::Auto {
                    max_order: 3,
                    folds: 1,
                    tolerance: 0.0,
                },
                ..Markov::default()
            },
            Markov {
                order: Order::Auto {
                    max_order: 3,
                    folds: 5,
                    tolerance: f64::NAN,
                },
                ..Markov::default()
            },
            Markov {
                solver: Solver::monte_carlo(0, 1),
                ..Markov::default()
            },
        ];
        for m in bad {
            assert!(
                matches!(m.fit(&t2()), Err(Error::InvalidParameter { .. })),
                "{m:?}"
            );
        }
        assert!(Markov::with_order(40).fit(&t2()).is_ok());
    }

    #[test]
    fn order_parses_from_the_command_line() {
        assert_eq!("3".parse::<Order>().unwrap(), Order::Fixed(3));
        assert_eq!(" Auto ".parse::<Order>().unwrap(), Order::auto());
        assert!("0".parse::<Order>().is_err());
        assert!("x".parse::<Order>().is_err());
    }

    #[test]
    fn attribution_refuses_another_table() {
        let fit = Markov::default().fit(&t2()).unwrap();
        let mut other = t2();
        other.add(["A"], Outcome::null(1.0)).unwrap();
        assert!(fit.attribution(&other).is_err());
        assert!(fit.attribution(&t2()).is_ok());
    }
}
