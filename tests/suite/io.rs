//! Reading ChannelAttribution path CSV: every malformed input gives the exact error and line;
//! every accepted variation (delimiters, quoting, BOM, CRLF, separators) reads the same table.

use touchpoint::formats::{BadRows, PathCsvOptions, ReadReport, read_paths, write_paths};
use touchpoint::synth::{SynthConfig, SynthSize, generate};
use touchpoint::{Error, Location, Outcome, ParseProblem, PathTable};

const HEADER: &str = "path,total_conversions,total_conversion_value,total_null\n";

fn read(input: &str) -> Result<(PathTable, ReadReport), Error> {
    read_bytes(input.as_bytes(), &PathCsvOptions::default())
}

fn read_bytes(input: &[u8], opts: &PathCsvOptions) -> Result<(PathTable, ReadReport), Error> {
    read_paths(input, opts)
}

/// The (line, problem) of a parse error; panics on success or on another error.
fn parse_error(r: Result<(PathTable, ReadReport), Error>) -> (u64, ParseProblem) {
    match r {
        Err(Error::Parse { at, problem }) => (at.line, problem),
        Err(other) => panic!("expected a parse error, got {other:?}"),
        Ok((t, _)) => panic!("expected a parse error, read {} rows", t.len()),
    }
}

/// A table built by hand.
fn table(rows: &[(&[&str], f64, f64, f64)]) -> PathTable {
    let mut t = PathTable::new();
    for (path, c, v, n) in rows {
        t.add(path.iter(), Outcome::new(*c, *v, *n)).unwrap();
    }
    t
}

fn t2() -> PathTable {
    table(&[
        (&["A", "B", "C"], 2.0, 20.0, 1.0),
        (&["A", "A", "B"], 1.0, 15.0, 2.0),
        (&["B"], 1.0, 5.0, 3.0),
        (&["C", "A"], 1.0, 10.0, 1.0),
        (&["B", "C", "B", "A"], 1.0, 12.0, 0.0),
        (&["C"], 1.0, 8.0, 1.0),
    ])
}

// ---------------------------------------------------------------------------------------------
// Header problems (line 1)

#[test]
fn header_problems_name_line_1() {
    let cases = [
        (
            "path,conversions\nA,1\n",
            ParseProblem::MissingColumn {
                name: "total_conversions".into(),
                found: "path,conversions".into(),
            },
            "missing column `total_conversions` in the header (found: path,conversions)",
        ),
        (
            "path,total_conversions,path\nA,1,B\n",
            ParseProblem::DuplicateColumn {
                name: "path".into(),
            },
            "column `path` appears twice in the header",
        ),
        (
            "path|total_conversions\nA|1\n",
            ParseProblem::UnknownDelimiter {
                header: "path|total_conversions".into(),
            },
            "cannot detect the CSV delimiter from the header `path|total_conversions`: expected \
             `,` or `;` (or pass one explicitly)",
        ),
    ];
    for (input, problem, message) in cases {
        let (line, p) = parse_error(read(input));
        assert_eq!((line, &p), (1, &problem), "{input:?}");
        assert_eq!(p.to_string(), message);
    }
}

#[test]
fn empty_input() {
    for input in ["", "\n", "  \n\n"] {
        let (line, p) = parse_error(read(input));
        assert_eq!((line, p), (1, ParseProblem::NoHeader), "{input:?}");
    }
}

#[test]
fn header_only_is_an_empty_table() {
    let (t, report) = read(HEADER).unwrap();
    assert!(t.is_empty());
    assert_eq!(report.rows, 0);
}

// ---------------------------------------------------------------------------------------------
// Row problems, each at its own line

/// The error of a file whose third line (second data row) is `row`.
fn bad_row(row: &str) -> (u64, ParseProblem) {
    parse_error(read(&format!("{HEADER}A > B,1,10,0\n{row}\nB,1,1,1\n")))
}

