//! Tests of the report writers, on table T2 of the model reference (the parent declares this
//! module under #[cfg(test)]).

use super::compare::COMPARISON_COLUMNS;
use super::layout::width;
use super::table::TABLE_WIDTH;
use super::*;
use crate::attribution::Attribution;
use crate::model::{AttributionModel, FirstTouch, Linear, Participation};
use crate::outcome::Outcome;
use crate::table::PathTable;

use crate::fixtures::t2;

fn results() -> Vec<Attribution> {
    let t = t2();
    vec![
        FirstTouch.attribute(&t).unwrap(),
        Linear::default().attribute(&t).unwrap(),
    ]
}

fn render(format: Format, results: &[Attribution], summary: Option<&Summary>) -> String {
    let mut out = Vec::new();
    write_report(&mut out, format, results, summary).unwrap();
    String::from_utf8(out).unwrap()
}

#[test]
fn formats_parse_and_print() {
    for name in Format::NAMES {
        assert_eq!(name.parse::<Format>().unwrap().to_string(), *name);
    }
    let e = "xml".parse::<Format>().unwrap_err().to_string();
    assert!(
        e.contains("unknown format `xml`") && e.contains("table, csv, json, md, jsonl, wide"),
        "{e}"
    );
}

#[test]
fn csv_is_long_and_round_trips_numbers() {
    let s = render(Format::Csv, &results(), None);
    let lines: Vec<&str> = s.lines().collect();
    assert_eq!(
        lines[0],
        "model,channel,conversions,value,share,value_share"
    );
    assert_eq!(lines.len(), 1 + 2 * 3);
    // First touch on T2 (the model reference, §Rule-based results on T2): A 3 conversions,
    // 35 value; C = 7, V = 70.
    assert_eq!(lines[1], "first_touch,A,3,35,0.42857142857142855,0.5");
    // Linear per touch, A: 25/12 conversions, 74/3 value.
    let a: Vec<&str> = lines[4].split(',').collect();
    assert_eq!(a[..2], ["linear", "A"]);
    assert!((a[2].parse::<f64>().unwrap() - 25.0 / 12.0).abs() < 1e-12);
    assert!((a[3].parse::<f64>().unwrap() - 74.0 / 3.0).abs() < 1e-12);
}

#[test]
fn csv_quotes_channel_names() {
    let mut t = PathTable::new();
    t.add(
        ["Email, weekly", "Search \"brand\""],
        Outcome::converted(1.0, 2.0),
    )
    .unwrap();
    let s = render(Format::Csv, &[FirstTouch.attribute(&t).unwrap()], None);
    assert!(s.contains("first_touch,\"Email, weekly\",1,2,1,1\n"), "{s}");
    assert!(
        s.contains("first_touch,\"Search \"\"brand\"\"\",0,0,0,0\n"),
        "{s}"
    );
}

#[test]
fn json_has_the_stable_shape() {
    let t = t2();
    let rs = results();
    let summary = Summary::from_table("t2.csv", &t);
    let v: serde_json::Value =
        serde_json::from_str(&render(Format::Json, &rs, Some(&summary))).unwrap();
    assert_eq!(v["total_conversions"], 7.0);
    assert_eq!(v["total_value"], 70.0);
    assert_eq!(v["total_null"], 8.0);
    assert_eq!(v["channels"], serde_json::json!(["A", "B", "C"]));
    // Compared through the same (not exactly rounding) float parser on both sides.
    let first: serde_json::Value =
        serde_json::from_str(&serde_json::to_string(&rs[0]).unwrap()).unwrap();
    assert_eq!(v["models"][0], first);
    assert_eq!(v["models"][1]["model"], "linear");
    let ch = &v["models"][1]["channels"][0];
    for key in ["channel", "conversions", "value", "share", "value_share"] {
        assert!(ch.get(key).is_some(), "missing {key}");
    }
    assert_eq!(v["summary"]["paths"], 6);
    assert_eq!(v["summary"]["input"], "t2.csv");
    // Without a summary the key is absent.
    let v: serde_json::Value = serde_json::from_str(&render(Format::Json, &rs, None)).unwrap();
    assert!(v.get("summary").is_none());
}

#[test]
fn json_keeps_model_extras() {
    let t = t2();
    let a = FirstTouch
        .attribute(&t)
        .unwrap()
        .with_extra("removal_effects", [0.5]);
    let v: serde_json::Value = serde_json::from_str(&render(Format::Json, &[a], None)).unwrap();
    assert_eq!(v["models"][0]["removal_effects"], serde_json::json!([0.5]));
}

