//! Markov states and transition counts from a path table (MODELS.md §3.1–3.2).
//!
//! A state is a tuple of at most k channels. Ids: `0` is `(start)`, `1..=S` are the channel
//! states observed in rows with weight `c + u > 0`, sorted by their packed key (by length, then
//! by channel ids), so the numbering depends on the table's content and vocabulary only, never on
//! chunking or thread count.
//!
//! Two passes over the rows, both through [`fold_rows`]: the first collects the distinct states,
//! the second counts transitions between state ids. Each pass is O(T·k) for T touches.

use rustc_hash::{FxHashMap, FxHashSet};

use crate::channel::ChannelId;
use crate::error::{Error, Result};
use crate::table::PathTable;
use crate::walk::fold_rows;

/// State id of `(start)`.
pub(crate) const START: u32 = 0;

/// How the states of one path are formed: order k, and whether repeated channels are collapsed
/// first (`A > A > B` → `A > B`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct StateRule {
    pub order: usize,
    pub collapse: bool,
}

impl StateRule {
    /// The path the states are built from: `path` itself, or its run-collapsed copy in `buf`.
    pub fn modelled<'a>(
        &self,
        path: &'a [ChannelId],
        buf: &'a mut Vec<ChannelId>,
    ) -> &'a [ChannelId] {
        if !self.collapse {
            return path;
        }
        buf.clear();
        for &c in path {
            if buf.last() != Some(&c) {
                buf.push(c);
            }
        }
        buf
    }

    /// Calls `f` on each state of `path` (ChannelAttribution's sliding windows, §3.1): the whole
    /// path when it has at most k touches, else every window of k consecutive touches, with
    /// consecutive identical states merged. Returns the number of states.
    pub fn for_each_state(
        &self,
        path: &[ChannelId],
        buf: &mut Vec<ChannelId>,
        mut f: impl FnMut(&[ChannelId]),
    ) -> usize {
        let p = self.modelled(path, buf);
        let k = self.order;
        if p.len() <= k {
            f(p);
            return 1;
        }
        let mut prev: &[ChannelId] = &[];
        let mut m = 0;
        for w in p.windows(k) {
            if w != prev {
                f(w);
                m += 1;
                prev = w;
            }
        }
        m
    }
}

/// Packs a tuple of at most k channel ids into a `u128`: each component is `id + 1` in `bits`
/// bits, so tuples of different lengths never collide (no component is 0).
#[derive(Clone, Copy, Debug)]
pub(crate) struct KeyCodec {
    bits: u32,
}

impl KeyCodec {
    /// A codec for `channels` channels and tuples of up to `order` channels.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] when `order` tuples of that many channels do not fit in 128
    /// bits (e.g. more than 12 at 1,000 channels): such a state space could not be estimated
    /// from any realistic table anyway.
    pub fn new(channels: usize, order: usize) -> Result<KeyCodec> {
        let bits = usize::BITS - channels.leading_zeros();
        let bits = bits.max(1);
        if (bits as usize).saturating_mul(order) > 128 {
            return Err(Error::InvalidParameter {
                model: "markov",
                name: "order",
                reason: format!(
                    "order {order} over {channels} channels exceeds the 128-bit state key \
                     (at most {} at this vocabulary size)",
                    128 / bits
                ),
            });
        }
        Ok(KeyCodec { bits })
    }

    /// Bits per component.
    pub fn bits(&self) -> u32 {
        self.bits
    }

    #[inline]
    pub fn key(&self, s: &[ChannelId]) -> u128 {
        s.iter()
            .fold(0u128, |k, c| (k << self.bits) | (u128::from(c.0) + 1))
    }

    /// Appends the channels of `key` (first channel first) to `out`.
    pub fn decode(&self, mut key: u128, out: &mut Vec<ChannelId>) {
        let start = out.len();
        let mask = (1u128 << self.bits) - 1;
        while key != 0 {
            // Components are `id + 1` with id < 2^32 (see `key`), so this fits in u32.
            out.push(ChannelId(((key & mask) - 1) as u32));
            key >>= self.bits;
        }
        out[start..].reverse();
    }
}

