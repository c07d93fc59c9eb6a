//! Rows checked and decoded on the pool's threads, and the pipeline that stores them in order
//! on the calling thread (shared by the CSV, JSON Lines and Arrow event readers).

use std::io::BufRead;

use super::{EventOptions, EventReadReport};
use crate::error::{Error, Location, ParseProblem, Result};
use crate::events::log::{EventLog, Parsed};
use crate::formats::blocks;

/// A checked row, ready to be stored: its texts are ranges of the `text` it was prepared with.
/// 56 bytes (ranges as `u32` pairs, the conversion without an `Option`): the event readers
/// write one per row on the pool's threads and read it back on the calling thread.
#[derive(Clone, Debug)]
pub(crate) struct Prepared {
    pub(super) user: Span,
    /// `Interner::tag` of the user, computed with the rest of the row (in parallel).
    pub(super) user_tag: u32,
    pub(super) time: i64,
    /// [`Span::NONE`] for none (a touch key and an order id are never empty).
    pub(super) channel: Span,
    pub(super) order_id: Span,
    /// `(count, value)` when `converts`.
    pub(super) conversion: (f64, f64),
    pub(super) converts: bool,
}

/// `text[start..end]` of a prepared chunk's text (which holds at most `u32::MAX` bytes).
#[derive(Clone, Copy, Debug)]
pub(super) struct Span {
    pub(super) start: u32,
    pub(super) end: u32,
}

impl Span {
    /// No text: an empty span at `u32::MAX`, which no kept text has (they are not empty).
    pub(super) const NONE: Span = Span {
        start: u32::MAX,
        end: u32::MAX,
    };

    /// The text of the span, `None` for [`Span::NONE`].
    fn of(self, text: &str) -> Option<&str> {
        (self.start != u32::MAX).then(|| &text[self.start as usize..self.end as usize])
    }
}

impl Prepared {
    /// Stores the row in `log` (`text`: the buffer it was prepared with); returns
    /// `(is_touch, is_conversion)`. Only the log can refuse it now (a reserved channel name, too
    /// many events), and then nothing is stored.
    pub(crate) fn store(
        &self,
        text: &str,
        log: &mut EventLog,
    ) -> Result<(bool, bool), ParseProblem> {
        let row = Parsed {
            user: self.user.of(text).unwrap_or_default(),
            user_tag: Some(self.user_tag),
            time: self.time,
            channel: self.channel.of(text),
            conversion: self.converts.then_some(self.conversion),
            order_id: self.order_id.of(text),
        };
        log.add(&row)?;
        Ok((self.channel.start != u32::MAX, self.converts))
    }
}

/// A prepared row, or why it is bad (boxed: rows stay 64 bytes with their line).
pub(crate) type PreparedRow = Result<Prepared, Box<ParseProblem>>;

/// The rows of one chunk of a block, checked and decoded in parallel, in input order: `(line,
/// None)` for a blank line that counts as a record (CSV), `(line, Some(row))` for a row.
#[derive(Default)]
pub(crate) struct PreparedChunk {
    pub(crate) rows: Vec<(u64, Option<PreparedRow>)>,
    /// The texts the rows' ranges point into.
    pub(crate) text: String,
}

impl PreparedChunk {
    /// Empties the chunk for `rows` rows of about `text` bytes of text, keeping its buffers:
    /// the pipeline hands each block's chunks the buffers of an earlier block, so that the
    /// calling thread neither allocates nor frees them (unmapping freed pages stalls every
    /// thread of the process).
    pub(crate) fn reuse(&mut self, rows: usize, text: usize) {
        self.rows.clear();
        self.rows.reserve(rows);
        self.text.clear();
        self.text.reserve(text);
    }
}

