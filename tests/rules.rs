//! Rule-based models: the worked examples of the model reference (§Rule-based models: T1, T2,
//! T3, T5, time decay), its hand examples and edge cases, and §Properties for every rule model.

mod common;

use std::collections::BTreeMap;

use chrono::{DateTime, TimeDelta, Utc};
use common::*;
use proptest::prelude::*;
use touchpoint::{
    Attribution, AttributionModel, Error, FirstTouch, Journey, LastNonDirect, LastTouch, Linear,
    LinearMode, Outcome, Participation, PathTable, PositionBased, RuleBased, TimeDecay, Touchpoint,
    TwoTouch, WShaped,
};

// ---------------------------------------------------------------------------------------------
// Models and small helpers
// ---------------------------------------------------------------------------------------------

/// Direct channel names of the [`LastNonDirect`] instance in [`models`] (both are in [`POOL`]).
const DIRECT: [&str; 2] = ["Direct", "Email"];

/// Every rule model, in several parameterisations; the last-non-direct model uses `direct`.
fn models(direct: &[&str]) -> Vec<Box<dyn RuleBased>> {
    vec![
        Box::new(FirstTouch),
        Box::new(LastTouch),
        Box::new(LastNonDirect::new(direct.iter().copied())),
        Box::new(Linear::new(LinearMode::PerTouch)),
        Box::new(Linear::new(LinearMode::PerDistinct)),
        Box::new(Linear::new(LinearMode::PerRun)),
        Box::new(PositionBased::u_shaped()),
        Box::new(PositionBased::j_curve()),
        Box::new(PositionBased::inverse_j()),
        Box::new(PositionBased {
            two_touch: TwoTouch::SplitMiddle,
            ..PositionBased::j_curve()
        }),
        Box::new(PositionBased::new(0.5, 0.5, 0.0)),
        Box::new(WShaped::default()),
        Box::new(WShaped {
            first: 0.4,
            milestone: 0.2,
            last: 0.1,
            rest: 0.3,
        }),
        Box::new(TimeDecay::default()),
        Box::new(TimeDecay {
            half_life: TimeDelta::hours(6),
            positional_half_life: 2.5,
        }),
        Box::new(Participation::raw()),
        Box::new(Participation::normalized()),
    ]
}

/// [`models`] behind the general trait, as a caller holding "all models" would.
fn all_models() -> Vec<Box<dyn AttributionModel>> {
    models(&DIRECT)
        .into_iter()
        .map(|m| m as Box<dyn AttributionModel>)
        .collect()
}

/// Raw participation is the one rule model that is not efficient (the model reference,
/// §Participation).
fn is_raw_participation(m: &dyn AttributionModel) -> bool {
    m.name() == "participation"
}

/// Normalised participation rescales globally, so it is not row-additive.
fn is_row_additive(m: &dyn AttributionModel) -> bool {
    m.name() != "participation_normalized"
}

#[track_caller]
fn run(m: &dyn AttributionModel, t: &PathTable) -> Attribution {
    m.attribute(t).unwrap_or_else(|e| panic!("{m:?}: {e}"))
}

fn distinct_count(path: &[String]) -> usize {
    let mut p: Vec<&String> = path.iter().collect();
    p.sort_unstable();
    p.dedup();
    p.len()
}

/// Asserts the credit of every channel of `a` against `expected` `(channel, conversions, value)`,
/// and that `a` has no other channel.
#[track_caller]
fn check(a: &Attribution, expected: &[(&str, f64, f64)]) {
    let got: Vec<&str> = a.channels.iter().map(|c| c.channel.as_str()).collect();
    let mut want: Vec<&str> = expected.iter().map(|e| e.0).collect();
    want.sort_unstable();
    assert_eq!(got, want, "{}: channels", a.model);
    for &(ch, conv, value) in expected {
        let c = a.get(ch).expect("present");
        assert!(
            close_to(c.conversions, conv, TOL) && close_to(c.value, value, TOL),
            "{}: `{ch}` got ({}, {}), expected ({conv}, {value})",
            a.model,
            c.conversions,
            c.value
        );
        assert_close(c.share, c.conversions / a.total_conversions);
    }
}

