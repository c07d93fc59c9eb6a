//! Shao & Li's simple probabilistic model, normalised (the model reference, §Shapley games /
//! Shao–Li).

use std::borrow::Cow;

use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use super::sets::{ChannelSets, fold_sets};
use crate::attribution::Attribution;
use crate::error::{Error, Result};
use crate::model::AttributionModel;
use crate::model::rules::require_conversions;
use crate::table::PathTable;

/// Shao & Li (2011) simple probabilistic model, normalised to the table's totals.
///
/// Exposure is counted by channel set (a channel seen twice in a journey counts once):
///
/// ```text
/// N⁺(i)   = Σ_{r : i ∈ S_r} c_r         N⁻(i)   = Σ_{r : i ∈ S_r} u_r
/// N⁺(i,j) = Σ_{r : {i,j} ⊆ S_r} c_r     N⁻(i,j) likewise
/// P(y|i)  = N⁺(i) / (N⁺(i) + N⁻(i))     P(y|i,j) = N⁺(i,j) / (N⁺(i,j) + N⁻(i,j))
///
/// for a converting journey with channel set S and i ∈ S:
///   C_S(i) = P(y|i)                                                          (|S| = 1)
///   C_S(i) = P(y|i) + 1/(2(|S|−1)) · Σ_{j ∈ S, j ≠ i} [P(y|i,j) − P(y|i) − P(y|j)]   (|S| ≥ 2)
///
/// raw(i)   = Σ_r c_r · C_{S_r}(i)        conv(i)  = C · raw(i)  / Σ_k raw(k)
/// rawV(i)  = Σ_r v_r · C_{S_r}(i)        value(i) = V · rawV(i) / Σ_k rawV(k)   (0 when V = 0)
/// ```
///
/// Shao & Li's 1/(2 N_{j≠i}) is read per converting journey (the other channels that journey
/// saw), as mta does. Contributions can be negative. The normalisers are positive whenever
/// C > 0: Σ_{i∈S} C_S(i) = Σ_{pairs {i,j} ⊆ S} P(y|i,j) / (|S| − 1) > 0 for |S| ≥ 2 (every pair
/// of a converting set has N⁺ > 0), and P(y|i) > 0 for |S| = 1. Not efficient without the
/// normalisation; not equal to a channel's own conversions on single-touch tables (property
/// P10 of the model reference fails: raw(i) = c_i·P(y|i)). Extras: `raw`, `raw_value` and
/// `p_conversion` (P(y|i)) per channel.
///
/// On T2 ([model reference](crate::reference), §Shapley games / Shao–Li):
/// P(y|A) = 5/9, P(y|B) = 5/11, P(y|C) = 5/8; conversions A 246365/117528, B 229313/117528,
/// C 173509/58764.
///
/// # Errors
/// [`Error::NoConversions`] when the table has no conversion; [`Error::CostLimit`] when the
/// pair work, counted from the distinct channel sets before any pair is, exceeds
/// [`max_pair_updates`](ShaoLi::max_pair_updates); [`Error::Numerical`] if a normaliser is not
/// a positive finite number (impossible for valid tables, see above).
///
/// # Complexity
/// One O(T) pass over the T touches to build the S distinct sets, then O(Σ_S |S|²) time for the
/// pair counts and contributions; memory O(S + n + distinct channel pairs).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ShaoLi {
    /// The most pair updates allowed, Σ_S |S|(|S|−1)/2 over the distinct channel sets S (each
    /// is done twice: counting pairs, then contributions). Default
    /// [`SHAO_LI_DEFAULT_MAX_PAIRS`], some minutes of work; raise it (up to infinity) to run
    /// larger vocabularies of long journeys.
    pub max_pair_updates: f64,
}

/// The default [`ShaoLi::max_pair_updates`]: 10¹⁰ pair updates.
pub const SHAO_LI_DEFAULT_MAX_PAIRS: f64 = 1e10;

impl Default for ShaoLi {
    fn default() -> Self {
        ShaoLi {
            max_pair_updates: SHAO_LI_DEFAULT_MAX_PAIRS,
        }
    }
}

impl ShaoLi {
    /// Checks the limit: a positive number (infinity allowed).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for a limit that is not positive.
    pub fn validate(&self) -> Result<()> {
        if self.max_pair_updates > 0.0 {
            Ok(())
        } else {
            Err(Error::InvalidParameter {
                model: "shao_li",
                name: "max_pair_updates",
                reason: format!("must be > 0, got {}", self.max_pair_updates),
            })
        }
    }

