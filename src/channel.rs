//! Channel names interned to small integer ids.

use std::hash::BuildHasher;

use crate::tag_index::{Probe, TagIndex};
use rustc_hash::FxBuildHasher;

use crate::error::{Error, ParseProblem, Result};

/// State names the Markov model reserves (ChannelAttribution's names); no channel may use them.
pub const RESERVED_NAMES: [&str; 3] = ["(start)", "(conversion)", "(null)"];

/// A channel, interned per [`Channels`] vocabulary. `u32` keeps flat paths small.
///
/// Ids are only meaningful together with the vocabulary that issued them: two tables built
/// separately may give the same channel different ids (merging remaps them by name).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ChannelId(pub(crate) u32);

impl ChannelId {
    /// The id as an index into per-channel vectors (`0..channels.len()`).
    #[inline]
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// The vocabulary of a table: channel name ⇄ [`ChannelId`].
///
/// Names are arbitrary non-empty UTF-8 strings (spaces, commas, non-Latin letters), except the
/// [`RESERVED_NAMES`]. Ids are issued densely in order of first appearance.
///
/// ```
/// use touchpoint::Channels;
/// let mut ch = Channels::new();
/// let a = ch.intern("Paid Search")?;
/// let b = ch.intern("Email")?;
/// assert_eq!(ch.intern("Paid Search")?, a);
/// assert_eq!(ch.name(b), "Email");
/// assert_eq!(ch.len(), 2);
/// assert!(ch.intern("(start)").is_err());
/// # Ok::<(), touchpoint::Error>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct Channels {
    names: Interner,
}

impl Channels {
    /// An empty vocabulary.
    pub fn new() -> Self {
        Self::default()
    }

    /// The id of `name`, adding it if new.
    ///
    /// # Errors
    /// [`Error::InvalidPath`] if the name is empty or reserved, or if the vocabulary already holds
    /// `u32::MAX - 1` channels.
    pub fn intern(&mut self, name: &str) -> Result<ChannelId> {
        if let Some(id) = self.names.get(name) {
            return Ok(ChannelId(id));
        }
        validate_name(name)?;
        let id = self
            .names
            .intern(name)
            .ok_or_else(|| Error::InvalidParameter {
                model: "Channels",
                name: "channels",
                reason: "more than u32::MAX - 1 distinct channels".into(),
            })?;
        Ok(ChannelId(id))
    }

    /// The id of `name`, if it is in the vocabulary.
    pub fn get(&self, name: &str) -> Option<ChannelId> {
        self.names.get(name).map(ChannelId)
    }

    /// The name of `id`.
    ///
    /// # Panics
    /// If `id` was not issued by this vocabulary (a programming error, not an input error).
    pub fn name(&self, id: ChannelId) -> &str {
        self.names.name(id.0)
    }

    /// Number of channels.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// True when no channel is interned.
    pub fn is_empty(&self) -> bool {
        self.names.len() == 0
    }

    /// `(id, name)` in id order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (ChannelId, &str)> + '_ {
        self.names
            .names()
            .iter()
            .enumerate()
            .map(|(i, n)| (ChannelId(i as u32), &**n))
    }

    /// Ids sorted by channel name: the canonical output order.
    pub fn ids_by_name(&self) -> Vec<ChannelId> {
        let names = self.names.names();
        let mut ids: Vec<ChannelId> = (0..names.len() as u32).map(ChannelId).collect();
        ids.sort_unstable_by(|a, b| names[a.index()].cmp(&names[b.index()]));
        ids
    }
}

/// A byte-keyed lookup in front of a [`Channels`] vocabulary, for the hot loop of a reader: a
/// small open-addressing table whose slots hold short names (up to 16 bytes) inline as two
/// words, so that a hit costs two loads, a multiply and two compares, without reading the
/// vocabulary. Longer names are not cached (the caller asks the vocabulary). It only caches what
/// the vocabulary answered, so it never changes an id.
#[derive(Clone, Debug)]
pub(crate) struct NameCache {
    /// `(name as two words, length, id + 1)`; id + 1 = 0 marks an empty slot.
    slots: Vec<([u64; 2], u32, u32)>,
    used: usize,
}

