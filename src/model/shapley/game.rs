//! Shapley values of a cooperative game (the model reference, §Shapley games): exact
//! computation from the subset form over bitmask coalitions, the fast zeta (subset-sum)
//! transform, and seeded permutation sampling with antithetic pairs.
//!
//! ```text
//! φ_i = Σ_{S ⊆ N∖{i}} w(|S|) · [v(S ∪ {i}) − v(S)],     w(s) = s! (n−s−1)! / n!
//!     = Σ_{M ⊆ N} v(M) · ( w(|M|−1) if i ∈ M, −w(|M|) if i ∉ M )        (w(n) := 0)
//! ```
//!
//! The second line regroups the first by coalition, so a game that is 0 on most coalitions
//! (the exact-set rate game) costs one update per non-zero coalition.

use rand::SeedableRng;
use rand::rngs::ChaCha8Rng;
use rand::seq::SliceRandom;

/// The Shapley weights w(0..=n) for n players, with w(n) = 0 (the grand coalition has no
/// outside player). Computed from both ends toward the middle with the recurrence
/// w(s) = w(s−1)·s/(n−s) and the symmetry w(s) = w(n−1−s), so that no intermediate factorial
/// overflows and an underflow in the middle (n in the thousands) cannot spread to the ends.
pub(crate) fn shapley_weights(n: usize) -> Vec<f64> {
    let mut w = vec![0.0; n + 1];
    if n == 0 {
        return w;
    }
    w[0] = 1.0 / n as f64;
    for s in 1..n {
        let mirror = n - 1 - s;
        if mirror < s {
            w[s] = w[mirror];
        } else {
            w[s] = w[s - 1] * s as f64 / (n - s) as f64;
        }
    }
    w
}

/// Adds coalition `mask` (bits over `phi.len()` players, `|mask| = k ≥ 1`) with worth `value`
/// to `phi`, per the regrouped subset form above.
#[inline]
pub(crate) fn add_coalition(phi: &mut [f64], w: &[f64], mask: u64, value: f64) {
    let k = mask.count_ones() as usize;
    let inside = value * w[k - 1];
    let outside = -value * w[k];
    for (i, p) in phi.iter_mut().enumerate() {
        *p += if (mask >> i) & 1 == 1 {
            inside
        } else {
            outside
        };
    }
}

/// Exact Shapley value of a game tabulated on all 2^n coalitions (`v[mask]`, `v[0]` = v(∅)).
///
/// O(n·2^n) time, O(n) extra memory.
pub(crate) fn exact_from_table(v: &[f64], n: usize) -> Vec<f64> {
    debug_assert_eq!(v.len(), 1usize << n);
    let w = shapley_weights(n);
    let mut phi = vec![0.0; n];
    // v(∅) enters with weight −w(0) for every player: Σ_i φ_i = v(N) − v(∅).
    for p in phi.iter_mut() {
        *p -= w[0] * v[0];
    }
    for (mask, &x) in v.iter().enumerate().skip(1) {
        if x != 0.0 {
            add_coalition(&mut phi, &w, mask as u64, x);
        }
    }
    phi
}

/// In-place fast zeta transform over subsets: `a[S] ← Σ_{T ⊆ S} a[T]`. O(n·2^n).
pub(crate) fn subset_sums(a: &mut [f64], n: usize) {
    debug_assert_eq!(a.len(), 1usize << n);
    for i in 0..n {
        let bit = 1usize << i;
        for mask in 0..a.len() {
            if mask & bit != 0 {
                a[mask] += a[mask ^ bit];
            }
        }
    }
}

/// A sampled Shapley value: per-player mean of the antithetic-pair estimates and its standard
/// error.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Estimate {
    /// The estimate of φ_i.
    pub phi: Vec<f64>,
    /// The standard error of `phi[i]`: sd of the pair estimates / √pairs.
    pub se: Vec<f64>,
}

/// Running mean and sum of squared deviations per player (Welford), mergeable in a fixed order
/// (Chan et al.) so that block-parallel sampling is deterministic.
#[derive(Clone, Debug)]
struct Moments {
    count: f64,
    mean: Vec<f64>,
    m2: Vec<f64>,
}

impl Moments {
    fn new(n: usize) -> Self {
        Moments {
            count: 0.0,
            mean: vec![0.0; n],
            m2: vec![0.0; n],
        }
    }

    fn push(&mut self, y: &[f64]) {
        self.count += 1.0;
        for ((m, s), &y) in self.mean.iter_mut().zip(self.m2.iter_mut()).zip(y) {
            let d = y - *m;
            *m += d / self.count;
            *s += d * (y - *m);
        }
    }

    fn merge(&mut self, o: Moments) {
        if o.count == 0.0 {
            return;
        }
        let total = self.count + o.count;
        for i in 0..self.mean.len() {
            let d = o.mean[i] - self.mean[i];
            self.mean[i] += d * o.count / total;
            self.m2[i] += o.m2[i] + d * d * self.count * o.count / total;
        }
        self.count = total;
    }

