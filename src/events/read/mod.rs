//! Streaming readers for event logs: CSV and JSON Lines, one event per row.

use std::borrow::Cow;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use serde::Serialize;

mod csv;
mod json;
mod prepared;

use super::log::EventLog;
use super::rules::{ChannelRules, RuleCache};
use crate::channel::Interner;
use crate::error::{Error, Location, ParseProblem, Result};
#[cfg(test)]
use crate::formats::paths_csv::detect_delimiter;
use crate::formats::{BadRows, MAX_SKIPPED_DETAILS, number, trim};
use crate::time::{EpochUnit, parse_timestamp};
#[cfg(feature = "arrow")]
pub(crate) use prepared::store_chunks;
use prepared::{Prepared, Span};
pub(crate) use prepared::{PreparedChunk, pipeline};

/// The two event file formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum EventFormat {
    /// CSV with a header line (delimiter `,`, `;` or tab).
    Csv,
    /// JSON Lines (NDJSON): one JSON object per line.
    JsonLines,
    /// Apache Parquet (feature `parquet`; read with `events::read_events_parquet`, which
    /// needs a file, not a stream), or Arrow record batches.
    Parquet,
}

impl EventFormat {
    /// The format a file name implies: `.jsonl`, `.ndjson`, `.json` → JSON Lines; `.csv`,
    /// `.tsv`, `.txt` → CSV; `None` otherwise (then [`read_events`] looks at the content).
    pub fn from_path(path: &Path) -> Option<EventFormat> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "jsonl" | "ndjson" | "json" => Some(EventFormat::JsonLines),
            "csv" | "tsv" | "txt" => Some(EventFormat::Csv),
            "parquet" | "pq" => Some(EventFormat::Parquet),
            _ => None,
        }
    }
}

/// Where a touch's channel comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ChannelInput {
    /// A column holding the channel name (default `channel`).
    Column(String),
    /// `source` / `medium` (and optionally `campaign`) columns mapped to a channel by an ordered
    /// rule table ([`ChannelRules`]; its `Default` is the GA4-style grouping).
    SourceMedium {
        /// Source column (default `source`).
        source: String,
        /// Medium column (default `medium`).
        medium: String,
        /// Campaign column, used when present in the data (default `campaign`); when absent,
        /// campaign patterns see `(not set)`.
        campaign: Option<String>,
        /// The rules.
        rules: ChannelRules,
    },
}

impl ChannelInput {
    /// Source/medium columns with their default names and the given rules.
    pub fn source_medium(rules: ChannelRules) -> ChannelInput {
        ChannelInput::SourceMedium {
            source: "source".into(),
            medium: "medium".into(),
            campaign: Some("campaign".into()),
            rules,
        }
    }
}

/// Options of [`read_events`]. The defaults read `user_id,timestamp,channel,conversion,value`.
///
/// A row is a **touch** when its conversion field is empty, `0` or `false`; then its channel
/// is required and its value must be empty or 0. A row is a **conversion** when the field is a
/// positive number (the count of conversions, normally 1) or `true`; its value may be empty (0).
/// A conversion row that also names a channel (the converting session's channel) is a touch
/// followed by the conversion at the same time, unless `conversion_row_is_touch` is false.
#[derive(Clone, Debug, PartialEq)]
pub struct EventOptions {
    /// The file format; `None` detects it from the content (a first non-blank character `{`
    /// means JSON Lines).
    pub format: Option<EventFormat>,
    /// User id column (default `user_id`); any non-empty text (or JSON number).
    pub user_column: String,
    /// Timestamp column (default `timestamp`): RFC 3339 or a number since the epoch.
    pub time_column: String,
    /// How numeric timestamps are read (default: by magnitude, see [`EpochUnit::Auto`]).
    pub epoch_unit: EpochUnit,
    /// Where the channel comes from (default the `channel` column).
    pub channel: ChannelInput,
    /// Conversion column (default `conversion`). It may be absent from a CSV header or a JSON
    /// object: every row is then a touch.
    pub conversion_column: String,
    /// Value column (default `value`); absent or empty means 0.
    pub value_column: Option<String>,
    /// Order id column of conversion rows (default `order_id`): the built journey's
    /// [`conversion_id`](crate::Journey::conversion_id). It may be absent; an empty cell gets a
    /// generated id (see [`Journey`](crate::Journey)); it is ignored on touch rows.
    pub order_column: Option<String>,
    /// A converting row that names a channel is also a touch (default `true`).
    pub conversion_row_is_touch: bool,
    /// CSV delimiter; `None` detects `,`, `;` or tab from the header.
    pub delimiter: Option<u8>,
    /// What to do with a bad row (default: stop with an error naming its line).
    pub bad_rows: BadRows,
    /// Columns of the touch key's finer levels, after the channel (default none): with
    /// `["campaign"]` a touch on `Paid Search` in campaign `brand_q4` has the key
    /// `Paid Search/brand_q4` (see [`crate::levels`]). At most [`MAX_KEY_COLUMNS`]; a named
    /// column must be in the header; an empty cell reads as [`NOT_SET`]; a channel or level
    /// value that contains [`EventOptions::key_separator`] is a bad row
    /// ([`ParseProblem::SeparatorInKey`]), since its levels could not be told apart.
    pub key_columns: Vec<String>,
    /// The separator between the levels of a key (default `/`, [`crate::levels::SEPARATOR`]).
    pub key_separator: char,
}

