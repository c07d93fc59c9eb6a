//! Writing attributions for people and programs: an aligned text table, a long CSV and a stable
//! JSON document. Pure functions over `&[Attribution]` writing to any [`Write`].
//!
//! # Stability
//! Column names of the CSV and keys of the JSON are a contract: fields may be added (new
//! columns at the end, new keys), none is renamed or removed.
//!
//! * **CSV** (long format, one row per model and channel):
//!   `model,channel,conversions,value,share,value_share`.
//! * **JSON**: `{"total_conversions": C, "total_value": V, "total_null": U, "channels": [names,
//!   sorted], "models": [attribution, …], "summary": {…}}` where each attribution is
//!   `{"model", "channels": [{"channel", "conversions", "value", "share", "value_share"}],
//!   "total_conversions", "total_value", "total_null", <model extras>}` and `summary`
//!   (present when given) describes the input ([`Summary`]).
//!
//! Numbers are written with Rust's shortest round-trip formatting (CSV, JSON); shares are
//! fractions in [0, 1] (raw participation can exceed 1), not percentages. The text table is for
//! reading only: its layout may change.
//!
//! ```
//! use touchpoint::report::{Format, write_report};
//! use touchpoint::{AttributionModel, FirstTouch, Outcome, PathTable};
//! let mut t = PathTable::new();
//! t.add(["Search", "Email"], Outcome::new(2.0, 20.0, 1.0))?;
//! let results = vec![FirstTouch.attribute(&t)?];
//! let mut out = Vec::new();
//! write_report(&mut out, Format::Csv, &results, None)?;
//! assert_eq!(
//!     String::from_utf8(out).unwrap(),
//!     "model,channel,conversions,value,share,value_share\n\
//!      first_touch,Email,0,0,0,0\n\
//!      first_touch,Search,2,20,1,1\n"
//! );
//! # Ok::<(), touchpoint::Error>(())
//! ```

use std::collections::BTreeSet;
use std::fmt;
use std::io::{self, Write};
use std::str::FromStr;

use serde::Serialize;

use crate::attribution::Attribution;
use crate::error::{Error, Result};
use crate::formats::ReadReport;
use crate::table::PathTable;

/// An output format.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Format {
    /// Aligned text for reading ([`write_table`]).
    #[default]
    Table,
    /// Long CSV ([`write_csv`]).
    Csv,
    /// The stable JSON document ([`write_json`]).
    Json,
}

impl Format {
    /// Every format, by the name [`Format::from_str`] accepts.
    pub const NAMES: &'static [&'static str] = &["table", "csv", "json"];
}

impl FromStr for Format {
    type Err = Error;

    fn from_str(s: &str) -> Result<Format> {
        match s {
            "table" => Ok(Format::Table),
            "csv" => Ok(Format::Csv),
            "json" => Ok(Format::Json),
            _ => Err(Error::InvalidParameter {
                model: "report",
                name: "format",
                reason: format!("unknown format `{s}` (valid: {})", Format::NAMES.join(", ")),
            }),
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Format::Table => "table",
            Format::Csv => "csv",
            Format::Json => "json",
        })
    }
}

/// What was read: the `summary` object of the JSON output.
///
/// Fields may be added (the struct is `#[non_exhaustive]`); build it with
/// [`Summary::from_read`] or [`Summary::from_table`] and set fields.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[non_exhaustive]
pub struct Summary {
    /// Where the input came from (a file name, or `-` for stdin).
    pub input: String,
    /// Data rows read and added to the table.
    pub rows_read: u64,
    /// Bad rows skipped (with `--skip-bad-rows`).
    pub rows_skipped: u64,
    /// Distinct paths (rows of the path table).
    pub paths: usize,
    /// Channels in the table.
    pub channels: usize,
    /// Touches over all distinct paths (Σ path lengths).
    pub touches: usize,
    /// The input had a conversion value column.
    pub has_value: bool,
    /// The input had a null (non-converting journeys) column.
    pub has_nulls: bool,
    /// For event-log input: what the reader and the journey builder did (journeys built,
    /// converting and null journeys, unattributed conversions, dropped touches, …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub events: Option<serde_json::Value>,
    /// When confidence intervals were computed: the bootstrap configuration and the number of
    /// degenerate (conversion-free) replicates skipped per model.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bootstrap: Option<serde_json::Value>,
}

