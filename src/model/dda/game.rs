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

/// The Shapley weights w(s) = s!(k−s−1)!/k! for s = 0..k.
pub(crate) fn shapley_weights(k: usize) -> Vec<f64> {
    let mut w = vec![0.0; k.max(1)];
    if k == 0 {
        return w;
    }
    w[0] = 1.0 / k as f64;
    for s in 1..k {
        w[s] = w[s - 1] * s as f64 / (k - s) as f64;
    }
    w
}

/// Exact Shapley value: v on all 2^k coalitions, then φ_i = Σ_{S ∌ i} w(|S|)·(v(S ∪ i) − v(S)).
/// O(k·2^k) time and O(2^k) memory; k ≤ 20.
pub(crate) fn exact<G: Game>(g: &G, phi: &mut Vec<f64>) {
    let k = g.players();
    phi.clear();
    phi.resize(k, 0.0);
    let w = shapley_weights(k);
    let mut members = vec![false; k];
    let v: Vec<f64> = (0..1u64 << k)
        .map(|mask| {
            for (i, m) in members.iter_mut().enumerate() {
                *m = has(mask, i);
            }
            g.value(&members)
        })
        .collect();
    for (mask, &vs) in v.iter().enumerate() {
        let size = (mask as u64).count_ones() as usize;
        for (i, p) in phi.iter_mut().enumerate() {
            if mask >> i & 1 == 0 {
                *p += w[size] * (v[mask | 1 << i] - vs);
            }
        }
    }
}

/// Sampled Shapley value from `pairs` antithetic pairs of orderings drawn from `seed`: the mean
/// marginal contribution and its standard error per player.
pub(crate) fn sampled<G: Game>(g: &G, pairs: usize, seed: u64, phi: &mut Vec<f64>) -> Vec<f64> {
    let k = g.players();
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let mut order: Vec<usize> = (0..k).collect();
    let mut members = vec![false; k];
    let (mut mean, mut m2) = (vec![0.0; k], vec![0.0; k]);
    let mut y = vec![0.0; k];
    for draw in 0..pairs {
        order.shuffle(&mut rng);
        for pass in 0..2 {
            if pass == 1 {
                order.reverse();
            }
            members.fill(false);
            let mut prev = g.value(&members);
            for &p in &order {
                members[p] = true;
                let v = g.value(&members);
                y[p] = if pass == 0 {
                    v - prev
                } else {
                    0.5 * (y[p] + v - prev)
                };
                prev = v;
            }
        }
        let c = (draw + 1) as f64;
        for i in 0..k {
            let d = y[i] - mean[i];
            mean[i] += d / c;
            m2[i] += d * (y[i] - mean[i]);
        }
    }
    *phi = mean;
    let c = pairs as f64;
    m2.iter()
        .map(|&s| {
            if c > 1.0 {
                (s / (c - 1.0) / c).sqrt()
            } else {
                0.0
            }
        })
        .collect()
}

/// Removal weights v(N) − v(N ∖ {i}).
pub(crate) fn removal<G: Game>(g: &G, phi: &mut Vec<f64>) {
    let k = g.players();
    let mut members = vec![true; k];
    let full = g.value(&members);
    phi.clear();
    for i in 0..k {
        members[i] = false;
        phi.push(full - g.value(&members));
        members[i] = true;
    }
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

/// Fractions of the journey per player (summing to 1; `se` gets the standard error of each
/// fraction, 0 when exact). `phi` and `se` are scratch and output.
pub(crate) fn fractions<G: Game>(
    g: &G,
    credit: Credit,
    sampling: Sampling,
    phi: &mut Vec<f64>,
    se: &mut Vec<f64>,
) -> Outcome {
    let k = g.players();
    let mut out = Outcome::default();
    se.clear();
    se.resize(k, 0.0);
    match credit {
        Credit::Removal => removal(g, phi),
        Credit::Shapley if k <= sampling.max_exact => exact(g, phi),
        Credit::Shapley => {
            *se = sampled(g, sampling.pairs, sampling.seed, phi);
            out.sampled = true;
        }
    }
    let total: f64 = phi.iter().sum();
    if total > 1e-12 && total.is_finite() {
        phi.iter_mut().for_each(|x| *x /= total);
        se.iter_mut().for_each(|x| *x /= total);
    } else {
        out.degenerate = true;
        phi.iter_mut().for_each(|x| *x = 1.0 / k as f64);
        se.iter_mut().for_each(|x| *x = 0.0);
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
        let mut phi = Vec::new();
        exact(&g, &mut phi);
        assert!((phi[0] - 0.3).abs() < 1e-15 && (phi[1] - 0.2).abs() < 1e-15);
        // Two players: an ordering and its reverse are all orderings, so sampling is exact.
        let se = sampled(&g, 4, 9, &mut phi);
        assert!((phi[0] - 0.3).abs() < 1e-15 && se[0] < 1e-15);
        removal(&g, &mut phi);
        assert!((phi[0] - 0.4).abs() < 1e-15 && (phi[1] - 0.3).abs() < 1e-15);
        let mut se = Vec::new();
        let s = Sampling {
            max_exact: 15,
            pairs: 10,
            seed: 1,
        };
        let o = fractions(&g, Credit::Shapley, s, &mut phi, &mut se);
        assert!(!o.degenerate && (phi[0] - 0.6).abs() < 1e-15);
    }

    #[test]
    fn sampling_is_close_to_exact_and_efficient() {
        let k = 6;
        let v: Vec<f64> = (0..1usize << k)
            .map(|m| (m.count_ones() as f64).sqrt() * 0.1 + (m & 5 == 5) as u8 as f64 * 0.05)
            .collect();
        let g = Table(v.clone(), k);
        let mut exact_phi = Vec::new();
        exact(&g, &mut exact_phi);
        let mut phi = Vec::new();
        let se = sampled(&g, 400, 3, &mut phi);
        for i in 0..k {
            assert!((phi[i] - exact_phi[i]).abs() <= 4.0 * se[i] + 1e-12, "{i}");
        }
        let total: f64 = phi.iter().sum();
        assert!((total - (v[(1 << k) - 1] - v[0])).abs() < 1e-12);
    }
}
