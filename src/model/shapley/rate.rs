//! Conversion-rate Shapley games (the model reference, §Shapley games): the exact-set game
//! played per converting channel set (DP6's `attribution_shapley`), and one global game over
//! all channels.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use super::game::{
    Estimate, add_coalition, exact_from_table, sample, shapley_weights, subset_sums,
};
use super::sets::{ChannelSets, SetIndex, fold_sets, mix64, zobrist};
use crate::attribution::Attribution;
use crate::error::{Error, Result};
use crate::fit::{FittedModel, SetShares};
use crate::model::AttributionModel;
use crate::model::rules::require_conversions;
use crate::table::PathTable;

/// Default seed of the samplers.
pub const SHAPLEY_DEFAULT_SEED: u64 = 42;

/// Largest channel set [`ShapleyRate`] may enumerate exactly (2^32 coalitions).
pub const RATE_EXACT_LIMIT: usize = 32;

/// Largest number of players [`ShapleyGlobal`] may tabulate exactly (2 tables of 2^26 f64 =
/// 1 GiB).
pub const GLOBAL_EXACT_LIMIT: usize = 26;

/// Most coalitions [`ShapleyRate`] evaluates exactly over all converting sets (Σ 2^|T| over
/// the sets it does not sample; 2^36 is several minutes of work).
pub const RATE_EXACT_WORK_LIMIT: u64 = 1 << 36;

/// Why a rate game can miss efficiency.
const ILL_CONDITIONED: &str = "the game is ill-conditioned: conversion rates of the channel \
     sets differ by orders of magnitude, so credits of opposite signs cancel beyond f64 \
     precision";

/// A zeroed table of 2^n numbers, or the error naming the limit when it cannot be allocated.
fn coalition_table(n: usize) -> Result<Vec<f64>> {
    let len = 1usize << n;
    let mut v = Vec::new();
    v.try_reserve_exact(len).map_err(|_| Error::ResourceLimit {
        what: "shapley_global exact players (2 tables of 2^n numbers)",
        requested: n as u64,
        limit: GLOBAL_EXACT_LIMIT as u64,
        cost: 2 * (len as u64) * 8,
        unit: "bytes",
    })?;
    v.resize(len, 0.0);
    Ok(v)
}

fn check_sampling(
    model: &'static str,
    max_exact: usize,
    limit: usize,
    samples: usize,
) -> Result<()> {
    if max_exact > limit {
        return Err(Error::InvalidParameter {
            model,
            name: "max_exact_channels",
            reason: format!("{max_exact} is above the limit {limit} (exact cost grows as 2^n)"),
        });
    }
    if samples < 2 {
        return Err(Error::InvalidParameter {
            model,
            name: "samples",
            reason: format!(
                "{samples} antithetic pairs: at least 2 are needed for a standard error"
            ),
        });
    }
    Ok(())
}

/// Channels whose credited conversions are negative (reported, never clamped).
fn negative_channels(a: &Attribution) -> Vec<&str> {
    a.channels
        .iter()
        .filter(|c| c.conversions < 0.0)
        .map(|c| c.channel.as_str())
        .collect()
}

