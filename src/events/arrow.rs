//! Event logs from Arrow record batches and Parquet files (feature `parquet`): the same columns,
//! options, validation and reports as the CSV and JSON Lines readers.
//!
//! Column types: user and channel (or source/medium/campaign) are strings (any Arrow string
//! type or a dictionary of strings); the timestamp is a `Timestamp` of any unit and time zone, a
//! `Date32`/`Date64`, or integers, floats or strings read like the CSV reader's text (RFC 3339
//! or epoch numbers with [`EpochUnit`](crate::events::EpochUnit)); conversion and value are any
//! integer, float, decimal or boolean type. A null reads like an empty CSV field. Locations:
//! `line` is the 1-based row number across batches (schema problems are at line 0).

use std::borrow::Cow;
use std::ops::Range;

use arrow_array::RecordBatch;
#[cfg(feature = "parquet")]
use parquet::{arrow::arrow_reader::ParquetRecordBatchReaderBuilder, file::reader::ChunkReader};

use super::log::EventLog;
use super::read::{
    EventFormat, EventOptions, EventReadReport, Fields, PreparedChunk, RowParser, column_names,
    store_chunks,
};
use crate::error::{Error, Location, ParseProblem, Result};
use crate::formats::arrow::columns::{Numbers, Strings, Times, column, optional_column};
#[cfg(feature = "parquet")]
use crate::formats::arrow::parquet_io::{parquet_error, projected_batches};

/// Reads event rows from Arrow record batches into a new [`EventLog`].
///
/// # Errors
/// As the CSV reader: [`Error::Parse`] naming the row (line = 1-based row number) and the
/// problem, or counted skips with [`BadRows::Skip`](crate::formats::BadRows::Skip); a missing
/// column or a column of the wrong type is an error at line 0.
pub fn read_events_arrow<'b, I>(
    batches: I,
    opts: &EventOptions,
) -> Result<(EventLog, EventReadReport)>
where
    I: IntoIterator<Item = &'b RecordBatch>,
{
    super::read::validate_options(opts)?;
    let mut log = EventLog::new();
    let mut report = EventReadReport::new(EventFormat::Parquet, None);
    // Cloning a batch clones the pointers to its columns.
    let batches = batches.into_iter().map(|b| Ok(b.clone()));
    read_batches(batches, opts, &mut log, &mut report)?;
    Ok((log, report))
}

/// Reads an event log from a Parquet file (only the columns the options name are decoded).
#[cfg(feature = "parquet")]
#[cfg_attr(docsrs, doc(cfg(feature = "parquet")))]
///
/// # Errors
/// As [`read_events_arrow`]; [`Error::Io`] when the file is not Parquet or cannot be decoded.
pub fn read_events_parquet<R: ChunkReader + 'static>(
    input: R,
    opts: &EventOptions,
) -> Result<(EventLog, EventReadReport)> {
    let builder = ParquetRecordBatchReaderBuilder::try_new(input).map_err(parquet_error)?;
    let schema = builder.schema().clone();
    let wanted: Vec<&str> = column_names(opts).iter().filter_map(|c| c.0).collect();
    let batches = projected_batches(builder, |name| wanted.contains(&name))?;
    let mut log = EventLog::new();
    let mut report = EventReadReport::new(EventFormat::Parquet, None);
    // Check the schema even for a file without rows.
    BatchColumns::new(&RecordBatch::new_empty(schema), opts)?;
    let batches = batches.map(|b| b.map_err(|e| Error::Io(std::io::Error::other(e))));
    read_batches(batches, opts, &mut log, &mut report)?;
    Ok((log, report))
}

/// [`read_events_parquet`] on a file path.
#[cfg(feature = "parquet")]
#[cfg_attr(docsrs, doc(cfg(feature = "parquet")))]
///
/// # Errors
/// As [`read_events_parquet`].
pub fn read_events_parquet_file(
    path: &std::path::Path,
    opts: &EventOptions,
) -> Result<(EventLog, EventReadReport)> {
    read_events_parquet(std::fs::File::open(path)?, opts)
}

/// Rows per chunk of a batch prepared on one thread.
const CHUNK_ROWS: usize = 1 << 14;

