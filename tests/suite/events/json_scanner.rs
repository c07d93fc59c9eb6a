//! The JSON Lines byte scanner against serde_json alone (`read_events_serde_only`): the same
//! journeys, reports, skips and errors with their line numbers, on generated logs with every
//! option that changes which keys are read, and on lines the scanner hands to serde.

use touchpoint::events::read_events_serde_only;

use super::*;

/// `text` read as JSON Lines by both readers, strict and skipping: their logs, reports and
/// errors must be equal. Returns the skipping report and the strict error, if any.
fn both(text: &str, read: &EventOptions) -> (touchpoint::events::EventReadReport, Option<String>) {
    let mut strict_error = None;
    let mut skip_report = None;
    for bad_rows in [BadRows::Error, BadRows::Skip] {
        let o = EventOptions {
            format: Some(EventFormat::JsonLines),
            bad_rows,
            ..read.clone()
        };
        match (
            read_events(text.as_bytes(), &o),
            read_events_serde_only(text.as_bytes(), &o),
        ) {
            (Ok((mut la, ra)), Ok((mut lb, rb))) => {
                assert_eq!(ra, rb);
                let j = JourneyOptions::default();
                assert_eq!(la.build(&j).unwrap(), lb.build(&j).unwrap());
                if bad_rows == BadRows::Skip {
                    skip_report = Some(ra);
                }
            }
            (Err(a), Err(b)) => {
                assert_eq!(a.to_string(), b.to_string());
                strict_error = Some(a.to_string());
            }
            (a, b) => panic!("{:?} vs {:?}", a.map(|x| x.1), b.map(|x| x.1)),
        }
    }
    (
        skip_report.expect("a skipping read never fails here"),
        strict_error,
    )
}

fn synth_jsonl(opts: SynthOptions) -> String {
    let mut out = Vec::new();
    SynthEvents::new(opts)
        .unwrap()
        .write_jsonl(&mut out)
        .unwrap();
    String::from_utf8(out).unwrap()
}

#[test]
fn generated_logs_read_the_same_with_every_key_option() {
    let plain = synth_jsonl(SynthOptions {
        events: 30_000,
        seed: 11,
        ..Default::default()
    });
    let (r, e) = both(&plain, &EventOptions::default());
    assert_eq!((r.rows, r.skipped, e), (30_000, 0, None));
    let millis = synth_jsonl(SynthOptions {
        events: 5_000,
        seed: 12,
        epoch_millis: true,
        campaigns_per_channel: 3,
        ..Default::default()
    });
    // Campaign levels; the channel read twice (a name serving two roles); renamed columns
    // that are absent (every row then fails the same way); no value and order columns.
    let levels = EventOptions {
        key_columns: vec!["campaign".into()],
        ..EventOptions::default()
    };
    let twice = EventOptions {
        key_columns: vec!["channel".into()],
        ..EventOptions::default()
    };
    let absent = EventOptions {
        user_column: "uid".into(),
        ..EventOptions::default()
    };
    let fewer = EventOptions {
        value_column: None,
        order_column: None,
        ..EventOptions::default()
    };
    let source_medium = EventOptions {
        channel: ChannelInput::SourceMedium {
            source: "channel".into(),
            medium: "campaign".into(),
            campaign: None,
            rules: ChannelRules::default(),
        },
        ..EventOptions::default()
    };
    for read in [&levels, &twice, &absent, &fewer, &source_medium] {
        let (r, _) = both(&millis, read);
        assert_eq!(r.rows + r.skipped, 5_000);
    }
    let (r, e) = both(&millis, &absent);
    assert_eq!((r.rows, r.skipped), (0, 5_000));
    assert!(e.unwrap().contains("line 1"));
    let (r, _) = both(&millis, &twice);
    assert_eq!(r.rows, 5_000);
}

/// Lines the scanner reads and lines it hands over, mixed: the handed-over ones keep their
/// line numbers, serde's messages and the skip count.
#[test]
fn handed_over_lines_keep_their_lines_and_problems() {
    let lines = [
        r#"{"user_id":"u1","timestamp":"2024-01-01T00:00:00Z","channel":"caf\u00e9"}"#,
        r#"{"user_id":"u1","timestamp":"2024-01-02T00:00:00Z","channel":"Email","ctx":{"a":1}}"#,
        r#"{"user_id":"u1","timestamp":"2024-01-03T00:00:00Z","channel":["Email"]}"#,
        "",
        r#"{"user_id":"u1","timestamp":"2024-01-04T00:00:00Z","channel":"A","channel":"B"}"#,
        r#"{"user_id":"u1","timestamp":"2024-01-05T00:00:00Z","conversion":1,"value":01}"#,
        r#"{"user_id":"u1","timestamp":"2024-01-05T00:00:00Z","channel":"\ud83d"}"#,
        r#"{"user_id":"u1","timestamp":"2024-01-06T00:00:00Z","conversion":1,"value":12.5}"#,
    ];
    let text = lines.join("\n");
    let (r, e) = both(&text, &EventOptions::default());
    // Bad: line 3 (an array), 5 (a duplicate key), 6 (`01`), 7 (a lone surrogate).
    assert_eq!((r.rows, r.skipped), (3, 4));
    let at: Vec<u64> = r.skipped_details.iter().map(|(l, _)| l.line).collect();
    assert_eq!(at, [3, 5, 6, 7]);
    assert!(matches!(
        r.skipped_details[1].1,
        ParseProblem::DuplicateKey { ref key } if key == "channel"
    ));
    assert!(e.unwrap().contains("line 3"));
    // The good lines, by hand: café then Email, converting at 12.5.
    let o = EventOptions {
        bad_rows: BadRows::Skip,
        ..EventOptions::default()
    };
    let (table, _) = paths_from_events(text.as_bytes(), &o, &JourneyOptions::default()).unwrap();
    assert_eq!(paths(&table), ["café>Email"]);
    assert_eq!(table.totals().value, 12.5);
}
