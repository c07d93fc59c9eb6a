//! The binary path-table codec: round trips on random tables (timed rows included), the
//! shard → encode → merge → model shape, robustness on corrupted input, and its size.

use crate::common;

use common::{arb_journeys, arb_rows, table_from, timed_table_from};
use proptest::prelude::*;
use rand::rngs::Xoshiro256PlusPlus;
use rand::{RngExt, SeedableRng};
use touchpoint::codec::{self, DecodeProblem};
use touchpoint::{
    AttributionModel, Error, FirstTouch, Linear, Outcome, PathTable, PositionBased, Shapley,
    TimeDecay,
};

/// Asserts that `b` is `a` row by row: same vocabulary in the same id order, same rows in the
/// same order, same timestamps, same outcomes to the bit.
#[track_caller]
fn assert_identical(a: &PathTable, b: &PathTable) {
    assert_eq!(a, b);
    let names = |t: &PathTable| -> Vec<String> {
        t.channels().iter().map(|(_, n)| n.to_string()).collect()
    };
    assert_eq!(names(a), names(b));
    assert_eq!(a.max_path_len(), b.max_path_len());
    assert_eq!(a.len(), b.len());
    for (x, y) in a.rows().zip(b.rows()) {
        assert_eq!(x.path, y.path);
        assert_eq!(x.times, y.times);
        assert_eq!(x.converted_at, y.converted_at);
        let bits = |o: Outcome| [o.conversions, o.value, o.nulls].map(f64::to_bits);
        assert_eq!(bits(x.outcome), bits(y.outcome));
    }
}

/// Any valid count: 0, a whole number, a fraction, a large or tiny float.
fn arb_count() -> impl Strategy<Value = f64> {
    prop_oneof![
        Just(0.0),
        (0u64..1_000).prop_map(|n| n as f64),
        (1u64 << 50..1u64 << 60).prop_map(|n| n as f64),
        (0.0f64..1e6),
        (1e-300f64..1e300),
    ]
}

/// Rows with arbitrary valid (often fractional) outcomes and unusual channel names.
fn arb_fractional_table() -> impl Strategy<Value = PathTable> {
    let names = prop::sample::select(vec!["A", "b c", "Ümlaut, ok", "x>y", "\u{1F600}", "  pad "]);
    let row = (
        prop::collection::vec(names, 1..8),
        arb_count(),
        arb_count(),
        arb_count(),
    );
    prop::collection::vec(row, 0..20).prop_map(|rows| {
        let mut t = PathTable::new();
        t.set_max_path_len(7);
        for (path, c, v, u) in rows {
            // value > 0 needs conversions > 0
            let v = if c > 0.0 { v } else { 0.0 };
            t.add(&path, Outcome::new(c, v, u)).expect("valid row");
        }
        t
    })
}