#[test]
fn wrong_field_count() {
    assert_eq!(
        bad_row("A,1,2"),
        (
            3,
            ParseProblem::FieldCount {
                expected: 4,
                found: 3
            }
        )
    );
    assert_eq!(
        bad_row("A,1,2,3,4"),
        (
            3,
            ParseProblem::FieldCount {
                expected: 4,
                found: 5
            }
        )
    );
}

#[test]
fn empty_path() {
    assert_eq!(bad_row(",1,0,0"), (3, ParseProblem::EmptyPath));
    assert_eq!(bad_row("\"   \",1,0,0"), (3, ParseProblem::EmptyPath));
}

#[test]
fn empty_channel_names() {
    assert_eq!(
        bad_row("A >> B,1,0,0"),
        (3, ParseProblem::EmptyToken { position: 2 })
    );
    assert_eq!(
        bad_row("A > > B,1,0,0"),
        (3, ParseProblem::EmptyToken { position: 2 })
    );
    assert_eq!(
        bad_row("A > B >,1,0,0"),
        (3, ParseProblem::EmptyToken { position: 3 })
    );
    assert_eq!(
        bad_row("> A,1,0,0"),
        (3, ParseProblem::EmptyToken { position: 1 })
    );
}

#[test]
fn reserved_channel_name() {
    for name in ["(start)", "(conversion)", "(null)"] {
        assert_eq!(
            bad_row(&format!("A > {name},1,0,0")),
            (3, ParseProblem::ReservedName { name: name.into() })
        );
    }
}

#[test]
fn non_numeric() {
    assert_eq!(
        bad_row("A,one,0,0"),
        (
            3,
            ParseProblem::NotANumber {
                field: "total_conversions".into(),
                text: "one".into()
            }
        )
    );
    assert_eq!(
        bad_row("A,1,12 EUR,0"),
        (
            3,
            ParseProblem::NotANumber {
                field: "total_conversion_value".into(),
                text: "12 EUR".into()
            }
        )
    );
    assert_eq!(
        bad_row("A,1,1,"),
        (
            3,
            ParseProblem::EmptyField {
                field: "total_null".into()
            }
        )
    );
}

/// An `InvalidCount` problem's (field, reason) and whether its value is NaN / equals `value`.
fn invalid_count(row: &str, field: &str, value: f64, reason: &str) {
    let (line, p) = bad_row(row);
    assert_eq!(line, 3, "{row}");
    match p {
        ParseProblem::InvalidCount {
            field: f,
            value: v,
            reason: r,
        } => {
            assert_eq!(f, field, "{row}");
            assert!(v == value || (v.is_nan() && value.is_nan()), "{row}: {v}");
            assert_eq!(r, reason, "{row}");
        }
        other => panic!("{row}: expected InvalidCount, got {other:?}"),
    }
}

#[test]
fn negative_nan_and_infinite_counts() {
    let bad = "must be finite and >= 0";
    invalid_count("A,-1,0,0", "total_conversions", -1.0, bad);
    invalid_count("A,1,-5,0", "total_conversion_value", -5.0, bad);
    invalid_count("A,1,0,-0.5", "total_null", -0.5, bad);
    invalid_count("A,NaN,0,0", "total_conversions", f64::NAN, bad);
    invalid_count("A,1,nan,0", "total_conversion_value", f64::NAN, bad);
    invalid_count("A,inf,0,0", "total_conversions", f64::INFINITY, bad);
    invalid_count("A,1,0,-inf", "total_null", f64::NEG_INFINITY, bad);
    invalid_count("A,1,1e400,0", "total_conversion_value", f64::INFINITY, bad);
}

#[test]
fn value_without_conversions() {
    invalid_count(
        "A,0,5,1",
        "total_conversion_value",
        5.0,
        "value > 0 with 0 conversions",
    );
}

