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
            crate::par::for_each_chunk_mut(&mut self.touches, 1 << 16, |part| {
                for id in part {
                    *id = rank[id.index()];
                }
            });
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
        // Column by column: each old column is gone before the next is copied, which keeps the
        // peak memory of the reorder lower.
        self.outcomes = self.outcomes.gather(idx);
        let mut ends = Vec::with_capacity(idx.len());
        let mut end = 0u32;
        for &r in idx {
            // Fits: the rows' touches fitted in u32 offsets before the reorder.
            end += self.ends[r as usize] - self.span(r as usize).start as u32;
            ends.push(end);
        }
        let touches = gather_spans(&self.touches, &self.ends, idx, &ends, ChannelId(0));
        self.touches = touches;
        if !self.times.is_empty() {
            let times = gather_spans(&self.times, &self.ends, idx, &ends, 0);
            self.times = times;
            self.converted_at =
                crate::par::map_range(idx.len(), |i| self.converted_at[idx[i] as usize]);
        }
        if !self.carries.is_empty() {
            self.carries = crate::par::map_range(idx.len(), |i| self.carries[idx[i] as usize]);
        }
        self.ends = ends;
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

/// The rows `idx` of a per-touch column `src` (row `r` is `src[old_ends[r - 1]..old_ends[r]]`)
/// laid out by `new_ends`, copied in blocks of rows in parallel (each block writes its own part
/// of the output, so the result does not depend on the threads).
fn gather_spans<T: Copy + Send + Sync>(
    src: &[T],
    old_ends: &[u32],
    idx: &[u32],
    new_ends: &[u32],
    fill: T,
) -> Vec<T> {
    /// Rows per block: big enough to amortise a task, small enough to balance the threads.
    const ROWS: usize = 1 << 15;
    let start = |ends: &[u32], r: usize| if r == 0 { 0 } else { ends[r - 1] as usize };
    let mut out = vec![fill; new_ends.last().map_or(0, |&e| e as usize)];
    let mut blocks = Vec::with_capacity(idx.len().div_ceil(ROWS));
    let mut rest = &mut out[..];
    for first in (0..idx.len()).step_by(ROWS) {
        let last = (first + ROWS).min(idx.len());
        let len = new_ends[last - 1] as usize - start(new_ends, first);
        let (part, tail) = std::mem::take(&mut rest).split_at_mut(len);
        blocks.push((part, first..last));
        rest = tail;
    }
    crate::par::for_each_chunk_mut(&mut blocks, 1, |block| {
        for (part, rows) in block.iter_mut() {
            let mut at = 0;
            for &r in &idx[rows.clone()] {
                let r = r as usize;
                let span = &src[start(old_ends, r)..old_ends[r] as usize];
                part[at..at + span.len()].copy_from_slice(span);
                at += span.len();
            }
        }
    });
    out
}
