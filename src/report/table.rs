//! The aligned text table, in panels of at most [`TABLE_WIDTH`] columns.

use std::io::{self, Write};

use super::layout::{count, num, pad, shorten, width};
use super::{channel_names, totals};
use crate::attribution::Attribution;
use crate::error::Result;
use crate::spend::ChannelSpend;

/// Widest line the text table aims for; models that do not fit go to the next panel.
pub(super) const TABLE_WIDTH: usize = 100;

/// Writes an aligned text table: channels as rows, one column group per model (conversions,
/// share of conversions, value), a total row; models that do not fit in 100 columns continue in
/// further panels below.
///
/// # Errors
/// [`Error::Io`](crate::Error::Io) when writing fails.
pub fn write_table<W: Write>(mut out: W, results: &[Attribution]) -> Result<()> {
    let (c, v, u) = totals(results);
    let names = channel_names(results);
    writeln!(
        out,
        "{} conversions, value {}, {} null journeys; {} channels, {} model{}",
        count(c),
        count(v),
        count(u),
        names.len(),
        results.len(),
        if results.len() == 1 { "" } else { "s" }
    )?;
    let labels: Vec<String> = names
        .iter()
        .map(|n| shorten(n))
        .chain(["total".to_string()])
        .collect();
    let label_width = labels.iter().map(|l| width(l)).max().unwrap_or(0).max(7);
    let groups: Vec<Group> = results.iter().map(|a| Group::new(a, &names)).collect();
    let mut start = 0;
    while start < groups.len() {
        let mut end = start + 1;
        let mut used = label_width + groups[start].width();
        while end < groups.len() && used + GAP + groups[end].width() <= TABLE_WIDTH {
            used += GAP + groups[end].width();
            end += 1;
        }
        writeln!(out)?;
        write_panel(&mut out, &labels, label_width, &groups[start..end])?;
        start = end;
    }
    write_fit_quality(&mut out, results)?;
    out.flush()?;
    Ok(())
}

/// One line per model that measured its held-out fit quality (the conversion models' `fit`
/// extra: `auc`, `log_loss`, `holdout`, `test_journeys`), so that models can be compared on
/// predictive accuracy as well as on credit.
fn write_fit_quality<W: Write>(out: &mut W, results: &[Attribution]) -> io::Result<()> {
    let mut first = true;
    for a in results {
        let Some(fit) = a.extras.get("fit") else {
            continue;
        };
        let number = |k: &str| fit.get(k).and_then(serde_json::Value::as_f64);
        let (Some(auc), Some(log_loss)) = (number("auc"), number("log_loss")) else {
            continue;
        };
        if first {
            writeln!(
                out,
                "
held-out fit quality (higher AUC, lower log-loss is better):"
            )?;
            first = false;
        }
        let holdout =
            number("holdout").map_or(String::new(), |h| format!(", {:.0}% held out", 100.0 * h));
        let test = number("test_journeys")
            .map_or(String::new(), |n| format!(", {} test journeys", count(n)));
        writeln!(
            out,
            "  {}: AUC {auc:.4}, log-loss {log_loss:.4}{holdout}{test}",
            a.model
        )?;
    }
    Ok(())
}

/// Blanks between column groups.
const GAP: usize = 4;

/// One model's formatted cells: per row (channels, then total) conversions, share, value, and
/// the conversions interval (low, high) when the model has one.
pub(super) struct Group {
    pub(super) model: String,
    pub(super) headers: Vec<&'static str>,
    pub(super) cells: Vec<Vec<String>>,
    widths: Vec<usize>,
}

const SUBHEADERS: [&str; 3] = ["conversions", "share", "value"];
const CI_SUBHEADERS: [&str; 2] = ["low", "high"];
const SPEND_SUBHEADERS: [&str; 3] = ["cost", "CPA", "ROAS"];

impl Group {
    pub(super) fn new(a: &Attribution, names: &[&str]) -> Group {
        let intervals = a.channels.iter().any(|c| c.ci.is_some());
        let spend = a.channels.iter().any(|c| c.spend.is_some());
        let mut headers = SUBHEADERS.to_vec();
        if intervals {
            headers.extend(CI_SUBHEADERS);
        }
        if spend {
            headers.extend(SPEND_SUBHEADERS);
        }
        let cell = |conv: f64, share: f64, value: f64, ci: Option<[f64; 2]>| {
            let mut row = vec![
                num(conv, 2),
                format!("{:.1}%", 100.0 * share),
                num(value, 2),
            ];
            if intervals {
                match ci {
                    Some([lo, hi]) => row.extend([num(lo, 2), num(hi, 2)]),
                    None => row.extend(["".into(), "".into()]),
                }
            }
            row
        };
        let mut cells: Vec<Vec<String>> = names
            .iter()
            .map(|n| match a.get(n) {
                Some(c) => {
                    let mut row = cell(
                        c.conversions,
                        c.share,
                        c.value,
                        c.ci.map(|ci| ci.conversions),
                    );
                    if spend {
                        row.extend(ChannelSpend::text_cells(c.spend.as_ref()));
                    }
                    row
                }
                None => vec!["-".to_string(); headers.len()],
            })
            .collect();
        let (conv, value) = (a.credited_conversions(), a.credited_value());
        let share = if a.total_conversions > 0.0 {
            conv / a.total_conversions
        } else {
            0.0
        };
        let mut total = cell(conv, share, value, None);
        if spend {
            let t = ChannelSpend::total(&a.channels, a.total_conversions, a.total_value);
            total.extend(ChannelSpend::text_cells(t.as_ref()));
        }
        cells.push(total);
        let mut widths: Vec<usize> = headers.iter().map(|h| h.len()).collect();
        for row in &cells {
            for (w, s) in widths.iter_mut().zip(row) {
                *w = (*w).max(s.len());
            }
        }
        // The model name spans the group: widen the last column if the name is longer.
        let span = widths.iter().sum::<usize>() + 2 * (widths.len() - 1);
        if let Some(last) = widths.last_mut() {
            *last += width(&a.model).saturating_sub(span);
        }
        Group {
            model: a.model.clone(),
            headers,
            cells,
            widths,
        }
    }

    fn width(&self) -> usize {
        self.widths.iter().sum::<usize>() + 2 * (self.widths.len() - 1)
    }
}

fn write_panel<W: Write>(
    out: &mut W,
    labels: &[String],
    label_width: usize,
    groups: &[Group],
) -> io::Result<()> {
    let mut line = String::new();
    // Model names, left-aligned over their group.
    pad(&mut line, "", label_width, false);
    for g in groups {
        line.push_str(&" ".repeat(GAP));
        pad(&mut line, &g.model, g.width(), false);
    }
    writeln!(out, "{}", line.trim_end())?;
    line.clear();
    pad(&mut line, "channel", label_width, false);
    for g in groups {
        line.push_str(&" ".repeat(GAP));
        for (i, (h, w)) in g.headers.iter().zip(&g.widths).enumerate() {
            if i > 0 {
                line.push_str("  ");
            }
            pad(&mut line, h, *w, true);
        }
    }
    writeln!(out, "{}", line.trim_end())?;
    for (r, label) in labels.iter().enumerate() {
        line.clear();
        pad(&mut line, label, label_width, false);
        for g in groups {
            line.push_str(&" ".repeat(GAP));
            for (i, (cell, w)) in g.cells[r].iter().zip(&g.widths).enumerate() {
                if i > 0 {
                    line.push_str("  ");
                }
                pad(&mut line, cell, *w, true);
            }
        }
        writeln!(out, "{}", line.trim_end())?;
    }
    Ok(())
}
