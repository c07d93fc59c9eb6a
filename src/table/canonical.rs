//! The canonical form of a table: channels in name order, rows sorted by content.

use std::cmp::Ordering;

use super::{NO_TIME, PathTable, hash_path};
use crate::channel::{ChannelId, Channels};
use crate::tag_index::TagIndex;

impl PathTable {
    /// The same content in canonical form: channels interned in name order, rows sorted by path
    /// (by channel name), then by timestamps. Two tables with equal content have equal canonical
    /// forms, whatever the order their rows were added or merged in.
    pub fn canonical(&self) -> PathTable {
        let mut out = self.clone();
        out.canonicalize();
        out
    }

    /// Puts the table in canonical form in place (see [`PathTable::canonical`]): every model
    /// then gives the same result, to the last bit, for the same rows added in any order, in
    /// any shards, on any number of threads. [`crate::pipeline::load`] (and so the `attribute`
    /// command) returns canonical tables; call this after reading, building a table row by
    /// row or merging shards. Sums of equal paths are exact whatever their order, so only the
    /// row order needs fixing.
    ///
    /// # Complexity
    /// O(T) when the table is already canonical (one check); otherwise an O(R log R) sort of
    /// the R rows (parallel with the `parallel` feature) and an O(T) rebuild of the buffers.
    pub fn canonicalize(&mut self) {
        let order = self.channels.ids_by_name();
        let renamed = order.iter().enumerate().any(|(i, id)| id.index() != i);
        if renamed {
            let mut rank = vec![ChannelId(0); order.len()];
            let mut channels = Channels::new();
            for (new, old) in order.iter().enumerate() {
                rank[old.index()] = ChannelId(new as u32);
                // Names of an existing vocabulary are valid and distinct.
                let _ = channels.intern(self.channels.name(*old));
            }
            for id in &mut self.touches {
                *id = rank[id.index()];
            }
            self.channels = channels;
        }
        let n = self.len();
        let sorted = (1..n).all(|r| self.cmp_rows(r - 1, r) != Ordering::Greater);
        if renamed || !sorted {
            // Rebuilt when a row is next added (most canonical tables never are); dropped
            // before the sort, which then has its memory.
            self.index = TagIndex::default();
            self.index_stale = true;
        }
        if !sorted {
            // The buffers are rebuilt in order: their growth slack is released first (cheap
            // for large ones), which lowers the peak memory of the rebuild.
            self.touches.shrink_to_fit();
            self.ends.shrink_to_fit();
            self.outcomes.shrink_to_fit();
            let idx = self.sorted_order();
            self.permute(&idx);
        }
    }

