//! Exact removal effects of an absorbing chain (MODELS.md §3.3–3.6).
//!
//! Two solvers, chosen by [`solve`]:
//!
//! * **Dense, order 1** (at most [`DENSE_MAX`] transient states): one LU factorisation with
//!   partial pivoting of I − Q, then Theorem M5 gives every channel's removal effect from the
//!   fundamental matrix G = (I − Q)⁻¹ without refactorising. O(N³) time, O(N²) memory.
//! * **Sparse Gauss–Seidel** (any order): for every channel c, the expected visits g₋c of the
//!   chain in which the states containing c are absorbing in `(null)`, from gᵀ(I − Q₋c) = e_startᵀ,
//!   [`LANES`] chains per pass over the transposed transitions. O(E·LANES) per sweep of a block,
//!   O(S + E) memory plus O(S·LANES) per block being solved.

use crate::error::{Error, Result};

use super::counts::Chain;
use super::states::START;

/// Largest number of transient states solved with the dense order-1 method.
pub(crate) const DENSE_MAX: usize = 1000;

/// Gauss–Seidel stops when the estimated remaining relative error of every expected-visit count
/// is at most this.
pub(crate) const TOLERANCE: f64 = 1e-13;

/// Chains solved together in one pass over the transitions (one SIMD-friendly row of g per
/// state).
pub(crate) const LANES: usize = 8;
type Lanes = [f64; LANES];

/// Absorbed (conversion probability, value) of each solved chain.
type Absorbed = Vec<(f64, f64)>;

/// Gauss–Seidel gives up after this many sweeps, or as soon as, after [`SETTLED`] sweeps, its
/// observed rate of convergence predicts more; [`solve`] then falls back to dense solves on
/// small chains and returns [`Error::Numerical`] on large ones.
pub(crate) const MAX_SWEEPS: usize = 20_000;

/// Sweeps over which the rate of convergence ρ is measured (geometric mean of the ratios).
const RATE_SPAN: usize = 16;

/// Sweeps after which the rate of convergence is trusted to predict the remaining ones.
const SETTLED: usize = 100;

/// What the attribution needs from the chain.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Solution {
    /// P(conv) from `(start)`.
    pub p_conv: f64,
    /// Expected conversion value absorbed per journey, Σ_s g(s)·value_end(s)/N(s).
    pub p_value: f64,
    /// RE(c) by channel id.
    pub re: Vec<f64>,
    /// RE_V(c) by channel id (0 everywhere when the table has no value).
    pub re_value: Vec<f64>,
}

/// Which method [`solve`] uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Method {
    /// Dense M5 at order 1 when small enough, else Gauss–Seidel, falling back to one dense
    /// solve per channel when Gauss–Seidel would be too slow and the chain is small enough.
    Auto,
    /// Gauss–Seidel only (tests compare the methods).
    #[cfg_attr(not(test), allow(dead_code))]
    Sparse,
    /// One dense LU per removed chain (tests compare the methods).
    #[cfg_attr(not(test), allow(dead_code))]
    Direct,
}

/// Conversion probability and removal effects of every channel `0..channels`.
///
/// # Errors
/// [`Error::Numerical`] for a singular pivot (impossible for a chain built by
/// [`Chain::build`]), a non-finite result, or Gauss–Seidel not converging within
/// [`MAX_SWEEPS`].
pub(crate) fn solve(chain: &Chain, channels: usize, method: Method) -> Result<Solution> {
    let small = chain.transient() <= DENSE_MAX;
    match method {
        Method::Auto if chain.order == 1 && small => dense_order1(chain, channels),
        Method::Direct => direct(chain, channels),
        _ => match sparse(chain, channels)? {
            Some(solution) => Ok(solution),
            None if method == Method::Auto && small => direct(chain, channels),
            None => Err(numerical(format!(
                "Gauss–Seidel would need more than {MAX_SWEEPS} sweeps to reach a relative error \
                 of {TOLERANCE:e}: the chain has cycles that walks leave very rarely (very long \
                 repetitive paths), and its {} states are too many for the dense solver",
                chain.transient()
            ))),
        },
    }
}

fn numerical(reason: String) -> Error {
    Error::Numerical {
        model: "markov",
        reason,
    }
}

/// Per-state absorption rates r_conv(s) = N(s, conv)/N(s) and value rates
/// r_value(s) = value_end(s)/N(s) (= m(s)·R(s, conv) of §3.5).
fn rates(chain: &Chain) -> (Vec<f64>, Vec<f64>) {
    let rate = |x: &[f64]| -> Vec<f64> {
        x.iter()
            .zip(&chain.visits)
            .map(|(&a, &n)| if n > 0.0 { a / n } else { 0.0 })
            .collect()
    };
    (rate(&chain.n_conv), rate(&chain.value_end))
}

