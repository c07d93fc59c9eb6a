//! `generate`: a seeded synthetic path table in ChannelAttribution CSV.
//!
//! ```text
//! cargo run --release --example generate -- --rows 1000000 --channels 30 --seed 7 -o big.csv
//! ```
//!
//! The same options and seed give the same file on every machine (`touchpoint::synth`).

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::process::exit;
use std::time::Instant;

use clap::Parser;
use touchpoint::events::synth::{SynthEvents, SynthOptions};
use touchpoint::formats::write_paths;
use touchpoint::synth::{SynthConfig, SynthSize, generate};

const EXAMPLES: &str = "\
EXAMPLES:
    # The bundled sample (examples/data/sample_paths.csv):
    generate --rows 300 --channels 8 --mean-len 3 --conversion-rate 0.3 --seed 1 \\
        -o examples/data/sample_paths.csv

    # An event log of 100,000 events, then attribution from it:
    generate --events 100000 --seed 3 -o events.csv
    attribute --events events.csv --models linear,time_decay --half-life 7d

    # The 1M-path, 30-channel table of the performance figures:
    generate --rows 1000000 --channels 30 --seed 7 -o big.csv

    # 10,000 campaign keys (Paid Search/c1, …) over 30 channels:
    generate --rows 1000000 --channels 30 --campaigns 10000 --seed 7 -o campaigns.csv

    # The same keys, journeys staying within their campaign 90 % of the time (sparse chains):
    generate --rows 1000000 --channels 30 --campaigns 10000 --campaign-stickiness 0.9 \
        --seed 7 -o sticky.csv
";

/// generate: a seeded synthetic path table (ChannelAttribution CSV)
#[derive(Parser, Debug)]
#[command(name = "generate", after_help = EXAMPLES)]
struct Args {
    /// Distinct paths (rows) to generate [default: 10000].
    #[arg(long, value_name = "N", conflicts_with = "journeys")]
    rows: Option<usize>,
    /// Generate exactly N journeys instead (rows = distinct paths among them).
    #[arg(long, value_name = "N")]
    journeys: Option<u64>,
    /// Number of channels. The first 16 have readable names (Paid Search, Organic Search,
    /// Email, Direct, …), then Channel 17, …
    #[arg(long, value_name = "K", default_value_t = 8)]
    channels: usize,
    /// Campaign keys `Channel/cJ` spread over the channels by popularity (0: the keys are the
    /// channels; else at least --channels). With --events: a `campaign` column, each of the 8
    /// channels having N/8 campaigns (rounded up).
    #[arg(long, value_name = "N", default_value_t = 0)]
    campaigns: usize,
    /// Probability P in [0, 1] that a touch keeps its journey's campaign theme (with
    /// --campaigns): each journey draws a campaign name cJ, and a touch is of cJ with
    /// probability P (on a channel that has it), else drawn independently. 0 (default): every
    /// touch independent, as before. Real logs stay within a few campaigns: try 0.9.
    #[arg(long = "campaign-stickiness", value_name = "P", default_value_t = 0.0)]
    campaign_stickiness: f64,
    /// Mean touches per journey, >= 1.
    #[arg(long = "mean-len", value_name = "L", default_value_t = 4.0)]
    mean_len: f64,
    /// Longest path.
    #[arg(long = "max-len", value_name = "N", default_value_t = 40)]
    max_len: usize,
    /// Approximate share of converting journeys.
    #[arg(long = "conversion-rate", value_name = "R", default_value_t = 0.05)]
    conversion_rate: f64,
    /// Median conversion value.
    #[arg(long = "median-value", value_name = "V", default_value_t = 60.0)]
    median_value: f64,
    /// Popularity exponent: channel i has weight 1/i^S.
    #[arg(long, value_name = "S", default_value_t = 1.0)]
    zipf: f64,
    /// Random seed.
    #[arg(long, value_name = "S", default_value_t = 42)]
    seed: u64,
    /// Write an event log of N touch/conversion events instead
    /// (user_id,timestamp,channel,conversion,value; for attribute --events).
    #[arg(long, value_name = "N")]
    events: Option<u64>,
    /// With --events: JSON Lines instead of CSV.
    #[arg(long)]
    jsonl: bool,
    /// Write to FILE instead of stdout (a `.parquet` name writes Parquet, with --features
    /// parquet).
    #[arg(short, long, value_name = "FILE")]
    output: Option<String>,
    /// No summary on stderr.
    #[arg(short, long)]
    quiet: bool,
}

fn main() {
    let args = match parse() {
        Ok(args) => args,
        Err(msg) => {
            eprintln!("error: {msg}");
            exit(1);
        }
    };
    if let Err(msg) = run(args) {
        eprintln!("error: {msg}");
        exit(1);
    }
}

