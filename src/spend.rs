//! Spend per channel, and what it buys: cost per acquisition and return on ad spend under each
//! model ([model reference](crate::reference), §Path analytics / Spend, CPA and ROAS).
//!
//! A spend file is a CSV with the header `channel,cost` and optionally `start,end` (ISO dates,
//! `YYYY-MM-DD`, both inclusive): one row per channel. [`Spend::annotate`] writes into every
//! channel of an [`Attribution`] its [`ChannelSpend`]:
//!
//! * `cost`: the channel's spend (`None` for a channel without a spend row);
//! * `cpa = cost / conversions` (attributed conversions); `None` when the cost is unknown or the
//!   channel is credited no (or negative) conversions;
//! * `roas = value / cost` (attributed value); `None` when the cost is unknown or 0.
//!
//! No figure is ever infinite or NaN. With bootstrap intervals on the channel (its `ci`), the
//! intervals of CPA and ROAS come from the same replicates: `roas_ci = value_ci / cost` and
//! `cpa_ci = [cost / conversions_hi, cost / conversions_lo]` (percentile intervals follow
//! monotone transformations; an unbounded end is `None`).
//!
//! ```
//! use touchpoint::spend::Spend;
//! use touchpoint::{AttributionModel, LastTouch, Outcome, PathTable};
//! let mut t = PathTable::new();
//! t.add(["Search", "Email"], Outcome::new(4.0, 200.0, 10.0))?;
//! t.add(["Display"], Outcome::new(1.0, 30.0, 20.0))?;
//! let spend = Spend::from_csv("channel,cost\nEmail,100\nDisplay,0\n".as_bytes())?;
//! let mut a = LastTouch.attribute(&t)?;
//! spend.annotate(&mut a);
//! let email = a.get("Email").unwrap().spend.as_ref().unwrap();
//! assert_eq!((email.cost, email.cpa, email.roas), (Some(100.0), Some(25.0), Some(2.0)));
//! let display = a.get("Display").unwrap().spend.as_ref().unwrap();
//! assert_eq!((display.cpa, display.roas), (Some(0.0), None)); // free: no ROAS
//! let search = a.get("Search").unwrap().spend.as_ref().unwrap();
//! assert_eq!((search.cost, search.cpa), (None, None)); // touches but no spend row
//! # Ok::<(), touchpoint::Error>(())
//! ```

use std::fmt;
use std::io::Read;

use chrono::{DateTime, NaiveDate};
use serde::{Deserialize, Deserializer, Serialize};

use crate::attribution::{Attribution, ChannelCredit};
use crate::error::{Error, Location, ParseProblem, Result};
use crate::table::PathTable;

/// What is wrong with a spend file; carried by [`Error::Spend`] with the line.
#[derive(Clone, Debug, PartialEq, thiserror::Error, Serialize)]
#[non_exhaustive]
pub enum SpendProblem {
    /// A field-level problem shared with the path readers (missing or duplicate column, field
    /// count, a cost that is not a number or is negative, an empty field).
    #[error(transparent)]
    Field(#[from] ParseProblem),
    /// The file is larger than [`MAX_SPEND_BYTES`].
    #[error("the spend file is larger than {limit} bytes")]
    TooLarge {
        /// The limit.
        limit: usize,
    },
    /// The header has a `campaign` column: campaigns are not supported yet.
    #[error(
        "column `campaign`: spend per campaign is not supported yet (give one row per channel)"
    )]
    Campaigns,
    /// The header has a column that is none of `channel`, `cost`, `start`, `end`.
    #[error("unknown column `{name}` (valid: channel, cost, start, end)")]
    UnknownColumn {
        /// The column.
        name: String,
    },
    /// Only one of `start` and `end` is in the header, or set in a row.
    #[error("`start` and `end` go together: give both or neither")]
    HalfPeriod,
    /// A date does not parse as `YYYY-MM-DD`.
    #[error("{field}: `{text}` is not a date (YYYY-MM-DD)")]
    BadDate {
        /// `start` or `end`.
        field: &'static str,
        /// The text found.
        text: String,
    },
    /// `start` is after `end`.
    #[error("start {start} is after end {end}")]
    EmptyPeriod {
        /// The start date.
        start: NaiveDate,
        /// The end date.
        end: NaiveDate,
    },
    /// A channel has two rows.
    #[error("channel `{channel}` already has a spend row (line {first_line})")]
    DuplicateChannel {
        /// The channel.
        channel: String,
        /// The line of its first row.
        first_line: u64,
    },
    /// The row's period does not match the data's ([`SpendOptions::slack_days`]).
    #[error(
        "spend period {start} to {end} does not match the data's period {first} to {last} \
         (it must contain it, exceeding it by at most {slack} day(s) at either end)"
    )]
    PeriodMismatch {
        /// The spend period's first day.
        start: NaiveDate,
        /// The spend period's last day.
        end: NaiveDate,
        /// The day of the data's first timestamp (UTC).
        first: NaiveDate,
        /// The day of the data's last timestamp (UTC).
        last: NaiveDate,
        /// The slack allowed.
        slack: u32,
    },
}