/// Dense LU factorisation with partial pivoting, `P·A = L·U` (row-major, L unit lower).
#[derive(Debug)]
struct Lu {
    n: usize,
    a: Vec<f64>,
    /// Row `i` of `P·A` is row `perm[i]` of `A`.
    perm: Vec<usize>,
}

impl Lu {
    /// # Complexity
    /// n³/3 multiply-adds, n² memory.
    fn factor(mut a: Vec<f64>, n: usize) -> Result<Lu> {
        let mut perm: Vec<usize> = (0..n).collect();
        for k in 0..n {
            let (mut p, mut best) = (k, a[k * n + k].abs());
            for i in k + 1..n {
                let v = a[i * n + k].abs();
                if v > best {
                    (p, best) = (i, v);
                }
            }
            if !(best.is_finite() && best > 0.0) {
                return Err(numerical(format!("singular pivot {best} in column {k}")));
            }
            if p != k {
                for j in 0..n {
                    a.swap(k * n + j, p * n + j);
                }
                perm.swap(k, p);
            }
            let pivot = a[k * n + k];
            let (top, rest) = a.split_at_mut((k + 1) * n);
            let row_k = &top[k * n..];
            for row in rest.chunks_exact_mut(n) {
                let l = row[k] / pivot;
                row[k] = l;
                if l != 0.0 {
                    for j in k + 1..n {
                        row[j] -= l * row_k[j];
                    }
                }
            }
        }
        Ok(Lu { n, a, perm })
    }

    /// Solves `A x = b`.
    fn solve(&self, b: &[f64]) -> Vec<f64> {
        let n = self.n;
        let mut x: Vec<f64> = self.perm.iter().map(|&i| b[i]).collect();
        for i in 0..n {
            let s: f64 = (0..i).map(|j| self.a[i * n + j] * x[j]).sum();
            x[i] -= s;
        }
        for i in (0..n).rev() {
            let s: f64 = (i + 1..n).map(|j| self.a[i * n + j] * x[j]).sum();
            x[i] = (x[i] - s) / self.a[i * n + i];
        }
        x
    }

    /// Solves `Aᵀ x = b` (`Aᵀ = Uᵀ Lᵀ P`).
    fn solve_transposed(&self, b: &[f64]) -> Vec<f64> {
        let n = self.n;
        let mut z = b.to_vec();
        for i in 0..n {
            let s: f64 = (0..i).map(|j| self.a[j * n + i] * z[j]).sum();
            z[i] = (z[i] - s) / self.a[i * n + i];
        }
        for i in (0..n).rev() {
            let s: f64 = (i + 1..n).map(|j| self.a[j * n + i] * z[j]).sum();
            z[i] -= s;
        }
        let mut x = vec![0.0; n];
        for (i, &p) in self.perm.iter().enumerate() {
            x[p] = z[i];
        }
        x
    }
}

/// Order 1, Theorem M5: with G = (I − Q)⁻¹, h = G·r_conv and h_V = G·r_value,
///
/// ```text
/// RE(c)   = G[start,c]·h(c)   / (G[c,c]·h(start))
/// RE_V(c) = G[start,c]·h_V(c) / (G[c,c]·h_V(start))
/// ```
///
/// (the second because `g₋c = G[start,·] − (G[start,c]/G[c,c])·G[c,·]` at order 1).
///
/// # Complexity
/// O(N³) for the factorisation and the diagonal of G, O(N²) memory, N = S + 1.
fn dense_order1(chain: &Chain, channels: usize) -> Result<Solution> {
    let n = chain.transient();
    let mut a = vec![0.0; n * n];
    for s in 0..n {
        a[s * n + s] = 1.0;
        let v = chain.visits[s];
        for (t, x) in chain.out(s) {
            a[s * n + t as usize] -= x / v;
        }
    }
    let lu = Lu::factor(a, n)?;
    let (r_conv, r_value) = rates(chain);
    let h = lu.solve(&r_conv);
    let hv = lu.solve(&r_value);
    let mut e = vec![0.0; n];
    e[START as usize] = 1.0;
    let g_start = lu.solve_transposed(&e);
    let (p, pv) = (h[0], hv[0]);
    let mut re = vec![0.0; channels];
    let mut re_value = vec![0.0; channels];
    for s in 1..n {
        e.fill(0.0);
        e[s] = 1.0;
        let g_ss = lu.solve(&e)[s];
        let hit = g_start[s] / g_ss; // P(the walk ever visits s)
        let c = chain.channels_of(s)[0].index();
        re[c] = hit * h[s] / p;
        re_value[c] = if pv > 0.0 { hit * hv[s] / pv } else { 0.0 };
    }
    finish(p, pv, re, re_value)
}