    fn finish(self) -> Estimate {
        let c = self.count;
        let se = self
            .m2
            .iter()
            .map(|&s| {
                if c > 1.0 {
                    (s / (c - 1.0) / c).sqrt()
                } else {
                    0.0
                }
            })
            .collect();
        Estimate { phi: self.mean, se }
    }
}

/// Antithetic pairs per block: blocks are the unit of parallel work and of RNG streams, so the
/// result depends on `(seed, pairs)` only, never on the thread count.
const PAIRS_PER_BLOCK: usize = 16;

/// Estimates the Shapley value of an n-player game from `pairs` antithetic pairs of orderings
/// (Castro, Gómez, Tejada 2009): an ordering drawn uniformly and its reverse. Their two
/// marginal-contribution vectors are averaged into one draw; draws are i.i.d., so the mean is
/// unbiased and its standard error is the sample sd / √pairs. Every draw sums to
/// v(N) − v(∅) (telescoping), so the estimate is efficient whatever the noise.
///
/// `prefix(scratch, order, pos, vals)` must write v(P_0), …, v(P_n) into `vals` (length n + 1)
/// where P_k = {order[0], …, order[k−1]} and `pos[order[k]] = k`.
///
/// Block b of [`PAIRS_PER_BLOCK`] pairs draws from `ChaCha8Rng::seed_from_u64(seed)` on stream
/// b. Time O(pairs · (n + cost of `prefix`)); memory O(n) per block in flight.
pub(crate) fn sample<S, I, F>(n: usize, pairs: usize, seed: u64, init: I, prefix: F) -> Estimate
where
    S: Send,
    I: Fn() -> S + Sync,
    F: Fn(&mut S, &[u32], &[u32], &mut [f64]) + Sync,
{
    let blocks = pairs.div_ceil(PAIRS_PER_BLOCK);
    let run = |b: usize| -> Moments {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        rng.set_stream(b as u64);
        let mut scratch = init();
        let mut acc = Moments::new(n);
        // Player indices fit u32: n counts channels, which are u32 ids.
        let mut order: Vec<u32> = (0..n as u32).collect();
        let mut pos = vec![0u32; n];
        let mut vals = vec![0.0; n + 1];
        let mut y = vec![0.0; n];
        let count = PAIRS_PER_BLOCK.min(pairs - b * PAIRS_PER_BLOCK);
        for _ in 0..count {
            order.shuffle(&mut rng);
            for pass in 0..2 {
                if pass == 1 {
                    order.reverse();
                }
                for (k, &p) in order.iter().enumerate() {
                    pos[p as usize] = k as u32;
                }
                prefix(&mut scratch, &order, &pos, &mut vals);
                for (k, &p) in order.iter().enumerate() {
                    let m = vals[k + 1] - vals[k];
                    y[p as usize] = if pass == 0 {
                        m
                    } else {
                        0.5 * (y[p as usize] + m)
                    };
                }
            }
            acc.push(&y);
        }
        acc
    };
    let parts: Vec<Moments> = crate::par::map_tasks(blocks, run);
    let mut acc = Moments::new(n);
    for p in parts {
        acc.merge(p);
    }
    acc.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Shapley value by enumerating all n! orderings (the permutation form).
    fn by_orderings(v: &[f64], n: usize) -> Vec<f64> {
        fn rec(v: &[f64], n: usize, order: &mut Vec<usize>, used: u64, phi: &mut [f64]) {
            if order.len() == n {
                let mut s = 0usize;
                for &p in order.iter() {
                    phi[p] += v[s | 1 << p] - v[s];
                    s |= 1 << p;
                }
                return;
            }
            for p in 0..n {
                if used & (1 << p) == 0 {
                    order.push(p);
                    rec(v, n, order, used | 1 << p, phi);
                    order.pop();
                }
            }
        }
        let mut phi = vec![0.0; n];
        rec(v, n, &mut Vec::new(), 0, &mut phi);
        let f: f64 = (1..=n).map(|k| k as f64).product();
        phi.iter().map(|x| x / f).collect()
    }

    /// Harsanyi dividends by the fast Möbius transform, then φ_i = Σ_{T ∋ i} d(T)/|T|.
    fn by_dividends(v: &[f64], n: usize) -> Vec<f64> {
        let mut d = v.to_vec();
        for i in 0..n {
            let bit = 1usize << i;
            for mask in 0..d.len() {
                if mask & bit != 0 {
                    d[mask] -= d[mask ^ bit];
                }
            }
        }
        let mut phi = vec![0.0; n];
        for (mask, &x) in d.iter().enumerate().skip(1) {
            let k = mask.count_ones() as f64;
            for (i, p) in phi.iter_mut().enumerate() {
                if mask >> i & 1 == 1 {
                    *p += x / k;
                }
            }
        }
        phi
    }

    fn lcg_game(n: usize, seed: u64) -> Vec<f64> {
        let mut x = seed;
        let mut v: Vec<f64> = (0..1usize << n)
            .map(|_| {
                x = x
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                ((x >> 33) as f64 / (1u64 << 31) as f64) - 0.3
            })
            .collect();
        v[0] = 0.0;
        v
    }

    fn close(a: &[f64], b: &[f64], tol: f64) -> bool {
        a.len() == b.len()
            && a.iter()
                .zip(b)
                .all(|(x, y)| (x - y).abs() <= tol * (1.0 + y.abs()))
    }

    #[test]
    fn weights_are_the_factorial_formula_and_sum_to_one_per_player() {
        // n = 4: w = 0!3!/4!, 1!2!/4!, 2!1!/4!, 3!0!/4! = 1/4, 1/12, 1/12, 1/4 (and w(4) = 0).
        let w = shapley_weights(4);
        assert!(close(&w, &[0.25, 1.0 / 12.0, 1.0 / 12.0, 0.25, 0.0], 1e-15));
        // Each player's weights over the C(n−1, s) coalitions of size s sum to 1.
        for n in [1usize, 2, 7, 30, 160] {
            let w = shapley_weights(n);
            let mut binom = 1.0f64;
            let mut total = 0.0;
            for (s, &ws) in w.iter().enumerate().take(n) {
                if s > 0 {
                    binom *= (n - s) as f64 / s as f64;
                }
                total += binom * ws;
            }
            assert!((total - 1.0).abs() < 1e-12, "n = {n}: {total}");
        }
        // n = 3000: the middle underflows to 0, but the ends stay exact and symmetric.
        let w = shapley_weights(3000);
        assert_eq!(w[0], 1.0 / 3000.0);
        assert_eq!(w[2999], w[0]);
        assert_eq!(w[1], w[2998]);
        assert!(w.iter().all(|x| x.is_finite() && *x >= 0.0));
    }

    #[test]
    fn subset_form_equals_orderings_and_dividends() {
        for n in 1..=6 {
            for seed in 0..5 {
                let v = lcg_game(n, seed * 31 + n as u64);
                let exact = exact_from_table(&v, n);
                assert!(close(&exact, &by_orderings(&v, n), 1e-12), "n = {n}");
                assert!(close(&exact, &by_dividends(&v, n), 1e-12), "n = {n}");
                let total: f64 = exact.iter().sum();
                assert!((total - (v[(1 << n) - 1] - v[0])).abs() < 1e-12);
            }
        }
    }

    #[test]
    fn nonzero_empty_coalition_is_a_baseline() {
        // v(∅) = b shifts nothing but efficiency: Σ φ = v(N) − b.
        let mut v = lcg_game(3, 9);
        v[0] = 0.5;
        let phi = exact_from_table(&v, 3);
        assert!(close(&phi, &by_orderings(&v, 3), 1e-12));
    }

    #[test]
    fn zeta_sums_over_subsets() {
        // a = (1, 2, 3, 4) over masks ∅, {0}, {1}, {0,1}: sums 1, 3, 4, 10.
        let mut a = vec![1.0, 2.0, 3.0, 4.0];
        subset_sums(&mut a, 2);
        assert_eq!(a, [1.0, 3.0, 4.0, 10.0]);
    }

    fn table_prefix(v: &[f64]) -> impl Fn(&mut (), &[u32], &[u32], &mut [f64]) + Sync + '_ {
        |_, order, _, vals| {
            let mut s = 0usize;
            vals[0] = v[0];
            for (k, &p) in order.iter().enumerate() {
                s |= 1 << p;
                vals[k + 1] = v[s];
            }
        }
    }

    #[test]
    fn sampling_is_within_four_standard_errors_and_efficient() {
        let n = 6;
        let v = lcg_game(n, 77);
        let exact = exact_from_table(&v, n);
        let est = sample(n, 500, 7, || (), table_prefix(&v));
        for (i, ((&phi, &se), &x)) in est.phi.iter().zip(&est.se).zip(&exact).enumerate() {
            assert!(se > 0.0);
            assert!(
                (phi - x).abs() <= 4.0 * se,
                "player {i}: {phi} vs {x} (se {se})"
            );
        }
        let total: f64 = est.phi.iter().sum();
        assert!((total - v[(1 << n) - 1]).abs() < 1e-12);
    }

    #[test]
    fn sampling_depends_on_the_seed_only() {
        let v = lcg_game(5, 3);
        let a = sample(5, 100, 11, || (), table_prefix(&v));
        let b = sample(5, 100, 11, || (), table_prefix(&v));
        let c = sample(5, 100, 12, || (), table_prefix(&v));
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn antithetic_pairs_are_exact_for_two_players() {
        // An ordering and its reverse are the two orderings of 2 players.
        let v = vec![0.0, 0.25, 0.5, 1.0];
        let est = sample(2, 3, 1, || (), table_prefix(&v));
        assert!(close(&est.phi, &exact_from_table(&v, 2), 1e-15));
        assert_eq!(est.se, [0.0, 0.0]);
    }
}
