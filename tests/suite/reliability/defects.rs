//! Regression tests of the defects found by attacking the readers (issue "nothing lost, nothing
//! corrupted"): each test is named for the defect it pins down.

use touchpoint::events::{EventOptions, JourneyOptions, paths_from_events, read_events};
use touchpoint::formats::{
    BadRows, PathCsvOptions, read_paths, read_paths_full_parser, skip_warnings,
};
use touchpoint::{AttributionModel, Error, Outcome, ParseProblem, Participation, PathTable};

const HEADER: &str = "path,total_conversions,total_conversion_value,total_null";

fn opts() -> PathCsvOptions {
    PathCsvOptions::default()
}

fn skip() -> PathCsvOptions {
    PathCsvOptions {
        bad_rows: BadRows::Skip,
        ..PathCsvOptions::default()
    }
}

/// Reads `text` with both parsers and checks they agree (tables, reports, or errors).
fn both(text: &str, o: &PathCsvOptions) -> Result<(PathTable, u64, u64), String> {
    let a = read_paths(text.as_bytes(), o);
    let b = read_paths_full_parser(text.as_bytes(), o);
    match (a, b) {
        (Ok((ta, ra)), Ok((tb, rb))) => {
            assert_eq!(
                ta.to_named_rows(),
                tb.to_named_rows(),
                "tables differ on {text:?}"
            );
            assert_eq!(ra, rb, "reports differ on {text:?}");
            Ok((ta, ra.rows, ra.skipped))
        }
        (Err(ea), Err(eb)) => {
            assert_eq!(ea.to_string(), eb.to_string(), "errors differ on {text:?}");
            Err(ea.to_string())
        }
        (a, b) => panic!("parsers disagree on {text:?}: {a:?} vs {b:?}"),
    }
}

fn rows(t: &PathTable) -> Vec<(String, Outcome)> {
    t.to_named_rows()
        .into_iter()
        .map(|(p, o)| (p.join(">"), o))
        .collect()
}

#[test]
fn cr_only_path_csv_reads_like_lf() {
    let lf = format!("{HEADER}\nA > B,1,5,2\nC,0,0,3\nA > B,2,1,0\n");
    let cr = lf.replace('\n', "\r");
    let crlf = lf.replace('\n', "\r\n");
    let (t_lf, n_lf, _) = both(&lf, &opts()).unwrap();
    assert_eq!(n_lf, 3);
    for text in [&cr, &crlf] {
        let (t, n, skipped) = both(text, &opts()).unwrap();
        assert_eq!((n, skipped), (3, 0));
        assert_eq!(rows(&t), rows(&t_lf));
    }
    // Line numbers count CR line ends too.
    let bad = format!("{HEADER}\rA,1,0,0\rB,x,0,0\r");
    let e = both(&bad, &opts()).unwrap_err();
    assert!(e.starts_with("line 3:"), "{e}");
}

#[test]
fn bare_cr_inside_a_row_is_a_line_end_on_both_parsers() {
    // A bare CR ends the row on both parsers (as in the event reader and the csv crate), so the
    // two halves are bad rows, with or without a quote elsewhere in the file.
    let plain = format!("{HEADER}\nA > B \r> C,1,0,0\nD,1,0,0\n");
    let quoted = format!("{HEADER}\nA > B \r> C,1,0,0\n\"D\",1,0,0\n");
    for text in [&plain, &quoted] {
        let e = both(text, &opts()).unwrap_err();
        assert!(e.starts_with("line 2:"), "{e}");
        let (t, n, skipped) = both(text, &skip()).unwrap();
        assert_eq!((n, skipped), (1, 2));
        assert_eq!(rows(&t), [("D".to_string(), Outcome::converted(1.0, 0.0))]);
    }
}

#[test]
fn bom_at_the_start_of_the_first_data_row_is_dropped_by_both_parsers() {
    for text in [
        format!("{HEADER}\n\u{feff}A,1,0,0\n"),
        format!("\u{feff}{HEADER}\n\u{feff}A,1,0,0\n"),
        format!("{HEADER}\n\u{feff}A,1,0,0\n\"B\",1,0,0\n"),
    ] {
        let (t, _, _) = both(&text, &opts()).unwrap();
        assert!(t.channels().get("A").is_some(), "{text:?}");
        assert!(t.channels().get("\u{feff}A").is_none());
    }
}

