//! The crate's one error type, with the location of every input problem.

use std::fmt;

/// `Result` with this crate's [`Error`] as the default error type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Where in an input a problem was found.
///
/// `line` is 1-based (the header of a CSV file is line 1); `record` is the 0-based index of the
/// data record (the header is not a record). A multi-line quoted CSV record reports the line it
/// starts on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
pub struct Location {
    /// 1-based line number in the input.
    pub line: u64,
    /// 0-based index of the data record (header excluded).
    pub record: u64,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}", self.line)
    }
}

/// Everything that can go wrong in `touchpoint`.
///
/// Input problems carry a [`Location`] (see [`Error::location`]); parameter problems name the
/// model and the parameter. No function of this crate panics on bad input: it returns one of
/// these.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Reading the input failed.
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
    /// A row or field of an input file is malformed.
    #[error("line {}: {problem}", at.line)]
    Parse {
        /// Where the problem is.
        at: Location,
        /// What the problem is.
        problem: ParseProblem,
    },
    /// A count given through the API (not a file) is negative, NaN or infinite, or is otherwise
    /// inconsistent (see [`ParseProblem`] for the file equivalents).
    #[error("invalid {field} = {value}: {reason}")]
    InvalidCount {
        /// Which count (`conversions`, `value`, `nulls`, …).
        field: &'static str,
        /// The offending value.
        value: f64,
        /// Why it is refused.
        reason: &'static str,
    },
    /// A path given through the API is invalid (empty, empty channel name, reserved name, too long).
    #[error("invalid path: {0}")]
    InvalidPath(ParseProblem),
    /// A model or reader parameter is out of its domain.
    #[error("{model}: invalid parameter `{name}`: {reason}")]
    InvalidParameter {
        /// The model or component whose parameter it is.
        model: &'static str,
        /// The parameter.
        name: &'static str,
        /// Why it is refused.
        reason: String,
    },
    /// The model is undefined on a table without conversions.
    #[error(
        "{model}: the table has no conversions (total_conversions = 0), so attribution is undefined"
    )]
    NoConversions {
        /// The model that refused.
        model: String,
    },
    /// Two path tables cannot be merged.
    #[error("cannot merge path tables: {reason}")]
    Merge {
        /// Why.
        reason: String,
    },
    /// A binary path table (see [`crate::codec`]) is malformed: truncated, corrupted, or written
    /// in a format version this build does not read.
    #[error("cannot decode path table at byte {offset}: {problem}")]
    Decode {
        /// Byte offset in the input where the problem was found.
        offset: usize,
        /// What is wrong.
        problem: DecodeProblem,
    },
    /// A numerical procedure did not converge or met a singular system.
    #[error("{model}: numerical failure: {reason}")]
    Numerical {
        /// The model that failed.
        model: &'static str,
        /// What failed.
        reason: String,
    },
    /// A saved fitted model (see [`crate::fit`]) is not valid JSON of the documented shape.
    #[error("cannot load fitted model: {0}")]
    ModelJson(#[source] serde_json::Error),
    /// A saved fitted model is of another format, or of a version this build does not read.
    #[error(
        "cannot load fitted model: format `{format}` version {version} (this build reads `{}` versions 1 to {supported})",
        crate::fit::FORMAT
    )]
    ModelFormat {
        /// The `format` field found.
        format: String,
        /// The `version` field found.
        version: u32,
        /// The newest version this build reads.
        supported: u32,
    },
    /// The input needs a cargo feature this build does not have (Parquet without `parquet`).
    #[error("{what} need the `{feature}` feature")]
    FeatureDisabled {
        /// The feature.
        feature: &'static str,
        /// What needs it (plural: `Parquet event logs`).
        what: &'static str,
    },
    /// A name (of a model, an output format, a compatibility mode, a chart metric) is not one
    /// of the valid ones.
    #[error("unknown {what} `{name}` (valid: {valid})")]
    Unknown {
        /// What kind of name (`model`, `format`, `compatibility mode`, `metric`).
        what: &'static str,
        /// The name given.
        name: String,
        /// The valid names, comma-separated.
        valid: String,
    },
    /// A comma-separated model list is empty or has an empty name (`a,,b`).
    #[error("{}", match position {
        None => "the model list is empty".to_string(),
        Some(p) => format!("empty model name at position {p} of `{list}`"),
    })]
    ModelList {
        /// The list as given.
        list: String,
        /// 1-based position of the empty name; `None` when the whole list is empty.
        position: Option<usize>,
    },
    /// Results of a model that another tool's output format has no place for.
    #[error("{tool} has no model `{model}` (its models here: {available})")]
    NoCompatModel {
        /// The other tool (`ChannelAttribution`).
        tool: &'static str,
        /// Our model.
        model: String,
        /// The models the tool has, comma-separated.
        available: String,
    },
    /// An event reached a [`JourneyStream`](crate::events::JourneyStream) set to
    /// [`LateEvents::Error`](crate::events::LateEvents::Error) after its allowed lateness: it is
    /// before the watermark. The batch was not applied.
    #[error(
        "late event: user `{user_id}` at {at} µs since the epoch is before the watermark {watermark} µs"
    )]
    LateEvent {
        /// The event's user.
        user_id: String,
        /// The event's time (µs since the epoch).
        at: i64,
        /// The watermark it missed (µs since the epoch).
        watermark: i64,
    },
    /// A [`JourneyStream`](crate::events::JourneyStream) checkpoint cannot be restored.
    #[error("cannot restore the journey stream checkpoint: {0}")]
    Checkpoint(#[source] crate::events::CheckpointProblem),
    /// A duration (a lookback window, a timeout, a half-life) does not parse; see
    /// [`crate::events::parse_duration`] for the syntax.
    #[error("{name}: `{text}` is not a duration: {reason}")]
    InvalidDuration {
        /// What the duration is for (`lookback`, `half-life`, …).
        name: &'static str,
        /// The text given.
        text: String,
        /// Why it is refused.
        reason: &'static str,
    },
    /// A chart cannot be drawn from its data (feature `plot`).
    #[error("cannot plot: {0}")]
    Plot(PlotProblem),
    /// A spend file (see [`crate::spend`]) is malformed, or its period does not match the data.
    #[error("line {}: {problem}", at.line)]
    Spend {
        /// Where the problem is.
        at: Location,
        /// What the problem is.
        problem: crate::spend::SpendProblem,
    },
    /// The model needs per-touch timestamps (journeys built from an event log, or
    /// [`PathTable::add_timed`](crate::PathTable::add_timed)) and the table has rows without.
    #[error(
        "{model} needs per-touch timestamps (build the table from an event log): {untimed_rows} of {rows} rows have none"
    )]
    NeedsTimestamps {
        /// The model that refused.
        model: &'static str,
        /// Rows without timestamps.
        untimed_rows: usize,
        /// Rows of the table.
        rows: usize,
    },
    /// A request would need more memory or work than the crate allows; checked before anything
    /// is allocated.
    #[error(
        "{what}: {requested} is above the limit {limit} (estimated cost: {})",
        human_cost(*cost, unit)
    )]
    ResourceLimit {
        /// What was requested (`bootstrap replicates`, `shapley_rate exact coalitions`, …).
        what: &'static str,
        /// The amount requested.
        requested: u64,
        /// The largest amount allowed.
        limit: u64,
        /// The estimated cost of the request, in `unit`.
        cost: u64,
        /// `bytes` (memory) or the unit of work (`coalition evaluations`).
        unit: &'static str,
    },
    /// A model's credit does not sum to the table's total within 1e-9 (relative): the result
    /// would be silently wrong, so it is refused.
    #[error(
        "{model}: credited {what} sum to {sum:e} but the total is {total:e} (relative error \
         {:.1e} > 1e-9): {reason}",
        relative_error(*sum, *total)
    )]
    Inefficient {
        /// The model.
        model: String,
        /// `conversions` or `value`.
        what: &'static str,
        /// The sum of the credits.
        sum: f64,
        /// The table's total.
        total: f64,
        /// Why precision was lost.
        reason: &'static str,
    },
    /// Every conversion of an event log was unattributed (no touch in its lookback window),
    /// so the path table has no conversions.
    #[error(
        "no conversions to attribute: all {conversions} conversions ({events} conversion \
         events) were unattributed (no touch before them within the lookback window)"
    )]
    AllConversionsUnattributed {
        /// Conversions that were unattributed.
        conversions: f64,
        /// Conversion events that were unattributed.
        events: u64,
    },
    /// A model's estimated cost is above a limit the caller can raise; checked before the
    /// work starts and before its memory is allocated.
    #[error("{model}: {estimate}: above the limit `{limit}` = {allowed:e}; raise it to run anyway")]
    CostLimit {
        /// The model refused.
        model: &'static str,
        /// The limit's name (a field of the model's configuration).
        limit: &'static str,
        /// The limit's value.
        allowed: f64,
        /// The estimated cost, in the limit's unit.
        cost: f64,
        /// What was estimated, in words, with the estimate.
        estimate: String,
    },
    /// Results could not be written as JSON (the data embedded in the HTML report).
    #[error("{what}: cannot write JSON: {source}")]
    JsonWrite {
        /// What was being written.
        what: &'static str,
        /// The serializer's error.
        #[source]
        source: serde_json::Error,
    },
    /// A probability distribution refused its parameters (the bootstrap's resampling draws:
    /// a count that is not finite or too large for the distribution).
    #[error("{model}: cannot draw from {distribution}: {source}")]
    Distribution {
        /// The model or procedure drawing.
        model: &'static str,
        /// The distribution (`Poisson`, `Gamma`, `Binomial`).
        distribution: &'static str,
        /// rand_distr's error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

/// `|sum − total| / |total|` (absolute when the total is 0).
pub(crate) fn relative_error(sum: f64, total: f64) -> f64 {
    let d = (sum - total).abs();
    if total == 0.0 { d } else { d / total.abs() }
}

/// A cost in its unit, bytes in binary units (`1.5 GiB`).
fn human_cost(cost: u64, unit: &str) -> String {
    if unit == "bytes" {
        human_bytes(cost)
    } else {
        format!("{cost} {unit}")
    }
}

/// Bytes in binary units (`1.5 GiB`).
fn human_bytes(b: u64) -> String {
    const UNITS: [&str; 6] = ["bytes", "KiB", "MiB", "GiB", "TiB", "PiB"];
    let mut x = b as f64;
    let mut u = 0;
    while x >= 1024.0 && u + 1 < UNITS.len() {
        x /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{b} bytes")
    } else {
        format!("{x:.1} {}", UNITS[u])
    }
}

/// Longest text quoted from the input in a message (a 10 MB header is not repeated whole).
pub(crate) const MAX_QUOTED: usize = 200;

/// `s` cut to [`MAX_QUOTED`] characters, saying how much was left out.
pub(crate) fn shorten(s: &str) -> String {
    match s.char_indices().nth(MAX_QUOTED) {
        None => s.to_string(),
        Some((cut, _)) => format!("{}… ({} more bytes)", &s[..cut], s.len() - cut),
    }
}

impl Error {
    /// The location of an input problem, if this error has one (csv's `position()`).
    pub fn location(&self) -> Option<Location> {
        match self {
            Error::Parse { at, .. } | Error::Spend { at, .. } => Some(*at),
            _ => None,
        }
    }

    /// Attaches a location to a path problem found while reading a file.
    pub(crate) fn at(self, at: Location) -> Error {
        match self {
            Error::InvalidPath(problem) => Error::Parse { at, problem },
            Error::InvalidCount {
                field,
                value,
                reason,
            } => Error::Parse {
                at,
                problem: ParseProblem::InvalidCount {
                    field: field.to_string(),
                    value,
                    reason,
                },
            },
            other => other,
        }
    }
}

/// A csv-crate error kept as the source of [`ParseProblem::Csv`]: shared, so a problem stays
/// `Clone`; compared and serialized by its message.
#[derive(Clone, Debug)]
pub struct CsvSyntax(std::sync::Arc<csv::Error>);

impl CsvSyntax {
    /// Wraps a csv error.
    pub fn new(e: csv::Error) -> Self {
        CsvSyntax(std::sync::Arc::new(e))
    }

    /// The csv crate's error.
    pub fn csv_error(&self) -> &csv::Error {
        &self.0
    }
}

impl std::fmt::Display for CsvSyntax {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The csv crate's message names its own position; ours is in `Location`.
        match self.0.kind() {
            csv::ErrorKind::UnequalLengths {
                expected_len, len, ..
            } => write!(f, "expected {expected_len} fields, found {len}"),
            _ => write!(f, "{}", self.0),
        }
    }
}

