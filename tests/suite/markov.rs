//! Markov-chain attribution: the worked examples of the model reference (§Markov chain: T1, T2
//! orders 1–4, T4, T4b, T5, T7, T8), the base rate, removal-effect bounds, self-loops and full
//! history as properties on random tables, invariances, and the Monte
//! Carlo mode against the exact solver.

use proptest::prelude::*;
use touchpoint::{
    AttributionModel, Error, Markov, Order, Outcome, Participation, PathTable, Solver, ValueMode,
};

use crate::common;

use common::table;

type Spec<'a> = &'a [(&'a str, f64, f64, f64)];

const T1: Spec = &[
    ("C1 > C2 > C3", 1.0, 1000.0, 0.0),
    ("C1", 0.0, 0.0, 1.0),
    ("C2 > C3", 0.0, 0.0, 1.0),
];
const T2: Spec = common::T2;
const T4: Spec = &[
    ("A > B", 2.0, 20.0, 2.0),
    ("A > D", 0.0, 0.0, 3.0),
    ("B > A > B", 1.0, 10.0, 1.0),
    ("D > A", 0.0, 0.0, 1.0),
];
const T5: Spec = &[
    ("A", 3.0, 30.0, 7.0),
    ("B", 1.0, 25.0, 4.0),
    ("C", 2.0, 5.0, 0.0),
];
const T7: Spec = &[
    ("X > A > A > X", 1.0, 10.0, 0.0),
    ("Z > A > A > Z", 0.0, 0.0, 1.0),
    ("Z > A > X", 1.0, 10.0, 1.0),
    ("X > A > Z", 0.0, 0.0, 1.0),
];
const T8: Spec = &[("A", 2.0, 20.0, 3.0), ("A > A", 1.0, 5.0, 0.0)];

/// Relative-or-absolute 1e-9.
fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * b.abs().max(1.0)
}

#[track_caller]
fn assert_close(a: f64, b: f64, what: &str) {
    assert!(close(a, b), "{what}: got {a}, expected {b}");
}

/// Expected numbers of one run, per channel in name order.
struct Expect<'a> {
    p: f64,
    re: &'a [f64],
    re_value: Option<&'a [f64]>,
    conv: &'a [f64],
    value: &'a [f64],
}

#[track_caller]
fn check(m: &Markov, rows: Spec<'_>, e: &Expect<'_>) {
    let t = table(rows);
    let fit = m.fit(&t).unwrap();
    let a = m.attribute(&t).unwrap();
    assert_close(fit.conversion_probability(), e.p, "P(conv)");
    let names: Vec<&str> = a.channels.iter().map(|c| c.channel.as_str()).collect();
    for (i, name) in names.iter().enumerate() {
        let what = |q: &str| format!("{m:?} {name} {q}");
        assert_close(fit.removal_effect(name).unwrap(), e.re[i], &what("RE"));
        if let Some(rv) = e.re_value {
            assert_close(
                fit.value_removal_effect(name).unwrap(),
                rv[i],
                &what("RE_V"),
            );
        }
        assert_close(a.conversions(name), e.conv[i], &what("conversions"));
        assert_close(a.value(name), e.value[i], &what("value"));
    }
    // The base rate and efficiency on every worked table.
    let tot = t.totals();
    assert_close(
        fit.conversion_probability(),
        tot.conversions / tot.journeys(),
        "M1",
    );
    assert_close(a.credited_conversions(), tot.conversions, "Σ conv = C");
    assert_close(a.credited_value(), tot.value, "Σ value = V");
}

fn markov(k: usize, value_mode: ValueMode, collapse_repeats: bool) -> Markov {
    Markov {
        order: Order::Fixed(k),
        value_mode,
        collapse_repeats,
        solver: Solver::Exact,
        ..Markov::default()
    }
}

const VW: ValueMode = ValueMode::ValueWeighted;
const PROP: ValueMode = ValueMode::Proportional;

#[test]
fn t1_published_answer() {
    // T1: RE 1/2, 1, 1; conversions 0.2, 0.4, 0.4; value 200, 400, 400.
    let e = Expect {
        p: 1.0 / 3.0,
        re: &[0.5, 1.0, 1.0],
        re_value: Some(&[0.5, 1.0, 1.0]),
        conv: &[0.2, 0.4, 0.4],
        value: &[200.0, 400.0, 400.0],
    };
    check(&Markov::default(), T1, &e);
    check(&markov(1, PROP, false), T1, &e);
}

