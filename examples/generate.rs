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

use touchpoint::events::synth::{SynthEvents, SynthOptions};
use touchpoint::formats::write_paths;
use touchpoint::synth::{SynthConfig, SynthSize, generate};

const HELP: &str = "\
generate: a seeded synthetic path table (ChannelAttribution CSV)

USAGE:
    generate [OPTIONS]

OPTIONS:
    --rows <N>              Distinct paths (rows) to generate (default: 10000).
    --journeys <N>          Generate exactly N journeys instead (rows = distinct paths among them).
    --channels <K>          Number of channels (default: 8). The first 16 have readable names
                            (Paid Search, Organic Search, Email, Direct, …), then Channel 17, …
    --mean-len <L>          Mean touches per journey, >= 1 (default: 4).
    --max-len <N>           Longest path (default: 40).
    --conversion-rate <R>   Approximate share of converting journeys (default: 0.05).
    --median-value <V>      Median conversion value (default: 60).
    --zipf <S>              Popularity exponent: channel i has weight 1/i^S (default: 1).
    --seed <S>              Random seed (default: 42).
    --events <N>            Write an event log of N touch/conversion events instead
                            (user_id,timestamp,channel,conversion,value; for attribute --events).
    --jsonl                 With --events: JSON Lines instead of CSV.
    -o, --output <FILE>     Write to FILE instead of stdout (a `.parquet` name writes Parquet,
                            with --features parquet).
    -q, --quiet             No summary on stderr.
    -h, --help              Print this help.

EXAMPLES:
    # The bundled sample (examples/data/sample_paths.csv):
    generate --rows 300 --channels 8 --mean-len 3 --conversion-rate 0.3 --seed 1 \\
        -o examples/data/sample_paths.csv

    # An event log of 100,000 events, then attribution from it:
    generate --events 100000 --seed 3 -o events.csv
    attribute --events events.csv --models linear,time_decay --half-life 7d

    # The 1M-path, 30-channel table of the performance figures:
    generate --rows 1000000 --channels 30 --seed 7 -o big.csv
";

fn main() {
    let args: Result<Vec<String>, String> = std::env::args_os()
        .skip(1)
        .map(|a| {
            a.into_string()
                .map_err(|a| format!("argument {a:?} is not valid UTF-8"))
        })
        .collect();
    if let Err(msg) = args.and_then(run) {
        eprintln!("error: {msg}");
        exit(1);
    }
}

/// Writes a seeded synthetic event log (`touchpoint::events::SynthEvents`).
fn write_events(
    n: u64,
    seed: u64,
    jsonl: bool,
    output: Option<&str>,
    quiet: bool,
) -> Result<(), String> {
    let started = Instant::now();
    let opts = SynthOptions {
        events: n,
        seed,
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

fn run(args: Vec<String>) -> Result<(), String> {
    let mut cfg = SynthConfig::default();
    let mut output: Option<String> = None;
    let mut quiet = false;
    let mut events: Option<u64> = None;
    let mut jsonl = false;
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let (name, inline) = match arg.split_once('=') {
            Some((n, v)) if n.starts_with("--") => (n, Some(v.to_string())),
            _ => (arg.as_str(), None),
        };
        match (name, &inline) {
            ("-h" | "--help", None) => {
                print!("{HELP}");
                return Ok(());
            }
            ("-q" | "--quiet", None) => {
                quiet = true;
                continue;
            }
            ("--jsonl", None) => {
                jsonl = true;
                continue;
            }
            ("-h" | "--help" | "-q" | "--quiet" | "--jsonl", Some(_)) => {
                return Err(format!("option {name} takes no value"));
            }
            _ => {}
        }
        const VALUED: [&str; 12] = [
            "--events",
            "--rows",
            "--journeys",
            "--channels",
            "--mean-len",
            "--max-len",
            "--conversion-rate",
            "--median-value",
            "--zipf",
            "--seed",
            "-o",
            "--output",
        ];
        if !VALUED.contains(&name) {
            return Err(format!("unknown argument `{arg}` (see --help)"));
        }
        let value = match inline {
            Some(v) => v,
            None => args
                .next()
                .ok_or_else(|| format!("option {name} needs a value (see --help)"))?,
        };
        match name {
            "--rows" => cfg.size = SynthSize::DistinctPaths(number(name, &value)?),
            "--journeys" => cfg.size = SynthSize::Journeys(number(name, &value)?),
            "--channels" => cfg.channels = number(name, &value)?,
            "--mean-len" => cfg.mean_path_len = number(name, &value)?,
            "--max-len" => cfg.max_path_len = number(name, &value)?,
            "--conversion-rate" => cfg.conversion_rate = number(name, &value)?,
            "--median-value" => cfg.median_value = number(name, &value)?,
            "--zipf" => cfg.zipf_exponent = number(name, &value)?,
            "--seed" => cfg.seed = number(name, &value)?,
            "--events" => events = Some(number(name, &value)?),
            _ => output = Some(value),
        }
    }
    if let Some(n) = events {
        return write_events(n, cfg.seed, jsonl, output.as_deref(), quiet);
    }
    if jsonl {
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

fn number<T: std::str::FromStr>(option: &str, s: &str) -> Result<T, String> {
    s.trim()
        .parse()
        .map_err(|_| format!("{option} `{s}`: not a valid number"))
}