/// The block pipeline of the line-oriented readers: while the chunks of one block are prepared
/// on the pool's threads, the calling thread stores those of the block before it (in input
/// order: the same log as storing row by row) and reads the next block. `plain` tells whether a
/// chunk can be cut at its lines (checked on the pool's threads with the chunk's preparation);
/// at the first block with a chunk that cannot, every row before the block has been stored, and
/// the block and what was read after it are returned, to be read before the rest of the input
/// (`None` at the end of the input). `at.line` is the first line not stored, `at.record` the
/// records stored.
pub(crate) fn pipeline<R: BufRead>(
    input: &mut R,
    at: &mut Location,
    (opts, log, report): (&EventOptions, &mut EventLog, &mut EventReadReport),
    plain: impl Fn(&[u8]) -> bool + Sync,
    prepare: impl Fn(&blocks::Chunk<'_>, &mut PreparedChunk) + Sync,
) -> Result<Option<blocks::Unread>> {
    let (mut block, mut next) = (Vec::new(), Vec::new());
    let mut more = blocks::next_block(input, &mut block)?;
    // Chunks prepared and not stored yet, and the buffers of chunks stored.
    let (mut pending, mut spare) = (Vec::new(), Vec::new());
    while more {
        let chunks = blocks::split_lines(&block, *at);
        let end = chunks.last().map_or(at.line, |c| c.end.line);
        let mut jobs: Vec<(blocks::Chunk<'_>, PreparedChunk, bool)> = chunks
            .into_iter()
            .map(|c| (c, spare.pop().unwrap_or_default(), false))
            .collect();
        let ((stored, read), ()) = crate::par::overlap(
            || {
                let stored = store_chunks(&pending, at, opts, log, report);
                // Read on only after the rows before stored cleanly: their error comes first.
                let read = match stored {
                    Ok(()) => blocks::next_block(input, &mut next),
                    Err(_) => Ok(false),
                };
                (stored, read)
            },
            || {
                crate::par::for_each_chunk_mut(&mut jobs, 1, |job| {
                    for (chunk, out, ok) in job {
                        *ok = plain(chunk.bytes());
                        if *ok {
                            prepare(chunk, out);
                        }
                    }
                })
            },
        );
        stored?;
        if !jobs.iter().all(|job| job.2) {
            // What was read after the block follows it, with the read's error, if any, where
            // the input would have raised it.
            return Ok(Some(blocks::Unread::after(block, &next, read)));
        }
        at.line = end;
        more = read?;
        spare.append(&mut pending);
        pending = jobs.into_iter().map(|(_, prepared, _)| prepared).collect();
        std::mem::swap(&mut block, &mut next);
    }
    store_chunks(&pending, at, opts, log, report)?;
    Ok(None)
}

/// Stores prepared chunks in order (`at`: the location of the next record, advanced), counting
/// rows and skips as reading row by row does; stops at the first bad row unless skipping.
pub(crate) fn store_chunks(
    parts: &[PreparedChunk],
    at: &mut Location,
    opts: &EventOptions,
    log: &mut EventLog,
    report: &mut EventReadReport,
) -> Result<()> {
    // The users of the rows LOOKAHEAD ahead are loaded a batch at a time, so that the cache
    // misses of interning them overlap instead of stalling each row in turn.
    const LOOKAHEAD: usize = 16;
    let mut touched = 0u64;
    for part in parts {
        for (i, (line, row)) in part.rows.iter().enumerate() {
            if i % LOOKAHEAD == 0 {
                for (_, ahead) in part.rows.iter().skip(i + LOOKAHEAD).take(LOOKAHEAD) {
                    if let Some(Ok(p)) = ahead {
                        touched ^= log.touch_user(p.user_tag);
                    }
                }
            }
            let here = Location {
                line: *line,
                record: at.record,
            };
            at.record += 1;
            let Some(row) = row else { continue }; // a blank line
            let stored = match row {
                Ok(p) => p.store(&part.text, log),
                Err(problem) => Err(ParseProblem::clone(problem)),
            };
            match stored {
                Ok((touch, conv)) => report.count(touch, conv),
                Err(problem) => {
                    report.skip_or_fail(Error::Parse { at: here, problem }, opts.bad_rows)?
                }
            }
        }
    }
    std::hint::black_box(touched);
    Ok(())
}
