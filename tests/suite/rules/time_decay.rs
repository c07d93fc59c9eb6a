//! Time decay with real timestamps (the model reference, §Time decay), and its property on timestamped journeys.

use super::properties::{merge_shards, split_outcome};
use super::*;

// ---------------------------------------------------------------------------------------------
// Time decay with real timestamps (the model reference, §Time decay)
// ---------------------------------------------------------------------------------------------

/// An arbitrary origin (2023-11-14) so that absolute times are large.
const BASE_US: i64 = 1_700_000_000_000_000;

const DAY_US: f64 = 86_400e6;

fn day(d: f64) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(BASE_US + (d * DAY_US) as i64).expect("in range")
}

fn journey(touches: &[(&str, f64)], conv_day: Option<f64>, value: f64) -> Journey {
    Journey {
        touches: touches
            .iter()
            .map(|&(c, d)| Touchpoint::at(c, day(d)))
            .collect(),
        outcome: Outcome::converted(1.0, value),
        converted_at: conv_day.map(day),
        ..Default::default()
    }
}

/// The three journeys of the time decay example (value 70, 10, 1), with or without conversion
/// times.
fn o8_journeys(with_conversion: bool) -> [Journey; 3] {
    let c = |d| with_conversion.then_some(d);
    [
        journey(&[("A", 0.0), ("B", 7.0), ("C", 14.0)], c(14.0), 70.0),
        journey(&[("B", 0.0), ("A", 3.5)], c(10.5), 10.0),
        journey(&[("C", 0.0), ("A", 1.0), ("C", 5.0)], c(6.0), 1.0),
    ]
}

