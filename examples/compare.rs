//! `compare`: two attribution models side by side per channel, with the difference and the
//! percent change (GA4's model comparison).
//!
//! ```text
//! cargo run --release --example compare -- [OPTIONS] <INPUT.csv>
//! ```
//!
//! Results go to stdout (or `-o FILE`); a summary line goes to stderr. Run with `--help` for the
//! options and worked examples.

use touchpoint::Error;
use touchpoint::formats::{BadRows, PathCsvOptions};
use touchpoint::registry::{ModelOptions, build_model};
use touchpoint::report::{Comparison, Format, write_comparison};

#[path = "common/mod.rs"]
#[allow(dead_code)]
mod common;
use common::{
    Failure, emit, emit_to, located, message, parse_count, parse_delimiter, read_input, set_jobs,
    split_option,
};

const HELP: &str = "\
compare: two attribution models side by side, with delta and % change per channel

USAGE:
    compare [OPTIONS] <INPUT>

INPUT is a ChannelAttribution path CSV (`-` reads stdin), as for `attribute`:
    path,total_conversions,total_conversion_value,total_null

OPTIONS:
    --reference <MODEL>       The model compared against (default: last_touch).
    --comparison <MODEL>      The model compared (default: markov). Model names as in
                              `attribute --models list`.
    --format <FMT>            table (default), csv, md, json or jsonl. csv columns:
                              channel,reference_conversions,comparison_conversions,
                              delta_conversions,pct_change_conversions,reference_value,
                              comparison_value,delta_value,pct_change_value
                              (delta = comparison - reference; pct_change = 100 * delta /
                              reference, in percent, empty when the reference credits 0).
    -o, --output <FILE>       Write results to FILE instead of stdout.
    --sep <STR>               Separator between channels in a path (default: >).
    -d, --delimiter <CHAR>    CSV delimiter: `,`, `;`, `tab` or one ASCII character
                              (default: detected from the header).
    --path-col, --conv-col, --value-col, --null-col <NAME>
                              Column names (defaults: ChannelAttribution's).
    --skip-bad-rows           Skip malformed rows instead of stopping.
    --seed <N>                Seed of the sampled models.
    -j, --jobs <N>            Worker threads (default: one per core); results are identical
                              for any N.
    -q, --quiet               No summary on stderr.
    -h, --help                Print this help.

EXAMPLES:
    # Markov against last touch on the bundled sample:
    compare examples/data/sample_paths.csv

    # Linear against last touch, as Markdown for a report:
    compare data.csv --reference last_touch --comparison linear --format md

    # Shapley against first touch as CSV, from a semicolon-separated stdin:
    cat export.csv | compare - -d ';' --reference first_touch --comparison shapley --format csv
";

/// Parsed command line.
struct Cli {
    input: Option<String>,
    reference: String,
    comparison: String,
    format: Format,
    output: Option<String>,
    csv: PathCsvOptions,
    seed: Option<u64>,
    jobs: Option<usize>,
    quiet: bool,
    help: bool,
}

fn parse_args(args: Vec<String>) -> Result<Cli, String> {
    let mut cli = Cli {
        input: None,
        reference: "last_touch".into(),
        comparison: "markov".into(),
        format: Format::Table,
        output: None,
        csv: PathCsvOptions::default(),
        seed: None,
        jobs: None,
        quiet: false,
        help: false,
    };
    let mut args = args.into_iter();
    let mut only_positional = false;
    while let Some(arg) = args.next() {
        if only_positional || arg == "-" || !arg.starts_with('-') {
            if let Some(first) = &cli.input {
                return Err(format!(
                    "unexpected argument `{arg}`: the input is already `{first}` (one input file)"
                ));
            }
            cli.input = Some(arg);
            continue;
        }
        if arg == "--" {
            only_positional = true;
            continue;
        }
        let (name, mut inline) = split_option(&arg);
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
            "--reference" => cli.reference = value()?.trim().to_string(),
            "--comparison" => cli.comparison = value()?.trim().to_string(),
            "--format" => cli.format = value()?.parse().map_err(message)?,
            "-o" | "--output" => cli.output = Some(value()?),
            "--sep" => cli.csv.separator = value()?,
            "-d" | "--delimiter" => cli.csv.delimiter = Some(parse_delimiter(&value()?)?),
            "--path-col" => cli.csv.path_column = value()?,
            "--conv-col" => cli.csv.conversions_column = value()?,
            "--value-col" => cli.csv.value_column = Some(value()?),
            "--null-col" => cli.csv.null_column = Some(value()?),
            "-j" | "--jobs" => cli.jobs = Some(parse_count("--jobs", &value()?)?),
            "--seed" => {
                let v = value()?;
                cli.seed = Some(
                    v.parse()
                        .map_err(|_| format!("--seed `{v}`: expected a whole number >= 0"))?,
                );
            }
            _ => return Err(format!("unknown option `{name}` (see --help)")),
        }
        if let Some(v) = inline {
            return Err(format!("option {name} takes no value (got `{v}`)"));
        }
    }
    Ok(cli)
}

fn run(args: Vec<String>) -> Result<(), Failure> {
    let cli = parse_args(args)?;
    if cli.help {
        return emit(std::io::stdout().lock(), HELP.as_bytes());
    }
    // Models first: an unknown name fails before any input is read.
    let mut opts = ModelOptions::default();
    opts.seed = cli.seed;
    let reference = build_model(&cli.reference, &opts).map_err(message)?;
    let comparison = build_model(&cli.comparison, &opts).map_err(message)?;
    set_jobs(cli.jobs)?;
    let input = cli.input.clone().ok_or_else(|| {
        "missing INPUT: give a path CSV file or - to read stdin (see --help)".to_string()
    })?;
    let shown = if input == "-" { "<stdin>" } else { &input };
    let (table, read) = read_input(&input, &cli.csv).map_err(|e| located(shown, e))?;
    let attribute = |m: &dyn touchpoint::AttributionModel| {
        m.attribute(&table).map_err(|e: Error| located(shown, e))
    };
    let cmp = Comparison::new(
        &attribute(reference.as_ref())?,
        &attribute(comparison.as_ref())?,
    );
    let mut buf = Vec::new();
    write_comparison(&mut buf, cli.format, &cmp).map_err(|e| Failure::Message(e.to_string()))?;
    emit_to(cli.output.as_deref(), &buf)?;
    if !cli.quiet {
        eprintln!(
            "read {} rows ({} distinct paths, {} channels) from {shown}; {} vs {} (reference)",
            read.rows,
            table.len(),
            table.channels().len(),
            cmp.comparison,
            cmp.reference
        );
    }
    Ok(())
}

fn main() {
    common::main_with(run);
}
