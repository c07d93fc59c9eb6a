//! Helpers shared by the integration tests: tables from `"A > B > C"` strings, float and
//! attribution comparisons, and proptest strategies for small random tables.
//!
//! Each test binary uses its own subset (`mod common;`), hence the `dead_code` allowance.
#![allow(dead_code)]

use std::path::Path;
use std::process::Command;

use proptest::prelude::*;
use touchpoint::{Attribution, Outcome, PathTable, reference};

/// The tolerance of the model reference's worked examples (relative or absolute).
pub const TOL: f64 = 1e-9;

/// Channel names the strategies draw from (not in alphabetical order, so that interning order
/// and name order differ).
pub const POOL: [&str; 8] = [
    "Search",
    "Email",
    "Direct",
    "Display",
    "Social",
    "Affiliate",
    "Video",
    "Referral",
];

/// Splits `"A > B > C"` into trimmed channel names.
pub fn path(s: &str) -> Vec<&str> {
    s.split('>').map(str::trim).collect()
}

/// A table from `(path, conversions, value, nulls)` rows, paths written `"A > B > C"`.
///
/// # Panics
/// If a row is refused by [`PathTable::add`] (a broken test fixture).
pub fn table(rows: &[(&str, f64, f64, f64)]) -> PathTable {
    let mut t = PathTable::new();
    for &(p, c, v, u) in rows {
        t.add(path(p), Outcome::new(c, v, u))
            .unwrap_or_else(|e| panic!("test row `{p}`: {e}"));
    }
    t
}

/// Table T1 of the model reference (§Worked tables).
pub fn t1() -> PathTable {
    reference::T1.table()
}

/// The rows of table T2 of the model reference (§Worked tables): six paths over A, B, C;
/// C = 7, V = 70, U = 8.
pub const T2: &[(&str, f64, f64, f64)] = reference::T2.rows;

/// Table T2 ([`T2`]).
pub fn t2() -> PathTable {
    reference::T2.table()
}

/// Table T3 of the model reference (§Worked tables): direct channels.
pub fn t3() -> PathTable {
    reference::T3.table()
}

/// Table T5 of the model reference (§Worked tables): single touches.
pub fn t5() -> PathTable {
    reference::T5.table()
}

/// `|a − b| ≤ tol · max(1, |a|, |b|)`: relative for large numbers, absolute near 0.
pub fn close_to(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol * 1f64.max(a.abs()).max(b.abs())
}

/// Asserts [`close_to`] with the worked-example tolerance [`TOL`].
#[track_caller]
pub fn assert_close(a: f64, b: f64) {
    assert_close_tol(a, b, TOL);
}

/// Asserts [`close_to`] with tolerance `tol`.
#[track_caller]
pub fn assert_close_tol(a: f64, b: f64, tol: f64) {
    assert!(close_to(a, b, tol), "{a} != {b} (tolerance {tol})");
}

/// Every channel name of either attribution (a channel missing on one side counts as 0).
fn names<'a>(a: &'a Attribution, b: &'a Attribution) -> Vec<&'a str> {
    let mut n: Vec<&str> = a
        .channels
        .iter()
        .chain(&b.channels)
        .map(|c| c.channel.as_str())
        .collect();
    n.sort_unstable();
    n.dedup();
    n
}

/// Asserts that two attributions credit every channel (conversions and value) the same, to
/// `tol`; a channel absent from one of them must have 0 in the other.
#[track_caller]
pub fn assert_attr_close(a: &Attribution, b: &Attribution, tol: f64) {
    for ch in names(a, b) {
        let (ca, cb) = (a.conversions(ch), b.conversions(ch));
        let (va, vb) = (a.value(ch), b.value(ch));
        assert!(
            close_to(ca, cb, tol) && close_to(va, vb, tol),
            "{}: channel `{ch}`: conversions {ca} vs {cb}, value {va} vs {vb}",
            a.model
        );
    }
}

/// One row of a random table.
#[derive(Clone, Debug, PartialEq)]
pub struct RowSpec {
    /// Channel names, first touch first.
    pub path: Vec<String>,
    /// Counts (whole numbers stored as `f64`).
    pub outcome: Outcome,
}

/// One timestamped journey of a random table.
#[derive(Clone, Debug, PartialEq)]
pub struct TimedSpec {
    /// Channel names, first touch first.
    pub path: Vec<String>,
    /// Touch times in µs since the epoch, non-decreasing.
    pub times: Vec<i64>,
    /// Conversion time (≥ the last touch), if known.
    pub converted_at: Option<i64>,
    /// Counts.
    pub outcome: Outcome,
}

/// A table holding `rows` in order.
///
/// # Panics
/// If a row is refused (the strategies only make valid rows).
pub fn table_from(rows: &[RowSpec]) -> PathTable {
    let mut t = PathTable::new();
    for r in rows {
        t.add(&r.path, r.outcome)
            .unwrap_or_else(|e| panic!("generated row {r:?}: {e}"));
    }
    t
}

/// A table holding timed `journeys` in order (one row each).
///
/// # Panics
/// If a journey is refused (the strategies only make valid journeys).
pub fn timed_table_from(journeys: &[TimedSpec]) -> PathTable {
    let mut t = PathTable::new();
    for j in journeys {
        t.add_timed(&j.path, &j.times, j.converted_at, j.outcome)
            .unwrap_or_else(|e| panic!("generated journey {j:?}: {e}"));
    }
    t
}

/// 1–6 distinct channel names from [`POOL`].
pub fn arb_channels() -> impl Strategy<Value = Vec<&'static str>> {
    prop::sample::subsequence(POOL.to_vec(), 1..=6)
}

