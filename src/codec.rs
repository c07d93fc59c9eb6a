//! A compact, versioned binary form of a [`PathTable`]: what shards of a cluster job ship to the
//! node that merges them.
//!
//! A path table is the sufficient statistic of every model (the
//! [model reference](crate::reference), §Conventions / Path tables) and it merges by
//! summing, so any engine can scale attribution out the same way: each shard builds a partial
//! table from its share of the data, [`encode`]s it, the reducer [`decode`]s and
//! [`PathTable::merge`]s the partial tables, and the models run once on the merged table. The
//! DataFusion aggregate of the `datafusion` feature ships exactly these bytes as its partial
//! state; a Spark, Flink or hand-rolled job can do the same.
//!
//! ```
//! use touchpoint::{codec, AttributionModel, Linear, Outcome, PathTable};
//! // Two shards, built wherever the data is.
//! let mut shard_a = PathTable::new();
//! shard_a.add(["Search", "Email"], Outcome::new(2.0, 30.0, 1.0))?;
//! let mut shard_b = PathTable::new();
//! shard_b.add(["Email"], Outcome::new(1.0, 5.0, 4.0))?;
//! shard_b.add(["Search", "Email"], Outcome::null(2.0))?;
//! let shipped = [codec::encode(&shard_a), codec::encode(&shard_b)];
//! // The reducer.
//! let mut merged = PathTable::new();
//! for bytes in &shipped {
//!     merged.merge(&codec::decode(bytes)?)?;
//! }
//! assert_eq!(merged.len(), 2);
//! assert_eq!(merged.totals(), Outcome::new(3.0, 35.0, 7.0));
//! // Linear: Search gets 1 of the 2 conversions of "Search > Email", Email the rest.
//! assert_eq!(Linear::default().attribute(&merged)?.conversions("Email"), 2.0);
//! # Ok::<(), touchpoint::Error>(())
//! ```
//!
//! # Format (version 2)
//!
//! All integers are unsigned LEB128 varints (7 bits per byte, low bits first, at most 10
//! bytes) unless noted; floats are IEEE 754 binary64, little-endian.
//!
//! ```text
//! magic          4 bytes  "TPPT"
//! version        1 byte   2
//! flags          1 byte   bit 0: some rows carry timestamps; other bits 0
//! max_path_len   varint   the table's path-length limit
//! channels       varint   C, then C × (varint byte length, UTF-8 name), in id order
//! rows           varint   R, then R rows in table order:
//!   length       varint   L ≥ 1
//!   ids          L varints, each < C
//!   tag          1 byte   bits 0-1 conversions, 2-3 value, 4-5 nulls:
//!                           0 = the number is +0.0 (nothing follows)
//!                           1 = a whole number ≤ 2^53 follows as a varint
//!                           2 = the number follows as 8 bytes (f64, little-endian)
//!                         bits 6-7 timestamps (only with flag bit 0):
//!                           0 = untimed row, 1 = timed row, 2 = timed row with conversion time
//!   numbers               conversions, value, nulls as the tag says
//!   times (timed rows)    first touch as a zigzag varint (µs since the epoch), then L − 1
//!                         varint gaps to the previous touch, then (code 2) the varint gap from
//!                         the last touch to the conversion
//! checksum       4 bytes  CRC-32 (IEEE, as zlib and PNG) of every byte before it, little-endian
//! (end of input: trailing bytes are an error)
//! ```
//!
//! Version 1 is version 2 without the checksum; [`decode`] still reads it.
//!
//! Rows are written in table order and decoded in the same order, so `decode(encode(t))` equals
//! `t` row by row (not only in content); the vocabulary keeps its ids, also for channels no row
//! uses. Whole-number counts (the usual case) take one or two bytes and a fractional value 8, so
//! a row of length L over fewer than 128 channels takes at most L + 12 bytes: the seeded table
//! of 1M distinct paths in `tests/suite/reliability/codec.rs` (mean length 6.4, 30 channels, values
//! in cents) encodes to 16.2 bytes per row, against about 93 bytes per row in memory.
//!
//! **Integrity.** The checksum is verified before anything else is decoded: a CRC-32 detects
//! every single-bit error and every burst of up to 32 bits, so a flipped bit anywhere (header,
//! counts, names, the checksum itself) is [`DecodeProblem::ChecksumMismatch`] and never a
//! different valid table, and a truncated table fails the check (or, for a cut inside the
//! header, is [`DecodeProblem::Truncated`]).
//!
//! **Versioning.** A decoder reads exactly the versions it knows (here: 1 and 2) and refuses others
//! with [`DecodeProblem::UnsupportedVersion`]; a later version will keep the magic bytes and the
//! position of the version byte, so old readers fail cleanly on new data.
//!
//! **Validation.** [`decode`] never panics and never allocates more than the input's size
//! justifies: truncated input, wrong magic bytes, an unknown version or flag, a varint over 64
//! bits, a count larger than the rest of the input, a channel id outside the vocabulary, an
//! invalid or duplicate channel name, a duplicate untimed path, an invalid count (negative, NaN,
//! infinite, value without conversions), timestamps out of order or out of range, and trailing
//! bytes are all an [`Error::Decode`] with the byte offset and a [`DecodeProblem`].

