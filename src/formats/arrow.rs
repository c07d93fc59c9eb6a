//! Arrow record batches (feature `arrow`) and Parquet files (feature `parquet`): path tables in,
//! path tables and attribution results out.
//!
//! The public documentation (column types, row numbers, memory) is on [`read_paths_arrow`].

use std::borrow::Borrow;
use std::sync::Arc;

use arrow_array::builder::{Float64Builder, ListBuilder, StringBuilder};
use arrow_array::{ArrayRef, Float64Array, RecordBatch, StringArray};
use arrow_schema::{ArrowError, DataType, Field, Schema};

use super::paths_csv::{Splitter, validate_outcome};
use super::{BadRows, PathCsvOptions, ReadReport, blocks};
use crate::attribution::Attribution;
use crate::error::{Error, Location, ParseProblem, Result};
use crate::outcome::Outcome;
use crate::table::PathTable;

pub(crate) mod columns;
#[cfg(feature = "parquet")]
pub(crate) mod parquet_io;

use columns::{Numbers, Paths, row_location};
#[cfg(feature = "parquet")]
pub use parquet_io::{
    PARQUET_BATCH_ROWS, read_paths_parquet, write_attributions_parquet, write_paths_parquet,
};

/// Rows of one batch parsed together (in parallel with the `parallel` feature). Chunks depend
/// only on the batch, so the table is identical on any number of threads.
const CHUNK_ROWS: usize = 16_384;

/// Reads path tables from Arrow record batches pushed one at a time (for example from a
/// DataFusion stream, an IPC reader or Parquet), with the options of the CSV reader. Column
/// types and row numbering are those of [`read_paths_arrow`].
///
/// ```
/// use std::sync::Arc;
/// use arrow_array::{ArrayRef, Float64Array, Int64Array, RecordBatch, StringArray};
/// use touchpoint::formats::{PathBatchReader, PathCsvOptions};
///
/// let batch = RecordBatch::try_from_iter([
///     ("path", Arc::new(StringArray::from(vec!["Search > Email", "Search"])) as ArrayRef),
///     ("total_conversions", Arc::new(Int64Array::from(vec![2, 1])) as ArrayRef),
///     ("total_conversion_value", Arc::new(Float64Array::from(vec![20.5, 5.0])) as ArrayRef),
/// ])
/// .unwrap();
/// let opts = PathCsvOptions::default();
/// let mut reader = PathBatchReader::new(&opts);
/// reader.push(&batch)?;
/// reader.push(&batch)?; // equal paths are summed
/// let (table, report) = reader.finish();
/// assert_eq!((table.len(), report.rows), (2, 4));
/// assert_eq!(table.totals().conversions, 6.0);
/// assert!(report.has_value && !report.has_nulls);
/// # Ok::<(), touchpoint::Error>(())
/// ```
#[derive(Debug)]
pub struct PathBatchReader {
    opts: PathCsvOptions,
    table: PathTable,
    report: ReadReport,
    /// Rows seen so far (read or skipped), across batches.
    rows_seen: u64,
}

impl PathBatchReader {
    /// A reader building a new table (the options are copied).
    pub fn new(opts: &PathCsvOptions) -> Self {
        let mut table = PathTable::new();
        table.set_max_path_len(opts.max_path_len);
        Self::with_table(opts, table)
    }

    /// A reader adding to an existing table (for example one shard after another).
    pub fn with_table(opts: &PathCsvOptions, table: PathTable) -> Self {
        PathBatchReader {
            opts: opts.clone(),
            table,
            report: ReadReport::default(),
            rows_seen: 0,
        }
    }

    /// Adds the rows of `batch`.
    ///
    /// # Errors
    /// [`Error::Parse`] at line 0 for a missing required column or a column of the wrong type;
    /// [`Error::Parse`] naming the row for a bad row (with [`BadRows::Error`]). Rows of this
    /// batch before the bad one stay in the table.
    pub fn push(&mut self, batch: &RecordBatch) -> Result<()> {
        let opts = self.opts.clone();
        let cols = BatchColumns::new(batch, &opts)?;
        let parts = self.parse(&cols, batch.num_rows());
        self.absorb(parts)
    }

