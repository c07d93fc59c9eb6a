//! Calibrated channel weights: the per-journey split of a table-level model (see the
//! [module docs](super)).

use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use super::{ChannelResidual, TouchCredit, vocabulary};
use crate::attribution::Attribution;
use crate::channel::Channels;
use crate::error::{Error, Result};
use crate::outcome::Outcome;
use crate::table::PathTable;

/// Relative tolerance of the calibration: it stops once every channel's placed credit is within
/// this fraction of the total.
const TOLERANCE: f64 = 1e-13;

/// Most iterations of the calibration; margins that no split can reach stop here and leave a
/// residual.
const MAX_ITERATIONS: usize = 5_000;

/// Weights below this fraction of the largest are flushed to 0.
const FLUSH: f64 = 1e-200;

/// Residuals below this fraction of the total are rounding, not reported.
const REPORT_BELOW: f64 = 1e-9;

/// One weight per channel for conversions and one for value: a journey's conversions are split
/// over its distinct known channels in proportion to their weights, each channel's part shared
/// equally by its touches (value likewise, with the value weights).
///
/// Channels the fitted table did not know get no credit; a journey none of whose channels has a
/// positive weight gets none at all (its credit is zero, never NaN).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(try_from = "WeightsRepr", into = "WeightsRepr")]
pub struct ChannelWeights {
    index: Channels,
    channels: Vec<String>,
    conversions: Vec<f64>,
    value: Vec<f64>,
}

impl PartialEq for ChannelWeights {
    fn eq(&self, other: &Self) -> bool {
        // The index is derived from `channels`.
        (&self.channels, &self.conversions, &self.value)
            == (&other.channels, &other.conversions, &other.value)
    }
}

#[derive(Serialize, Deserialize)]
struct WeightsRepr {
    channels: Vec<String>,
    conversions: Vec<f64>,
    value: Vec<f64>,
}

impl TryFrom<WeightsRepr> for ChannelWeights {
    type Error = String;
    fn try_from(r: WeightsRepr) -> std::result::Result<Self, String> {
        let n = r.channels.len();
        if r.conversions.len() != n || r.value.len() != n {
            return Err(format!(
                "{n} channels but {} conversion and {} value weights",
                r.conversions.len(),
                r.value.len()
            ));
        }
        if let Some(w) = r
            .conversions
            .iter()
            .chain(&r.value)
            .find(|w| !(w.is_finite() && **w >= 0.0))
        {
            return Err(format!("weight {w} is not a finite number ≥ 0"));
        }
        Ok(ChannelWeights {
            index: vocabulary(&r.channels)?,
            channels: r.channels,
            conversions: r.conversions,
            value: r.value,
        })
    }
}

impl From<ChannelWeights> for WeightsRepr {
    fn from(w: ChannelWeights) -> Self {
        WeightsRepr {
            channels: w.channels,
            conversions: w.conversions,
            value: w.value,
        }
    }
}

impl ChannelWeights {
    /// Channel names, in the order of the weight vectors.
    pub fn channels(&self) -> &[String] {
        &self.channels
    }

    /// Conversion weight of `channel` (0 for an unknown channel).
    pub fn conversion_weight(&self, channel: &str) -> f64 {
        self.index
            .get(channel)
            .map_or(0.0, |id| self.conversions[id.index()])
    }

    /// Value weight of `channel` (0 for an unknown channel).
    pub fn value_weight(&self, channel: &str) -> f64 {
        self.index
            .get(channel)
            .map_or(0.0, |id| self.value[id.index()])
    }

    /// Index of `name` in the weight vectors.
    pub(crate) fn lookup(&self, name: &str) -> Option<u32> {
        self.index.get(name).map(|id| id.index() as u32)
    }

    pub(crate) fn len(&self) -> usize {
        self.channels.len()
    }

