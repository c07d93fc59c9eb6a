//! `attribute`: credit marketing channels for conversions, from a ChannelAttribution path CSV
//! or an event log.
//!
//! ```text
//! cargo run --release --example attribute -- [OPTIONS] <INPUT.csv>
//! ```
//!
//! Results go to stdout (or `-o FILE`); the summary and warnings go to stderr. On bad input the
//! exit status is 1 and stderr has one line: `error: FILE:LINE: problem`. Run with `--help` for
//! the options and worked examples. The work is the library's [`touchpoint::pipeline`]; this
//! program maps options to it and writes what it reports.

use std::fs::File;
use std::path::PathBuf;
use std::time::Instant;

use chrono::TimeDelta;
use clap::Parser;
use touchpoint::analytics::{self, PathStats, PathStatsOptions};
use touchpoint::bootstrap::{Bootstrap, Scheme};
use touchpoint::events::{ChannelInput, ChannelRules, EventOptions, JourneyOptions, NullJourneys};
use touchpoint::fit::write_per_touch;
use touchpoint::html::{HtmlReport, write_html};
use touchpoint::pipeline::{
    Input, LevelRun, Loaded, Pipeline, RunConfig, RunReport, load, load_with_journeys,
};
use touchpoint::registry::{ModelOptions, TABLE_MODELS, conversion_entries, entries};
use touchpoint::report::{Compat, Format, write_channelattribution, write_report};
use touchpoint::spend::{Spend, SpendOptions};
use touchpoint::{Markov, Solver, ValueMode};

#[path = "../common/mod.rs"]
#[allow(dead_code)]
mod common;
use common::{Failure, PathCsvArgs, Progress, count, emit, emit_to, located, seed, set_jobs};

mod help;
mod levels;
mod outputs;
mod values;
mod warnings;
use help::{ABOUT, COMPAT, EXAMPLES, FORMAT, INPUT};
use levels::LevelArgs;
use outputs::{write_heatmap, write_svg, write_transitions};
use values::{
    HalfLife, half_life, level, lookback, null_rule, positive_limit, scheme, value_mode, weights,
};
use warnings::{input_warnings, unused_option_warnings};