#[test]
fn empty_results_give_zero_totals() {
    let v: serde_json::Value = serde_json::from_str(&render(Format::Json, &[], None)).unwrap();
    assert_eq!(v["total_conversions"], 0.0);
    assert_eq!(v["models"], serde_json::json!([]));
    assert_eq!(render(Format::Csv, &[], None).lines().count(), 1);
    assert!(
        render(Format::Table, &[], None)
            .starts_with("0 conversions, value 0, 0 null journeys; 0 channels, 0 models")
    );
}

#[test]
fn table_rows_are_channels_with_a_total() {
    let s = render(Format::Table, &results(), None);
    let lines: Vec<&str> = s.lines().collect();
    assert_eq!(
        lines[0],
        "7 conversions, value 70, 8 null journeys; 3 channels, 2 models"
    );
    assert!(lines[2].contains("first_touch") && lines[2].contains("linear"));
    assert!(lines[3].starts_with("channel"));
    // A: first touch 3 (42.9%, value 35); linear 25/12 = 2.08 (29.8%), 74/3 = 24.67.
    assert_eq!(
        lines[4].split_whitespace().collect::<Vec<_>>(),
        ["A", "3.00", "42.9%", "35.00", "2.08", "29.8%", "24.67"]
    );
    assert!(lines[7].starts_with("total"));
    assert!(lines[7].contains("7.00") && lines[7].contains("100.0%"));
    // Columns line up: every data line has the same length as the sub-header.
    let w = lines[3].len();
    assert!(lines[4..8].iter().all(|l| l.len() == w), "{s}");
}

#[test]
fn wide_tables_continue_in_panels() {
    let t = t2();
    let rs: Vec<Attribution> = (0..6)
        .map(|_| Participation::normalized().attribute(&t).unwrap())
        .collect();
    let s = render(Format::Table, &rs, None);
    let panels = s.matches("\nchannel").count();
    assert!(panels >= 2, "{s}");
    assert!(s.lines().all(|l| l.chars().count() <= TABLE_WIDTH), "{s}");
    assert_eq!(s.matches("participation_normalized").count(), 6);
}

#[test]
fn long_and_non_latin_names_align() {
    let mut t = PathTable::new();
    let long = "x".repeat(60);
    t.add(["Поиск", long.as_str()], Outcome::converted(1.0, 1.0))
        .unwrap();
    let s = render(Format::Table, &[FirstTouch.attribute(&t).unwrap()], None);
    let lines: Vec<&str> = s.lines().collect();
    assert!(s.contains(&format!("{}…", "x".repeat(39))), "{s}");
    let w = width(lines[3]);
    assert!(lines[4..].iter().all(|l| width(l) == w), "{s}");
}

#[test]
fn markdown_is_a_pipe_table_with_a_total() {
    let s = render(Format::Md, &results(), None);
    let lines: Vec<&str> = s.lines().collect();
    assert_eq!(
        lines[0],
        "| channel | first_touch conversions | first_touch share | first_touch value \
         | linear conversions | linear share | linear value |"
    );
    assert_eq!(lines[1], "|---|---:|---:|---:|---:|---:|---:|");
    // A: first touch 3 (3/7 = 42.9%, value 35); linear 25/12 = 2.08, 74/3 = 24.67.
    assert_eq!(
        lines[2],
        "| A | 3.00 | 42.9% | 35.00 | 2.08 | 29.8% | 24.67 |"
    );
    assert!(lines[5].starts_with("| **total** | 7.00 | 100.0% | 70.00 |"));
    assert_eq!(lines.len(), 6);
    let mut t = PathTable::new();
    t.add(["a|b"], Outcome::converted(1.0, 1.0)).unwrap();
    let s = render(Format::Md, &[FirstTouch.attribute(&t).unwrap()], None);
    assert!(s.contains("| a\\|b | 1.00 |"), "{s}");
}

#[test]
fn jsonl_has_one_object_per_model_and_channel() {
    let s = render(Format::Jsonl, &results(), None);
    let lines: Vec<serde_json::Value> = s
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2 * 3);
    assert_eq!(
        lines[0],
        serde_json::json!({"model": "first_touch", "channel": "A", "conversions": 3.0,
            "value": 35.0, "share": 3.0 / 7.0, "value_share": 0.5})
    );
    assert_eq!(lines[3]["model"], "linear");
    assert!((lines[3]["conversions"].as_f64().unwrap() - 25.0 / 12.0).abs() < 1e-12);
    assert!(lines[3].get("ci").is_none());
}

#[test]
fn wide_pivots_channels_by_model() {
    let s = render(Format::Wide, &results(), None);
    let lines: Vec<&str> = s.lines().collect();
    assert_eq!(
        lines[0],
        "channel,first_touch_conversions,first_touch_value,linear_conversions,linear_value"
    );
    // B: first touch 2 conversions, 17 value (the model reference, §Rule-based results on T2);
    // linear 5/2 and 68/3.
    let b: Vec<f64> = lines[2]
        .split(',')
        .skip(1)
        .map(|x| x.parse().unwrap())
        .collect();
    assert!(lines[2].starts_with("B,2,17,2.5,"));
    assert!((b[3] - 68.0 / 3.0).abs() < 1e-12);
    assert_eq!(lines.len(), 4);
}

