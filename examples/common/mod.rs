//! Helpers shared by the example command-line programs (`attribute`, `compare`, `journeys`):
//! clap errors and library errors as one line on stderr, output to stdout or a file, the path
//! CSV options, option values, and a progress bar. Included with
//! `#[path = "common/mod.rs"] mod common;` (not an example of its own).

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::PathBuf;
use std::process::exit;

use clap::error::ErrorKind;
use clap::{Args, CommandFactory, FromArgMatches};
use touchpoint::Error;
use touchpoint::formats::{BadRows, PathCsvOptions};
use touchpoint::pipeline::{Input, Observer, Step};

/// The layout of `--help`: what the program does, its usage, what it reads (`before_help`),
/// the options by heading, then worked examples (`after_help`).
pub const HELP_TEMPLATE: &str =
    "{about}\n\nUSAGE:\n    {usage}\n\n{before-help}{all-args}\n{after-help}";

/// Why the run stopped.
pub enum Failure {
    /// A one-line message for stderr.
    Message(String),
    /// The reader of our output went away.
    BrokenPipe,
}

impl From<String> for Failure {
    fn from(msg: String) -> Self {
        Failure::Message(msg)
    }
}

impl From<Error> for Failure {
    /// A library error without a file to name (options, models).
    fn from(e: Error) -> Self {
        Failure::Message(e.to_string())
    }
}

/// Parses the arguments (as UTF-8) into `C`, runs `run` on them and exits with status 1 and one
/// line on stderr on failure. `--help` goes to stdout; `extend` may add to the command (a help
/// text computed at run time).
pub fn main_with<C: CommandFactory + FromArgMatches>(
    extend: fn(clap::Command) -> clap::Command,
    run: fn(C) -> Result<(), Failure>,
) {
    let parsed = parse::<C>(extend).and_then(|cli| match cli {
        Some(cli) => run(cli),
        None => Ok(()),
    });
    match parsed {
        Ok(()) => {}
        // Output closed early (`attribute … | head`): not an error.
        Err(Failure::BrokenPipe) => {}
        Err(Failure::Message(msg)) => {
            eprintln!("error: {}", msg.replace(['\n', '\r'], " "));
            exit(1);
        }
    }
}

/// The command line as `C`; `None` when help was printed.
fn parse<C: CommandFactory + FromArgMatches>(
    extend: fn(clap::Command) -> clap::Command,
) -> Result<Option<C>, Failure> {
    let args = std::env::args_os()
        .skip(1)
        .map(|a| {
            a.into_string()
                .map_err(|a| format!("argument {a:?} is not valid UTF-8"))
        })
        .collect::<Result<Vec<String>, String>>()?;
    let command = extend(C::command());
    let name = command.get_name().to_string();
    let matches = command.try_get_matches_from(std::iter::once(name).chain(args));
    match matches.and_then(|m| C::from_arg_matches(&m)) {
        Ok(cli) => Ok(Some(cli)),
        Err(e) if e.kind() == ErrorKind::DisplayHelp => {
            emit(io::stdout().lock(), e.render().to_string().as_bytes())?;
            Ok(None)
        }
        Err(e) => Err(Failure::Message(one_line(&e))),
    }
}

/// A clap error as one line: an option value refused by one of our parsers as
/// `--option `value`: why` (a library error as its own message), else clap's first line with a
/// pointer to `--help`.
fn one_line(e: &clap::Error) -> String {
    if let Some(source) = std::error::Error::source(e) {
        return match source.downcast_ref::<Bad>() {
            Some(bad) => {
                let arg = match e.get(clap::error::ContextKind::InvalidArg) {
                    Some(clap::error::ContextValue::String(a)) => a.clone(),
                    _ => String::new(),
                };
                let value = match e.get(clap::error::ContextKind::InvalidValue) {
                    Some(clap::error::ContextValue::String(v)) => v.clone(),
                    _ => String::new(),
                };
                // `--jobs <N>` → `--jobs`.
                let arg = arg.split(' ').next().unwrap_or_default();
                format!("{arg} `{value}`: {}", bad.0)
            }
            None => source.to_string(),
        };
    }
    let text = e.render().to_string();
    let first = text.lines().next().unwrap_or_default();
    format!("{} (see --help)", first.trim_start_matches("error: "))
}

