//! The additive hazard's likelihood with context: each touch's log-hazard is its channel's
//! level plus one term per other channel touched before it (an ordered pair `d → c`, the
//! hazard counterpart of the logistic model's order features), so synergy and order effects are
//! represented as well as decay.
//!
//! Parameter vector: ln β per channel (n), ln ω per channel (n, or 1 shared), then ε per
//! ordered pair of [`Layout::pairs`]. A touch i of channel c with the set B_i of other channels
//! touched before it has
//!
//! ```text
//! a_i = ln β_c + Σ_{d ∈ B_i, (d, c) a pair} ε_dc        g_i(t) = e^{a_i − ω_c (t − τ_i)}
//! ```

use ndarray::{Array1, Array2};

use super::linalg::{cholesky, inverse_diagonal};
use rustc_hash::FxHashMap;

use crate::table::{PathTable, Row};

/// Microseconds per day.
pub(crate) const DAY: f64 = 86_400e6;

/// The parameter vector's layout.
#[derive(Clone, Debug, Default)]
pub(crate) struct Layout {
    pub n: usize,
    pub shared: bool,
    /// Ordered pairs `(d, c)`: a touch of c after a touch of d; sorted.
    pub pairs: Vec<(u32, u32)>,
}

impl Layout {
    pub fn len(&self) -> usize {
        self.pairs_at() + self.pairs.len()
    }
    /// Index of ln ω of channel c.
    pub fn b(&self, c: usize) -> usize {
        self.n + if self.shared { 0 } else { c }
    }
    pub fn pairs_at(&self) -> usize {
        self.n + if self.shared { 1 } else { self.n }
    }
}

/// The features of every touch of one journey (scratch reused across journeys).
#[derive(Clone, Debug, Default)]
pub(crate) struct Ctx {
    /// Parameter indices of touch i's log-hazard: `feats[ends[i−1]..ends[i]]` (empty for a
    /// touch that is removed or of an unknown channel).
    pub feats: Vec<u32>,
    pub ends: Vec<usize>,
    /// The touch's channel, if present.
    pub channel: Vec<Option<u32>>,
    seen: Vec<u32>,
}

impl Ctx {
    /// Builds the features of `path` (channel indices; `None` = unknown) without the touches of
    /// `skip`.
    pub fn build(
        &mut self,
        layout: &Layout,
        path: impl Iterator<Item = Option<u32>>,
        skip: Option<u32>,
    ) {
        self.feats.clear();
        self.ends.clear();
        self.channel.clear();
        self.seen.clear();
        for c in path {
            let c = c.filter(|&c| Some(c) != skip && (c as usize) < layout.n);
            self.channel.push(c);
            if let Some(c) = c {
                self.feats.push(c);
                if !layout.pairs.is_empty() {
                    for &d in &self.seen {
                        if d != c
                            && let Ok(q) = layout.pairs.binary_search(&(d, c))
                        {
                            self.feats.push((layout.pairs_at() + q) as u32);
                        }
                    }
                }
                if !self.seen.contains(&c) {
                    self.seen.push(c);
                }
            }
            self.ends.push(self.feats.len());
        }
    }

    /// Parameter indices of touch i.
    pub fn of(&self, i: usize) -> &[u32] {
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.feats[start..self.ends[i]]
    }

    /// Log-level a_i of touch i.
    pub fn level(&self, theta: &[f64], i: usize) -> f64 {
        self.of(i).iter().map(|&j| theta[j as usize]).sum()
    }
}

/// Days from each touch to `reference` (never negative).
pub(crate) fn deltas(times: &[i64], reference: i64) -> impl Iterator<Item = f64> + '_ {
    times
        .iter()
        .map(move |&t| (reference.saturating_sub(t)).max(0) as f64 / DAY)
}

fn last(row: &Row<'_>) -> i64 {
    row.times.and_then(|t| t.last().copied()).unwrap_or(0)
}

/// The reference times of a row: (conversion, end of observation of a null).
pub(crate) fn references(row: &Row<'_>, window: f64) -> (i64, i64) {
    let last = last(row);
    let conv = row.converted_at.unwrap_or(last);
    (conv, last.saturating_add((window * DAY) as i64))
}