#[test]
fn events_skip_bad_rows_are_listed_like_paths() {
    let text = "user_id,timestamp,channel,conversion,value\n\
                u1,2024-01-01T00:00:00Z,A,0,\n\
                u1,not a time,B,0,\n\
                u1,2024-01-02T00:00:00Z,,1,5\n\
                ,2024-01-02T00:00:00Z,C,0,\n";
    let o = EventOptions {
        bad_rows: BadRows::Skip,
        ..EventOptions::default()
    };
    let (_, report) = read_events(text.as_bytes(), &o).unwrap();
    let lines = report.skip_warnings("ev.csv", 5);
    assert_eq!(lines.len(), 3, "{lines:?}");
    assert_eq!(lines[0], "ev.csv: skipped 2 bad rows");
    assert!(lines[1].starts_with("ev.csv:3: timestamp:"), "{lines:?}");
    assert!(
        lines[2].starts_with("ev.csv:5: user_id: empty"),
        "{lines:?}"
    );
    // The pipeline's warnings (what the CLI prints) list event skips as path skips.
    let loaded = touchpoint::pipeline::load(touchpoint::pipeline::Input::EventReader {
        reader: Box::new(std::io::Cursor::new(text.as_bytes().to_vec())),
        read: o.clone(),
        journeys: JourneyOptions::default(),
    })
    .unwrap();
    let warned = loaded.warnings().into_iter().any(|w| {
        matches!(w, touchpoint::pipeline::InputWarning::SkippedRows { count: 2, ref first }
            if first.len() == 2 && first[0].0.line == 3)
    });
    assert!(warned, "{:?}", loaded.warnings());
    // The same function lists path skips, so both look alike.
    let paths = format!("{HEADER}\nA,1,0,0\nB,x,0,0\n");
    let (_, pr) = read_paths(paths.as_bytes(), &skip()).unwrap();
    assert_eq!(
        pr.skip_warnings("p.csv", 5),
        skip_warnings("p.csv", pr.skipped, &pr.skipped_details, 5)
    );
    assert_eq!(pr.skip_warnings("p.csv", 5)[0], "p.csv: skipped 1 bad rows");
    assert_eq!(
        pr.skip_warnings("p.csv", 0)[0],
        "p.csv: skipped 1 bad rows (first 0 listed)"
    );
}

#[test]
fn jsonl_big_integer_user_ids_stay_distinct() {
    let text = "{\"user_id\": 98765432109876543210, \"timestamp\": 1704067200, \"channel\": \"A\"}\n\
                {\"user_id\": 98765432109876543211, \"timestamp\": 1704067200, \"channel\": \"B\"}\n\
                {\"user_id\": 98765432109876543210, \"timestamp\": 1704067300, \"conversion\": 1}\n\
                {\"user_id\": 98765432109876543211, \"timestamp\": 1704067300, \"conversion\": 1}\n";
    let (log, report) = read_events(text.as_bytes(), &EventOptions::default()).unwrap();
    assert_eq!(report.rows, 4);
    assert_eq!(log.users(), 2);
    let (t, _) = paths_from_events(
        text.as_bytes(),
        &EventOptions::default(),
        &JourneyOptions::default(),
    )
    .unwrap();
    // Two journeys of one touch each, not one journey A > B with two conversions.
    assert_eq!(t.len(), 2);
    assert_eq!(t.totals().conversions, 2.0);
}

#[test]
fn jsonl_duplicated_key_is_an_error_naming_the_line() {
    let text = "{\"user_id\": \"u\", \"timestamp\": 1704067200, \"channel\": \"A\"}\n\
                {\"user_id\": \"u\", \"timestamp\": 1704067200, \"channel\": \"A\", \"channel\": \"B\"}\n";
    match read_events(text.as_bytes(), &EventOptions::default()) {
        Err(Error::Parse { at, problem }) => {
            assert_eq!(at.line, 2);
            assert_eq!(
                problem,
                ParseProblem::DuplicateKey {
                    key: "channel".into()
                }
            );
        }
        other => panic!("expected a duplicate-key error, got {other:?}"),
    }
}

