//! Two models side by side: [`Comparison`] and its writer.

use std::io::{self, Write};

use serde::Serialize;

use super::layout::{md_row, md_rule, num, pad, width};
use super::{Format, channel_names, io_err};
use crate::attribution::Attribution;
use crate::error::Result;

/// One channel of a [`Comparison`]: a reference model's credit next to a comparison model's.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[non_exhaustive]
pub struct ComparedChannel {
    /// Channel name.
    pub channel: String,
    /// Conversions credited by the reference model.
    pub reference_conversions: f64,
    /// Conversions credited by the comparison model.
    pub comparison_conversions: f64,
    /// `comparison_conversions − reference_conversions`.
    pub delta_conversions: f64,
    /// `100 · delta / reference` in percent; `None` when the reference credits 0.
    pub pct_change_conversions: Option<f64>,
    /// Value credited by the reference model.
    pub reference_value: f64,
    /// Value credited by the comparison model.
    pub comparison_value: f64,
    /// `comparison_value − reference_value`.
    pub delta_value: f64,
    /// `100 · delta / reference` in percent; `None` when the reference credits 0.
    pub pct_change_value: Option<f64>,
}

/// Two models side by side per channel, with the difference and the relative change: GA4's
/// *model comparison* view.
///
/// ```
/// use touchpoint::report::Comparison;
/// use touchpoint::{AttributionModel, FirstTouch, LastTouch, Outcome, PathTable};
/// let mut t = PathTable::new();
/// t.add(["Search", "Email"], Outcome::converted(2.0, 20.0))?;
/// t.add(["Email"], Outcome::converted(2.0, 10.0))?;
/// let cmp = Comparison::new(&FirstTouch.attribute(&t)?, &LastTouch.attribute(&t)?);
/// let email = &cmp.channels[0];
/// assert_eq!((email.reference_conversions, email.comparison_conversions), (2.0, 4.0));
/// assert_eq!(email.pct_change_conversions, Some(100.0));
/// assert_eq!(cmp.channels[1].pct_change_conversions, Some(-100.0)); // Search: 2 → 0
/// # Ok::<(), touchpoint::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Serialize)]
#[non_exhaustive]
pub struct Comparison {
    /// Name of the reference model.
    pub reference: String,
    /// Name of the comparison model.
    pub comparison: String,
    /// Every channel of either model, sorted by name (0 where a model does not report it).
    pub channels: Vec<ComparedChannel>,
}

impl Comparison {
    /// Compares `comparison` against `reference`.
    pub fn new(reference: &Attribution, comparison: &Attribution) -> Comparison {
        let pair = [reference, comparison];
        let pct = |r: f64, d: f64| (r != 0.0).then(|| 100.0 * d / r);
        let channels = channel_names(&[reference.clone(), comparison.clone()])
            .into_iter()
            .map(|name| {
                let [r, c] =
                    pair.map(|a| a.get(name).map_or((0.0, 0.0), |c| (c.conversions, c.value)));
                ComparedChannel {
                    channel: name.to_string(),
                    reference_conversions: r.0,
                    comparison_conversions: c.0,
                    delta_conversions: c.0 - r.0,
                    pct_change_conversions: pct(r.0, c.0 - r.0),
                    reference_value: r.1,
                    comparison_value: c.1,
                    delta_value: c.1 - r.1,
                    pct_change_value: pct(r.1, c.1 - r.1),
                }
            })
            .collect();
        Comparison {
            reference: reference.model.clone(),
            comparison: comparison.model.clone(),
            channels,
        }
    }
}

/// The CSV (and JSON Lines) columns of a [`Comparison`].
pub(super) const COMPARISON_COLUMNS: [&str; 9] = [
    "channel",
    "reference_conversions",
    "comparison_conversions",
    "delta_conversions",
    "pct_change_conversions",
    "reference_value",
    "comparison_value",
    "delta_value",
    "pct_change_value",
];

