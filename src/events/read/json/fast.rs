//! The fast path of the JSON Lines reader: a byte scanner for the usual line, one flat object
//! whose values are strings, numbers, booleans or `null`.
//!
//! It answers only for a line it understands completely, and then with exactly what the serde
//! path ([`super::json_row`]) returns for it. Every other line gets `None` and is read by the
//! serde path, so every error (and its message) still comes from one place. These lines go to
//! serde:
//! * a nested object or array, anywhere;
//! * a key with an escape (`\"`, `\u0041`: serde compares decoded keys);
//! * a key that appears twice (serde's [`ParseProblem::DuplicateKey`]), or more than
//!   [`MAX_KEYS`] keys;
//! * a `\u` escape that is a surrogate not paired as UTF-16 requires;
//! * invalid UTF-8 anywhere in the line (serde accepts it inside the strings it skips);
//! * any syntax error: a control character in a string, a bad escape, a malformed number or
//!   literal, a missing `:`, `,` or `}`, trailing text, a line that is not an object.
//!
//! What serde accepts, and so this scanner too (serde_json's grammar, RFC 8259): whitespace is
//! space, tab, `\n` and `\r` only; numbers are `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`,
//! read as their text (no rounding: big integer ids stay exact); a string is decoded with the
//! escapes `\" \\ \/ \b \f \n \r \t \uXXXX` (a surrogate pair is one character); `true` and
//! `false` read as those words, `null` as an empty field; a key that no role wants is read and
//! checked like the others, and its value is dropped.
//!
//! [`ParseProblem::DuplicateKey`]: crate::error::ParseProblem::DuplicateKey

use std::borrow::Cow;

use super::super::COLUMNS;

/// Most keys of an object read here (they are checked for duplicates by a linear scan).
pub(super) const MAX_KEYS: usize = 32;

/// The column names by role, as [`super::super::column_names`] gives them.
type Names<'a> = [(Option<&'a str>, bool); COLUMNS];

/// The names a key can be, built once per read: each distinct name with the roles it fills.
pub(super) struct Scanner<'n> {
    /// Distinct names, in role order, with a bit per role they fill (a name serves several
    /// roles only when the options give it twice).
    names: Vec<(&'n [u8], u16)>,
}

/// What the previous line of a chunk looked like: the name index of its `k`-th key (so a file
/// whose lines share one key order matches each key with one comparison).
pub(super) struct Hints([u8; MAX_KEYS]);

impl Default for Hints {
    fn default() -> Self {
        Hints([0; MAX_KEYS])
    }
}

/// No name index: the key was one no role wants.
const OTHER: u8 = u8::MAX;