impl std::error::Error for CsvSyntax {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&*self.0)
    }
}

impl PartialEq for CsvSyntax {
    fn eq(&self, other: &Self) -> bool {
        self.to_string() == other.to_string()
    }
}

impl serde::Serialize for CsvSyntax {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// What is wrong with one input row or field.
#[derive(Clone, Debug, PartialEq, thiserror::Error, serde::Serialize)]
#[non_exhaustive]
pub enum ParseProblem {
    /// The path field is empty.
    #[error("empty path")]
    EmptyPath,
    /// A channel name between two separators is empty (`A >> B`, a trailing `>`).
    #[error("empty channel name at position {position} of the path")]
    EmptyToken {
        /// 1-based position of the empty token in the path.
        position: usize,
    },
    /// A channel name collides with a state name the Markov model reserves.
    #[error("channel name `{name}` is reserved")]
    ReservedName {
        /// The name.
        name: String,
    },
    /// The path is longer than the configured limit.
    #[error("path has {len} touches, the limit is {limit}")]
    PathTooLong {
        /// Touches in the path.
        len: usize,
        /// The configured limit.
        limit: usize,
    },
    /// A required column is missing from the header.
    #[error("missing column `{name}` in the header (found: {found})")]
    MissingColumn {
        /// The column that was looked for.
        name: String,
        /// The header's columns, comma-separated.
        found: String,
    },
    /// The header names a column twice.
    #[error("column `{name}` appears twice in the header")]
    DuplicateColumn {
        /// The column.
        name: String,
    },
    /// The CSV delimiter could not be detected from the header.
    #[error(
        "cannot detect the CSV delimiter from the header `{header}`: expected `,` or `;` (or pass one explicitly)"
    )]
    UnknownDelimiter {
        /// The header line as read.
        header: String,
    },
    /// The input has no header line.
    #[error("the input is empty (no header line)")]
    NoHeader,
    /// A row has the wrong number of fields.
    #[error("expected {expected} fields, found {found}")]
    FieldCount {
        /// Fields in the header.
        expected: usize,
        /// Fields in this row.
        found: usize,
    },
    /// A numeric field does not parse.
    #[error("{field}: `{text}` is not a number")]
    NotANumber {
        /// The column.
        field: String,
        /// The text found.
        text: String,
    },
    /// A numeric field is negative, NaN or infinite, or inconsistent with the others.
    #[error("{field} = {value}: {reason}")]
    InvalidCount {
        /// The column.
        field: String,
        /// The value found.
        value: f64,
        /// Why it is refused.
        reason: &'static str,
    },
    /// A field is not valid UTF-8.
    #[error("field is not valid UTF-8")]
    InvalidUtf8,
    /// The CSV syntax is broken (for example a record with the wrong number of fields); the
    /// csv crate's error is kept as the source.
    #[error("malformed CSV: {0}")]
    Csv(#[source] CsvSyntax),
    /// A timestamp does not parse or is out of range.
    #[error("{field}: `{text}` is not a timestamp (RFC 3339 or epoch seconds/milliseconds)")]
    BadTimestamp {
        /// The column.
        field: String,
        /// The text found.
        text: String,
    },
    /// Timestamps of a path are missing for some touches or go backwards.
    #[error("timestamps: {0}")]
    Timestamps(String),
    /// A line of a JSON Lines file is not a JSON object, or a field has the wrong JSON type.
    #[error("malformed JSON: {0}")]
    Json(String),
    /// A row of a channel rule file is invalid.
    #[error("invalid channel rule: {0}")]
    InvalidRule(String),
    /// A required field is empty.
    #[error("{field}: empty")]
    EmptyField {
        /// The column.
        field: String,
    },
    /// A required value is null (Arrow and Parquet input).
    #[error("{field}: null")]
    Null {
        /// The column (for a list element, the column and the 1-based position: `path[3]`).
        field: String,
    },
    /// A column has a type the reader cannot use (Arrow and Parquet input).
    #[error("column `{column}` has type {found}, expected {expected}")]
    ColumnType {
        /// The column.
        column: String,
        /// The types the reader accepts there.
        expected: &'static str,
        /// The type found (Arrow's name for it).
        found: String,
    },
    /// A quoted CSV field is never closed: the quote opened in this record runs to the end of
    /// the input.
    #[error("unterminated quote: a `\"` opened in this record is never closed")]
    UnterminatedQuote,
    /// The header has a single column with the given delimiter but looks separated by another.
    #[error(
        "the header is one column with delimiter `{given}`, but it looks `{detected}`-separated \
         (pass `{detected}` as the delimiter, or let it be detected)"
    )]
    WrongDelimiter {
        /// The delimiter given.
        given: char,
        /// The delimiter the header uses.
        detected: char,
    },
    /// A JSON object names a key twice (JSON Lines input).
    #[error("duplicate key `{key}` in the JSON object")]
    DuplicateKey {
        /// The key.
        key: String,
    },
    /// A channel or key-level value contains the key's level separator, so its levels could
    /// not be told apart (see the crate's `levels` module).
    #[error("{field}: `{text}` contains the key level separator `{separator}`")]
    SeparatorInKey {
        /// The column (or `channel (from the rules)`).
        field: String,
        /// The value.
        text: String,
        /// The separator.
        separator: char,
    },
    /// A row's texts are longer than a reader can hold (4 GiB for the user, touch key and
    /// order id of one row, with those of the rows before it in its part of the input).
    #[error("{field}: {len} bytes, more than a row can hold ({limit})")]
    TooLong {
        /// The column.
        field: String,
        /// The length found.
        len: usize,
        /// The most bytes the row could have held.
        limit: usize,
    },
}