#[test]
fn errors_name_the_columns_the_file_uses() {
    let opts = PathCsvOptions {
        path_column: "journey".into(),
        conversions_column: "orders".into(),
        value_column: Some("revenue".into()),
        null_column: Some("lost".into()),
        ..PathCsvOptions::default()
    };
    let input = "journey,orders,revenue,lost\nA,x,0,0\n";
    let (line, p) = parse_error(read_bytes(input.as_bytes(), &opts));
    assert_eq!(line, 2);
    assert_eq!(
        p,
        ParseProblem::NotANumber {
            field: "orders".into(),
            text: "x".into()
        }
    );
    let input = "journey,orders,revenue,lost\nA,1,-2,0\n";
    let (_, p) = parse_error(read_bytes(input.as_bytes(), &opts));
    assert!(
        matches!(&p, ParseProblem::InvalidCount { field, .. } if field == "revenue"),
        "{p:?}"
    );
}

#[test]
fn too_long_path() {
    let opts = PathCsvOptions {
        max_path_len: 3,
        ..PathCsvOptions::default()
    };
    let input = format!("{HEADER}A > B > C,1,0,0\nA > B > C > D > E,1,0,0\n");
    let (line, p) = parse_error(read_bytes(input.as_bytes(), &opts));
    assert_eq!(
        (line, p),
        (3, ParseProblem::PathTooLong { len: 5, limit: 3 })
    );
}

#[test]
fn bad_utf8() {
    let mut input = HEADER.as_bytes().to_vec();
    input.extend_from_slice(b"A,1,0,0\nSearch \xFF > B,1,0,0\n");
    let (line, p) = parse_error(read_bytes(&input, &PathCsvOptions::default()));
    assert_eq!((line, p), (3, ParseProblem::InvalidUtf8));
}

#[test]
fn unterminated_quote() {
    // The open quote swallows the rest of the file into one field: the record that starts on
    // line 3 has 1 field instead of 4, which is reported as what it is (it was "expected 4
    // fields, found 1" before the reliability issue).
    let (line, p) = parse_error(read(&format!("{HEADER}A,1,0,0\n\"B > C,1,0,0\nD,1,0,0\n")));
    assert_eq!((line, p), (3, ParseProblem::UnterminatedQuote));
}

#[test]
fn line_numbers_count_lines_not_records() {
    // A quoted field spanning two lines (line 2–3), a blank line (4), then a bad row on line 5.
    let input = format!("{HEADER}\"A\nB\",1,0,0\n\nC,x,0,0\n");
    let (line, _) = parse_error(read(&input));
    assert_eq!(line, 5);
}

#[test]
fn line_numbers_after_blank_lines_and_crlf() {
    // csv's own record positions are off after blank lines and CRLF headers (rust-csv #208):
    // the reader counts lines itself.
    for (input, line) in [
        (format!("{HEADER}\nA,x,0,0\n"), 3),
        (format!("{HEADER}A,1,0,0\n\n\n\nB,x,0,0\n"), 6),
        (format!("{HEADER}A,1,0,0\n\nB,1,0,0\n\nC,x,0,0"), 6),
        (
            format!("{HEADER}A,1,0,0\n\n\nB,x,0,0\n").replace('\n', "\r\n"),
            5,
        ),
        (format!("{HEADER}A,1,0,0\r\n\n\r\nB,x,0,0\n"), 5),
        (
            format!("{HEADER}\"A\r\n\r\nB\",1,0,0\r\n\r\nC,x,0,0\r\n"),
            6,
        ),
    ] {
        assert_eq!(parse_error(read(&input)).0, line, "{input:?}");
        // The same with a quoted row first (the reader then takes its quoted-CSV path).
        let quoted = input.replacen('\n', "\n\"Z\",1,0,0\n", 1);
        assert_eq!(parse_error(read(&quoted)).0, line + 1, "{quoted:?}");
    }
}

