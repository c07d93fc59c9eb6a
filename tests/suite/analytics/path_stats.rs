//! Path analytics against hand-computed values (table T2 and a small timestamped table), and
//! invariants on random tables.

use crate::common;

use common::{HOUR_US, arb_rows, t2, table, table_from};
use proptest::prelude::*;
use touchpoint::analytics::{LAG_BINS, LENGTH_BINS, PathStats, PathStatsOptions};
use touchpoint::{Outcome, PathTable};

fn stats(t: &PathTable) -> PathStats {
    PathStats::new(t, &PathStatsOptions::default())
}

/// (path, conversions, value, journeys) of a ranking.
fn ranking(rows: &[touchpoint::analytics::PathRow]) -> Vec<(&str, f64, f64, f64)> {
    rows.iter()
        .map(|r| (r.path.as_str(), r.conversions, r.value, r.journeys))
        .collect()
}

#[test]
fn t2_top_paths_by_conversions_value_and_rate() {
    let s = stats(&t2());
    assert_eq!(
        (s.total_conversions, s.total_value, s.total_journeys),
        (7.0, 70.0, 15.0)
    );
    assert_eq!(s.converting_paths, 6);
    // By conversions; the five 1-conversion paths by value.
    assert_eq!(
        ranking(&s.top_paths),
        [
            ("A > B > C", 2.0, 20.0, 3.0),
            ("A > A > B", 1.0, 15.0, 3.0),
            ("B > C > B > A", 1.0, 12.0, 1.0),
            ("C > A", 1.0, 10.0, 2.0),
            ("C", 1.0, 8.0, 2.0),
            ("B", 1.0, 5.0, 4.0),
        ]
    );
    let top = &s.top_paths[0];
    assert_eq!(top.conversion_rate, Some(2.0 / 3.0));
    assert_eq!(top.share, 2.0 / 7.0);
    assert_eq!(top.length, 3);
    assert_eq!(s.top_paths[5].conversion_rate, Some(0.25));
    // By value: the same order here (value and conversions rank alike on T2).
    let by_value: Vec<&str> = s
        .top_paths_by_value
        .iter()
        .map(|p| p.path.as_str())
        .collect();
    assert_eq!(
        by_value,
        ["A > B > C", "A > A > B", "B > C > B > A", "C > A", "C", "B"]
    );
    // By rate: 1, 2/3, 1/2 (C > A before C: same conversions, more value), 1/2, 1/3, 1/4.
    let by_rate: Vec<(&str, Option<f64>)> = s
        .top_paths_by_rate
        .iter()
        .map(|p| (p.path.as_str(), p.conversion_rate))
        .collect();
    assert_eq!(
        by_rate,
        [
            ("B > C > B > A", Some(1.0)),
            ("A > B > C", Some(2.0 / 3.0)),
            ("C > A", Some(0.5)),
            ("C", Some(0.5)),
            ("A > A > B", Some(1.0 / 3.0)),
            ("B", Some(0.25)),
        ]
    );
}

#[test]
fn top_n_cuts_every_ranking() {
    let s = PathStats::new(&t2(), &PathStatsOptions::with_top(2));
    assert_eq!(s.top_paths.len(), 2);
    assert_eq!(s.top_paths_by_value.len(), 2);
    assert_eq!(s.top_paths_by_rate[1].path, "A > B > C");
    assert_eq!(s.converting_paths, 6);
}

#[test]
fn t2_path_length_bins() {
    let s = stats(&t2());
    assert_eq!(s.path_length.len(), LENGTH_BINS);
    let bins: Vec<(&str, f64, f64)> = s
        .path_length
        .iter()
        .map(|b| (b.label.as_str(), b.conversions, b.value))
        .collect();
    // 1 touch: B, C; 2: C > A; 3: A > B > C (2), A > A > B; 4: B > C > B > A.
    assert_eq!(
        &bins[..5],
        [
            ("1", 2.0, 13.0),
            ("2", 1.0, 10.0),
            ("3", 3.0, 35.0),
            ("4", 1.0, 12.0),
            ("5", 0.0, 0.0)
        ]
    );
    assert_eq!(s.path_length[10].label, "11+");
    assert_eq!(s.path_length[10].max_touches, None);
    assert_eq!(s.path_length[2].share, 3.0 / 7.0);
    // No timestamps: every conversion has an unknown time lag.
    assert!(s.time_lag.iter().all(|b| b.conversions == 0.0));
    assert_eq!(s.time_lag_unknown, 7.0);
}

