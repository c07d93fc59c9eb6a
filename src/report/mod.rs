//! Writing attributions for people and programs: an aligned text table, a long CSV and a stable
//! JSON document. Pure functions over `&[Attribution]` writing to any [`Write`],
//! one writer per file (`csv`, `json`, `markdown`, `table`, `channelattribution`, `compare`),
//! sharing one text layout (`layout`).
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

use std::fmt;
use std::io::{self, Write};
use std::str::FromStr;

use serde::Serialize;

use crate::attribution::{Attribution, channel_names};
use crate::error::{Error, Result};

mod channelattribution;
mod compare;
mod csv;
mod json;
mod layout;
mod markdown;
mod summary;
mod table;
#[cfg(test)]
mod tests;

pub use self::csv::{write_csv, write_wide};
/// The long table's columns, now defined with the result type.
pub use crate::attribution::{INTERVAL_COLUMNS, LONG_COLUMNS};
pub use channelattribution::{Compat, write_channelattribution};
pub use compare::{ComparedChannel, Comparison, write_comparison};
pub use json::{write_json, write_jsonl};
pub use markdown::write_markdown;
pub use summary::{BootstrapSummary, Summary};
pub use table::write_table;

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

/// (C, V, U) of the first result (every result of one run has the same totals); 0 without any.
fn totals(results: &[Attribution]) -> (f64, f64, f64) {
    results.first().map_or((0.0, 0.0, 0.0), |a| {
        (a.total_conversions, a.total_value, a.total_null)
    })
}

/// A CSV writer error as [`Error::Io`](crate::Error::Io), the csv error kept as the cause.
fn io_err(e: ::csv::Error) -> Error {
    if !e.is_io_error() {
        return Error::Io(io::Error::other(e));
    }
    match e.into_kind() {
        ::csv::ErrorKind::Io(io) => Error::Io(io),
        // Not reached: `is_io_error` means the Io kind.
        other => Error::Io(io::Error::other(format!("{other:?}"))),
    }
}