#[test]
fn t2_orders_1_to_4() {
    // The model reference, §Markov worked examples; the order-2 proportional values are
    // V·RE/Σ RE, exact fractions like the others.
    let p = 7.0 / 15.0;
    let o1_re = [88.0 / 161.0, 71.0 / 126.0, 199.0 / 357.0];
    let o1_conv = [188496.0 / 82151.0, 194327.0 / 82151.0, 192234.0 / 82151.0];
    check(
        &markov(1, VW, false),
        T2,
        &Expect {
            p,
            re: &o1_re,
            re_value: Some(&[457.0 / 805.0, 5.0 / 9.0, 1913.0 / 3570.0]),
            conv: &o1_conv,
            value: &[
                9788940.0 / 408689.0,
                9579500.0 / 408689.0,
                9239790.0 / 408689.0,
            ],
        },
    );
    check(
        &markov(1, PROP, false),
        T2,
        &Expect {
            p,
            re: &o1_re,
            re_value: None,
            conv: &o1_conv,
            value: &[
                1884960.0 / 82151.0,
                1943270.0 / 82151.0,
                1922340.0 / 82151.0,
            ],
        },
    );
    let o2_re = [9.0 / 14.0, 5.0 / 7.0, 5.0 / 7.0];
    let o2_conv = [63.0 / 29.0, 70.0 / 29.0, 70.0 / 29.0];
    check(
        &markov(2, VW, false),
        T2,
        &Expect {
            p,
            re: &o2_re,
            re_value: Some(&[26.0 / 35.0, 26.0 / 35.0, 5.0 / 7.0]),
            conv: &o2_conv,
            value: &[260.0 / 11.0, 260.0 / 11.0, 250.0 / 11.0],
        },
    );
    check(
        &markov(2, PROP, false),
        T2,
        &Expect {
            p,
            re: &o2_re,
            re_value: None,
            conv: &o2_conv,
            value: &[630.0 / 29.0, 700.0 / 29.0, 700.0 / 29.0],
        },
    );
    let full = [5.0 / 7.0; 3];
    let third = [7.0 / 3.0; 3];
    for k in [3, 4] {
        // From order 3 on every path of T2 is its own state chain (full history).
        check(
            &markov(k, VW, false),
            T2,
            &Expect {
                p,
                re: &full,
                re_value: Some(&[57.0 / 70.0, 26.0 / 35.0, 5.0 / 7.0]),
                conv: &third,
                value: &[1330.0 / 53.0, 3640.0 / 159.0, 3500.0 / 159.0],
            },
        );
        check(
            &markov(k, PROP, false),
            T2,
            &Expect {
                p,
                re: &full,
                re_value: None,
                conv: &third,
                value: &[70.0 / 3.0; 3],
            },
        );
    }
}

#[test]
fn t2_first_order_transition_matrix() {
    // §Transition probabilities, with repeats collapsed or not; rows in the documented order.
    let want: &[(&str, &str, f64)] = &[
        ("(start)", "A", 2.0 / 5.0),
        ("(start)", "B", 1.0 / 3.0),
        ("(start)", "C", 4.0 / 15.0),
        ("A", "B", 2.0 / 3.0),
        ("A", "(conversion)", 2.0 / 9.0),
        ("A", "(null)", 1.0 / 9.0),
        ("B", "A", 1.0 / 12.0),
        ("B", "C", 1.0 / 3.0),
        ("B", "(conversion)", 1.0 / 6.0),
        ("B", "(null)", 5.0 / 12.0),
        ("C", "A", 1.0 / 4.0),
        ("C", "B", 1.0 / 8.0),
        ("C", "(conversion)", 3.0 / 8.0),
        ("C", "(null)", 1.0 / 4.0),
    ];
    for collapse in [false, true] {
        let fit = markov(1, VW, collapse).fit(&table(T2)).unwrap();
        let got = fit.transitions();
        assert_eq!(got.len(), want.len());
        assert_eq!(fit.transition_count(), want.len());
        assert_eq!(fit.states(), 3);
        for (g, w) in got.iter().zip(want) {
            assert_eq!((g.from.as_str(), g.to.as_str()), (w.0, w.1));
            assert_close(g.probability, w.2, &format!("{} → {}", w.0, w.1));
        }
    }
}