#[test]
fn t2_assists_last_touches_and_roles() {
    let s = stats(&t2());
    let got: Vec<_> = s
        .channels
        .iter()
        .map(|c| {
            (
                c.channel.as_str(),
                c.assisted_conversions,
                c.assisted_value,
                c.last_touch_conversions,
                c.last_touch_value,
                c.assist_ratio,
            )
        })
        .collect();
    // Assists (a touch before the last one, once per conversion):
    //   A: A > B > C (2, 20), A > A > B (1, 15)            = 3, 35
    //   B: A > B > C (2, 20), B > C > B > A (1, 12)        = 3, 32
    //   C: C > A (1, 10), B > C > B > A (1, 12)            = 2, 22
    // Last touches: A: C > A, B > C > B > A (2, 22); B: A > A > B, B (2, 20);
    //   C: A > B > C (2), C (1) (3, 28).
    assert_eq!(
        got,
        [
            ("A", 3.0, 35.0, 2.0, 22.0, Some(1.5)),
            ("B", 3.0, 32.0, 2.0, 20.0, Some(1.5)),
            ("C", 2.0, 22.0, 3.0, 28.0, Some(2.0 / 3.0)),
        ]
    );
    let roles: Vec<_> = s
        .channels
        .iter()
        .map(|c| (c.channel.as_str(), c.first, c.middle, c.last))
        .collect();
    // First: A (2 + 1), B (1 + 1), C (1 + 1). Middle touches: B of A > B > C (2), the second
    // A of A > A > B (1), C and B of B > C > B > A (1 each).
    assert_eq!(
        roles,
        [
            ("A", 3.0, 1.0, 2.0),
            ("B", 2.0, 3.0, 2.0),
            ("C", 2.0, 1.0, 3.0)
        ]
    );
}

#[test]
fn a_channel_never_last_has_no_assist_ratio_and_null_rows_count_nowhere() {
    let t = table(&[
        ("Display > Search", 2.0, 30.0, 0.0),
        ("Display", 0.0, 0.0, 5.0),
        ("Email > Display", 0.0, 0.0, 4.0),
    ]);
    let s = stats(&t);
    let d = s.channel("Display").unwrap();
    assert_eq!(
        (
            d.assisted_conversions,
            d.last_touch_conversions,
            d.assist_ratio
        ),
        (2.0, 0.0, None)
    );
    let e = s.channel("Email").unwrap();
    assert_eq!((e.assisted_conversions, e.first), (0.0, 0.0));
    // Only the converting path is a conversion path; its rate counts its own journeys only.
    assert_eq!(s.converting_paths, 1);
    assert_eq!(s.top_paths[0].conversion_rate, Some(1.0));
    assert_eq!(s.total_journeys, 11.0);
}

#[test]
fn a_table_without_conversions_gives_empty_lists_not_errors() {
    let t = table(&[("A > B", 0.0, 0.0, 3.0)]);
    let s = stats(&t);
    assert!(s.top_paths.is_empty());
    assert!(
        s.path_length
            .iter()
            .all(|b| b.conversions == 0.0 && b.share == 0.0)
    );
    assert_eq!(s.channel("A").unwrap().assist_ratio, None);
    let json = serde_json::to_value(&s).unwrap();
    assert!(json["channels"][0]["assist_ratio"].is_null());
}

#[test]
fn time_lag_bins_from_timestamped_journeys() {
    let t0 = 1_700_000_000_000_000i64;
    let mut t = PathTable::new();
    let mut add = |path: &[&str], times: &[i64], at: Option<i64>, o: Outcome| {
        t.add_timed(path, times, at, o).unwrap();
    };
    // 30 h: bin 1–2 d.
    add(
        &["A", "B"],
        &[t0, t0 + 2 * HOUR_US],
        Some(t0 + 30 * HOUR_US),
        Outcome::converted(1.0, 10.0),
    );
    // The same path, not converting: the path's rate is 1/2.
    add(&["A", "B"], &[t0, t0 + HOUR_US], None, Outcome::null(1.0));
    // 30 min: bin < 1 h.
    add(
        &["C"],
        &[t0],
        Some(t0 + HOUR_US / 2),
        Outcome::converted(1.0, 5.0),
    );
    // Exactly 1 h: bin 1 h – 1 d (bins are half-open).
    add(
        &["D"],
        &[t0],
        Some(t0 + HOUR_US),
        Outcome::converted(1.0, 1.0),
    );
    // 10 d 1 h: bin 7–14 d.
    add(
        &["B", "C"],
        &[t0, t0 + 240 * HOUR_US],
        Some(t0 + 241 * HOUR_US),
        Outcome::converted(1.0, 20.0),
    );
    // Timed, converting, conversion time unknown; and an untimed conversion.
    add(&["A"], &[t0], None, Outcome::converted(1.0, 3.0));
    t.add(["A", "C"], Outcome::converted(1.0, 4.0)).unwrap();
    let s = stats(&t);
    assert!(s.has_time_lag());
    let lag: Vec<(&str, f64, f64)> = s
        .time_lag
        .iter()
        .map(|b| (b.label.as_str(), b.conversions, b.value))
        .collect();
    assert_eq!(lag.len(), LAG_BINS.len());
    assert_eq!(lag[0], ("< 1 h", 1.0, 5.0));
    assert_eq!(lag[1], ("1 h – 1 d", 1.0, 1.0));
    assert_eq!(lag[2], ("1–2 d", 1.0, 10.0));
    assert_eq!(lag[5], ("7–14 d", 1.0, 20.0));
    assert_eq!(s.time_lag.iter().map(|b| b.conversions).sum::<f64>(), 4.0);
    assert_eq!(s.time_lag[0].share, 0.25);
    assert_eq!(s.time_lag_unknown, 2.0);
    // Timed rows with one path are one conversion path.
    let ab = s.top_paths.iter().find(|p| p.path == "A > B").unwrap();
    assert_eq!(
        (ab.conversions, ab.journeys, ab.conversion_rate),
        (1.0, 2.0, Some(0.5))
    );
}