/// A path of 1–6 touches over `names` (repeats allowed).
pub fn arb_path(names: Vec<&'static str>) -> impl Strategy<Value = Vec<String>> {
    prop::collection::vec(prop::sample::select(names).prop_map(String::from), 1..=6)
}

/// A converting outcome: 1–5 conversions, value 0–50, 0–4 nulls (whole numbers).
pub fn arb_converting() -> impl Strategy<Value = Outcome> {
    (1u32..=5, 0u32..=50, 0u32..=4).prop_map(|(c, v, u)| Outcome::new(c.into(), v.into(), u.into()))
}

/// A null-only outcome with 0–5 nulls (0 makes a no-op row, which must change nothing).
pub fn arb_null() -> impl Strategy<Value = Outcome> {
    (0u32..=5).prop_map(|u| Outcome::null(u.into()))
}

/// A row over `names`: converting three times out of four, null-only otherwise.
pub fn arb_row(names: Vec<&'static str>) -> impl Strategy<Value = RowSpec> {
    let outcome = prop_oneof![3 => arb_converting(), 1 => arb_null()];
    (arb_path(names), outcome).prop_map(|(path, outcome)| RowSpec { path, outcome })
}

/// 1–12 rows over 1–6 channels, at least one of them converting (so every model is defined);
/// some rows are null-only.
pub fn arb_rows() -> impl Strategy<Value = Vec<RowSpec>> {
    arb_channels()
        .prop_flat_map(|names| {
            let first = (arb_path(names.clone()), arb_converting())
                .prop_map(|(path, outcome)| RowSpec { path, outcome });
            let rest = prop::collection::vec(arb_row(names), 0..12);
            (first, rest, any::<prop::sample::Index>())
        })
        .prop_map(|(first, mut rest, at)| {
            let i = at.index(rest.len() + 1);
            rest.insert(i, first);
            rest
        })
}

/// A small random table (see [`arb_rows`]).
pub fn arb_table() -> impl Strategy<Value = PathTable> {
    arb_rows().prop_map(|rows| table_from(&rows))
}

/// One microsecond-resolution hour.
pub const HOUR_US: i64 = 3_600_000_000;

/// 1–8 timestamped journeys over 1–6 channels, at least one converting. Touches are 0–240 hours
/// apart (0 gives equal timestamps); the conversion, when known, 0–72 hours after the last touch.
pub fn arb_journeys() -> impl Strategy<Value = Vec<TimedSpec>> {
    let journey = |names: Vec<&'static str>, outcome: BoxedStrategy<Outcome>| {
        (
            arb_path(names),
            prop::collection::vec(prop_oneof![1 => Just(0i64), 3 => 0i64..=240], 6),
            -1_000_000i64..1_000_000,
            prop::option::of(0i64..=72),
            outcome,
        )
            .prop_map(|(path, gaps, start_h, conv_h, outcome)| {
                let mut t = 1_700_000_000_000_000 + start_h * HOUR_US;
                let times: Vec<i64> = (0..path.len())
                    .map(|i| {
                        if i > 0 {
                            t += gaps[i] * HOUR_US;
                        }
                        t
                    })
                    .collect();
                let converted_at = conv_h.map(|h| t + h * HOUR_US);
                TimedSpec {
                    path,
                    times,
                    converted_at,
                    outcome,
                }
            })
    };
    arb_channels()
        .prop_flat_map(move |names| {
            let any_outcome = prop_oneof![3 => arb_converting(), 1 => arb_null()].boxed();
            (
                journey(names.clone(), arb_converting().boxed()),
                prop::collection::vec(journey(names, any_outcome), 0..8),
            )
        })
        .prop_map(|(first, mut rest)| {
            rest.push(first);
            rest
        })
}

/// The example program `name` of this build, run from the crate root; rebuilt first (a no-op
/// when fresh: `cargo test --test X` alone does not build examples, and a stale one would test
/// old code).
///
/// # Panics
/// If the build fails.
pub fn example(name: &str) -> Command {
    let exe = std::env::current_exe().expect("test executable");
    // This test runs as target/<profile>/deps/<test>-<hash>.
    let profile = exe
        .parent()
        .and_then(Path::parent)
        .expect("target/<profile>");
    static BUILT: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());
    let mut built = BUILT
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if !built.iter().any(|b| b == name) {
        build_example(name, profile);
        built.push(name.to_string());
    }
    drop(built);
    let bin = profile
        .join("examples")
        .join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    let mut cmd = Command::new(bin);
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"));
    cmd
}

fn build_example(name: &str, profile: &Path) {
    let mut cargo = Command::new(env!("CARGO"));
    cargo
        .args(["build", "--quiet", "--example", name, "--manifest-path"])
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml"))
        .arg("--target-dir")
        .arg(profile.parent().expect("target/"));
    if profile.ends_with("release") {
        cargo.arg("--release");
    }
    // The features of this test build, so that the example reuses its build of the library.
    let features: Vec<&str> = [
        ("arrow", cfg!(feature = "arrow")),
        ("parquet", cfg!(feature = "parquet")),
        ("plot", cfg!(feature = "plot")),
        ("datafusion", cfg!(feature = "datafusion")),
        ("serve", cfg!(feature = "serve")),
    ]
    .into_iter()
    .filter_map(|(name, on)| on.then_some(name))
    .collect();
    if !features.is_empty() {
        cargo.args(["--features", &features.join(",")]);
    }
    let status = cargo.status().expect("cargo build --example");
    assert!(status.success(), "cargo build --example {name} failed");
}