#[test]
fn t2_second_order_states_are_named_by_their_channels() {
    // Order 2 states of T2: A,B  B,C  A,A  B (single touch)  C,A  C,B  B,A  C (single touch).
    let fit = Markov::with_order(2).fit(&table(T2)).unwrap();
    assert_eq!(fit.states(), 8);
    let rows = fit.transitions();
    let p = |from: &str, to: &str| {
        rows.iter()
            .find(|r| r.from == from && r.to == to)
            .map(|r| r.probability)
    };
    // start: A,B (3+3... A>B>C weight 3) of 15; A,A from A>A>B (3 of 15).
    assert_close(p("(start)", "A,B").unwrap(), 3.0 / 15.0, "start → A,B");
    assert_close(p("(start)", "A,A").unwrap(), 3.0 / 15.0, "start → A,A");
    assert_close(p("(start)", "B").unwrap(), 4.0 / 15.0, "start → B");
    // A,A → A,B always; A,B → B,C (3 of A>B>C) or ends (A>A>B: 1 conversion, 2 nulls).
    assert_close(p("A,A", "A,B").unwrap(), 1.0, "A,A → A,B");
    assert_close(p("A,B", "B,C").unwrap(), 3.0 / 6.0, "A,B → B,C");
    assert_close(p("A,B", "(null)").unwrap(), 2.0 / 6.0, "A,B → null");
    for from in [
        "(start)", "A,A", "A,B", "B", "B,A", "B,C", "C", "C,A", "C,B",
    ] {
        let sum: f64 = rows
            .iter()
            .filter(|r| r.from == from)
            .map(|r| r.probability)
            .sum();
        assert_close(sum, 1.0, from);
    }
}

#[test]
fn t4_null_only_channel_can_reach_conversion() {
    // T4: D appears only in null paths but D > A leads on to conversions.
    check(
        &Markov::default(),
        T4,
        &Expect {
            p: 3.0 / 10.0,
            re: &[3.0 / 4.0, 1.0, 3.0 / 34.0],
            re_value: Some(&[3.0 / 4.0, 1.0, 3.0 / 34.0]),
            conv: &[153.0 / 125.0, 204.0 / 125.0, 18.0 / 125.0],
            value: &[306.0 / 25.0, 408.0 / 25.0, 36.0 / 25.0],
        },
    );
}

#[test]
fn t4b_null_player_gets_nothing() {
    // T4b: D only ends null paths, RE(D) = 0.
    let e = Expect {
        p: 1.0 / 3.0,
        re: &[3.0 / 4.0, 1.0, 0.0],
        re_value: Some(&[3.0 / 4.0, 1.0, 0.0]),
        conv: &[9.0 / 7.0, 12.0 / 7.0, 0.0],
        value: &[90.0 / 7.0, 120.0 / 7.0, 0.0],
    };
    check(&Markov::default(), &T4[..3], &e);
    // The same at order 2, through the sparse solver: A and B are both needed, D never.
    let fit = Markov::with_order(2).fit(&table(&T4[..3])).unwrap();
    assert_eq!(fit.removal_effect("D"), Some(0.0));
}

#[test]
fn t5_single_touch_paths_credit_their_own_outcomes() {
    // T5: conversions 3, 1, 2 in both modes; value 30, 25, 5 value-weighted, 30, 10, 20 prop.
    let base = Expect {
        p: 6.0 / 17.0,
        re: &[3.0 / 6.0, 1.0 / 6.0, 2.0 / 6.0],
        re_value: None,
        conv: &[3.0, 1.0, 2.0],
        value: &[30.0, 25.0, 5.0],
    };
    check(&Markov::default(), T5, &base);
    check(
        &markov(1, PROP, false),
        T5,
        &Expect {
            value: &[30.0, 10.0, 20.0],
            ..base
        },
    );
}

