//! What `attribute` writes: every format, the library's numbers, options reaching the models, intervals, ChannelAttribution columns, thread counts.

use super::*;

// ---------------------------------------------------------------------------------------------

#[test]
fn table_shows_every_channel_and_model() {
    let o = attribute(&[SAMPLE], None);
    let out = ok(&o);
    for ch in SAMPLE_CHANNELS {
        assert!(
            out.lines().filter(|l| l.starts_with(ch)).count() >= 1,
            "{ch} missing:\n{out}"
        );
    }
    for m in TABLE_MODELS {
        assert!(
            out.split_whitespace().any(|w| w == *m),
            "{m} missing:\n{out}"
        );
    }
    // Every panel has a total row at 100% for efficient models; the summary is on stderr.
    assert!(out.contains("total"));
    let err = stderr(&o);
    assert!(
        err.contains("read 300 rows (300 distinct paths, 8 channels)"),
        "{err}"
    );
}

#[test]
fn csv_is_long_with_stable_columns() {
    let out = ok(&attribute(
        &[SAMPLE, "--format", "csv", "--models", "linear,first_touch"],
        None,
    ));
    let mut lines = out.lines();
    assert_eq!(
        lines.next(),
        Some("model,channel,conversions,value,share,value_share")
    );
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    assert_eq!(rows.len(), 2 * SAMPLE_CHANNELS.len());
    assert!(rows[..8].iter().all(|r| r[0] == "linear"));
    assert!(rows[8..].iter().all(|r| r[0] == "first_touch"));
    let names: Vec<&str> = rows[..8].iter().map(|r| r[1]).collect();
    assert_eq!(names, SAMPLE_CHANNELS);
    // Shares of an efficient model sum to 1.
    let share: f64 = rows[..8].iter().map(|r| r[4].parse::<f64>().unwrap()).sum();
    assert!(close(share, 1.0), "{share}");
}

#[test]
fn json_has_the_stable_keys() {
    let v = json(&attribute(&[SAMPLE, "--format", "json"], None));
    for key in [
        "total_conversions",
        "total_value",
        "total_null",
        "channels",
        "models",
        "summary",
    ] {
        assert!(v.get(key).is_some(), "missing {key}");
    }
    assert_eq!(v["channels"], serde_json::json!(SAMPLE_CHANNELS));
    let models: Vec<&str> = v["models"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["model"].as_str().unwrap())
        .collect();
    assert_eq!(models, TABLE_MODELS);
    for m in v["models"].as_array().unwrap() {
        for key in ["total_conversions", "total_value", "total_null"] {
            assert_eq!(m[key], v[key]);
        }
        let channels = m["channels"].as_array().unwrap();
        assert_eq!(channels.len(), 8);
        for c in channels {
            for key in ["channel", "conversions", "value", "share", "value_share"] {
                assert!(c.get(key).is_some(), "missing {key} in {c}");
            }
        }
    }
    let s = &v["summary"];
    assert_eq!(s["input"], SAMPLE);
    assert_eq!(s["rows_read"], 300);
    assert_eq!(s["rows_skipped"], 0);
    assert_eq!(s["paths"], 300);
    assert_eq!(s["channels"], 8);
}

#[test]
fn credits_equal_the_library_on_t2() {
    let table = t2();
    let v = json(&attribute(&[T2, "--format", "json"], None));
    assert_eq!(v["total_conversions"], 7.0);
    assert_eq!(v["total_value"], 70.0);
    assert_eq!(v["total_null"], 8.0);
    for (i, name) in TABLE_MODELS.iter().enumerate() {
        let lib: Attribution = build_model(name, &ModelOptions::default())
            .unwrap()
            .attribute(&table)
            .unwrap();
        let cli = &v["models"][i];
        assert_eq!(cli["model"], *name);
        for (c, want) in cli["channels"]
            .as_array()
            .unwrap()
            .iter()
            .zip(&lib.channels)
        {
            assert_eq!(c["channel"], want.channel.as_str());
            for (key, x) in [
                ("conversions", want.conversions),
                ("value", want.value),
                ("share", want.share),
                ("value_share", want.value_share),
            ] {
                let got = c[key].as_f64().unwrap();
                assert!(close(got, x), "{name} {} {key}: {got} vs {x}", want.channel);
            }
        }
    }
}

