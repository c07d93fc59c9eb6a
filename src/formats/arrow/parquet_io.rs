//! Parquet files in and out (feature `parquet`), through the Arrow readers and writers.

use std::io::Write;

use arrow_array::RecordBatch;
use parquet::arrow::ArrowWriter;
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::{ParquetRecordBatchReader, ParquetRecordBatchReaderBuilder};
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;
use parquet::file::reader::ChunkReader;

use super::{PathBatchReader, attributions_to_arrow, paths_to_arrow};
use crate::attribution::Attribution;
use crate::error::{Error, Result};
use crate::formats::{PathCsvOptions, ReadReport};
use crate::table::PathTable;

/// Rows per record batch the Parquet reader decodes at a time (bounds its memory).
pub const PARQUET_BATCH_ROWS: usize = 65_536;

/// A Parquet decoding error, as the crate's I/O error.
pub(crate) fn parquet_error(e: parquet::errors::ParquetError) -> Error {
    Error::Io(std::io::Error::other(e))
}

/// The record batches of a Parquet file, [`PARQUET_BATCH_ROWS`] at a time, decoding only the
/// root columns whose name `wanted` accepts.
pub(crate) fn projected_batches<R: ChunkReader + 'static>(
    builder: ParquetRecordBatchReaderBuilder<R>,
    wanted: impl Fn(&str) -> bool,
) -> Result<ParquetRecordBatchReader> {
    let roots = builder
        .schema()
        .fields()
        .iter()
        .enumerate()
        .filter(|(_, f)| wanted(f.name()))
        .map(|(i, _)| i);
    let mask = ProjectionMask::roots(builder.parquet_schema(), roots);
    builder
        .with_projection(mask)
        .with_batch_size(PARQUET_BATCH_ROWS)
        .build()
        .map_err(parquet_error)
}

/// Reads a path table from a Parquet file (a [`std::fs::File`], or `bytes::Bytes` for data in
/// memory), with the options of the CSV reader; see [`read_paths_arrow`](super::read_paths_arrow) for the column
/// types. Only the path and count columns are decoded; batches of [`PARQUET_BATCH_ROWS`] rows
/// are read one at a time. In errors, "line" means the 1-based row number in the file (across
/// row groups); schema problems are at line 0.
///
/// Compression: Snappy, gzip and LZ4 are always readable; Zstandard needs the `parquet-zstd`
/// feature (otherwise reading such a file is an [`Error::Io`] saying the codec is disabled).
///
/// ```no_run
/// use touchpoint::formats::{read_paths_parquet, PathCsvOptions};
/// let file = std::fs::File::open("paths.parquet")?;
/// let (table, report) = read_paths_parquet(file, &PathCsvOptions::default())?;
/// println!("{} rows, {} distinct paths", report.rows, table.len());
/// # Ok::<(), touchpoint::Error>(())
/// ```
///
/// # Errors
/// [`Error::Io`] when the file is not Parquet, is corrupt or uses a disabled codec;
/// [`Error::Parse`] as [`PathBatchReader::push`].
pub fn read_paths_parquet<R: ChunkReader + 'static>(
    input: R,
    opts: &PathCsvOptions,
) -> Result<(PathTable, ReadReport)> {
    let builder = ParquetRecordBatchReaderBuilder::try_new(input).map_err(parquet_error)?;
    // Decode only the columns the reader uses: find them among the root fields by name.
    let schema = builder.schema().clone();
    // Check the schema (missing columns, wrong types) before decoding any row, even in a file
    // without rows: an empty batch goes through every check of `push`.
    let mut reader = PathBatchReader::new(opts);
    reader.push(&RecordBatch::new_empty(schema.clone()))?;
    let wanted = [
        Some(&opts.path_column),
        Some(&opts.conversions_column),
        opts.value_column.as_ref(),
        opts.null_column.as_ref(),
    ];
    let batches = projected_batches(builder, |name| {
        wanted.iter().any(|w| w.is_some_and(|w| w == name))
    })?;
    reader.push_all(batches)?;
    Ok(reader.finish())
}

fn write_batch<W: Write + Send>(batch: &RecordBatch, out: W) -> Result<()> {
    let props = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .build();
    let mut writer =
        ArrowWriter::try_new(out, batch.schema(), Some(props)).map_err(parquet_error)?;
    writer.write(batch).map_err(parquet_error)?;
    writer.close().map_err(parquet_error)?;
    Ok(())
}

/// Writes attribution results as a Snappy-compressed Parquet file: the long table of
/// [`attributions_to_arrow`] (one row per model and channel; interval columns when present).
///
/// # Errors
/// [`Error::Io`] when writing fails.
pub fn write_attributions_parquet<W: Write + Send>(
    attributions: &[Attribution],
    out: W,
) -> Result<()> {
    write_batch(&attributions_to_arrow(attributions)?, out)
}

/// Writes a path table as a Snappy-compressed Parquet file ([`paths_to_arrow`]: paths as lists
/// of channel names), which [`read_paths_parquet`] reads back with default options.
///
/// # Errors
/// [`Error::Io`] when writing fails.
pub fn write_paths_parquet<W: Write + Send>(table: &PathTable, out: W) -> Result<()> {
    write_batch(&paths_to_arrow(table)?, out)
}
