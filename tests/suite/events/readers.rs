//! Readers: formats, shuffled rows, bad rows with their lines, renamed columns.

use super::*;

fn synth_text(events: u64, seed: u64, jsonl: bool) -> String {
    let opts = SynthOptions {
        events,
        seed,
        ..Default::default()
    };
    let mut out = Vec::new();
    let s = SynthEvents::new(opts).unwrap();
    if jsonl {
        s.write_jsonl(&mut out).unwrap();
    } else {
        s.write_csv(&mut out).unwrap();
    }
    String::from_utf8(out).unwrap()
}

#[test]
fn jsonl_and_csv_give_the_same_journeys() {
    let csv = synth_text(2000, 3, false);
    let jsonl = synth_text(2000, 3, true);
    let (a, ra) = build(&csv);
    let (b, rb) = build(&jsonl);
    assert_eq!(ra.read.format, EventFormat::Csv);
    assert_eq!(rb.read.format, EventFormat::JsonLines);
    assert_eq!(ra.journeys, rb.journeys);
    assert_eq!(ra.read.rows, 2000);
    assert_eq!(a, b);
    assert!(ra.journeys.converting_journeys > 10 && ra.journeys.null_journeys > 10);
    // JSON numbers, booleans, nulls and nested fields
    let nested = "{\"uid\": 7, \"at\": 1704067200, \"ctx\": {\"ch\": \"A\"}, \"buy\": false}\n\
                  {\"uid\": 7, \"at\": \"2024-01-02T00:00:00Z\", \"ctx\": {}, \"buy\": true, \"rev\": 12.5}\n";
    let read = EventOptions {
        user_column: "uid".into(),
        time_column: "at".into(),
        channel: ChannelInput::Column("/ctx/ch".into()),
        conversion_column: "buy".into(),
        value_column: Some("rev".into()),
        ..Default::default()
    };
    let (t, _) = build_with(nested, &read, &JourneyOptions::default());
    assert_eq!(
        rows(&t),
        [(
            "A".into(),
            Outcome::converted(1.0, 12.5),
            Some(vec![0]),
            Some(24)
        )]
    );
}

#[test]
fn shuffled_rows_give_the_same_table() {
    let csv = synth_text(3000, 5, false);
    let (reference, rref) = build(&csv);
    let mut lines: Vec<&str> = csv.lines().skip(1).collect();
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(99);
    for round in 0..3 {
        for i in (1..lines.len()).rev() {
            lines.swap(i, rng.random_range(0..i as u64 + 1) as usize);
        }
        let text = format!("{HEADER}{}\n", lines.join("\n"));
        let (t, r) = build(&text);
        assert_eq!(t, reference, "round {round}");
        // sums of values depend on the order users are met in, in the last bits only
        assert!(close(r.journeys.value, rref.journeys.value));
        let value = rref.journeys.value;
        assert_eq!(
            JourneyReport {
                value,
                ..r.journeys
            },
            rref.journeys
        );
    }
}

/// One bad line after a good one: the error names line 3 and the problem.
fn bad_line(line: &str) -> ParseProblem {
    let text = format!("{HEADER}u,2024-01-01T00:00:00Z,A,0,\n{line}\n");
    match read_events(text.as_bytes(), &EventOptions::default()) {
        Err(Error::Parse { at, problem }) => {
            assert_eq!(at, Location { line: 3, record: 1 }, "{line}");
            problem
        }
        other => panic!("{line}: {other:?}"),
    }
}

const BAD_LINES: [&str; 10] = [
    "u,not-a-time,A,0,",
    "u,2024-01-02 10:00:00,A,0,",
    ",2024-01-01T00:00:00Z,A,0,",
    "u,2024-01-02T00:00:00Z,,1,abc",
    "u,2024-01-02T00:00:00Z,,1,-5",
    "u,2024-01-02T00:00:00Z,,1,NaN",
    "u,2024-01-02T00:00:00Z,B,0,3",
    "u,2024-01-02T00:00:00Z,,0,",
    "u,2024-01-02T00:00:00Z,A,0",
    "u,2024-01-02T00:00:00Z,(start),0,",
];

