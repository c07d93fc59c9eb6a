//! Timestamps and durations as event files and command lines write them.

use chrono::{DateTime, TimeDelta};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// Microseconds in one second.
const SECOND: i128 = 1_000_000;

/// How a numeric (epoch) timestamp is read.
///
/// RFC 3339 text (`2024-03-10T08:00:00.250+01:00`) is always recognised; this only says what a
/// plain number means. Numbers may carry a decimal fraction (`1710057600.25`); precision is one
/// microsecond (finer digits are truncated toward the past).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum EpochUnit {
    /// Decide per value by magnitude of the integer part `|x|`: below 10¹¹ seconds, below 10¹⁴
    /// milliseconds, below 10¹⁷ microseconds (GA4 exports), otherwise nanoseconds.
    ///
    /// Every instant from 1973-03-03 to 5138-11-16 is read correctly in any of the four units;
    /// millisecond (or finer) timestamps *before* 1973-03-03 are mistaken for seconds: pass the
    /// unit explicitly for such data.
    #[default]
    Auto,
    /// Seconds since 1970-01-01T00:00:00Z.
    Seconds,
    /// Milliseconds since the epoch.
    Millis,
    /// Microseconds since the epoch.
    Micros,
    /// Nanoseconds since the epoch.
    Nanos,
}

impl EpochUnit {
    /// The unit as a fraction of a microsecond: `(numerator, denominator)`.
    fn in_micros(self, integer_part: u128) -> (i128, i128) {
        let unit = match self {
            EpochUnit::Auto => match integer_part {
                x if x < 100_000_000_000 => EpochUnit::Seconds,
                x if x < 100_000_000_000_000 => EpochUnit::Millis,
                x if x < 100_000_000_000_000_000 => EpochUnit::Micros,
                _ => EpochUnit::Nanos,
            },
            u => u,
        };
        match unit {
            EpochUnit::Seconds => (SECOND, 1),
            EpochUnit::Millis => (1_000, 1),
            EpochUnit::Nanos => (1, 1_000),
            _ => (1, 1),
        }
    }
}

/// Parses a timestamp into microseconds since the Unix epoch (UTC).
///
/// Accepts RFC 3339 (`2024-03-10T08:00:00Z`, `2024-03-10 09:00:00.5+01:00`, lower-case `t`/`z`;
/// the offset is required) and numbers since the epoch read with `unit` (see [`EpochUnit`]).
/// Returns `None` for anything else, including instants outside chrono's range and naive
/// date-times without an offset (which would need a guess of the time zone).
///
/// ```
/// use touchpoint::events::{EpochUnit, parse_timestamp};
/// let utc = parse_timestamp("2024-03-10T08:00:00Z", EpochUnit::Auto);
/// assert_eq!(parse_timestamp("2024-03-10T09:00:00+01:00", EpochUnit::Auto), utc);
/// assert_eq!(parse_timestamp("1710057600", EpochUnit::Auto), utc);
/// assert_eq!(parse_timestamp("1710057600000", EpochUnit::Auto), utc);
/// assert_eq!(utc, Some(1_710_057_600_000_000));
/// assert_eq!(parse_timestamp("2024-03-10 08:00:00", EpochUnit::Auto), None);
/// ```
pub fn parse_timestamp(text: &str, unit: EpochUnit) -> Option<i64> {
    let text = crate::formats::trim(text);
    if let Some(micros) = rfc3339_micros(text.as_bytes()) {
        // Always in chrono's range (years 0000–9999).
        return Some(micros);
    }
    let micros = match parse_decimal(text) {
        Some(d) => d.to_micros(unit)?,
        None if is_scientific(text) => scientific_to_micros(text, unit)?,
        None => DateTime::parse_from_rfc3339(text).ok()?.timestamp_micros(),
    };
    // Refuse instants chrono cannot represent (so every stored time can be shown again).
    DateTime::from_timestamp_micros(micros).map(|_| micros)
}