    /// Refuses `sets` when their pair work exceeds the limit, before any pair is counted.
    fn check_cost(&self, sets: &ChannelSets) -> Result<()> {
        let (mut pairs, mut largest) = (0.0f64, 0usize);
        for s in 0..sets.len() {
            let m = sets.members(s).len();
            largest = largest.max(m);
            pairs += (m as f64) * (m.saturating_sub(1) as f64) / 2.0;
        }
        if pairs <= self.max_pair_updates {
            return Ok(());
        }
        Err(Error::CostLimit {
            model: "shao_li",
            limit: "max_pair_updates",
            allowed: self.max_pair_updates,
            cost: pairs,
            estimate: format!(
                "{pairs:.3e} pair updates over {} distinct channel sets (the largest has {largest} \
                 channels)",
                sets.len()
            ),
        })
    }
}

/// Conversion probabilities by channel and by pair of channels (players of a [`ChannelSets`]).
pub(crate) struct Probabilities {
    /// P(y|i) per player (0 for a player without journeys, which no set contains).
    pub single: Vec<f64>,
    /// P(y|i,j) for i < j.
    pub pair: FxHashMap<(u32, u32), f64>,
}

impl Probabilities {
    pub fn new(sets: &ChannelSets) -> Result<Probabilities> {
        let np = sets.players();
        type Counts = (Vec<(f64, f64)>, FxHashMap<(u32, u32), (f64, f64)>);
        let (single, pair): Counts = fold_sets(
            sets.len(),
            || (vec![(0.0, 0.0); np], FxHashMap::default()),
            |(single, pair), s| {
                let o = sets.outcome(s);
                let m = sets.members(s);
                for (a, &i) in m.iter().enumerate() {
                    let e = &mut single[i as usize];
                    e.0 += o.conversions;
                    e.1 += o.journeys();
                    for &j in &m[a + 1..] {
                        let e = pair.entry((i, j)).or_insert((0.0, 0.0));
                        e.0 += o.conversions;
                        e.1 += o.journeys();
                    }
                }
                Ok(())
            },
            |a, b| {
                for (x, y) in a.0.iter_mut().zip(b.0) {
                    x.0 += y.0;
                    x.1 += y.1;
                }
                for (k, y) in b.1 {
                    let x = a.1.entry(k).or_insert((0.0, 0.0));
                    x.0 += y.0;
                    x.1 += y.1;
                }
            },
        )?;
        let p = |(c, j): (f64, f64)| if j > 0.0 { c / j } else { 0.0 };
        Ok(Probabilities {
            single: single.into_iter().map(p).collect(),
            pair: pair.into_iter().map(|(k, x)| (k, p(x))).collect(),
        })
    }

    /// P(y|i,j) for two distinct players that share a set.
    fn pair(&self, i: u32, j: u32) -> f64 {
        let key = if i < j { (i, j) } else { (j, i) };
        self.pair.get(&key).copied().unwrap_or(0.0)
    }

    /// C_S(i) for every member of `m` (written into `out`, same order).
    fn contributions(&self, m: &[u32], out: &mut Vec<f64>) {
        out.clear();
        out.resize(m.len(), 0.0);
        if m.len() >= 2 {
            for a in 0..m.len() {
                for b in a + 1..m.len() {
                    let (i, j) = (m[a], m[b]);
                    let d = self.pair(i, j) - self.single[i as usize] - self.single[j as usize];
                    out[a] += d;
                    out[b] += d;
                }
            }
            let k = 1.0 / (2.0 * (m.len() - 1) as f64);
            out.iter_mut().for_each(|x| *x *= k);
        }
        for (x, &i) in out.iter_mut().zip(m) {
            *x += self.single[i as usize];
        }
    }
}

