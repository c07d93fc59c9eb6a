//! End-to-end tests of the example programs (`attribute`, `generate`), run as real processes on
//! the files in examples/data, asserting on their real output.

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
/// making sure they are up to date: `cargo test` builds them, `cargo test --test cli` alone
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

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

// ---------------------------------------------------------------------------------------------

#[test]
fn table_shows_every_channel_and_model() {
    let o = attribute(&[SAMPLE], None);
    let out = ok(&o);
    for ch in SAMPLE_CHANNELS {
        assert!(
            out.lines().filter(|l| l.starts_with(ch)).count() >= 1,
            "{ch} missing:\n{out}"
        );
    }
    for m in TABLE_MODELS {
        assert!(
            out.split_whitespace().any(|w| w == *m),
            "{m} missing:\n{out}"
        );
    }
    // Every panel has a total row at 100% for efficient models; the summary is on stderr.
    assert!(out.contains("total"));
    let err = stderr(&o);
    assert!(
        err.contains("read 300 rows (300 distinct paths, 8 channels)"),
        "{err}"
    );
}

#[test]
fn csv_is_long_with_stable_columns() {
    let out = ok(&attribute(
        &[SAMPLE, "--format", "csv", "--models", "linear,first_touch"],
        None,
    ));
    let mut lines = out.lines();
    assert_eq!(
        lines.next(),
        Some("model,channel,conversions,value,share,value_share")
    );
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    assert_eq!(rows.len(), 2 * SAMPLE_CHANNELS.len());
    assert!(rows[..8].iter().all(|r| r[0] == "linear"));
    assert!(rows[8..].iter().all(|r| r[0] == "first_touch"));
    let names: Vec<&str> = rows[..8].iter().map(|r| r[1]).collect();
    assert_eq!(names, SAMPLE_CHANNELS);
    // Shares of an efficient model sum to 1.
    let share: f64 = rows[..8].iter().map(|r| r[4].parse::<f64>().unwrap()).sum();
    assert!(close(share, 1.0), "{share}");
}

#[test]
fn json_has_the_stable_keys() {
    let v = json(&attribute(&[SAMPLE, "--format", "json"], None));
    for key in [
        "total_conversions",
        "total_value",
        "total_null",
        "channels",
        "models",
        "summary",
    ] {
        assert!(v.get(key).is_some(), "missing {key}");
    }
    assert_eq!(v["channels"], serde_json::json!(SAMPLE_CHANNELS));
    let models: Vec<&str> = v["models"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["model"].as_str().unwrap())
        .collect();
    assert_eq!(models, TABLE_MODELS);
    for m in v["models"].as_array().unwrap() {
        for key in ["total_conversions", "total_value", "total_null"] {
            assert_eq!(m[key], v[key]);
        }
        let channels = m["channels"].as_array().unwrap();
        assert_eq!(channels.len(), 8);
        for c in channels {
            for key in ["channel", "conversions", "value", "share", "value_share"] {
                assert!(c.get(key).is_some(), "missing {key} in {c}");
            }
        }
    }
    let s = &v["summary"];
    assert_eq!(s["input"], SAMPLE);
    assert_eq!(s["rows_read"], 300);
    assert_eq!(s["rows_skipped"], 0);
    assert_eq!(s["paths"], 300);
    assert_eq!(s["channels"], 8);
}

#[test]
fn credits_equal_the_library_on_t2() {
    let table = t2();
    let v = json(&attribute(&[T2, "--format", "json"], None));
    assert_eq!(v["total_conversions"], 7.0);
    assert_eq!(v["total_value"], 70.0);
    assert_eq!(v["total_null"], 8.0);
    for (i, name) in TABLE_MODELS.iter().enumerate() {
        let lib: Attribution = build_model(name, &ModelOptions::default())
            .unwrap()
            .attribute(&table)
            .unwrap();
        let cli = &v["models"][i];
        assert_eq!(cli["model"], *name);
        for (c, want) in cli["channels"]
            .as_array()
            .unwrap()
            .iter()
            .zip(&lib.channels)
        {
            assert_eq!(c["channel"], want.channel.as_str());
            for (key, x) in [
                ("conversions", want.conversions),
                ("value", want.value),
                ("share", want.share),
                ("value_share", want.value_share),
            ] {
                let got = c[key].as_f64().unwrap();
                assert!(close(got, x), "{name} {} {key}: {got} vs {x}", want.channel);
            }
        }
    }
}

