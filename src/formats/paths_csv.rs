//! ChannelAttribution's aggregated path CSV:
//! `path,total_conversions,total_conversion_value,total_null`.

use std::io::{self, BufRead, BufReader, Read, Write};

use csv::{ByteRecord, ReaderBuilder};

use super::{BadRows, ReadReport};
use crate::error::{Error, Location, ParseProblem, Result};
use crate::outcome::Outcome;
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
    /// model then has P(conv) = 1 by construction, MODELS.md §3.9).
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
    let mut input = BufReader::with_capacity(1 << 16, input);
    let header = read_header_line(&mut input)?;
    let delimiter = match opts.delimiter {
        Some(d) => d,
        None => detect_delimiter(&header)?,
    };
    let mut rdr = ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .has_headers(true)
        .buffer_capacity(1 << 16)
        .from_reader(io::Cursor::new(header).chain(input));
    let head = rdr.byte_headers().map_err(|e| csv_error(e, 1, 0))?.clone();
    let cols = find_columns(&head, opts)?;
    let splitter = Splitter::new(&opts.separator);
    let mut report = ReadReport {
        delimiter,
        has_value: cols.value.is_some(),
        has_nulls: cols.nulls.is_some(),
        ..ReadReport::default()
    };
    let mut rec = ByteRecord::new();
    let mut record = 0u64;
    loop {
        let line = rdr.position().line();
        let more = match rdr.read_byte_record(&mut rec) {
            Ok(more) => more,
            Err(e) => {
                let err = csv_error(e, line, record);
                record += 1;
                skip_or_fail(err, opts.bad_rows, &mut report)?;
                continue;
            }
        };
        if !more {
            break;
        }
        let at = Location {
            line: rec.position().map_or(line, |p| p.line()),
            record,
        };
        record += 1;
        if rec.len() == 1 && rec.get(0).is_some_and(|f| f.is_empty()) {
            continue; // a blank line
        }
        let r = parse_row(&rec, &cols).and_then(|(outcome, path)| {
            splitter.check(path)?;
            splitter.add_to(table, path, outcome)
        });
        match r {
            Ok(()) => report.rows += 1,
            Err(e) => skip_or_fail(e.at(at), opts.bad_rows, &mut report)?,
        }
    }
    Ok(report)
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

/// Parses one record into its outcome and its path field. Errors carry no location yet.
fn parse_row<'r>(rec: &'r ByteRecord, cols: &Columns) -> Result<(Outcome, &'r str)> {
    let parse = |p: ParseProblem| Error::InvalidPath(p);
    if rec.len() != cols.count {
        return Err(parse(ParseProblem::FieldCount {
            expected: cols.count,
            found: rec.len(),
        }));
    }
    let field =
        |i: usize| std::str::from_utf8(&rec[i]).map_err(|_| parse(ParseProblem::InvalidUtf8));
    let number = |i: usize, name: &str| -> Result<f64> {
        let text = field(i)?.trim();
        if text.is_empty() {
            return Err(parse(ParseProblem::EmptyField { field: name.into() }));
        }
        text.parse::<f64>().map_err(|_| {
            parse(ParseProblem::NotANumber {
                field: name.into(),
                text: text.into(),
            })
        })
    };
    let conversions = number(cols.conversions, "total_conversions")?;
    let value = match cols.value {
        Some(i) => number(i, "total_conversion_value")?,
        None => 0.0,
    };
    let nulls = match cols.nulls {
        Some(i) => number(i, "total_null")?,
        None => 0.0,
    };
    let outcome = Outcome::new(conversions, value, nulls);
    outcome.validate()?;
    Ok((outcome, field(cols.path)?))
}

/// Splits a path field into trimmed channel names.
struct Splitter {
    /// `None`: split on runs of whitespace.
    sep: Option<String>,
}

impl Splitter {
    fn new(sep: &str) -> Self {
        let t = sep.trim();
        Splitter {
            sep: (!t.is_empty()).then(|| t.to_string()),
        }
    }

    /// Checks a path field: not blank, no empty channel name.
    fn check(&self, path: &str) -> Result<()> {
        if path.trim().is_empty() {
            return Err(Error::InvalidPath(ParseProblem::EmptyPath));
        }
        if let Some(sep) = &self.sep {
            if let Some(i) = path.split(sep.as_str()).position(|t| t.trim().is_empty()) {
                return Err(Error::InvalidPath(ParseProblem::EmptyToken {
                    position: i + 1,
                }));
            }
        }
        Ok(())
    }

    /// Adds a checked path field to `table` with `outcome`.
    fn add_to(&self, table: &mut PathTable, path: &str, outcome: Outcome) -> Result<()> {
        match &self.sep {
            Some(sep) => table.add(path.split(sep.as_str()).map(str::trim), outcome),
            None => table.add(path.split_whitespace(), outcome),
        }
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

/// The most frequent of `,`, `;`, tab outside quotes in the header line.
fn detect_delimiter(header: &[u8]) -> Result<u8> {
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
    let (best, &n) = counts
        .iter()
        .enumerate()
        .max_by_key(|&(i, n)| (*n, std::cmp::Reverse(i)))
        .unwrap_or((0, &0));
    if n == 0 {
        return Err(Error::Parse {
            at: Location { line: 1, record: 0 },
            problem: ParseProblem::UnknownDelimiter {
                header: String::from_utf8_lossy(header).trim_end().to_string(),
            },
        });
    }
    Ok([b',', b';', b'\t'][best])
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
                found: names.join(","),
            })
        })
    };
    Ok(Columns {
        path: required(&opts.path_column)?,
        conversions: required(&opts.conversions_column)?,
        value: opts.value_column.as_deref().and_then(find),
        nulls: opts.null_column.as_deref().and_then(find),
        count: names.len(),
    })
}

fn csv_error(e: csv::Error, line: u64, record: u64) -> Error {
    let at = e
        .position()
        .map_or(Location { line, record }, |p| Location {
            line: p.line(),
            record,
        });
    match e.into_kind() {
        csv::ErrorKind::Io(io) => Error::Io(io),
        csv::ErrorKind::Utf8 { .. } => Error::Parse {
            at,
            problem: ParseProblem::InvalidUtf8,
        },
        other => Error::Parse {
            at,
            problem: ParseProblem::Csv(format!("{other:?}")),
        },
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
