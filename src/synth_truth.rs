//! Seeded synthetic journeys with a causal ground truth: the generator knows every journey's
//! conversion probability, so it computes what each channel is really worth, and models can be
//! scored against it ([`TruthProblem::score`]).
//!
//! **The process.** Each journey has a schedule of touches: length 1 + Geometric (mean
//! [`TruthConfig::mean_path_len`]), channels by Zipf popularity with repeats of the previous
//! channel. Touch i of channel c carries a hazard weight
//!
//! ```text
//! w_i = a_c · Π (1 + s)        over synergy pairs {c, d} with a touch of d before touch i
//!           · Π (1 + o)^{±1}   over order pairs (d → c) with d touched before (+1), and
//!                              (c → d) with d touched before (−1: the wrong order hurts)
//! ```
//!
//! with channel strengths a_c log-normal. Without time decay the journey converts with
//! probability p = 1 − exp(−k · Σ_i w_i) (k calibrated to [`TruthConfig::conversion_rate`]) and
//! the table is untimed. With a half-life h the journey lives in time: touches are separated by
//! exponential gaps, the conversion hazard is λ(t) = k · Σ_{τ_i ≤ t} w_i · 2^{−(t − τ_i)/h},
//! the journey is observed until [`TruthConfig::window_days`] after its last scheduled touch,
//! and it converts at the first event of that hazard (touches after the conversion are not
//! seen); p = 1 − exp(−Λ(end)). Rows are timestamped, one per journey.
//!
//! **The truth.** Channel c's causal effect is the expected number of conversions lost if all
//! of its touches were removed from every schedule (the others keep their times, synergy and
//! order are re-evaluated): Σ_j p(j) − p(j without c). Its share is that effect over the sum of
//! all channels' effects.
//!
//! ```
//! use touchpoint::synth_truth::{TruthConfig, generate};
//! use touchpoint::{AttributionModel, Dda};
//! let p = generate(&TruthConfig { journeys: 20_000, seed: 3, ..TruthConfig::default() })?;
//! let a = Dda::default().attribute(&p.table)?;
//! let s = p.score(&a);
//! assert!(s.nmae < 0.1 && s.spearman > 0.8, "{s:?}");
//! # Ok::<(), touchpoint::Error>(())
//! ```

use rand::rngs::Xoshiro256PlusPlus;
use rand::{RngExt, SeedableRng};
use rand_distr::{Distribution, Exp, Exp1, Geometric, LogNormal};
use serde::{Deserialize, Serialize};

use crate::attribution::Attribution;
use crate::channel::ChannelId;
use crate::error::{Error, Result};
use crate::outcome::Outcome;
use crate::synth::channel_name;
use crate::table::PathTable;

/// Microseconds per day.
const DAY: f64 = 86_400e6;

/// Parameters of the ground-truth generator (see the [module docs](self)).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TruthConfig {
    /// Journeys drawn (default 200,000).
    pub journeys: u64,
    /// Channels (default 8).
    pub channels: usize,
    /// Mean scheduled touches per journey, ≥ 1 (default 3).
    pub mean_path_len: f64,
    /// Longest schedule; longer draws are cut (default 20).
    pub max_path_len: usize,
    /// Zipf exponent of channel popularity (default 0.6).
    pub zipf_exponent: f64,
    /// Probability that a touch repeats the previous channel (default 0.2).
    pub repeat_prob: f64,
    /// Mean conversion probability the hazard scale is calibrated to, in (0, 1) (default 0.1).
    pub conversion_rate: f64,
    /// Log-sd of the channel strengths a_c (default 0.7).
    pub strength_sigma: f64,
    /// Synergy pairs (default 0).
    pub interactions: usize,
    /// Synergy s: the later touch of a synergy pair is worth (1 + s) times more (default 1.5).
    pub interaction_strength: f64,
    /// Order pairs (default 0).
    pub order_effects: usize,
    /// Order effect o of an order pair d → c (default 2).
    pub order_strength: f64,
    /// Half-life of a touch's hazard in days; `None` = no decay, untimed table (default None).
    pub half_life_days: Option<f64>,
    /// Mean gap between touches in days (timed only; default 2).
    pub mean_gap_days: f64,
    /// Observation after the last scheduled touch, in days (timed only; default 14).
    pub window_days: f64,
    /// Median conversion value (default 60).
    pub median_value: f64,
    /// Seed (default 1).
    pub seed: u64,
}

