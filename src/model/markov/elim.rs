//! Order 1 on large chains: one sparse factorisation of I − Q by elimination of low-degree
//! states, a dense core, and the diagonal of G = (I − Q)⁻¹ from the factors (the model
//! reference, §Markov chain / Exact solve).
//!
//! At order 1 every channel is one state c, and removing it sends the transitions into c to
//! `(null)`. Then the expected visits of the removed chain are
//! `g₋c = G[start,·] − (G[start,c]/G[c,c])·G[c,·]`, a rank-one change of the first row of G, so
//!
//! ```text
//! P₋c(conv) = h(start) − (G[start,c]/G[c,c])·h(c)      RE(c) = G[start,c]·h(c) / (G[c,c]·h(start))
//! ```
//!
//! with h = G·r_conv (and the same with r_value for RE_V). `G[start,c]/G[c,c]` is the
//! probability that a walk ever visits c. Everything needed is one factorisation, three
//! triangular solves (h, h_V and the first row of G) and the diagonal of G.
//!
//! # Method
//!
//! 1. **Elimination.** States are eliminated one at a time, always the one with the fewest
//!    fill-in updates (in-degree × out-degree among the remaining states, Markowitz's rule;
//!    ties to the lower state id, so the order is deterministic). The order, the core and the
//!    cost are planned on the pattern first (`symbolic`), and the plan is checked against the
//!    limit before any of the numeric work below. Eliminating v replaces each
//!    path i → v → j by a transition i → j of probability Q[i,v]·Q[v,j]/d_v, and the
//!    absorption of i grows by Q[i,v]·a(v)/d_v. The pivot is computed as
//!    `d_v = a(v) + Σ_{j≠v} Q[v,j]` (Grassmann, Taksar and Heyman's subtraction-free form:
//!    the censored chain stays stochastic), so the factorisation has no cancellation and
//!    needs no pivoting (I − Q is an M-matrix; so is each Schur complement).
//! 2. **Dense core.** When the cheapest remaining state would cost more than its share of the
//!    dense inversion of what remains (the remaining states are by then nearly all connected),
//!    the Schur complement S of the remaining m states is inverted densely, by blocked
//!    Gauss–Jordan elimination in matrix products (`inverse::sweep`): `G[K,K] = S⁻¹`, bordered
//!    by the right-hand sides so that h and g on the core come out of the same sweep, and with
//!    only the rows of S⁻¹ that step 3 reads kept whole (the others keep their diagonal).
//! 3. **Selected inverse.** Back through the eliminated states (Takahashi's equations, with
//!    U[v,j] = −Q[v,j] and L[i,v] = −Q[i,v]/d_v):
//!
//!    ```text
//!    G[j,v] = Σ_{i ∈ in(v)} G[j,i]·Q[i,v]/d_v          for j ∈ out(v)
//!    G[v,i] = Σ_{j ∈ out(v)} Q[v,j]/d_v·G[j,i]          for i ∈ in(v)
//!    G[v,v] = 1/d_v + Σ_{j ∈ out(v)} Q[v,j]/d_v·G[j,v]
//!    ```
//!
//!    Every G[j,i] read is at a position of the filled pattern computed before (i → j is a
//!    fill-in of v), and all terms are non-negative.
//!
//! # Complexity
//! Σ_v in(v)·out(v) updates for the elimination (rows are sorted vectors, merged; the few rows
//! linked to more than n/16 states are dense) and as many products for the selected inverse
//! (each v's degrees counted when it is eliminated), 48 bytes per filled entry, plus m³
//! multiply-adds in matrix products and 16m² bytes for a dense core of m states. Campaign
//! tables (popular keys followed by everything, rare keys seen a few times) leave a core of
//! the popular keys.

use crate::error::Result;

use super::counts::Chain;
use super::inverse;
use super::solve::{DENSE_MAX, Solution, finish, numerical, rates};
use super::states::START;
use super::symbolic::{self, Symbolic};

