//! Simplified Shapley value of Zhao, Mahboobi and Bagheri (the model reference, §Shapley games /
//! Simplified Shapley).

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::model::linear::{Linear, LinearMode};
use crate::model::rules::{Scratch, TouchWeights, rule_model};
use crate::table::{PathTable, Row};

/// The simplified Shapley value (Zhao et al. 2018), the one Google Ads Data Hub uses.
///
/// The game: a coalition S of channels produces the conversions of every journey whose exact
/// channel set T lies inside S. Its Shapley value has a closed form:
///
/// ```text
/// R(T)   = Σ_{r : S_r = T} c_r                  conversions of journeys with channel set T
/// v(S)   = Σ_{T ⊆ S} R(T)
/// φ_i    = Σ_{T ∋ i} R(T) / |T|                 (exact: the Harsanyi dividends are R(T))
/// value  : the same with R_V(T) = Σ_{r : S_r = T} v_r
/// ```
///
/// So each converting journey's conversions (and value) are split equally among its *distinct*
/// channels: this is exactly [`Linear`] with [`LinearMode::PerDistinct`], computed here in the
/// same single pass. Null journeys are ignored (the game counts conversions, not rates).
/// [`RuleBased::path_credit`](crate::RuleBased::path_credit) puts a channel's 1/|S| on its first
/// touch; [`ShapleyOrdered`](crate::ShapleyOrdered) spreads it over the channel's touches and
/// reports positions.
///
/// On T2 ([model reference](crate::reference), §Shapley games / Simplified Shapley): A 2, B 5/2,
/// C 5/2.
///
/// # Errors
/// [`Error::NoConversions`](crate::Error::NoConversions) when the table has no conversion.
///
/// # Complexity
/// O(T) time over T touches, O(n) extra memory per chunk of rows (no 2^n anywhere).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shapley;

impl Shapley {
    /// Nothing to check: the model has no parameter.
    ///
    /// # Errors
    /// Never.
    pub fn validate(&self) -> Result<()> {
        Ok(())
    }

    fn model_name(&self) -> Cow<'static, str> {
        "shapley".into()
    }
}

/// The game's closed form: the weights are those of linear per distinct channel.
const PER_DISTINCT: Linear = Linear {
    mode: LinearMode::PerDistinct,
};

impl TouchWeights for Shapley {
    type Prep = ();

    fn prepare(&self, table: &PathTable) -> Result<()> {
        self.validate()?;
        PER_DISTINCT.prepare(table)
    }

    fn weights(&self, prep: &(), row: Row<'_>, s: &mut Scratch, out: &mut [f64]) -> Result<()> {
        PER_DISTINCT.weights(prep, row, s, out)
    }
}

rule_model!(Shapley);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{AttributionModel, Outcome, RuleBased};

    #[test]
    fn repeated_channel_counts_once() {
        // A > A > B: A and B each get 1/2 of 2 conversions and of 10 value.
        let mut t = PathTable::new();
        t.add(["A", "A", "B"], Outcome::new(2.0, 10.0, 5.0))
            .unwrap();
        let a = Shapley.attribute(&t).unwrap();
        assert_eq!(a.model, "shapley");
        assert_eq!((a.conversions("A"), a.value("A")), (1.0, 5.0));
        assert_eq!((a.conversions("B"), a.value("B")), (1.0, 5.0));
        assert_eq!(
            Shapley.path_credit(&t).unwrap().fractions(0),
            [0.5, 0.0, 0.5]
        );
    }

    #[test]
    fn no_conversions_is_an_error() {
        let mut t = PathTable::new();
        t.add(["A"], Outcome::null(3.0)).unwrap();
        assert!(matches!(
            Shapley.attribute(&t),
            Err(crate::Error::NoConversions { .. })
        ));
    }
}