/// Exact-set conversion-rate Shapley value (DP6 style), played per converting channel set.
///
/// ```text
/// CR(S)  = c(S) / (c(S) + u(S))     over journeys whose channel set is exactly S;
///                                    0 for a set never observed, and v(∅) = 0
/// for every converting set T (c(T) > 0), the game on players T with v(S) = CR(S), S ⊆ T:
///   φ_i^T  = Σ_{S ⊆ T∖{i}} |S|!(|T|−|S|−1)!/|T|! · [CR(S ∪ {i}) − CR(S)]
///   conv(i)  += c(T) · φ_i^T / CR(T)
///   value(i) += v(T) · φ_i^T / CR(T)
/// ```
///
/// The split is by φ_i^T / Σ_j φ_j^T, and Σ_j φ_j^T = v(T) − v(∅) = CR(T) by efficiency;
/// CR(T) > 0 because T converts, so the denominator is never 0 and the result never NaN. The
/// model is efficient (Σ conv = C, Σ value = V) but individual credits can be 0 or negative: in
/// T2 the set {A, C} gives A nothing because {A} was never observed alone (§Exact-set rate game).
/// Credits depend on null journeys.
///
/// Sets with at most `max_exact_channels` channels are computed exactly by enumerating their
/// 2^|T| subsets (observed subsets found through a Zobrist-hash index). Larger sets are
/// estimated from `samples` antithetic pairs of orderings of T (seeded by `seed` and the set's
/// channel names, so the draws do not depend on row order, channel ids, thread count or the
/// order other sets are processed in); no channel is ever dropped (DP6 keeps only the alphabetically last
/// `max_size` channels of a set). Extras: `exact_sets`, `sampled_sets`, `largest_set`,
/// `standard_error` and `value_standard_error` (per channel, 0 when every set is exact; sets
/// are sampled independently, so variances add), `negative_channels`.
///
/// On T2 ([model reference](crate::reference), §Shapley games / Exact-set rate game):
/// conversions A 85/72, B 175/72, C 61/18; value A 2837/216, B 5195/216, C 886/27.
///
/// # Errors
/// [`Error::InvalidParameter`] if `max_exact_channels` > [`RATE_EXACT_LIMIT`] or
/// `samples` < 2; [`Error::NoConversions`] when the table has no conversion.
///
/// # Complexity
/// One O(T) pass over the T touches to build the S distinct sets, then for every converting set
/// T: O(2^|T| + h·|T|) time if exact (h = observed subsets of T), O(samples·|T|) if sampled.
/// Memory O(S + n) plus O(|T|) per set in flight.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ShapleyRate {
    /// Sets with more channels than this are sampled (default 20).
    pub max_exact_channels: usize,
    /// Antithetic pairs of orderings per sampled set (2 orderings each; default 1000).
    pub samples: usize,
    /// Seed of the sampler (default [`SHAPLEY_DEFAULT_SEED`]).
    pub seed: u64,
}

impl Default for ShapleyRate {
    fn default() -> Self {
        ShapleyRate {
            max_exact_channels: 20,
            samples: 1000,
            seed: SHAPLEY_DEFAULT_SEED,
        }
    }
}

impl ShapleyRate {
    /// Checks the parameters.
    ///
    /// # Errors
    /// See the type's docs.
    pub fn validate(&self) -> Result<()> {
        check_sampling(
            "shapley_rate",
            self.max_exact_channels,
            RATE_EXACT_LIMIT,
            self.samples,
        )
    }

    /// The exact work (Σ 2^|T| over the converting sets computed exactly) is within
    /// [`RATE_EXACT_WORK_LIMIT`], checked before any game is played.
    fn check_work(&self, sets: &ChannelSets) -> Result<()> {
        let mut work = 0u64;
        for s in 0..sets.len() {
            let k = sets.members(s).len();
            if sets.outcome(s).conversions > 0.0 && k <= self.max_exact_channels {
                work = work.saturating_add(1u64 << k);
            }
        }
        if work > RATE_EXACT_WORK_LIMIT {
            return Err(Error::ResourceLimit {
                what: "shapley_rate exact coalitions (lower max_exact_channels to sample the \
                       largest sets)",
                requested: work,
                limit: RATE_EXACT_WORK_LIMIT,
                cost: work,
                unit: "coalition evaluations",
            });
        }
        Ok(())
    }
}

/// Per-chunk accumulator of [`ShapleyRate`], indexed by player.
struct RateAcc {
    conversions: Vec<f64>,
    value: Vec<f64>,
    var_conversions: Vec<f64>,
    var_value: Vec<f64>,
    exact: usize,
    sampled: usize,
    largest: usize,
}