/// One eliminated state: its pivot, its transitions to the states remaining at that moment
/// (U, sorted by state) and theirs into it (L, sorted), and the right-hand sides it fixed.
#[derive(Debug)]
struct Step {
    v: u32,
    d: f64,
    upper: Vec<(u32, f64)>,
    lower: Vec<(u32, f64)>,
}

/// The factorisation: eliminated states in order, then the dense core.
#[derive(Debug)]
struct Factors {
    steps: Vec<Step>,
    /// Core states (ascending, as planned; the tests compare it with the plan's).
    #[cfg_attr(not(test), allow(dead_code))]
    core: Vec<u32>,
    /// The core states in the order of the dense matrix: those whose row of G the selected
    /// inverse reads come last.
    layout: Vec<u32>,
    /// The swept core (`inverse::sweep`, `core.len() + 1` rows of `stride` = `core.len() + 2`
    /// entries, in `layout` order): G on the core (the rows the selected inverse reads, and the
    /// diagonal), h and h_V in the last two columns and −g in the last row.
    core_inverse: Vec<f64>,
    stride: usize,
    /// Position of each state: its step, or `steps.len() + ` its index in `layout`.
    pos: Vec<u32>,
}

/// Right-hand sides carried through the elimination: absorption a, r_conv and r_value
/// (forward substitution with L), and e_start (forward substitution with Uᵀ).
struct Rhs {
    a: Vec<f64>,
    conv: Vec<f64>,
    value: Vec<f64>,
    start: Vec<f64>,
}

impl Rhs {
    fn new(chain: &Chain) -> Rhs {
        let n = chain.transient();
        let (conv, value) = rates(chain);
        let a = (0..n)
            .map(|s| {
                let v = chain.visits[s];
                if v > 0.0 {
                    (chain.n_conv[s] + chain.n_null[s]) / v
                } else {
                    1.0
                }
            })
            .collect();
        let start = (0..n).map(|s| f64::from(s == START as usize)).collect();
        Rhs {
            a,
            conv,
            value,
            start,
        }
    }
}

