//! Builds journeys from an event log and writes them as ChannelAttribution CSV.
//!
//! ```text
//! cargo run --release --example journeys -- EVENTS.(csv|jsonl) [--lookback 30d|none]
//!     [--inactivity 30m] [--merge-within 30m] [--channel-rules FILE | --source-medium]
//!     [--skip-bad-rows] [-o paths.csv]
//! cargo run --release --example journeys -- --synth 10000000 [--seed 0] [--jsonl]
//!     [--epoch-ms] -o events.csv
//! ```
//!
//! The first form reads the events (format from the extension, else from the content), builds
//! journeys and writes the aggregated paths (stdout without `-o`); the report goes to stderr.
//! The second form writes a reproducible synthetic event log.

use std::error::Error;
use std::fs::File;
use std::io::{self, Write};
use std::path::PathBuf;
use std::time::Instant;

use chrono::TimeDelta;
use clap::Parser;
use touchpoint::events::synth::{SynthEvents, SynthOptions};
use touchpoint::events::{
    ChannelInput, ChannelRules, EventFormat, EventOptions, JourneyOptions, parse_duration,
    read_events,
};
use touchpoint::formats::{BadRows, write_paths};

#[path = "common/mod.rs"]
#[allow(dead_code)]
mod common;
use common::Failure;

/// Parsed command line.
#[derive(Parser, Debug)]
#[command(
    name = "journeys",
    about = "journeys: cut an event log into journeys and write them as ChannelAttribution CSV, \
             or write a synthetic event log",
    disable_version_flag = true,
    max_term_width = 100
)]
struct Cli {
    /// The event log (CSV or JSON Lines, by extension or content).
    #[arg(value_name = "EVENTS")]
    input: Option<PathBuf>,
    /// Lookback window before each conversion (default 30d), or `none`.
    #[arg(long, value_name = "DURATION|none", value_parser = lookback)]
    lookback: Option<Option<TimeDelta>>,
    /// Split null journeys after this much inactivity.
    #[arg(long, value_name = "DURATION", value_parser = |s: &str| parse_duration("inactivity", s))]
    inactivity: Option<TimeDelta>,
    /// Merge repeated touches of a channel within this time.
    #[arg(long, value_name = "DURATION", value_parser = |s: &str| parse_duration("merge-within", s))]
    merge_within: Option<TimeDelta>,
    /// Drop timestamps from the journeys (equal paths summed).
    #[arg(long)]
    untimed: bool,
    /// Map source/medium columns to channels with an ordered rule file.
    #[arg(long, value_name = "FILE", conflicts_with = "source_medium")]
    channel_rules: Option<PathBuf>,
    /// Map source/medium columns to channels with the default GA4-style rules.
    #[arg(long)]
    source_medium: bool,
    /// Skip malformed rows (counted) instead of stopping.
    #[arg(long)]
    skip_bad_rows: bool,
    /// Write to FILE instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Write a synthetic event log of N events instead of reading one.
    #[arg(long, value_name = "N", help_heading = "Synthetic logs")]
    synth: Option<u64>,
    /// Seed of the synthetic log.
    #[arg(long, value_name = "S", help_heading = "Synthetic logs")]
    seed: Option<u64>,
    /// Write the synthetic log as JSON Lines.
    #[arg(long, help_heading = "Synthetic logs")]
    jsonl: bool,
    /// Synthetic timestamps in epoch milliseconds.
    #[arg(long, help_heading = "Synthetic logs")]
    epoch_ms: bool,
}

fn lookback(s: &str) -> Result<Option<TimeDelta>, touchpoint::Error> {
    match s {
        "none" => Ok(None),
        _ => parse_duration("lookback", s).map(Some),
    }
}

fn main() {
    common::main_with(
        |c| c,
        |cli| run(cli).map_err(|e| Failure::Message(e.to_string())),
    );
}

fn run(cli: Cli) -> Result<(), Box<dyn Error>> {
    let out: Box<dyn Write> = match &cli.output {
        Some(p) => Box::new(File::create(p)?),
        None => Box::new(io::stdout().lock()),
    };
    if cli.synth.is_some() || cli.seed.is_some() || cli.epoch_ms {
        let mut opts = SynthOptions::default();
        opts.events = cli.synth.unwrap_or(opts.events);
        opts.seed = cli.seed.unwrap_or(opts.seed);
        opts.epoch_millis |= cli.epoch_ms;
        let t = Instant::now();
        let events = SynthEvents::new(opts)?;
        let n = if cli.jsonl {
            events.write_jsonl(out)?
        } else {
            events.write_csv(out)?
        };
        eprintln!("wrote {n} events in {:.1} s", t.elapsed().as_secs_f64());
        return Ok(());
    }

    let mut read = EventOptions::default();
    if let Some(file) = &cli.channel_rules {
        read.channel = ChannelInput::source_medium(ChannelRules::from_csv(File::open(file)?)?);
    } else if cli.source_medium {
        read.channel = ChannelInput::source_medium(ChannelRules::default());
    }
    if cli.skip_bad_rows {
        read.bad_rows = BadRows::Skip;
    }
    let mut build = JourneyOptions::default();
    if let Some(lookback) = cli.lookback {
        build.lookback = lookback;
    }
    build.inactivity_timeout = cli.inactivity.or(build.inactivity_timeout);
    build.merge_repeats_within = cli.merge_within.or(build.merge_repeats_within);
    build.keep_times &= !cli.untimed;

    let path = cli.input.ok_or("no event file given (try --help)")?;
    read.format = EventFormat::from_path(&path);
    let t = Instant::now();
    let (mut log, report) = read_events(File::open(&path)?, &read)?;
    let t_read = t.elapsed().as_secs_f64();
    eprintln!(
        "read {} rows ({} touch rows, {} conversion rows; {} skipped) as {:?} in {t_read:.1} s: \
         {} users, {} channels, event log {:.0} MiB",
        report.rows,
        report.touch_rows,
        report.conversion_rows,
        report.skipped,
        report.format,
        log.users(),
        log.channels().len(),
        log.heap_bytes() as f64 / (1 << 20) as f64,
    );
    for (at, problem) in report.skipped_details.iter().take(10) {
        eprintln!("  skipped line {}: {problem}", at.line);
    }
    let t = Instant::now();
    let (table, j) = log.build(&build)?;
    eprintln!(
        "built {} journeys ({} converting, {} null) in {:.1} s; table {} rows, {:.0} MiB",
        j.journeys,
        j.converting_journeys,
        j.null_journeys,
        t.elapsed().as_secs_f64(),
        table.len(),
        table.heap_bytes() as f64 / (1 << 20) as f64,
    );
    eprintln!(
        "conversions {} (value {:.2}); unattributed {} events = {} conversions (value {:.2})",
        j.conversions,
        j.value,
        j.unattributed_events,
        j.unattributed_conversions,
        j.unattributed_value
    );
    eprintln!(
        "touches {}: {} in journeys, {} outside the lookback window, {} merged, {} truncated",
        j.touches, j.touches_in_journeys, j.dropped_touches, j.merged_touches, j.truncated_touches
    );
    drop(log);
    write_paths(&table, out)?;
    Ok(())
}
