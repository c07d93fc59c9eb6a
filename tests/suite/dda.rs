//! The fitted conversion models (`logistic`, `dda`, `additive_hazard`): a hand-computed worked
//! example, invariants under proptest, fit quality, serialization, per-journey credit.

use crate::common;

use common::{arb_journeys, arb_rows, assert_close_tol, table, table_from, timed_table_from};
use proptest::prelude::*;
use touchpoint::model::Interactions;
use touchpoint::synth_truth::{TruthConfig, generate};
use touchpoint::{AdditiveHazard, AttributionModel, Dda, Error, Logistic, Outcome, PathTable};

/// The worked example of the model reference (§ data-driven models): journeys A (2 of 10
/// convert), B (1 of 10) and A > B (4 of 10). With presence features only the logistic model is
/// saturated (three rates, three coefficients), so it reproduces the observed rates exactly.
fn worked() -> PathTable {
    table(&[
        ("A", 2.0, 20.0, 8.0),
        ("B", 1.0, 10.0, 9.0),
        ("A > B", 4.0, 80.0, 6.0),
    ])
}

fn saturated() -> Logistic {
    Logistic {
        counts: false,
        interactions: Interactions::None,
        l2: 1e-12,
        holdout: 0.0,
        ..Logistic::default()
    }
}

#[test]
fn worked_example_logistic_reproduces_the_rates_and_the_removal_effects() {
    let t = worked();
    let fit = saturated().fit(&t).unwrap();
    assert_close_tol(fit.predict(&["A"]).unwrap(), 0.2, 1e-8);
    assert_close_tol(fit.predict(&["B"]).unwrap(), 0.1, 1e-8);
    assert_close_tol(fit.predict(&["A", "B"]).unwrap(), 0.4, 1e-8);
    // logit 0.2 = β0 + βA, logit 0.1 = β0 + βB, logit 0.4 = β0 + βA + βB.
    let (la, lb, lab) = (logit(0.2), logit(0.1), logit(0.4));
    let c = fit.coefficients();
    assert_eq!(c[0].feature, "(intercept)");
    assert_close_tol(c[0].estimate, la + lb - lab, 1e-7);
    assert_close_tol(c[1].estimate, lab - lb, 1e-7);
    assert!(
        c.iter()
            .all(|c| c.se > 0.0 && c.ci[0] < c.estimate && c.p_value <= 1.0)
    );
    // Expected removal effects: E_A = 10·0.2 + 10·(0.4 − 0.1) = 5, E_B = 10·0.1 + 10·(0.4 − 0.2)
    // = 3; C = 7 shared 5 : 3. Value per conversion 10, 10, 20: E^v_A = 2·10 + 3·20 = 80,
    // E^v_B = 1·10 + 2·20 = 50, V = 110 shared 80 : 50.
    let a = fit.attribution(&t).unwrap();
    assert_close_tol(a.conversions("A"), 7.0 * 5.0 / 8.0, 1e-7);
    assert_close_tol(a.conversions("B"), 7.0 * 3.0 / 8.0, 1e-7);
    assert_close_tol(a.value("A"), 110.0 * 80.0 / 130.0, 1e-7);
    assert_close_tol(a.extras["effects"]["A"].as_f64().unwrap(), 5.0, 1e-7);
    // One journey's touch shares: removal effects 0.3 and 0.2 of A > B, normalised.
    let mut out = [0.0; 2];
    fit.touch_shares(&["A", "B"], None, &mut out).unwrap();
    assert_close_tol(out[0], 0.6, 1e-7);
}

fn logit(p: f64) -> f64 {
    (p / (1.0 - p)).ln()
}

#[test]
fn worked_example_dda_splits_by_shapley_values() {
    // A > B: φ_A = ½(0.2 − 0) + ½(0.4 − 0.1) = 0.25, φ_B = ½·0.1 + ½·0.2 = 0.15 (sum 0.4):
    // A gets 2 + 4·0.25/0.4 = 4.5 conversions, B 1 + 4·0.15/0.4 = 2.5; value A 20 + 80·0.625.
    let t = worked();
    let dda = Dda {
        model: saturated(),
        ..Dda::default()
    };
    let a = dda.attribute(&t).unwrap();
    assert_close_tol(a.conversions("A"), 4.5, 1e-7);
    assert_close_tol(a.conversions("B"), 2.5, 1e-7);
    assert_close_tol(a.value("A"), 70.0, 1e-7);
    assert_close_tol(a.value("B"), 40.0, 1e-7);
    let fit = dda.fit(&t).unwrap();
    let mut out = [0.0; 3];
    fit.touch_shares(&["A", "B", "A"], None, &mut out).unwrap();
    // A's 0.625 is shared by its two touches.
    assert_close_tol(out[0], 0.3125, 1e-7);
    assert_close_tol(out[1], 0.375, 1e-7);
    assert_close_tol(out[2], 0.3125, 1e-7);
    // A channel the fit never saw changes nothing and gets nothing.
    let mut out = [0.0; 3];
    fit.touch_shares(&["A", "Radio", "B"], None, &mut out)
        .unwrap();
    assert_eq!(out[1], 0.0);
    assert_close_tol(out[0], 0.625, 1e-7);
}

