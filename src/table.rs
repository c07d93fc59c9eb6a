//! The aggregated path table: flat, deduplicated, mergeable.

use std::hash::BuildHasher;

use chrono::{DateTime, Utc};
use rustc_hash::FxBuildHasher;

use crate::channel::{ChannelId, Channels};
use crate::error::{Error, ParseProblem, Result};
use crate::journey::Journey;
use crate::outcome::{Outcome, two_sum};
use crate::tag_index::{Probe, TagIndex};

mod canonical;
mod merge;
mod outcomes;

use outcomes::Outcomes;

/// Default limit on the number of touches in one path (see [`PathTable::set_max_path_len`]).
pub const DEFAULT_MAX_PATH_LEN: usize = 10_000;

/// Sentinel stored in the time buffers for rows without timestamps.
const NO_TIME: i64 = i64::MIN;

/// A borrowed view of one row of a [`PathTable`]: no allocation per row.
#[derive(Clone, Copy, Debug)]
pub struct Row<'t> {
    /// The channel sequence, first touch first.
    pub path: &'t [ChannelId],
    /// Summed outcome of the journeys with this path.
    pub outcome: Outcome,
    /// Per-touch timestamps in microseconds since the Unix epoch (UTC), when the row came from
    /// timestamped journeys; `None` for aggregated rows.
    pub times: Option<&'t [i64]>,
    /// Conversion time (µs since the epoch) of a timestamped converting row, when known.
    pub converted_at: Option<i64>,
}

/// Aggregated conversion paths, the input of every model ([model reference](crate::reference),
/// §Conventions / Path tables).
///
/// Storage is flat: one buffer of channel ids for all paths plus an end offset per row (csv's
/// `ByteRecord`, petgraph's CSR), one [`Outcome`] per row, and a hash index of row numbers so
/// that identical paths are summed into one row. Channels are interned by the table's own
/// [`Channels`] vocabulary.
///
/// * **Row order** is insertion order (deterministic for a given input order). Models do not
///   depend on it beyond floating-point rounding; [`PathTable::canonical`] gives a form that does
///   not depend on it at all.
/// * **Timestamps.** Rows added with per-touch timestamps ([`PathTable::add_journey`]) are kept one
///   per journey (not deduplicated) so time decay can use real time. Rows without timestamps are
///   deduplicated. A table without any timestamped row pays nothing for the feature.
/// * **Merging** ([`PathTable::merge`]) sums equal paths after remapping channel ids by name, so
///   tables can be built in shards and merged in any order: the merged *content* (what
///   [`PathTable::canonical`] shows, and every attribution) is the same.
///
/// # Memory
/// About `4·L + 4 + 12` bytes per distinct untimed row of length `L` (ids, end offset,
/// outcome) while every count is a whole number below 2³² (24 bytes of outcome from the first
/// row with another count), plus about 11–21 bytes of index slot until the table is put in
/// canonical order, plus the vocabulary. Timestamped rows add `8·L + 8` bytes.
///
/// ```
/// use touchpoint::{Outcome, PathTable};
/// let mut t = PathTable::new();
/// t.add(["Search", "Email"], Outcome::new(2.0, 20.0, 1.0))?;
/// t.add(["Search", "Email"], Outcome::new(1.0, 5.0, 0.0))?;
/// t.add(["Display"], Outcome::null(4.0))?;
/// assert_eq!(t.len(), 2);
/// assert_eq!(t.totals(), Outcome::new(3.0, 25.0, 5.0));
/// # Ok::<(), touchpoint::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct PathTable {
    channels: Channels,
    touches: Vec<ChannelId>,
    /// `ends[r]` is the end offset of row `r` in `touches`; row `r` starts at `ends[r-1]` (or 0).
    ends: Vec<u32>,
    outcomes: Outcomes,
    /// Empty, or one entry per touch (`NO_TIME` for untimed rows).
    times: Vec<i64>,
    /// Empty, or one entry per row (`NO_TIME` when unknown).
    converted_at: Vec<i64>,
    /// Empty, or one entry per row: the rounding residue of the row's summed outcome, so that
    /// `outcomes[r] + carries[r]` is the exact sum of the rows merged into row `r` (see
    /// [`sum_exactly`]). Allocated at the first sum that rounds (never for whole numbers).
    carries: Vec<[f64; 3]>,
    /// Rows of the untimed paths by their 32-bit hash, kept in the index so that growing it is
    /// cheap (no path is re-read) and most mismatches are rejected without touching the path.
    index: TagIndex,
    /// The index is empty and must be rebuilt before the next dedup (after a reorder: most
    /// tables are read, put in canonical order and never added to again).
    index_stale: bool,
    max_path_len: usize,
    scratch: Vec<ChannelId>,
    /// A private staging table of a parallel reader: rows are appended without deduplication
    /// (the merge into the real table deduplicates), saving one hash probe per row.
    staging: bool,
    /// Staging tables only: the 32-bit hash of each row's path, computed by the parallel reader
    /// so that the serial merge does not hash again (used when the ids need no remapping).
    staged_hashes: Vec<u32>,
}

