//! A stable-toolchain fuzzer: each target mutates a committed seed corpus
//! (`tests/fuzz_corpus/`) with a seeded generator (rand's Xoshiro256++) for a bounded time and
//! checks the crate's promises on every input: no panic; the block parser and the csv-crate
//! parser of path CSV agree (strict and skipping); a skipping reader only fails on the header;
//! a decoded table is valid and re-encodes to itself; every model of the registry returns a
//! finite result or a typed error, and efficient models credit the table's totals; the JSON
//! Lines byte scanner reads, skips and fails exactly as serde_json alone does.
//!
//! `TOUCHPOINT_FUZZ_SECS` sets the seconds per target (default 2, so `cargo test` stays quick;
//! CI runs 60), `TOUCHPOINT_FUZZ_SEED` the seed (default 0). An input that breaks a promise is
//! written to `target/fuzz-failures/` and named in the panic message: add it to the corpus
//! once fixed. Why not cargo-fuzz: it needs a nightly toolchain, and CI has stable only.

mod common;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rand::rngs::Xoshiro256PlusPlus;
use rand::{RngExt, SeedableRng};
use touchpoint::codec;
use touchpoint::events::{
    EventFormat, EventOptions, JourneyOptions, read_events, read_events_serde_only,
};
use touchpoint::formats::{BadRows, PathCsvOptions, read_paths, read_paths_full_parser};
use touchpoint::registry::{ModelOptions, TABLE_MODELS, build_model};
use touchpoint::{Error, PathTable};

fn budget() -> Duration {
    let secs = std::env::var("TOUCHPOINT_FUZZ_SECS")
        .ok()
        .and_then(|s| s.parse::<f64>().ok())
        .unwrap_or(2.0);
    Duration::from_secs_f64(secs)
}

fn seed() -> u64 {
    std::env::var("TOUCHPOINT_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

fn corpus(dir: &str) -> Vec<Vec<u8>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fuzz_corpus")
        .join(dir);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap_or_else(|e| panic!("{}: {e}", root.display()))
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files.iter().map(|f| std::fs::read(f).unwrap()).collect()
}

/// Fragments that reach the readers' edge cases.
const TOKENS: &[&[u8]] = &[
    b",",
    b";",
    b"\t",
    b"\n",
    b"\r",
    b"\r\n",
    b"\"",
    b"\"\"",
    b" > ",
    b">",
    b">>",
    b" ",
    b"\xef\xbb\xbf",
    b"\xff",
    b"0",
    b"1",
    b"-1",
    b"1e308",
    b"1e-320",
    b"NaN",
    b"inf",
    b"9007199254740993",
    b"98765432109876543210",
    b"0.1",
    b"(start)",
    b"(conversion)",
    b"{",
    b"}",
    b"[",
    b"]",
    b":",
    b"null",
    b"true",
    b"false",
    b"\\u0000",
    b"\\",
    b"2024-01-01T00:00:00Z",
    b"1704067200",
    b"\"user_id\"",
    b"\"timestamp\"",
    b"\"channel\"",
    b"\"conversion\"",
];

/// One random mutation of `input` (which may use `other`, another corpus entry).
fn mutate(rng: &mut Xoshiro256PlusPlus, input: &mut Vec<u8>, other: &[u8]) {
    let len = input.len();
    let at =
        |rng: &mut Xoshiro256PlusPlus, n: usize| if n == 0 { 0 } else { rng.random_range(0..=n) };
    match rng.random_range(0..9) {
        0 if len > 0 => {
            let i = rng.random_range(0..len);
            input[i] ^= 1 << rng.random_range(0..8);
        }
        1 => {
            let i = at(rng, len);
            input.insert(i, rng.random::<u8>());
        }
        2 if len > 0 => {
            let i = rng.random_range(0..len);
            let n = rng.random_range(1..=(len - i).min(16));
            input.drain(i..i + n);
        }
        3 => {
            let t = TOKENS[rng.random_range(0..TOKENS.len())];
            let i = at(rng, len);
            input.splice(i..i, t.iter().copied());
        }
        4 if len > 0 => {
            // Duplicate a slice (a repeated row, a long field).
            let i = rng.random_range(0..len);
            let n = rng.random_range(1..=(len - i).min(64));
            let piece: Vec<u8> = input[i..i + n].to_vec();
            let j = at(rng, len);
            input.splice(j..j, piece);
        }
        5 if len > 0 => input.truncate(rng.random_range(0..len)),
        6 if !other.is_empty() => {
            // Splice the tail of another input.
            let i = at(rng, len);
            let j = rng.random_range(0..other.len());
            input.truncate(i);
            input.extend_from_slice(&other[j..]);
        }
        7 if len > 0 => {
            let i = rng.random_range(0..len);
            let t = TOKENS[rng.random_range(0..TOKENS.len())];
            let n = (len - i).min(t.len());
            input.splice(i..i + n, t.iter().copied());
        }
        _ => {
            // Swap two lines.
            let lines: Vec<&[u8]> = input.split(|&b| b == b'\n').collect();
            if lines.len() > 2 {
                let (a, b) = (
                    rng.random_range(0..lines.len()),
                    rng.random_range(0..lines.len()),
                );
                let mut l: Vec<Vec<u8>> = lines.iter().map(|x| x.to_vec()).collect();
                l.swap(a, b);
                *input = l.join(&b'\n');
            }
        }
    }
    input.truncate(1 << 16);
}

/// Runs `check` on mutated corpus entries for the time budget; returns the executions.
fn fuzz(name: &str, seeds: Vec<Vec<u8>>, check: impl Fn(&[u8])) -> u64 {
    assert!(!seeds.is_empty());
    // Each target its own stream: the seed mixed with the target's name.
    let salt = name.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    });
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed() ^ salt);
    let (start, limit) = (Instant::now(), budget());
    let mut execs = 0u64;
    let run = |input: &[u8], execs: u64| {
        if catch_unwind(AssertUnwindSafe(|| check(input))).is_err() {
            let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/fuzz-failures");
            std::fs::create_dir_all(&dir).unwrap();
            let file = dir.join(format!("{name}-{execs}.bin"));
            std::fs::write(&file, input).unwrap();
            panic!(
                "fuzz target `{name}` failed on the input saved in {}",
                file.display()
            );
        }
    };
    for s in &seeds {
        run(s, execs);
        execs += 1;
    }
    while start.elapsed() < limit {
        let mut input = seeds[rng.random_range(0..seeds.len())].clone();
        let other = &seeds[rng.random_range(0..seeds.len())];
        for _ in 0..rng.random_range(1..6) {
            mutate(&mut rng, &mut input, other);
        }
        run(&input, execs);
        execs += 1;
    }
    eprintln!(
        "fuzz target {name}: {execs} executions in {:.1} s",
        start.elapsed().as_secs_f64()
    );
    execs
}

