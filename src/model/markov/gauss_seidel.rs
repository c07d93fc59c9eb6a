//! Sparse Gauss–Seidel for the removal effects of a chain of any order (the model reference,
//! §Markov chains, higher orders): for every channel c, the expected visits g₋c of the chain in
//! which the states containing c are absorbing in `(null)`, from gᵀ(I − Q₋c) = e_startᵀ,
//! [`LANES`] chains per pass over the transposed transitions.
//!
//! * The states are renumbered by their visit order (`scc::visit_order`): strongly connected
//!   components from sources to sinks, so a state in no cycle is exact after one pass and only
//!   the cyclic components are swept. A component's rows are contiguous in memory, its inflow
//!   from upstream is summed once, and its sweeps read only its own transitions.
//! * The whole chain is solved first; every removed chain starts from its solution (g₋c ≤ g),
//!   which needs about a fifth fewer sweeps than starting from 0.
//! * The blocks of lanes run in parallel, each reusing a per-thread scratch; the blocks are
//!   fixed by channel ids, so results do not depend on the thread count.

use crate::error::Result;

use super::counts::Chain;
use super::max_work_error;
use super::scc;
use super::solve::{GS_COST, SWEEPS_ESTIMATE, Solution, assemble, columns, numerical, rates};
use super::states::START;

/// Gauss–Seidel stops when the estimated remaining relative error of every expected-visit count
/// is at most this.
pub(crate) const TOLERANCE: f64 = 1e-13;

/// Chains solved together in one pass over the transitions (one SIMD-friendly row of g per
/// state).
pub(crate) const LANES: usize = 8;
type Lanes = [f64; LANES];

/// A set of lanes, as bits.
type LaneSet = u8;
const _: () = assert!(LANES <= LaneSet::BITS as usize);

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

/// The state updates of one Gauss–Seidel pass (each costs its incoming transitions + 1), split
/// into the states in no cycle (updated once) and those in cyclic components (updated once per
/// sweep), for the cost estimate. O(S + E) time, O(S) memory (`scc::visit_order`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Updates {
    /// Updates of the states in no cycle, `(start)` included.
    pub once: f64,
    /// Updates of one sweep of every cyclic component.
    pub per_sweep: f64,
    /// States in cyclic components.
    pub cyclic_states: usize,
}

impl Updates {
    pub(crate) fn of(chain: &Chain) -> Updates {
        let n = chain.transient();
        let mut indegree = vec![0u32; n];
        for &t in &chain.out_to {
            indegree[t as usize] += 1;
        }
        let (order, segments) = scc::visit_order(chain);
        Updates::from_runs(segments.iter().map(|seg| {
            let states = &order[seg.start..seg.end];
            let cost = states
                .iter()
                .map(|&s| f64::from(indegree[s as usize]) + 1.0)
                .sum();
            (seg.cyclic, states.len(), cost)
        }))
    }

    /// The sum over the runs of a visit order, `(cyclic, states, cost)` each, with `(start)`'s
    /// update (no incoming transition) counted once.
    fn from_runs(runs: impl Iterator<Item = (bool, usize, f64)>) -> Updates {
        let mut u = Updates {
            once: 1.0,
            per_sweep: 0.0,
            cyclic_states: 0,
        };
        for (cyclic, states, cost) in runs {
            if cyclic {
                u.per_sweep += cost;
                u.cyclic_states += states;
            } else {
                u.once += cost;
            }
        }
        u
    }

    /// Estimated state updates of one block of lanes at `sweeps` sweeps.
    pub(crate) fn at(&self, sweeps: f64) -> f64 {
        self.once + sweeps * self.per_sweep
    }
}

/// One state's expected visits in the [`LANES`] chains of a block, aligned to a cache line so
/// that reading a predecessor's row touches one line.
#[derive(Clone, Copy, Debug)]
#[repr(C, align(64))]
struct Row(Lanes);

/// Incoming transitions with probabilities (the transpose of the chain's CSR), the states
/// renumbered by their position in the visit order of Gauss–Seidel (`scc::visit_order`;
/// position 0 is `(start)`). A component's states are then contiguous, and its sweeps read a
/// compact block of rows instead of rows scattered over the whole chain.
#[derive(Debug)]
pub(super) struct Incoming {
    /// Transitions into position i: `ptr[i]..split[i]` from earlier runs (final before i's
    /// run is visited), `split[i]..ptr[i + 1]` from i's own cyclic component; each part by
    /// source position.
    ptr: Vec<usize>,
    split: Vec<usize>,
    /// Source position and probability of each transition.
    from: Vec<u32>,
    p: Vec<f64>,
    /// The state at each position.
    state: Vec<u32>,
    /// The position of each state (for `sources`).
    #[cfg(test)]
    pos: Vec<u32>,
    /// The runs of the visit order, in positions.
    segments: Vec<scc::Segment>,
}