/// Parsed command line.
#[derive(Parser, Debug)]
#[command(
    name = "attribute",
    about = ABOUT,
    before_help = INPUT,
    override_usage = "attribute [OPTIONS] <INPUT>\n    attribute [OPTIONS] --events <FILE>",
    help_template = common::HELP_TEMPLATE,
    next_help_heading = "OPTIONS",
    max_term_width = 100,
    disable_help_flag = true,
    disable_version_flag = true
)]
struct Cli {
    /// The path table (`-` reads stdin); described before the options.
    #[arg(value_name = "INPUT", hide = true)]
    input: Option<String>,
    /// Comma-separated model names (default: all). `--models list` prints every name, one per
    /// line.
    #[arg(
        long,
        value_name = "LIST|all|list",
        default_value = "all",
        hide_default_value = true
    )]
    models: String,
    #[arg(long, value_name = "FMT", help = FORMAT)]
    format: Option<Format>,
    #[arg(long, value_name = "MODE", help = COMPAT)]
    compat: Option<Compat>,
    /// Write results to FILE instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    output: Option<String>,
    #[command(flatten)]
    csv: PathCsvArgs,
    /// Direct channels for last_non_direct (default: Direct,(direct),direct).
    #[arg(long, value_name = "LIST")]
    direct: Option<String>,
    /// First, middle, last weights of position_based, as fractions (0.3,0.4,0.3) or
    /// percentages (30,40,30); default 40,20,40.
    #[arg(long, value_name = "F,M,L", value_parser = weights)]
    weights: Option<(f64, f64, f64)>,
    /// time_decay half-life: a plain number is in touches (rows without timestamps, default 1);
    /// a duration such as 7d, 12h, 30m, 90s is for timestamped rows (default 7d).
    #[arg(long, value_name = "N|DURATION", value_parser = half_life)]
    half_life: Option<HalfLife>,
    /// Seed of every random step (bootstrap, sampled Shapley games, Markov simulation).
    #[arg(long, value_name = "N", value_parser = seed)]
    seed: Option<u64>,
    /// Worker threads (default: one per core). Results are identical for any N.
    #[arg(short, long, value_name = "N", value_parser = count)]
    jobs: Option<usize>,
    /// No summary, warnings or progress bar on stderr. (The bar shows on a terminal only, for
    /// runs over a second: models and bootstraps done.)
    #[arg(short, long)]
    quiet: bool,
    /// Print this help.
    #[arg(short, long, action = clap::ArgAction::Help)]
    help: Option<bool>,

    /// Markov order (default 1); `auto` picks the smallest order whose held-out AUC of
    /// conversion prediction is within 0.001 of the best among orders 1-4.
    #[arg(long, value_name = "K|auto", help_heading = "MARKOV")]
    order: Option<touchpoint::Order>,
    /// value_weighted (default, ChannelAttribution's value removal effects) or proportional
    /// (value split like conversions).
    #[arg(long, value_name = "MODE", value_parser = value_mode, help_heading = "MARKOV")]
    markov_value: Option<ValueMode>,
    /// Estimate removal effects by simulating N walks, as ChannelAttribution does (default:
    /// solved exactly).
    #[arg(long, value_name = "N", value_parser = count, help_heading = "MARKOV")]
    markov_walks: Option<usize>,
    /// Most multiply-adds the exact Markov solve may take by its estimate (default 5e10, about
    /// a minute); a larger chain is refused with the estimate before anything is allocated.
    #[arg(long, value_name = "N", value_parser = positive_limit, help_heading = "MARKOV")]
    markov_max_work: Option<f64>,
    /// Most simulated steps --markov-walks may take by its estimate (default 1e9).
    #[arg(long, value_name = "N", value_parser = positive_limit, help_heading = "MARKOV")]
    markov_max_walk_steps: Option<f64>,
    /// Most pair updates shao_li may do, Σ |S|(|S|−1)/2 over the distinct channel sets
    /// (default 1e10, some minutes); a larger table is refused with the estimate before any
    /// pair is counted.
    #[arg(long, value_name = "N", value_parser = positive_limit)]
    shao_li_max_pairs: Option<f64>,
    /// Write the Markov transition matrix as CSV (from,to,probability; states (start),
    /// (conversion), (null)).
    #[arg(long, value_name = "FILE", help_heading = "MARKOV")]
    transitions: Option<String>,
    /// Draw the Markov transition matrix as an SVG heatmap (needs the `plot` feature).
    #[arg(long, value_name = "FILE", help_heading = "MARKOV")]
    heatmap: Option<String>,

    /// A touchpoint event log instead of INPUT: CSV or JSON Lines (by extension or content) or
    /// Parquet (.parquet, with --features parquet), columns
    /// user_id,timestamp,channel,conversion,value. Journeys are built per user: each conversion closes the touches since
    /// the previous one inside the lookback window; touches after the last conversion form a
    /// null journey. Timestamps are kept, so time_decay uses real time.
    #[arg(long, value_name = "FILE", help_heading = "EVENT LOGS")]
    events: Option<String>,
    /// Lookback window before each conversion (default: 30d).
    #[arg(long, value_name = "DURATION", value_parser = lookback, help_heading = "EVENT LOGS")]
    lookback: Option<TimeDelta>,
    /// Null journeys: after-last-conversion (default: touches after a user's last conversion;
    /// older unclaimed touches are dropped and counted) or windowed (every unclaimed touch is in
    /// a null journey no longer than the lookback: the rule of the incremental builder and of
    /// the `serve` example).
    #[arg(long, value_name = "RULE", value_parser = null_rule, help_heading = "EVENT LOGS")]
    nulls: Option<NullJourneys>,
    /// Map source/medium columns to channels with an ordered rule file (header:
    /// channel,source,medium[,campaign]; `*` matches anything).
    #[arg(long, value_name = "FILE", help_heading = "EVENT LOGS")]
    channel_rules: Option<String>,

    /// Add percentile intervals at LEVEL (e.g. 0.95) and standard errors to every model: table
    /// columns low/high, csv columns *_lo/*_hi/*_se, json `ci` and `se` per channel.
    #[arg(long, value_name = "LEVEL", value_parser = level, help_heading = "CONFIDENCE INTERVALS")]
    ci: Option<f64>,
    /// Bootstrap replicates (default: 1000).
    #[arg(long, value_name = "B", value_parser = count, help_heading = "CONFIDENCE INTERVALS")]
    replicates: Option<usize>,
    /// poisson (default), multinomial or bayesian.
    #[arg(long, value_name = "SCHEME", value_parser = scheme, help_heading = "CONFIDENCE INTERVALS")]
    bootstrap: Option<Scheme>,
    /// Also draw a grouped bar chart (channel x model, conversions) as SVG (needs the `plot`
    /// feature: cargo run --features plot ...).
    #[arg(long, value_name = "FILE", help_heading = "CONFIDENCE INTERVALS")]
    svg: Option<String>,

    /// Also write every converting journey's credit touch by touch as CSV, one row per
    /// (conversion, touch, model): model,user_id,conversion_id,conversion_time,touch_index,
    /// touch_time,channel,credit,value. Summed per model and channel it gives the aggregate
    /// output. Event logs key rows by user and order (order_id column, else generated); path
    /// tables by table row (conversion_id row-N).
    #[arg(long, value_name = "FILE", help_heading = "PER-JOURNEY CREDIT")]
    per_touch: Option<String>,

    /// Write path analytics as JSON to FILE: top conversion paths (by conversions, value and
    /// conversion rate), path length and time lag distributions, and per channel assisted and
    /// last-touch conversions, assist ratio and first/middle/last roles.
    #[arg(long, value_name = "FILE", help_heading = "REPORTS")]
    path_stats: Option<String>,
    /// Top paths listed (default 10); also adds the path analytics to the table and md outputs.
    #[arg(long, value_name = "N", value_parser = count, help_heading = "REPORTS")]
    top: Option<usize>,
    /// Spend per channel, a CSV channel,cost with optional start,end dates (YYYY-MM-DD) that
    /// must match the data's period: adds cost, cpa (cost per attributed conversion) and roas
    /// (attributed value per cost) to every output, with intervals under --ci.
    #[arg(long, value_name = "FILE", help_heading = "REPORTS")]
    spend: Option<String>,
    /// Write one self-contained HTML report to FILE: the model comparison, path analytics, the
    /// Markov transition heatmap, and ROAS with --spend.
    #[arg(long, value_name = "FILE", help_heading = "REPORTS")]
    html: Option<String>,
    #[command(flatten)]
    levels: LevelArgs,
}