/// Rejects non-finite results and rounds removal effects that are outside [0, 1] by
/// floating-point noise only; anything further out is a numerical failure (M4 says RE ∈ [0, 1]).
fn finish(p_conv: f64, p_value: f64, mut re: Vec<f64>, mut re_value: Vec<f64>) -> Result<Solution> {
    if !(p_conv.is_finite() && p_conv > 0.0 && p_value.is_finite()) {
        return Err(numerical(format!(
            "conversion probability {p_conv} (value {p_value})"
        )));
    }
    for x in re.iter_mut().chain(re_value.iter_mut()) {
        if !(x.is_finite() && *x > -1e-9 && *x < 1.0 + 1e-9) {
            return Err(numerical(format!("removal effect {x} outside [0, 1]")));
        }
        *x = x.clamp(0.0, 1.0);
    }
    Ok(Solution {
        p_conv,
        p_value,
        re,
        re_value,
    })
}

/// Incoming transitions by target state (the transpose of the chain's CSR) with probabilities.
#[derive(Debug)]
struct Incoming {
    ptr: Vec<usize>,
    from: Vec<u32>,
    p: Vec<f64>,
}

impl Incoming {
    fn new(chain: &Chain) -> Incoming {
        let n = chain.transient();
        let mut ptr = vec![0usize; n + 1];
        for &t in &chain.out_to {
            ptr[t as usize + 1] += 1;
        }
        for s in 0..n {
            ptr[s + 1] += ptr[s];
        }
        let mut fill = ptr.clone();
        let mut from = vec![0u32; chain.out_to.len()];
        let mut p = vec![0.0; chain.out_to.len()];
        for s in 0..n {
            let v = chain.visits[s];
            for (t, x) in chain.out(s) {
                let i = fill[t as usize];
                from[i] = s as u32;
                p[i] = x / v;
                fill[t as usize] += 1;
            }
        }
        Incoming { ptr, from, p }
    }

    /// Expected visits from `(start)` for up to [`LANES`] chains at once: lane `l` is the
    /// chain with the states containing channel `lanes[l]` absorbing (g = 0 there), or the
    /// whole chain for `None` (and for unused lanes). Gauss–Seidel on
    /// g(s) = Σ_t g(t)·P(t, s), g(start) = 1 (`(start)` has no incoming transition), all lanes
    /// in one pass over the transitions (they share the matrix).
    ///
    /// Starting from 0 the iterates increase monotonically to g. A sweep's largest relative
    /// change δ_m of a lane is turned into an error estimate max(1, ρ/(1 − ρ))·δ_m with
    /// ρ = (δ_m/δ_{m−k})^{1/k}, k = min(m − 1, 16) (the tail of a geometric series, its rate
    /// measured over several sweeps); the iteration stops when every lane's
    /// estimate is below [`TOLERANCE`] or its δ_m is at rounding level (8 ε).
    fn visits(
        &self,
        chain: &Chain,
        lanes: &[Option<usize>],
        channels: usize,
    ) -> Result<Option<Vec<Lanes>>> {
        let mut lane_of = vec![u8::MAX; channels];
        for (l, c) in lanes.iter().enumerate() {
            if let Some(c) = c {
                lane_of[*c] = l as u8;
            }
        }
        let mut g = vec![[0.0; LANES]; self.ptr.len() - 1];
        g[START as usize] = [1.0; LANES];
        // Largest relative change of every sweep so far, per lane: the rate is measured over
        // a span of sweeps, because Gauss–Seidel on a cycle can move a lane's error in bursts
        // (δ flat for a few sweeps, then a drop), which a one-sweep ratio reads as ρ = 1.
        let mut history: Vec<[f64; LANES]> = Vec::new();
        for sweep in 1..=MAX_SWEEPS {
            let mut delta = [0.0f64; LANES];
            // In state order: at order ≥ 2 the predecessors of a state have consecutive ids (see
            // `collect_states`), so the reads of g stay close together.
            for s in 1..g.len() {
                let mut acc = [0.0; LANES];
                for e in self.ptr[s]..self.ptr[s + 1] {
                    let (p, gt) = (self.p[e], &g[self.from[e] as usize]);
                    for l in 0..LANES {
                        acc[l] += p * gt[l];
                    }
                }
                for c in chain.channels_of(s) {
                    if let Some(a) = acc.get_mut(lane_of[c.index()] as usize) {
                        *a = 0.0;
                    }
                }
                let old = &mut g[s];
                for l in 0..LANES {
                    let scale = acc[l].abs().max(old[l].abs()).max(f64::MIN_POSITIVE);
                    delta[l] = delta[l].max((acc[l] - old[l]).abs() / scale);
                }
                *old = acc;
            }
            let mut done = true;
            for l in 0..LANES {
                if !delta[l].is_finite() {
                    return Err(numerical(format!("Gauss–Seidel diverged at sweep {sweep}")));
                }
                // Past 8 ε a sweep only moves the last bits: the iteration is at its fixed point.
                let span = (sweep - 1).min(RATE_SPAN);
                let rho = match span {
                    0 => f64::INFINITY,
                    _ => (delta[l] / history[sweep - 1 - span][l]).powf(1.0 / span as f64),
                };
                let factor = (rho / (1.0 - rho)).max(1.0);
                let converged = delta[l] <= 8.0 * f64::EPSILON
                    || (sweep >= 3 && rho < 1.0 && delta[l] * factor <= TOLERANCE);
                // Once the rate has settled, give up early when the remaining sweeps,
                // ln(TOLERANCE / (δ·factor)) / ln ρ, would exceed the cap.
                if !converged && sweep >= SETTLED {
                    let remaining = (TOLERANCE / (delta[l] * factor)).ln() / rho.ln();
                    if !(rho < 1.0 && sweep as f64 + remaining <= MAX_SWEEPS as f64) {
                        return Ok(None);
                    }
                }
                done &= converged;
            }
            history.push(delta);
            if done {
                return Ok(Some(g));
            }
        }
        Ok(None)
    }
}

