//! Escaping and number formatting for people (the page's script formats the same way).

use std::fmt::Write as _;

/// Escapes text for HTML element content and quoted attribute values (and SVG text).
pub(crate) fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(ch),
        }
    }
    out
}

/// JSON made safe inside a `<script>` element: `<`, `>` and `&` (only ever inside strings in
/// JSON) become `\u` escapes, so no `</script>` or `<!--` can appear.
pub(crate) fn script_json(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    for ch in json.chars() {
        match ch {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            _ => out.push(ch),
        }
    }
    out
}

/// Digits after the point for a figure of magnitude `x`: 2 below 100, 1 below 10 000, else 0;
/// whole numbers (within 10⁻⁹ relative) get none.
fn decimals(x: f64) -> usize {
    let a = x.abs();
    // Whole numbers (to rounding: a sum of thirds) get no decimals.
    if (x - x.round()).abs() <= 1e-9 * a.max(1.0) {
        0
    } else if a < 100.0 {
        2
    } else if a < 10_000.0 {
        1
    } else {
        0
    }
}

/// `x` with `d` decimals and thousands separators: `12,345.6`.
fn grouped(x: f64, d: usize) -> String {
    let s = format!("{:.*}", d, x.abs());
    let (int, frac) = s
        .split_once('.')
        .map_or((s.as_str(), None), |(i, f)| (i, Some(f)));
    let mut out = String::new();
    if x < 0.0 && s.chars().any(|c| c.is_ascii_digit() && c != '0') {
        out.push('−');
    }
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if let Some(f) = frac {
        out.push('.');
        out.push_str(f);
    }
    out
}

/// Decimals for a column of `values`: the most any of them needs ([`num`]'s rule), so that
/// a column reads with one number of decimals.
pub(crate) fn column_decimals(values: impl IntoIterator<Item = f64>) -> usize {
    values
        .into_iter()
        .filter(|x| x.is_finite())
        .map(decimals)
        .max()
        .unwrap_or(0)
}

/// A column formatter: [`num`] with the decimals of the whole column.
pub(crate) fn column(values: impl IntoIterator<Item = f64>) -> impl Fn(f64) -> String {
    let d = column_decimals(values);
    move |x| grouped(x, d)
}

/// A signed column formatter ([`signed`] with the decimals of the whole column).
pub(crate) fn signed_column(values: impl IntoIterator<Item = f64>) -> impl Fn(f64) -> String {
    let d = column_decimals(values);
    move |x| {
        let s = grouped(x, d);
        if x > 0.0 && s.chars().any(|c| c.is_ascii_digit() && c != '0') {
            format!("+{s}")
        } else {
            s
        }
    }
}

/// A count or an amount for reading: `7`, `2.08`, `1,234.5`, `48,210`.
pub(crate) fn num(x: f64) -> String {
    grouped(x, decimals(x))
}

/// A fraction as a percentage with one decimal: `0.1834` → `18.3%`.
pub(crate) fn pct(x: f64) -> String {
    format!("{}%", grouped(100.0 * x, 1))
}

/// A signed change in percentage points of a fraction: `+4.2 pp`.
pub(crate) fn pp(x: f64) -> String {
    let s = grouped(100.0 * x, 1);
    let sign = if x > 0.0 && s.chars().any(|c| c.is_ascii_digit() && c != '0') {
        "+"
    } else {
        ""
    };
    format!("{sign}{s} pp")
}

/// A signed relative change already in percent: `12.34` → `+12.3%`.
pub(crate) fn change(x: f64) -> String {
    let s = grouped(x, 1);
    if x > 0.0 && s.chars().any(|c| c.is_ascii_digit() && c != '0') {
        format!("+{s}%")
    } else {
        format!("{s}%")
    }
}

/// A ratio such as ROAS: `2.20×`.
pub(crate) fn times(x: f64) -> String {
    format!("{}×", grouped(x, 2))
}

/// An optional figure: the formatted value, or an en dash.
pub(crate) fn opt(x: Option<f64>, f: &dyn Fn(f64) -> String) -> String {
    x.map_or_else(|| "–".to_string(), f)
}

/// The raw value of a cell for scripts and tests: Rust's shortest round-trip form (what the
/// JSON output writes), empty for `None`.
pub(crate) fn raw(x: Option<f64>) -> String {
    let mut s = String::new();
    if let Some(x) = x {
        let _ = write!(s, "{x}");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_script_breakouts() {
        assert_eq!(
            esc(r#"<b>"A" & 'B'</b>"#),
            "&lt;b&gt;&quot;A&quot; &amp; &#39;B&#39;&lt;/b&gt;"
        );
        let j = script_json(r#"{"c":"</script><!--&"}"#);
        assert!(!j.contains('<') && !j.contains('&'), "{j}");
        let back: serde_json::Value = serde_json::from_str(&j).unwrap();
        assert_eq!(back["c"], "</script><!--&");
    }

    #[test]
    fn numbers_read_like_a_person_writes_them() {
        assert_eq!(num(7.0), "7");
        assert_eq!(num(133.999_999_999_999_97), "134");
        assert_eq!(num(25.0 / 12.0), "2.08");
        assert_eq!(num(1234.56), "1,234.6");
        assert_eq!(num(48_210.4), "48,210");
        assert_eq!(num(1_234_567.0), "1,234,567");
        assert_eq!(num(-0.001), "0.00");
        let signed = signed_column([-1234.5]);
        assert_eq!(
            (signed(-1234.5), signed(2.5), signed(0.0)),
            ("−1,234.5".into(), "+2.5".into(), "0.0".into())
        );
        assert_eq!(pct(0.18345), "18.3%");
        assert_eq!(pp(-0.042), "−4.2 pp");
        assert_eq!(times(2.2), "2.20×");
        assert_eq!(opt(None, &num), "–");
        let col = column([9.0, 16.094, 1066.07]);
        assert_eq!(
            (col(9.0), col(1066.07)),
            ("9.00".to_string(), "1,066.07".to_string())
        );
        let whole = column([9.0, 27.0]);
        assert_eq!(whole(27.0), "27");
        assert_eq!(signed_column([0.5, 2.0])(2.0), "+2.00");
        assert_eq!(raw(Some(0.1 + 0.2)), "0.30000000000000004");
    }
}
