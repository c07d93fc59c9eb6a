//! The time decay example of the model reference (§Time decay) from events, and the P16 and
//! journey-building properties (§Properties).

use super::*;

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