#[test]
fn t7_collapsing_repeats_matters_at_order_2_only() {
    // T7 (the model reference, §Higher orders).
    let p = 2.0 / 5.0;
    check(
        &markov(2, VW, false),
        T7,
        &Expect {
            p,
            re: &[1.0, 1.0, 5.0 / 6.0],
            re_value: Some(&[1.0, 1.0, 5.0 / 6.0]),
            conv: &[12.0 / 17.0, 12.0 / 17.0, 10.0 / 17.0],
            value: &[120.0 / 17.0, 120.0 / 17.0, 100.0 / 17.0],
        },
    );
    check(
        &markov(2, VW, true),
        T7,
        &Expect {
            p,
            re: &[1.0, 1.0, 2.0 / 3.0],
            re_value: Some(&[1.0, 1.0, 2.0 / 3.0]),
            conv: &[3.0 / 4.0, 3.0 / 4.0, 1.0 / 2.0],
            value: &[7.5, 7.5, 5.0],
        },
    );
    for collapse in [false, true] {
        check(
            &markov(1, VW, collapse),
            T7,
            &Expect {
                p,
                re: &[3.0 / 5.0, 1.0, 9.0 / 19.0],
                re_value: Some(&[3.0 / 5.0, 1.0, 9.0 / 19.0]),
                conv: &[114.0 / 197.0, 190.0 / 197.0, 90.0 / 197.0],
                value: &[1140.0 / 197.0, 1900.0 / 197.0, 900.0 / 197.0],
            },
        );
    }
}

#[test]
fn t8_one_channel_takes_everything() {
    // T8.
    for k in [1, 2, 3] {
        check(
            &markov(k, VW, false),
            T8,
            &Expect {
                p: 0.5,
                re: &[1.0],
                re_value: Some(&[1.0]),
                conv: &[3.0],
                value: &[25.0],
            },
        );
    }
}

#[test]
fn no_conversions_is_a_typed_error() {
    let t = table(&[("A > B", 0.0, 0.0, 3.0), ("B", 0.0, 0.0, 1.0)]);
    assert!(matches!(
        Markov::default().attribute(&t),
        Err(Error::NoConversions { .. })
    ));
    assert!(matches!(
        Markov::with_order(2).fit(&PathTable::new()),
        Err(Error::NoConversions { .. })
    ));
}

#[test]
fn an_order_too_large_for_the_state_key_is_refused() {
    // 1,000 channels take 10 bits per channel in a 128-bit state key: orders up to 12.
    let mut t = table(T2);
    for i in 0..997 {
        t.intern(&format!("extra{i}")).unwrap();
    }
    assert_eq!(t.channels().len(), 1000);
    assert!(Markov::with_order(12).fit(&t).is_ok());
    assert!(matches!(
        Markov::with_order(13).fit(&t),
        Err(Error::InvalidParameter { name: "order", .. })
    ));
}

#[test]
fn the_configuration_round_trips_through_json() {
    let m = Markov {
        order: Order::auto(),
        value_mode: ValueMode::Proportional,
        collapse_repeats: true,
        solver: Solver::MonteCarlo {
            walks: 1000,
            max_steps: Some(20),
            seed: 5,
        },
        max_work: 1e6,
        max_walk_steps: 5e5,
    };
    let json = serde_json::to_string(&m).unwrap();
    assert_eq!(serde_json::from_str::<Markov>(&json).unwrap(), m);
    let default: Markov =
        serde_json::from_str(&serde_json::to_string(&Markov::default()).unwrap()).unwrap();
    assert_eq!(default, Markov::default());
}

#[test]
fn no_nulls_gives_visit_probabilities_and_a_note() {
    // Without nulls P(conv) = 1 and RE(c) = P(visit c): A is visited by 1 of 2 journeys, B by
    // both, so RE = 1/2, 1 and conversions 2·(1/2)/(3/2) = 2/3, 2·1/(3/2) = 4/3.
    let t = table(&[("A > B", 1.0, 4.0, 0.0), ("B", 1.0, 2.0, 0.0)]);
    for k in [1, 2] {
        let fit = Markov::with_order(k).fit(&t).unwrap();
        assert!(!fit.has_nulls());
        assert_close(fit.conversion_probability(), 1.0, "P");
        assert_close(fit.removal_effect("A").unwrap(), 0.5, "RE(A)");
        let a = fit.attribution(&t).unwrap();
        assert_close(a.conversions("A"), 2.0 / 3.0, "conv(A)");
        assert_close(a.conversions("B"), 4.0 / 3.0, "conv(B)");
        assert!(a.extras["note"].as_str().unwrap().contains("no null"));
    }
    let with_nulls = Markov::default().attribute(&table(T2)).unwrap();
    assert!(!with_nulls.extras.contains_key("note"));
}