impl Incoming {
    pub(super) fn new(chain: &Chain) -> Incoming {
        let n = chain.transient();
        let (order, runs) = scc::visit_order(chain);
        let mut state = Vec::with_capacity(n);
        state.push(START);
        state.extend_from_slice(&order);
        let mut pos = vec![0u32; n];
        for (i, &s) in state.iter().enumerate() {
            pos[s as usize] = i as u32;
        }
        let segments: Vec<scc::Segment> = runs
            .iter()
            .map(|r| scc::Segment {
                start: r.start + 1,
                end: r.end + 1,
                cyclic: r.cyclic,
            })
            .collect();
        let mut ptr = vec![0usize; n + 1];
        for &t in &chain.out_to {
            ptr[pos[t as usize] as usize + 1] += 1;
        }
        for i in 0..n {
            ptr[i + 1] += ptr[i];
        }
        let mut fill = ptr.clone();
        let mut edges = vec![(0u32, 0.0f64); chain.out_to.len()];
        for s in 0..n {
            let v = chain.visits[s];
            for (t, x) in chain.out(s) {
                let t = pos[t as usize] as usize;
                edges[fill[t]] = (pos[s], x / v);
                fill[t] += 1;
            }
        }
        let mut split = vec![0usize; n];
        for (i, seg) in segments
            .iter()
            .flat_map(|s| (s.start..s.end).map(move |i| (i, s)))
        {
            let into = &mut edges[ptr[i]..ptr[i + 1]];
            into.sort_unstable_by_key(|&(f, _)| f);
            split[i] = if seg.cyclic {
                ptr[i] + into.partition_point(|&(f, _)| (f as usize) < seg.start)
            } else {
                ptr[i + 1]
            };
        }
        split[0] = ptr[1];
        let (from, p) = edges.into_iter().unzip();
        Incoming {
            ptr,
            split,
            from,
            p,
            state,
            #[cfg(test)]
            pos,
            segments,
        }
    }

    /// The states with a transition to state `t` (the removed-chain measurements of `reach`).
    #[cfg(test)]
    pub(super) fn sources(&self, t: usize) -> Vec<u32> {
        let i = self.pos[t] as usize;
        self.from[self.ptr[i]..self.ptr[i + 1]]
            .iter()
            .map(|&f| self.state[f as usize])
            .collect()
    }

    /// The state updates of one pass, from the runs (as [`Updates::of`], without recomputing
    /// the components).
    pub(super) fn updates(&self) -> Updates {
        Updates::from_runs(
            self.segments
                .iter()
                .map(|seg| (seg.cyclic, seg.end - seg.start, self.run_cost(seg))),
        )
    }

    /// The updates of one pass over a run: its incoming transitions + 1 per state.
    fn run_cost(&self, seg: &scc::Segment) -> f64 {
        (self.ptr[seg.end] - self.ptr[seg.start] + seg.end - seg.start) as f64
    }

    /// `values` (by state) in the order of the positions.
    fn by_position(&self, values: &[f64]) -> Vec<f64> {
        self.state.iter().map(|&s| values[s as usize]).collect()
    }

    /// Σ p·g over the transitions `range` into one position.
    fn gather(&self, g: &[Row], range: std::ops::Range<usize>, acc: &mut Lanes) {
        for e in range {
            let (p, gt) = (self.p[e], &g[self.from[e] as usize].0);
            for l in 0..LANES {
                acc[l] += p * gt[l];
            }
        }
    }