/// Most [`EventOptions::key_columns`] (key levels after the channel).
pub const MAX_KEY_COLUMNS: usize = 3;

/// The level value of a touch whose key column is empty (GA4's spelling).
pub const NOT_SET: &str = "(not set)";

impl Default for EventOptions {
    fn default() -> Self {
        EventOptions {
            format: None,
            user_column: "user_id".into(),
            time_column: "timestamp".into(),
            epoch_unit: EpochUnit::Auto,
            channel: ChannelInput::Column("channel".into()),
            conversion_column: "conversion".into(),
            value_column: Some("value".into()),
            order_column: Some("order_id".into()),
            conversion_row_is_touch: true,
            delimiter: None,
            bad_rows: BadRows::Error,
            key_columns: Vec::new(),
            key_separator: crate::levels::SEPARATOR,
        }
    }
}

/// What a reader read.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EventReadReport {
    /// The format read.
    pub format: EventFormat,
    /// The CSV delimiter (CSV only).
    pub delimiter: Option<u8>,
    /// Rows stored (blank lines are not rows).
    pub rows: u64,
    /// Rows that were touches (including converting rows with a channel).
    pub touch_rows: u64,
    /// Rows that were conversions.
    pub conversion_rows: u64,
    /// Rows skipped (only with [`BadRows::Skip`]).
    pub skipped: u64,
    /// Line and problem of the first [`MAX_SKIPPED_DETAILS`] skipped rows.
    pub skipped_details: Vec<(Location, ParseProblem)>,
}

impl EventReadReport {
    pub(crate) fn count(&mut self, touch: bool, conversion: bool) {
        self.rows += 1;
        self.touch_rows += u64::from(touch);
        self.conversion_rows += u64::from(conversion);
    }

    pub(crate) fn new(format: EventFormat, delimiter: Option<u8>) -> Self {
        EventReadReport {
            format,
            delimiter,
            rows: 0,
            touch_rows: 0,
            conversion_rows: 0,
            skipped: 0,
            skipped_details: Vec::new(),
        }
    }

    /// The lines a program prints about skipped rows (see
    /// [`skip_warnings`](crate::formats::skip_warnings)).
    pub fn skip_warnings(&self, file: &str, max: usize) -> Vec<String> {
        crate::formats::skip_warnings(file, self.skipped, &self.skipped_details, max)
    }

    pub(crate) fn skip_or_fail(&mut self, err: Error, mode: BadRows) -> Result<()> {
        match (mode, err) {
            (BadRows::Skip, Error::Parse { at, problem }) => {
                self.skipped += 1;
                if self.skipped_details.len() < MAX_SKIPPED_DETAILS {
                    self.skipped_details.push((at, problem));
                }
                Ok(())
            }
            (_, err) => Err(err),
        }
    }
}