/// The two path parsers agree on `input` in mode `bad_rows`; returns the table when read.
fn paths_agree(input: &[u8], bad_rows: BadRows) -> Option<PathTable> {
    let o = PathCsvOptions {
        bad_rows,
        ..PathCsvOptions::default()
    };
    let a = read_paths(input, &o);
    let b = read_paths_full_parser(input, &o);
    match (a, b) {
        (Ok((ta, ra)), Ok((tb, rb))) => {
            assert_eq!(
                ta.to_named_rows(),
                tb.to_named_rows(),
                "the parsers' tables differ"
            );
            // Debug text: a NaN in a skipped row's problem is equal to itself there.
            assert_eq!(
                format!("{ra:?}"),
                format!("{rb:?}"),
                "the parsers' reports differ"
            );
            assert!(ta.totals().conversions.is_finite() && ta.totals().value.is_finite());
            Some(ta)
        }
        (Err(ea), Err(eb)) => {
            assert_eq!(ea.to_string(), eb.to_string(), "the parsers' errors differ");
            if bad_rows == BadRows::Skip {
                // Skipping, only the header (line 1), the input or a total can fail.
                match &ea {
                    Error::Parse { at, .. } => assert_eq!(at.line, 1, "{ea}"),
                    Error::InvalidParameter { .. } | Error::InvalidCount { .. } | Error::Io(_) => {}
                    other => panic!("skipping reader failed: {other}"),
                }
            }
            None
        }
        (a, b) => panic!("the parsers disagree: {a:?} vs {b:?}"),
    }
}

/// A compensated sum (the credits of an ill-conditioned game are summed without losing bits).
fn neumaier(xs: impl Iterator<Item = f64>) -> f64 {
    let (mut s, mut c) = (0.0f64, 0.0f64);
    for x in xs {
        let t = s + x;
        c += if s.abs() >= x.abs() {
            (s - t) + x
        } else {
            (x - t) + s
        };
        s = t;
    }
    s + c
}

#[test]
fn fuzz_path_csv_both_parsers_strict_and_skip() {
    let n = fuzz("paths", corpus("paths"), |input| {
        paths_agree(input, BadRows::Error);
        paths_agree(input, BadRows::Skip);
    });
    assert!(n > 0);
}

#[test]
fn fuzz_event_readers_csv_and_jsonl() {
    let n = fuzz("events", corpus("events"), |input| {
        for format in [EventFormat::Csv, EventFormat::JsonLines] {
            for bad_rows in [BadRows::Error, BadRows::Skip] {
                let o = EventOptions {
                    format: Some(format),
                    bad_rows,
                    ..EventOptions::default()
                };
                match read_events(input, &o) {
                    Ok((mut log, report)) => {
                        assert!(report.touch_rows <= report.rows);
                        let (table, journeys) = log.build(&JourneyOptions::default()).unwrap();
                        // Attributed conversions are the table's, to rounding.
                        let (c, j) = (table.totals().conversions, journeys.conversions);
                        assert!((c - j).abs() <= 1e-9 * j.max(1.0), "{c} vs {j}");
                    }
                    Err(e) if bad_rows == BadRows::Skip && format == EventFormat::JsonLines => {
                        panic!("a skipping JSON Lines reader failed: {e}")
                    }
                    Err(_) => {}
                }
            }
        }
    });
    assert!(n > 0);
}

