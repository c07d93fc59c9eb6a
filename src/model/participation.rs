//! Participation: every channel on a converting path gets the full conversion (the model
//! reference, §Rule-based models / Participation).

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use super::rules::{Scratch, TouchWeights, channel_sums, path_credit_by_weights};
use crate::attribution::Attribution;
use crate::error::Result;
use crate::fit::{FittedModel, RuleSpec};
use crate::model::{AttributionModel, PathCredit, RuleBased};
use crate::table::{PathTable, Row};

/// Participation: each distinct channel of a converting path receives the path's full
/// conversions and value.
///
/// ```text
/// raw:        conv(ch) = Σ_{r : ch ∈ S_r} c_r                   (Σ_ch conv(ch) ≥ C: not efficient)
/// normalized: conv(ch) = C · raw(ch) / Σ_ch' raw(ch')           (value likewise with V)
/// ```
///
/// The raw form answers "in how many conversions did the channel take part" (its `share` is
/// that fraction of C); the normalized form is efficient and equals Markov attribution at
/// full-history order ([model reference](crate::reference), §Markov chain / Higher orders).
///
/// # Complexity
/// O(T) time over T touches, O(n) extra memory per chunk of rows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Participation {
    /// Rescale so that credit sums to the table's totals.
    pub normalized: bool,
}

impl Participation {
    /// Raw participation.
    pub fn raw() -> Self {
        Participation { normalized: false }
    }

    /// Normalized participation.
    pub fn normalized() -> Self {
        Participation { normalized: true }
    }
}

impl TouchWeights for Participation {
    type Prep = ();

    fn prepare(&self, _: &PathTable) -> Result<()> {
        Ok(())
    }

    fn weights(&self, _: &(), row: Row<'_>, s: &mut Scratch, out: &mut [f64]) -> Result<()> {
        s.next_row();
        for (o, &id) in out.iter_mut().zip(row.path) {
            if s.first_visit(id) {
                *o = 1.0;
            }
        }
        Ok(())
    }
}

impl AttributionModel for Participation {
    fn name(&self) -> Cow<'static, str> {
        if self.normalized {
            "participation_normalized".into()
        } else {
            "participation".into()
        }
    }

    fn attribute(&self, table: &PathTable) -> Result<Attribution> {
        let name = self.name();
        let mut sums = channel_sums(&name, table, self)?;
        if self.normalized {
            let totals = table.totals();
            for (credit, total) in [
                (&mut sums.conversions, totals.conversions),
                (&mut sums.value, totals.value),
            ] {
                let raw = crate::outcome::sum_compensated(credit.iter());
                let k = if raw > 0.0 { total / raw } else { 0.0 };
                credit.iter_mut().for_each(|x| *x *= k);
            }
        }
        let a = Attribution::from_credit(name, table, &sums.conversions, &sums.value)?;
        if self.normalized {
            return crate::model::shapley::check_efficiency(
                a,
                "the rescaled credits lost precision (counts of very different magnitudes)",
            );
        }
        Ok(a)
    }

    /// The raw form is a rule (1 to every distinct channel of a journey); the normalized form
    /// rescales over the whole table, so its journeys are split by calibrated weights.
    fn fit(&self, table: &PathTable) -> Result<FittedModel> {
        let attribution = self.attribute(table)?;
        if self.normalized {
            FittedModel::calibrated(attribution, table)
        } else {
            Ok(FittedModel::rule(
                attribution,
                RuleSpec::Participation(*self),
            ))
        }
    }
}

impl RuleBased for Participation {
    /// Per-touch fractions of the raw form: 1 at the first occurrence of each channel (the
    /// normalized form rescales globally, not per path).
    fn path_credit(&self, table: &PathTable) -> Result<PathCredit> {
        path_credit_by_weights(table, self)
    }
}
