//! Tests of the additive-hazard model (`hazard.rs`); the parent declares this module under
//! #[cfg(test)].

use super::*;
use crate::model::AttributionModel;

fn timed_table() -> PathTable {
    let mut t = PathTable::new();
    let d = DAY as i64;
    for k in 0..40i64 {
        let conv = k % 3 == 0;
        let o = if conv {
            crate::Outcome::converted(1.0, 10.0)
        } else {
            crate::Outcome::null(1.0)
        };
        let times = [k * d, k * d + (k % 5) * d / 2];
        let path = if k % 2 == 0 { ["A", "B"] } else { ["B", "C"] };
        t.add_timed(path, &times, conv.then_some(times[1] + d), o)
            .unwrap();
    }
    t
}

#[test]
fn gradient_and_hessian_match_finite_differences() {
    derivatives_match(&timed_table());
}

#[test]
fn untimed_gradient_and_hessian_match_finite_differences() {
    derivatives_match(&timed_table().without_times());
}

fn derivatives_match(t: &PathTable) {
    // Channels A, B, C; interaction terms A → B and B → C.
    let layout = Layout {
        n: t.channels().len(),
        shared: false,
        pairs: vec![(0, 1), (1, 2)],
    };
    let eval = |theta: &[f64]| {
        let mut a = Acc::new(layout.len());
        for row in t.rows() {
            let w = (row.outcome.conversions, row.outcome.nulls);
            add_row(&mut a, &row, w, theta, &layout, 3.0);
        }
        a
    };
    let theta: Vec<f64> = (0..layout.len()).map(|j| -1.0 + 0.3 * j as f64).collect();
    let a = eval(&theta);
    let eps = 1e-6;
    for j in 0..layout.len() {
        let mut up = theta.clone();
        up[j] += eps;
        let mut down = theta.clone();
        down[j] -= eps;
        let (au, ad) = (eval(&up), eval(&down));
        let g = (au.ll - ad.ll) / (2.0 * eps);
        assert!(
            (g - a.grad[j]).abs() < 1e-5 * (1.0 + g.abs()),
            "grad {j}: {g} vs {}",
            a.grad[j]
        );
        for k in 0..layout.len() {
            let h = (au.grad[k] - ad.grad[k]) / (2.0 * eps);
            assert!(
                (h - a.hess[[j, k]]).abs() < 1e-4 * (1.0 + h.abs()),
                "hess {j},{k}: {h} vs {}",
                a.hess[[j, k]]
            );
        }
    }
}

#[test]
fn worked_example_hazard_shares() {
    // The model reference's worked example (§additive_hazard): A two days and B one day
    // before the conversion, β_A = 1, ω_A = 1/day, β_B = 1, ω_B = 0.5/day (doses β/ω of 1
    // and 2): λ = e^{−2} + e^{−0.5} = 0.741865942949; shares A 0.182425523806,
    // B 0.817574476194.
    let channels = vec!["A".to_string(), "B".to_string()];
    let fit = HazardFit {
        lookup: ChannelLookup::new(&channels),
        channels,
        beta: vec![1.0, 1.0],
        omega: vec![1.0, 0.5],
        pairs: Vec::new(),
        epsilon: Vec::new(),
        credit: HazardCredit::HazardShare,
        window_days: 30.0,
        timed: true,
        log_likelihood: 0.0,
        iterations: 0,
        quality: None,
    };
    let d = DAY as i64;
    let mut out = [0.0; 2];
    let mut scratch = crate::model::dda::journey::JourneyScratch::default();
    crate::model::dda::journey::split_names(
        &fit,
        ["A", "B"].into_iter(),
        Some(&[0, d]),
        Some(2 * d),
        &mut scratch,
        &mut out,
    )
    .unwrap();
    let lambda = (-2.0f64).exp() + (-0.5f64).exp();
    assert!((lambda - 0.741865942949).abs() < 1e-12);
    assert!((out[0] - 0.182425523806).abs() < 1e-11, "{out:?}");
    assert!((out[1] - 0.817574476194).abs() < 1e-11, "{out:?}");
}

#[test]
fn untimed_tables_are_refused_with_a_typed_error() {
    let t = crate::fixtures::t2();
    let e = AdditiveHazard::default().fit(&t).unwrap_err();
    assert!(
        matches!(
            e,
            Error::NeedsTimestamps {
                untimed_rows: 6,
                ..
            }
        ),
        "{e}"
    );
    assert!(e.to_string().contains("timestamps"));
}

#[test]
fn credit_is_efficient_on_a_timed_table() {
    let t = timed_table();
    let a = AdditiveHazard::default().attribute(&t).unwrap();
    assert!((a.credited_conversions() - t.totals().conversions).abs() < 1e-9);
    assert!((a.credited_value() - t.totals().value).abs() < 1e-9);
}

#[test]
fn untimed_fit_by_hand() {
    // Single-channel rows: A converts 1 of 4 journeys, B 1 of 2. Without pairs the maximum
    // likelihood has 1 − e^{−β_A} = 1/4 and 1 − e^{−β_B} = 1/2: β_A = ln 4/3, β_B = ln 2
    // (up to the tiny ridge). Removal credit: each journey's P̂ is lost without its only
    // channel, E_A = 4 · 1/4 = 1 = E_B, so the 2 conversions split 1 : 1. An untimed journey
    // A, B is split by β_A : β_B = 0.293305 : 0.706695 (ln 4/3 / ln 8/3).
    let mut t = PathTable::new();
    t.add(["A"], crate::Outcome::new(1.0, 10.0, 3.0)).unwrap();
    t.add(["B"], crate::Outcome::new(1.0, 30.0, 1.0)).unwrap();
    let m = AdditiveHazard {
        untimed: true,
        interactions: false,
        l2: 1e-12,
        holdout: 0.0,
        ..AdditiveHazard::default()
    };
    let fit = m.fit(&t).unwrap();
    let p = fit.parameters();
    assert!((p[0].beta - (4.0f64 / 3.0).ln()).abs() < 1e-8, "{p:?}");
    assert!((p[1].beta - 2f64.ln()).abs() < 1e-8, "{p:?}");
    assert_eq!(p[0].omega, 0.0);
    let a = fit.attribution(&t).unwrap();
    assert!((a.conversions("A") - 1.0).abs() < 1e-8);
    assert!((a.conversions("B") - 1.0).abs() < 1e-8);
    let mut out = [0.0; 2];
    fit.touch_shares(&["A", "B"], None, &mut out).unwrap();
    assert!((out[0] - 0.293305).abs() < 1e-6, "{out:?}");
    assert!((out[0] + out[1] - 1.0).abs() < 1e-12);
    // The default still refuses the untimed table.
    assert!(AdditiveHazard::default().fit(&t).is_err());
}
