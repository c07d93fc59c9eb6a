//! The incremental journey builder against the batch builder: any split into batches, any
//! arrival order within the allowed lateness, the same journeys; checkpoints that lose and
//! repeat nothing; late events counted or refused; keys from the readers.

use chrono::{DateTime, TimeDelta};
use proptest::prelude::*;
use touchpoint::events::{
    CHECKPOINT_VERSION, CheckpointProblem, EventLog, EventOptions, JourneyOptions, JourneyReport,
    JourneyStream, Journeys, LateEvents, NullJourneys, StreamConfig, read_events,
};
use touchpoint::{Error, Journey, Outcome};

const MIN: i64 = 60_000_000;
const HOUR: i64 = 60 * MIN;
/// 2024-01-01T00:00:00Z in µs.
const JAN1: i64 = 1_704_067_200_000_000;

/// One generated event: user, time (µs), channel (touch) or `(value, order id)` (conversion).
#[derive(Clone, Debug)]
struct Ev {
    user: u8,
    at: i64,
    channel: Option<u8>,
    value: u8,
    order: Option<u16>,
}

fn add(log: &mut EventLog, e: &Ev) {
    let user = format!("u{}", e.user);
    match (e.channel, e.order) {
        (Some(c), _) => log
            .add_touch(&user, e.at, ["A", "B", "C", "D"][c as usize])
            .unwrap(),
        (None, Some(o)) => log
            .add_conversion_with_id(&user, e.at, 1.0, f64::from(e.value), &format!("o{o}"))
            .unwrap(),
        (None, None) => log
            .add_conversion(&user, e.at, 1.0, f64::from(e.value))
            .unwrap(),
    }
}

/// Journeys in a canonical order (the stream closes them in time order, the batch builder user
/// by user).
fn sorted(mut j: Journeys) -> Journeys {
    j.journeys.sort_by_cached_key(|j| format!("{j:?}"));
    j.unattributed.sort_by_cached_key(|u| format!("{u:?}"));
    j
}

/// The batch builder on the events in the given order.
fn batch(events: &[Ev], opts: &JourneyOptions) -> (Journeys, JourneyReport) {
    let mut log = EventLog::new();
    for e in events {
        add(&mut log, e);
    }
    log.build_journeys(opts).unwrap()
}

/// Events in arrival order: each event arrives at its time plus a delay of at most `lateness`
/// (`delays[i]` per mille of it); ties of arrival keep the log order.
fn arrival_order(events: &[Ev], delays: &[u16], lateness: i64) -> Vec<Ev> {
    let mut keyed: Vec<(i64, usize)> = events
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let d = i64::from(delays.get(i).copied().unwrap_or(0));
            (e.at + lateness / 1000 * d, i)
        })
        .collect();
    keyed.sort();
    keyed.into_iter().map(|(_, i)| events[i].clone()).collect()
}

/// Feeds `arrived` in batches cut after the events flagged in `cuts`; at the batch boundaries
/// flagged in `kills` the stream is checkpointed, dropped and restored (closed journeys are
/// taken first, as a service commits them with the checkpoint). Optionally advances the clock
/// to the next batch's earliest arrival between batches (never past an event's lateness).
fn run_stream(
    config: &StreamConfig,
    arrived: &[Ev],
    cuts: &[bool],
    kills: &[bool],
    tick: bool,
) -> (Journeys, JourneyStream) {
    let mut stream = JourneyStream::new(config.clone()).unwrap();
    let mut out = Journeys::default();
    let mut batches: Vec<&[Ev]> = Vec::new();
    let mut start = 0;
    for i in 0..arrived.len() {
        if cuts.get(i).copied().unwrap_or(false) || i + 1 == arrived.len() {
            batches.push(&arrived[start..=i]);
            start = i + 1;
        }
    }
    let mut log = EventLog::new();
    for (b, events) in batches.iter().enumerate() {
        log.clear();
        for e in *events {
            add(&mut log, e);
        }
        let pushed = stream.push(&log).unwrap();
        assert_eq!(pushed.late, 0, "no event is later than the lateness");
        assert_eq!(pushed.accepted, events.len() as u64);
        if tick
            && let Some(earliest) = batches[b + 1..]
                .iter()
                .flat_map(|n| n.iter().map(|e| e.at))
                .min()
        {
            // a watermark at the earliest time still to come makes no event late
            let lateness = config.allowed_lateness.num_microseconds().unwrap();
            stream.advance(earliest + lateness).unwrap();
        }
        if kills.get(b).copied().unwrap_or(false) {
            let closed = stream.take_closed();
            out.journeys.extend(closed.journeys);
            out.unattributed.extend(closed.unattributed);
            let mut saved = Vec::new();
            stream.checkpoint(&mut saved).unwrap();
            drop(stream);
            stream = JourneyStream::restore(saved.as_slice()).unwrap();
        }
    }
    stream.flush().unwrap();
    let closed = stream.take_closed();
    out.journeys.extend(closed.journeys);
    out.unattributed.extend(closed.unattributed);
    (out, stream)
}

