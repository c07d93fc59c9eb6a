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

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::io::{self, Write};
use std::str::FromStr;

use serde::Serialize;

use crate::attribution::{Attribution, ChannelCredit};
use crate::bootstrap::{Bootstrap, Scheme};
use crate::error::{Error, Result};
use crate::events::EventsReport;
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
    /// A Markdown pipe table for reports and issues ([`write_markdown`]).
    Md,
    /// JSON Lines, one object per model and channel ([`write_jsonl`]).
    Jsonl,
    /// A channel × model pivot CSV ([`write_wide`]).
    Wide,
}

impl Format {
    /// Every format, by the name [`Format::from_str`] accepts.
    pub const NAMES: &'static [&'static str] = &["table", "csv", "json", "md", "jsonl", "wide"];
}

impl FromStr for Format {
    type Err = Error;

    fn from_str(s: &str) -> Result<Format> {
        match s {
            "table" => Ok(Format::Table),
            "csv" => Ok(Format::Csv),
            "json" => Ok(Format::Json),
            "md" | "markdown" => Ok(Format::Md),
            "jsonl" => Ok(Format::Jsonl),
            "wide" => Ok(Format::Wide),
            _ => Err(Error::Unknown {
                what: "format",
                name: s.to_string(),
                valid: Format::NAMES.join(", "),
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
            Format::Md => "md",
            Format::Jsonl => "jsonl",
            Format::Wide => "wide",
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
    pub events: Option<EventsReport>,
    /// When confidence intervals were computed: the bootstrap configuration and the number of
    /// degenerate (conversion-free) replicates skipped per model.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bootstrap: Option<BootstrapSummary>,
}

/// The `bootstrap` object of a [`Summary`]: the configuration of the bootstrap and, per model,
/// the degenerate (conversion-free) replicates it skipped.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[non_exhaustive]
pub struct BootstrapSummary {
    /// Replicates skipped per model name, because they had no conversion.
    pub degenerate_replicates: BTreeMap<String, usize>,
    /// Confidence level.
    pub level: f64,
    /// Replicates drawn.
    pub replicates: usize,
    /// Resampling scheme.
    pub scheme: Scheme,
    /// Seed.
    pub seed: u64,
}

impl BootstrapSummary {
    /// The summary of `bootstrap`, with its degenerate replicates per model.
    pub fn new(bootstrap: &Bootstrap, degenerate_replicates: BTreeMap<String, usize>) -> Self {
        BootstrapSummary {
            degenerate_replicates,
            level: bootstrap.level,
            replicates: bootstrap.replicates,
            scheme: bootstrap.scheme,
            seed: bootstrap.seed,
        }
    }
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
        Format::Md => write_markdown(out, results),
        Format::Jsonl => write_jsonl(out, results),
        Format::Wide => write_wide(out, results),
    }
}

/// Columns of the long results table (CSV, Parquet), in order.
pub const LONG_COLUMNS: [&str; 6] = [
    "model",
    "channel",
    "conversions",
    "value",
    "share",
    "value_share",
];

/// Columns that follow [`LONG_COLUMNS`] when any result carries confidence intervals.
pub const INTERVAL_COLUMNS: [&str; 9] = [
    "conversions_lo",
    "conversions_hi",
    "value_lo",
    "value_hi",
    "share_lo",
    "share_hi",
    "conversions_se",
    "value_se",
    "share_se",
];

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
    let mut w = csv::Writer::from_writer(out);
    let intervals = results
        .iter()
        .any(|a| a.channels.iter().any(|c| c.ci.is_some()));
    let mut header = LONG_COLUMNS.to_vec();
    if intervals {
        header.extend(INTERVAL_COLUMNS);
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

/// A CSV writer error as [`Error::Io`].
fn io_err(e: csv::Error) -> Error {
    match e.into_kind() {
        csv::ErrorKind::Io(io) => Error::Io(io),
        other => Error::Io(io::Error::other(format!("{other:?}"))),
    }
}

/// One line of [`write_jsonl`]: the model name and the channel's credit.
#[derive(Serialize)]
struct JsonlRow<'a> {
    model: &'a str,
    #[serde(flatten)]
    credit: &'a ChannelCredit,
}

/// Writes JSON Lines: one compact object per model and channel (models in the given order,
/// channels sorted by name) with the fields of the long CSV, `{"model", "channel",
/// "conversions", "value", "share", "value_share"}`, plus `ci` (`{"conversions": [lo, hi],
/// "value": [lo, hi], "share": [lo, hi]}`) and `se` (`{"conversions", "value", "share"}`) when
/// intervals were computed. Model extras (removal effects, …) are not repeated per line: use
/// [`write_json`] for them.
///
/// # Errors
/// [`Error::Io`] when writing fails.
pub fn write_jsonl<W: Write>(mut out: W, results: &[Attribution]) -> Result<()> {
    for a in results {
        for credit in &a.channels {
            let row = JsonlRow {
                model: &a.model,
                credit,
            };
            serde_json::to_writer(&mut out, &row).map_err(io::Error::from)?;
            out.write_all(b"\n")?;
        }
    }
    out.flush()?;
    Ok(())
}

/// Writes the wide pivot CSV: one row per channel (sorted by name), for each model (in the given
/// order) the columns `<model>_conversions,<model>_value`:
/// `channel,first_touch_conversions,first_touch_value,linear_conversions,linear_value`. A channel
/// a model does not report has empty cells. Intervals are not pivoted (use the long CSV).
///
/// # Errors
/// [`Error::Io`] when writing fails.
pub fn write_wide<W: Write>(out: W, results: &[Attribution]) -> Result<()> {
    let columns: Vec<(String, String)> = results
        .iter()
        .map(|a| {
            (
                format!("{}_conversions", a.model),
                format!("{}_value", a.model),
            )
        })
        .collect();
    let header = std::iter::once("channel".to_string())
        .chain(columns.into_iter().flat_map(|(c, v)| [c, v]))
        .collect::<Vec<_>>();
    write_pivot(out, &header, results, true)
}

/// Writes one row per channel: the name, then for each result its conversions and (when
/// `value`) its value, under `header`.
fn write_pivot<W: Write>(
    out: W,
    header: &[String],
    results: &[Attribution],
    value: bool,
) -> Result<()> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record(header).map_err(io_err)?;
    let mut record: Vec<String> = Vec::with_capacity(header.len());
    for name in channel_names(results) {
        record.clear();
        record.push(name.to_string());
        for a in results {
            match a.get(name) {
                Some(c) => {
                    record.push(c.conversions.to_string());
                    if value {
                        record.push(c.value.to_string());
                    }
                }
                None => record.extend(std::iter::repeat_n(String::new(), 1 + usize::from(value))),
            }
        }
        w.write_record(&record).map_err(io_err)?;
    }
    w.flush()?;
    Ok(())
}

/// Output column names of another tool, for drop-in replacement.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Compat {
    /// The R/Python package ChannelAttribution ([`write_channelattribution`]).
    ChannelAttribution,
}

impl FromStr for Compat {
    type Err = Error;

