//! Helpers shared by the example command-line programs (`attribute`, `compare`): errors as one
//! line on stderr, output to stdout or a file, input from a file or stdin, and option values.
//! Included with `#[path = "common/mod.rs"] mod common;` (not an example of its own).

use std::fs::File;
use std::io::{self, BufWriter, Read, Write};
use std::process::exit;

use touchpoint::Error;
use touchpoint::PathTable;
use touchpoint::formats::{PathCsvOptions, ReadReport, read_paths};

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

/// Collects the arguments (as UTF-8), runs `run` on them and exits with status 1 and one line
/// on stderr on failure.
pub fn main_with(run: fn(Vec<String>) -> Result<(), Failure>) {
    let args: Result<Vec<String>, String> = std::env::args_os()
        .skip(1)
        .map(|a| {
            a.into_string()
                .map_err(|a| format!("argument {a:?} is not valid UTF-8"))
        })
        .collect();
    match args.map_err(Failure::Message).and_then(run) {
        Ok(()) => {}
        // Output closed early (`attribute … | head`): not an error.
        Err(Failure::BrokenPipe) => {}
        Err(Failure::Message(msg)) => {
            eprintln!("error: {}", msg.replace(['\n', '\r'], " "));
            exit(1);
        }
    }
}

/// A library error as `FILE:LINE: problem` (or `FILE: problem`, or the error alone).
pub fn located(file: &str, e: Error) -> Failure {
    match e {
        Error::Parse { at, problem } => Failure::Message(format!("{file}:{}: {problem}", at.line)),
        Error::Io(io) if io.kind() == io::ErrorKind::BrokenPipe => Failure::BrokenPipe,
        Error::Io(io) => Failure::Message(format!("{file}: {io}")),
        other => Failure::Message(other.to_string()),
    }
}

/// A library error about a command-line value: the reason alone for the registry's and the
/// report's own parameters (`unknown model …`), the full message for a model's parameters.
pub fn message(e: Error) -> String {
    match e {
        Error::InvalidParameter {
            model: "registry" | "report",
            reason,
            ..
        } => reason,
        other => other.to_string(),
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

/// Reads a path CSV from the file `input`, or from stdin for `-`.
pub fn read_input(input: &str, opts: &PathCsvOptions) -> Result<(PathTable, ReadReport), Error> {
    if input.ends_with(".parquet") {
        return read_parquet_input(input, opts);
    }
    let reader: Box<dyn Read> = if input == "-" {
        Box::new(io::stdin().lock())
    } else {
        Box::new(File::open(input)?)
    };
    read_paths(reader, opts)
}

/// A path table in Parquet (feature `parquet`).
#[cfg(feature = "parquet")]
fn read_parquet_input(
    input: &str,
    opts: &PathCsvOptions,
) -> Result<(PathTable, ReadReport), Error> {
    touchpoint::formats::read_paths_parquet(File::open(input)?, opts)
}

#[cfg(not(feature = "parquet"))]
fn read_parquet_input(_: &str, _: &PathCsvOptions) -> Result<(PathTable, ReadReport), Error> {
    Err(Error::InvalidParameter {
        model: "attribute",
        name: "INPUT",
        reason: "Parquet input needs the `parquet` feature: \
                 cargo run --release --features parquet --example attribute -- ..."
            .into(),
    })
}

/// `,`, `;`, `tab` or any one ASCII character.
pub fn parse_delimiter(s: &str) -> Result<u8, String> {
    match s {
        "tab" | "\\t" | "\t" => Ok(b'\t'),
        _ if s.len() == 1 && s.is_ascii() => Ok(s.as_bytes()[0]),
        _ => Err(format!(
            "--delimiter `{s}`: expected one ASCII character such as `,` `;` or `tab`"
        )),
    }
}

/// A whole number > 0.
pub fn parse_count(option: &str, s: &str) -> Result<usize, String> {
    match s.trim().parse::<usize>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(format!("{option} `{s}`: expected a whole number > 0")),
    }
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

/// Splits `--name=value`, `-ovalue` and plain options: the option name and an inline value.
pub fn split_option(arg: &str) -> (String, Option<String>) {
    if let Some(long) = arg.strip_prefix("--") {
        match long.split_once('=') {
            Some((n, v)) => (format!("--{n}"), Some(v.to_string())),
            None => (arg.to_string(), None),
        }
    } else {
        // A short option, possibly with its value attached (`-o out.csv` or `-oout.csv`).
        let mut chars = arg.chars();
        chars.next();
        let short: String = chars.next().map(|c| format!("-{c}")).unwrap_or_default();
        let rest = chars.as_str();
        (short, (!rest.is_empty()).then(|| rest.to_string()))
    }
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

    /// Starts a step described by `what`.
    pub fn start(&mut self, what: &str) {
        self.reveal();
        self.bar.set_message(what.to_string());
    }

    /// Ends the current step.
    pub fn done(&mut self) {
        self.bar.inc(1);
        self.reveal();
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

impl Drop for Progress {
    fn drop(&mut self) {
        self.bar.finish_and_clear();
    }
}