/// Removal effects at order 1 by one sparse factorisation (see the module docs).
///
/// # Errors
/// [`Error::CostLimit`] when the elimination and the dense core would take more than
/// `max_work` multiply-adds by the symbolic phase's estimate (before any numeric work);
/// [`Error::Numerical`] for a non-positive pivot (impossible for a chain built from a table)
/// or a non-finite result.
pub(crate) fn order1(chain: &Chain, channels: usize, max_work: f64) -> Result<Solution> {
    let n = chain.transient();
    let plan = symbolic::plan(chain, max_work)?;
    let m = plan.core.len();
    if m > DENSE_MAX {
        return Err(numerical(format!(
            "the dense core of the order-1 elimination has {m} states, more than {DENSE_MAX} \
             (16m² bytes)"
        )));
    }
    let mut rhs = Rhs::new(chain);
    let f = eliminate(chain, &mut rhs, &plan)?;
    // Core: h_K = S⁻¹·y_K, g_K = S⁻ᵀ·b_K.
    let mut h = vec![0.0; n];
    let mut hv = vec![0.0; n];
    let mut g = vec![0.0; n];
    let mut diag = vec![0.0; n];
    let w = f.stride;
    for (r, &k) in f.layout.iter().enumerate() {
        let row = &f.core_inverse[r * w..(r + 1) * w];
        (h[k as usize], hv[k as usize]) = (row[m], row[m + 1]);
        g[k as usize] = -f.core_inverse[m * w + r];
        diag[k as usize] = row[r];
    }
    // Back through the eliminated states: substitution, then the selected inverse.
    let mut g_col: Vec<Vec<f64>> = vec![Vec::new(); f.steps.len()];
    let mut g_row: Vec<Vec<f64>> = vec![Vec::new(); f.steps.len()];
    let mut block = Vec::new();
    for (p, st) in f.steps.iter().enumerate().rev() {
        let v = st.v as usize;
        let d = st.d;
        let (mut x, mut xv) = (rhs.conv[v], rhs.value[v]);
        for &(j, q) in &st.upper {
            x += q * h[j as usize];
            xv += q * hv[j as usize];
        }
        (h[v], hv[v]) = (x / d, xv / d);
        let mut y = rhs.start[v] / d;
        for &(i, q) in &st.lower {
            y += q / d * g[i as usize];
        }
        g[v] = y;
        // B[k][k'] = G[k, k'] for k ∈ upper, k' ∈ lower.
        block.clear();
        for &(k, _) in &st.upper {
            for &(k2, _) in &st.lower {
                let x = lookup(&f, &g_col, &g_row, &diag, k, k2).ok_or_else(|| {
                    numerical(format!("selected inverse: G[{k},{k2}] outside the pattern"))
                })?;
                block.push(x);
            }
        }
        let w = st.lower.len();
        let col: Vec<f64> = (0..st.upper.len())
            .map(|a| {
                st.lower
                    .iter()
                    .enumerate()
                    .map(|(b, &(_, q))| block[a * w + b] * q / d)
                    .sum()
            })
            .collect();
        let row: Vec<f64> = (0..w)
            .map(|b| {
                st.upper
                    .iter()
                    .enumerate()
                    .map(|(a, &(_, q))| q / d * block[a * w + b])
                    .sum()
            })
            .collect();
        let mut gvv = 1.0 / d;
        for (&(_, q), &gj) in st.upper.iter().zip(&col) {
            gvv += q / d * gj;
        }
        diag[v] = gvv;
        g_col[p] = col;
        g_row[p] = row;
    }
    let (p, pv) = (h[START as usize], hv[START as usize]);
    let mut re = vec![0.0; channels];
    let mut re_value = vec![0.0; channels];
    for s in 1..n {
        let hit = g[s] / diag[s]; // P(the walk ever visits s)
        let c = chain.channels_of(s)[0].index();
        re[c] = hit * h[s] / p;
        re_value[c] = if pv > 0.0 { hit * hv[s] / pv } else { 0.0 };
    }
    finish(p, pv, re, re_value)
}

/// G[x, y] for a position of the filled pattern (or the core, or the diagonal), once computed.
fn lookup(
    f: &Factors,
    g_col: &[Vec<f64>],
    g_row: &[Vec<f64>],
    diag: &[f64],
    x: u32,
    y: u32,
) -> Option<f64> {
    if x == y {
        return Some(diag[x as usize]);
    }
    let eliminated = f.steps.len() as u32;
    let (px, py) = (f.pos[x as usize], f.pos[y as usize]);
    if px >= eliminated && py >= eliminated {
        let (r, c) = ((px - eliminated) as usize, (py - eliminated) as usize);
        return f.core_inverse.get(r * f.stride + c).copied();
    }
    if py < px {
        // y was eliminated first and x was one of its successors: G[x, y] is in y's column.
        let st = &f.steps[py as usize];
        let i = st.upper.binary_search_by_key(&x, |e| e.0).ok()?;
        g_col[py as usize].get(i).copied()
    } else {
        // x was eliminated first and y one of its predecessors: G[x, y] is in x's row.
        let st = &f.steps[px as usize];
        let i = st.lower.binary_search_by_key(&y, |e| e.0).ok()?;
        g_row[px as usize].get(i).copied()
    }
}