/// The cumulative hazard Λ(reference) of the touches built in `ctx`.
pub(crate) fn cumulative(
    theta: &[f64],
    layout: &Layout,
    ctx: &Ctx,
    times: &[i64],
    reference: i64,
) -> f64 {
    deltas(times, reference)
        .enumerate()
        .filter_map(|(i, d)| {
            let c = ctx.channel[i]? as usize;
            let omega = theta[layout.b(c)].exp();
            Some(ctx.level(theta, i).exp() * (-(-omega * d).exp_m1()) / omega)
        })
        .sum()
}

/// The cumulative hazard of the touches built in `ctx` on an untimed journey (no decay: each
/// touch adds its level once), Λ = Σ_i e^{a_i}.
pub(crate) fn untimed_cumulative(theta: &[f64], ctx: &Ctx) -> f64 {
    (0..ctx.channel.len())
        .filter(|&i| ctx.channel[i].is_some())
        .map(|i| ctx.level(theta, i).exp())
        .sum()
}

/// Gradient, Hessian and value of the log-likelihood.
pub(crate) struct Acc {
    pub grad: Array1<f64>,
    pub hess: Array2<f64>,
    pub ll: f64,
    pub ctx: Ctx,
    /// Untimed rows: ∂Λ/∂θ (dense, zeroed after each row) and its non-zero indices.
    dl: Vec<f64>,
    nz: Vec<usize>,
}

impl Acc {
    pub fn new(p: usize) -> Acc {
        Acc {
            grad: Array1::zeros(p),
            hess: Array2::zeros((p, p)),
            ll: 0.0,
            ctx: Ctx::default(),
            dl: vec![0.0; p],
            nz: Vec::new(),
        }
    }
}

/// An untimed row (no decay, conversion time unknown): P(convert) = 1 − e^{−Λ}, Λ = Σ_i e^{a_i},
/// so ℓ = s·ln(1 − e^{−Λ}) − f·Λ, ∇ℓ = g₁∇Λ and ∇²ℓ = g₂∇Λ∇Λᵀ + g₁∇²Λ with
/// g₁ = s/(e^Λ − 1) − f, g₂ = −s·e^Λ/(e^Λ − 1)²; ∂Λ/∂θ_j = Σ_{i: j ∈ a_i} e^{a_i} and
/// ∂²Λ/∂θ_j∂θ_k = Σ_{i: j, k ∈ a_i} e^{a_i}.
fn add_untimed_row(a: &mut Acc, ctx: &Ctx, (conv, nulls): (f64, f64), theta: &[f64]) {
    let lambda = untimed_cumulative(theta, ctx);
    if lambda <= 0.0 {
        return;
    }
    let em1 = lambda.exp_m1();
    let g1 = conv / em1 - nulls;
    let g2 = if conv > 0.0 {
        // −s·e^Λ/(e^Λ − 1)², written to stay finite for large Λ.
        -conv / (em1 * (1.0 - (-lambda).exp()))
    } else {
        0.0
    };
    a.ll += if conv > 0.0 {
        conv * (-(-lambda).exp_m1()).ln()
    } else {
        0.0
    } - nulls * lambda;
    a.nz.clear();
    for i in 0..ctx.channel.len() {
        if ctx.channel[i].is_none() {
            continue;
        }
        let h = ctx.level(theta, i).exp();
        for &j in ctx.of(i) {
            let j = j as usize;
            if a.dl[j] == 0.0 {
                a.nz.push(j);
            }
            a.dl[j] += h;
            for &k in ctx.of(i) {
                a.hess[[j, k as usize]] += g1 * h;
            }
        }
    }
    for &j in &a.nz {
        a.grad[j] += g1 * a.dl[j];
        for &k in &a.nz {
            a.hess[[j, k]] += g2 * a.dl[j] * a.dl[k];
        }
    }
    for &j in &a.nz {
        a.dl[j] = 0.0;
    }
}

