//! Transition counts and the estimated chain (the model reference, §Markov chain /
//! Transition probabilities): per-chunk counts by
//! `(state, slot)`, merged in chunk order and sorted into CSR by source state.

use rustc_hash::FxHashMap;

use crate::channel::ChannelId;
use crate::error::{Error, Result};
use crate::table::PathTable;
use crate::walk::fold_rows;

use super::states::{DENSE_TUPLES, KeyCodec, START, StateIndex, StateRule, collect_states};

/// Counts indexed by a `u64` cell number.
#[derive(Debug)]
pub(super) enum Cells {
    /// One slot per cell.
    Dense(Vec<f64>),
    /// A map of the non-zero cells (merged totals of a large state space).
    Sparse(FxHashMap<u64, f64>),
    /// Additions in arrival order (per-chunk counts of a large state space: appending is much
    /// cheaper than hashing, and a chunk rarely adds to one cell twice).
    Log(Vec<(u64, f64)>),
}

impl Cells {
    /// Per-chunk counts over `len` cells, dense when that takes no more memory than a log of
    /// the `additions` a chunk is expected to make (8 bytes per cell against 16 per addition),
    /// up to [`CHUNK_DENSE_CELLS`].
    pub(super) fn chunk(len: usize, additions: usize) -> Cells {
        if len <= CHUNK_DENSE_CELLS.min(2 * additions).max(MIN_DENSE_CELLS) {
            Cells::Dense(vec![0.0; len])
        } else {
            Cells::Log(Vec::new())
        }
    }

    /// Merged counts over `len` cells.
    pub(super) fn total(len: usize) -> Cells {
        if len <= TOTAL_DENSE_CELLS {
            Cells::Dense(vec![0.0; len])
        } else {
            Cells::Sparse(FxHashMap::default())
        }
    }

    #[inline]
    pub(super) fn add(&mut self, i: u64, x: f64) {
        match self {
            Cells::Dense(v) => v[i as usize] += x,
            Cells::Sparse(m) => *m.entry(i).or_insert(0.0) += x,
            Cells::Log(v) => v.push((i, x)),
        }
    }

    /// Adds every cell into `into` (in arrival order for a log, so sums follow row order).
    pub(super) fn add_into(self, into: &mut Cells) {
        match self {
            Cells::Dense(v) => {
                if let Cells::Dense(w) = into {
                    w.iter_mut().zip(v).for_each(|(a, b)| *a += b);
                } else {
                    let cells = v.into_iter().enumerate().filter(|c| c.1 != 0.0);
                    cells.for_each(|(i, x)| into.add(i as u64, x));
                }
            }
            Cells::Sparse(m) => m.into_iter().for_each(|(i, x)| into.add(i, x)),
            Cells::Log(v) => v.into_iter().for_each(|(i, x)| into.add(i, x)),
        }
    }

    /// Non-zero cells in increasing cell order.
    pub(super) fn into_sorted(self) -> Vec<(u64, f64)> {
        match self {
            Cells::Dense(v) => v
                .into_iter()
                .enumerate()
                .filter(|c| c.1 != 0.0)
                .map(|(i, x)| (i as u64, x))
                .collect(),
            Cells::Log(v) => {
                let mut total = Cells::Sparse(FxHashMap::default());
                Cells::Log(v).add_into(&mut total);
                total.into_sorted()
            }
            Cells::Sparse(m) => {
                let mut v: Vec<(u64, f64)> = m.into_iter().filter(|c| c.1 != 0.0).collect();
                crate::par::sort_unstable_by_key(&mut v, |c| c.0);
                v
            }
        }
    }
}

/// Per-chunk dense counts are used up to this many cells (1 MiB).
const CHUNK_DENSE_CELLS: usize = 1 << 17;
/// Per-chunk counts this small are always dense.
const MIN_DENSE_CELLS: usize = 1 << 12;
/// The merged counts are dense up to this many cells (64 MiB).
const TOTAL_DENSE_CELLS: usize = 1 << 23;

/// Transition counts of a chunk of rows. A transition out of a channel state is stored by
/// `(from, slot)`, `slot < n` meaning "channel `slot` comes next" (the successor window), then
/// conversion, null, and the value of the conversions that end there: `width = n + 3` slots
/// per state. Transitions out of `(start)` are stored by target state (at order 1, as row 0 of
/// the slots, the target being channel `slot`).
#[derive(Debug)]
struct Counts {
    body: Cells,
    start: Cells,
    max_states: usize,
    pool: Vec<(u32, f64, f64)>,
}

