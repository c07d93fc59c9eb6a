//! Block-parallel reading of line-oriented input: the input is streamed in blocks of
//! [`BLOCK_BYTES`] (cut at a line end), each block is cut into chunks of about [`CHUNK_BYTES`] at
//! line ends, and the chunks are parsed in parallel (with the `parallel` feature) and combined in
//! order. Chunk boundaries depend only on the input, never on the number of threads, so results
//! are identical on any thread count. Memory is bounded by one block plus the parsed chunks.

use std::io::{self, BufRead, Read};

use crate::error::Location;

/// Bytes read per block (then extended to the end of the line).
pub(crate) const BLOCK_BYTES: usize = 4 << 20;
/// Target bytes per chunk (then extended to the end of the line).
const CHUNK_BYTES: usize = 1 << 20;

/// A reader that turns every line end into `\n`: `\r\n` and a bare `\r` (old Mac files, or a
/// stray CR inside a row) both become `\n`, so the block parser and the csv crate (which treats
/// `\r`, `\n` and `\r\n` as record ends) see the same lines, and lines are counted the same
/// way in both. Input without `\r` passes through after one `memchr` scan per read.
pub(crate) struct LineEnds<R> {
    inner: R,
    /// The last byte seen was `\r` (already emitted as `\n`): drop a `\n` that follows.
    after_cr: bool,
}

impl<R: Read> LineEnds<R> {
    pub(crate) fn new(inner: R) -> Self {
        LineEnds {
            inner,
            after_cr: false,
        }
    }
}

impl<R: Read> Read for LineEnds<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            let n = self.inner.read(buf)?;
            if n == 0 {
                return Ok(0);
            }
            let bytes = &mut buf[..n];
            // `memchr`'s vector search: the slice's `contains` is a byte-at-a-time loop.
            if !self.after_cr && memchr::memchr(b'\r', bytes).is_none() {
                return Ok(n);
            }
            let mut out = 0;
            for i in 0..n {
                let b = bytes[i];
                if b == b'\n' && self.after_cr {
                    self.after_cr = false;
                    continue;
                }
                self.after_cr = b == b'\r';
                bytes[out] = if self.after_cr { b'\n' } else { b };
                out += 1;
            }
            if out > 0 {
                return Ok(out);
            }
            // Only the `\n` of a `\r\n` split across reads: read on (0 would mean the end).
        }
    }
}

/// A reader that counts the `"` bytes it passes, so a CSV reader can tell a record that ran to
/// the end of the input with a quote still open (an unterminated quote) from a record with a
/// wrong field count.
pub(crate) struct QuoteCount<R> {
    inner: R,
    quotes: u64,
    read: u64,
    eof: bool,
}

impl<R: Read> QuoteCount<R> {
    pub(crate) fn new(inner: R) -> Self {
        QuoteCount {
            inner,
            quotes: 0,
            read: 0,
            eof: false,
        }
    }

    /// True when a record ending at byte `end` ends the input and an odd number of `"` was
    /// read: its quote is still open.
    pub(crate) fn open_at_end(&self, end: u64) -> bool {
        self.eof && end == self.read && self.quotes % 2 == 1
    }
}

impl<R: Read> Read for QuoteCount<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.quotes += buf[..n].iter().filter(|&&b| b == b'"').count() as u64;
        self.read += n as u64;
        self.eof |= n == 0 && !buf.is_empty();
        Ok(n)
    }
}

/// Bytes read ahead and not parsed, then the error that stopped the read after them (once),
/// then nothing: chained before the rest of the input, a reader sees what it would have seen
/// reading the input itself.
pub(crate) struct Unread {
    bytes: io::Cursor<Vec<u8>>,
    error: Option<io::Error>,
}

impl Unread {
    /// A block that was read and not parsed, then what the read of the block after it gave:
    /// `next` and `read`, the result of [`next_block`] into it (the bytes it read before an
    /// error are kept, and the error follows them).
    pub(crate) fn after(mut block: Vec<u8>, next: &[u8], read: io::Result<bool>) -> Self {
        let error = match read {
            Ok(true) => {
                block.extend_from_slice(next);
                None
            }
            // `next_block` cleared `next` and found nothing.
            Ok(false) => None,
            Err(e) => {
                block.extend_from_slice(next);
                Some(e)
            }
        };
        Unread {
            bytes: io::Cursor::new(block),
            error,
        }
    }
}

