//! `attribute`: credit marketing channels for conversions, from a ChannelAttribution path CSV.
//!
//! ```text
//! cargo run --release --example attribute -- [OPTIONS] <INPUT.csv>
//! ```
//!
//! Results go to stdout (or `-o FILE`); the summary and warnings go to stderr. On bad input the
//! exit status is 1 and stderr has one line: `error: FILE:LINE: problem`. Run with `--help` for
//! the options and worked examples.

use std::fs::File;
use std::io::{self, BufWriter};
use std::time::Instant;

use chrono::TimeDelta;
use touchpoint::bootstrap::{Bootstrap, Scheme};
use touchpoint::events::{
    ChannelInput, ChannelRules, EventFormat, EventOptions, JourneyOptions, parse_duration,
    paths_from_events,
};
use touchpoint::formats::{BadRows, PathCsvOptions, ReadReport};
use touchpoint::registry::{ModelOptions, TABLE_MODELS, build_model, model_names};
use touchpoint::report::{Compat, Format, Summary, write_channelattribution, write_report};

#[path = "common/mod.rs"]
#[allow(dead_code)]
mod common;
use common::{
    Failure, Progress, emit, emit_to, located, message, parse_count, parse_delimiter, read_input,
    set_jobs, split_option,
};
use touchpoint::{Attribution, Error, Markov, PathTable, Solver, ValueMode};

const HELP: &str = "\
attribute: credit marketing channels for conversions (multi-touch attribution)

USAGE:
    attribute [OPTIONS] <INPUT>

INPUT is a ChannelAttribution path CSV (`-` reads stdin):
    path,total_conversions,total_conversion_value,total_null
    Paid Search > Email > Direct,12,840,31
The value and null columns are optional.

OPTIONS:
    --models <LIST|all|list>  Comma-separated model names (default: all). `--models list`
                              prints every name, one per line.
    --format <FMT>            Output format (default: table):
                                table  aligned text for reading
                                csv    long: model,channel,conversions,value,share,value_share
                                md     Markdown pipe table (channels x models, total row)
                                json   {total_conversions, total_value, total_null, channels,
                                       models, summary}
                                jsonl  one object per model and channel (the csv fields, plus
                                       ci and se with --ci)
                                wide   channel x model pivot CSV:
                                       channel,<model>_conversions,<model>_value,...
    --compat channelattribution
                              CSV with ChannelAttribution's column names, one row per channel:
                              channel_name, then first_touch -> first_touch_conversions,
                              first_touch_value; last_touch -> last_touch_conversions,
                              last_touch_value; linear -> linear_touch_conversions,
                              linear_touch_value; markov -> total_conversions,
                              total_conversion_value (without a value column: first_touch,
                              last_touch, linear_touch, total_conversions). Other models are
                              an error. --transitions then writes channel_from,channel_to,
                              transition_probability.
    -o, --output <FILE>       Write results to FILE instead of stdout.
    --sep <STR>               Separator between channels in a path (default: >). Blanks around
                              it do not matter; ` ` splits on whitespace.
    -d, --delimiter <CHAR>    CSV delimiter: `,`, `;`, `tab` or any one ASCII character
                              (default: detected from the header).
    --path-col <NAME>         Path column (default: path).
    --conv-col <NAME>         Conversions column (default: total_conversions).
    --value-col <NAME>        Value column (default: total_conversion_value, optional).
    --null-col <NAME>         Null column (default: total_null, optional).
    --max-path-len <N>        Longest path accepted (default: 10000).
    --skip-bad-rows           Skip malformed rows (counted on stderr) instead of stopping.
    --direct <LIST>           Direct channels for last_non_direct
                              (default: Direct,(direct),direct).
    --weights <F,M,L>         First, middle, last weights of position_based, as fractions
                              (0.3,0.4,0.3) or percentages (30,40,30); default 40,20,40.
    --half-life <N|DURATION>  time_decay half-life: a plain number is in touches (rows without
                              timestamps, default 1); a duration such as 7d, 12h, 30m, 90s is
                              for timestamped rows (default 7d).
    --seed <N>                Seed of every random step (bootstrap, sampled Shapley games,
                              Markov simulation).
    -j, --jobs <N>            Worker threads (default: one per core). Results are identical
                              for any N.