/// Maps a state tuple to its id.
#[derive(Debug)]
enum StateIndex {
    /// Order 1: state id by channel id (`u32::MAX` for a channel that is not a state).
    Direct(Vec<u32>),
    /// Order ≥ 2: packed key → state id.
    Hashed(KeyCodec, FxHashMap<u128, u32>),
}

impl StateIndex {
    #[inline]
    fn id(&self, s: &[ChannelId]) -> u32 {
        match self {
            StateIndex::Direct(ids) => ids[s[0].index()],
            // Every state of a weighted row was collected by the first pass.
            StateIndex::Hashed(codec, map) => map.get(&codec.key(s)).copied().unwrap_or(u32::MAX),
        }
    }
}

/// Transition counts of one chunk of rows (or of the whole table after merging). Columns:
/// `1..=S` channel states, `S+1` conversion, `S+2` null, `S+3` the value of conversions ending
/// in the row's state (not a transition; kept here so one map holds everything).
#[derive(Debug)]
enum Counts {
    Dense { width: usize, w: Vec<f64> },
    Sparse(FxHashMap<u64, f64>),
}

/// Dense per-chunk counts are used while (S+1)·(S+4) stays this small.
const DENSE_COUNT_CELLS: usize = 1 << 14;

impl Counts {
    fn new(states: usize) -> Counts {
        let width = states + 4;
        if (states + 1) * width <= DENSE_COUNT_CELLS {
            Counts::Dense {
                width,
                w: vec![0.0; (states + 1) * width],
            }
        } else {
            Counts::Sparse(FxHashMap::default())
        }
    }

    #[inline]
    fn add(&mut self, from: u32, to: u32, x: f64) {
        match self {
            Counts::Dense { width, w } => w[from as usize * *width + to as usize] += x,
            Counts::Sparse(m) => {
                *m.entry((u64::from(from) << 32) | u64::from(to))
                    .or_insert(0.0) += x
            }
        }
    }

    fn merge(&mut self, other: Counts) {
        match (self, other) {
            (Counts::Dense { w, .. }, Counts::Dense { w: o, .. }) => {
                w.iter_mut().zip(o).for_each(|(a, b)| *a += b)
            }
            (Counts::Sparse(m), Counts::Sparse(o)) => {
                if m.is_empty() {
                    *m = o;
                    return;
                }
                m.reserve(o.len());
                for (k, v) in o {
                    *m.entry(k).or_insert(0.0) += v;
                }
            }
            // Both sides are made by `Counts::new` with the same state count.
            _ => unreachable!("counts of one table share their layout"),
        }
    }

    /// `(from, to, weight)` sorted by `(from, to)`, zero weights dropped.
    fn into_sorted(self) -> Vec<(u32, u32, f64)> {
        match self {
            Counts::Dense { width, w } => w
                .into_iter()
                .enumerate()
                .filter(|&(_, x)| x != 0.0)
                .map(|(i, x)| ((i / width) as u32, (i % width) as u32, x))
                .collect(),
            Counts::Sparse(m) => {
                let mut v: Vec<(u32, u32, f64)> = m
                    .into_iter()
                    .filter(|&(_, x)| x != 0.0)
                    .map(|(k, x)| ((k >> 32) as u32, k as u32, x))
                    .collect();
                sort_unstable_by_key(&mut v);
                v
            }
        }
    }
}

fn sort_unstable_by_key(v: &mut [(u32, u32, f64)]) {
    #[cfg(feature = "parallel")]
    {
        use rayon::slice::ParallelSliceMut;
        v.par_sort_unstable_by_key(|&(a, b, _)| (a, b));
    }
    #[cfg(not(feature = "parallel"))]
    v.sort_unstable_by_key(|&(a, b, _)| (a, b));
}

