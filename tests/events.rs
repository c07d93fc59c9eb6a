//! Journeys from event logs: hand-computed journeys, readers, bad rows, the time decay example
//! of the model reference (§Time decay) from events, and the P16 properties (§Properties).

use chrono::TimeDelta;
use proptest::prelude::*;
use rand::rngs::Xoshiro256PlusPlus;
use rand::{RngExt, SeedableRng};
use touchpoint::events::synth::{SynthEvents, SynthOptions};
use touchpoint::events::{
    ChannelInput, ChannelRules, EpochUnit, EventFormat, EventLog, EventOptions, EventsReport,
    JourneyOptions, JourneyReport, paths_from_events, read_events,
};
use touchpoint::formats::{BadRows, write_paths};
use touchpoint::{
    AttributionModel, Error, Linear, Location, Outcome, ParseProblem, PathTable, RuleBased,
    TimeDecay,
};

const HOUR: i64 = 3_600_000_000;
const DAY: i64 = 24 * HOUR;
/// 2024-01-01T00:00:00Z in µs.
const JAN1: i64 = 1_704_067_200_000_000;
const HEADER: &str = "user_id,timestamp,channel,conversion,value\n";

fn build(text: &str) -> (PathTable, EventsReport) {
    build_with(text, &EventOptions::default(), &JourneyOptions::default())
}

fn build_with(text: &str, read: &EventOptions, opts: &JourneyOptions) -> (PathTable, EventsReport) {
    paths_from_events(text.as_bytes(), read, opts).unwrap()
}

/// Rows as `(path, outcome, times relative to JAN1 in hours, conversion time in hours)`.
/// `(path, outcome, touch times, conversion time)` of a row.
type RowView = (String, Outcome, Option<Vec<i64>>, Option<i64>);

fn rows(t: &PathTable) -> Vec<RowView> {
    t.rows()
        .map(|r| {
            let names: Vec<_> = r.path.iter().map(|&id| t.channels().name(id)).collect();
            let hours = |us: i64| (us - JAN1) / HOUR;
            (
                names.join(">"),
                r.outcome,
                r.times.map(|ts| ts.iter().map(|&x| hours(x)).collect()),
                r.converted_at.map(hours),
            )
        })
        .collect()
}

