//! `compare`: two attribution models side by side per channel, with the difference and the
//! percent change (GA4's model comparison).
//!
//! ```text
//! cargo run --release --example compare -- [OPTIONS] <INPUT.csv>
//! ```
//!
//! Results go to stdout (or `-o FILE`); a summary line goes to stderr. Run with `--help` for the
//! options and worked examples.

use clap::Parser;
use touchpoint::pipeline::{Pipeline, RunConfig, load};
use touchpoint::report::{Comparison, Format, write_comparison};

#[path = "common/mod.rs"]
#[allow(dead_code)]
mod common;
use common::{Failure, PathCsvArgs, count, emit_to, located, seed, set_jobs};

const INPUT: &str = "\
INPUT is a ChannelAttribution path CSV (`-` reads stdin), as for `attribute`:
    path,total_conversions,total_conversion_value,total_null";

const FORMAT: &str = "table (default), csv, md, json or jsonl. csv columns: \
channel,reference_conversions,comparison_conversions,delta_conversions,pct_change_conversions,\
reference_value,comparison_value,delta_value,pct_change_value (delta = comparison - reference; \
pct_change = 100 * delta / reference, in percent, empty when the reference credits 0)";

const EXAMPLES: &str = "\
EXAMPLES:
    # Markov against last touch on the bundled sample:
    compare examples/data/sample_paths.csv

    # Linear against last touch, as Markdown for a report:
    compare data.csv --reference last_touch --comparison linear --format md

    # Shapley against first touch as CSV, from a semicolon-separated stdin:
    cat export.csv | compare - -d ';' --reference first_touch --comparison shapley --format csv
";

/// Parsed command line.
#[derive(Parser, Debug)]
#[command(
    name = "compare",
    about = "compare: two attribution models side by side, with delta and % change per channel",
    before_help = INPUT,
    after_help = EXAMPLES,
    override_usage = "compare [OPTIONS] <INPUT>",
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
    /// The model compared against.
    #[arg(long, value_name = "MODEL", default_value = "last_touch")]
    reference: String,
    /// The model compared. Model names as in `attribute --models list`.
    #[arg(long, value_name = "MODEL", default_value = "markov")]
    comparison: String,
    #[arg(long, value_name = "FMT", help = FORMAT)]
    format: Option<Format>,
    /// Write results to FILE instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    output: Option<String>,
    #[command(flatten)]
    csv: PathCsvArgs,
    /// Seed of the sampled models.
    #[arg(long, value_name = "N", value_parser = seed)]
    seed: Option<u64>,
    /// Worker threads (default: one per core); results are identical for any N.
    #[arg(short, long, value_name = "N", value_parser = count)]
    jobs: Option<usize>,
    /// No summary on stderr.
    #[arg(short, long)]
    quiet: bool,
    /// Print this help.
    #[arg(short, long, action = clap::ArgAction::Help)]
    help: Option<bool>,
}

fn main() {
    common::main_with(|c| c, run);
}

fn run(cli: Cli) -> Result<(), Failure> {
    // Models first: an unknown name fails before any input is read.
    let mut config = RunConfig::new([cli.reference.trim(), cli.comparison.trim()]);
    config.options.seed = cli.seed;
    let pipeline = Pipeline::new(config)?;
    set_jobs(cli.jobs)?;
    let input = cli.input.as_deref().ok_or_else(|| {
        "missing INPUT: give a path CSV file or - to read stdin (see --help)".to_string()
    })?;
    let (input, shown) = cli.csv.input(input);
    let loaded = load(input).map_err(|e| located(&shown, e))?;
    let report = pipeline
        .run(&loaded.table, &mut ())
        .map_err(|e| located(&shown, e))?;
    let [reference, comparison] = &report.results[..] else {
        return Err("expected the results of two models".to_string().into());
    };
    let cmp = Comparison::new(reference, comparison);
    let mut buf = Vec::new();
    write_comparison(&mut buf, cli.format.unwrap_or_default(), &cmp)?;
    emit_to(cli.output.as_deref(), &buf)?;
    if !cli.quiet {
        eprintln!(
            "read {} rows ({} distinct paths, {} channels) from {shown}; {} vs {} (reference)",
            loaded.report.rows(),
            loaded.table.len(),
            loaded.table.channels().len(),
            cmp.comparison,
            cmp.reference
        );
    }
    Ok(())
}