impl Summary {
    /// A summary of `table` as read from `input` by a reader that reported `read`.
    pub fn from_read(input: &str, read: &ReadReport, table: &PathTable) -> Summary {
        Summary {
            rows_read: read.rows,
            rows_skipped: read.skipped,
            has_value: read.has_value,
            has_nulls: read.has_nulls,
            ..Summary::from_table(input, table)
        }
    }

    /// A summary of a table built in memory (every row counted as read, value and null columns
    /// counted as present).
    pub fn from_table(input: &str, table: &PathTable) -> Summary {
        Summary {
            input: input.to_string(),
            rows_read: table.len() as u64,
            rows_skipped: 0,
            paths: table.len(),
            channels: table.channels().len(),
            touches: table.touch_count(),
            has_value: true,
            has_nulls: true,
            events: None,
            bootstrap: None,
        }
    }
}

/// Writes `results` in `format` (the summary is used by [`Format::Json`] only).
///
/// # Errors
/// [`Error::Io`] when writing fails.
pub fn write_report<W: Write>(
    out: W,
    format: Format,
    results: &[Attribution],
    summary: Option<&Summary>,
) -> Result<()> {
    match format {
        Format::Table => write_table(out, results),
        Format::Csv => write_csv(out, results),
        Format::Json => write_json(out, results, summary),
    }
}

/// Every channel named by any of `results`, sorted.
fn channel_names(results: &[Attribution]) -> Vec<&str> {
    let names: BTreeSet<&str> = results
        .iter()
        .flat_map(|a| a.channels.iter().map(|c| c.channel.as_str()))
        .collect();
    names.into_iter().collect()
}

/// (C, V, U) of the first result (every result of one run has the same totals); 0 without any.
fn totals(results: &[Attribution]) -> (f64, f64, f64) {
    results.first().map_or((0.0, 0.0, 0.0), |a| {
        (a.total_conversions, a.total_value, a.total_null)
    })
}

/// The JSON document (see the [module docs](self)).
#[derive(Serialize)]
struct JsonReport<'a> {
    total_conversions: f64,
    total_value: f64,
    total_null: f64,
    channels: Vec<&'a str>,
    models: &'a [Attribution],
    #[serde(skip_serializing_if = "Option::is_none")]
    summary: Option<&'a Summary>,
}

/// Writes the stable JSON document (pretty-printed, with a final newline). Totals are those of
/// the first result (every result of one table has the same), 0 when `results` is empty.
///
/// # Errors
/// [`Error::Io`] when writing fails.
pub fn write_json<W: Write>(
    mut out: W,
    results: &[Attribution],
    summary: Option<&Summary>,
) -> Result<()> {
    let (c, v, u) = totals(results);
    let doc = JsonReport {
        total_conversions: c,
        total_value: v,
        total_null: u,
        channels: channel_names(results),
        models: results,
        summary,
    };
    serde_json::to_writer_pretty(&mut out, &doc).map_err(io::Error::from)?;
    out.write_all(b"\n")?;
    out.flush()?;
    Ok(())
}

