//! Spend files: reading, typed line-numbered errors, periods against the data, and CPA / ROAS
//! (with bootstrap intervals) against hand-computed values.

use crate::common;

use common::{HOUR_US, arb_table, t2};
use proptest::prelude::*;
use touchpoint::bootstrap::Bootstrap;
use touchpoint::spend::{Spend, SpendOptions, SpendProblem, SpendWarning, data_period};
use touchpoint::{
    Attribution, AttributionModel, Error, LastTouch, Linear, Outcome, ParseProblem, PathTable,
};

fn read(csv: &str) -> Result<Spend, Error> {
    Spend::from_csv(csv.as_bytes())
}

/// The line and problem of a spend error.
#[track_caller]
fn problem(csv: &str) -> (u64, SpendProblem) {
    match read(csv) {
        Err(Error::Spend { at, problem }) => (at.line, problem),
        other => panic!("expected a spend error, got {other:?}"),
    }
}

#[test]
fn reads_channel_and_cost_with_optional_periods() {
    let s = read("\u{feff}Channel , cost\n Email ,100\nSearch,2.5e3\n\nDisplay,0\n").unwrap();
    let got: Vec<(&str, f64, u64)> = s
        .entries
        .iter()
        .map(|e| (e.channel.as_str(), e.cost, e.line))
        .collect();
    assert_eq!(
        got,
        [
            ("Display", 0.0, 5),
            ("Email", 100.0, 2),
            ("Search", 2500.0, 3)
        ]
    );
    assert_eq!(s.cost("Email"), Some(100.0));
    assert_eq!(s.cost("Video"), None);
    assert_eq!(s.total_cost(), 2600.0);
    let s = read("channel,cost,start,end\nEmail,10,2024-03-01,2024-03-31\nSearch,5,,\n").unwrap();
    let email = &s.entries[0];
    assert_eq!(
        email.period.map(|(a, b)| (a.to_string(), b.to_string())),
        Some(("2024-03-01".into(), "2024-03-31".into()))
    );
    assert_eq!(s.entries[1].period, None);
}

#[test]
fn bad_files_are_refused_with_the_line_and_a_typed_problem() {
    assert_eq!(
        problem("channel,campaign,cost\nEmail,spring,10\n"),
        (1, SpendProblem::Campaigns)
    );
    assert_eq!(
        problem("channel,cost,budget\n"),
        (
            1,
            SpendProblem::UnknownColumn {
                name: "budget".into()
            }
        )
    );
    assert!(matches!(
        problem("channel,spend\n"),
        (1, SpendProblem::UnknownColumn { .. })
    ));
    assert!(matches!(
        problem("channel\n"),
        (1, SpendProblem::Field(ParseProblem::MissingColumn { name, .. })) if name == "cost"
    ));
    assert!(matches!(
        problem("cost,cost\n"),
        (1, SpendProblem::Field(ParseProblem::DuplicateColumn { .. }))
    ));
    assert_eq!(
        problem("channel,cost,start\n"),
        (1, SpendProblem::HalfPeriod)
    );
    assert!(matches!(
        problem(""),
        (1, SpendProblem::Field(ParseProblem::NoHeader))
    ));
    assert_eq!(
        problem("channel,cost\nEmail,1\nSearch,2,3\n"),
        (
            3,
            SpendProblem::Field(ParseProblem::FieldCount {
                expected: 2,
                found: 3
            })
        )
    );
    assert!(matches!(
        problem("channel,cost\nEmail,ten\n"),
        (2, SpendProblem::Field(ParseProblem::NotANumber { text, .. })) if text == "ten"
    ));
    for bad in ["-1", "NaN", "inf"] {
        assert!(
            matches!(
                problem(&format!("channel,cost\nEmail,{bad}\n")),
                (2, SpendProblem::Field(ParseProblem::InvalidCount { .. }))
            ),
            "{bad}"
        );
    }
    assert!(matches!(
        problem("channel,cost\nEmail,\n"),
        (2, SpendProblem::Field(ParseProblem::EmptyField { .. }))
    ));
    assert!(matches!(
        problem("channel,cost\n ,4\n"),
        (2, SpendProblem::Field(ParseProblem::EmptyField { .. }))
    ));
    assert_eq!(
        problem("channel,cost\nEmail,1\nSearch,2\nEmail,3\n"),
        (
            4,
            SpendProblem::DuplicateChannel {
                channel: "Email".into(),
                first_line: 2
            }
        )
    );
    assert_eq!(
        problem("channel,cost,start,end\nEmail,1,2024-03-01,\n"),
        (2, SpendProblem::HalfPeriod)
    );
    assert_eq!(
        problem("channel,cost,start,end\nEmail,1,2024-03-01,31/03/2024\n"),
        (
            2,
            SpendProblem::BadDate {
                field: "end",
                text: "31/03/2024".into()
            }
        )
    );
    assert!(matches!(
        problem("channel,cost,start,end\nEmail,1,2024-04-01,2024-03-01\n"),
        (2, SpendProblem::EmptyPeriod { .. })
    ));
    // The message names the line.
    let e = read("channel,cost\nEmail,-5\n").unwrap_err();
    assert_eq!(e.location().map(|l| l.line), Some(2));
    assert!(e.to_string().starts_with("line 2: cost = -5"), "{e}");
}