    /// Row numbers in canonical order. Rows are first sorted by a 128-bit key packing their
    /// first channel ids (as many as fit) (in the order of the full comparison: a shorter path sorts
    /// before its extensions), then, when the key holds the whole path, by the row's first touch
    /// time (timed rows of one path, as event logs give, are told apart by one more integer
    /// compare); only runs equal in both are sorted with the full comparison.
    fn sorted_order(&self) -> Vec<u32> {
        let n = self.len();
        if self.channels.len() >= 0xFFFF {
            let mut idx: Vec<u32> = (0..n as u32).collect();
            let cmp = |a: &u32, b: &u32| self.cmp_rows(*a as usize, *b as usize);
            #[cfg(feature = "parallel")]
            rayon::slice::ParallelSliceMut::par_sort_unstable_by(&mut idx[..], cmp);
            #[cfg(not(feature = "parallel"))]
            idx.sort_unstable_by(cmp);
            return idx;
        }
        // Ids + 1 in `bits` bits each (0 marks the end of a path), as many as fit in 128.
        let bits = 128 - ((self.channels.len() + 1) as u128).leading_zeros();
        let slots = (128 / bits) as usize;
        let key = |r: usize| -> (u128, i64, u32) {
            let span = self.span(r);
            let path = &self.touches[span.clone()];
            let mut k = 0u128;
            for i in 0..slots {
                let part = path.get(i).map_or(0, |id| u128::from(id.0) + 1);
                k = k << bits | part;
            }
            // Equal keys of paths shorter than `slots` are equal paths, which the full
            // comparison orders by their times (`NO_TIME`, the least, for untimed rows).
            let first = match self.times.get(span.start) {
                Some(&t) if path.len() < slots => t,
                _ => NO_TIME,
            };
            (k, first, r as u32)
        };
        let mut keyed: Vec<(u128, i64, u32)> = crate::par::map_range(n, key);
        #[cfg(feature = "parallel")]
        rayon::slice::ParallelSliceMut::par_sort_unstable(&mut keyed[..]);
        #[cfg(not(feature = "parallel"))]
        keyed.sort_unstable();
        let tie = |a: &(u128, i64, u32), b: &(u128, i64, u32)| a.0 == b.0 && a.1 == b.1;
        let full = |run: &mut [(u128, i64, u32)]| {
            if run.len() > 1 {
                run.sort_unstable_by(|a, b| self.cmp_rows(a.2 as usize, b.2 as usize));
            }
        };
        #[cfg(feature = "parallel")]
        {
            use rayon::iter::ParallelIterator;
            rayon::slice::ParallelSliceMut::par_chunk_by_mut(&mut keyed[..], tie).for_each(full);
        }
        #[cfg(not(feature = "parallel"))]
        keyed.chunk_by_mut(tie).for_each(full);
        keyed.into_iter().map(|(_, _, r)| r).collect()
    }

    /// Orders rows by path, then timestamps, conversion time and outcome (total order).
    fn cmp_rows(&self, a: usize, b: usize) -> Ordering {
        let by_path = self.touches[self.span(a)].cmp(&self.touches[self.span(b)]);
        if by_path != Ordering::Equal {
            return by_path;
        }
        // Equal paths: only timed rows (or rows of a staging table).
        let (x, y) = (self.row(a), self.row(b));
        x.times
            .cmp(&y.times)
            .then_with(|| x.converted_at.cmp(&y.converted_at))
            .then_with(|| x.outcome.conversions.total_cmp(&y.outcome.conversions))
            .then_with(|| x.outcome.value.total_cmp(&y.outcome.value))
            .then_with(|| x.outcome.nulls.total_cmp(&y.outcome.nulls))
    }

    /// Reorders the rows: new row `i` is old row `idx[i]`.
    fn permute(&mut self, idx: &[u32]) {
        // Column by column where it is free: the old outcomes are gone before the paths are
        // copied, which keeps the peak memory of the reorder lower.
        self.outcomes = self.outcomes.gather(idx);
        let timed = !self.times.is_empty();
        let mut touches = Vec::with_capacity(self.touches.len());
        let mut times = Vec::with_capacity(self.times.len());
        let mut ends = Vec::with_capacity(idx.len());
        let mut converted_at = Vec::with_capacity(self.converted_at.len());
        let mut carries = Vec::with_capacity(self.carries.len());
        for &r in idx {
            let r = r as usize;
            let span = self.span(r);
            touches.extend_from_slice(&self.touches[span.clone()]);
            if timed {
                times.extend_from_slice(&self.times[span]);
                converted_at.push(self.converted_at[r]);
            }
            // Fits: the rows' touches fitted in u32 offsets before the reorder.
            ends.push(touches.len() as u32);
            if !self.carries.is_empty() {
                carries.push(self.carries[r]);
            }
        }
        self.carries = carries;
        self.touches = touches;
        self.times = times;
        self.ends = ends;
        self.converted_at = converted_at;
    }

    /// Rebuilds the dedup index of the untimed rows (distinct paths: no probing needed).
    pub(super) fn rebuild_index(&mut self) {
        self.index_stale = false;
        self.index.clear();
        self.index.reserve(self.len());
        for r in 0..self.len() {
            let span = self.span(r);
            if !self.times.is_empty() && self.times[span.start] != NO_TIME {
                continue;
            }
            let h = hash_path(&self.touches[span]);
            self.index.insert_unique(h, r as u32);
        }
    }
}