#[test]
fn line_numbers_stay_exact_in_long_files() {
    // 10,000 good rows, blank lines sprinkled in, then a bad row: the line counter must not
    // drift when it forgets old line breaks.
    let mut input = String::from(HEADER);
    let mut lines = 1;
    for i in 0..10_000 {
        input.push_str(&format!("C{},1,1,0\n", i % 7));
        lines += 1;
        if i % 1000 == 999 {
            input.push_str("\n\n");
            lines += 2;
        }
    }
    input.push_str("A,bad,0,0\n");
    lines += 1;
    assert_eq!(parse_error(read(&input)).0, lines);
    let crlf = input.replace('\n', "\r\n");
    assert_eq!(parse_error(read(&crlf)).0, lines);
    // Quoted fields send the reader through the CSV parser: same lines.
    let quoted = input.replace("C3,", "\"C3\",");
    assert_eq!(parse_error(read(&quoted)).0, lines);
    assert_eq!(parse_error(read(&quoted.replace('\n', "\r\n"))).0, lines);
}

#[test]
fn error_display_names_the_line() {
    let e = read(&format!("{HEADER}A,1,0,0\nA,1,0\n")).unwrap_err();
    assert_eq!(e.to_string(), "line 3: expected 4 fields, found 3");
    assert_eq!(e.location(), Some(Location { line: 3, record: 1 }));
}

// ---------------------------------------------------------------------------------------------
// Accepted variations

#[test]
fn semicolon_delimiter_is_detected() {
    let input = "path;total_conversions;total_conversion_value;total_null\n\
                 A > B > C;2;20;1\nA > A > B;1;15;2\nB;1;5;3\nC > A;1;10;1\n\
                 B > C > B > A;1;12;0\nC;1;8;1\n";
    let (t, report) = read(input).unwrap();
    assert_eq!(report.delimiter, b';');
    assert_eq!(t, t2());
}

#[test]
fn tab_delimiter_is_detected_and_explicit_delimiters_work() {
    let input = "path\ttotal_conversions\nA > B\t2\n";
    let (t, report) = read(input).unwrap();
    assert_eq!(report.delimiter, b'\t');
    assert_eq!(t, table(&[(&["A", "B"], 2.0, 0.0, 0.0)]));
    let opts = PathCsvOptions {
        delimiter: Some(b'|'),
        ..PathCsvOptions::default()
    };
    let (t, _) = read_bytes(b"path|total_conversions\nA > B|2\n", &opts).unwrap();
    assert_eq!(t, table(&[(&["A", "B"], 2.0, 0.0, 0.0)]));
}

#[test]
fn quoted_channel_names_with_commas_and_quotes() {
    let input = format!(
        "{HEADER}\"Email, weekly > Search \"\"brand\"\"\",1,10,0\n\"Email, weekly\",1,5,2\n"
    );
    let (t, _) = read(&input).unwrap();
    assert_eq!(
        t,
        table(&[
            (&["Email, weekly", "Search \"brand\""], 1.0, 10.0, 0.0),
            (&["Email, weekly"], 1.0, 5.0, 2.0),
        ])
    );
}

#[test]
fn non_latin_channel_names() {
    let input = format!("{HEADER}Поиск > 検索 > بحث,1,10,0\nΠροβολή,0,0,3\n");
    let (t, _) = read(&input).unwrap();
    assert_eq!(
        t,
        table(&[
            (&["Поиск", "検索", "بحث"], 1.0, 10.0, 0.0),
            (&["Προβολή"], 0.0, 0.0, 3.0),
        ])
    );
}

#[test]
fn separators_with_blanks_and_other_separators() {
    let t2_csv = std::fs::read_to_string("examples/data/t2.csv").unwrap();
    for sep in [">", " > ", "  >"] {
        let opts = PathCsvOptions {
            separator: sep.into(),
            ..PathCsvOptions::default()
        };
        let (t, _) = read_bytes(t2_csv.as_bytes(), &opts).unwrap();
        assert_eq!(t, t2(), "separator {sep:?}");
    }
    // Tight `>` and a multi-character separator.
    let (t, _) = read(&format!("{HEADER}A>B>C,2,20,1\n")).unwrap();
    assert_eq!(t, table(&[(&["A", "B", "C"], 2.0, 20.0, 1.0)]));
    let opts = PathCsvOptions {
        separator: "->".into(),
        ..PathCsvOptions::default()
    };
    let input = format!("{HEADER}A -> B->C,2,20,1\n");
    let (t, _) = read_bytes(input.as_bytes(), &opts).unwrap();
    assert_eq!(t, table(&[(&["A", "B", "C"], 2.0, 20.0, 1.0)]));
    // A blank separator splits on runs of whitespace.
    let opts = PathCsvOptions {
        separator: " ".into(),
        ..PathCsvOptions::default()
    };
    let input = format!("{HEADER}A  B\tC,2,20,1\n");
    let (t, _) = read_bytes(input.as_bytes(), &opts).unwrap();
    assert_eq!(t, table(&[(&["A", "B", "C"], 2.0, 20.0, 1.0)]));
}