/// Conversions credited to A, B, C on T2 by `model`, read from the CLI's CSV.
fn t2_conversions(extra: &[&str], model: &str) -> [f64; 3] {
    let mut args = vec![T2, "--format", "csv", "--models", model];
    args.extend_from_slice(extra);
    let out = ok(&attribute(&args, None));
    let v: Vec<f64> = out
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(2).unwrap().parse().unwrap())
        .collect();
    [v[0], v[1], v[2]]
}

#[test]
fn t2_oracles_through_the_cli() {
    // The model reference, §Rule-based results on T2 (conversions credited to A, B, C).
    let cases: [(&str, &[&str], [f64; 3]); 6] = [
        ("first_touch", &[], [3.0, 2.0, 2.0]),
        ("linear", &[], [25.0 / 12.0, 5.0 / 2.0, 29.0 / 12.0]),
        (
            "position_based",
            &[],
            [23.0 / 10.0, 23.0 / 10.0, 12.0 / 5.0],
        ),
        // --weights 20,20,60 makes position_based the J-curve.
        (
            "position_based",
            &["--weights", "20,20,60"],
            [43.0 / 20.0, 23.0 / 10.0, 51.0 / 20.0],
        ),
        ("time_decay", &[], [67.0 / 35.0, 52.0 / 21.0, 274.0 / 105.0]),
        ("participation_normalized", &[], [7.0 / 3.0; 3]),
    ];
    for (model, extra, want) in cases {
        let got = t2_conversions(extra, model);
        for i in 0..3 {
            assert!(
                close(got[i], want[i]),
                "{model} {extra:?}: {got:?} vs {want:?}"
            );
        }
    }
}

#[test]
fn options_reach_the_models() {
    // --direct C: last non-direct on T2 credits A 2, B 4, C 1 (see the registry tests).
    assert_eq!(
        t2_conversions(&["--direct", "C"], "last_non_direct"),
        [2.0, 4.0, 1.0]
    );
    // A longer positional half-life (2 touches instead of 1) moves time decay towards linear.
    let h1 = t2_conversions(&[], "time_decay");
    let h2 = t2_conversions(&["--half-life", "2"], "time_decay");
    let lin = t2_conversions(&[], "linear");
    assert!(
        (h2[0] - lin[0]).abs() < (h1[0] - lin[0]).abs(),
        "{h1:?} {h2:?}"
    );
}

#[test]
fn models_list_prints_every_name() {
    let out = ok(&attribute(&["--models", "list"], None));
    assert_eq!(out.lines().collect::<Vec<_>>(), TABLE_MODELS);
}

#[test]
fn help_has_worked_examples() {
    for flag in ["-h", "--help"] {
        let out = ok(&attribute(&[flag], None));
        assert!(out.contains("USAGE") && out.contains("EXAMPLES"), "{out}");
        assert!(out.contains("--half-life"));
        // Every option of the newer outputs is described and used in a worked example.
        for used in [
            "--format wide",
            "--format md",
            "--compat channelattribution --transitions",
            "-j 2 --heatmap",
            "jsonl",
        ] {
            assert!(out.contains(used), "{used} not in --help");
        }
        for m in TABLE_MODELS {
            assert!(out.split_whitespace().any(|w| w == *m), "{m} not in --help");
        }
    }
}

#[test]
fn bad_row_names_file_and_line() {
    let f = TempFile::new(
        "bad.csv",
        b"path,total_conversions,total_conversion_value,total_null\nA > B,1,10,0\n\nC,-2,0,0\n",
    );
    let err = fails(&attribute(&[f.path()], None));
    assert_eq!(
        err,
        format!(
            "error: {}:4: total_conversions = -2: must be finite and >= 0",
            f.path()
        )
    );
}

#[test]
fn bad_header_and_broken_files() {
    let f = TempFile::new("nodelim.csv", b"path|total_conversions\nA|1\n");
    let err = fails(&attribute(&[f.path()], None));
    assert!(
        err.starts_with(&format!(
            "error: {}:1: cannot detect the CSV delimiter",
            f.path()
        )),
        "{err}"
    );
    let f = TempFile::new("empty.csv", b"");
    let err = fails(&attribute(&[f.path()], None));
    assert_eq!(
        err,
        format!("error: {}:1: the input is empty (no header line)", f.path())
    );
    let err = fails(&attribute(&["no/such/file.csv"], None));
    assert!(err.starts_with("error: no/such/file.csv: "), "{err}");
    // An output that cannot be written: still one line.
    let dir = std::env::temp_dir();
    let err = fails(&attribute(&[T2, "-o", dir.to_str().unwrap()], None));
    assert!(
        err.starts_with(&format!("error: {}: ", dir.display())),
        "{err}"
    );
    // A quoted field with a newline does not break the one-line rule.
    let f = TempFile::new("quoted.csv", b"path,total_conversions\n\"A\nB\",x\n");
    let err = fails(&attribute(&[f.path()], None));
    assert_eq!(
        err,
        format!(
            "error: {}:2: total_conversions: `x` is not a number",
            f.path()
        )
    );
}

