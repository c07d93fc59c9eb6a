//! Seeded synthetic path tables with a realistic shape, shared by the examples, the benches
//! and the tests.
//!
//! The generator draws one journey at a time:
//!
//! * **channels** by Zipf-like popularity: channel `i` (0-based) is chosen with probability
//!   ∝ `1/(i+1)^s` (`s` = [`SynthConfig::zipf_exponent`]); with probability
//!   [`SynthConfig::repeat_prob`] a touch repeats the previous channel (`Email > Email`);
//! * **path length** geometric with mean [`SynthConfig::mean_path_len`], cut at
//!   [`SynthConfig::max_path_len`];
//! * **conversion** with probability `min(0.95, rate · Σ_t s(x_t) / mean_len)`, where each
//!   channel has its own propensity `s` (log-normal, normalised to mean 1 over touches), so
//!   longer paths and strong channels convert more and the overall rate stays near
//!   [`SynthConfig::conversion_rate`];
//! * **value** log-normal with median [`SynthConfig::median_value`] and log-sd
//!   [`SynthConfig::value_sigma`], rounded to whole units (so sums are exact in `f64`).
//!
//! The random generator is xoshiro256++ seeded by SplitMix64, written out here so that the same
//! seed gives the same table on every platform and every version of the dependencies.
//!
//! ```
//! use touchpoint::synth::{SynthConfig, SynthSize, generate};
//! let cfg = SynthConfig {
//!     size: SynthSize::DistinctPaths(500),
//!     channels: 6,
//!     seed: 7,
//!     ..SynthConfig::default()
//! };
//! let table = generate(&cfg)?;
//! assert_eq!(table.len(), 500);
//! assert_eq!(table.channels().len(), 6);
//! assert_eq!(generate(&cfg)?, table); // same seed, same table
//! # Ok::<(), touchpoint::Error>(())
//! ```

use std::io::Write;

use serde::{Deserialize, Serialize};

use crate::channel::ChannelId;
use crate::error::{Error, Result};
use crate::formats::write_paths;
use crate::outcome::Outcome;
use crate::table::PathTable;

/// Readable names of the first channels, most popular first; further channels are called
/// `Channel 17`, `Channel 18`, …
pub const CHANNEL_NAMES: [&str; 16] = [
    "Paid Search",
    "Organic Search",
    "Email",
    "Direct",
    "Display",
    "Social",
    "Affiliate",
    "Referral",
    "Video",
    "Paid Social",
    "SMS",
    "Push",
    "Podcast",
    "Print",
    "TV",
    "Radio",
];

/// The name of synthetic channel `i` (0-based).
pub fn channel_name(i: usize) -> String {
    match CHANNEL_NAMES.get(i) {
        Some(name) => (*name).to_string(),
        None => format!("Channel {}", i + 1),
    }
}

/// How much to generate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum SynthSize {
    /// Draw journeys until the table has this many distinct paths (rows).
    DistinctPaths(usize),
    /// Draw exactly this many journeys (the table has fewer rows: equal paths are summed).
    Journeys(u64),
}

/// Parameters of the synthetic generator (see the [module docs](self) for the model).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SynthConfig {
    /// How much to generate (default 10,000 distinct paths).
    pub size: SynthSize,
    /// Number of channels (default 8).
    pub channels: usize,
    /// Mean number of touches per journey, ≥ 1 (default 4).
    pub mean_path_len: f64,
    /// Longest path generated; longer draws are cut (default 40).
    pub max_path_len: usize,
    /// Approximate share of journeys that convert, in (0, 1) (default 0.05).
    pub conversion_rate: f64,
    /// Median conversion value, > 0 (default 60).
    pub median_value: f64,
    /// Log-standard deviation of conversion value, ≥ 0 (default 0.8).
    pub value_sigma: f64,
    /// Zipf exponent of channel popularity, ≥ 0; 0 = all channels equally popular (default 1).
    pub zipf_exponent: f64,
    /// Probability that a touch repeats the previous channel, in [0, 1) (default 0.2).
    pub repeat_prob: f64,
    /// Seed of the random generator (default 42).
    pub seed: u64,
}

impl Default for SynthConfig {
    fn default() -> Self {
        SynthConfig {
            size: SynthSize::DistinctPaths(10_000),
            channels: 8,
            mean_path_len: 4.0,
            max_path_len: 40,
            conversion_rate: 0.05,
            median_value: 60.0,
            value_sigma: 0.8,
            zipf_exponent: 1.0,
            repeat_prob: 0.2,
            seed: 42,
        }
    }
}

