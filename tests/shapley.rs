//! Shapley models and Shao–Li: the worked examples of the model reference (§Shapley games: T2,
//! T4, T5, T8), its hand examples, Shapley axioms and invariances as properties, the closed form
//! of the simplified value against a naive subset formula, and sampled estimates against exact
//! values.

use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;
use touchpoint::{
    Attribution, AttributionModel, Linear, LinearMode, Outcome, PathTable, ShaoLi, Shapley,
    ShapleyGlobal, ShapleyOrdered, ShapleyRate,
};

// ---------------------------------------------------------------------------------------------
// Tables and helpers
// ---------------------------------------------------------------------------------------------

/// One row: path, conversions, value, nulls.
type Spec<'a> = (&'a str, f64, f64, f64);

fn table(rows: &[Spec<'_>]) -> PathTable {
    let mut t = PathTable::new();
    for &(p, c, v, u) in rows {
        t.add(p.split('>').map(str::trim), Outcome::new(c, v, u))
            .unwrap();
    }
    t
}

const T2: &[Spec<'static>] = &[
    ("A > B > C", 2.0, 20.0, 1.0),
    ("A > A > B", 1.0, 15.0, 2.0),
    ("B", 1.0, 5.0, 3.0),
    ("C > A", 1.0, 10.0, 1.0),
    ("B > C > B > A", 1.0, 12.0, 0.0),
    ("C", 1.0, 8.0, 1.0),
];

const T4: &[Spec<'static>] = &[
    ("A > B", 2.0, 20.0, 2.0),
    ("A > D", 0.0, 0.0, 3.0),
    ("B > A > B", 1.0, 10.0, 1.0),
    ("D > A", 0.0, 0.0, 1.0),
];

const T5: &[Spec<'static>] = &[
    ("A", 3.0, 30.0, 7.0),
    ("B", 1.0, 25.0, 4.0),
    ("C", 2.0, 5.0, 0.0),
];

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * b.abs().max(1.0)
}

/// Checks conversions and value of every listed channel to 1e-9 relative-or-absolute.
fn assert_credit(a: &Attribution, expected: &[(&str, f64, f64)]) {
    for &(ch, c, v) in expected {
        assert!(
            close(a.conversions(ch), c),
            "{} {ch} conversions {} != {c}",
            a.model,
            a.conversions(ch)
        );
        assert!(
            close(a.value(ch), v),
            "{} {ch} value {} != {v}",
            a.model,
            a.value(ch)
        );
    }
}

fn models() -> Vec<Box<dyn AttributionModel>> {
    vec![
        Box::new(Shapley),
        Box::new(ShapleyOrdered::default()),
        Box::new(ShapleyRate::default()),
        Box::new(ShapleyGlobal::default()),
        Box::new(ShaoLi),
    ]
}

fn extra_f64(a: &Attribution, key: &str, ch: &str) -> f64 {
    a.extras[key][ch].as_f64().unwrap()
}

// ---------------------------------------------------------------------------------------------
// Worked examples (the model reference, §Shapley games)
// ---------------------------------------------------------------------------------------------