#[test]
fn extras_carry_the_chain_facts() {
    let t = table(T2);
    let a = Markov::with_order(2).attribute(&t).unwrap();
    let json = serde_json::to_value(&a).unwrap();
    assert_eq!(json["model"], "markov");
    assert_eq!(json["order"], 2);
    assert_eq!(json["states"], 8);
    assert_eq!(json["solver"], "exact");
    assert!(close(
        json["conversion_probability"].as_f64().unwrap(),
        7.0 / 15.0
    ));
    assert!(close(
        json["removal_effects"]["A"].as_f64().unwrap(),
        9.0 / 14.0
    ));
    assert!(close(
        json["value_removal_effects"]["C"].as_f64().unwrap(),
        5.0 / 7.0
    ));
    let fit = Markov::with_order(2).fit(&t).unwrap();
    assert_eq!(json["transitions"], fit.transitions().len());
    // Proportional mode has no value removal effects to report.
    let p = markov(2, PROP, false).attribute(&t).unwrap();
    assert!(!p.extras.contains_key("value_removal_effects"));
    // A channel of the vocabulary that no path uses is credited 0, RE 0.
    let mut t = table(T2);
    t.intern("Unused").unwrap();
    let a = Markov::with_order(2).attribute(&t).unwrap();
    assert_eq!(a.conversions("Unused"), 0.0);
    assert_eq!(a.extras["removal_effects"]["Unused"], 0.0);
}

/// All paths of length 3..=5 over {A, B, C}; paths ending in A > B convert 9 of 10 journeys,
/// others 1 of 10: only the last two channels predict conversion.
fn second_order_table() -> PathTable {
    let names = ["A", "B", "C"];
    let mut t = PathTable::new();
    for len in 3..=5u32 {
        for code in 0..3usize.pow(len) {
            let path: Vec<&str> = (0..len).map(|i| names[code / 3usize.pow(i) % 3]).collect();
            let o = if path.ends_with(&["A", "B"]) {
                Outcome::new(9.0, 90.0, 1.0)
            } else {
                Outcome::new(1.0, 10.0, 9.0)
            };
            t.add(&path, o).unwrap();
        }
    }
    t
}

#[test]
fn auto_order_picks_the_order_the_data_needs() {
    let t = second_order_table();
    let m = Markov {
        order: Order::auto(),
        ..Markov::default()
    };
    let fit = m.fit(&t).unwrap();
    assert_eq!(fit.order(), 2, "{:?}", fit.order_scores());
    let scores = fit.order_scores().unwrap();
    assert_eq!(scores.len(), 4);
    let a = fit.attribution(&t).unwrap();
    assert_eq!(a.extras["order"], 2);
    assert_eq!(a.extras["order_selection"].as_array().unwrap().len(), 4);
    // Row order does not change the choice or the scores.
    let mut rows = t.to_named_rows();
    rows.reverse();
    let mut r = PathTable::new();
    for (p, o) in rows {
        r.add(p, o).unwrap();
    }
    let fit_r = m.fit(&r).unwrap();
    assert_eq!(fit_r.order(), 2);
    for (x, y) in scores.iter().zip(fit_r.order_scores().unwrap()) {
        assert_close(x.auc.unwrap(), y.auc.unwrap(), "AUC");
    }
    // Without nulls there is no ROC curve: order 1.
    let t = table(&[("A > B", 1.0, 0.0, 0.0), ("B", 2.0, 0.0, 0.0)]);
    let fit = m.fit(&t).unwrap();
    assert_eq!(fit.order(), 1);
    assert!(fit.order_scores().unwrap().iter().all(|s| s.auc.is_none()));
}

