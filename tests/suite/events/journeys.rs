//! Hand-computed journeys: reset, window edge, ties, offsets, epochs, counts, rules.

use super::*;

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