/// A reader of `.0` that fails once, after `.1` bytes, then ends (for tests of read errors).
#[cfg(test)]
pub(crate) struct FailsOnce<'a>(pub &'a [u8], pub usize);

#[cfg(test)]
impl Read for FailsOnce<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.1 == 0 {
            (self.0, self.1) = (&[], usize::MAX);
            return Err(io::Error::other("the disk is gone"));
        }
        let n = buf.len().min(self.0.len()).min(self.1);
        buf[..n].copy_from_slice(&self.0[..n]);
        (self.0, self.1) = (&self.0[n..], self.1 - n);
        Ok(n)
    }
}

impl Read for Unread {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self.bytes.read(buf)? {
            0 if !buf.is_empty() => self.error.take().map_or(Ok(0), Err),
            n => Ok(n),
        }
    }
}

/// Reads the next block of whole lines into `block`; false at the end of the input.
pub(crate) fn next_block<R: BufRead>(input: &mut R, block: &mut Vec<u8>) -> io::Result<bool> {
    block.clear();
    input.by_ref().take(BLOCK_BYTES as u64).read_to_end(block)?;
    if block.is_empty() {
        return Ok(false);
    }
    if block.last() != Some(&b'\n') {
        input.read_until(b'\n', block)?;
    }
    Ok(true)
}

/// Whole lines of a block, with the location of their first line.
#[derive(Debug)]
pub(crate) struct Chunk<'a> {
    bytes: &'a [u8],
    /// Location of the chunk's first line.
    pub start: Location,
    /// Location just after the chunk's last line.
    pub end: Location,
}

