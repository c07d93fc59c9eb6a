//! Fitted rule-based models: the rule is the fit.

use std::any::Any;

use serde::{Deserialize, Serialize};

use super::TouchCredit;
use crate::error::Result;
use crate::model::rules::{Scratch, TouchWeights, path_credit_by_weights};
use crate::model::{
    FirstTouch, LastNonDirect, LastTouch, Linear, Participation, PositionBased, Shapley, TimeDecay,
    WShaped,
};
use crate::table::PathTable;

/// The configuration of a fitted rule-based model.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[non_exhaustive]
#[allow(missing_docs)] // each variant is the model of the same name
pub enum RuleSpec {
    FirstTouch(FirstTouch),
    LastTouch(LastTouch),
    LastNonDirect(LastNonDirect),
    Linear(Linear),
    PositionBased(PositionBased),
    WShaped(WShaped),
    Participation(Participation),
    TimeDecay(TimeDecay),
    Shapley(Shapley),
}

/// Calls `$body` with `$w` bound to the rule's model.
macro_rules! with_rule {
    ($spec:expr, $w:ident => $body:expr) => {
        match $spec {
            RuleSpec::FirstTouch($w) => $body,
            RuleSpec::LastTouch($w) => $body,
            RuleSpec::LastNonDirect($w) => $body,
            RuleSpec::Linear($w) => $body,
            RuleSpec::PositionBased($w) => $body,
            RuleSpec::WShaped($w) => $body,
            RuleSpec::Participation($w) => $body,
            RuleSpec::TimeDecay($w) => $body,
            RuleSpec::Shapley($w) => $body,
        }
    };
}

/// A rule's prepared table data, kept between calls of a scorer while the vocabulary of its
/// one-row table does not grow (so a warm scorer does not allocate).
pub(crate) type PrepCache = Option<(usize, Box<dyn Any + Send + Sync>)>;

fn row_weights<W>(
    w: &W,
    table: &PathTable,
    scratch: &mut Scratch,
    cache: &mut PrepCache,
    out: &mut [f64],
) -> Result<()>
where
    W: TouchWeights,
    W::Prep: Send + 'static,
{
    let n = table.channels().len();
    let warm = matches!(cache, Some((len, p)) if *len == n && p.is::<W::Prep>());
    if !warm {
        *cache = Some((n, Box::new(w.prepare(table)?)));
    }
    match cache
        .as_ref()
        .and_then(|(_, p)| p.downcast_ref::<W::Prep>())
    {
        Some(prep) => w.weights(prep, table.row(0), scratch, out),
        // Unreachable: the cache was just filled with a `W::Prep`.
        None => w.weights(&w.prepare(table)?, table.row(0), scratch, out),
    }
}

impl RuleSpec {
    /// Writes the weights of the only row of `table` into `out` (zero-filled, one per touch).
    pub(crate) fn single_row(
        &self,
        table: &PathTable,
        scratch: &mut Scratch,
        cache: &mut PrepCache,
        out: &mut [f64],
    ) -> Result<()> {
        with_rule!(self, w => row_weights(w, table, scratch, cache, out))
    }

    /// Per-touch credit of every row of `table`, appended to `out`. Rows without conversions get
    /// zero credit, as in the aggregate.
    pub(crate) fn credit_table(&self, table: &PathTable, out: &mut Vec<TouchCredit>) -> Result<()> {
        let fractions = with_rule!(self, w => path_credit_by_weights(table, w))?;
        for (r, row) in table.rows().enumerate() {
            let o = row.outcome;
            out.extend(fractions.fractions(r).iter().map(|&f| {
                if o.conversions == 0.0 {
                    TouchCredit::default()
                } else {
                    TouchCredit {
                        conversions: o.conversions * f,
                        value: o.value * f,
                    }
                }
            }));
        }
        Ok(())
    }
}
