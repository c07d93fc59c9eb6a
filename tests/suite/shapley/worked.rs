//! The worked examples of the model reference, §Shapley games (T2, T4, T5), and hand examples.

use super::*;

// ---------------------------------------------------------------------------------------------
// Worked examples (the model reference, §Shapley games)
// ---------------------------------------------------------------------------------------------

/// §Shapley results on T2, shapley (Zhao): A 2, B 5/2, C 5/2; value 139/6, 139/6, 71/3.
const T2_SHAPLEY: &[(&str, f64, f64)] = &[
    ("A", 2.0, 139.0 / 6.0),
    ("B", 2.5, 139.0 / 6.0),
    ("C", 2.5, 71.0 / 3.0),
];

#[test]
fn o2_t2_simplified_shapley() {
    // §Shapley results on T2, shapley (Zhao): A 2, B 5/2, C 5/2; value 139/6, 139/6, 71/3.
    let a = Shapley.attribute(&table(T2)).unwrap();
    assert_eq!(a.model, "shapley");
    assert_credit(&a, T2_SHAPLEY);
}

#[test]
fn o2_t2_exact_set_conversion_rate() {
    // §Shapley results on T2, shapley_rate: A 85/72, B 175/72, C 61/18;
    // value 2837/216, 5195/216, 886/27.
    let a = ShapleyRate::default().attribute(&table(T2)).unwrap();
    assert_eq!(a.model, "shapley_rate");
    assert_credit(
        &a,
        &[
            ("A", 85.0 / 72.0, 2837.0 / 216.0),
            ("B", 175.0 / 72.0, 5195.0 / 216.0),
            ("C", 61.0 / 18.0, 886.0 / 27.0),
        ],
    );
    assert_eq!(a.extras["exact_sets"], 5);
    assert_eq!(a.extras["sampled_sets"], 0);
    assert_eq!(extra_f64(&a, "standard_error", "A"), 0.0);
}

#[test]
fn o2_t2_shao_li_with_intermediates() {
    // §Shapley results on T2, shao_li: A 246365/117528, B 229313/117528, C 173509/58764;
    // value 1176315/50192, 344435/18822, 4255895/150576.
    let a = ShaoLi::default().attribute(&table(T2)).unwrap();
    assert_eq!(a.model, "shao_li");
    assert_credit(
        &a,
        &[
            ("A", 246365.0 / 117528.0, 1176315.0 / 50192.0),
            ("B", 229313.0 / 117528.0, 344435.0 / 18822.0),
            ("C", 173509.0 / 58764.0, 4255895.0 / 150576.0),
        ],
    );
    // §Shao–Li: P(y|A) = 5/9, P(y|B) = 5/11, P(y|C) = 5/8; raw C: A 35195/22176, B 32759/22176,
    // C 3541/1584 (the pair probabilities are checked by the unit tests).
    for (ch, p, raw) in [
        ("A", 5.0 / 9.0, 35195.0 / 22176.0),
        ("B", 5.0 / 11.0, 32759.0 / 22176.0),
        ("C", 5.0 / 8.0, 3541.0 / 1584.0),
    ] {
        assert!(close(extra_f64(&a, "p_conversion", ch), p), "{ch}");
        assert!(close(extra_f64(&a, "raw", ch), raw), "{ch}");
    }
}

#[test]
fn o2e_t2_ordered_shapley() {
    // §Ordered Shapley: A 11/12, 3/4, 0, 1/3; B 7/6, 2/3, 2/3, 0; C 3/2, 1/3, 2/3, 0;
    // totals 2, 5/2, 5/2.
    let a = ShapleyOrdered::default().attribute(&table(T2)).unwrap();
    assert_eq!(a.model, "shapley_ordered");
    let expected = [
        ("A", [11.0 / 12.0, 0.75, 0.0, 1.0 / 3.0]),
        ("B", [7.0 / 6.0, 2.0 / 3.0, 2.0 / 3.0, 0.0]),
        ("C", [1.5, 1.0 / 3.0, 2.0 / 3.0, 0.0]),
    ];
    for (ch, pos) in expected {
        let got: Vec<f64> = a.extras["positions"][ch]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_f64().unwrap())
            .collect();
        assert_eq!(
            got.len(),
            4,
            "{ch}: one bucket per position of the longest path"
        );
        for (g, e) in got.iter().zip(pos) {
            assert!(close(*g, e), "{ch}: {got:?}");
        }
    }
    assert_credit(&a, T2_SHAPLEY);
}

#[test]
fn hand_example_4_5_subgame_a_b() {
    // The rows of T2 whose sets lie in {A, B}: {B}: 1 conv (value 5), 3 null; {A,B}: 1 conv
    // (value 15), 2 null. CR(A) = 0 (never seen alone), CR(B) = 1/4, CR(AB) = 1/3.
    // Subgame {A,B}: φ_A = ½(0 − 0) + ½(1/3 − 1/4) = 1/24, φ_B = ½·1/4 + ½·(1/3 − 0) = 7/24,
    // so its conversion splits 1/8 : 7/8 and its value 15/8 : 105/8. Set {B} gives B all of it.
    let t = table(&[("A > A > B", 1.0, 15.0, 2.0), ("B", 1.0, 5.0, 3.0)]);
    let a = ShapleyRate::default().attribute(&t).unwrap();
    assert_credit(
        &a,
        &[
            ("A", 1.0 / 8.0, 15.0 / 8.0),
            ("B", 1.0 + 7.0 / 8.0, 5.0 + 105.0 / 8.0),
        ],
    );
}