/// Eliminates the states of `plan` in its order, then inverts the dense core. `rhs` ends as the
/// forward-substituted right-hand sides.
///
/// The remaining transitions are kept by rows as vectors sorted by state (merged, not hashed);
/// the predecessors of each eliminated state come from the plan, and a count of entries per
/// column checks that the numeric pattern is the planned one.
fn eliminate(chain: &Chain, rhs: &mut Rhs, plan: &Symbolic) -> Result<Factors> {
    let n = chain.transient();
    // Remaining transitions: out[s] holds (t, Q[s, t]) for t ≠ s, sorted by t.
    let big = (n / 16).max(256);
    let mut out: Vec<Row> = Vec::with_capacity(n);
    let mut in_count = vec![0u32; n];
    for s in 0..n {
        let v = chain.visits[s];
        let mut row: Vec<(u32, f64)> = Vec::with_capacity(chain.out_ptr[s + 1] - chain.out_ptr[s]);
        if v > 0.0 {
            for (t, x) in chain.out(s).filter(|&(t, _)| t as usize != s) {
                match row.last_mut() {
                    Some(last) if last.0 == t => last.1 += x / v,
                    _ => row.push((t, x / v)),
                }
            }
        }
        row.sort_by_key(|e| e.0); // already sorted: a check, not a cost
        for e in &row {
            in_count[e.0 as usize] += 1;
        }
        out.push(Row::new(row, big, n));
    }
    let mismatch = |v: u32| numerical(format!("elimination of {v}: the pattern is not the plan's"));
    let mut pos = vec![u32::MAX; n];
    let mut steps: Vec<Step> = Vec::with_capacity(plan.order.len());
    let mut scratch: Vec<(u32, f64)> = Vec::new();
    for (p, &v) in plan.order.iter().enumerate() {
        let vi = v as usize;
        let lower_ids = plan.lower_of(p);
        if in_count[vi] as usize != lower_ids.len() {
            return Err(mismatch(v));
        }
        let upper = out[vi].take();
        for &(j, _) in &upper {
            in_count[j as usize] -= 1;
        }
        let mut lower = Vec::with_capacity(lower_ids.len());
        for &i in lower_ids {
            let q = out[i as usize].remove(v).ok_or_else(|| mismatch(v))?;
            lower.push((i, q));
        }
        let d = rhs.a[vi] + upper.iter().map(|e| e.1).sum::<f64>();
        if !(d.is_finite() && d > 0.0) {
            return Err(numerical(format!("pivot {d} of state {v}")));
        }
        let z = rhs.start[vi] / d;
        for &(j, q) in &upper {
            rhs.start[j as usize] += q * z;
        }
        for &(i, qi) in &lower {
            let iu = i as usize;
            let f = qi / d;
            rhs.a[iu] += f * rhs.a[vi];
            rhs.conv[iu] += f * rhs.conv[vi];
            rhs.value[iu] += f * rhs.value[vi];
            // A self-loop i → v → i is skipped: the subtraction-free pivot accounts for it.
            out[iu].add_scaled(&upper, f, i, &mut in_count, &mut scratch, big);
        }
        pos[vi] = steps.len() as u32;
        steps.push(Step { v, d, upper, lower });
    }
    let core = plan.core.clone();
    let m = core.len();
    let eliminated = steps.len() as u32;
    // The rows of G on the core that the selected inverse reads: G[k, k'] for k a successor
    // and k' a predecessor of an eliminated state, both in the core.
    let mut in_core = vec![false; n];
    for &k in &core {
        in_core[k as usize] = true;
    }
    let mut read = vec![false; n];
    for st in &steps {
        if st.lower.iter().any(|e| in_core[e.0 as usize]) {
            for &(k, _) in st.upper.iter().filter(|e| in_core[e.0 as usize]) {
                read[k as usize] = true;
            }
        }
    }
    let layout: Vec<u32> = core
        .iter()
        .filter(|&&k| !read[k as usize])
        .chain(core.iter().filter(|&&k| read[k as usize]))
        .copied()
        .collect();
    for (r, &k) in layout.iter().enumerate() {
        pos[k as usize] = eliminated + r as u32;
    }
    // [[S, y_conv, y_value], [b_startᵀ, 0, 0]] in layout order.
    let stride = m + 2;
    let mut s = vec![0.0; (m + 1) * stride];
    for (r, &k) in layout.iter().enumerate() {
        let ku = k as usize;
        let mut diag = rhs.a[ku];
        for (j, q) in out[ku].take() {
            let c = pos[j as usize]
                .checked_sub(eliminated)
                .ok_or_else(|| mismatch(j))?;
            diag += q;
            s[r * stride + c as usize] = -q;
        }
        s[r * stride + r] = diag;
        s[r * stride + m] = rhs.conv[ku];
        s[r * stride + m + 1] = rhs.value[ku];
        s[m * stride + r] = rhs.start[ku];
    }
    drop(out);
    let keep: Vec<bool> = layout.iter().map(|&k| read[k as usize]).collect();
    let core_inverse = inverse::sweep(s, m, m + 1, stride, &keep)?;
    Ok(Factors {
        steps,
        core,
        layout,
        core_inverse,
        stride,
        pos,
    })
}

