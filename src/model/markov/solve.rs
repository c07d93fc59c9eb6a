//! Exact removal effects of an absorbing chain (the model reference, §Markov chains).
//!
//! Three solvers, chosen by [`solve`] from their estimated cost:
//!
//! * **Dense, order 1** (`dense::order1`, at most [`DENSE_PREFERRED`] transient states and
//!   `max_work` multiply-adds): one
//!   blocked LU factorisation of I − Q and the diagonal of G = (I − Q)⁻¹; one formula then gives
//!   every channel's removal effect without refactorising. n³ multiply-adds, 8n² bytes.
//! * **Sparse elimination, order 1** (`elim::order1`, the other order-1 chains): the same formula from
//!   one sparse factorisation (low-degree states eliminated first, a dense core) and the
//!   selected inverse of its pattern.
//! * **Sparse Gauss–Seidel** (any order): for every channel c, the expected visits g₋c of the
//!   chain in which the states containing c are absorbing in `(null)`, from gᵀ(I − Q₋c) = e_startᵀ,
//!   [`LANES`] chains per pass over the transposed transitions, by strongly connected
//!   component (`scc`): one exact pass over the states in no cycle, sweeps only inside the
//!   cyclic components. O(E·LANES) per sweep of a block, O(S + E) memory plus O(S·LANES) per
//!   block being solved.
//! * **Dense per removed chain** (`dense::direct`): the fallback when Gauss–Seidel converges too
//!   slowly on a chain of at most [`DIRECT_MAX`] states.

use crate::error::{Error, Result};

use super::counts::Chain;
use super::dense;
use super::elim;
use super::max_work_error;
use super::scc;
use super::states::START;
use super::symbolic;

/// Largest chain of the dense order-1 solver (8n² bytes: 1 GiB), and largest dense core of the
/// order-1 elimination (16m² bytes).
pub(crate) const DENSE_MAX: usize = 11_585;

/// Largest order-1 chain given to the dense solver (n³ multiply-adds, 10⁹ here). Beyond, the
/// elimination is faster even when it eliminates nothing: its dense core is inverted with
/// matrix products.
pub(crate) const DENSE_PREFERRED: usize = 1000;

/// Largest chain solved with one dense LU per removed chain when Gauss–Seidel is too slow.
pub(crate) const DIRECT_MAX: usize = 1000;

/// Sweeps assumed by the cost estimate of Gauss–Seidel (it needs about 30 on synthetic web
/// paths for a relative error of 1e-13; chains with long cycles need more).
pub(crate) const SWEEPS_ESTIMATE: f64 = 30.0;

/// Time of one lane update of Gauss–Seidel (a transition of one removed chain in one sweep) in
/// multiply-adds of the dense core, for the cost limit: its reads of g follow the transitions
/// and miss the cache on large chains (measured: 6.4 ns against the core's 0.27 ns of CPU, on
/// 100k paths over 1,000 channels at order 2).
pub(crate) const GS_COST: f64 = 24.0;

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
    /// The blocked order-1 solver whatever the estimates (tests compare the methods).
    #[cfg_attr(not(test), allow(dead_code))]
    Dense,
    /// Sparse elimination at order 1 whatever the size (tests compare the methods).
    #[cfg_attr(not(test), allow(dead_code))]
    Elimination,
}

/// The solver [`solve`] picks for a chain, and its estimated cost.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Plan {
    /// Which solver.
    pub kind: Kind,
    /// Estimated multiply-adds (for [`Kind::Elimination`] a lower bound, the elimination
    /// checks its running estimate against the limit as it goes).
    pub work: f64,
    /// Estimated bytes of the solver's largest allocations.
    pub bytes: f64,
}

/// The solvers [`Plan`] chooses from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Dense order 1 (`dense::order1`).
    Dense,
    /// Sparse elimination at order 1 (`elim::order1`).
    Elimination,
    /// Gauss–Seidel per removed chain (any order).
    GaussSeidel,
}

impl Plan {
    /// The solver for `chain`, without allocating anything: at order 1 the dense solver up to
    /// [`DENSE_PREFERRED`] states (within `max_work`), else sparse elimination (whose plan is
    /// checked against `max_work` before its numeric work); Gauss–Seidel at higher orders.
    pub(crate) fn new(chain: &Chain, channels: usize, max_work: f64) -> Plan {
        let n = chain.transient();
        let present = chain
            .channels_present(channels)
            .iter()
            .filter(|&&p| p)
            .count();
        let edges = (chain.out_to.len() + n) as f64;
        let threads = current_threads() as f64;
        let dense = Plan {
            kind: Kind::Dense,
            work: dense::order1_work(n),
            bytes: 8.0 * (n as f64) * (n as f64),
        };
        let elimination = Plan {
            kind: Kind::Elimination,
            work: symbolic::FILL_COST * edges,
            bytes: symbolic::FILL_BYTES * edges,
        };
        let dense_fits = n <= DENSE_PREFERRED && dense.work <= max_work.max(elimination.work);
        if chain.order == 1 && dense_fits {
            dense
        } else if chain.order == 1 {
            elimination
        } else {
            Plan {
                kind: Kind::GaussSeidel,
                work: (present + 1) as f64 * edges * SWEEPS_ESTIMATE * GS_COST,
                bytes: 16.0 * edges + threads * (LANES * 8 * n) as f64,
            }
        }
    }