/// Asserts the per-touch fractions of `pc` row `r`.
#[track_caller]
fn check_fractions(pc: &touchpoint::PathCredit, r: usize, expected: &[f64]) {
    let got = pc.fractions(r);
    assert_eq!(
        got.len(),
        expected.len(),
        "row {r}: {got:?} vs {expected:?}"
    );
    for (g, e) in got.iter().zip(expected) {
        assert!(close_to(*g, *e, TOL), "row {r}: {got:?} vs {expected:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// Worked tables (the model reference, §Worked tables)
// ---------------------------------------------------------------------------------------------

fn t1() -> PathTable {
    table(&[
        ("C1 > C2 > C3", 1.0, 1000.0, 0.0),
        ("C1", 0.0, 0.0, 1.0),
        ("C2 > C3", 0.0, 0.0, 1.0),
    ])
}

fn t2() -> PathTable {
    table(&[
        ("A > B > C", 2.0, 20.0, 1.0),
        ("A > A > B", 1.0, 15.0, 2.0),
        ("B", 1.0, 5.0, 3.0),
        ("C > A", 1.0, 10.0, 1.0),
        ("B > C > B > A", 1.0, 12.0, 0.0),
        ("C", 1.0, 8.0, 1.0),
    ])
}

fn t3() -> PathTable {
    table(&[
        ("Search > Direct", 3.0, 30.0, 0.0),
        ("Direct", 2.0, 10.0, 0.0),
        ("Email > Direct > Direct", 1.0, 5.0, 0.0),
        ("Direct > Search", 1.0, 7.0, 0.0),
        ("Email", 0.0, 0.0, 4.0),
    ])
}

fn t5() -> PathTable {
    table(&[
        ("A", 3.0, 30.0, 7.0),
        ("B", 1.0, 25.0, 4.0),
        ("C", 2.0, 5.0, 0.0),
    ])
}

#[test]
fn o1a_t1_heuristics() {
    // T1 conversions; the only converting row carries value 1000, so value = 1000 × conv.
    let t = t1();
    let cases: [(Box<dyn AttributionModel>, [f64; 3]); 3] = [
        (Box::new(FirstTouch), [1.0, 0.0, 0.0]),
        (Box::new(LastTouch), [0.0, 0.0, 1.0]),
        (
            Box::new(Linear::default()),
            [1.0 / 3.0, 1.0 / 3.0, 1.0 / 3.0],
        ),
    ];
    for (m, [c1, c2, c3]) in cases {
        check(
            &run(&*m, &t),
            &[
                ("C1", c1, 1000.0 * c1),
                ("C2", c2, 1000.0 * c2),
                ("C3", c3, 1000.0 * c3),
            ],
        );
    }
}

#[test]
fn o2ab_t2_every_rule_model() {
    let t = t2();
    type Case = (Box<dyn AttributionModel>, [f64; 3], [f64; 3]);
    // (model, conversions A B C, value A B C: the model reference, §Rule-based results on T2)
    let cases: Vec<Case> = vec![
        (Box::new(FirstTouch), [3.0, 2.0, 2.0], [35.0, 17.0, 18.0]),
        (Box::new(LastTouch), [2.0, 2.0, 3.0], [22.0, 20.0, 28.0]),
        (
            Box::new(Linear::new(LinearMode::PerTouch)),
            [25.0 / 12.0, 5.0 / 2.0, 29.0 / 12.0],
            [74.0 / 3.0, 68.0 / 3.0, 68.0 / 3.0],
        ),
        (
            Box::new(Linear::new(LinearMode::PerDistinct)),
            [2.0, 5.0 / 2.0, 5.0 / 2.0],
            [139.0 / 6.0, 139.0 / 6.0, 71.0 / 3.0],
        ),
        (
            Box::new(PositionBased::u_shaped()),
            [23.0 / 10.0, 23.0 / 10.0, 12.0 / 5.0],
            [134.0 / 5.0, 21.0, 111.0 / 5.0],
        ),
        (
            Box::new(PositionBased::j_curve()),
            [43.0 / 20.0, 23.0 / 10.0, 51.0 / 20.0],
            [247.0 / 10.0, 108.0 / 5.0, 237.0 / 10.0],
        ),
        (
            Box::new(PositionBased::inverse_j()),
            [49.0 / 20.0, 23.0 / 10.0, 9.0 / 4.0],
            [289.0 / 10.0, 102.0 / 5.0, 207.0 / 10.0],
        ),
        (
            Box::new(PositionBased {
                two_touch: TwoTouch::SplitMiddle,
                ..PositionBased::j_curve()
            }),
            [21.0 / 10.0, 23.0 / 10.0, 13.0 / 5.0],
            [121.0 / 5.0, 108.0 / 5.0, 121.0 / 5.0],
        ),
        (
            Box::new(WShaped::default()),
            [32.0 / 15.0, 12.0 / 5.0, 37.0 / 15.0],
            [379.0 / 15.0, 322.0 / 15.0, 349.0 / 15.0],
        ),
        (
            // position_decay_h1: TimeDecay on a table without timestamps, h = 1 touch.
            Box::new(TimeDecay::default()),
            [67.0 / 35.0, 52.0 / 21.0, 274.0 / 105.0],
            [2347.0 / 105.0, 163.0 / 7.0, 2558.0 / 105.0],
        ),
        (
            Box::new(Participation::raw()),
            [5.0, 5.0, 5.0],
            [57.0, 52.0, 50.0],
        ),
        (
            Box::new(Participation::normalized()),
            [7.0 / 3.0, 7.0 / 3.0, 7.0 / 3.0],
            [1330.0 / 53.0, 3640.0 / 159.0, 3500.0 / 159.0],
        ),
    ];
    for (m, c, v) in cases {
        check(
            &run(&*m, &t),
            &[("A", c[0], v[0]), ("B", c[1], v[1]), ("C", c[2], v[2])],
        );
    }
}

#[test]
fn linear_per_run_on_t2_by_hand() {
    // Per run differs from per touch (§Rule-based results on T2) only on `A > A > B`
    // (1 conversion, value 15):
    // per touch A 2/3, B 1/3 (value 10, 5); per run A 1/2, B 1/2 (value 7.5, 7.5).
    // conversions: A 25/12 − 2/3 + 1/2 = 23/12, B 5/2 − 1/3 + 1/2 = 8/3, C 29/12 (Σ 7)
    // value:       A 74/3 − 10 + 7.5 = 133/6,  B 68/3 − 5 + 7.5 = 151/6, C 68/3    (Σ 70)
    check(
        &run(&Linear::new(LinearMode::PerRun), &t2()),
        &[
            ("A", 23.0 / 12.0, 133.0 / 6.0),
            ("B", 8.0 / 3.0, 151.0 / 6.0),
            ("C", 29.0 / 12.0, 68.0 / 3.0),
        ],
    );
}

#[test]
fn o3_t3_last_non_direct() {
    let t = t3();
    let expect_lnd = [
        ("Direct", 2.0, 10.0),
        ("Email", 1.0, 5.0),
        ("Search", 4.0, 37.0),
    ];
    check(&run(&LastNonDirect::new(["Direct"]), &t), &expect_lnd);
    // The default direct set {Direct, (direct), direct} contains T3's only direct label.
    check(&run(&LastNonDirect::default(), &t), &expect_lnd);
    check(
        &run(&LastTouch, &t),
        &[
            ("Direct", 6.0, 45.0),
            ("Email", 0.0, 0.0),
            ("Search", 1.0, 7.0),
        ],
    );
    check(
        &run(&FirstTouch, &t),
        &[
            ("Direct", 3.0, 17.0),
            ("Email", 1.0, 5.0),
            ("Search", 3.0, 30.0),
        ],
    );
}

#[test]
fn last_non_direct_all_direct_path_keeps_direct() {
    // Every touch direct: the last (direct) touch keeps the credit (§Last non-direct, DP6).
    let t = table(&[
        ("Direct > Direct", 2.0, 20.0, 0.0),
        ("Search > Direct > Direct", 1.0, 4.0, 0.0),
        ("Direct > (direct)", 1.0, 6.0, 0.0),
    ]);
    let m = LastNonDirect::default();
    // Direct: 2 (row 1) ; Search: 1 (row 2) ; (direct): 1 (row 3, all direct → last touch)
    check(
        &run(&m, &t),
        &[
            ("(direct)", 1.0, 6.0),
            ("Direct", 2.0, 20.0),
            ("Search", 1.0, 4.0),
        ],
    );
    let pc = m.path_credit(&t).unwrap();
    check_fractions(&pc, 0, &[0.0, 1.0]);
    check_fractions(&pc, 1, &[1.0, 0.0, 0.0]);
    check_fractions(&pc, 2, &[0.0, 1.0]);
    // An empty direct set is plain last touch.
    assert_attr_close(
        &run(&LastNonDirect::new(Vec::<String>::new()), &t3()),
        &run(&LastTouch, &t3()),
        0.0,
    );
}

#[test]
fn o5_t5_single_touch_every_rule_model() {
    let t = t5();
    let expected = [("A", 3.0, 30.0), ("B", 1.0, 25.0), ("C", 2.0, 5.0)];
    let mut ms = all_models();
    ms.push(Box::new(LastNonDirect::default()));
    for m in ms {
        check(&run(&*m, &t), &expected);
    }
}

#[test]
fn linear_conventions_hand_examples() {
    // §Linear: `A > A > B` and `B > C > B > A`, one conversion each (value 12).
    let one = |p: &str| table(&[(p, 1.0, 12.0, 0.0)]);
    let third = 1.0 / 3.0;
    type Case<'a> = (&'a str, LinearMode, [(&'a str, f64); 3]);
    let cases: [Case; 6] = [
        (
            "A > A > B",
            LinearMode::PerTouch,
            [("A", 2.0 / 3.0), ("B", third), ("C", 0.0)],
        ),
        (
            "A > A > B",
            LinearMode::PerDistinct,
            [("A", 0.5), ("B", 0.5), ("C", 0.0)],
        ),
        (
            "A > A > B",
            LinearMode::PerRun,
            [("A", 0.5), ("B", 0.5), ("C", 0.0)],
        ),
        (
            "B > C > B > A",
            LinearMode::PerTouch,
            [("A", 0.25), ("B", 0.5), ("C", 0.25)],
        ),
        (
            "B > C > B > A",
            LinearMode::PerDistinct,
            [("A", third), ("B", third), ("C", third)],
        ),
        (
            "B > C > B > A",
            LinearMode::PerRun,
            [("A", 0.25), ("B", 0.5), ("C", 0.25)],
        ),
    ];
    for (p, mode, shares) in cases {
        let a = run(&Linear::new(mode), &one(p));
        for (ch, s) in shares {
            assert_close(a.conversions(ch), s);
            assert_close(a.value(ch), 12.0 * s);
        }
    }
    // Per-touch fractions of the per-run convention sit on the first touch of each run.
    let pc = Linear::new(LinearMode::PerRun)
        .path_credit(&one("A > A > B > B > B > A"))
        .unwrap();
    check_fractions(&pc, 0, &[third, 0.0, third, 0.0, 0.0, third]);
}

#[test]
fn path_credit_fractions_on_t2() {
    let t = t2(); // rows in insertion order: A>B>C, A>A>B, B, C>A, B>C>B>A, C
    let u = PositionBased::u_shaped().path_credit(&t).unwrap();
    assert_eq!(u.len(), 6);
    check_fractions(&u, 0, &[0.4, 0.2, 0.4]);
    check_fractions(&u, 1, &[0.4, 0.2, 0.4]);
    check_fractions(&u, 2, &[1.0]);
    check_fractions(&u, 3, &[0.5, 0.5]);
    check_fractions(&u, 4, &[0.4, 0.1, 0.1, 0.4]);
    // j_curve: 2-touch renormalised (0.25, 0.75); DP6 split (0.3, 0.7).
    check_fractions(
        &PositionBased::j_curve().path_credit(&t).unwrap(),
        3,
        &[0.25, 0.75],
    );
    let dp6 = PositionBased {
        two_touch: TwoTouch::SplitMiddle,
        ..PositionBased::j_curve()
    };
    check_fractions(&dp6.path_credit(&t).unwrap(), 3, &[0.3, 0.7]);
    // W-shaped: L = 3 renormalised (1/3 each), L = 4 milestone = touch 2: (0.3, 0.3, 0.1, 0.3).
    let w = WShaped::default().path_credit(&t).unwrap();
    check_fractions(&w, 0, &[1.0 / 3.0; 3]);
    check_fractions(&w, 4, &[0.3, 0.3, 0.1, 0.3]);
    // Positional decay h = 1: L = 3 → 1/7, 2/7, 4/7; L = 4 → 1/15, 2/15, 4/15, 8/15.
    let d = TimeDecay::default().path_credit(&t).unwrap();
    check_fractions(&d, 0, &[1.0 / 7.0, 2.0 / 7.0, 4.0 / 7.0]);
    check_fractions(&d, 4, &[1.0 / 15.0, 2.0 / 15.0, 4.0 / 15.0, 8.0 / 15.0]);
    let distinct = Linear::new(LinearMode::PerDistinct)
        .path_credit(&t)
        .unwrap();
    check_fractions(&distinct, 1, &[0.5, 0.0, 0.5]);
    check_fractions(&distinct, 4, &[1.0 / 3.0, 1.0 / 3.0, 0.0, 1.0 / 3.0]);
    let part = Participation::normalized().path_credit(&t).unwrap();
    check_fractions(&part, 4, &[1.0, 1.0, 0.0, 1.0]);
    // A null row gets the fractions it would get if it converted.
    let t = table(&[("A > B", 0.0, 0.0, 3.0)]);
    check_fractions(&FirstTouch.path_credit(&t).unwrap(), 0, &[1.0, 0.0]);
}

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
// Edge cases: invalid parameters, no conversions, many rows
// ---------------------------------------------------------------------------------------------

#[track_caller]
fn assert_invalid(m: &dyn RuleBased) {
    let t = t2();
    assert!(
        matches!(m.attribute(&t), Err(Error::InvalidParameter { .. })),
        "{m:?} accepted"
    );
    assert!(
        matches!(m.path_credit(&t), Err(Error::InvalidParameter { .. })),
        "{m:?} accepted by path_credit"
    );
}

#[test]
fn invalid_position_weights_are_refused() {
    // f + l = 0 leaves 2-touch paths undefined (renormalised convention).
    assert_invalid(&PositionBased::new(0.0, 1.0, 0.0));
    // Weights not summing to 1.
    assert_invalid(&PositionBased::new(0.5, 0.5, 0.5));
    assert_invalid(&PositionBased::new(0.3, 0.3, 0.3));
    // Negative, NaN or infinite weights (the first sums to 1).
    assert_invalid(&PositionBased::new(-0.2, 0.6, 0.6));
    assert_invalid(&PositionBased::new(f64::NAN, 0.5, 0.5));
    assert_invalid(&PositionBased::new(f64::INFINITY, 0.0, 0.0));
    assert_invalid(&PositionBased {
        two_touch: TwoTouch::SplitMiddle,
        ..PositionBased::new(0.5, -0.5, 1.0)
    });
    assert!(PositionBased::new(0.5, 0.5, 0.5).validate().is_err());
    assert!(PositionBased::u_shaped().validate().is_ok());
    // W-shaped likewise.
    let w = |first, milestone, last, rest| WShaped {
        first,
        milestone,
        last,
        rest,
    };
    assert_invalid(&w(0.0, 1.0, 0.0, 0.0));
    assert_invalid(&w(0.3, 0.3, 0.3, 0.3));
    assert_invalid(&w(0.5, 0.5, 0.5, -0.5));
    assert_invalid(&w(0.3, 0.3, f64::NAN, 0.1));
}

#[test]
fn split_middle_without_ends_is_defined() {
    // With DP6's 2-touch rule, (0, 1, 0) is defined: 2-touch paths split 1/2, 1/2 and longer
    // paths give everything to the middle. T2 conversions: A>B>C ×2 → B 2; A>A>B → A 1;
    // B → B 1; C>A → 1/2 each; B>C>B>A → C 1/2, B 1/2; C → C 1.
    let m = PositionBased {
        two_touch: TwoTouch::SplitMiddle,
        ..PositionBased::new(0.0, 1.0, 0.0)
    };
    let a = run(&m, &t2());
    assert_close(a.conversions("A"), 1.5);
    assert_close(a.conversions("B"), 3.5);
    assert_close(a.conversions("C"), 2.0);
}

#[test]
fn invalid_half_lives_are_refused() {
    for h in [TimeDelta::zero(), TimeDelta::days(-7), TimeDelta::MIN] {
        assert_invalid(&TimeDecay {
            half_life: h,
            ..TimeDecay::default()
        });
    }
    for h in [0.0, -1.0, f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
        assert_invalid(&TimeDecay {
            positional_half_life: h,
            ..TimeDecay::default()
        });
    }
}

#[test]
fn tables_without_conversions_are_refused() {
    let null_only = table(&[("A > B", 0.0, 0.0, 3.0), ("C", 0.0, 0.0, 1.0)]);
    let no_ops = table(&[("A", 0.0, 0.0, 0.0)]);
    for t in [PathTable::new(), null_only, no_ops] {
        for m in all_models() {
            assert!(
                matches!(m.attribute(&t), Err(Error::NoConversions { .. })),
                "{m:?}"
            );
        }
        // Path credit is defined without conversions.
        for m in models(&DIRECT) {
            assert_eq!(m.path_credit(&t).unwrap().len(), t.len());
        }
    }
}

/// Paths over 8 channels from the base-8 digits of `i` (distinct for distinct `i`).
fn digits_path(i: usize) -> Vec<String> {
    let mut p = Vec::new();
    let mut k = i;
    loop {
        p.push(format!("c{}", k % 8));
        k /= 8;
        if k == 0 {
            break;
        }
    }
    p
}

#[test]
fn many_rows_across_chunks() {
    // 30,000 distinct rows span several chunks of the row walk (8192 rows each): credit and
    // path-credit alignment must match a plain sequential computation.
    let n = 30_000;
    let mut t = PathTable::new();
    let mut first = BTreeMap::<String, (f64, f64)>::new();
    let mut linear = BTreeMap::<String, (f64, f64)>::new();
    let mut paths = Vec::with_capacity(n);
    for i in 0..n {
        let p = digits_path(i);
        let c = (i % 3) as f64;
        let v = if c > 0.0 { (i % 7) as f64 } else { 0.0 };
        t.add(&p, Outcome::new(c, v, (i % 2) as f64)).unwrap();
        let e = first.entry(p[0].clone()).or_default();
        e.0 += c;
        e.1 += v;
        for ch in &p {
            let e = linear.entry(ch.clone()).or_default();
            e.0 += c / p.len() as f64;
            e.1 += v / p.len() as f64;
        }
        paths.push(p);
    }
    assert_eq!(t.len(), n);
    for (m, expected) in [
        (&FirstTouch as &dyn AttributionModel, &first),
        (&Linear::default() as &dyn AttributionModel, &linear),
    ] {
        let a = run(m, &t);
        for (ch, &(c, v)) in expected {
            assert_close(a.conversions(ch), c);
            assert_close(a.value(ch), v);
        }
    }
    let pc = LastTouch.path_credit(&t).unwrap();
    assert_eq!(pc.len(), n);
    for (r, p) in paths.iter().enumerate() {
        let f = pc.fractions(r);
        assert_eq!(f.len(), p.len(), "row {r}");
        assert_eq!(f[f.len() - 1], 1.0, "row {r}");
        assert_eq!(f.iter().sum::<f64>(), 1.0, "row {r}");
    }
}

// ---------------------------------------------------------------------------------------------
// Properties (the model reference, §Properties)
// ---------------------------------------------------------------------------------------------

fn relabel_rows(rows: &[RowSpec], map: impl Fn(&str) -> String) -> Vec<RowSpec> {
    rows.iter()
        .map(|r| RowSpec {
            path: r.path.iter().map(|c| map(c)).collect(),
            outcome: r.outcome,
        })
        .collect()
}

fn scale_rows(rows: &[RowSpec], k_counts: f64, k_value: f64) -> Vec<RowSpec> {
    rows.iter()
        .map(|r| RowSpec {
            path: r.path.clone(),
            outcome: Outcome::new(
                r.outcome.conversions * k_counts,
                r.outcome.value * k_value,
                r.outcome.nulls * k_counts,
            ),
        })
        .collect()
}

/// Rows plus the index of one row and three random numbers to split it with.
fn arb_split() -> impl Strategy<Value = (Vec<RowSpec>, usize, (u32, u32, u32))> {
    arb_rows().prop_flat_map(|rows| {
        let n = rows.len();
        (Just(rows), 0..n, any::<(u32, u32, u32)>())
    })
}

/// Splits a whole-number outcome into two valid outcomes summing to it.
fn split_outcome(o: Outcome, (a, b, c): (u32, u32, u32)) -> (Outcome, Outcome) {
    let c1 = f64::from(a % (o.conversions as u32 + 1));
    let c2 = o.conversions - c1;
    let v1 = if c1 == 0.0 {
        0.0
    } else if c2 == 0.0 {
        o.value
    } else {
        f64::from(b % (o.value as u32 + 1))
    };
    let u1 = f64::from(c % (o.nulls as u32 + 1));
    (
        Outcome::new(c1, v1, u1),
        Outcome::new(c2, o.value - v1, o.nulls - u1),
    )
}

/// Rows, a number of shards K, each row's shard, and the order in which shards are merged.
fn arb_shards() -> impl Strategy<Value = (Vec<RowSpec>, Vec<usize>, Vec<usize>)> {
    (arb_rows(), 1usize..=5).prop_flat_map(|(rows, k)| {
        let n = rows.len();
        (
            Just(rows),
            prop::collection::vec(0..k, n),
            Just((0..k).collect::<Vec<_>>()).prop_shuffle(),
        )
    })
}

/// Merges the shards of `rows` (row i goes to shard `shard[i]`) in `order`, starting from an
/// empty table.
fn merge_shards<T>(
    rows: &[T],
    shard: &[usize],
    order: &[usize],
    build: impl Fn(&[T]) -> PathTable,
) -> PathTable
where
    T: Clone,
{
    let mut merged = PathTable::new();
    for &k in order {
        let part: Vec<T> = rows
            .iter()
            .zip(shard)
            .filter(|(_, s)| **s == k)
            .map(|(r, _)| r.clone())
            .collect();
        merged.merge(&build(&part)).unwrap();
    }
    merged
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn p1_efficiency(rows in arb_rows()) {
        let t = table_from(&rows);
        let totals = t.totals();
        // Raw participation: Σ = Σ_r c_r |S_r| (and Σ_r v_r |S_r|).
        let raw_c: f64 = rows.iter().map(|r| r.outcome.conversions * distinct_count(&r.path) as f64).sum();
        let raw_v: f64 = rows.iter().map(|r| r.outcome.value * distinct_count(&r.path) as f64).sum();
        for m in all_models() {
            let a = run(&*m, &t);
            let (c, v) = if is_raw_participation(&*m) { (raw_c, raw_v) } else { (totals.conversions, totals.value) };
            assert_close(a.credited_conversions(), c);
            assert_close(a.credited_value(), v);
            assert_eq!(a.total_conversions, totals.conversions);
            assert_eq!(a.total_value, totals.value);
            assert_eq!(a.total_null, totals.nulls);
            if !is_raw_participation(&*m) {
                assert_close(a.channels.iter().map(|c| c.share).sum(), 1.0);
            }
        }
    }

    #[test]
    fn p2_non_negative(rows in arb_rows()) {
        let t = table_from(&rows);
        for m in all_models() {
            for c in run(&*m, &t).channels {
                assert!(c.conversions >= 0.0 && c.value >= 0.0, "{m:?}: {c:?}");
                assert!(c.share >= 0.0 && c.value_share >= 0.0, "{m:?}: {c:?}");
            }
        }
    }

    #[test]
    fn p3_relabelling_relabels_credit(
        rows in arb_rows(),
        perm in Just(POOL.to_vec()).prop_shuffle(),
    ) {
        let map = |s: &str| perm[POOL.iter().position(|p| *p == s).expect("pool name")];
        let t = table_from(&rows);
        let t2 = table_from(&relabel_rows(&rows, |s| map(s).to_string()));
        let direct2: Vec<&str> = DIRECT.iter().map(|d| map(d)).collect();
        for (m, m2) in models(&DIRECT).iter().zip(models(&direct2)) {
            let (a, b) = (run(&**m, &t), run(&*m2, &t2));
            assert_eq!(a.channels.len(), b.channels.len());
            for c in &a.channels {
                let c2 = b.get(map(&c.channel)).expect("relabelled channel");
                assert!(close_to(c.conversions, c2.conversions, 1e-12)
                    && close_to(c.value, c2.value, 1e-12), "{m:?}: {c:?} vs {c2:?}");
            }
        }
    }

    #[test]
    fn p4_row_order_is_irrelevant(
        (rows, shuffled) in arb_rows().prop_flat_map(|r| (Just(r.clone()), Just(r).prop_shuffle())),
    ) {
        let (t, ts) = (table_from(&rows), table_from(&shuffled));
        assert_eq!(t, ts);
        for m in all_models() {
            assert_attr_close(&run(&*m, &t), &run(&*m, &ts), 1e-12);
        }
    }

    #[test]
    fn p5_splitting_a_row_changes_nothing((rows, i, seed) in arb_split()) {
        let (o1, o2) = split_outcome(rows[i].outcome, seed);
        let mut first = rows.clone();
        first[i].outcome = o1;
        let second = [RowSpec { path: rows[i].path.clone(), outcome: o2 }];
        let whole = table_from(&rows);
        // The two parts as two rows of one table, and in two merged tables.
        let mut added = table_from(&first);
        added.add(&second[0].path, o2).unwrap();
        let mut merged = table_from(&first);
        merged.merge(&table_from(&second)).unwrap();
        assert_eq!(&added, &whole);
        assert_eq!(&merged, &whole);
        for m in all_models() {
            let a = run(&*m, &whole);
            assert_attr_close(&run(&*m, &added), &a, 1e-12);
            assert_attr_close(&run(&*m, &merged), &a, 1e-12);
        }
    }

    #[test]
    fn p6_doubling_counts_doubles_credit(rows in arb_rows()) {
        let (t, t2) = (table_from(&rows), table_from(&scale_rows(&rows, 2.0, 2.0)));
        for m in all_models() {
            let (a, b) = (run(&*m, &t), run(&*m, &t2));
            for c in &a.channels {
                let d = b.get(&c.channel).expect("same channels");
                assert_close_tol(d.conversions, 2.0 * c.conversions, 1e-12);
                assert_close_tol(d.value, 2.0 * c.value, 1e-12);
                assert_close_tol(d.share, c.share, 1e-12);
                assert_close_tol(d.value_share, c.value_share, 1e-12);
            }
        }
    }

    #[test]
    fn p7_scaling_values_scales_only_value_credit(rows in arb_rows(), k in 0u32..=8) {
        let k = f64::from(k) / 2.0;
        let (t, tk) = (table_from(&rows), table_from(&scale_rows(&rows, 1.0, k)));
        for m in all_models() {
            let (a, b) = (run(&*m, &t), run(&*m, &tk));
            for c in &a.channels {
                let d = b.get(&c.channel).expect("same channels");
                assert_close_tol(d.conversions, c.conversions, 1e-12);
                assert_close_tol(d.value, k * c.value, 1e-12);
            }
        }
    }

    #[test]
    fn p8_null_journeys_change_nothing(
        rows in arb_rows(),
        nulls in prop::collection::vec((arb_path(POOL.to_vec()), 1u32..=5), 1..5),
    ) {
        let t = table_from(&rows);
        let mut tn = t.clone();
        for (p, u) in &nulls {
            tn.add(p, Outcome::null(f64::from(*u))).unwrap();
        }
        for m in all_models() {
            // New channels that only appear on null paths count as 0 in the comparison.
            assert_attr_close(&run(&*m, &tn), &run(&*m, &t), 1e-12);
        }
    }

    #[test]
    fn p9_row_additivity(r1 in arb_rows(), r2 in arb_rows()) {
        let (t1, t2) = (table_from(&r1), table_from(&r2));
        let mut both = t1.clone();
        both.merge(&t2).unwrap();
        for m in all_models().into_iter().filter(|m| is_row_additive(&**m)) {
            let (a1, a2, a) = (run(&*m, &t1), run(&*m, &t2), run(&*m, &both));
            for c in &a.channels {
                assert_close_tol(c.conversions, a1.conversions(&c.channel) + a2.conversions(&c.channel), 1e-12);
                assert_close_tol(c.value, a1.value(&c.channel) + a2.value(&c.channel), 1e-12);
            }
        }
    }

    #[test]
    fn p10_single_touch_tables_credit_own_outcomes(rows in arb_rows()) {
        let single: Vec<RowSpec> = rows.iter()
            .map(|r| RowSpec { path: r.path[..1].to_vec(), outcome: r.outcome })
            .collect();
        let mut own = BTreeMap::<&str, (f64, f64)>::new();
        for r in &single {
            let e = own.entry(&r.path[0]).or_default();
            e.0 += r.outcome.conversions;
            e.1 += r.outcome.value;
        }
        let t = table_from(&single);
        for m in all_models() {
            let a = run(&*m, &t);
            for (ch, &(c, v)) in &own {
                assert_close_tol(a.conversions(ch), c, 1e-12);
                assert_close_tol(a.value(ch), v, 1e-12);
            }
        }
        // P14: first = last = linear on paths of length 1.
        assert_attr_close(&run(&FirstTouch, &t), &run(&LastTouch, &t), 0.0);
        assert_attr_close(&run(&FirstTouch, &t), &run(&Linear::default(), &t), 0.0);
    }

    #[test]
    fn p11_one_channel_gets_everything(rows in arb_rows()) {
        let t = table_from(&relabel_rows(&rows, |_| "Solo".to_string()));
        let totals = t.totals();
        for m in all_models() {
            let a = run(&*m, &t);
            assert_eq!(a.channels.len(), 1);
            assert_close_tol(a.conversions("Solo"), totals.conversions, 1e-12);
            assert_close_tol(a.value("Solo"), totals.value, 1e-12);
            assert_close_tol(a.channels[0].share, 1.0, 1e-12);
        }
    }

    #[test]
    fn p13_null_player_gets_nothing(
        rows in arb_rows(),
        ghosts in prop::collection::vec((arb_path(POOL.to_vec()), any::<prop::sample::Index>()), 1..4),
    ) {
        let mut t = table_from(&rows);
        for (p, at) in &ghosts {
            let mut p = p.clone();
            p.insert(at.index(p.len() + 1), "Ghost".to_string());
            t.add(&p, Outcome::null(1.0)).unwrap();
        }
        // Channels of the original rows that are on no converting path are null players too.
        let converting: Vec<&String> = rows.iter()
            .filter(|r| r.outcome.conversions > 0.0)
            .flat_map(|r| &r.path)
            .collect();
        let idle: Vec<&str> = t.channels().iter()
            .map(|(_, n)| n)
            .filter(|n| !converting.iter().any(|c| c == n))
            .collect();
        assert!(idle.contains(&"Ghost"));
        for m in all_models() {
            let a = run(&*m, &t);
            for ch in &idle {
                let c = a.get(ch).expect("interned channel is reported");
                assert!(c.conversions == 0.0 && c.value == 0.0, "{m:?}: {c:?}");
            }
        }
    }

    #[test]
    fn p14_linear_conventions_agree_without_repeats(rows in arb_rows()) {
        let (touch, distinct, per_run) = (
            Linear::new(LinearMode::PerTouch),
            Linear::new(LinearMode::PerDistinct),
            Linear::new(LinearMode::PerRun),
        );
        // No repeated channel: per touch = per distinct (= per run).
        let unique = relabel_paths(&rows, |p| {
            let mut seen = Vec::new();
            p.iter().filter(|c| { let new = !seen.contains(c); seen.push(*c); new }).cloned().collect()
        });
        let t = table_from(&unique);
        assert_attr_close(&run(&touch, &t), &run(&distinct, &t), 1e-12);
        assert_attr_close(&run(&touch, &t), &run(&per_run, &t), 1e-12);
        // Per run on a table = per touch on its run-collapsed table (so they agree when no
        // consecutive repeat exists).
        let collapsed = relabel_paths(&rows, |p| {
            let mut q = p.to_vec();
            q.dedup();
            q
        });
        let (t, tc) = (table_from(&rows), table_from(&collapsed));
        assert_attr_close(&run(&per_run, &t), &run(&touch, &tc), 1e-12);
        assert_attr_close(&run(&per_run, &tc), &run(&touch, &tc), 1e-12);
    }

    #[test]
    fn p15_extreme_position_weights_are_first_and_last_touch(rows in arb_rows()) {
        let t = table_from(&rows);
        let (first, last) = (run(&FirstTouch, &t), run(&LastTouch, &t));
        for two_touch in [TwoTouch::Renormalize, TwoTouch::SplitMiddle] {
            let f = PositionBased { two_touch, ..PositionBased::new(1.0, 0.0, 0.0) };
            let l = PositionBased { two_touch, ..PositionBased::new(0.0, 0.0, 1.0) };
            assert_attr_close(&run(&f, &t), &first, 0.0);
            assert_attr_close(&run(&l, &t), &last, 0.0);
        }
        let w = |first, last| WShaped { first, milestone: 0.0, last, rest: 0.0 };
        assert_attr_close(&run(&w(1.0, 0.0), &t), &first, 0.0);
        assert_attr_close(&run(&w(0.0, 1.0), &t), &last, 0.0);
    }

    #[test]
    fn p20_channel_on_no_path_gets_zero(rows in arb_rows()) {
        let mut t = table_from(&rows);
        t.intern("Ghost").unwrap();
        for m in all_models() {
            let a = run(&*m, &t);
            let g = a.get("Ghost").expect("every interned channel is reported");
            assert!(g.conversions == 0.0 && g.value == 0.0 && g.share == 0.0, "{m:?}: {g:?}");
        }
    }

    #[test]
    fn merging_shards_in_any_order_is_the_whole((rows, shard, order) in arb_shards()) {
        let whole = table_from(&rows);
        let merged = merge_shards(&rows, &shard, &order, table_from);
        assert_eq!(&merged, &whole);
        for m in all_models() {
            assert_attr_close(&run(&*m, &merged), &run(&*m, &whole), 1e-12);
        }
    }

    #[test]
    fn path_credit_sums_back_to_attribution(rows in arb_rows()) {
        let t = table_from(&rows);
        for m in models(&DIRECT) {
            let pc = m.path_credit(&t).unwrap();
            assert_eq!(pc.len(), t.len());
            let mut conv = BTreeMap::<&str, f64>::new();
            let mut value = BTreeMap::<&str, f64>::new();
            for (r, row) in t.rows().enumerate() {
                let f = pc.fractions(r);
                assert_eq!(f.len(), row.path.len());
                if !is_raw_participation(&*m) && m.name() != "participation_normalized" {
                    assert_close_tol(f.iter().sum(), 1.0, 1e-12);
                }
                for (&id, &x) in row.path.iter().zip(f) {
                    assert!((0.0..=1.0).contains(&x), "{m:?}: {f:?}");
                    let name = t.channels().name(id);
                    *conv.entry(name).or_default() += row.outcome.conversions * x;
                    *value.entry(name).or_default() += row.outcome.value * x;
                }
            }
            if m.name() == "participation_normalized" {
                continue; // fractions are those of the raw form; the rescaling is global
            }
            let a = run(&*m, &t);
            for (ch, c) in conv {
                assert_close_tol(a.conversions(ch), c, 1e-12);
                assert_close_tol(a.value(ch), value[ch], 1e-12);
            }
        }
    }
}

fn relabel_paths(rows: &[RowSpec], f: impl Fn(&[String]) -> Vec<String>) -> Vec<RowSpec> {
    rows.iter()
        .map(|r| RowSpec {
            path: f(&r.path),
            outcome: r.outcome,
        })
        .collect()
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
