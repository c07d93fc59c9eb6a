//! The worked tables of the model reference (§Worked tables, §Rule-based results on T2) and hand examples.

use super::*;

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