impl AttributionModel for ShaoLi {
    fn name(&self) -> Cow<'static, str> {
        "shao_li".into()
    }

    fn attribute(&self, table: &PathTable) -> Result<Attribution> {
        self.validate()?;
        let name = self.name();
        require_conversions(&name, table)?;
        let sets = ChannelSets::build(table)?;
        self.check_cost(&sets)?;
        let prob = Probabilities::new(&sets)?;
        let np = sets.players();
        let (raw, raw_value, _) = fold_sets(
            sets.len(),
            || (vec![0.0; np], vec![0.0; np], Vec::new()),
            |(raw, raw_value, contrib), s| {
                let o = sets.outcome(s);
                if o.conversions == 0.0 {
                    return Ok(());
                }
                let m = sets.members(s);
                prob.contributions(m, contrib);
                for (&i, &x) in m.iter().zip(contrib.iter()) {
                    raw[i as usize] += o.conversions * x;
                    raw_value[i as usize] += o.value * x;
                }
                Ok(())
            },
            |a, b| {
                a.0.iter_mut().zip(b.0).for_each(|(x, y)| *x += y);
                a.1.iter_mut().zip(b.1).for_each(|(x, y)| *x += y);
            },
        )?;
        let totals = table.totals();
        let normalise = |x: &[f64], total: f64, what: &str| -> Result<Vec<f64>> {
            if total == 0.0 {
                return Ok(vec![0.0; x.len()]);
            }
            let z = crate::outcome::sum_compensated(x);
            if !(z.is_finite() && z > 0.0) {
                return Err(Error::Numerical {
                    model: "shao_li",
                    reason: format!("sum of raw {what} contributions is {z}, expected > 0"),
                });
            }
            Ok(x.iter().map(|v| total * v / z).collect())
        };
        let conv = normalise(&raw, totals.conversions, "conversion")?;
        let value = normalise(&raw_value, totals.value, "value")?;
        let a = Attribution::from_credit(
            name,
            table,
            &sets.per_channel(&conv),
            &sets.per_channel(&value),
        )?
        .with_extra("raw", sets.by_name(table, &raw))
        .with_extra("raw_value", sets.by_name(table, &raw_value))
        .with_extra("p_conversion", sets.by_name(table, &prob.single));
        super::check_efficiency(
            a,
            "raw contributions of opposite signs cancel beyond f64 precision (pair \
             probabilities far below the single-channel ones)",
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Outcome;
    use crate::model::shapley::sets::t2;

    #[test]
    fn the_pair_limit_refuses_before_work_and_can_be_raised() {
        // One converting journey over 200 distinct channels: 200·199/2 = 19,900 pairs.
        let names: Vec<String> = (0..200).map(|i| format!("c{i}")).collect();
        let mut t = PathTable::new();
        t.add(
            names.iter().map(String::as_str),
            Outcome::converted(1.0, 5.0),
        )
        .unwrap();
        let tight = ShaoLi {
            max_pair_updates: 19_899.0,
        };
        match tight.attribute(&t) {
            Err(Error::CostLimit {
                limit,
                cost,
                estimate,
                ..
            }) => {
                assert_eq!((limit, cost), ("max_pair_updates", 19_900.0));
                assert!(estimate.contains("200 channels"), "{estimate}");
            }
            other => panic!("expected the pair limit, got {other:?}"),
        }
        let enough = ShaoLi {
            max_pair_updates: 19_900.0,
        };
        let a = enough.attribute(&t).unwrap();
        assert!((a.credited_conversions() - 1.0).abs() < 1e-12);
        assert!(ShaoLi::default().attribute(&t).is_ok());
        let zero = ShaoLi {
            max_pair_updates: 0.0,
        };
        assert!(matches!(
            zero.attribute(&t),
            Err(Error::InvalidParameter { .. })
        ));
    }

    #[test]
    fn t2_probabilities_and_hand_example() {
        // T2 (the model reference, §Shao–Li): P(y|A,B) = 4/7, P(y|A,C) = 2/3, P(y|B,C) = 3/4;
        // players A, B, C = 0, 1, 2.
        let sets = ChannelSets::build(&t2()).unwrap();
        let p = Probabilities::new(&sets).unwrap();
        let close = |a: f64, b: f64| (a - b).abs() < 1e-12;
        assert!(close(p.single[0], 5.0 / 9.0) && close(p.single[1], 5.0 / 11.0));
        assert!(close(p.single[2], 5.0 / 8.0));
        assert!(close(p.pair(0, 1), 4.0 / 7.0) && close(p.pair(1, 0), 4.0 / 7.0));
        assert!(close(p.pair(0, 2), 2.0 / 3.0) && close(p.pair(1, 2), 0.75));
        // The model reference, §Shao–Li, row C > A (S = {A, C}): C(A) = 43/144, C(C) = 53/144.
        let mut out = Vec::new();
        p.contributions(&[0, 2], &mut out);
        assert!(close(out[0], 43.0 / 144.0) && close(out[1], 53.0 / 144.0));
    }

    #[test]
    fn zero_value_tables_get_zero_value() {
        let mut t = PathTable::new();
        t.add(["A", "B"], Outcome::new(2.0, 0.0, 1.0)).unwrap();
        let a = ShaoLi::default().attribute(&t).unwrap();
        assert_eq!(a.value("A"), 0.0);
        assert!((a.credited_conversions() - 2.0).abs() < 1e-12);
    }
}