/// Conversions credited to A, B, C on T2 by `model`, read from the CLI's CSV.
fn t2_conversions(extra: &[&str], model: &str) -> [f64; 3] {
    let mut args = vec![T2, "--format", "csv", "--models", model];
    args.extend_from_slice(extra);
    let out = ok(&attribute(&args, None));
    let v: Vec<f64> = out
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(2).unwrap().parse().unwrap())
        .collect();
    [v[0], v[1], v[2]]
}

#[test]
fn t2_oracles_through_the_cli() {
    // The model reference, §Rule-based results on T2 (conversions credited to A, B, C).
    let cases: [(&str, &[&str], [f64; 3]); 6] = [
        ("first_touch", &[], [3.0, 2.0, 2.0]),
        ("linear", &[], [25.0 / 12.0, 5.0 / 2.0, 29.0 / 12.0]),
        (
            "position_based",
            &[],
            [23.0 / 10.0, 23.0 / 10.0, 12.0 / 5.0],
        ),
        // --weights 20,20,60 makes position_based the J-curve.
        (
            "position_based",
            &["--weights", "20,20,60"],
            [43.0 / 20.0, 23.0 / 10.0, 51.0 / 20.0],
        ),
        ("time_decay", &[], [67.0 / 35.0, 52.0 / 21.0, 274.0 / 105.0]),
        ("participation_normalized", &[], [7.0 / 3.0; 3]),
    ];
    for (model, extra, want) in cases {
        let got = t2_conversions(extra, model);
        for i in 0..3 {
            assert!(
                close(got[i], want[i]),
                "{model} {extra:?}: {got:?} vs {want:?}"
            );
        }
    }
}

#[test]
fn options_reach_the_models() {
    // --direct C: last non-direct on T2 credits A 2, B 4, C 1 (see the registry tests).
    assert_eq!(
        t2_conversions(&["--direct", "C"], "last_non_direct"),
        [2.0, 4.0, 1.0]
    );
    // A longer positional half-life (2 touches instead of 1) moves time decay towards linear.
    let h1 = t2_conversions(&[], "time_decay");
    let h2 = t2_conversions(&["--half-life", "2"], "time_decay");
    let lin = t2_conversions(&[], "linear");
    assert!(
        (h2[0] - lin[0]).abs() < (h1[0] - lin[0]).abs(),
        "{h1:?} {h2:?}"
    );
}

#[test]
fn confidence_intervals_reach_every_output() {
    let args = [
        "--models",
        "linear,first_touch",
        "--ci",
        "0.9",
        "--replicates",
        "60",
    ];
    let mut with = args.to_vec();
    with.extend([T2, "--format", "json", "--seed", "4"]);
    let out = json(&attribute(&with, None));
    for m in out["models"].as_array().expect("models") {
        for c in m["channels"].as_array().expect("channels") {
            let ci = &c["ci"]["conversions"];
            let (lo, hi) = (ci[0].as_f64().unwrap(), ci[1].as_f64().unwrap());
            assert!(lo <= hi, "{c}");
            assert!(c["se"]["share"].as_f64().unwrap() >= 0.0);
        }
    }
    assert_eq!(out["summary"]["bootstrap"]["replicates"], 60);
    // Same seed, same bytes.
    let again = json(&attribute(&with, None));
    assert_eq!(out, again);
    // Long CSV gains interval columns; the table gains low/high.
    let mut csv = args.to_vec();
    csv.extend([T2, "--format", "csv"]);
    let text = ok(&attribute(&csv, None));
    assert!(
        text.lines()
            .next()
            .unwrap()
            .ends_with("conversions_se,value_se,share_se")
    );
    let mut table = args.to_vec();
    table.push(T2);
    assert!(ok(&attribute(&table, None)).contains("low"));
    // A bad level is an error before reading.
    let err = fails(&attribute(&[T2, "--ci", "2"], None));
    assert!(err.contains("--ci"), "{err}");
}