impl Default for TruthConfig {
    fn default() -> Self {
        TruthConfig {
            journeys: 200_000,
            channels: 8,
            mean_path_len: 3.0,
            max_path_len: 20,
            zipf_exponent: 0.6,
            repeat_prob: 0.2,
            conversion_rate: 0.1,
            strength_sigma: 0.7,
            interactions: 0,
            interaction_strength: 1.5,
            order_effects: 0,
            order_strength: 2.0,
            half_life_days: None,
            mean_gap_days: 2.0,
            window_days: 14.0,
            median_value: 60.0,
            seed: 1,
        }
    }
}

impl TruthConfig {
    /// Checks the parameters.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming the first parameter out of its domain.
    pub fn validate(&self) -> Result<()> {
        let bad = |name, reason: String| {
            Err(Error::InvalidParameter {
                model: "synth_truth",
                name,
                reason,
            })
        };
        let c = self;
        let pos = |x: f64| x.is_finite() && x > 0.0;
        let nonneg = |x: f64| x.is_finite() && x >= 0.0;
        if c.journeys == 0 || c.journeys > 1 << 32 {
            return bad("journeys", format!("{} not in 1..=2^32", c.journeys));
        }
        if c.channels < 2 || c.channels > 4096 {
            return bad("channels", format!("{} not in 2..=4096", c.channels));
        }
        if !(c.mean_path_len.is_finite() && c.mean_path_len >= 1.0) || c.max_path_len == 0 {
            return bad("mean_path_len", "mean >= 1 and max >= 1 required".into());
        }
        if !(c.conversion_rate > 0.0 && c.conversion_rate < 1.0) {
            return bad(
                "conversion_rate",
                format!("{} not in (0, 1)", c.conversion_rate),
            );
        }
        let repeat_ok = c.repeat_prob >= 0.0 && c.repeat_prob < 1.0;
        if !(nonneg(c.zipf_exponent) && nonneg(c.strength_sigma) && repeat_ok) {
            return bad(
                "zipf_exponent",
                "exponent, sigma >= 0 and repeat in [0, 1)".into(),
            );
        }
        let pairs = c.channels * (c.channels - 1) / 2;
        if c.interactions > pairs || c.order_effects > pairs {
            return bad("interactions", format!("at most {pairs} pairs"));
        }
        if !(nonneg(c.interaction_strength) && nonneg(c.order_strength)) {
            return bad("interaction_strength", "strengths must be >= 0".into());
        }
        if c.half_life_days.is_some_and(|h| !pos(h)) || !pos(c.mean_gap_days) || !pos(c.window_days)
        {
            return bad(
                "half_life_days",
                "half-life, gap and window must be > 0".into(),
            );
        }
        if !pos(c.median_value) {
            return bad("median_value", "must be > 0".into());
        }
        Ok(())
    }
}

/// A generated problem: the table a model sees and the truth it is scored against.
#[derive(Clone, Debug)]
pub struct TruthProblem {
    /// The observed journeys.
    pub table: PathTable,
    /// Per channel (sorted by name): the expected conversions lost without it.
    pub effects: Vec<(String, f64)>,
    /// Expected conversions of the schedules, Σ_j p(j).
    pub expected_conversions: f64,
}

/// How far an attribution is from the truth.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct TruthScore {
    /// Σ_c |share_c − true share_c| / Σ_c true share_c (the true shares sum to 1).
    pub nmae: f64,
    /// Spearman rank correlation of the shares with the true shares (average ranks for ties).
    pub spearman: f64,
}

impl TruthProblem {
    /// The true shares, effect / Σ effects, sorted by channel name.
    pub fn shares(&self) -> Vec<(String, f64)> {
        let total: f64 = self.effects.iter().map(|e| e.1).sum();
        self.effects
            .iter()
            .map(|(c, e)| (c.clone(), e / total))
            .collect()
    }

    /// Scores an attribution's conversion shares against the true shares.
    pub fn score(&self, a: &Attribution) -> TruthScore {
        let truth = self.shares();
        let credited = a.credited_conversions();
        let est: Vec<f64> = truth
            .iter()
            .map(|(c, _)| {
                if credited != 0.0 {
                    a.conversions(c) / credited
                } else {
                    0.0
                }
            })
            .collect();
        let t: Vec<f64> = truth.iter().map(|x| x.1).collect();
        let nmae =
            est.iter().zip(&t).map(|(e, t)| (e - t).abs()).sum::<f64>() / t.iter().sum::<f64>();
        TruthScore {
            nmae,
            spearman: spearman(&est, &t),
        }
    }
}