/// Their continuous shares per journey.
fn o8_shares() -> [Vec<(&'static str, f64)>; 3] {
    let r2 = 2f64.sqrt();
    [
        vec![("A", 1.0 / 7.0), ("B", 2.0 / 7.0), ("C", 4.0 / 7.0)],
        vec![("A", 2.0 - r2), ("B", r2 - 1.0)],
        vec![("A", 0.294835836511), ("C", 0.705164163489)],
    ]
}

#[test]
fn o8_time_decay_each_journey_alone() {
    let values = [70.0, 10.0, 1.0];
    let model = TimeDecay::default(); // half-life 7 days
    for with_conversion in [true, false] {
        for ((j, shares), value) in o8_journeys(with_conversion)
            .iter()
            .zip(o8_shares())
            .zip(values)
        {
            let mut t = PathTable::new();
            t.add_journey(j).unwrap();
            let expected: Vec<(&str, f64, f64)> =
                shares.iter().map(|&(c, s)| (c, s, s * value)).collect();
            check(&run(&model, &t), &expected);
        }
    }
    // Per touch: J1 = (1/7, 2/7, 4/7); J3 = C@0 > A@1 > C@5 ∝ 2^(-6/7), 2^(-5/7), 2^(-1/7).
    let mut t = PathTable::new();
    for j in o8_journeys(true) {
        t.add_journey(&j).unwrap();
    }
    let pc = model.path_credit(&t).unwrap();
    check_fractions(&pc, 0, &[1.0 / 7.0, 2.0 / 7.0, 4.0 / 7.0]);
    let w: Vec<f64> = [6.0, 5.0, 1.0]
        .iter()
        .map(|d: &f64| (-d / 7.0).exp2())
        .collect();
    let z: f64 = w.iter().sum();
    check_fractions(&pc, 2, &[w[0] / z, w[1] / z, w[2] / z]);
    assert_close(pc.fractions(2)[1], 0.294835836511);
    assert_close(pc.fractions(2)[0] + pc.fractions(2)[2], 0.705164163489);
}

#[test]
fn o8_time_decay_all_three_journeys() {
    let expected = [
        ("A", 1.023479416995, 16.152700212780),
        ("B", 0.699927848087, 24.142135623731),
        ("C", 1.276592734918, 40.705164163489),
    ];
    for with_conversion in [true, false] {
        let mut t = PathTable::new();
        for j in o8_journeys(with_conversion) {
            t.add_journey(&j).unwrap();
        }
        assert_eq!(t.len(), 3);
        check(&run(&TimeDecay::default(), &t), &expected);
    }
}

#[test]
fn time_decay_equal_timestamps_get_equal_weights() {
    let mut t = PathTable::new();
    t.add_journey(&journey(
        &[("A", 2.0), ("B", 2.0), ("C", 2.0)],
        Some(9.0),
        30.0,
    ))
    .unwrap();
    t.add_journey(&journey(&[("A", 0.0), ("B", 5.0), ("C", 5.0)], None, 0.0))
        .unwrap();
    let pc = TimeDecay::default().path_credit(&t).unwrap();
    check_fractions(&pc, 0, &[1.0 / 3.0; 3]);
    let f = pc.fractions(1);
    assert_eq!(f[1], f[2]);
    // 2^(-5/7) : 1 : 1
    let w = (-5.0f64 / 7.0).exp2();
    check_fractions(&pc, 1, &[w / (w + 2.0), 1.0 / (w + 2.0), 1.0 / (w + 2.0)]);
}

#[test]
fn time_decay_half_life_limits() {
    let mut t = PathTable::new();
    t.add_journey(&journey(
        &[("A", 0.0), ("B", 1.0), ("C", 3.0), ("D", 3.0)],
        Some(4.0),
        8.0,
    ))
    .unwrap();
    t.add_journey(&journey(&[("A", 0.0), ("B", 0.5)], Some(30.0), 2.0))
        .unwrap();
    // H → ∞: linear per touch (A 1/4 + 1/2, B 1/4 + 1/2, C 1/4, D 1/4).
    let huge = TimeDecay {
        half_life: TimeDelta::MAX,
        ..TimeDecay::default()
    };
    assert_attr_close(&run(&huge, &t), &run(&Linear::default(), &t), TOL);
    // H tiny: the latest touch(es) take everything, ties sharing equally.
    for tiny in [TimeDelta::microseconds(1), TimeDelta::nanoseconds(1)] {
        let m = TimeDecay {
            half_life: tiny,
            ..TimeDecay::default()
        };
        check(
            &run(&m, &t),
            &[
                ("A", 0.0, 0.0),
                ("B", 1.0, 2.0),
                ("C", 0.5, 4.0),
                ("D", 0.5, 4.0),
            ],
        );
    }
    // Positional decay: h → ∞ is linear per touch, h tiny is last touch.
    let t = t2();
    let wide = TimeDecay {
        positional_half_life: 1e300,
        ..TimeDecay::default()
    };
    assert_attr_close(&run(&wide, &t), &run(&Linear::default(), &t), TOL);
    let narrow = TimeDecay {
        positional_half_life: 1e-300,
        ..TimeDecay::default()
    };
    assert_attr_close(&run(&narrow, &t), &run(&LastTouch, &t), TOL);
}

#[test]
fn time_decay_extreme_timestamps_do_not_panic() {
    // Touches ~580,000 years apart: the time difference overflows i64 microseconds.
    let mut t = PathTable::new();
    t.add_timed(
        ["A", "B"],
        &[i64::MIN + 1, i64::MAX],
        None,
        Outcome::converted(1.0, 1.0),
    )
    .unwrap();
    let a = run(&TimeDecay::default(), &t);
    check(&a, &[("A", 0.0, 0.0), ("B", 1.0, 1.0)]);
    let huge = TimeDecay {
        half_life: TimeDelta::MAX,
        ..TimeDecay::default()
    };
    // 2^(-Δ/H) with Δ ≈ 1.8e19 µs, H ≈ 9.2e21 µs: nearly linear, and finite.
    let a = run(&huge, &t);
    assert!(a.conversions("A") > 0.49 && a.conversions("A") < 0.5);
}

#[test]
fn timed_and_untimed_rows_mix() {
    // An untimed row uses positional decay, a timed row real time, in the same table.
    let mut t = table(&[("A > B", 1.0, 3.0, 0.0)]);
    t.add_journey(&journey(&[("A", 0.0), ("B", 7.0)], Some(7.0), 3.0))
        .unwrap();
    // Both rows split 1/3, 2/3 (one step back at h = 1 touch; 7 days back at H = 7 days).
    check(
        &run(&TimeDecay::default(), &t),
        &[("A", 2.0 / 3.0, 2.0), ("B", 4.0 / 3.0, 4.0)],
    );
}

// ---------------------------------------------------------------------------------------------
// P16: time decay on timestamped journeys
// ---------------------------------------------------------------------------------------------

fn with_conversion_times(
    js: &[TimedSpec],
    f: impl Fn(&TimedSpec) -> Option<i64>,
) -> Vec<TimedSpec> {
    js.iter()
        .map(|j| TimedSpec {
            converted_at: f(j),
            ..j.clone()
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn p16_time_decay_shares_are_a_recency_ordered_distribution(js in arb_journeys()) {
        let t = timed_table_from(&js);
        for m in [TimeDecay::default(), TimeDecay { half_life: TimeDelta::hours(5), ..TimeDecay::default() }] {
            let pc = m.path_credit(&t).unwrap();
            for (r, j) in js.iter().enumerate() {
                let f = pc.fractions(r);
                assert!(f.iter().all(|x| (0.0..=1.0).contains(x)), "{f:?}");
                assert_close_tol(f.iter().sum(), 1.0, 1e-12);
                for (w, tw) in f.windows(2).zip(j.times.windows(2)) {
                    // More recent ⇒ not less credit; equal times ⇒ equal credit.
                    assert!(w[0] <= w[1], "{f:?} at times {:?}", j.times);
                    if tw[0] == tw[1] {
                        assert_eq!(w[0], w[1]);
                    }
                }
            }
        }
    }

    #[test]
    fn p16_time_decay_ignores_the_reference_time(js in arb_journeys(), later in 0i64..=1000) {
        let m = TimeDecay::default();
        let t = timed_table_from(&js);
        let (a, pc) = (run(&m, &t), m.path_credit(&t).unwrap());
        let variants = [
            with_conversion_times(&js, |_| None),
            with_conversion_times(&js, |j| Some(j.times[j.times.len() - 1] + later * HOUR_US)),
            with_conversion_times(&js, |j| j.converted_at.map(|c| c + 10 * later * HOUR_US)),
        ];
        for v in &variants {
            let tv = timed_table_from(v);
            assert_attr_close(&run(&m, &tv), &a, 1e-12);
            let pv = m.path_credit(&tv).unwrap();
            for r in 0..js.len() {
                for (x, y) in pv.fractions(r).iter().zip(pc.fractions(r)) {
                    assert_close_tol(*x, *y, 1e-12);
                }
            }
        }
        // Shifting a whole journey in time changes nothing either.
        let shifted: Vec<TimedSpec> = js.iter().map(|j| TimedSpec {
            times: j.times.iter().map(|x| x - later * 977 * HOUR_US).collect(),
            converted_at: j.converted_at.map(|c| c - later * 977 * HOUR_US),
            ..j.clone()
        }).collect();
        assert_attr_close(&run(&m, &timed_table_from(&shifted)), &a, 1e-12);
    }

    #[test]
    fn p16_time_decay_with_infinite_half_life_is_linear(js in arb_journeys()) {
        let t = timed_table_from(&js);
        let m = TimeDecay { half_life: TimeDelta::MAX, ..TimeDecay::default() };
        assert_attr_close(&run(&m, &t), &run(&Linear::default(), &t), TOL);
    }

    #[test]
    fn p16_timed_rows_split_shuffle_and_merge(
        (js, shard, order) in arb_journeys().prop_flat_map(|js| {
            let n = js.len();
            (Just(js), prop::collection::vec(0..3usize, n), Just(vec![0usize, 1, 2]).prop_shuffle())
        }),
        seed in any::<(u32, u32, u32)>(),
    ) {
        let m = TimeDecay::default();
        let whole = timed_table_from(&js);
        let a = run(&m, &whole);
        // P5: a journey row split into two timed rows with the same path and times.
        let (o1, o2) = split_outcome(js[0].outcome, seed);
        let mut split = js.clone();
        split[0].outcome = o1;
        split.push(TimedSpec { outcome: o2, ..js[0].clone() });
        assert_attr_close(&run(&m, &timed_table_from(&split)), &a, 1e-12);
        // P4: row order.
        let mut rev = js.clone();
        rev.reverse();
        assert_attr_close(&run(&m, &timed_table_from(&rev)), &a, 1e-12);
        // Shards merged in any order.
        let merged = merge_shards(&js, &shard, &order, timed_table_from);
        assert_eq!(&merged, &whole);
        assert_attr_close(&run(&m, &merged), &a, 1e-12);
        // P9 on timed rows: the shards' credits add up.
        let mut sum = BTreeMap::<String, (f64, f64)>::new();
        for k in 0..3 {
            let part: Vec<TimedSpec> = js.iter().zip(&shard).filter(|(_, s)| **s == k).map(|(j, _)| j.clone()).collect();
            let tp = timed_table_from(&part);
            if tp.totals().conversions == 0.0 {
                continue;
            }
            for c in run(&m, &tp).channels {
                let e = sum.entry(c.channel).or_default();
                e.0 += c.conversions;
                e.1 += c.value;
            }
        }
        for (ch, (c, v)) in sum {
            assert_close_tol(a.conversions(&ch), c, 1e-12);
            assert_close_tol(a.value(&ch), v, 1e-12);
        }
    }
}