/// The estimated absorbing chain (MODELS.md §3.2): transition probabilities in CSR form by
/// source state, absorption probabilities, and what the value model and the simulation need.
#[derive(Clone, Debug)]
pub(crate) struct Chain {
    pub order: usize,
    /// Number of channel states S (transient states are `0..=S`, `0` = `(start)`).
    pub states: usize,
    /// Channels of state `s` (`s ≥ 1`): `tuple[tuple_ptr[s-1]..tuple_ptr[s]]`, first touch first.
    tuple: Vec<ChannelId>,
    tuple_ptr: Vec<usize>,
    /// Transient → transient transitions of state `s`: `out_ptr[s]..out_ptr[s+1]` into
    /// `out_to` (sorted) and `out_n` (counts N(s, t)).
    pub out_ptr: Vec<usize>,
    pub out_to: Vec<u32>,
    pub out_n: Vec<f64>,
    /// N(s, conversion), N(s, null), value of conversions ending in s, and the visit count
    /// N(s) = Σ_b N(s, b), per transient state.
    pub n_conv: Vec<f64>,
    pub n_null: Vec<f64>,
    pub value_end: Vec<f64>,
    pub visits: Vec<f64>,
    /// Most states in one row's sequence (ChannelAttribution's default `max_step`).
    pub max_states: usize,
    /// Per-conversion values by last state, for the simulation's value draws (built on request).
    pub pool: Option<ValuePool>,
}

/// The empirical distribution of value per conversion `v_r/c_r` over the rows whose last state is
/// `s`, weighted by `c_r` (ChannelAttribution's value draw, MODELS.md §3.5). CSR by state:
/// `value[ptr[s]..ptr[s+1]]` with cumulative weights `cum` (sorted by value).
#[derive(Clone, Debug, Default)]
pub(crate) struct ValuePool {
    pub ptr: Vec<usize>,
    pub value: Vec<f64>,
    pub cum: Vec<f64>,
}

impl ValuePool {
    fn new(states: usize, mut entries: Vec<(u32, f64, f64)>) -> ValuePool {
        entries.sort_unstable_by(|a, b| {
            (a.0, a.1.to_bits(), a.2.to_bits()).cmp(&(b.0, b.1.to_bits(), b.2.to_bits()))
        });
        let mut pool = ValuePool {
            ptr: vec![0; states + 2],
            ..ValuePool::default()
        };
        let mut acc = 0.0;
        for (i, &(s, v, w)) in entries.iter().enumerate() {
            if i == 0 || entries[i - 1].0 != s {
                acc = 0.0;
            }
            acc += w;
            pool.value.push(v);
            pool.cum.push(acc);
            pool.ptr[s as usize + 1] += 1;
        }
        for s in 0..=states {
            pool.ptr[s + 1] += pool.ptr[s];
        }
        pool
    }

    /// The value drawn for `u` uniform in [0, 1) at last state `s` (0 if no row ends there).
    pub fn draw(&self, s: usize, u: f64) -> f64 {
        let r = self.ptr[s]..self.ptr[s + 1];
        let cum = &self.cum[r.clone()];
        let Some(&total) = cum.last() else {
            return 0.0;
        };
        let x = u * total;
        let i = cum.partition_point(|&c| c <= x).min(cum.len() - 1);
        self.value[r.start + i]
    }
}