/// Reads an event log (CSV or JSON Lines) into a new [`EventLog`], streaming: only the compact
/// events are held, never the file.
///
/// Every bad row is an [`Error::Parse`] naming its line (1-based; a CSV header is line 1): an
/// empty user, a timestamp that does not parse ([`ParseProblem::BadTimestamp`]), a conversion or
/// value that is not a number, is negative, NaN or infinite, a value on a touch row, a touch
/// without channel (or without source and medium), a reserved channel name, a wrong field count,
/// malformed JSON. With [`BadRows::Skip`] such rows are skipped and counted in the report
/// instead; nothing is dropped silently.
///
/// ```
/// use touchpoint::events::{read_events, EventOptions, JourneyOptions};
/// let csv = "user_id,timestamp,channel,conversion,value\n\
///            u1,2024-03-01T10:00:00Z,Search,0,\n\
///            u1,2024-03-02T09:00:00+01:00,Email,,\n\
///            u1,2024-03-03T10:00:00Z,,1,25.5\n";
/// let (mut log, report) = read_events(csv.as_bytes(), &EventOptions::default())?;
/// assert_eq!((report.rows, report.touch_rows, report.conversion_rows), (3, 2, 1));
/// let (table, journeys) = log.build(&JourneyOptions::default())?;
/// assert_eq!(journeys.converting_journeys, 1);
/// assert_eq!(table.to_named_rows()[0].0, ["Search", "Email"]);
/// # Ok::<(), touchpoint::Error>(())
/// ```
///
/// # Errors
/// [`Error::Io`] when reading fails; [`Error::Parse`] for a bad header (line 1: a missing
/// required column) or a bad row.
pub fn read_events<R: Read>(input: R, opts: &EventOptions) -> Result<(EventLog, EventReadReport)> {
    let mut log = EventLog::new();
    let report = read_events_into(input, opts, &mut log)?;
    Ok((log, report))
}

/// Like [`read_events`], adding to an existing log (for example several daily files; the
/// builder sorts across them).
///
/// # Errors
/// As [`read_events`]. Rows read before an error stay in `log`.
pub fn read_events_into<R: Read>(
    input: R,
    opts: &EventOptions,
    log: &mut EventLog,
) -> Result<EventReadReport> {
    read_into(input, opts, log, true)
}

/// [`read_events`] with every JSON Lines line read by serde_json, never by the byte scanner of
/// the usual line shape. Results, reports and errors equal [`read_events`]'s on every input
/// (the differential tests and the fuzzer check it); not for production use.
///
/// # Errors
/// As [`read_events`].
#[doc(hidden)]
pub fn read_events_serde_only<R: Read>(
    input: R,
    opts: &EventOptions,
) -> Result<(EventLog, EventReadReport)> {
    let mut log = EventLog::new();
    let report = read_into(input, opts, &mut log, false)?;
    Ok((log, report))
}

/// [`read_events_into`]; `fast`: JSON Lines through the byte scanner where it can.
fn read_into<R: Read>(
    input: R,
    opts: &EventOptions,
    log: &mut EventLog,
    fast: bool,
) -> Result<EventReadReport> {
    validate_options(opts)?;
    let mut input = BufReader::with_capacity(1 << 16, input);
    skip_bom(&mut input)?;
    let format = match opts.format {
        Some(f) => f,
        None => sniff(&mut input)?,
    };
    let mut rows = RowParser::new(opts);
    match format {
        EventFormat::Csv => csv::read_csv(input, opts, &mut rows, log),
        EventFormat::JsonLines => json::read_jsonl(input, opts, log, fast),
        EventFormat::Parquet => Err(Error::InvalidParameter {
            model: "events",
            name: "format",
            reason: "Parquet is read from a file with `read_events_parquet` (feature `parquet`), \
                     not from a stream"
                .into(),
        }),
    }
}

fn skip_bom<R: BufRead>(input: &mut R) -> Result<()> {
    if input.fill_buf()?.starts_with(&[0xEF, 0xBB, 0xBF]) {
        input.consume(3);
    }
    Ok(())
}

