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

use touchpoint::events::synth::{SynthEvents, SynthOptions};
use touchpoint::events::{
    ChannelInput, ChannelRules, EventFormat, EventOptions, JourneyOptions, parse_duration,
    read_events,
};
use touchpoint::formats::{BadRows, write_paths};

fn main() {
    if let Err(e) = run() {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

fn value(args: &mut impl Iterator<Item = String>, flag: &str) -> Result<String, Box<dyn Error>> {
    args.next()
        .ok_or_else(|| format!("{flag} needs a value").into())
}

fn run() -> Result<(), Box<dyn Error>> {
    let mut input: Option<PathBuf> = None;
    let mut output: Option<PathBuf> = None;
    let mut read = EventOptions::default();
    let mut build = JourneyOptions::default();
    let mut synth: Option<SynthOptions> = None;
    let mut jsonl = false;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--lookback" => {
                let v = value(&mut args, &a)?;
                build.lookback = match v.as_str() {
                    "none" => None,
                    _ => Some(parse_duration("lookback", &v)?),
                };
            }
            "--inactivity" => {
                build.inactivity_timeout =
                    Some(parse_duration("inactivity", &value(&mut args, &a)?)?)
            }
            "--merge-within" => {
                build.merge_repeats_within =
                    Some(parse_duration("merge-within", &value(&mut args, &a)?)?)
            }
            "--untimed" => build.keep_times = false,
            "--channel-rules" => {
                let file = File::open(value(&mut args, &a)?)?;
                read.channel = ChannelInput::source_medium(ChannelRules::from_csv(file)?);
            }
            "--source-medium" => {
                read.channel = ChannelInput::source_medium(ChannelRules::default())
            }
            "--skip-bad-rows" => read.bad_rows = BadRows::Skip,
            "-o" | "--output" => output = Some(value(&mut args, &a)?.into()),
            "--synth" => {
                synth = Some(SynthOptions {
                    events: value(&mut args, &a)?.parse()?,
                    ..synth.unwrap_or_default()
                })
            }
            "--seed" => {
                let seed = value(&mut args, &a)?.parse()?;
                synth = Some(SynthOptions {
                    seed,
                    ..synth.unwrap_or_default()
                });
            }
            "--epoch-ms" => {
                synth = Some(SynthOptions {
                    epoch_millis: true,
                    ..synth.unwrap_or_default()
                })
            }
            "--jsonl" => jsonl = true,
            "-h" | "--help" => {
                eprintln!(
                    "usage: journeys EVENTS [--lookback 30d|none] [--inactivity D] [--merge-within D] \
                     [--channel-rules FILE | --source-medium] [--skip-bad-rows] [--untimed] [-o paths.csv]\n\
                     \x20      journeys --synth N [--seed S] [--jsonl] [--epoch-ms] [-o events.csv]"
                );
                return Ok(());
            }
            _ if input.is_none() && !a.starts_with('-') => input = Some(a.into()),
            _ => return Err(format!("unknown argument `{a}` (try --help)").into()),
        }
    }
    let out: Box<dyn Write> = match &output {
        Some(p) => Box::new(File::create(p)?),
        None => Box::new(io::stdout().lock()),
    };

    if let Some(opts) = synth {
        let t = Instant::now();
        let events = SynthEvents::new(opts)?;
        let n = if jsonl {
            events.write_jsonl(out)?
        } else {
            events.write_csv(out)?
        };
        eprintln!("wrote {n} events in {:.1} s", t.elapsed().as_secs_f64());
        return Ok(());
    }

    let path = input.ok_or("no event file given (try --help)")?;
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
