//! Fitted set games (`shapley_rate`): each journey is split by the game of its own channel set.

use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use super::{TouchCredit, vocabulary};
use crate::channel::Channels;
use crate::error::{Error, Result};
use crate::outcome::Outcome;
use crate::table::PathTable;

/// The per-set split of a set game: for every channel set observed at fit, its conversion rate
/// and, for converting sets, the fraction φ_i^T / CR(T) of its conversions (and value) each
/// member earns. These fractions are exactly what the aggregate sums, so the fitted table's
/// per-touch credit reproduces the aggregate with no residual (fractions can be negative, as
/// the model's credit can).
///
/// A journey whose channel set was not observed converting at fit (or that has a channel the
/// fit never saw) has no game of its own: it is split by calibrated channel weights instead
/// (the fitted model's `fallback`).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(try_from = "SharesRepr", into = "SharesRepr")]
pub struct SetShares {
    index: Channels,
    players: Vec<String>,
    sets: Vec<SetEntry>,
    lookup: FxHashMap<Box<[u32]>, usize>,
    max_exact: usize,
}

/// One observed channel set.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct SetEntry {
    /// Player indices, ascending.
    members: Vec<u32>,
    /// Conversion rate of the journeys with exactly this set.
    rate: f64,
    /// Per member, the fraction of the set's conversions it earns (empty: not converting).
    split: Vec<f64>,
}

#[derive(Serialize, Deserialize)]
struct SharesRepr {
    players: Vec<String>,
    sets: Vec<SetEntry>,
    max_exact_channels: usize,
}

impl PartialEq for SetShares {
    fn eq(&self, other: &Self) -> bool {
        (&self.players, &self.sets, self.max_exact)
            == (&other.players, &other.sets, other.max_exact)
    }
}

impl TryFrom<SharesRepr> for SetShares {
    type Error = String;
    fn try_from(r: SharesRepr) -> std::result::Result<Self, String> {
        let n = r.players.len();
        let mut lookup = FxHashMap::default();
        for (s, e) in r.sets.iter().enumerate() {
            let sorted = e.members.windows(2).all(|w| w[0] < w[1]);
            if e.members.is_empty() || !sorted || e.members.iter().any(|&p| p as usize >= n) {
                return Err(format!(
                    "set {s}: members must be ascending player indices below {n}"
                ));
            }
            if !(e.split.is_empty() || e.split.len() == e.members.len()) {
                return Err(format!("set {s}: one share per member is needed"));
            }
            if !e.rate.is_finite() || e.split.iter().any(|x| !x.is_finite()) {
                return Err(format!("set {s}: rate and shares must be finite"));
            }
            if lookup
                .insert(e.members.clone().into_boxed_slice(), s)
                .is_some()
            {
                return Err(format!("set {s} appears twice"));
            }
        }
        Ok(SetShares {
            index: vocabulary(&r.players)?,
            players: r.players,
            sets: r.sets,
            lookup,
            max_exact: r.max_exact_channels,
        })
    }
}

impl From<SetShares> for SharesRepr {
    fn from(s: SetShares) -> Self {
        SharesRepr {
            players: s.players,
            sets: s.sets,
            max_exact_channels: s.max_exact,
        }
    }
}

impl SetShares {
    /// From the model: player names, then `(members, rate, split)` per observed set.
    pub(crate) fn new(
        players: Vec<String>,
        sets: Vec<(Vec<u32>, f64, Vec<f64>)>,
        max_exact: usize,
    ) -> Result<SetShares> {
        let repr = SharesRepr {
            players,
            sets: sets
                .into_iter()
                .map(|(members, rate, split)| SetEntry {
                    members,
                    rate,
                    split,
                })
                .collect(),
            max_exact_channels: max_exact,
        };
        SetShares::try_from(repr).map_err(|reason| Error::Numerical {
            model: "shapley_rate",
            reason,
        })
    }

    /// Number of players.
    pub(crate) fn len(&self) -> usize {
        self.players.len()
    }

    /// Number of observed sets.
    pub fn sets(&self) -> usize {
        self.sets.len()
    }

    /// Player index of `name`.
    pub(crate) fn lookup(&self, name: &str) -> Option<u32> {
        self.index.get(name).map(|id| id.index() as u32)
    }

    /// Splits one journey given as player indices; false (and `out` untouched) when the
    /// journey's set has no game of its own. `counts` is zero on entry and on return.
    pub(crate) fn split(
        &self,
        ids: &[Option<u32>],
        counts: &mut [u32],
        key: &mut Vec<u32>,
        outcome: Outcome,
        out: &mut [TouchCredit],
    ) -> bool {
        if ids.iter().any(Option::is_none) {
            return false;
        }
        key.clear();
        key.extend(ids.iter().flatten());
        key.sort_unstable();
        key.dedup();
        let Some(&s) = self.lookup.get(&key[..]) else {
            return false;
        };
        let entry = &self.sets[s];
        if entry.split.is_empty() {
            return false;
        }
        for &p in ids.iter().flatten() {
            counts[p as usize] += 1;
        }
        for (o, &p) in out.iter_mut().zip(ids) {
            let p = p.unwrap_or_default();
            let m = entry.members.binary_search(&p).unwrap_or_default();
            let f = entry.split[m] / f64::from(counts[p as usize]);
            *o = TouchCredit {
                conversions: outcome.conversions * f,
                value: outcome.value * f,
            };
        }
        for &p in ids.iter().flatten() {
            counts[p as usize] = 0;
        }
        true
    }

    /// Per-touch credit of every row of `table`, appended to `out`; rows without a game of their
    /// own are split by `fallback`.
    pub(crate) fn credit_table(
        &self,
        fallback: &super::ChannelWeights,
        table: &PathTable,
        out: &mut Vec<TouchCredit>,
    ) {
        let names = table.channels();
        let map: Vec<Option<u32>> = names.iter().map(|(_, n)| self.lookup(n)).collect();
        let back: Vec<Option<u32>> = names.iter().map(|(_, n)| fallback.lookup(n)).collect();
        let mut counts = vec![0u32; self.len()];
        let mut back_counts = vec![0u32; fallback.len()];
        let (mut ids, mut key) = (Vec::new(), Vec::new());
        for row in table.rows() {
            let o = row.outcome;
            let o = if o.conversions > 0.0 {
                o
            } else {
                Outcome::default()
            };
            ids.clear();
            ids.extend(row.path.iter().map(|id| map[id.index()]));
            let start = out.len();
            out.resize(start + ids.len(), TouchCredit::default());
            if !self.split(&ids, &mut counts, &mut key, o, &mut out[start..]) {
                ids.clear();
                ids.extend(row.path.iter().map(|id| back[id.index()]));
                fallback.split(&ids, &mut back_counts, o, &mut out[start..]);
            }
        }
    }
}