/// The stream's journeys, batches as in [`run_stream`], no restarts.
fn got_again(config: &StreamConfig, arrived: &[Ev], cuts: &[bool]) -> Journeys {
    run_stream(config, arrived, cuts, &[], false).0
}

fn arb_events() -> impl Strategy<Value = Vec<Ev>> {
    prop::collection::vec(
        (
            0u8..4,
            0i64..3000,
            prop::option::of(0u8..4),
            1u8..50,
            prop::option::weighted(0.3, 0u16..1000),
        ),
        1..70,
    )
    .prop_map(|v| {
        v.into_iter()
            .map(|(user, minute, channel, value, order)| Ev {
                user,
                // minutes on a coarse grid: ties at one microsecond happen
                at: JAN1 + minute * 10 * MIN,
                channel,
                value,
                order,
            })
            .collect()
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn any_batches_in_any_order_within_the_lateness_give_the_batch_journeys(
        events in arb_events(),
        delays in prop::collection::vec(0u16..=1000, 70),
        cuts in prop::collection::vec(any::<bool>(), 70),
        kills in prop::collection::vec(prop::bool::weighted(0.2), 70),
        lookback_h in 1i64..100,
        lateness_min in 0i64..600,
        timeout_min in prop::option::of(1i64..2000),
        merge_min in prop::option::of(0i64..100),
        max_touches in 1usize..6,
        tick in any::<bool>(),
    ) {
        let journeys = JourneyOptions {
            lookback: Some(TimeDelta::hours(lookback_h)),
            inactivity_timeout: timeout_min.map(TimeDelta::minutes),
            merge_repeats_within: merge_min.map(TimeDelta::minutes),
            max_touches,
            nulls: NullJourneys::Windowed,
            ..Default::default()
        };
        let config = StreamConfig {
            journeys: journeys.clone(),
            allowed_lateness: TimeDelta::minutes(lateness_min),
            late_events: LateEvents::Error,
        };
        let arrived = arrival_order(&events, &delays, lateness_min * MIN);
        let (want, want_report) = batch(&arrived, &journeys);
        let (got, stream) = run_stream(&config, &arrived, &cuts, &kills, tick);
        prop_assert_eq!(sorted(got), sorted(want));
        let report = stream.report();
        // users: the stream counts user states opened (a user can come back after eviction)
        prop_assert!(report.journeys.users >= want_report.users);
        prop_assert_eq!(
            JourneyReport { users: want_report.users, ..report.journeys },
            want_report
        );
        prop_assert_eq!((report.active_users, report.buffered_events), (0, 0));
        prop_assert_eq!(report.late.touches + report.late.conversion_events, 0);
        // without ties (one user, one microsecond) the order of the log does not matter: the
        // stream gives the batch builder's journeys on the log as written
        let mut keys: Vec<(u8, i64)> = events.iter().map(|e| (e.user, e.at)).collect();
        keys.sort();
        keys.dedup();
        if keys.len() == events.len() {
            let (in_log_order, _) = batch(&events, &journeys);
            prop_assert_eq!(sorted(in_log_order), sorted(got_again(&config, &arrived, &cuts)));
        }
    }

    #[test]
    fn a_restored_stream_continues_exactly_like_the_uninterrupted_one(
        events in arb_events(),
        delays in prop::collection::vec(0u16..=1000, 70),
        cuts in prop::collection::vec(any::<bool>(), 70),
        kills in prop::collection::vec(any::<bool>(), 70),
        lateness_min in 0i64..600,
    ) {
        let config = StreamConfig {
            journeys: JourneyOptions {
                lookback: Some(TimeDelta::hours(30)),
                nulls: NullJourneys::Windowed,
                ..Default::default()
            },
            allowed_lateness: TimeDelta::minutes(lateness_min),
            ..Default::default()
        };
        let arrived = arrival_order(&events, &delays, lateness_min * MIN);
        let (plain, a) = run_stream(&config, &arrived, &cuts, &[], false);
        let (restored, b) = run_stream(&config, &arrived, &cuts, &kills, false);
        // the same journeys in the same order, and the same counts to the last bit
        prop_assert_eq!(restored, plain);
        prop_assert_eq!(b.report(), a.report());
    }
}

#[test]
fn a_conversion_waits_for_the_watermark_and_late_touches_still_count() {
    let config = StreamConfig {
        allowed_lateness: TimeDelta::hours(2),
        ..Default::default()
    };
    let mut s = JourneyStream::new(config).unwrap();
    let mut log = EventLog::new();
    log.add_touch("u", JAN1, "A").unwrap();
    log.add_conversion("u", JAN1 + 3 * HOUR, 1.0, 9.0).unwrap();
    let r = s.push(&log).unwrap();
    assert_eq!((r.accepted, r.closed), (2, 0));
    assert_eq!(r.watermark, Some(JAN1 + HOUR));
    // a touch 1 h before the conversion, arriving 2 h after it: at the watermark, not late
    log.clear();
    log.add_touch("u", JAN1 + 2 * HOUR, "B").unwrap();
    log.add_touch("v", JAN1 + 5 * HOUR, "C").unwrap();
    let r = s.push(&log).unwrap();
    assert_eq!((r.accepted, r.late, r.closed), (2, 0, 0)); // W = 3 h: not past the conversion
    log.clear();
    log.add_touch("v", JAN1 + 5 * HOUR + 1, "C").unwrap();
    let r = s.push(&log).unwrap();
    assert_eq!(r.closed, 1); // W = 3 h + 1 µs > 3 h
    let j = &s.closed().journeys[0];
    let path: Vec<_> = j.touches.iter().map(|t| t.channel.as_str()).collect();
    assert_eq!(path, ["A", "B"]);
    assert_eq!(j.conversion_id.as_deref(), Some("u@1704078000000000"));
    assert_eq!(
        j.converted_at,
        DateTime::from_timestamp_micros(JAN1 + 3 * HOUR)
    );
    assert_eq!(j.outcome, Outcome::converted(1.0, 9.0));
    // u's state is gone (nothing pending), v's remains
    assert_eq!(s.report().active_users, 1);
    // v's touches close as a null journey once the watermark is a lookback past them
    assert_eq!(
        s.advance(JAN1 + 5 * HOUR + 30 * 24 * HOUR + 2 * HOUR)
            .unwrap(),
        0
    );
    assert_eq!(
        s.advance(JAN1 + 5 * HOUR + 30 * 24 * HOUR + 2 * HOUR + 2)
            .unwrap(),
        1
    );
    let null = &s.closed().journeys[1];
    assert_eq!(null.touches.len(), 2);
    assert_eq!(
        (null.user_id.as_deref(), null.conversion_id.as_deref()),
        (Some("v"), None)
    );
    assert_eq!(s.report().active_users, 0);
}

#[test]
fn late_events_are_counted_and_listed_or_refuse_the_batch() {
    let mut s = JourneyStream::new(StreamConfig::default()).unwrap();
    let mut log = EventLog::new();
    log.add_touch("u", JAN1 + HOUR, "A").unwrap();
    s.push(&log).unwrap();
    log.clear();
    log.add_touch("u", JAN1 + HOUR - 10 * MIN, "B").unwrap(); // at the watermark: accepted
    log.add_touch("u", JAN1, "C").unwrap(); // 50 min before it: late
    log.add_conversion_with_id("w", JAN1, 2.0, 30.0, "o1")
        .unwrap(); // late
    let r = s.push(&log).unwrap();
    assert_eq!((r.accepted, r.late), (1, 2));
    let late = &s.report().late;
    assert_eq!((late.touches, late.conversion_events), (1, 1));
    assert_eq!((late.conversions, late.value), (2.0, 30.0));
    assert_eq!(late.details.len(), 2);
    assert_eq!(late.details[0].channel.as_deref(), Some("C"));
    assert_eq!(late.details[0].watermark, JAN1 + 50 * MIN);
    assert_eq!(late.details[1].order_id.as_deref(), Some("o1"));
    assert_eq!(s.report().journeys.touches, 2); // late events are not applied
    s.flush().unwrap();
    assert_eq!(s.take_closed().journeys[0].touches.len(), 2); // B and A only

    // with LateEvents::Error the batch is refused whole
    let strict = StreamConfig {
        late_events: LateEvents::Error,
        ..Default::default()
    };
    let mut s = JourneyStream::new(strict).unwrap();
    log.clear();
    log.add_touch("u", JAN1 + HOUR, "A").unwrap();
    s.push(&log).unwrap();
    let before = s.report();
    log.clear();
    log.add_touch("x", JAN1 + 2 * HOUR, "B").unwrap();
    log.add_touch("u", JAN1, "C").unwrap();
    match s.push(&log) {
        Err(Error::LateEvent {
            user_id,
            at,
            watermark,
        }) => assert_eq!(
            (user_id.as_str(), at, watermark),
            ("u", JAN1, JAN1 + 50 * MIN)
        ),
        other => panic!("{other:?}"),
    }
    assert_eq!(s.report(), before);
    // after flush every event is late
    s.flush().unwrap();
    log.clear();
    log.add_touch("y", i64::MAX / 4, "A").unwrap();
    assert!(matches!(s.push(&log), Err(Error::LateEvent { .. })));
}

#[test]
fn configs_a_stream_cannot_follow_are_refused() {
    for bad in [
        StreamConfig {
            journeys: JourneyOptions {
                lookback: None,
                nulls: NullJourneys::Windowed,
                ..Default::default()
            },
            ..Default::default()
        },
        StreamConfig {
            journeys: JourneyOptions::default(), // AfterLastConversion
            ..Default::default()
        },
        StreamConfig {
            allowed_lateness: TimeDelta::seconds(-1),
            ..Default::default()
        },
        StreamConfig {
            journeys: JourneyOptions {
                max_touches: 0,
                nulls: NullJourneys::Windowed,
                ..Default::default()
            },
            ..Default::default()
        },
    ] {
        assert!(matches!(
            JourneyStream::new(bad),
            Err(Error::InvalidParameter { .. })
        ));
    }
}

fn checkpoint_of(s: &JourneyStream) -> serde_json::Value {
    let mut out = Vec::new();
    s.checkpoint(&mut out).unwrap();
    serde_json::from_slice(&out).unwrap()
}

fn restore(v: &serde_json::Value) -> Result<JourneyStream, Error> {
    JourneyStream::restore(serde_json::to_vec(v).unwrap().as_slice())
}

#[test]
fn checkpoints_are_versioned_and_checked() {
    let mut s = JourneyStream::new(StreamConfig::default()).unwrap();
    let mut log = EventLog::new();
    log.add_touch("u", JAN1, "A").unwrap();
    log.add_conversion("u", JAN1 + HOUR, 1.0, 0.1 + 0.2)
        .unwrap();
    log.add_touch("v", JAN1 + 2 * HOUR, "B").unwrap();
    s.push(&log).unwrap();
    let v = checkpoint_of(&s);
    assert_eq!(v["format"], "touchpoint.journey_stream");
    assert_eq!(v["version"], CHECKPOINT_VERSION);
    // closed but not taken: part of the state, values bit for bit
    let back = restore(&v).unwrap();
    assert_eq!(back.closed(), s.closed());
    assert_eq!(back.closed().journeys[0].outcome.value, 0.1 + 0.2);
    assert_eq!(back.report(), s.report());

    let mut other = v.clone();
    other["format"] = "something.else".into();
    assert!(matches!(
        restore(&other),
        Err(Error::Checkpoint(CheckpointProblem::UnknownFormat { found })) if found == "something.else"
    ));
    let mut newer = v.clone();
    newer["version"] = 2.into();
    assert!(matches!(
        restore(&newer),
        Err(Error::Checkpoint(CheckpointProblem::UnsupportedVersion {
            found: 2,
            supported: 1
        }))
    ));
    assert!(matches!(
        JourneyStream::restore(&b"{\"format\": "[..]),
        Err(Error::Checkpoint(CheckpointProblem::Json(_)))
    ));
    let mut no_users = v.clone();
    no_users.as_object_mut().unwrap().remove("users");
    assert!(matches!(
        restore(&no_users),
        Err(Error::Checkpoint(CheckpointProblem::Json(_)))
    ));
    // a buffered touch naming a channel the vocabulary does not have
    let mut bad = v.clone();
    let slot = bad["users"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|u| !u.is_null())
        .unwrap();
    slot["buffered"][0]["channel"] = 7.into();
    assert!(matches!(
        restore(&bad),
        Err(Error::Checkpoint(CheckpointProblem::Inconsistent { .. }))
    ));
    let mut dup = v.clone();
    dup["channels"] = serde_json::json!(["A", "A"]);
    assert!(matches!(
        restore(&dup),
        Err(Error::Checkpoint(CheckpointProblem::Inconsistent { .. }))
    ));
    // the configuration is checked like a new one
    let mut cfg = v;
    cfg["config"]["journeys"]["nulls"] = "after_last_conversion".into();
    assert!(matches!(restore(&cfg), Err(Error::InvalidParameter { .. })));
}

#[test]
fn readers_pass_order_ids_through_to_the_journeys() {
    let csv = "user_id,timestamp,channel,conversion,value,order_id\n\
               u1,2024-03-01T10:00:00Z,Search,0,,\n\
               u1,2024-03-02T10:00:00Z,,1,25,A-17\n\
               u1,2024-03-03T10:00:00Z,Email,0,,ignored-on-a-touch\n\
               u1,2024-03-04T10:00:00Z,,1,5,\n";
    let jsonl = "{\"user_id\":\"u1\",\"timestamp\":\"2024-03-01T10:00:00Z\",\"channel\":\"Search\"}\n\
                 {\"user_id\":\"u1\",\"timestamp\":\"2024-03-02T10:00:00Z\",\"conversion\":1,\"value\":25,\"order_id\":\"A-17\"}\n\
                 {\"user_id\":\"u1\",\"timestamp\":\"2024-03-03T10:00:00Z\",\"channel\":\"Email\",\"order_id\":\"ignored-on-a-touch\"}\n\
                 {\"user_id\":\"u1\",\"timestamp\":\"2024-03-04T10:00:00Z\",\"conversion\":true,\"value\":5,\"order_id\":null}\n";
    for text in [csv, jsonl] {
        let (mut log, _) = read_events(text.as_bytes(), &EventOptions::default()).unwrap();
        let (j, _) = log.build_journeys(&JourneyOptions::default()).unwrap();
        let ids: Vec<_> = j
            .journeys
            .iter()
            .map(|j| j.conversion_id.as_deref().unwrap())
            .collect();
        // 2024-03-04T10:00:00Z = 1709546400 s
        assert_eq!(ids, ["A-17", "u1@1709546400000000"]);
        assert_eq!(j.journeys[1].touches[0].channel, "Email");
    }
    // renamed, and absent
    let renamed = EventOptions {
        order_column: Some("order".into()),
        ..Default::default()
    };
    let text = csv.replace(",order_id\n", ",order\n");
    let (mut log, _) = read_events(text.as_bytes(), &renamed).unwrap();
    let (j, _) = log.build_journeys(&JourneyOptions::default()).unwrap();
    assert_eq!(j.journeys[0].conversion_id.as_deref(), Some("A-17"));
    let plain =
        "user_id,timestamp,channel,conversion,value\nu,1709546400,A,0,\nu,1709546401,,1,3\n";
    let (mut log, _) = read_events(plain.as_bytes(), &EventOptions::default()).unwrap();
    let (j, _) = log.build_journeys(&JourneyOptions::default()).unwrap();
    assert_eq!(
        j.journeys[0].conversion_id.as_deref(),
        Some("u@1709546401000000")
    );
}

#[test]
fn journeys_round_trip_through_serde_json() {
    let mut log = EventLog::new();
    log.add_touch("u", JAN1, "A").unwrap();
    log.add_touch("u", JAN1 + 1, "B").unwrap();
    log.add_conversion_with_id("u", JAN1 + 2, 1.0, 12.34, "o")
        .unwrap();
    let (j, _) = log.build_journeys(&JourneyOptions::default()).unwrap();
    let text = serde_json::to_string(&j.journeys[0]).unwrap();
    assert!(text.contains("\"user_id\":\"u\"") && text.contains("\"conversion_id\":\"o\""));
    assert!(text.contains("\"at\":\"2024-01-01T00:00:00.000001Z\""));
    let back: Journey = serde_json::from_str(&text).unwrap();
    assert_eq!(back, j.journeys[0]);
    // keys may be absent
    let bare: Journey = serde_json::from_str(
        r#"{"touches":[{"channel":"A"}],"outcome":{"conversions":1.0,"value":2.0,"nulls":0.0}}"#,
    )
    .unwrap();
    assert_eq!(
        bare,
        Journey::from_channels(["A"], Outcome::converted(1.0, 2.0))
    );
}
