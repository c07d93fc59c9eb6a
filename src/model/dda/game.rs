//! Per-journey credit under a fitted conversion model: the players are the journey's distinct
//! channels, v(S) the predicted conversion probability of the journey restricted to the
//! channels in S (order kept). Two rules split a converting journey's conversion:
//!
//! * **removal** (the `logistic` model): channel i's weight is v(N) − v(N ∖ {i}), the
//!   probability the journey loses without i;
//! * **Shapley** (the `dda` model): channel i's weight is its Shapley value φ_i, exact for up to
//!   `max_exact` players (O(k·2^k)) and estimated beyond from seeded antithetic pairs of
//!   orderings (standard errors reported).
//!
//! The weights are normalised to fractions of the journey (Σ φ_i = v(N) − v(∅) for Shapley).
//! When the weights sum to ≤ 1e-12 (the model sees no lift from the journey's touches) the
//! journey is split equally among its distinct channels, and counted. A channel's fraction is
//! shared equally by its touches.

use rand::SeedableRng;
use rand::rngs::Xoshiro256PlusPlus;
use rand::seq::SliceRandom;
use serde::{Deserialize, Serialize};

use super::features::has;

/// A cooperative game over the k distinct channels of one journey.
pub(crate) trait Game {
    /// Number of players k.
    fn players(&self) -> usize;
    /// v(S) for the players with `members[i]`.
    fn value(&self, members: &[bool]) -> f64;
}

/// Buffers of one journey's game, reused across journeys: once warm, crediting a journey of no
/// more players than before allocates nothing. `phi` (and `se`, sampled Shapley only) hold the
/// result.
#[derive(Clone, Debug, Default)]
pub(crate) struct GameScratch {
    pub phi: Vec<f64>,
    pub se: Vec<f64>,
    members: Vec<bool>,
    values: Vec<f64>,
    weights: Vec<f64>,
    order: Vec<usize>,
    mean: Vec<f64>,
    m2: Vec<f64>,
    y: Vec<f64>,
}

/// The Shapley weights w(s) = s!(k−s−1)!/k! for s = 0..k into `w`.
fn shapley_weights(k: usize, w: &mut Vec<f64>) {
    w.clear();
    w.resize(k.max(1), 0.0);
    if k == 0 {
        return;
    }
    w[0] = 1.0 / k as f64;
    for s in 1..k {
        w[s] = w[s - 1] * s as f64 / (k - s) as f64;
    }
}

/// Exact Shapley value into `s.phi`: v on all 2^k coalitions, then
/// φ_i = Σ_{S ∌ i} w(|S|)·(v(S ∪ i) − v(S)). O(k·2^k) time and O(2^k) memory; k ≤ 20.
pub(crate) fn exact<G: Game>(g: &G, s: &mut GameScratch) {
    let k = g.players();
    shapley_weights(k, &mut s.weights);
    s.members.clear();
    s.members.resize(k, false);
    s.values.clear();
    for mask in 0..1u64 << k {
        for (i, m) in s.members.iter_mut().enumerate() {
            *m = has(mask, i);
        }
        s.values.push(g.value(&s.members));
    }
    s.phi.clear();
    s.phi.resize(k, 0.0);
    let (v, w) = (&s.values, &s.weights);
    for (mask, &vs) in v.iter().enumerate() {
        let size = (mask as u64).count_ones() as usize;
        for (i, p) in s.phi.iter_mut().enumerate() {
            if mask >> i & 1 == 0 {
                *p += w[size] * (v[mask | 1 << i] - vs);
            }
        }
    }
}

/// Sampled Shapley value from `pairs` antithetic pairs of orderings drawn from `seed`: the mean
/// marginal contribution into `s.phi` and its standard error per player into `s.se`.
pub(crate) fn sampled<G: Game>(g: &G, pairs: usize, seed: u64, s: &mut GameScratch) {
    let k = g.players();
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    s.order.clear();
    s.order.extend(0..k);
    s.members.clear();
    s.members.resize(k, false);
    for v in [&mut s.mean, &mut s.m2, &mut s.y] {
        v.clear();
        v.resize(k, 0.0);
    }
    for draw in 0..pairs {
        s.order.shuffle(&mut rng);
        for pass in 0..2 {
            if pass == 1 {
                s.order.reverse();
            }
            s.members.fill(false);
            let mut prev = g.value(&s.members);
            for &p in &s.order {
                s.members[p] = true;
                let v = g.value(&s.members);
                s.y[p] = if pass == 0 {
                    v - prev
                } else {
                    0.5 * (s.y[p] + v - prev)
                };
                prev = v;
            }
        }
        let c = (draw + 1) as f64;
        for i in 0..k {
            let d = s.y[i] - s.mean[i];
            s.mean[i] += d / c;
            s.m2[i] += d * (s.y[i] - s.mean[i]);
        }
    }
    s.phi.clear();
    s.phi.extend_from_slice(&s.mean);
    let c = pairs as f64;
    s.se.clear();
    s.se.extend(s.m2.iter().map(|&m| {
        if c > 1.0 {
            (m / (c - 1.0) / c).sqrt()
        } else {
            0.0
        }
    }));
}