#[test]
fn fits_serialize_and_credit_the_same_after_a_round_trip() {
    let t = worked();
    let fit = Dda::default().fit(&t).unwrap();
    let json = serde_json::to_string(&fit).unwrap();
    let back: touchpoint::DdaFit = serde_json::from_str(&json).unwrap();
    // serde_json may round the last bit of a float.
    let (a, b) = (fit.attribution(&t).unwrap(), back.attribution(&t).unwrap());
    for (x, y) in a.channels.iter().zip(&b.channels) {
        assert_close_tol(x.conversions, y.conversions, 1e-12);
    }
}

#[test]
fn per_journey_credits_sum_to_the_aggregate_for_dda() {
    let p = generate(&TruthConfig {
        journeys: 5_000,
        interactions: 2,
        ..TruthConfig::default()
    })
    .unwrap();
    let dda = Dda::default();
    let fit = dda.fit(&p.table).unwrap();
    let a = fit.attribution(&p.table).unwrap();
    let mut sums = std::collections::BTreeMap::<String, f64>::new();
    for (path, o) in p.table.to_named_rows() {
        let mut out = vec![0.0; path.len()];
        fit.touch_shares(&path, None, &mut out).unwrap();
        for (c, f) in path.iter().zip(&out) {
            *sums.entry(c.to_string()).or_default() += o.conversions * f;
        }
    }
    for (c, s) in sums {
        assert_close_tol(s, a.conversions(&c), 1e-9);
    }
}

#[test]
fn fit_quality_is_reported_and_better_than_chance_on_a_signal() {
    let p = generate(&TruthConfig {
        journeys: 20_000,
        ..TruthConfig::default()
    })
    .unwrap();
    for m in [
        Box::new(Logistic::default()) as Box<dyn AttributionModel>,
        Box::new(Dda::default()),
    ] {
        let a = m.attribute(&p.table).unwrap();
        let fit = &a.extras["fit"];
        let auc = fit["auc"].as_f64().unwrap();
        assert!(auc > 0.6 && auc < 1.0, "{}: {auc}", m.name());
        assert!(fit["log_loss"].as_f64().unwrap() > 0.0);
        assert_eq!(fit["holdout"].as_f64(), Some(0.2));
    }
}

#[test]
fn additive_hazard_recovers_the_truth_of_its_own_process() {
    let p = generate(&TruthConfig {
        journeys: 30_000,
        half_life_days: Some(3.0),
        ..TruthConfig::default()
    })
    .unwrap();
    let a = AdditiveHazard::default().attribute(&p.table).unwrap();
    let s = p.score(&a);
    assert!(s.nmae < 0.08 && s.spearman > 0.9, "{s:?}");
    assert!(a.extras["fit"]["auc"].as_f64().unwrap() > 0.6);
    let e = AdditiveHazard::default()
        .attribute(&p.table.without_times())
        .unwrap_err();
    assert!(matches!(e, Error::NeedsTimestamps { .. }), "{e}");
}

#[test]
fn bad_options_are_refused() {
    let t = worked();
    for m in [
        Logistic {
            l2: -1.0,
            ..Logistic::default()
        },
        Logistic {
            holdout: 1.0,
            ..Logistic::default()
        },
        Logistic {
            bag_fraction: 0.0,
            ..Logistic::default()
        },
    ] {
        assert!(matches!(m.fit(&t), Err(Error::InvalidParameter { .. })));
    }
    let d = Dda {
        samples: 1,
        ..Dda::default()
    };
    assert!(d.attribute(&t).is_err());
    let mut empty = PathTable::new();
    empty.add(["A"], Outcome::null(3.0)).unwrap();
    assert!(matches!(
        Dda::default().attribute(&empty),
        Err(Error::NoConversions { .. })
    ));
}

#[test]
fn bagging_reports_the_spread_of_the_coefficients() {
    let p = generate(&TruthConfig {
        journeys: 5_000,
        ..TruthConfig::default()
    })
    .unwrap();
    let fit = Logistic {
        bags: 5,
        holdout: 0.0,
        ..Logistic::default()
    }
    .fit(&p.table)
    .unwrap();
    assert!(
        fit.coefficients()
            .iter()
            .all(|c| c.bag_se.is_some_and(|s| s > 0.0))
    );
}

