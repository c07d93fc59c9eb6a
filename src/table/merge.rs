//! Merging tables: rows of another table added with their ids remapped by name.

use super::{PathTable, check_path_len};
use crate::channel::ChannelId;
use crate::error::{Error, Result};

/// Rows whose index slots the merge loads ahead of inserting them (see `merge_each`).
const LOOKAHEAD: usize = 16;

impl PathTable {
    /// Adds every row of `other` to `self`, remapping channel ids by name; equal untimed paths are
    /// summed, timed rows are appended. Merging is associative and commutative on content, and
    /// `PathTable::new()` is its identity.
    ///
    /// # Errors
    /// [`Error::Merge`] if a row of `other` is longer than `self`'s path-length limit, or if the
    /// sum of equal paths overflows (the row is then left as it was).
    pub fn merge(&mut self, other: &PathTable) -> Result<()> {
        self.merge_located(other, |_, e| Error::Merge {
            reason: e.to_string(),
        })
    }

    /// [`PathTable::merge`], turning the error of row `r` of `other` into `locate(r, error)`.
    pub(crate) fn merge_located(
        &mut self,
        other: &PathTable,
        locate: impl Fn(usize, Error) -> Error,
    ) -> Result<()> {
        self.merge_each(other, |r, e| Err(locate(r, e)))
    }

    /// [`PathTable::merge`] that hands the error of row `r` of `other` to `on_error`: the row
    /// is left out, and the merge goes on if `on_error` returns `Ok` (a reader skipping bad
    /// rows) or stops with its error.
    pub(crate) fn merge_each(
        &mut self,
        other: &PathTable,
        mut on_error: impl FnMut(usize, Error) -> Result<()>,
    ) -> Result<()> {
        let remap: Vec<ChannelId> = other
            .channels
            .iter()
            .map(|(_, name)| self.channels.intern(name))
            .collect::<Result<_>>()?;
        if self.index_stale {
            self.rebuild_index();
        }
        self.index.reserve(other.len());
        // A staging table built on a snapshot of this vocabulary (and no new channel since)
        // has this table's ids and its paths' hashes: rows go in without remapping or hashing.
        let same_ids = remap.iter().enumerate().all(|(i, id)| id.index() == i);
        let hashed = same_ids && other.staged_hashes.len() == other.len();
        let mut ids = Vec::new();
        // The index slots of the rows LOOKAHEAD ahead are loaded a batch at a time, so that
        // their cache misses overlap instead of stalling each insert in turn.
        let mut touched = 0u64;
        for (i, row) in other.rows().enumerate() {
            if hashed && i % LOOKAHEAD == 0 {
                let ahead = other.staged_hashes.iter().skip(i + LOOKAHEAD);
                for &h in ahead.take(LOOKAHEAD) {
                    touched ^= self.touch_index(h);
                }
            }
            let r = match row.times {
                None if hashed => {
                    check_path_len(row.path.len(), self.max_path_len).and_then(|()| {
                        let h = other.staged_hashes[i];
                        self.insert_hashed(row.path, h, row.outcome, other.carry(i))
                    })
                }
                None => {
                    ids.clear();
                    ids.extend(row.path.iter().map(|id| remap[id.index()]));
                    self.insert_untimed_exact(&ids, row.outcome, other.carry(i))
                }
                Some(ts) => {
                    ids.clear();
                    ids.extend(row.path.iter().map(|id| remap[id.index()]));
                    self.insert_timed(&ids, ts, row.converted_at, row.outcome)
                }
            };
            if let Err(e) = r {
                on_error(i, e)?;
            }
        }
        std::hint::black_box(touched);
        Ok(())
    }
}