/// True when stored set `members` is exactly the local coalition `mask` of `t` (sorted members).
fn is_coalition(members: &[u32], t: &[u32], mask: u64) -> bool {
    members.len() == mask.count_ones() as usize
        && members
            .iter()
            .all(|p| t.binary_search(p).is_ok_and(|b| (mask >> b) & 1 == 1))
}

/// Exact φ of the subgame on `t`: Gray-code walk over the 2^|t| − 1 non-empty coalitions with an
/// O(1) Zobrist hash update per step; only observed coalitions (v ≠ 0) update φ.
fn exact_subgame(sets: &ChannelSets, index: &SetIndex, t: &[u32]) -> Vec<f64> {
    let k = t.len();
    let w = shapley_weights(k);
    let z: Vec<u64> = t.iter().map(|&p| zobrist(p)).collect();
    let mut phi = vec![0.0; k];
    let (mut mask, mut h) = (0u64, 0u64);
    for g in 1..(1u64 << k) {
        let bit = g.trailing_zeros() as usize;
        mask ^= 1 << bit;
        h ^= z[bit];
        if let Some(q) = index.find(h, |q| is_coalition(sets.members(q), t, mask)) {
            add_coalition(&mut phi, &w, mask, sets.rate(q));
        }
    }
    phi
}

/// Sampled φ of the subgame on `t`: the prefixes of an ordering are looked up by hash.
fn sampled_subgame(
    sets: &ChannelSets,
    index: &SetIndex,
    t: &[u32],
    pairs: usize,
    seed: u64,
) -> Estimate {
    let z: Vec<u64> = t.iter().map(|&p| zobrist(p)).collect();
    let prefix = |_: &mut (), order: &[u32], pos: &[u32], vals: &mut [f64]| {
        vals[0] = 0.0;
        let mut h = 0u64;
        for (k, &b) in order.iter().enumerate() {
            h ^= z[b as usize];
            let size = k + 1;
            let found = index.find(h, |q| {
                let m = sets.members(q);
                m.len() == size
                    && m.iter()
                        .all(|p| t.binary_search(p).is_ok_and(|b| (pos[b] as usize) < size))
            });
            vals[size] = found.map_or(0.0, |q| sets.rate(q));
        }
    };
    sample(t.len(), pairs, seed, || (), prefix)
}

/// A seed for the sampler of one set: the model's seed mixed with the set's channel names
/// (FNV-1a), so it does not depend on channel ids or on the order sets are visited in.
fn set_seed(seed: u64, table: &PathTable, sets: &ChannelSets, t: &[u32]) -> u64 {
    let mut h = crate::hash::Fnv1a::default();
    for &p in t {
        h.write(table.channels().name(sets.players[p as usize]).as_bytes());
        h.write(&[0xff]);
    }
    mix64(seed ^ h.finish())
}

impl ShapleyRate {
    /// Every observed channel set of `table` with its conversion rate and, for converting sets,
    /// the split φ_i^T / CR(T) of its conversions over its members (the same estimates as
    /// [`AttributionModel::attribute`]: exact or sampled with the same seeds).
    fn set_shares(&self, table: &PathTable) -> Result<SetShares> {
        self.validate()?;
        let sets = ChannelSets::build(table)?;
        let index = SetIndex::new(&sets);
        let names = sets
            .players
            .iter()
            .map(|&id| table.channels().name(id).to_string())
            .collect();
        let mut out = Vec::with_capacity(sets.len());
        for s in 0..sets.len() {
            let t = sets.members(s);
            let cr = sets.rate(s);
            let split = if sets.outcome(s).conversions == 0.0 {
                Vec::new()
            } else if t.len() <= self.max_exact_channels {
                exact_subgame(&sets, &index, t)
            } else {
                let seed = set_seed(self.seed, table, &sets, t);
                sampled_subgame(&sets, &index, t, self.samples, seed).phi
            };
            let split = split.into_iter().map(|phi| phi / cr).collect();
            out.push((t.to_vec(), cr, split));
        }
        SetShares::new(names, out, self.max_exact_channels)
    }
}

