//! Choosing the order k by out-of-sample prediction of conversion (`Order::Auto`).
//!
//! The method is documented on [`Order`](super::Order) (public docs).
//!
//! # Complexity
//! O(T + R·K) time for T touches, R rows and K = `max_order` (one incrementally numbered suffix
//! per order and row, no hashing), counts in [`Cells`] (dense, or per-chunk logs merged into
//! dense or hashed totals: O(D·F + R·K) memory for D distinct suffixes and F folds), and
//! O(D·F log(D·F)) per order for the ROC sort.

use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::table::PathTable;
use crate::walk::fold_rows;

use super::counts::Cells;
use super::states::{DenseLayout, StateRule};

/// Cross-validated score of one candidate order (see [`Order::Auto`](super::Order::Auto)).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OrderScore {
    /// The order k.
    pub order: usize,
    /// Pooled out-of-fold AUC of conversion prediction; `None` when the table has no nulls (or
    /// no conversions), so no ROC curve exists.
    pub auc: Option<f64>,
}

/// FNV-1a of a channel name: the per-channel ingredient of the fold hash.
fn name_hash(name: &str) -> u64 {
    let mut h = crate::hash::Fnv1a::default();
    h.write(name.as_bytes());
    h.finish()
}

/// SplitMix64's finaliser: mixes the running path hash after each channel.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Scores orders `1..=max_order` and returns the chosen order with every score.
///
/// Each order's counts live in [`Cells`] indexed by (suffix, fold, outcome): the suffix numbered
/// densely in base n ([`DenseLayout`]), so the hot loop never hashes. Orders whose suffixes
/// cannot be numbered in 64 bits (e.g. beyond 3 with a million channels) are not tried.
///
/// # Errors
/// Only those of the row walk (none for a valid table).
pub(crate) fn choose(
    table: &PathTable,
    collapse: bool,
    max_order: usize,
    folds: usize,
    tolerance: f64,
) -> Result<(usize, Vec<OrderScore>)> {
    let ch = table.channels();
    let n = ch.len();
    let stride = 2 * folds;
    let Some(layout) = (1..=max_order)
        .rev()
        .find_map(|k| DenseLayout::new(n, k, (u64::MAX / stride as u64) as usize))
    else {
        return Ok((1, Vec::new()));
    };
    let orders = layout.offsets.len() - 2;
    let names: Vec<u64> = ch.iter().map(|(_, s)| name_hash(s)).collect();
    let rule = StateRule {
        order: orders,
        collapse,
    };
    let rows = table.len().clamp(1, 8192);
    let cells = |k: usize| layout.offsets[k + 1] * stride;
    let parts = fold_rows(
        table,
        || {
            let counts: Vec<Cells> = (1..=orders)
                .map(|k| Cells::chunk(cells(k), 2 * rows))
                .collect();
            vec![(counts, Vec::new())]
        },
        |acc, _, row| {
            let (counts, buf) = &mut acc[0];
            let o = row.outcome;
            if o.journeys() == 0.0 {
                return Ok(());
            }
            let path = rule.modelled(row.path, buf);
            let h = path.iter().fold(0u64, |h, c| mix(h ^ names[c.index()]));
            let fold = (h % folds as u64) as usize;
            // The suffix of length min(k, L) in base n, extended one channel to the left per order.
            let (mut r, mut power, mut len) = (0usize, 1usize, 0usize);
            for (k, cells) in counts.iter_mut().enumerate() {
                if len < path.len() {
                    r += path[path.len() - 1 - len].index() * power;
                    power = power.wrapping_mul(n);
                    len += 1;
                }
                debug_assert!(len <= k + 1);
                let cell = ((layout.offsets[len] + r) * folds + fold) as u64 * 2;
                if o.conversions > 0.0 {
                    cells.add(cell, o.conversions);
                }
                if o.nulls > 0.0 {
                    cells.add(cell + 1, o.nulls);
                }
            }
            Ok(())
        },
        |a, b| a.extend(b),
    )?;
    let mut totals: Vec<Cells> = (1..=orders).map(|k| Cells::total(cells(k))).collect();
    for (counts, _) in parts {
        for (c, t) in counts.into_iter().zip(totals.iter_mut()) {
            c.add_into(t);
        }
    }
    let sums: Vec<Vec<(u64, f64)>> = totals.into_iter().map(Cells::into_sorted).collect();
    // Fold totals from order 1 (every row has exactly one last channel).
    let mut fold_tot = vec![0.0; stride];
    for &(cell, x) in &sums[0] {
        fold_tot[(cell % stride as u64) as usize] += x;
    }
    let scores: Vec<OrderScore> = sums
        .iter()
        .enumerate()
        .map(|(k, s)| OrderScore {
            order: k + 1,
            auc: held_out_auc(s, &fold_tot, folds),
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

/// Pooled out-of-fold AUC of one order, from its non-zero cells sorted by
/// `(suffix, fold, outcome)`.
fn held_out_auc(cells: &[(u64, f64)], fold_tot: &[f64], folds: usize) -> Option<f64> {
    let stride = 2 * folds as u64;
    let train = |sums: &[f64], f: usize| -> (f64, f64) {
        let (mut c, mut u) = (0.0, 0.0);
        for g in (0..folds).filter(|&g| g != f) {
            c += sums[2 * g];
            u += sums[2 * g + 1];
        }
        (c, u)
    };
    // (score, positives, negatives, suffix, fold): suffix and fold make the sort order total.
    let mut pts: Vec<(f64, f64, f64, u64, usize)> = Vec::new();
    let mut sums = vec![0.0; 2 * folds];
    let mut i = 0;
    while i < cells.len() {
        let suffix = cells[i].0 / stride;
        sums.fill(0.0);
        while i < cells.len() && cells[i].0 / stride == suffix {
            sums[(cells[i].0 % stride) as usize] = cells[i].1;
            i += 1;
        }
        for f in 0..folds {
            let (pos, neg) = (sums[2 * f], sums[2 * f + 1]);
            if pos + neg == 0.0 {
                continue;
            }
            let (c, u) = train(&sums, f);
            let score = if c + u > 0.0 {
                c / (c + u)
            } else {
                let (bc, bu) = train(fold_tot, f);
                if bc + bu > 0.0 { bc / (bc + bu) } else { 0.5 }
            };
            pts.push((score, pos, neg, suffix, f));
        }
    }
    let order = |a: &(f64, f64, f64, u64, usize), b: &(f64, f64, f64, u64, usize)| {
        a.0.total_cmp(&b.0).then(a.3.cmp(&b.3)).then(a.4.cmp(&b.4))
    };
    crate::par::sort_unstable_by(&mut pts, order);
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
        let cells = [(0, 1.0), (1, 1.0), (2, 1.0), (3, 1.0)];
        assert_eq!(held_out_auc(&cells, &[1.0, 1.0, 1.0, 1.0], 2), Some(0.5));
        // No negatives: no ROC curve.
        assert_eq!(held_out_auc(&[(0, 1.0)], &[1.0, 0.0, 0.0, 0.0], 2), None);
    }

    #[test]
    fn the_fold_hash_is_fixed() {
        // FNV-1a test vector: "a" → 0xaf63dc4c8601ec8c.
        assert_eq!(name_hash("a"), 0xaf63_dc4c_8601_ec8c);
    }
}
