//! Seeded synthetic path tables with a realistic shape, shared by the examples, the benches
//! and the tests.
//!
//! The generator draws one journey at a time:
//!
//! * **touch keys** by Zipf-like popularity: channel `i` (0-based) is chosen with probability
//!   ∝ `1/(i+1)^s` (`s` = [`SynthConfig::zipf_exponent`]); with
//!   [`SynthConfig::campaigns`] = N > 0 the keys are N campaigns `Channel/cJ`, spread over the
//!   channels in proportion to their popularity (each channel has at least one), the J-th
//!   campaign of a channel having weight ∝ `1/J^s` within it; with probability
//!   [`SynthConfig::repeat_prob`] a touch repeats the previous key (`Email > Email`);
//! * **campaign themes** (with campaigns and [`SynthConfig::campaign_stickiness`] = P > 0): a
//!   campaign name `cJ` is shared by every channel that has at least J campaigns, and each
//!   journey draws a theme J (the campaign of a key drawn by popularity). A touch that does not
//!   repeat the previous key keeps the theme with probability P, as a key `Channel/cJ` whose
//!   channel is drawn by popularity among the channels that have `cJ`, and is otherwise drawn
//!   by popularity as without themes. Real campaign logs look like this (a journey stays
//!   within one or a few campaigns), and their order-1 chains are sparse: with P = 0 (the
//!   default) every touch is independent and a chain of 10,000 keys has a successor median in
//!   the nineties;
//! * **path length** 1 + geometric (failures before a success of probability 1/mean) with mean
//!   [`SynthConfig::mean_path_len`], cut at [`SynthConfig::max_path_len`];
//! * **conversion** with probability `min(0.95, rate · Σ_t s(x_t) / mean_len)`, where each
//!   key has its own propensity `s` (log-normal with log-sd 0.6 per channel, times a log-normal
//!   of log-sd 0.3 per campaign, normalised to mean 1 over touches), so longer paths and strong
//!   keys convert more and the overall rate stays near [`SynthConfig::conversion_rate`];
//! * **value** log-normal with median [`SynthConfig::median_value`] and log-sd
//!   [`SynthConfig::value_sigma`], rounded to whole units (so sums are exact in `f64`).
//!
//! Randomness is rand's `Xoshiro256PlusPlus` seeded with `seed_from_u64`, with rand's and
//! rand_distr's distributions (`WeightedIndex`, `Geometric`, `LogNormal`, `Bernoulli`): the same
//! seed gives the same table on every platform. A test pins the bytes of the bundled sample,
//! so a dependency update that changed the stream would be noticed.
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

use rand::distr::weighted::WeightedIndex;
use rand::rngs::Xoshiro256PlusPlus;
use rand::{RngExt, SeedableRng};
use rand_distr::{Distribution, Geometric, LogNormal};
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
    /// Campaigns: 0 (default) makes the channels the touch keys; N ≥ `channels` makes N
    /// campaign keys `Channel/cJ` (see the [module docs](self)), for tables with thousands of
    /// distinct keys.
    #[serde(default)]
    pub campaigns: usize,
    /// Probability in [0, 1] that a touch keeps its journey's campaign theme (see the
    /// [module docs](self)); needs `campaigns`. 0 (default) draws every touch independently,
    /// exactly as before the option existed.
    #[serde(default)]
    pub campaign_stickiness: f64,
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
            campaigns: 0,
            campaign_stickiness: 0.0,
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
        if c.campaigns != 0 && c.campaigns < c.channels {
            return bad(
                "campaigns",
                format!(
                    "{} must be 0 or at least the {} channels",
                    c.campaigns, c.channels
                ),
            );
        }
        if !(0.0..=1.0).contains(&c.campaign_stickiness) {
            return bad(
                "campaign_stickiness",
                format!("{} must be in [0, 1]", c.campaign_stickiness),
            );
        }
        if c.campaign_stickiness > 0.0 && c.campaigns == 0 {
            return bad(
                "campaign_stickiness",
                "needs campaigns (themes are campaign names)".into(),
            );
        }
        if c.campaigns > MAX_KEYS || c.channels > MAX_KEYS {
            return bad(
                "campaigns",
                format!("at most {MAX_KEYS} channels and campaigns"),
            );
        }
        if c.size == SynthSize::DistinctPaths(0) || c.size == SynthSize::Journeys(0) {
            return bad("size", "must be >= 1".into());
        }
        Ok(())
    }
}