#[test]
fn unknown_model_and_bad_options_fail_before_reading() {
    let err = fails(&attribute(&[SAMPLE, "--models", "linear,nope"], None));
    assert!(
        err.starts_with("error: unknown model `nope` (valid: first_touch,"),
        "{err}"
    );
    for args in [
        &[SAMPLE, "--format", "xml"][..],
        &[SAMPLE, "--weights", "1,2"],
        &[SAMPLE, "--weights", "50,50,50"],
        &[SAMPLE, "--half-life", "0"],
        &[SAMPLE, "--half-life", "7y"],
        &[SAMPLE, "--delimiter", "ab"],
        &[SAMPLE, "--no-such-option"],
        &[SAMPLE, "--models"],
        &[SAMPLE, "--quiet=yes"],
        &[SAMPLE, SAMPLE],
        &[],
    ] {
        fails(&attribute(args, None));
    }
}

#[test]
fn stdin_input_gives_the_same_results() {
    let bytes = std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join(T2)).unwrap();
    let from_file = json(&attribute(&[T2, "--format", "json"], None));
    let from_stdin = json(&attribute(&["-", "--format", "json"], Some(&bytes)));
    assert_eq!(from_file["models"], from_stdin["models"]);
    assert_eq!(from_stdin["summary"]["input"], "-");
    // Errors on stdin say so.
    let err = fails(&attribute(&["-"], Some(b"path,total_conversions\nA,x\n")));
    assert_eq!(
        err,
        "error: <stdin>:2: total_conversions: `x` is not a number"
    );
}

#[test]
fn output_file_semicolons_and_custom_columns() {
    let input = "journey;orders;revenue;lost\nA > B;2;20;1\nB;1;5;0\n";
    let out = TempFile::new("out.csv", b"");
    let o = attribute(
        &[
            "-",
            "-d",
            ";",
            "--path-col",
            "journey",
            "--conv-col",
            "orders",
            "--value-col",
            "revenue",
            "--null-col",
            "lost",
            "--models",
            "last_touch",
            "--format",
            "csv",
            "-o",
            out.path(),
        ],
        Some(input.as_bytes()),
    );
    assert_eq!(ok(&o), "");
    assert_eq!(
        std::fs::read_to_string(out.path()).unwrap(),
        "model,channel,conversions,value,share,value_share\n\
         last_touch,A,0,0,0,0\n\
         last_touch,B,3,25,1,1\n"
    );
    // An explicitly named optional column that is missing is an error.
    let err = fails(&attribute(
        &["-", "--value-col", "revenue"],
        Some(b"path,total_conversions\nA,1\n"),
    ));
    assert_eq!(
        err,
        "error: <stdin>:1: missing column `revenue` in the header"
    );
}

#[test]
fn warnings_and_skips_go_to_stderr() {
    let input = b"path,total_conversions\nA > B,1\nA >> B,1\nB,x\nB,2\n";
    let o = attribute(
        &["-", "--skip-bad-rows", "--models", "first_touch"],
        Some(input),
    );
    assert!(ok(&o).contains("first_touch"));
    let err = stderr(&o);
    assert!(err.contains("no `total_null` column"), "{err}");
    assert!(err.contains("no `total_conversion_value` column"), "{err}");
    assert!(err.contains("<stdin>: skipped 2 bad rows"), "{err}");
    assert!(
        err.contains("<stdin>:3: empty channel name at position 2 of the path"),
        "{err}"
    );
    assert!(
        err.contains("<stdin>:4: total_conversions: `x` is not a number"),
        "{err}"
    );
    // --quiet silences everything on stderr.
    let o = attribute(
        &["-", "--skip-bad-rows", "--quiet", "--models", "first_touch"],
        Some(input),
    );
    ok(&o);
    assert_eq!(stderr(&o), "");
    // Options that no selected model reads are flagged.
    let o = attribute(&[T2, "--models", "linear", "--weights", "30,40,30"], None);
    ok(&o);
    assert!(stderr(&o).contains("--weights applies to position_based"));
    let o = attribute(&[T2, "--models", "time_decay", "--half-life", "7d"], None);
    ok(&o);
    assert!(stderr(&o).contains("has none"), "{}", stderr(&o));
}

