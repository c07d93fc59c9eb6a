//! Unit tests of the solvers against each other (they need the private `fit_with`); the parent
//! declares this module under #[cfg(test)].

use super::*;
use crate::outcome::Outcome;

use crate::fixtures::t2;
use crate::model::markov::states::StateRule;
use crate::synth::{SynthConfig, SynthSize, generate};

/// A generated table of `rows` distinct paths over `channels` channels and `campaigns` campaign
/// keys (journeys keep their campaign with probability `stickiness`), and its order-1 chain:
/// the fixture of the elimination and planner tests.
pub(super) fn campaign_chain(
    rows: usize,
    channels: usize,
    campaigns: usize,
    stickiness: f64,
    seed: u64,
) -> (PathTable, Chain) {
    let t = generate(&SynthConfig {
        size: SynthSize::DistinctPaths(rows),
        channels,
        campaigns,
        campaign_stickiness: stickiness,
        seed,
        ..SynthConfig::default()
    })
    .unwrap();
    let rule = StateRule {
        order: 1,
        collapse: false,
    };
    let chain = Chain::build(&t, rule, false).unwrap();
    (t, chain)
}

#[test]
fn dense_and_sparse_solvers_agree_at_order_1() {
    // T2 at order 1 (the model reference, §Markov worked examples): RE = 88/161, 71/126, 199/357; RE_V = 457/805, 5/9, 1913/3570.
    let m = Markov::default();
    let dense = m.fit_with(&t2(), Method::Dense).unwrap();
    let sparse = m.fit_with(&t2(), Method::Sparse).unwrap();
    let want = [88.0 / 161.0, 71.0 / 126.0, 199.0 / 357.0];
    let want_v = [457.0 / 805.0, 5.0 / 9.0, 1913.0 / 3570.0];
    for fit in [&dense, &sparse] {
        for (i, (_, re)) in fit.removal_effects().into_iter().enumerate() {
            assert!((re - want[i]).abs() < 1e-12, "{re} vs {}", want[i]);
        }
        for (i, (_, re)) in fit.value_removal_effects().into_iter().enumerate() {
            assert!((re - want_v[i]).abs() < 1e-12, "{re} vs {}", want_v[i]);
        }
        assert!((fit.conversion_probability() - 7.0 / 15.0).abs() < 1e-14);
    }
}

fn t7() -> PathTable {
    let mut t = PathTable::new();
    t.add(["X", "A", "A", "X"], Outcome::new(1.0, 10.0, 0.0))
        .unwrap();
    t.add(["Z", "A", "A", "Z"], Outcome::new(0.0, 0.0, 1.0))
        .unwrap();
    t.add(["Z", "A", "X"], Outcome::new(1.0, 10.0, 1.0))
        .unwrap();
    t.add(["X", "A", "Z"], Outcome::new(0.0, 0.0, 1.0)).unwrap();
    t
}

fn assert_same_fit(a: &MarkovFit, b: &MarkovFit, tol: f64) {
    assert!((a.conversion_probability() - b.conversion_probability()).abs() < tol);
    let pairs = a.removal_effects().into_iter().zip(b.removal_effects());
    let value_pairs = a
        .value_removal_effects()
        .into_iter()
        .zip(b.value_removal_effects());
    for (x, y) in pairs.chain(value_pairs) {
        assert!((x.1 - y.1).abs() < tol, "{x:?} vs {y:?}");
    }
}

#[test]
fn iterative_and_direct_solvers_agree_at_every_order() {
    for t in [t2(), t7()] {
        for k in 1..=4 {
            for collapse_repeats in [false, true] {
                let m = Markov {
                    order: Order::Fixed(k),
                    collapse_repeats,
                    ..Markov::default()
                };
                let direct = m.fit_with(&t, Method::Direct).unwrap();
                assert_same_fit(&m.fit_with(&t, Method::Sparse).unwrap(), &direct, 1e-12);
                assert_same_fit(&m.fit_with(&t, Method::Auto).unwrap(), &direct, 1e-12);
            }
        }
    }
}