impl Default for PathTable {
    fn default() -> Self {
        PathTable {
            channels: Channels::new(),
            touches: Vec::new(),
            ends: Vec::new(),
            outcomes: Outcomes::default(),
            times: Vec::new(),
            converted_at: Vec::new(),
            carries: Vec::new(),
            index: TagIndex::default(),
            index_stale: false,
            max_path_len: DEFAULT_MAX_PATH_LEN,
            scratch: Vec::new(),
            staging: false,
            staged_hashes: Vec::new(),
        }
    }
}

/// 32-bit hash of a path (the high half of FxHash, its best-mixed bits).
fn hash_path(path: &[ChannelId]) -> u32 {
    (FxBuildHasher.hash_one(path) >> 32) as u32
}

impl PathTable {
    /// An empty table (the identity of [`PathTable::merge`]).
    pub fn new() -> Self {
        Self::default()
    }

    /// Reserves room for `rows` more rows of `touches` more touches in all, and for as many
    /// more entries in the path index: a reader that knows its input's size grows the table
    /// once (no rehash of the index with both copies alive, no doubling of the columns).
    pub(crate) fn reserve(&mut self, rows: usize, touches: usize) {
        if self.index_stale {
            self.rebuild_index();
        }
        self.touches.reserve(touches);
        self.ends.reserve(rows);
        self.outcomes.reserve(rows);
        if self.staging {
            self.staged_hashes.reserve(rows);
        } else {
            self.index.reserve(rows);
        }
    }

    /// A staging table for a parallel reader: rows are appended, not deduplicated. It must only
    /// ever be merged into a normal table (which deduplicates), never handed out.
    pub(crate) fn staging() -> Self {
        PathTable {
            staging: true,
            ..PathTable::default()
        }
    }

    /// A staging table that starts with the vocabulary `channels` (a snapshot of the table it
    /// will be merged into, so that the merge needs no remapping of ids for these channels).
    pub(crate) fn staging_with(channels: Channels) -> Self {
        PathTable {
            channels,
            ..PathTable::staging()
        }
    }

    /// The longest path accepted (default [`DEFAULT_MAX_PATH_LEN`]).
    pub fn max_path_len(&self) -> usize {
        self.max_path_len
    }

    /// Sets the longest path accepted; longer paths are refused with
    /// [`ParseProblem::PathTooLong`].
    pub fn set_max_path_len(&mut self, limit: usize) {
        self.max_path_len = limit;
    }

    /// The table's channel vocabulary.
    pub fn channels(&self) -> &Channels {
        &self.channels
    }

    /// Interns a channel name without adding a row (for example a channel known to exist but
    /// absent from every path: it will be credited 0).
    ///
    /// # Errors
    /// As [`Channels::intern`].
    pub fn intern(&mut self, name: &str) -> Result<ChannelId> {
        self.channels.intern(name)
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.outcomes.len()
    }

    /// True when the table has no row.
    pub fn is_empty(&self) -> bool {
        self.outcomes.is_empty()
    }

    /// Total number of touches over all rows (Σ L_r).
    pub fn touch_count(&self) -> usize {
        self.touches.len()
    }