/// Options under which scaling every count must leave the fit unchanged: every pair gets a
/// feature whatever its count, and no holdout (a split of doubled counts is another split).
fn scale_free() -> Dda {
    Dda {
        model: Logistic {
            min_pair_journeys: 0.0,
            holdout: 0.0,
            ..Logistic::default()
        },
        ..Dda::default()
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn dda_is_efficient_and_relabelling_channels_relabels_credit(rows in arb_rows()) {
        let t = table_from(&rows);
        let a = scale_free().attribute(&t).unwrap();
        let totals = t.totals();
        assert_close_tol(a.credited_conversions(), totals.conversions, 1e-9);
        assert_close_tol(a.credited_value(), totals.value, 1e-9);
        // Rename every channel (a bijection that changes the names' sort order).
        let rename = |c: &str| format!("~{}", c.chars().rev().collect::<String>());
        let mut renamed = rows.clone();
        for r in &mut renamed {
            r.path = r.path.iter().map(|c| rename(c)).collect();
        }
        let b = scale_free().attribute(&table_from(&renamed)).unwrap();
        for c in &a.channels {
            assert_close_tol(b.conversions(&rename(&c.channel)), c.conversions, 1e-7);
        }
        // Logistic is efficient too.
        let l = Logistic { holdout: 0.0, ..Logistic::default() }.attribute(&t).unwrap();
        assert_close_tol(l.credited_conversions(), totals.conversions, 1e-9);
    }

    #[test]
    fn doubling_every_count_changes_no_share(rows in arb_rows()) {
        let t = table_from(&rows);
        let mut doubled = rows.clone();
        for r in &mut doubled {
            r.outcome = r.outcome.scaled(2.0);
        }
        let (a, b) = (
            scale_free().attribute(&t).unwrap(),
            scale_free().attribute(&table_from(&doubled)).unwrap(),
        );
        for (x, y) in a.channels.iter().zip(&b.channels) {
            assert_close_tol(x.share, y.share, 1e-6);
        }
    }

    #[test]
    fn additive_hazard_is_efficient_on_timed_tables(journeys in arb_journeys()) {
        let t = timed_table_from(&journeys);
        let m = AdditiveHazard { holdout: 0.0, ..AdditiveHazard::default() };
        // On some tiny random tables the likelihood has no finite maximum (a channel whose
        // hazard can grow without bound): the fit then stops with a typed error, never a
        // wrong answer.
        match m.attribute(&t) {
            Ok(a) => {
                assert_close_tol(a.credited_conversions(), t.totals().conversions, 1e-9);
                assert_close_tol(a.credited_value(), t.totals().value, 1e-9);
            }
            Err(touchpoint::Error::Numerical { .. }) => {}
            Err(e) => panic!("{e}"),
        }
    }
}

#[test]
fn fitted_models_credit_journeys_and_save_and_load() {
    use touchpoint::Journey;
    use touchpoint::fit::FittedModel;
    let t = worked();
    let dda = Dda {
        model: saturated(),
        ..Dda::default()
    };
    let fitted = AttributionModel::fit(&dda, &t).unwrap();
    assert!(fitted.residual().is_empty(), "{:?}", fitted.residual());
    let rows = fitted.credit_table(&t).unwrap();
    let (conv, _) = rows.channel_sums(&t);
    let a = fitted.attribution();
    for (id, name) in t.channels().iter() {
        assert_close_tol(conv[id.index()], a.conversions(name), 1e-9);
    }
    let j = Journey::from_channels(["A", "B"], Outcome::converted(2.0, 10.0));
    let credit = fitted.credit(&j).unwrap();
    assert_close_tol(credit[0].conversions, 2.0 * 0.625, 1e-7);
    let loaded = FittedModel::from_json(&fitted.to_json().unwrap()).unwrap();
    assert_eq!(loaded.credit(&j).unwrap(), credit);
    // logistic: the per-journey split of the fitted table differs from the expected-removal
    // aggregate, and the difference is reported as the residual.
    let fitted = AttributionModel::fit(&saturated(), &t).unwrap();
    let r: f64 = fitted.residual().iter().map(|r| r.conversions).sum();
    assert!(r.abs() < 1e-9 && !fitted.residual().is_empty());
    assert_close_tol(fitted.credit(&j).unwrap()[0].conversions, 1.2, 1e-7);
}

/// The registry builds the three conversion models by name; on a timed table each one's
/// per-touch credit of the fitted table plus its residual is its aggregate (what
/// `attribute --per-touch` writes), and `additive_hazard` refuses the untimed table.
#[test]
fn registry_conversion_models_per_touch_credit_plus_residual_is_the_aggregate() {
    use touchpoint::registry::{CONVERSION_MODELS, ModelOptions, build_model};
    let p = generate(&TruthConfig {
        journeys: 4_000,
        half_life_days: Some(3.0),
        conversion_rate: 0.2,
        seed: 5,
        ..TruthConfig::default()
    })
    .unwrap();
    let t = &p.table;
    for name in CONVERSION_MODELS {
        let fitted = build_model(name, &ModelOptions::default())
            .unwrap()
            .fit(t)
            .unwrap();
        assert_eq!(fitted.name(), *name);
        let (conv, value) = fitted.credit_table(t).unwrap().channel_sums(t);
        let a = fitted.attribution();
        for (id, ch) in t.channels().iter() {
            let (rc, rv) = fitted
                .residual()
                .iter()
                .find(|r| r.channel == ch)
                .map_or((0.0, 0.0), |r| (r.conversions, r.value));
            assert_close_tol(conv[id.index()] + rc, a.conversions(ch), 1e-6);
            assert_close_tol(value[id.index()] + rv, a.value(ch), 1e-6 * a.total_value);
        }
    }
    let untimed = t.without_times();
    let e = build_model("additive_hazard", &ModelOptions::default())
        .unwrap()
        .fit(&untimed)
        .unwrap_err();
    assert!(matches!(e, Error::NeedsTimestamps { .. }), "{e}");
}

/// The JSON document gives each conversion model's held-out fit as `fit_quality` (and no such
/// field for a rule).
#[test]
fn json_report_carries_fit_quality_for_conversion_models() {
    let p = generate(&TruthConfig {
        journeys: 3_000,
        conversion_rate: 0.2,
        seed: 2,
        ..TruthConfig::default()
    })
    .unwrap();
    let results = vec![
        touchpoint::Linear::default().attribute(&p.table).unwrap(),
        Logistic::default().attribute(&p.table).unwrap(),
    ];
    let mut out = Vec::new();
    touchpoint::report::write_json(&mut out, &results, None).unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out).unwrap();
    let models = doc["models"].as_array().unwrap();
    assert!(models[0].get("fit_quality").is_none());
    let q = &models[1]["fit_quality"];
    let auc = q["auc"].as_f64().unwrap();
    assert!(auc > 0.5 && auc <= 1.0, "{q}");
    assert!(q["log_loss"].as_f64().unwrap() > 0.0);
    assert_eq!(q["holdout"].as_f64(), Some(0.2));
}

