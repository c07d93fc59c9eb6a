//! Held-out fit quality of a conversion model: a seeded split of every row's journeys into a
//! training and a test part, and the test part's AUC and log-loss.

use std::hash::{Hash, Hasher};

use rand::SeedableRng;
use rand::rngs::Xoshiro256PlusPlus;
use rand_distr::{Binomial, Distribution};
use rustc_hash::FxHasher;
use serde::{Deserialize, Serialize};

use crate::table::{PathTable, Row};

/// The Markov chain's held-out fit quality at its order (same split as the conversion models),
/// reachable from the pipeline through this module (the Markov module itself is private).
pub(crate) use crate::model::markov::quality::fit_quality as markov_fit_quality;

/// How well a fitted conversion model predicts journeys it was not fitted on.
///
/// Every row's conversions and nulls are split at random (binomially for whole counts,
/// proportionally for fractional ones) into a training part and a test part holding `holdout`
/// of the journeys; the model is refitted on the training part and scored on the test part.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FitQuality {
    /// Area under the ROC curve of the predicted conversion probability on the test journeys
    /// (ties count one half); `None` when the test part has no conversion or no null.
    pub auc: Option<f64>,
    /// Mean negative log-likelihood per test journey (natural log; a constant prediction at the
    /// test conversion rate r scores −r ln r − (1−r) ln(1−r)).
    pub log_loss: f64,
    /// Fraction of the journeys held out.
    pub holdout: f64,
    /// Number of test journeys (conversions + nulls).
    pub test_journeys: f64,
    /// Seed of the split.
    pub seed: u64,
}

/// A seed for row `row`: the split seed mixed with the row's channel names and timestamps, so
/// the split depends on content, never on row order or channel ids. [`RowSeeds`] computes the
/// same seeds faster for every row of one table.
pub(crate) fn row_seed(table: &PathTable, row: &Row<'_>, seed: u64) -> u64 {
    let mut h = FxHasher::default();
    seed.hash(&mut h);
    for &id in row.path {
        table.channels().name(id).hash(&mut h);
    }
    row.times.hash(&mut h);
    row.converted_at.hash(&mut h);
    h.finish()
}

/// [`row_seed`] for every row of one table, without hashing a channel's name at each touch.
///
/// `FxHasher` keeps one word of state and updates it by `state ← (state + word)·K` (wrapping),
/// so hashing a given name maps any state `x` to `a·x + b` for constants `a`, `b` of that name.
/// They are measured once per channel through the hasher's public API (`with_seed` sets the
/// state; `finish` is the state rotated by a fixed amount, itself measured), and the map is
/// checked on further states; if any check fails (another hashing scheme), every seed is
/// computed by [`row_seed`]. A unit test compares the two on random rows.
pub(crate) struct RowSeeds {
    /// `(a, b)` per channel id, and the rotation of `finish`; `None`: use [`row_seed`].
    affine: Option<(Vec<(u64, u64)>, u32)>,
}

impl RowSeeds {
    /// The per-channel maps of `table`'s vocabulary (O(channels)).
    pub(crate) fn new(table: &PathTable) -> RowSeeds {
        RowSeeds {
            affine: Self::measure(table),
        }
    }

    fn measure(table: &PathTable) -> Option<(Vec<(u64, u64)>, u32)> {
        if usize::BITS != 64 {
            return None;
        }
        // `finish` of a hasher in state 1 is 1 rotated by the finishing rotation.
        let one = FxHasher::with_seed(1).finish();
        if one.count_ones() != 1 {
            return None;
        }
        let rot = one.trailing_zeros();
        let after = |x: u64, name: &str| {
            let mut h = FxHasher::with_seed(x as usize);
            name.hash(&mut h);
            h.finish().rotate_right(rot)
        };
        let mut maps = vec![(0, 0); table.channels().len()];
        for (id, name) in table.channels().iter() {
            let b = after(0, name);
            let a = after(1, name).wrapping_sub(b);
            let affine = [2, 0x9e37_79b9_7f4a_7c15, u64::MAX]
                .iter()
                .all(|&x| after(x, name) == a.wrapping_mul(x).wrapping_add(b));
            if !affine {
                return None;
            }
            maps[id.index()] = (a, b);
        }
        Some((maps, rot))
    }

    /// The seed of `row` (of the table these were measured on) for split seed `seed`: equal to
    /// [`row_seed`].
    pub(crate) fn seed(&self, table: &PathTable, row: &Row<'_>, seed: u64) -> u64 {
        let Some((maps, rot)) = &self.affine else {
            return row_seed(table, row, seed);
        };
        let mut h = FxHasher::default();
        seed.hash(&mut h);
        let mut x = h.finish().rotate_right(*rot);
        for &id in row.path {
            let (a, b) = maps[id.index()];
            x = a.wrapping_mul(x).wrapping_add(b);
        }
        let mut h = FxHasher::with_seed(x as usize);
        row.times.hash(&mut h);
        row.converted_at.hash(&mut h);
        h.finish()
    }
}

