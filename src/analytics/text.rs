//! The path-analytics section of the text table and Markdown outputs.

use std::io::Write;

use super::PathStats;
use crate::error::Result;

/// `x` with 2 decimals, or without any when whole.
fn num(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{x:.0}")
    } else {
        format!("{x:.2}")
    }
}

fn pct(x: f64) -> String {
    format!("{:.1}%", 100.0 * x)
}

fn opt(x: Option<f64>, f: fn(f64) -> String) -> String {
    x.map_or_else(|| "-".to_string(), f)
}

/// One block: a title, column names (the first left-aligned, the others right-aligned) and rows.
struct Block {
    title: String,
    columns: Vec<&'static str>,
    rows: Vec<Vec<String>>,
}

/// A distribution: one row per bin (label, conversions, value, share).
fn bins_block<'a>(
    title: String,
    label: &'static str,
    bins: impl Iterator<Item = (&'a str, f64, f64, f64)>,
) -> Block {
    Block {
        title,
        columns: vec![label, "conversions", "value", "share"],
        rows: bins
            .map(|(l, c, v, share)| vec![l.to_string(), num(c), num(v), pct(share)])
            .collect(),
    }
}

fn blocks(stats: &PathStats) -> Vec<Block> {
    let mut out = Vec::new();
    out.push(Block {
        title: format!(
            "Top {} conversion paths by conversions (of {})",
            stats.top_paths.len(),
            stats.converting_paths
        ),
        columns: vec![
            "path",
            "touches",
            "conversions",
            "value",
            "journeys",
            "rate",
            "share",
        ],
        rows: stats
            .top_paths
            .iter()
            .map(|p| {
                vec![
                    p.path.clone(),
                    p.length.to_string(),
                    num(p.conversions),
                    num(p.value),
                    num(p.journeys),
                    opt(p.conversion_rate, pct),
                    pct(p.share),
                ]
            })
            .collect(),
    });
    out.push(bins_block(
        "Path length (touches to conversion)".into(),
        "touches",
        stats
            .path_length
            .iter()
            .map(|b| (b.label.as_str(), b.conversions, b.value, b.share)),
    ));
    if stats.has_time_lag() {
        out.push(bins_block(
            format!(
                "Time lag (first touch to conversion; {} conversions without a time)",
                num(stats.time_lag_unknown)
            ),
            "lag",
            stats
                .time_lag
                .iter()
                .map(|b| (b.label.as_str(), b.conversions, b.value, b.share)),
        ));
    }
    out.push(Block {
        title: "Channel roles on converting paths".into(),
        columns: vec![
            "channel",
            "assisted",
            "last touch",
            "assist ratio",
            "first",
            "middle",
            "last",
        ],
        rows: stats
            .channels
            .iter()
            .map(|c| {
                vec![
                    c.channel.clone(),
                    num(c.assisted_conversions),
                    num(c.last_touch_conversions),
                    opt(c.assist_ratio, num),
                    num(c.first),
                    num(c.middle),
                    num(c.last),
                ]
            })
            .collect(),
    });
    out
}

fn headline(stats: &PathStats) -> String {
    let rate = if stats.total_journeys > 0.0 {
        format!(
            " ({} convert)",
            pct(stats.total_conversions / stats.total_journeys)
        )
    } else {
        String::new()
    };
    format!(
        "Path analytics: {} conversions on {} distinct converting paths, {} journeys{rate}",
        num(stats.total_conversions),
        stats.converting_paths,
        num(stats.total_journeys)
    )
}

/// Writes the path analytics as aligned text blocks (for reading: the layout may change).
///
/// # Errors
/// [`Error::Io`](crate::Error::Io) when writing fails.
pub fn write_table<W: Write>(mut out: W, stats: &PathStats) -> Result<()> {
    writeln!(out, "{}", headline(stats))?;
    for b in blocks(stats) {
        writeln!(out)?;
        writeln!(out, "{}", b.title)?;
        let n = b.columns.len();
        let mut widths: Vec<usize> = b.columns.iter().map(|c| c.chars().count()).collect();
        for r in &b.rows {
            for (w, cell) in widths.iter_mut().zip(r) {
                *w = (*w).max(cell.chars().count());
            }
        }
        let line = |cells: &[String]| {
            let mut s = String::new();
            for (i, (cell, w)) in cells.iter().zip(&widths).enumerate() {
                let fill = " ".repeat(w - cell.chars().count());
                if i == 0 {
                    s.push_str(cell);
                    s.push_str(&fill);
                } else {
                    s.push_str("  ");
                    s.push_str(&fill);
                    s.push_str(cell);
                }
            }
            s.trim_end().to_string()
        };
        let header: Vec<String> = b.columns.iter().map(|c| c.to_string()).collect();
        writeln!(out, "{}", line(&header))?;
        for r in &b.rows {
            debug_assert_eq!(r.len(), n);
            writeln!(out, "{}", line(r))?;
        }
    }
    out.flush()?;
    Ok(())
}

/// Writes the path analytics as Markdown: a headline, then one `###` heading and pipe table per
/// block (`|` in names escaped; for reading: the layout may change).
///
/// # Errors
/// [`Error::Io`](crate::Error::Io) when writing fails.
pub fn write_markdown<W: Write>(mut out: W, stats: &PathStats) -> Result<()> {
    writeln!(out, "{}", headline(stats))?;
    let row = |cells: &[String]| {
        let mut s = String::from("|");
        for c in cells {
            s.push(' ');
            s.push_str(&c.replace('|', "\\|"));
            s.push_str(" |");
        }
        s
    };
    for b in blocks(stats) {
        writeln!(out)?;
        writeln!(out, "### {}", b.title)?;
        writeln!(out)?;
        let header: Vec<String> = b.columns.iter().map(|c| c.to_string()).collect();
        writeln!(out, "{}", row(&header))?;
        let rule: String = std::iter::once("|---|")
            .chain(std::iter::repeat_n("---:|", b.columns.len() - 1))
            .collect();
        writeln!(out, "{rule}")?;
        for r in &b.rows {
            writeln!(out, "{}", row(r))?;
        }
    }
    out.flush()?;
    Ok(())
}