    /// Expected visits from `(start)` for up to [`LANES`] chains at once, by position: lane
    /// `l` is the chain with the states containing channel `lanes[l]` absorbing (g = 0
    /// there), or the whole chain for `None` (and for unused lanes). Gauss–Seidel on
    /// g(s) = Σ_t g(t)·P(t, s), g(start) = 1 (`(start)` has no incoming transition), all lanes
    /// in one pass over the transitions (they share the matrix).
    ///
    /// The states are visited by strongly connected component, sources first
    /// (`scc::visit_order`): a state in no cycle is exact after one pass, since its
    /// predecessors are final before it; each component with a cycle is swept until it
    /// converges. Its inflow from upstream is final before its first sweep, so it is summed
    /// once, and the sweeps read only the component's own transitions.
    ///
    /// Starting from 0 the iterates of a component increase monotonically to g. A sweep's
    /// largest relative change δ_m of a lane is turned into an error estimate
    /// max(1, ρ/(1 − ρ))·δ_m with ρ = (δ_m/δ_{m−k})^{1/k}, k = min(m − 1, 16) (the tail of a
    /// geometric series, its rate measured over several sweeps); the component's iteration
    /// stops when every lane's estimate is below [`TOLERANCE`] or its δ_m is at rounding
    /// level (8 ε).
    ///
    /// Leaves g by position in `scratch`, and returns the sweeps of the slowest component and the state updates
    /// of all passes (each costs its incoming transitions + 1), for the cost estimate.
    fn visits(
        &self,
        chain: &Chain,
        lanes: &[Option<usize>],
        channels: usize,
        warm: Option<Warm>,
        scratch: &mut Scratch,
    ) -> Result<Option<Sweeps>> {
        let Scratch {
            g,
            lane_of,
            kill,
            inflow,
        } = scratch;
        lane_of.clear();
        lane_of.resize(channels, u8::MAX);
        for (l, c) in lanes.iter().enumerate() {
            if let Some(c) = c {
                lane_of[*c] = l as u8;
            }
        }
        // The lanes in which each position is absorbing, as bits.
        kill.clear();
        kill.extend(self.state.iter().map(|&s| {
            match s {
                START => 0,
                s => chain
                    .channels_of(s as usize)
                    .iter()
                    .fold(0, |k: LaneSet, c| match lane_of[c.index()] {
                        u8::MAX => k,
                        l => k | 1 << l,
                    }),
            }
        }));
        let kill = &*kill;
        let absorb = |i: usize, acc: &mut Lanes| {
            if kill[i] != 0 {
                for (l, a) in acc.iter_mut().enumerate() {
                    if kill[i] >> l & 1 == 1 {
                        *a = 0.0;
                    }
                }
            }
        };
        g.clear();
        match warm {
            Some(warm) => g.extend(warm.whole.iter().enumerate().map(|(i, &x)| {
                let mut row = [x; LANES];
                absorb(i, &mut row);
                Row(row)
            })),
            None => {
                g.resize(self.state.len(), Row([0.0; LANES]));
                g[0] = Row([1.0; LANES]);
            }
        }
        let mut done = Sweeps {
            most: 0,
            updates: 0.0,
        };
        for seg in &self.segments {
            let cost = self.run_cost(seg);
            if !seg.cyclic {
                for i in seg.start..seg.end {
                    let mut acc = [0.0; LANES];
                    self.gather(g, self.ptr[i]..self.ptr[i + 1], &mut acc);
                    absorb(i, &mut acc);
                    g[i] = Row(acc);
                }
                done.updates += cost;
                done.most = done.most.max(1);
                continue;
            }
            inflow.clear();
            inflow.extend((seg.start..seg.end).map(|i| {
                let mut acc = [0.0; LANES];
                self.gather(g, self.ptr[i]..self.split[i], &mut acc);
                acc
            }));
            let inflow = &*inflow;
            let update = |g: &[Row], i: usize| -> Lanes {
                let mut acc = inflow[i - seg.start];
                self.gather(g, self.split[i]..self.ptr[i + 1], &mut acc);
                absorb(i, &mut acc);
                acc
            };
            let Some(sweeps) = converge(g, seg.start..seg.end, warm.map(|w| w.inverse), update)?
            else {
                return Ok(None);
            };
            done.updates += sweeps as f64 * cost;
            done.most = done.most.max(sweeps);
        }
        Ok(Some(done))
    }
}

/// The whole chain's expected visits g by position, and 1/g: the starting point of the removed
/// chains and the scale of their changes.
#[derive(Clone, Copy, Debug)]
struct Warm<'a> {
    whole: &'a [f64],
    inverse: &'a [f64],
}

/// The work arrays of one block of Gauss–Seidel, reused from block to block
/// (`par::map_tasks_with`).
#[derive(Debug, Default)]
pub(super) struct Scratch {
    /// Expected visits by position, a row of lanes each.
    g: Vec<Row>,
    /// The lane of every channel removed in the block (`u8::MAX` for none).
    lane_of: Vec<u8>,
    /// The lanes in which each position is absorbing, as bits.
    kill: Vec<LaneSet>,
    /// A cyclic component's inflow from upstream, by position in the component.
    inflow: Vec<Lanes>,
}

