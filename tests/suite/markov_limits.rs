//! Markov cost limits: a fit whose estimated cost is above `max_work` or `max_walk_steps` is
//! refused before the work, with the limit's name and the estimate.

use touchpoint::{Error, Markov, Outcome, PathTable, Solver};

use crate::common;

use common::{T2, table};

/// Cost limits: refused before the work with the limit's name and the estimate, accepted once
/// raised.
#[test]
fn cost_limits_name_the_limit_and_the_estimate() {
    let t = table(T2);
    // T2 at order 1: 4 transient states, dense: 4³ = 64 multiply-adds.
    let tight = Markov {
        max_work: 10.0,
        ..Markov::default()
    };
    match tight.fit(&t) {
        Err(e @ Error::CostLimit { .. }) => {
            let Error::CostLimit {
                limit,
                allowed,
                cost,
                ..
            } = &e
            else {
                unreachable!()
            };
            assert_eq!((*limit, *allowed, *cost), ("max_work", 10.0, 64.0));
            let msg = e.to_string();
            assert!(msg.contains("max_work") && msg.contains("6.4e1"), "{msg}");
        }
        other => panic!("{other:?}"),
    }
    assert!(
        Markov {
            max_work: 64.0,
            ..Markov::default()
        }
        .fit(&t)
        .is_ok()
    );
    // A trillion walks is refused at once (T2 at order 1: 15 journeys visit 29 states, so
    // 1 + 29/15 steps per walk).
    let walks = Markov {
        solver: Solver::monte_carlo(1_000_000_000_000, 1),
        ..Markov::default()
    };
    match walks.fit(&t) {
        Err(Error::CostLimit { limit, cost, .. }) => {
            assert_eq!(limit, "max_walk_steps");
            let want = 1e12 * (1.0 + 29.0 / 15.0);
            assert!((cost - want).abs() < 1e-9 * want, "{cost}");
        }
        other => panic!("{other:?}"),
    }
    for bad in [0.0, -1.0, f64::NAN] {
        let m = Markov {
            max_work: bad,
            ..Markov::default()
        };
        assert!(matches!(m.fit(&t), Err(Error::InvalidParameter { .. })));
    }
}

/// The default limit refuses a chain whose exact solve would take minutes, before solving:
/// 30,000 channels, each starting one path of three, at order 2 (Gauss–Seidel: 30,001 removed
/// chains of about 90,000 transitions and states, 8.1·10¹⁰ multiply-adds).
#[test]
fn the_default_limit_refuses_a_large_solve_quickly() {
    let mut t = PathTable::new();
    for i in 0..30_000 {
        let name = format!("c{i}");
        let next = format!("c{}", (i * 7 + 1) % 30_000);
        let last = format!("c{}", (i * 13 + 5) % 30_000);
        t.add(
            [name.as_str(), next.as_str(), last.as_str()],
            Outcome::new(1.0, 1.0, 1.0),
        )
        .unwrap();
    }
    match Markov::with_order(2).fit(&t) {
        Err(Error::CostLimit { limit, cost, .. }) => {
            assert_eq!(limit, "max_work");
            assert!(cost > Markov::DEFAULT_MAX_WORK, "{cost}");
        }
        other => panic!("{other:?}"),
    }
}

/// The same kind of chain at order 1 (30,000 states, one path of two each), which this test
/// used to show refused, is solved by the sparse order-1 elimination: every state has one
/// successor, so nothing fills in.
#[test]
fn a_sparse_order_1_chain_of_30000_states_is_solved() {
    let mut t = PathTable::new();
    for i in 0..30_000 {
        let name = format!("c{i}");
        let next = format!("c{}", (i * 7 + 1) % 30_000);
        t.add([name.as_str(), next.as_str()], Outcome::new(1.0, 1.0, 1.0))
            .unwrap();
    }
    let fit = Markov::default().fit(&t).unwrap();
    assert!((fit.conversion_probability() - 0.5).abs() < 1e-12);
    let total: f64 = fit.removal_effects().iter().map(|x| x.1).sum();
    // Σ RE = expected distinct channels on a converting walk ≥ 1.
    assert!(total >= 1.0 - 1e-9, "{total}");
}

/// An order-1 chain that fills in (3,000 campaign keys, each followed by about a hundred
/// others) is refused by the plan of its elimination, made on the pattern before any numeric
/// work: the error names the limit, the dense core and the estimate.
#[test]
fn an_order_1_chain_that_fills_in_is_refused_by_its_plan() {
    use touchpoint::synth::{SynthConfig, SynthSize, generate};
    let t = generate(&SynthConfig {
        size: SynthSize::DistinctPaths(60_000),
        channels: 30,
        campaigns: 3000,
        seed: 7,
        ..SynthConfig::default()
    })
    .unwrap();
    // Above the dense solver's reach at this limit (3,000³ > 1e9), so the elimination plans.
    let tight = Markov {
        max_work: 1e9,
        ..Markov::default()
    };
    let cost = match tight.fit(&t) {
        Err(e @ Error::CostLimit { .. }) => {
            let msg = e.to_string();
            let Error::CostLimit {
                limit,
                allowed,
                cost,
                ..
            } = e
            else {
                unreachable!()
            };
            assert_eq!((limit, allowed), ("max_work", 1e9));
            assert!(cost > 1e9, "{cost}");
            assert!(
                msg.contains("dense core") && msg.contains("before any numeric work"),
                "{msg}"
            );
            cost
        }
        other => panic!("{other:?}"),
    };
    // The estimate is a lower bound of the work: half of it is refused too.
    let half = Markov {
        max_work: cost / 2.0,
        ..Markov::default()
    };
    assert!(matches!(half.fit(&t), Err(Error::CostLimit { .. })));
}