impl AttributionModel for ShapleyRate {
    fn name(&self) -> Cow<'static, str> {
        "shapley_rate".into()
    }

    /// Journeys are split by the game of their own channel set (see [`crate::fit::SetShares`]).
    fn fit(&self, table: &PathTable) -> Result<FittedModel> {
        let attribution = self.attribute(table)?;
        let shares = self.set_shares(table)?;
        FittedModel::set_game(attribution, table, shares)
    }

    fn attribute(&self, table: &PathTable) -> Result<Attribution> {
        self.validate()?;
        let name = self.name();
        require_conversions(&name, table)?;
        let sets = ChannelSets::build(table)?;
        self.check_work(&sets)?;
        let index = SetIndex::new(&sets);
        let np = sets.players();
        let init = || RateAcc {
            conversions: vec![0.0; np],
            value: vec![0.0; np],
            var_conversions: vec![0.0; np],
            var_value: vec![0.0; np],
            exact: 0,
            sampled: 0,
            largest: 0,
        };
        let acc = fold_sets(
            sets.len(),
            init,
            |acc, s| {
                let o = sets.outcome(s);
                if o.conversions == 0.0 {
                    return Ok(());
                }
                let t = sets.members(s);
                let cr = sets.rate(s); // > 0: c(T) > 0
                let est = if t.len() <= self.max_exact_channels {
                    acc.exact += 1;
                    Estimate {
                        phi: exact_subgame(&sets, &index, t),
                        se: vec![0.0; t.len()],
                    }
                } else {
                    acc.sampled += 1;
                    let seed = set_seed(self.seed, table, &sets, t);
                    sampled_subgame(&sets, &index, t, self.samples, seed)
                };
                acc.largest = acc.largest.max(t.len());
                let (kc, kv) = (o.conversions / cr, o.value / cr);
                for ((&p, &phi), &se) in t.iter().zip(&est.phi).zip(&est.se) {
                    let p = p as usize;
                    acc.conversions[p] += kc * phi;
                    acc.value[p] += kv * phi;
                    acc.var_conversions[p] += (kc * se).powi(2);
                    acc.var_value[p] += (kv * se).powi(2);
                }
                Ok(())
            },
            |a, b| {
                for (x, y) in [
                    (&mut a.conversions, b.conversions),
                    (&mut a.value, b.value),
                    (&mut a.var_conversions, b.var_conversions),
                    (&mut a.var_value, b.var_value),
                ] {
                    x.iter_mut().zip(y).for_each(|(x, y)| *x += y);
                }
                a.exact += b.exact;
                a.sampled += b.sampled;
                a.largest = a.largest.max(b.largest);
            },
        )?;
        let sd = |v: &[f64]| -> Vec<f64> { v.iter().map(|x| x.sqrt()).collect() };
        let a = Attribution::from_credit(
            name,
            table,
            &sets.per_channel(&acc.conversions),
            &sets.per_channel(&acc.value),
        )?;
        let negative: Vec<String> = negative_channels(&a)
            .into_iter()
            .map(String::from)
            .collect();
        let a = a
            .with_extra("exact_sets", acc.exact)
            .with_extra("sampled_sets", acc.sampled)
            .with_extra("largest_set", acc.largest)
            .with_extra(
                "standard_error",
                sets.by_name(table, &sd(&acc.var_conversions)),
            )
            .with_extra(
                "value_standard_error",
                sets.by_name(table, &sd(&acc.var_value)),
            )
            .with_extra("negative_channels", negative);
        super::check_efficiency(a, ILL_CONDITIONED)
    }
}

