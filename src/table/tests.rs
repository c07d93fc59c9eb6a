//! Unit tests of the path table: dedup, merge, refusals, timed rows (the parent declares this
//! module under #[cfg(test)]).

use super::*;
use crate::journey::Touchpoint;

use crate::fixtures::t2;

#[test]
fn equal_paths_are_summed_and_totals_are_kept() {
    let mut t = t2();
    t.add(["B"], Outcome::null(2.0)).unwrap();
    assert_eq!(t.len(), 6);
    assert_eq!(t.totals(), Outcome::new(7.0, 70.0, 10.0));
    assert_eq!(t.touch_count(), 3 + 3 + 1 + 2 + 4 + 1);
}

#[test]
fn merge_at_every_split_point_equals_the_whole() {
    let whole = t2();
    let rows = whole.to_named_rows();
    for split in 0..=rows.len() {
        let (mut a, mut b) = (PathTable::new(), PathTable::new());
        for (i, (p, o)) in rows.iter().enumerate() {
            let t = if i < split { &mut a } else { &mut b };
            t.add(p, *o).unwrap();
        }
        let mut ab = a.clone();
        ab.merge(&b).unwrap();
        let mut ba = b.clone();
        ba.merge(&a).unwrap();
        assert_eq!(ab, whole);
        assert_eq!(ba, whole);
    }
}

#[test]
fn merge_with_empty_is_identity() {
    let whole = t2();
    let mut a = whole.clone();
    a.merge(&PathTable::new()).unwrap();
    let mut b = PathTable::new();
    b.merge(&whole).unwrap();
    assert_eq!(a, whole);
    assert_eq!(b, whole);
    assert_eq!(
        b.canonical().to_named_rows(),
        whole.canonical().to_named_rows()
    );
}

#[test]
fn bad_paths_are_refused_without_changing_rows() {
    let mut t = t2();
    let before = t.clone();
    assert!(matches!(
        t.add(Vec::<&str>::new(), Outcome::converted(1.0, 0.0)),
        Err(Error::InvalidPath(ParseProblem::EmptyPath))
    ));
    assert!(matches!(
        t.add(["A", ""], Outcome::converted(1.0, 0.0)),
        Err(Error::InvalidPath(ParseProblem::EmptyToken { position: 2 }))
    ));
    assert!(t.add(["A"], Outcome::new(-1.0, 0.0, 0.0)).is_err());
    t.set_max_path_len(3);
    assert!(matches!(
        t.add(["A"; 5], Outcome::null(1.0)),
        Err(Error::InvalidPath(ParseProblem::PathTooLong { .. }))
    ));
    assert_eq!(t, before);
}

#[test]
fn timed_rows_are_not_deduplicated_and_untimed_rows_cost_nothing() {
    let mut t = t2();
    assert!(!t.has_times());
    let day = 86_400_000_000i64;
    let j = |a: i64| Journey {
        touches: vec![
            Touchpoint::at("A", DateTime::from_timestamp_micros(a).unwrap()),
            Touchpoint::at("B", DateTime::from_timestamp_micros(a + day).unwrap()),
        ],
        outcome: Outcome::converted(1.0, 3.0),
        converted_at: DateTime::from_timestamp_micros(a + 2 * day),
        ..Default::default()
    };
    t.add_journey(&j(0)).unwrap();
    t.add_journey(&j(0)).unwrap();
    assert_eq!(t.len(), 8);
    assert!(t.has_times());
    assert!(t.row(0).times.is_none());
    assert_eq!(t.row(7).times, Some(&[0, day][..]));
    assert_eq!(t.row(7).converted_at, Some(2 * day));
    // an untimed row added later still dedups
    t.add(["C"], Outcome::null(1.0)).unwrap();
    assert_eq!(t.len(), 8);
}

#[test]
fn timestamps_out_of_order_or_mixed_are_errors() {
    let mut t = PathTable::new();
    let at = |s| DateTime::from_timestamp(s, 0).unwrap();
    let backwards = Journey {
        touches: vec![Touchpoint::at("A", at(10)), Touchpoint::at("B", at(5))],
        outcome: Outcome::converted(1.0, 0.0),
        converted_at: None,
        ..Default::default()
    };
    assert!(t.add_journey(&backwards).is_err());
    let mixed = Journey {
        touches: vec![Touchpoint::at("A", at(1)), Touchpoint::new("B")],
        outcome: Outcome::converted(1.0, 0.0),
        converted_at: None,
        ..Default::default()
    };
    assert!(t.add_journey(&mixed).is_err());
    let after = Journey {
        touches: vec![Touchpoint::at("A", at(1)), Touchpoint::at("B", at(9))],
        outcome: Outcome::converted(1.0, 0.0),
        converted_at: Some(at(5)),
        ..Default::default()
    };
    assert!(t.add_journey(&after).is_err());
    assert!(t.is_empty());
}