    /// Adds the rows of every batch of a fallible stream (an Arrow `RecordBatchReader`, a
    /// Parquet reader). Stream errors become [`Error::Io`].
    ///
    /// Pipelined: while one batch is parsed on the pool's threads, the calling thread merges
    /// the rows of the batch before it and takes the next from the stream; the table, the
    /// report and the first error are those of pushing the batches one by one.
    ///
    /// # Errors
    /// As [`PathBatchReader::push`], and [`Error::Io`] when the stream fails.
    pub fn push_all<I, E>(&mut self, batches: I) -> Result<()>
    where
        I: IntoIterator<Item = std::result::Result<RecordBatch, E>>,
        E: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        let opts = self.opts.clone();
        let mut batches = batches
            .into_iter()
            .map(|b| b.map_err(|e| Error::Io(std::io::Error::other(e))));
        let mut pending = Vec::new();
        let mut current = batches.next();
        while let Some(batch) = current {
            // A stream or schema error comes after the rows before it are merged.
            let batch = match batch {
                Ok(b) => b,
                Err(e) => {
                    self.absorb(pending)?;
                    return Err(e);
                }
            };
            let cols = match BatchColumns::new(&batch, &opts) {
                Ok(c) => c,
                Err(e) => {
                    self.absorb(pending)?;
                    return Err(e);
                }
            };
            let previous = std::mem::take(&mut pending);
            let (first, rows_seen, limit) = self.plan(batch.num_rows());
            let ((merged, next), parts) = crate::par::overlap(
                || {
                    let merged = self.absorb(previous);
                    let next = if merged.is_ok() { batches.next() } else { None };
                    (merged, next)
                },
                || parse_batch(&cols, batch.num_rows(), first, &opts, limit),
            );
            merged?;
            self.rows_seen = rows_seen;
            pending = parts;
            current = next;
        }
        self.absorb(pending)
    }

    /// The first row number of the next batch of `n` rows, the rows seen after it and the path
    /// length limit of its chunks.
    fn plan(&self, n: usize) -> (u64, u64, usize) {
        let limit = self.opts.max_path_len.min(self.table.max_path_len());
        (self.rows_seen + 1, self.rows_seen + n as u64, limit)
    }

    /// Parses the `n` rows of a batch in chunks (in parallel).
    fn parse(&mut self, cols: &BatchColumns<'_>, n: usize) -> Vec<ChunkRows> {
        let (first, rows_seen, limit) = self.plan(n);
        self.rows_seen = rows_seen;
        parse_batch(cols, n, first, &self.opts, limit)
    }

    /// Merges parsed chunks in order; stops at the first error.
    fn absorb(&mut self, parts: Vec<ChunkRows>) -> Result<()> {
        for part in parts {
            self.report.has_value |= part.has_value;
            self.report.has_nulls |= part.has_nulls;
            self.table.merge(&part.table)?;
            self.report.rows += part.rows;
            for (at, problem) in part.skipped {
                self.report.skip(at, problem);
            }
            if let Some(err) = part.error {
                return Err(err);
            }
        }
        Ok(())
    }

    /// The table built so far.
    pub fn table(&self) -> &PathTable {
        &self.table
    }

    /// The table and the report (rows read, skips, optional columns seen; `delimiter` is 0).
    pub fn finish(self) -> (PathTable, ReadReport) {
        (self.table, self.report)
    }
}