#[test]
fn json_has_the_documented_keys() {
    let json = serde_json::to_value(stats(&t2())).unwrap();
    for key in ["top_paths", "path_length", "time_lag", "channels"] {
        assert!(json[key].is_array(), "{key}");
    }
    let p = &json["top_paths"][0];
    assert_eq!(p["path"], "A > B > C");
    for key in ["conversions", "value", "conversion_rate"] {
        assert!(p[key].is_number(), "{key}");
    }
    let c = &json["channels"][0];
    assert_eq!(c["channel"], "A");
    assert_eq!(c["assist_ratio"], 1.5);
    assert!(c["assisted_conversions"].is_number() && c["last_touch_conversions"].is_number());
    assert_eq!(json["time_lag"][9]["to_seconds"], serde_json::Value::Null);
}

proptest! {
    /// Every conversion lands in exactly one length bin and one first and last role; assists
    /// never exceed the conversions of paths through the channel; row order changes nothing.
    #[test]
    fn bins_and_roles_account_for_every_conversion(rows in arb_rows()) {
        let t = table_from(&rows);
        let s = stats(&t);
        let c = t.totals().conversions;
        let sum = |xs: &mut dyn Iterator<Item = f64>| xs.sum::<f64>();
        prop_assert_eq!(sum(&mut s.path_length.iter().map(|b| b.conversions)), c);
        prop_assert_eq!(s.time_lag_unknown, c);
        prop_assert_eq!(sum(&mut s.channels.iter().map(|r| r.first)), c);
        prop_assert_eq!(sum(&mut s.channels.iter().map(|r| r.last_touch_conversions)), c);
        for r in &s.channels {
            let through: f64 = t
                .rows()
                .filter(|row| row.path.iter().any(|&id| t.channels().name(id) == r.channel))
                .map(|row| row.outcome.conversions)
                .sum();
            prop_assert!(r.assisted_conversions <= through);
            prop_assert!(r.last_touch_conversions <= through);
        }
        let mut reversed = rows.clone();
        reversed.reverse();
        prop_assert_eq!(&stats(&table_from(&reversed)), &s);
        let listed = PathStats::new(&t, &PathStatsOptions::with_top(usize::MAX));
        prop_assert_eq!(listed.top_paths.len(), s.converting_paths);
    }
}

/// `attribute --top N --path-stats FILE`: the JSON file, and a section after the table and
/// Markdown outputs (only when `--top` is given: the default outputs are unchanged).
#[test]
fn the_command_writes_path_stats_and_a_section_of_the_readable_outputs() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("analytics-cli");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("paths.json");
    let run = |args: &[&str]| {
        let o = common::example("attribute")
            .args(["examples/data/t2.csv", "--models", "last_touch", "-q"])
            .args(args)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        String::from_utf8(o.stdout).unwrap()
    };
    let md = run(&[
        "--format",
        "md",
        "--top",
        "3",
        "--path-stats",
        file.to_str().unwrap(),
    ]);
    assert!(
        md.contains("### Top 3 conversion paths by conversions (of 6)"),
        "{md}"
    );
    assert!(
        md.contains("| A > B > C | 3 | 2 | 20 | 3 | 66.7% | 28.6% |"),
        "{md}"
    );
    assert!(md.contains("| A | 3 | 2 | 1.50 | 3 | 1 | 2 |"), "{md}");
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    assert_eq!(json["top_paths"].as_array().unwrap().len(), 3);
    assert_eq!(json["top_paths"][0]["path"], "A > B > C");
    assert_eq!(json["channels"][2]["assisted_conversions"], 2.0);
    let plain = run(&["--format", "md"]);
    assert!(
        !plain.contains("Path analytics") && md.starts_with(&plain),
        "{plain}"
    );
    let table = run(&["--top", "2"]);
    assert!(
        table.contains("Channel roles on converting paths"),
        "{table}"
    );
    // Other formats are unchanged by --top.
    assert_eq!(
        run(&["--format", "csv", "--top", "2"]),
        run(&["--format", "csv"])
    );
}
