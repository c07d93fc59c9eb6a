//! Sampled estimates against exact values.

use super::*;

// ---------------------------------------------------------------------------------------------
// Sampling against exact values
// ---------------------------------------------------------------------------------------------

/// A seeded table over `channels` channels (xorshift): paths of 1–5 touches, every channel
/// pair appears, conversion counts vary with the channels present.
fn seeded_table(channels: usize, rows: usize, seed: u64) -> PathTable {
    let mut x = seed | 1;
    let mut next = move |n: usize| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        (x % n as u64) as usize
    };
    let names: Vec<String> = (0..channels).map(|i| format!("k{i:02}")).collect();
    let mut t = PathTable::new();
    for _ in 0..rows {
        let len = 1 + next(5);
        let path: Vec<&str> = (0..len).map(|_| names[next(channels)].as_str()).collect();
        let conv = next(4) as f64;
        t.add(
            path,
            Outcome::new(conv, conv * (1 + next(20)) as f64, next(6) as f64),
        )
        .unwrap();
    }
    t
}

/// Sampled credit within 4 standard errors of the exact credit, for conversions and value.
fn assert_within_4_se(exact: &Attribution, sampled: &Attribution) {
    for c in &exact.channels {
        let se = extra_f64(sampled, "standard_error", &c.channel);
        let se_v = extra_f64(sampled, "value_standard_error", &c.channel);
        let (s, sv) = (sampled.conversions(&c.channel), sampled.value(&c.channel));
        assert!(
            (s - c.conversions).abs() <= 4.0 * se + 1e-12,
            "{} {}: {s} vs {} (se {se})",
            exact.model,
            c.channel,
            c.conversions
        );
        assert!(
            (sv - c.value).abs() <= 4.0 * se_v + 1e-9,
            "{} {}: {sv} vs {} (se {se_v})",
            exact.model,
            c.channel,
            c.value
        );
    }
}

#[test]
fn global_sampled_within_four_standard_errors() {
    for seed in [1u64, 2, 3] {
        let t = seeded_table(7, 60, seed);
        let exact = ShapleyGlobal::default().attribute(&t).unwrap();
        let sampled = ShapleyGlobal {
            max_exact_channels: 0,
            samples: 600,
            seed,
        }
        .attribute(&t)
        .unwrap();
        assert_eq!(sampled.extras["method"], "sampled");
        assert!(extra_f64(&sampled, "standard_error", "k00") > 0.0);
        assert_within_4_se(&exact, &sampled);
    }
}

#[test]
fn rate_sampled_within_four_standard_errors() {
    for seed in [4u64, 5, 6] {
        let t = seeded_table(7, 60, seed);
        let exact = ShapleyRate::default().attribute(&t).unwrap();
        let sampled = ShapleyRate {
            max_exact_channels: 2,
            samples: 600,
            seed,
        }
        .attribute(&t)
        .unwrap();
        assert!(sampled.extras["sampled_sets"].as_u64().unwrap() > 0);
        assert_within_4_se(&exact, &sampled);
    }
}

#[test]
fn large_sets_are_sampled_and_never_truncated() {
    // One journey over 21 channels (above the default exact limit of 20) and a few sub-journeys:
    // every channel keeps some credit (DP6 would keep only the alphabetically last 4).
    let names: Vec<String> = (0..21).map(|i| format!("c{i:02}")).collect();
    let mut t = PathTable::new();
    t.add(names.iter(), Outcome::new(3.0, 30.0, 1.0)).unwrap();
    t.add(names[..3].iter(), Outcome::new(1.0, 5.0, 4.0))
        .unwrap();
    t.add(names[17..].iter(), Outcome::new(0.0, 0.0, 2.0))
        .unwrap();
    let a = ShapleyRate::default().attribute(&t).unwrap();
    assert_eq!(a.extras["sampled_sets"], 1);
    assert_eq!(a.extras["largest_set"], 21);
    assert!(close(a.credited_conversions(), 4.0));
    assert!(close(a.credited_value(), 35.0));
    for n in &names {
        assert!(a.conversions(n) != 0.0, "{n} lost its credit");
    }
    // The same with the sampling threshold raised to 21: exact, and the sample agrees.
    let exact = ShapleyRate {
        max_exact_channels: 21,
        ..Default::default()
    }
    .attribute(&t)
    .unwrap();
    assert_eq!(exact.extras["sampled_sets"], 0);
    assert_within_4_se(&exact, &a);
}

#[test]
fn global_game_beyond_64_channels_is_sampled() {
    // 70 channels: sets are keyed by id lists and the game is sampled; still efficient.
    let t = seeded_table(70, 200, 11);
    let a = ShapleyGlobal::default().attribute(&t).unwrap();
    assert_eq!(a.extras["method"], "sampled");
    let o = t.totals();
    assert!(close(a.credited_conversions(), o.conversions));
    assert!(close(a.credited_value(), o.value));
    let again = ShapleyGlobal::default().attribute(&t).unwrap();
    assert_eq!(a, again, "seeded: the same every run");
}