/// Sweeps the component at `positions` (upstream of it final) until its lanes converge; the
/// number of sweeps, or `None` when the observed rate predicts more than [`MAX_SWEEPS`].
///
/// A change is measured relative to the larger of the old and new value, or, where the
/// iteration started from the whole chain's g, relative to g (`warm` holds 1/g by position).
/// Started from g, a state that the removal cuts off decreases geometrically to 0: relative to
/// its own value its change would stay at 1 − ρ forever, relative to g it vanishes at the rate
/// of the iteration.
fn converge(
    g: &mut [Row],
    positions: std::ops::Range<usize>,
    warm: Option<&[f64]>,
    update: impl Fn(&[Row], usize) -> Lanes,
) -> Result<Option<usize>> {
    // Largest relative change of every sweep so far, per lane: the rate is measured over
    // a span of sweeps, because Gauss–Seidel on a cycle can move a lane's error in bursts
    // (δ flat for a few sweeps, then a drop), which a one-sweep ratio reads as ρ = 1.
    let mut history: Vec<[f64; LANES]> = Vec::new();
    for sweep in 1..=MAX_SWEEPS {
        let mut delta = [0.0f64; LANES];
        match warm {
            // Started from g the iterates decrease, so max(|new|, |old|, g) is g: one
            // multiplication by its precomputed inverse per lane.
            Some(inv) => {
                for i in positions.clone() {
                    let acc = update(g, i);
                    let old = &mut g[i].0;
                    for l in 0..LANES {
                        delta[l] = delta[l].max((acc[l] - old[l]).abs() * inv[i]);
                    }
                    *old = acc;
                }
            }
            None => {
                for i in positions.clone() {
                    let acc = update(g, i);
                    let old = &mut g[i].0;
                    for l in 0..LANES {
                        // The largest |new − old|/max(|new|, |old|), dividing only when it
                        // grows.
                        let diff = (acc[l] - old[l]).abs();
                        let scale = acc[l].abs().max(old[l].abs()).max(f64::MIN_POSITIVE);
                        if diff > delta[l] * scale {
                            delta[l] = diff / scale;
                        }
                    }
                    *old = acc;
                }
            }
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
pub(super) fn sparse(chain: &Chain, channels: usize, max_work: f64) -> Result<Option<Solution>> {
    let inc = Incoming::new(chain);
    let (r_conv, r_value) = rates(chain);
    let (r_conv, r_value) = (inc.by_position(&r_conv), inc.by_position(&r_value));
    // Lane 0 of block 0 is the whole chain.
    let columns = columns(chain, channels);
    let blocks: Vec<&[Option<usize>]> = columns.chunks(LANES).collect();
    let one = |scratch: &mut Scratch,
               lanes: &[Option<usize>],
               warm: Option<Warm>|
     -> Result<Option<(Absorbed, Sweeps)>> {
        let Some(sweeps) = inc.visits(chain, lanes, channels, warm, scratch)? else {
            return Ok(None);
        };
        let g = &scratch.g;
        let absorbed = (0..lanes.len())
            .map(|l| {
                let (mut p, mut pv) = (0.0, 0.0);
                for (i, gs) in g.iter().enumerate() {
                    p += gs.0[l] * r_conv[i];
                    pv += gs.0[l] * r_value[i];
                }
                (p, pv)
            })
            .collect();
        Ok(Some((absorbed, sweeps)))
    };
    // The first block runs alone: its lane 0, the whole chain, is the starting point of every
    // other block. When the first estimate is not within a tenth of the limit, its sweeps,
    // not the assumed SWEEPS_ESTIMATE, price the rest (every block solves the same matrix, so
    // they need about as many; fewer from the warm start).
    let estimate = columns.len() as f64 * inc.updates().at(SWEEPS_ESTIMATE) * GS_COST;
    let mut scratch = Scratch::default();
    let Some((mut absorbed, sweeps)) = one(&mut scratch, blocks[0], None)? else {
        return Ok(None);
    };
    if 10.0 * estimate > max_work {
        let work = columns.len() as f64 * sweeps.updates * GS_COST;
        if work > max_work {
            return Err(max_work_error(
                max_work,
                work,
                format!(
                    "Gauss–Seidel needed up to {} sweeps of its cyclic components, {:.2e} \
                     state updates, over {} transitions for its first {} chains (the first \
                     estimate assumed {SWEEPS_ESTIMATE} sweeps): the {} removed chains need \
                     about {work:.1e} multiply-adds",
                    sweeps.most,
                    sweeps.updates,
                    chain.out_to.len(),
                    blocks[0].len(),
                    columns.len()
                ),
            ));
        }
    }
    // Every removed chain has g₋c ≤ g: started from g (0 on its absorbing states), its
    // iterates decrease to g₋c, and start much closer to it than 0 does.
    let whole: Vec<f64> = scratch.g.iter().map(|row| row.0[0]).collect();
    let inverse: Vec<f64> = whole
        .iter()
        .map(|&x| 1.0 / x.max(f64::MIN_POSITIVE))
        .collect();
    drop(scratch);
    let warm = Warm {
        whole: &whole,
        inverse: &inverse,
    };
    let per: Vec<Result<Option<(Absorbed, Sweeps)>>> =
        crate::par::map_tasks_with(blocks.len() - 1, Scratch::default, |scratch, i| {
            one(scratch, blocks[i + 1], Some(warm))
        });
    for b in per {
        match b? {
            Some((b, _)) => absorbed.extend(b),
            None => return Ok(None),
        }
    }
    assemble(&columns, &absorbed, channels).map(Some)
}