/// The common shape of RFC 3339, `YYYY-MM-DD(T|t| )HH:MM:SS[.f{1,9}](Z|z|±HH:MM)`, read
/// without chrono, in µs since the epoch; `None` for anything else (leap seconds, more than nine
/// fraction digits, a bad field), which chrono then reads or refuses. Every instant it accepts is
/// one chrono accepts with the same value (the tests compare the two on random texts).
fn rfc3339_micros(b: &[u8]) -> Option<i64> {
    if b.len() < 20 {
        return None;
    }
    let d = |i: usize| -> Option<i64> {
        let c = b[i];
        c.is_ascii_digit().then(|| i64::from(c - b'0'))
    };
    let two = |i: usize| Some(d(i)? * 10 + d(i + 1)?);
    let year = two(0)? * 100 + two(2)?;
    let (month, day) = (two(5)?, two(8)?);
    let (hour, minute, second) = (two(11)?, two(14)?, two(17)?);
    let punctuation = b[4] == b'-'
        && b[7] == b'-'
        && matches!(b[10], b'T' | b't' | b' ')
        && b[13] == b':'
        && b[16] == b':';
    if !punctuation || !(1..=12).contains(&month) || hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let month_days = [
        31,
        if leap { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    if day < 1 || day > month_days[(month - 1) as usize] {
        return None;
    }
    let mut i = 19;
    let mut nanos = 0i64;
    if b[i] == b'.' {
        i += 1;
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            if i - start == 9 {
                return None; // a tenth digit: chrono's general parser (no overflow here)
            }
            nanos = nanos * 10 + i64::from(b[i] - b'0');
            i += 1;
        }
        let digits = i - start;
        if digits == 0 || digits > 9 {
            return None;
        }
        nanos *= 10i64.pow(9 - digits as u32);
    }
    let offset = match &b[i..] {
        [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let digit = |c: u8| c.is_ascii_digit().then(|| i64::from(c - b'0'));
            let (h, m) = (
                digit(*h1)? * 10 + digit(*h2)?,
                digit(*m1)? * 10 + digit(*m2)?,
            );
            if h > 23 || m > 59 {
                return None;
            }
            let east = (h * 60 + m) * 60;
            if *sign == b'-' { -east } else { east }
        }
        _ => return None,
    };
    let seconds = days_from_civil(year, month, day) * 86_400 + hour * 3_600 + minute * 60 + second;
    Some((seconds - offset) * 1_000_000 + nanos / 1_000)
}

/// Days from 1970-01-01 to a date of the proleptic Gregorian calendar (Howard Hinnant's
/// `days_from_civil`).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// True for a number in exponent notation (`1.7e9`, as some JSON writers emit).
fn is_scientific(text: &str) -> bool {
    text.bytes().any(|b| b == b'e' || b == b'E')
        && text.bytes().any(|b| b.is_ascii_digit())
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'+' | b'-' | b'e' | b'E'))
}

/// Exponent notation through `f64` (exact to the microsecond only up to 2⁵³ µs, about 285
/// years after 1970).
fn scientific_to_micros(text: &str, unit: EpochUnit) -> Option<i64> {
    let x: f64 = text.parse().ok()?;
    if !x.is_finite() {
        return None;
    }
    let (num, den) = unit.in_micros(x.abs().trunc() as u128);
    let micros = (x * num as f64 / den as f64).floor();
    // `as` saturates; the range check below refuses the saturated ends.
    let m = micros as i64;
    (micros.abs() < 9.2e18).then_some(m)
}

/// A plain decimal number `[+-]digits[.digits]`, kept exact.
struct Decimal {
    negative: bool,
    integer: u128,
    /// The fraction digits as an integer, and how many there are.
    fraction: u128,
    fraction_len: u32,
}