/// Average ranks (1-based) with ties sharing their mean rank.
fn ranks(x: &[f64]) -> Vec<f64> {
    let mut idx: Vec<usize> = (0..x.len()).collect();
    idx.sort_by(|&a, &b| x[a].total_cmp(&x[b]));
    let mut r = vec![0.0; x.len()];
    let mut i = 0;
    while i < idx.len() {
        let mut j = i;
        while j + 1 < idx.len() && x[idx[j + 1]] == x[idx[i]] {
            j += 1;
        }
        let mean = (i + j) as f64 / 2.0 + 1.0;
        for &k in &idx[i..=j] {
            r[k] = mean;
        }
        i = j + 1;
    }
    r
}

/// Spearman's ρ: the Pearson correlation of the average ranks (0 when a side is constant).
pub fn spearman(a: &[f64], b: &[f64]) -> f64 {
    let (ra, rb) = (ranks(a), ranks(b));
    let n = ra.len() as f64;
    let (ma, mb) = (ra.iter().sum::<f64>() / n, rb.iter().sum::<f64>() / n);
    let (mut sab, mut saa, mut sbb) = (0.0, 0.0, 0.0);
    for (x, y) in ra.iter().zip(&rb) {
        sab += (x - ma) * (y - mb);
        saa += (x - ma) * (x - ma);
        sbb += (y - mb) * (y - mb);
    }
    if saa == 0.0 || sbb == 0.0 {
        0.0
    } else {
        sab / (saa * sbb).sqrt()
    }
}

/// The drawn parameters of a problem: strengths and effect pairs.
struct World {
    strength: Vec<f64>,
    popularity: Vec<f64>,
    /// `synergy[c·n + d]`: 1 + s when {c, d} is a synergy pair (symmetric), else 1.
    synergy: Vec<f64>,
    /// `order[d·n + c]`: the factor on a touch of c after a touch of d.
    order: Vec<f64>,
    n: usize,
}

impl World {
    fn draw(cfg: &TruthConfig, rng: &mut Xoshiro256PlusPlus) -> Result<World> {
        let n = cfg.channels;
        let ln = LogNormal::new(0.0, cfg.strength_sigma).map_err(|e| Error::InvalidParameter {
            model: "synth_truth",
            name: "strength_sigma",
            reason: e.to_string(),
        })?;
        let strength: Vec<f64> = (0..n).map(|_| ln.sample(rng)).collect();
        let popularity: Vec<f64> = (0..n)
            .map(|i| 1.0 / ((i + 1) as f64).powf(cfg.zipf_exponent))
            .collect();
        let mut pairs: Vec<(usize, usize)> = (0..n)
            .flat_map(|c| ((c + 1)..n).map(move |d| (c, d)))
            .collect();
        let mut pick = |k: usize, rng: &mut Xoshiro256PlusPlus| -> Vec<(usize, usize)> {
            let mut out = Vec::new();
            for _ in 0..k {
                let i = rng.random_range(0..pairs.len());
                out.push(pairs.swap_remove(i));
            }
            out
        };
        let syn = pick(cfg.interactions, rng);
        let ord = pick(cfg.order_effects, rng);
        let mut synergy = vec![1.0; n * n];
        for (c, d) in syn {
            synergy[c * n + d] = 1.0 + cfg.interaction_strength;
            synergy[d * n + c] = 1.0 + cfg.interaction_strength;
        }
        let mut order = vec![1.0; n * n];
        for (c, d) in ord {
            // A random direction: `first → second` helps, the reverse hurts.
            let (first, second) = if rng.random_bool(0.5) { (c, d) } else { (d, c) };
            order[first * n + second] = 1.0 + cfg.order_strength;
            order[second * n + first] = 1.0 / (1.0 + cfg.order_strength);
        }
        Ok(World {
            strength,
            popularity,
            synergy,
            order,
            n,
        })
    }

    /// Hazard weights of the touches of `path` with `skip` removed (weights of removed touches
    /// are 0). `seen` is scratch of length n.
    fn weights(&self, path: &[u32], skip: Option<u32>, seen: &mut [bool], out: &mut Vec<f64>) {
        out.clear();
        seen.fill(false);
        for &c in path {
            if Some(c) == skip {
                out.push(0.0);
                continue;
            }
            let c = c as usize;
            let mut w = self.strength[c];
            for (d, &s) in seen.iter().enumerate() {
                if s {
                    w *= self.synergy[d * self.n + c] * self.order[d * self.n + c];
                }
            }
            seen[c] = true;
            out.push(w);
        }
    }
}

/// One scheduled journey.
struct Schedule {
    path: Vec<u32>,
    /// Touch times in days (timed problems only).
    times: Vec<f64>,
}

