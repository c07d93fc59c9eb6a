//! ChannelAttribution's aggregated path CSV:
//! `path,total_conversions,total_conversion_value,total_null`.

use std::io::{self, BufRead, BufReader, Read, Write};

use csv::{ByteRecord, ReaderBuilder};

mod fast;
mod quoted;
mod row;

pub(crate) use fast::number;
use quoted::read_quoted;
use row::{ChunkResult, name_columns, parse_chunk};
#[cfg(feature = "arrow")]
pub(crate) use row::{Splitter, validate_outcome};

use super::{BadRows, ReadReport, blocks};
use crate::error::{Error, Location, ParseProblem, Result, shorten};
use crate::table::{DEFAULT_MAX_PATH_LEN, PathTable};

/// Options of [`read_paths`]. The defaults read ChannelAttribution's files as they are.
#[derive(Clone, Debug, PartialEq)]
pub struct PathCsvOptions {
    /// Column holding the path (default `path`).
    pub path_column: String,
    /// Column holding conversions (default `total_conversions`).
    pub conversions_column: String,
    /// Column holding conversion value (default `total_conversion_value`). When `None`, or when
    /// the header has no such column, value is 0 and [`ReadReport::has_value`] is false.
    pub value_column: Option<String>,
    /// Column holding non-converting journeys (default `total_null`). When `None`, or when the
    /// header has no such column, nulls are 0 and [`ReadReport::has_nulls`] is false (the Markov
    /// model then has P(conv) = 1 by construction: [model reference](crate::reference),
    /// §Markov chain / Corner cases).
    pub null_column: Option<String>,
    /// CSV delimiter; `None` detects `,`, `;` or tab from the header line.
    pub delimiter: Option<u8>,
    /// Separator between channels inside a path (default `>`). Surrounding blanks are ignored
    /// (` > ` means `>`) and channel names are trimmed; a blank separator (` `) splits on runs
    /// of whitespace.
    pub separator: String,
    /// Longest path accepted (default [`DEFAULT_MAX_PATH_LEN`]).
    pub max_path_len: usize,
    /// What to do with a bad row (default: stop with an error).
    pub bad_rows: BadRows,
}

impl Default for PathCsvOptions {
    fn default() -> Self {
        PathCsvOptions {
            path_column: "path".into(),
            conversions_column: "total_conversions".into(),
            value_column: Some("total_conversion_value".into()),
            null_column: Some("total_null".into()),
            delimiter: None,
            separator: ">".into(),
            max_path_len: DEFAULT_MAX_PATH_LEN,
            bad_rows: BadRows::Error,
        }
    }
}

/// Column positions found in the header.
struct Columns {
    path: usize,
    conversions: usize,
    value: Option<usize>,
    nulls: Option<usize>,
    count: usize,
    /// Names of the conversions, value and null columns, for error messages.
    names: [String; 3],
}

/// Reads an aggregated path CSV into a new [`PathTable`], streaming (the file is never held
/// whole in memory).
///
/// Rows with equal paths are summed. Every rejected row is an [`Error::Parse`] naming its line:
/// wrong field count, empty path or channel name, reserved channel name, a number that does not
/// parse, is negative, NaN or infinite, value > 0 with 0 conversions, a path over the length
/// limit. With [`BadRows::Skip`] such rows are skipped and counted in the report instead.
///
/// ```
/// use touchpoint::formats::{read_paths, PathCsvOptions};
/// let csv = "path,total_conversions,total_conversion_value,total_null\n\
///            \"Search > Email, weekly\",2,20.5,1\n\
///            Search,1,5,3\n";
/// let (table, report) = read_paths(csv.as_bytes(), &PathCsvOptions::default())?;
/// assert_eq!(table.len(), 2);
/// assert_eq!(report.rows, 2);
/// assert_eq!(table.channels().get("Email, weekly").is_some(), true);
/// # Ok::<(), touchpoint::Error>(())
/// ```
///
/// # Errors
/// [`Error::Io`] when reading fails; [`Error::Parse`] for a bad header (line 1) or a bad row.
pub fn read_paths<R: Read>(input: R, opts: &PathCsvOptions) -> Result<(PathTable, ReadReport)> {
    let mut table = PathTable::new();
    table.set_max_path_len(opts.max_path_len);
    let report = read_paths_into(input, opts, &mut table)?;
    Ok((table, report))
}