#[test]
fn slow_gauss_seidel_falls_back_to_direct_solves() {
    // A > B repeated 1000 times: at order 2 the walk alternates between the states A,B and
    // B,A and leaves with probability about 1/2000 per step, so Gauss–Seidel would need
    // ~60,000 sweeps. All converting walks visit both channels: RE = 1, 1; P = 1/3 (base rate).
    let long: Vec<&str> = (0..2000)
        .map(|i| if i % 2 == 0 { "A" } else { "B" })
        .collect();
    let mut t = PathTable::new();
    t.add(&long, Outcome::new(1.0, 5.0, 1.0)).unwrap();
    t.add(["A"], Outcome::null(1.0)).unwrap();
    let m = Markov::with_order(2);
    assert!(matches!(
        m.fit_with(&t, Method::Sparse),
        Err(Error::Numerical { .. })
    ));
    let fit = m.fit(&t).unwrap();
    assert!((fit.conversion_probability() - 1.0 / 3.0).abs() < 1e-12);
    assert!((fit.removal_effect("A").unwrap() - 1.0).abs() < 1e-12);
    assert!((fit.removal_effect("B").unwrap() - 1.0).abs() < 1e-12);
}

/// Regression (found by proptest): on a non-converting cycle at order 2 Gauss–Seidel's
/// change moved in bursts and a one-sweep rate estimate read ρ = 1, so the sparse solver
/// gave up; the rate is now measured over several sweeps.
#[test]
fn gauss_seidel_converges_on_bursty_cycles() {
    let mut t = PathTable::new();
    t.add(["ch3"], Outcome::new(1.0, 0.0, 0.0)).unwrap();
    t.add(
        ["ch2", "ch2", "ch3", "ch0", "ch2", "ch2"],
        Outcome::new(0.0, 0.0, 1.0),
    )
    .unwrap();
    let m = Markov::with_order(2);
    let sparse = m.fit_with(&t, Method::Sparse).unwrap();
    let direct = m.fit_with(&t, Method::Direct).unwrap();
    assert_eq!(sparse.removal_effect("ch3"), Some(1.0));
    for (x, y) in direct
        .removal_effects()
        .into_iter()
        .zip(sparse.removal_effects())
    {
        assert!((x.1 - y.1).abs() <= 1e-12, "{x:?} {y:?}");
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

    /// Gauss–Seidel against dense solves of every removed chain, at orders 2 and 3.
    #[test]
    fn gauss_seidel_matches_dense_solves(
        rows in proptest::collection::vec(
            (proptest::collection::vec(0u8..4, 1..=6), 0u8..=3, 0u8..=3, 0u8..=9),
            1..10,
        ),
        k in 2usize..=3,
    ) {
        let t = random_table(&rows);
        let m = Markov::with_order(k);
        let direct = m.fit_with(&t, Method::Direct).unwrap();
        let sparse = m.fit_with(&t, Method::Sparse).unwrap();
        let pairs = direct.removal_effects().into_iter().zip(sparse.removal_effects());
        let value_pairs = direct.value_removal_effects().into_iter().zip(sparse.value_removal_effects());
        for (x, y) in pairs.chain(value_pairs) {
            proptest::prop_assert!((x.1 - y.1).abs() <= 1e-9, "{x:?} {y:?}");
        }
    }

    /// One factorisation at order 1 against the per-channel iterative solves.
    #[test]
    fn m5_dense_matches_the_iterative_solver(
        rows in proptest::collection::vec(
            (proptest::collection::vec(0u8..5, 1..=6), 0u8..=3, 0u8..=3, 0u8..=9),
            1..10,
        )
    ) {
        let t = random_table(&rows);
        let m = Markov::default();
        let dense = m.fit_with(&t, Method::Dense).unwrap();
        let sparse = m.fit_with(&t, Method::Sparse).unwrap();
        let close = |a: f64, b: f64| (a - b).abs() <= 1e-9 * b.abs().max(1.0);
        for (x, y) in dense.removal_effects().iter().zip(sparse.removal_effects()) {
            proptest::prop_assert!(close(x.1, y.1), "{x:?} {y:?}");
        }
        for (x, y) in dense.value_removal_effects().iter().zip(sparse.value_removal_effects()) {
            proptest::prop_assert!(close(x.1, y.1), "{x:?} {y:?}");
        }
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(12))]

    /// The blocked order-1 solver on chains of several blocks (up to 150 states) against
    /// Gauss–Seidel, to 1e-9.
    #[test]
    fn blocked_dense_matches_gauss_seidel_on_larger_chains(
        rows in proptest::collection::vec(
            (proptest::collection::vec(0u8..150, 1..=8), 0u8..=3, 0u8..=3, 0u8..=9),
            40..120,
        )
    ) {
        let t = random_table(&rows);
        let m = Markov::default();
        let dense = m.fit_with(&t, Method::Dense).unwrap();
        let sparse = m.fit_with(&t, Method::Sparse).unwrap();
        let pairs = dense.removal_effects().into_iter().zip(sparse.removal_effects());
        let value_pairs =
            dense.value_removal_effects().into_iter().zip(sparse.value_removal_effects());
        for (x, y) in pairs.chain(value_pairs) {
            proptest::prop_assert!((x.1 - y.1).abs() <= 1e-9, "{x:?} {y:?}");
        }
    }
}