    /// Splits one journey given as indices into the weight vectors (`None`: unknown channel).
    /// `counts` is zero on entry and on return (`len() >= self.len()`).
    pub(crate) fn split(
        &self,
        ids: &[Option<u32>],
        counts: &mut [u32],
        outcome: Outcome,
        out: &mut [TouchCredit],
    ) {
        for &k in ids.iter().flatten() {
            counts[k as usize] += 1;
        }
        let (mut dc, mut dv) = (0.0, 0.0);
        for &k in ids.iter().flatten() {
            let k = k as usize;
            // Each distinct channel once: the count's high bit marks it as summed.
            if counts[k] & SUMMED == 0 {
                dc += self.conversions[k];
                dv += self.value[k];
                counts[k] |= SUMMED;
            }
        }
        for (o, &k) in out.iter_mut().zip(ids) {
            *o = TouchCredit::default();
            if let Some(k) = k {
                let k = k as usize;
                let n = f64::from(counts[k] & !SUMMED);
                if dc > 0.0 {
                    o.conversions = outcome.conversions * (self.conversions[k] / dc) / n;
                }
                if dv > 0.0 {
                    o.value = outcome.value * (self.value[k] / dv) / n;
                }
            }
        }
        for &k in ids.iter().flatten() {
            counts[k as usize] = 0;
        }
    }

    /// Per-touch credit of every row of `table`, appended to `out`.
    pub(crate) fn credit_table(&self, table: &PathTable, out: &mut Vec<TouchCredit>) {
        let map: Vec<Option<u32>> = table
            .channels()
            .iter()
            .map(|(_, name)| self.lookup(name))
            .collect();
        let mut counts = vec![0u32; self.len()];
        let mut ids = Vec::new();
        for row in table.rows() {
            ids.clear();
            ids.extend(row.path.iter().map(|id| map[id.index()]));
            let start = out.len();
            out.resize(start + ids.len(), TouchCredit::default());
            self.split(&ids, &mut counts, row.outcome, &mut out[start..]);
        }
    }
}

/// High bit of a touch count: the channel's weight is already in the row's denominator.
const SUMMED: u32 = 1 << 31;

/// Converting rows grouped by their set of distinct channels.
struct Sets {
    /// Distinct channel ids of each set, flat.
    ids: Vec<u32>,
    ends: Vec<usize>,
    conversions: Vec<f64>,
    value: Vec<f64>,
}

impl Sets {
    fn from_table(table: &PathTable) -> Sets {
        let mut index: FxHashMap<Vec<u32>, usize> = FxHashMap::default();
        let mut sets = Sets {
            ids: Vec::new(),
            ends: Vec::new(),
            conversions: Vec::new(),
            value: Vec::new(),
        };
        let mut key = Vec::new();
        for row in table.rows() {
            let o = row.outcome;
            if o.conversions <= 0.0 && o.value <= 0.0 {
                continue;
            }
            key.clear();
            key.extend(row.path.iter().map(|id| id.index() as u32));
            key.sort_unstable();
            key.dedup();
            let s = *index.entry(key.clone()).or_insert_with(|| {
                sets.ids.extend_from_slice(&key);
                sets.ends.push(sets.ids.len());
                sets.conversions.push(0.0);
                sets.value.push(0.0);
                sets.ends.len() - 1
            });
            sets.conversions[s] += o.conversions;
            sets.value[s] += o.value;
        }
        sets
    }

    fn set(&self, s: usize) -> &[u32] {
        let start = if s == 0 { 0 } else { self.ends[s - 1] };
        &self.ids[start..self.ends[s]]
    }
}

