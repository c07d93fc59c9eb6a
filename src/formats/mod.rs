//! Reading the formats users have and writing tables people read.
//!
//! * [`read_paths`]: ChannelAttribution's aggregated CSV
//!   (`path,total_conversions,total_conversion_value,total_null`), streamed.
//! * [`write_paths`]: the same format out (for example after building paths from events).
//! * Feature `arrow`: `read_paths_arrow` / `PathBatchReader` read path tables from Arrow record
//!   batches with the same options; `attributions_to_arrow` and `paths_to_arrow` give results
//!   and tables as record batches.
//! * Feature `parquet`: `read_paths_parquet`, `write_attributions_parquet`,
//!   `write_paths_parquet`.

use serde::Serialize;

use crate::error::{Location, ParseProblem};

#[cfg(feature = "arrow")]
pub(crate) mod arrow;
pub(crate) mod blocks;
pub(crate) mod paths_csv;

#[cfg(feature = "parquet")]
#[cfg_attr(docsrs, doc(cfg(feature = "parquet")))]
pub use arrow::{
    PARQUET_BATCH_ROWS, read_paths_parquet, write_attributions_parquet, write_paths_parquet,
};
#[cfg(feature = "arrow")]
#[cfg_attr(docsrs, doc(cfg(feature = "arrow")))]
pub use arrow::{
    PathBatchReader, RESULT_COLUMNS, attributions_to_arrow, paths_to_arrow, read_paths_arrow,
};
#[doc(hidden)]
pub use paths_csv::read_paths_full_parser;
pub use paths_csv::{PathCsvOptions, read_paths, read_paths_into, write_paths};

/// `s` without surrounding whitespace, as `str::trim`: ASCII blanks are stripped byte by byte
/// (the common case), and only a text with another byte at an edge (maybe Unicode whitespace,
/// or a vertical tab) goes through `str::trim`.
#[inline]
pub(crate) fn trim(s: &str) -> &str {
    let t = s.trim_ascii();
    match (t.as_bytes().first(), t.as_bytes().last()) {
        (Some(a), Some(z)) if !a.is_ascii_graphic() || !z.is_ascii_graphic() => t.trim(),
        _ => t,
    }
}

pub(crate) use paths_csv::number;

/// What a reader does with a bad row.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum BadRows {
    /// Stop at the first bad row with an [`Error::Parse`](crate::Error::Parse) naming its line.
    #[default]
    Error,
    /// Skip bad rows; each is counted in [`ReadReport::skipped`] with its line and problem.
    Skip,
}

/// Most skipped rows whose details a [`ReadReport`] keeps (all are counted).
pub const MAX_SKIPPED_DETAILS: usize = 1000;

/// What a reader read: rows, skips, and which optional columns were present.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ReadReport {
    /// Data rows added to the table.
    pub rows: u64,
    /// Rows skipped (only with [`BadRows::Skip`]).
    pub skipped: u64,
    /// Line and problem of the first [`MAX_SKIPPED_DETAILS`] skipped rows.
    pub skipped_details: Vec<(Location, ParseProblem)>,
    /// The CSV delimiter used (detected or given).
    pub delimiter: u8,
    /// The value column was present.
    pub has_value: bool,
    /// The null column was present.
    pub has_nulls: bool,
}

/// The lines a program prints about skipped rows: `file: skipped N bad rows (first M
/// listed)`, then `file:LINE: problem` for the first `max` of them. Empty when nothing was
/// skipped. Shared by the path and the event readers, so both list their skips alike.
pub fn skip_warnings(
    file: &str,
    skipped: u64,
    details: &[(Location, ParseProblem)],
    max: usize,
) -> Vec<String> {
    if skipped == 0 {
        return Vec::new();
    }
    let shown = details.len().min(max);
    let mut out = vec![format!(
        "{file}: skipped {skipped} bad rows{}",
        if (shown as u64) < skipped {
            format!(" (first {shown} listed)")
        } else {
            String::new()
        }
    )];
    out.extend(
        details[..shown]
            .iter()
            .map(|(at, problem)| format!("{file}:{}: {problem}", at.line)),
    );
    out
}

impl ReadReport {
    /// See [`skip_warnings`].
    pub fn skip_warnings(&self, file: &str, max: usize) -> Vec<String> {
        skip_warnings(file, self.skipped, &self.skipped_details, max)
    }

    pub(crate) fn skip(&mut self, at: Location, problem: ParseProblem) {
        self.skipped += 1;
        if self.skipped_details.len() < MAX_SKIPPED_DETAILS {
            self.skipped_details.push((at, problem));
        }
    }
}