/// Reads a path table from record batches (a slice, a `Vec`, any iterator of batches or of
/// references to batches), with the options of the CSV reader.
///
/// Readers take the same [`PathCsvOptions`] as the CSV reader: column names, the separator of
/// string paths, the path length limit and what to do with bad rows ([`BadRows`]); the CSV
/// delimiter is ignored. Every row goes through [`PathTable::add`], so Arrow input is validated
/// exactly like CSV input.
///
/// # Columns
/// * **path**: a string column (`"A > B > C"`, split like the CSV reader splits it) or a
///   `List`/`LargeList` of strings (`["A", "B", "C"]`, elements trimmed). Strings may be `Utf8`,
///   `LargeUtf8`, `Utf8View` or dictionary-encoded.
/// * **conversions, value, nulls**: any integer or float type, `Decimal32/64/128`, or
///   `Boolean` (1 or 0). Integers beyond 2^53 are rounded to the nearest `f64`. Missing
///   optional columns (value, nulls) read as 0, as in CSV.
/// * Other columns are ignored (the Parquet reader does not even decode them).
///
/// # Row numbers
/// Arrow data has no lines: in errors and skip reports, [`Location::line`] is the **1-based row
/// number counted across all batches** (for Parquet, across all row groups of the file) and
/// [`Location::record`] the 0-based row index. Problems with the schema (a missing column, a
/// column of the wrong type) are reported at line 0. A null in a required field is
/// [`ParseProblem::Null`]; a column of the wrong type is [`ParseProblem::ColumnType`].
///
/// # Memory
/// Batches are processed one at a time: besides the batches the caller holds, memory is the
/// table being built. [`PathBatchReader`] and the Parquet reader (batches of
/// `PARQUET_BATCH_ROWS` = 65,536 rows) hold one batch at a time.
///
/// # Example
/// ```
/// use std::sync::Arc;
/// use arrow_array::builder::{ListBuilder, StringBuilder};
/// use arrow_array::{ArrayRef, RecordBatch, UInt32Array};
/// use touchpoint::formats::{read_paths_arrow, PathCsvOptions};
///
/// // Paths as lists of channel names.
/// let mut paths = ListBuilder::new(StringBuilder::new());
/// paths.append_value([Some("Search"), Some("Email")]);
/// paths.append_value([Some("Display")]);
/// let batch = RecordBatch::try_from_iter([
///     ("path", Arc::new(paths.finish()) as ArrayRef),
///     ("total_conversions", Arc::new(UInt32Array::from(vec![3, 0])) as ArrayRef),
///     ("total_null", Arc::new(UInt32Array::from(vec![1, 4])) as ArrayRef),
/// ])
/// .unwrap();
/// let (table, report) = read_paths_arrow([&batch], &PathCsvOptions::default())?;
/// assert_eq!(table.totals().nulls, 5.0);
/// assert_eq!(report.rows, 2);
/// # Ok::<(), touchpoint::Error>(())
/// ```
///
/// # Errors
/// As [`PathBatchReader::push`].
pub fn read_paths_arrow<I>(batches: I, opts: &PathCsvOptions) -> Result<(PathTable, ReadReport)>
where
    I: IntoIterator,
    I::Item: Borrow<RecordBatch>,
{
    let mut reader = PathBatchReader::new(opts);
    for batch in batches {
        reader.push(batch.borrow())?;
    }
    Ok(reader.finish())
}

/// The typed columns of one batch.
struct BatchColumns<'a> {
    path_name: &'a str,
    paths: Paths<'a>,
    conversions: (&'a str, Numbers<'a>),
    value: Option<(&'a str, Numbers<'a>)>,
    nulls: Option<(&'a str, Numbers<'a>)>,
}

impl<'a> BatchColumns<'a> {
    /// The columns `opts` names; an error at line 0 for a missing or mistyped column.
    fn new(batch: &'a RecordBatch, opts: &'a PathCsvOptions) -> Result<Self> {
        let path_array = columns::column(batch, &opts.path_column)?;
        let conv_array = columns::column(batch, &opts.conversions_column)?;
        let value_array = optional(batch, opts.value_column.as_deref())?;
        let null_array = optional(batch, opts.null_column.as_deref())?;
        Ok(BatchColumns {
            path_name: &opts.path_column,
            paths: Paths::new(&opts.path_column, path_array)?,
            conversions: named(&opts.conversions_column, conv_array)?,
            value: value_array.map(|(n, a)| named(n, a)).transpose()?,
            nulls: null_array.map(|(n, a)| named(n, a)).transpose()?,
        })
    }
}