#[test]
fn markdown_jsonl_and_wide_formats() {
    let md = ok(&attribute(
        &[T2, "--models", "first_touch,linear", "--format", "md", "-q"],
        None,
    ));
    let lines: Vec<&str> = md.lines().collect();
    assert!(
        lines[0].starts_with("| channel | first_touch conversions |"),
        "{md}"
    );
    // A: first touch 3 of 7 (42.9%), value 35; linear 25/12, 74/3 (the model reference,
    // §Rule-based results on T2).
    assert_eq!(
        lines[2],
        "| A | 3.00 | 42.9% | 35.00 | 2.08 | 29.8% | 24.67 |"
    );
    assert_eq!(lines.len(), 2 + 3 + 1);

    let jsonl = ok(&attribute(
        &[T2, "--models", "first_touch,linear", "--format", "jsonl"],
        None,
    ));
    let rows: Vec<Value> = jsonl
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .collect();
    assert_eq!(rows.len(), 6);
    assert_eq!(rows[4]["model"], "linear");
    assert_eq!(rows[4]["channel"], "B");
    assert!(close(rows[4]["conversions"].as_f64().unwrap(), 5.0 / 2.0));
    // With intervals every line carries ci and se.
    let jsonl = ok(&attribute(
        &[T2, "--models", "linear", "--format", "jsonl", "--ci", "0.9"],
        None,
    ));
    for l in jsonl.lines() {
        let v: Value = serde_json::from_str(l).unwrap();
        let [lo, hi] = [0, 1].map(|i| v["ci"]["conversions"][i].as_f64().unwrap());
        assert!(lo <= hi && v["se"]["value"].as_f64().unwrap() >= 0.0, "{l}");
    }

    let wide = ok(&attribute(
        &[T2, "--models", "last_touch,linear", "--format", "wide"],
        None,
    ));
    let lines: Vec<&str> = wide.lines().collect();
    assert_eq!(
        lines[0],
        "channel,last_touch_conversions,last_touch_value,linear_conversions,linear_value"
    );
    // C: last touch 3 conversions (A>B>C 2, C 1), value 20 + 8 = 28; linear 29/12, 68/3.
    let c: Vec<&str> = lines[3].split(',').collect();
    assert_eq!(c[..3], ["C", "3", "28"]);
    assert!(close(c[3].parse().unwrap(), 29.0 / 12.0));
    assert!(close(c[4].parse().unwrap(), 68.0 / 3.0));
}

#[test]
fn channelattribution_compatible_columns() {
    let heur = ok(&attribute(
        &[
            T2,
            "--models",
            "first_touch,last_touch,linear",
            "--compat",
            "channelattribution",
        ],
        None,
    ));
    let lines: Vec<&str> = heur.lines().collect();
    assert_eq!(
        lines[0],
        "channel_name,first_touch_conversions,first_touch_value,last_touch_conversions,\
         last_touch_value,linear_touch_conversions,linear_touch_value"
    );
    assert!(lines[1].starts_with("A,3,35,2,22,"), "{heur}");
    let markov = ok(&attribute(
        &[T2, "--models", "markov", "--compat", "channelattribution"],
        None,
    ));
    assert_eq!(
        markov.lines().next(),
        Some("channel_name,total_conversions,total_conversion_value")
    );
    let lib = build_model("markov", &ModelOptions::default())
        .unwrap()
        .attribute(&t2())
        .unwrap();
    let a: Vec<&str> = markov.lines().nth(1).unwrap().split(',').collect();
    assert_eq!(a[0], "A");
    assert!(close(a[1].parse().unwrap(), lib.conversions("A")));
    // Without a value column: ChannelAttribution's value-less names.
    let no_value = TempFile::new("novalue.csv", b"path,total_conversions\nA > B,2\nB,1\n");
    let out = ok(&attribute(
        &[
            no_value.path(),
            "--models",
            "first_touch,linear",
            "--compat",
            "channelattribution",
            "-q",
        ],
        None,
    ));
    assert_eq!(out, "channel_name,first_touch,linear_touch\nA,2,1\nB,1,2\n");
    // Transition matrix with ChannelAttribution's column names.
    let tm = TempFile::new("tm.csv", b"");
    ok(&attribute(
        &[
            T2,
            "--models",
            "markov",
            "--compat",
            "channelattribution",
            "--transitions",
            tm.path(),
        ],
        None,
    ));
    let tm_text = std::fs::read_to_string(tm.path()).unwrap();
    assert!(
        tm_text.starts_with("channel_from,channel_to,transition_probability\n"),
        "{tm_text}"
    );
    // Errors: a model ChannelAttribution lacks, a non-CSV format, an unknown mode.
    let e = fails(&attribute(
        &[T2, "--models", "shapley", "--compat", "channelattribution"],
        None,
    ));
    assert!(e.contains("no model `shapley`"), "{e}");
    let e = fails(&attribute(
        &[
            T2,
            "--models",
            "markov",
            "--compat",
            "channelattribution",
            "--format",
            "json",
        ],
        None,
    ));
    assert!(e.contains("--compat channelattribution writes CSV"), "{e}");
    let e = fails(&attribute(&[T2, "--compat", "mam"], None));
    assert!(e.contains("unknown compatibility mode `mam`"), "{e}");
}