/// The rows of `batches` into `log`, pipelined as the text readers are: while the chunks of
/// one batch are prepared on the pool's threads, the calling thread stores those of the batch
/// before it (in order) and decodes the next. A batch's schema problem, or the error of
/// decoding it, comes after every row before it was stored, as reading row by row.
fn read_batches(
    mut batches: impl Iterator<Item = Result<RecordBatch>>,
    opts: &EventOptions,
    log: &mut EventLog,
    report: &mut EventReadReport,
) -> Result<()> {
    // `at.record`: the rows stored (the lines are the rows' 1-based numbers).
    let mut at = Location { line: 1, record: 0 };
    // Rows of the batches before the current one.
    let mut rows = 0u64;
    let (mut pending, mut spare): (Vec<PreparedChunk>, Vec<PreparedChunk>) = (vec![], vec![]);
    let mut current = batches.next();
    while let Some(batch) = current {
        let batch = match batch {
            Ok(b) => b,
            Err(e) => {
                store_chunks(&pending, &mut at, opts, log, report)?;
                return Err(e);
            }
        };
        let cols = match BatchColumns::new(&batch, opts) {
            Ok(c) => c,
            Err(e) => {
                store_chunks(&pending, &mut at, opts, log, report)?;
                return Err(e);
            }
        };
        let n = batch.num_rows();
        let mut jobs: Vec<(Range<usize>, PreparedChunk)> = (0..n)
            .step_by(CHUNK_ROWS)
            .map(|start| {
                (
                    start..(start + CHUNK_ROWS).min(n),
                    spare.pop().unwrap_or_default(),
                )
            })
            .collect();
        let ((stored, next), ()) = crate::par::overlap(
            || {
                let stored = store_chunks(&pending, &mut at, opts, log, report);
                // Decode on only after the rows before stored cleanly.
                let next = if stored.is_ok() { batches.next() } else { None };
                (stored, next)
            },
            || {
                crate::par::for_each_chunk_mut(&mut jobs, 1, |job| {
                    for (range, out) in job {
                        cols.prepare(range.clone(), rows, opts, out);
                    }
                })
            },
        );
        stored?;
        rows += n as u64;
        spare.append(&mut pending);
        pending = jobs.into_iter().map(|(_, prepared)| prepared).collect();
        current = next;
    }
    store_chunks(&pending, &mut at, opts, log, report)
}

/// The columns of a batch by role (see [`column_names`]).
struct BatchColumns<'b> {
    user: Option<Strings<'b>>,
    time_name: &'b str,
    times: Times<'b>,
    channel: [Option<Strings<'b>>; 3],
    conversion: Option<Numbers<'b>>,
    value: Option<Numbers<'b>>,
    order: Option<Strings<'b>>,
    levels: [Option<Strings<'b>>; 3],
}

impl<'b> BatchColumns<'b> {
    /// The columns `opts` names; an error at line 0 for a missing or mistyped column.
    fn new(batch: &'b RecordBatch, opts: &'b EventOptions) -> Result<Self> {
        let names = column_names(opts);
        let strings = |i: usize| -> Result<Option<Strings<'b>>> {
            let (name, required) = names[i];
            let Some(name) = name else { return Ok(None) };
            let array = if required {
                Some(column(batch, name)?)
            } else {
                optional_column(batch, name)?
            };
            array.map(|a| Strings::new(name, a)).transpose()
        };
        let numbers = |i: usize| -> Result<Option<Numbers<'b>>> {
            let Some(name) = names[i].0 else {
                return Ok(None);
            };
            optional_column(batch, name)?
                .map(|a| Numbers::new(name, a))
                .transpose()
        };
        let time_name = names[1].0.unwrap_or("timestamp");
        Ok(BatchColumns {
            user: strings(0)?,
            time_name,
            times: Times::new(time_name, column(batch, time_name)?, opts.epoch_unit)?,
            channel: [strings(2)?, strings(3)?, strings(4)?],
            conversion: numbers(5)?,
            value: numbers(6)?,
            order: strings(7)?,
            levels: [strings(8)?, strings(9)?, strings(10)?],
        })
    }

    /// Prepares rows `range` of the batch (the file's rows `before + range`) into `out`: the
    /// texts the CSV reader would read, checked as it checks them.
    fn prepare(
        &self,
        range: Range<usize>,
        before: u64,
        opts: &EventOptions,
        out: &mut PreparedChunk,
    ) {
        let mut parser = RowParser::new(opts);
        out.reuse(range.len(), 0);
        let text = |s: &Option<Strings<'b>>, i: usize| -> Cow<'b, str> {
            s.as_ref()
                .and_then(|s| s.get(i))
                .map_or(Cow::Borrowed(""), Cow::Borrowed)
        };
        let number = |n: &Option<Numbers<'_>>, i: usize| -> Cow<'static, str> {
            n.as_ref()
                .and_then(|n| n.get(i))
                .map_or(Cow::Borrowed(""), |x| Cow::Owned(x.to_string()))
        };
        for i in range {
            let line = before + i as u64 + 1;
            let fields = self.times.get(i).map(|t| Fields {
                user: text(&self.user, i),
                time: Cow::Borrowed(""),
                time_micros: t,
                channel: [
                    text(&self.channel[0], i),
                    text(&self.channel[1], i),
                    text(&self.channel[2], i),
                ],
                conversion: number(&self.conversion, i),
                value: number(&self.value, i),
                order: text(&self.order, i),
                levels: [
                    text(&self.levels[0], i),
                    text(&self.levels[1], i),
                    text(&self.levels[2], i),
                ],
            });
            let row = fields.and_then(|f| {
                if f.time_micros.is_none() {
                    // A null timestamp reads like an empty CSV field.
                    return Err(ParseProblem::BadTimestamp {
                        field: self.time_name.to_string(),
                        text: String::new(),
                    });
                }
                parser.prepare(&f, &mut out.text)
            });
            out.rows.push((line, Some(row.map_err(Box::new))));
        }
    }
}