/// The `n` rows of a batch (the file's rows from `first_row`, 1-based) parsed in chunks of
/// [`CHUNK_ROWS`], in parallel.
fn parse_batch(
    cols: &BatchColumns<'_>,
    n: usize,
    first_row: u64,
    opts: &PathCsvOptions,
    limit: usize,
) -> Vec<ChunkRows> {
    let starts: Vec<usize> = (0..n).step_by(CHUNK_ROWS).collect();
    let mut parts = blocks::map_ordered(&starts, |&start| {
        let rows = start..(start + CHUNK_ROWS).min(n);
        parse_rows(cols, rows, first_row, opts, limit)
    });
    // The batch's optional columns count as seen even when it has no rows.
    match parts.first_mut() {
        Some(p) => {
            p.has_value = cols.value.is_some();
            p.has_nulls = cols.nulls.is_some();
        }
        None => parts.push(ChunkRows {
            table: PathTable::new(),
            rows: 0,
            skipped: Vec::new(),
            error: None,
            has_value: cols.value.is_some(),
            has_nulls: cols.nulls.is_some(),
        }),
    }
    parts
}

fn optional<'a, 'n>(
    batch: &'a RecordBatch,
    name: Option<&'n str>,
) -> Result<Option<(&'n str, &'a dyn arrow_array::Array)>> {
    match name {
        Some(n) => Ok(columns::optional_column(batch, n)?.map(|a| (n, a))),
        None => Ok(None),
    }
}

fn named<'a>(name: &'a str, array: &'a dyn arrow_array::Array) -> Result<(&'a str, Numbers<'a>)> {
    Ok((name, Numbers::new(name, array)?))
}

/// One chunk of rows parsed into a shard table.
struct ChunkRows {
    table: PathTable,
    rows: u64,
    skipped: Vec<(Location, ParseProblem)>,
    error: Option<Error>,
    /// The batch has the optional columns (set on its first chunk).
    has_value: bool,
    has_nulls: bool,
}

fn parse_rows(
    cols: &BatchColumns<'_>,
    rows: std::ops::Range<usize>,
    first_row: u64,
    opts: &PathCsvOptions,
    max_path_len: usize,
) -> ChunkRows {
    let mut out = ChunkRows {
        table: PathTable::new(),
        rows: 0,
        skipped: Vec::new(),
        error: None,
        has_value: false,
        has_nulls: false,
    };
    out.table.set_max_path_len(max_path_len);
    let mut splitter = Splitter::new(&opts.separator);
    for i in rows {
        let r = row_outcome(cols, i).and_then(|outcome| {
            cols.paths
                .add_row(i, cols.path_name, &mut splitter, &mut out.table, outcome)
        });
        match r {
            Ok(()) => out.rows += 1,
            Err(e) => match (opts.bad_rows, e.at(row_location(first_row + i as u64))) {
                (BadRows::Skip, Error::Parse { at, problem }) => out.skipped.push((at, problem)),
                (_, e) => {
                    out.error = Some(e);
                    break;
                }
            },
        }
    }
    out
}

/// The outcome of row `i`; nulls are errors without location.
fn row_outcome(cols: &BatchColumns<'_>, i: usize) -> Result<Outcome> {
    let get = |(name, col): &(&str, Numbers<'_>)| {
        col.get(i).ok_or_else(|| {
            Error::InvalidPath(ParseProblem::Null {
                field: name.to_string(),
            })
        })
    };
    let conversions = get(&cols.conversions)?;
    let value = cols.value.as_ref().map_or(Ok(0.0), get)?;
    let nulls = cols.nulls.as_ref().map_or(Ok(0.0), get)?;
    let outcome = Outcome::new(conversions, value, nulls);
    // Name the input's column, not the outcome's field (as the CSV reader does).
    validate_outcome(
        &outcome,
        [
            cols.conversions.0,
            cols.value.as_ref().map_or("value", |c| c.0),
            cols.nulls.as_ref().map_or("nulls", |c| c.0),
        ],
    )?;
    Ok(outcome)
}