/// The largest spend file read (bytes): far more than one row per channel needs.
pub const MAX_SPEND_BYTES: usize = 16 << 20;

/// One row of a spend file.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SpendEntry {
    /// Channel name (trimmed).
    pub channel: String,
    /// Spend, finite and ≥ 0.
    pub cost: f64,
    /// The period the spend covers, first and last day inclusive, when given.
    pub period: Option<(NaiveDate, NaiveDate)>,
    /// The line of the file.
    pub line: u64,
}

/// Spend per channel, read from a CSV ([`Spend::from_csv`]).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Spend {
    /// One entry per channel, sorted by channel name.
    pub entries: Vec<SpendEntry>,
}

/// How [`Spend::check`] compares periods.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct SpendOptions {
    /// Days a spend period may extend beyond the data's first and last day (default 1: a spend
    /// export for March 1–31 matches events from March 1 23:00 to March 30).
    pub slack_days: u32,
}

impl SpendOptions {
    /// Options allowing `days` of slack at either end of a period.
    pub fn with_slack(days: u32) -> SpendOptions {
        SpendOptions { slack_days: days }
    }
}

impl Default for SpendOptions {
    fn default() -> Self {
        SpendOptions { slack_days: 1 }
    }
}

/// Something [`Spend::check`] noticed that is not an error. Channels are never dropped: a
/// channel with spend but no touch is reported with 0 conversions, a channel with touches but
/// no spend with empty spend figures.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
#[non_exhaustive]
pub enum SpendWarning {
    /// The spend file names a channel no path of the table touches.
    NoTouches {
        /// The channel.
        channel: String,
    },
    /// A channel of the table's paths has no spend row.
    NoSpend {
        /// The channel.
        channel: String,
    },
    /// The spend file has periods but the table has no timestamps to check them against.
    PeriodUnchecked,
}

impl fmt::Display for SpendWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SpendWarning::NoTouches { channel } => write!(
                f,
                "spend: channel `{channel}` has spend but no touches (reported with 0 conversions)"
            ),
            SpendWarning::NoSpend { channel } => write!(
                f,
                "spend: channel `{channel}` has touches but no spend row (cost, CPA and ROAS empty)"
            ),
            SpendWarning::PeriodUnchecked => f.write_str(
                "spend: the data has no timestamps, so the spend periods are not checked",
            ),
        }
    }
}

/// A `[lo, hi]` interval whose ends may be unbounded (`None`).
pub type OpenInterval = [Option<f64>; 2];