/// What is wrong with a binary path table (see [`crate::codec`]); carried by [`Error::Decode`].
#[derive(Clone, Debug, PartialEq, thiserror::Error, serde::Serialize)]
#[non_exhaustive]
pub enum DecodeProblem {
    /// The input ends in the middle of an item.
    #[error("the input ends inside {what}")]
    Truncated {
        /// The item being read.
        what: &'static str,
    },
    /// The input does not start with the format's magic bytes.
    #[error("not a touchpoint path table (bad magic bytes)")]
    BadMagic,
    /// The format version is not one this build reads.
    #[error("format version {found} is not supported (this build reads versions 1 to {supported})")]
    UnsupportedVersion {
        /// The version in the input.
        found: u8,
        /// The version this build reads.
        supported: u8,
    },
    /// The header sets flag bits this version does not define.
    #[error("unknown flag bits {bits:#04x}")]
    UnknownFlags {
        /// The undefined bits that are set.
        bits: u8,
    },
    /// A variable-length integer does not fit in 64 bits.
    #[error("{what}: variable-length integer longer than 64 bits")]
    VarintOverflow {
        /// The item being read.
        what: &'static str,
    },
    /// A number is outside the range the format allows.
    #[error("{what} = {value} is out of range (at most {max})")]
    OutOfRange {
        /// The item being read.
        what: &'static str,
        /// The value found.
        value: u64,
        /// The largest value allowed here.
        max: u64,
    },
    /// A channel name is not valid UTF-8.
    #[error("channel name {index} is not valid UTF-8")]
    InvalidUtf8 {
        /// 0-based index of the channel.
        index: u64,
    },
    /// A channel name is empty or reserved.
    #[error("channel name {index}: {problem}")]
    InvalidChannel {
        /// 0-based index of the channel.
        index: u64,
        /// What is wrong with the name.
        problem: ParseProblem,
    },
    /// A channel name appears twice in the vocabulary.
    #[error("channel name `{name}` appears twice")]
    DuplicateChannel {
        /// The name.
        name: String,
    },
    /// An untimed path appears in two rows (an encoder never writes that).
    #[error("row {row}: the same untimed path appears in an earlier row")]
    DuplicatePath {
        /// 0-based row index.
        row: u64,
    },
    /// A row's tag byte holds an undefined code.
    #[error("row {row}: undefined {what} code {code}")]
    UnknownTag {
        /// 0-based row index.
        row: u64,
        /// Which field of the tag.
        what: &'static str,
        /// The code found.
        code: u8,
    },
    /// A row is refused by the table: an invalid count, path or timestamps.
    #[error("row {row}: {problem}")]
    InvalidRow {
        /// 0-based row index.
        row: u64,
        /// What is wrong.
        problem: ParseProblem,
    },
    /// Bytes follow the last row.
    #[error("{count} bytes follow the end of the table")]
    TrailingBytes {
        /// How many.
        count: usize,
    },
    /// The checksum stored at the end does not match the bytes (format version 2 and later):
    /// the table was corrupted or truncated.
    #[error(
        "checksum mismatch (stored {stored:#010x}, computed {computed:#010x}): the table is corrupted or truncated"
    )]
    ChecksumMismatch {
        /// The CRC-32 stored in the input.
        stored: u32,
        /// The CRC-32 of the bytes read.
        computed: u32,
    },
}

