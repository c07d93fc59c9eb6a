//! The `compare` example: two models side by side.

use super::*;

#[test]
fn compare_two_models_per_channel() {
    // T2 (the model reference): last touch A 2, B 2, C 3 (value 22, 20, 28); linear A 25/12, B 5/2,
    // C 29/12 (value 74/3, 68/3, 68/3).
    let out = ok(&compare(&[
        T2,
        "--reference",
        "last_touch",
        "--comparison",
        "linear",
        "--format",
        "csv",
    ]));
    let lines: Vec<Vec<f64>> = out
        .lines()
        .skip(1)
        .map(|l| l.split(',').skip(1).map(|x| x.parse().unwrap()).collect())
        .collect();
    assert!(out.starts_with(
        "channel,reference_conversions,comparison_conversions,delta_conversions,\
         pct_change_conversions,reference_value,comparison_value,delta_value,pct_change_value\nA,"
    ));
    let expected = [
        [
            2.0,
            25.0 / 12.0,
            1.0 / 12.0,
            100.0 / 24.0,
            22.0,
            74.0 / 3.0,
            8.0 / 3.0,
            800.0 / 66.0,
        ],
        [2.0, 2.5, 0.5, 25.0, 20.0, 68.0 / 3.0, 8.0 / 3.0, 40.0 / 3.0],
        [
            3.0,
            29.0 / 12.0,
            -7.0 / 12.0,
            -700.0 / 36.0,
            28.0,
            68.0 / 3.0,
            -16.0 / 3.0,
            -400.0 / 21.0,
        ],
    ];
    assert_eq!(lines.len(), 3);
    for (got, want) in lines.iter().zip(expected) {
        for (g, w) in got.iter().zip(want) {
            assert!(close(*g, w), "{g} vs {w}: {out}");
        }
    }
    // Default: markov against last_touch, as a table; Markdown and JSON agree.
    let table = ok(&compare(&[T2]));
    assert!(
        table.starts_with("markov compared with last_touch (reference)"),
        "{table}"
    );
    let md = ok(&compare(&[T2, "--comparison", "linear", "--format", "md"]));
    assert!(
        md.contains("| B | 2.00 | 2.50 | +0.50 | +25.0% | 20.00 | 22.67 | +2.67 | +13.3% |"),
        "{md}"
    );
    let v: Value = serde_json::from_str(&ok(&compare(&[
        T2,
        "--format",
        "json",
        "--reference",
        "first_touch",
    ])))
    .unwrap();
    assert_eq!(
        (v["reference"].as_str(), v["comparison"].as_str()),
        (Some("first_touch"), Some("markov"))
    );
    assert_eq!(v["channels"][0]["reference_conversions"], 3.0);
    // stdin, delimiter and stderr summary.
    let semi = std::fs::read_to_string(T2).unwrap().replace(',', ";");
    let mut child = example("compare")
        .args(["-", "-d", ";", "--comparison", "linear", "--format", "csv"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(semi.as_bytes())
        .unwrap();
    let o = child.wait_with_output().unwrap();
    assert_eq!(ok(&o), out);
    assert!(
        stderr(&o).contains("linear vs last_touch (reference)"),
        "{}",
        stderr(&o)
    );
    // Errors: unknown model before reading, bad row with file and line.
    let e = fails(&compare(&["missing.csv", "--comparison", "nope"]));
    assert!(e.contains("unknown model `nope`"), "{e}");
    let bad = TempFile::new("cmpbad.csv", b"path,total_conversions\nA,1\nB,x\n");
    let e = fails(&compare(&[bad.path()]));
    assert!(e.contains(":3:"), "{e}");
    assert!(ok(&compare(&["--help"])).contains("EXAMPLES"));
}