/// Draws the test parts of counts: Binomial(n, f) for whole n, n·f otherwise. The binomials of
/// the small counts most rows have are built once (each `Binomial::new` takes a power); a
/// binomial is a plain value, so a draw from a kept one equals a draw from a new one.
struct Thinner {
    f: f64,
    small: Vec<Option<Binomial>>,
}

impl Thinner {
    /// Counts below this have their binomial built once.
    const SMALL: u64 = 64;

    fn new(f: f64) -> Thinner {
        Thinner {
            f,
            small: (0..Self::SMALL).map(|n| Binomial::new(n, f).ok()).collect(),
        }
    }

    fn thin(&self, n: f64, rng: &mut Xoshiro256PlusPlus) -> f64 {
        if n <= 0.0 {
            return 0.0;
        }
        if n.fract() == 0.0 && n < 9.0e15 {
            // n is a whole number below 2^53 and f in (0, 1): a valid binomial.
            let k = n as u64;
            let made;
            let b = match self.small.get(k as usize) {
                Some(b) => b.as_ref(),
                None => {
                    made = Binomial::new(k, self.f).ok();
                    made.as_ref()
                }
            };
            match b {
                Some(b) => b.sample(rng) as f64,
                None => n * self.f,
            }
        } else {
            n * self.f
        }
    }
}

/// Per-row `(conversions, nulls)` of the test part; the training part is the rest of each row
/// ([`Split::train`]), computed when read rather than stored (16 bytes a row less).
pub(crate) struct Split {
    pub test: Vec<(f64, f64)>,
}

impl Split {
    /// The training part of every row of `table` (the table split), in row order.
    pub(crate) fn train<'a>(
        &'a self,
        table: &'a PathTable,
    ) -> impl Iterator<Item = (f64, f64)> + 'a {
        table.rows().zip(&self.test).map(|(row, &(tc, tn))| {
            let o = row.outcome;
            ((o.conversions - tc).max(0.0), (o.nulls - tn).max(0.0))
        })
    }
}

/// Splits every row's journeys; `fraction` in (0, 1) goes to the test part. Each row draws
/// from its own content-seeded generator, so blocks of rows draw their test parts in parallel
/// with the same result as one pass.
pub(crate) fn split(table: &PathTable, fraction: f64, seed: u64) -> Split {
    const BLOCK: usize = 1 << 14;
    let (seeds, thinner) = (RowSeeds::new(table), Thinner::new(fraction));
    let blocks = crate::par::map_tasks(table.len().div_ceil(BLOCK), |b| {
        let rows = b * BLOCK..((b + 1) * BLOCK).min(table.len());
        rows.map(|r| {
            let row = table.row(r);
            let mut rng = Xoshiro256PlusPlus::seed_from_u64(seeds.seed(table, &row, seed));
            let o = row.outcome;
            (
                thinner.thin(o.conversions, &mut rng),
                thinner.thin(o.nulls, &mut rng),
            )
        })
        .collect::<Vec<_>>()
    });
    // Block by block, so that the drawn blocks are freed as the column fills.
    let mut test = Vec::with_capacity(table.len());
    for block in blocks {
        test.extend(block);
    }
    Split { test }
}

/// The held-out fit quality of a model: with `holdout` > 0, `predict` refits on the training
/// part of the seeded split and predicts every row; the test part is scored. `None` without a
/// holdout.
pub(crate) fn held_out(
    table: &PathTable,
    holdout: f64,
    seed: u64,
    predict: impl FnOnce(&[(f64, f64)]) -> crate::error::Result<Vec<f64>>,
) -> crate::error::Result<Option<FitQuality>> {
    if holdout <= 0.0 {
        return Ok(None);
    }
    let split = split(table, holdout, seed);
    let train: Vec<(f64, f64)> = split.train(table).collect();
    let pred = predict(&train)?;
    Ok(Some(score(&pred, &split.test, holdout, seed)))
}

/// The table's own per-row `(conversions, nulls)`.
pub(crate) fn weights(table: &PathTable) -> Vec<(f64, f64)> {
    table
        .rows()
        .map(|r| (r.outcome.conversions, r.outcome.nulls))
        .collect()
}