/// Weights β ≥ 0 with Σ_S w_S·β_k/Σ_{j∈S} β_j = margin_k for every channel with a positive
/// margin that appears on a set of positive weight (the others get 0; the targets of the
/// active ones are first rescaled to sum to the weight their sets carry), by the multiplicative
/// fixed point β_k ← margin_k / Σ_{S∋k} w_S/D_S (a minorize–maximize step of a concave
/// likelihood; it converges whenever the margins are reachable). Returns β and the placed
/// credit per channel.
fn solve(sets: &Sets, weights: &[f64], margin: &[f64]) -> (Vec<f64>, Vec<f64>) {
    let n = margin.len();
    let mut present = vec![false; n];
    for (s, &w) in weights.iter().enumerate() {
        if w > 0.0 {
            for &k in sets.set(s) {
                present[k as usize] = true;
            }
        }
    }
    let active: Vec<bool> = (0..n).map(|k| present[k] && margin[k] > 0.0).collect();
    // Every set with an active channel places all of its weight; if the active channels'
    // credit differs from that (credit of channels no converting journey carries, negative
    // credit), their targets are rescaled to it, in proportion to their credit.
    let carried: f64 = (0..weights.len())
        .filter(|&s| sets.set(s).iter().any(|&k| active[k as usize]))
        .map(|s| weights[s])
        .sum();
    let active_total: f64 = (0..n).filter(|&k| active[k]).map(|k| margin[k]).sum();
    let scale = if active_total > 0.0 {
        carried / active_total
    } else {
        0.0
    };
    let target: Vec<f64> = (0..n)
        .map(|k| if active[k] { margin[k] * scale } else { 0.0 })
        .collect();
    let margin = &target[..];
    let total = carried;
    let mut beta: Vec<f64> = margin.to_vec();
    let mut acc = vec![0.0; n];
    let placed = |beta: &[f64], acc: &mut Vec<f64>| {
        acc.iter_mut().for_each(|a| *a = 0.0);
        for (s, &w) in weights.iter().enumerate() {
            let set = sets.set(s);
            let d: f64 = set.iter().map(|&k| beta[k as usize]).sum();
            if w > 0.0 && d > 0.0 {
                for &k in set {
                    acc[k as usize] += w / d;
                }
            }
        }
    };
    for _ in 0..MAX_ITERATIONS {
        placed(&beta, &mut acc);
        let worst = (0..n)
            .filter(|&k| active[k])
            .map(|k| (beta[k] * acc[k] - margin[k]).abs())
            .fold(0.0, f64::max);
        if worst <= TOLERANCE * total {
            break;
        }
        let mut top = 0.0f64;
        for k in 0..n {
            if active[k] && acc[k] > 0.0 {
                beta[k] = margin[k] / acc[k];
                top = top.max(beta[k]);
            }
        }
        if top > 0.0 {
            // Unreachable margins drive some weights towards 0 relative to the others: flush
            // them to 0 before they become subnormal (a journey whose weights are all 0 is
            // unplaced and shows in the residual, never as inf or NaN).
            beta.iter_mut().for_each(|b| {
                *b /= top;
                if *b < FLUSH {
                    *b = 0.0;
                }
            });
        }
    }
    placed(&beta, &mut acc);
    let credit = (0..n).map(|k| beta[k] * acc[k]).collect();
    (beta, credit)
}

/// Calibrates the weights of `attribution` on `table` and lists the residual.
pub(crate) fn calibrate(
    attribution: &Attribution,
    table: &PathTable,
) -> Result<(ChannelWeights, Vec<ChannelResidual>)> {
    let ch = table.channels();
    let names: Vec<String> = ch.iter().map(|(_, name)| name.to_string()).collect();
    let margin_c: Vec<f64> = names.iter().map(|n| attribution.conversions(n)).collect();
    let margin_v: Vec<f64> = names.iter().map(|n| attribution.value(n)).collect();
    if let Some(m) = margin_c.iter().chain(&margin_v).find(|m| !m.is_finite()) {
        return Err(Error::Numerical {
            model: "fit",
            reason: format!("{}: credit {m} is not finite", attribution.model),
        });
    }
    let sets = Sets::from_table(table);
    let (beta_c, placed_c) = solve(&sets, &sets.conversions, &margin_c);
    let (beta_v, placed_v) = solve(&sets, &sets.value, &margin_v);
    let totals = table.totals();
    let (tc, tv) = (totals.conversions.max(1e-300), totals.value.max(1e-300));
    let mut residual = Vec::new();
    let mut order: Vec<usize> = (0..names.len()).collect();
    order.sort_by(|&a, &b| names[a].cmp(&names[b]));
    for k in order {
        let (rc, rv) = (margin_c[k] - placed_c[k], margin_v[k] - placed_v[k]);
        if rc.abs() > REPORT_BELOW * tc || rv.abs() > REPORT_BELOW * tv {
            residual.push(ChannelResidual {
                channel: names[k].clone(),
                conversions: rc,
                value: rv,
            });
        }
    }
    let weights = ChannelWeights {
        index: ch.clone(),
        channels: names,
        conversions: beta_c,
        value: beta_v,
    };
    Ok((weights, residual))
}