impl<'n> Scanner<'n> {
    /// The scanner for these names, `None` when it cannot read for them: a JSON pointer (`/a/b`
    /// reads nested objects, which only the serde path does).
    pub(super) fn new(names: &Names<'n>) -> Option<Self> {
        if names
            .iter()
            .any(|(n, _)| n.is_some_and(|n| n.starts_with('/')))
        {
            return None;
        }
        let mut out: Vec<(&'n [u8], u16)> = Vec::new();
        for (role, (name, _)) in names.iter().enumerate() {
            // A name with a quote, a backslash or a control character never equals a key
            // without escapes (the only keys read here), so it is left out.
            let Some(name) = name.map(str::as_bytes).filter(|n| plain_len(n) == n.len()) else {
                continue;
            };
            match out.iter_mut().find(|(n, _)| *n == name) {
                Some((_, roles)) => *roles |= 1 << role,
                None => out.push((name, 1 << role)),
            }
        }
        Some(Scanner { names: out })
    }

    /// The fields of one line by role (`""` for a role whose key is absent), or `None` for a
    /// line the serde path must read.
    pub(super) fn scan<'l>(
        &self,
        line: &'l [u8],
        hints: &mut Hints,
    ) -> Option<[Cow<'l, str>; COLUMNS]> {
        let text = std::str::from_utf8(line).ok()?;
        let b = text.as_bytes();
        let mut out: [Cow<'l, str>; COLUMNS] = Default::default();
        let mut i = blank(b, 0);
        if b.get(i) != Some(&b'{') {
            return None;
        }
        i = blank(b, i + 1);
        // Names already seen (a bit per name index), and the keys no role wants.
        let mut seen = 0u64;
        let mut others = [(0usize, 0usize); MAX_KEYS];
        let mut n_others = 0;
        if b.get(i) == Some(&b'}') {
            i += 1;
        } else {
            let mut k = 0;
            loop {
                if b.get(i) != Some(&b'"') || k == MAX_KEYS {
                    return None;
                }
                let start = i + 1;
                let (end, name) = self.key(b, start, hints.0[k])?;
                hints.0[k] = name;
                k += 1;
                i = blank(b, end + 1);
                if b.get(i) != Some(&b':') {
                    return None;
                }
                i = blank(b, i + 1);
                let (value, next) = value(b, i)?;
                if name == OTHER {
                    let key = &b[start..end];
                    if others[..n_others].iter().any(|&(s, e)| &b[s..e] == key) {
                        return None; // a duplicate key
                    }
                    others[n_others] = (start, end);
                    n_others += 1;
                } else {
                    if seen & (1 << name) != 0 {
                        return None; // a duplicate key
                    }
                    seen |= 1 << name;
                    let v = value.text(text)?;
                    let roles = self.names[usize::from(name)].1;
                    if roles.is_power_of_two() {
                        out[roles.trailing_zeros() as usize] = v;
                    } else {
                        for (role, slot) in out.iter_mut().enumerate() {
                            if roles & (1 << role) != 0 {
                                *slot = v.clone();
                            }
                        }
                    }
                }
                i = blank(b, next);
                match b.get(i) {
                    Some(b',') => i = blank(b, i + 1),
                    Some(b'}') => {
                        i += 1;
                        break;
                    }
                    _ => return None,
                }
            }
        }
        (blank(b, i) == b.len()).then_some(out)
    }

    /// The key whose text starts at `start`: the index of its closing quote and its name index
    /// ([`OTHER`] for none), trying the name `hint` first; `None` for a key with an escape, a
    /// control character or no end.
    #[inline]
    fn key(&self, b: &[u8], start: usize, hint: u8) -> Option<(usize, u8)> {
        if let Some(&(name, _)) = self.names.get(usize::from(hint)) {
            let end = start + name.len();
            if b.get(end) == Some(&b'"') && same(&b[start..end], name) {
                return Some((end, hint));
            }
        }
        let end = start + plain_len(&b[start..]);
        if b.get(end) != Some(&b'"') {
            return None;
        }
        let key = &b[start..end];
        let found = self
            .names
            .iter()
            .position(|&(n, _)| n.len() == key.len() && same(n, key));
        // At most COLUMNS (11) names, so an index fits a u8 and never equals OTHER.
        Some((end, found.map_or(OTHER, |i| i as u8)))
    }
}

/// `a == b` for two slices of the same length, without a call for short keys.
#[inline]
fn same(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    debug_assert_eq!(n, b.len());
    let word = |s: &[u8], i: usize| {
        s.get(i..i + 8)
            .map(|w| u64::from_le_bytes([w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7]]))
    };
    let half = |s: &[u8], i: usize| {
        s.get(i..i + 4)
            .map(|w| u32::from_le_bytes([w[0], w[1], w[2], w[3]]))
    };
    match n {
        0..4 => a == b,
        4..8 => half(a, 0) == half(b, 0) && half(a, n - 4) == half(b, n - 4),
        8..=16 => word(a, 0) == word(b, 0) && word(a, n - 8) == word(b, n - 8),
        _ => a == b,
    }
}

/// Skips JSON whitespace from `i`.
#[inline]
fn blank(b: &[u8], mut i: usize) -> usize {
    while let Some(b' ' | b'\t' | b'\n' | b'\r') = b.get(i) {
        i += 1;
    }
    i
}

/// Bytes before the first `"`, `\` or control character (or the end), eight at a time.
#[inline]
fn plain_len(b: &[u8]) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let mut i = 0;
    while let Some(w) = b.get(i..i + 8) {
        let x = u64::from_le_bytes([w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7]]);
        // A high bit per byte that is `"`, `\` or below 0x20 (exact for the lowest such byte;
        // the bits above it may be wrong, and are not looked at).
        let quote = x ^ (ONES * u64::from(b'"'));
        let slash = x ^ (ONES * u64::from(b'\\'));
        let hit = (quote.wrapping_sub(ONES) & !quote)
            | (slash.wrapping_sub(ONES) & !slash)
            | (x.wrapping_sub(ONES * 0x20) & !x);
        let hit = hit & HIGH;
        if hit != 0 {
            return i + (hit.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    i + b[i..]
        .iter()
        .position(|&c| c == b'"' || c == b'\\' || c < 0x20)
        .unwrap_or(b.len() - i)
}

/// A value found by [`value`].
enum Value {
    /// A string between these bytes (without quotes); `escaped` if it has a `\`.
    Str {
        start: usize,
        end: usize,
        escaped: bool,
    },
    /// A number, as its text.
    Number { start: usize, end: usize },
    /// `true`, `false`, or `null` (empty).
    Word(&'static str),
}

impl Value {
    /// The field's text, as [`super::scalar_text`] gives it.
    fn text<'l>(&self, line: &'l str) -> Option<Cow<'l, str>> {
        Some(match *self {
            Value::Str {
                start,
                end,
                escaped: false,
            } => Cow::Borrowed(line.get(start..end)?),
            Value::Str { start, end, .. } => Cow::Owned(decode(line.get(start..end)?)?),
            Value::Number { start, end } => Cow::Borrowed(line.get(start..end)?),
            Value::Word(w) => Cow::Borrowed(w),
        })
    }
}