use std::io::Write;

use crate::channel::ChannelId;
pub use crate::error::DecodeProblem;
use crate::error::{Error, ParseProblem, Result};
use crate::outcome::Outcome;
use crate::table::PathTable;

/// The first four bytes of every encoded table.
pub const MAGIC: [u8; 4] = *b"TPPT";

/// The format version [`encode`] writes (the newest [`decode`] reads).
pub const VERSION: u8 = 2;

/// The first version, without checksum: still decoded.
const VERSION_1: u8 = 1;

/// Bytes of the checksum at the end of a version-2 table.
const CHECKSUM_BYTES: usize = 4;

/// Header flag: some rows carry timestamps (rows then have a timestamp code in their tag).
const FLAG_TIMED: u8 = 1;

/// Number codes of the row tag (2 bits per number).
const NUM_ZERO: u8 = 0;
const NUM_WHOLE: u8 = 1;
const NUM_F64: u8 = 2;

/// Timestamp codes of the row tag (bits 6-7).
const TIME_NONE: u8 = 0;
const TIME_TOUCHES: u8 = 1;
const TIME_CONVERSION: u8 = 2;

/// Largest whole number written as a varint: every integer up to 2^53 is an exact `f64`.
const MAX_WHOLE: u64 = 1 << 53;

/// Bytes buffered by [`encode_into`] between writes.
const FLUSH_AT: usize = 64 * 1024;

/// Encodes `table` (see the [module docs](self) for the format).
///
/// # Complexity
/// O(R + T) time for R rows and T touches; the output is about `2 + L + (0..24)` bytes per row
/// of length L over fewer than 128 channels (see the module docs), plus the channel names.
pub fn encode(table: &PathTable) -> Vec<u8> {
    let mut out = Vec::with_capacity(16 + table.touch_count() + 4 * table.len());
    // Writing into a `Vec` cannot fail: the sink never returns an error.
    let _ = encode_with(table, &mut out, |_| Ok(()));
    out
}

/// Encodes `table` into a writer, buffering about 64 KiB at a time (the writer need not be
/// buffered).
///
/// # Errors
/// [`Error::Io`] if writing fails.
pub fn encode_into<W: Write>(table: &PathTable, out: &mut W) -> Result<()> {
    let mut buf = Vec::with_capacity(FLUSH_AT + 1024);
    encode_with(table, &mut buf, |buf| {
        out.write_all(buf)?;
        buf.clear();
        Ok(())
    })?;
    out.write_all(&buf)?;
    Ok(())
}