/// [`read_paths`] of an input of about `size` bytes (a file's length): after the first block
/// the table is sized for the whole input at that block's density, so it grows once.
///
/// # Errors
/// As [`read_paths`].
pub(crate) fn read_paths_sized<R: Read>(
    input: R,
    opts: &PathCsvOptions,
    size: u64,
) -> Result<(PathTable, ReadReport)> {
    let mut table = PathTable::new();
    table.set_max_path_len(opts.max_path_len);
    let report = read_paths_with(input, opts, &mut table, Parser::Auto, Some(size))?;
    Ok((table, report))
}

/// Like [`read_paths`], adding the rows to an existing table (for example one shard after
/// another).
///
/// # Errors
/// As [`read_paths`]. Rows read before an error stay in `table`.
pub fn read_paths_into<R: Read>(
    input: R,
    opts: &PathCsvOptions,
    table: &mut PathTable,
) -> Result<ReadReport> {
    read_paths_with(input, opts, table, Parser::Auto, None)
}

/// Which parser reads the data rows.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Parser {
    /// The block parser while no `"` is seen, then the csv crate.
    Auto,
    /// The csv crate from the first data row.
    Full,
}

/// [`read_paths`] with the csv crate's parser for every row, even when no field is quoted.
/// Results equal [`read_paths`]'s on every input (the differential tests and the fuzzer check
/// it); not for production use.
///
/// # Errors
/// As [`read_paths`].
#[doc(hidden)]
pub fn read_paths_full_parser<R: Read>(
    input: R,
    opts: &PathCsvOptions,
) -> Result<(PathTable, ReadReport)> {
    let mut table = PathTable::new();
    table.set_max_path_len(opts.max_path_len);
    let report = read_paths_with(input, opts, &mut table, Parser::Full, None)?;
    Ok((table, report))
}