/// Weighted AUC and log-loss of predictions `p` for rows with `(positives, negatives)`.
pub(crate) fn score(p: &[f64], w: &[(f64, f64)], holdout: f64, seed: u64) -> FitQuality {
    score_by(|r| p[r], w, holdout, seed)
}

/// [`score`] of the prediction `p(r)` of each row `r` of `w`.
fn score_by(p: impl Fn(usize) -> f64, w: &[(f64, f64)], holdout: f64, seed: u64) -> FitQuality {
    let logs = |r| log_pair(p(r));
    scored(&p, logs, w, holdout, seed)
}

/// [`score`] of predictions made per state, not per row (the Markov chain's): row `r` is
/// predicted `by_state[state_of[r]]`. Each state's logarithms are taken once; the figures are
/// those of [`score`] on the per-row predictions, to the bit.
pub(crate) fn score_states(
    by_state: &[f64],
    state_of: &[u32],
    w: &[(f64, f64)],
    holdout: f64,
    seed: u64,
) -> FitQuality {
    let logs: Vec<(f64, f64)> = by_state.iter().map(|&p| log_pair(p)).collect();
    let p = |r: usize| by_state[state_of[r] as usize];
    scored(&p, |r| logs[state_of[r] as usize], w, holdout, seed)
}

/// `(ln p, ln(1 − p))` of a prediction clamped away from 0 and 1.
fn log_pair(p: f64) -> (f64, f64) {
    let eps = 1e-15;
    let p = p.clamp(eps, 1.0 - eps);
    (p.ln(), (1.0 - p).ln())
}

/// The fit quality of predictions `p(r)` with logarithms `logs(r)` (see [`log_pair`]).
fn scored(
    p: &impl Fn(usize) -> f64,
    logs: impl Fn(usize) -> (f64, f64),
    w: &[(f64, f64)],
    holdout: f64,
    seed: u64,
) -> FitQuality {
    let (mut loss, mut total) = (0.0, 0.0);
    for (r, &(s, f)) in w.iter().enumerate() {
        let (lp, lq) = logs(r);
        loss -= s * lp + f * lq;
        total += s + f;
    }
    FitQuality {
        auc: auc_by(p, w),
        log_loss: if total > 0.0 { loss / total } else { 0.0 },
        holdout,
        test_journeys: total,
        seed,
    }
}

/// `x` as an integer in the order of [`f64::total_cmp`] (which compares these integers).
fn total_key(x: f64) -> i64 {
    let bits = x.to_bits() as i64;
    bits ^ (((bits >> 63) as u64) >> 1) as i64
}