/// The one encoder: appends to `buf` and calls `flush` whenever `buf` holds [`FLUSH_AT`] bytes
/// or more (`flush` may empty it).
fn encode_with(
    table: &PathTable,
    buf: &mut Vec<u8>,
    mut flush: impl FnMut(&mut Vec<u8>) -> Result<()>,
) -> Result<()> {
    // Every byte goes through `buf`: `hashed` bytes of it are already in the checksum.
    let mut crc = crc32fast::Hasher::new();
    let mut hashed = buf.len();
    let mut flush = |buf: &mut Vec<u8>| -> Result<()> {
        crc.update(&buf[hashed..]);
        flush(buf)?;
        hashed = buf.len();
        Ok(())
    };
    let timed = table.has_times();
    buf.extend_from_slice(&MAGIC);
    buf.push(VERSION);
    buf.push(if timed { FLAG_TIMED } else { 0 });
    put_varint(buf, table.max_path_len() as u64);
    put_varint(buf, table.channels().len() as u64);
    for (_, name) in table.channels().iter() {
        put_varint(buf, name.len() as u64);
        buf.extend_from_slice(name.as_bytes());
        if buf.len() >= FLUSH_AT {
            flush(buf)?;
        }
    }
    put_varint(buf, table.len() as u64);
    for row in table.rows() {
        put_varint(buf, row.path.len() as u64);
        for id in row.path {
            put_varint(buf, u64::from(id.0));
        }
        let o = row.outcome;
        let nums = [o.conversions, o.value, o.nulls];
        let mut tag = 0u8;
        for (i, &x) in nums.iter().enumerate() {
            tag |= number_code(x) << (2 * i);
        }
        let time_code = match (row.times, row.converted_at) {
            (None, _) => TIME_NONE,
            (Some(_), None) => TIME_TOUCHES,
            (Some(_), Some(_)) => TIME_CONVERSION,
        };
        buf.push(tag | time_code << 6);
        for x in nums {
            match number_code(x) {
                NUM_WHOLE => put_varint(buf, x as u64),
                NUM_F64 => buf.extend_from_slice(&x.to_le_bytes()),
                _ => {}
            }
        }
        if let Some(times) = row.times {
            // A timed row has one time per touch (L ≥ 1) in non-decreasing order, and its
            // conversion (if known) is not earlier than its last touch: the gaps are ≥ 0, and
            // `wrapping_sub` read as u64 is the exact gap even across the whole i64 range.
            let mut prev = times[0];
            put_varint(buf, zigzag(prev));
            for &t in &times[1..] {
                put_varint(buf, t.wrapping_sub(prev) as u64);
                prev = t;
            }
            if let Some(c) = row.converted_at {
                put_varint(buf, c.wrapping_sub(prev) as u64);
            }
        }
        if buf.len() >= FLUSH_AT {
            flush(buf)?;
        }
    }
    flush(buf)?;
    let sum = crc.finalize();
    buf.extend_from_slice(&sum.to_le_bytes());
    Ok(())
}

/// How a (valid, so finite and ≥ 0) count is written: +0.0 as nothing, whole numbers ≤ 2^53 as
/// a varint, anything else (fractions, -0.0) as its 8 bytes.
fn number_code(x: f64) -> u8 {
    if x.to_bits() == 0 {
        NUM_ZERO
    } else if x.is_sign_positive() && x.fract() == 0.0 && x <= MAX_WHOLE as f64 {
        NUM_WHOLE
    } else {
        NUM_F64
    }
}

fn put_varint(buf: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        buf.push(v as u8 | 0x80);
        v >>= 7;
    }
    buf.push(v as u8);
}