#[test]
fn monte_carlo_is_within_four_standard_errors_of_exact() {
    // P19: SE ≈ √(RE(1 − RE)/nconv). max_steps is lifted so the cap does not bias the walks.
    let t = table(T2);
    for k in [1, 2] {
        let exact = Markov::with_order(k).fit(&t).unwrap();
        let m = Markov {
            order: Order::Fixed(k),
            solver: Solver::MonteCarlo {
                walks: 200_000,
                max_steps: Some(1000),
                seed: 7,
            },
            ..Markov::default()
        };
        let sim = m.fit(&t).unwrap();
        let nconv = sim.simulated_conversions().unwrap() as f64;
        let p = exact.conversion_probability();
        let se_p = (p * (1.0 - p) / 200_000.0).sqrt();
        assert!((sim.conversion_probability() - p).abs() <= 4.0 * se_p);
        for ((name, re), (_, re_sim)) in exact
            .removal_effects()
            .into_iter()
            .zip(sim.removal_effects())
        {
            let se = (re * (1.0 - re) / nconv).sqrt();
            assert!(
                (re_sim - re).abs() <= 4.0 * se,
                "order {k} {name}: {re_sim} vs {re} (SE {se})"
            );
        }
        // Same seed, same numbers; the attribution is efficient like the exact one.
        let again = m.fit(&t).unwrap();
        assert_eq!(sim.removal_effects(), again.removal_effects());
        assert_eq!(sim.value_removal_effects(), again.value_removal_effects());
        let a = sim.attribution(&t).unwrap();
        assert_close(a.credited_conversions(), 7.0, "Σ conv");
        assert_close(a.credited_value(), 70.0, "Σ value");
        assert_eq!(a.extras["solver"], "monte_carlo");
    }
}

#[test]
fn monte_carlo_default_cap_truncates_long_walks() {
    // ChannelAttribution's default cap is the longest state sequence in the data (4 for T2 at
    // order 1): walks that would go on count as non-conversions, so P(conv) is biased down.
    let t = table(T2);
    let capped = Markov {
        solver: Solver::monte_carlo(100_000, 3),
        ..Markov::default()
    }
    .fit(&t)
    .unwrap();
    let one_step = Markov {
        solver: Solver::MonteCarlo {
            walks: 100_000,
            max_steps: Some(1),
            seed: 3,
        },
        ..Markov::default()
    }
    .fit(&t)
    .unwrap();
    // With one state allowed only single-state walks convert:
    // start → A → conv 2/5 · 2/9 + start → B → conv 1/3 · 1/6 + start → C → conv 4/15 · 3/8
    // = 11/45. With the default cap of 4 states, P(conv within 4 states) = 103499/233280
    // (dynamic programming over T2's transition matrix), below 7/15.
    for (fit, p) in [(&one_step, 11.0f64 / 45.0), (&capped, 103499.0 / 233280.0)] {
        let se = (p * (1.0 - p) / 100_000.0).sqrt();
        let got = fit.conversion_probability();
        assert!((got - p).abs() <= 4.0 * se, "{got} vs {p}");
    }
}

// ---------------------------------------------------------------------------------------------
// Properties on random small tables (the model reference, §Properties, P17).

type RawRow = (Vec<u8>, u8, u8, u8);

fn names() -> [&'static str; 4] {
    ["A", "B", "C", "D"]
}

fn build(rows: &[RawRow], scale: f64, rename: impl Fn(u8) -> String) -> PathTable {
    let mut t = PathTable::new();
    for (path, c, u, v) in rows {
        let c = f64::from(*c) * scale;
        let value = c * f64::from(*v);
        let p: Vec<String> = path.iter().map(|&x| rename(x)).collect();
        t.add(&p, Outcome::new(c, value, f64::from(*u) * scale))
            .unwrap();
    }
    t
}

fn plain(x: u8) -> String {
    names()[x as usize].to_string()
}

fn rows_strategy() -> impl Strategy<Value = Vec<RawRow>> {
    let row = (
        prop::collection::vec(0u8..4, 1..=5),
        0u8..=3,
        0u8..=3,
        0u8..=20,
    );
    prop::collection::vec(row, 1..8).prop_map(|mut rows| {
        rows[0].1 = rows[0].1.max(1); // at least one conversion
        rows
    })
}