MARKOV:
    --order <K|auto>          Markov order (default 1); `auto` picks the smallest order whose
                              held-out AUC of conversion prediction is within 0.001 of the best
                              among orders 1-4.
    --markov-value <MODE>     value_weighted (default, ChannelAttribution's value removal
                              effects) or proportional (value split like conversions).
    --markov-walks <N>        Estimate removal effects by simulating N walks, as
                              ChannelAttribution does (default: solved exactly).
    --transitions <FILE>      Write the Markov transition matrix as CSV
                              (from,to,probability; states (start), (conversion), (null)).
    --heatmap <FILE>          Draw the Markov transition matrix as an SVG heatmap (needs the
                              `plot` feature).

EVENT LOGS (instead of INPUT):
    --events <FILE>           A touchpoint event log, CSV or JSON Lines (by extension or
                              content) or Parquet (.parquet, with --features parquet), columns
                              user_id,timestamp,channel,conversion,value.
                              Journeys are built per user: each conversion closes the touches
                              since the previous one inside the lookback window; touches after
                              the last conversion form a null journey. Timestamps are kept, so
                              time_decay uses real time.
    --lookback <DURATION>     Lookback window before each conversion (default: 30d).
    --channel-rules <FILE>    Map source/medium columns to channels with an ordered rule file
                              (header: channel,source,medium[,campaign]; `*` matches anything).

