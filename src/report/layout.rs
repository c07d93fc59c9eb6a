//! The one text layout of the report writers: display width, padding, number formats and
//! Markdown rows. Hand-made rather than through a table crate (comfy-table, tabled) because the
//! text table's model names span groups of columns and wide tables continue in panels, and both
//! outputs must stay byte-identical to earlier versions; neither crate lays out spanning group
//! headers or panels.

/// Longest channel name shown whole in the text table.
const MAX_NAME: usize = 40;

/// Display width, counting characters (good enough for names without wide characters).
pub(super) fn width(s: &str) -> usize {
    s.chars().count()
}

/// A channel name cut to [`MAX_NAME`] characters (with `…`) for the text table.
pub(super) fn shorten(name: &str) -> String {
    if width(name) <= MAX_NAME {
        name.to_string()
    } else {
        let mut s: String = name.chars().take(MAX_NAME - 1).collect();
        s.push('…');
        s
    }
}

/// A total: whole numbers without decimals, others with 2.
pub(super) fn count(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{x:.0}")
    } else {
        num(x, 2)
    }
}

/// `x` with `digits` decimals.
pub(super) fn num(x: f64, digits: usize) -> String {
    format!("{x:.digits$}")
}

/// Appends `s` to `line`, padded with blanks to `w` characters, on the left (`right`: the text
/// is right-aligned) or on the right.
pub(super) fn pad(line: &mut String, s: &str, w: usize, right: bool) {
    let fill = " ".repeat(w.saturating_sub(width(s)));
    if right {
        line.push_str(&fill);
        line.push_str(s);
    } else {
        line.push_str(s);
        line.push_str(&fill);
    }
}

/// A Markdown table row, `|` in cells escaped: `| a | b |`.
pub(super) fn md_row<S: AsRef<str>>(cells: impl IntoIterator<Item = S>) -> String {
    let mut line = String::from("|");
    for c in cells {
        line.push(' ');
        line.push_str(&c.as_ref().replace('|', "\\|"));
        line.push_str(" |");
    }
    line
}

/// The Markdown rule under the header: a left-aligned first column, `numeric` right-aligned.
pub(super) fn md_rule(numeric: usize) -> String {
    format!("|---|{}", "---:|".repeat(numeric))
}