#[test]
fn channelattribution_names() {
    let t = t2();
    let heuristics = [
        FirstTouch.attribute(&t).unwrap(),
        crate::model::LastTouch.attribute(&t).unwrap(),
        Linear::default().attribute(&t).unwrap(),
    ];
    let mut out = Vec::new();
    write_channelattribution(&mut out, &heuristics, true).unwrap();
    let s = String::from_utf8(out).unwrap();
    assert_eq!(
        s.lines().next().unwrap(),
        "channel_name,first_touch_conversions,first_touch_value,last_touch_conversions,\
         last_touch_value,linear_touch_conversions,linear_touch_value"
    );
    // C: first touch 2 (18), last touch 3 (A>B>C 2 + C 1; value 20 + 8 = 28).
    assert!(s.lines().nth(3).unwrap().starts_with("C,2,18,3,28,"), "{s}");
    let mut out = Vec::new();
    write_channelattribution(&mut out, &heuristics, false).unwrap();
    let s = String::from_utf8(out).unwrap();
    assert_eq!(
        s.lines().collect::<Vec<_>>()[..2],
        [
            "channel_name,first_touch,last_touch,linear_touch",
            "A,3,2,2.083333333333333"
        ]
    );
    let e = write_channelattribution(
        Vec::new(),
        &[Participation::normalized().attribute(&t).unwrap()],
        true,
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("no model `participation_normalized`"), "{e}");
    assert_eq!(
        "channelattribution".parse::<Compat>().unwrap(),
        Compat::ChannelAttribution
    );
    assert!("mam".parse::<Compat>().is_err());
}

#[test]
fn comparison_in_every_format() {
    let rs = results();
    // Reference first touch, comparison linear. A: 3 → 25/12, delta −11/12, −30.56 %.
    let cmp = Comparison::new(&rs[0], &rs[1]);
    assert_eq!(
        (cmp.reference.as_str(), cmp.comparison.as_str()),
        ("first_touch", "linear")
    );
    let a = &cmp.channels[0];
    assert!((a.delta_conversions + 11.0 / 12.0).abs() < 1e-12);
    assert!((a.pct_change_conversions.unwrap() + 100.0 * 11.0 / 36.0).abs() < 1e-9);
    // Value: 35 → 74/3, delta −31/3.
    assert!((a.delta_value + 31.0 / 3.0).abs() < 1e-12);
    let write = |f: Format| {
        let mut out = Vec::new();
        write_comparison(&mut out, f, &cmp).unwrap();
        String::from_utf8(out).unwrap()
    };
    let csv = write(Format::Csv);
    assert_eq!(csv.lines().next().unwrap(), COMPARISON_COLUMNS.join(","));
    assert!(
        csv.lines()
            .nth(2)
            .unwrap()
            .starts_with("B,2,2.5,0.5,25,17,"),
        "{csv}"
    );
    assert_eq!(write(Format::Wide), csv);
    let json: serde_json::Value = serde_json::from_str(&write(Format::Json)).unwrap();
    assert_eq!(json["reference"], "first_touch");
    assert_eq!(json["channels"][1]["pct_change_conversions"], 25.0);
    let jsonl = write(Format::Jsonl);
    let first: serde_json::Value = serde_json::from_str(jsonl.lines().next().unwrap()).unwrap();
    assert_eq!(
        (first["comparison"].as_str(), first["channel"].as_str()),
        (Some("linear"), Some("A"))
    );
    let md = write(Format::Md);
    assert!(md.contains("| B | 2.00 | 2.50 | +0.50 | +25.0% |"), "{md}");
    let table = write(Format::Table);
    assert!(
        table.starts_with("linear compared with first_touch (reference)"),
        "{table}"
    );
    // A reference credit of 0 has no percent change.
    let mut t = PathTable::new();
    t.add(["x", "y"], Outcome::converted(1.0, 1.0)).unwrap();
    let cmp = Comparison::new(
        &FirstTouch.attribute(&t).unwrap(),
        &Linear::default().attribute(&t).unwrap(),
    );
    assert_eq!(cmp.channels[1].pct_change_conversions, None);
    let mut out = Vec::new();
    write_comparison(&mut out, Format::Csv, &cmp).unwrap();
    assert!(
        String::from_utf8(out)
            .unwrap()
            .contains("\ny,0,0.5,0.5,,0,0.5,0.5,\n")
    );
}