fn arrow_error(e: ArrowError) -> Error {
    Error::Io(std::io::Error::other(e))
}

/// Column names of the long result table, in order; the interval columns come after them when
/// present (see [`attributions_to_arrow`]).
pub const RESULT_COLUMNS: [&str; 6] = crate::attribution::LONG_COLUMNS;

/// The long result table as one record batch: one row per model and channel, columns
/// [`RESULT_COLUMNS`] (`model`, `channel`: Utf8; the rest Float64), the same as the long CSV of
/// [`report`](crate::report).
///
/// When any channel carries bootstrap intervals or standard errors
/// ([`ChannelCredit::ci`](crate::ChannelCredit), `se`), the columns `conversions_lo,
/// conversions_hi, value_lo, value_hi, share_lo, share_hi, conversions_se, value_se, share_se`
/// follow, as in the CSV. They are nullable: null for rows without them.
///
/// ```
/// use touchpoint::formats::attributions_to_arrow;
/// use touchpoint::{AttributionModel, LastTouch, Linear, Outcome, PathTable};
/// let mut t = PathTable::new();
/// t.add(["Search", "Email"], Outcome::new(2.0, 20.0, 1.0))?;
/// let batch = attributions_to_arrow(&[LastTouch.attribute(&t)?, Linear::default().attribute(&t)?])?;
/// assert_eq!(batch.num_rows(), 4); // 2 models × 2 channels
/// assert_eq!(batch.num_columns(), 6);
/// # Ok::<(), touchpoint::Error>(())
/// ```
///
/// # Errors
/// None in practice; an Arrow error would be [`Error::Io`].
pub fn attributions_to_arrow(attributions: &[Attribution]) -> Result<RecordBatch> {
    let credits = || {
        attributions
            .iter()
            .flat_map(|a| a.channels.iter().map(move |c| (a, c)))
    };
    let strings = |f: &dyn Fn(&Attribution, &crate::ChannelCredit) -> String| -> ArrayRef {
        let values: Vec<String> = credits().map(|(a, c)| f(a, c)).collect();
        Arc::new(StringArray::from(values))
    };
    let numbers = |f: &dyn Fn(&crate::ChannelCredit) -> Option<f64>| -> ArrayRef {
        Arc::new(Float64Array::from_iter(credits().map(|(_, c)| f(c))))
    };
    let mut fields = vec![
        Field::new("model", DataType::Utf8, false),
        Field::new("channel", DataType::Utf8, false),
    ];
    let mut arrays = vec![
        strings(&|a, _| a.model.clone()),
        strings(&|_, c| c.channel.clone()),
    ];
    let mut push = |name: &str, nullable: bool, array: ArrayRef| {
        fields.push(Field::new(name, DataType::Float64, nullable));
        arrays.push(array);
    };
    push("conversions", false, numbers(&|c| Some(c.conversions)));
    push("value", false, numbers(&|c| Some(c.value)));
    push("share", false, numbers(&|c| Some(c.share)));
    push("value_share", false, numbers(&|c| Some(c.value_share)));
    // The same columns, in the same order, as the long CSV of `report`.
    if credits().any(|(_, c)| c.ci.is_some() || c.se.is_some()) {
        push(
            "conversions_lo",
            true,
            numbers(&|c| c.ci.map(|t| t.conversions[0])),
        );
        push(
            "conversions_hi",
            true,
            numbers(&|c| c.ci.map(|t| t.conversions[1])),
        );
        push("value_lo", true, numbers(&|c| c.ci.map(|t| t.value[0])));
        push("value_hi", true, numbers(&|c| c.ci.map(|t| t.value[1])));
        push("share_lo", true, numbers(&|c| c.ci.map(|t| t.share[0])));
        push("share_hi", true, numbers(&|c| c.ci.map(|t| t.share[1])));
        push(
            "conversions_se",
            true,
            numbers(&|c| c.se.map(|t| t.conversions)),
        );
        push("value_se", true, numbers(&|c| c.se.map(|t| t.value)));
        push("share_se", true, numbers(&|c| c.se.map(|t| t.share)));
    }
    RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays).map_err(arrow_error)
}