/// The scalar value starting at `i` and the index after it; `None` for an object, an array or
/// anything malformed.
fn value(b: &[u8], i: usize) -> Option<(Value, usize)> {
    match *b.get(i)? {
        b'"' => {
            let start = i + 1;
            let (end, escaped) = string_end(b, start)?;
            Some((
                Value::Str {
                    start,
                    end,
                    escaped,
                },
                end + 1,
            ))
        }
        b'-' | b'0'..=b'9' => {
            let end = number_end(b, i)?;
            Some((Value::Number { start: i, end }, end))
        }
        b't' => word(b, i, "true", "true"),
        b'f' => word(b, i, "false", "false"),
        b'n' => word(b, i, "null", ""),
        _ => None,
    }
}

fn word(b: &[u8], i: usize, spelled: &str, text: &'static str) -> Option<(Value, usize)> {
    let end = i + spelled.len();
    (b.get(i..end)? == spelled.as_bytes()).then_some((Value::Word(text), end))
}

/// The end of a JSON number starting at `i` (serde_json's grammar, see the module docs).
fn number_end(b: &[u8], mut i: usize) -> Option<usize> {
    let digits = |b: &[u8], mut i: usize| {
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        i
    };
    if b.get(i) == Some(&b'-') {
        i += 1;
    }
    match *b.get(i)? {
        b'0' => i += 1,
        b'1'..=b'9' => i = digits(b, i + 1),
        _ => return None,
    }
    if b.get(i) == Some(&b'.') {
        let j = digits(b, i + 1);
        if j == i + 1 {
            return None;
        }
        i = j;
    }
    if let Some(b'e' | b'E') = b.get(i) {
        i += 1;
        if let Some(b'+' | b'-') = b.get(i) {
            i += 1;
        }
        let j = digits(b, i);
        if j == i {
            return None;
        }
        i = j;
    }
    // A digit right after `0` (`01`) is refused by serde; anything else is the caller's.
    Some(i)
}

/// The index of the closing quote of a string whose text starts at `i`, and whether it has an
/// escape; `None` if it has a control character, a bad escape or a lone surrogate, or no end.
fn string_end(b: &[u8], mut i: usize) -> Option<(usize, bool)> {
    let mut escaped = false;
    loop {
        i += plain_len(&b[i..]);
        match *b.get(i)? {
            b'"' => return Some((i, escaped)),
            b'\\' => {
                escaped = true;
                i = escape(b, i + 1, &mut |_| {})?;
            }
            _ => return None, // a control character
        }
    }
}

/// Decodes the escape after a `\` at `i - 1`: gives its character to `push` and returns the
/// index after it; `None` for a bad escape or a surrogate that is not a pair.
fn escape(b: &[u8], i: usize, push: &mut impl FnMut(char)) -> Option<usize> {
    let c = match *b.get(i)? {
        b'"' => '"',
        b'\\' => '\\',
        b'/' => '/',
        b'b' => '\u{8}',
        b'f' => '\u{c}',
        b'n' => '\n',
        b'r' => '\r',
        b't' => '\t',
        b'u' => {
            let n = hex4(b, i + 1)?;
            return match n {
                0xD800..=0xDBFF => {
                    // A leading surrogate must be followed by `\u` and a trailing one.
                    if b.get(i + 5..i + 7)? != b"\\u" {
                        return None;
                    }
                    let m = hex4(b, i + 7)?;
                    if !(0xDC00..=0xDFFF).contains(&m) {
                        return None;
                    }
                    push(char::from_u32(
                        0x10000 + ((n - 0xD800) << 10) + (m - 0xDC00),
                    )?);
                    Some(i + 11)
                }
                0xDC00..=0xDFFF => None,
                _ => {
                    push(char::from_u32(n)?);
                    Some(i + 5)
                }
            };
        }
        _ => return None,
    };
    push(c);
    Some(i + 1)
}

/// Four hex digits at `i` as a number.
fn hex4(b: &[u8], i: usize) -> Option<u32> {
    let mut n = 0;
    for &c in b.get(i..i + 4)? {
        n = n * 16 + char::from(c).to_digit(16)?;
    }
    Some(n)
}

/// The text of a string with escapes (between its quotes, already checked by [`string_end`]).
fn decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < b.len() {
        let n = memchr::memchr(b'\\', &b[i..]).unwrap_or(b.len() - i);
        out.push_str(s.get(i..i + n)?);
        i += n;
        if i < b.len() {
            i = escape(b, i + 1, &mut |c| out.push(c))?;
        }
    }
    Some(out)
}

#[cfg(test)]
#[path = "fast_tests.rs"]
mod tests;
