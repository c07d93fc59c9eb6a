//! Numerics that degrade loudly and resource limits checked before allocating: every efficient
//! model meets efficiency to 1e-9 (relative) on tables with counts of 1e12 and 1e15, or says
//! why it cannot; requests too large for memory are refused with the limit and the cost.

use crate::common;

use touchpoint::bootstrap::{Bootstrap, MAX_REPLICATES};
use touchpoint::{
    AttributionModel, Error, LastTouch, Outcome, Participation, PathTable, ShaoLi, ShapleyGlobal,
    ShapleyRate,
};

/// The efficient models the issue names.
fn efficient_models() -> Vec<Box<dyn AttributionModel>> {
    vec![
        Box::new(ShapleyGlobal::default()),
        Box::new(ShapleyRate::default()),
        Box::new(ShaoLi::default()),
        Box::new(Participation::normalized()),
    ]
}

/// Ok with credit summing to the totals within 1e-9 relative, or a typed `Inefficient` error;
/// returns whether it was Ok.
fn efficient_or_loud(model: &dyn AttributionModel, t: &PathTable, label: &str) -> bool {
    match model.attribute(t) {
        Ok(a) => {
            let totals = t.totals();
            for (what, sum, total) in [
                ("conversions", a.credited_conversions(), totals.conversions),
                (
                    "value",
                    a.channels.iter().map(|c| c.value).sum::<f64>(),
                    totals.value,
                ),
            ] {
                let rel = (sum - total).abs() / total.abs().max(f64::MIN_POSITIVE);
                assert!(
                    rel <= 1e-9 * 1.01,
                    "{} on {label}: {what} sum {sum:e} vs total {total:e} (relative {rel:e})",
                    a.model
                );
                for c in &a.channels {
                    assert!(c.conversions.is_finite() && c.value.is_finite());
                }
            }
            true
        }
        Err(Error::Inefficient {
            what, sum, total, ..
        }) => {
            let rel = (sum - total).abs() / total.abs();
            assert!(rel > 1e-9, "{label}: refused although within 1e-9 ({what})");
            false
        }
        Err(e) => panic!("{} on {label}: unexpected error {e}", model.name()),
    }
}

/// A T2-like table with every count multiplied by `k` and `extra_nulls` more null journeys on
/// a path of its own.
fn scaled(k: f64, extra_nulls: f64) -> PathTable {
    let mut t = common::table(&[
        ("A > B > C", 2.0 * k, 20.5 * k, 1.0 * k),
        ("B > A", 1.0 * k, 7.25 * k, 3.0 * k),
        ("C", 1.0 * k, 9.0 * k, 2.0 * k),
        ("A > C", 2.0 * k, 11.0 * k, 1.0 * k),
        ("B", 1.0 * k, 3.5 * k, 4.0 * k),
    ]);
    if extra_nulls > 0.0 {
        t.add(["D", "A"], Outcome::null(extra_nulls)).unwrap();
    }
    t
}

#[test]
fn efficient_models_meet_efficiency_or_refuse_at_1e12_and_1e15_counts() {
    for (label, t) in [
        ("x1e12", scaled(1e12, 0.0)),
        ("x1e15", scaled(1e15, 0.0)),
        ("1e12 nulls", scaled(1.0, 1e12)),
        ("1e15 nulls", scaled(1.0, 1e15)),
        ("x1e12 and 1e15 nulls", scaled(1e12, 1e15)),
    ] {
        for m in efficient_models() {
            efficient_or_loud(m.as_ref(), &t, label);
        }
    }
    // Well-conditioned tables (only scaled) are computed, not refused.
    for k in [1e12, 1e15] {
        for m in efficient_models() {
            assert!(
                efficient_or_loud(m.as_ref(), &scaled(k, 0.0), "scaled"),
                "{} refused a table scaled by {k:e}",
                m.name()
            );
        }
    }
}

