//! Crediting tables and single journeys under a fitted conversion model (shared by `logistic`
//! and `dda`).

use std::hash::{Hash, Hasher};

use rustc_hash::FxHasher;
use serde::{Deserialize, Serialize};

use super::features::{Prepared, Summary};
use super::game::{Credit, Sampling, fractions};
use super::logistic::{LogisticFit, LogitGame};
use super::quality::row_seed;
use crate::attribution::Attribution;
use crate::error::{Error, Result};
use crate::model::rules::require_conversions;
use crate::table::PathTable;
use crate::walk::fold_rows;

impl Sampling {
    /// Exact Shapley values for every journey size this crate accepts in practice.
    pub(crate) fn exact() -> Sampling {
        Sampling {
            max_exact: 20,
            pairs: 2,
            seed: 0,
        }
    }
}

/// Channel name → index of a fitted vocabulary, by binary search over the names in order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct ChannelLookup {
    /// `(name, index)` sorted by name.
    sorted: Vec<(String, u32)>,
}

impl ChannelLookup {
    pub fn new(names: &[String]) -> ChannelLookup {
        let mut sorted: Vec<(String, u32)> = names
            .iter()
            .enumerate()
            .map(|(i, n)| (n.clone(), i as u32))
            .collect();
        sorted.sort();
        ChannelLookup { sorted }
    }

    pub fn get(&self, name: &str) -> Option<u32> {
        self.sorted
            .binary_search_by(|(n, _)| n.as_str().cmp(name))
            .ok()
            .map(|i| self.sorted[i].1)
    }
}

/// Fractions of one summarised journey per touch into `out` (length = touches); returns the
/// game's outcome. Touches of unknown channels get 0; a journey without a known touch is
/// split equally among its touches.
fn journey_fractions(
    fit: &LogisticFit,
    s: &Summary,
    prep: &mut Prepared,
    credit: Credit,
    sampling: Sampling,
    scratch: &mut (Vec<f64>, Vec<f64>),
    out: &mut [f64],
) -> super::game::Outcome {
    if s.ch.is_empty() {
        let n = out.len() as f64;
        out.iter_mut().for_each(|o| *o = 1.0 / n);
        return super::game::Outcome {
            sampled: false,
            degenerate: true,
        };
    }
    fit.design.prepare(&fit.beta, s, prep);
    let game = LogitGame {
        design: &fit.design,
        prep,
    };
    let (phi, se) = scratch;
    let o = fractions(&game, credit, sampling, phi, se);
    for (o, &i) in out.iter_mut().zip(&s.touch_of) {
        *o = if i == u32::MAX {
            0.0
        } else {
            phi[i as usize] / f64::from(s.count[i as usize])
        };
    }
    o
}

/// Per-touch fractions of a journey given by names (see [`LogisticFit::touch_shares`]). The
/// sampling seed is mixed with the journey's content exactly as for a table row, so a fitted
/// row gets the same split either way.
pub(crate) fn touch_shares(
    fit: &LogisticFit,
    path: &[&str],
    times: Option<&[i64]>,
    converted_at: Option<i64>,
    out: &mut [f64],
    credit: Credit,
    mut sampling: Sampling,
) -> Result<()> {
    fit.design.check(fit.beta.len(), "logistic")?;
    if out.len() != path.len() {
        return Err(Error::InvalidParameter {
            model: "logistic",
            name: "out",
            reason: format!(
                "{} slots for a journey of {} touches",
                out.len(),
                path.len()
            ),
        });
    }
    if path.is_empty() {
        return Ok(());
    }
    let mut h = FxHasher::default();
    sampling.seed.hash(&mut h);
    for n in path {
        n.hash(&mut h);
    }
    times.hash(&mut h);
    converted_at.hash(&mut h);
    sampling.seed = h.finish();
    let mut s = Summary::default();
    let mut slot = vec![u32::MAX; fit.channels.len()];
    s.build(path.iter().map(|n| fit.lookup.get(n)), &mut slot);
    let mut scratch = (Vec::new(), Vec::new());
    journey_fractions(
        fit,
        &s,
        &mut Prepared::default(),
        credit,
        sampling,
        &mut scratch,
        out,
    );
    Ok(())
}

/// A credited table with what the crediting found.
pub(crate) struct Credited {
    pub attribution: Attribution,
    pub degenerate: usize,
    pub sampled: usize,
    /// Per channel (by table id) standard error of the credited conversions from sampling.
    pub se: Vec<f64>,
}

struct Acc {
    conv: Vec<f64>,
    value: Vec<f64>,
    var: Vec<f64>,
    degenerate: usize,
    sampled: usize,
    s: Summary,
    slot: Vec<u32>,
    prep: Prepared,
    scratch: (Vec<f64>, Vec<f64>),
    frac: Vec<f64>,
}

