//! Crediting tables and single journeys under a fitted conversion model (shared by `logistic`
//! and `dda`).

use serde::{Deserialize, Serialize};

use super::features::{Prepared, Summary};
use super::game::{Credit, GameScratch, Sampling, fractions};
use super::journey::{JourneyIds, JourneyScratch, JourneySplit};
use super::logistic::{LogisticFit, LogitGame};
use super::quality::RowSeeds;
use crate::attribution::Attribution;
use crate::error::Result;
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

/// The table's value per conversion (0 without conversions): the value a null row's lost
/// conversions are weighted with.
pub(crate) fn mean_value(table: &PathTable) -> f64 {
    let totals = table.totals();
    if totals.conversions > 0.0 {
        totals.value / totals.conversions
    } else {
        0.0
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

    /// The vocabulary of a fitted table: its channel names in id order.
    pub fn names_of(table: &PathTable) -> Vec<String> {
        table
            .channels()
            .iter()
            .map(|(_, n)| n.to_string())
            .collect()
    }

    /// For each channel id of `table`, its index in this vocabulary.
    pub fn remap(&self, table: &PathTable) -> Vec<Option<u32>> {
        table
            .channels()
            .iter()
            .map(|(_, name)| self.get(name))
            .collect()
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
    game_scratch: &mut GameScratch,
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
    let o = fractions(&game, credit, sampling, game_scratch);
    let phi = &game_scratch.phi;
    for (o, &i) in out.iter_mut().zip(&s.touch_of) {
        *o = if i == u32::MAX {
            0.0
        } else {
            phi[i as usize] / f64::from(s.count[i as usize])
        };
    }
    o
}

/// Fractions of one journey, given by fitted channel indices, into `out` (see
/// [`journey_fractions`]), with `scratch`'s buffers.
pub(crate) fn split_ids(
    fit: &LogisticFit,
    ids: &[Option<u32>],
    credit: Credit,
    sampling: Sampling,
    scratch: &mut JourneyScratch,
    out: &mut [f64],
) -> super::game::Outcome {
    let m = fit.channels.len();
    if scratch.slot.len() < m {
        scratch.slot.resize(m, u32::MAX);
    }
    let JourneyScratch {
        summary,
        slot,
        prep,
        game,
        ..
    } = scratch;
    summary.build(ids.iter().copied(), slot);
    journey_fractions(fit, summary, prep, credit, sampling, game, out)
}

impl JourneySplit for LogisticFit {
    const MODEL: &'static str = "logistic";
    fn lookup(&self) -> &ChannelLookup {
        &self.lookup
    }
    /// Removal effects of the journey's own channels (see [`LogisticFit::touch_shares`]).
    fn split(
        &self,
        j: &JourneyIds<'_>,
        scratch: &mut JourneyScratch,
        out: &mut [f64],
    ) -> Result<()> {
        self.design.check(self.beta.len(), "logistic")?;
        split_ids(
            self,
            j.ids,
            Credit::Removal,
            Sampling::exact(),
            scratch,
            out,
        );
        Ok(())
    }
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
    scratch: JourneyScratch,
    ids: Vec<Option<u32>>,
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
    let remap = fit.lookup.remap(table);
    let seeds = RowSeeds::new(table);
    let acc = fold_rows(
        table,
        || Acc {
            conv: vec![0.0; n],
            value: vec![0.0; n],
            var: vec![0.0; n],
            degenerate: 0,
            sampled: 0,
            scratch: JourneyScratch::default(),
            ids: Vec::new(),
            frac: Vec::new(),
        },
        |a, _, row| {
            let o = row.outcome;
            if o.conversions <= 0.0 {
                return Ok(());
            }
            a.ids.clear();
            a.ids.extend(row.path.iter().map(|id| remap[id.index()]));
            a.frac.clear();
            a.frac.resize(row.path.len(), 0.0);
            let mut smp = sampling;
            smp.seed = seeds.seed(table, &row, sampling.seed);
            let out = split_ids(fit, &a.ids, credit, smp, &mut a.scratch, &mut a.frac);
            a.degenerate += usize::from(out.degenerate);
            a.sampled += usize::from(out.sampled);
            for (&id, &f) in row.path.iter().zip(&a.frac) {
                a.conv[id.index()] += o.conversions * f;
                a.value[id.index()] += o.value * f;
            }
            if out.sampled {
                // The channel's whole fraction has standard error se[i].
                let s = &a.scratch.summary;
                for i in 0..s.ch.len() {
                    let id = row
                        .path
                        .iter()
                        .zip(&s.touch_of)
                        .find(|(_, t)| **t == i as u32)
                        .map(|(id, _)| id.index());
                    if let Some(id) = id {
                        a.var[id] += (o.conversions * a.scratch.game.se[i]).powi(2);
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
    let mean_value = mean_value(table);
    let n = table.channels().len();
    let remap = fit.lookup.remap(table);
    let m = fit.channels.len();
    struct A {
        conv: Vec<f64>,
        value: Vec<f64>,
        predicted: f64,
        s: Summary,
        slot: Vec<u32>,
        prep: Prepared,
        game: GameScratch,
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
            game: GameScratch::default(),
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
            // v(N) and the removal weights (v = 0 for a journey without known channels).
            a.predicted += w * super::game::removal(&game, &mut a.game);
            if a.s.ch.is_empty() {
                return Ok(());
            }
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
            for (&id, &r) in a.ids.iter().zip(&a.game.phi) {
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