#[test]
fn byte_order_mark_crlf_and_blank_lines() {
    let plain = std::fs::read_to_string("examples/data/t2.csv").unwrap();
    let mut bom = b"\xEF\xBB\xBF".to_vec();
    bom.extend_from_slice(plain.replace('\n', "\r\n").as_bytes());
    let (t, report) = read_bytes(&bom, &PathCsvOptions::default()).unwrap();
    assert_eq!(t, t2());
    assert_eq!(report.rows, 6);
    assert!(report.has_value && report.has_nulls);

    let blanks = plain.replacen('\n', "\n\n", 3) + "\n\n";
    let (t, report) = read(&blanks).unwrap();
    assert_eq!(t, t2());
    assert_eq!(report.rows, 6);

    // CRLF keeps line numbers right: line 4 is the bad one.
    let input = format!("{HEADER}A,1,0,0\nB,1,0,0\nC,x,0,0\n").replace('\n', "\r\n");
    let (line, _) = parse_error(read(&input));
    assert_eq!(line, 4);
}

#[test]
fn equal_paths_are_summed() {
    let input = format!("{HEADER}A > B,1,10,0\nA>B,2,5,3\n A > B ,0,0,1\n");
    let (t, report) = read(&input).unwrap();
    assert_eq!(report.rows, 3);
    assert_eq!(t, table(&[(&["A", "B"], 3.0, 15.0, 4.0)]));
}

#[test]
fn missing_optional_value_and_null_columns() {
    let (t, report) = read("path,total_conversions\nA > B,2\nB,1\n").unwrap();
    assert!(!report.has_value && !report.has_nulls);
    assert_eq!(t.totals(), Outcome::new(3.0, 0.0, 0.0));
    let (t, report) = read("total_null,path,total_conversions\n4,A > B,2\n").unwrap();
    assert!(!report.has_value && report.has_nulls);
    assert_eq!(t, table(&[(&["A", "B"], 2.0, 0.0, 4.0)]));
    // Optional columns switched off are ignored even when present.
    let opts = PathCsvOptions {
        value_column: None,
        null_column: None,
        ..PathCsvOptions::default()
    };
    let (t, report) = read_bytes(format!("{HEADER}A,1,5,2\n").as_bytes(), &opts).unwrap();
    assert!(!report.has_value && !report.has_nulls);
    assert_eq!(t.totals(), Outcome::new(1.0, 0.0, 0.0));
}

#[test]
fn skip_mode_counts_every_bad_row_with_its_line() {
    let input = format!(
        "{HEADER}A > B,1,10,0\nA,x,0,0\n,1,0,0\nB,1,5,1\nA >> B,1,0,0\nC,0,3,0\nC,1\nA > B,1,1,1\n"
    );
    let opts = PathCsvOptions {
        bad_rows: BadRows::Skip,
        ..PathCsvOptions::default()
    };
    let (t, report) = read_bytes(input.as_bytes(), &opts).unwrap();
    assert_eq!(report.rows, 3);
    assert_eq!(report.skipped, 5);
    let lines: Vec<u64> = report
        .skipped_details
        .iter()
        .map(|(at, _)| at.line)
        .collect();
    assert_eq!(lines, [3, 4, 6, 7, 8]);
    assert_eq!(report.skipped_details[1].1, ParseProblem::EmptyPath);
    assert_eq!(
        t,
        table(&[(&["A", "B"], 2.0, 11.0, 1.0), (&["B"], 1.0, 5.0, 1.0)])
    );
    // Header problems are never skipped.
    let (line, p) = parse_error(read_bytes(b"path|x\n", &opts));
    assert_eq!(line, 1);
    assert!(matches!(p, ParseProblem::UnknownDelimiter { .. }));
}

