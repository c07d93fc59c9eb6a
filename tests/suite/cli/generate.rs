//! The `generate` example: seeded, readable tables.

use super::*;

#[test]
fn generate_is_seeded_and_readable() {
    let run = |seed: &str| {
        let o = example("generate")
            .args([
                "--rows",
                "500",
                "--channels",
                "20",
                "--seed",
                seed,
                "--quiet",
            ])
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        assert!(o.stderr.is_empty());
        o.stdout
    };
    let a = run("3");
    assert_eq!(a, run("3"));
    assert_ne!(a, run("4"));
    let (t, report) = read_paths(&a[..], &PathCsvOptions::default()).unwrap();
    assert_eq!(t.len(), 500);
    assert_eq!(report.rows, 500);
    assert!(report.has_value && report.has_nulls);
    // The output runs through attribute.
    let o = attribute(&["-", "--format", "json", "--quiet"], Some(&a));
    assert_eq!(
        json(&o)["summary"]["channels"].as_u64(),
        Some(t.channels().len() as u64)
    );
    // Bad options fail with one line.
    let o = example("generate")
        .args(["--rows", "ten"])
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert_eq!(String::from_utf8_lossy(&o.stderr).lines().count(), 1);
}
