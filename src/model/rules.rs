//! The shared engine of the rule-based models: each model only says how one path's credit is
//! split over its touches (its weight vector: the model reference, §Conventions / Credit);
//! walking the table, accumulating credit and building path-level credit live here, once.

use crate::attribution::Attribution;
use crate::channel::ChannelId;
use crate::error::{Error, Result};
use crate::table::{PathTable, Row};
use crate::walk::{ChannelSums, PerTouch, fold_rows};

/// Per-chunk scratch space handed to [`TouchWeights::weights`]: a stamp array to find the first
/// occurrence of each channel in O(L) without allocating.
#[derive(Debug)]
pub(crate) struct Scratch {
    stamp: Vec<u32>,
    generation: u32,
}

impl Scratch {
    /// Scratch space for a table of `channels` channels.
    pub fn new(channels: usize) -> Self {
        Scratch {
            stamp: vec![0; channels],
            generation: 0,
        }
    }

    /// Number of channels it has room for.
    pub fn len(&self) -> usize {
        self.stamp.len()
    }

    /// Starts a new row: every channel becomes unseen.
    pub fn next_row(&mut self) {
        self.generation = self.generation.wrapping_add(1);
        if self.generation == 0 {
            self.stamp.fill(0);
            self.generation = 1;
        }
    }

    /// True the first time `id` is seen in the current row.
    pub fn first_visit(&mut self, id: ChannelId) -> bool {
        let s = &mut self.stamp[id.index()];
        let first = *s != self.generation;
        *s = self.generation;
        first
    }

    /// Number of distinct channels in `path` (starts a new row).
    pub fn distinct(&mut self, path: &[ChannelId]) -> usize {
        self.next_row();
        path.iter().filter(|&&id| self.first_visit(id)).count()
    }
}

/// How a rule-based model splits one path's credit over its touches.
pub(crate) trait TouchWeights: Sync {
    /// Table-level data computed once per run (for example which ids are direct channels).
    type Prep: Sync;

    /// Validates the parameters and prepares for `table`.
    fn prepare(&self, table: &PathTable) -> Result<Self::Prep>;

    /// Writes the weight of each touch of `row` into `out` (`out.len() == row.path.len()`,
    /// zero-filled on entry).
    fn weights(
        &self,
        prep: &Self::Prep,
        row: Row<'_>,
        scratch: &mut Scratch,
        out: &mut [f64],
    ) -> Result<()>;

    /// Do the weights depend on the touches' positions and times alone, never on which
    /// channels they are? Then the model is additive over key levels
    /// ([`AttributionModel::additive_over_levels`](crate::AttributionModel::additive_over_levels)).
    fn position_only(&self) -> bool {
        false
    }
}

/// Runs a rule-based model: Σ_r c_r·ω_t(r) per channel (and v_r for value).
pub(crate) fn credit_by_weights<W: TouchWeights>(
    name: &str,
    table: &PathTable,
    model: &W,
) -> Result<Attribution> {
    let sums = channel_sums(name, table, model)?;
    Attribution::from_credit(name, table, &sums.conversions, &sums.value)
}

/// The per-channel sums behind [`credit_by_weights`] (for models that post-process them).
pub(crate) fn channel_sums<W: TouchWeights>(
    name: &str,
    table: &PathTable,
    model: &W,
) -> Result<ChannelSums> {
    let prep = model.prepare(table)?;
    require_conversions(name, table)?;
    let n = table.channels().len();
    let init = || (ChannelSums::new(n), Scratch::new(n), Vec::<f64>::new());
    let acc = fold_rows(
        table,
        init,
        |(sums, scratch, w), _, row| {
            let o = row.outcome;
            if o.conversions == 0.0 {
                return Ok(()); // null rows earn nothing in rule-based models
            }
            w.clear();
            w.resize(row.path.len(), 0.0);
            model.weights(&prep, row, scratch, w)?;
            for (&id, &wt) in row.path.iter().zip(w.iter()) {
                sums.conversions[id.index()] += o.conversions * wt;
                sums.value[id.index()] += o.value * wt;
            }
            Ok(())
        },
        |a, b| a.0.merge(b.0),
    )?;
    Ok(acc.0)
}

/// Refuses a table without conversions (every model is undefined there).
pub(crate) fn require_conversions(name: &str, table: &PathTable) -> Result<()> {
    if table.totals().conversions > 0.0 {
        Ok(())
    } else {
        Err(Error::NoConversions {
            model: name.to_string(),
        })
    }
}

/// Path-level credit: for every row of a table, the fraction of the row's conversions (and
/// value) each touch receives.
///
/// Aligned with the table it was computed from: `fractions(r)[t]` belongs to touch `t` of row
/// `r`. Multiply by the row's conversions or value for absolute credit. Null rows get the
/// fractions they would get if they converted.
#[derive(Clone, Debug, PartialEq)]
pub struct PathCredit {
    fractions: PerTouch<f64>,
}

