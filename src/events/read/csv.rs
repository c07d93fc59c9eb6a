//! Event logs in CSV. Unquoted input (the usual export) is read in blocks of whole lines whose
//! rows are checked and decoded in parallel ([`RowParser::prepare`]) and stored in input order,
//! so the log, the report and every error are those of reading row by row. From the first
//! block with a `"`, a `\r` or an empty line, the csv crate reads the rest record by record.

use std::borrow::Cow;
use std::io::{self, BufRead, Read};

use csv::{ByteRecord, Reader, ReaderBuilder};
use memchr::{memchr_iter, memmem};

use super::{
    COLUMNS, EventFormat, EventLog, EventOptions, EventReadReport, Fields, PreparedChunk,
    RowParser, column_names, pipeline,
};
use crate::error::{Error, Location, ParseProblem, Result, shorten};
use crate::formats::blocks::{self, QuoteCount};
use crate::formats::paths_csv::{csv_error, detect_delimiter};

/// Column positions by role ([`column_names`] order) and the header's field count.
struct Columns {
    roles: [Option<usize>; COLUMNS],
    count: usize,
}

pub(super) fn read_csv<R: BufRead>(
    mut input: R,
    opts: &EventOptions,
    rows: &mut RowParser<'_>,
    log: &mut EventLog,
) -> Result<EventReadReport> {
    let header_err = |problem| Error::Parse {
        at: Location { line: 1, record: 0 },
        problem,
    };
    let mut header = Vec::new();
    input.read_until(b'\n', &mut header)?;
    if header.iter().all(u8::is_ascii_whitespace) {
        return Err(header_err(ParseProblem::NoHeader));
    }
    let detected = detect_delimiter(&header);
    let delimiter = match opts.delimiter {
        Some(d) => d,
        None => detected.ok_or_else(|| {
            header_err(ParseProblem::UnknownDelimiter {
                header: shorten(String::from_utf8_lossy(&header).trim_end()),
            })
        })?,
    };
    let mut report = EventReadReport::new(EventFormat::Csv, Some(delimiter));
    let builder = |headers: bool| {
        let mut b = ReaderBuilder::new();
        b.delimiter(delimiter)
            .flexible(true)
            .has_headers(headers)
            .buffer_capacity(1 << 16);
        b
    };
    // A header of one plain line: the data rows go to the block reader.
    if header.ends_with(b"\n") && !header.contains(&b'"') && !header.contains(&b'\r') {
        let mut rdr = builder(true).from_reader(header.as_slice());
        let cols = columns(&mut rdr, opts, delimiter, detected)?;
        let plain = (&builder(false), delimiter);
        read_blocks(input, plain, &cols, opts, rows, log, &mut report)?;
        return Ok(report);
    }
    let mut rdr = builder(true).from_reader(QuoteCount::new(io::Cursor::new(header).chain(input)));
    let cols = columns(&mut rdr, opts, delimiter, detected)?;
    let start = Location { line: 1, record: 0 };
    read_records(&mut rdr, start, &cols, opts, rows, log, &mut report)?;
    Ok(report)
}

/// Reads the header record of `rdr` and finds the columns of every role.
fn columns<R: Read>(
    rdr: &mut Reader<R>,
    opts: &EventOptions,
    delimiter: u8,
    detected: Option<u8>,
) -> Result<Columns> {
    let header_err = |problem| Error::Parse {
        at: Location { line: 1, record: 0 },
        problem,
    };
    let head: Vec<String> = rdr
        .byte_headers()
        .map_err(|e| csv_error(e, Location { line: 1, record: 0 }))?
        .iter()
        .map(|f| String::from_utf8_lossy(f).trim().to_string())
        .collect();
    for (i, n) in head.iter().enumerate() {
        if head[..i].contains(n) {
            return Err(header_err(ParseProblem::DuplicateColumn {
                name: n.clone(),
            }));
        }
    }
    let mut roles = [None; COLUMNS];
    for (slot, (name, required)) in roles.iter_mut().zip(column_names(opts)) {
        let Some(name) = name else { continue };
        *slot = head.iter().position(|h| h == name);
        if slot.is_none() && required {
            if let Some(detected) = detected.filter(|&d| head.len() == 1 && d != delimiter) {
                return Err(header_err(ParseProblem::WrongDelimiter {
                    given: char::from(delimiter),
                    detected: char::from(detected),
                }));
            }
            return Err(header_err(ParseProblem::MissingColumn {
                name: name.into(),
                found: shorten(&head.join(",")),
            }));
        }
    }
    Ok(Columns {
        roles,
        count: head.len(),
    })
}