impl<'a> Chunk<'a> {
    /// The chunk's bytes (whole lines with their line ends).
    pub fn bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// The chunk as text when all of it is UTF-8: one check for the chunk instead of one a
    /// line (a line of it, cut at ASCII line ends, is then text too: [`Chunk::line_text`]).
    pub fn text(&self) -> Option<&'a str> {
        std::str::from_utf8(self.bytes).ok()
    }

    /// `line`, a line of this chunk (from [`Chunk::lines`] or [`Chunk::raw_lines`]), as the
    /// part of `text` (the chunk's [`Chunk::text`]) it is.
    ///
    /// # Panics
    /// If `line` is not a part of the chunk's bytes.
    pub fn line_text(&self, text: &'a str, line: &[u8]) -> &'a str {
        let start = (line.as_ptr() as usize)
            .checked_sub(self.bytes.as_ptr() as usize)
            .expect("a line of the chunk");
        &text[start..start + line.len()]
    }

    /// The chunk's lines (without `\n` or `\r\n`) with their locations.
    pub fn lines(&self) -> impl Iterator<Item = (Location, &'a [u8])> + 'a {
        let start = self.start;
        let bytes = self.bytes.strip_suffix(b"\n").unwrap_or(self.bytes);
        // Line ends found with `memchr`; the last line ends at the end of the bytes.
        let ends = memchr::memchr_iter(b'\n', bytes).chain(std::iter::once(bytes.len()));
        let mut from = 0;
        ends.enumerate().map(move |(i, end)| {
            let line = &bytes[from..end];
            from = end + 1;
            let at = Location {
                line: start.line + i as u64,
                record: start.record + i as u64,
            };
            (at, line.strip_suffix(b"\r").unwrap_or(line))
        })
    }

    /// The chunk's lines with their line ends (`\n`, and a `\r` before it, kept; the last line
    /// may have none), each with its line number.
    pub fn raw_lines(&self) -> impl Iterator<Item = (u64, &'a [u8])> + 'a {
        let (bytes, first) = (self.bytes, self.start.line);
        let mut from = 0;
        let ends = memchr::memchr_iter(b'\n', bytes).map(|i| i + 1);
        let ends = ends.chain((bytes.last() != Some(&b'\n')).then_some(bytes.len()));
        ends.enumerate().map(move |(i, end)| {
            let line = &bytes[from..end];
            from = end;
            (first + i as u64, line)
        })
    }

    /// Number of lines (what [`Chunk::lines`] yields).
    pub fn line_count(&self) -> usize {
        (self.end.line - self.start.line) as usize
    }

    /// Length in bytes.
    pub fn byte_len(&self) -> usize {
        self.bytes.len()
    }
}

/// Cuts `block` (whole lines) into chunks at line ends; `start` is the block's first line. Lines
/// are counted in parallel (the cuts themselves only look near each 1 MiB mark).
pub(crate) fn split_lines(block: &[u8], start: Location) -> Vec<Chunk<'_>> {
    let mut pieces = Vec::with_capacity(block.len() / CHUNK_BYTES + 1);
    let mut rest = block;
    while !rest.is_empty() {
        let cut = match rest.get(CHUNK_BYTES..) {
            None => rest.len(),
            Some(tail) => memchr::memchr(b'\n', tail).map_or(rest.len(), |i| CHUNK_BYTES + i + 1),
        };
        let (bytes, tail) = rest.split_at(cut);
        pieces.push(bytes);
        rest = tail;
    }
    let counts = map_ordered(&pieces, |bytes| {
        let newlines = memchr::memchr_iter(b'\n', bytes).count() as u64;
        newlines + u64::from(bytes.last() != Some(&b'\n'))
    });
    let mut at = start;
    pieces
        .into_iter()
        .zip(counts)
        .map(|(bytes, lines)| {
            let end = Location {
                line: at.line + lines,
                record: at.record + lines,
            };
            let chunk = Chunk {
                bytes,
                start: at,
                end,
            };
            at = end;
            chunk
        })
        .collect()
}

pub(crate) use crate::par::{map_ordered, overlap};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_cover_every_line_once_with_its_number() {
        let mut text = Vec::new();
        for i in 0..300_000 {
            text.extend_from_slice(format!("line {i}\r\n").as_bytes());
        }
        text.extend_from_slice(b"last without newline");
        let chunks = split_lines(&text, Location { line: 2, record: 0 });
        assert!(chunks.len() > 1);
        let lines: Vec<_> = chunks.iter().flat_map(|c| c.lines()).collect();
        assert_eq!(lines.len(), 300_001);
        for c in &chunks {
            assert_eq!(c.lines().count(), c.line_count());
            let raw: Vec<_> = c.raw_lines().collect();
            assert_eq!(raw.len(), c.line_count());
            assert_eq!(raw[0].0, c.start.line);
            assert_eq!(raw.iter().map(|l| l.1.len()).sum::<usize>(), c.byte_len());
        }
        for (i, (at, line)) in lines.iter().enumerate().take(300_000) {
            assert_eq!(at.line, i as u64 + 2);
            assert_eq!(*line, format!("line {i}").as_bytes());
        }
        assert_eq!(lines[300_000].1, b"last without newline");
        for c in &chunks {
            let text = c.text().expect("ASCII");
            for (_, line) in c.lines().chain(
                c.raw_lines()
                    .map(|(l, b)| (Location { line: l, record: 0 }, b)),
            ) {
                assert_eq!(c.line_text(text, line).as_bytes(), line);
            }
        }
        assert_eq!(chunks.last().unwrap().end.line, 300_003);
    }

    #[test]
    fn line_ends_become_newlines_across_reads() {
        let text = b"a\r\nb\rc\n\r\rd\r";
        for chunk in 1..=text.len() {
            // A reader that hands out `chunk` bytes at a time.
            struct Slow<'a>(&'a [u8], usize);
            impl Read for Slow<'_> {
                fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                    let n = self.1.min(self.0.len()).min(buf.len());
                    buf[..n].copy_from_slice(&self.0[..n]);
                    self.0 = &self.0[n..];
                    Ok(n)
                }
            }
            let mut out = Vec::new();
            LineEnds::new(Slow(text, chunk))
                .read_to_end(&mut out)
                .unwrap();
            assert_eq!(out, b"a\nb\nc\n\n\nd\n", "chunk {chunk}");
        }
    }

    #[test]
    fn blocks_end_at_line_ends() {
        let text = "a\nbb\nccc".repeat(3_000_000);
        let mut input = io::BufReader::new(text.as_bytes());
        let mut block = Vec::new();
        let mut total = 0;
        while next_block(&mut input, &mut block).unwrap() {
            total += block.len();
            assert!(block.ends_with(b"\n") || total == text.len());
        }
        assert_eq!(total, text.len());
    }
}