#[test]
fn fuzz_codec_decode() {
    let seeds: Vec<Vec<u8>> = corpus("paths")
        .iter()
        .filter_map(|csv| paths_agree(csv, BadRows::Skip))
        .map(|t| codec::encode(&t))
        .collect();
    let n = fuzz("codec", seeds, |input| match codec::decode(input) {
        Ok(t) => {
            let again = codec::encode(&t);
            assert_eq!(codec::decode(&again).unwrap(), t);
        }
        Err(Error::Decode { .. }) => {}
        Err(other) => panic!("decode failed with a non-decode error: {other}"),
    });
    assert!(n > 0);
}

#[test]
fn fuzz_models_on_mutated_tables() {
    let opts = ModelOptions::default();
    let models: Vec<_> = TABLE_MODELS
        .iter()
        .map(|n| build_model(n, &opts).unwrap())
        .collect();
    let n = fuzz("models", corpus("paths"), |input| {
        let Some(t) = paths_agree(input, BadRows::Skip) else {
            return;
        };
        let totals = t.totals();
        for m in &models {
            match m.attribute(&t) {
                Ok(a) => {
                    for c in &a.channels {
                        assert!(
                            c.conversions.is_finite() && c.value.is_finite() && !c.share.is_nan(),
                            "{}: {c:?}",
                            a.model
                        );
                    }
                    // Every model but raw participation is efficient.
                    if a.model != "participation" {
                        let sum = neumaier(a.channels.iter().map(|c| c.conversions));
                        let tol = 1e-9 * totals.conversions.max(1.0);
                        assert!(
                            (sum - totals.conversions).abs() <= tol,
                            "{}: credit {sum} vs total {}",
                            a.model,
                            totals.conversions
                        );
                    }
                }
                Err(Error::NoConversions { .. } | Error::Inefficient { .. }) => {}
                Err(Error::Numerical { .. } | Error::ResourceLimit { .. }) => {}
                Err(e) => panic!("{}: unexpected error {e}", m.name()),
            }
        }
    });
    assert!(n > 0);
}

/// JSON fragments for the scanner target: escapes, surrogates, numbers, keys, nesting.
const JSON_TOKENS: &[&[u8]] = &[
    b"\\u00e9",
    b"\\ud83d",
    b"\\ude00",
    b"\\ud83d\\ude00",
    b"\\u006e",
    b"\\\"",
    b"\\/",
    b"\\x",
    b"\"x\":1,",
    b"\"channel\":\"A\",",
    b"\"user_id\":\"u9\",",
    b"\"value\":",
    b"{\"a\":[1]}",
    b"-0",
    b"1.5e-3",
    b"01",
    b"1.",
    b"\xc3\xa9",
    b"\xc3",
    b"\x00",
    b"\x0c",
    b" ",
    b"\r",
];

/// Reading `input` as JSON Lines with the scanner and with serde alone gives the same log,
/// report and error, strict and skipping.
fn jsonl_readers_agree(input: &[u8]) {
    for bad_rows in [BadRows::Error, BadRows::Skip] {
        let o = EventOptions {
            format: Some(EventFormat::JsonLines),
            bad_rows,
            ..EventOptions::default()
        };
        match (read_events(input, &o), read_events_serde_only(input, &o)) {
            (Ok((mut la, ra)), Ok((mut lb, rb))) => {
                assert_eq!(format!("{ra:?}"), format!("{rb:?}"), "the reports differ");
                let j = JourneyOptions::default();
                match (la.build(&j), lb.build(&j)) {
                    (Ok(a), Ok(b)) => assert_eq!(a, b, "the logs differ"),
                    (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string()),
                    (a, b) => panic!("the logs differ: {a:?} vs {b:?}"),
                }
            }
            (Err(ea), Err(eb)) => assert_eq!(ea.to_string(), eb.to_string(), "the errors differ"),
            (a, b) => panic!(
                "the readers disagree: {:?} vs {:?}",
                a.map(|x| x.1),
                b.map(|x| x.1)
            ),
        }
    }
}

#[test]
fn fuzz_jsonl_scanner_against_serde() {
    let mut seeds = corpus("jsonl");
    seeds.extend(
        corpus("events")
            .into_iter()
            .filter(|s| s.first() == Some(&b'{')),
    );
    // The shared mutations, then one JSON-specific splice or overwrite chosen from a hash of
    // the input (so the saved input reproduces a failure).
    let n = fuzz("jsonl", seeds, |input| {
        jsonl_readers_agree(input);
        let h = input.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| {
            (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
        });
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(h);
        let mut more = input.to_vec();
        let t = JSON_TOKENS[rng.random_range(0..JSON_TOKENS.len())];
        let i = rng.random_range(0..=more.len());
        if rng.random::<bool>() {
            more.splice(i..i, t.iter().copied());
        } else {
            let n = (more.len() - i).min(t.len());
            more.splice(i..i + n, t.iter().copied());
        }
        jsonl_readers_agree(&more);
    });
    assert!(n > 0);
}