/// The most states one row produced, the value pool entries, and the merged counts.
struct Merged {
    body: Cells,
    start: Cells,
    max_states: usize,
    pool: Vec<(u32, f64, f64)>,
}
/// The estimated absorbing chain (the model reference, §Markov chain / Transition
/// probabilities): transition probabilities in CSR form by
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
/// `s`, weighted by `c_r` (ChannelAttribution's value draw, §Conversion value). CSR by state:
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
    /// Builds the chain of `table` under `rule`; `with_pool` also collects the value
    /// distribution the simulation draws from.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] if the order does not fit the state key (see
    /// [`KeyCodec::new`]); [`Error::Numerical`] if there are more than `u32::MAX - 4` states.
    ///
    /// # Complexity
    /// Order ≥ 2: a first pass collects the distinct states (a bitset over the dense tuple
    /// numbering, or hashing when there are more than 2¹⁸ possible tuples), a second counts
    /// transitions by `(state, next channel)`; O(T·k) each. Order 1 needs only the second pass.
    /// Per-chunk counts are dense when a chunk's (S+1)·(n+3) cells fit 128 KiB, else logs of
    /// (cell, weight) additions (16 bytes per transition); they are merged in chunk order into
    /// dense totals (a hash map above 2²³ cells) in O(T) and sorted into CSR. Memory O(S·k + E)
    /// for the chain, plus the per-chunk counts until merged.
    pub fn build(table: &PathTable, rule: StateRule, with_pool: bool) -> Result<Chain> {
        Self::build_with(table, rule, with_pool, DENSE_TUPLES)
    }

    fn build_with(
        table: &PathTable,
        rule: StateRule,
        with_pool: bool,
        dense_limit: usize,
    ) -> Result<Chain> {
        let n = table.channels().len();
        let index = if rule.order == 1 {
            StateIndex::Direct
        } else {
            collect_states(table, rule, dense_limit)?
        };
        let provisional = match &index {
            StateIndex::Direct => n,
            StateIndex::Windows { keys, .. } => keys.len(),
        };
        if provisional > (u32::MAX - 4) as usize {
            return Err(Error::Numerical {
                model: "markov",
                reason: format!("{provisional} states exceed the supported number of states"),
            });
        }
        let merged = count(table, rule, &index, provisional, n, with_pool)?;
        let width = n + 3;
        let body = merged.body.into_sorted();
        // Provisional ids → final ids: order ≥ 2 ids are final; order 1 drops channels that no
        // weighted row visits.
        let (remap, keys): (Vec<u32>, Vec<u128>) = match &index {
            StateIndex::Windows { keys, .. } => ((0..=keys.len() as u32).collect(), keys.clone()),
            StateIndex::Direct => {
                let mut remap = vec![u32::MAX; n + 1];
                remap[0] = START;
                let mut keys = Vec::new();
                let mut visited = vec![false; n + 1];
                body.iter()
                    .for_each(|&(cell, _)| visited[(cell / width as u64) as usize] = true);
                for c in (0..n).filter(|&c| visited[c + 1]) {
                    keys.push(c as u128 + 1);
                    remap[c + 1] = keys.len() as u32;
                }
                (remap, keys)
            }
        };
        let states = keys.len();
        let codec = match &index {
            StateIndex::Windows { codec, .. } => *codec,
            StateIndex::Direct => KeyCodec::new(n, 1)?,
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
            max_states: merged.max_states,
            pool: None,
        };
        // Transitions out of (start), in target order (order ≥ 2; order 1 has them in row 0).
        for (to, x) in merged.start.into_sorted() {
            chain.out_to.push(remap[to as usize]);
            chain.out_n.push(x);
            chain.out_ptr[1] += 1;
            chain.visits[0] += x;
        }
        for (cell, x) in body {
            let (from, slot) = ((cell / width as u64) as u32, (cell % width as u64) as usize);
            let f = remap[from as usize] as usize;
            if slot == n + 2 {
                chain.value_end[f] += x;
                continue;
            }
            if slot == n {
                chain.n_conv[f] += x;
            } else if slot == n + 1 {
                chain.n_null[f] += x;
            } else {
                let to = if from == START {
                    slot as u32 + 1 // order 1: (start) → channel `slot`
                } else {
                    index.successor(from, slot)
                };
                chain.out_to.push(remap[to as usize]);
                chain.out_n.push(x);
                chain.out_ptr[f + 1] += 1;
            }
            chain.visits[f] += x;
        }
        for s in 0..t {
            chain.out_ptr[s + 1] += chain.out_ptr[s];
        }
        if with_pool {
            let pool = merged
                .pool
                .into_iter()
                .map(|(s, v, w)| (remap[s as usize], v, w));
            chain.pool = Some(ValuePool::new(states, pool.collect()));
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

    /// Which channels `0..n` some state contains.
    pub fn channels_present(&self, n: usize) -> Vec<bool> {
        let mut present = vec![false; n];
        self.tuple.iter().for_each(|c| present[c.index()] = true);
        present
    }
}
/// Second pass: transition counts by `(state, slot)` (see [`Counts`]), merged in chunk order.
fn count(
    table: &PathTable,
    rule: StateRule,
    index: &StateIndex,
    states: usize,
    n: usize,
    with_pool: bool,
) -> Result<Merged> {
    let width = n + 3;
    let body_cells = (states + 1) * width;
    let direct = matches!(index, StateIndex::Direct);
    let start_cells = if direct { 0 } else { states + 1 };
    // Additions per chunk: about (touches per row + 2) per row, and chunks hold at least 8192
    // rows (`fold_rows`); only the choice of dense or log counts depends on this estimate.
    let rows = table.len().clamp(1, 8192);
    let per_row = table.touch_count() / table.len().max(1) + 2;
    let additions = rows * per_row;
    let (conv, null, value) = (n as u64, n as u64 + 1, n as u64 + 2);
    let parts = fold_rows(
        table,
        || {
            vec![(
                Counts {
                    body: Cells::chunk(body_cells, additions),
                    start: Cells::chunk(start_cells, rows),
                    max_states: 0,
                    pool: Vec::new(),
                },
                Vec::new(),
            )]
        },
        |acc, _, row| {
            let (counts, buf) = &mut acc[0];
            let o = row.outcome;
            let w = o.journeys();
            if w == 0.0 {
                return Ok(()); // zero-weight rows contribute nothing (§Transition probabilities)
            }
            let mut prev = START;
            let m = rule.for_each_state(row.path, buf, |s| {
                let id = index.id(s);
                if direct || prev != START {
                    // Order 1 stores (start) → c as row 0, slot c.
                    let slot = s[s.len() - 1].index() as u64;
                    counts.body.add(u64::from(prev) * width as u64 + slot, w);
                } else {
                    counts.start.add(u64::from(id), w);
                }
                prev = id;
            });
            counts.max_states = counts.max_states.max(m);
            let row0 = u64::from(prev) * width as u64;
            if o.conversions > 0.0 {
                counts.body.add(row0 + conv, o.conversions);
                if with_pool {
                    counts
                        .pool
                        .push((prev, o.value / o.conversions, o.conversions));
                }
            }
            if o.nulls > 0.0 {
                counts.body.add(row0 + null, o.nulls);
            }
            if o.value > 0.0 {
                counts.body.add(row0 + value, o.value);
            }
            Ok(())
        },
        |a, b| a.extend(b),
    )?;
    let mut merged = Merged {
        body: Cells::total(body_cells),
        start: Cells::total(start_cells),
        max_states: 0,
        pool: Vec::new(),
    };
    for (c, _) in parts {
        c.body.add_into(&mut merged.body);
        c.start.add_into(&mut merged.start);
        merged.max_states = merged.max_states.max(c.max_states);
        merged.pool.extend(c.pool);
    }
    Ok(merged)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::markov::states::DENSE_TUPLES;
    use crate::outcome::Outcome;

    #[test]
    fn dense_and_hashed_state_lookups_build_the_same_chain() {
        let mut t = PathTable::new();
        let names = ["A", "B", "C", "D", "E"];
        for i in 0..400usize {
            let path: Vec<&str> = (0..1 + i % 6)
                .map(|j| names[(i * 7 + j * j * 3 + i / 5) % 5])
                .collect();
            t.add(
                &path,
                Outcome::new((i % 3) as f64, (i % 3 * 10) as f64, (i % 4) as f64),
            )
            .unwrap();
        }
        for order in [2, 3, 4] {
            let rule = StateRule {
                order,
                collapse: false,
            };
            let dense = Chain::build_with(&t, rule, true, DENSE_TUPLES).unwrap();
            let hashed = Chain::build_with(&t, rule, true, 0).unwrap();
            assert_eq!(dense.tuple, hashed.tuple);
            assert_eq!(dense.out_to, hashed.out_to);
            assert_eq!(dense.out_n, hashed.out_n);
            assert_eq!(dense.visits, hashed.visits);
            assert_eq!(dense.n_conv, hashed.n_conv);
            assert_eq!(dense.value_end, hashed.value_end);
        }
    }

    #[test]
    fn counts_follow_section_3_2_on_t2() {
        // T2's first-order transition counts (the model reference, §Transition probabilities). start → A: A>B>C (3) + A>A>B (3) = 6 of 15.
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
        // A: visits 6 (A>B>C) + 3 (A>A>B, merged) + 2 (C>A) + 1 (…>A) = 9 (B 2/3, conv 2/9).
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
