//! The one hash index of the crate: dense `u32` ids (a path table's rows, an interner's strings,
//! the streaming journey builder's users, the logistic fit's distinct design rows, the Shapley
//! games' coalitions) found by a 32-bit tag of their key (its hash), the keys themselves stored
//! by the caller.
//!
//! Open addressing with linear probing over 8-byte slots holding `(tag, id + 1)` (0 marks an
//! empty slot), at most 3/4 full. A lookup that finds nothing, the common case when a reader
//! meets a new path or user, reads one slot (rarely the next ones, mostly in the same cache line)
//! and never another key unless the 32-bit tags are equal; the index grows from the stored tags
//! without reading a key again. hashbrown's table, used before, keeps a control byte array
//! beside its buckets, so such a lookup and the insert that follows touched two random cache
//! lines instead of one; with a million rows both miss the cache, and that was most of the time
//! of merging a path reader's chunks. [`TagIndex::touch`] lets a caller load the slots of a batch
//! of keys before probing them one by one, so that their cache misses overlap.
//!
//! Memory: 8 bytes a slot, 10.7–21.3 bytes an id (hashbrown's: 9.1–18.3).

use crate::buffers::filled;

/// Ids found by the 32-bit tag of their key (see the module docs).
#[derive(Clone, Debug, Default)]
pub(crate) struct TagIndex {
    /// `tag << 32 | (id + 1)`; 0 is empty. Empty or a power of two long.
    slots: Vec<u64>,
    /// Ids indexed.
    len: usize,
}

/// Where a probe ended: the id whose key matched, or the empty slot where a new id goes.
pub(crate) enum Probe {
    Found(u32),
    Vacant(usize),
}

impl TagIndex {
    /// Home slot of tag `h`: the top bits of a multiplicative hash of the tag, so that every bit
    /// of the tag chooses the slot.
    #[inline]
    fn home(&self, h: u32) -> usize {
        let mixed = u64::from(h).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        // `slots.len()` is a power of two (at least 8 when this is called).
        (mixed >> (64 - self.slots.len().trailing_zeros())) as usize
    }

    /// Ids indexed.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Slots allocated.
    #[cfg(test)]
    pub(crate) fn capacity(&self) -> usize {
        self.slots.len()
    }

    /// Heap bytes.
    pub(crate) fn heap_bytes(&self) -> usize {
        self.slots.capacity() * size_of::<u64>()
    }

    /// Forgets every row, keeping the slots.
    pub(crate) fn clear(&mut self) {
        self.slots.fill(0);
        self.len = 0;
    }

    /// Makes room for `additional` more ids without growing in between.
    pub(crate) fn reserve(&mut self, additional: usize) {
        let need = self.len.saturating_add(additional);
        if need.saturating_mul(4) > self.slots.len().saturating_mul(3) {
            self.resize(need);
        }
    }

    /// Releases the slots its ids do not need (all of them when empty).
    pub(crate) fn shrink_to_fit(&mut self) {
        if self.len == 0 {
            self.slots = Vec::new();
        } else if Self::slots_for(self.len) < self.slots.len() {
            self.resize(self.len);
        }
    }

    /// Slots for `rows` ids at most 3/4 full (a power of two, at least 8).
    fn slots_for(rows: usize) -> usize {
        (rows.saturating_mul(4) / 3 + 1).next_power_of_two().max(8)
    }

    /// Re-places every id in slots sized for `rows` ids, from the stored tags (no key is read
    /// again).
    fn resize(&mut self, rows: usize) {
        let old = std::mem::replace(&mut self.slots, filled(Self::slots_for(rows), 0));
        let mask = self.slots.len() - 1;
        for s in old.into_iter().filter(|&s| s != 0) {
            let mut i = self.home((s >> 32) as u32);
            while self.slots[i] != 0 {
                i = (i + 1) & mask;
            }
            self.slots[i] = s;
        }
    }

    /// Loads the home slot of tag `h` and returns it, so that a caller probing a batch of keys
    /// can load all their slots first (their cache misses then overlap) by folding the results
    /// into a value it passes to `std::hint::black_box`.
    #[inline]
    pub(crate) fn touch(&self, h: u32) -> u64 {
        if self.slots.is_empty() {
            return 0;
        }
        self.slots[self.home(h)]
    }

    /// The id of tag `h` whose key `same` accepts, if any.
    #[inline]
    pub(crate) fn find(&self, h: u32, same: impl FnMut(u32) -> bool) -> Option<u32> {
        if self.slots.is_empty() {
            return None;
        }
        self.locate(h, same).ok()
    }