/// Removal weights v(N) − v(N ∖ {i}) into `s.phi`; returns v(N).
pub(crate) fn removal<G: Game>(g: &G, s: &mut GameScratch) -> f64 {
    let k = g.players();
    s.members.clear();
    s.members.resize(k, true);
    let full = g.value(&s.members);
    s.phi.clear();
    for i in 0..k {
        s.members[i] = false;
        s.phi.push(full - g.value(&s.members));
        s.members[i] = true;
    }
    full
}

/// How a journey's conversion is split among its channels.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Credit {
    /// Each channel's weight is the probability the journey loses without it.
    Removal,
    /// Each channel's weight is its Shapley value in the journey's game.
    Shapley,
}

/// Sampling settings of the Shapley rule beyond the exact limit.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Sampling {
    pub max_exact: usize,
    pub pairs: usize,
    pub seed: u64,
}

/// What computing one journey's fractions found.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(crate) struct Outcome {
    /// The journey was sampled (more than `max_exact` players).
    pub sampled: bool,
    /// The weights summed to ≤ 1e-12 and the journey was split equally.
    pub degenerate: bool,
}

/// Fractions of the journey per player into `s.phi` (summing to 1; `s.se` gets the standard
/// error of each fraction, 0 when exact).
pub(crate) fn fractions<G: Game>(
    g: &G,
    credit: Credit,
    sampling: Sampling,
    s: &mut GameScratch,
) -> Outcome {
    let k = g.players();
    let mut out = Outcome::default();
    match credit {
        Credit::Removal => {
            removal(g, s);
        }
        Credit::Shapley if k <= sampling.max_exact => exact(g, s),
        Credit::Shapley => {
            sampled(g, sampling.pairs, sampling.seed, s);
            out.sampled = true;
        }
    }
    if !out.sampled {
        s.se.clear();
        s.se.resize(k, 0.0);
    }
    let total: f64 = s.phi.iter().sum();
    if total > 1e-12 && total.is_finite() {
        s.phi.iter_mut().for_each(|x| *x /= total);
        s.se.iter_mut().for_each(|x| *x /= total);
    } else {
        out.degenerate = true;
        s.phi.iter_mut().for_each(|x| *x = 1.0 / k as f64);
        s.se.iter_mut().for_each(|x| *x = 0.0);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A game given by its table over masks.
    struct Table(Vec<f64>, usize);
    impl Game for Table {
        fn players(&self) -> usize {
            self.1
        }
        fn value(&self, m: &[bool]) -> f64 {
            let mask: usize = m
                .iter()
                .enumerate()
                .map(|(i, &b)| usize::from(b) << i)
                .sum();
            self.0[mask]
        }
    }

    #[test]
    fn shapley_of_a_hand_game() {
        // v(∅) = 0.1, v(a) = 0.3, v(b) = 0.2, v(ab) = 0.6:
        // φ_a = ½(0.3 − 0.1) + ½(0.6 − 0.2) = 0.3, φ_b = ½(0.1) + ½(0.3) = 0.2.
        let g = Table(vec![0.1, 0.3, 0.2, 0.6], 2);
        let mut s = GameScratch::default();
        exact(&g, &mut s);
        assert!((s.phi[0] - 0.3).abs() < 1e-15 && (s.phi[1] - 0.2).abs() < 1e-15);
        // Two players: an ordering and its reverse are all orderings, so sampling is exact.
        sampled(&g, 4, 9, &mut s);
        assert!((s.phi[0] - 0.3).abs() < 1e-15 && s.se[0] < 1e-15);
        removal(&g, &mut s);
        assert!((s.phi[0] - 0.4).abs() < 1e-15 && (s.phi[1] - 0.3).abs() < 1e-15);
        let smp = Sampling {
            max_exact: 15,
            pairs: 10,
            seed: 1,
        };
        let o = fractions(&g, Credit::Shapley, smp, &mut s);
        assert!(!o.degenerate && (s.phi[0] - 0.6).abs() < 1e-15);
    }

    #[test]
    fn sampling_is_close_to_exact_and_efficient() {
        let k = 6;
        let v: Vec<f64> = (0..1usize << k)
            .map(|m| (m.count_ones() as f64).sqrt() * 0.1 + (m & 5 == 5) as u8 as f64 * 0.05)
            .collect();
        let g = Table(v.clone(), k);
        let mut s = GameScratch::default();
        exact(&g, &mut s);
        let exact_phi = s.phi.clone();
        sampled(&g, 400, 3, &mut s);
        let (phi, se) = (&s.phi, &s.se);
        for i in 0..k {
            assert!((phi[i] - exact_phi[i]).abs() <= 4.0 * se[i] + 1e-12, "{i}");
        }
        let total: f64 = phi.iter().sum();
        assert!((total - (v[(1 << k) - 1] - v[0])).abs() < 1e-12);
    }
}