/// JSON Lines when the first non-blank byte is `{` (looks at most 64 KiB ahead).
fn sniff<R: BufRead>(input: &mut R) -> Result<EventFormat> {
    let buf = input.fill_buf()?;
    Ok(match buf.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'{') => EventFormat::JsonLines,
        _ => EventFormat::Csv,
    })
}

/// The text fields of one row, by role.
#[derive(Debug, Default)]
pub(crate) struct Fields<'a> {
    pub(crate) user: Cow<'a, str>,
    pub(crate) time: Cow<'a, str>,
    /// The time already decoded (typed Arrow columns), in µs since the epoch; `time` is then only
    /// used in messages.
    pub(crate) time_micros: Option<i64>,
    /// `channel`, or `source`, `medium`, `campaign`.
    pub(crate) channel: [Cow<'a, str>; 3],
    pub(crate) conversion: Cow<'a, str>,
    pub(crate) value: Cow<'a, str>,
    pub(crate) order: Cow<'a, str>,
    /// The key levels after the channel ([`EventOptions::key_columns`]).
    pub(crate) levels: [Cow<'a, str>; MAX_KEY_COLUMNS],
}

/// Turns [`Fields`] into a stored event; shared by every format.
pub(crate) struct RowParser<'o> {
    opts: &'o EventOptions,
    cache: RuleCache,
    /// The key of the current row when it has levels after the channel.
    key: String,
    /// The texts of the row being stored (see [`Prepared`]).
    text: String,
}

impl<'o> RowParser<'o> {
    pub(crate) fn new(opts: &'o EventOptions) -> Self {
        RowParser {
            opts,
            cache: RuleCache::default(),
            key: String::new(),
            text: String::new(),
        }
    }

    /// Parses and stores one row; returns `(is_touch, is_conversion)`. Errors carry no location.
    pub(crate) fn store(
        &mut self,
        f: &Fields<'_>,
        log: &mut EventLog,
    ) -> Result<(bool, bool), ParseProblem> {
        let mut text = std::mem::take(&mut self.text);
        text.clear();
        let r = self
            .prepare(f, &mut text)
            .and_then(|row| row.store(&text, log));
        self.text = text;
        r
    }

    /// Checks and decodes one row without storing it (what [`RowParser::store`] does before
    /// [`Prepared::store`]); its texts (user, touch key, order id) are appended to `text`.
    /// Needs no log, so rows can be prepared in parallel and stored in order.
    pub(crate) fn prepare(
        &mut self,
        f: &Fields<'_>,
        text: &mut String,
    ) -> Result<Prepared, ParseProblem> {
        let o = self.opts;
        let user = trim(&f.user);
        if user.is_empty() {
            return Err(ParseProblem::EmptyField {
                field: o.user_column.clone(),
            });
        }
        let time = match f.time_micros {
            Some(t) => t,
            None => parse_timestamp(&f.time, o.epoch_unit).ok_or_else(|| {
                ParseProblem::BadTimestamp {
                    field: o.time_column.clone(),
                    text: f.time.trim().to_string(),
                }
            })?,
        };
        let count = parse_conversion(&f.conversion, &o.conversion_column)?;
        let value_name = o.value_column.as_deref().unwrap_or("value");
        let value = parse_number(&f.value, value_name)?;
        if count == 0.0 && value != 0.0 {
            return Err(ParseProblem::InvalidCount {
                field: value_name.into(),
                value,
                reason: "a value on a row that is not a conversion",
            });
        }
        let converts = count > 0.0;
        let channel = match self.channel(f)? {
            None if !converts => {
                return Err(ParseProblem::EmptyField {
                    field: match &o.channel {
                        ChannelInput::Column(c) => c.clone(),
                        ChannelInput::SourceMedium { source, medium, .. } => {
                            format!("{source} and {medium}")
                        }
                    },
                });
            }
            Some(_) if converts && !o.conversion_row_is_touch => None,
            c => c,
        };
        let order_id = Some(trim(&f.order)).filter(|o| converts && !o.is_empty());
        // Spans are u32: refused before anything is kept when the chunk's text would pass it.
        let len = user.len() + channel.map_or(0, str::len) + order_id.map_or(0, str::len);
        let limit = u32::MAX as usize - text.len();
        if len > limit {
            return Err(ParseProblem::TooLong {
                field: o.user_column.clone(),
                len,
                limit,
            });
        }
        let mut keep = |s: &str| {
            // Fits: checked above.
            let start = text.len() as u32;
            text.push_str(s);
            Span {
                start,
                end: text.len() as u32,
            }
        };
        Ok(Prepared {
            user_tag: Interner::tag(user),
            user: keep(user),
            time,
            channel: channel.map_or(Span::NONE, &mut keep),
            order_id: order_id.map_or(Span::NONE, keep),
            conversion: (count, value),
            converts,
        })
    }