    /// The id of tag `h` whose key `same` accepts, or the empty slot where a new id of tag `h`
    /// goes. Call [`TagIndex::reserve`] for the id first: the slot stays valid until the index
    /// next changes.
    #[inline]
    pub(crate) fn probe(&mut self, h: u32, same: impl FnMut(u32) -> bool) -> Probe {
        if self.slots.is_empty() {
            self.reserve(1);
        }
        match self.locate(h, same) {
            Ok(id) => Probe::Found(id),
            Err(slot) => Probe::Vacant(slot),
        }
    }

    /// [`TagIndex::probe`] of a non-empty index.
    #[inline]
    fn locate(&self, h: u32, mut same: impl FnMut(u32) -> bool) -> Result<u32, usize> {
        let mask = self.slots.len() - 1;
        let mut i = self.home(h);
        loop {
            let s = self.slots[i];
            if s == 0 {
                return Err(i);
            }
            if (s >> 32) as u32 == h {
                let id = (s as u32).wrapping_sub(1);
                if same(id) {
                    return Ok(id);
                }
            }
            i = (i + 1) & mask;
        }
    }

    /// Gives every id `id` the id `new_of_old[id]` (the keys were renumbered).
    ///
    /// # Panics
    /// If an indexed id is out of `new_of_old`'s range.
    pub(crate) fn renumber(&mut self, new_of_old: &[u32]) {
        for s in self.slots.iter_mut().filter(|s| **s != 0) {
            let id = (*s as u32).wrapping_sub(1);
            *s = (*s >> 32) << 32 | u64::from(new_of_old[id as usize] + 1);
        }
    }

    /// Stores `id` of tag `h` in the slot a [`TagIndex::probe`] returned as vacant. `id` is
    /// below `u32::MAX` (`id + 1` must fit).
    #[inline]
    pub(crate) fn fill(&mut self, slot: usize, h: u32, id: u32) {
        debug_assert!(self.slots[slot] == 0 && id < u32::MAX);
        self.slots[slot] = u64::from(h) << 32 | u64::from(id + 1);
        self.len += 1;
    }

    /// Removes the id of tag `h` that `same` accepts; false when there is none. The ids after
    /// it in its probe run are shifted back (no tombstones), so lookups stay as short as in an
    /// index that never held it.
    pub(crate) fn remove(&mut self, h: u32, same: impl FnMut(u32) -> bool) -> bool {
        if self.slots.is_empty() {
            return false;
        }
        let Ok(id) = self.locate(h, same) else {
            return false;
        };
        let mask = self.slots.len() - 1;
        let want = u64::from(h) << 32 | u64::from(id + 1);
        let mut hole = self.home(h);
        while self.slots[hole] != want {
            hole = (hole + 1) & mask;
        }
        let mut next = hole;
        loop {
            next = (next + 1) & mask;
            let s = self.slots[next];
            if s == 0 {
                break;
            }
            // `s` may move back into the hole unless its home lies cyclically in (hole, next].
            let home = self.home((s >> 32) as u32);
            let stays = if hole <= next {
                hole < home && home <= next
            } else {
                hole < home || home <= next
            };
            if !stays {
                self.slots[hole] = s;
                hole = next;
            }
        }
        self.slots[hole] = 0;
        self.len -= 1;
        true
    }