/// A table from random rows `(path, conversions, nulls, value per conversion)`; the first
/// row converts at least once.
fn random_table(rows: &[(Vec<u8>, u8, u8, u8)]) -> PathTable {
    let mut t = PathTable::new();
    for (i, (path, c, u, v)) in rows.iter().enumerate() {
        let c = if i == 0 { (*c).max(1) } else { *c };
        let names: Vec<String> = path.iter().map(|x| format!("ch{x}")).collect();
        let o = Outcome::new(f64::from(c), f64::from(c) * f64::from(*v), f64::from(*u));
        t.add(&names, o).unwrap();
    }
    t
}

/// A table of several chunks (8192 rows each) so that the parallel passes really split.
#[cfg(feature = "parallel")]
fn many_rows() -> PathTable {
    let names = ["A", "B", "C", "D", "E", "F"];
    let mut t = PathTable::new();
    let mut x = 12345u64;
    let mut next = |m: u64| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x % m
    };
    while t.len() < 30_000 {
        let len = 1 + next(7) as usize;
        let path: Vec<&str> = (0..len).map(|_| names[next(6) as usize]).collect();
        let c = next(3) as f64;
        t.add(
            &path,
            Outcome::new(c, c * (1 + next(50)) as f64 / 3.0, next(4) as f64),
        )
        .unwrap();
    }
    t
}

#[cfg(feature = "parallel")]
#[test]
fn results_do_not_depend_on_the_thread_count() {
    let t = many_rows();
    let models = [
        Markov::default(),
        Markov::with_order(2),
        Markov::with_order(3),
        Markov {
            order: Order::auto(),
            ..Markov::default()
        },
        Markov {
            order: Order::Fixed(2),
            solver: Solver::monte_carlo(40_000, 9),
            ..Markov::default()
        },
    ];
    let run = |threads: usize| -> Vec<(f64, Vec<f64>, Vec<f64>)> {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| {
            models
                .iter()
                .map(|m| {
                    let f = m.fit(&t).unwrap();
                    let re = f.removal_effects().into_iter().map(|x| x.1).collect();
                    let rv = f.value_removal_effects().into_iter().map(|x| x.1).collect();
                    (f.conversion_probability(), re, rv)
                })
                .collect()
        })
    };
    // Bit for bit.
    assert_eq!(run(1), run(3));
}

#[test]
fn parameters_are_validated() {
    let bad = [
        Markov::with_order(0),
        Markov {
            order: Order::Auto {
                max_order: 3,
                folds: 1,
                tolerance: 0.0,
            },
            ..Markov::default()
        },
        Markov {
            order: Order::Auto {
                max_order: 3,
                folds: 5,
                tolerance: f64::NAN,
            },
            ..Markov::default()
        },
        Markov {
            solver: Solver::monte_carlo(0, 1),
            ..Markov::default()
        },
    ];
    for m in bad {
        assert!(
            matches!(m.fit(&t2()), Err(Error::InvalidParameter { .. })),
            "{m:?}"
        );
    }
    assert!(Markov::with_order(40).fit(&t2()).is_ok());
}