fn read_paths_with<R: Read>(
    input: R,
    opts: &PathCsvOptions,
    table: &mut PathTable,
    parser: Parser,
    size: Option<u64>,
) -> Result<ReadReport> {
    if opts.separator.is_empty() {
        return Err(Error::InvalidParameter {
            model: "read_paths",
            name: "separator",
            reason: "the path separator is empty (give `>`, or ` ` to split on whitespace)".into(),
        });
    }
    let mut input = BufReader::with_capacity(1 << 16, blocks::LineEnds::new(input));
    let header = read_header_line(&mut input)?;
    let delimiter = match opts.delimiter {
        Some(d) => d,
        None => header_delimiter(&header)?,
    };
    let head = ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(true)
        .from_reader(header.as_slice())
        .byte_headers()
        .map_err(|e| csv_error(e, Location { line: 1, record: 0 }))?
        .clone();
    let cols =
        find_columns(&head, opts).map_err(|e| wrong_delimiter(e, &head, &header, delimiter))?;
    let mut report = ReadReport {
        delimiter,
        has_value: cols.value.is_some(),
        has_nulls: cols.nulls.is_some(),
        ..ReadReport::default()
    };
    // A BOM at the start of the first data row (files concatenated after their header) is
    // dropped by both parsers (the csv crate drops one at the start of its input).
    skip_bom(&mut input)?;
    let mut at = Location { line: 2, record: 0 };
    // Records (non-blank lines) merged so far: chunks number their records from 0.
    let mut records = 0u64;
    let limit = opts.max_path_len.min(table.max_path_len());
    // Pipelined: while one block is parsed in chunks on the pool's threads, the calling thread
    // merges the chunks of the block before it into `table` (serial) and reads the next block.
    // Chunks are merged in input order, so the result is the same as reading row by row.
    let mut pending: Vec<Result<ChunkResult>> = Vec::new();
    let (mut block, mut next) = (Vec::new(), Vec::new());
    let mut more = blocks::next_block(&mut input, &mut block)?;
    // With a size, the table is sized once, from the first block's rows and length.
    let first_block = block.len();
    let mut sized = size.is_none();
    if more && parser == Parser::Full {
        let rest = io::Cursor::new(block).chain(input);
        read_quoted(rest, delimiter, &cols, opts, table, &mut report, at)?;
        return finish(table, report);
    }
    while more {
        let start = at;
        let chunks = blocks::split_lines(&block, at);
        let end = chunks.last().map_or(at, |c| c.end);
        let previous = std::mem::take(&mut pending);
        if !sized
            && !previous.is_empty()
            && let Some(size) = size
        {
            reserve_for(table, &previous, first_block, size);
            sized = true;
        }
        // The chunks start from the vocabulary as it is now, so most of their ids are the
        // table's and the merge takes their rows as they are.
        let vocabulary = table.channels().clone();
        let ((merged, read), parsed) = blocks::overlap(
            || {
                let merged = merge_chunks(
                    table,
                    &mut report,
                    previous,
                    &cols.names,
                    opts.bad_rows,
                    &mut records,
                );
                // The next block is read only after the rows before it merged cleanly, so
                // an error in them comes before a read error after them.
                let read = match merged {
                    Ok(()) => blocks::next_block(&mut input, &mut next),
                    Err(_) => Ok(false),
                };
                (merged, read)
            },
            || {
                // A chunk with a quote is not parsed: quoted fields may span lines.
                blocks::map_ordered(&chunks, |c| {
                    memchr::memchr(b'"', c.bytes())
                        .is_none()
                        .then(|| parse_chunk(c, delimiter, &cols, opts, limit, &vocabulary))
                })
            },
        );
        merged?;
        if parsed.iter().any(Option::is_none) {
            // The block cannot be cut safely: it and the rest (what was read after it, with the
            // read's error where the input raised it) are read record by record with the full
            // CSV parser; every row before it is merged.
            let rest = blocks::Unread::after(block, &next, read).chain(input);
            let start = Location {
                line: start.line,
                record: records,
            };
            read_quoted(rest, delimiter, &cols, opts, table, &mut report, start)?;
            return finish(table, report);
        }
        at = end;
        more = read?;
        pending = parsed.into_iter().flatten().collect();
        std::mem::swap(&mut block, &mut next);
    }
    merge_chunks(
        table,
        &mut report,
        pending,
        &cols.names,
        opts.bad_rows,
        &mut records,
    )?;
    finish(table, report)
}

/// Sizes `table` for an input of `size` bytes from its first block (`bytes` long, parsed into
/// `first`): rows and touches scaled by the input's length, 10 % over, at most 2^24 rows (past
/// that the table grows as usual), so that memory reserved up front stays bounded.
fn reserve_for(table: &mut PathTable, first: &[Result<ChunkResult>], bytes: usize, size: u64) {
    const MAX_ROWS: f64 = (1u64 << 24) as f64;
    let (rows, touches) = first.iter().flatten().fold((0usize, 0usize), |(r, t), c| {
        (r + c.table.len(), t + c.table.touch_count())
    });
    if bytes == 0 || rows == 0 {
        return;
    }
    let scale = 1.1 * size as f64 / bytes as f64;
    let est_rows = (rows as f64 * scale).min(MAX_ROWS);
    let est_touches = touches as f64 * est_rows / rows as f64;
    table.reserve(est_rows as usize, est_touches as usize);
}