impl Chain {
    /// Builds the chain of `table` under `rule`.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] if the order does not fit the state key (see
    /// [`KeyCodec::new`]); [`Error::Numerical`] if there are more than `u32::MAX - 4` states.
    ///
    /// # Complexity
    /// Two passes of O(T·k) over T touches, plus O(E log E) to sort E distinct transitions
    /// (skipped when the state space is small enough for dense per-chunk counts). Memory
    /// O(S·k + E) for the chain, plus per-chunk partial counts while building.
    pub fn build(table: &PathTable, rule: StateRule, with_pool: bool) -> Result<Chain> {
        let n = table.channels().len();
        let (index, keys) = if rule.order == 1 {
            let observed = fold_rows(
                table,
                || vec![false; n],
                |seen, _, row| {
                    if row.outcome.journeys() > 0.0 {
                        row.path.iter().for_each(|c| seen[c.index()] = true);
                    }
                    Ok(())
                },
                |a, b| a.iter_mut().zip(b).for_each(|(x, y)| *x |= y),
            )?;
            let mut ids = vec![u32::MAX; n];
            let mut keys = Vec::new();
            for (c, _) in observed.iter().enumerate().filter(|(_, o)| **o) {
                keys.push(c as u128 + 1);
                ids[c] = keys.len() as u32;
            }
            (StateIndex::Direct(ids), keys)
        } else {
            let codec = KeyCodec::new(n, rule.order)?;
            let set = fold_rows(
                table,
                || (FxHashSet::<u128>::default(), Vec::new()),
                |(set, buf), _, row| {
                    if row.outcome.journeys() > 0.0 {
                        rule.for_each_state(row.path, buf, |s| {
                            set.insert(codec.key(s));
                        });
                    }
                    Ok(())
                },
                |a, b| {
                    if a.0.is_empty() {
                        a.0 = b.0;
                    } else {
                        a.0.extend(b.0);
                    }
                },
            )?
            .0;
            let mut keys: Vec<u128> = set.into_iter().collect();
            keys.sort_unstable();
            let map = keys
                .iter()
                .enumerate()
                .map(|(i, &k)| (k, i as u32 + 1))
                .collect();
            (StateIndex::Hashed(codec, map), keys)
        };
        let states = keys.len();
        if states > (u32::MAX - 4) as usize {
            return Err(Error::Numerical {
                model: "markov",
                reason: format!("{states} states exceed the supported number of states"),
            });
        }
        let (conv, null, value) = (states as u32 + 1, states as u32 + 2, states as u32 + 3);
        let (counts, max_states, _, pool) = fold_rows(
            table,
            || (Counts::new(states), 0usize, Vec::new(), Vec::new()),
            |(counts, max_states, buf, pool), _, row| {
                let o = row.outcome;
                let w = o.journeys();
                if w == 0.0 {
                    return Ok(()); // zero-weight rows contribute nothing (§3.9)
                }
                let mut prev = START;
                let m = rule.for_each_state(row.path, buf, |s| {
                    let id = index.id(s);
                    counts.add(prev, id, w);
                    prev = id;
                });
                *max_states = (*max_states).max(m);
                if o.conversions > 0.0 {
                    counts.add(prev, conv, o.conversions);
                    if with_pool {
                        pool.push((prev, o.value / o.conversions, o.conversions));
                    }
                }
                if o.nulls > 0.0 {
                    counts.add(prev, null, o.nulls);
                }
                if o.value > 0.0 {
                    counts.add(prev, value, o.value);
                }
                Ok(())
            },
            |a, b| {
                a.0.merge(b.0);
                a.1 = a.1.max(b.1);
                a.3.extend(b.3);
            },
        )?;
        let codec = match &index {
            StateIndex::Hashed(codec, _) => *codec,
            StateIndex::Direct(_) => KeyCodec::new(n, 1)?,
        };
        let mut tuple = Vec::with_capacity(states * rule.order);
        let mut tuple_ptr = Vec::with_capacity(states + 1);
        tuple_ptr.push(0);
        for &k in &keys {
            codec.decode(k, &mut tuple);
            tuple_ptr.push(tuple.len());
        }
        let t = states + 1;
        let mut chain = Chain {
            order: rule.order,
            states,
            tuple,
            tuple_ptr,
            out_ptr: vec![0; t + 1],
            out_to: Vec::new(),
            out_n: Vec::new(),
            n_conv: vec![0.0; t],
            n_null: vec![0.0; t],
            value_end: vec![0.0; t],
            visits: vec![0.0; t],
            max_states,
            pool: with_pool.then(|| ValuePool::new(states, pool)),
        };
        for (from, to, x) in counts.into_sorted() {
            let f = from as usize;
            if to == conv {
                chain.n_conv[f] += x;
            } else if to == null {
                chain.n_null[f] += x;
            } else if to == value {
                chain.value_end[f] += x;
                continue;
            } else {
                chain.out_to.push(to);
                chain.out_n.push(x);
                chain.out_ptr[f + 1] += 1;
            }
            chain.visits[f] += x;
        }
        for s in 0..t {
            chain.out_ptr[s + 1] += chain.out_ptr[s];
        }
        Ok(chain)
    }