/// Why one of our value parsers refused an option's value (clap adds the option and value).
#[derive(Debug)]
pub struct Bad(pub String);

impl std::fmt::Display for Bad {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Bad {}

impl From<&str> for Bad {
    fn from(s: &str) -> Self {
        Bad(s.to_string())
    }
}

/// A library error as `FILE:LINE: problem` (or `FILE: problem`, or the error alone).
pub fn located(file: &str, e: Error) -> Failure {
    match e {
        Error::Parse { at, problem } => Failure::Message(format!("{file}:{}: {problem}", at.line)),
        Error::Spend { at, problem } => Failure::Message(format!("{file}:{}: {problem}", at.line)),
        Error::Io(io) if io.kind() == io::ErrorKind::BrokenPipe => Failure::BrokenPipe,
        Error::Io(io) => Failure::Message(format!("{file}: {io}")),
        Error::FeatureDisabled { feature, .. } => Failure::Message(format!(
            "{file}: {e}: cargo run --release --features {feature} --example attribute -- ..."
        )),
        other => Failure::Message(other.to_string()),
    }
}

/// Writes all of `bytes` and flushes.
pub fn emit<W: Write>(mut out: W, bytes: &[u8]) -> Result<(), Failure> {
    out.write_all(bytes)
        .and_then(|()| out.flush())
        .map_err(|e| match e.kind() {
            io::ErrorKind::BrokenPipe => Failure::BrokenPipe,
            _ => Failure::Message(format!("writing output: {e}")),
        })
}

/// Writes `bytes` to the file `output`, or to stdout when `None`.
pub fn emit_to(output: Option<&str>, bytes: &[u8]) -> Result<(), Failure> {
    match output {
        Some(path) => {
            let file = File::create(path).map_err(|e| format!("{path}: {e}"))?;
            emit(BufWriter::new(file), bytes).map_err(|f| match f {
                Failure::BrokenPipe => Failure::Message(format!("{path}: broken pipe")),
                other => other,
            })
        }
        None => emit(io::stdout().lock(), bytes),
    }
}

/// The options of a ChannelAttribution path CSV.
#[derive(Args, Debug)]
pub struct PathCsvArgs {
    /// Separator between channels in a path (default: >). Blanks around it do not matter; ` `
    /// splits on whitespace.
    #[arg(long, value_name = "STR")]
    pub sep: Option<String>,
    /// CSV delimiter: `,`, `;`, `tab` or any one ASCII character (default: detected from the
    /// header).
    #[arg(short, long, value_name = "CHAR", value_parser = delimiter)]
    pub delimiter: Option<u8>,
    /// Path column (default: path).
    #[arg(long, value_name = "NAME")]
    pub path_col: Option<String>,
    /// Conversions column (default: total_conversions).
    #[arg(long, value_name = "NAME")]
    pub conv_col: Option<String>,
    /// Value column (default: total_conversion_value, optional).
    #[arg(long, value_name = "NAME")]
    pub value_col: Option<String>,
    /// Null column (default: total_null, optional).
    #[arg(long, value_name = "NAME")]
    pub null_col: Option<String>,
    /// Longest path accepted (default: 10000).
    #[arg(long, value_name = "N", value_parser = count)]
    pub max_path_len: Option<usize>,
    /// Skip malformed rows (counted on stderr) instead of stopping.
    #[arg(long)]
    pub skip_bad_rows: bool,
}

impl PathCsvArgs {
    /// The reader options these arguments describe.
    pub fn options(&self) -> PathCsvOptions {
        let mut o = PathCsvOptions::default();
        if let Some(s) = &self.sep {
            o.separator = s.clone();
        }
        o.delimiter = self.delimiter.or(o.delimiter);
        if let Some(c) = &self.path_col {
            o.path_column = c.clone();
        }
        if let Some(c) = &self.conv_col {
            o.conversions_column = c.clone();
        }
        if self.value_col.is_some() {
            o.value_column = self.value_col.clone();
        }
        if self.null_col.is_some() {
            o.null_column = self.null_col.clone();
        }
        o.max_path_len = self.max_path_len.unwrap_or(o.max_path_len);
        o.bad_rows = self.bad_rows();
        o
    }