/// A row of the remaining transitions: (state, probability) sorted by state, or, for the few
/// states linked to a large share of the others (`(start)`, popular keys), a dense row of n
/// probabilities (0 where there is no transition: every entry of the elimination is positive).
enum Row {
    Sparse(Vec<(u32, f64)>),
    Dense { q: Vec<f64>, len: usize },
}

impl Row {
    fn new(row: Vec<(u32, f64)>, big: usize, n: usize) -> Row {
        let mut r = Row::Sparse(row);
        r.densify(big, n);
        r
    }

    /// A sparse row longer than `big` becomes dense.
    fn densify(&mut self, big: usize, n: usize) {
        if let Row::Sparse(row) = self
            && row.len() > big
        {
            let mut q = vec![0.0; n];
            for &(j, x) in row.iter() {
                q[j as usize] = x;
            }
            *self = Row::Dense { q, len: row.len() };
        }
    }

    /// The entries, sorted by state, leaving the row empty.
    fn take(&mut self) -> Vec<(u32, f64)> {
        match std::mem::replace(self, Row::Sparse(Vec::new())) {
            Row::Sparse(row) => row,
            Row::Dense { q, len } => {
                let mut row = Vec::with_capacity(len);
                row.extend(
                    q.iter()
                        .enumerate()
                        .filter(|e| *e.1 > 0.0)
                        .map(|(j, &x)| (j as u32, x)),
                );
                row
            }
        }
    }

    /// Removes the entry of `v` and returns it (`None` when there is none).
    fn remove(&mut self, v: u32) -> Option<f64> {
        match self {
            Row::Sparse(row) => {
                let at = row.binary_search_by_key(&v, |e| e.0).ok()?;
                Some(row.remove(at).1)
            }
            Row::Dense { q, len } => {
                let x = std::mem::take(q.get_mut(v as usize)?);
                if x > 0.0 {
                    *len -= 1;
                    Some(x)
                } else {
                    None
                }
            }
        }
    }

    /// `row += f·add` without the entry `skip` (see [`add_scaled`]).
    fn add_scaled(
        &mut self,
        add: &[(u32, f64)],
        f: f64,
        skip: u32,
        in_count: &mut [u32],
        scratch: &mut Vec<(u32, f64)>,
        big: usize,
    ) {
        match self {
            Row::Sparse(row) => {
                add_scaled(row, add, f, skip, in_count, scratch);
                self.densify(big, in_count.len());
            }
            Row::Dense { q, len } => {
                for &(j, x) in add.iter().filter(|e| e.0 != skip) {
                    let e = &mut q[j as usize];
                    if *e == 0.0 {
                        *len += 1;
                        in_count[j as usize] += 1;
                    }
                    *e += f * x;
                }
            }
        }
    }
}

