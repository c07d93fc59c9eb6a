//! The command line of `attribute`: help, model list, input from stdin or files, and every error as one line on stderr.

use super::*;

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
