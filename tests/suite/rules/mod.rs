//! Rule-based models: the worked examples of the model reference (§Rule-based models: T1, T2,
//! T3, T5, time decay), its hand examples and edge cases, and §Properties for every rule model.

use crate::common;

use std::collections::BTreeMap;

use chrono::{DateTime, TimeDelta, Utc};

use common::*;

use proptest::prelude::*;

use touchpoint::{
    Attribution, AttributionModel, Error, FirstTouch, Journey, LastNonDirect, LastTouch, Linear,
    LinearMode, Outcome, Participation, PathTable, PositionBased, RuleBased, TimeDecay, Touchpoint,
    TwoTouch, WShaped,
};

// ---------------------------------------------------------------------------------------------
// Models and small helpers
// ---------------------------------------------------------------------------------------------

/// Direct channel names of the [`LastNonDirect`] instance in [`models`] (both are in [`POOL`]).
const DIRECT: [&str; 2] = ["Direct", "Email"];

/// Every rule model, in several parameterisations; the last-non-direct model uses `direct`.
fn models(direct: &[&str]) -> Vec<Box<dyn RuleBased>> {
    vec![
        Box::new(FirstTouch),
        Box::new(LastTouch),
        Box::new(LastNonDirect::new(direct.iter().copied())),
        Box::new(Linear::new(LinearMode::PerTouch)),
        Box::new(Linear::new(LinearMode::PerDistinct)),
        Box::new(Linear::new(LinearMode::PerRun)),
        Box::new(PositionBased::u_shaped()),
        Box::new(PositionBased::j_curve()),
        Box::new(PositionBased::inverse_j()),
        Box::new(PositionBased {
            two_touch: TwoTouch::SplitMiddle,
            ..PositionBased::j_curve()
        }),
        Box::new(PositionBased::new(0.5, 0.5, 0.0)),
        Box::new(WShaped::default()),
        Box::new(WShaped {
            first: 0.4,
            milestone: 0.2,
            last: 0.1,
            rest: 0.3,
        }),
        Box::new(TimeDecay::default()),
        Box::new(TimeDecay {
            half_life: TimeDelta::hours(6),
            positional_half_life: 2.5,
        }),
        Box::new(Participation::raw()),
        Box::new(Participation::normalized()),
    ]
}

/// [`models`] behind the general trait, as a caller holding "all models" would.
fn all_models() -> Vec<Box<dyn AttributionModel>> {
    models(&DIRECT)
        .into_iter()
        .map(|m| m as Box<dyn AttributionModel>)
        .collect()
}

/// Raw participation is the one rule model that is not efficient (the model reference,
/// §Participation).
fn is_raw_participation(m: &dyn AttributionModel) -> bool {
    m.name() == "participation"
}

/// Normalised participation rescales globally, so it is not row-additive.
fn is_row_additive(m: &dyn AttributionModel) -> bool {
    m.name() != "participation_normalized"
}

#[track_caller]
fn run(m: &dyn AttributionModel, t: &PathTable) -> Attribution {
    m.attribute(t).unwrap_or_else(|e| panic!("{m:?}: {e}"))
}

fn distinct_count(path: &[String]) -> usize {
    let mut p: Vec<&String> = path.iter().collect();
    p.sort_unstable();
    p.dedup();
    p.len()
}

/// Asserts the credit of every channel of `a` against `expected` `(channel, conversions, value)`,
/// and that `a` has no other channel.
#[track_caller]
fn check(a: &Attribution, expected: &[(&str, f64, f64)]) {
    let got: Vec<&str> = a.channels.iter().map(|c| c.channel.as_str()).collect();
    let mut want: Vec<&str> = expected.iter().map(|e| e.0).collect();
    want.sort_unstable();
    assert_eq!(got, want, "{}: channels", a.model);
    for &(ch, conv, value) in expected {
        let c = a.get(ch).expect("present");
        assert!(
            close_to(c.conversions, conv, TOL) && close_to(c.value, value, TOL),
            "{}: `{ch}` got ({}, {}), expected ({conv}, {value})",
            a.model,
            c.conversions,
            c.value
        );
        assert_close(c.share, c.conversions / a.total_conversions);
    }
}

/// Asserts the per-touch fractions of `pc` row `r`.
#[track_caller]
fn check_fractions(pc: &touchpoint::PathCredit, r: usize, expected: &[f64]) {
    let got = pc.fractions(r);
    assert_eq!(
        got.len(),
        expected.len(),
        "row {r}: {got:?} vs {expected:?}"
    );
    for (g, e) in got.iter().zip(expected) {
        assert!(close_to(*g, *e, TOL), "row {r}: {got:?} vs {expected:?}");
    }
}

mod edge;
mod properties;
mod time_decay;
mod worked;
