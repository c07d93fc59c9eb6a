//! Merging tables: rows of another table added with their ids remapped by name.

use super::{NO_TIME, PathTable, check_path_len};
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

    /// True when every row is timed and the columns are those of timed rows only: what
    /// [`PathTable::append_timed`] moves in bulk.
    pub(crate) fn timed_only(&self) -> bool {
        self.times.len() == self.touches.len()
            && self.converted_at.len() == self.len()
            && self.carries.is_empty()
            && !self.staging
            && (0..self.len()).all(|r| self.times[self.span(r).start] != NO_TIME)
    }

    /// Appends the rows of `other` as [`PathTable::merge`] would, moving them in bulk when both
    /// tables are [`PathTable::timed_only`] on the same vocabulary (what the parts of the
    /// parallel journey builder are; `self_timed` is `self.timed_only()`, which the caller
    /// keeps as it appends): such rows are appended as they are, with no id to remap and
    /// nothing to check again. Anything else goes through [`PathTable::merge`]. Returns whether
    /// `self` is still timed only.
    ///
    /// # Errors
    /// As [`PathTable::merge`]; a table of more than `u32::MAX - 1` rows or `u32::MAX` touches.
    pub(crate) fn append_timed(&mut self, other: PathTable, self_timed: bool) -> Result<bool> {
        let same_vocabulary = self.channels.len() == other.channels.len()
            && self
                .channels
                .iter()
                .zip(other.channels.iter())
                .all(|(a, b)| a.1 == b.1);
        if !(self_timed && same_vocabulary && other.timed_only()) {
            self.merge(&other)?;
            return Ok(self.timed_only());
        }
        let too_many = |name: &'static str, reason: &str| Error::InvalidParameter {
            model: "PathTable",
            name,
            reason: reason.into(),
        };
        // Row numbers stay below u32::MAX, and touch offsets fit in u32, as `push_row` keeps them.
        if self.len() + other.len() >= u32::MAX as usize {
            return Err(too_many("rows", "more than u32::MAX - 1 rows"));
        }
        let base = u32::try_from(self.touches.len())
            .ok()
            .filter(|&b| other.touches.len() <= (u32::MAX - b) as usize)
            .ok_or_else(|| too_many("touches", "more than u32::MAX touches in all rows"))?;
        self.touches.extend_from_slice(&other.touches);
        self.times.extend_from_slice(&other.times);
        self.converted_at.extend_from_slice(&other.converted_at);
        self.ends.extend(other.ends.iter().map(|&e| base + e));
        self.outcomes.append(other.outcomes);
        Ok(true)
    }
}
