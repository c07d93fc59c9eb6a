//! Choosing the order k by out-of-sample prediction of conversion (`Order::Auto`).
//!
//! The method is documented on [`Order`](super::Order) (public docs).
//!
//! # Complexity
//! O(T·K) time for T touches and K = `max_order` (one incremental suffix key per order and
//! row), O(D·F·K) memory for D distinct path suffixes and F folds, and O(D·F log(D·F)) per
//! order for the ROC sort.

use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::table::PathTable;
use crate::walk::fold_rows;

use super::states::{KeyCodec, StateRule};

/// Cross-validated score of one candidate order (see [`Order::Auto`](super::Order::Auto)).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OrderScore {
    /// The order k.
    pub order: usize,
    /// Pooled out-of-fold AUC of conversion prediction; `None` when the table has no nulls (or
    /// no conversions), so no ROC curve exists.
    pub auc: Option<f64>,
}

/// Per-order suffix counts: `key → slot`, and per slot `2·F` sums (conversions, nulls by fold).
#[derive(Debug, Default)]
struct SuffixCounts {
    slot: FxHashMap<u128, usize>,
    sums: Vec<f64>,
}

impl SuffixCounts {
    fn add(&mut self, key: u128, fold: usize, folds: usize, c: f64, u: f64) {
        let next = self.slot.len();
        let i = *self.slot.entry(key).or_insert(next);
        if i == next {
            self.sums.resize(self.sums.len() + 2 * folds, 0.0);
        }
        self.sums[i * 2 * folds + 2 * fold] += c;
        self.sums[i * 2 * folds + 2 * fold + 1] += u;
    }

    fn merge(&mut self, other: SuffixCounts, folds: usize) {
        for (key, j) in other.slot {
            let next = self.slot.len();
            let i = *self.slot.entry(key).or_insert(next);
            if i == next {
                self.sums.resize(self.sums.len() + 2 * folds, 0.0);
            }
            for x in 0..2 * folds {
                self.sums[i * 2 * folds + x] += other.sums[j * 2 * folds + x];
            }
        }
    }
}

