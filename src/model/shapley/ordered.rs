//! Ordered Shapley: the simplified Shapley value resolved by touch position (the model
//! reference, §Shapley games / Ordered Shapley).

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::attribution::Attribution;
use crate::error::{Error, Result};
use crate::model::AttributionModel;
use crate::model::rules::require_conversions;
use crate::table::PathTable;
use crate::walk::fold_rows;

/// Channel × position credit whose positions sum back to the simplified Shapley value.
///
/// ```text
/// φ_i^(t) = Σ_{r : x_{r,t} = i} c_r / ( |S_r| · k_r(i) )      k_r(i) = touches of i in row r
/// Σ_t φ_i^(t) = φ_i = Σ_{T ∋ i} R(T)/|T|                       (the simplified Shapley value)
/// value: the same with v_r in place of c_r
/// ```
///
/// Each converting journey gives each distinct channel 1/|S| of its conversions, split equally
/// over the positions where the channel occurs (multiplicity-normalised; the first `ianchute`
/// implementation credits 1/|S| at *every* occurrence and is not efficient). Positions are
/// 1-based touch indices from the start of the path; positions beyond `max_positions` are added
/// to the last bucket.
///
/// The channel totals are those of [`Shapley`](crate::Shapley). Extras:
/// `"positions": {channel: [conversions at position 1, 2, …]}` and `"value_positions"` likewise,
/// every array of length min(`max_positions`, longest converting path).
///
/// On T2 ([model reference](crate::reference), §Shapley games / Ordered Shapley):
/// A (11/12, 3/4, 0, 1/3), B (7/6, 2/3, 2/3, 0), C (3/2, 1/3, 2/3, 0).
///
/// # Errors
/// [`Error::InvalidParameter`] if `max_positions` is 0; [`Error::NoConversions`] when the table
/// has no conversion.
///
/// # Complexity
/// O(T) time over T touches; O(n·P) extra memory per chunk of rows for n channels and
/// P = `max_positions`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ShapleyOrdered {
    /// Number of position buckets; touch `max_positions` and later share the last one
    /// (default 10).
    pub max_positions: usize,
}

impl Default for ShapleyOrdered {
    fn default() -> Self {
        ShapleyOrdered { max_positions: 10 }
    }
}

impl ShapleyOrdered {
    /// Checks the parameters.
    ///
    /// # Errors
    /// See the type's docs.
    pub fn validate(&self) -> Result<()> {
        if self.max_positions == 0 {
            return Err(Error::InvalidParameter {
                model: "shapley_ordered",
                name: "max_positions",
                reason: "must be >= 1".into(),
            });
        }
        Ok(())
    }
}

/// Per-chunk accumulator: credit by (channel, position bucket), flattened channel-major.
struct Acc {
    conversions: Vec<f64>,
    value: Vec<f64>,
    /// Touches of each channel in the current row (reset after each row).
    count: Vec<u32>,
    /// Longest converting path seen.
    longest: usize,
}

impl AttributionModel for ShapleyOrdered {
    fn name(&self) -> Cow<'static, str> {
        "shapley_ordered".into()
    }

    fn attribute(&self, table: &PathTable) -> Result<Attribution> {
        self.validate()?;
        let name = self.name();
        require_conversions(&name, table)?;
        let n = table.channels().len();
        let p = self.max_positions;
        let init = || Acc {
            conversions: vec![0.0; n * p],
            value: vec![0.0; n * p],
            count: vec![0; n],
            longest: 0,
        };
        let acc = fold_rows(
            table,
            init,
            |acc, _, row| {
                let o = row.outcome;
                if o.conversions == 0.0 {
                    return Ok(());
                }
                let mut distinct = 0usize;
                for id in row.path {
                    let k = &mut acc.count[id.index()];
                    distinct += usize::from(*k == 0);
                    *k += 1;
                }
                for (t, id) in row.path.iter().enumerate() {
                    let w = 1.0 / (distinct as f64 * f64::from(acc.count[id.index()]));
                    let cell = id.index() * p + t.min(p - 1);
                    acc.conversions[cell] += o.conversions * w;
                    acc.value[cell] += o.value * w;
                }
                for id in row.path {
                    acc.count[id.index()] = 0;
                }
                acc.longest = acc.longest.max(row.path.len());
                Ok(())
            },
            |a, b| {
                for (x, y) in a.conversions.iter_mut().zip(b.conversions) {
                    *x += y;
                }
                for (x, y) in a.value.iter_mut().zip(b.value) {
                    *x += y;
                }
                a.longest = a.longest.max(b.longest);
            },
        )?;
        let total =
            |cells: &[f64]| -> Vec<f64> { cells.chunks(p).map(|c| c.iter().sum()).collect() };
        let (conv, value) = (total(&acc.conversions), total(&acc.value));
        let shown = p.min(acc.longest);
        let by_channel = |cells: &[f64]| -> BTreeMap<&str, Vec<f64>> {
            table
                .channels()
                .iter()
                .map(|(id, name)| (name, cells[id.index() * p..][..shown].to_vec()))
                .collect()
        };
        let positions = by_channel(&acc.conversions);
        let value_positions = by_channel(&acc.value);
        Ok(Attribution::from_credit(name, table, &conv, &value)?
            .with_extra("positions", positions)
            .with_extra("value_positions", value_positions))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Outcome;

    #[test]
    fn tail_positions_share_the_last_bucket() {
        // A > B > C > D > A, 1 conversion, 4 distinct: A gets 1/8 at positions 1 and 5,
        // B, C, D 1/4 each. With 3 buckets positions 3, 4, 5 fall into bucket 3.
        let mut t = PathTable::new();
        t.add(["A", "B", "C", "D", "A"], Outcome::converted(1.0, 8.0))
            .unwrap();
        let a = ShapleyOrdered { max_positions: 3 }.attribute(&t).unwrap();
        let pos = &a.extras["positions"];
        assert_eq!(pos["A"], serde_json::json!([0.125, 0.0, 0.125]));
        assert_eq!(pos["C"], serde_json::json!([0.0, 0.0, 0.25]));
        assert_eq!(pos["D"], serde_json::json!([0.0, 0.0, 0.25]));
        assert_eq!(
            a.extras["value_positions"]["B"],
            serde_json::json!([0.0, 2.0, 0.0])
        );
        assert_eq!(a.conversions("A"), 0.25);
    }

    #[test]
    fn zero_positions_is_refused() {
        let mut t = PathTable::new();
        t.add(["A"], Outcome::converted(1.0, 1.0)).unwrap();
        assert!(matches!(
            ShapleyOrdered { max_positions: 0 }.attribute(&t),
            Err(Error::InvalidParameter {
                name: "max_positions",
                ..
            })
        ));
    }
}