/// A path table as one record batch that [`read_paths_arrow`] reads back with default options:
/// `path` (List of Utf8 channel names, so any channel name survives), `total_conversions`,
/// `total_conversion_value`, `total_null` (Float64). Rows are in canonical order; timestamps
/// are dropped (equal paths summed), as in [`write_paths`](super::write_paths).
///
/// # Errors
/// None in practice; an Arrow error would be [`Error::Io`].
pub fn paths_to_arrow(table: &PathTable) -> Result<RecordBatch> {
    let table = table.without_times().canonical();
    let mut paths = ListBuilder::new(StringBuilder::new()).with_field(Field::new(
        "item",
        DataType::Utf8,
        false,
    ));
    let mut counts = [(); 3].map(|()| Float64Builder::with_capacity(table.len()));
    for row in table.rows() {
        paths.append_value(row.path.iter().map(|&id| Some(table.channels().name(id))));
        let o = row.outcome;
        for (b, v) in counts.iter_mut().zip([o.conversions, o.value, o.nulls]) {
            b.append_value(v);
        }
    }
    let [c, v, n] = counts.map(|mut b| Arc::new(b.finish()) as ArrayRef);
    let paths: ArrayRef = Arc::new(paths.finish());
    let fields = vec![
        Field::new("path", paths.data_type().clone(), false),
        Field::new("total_conversions", DataType::Float64, false),
        Field::new("total_conversion_value", DataType::Float64, false),
        Field::new("total_null", DataType::Float64, false),
    ];
    RecordBatch::try_new(Arc::new(Schema::new(fields)), vec![paths, c, v, n]).map_err(arrow_error)
}

#[cfg(test)]
mod tests {
    use arrow_array::{Int32Array, StringArray};

    use super::*;

    fn batch(paths: Vec<Option<&str>>, conv: Vec<Option<i32>>) -> RecordBatch {
        RecordBatch::try_from_iter([
            ("path", Arc::new(StringArray::from(paths)) as ArrayRef),
            (
                "total_conversions",
                Arc::new(Int32Array::from(conv)) as ArrayRef,
            ),
        ])
        .unwrap()
    }

    #[test]
    fn row_numbers_count_across_batches_and_chunks() {
        // 40_000 good rows (three chunks in the first batch), then a bad row in the second.
        let n = 40_000;
        let paths: Vec<Option<&str>> = (0..n).map(|i| Some(["A", "B > A"][i % 2])).collect();
        let first = batch(paths, vec![Some(1); n]);
        let second = batch(vec![Some("A"), Some("A >> B")], vec![Some(1), Some(1)]);
        let opts = PathCsvOptions::default();
        let mut r = PathBatchReader::new(&opts);
        r.push(&first).unwrap();
        let err = r.push(&second).unwrap_err();
        let want = Location {
            line: n as u64 + 2,
            record: n as u64 + 1,
        };
        assert_eq!(err.location(), Some(want));
        let (table, report) = r.finish();
        assert_eq!(report.rows, n as u64 + 1);
        assert_eq!(table.totals().conversions, n as f64 + 1.0);
        assert_eq!(table.len(), 2);
    }