    fn from_str(s: &str) -> Result<Compat> {
        match s {
            "channelattribution" | "ChannelAttribution" => Ok(Compat::ChannelAttribution),
            _ => Err(Error::Unknown {
                what: "compatibility mode",
                name: s.to_string(),
                valid: "channelattribution".into(),
            }),
        }
    }
}

/// Writes a CSV with ChannelAttribution's column names, one row per channel (sorted by name),
/// models in the given order. The mapping (ours → ChannelAttribution's):
///
/// | model | columns (with `value`) | columns (without `value`) |
/// |---|---|---|
/// | (channel) | `channel_name` | `channel_name` |
/// | `first_touch` | `first_touch_conversions`, `first_touch_value` | `first_touch` |
/// | `last_touch` | `last_touch_conversions`, `last_touch_value` | `last_touch` |
/// | `linear` (per touch) | `linear_touch_conversions`, `linear_touch_value` | `linear_touch` |
/// | `markov` | `total_conversions`, `total_conversion_value` | `total_conversions` |
///
/// So `first_touch,last_touch,linear` gives the frame of `heuristic_models(...)` and `markov`
/// alone that of `markov_model(...)`. ChannelAttribution itself names the Markov conversions
/// column `total_conversion` (singular) when it has a value column and `out_more=FALSE`; this
/// writer always uses `total_conversions`, the name of its `out_more=TRUE` output. `value`
/// should be false when the input had no value column (ChannelAttribution's `var_value=None`).
///
/// # Errors
/// [`Error::NoCompatModel`] when a result comes from a model ChannelAttribution does not
/// have (the message lists the ones it has); [`Error::Io`] when writing fails.
pub fn write_channelattribution<W: Write>(
    out: W,
    results: &[Attribution],
    value: bool,
) -> Result<()> {
    let mut header = vec!["channel_name".to_string()];
    for a in results {
        let Some(cols) = crate::registry::entry(&a.model).and_then(|e| e.channelattribution) else {
            let theirs: Vec<&str> = crate::registry::entries()
                .iter()
                .filter(|e| e.channelattribution.is_some())
                .map(|e| e.name)
                .collect();
            return Err(Error::NoCompatModel {
                tool: "ChannelAttribution",
                model: a.model.clone(),
                available: theirs.join(", "),
            });
        };
        if value {
            header.extend([cols.conversions.to_string(), cols.value.to_string()]);
        } else {
            header.push(cols.conversions_only.to_string());
        }
    }
    write_pivot(out, &header, results, value)
}

/// Writes a Markdown pipe table: channels as rows (then a `total` row), for each model the
/// columns `<model> conversions`, `<model> share`, `<model> value` and, when the model has
/// intervals, `<model> low`, `<model> high` (of conversions). Numbers with 2 decimals, shares as
/// percentages; `|` in names is escaped. For reading: the layout may change.
///
/// # Errors
/// [`Error::Io`] when writing fails.
pub fn write_markdown<W: Write>(mut out: W, results: &[Attribution]) -> Result<()> {
    let names = channel_names(results);
    let groups: Vec<Group> = results.iter().map(|a| Group::new(a, &names)).collect();
    let escape = |s: &str| s.replace('|', "\\|");
    let mut line = String::from("| channel |");
    let mut rule = String::from("|---|");
    for g in &groups {
        for h in &g.headers {
            line.push_str(&format!(" {} {h} |", escape(&g.model)));
            rule.push_str("---:|");
        }
    }
    writeln!(out, "{line}")?;
    writeln!(out, "{rule}")?;
    let labels = names.iter().map(|n| escape(n)).chain(["**total**".into()]);
    for (r, label) in labels.enumerate() {
        line = format!("| {label} |");
        for g in &groups {
            for cell in &g.cells[r] {
                line.push_str(&format!(" {cell} |"));
            }
        }
        writeln!(out, "{line}")?;
    }
    out.flush()?;
    Ok(())
}

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
const COMPARISON_COLUMNS: [&str; 9] = [
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
/// [`Error::Io`] when writing fails.
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
                let escape = |s: &str| s.replace('|', "\\|");
                let line = |cells: &[String]| {
                    let cells: Vec<String> = cells.iter().map(|s| escape(s)).collect();
                    format!("| {} |", cells.join(" | "))
                };
                writeln!(out, "{}", line(&header))?;
                writeln!(out, "|---|{}", "---:|".repeat(header.len() - 1))?;
                for row in &rows {
                    writeln!(out, "{}", line(row))?;
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
                        let fill = " ".repeat(w - width(s));
                        if i == 0 {
                            line.push_str(s);
                            line.push_str(&fill);
                        } else {
                            line.push_str("  ");
                            line.push_str(&fill);
                            line.push_str(s);
                        }
                    }
                    writeln!(out, "{}", line.trim_end())?;
                }
            }
        }
    }
    out.flush()?;
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

    use crate::fixtures::t2;

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
            e.contains("unknown format `xml`") && e.contains("table, csv, json, md, jsonl, wide"),
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
        // First touch on T2 (the model reference, §Rule-based results on T2): A 3 conversions,
        // 35 value; C = 7, V = 70.
        assert_eq!(lines[1], "first_touch,A,3,35,0.42857142857142855,0.5");
        // Linear per touch, A: 25/12 conversions, 74/3 value.
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

    #[test]
    fn markdown_is_a_pipe_table_with_a_total() {
        let s = render(Format::Md, &results(), None);
        let lines: Vec<&str> = s.lines().collect();
        assert_eq!(
            lines[0],
            "| channel | first_touch conversions | first_touch share | first_touch value \
             | linear conversions | linear share | linear value |"
        );
        assert_eq!(lines[1], "|---|---:|---:|---:|---:|---:|---:|");
        // A: first touch 3 (3/7 = 42.9%, value 35); linear 25/12 = 2.08, 74/3 = 24.67.
        assert_eq!(
            lines[2],
            "| A | 3.00 | 42.9% | 35.00 | 2.08 | 29.8% | 24.67 |"
        );
        assert!(lines[5].starts_with("| **total** | 7.00 | 100.0% | 70.00 |"));
        assert_eq!(lines.len(), 6);
        let mut t = PathTable::new();
        t.add(["a|b"], Outcome::converted(1.0, 1.0)).unwrap();
        let s = render(Format::Md, &[FirstTouch.attribute(&t).unwrap()], None);
        assert!(s.contains("| a\\|b | 1.00 |"), "{s}");
    }

    #[test]
    fn jsonl_has_one_object_per_model_and_channel() {
        let s = render(Format::Jsonl, &results(), None);
        let lines: Vec<serde_json::Value> = s
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 2 * 3);
        assert_eq!(
            lines[0],
            serde_json::json!({"model": "first_touch", "channel": "A", "conversions": 3.0,
                "value": 35.0, "share": 3.0 / 7.0, "value_share": 0.5})
        );
        assert_eq!(lines[3]["model"], "linear");
        assert!((lines[3]["conversions"].as_f64().unwrap() - 25.0 / 12.0).abs() < 1e-12);
        assert!(lines[3].get("ci").is_none());
    }

    #[test]
    fn wide_pivots_channels_by_model() {
        let s = render(Format::Wide, &results(), None);
        let lines: Vec<&str> = s.lines().collect();
        assert_eq!(
            lines[0],
            "channel,first_touch_conversions,first_touch_value,linear_conversions,linear_value"
        );
        // B: first touch 2 conversions, 17 value (the model reference, §Rule-based results on T2);
        // linear 5/2 and 68/3.
        let b: Vec<f64> = lines[2]
            .split(',')
            .skip(1)
            .map(|x| x.parse().unwrap())
            .collect();
        assert!(lines[2].starts_with("B,2,17,2.5,"));
        assert!((b[3] - 68.0 / 3.0).abs() < 1e-12);
        assert_eq!(lines.len(), 4);
    }

    #[test]
    fn channelattribution_names() {
        let t = t2();
        let heuristics = [
            FirstTouch.attribute(&t).unwrap(),
            crate::model::LastTouch.attribute(&t).unwrap(),
            Linear::default().attribute(&t).unwrap(),
        ];
        let mut out = Vec::new();
        write_channelattribution(&mut out, &heuristics, true).unwrap();
        let s = String::from_utf8(out).unwrap();
        assert_eq!(
            s.lines().next().unwrap(),
            "channel_name,first_touch_conversions,first_touch_value,last_touch_conversions,\
             last_touch_value,linear_touch_conversions,linear_touch_value"
        );
        // C: first touch 2 (18), last touch 3 (A>B>C 2 + C 1; value 20 + 8 = 28).
        assert!(s.lines().nth(3).unwrap().starts_with("C,2,18,3,28,"), "{s}");
        let mut out = Vec::new();
        write_channelattribution(&mut out, &heuristics, false).unwrap();
        let s = String::from_utf8(out).unwrap();
        assert_eq!(
            s.lines().collect::<Vec<_>>()[..2],
            [
                "channel_name,first_touch,last_touch,linear_touch",
                "A,3,2,2.083333333333333"
            ]
        );
        let e = write_channelattribution(
            Vec::new(),
            &[Participation::normalized().attribute(&t).unwrap()],
            true,
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("no model `participation_normalized`"), "{e}");
        assert_eq!(
            "channelattribution".parse::<Compat>().unwrap(),
            Compat::ChannelAttribution
        );
        assert!("mam".parse::<Compat>().is_err());
    }

    #[test]
    fn comparison_in_every_format() {
        let rs = results();
        // Reference first touch, comparison linear. A: 3 → 25/12, delta −11/12, −30.56 %.
        let cmp = Comparison::new(&rs[0], &rs[1]);
        assert_eq!(
            (cmp.reference.as_str(), cmp.comparison.as_str()),
            ("first_touch", "linear")
        );
        let a = &cmp.channels[0];
        assert!((a.delta_conversions + 11.0 / 12.0).abs() < 1e-12);
        assert!((a.pct_change_conversions.unwrap() + 100.0 * 11.0 / 36.0).abs() < 1e-9);
        // Value: 35 → 74/3, delta −31/3.
        assert!((a.delta_value + 31.0 / 3.0).abs() < 1e-12);
        let write = |f: Format| {
            let mut out = Vec::new();
            write_comparison(&mut out, f, &cmp).unwrap();
            String::from_utf8(out).unwrap()
        };
        let csv = write(Format::Csv);
        assert_eq!(csv.lines().next().unwrap(), COMPARISON_COLUMNS.join(","));
        assert!(
            csv.lines()
                .nth(2)
                .unwrap()
                .starts_with("B,2,2.5,0.5,25,17,"),
            "{csv}"
        );
        assert_eq!(write(Format::Wide), csv);
        let json: serde_json::Value = serde_json::from_str(&write(Format::Json)).unwrap();
        assert_eq!(json["reference"], "first_touch");
        assert_eq!(json["channels"][1]["pct_change_conversions"], 25.0);
        let jsonl = write(Format::Jsonl);
        let first: serde_json::Value = serde_json::from_str(jsonl.lines().next().unwrap()).unwrap();
        assert_eq!(
            (first["comparison"].as_str(), first["channel"].as_str()),
            (Some("linear"), Some("A"))
        );
        let md = write(Format::Md);
        assert!(md.contains("| B | 2.00 | 2.50 | +0.50 | +25.0% |"), "{md}");
        let table = write(Format::Table);
        assert!(
            table.starts_with("linear compared with first_touch (reference)"),
            "{table}"
        );
        // A reference credit of 0 has no percent change.
        let mut t = PathTable::new();
        t.add(["x", "y"], Outcome::converted(1.0, 1.0)).unwrap();
        let cmp = Comparison::new(
            &FirstTouch.attribute(&t).unwrap(),
            &Linear::default().attribute(&t).unwrap(),
        );
        assert_eq!(cmp.channels[1].pct_change_conversions, None);
        let mut out = Vec::new();
        write_comparison(&mut out, Format::Csv, &cmp).unwrap();
        assert!(
            String::from_utf8(out)
                .unwrap()
                .contains("\ny,0,0.5,0.5,,0,0.5,0.5,\n")
        );
    }
}