impl Default for NameCache {
    fn default() -> Self {
        NameCache {
            slots: vec![([0; 2], 0, 0); 64],
            used: 0,
        }
    }
}

impl NameCache {
    /// The cached id of `name`, if it was inserted.
    #[inline]
    pub(crate) fn get(&self, name: &[u8]) -> Option<ChannelId> {
        let key = words(name)?;
        let mask = self.slots.len() - 1;
        let mut i = quick_hash(key, name.len()) & mask;
        loop {
            let (k, len, id) = &self.slots[i];
            if *id == 0 {
                return None;
            }
            if *k == key && *len as usize == name.len() {
                return Some(ChannelId(id - 1));
            }
            i = (i + 1) & mask;
        }
    }

    /// Remembers that `name` has id `id` (a no-op for names over 16 bytes).
    pub(crate) fn insert(&mut self, name: &[u8], id: ChannelId) {
        let Some(key) = words(name) else { return };
        if id.0 == u32::MAX || self.get(name).is_some() {
            return;
        }
        if 2 * (self.used + 1) > self.slots.len() {
            let grown = vec![([0; 2], 0, 0); 2 * self.slots.len()];
            let old = std::mem::replace(&mut self.slots, grown);
            self.used = 0;
            for (k, len, id) in old.into_iter().filter(|s| s.2 != 0) {
                self.put(k, len as usize, id);
            }
        }
        self.put(key, name.len(), id.0 + 1);
    }

    fn put(&mut self, key: [u64; 2], len: usize, id1: u32) {
        let mask = self.slots.len() - 1;
        let mut i = quick_hash(key, len) & mask;
        while self.slots[i].2 != 0 {
            i = (i + 1) & mask;
        }
        // `len` <= 16: checked by `words`.
        self.slots[i] = (key, len as u32, id1);
        self.used += 1;
    }
}

/// A name of at most 16 bytes as two words that, with its length, tell it from every other:
/// its first and last 8 bytes (overlapping when shorter than 16), or for shorter names its
/// first and last 4 (or single) bytes; `None` when longer than 16 bytes.
#[inline]
fn words(b: &[u8]) -> Option<[u64; 2]> {
    let n = b.len();
    let word8 = |i: usize| {
        let mut w = [0u8; 8];
        w.copy_from_slice(&b[i..i + 8]);
        u64::from_le_bytes(w)
    };
    let word4 = |i: usize| {
        let mut w = [0u8; 4];
        w.copy_from_slice(&b[i..i + 4]);
        u64::from(u32::from_le_bytes(w))
    };
    Some(match n {
        0 => [0, 0],
        1..=3 => [
            u64::from(b[0]) | u64::from(b[n / 2]) << 8 | u64::from(b[n - 1]) << 16,
            0,
        ],
        4..=7 => [word4(0), word4(n - 4)],
        8..=16 => [word8(0), word8(n - 8)],
        _ => return None,
    })
}

