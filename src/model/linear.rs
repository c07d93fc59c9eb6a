//! Linear (equal-split) attribution in its three conventions (the model reference,
//! §Rule-based models / Linear).

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use super::rules::{Scratch, TouchWeights, rule_model};
use crate::error::Result;
use crate::table::{PathTable, Row};

/// How [`Linear`] splits a path's credit.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum LinearMode {
    /// Every touch gets 1/L; a channel gets k/L for k touches (ChannelAttribution, DP6, Google).
    #[default]
    PerTouch,
    /// Every distinct channel gets 1/|S| (mta's default; equals the simplified Shapley value).
    PerDistinct,
    /// Per touch after collapsing consecutive repeats (`A > A > B` counts as `A > B`).
    PerRun,
}

/// Equal split of each conversion over the path.
///
/// ```text
/// per touch:    ω_t = 1/L
/// per distinct: ω_t = 1/|S| at the first occurrence of each channel, 0 elsewhere
/// per run:      ω_t = 1/(number of runs) at the first touch of each run of equal channels
/// ```
///
/// Path `A > A > B`: per touch A 2/3, B 1/3; per distinct and per run A 1/2, B 1/2.
///
/// # Complexity
/// O(T) time over T touches, O(n) extra memory per chunk of rows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Linear {
    /// The convention.
    pub mode: LinearMode,
}

impl Linear {
    /// Linear with the given convention.
    pub fn new(mode: LinearMode) -> Self {
        Linear { mode }
    }

    fn model_name(&self) -> Cow<'static, str> {
        match self.mode {
            LinearMode::PerTouch => "linear",
            LinearMode::PerDistinct => "linear_distinct",
            LinearMode::PerRun => "linear_run",
        }
        .into()
    }
}

impl TouchWeights for Linear {
    type Prep = ();

    /// Per touch only: distinct channels and runs depend on which channels the touches are.
    fn position_only(&self) -> bool {
        self.mode == LinearMode::PerTouch
    }

    fn prepare(&self, _: &PathTable) -> Result<()> {
        Ok(())
    }

    fn weights(&self, _: &(), row: Row<'_>, s: &mut Scratch, out: &mut [f64]) -> Result<()> {
        let p = row.path;
        match self.mode {
            LinearMode::PerTouch => out.fill(1.0 / p.len() as f64),
            LinearMode::PerDistinct => {
                let w = 1.0 / s.distinct(p) as f64;
                s.next_row();
                for (o, &id) in out.iter_mut().zip(p) {
                    if s.first_visit(id) {
                        *o = w;
                    }
                }
            }
            LinearMode::PerRun => {
                let runs = 1 + p.windows(2).filter(|w| w[0] != w[1]).count();
                let w = 1.0 / runs as f64;
                for t in 0..p.len() {
                    if t == 0 || p[t] != p[t - 1] {
                        out[t] = w;
                    }
                }
            }
        }
        Ok(())
    }
}

rule_model!(Linear);