/// An untimed table plus timed journeys in one table (both kinds of rows, interleaved).
fn arb_mixed_table() -> impl Strategy<Value = PathTable> {
    (arb_rows(), arb_journeys(), any::<prop::sample::Index>()).prop_map(|(rows, journeys, at)| {
        let untimed = table_from(&rows);
        let timed = timed_table_from(&journeys);
        // Untimed rows before and after the timed ones.
        let split = at.index(rows.len() + 1);
        let mut t = table_from(&rows[..split]);
        t.merge(&timed).expect("merge");
        t.merge(&untimed).expect("merge");
        t
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn untimed_tables_round_trip(rows in arb_rows()) {
        let t = table_from(&rows);
        assert_identical(&t, &codec::decode(&codec::encode(&t)).unwrap());
    }

    #[test]
    fn fractional_tables_round_trip(t in arb_fractional_table()) {
        let bytes = codec::encode(&t);
        assert_identical(&t, &codec::decode(&bytes).unwrap());
        let mut streamed = Vec::new();
        codec::encode_into(&t, &mut streamed).unwrap();
        prop_assert_eq!(streamed, bytes);
    }

    #[test]
    fn mixed_timed_tables_round_trip(t in arb_mixed_table()) {
        prop_assert!(t.has_times());
        assert_identical(&t, &codec::decode(&codec::encode(&t)).unwrap());
    }

    /// Map-reduce: shards built separately, shipped as bytes, merged in any order give the whole
    /// table and the same attributions.
    #[test]
    fn shards_shipped_as_bytes_merge_to_the_whole(
        rows in arb_rows(),
        shard_of in prop::collection::vec(0usize..4, 13),
        order in Just([0usize, 1, 2, 3]).prop_shuffle(),
    ) {
        let whole = table_from(&rows);
        let mut shards = vec![PathTable::new(); 4];
        for (i, r) in rows.iter().enumerate() {
            shards[shard_of[i % shard_of.len()]].add(&r.path, r.outcome).unwrap();
        }
        let shipped: Vec<Vec<u8>> = shards.iter().map(codec::encode).collect();
        let mut merged = PathTable::new();
        for &s in &order {
            merged.merge(&codec::decode(&shipped[s]).unwrap()).unwrap();
        }
        prop_assert_eq!(&merged, &whole);
        // Whole-number counts: the canonical tables, hence every model's input, are identical.
        let models: [&dyn AttributionModel; 5] = [
            &Linear::default(),
            &FirstTouch,
            &PositionBased::default(),
            &TimeDecay::default(),
            &Shapley,
        ];
        for m in models {
            prop_assert_eq!(
                m.attribute(&merged.canonical()).unwrap(),
                m.attribute(&whole.canonical()).unwrap()
            );
        }
    }

    #[test]
    fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        let _ = codec::decode(&bytes);
        // Also behind a valid header, where the decoder reads further.
        let mut framed = b"TPPT\x01\x01".to_vec();
        framed.extend(&bytes);
        let _ = codec::decode(&framed);
    }

    #[test]
    fn every_truncation_is_an_error(t in arb_mixed_table()) {
        let bytes = codec::encode(&t);
        for n in 0..bytes.len() {
            let r = codec::decode(&bytes[..n]);
            prop_assert!(
                matches!(r, Err(Error::Decode { .. })),
                "prefix of {} of {} bytes decoded: {:?}", n, bytes.len(), r
            );
        }
    }

    #[test]
    fn bit_flips_give_an_error_or_a_valid_table(
        t in arb_mixed_table(),
        flips in prop::collection::vec((any::<prop::sample::Index>(), 0u8..8), 1..4),
    ) {
        let mut bytes = codec::encode(&t);
        for (at, bit) in flips {
            let i = at.index(bytes.len());
            bytes[i] ^= 1 << bit;
        }
        if let Ok(decoded) = codec::decode(&bytes) {
            // Whatever came out is a valid table: it encodes and decodes to itself.
            assert_identical(&decoded, &codec::decode(&codec::encode(&decoded)).unwrap());
        }
    }

    #[test]
    fn every_single_bit_flip_of_a_random_table_is_an_error(t in arb_mixed_table()) {
        assert_every_flip_and_cut_is_refused(&codec::encode(&t));
    }
}

/// Every single-bit flip and every proper prefix of `bytes` (a valid encoding) is a decode error.
fn assert_every_flip_and_cut_is_refused(bytes: &[u8]) -> usize {
    let mut tried = 0;
    for n in 0..bytes.len() {
        let r = codec::decode(&bytes[..n]);
        assert!(
            matches!(r, Err(Error::Decode { .. })),
            "prefix of {n} of {} bytes decoded: {r:?}",
            bytes.len()
        );
        tried += 1;
    }
    let mut bad = bytes.to_vec();
    for i in 0..bytes.len() {
        for bit in 0..8 {
            bad[i] ^= 1 << bit;
            let r = codec::decode(&bad);
            assert!(
                matches!(r, Err(Error::Decode { .. })),
                "flip of bit {bit} of byte {i} of {} decoded: {r:?}",
                bytes.len()
            );
            bad[i] ^= 1 << bit;
            tried += 1;
        }
    }
    tried
}

#[test]
fn every_single_bit_flip_and_every_truncation_of_small_tables_is_a_decode_error() {
    let mut tables = vec![PathTable::new()];
    tables.push(common::table(&[
        ("A > B", 2.0, 2.5, 1.0),
        ("B", 0.0, 0.0, 3.0),
        ("C > A > C", 1.0, 0.125, 0.0),
    ]));
    let mut timed = PathTable::new();
    timed
        .add_timed(
            ["A", "B"],
            &[-5, 1_000_000],
            Some(2_000_000),
            Outcome::converted(1.0, 9.5),
        )
        .unwrap();
    timed.add(["B"], Outcome::null(2.0)).unwrap();
    timed.intern("Unused").unwrap();
    tables.push(timed);
    let mut tried = 0;
    for t in &tables {
        let bytes = codec::encode(t);
        assert_identical(t, &codec::decode(&bytes).unwrap());
        tried += assert_every_flip_and_cut_is_refused(&bytes);
    }
    assert!(tried > 500, "{tried}");
}

#[test]
fn version_1_tables_are_still_read() {
    // Version 1 is version 2 without the checksum.
    let t = common::table(&[("A > B", 2.0, 2.5, 1.0), ("B", 0.0, 0.0, 3.0)]);
    let mut v1 = codec::encode(&t);
    v1.truncate(v1.len() - 4);
    v1[4] = 1;
    assert_identical(&t, &codec::decode(&v1).unwrap());
}

#[test]
fn empty_tables_and_unused_channels_survive() {
    let empty = PathTable::new();
    assert_identical(&empty, &codec::decode(&codec::encode(&empty)).unwrap());
    let mut t = PathTable::new();
    t.intern("Never used").unwrap();
    t.add(["Search"], Outcome::converted(1.0, 2.0)).unwrap();
    let back = codec::decode(&codec::encode(&t)).unwrap();
    assert_identical(&t, &back);
    assert!(back.channels().get("Never used").is_some());
}

#[test]
fn a_future_version_is_refused_cleanly() {
    let mut bytes = codec::encode(&PathTable::new());
    bytes[4] = codec::VERSION + 1;
    match codec::decode(&bytes) {
        Err(Error::Decode {
            offset: 4,
            problem: DecodeProblem::UnsupportedVersion { found, supported },
        }) => {
            assert_eq!((found, supported), (codec::VERSION + 1, codec::VERSION));
        }
        other => panic!("{other:?}"),
    }
}

/// Bytes of a LEB128 varint.
fn varint_len(v: u64) -> usize {
    (64 - v.max(1).leading_zeros() as usize).div_ceil(7)
}

/// Bytes of one count in a row: 0 for +0.0, a varint for whole numbers, 8 otherwise.
fn count_len(x: f64) -> usize {
    if x.to_bits() == 0 {
        0
    } else if x.fract() == 0.0 && x <= 2f64.powi(53) {
        varint_len(x as u64)
    } else {
        8
    }
}

/// A seeded table of `rows` distinct untimed paths over 30 channels, shaped like
/// ChannelAttribution's example data: lengths 1–10 (geometric, mean about 3.5 before
/// deduplication pushes it up), popular channels more frequent, 0–3 conversions worth 10.00 to
/// 200.00 each (cents), 0–20 nulls.
fn synthetic(rows: usize, seed: u64) -> PathTable {
    let names: Vec<String> = (0..30).map(|i| format!("channel_{i:02}")).collect();
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let mut t = PathTable::new();
    let mut path = Vec::new();
    while t.len() < rows {
        path.clear();
        let mut len = 1;
        while len < 10 && rng.random::<f64>() < 0.72 {
            len += 1;
        }
        for _ in 0..len {
            // min of two uniforms: channel 0 most frequent, 29 least
            let c = rng.random_range(0..30).min(rng.random_range(0..30)) as usize;
            path.push(names[c].as_str());
        }
        let conversions = rng.random_range(0..4) as f64;
        let value = if conversions > 0.0 {
            conversions * (1000 + rng.random_range(0..19_001)) as f64 / 100.0
        } else {
            0.0
        };
        let nulls = rng.random_range(0..21) as f64;
        t.add(&path, Outcome::new(conversions, value, nulls))
            .expect("valid row");
    }
    t
}

/// Encodes a synthetic table, checks the size against the format (computed independently from
/// the rows), decodes it back, and returns (bytes per row, mean path length).
fn size_check(rows: usize) -> (f64, f64) {
    let t = synthetic(rows, 42);
    let clock = std::time::Instant::now();
    let bytes = codec::encode(&t);
    let encode_s = clock.elapsed().as_secs_f64();
    // Header 6, limit 10_000 (2 bytes), channel count 1, 30 × (1 + 10) names, row count.
    let header = 6 + 2 + 1 + 30 * 11 + varint_len(rows as u64);
    let body: usize = t
        .rows()
        .map(|r| {
            let o = r.outcome;
            1 + r.path.len()
                + 1
                + count_len(o.conversions)
                + count_len(o.value)
                + count_len(o.nulls)
        })
        .sum();
    // Then the 4-byte checksum (format version 2).
    assert_eq!(bytes.len(), header + body + 4);
    let clock = std::time::Instant::now();
    let back = codec::decode(&bytes).unwrap();
    let decode_s = clock.elapsed().as_secs_f64();
    assert_eq!(back.len(), t.len());
    assert_eq!(back.totals(), t.totals());
    let per_row = bytes.len() as f64 / rows as f64;
    let mean_len = t.touch_count() as f64 / rows as f64;
    // Per row: length (1) + ids (1 each, < 128 channels) + tag (1) + conversions (0–1) + value
    // (0 or 8) + nulls (0–1): at most mean length + 12.
    assert!(per_row <= mean_len + 12.0 + 1e-9, "{per_row} bytes per row");
    println!(
        "codec: {rows} distinct paths, mean length {mean_len:.2}: {} bytes, {per_row:.2} bytes per row \
         (in memory: {:.1} bytes per row); encode {encode_s:.3} s, decode {decode_s:.3} s",
        bytes.len(),
        t.heap_bytes() as f64 / rows as f64
    );
    (per_row, mean_len)
}

#[test]
fn encoded_size_per_row_100k() {
    size_check(100_000);
}

/// The 1M-row figure of the README:
/// `cargo test --release --test suite reliability::codec:: -- --ignored --nocapture`.
#[test]
#[ignore = "1M rows: run in release with --ignored"]
fn encoded_size_per_row_1m() {
    size_check(1_000_000);
}