impl Decimal {
    /// Floors `self × unit` to whole microseconds.
    fn to_micros(&self, unit: EpochUnit) -> Option<i64> {
        let (num, den) = unit.in_micros(self.integer);
        let scale = 10i128.checked_pow(self.fraction_len)?;
        let scaled = i128::try_from(self.integer)
            .ok()?
            .checked_mul(scale)?
            .checked_add(i128::try_from(self.fraction).ok()?)?;
        let signed = if self.negative { -scaled } else { scaled };
        let micros = signed.checked_mul(num)?.div_euclid(den.checked_mul(scale)?);
        i64::try_from(micros).ok()
    }
}

/// Parses `[+-]digits[.digits]` (at least one digit, at most 30 before and 18 after the point).
fn parse_decimal(text: &str) -> Option<Decimal> {
    let (negative, digits) = match text.as_bytes().first()? {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    let (int, frac) = match digits.split_once('.') {
        Some((i, f)) => (i, f),
        None => (digits, ""),
    };
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if int.len() + frac.len() == 0 || int.len() > 30 || frac.len() > 18 {
        return None;
    }
    if !all_digits(int) || !all_digits(frac) {
        return None;
    }
    let number = |s: &str| {
        if s.is_empty() {
            Some(0)
        } else {
            s.parse::<u128>().ok()
        }
    };
    Some(Decimal {
        negative,
        integer: number(int)?,
        fraction: number(frac)?,
        fraction_len: frac.len() as u32,
    })
}

/// Parses a duration such as `30d`, `7d`, `12h`, `30m`, `90s`, `500ms`, `2w` or `1.5d`: the
/// crate's one duration syntax. The rule: a non-negative decimal number, an optional space, and
/// a unit, which is required (a bare number is not a duration), among `w`, `d`, `h`, `m`/`min`,
/// `s`, `ms` (also the long names `weeks`, `days`, `hours`, `minutes`, `seconds`,
/// `milliseconds` and their singulars, any case); the value is exact to the microsecond
/// (truncated below). Used for the lookback window, the inactivity timeout and the half-life
/// on the command line.
///
/// ```
/// use chrono::TimeDelta;
/// use touchpoint::events::parse_duration;
/// assert_eq!(parse_duration("lookback", "30d")?, TimeDelta::days(30));
/// assert_eq!(parse_duration("lookback", "1.5 h")?, TimeDelta::minutes(90));
/// assert!(parse_duration("lookback", "30").is_err()); // a unit is required
/// # Ok::<(), touchpoint::Error>(())
/// ```
///
/// # Errors
/// [`Error::InvalidDuration`] naming `name` when the text is not a non-negative number with a
/// known unit, or the duration does not fit in ±2⁶³ µs.
pub fn parse_duration(name: &'static str, text: &str) -> Result<TimeDelta> {
    let bad = |reason| Error::InvalidDuration {
        name,
        text: text.to_string(),
        reason,
    };
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (number, unit) = (&t[..split], t[split..].trim());
    let per_unit: i128 = match unit.to_ascii_lowercase().as_str() {
        "w" | "week" | "weeks" => 7 * 86_400 * SECOND,
        "d" | "day" | "days" => 86_400 * SECOND,
        "h" | "hour" | "hours" => 3_600 * SECOND,
        "m" | "min" | "mins" | "minute" | "minutes" => 60 * SECOND,
        "s" | "sec" | "secs" | "second" | "seconds" => SECOND,
        "ms" | "msec" | "msecs" | "millisecond" | "milliseconds" => SECOND / 1000,
        _ => {
            return Err(bad(
                "expected a number and a unit (w, d, h, m, s, ms), e.g. `30d`",
            ));
        }
    };
    // Checked throughout: a long fraction or a huge number is an error, never an overflow.
    let micros = parse_decimal(number)
        .and_then(|d| {
            let scale = 10i128.checked_pow(d.fraction_len)?;
            let int = i128::try_from(d.integer).ok()?.checked_mul(per_unit)?;
            let frac = i128::try_from(d.fraction).ok()?.checked_mul(per_unit)? / scale;
            i64::try_from(int.checked_add(frac)?).ok()
        })
        .ok_or_else(|| bad("expected a non-negative number that fits in 2^63 µs"))?;
    Ok(TimeDelta::microseconds(micros))
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: i64 = 1_710_057_600_000_000; // 2024-03-10T08:00:00Z

    #[test]
    fn rfc3339_offsets_and_fractions_agree_with_utc() {
        let p = |s| parse_timestamp(s, EpochUnit::Auto);
        assert_eq!(p("2024-03-10T08:00:00Z"), Some(T));
        assert_eq!(p("2024-03-10t08:00:00z"), Some(T));
        assert_eq!(p(" 2024-03-10 08:00:00+00:00 "), Some(T));
        assert_eq!(p("2024-03-10T10:30:00+02:30"), Some(T));
        assert_eq!(p("2024-03-09T23:00:00-09:00"), Some(T));
        assert_eq!(p("2024-03-10T08:00:00.250Z"), Some(T + 250_000));
        // nanoseconds are truncated to the microsecond
        assert_eq!(p("2024-03-10T08:00:00.000001999Z"), Some(T + 1));
    }

    /// The fast reader of RFC 3339 and chrono agree on every text: random instants written in
    /// every accepted shape, and the same texts with one byte changed.
    #[test]
    fn rfc3339_fast_path_agrees_with_chrono() {
        let chrono_micros = |s: &str| {
            DateTime::parse_from_rfc3339(s)
                .ok()
                .map(|t| t.timestamp_micros())
        };
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = |n: u64| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state % n
        };
        let bytes = b"0123456789-:.TtZz+- x";
        for _ in 0..50_000 {
            let fraction = match next(4) {
                0 => String::new(),
                _ => format!(".{}", "7".repeat(1 + next(11) as usize)),
            };
            let offset = match next(4) {
                0 => "Z".to_string(),
                1 => "z".to_string(),
                _ => format!(
                    "{}{:02}:{:02}",
                    ["+", "-"][next(2) as usize],
                    next(26),
                    next(62)
                ),
            };
            let text = format!(
                "{:04}-{:02}-{:02}{}{:02}:{:02}:{:02}{fraction}{offset}",
                next(10_000),
                next(14),
                next(33),
                ["T", "t", " "][next(3) as usize],
                next(25),
                next(61),
                next(62),
            );
            if let Some(m) = rfc3339_micros(text.as_bytes()) {
                assert_eq!(Some(m), chrono_micros(&text), "{text}");
            }
            let mut changed = text.into_bytes();
            let at = next(changed.len() as u64) as usize;
            changed[at] = bytes[next(bytes.len() as u64) as usize];
            let changed = String::from_utf8(changed).unwrap();
            if let Some(m) = rfc3339_micros(changed.as_bytes()) {
                assert_eq!(Some(m), chrono_micros(&changed), "{changed}");
            }
        }
        // The generator's shape and the edges of the calendar are read by the fast path.
        for (text, micros) in [
            ("2024-02-16T08:29:46.915Z", 1_708_072_186_915_000),
            ("2024-02-29T00:00:00Z", 1_709_164_800_000_000),
            ("1969-12-31T23:59:59.999999999Z", -1),
            ("0000-01-01T00:00:00Z", -62_167_219_200_000_000),
            ("9999-12-31T23:59:59+23:59", 253_402_214_459_000_000),
        ] {
            assert_eq!(rfc3339_micros(text.as_bytes()), Some(micros), "{text}");
            assert_eq!(chrono_micros(text), Some(micros), "{text}");
        }
        for text in [
            "2023-02-29T00:00:00Z",
            "2024-01-01T00:00:60Z",
            "2024-01-01T00:00:00",
            // More than nine fraction digits (found by the fuzzer: 19+ digits overflowed).
            "2024-01-01T00:00:00.1234567890Z",
            "2024-01-01T00:00:00.12345678901234567890123456789Z",
        ] {
            assert_eq!(rfc3339_micros(text.as_bytes()), None, "{text}");
        }
    }

    #[test]
    fn epoch_units_by_magnitude_and_explicit() {
        let p = |s| parse_timestamp(s, EpochUnit::Auto);
        assert_eq!(p("1710057600"), Some(T));
        assert_eq!(p("1710057600.5"), Some(T + 500_000));
        assert_eq!(p("1710057600000"), Some(T));
        assert_eq!(p("1710057600000000"), Some(T));
        assert_eq!(p("1710057600000000000"), Some(T));
        assert_eq!(p("+1710057600"), Some(T));
        assert_eq!(p("0"), Some(0));
        // exponent notation (some JSON writers) goes through f64
        assert_eq!(p("1.7100576e9"), Some(T));
        assert_eq!(p("1.7100576E12"), Some(T));
        assert_eq!(p("1e400"), None);
        // boundaries of the magnitude rule: 10^11 is read as milliseconds
        assert_eq!(p("99999999999"), Some(99_999_999_999 * 1_000_000));
        assert_eq!(p("100000000000"), Some(100_000_000_000 * 1_000));
        // an explicit unit overrides the magnitude
        assert_eq!(parse_timestamp("1000", EpochUnit::Millis), Some(1_000_000));
        assert_eq!(parse_timestamp("1000", EpochUnit::Micros), Some(1_000));
        assert_eq!(parse_timestamp("1000", EpochUnit::Nanos), Some(1));
        assert_eq!(parse_timestamp("1999", EpochUnit::Nanos), Some(1));
        // negative values floor toward the past
        assert_eq!(
            parse_timestamp("-1.5", EpochUnit::Seconds),
            Some(-1_500_000)
        );
        assert_eq!(parse_timestamp("-1", EpochUnit::Nanos), Some(-1));
    }

    #[test]
    fn garbage_and_out_of_range_are_none() {
        for s in [
            "",
            " ",
            "yesterday",
            "2024-03-10",
            "2024-03-10T08:00:00",
            "NaN",
            "inf",
            ".",
            "1.2.3",
            "--1",
            "99999999999999999999999999999",
            "2024-13-10T08:00:00Z",
        ] {
            assert_eq!(parse_timestamp(s, EpochUnit::Auto), None, "{s:?}");
        }
        // seconds beyond chrono's range (year > 262143)
        assert_eq!(parse_timestamp("9000000000000", EpochUnit::Seconds), None);
    }

    #[test]
    fn durations_with_units() {
        let d = |s| parse_duration("x", s).unwrap();
        assert_eq!(d("30d"), TimeDelta::days(30));
        assert_eq!(d("2w"), TimeDelta::days(14));
        assert_eq!(d("12h"), TimeDelta::hours(12));
        assert_eq!(d("30m"), TimeDelta::minutes(30));
        assert_eq!(d("30 min"), TimeDelta::minutes(30));
        assert_eq!(d("90s"), TimeDelta::seconds(90));
        assert_eq!(d("3.5d"), TimeDelta::hours(84));
        assert_eq!(d("7 Days"), TimeDelta::days(7));
        assert_eq!(d("0s"), TimeDelta::zero());
        assert_eq!(d("500ms"), TimeDelta::milliseconds(500));
        assert_eq!(d("1.5 ms"), TimeDelta::microseconds(1500));
        assert_eq!(d("2 Milliseconds"), TimeDelta::milliseconds(2));
        // 38 fraction digits: the checked arithmetic refuses, it does not overflow.
        let long = format!("1.{}w", "9".repeat(38));
        assert!(parse_duration("x", &long).is_err());
        for bad in [
            "",
            "30",
            "d",
            "-3d",
            "3x",
            "1.2.3d",
            "99999999999999999999w",
        ] {
            let e = parse_duration("lookback", bad).unwrap_err();
            assert!(e.to_string().contains("lookback"), "{bad:?}: {e}");
        }
    }
}