fn max_len(rows: &[RawRow]) -> usize {
    rows.iter().map(|r| r.0.len()).max().unwrap_or(1)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn m1_m4_and_efficiency(rows in rows_strategy(), k in 1usize..=3, prop_value in any::<bool>()) {
        let t = build(&rows, 1.0, plain);
        let value_mode = if prop_value { PROP } else { VW };
        let m = markov(k, value_mode, false);
        let fit = m.fit(&t).unwrap();
        let tot = t.totals();
        // Base rate.
        prop_assert!(close(fit.conversion_probability(), tot.conversions / tot.journeys()));
        // Bounds: 0 ≤ RE ≤ 1, Σ RE ≥ 1; the value removal effects likewise when there is value.
        let re: Vec<f64> = fit.removal_effects().into_iter().map(|x| x.1).collect();
        prop_assert!(re.iter().all(|&x| (0.0..=1.0).contains(&x)));
        prop_assert!(re.iter().sum::<f64>() >= 1.0 - 1e-9);
        let rv: Vec<f64> = fit.value_removal_effects().into_iter().map(|x| x.1).collect();
        prop_assert!(rv.iter().all(|&x| (0.0..=1.0).contains(&x)));
        if tot.value > 0.0 {
            prop_assert!(rv.iter().sum::<f64>() >= 1.0 - 1e-9);
        }
        // Efficiency, non-negativity.
        let a = fit.attribution(&t).unwrap();
        prop_assert!(close(a.credited_conversions(), tot.conversions));
        prop_assert!(close(a.credited_value(), tot.value));
        prop_assert!(a.channels.iter().all(|c| c.conversions >= 0.0 && c.value >= 0.0));
    }

    #[test]
    fn m2_repeats_and_self_loops_do_not_matter_at_order_1(rows in rows_strategy()) {
        let t = build(&rows, 1.0, plain);
        let base = markov(1, VW, false).attribute(&t).unwrap();
        let collapsed = markov(1, VW, true).attribute(&t).unwrap();
        // Doubling every touch (A > B → A > A > B > B) adds only self-loops.
        let doubled: Vec<RawRow> = rows
            .iter()
            .map(|(p, c, u, v)| (p.iter().flat_map(|&x| [x, x]).collect(), *c, *u, *v))
            .collect();
        let looped = markov(1, VW, false).attribute(&build(&doubled, 1.0, plain)).unwrap();
        for other in [&collapsed, &looped] {
            for (x, y) in base.channels.iter().zip(&other.channels) {
                prop_assert!(close(x.conversions, y.conversions) && close(x.value, y.value));
            }
        }
    }

    #[test]
    fn m6_full_history_is_normalised_participation(rows in rows_strategy(), extra in 0usize..2) {
        let t = build(&rows, 1.0, plain);
        let k = max_len(&rows) + extra;
        let fit = markov(k, VW, false).fit(&t).unwrap();
        let a = fit.attribution(&t).unwrap();
        let part = Participation::normalized().attribute(&t).unwrap();
        let c_total = t.totals().conversions;
        for (x, y) in a.channels.iter().zip(&part.channels) {
            prop_assert!(close(x.conversions, y.conversions), "{} {} {}", x.channel, x.conversions, y.conversions);
            prop_assert!(close(x.value, y.value), "{} {} {}", x.channel, x.value, y.value);
            // RE(c) = Σ_{r: c ∈ S_r} c_r / C.
            let raw: f64 = rows
                .iter()
                .filter(|r| r.0.iter().any(|&ch| plain(ch) == x.channel))
                .map(|r| f64::from(r.1))
                .sum();
            prop_assert!(close(fit.removal_effect(&x.channel).unwrap(), raw / c_total));
        }
    }

    #[test]
    fn relabelling_row_order_and_doubling_change_nothing(rows in rows_strategy(), k in 1usize..=3) {
        let m = markov(k, VW, false);
        let base = m.attribute(&build(&rows, 1.0, plain)).unwrap();
        // Relabel: names in reverse alphabetical order, so ids and name order both change.
        let renamed = m.attribute(&build(&rows, 1.0, |x| format!("z{}", 9 - x))).unwrap();
        for x in &base.channels {
            let i = names().iter().position(|n| *n == x.channel).unwrap();
            let y = renamed.get(&format!("z{}", 9 - i)).unwrap();
            prop_assert!(close(x.conversions, y.conversions) && close(x.value, y.value));
        }
        // Row order.
        let mut rev = rows.clone();
        rev.reverse();
        let reversed = m.attribute(&build(&rev, 1.0, plain)).unwrap();
        // Doubling every count doubles every credit; removal effects stay.
        let doubled = m.fit(&build(&rows, 2.0, plain)).unwrap();
        let doubled_a = doubled.attribution(&build(&rows, 2.0, plain)).unwrap();
        for ((x, y), z) in base.channels.iter().zip(&reversed.channels).zip(&doubled_a.channels) {
            prop_assert!(close(x.conversions, y.conversions) && close(x.value, y.value));
            prop_assert!(close(2.0 * x.conversions, z.conversions) && close(2.0 * x.value, z.value));
            let re = base.extras["removal_effects"][&x.channel].as_f64().unwrap();
            prop_assert!(close(re, doubled.removal_effect(&x.channel).unwrap()));
        }
    }
}