/// The data rows after a plain header line, block by block (see the module documentation).
fn read_blocks<R: BufRead>(
    mut input: R,
    (builder, delimiter): (&ReaderBuilder, u8),
    cols: &Columns,
    opts: &EventOptions,
    rows: &mut RowParser<'_>,
    log: &mut EventLog,
    report: &mut EventReadReport,
) -> Result<()> {
    let mut at = Location { line: 2, record: 0 };
    // A chunk starts a line: one that starts with a line end starts with an empty line.
    let plain = |chunk: &[u8]| {
        !chunk.starts_with(b"\n")
            && memchr::memchr2(b'"', b'\r', chunk).is_none()
            && memmem::find(chunk, b"\n\n").is_none()
    };
    let cut = pipeline(&mut input, &mut at, (opts, log, report), plain, |c, out| {
        prepare_chunk(c, delimiter, cols, opts, out)
    })?;
    if let Some(unread) = cut {
        // Quotes may span lines, and the csv crate counts lines its own way around empty
        // lines and CR: it reads the rest, its lines shifted to the file's.
        let rest = unread.chain(input);
        let mut rdr = builder.from_reader(QuoteCount::new(rest));
        return read_records(&mut rdr, at, cols, opts, rows, log, report);
    }
    Ok(())
}

fn prepare_chunk(
    chunk: &blocks::Chunk<'_>,
    delimiter: u8,
    cols: &Columns,
    opts: &EventOptions,
    out: &mut PreparedChunk,
) {
    let mut parser = RowParser::new(opts);
    // Sized once: the rows are counted, and their texts are parts of the chunk's bytes.
    out.reuse(chunk.line_count(), chunk.byte_len());
    let mut ends = Vec::with_capacity(cols.count + 1);
    let chunk_text = chunk.text();
    for (at, line) in chunk.lines() {
        ends.clear();
        ends.extend(memchr_iter(delimiter, line));
        ends.push(line.len());
        // As the csv crate's record: one field that is all blanks is a blank line.
        if ends.len() == 1 && line.iter().all(u8::is_ascii_whitespace) {
            out.rows.push((at.line, None));
            continue;
        }
        // One UTF-8 check for the chunk, or else for the line: its fields, cut at ASCII
        // delimiters, are then valid too; a line that fails is checked field by field (only
        // the fields read must be valid).
        let text = match chunk_text {
            Some(t) => Some(chunk.line_text(t, line)),
            None => std::str::from_utf8(line).ok(),
        };
        let field = |i: usize| {
            let start = if i == 0 { 0 } else { ends[i - 1] + 1 };
            match text {
                Some(t) => Ok(&t[start..ends[i]]),
                None => utf8(&line[start..ends[i]]),
            }
        };
        let row = fields(ends.len(), field, cols).and_then(|f| parser.prepare(&f, &mut out.text));
        out.rows.push((at.line, Some(row.map_err(Box::new))));
    }
}

/// The csv crate's record loop from `start` (the line before the first record read and the
/// number of records before it): the reader's lines are shifted by `start.line - 1`.
fn read_records<R: Read>(
    rdr: &mut Reader<QuoteCount<R>>,
    start: Location,
    cols: &Columns,
    opts: &EventOptions,
    rows: &mut RowParser<'_>,
    log: &mut EventLog,
    report: &mut EventReadReport,
) -> Result<()> {
    let shift = start.line - 1;
    let mut rec = ByteRecord::new();
    let mut record = start.record;
    loop {
        let at = Location {
            line: rdr.position().line() + shift,
            record,
        };
        match rdr.read_byte_record(&mut rec) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                record += 1;
                let err = match csv_error(e, at) {
                    Error::Parse { at, problem } if shift > 0 => Error::Parse {
                        at: Location {
                            line: at.line + shift,
                            ..at
                        },
                        problem,
                    },
                    err => err,
                };
                report.skip_or_fail(err, opts.bad_rows)?;
                continue;
            }
        }
        let at = Location {
            line: rec.position().map_or(at.line, |p| p.line() + shift),
            record,
        };
        record += 1;
        if rec.len() == 1 && rec[0].iter().all(u8::is_ascii_whitespace) {
            continue; // a blank line
        }
        let r = fields(rec.len(), |i| utf8(&rec[i]), cols).and_then(|f| rows.store(&f, log));
        // A quote left open swallows the rest of the input into this record.
        let r = match r {
            Err(ParseProblem::FieldCount { .. })
                if rdr.get_ref().open_at_end(rdr.position().byte()) =>
            {
                Err(ParseProblem::UnterminatedQuote)
            }
            r => r,
        };
        match r {
            Ok((touch, conv)) => report.count(touch, conv),
            Err(problem) => report.skip_or_fail(Error::Parse { at, problem }, opts.bad_rows)?,
        }
    }
    Ok(())
}

