//! The first stage: an input (path table or event log, any format) read into a [`PathTable`]
//! with the reader's report.

use std::fmt;
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

use crate::error::{Location, ParseProblem, Result};
use crate::events::{
    EventFormat, EventLog, EventOptions, EventReadReport, EventsReport, JourneyOptions,
    paths_from_events, read_events,
};
use crate::fit::journeys_of_table;
use crate::formats::paths_csv::read_paths_sized;
use crate::formats::{PathCsvOptions, ReadReport, read_paths};
use crate::journey::Journey;
use crate::table::PathTable;

/// Where the rows of a run come from.
#[non_exhaustive]
pub enum Input {
    /// A path table file: ChannelAttribution CSV, or Parquet when the name ends in `.parquet`
    /// (feature `parquet`).
    PathFile {
        /// The file.
        path: PathBuf,
        /// Column names, separator, delimiter, limits, bad rows.
        options: PathCsvOptions,
    },
    /// A path table CSV from any reader (standard input, a network stream, …).
    PathReader {
        /// The CSV bytes.
        reader: Box<dyn Read>,
        /// Column names, separator, delimiter, limits, bad rows.
        options: PathCsvOptions,
    },
    /// An event log file: CSV or JSON Lines (by extension, else by content), or Parquet
    /// (`.parquet`, feature `parquet`), cut into journeys.
    EventFile {
        /// The file.
        path: PathBuf,
        /// How events are read (its `format`, when `None`, comes from the file name).
        read: EventOptions,
        /// How journeys are built.
        journeys: JourneyOptions,
    },
    /// An event log (CSV or JSON Lines) from any reader, cut into journeys.
    EventReader {
        /// The log's bytes.
        reader: Box<dyn Read>,
        /// How events are read.
        read: EventOptions,
        /// How journeys are built.
        journeys: JourneyOptions,
    },
}

impl fmt::Debug for Input {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Input::PathFile { path, .. } => f.debug_tuple("PathFile").field(path).finish(),
            Input::PathReader { .. } => f.write_str("PathReader"),
            Input::EventFile { path, .. } => f.debug_tuple("EventFile").field(path).finish(),
            Input::EventReader { .. } => f.write_str("EventReader"),
        }
    }
}

/// What the reader (and, for event logs, the journey builder) reported.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum InputReport {
    /// A path table: rows read and skipped, columns present.
    Paths(ReadReport),
    /// An event log: rows read and skipped, journeys built.
    Events(EventsReport),
}

impl InputReport {
    /// Data rows read (path rows or event rows).
    pub fn rows(&self) -> u64 {
        match self {
            InputReport::Paths(r) => r.rows,
            InputReport::Events(r) => r.read.rows,
        }
    }

    /// Rows skipped as bad.
    pub fn skipped(&self) -> u64 {
        match self {
            InputReport::Paths(r) => r.skipped,
            InputReport::Events(r) => r.read.skipped,
        }
    }

    /// The path reader's report, for path table input.
    pub fn paths(&self) -> Option<&ReadReport> {
        match self {
            InputReport::Paths(r) => Some(r),
            InputReport::Events(_) => None,
        }
    }

    /// The event reader's and journey builder's reports, for event log input.
    pub fn events(&self) -> Option<&EventsReport> {
        match self {
            InputReport::Events(r) => Some(r),
            InputReport::Paths(_) => None,
        }
    }
}

/// A table read from an [`Input`], with what the reader reported.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Loaded {
    /// The path table.
    pub table: PathTable,
    /// The reader's report.
    pub report: InputReport,
}

impl Loaded {
    /// Warnings about the input: a missing optional column of a path table, skipped rows (the
    /// first [`crate::formats::MAX_SKIPPED_DETAILS`] with their line and problem).
    pub fn warnings(&self) -> Vec<InputWarning> {
        let mut w = Vec::new();
        if let InputReport::Paths(read) = &self.report {
            if !read.has_value {
                w.push(InputWarning::NoValueColumn);
            }
            if !read.has_nulls {
                w.push(InputWarning::NoNullColumn);
            }
        }
        // Skipped rows are listed for event logs as for path tables.
        let (count, first) = match &self.report {
            InputReport::Paths(r) => (r.skipped, &r.skipped_details),
            InputReport::Events(r) => (r.read.skipped, &r.read.skipped_details),
        };
        if count > 0 {
            w.push(InputWarning::SkippedRows {
                count,
                first: first.clone(),
            });
        }
        w
    }
}

/// Something about the input a user should know; the run goes on.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum InputWarning {
    /// The path table has no value column: every conversion value is 0.
    NoValueColumn,
    /// The path table has no null column: no non-converting journeys, so Markov models see
    /// P(conversion) = 1.
    NoNullColumn,
    /// Bad rows were skipped ([`crate::formats::BadRows::Skip`]).
    SkippedRows {
        /// How many.
        count: u64,
        /// Where and why, for the first few.
        first: Vec<(Location, ParseProblem)>,
    },
}

/// Settles the format of an event file (from its name when not given: see
/// [`EventFormat::from_path`]); true when it is Parquet, which is read from the file, not as a
/// stream.
fn is_parquet_events(path: &Path, read: &mut EventOptions) -> bool {
    if read.format.is_none() {
        read.format = EventFormat::from_path(path);
    }
    read.format == Some(EventFormat::Parquet)
}