/// Last-touch credit of T2: A 2 conversions (value 22), B 2 (20), C 3 (28).
fn t2_last_touch(spend: &Spend) -> Attribution {
    let mut a = LastTouch.attribute(&t2()).unwrap();
    spend.annotate(&mut a);
    a
}

#[test]
fn cpa_and_roas_by_hand_on_t2() {
    let spend = read("channel,cost\nA,10\nB,0\nD,5\n").unwrap();
    let a = t2_last_touch(&spend);
    let figures: Vec<_> = a
        .channels
        .iter()
        .map(|c| {
            let s = c.spend.as_ref().unwrap();
            (c.channel.as_str(), c.conversions, s.cost, s.cpa, s.roas)
        })
        .collect();
    assert_eq!(
        figures,
        [
            // 10 / 2 conversions; 22 / 10.
            ("A", 2.0, Some(10.0), Some(5.0), Some(2.2)),
            // Free: CPA 0, ROAS undefined.
            ("B", 2.0, Some(0.0), Some(0.0), None),
            // Touches, no spend row: every figure empty.
            ("C", 3.0, None, None, None),
            // Spend, no touches: kept, credited 0, CPA undefined, ROAS 0.
            ("D", 0.0, Some(5.0), None, Some(0.0)),
        ]
    );
    let json = serde_json::to_value(&a).unwrap();
    let b = &json["channels"][1];
    assert_eq!(b["cost"], 0.0);
    assert!(b["roas"].is_null());
    assert!(b.get("cpa_ci").is_none());
    // Without spend the keys are absent, and both forms read back.
    let plain = LastTouch.attribute(&t2()).unwrap();
    let plain_json = serde_json::to_value(&plain).unwrap();
    assert!(plain_json["channels"][0].get("cost").is_none());
    for (value, original) in [(json, &a), (plain_json, &plain)] {
        let back: Attribution = serde_json::from_value(value).unwrap();
        assert_eq!(&back, original);
    }
}

#[test]
fn channels_on_one_side_only_are_warned_about_by_name() {
    let spend = read("channel,cost\nA,10\nB,0\nD,5\n").unwrap();
    let warnings = spend.check(&t2(), &SpendOptions::default()).unwrap();
    assert_eq!(
        warnings,
        [
            SpendWarning::NoTouches {
                channel: "D".into()
            },
            SpendWarning::NoSpend {
                channel: "C".into()
            },
        ]
    );
    assert!(warnings[0].to_string().contains("`D`"));
    // A channel interned but on no path counts as untouched.
    let mut t = t2();
    t.intern("D").unwrap();
    assert_eq!(spend.check(&t, &SpendOptions::default()).unwrap(), warnings);
}

/// Journeys from 2024-03-01 10:00 UTC to a conversion on 2024-03-30 (UTC).
fn march() -> PathTable {
    let t0 = 1_709_287_200_000_000; // 2024-03-01T10:00:00Z
    let mut t = PathTable::new();
    t.add_timed(
        ["A", "B"],
        &[t0, t0 + HOUR_US],
        Some(t0 + 2 * HOUR_US),
        Outcome::converted(1.0, 5.0),
    )
    .unwrap();
    let late = t0 + 29 * 24 * HOUR_US; // 2024-03-30T10:00:00Z
    t.add_timed(
        ["B"],
        &[late - HOUR_US],
        Some(late),
        Outcome::converted(1.0, 7.0),
    )
    .unwrap();
    t
}

