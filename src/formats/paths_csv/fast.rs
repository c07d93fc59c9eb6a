//! The fast path of the block parser: one unquoted line to a staged row, reading bytes (one UTF-8
//! check per line, fields and channels cut with `memchr`, channels looked up by their bytes,
//! counts without the float parser when they are short decimals).
//!
//! It only ever *accepts* rows: any row it is not sure about (a bad field, Unicode blanks at a
//! channel's edge, a number it does not parse itself, a new channel that is refused) makes it
//! answer `None` before anything is stored but the channels the row names up to that point (which
//! the general parser interns in the same order), and the general parser then reads the row and
//! finds the same outcome or names the same problem. So results, errors and skips do not depend on
//! which parser read a row.

use memchr::{memchr_iter, memmem};

use super::Columns;
use crate::channel::{ChannelId, NameCache};
use crate::outcome::Outcome;
use crate::table::PathTable;

/// Reusable buffers of the fast path, and the separator it splits paths on.
pub(super) struct FastRows {
    /// The trimmed path separator (non-empty: a blank separator has no fast path).
    sep: Vec<u8>,
    /// Field ranges of the current line.
    fields: Vec<(usize, usize)>,
    /// Channel ranges of the current path.
    tokens: Vec<(usize, usize)>,
    ids: Vec<ChannelId>,
    /// Ids of the channels seen, by their bytes.
    cache: NameCache,
}

impl FastRows {
    /// `None` when the separator is blank (runs of whitespace): the general parser reads every
    /// row then.
    pub(super) fn new(separator: &str) -> Option<Self> {
        let sep = separator.trim().as_bytes().to_vec();
        (!sep.is_empty()).then_some(FastRows {
            sep,
            fields: Vec::with_capacity(8),
            tokens: Vec::with_capacity(64),
            ids: Vec::with_capacity(64),
            cache: NameCache::default(),
        })
    }

    /// Reads `line` (not blank; `text`: the line as text, if known) into `table`; `Some(())` when stored, `None` when the general
    /// parser must read it (nothing but channel names was stored).
    pub(super) fn add(
        &mut self,
        (line, text): (&[u8], Option<&str>),
        delimiter: u8,
        cols: &Columns,
        table: &mut PathTable,
    ) -> Option<()> {
        // One check for the line (unless its chunk was checked whole, `text`): every field cut
        // at ASCII bytes is then valid UTF-8 too.
        let text = match text {
            Some(t) => t,
            None => std::str::from_utf8(line).ok()?,
        };
        self.fields.clear();
        let mut start = 0;
        for i in memchr_iter(delimiter, line) {
            self.fields.push((start, i));
            start = i + 1;
        }
        self.fields.push((start, line.len()));
        if self.fields.len() != cols.count {
            return None;
        }
        let field = |i: usize| {
            let (a, b) = self.fields[i];
            &line[a..b]
        };
        let conversions = number(field(cols.conversions))?;
        let value = match cols.value {
            Some(i) => number(field(i))?,
            None => 0.0,
        };
        let nulls = match cols.nulls {
            Some(i) => number(field(i))?,
            None => 0.0,
        };
        let outcome = Outcome::new(conversions, value, nulls);
        outcome.validate().ok()?;
        let (a, b) = self.fields[cols.path];
        let path = &text[a..b];
        // Every channel is cut and checked before the first is interned, as the general parser
        // does (a row refused for an empty channel leaves no name behind).
        self.tokens.clear();
        let limit = table.max_path_len();
        let mut start = 0;
        let cut = |tokens: &mut Vec<(usize, usize)>, s: usize, e: usize| {
            let t = trim_ascii(path, s, e)?;
            if tokens.len() == limit {
                return None;
            }
            tokens.push(t);
            Some(())
        };
        if let [b] = self.sep[..] {
            for i in memchr_iter(b, path.as_bytes()) {
                cut(&mut self.tokens, start, i)?;
                start = i + 1;
            }
        } else {
            for i in memmem::find_iter(path.as_bytes(), &self.sep) {
                cut(&mut self.tokens, start, i)?;
                start = i + self.sep.len();
            }
        }
        cut(&mut self.tokens, start, path.len())?;
        self.ids.clear();
        for &(s, e) in &self.tokens {
            let name = &path[s..e];
            let id = match self.cache.get(name.as_bytes()) {
                Some(id) => id,
                None => {
                    let id = table.intern_fast(name)?;
                    self.cache.insert(name.as_bytes(), id);
                    id
                }
            };
            self.ids.push(id);
        }
        table.add_staged(&self.ids, outcome)
    }
}