#[test]
fn shapley_global_on_an_ill_conditioned_game_says_why() {
    // {A}: 1 conversion in 1e15 journeys; {B}: rate 1/2. The game's credits are ±2.5e14
    // conversions that must cancel to a total of 2: beyond f64, so refused rather than wrong.
    let t = common::table(&[("A", 1.0, 0.0, 1e15), ("B", 1.0, 0.0, 1.0)]);
    match ShapleyGlobal::default().attribute(&t) {
        Err(Error::Inefficient { model, what, .. }) => {
            assert_eq!(model, "shapley_global");
            assert_eq!(what, "conversions");
        }
        Ok(a) => {
            let sum = a.credited_conversions();
            assert!((sum - 2.0).abs() <= 2e-9, "{sum}");
        }
        Err(e) => panic!("{e}"),
    }
}

#[test]
fn totals_are_compensated_sums() {
    // 1e15 plus many fractional values: a naive sum drops every 0.01 (ulp(1e15) = 0.125).
    let mut t = PathTable::new();
    t.add(["Big"], Outcome::converted(1e15, 1e15)).unwrap();
    for i in 0..1000 {
        t.add([format!("c{i}")], Outcome::converted(1.0, 0.01))
            .unwrap();
    }
    let v = t.totals().value;
    assert!((v - (1e15 + 10.0)).abs() <= 0.25, "{v}");
}

#[test]
fn bootstrap_replicates_above_the_limit_are_refused_before_allocating() {
    let t = common::table(&[("A > B", 2.0, 2.0, 1.0)]);
    let b = Bootstrap {
        replicates: 1_000_000_000,
        ..Bootstrap::default()
    };
    match b.run(&LastTouch, &t) {
        Err(Error::ResourceLimit {
            what,
            requested,
            limit,
            cost,
            unit,
        }) => {
            assert!(what.contains("replicates"), "{what}");
            assert_eq!((requested, limit), (1_000_000_000, MAX_REPLICATES as u64));
            assert!(cost > 1 << 30 && unit == "bytes");
        }
        other => panic!("expected a resource limit, got {other:?}"),
    }
    let msg = b.validate().unwrap_err().to_string();
    assert!(
        msg.contains("limit 1000000") && msg.contains("GiB"),
        "{msg}"
    );
    // Within the count limit but too much memory for the channels: refused too.
    let mut wide = PathTable::new();
    for i in 0..5000 {
        wide.add([format!("ch{i}")], Outcome::converted(1.0, 1.0))
            .unwrap();
    }
    let b = Bootstrap {
        replicates: MAX_REPLICATES,
        ..Bootstrap::default()
    };
    assert!(matches!(
        b.run(&LastTouch, &wide),
        Err(Error::ResourceLimit { .. })
    ));
}

#[test]
fn shapley_rate_exact_work_above_the_limit_is_refused_before_playing() {
    // 70 converting sets of 30 of 32 channels, all exact: 70 · 2^30 > 2^36 coalitions.
    let names: Vec<String> = (0..32).map(|i| format!("c{i:02}")).collect();
    let mut t = PathTable::new();
    let mut sets = 0;
    'outer: for a in 0..32 {
        for b in a + 1..32 {
            let path: Vec<&str> = (0..32)
                .filter(|&i| i != a && i != b)
                .map(|i| names[i].as_str())
                .collect();
            t.add(path, Outcome::new(1.0, 0.0, 1.0)).unwrap();
            sets += 1;
            if sets == 70 {
                break 'outer;
            }
        }
    }
    let m = ShapleyRate {
        max_exact_channels: 32,
        ..ShapleyRate::default()
    };
    let started = std::time::Instant::now();
    match m.attribute(&t) {
        Err(Error::ResourceLimit {
            requested,
            limit,
            unit,
            ..
        }) => {
            assert_eq!(requested, 70 << 30);
            assert_eq!(limit, 1 << 36);
            assert_eq!(unit, "coalition evaluations");
        }
        other => panic!("expected a resource limit, got {other:?}"),
    }
    assert!(started.elapsed().as_secs() < 30);
}