/// Spend figures of one channel under one model (see the [module docs](self)); serialized inline
/// in the channel's JSON object as `cost`, `cpa`, `roas` (and `cpa_ci`, `roas_ci`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChannelSpend {
    /// The channel's spend; `None` when the spend file has no row for it.
    // A required (if nullable) key: its absence is what tells "no spend given" on reading.
    #[serde(deserialize_with = "nullable")]
    pub cost: Option<f64>,
    /// Cost per attributed conversion.
    pub cpa: Option<f64>,
    /// Attributed value per unit of cost.
    pub roas: Option<f64>,
    /// Bootstrap interval of `cpa`, when the channel has one of conversions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpa_ci: Option<OpenInterval>,
    /// Bootstrap interval of `roas`, when the channel has one of value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub roas_ci: Option<OpenInterval>,
}

fn nullable<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<Option<f64>, D::Error> {
    Option::<f64>::deserialize(d)
}

/// `x / y` when `y > 0`, else `None`.
fn per(x: f64, y: f64) -> Option<f64> {
    (y > 0.0).then(|| x / y)
}

impl ChannelSpend {
    /// The figures of a channel credited `credit`, with spend `cost`.
    pub fn new(cost: Option<f64>, credit: &ChannelCredit) -> ChannelSpend {
        let Some(cost) = cost else {
            return ChannelSpend {
                cost: None,
                cpa: None,
                roas: None,
                cpa_ci: None,
                roas_ci: None,
            };
        };
        let ci = credit.ci.as_ref();
        ChannelSpend {
            cost: Some(cost),
            cpa: per(cost, credit.conversions),
            roas: per(credit.value, cost),
            cpa_ci: ci.map(|ci| [per(cost, ci.conversions[1]), per(cost, ci.conversions[0])]),
            roas_ci: ci
                .filter(|_| cost > 0.0)
                .map(|ci| [per(ci.value[0], cost), per(ci.value[1], cost)]),
        }
    }
}

/// A csv error as ours, at its own position when it has one.
fn csv_error(e: csv::Error, at: Location) -> Error {
    let at = e.position().map_or(at, |p| Location {
        line: p.line(),
        record: p.record(),
    });
    match crate::formats::paths_csv::csv_problem(e) {
        Ok(problem) => spend_error(at.line, at.record, problem),
        Err(io) => Error::Io(io),
    }
}

/// Columns of the spend figures in the long CSV, after any interval columns, when the results
/// carry spend.
pub const SPEND_COLUMNS: [&str; 3] = ["cost", "cpa", "roas"];

/// Columns after [`SPEND_COLUMNS`] when the results also carry intervals.
pub const SPEND_INTERVAL_COLUMNS: [&str; 4] = ["cpa_lo", "cpa_hi", "roas_lo", "roas_hi"];

/// True when some channel of `results` carries spend figures.
pub fn has_spend(results: &[Attribution]) -> bool {
    results
        .iter()
        .any(|a| a.channels.iter().any(|c| c.spend.is_some()))
}

impl ChannelSpend {
    /// The [`SPEND_COLUMNS`] cells (shortest round-trip numbers, empty for `None`), then with
    /// `intervals` the [`SPEND_INTERVAL_COLUMNS`] cells.
    pub fn csv_cells(spend: Option<&ChannelSpend>, intervals: bool) -> Vec<String> {
        let cell = |x: Option<f64>| x.map_or_else(String::new, |x| x.to_string());
        let s = spend
            .cloned()
            .unwrap_or_else(|| ChannelSpend::new(None, &ZERO_CREDIT));
        let mut cells = vec![cell(s.cost), cell(s.cpa), cell(s.roas)];
        if intervals {
            let [cl, ch] = s.cpa_ci.unwrap_or([None, None]);
            let [rl, rh] = s.roas_ci.unwrap_or([None, None]);
            cells.extend([cl, ch, rl, rh].map(cell));
        }
        cells
    }