    /// The row's touch key: its channel, then its key levels, `None` when its channel fields
    /// are empty.
    fn channel<'f>(&'f mut self, f: &'f Fields<'_>) -> Result<Option<&'f str>, ParseProblem> {
        let o = self.opts;
        if o.key_columns.is_empty() {
            return self.channel_only(f);
        }
        let sep = o.key_separator;
        let mut key = std::mem::take(&mut self.key);
        key.clear();
        let Some(channel) = self.channel_only(f)? else {
            self.key = key;
            return Ok(None);
        };
        let checked = |field: &str, text: &str| {
            if text.contains(sep) {
                Err(ParseProblem::SeparatorInKey {
                    field: field.to_string(),
                    text: text.to_string(),
                    separator: sep,
                })
            } else {
                Ok(())
            }
        };
        let channel_field = match &o.channel {
            ChannelInput::Column(c) => c.as_str(),
            ChannelInput::SourceMedium { .. } => "channel (from the rules)",
        };
        checked(channel_field, channel)?;
        key.push_str(channel);
        for (name, value) in o.key_columns.iter().zip(&f.levels) {
            let v = trim(value);
            let v = if v.is_empty() { NOT_SET } else { v };
            checked(name, v)?;
            key.push(sep);
            key.push_str(v);
        }
        self.key = key;
        Ok(Some(&self.key))
    }

    /// The row's channel, `None` when its channel fields are empty.
    fn channel_only<'f>(&'f mut self, f: &'f Fields<'_>) -> Result<Option<&'f str>, ParseProblem> {
        Ok(match &self.opts.channel {
            ChannelInput::Column(_) => Some(trim(&f.channel[0])).filter(|c| !c.is_empty()),
            ChannelInput::SourceMedium { rules, .. } => {
                let [s, m, c] = [0, 1, 2].map(|i| trim(&f.channel[i]));
                if s.is_empty() && m.is_empty() {
                    None
                } else {
                    Some(self.cache.channel_for(rules, s, m, c))
                }
            }
        })
    }
}

/// Empty, `0`, `false` → 0; `true` → 1; else a finite number ≥ 0.
fn parse_conversion(text: &str, field: &str) -> Result<f64, ParseProblem> {
    let t = trim(text);
    if t.eq_ignore_ascii_case("true") {
        return Ok(1.0);
    }
    if t.eq_ignore_ascii_case("false") {
        return Ok(0.0);
    }
    parse_number(t, field)
}

/// Empty → 0; else a finite number ≥ 0.
fn parse_number(text: &str, field: &str) -> Result<f64, ParseProblem> {
    let t = trim(text);
    if t.is_empty() {
        return Ok(0.0);
    }
    // Short decimals without the float parser (the same double; `None` leaves it the text).
    if let Some(x) = number(t.as_bytes()) {
        return Ok(x);
    }
    let x: f64 = t.parse().map_err(|_| ParseProblem::NotANumber {
        field: field.into(),
        text: t.into(),
    })?;
    if x.is_finite() && x >= 0.0 {
        Ok(x)
    } else {
        Err(ParseProblem::InvalidCount {
            field: field.into(),
            value: x,
            reason: "must be finite and >= 0",
        })
    }
}