fn zigzag(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

fn unzigzag(v: u64) -> i64 {
    (v >> 1) as i64 ^ -((v & 1) as i64)
}

/// Decodes a table written by [`encode`] or [`encode_into`].
///
/// The table is rebuilt through the public row API, so everything a table guarantees is
/// checked again: valid channel names, counts and timestamps.
///
/// # Errors
/// [`Error::Decode`] with the byte offset and the [`DecodeProblem`] for any malformed input
/// (see the module docs); never panics.
///
/// # Complexity
/// O(n) time for n input bytes; memory is the table's (bounded by a small multiple of n).
pub fn decode(bytes: &[u8]) -> Result<PathTable> {
    let mut r = Reader { bytes, pos: 0 };
    if r.take(MAGIC.len(), "the magic bytes")? != MAGIC {
        return Err(r.fail_at(0, DecodeProblem::BadMagic));
    }
    let version = r.byte("the version")?;
    match version {
        VERSION_1 => {}
        VERSION => {
            // The header (magic, version, flags) and the checksum, at least.
            let Some(end) = bytes
                .len()
                .checked_sub(CHECKSUM_BYTES)
                .filter(|&e| e > r.pos)
            else {
                return Err(r.fail_at(
                    bytes.len(),
                    DecodeProblem::Truncated {
                        what: "the checksum",
                    },
                ));
            };
            let mut stored = [0u8; CHECKSUM_BYTES];
            stored.copy_from_slice(&bytes[end..]);
            let stored = u32::from_le_bytes(stored);
            let computed = crc32fast::hash(&bytes[..end]);
            if stored != computed {
                return Err(r.fail_at(end, DecodeProblem::ChecksumMismatch { stored, computed }));
            }
            r.bytes = &bytes[..end];
        }
        found => {
            return Err(r.fail_at(
                MAGIC.len(),
                DecodeProblem::UnsupportedVersion {
                    found,
                    supported: VERSION,
                },
            ));
        }
    }
    let bytes = r.bytes;
    let flags = r.byte("the flags")?;
    if flags & !FLAG_TIMED != 0 {
        return Err(r.fail_at(
            r.pos - 1,
            DecodeProblem::UnknownFlags {
                bits: flags & !FLAG_TIMED,
            },
        ));
    }
    let timed = flags & FLAG_TIMED != 0;
    let limit = r.varint("the path-length limit")?;
    let limit = usize::try_from(limit).map_err(|_| {
        r.fail(DecodeProblem::OutOfRange {
            what: "the path-length limit",
            value: limit,
            max: usize::MAX as u64,
        })
    })?;
    let mut table = PathTable::new();
    table.set_max_path_len(limit);

    let channels = r.count("the channel count", u64::from(u32::MAX))?;
    let mut names: Vec<&str> = Vec::with_capacity(channels);
    for index in 0..channels as u64 {
        let start = r.pos;
        let len = r.count("a channel name length", u64::MAX)?;
        let name = std::str::from_utf8(r.take(len, "a channel name")?)
            .map_err(|_| r.fail_at(start, DecodeProblem::InvalidUtf8 { index }))?;
        match table.intern(name) {
            Ok(id) if id.index() as u64 == index => names.push(name),
            Ok(_) => {
                return Err(r.fail_at(start, DecodeProblem::DuplicateChannel { name: name.into() }));
            }
            Err(Error::InvalidPath(problem)) => {
                return Err(r.fail_at(start, DecodeProblem::InvalidChannel { index, problem }));
            }
            Err(other) => return Err(other),
        }
    }

    let rows = r.count("the row count", u64::from(u32::MAX))?;
    let mut ids: Vec<ChannelId> = Vec::new();
    let mut times: Vec<i64> = Vec::new();
    for row in 0..rows as u64 {
        let row_start = r.pos;
        let len = r.count("a path length", u64::MAX)?;
        ids.clear();
        for _ in 0..len {
            let id = r.varint("a channel id")?;
            if id >= channels as u64 {
                return Err(r.fail(DecodeProblem::OutOfRange {
                    what: "channel id",
                    value: id,
                    max: (channels as u64).saturating_sub(1),
                }));
            }
            // `id < channels ≤ u32::MAX`.
            ids.push(ChannelId(id as u32));
        }
        let tag = r.byte("a row tag")?;
        let mut nums = [0.0f64; 3];
        for (i, (x, what)) in nums
            .iter_mut()
            .zip(["conversions", "value", "nulls"])
            .enumerate()
        {
            *x = match (tag >> (2 * i)) & 3 {
                NUM_ZERO => 0.0,
                NUM_WHOLE => {
                    let v = r.varint(what)?;
                    if v > MAX_WHOLE {
                        return Err(r.fail(DecodeProblem::OutOfRange {
                            what,
                            value: v,
                            max: MAX_WHOLE,
                        }));
                    }
                    v as f64
                }
                NUM_F64 => f64::from_le_bytes(r.array(what)?),
                code => {
                    return Err(r.fail_at(row_start, DecodeProblem::UnknownTag { row, what, code }));
                }
            };
        }
        let outcome = Outcome::new(nums[0], nums[1], nums[2]);
        let time_code = tag >> 6;
        let added = match time_code {
            TIME_NONE => {
                let before = table.len();
                table.add_ids(&ids, outcome).map(|_| {
                    if table.len() == before {
                        Err(r.fail_at(row_start, DecodeProblem::DuplicatePath { row }))
                    } else {
                        Ok(())
                    }
                })
            }
            TIME_TOUCHES | TIME_CONVERSION if timed => {
                times.clear();
                if len > 0 {
                    let mut t = unzigzag(r.varint("a touch time")?);
                    times.push(t);
                    for _ in 1..len {
                        t = r.later(t, "a touch time")?;
                        times.push(t);
                    }
                }
                let converted_at = if time_code == TIME_CONVERSION {
                    let last = times.last().copied().unwrap_or(0);
                    Some(r.later(last, "a conversion time")?)
                } else {
                    None
                };
                let path = ids.iter().map(|id| names[id.index()]);
                table
                    .add_timed(path, &times, converted_at, outcome)
                    .map(|_| Ok(()))
            }
            code => {
                return Err(r.fail_at(
                    row_start,
                    DecodeProblem::UnknownTag {
                        row,
                        what: "timestamp",
                        code,
                    },
                ));
            }
        };
        match added {
            Ok(inner) => inner?,
            Err(e) => return Err(r.fail_at(row_start, row_problem(row, e)?)),
        }
    }
    if r.pos != bytes.len() {
        return Err(r.fail(DecodeProblem::TrailingBytes {
            count: bytes.len() - r.pos,
        }));
    }
    Ok(table)
}

/// The decode problem of a row the table refused; errors that are not about the row's content
/// (none are expected once ids and counts are checked) pass through unchanged.
fn row_problem(row: u64, e: Error) -> Result<DecodeProblem> {
    let problem = match e {
        Error::InvalidPath(p) => p,
        Error::InvalidCount {
            field,
            value,
            reason,
        } => ParseProblem::InvalidCount {
            field: field.to_string(),
            value,
            reason,
        },
        other => return Err(other),
    };
    Ok(DecodeProblem::InvalidRow { row, problem })
}

/// A cursor over the input that turns every shortfall into a typed error.
struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn fail(&self, problem: DecodeProblem) -> Error {
        self.fail_at(self.pos, problem)
    }

    fn fail_at(&self, offset: usize, problem: DecodeProblem) -> Error {
        Error::Decode { offset, problem }
    }

    fn remaining(&self) -> usize {
        self.bytes.len() - self.pos
    }

    fn take(&mut self, n: usize, what: &'static str) -> Result<&'a [u8]> {
        if n > self.remaining() {
            return Err(self.fail(DecodeProblem::Truncated { what }));
        }
        let s = &self.bytes[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    fn array<const N: usize>(&mut self, what: &'static str) -> Result<[u8; N]> {
        let mut a = [0u8; N];
        a.copy_from_slice(self.take(N, what)?);
        Ok(a)
    }

    fn byte(&mut self, what: &'static str) -> Result<u8> {
        Ok(self.take(1, what)?[0])
    }

    fn varint(&mut self, what: &'static str) -> Result<u64> {
        let start = self.pos;
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.byte(what)?;
            let bits = u64::from(b & 0x7f);
            // The 10th byte (shift 63) may only hold the top bit.
            if shift == 63 && bits > 1 {
                return Err(self.fail_at(start, DecodeProblem::VarintOverflow { what }));
            }
            v |= bits << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(self.fail_at(start, DecodeProblem::VarintOverflow { what }))
    }

    /// A count of items that take at least one byte each: at most `max` and at most the bytes
    /// left, so no count can make the decoder allocate more than the input justifies.
    fn count(&mut self, what: &'static str, max: u64) -> Result<usize> {
        let start = self.pos;
        let v = self.varint(what)?;
        if v > max {
            return Err(self.fail_at(
                start,
                DecodeProblem::OutOfRange {
                    what,
                    value: v,
                    max,
                },
            ));
        }
        if v > self.remaining() as u64 {
            return Err(self.fail_at(start, DecodeProblem::Truncated { what }));
        }
        // `v ≤ remaining`, a `usize`.
        Ok(v as usize)
    }

    /// `prev` plus a varint gap, refusing a sum past `i64::MAX`.
    fn later(&mut self, prev: i64, what: &'static str) -> Result<i64> {
        let start = self.pos;
        let gap = self.varint(what)?;
        prev.checked_add_unsigned(gap).ok_or_else(|| {
            self.fail_at(
                start,
                DecodeProblem::OutOfRange {
                    what,
                    value: gap,
                    max: i64::MAX.abs_diff(prev),
                },
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_err(bytes: &[u8]) -> (usize, DecodeProblem) {
        match decode(bytes) {
            Err(Error::Decode { offset, problem }) => (offset, problem),
            other => panic!("expected a decode error, got {other:?}"),
        }
    }

    /// Table `A > B` (2 conversions, value 2.5, 1 null) and `B` (3 nulls), hand-encoded.
    fn small() -> (PathTable, Vec<u8>) {
        let mut t = PathTable::new();
        t.add(["A", "B"], Outcome::new(2.0, 2.5, 1.0)).unwrap();
        t.add(["B"], Outcome::null(3.0)).unwrap();
        let mut bytes = b"TPPT".to_vec();
        bytes.extend([1, 0]); // version 1, untimed
        bytes.extend([0x90, 0x4e]); // limit 10_000 = 0x2710 → 0x10|0x80, 0x4e
        bytes.extend([2, 1, b'A', 1, b'B']); // channels
        bytes.push(2); // rows
        // row 0: L = 2, ids 0 1, tag: conversions whole (1), value f64 (2 << 2), nulls whole (1 << 4)
        bytes.extend([2, 0, 1, 1 | 2 << 2 | 1 << 4, 2]);
        bytes.extend(2.5f64.to_le_bytes());
        bytes.push(1);
        // row 1: L = 1, id 1, tag: nulls whole only
        bytes.extend([1, 1, 1 << 4, 3]);
        (t, bytes)
    }

    /// The version-2 form of hand-encoded version-1 bytes: version byte 2, CRC-32 appended.
    fn v2(v1: &[u8]) -> Vec<u8> {
        let mut bytes = v1.to_vec();
        bytes[4] = 2;
        let crc = crc32fast::hash(&bytes);
        bytes.extend(crc.to_le_bytes());
        bytes
    }

    #[test]
    fn the_format_is_as_documented() {
        let (t, v1) = small();
        let bytes = v2(&v1);
        assert_eq!(encode(&t), bytes);
        let back = decode(&bytes).unwrap();
        assert_eq!(back.to_named_rows(), t.to_named_rows());
        let mut streamed = Vec::new();
        encode_into(&t, &mut streamed).unwrap();
        assert_eq!(streamed, bytes);
        // Version 1 (no checksum) is still read.
        assert_eq!(decode(&v1).unwrap().to_named_rows(), t.to_named_rows());
    }

    #[test]
    fn a_flipped_bit_or_a_cut_is_a_checksum_error() {
        let (_, v1) = small();
        let bytes = v2(&v1);
        let mut bad = bytes.clone();
        bad[20] ^= 4;
        assert!(matches!(
            decode_err(&bad),
            (off, DecodeProblem::ChecksumMismatch { .. }) if off == bytes.len() - 4
        ));
        assert!(matches!(
            decode_err(&bytes[..bytes.len() - 1]).1,
            DecodeProblem::ChecksumMismatch { .. }
        ));
        assert_eq!(
            decode_err(&bytes[..8]).1,
            DecodeProblem::Truncated {
                what: "the checksum"
            }
        );
    }

    #[test]
    fn timed_rows_round_trip_at_the_ends_of_the_time_range() {
        let mut t = PathTable::new();
        t.add_timed(
            ["A", "B"],
            &[i64::MIN + 1, i64::MAX],
            None,
            Outcome::null(1.0),
        )
        .unwrap();
        t.add_timed(["B"], &[-5], Some(i64::MAX), Outcome::converted(1.0, 0.25))
            .unwrap();
        t.add(["A"], Outcome::converted(1.0, 0.0)).unwrap();
        let back = decode(&encode(&t)).unwrap();
        assert_eq!(back, t);
        for (a, b) in back.rows().zip(t.rows()) {
            assert_eq!(a.times, b.times);
            assert_eq!(a.converted_at, b.converted_at);
        }
    }

    #[test]
    fn header_problems_are_typed() {
        let (_, bytes) = small();
        let mut bad = bytes.clone();
        bad[0] = b'X';
        assert_eq!(decode_err(&bad), (0, DecodeProblem::BadMagic));
        let mut bad = bytes.clone();
        bad[4] = 3;
        assert_eq!(
            decode_err(&bad),
            (
                4,
                DecodeProblem::UnsupportedVersion {
                    found: 3,
                    supported: 2
                }
            )
        );
        let mut bad = bytes.clone();
        bad[5] = 0x82;
        assert_eq!(
            decode_err(&bad),
            (5, DecodeProblem::UnknownFlags { bits: 0x82 })
        );
        let mut bad = bytes.clone();
        bad.push(0);
        assert_eq!(
            decode_err(&bad),
            (bytes.len(), DecodeProblem::TrailingBytes { count: 1 })
        );
        assert_eq!(
            decode_err(&bytes[..3]),
            (
                0,
                DecodeProblem::Truncated {
                    what: "the magic bytes"
                }
            )
        );
    }

    #[test]
    fn row_problems_are_typed() {
        let (_, bytes) = small();
        // Row 0 starts after the header (6), the limit (2), the channels (5) and the row count (1).
        let row0 = 14;
        let mut bad = bytes.clone();
        bad[row0 + 2] = 2; // channel id 2 of 2 channels
        assert!(matches!(
            decode_err(&bad).1,
            DecodeProblem::OutOfRange {
                what: "channel id",
                value: 2,
                max: 1
            }
        ));
        let mut bad = bytes.clone();
        bad[row0 + 5..row0 + 13].copy_from_slice(&f64::NAN.to_le_bytes());
        assert!(matches!(
            decode_err(&bad),
            (
                14,
                DecodeProblem::InvalidRow {
                    row: 0,
                    problem: ParseProblem::InvalidCount { .. }
                }
            )
        ));
        let mut bad = bytes.clone();
        bad[row0 + 3] |= 3 << 4; // nulls code 3
        assert!(matches!(
            decode_err(&bad).1,
            DecodeProblem::UnknownTag {
                row: 0,
                what: "nulls",
                code: 3
            }
        ));
        let mut bad = bytes.clone();
        bad[row0 + 3] |= 1 << 6; // a timed row in an untimed table
        assert!(matches!(
            decode_err(&bad).1,
            DecodeProblem::UnknownTag {
                what: "timestamp",
                ..
            }
        ));
        // Row 1 repeats row 0's path.
        let mut bad = bytes[..bytes.len() - 4].to_vec();
        bad.extend([2, 0, 1, 1 << 4, 3]);
        assert_eq!(decode_err(&bad).1, DecodeProblem::DuplicatePath { row: 1 });
        // A duplicate channel name.
        let mut bad = bytes.clone();
        bad[12] = b'A'; // B → A
        assert_eq!(
            decode_err(&bad).1,
            DecodeProblem::DuplicateChannel { name: "A".into() }
        );
    }

    #[test]
    fn huge_counts_do_not_allocate() {
        let mut bytes = b"TPPT\x01\x00\x01".to_vec();
        bytes.extend([0xff, 0xff, 0xff, 0xff, 0x0f]); // 2^32 - 1 channels, no bytes follow
        assert_eq!(
            decode_err(&bytes),
            (
                7,
                DecodeProblem::Truncated {
                    what: "the channel count"
                }
            )
        );
        let mut bytes = b"TPPT\x01\x00".to_vec();
        bytes.extend([0xff; 10]);
        assert!(matches!(
            decode_err(&bytes).1,
            DecodeProblem::VarintOverflow { .. }
        ));
    }

    #[test]
    fn numbers_take_the_shortest_exact_form() {
        assert_eq!(number_code(0.0), NUM_ZERO);
        assert_eq!(number_code(-0.0), NUM_F64);
        assert_eq!(number_code(3.0), NUM_WHOLE);
        assert_eq!(number_code(2f64.powi(53)), NUM_WHOLE);
        assert_eq!(number_code(2f64.powi(54)), NUM_F64);
        assert_eq!(number_code(0.5), NUM_F64);
        for v in [0, 1, -1, i64::MIN, i64::MAX] {
            assert_eq!(unzigzag(zigzag(v)), v);
        }
    }
}