/// The range of `s[start..end]` without ASCII blanks around it; `None` when it is empty or has a
/// non-ASCII byte at an edge (maybe Unicode whitespace, which the general parser trims).
#[inline]
fn trim_ascii(s: &str, start: usize, end: usize) -> Option<(usize, usize)> {
    let b = s.as_bytes();
    let (mut a, mut z) = (start, end);
    while a < z && b[a].is_ascii_whitespace() {
        a += 1;
    }
    while z > a && b[z - 1].is_ascii_whitespace() {
        z -= 1;
    }
    (a < z && b[a] < 0x80 && b[z - 1] < 0x80).then_some((a, z))
}

/// A count `d+` or `d+.d*` (blanks around it) with at most 15 significant digits and 22 decimals,
/// converted exactly: the digits are an integer below 2^53 and a power of ten up to 10^22 is exact,
/// so one division rounds once, to the same double `str::parse::<f64>` gives (the fast path of
/// Clinger's algorithm). `None` for anything else (the float parser then reads it).
#[inline]
pub(crate) fn number(field: &[u8]) -> Option<f64> {
    const POW10: [f64; 23] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
        1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
    ];
    let t = field.trim_ascii();
    let mut mantissa: u64 = 0;
    let mut digits = 0usize;
    let mut decimals = None::<usize>;
    for (i, &b) in t.iter().enumerate() {
        match b {
            b'0'..=b'9' => {
                mantissa = mantissa * 10 + u64::from(b - b'0');
                digits += 1;
                if digits > 15 {
                    return None;
                }
            }
            b'.' if decimals.is_none() && i > 0 => decimals = Some(t.len() - i - 1),
            _ => return None,
        }
    }
    if digits == 0 {
        return None;
    }
    let m = mantissa as f64; // exact: below 10^15 < 2^53
    match decimals {
        None | Some(0) => Some(m),
        Some(k) => POW10.get(k).map(|p| m / p),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_equal_the_float_parser_or_are_left_to_it() {
        let texts = [
            "0",
            "7",
            " 12 ",
            "007",
            "20.5",
            "0.1",
            "3.",
            "123456789012345",
            "1234567890123456",
            "0.3333333333333",
            "99.99",
            "1e3",
            "-1",
            "+1",
            ".5",
            "",
            " ",
            "1.2.3",
            "12a",
            "0.0000000000000000000001",
            "1.00000000000000000000001",
        ];
        for t in texts {
            let parsed = std::str::from_utf8(t.as_bytes().trim_ascii())
                .ok()
                .and_then(|s| s.parse::<f64>().ok());
            match number(t.as_bytes()) {
                Some(x) => assert_eq!(Some(x.to_bits()), parsed.map(f64::to_bits), "{t:?}"),
                None => assert!(
                    [
                        "1234567890123456",
                        "1e3",
                        "-1",
                        "+1",
                        ".5",
                        "",
                        " ",
                        "1.2.3",
                        "12a"
                    ]
                    .contains(&t)
                        || t.len() > 20,
                    "{t:?} should be read by the fast path"
                ),
            }
        }
    }

    #[test]
    fn channels_with_unicode_edges_are_left_to_the_general_parser() {
        assert_eq!(trim_ascii(" a b ", 0, 5), Some((1, 4)));
        assert_eq!(trim_ascii("x> ü", 2, 5), None);
        assert_eq!(trim_ascii("  ", 0, 2), None);
        assert_eq!(trim_ascii("ab>cd", 3, 5), Some((3, 5)));
    }
}