/// The options, or a one-line error (`--help` prints and exits 0).
fn parse() -> Result<Args, String> {
    let mut args = vec![String::from("generate")];
    for a in std::env::args_os().skip(1) {
        args.push(
            a.into_string()
                .map_err(|a| format!("argument {a:?} is not valid UTF-8"))?,
        );
    }
    Args::try_parse_from(args).map_err(|e| {
        if !e.use_stderr() {
            e.exit(); // --help
        }
        let text = e.to_string();
        let first = text.lines().next().unwrap_or_default();
        format!("{} (see --help)", first.trim_start_matches("error: "))
    })
}

/// Writes a seeded synthetic event log (`touchpoint::events::SynthEvents`).
fn write_events(
    n: u64,
    seed: u64,
    campaigns_per_channel: usize,
    campaign_stickiness: f64,
    jsonl: bool,
    output: Option<&str>,
    quiet: bool,
) -> Result<(), String> {
    let started = Instant::now();
    let opts = SynthOptions {
        events: n,
        seed,
        campaigns_per_channel,
        campaign_stickiness,
        ..SynthOptions::default()
    };
    let stream = SynthEvents::new(opts).map_err(|e| e.to_string())?;
    let out: Box<dyn Write> = match output {
        Some(path) => Box::new(File::create(path).map_err(|e| format!("{path}: {e}"))?),
        None => Box::new(io::stdout().lock()),
    };
    let target = output.unwrap_or("stdout");
    let out = BufWriter::with_capacity(1 << 16, out);
    let written = if jsonl {
        stream.write_jsonl(out)
    } else {
        stream.write_csv(out)
    };
    match written {
        Ok(rows) if !quiet => eprintln!(
            "wrote {rows} events to {target} in {:.2} s (seed {seed})",
            started.elapsed().as_secs_f64()
        ),
        Ok(_) => {}
        Err(touchpoint::Error::Io(e)) if e.kind() == io::ErrorKind::BrokenPipe => {}
        Err(e) => return Err(format!("{target}: {e}")),
    }
    Ok(())
}

/// Writes the table as Parquet (`path` as `list<utf8>`; feature `parquet`).
#[cfg(feature = "parquet")]
fn write_parquet(path: &str, table: &touchpoint::PathTable) -> Result<(), String> {
    let file = File::create(path).map_err(|e| format!("{path}: {e}"))?;
    touchpoint::formats::write_paths_parquet(table, file).map_err(|e| format!("{path}: {e}"))
}

#[cfg(not(feature = "parquet"))]
fn write_parquet(path: &str, _: &touchpoint::PathTable) -> Result<(), String> {
    Err(format!(
        "{path}: writing Parquet needs the `parquet` feature: \
         cargo run --release --features parquet --example generate -- ..."
    ))
}

fn run(args: Args) -> Result<(), String> {
    let defaults = SynthConfig::default();
    let cfg = SynthConfig {
        size: match (args.rows, args.journeys) {
            (_, Some(n)) => SynthSize::Journeys(n),
            (Some(n), None) => SynthSize::DistinctPaths(n),
            (None, None) => defaults.size,
        },
        channels: args.channels,
        campaigns: args.campaigns,
        campaign_stickiness: args.campaign_stickiness,
        mean_path_len: args.mean_len,
        max_path_len: args.max_len,
        conversion_rate: args.conversion_rate,
        median_value: args.median_value,
        zipf_exponent: args.zipf,
        seed: args.seed,
        ..defaults
    };
    let (output, quiet) = (args.output, args.quiet);
    if let Some(n) = args.events {
        let campaigns = args.campaigns.div_ceil(8);
        let sticky = cfg.campaign_stickiness;
        return write_events(
            n,
            cfg.seed,
            campaigns,
            sticky,
            args.jsonl,
            output.as_deref(),
            quiet,
        );
    }
    if args.jsonl {
        return Err("--jsonl goes with --events N".to_string());
    }
    let started = Instant::now();
    let table = generate(&cfg).map_err(|e| e.to_string())?;
    if let Some(path) = output.as_deref().filter(|p| p.ends_with(".parquet")) {
        return write_parquet(path, &table);
    }
    let out: Box<dyn Write> = match &output {
        Some(path) => Box::new(File::create(path).map_err(|e| format!("{path}: {e}"))?),
        None => Box::new(io::stdout().lock()),
    };
    let target = output.as_deref().unwrap_or("stdout");
    match write_paths(&table, BufWriter::with_capacity(1 << 16, out)) {
        Ok(()) => {}
        Err(touchpoint::Error::Io(e)) if e.kind() == io::ErrorKind::BrokenPipe => return Ok(()),
        Err(e) => return Err(format!("{target}: {e}")),
    }
    if !quiet {
        let t = table.totals();
        eprintln!(
            "wrote {} paths, {} channels, {} journeys ({} conversions, value {}, {} nulls) to \
             {target} in {:.2} s (seed {})",
            table.len(),
            table.channels().len(),
            t.journeys(),
            t.conversions,
            t.value,
            t.nulls,
            started.elapsed().as_secs_f64(),
            cfg.seed
        );
    }
    Ok(())
}
