//! Bit-identical results under any row order: the same multiset of path rows (or of events) in
//! any order, any sharding and any thread count gives byte-identical JSON for every model of
//! `registry::TABLE_MODELS` and every bootstrap interval.

use proptest::prelude::*;
use touchpoint::bootstrap::Bootstrap;
use touchpoint::events::{EventOptions, JourneyOptions};
use touchpoint::formats::{PathCsvOptions, read_paths, read_paths_into};
use touchpoint::pipeline::{Input, load};
use touchpoint::registry::{ModelOptions, TABLE_MODELS, build_model};
use touchpoint::{Outcome, PathTable};

const HEADER: &str = "path,total_conversions,total_conversion_value,total_null\n";

/// Every model's JSON (or error message) on `t`, in registry order.
fn results(t: &PathTable) -> Vec<String> {
    let opts = ModelOptions::default();
    TABLE_MODELS
        .iter()
        .map(|name| {
            let model = build_model(name, &opts).unwrap();
            match model.attribute(t) {
                Ok(a) => serde_json::to_string(&a).unwrap(),
                Err(e) => format!("error: {e}"),
            }
        })
        .collect()
}

/// Every model's bootstrap intervals as JSON.
fn intervals(t: &PathTable) -> Vec<String> {
    let opts = ModelOptions::default();
    let boot = Bootstrap {
        replicates: 6,
        seed: 11,
        ..Bootstrap::default()
    };
    TABLE_MODELS
        .iter()
        .map(|name| {
            let model = build_model(name, &opts).unwrap();
            match boot.run(model.as_ref(), t) {
                Ok(ci) => serde_json::to_string(&ci).unwrap(),
                Err(e) => format!("error: {e}"),
            }
        })
        .collect()
}

fn on_threads<T: Send>(n: usize, f: impl FnOnce() -> T + Send) -> T {
    rayon::ThreadPoolBuilder::new()
        .num_threads(n)
        .build()
        .unwrap()
        .install(f)
}

/// A path CSV read as the `attribute` command reads it (`pipeline::load`: canonical order).
fn load_paths(text: String) -> PathTable {
    load(Input::PathReader {
        reader: Box::new(std::io::Cursor::new(text.into_bytes())),
        options: PathCsvOptions::default(),
    })
    .unwrap()
    .table
}

fn csv(lines: &[String]) -> String {
    let mut s = HEADER.to_string();
    for l in lines {
        s.push_str(l);
        s.push('\n');
    }
    s
}

/// Path rows with duplicates, fractional values and counts of very different sizes.
fn arb_lines() -> impl Strategy<Value = Vec<String>> {
    let names = ["Search", "Email", "Direct", "Display", "Social"];
    let row = (
        prop::collection::vec(0usize..names.len(), 1..5),
        0u32..4,
        0u32..100_000,
        prop::sample::select(vec![0.0, 1.0, 3.0, 1e6, 0.5]),
    )
        .prop_map(move |(path, c, cents, u)| {
            let p: Vec<&str> = path.iter().map(|&i| names[i]).collect();
            let v = if c == 0 {
                0.0
            } else {
                f64::from(cents) / 100.0
            };
            let u = if c == 0 && u == 0.0 { 1.0 } else { u };
            format!("{},{c},{v},{u}", p.join(" > "))
        });
    prop::collection::vec(row, 1..40)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    #[test]
    fn shuffled_and_sharded_path_rows_give_byte_identical_results(
        (lines, shuffled) in arb_lines().prop_flat_map(|l| (Just(l.clone()), Just(l).prop_shuffle())),
        shards in 1usize..5,
    ) {
        let o = PathCsvOptions::default();
        let a = load_paths(csv(&lines));
        let b = load_paths(csv(&shuffled));
        // Shards read into one table, and shards read apart and merged in reverse order.
        let mut c = PathTable::new();
        let mut parts = Vec::new();
        for s in 0..shards {
            let part: Vec<String> = shuffled.iter().skip(s).step_by(shards).cloned().collect();
            read_paths_into(csv(&part).as_bytes(), &o, &mut c).unwrap();
            parts.push(read_paths(csv(&part).as_bytes(), &o).unwrap().0);
        }
        c.canonicalize();
        let mut d = PathTable::new();
        for p in parts.iter().rev() {
            d.merge(p).unwrap();
        }
        d.canonicalize();
        let expected = on_threads(2, || results(&a));
        prop_assert_eq!(&on_threads(1, || results(&b)), &expected);
        prop_assert_eq!(&on_threads(3, || results(&c)), &expected);
        prop_assert_eq!(&results(&d), &expected);
        let ci = on_threads(2, || intervals(&a));
        prop_assert_eq!(&on_threads(1, || intervals(&b)), &ci);
        prop_assert_eq!(&intervals(&d), &ci);
    }

    #[test]
    fn shuffled_events_give_byte_identical_results(
        (lines, shuffled) in arb_events().prop_flat_map(|l| (Just(l.clone()), Just(l).prop_shuffle())),
    ) {
        let head = "user_id,timestamp,channel,conversion,value\n";
        let build = |lines: &[String]| {
            let text = format!("{head}{}", lines.concat());
            match load(Input::EventReader {
                reader: Box::new(std::io::Cursor::new(text.into_bytes())),
                read: EventOptions::default(),
                journeys: JourneyOptions::default(),
            }) {
                Ok(l) => l.table,
                // Every conversion before any touch: no table (the same for both orders).
                Err(_) => PathTable::new(),
            }
        };
        let (a, b) = (build(&lines), build(&shuffled));
        let expected = on_threads(2, || results(&a));
        prop_assert_eq!(&on_threads(1, || results(&b)), &expected);
        prop_assert_eq!(&on_threads(2, || intervals(&b)), &on_threads(3, || intervals(&a)));
    }
}

/// Event rows of a few users, every event of a user at its own second (ties of one user at one
/// instant keep their file order by design, so the shuffle test avoids them).
fn arb_events() -> impl Strategy<Value = Vec<String>> {
    let names = ["Search", "Email", "Direct", "Display"];
    prop::collection::vec((0u32..6, 0usize..names.len(), 0u32..4, 1u32..5000), 1..40).prop_map(
        move |evs| {
            evs.iter()
                .enumerate()
                .map(|(i, &(user, ch, kind, cents))| {
                    // Distinct times: the index keeps every (user, time) unique.
                    let t = 1_704_067_200 + 3600 * (i as u64 % 7) + i as u64;
                    if kind == 0 {
                        format!("u{user},{t},,1,{}\n", f64::from(cents) / 100.0)
                    } else {
                        format!("u{user},{t},{},0,\n", names[ch])
                    }
                })
                .collect()
        },
    )
}

#[test]
fn duplicate_paths_sum_to_the_same_bits_in_any_order() {
    // 0.1 + 0.2 + 0.3 rounds differently by order; the table keeps the exact sum.
    let vals = [0.1, 0.2, 0.3, 1e-3, 7.77];
    let mut sums = Vec::new();
    for perm in [[0, 1, 2, 3, 4], [4, 3, 2, 1, 0], [2, 0, 4, 1, 3]] {
        let mut t = PathTable::new();
        for i in perm {
            t.add(["A"], Outcome::converted(1.0, vals[i])).unwrap();
        }
        sums.push(t.row(0).outcome.value.to_bits());
    }
    assert!(sums.windows(2).all(|w| w[0] == w[1]), "{sums:?}");
    assert_eq!(f64::from_bits(sums[0]), 8.371);
}