/// Why a chart cannot be drawn; carried by [`Error::Plot`].
#[derive(Clone, Debug, PartialEq, thiserror::Error, serde::Serialize)]
#[non_exhaustive]
pub enum PlotProblem {
    /// There is nothing to draw.
    #[error("nothing to plot: no {what}")]
    Empty {
        /// What is missing (`attribution`, `channel`, `cell`).
        what: &'static str,
    },
    /// A value to draw is NaN or infinite.
    #[error("{what} is {value}")]
    NotFinite {
        /// Which value (`conversions of `A` in `linear``, `value of A → B`).
        what: String,
        /// The value.
        value: f64,
    },
    /// A heatmap cell is given twice.
    #[error("{from} → {to} appears twice")]
    DuplicateCell {
        /// Row state.
        from: String,
        /// Column state.
        to: String,
    },
}

/// Checks that `v` is finite and not negative (NaN-aware).
pub(crate) fn check_count(field: &'static str, v: f64) -> Result<()> {
    if v.is_finite() && v >= 0.0 {
        Ok(())
    } else {
        Err(Error::InvalidCount {
            field,
            value: v,
            reason: "must be finite and >= 0",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_is_send_sync_and_small() {
        fn assert_send_sync<T: Send + Sync + 'static>() {}
        assert_send_sync::<Error>();
        assert!(std::mem::size_of::<Error>() <= 128);
    }

    #[test]
    fn parse_error_names_the_line() {
        let e = Error::Parse {
            at: Location { line: 7, record: 5 },
            problem: ParseProblem::EmptyPath,
        };
        assert_eq!(e.to_string(), "line 7: empty path");
        assert_eq!(e.location(), Some(Location { line: 7, record: 5 }));
    }

    #[test]
    fn check_count_refuses_nan_negative_infinite() {
        assert!(check_count("x", 0.0).is_ok());
        assert!(check_count("x", 2.5).is_ok());
        assert!(check_count("x", -1.0).is_err());
        assert!(check_count("x", f64::NAN).is_err());
        assert!(check_count("x", f64::INFINITY).is_err());
    }

    #[test]
    fn csv_problems_keep_the_csv_error_as_their_source() {
        use std::error::Error as _;
        let mut rd = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader("a,b\nc\n".as_bytes());
        let e = rd.records().find_map(|r| r.err()).expect("unequal lengths");
        let problem = crate::formats::paths_csv::csv_problem(e).expect("not an I/O error");
        assert_eq!(
            problem.to_string(),
            "malformed CSV: expected 2 fields, found 1"
        );
        let source = problem.source().expect("a source");
        assert!(source.downcast_ref::<CsvSyntax>().is_some());
        let csv_err = source.source().expect("the csv error");
        assert!(csv_err.downcast_ref::<csv::Error>().is_some());
        assert_eq!(problem.clone(), problem);
    }
}