#[test]
fn no_conversions_is_an_error() {
    let err = fails(&attribute(
        &["-"],
        Some(b"path,total_conversions,total_null\nA,0,3\n"),
    ));
    assert!(err.contains("no conversions"), "{err}");
}

#[test]
fn generate_is_seeded_and_readable() {
    let run = |seed: &str| {
        let o = example("generate")
            .args([
                "--rows",
                "500",
                "--channels",
                "20",
                "--seed",
                seed,
                "--quiet",
            ])
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        assert!(o.stderr.is_empty());
        o.stdout
    };
    let a = run("3");
    assert_eq!(a, run("3"));
    assert_ne!(a, run("4"));
    let (t, report) = read_paths(&a[..], &PathCsvOptions::default()).unwrap();
    assert_eq!(t.len(), 500);
    assert_eq!(report.rows, 500);
    assert!(report.has_value && report.has_nulls);
    // The output runs through attribute.
    let o = attribute(&["-", "--format", "json", "--quiet"], Some(&a));
    assert_eq!(
        json(&o)["summary"]["channels"].as_u64(),
        Some(t.channels().len() as u64)
    );
    // Bad options fail with one line.
    let o = example("generate")
        .args(["--rows", "ten"])
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert_eq!(String::from_utf8_lossy(&o.stderr).lines().count(), 1);
}

#[cfg(unix)]
#[test]
fn non_utf8_arguments_are_errors_not_panics() {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;
    for name in ["attribute", "generate"] {
        let o = example(name)
            .arg(OsStr::from_bytes(b"--seed\xFF"))
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(1), "{name}");
        assert_eq!(
            String::from_utf8_lossy(&o.stderr),
            "error: argument \"--seed\\xFF\" is not valid UTF-8\n"
        );
    }
}

#[test]
fn confidence_intervals_reach_every_output() {
    let args = [
        "--models",
        "linear,first_touch",
        "--ci",
        "0.9",
        "--replicates",
        "60",
    ];
    let mut with = args.to_vec();
    with.extend([T2, "--format", "json", "--seed", "4"]);
    let out = json(&attribute(&with, None));
    for m in out["models"].as_array().expect("models") {
        for c in m["channels"].as_array().expect("channels") {
            let ci = &c["ci"]["conversions"];
            let (lo, hi) = (ci[0].as_f64().unwrap(), ci[1].as_f64().unwrap());
            assert!(lo <= hi, "{c}");
            assert!(c["se"]["share"].as_f64().unwrap() >= 0.0);
        }
    }
    assert_eq!(out["summary"]["bootstrap"]["replicates"], 60);
    // Same seed, same bytes.
    let again = json(&attribute(&with, None));
    assert_eq!(out, again);
    // Long CSV gains interval columns; the table gains low/high.
    let mut csv = args.to_vec();
    csv.extend([T2, "--format", "csv"]);
    let text = ok(&attribute(&csv, None));
    assert!(
        text.lines()
            .next()
            .unwrap()
            .ends_with("conversions_se,value_se,share_se")
    );
    let mut table = args.to_vec();
    table.push(T2);
    assert!(ok(&attribute(&table, None)).contains("low"));
    // A bad level is an error before reading.
    let err = fails(&attribute(&[T2, "--ci", "2"], None));
    assert!(err.contains("--ci"), "{err}");
}

#[test]
fn event_logs_build_journeys_with_real_time() {
    // u1: Display at day 0, Search at day 7, converts at day 8 (value 50). With a 7-day
    // half-life the weights are 2^(-8/7) : 2^(-1/7) = 1 : 2, so Display gets 1/3.
    // u2 never converts (a null journey); u3: Search, converts 12 h later (value 20).
    let events = TempFile::new(
        "events.csv",
        b"user_id,timestamp,channel,conversion,value\n\
          u1,2026-01-01T00:00:00Z,Display,0,\n\
          u1,2026-01-08T00:00:00Z,Search,0,\n\
          u1,2026-01-09T00:00:00Z,,1,50\n\
          u2,2026-01-02T00:00:00Z,Email,,\n\
          u3,2026-01-05T00:00:00Z,Search,0,\n\
          u3,2026-01-05T12:00:00Z,,1,20\n",
    );
    let out = json(&attribute(
        &[
            "--events",
            events.path(),
            "--models",
            "time_decay",
            "--half-life",
            "7d",
            "--format",
            "json",
        ],
        None,
    ));
    let ch = &out["models"][0]["channels"];
    let get = |i: usize| ch[i]["conversions"].as_f64().unwrap();
    assert_eq!(ch[0]["channel"], "Display");
    assert!(close(get(0), 1.0 / 3.0));
    assert!(close(get(2), 1.0 + 2.0 / 3.0));
    assert_eq!(out["total_null"], 1.0);
    assert_eq!(out["summary"]["events"]["journeys"]["null_journeys"], 1);
    // A 3-day lookback drops the Display touch: Search gets everything.
    let short = json(&attribute(
        &[
            "--events",
            events.path(),
            "--lookback",
            "3d",
            "--models",
            "linear",
            "--format",
            "json",
        ],
        None,
    ));
    assert_eq!(short["models"][0]["channels"][2]["conversions"], 2.0);
    // A bad event row names its line.
    let bad = TempFile::new(
        "bad_events.csv",
        b"user_id,timestamp,channel,conversion,value\nu1,yesterday,Email,0,\n",
    );
    let err = fails(&attribute(&["--events", bad.path()], None));
    assert!(err.contains(":2:"), "{err}");
    // INPUT and --events together are refused.
    let err = fails(&attribute(&[T2, "--events", events.path()], None));
    assert!(err.contains("not both"), "{err}");
}

