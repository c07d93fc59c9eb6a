//! Naive reference implementations (subset and ordering formulas) and the Shapley axioms and invariances as properties on random small tables.

use super::*;

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