#[test]
fn jobs_never_change_the_output() {
    // A generated table large enough to be walked in several chunks.
    let big = TempFile::new("jobs.csv", b"");
    let o = example("generate")
        .args([
            "--rows",
            "5000",
            "--channels",
            "6",
            "--seed",
            "9",
            "-q",
            "-o",
            big.path(),
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let run = |jobs: &str| {
        ok(&attribute(
            &[
                big.path(),
                "--models",
                "linear,markov,shapley",
                "--ci",
                "0.9",
                "--replicates",
                "20",
                "--seed",
                "3",
                "--format",
                "csv",
                "-j",
                jobs,
            ],
            None,
        ))
    };
    let one = run("1");
    assert_eq!(one.lines().count(), 1 + 3 * 6);
    assert_eq!(run("2"), one);
    assert_eq!(run("5"), one);
    let e = fails(&attribute(&[T2, "-j", "0"], None));
    assert!(e.contains("--jobs `0`"), "{e}");
}

/// `--per-touch FILE`: one row per (conversion, touch, model) whose credit and value, summed
/// per model and channel (residual rows included), equal the `--format json` output, for an
/// event log (keyed by user and order) and a path table (keyed by row).
#[test]
fn per_touch_rows_sum_to_the_aggregate_output() {
    let dir = std::env::temp_dir().join(format!("touchpoint-per-touch-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join("per_touch.csv");
    let out_s = out.to_str().unwrap();
    for input in [
        vec!["--events", "examples/data/sample_events.csv"],
        vec![SAMPLE],
    ] {
        let mut args = input.clone();
        args.extend(["--format", "json", "--per-touch", out_s]);
        let agg = json(&attribute(&args, None));
        let mut rdr = csv::Reader::from_path(&out).unwrap();
        let header: Vec<String> = rdr.headers().unwrap().iter().map(String::from).collect();
        assert_eq!(header, touchpoint::fit::PER_TOUCH_COLUMNS);
        let mut sums: std::collections::HashMap<(String, String), (f64, f64)> = Default::default();
        let mut ids = std::collections::HashSet::new();
        for rec in rdr.records() {
            let rec = rec.unwrap();
            let s = sums
                .entry((rec[0].to_string(), rec[6].to_string()))
                .or_default();
            s.0 += rec[7].parse::<f64>().unwrap();
            s.1 += rec[8].parse::<f64>().unwrap();
            ids.insert(rec[2].to_string());
            if &rec[2] != touchpoint::fit::RESIDUAL {
                assert!(rec[4].parse::<usize>().unwrap() >= 1, "1-based touch index");
            }
        }
        assert!(ids.len() > 10, "{input:?}: conversions are keyed");
        let models = agg["models"].as_array().unwrap();
        assert_eq!(models.len(), TABLE_MODELS.len());
        for m in models {
            let name = m["model"].as_str().unwrap();
            for c in m["channels"].as_array().unwrap() {
                let ch = c["channel"].as_str().unwrap();
                let (pc, pv) = sums
                    .get(&(name.into(), ch.into()))
                    .copied()
                    .unwrap_or_default();
                let (ac, av) = (
                    c["conversions"].as_f64().unwrap(),
                    c["value"].as_f64().unwrap(),
                );
                assert!(close(pc, ac), "{input:?} {name} {ch}: {pc} != {ac}");
                assert!(
                    (pv - av).abs() <= 1e-9 * av.abs().max(1.0),
                    "{name} {ch}: {pv} != {av}"
                );
            }
        }
    }
    std::fs::remove_dir_all(&dir).ok();
}