/// Weighted AUC of the prediction `p(r)` of each row `r` of `w`: P(score of a random positive >
/// score of a random negative) + ½ P(tie). O(R log R).
fn auc_by(p: &impl Fn(usize) -> f64, w: &[(f64, f64)]) -> Option<f64> {
    // Row indices as u32 (a table has fewer than 2^32 rows): half the memory of usize.
    // Sorted by score in `f64::total_cmp`'s order, ties in row order (the stable sort's
    // order, which the sums below follow): one integer pair compare, in parallel.
    let mut keyed: Vec<(i64, u32)> = (0..w.len())
        .filter(|&i| w[i].0 + w[i].1 > 0.0)
        .map(|i| (total_key(p(i)), i as u32))
        .collect();
    crate::par::sort_unstable_by_key(&mut keyed, |&k| k);
    let order: Vec<u32> = keyed.into_iter().map(|(_, i)| i).collect();
    let at = |k: usize| order[k] as usize;
    let (pos, neg): (f64, f64) = w.iter().fold((0.0, 0.0), |a, x| (a.0 + x.0, a.1 + x.1));
    if pos <= 0.0 || neg <= 0.0 {
        return None;
    }
    let (mut neg_below, mut area) = (0.0, 0.0);
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        let (mut gp, mut gn) = (0.0, 0.0);
        while j < order.len() && p(at(j)) == p(at(i)) {
            gp += w[at(j)].0;
            gn += w[at(j)].1;
            j += 1;
        }
        area += gp * (neg_below + 0.5 * gn);
        neg_below += gn;
        i = j;
    }
    Some(area / (pos * neg))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn total_keys_order_as_total_cmp() {
        let xs = [
            f64::NEG_INFINITY,
            -1.5,
            -0.0,
            0.0,
            1e-300,
            0.25,
            1.0,
            f64::INFINITY,
            f64::NAN,
            -f64::NAN,
        ];
        for a in xs {
            for b in xs {
                assert_eq!(total_key(a).cmp(&total_key(b)), a.total_cmp(&b), "{a} {b}");
            }
        }
    }

    #[test]
    fn auc_by_hand() {
        // Scores 0.1 (1 pos, 2 neg), 0.5 (2 pos, 1 neg), 0.9 (1 pos, 0 neg): P = 4, N = 3.
        // Pairs won: 0.1: ½·1·2 = 1; 0.5: 2·(2 + ½) = 5; 0.9: 1·3 = 3 → 9/12.
        let p = [0.5, 0.1, 0.9];
        let w = [(2.0, 1.0), (1.0, 2.0), (1.0, 0.0)];
        assert!((auc_by(&|r| p[r], &w).unwrap() - 0.75).abs() < 1e-15);
        assert_eq!(auc_by(&|r| p[r], &[(1.0, 0.0); 3]), None);
        // Log-loss of p = ½ everywhere is ln 2.
        let q = score(&[0.5; 3], &w, 0.2, 1);
        assert!((q.log_loss - 2f64.ln()).abs() < 1e-15);
        assert_eq!(q.test_journeys, 7.0);
    }

    #[test]
    fn per_state_scores_equal_per_row_scores() {
        let by_state = [0.3, 1e-17, 0.999_999, 0.5];
        let state_of: Vec<u32> = (0..50).map(|r| (r * 7 % 4) as u32).collect();
        let w: Vec<(f64, f64)> = (0..50)
            .map(|r| (f64::from(r % 3), 0.1 * f64::from(r % 5)))
            .collect();
        let per_row: Vec<f64> = state_of.iter().map(|&s| by_state[s as usize]).collect();
        let a = score_states(&by_state, &state_of, &w, 0.2, 9);
        let b = score(&per_row, &w, 0.2, 9);
        assert_eq!(a.log_loss.to_bits(), b.log_loss.to_bits());
        assert_eq!(a.auc.map(f64::to_bits), b.auc.map(f64::to_bits));
        assert_eq!(a, b);
    }

    #[test]
    fn row_seeds_equal_row_seed() {
        use rand::RngExt;
        let names = [
            "Search",
            "Direct",
            "E-mail ✉",
            "a",
            "Paid Search/brand_q4",
            "x".repeat(40).leak(),
        ];
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(11);
        let mut t = PathTable::new();
        for r in 0..300 {
            let len = rng.random_range(1..12);
            let path: Vec<&str> = (0..len)
                .map(|_| names[rng.random_range(0..names.len())])
                .collect();
            let o = crate::outcome::Outcome::new(1.0, 2.0, 3.0);
            if r % 3 == 0 {
                let times: Vec<i64> = (0..len as i64).map(|k| 1_000 * k + r).collect();
                t.add_timed(&path, &times, (r % 2 == 0).then_some(99_999), o)
                    .unwrap();
            } else {
                t.add(&path, o).unwrap();
            }
        }
        let seeds = RowSeeds::new(&t);
        // The fast path is the one under test (this crate's targets are 64-bit).
        assert!(seeds.affine.is_some());
        for seed in [0, 7, u64::MAX] {
            for row in t.rows() {
                assert_eq!(seeds.seed(&t, &row, seed), row_seed(&t, &row, seed));
            }
        }
    }

    #[test]
    fn kept_binomials_draw_as_new_ones() {
        // The draw of a binomial built at each call, as before `Thinner`.
        fn fresh(n: f64, f: f64, rng: &mut Xoshiro256PlusPlus) -> f64 {
            if n <= 0.0 {
                return 0.0;
            }
            if n.fract() == 0.0 && n < 9.0e15 {
                match Binomial::new(n as u64, f) {
                    Ok(b) => b.sample(rng) as f64,
                    Err(_) => n * f,
                }
            } else {
                n * f
            }
        }
        for f in [0.2, 0.5, 0.93] {
            let thinner = Thinner::new(f);
            let (mut a, mut b) = (
                Xoshiro256PlusPlus::seed_from_u64(5),
                Xoshiro256PlusPlus::seed_from_u64(5),
            );
            for n in [0.0, 1.0, 2.0, 3.0, 17.0, 63.0, 64.0, 65.0, 1e6, 2.5, 1e16] {
                assert_eq!(
                    thinner.thin(n, &mut a),
                    fresh(n, f, &mut b),
                    "n = {n}, f = {f}"
                );
            }
        }
    }

    #[test]
    fn split_keeps_every_journey_and_depends_on_the_seed() {
        let t = crate::fixtures::t2();
        let s = split(&t, 0.5, 3);
        for (row, (a, b)) in t.rows().zip(s.train(&t).zip(&s.test)) {
            assert_eq!(a.0 + b.0, row.outcome.conversions);
            assert_eq!(a.1 + b.1, row.outcome.nulls);
        }
        let again = split(&t, 0.5, 3);
        assert_eq!(s.test, again.test);
    }
}