    /// True when at least one row carries timestamps.
    pub fn has_times(&self) -> bool {
        !self.times.is_empty()
    }

    /// Sum of all outcomes: (C, V, U), compensated (Neumaier), so that totals near 1e15 keep
    /// every unit and the result does not depend on the row order beyond the last bit.
    ///
    /// # Complexity
    /// O(rows) the first time, O(1) after until a row changes (the sums are kept).
    pub fn totals(&self) -> Outcome {
        self.outcomes.totals()
    }

    /// Checks that the totals are finite (every row is, but a sum of rows can overflow).
    ///
    /// # Errors
    /// [`Error::InvalidCount`] naming the count whose total overflows.
    pub(crate) fn check_totals(&self) -> Result<()> {
        check_finite(&self.totals(), "the total over all rows overflows")
    }

    /// Offset range of row `r` in the flat touch buffer.
    #[inline]
    pub(crate) fn span(&self, r: usize) -> std::ops::Range<usize> {
        let start = if r == 0 { 0 } else { self.ends[r - 1] as usize };
        start..self.ends[r] as usize
    }

    /// Row `r`.
    ///
    /// # Panics
    /// If `r >= self.len()`.
    #[inline]
    pub fn row(&self, r: usize) -> Row<'_> {
        let span = self.span(r);
        let (times, converted_at) = if self.times.is_empty() || self.times[span.start] == NO_TIME {
            (None, None)
        } else {
            let c = self.converted_at[r];
            (Some(&self.times[span.clone()]), (c != NO_TIME).then_some(c))
        };
        Row {
            path: &self.touches[span],
            outcome: self.outcomes.get(r),
            times,
            converted_at,
        }
    }

    /// All rows in table order.
    pub fn rows(&self) -> impl ExactSizeIterator<Item = Row<'_>> + '_ {
        (0..self.len()).map(move |r| self.row(r))
    }

    /// Adds journeys with the path given by channel names (interned as needed). An untimed path
    /// already in the table has its outcome summed into the existing row.
    ///
    /// # Errors
    /// [`Error::InvalidPath`] for an empty path, an empty or reserved channel name or a path
    /// longer than [`PathTable::max_path_len`]; [`Error::InvalidCount`] for an invalid outcome.
    /// On error the table is unchanged (apart from channel names that were interned).
    ///
    /// Returns the index of the row written: a new row, or the existing row the outcome was
    /// summed into.
    pub fn add<I, S>(&mut self, path: I, outcome: Outcome) -> Result<usize>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        outcome.validate()?;
        self.insert_named(path, |t, ids| t.insert_untimed(ids, outcome))
    }

    /// Interns `path` into the reused id buffer and hands it to `insert`.
    fn insert_named<I, S>(
        &mut self,
        path: I,
        insert: impl FnOnce(&mut Self, &[ChannelId]) -> Result<usize>,
    ) -> Result<usize>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut ids = std::mem::take(&mut self.scratch);
        ids.clear();
        let r = self
            .intern_path(path, &mut ids)
            .and_then(|()| insert(self, &ids));
        self.scratch = ids;
        r
    }

    fn intern_path<I, S>(&mut self, path: I, ids: &mut Vec<ChannelId>) -> Result<()>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut names = path.into_iter().enumerate();
        while let Some((i, name)) = names.next() {
            if i >= self.max_path_len {
                // Count the rest without interning it.
                return Err(Error::InvalidPath(ParseProblem::PathTooLong {
                    len: i + 1 + names.count(),
                    limit: self.max_path_len,
                }));
            }
            let name = name.as_ref();
            let id = self.channels.intern(name).map_err(|e| match e {
                Error::InvalidPath(ParseProblem::EmptyToken { .. }) => {
                    Error::InvalidPath(ParseProblem::EmptyToken { position: i + 1 })
                }
                other => other,
            })?;
            ids.push(id);
        }
        Ok(())
    }

    /// Adds journeys with a path of ids from this table's vocabulary.
    ///
    /// # Errors
    /// As [`PathTable::add`]; also [`Error::InvalidParameter`] if an id was not issued by this
    /// table's vocabulary. Returns the row written, as [`PathTable::add`].
    pub fn add_ids(&mut self, path: &[ChannelId], outcome: Outcome) -> Result<usize> {
        outcome.validate()?;
        self.check_ids(path)?;
        self.insert_untimed(path, outcome)
    }

    /// [`PathTable::add_timed`] with a path of ids from this table's vocabulary (the journey
    /// builder's, whose table issues the log's ids): no name is looked up.
    ///
    /// # Errors
    /// As [`PathTable::add_timed`]; [`Error::InvalidParameter`] for an id not issued here.
    pub(crate) fn add_timed_ids(
        &mut self,
        path: &[ChannelId],
        times: &[i64],
        converted_at: Option<i64>,
        outcome: Outcome,
    ) -> Result<usize> {
        outcome.validate()?;
        self.check_ids(path)?;
        self.insert_timed(path, times, converted_at, outcome)
    }

    /// Every id of `path` was issued by this table's vocabulary.
    fn check_ids(&self, path: &[ChannelId]) -> Result<()> {
        match path.iter().find(|id| id.index() >= self.channels.len()) {
            Some(bad) => Err(Error::InvalidParameter {
                model: "PathTable",
                name: "path",
                reason: format!("channel id {} is not in this table's vocabulary", bad.0),
            }),
            None => Ok(()),
        }
    }

    /// The id of channel `name`, interned if new; `None` when the name is refused (the caller
    /// then reads the row again with the general parser, which names the problem).
    #[inline]
    pub(crate) fn intern_fast(&mut self, name: &str) -> Option<ChannelId> {
        match self.channels.get(name) {
            Some(id) => Some(id),
            None => self.channels.intern(name).ok(),
        }
    }

    /// Adds a row of ids issued by this table with a validated `outcome` (the fast CSV path);
    /// `None` when the row is refused (too long).
    #[inline]
    pub(crate) fn add_staged(&mut self, path: &[ChannelId], outcome: Outcome) -> Option<()> {
        self.insert_untimed(path, outcome).ok().map(drop)
    }

    fn check_len(&self, len: usize) -> Result<()> {
        check_path_len(len, self.max_path_len)
    }

    /// Inserts or sums an untimed row (returns its index); `outcome` is already validated.
    fn insert_untimed(&mut self, path: &[ChannelId], outcome: Outcome) -> Result<usize> {
        self.insert_untimed_exact(path, outcome, [0.0; 3])
    }

    /// [`PathTable::insert_untimed`] of a row whose exact outcome is `outcome + carry`.
    fn insert_untimed_exact(
        &mut self,
        path: &[ChannelId],
        outcome: Outcome,
        carry: [f64; 3],
    ) -> Result<usize> {
        self.check_len(path.len())?;
        if self.staging && carry == [0.0; 3] {
            let r = self.push_row(path, outcome, None)?;
            self.staged_hashes.push(hash_path(path));
            return Ok(r as usize);
        }
        self.insert_hashed(path, hash_path(path), outcome, carry)
    }

    /// [`PathTable::insert_untimed_exact`] of a path whose [`hash_path`] is `h`; the length is
    /// checked.
    fn insert_hashed(
        &mut self,
        path: &[ChannelId],
        h: u32,
        outcome: Outcome,
        carry: [f64; 3],
    ) -> Result<usize> {
        if self.index_stale {
            self.rebuild_index();
        }
        self.index.reserve(1);
        let (touches, ends) = (&self.touches, &self.ends);
        let slot = match self.index.probe(h, |r| {
            let r = r as usize;
            let start = if r == 0 { 0 } else { ends[r - 1] as usize };
            &touches[start..ends[r] as usize] == path
        }) {
            Probe::Found(r) => {
                self.sum_into(r as usize, &outcome, carry)?;
                return Ok(r as usize);
            }
            Probe::Vacant(slot) => slot,
        };
        let r = self.push_row(path, outcome, None)?;
        if carry != [0.0; 3] {
            if self.carries.is_empty() {
                self.carries = vec![[0.0; 3]; self.outcomes.len()];
            }
            self.carries[r as usize] = carry;
        }
        self.index.fill(slot, h, r);
        Ok(r as usize)
    }

    /// Loads the dedup index's slot of a path of hash `h` (see [`TagIndex::touch`]).
    #[inline]
    fn touch_index(&self, h: u32) -> u64 {
        self.index.touch(h)
    }

    /// Adds `outcome` (with its own residue `carry`) to row `r`, keeping the sum exact in
    /// (rounded, residue) form: the result is the correctly rounded sum of every row merged so
    /// far, whatever order they came in (as long as each residue stays exact, which it does
    /// unless the addends span more than about 50 binary orders of magnitude).
    fn sum_into(&mut self, r: usize, outcome: &Outcome, carry: [f64; 3]) -> Result<()> {
        let old = self.outcomes.get(r);
        let prev = self.carries.get(r).copied().unwrap_or([0.0; 3]);
        let mut next = [0.0; 3];
        let mut sum = [0.0; 3];
        let olds = [old.conversions, old.value, old.nulls];
        let adds = [outcome.conversions, outcome.value, outcome.nulls];
        for k in 0..3 {
            (sum[k], next[k]) = sum_exactly(olds[k], prev[k], adds[k], carry[k]);
        }
        let sum = Outcome::new(sum[0], sum[1], sum[2]);
        check_sum(&sum)?;
        self.outcomes.set(r, sum);
        if next != [0.0; 3] || !self.carries.is_empty() {
            if self.carries.is_empty() {
                self.carries = vec![[0.0; 3]; self.outcomes.len()];
            }
            self.carries[r] = next;
        }
        Ok(())
    }

    /// The residue of row `r` (see `carries`).
    pub(crate) fn carry(&self, r: usize) -> [f64; 3] {
        self.carries.get(r).copied().unwrap_or([0.0; 3])
    }

    /// Appends a row (no dedup). `times` is `Some((per-touch, conversion))` for a timed row.
    fn push_row(
        &mut self,
        path: &[ChannelId],
        outcome: Outcome,
        times: Option<(&[i64], i64)>,
    ) -> Result<u32> {
        // Row numbers stay below u32::MAX: the index stores them plus one.
        let r = u32::try_from(self.outcomes.len())
            .ok()
            .filter(|&r| r < u32::MAX)
            .ok_or_else(|| Error::InvalidParameter {
                model: "PathTable",
                name: "rows",
                reason: "more than u32::MAX - 1 rows".into(),
            })?;
        let end = u32::try_from(self.touches.len() + path.len()).map_err(|_| {
            Error::InvalidParameter {
                model: "PathTable",
                name: "touches",
                reason: "more than u32::MAX touches in all rows".into(),
            }
        })?;
        match times {
            Some((ts, conv)) => {
                if self.times.is_empty() {
                    // `resize` keeps the capacity of a table whose rows were cleared.
                    self.times.resize(self.touches.len(), NO_TIME);
                    self.converted_at.clear();
                    self.converted_at.resize(self.outcomes.len(), NO_TIME);
                }
                self.times.extend_from_slice(ts);
                self.converted_at.push(conv);
            }
            None => {
                if !self.times.is_empty() {
                    self.times.extend(std::iter::repeat_n(NO_TIME, path.len()));
                    self.converted_at.push(NO_TIME);
                }
            }
        }
        self.touches.extend_from_slice(path);
        self.ends.push(end);
        self.outcomes.push(outcome);
        if !self.carries.is_empty() {
            self.carries.push([0.0; 3]);
        }
        Ok(r)
    }

    /// Adds one journey. A journey whose touches all carry timestamps becomes its own timed row
    /// (not merged with others) so that time decay can use real time; a journey without any
    /// timestamp is added like [`PathTable::add`].
    ///
    /// # Errors
    /// As [`PathTable::add`]; also [`ParseProblem::Timestamps`] (inside [`Error::InvalidPath`])
    /// when only some touches have timestamps, when timestamps go backwards, or when a touch is
    /// later than the conversion. Returns the row written, as [`PathTable::add`] (a timed
    /// journey always gets a new row).
    pub fn add_journey(&mut self, journey: &Journey) -> Result<usize> {
        let timed = journey.touches.iter().filter(|t| t.at.is_some()).count();
        if timed == 0 {
            if journey.converted_at.is_some() {
                return Err(timestamps(
                    "a conversion time is given but the touches have no timestamps",
                ));
            }
            return self.add(journey.touches.iter().map(|t| &t.channel), journey.outcome);
        }
        if timed != journey.touches.len() {
            return Err(timestamps(
                "some touches have timestamps and some do not (do not mix)",
            ));
        }
        let times: Vec<i64> = journey
            .touches
            .iter()
            .filter_map(|t| t.at.map(micros))
            .collect();
        let names = journey.touches.iter().map(|t| &t.channel);
        self.add_timed(
            names,
            &times,
            journey.converted_at.map(micros),
            journey.outcome,
        )
    }

    /// Adds one timestamped journey from channel names and per-touch times (µs since the epoch).
    ///
    /// # Errors
    /// As [`PathTable::add_journey`]. Returns the (new) row written.
    pub fn add_timed<I, S>(
        &mut self,
        path: I,
        times: &[i64],
        converted_at: Option<i64>,
        outcome: Outcome,
    ) -> Result<usize>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        outcome.validate()?;
        self.insert_named(path, |t, ids| {
            t.insert_timed(ids, times, converted_at, outcome)
        })
    }

    fn insert_timed(
        &mut self,
        path: &[ChannelId],
        times: &[i64],
        converted_at: Option<i64>,
        outcome: Outcome,
    ) -> Result<usize> {
        self.check_len(path.len())?;
        if times.len() != path.len() {
            return Err(timestamps("one timestamp per touch is required"));
        }
        if times.contains(&NO_TIME) {
            return Err(timestamps("timestamp out of range"));
        }
        if let Some(i) = times.windows(2).position(|w| w[1] < w[0]) {
            return Err(timestamps(&format!(
                "touch {} is earlier than touch {} (sort the journey by time)",
                i + 2,
                i + 1
            )));
        }
        let conv = converted_at.unwrap_or(NO_TIME);
        if let Some(c) = converted_at {
            if c == NO_TIME {
                return Err(timestamps("conversion time out of range"));
            }
            if times.last().is_some_and(|&last| last > c) {
                return Err(timestamps("a touch is later than the conversion"));
            }
        }
        self.push_row(path, outcome, Some((times, conv)))
            .map(|r| r as usize)
    }

    /// Adds a row of a table that shares this table's vocabulary (same ids), with a new outcome:
    /// untimed rows are deduplicated, timed rows appended. Used to build resampled tables.
    pub(crate) fn add_row_with(&mut self, row: Row<'_>, outcome: Outcome) -> Result<()> {
        outcome.validate()?;
        match row.times {
            None => self.insert_untimed(row.path, outcome),
            Some(ts) => self.insert_timed(row.path, ts, row.converted_at, outcome),
        }
        .map(|_| ())
    }

    /// Removes every row, keeping the vocabulary and the buffers' capacity.
    pub(crate) fn clear_rows(&mut self) {
        self.touches.clear();
        self.ends.clear();
        self.outcomes.clear();
        self.times.clear();
        self.converted_at.clear();
        self.index.clear();
        self.staged_hashes.clear();
    }

    /// An empty table with the same vocabulary (same ids) and path-length limit.
    pub(crate) fn empty_like(&self) -> PathTable {
        PathTable {
            channels: self.channels.clone(),
            max_path_len: self.max_path_len,
            ..PathTable::default()
        }
    }

    /// The same journeys with timestamps dropped: timed rows with equal paths are summed into one
    /// untimed row. A table without timed rows is returned as a clone.
    pub fn without_times(&self) -> PathTable {
        if !self.has_times() {
            return self.clone();
        }
        let mut out = PathTable::new();
        out.max_path_len = self.max_path_len;
        out.channels = self.channels.clone();
        for row in self.rows() {
            // Rows and ids of a valid table are valid for a table with the same vocabulary.
            let _ = out.insert_untimed(row.path, row.outcome);
        }
        out
    }

    /// Rows as `(channel names, outcome)` in table order: convenient in tests and for small
    /// tables (allocates one `Vec` per row).
    pub fn to_named_rows(&self) -> Vec<(Vec<&str>, Outcome)> {
        self.rows()
            .map(|r| {
                (
                    r.path.iter().map(|&id| self.channels.name(id)).collect(),
                    r.outcome,
                )
            })
            .collect()
    }

    /// Releases spare capacity of the buffers (for example after reading a file whose size was
    /// not known in advance).
    pub fn shrink_to_fit(&mut self) {
        self.touches.shrink_to_fit();
        self.ends.shrink_to_fit();
        self.outcomes.shrink_to_fit();
        self.times.shrink_to_fit();
        self.converted_at.shrink_to_fit();
        self.carries.shrink_to_fit();
        self.index.shrink_to_fit();
    }

    /// Approximate heap bytes held by the table (buffers and index, not the channel names).
    pub fn heap_bytes(&self) -> usize {
        self.touches.capacity() * size_of::<ChannelId>()
            + self.ends.capacity() * size_of::<u32>()
            + self.outcomes.heap_bytes()
            + (self.times.capacity() + self.converted_at.capacity()) * size_of::<i64>()
            + self.carries.capacity() * size_of::<[f64; 3]>()
            + self.index.heap_bytes()
    }
}