#[test]
fn summing_equal_paths_that_overflows_is_an_error_naming_the_row() {
    for text in [
        format!("{HEADER}\nA,1e308,0,0\nB,1,0,0\nA,1e308,0,0\n"),
        format!("{HEADER}\nA,1e308,0,0\nB,1,0,0\n\"A\",1e308,0,0\n"),
    ] {
        let e = read_paths(text.as_bytes(), &opts()).unwrap_err();
        match &e {
            Error::Parse {
                at,
                problem: ParseProblem::InvalidCount { field, value, .. },
            } => {
                assert_eq!(at.line, 4, "{e}");
                assert_eq!(field, "total_conversions");
                assert!(value.is_infinite());
            }
            other => panic!("expected an overflow error, got {other:?}"),
        }
        // Skipping keeps the first row and reports the second.
        let (t, r) = read_paths(text.as_bytes(), &skip()).unwrap();
        assert_eq!((r.rows, r.skipped), (2, 1));
        assert!(t.totals().conversions.is_finite());
        let a = Participation::normalized().attribute(&t).unwrap();
        assert!(a.conversions("A") > 0.0);
    }
    // Distinct paths whose total overflows: an error too (no model would give a number).
    let text = format!("{HEADER}\nA,1e308,0,0\nB,1e308,0,0\n");
    assert!(matches!(
        read_paths(text.as_bytes(), &opts()),
        Err(Error::InvalidCount { .. })
    ));
    // Through the API: the row is refused and the table left as it was.
    let mut t = PathTable::new();
    t.add(["A"], Outcome::converted(1e308, 0.0)).unwrap();
    assert!(t.add(["A"], Outcome::converted(1e308, 0.0)).is_err());
    assert_eq!(t.totals().conversions, 1e308);
    let mut other = PathTable::new();
    other.add(["A"], Outcome::converted(1e308, 0.0)).unwrap();
    assert!(matches!(t.merge(&other), Err(Error::Merge { .. })));
}

#[test]
fn empty_separator_is_refused() {
    let text = format!("{HEADER}\nA > B,1,0,0\n");
    let o = PathCsvOptions {
        separator: String::new(),
        ..PathCsvOptions::default()
    };
    assert!(matches!(
        read_paths(text.as_bytes(), &o),
        Err(Error::InvalidParameter {
            name: "separator",
            ..
        })
    ));
    // A blank separator still splits on whitespace, as documented.
    let o = PathCsvOptions {
        separator: " ".into(),
        ..PathCsvOptions::default()
    };
    let (t, _) = read_paths(format!("{HEADER}\nA B,1,0,0\n").as_bytes(), &o).unwrap();
    assert_eq!(t.to_named_rows()[0].0, ["A", "B"]);
}

#[test]
fn unterminated_quote_says_so() {
    for text in [
        format!("{HEADER}\nA,1,0,0\n\"B > C,1,0,0\nD,1,0,0\n"),
        format!("{HEADER}\nA,1,0,0\n\"B > C,1,0,0\n"),
    ] {
        match read_paths(text.as_bytes(), &opts()) {
            Err(Error::Parse { at, problem }) => {
                assert_eq!(at.line, 3);
                assert_eq!(problem, ParseProblem::UnterminatedQuote);
            }
            other => panic!("expected an unterminated quote, got {other:?}"),
        }
    }
    // The event reader says so too.
    let events = "user_id,timestamp,channel\nu,1,A\n\"u,2,B\nu,3,C\n";
    match read_events(events.as_bytes(), &EventOptions::default()) {
        Err(Error::Parse { at, problem }) => {
            assert_eq!(at.line, 3);
            assert_eq!(problem, ParseProblem::UnterminatedQuote);
        }
        other => panic!("expected an unterminated quote, got {other:?}"),
    }
    // A quote inside an unquoted field is a plain character, not an open quote.
    let text = format!("{HEADER}\nA\"B,1,0,0\n");
    let (t, _) = read_paths(text.as_bytes(), &opts()).unwrap();
    assert!(t.channels().get("A\"B").is_some());
}