#[test]
fn bad_rows_are_errors_with_their_line() {
    let p: Vec<ParseProblem> = BAD_LINES.iter().map(|l| bad_line(l)).collect();
    assert!(
        matches!(&p[0], ParseProblem::BadTimestamp { field, text } if field == "timestamp" && text == "not-a-time")
    );
    assert!(matches!(&p[1], ParseProblem::BadTimestamp { .. })); // no offset
    assert!(matches!(&p[2], ParseProblem::EmptyField { field } if field == "user_id"));
    assert!(
        matches!(&p[3], ParseProblem::NotANumber { field, text } if field == "value" && text == "abc")
    );
    assert!(matches!(&p[4], ParseProblem::InvalidCount { value, .. } if *value == -5.0));
    assert!(matches!(&p[5], ParseProblem::InvalidCount { value, .. } if value.is_nan()));
    assert!(
        matches!(&p[6], ParseProblem::InvalidCount { reason, .. } if reason.contains("not a conversion"))
    );
    assert!(matches!(&p[7], ParseProblem::EmptyField { field } if field == "channel"));
    assert!(matches!(
        &p[8],
        ParseProblem::FieldCount {
            expected: 5,
            found: 4
        }
    ));
    assert!(matches!(&p[9], ParseProblem::ReservedName { .. }));
    // header problems are line 1
    for (text, want) in [
        ("user_id,timestamp,conversion\n", "missing column `channel`"),
        ("", "empty"),
        ("user_id,user_id,timestamp,channel\n", "twice"),
    ] {
        let e = read_events(text.as_bytes(), &EventOptions::default()).unwrap_err();
        assert_eq!(e.location().map(|l| l.line), Some(1), "{text}");
        assert!(e.to_string().contains(want), "{e}");
    }
}

#[test]
fn skipped_rows_are_counted_with_their_lines() {
    let mut text = format!("{HEADER}u,2024-01-01T00:00:00Z,A,0,\n");
    for l in BAD_LINES {
        text += l;
        text += "\n";
    }
    text += "\nu,2024-01-03T00:00:00Z,,1,10\n";
    let skip = EventOptions {
        bad_rows: BadRows::Skip,
        ..Default::default()
    };
    let (t, rep) = build_with(&text, &skip, &JourneyOptions::default());
    assert_eq!(rep.read.rows, 2);
    assert_eq!(rep.read.skipped, 10);
    let lines: Vec<u64> = rep
        .read
        .skipped_details
        .iter()
        .map(|(at, _)| at.line)
        .collect();
    assert_eq!(lines, (3..=12).collect::<Vec<_>>());
    assert_eq!(
        rows(&t),
        [(
            "A".into(),
            Outcome::converted(1.0, 10.0),
            Some(vec![0]),
            Some(48)
        )]
    );
    // skipped rows add no user
    assert_eq!(rep.journeys.users, 1);
}

#[test]
fn jsonl_errors_count_lines_including_blank_ones() {
    let text = "\n{\"user_id\":\"u\",\"timestamp\":\"2024-01-01T00:00:00Z\",\"channel\":\"A\"}\n\n\
                {\"user_id\":\"u\",\"timestamp\":\"2024-01-01T00:00:00Z\",\"channel\":\"A\"\n\
                [1]\n\
                {\"user_id\":\"u\",\"timestamp\":true,\"channel\":\"A\"}\n\
                {\"timestamp\":1704067200,\"channel\":\"A\"}\n";
    let e = read_events(text.as_bytes(), &EventOptions::default()).unwrap_err();
    assert!(
        matches!(
            e,
            Error::Parse {
                at: Location { line: 4, record: 1 },
                problem: ParseProblem::Json(_)
            }
        ),
        "{e}"
    );
    let skip = EventOptions {
        bad_rows: BadRows::Skip,
        ..Default::default()
    };
    let (_, rep) = read_events(text.as_bytes(), &skip).unwrap();
    let lines: Vec<u64> = rep.skipped_details.iter().map(|(at, _)| at.line).collect();
    assert_eq!(lines, [4, 5, 6, 7]);
    assert!(matches!(
        rep.skipped_details[2].1,
        ParseProblem::BadTimestamp { .. }
    ));
    assert!(matches!(
        rep.skipped_details[3].1,
        ParseProblem::EmptyField { .. }
    ));
    assert_eq!(rep.rows, 1);
}

#[test]
fn semicolon_files_with_renamed_columns() {
    let text = "who;when;what;bought;revenue\nu;1704067200;A;;\nu;1704153600;;1;7,5\n";
    let read = EventOptions {
        user_column: "who".into(),
        time_column: "when".into(),
        channel: ChannelInput::Column("what".into()),
        conversion_column: "bought".into(),
        value_column: Some("revenue".into()),
        ..Default::default()
    };
    // `7,5` is not a number (decimal commas are refused, not guessed)
    let e = paths_from_events(text.as_bytes(), &read, &JourneyOptions::default()).unwrap_err();
    assert!(matches!(
        e,
        Error::Parse {
            at: Location { line: 3, .. },
            problem: ParseProblem::NotANumber { .. }
        }
    ));
    let text = text.replace("7,5", "7.5");
    let (t, rep) = build_with(&text, &read, &JourneyOptions::default());
    assert_eq!(rep.read.delimiter, Some(b';'));
    assert_eq!(
        rows(&t),
        [(
            "A".into(),
            Outcome::converted(1.0, 7.5),
            Some(vec![0]),
            Some(24)
        )]
    );
}
