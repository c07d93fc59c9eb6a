//! The map-reduce shape and parallel determinism, for every model of the registry:
//! a table split into K shards, built separately and merged in any order, gives the same
//! attribution as the whole table; results do not depend on the number of threads.

use proptest::prelude::*;
use touchpoint::registry::{ModelOptions, TABLE_MODELS, build_model};
use touchpoint::synth::{SynthConfig, SynthSize, generate};
use touchpoint::{Attribution, PathTable};

fn synthetic(rows: usize, channels: usize, seed: u64) -> PathTable {
    generate(&SynthConfig {
        size: SynthSize::DistinctPaths(rows),
        channels,
        seed,
        ..SynthConfig::default()
    })
    .expect("valid synthetic configuration")
}

/// Every model of the registry on `t` (Markov at order 1; its other orders are in tests/markov.rs).
fn all(t: &PathTable) -> Vec<Attribution> {
    let opts = ModelOptions::default();
    TABLE_MODELS
        .iter()
        .map(|n| build_model(n, &opts).unwrap().attribute(t).unwrap())
        .collect()
}

fn assert_same(a: &[Attribution], b: &[Attribution], tol: f64) {
    assert_eq!(a.len(), b.len());
    for (x, y) in a.iter().zip(b) {
        assert_eq!(x.model, y.model);
        assert_eq!(x.channels.len(), y.channels.len(), "{}", x.model);
        for (p, q) in x.channels.iter().zip(&y.channels) {
            assert_eq!(p.channel, q.channel);
            for (u, v) in [(p.conversions, q.conversions), (p.value, q.value)] {
                assert!(
                    (u - v).abs() <= tol * u.abs().max(v.abs()).max(1.0),
                    "{} {}: {u} vs {v}",
                    x.model,
                    p.channel
                );
            }
        }
    }
}

/// Splits `t` into `k` shards by a seeded assignment of rows, merges them in `order`.
fn shard_and_merge(t: &PathTable, k: usize, seed: u64, order: &[usize]) -> PathTable {
    let mut shards = vec![PathTable::new(); k];
    let mut s = seed | 1;
    for row in t.rows() {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        let names: Vec<&str> = row.path.iter().map(|&id| t.channels().name(id)).collect();
        shards[(s % k as u64) as usize]
            .add(&names, row.outcome)
            .unwrap();
    }
    let mut merged = PathTable::new();
    for &i in order {
        merged.merge(&shards[i]).unwrap();
    }
    merged
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(12))]

    /// Any sharding, merged in any order: the same table, the same attributions (to 1e-12:
    /// only the association of floating-point sums may differ).
    #[test]
    fn shards_merged_in_any_order_give_the_same_attribution(
        k in 1usize..6,
        seed in any::<u64>(),
        rotate in 0usize..6,
    ) {
        let whole = synthetic(400, 6, 11);
        let mut order: Vec<usize> = (0..k).collect();
        order.rotate_left(rotate % k);
        order.reverse();
        let merged = shard_and_merge(&whole, k, seed, &order);
        prop_assert!(merged == whole);
        assert_same(&all(&whole), &all(&merged), 1e-12);
    }
}

/// The thread count changes no digit: the same table on 1 and 4 threads gives bit-identical
/// attributions for every model (large enough to be cut into several chunks).
#[test]
fn results_do_not_depend_on_the_thread_count() {
    let t = synthetic(40_000, 12, 3);
    let run = |threads: usize| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| all(&t))
    };
    let one = run(1);
    let four = run(4);
    assert_eq!(one, four);
}

/// Reading a CSV in parallel chunks gives the same rows in the same order on any thread count.
#[test]
fn parallel_ingestion_is_deterministic() {
    let t = synthetic(60_000, 12, 5);
    let mut csv = Vec::new();
    touchpoint::formats::write_paths(&t, &mut csv).unwrap();
    assert!(csv.len() > 2 << 20, "several chunks");
    let read = |threads: usize| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| {
                touchpoint::formats::read_paths(&csv[..], &Default::default())
                    .unwrap()
                    .0
            })
    };
    let (a, b) = (read(1), read(3));
    assert_eq!(a.to_named_rows(), b.to_named_rows());
    assert!(a == t);
}