/// Writes a [`Comparison`]:
///
/// * `csv` (and `wide`, which it already is): the header
///   `channel,reference_conversions,comparison_conversions,delta_conversions,pct_change_conversions,reference_value,comparison_value,delta_value,pct_change_value`,
///   one row per channel; a percent change is empty when the reference credits 0.
/// * `json`: `{"reference", "comparison", "channels": [{the CSV columns}]}` (a missing percent
///   change is `null`); `jsonl`: one object per channel with `reference` and `comparison`
///   model names and the CSV columns.
/// * `table` and `md`: the same columns for reading (2 decimals, signed deltas and changes).
///
/// # Errors
/// [`Error::Io`](crate::Error::Io) when writing fails.
pub fn write_comparison<W: Write>(mut out: W, format: Format, cmp: &Comparison) -> Result<()> {
    match format {
        Format::Csv | Format::Wide => {
            let mut w = csv::Writer::from_writer(&mut out);
            w.write_record(COMPARISON_COLUMNS).map_err(io_err)?;
            let opt = |x: Option<f64>| x.map_or(String::new(), |x| x.to_string());
            for c in &cmp.channels {
                w.write_record([
                    c.channel.clone(),
                    c.reference_conversions.to_string(),
                    c.comparison_conversions.to_string(),
                    c.delta_conversions.to_string(),
                    opt(c.pct_change_conversions),
                    c.reference_value.to_string(),
                    c.comparison_value.to_string(),
                    c.delta_value.to_string(),
                    opt(c.pct_change_value),
                ])
                .map_err(io_err)?;
            }
            w.flush()?;
        }
        Format::Json => {
            serde_json::to_writer_pretty(&mut out, cmp).map_err(io::Error::from)?;
            out.write_all(b"\n")?;
        }
        Format::Jsonl => {
            #[derive(Serialize)]
            struct Line<'a> {
                reference: &'a str,
                comparison: &'a str,
                #[serde(flatten)]
                channel: &'a ComparedChannel,
            }
            for channel in &cmp.channels {
                let line = Line {
                    reference: &cmp.reference,
                    comparison: &cmp.comparison,
                    channel,
                };
                serde_json::to_writer(&mut out, &line).map_err(io::Error::from)?;
                out.write_all(b"\n")?;
            }
        }
        Format::Table | Format::Md => {
            let (r, c) = (&cmp.reference, &cmp.comparison);
            let header: Vec<String> = vec![
                "channel".into(),
                format!("{r} conversions"),
                format!("{c} conversions"),
                "delta".into(),
                "change".into(),
                format!("{r} value"),
                format!("{c} value"),
                "delta".into(),
                "change".into(),
            ];
            let signed = |x: f64| format!("{x:+.2}");
            let pct = |x: Option<f64>| x.map_or("-".to_string(), |x| format!("{x:+.1}%"));
            let rows: Vec<Vec<String>> = cmp
                .channels
                .iter()
                .map(|ch| {
                    vec![
                        ch.channel.clone(),
                        num(ch.reference_conversions, 2),
                        num(ch.comparison_conversions, 2),
                        signed(ch.delta_conversions),
                        pct(ch.pct_change_conversions),
                        num(ch.reference_value, 2),
                        num(ch.comparison_value, 2),
                        signed(ch.delta_value),
                        pct(ch.pct_change_value),
                    ]
                })
                .collect();
            if format == Format::Md {
                writeln!(out, "{}", md_row(&header))?;
                writeln!(out, "{}", md_rule(header.len() - 1))?;
                for row in &rows {
                    writeln!(out, "{}", md_row(row))?;
                }
            } else {
                writeln!(out, "{c} compared with {r} (reference)\n")?;
                let mut widths: Vec<usize> = header.iter().map(|h| width(h)).collect();
                for row in &rows {
                    for (w, s) in widths.iter_mut().zip(row) {
                        *w = (*w).max(width(s));
                    }
                }
                for row in std::iter::once(&header).chain(&rows) {
                    let mut line = String::new();
                    for (i, (s, w)) in row.iter().zip(&widths).enumerate() {
                        if i > 0 {
                            line.push_str("  ");
                        }
                        pad(&mut line, s, *w, i > 0);
                    }
                    writeln!(out, "{}", line.trim_end())?;
                }
            }
        }
    }
    out.flush()?;
    Ok(())
}