impl SynthConfig {
    /// Checks the parameters.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming the first parameter out of its domain.
    pub fn validate(&self) -> Result<()> {
        let bad = |name, reason: String| {
            Err(Error::InvalidParameter {
                model: "synth",
                name,
                reason,
            })
        };
        let c = self;
        if c.channels == 0 {
            return bad("channels", "must be >= 1".into());
        }
        if !(c.mean_path_len.is_finite() && c.mean_path_len >= 1.0) {
            return bad("mean_path_len", format!("{} must be >= 1", c.mean_path_len));
        }
        if c.max_path_len == 0 {
            return bad("max_path_len", "must be >= 1".into());
        }
        if !(c.conversion_rate > 0.0 && c.conversion_rate < 1.0) {
            return bad(
                "conversion_rate",
                format!("{} must be in (0, 1)", c.conversion_rate),
            );
        }
        if !(c.median_value.is_finite() && c.median_value > 0.0) {
            return bad("median_value", format!("{} must be > 0", c.median_value));
        }
        if !(c.value_sigma.is_finite() && c.value_sigma >= 0.0) {
            return bad("value_sigma", format!("{} must be >= 0", c.value_sigma));
        }
        if !(c.zipf_exponent.is_finite() && c.zipf_exponent >= 0.0) {
            return bad("zipf_exponent", format!("{} must be >= 0", c.zipf_exponent));
        }
        if !(c.repeat_prob >= 0.0 && c.repeat_prob < 1.0) {
            return bad(
                "repeat_prob",
                format!("{} must be in [0, 1)", c.repeat_prob),
            );
        }
        if c.size == SynthSize::DistinctPaths(0) || c.size == SynthSize::Journeys(0) {
            return bad("size", "must be >= 1".into());
        }
        Ok(())
    }
}

/// Generates the table `cfg` describes. Rows are in order of first appearance; channel ids
/// follow popularity (id 0 is the most popular channel).
///
/// # Errors
/// [`Error::InvalidParameter`] for an invalid configuration, or when
/// [`SynthSize::DistinctPaths`] asks for more distinct paths than the configuration can
/// produce in a reasonable number of draws (few channels and short paths).
///
/// # Complexity
/// O(J · L) time for J journeys of mean length L (about 3 journeys per distinct path for
/// 1,000,000 paths over 30 channels of mean length 4), memory of the table.
pub fn generate(cfg: &SynthConfig) -> Result<PathTable> {
    let mut synth = Synth::new(cfg)?;
    let mut table = PathTable::new();
    table.set_max_path_len(cfg.max_path_len);
    let ids = synth
        .channel_names()
        .iter()
        .map(|name| table.intern(name))
        .collect::<Result<Vec<ChannelId>>>()?;
    let mut path = Vec::new();
    let mut path_ids = Vec::new();
    let mut add = |synth: &mut Synth, table: &mut PathTable| -> Result<()> {
        let outcome = synth.next_journey(&mut path);
        path_ids.clear();
        path_ids.extend(path.iter().map(|&i| ids[i]));
        table.add_ids(&path_ids, outcome).map(|_| ())
    };
    match cfg.size {
        SynthSize::Journeys(n) => {
            for _ in 0..n {
                add(&mut synth, &mut table)?;
            }
        }
        SynthSize::DistinctPaths(n) => {
            // Far more draws than any reachable target needs (about 3 per path at 1M paths).
            let budget = (n as u64).saturating_mul(200).saturating_add(100_000);
            let mut drawn = 0u64;
            while table.len() < n {
                if drawn == budget {
                    return Err(Error::InvalidParameter {
                        model: "synth",
                        name: "size",
                        reason: format!(
                            "{n} distinct paths not reached after {drawn} journeys ({} found): \
                             use more channels or longer paths",
                            table.len()
                        ),
                    });
                }
                add(&mut synth, &mut table)?;
                drawn += 1;
            }
        }
    }
    Ok(table)
}

/// Generates the table `cfg` describes and writes it as ChannelAttribution CSV (see
/// [`write_paths`]: rows in canonical order, paths joined with ` > `). Returns the table.
///
/// # Errors
/// As [`generate`], and [`Error::Io`] when writing fails.
pub fn write_csv<W: Write>(cfg: &SynthConfig, out: W) -> Result<PathTable> {
    let table = generate(cfg)?;
    write_paths(&table, out)?;
    Ok(table)
}