CONFIDENCE INTERVALS (bootstrap over journeys):
    --ci <LEVEL>              Add percentile intervals at LEVEL (e.g. 0.95) and standard errors
                              to every model: table columns low/high, csv columns *_lo/*_hi/*_se,
                              json `ci` and `se` per channel.
    --replicates <B>          Bootstrap replicates (default: 1000).
    --bootstrap <SCHEME>      poisson (default), multinomial or bayesian.
    --svg <FILE>              Also draw a grouped bar chart (channel x model, conversions) as
                              SVG (needs the `plot` feature: cargo run --features plot ...).
    -q, --quiet               No summary, warnings or progress bar on stderr. (The bar shows
                              on a terminal only, for runs over a second: models and
                              bootstraps done.)
    -h, --help                Print this help.

EXAMPLES:
    # Every model on the bundled sample, as a table:
    attribute examples/data/sample_paths.csv

    # Three models as long CSV, into a file:
    attribute data.csv --models first_touch,last_touch,linear --format csv -o credit.csv

    # Semicolon-separated export with its own column names, read from stdin:
    cat export.csv | attribute - -d ';' --path-col journey --conv-col orders \\
        --value-col revenue --null-col lost --format json

    # Journeys from an event log, 14-day lookback, real-time decay with a 3-day half-life:
    attribute --events events.csv --lookback 14d --half-life 3d --models linear,time_decay

    # 95% intervals from 500 Poisson-bootstrap replicates:
    attribute data.csv --models linear,shapley --ci 0.95 --replicates 500 --seed 7

    # Drop-in for ChannelAttribution's heuristic_models() and markov_model() frames:
    attribute data.csv --models first_touch,last_touch,linear --compat channelattribution
    attribute data.csv --models markov --compat channelattribution --transitions tm.csv

    # A channel x model pivot for a spreadsheet, and a Markdown table for a report:
    attribute data.csv --models last_touch,linear,markov --format wide -o pivot.csv
    attribute data.csv --models last_touch,markov --format md

    # Two worker threads, and a transition heatmap (cargo run --features plot ...):
    attribute data.csv --models markov -j 2 --heatmap transitions.svg

    # A 30/40/30 position-based model and a 2-touch half-life:
    attribute data.csv --models position_based,time_decay --weights 30,40,30 --half-life 2

EXIT STATUS:
    0 on success; 1 on any error, with one line on stderr: `error: FILE:LINE: problem`.
";

fn main() {
    common::main_with(run);
}

/// Half-life as given on the command line.
#[derive(Clone, Copy, Debug, PartialEq)]
enum HalfLife {
    Touches(f64),
    Time(TimeDelta),
}

/// Parsed command line.
#[derive(Debug)]
struct Cli {
    input: Option<String>,
    models: String,
    format: Format,
    output: Option<String>,
    csv: PathCsvOptions,
    /// Column options given explicitly (a missing explicit optional column is an error).
    explicit_value_col: bool,
    explicit_null_col: bool,
    direct: Option<Vec<String>>,
    weights: Option<(f64, f64, f64)>,
    half_life: Option<HalfLife>,
    /// `--half-life` as given.
    half_life_text: String,
    quiet: bool,
    help: bool,
    /// `--events FILE`.
    events: Option<String>,
    lookback: Option<TimeDelta>,
    channel_rules: Option<String>,
    /// `--ci LEVEL` and its companions.
    ci: Option<f64>,
    /// Markov options.
    order: Option<touchpoint::Order>,
    markov_value: Option<ValueMode>,
    markov_walks: Option<usize>,
    transitions: Option<String>,
    svg: Option<String>,
    heatmap: Option<String>,
    /// `--format` given explicitly.
    explicit_format: bool,
    compat: Option<Compat>,
    jobs: Option<usize>,
    replicates: Option<usize>,
    scheme: Option<Scheme>,
    seed: Option<u64>,
}

impl Default for Cli {
    fn default() -> Self {
        Cli {
            input: None,
            models: "all".into(),
            format: Format::Table,
            output: None,
            csv: PathCsvOptions::default(),
            explicit_value_col: false,
            explicit_null_col: false,
            direct: None,
            weights: None,
            half_life: None,
            half_life_text: String::new(),
            quiet: false,
            help: false,
            events: None,
            lookback: None,
            channel_rules: None,
            ci: None,
            order: None,
            markov_value: None,
            markov_walks: None,
            transitions: None,
            svg: None,
            heatmap: None,
            explicit_format: false,
            compat: None,
            jobs: None,
            replicates: None,
            scheme: None,
            seed: None,
        }
    }
}

/// Parses the arguments: `--name value`, `--name=value`, `-o value`, `-ovalue`, flags,
/// `--` (everything after is positional) and `-` (stdin).
fn parse_args(args: Vec<String>) -> Result<Cli, String> {
    let mut cli = Cli::default();
    let mut args = args.into_iter();
    let mut only_positional = false;
    while let Some(arg) = args.next() {
        let (name, mut inline) = if only_positional || arg == "-" || !arg.starts_with('-') {
            set_input(&mut cli, arg)?;
            continue;
        } else if arg == "--" {
            only_positional = true;
            continue;
        } else {
            split_option(&arg)
        };
        let mut value = || -> Result<String, String> {
            inline
                .take()
                .or_else(|| args.next())
                .ok_or_else(|| format!("option {name} needs a value (see --help)"))
        };
        match name.as_str() {
            "-h" | "--help" => cli.help = true,
            "-q" | "--quiet" => cli.quiet = true,
            "--skip-bad-rows" => cli.csv.bad_rows = BadRows::Skip,
            "--models" => cli.models = value()?,
            "--format" => {
                cli.format = value()?.parse().map_err(message)?;
                cli.explicit_format = true;
            }
            "--compat" => cli.compat = Some(value()?.parse().map_err(message)?),
            "-j" | "--jobs" => cli.jobs = Some(parse_count("--jobs", &value()?)?),
            "--heatmap" => cli.heatmap = Some(value()?),
            "-o" | "--output" => cli.output = Some(value()?),
            "--sep" => cli.csv.separator = value()?,
            "-d" | "--delimiter" => cli.csv.delimiter = Some(parse_delimiter(&value()?)?),
            "--path-col" => cli.csv.path_column = value()?,
            "--conv-col" => cli.csv.conversions_column = value()?,
            "--value-col" => {
                cli.csv.value_column = Some(value()?);
                cli.explicit_value_col = true;
            }
            "--null-col" => {
                cli.csv.null_column = Some(value()?);
                cli.explicit_null_col = true;
            }
            "--max-path-len" => cli.csv.max_path_len = parse_count("--max-path-len", &value()?)?,
            "--direct" => cli.direct = Some(parse_list(&value()?)),
            "--weights" => cli.weights = Some(parse_weights(&value()?)?),
            "--half-life" => {
                cli.half_life_text = value()?;
                cli.half_life = Some(parse_half_life(&cli.half_life_text)?);
            }
            "--order" => cli.order = Some(value()?.parse().map_err(message)?),
            "--markov-value" => {
                let v = value()?;
                cli.markov_value = Some(match v.trim() {
                    "value_weighted" => ValueMode::ValueWeighted,
                    "proportional" => ValueMode::Proportional,
                    _ => {
                        return Err(format!(
                            "--markov-value `{v}`: expected value_weighted or proportional"
                        ));
                    }
                });
            }
            "--markov-walks" => cli.markov_walks = Some(parse_count("--markov-walks", &value()?)?),
            "--transitions" => cli.transitions = Some(value()?),
            "--svg" => cli.svg = Some(value()?),
            "--events" => cli.events = Some(value()?),
            "--lookback" => {
                cli.lookback = Some(parse_duration("lookback", &value()?).map_err(message)?)
            }
            "--channel-rules" => cli.channel_rules = Some(value()?),
            "--ci" => cli.ci = Some(parse_level(&value()?)?),
            "--replicates" => cli.replicates = Some(parse_count("--replicates", &value()?)?),
            "--bootstrap" => cli.scheme = Some(parse_scheme(&value()?)?),
            "--seed" => {
                let v = value()?;
                let seed = v
                    .parse()
                    .map_err(|_| format!("--seed `{v}`: expected a whole number >= 0"))?;
                cli.seed = Some(seed);
            }
            _ => return Err(format!("unknown option `{name}` (see --help)")),
        }
        if let Some(v) = inline {
            return Err(format!("option {name} takes no value (got `{v}`)"));
        }
    }
    Ok(cli)
}

fn set_input(cli: &mut Cli, arg: String) -> Result<(), String> {
    match &cli.input {
        Some(first) => Err(format!(
            "unexpected argument `{arg}`: the input is already `{first}` (one input file)"
        )),
        None => {
            cli.input = Some(arg);
            Ok(())
        }
    }
}

fn parse_level(s: &str) -> Result<f64, String> {
    let t = s.trim();
    let level = match t.strip_suffix('%') {
        Some(pct) => pct.trim().parse::<f64>().map(|x| x / 100.0),
        None => t.parse::<f64>(),
    };
    match level {
        Ok(x) if x > 0.0 && x < 1.0 => Ok(x),
        _ => Err(format!(
            "--ci `{s}`: expected a confidence level in (0, 1) such as 0.95 (or 95%)"
        )),
    }
}

fn parse_scheme(s: &str) -> Result<Scheme, String> {
    match s.trim() {
        "poisson" => Ok(Scheme::Poisson),
        "multinomial" => Ok(Scheme::Multinomial),
        "bayesian" => Ok(Scheme::Bayesian),
        _ => Err(format!(
            "--bootstrap `{s}`: expected poisson, multinomial or bayesian"
        )),
    }
}

fn parse_list(s: &str) -> Vec<String> {
    s.split(',')
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(String::from)
        .collect()
}

/// `F,M,L` as fractions summing to 1 or percentages summing to 100.
fn parse_weights(s: &str) -> Result<(f64, f64, f64), String> {
    let bad = |why: &str| format!("--weights `{s}`: {why}");
    let w = s
        .split(',')
        .map(|x| x.trim().parse::<f64>())
        .collect::<Result<Vec<f64>, _>>()
        .map_err(|_| bad("expected three numbers F,M,L such as 0.4,0.2,0.4 or 40,20,40"))?;
    let &[f, m, l] = w.as_slice() else {
        return Err(bad(
            "expected three numbers F,M,L such as 0.4,0.2,0.4 or 40,20,40",
        ));
    };
    if !w.iter().all(|x| x.is_finite() && *x >= 0.0) {
        return Err(bad("weights must be finite and >= 0"));
    }
    let sum = f + m + l;
    if (sum - 100.0).abs() < 1e-9 {
        Ok((f / 100.0, m / 100.0, l / 100.0))
    } else if (sum - 1.0).abs() < 1e-9 {
        Ok((f, m, l))
    } else {
        Err(bad(&format!("weights sum to {sum}, not 1 (or 100)")))
    }
}

/// A plain positive number (touches) or a number with a unit `ms`, `s`, `m`, `h`, `d`, `w`.
fn parse_half_life(s: &str) -> Result<HalfLife, String> {
    let bad = || {
        format!("--half-life `{s}`: expected touches (e.g. 2) or a duration (e.g. 7d, 12h, 30m)")
    };
    let t = s.trim();
    if let Ok(x) = t.parse::<f64>() {
        return if x.is_finite() && x > 0.0 {
            Ok(HalfLife::Touches(x))
        } else {
            Err(format!("--half-life `{s}`: must be > 0"))
        };
    }
    let split = t.find(|c: char| c.is_ascii_alphabetic()).ok_or_else(bad)?;
    let (number, unit) = t.split_at(split);
    let x: f64 = number.trim().parse().map_err(|_| bad())?;
    let micros_per_unit = match unit {
        "ms" => 1e3,
        "s" => 1e6,
        "m" => 60e6,
        "h" => 3600e6,
        "d" => 86_400e6,
        "w" => 7.0 * 86_400e6,
        _ => return Err(bad()),
    };
    let micros = (x * micros_per_unit).round();
    // 2^62 µs ≈ 146,000 years: far beyond any half-life, and safely inside i64.
    if !(micros >= 1.0 && micros < 2f64.powi(62)) {
        return Err(format!(
            "--half-life `{s}`: must be between 1µs and 100,000 years"
        ));
    }
    Ok(HalfLife::Time(TimeDelta::microseconds(micros as i64)))
}

/// [`HELP`] followed by the model names, wrapped.
fn help() -> String {
    let mut text = format!("{HELP}\nMODELS (--models list):\n");
    let mut line = String::from("   ");
    for name in TABLE_MODELS {
        if line.len() + 1 + name.len() > 94 {
            text.push_str(&line);
            text.push('\n');
            line = String::from("   ");
        }
        line.push(' ');
        line.push_str(name);
    }
    text.push_str(&line);
    text.push('\n');
    text
}

fn run(args: Vec<String>) -> Result<(), Failure> {
    let cli = parse_args(args)?;
    if cli.help {
        return emit(io::stdout().lock(), help().as_bytes());
    }
    if cli.models.trim() == "list" {
        let names: String = TABLE_MODELS.iter().map(|n| format!("{n}\n")).collect();
        return emit(io::stdout().lock(), names.as_bytes());
    }
    // Models first: an unknown name or bad parameter fails before any input is read.
    let opts = model_options(&cli);
    let names = model_names(&cli.models).map_err(message)?;
    let models = names
        .iter()
        .map(|n| build_model(n, &opts))
        .collect::<Result<Vec<_>, Error>>()
        .map_err(message)?;
    if (cli.svg.is_some() || cli.heatmap.is_some()) && !cfg!(feature = "plot") {
        return write_svg("", &[]);
    }
    if cli.compat.is_some() && cli.explicit_format && cli.format != Format::Csv {
        return Err(format!(
            "--compat channelattribution writes CSV; it cannot be combined with --format {}",
            cli.format
        )
        .into());
    }
    set_jobs(cli.jobs)?;
    let mut warnings = unused_option_warnings(&cli, &names);

    let started = Instant::now();
    let (shown, table, summary) = match &cli.events {
        Some(events) => {
            if let Some(input) = &cli.input {
                return Err(format!(
                    "give either INPUT ({input}) or --events FILE, not both (see --help)"
                )
                .into());
            }
            let (table, summary, skips) = read_events_input(&cli, events)?;
            warnings.extend(skips);
            (events.clone(), table, summary)
        }
        None => {
            let input = cli.input.clone().ok_or_else(|| {
                "missing INPUT: give a path CSV file, - to read stdin, or --events FILE \
                 (see --help)"
                    .to_string()
            })?;
            let shown = if input == "-" { "<stdin>" } else { &input }.to_string();
            let (table, read) = read_input(&input, &cli.csv).map_err(|e| located(&shown, e))?;
            warnings.extend(input_warnings(&cli, &shown, &read, &table)?);
            let summary = Summary::from_read(&input, &read, &table);
            (shown, table, summary)
        }
    };
    let shown = shown.as_str();
    let mut summary = summary;
    let read_secs = started.elapsed().as_secs_f64();

    let started = Instant::now();
    let steps = models.len() * if cli.ci.is_some() { 2 } else { 1 };
    let mut progress = Progress::new(steps as u64, cli.quiet);
    let results = models
        .iter()
        .zip(&names)
        .map(|(m, name)| {
            progress.start(name);
            let r = m.attribute(&table);
            progress.done();
            r
        })
        .collect::<Result<Vec<Attribution>, Error>>()
        .map_err(|e| located(shown, e))?;
    if let Some(path) = &cli.transitions {
        write_transitions(&cli, &table, path).map_err(|e| match e {
            Error::Io(io) => Failure::Message(format!("{path}: {io}")),
            other => located(shown, other),
        })?;
    }
    let mut results = results;
    if let Some(level) = cli.ci {
        let mut boot = Bootstrap {
            level,
            ..Bootstrap::default()
        };
        boot.replicates = cli.replicates.unwrap_or(boot.replicates);
        boot.scheme = cli.scheme.unwrap_or(boot.scheme);
        boot.seed = cli.seed.unwrap_or(boot.seed);
        let mut degenerate = serde_json::Map::new();
        for (model, result) in models.iter().zip(results.iter_mut()) {
            progress.start(&format!(
                "{} bootstrap ({} replicates)",
                result.model, boot.replicates
            ));
            let ci = boot
                .run(model.as_ref(), &table)
                .map_err(|e| located(shown, e))?;
            progress.done();
            ci.annotate(result);
            degenerate.insert(result.model.clone(), ci.degenerate.into());
        }
        summary.bootstrap = Some(serde_json::json!({
            "level": boot.level,
            "replicates": boot.replicates,
            "scheme": boot.scheme,
            "seed": boot.seed,
            "degenerate_replicates": degenerate,
        }));
    } else if cli.replicates.is_some() || cli.scheme.is_some() {
        warnings.push("--replicates and --bootstrap apply with --ci LEVEL".to_string());
    }
    drop(progress);
    let model_secs = started.elapsed().as_secs_f64();
    if let Some(path) = &cli.svg {
        write_svg(path, &results)?;
    }
    if let Some(path) = &cli.heatmap {
        write_heatmap(&cli, &table, path).map_err(|e| located(shown, e))?;
    }

    let mut buf = Vec::new();
    match cli.compat {
        Some(Compat::ChannelAttribution) => {
            write_channelattribution(&mut buf, &results, summary.has_value).map_err(message)?
        }
        // `Compat` is non-exhaustive: a future mode this program does not know.
        Some(other) => return Err(format!("--compat {other:?} is not supported here").into()),
        None => write_report(&mut buf, cli.format, &results, Some(&summary))
            .map_err(|e| Failure::Message(e.to_string()))?,
    }
    emit_to(cli.output.as_deref(), &buf)?;
    // Last, so that a failed run leaves exactly one line (the error) on stderr.
    if !cli.quiet {
        for w in &warnings {
            eprintln!("warning: {w}");
        }
        if let Some(events) = summary.events.as_ref().and_then(|e| e.get("journeys")) {
            eprintln!("journeys from {shown}: {events}");
        }
        eprintln!(
            "read {} rows ({} distinct paths, {} channels) from {shown} in {read_secs:.2} s; \
             {} model{} in {model_secs:.2} s",
            summary.rows_read,
            table.len(),
            table.channels().len(),
            results.len(),
            if results.len() == 1 { "" } else { "s" }
        );
    }
    Ok(())
}

/// Reads an event log and builds its journeys; the summary carries the events report, the
/// strings list the skipped rows.
fn read_events_input(cli: &Cli, file: &str) -> Result<(PathTable, Summary, Vec<String>), Failure> {
    let mut read = EventOptions {
        format: EventFormat::from_path(std::path::Path::new(file)),
        bad_rows: cli.csv.bad_rows,
        ..EventOptions::default()
    };
    if let Some(d) = cli.csv.delimiter {
        read.delimiter = Some(d);
    }
    if let Some(rules) = &cli.channel_rules {
        let f = File::open(rules).map_err(|e| format!("{rules}: {e}"))?;
        let rules = ChannelRules::from_csv(f).map_err(|e| located(rules, e))?;
        read.channel = ChannelInput::source_medium(rules);
    }
    let mut build = JourneyOptions::default();
    if cli.lookback.is_some() {
        build.lookback = cli.lookback;
    }
    let (table, report) = if read.format == Some(EventFormat::Parquet) {
        events_from_parquet(file, &read, &build)?
    } else {
        let input = File::open(file).map_err(|e| format!("{file}: {e}"))?;
        paths_from_events(io::BufReader::new(input), &read, &build).map_err(|e| located(file, e))?
    };
    if table.totals().conversions == 0.0 && report.journeys.unattributed_events > 0 {
        let e = Error::AllConversionsUnattributed {
            conversions: report.journeys.unattributed_conversions,
            events: report.journeys.unattributed_events,
        };
        return Err(located(file, e));
    }
    let mut summary = Summary::from_table(file, &table);
    summary.rows_read = report.read.rows;
    summary.rows_skipped = report.read.skipped;
    summary.events = serde_json::to_value(&report).ok();
    Ok((table, summary, report.read.skip_warnings(file, 5)))
}

/// An event log in Parquet (feature `parquet`): read, then build journeys.
#[cfg(feature = "parquet")]
fn events_from_parquet(
    file: &str,
    read: &EventOptions,
    build: &JourneyOptions,
) -> Result<(PathTable, touchpoint::events::EventsReport), Failure> {
    let (mut log, read) =
        touchpoint::events::read_events_parquet_file(std::path::Path::new(file), read)
            .map_err(|e| located(file, e))?;
    let (table, journeys) = log.build(build).map_err(|e| located(file, e))?;
    Ok((table, touchpoint::events::EventsReport { read, journeys }))
}

#[cfg(not(feature = "parquet"))]
fn events_from_parquet(
    file: &str,
    _: &EventOptions,
    _: &JourneyOptions,
) -> Result<(PathTable, touchpoint::events::EventsReport), Failure> {
    Err(Failure::Message(format!(
        "{file}: Parquet event logs need the `parquet` feature: \
         cargo run --release --features parquet --example attribute -- ..."
    )))
}

/// The Markov configuration the options describe (the order is set by the registry).
fn markov_config(cli: &Cli) -> Markov {
    let mut m = Markov::default();
    if let Some(v) = cli.markov_value {
        m.value_mode = v;
    }
    if let Some(walks) = cli.markov_walks {
        m.solver = Solver::monte_carlo(walks as u64, cli.seed.unwrap_or(0));
    }
    if let Some(order) = cli.order {
        m.order = order;
    }
    m
}

/// Draws the results as an SVG bar chart (feature `plot`).
#[cfg(feature = "plot")]
fn write_svg(path: &str, results: &[Attribution]) -> Result<(), Failure> {
    let svg = touchpoint::plot::grouped_bars_svg(results, touchpoint::plot::Metric::Conversions)
        .map_err(message)?;
    std::fs::write(path, svg).map_err(|e| Failure::Message(format!("{path}: {e}")))
}

#[cfg(not(feature = "plot"))]
fn write_svg(_: &str, _: &[Attribution]) -> Result<(), Failure> {
    Err(Failure::Message(
        "--svg and --heatmap need the `plot` feature: cargo run --release --features plot --example attribute -- ..."
            .to_string(),
    ))
}

/// Draws the Markov transition matrix of `table` as an SVG heatmap (feature `plot`).
#[cfg(feature = "plot")]
fn write_heatmap(cli: &Cli, table: &PathTable, path: &str) -> Result<(), Error> {
    let rows: Vec<(String, String, f64)> = markov_config(cli)
        .fit(table)?
        .transitions()
        .into_iter()
        .map(|t| (t.from, t.to, t.probability))
        .collect();
    let svg = touchpoint::plot::heatmap_svg(&rows)?;
    std::fs::write(path, svg)?;
    Ok(())
}

#[cfg(not(feature = "plot"))]
fn write_heatmap(_: &Cli, _: &PathTable, _: &str) -> Result<(), Error> {
    // Unreachable in practice: `run` refuses --heatmap without the feature before reading.
    Ok(())
}

/// Writes the Markov transition matrix of `table` as CSV.
fn write_transitions(cli: &Cli, table: &PathTable, path: &str) -> Result<(), Error> {
    let fit = markov_config(cli).fit(table)?;
    let mut w = csv::Writer::from_writer(BufWriter::new(File::create(path)?));
    let io = |e: csv::Error| Error::Io(io::Error::other(e.to_string()));
    let header = match cli.compat {
        Some(Compat::ChannelAttribution) => {
            ["channel_from", "channel_to", "transition_probability"]
        }
        _ => ["from", "to", "probability"],
    };
    w.write_record(header).map_err(io)?;
    for t in fit.transitions() {
        w.write_record([t.from.as_str(), t.to.as_str(), &t.probability.to_string()])
            .map_err(io)?;
    }
    w.flush()?;
    Ok(())
}

fn model_options(cli: &Cli) -> ModelOptions {
    let mut opts = ModelOptions::default();
    if let Some(direct) = &cli.direct {
        opts.direct = direct.clone();
    }
    opts.weights = cli.weights;
    opts.seed = cli.seed;
    if let Some(order) = cli.order {
        opts.order = order;
    }
    opts.markov = Some(markov_config(cli));
    match cli.half_life {
        Some(HalfLife::Touches(h)) => opts.positional_half_life = h,
        Some(HalfLife::Time(h)) => opts.half_life = h,
        None => {}
    }
    opts
}

/// Warnings for options that no selected model reads.
fn unused_option_warnings(cli: &Cli, models: &[String]) -> Vec<String> {
    let has = |m: &str| models.iter().any(|n| n == m);
    let mut w = Vec::new();
    if cli.weights.is_some() && !has("position_based") {
        w.push("--weights applies to position_based, which is not selected".to_string());
    }
    if cli.direct.is_some() && !has("last_non_direct") {
        w.push("--direct applies to last_non_direct, which is not selected".to_string());
    }
    let markov_options = cli.order.is_some()
        || cli.markov_value.is_some()
        || cli.markov_walks.is_some()
        || cli.transitions.is_some();
    if markov_options && !has("markov") && cli.transitions.is_none() {
        w.push(
            "--order, --markov-value and --markov-walks apply to markov, which is not selected"
                .to_string(),
        );
    }
    if cli.half_life.is_some() && !has("time_decay") {
        w.push("--half-life applies to time_decay, which is not selected".to_string());
    }
    w
}

/// Warnings about the input; an explicitly named optional column that is missing is an error.
fn input_warnings(
    cli: &Cli,
    file: &str,
    read: &ReadReport,
    table: &PathTable,
) -> Result<Vec<String>, String> {
    let mut w = Vec::new();
    for (explicit, present, column, what) in [
        (
            cli.explicit_value_col,
            read.has_value,
            &cli.csv.value_column,
            "conversion values are 0",
        ),
        (
            cli.explicit_null_col,
            read.has_nulls,
            &cli.csv.null_column,
            "no non-converting journeys (Markov models would see P(conversion) = 1)",
        ),
    ] {
        let column = column.as_deref().unwrap_or_default();
        if present {
            continue;
        }
        if explicit {
            return Err(format!("{file}:1: missing column `{column}` in the header"));
        }
        w.push(format!("{file}: no `{column}` column: {what}"));
    }
    w.extend(read.skip_warnings(file, 5));
    if matches!(cli.half_life, Some(HalfLife::Time(_))) && !table.has_times() {
        w.push(format!(
            "--half-life {}: a duration applies to timestamped rows; {file} has none, so \
             time_decay uses the half-life in touches (give a plain number to set it)",
            cli.half_life_text
        ));
    }
    Ok(w)
}