/// Merges parsed chunks into `table` in order; stops at the first error.
fn merge_chunks(
    table: &mut PathTable,
    report: &mut ReadReport,
    parts: Vec<Result<ChunkResult>>,
    names: &[String; 3],
    mode: BadRows,
    records: &mut u64,
) -> Result<()> {
    for part in parts {
        let mut part = part?;
        // Chunk-local record numbers become the file's.
        let base = *records;
        *records += part.records;
        let shift = |at: &mut Location| at.record += base;
        part.lines.iter_mut().for_each(shift);
        part.report
            .skipped_details
            .iter_mut()
            .for_each(|(at, _)| shift(at));
        if let Some(Error::Parse { at, .. }) = &mut part.error {
            shift(at);
        }
        let lines = &part.lines;
        // A row can only fail here when its sum with an equal path overflows; its skip is
        // listed in line order with the chunk's own skips.
        let mut skips = part.report.skipped_details;
        let parsed = skips.len();
        table.merge_each(&part.table, |r, e| {
            match name_columns(e, names).at(lines[r]) {
                Error::Parse { at, problem } if mode == BadRows::Skip => {
                    skips.push((at, problem));
                    Ok(())
                }
                e => Err(e),
            }
        })?;
        report.rows += part.report.rows - (skips.len() - parsed) as u64;
        skips.sort_by_key(|(at, _)| at.record);
        for (loc, problem) in skips {
            report.skip(loc, problem);
        }
        report.skipped += part.report.skipped.saturating_sub(part.kept_details);
        if let Some(err) = part.error {
            return Err(err);
        }
    }
    Ok(())
}

fn skip_or_fail(err: Error, mode: BadRows, report: &mut ReadReport) -> Result<()> {
    match (mode, err) {
        (BadRows::Skip, Error::Parse { at, problem }) => {
            report.skip(at, problem);
            Ok(())
        }
        (_, err) => Err(err),
    }
}

/// Reads the header line (without consuming anything after it); strips a UTF-8 BOM.
fn read_header_line<R: BufRead>(input: &mut R) -> Result<Vec<u8>> {
    let mut header = Vec::new();
    input.read_until(b'\n', &mut header)?;
    if header.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(Error::Parse {
            at: Location { line: 1, record: 0 },
            problem: ParseProblem::NoHeader,
        });
    }
    if header.starts_with(&[0xEF, 0xBB, 0xBF]) {
        header.drain(..3);
    }
    Ok(header)
}

/// The delimiter of a header line, or the error naming it.
fn header_delimiter(header: &[u8]) -> Result<u8> {
    detect_delimiter(header).ok_or_else(|| Error::Parse {
        at: Location { line: 1, record: 0 },
        problem: ParseProblem::UnknownDelimiter {
            header: shorten(String::from_utf8_lossy(header).trim_end()),
        },
    })
}

/// Skips a UTF-8 byte-order mark at the current position.
fn skip_bom<R: BufRead>(input: &mut R) -> Result<()> {
    if input.fill_buf()?.starts_with(&[0xEF, 0xBB, 0xBF]) {
        input.consume(3);
    }
    Ok(())
}

/// Turns a missing-column error on a one-column header into [`ParseProblem::WrongDelimiter`]
/// when the header is visibly separated by another delimiter (`-d ';'` on a comma file).
pub(crate) fn wrong_delimiter(e: Error, head: &ByteRecord, header: &[u8], given: u8) -> Error {
    match (&e, detect_delimiter(header)) {
        (
            Error::Parse {
                problem: ParseProblem::MissingColumn { .. },
                at,
            },
            Some(detected),
        ) if head.len() == 1 && detected != given => Error::Parse {
            at: *at,
            problem: ParseProblem::WrongDelimiter {
                given: char::from(given),
                detected: char::from(detected),
            },
        },
        _ => e,
    }
}

/// The table once every row is in, checked: the totals stay finite (each sum of equal paths
/// was checked as it was made; see [`PathTable::merge`]).
fn finish(table: &mut PathTable, report: ReadReport) -> Result<ReadReport> {
    table.check_totals()?;
    Ok(report)
}

