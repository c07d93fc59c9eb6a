//! One row of a path CSV: fields to an outcome and a path, the path split into channels; the
//! block parser of unquoted chunks.

use csv::ByteRecord;

use super::fast::FastRows;
use super::{Columns, PathCsvOptions, skip_or_fail};
use crate::channel::Channels;
use crate::error::{Error, Location, ParseProblem, Result};
use crate::formats::{ReadReport, blocks};
use crate::outcome::Outcome;
use crate::table::PathTable;

/// One parsed chunk of an unquoted block: its rows as a shard table, its report, and the first
/// error (in [`BadRows::Error`] mode), which ends the read after the rows before it are kept.
pub(super) struct ChunkResult {
    pub(super) table: PathTable,
    /// Location of each row of `table` (a merge error names its row's line).
    pub(super) lines: Vec<Location>,
    /// Records (non-blank lines) parsed; locations number them from 0 in the chunk.
    pub(super) records: u64,
    pub(super) report: ReadReport,
    pub(super) kept_details: u64,
    pub(super) error: Option<Error>,
}

pub(super) fn parse_chunk(
    chunk: &blocks::Chunk<'_>,
    delimiter: u8,
    cols: &Columns,
    opts: &PathCsvOptions,
    max_path_len: usize,
    vocabulary: &Channels,
) -> Result<ChunkResult> {
    let mut table = PathTable::staging_with(vocabulary.clone());
    table.set_max_path_len(max_path_len);
    // Sized once: a row per line, and a touch per 8 bytes (a name and a separator; a chunk
    // with shorter names grows its touches once or twice).
    table.reserve(chunk.line_count(), chunk.byte_len() / 8);
    let mut report = ReadReport::default();
    let mut splitter = Splitter::new(&opts.separator);
    let mut fast = FastRows::new(&opts.separator);
    let mut rec = ByteRecord::new();
    let mut error = None;
    let mut lines = Vec::with_capacity(chunk.line_count());
    let mut records = 0u64;
    let chunk_text = chunk.text();
    for (at, line) in chunk.lines() {
        if line.iter().all(u8::is_ascii_whitespace) {
            continue; // a blank line (or only blanks): not a record
        }
        let at = Location {
            line: at.line,
            record: records,
        };
        records += 1;
        let stored = fast.as_mut().and_then(|f| {
            let text = chunk_text.map(|t| chunk.line_text(t, line));
            f.add((line, text), delimiter, cols, &mut table)
        });
        let r = match stored {
            Some(()) => Ok(()),
            None => {
                rec.clear();
                for field in line.split(|&b| b == delimiter) {
                    rec.push_field(field);
                }
                parse_row(&rec, cols)
                    .and_then(|(outcome, path)| splitter.add_to(&mut table, path, outcome))
            }
        };
        match r {
            Ok(()) => {
                report.rows += 1;
                lines.push(at);
            }
            Err(e) => {
                if let Err(e) = skip_or_fail(e.at(at), opts.bad_rows, &mut report) {
                    error = Some(e);
                    break;
                }
            }
        }
    }
    let kept_details = report.skipped_details.len() as u64;
    Ok(ChunkResult {
        table,
        lines,
        records,
        report,
        kept_details,
        error,
    })
}

/// Parses one record into its outcome and its path field. Errors carry no location yet.
pub(super) fn parse_row<'r>(rec: &'r ByteRecord, cols: &Columns) -> Result<(Outcome, &'r str)> {
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
        let text = field(i)?;
        let text = &text[trim_range(text, 0..text.len())];
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
    let [conv_name, value_name, null_name] = &cols.names;
    let conversions = number(cols.conversions, conv_name)?;
    let value = match cols.value {
        Some(i) => number(i, value_name)?,
        None => 0.0,
    };
    let nulls = match cols.nulls {
        Some(i) => number(i, null_name)?,
        None => 0.0,
    };
    let outcome = Outcome::new(conversions, value, nulls);
    validate_outcome(&outcome, [conv_name, value_name, null_name])?;
    Ok((outcome, field(cols.path)?))
}

