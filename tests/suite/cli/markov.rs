//! Markov options of `attribute`: orders, value modes, simulation, transitions and heatmaps.

use super::*;

#[test]
fn markov_through_the_cli_matches_the_oracles() {
    // §Markov worked examples: T2 at order 2, value-weighted: conversions 63/29, 70/29, 70/29;
    // RE 9/14, 5/7, 5/7.
    let transitions =
        std::env::temp_dir().join(format!("touchpoint-cli-{}-tr.csv", std::process::id()));
    let tpath = transitions.to_str().unwrap();
    let out = json(&attribute(
        &[
            T2,
            "--models",
            "markov",
            "--order",
            "2",
            "--transitions",
            tpath,
            "--format",
            "json",
        ],
        None,
    ));
    let m = &out["models"][0];
    assert_eq!(m["model"], "markov");
    assert_eq!(m["order"], 2);
    let conv: Vec<f64> = (0..3)
        .map(|i| m["channels"][i]["conversions"].as_f64().unwrap())
        .collect();
    assert!(
        close(conv[0], 63.0 / 29.0) && close(conv[1], 70.0 / 29.0) && close(conv[2], 70.0 / 29.0)
    );
    assert!(close(
        m["removal_effects"]["A"].as_f64().unwrap(),
        9.0 / 14.0
    ));
    assert!(close(
        m["conversion_probability"].as_f64().unwrap(),
        7.0 / 15.0
    ));
    // The transition matrix: every row of probabilities out of a state sums to 1.
    let text = std::fs::read_to_string(&transitions).expect("transitions written");
    let _ = std::fs::remove_file(&transitions);
    let mut rdr = csv::Reader::from_reader(text.as_bytes());
    assert_eq!(rdr.headers().unwrap(), vec!["from", "to", "probability"]);
    let mut sums = std::collections::BTreeMap::<String, f64>::new();
    for rec in rdr.records() {
        let rec = rec.unwrap();
        *sums.entry(rec[0].to_string()).or_default() += rec[2].parse::<f64>().unwrap();
    }
    assert!(sums.contains_key("(start)"));
    for (state, total) in sums {
        assert!(close(total, 1.0), "{state}: {total}");
    }
    // Bad order: an error before reading.
    let err = fails(&attribute(
        &[T2, "--models", "markov", "--order", "0"],
        None,
    ));
    assert!(err.contains("order"), "{err}");
    // No conversions: a typed error, not NaN.
    let none = TempFile::new(
        "nullonly.csv",
        b"path,total_conversions,total_null\nA > B,0,3\n",
    );
    let err = fails(&attribute(&[none.path(), "--models", "markov"], None));
    assert!(err.contains("no conversions"), "{err}");
}

#[test]
fn heatmap_of_the_markov_transitions() {
    let svg = TempFile::new("heat.svg", b"");
    let o = attribute(&[T2, "--models", "markov", "--heatmap", svg.path()], None);
    if cfg!(feature = "plot") {
        ok(&o);
        let text = std::fs::read_to_string(svg.path()).unwrap();
        assert!(text.contains("<svg") && text.contains("(start)"), "{text}");
        // T2 has 15 journeys, 6 start with A: P((start) → A) = 6/15 = 0.40.
        assert!(text.contains("0.40"), "{text}");
    } else {
        let e = fails(&o);
        assert!(e.contains("need the `plot` feature"), "{e}");
    }
}

#[test]
fn markov_cost_limits_can_be_lowered_and_raised_from_the_command_line() {
    let e = fails(&attribute(
        &[SAMPLE, "--models", "markov", "--markov-max-work", "10"],
        None,
    ));
    assert!(e.contains("max_work") && e.contains("raise it"), "{e}");
    let e = fails(&attribute(
        &[
            SAMPLE,
            "--models",
            "markov",
            "--markov-walks",
            "1000",
            "--markov-max-walk-steps",
            "10",
        ],
        None,
    ));
    assert!(e.contains("max_walk_steps"), "{e}");
    let e = fails(&attribute(&[SAMPLE, "--markov-max-work", "0"], None));
    assert!(e.contains("not a positive number"), "{e}");
    ok(&attribute(
        &[
            SAMPLE,
            "--models",
            "markov",
            "--markov-max-work",
            "1e12",
            "-q",
        ],
        None,
    ));
}

#[test]
fn the_shao_li_pair_limit_can_be_lowered_and_raised_from_the_command_line() {
    let e = fails(&attribute(
        &[SAMPLE, "--models", "shao_li", "--shao-li-max-pairs", "1"],
        None,
    ));
    assert!(
        e.contains("max_pair_updates") && e.contains("pair updates"),
        "{e}"
    );
    let e = fails(&attribute(&[SAMPLE, "--shao-li-max-pairs", "0"], None));
    assert!(e.contains("not a positive number"), "{e}");
    let out = attribute(
        &[SAMPLE, "--models", "linear", "--shao-li-max-pairs", "1e12"],
        None,
    );
    let stderr = stderr(&out);
    ok(&out);
    assert!(
        stderr.contains("--shao-li-max-pairs applies to shao_li, which is not selected"),
        "{stderr}"
    );
    ok(&attribute(
        &[
            SAMPLE,
            "--models",
            "shao_li",
            "--shao-li-max-pairs",
            "1e12",
            "-q",
        ],
        None,
    ));
}