/// The most frequent of `,`, `;`, tab outside quotes in a header line (ties: in that order).
pub(crate) fn detect_delimiter(header: &[u8]) -> Option<u8> {
    let mut counts = [0usize; 3];
    let mut quoted = false;
    for &b in header {
        match b {
            b'"' => quoted = !quoted,
            b',' if !quoted => counts[0] += 1,
            b';' if !quoted => counts[1] += 1,
            b'\t' if !quoted => counts[2] += 1,
            _ => {}
        }
    }
    let (best, n) = (0..3)
        .map(|i| (i, counts[i]))
        .rev()
        .max_by_key(|&(_, n)| n)?;
    (n > 0).then_some([b',', b';', b'\t'][best])
}

fn find_columns(head: &ByteRecord, opts: &PathCsvOptions) -> Result<Columns> {
    let names: Vec<String> = head
        .iter()
        .map(|f| String::from_utf8_lossy(f).trim().to_string())
        .collect();
    let header_err = |problem| Error::Parse {
        at: Location { line: 1, record: 0 },
        problem,
    };
    for (i, n) in names.iter().enumerate() {
        if names[..i].contains(n) {
            return Err(header_err(ParseProblem::DuplicateColumn {
                name: n.clone(),
            }));
        }
    }
    let find = |name: &str| names.iter().position(|n| n == name);
    let required = |name: &str| {
        find(name).ok_or_else(|| {
            header_err(ParseProblem::MissingColumn {
                name: name.to_string(),
                found: shorten(&names.join(",")),
            })
        })
    };
    Ok(Columns {
        path: required(&opts.path_column)?,
        conversions: required(&opts.conversions_column)?,
        value: opts.value_column.as_deref().and_then(find),
        nulls: opts.null_column.as_deref().and_then(find),
        count: names.len(),
        names: [
            opts.conversions_column.clone(),
            opts.value_column.clone().unwrap_or_default(),
            opts.null_column.clone().unwrap_or_default(),
        ],
    })
}

/// Maps a csv error to ours; `at` is used when the error has no position of its own.
pub(crate) fn csv_error(e: csv::Error, at: Location) -> Error {
    let at = e.position().map_or(at, |p| Location {
        line: p.line(),
        record: at.record,
    });
    match csv_problem(e) {
        Ok(problem) => Error::Parse { at, problem },
        Err(io) => Error::Io(io),
    }
}

/// A csv error as a row problem, or the I/O error it wraps.
pub(crate) fn csv_problem(e: csv::Error) -> std::result::Result<ParseProblem, std::io::Error> {
    match e.kind() {
        csv::ErrorKind::Io(_) => match e.into_kind() {
            csv::ErrorKind::Io(io) => Err(io),
            // Unreachable: the kind was just matched as Io.
            _ => Ok(ParseProblem::InvalidUtf8),
        },
        csv::ErrorKind::Utf8 { .. } => Ok(ParseProblem::InvalidUtf8),
        _ => Ok(ParseProblem::Csv(crate::error::CsvSyntax::new(e))),
    }
}