#[test]
fn o2_t2_simplified_shapley() {
    // §Shapley results on T2, shapley (Zhao): A 2, B 5/2, C 5/2; value 139/6, 139/6, 71/3.
    let a = Shapley.attribute(&table(T2)).unwrap();
    assert_eq!(a.model, "shapley");
    assert_credit(
        &a,
        &[
            ("A", 2.0, 139.0 / 6.0),
            ("B", 2.5, 139.0 / 6.0),
            ("C", 2.5, 71.0 / 3.0),
        ],
    );
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
    let a = ShaoLi.attribute(&table(T2)).unwrap();
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
    assert_credit(
        &a,
        &[
            ("A", 2.0, 139.0 / 6.0),
            ("B", 2.5, 139.0 / 6.0),
            ("C", 2.5, 71.0 / 3.0),
        ],
    );
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
        &ShaoLi.attribute(&t).unwrap(),
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

// ---------------------------------------------------------------------------------------------
// Naive reference implementations (from the model reference, §Shapley games; f64)
// ---------------------------------------------------------------------------------------------

type Set = BTreeSet<String>;

/// Exact channel sets → (c, v, u).
fn exact_sets(t: &PathTable) -> BTreeMap<Set, (f64, f64, f64)> {
    let mut out: BTreeMap<Set, (f64, f64, f64)> = BTreeMap::new();
    for (path, o) in t.to_named_rows() {
        if o.journeys() == 0.0 {
            continue;
        }
        let s: Set = path.iter().map(|s| s.to_string()).collect();
        let e = out.entry(s).or_default();
        e.0 += o.conversions;
        e.1 += o.value;
        e.2 += o.nulls;
    }
    out
}

fn factorial(n: usize) -> f64 {
    (1..=n).map(|k| k as f64).product()
}

/// φ_i = Σ_{S ⊆ N∖{i}} |S|!(n−|S|−1)!/n! · [v(S ∪ {i}) − v(S)].
fn subset_formula(players: &[String], v: &dyn Fn(&Set) -> f64) -> Vec<f64> {
    let n = players.len();
    (0..n)
        .map(|i| {
            let others: Vec<&String> = players.iter().filter(|p| **p != players[i]).collect();
            let mut phi = 0.0;
            for mask in 0..1usize << others.len() {
                let s: Set = (0..others.len())
                    .filter(|b| mask >> b & 1 == 1)
                    .map(|b| others[b].clone())
                    .collect();
                let w = factorial(s.len()) * factorial(n - s.len() - 1) / factorial(n);
                let mut with = s.clone();
                with.insert(players[i].clone());
                phi += w * (v(&with) - v(&s));
            }
            phi
        })
        .collect()
}

/// φ by enumerating all n! orderings.
fn orderings_formula(players: &[String], v: &dyn Fn(&Set) -> f64) -> Vec<f64> {
    fn rec(players: &[String], v: &dyn Fn(&Set) -> f64, order: &mut Vec<usize>, phi: &mut [f64]) {
        if order.len() == players.len() {
            let mut s = Set::new();
            for &p in order.iter() {
                let before = v(&s);
                s.insert(players[p].clone());
                phi[p] += v(&s) - before;
            }
            return;
        }
        for p in 0..players.len() {
            if !order.contains(&p) {
                order.push(p);
                rec(players, v, order, phi);
                order.pop();
            }
        }
    }
    let mut phi = vec![0.0; players.len()];
    rec(players, v, &mut Vec::new(), &mut phi);
    let f = factorial(players.len());
    phi.iter().map(|x| x / f).collect()
}

fn players_of(sets: &BTreeMap<Set, (f64, f64, f64)>) -> Vec<String> {
    sets.keys()
        .flatten()
        .cloned()
        .collect::<Set>()
        .into_iter()
        .collect()
}

/// Zhao's game: v(S) = Σ_{T ⊆ S} R(T), with R = conversions (`value = false`) or value.
fn zhao_game(sets: &BTreeMap<Set, (f64, f64, f64)>, value: bool) -> impl Fn(&Set) -> f64 + '_ {
    move |s: &Set| {
        sets.iter()
            .filter(|(t, _)| t.is_subset(s))
            .map(|(_, x)| if value { x.1 } else { x.0 })
            .sum()
    }
}

/// The global rate game: rate of the journeys whose set lies inside S.
fn global_game(sets: &BTreeMap<Set, (f64, f64, f64)>) -> impl Fn(&Set) -> f64 + '_ {
    move |s: &Set| {
        let (c, j) = sets
            .iter()
            .filter(|(t, _)| t.is_subset(s))
            .fold((0.0, 0.0), |(c, j), (_, x)| (c + x.0, j + x.0 + x.2));
        if j > 0.0 { c / j } else { 0.0 }
    }
}

