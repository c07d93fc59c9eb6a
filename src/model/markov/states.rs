//! Markov states of a path table (the model reference, §Markov chain / States): the state rule, packed state keys and
//! the tuple → id index (counts and the chain are in `counts`).
//!
//! A state is a tuple of at most k channels. Ids: `0` is `(start)`, `1..=S` are the channel
//! states observed in rows with weight `c + u > 0`: at order 1 in channel-id order, at k ≥ 2
//! sorted by their reversed tuple (see `collect_states`), so the numbering depends on the
//! table's content and vocabulary only, never on chunking or thread count.
//!
//! Passes over the rows go through [`fold_rows`]: at k ≥ 2 the first collects the distinct
//! states; the last counts transitions by (state, next channel), the successor window being
//! determined by the state and the next channel. Each pass is O(T·k) for T touches.

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

    /// Calls `f` on each state of `path` (ChannelAttribution's sliding windows, §States): the whole
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

    /// The key of the reversed tuple.
    pub fn reversed(&self, mut key: u128) -> u128 {
        let mask = (1u128 << self.bits) - 1;
        let mut rev = 0u128;
        while key != 0 {
            rev = (rev << self.bits) | (key & mask);
            key >>= self.bits;
        }
        rev
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

/// Maps a state tuple to its id, and a channel state plus the next channel to the successor
/// window's id.
#[derive(Debug)]
pub(super) enum StateIndex {
    /// Order 1: provisional id `channel + 1` for every channel of the vocabulary (unobserved
    /// channels are dropped afterwards).
    Direct,
    /// Order ≥ 2: the packed keys by id, and a lookup from tuple to id.
    Windows {
        codec: KeyCodec,
        order: usize,
        keys: Vec<u128>,
        lookup: Lookup,
    },
}

/// Tuple → state id.
#[derive(Debug)]
pub(super) enum Lookup {
    /// Packed key → id.
    Hash(FxHashMap<u128, u32>),
    /// Id by dense tuple index (`u32::MAX` for tuples that are not states).
    Dense(DenseLayout, Vec<u32>),
}

/// Dense numbering of every tuple of 1..=k channels out of n, used while there are at most
/// [`DENSE_TUPLES`] of them: tuples of length l start at `offsets[l]` and are numbered in base n.
#[derive(Clone, Debug)]
pub(super) struct DenseLayout {
    pub n: usize,
    pub offsets: Vec<usize>,
}

/// Most tuples numbered densely (a per-chunk bitset of them is 32 KiB).
pub(super) const DENSE_TUPLES: usize = 1 << 18;

impl DenseLayout {
    /// The numbering of tuples of 1..=`order` channels out of `n`, if there are at most
    /// `limit` of them.
    pub(super) fn new(n: usize, order: usize, limit: usize) -> Option<DenseLayout> {
        let mut offsets = vec![0usize, 0];
        let mut power = 1usize;
        for _ in 0..order {
            power = power.checked_mul(n)?;
            let next = offsets[offsets.len() - 1].checked_add(power)?;
            if next > limit {
                return None;
            }
            offsets.push(next);
        }
        Some(DenseLayout { n, offsets })
    }

    fn len(&self) -> usize {
        self.offsets[self.offsets.len() - 1]
    }

    #[inline]
    fn index(&self, s: &[ChannelId]) -> usize {
        self.offsets[s.len()] + s.iter().fold(0, |r, c| r * self.n + c.index())
    }

    /// The index of the tuple packed in `key`.
    fn key_index(&self, codec: &KeyCodec, mut key: u128) -> usize {
        let mask = (1u128 << codec.bits) - 1;
        let (mut r, mut scale, mut len) = (0usize, 1usize, 0usize);
        while key != 0 {
            // Components are `id + 1` (see `KeyCodec::key`).
            r += ((key & mask) - 1) as usize * scale;
            scale *= self.n;
            len += 1;
            key >>= codec.bits;
        }
        self.offsets[len] + r
    }

    /// The packed key of tuple `index`.
    fn key(&self, codec: &KeyCodec, index: usize) -> u128 {
        let len = self.offsets.partition_point(|&o| o <= index) - 1;
        let mut r = index - self.offsets[len];
        let mut digits = [0u128; 128];
        for d in digits[..len].iter_mut().rev() {
            *d = (r % self.n) as u128 + 1;
            r /= self.n;
        }
        digits[..len].iter().fold(0, |k, &d| (k << codec.bits) | d)
    }
}

impl StateIndex {
    #[inline]
    pub(super) fn id(&self, s: &[ChannelId]) -> u32 {
        match self {
            StateIndex::Direct => s[0].0 + 1,
            // Every state of a weighted row was collected by the first pass.
            StateIndex::Windows { codec, lookup, .. } => match lookup {
                Lookup::Hash(ids) => ids.get(&codec.key(s)).copied().unwrap_or(u32::MAX),
                Lookup::Dense(layout, ids) => ids[layout.index(s)],
            },
        }
    }

    /// The state after `from` when channel `x` comes next (the window slides by one).
    pub(super) fn successor(&self, from: u32, x: usize) -> u32 {
        match self {
            StateIndex::Direct => x as u32 + 1,
            StateIndex::Windows {
                codec,
                order,
                keys,
                lookup,
            } => {
                let bits = codec.bits() as usize * order;
                let mask = if bits >= 128 {
                    u128::MAX
                } else {
                    (1u128 << bits) - 1
                };
                let key = ((keys[from as usize - 1] << codec.bits()) | (x as u128 + 1)) & mask;
                // Counted transitions lead to observed windows.
                match lookup {
                    Lookup::Hash(ids) => ids.get(&key).copied().unwrap_or(u32::MAX),
                    Lookup::Dense(layout, ids) => ids[layout.key_index(codec, key)],
                }
            }
        }
    }
}

/// First pass at order ≥ 2: the distinct states of the weighted rows (a bitset per chunk over
/// the dense tuple numbering when it is small, else a hash set), numbered by their reversed
/// tuple (last channel first): the predecessors of a window (b, c, d), the windows (x, b, c),
/// then have consecutive ids, which keeps the solver's reads of them close together.
pub(super) fn collect_states(
    table: &PathTable,
    rule: StateRule,
    dense_limit: usize,
) -> Result<StateIndex> {
    let n = table.channels().len();
    let codec = KeyCodec::new(n, rule.order)?;
    let weighted = |row: &crate::table::Row<'_>| row.outcome.journeys() > 0.0;
    let (mut keys, layout) = if let Some(layout) = DenseLayout::new(n, rule.order, dense_limit) {
        let words = layout.len().div_ceil(64);
        let parts = fold_rows(
            table,
            || vec![(vec![0u64; words], Vec::new())],
            |acc, _, row| {
                let (bits, buf) = &mut acc[0];
                if weighted(&row) {
                    rule.for_each_state(row.path, buf, |s| {
                        let i = layout.index(s);
                        bits[i / 64] |= 1 << (i % 64);
                    });
                }
                Ok(())
            },
            |a, b| a.extend(b),
        )?;
        let mut all = vec![0u64; words];
        for (bits, _) in parts {
            all.iter_mut().zip(bits).for_each(|(a, b)| *a |= b);
        }
        let keys: Vec<u128> = (0..layout.len())
            .filter(|&i| all[i / 64] >> (i % 64) & 1 == 1)
            .map(|i| layout.key(&codec, i))
            .collect();
        (keys, Some(layout))
    } else {
        let mut parts = fold_rows(
            table,
            || vec![(FxHashSet::<u128>::default(), Vec::new())],
            |acc, _, row| {
                let (set, buf) = &mut acc[0];
                if weighted(&row) {
                    rule.for_each_state(row.path, buf, |s| {
                        set.insert(codec.key(s));
                    });
                }
                Ok(())
            },
            |a, b| a.extend(b),
        )?;
        let mut all = std::mem::take(&mut parts[0].0);
        for (set, _) in parts.into_iter().skip(1) {
            all.extend(set);
        }
        (all.into_iter().collect(), None)
    };
    keys.sort_by_cached_key(|&k| codec.reversed(k));
    let lookup = match layout {
        Some(layout) => {
            let mut ids = vec![u32::MAX; layout.len()];
            for (i, &k) in keys.iter().enumerate() {
                ids[layout.key_index(&codec, k)] = i as u32 + 1;
            }
            Lookup::Dense(layout, ids)
        }
        None => Lookup::Hash(
            keys.iter()
                .enumerate()
                .map(|(i, &k)| (k, i as u32 + 1))
                .collect(),
        ),
    };
    Ok(StateIndex::Windows {
        codec,
        order: rule.order,
        keys,
        lookup,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

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
        // The model reference, §States: A>B>C>D at order 2 gives "A B", "B C", "C D".
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
    fn dense_tuple_numbering_round_trips() {
        let codec = KeyCodec::new(7, 3).unwrap();
        let layout = DenseLayout::new(7, 3, DENSE_TUPLES).unwrap();
        assert_eq!(layout.len(), 7 + 49 + 343);
        for i in 0..layout.len() {
            let key = layout.key(&codec, i);
            assert_eq!(layout.key_index(&codec, key), i);
            let mut t = Vec::new();
            codec.decode(key, &mut t);
            assert_eq!(layout.index(&t), i);
        }
        assert!(DenseLayout::new(30, 4, DENSE_TUPLES).is_none());
        assert!(DenseLayout::new(usize::MAX, 3, DENSE_TUPLES).is_none());
    }
}