/// FNV-1a of a channel name: the per-channel ingredient of the fold hash.
fn name_hash(name: &str) -> u64 {
    name.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// SplitMix64's finaliser: mixes the running path hash after each channel.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Scores orders `1..=max_order` and returns the chosen order with every score.
///
/// # Errors
/// [`Error::InvalidParameter`](crate::Error::InvalidParameter) if `max_order` does not fit the
/// state key (see the `order` parameter of [`Markov`](super::Markov)).
pub(crate) fn choose(
    table: &PathTable,
    collapse: bool,
    max_order: usize,
    folds: usize,
    tolerance: f64,
) -> Result<(usize, Vec<OrderScore>)> {
    let ch = table.channels();
    let codec = KeyCodec::new(ch.len(), max_order)?;
    let names: Vec<u64> = ch.iter().map(|(_, n)| name_hash(n)).collect();
    let rule = StateRule {
        order: max_order,
        collapse,
    };
    let init = || {
        let tables: Vec<SuffixCounts> = (0..max_order).map(|_| SuffixCounts::default()).collect();
        (tables, Vec::new())
    };
    let (tables, _) = fold_rows(
        table,
        init,
        |(tables, buf), _, row| {
            let o = row.outcome;
            if o.journeys() == 0.0 {
                return Ok(());
            }
            let path = rule.modelled(row.path, buf);
            let h = path.iter().fold(0u64, |h, c| mix(h ^ names[c.index()]));
            let fold = (h % folds as u64) as usize;
            let mut key = 0u128;
            let mut len = 0usize;
            for (k, t) in tables.iter_mut().enumerate() {
                // Suffix of length min(k + 1, L): prepend one more channel while there is one.
                if len < path.len() {
                    let c = path[path.len() - 1 - len];
                    key |= codec.key(std::slice::from_ref(&c)) << (codec.bits() * len as u32);
                    len += 1;
                }
                debug_assert!(k + 1 >= len);
                t.add(key, fold, folds, o.conversions, o.nulls);
            }
            Ok(())
        },
        |a, b| {
            for (x, y) in a.0.iter_mut().zip(b.0) {
                x.merge(y, folds);
            }
        },
    )?;
    // Fold totals from the order-1 table (every row has exactly one last channel).
    let mut fold_tot = vec![0.0; 2 * folds];
    if let Some(t1) = tables.first() {
        for block in t1.sums.chunks_exact(2 * folds) {
            fold_tot.iter_mut().zip(block).for_each(|(a, b)| *a += b);
        }
    }
    let scores: Vec<OrderScore> = tables
        .iter()
        .enumerate()
        .map(|(k, t)| OrderScore {
            order: k + 1,
            auc: held_out_auc(t, &fold_tot, folds),
        })
        .collect();
    let best = scores
        .iter()
        .filter_map(|s| s.auc)
        .fold(f64::NEG_INFINITY, f64::max);
    let chosen = scores
        .iter()
        .find(|s| s.auc.is_some_and(|a| a >= best - tolerance))
        .map_or(1, |s| s.order);
    Ok((chosen, scores))
}

/// Pooled out-of-fold AUC of one order's suffix table.
fn held_out_auc(t: &SuffixCounts, fold_tot: &[f64], folds: usize) -> Option<f64> {
    let train = |sums: &[f64], f: usize| -> (f64, f64) {
        let (mut c, mut u) = (0.0, 0.0);
        for g in (0..folds).filter(|&g| g != f) {
            c += sums[2 * g];
            u += sums[2 * g + 1];
        }
        (c, u)
    };
    // (score, positives, negatives, key, fold): the key and fold make the sort order total.
    let mut pts: Vec<(f64, f64, f64, u128, usize)> = Vec::new();
    for (&key, &i) in &t.slot {
        let sums = &t.sums[i * 2 * folds..(i + 1) * 2 * folds];
        for f in 0..folds {
            let (pos, neg) = (sums[2 * f], sums[2 * f + 1]);
            if pos + neg == 0.0 {
                continue;
            }
            let (c, u) = train(sums, f);
            let score = if c + u > 0.0 {
                c / (c + u)
            } else {
                let (bc, bu) = train(fold_tot, f);
                if bc + bu > 0.0 { bc / (bc + bu) } else { 0.5 }
            };
            pts.push((score, pos, neg, key, f));
        }
    }
    pts.sort_unstable_by(|a, b| a.0.total_cmp(&b.0).then(a.3.cmp(&b.3)).then(a.4.cmp(&b.4)));
    let (p_tot, n_tot): (f64, f64) = pts.iter().fold((0.0, 0.0), |(p, n), x| (p + x.1, n + x.2));
    if !(p_tot > 0.0 && n_tot > 0.0) {
        return None;
    }
    // Σ over score groups of positives × (negatives below + half the negatives tied).
    let (mut area, mut neg_below) = (0.0, 0.0);
    let mut i = 0;
    while i < pts.len() {
        let j = i + pts[i..].iter().take_while(|x| x.0 == pts[i].0).count();
        let (pos, neg) = pts[i..j]
            .iter()
            .fold((0.0, 0.0), |(p, n), x| (p + x.1, n + x.2));
        area += pos * (neg_below + 0.5 * neg);
        neg_below += neg;
        i = j;
    }
    Some(area / (p_tot * n_tot))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::Outcome;

    /// Every path of length 3..=5 over {A, B, C}; conversion depends on the last `dep` channels:
    /// paths ending in the pattern convert 9 of 10 times, others 1 of 10.
    fn table(pattern: &[&str]) -> PathTable {
        let names = ["A", "B", "C"];
        let mut t = PathTable::new();
        for len in 3..=5u32 {
            for code in 0..3usize.pow(len) {
                let mut x = code;
                let path: Vec<&str> = (0..len)
                    .map(|_| {
                        let c = names[x % 3];
                        x /= 3;
                        c
                    })
                    .collect();
                let hit = path.ends_with(pattern);
                let o = if hit {
                    Outcome::new(9.0, 0.0, 1.0)
                } else {
                    Outcome::new(1.0, 0.0, 9.0)
                };
                t.add(&path, o).unwrap();
            }
        }
        t
    }

    #[test]
    fn picks_the_order_the_data_needs() {
        // Depends on the last two channels: order 1 cannot see it, order 2 predicts perfectly.
        let (k, scores) = choose(&table(&["A", "B"]), false, 4, 5, 1e-3).unwrap();
        assert_eq!(k, 2, "{scores:?}");
        // Order 2 predicts 9/10 or 1/10 in every fold; with H rows ending in A > B and 8H others
        // its AUC is (9H·72H + ½·9H·H + ½·8H·72H)/(17H·73H) = 940.5/1241. Order 1 mixes the
        // suffixes ending in B (in-sample AUC 860.5/1241).
        assert!(
            (scores[1].auc.unwrap() - 940.5 / 1241.0).abs() < 1e-12,
            "{scores:?}"
        );
        assert!(
            scores[0].auc.unwrap() < scores[1].auc.unwrap() - 0.03,
            "{scores:?}"
        );
        // Depends on the last channel only: every order is perfect, the smallest wins.
        let (k, scores) = choose(&table(&["C"]), false, 3, 5, 1e-3).unwrap();
        assert_eq!(k, 1, "{scores:?}");
        // Depends on three channels.
        let (k, _) = choose(&table(&["C", "A", "B"]), false, 4, 5, 1e-3).unwrap();
        assert_eq!(k, 3);
    }

    #[test]
    fn auc_counts_ties_as_one_half() {
        // One suffix, two folds with identical rates: every score ties, AUC = 1/2.
        let mut t = SuffixCounts::default();
        t.add(1, 0, 2, 1.0, 1.0);
        t.add(1, 1, 2, 1.0, 1.0);
        let auc = held_out_auc(&t, &[1.0, 1.0, 1.0, 1.0], 2).unwrap();
        assert_eq!(auc, 0.5);
        // No negatives: no ROC curve.
        let mut t = SuffixCounts::default();
        t.add(1, 0, 2, 1.0, 0.0);
        assert_eq!(held_out_auc(&t, &[1.0, 0.0, 0.0, 0.0], 2), None);
    }

    #[test]
    fn the_fold_hash_is_fixed() {
        // FNV-1a test vector: "a" → 0xaf63dc4c8601ec8c.
        assert_eq!(name_hash("a"), 0xaf63_dc4c_8601_ec8c);
    }
}