/// The exact-set rate model (the model reference, §Exact-set rate game) by the naive subset
/// formula.
fn naive_rate(t: &PathTable) -> BTreeMap<String, (f64, f64)> {
    let sets = exact_sets(t);
    let cr = |s: &Set| sets.get(s).map_or(0.0, |x| x.0 / (x.0 + x.2));
    let mut out: BTreeMap<String, (f64, f64)> = BTreeMap::new();
    for (set, &(c, v, _)) in &sets {
        if c == 0.0 {
            continue;
        }
        let players: Vec<String> = set.iter().cloned().collect();
        let phi = subset_formula(&players, &cr);
        let total: f64 = phi.iter().sum();
        for (p, f) in players.iter().zip(phi) {
            let e = out.entry(p.clone()).or_default();
            e.0 += c * f / total;
            e.1 += v * f / total;
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Random small tables
// ---------------------------------------------------------------------------------------------

const NAMES: [&str; 6] = ["A", "B", "C", "D", "E", "F"];

#[derive(Clone, Debug)]
struct Rows(Vec<(Vec<usize>, f64, f64, f64)>);

impl Rows {
    fn table(&self) -> PathTable {
        self.table_named(&NAMES)
    }

    fn table_named(&self, names: &[&str]) -> PathTable {
        let mut t = PathTable::new();
        for (p, c, v, u) in &self.0 {
            t.add(p.iter().map(|&i| names[i]), Outcome::new(*c, *v, *u))
                .unwrap();
        }
        t
    }
}

/// 1–7 rows over the first `channels` names, paths of 1–4 touches, integer counts; the first row
/// converts so that every table has conversions.
fn rows(channels: usize) -> impl Strategy<Value = Rows> {
    prop::collection::vec(
        (
            prop::collection::vec(0..channels, 1..5),
            0u8..4,
            0u8..10,
            0u8..4,
        ),
        1..8,
    )
    .prop_map(|rows| {
        Rows(
            rows.into_iter()
                .enumerate()
                .map(|(r, (p, c, v, u))| {
                    let c = if r == 0 {
                        f64::from(c.max(1))
                    } else {
                        f64::from(c)
                    };
                    (p, c, c * f64::from(v), f64::from(u))
                })
                .collect(),
        )
    })
}

fn assert_same(a: &Attribution, b: &Attribution, k: f64) -> Result<(), TestCaseError> {
    prop_assert_eq!(a.channels.len(), b.channels.len());
    for (x, y) in a.channels.iter().zip(&b.channels) {
        prop_assert_eq!(&x.channel, &y.channel);
        prop_assert!(
            close(x.conversions, k * y.conversions),
            "{} {}: {} vs {}",
            a.model,
            x.channel,
            x.conversions,
            k * y.conversions
        );
        prop_assert!(
            close(x.value, k * y.value),
            "{} {}: {} vs {}",
            a.model,
            x.channel,
            x.value,
            k * y.value
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Closed form: the simplified Shapley value is the subset formula of Zhao's game (conversions
    /// and value) and equals linear per distinct channel.
    #[test]
    fn theorem_z_simplified_is_the_subset_formula(r in rows(5)) {
        let t = r.table();
        let sets = exact_sets(&t);
        let players = players_of(&sets);
        let conv = subset_formula(&players, &zhao_game(&sets, false));
        let value = subset_formula(&players, &zhao_game(&sets, true));
        let a = Shapley.attribute(&t).unwrap();
        for (i, p) in players.iter().enumerate() {
            prop_assert!(close(a.conversions(p), conv[i]), "{p}: {} vs {}", a.conversions(p), conv[i]);
            prop_assert!(close(a.value(p), value[i]));
        }
        assert_same(&a, &Linear::new(LinearMode::PerDistinct).attribute(&t).unwrap(), 1.0)?;
    }

    /// The subset formula equals the average over all orderings (Zhao's and the global game).
    #[test]
    fn subset_formula_equals_all_orderings(r in rows(5)) {
        let sets = exact_sets(&r.table());
        let players = players_of(&sets);
        for v in [&zhao_game(&sets, false) as &dyn Fn(&Set) -> f64, &global_game(&sets)] {
            let a = subset_formula(&players, v);
            let b = orderings_formula(&players, v);
            for (x, y) in a.iter().zip(&b) {
                prop_assert!(close(*x, *y));
            }
        }
    }

    /// The global model (zeta transform, regrouped subset form) against the naive subset formula.
    #[test]
    fn global_exact_matches_the_subset_formula(r in rows(6)) {
        let t = r.table();
        let sets = exact_sets(&t);
        let players = players_of(&sets);
        let phi = subset_formula(&players, &global_game(&sets));
        let o = t.totals();
        let rate = o.conversions / o.journeys();
        let a = ShapleyGlobal::default().attribute(&t).unwrap();
        for (i, p) in players.iter().enumerate() {
            prop_assert!(close(a.conversions(p), phi[i] * o.conversions / rate));
            prop_assert!(close(a.value(p), phi[i] * o.value / rate));
            prop_assert!(close(extra_f64(&a, "phi", p), phi[i]));
        }
    }

    /// The exact-set model against the naive per-set subset formula.
    #[test]
    fn rate_exact_matches_the_subset_formula(r in rows(6)) {
        let t = r.table();
        let a = ShapleyRate::default().attribute(&t).unwrap();
        for (p, (c, v)) in naive_rate(&t) {
            prop_assert!(close(a.conversions(&p), c), "{p}: {} vs {c}", a.conversions(&p));
            prop_assert!(close(a.value(&p), v));
        }
    }

    /// Efficiency (P1) for every model, also when the rate games are sampled (each sampled
    /// ordering telescopes to v(N) − v(∅)).
    #[test]
    fn efficiency(r in rows(6)) {
        let t = r.table();
        let o = t.totals();
        let mut all = models();
        all.push(Box::new(ShapleyRate { max_exact_channels: 1, samples: 8, seed: 9 }));
        all.push(Box::new(ShapleyGlobal { max_exact_channels: 0, samples: 8, seed: 9 }));
        for m in all {
            let a = m.attribute(&t).unwrap();
            prop_assert!(close(a.credited_conversions(), o.conversions), "{}", a.model);
            prop_assert!(close(a.credited_value(), o.value), "{}", a.model);
        }
    }

    /// Symmetry (P12): a table mapped onto itself by swapping A and B credits A and B equally.
    #[test]
    fn symmetry(r in rows(4)) {
        let mut t = r.table();
        t.merge(&r.table_named(&["B", "A", "C", "D"])).unwrap();
        for m in models() {
            let a = m.attribute(&t).unwrap();
            prop_assert!(close(a.conversions("A"), a.conversions("B")), "{}", a.model);
            prop_assert!(close(a.value("A"), a.value("B")), "{}", a.model);
        }
    }

    /// Null players: a channel in the vocabulary but on no path gets (0, 0) from every model
    /// (P20); a channel only on null paths gets 0 from the conversion-count games and from the
    /// exact-set game, which never plays it (P13; the global game and Shao–Li may credit it).
    #[test]
    fn null_players(r in rows(4)) {
        let mut t = r.table();
        t.intern("Z").unwrap();
        t.add(["N", "A"], Outcome::null(3.0)).unwrap();
        for m in models() {
            let a = m.attribute(&t).unwrap();
            prop_assert_eq!((a.conversions("Z"), a.value("Z")), (0.0, 0.0));
            if a.model != "shapley_global" && a.model != "shao_li" {
                prop_assert_eq!((a.conversions("N"), a.value("N")), (0.0, 0.0), "{}", a.model);
            }
        }
    }

    /// Ordered Shapley: the positions of each channel sum to its simplified Shapley value.
    #[test]
    fn ordered_positions_sum_to_simplified(r in rows(5), cap in 1usize..5) {
        let t = r.table();
        let a = ShapleyOrdered { max_positions: cap }.attribute(&t).unwrap();
        let s = Shapley.attribute(&t).unwrap();
        for c in &s.channels {
            let pos = a.extras["positions"][&c.channel].as_array().unwrap();
            prop_assert!(pos.len() <= cap);
            let total: f64 = pos.iter().map(|x| x.as_f64().unwrap()).sum();
            prop_assert!(close(total, c.conversions));
            prop_assert!(close(a.conversions(&c.channel), c.conversions));
        }
    }

    /// Relabelling channels relabels credit (P3); row order does not matter (P4); doubling
    /// every count doubles credit (P6); splitting rows changes nothing (P5).
    #[test]
    fn invariances(r in rows(5)) {
        let t = r.table();
        let renamed = ["Fb", "Ea", "Dd", "Cc", "Bb", "Aa"];
        let t_renamed = r.table_named(&renamed);
        let t_reversed = Rows(r.0.iter().rev().cloned().collect()).table();
        let doubled = Rows(r.0.iter().map(|(p, c, v, u)| (p.clone(), 2.0 * c, 2.0 * v, 2.0 * u)).collect());
        let halves = Rows(r.0.iter().map(|(p, c, v, u)| (p.clone(), c / 2.0, v / 2.0, u / 2.0)).collect());
        let mut t_split = halves.table();
        t_split.merge(&halves.table()).unwrap();
        for m in models() {
            let a = m.attribute(&t).unwrap();
            let b = m.attribute(&t_renamed).unwrap();
            for (i, name) in NAMES.iter().enumerate().take(5) {
                prop_assert!(close(a.conversions(name), b.conversions(renamed[i])), "{}", a.model);
                prop_assert!(close(a.value(name), b.value(renamed[i])), "{}", a.model);
            }
            assert_same(&m.attribute(&t_reversed).unwrap(), &a, 1.0)?;
            assert_same(&m.attribute(&doubled.table()).unwrap(), &a, 2.0)?;
            assert_same(&m.attribute(&t_split).unwrap(), &a, 1.0)?;
        }
    }

    /// Null journeys change nothing in the conversion-count games (P8) and credit is additive
    /// over tables (P9).
    #[test]
    fn simplified_ignores_nulls_and_is_additive(r in rows(5), s in rows(5)) {
        let t = r.table();
        let mut with_nulls = t.clone();
        with_nulls.add(["A", "C"], Outcome::null(5.0)).unwrap();
        for m in [Box::new(Shapley) as Box<dyn AttributionModel>, Box::new(ShapleyOrdered::default())] {
            let a = m.attribute(&t).unwrap();
            let b = m.attribute(&with_nulls).unwrap();
            for c in &a.channels {
                prop_assert!(close(b.conversions(&c.channel), c.conversions));
            }
        }
        let mut merged = t.clone();
        merged.merge(&s.table()).unwrap();
        let (a, b, ab) = (Shapley.attribute(&t).unwrap(), Shapley.attribute(&s.table()).unwrap(), Shapley.attribute(&merged).unwrap());
        for c in &ab.channels {
            prop_assert!(close(c.conversions, a.conversions(&c.channel) + b.conversions(&c.channel)));
            prop_assert!(close(c.value, a.value(&c.channel) + b.value(&c.channel)));
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Sampling against exact values
// ---------------------------------------------------------------------------------------------

/// A seeded table over `channels` channels (xorshift): paths of 1–5 touches, every channel
/// pair appears, conversion counts vary with the channels present.
fn seeded_table(channels: usize, rows: usize, seed: u64) -> PathTable {
    let mut x = seed | 1;
    let mut next = move |n: usize| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        (x % n as u64) as usize
    };
    let names: Vec<String> = (0..channels).map(|i| format!("k{i:02}")).collect();
    let mut t = PathTable::new();
    for _ in 0..rows {
        let len = 1 + next(5);
        let path: Vec<&str> = (0..len).map(|_| names[next(channels)].as_str()).collect();
        let conv = next(4) as f64;
        t.add(
            path,
            Outcome::new(conv, conv * (1 + next(20)) as f64, next(6) as f64),
        )
        .unwrap();
    }
    t
}

/// Sampled credit within 4 standard errors of the exact credit, for conversions and value.
fn assert_within_4_se(exact: &Attribution, sampled: &Attribution) {
    for c in &exact.channels {
        let se = extra_f64(sampled, "standard_error", &c.channel);
        let se_v = extra_f64(sampled, "value_standard_error", &c.channel);
        let (s, sv) = (sampled.conversions(&c.channel), sampled.value(&c.channel));
        assert!(
            (s - c.conversions).abs() <= 4.0 * se + 1e-12,
            "{} {}: {s} vs {} (se {se})",
            exact.model,
            c.channel,
            c.conversions
        );
        assert!(
            (sv - c.value).abs() <= 4.0 * se_v + 1e-9,
            "{} {}: {sv} vs {} (se {se_v})",
            exact.model,
            c.channel,
            c.value
        );
    }
}

#[test]
fn global_sampled_within_four_standard_errors() {
    for seed in [1u64, 2, 3] {
        let t = seeded_table(7, 60, seed);
        let exact = ShapleyGlobal::default().attribute(&t).unwrap();
        let sampled = ShapleyGlobal {
            max_exact_channels: 0,
            samples: 600,
            seed,
        }
        .attribute(&t)
        .unwrap();
        assert_eq!(sampled.extras["method"], "sampled");
        assert!(extra_f64(&sampled, "standard_error", "k00") > 0.0);
        assert_within_4_se(&exact, &sampled);
    }
}

#[test]
fn rate_sampled_within_four_standard_errors() {
    for seed in [4u64, 5, 6] {
        let t = seeded_table(7, 60, seed);
        let exact = ShapleyRate::default().attribute(&t).unwrap();
        let sampled = ShapleyRate {
            max_exact_channels: 2,
            samples: 600,
            seed,
        }
        .attribute(&t)
        .unwrap();
        assert!(sampled.extras["sampled_sets"].as_u64().unwrap() > 0);
        assert_within_4_se(&exact, &sampled);
    }
}

#[test]
fn large_sets_are_sampled_and_never_truncated() {
    // One journey over 21 channels (above the default exact limit of 20) and a few sub-journeys:
    // every channel keeps some credit (DP6 would keep only the alphabetically last 4).
    let names: Vec<String> = (0..21).map(|i| format!("c{i:02}")).collect();
    let mut t = PathTable::new();
    t.add(names.iter(), Outcome::new(3.0, 30.0, 1.0)).unwrap();
    t.add(names[..3].iter(), Outcome::new(1.0, 5.0, 4.0))
        .unwrap();
    t.add(names[17..].iter(), Outcome::new(0.0, 0.0, 2.0))
        .unwrap();
    let a = ShapleyRate::default().attribute(&t).unwrap();
    assert_eq!(a.extras["sampled_sets"], 1);
    assert_eq!(a.extras["largest_set"], 21);
    assert!(close(a.credited_conversions(), 4.0));
    assert!(close(a.credited_value(), 35.0));
    for n in &names {
        assert!(a.conversions(n) != 0.0, "{n} lost its credit");
    }
    // The same with the sampling threshold raised to 21: exact, and the sample agrees.
    let exact = ShapleyRate {
        max_exact_channels: 21,
        ..Default::default()
    }
    .attribute(&t)
    .unwrap();
    assert_eq!(exact.extras["sampled_sets"], 0);
    assert_within_4_se(&exact, &a);
}

#[test]
fn global_game_beyond_64_channels_is_sampled() {
    // 70 channels: sets are keyed by id lists and the game is sampled; still efficient.
    let t = seeded_table(70, 200, 11);
    let a = ShapleyGlobal::default().attribute(&t).unwrap();
    assert_eq!(a.extras["method"], "sampled");
    let o = t.totals();
    assert!(close(a.credited_conversions(), o.conversions));
    assert!(close(a.credited_value(), o.value));
    let again = ShapleyGlobal::default().attribute(&t).unwrap();
    assert_eq!(a, again, "seeded: the same every run");
}