/// A field's bytes as text.
fn utf8(field: &[u8]) -> Result<&str, ParseProblem> {
    std::str::from_utf8(field).map_err(|_| ParseProblem::InvalidUtf8)
}

/// The fields of a record of `n` fields (`field(i)`: the text of field `i`, or why it is not
/// UTF-8), by role; only the fields a role reads must be UTF-8.
fn fields<'r>(
    n: usize,
    field: impl Fn(usize) -> Result<&'r str, ParseProblem>,
    cols: &Columns,
) -> Result<Fields<'r>, ParseProblem> {
    if n != cols.count {
        return Err(ParseProblem::FieldCount {
            expected: cols.count,
            found: n,
        });
    }
    let get = |role: usize| -> Result<Cow<'r, str>, ParseProblem> {
        match cols.roles[role] {
            Some(i) => field(i).map(Cow::Borrowed),
            None => Ok(Cow::Borrowed("")),
        }
    };
    Ok(Fields {
        user: get(0)?,
        time: get(1)?,
        time_micros: None,
        channel: [get(2)?, get(3)?, get(4)?],
        conversion: get(5)?,
        value: get(6)?,
        order: get(7)?,
        levels: [get(8)?, get(9)?, get(10)?],
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::JourneyOptions;
    use crate::formats::BadRows;

    /// `read_csv` with the csv crate for every row (the reader before the block path).
    fn by_records(text: impl Read, opts: &EventOptions) -> Result<(EventLog, EventReadReport)> {
        let mut input = io::BufReader::new(text);
        let mut header = Vec::new();
        input.read_until(b'\n', &mut header)?;
        let delimiter = opts.delimiter.or(detect_delimiter(&header)).unwrap_or(b',');
        let mut rdr = ReaderBuilder::new()
            .delimiter(delimiter)
            .flexible(true)
            .from_reader(QuoteCount::new(io::Cursor::new(header).chain(input)));
        let cols = columns(&mut rdr, opts, delimiter, Some(delimiter))?;
        let mut report = EventReadReport::new(EventFormat::Csv, Some(delimiter));
        let (mut log, mut rows) = (EventLog::new(), RowParser::new(opts));
        let start = Location { line: 1, record: 0 };
        read_records(
            &mut rdr,
            start,
            &cols,
            opts,
            &mut rows,
            &mut log,
            &mut report,
        )?;
        Ok((log, report))
    }

    /// Both readers give the same log (as the table it builds), report and error.
    fn agree(text: &str, opts: &EventOptions) {
        let a = crate::events::read_events(text.as_bytes(), opts);
        let b = by_records(text.as_bytes(), opts);
        match (a, b) {
            (Ok((mut la, ra)), Ok((mut lb, rb))) => {
                assert_eq!(ra, rb, "{text}");
                let j = JourneyOptions::default();
                assert_eq!(la.build(&j).unwrap(), lb.build(&j).unwrap(), "{text}");
            }
            (Err(ea), Err(eb)) => assert_eq!(ea.to_string(), eb.to_string(), "{text}"),
            (a, b) => panic!("{text}: {:?} vs {:?}", a.map(|x| x.1), b.map(|x| x.1)),
        }
    }

    #[test]
    fn blocks_read_what_the_csv_crate_reads() {
        let good = "user_id,timestamp,channel,conversion,value\n\
                    u1,2024-03-01T10:00:00Z,Search,0,\n\
                    u2,1709287200,Email,,\n\
                    u1,2024-03-02T10:00:00+01:00,,1,25.5\n";
        let bad_rows = [
            "u1,not a time,Search,0,\n",
            "u1,2024-03-01T10:00:00Z,Search,0\n",
            ",2024-03-01T10:00:00Z,Search,0,\n",
            "u1,2024-03-01T10:00:00Z,,0,\n",
            "u1,2024-03-01T10:00:00Z,(start),0,\n",
            "u1,2024-03-01T10:00:00Z,Search,0,3\n",
            "u1,2024-03-01T10:00:00Z,Search,-1,\n",
            "   \n",
            "u3,2024-03-01T10:00:00Z,Search,0,\n\n",
            "u3,2024-03-01T10:00:00Z,\"Se,arch\",0,\n",
            "u3,2024-03-01T10:00:00Z,Search,0,\r\n",
            "u\u{e9},2024-03-01T10:00:00Z, Search ,true,\n",
        ];
        for mode in [BadRows::Error, BadRows::Skip] {
            let opts = EventOptions {
                bad_rows: mode,
                ..EventOptions::default()
            };
            agree(good, &opts);
            for bad in bad_rows {
                agree(&format!("{good}{bad}{}", &good[43..]), &opts);
                agree(&format!("{good}{bad}"), &opts);
            }
            let keyed = EventOptions {
                key_columns: vec!["campaign".into()],
                ..opts.clone()
            };
            agree(
                "user_id,timestamp,channel,campaign,conversion\n\
                 u1,2024-03-01T10:00:00Z,Search,brand,0\n\
                 u1,2024-03-01T11:00:00Z,Search,,0\n\
                 u1,2024-03-01T12:00:00Z,Search,a/b,0\n\
                 u1,2024-03-01T13:00:00Z,,,1\n",
                &keyed,
            );
        }
    }

    #[test]
    fn a_block_the_csv_crate_reads_keeps_what_was_read_after_it() {
        let mut text = String::from("user_id,timestamp,channel,conversion,value\n");
        let rows = |text: &mut String, from: usize| {
            for i in from..from + 250_000 {
                let conversion = u8::from(i % 11 == 0);
                text.push_str(&format!("u{},{},C{},{conversion},\n", i % 997, i, i % 7));
            }
        };
        rows(&mut text, 0);
        // A quote in the second block, with whole blocks after it, one with a blank line.
        text.push_str("u2,1700000001,\"C,1\",0,\n");
        let quote = text.len();
        rows(&mut text, 250_000);
        text.push_str("\nu3,1700000002,C2,1,\n");
        rows(&mut text, 500_000);
        assert!(quote > blocks::BLOCK_BYTES && text.len() > quote + 2 * blocks::BLOCK_BYTES);
        for mode in [BadRows::Error, BadRows::Skip] {
            let opts = EventOptions {
                bad_rows: mode,
                ..EventOptions::default()
            };
            if mode == BadRows::Skip {
                agree(&text, &opts);
            }
            // The input fails once (then ends) in the block read after the one with the quote
            // (the block pipeline reads it before it knows that the csv crate must read the
            // quote): both readers fail with that error.
            let fail_at = quote + blocks::BLOCK_BYTES;
            let a = crate::events::read_events(blocks::FailsOnce(text.as_bytes(), fail_at), &opts);
            let b = by_records(blocks::FailsOnce(text.as_bytes(), fail_at), &opts);
            match (a, b) {
                (Err(ea), Err(eb)) => {
                    assert_eq!(ea.to_string(), eb.to_string());
                    assert!(ea.to_string().contains("the disk is gone"), "{ea}");
                }
                (a, b) => panic!("{:?} vs {:?}", a.map(|x| x.1), b.map(|x| x.1)),
            }
        }
    }

    #[test]
    fn many_blocks_keep_line_numbers() {
        let mut text = String::from("user_id,timestamp,channel,conversion,value\n");
        for i in 0..400_000 {
            text.push_str(&format!(
                "u{},{},C{},0,\n",
                i % 1000,
                1_700_000_000 + i,
                i % 7
            ));
        }
        text.push_str("u1,never,C1,0,\n");
        // A quote in the last block: the csv crate reads it, its lines shifted to the file's.
        text.push_str("u2,1700000001,\"C,1\",0,\n\nu2,never,C1,0,\n");
        let skip = EventOptions {
            bad_rows: BadRows::Skip,
            ..EventOptions::default()
        };
        agree(&text, &skip);
        let err = crate::events::read_events(text.as_bytes(), &EventOptions::default());
        match err {
            Err(Error::Parse { at, .. }) => assert_eq!(at.line, 400_002),
            other => panic!("{:?}", other.map(|x| x.1)),
        }
    }
}