    /// `cost`, `CPA` and `ROAS` for reading (2 decimals, `-` for `None`): the text table and
    /// Markdown columns.
    pub fn text_cells(spend: Option<&ChannelSpend>) -> [String; 3] {
        let cell = |x: Option<f64>| x.map_or_else(|| "-".to_string(), |x| format!("{x:.2}"));
        match spend {
            Some(s) => [cell(s.cost), cell(s.cpa), cell(s.roas)],
            None => ["-".to_string(), "-".to_string(), "-".to_string()],
        }
    }

    /// The figures of a whole table: total cost over `channels`, total CPA (cost ÷
    /// `conversions`) and ROAS (`value` ÷ cost); `None` when no channel has a cost.
    pub fn total(channels: &[ChannelCredit], conversions: f64, value: f64) -> Option<ChannelSpend> {
        let costs: Vec<f64> = channels
            .iter()
            .filter_map(|c| c.spend.as_ref().and_then(|s| s.cost))
            .collect();
        (!costs.is_empty()).then(|| {
            let cost: f64 = costs.iter().sum();
            ChannelSpend {
                cost: Some(cost),
                cpa: per(cost, conversions),
                roas: per(value, cost),
                cpa_ci: None,
                roas_ci: None,
            }
        })
    }
}

/// A channel credited nothing, for [`ChannelSpend::csv_cells`] of a channel without spend.
const ZERO_CREDIT: ChannelCredit = ChannelCredit {
    channel: String::new(),
    conversions: 0.0,
    value: 0.0,
    share: 0.0,
    value_share: 0.0,
    ci: None,
    se: None,
    spend: None,
};

fn spend_error(line: u64, record: u64, problem: impl Into<SpendProblem>) -> Error {
    Error::Spend {
        at: Location { line, record },
        problem: problem.into(),
    }
}