/// Any order: Gauss–Seidel for the whole chain and for every channel's removed chain, [`LANES`]
/// chains per pass over the transitions, blocks of lanes in parallel with the `parallel`
/// feature (the blocks are fixed by the channel ids, so results do not depend on threads).
///
/// ```text
/// P_{−c}(conv) = Σ_s g₋c(s)·r_conv(s)      RE(c)   = 1 − P_{−c}(conv)/P(conv)
/// V_{−c}       = Σ_s g₋c(s)·r_value(s)     RE_V(c) = 1 − V_{−c}/V_chain
/// ```
///
/// # Complexity
/// O(⌈(n + 1)/LANES⌉·E·sweeps·LANES) multiply-adds; O(S + E) for the transposed chain plus
/// O(S·LANES) per block being solved.
fn sparse(chain: &Chain, channels: usize) -> Result<Option<Solution>> {
    let inc = Incoming::new(chain);
    let (r_conv, r_value) = rates(chain);
    // Lane 0 of block 0 is the whole chain.
    let columns = columns(chain, channels);
    let blocks: Vec<&[Option<usize>]> = columns.chunks(LANES).collect();
    let one = |lanes: &&[Option<usize>]| -> Result<Option<Absorbed>> {
        let Some(g) = inc.visits(chain, lanes, channels)? else {
            return Ok(None);
        };
        Ok(Some(
            (0..lanes.len())
                .map(|l| {
                    let (mut p, mut pv) = (0.0, 0.0);
                    for (s, gs) in g.iter().enumerate() {
                        p += gs[l] * r_conv[s];
                        pv += gs[l] * r_value[s];
                    }
                    (p, pv)
                })
                .collect(),
        ))
    };
    #[cfg(feature = "parallel")]
    let per: Vec<Result<Option<Absorbed>>> = {
        use rayon::prelude::*;
        blocks.par_iter().map(one).collect()
    };
    #[cfg(not(feature = "parallel"))]
    let per: Vec<Result<Option<Absorbed>>> = blocks.iter().map(one).collect();
    let mut absorbed = Vec::with_capacity(columns.len());
    for b in per {
        match b? {
            Some(b) => absorbed.extend(b),
            None => return Ok(None),
        }
    }
    assemble(&columns, &absorbed, channels).map(Some)
}