/// The journey generator behind [`generate`]: one journey at a time, as channel indices
/// (`0..channels`, into [`Synth::channel_names`]) and an outcome of one journey.
#[derive(Clone, Debug)]
pub struct Synth {
    rng: Xoshiro256pp,
    names: Vec<String>,
    /// Cumulative popularity, ending at 1.
    cumulative: Vec<f64>,
    /// Conversion propensity per channel, mean 1 over touches.
    strength: Vec<f64>,
    /// ln(1 - 1/mean_len), or 0 for mean_len = 1.
    ln_continue: f64,
    cfg: SynthConfig,
}

impl Synth {
    /// A generator for `cfg`.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for an invalid configuration.
    pub fn new(cfg: &SynthConfig) -> Result<Synth> {
        cfg.validate()?;
        let mut rng = Xoshiro256pp::seed_from_u64(cfg.seed);
        let k = cfg.channels;
        let popularity: Vec<f64> = (0..k)
            .map(|i| ((i + 1) as f64).powf(-cfg.zipf_exponent))
            .collect();
        let total: f64 = popularity.iter().sum();
        let mut acc = 0.0;
        let mut cumulative: Vec<f64> = popularity
            .iter()
            .map(|p| {
                acc += p / total;
                acc
            })
            .collect();
        if let Some(last) = cumulative.last_mut() {
            *last = 1.0;
        }
        let mut strength: Vec<f64> = (0..k).map(|_| (0.6 * rng.normal()).exp()).collect();
        let mean: f64 = strength
            .iter()
            .zip(&popularity)
            .map(|(s, p)| s * p / total)
            .sum();
        strength.iter_mut().for_each(|s| *s /= mean);
        let q = 1.0 / cfg.mean_path_len;
        Ok(Synth {
            rng,
            names: (0..k).map(channel_name).collect(),
            cumulative,
            strength,
            ln_continue: if q < 1.0 { (1.0 - q).ln() } else { 0.0 },
            cfg: cfg.clone(),
        })
    }

    /// Channel names, by index.
    pub fn channel_names(&self) -> &[String] {
        &self.names
    }

    /// Draws one journey: fills `path` with channel indices and returns its outcome
    /// (`Outcome::converted(1, value)` or `Outcome::null(1)`).
    pub fn next_journey(&mut self, path: &mut Vec<usize>) -> Outcome {
        path.clear();
        let len = self.path_len();
        let mut strength = 0.0;
        for t in 0..len {
            let ch = match path.last() {
                Some(&prev) if t > 0 && self.rng.uniform() < self.cfg.repeat_prob => prev,
                _ => self.channel(),
            };
            strength += self.strength[ch];
            path.push(ch);
        }
        let p = (self.cfg.conversion_rate * strength / self.cfg.mean_path_len).min(0.95);
        if self.rng.uniform() < p {
            let z = self.rng.normal();
            let value = (self.cfg.median_value * (self.cfg.value_sigma * z).exp())
                .round()
                .max(1.0);
            Outcome::converted(1.0, value)
        } else {
            Outcome::null(1.0)
        }
    }

    fn path_len(&mut self) -> usize {
        if self.ln_continue == 0.0 {
            return 1;
        }
        // Geometric on {1, 2, …} with P(stop) = 1/mean: 1 + ⌊ln U / ln(1 - q)⌋, U in (0, 1].
        let u = 1.0 - self.rng.uniform();
        let extra = (u.ln() / self.ln_continue).floor();
        // `extra` is finite and ≥ 0 (ln U ≤ 0, ln_continue < 0); the cast saturates.
        (1 + extra as usize).min(self.cfg.max_path_len)
    }

    fn channel(&mut self) -> usize {
        let u = self.rng.uniform();
        self.cumulative
            .partition_point(|&c| c <= u)
            .min(self.cumulative.len() - 1)
    }
}

/// xoshiro256++ (Blackman and Vigna), seeded through SplitMix64.
#[derive(Clone, Debug)]
struct Xoshiro256pp {
    s: [u64; 4],
}

impl Xoshiro256pp {
    fn seed_from_u64(mut seed: u64) -> Self {
        let mut split_mix = || {
            seed = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = seed;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        };
        Xoshiro256pp {
            s: [split_mix(), split_mix(), split_mix(), split_mix()],
        }
    }

    fn next_u64(&mut self) -> u64 {
        let s = &mut self.s;
        let result = s[0].wrapping_add(s[3]).rotate_left(23).wrapping_add(s[0]);
        let t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = s[3].rotate_left(45);
        result
    }