impl Spend {
    /// Reads a spend CSV (comma-delimited, header first; surrounding blanks and a leading
    /// byte-order mark ignored).
    ///
    /// # Errors
    /// [`Error::Spend`] with the line for a header without `channel` or `cost`, a `campaign` or
    /// unknown column, a row with the wrong number of fields, an empty channel, a cost that is
    /// not a finite number ≥ 0, a bad or half-given period, a channel given twice;
    /// broken CSV syntax or invalid UTF-8; [`Error::Io`].
    pub fn from_csv<R: Read>(reader: R) -> Result<Spend> {
        // Spend files are small: read at most the limit, so that line numbers can be counted
        // exactly (csv's own count skips blank lines).
        let mut input = Vec::new();
        reader
            .take(MAX_SPEND_BYTES as u64 + 1)
            .read_to_end(&mut input)?;
        if input.len() > MAX_SPEND_BYTES {
            return Err(spend_error(
                1,
                0,
                SpendProblem::TooLarge {
                    limit: MAX_SPEND_BYTES,
                },
            ));
        }
        let line_at = |byte: u64| {
            let mut end = usize::try_from(byte).map_or(input.len(), |b| b.min(input.len()));
            // A record's position is where the reader resumed: before skipped blank lines.
            while input.get(end).is_some_and(|&b| b == b'\n' || b == b'\r') {
                end += 1;
            }
            1 + input[..end].iter().filter(|&&b| b == b'\n').count() as u64
        };
        let mut rdr = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(input.as_slice());
        let mut records = rdr.records();
        let at1 = Location { line: 1, record: 0 };
        let header = match records.next() {
            None => return Err(spend_error(1, 0, ParseProblem::NoHeader)),
            Some(h) => h.map_err(|e| csv_error(e, at1))?,
        };
        let names: Vec<String> = header
            .iter()
            .enumerate()
            .map(|(i, h)| {
                let h = if i == 0 {
                    h.trim_start_matches('\u{feff}')
                } else {
                    h
                };
                h.trim().to_ascii_lowercase()
            })
            .collect();
        let mut cols = [None; 4]; // channel, cost, start, end
        for (i, name) in names.iter().enumerate() {
            let slot = match name.as_str() {
                "channel" => 0,
                "cost" => 1,
                "start" => 2,
                "end" => 3,
                "campaign" => return Err(spend_error(1, 0, SpendProblem::Campaigns)),
                _ => {
                    return Err(spend_error(
                        1,
                        0,
                        SpendProblem::UnknownColumn { name: name.clone() },
                    ));
                }
            };
            if cols[slot].replace(i).is_some() {
                return Err(spend_error(
                    1,
                    0,
                    ParseProblem::DuplicateColumn { name: name.clone() },
                ));
            }
        }
        let [Some(channel_col), Some(cost_col), start_col, end_col] = cols else {
            let name = if cols[0].is_none() { "channel" } else { "cost" };
            return Err(spend_error(
                1,
                0,
                ParseProblem::MissingColumn {
                    name: name.into(),
                    found: names.join(","),
                },
            ));
        };
        let period_cols = match (start_col, end_col) {
            (Some(s), Some(e)) => Some((s, e)),
            (None, None) => None,
            _ => return Err(spend_error(1, 0, SpendProblem::HalfPeriod)),
        };
        let mut entries: Vec<SpendEntry> = Vec::new();
        for (record, rec) in records.enumerate() {
            let record = record as u64;
            let rec = rec.map_err(|e| csv_error(e, at1))?;
            let line = rec.position().map_or(record + 2, |p| line_at(p.byte()));
            let fail = |p: SpendProblem| spend_error(line, record, p);
            if rec.len() == 1 && rec[0].trim().is_empty() {
                continue; // a blank line
            }
            if rec.len() != names.len() {
                return Err(fail(
                    ParseProblem::FieldCount {
                        expected: names.len(),
                        found: rec.len(),
                    }
                    .into(),
                ));
            }
            let field = |col: usize, name: &str| match rec[col].trim() {
                "" => Err(fail(ParseProblem::EmptyField { field: name.into() }.into())),
                text => Ok(text),
            };
            let channel = field(channel_col, "channel")?;
            let text = field(cost_col, "cost")?;
            let cost: f64 = text.parse().map_err(|_| {
                fail(
                    ParseProblem::NotANumber {
                        field: "cost".into(),
                        text: text.into(),
                    }
                    .into(),
                )
            })?;
            if !(cost.is_finite() && cost >= 0.0) {
                return Err(fail(
                    ParseProblem::InvalidCount {
                        field: "cost".into(),
                        value: cost,
                        reason: "must be finite and >= 0",
                    }
                    .into(),
                ));
            }
            let period = match period_cols {
                None => None,
                Some((s, e)) => {
                    let (s, e) = (rec[s].trim(), rec[e].trim());
                    match (s.is_empty(), e.is_empty()) {
                        (true, true) => None,
                        (false, false) => {
                            let date = |field, text: &str| {
                                NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| {
                                    fail(SpendProblem::BadDate {
                                        field,
                                        text: text.into(),
                                    })
                                })
                            };
                            let (start, end) = (date("start", s)?, date("end", e)?);
                            if start > end {
                                return Err(fail(SpendProblem::EmptyPeriod { start, end }));
                            }
                            Some((start, end))
                        }
                        _ => return Err(fail(SpendProblem::HalfPeriod)),
                    }
                }
            };
            if let Some(first) = entries.iter().find(|e| e.channel == channel) {
                return Err(fail(SpendProblem::DuplicateChannel {
                    channel: channel.into(),
                    first_line: first.line,
                }));
            }
            entries.push(SpendEntry {
                channel: channel.into(),
                cost,
                period,
                line,
            });
        }
        entries.sort_by(|a, b| a.channel.cmp(&b.channel));
        Ok(Spend { entries })
    }

    /// The spend of `channel`, if the file has a row for it.
    pub fn cost(&self, channel: &str) -> Option<f64> {
        self.entries
            .binary_search_by(|e| e.channel.as_str().cmp(channel))
            .ok()
            .map(|i| self.entries[i].cost)
    }

    /// Total spend over every row.
    pub fn total_cost(&self) -> f64 {
        self.entries.iter().map(|e| e.cost).sum()
    }

    /// Checks the spend against `table`: every period must match the data's period when the
    /// table has timestamps; channels present on one side only are warned about, by name.
    ///
    /// # Errors
    /// [`Error::Spend`] with [`SpendProblem::PeriodMismatch`] and the row's line.
    pub fn check(&self, table: &PathTable, options: &SpendOptions) -> Result<Vec<SpendWarning>> {
        let mut warnings = Vec::new();
        let touched = touched_channels(table);
        for e in &self.entries {
            if !touched.iter().any(|c| *c == e.channel) {
                warnings.push(SpendWarning::NoTouches {
                    channel: e.channel.clone(),
                });
            }
        }
        for c in &touched {
            if self.cost(c).is_none() {
                warnings.push(SpendWarning::NoSpend {
                    channel: c.to_string(),
                });
            }
        }
        if self.entries.iter().any(|e| e.period.is_some()) {
            match data_period(table) {
                None => warnings.push(SpendWarning::PeriodUnchecked),
                Some((first, last)) => {
                    let slack = chrono::Days::new(u64::from(options.slack_days));
                    for e in &self.entries {
                        let Some((start, end)) = e.period else {
                            continue;
                        };
                        let covers = start <= first && last <= end;
                        let tight = first.checked_sub_days(slack).is_none_or(|f| f <= start)
                            && last.checked_add_days(slack).is_none_or(|l| end <= l);
                        if !(covers && tight) {
                            return Err(spend_error(
                                e.line,
                                e.line.saturating_sub(2),
                                SpendProblem::PeriodMismatch {
                                    start,
                                    end,
                                    first,
                                    last,
                                    slack: options.slack_days,
                                },
                            ));
                        }
                    }
                }
            }
        }
        Ok(warnings)
    }

    /// Writes every channel's [`ChannelSpend`] into `attribution` (after any
    /// [`Intervals::annotate`](crate::bootstrap::Intervals::annotate), whose intervals it uses).
    /// A channel with spend that the attribution does not list is added, credited 0, so that no
    /// spend is dropped; channels stay sorted by name.
    pub fn annotate(&self, attribution: &mut Attribution) {
        for e in &self.entries {
            if let Err(i) = attribution
                .channels
                .binary_search_by(|c| c.channel.as_str().cmp(&e.channel))
            {
                attribution.channels.insert(
                    i,
                    ChannelCredit {
                        channel: e.channel.clone(),
                        ..ZERO_CREDIT
                    },
                );
            }
        }
        for c in &mut attribution.channels {
            c.spend = Some(ChannelSpend::new(self.cost(&c.channel), c));
        }
    }
}

