//! Journeys from event logs: hand-computed journeys, readers, bad rows, the time decay example
//! of the model reference (§Time decay) from events, and the P16 properties (§Properties).
//! One module per concern; the helpers below are shared.

mod journeys;
mod json_scanner;
mod properties;
mod readers;

use chrono::TimeDelta;
use proptest::prelude::*;
use rand::rngs::Xoshiro256PlusPlus;
use rand::{RngExt, SeedableRng};
use touchpoint::events::synth::{SynthEvents, SynthOptions};
use touchpoint::events::{
    ChannelInput, ChannelRules, EpochUnit, EventFormat, EventLog, EventOptions, EventsReport,
    JourneyOptions, JourneyReport, paths_from_events, read_events,
};
use touchpoint::formats::{BadRows, write_paths};
use touchpoint::{
    AttributionModel, Error, Linear, Location, Outcome, ParseProblem, PathTable, RuleBased,
    TimeDecay,
};

const HOUR: i64 = 3_600_000_000;
const DAY: i64 = 24 * HOUR;
/// 2024-01-01T00:00:00Z in µs.
const JAN1: i64 = 1_704_067_200_000_000;
const HEADER: &str = "user_id,timestamp,channel,conversion,value\n";

fn build(text: &str) -> (PathTable, EventsReport) {
    build_with(text, &EventOptions::default(), &JourneyOptions::default())
}

fn build_with(text: &str, read: &EventOptions, opts: &JourneyOptions) -> (PathTable, EventsReport) {
    paths_from_events(text.as_bytes(), read, opts).unwrap()
}

/// Rows as `(path, outcome, times relative to JAN1 in hours, conversion time in hours)`.
/// `(path, outcome, touch times, conversion time)` of a row.
type RowView = (String, Outcome, Option<Vec<i64>>, Option<i64>);

fn rows(t: &PathTable) -> Vec<RowView> {
    t.rows()
        .map(|r| {
            let names: Vec<_> = r.path.iter().map(|&id| t.channels().name(id)).collect();
            let hours = |us: i64| (us - JAN1) / HOUR;
            (
                names.join(">"),
                r.outcome,
                r.times.map(|ts| ts.iter().map(|&x| hours(x)).collect()),
                r.converted_at.map(hours),
            )
        })
        .collect()
}

fn paths(t: &PathTable) -> Vec<String> {
    rows(t).into_iter().map(|r| r.0).collect()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}