/// Credits every converting row of `table` under `fit`.
pub(crate) fn credit_table(
    fit: &LogisticFit,
    table: &PathTable,
    model: &str,
    credit: Credit,
    sampling: Sampling,
) -> Result<Credited> {
    require_conversions(model, table)?;
    fit.design.check(fit.beta.len(), "logistic")?;
    let n = table.channels().len();
    let remap: Vec<Option<u32>> = table
        .channels()
        .iter()
        .map(|(_, name)| fit.lookup.get(name))
        .collect();
    let m = fit.channels.len();
    let acc = fold_rows(
        table,
        || Acc {
            conv: vec![0.0; n],
            value: vec![0.0; n],
            var: vec![0.0; n],
            degenerate: 0,
            sampled: 0,
            s: Summary::default(),
            slot: vec![u32::MAX; m],
            prep: Prepared::default(),
            scratch: (Vec::new(), Vec::new()),
            frac: Vec::new(),
        },
        |a, _, row| {
            let o = row.outcome;
            if o.conversions <= 0.0 {
                return Ok(());
            }
            a.s.build(row.path.iter().map(|id| remap[id.index()]), &mut a.slot);
            a.frac.clear();
            a.frac.resize(row.path.len(), 0.0);
            let mut smp = sampling;
            smp.seed = row_seed(table, &row, sampling.seed);
            let out = journey_fractions(
                fit,
                &a.s,
                &mut a.prep,
                credit,
                smp,
                &mut a.scratch,
                &mut a.frac,
            );
            a.degenerate += usize::from(out.degenerate);
            a.sampled += usize::from(out.sampled);
            for (&id, &f) in row.path.iter().zip(&a.frac) {
                a.conv[id.index()] += o.conversions * f;
                a.value[id.index()] += o.value * f;
            }
            if out.sampled {
                // The channel's whole fraction has standard error se[i].
                for i in 0..a.s.ch.len() {
                    let id = row
                        .path
                        .iter()
                        .zip(&a.s.touch_of)
                        .find(|(_, t)| **t == i as u32)
                        .map(|(id, _)| id.index());
                    if let Some(id) = id {
                        a.var[id] += (o.conversions * a.scratch.1[i]).powi(2);
                    }
                }
            }
            Ok(())
        },
        |a, b| {
            for i in 0..n {
                a.conv[i] += b.conv[i];
                a.value[i] += b.value[i];
                a.var[i] += b.var[i];
            }
            a.degenerate += b.degenerate;
            a.sampled += b.sampled;
        },
    )?;
    let attribution = Attribution::from_credit(model, table, &acc.conv, &acc.value)?;
    Ok(Credited {
        attribution,
        degenerate: acc.degenerate,
        sampled: acc.sampled,
        se: acc.var.iter().map(|v| v.sqrt()).collect(),
    })
}

/// The fitted model's expected removal effects over every journey of `table` (see
/// [`Logistic`](super::Logistic)): per channel (by table id) Σ_r (s_r + f_r)·(p̂(r) − p̂(r ∖ c)),
/// the same weighted by the row's value per conversion (the table's mean for null rows), and
/// Σ_r (s_r + f_r)·p̂(r).
pub(crate) struct Effects {
    pub conversions: Vec<f64>,
    pub value: Vec<f64>,
    pub predicted: f64,
}

pub(crate) fn expected_removal(fit: &LogisticFit, table: &PathTable) -> Result<Effects> {
    fit.design.check(fit.beta.len(), "logistic")?;
    let totals = table.totals();
    let mean_value = if totals.conversions > 0.0 {
        totals.value / totals.conversions
    } else {
        0.0
    };
    let n = table.channels().len();
    let remap: Vec<Option<u32>> = table
        .channels()
        .iter()
        .map(|(_, name)| fit.lookup.get(name))
        .collect();
    let m = fit.channels.len();
    struct A {
        conv: Vec<f64>,
        value: Vec<f64>,
        predicted: f64,
        s: Summary,
        slot: Vec<u32>,
        prep: Prepared,
        phi: Vec<f64>,
        ids: Vec<usize>,
    }
    let acc = fold_rows(
        table,
        || A {
            conv: vec![0.0; n],
            value: vec![0.0; n],
            predicted: 0.0,
            s: Summary::default(),
            slot: vec![u32::MAX; m],
            prep: Prepared::default(),
            phi: Vec::new(),
            ids: Vec::new(),
        },
        |a, _, row| {
            let o = row.outcome;
            let w = o.journeys();
            if w <= 0.0 {
                return Ok(());
            }
            a.s.build(row.path.iter().map(|id| remap[id.index()]), &mut a.slot);
            fit.design.prepare(&fit.beta, &a.s, &mut a.prep);
            let game = LogitGame {
                design: &fit.design,
                prep: &a.prep,
            };
            let members = vec![true; a.s.ch.len()];
            a.predicted += w * super::game::Game::value(&game, &members);
            if a.s.ch.is_empty() {
                return Ok(());
            }
            super::game::removal(&game, &mut a.phi);
            // Table id of each distinct channel.
            a.ids.clear();
            a.ids.resize(a.s.ch.len(), usize::MAX);
            for (&id, &t) in row.path.iter().zip(&a.s.touch_of) {
                if t != u32::MAX {
                    a.ids[t as usize] = id.index();
                }
            }
            let per = if o.conversions > 0.0 {
                o.value / o.conversions
            } else {
                mean_value
            };
            for (&id, &r) in a.ids.iter().zip(&a.phi) {
                a.conv[id] += w * r;
                a.value[id] += w * r * per;
            }
            Ok(())
        },
        |a, b| {
            for i in 0..n {
                a.conv[i] += b.conv[i];
                a.value[i] += b.value[i];
            }
            a.predicted += b.predicted;
        },
    )?;
    Ok(Effects {
        conversions: acc.conv,
        value: acc.value,
        predicted: acc.predicted,
    })
}