impl PartialEq for PathTable {
    /// Equality of content: the same multiset of rows over the same channel names (see
    /// [`PathTable::canonical`]); O(R log R).
    fn eq(&self, other: &Self) -> bool {
        let (a, b) = (self.canonical(), other.canonical());
        a.channels.len() == b.channels.len()
            && a.channels
                .iter()
                .zip(b.channels.iter())
                .all(|(x, y)| x.1 == y.1)
            && a.touches == b.touches
            && a.ends == b.ends
            && a.outcomes == b.outcomes
            && a.times == b.times
            && a.converted_at == b.converted_at
    }
}

/// A path of `len` touches is neither empty nor longer than `limit`.
pub(crate) fn check_path_len(len: usize, limit: usize) -> Result<()> {
    if len == 0 {
        return Err(Error::InvalidPath(ParseProblem::EmptyPath));
    }
    if len > limit {
        return Err(Error::InvalidPath(ParseProblem::PathTooLong { len, limit }));
    }
    Ok(())
}

/// The sum of `(a_hi + a_lo) + (b_hi + b_lo)` as `(rounded, residue)`: error-free additions
/// (Knuth's TwoSum), so `rounded` is the correctly rounded exact sum whenever the residues add
/// without rounding.
fn sum_exactly(a_hi: f64, a_lo: f64, b_hi: f64, b_lo: f64) -> (f64, f64) {
    let (s, e) = two_sum(a_hi, b_hi);
    if !s.is_finite() {
        return (s, 0.0); // an overflow: refused by the caller
    }
    let (hi, lo) = two_sum(s, e + a_lo + b_lo);
    if hi.is_finite() { (hi, lo) } else { (hi, 0.0) }
}

/// A sum of equal paths is still a valid outcome (finite: two huge counts can overflow).
fn check_sum(sum: &Outcome) -> Result<()> {
    check_finite(sum, "the sum of the rows with this path overflows")
}

/// Every count of `o` is finite, or [`Error::InvalidCount`] naming the first that is not.
fn check_finite(o: &Outcome, reason: &'static str) -> Result<()> {
    for (field, v) in [
        ("conversions", o.conversions),
        ("value", o.value),
        ("nulls", o.nulls),
    ] {
        if !v.is_finite() {
            return Err(Error::InvalidCount {
                field,
                value: v,
                reason,
            });
        }
    }
    Ok(())
}

fn timestamps(msg: &str) -> Error {
    Error::InvalidPath(ParseProblem::Timestamps(msg.to_string()))
}

/// Microseconds since the Unix epoch.
pub(crate) fn micros(t: DateTime<Utc>) -> i64 {
    t.timestamp_micros()
}

#[cfg(test)]
mod tests;