/// Adds one row's log-likelihood, gradient and Hessian (of the log-likelihood) to `a`, with
/// `conv` converting and `nulls` null journeys.
pub(crate) fn add_row(
    a: &mut Acc,
    row: &Row<'_>,
    (conv, nulls): (f64, f64),
    theta: &[f64],
    layout: &Layout,
    window: f64,
) {
    let mut ctx = std::mem::take(&mut a.ctx);
    ctx.build(
        layout,
        row.path.iter().map(|id| Some(id.index() as u32)),
        None,
    );
    let Some(ts) = row.times else {
        add_untimed_row(a, &ctx, (conv, nulls), theta);
        a.ctx = ctx;
        return;
    };
    let (t_conv, t_null) = references(row, window);
    // −Λ terms: h = e^a (1 − e^{−ωΔ})/ω; ∂h/∂a = ∂²h/∂a² = h, ∂h/∂b = hb (b = ln ω).
    for (weight, reference) in [(conv, t_conv), (nulls, t_null)] {
        if weight <= 0.0 {
            continue;
        }
        for (i, d) in deltas(ts, reference).enumerate() {
            let Some(c) = ctx.channel[i] else { continue };
            let ib = layout.b(c as usize);
            let (beta, omega) = (ctx.level(theta, i).exp(), theta[ib].exp());
            let e = (-omega * d).exp();
            let one_minus = -(-omega * d).exp_m1();
            let h = beta * one_minus / omega;
            let hb = beta * (d * e - one_minus / omega);
            let hbb = beta * (-omega * d * d * e - d * e + one_minus / omega);
            a.ll -= weight * h;
            a.grad[ib] -= weight * hb;
            a.hess[[ib, ib]] -= weight * hbb;
            for &j in ctx.of(i) {
                let j = j as usize;
                a.grad[j] -= weight * h;
                a.hess[[j, ib]] -= weight * hb;
                a.hess[[ib, j]] -= weight * hb;
                for &k in ctx.of(i) {
                    a.hess[[j, k as usize]] -= weight * h;
                }
            }
        }
    }
    if conv > 0.0 {
        add_log_hazard(a, &ctx, ts, t_conv, conv, theta, layout);
    }
    a.ctx = ctx;
}

/// Adds conv·ln λ(T_conv): with q_i = g_i/λ, the gradient of ln g_i is x_i (and −ω_i Δ_i at
/// b_i), and its only second derivative is −ω_i Δ_i at (b_i, b_i).
fn add_log_hazard(
    a: &mut Acc,
    ctx: &Ctx,
    ts: &[i64],
    t_conv: i64,
    conv: f64,
    theta: &[f64],
    layout: &Layout,
) {
    let lg: Vec<Option<f64>> = deltas(ts, t_conv)
        .enumerate()
        .map(|(i, d)| {
            let c = ctx.channel[i]? as usize;
            Some(ctx.level(theta, i) - theta[layout.b(c)].exp() * d)
        })
        .collect();
    let m = lg
        .iter()
        .flatten()
        .fold(f64::NEG_INFINITY, |m, &x| m.max(x));
    if !m.is_finite() {
        return;
    }
    let z: f64 = lg.iter().flatten().map(|&x| (x - m).exp()).sum();
    a.ll += conv * (m + z.ln());
    let p = layout.len();
    let mut mean = vec![0.0; p];
    for (i, d) in deltas(ts, t_conv).enumerate() {
        let (Some(l), Some(c)) = (lg[i], ctx.channel[i]) else {
            continue;
        };
        let q = (l - m).exp() / z;
        let ib = layout.b(c as usize);
        let wd = theta[ib].exp() * d;
        mean[ib] -= q * wd;
        a.hess[[ib, ib]] += conv * q * (wd * wd - wd);
        for &j in ctx.of(i) {
            let j = j as usize;
            mean[j] += q;
            a.hess[[j, ib]] -= conv * q * wd;
            a.hess[[ib, j]] -= conv * q * wd;
            for &k in ctx.of(i) {
                a.hess[[j, k as usize]] += conv * q;
            }
        }
    }
    let nz: Vec<usize> = (0..p).filter(|&j| mean[j] != 0.0).collect();
    for &j in &nz {
        a.grad[j] += conv * mean[j];
        for &k in &nz {
            a.hess[[j, k]] -= conv * mean[j] * mean[k];
        }
    }
}

/// P(convert within `window` after the last touch) = 1 − e^{−Λ}, without the touches of
/// `skip` (an untimed row: 1 − e^{−Σ_i e^{a_i}}).
pub(crate) fn probability(
    theta: &[f64],
    layout: &Layout,
    ctx: &mut Ctx,
    row: &Row<'_>,
    window: f64,
    skip: Option<u32>,
) -> f64 {
    ctx.build(
        layout,
        row.path.iter().map(|id| Some(id.index() as u32)),
        skip,
    );
    let lambda = match row.times {
        Some(ts) => cumulative(theta, layout, ctx, ts, references(row, window).1),
        None => untimed_cumulative(theta, ctx),
    };
    -(-lambda).exp_m1()
}