/// Global conversion-rate Shapley value: one game over all channels.
///
/// ```text
/// v(S)   = Σ_{T ⊆ S} c(T) / Σ_{T ⊆ S} (c(T) + u(T))     rate of the journeys whose channel set
///                                                      lies inside S (0 if there is none)
/// φ_i    = Σ_{S ⊆ N∖{i}} |S|!(n−|S|−1)!/n! · [v(S ∪ {i}) − v(S)]
/// conv(i)  = φ_i · C / (v(N) − v(∅)) = φ_i · (C + U)     (v(∅) = 0, v(N) = C/(C+U))
/// value(i) = φ_i · V / v(N)
/// ```
///
/// Players are the channels that occur in a row with journeys (null-only channels included:
/// they change the rates). The model is efficient (Σ conv = C, Σ value = V, value split in the
/// same proportions as conversions). A channel whose presence lowers conversion rates gets a
/// **negative** credit: it is reported as it is, never clamped (clamping would break
/// efficiency and hide the signal); extras list such channels in `negative_channels`.
///
/// With n ≤ `max_exact_channels` players the value is exact: c and c + u are tabulated on the
/// 2^n bitmask coalitions, the fast zeta transform turns them into subset sums in O(n·2^n), and
/// φ comes from the subset form in O(n·2^n). Beyond that, `samples` antithetic pairs of
/// orderings (seeded by `seed`) estimate φ; each ordering is evaluated in one pass over the
/// distinct sets (a set joins the coalition when its last member does). Extras: `method`
/// (`"exact"` or `"sampled"`), `players`, `rate_all` (v(N)), `phi` (the raw game values),
/// `standard_error` and `value_standard_error` (0 when exact), `negative_channels`.
///
/// # Errors
/// [`Error::InvalidParameter`] if `max_exact_channels` > [`GLOBAL_EXACT_LIMIT`] or
/// `samples` < 2; [`Error::NoConversions`] when the table has no conversion.
///
/// # Complexity
/// One O(T) pass over the T touches to build the S distinct sets; then exact: O(n·2^n) time and
/// 16·2^n bytes (n = 20: 16 MiB, n = 22: 64 MiB); sampled: O(samples·(n + Σ_S |S|)) time,
/// O(S + n) memory.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ShapleyGlobal {
    /// Up to this many players the value is exact (default 22).
    pub max_exact_channels: usize,
    /// Antithetic pairs of orderings when sampling (2 orderings each; default 1000).
    pub samples: usize,
    /// Seed of the sampler (default [`SHAPLEY_DEFAULT_SEED`]).
    pub seed: u64,
}

impl Default for ShapleyGlobal {
    fn default() -> Self {
        ShapleyGlobal {
            max_exact_channels: 22,
            samples: 1000,
            seed: SHAPLEY_DEFAULT_SEED,
        }
    }
}

impl ShapleyGlobal {
    /// Checks the parameters.
    ///
    /// # Errors
    /// See the type's docs.
    pub fn validate(&self) -> Result<()> {
        check_sampling(
            "shapley_global",
            self.max_exact_channels,
            GLOBAL_EXACT_LIMIT,
            self.samples,
        )
    }

    /// φ by zeta transform over all 2^n coalitions.
    fn exact(sets: &ChannelSets) -> Result<Vec<f64>> {
        let n = sets.players();
        let mut rate = coalition_table(n)?;
        let mut journeys = coalition_table(n)?;
        for s in 0..sets.len() {
            let mask = sets.members(s).iter().fold(0usize, |m, &p| m | 1 << p);
            let o = sets.outcome(s);
            rate[mask] += o.conversions;
            journeys[mask] += o.journeys();
        }
        subset_sums(&mut rate, n);
        subset_sums(&mut journeys, n);
        for (r, &j) in rate.iter_mut().zip(&journeys) {
            *r = if j > 0.0 { *r / j } else { 0.0 };
        }
        Ok(exact_from_table(&rate, n))
    }

