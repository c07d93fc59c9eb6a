//! The one place that walks the rows of a table: a chunked fold, parallel with the `parallel`
//! feature, whose result does not depend on the number of threads.
//!
//! Rows are cut into chunks whose size depends only on the table (never on the thread count);
//! each chunk is folded from a fresh accumulator, and the chunk results are merged in chunk
//! order. So floating-point sums are associated the same way on 1 thread or 64, with or without
//! the `parallel` feature, and results are identical to the last bit.

use crate::error::Result;
use crate::table::{PathTable, Row};

/// Rows per chunk: large enough to amortise a per-chunk accumulator of one entry per channel.
fn chunk_rows(table: &PathTable) -> usize {
    (4 * table.channels().len()).clamp(8192, 1 << 20)
}

/// Folds every row of `table` into an accumulator.
///
/// `init` makes an empty accumulator, `fold` adds one row (with its row index), `merge` adds a
/// chunk's accumulator into the running one (called in chunk order).
///
/// # Errors
/// The first error `fold` returns, in row order.
pub(crate) fn fold_rows<A, I, F, M>(table: &PathTable, init: I, fold: F, merge: M) -> Result<A>
where
    A: Send,
    I: Fn() -> A + Sync,
    F: Fn(&mut A, usize, Row<'_>) -> Result<()> + Sync,
    M: Fn(&mut A, A),
{
    let chunk = chunk_rows(table);
    fold_chunks(
        table.len(),
        chunk,
        init,
        |a, r| fold(a, r, table.row(r)),
        merge,
    )
}

/// Folds the indices `0..count` in chunks of `chunk` (in parallel with the `parallel` feature),
/// merging chunk results in chunk order: the result does not depend on the number of threads.
///
/// # Errors
/// The first error `fold` returns, in index order.
pub(crate) fn fold_chunks<A, I, F, M>(
    count: usize,
    chunk: usize,
    init: I,
    fold: F,
    merge: M,
) -> Result<A>
where
    A: Send,
    I: Fn() -> A + Sync,
    F: Fn(&mut A, usize) -> Result<()> + Sync,
    M: Fn(&mut A, A),
{
    let chunk = chunk.max(1);
    let chunks = count.div_ceil(chunk);
    let run = |c: usize| -> Result<A> {
        let mut acc = init();
        for i in c * chunk..count.min((c + 1) * chunk) {
            fold(&mut acc, i)?;
        }
        Ok(acc)
    };
    let parts: Vec<Result<A>> = crate::par::map_tasks(chunks, run);
    let mut acc = init();
    for p in parts {
        merge(&mut acc, p?);
    }
    Ok(acc)
}

/// One value per touch of every row of a table, aligned with the table: `row(r)[t]` belongs to
/// touch `t` of row `r` (the storage of rule-based path credit and of fitted per-touch credit).
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct PerTouch<T> {
    values: Vec<T>,
    ends: Vec<usize>,
}

impl<T> PerTouch<T> {
    /// `values` holds the touches of `table`'s rows in row order.
    pub fn aligned(values: Vec<T>, table: &PathTable) -> Self {
        debug_assert_eq!(values.len(), table.touch_count());
        let ends = (0..table.len()).map(|r| table.span(r).end).collect();
        PerTouch { values, ends }
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// The values of row `r`'s touches.
    ///
    /// # Panics
    /// If `r >= self.len()`.
    pub fn row(&self, r: usize) -> &[T] {
        let start = if r == 0 { 0 } else { self.ends[r - 1] };
        &self.values[start..self.ends[r]]
    }
}

/// Per-channel sums of conversions and value: the accumulator of every additive model.
#[derive(Clone, Debug)]
pub(crate) struct ChannelSums {
    pub conversions: Vec<f64>,
    pub value: Vec<f64>,
}

impl ChannelSums {
    pub fn new(channels: usize) -> Self {
        ChannelSums {
            conversions: vec![0.0; channels],
            value: vec![0.0; channels],
        }
    }

    pub fn merge(&mut self, other: ChannelSums) {
        for (a, b) in self.conversions.iter_mut().zip(other.conversions) {
            *a += b;
        }
        for (a, b) in self.value.iter_mut().zip(other.value) {
            *a += b;
        }
    }
}