    /// What the plan does, in words (for cost errors).
    pub(crate) fn describe(&self, chain: &Chain) -> String {
        let n = chain.transient();
        let method = match self.kind {
            Kind::Dense => format!("one dense factorisation of {n} transient states"),
            Kind::Elimination => format!(
                "one sparse elimination of {n} transient states and {} transitions",
                chain.out_to.len()
            ),
            Kind::GaussSeidel => format!(
                "Gauss–Seidel over {} transitions of {n} transient states for every removed \
                 channel (about {SWEEPS_ESTIMATE} sweeps)",
                chain.out_to.len()
            ),
        };
        format!(
            "the exact solve ({method}) needs about {:.1e} multiply-adds and {:.0} MB",
            self.work,
            self.bytes / 1e6
        )
    }
}

/// Threads the solver's parallel passes use.
fn current_threads() -> usize {
    crate::par::threads()
}

/// Conversion probability and removal effects of every channel `0..channels`; `max_work` caps
/// the multiply-adds of a dense fallback (the first choice is checked by the caller with
/// [`Plan`]).
///
/// # Errors
/// [`Error::Numerical`] for a non-positive pivot (impossible for a chain built by
/// [`Chain::build`]), a non-finite result, or Gauss–Seidel not converging within
/// [`MAX_SWEEPS`]; [`Error::CostLimit`] if the dense fallback would exceed `max_work`.
pub(crate) fn solve(
    chain: &Chain,
    channels: usize,
    method: Method,
    max_work: f64,
) -> Result<Solution> {
    let n = chain.transient();
    // Gauss–Seidel prices itself after its first block of chains (the methods forced by tests
    // run whatever the cost).
    let limit = if method == Method::Auto {
        max_work
    } else {
        f64::INFINITY
    };
    match method {
        Method::Auto if chain.order == 1 => match Plan::new(chain, channels, max_work).kind {
            Kind::Dense => dense::order1(chain, channels),
            _ => elim::order1(chain, channels, max_work),
        },
        Method::Direct => dense::direct(chain, channels),
        Method::Dense if chain.order == 1 => dense::order1(chain, channels),
        Method::Elimination if chain.order == 1 => elim::order1(chain, channels, max_work),
        _ => match sparse(chain, channels, limit)? {
            Some(solution) => Ok(solution),
            None if method == Method::Auto && n <= DIRECT_MAX => {
                let present = chain
                    .channels_present(channels)
                    .iter()
                    .filter(|&&p| p)
                    .count();
                let work = (present + 1) as f64 * (n as f64).powi(3) / 3.0;
                if work > max_work {
                    return Err(max_work_error(
                        max_work,
                        work,
                        format!(
                            "Gauss–Seidel converges too slowly on this chain, and its dense \
                             fallback ({} factorisations of {n} states) needs about {work:.1e} \
                             multiply-adds",
                            present + 1
                        ),
                    ));
                }
                dense::direct(chain, channels)
            }
            None => Err(numerical(format!(
                "Gauss–Seidel would need more than {MAX_SWEEPS} sweeps to reach a relative error \
                 of {TOLERANCE:e}: the chain has cycles that walks leave very rarely (very long \
                 repetitive paths), and its {n} states are too many for the dense solver"
            ))),
        },
    }
}

pub(super) fn numerical(reason: String) -> Error {
    Error::Numerical {
        model: "markov",
        reason,
    }
}

/// Per-state absorption rates r_conv(s) = N(s, conv)/N(s) and value rates
/// r_value(s) = value_end(s)/N(s) (= m(s)·R(s, conv) of §Conversion value).
pub(super) fn rates(chain: &Chain) -> (Vec<f64>, Vec<f64>) {
    let rate = |x: &[f64]| -> Vec<f64> {
        x.iter()
            .zip(&chain.visits)
            .map(|(&a, &n)| if n > 0.0 { a / n } else { 0.0 })
            .collect()
    };
    (rate(&chain.n_conv), rate(&chain.value_end))
}