#[test]
fn markov_through_the_cli_matches_the_oracles() {
    // §Markov worked examples: T2 at order 2, value-weighted: conversions 63/29, 70/29, 70/29;
    // RE 9/14, 5/7, 5/7.
    let transitions =
        std::env::temp_dir().join(format!("touchpoint-cli-{}-tr.csv", std::process::id()));
    let tpath = transitions.to_str().unwrap();
    let out = json(&attribute(
        &[
            T2,
            "--models",
            "markov",
            "--order",
            "2",
            "--transitions",
            tpath,
            "--format",
            "json",
        ],
        None,
    ));
    let m = &out["models"][0];
    assert_eq!(m["model"], "markov");
    assert_eq!(m["order"], 2);
    let conv: Vec<f64> = (0..3)
        .map(|i| m["channels"][i]["conversions"].as_f64().unwrap())
        .collect();
    assert!(
        close(conv[0], 63.0 / 29.0) && close(conv[1], 70.0 / 29.0) && close(conv[2], 70.0 / 29.0)
    );
    assert!(close(
        m["removal_effects"]["A"].as_f64().unwrap(),
        9.0 / 14.0
    ));
    assert!(close(
        m["conversion_probability"].as_f64().unwrap(),
        7.0 / 15.0
    ));
    // The transition matrix: every row of probabilities out of a state sums to 1.
    let text = std::fs::read_to_string(&transitions).expect("transitions written");
    let _ = std::fs::remove_file(&transitions);
    let mut rdr = csv::Reader::from_reader(text.as_bytes());
    assert_eq!(rdr.headers().unwrap(), vec!["from", "to", "probability"]);
    let mut sums = std::collections::BTreeMap::<String, f64>::new();
    for rec in rdr.records() {
        let rec = rec.unwrap();
        *sums.entry(rec[0].to_string()).or_default() += rec[2].parse::<f64>().unwrap();
    }
    assert!(sums.contains_key("(start)"));
    for (state, total) in sums {
        assert!(close(total, 1.0), "{state}: {total}");
    }
    // Bad order: an error before reading.
    let err = fails(&attribute(
        &[T2, "--models", "markov", "--order", "0"],
        None,
    ));
    assert!(err.contains("order"), "{err}");
    // No conversions: a typed error, not NaN.
    let none = TempFile::new(
        "nullonly.csv",
        b"path,total_conversions,total_null\nA > B,0,3\n",
    );
    let err = fails(&attribute(&[none.path(), "--models", "markov"], None));
    assert!(err.contains("no conversions"), "{err}");
}

#[test]
fn bundled_event_log_runs_every_model_and_generate_writes_event_logs() {
    const EVENTS: &str = "examples/data/sample_events.csv";
    let out = json(&attribute(
        &["--events", EVENTS, "--format", "json", "-q"],
        None,
    ));
    let total = out["total_conversions"].as_f64().unwrap();
    assert!(total > 0.0);
    for m in out["models"].as_array().unwrap() {
        let name = m["model"].as_str().unwrap();
        if name == "participation" {
            continue; // not efficient by definition
        }
        let credited: f64 = m["channels"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["conversions"].as_f64().unwrap())
            .sum();
        assert!(close(credited, total), "{name}: {credited} vs {total}");
    }
    let j = &out["summary"]["events"]["journeys"];
    assert_eq!(
        j["converting_journeys"].as_u64().unwrap() + j["null_journeys"].as_u64().unwrap(),
        j["journeys"].as_u64().unwrap()
    );
    // `generate --events` is reproducible: the bundled file is its output for seed 3.
    let generated = example("generate")
        .args(["--events", "3000", "--seed", "3", "-q"])
        .output()
        .unwrap();
    assert!(generated.status.success());
    let bundled = std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join(EVENTS)).unwrap();
    assert_eq!(generated.stdout, bundled);
}