#[test]
fn o2_t2_global_rate_game() {
    // Exact fractions by the subset formula (the model reference, §Global rate game), with
    // conv[T], null[T] the conversions and nulls of the journeys whose channel set is T:
    //   v(S) = Σ_{T⊆S} conv[T] / Σ_{T⊆S} (conv[T] + null[T])   (0 if no T ⊆ S)
    //   φ = (127/2520, 29/315, 817/2520), v(N) = 7/15;
    //   conv = φ·7/(7/15) = 127/168, 29/21, 817/168; value = φ·70/(7/15) = 635/84, 290/21,
    //   4085/84.
    let a = ShapleyGlobal::default().attribute(&table(T2)).unwrap();
    assert_eq!(a.model, "shapley_global");
    assert_eq!(a.extras["method"], "exact");
    assert_credit(
        &a,
        &[
            ("A", 127.0 / 168.0, 635.0 / 84.0),
            ("B", 29.0 / 21.0, 290.0 / 21.0),
            ("C", 817.0 / 168.0, 4085.0 / 84.0),
        ],
    );
    assert!(close(extra_f64(&a, "phi", "A"), 127.0 / 2520.0));
    assert!(close(a.extras["rate_all"].as_f64().unwrap(), 7.0 / 15.0));
}

#[test]
fn t4_negative_credit_is_reported_not_clamped() {
    // T4: D only on null paths. Global game (subset formula as above):
    // φ = (11/60, 11/60, −1/15), v(N) = 3/10 → A 11/6, B 11/6, D −2/3; value ×10.
    let t = table(T4);
    let a = ShapleyGlobal::default().attribute(&t).unwrap();
    assert_credit(
        &a,
        &[
            ("A", 11.0 / 6.0, 55.0 / 3.0),
            ("B", 11.0 / 6.0, 55.0 / 3.0),
            ("D", -2.0 / 3.0, -20.0 / 3.0),
        ],
    );
    assert_eq!(a.extras["negative_channels"], serde_json::json!(["D"]));
    // The exact-set game never plays D (no converting set holds it): the subset formula gives
    // A 3/2, B 3/2, D 0 (value 15, 15, 0).
    let r = ShapleyRate::default().attribute(&t).unwrap();
    assert_credit(&r, &[("A", 1.5, 15.0), ("B", 1.5, 15.0), ("D", 0.0, 0.0)]);
    assert_eq!(r.extras["negative_channels"], serde_json::json!([]));
}

#[test]
fn o5_t5_single_touch_paths() {
    // T5: shapley A 3, B 1, C 2; value 30, 25, 5. The exact-set game and ordered
    // Shapley agree (each set is one channel: φ = CR, the whole conversion).
    let t = table(T5);
    let own = [("A", 3.0, 30.0), ("B", 1.0, 25.0), ("C", 2.0, 5.0)];
    for m in [
        Box::new(Shapley) as Box<dyn AttributionModel>,
        Box::new(ShapleyOrdered::default()),
        Box::new(ShapleyRate::default()),
    ] {
        assert_credit(&m.attribute(&t).unwrap(), &own);
    }
    // P10 fails for Shao–Li and the global game (they weigh by rates). Exactly:
    // shao_li(T5) → A 54/31, B 12/31, C 120/31; value 540/19, 300/19, 300/19
    // (raw(i) = c_i·P(y|i) = 3·3/10, 1·1/5, 2·1; rawV(i) = v_i·P(y|i) = 9, 5, 5).
    assert_credit(
        &ShaoLi::default().attribute(&t).unwrap(),
        &[
            ("A", 54.0 / 31.0, 540.0 / 19.0),
            ("B", 12.0 / 31.0, 300.0 / 19.0),
            ("C", 120.0 / 31.0, 300.0 / 19.0),
        ],
    );
    // Global: v(A) = 3/10, v(B) = 1/5, v(C) = 1, v(AB) = 4/15, v(AC) = 5/12, v(BC) = 3/7,
    // v(ABC) = 6/17; φ_A = ⅓·3/10 + ⅙[(4/15 − 1/5) + (5/12 − 1)] + ⅓(6/17 − 3/7) = −97/8568.
    // Subset formula: φ = (−97/8568, −593/10710, 17977/42840), ×(C+U) = 17.
    let g = ShapleyGlobal::default().attribute(&t).unwrap();
    assert_credit(
        &g,
        &[
            ("A", -97.0 / 504.0, -485.0 / 252.0),
            ("B", -593.0 / 630.0, -593.0 / 63.0),
            ("C", 17977.0 / 2520.0, 17977.0 / 252.0),
        ],
    );
}

#[test]
fn one_channel_gets_everything() {
    // T8 (P11): every model credits A with (C, V) = (3, 25).
    let t = table(&[("A", 2.0, 20.0, 3.0), ("A > A", 1.0, 5.0, 0.0)]);
    for m in models() {
        assert_credit(&m.attribute(&t).unwrap(), &[("A", 3.0, 25.0)]);
    }
}

#[test]
fn no_conversions_is_an_error_for_every_model() {
    let t = table(&[("A > B", 0.0, 0.0, 4.0)]);
    for m in models() {
        assert!(
            matches!(
                m.attribute(&t),
                Err(touchpoint::Error::NoConversions { .. })
            ),
            "{}",
            m.name()
        );
    }
}
