//! End-to-end tests of the example programs (`attribute`, `generate`), run as real processes on
//! the files in examples/data, asserting on their real output.

use crate::common;

use std::io::Write;

use std::path::{Path, PathBuf};

use std::process::{Command, Output, Stdio};

use std::sync::OnceLock;

use serde_json::Value;

use touchpoint::formats::{PathCsvOptions, read_paths};

use touchpoint::registry::{ModelOptions, TABLE_MODELS, build_model};

use touchpoint::{Attribution, PathTable};

const SAMPLE: &str = "examples/data/sample_paths.csv";

const T2: &str = "examples/data/t2.csv";

const SAMPLE_CHANNELS: [&str; 8] = [
    "Affiliate",
    "Direct",
    "Display",
    "Email",
    "Organic Search",
    "Paid Search",
    "Referral",
    "Social",
];

/// The directory of the example binaries of this build (`target/<profile>/examples`), after
/// making sure they are up to date: `cargo test` builds them, `cargo test --test suite cli::` alone
/// does not, so build them once (a no-op when fresh).
fn examples_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        // This test runs as target/<profile>/deps/cli-<hash>.
        let exe = std::env::current_exe().expect("test executable path");
        let profile_dir = exe
            .parent()
            .and_then(Path::parent)
            .expect("target/<profile>/deps/");
        let target_dir = profile_dir.parent().expect("target/");
        let mut cargo = Command::new(env!("CARGO"));
        cargo
            .args(["build", "--quiet", "--examples", "--manifest-path"])
            .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml"))
            .arg("--target-dir")
            .arg(target_dir);
        if profile_dir.file_name().is_some_and(|n| n == "release") {
            cargo.arg("--release");
        }
        // The examples' own optional parts (`--svg`, `--heatmap`): build them as this test was.
        if cfg!(feature = "plot") {
            cargo.args(["--features", "plot"]);
        }
        let status = cargo.status().expect("run cargo build --examples");
        assert!(status.success(), "cargo build --examples failed");
        profile_dir.join("examples")
    })
}

fn example(name: &str) -> Command {
    let path = examples_dir().join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    assert!(path.exists(), "{} is missing", path.display());
    let mut cmd = Command::new(path);
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"));
    cmd
}

/// Runs `attribute` with `args` (and `stdin` piped in, if any).
fn attribute(args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut cmd = example("attribute");
    cmd.args(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("spawn attribute");
    if let Some(bytes) = stdin {
        child
            .stdin
            .take()
            .expect("piped stdin")
            .write_all(bytes)
            .expect("write stdin");
    }
    child.wait_with_output().expect("wait for attribute")
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).expect("UTF-8 stdout")
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).expect("UTF-8 stderr")
}

/// Asserts success and returns stdout.
fn ok(o: &Output) -> String {
    assert!(o.status.success(), "failed: {}", stderr(o));
    stdout(o)
}

/// Asserts failure with exactly one line on stderr and nothing on stdout; returns the line.
fn fails(o: &Output) -> String {
    assert!(!o.status.success(), "unexpected success: {}", stdout(o));
    assert_eq!(o.status.code(), Some(1));
    assert!(o.stdout.is_empty(), "stdout: {}", stdout(o));
    let err = stderr(o);
    assert_eq!(err.lines().count(), 1, "stderr: {err}");
    assert!(err.starts_with("error: "), "{err}");
    err.trim_end().to_string()
}

fn json(o: &Output) -> Value {
    serde_json::from_str(&ok(o)).expect("valid JSON")
}

/// A temporary file with `contents`, removed on drop.
struct TempFile(PathBuf);

impl TempFile {
    fn new(name: &str, contents: &[u8]) -> TempFile {
        let path =
            std::env::temp_dir().join(format!("touchpoint-cli-{}-{name}", std::process::id()));
        std::fs::write(&path, contents).expect("write temp file");
        TempFile(path)
    }

    fn path(&self) -> &str {
        self.0.to_str().expect("UTF-8 temp path")
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn t2() -> PathTable {
    let file = std::fs::File::open(Path::new(env!("CARGO_MANIFEST_DIR")).join(T2)).unwrap();
    read_paths(file, &PathCsvOptions::default()).unwrap().0
}

/// Equal within the shared test tolerance.
fn close(a: f64, b: f64) -> bool {
    common::close_to(a, b, common::TOL)
}

/// Runs `compare` with `args`.
fn compare(args: &[&str]) -> Output {
    example("compare")
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run compare")
}

mod compare;
mod errors;
mod events;
mod generate;
mod levels;
mod markov;
mod outputs;