/// Most channels or campaigns of a configuration (the keys and their weights are allocated
/// up front: 10 million keys take about 500 MB).
pub const MAX_KEYS: usize = 10_000_000;

/// Generates the table `cfg` describes. Rows are in order of first appearance; key ids
/// follow channel popularity (id 0 is the most popular channel, or its most popular campaign,
/// then that channel's other campaigns).
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

/// The journey generator behind [`generate`]: one journey at a time, as key indices
/// (`0..keys`, into [`Synth::channel_names`]) and an outcome of one journey.
#[derive(Clone, Debug)]
pub struct Synth {
    rng: Xoshiro256PlusPlus,
    names: Vec<String>,
    /// Key popularity.
    popularity: WeightedIndex<f64>,
    /// Conversion propensity per key, mean 1 over touches.
    strength: Vec<f64>,
    /// Extra touches after the first.
    extra_touches: Geometric,
    value: LogNormal<f64>,
    /// Campaign themes, when [`SynthConfig::campaign_stickiness`] > 0.
    themes: Option<Themes>,
    cfg: SynthConfig,
}

/// The campaigns of each channel, for drawing a key of a given campaign theme.
#[derive(Clone, Debug)]
struct Themes {
    /// Campaigns of channel i (non-increasing in i: quotas follow popularity).
    per: Vec<usize>,
    /// Key index of channel i's first campaign.
    first: Vec<usize>,
    /// Campaign index (0-based) of each key.
    campaign_of: Vec<u32>,
    /// Cumulative channel weights.
    cumulative: Vec<f64>,
}

impl Themes {
    /// A key of campaign `j`: its channel drawn by popularity among those that have it.
    fn draw(&self, j: usize, rng: &mut Xoshiro256PlusPlus) -> usize {
        // Channels with campaign j are a prefix (per is non-increasing); channel 0 has the
        // most campaigns, so the prefix is never empty for a theme taken from a key.
        let m = self.per.partition_point(|&p| p > j).max(1);
        let u = rng.random::<f64>() * self.cumulative[m - 1];
        let i = self.cumulative[..m].partition_point(|&c| c <= u).min(m - 1);
        self.first[i] + j.min(self.per[i] - 1)
    }
}

