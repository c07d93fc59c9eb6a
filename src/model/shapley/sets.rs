//! The distinct-set view of a table (the model reference, §Shapley games): every row reduced
//! to the set of channels it touched, with the outcomes of equal sets summed. The
//! conversion-rate games and Shao–Li are functions of this view only.
//!
//! Channels that occur in a row with at least one journey become *players*, numbered in channel
//! **name** order, so everything computed from the view (bitmasks, orderings drawn by the
//! samplers, summation order) is the same whatever order the table interned its channels in.

use std::collections::BTreeMap;
use std::hash::Hash;

use rustc_hash::FxHashMap;

use crate::channel::ChannelId;
use crate::error::Result;
use crate::outcome::Outcome;
use crate::table::PathTable;
use crate::tag_index::TagIndex;
use crate::walk::fold_rows;

/// Distinct channel sets with summed outcomes, in a flat (CSR) layout.
#[derive(Clone, Debug)]
pub(crate) struct ChannelSets {
    /// `players[p]` is the channel of player `p`; players are sorted by channel name.
    pub players: Vec<ChannelId>,
    /// Members of all sets, each set's members sorted ascending (player indices).
    members: Vec<u32>,
    /// `ends[s]` is the end of set `s` in `members`.
    ends: Vec<usize>,
    /// Summed outcome of the journeys whose channel set is exactly set `s`.
    outcomes: Vec<Outcome>,
    /// Vocabulary size of the table (length of per-channel output vectors).
    channels: usize,
}

/// A key for the per-chunk aggregation maps: a bitmask of channel ids when the vocabulary has at
/// most 64 channels (no allocation per row), a sorted id list otherwise.
trait SetKey: Hash + Eq + Send + Sized {
    /// Adds a row's outcome to the entry of its channel set.
    fn add_row(
        map: &mut FxHashMap<Self, Outcome>,
        path: &[ChannelId],
        o: Outcome,
        scratch: &mut Vec<u32>,
    );
    /// The channel ids of the set, ascending.
    fn ids(&self, out: &mut Vec<u32>);
}

impl SetKey for u64 {
    fn add_row(
        map: &mut FxHashMap<u64, Outcome>,
        path: &[ChannelId],
        o: Outcome,
        _: &mut Vec<u32>,
    ) {
        let mask = path.iter().fold(0u64, |m, id| m | (1u64 << id.index()));
        map.entry(mask).or_default().add(&o);
    }

    fn ids(&self, out: &mut Vec<u32>) {
        let mut m = *self;
        while m != 0 {
            out.push(m.trailing_zeros());
            m &= m - 1;
        }
    }
}

impl SetKey for Box<[u32]> {
    fn add_row(
        map: &mut FxHashMap<Box<[u32]>, Outcome>,
        path: &[ChannelId],
        o: Outcome,
        scratch: &mut Vec<u32>,
    ) {
        scratch.clear();
        scratch.extend(path.iter().map(|id| id.0));
        scratch.sort_unstable();
        scratch.dedup();
        match map.get_mut(&scratch[..]) {
            Some(e) => e.add(&o),
            None => {
                map.insert(scratch.as_slice().into(), o);
            }
        }
    }

    fn ids(&self, out: &mut Vec<u32>) {
        out.extend_from_slice(self);
    }
}

/// One pass over the rows: per chunk a map from channel set to summed outcome, merged in chunk
/// order (so each set's sums do not depend on the thread count).
fn aggregate<K: SetKey>(table: &PathTable) -> Result<Vec<(Vec<u32>, Outcome)>> {
    let map = fold_rows(
        table,
        || (FxHashMap::<K, Outcome>::default(), Vec::new()),
        |(map, scratch), _, row| {
            if row.outcome.journeys() > 0.0 {
                K::add_row(map, row.path, row.outcome, scratch);
            }
            Ok(())
        },
        |a, b| {
            for (k, o) in b.0 {
                a.0.entry(k).or_default().add(&o);
            }
        },
    )?
    .0;
    Ok(map
        .into_iter()
        .map(|(k, o)| {
            let mut ids = Vec::new();
            k.ids(&mut ids);
            (ids, o)
        })
        .collect())
}