#[test]
fn order_parses_from_the_command_line() {
    assert_eq!("3".parse::<Order>().unwrap(), Order::Fixed(3));
    assert_eq!(" Auto ".parse::<Order>().unwrap(), Order::auto());
    assert!("0".parse::<Order>().is_err());
    assert!("x".parse::<Order>().is_err());
}

#[test]
fn attribution_refuses_another_table() {
    let fit = Markov::default().fit(&t2()).unwrap();
    let mut other = t2();
    other.add(["A"], Outcome::null(1.0)).unwrap();
    assert!(fit.attribution(&other).is_err());
    assert!(fit.attribution(&t2()).is_ok());
}

/// A chain on which Gauss–Seidel needs many more than the 30 sweeps its first estimate assumes
/// (long paths alternating two channels, at order 2: walks cycle between (A,B) and (B,A)). With
/// a limit just above that estimate the fit starts, the first block of chains finds the real
/// sweeps, and the fit is refused with them before the other blocks run; with room it runs.
#[test]
fn gauss_seidel_prices_itself_after_its_first_block() {
    let mut t = PathTable::new();
    let long: Vec<&str> = (0..60).map(|i| ["A", "B"][i % 2]).collect();
    t.add(&long, Outcome::new(1.0, 5.0, 3.0)).unwrap();
    for (i, c) in ["C", "D", "E", "F", "G", "H", "I", "J", "K"]
        .iter()
        .enumerate()
    {
        t.add(["A", c, "B"], Outcome::new(1.0, 2.0, i as f64))
            .unwrap();
    }
    let m = Markov::with_order(2);
    let chain = Chain::build(
        &t,
        StateRule {
            order: 2,
            collapse: false,
        },
        false,
    )
    .unwrap();
    let first = solve::Plan::new(&chain, t.channels().len(), f64::INFINITY).work;
    let tight = Markov {
        max_work: first * 1.01,
        ..m
    };
    match tight.fit(&t) {
        Err(Error::CostLimit { cost, estimate, .. }) => {
            assert!(cost > first * 1.01, "{cost} vs {first}");
            assert!(
                estimate.contains("sweeps of its cyclic components"),
                "{estimate}"
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(
        Markov {
            max_work: 1e3 * first,
            ..m
        }
        .fit(&t)
        .is_ok()
    );
}

/// Gauss–Seidel by strongly connected component (one pass outside the cycles, sweeps inside
/// each cyclic component) equals one dense LU per removed chain on sparse generated chains
/// that have both kinds of states, at orders 2 and 3.
#[test]
fn gauss_seidel_by_component_matches_direct_solves() {
    let t = generate(&SynthConfig {
        size: SynthSize::DistinctPaths(120),
        channels: 60,
        seed: 11,
        ..SynthConfig::default()
    })
    .unwrap();
    for order in [2, 3] {
        let rule = StateRule {
            order,
            collapse: false,
        };
        let chain = Chain::build(&t, rule, false).unwrap();
        assert!(
            chain.transient() <= solve::DIRECT_MAX,
            "{}",
            chain.transient()
        );
        let (order_of, segments) = super::scc::visit_order(&chain);
        assert_eq!(order_of.len(), chain.transient() - 1);
        assert!(segments.iter().any(|s| s.cyclic) && segments.iter().any(|s| !s.cyclic));
        // The pricing sees every transition and state once, the cyclic ones per sweep.
        let updates = super::gauss_seidel::Updates::of(&chain);
        let pass = (chain.out_to.len() + chain.transient()) as f64;
        assert_eq!(updates.once + updates.per_sweep, pass);
        let cyclic: usize = segments
            .iter()
            .filter(|s| s.cyclic)
            .map(|s| s.end - s.start)
            .sum();
        assert_eq!(updates.cyclic_states, cyclic);
        assert_eq!(
            super::gauss_seidel::Incoming::new(&chain).updates(),
            updates
        );
        let m = Markov::with_order(order);
        let direct = m.fit_with(&t, Method::Direct).unwrap();
        assert_same_fit(&m.fit_with(&t, Method::Sparse).unwrap(), &direct, 1e-12);
    }
}