    #[test]
    fn push_all_gives_what_pushing_one_by_one_gives() {
        let n = 40_000;
        let paths: Vec<Option<&str>> = (0..n).map(|i| Some(["A", "B > A"][i % 2])).collect();
        let good = batch(paths, vec![Some(1); n]);
        let bad = batch(vec![Some("A"), Some("A >> B")], vec![Some(1), Some(1)]);
        let no_path = good.project(&[1]).unwrap();
        let failing = || Err::<RecordBatch, _>(std::io::Error::other("the stream broke"));
        let one_by_one = |batches: &[std::result::Result<RecordBatch, std::io::Error>],
                          opts: &PathCsvOptions| {
            let mut r = PathBatchReader::new(opts);
            let mut out = Ok(());
            for b in batches {
                out = match b {
                    Ok(b) => r.push(b),
                    Err(e) => Err(Error::Io(std::io::Error::other(e.to_string()))),
                };
                if out.is_err() {
                    break;
                }
            }
            let (t, report) = r.finish();
            format!(
                "{:?} {:?} {report:?}",
                out.map_err(|e| e.to_string()),
                t.to_named_rows()
            )
        };
        let all = |batches: Vec<std::result::Result<RecordBatch, std::io::Error>>,
                   opts: &PathCsvOptions| {
            let mut r = PathBatchReader::new(opts);
            let out = r.push_all(batches);
            let (t, report) = r.finish();
            format!(
                "{:?} {:?} {report:?}",
                out.map_err(|e| e.to_string()),
                t.to_named_rows()
            )
        };
        for bad_rows in [BadRows::Error, BadRows::Skip] {
            let opts = PathCsvOptions {
                bad_rows,
                ..PathCsvOptions::default()
            };
            let cases = [
                vec![Ok(good.clone()), Ok(bad.clone()), Ok(good.clone())],
                vec![Ok(good.clone()), Ok(bad.clone()), Ok(no_path.clone())],
                vec![Ok(bad.clone()), failing(), Ok(good.clone())],
                vec![Ok(good.clone()), Ok(good.clone()), failing()],
            ];
            for case in cases {
                let again: Vec<_> = case
                    .iter()
                    .map(|b| match b {
                        Ok(b) => Ok(b.clone()),
                        Err(e) => Err(std::io::Error::other(e.to_string())),
                    })
                    .collect();
                assert_eq!(all(case, &opts), one_by_one(&again, &opts), "{bad_rows:?}");
            }
        }
    }

    #[test]
    fn skip_mode_counts_every_bad_row_in_order() {
        let b = batch(
            vec![Some("A"), None, Some("B"), Some(""), Some("C")],
            vec![Some(1), Some(1), None, Some(1), Some(2)],
        );
        let opts = PathCsvOptions {
            bad_rows: BadRows::Skip,
            ..PathCsvOptions::default()
        };
        let (table, report) = read_paths_arrow([b], &opts).unwrap();
        assert_eq!((report.rows, report.skipped), (2, 3));
        let lines: Vec<u64> = report
            .skipped_details
            .iter()
            .map(|(at, _)| at.line)
            .collect();
        assert_eq!(lines, [2, 3, 4]);
        assert_eq!(
            report.skipped_details[0].1,
            ParseProblem::Null {
                field: "path".into()
            }
        );
        assert_eq!(
            report.skipped_details[1].1,
            ParseProblem::Null {
                field: "total_conversions".into()
            }
        );
        assert_eq!(report.skipped_details[2].1, ParseProblem::EmptyPath);
        assert_eq!(table.totals().conversions, 3.0);
    }

    #[test]
    fn results_and_paths_have_the_documented_columns() {
        let mut t = PathTable::new();
        t.add(["A", "B"], Outcome::new(1.0, 2.0, 3.0)).unwrap();
        let b = paths_to_arrow(&t).unwrap();
        assert_eq!(
            columns::column_names(&b),
            [
                "path",
                "total_conversions",
                "total_conversion_value",
                "total_null"
            ]
        );
        let (back, _) = read_paths_arrow([b], &PathCsvOptions::default()).unwrap();
        assert_eq!(back, t);
        let empty = attributions_to_arrow(&[]).unwrap();
        assert_eq!((empty.num_rows(), empty.num_columns()), (0, 6));
    }
}