/// Markov's held-out fit quality at its order, through the pipeline into the JSON, checked by
/// hand on fractional counts (the split is then exactly proportional: 20% of every row's
/// conversions and nulls is held out, so the training rates are the rows' own rates).
#[test]
fn markov_fit_quality_by_hand_in_the_pipeline_and_json() {
    let mut t = PathTable::new();
    t.add(["A", "B"], Outcome::new(2.5, 25.0, 2.5)).unwrap();
    t.add(["B"], Outcome::new(0.5, 5.0, 4.5)).unwrap();
    t.add(["A"], Outcome::new(3.5, 35.0, 1.5)).unwrap();
    let pipeline =
        touchpoint::pipeline::Pipeline::new(touchpoint::pipeline::RunConfig::new(["markov"]))
            .unwrap();
    let report = pipeline.run(&t, &mut ()).unwrap();
    let fit = &report.results[0].extras["fit"];
    // Order 1: journeys ending in B convert at (2.5 + 0.5)/10 = 0.3 in training, in A at 0.7.
    // Test part (0.5, 0.5), (0.1, 0.9), (0.7, 0.3): 3 journeys, 0.9 of them scored at the
    // wrong end of 0.3/0.7 and 2.1 at the right one.
    let log_loss = -(0.9 * 0.3f64.ln() + 2.1 * 0.7f64.ln()) / 3.0;
    assert_close_tol(fit["log_loss"].as_f64().unwrap(), log_loss, 1e-12);
    assert!((log_loss - 0.610_864_3).abs() < 1e-7);
    // AUC: positives 0.6 at 0.3 (tied with 1.4 negatives), 0.7 at 0.7 (above 1.4, tied with
    // 0.3): (0.6·0.7 + 0.7·1.55) / (1.3·1.7) = 1.505 / 2.21.
    assert_close_tol(fit["auc"].as_f64().unwrap(), 1.505 / 2.21, 1e-12);
    assert_close_tol(fit["test_journeys"].as_f64().unwrap(), 3.0, 1e-12);
    let mut out = Vec::new();
    touchpoint::report::write_json(&mut out, &report.results, None).unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(&doc["models"][0]["fit_quality"], fit);
}
