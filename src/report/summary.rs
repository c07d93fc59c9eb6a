//! The `summary` object of the JSON report: what was read, and the bootstrap.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::bootstrap::{Bootstrap, Scheme};
use crate::events::EventsReport;
use crate::formats::ReadReport;
use crate::table::PathTable;

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