/// Column names by role, in [`Fields`] order: user, time, channel ×3, conversion, value, order,
/// key levels ×[`MAX_KEY_COLUMNS`].
pub(crate) fn column_names(opts: &EventOptions) -> [(Option<&str>, bool); COLUMNS] {
    let level = |i: usize| (opts.key_columns.get(i).map(String::as_str), true);
    let (c0, c1, c2) = match &opts.channel {
        ChannelInput::Column(c) => ((Some(c.as_str()), true), (None, false), (None, false)),
        ChannelInput::SourceMedium {
            source,
            medium,
            campaign,
            ..
        } => (
            (Some(source.as_str()), true),
            (Some(medium.as_str()), true),
            (campaign.as_deref(), false),
        ),
    };
    [
        (Some(opts.user_column.as_str()), true),
        (Some(opts.time_column.as_str()), true),
        c0,
        c1,
        c2,
        (Some(opts.conversion_column.as_str()), false),
        (opts.value_column.as_deref(), false),
        (opts.order_column.as_deref(), false),
        level(0),
        level(1),
        level(2),
    ]
}

/// Number of column roles.
pub(crate) const COLUMNS: usize = 8 + MAX_KEY_COLUMNS;

/// Checks the options a reader cannot start without.
pub(crate) fn validate_options(opts: &EventOptions) -> Result<()> {
    let bad = |reason: String| {
        Err(Error::InvalidParameter {
            model: "events",
            name: "key_columns",
            reason,
        })
    };
    if opts.key_columns.len() > MAX_KEY_COLUMNS {
        return bad(format!(
            "at most {MAX_KEY_COLUMNS} key levels after the channel, got {}",
            opts.key_columns.len()
        ));
    }
    if let Some(c) = opts.key_columns.iter().find(|c| c.trim().is_empty()) {
        return bad(format!("empty key column name `{c}`"));
    }
    crate::levels::check_separator(opts.key_separator)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prepared_rows_stay_small() {
        // The event readers write one a row on the pool's threads and read it on the caller's.
        assert_eq!(size_of::<Prepared>(), 56);
        assert_eq!(
            size_of::<(u64, Option<Result<Prepared, Box<ParseProblem>>>)>(),
            64
        );
    }

    #[test]
    fn delimiters_are_detected_outside_quotes() {
        assert_eq!(detect_delimiter(b"a,b;c,d\n"), Some(b','));
        assert_eq!(detect_delimiter(b"a;b;\"c,d,e\"\n"), Some(b';'));
        assert_eq!(detect_delimiter(b"a\tb\n"), Some(b'\t'));
        assert_eq!(detect_delimiter(b"a,b;c\n"), Some(b',')); // tie: comma first
        assert_eq!(detect_delimiter(b"abc\n"), None);
    }

    #[test]
    fn format_from_extension_and_content() {
        assert_eq!(
            EventFormat::from_path(Path::new("x/events.JSONL")),
            Some(EventFormat::JsonLines)
        );
        assert_eq!(
            EventFormat::from_path(Path::new("e.ndjson")),
            Some(EventFormat::JsonLines)
        );
        assert_eq!(
            EventFormat::from_path(Path::new("e.csv")),
            Some(EventFormat::Csv)
        );
        assert_eq!(EventFormat::from_path(Path::new("events")), None);
        let mut j = BufReader::new(&b"\n  {\"a\":1}\n"[..]);
        assert_eq!(sniff(&mut j).unwrap(), EventFormat::JsonLines);
        let mut c = BufReader::new(&b"user_id,timestamp\n"[..]);
        assert_eq!(sniff(&mut c).unwrap(), EventFormat::Csv);
    }

    #[test]
    fn numbers_and_flags() {
        assert_eq!(parse_conversion("", "c"), Ok(0.0));
        assert_eq!(parse_conversion(" TRUE ", "c"), Ok(1.0));
        assert_eq!(parse_conversion("false", "c"), Ok(0.0));
        assert_eq!(parse_conversion("2", "c"), Ok(2.0));
        assert!(matches!(
            parse_conversion("yes", "c"),
            Err(ParseProblem::NotANumber { .. })
        ));
        assert!(matches!(
            parse_number("-1", "v"),
            Err(ParseProblem::InvalidCount { .. })
        ));
        assert!(matches!(
            parse_number("NaN", "v"),
            Err(ParseProblem::InvalidCount { .. })
        ));
        assert!(matches!(
            parse_number("inf", "v"),
            Err(ParseProblem::InvalidCount { .. })
        ));
    }
}