/// Reads `input` into a path table (the first stage of a run).
///
/// # Errors
/// The reader's errors: [`Error::Io`](crate::Error::Io), [`Error::Parse`](crate::Error::Parse) with the line, and
/// [`Error::FeatureDisabled`](crate::Error::FeatureDisabled) for Parquet without the `parquet` feature.
pub fn load(input: Input) -> Result<Loaded> {
    let (table, report) = match input {
        Input::PathFile { path, options } if is_parquet(&path) => {
            let (t, r) = paths_parquet(&path, &options)?;
            (t, InputReport::Paths(r))
        }
        Input::PathFile { path, options } => {
            let file = File::open(&path)?;
            let size = file.metadata()?.len();
            let (t, r) = read_paths_sized(file, &options, size)?;
            (t, InputReport::Paths(r))
        }
        Input::PathReader { reader, options } => {
            let (t, r) = read_paths(reader, &options)?;
            (t, InputReport::Paths(r))
        }
        Input::EventFile {
            path,
            mut read,
            journeys,
        } => {
            let (t, r) = if is_parquet_events(&path, &mut read) {
                events_parquet(&path, &read, &journeys)?
            } else {
                paths_from_events(BufReader::new(File::open(&path)?), &read, &journeys)?
            };
            (t, InputReport::Events(r))
        }
        Input::EventReader {
            reader,
            read,
            journeys,
        } => {
            let (t, r) = paths_from_events(BufReader::new(reader), &read, &journeys)?;
            (t, InputReport::Events(r))
        }
    };
    if let InputReport::Events(r) = &report
        && table.totals().conversions == 0.0
        && r.journeys.unattributed_events > 0
    {
        // Every model would say "no conversions": say why.
        return Err(crate::error::Error::AllConversionsUnattributed {
            conversions: r.journeys.unattributed_conversions,
            events: r.journeys.unattributed_events,
        });
    }
    // Canonical order (channels by name, rows by path): the same rows or events in any
    // order, in any shards, give the same table and so the same results to the last bit.
    let mut table = table;
    table.canonicalize();
    Ok(Loaded { table, report })
}

/// As [`load`], and also the journeys the table was made of, with their keys (user id,
/// conversion id and time, touch times), for per-journey output
/// ([`crate::fit::write_per_touch`]). An event log is read once and cut twice (into the table
/// exactly as [`load`] builds it, and into keyed journeys); a path table's rows become journeys
/// keyed by row ([`crate::fit::journeys_of_table`]).
///
/// # Errors
/// As [`load`].
pub fn load_with_journeys(input: Input) -> Result<(Loaded, Vec<Journey>)> {
    let (mut log, read, opts) = match input {
        Input::EventFile {
            path,
            mut read,
            journeys,
        } => {
            let (log, report) = if is_parquet_events(&path, &mut read) {
                events_parquet_log(&path, &read)?
            } else {
                read_events(BufReader::new(File::open(&path)?), &read)?
            };
            (log, report, journeys)
        }
        Input::EventReader {
            reader,
            read,
            journeys,
        } => {
            let (log, report) = read_events(BufReader::new(reader), &read)?;
            (log, report, journeys)
        }
        paths => {
            let loaded = load(paths)?;
            let journeys = journeys_of_table(&loaded.table);
            return Ok((loaded, journeys));
        }
    };
    opts.validate()?;
    let (table, report) = log.build(&opts)?;
    let (keyed, _) = log.build_journeys(&opts)?;
    let report = InputReport::Events(EventsReport {
        read,
        journeys: report,
    });
    Ok((Loaded { table, report }, keyed.journeys))
}

#[cfg(feature = "parquet")]
fn events_parquet_log(path: &Path, read: &EventOptions) -> Result<(EventLog, EventReadReport)> {
    crate::events::read_events_parquet_file(path, read)
}

#[cfg(not(feature = "parquet"))]
fn events_parquet_log(_: &Path, _: &EventOptions) -> Result<(EventLog, EventReadReport)> {
    Err(crate::error::Error::FeatureDisabled {
        feature: "parquet",
        what: "Parquet event logs",
    })
}

fn is_parquet(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "parquet")
}

#[cfg(feature = "parquet")]
fn paths_parquet(path: &Path, options: &PathCsvOptions) -> Result<(PathTable, ReadReport)> {
    crate::formats::read_paths_parquet(File::open(path)?, options)
}

#[cfg(not(feature = "parquet"))]
fn paths_parquet(_: &Path, _: &PathCsvOptions) -> Result<(PathTable, ReadReport)> {
    Err(crate::error::Error::FeatureDisabled {
        feature: "parquet",
        what: "Parquet path tables",
    })
}

#[cfg(feature = "parquet")]
fn events_parquet(
    path: &Path,
    read: &EventOptions,
    journeys: &JourneyOptions,
) -> Result<(PathTable, EventsReport)> {
    let (mut log, read) = crate::events::read_events_parquet_file(path, read)?;
    let (table, journeys) = log.build(journeys)?;
    Ok((table, EventsReport { read, journeys }))
}

#[cfg(not(feature = "parquet"))]
fn events_parquet(
    _: &Path,
    _: &EventOptions,
    _: &JourneyOptions,
) -> Result<(PathTable, EventsReport)> {
    Err(crate::error::Error::FeatureDisabled {
        feature: "parquet",
        what: "Parquet event logs",
    })
}
