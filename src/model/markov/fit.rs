//! A fitted chain: removal effects, transitions and the attribution they give.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::attribution::Attribution;
use crate::error::{Error, Result};
use crate::outcome::Outcome;
use crate::table::PathTable;

use super::counts::Chain;
use super::{MODEL, OrderScore, ValueMode};

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
/// effects, from [`Markov::fit`](super::Markov::fit).
#[derive(Clone, Debug)]
pub struct MarkovFit {
    /// Channel names by id (the fitted table's vocabulary).
    pub(super) names: Vec<String>,
    pub(super) order: usize,
    pub(super) selection: Option<Vec<OrderScore>>,
    pub(super) value_mode: ValueMode,
    pub(super) totals: Outcome,
    pub(super) chain: Chain,
    pub(super) p_conv: f64,
    pub(super) re: Vec<f64>,
    pub(super) re_value: Vec<f64>,
    /// `(walks, converting walks)` when simulated.
    pub(super) simulated: Option<(u64, u64)>,
}

impl MarkovFit {
    /// The order k used (the chosen one for [`Order::Auto`](super::Order::Auto)).
    pub fn order(&self) -> usize {
        self.order
    }

    /// Cross-validated AUC of every order tried, for [`Order::Auto`](super::Order::Auto).
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

    /// RE_V(c) of `channel`: ChannelAttribution's value removal effect (§Conversion value). Computed in both
    /// value modes, used for crediting value only by [`ValueMode::ValueWeighted`]. 0 for every
    /// channel when the table has no value.
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