/// `row += f·add` for sorted `row` and `add`, without the entry `skip`; an entry new to the
/// row counts one more in its column. A merge through `scratch`, or binary-search insertions
/// when `add` is short.
fn add_scaled(
    row: &mut Vec<(u32, f64)>,
    add: &[(u32, f64)],
    f: f64,
    skip: u32,
    in_count: &mut [u32],
    scratch: &mut Vec<(u32, f64)>,
) {
    if add.len() * 16 < row.len() {
        for &(j, q) in add.iter().filter(|e| e.0 != skip) {
            match row.binary_search_by_key(&j, |e| e.0) {
                Ok(at) => row[at].1 += f * q,
                Err(at) => {
                    row.insert(at, (j, f * q));
                    in_count[j as usize] += 1;
                }
            }
        }
        return;
    }
    scratch.clear();
    scratch.reserve(row.len() + add.len());
    let mut a = row.iter().peekable();
    for &(j, q) in add.iter().filter(|e| e.0 != skip) {
        while let Some(&&e) = a.peek() {
            if e.0 >= j {
                break;
            }
            scratch.push(e);
            a.next();
        }
        match a.peek() {
            Some(&&(k, x)) if k == j => {
                scratch.push((j, x + f * q));
                a.next();
            }
            _ => {
                scratch.push((j, f * q));
                in_count[j as usize] += 1;
            }
        }
    }
    scratch.extend(a);
    std::mem::swap(row, scratch);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;
    use crate::fixtures::t2;
    use crate::model::markov::solve::Method;
    use crate::model::markov::{Markov, MarkovFit};
    use crate::outcome::Outcome;
    use crate::synth::{SynthConfig, SynthSize, generate};
    use crate::table::PathTable;

    fn assert_close(a: &MarkovFit, b: &MarkovFit, tol: f64) {
        let close = |x: f64, y: f64| (x - y).abs() <= tol * y.abs().max(1.0);
        assert!(close(
            a.conversion_probability(),
            b.conversion_probability()
        ));
        let pairs = a.removal_effects().into_iter().zip(b.removal_effects());
        let value_pairs = a
            .value_removal_effects()
            .into_iter()
            .zip(b.value_removal_effects());
        for (x, y) in pairs.chain(value_pairs) {
            assert_eq!(x.0, y.0);
            assert!(close(x.1, y.1), "{x:?} vs {y:?}");
        }
    }

    #[test]
    fn elimination_gives_the_hand_computed_t2_removal_effects() {
        // The model reference, §Markov worked examples: RE = 88/161, 71/126, 199/357.
        let fit = Markov::default()
            .fit_with(&t2(), Method::Elimination)
            .unwrap();
        let want = [88.0 / 161.0, 71.0 / 126.0, 199.0 / 357.0];
        for ((_, re), w) in fit.removal_effects().into_iter().zip(want) {
            assert!((re - w).abs() < 1e-12, "{re} vs {w}");
        }
        assert!((fit.value_removal_effect("C").unwrap() - 1913.0 / 3570.0).abs() < 1e-12);
    }

    /// A generated campaign table over 8 channels and its order-1 chain.
    fn campaign_chain(rows: usize, campaigns: usize, seed: u64) -> (PathTable, Chain) {
        crate::model::markov::tests::campaign_chain(rows, 8, campaigns, 0.0, seed)
    }

    /// A campaign table (300 keys over 8 channels, 4,000 paths): the elimination removes the
    /// rare keys and leaves a dense core of the popular ones, and agrees with the independent
    /// solvers (Gauss–Seidel on every removed chain, and the dense order-1 solver) to 1e-9.
    #[test]
    fn elimination_with_a_dense_core_matches_gauss_seidel_and_dense() {
        let (t, chain) = campaign_chain(4000, 300, 5);
        let mut rhs = Rhs::new(&chain);
        let plan = symbolic::plan(&chain, f64::INFINITY).unwrap();
        let f = eliminate(&chain, &mut rhs, &plan).unwrap();
        assert!(
            f.steps.len() > 10 && f.core.len() > 10,
            "{} {}",
            f.steps.len(),
            f.core.len()
        );
        let m = Markov::default();
        let elim = m.fit_with(&t, Method::Elimination).unwrap();
        assert_close(&elim, &m.fit_with(&t, Method::Sparse).unwrap(), 1e-9);
        assert_close(&elim, &m.fit_with(&t, Method::Dense).unwrap(), 1e-11);
    }

    /// A chain whose journeys keep their campaign (stickiness 0.9, 600 keys over 12 channels):
    /// most keys are eliminated, `(start)` and the hubs have dense rows, and the result agrees
    /// with Gauss–Seidel on every removed chain to 1e-9 and with the dense solver to 1e-11.
    #[test]
    fn elimination_of_a_sticky_campaign_chain_matches_gauss_seidel_and_dense() {
        let (t, chain) = crate::model::markov::tests::campaign_chain(8000, 12, 600, 0.9, 9);
        let plan = symbolic::plan(&chain, f64::INFINITY).unwrap();
        assert!(plan.order.len() > 300, "{} eliminated", plan.order.len());
        let m = Markov::default();
        let elim = m.fit_with(&t, Method::Elimination).unwrap();
        assert_close(&elim, &m.fit_with(&t, Method::Sparse).unwrap(), 1e-9);
        assert_close(&elim, &m.fit_with(&t, Method::Dense).unwrap(), 1e-11);
    }

    /// The symbolic phase is exact: its order is the numeric phase's, its update count is
    /// Σ in(v)·out(v) of the numeric factors, and its core is what the numeric phase leaves.
    #[test]
    fn the_symbolic_plan_is_the_numeric_pattern() {
        let (_, chain) = campaign_chain(3000, 400, 11);
        let plan = symbolic::plan(&chain, f64::INFINITY).unwrap();
        let f = eliminate(&chain, &mut Rhs::new(&chain), &plan).unwrap();
        assert!(plan.order.len() > 10 && plan.core.len() > 10);
        let order: Vec<u32> = f.steps.iter().map(|st| st.v).collect();
        assert_eq!(order, plan.order);
        let updates: usize = f
            .steps
            .iter()
            .map(|st| st.upper.len() * st.lower.len())
            .sum();
        assert_eq!(updates as f64, plan.updates);
        assert_eq!(f.core, plan.core);
        // Every entry of a factor is positive: no cancellation, so no pattern entry is zero.
        for st in &f.steps {
            assert!(st.upper.iter().chain(&st.lower).all(|e| e.1 > 0.0));
        }
    }

    #[test]
    fn the_running_estimate_is_checked_against_the_limit() {
        let t = generate(&SynthConfig {
            size: SynthSize::DistinctPaths(2000),
            channels: 8,
            campaigns: 200,
            seed: 3,
            ..SynthConfig::default()
        })
        .unwrap();
        let m = Markov {
            max_work: 1e3,
            ..Markov::default()
        };
        match m.fit_with(&t, Method::Elimination) {
            Err(Error::CostLimit {
                limit,
                allowed,
                cost,
                ..
            }) => {
                assert_eq!((limit, allowed), ("max_work", 1e3));
                assert!(cost > 1e3);
            }
            other => panic!("{other:?}"),
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(24))]

        /// Random tables of up to 40 channels (cycles, dead ends, channels only on null
        /// paths): elimination against Gauss–Seidel to 1e-9.
        #[test]
        fn elimination_matches_gauss_seidel_on_random_tables(
            rows in proptest::collection::vec(
                (proptest::collection::vec(0u8..40, 1..=8), 0u8..=3, 0u8..=3, 0u8..=9),
                1..80,
            )
        ) {
            let mut t = PathTable::new();
            for (i, (path, c, u, v)) in rows.iter().enumerate() {
                let c = if i == 0 { (*c).max(1) } else { *c };
                let names: Vec<String> = path.iter().map(|x| format!("ch{x}")).collect();
                let o = Outcome::new(f64::from(c), f64::from(c) * f64::from(*v), f64::from(*u));
                t.add(&names, o).unwrap();
            }
            let m = Markov::default();
            let elim = m.fit_with(&t, Method::Elimination).unwrap();
            let sparse = m.fit_with(&t, Method::Sparse).unwrap();
            let pairs = elim.removal_effects().into_iter().zip(sparse.removal_effects());
            let value_pairs =
                elim.value_removal_effects().into_iter().zip(sparse.value_removal_effects());
            for (x, y) in pairs.chain(value_pairs) {
                proptest::prop_assert!((x.1 - y.1).abs() <= 1e-9, "{x:?} {y:?}");
            }
        }
    }
}
