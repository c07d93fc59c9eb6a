//! Held-out fit quality of the Markov chain at its order, on the same seeded split of the
//! journeys as the conversion models (the model reference, §Markov chain), so `fit_quality`
//! compares every model that predicts conversion on one footing.
//!
//! **The prediction.** A journey that has ended in state s (the last min(k, L) channels of its
//! modelled path) leaves the chain to `(conversion)` or `(null)`; the chain fitted on the
//! training part predicts conversion with the probability of the conversion exit among the two,
//! p̂(s) = C_s / (C_s + U_s), where C_s and U_s are the training conversions and nulls of the
//! journeys that end in s. A state no training journey ends in gets the training conversion
//! rate. This is the order-selection score of `Order::Auto` on a single split, so the AUC here
//! and the `order_scores` measure the same thing.
//!
//! # Complexity
//! O(T + R·k) time for T touches and R rows (one hash of each row's last state), memory
//! O(R) for the split, the predictions and a 4-byte state index per row, plus one entry per
//! distinct last state.

use rustc_hash::FxHashMap;

use super::states::StateRule;
use crate::channel::ChannelId;
use crate::model::dda::quality::{self, FitQuality};
use crate::table::PathTable;

/// Fraction of the journeys held out, as the conversion models' default `holdout`.
pub(crate) const HOLDOUT: f64 = 0.2;
/// Seed of the split, as the conversion models' default `seed`.
pub(crate) const SEED: u64 = 42;

/// The held-out AUC and log-loss of the order-`order` chain on `table` (see the module docs),
/// with the conversion models' default split ([`HOLDOUT`], [`SEED`]). `None` when the training
/// part holds no journey.
pub(crate) fn fit_quality(table: &PathTable, order: usize, collapse: bool) -> Option<FitQuality> {
    held_out(table, order, collapse, HOLDOUT, SEED)
}

/// [`fit_quality`] with any split.
pub(crate) fn held_out(
    table: &PathTable,
    order: usize,
    collapse: bool,
    holdout: f64,
    seed: u64,
) -> Option<FitQuality> {
    let rule = StateRule {
        order: order.max(1),
        collapse,
    };
    let split = quality::split(table, holdout, seed);
    // The last state of every row, as an index into the distinct states (4 bytes a row, not a
    // vector each), numbered in order of first appearance: blocks of rows number their own
    // states in parallel, and their numbers are mapped to the table's in block order.
    const BLOCK: usize = 1 << 14;
    let blocks = crate::par::map_tasks(table.len().div_ceil(BLOCK), |b| {
        let mut local: FxHashMap<Vec<ChannelId>, u32> = FxHashMap::default();
        let mut firsts: Vec<Vec<ChannelId>> = Vec::new();
        let mut buf = Vec::new();
        let rows = b * BLOCK..((b + 1) * BLOCK).min(table.len());
        let state_of: Vec<u32> = rows
            .map(|r| {
                let p = rule.modelled(table.row(r).path, &mut buf);
                let last = &p[p.len().saturating_sub(rule.order)..];
                match local.get(last) {
                    Some(&id) => id,
                    None => {
                        let id = firsts.len() as u32;
                        local.insert(last.to_vec(), id);
                        firsts.push(last.to_vec());
                        id
                    }
                }
            })
            .collect();
        (firsts, state_of)
    });
    let mut ids: FxHashMap<Vec<ChannelId>, u32> = FxHashMap::default();
    let mut state_of: Vec<u32> = Vec::with_capacity(table.len());
    for (firsts, local) in blocks {
        let global: Vec<u32> = firsts
            .into_iter()
            .map(|state| {
                let next = ids.len() as u32;
                *ids.entry(state).or_insert(next)
            })
            .collect();
        state_of.extend(local.iter().map(|&s| global[s as usize]));
    }
    let mut exits = vec![(0.0f64, 0.0f64); ids.len()];
    let (mut conv, mut total) = (0.0, 0.0);
    for (&s, (c, u)) in state_of.iter().zip(split.train(table)) {
        if c + u > 0.0 {
            let e = &mut exits[s as usize];
            e.0 += c;
            e.1 += u;
            conv += c;
            total += c + u;
        }
    }
    if total <= 0.0 {
        return None;
    }
    let rate = conv / total;
    // One prediction per state, not per row.
    let by_state: Vec<f64> = exits
        .iter()
        .map(|&(c, u)| {
            // Only training rows with exits add to a state, so a positive sum means one did.
            if c + u > 0.0 { c / (c + u) } else { rate }
        })
        .collect();
    Some(quality::score_states(
        &by_state,
        &state_of,
        &split.test,
        holdout,
        seed,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::Outcome;

    #[test]
    fn by_hand_on_a_split_of_whole_rows() {
        // With holdout 0.5 every row's counts are thinned binomially; read the split back and
        // recompute the prediction by hand: p̂(state) = training C / (C + U) of the rows
        // ending in it, the training rate for a state no training row ends in.
        let mut t = PathTable::new();
        t.add(["A", "B"], Outcome::new(30.0, 300.0, 70.0)).unwrap();
        t.add(["C", "B"], Outcome::new(10.0, 100.0, 90.0)).unwrap();
        t.add(["A"], Outcome::new(5.0, 50.0, 95.0)).unwrap();
        let split = quality::split(&t, 0.5, 7);
        let k1 = held_out(&t, 1, false, 0.5, 7).unwrap();
        let k2 = held_out(&t, 2, false, 0.5, 7).unwrap();
        let tr: Vec<(f64, f64)> = split.train(&t).collect();
        // Order 1: rows 0 and 1 share the state B.
        let b = (tr[0].0 + tr[1].0) / (tr[0].0 + tr[0].1 + tr[1].0 + tr[1].1);
        let a = tr[2].0 / (tr[2].0 + tr[2].1);
        let want1 = quality::score(&[b, b, a], &split.test, 0.5, 7);
        assert_eq!(k1, want1);
        // Order 2: every row is its own state.
        let own: Vec<f64> = tr.iter().map(|&(c, u)| c / (c + u)).collect();
        assert_eq!(k2, quality::score(&own, &split.test, 0.5, 7));
        // Order 2 separates A > B (30%) from C > B (10%): a better AUC than order 1.
        assert!(k2.auc.unwrap() > k1.auc.unwrap(), "{k1:?} {k2:?}");
    }

    #[test]
    fn collapse_is_honoured() {
        let mut t = PathTable::new();
        t.add(["A", "A"], Outcome::new(1.0, 10.0, 9.0)).unwrap();
        t.add(["B"], Outcome::new(2.0, 20.0, 3.0)).unwrap();
        // Collapsed at order 2, A > A is the state (A): same prediction as order 1.
        assert_eq!(
            held_out(&t, 2, true, 0.5, 3),
            held_out(&t, 1, false, 0.5, 3)
        );
    }
}