/// Runs `compare` with `args`.
fn compare(args: &[&str]) -> Output {
    example("compare")
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run compare")
}

#[test]
fn markdown_jsonl_and_wide_formats() {
    let md = ok(&attribute(
        &[T2, "--models", "first_touch,linear", "--format", "md", "-q"],
        None,
    ));
    let lines: Vec<&str> = md.lines().collect();
    assert!(
        lines[0].starts_with("| channel | first_touch conversions |"),
        "{md}"
    );
    // A: first touch 3 of 7 (42.9%), value 35; linear 25/12, 74/3 (the model reference,
    // §Rule-based results on T2).
    assert_eq!(
        lines[2],
        "| A | 3.00 | 42.9% | 35.00 | 2.08 | 29.8% | 24.67 |"
    );
    assert_eq!(lines.len(), 2 + 3 + 1);

    let jsonl = ok(&attribute(
        &[T2, "--models", "first_touch,linear", "--format", "jsonl"],
        None,
    ));
    let rows: Vec<Value> = jsonl
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .collect();
    assert_eq!(rows.len(), 6);
    assert_eq!(rows[4]["model"], "linear");
    assert_eq!(rows[4]["channel"], "B");
    assert!(close(rows[4]["conversions"].as_f64().unwrap(), 5.0 / 2.0));
    // With intervals every line carries ci and se.
    let jsonl = ok(&attribute(
        &[T2, "--models", "linear", "--format", "jsonl", "--ci", "0.9"],
        None,
    ));
    for l in jsonl.lines() {
        let v: Value = serde_json::from_str(l).unwrap();
        let [lo, hi] = [0, 1].map(|i| v["ci"]["conversions"][i].as_f64().unwrap());
        assert!(lo <= hi && v["se"]["value"].as_f64().unwrap() >= 0.0, "{l}");
    }

    let wide = ok(&attribute(
        &[T2, "--models", "last_touch,linear", "--format", "wide"],
        None,
    ));
    let lines: Vec<&str> = wide.lines().collect();
    assert_eq!(
        lines[0],
        "channel,last_touch_conversions,last_touch_value,linear_conversions,linear_value"
    );
    // C: last touch 3 conversions (A>B>C 2, C 1), value 20 + 8 = 28; linear 29/12, 68/3.
    let c: Vec<&str> = lines[3].split(',').collect();
    assert_eq!(c[..3], ["C", "3", "28"]);
    assert!(close(c[3].parse().unwrap(), 29.0 / 12.0));
    assert!(close(c[4].parse().unwrap(), 68.0 / 3.0));
}

#[test]
fn channelattribution_compatible_columns() {
    let heur = ok(&attribute(
        &[
            T2,
            "--models",
            "first_touch,last_touch,linear",
            "--compat",
            "channelattribution",
        ],
        None,
    ));
    let lines: Vec<&str> = heur.lines().collect();
    assert_eq!(
        lines[0],
        "channel_name,first_touch_conversions,first_touch_value,last_touch_conversions,\
         last_touch_value,linear_touch_conversions,linear_touch_value"
    );
    assert!(lines[1].starts_with("A,3,35,2,22,"), "{heur}");
    let markov = ok(&attribute(
        &[T2, "--models", "markov", "--compat", "channelattribution"],
        None,
    ));
    assert_eq!(
        markov.lines().next(),
        Some("channel_name,total_conversions,total_conversion_value")
    );
    let lib = build_model("markov", &ModelOptions::default())
        .unwrap()
        .attribute(&t2())
        .unwrap();
    let a: Vec<&str> = markov.lines().nth(1).unwrap().split(',').collect();
    assert_eq!(a[0], "A");
    assert!(close(a[1].parse().unwrap(), lib.conversions("A")));
    // Without a value column: ChannelAttribution's value-less names.
    let no_value = TempFile::new("novalue.csv", b"path,total_conversions\nA > B,2\nB,1\n");
    let out = ok(&attribute(
        &[
            no_value.path(),
            "--models",
            "first_touch,linear",
            "--compat",
            "channelattribution",
            "-q",
        ],
        None,
    ));
    assert_eq!(out, "channel_name,first_touch,linear_touch\nA,2,1\nB,1,2\n");
    // Transition matrix with ChannelAttribution's column names.
    let tm = TempFile::new("tm.csv", b"");
    ok(&attribute(
        &[
            T2,
            "--models",
            "markov",
            "--compat",
            "channelattribution",
            "--transitions",
            tm.path(),
        ],
        None,
    ));
    let tm_text = std::fs::read_to_string(tm.path()).unwrap();
    assert!(
        tm_text.starts_with("channel_from,channel_to,transition_probability\n"),
        "{tm_text}"
    );
    // Errors: a model ChannelAttribution lacks, a non-CSV format, an unknown mode.
    let e = fails(&attribute(
        &[T2, "--models", "shapley", "--compat", "channelattribution"],
        None,
    ));
    assert!(e.contains("no model `shapley`"), "{e}");
    let e = fails(&attribute(
        &[
            T2,
            "--models",
            "markov",
            "--compat",
            "channelattribution",
            "--format",
            "json",
        ],
        None,
    ));
    assert!(e.contains("--compat channelattribution writes CSV"), "{e}");
    let e = fails(&attribute(&[T2, "--compat", "mam"], None));
    assert!(e.contains("unknown compatibility mode `mam`"), "{e}");
}