impl Synth {
    /// A generator for `cfg`.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for an invalid configuration.
    pub fn new(cfg: &SynthConfig) -> Result<Synth> {
        cfg.validate()?;
        let bad = |name, e: &dyn std::fmt::Display| Error::InvalidParameter {
            model: "synth",
            name,
            reason: e.to_string(),
        };
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(cfg.seed);
        let k = cfg.channels;
        let zipf = |n: usize| -> Vec<f64> {
            (0..n)
                .map(|i| ((i + 1) as f64).powf(-cfg.zipf_exponent))
                .collect()
        };
        let channel_weight = zipf(k);
        let total: f64 = channel_weight.iter().sum();
        let channel_strength = LogNormal::new(0.0, 0.6).map_err(|e| bad("strength", &e))?;
        let mut strength: Vec<f64> = (0..k).map(|_| channel_strength.sample(&mut rng)).collect();
        let mut themes = None;
        let (names, weight) = if cfg.campaigns == 0 {
            ((0..k).map(channel_name).collect(), channel_weight)
        } else {
            let per = campaigns_per_channel(&channel_weight, cfg.campaigns);
            if cfg.campaign_stickiness > 0.0 {
                let first = per
                    .iter()
                    .scan(0, |at, &m| {
                        let f = *at;
                        *at += m;
                        Some(f)
                    })
                    .collect();
                let campaign_of = per.iter().flat_map(|&m| 0..m as u32).collect();
                let cumulative = channel_weight
                    .iter()
                    .scan(0.0, |sum, &w| {
                        *sum += w;
                        Some(*sum)
                    })
                    .collect();
                themes = Some(Themes {
                    per: per.clone(),
                    first,
                    campaign_of,
                    cumulative,
                });
            }
            let factor = LogNormal::new(0.0, 0.3).map_err(|e| bad("strength", &e))?;
            let (mut names, mut weight, mut key_strength) = (vec![], vec![], vec![]);
            for (i, &m) in per.iter().enumerate() {
                let within = zipf(m);
                let sum: f64 = within.iter().sum();
                let channel = channel_name(i);
                for (j, w) in within.iter().enumerate() {
                    names.push(format!("{channel}/c{}", j + 1));
                    weight.push(channel_weight[i] / total * w / sum);
                    key_strength.push(strength[i] * factor.sample(&mut rng));
                }
            }
            strength = key_strength;
            (names, weight)
        };
        let total: f64 = weight.iter().sum();
        let mean: f64 = strength
            .iter()
            .zip(&weight)
            .map(|(s, p)| s * p / total)
            .sum();
        strength.iter_mut().for_each(|s| *s /= mean);
        let extra_touches =
            Geometric::new(1.0 / cfg.mean_path_len).map_err(|e| bad("mean_path_len", &e))?;
        let value = LogNormal::new(cfg.median_value.ln(), cfg.value_sigma)
            .map_err(|e| bad("value_sigma", &e))?;
        Ok(Synth {
            rng,
            names,
            popularity: WeightedIndex::new(&weight).map_err(|e| bad("zipf_exponent", &e))?,
            strength,
            extra_touches,
            value,
            themes,
            cfg: cfg.clone(),
        })
    }

    /// Key names (channels, or campaigns `Channel/cJ`), by index.
    pub fn channel_names(&self) -> &[String] {
        &self.names
    }

    /// Draws one journey: fills `path` with key indices and returns its outcome
    /// (`Outcome::converted(1, value)` or `Outcome::null(1)`).
    pub fn next_journey(&mut self, path: &mut Vec<usize>) -> Outcome {
        path.clear();
        let extra = self.extra_touches.sample(&mut self.rng);
        // The cast saturates; the cap keeps the length ≤ max_path_len.
        let len = (extra as usize)
            .saturating_add(1)
            .min(self.cfg.max_path_len);
        let mut strength = 0.0;
        let theme = self.themes.as_ref().map(|t| {
            let key = self.popularity.sample(&mut self.rng);
            (t, t.campaign_of[key] as usize)
        });
        for _ in 0..len {
            let key = match (path.last(), theme) {
                (Some(&prev), _) if self.rng.random_bool(self.cfg.repeat_prob) => prev,
                (_, Some((t, j))) if self.rng.random_bool(self.cfg.campaign_stickiness) => {
                    t.draw(j, &mut self.rng)
                }
                _ => self.popularity.sample(&mut self.rng),
            };
            strength += self.strength[key];
            path.push(key);
        }
        let p = (self.cfg.conversion_rate * strength / self.cfg.mean_path_len).min(0.95);
        if self.rng.random_bool(p) {
            let value = self.value.sample(&mut self.rng).round().max(1.0);
            Outcome::converted(1.0, value)
        } else {
            Outcome::null(1.0)
        }
    }
}