/// Names of the channels some path of `table` touches, sorted.
fn touched_channels(table: &PathTable) -> Vec<&str> {
    let ch = table.channels();
    let mut seen = vec![false; ch.len()];
    for row in table.rows() {
        for id in row.path {
            seen[id.index()] = true;
        }
    }
    let mut names: Vec<&str> = ch
        .iter()
        .filter(|(id, _)| seen[id.index()])
        .map(|(_, n)| n)
        .collect();
    names.sort_unstable();
    names
}

/// The UTC days of the first and last timestamp of `table` (touches and conversions), when it
/// has any.
pub fn data_period(table: &PathTable) -> Option<(NaiveDate, NaiveDate)> {
    let mut span: Option<(i64, i64)> = None;
    for row in table.rows() {
        let Some(times) = row.times else { continue };
        let lo = times.iter().copied().min();
        let hi = times.iter().copied().chain(row.converted_at).max();
        if let (Some(lo), Some(hi)) = (lo, hi) {
            span = Some(span.map_or((lo, hi), |(a, b)| (a.min(lo), b.max(hi))));
        }
    }
    let day = |us: i64| DateTime::from_timestamp_micros(us).map(|t| t.date_naive());
    let (lo, hi) = span?;
    Some((day(lo)?, day(hi)?))
}