fn paths(t: &PathTable) -> Vec<String> {
    rows(t).into_iter().map(|r| r.0).collect()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

// ---------------------------------------------------------------------------------------------
// Hand-computed journeys

#[test]
fn reset_after_conversion_window_and_null_journey() {
    // u: A d0, B d10, buy d20 (50); C d21; buy d60 (2 conversions, 8): C is 39 days before it,
    // outside the 30-day window → dropped, the conversion is unattributed; D d61, E d70 → null.
    let text = format!(
        "{HEADER}\
         u,2024-01-11T00:00:00Z,B,0,\n\
         u,2024-01-01T00:00:00Z,A,0,\n\
         u,2024-03-01T00:00:00Z,,2,8\n\
         u,2024-01-21T00:00:00Z,,1,50\n\
         u,2024-01-22T00:00:00Z,C,0,\n\
         u,2024-03-02T00:00:00Z,D,0,\n\
         u,2024-03-11T00:00:00Z,E,0,\n"
    );
    let (t, rep) = build(&text);
    assert_eq!(
        rows(&t),
        [
            (
                "A>B".into(),
                Outcome::converted(1.0, 50.0),
                Some(vec![0, 240]),
                Some(480)
            ),
            (
                "D>E".into(),
                Outcome::null(1.0),
                Some(vec![61 * 24, 70 * 24]),
                None
            ),
        ]
    );
    let j = &rep.journeys;
    assert_eq!(
        (j.journeys, j.converting_journeys, j.null_journeys),
        (2, 1, 1)
    );
    assert_eq!((j.conversions, j.value), (1.0, 50.0));
    assert_eq!(j.unattributed_events, 1);
    assert_eq!(
        (j.unattributed_conversions, j.unattributed_value),
        (2.0, 8.0)
    );
    assert_eq!(j.dropped_touches, 1);
    assert_eq!((j.touches, j.touches_in_journeys), (5, 4));
    assert_eq!(
        (rep.read.rows, rep.read.touch_rows, rep.read.conversion_rows),
        (7, 5, 2)
    );
    // the dropped-only channel is still known (credited 0 by every model)
    let credit = TimeDecay::default().attribute(&t).unwrap();
    assert_eq!(credit.conversions("C"), 0.0);
    assert!(credit.get("C").is_some());
}

#[test]
fn window_edge_is_inclusive() {
    // conversion 2024-01-31T00:00:00Z; a touch exactly 30 days before is in, 1 ms earlier is out
    let text = format!(
        "{HEADER}\
         in,2024-01-01T00:00:00Z,Edge,0,\n\
         in,2024-01-31T00:00:00Z,,1,1\n\
         out,2023-12-31T23:59:59.999Z,Early,0,\n\
         out,2024-01-31T00:00:00Z,,1,1\n"
    );
    let (t, rep) = build(&text);
    assert_eq!(paths(&t), ["Edge"]);
    assert_eq!(rep.journeys.dropped_touches, 1);
    assert_eq!(rep.journeys.unattributed_events, 1);
    // a 7-day lookback drops Edge too; no lookback keeps Early
    let week = JourneyOptions {
        lookback: Some(TimeDelta::days(7)),
        ..Default::default()
    };
    let (t, rep) = build_with(&text, &EventOptions::default(), &week);
    assert!(t.is_empty());
    assert_eq!(rep.journeys.unattributed_events, 2);
    let all = JourneyOptions {
        lookback: None,
        ..Default::default()
    };
    let (t, _) = build_with(&text, &EventOptions::default(), &all);
    assert_eq!(paths(&t), ["Edge", "Early"]);
}

#[test]
fn ties_keep_input_order_and_get_equal_decay_weight() {
    // X and Y at the same instant (Y first in the file); the conversion shares that instant: the
    // touch written before it belongs to it, the touch written after it starts the next journey.
    let text = format!(
        "{HEADER}\
         u,2024-01-01T00:00:00Z,Y,0,\n\
         u,2024-01-01T00:00:00Z,X,0,\n\
         u,2024-01-02T00:00:00Z,Z,0,\n\
         u,2024-01-02T00:00:00Z,,1,12\n\
         u,2024-01-02T00:00:00Z,W,0,\n"
    );
    let (t, _) = build(&text);
    assert_eq!(paths(&t), ["Y>X>Z", "W"]);
    // Y and X are tied: equal weight 2^(-1/7) each, Z weight 1 (H = 7 days, Δ = 1 day)
    let pc = TimeDecay::default().path_credit(&t).unwrap();
    let f = pc.fractions(0);
    let w = 2f64.powf(-1.0 / 7.0);
    assert!(close(f[0], w / (2.0 * w + 1.0)) && close(f[1], f[0]));
    assert!(close(f[2], 1.0 / (2.0 * w + 1.0)));
}

#[test]
fn offsets_are_converted_to_utc_before_sorting() {
    // 01:00+02:00 is 23:00Z the day before: earlier than 23:30Z although its text is later
    let text = format!(
        "{HEADER}\
         u,2024-03-09T23:30:00Z,Second,0,\n\
         u,2024-03-10T01:00:00+02:00,First,0,\n\
         u,2024-03-09T20:00:00-05:00,,1,1\n"
    );
    let (t, _) = build(&text);
    let r = t.row(0);
    assert_eq!(paths(&t), ["First>Second"]);
    let at = |s| touchpoint::events::parse_timestamp(s, EpochUnit::Auto).unwrap();
    assert_eq!(
        r.times.unwrap(),
        [at("2024-03-09T23:00:00Z"), at("2024-03-09T23:30:00Z")]
    );
    assert_eq!(r.converted_at, Some(at("2024-03-10T01:00:00Z")));
}

#[test]
fn epoch_seconds_millis_micros_and_rfc3339_agree() {
    let events = [
        ("a", JAN1, "A", ""),
        ("a", JAN1 + 2 * DAY + 500_000, "B", ""),
        ("a", JAN1 + 3 * DAY, "", "1"),
        ("b", JAN1 + DAY + 250_000, "B", ""),
    ];
    let render = |f: &dyn Fn(i64) -> String| {
        let mut s = HEADER.to_string();
        for (u, t, c, conv) in events {
            s += &format!(
                "{u},{},{c},{conv},{}\n",
                f(t),
                if conv.is_empty() { "" } else { "5" }
            );
        }
        s
    };
    let rfc = render(&|t| {
        chrono::DateTime::from_timestamp_micros(t)
            .unwrap()
            .with_timezone(&chrono::FixedOffset::east_opt(-7 * 3600).unwrap())
            .to_rfc3339()
    });
    let secs = render(&|t| format!("{}.{:06}", t / 1_000_000, t % 1_000_000));
    let millis = render(&|t| (t / 1000).to_string());
    let micros = render(&|t| t.to_string());
    let (reference, _) = build(&rfc);
    assert_eq!(paths(&reference), ["A>B", "B"]);
    for other in [&secs, &millis, &micros] {
        assert_eq!(build(other).0, reference, "{other}");
    }
    // an explicit unit reads small numbers the magnitude rule would call seconds
    let explicit = EventOptions {
        epoch_unit: EpochUnit::Millis,
        ..Default::default()
    };
    let (t, _) = build_with(
        &format!("{HEADER}u,1000,A,0,\nu,2000,,1,\n"),
        &explicit,
        &JourneyOptions::default(),
    );
    assert_eq!(t.row(0).times, Some(&[1_000_000i64][..]));
}

#[test]
fn conversion_counts_values_and_converting_rows_with_a_channel() {
    let text = format!(
        "{HEADER}\
         u,2024-01-01T00:00:00Z,Email,2,30\n\
         v,2024-01-01T00:00:00Z,Search,0,\n\
         v,2024-01-02T00:00:00Z,,true,\n"
    );
    let (t, rep) = build(&text);
    assert_eq!(
        rows(&t),
        [
            (
                "Email".into(),
                Outcome::converted(2.0, 30.0),
                Some(vec![0]),
                Some(0)
            ),
            (
                "Search".into(),
                Outcome::converted(1.0, 0.0),
                Some(vec![0]),
                Some(24)
            ),
        ]
    );
    assert_eq!(rep.journeys.conversions, 3.0);
    // when a converting row's channel is not a touch, u's conversion has no touch
    let no_touch = EventOptions {
        conversion_row_is_touch: false,
        ..Default::default()
    };
    let (t, rep) = build_with(&text, &no_touch, &JourneyOptions::default());
    assert_eq!(paths(&t), ["Search"]);
    assert_eq!(rep.journeys.unattributed_conversions, 2.0);
    assert_eq!(rep.journeys.unattributed_value, 30.0);
    assert_eq!(rep.read.touch_rows, 1);
}

#[test]
fn inactivity_split_and_repeat_merge_from_a_file() {
    // minutes: A 0, A 10, B 20, A 100, A 200 (no conversion → null journeys)
    let text = format!(
        "{HEADER}\
         u,2024-01-01T00:00:00Z,A,,\n\
         u,2024-01-01T00:10:00Z,A,,\n\
         u,2024-01-01T00:20:00Z,B,,\n\
         u,2024-01-01T01:40:00Z,A,,\n\
         u,2024-01-01T03:20:00Z,A,,\n"
    );
    let (t, _) = build(&text);
    assert_eq!(paths(&t), ["A>A>B>A>A"]);
    let opts = JourneyOptions {
        inactivity_timeout: Some(TimeDelta::minutes(30)),
        merge_repeats_within: Some(TimeDelta::minutes(15)),
        ..Default::default()
    };
    let (t, rep) = build_with(&text, &EventOptions::default(), &opts);
    // runs split at gaps > 30 min: [A A B] [A] [A]; A A (10 min apart) merge
    assert_eq!(paths(&t), ["A>B", "A", "A"]);
    assert_eq!(t.totals(), Outcome::null(3.0));
    assert_eq!(rep.journeys.merged_touches, 1);
    assert_eq!(rep.journeys.null_journeys, 3);
}

#[test]
fn source_medium_through_default_and_user_rules() {
    let text = "user_id,timestamp,source,medium,campaign,conversion,value\n\
                u,2024-01-01T00:00:00Z,google,cpc,spring,0,\n\
                u,2024-01-02T00:00:00Z,newsletter,email,weekly digest,0,\n\
                u,2024-01-03T00:00:00Z,(direct),(none),,0,\n\
                u,2024-01-04T00:00:00Z,,,,1,99\n";
    let read = EventOptions {
        channel: ChannelInput::source_medium(ChannelRules::default()),
        ..Default::default()
    };
    let (t, _) = build_with(text, &read, &JourneyOptions::default());
    assert_eq!(paths(&t), ["Paid Search>Email>Direct"]);
    let rules = ChannelRules::from_csv(
        "channel,medium,campaign\nDigest,email,*digest*\nAds,cpc|ppc,\nRest,,\n".as_bytes(),
    )
    .unwrap();
    let read = EventOptions {
        channel: ChannelInput::source_medium(rules),
        ..Default::default()
    };
    let (t, _) = build_with(text, &read, &JourneyOptions::default());
    assert_eq!(paths(&t), ["Ads>Digest>Rest"]);
    // a touch row without source and medium is a bad row naming both columns
    let bad = format!("{}u,2024-01-05T00:00:00Z,,,,0,\n", text);
    match paths_from_events(bad.as_bytes(), &read, &JourneyOptions::default()) {
        Err(Error::Parse {
            at,
            problem: ParseProblem::EmptyField { field },
        }) => {
            assert_eq!(at.line, 6);
            assert_eq!(field, "source and medium");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn untimed_table_is_the_deduplicated_timed_table() {
    let mut csv = Vec::new();
    let opts = SynthOptions {
        events: 3000,
        mean_touches: 3.0,
        conversion_rate: 0.2,
        seed: 11,
        ..Default::default()
    };
    SynthEvents::new(opts).unwrap().write_csv(&mut csv).unwrap();
    let text = String::from_utf8(csv).unwrap();
    let (timed, rep) = build(&text);
    let untimed_opts = JourneyOptions {
        keep_times: false,
        ..Default::default()
    };
    let (untimed, rep2) = build_with(&text, &EventOptions::default(), &untimed_opts);
    assert!(timed.has_times() && !untimed.has_times());
    assert_eq!(timed.without_times(), untimed);
    assert_eq!(rep, rep2);
    assert!(untimed.len() < timed.len());
    // and it writes as ChannelAttribution CSV, read back equal
    let mut out = Vec::new();
    write_paths(&timed, &mut out).unwrap();
    let (back, _) = touchpoint::formats::read_paths(&out[..], &Default::default()).unwrap();
    let mut back_known = back.clone();
    for (_, name) in untimed.channels().iter() {
        back_known.intern(name).unwrap();
    }
    assert_eq!(back_known, untimed);
}

// ---------------------------------------------------------------------------------------------
// Readers: formats, shuffling, bad rows

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

// ---------------------------------------------------------------------------------------------
// Time decay example (the model reference, §Time decay), half-life 7 days, from events

const O8_EVENTS: &str = "\
user_id,timestamp,channel,conversion,value
u3,1704153600000,A,0,
u1,2024-01-08T00:00:00Z,B,0,
u2,2024-01-11T14:00:00+02:00,,1,10
u1,2024-01-15T00:00:00Z,C,0,
u3,1704067200000,C,0,
u2,2024-01-01T00:00:00Z,B,0,
u1,2024-01-15T00:00:00Z,,1,70
u3,1704585600000,,1,1
u2,2024-01-04T07:00:00-05:00,A,0,
u1,2024-01-01T00:00:00Z,A,0,
u3,1704499200000,C,0,
";

#[test]
fn o8_time_decay_from_events() {
    // u1: A@0 > B@7 > C@14, conversion day 14, value 70
    // u2: B@0 > A@3.5, conversion day 10.5, value 10 (offsets +02:00 / -05:00)
    // u3: C@0 > A@1 > C@5, conversion day 6, value 1 (epoch milliseconds)
    let (table, rep) = build(O8_EVENTS);
    // rows in users' name order (the log's canonical order): u1, u2, u3
    assert_eq!(paths(&table), ["A>B>C", "B>A", "C>A>C"]);
    assert_eq!(rep.journeys.converting_journeys, 3);
    let credit = TimeDecay::default().attribute(&table).unwrap();
    for (ch, conv, value) in [
        ("A", 1.023479416995, 16.152700212780),
        ("B", 0.699927848087, 24.142135623731),
        ("C", 1.276592734918, 40.705164163489),
    ] {
        assert!(
            close(credit.conversions(ch), conv),
            "{ch}: {}",
            credit.conversions(ch)
        );
        assert!(close(credit.value(ch), value), "{ch}: {}", credit.value(ch));
    }
    // per journey (row 1, u2): B@0 > A@3.5 gives B √2 − 1, A 2 − √2
    let pc = TimeDecay::default().path_credit(&table).unwrap();
    let s = 2f64.sqrt();
    assert!(close(pc.fractions(1)[0], s - 1.0) && close(pc.fractions(1)[1], 2.0 - s));
    // the untimed table falls back to positional decay: a different answer
    let positional = TimeDecay::default()
        .attribute(&table.without_times())
        .unwrap();
    assert!((positional.conversions("A") - 1.023479416995).abs() > 1e-3);
}

// ---------------------------------------------------------------------------------------------
// P16 and journey-building properties

/// Events of a few users: (user, minute offset, channel or conversion value).
fn arb_events() -> impl Strategy<Value = Vec<(u8, u32, Option<u8>, u8)>> {
    prop::collection::vec(
        (0u8..4, 0u32..200_000, prop::option::of(0u8..4), 1u8..50),
        1..60,
    )
}

/// A log from generated events; times are made distinct per user (minute + index) so that the
/// order does not depend on the input order.
fn log_of(events: &[(u8, u32, Option<u8>, u8)], shift: i64) -> EventLog {
    let mut log = EventLog::new();
    for (i, &(u, m, ch, v)) in events.iter().enumerate() {
        let t = JAN1 + shift + i64::from(m) * 60_000_000 + i as i64;
        let user = format!("u{u}");
        match ch {
            Some(c) => log
                .add_touch(&user, t, ["A", "B", "C", "D"][c as usize])
                .unwrap(),
            None => log.add_conversion(&user, t, 1.0, f64::from(v)).unwrap(),
        }
    }
    log
}

fn accounting_holds(log: &EventLog, t: &PathTable, r: &JourneyReport) {
    assert_eq!(
        r.touches,
        r.touches_in_journeys + r.dropped_touches + r.merged_touches + r.truncated_touches
    );
    assert_eq!(r.touches, log.touches());
    assert_eq!(
        r.conversion_events,
        r.converting_journeys + r.unattributed_events
    );
    assert_eq!(r.journeys, r.converting_journeys + r.null_journeys);
    assert_eq!(t.touch_count() as u64, r.touches_in_journeys);
    let totals = t.totals();
    assert!(close(totals.conversions, r.conversions));
    assert!(close(totals.value, r.value));
    assert_eq!(totals.nulls, r.null_journeys as f64);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn building_is_order_free_and_accounts_for_everything(
        events in arb_events(),
        seed in any::<u64>(),
        lookback_h in 1i64..2000,
        merge in prop::option::of(0i64..600),
        timeout in prop::option::of(1i64..3000),
    ) {
        let opts = JourneyOptions {
            lookback: Some(TimeDelta::hours(lookback_h)),
            merge_repeats_within: merge.map(TimeDelta::minutes),
            inactivity_timeout: timeout.map(TimeDelta::minutes),
            ..Default::default()
        };
        let mut log = log_of(&events, 0);
        let (t, r) = log.build(&opts).unwrap();
        accounting_holds(&log, &t, &r);
        // the same events in another order (times are distinct per user)
        let mut shuffled: Vec<(usize, _)> = events.iter().copied().enumerate().collect();
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        for i in (1..shuffled.len()).rev() {
            shuffled.swap(i, rng.random_range(0..i as u64 + 1) as usize);
        }
        let mut log2 = EventLog::new();
        for &(i, (u, m, ch, v)) in &shuffled {
            let at = JAN1 + i64::from(m) * 60_000_000 + i as i64;
            let user = format!("u{u}");
            match ch {
                Some(c) => log2.add_touch(&user, at, ["A", "B", "C", "D"][c as usize]).unwrap(),
                None => log2.add_conversion(&user, at, 1.0, f64::from(v)).unwrap(),
            }
        }
        let (t2, r2) = log2.build(&opts).unwrap();
        prop_assert_eq!(t2, t);
        prop_assert_eq!(r2, r);
    }

    #[test]
    fn p16_time_decay_on_event_journeys(events in arb_events(), shift_days in -4000i64..4000) {
        let mut log = log_of(&events, 0);
        let (t, r) = log.build(&JourneyOptions::default()).unwrap();
        prop_assume!(r.conversions > 0.0);
        let td = TimeDecay::default();
        let credit = td.attribute(&t).unwrap();
        // efficiency: per-journey shares sum to 1, so credit sums to the conversions
        prop_assert!(close(credit.credited_conversions(), r.conversions));
        prop_assert!(close(credit.credited_value(), r.value));
        let pc = td.path_credit(&t).unwrap();
        for row in 0..t.len() {
            let f = pc.fractions(row);
            let times = t.row(row).times.unwrap();
            prop_assert!(f.iter().all(|&x| (0.0..=1.0).contains(&x)));
            prop_assert!(close(f.iter().sum::<f64>(), 1.0));
            // more recent ⇒ not less credit (times are sorted within a journey)
            for k in 1..f.len() {
                prop_assert!(times[k] >= times[k - 1]);
                prop_assert!(f[k] >= f[k - 1] * (1.0 - 1e-12));
            }
        }
        // reference-time invariance: shifting every event by the same amount changes nothing
        let (shifted, _) = log_of(&events, shift_days * DAY).build(&JourneyOptions::default()).unwrap();
        let credit2 = td.attribute(&shifted).unwrap();
        for c in &credit.channels {
            prop_assert!(close(c.conversions, credit2.conversions(&c.channel)));
            prop_assert!(close(c.value, credit2.value(&c.channel)));
        }
        // … nor does measuring from the last touch instead of the conversion time
        let mut last_touch = PathTable::new();
        for row in t.rows() {
            let names: Vec<_> = row.path.iter().map(|&id| t.channels().name(id)).collect();
            last_touch.add_timed(&names, row.times.unwrap(), None, row.outcome).unwrap();
        }
        let credit3 = td.attribute(&last_touch).unwrap();
        for c in &credit.channels {
            prop_assert!(close(c.conversions, credit3.conversions(&c.channel)));
        }
        // H → ∞ gives linear per touch (Δ ≤ 30 days, H = 10⁷ days: weights within 3e-6)
        let flat = TimeDecay { half_life: TimeDelta::days(10_000_000), ..td };
        let lin = Linear::default().attribute(&t).unwrap();
        let dec = flat.attribute(&t).unwrap();
        for c in &lin.channels {
            let d = dec.conversions(&c.channel);
            prop_assert!((d - c.conversions).abs() <= 1e-5 * r.conversions, "{} vs {}", d, c.conversions);
        }
    }
}