#[test]
fn round_trip_write_then_read() {
    let mut awkward = table(&[
        (
            &["Email, weekly", "Поиск", "Search \"brand\""],
            2.0,
            20.5,
            1.0,
        ),
        (&["Direct"], 0.0, 0.0, 7.0),
        (&["a", "a", "a"], 0.25, 1e-7, 0.0),
    ]);
    awkward.merge(&t2()).unwrap();
    let synthetic = generate(&SynthConfig {
        size: SynthSize::DistinctPaths(2_000),
        channels: 20,
        ..SynthConfig::default()
    })
    .unwrap();
    for t in [t2(), awkward, synthetic] {
        let mut csv = Vec::new();
        write_paths(&t, &mut csv).unwrap();
        let (back, report) = read_bytes(&csv, &PathCsvOptions::default()).unwrap();
        assert_eq!(report.rows as usize, t.len());
        assert_eq!(back, t);
        assert_eq!(back.totals(), t.totals());
    }
}

#[test]
fn the_bundled_files_read() {
    let (t, report) = read_bytes(
        &std::fs::read("examples/data/t2.csv").unwrap(),
        &PathCsvOptions::default(),
    )
    .unwrap();
    assert_eq!(t, t2());
    assert_eq!((report.rows, report.skipped), (6, 0));
    let (t, report) = read_bytes(
        &std::fs::read("examples/data/sample_paths.csv").unwrap(),
        &PathCsvOptions::default(),
    )
    .unwrap();
    assert_eq!(report.skipped, 0);
    assert_eq!(t.len(), 300);
    assert_eq!(t.channels().len(), 8);
    assert!(t.channels().get("Paid Search").is_some());
}

/// Memory of a read table (issue target: at most 40 bytes per distinct path of mean length 5):
/// `4·L` of ids, 4 of row end and 12 of whole-number outcome once the table is canonical
/// (the dedup index is then dropped). `cargo test --test suite bytes_per_path -- --nocapture`.
#[test]
fn bytes_per_path_of_a_read_table() {
    let t = generate(&SynthConfig {
        size: SynthSize::DistinctPaths(100_000),
        channels: 30,
        mean_path_len: 5.0,
        seed: 7,
        ..SynthConfig::default()
    })
    .unwrap();
    let mut csv = Vec::new();
    write_paths(&t, &mut csv).unwrap();
    let (mut back, _) = read_bytes(&csv, &PathCsvOptions::default()).unwrap();
    back.canonicalize();
    back.shrink_to_fit();
    assert_eq!(back, t);
    let rows = back.len() as f64;
    let mean_len = back.touch_count() as f64 / rows;
    let per_path = back.heap_bytes() as f64 / rows;
    println!("{rows} distinct paths, mean length {mean_len:.2}: {per_path:.1} bytes per path");
    assert!(
        per_path <= 4.0 * mean_len + 16.0 + 1e-9,
        "{per_path} bytes per path"
    );
    // Outcomes with a fraction take 12 bytes more a row, and nothing is lost.
    let mut odd = back.clone();
    odd.add(["Fractional"], Outcome::new(0.5, 1.25, 0.0))
        .unwrap();
    odd.shrink_to_fit();
    assert!(odd.heap_bytes() as f64 / odd.len() as f64 > per_path + 11.0);
    let last = odd.rows().find(|r| r.outcome.conversions == 0.5).unwrap();
    assert_eq!(last.outcome, Outcome::new(0.5, 1.25, 0.0));
    assert_eq!(odd.totals().conversions, back.totals().conversions + 0.5);
}