#[test]
fn jobs_never_change_the_output() {
    // A generated table large enough to be walked in several chunks.
    let big = TempFile::new("jobs.csv", b"");
    let o = example("generate")
        .args([
            "--rows",
            "5000",
            "--channels",
            "6",
            "--seed",
            "9",
            "-q",
            "-o",
            big.path(),
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let run = |jobs: &str| {
        ok(&attribute(
            &[
                big.path(),
                "--models",
                "linear,markov,shapley",
                "--ci",
                "0.9",
                "--replicates",
                "20",
                "--seed",
                "3",
                "--format",
                "csv",
                "-j",
                jobs,
            ],
            None,
        ))
    };
    let one = run("1");
    assert_eq!(one.lines().count(), 1 + 3 * 6);
    assert_eq!(run("2"), one);
    assert_eq!(run("5"), one);
    let e = fails(&attribute(&[T2, "-j", "0"], None));
    assert!(e.contains("--jobs `0`"), "{e}");
}

#[test]
fn heatmap_of_the_markov_transitions() {
    let svg = TempFile::new("heat.svg", b"");
    let o = attribute(&[T2, "--models", "markov", "--heatmap", svg.path()], None);
    if cfg!(feature = "plot") {
        ok(&o);
        let text = std::fs::read_to_string(svg.path()).unwrap();
        assert!(text.contains("<svg") && text.contains("(start)"), "{text}");
        // T2 has 15 journeys, 6 start with A: P((start) → A) = 6/15 = 0.40.
        assert!(text.contains("0.40"), "{text}");
    } else {
        let e = fails(&o);
        assert!(e.contains("need the `plot` feature"), "{e}");
    }
}

#[test]
fn compare_two_models_per_channel() {
    // T2 (the model reference): last touch A 2, B 2, C 3 (value 22, 20, 28); linear A 25/12, B 5/2,
    // C 29/12 (value 74/3, 68/3, 68/3).
    let out = ok(&compare(&[
        T2,
        "--reference",
        "last_touch",
        "--comparison",
        "linear",
        "--format",
        "csv",
    ]));
    let lines: Vec<Vec<f64>> = out
        .lines()
        .skip(1)
        .map(|l| l.split(',').skip(1).map(|x| x.parse().unwrap()).collect())
        .collect();
    assert!(out.starts_with(
        "channel,reference_conversions,comparison_conversions,delta_conversions,\
         pct_change_conversions,reference_value,comparison_value,delta_value,pct_change_value\nA,"
    ));
    let expected = [
        [
            2.0,
            25.0 / 12.0,
            1.0 / 12.0,
            100.0 / 24.0,
            22.0,
            74.0 / 3.0,
            8.0 / 3.0,
            800.0 / 66.0,
        ],
        [2.0, 2.5, 0.5, 25.0, 20.0, 68.0 / 3.0, 8.0 / 3.0, 40.0 / 3.0],
        [
            3.0,
            29.0 / 12.0,
            -7.0 / 12.0,
            -700.0 / 36.0,
            28.0,
            68.0 / 3.0,
            -16.0 / 3.0,
            -400.0 / 21.0,
        ],
    ];
    assert_eq!(lines.len(), 3);
    for (got, want) in lines.iter().zip(expected) {
        for (g, w) in got.iter().zip(want) {
            assert!(close(*g, w), "{g} vs {w}: {out}");
        }
    }
    // Default: markov against last_touch, as a table; Markdown and JSON agree.
    let table = ok(&compare(&[T2]));
    assert!(
        table.starts_with("markov compared with last_touch (reference)"),
        "{table}"
    );
    let md = ok(&compare(&[T2, "--comparison", "linear", "--format", "md"]));
    assert!(
        md.contains("| B | 2.00 | 2.50 | +0.50 | +25.0% | 20.00 | 22.67 | +2.67 | +13.3% |"),
        "{md}"
    );
    let v: Value = serde_json::from_str(&ok(&compare(&[
        T2,
        "--format",
        "json",
        "--reference",
        "first_touch",
    ])))
    .unwrap();
    assert_eq!(
        (v["reference"].as_str(), v["comparison"].as_str()),
        (Some("first_touch"), Some("markov"))
    );
    assert_eq!(v["channels"][0]["reference_conversions"], 3.0);
    // stdin, delimiter and stderr summary.
    let semi = std::fs::read_to_string(T2).unwrap().replace(',', ";");
    let mut child = example("compare")
        .args(["-", "-d", ";", "--comparison", "linear", "--format", "csv"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(semi.as_bytes())
        .unwrap();
    let o = child.wait_with_output().unwrap();
    assert_eq!(ok(&o), out);
    assert!(
        stderr(&o).contains("linear vs last_touch (reference)"),
        "{}",
        stderr(&o)
    );
    // Errors: unknown model before reading, bad row with file and line.
    let e = fails(&compare(&["missing.csv", "--comparison", "nope"]));
    assert!(e.contains("unknown model `nope`"), "{e}");
    let bad = TempFile::new("cmpbad.csv", b"path,total_conversions\nA,1\nB,x\n");
    let e = fails(&compare(&[bad.path()]));
    assert!(e.contains(":3:"), "{e}");
    assert!(ok(&compare(&["--help"])).contains("EXAMPLES"));
}

/// `--per-touch FILE`: one row per (conversion, touch, model) whose credit and value, summed
/// per model and channel (residual rows included), equal the `--format json` output, for an
/// event log (keyed by user and order) and a path table (keyed by row).
#[test]
fn per_touch_rows_sum_to_the_aggregate_output() {
    let dir = std::env::temp_dir().join(format!("touchpoint-per-touch-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join("per_touch.csv");
    let out_s = out.to_str().unwrap();
    for input in [
        vec!["--events", "examples/data/sample_events.csv"],
        vec![SAMPLE],
    ] {
        let mut args = input.clone();
        args.extend(["--format", "json", "--per-touch", out_s]);
        let agg = json(&attribute(&args, None));
        let mut rdr = csv::Reader::from_path(&out).unwrap();
        let header: Vec<String> = rdr.headers().unwrap().iter().map(String::from).collect();
        assert_eq!(header, touchpoint::fit::PER_TOUCH_COLUMNS);
        let mut sums: std::collections::HashMap<(String, String), (f64, f64)> = Default::default();
        let mut ids = std::collections::HashSet::new();
        for rec in rdr.records() {
            let rec = rec.unwrap();
            let s = sums
                .entry((rec[0].to_string(), rec[6].to_string()))
                .or_default();
            s.0 += rec[7].parse::<f64>().unwrap();
            s.1 += rec[8].parse::<f64>().unwrap();
            ids.insert(rec[2].to_string());
            if &rec[2] != touchpoint::fit::RESIDUAL {
                assert!(rec[4].parse::<usize>().unwrap() >= 1, "1-based touch index");
            }
        }
        assert!(ids.len() > 10, "{input:?}: conversions are keyed");
        let models = agg["models"].as_array().unwrap();
        assert_eq!(models.len(), TABLE_MODELS.len());
        for m in models {
            let name = m["model"].as_str().unwrap();
            for c in m["channels"].as_array().unwrap() {
                let ch = c["channel"].as_str().unwrap();
                let (pc, pv) = sums
                    .get(&(name.into(), ch.into()))
                    .copied()
                    .unwrap_or_default();
                let (ac, av) = (
                    c["conversions"].as_f64().unwrap(),
                    c["value"].as_f64().unwrap(),
                );
                assert!(close(pc, ac), "{input:?} {name} {ch}: {pc} != {ac}");
                assert!(
                    (pv - av).abs() <= 1e-9 * av.abs().max(1.0),
                    "{name} {ch}: {pv} != {av}"
                );
            }
        }
    }
    std::fs::remove_dir_all(&dir).ok();
}