    /// Stop or skip on a bad row.
    pub fn bad_rows(&self) -> BadRows {
        if self.skip_bad_rows {
            BadRows::Skip
        } else {
            BadRows::Error
        }
    }

    /// The path table `input` (`-` for stdin) as a pipeline input, and the name to show in
    /// messages (`<stdin>` for stdin).
    pub fn input(&self, input: &str) -> (Input, String) {
        let options = self.options();
        if input == "-" {
            let reader = Box::new(io::stdin().lock());
            (Input::PathReader { reader, options }, "<stdin>".into())
        } else {
            let path = PathBuf::from(input);
            (Input::PathFile { path, options }, input.into())
        }
    }
}

/// `,`, `;`, `tab` or any one ASCII character.
pub fn delimiter(s: &str) -> Result<u8, Bad> {
    match s {
        "tab" | "\\t" | "\t" => Ok(b'\t'),
        _ if s.len() == 1 && s.is_ascii() => Ok(s.as_bytes()[0]),
        _ => Err("expected one ASCII character such as `,` `;` or `tab`".into()),
    }
}

/// A whole number > 0.
pub fn count(s: &str) -> Result<usize, Bad> {
    match s.trim().parse::<usize>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err("expected a whole number > 0".into()),
    }
}

/// A seed: a whole number ≥ 0.
pub fn seed(s: &str) -> Result<u64, Bad> {
    s.parse().map_err(|_| "expected a whole number >= 0".into())
}

/// Sizes rayon's global pool (`-j/--jobs`); results never depend on it.
pub fn set_jobs(jobs: Option<usize>) -> Result<(), Failure> {
    if let Some(n) = jobs {
        rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build_global()
            .map_err(|e| Failure::Message(format!("--jobs {n}: {e}")))?;
    }
    Ok(())
}

/// A progress bar on stderr for runs of several steps (models, bootstraps). It stays hidden for
/// the first second (short runs never show one), when stderr is not a terminal, and with
/// `--quiet`; it clears itself when done or dropped, so stderr keeps only the summary or the
/// error line.
pub struct Progress {
    bar: indicatif::ProgressBar,
    started: std::time::Instant,
    /// May the bar appear at all (stderr is a terminal and not `--quiet`)?
    allowed: bool,
    shown: bool,
}

impl Progress {
    /// A bar of `steps` steps.
    pub fn new(steps: u64, quiet: bool) -> Progress {
        use std::io::IsTerminal;
        let bar = indicatif::ProgressBar::with_draw_target(
            Some(steps),
            indicatif::ProgressDrawTarget::hidden(),
        );
        if let Ok(style) =
            indicatif::ProgressStyle::with_template("{elapsed:>4} [{bar:30}] {pos}/{len} {msg}")
        {
            bar.set_style(style.progress_chars("=> "));
        }
        Progress {
            bar,
            started: std::time::Instant::now(),
            allowed: !quiet && io::stderr().is_terminal(),
            shown: false,
        }
    }

    /// Shows the bar once the run has taken over a second.
    fn reveal(&mut self) {
        if self.allowed && !self.shown && self.started.elapsed().as_secs_f64() >= 1.0 {
            self.bar
                .set_draw_target(indicatif::ProgressDrawTarget::stderr());
            self.bar
                .enable_steady_tick(std::time::Duration::from_millis(200));
            self.shown = true;
        }
    }
}

impl Observer for Progress {
    fn start(&mut self, step: Step<'_>) {
        self.reveal();
        self.bar.set_message(match step {
            Step::Model(name) => name.to_string(),
            Step::Bootstrap { model, replicates } => {
                format!("{model} bootstrap ({replicates} replicates)")
            }
            Step::Transitions => "markov transitions".to_string(),
            _ => String::new(),
        });
    }

    fn done(&mut self) {
        self.bar.inc(1);
        self.reveal();
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.bar.finish_and_clear();
    }
}