/// Campaigns per channel: one each, the rest by largest remainder in proportion to `weight`
/// (ties to the more popular channel), so the counts add up to `campaigns` exactly.
fn campaigns_per_channel(weight: &[f64], campaigns: usize) -> Vec<usize> {
    let total: f64 = weight.iter().sum();
    let rest = campaigns - weight.len();
    let quota: Vec<f64> = weight.iter().map(|w| rest as f64 * w / total).collect();
    // Quotas are ≥ 0 and sum to `rest`, so the floors do not exceed it.
    let mut per: Vec<usize> = quota.iter().map(|q| 1 + q.floor() as usize).collect();
    let given: usize = per.iter().sum::<usize>() - weight.len();
    let mut order: Vec<usize> = (0..weight.len()).collect();
    order.sort_by(|&a, &b| {
        let (ra, rb) = (quota[a] - quota[a].floor(), quota[b] - quota[b].floor());
        rb.total_cmp(&ra).then(a.cmp(&b))
    });
    for &i in order.iter().take(rest.saturating_sub(given)) {
        per[i] += 1;
    }
    per
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Value stability: the bundled sample is `generate --rows 300 --channels 8 --mean-len 3
    /// --conversion-rate 0.3 --seed 1`, byte for byte.
    #[test]
    fn the_bundled_sample_is_reproduced_byte_for_byte() {
        let cfg = SynthConfig {
            size: SynthSize::DistinctPaths(300),
            channels: 8,
            mean_path_len: 3.0,
            conversion_rate: 0.3,
            seed: 1,
            ..SynthConfig::default()
        };
        let mut out = Vec::new();
        write_csv(&cfg, &mut out).unwrap();
        let bundled = include_str!("../examples/data/sample_paths.csv");
        assert_eq!(String::from_utf8(out).unwrap(), bundled);
    }

    #[test]
    fn campaigns_are_spread_over_channels_by_popularity() {
        let per = campaigns_per_channel(&[1.0, 0.5, 1.0 / 3.0], 10);
        assert_eq!(per.iter().sum::<usize>(), 10);
        // One each, then 7 by quotas 7·(6/11, 3/11, 2/11) = 3.82, 1.91, 1.27: floors 3, 1, 1
        // and the two largest remainders (0.91, 0.82) get one more.
        assert_eq!(per, vec![5, 3, 2]);
        assert_eq!(campaigns_per_channel(&[1.0, 1.0], 2), vec![1, 1]);
        let cfg = SynthConfig {
            size: SynthSize::Journeys(20_000),
            channels: 4,
            campaigns: 40,
            ..SynthConfig::default()
        };
        let t = generate(&cfg).unwrap();
        assert_eq!(t.channels().len(), 40);
        assert!(t.channels().get("Paid Search/c1").is_some());
        assert!(t.channels().iter().all(|(_, n)| n.contains("/c")));
        let bad = SynthConfig {
            campaigns: 3,
            ..cfg
        };
        assert!(bad.validate().is_err());
    }

    /// With stickiness P a touch that does not repeat the previous key keeps the theme with
    /// probability P, else is drawn as without themes (and so shares the theme by chance):
    /// the share of transitions between keys of one campaign name is about P + (1 − P)·c,
    /// with c the chance share (measured here at P = 0).
    #[test]
    fn sticky_journeys_stay_within_their_campaign() {
        let same_campaign_share = |p: f64| {
            let cfg = SynthConfig {
                size: SynthSize::Journeys(20_000),
                channels: 10,
                campaigns: 500,
                campaign_stickiness: p,
                repeat_prob: 0.0,
                ..SynthConfig::default()
            };
            let t = generate(&cfg).unwrap();
            let names = t.channels();
            let campaign = |id: ChannelId| names.name(id).rsplit('/').next().unwrap().to_owned();
            let (mut same, mut all) = (0.0, 0.0);
            for r in t.rows() {
                for w in r.path.windows(2) {
                    all += r.outcome.journeys();
                    if campaign(w[0]) == campaign(w[1]) {
                        same += r.outcome.journeys();
                    }
                }
            }
            same / all
        };
        let chance = same_campaign_share(0.0);
        assert!(chance < 0.2, "{chance}");
        for p in [0.5, 0.9] {
            // Both touches keep the theme (p²), or match by chance otherwise.
            let want = p * p + (1.0 - p * p) * chance;
            let got = same_campaign_share(p);
            assert!((got - want).abs() < 0.03, "p {p}: {got} vs {want}");
        }
        let bad = SynthConfig {
            campaign_stickiness: 0.5,
            ..SynthConfig::default()
        };
        assert!(bad.validate().is_err(), "themes need campaigns");
        let bad = SynthConfig {
            campaigns: 100,
            campaign_stickiness: 1.5,
            ..SynthConfig::default()
        };
        assert!(bad.validate().is_err());
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