#[test]
fn periods_must_match_the_data() {
    let t = march();
    let (first, last) = data_period(&t).unwrap();
    assert_eq!(
        (first.to_string(), last.to_string()),
        ("2024-03-01".into(), "2024-03-30".into())
    );
    let check = |csv: &str| read(csv).unwrap().check(&t, &SpendOptions::default());
    let ok = "channel,cost,start,end\nA,10,2024-03-01,2024-03-31\nB,20,2024-02-29,2024-03-30\n";
    assert_eq!(check(ok).unwrap(), []);
    // Rows without a period are not checked.
    assert_eq!(check("channel,cost,start,end\nA,1,,\nB,1,,\n").unwrap(), []);
    for (bad, line) in [
        // Starts after the data's first day: conversions outside the spend.
        (
            "channel,cost,start,end\nA,10,2024-03-01,2024-03-31\nB,1,2024-03-02,2024-03-31\n",
            3,
        ),
        // Ends two days after the data's last day: spend outside the data.
        ("channel,cost,start,end\nA,10,2024-03-01,2024-04-01\n", 2),
        // A different month altogether.
        ("channel,cost,start,end\nA,10,2023-03-01,2023-03-31\n", 2),
    ] {
        match check(bad) {
            Err(Error::Spend {
                at,
                problem: SpendProblem::PeriodMismatch { .. },
            }) => assert_eq!(at.line, line, "{bad}"),
            other => panic!("{bad}: {other:?}"),
        }
    }
    // The slack is an option.
    let strict = SpendOptions::with_slack(0);
    assert!(read(ok).unwrap().check(&t, &strict).is_err());
    // Without timestamps the periods cannot be checked: a warning, not an error.
    let warnings = read(ok)
        .unwrap()
        .check(&t2(), &SpendOptions::default())
        .unwrap();
    assert!(warnings.contains(&SpendWarning::PeriodUnchecked));
}

#[test]
fn intervals_of_cpa_and_roas_come_from_the_conversion_and_value_intervals() {
    let spend = read("channel,cost\nA,30\nB,0\nC,12\n").unwrap();
    let t = t2();
    let boot = Bootstrap {
        replicates: 200,
        seed: 3,
        ..Bootstrap::default()
    };
    let model = Linear::default();
    let mut a = model.attribute(&t).unwrap();
    boot.run(&model, &t).unwrap().annotate(&mut a);
    spend.annotate(&mut a);
    for c in &a.channels {
        let ci = c.ci.as_ref().unwrap();
        let s = c.spend.as_ref().unwrap();
        let cost = s.cost.unwrap();
        let cpa = s.cpa_ci.unwrap();
        let conv = ci.conversions;
        assert_eq!(
            cpa[0],
            (conv[1] > 0.0).then(|| cost / conv[1]),
            "{}",
            c.channel
        );
        assert_eq!(
            cpa[1],
            (conv[0] > 0.0).then(|| cost / conv[0]),
            "{}",
            c.channel
        );
        if cost > 0.0 {
            let roas = s.roas_ci.unwrap();
            assert_eq!(roas, [Some(ci.value[0] / cost), Some(ci.value[1] / cost)]);
        } else {
            assert_eq!((s.roas, s.roas_ci), (None, None));
        }
    }
    let json = serde_json::to_value(&a).unwrap();
    assert!(json["channels"][0]["cpa_ci"].is_array());
}

proptest! {
    /// Whatever the table and the costs (0 included), no spend figure is NaN or infinite, and
    /// every channel of either side is reported.
    #[test]
    fn spend_figures_are_finite_or_empty(
        t in arb_table(),
        costs in prop::collection::vec((0usize..8, prop_oneof![Just(0.0), 0.0f64..1e6]), 0..6),
    ) {
        let mut csv = String::from("channel,cost\n");
        let mut names: Vec<&str> = Vec::new();
        for (i, cost) in costs {
            let name = common::POOL[i];
            if !names.contains(&name) {
                names.push(name);
                csv.push_str(&format!("{name},{cost}\n"));
            }
        }
        let spend = read(&csv).unwrap();
        let mut a = Linear::default().attribute(&t).unwrap();
        spend.annotate(&mut a);
        for c in &a.channels {
            let s = c.spend.as_ref().unwrap();
            for x in [s.cost, s.cpa, s.roas].into_iter().flatten() {
                prop_assert!(x.is_finite());
            }
        }
        for name in names {
            prop_assert!(a.get(name).is_some());
        }
        for (_, name) in t.channels().iter() {
            prop_assert!(a.get(name).is_some());
        }
    }
}