/// Validates `outcome`, naming the input's own column (`columns`: conversions, value, nulls) in
/// the error rather than the outcome's field. Shared by the CSV and Arrow readers.
pub(crate) fn validate_outcome(outcome: &Outcome, columns: [&str; 3]) -> Result<()> {
    outcome.validate().map_err(|e| match e {
        Error::InvalidCount {
            field,
            value,
            reason,
        } => Error::InvalidPath(ParseProblem::InvalidCount {
            field: column(field, columns).to_string(),
            value,
            reason,
        }),
        other => other,
    })
}

/// The input's column (`columns`: conversions, value, nulls) of an outcome's `field`.
fn column<'c>(field: &str, columns: [&'c str; 3]) -> &'c str {
    match field {
        "conversions" => columns[0],
        "value" => columns[1],
        _ => columns[2],
    }
}

/// Names the input's columns (`names`: conversions, value, nulls) in an invalid-count error of
/// the table (a sum of equal paths that overflows), as [`validate_outcome`] does for a row.
pub(super) fn name_columns(e: Error, names: &[String; 3]) -> Error {
    match e {
        Error::InvalidCount {
            field,
            value,
            reason,
        } => Error::InvalidPath(ParseProblem::InvalidCount {
            field: column(field, names.each_ref().map(String::as_str)).to_string(),
            value,
            reason,
        }),
        other => other,
    }
}

/// Splits a path field into trimmed channel names, reusing one buffer of token ranges (also used
/// by the Arrow reader for string path columns).
pub(crate) struct Splitter {
    /// Empty: split on runs of whitespace.
    sep: String,
    tokens: Vec<std::ops::Range<usize>>,
}

/// The range of `s[r]` without surrounding whitespace: ASCII blanks are stripped byte by byte
/// (the common case, ` > ` separators); other Unicode whitespace falls back to `str::trim`.
fn trim_range(s: &str, r: std::ops::Range<usize>) -> std::ops::Range<usize> {
    let b = s.as_bytes();
    let (mut start, mut end) = (r.start, r.end);
    while start < end && b[start].is_ascii_whitespace() {
        start += 1;
    }
    while end > start && b[end - 1].is_ascii_whitespace() {
        end -= 1;
    }
    if start < end && (b[start] >= 0x80 || b[end - 1] >= 0x80) {
        let t = &s[start..end];
        let trimmed = t.trim();
        let offset = trimmed.as_ptr() as usize - t.as_ptr() as usize;
        return start + offset..start + offset + trimmed.len();
    }
    start..end
}

impl Splitter {
    pub(crate) fn new(sep: &str) -> Self {
        Splitter {
            sep: sep.trim().to_string(),
            tokens: Vec::new(),
        }
    }

    /// Splits `path` (checking it is not blank and has no empty channel name) and adds it to
    /// `table` with `outcome`.
    pub(crate) fn add_to(
        &mut self,
        table: &mut PathTable,
        path: &str,
        outcome: Outcome,
    ) -> Result<()> {
        self.tokens.clear();
        if self.sep.is_empty() {
            let base = path.as_ptr() as usize;
            self.tokens.extend(path.split_whitespace().map(|t| {
                let start = t.as_ptr() as usize - base;
                start..start + t.len()
            }));
        } else {
            let mut start = 0;
            if let [b] = self.sep.as_bytes() {
                for (i, _) in path.bytes().enumerate().filter(|&(_, c)| c == *b) {
                    self.tokens.push(trim_range(path, start..i));
                    start = i + 1;
                }
            } else {
                for (i, m) in path.match_indices(self.sep.as_str()) {
                    self.tokens.push(trim_range(path, start..i));
                    start = i + m.len();
                }
            }
            self.tokens.push(trim_range(path, start..path.len()));
            if self.tokens.len() == 1 && self.tokens[0].is_empty() {
                self.tokens.clear();
            }
            if let Some(i) = self.tokens.iter().position(|r| r.is_empty()) {
                return Err(Error::InvalidPath(ParseProblem::EmptyToken {
                    position: i + 1,
                }));
            }
        }
        if self.tokens.is_empty() {
            return Err(Error::InvalidPath(ParseProblem::EmptyPath));
        }
        table
            .add(self.tokens.iter().map(|r| &path[r.clone()]), outcome)
            .map(|_| ())
    }
}
