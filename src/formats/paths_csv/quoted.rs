//! Quoted input: the csv crate's parser, record by record, with exact line numbers.

use std::collections::VecDeque;
use std::io::{self, Read};

use csv::{ByteRecord, ReaderBuilder};

use super::row::{Splitter, name_columns, parse_row};
use super::{Columns, PathCsvOptions, csv_error, skip_or_fail};
use crate::error::{Error, Location, ParseProblem, Result};
use crate::formats::ReadReport;
use crate::table::PathTable;

/// Reads the rest of the input record by record with the full CSV parser (quoted fields).
pub(super) fn read_quoted<R: Read>(
    input: R,
    delimiter: u8,
    cols: &Columns,
    opts: &PathCsvOptions,
    table: &mut PathTable,
    report: &mut ReadReport,
    start: Location,
) -> Result<()> {
    let mut rdr = ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .has_headers(false)
        .buffer_capacity(1 << 16)
        .from_reader(Newlines::new(input));
    let mut splitter = Splitter::new(&opts.separator);
    let mut rec = ByteRecord::new();
    let mut record = start.record;
    // csv's own record lines are wrong after blank lines and CRLF (see `Newlines`).
    let line_after =
        |rdr: &csv::Reader<Newlines<R>>, byte: u64| start.line - 1 + rdr.get_ref().line_after(byte);
    loop {
        let begin = rdr.position().byte();
        let more = match rdr.read_byte_record(&mut rec) {
            Ok(more) => more,
            Err(e) => {
                let line = line_after(&rdr, begin);
                let at = Location { line, record };
                let err = match csv_error(e, at) {
                    Error::Parse { problem, .. } => Error::Parse { at, problem },
                    other => other,
                };
                record += 1;
                skip_or_fail(err, opts.bad_rows, report)?;
                continue;
            }
        };
        if !more {
            return Ok(());
        }
        // A blank line (or only blanks): not a record. As for the block parser, a line is blank
        // when all its bytes are blanks, so `,` (two empty fields) is a record and a line of
        // tabs in a tab-separated file is not.
        let blanks = |f: &[u8]| f.iter().all(u8::is_ascii_whitespace);
        if (rec.len() == 1 || delimiter.is_ascii_whitespace()) && rec.iter().all(blanks) {
            continue;
        }
        let index = record;
        record += 1;
        let r = parse_row(&rec, cols).and_then(|(outcome, path)| {
            splitter
                .add_to(table, path, outcome)
                .map_err(|e| name_columns(e, &cols.names))
        });
        // An unterminated quote swallows the rest of the input into one record: at the end of
        // the input with an odd number of `"` read, that is what happened to this record.
        let r = match r {
            Err(Error::InvalidPath(ParseProblem::FieldCount { .. }))
                if rdr.get_ref().at_end(rdr.position().byte()) =>
            {
                Err(Error::InvalidPath(ParseProblem::UnterminatedQuote))
            }
            r => r,
        };
        match r {
            Ok(()) => report.rows += 1,
            Err(e) => {
                let at = Location {
                    line: line_after(&rdr, begin),
                    record: index,
                };
                skip_or_fail(e.at(at), opts.bad_rows, report)?;
            }
        }
        let end = rdr.position().byte();
        rdr.get_mut().forget_before(end);
    }
}

/// A reader that remembers where the line breaks are, so a record's line number is exact.
///
/// csv's `Position::line` is wrong for the first record after blank lines (rust-csv issue
/// #208) and after CRLF line ends, but its byte offset of the *end* of a record is right. A
/// record starts at the first byte after the previous record's end that is not `\r` or `\n`;
/// its line is 1 + the number of `\n` before that byte.
struct Newlines<R> {
    inner: R,
    /// Bytes read so far.
    offset: u64,
    /// Offsets of the `\r` and `\n` bytes not yet forgotten, ascending, with `true` for `\n`.
    pending: VecDeque<(u64, bool)>,
    /// `\n` bytes forgotten (all before the current record).
    forgotten: u64,
    /// `"` bytes read so far.
    quotes: u64,
    /// The inner reader has reported the end of the input.
    eof: bool,
}

impl<R: Read> Newlines<R> {
    fn new(inner: R) -> Self {
        Newlines {
            inner,
            offset: 0,
            pending: VecDeque::new(),
            forgotten: 0,
            quotes: 0,
            eof: false,
        }
    }

    /// Forgets line breaks before `end` (the end of a record already handled); amortised, so
    /// the per-record cost is a length check.
    fn forget_before(&mut self, end: u64) {
        if self.pending.len() < 4096 {
            return;
        }
        while let Some(&(o, newline)) = self.pending.front() {
            if o >= end {
                break;
            }
            self.pending.pop_front();
            self.forgotten += u64::from(newline);
        }
    }

    /// True when a record ending at byte `end` ends the input and an odd number of `"` was
    /// read: a quote is still open.
    fn at_end(&self, end: u64) -> bool {
        self.eof && end == self.offset && self.quotes % 2 == 1
    }

    /// The 1-based line of the record that follows byte `after` (the end of the previous
    /// record, or the start of the input).
    fn line_after(&self, after: u64) -> u64 {
        let mut start = after;
        let mut newlines = self.forgotten;
        for &(o, newline) in &self.pending {
            if o < start {
                newlines += u64::from(newline);
            } else if o == start {
                // A blank line or the rest of a CRLF line end: the record starts later.
                newlines += u64::from(newline);
                start += 1;
            } else {
                break;
            }
        }
        1 + newlines
    }
}

impl<R: Read> Read for Newlines<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        for (i, &b) in buf[..n].iter().enumerate() {
            if b == b'\n' || b == b'\r' {
                self.pending.push_back((self.offset + i as u64, b == b'\n'));
            }
            self.quotes += u64::from(b == b'"');
        }
        self.eof |= n == 0 && !buf.is_empty();
        self.offset += n as u64;
        Ok(n)
    }
}
