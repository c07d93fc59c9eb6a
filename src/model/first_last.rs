//! Single-touch rules: first touch, last touch, last non-direct touch (the model reference,
//! §Rule-based models).

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use super::rules::{Scratch, TouchWeights, rule_model};
use crate::error::Result;
use crate::table::{PathTable, Row};

/// All credit to the first touch of each path.
///
/// ```text
/// ω = e_1
/// ```
///
/// # Complexity
/// O(R) time over R rows (one touch read per row), O(n) extra memory for n channels.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FirstTouch;

/// All credit to the last touch of each path.
///
/// ```text
/// ω = e_L
/// ```
///
/// # Complexity
/// O(R) time, O(n) extra memory.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LastTouch;

/// A rule that puts all the weight on one touch: its name and the position of that touch in a
/// path of `len` touches.
macro_rules! single_touch {
    ($model:ident, $name:literal, $position:expr) => {
        impl $model {
            fn model_name(&self) -> Cow<'static, str> {
                $name.into()
            }
        }

        impl TouchWeights for $model {
            type Prep = ();
            fn position_only(&self) -> bool {
                true
            }
            fn prepare(&self, _: &PathTable) -> Result<()> {
                Ok(())
            }
            fn weights(&self, _: &(), _: Row<'_>, _: &mut Scratch, out: &mut [f64]) -> Result<()> {
                let position: fn(usize) -> usize = $position;
                out[position(out.len())] = 1.0;
                Ok(())
            }
        }

        rule_model!($model);
    };
}

single_touch!(FirstTouch, "first_touch", |_| 0);
single_touch!(LastTouch, "last_touch", |len| len - 1);

/// All credit to the last touch that is not a direct visit (Google's "paid and organic last
/// click", Matomo's "last non-direct interaction"). A path of direct touches only keeps its last
/// touch (DP6's fallback).
///
/// ```text
/// t* = max{t : x_t ∉ D}, or L if every touch is in D;   ω = e_{t*}
/// ```
///
/// Channel names are matched exactly (case-sensitive) against `direct`; the default set is
/// `Direct`, `(direct)` and `direct`.
///
/// # Complexity
/// O(T) time over T touches in the worst case (a scan back from the end), O(n) extra memory.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LastNonDirect {
    /// Channel names treated as direct.
    pub direct: Vec<String>,
}

impl Default for LastNonDirect {
    fn default() -> Self {
        LastNonDirect {
            direct: ["Direct", "(direct)", "direct"]
                .into_iter()
                .map(String::from)
                .collect(),
        }
    }
}

impl LastNonDirect {
    /// A last non-direct model with the given direct channel names.
    pub fn new<I, S>(direct: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        LastNonDirect {
            direct: direct.into_iter().map(Into::into).collect(),
        }
    }

    fn model_name(&self) -> Cow<'static, str> {
        "last_non_direct".into()
    }
}

impl TouchWeights for LastNonDirect {
    /// `is_direct[id]`.
    type Prep = Vec<bool>;

    fn prepare(&self, table: &PathTable) -> Result<Vec<bool>> {
        let ch = table.channels();
        let mut is_direct = vec![false; ch.len()];
        for name in &self.direct {
            if let Some(id) = ch.get(name) {
                is_direct[id.index()] = true;
            }
        }
        Ok(is_direct)
    }

    fn weights(&self, d: &Vec<bool>, row: Row<'_>, _: &mut Scratch, out: &mut [f64]) -> Result<()> {
        let t = row
            .path
            .iter()
            .rposition(|id| !d[id.index()])
            .unwrap_or(row.path.len() - 1);
        out[t] = 1.0;
        Ok(())
    }
}

rule_model!(LastNonDirect);