impl ChannelSets {
    /// Builds the view of `table`: one pass over the rows, then O(S log S) to sort the S distinct
    /// sets. Rows without journeys (0 conversions and 0 nulls) are ignored: they change no game.
    pub fn build(table: &PathTable) -> Result<ChannelSets> {
        let vocabulary = table.channels();
        let sets = if vocabulary.len() <= 64 {
            aggregate::<u64>(table)?
        } else {
            aggregate::<Box<[u32]>>(table)?
        };
        // Players: channels present in some set, in name order.
        let mut present = vec![false; vocabulary.len()];
        for (ids, _) in &sets {
            for &id in ids {
                present[id as usize] = true;
            }
        }
        let players: Vec<ChannelId> = vocabulary
            .ids_by_name()
            .into_iter()
            .filter(|id| present[id.index()])
            .collect();
        let mut player_of = vec![u32::MAX; vocabulary.len()];
        for (p, id) in players.iter().enumerate() {
            // p < players.len() <= vocabulary.len() <= u32::MAX (ids are u32).
            player_of[id.index()] = p as u32;
        }
        let mut sets: Vec<(Vec<u32>, Outcome)> = sets
            .into_iter()
            .map(|(ids, o)| {
                let mut m: Vec<u32> = ids.iter().map(|&id| player_of[id as usize]).collect();
                m.sort_unstable();
                (m, o)
            })
            .collect();
        sets.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        let mut members = Vec::with_capacity(sets.iter().map(|s| s.0.len()).sum());
        let mut ends = Vec::with_capacity(sets.len());
        let mut outcomes = Vec::with_capacity(sets.len());
        for (m, o) in sets {
            members.extend_from_slice(&m);
            ends.push(members.len());
            outcomes.push(o);
        }
        Ok(ChannelSets {
            players,
            members,
            ends,
            outcomes,
            channels: vocabulary.len(),
        })
    }

    /// Number of distinct sets.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Number of players.
    pub fn players(&self) -> usize {
        self.players.len()
    }

    /// Members of set `s` (player indices, ascending).
    pub fn members(&self, s: usize) -> &[u32] {
        let start = if s == 0 { 0 } else { self.ends[s - 1] };
        &self.members[start..self.ends[s]]
    }

    /// Summed outcome of set `s`.
    pub fn outcome(&self, s: usize) -> Outcome {
        self.outcomes[s]
    }

    /// Conversion rate c/(c+u) of set `s` (every stored set has journeys, so never 0/0).
    pub fn rate(&self, s: usize) -> f64 {
        let o = self.outcomes[s];
        o.conversions / o.journeys()
    }

    /// Per-player numbers keyed by channel name (sorted), for extras.
    pub fn by_name<'t>(&self, table: &'t PathTable, x: &[f64]) -> BTreeMap<&'t str, f64> {
        self.players
            .iter()
            .zip(x)
            .map(|(&id, &v)| (table.channels().name(id), v))
            .collect()
    }

    /// Spreads per-player numbers onto a per-channel vector of the table (0 for non-players).
    pub fn per_channel(&self, per_player: &[f64]) -> Vec<f64> {
        let mut out = vec![0.0; self.channels];
        for (id, &x) in self.players.iter().zip(per_player) {
            out[id.index()] = x;
        }
        out
    }
}

/// Most chunks [`fold_sets`] cuts the sets into: every chunk's accumulator lives until the
/// merge, and accumulators are indexed by player, so this bounds their memory at
/// `MAX_CHUNKS` accumulators (100,000 players, four vectors of f64: 205 MB) whatever the number
/// of sets.
const MAX_CHUNKS: usize = 64;

/// Walks the sets in chunks of 256, or of `count / 64` when there are more than 16,384 sets (see
/// [`MAX_CHUNKS`]), in parallel with the `parallel` feature, and merges the chunk results in
/// chunk order: like [`fold_rows`], the result does not depend on the number of threads.
pub(crate) fn fold_sets<A, I, F, M>(count: usize, init: I, fold: F, merge: M) -> Result<A>
where
    A: Send,
    I: Fn() -> A + Sync,
    F: Fn(&mut A, usize) -> Result<()> + Sync,
    M: Fn(&mut A, A),
{
    let chunk = count.div_ceil(MAX_CHUNKS).max(256);
    crate::walk::fold_chunks(count, chunk, init, fold, merge)
}

/// Zobrist key of a player: set hashes are XORs of member keys, so the hash of a coalition can be
/// updated in O(1) when one player joins or leaves.
pub(crate) fn zobrist(p: u32) -> u64 {
    mix64(u64::from(p))
}