    /// Uniform in [0, 1) with 53 random bits.
    fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Standard normal (Box–Muller, one of the pair).
    fn normal(&mut self) -> f64 {
        let u1 = 1.0 - self.uniform(); // (0, 1]
        let u2 = self.uniform();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xoshiro_matches_the_reference_stream() {
        // s = {1, 2, 3, 4}: the first output is rotl(1 + 4, 23) + 1 = 5·2^23 + 1 = 41943041;
        // the next two come from a Python transcription of xoshiro256plusplus.c.
        let mut r = Xoshiro256pp { s: [1, 2, 3, 4] };
        assert_eq!(r.next_u64(), 41_943_041);
        assert_eq!(r.next_u64(), 58_720_359);
        assert_eq!(r.next_u64(), 3_588_806_011_781_223);
    }

    #[test]
    fn same_seed_same_table_other_seed_other_table() {
        let cfg = SynthConfig {
            size: SynthSize::Journeys(5_000),
            ..SynthConfig::default()
        };
        let a = generate(&cfg).unwrap();
        assert_eq!(a, generate(&cfg).unwrap());
        let b = generate(&SynthConfig { seed: 43, ..cfg }).unwrap();
        assert_ne!(a, b);
    }

    #[test]
    fn shape_is_roughly_what_was_asked() {
        let cfg = SynthConfig {
            size: SynthSize::Journeys(200_000),
            channels: 10,
            mean_path_len: 3.0,
            conversion_rate: 0.1,
            median_value: 50.0,
            ..SynthConfig::default()
        };
        let t = generate(&cfg).unwrap();
        let totals = t.totals();
        assert_eq!(totals.journeys(), 200_000.0);
        let rate = totals.conversions / totals.journeys();
        assert!((0.07..0.13).contains(&rate), "conversion rate {rate}");
        let touches: f64 = t
            .rows()
            .map(|r| r.path.len() as f64 * r.outcome.journeys())
            .sum();
        let mean_len = touches / totals.journeys();
        assert!((2.8..3.2).contains(&mean_len), "mean length {mean_len}");
        // Values are whole units, so the sum is exact.
        assert_eq!(totals.value.fract(), 0.0);
        let mean_value = totals.value / totals.conversions;
        // Log-normal mean = median · e^{σ²/2} = 50 · e^{0.32} ≈ 68.9.
        assert!(
            (60.0..78.0).contains(&mean_value),
            "mean value {mean_value}"
        );
        // Zipf: the first channel is touched more often than the last.
        let mut count = [0.0; 10];
        for r in t.rows() {
            for id in r.path {
                count[id.index()] += r.outcome.journeys();
            }
        }
        assert!(count[0] > 3.0 * count[9], "{count:?}");
    }

    #[test]
    fn distinct_path_target_is_met_exactly() {
        let cfg = SynthConfig {
            size: SynthSize::DistinctPaths(3_000),
            channels: 30,
            ..SynthConfig::default()
        };
        let t = generate(&cfg).unwrap();
        assert_eq!(t.len(), 3_000);
        assert_eq!(t.channels().name(ChannelId(0)), "Paid Search");
        assert!(t.channels().get("Channel 30").is_some());
    }

    #[test]
    fn unreachable_target_is_an_error_not_a_hang() {
        // One channel, paths of length 1..=3: only 3 distinct paths exist.
        let cfg = SynthConfig {
            size: SynthSize::DistinctPaths(4),
            channels: 1,
            max_path_len: 3,
            ..SynthConfig::default()
        };
        assert!(matches!(
            generate(&cfg),
            Err(Error::InvalidParameter { .. })
        ));
    }

    #[test]
    fn invalid_configs_are_refused() {
        let ok = SynthConfig::default();
        for bad in [
            SynthConfig {
                channels: 0,
                ..ok.clone()
            },
            SynthConfig {
                mean_path_len: 0.5,
                ..ok.clone()
            },
            SynthConfig {
                mean_path_len: f64::NAN,
                ..ok.clone()
            },
            SynthConfig {
                conversion_rate: 1.0,
                ..ok.clone()
            },
            SynthConfig {
                median_value: 0.0,
                ..ok.clone()
            },
            SynthConfig {
                value_sigma: -1.0,
                ..ok.clone()
            },
            SynthConfig {
                repeat_prob: 1.0,
                ..ok.clone()
            },
            SynthConfig {
                size: SynthSize::Journeys(0),
                ..ok.clone()
            },
        ] {
            assert!(bad.validate().is_err(), "{bad:?}");
        }
        assert!(ok.validate().is_ok());
    }

    #[test]
    fn mean_length_one_gives_single_touch_paths() {
        let cfg = SynthConfig {
            size: SynthSize::Journeys(1_000),
            mean_path_len: 1.0,
            ..SynthConfig::default()
        };
        assert!(generate(&cfg).unwrap().rows().all(|r| r.path.len() == 1));
    }
}