impl PathCredit {
    /// Number of rows.
    pub fn len(&self) -> usize {
        self.fractions.len()
    }

    /// True when there is no row.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Fractions of row `r`'s credit per touch.
    ///
    /// # Panics
    /// If `r >= self.len()`.
    pub fn fractions(&self, r: usize) -> &[f64] {
        self.fractions.row(r)
    }
}

/// Rule-based models can also say how each row's credit is split over its touches, so a service
/// can join credit back to its journeys.
///
/// ```
/// use touchpoint::{Outcome, PathTable, PositionBased, RuleBased};
/// let mut t = PathTable::new();
/// t.add(["Display", "Search", "Email", "Direct"], Outcome::converted(1.0, 100.0))?;
/// let pc = PositionBased::default().path_credit(&t)?;
/// assert_eq!(pc.fractions(0), &[0.4, 0.1, 0.1, 0.4]);
/// # Ok::<(), touchpoint::Error>(())
/// ```
pub trait RuleBased: crate::AttributionModel {
    /// Per-touch fractions of every row (see [`PathCredit`]).
    ///
    /// # Errors
    /// As [`AttributionModel::attribute`](crate::AttributionModel::attribute), except that a
    /// table without conversions is fine.
    fn path_credit(&self, table: &PathTable) -> Result<PathCredit>;
}

pub(crate) fn path_credit_by_weights<W: TouchWeights>(
    table: &PathTable,
    model: &W,
) -> Result<PathCredit> {
    let prep = model.prepare(table)?;
    let n = table.channels().len();
    let init = || (Vec::<f64>::new(), Scratch::new(n));
    let (fractions, _) = fold_rows(
        table,
        init,
        |(out, scratch), _, row| {
            let start = out.len();
            out.resize(start + row.path.len(), 0.0);
            model.weights(&prep, row, scratch, &mut out[start..])
        },
        |a, b| a.0.extend_from_slice(&b.0),
    )?;
    Ok(PathCredit {
        fractions: PerTouch::aligned(fractions, table),
    })
}

/// Implements [`AttributionModel`](crate::AttributionModel) and [`RuleBased`] for a type that
/// implements [`TouchWeights`] and has a `fn model_name(&self) -> Cow<'static, str>`.
macro_rules! rule_model {
    ($t:ident) => {
        impl $crate::model::AttributionModel for $t {
            fn name(&self) -> std::borrow::Cow<'static, str> {
                self.model_name()
            }
            fn attribute(&self, table: &$crate::PathTable) -> $crate::Result<$crate::Attribution> {
                $crate::model::rules::credit_by_weights(&self.model_name(), table, self)
            }
            fn fit(&self, table: &$crate::PathTable) -> $crate::Result<$crate::fit::FittedModel> {
                let attribution = self.attribute(table)?;
                let rule = $crate::fit::RuleSpec::$t(self.clone());
                Ok($crate::fit::FittedModel::rule(attribution, rule))
            }
            fn additive_over_levels(&self) -> bool {
                $crate::model::rules::TouchWeights::position_only(self)
            }
        }
        impl $crate::model::RuleBased for $t {
            fn path_credit(
                &self,
                table: &$crate::PathTable,
            ) -> $crate::Result<$crate::model::PathCredit> {
                $crate::model::rules::path_credit_by_weights(table, self)
            }
        }
    };
}
pub(crate) use rule_model;

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(v: &[u32]) -> Vec<ChannelId> {
        v.iter().map(|&i| ChannelId(i)).collect()
    }

    #[test]
    fn scratch_counts_distinct_channels_per_row() {
        let mut s = Scratch::new(4);
        assert_eq!(s.distinct(&ids(&[0, 1, 0, 2, 1])), 3);
        assert_eq!(s.distinct(&ids(&[3, 3, 3])), 1);
        assert_eq!(s.distinct(&ids(&[0, 1, 2, 3])), 4);
    }

    #[test]
    fn scratch_survives_generation_wraparound() {
        let mut s = Scratch::new(3);
        s.next_row();
        assert!(s.first_visit(ChannelId(1)));
        // Jump to the last generation: the stamp of channel 1 must not alias after the wrap.
        s.generation = u32::MAX - 1;
        s.stamp[2] = 1;
        assert_eq!(s.distinct(&ids(&[2, 2, 0])), 2); // generation u32::MAX
        assert_eq!(s.distinct(&ids(&[1, 2, 1])), 2); // wraps: stamps reset, generation 1
        assert_eq!(s.generation, 1);
        assert_eq!(s.distinct(&ids(&[1, 2, 0])), 3);
    }
}
