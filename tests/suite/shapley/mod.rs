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

use crate::common;

use common::table;

const T2: &[Spec<'static>] = common::T2;

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
        Box::new(ShaoLi::default()),
    ]
}

fn extra_f64(a: &Attribution, key: &str, ch: &str) -> f64 {
    a.extras[key][ch].as_f64().unwrap()
}

mod properties;
mod sampling;
mod worked;