fn main() {
    common::main_with(with_models, run);
}

/// The examples and the registry's models (name and what it credits) after the options.
fn with_models(cmd: clap::Command) -> clap::Command {
    let width = TABLE_MODELS.iter().map(|n| n.len()).max().unwrap_or(0);
    let mut text = format!("{EXAMPLES}\n\nMODELS (--models list):\n");
    for e in entries() {
        text.push_str(&format!("    {:width$}  {}\n", e.name, e.description));
    }
    text.push_str("\nCONVERSION MODELS (fitted models of P(conversion); name them, not in all):\n");
    for e in conversion_entries() {
        // Long descriptions go on their own line (the help is wrapped at 100 columns).
        if 6 + width + e.description.len() <= 98 {
            text.push_str(&format!("    {:width$}  {}\n", e.name, e.description));
        } else {
            text.push_str(&format!("    {}\n        {}\n", e.name, e.description));
        }
    }
    cmd.after_help(text)
}

fn run(cli: Cli) -> Result<(), Failure> {
    if cli.models.trim() == "list" {
        let names: String = TABLE_MODELS.iter().map(|n| format!("{n}\n")).collect();
        return emit(std::io::stdout().lock(), names.as_bytes());
    }
    // Models first: an unknown name or bad parameter fails before any input is read.
    let mut config = RunConfig::from_list(&cli.models)?;
    config.options = model_options(&cli);
    config.transitions = cli.transitions.is_some() || cli.heatmap.is_some() || cli.html.is_some();
    config.per_journey = cli.per_touch.is_some();
    config.bootstrap = cli.ci.map(|level| {
        let mut b = Bootstrap::default();
        b.level = level;
        b.replicates = cli.replicates.unwrap_or(b.replicates);
        b.scheme = cli.bootstrap.unwrap_or(b.scheme);
        b.seed = cli.seed.unwrap_or(b.seed);
        b
    });
    let mut warnings = unused_option_warnings(&cli, &config.models);
    let mut level_run = cli.levels.run()?;
    let (mut input, shown, name) = input(&cli)?;
    if let Some(l) = &mut level_run {
        l.prepare_input(&mut input);
    }
    config.levels = level_run.clone();
    let pipeline = Pipeline::new(config)?;
    if (cli.svg.is_some() || cli.heatmap.is_some()) && !cfg!(feature = "plot") {
        return Err(Failure::Message(
            "--svg and --heatmap need the `plot` feature: \
             cargo run --release --features plot --example attribute -- ..."
                .into(),
        ));
    }
    let format = cli.format.unwrap_or_default();
    if cli.compat.is_some() && cli.format.is_some_and(|f| f != Format::Csv) {
        return Err(format!(
            "--compat channelattribution writes CSV; it cannot be combined with --format {format}"
        )
        .into());
    }
    set_jobs(cli.jobs)?;
    let spend = match &cli.spend {
        Some(path) => {
            let f = File::open(path).map_err(|e| format!("{path}: {e}"))?;
            Some((path, Spend::from_csv(f).map_err(|e| located(path, e))?))
        }
        None => None,
    };

    let started = Instant::now();
    let (mut loaded, mut journeys) = if cli.per_touch.is_some() {
        let (l, j) = load_with_journeys(input).map_err(|e| located(&shown, e))?;
        (l, Some(j))
    } else {
        (load(input).map_err(|e| located(&shown, e))?, None)
    };
    if let Some(l) = &level_run {
        l.project(&mut loaded).map_err(|e| located(&shown, e))?;
        if loaded.report.paths().is_some() && journeys.is_some() {
            // Path rows are the journeys: keyed by the rows of the table at the run's level.
            journeys = Some(touchpoint::fit::journeys_of_table(&loaded.table));
        }
        warnings.extend(rollup_warning(l, &pipeline));
    }
    warnings.extend(input_warnings(&cli, &shown, &loaded)?);
    let read_secs = started.elapsed().as_secs_f64();

    let started = Instant::now();
    let mut progress = Progress::new(pipeline.steps() as u64, cli.quiet);
    let mut report = pipeline
        .run(&loaded.table, &mut progress)
        .map_err(|e| located(&shown, e))?;
    drop(progress);
    let model_secs = started.elapsed().as_secs_f64();
    if let Some((path, spend)) = &spend {
        let checked = spend.check(&loaded.table, &SpendOptions::default());
        warnings.extend(
            checked
                .map_err(|e| located(path, e))?
                .iter()
                .map(|w| w.to_string()),
        );
        for a in &mut report.results {
            spend.annotate(a);
        }
    }
    let stats = (cli.path_stats.is_some() || cli.top.is_some() || cli.html.is_some()).then(|| {
        PathStats::new(
            &loaded.table,
            &PathStatsOptions::with_top(cli.top.unwrap_or(10)),
        )
    });
    if cli.ci.is_none() && (cli.replicates.is_some() || cli.bootstrap.is_some()) {
        warnings.push("--replicates and --bootstrap apply with --ci LEVEL".to_string());
    }
    let transitions = report.markov.as_ref().map(|m| m.transitions.as_slice());
    if let (Some(path), Some(rows)) = (&cli.transitions, transitions) {
        write_transitions(cli.compat.is_some(), rows, path)?;
    }
    if let Some(path) = &cli.svg {
        write_svg(path, &report.results)?;
    }
    if let (Some(path), Some(rows)) = (&cli.heatmap, transitions) {
        write_heatmap(path, rows)?;
    }
    if let (Some(path), Some(journeys)) = (&cli.per_touch, &journeys) {
        // Streamed to the file: it has a row per touch and model.
        let file = std::fs::File::create(path).map_err(|e| format!("{path}: {e}"))?;
        let mut out = std::io::BufWriter::new(file);
        write_per_touch(&report.fitted, journeys, &mut out)?;
        for f in report.fitted.iter().filter(|f| !f.residual().is_empty()) {
            let parts: Vec<String> = f
                .residual()
                .iter()
                .map(|r| format!("{} {:.6}", r.channel, r.conversions))
                .collect();
            warnings.push(format!(
                "--per-touch: {}: credit no journey can carry, written as `{}` rows: {}",
                f.name(),
                touchpoint::fit::RESIDUAL,
                parts.join(", ")
            ));
        }
        std::io::Write::flush(&mut out).map_err(|e| format!("{path}: {e}"))?;
    }

    let summary = report.summary(&name, &loaded);
    let mut buf = Vec::new();
    match cli.compat {
        Some(Compat::ChannelAttribution) => {
            write_channelattribution(&mut buf, &report.results, summary.has_value)?
        }
        // `Compat` is non-exhaustive: a future mode this program does not know.
        Some(other) => return Err(format!("--compat {other:?} is not supported here").into()),
        None => write_report(&mut buf, format, &report.results, Some(&summary))?,
    }
    if let (Some(stats), Some(_), None) = (&stats, cli.top, cli.compat) {
        match format {
            Format::Table => analytics::write_table(section(&mut buf), stats)?,
            Format::Md => analytics::write_markdown(section(&mut buf), stats)?,
            _ => {}
        }
    }
    if let (Some(path), Some(stats)) = (&cli.path_stats, &stats) {
        let json = serde_json::to_vec_pretty(stats).map_err(|e| format!("{path}: {e}"))?;
        std::fs::write(path, [json, b"\n".to_vec()].concat())
            .map_err(|e| format!("{path}: {e}"))?;
    }
    if let Some(path) = &cli.html {
        let mut page = HtmlReport::new("Attribution report", &report.results);
        page.subtitle = Some(format!(
            "{shown}: {} rows, {} distinct paths, {} channels, {} models{}",
            loaded.report.rows(),
            loaded.table.len(),
            loaded.table.channels().len(),
            report.results.len(),
            report.bootstrap.as_ref().map_or(String::new(), |b| format!(
                "; {}% bootstrap intervals from {} replicates",
                100.0 * b.level,
                b.replicates
            ))
        ));
        page.path_stats = stats.as_ref();
        page.transitions = transitions;
        page.spend = spend.as_ref().map(|(_, s)| s);
        page.notes = warnings.clone();
        let mut html = Vec::new();
        write_html(&mut html, &page)?;
        std::fs::write(path, html).map_err(|e| format!("{path}: {e}"))?;
    }
    emit_to(cli.output.as_deref(), &buf)?;
    // Last, so that a failed run leaves exactly one line (the error) on stderr.
    if !cli.quiet {
        for w in &warnings {
            eprintln!("warning: {w}");
        }
        if let Some(events) = &summary.events {
            let journeys = serde_json::to_string(&events.journeys).map_err(|e| e.to_string())?;
            eprintln!("journeys from {shown}: {journeys}");
        }
        print_summary(&shown, &loaded, &report, read_secs, model_secs);
    }
    Ok(())
}