    /// Adds `id` of tag `h`, known not to be in the index yet.
    pub(crate) fn insert_unique(&mut self, h: u32, id: u32) {
        self.reserve(1);
        if let Probe::Vacant(slot) = self.probe(h, |_| false) {
            self.fill(slot, h, id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_found_by_hash_and_path_and_survive_growth() {
        let mut index = TagIndex::default();
        // Many rows, some sharing a hash (collisions resolved by the path check).
        let hash = |r: u32| {
            if r.is_multiple_of(7) {
                42
            } else {
                r.wrapping_mul(2_654_435_761)
            }
        };
        for r in 0..10_000u32 {
            index.reserve(1);
            match index.probe(hash(r), |q| q == r) {
                Probe::Vacant(slot) => index.fill(slot, hash(r), r),
                Probe::Found(q) => panic!("row {r} found as {q} before insertion"),
            }
        }
        assert_eq!(index.len(), 10_000);
        assert!(index.capacity() * 3 >= index.len() * 4);
        for r in 0..10_000u32 {
            assert!(matches!(index.probe(hash(r), |q| q == r), Probe::Found(q) if q == r));
        }
        // A hash present with another path is not a match.
        assert!(matches!(index.probe(42, |_| false), Probe::Vacant(_)));
        index.shrink_to_fit();
        for r in (0..10_000u32).step_by(97) {
            assert!(matches!(index.probe(hash(r), |q| q == r), Probe::Found(q) if q == r));
        }
        index.clear();
        assert_eq!(index.len(), 0);
        assert!(matches!(index.probe(hash(5), |q| q == 5), Probe::Vacant(_)));
        index.shrink_to_fit();
        assert_eq!(index.capacity(), 0);
        index.insert_unique(7, 3);
        assert!(matches!(index.probe(7, |q| q == 3), Probe::Found(3)));
        assert_ne!(index.touch(7), 0);
        assert_eq!(index.find(7, |q| q == 3), Some(3));
        assert_eq!(index.find(8, |_| true), None);
        assert_eq!(TagIndex::default().find(7, |_| true), None);
    }

    #[test]
    fn renumbering_keeps_tags_and_moves_ids() {
        let mut index = TagIndex::default();
        for id in 0..4u32 {
            index.insert_unique(100 + id, id);
        }
        index.renumber(&[3, 2, 1, 0]);
        for id in 0..4u32 {
            assert_eq!(index.find(100 + id, |_| true), Some(3 - id));
        }
    }

    #[test]
    fn reserve_sizes_once_for_the_rows_announced() {
        let mut index = TagIndex::default();
        index.reserve(1000);
        let slots = index.capacity();
        assert_eq!(slots, 2048);
        for r in 0..1000u32 {
            index.insert_unique(r.wrapping_mul(0x9E37_79B9), r);
        }
        assert_eq!(index.capacity(), slots, "no growth within the reservation");
        assert_eq!(index.heap_bytes(), slots * 8);
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
        /// Against a map: keys (ids of a key list) interned in any order, with tags from a small
        /// space (many collisions, long probe runs across the slot array's end), found again
        /// after growth, renumbering and shrinking; absent keys are never found.
        #[test]
        fn the_index_agrees_with_a_map(
            keys in proptest::collection::vec(0u16..600, 0..400),
            tag_bits in 1u32..12,
            reserve_first in proptest::prelude::any::<bool>(),
        ) {
            let tag = |k: u16| u32::from(k).wrapping_mul(0x9E37_79B9) >> (32 - tag_bits);
            let mut index = TagIndex::default();
            let mut ids: Vec<u16> = Vec::new(); // key of each id
            let mut map = std::collections::HashMap::new();
            if reserve_first {
                index.reserve(keys.len());
            }
            for &k in &keys {
                index.reserve(1);
                let found = match index.probe(tag(k), |id| ids[id as usize] == k) {
                    Probe::Found(id) => Some(id),
                    Probe::Vacant(slot) => {
                        let id = ids.len() as u32;
                        index.fill(slot, tag(k), id);
                        ids.push(k);
                        None
                    }
                };
                let expected = map.get(&k).copied();
                proptest::prop_assert_eq!(found, expected);
                map.entry(k).or_insert(ids.len() as u32 - 1);
                proptest::prop_assert!(index.capacity() * 3 >= index.len() * 4);
            }
            proptest::prop_assert_eq!(index.len(), map.len());
            // Remove every third key present (and one that is absent): the rest stay found.
            let mut gone: Vec<u16> = map.keys().copied().filter(|k| k % 3 == 0).collect();
            gone.sort_unstable();
            for &k in &gone {
                let id = map[&k];
                proptest::prop_assert!(index.remove(tag(k), |q| q == id));
                proptest::prop_assert!(!index.remove(tag(k), |q| q == id));
            }
            for &k in &gone {
                let id = map.remove(&k).unwrap();
                ids[id as usize] = u16::MAX; // no key
            }
            proptest::prop_assert!(!index.remove(tag(600), |q| ids[q as usize] == 600));
            proptest::prop_assert_eq!(index.len(), map.len());
            for (&k, &id) in &map {
                proptest::prop_assert_eq!(index.find(tag(k), |q| ids[q as usize] == k), Some(id));
            }
            // Reverse the ids: every key is found under its new id, absent keys nowhere.
            let n = ids.len() as u32;
            let new_of_old: Vec<u32> = (0..n).map(|id| n - 1 - id).collect();
            index.renumber(&new_of_old);
            ids.reverse();
            index.shrink_to_fit();
            for k in 0u16..600 {
                let found = index.find(tag(k), |id| ids[id as usize] == k);
                let expected = map.get(&k).map(|&id| n - 1 - id);
                proptest::prop_assert_eq!(found, expected);
            }
        }
    }
}