#[test]
fn wrong_delimiter_says_which_one_the_header_uses() {
    let text = format!("{HEADER}\nA,1,0,0\n");
    let o = PathCsvOptions {
        delimiter: Some(b';'),
        ..PathCsvOptions::default()
    };
    match read_paths(text.as_bytes(), &o) {
        Err(Error::Parse { at, problem }) => {
            assert_eq!(at.line, 1);
            assert_eq!(
                problem,
                ParseProblem::WrongDelimiter {
                    given: ';',
                    detected: ','
                }
            );
        }
        other => panic!("expected a wrong-delimiter error, got {other:?}"),
    }
    let events = "user_id,timestamp,channel\nu,1,A\n";
    let o = EventOptions {
        delimiter: Some(b';'),
        ..EventOptions::default()
    };
    assert!(matches!(
        read_events(events.as_bytes(), &o),
        Err(Error::Parse {
            problem: ParseProblem::WrongDelimiter { .. },
            ..
        })
    ));
}

#[test]
fn whitespace_only_line_is_skipped_like_a_blank_line() {
    let text = format!("{HEADER}\nA,1,0,0\n   \n\t\nB,1,0,0\n \r\n");
    let (t, n, skipped) = both(&text, &opts()).unwrap();
    assert_eq!((n, skipped, t.len()), (2, 0, 2));
    // A line of delimiters is a record (of empty fields), on both parsers.
    let commas = format!("{HEADER}\nA,1,0,0\n,\n");
    assert!(both(&commas, &opts()).unwrap_err().starts_with("line 3:"));
    let quoted = format!("{HEADER}\n\"A\",1,0,0\n,\n");
    assert!(both(&quoted, &opts()).unwrap_err().starts_with("line 3:"));
    // Line numbers after the blank lines are still right.
    let bad = format!("{HEADER}\nA,1,0,0\n   \nB,x,0,0\n");
    assert!(both(&bad, &opts()).unwrap_err().starts_with("line 4:"));
}

#[test]
fn huge_header_is_truncated_in_the_error() {
    let header = format!("{}\n", "x".repeat(10_000_000));
    let e = read_paths(header.as_bytes(), &opts())
        .unwrap_err()
        .to_string();
    assert!(e.len() < 1000, "{} bytes of error", e.len());
    assert!(e.contains("more bytes"), "{e}");
    let header = format!("path,{}\n", "y".repeat(10_000_000));
    let e = read_paths(header.as_bytes(), &opts())
        .unwrap_err()
        .to_string();
    assert!(e.len() < 1000, "{} bytes of error", e.len());
    let events = format!("user_id,{}\n", "z".repeat(10_000_000));
    let e = read_events(events.as_bytes(), &EventOptions::default())
        .unwrap_err()
        .to_string();
    assert!(e.len() < 1000, "{} bytes of error", e.len());
}

#[test]
fn no_conversions_when_every_conversion_was_unattributed_says_so_with_the_count() {
    // The message the CLI prints when the built table has no conversion but events did.
    let e = Error::AllConversionsUnattributed {
        conversions: 3.0,
        events: 2,
    };
    let msg = e.to_string();
    assert!(
        msg.contains("all 3 conversions (2 conversion events) were unattributed"),
        "{msg}"
    );
    // And the situation it describes: conversions with no touch in the window.
    let text = "user_id,timestamp,channel,conversion,value\n\
                u1,2024-01-01T00:00:00Z,,1,\n\
                u2,2024-01-01T00:00:00Z,,2,\n";
    let (t, report) = paths_from_events(
        text.as_bytes(),
        &EventOptions::default(),
        &JourneyOptions::default(),
    )
    .unwrap();
    assert_eq!(t.totals().conversions, 0.0);
    assert_eq!(report.journeys.unattributed_events, 2);
    assert_eq!(report.journeys.unattributed_conversions, 3.0);
    // The pipeline (and so the CLI) stops with that message.
    let e = touchpoint::pipeline::load(touchpoint::pipeline::Input::EventReader {
        reader: Box::new(std::io::Cursor::new(text.as_bytes().to_vec())),
        read: EventOptions::default(),
        journeys: JourneyOptions::default(),
    })
    .unwrap_err();
    assert!(matches!(
        e,
        Error::AllConversionsUnattributed { events: 2, .. }
    ));
}