    /// Number of transient states, `(start)` included.
    pub fn transient(&self) -> usize {
        self.states + 1
    }

    /// Channels of state `s ≥ 1`.
    pub fn channels_of(&self, s: usize) -> &[ChannelId] {
        &self.tuple[self.tuple_ptr[s - 1]..self.tuple_ptr[s]]
    }

    /// Out-transitions of `s` to transient states: `(to, count)`.
    pub fn out(&self, s: usize) -> impl Iterator<Item = (u32, f64)> + '_ {
        let r = self.out_ptr[s]..self.out_ptr[s + 1];
        self.out_to[r.clone()]
            .iter()
            .copied()
            .zip(self.out_n[r].iter().copied())
    }

    /// Number of transitions with positive probability (to transient and absorbing states).
    pub fn transition_count(&self) -> usize {
        self.out_to.len()
            + self.n_conv.iter().filter(|&&x| x > 0.0).count()
            + self.n_null.iter().filter(|&&x| x > 0.0).count()
    }

    /// For every channel id `0..n`, the states containing it (CSR: `ptr` has `n + 1` entries).
    pub fn states_by_channel(&self, n: usize) -> (Vec<usize>, Vec<u32>) {
        let mut ptr = vec![0usize; n + 1];
        let mut seen: Vec<u32> = vec![0; n];
        let each = |s: usize, seen: &mut Vec<u32>, f: &mut dyn FnMut(usize)| {
            for c in self.channels_of(s) {
                if seen[c.index()] != s as u32 {
                    seen[c.index()] = s as u32;
                    f(c.index());
                }
            }
        };
        for s in 1..=self.states {
            each(s, &mut seen, &mut |c| ptr[c + 1] += 1);
        }
        for c in 0..n {
            ptr[c + 1] += ptr[c];
        }
        let mut fill = ptr.clone();
        let mut list = vec![0u32; ptr[n]];
        seen.fill(0);
        for s in 1..=self.states {
            each(s, &mut seen, &mut |c| {
                list[fill[c]] = s as u32;
                fill[c] += 1;
            });
        }
        (ptr, list)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::Outcome;

    fn ids(v: &[u32]) -> Vec<ChannelId> {
        v.iter().map(|&i| ChannelId(i)).collect()
    }

    fn states(path: &[u32], order: usize, collapse: bool) -> Vec<Vec<u32>> {
        let rule = StateRule { order, collapse };
        let mut out = Vec::new();
        let m = rule.for_each_state(&ids(path), &mut Vec::new(), |s| {
            out.push(s.iter().map(|c| c.0).collect())
        });
        assert_eq!(m, out.len());
        out
    }

    #[test]
    fn sliding_windows_follow_channel_attribution() {
        // PEERS.md §1.4: A>B>C>D at order 2 gives "A B", "B C", "C D".
        assert_eq!(
            states(&[0, 1, 2, 3], 2, false),
            [vec![0, 1], vec![1, 2], vec![2, 3]]
        );
        // A path shorter than the order is one state.
        assert_eq!(states(&[2], 3, false), [vec![2]]);
        assert_eq!(states(&[2, 0], 3, false), [vec![2, 0]]);
        // Order 1: A>A>B → A, B (merged); order 2: A>A>A>B → "A A", "A B".
        assert_eq!(states(&[0, 0, 1], 1, false), [vec![0], vec![1]]);
        assert_eq!(states(&[0, 0, 0, 1], 2, false), [vec![0, 0], vec![0, 1]]);
        // Collapsing first: A>A>A>B → A>B, one state at order 2.
        assert_eq!(states(&[0, 0, 0, 1], 2, true), [vec![0, 1]]);
        // X>A>A>X at order 2 keeps "A A" (T7).
        assert_eq!(
            states(&[0, 1, 1, 0], 2, false),
            [vec![0, 1], vec![1, 1], vec![1, 0]]
        );
    }

    #[test]
    fn keys_round_trip_and_never_collide_across_lengths() {
        let codec = KeyCodec::new(30, 3).unwrap();
        let mut seen = FxHashSet::default();
        for a in 0..30u32 {
            for s in [vec![a], vec![a, 0], vec![0, a], vec![a, a, 29]] {
                let k = codec.key(&ids(&s));
                let mut back = Vec::new();
                codec.decode(k, &mut back);
                assert_eq!(back, ids(&s));
                seen.insert(k);
            }
        }
        assert_eq!(seen.len(), 30 * 4 - 1); // (0, 0) appears twice (a = 0)
        assert!(KeyCodec::new(1000, 12).is_ok());
        assert!(KeyCodec::new(1000, 13).is_err());
    }

    #[test]
    fn counts_follow_section_3_2_on_t2() {
        // O2d: T2's first-order transition counts. start → A: A>B>C (3) + A>A>B (3) = 6 of 15.
        let mut t = PathTable::new();
        t.add(["A", "B", "C"], Outcome::new(2.0, 20.0, 1.0))
            .unwrap();
        t.add(["A", "A", "B"], Outcome::new(1.0, 15.0, 2.0))
            .unwrap();
        t.add(["B"], Outcome::new(1.0, 5.0, 3.0)).unwrap();
        t.add(["C", "A"], Outcome::new(1.0, 10.0, 1.0)).unwrap();
        t.add(["B", "C", "B", "A"], Outcome::new(1.0, 12.0, 0.0))
            .unwrap();
        t.add(["C"], Outcome::new(1.0, 8.0, 1.0)).unwrap();
        t.add(["D"], Outcome::new(0.0, 0.0, 0.0)).unwrap(); // zero weight: not a state
        let ch = Chain::build(
            &t,
            StateRule {
                order: 1,
                collapse: false,
            },
            true,
        )
        .unwrap();
        assert_eq!(ch.states, 3);
        assert_eq!(ch.visits[0], 15.0);
        let out: Vec<_> = ch.out(0).collect();
        assert_eq!(out, [(1, 6.0), (2, 5.0), (3, 4.0)]);
        // A: visits 6 (A>B>C) + 3 (A>A>B, merged) + 2 (C>A) + 1 (…>A) = 9 (O2d: B 2/3, conv 2/9).
        assert_eq!(ch.visits[1], 9.0);
        assert_eq!(ch.n_conv[1], 2.0);
        assert_eq!(ch.value_end[1], 22.0);
        assert_eq!(ch.max_states, 4);
        // Rows ending in A: C>A (10 per conversion, 1 conversion) and B>C>B>A (12, 1).
        let pool = ch.pool.as_ref().unwrap();
        assert_eq!(pool.draw(1, 0.0), 10.0);
        assert_eq!(pool.draw(1, 0.49), 10.0);
        assert_eq!(pool.draw(1, 0.51), 12.0);
        assert_eq!(pool.draw(1, 0.999), 12.0);
        assert_eq!(pool.draw(0, 0.5), 0.0);
        // start → A, B, C; A → B, conv, null; B and C → two channels, conv, null.
        assert_eq!(ch.transition_count(), 3 + 3 + 4 + 4);
    }
}