/// The splitmix64 finaliser: a fixed, portable 64-bit mixing function (seed derivation and
/// Zobrist keys; results never depend on its collisions).
pub(crate) fn mix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Finds a stored set from the Zobrist hash of a coalition in O(1) expected time; the caller's
/// `matches` closure confirms membership, so hash collisions never give a wrong answer.
#[derive(Debug)]
pub(crate) struct SetIndex {
    /// Sets by the high half of their hash.
    table: TagIndex,
    hashes: Vec<u64>,
}

impl SetIndex {
    /// Indexes every set of `sets`.
    pub fn new(sets: &ChannelSets) -> SetIndex {
        let hashes: Vec<u64> = (0..sets.len())
            .map(|s| sets.members(s).iter().fold(0, |h, &p| h ^ zobrist(p)))
            .collect();
        let mut table = TagIndex::default();
        table.reserve(sets.len());
        for (s, &h) in hashes.iter().enumerate() {
            // s < sets.len() < u32::MAX: sets come from the rows of a table, numbered below it.
            table.insert_unique((h >> 32) as u32, s as u32);
        }
        SetIndex { table, hashes }
    }

    /// The set with hash `h` for which `matches(set)` holds.
    pub fn find(&self, h: u64, mut matches: impl FnMut(usize) -> bool) -> Option<usize> {
        self.table
            .find((h >> 32) as u32, |s| {
                self.hashes[s as usize] == h && matches(s as usize)
            })
            .map(|s| s as usize)
    }
}

#[cfg(test)]
pub(crate) use crate::fixtures::t2;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn t2_exact_sets_match_models_4_5() {
        // T2 (the model reference, §Simplified Shapley): {B}: 1 conv, 3 null; {C}: 1, 1;
        // {A,B}: 1, 2; {A,C}: 1, 1; {A,B,C}: 3, 1 (value 32 = 20 + 12).
        let s = ChannelSets::build(&t2()).unwrap();
        let names: Vec<_> = s
            .players
            .iter()
            .map(|&id| t2().channels().name(id).to_string())
            .collect();
        assert_eq!(names, ["A", "B", "C"]);
        let got: Vec<(Vec<u32>, Outcome)> = (0..s.len())
            .map(|i| (s.members(i).to_vec(), s.outcome(i)))
            .collect();
        assert_eq!(
            got,
            vec![
                (vec![0, 1], Outcome::new(1.0, 15.0, 2.0)),
                (vec![0, 1, 2], Outcome::new(3.0, 32.0, 1.0)),
                (vec![0, 2], Outcome::new(1.0, 10.0, 1.0)),
                (vec![1], Outcome::new(1.0, 5.0, 3.0)),
                (vec![2], Outcome::new(1.0, 8.0, 1.0)),
            ]
        );
        assert_eq!(s.rate(1), 0.75);
    }

    #[test]
    fn wide_vocabularies_use_id_lists_and_agree() {
        // 70 channels forces the Box<[u32]> key; the sets of T2 must come out the same.
        let mut t = PathTable::new();
        for i in 0..70 {
            t.intern(&format!("z{i:02}")).unwrap();
        }
        t.merge(&t2()).unwrap();
        let s = ChannelSets::build(&t).unwrap();
        assert_eq!(s.players(), 3);
        assert_eq!(s.len(), 5);
        assert_eq!(s.outcome(1), Outcome::new(3.0, 32.0, 1.0));
        assert_eq!(s.per_channel(&[1.0, 2.0, 3.0]).iter().sum::<f64>(), 6.0);
    }

    #[test]
    fn rows_without_journeys_are_not_players() {
        let mut t = t2();
        t.add(["D"], Outcome::new(0.0, 0.0, 0.0)).unwrap();
        let s = ChannelSets::build(&t).unwrap();
        assert_eq!(s.players(), 3);
    }

    #[test]
    fn index_finds_sets_by_hash() {
        let s = ChannelSets::build(&t2()).unwrap();
        let idx = SetIndex::new(&s);
        let h = zobrist(0) ^ zobrist(2);
        assert_eq!(idx.find(h, |q| s.members(q) == [0, 2]), Some(2));
        assert_eq!(idx.find(zobrist(0), |q| s.members(q) == [0]), None);
    }
}