/// Writes the long CSV: a header `model,channel,conversions,value,share,value_share`, then one
/// row per model and channel (models in the given order, channels sorted by name).
///
/// # Errors
/// [`Error::Io`] when writing fails.
pub fn write_csv<W: Write>(out: W, results: &[Attribution]) -> Result<()> {
    let io_err = |e: csv::Error| match e.into_kind() {
        csv::ErrorKind::Io(io) => Error::Io(io),
        other => Error::Io(io::Error::other(format!("{other:?}"))),
    };
    let mut w = csv::Writer::from_writer(out);
    let intervals = results
        .iter()
        .any(|a| a.channels.iter().any(|c| c.ci.is_some()));
    let mut header = vec![
        "model",
        "channel",
        "conversions",
        "value",
        "share",
        "value_share",
    ];
    if intervals {
        header.extend([
            "conversions_lo",
            "conversions_hi",
            "value_lo",
            "value_hi",
            "share_lo",
            "share_hi",
            "conversions_se",
            "value_se",
            "share_se",
        ]);
    }
    w.write_record(&header).map_err(io_err)?;
    let mut record: Vec<String> = Vec::with_capacity(header.len());
    for a in results {
        for c in &a.channels {
            record.clear();
            record.extend([
                a.model.clone(),
                c.channel.clone(),
                c.conversions.to_string(),
                c.value.to_string(),
                c.share.to_string(),
                c.value_share.to_string(),
            ]);
            if intervals {
                match (&c.ci, &c.se) {
                    (Some(ci), Some(se)) => record.extend(
                        [
                            ci.conversions[0],
                            ci.conversions[1],
                            ci.value[0],
                            ci.value[1],
                            ci.share[0],
                            ci.share[1],
                            se.conversions,
                            se.value,
                            se.share,
                        ]
                        .map(|x| x.to_string()),
                    ),
                    _ => record.extend(std::iter::repeat_n(String::new(), 9)),
                }
            }
            w.write_record(&record).map_err(io_err)?;
        }
    }
    w.flush()?;
    Ok(())
}

/// Widest line the text table aims for; models that do not fit go to the next panel.
const TABLE_WIDTH: usize = 100;
/// Longest channel name shown whole in the text table.
const MAX_NAME: usize = 40;

/// Writes an aligned text table: channels as rows, one column group per model (conversions,
/// share of conversions, value), a total row; models that do not fit in 100 columns continue in
/// further panels below.
///
/// # Errors
/// [`Error::Io`] when writing fails.
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
    out.flush()?;
    Ok(())
}

/// Blanks between column groups.
const GAP: usize = 4;

/// One model's formatted cells: per row (channels, then total) conversions, share, value, and
/// the conversions interval (low, high) when the model has one.
struct Group {
    model: String,
    headers: Vec<&'static str>,
    cells: Vec<Vec<String>>,
    widths: Vec<usize>,
}

const SUBHEADERS: [&str; 3] = ["conversions", "share", "value"];
const CI_SUBHEADERS: [&str; 2] = ["low", "high"];

impl Group {
    fn new(a: &Attribution, names: &[&str]) -> Group {
        let intervals = a.channels.iter().any(|c| c.ci.is_some());
        let mut headers = SUBHEADERS.to_vec();
        if intervals {
            headers.extend(CI_SUBHEADERS);
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
                Some(c) => cell(
                    c.conversions,
                    c.share,
                    c.value,
                    c.ci.map(|ci| ci.conversions),
                ),
                None => vec!["-".to_string(); headers.len()],
            })
            .collect();
        let (conv, value) = (a.credited_conversions(), a.credited_value());
        let share = if a.total_conversions > 0.0 {
            conv / a.total_conversions
        } else {
            0.0
        };
        cells.push(cell(conv, share, value, None));
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
    let pad = |line: &mut String, s: &str, w: usize, right: bool| {
        let fill = " ".repeat(w.saturating_sub(width(s)));
        if right {
            line.push_str(&fill);
            line.push_str(s);
        } else {
            line.push_str(s);
            line.push_str(&fill);
        }
    };
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

/// Display width, counting characters (good enough for names without wide characters).
fn width(s: &str) -> usize {
    s.chars().count()
}

/// A channel name cut to [`MAX_NAME`] characters (with `…`) for the text table.
fn shorten(name: &str) -> String {
    if width(name) <= MAX_NAME {
        name.to_string()
    } else {
        let mut s: String = name.chars().take(MAX_NAME - 1).collect();
        s.push('…');
        s
    }
}

/// A total: whole numbers without decimals, others with 2.
fn count(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{x:.0}")
    } else {
        num(x, 2)
    }
}