/// Ordered pairs `(d, c)` (a touch of c after one of d) seen in at least `min_journeys`
/// journeys, the most frequent first up to `max`, returned sorted.
pub(crate) fn select_pairs(
    table: &PathTable,
    w: &[(f64, f64)],
    min_journeys: f64,
    max: usize,
) -> Vec<(u32, u32)> {
    let mut count: FxHashMap<(u32, u32), f64> = FxHashMap::default();
    let mut seen: Vec<u32> = Vec::new();
    let mut here: Vec<(u32, u32)> = Vec::new();
    for (r, row) in table.rows().enumerate() {
        let weight = w[r].0 + w[r].1;
        if weight <= 0.0 {
            continue;
        }
        seen.clear();
        here.clear();
        for id in row.path {
            let c = id.index() as u32;
            here.extend(seen.iter().filter(|&&d| d != c).map(|&d| (d, c)));
            if !seen.contains(&c) {
                seen.push(c);
            }
        }
        here.sort_unstable();
        here.dedup();
        for &pair in &here {
            *count.entry(pair).or_default() += weight;
        }
    }
    let mut pairs: Vec<((u32, u32), f64)> = count
        .into_iter()
        .filter(|&(_, n)| n >= min_journeys)
        .collect();
    pairs.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    pairs.truncate(max);
    let mut out: Vec<(u32, u32)> = pairs.into_iter().map(|p| p.0).collect();
    out.sort_unstable();
    out
}

/// The pairs whose ε passes the BIC test, ε²/var(ε) ≥ ln W (W journeys; var from the inverse
/// of the penalised Hessian `hess` of what the fit minimises): a pair is kept when adding it
/// raises the log-likelihood by more than BIC's ½ ln W. All pairs are kept when the Hessian
/// cannot be factorised.
pub(crate) fn significant_pairs(
    hess: &ndarray::Array2<f64>,
    theta: &[f64],
    layout: &Layout,
    ln_w: f64,
) -> Vec<(u32, u32)> {
    let Some(l) = cholesky(hess) else {
        return layout.pairs.clone();
    };
    let var = inverse_diagonal(&l);
    let at = layout.pairs_at();
    layout
        .pairs
        .iter()
        .enumerate()
        .filter(|&(q, _)| {
            let (e, v) = (theta[at + q], var[at + q]);
            // A variance that is not positive (NaN, or a round-off ≤ 0) keeps the pair.
            v.is_nan() || v <= 0.0 || e * e >= ln_w * v
        })
        .map(|(_, &p)| p)
        .collect()
}

/// Starting point: ω₀ = 1 / mean touch-to-conversion time (days), β₀ so that the expected
/// conversions match the observed ones.
pub(crate) fn start(table: &PathTable, w: &[(f64, f64)], layout: &Layout) -> Vec<f64> {
    let (mut sum_d, mut count, mut conv) = (0.0, 0.0, 0.0);
    for (r, row) in table.rows().enumerate() {
        if w[r].0 > 0.0
            && let Some(ts) = row.times
        {
            let (rc, _) = references(&row, 0.0);
            for d in deltas(ts, rc) {
                sum_d += w[r].0 * d;
                count += w[r].0;
            }
        }
        conv += w[r].0;
    }
    let omega = if count > 0.0 && sum_d > 0.0 {
        (count / sum_d).clamp(1e-4, 1e4)
    } else {
        1.0
    };
    let mut exposure = 0.0;
    for (r, row) in table.rows().enumerate() {
        let n = w[r].0 + w[r].1;
        match row.times {
            Some(ts) => {
                let (rc, _) = references(&row, 0.0);
                for d in deltas(ts, rc) {
                    exposure += n * (-(-omega * d).exp_m1()) / omega;
                }
            }
            // Untimed: every touch adds its β once.
            None => exposure += n * row.path.len() as f64,
        }
    }
    let beta = if exposure > 0.0 && conv > 0.0 {
        (conv / exposure).max(1e-12)
    } else {
        1e-3
    };
    let mut theta = vec![0.0; layout.len()];
    for c in 0..layout.n {
        theta[c] = beta.ln();
        theta[layout.b(c)] = omega.ln();
    }
    theta
}