/// A warning that a roll-up of models that are not additive over levels differs from a run at
/// the coarser level (unless both are reported).
fn rollup_warning(l: &LevelRun, pipeline: &Pipeline) -> Option<String> {
    let to = l.rollup?;
    if l.compare_direct {
        return None;
    }
    let not_additive: Vec<&str> = pipeline
        .additivity()
        .filter(|&(_, additive)| !additive)
        .map(|(name, _)| name)
        .collect();
    (!not_additive.is_empty()).then(|| {
        format!(
            "--rollup {}: {} {} not additive over levels: the rolled-up credit differs from a \
             run at that level (--rollup-compare reports both)",
            l.levels.name(to),
            not_additive.join(", "),
            if not_additive.len() == 1 { "is" } else { "are" }
        )
    })
}

/// `buf` after a blank line: where a section follows the main output.
fn section(buf: &mut Vec<u8>) -> &mut Vec<u8> {
    buf.push(b'\n');
    buf
}

fn print_summary(shown: &str, loaded: &Loaded, report: &RunReport, read: f64, models: f64) {
    let n = report.results.len();
    eprintln!(
        "read {} rows ({} distinct paths, {} channels) from {shown} in {read:.2} s; \
         {n} model{} in {models:.2} s",
        loaded.report.rows(),
        loaded.table.len(),
        loaded.table.channels().len(),
        if n == 1 { "" } else { "s" }
    );
}