/// Λ(end)/k per unit hazard scale: Σ w_i · D(end − τ_i), D the integrated decay.
fn exposure(w: &[f64], times: &[f64], end: f64, half_life: Option<f64>) -> f64 {
    match half_life {
        None => w.iter().sum(),
        Some(h) => {
            let r = std::f64::consts::LN_2 / h;
            w.iter()
                .zip(times)
                .map(|(w, t)| w * (-(-r * (end - t)).exp_m1()) / r)
                .sum()
        }
    }
}

/// Generates the problem `cfg` describes.
///
/// # Errors
/// [`Error::InvalidParameter`] for an invalid configuration.
///
/// # Complexity
/// O(J·L·(n + L)) for J journeys of L touches over n channels (the truth re-evaluates every
/// journey without each of its channels); memory O(J·L).
pub fn generate(cfg: &TruthConfig) -> Result<TruthProblem> {
    cfg.validate()?;
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(cfg.seed);
    let world = World::draw(cfg, &mut rng)?;
    let n = cfg.channels;
    let total_pop: f64 = world.popularity.iter().sum();
    let geo = Geometric::new(1.0 / cfg.mean_path_len).map_err(|e| Error::InvalidParameter {
        model: "synth_truth",
        name: "mean_path_len",
        reason: e.to_string(),
    })?;
    let gap = Exp::new(1.0 / cfg.mean_gap_days).map_err(|e| Error::InvalidParameter {
        model: "synth_truth",
        name: "mean_gap_days",
        reason: e.to_string(),
    })?;
    let draw_channel = |rng: &mut Xoshiro256PlusPlus| -> u32 {
        let mut u = rng.random::<f64>() * total_pop;
        for (i, &p) in world.popularity.iter().enumerate() {
            if u < p {
                return i as u32;
            }
            u -= p;
        }
        (n - 1) as u32
    };
    let mut schedules = Vec::with_capacity(cfg.journeys as usize);
    for _ in 0..cfg.journeys {
        let len = (1 + geo.sample(&mut rng) as usize).min(cfg.max_path_len);
        let mut path = Vec::with_capacity(len);
        for i in 0..len {
            let c = if i > 0 && rng.random_bool(cfg.repeat_prob) {
                path[i - 1]
            } else {
                draw_channel(&mut rng)
            };
            path.push(c);
        }
        let mut times = Vec::new();
        if cfg.half_life_days.is_some() {
            // Journeys start anywhere in a year after 2024-01-01.
            let mut t = 19_723.0 + rng.random::<f64>() * 365.0;
            for _ in 0..len {
                times.push(t);
                t += gap.sample(&mut rng);
            }
        }
        schedules.push(Schedule { path, times });
    }
    // Per-journey exposure at scale 1, then the scale that meets the conversion rate.
    let mut seen = vec![false; n];
    let mut w = Vec::new();
    let end = |s: &Schedule| s.times.last().map_or(0.0, |t| t + cfg.window_days);
    let base: Vec<f64> = schedules
        .iter()
        .map(|s| {
            world.weights(&s.path, None, &mut seen, &mut w);
            exposure(&w, &s.times, end(s), cfg.half_life_days)
        })
        .collect();
    let mean_p = |k: f64| base.iter().map(|e| -(-k * e).exp_m1()).sum::<f64>() / base.len() as f64;
    let (mut lo, mut hi) = (0.0, 1.0);
    while mean_p(hi) < cfg.conversion_rate && hi < 1e12 {
        hi *= 2.0;
    }
    for _ in 0..100 {
        let mid = 0.5 * (lo + hi);
        if mean_p(mid) < cfg.conversion_rate {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    let k = 0.5 * (lo + hi);
    // Outcomes, the table, and the truth.
    let mut table = PathTable::new();
    table.set_max_path_len(cfg.max_path_len);
    let ids: Vec<ChannelId> = (0..n)
        .map(|i| table.intern(&channel_name(i)))
        .collect::<Result<_>>()?;
    let value =
        LogNormal::new(cfg.median_value.ln(), 0.8).map_err(|e| Error::InvalidParameter {
            model: "synth_truth",
            name: "median_value",
            reason: e.to_string(),
        })?;
    let mut effects = vec![0.0; n];
    let mut expected = 0.0;
    let mut path_ids = Vec::new();
    let mut micros = Vec::new();
    for (s, &e) in schedules.iter().zip(&base) {
        let p = -(-k * e).exp_m1();
        expected += p;
        let mut present = s.path.clone();
        present.sort_unstable();
        present.dedup();
        for &c in &present {
            world.weights(&s.path, Some(c), &mut seen, &mut w);
            let pc = -(-k * exposure(&w, &s.times, end(s), cfg.half_life_days)).exp_m1();
            effects[c as usize] += p - pc;
        }
        let draw_value = |rng: &mut Xoshiro256PlusPlus| value.sample(rng).round().max(1.0);
        match cfg.half_life_days {
            None => {
                let converts = rng.random::<f64>() < p;
                let o = if converts {
                    Outcome::converted(1.0, draw_value(&mut rng))
                } else {
                    Outcome::null(1.0)
                };
                path_ids.clear();
                path_ids.extend(s.path.iter().map(|&c| ids[c as usize]));
                table.add_ids(&path_ids, o)?;
            }
            Some(h) => {
                world.weights(&s.path, None, &mut seen, &mut w);
                let target: f64 = Exp1.sample(&mut rng);
                let t_conv = first_event(&w, &s.times, end(s), k, h, target);
                let keep = match t_conv {
                    Some(t) => s.times.iter().take_while(|&&x| x <= t).count().max(1),
                    None => s.path.len(),
                };
                let names = s.path[..keep].iter().map(|&c| channel_name(c as usize));
                micros.clear();
                micros.extend(s.times[..keep].iter().map(|t| (t * DAY).round() as i64));
                let (o, at) = match t_conv {
                    Some(t) => (
                        Outcome::converted(1.0, draw_value(&mut rng)),
                        Some(((t * DAY).round() as i64).max(micros[keep - 1])),
                    ),
                    None => (Outcome::null(1.0), None),
                };
                table.add_timed(names, &micros, at, o)?;
            }
        }
    }
    let mut out: Vec<(String, f64)> = (0..n).map(|i| (channel_name(i), effects[i])).collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(TruthProblem {
        table,
        effects: out,
        expected_conversions: expected,
    })
}

/// The first time the cumulative hazard k·Σ w_i·D(t − τ_i) reaches `target`, if before `end`.
fn first_event(w: &[f64], times: &[f64], end: f64, k: f64, h: f64, target: f64) -> Option<f64> {
    let cum = |t: f64| {
        let live = times.iter().take_while(|&&x| x <= t).count();
        k * exposure(&w[..live], &times[..live], t, Some(h))
    };
    if cum(end) < target {
        return None;
    }
    let mut lo = times[0];
    let mut hi = end;
    for &t in &times[1..] {
        if cum(t) >= target {
            hi = t;
            break;
        }
        lo = t;
    }
    for _ in 0..60 {
        let mid = 0.5 * (lo + hi);
        if cum(mid) >= target {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    Some(hi)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_effects_the_truth_is_the_strength_times_the_touches_at_small_rates() {
        // At a low rate p ≈ k·Σ w, so a channel's effect ≈ k·a_c·(its touches).
        let cfg = TruthConfig {
            journeys: 5_000,
            conversion_rate: 0.001,
            ..TruthConfig::default()
        };
        let p = generate(&cfg).unwrap();
        let total: f64 = p.effects.iter().map(|e| e.1).sum();
        assert!((total / p.expected_conversions - 1.0).abs() < 0.01);
        assert_eq!(p.table.totals().journeys(), 5_000.0);
    }

    #[test]
    fn same_seed_same_problem_and_timed_rows_respect_conversions() {
        let cfg = TruthConfig {
            journeys: 2_000,
            half_life_days: Some(3.0),
            interactions: 2,
            order_effects: 2,
            ..TruthConfig::default()
        };
        let a = generate(&cfg).unwrap();
        let b = generate(&cfg).unwrap();
        assert_eq!(a.table, b.table);
        assert_eq!(a.effects, b.effects);
        assert!(a.table.has_times());
        assert_eq!(a.table.len(), 2_000);
        assert!(a.effects.iter().all(|e| e.1.is_finite()));
    }

    #[test]
    fn spearman_by_hand() {
        assert!((spearman(&[1.0, 2.0, 3.0], &[10.0, 20.0, 30.0]) - 1.0).abs() < 1e-15);
        assert!((spearman(&[1.0, 2.0, 3.0], &[3.0, 2.0, 1.0]) + 1.0).abs() < 1e-15);
        // Ties: ranks (1.5, 1.5, 3) vs (1, 2, 3): ρ = 1.5/√(1.5·2) = √3/2.
        let r = spearman(&[1.0, 1.0, 2.0], &[1.0, 2.0, 3.0]);
        assert!((r - 3f64.sqrt() / 2.0).abs() < 1e-12, "{r}");
    }
}