/// Any order, exactly: one dense LU of I − Q₋c per removed chain (and one for the whole chain),
/// solving gᵀ(I − Q₋c) = e_startᵀ with the rows and columns of the removed states replaced by
/// the identity. In parallel over channels with the `parallel` feature.
///
/// # Complexity
/// O((n + 1)·N³) time, O(N²) memory per concurrent solve (N = S + 1): for small chains, and
/// for chains on which Gauss–Seidel converges too slowly.
fn direct(chain: &Chain, channels: usize) -> Result<Solution> {
    let n = chain.transient();
    let (r_conv, r_value) = rates(chain);
    let one = |c: Option<usize>| -> Result<(f64, f64)> {
        let removed: Vec<bool> = (0..n)
            .map(|s| {
                s > 0 && c.is_some_and(|c| chain.channels_of(s).iter().any(|x| x.index() == c))
            })
            .collect();
        let mut a = vec![0.0; n * n];
        for s in 0..n {
            a[s * n + s] = 1.0;
            if removed[s] {
                continue;
            }
            let v = chain.visits[s];
            for (t, x) in chain.out(s).filter(|&(t, _)| !removed[t as usize]) {
                a[s * n + t as usize] -= x / v;
            }
        }
        let mut e = vec![0.0; n];
        e[START as usize] = 1.0;
        let g = Lu::factor(a, n)?.solve_transposed(&e);
        let dot = |r: &[f64]| -> f64 { g.iter().zip(r).map(|(a, b)| a * b).sum() };
        Ok((dot(&r_conv), dot(&r_value)))
    };
    let columns = columns(chain, channels);
    #[cfg(feature = "parallel")]
    let per: Vec<Result<(f64, f64)>> = {
        use rayon::prelude::*;
        columns.par_iter().map(|&c| one(c)).collect()
    };
    #[cfg(not(feature = "parallel"))]
    let per: Vec<Result<(f64, f64)>> = columns.iter().map(|&c| one(c)).collect();
    let absorbed = per.into_iter().collect::<Result<Vec<_>>>()?;
    assemble(&columns, &absorbed, channels)
}

/// The chains every solver solves: the whole chain first, then each channel that some state
/// contains (the others have RE = 0).
fn columns(chain: &Chain, channels: usize) -> Vec<Option<usize>> {
    let present = chain.channels_present(channels);
    std::iter::once(None)
        .chain((0..channels).filter(|&c| present[c]).map(Some))
        .collect()
}

/// Removal effects from the absorbed conversion probability and value of every column:
/// RE(c) = 1 − P₋c/P, RE_V(c) = 1 − V₋c/V (0 when the chain absorbs no value).
fn assemble(
    columns: &[Option<usize>],
    absorbed: &[(f64, f64)],
    channels: usize,
) -> Result<Solution> {
    let (p, pv) = absorbed[0];
    let mut re = vec![0.0; channels];
    let mut re_value = vec![0.0; channels];
    for (col, &(pc, pvc)) in columns.iter().zip(absorbed).skip(1) {
        if let Some(c) = *col {
            re[c] = 1.0 - pc / p;
            re_value[c] = if pv > 0.0 { 1.0 - pvc / pv } else { 0.0 };
        }
    }
    finish(p, pv, re, re_value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lu_solves_both_ways_with_pivoting() {
        // A = [[0, 2, 1], [1, 1, 0], [3, 0, 1]] needs a row swap in the first column.
        let a = vec![0.0, 2.0, 1.0, 1.0, 1.0, 0.0, 3.0, 0.0, 1.0];
        let lu = Lu::factor(a.clone(), 3).unwrap();
        let b = [5.0, 3.0, 6.0];
        let x = lu.solve(&b);
        for i in 0..3 {
            let ax: f64 = (0..3).map(|j| a[i * 3 + j] * x[j]).sum();
            assert!((ax - b[i]).abs() < 1e-12, "{x:?}");
        }
        let y = lu.solve_transposed(&b);
        for i in 0..3 {
            let aty: f64 = (0..3).map(|j| a[j * 3 + i] * y[j]).sum();
            assert!((aty - b[i]).abs() < 1e-12, "{y:?}");
        }
    }

    #[test]
    fn singular_matrix_is_an_error_not_a_panic() {
        let a = vec![1.0, 2.0, 2.0, 4.0];
        assert!(matches!(Lu::factor(a, 2), Err(Error::Numerical { .. })));
        assert!(matches!(
            Lu::factor(vec![f64::NAN], 1),
            Err(Error::Numerical { .. })
        ));
    }

    #[test]
    fn out_of_range_removal_effects_are_refused() {
        assert!(finish(0.5, 1.0, vec![-1e-12, 1.0 + 1e-12], vec![]).is_ok());
        assert!(finish(0.5, 1.0, vec![-0.1], vec![]).is_err());
        assert!(finish(0.5, 1.0, vec![f64::NAN], vec![]).is_err());
        assert!(finish(0.0, 1.0, vec![], vec![]).is_err());
    }
}
