//! Edge cases: invalid parameters, no conversions, many rows.

use super::*;

// ---------------------------------------------------------------------------------------------
// Edge cases: invalid parameters, no conversions, many rows
// ---------------------------------------------------------------------------------------------

#[track_caller]
fn assert_invalid(m: &dyn RuleBased) {
    let t = t2();
    assert!(
        matches!(m.attribute(&t), Err(Error::InvalidParameter { .. })),
        "{m:?} accepted"
    );
    assert!(
        matches!(m.path_credit(&t), Err(Error::InvalidParameter { .. })),
        "{m:?} accepted by path_credit"
    );
}

#[test]
fn invalid_position_weights_are_refused() {
    // f + l = 0 leaves 2-touch paths undefined (renormalised convention).
    assert_invalid(&PositionBased::new(0.0, 1.0, 0.0));
    // Weights not summing to 1.
    assert_invalid(&PositionBased::new(0.5, 0.5, 0.5));
    assert_invalid(&PositionBased::new(0.3, 0.3, 0.3));
    // Negative, NaN or infinite weights (the first sums to 1).
    assert_invalid(&PositionBased::new(-0.2, 0.6, 0.6));
    assert_invalid(&PositionBased::new(f64::NAN, 0.5, 0.5));
    assert_invalid(&PositionBased::new(f64::INFINITY, 0.0, 0.0));
    assert_invalid(&PositionBased {
        two_touch: TwoTouch::SplitMiddle,
        ..PositionBased::new(0.5, -0.5, 1.0)
    });
    assert!(PositionBased::new(0.5, 0.5, 0.5).validate().is_err());
    assert!(PositionBased::u_shaped().validate().is_ok());
    // W-shaped likewise.
    let w = |first, milestone, last, rest| WShaped {
        first,
        milestone,
        last,
        rest,
    };
    assert_invalid(&w(0.0, 1.0, 0.0, 0.0));
    assert_invalid(&w(0.3, 0.3, 0.3, 0.3));
    assert_invalid(&w(0.5, 0.5, 0.5, -0.5));
    assert_invalid(&w(0.3, 0.3, f64::NAN, 0.1));
}

#[test]
fn split_middle_without_ends_is_defined() {
    // With DP6's 2-touch rule, (0, 1, 0) is defined: 2-touch paths split 1/2, 1/2 and longer
    // paths give everything to the middle. T2 conversions: A>B>C ×2 → B 2; A>A>B → A 1;
    // B → B 1; C>A → 1/2 each; B>C>B>A → C 1/2, B 1/2; C → C 1.
    let m = PositionBased {
        two_touch: TwoTouch::SplitMiddle,
        ..PositionBased::new(0.0, 1.0, 0.0)
    };
    let a = run(&m, &t2());
    assert_close(a.conversions("A"), 1.5);
    assert_close(a.conversions("B"), 3.5);
    assert_close(a.conversions("C"), 2.0);
}

#[test]
fn invalid_half_lives_are_refused() {
    for h in [TimeDelta::zero(), TimeDelta::days(-7), TimeDelta::MIN] {
        assert_invalid(&TimeDecay {
            half_life: h,
            ..TimeDecay::default()
        });
    }
    for h in [0.0, -1.0, f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
        assert_invalid(&TimeDecay {
            positional_half_life: h,
            ..TimeDecay::default()
        });
    }
}

#[test]
fn tables_without_conversions_are_refused() {
    let null_only = table(&[("A > B", 0.0, 0.0, 3.0), ("C", 0.0, 0.0, 1.0)]);
    let no_ops = table(&[("A", 0.0, 0.0, 0.0)]);
    for t in [PathTable::new(), null_only, no_ops] {
        for m in all_models() {
            assert!(
                matches!(m.attribute(&t), Err(Error::NoConversions { .. })),
                "{m:?}"
            );
        }
        // Path credit is defined without conversions.
        for m in models(&DIRECT) {
            assert_eq!(m.path_credit(&t).unwrap().len(), t.len());
        }
    }
}

/// Paths over 8 channels from the base-8 digits of `i` (distinct for distinct `i`).
fn digits_path(i: usize) -> Vec<String> {
    let mut p = Vec::new();
    let mut k = i;
    loop {
        p.push(format!("c{}", k % 8));
        k /= 8;
        if k == 0 {
            break;
        }
    }
    p
}

#[test]
fn many_rows_across_chunks() {
    // 30,000 distinct rows span several chunks of the row walk (8192 rows each): credit and
    // path-credit alignment must match a plain sequential computation.
    let n = 30_000;
    let mut t = PathTable::new();
    let mut first = BTreeMap::<String, (f64, f64)>::new();
    let mut linear = BTreeMap::<String, (f64, f64)>::new();
    let mut paths = Vec::with_capacity(n);
    for i in 0..n {
        let p = digits_path(i);
        let c = (i % 3) as f64;
        let v = if c > 0.0 { (i % 7) as f64 } else { 0.0 };
        t.add(&p, Outcome::new(c, v, (i % 2) as f64)).unwrap();
        let e = first.entry(p[0].clone()).or_default();
        e.0 += c;
        e.1 += v;
        for ch in &p {
            let e = linear.entry(ch.clone()).or_default();
            e.0 += c / p.len() as f64;
            e.1 += v / p.len() as f64;
        }
        paths.push(p);
    }
    assert_eq!(t.len(), n);
    for (m, expected) in [
        (&FirstTouch as &dyn AttributionModel, &first),
        (&Linear::default() as &dyn AttributionModel, &linear),
    ] {
        let a = run(m, &t);
        for (ch, &(c, v)) in expected {
            assert_close(a.conversions(ch), c);
            assert_close(a.value(ch), v);
        }
    }
    let pc = LastTouch.path_credit(&t).unwrap();
    assert_eq!(pc.len(), n);
    for (r, p) in paths.iter().enumerate() {
        let f = pc.fractions(r);
        assert_eq!(f.len(), p.len(), "row {r}");
        assert_eq!(f[f.len() - 1], 1.0, "row {r}");
        assert_eq!(f.iter().sum::<f64>(), 1.0, "row {r}");
    }
}