    /// φ by permutation sampling: in an ordering, set S joins the coalition at the position of
    /// its last member, so one pass over the sets gives v of every prefix.
    fn sampled(&self, sets: &ChannelSets) -> Estimate {
        let n = sets.players();
        let init = || (vec![0.0; n + 1], vec![0.0; n + 1]);
        let prefix =
            |(conv, jour): &mut (Vec<f64>, Vec<f64>), _: &[u32], pos: &[u32], vals: &mut [f64]| {
                conv.fill(0.0);
                jour.fill(0.0);
                for s in 0..sets.len() {
                    // Sets are non-empty, so the max exists; 0 is never used.
                    let last = sets
                        .members(s)
                        .iter()
                        .map(|&p| pos[p as usize])
                        .max()
                        .unwrap_or(0);
                    let o = sets.outcome(s);
                    conv[last as usize + 1] += o.conversions;
                    jour[last as usize + 1] += o.journeys();
                }
                let (mut c, mut j) = (0.0, 0.0);
                for k in 0..=n {
                    c += conv[k];
                    j += jour[k];
                    vals[k] = if j > 0.0 { c / j } else { 0.0 };
                }
            };
        sample(n, self.samples, self.seed, init, prefix)
    }
}

impl AttributionModel for ShapleyGlobal {
    fn name(&self) -> Cow<'static, str> {
        "shapley_global".into()
    }

    fn attribute(&self, table: &PathTable) -> Result<Attribution> {
        self.validate()?;
        let name = self.name();
        require_conversions(&name, table)?;
        let sets = ChannelSets::build(table)?;
        let n = sets.players();
        let exact = n <= self.max_exact_channels;
        let est = if exact {
            Estimate {
                phi: Self::exact(&sets)?,
                se: vec![0.0; n],
            }
        } else {
            self.sampled(&sets)
        };
        let totals = table.totals();
        // v(N) − v(∅) = C / (C + U) > 0 since C > 0.
        let rate_all = totals.conversions / totals.journeys();
        let (kc, kv) = (totals.conversions / rate_all, totals.value / rate_all);
        let scaled = |x: &[f64], k: f64| -> Vec<f64> { x.iter().map(|x| x * k).collect() };
        let a = Attribution::from_credit(
            name,
            table,
            &sets.per_channel(&scaled(&est.phi, kc)),
            &sets.per_channel(&scaled(&est.phi, kv)),
        )?;
        let negative: Vec<String> = negative_channels(&a)
            .into_iter()
            .map(String::from)
            .collect();
        let mut a = a
            .with_extra("method", if exact { "exact" } else { "sampled" })
            .with_extra("players", n)
            .with_extra("rate_all", rate_all)
            .with_extra("phi", sets.by_name(table, &est.phi))
            .with_extra("standard_error", sets.by_name(table, &scaled(&est.se, kc)))
            .with_extra(
                "value_standard_error",
                sets.by_name(table, &scaled(&est.se, kv)),
            )
            .with_extra("negative_channels", negative);
        if !exact {
            a = a
                .with_extra("samples", self.samples)
                .with_extra("seed", self.seed);
        }
        super::check_efficiency(a, ILL_CONDITIONED)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::shapley::sets::t2;
    use crate::{Outcome, ShapleyGlobal};

    fn close(a: &[f64], b: &[f64]) -> bool {
        a.len() == b.len() && a.iter().zip(b).all(|(x, y)| (x - y).abs() <= 1e-12)
    }

    #[test]
    fn t2_subgames_of_models_4_5() {
        // Players A = 0, B = 1, C = 2. The model reference, §Exact-set rate game:
        // subgame {A,B}: φ = (1/24, 7/24);
        // subgame {A,B,C}: φ = (19/72, 5/36, 25/72); subgame {A,C}: φ_A = 0, φ_C = CR(AC) = 1/2.
        let sets = ChannelSets::build(&t2()).unwrap();
        let index = SetIndex::new(&sets);
        assert!(close(
            &exact_subgame(&sets, &index, &[0, 1]),
            &[1.0 / 24.0, 7.0 / 24.0]
        ));
        let abc = exact_subgame(&sets, &index, &[0, 1, 2]);
        assert!(close(&abc, &[19.0 / 72.0, 5.0 / 36.0, 25.0 / 72.0]));
        assert!(close(&exact_subgame(&sets, &index, &[0, 2]), &[0.0, 0.5]));
    }

    #[test]
    fn sampled_subgame_is_within_four_standard_errors() {
        let sets = ChannelSets::build(&t2()).unwrap();
        let index = SetIndex::new(&sets);
        let exact = exact_subgame(&sets, &index, &[0, 1, 2]);
        let est = sampled_subgame(&sets, &index, &[0, 1, 2], 400, 5);
        for ((&phi, &se), &x) in est.phi.iter().zip(&est.se).zip(&exact) {
            assert!(se > 0.0);
            assert!((phi - x).abs() <= 4.0 * se, "{phi} vs {x} (se {se})");
        }
        // Every ordering telescopes to CR(ABC) = 3/4.
        assert!((est.phi.iter().sum::<f64>() - 0.75).abs() < 1e-12);
    }

    #[test]
    fn sampling_does_not_depend_on_interning_order() {
        // Same rows, channels interned in another order: identical results, bit for bit.
        let mut t = PathTable::new();
        for name in ["C", "B", "A"] {
            t.intern(name).unwrap();
        }
        t.merge(&t2()).unwrap();
        let m = ShapleyRate {
            max_exact_channels: 1,
            samples: 50,
            seed: 3,
        };
        assert_eq!(m.attribute(&t).unwrap(), m.attribute(&t2()).unwrap());
        let g = ShapleyGlobal {
            max_exact_channels: 0,
            samples: 50,
            seed: 3,
        };
        assert_eq!(g.attribute(&t).unwrap(), g.attribute(&t2()).unwrap());
    }

    #[test]
    fn sampling_extras_are_reported() {
        let m = ShapleyRate {
            max_exact_channels: 2,
            samples: 64,
            seed: 1,
        };
        let a = m.attribute(&t2()).unwrap();
        assert_eq!(a.extras["sampled_sets"], 1); // {A,B,C}
        assert_eq!(a.extras["exact_sets"], 4);
        assert_eq!(a.extras["largest_set"], 3);
        assert!(a.extras["standard_error"]["A"].as_f64().unwrap() > 0.0);
        let g = ShapleyGlobal {
            max_exact_channels: 2,
            samples: 64,
            seed: 1,
        };
        let a = g.attribute(&t2()).unwrap();
        assert_eq!(a.extras["method"], "sampled");
        assert_eq!(a.extras["samples"], 64);
        assert!(a.extras["value_standard_error"]["C"].as_f64().unwrap() > 0.0);
    }

    #[test]
    fn bad_parameters_are_refused() {
        let mut t = PathTable::new();
        t.add(["A"], Outcome::converted(1.0, 1.0)).unwrap();
        let too_big = ShapleyRate {
            max_exact_channels: RATE_EXACT_LIMIT + 1,
            ..Default::default()
        };
        assert!(matches!(
            too_big.attribute(&t),
            Err(Error::InvalidParameter {
                name: "max_exact_channels",
                ..
            })
        ));
        let few = ShapleyGlobal {
            samples: 1,
            ..Default::default()
        };
        assert!(matches!(
            few.attribute(&t),
            Err(Error::InvalidParameter {
                name: "samples",
                ..
            })
        ));
        let too_big = ShapleyGlobal {
            max_exact_channels: GLOBAL_EXACT_LIMIT + 1,
            ..Default::default()
        };
        assert!(too_big.validate().is_err());
        assert!(ShapleyRate::default().validate().is_ok());
        assert!(ShapleyGlobal::default().validate().is_ok());
    }

    #[test]
    fn no_conversions_is_an_error() {
        let mut t = PathTable::new();
        t.add(["A", "B"], Outcome::null(2.0)).unwrap();
        assert!(matches!(
            ShapleyRate::default().attribute(&t),
            Err(Error::NoConversions { .. })
        ));
        assert!(matches!(
            ShapleyGlobal::default().attribute(&t),
            Err(Error::NoConversions { .. })
        ));
    }
}