/// `x` with `digits` decimals.
fn num(x: f64, digits: usize) -> String {
    format!("{x:.digits$}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{AttributionModel, FirstTouch, Linear, Participation};
    use crate::outcome::Outcome;

    /// MODELS.md table T2.
    fn t2() -> PathTable {
        let mut t = PathTable::new();
        for (p, c, v, n) in [
            ("A>B>C", 2.0, 20.0, 1.0),
            ("A>A>B", 1.0, 15.0, 2.0),
            ("B", 1.0, 5.0, 3.0),
            ("C>A", 1.0, 10.0, 1.0),
            ("B>C>B>A", 1.0, 12.0, 0.0),
            ("C", 1.0, 8.0, 1.0),
        ] {
            t.add(p.split('>'), Outcome::new(c, v, n)).unwrap();
        }
        t
    }

    fn results() -> Vec<Attribution> {
        let t = t2();
        vec![
            FirstTouch.attribute(&t).unwrap(),
            Linear::default().attribute(&t).unwrap(),
        ]
    }

    fn render(format: Format, results: &[Attribution], summary: Option<&Summary>) -> String {
        let mut out = Vec::new();
        write_report(&mut out, format, results, summary).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn formats_parse_and_print() {
        for name in Format::NAMES {
            assert_eq!(name.parse::<Format>().unwrap().to_string(), *name);
        }
        let e = "xml".parse::<Format>().unwrap_err().to_string();
        assert!(
            e.contains("unknown format `xml`") && e.contains("table, csv, json"),
            "{e}"
        );
    }

    #[test]
    fn csv_is_long_and_round_trips_numbers() {
        let s = render(Format::Csv, &results(), None);
        let lines: Vec<&str> = s.lines().collect();
        assert_eq!(
            lines[0],
            "model,channel,conversions,value,share,value_share"
        );
        assert_eq!(lines.len(), 1 + 2 * 3);
        // First touch on T2 (MODELS.md O2a/O2b): A 3 conversions, 35 value; C = 7, V = 70.
        assert_eq!(lines[1], "first_touch,A,3,35,0.42857142857142855,0.5");
        // Linear per touch, A: 25/12 conversions (O2a), 74/3 value (O2b).
        let a: Vec<&str> = lines[4].split(',').collect();
        assert_eq!(a[..2], ["linear", "A"]);
        assert!((a[2].parse::<f64>().unwrap() - 25.0 / 12.0).abs() < 1e-12);
        assert!((a[3].parse::<f64>().unwrap() - 74.0 / 3.0).abs() < 1e-12);
    }

    #[test]
    fn csv_quotes_channel_names() {
        let mut t = PathTable::new();
        t.add(
            ["Email, weekly", "Search \"brand\""],
            Outcome::converted(1.0, 2.0),
        )
        .unwrap();
        let s = render(Format::Csv, &[FirstTouch.attribute(&t).unwrap()], None);
        assert!(s.contains("first_touch,\"Email, weekly\",1,2,1,1\n"), "{s}");
        assert!(
            s.contains("first_touch,\"Search \"\"brand\"\"\",0,0,0,0\n"),
            "{s}"
        );
    }

    #[test]
    fn json_has_the_stable_shape() {
        let t = t2();
        let rs = results();
        let summary = Summary::from_table("t2.csv", &t);
        let v: serde_json::Value =
            serde_json::from_str(&render(Format::Json, &rs, Some(&summary))).unwrap();
        assert_eq!(v["total_conversions"], 7.0);
        assert_eq!(v["total_value"], 70.0);
        assert_eq!(v["total_null"], 8.0);
        assert_eq!(v["channels"], serde_json::json!(["A", "B", "C"]));
        // Compared through the same (not exactly rounding) float parser on both sides.
        let first: serde_json::Value =
            serde_json::from_str(&serde_json::to_string(&rs[0]).unwrap()).unwrap();
        assert_eq!(v["models"][0], first);
        assert_eq!(v["models"][1]["model"], "linear");
        let ch = &v["models"][1]["channels"][0];
        for key in ["channel", "conversions", "value", "share", "value_share"] {
            assert!(ch.get(key).is_some(), "missing {key}");
        }
        assert_eq!(v["summary"]["paths"], 6);
        assert_eq!(v["summary"]["input"], "t2.csv");
        // Without a summary the key is absent.
        let v: serde_json::Value = serde_json::from_str(&render(Format::Json, &rs, None)).unwrap();
        assert!(v.get("summary").is_none());
    }

    #[test]
    fn json_keeps_model_extras() {
        let t = t2();
        let a = FirstTouch
            .attribute(&t)
            .unwrap()
            .with_extra("removal_effects", [0.5]);
        let v: serde_json::Value = serde_json::from_str(&render(Format::Json, &[a], None)).unwrap();
        assert_eq!(v["models"][0]["removal_effects"], serde_json::json!([0.5]));
    }

    #[test]
    fn empty_results_give_zero_totals() {
        let v: serde_json::Value = serde_json::from_str(&render(Format::Json, &[], None)).unwrap();
        assert_eq!(v["total_conversions"], 0.0);
        assert_eq!(v["models"], serde_json::json!([]));
        assert_eq!(render(Format::Csv, &[], None).lines().count(), 1);
        assert!(
            render(Format::Table, &[], None)
                .starts_with("0 conversions, value 0, 0 null journeys; 0 channels, 0 models")
        );
    }

    #[test]
    fn table_rows_are_channels_with_a_total() {
        let s = render(Format::Table, &results(), None);
        let lines: Vec<&str> = s.lines().collect();
        assert_eq!(
            lines[0],
            "7 conversions, value 70, 8 null journeys; 3 channels, 2 models"
        );
        assert!(lines[2].contains("first_touch") && lines[2].contains("linear"));
        assert!(lines[3].starts_with("channel"));
        // A: first touch 3 (42.9%, value 35); linear 25/12 = 2.08 (29.8%), 74/3 = 24.67.
        assert_eq!(
            lines[4].split_whitespace().collect::<Vec<_>>(),
            ["A", "3.00", "42.9%", "35.00", "2.08", "29.8%", "24.67"]
        );
        assert!(lines[7].starts_with("total"));
        assert!(lines[7].contains("7.00") && lines[7].contains("100.0%"));
        // Columns line up: every data line has the same length as the sub-header.
        let w = lines[3].len();
        assert!(lines[4..8].iter().all(|l| l.len() == w), "{s}");
    }

    #[test]
    fn wide_tables_continue_in_panels() {
        let t = t2();
        let rs: Vec<Attribution> = (0..6)
            .map(|_| Participation::normalized().attribute(&t).unwrap())
            .collect();
        let s = render(Format::Table, &rs, None);
        let panels = s.matches("\nchannel").count();
        assert!(panels >= 2, "{s}");
        assert!(s.lines().all(|l| l.chars().count() <= TABLE_WIDTH), "{s}");
        assert_eq!(s.matches("participation_normalized").count(), 6);
    }

    #[test]
    fn long_and_non_latin_names_align() {
        let mut t = PathTable::new();
        let long = "x".repeat(60);
        t.add(["Поиск", long.as_str()], Outcome::converted(1.0, 1.0))
            .unwrap();
        let s = render(Format::Table, &[FirstTouch.attribute(&t).unwrap()], None);
        let lines: Vec<&str> = s.lines().collect();
        assert!(s.contains(&format!("{}…", "x".repeat(39))), "{s}");
        let w = width(lines[3]);
        assert!(lines[4..].iter().all(|l| width(l) == w), "{s}");
    }
}
