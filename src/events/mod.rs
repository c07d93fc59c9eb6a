//! Journeys from event logs: read touch and conversion events, cut them into journeys per
//! user, collect the journeys in a [`PathTable`] that every model reads (the
//! [model reference](crate::reference), §Conventions / Path tables).
//!
//! Most data is not an aggregated path table but an event log: an analytics export, ad-server
//! logs, CRM activity. How the log is cut into journeys decides the numbers as much as the model
//! does, so every rule here is an explicit, documented parameter.
//!
//! # Pipeline
//!
//! 1. **Read** ([`read_events`]): CSV or JSON Lines, one event per row, in any order. Default
//!    columns `user_id,timestamp,channel,conversion,value` (names configurable in
//!    [`EventOptions`]); timestamps in RFC 3339 or since the epoch ([`parse_timestamp`]); the
//!    channel from a column or from `source`/`medium`(/`campaign`) through an ordered rule table
//!    ([`ChannelRules`], a GA4-style default, user files in a small CSV format). Bad rows are
//!    line-numbered errors or, with [`BadRows::Skip`](crate::formats::BadRows::Skip), counted
//!    skips.
//! 2. **Store** compactly ([`EventLog`]): users interned to `u32`, channels to ids, times as
//!    `i64` µs: 24 bytes per event.
//! 3. **Build** ([`EventLog::build`], rules in [`JourneyOptions`]): per user, sorted by time
//!    (stable for ties); each conversion closes the journey of the touches since the previous
//!    conversion inside the lookback window (default 30 days, inclusive); older touches are
//!    dropped and counted; touches after the last conversion form a null journey (optionally
//!    split by an inactivity timeout); a conversion without touches in its window is counted as
//!    unattributed. The [`JourneyReport`] accounts for every touch and conversion.
//!    [`EventLog::build_journeys`] gives the same journeys one by one with their keys (user id,
//!    conversion id from an `order_id` column or generated, conversion time: see
//!    [`Journey`](crate::Journey)), and the unattributed conversions with theirs.
//! 4. **Attribute**: journeys keep their timestamps, so [`TimeDecay`](crate::TimeDecay) decays
//!    over real time; [`PathTable::without_times`] (or `keep_times: false`) gives the
//!    deduplicated table, and [`write_paths`](crate::formats::write_paths) writes it as
//!    ChannelAttribution CSV.
//!
//!
//! Events that arrive as a stream, in batches and slightly out of order, go to a
//! [`JourneyStream`] instead: it closes each journey as soon as the watermark decides it, keeps
//! only the active users, checkpoints its state, and cuts exactly the batch builder's journeys
//! (with [`NullJourneys::Windowed`]).
//!
//! ```
//! use touchpoint::events::{paths_from_events, EventOptions, JourneyOptions};
//! use touchpoint::{AttributionModel, TimeDecay};
//! let log = "user_id,timestamp,channel,conversion,value\n\
//!            a,2024-05-01T00:00:00Z,Display,,\n\
//!            a,2024-05-08T00:00:00Z,Search,,\n\
//!            a,2024-05-08T00:00:00Z,,1,30\n\
//!            b,2024-05-02T12:00:00+02:00,Display,0,\n";
//! let (table, report) =
//!     paths_from_events(log.as_bytes(), &EventOptions::default(), &JourneyOptions::default())?;
//! assert_eq!(report.journeys.converting_journeys, 1);
//! assert_eq!(report.journeys.null_journeys, 1);
//! // Display is one half-life (7 days) older than Search: weights 1/2 and 1 → 1/3 and 2/3.
//! let credit = TimeDecay::default().attribute(&table)?;
//! assert!((credit.value("Display") - 10.0).abs() < 1e-9);
//! assert!((credit.value("Search") - 20.0).abs() < 1e-9);
//! # Ok::<(), touchpoint::Error>(())
//! ```

use std::io::Read;

use serde::Serialize;

use crate::error::Result;
use crate::table::PathTable;

#[cfg(feature = "arrow")]
mod arrow;
mod build;
mod cut;
mod log;
mod parts;
mod read;
mod rules;
mod stream;
mod stream_state;
pub mod synth;

pub use crate::time::{EpochUnit, parse_duration, parse_timestamp};
#[cfg(feature = "arrow")]
#[cfg_attr(docsrs, doc(cfg(feature = "arrow")))]
pub use arrow::read_events_arrow;
#[cfg(feature = "parquet")]
#[cfg_attr(docsrs, doc(cfg(feature = "parquet")))]
pub use arrow::{read_events_parquet, read_events_parquet_file};
pub use build::{JourneyOptions, JourneyReport, Journeys, NullJourneys, UnattributedConversion};
pub use log::EventLog;
#[doc(hidden)]
pub use read::read_events_serde_only;
pub use read::{
    ChannelInput, EventFormat, EventOptions, EventReadReport, MAX_KEY_COLUMNS, NOT_SET,
    read_events, read_events_into,
};
pub use rules::{ChannelRule, ChannelRules, DEFAULT_CHANNEL_RULES, DEFAULT_FALLBACK_CHANNEL};
pub use stream::{
    JourneyStream, LateEvent, LateEvents, LateReport, PushReport, StreamConfig, StreamReport,
};
pub use stream_state::{CHECKPOINT_FORMAT, CHECKPOINT_VERSION, CheckpointProblem};

/// The reports of [`paths_from_events`]: what was read and how journeys were built.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EventsReport {
    /// Rows read and skipped.
    pub read: EventReadReport,
    /// Journeys, unattributed conversions, dropped touches.
    pub journeys: JourneyReport,
}

/// Reads an event log and builds its journeys in one call: [`read_events`] then
/// [`EventLog::build`].
///
/// # Errors
/// As [`read_events`] and [`EventLog::build`].
pub fn paths_from_events<R: Read>(
    input: R,
    read: &EventOptions,
    build: &JourneyOptions,
) -> Result<(PathTable, EventsReport)> {
    build.validate()?;
    let (mut log, read) = read_events(input, read)?;
    let (table, journeys) = log.build(build)?;
    Ok((table, EventsReport { read, journeys }))
}