/// Writes a table as ChannelAttribution CSV (`path,total_conversions,total_conversion_value,
/// total_null`), paths joined with ` > `, rows in canonical order. Timestamps are dropped (equal
/// paths summed), since the format has no place for them.
///
/// # Errors
/// [`Error::Io`] when writing fails; [`Error::InvalidParameter`] when a channel name contains
/// `>` (it could not be read back).
pub fn write_paths<W: Write>(table: &PathTable, out: W) -> Result<()> {
    let table = table.without_times().canonical();
    if let Some((_, name)) = table.channels().iter().find(|(_, n)| n.contains('>')) {
        return Err(Error::InvalidParameter {
            model: "write_paths",
            name: "channel",
            reason: format!("channel `{name}` contains the path separator `>`"),
        });
    }
    let mut w = csv::Writer::from_writer(out);
    let io_err = |e: csv::Error| match e.into_kind() {
        csv::ErrorKind::Io(io) => Error::Io(io),
        other => Error::Io(io::Error::other(format!("{other:?}"))),
    };
    w.write_record([
        "path",
        "total_conversions",
        "total_conversion_value",
        "total_null",
    ])
    .map_err(io_err)?;
    let mut path = String::new();
    for row in table.rows() {
        path.clear();
        for (i, id) in row.path.iter().enumerate() {
            if i > 0 {
                path.push_str(" > ");
            }
            path.push_str(table.channels().name(*id));
        }
        let o = row.outcome;
        w.write_record([
            path.as_str(),
            &o.conversions.to_string(),
            &o.value.to_string(),
            &o.nulls.to_string(),
        ])
        .map_err(io_err)?;
    }
    w.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_quoted_block_keeps_what_was_read_after_it() {
        let mut text = String::from("path,total_conversions,total_null\n");
        let rows = |text: &mut String, from: u64| {
            for i in from..from + 300_000 {
                text.push_str(&format!(
                    "c{} > x{},{},{}\n",
                    i % 97,
                    i % 1009,
                    i % 3,
                    i % 5
                ));
            }
        };
        rows(&mut text, 0);
        // A quote in the second block, with whole blocks after it, one with a bad row.
        text.push_str("\"c1 > c,2\",1,0\n");
        let quote = text.len();
        rows(&mut text, 300_000);
        text.push_str("c1 > c2,x,0\n");
        rows(&mut text, 600_000);
        assert!(quote > blocks::BLOCK_BYTES && text.len() > quote + 2 * blocks::BLOCK_BYTES);
        let show = |r: Result<(PathTable, ReadReport)>| match r {
            Ok((t, report)) => format!("{:?} {report:?}", t.to_named_rows()),
            Err(e) => e.to_string(),
        };
        for bad_rows in [BadRows::Error, BadRows::Skip] {
            let opts = PathCsvOptions {
                bad_rows,
                ..PathCsvOptions::default()
            };
            if bad_rows == BadRows::Skip {
                let blocks = show(read_paths(text.as_bytes(), &opts));
                assert_eq!(blocks, show(read_paths_full_parser(text.as_bytes(), &opts)));
            }
            // The input fails in the block read after the quoted one (the pipeline reads it
            // before it knows the csv crate must read the quote): both readers fail with it.
            let fail_at = quote + blocks::BLOCK_BYTES;
            let a = show(read_paths(
                blocks::FailsOnce(text.as_bytes(), fail_at),
                &opts,
            ));
            let b = show(read_paths_full_parser(
                blocks::FailsOnce(text.as_bytes(), fail_at),
                &opts,
            ));
            assert_eq!(a, b);
            assert!(a.contains("the disk is gone"), "{a}");
        }
    }

    #[test]
    fn a_size_hint_sizes_the_table_once_and_changes_nothing() {
        // Distinct paths over two blocks.
        let mut text = String::from("path,total_conversions,total_null\n");
        let mut i = 0u64;
        while text.len() < blocks::BLOCK_BYTES + 1000 {
            let row = format!("c{} > c{} > x{i},{},{}\n", i % 97, i % 89, i % 3, i % 5);
            text.push_str(&row);
            i += 1;
        }
        let opts = PathCsvOptions::default();
        let (plain, report) = read_paths(text.as_bytes(), &opts).unwrap();
        let len = text.len() as u64;
        // The true size and wrong ones read the same rows in the same order.
        for size in [len, 1, 50 * len] {
            let (sized, r) = read_paths_sized(text.as_bytes(), &opts, size).unwrap();
            assert_eq!(r, report, "{size}");
            assert_eq!(sized.len(), plain.len());
            for (a, b) in sized.rows().zip(plain.rows()) {
                assert_eq!((a.path, a.outcome), (b.path, b.outcome), "{size}");
            }
            if size != len {
                continue;
            }
            // Sized from its length, the table holds every row in less than it grows into.
            assert!(
                sized.heap_bytes() <= plain.heap_bytes(),
                "{} vs {}",
                sized.heap_bytes(),
                plain.heap_bytes()
            );
        }
    }
}