/// `attribute --spend FILE`: JSON keys on every channel entry, warnings by name, and a bad file
/// refused with its line.
#[test]
fn the_command_adds_spend_to_the_json_and_refuses_bad_files() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("spend-cli");
    std::fs::create_dir_all(&dir).unwrap();
    let good = dir.join("spend.csv");
    std::fs::write(&good, "channel,cost\nA,10\nB,0\nD,5\n").unwrap();
    let bad = dir.join("bad.csv");
    std::fs::write(&bad, "channel,cost\nA,10\nB,-3\n").unwrap();
    let run = |spend: &std::path::Path, extra: &[&str]| {
        common::example("attribute")
            .args(["examples/data/t2.csv", "--models", "last_touch"])
            .arg("--spend")
            .arg(spend)
            .args(extra)
            .output()
            .unwrap()
    };
    let o = run(&good, &["--format", "json"]);
    assert!(o.status.success());
    let json: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let channels = &json["models"][0]["channels"];
    assert_eq!(json["channels"], serde_json::json!(["A", "B", "C", "D"]));
    assert_eq!(
        (channels[0]["cpa"].as_f64(), channels[0]["roas"].as_f64()),
        (Some(5.0), Some(2.2))
    );
    assert!(channels[1]["roas"].is_null() && channels[2]["cost"].is_null());
    assert_eq!(channels[3]["conversions"], 0.0);
    let stderr = String::from_utf8(o.stderr).unwrap();
    assert!(stderr.contains("`D` has spend but no touches"), "{stderr}");
    assert!(
        stderr.contains("`C` has touches but no spend row"),
        "{stderr}"
    );
    let o = run(
        &good,
        &[
            "--format",
            "json",
            "--ci",
            "0.9",
            "--replicates",
            "50",
            "-q",
        ],
    );
    let json: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(json["models"][0]["channels"][0]["cpa_ci"].is_array());
    assert!(json["models"][0]["channels"][0]["roas_ci"].is_array());

    // CSV: three columns after the others (four more with intervals); text and Markdown
    // tables: cost, CPA and ROAS per model, and a total row.
    let csv = String::from_utf8(run(&good, &["--format", "csv", "-q"]).stdout).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "model,channel,conversions,value,share,value_share,cost,cpa,roas"
    );
    assert_eq!(
        lines[1],
        "last_touch,A,2,22,0.2857142857142857,0.3142857142857143,10,5,2.2"
    );
    assert_eq!(
        lines[2],
        "last_touch,B,2,20,0.2857142857142857,0.2857142857142857,0,0,"
    );
    assert_eq!(lines[3], "last_touch,C,3,28,0.42857142857142855,0.4,,,");
    assert_eq!(lines[4], "last_touch,D,0,0,0,0,5,,0");
    let csv = String::from_utf8(
        run(
            &good,
            &["--format", "csv", "--ci", "0.9", "--replicates", "20", "-q"],
        )
        .stdout,
    )
    .unwrap();
    assert!(
        csv.lines().next().unwrap().ends_with(
            ",conversions_se,value_se,share_se,cost,cpa,roas,cpa_lo,cpa_hi,roas_lo,roas_hi"
        ),
        "{csv}"
    );
    let md = String::from_utf8(run(&good, &["--format", "md", "-q"]).stdout).unwrap();
    let md: Vec<&str> = md.lines().collect();
    assert!(
        md[0].ends_with("| last_touch cost | last_touch CPA | last_touch ROAS |"),
        "{md:?}"
    );
    assert_eq!(md[2], "| A | 2.00 | 28.6% | 22.00 | 10.00 | 5.00 | 2.20 |");
    // Total: cost 15 over 7 conversions, value 70 over cost 15.
    assert_eq!(
        md[6],
        "| **total** | 7.00 | 100.0% | 70.00 | 15.00 | 2.14 | 4.67 |"
    );
    let table = String::from_utf8(run(&good, &["--format", "table", "-q"]).stdout).unwrap();
    assert!(table.contains("value   cost   CPA  ROAS"), "{table}");
    assert!(
        table.contains("total             7.00  100.0%  70.00  15.00  2.14  4.67"),
        "{table}"
    );

    let o = run(&bad, &[]);
    assert_eq!(o.status.code(), Some(1));
    assert!(o.stdout.is_empty());
    let err = String::from_utf8(o.stderr).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("bad.csv:3: cost = -3"), "{err}");
}
