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

use arrow_array::RecordBatch;
#[cfg(feature = "parquet")]
use parquet::{arrow::arrow_reader::ParquetRecordBatchReaderBuilder, file::reader::ChunkReader};

use super::log::EventLog;
use super::read::{EventFormat, EventOptions, EventReadReport, Fields, RowParser, column_names};
use crate::error::{Error, Result};
use crate::formats::arrow::columns::{
    Numbers, Strings, Times, column, optional_column, row_location,
};
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
    let mut rows = RowParser::new(opts);
    let mut row = 0u64;
    for batch in batches {
        push_batch(batch, opts, &mut rows, &mut log, &mut report, &mut row)?;
    }
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
    let mut rows = RowParser::new(opts);
    let mut row = 0u64;
    // Check the schema even for a file without rows.
    push_batch(
        &RecordBatch::new_empty(schema),
        opts,
        &mut rows,
        &mut log,
        &mut report,
        &mut row,
    )?;
    for batch in batches {
        let batch = batch.map_err(|e| Error::Io(std::io::Error::other(e)))?;
        push_batch(&batch, opts, &mut rows, &mut log, &mut report, &mut row)?;
    }
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

fn push_batch(
    batch: &RecordBatch,
    opts: &EventOptions,
    rows: &mut RowParser<'_>,
    log: &mut EventLog,
    report: &mut EventReadReport,
    row: &mut u64,
) -> Result<()> {
    let names = column_names(opts);
    let strings = |i: usize| -> Result<Option<Strings<'_>>> {
        let (name, required) = names[i];
        let Some(name) = name else { return Ok(None) };
        let array = if required {
            Some(column(batch, name)?)
        } else {
            optional_column(batch, name)?
        };
        array.map(|a| Strings::new(name, a)).transpose()
    };
    let numbers = |i: usize| -> Result<Option<Numbers<'_>>> {
        let Some(name) = names[i].0 else {
            return Ok(None);
        };
        optional_column(batch, name)?
            .map(|a| Numbers::new(name, a))
            .transpose()
    };
    let user = strings(0)?;
    let time_name = names[1].0.unwrap_or("timestamp");
    let times = Times::new(time_name, column(batch, time_name)?, opts.epoch_unit)?;
    let channel = [strings(2)?, strings(3)?, strings(4)?];
    let conversion = numbers(5)?;
    let value = numbers(6)?;
    let order = strings(7)?;
    let levels = [strings(8)?, strings(9)?, strings(10)?];
    let text = |s: &Option<Strings<'_>>, i: usize| -> Cow<'static, str> {
        s.as_ref()
            .and_then(|s| s.get(i))
            .map_or(Cow::Borrowed(""), |t| Cow::Owned(t.to_string()))
    };
    let number = |n: &Option<Numbers<'_>>, i: usize| -> Cow<'static, str> {
        n.as_ref()
            .and_then(|n| n.get(i))
            .map_or(Cow::Borrowed(""), |x| Cow::Owned(x.to_string()))
    };
    for i in 0..batch.num_rows() {
        *row += 1;
        let at = row_location(*row);
        let fields = times.get(i).map(|t| Fields {
            user: text(&user, i),
            time: Cow::Borrowed(""),
            time_micros: t,
            channel: [
                text(&channel[0], i),
                text(&channel[1], i),
                text(&channel[2], i),
            ],
            conversion: number(&conversion, i),
            value: number(&value, i),
            order: text(&order, i),
            levels: [
                text(&levels[0], i),
                text(&levels[1], i),
                text(&levels[2], i),
            ],
        });
        let stored = fields.and_then(|f| {
            if f.time_micros.is_none() {
                // A null timestamp reads like an empty CSV field.
                return Err(crate::error::ParseProblem::BadTimestamp {
                    field: time_name.to_string(),
                    text: String::new(),
                });
            }
            rows.store(&f, log)
        });
        match stored {
            Ok((touch, conv)) => report.count(touch, conv),
            Err(problem) => report.skip_or_fail(Error::Parse { at, problem }, opts.bad_rows)?,
        }
    }
    Ok(())
}