/// A cheap hash of a name's words and length (folded with one multiply).
#[inline]
fn quick_hash(key: [u64; 2], len: usize) -> usize {
    let h = (key[0] ^ key[1].rotate_left(29) ^ len as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    (h >> 40) as usize
}

/// Strings interned to dense `u32` ids in order of first appearance, each string stored once:
/// the one interner of the crate (the names of every [`Channels`] vocabulary, the users of event
/// logs, the DataFusion aggregate's users and channels).
///
/// The index ([`TagIndex`]) holds `(tag, id)` pairs, the tag being 32 bits of the string's hash,
/// so that lookups compare a string only when its tag matches and a growing index is rehashed
/// from the tags, without reading a string again (with a million users, rehashing from the
/// strings was a cache miss per user). About `16 + len + 11..21` bytes per string.
#[derive(Clone, Debug, Default)]
pub(crate) struct Interner {
    names: Vec<Box<str>>,
    index: TagIndex,
}

impl Interner {
    /// The id of `s`, if interned.
    pub(crate) fn get(&self, s: &str) -> Option<u32> {
        let names = &self.names;
        self.index.find(tag(s), |id| &*names[id as usize] == s)
    }

    /// Loads what interning a string of tag `t` ([`Interner::tag`]) will read (its index slot
    /// and, when that slot's tag is `t`, the string it names), so that a caller interning a
    /// batch of strings can load them all first and their cache misses overlap; fold the result
    /// into a value passed to `std::hint::black_box`.
    #[inline]
    pub(crate) fn touch(&self, t: u32) -> u64 {
        let slot = self.index.touch(t);
        if slot >> 32 != u64::from(t) {
            return slot;
        }
        let id = (slot as u32).wrapping_sub(1) as usize;
        self.names
            .get(id)
            .and_then(|n| n.as_bytes().first())
            .map_or(slot, |&b| slot ^ u64::from(b))
    }

    /// The id of `s`, adding it if new; `None` when `u32::MAX - 1` strings are interned
    /// already (`u32::MAX` stays free as a "none" marker for callers).
    pub(crate) fn intern(&mut self, s: &str) -> Option<u32> {
        self.intern_tagged(s, tag(s))
    }

    /// [`Interner::intern`] of `s` whose [`Interner::tag`] is `t` (computed beforehand, for
    /// example by a parallel reader).
    pub(crate) fn intern_tagged(&mut self, s: &str, t: u32) -> Option<u32> {
        debug_assert_eq!(t, tag(s));
        self.index.reserve(1);
        let names = &self.names;
        match self.index.probe(t, |id| &*names[id as usize] == s) {
            Probe::Found(id) => Some(id),
            Probe::Vacant(slot) => {
                let id = u32::try_from(self.names.len())
                    .ok()
                    .filter(|&id| id != u32::MAX)?;
                self.index.fill(slot, t, id);
                self.names.push(s.into());
                Some(id)
            }
        }
    }

    /// The string of `id`.
    ///
    /// # Panics
    /// If `id` was not returned by this interner.
    pub(crate) fn name(&self, id: u32) -> &str {
        &self.names[id as usize]
    }

    /// Every string, by id.
    pub(crate) fn names(&self) -> &[Box<str>] {
        &self.names
    }

    /// Strings interned.
    pub(crate) fn len(&self) -> usize {
        self.names.len()
    }

    /// Forgets every string, keeping the allocations.
    pub(crate) fn clear(&mut self) {
        self.names.clear();
        self.index.clear();
    }

    /// Gives the string of id `old` the id `new_of_old[old]`; `new_of_old` must be a
    /// permutation of the ids. O(n), without hashing any string again.
    ///
    /// # Panics
    /// If `new_of_old` is shorter than the number of strings.
    pub(crate) fn renumber(&mut self, new_of_old: &[u32]) {
        let mut names = vec![Box::<str>::default(); self.names.len()];
        for (old, name) in self.names.drain(..).enumerate() {
            names[new_of_old[old] as usize] = name;
        }
        self.names = names;
        self.index.renumber(new_of_old);
    }

    /// Approximate heap bytes: the strings, their boxes and the index.
    pub(crate) fn heap_bytes(&self) -> usize {
        self.names.iter().map(|n| n.len()).sum::<usize>()
            + self.names.capacity() * size_of::<Box<str>>()
            + self.index.heap_bytes()
    }
}

/// The interner's tag of a string: the low half of its hash, where `FxHasher`'s best-mixed bits
/// end up.
fn tag(s: &str) -> u32 {
    FxBuildHasher.hash_one(s) as u32
}

impl Interner {
    /// The tag `s` is indexed by, for [`Interner::intern_tagged`] and [`Interner::touch`].
    #[inline]
    pub(crate) fn tag(s: &str) -> u32 {
        tag(s)
    }
}

/// Checks a channel name: non-empty after trimming and not reserved.
fn validate_name(name: &str) -> Result<()> {
    if name.trim().is_empty() {
        return Err(Error::InvalidPath(ParseProblem::EmptyToken { position: 0 }));
    }
    if RESERVED_NAMES.contains(&name) {
        return Err(Error::InvalidPath(ParseProblem::ReservedName {
            name: name.to_string(),
        }));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_dense_in_first_appearance_order() {
        let mut c = Channels::new();
        for n in ["b", "a", "b", "ü c, d"] {
            c.intern(n).unwrap();
        }
        let names: Vec<_> = c.iter().map(|(_, n)| n).collect();
        assert_eq!(names, ["b", "a", "ü c, d"]);
        let sorted: Vec<_> = c.ids_by_name().into_iter().map(|i| c.name(i)).collect();
        assert_eq!(sorted, ["a", "b", "ü c, d"]);
    }

    #[test]
    fn interner_keeps_first_appearance_ids() {
        let mut i = Interner::default();
        let words = ["x", "y", "x", "", "zz", "y"];
        let ids: Vec<u32> = words.iter().map(|w| i.intern(w).unwrap()).collect();
        assert_eq!(ids, [0, 1, 0, 2, 3, 1]);
        assert_eq!(
            (i.len(), i.name(3), i.get("zz"), i.get("q")),
            (4, "zz", Some(3), None)
        );
        assert!(i.heap_bytes() >= 4);
    }

    #[test]
    fn interner_grows_and_renumbers_without_losing_a_string() {
        let mut i = Interner::default();
        let words: Vec<String> = (0..50_000).map(|k| format!("user-{k}")).collect();
        for (k, w) in words.iter().enumerate() {
            assert_eq!(i.intern(w), Some(k as u32));
        }
        // Reverse the ids: every string is found under its new id, and new strings follow.
        let n = words.len() as u32;
        let reversed: Vec<u32> = (0..n).map(|old| n - 1 - old).collect();
        i.renumber(&reversed);
        for (k, w) in words.iter().enumerate() {
            let id = n - 1 - k as u32;
            assert_eq!((i.get(w), i.name(id)), (Some(id), w.as_str()));
            assert_eq!(i.intern(w), Some(id));
        }
        assert_eq!((i.intern("new"), i.len()), (Some(n), words.len() + 1));
        i.clear();
        assert_eq!(
            (i.get("user-1"), i.len(), i.intern("a")),
            (None, 0, Some(0))
        );
    }

    #[test]
    fn the_name_cache_answers_what_it_was_told() {
        let mut c = Channels::new();
        let mut cache = NameCache::default();
        let names: Vec<String> = (0..200).map(|i| format!("ch {i}")).collect();
        for n in &names {
            let id = c.intern(n).unwrap();
            cache.insert(n.as_bytes(), id);
        }
        for n in &names {
            assert_eq!(cache.get(n.as_bytes()), c.get(n), "{n}");
        }
        assert_eq!(cache.get(b"ch 200"), None);
        assert_eq!(cache.get(b"ch 1 "), None);
        for short in [
            "",
            "a",
            "ab",
            "abc",
            "abcd",
            "abcde",
            "abcdefgh",
            "abcdefghijklmnop",
        ] {
            cache.insert(short.as_bytes(), ChannelId(7));
            assert_eq!(cache.get(short.as_bytes()), Some(ChannelId(7)), "{short}");
        }
        assert_eq!(cache.get(b"abdc"), None);
        assert_eq!(cache.get(b"abcdefghijklmnoq"), None);
        let long = "a channel name of more than sixteen bytes";
        cache.insert(long.as_bytes(), ChannelId(0));
        assert_eq!(cache.get(long.as_bytes()), None);
    }

    #[test]
    fn empty_and_reserved_names_are_refused() {
        let mut c = Channels::new();
        assert!(c.intern("").is_err());
        assert!(c.intern("  ").is_err());
        for r in RESERVED_NAMES {
            assert!(c.intern(r).is_err());
        }
        assert!(c.is_empty());
    }
}