/// The pipeline input, the name shown in messages and the name in the JSON summary.
fn input(cli: &Cli) -> Result<(Input, String, String), Failure> {
    let Some(events) = &cli.events else {
        let input = cli.input.clone().ok_or_else(|| {
            "missing INPUT: give a path CSV file, - to read stdin, or --events FILE \
             (see --help)"
                .to_string()
        })?;
        let (i, shown) = cli.csv.input(&input);
        return Ok((i, shown, input));
    };
    if let Some(input) = &cli.input {
        return Err(
            format!("give either INPUT ({input}) or --events FILE, not both (see --help)").into(),
        );
    }
    let mut read = EventOptions {
        bad_rows: cli.csv.bad_rows(),
        ..EventOptions::default()
    };
    read.delimiter = cli.csv.delimiter.or(read.delimiter);
    if let Some(rules) = &cli.channel_rules {
        let f = File::open(rules).map_err(|e| format!("{rules}: {e}"))?;
        let rules = ChannelRules::from_csv(f).map_err(|e| located(rules, e))?;
        read.channel = ChannelInput::source_medium(rules);
    }
    let mut journeys = JourneyOptions::default();
    journeys.lookback = cli.lookback.or(journeys.lookback);
    journeys.nulls = cli.nulls.unwrap_or(journeys.nulls);
    let path = PathBuf::from(events);
    let i = Input::EventFile {
        path,
        read,
        journeys,
    };
    Ok((i, events.clone(), events.clone()))
}

fn model_options(cli: &Cli) -> ModelOptions {
    let mut opts = ModelOptions::default();
    if let Some(direct) = &cli.direct {
        opts.direct = direct
            .split(',')
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map(String::from)
            .collect();
    }
    opts.weights = cli.weights;
    opts.seed = cli.seed;
    let mut m = Markov::default();
    m.order = cli.order.unwrap_or(m.order);
    m.value_mode = cli.markov_value.unwrap_or(m.value_mode);
    if let Some(walks) = cli.markov_walks {
        m.solver = Solver::monte_carlo(walks as u64, cli.seed.unwrap_or(0));
    }
    m.max_work = cli.markov_max_work.unwrap_or(m.max_work);
    m.max_walk_steps = cli.markov_max_walk_steps.unwrap_or(m.max_walk_steps);
    opts.markov = m;
    if let Some(pairs) = cli.shao_li_max_pairs {
        opts.shao_li.max_pair_updates = pairs;
    }
    match &cli.half_life {
        Some(HalfLife::Touches(h)) => opts.positional_half_life = *h,
        Some(HalfLife::Time(h, _)) => opts.half_life = *h,
        None => {}
    }
    opts
}