/// Rejects non-finite results and rounds removal effects that are outside [0, 1] by
/// floating-point noise only; anything further out is a numerical failure (M4 says RE ∈ [0, 1]).
pub(super) fn finish(
    p_conv: f64,
    p_value: f64,
    mut re: Vec<f64>,
    mut re_value: Vec<f64>,
) -> Result<Solution> {
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
pub(super) struct Incoming {
    ptr: Vec<usize>,
    from: Vec<u32>,
    p: Vec<f64>,
    /// The states in the order Gauss–Seidel visits them, and its runs (`scc::visit_order`).
    order: Vec<u32>,
    segments: Vec<scc::Segment>,
}

impl Incoming {
    pub(super) fn new(chain: &Chain) -> Incoming {
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
        let (order, segments) = scc::visit_order(chain);
        Incoming {
            ptr,
            from,
            p,
            order,
            segments,
        }
    }

    /// The states with a transition to `t` (the removed-chain measurements of `reach`).
    #[cfg(test)]
    pub(super) fn sources(&self, t: usize) -> &[u32] {
        &self.from[self.ptr[t]..self.ptr[t + 1]]
    }

    /// Expected visits from `(start)` for up to [`LANES`] chains at once: lane `l` is the
    /// chain with the states containing channel `lanes[l]` absorbing (g = 0 there), or the
    /// whole chain for `None` (and for unused lanes). Gauss–Seidel on
    /// g(s) = Σ_t g(t)·P(t, s), g(start) = 1 (`(start)` has no incoming transition), all lanes
    /// in one pass over the transitions (they share the matrix).
    ///
    /// The states are visited by strongly connected component, sources first
    /// (`scc::visit_order`): a state in no cycle is exact after one pass, since its
    /// predecessors are final before it; each component with a cycle is swept until it
    /// converges, its inputs from upstream already final.
    ///
    /// Starting from 0 the iterates of a component increase monotonically to g. A sweep's
    /// largest relative change δ_m of a lane is turned into an error estimate
    /// max(1, ρ/(1 − ρ))·δ_m with ρ = (δ_m/δ_{m−k})^{1/k}, k = min(m − 1, 16) (the tail of a
    /// geometric series, its rate measured over several sweeps); the component's iteration
    /// stops when every lane's estimate is below [`TOLERANCE`] or its δ_m is at rounding
    /// level (8 ε).
    ///
    /// Returns g, and the sweeps of the slowest component and the state updates of all passes
    /// (each costs its incoming transitions + 1), for the cost estimate.
    fn visits(
        &self,
        chain: &Chain,
        lanes: &[Option<usize>],
        channels: usize,
    ) -> Result<Option<(Vec<Lanes>, Sweeps)>> {
        let mut lane_of = vec![u8::MAX; channels];
        for (l, c) in lanes.iter().enumerate() {
            if let Some(c) = c {
                lane_of[*c] = l as u8;
            }
        }
        let mut g = vec![[0.0; LANES]; self.ptr.len() - 1];
        g[START as usize] = [1.0; LANES];
        let mut done = Sweeps {
            most: 0,
            updates: 0.0,
        };
        // One update of state s; returns its new lanes.
        let update = |g: &[Lanes], s: usize| -> Lanes {
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
            acc
        };
        let cost = |states: &[u32]| -> f64 {
            states
                .iter()
                .map(|&s| (self.ptr[s as usize + 1] - self.ptr[s as usize] + 1) as f64)
                .sum()
        };
        for seg in &self.segments {
            let states = &self.order[seg.start..seg.end];
            if !seg.cyclic {
                for &s in states {
                    g[s as usize] = update(&g, s as usize);
                }
                done.updates += cost(states);
                done.most = done.most.max(1);
                continue;
            }
            let Some(sweeps) = self.converge(&mut g, states, &update)? else {
                return Ok(None);
            };
            done.updates += sweeps as f64 * cost(states);
            done.most = done.most.max(sweeps);
        }
        Ok(Some((g, done)))
    }

    /// Sweeps the component `states` (upstream of it final) until its lanes converge; the
    /// number of sweeps, or `None` when the observed rate predicts more than [`MAX_SWEEPS`].
    fn converge(
        &self,
        g: &mut [Lanes],
        states: &[u32],
        update: &impl Fn(&[Lanes], usize) -> Lanes,
    ) -> Result<Option<usize>> {
        // Largest relative change of every sweep so far, per lane: the rate is measured over
        // a span of sweeps, because Gauss–Seidel on a cycle can move a lane's error in bursts
        // (δ flat for a few sweeps, then a drop), which a one-sweep ratio reads as ρ = 1.
        let mut history: Vec<[f64; LANES]> = Vec::new();
        for sweep in 1..=MAX_SWEEPS {
            let mut delta = [0.0f64; LANES];
            for &s in states {
                let acc = update(g, s as usize);
                let old = &mut g[s as usize];
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
                return Ok(Some(sweep));
            }
        }
        Ok(None)
    }
}

/// What one block of Gauss–Seidel cost: the sweeps of its slowest component and the state
/// updates of all its passes, each weighted by its incoming transitions + 1.
#[derive(Clone, Copy, Debug)]
pub(super) struct Sweeps {
    most: usize,
    updates: f64,
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
/// O(⌈(n + 1)/LANES⌉·(E_a + Σ_k sweeps_k·E_k)·LANES) multiply-adds, with E_a the transitions
/// into states in no cycle (one pass) and E_k those into cyclic component k; O(S + E) for the
/// transposed chain and its visit order plus O(S·LANES) per block being solved.
///
/// # Errors
/// [`Error::CostLimit`] when the first block's sweeps, applied to every block, price the solve
/// above `max_work` (checked only when the first estimate is within a tenth of it).
fn sparse(chain: &Chain, channels: usize, max_work: f64) -> Result<Option<Solution>> {
    let inc = Incoming::new(chain);
    let (r_conv, r_value) = rates(chain);
    // Lane 0 of block 0 is the whole chain.
    let columns = columns(chain, channels);
    let blocks: Vec<&[Option<usize>]> = columns.chunks(LANES).collect();
    let one = |lanes: &&[Option<usize>]| -> Result<Option<(Absorbed, Sweeps)>> {
        let Some((g, sweeps)) = inc.visits(chain, lanes, channels)? else {
            return Ok(None);
        };
        let absorbed = (0..lanes.len())
            .map(|l| {
                let (mut p, mut pv) = (0.0, 0.0);
                for (s, gs) in g.iter().enumerate() {
                    p += gs[l] * r_conv[s];
                    pv += gs[l] * r_value[s];
                }
                (p, pv)
            })
            .collect();
        Ok(Some((absorbed, sweeps)))
    };
    // When the first estimate is within a tenth of the limit, every block runs at once.
    // Otherwise the first block runs alone, and its sweeps, not the assumed SWEEPS_ESTIMATE,
    // price the rest (every block solves the same matrix, so they need about as many).
    let edges = (chain.out_to.len() + chain.transient()) as f64;
    let mut absorbed = Vec::with_capacity(columns.len());
    let mut rest = 0;
    if 10.0 * columns.len() as f64 * edges * SWEEPS_ESTIMATE * GS_COST > max_work {
        let Some((first, sweeps)) = one(&blocks[0])? else {
            return Ok(None);
        };
        let work = columns.len() as f64 * sweeps.updates * GS_COST;
        if work > max_work {
            return Err(max_work_error(
                max_work,
                work,
                format!(
                    "Gauss–Seidel needed up to {} sweeps of its cyclic components, {:.2e} \
                     state updates, over {} transitions for its first {} chains (the first \
                     estimate assumed {SWEEPS_ESTIMATE} sweeps of every state): the {} removed \
                     chains need about {work:.1e} multiply-adds",
                    sweeps.most,
                    sweeps.updates,
                    chain.out_to.len(),
                    blocks[0].len(),
                    columns.len()
                ),
            ));
        }
        absorbed = first;
        rest = 1;
    }
    let per: Vec<Result<Option<(Absorbed, Sweeps)>>> =
        crate::par::map_tasks(blocks.len() - rest, |i| one(&blocks[i + rest]));
    for b in per {
        match b? {
            Some((b, _)) => absorbed.extend(b),
            None => return Ok(None),
        }
    }
    assemble(&columns, &absorbed, channels).map(Some)
}

/// The chains every solver solves: the whole chain first, then each channel that some state
/// contains (the others have RE = 0).
pub(super) fn columns(chain: &Chain, channels: usize) -> Vec<Option<usize>> {
    let present = chain.channels_present(channels);
    std::iter::once(None)
        .chain((0..channels).filter(|&c| present[c]).map(Some))
        .collect()
}

/// Removal effects from the absorbed conversion probability and value of every column:
/// RE(c) = 1 − P₋c/P, RE_V(c) = 1 − V₋c/V (0 when the chain absorbs no value).
pub(super) fn assemble(
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
    fn out_of_range_removal_effects_are_refused() {
        assert!(finish(0.5, 1.0, vec![-1e-12, 1.0 + 1e-12], vec![]).is_ok());
        assert!(finish(0.5, 1.0, vec![-0.1], vec![]).is_err());
        assert!(finish(0.5, 1.0, vec![f64::NAN], vec![]).is_err());
        assert!(finish(0.0, 1.0, vec![], vec![]).is_err());
    }
}
