//! Fitting the logistic conversion model: the sparse design matrix of a table, the choice of
//! interaction features, and penalised Newton (IRLS) iterations.
//!
//! One Newton step costs O(Σ_r m_r²) for the Hessian (m_r = non-zero features of row r, about
//! 2k + k(k−1)/2 for k distinct channels with counts and pairs) plus O(p³/3) for the Cholesky
//! factorisation of the p × p Hessian. Rows are folded in fixed chunks of 65,536, in parallel
//! with the `parallel` feature, and combined in chunk order: the fit does not depend on the
//! number of threads.

use std::hash::Hasher;

use ndarray::{Array1, Array2};
use rustc_hash::{FxHashMap, FxHasher};

use super::features::{Design, Interactions, Summary};
use super::linalg::{cholesky, solve};
use crate::error::{Error, Result};
use crate::table::PathTable;
use crate::tag_index::{Probe, TagIndex};
use crate::walk::fold_chunks;

/// Rows per chunk of the Hessian fold (fixed: results never depend on the thread count).
const CHUNK: usize = 1 << 16;

/// The sparse design of a table (CSR, intercept implicit): one row per distinct feature
/// vector, so that journeys that differ only in what the features do not see (the order of
/// the touches, without order or position features) are fitted as one weighted row.
pub(crate) struct Data {
    pub design: Design,
    idx: Vec<u32>,
    val: Vec<f64>,
    ends: Vec<usize>,
    /// Design row of each table row.
    of_row: Vec<u32>,
}

/// What the design is built from (the [`Logistic`](super::Logistic) options).
pub(crate) struct DesignOptions {
    pub counts: bool,
    pub position: bool,
    pub interactions: Interactions,
    pub min_pair_journeys: f64,
    pub max_features: usize,
}

impl Data {
    /// Summarises every row and builds its features. Pairs with fewer than
    /// `min_pair_journeys` journeys (conversions + nulls) are left out, then the most frequent
    /// ones are kept up to `max_features` features in all.
    pub fn build(table: &PathTable, opt: &DesignOptions) -> Result<Data> {
        let n = table.channels().len();
        let mut design = Design {
            n,
            counts: opt.counts,
            position: opt.position,
            pairs: Vec::new(),
            ordered: Vec::new(),
        };
        if design.len() > opt.max_features {
            return Err(Error::InvalidParameter {
                model: "logistic",
                name: "max_features",
                reason: format!(
                    "{} main-effect features for {n} channels exceed the limit {}",
                    design.len(),
                    opt.max_features
                ),
            });
        }
        let mut slot = vec![u32::MAX; n];
        let mut s = Summary::default();
        if opt.interactions != Interactions::None {
            let mut support: FxHashMap<(u32, u32, bool), f64> = FxHashMap::default();
            for row in table.rows() {
                s.build(row.path.iter().map(|id| Some(id.0)), &mut slot);
                let w = row.outcome.journeys();
                let k = s.ch.len();
                for i in 0..k {
                    for j in 0..k {
                        let (c, d) = (s.ch[i], s.ch[j]);
                        if i != j && c < d {
                            *support.entry((c, d, false)).or_default() += w;
                        }
                        if opt.interactions == Interactions::Ordered
                            && i != j
                            && s.first[i] < s.last[j]
                        {
                            *support.entry((c, d, true)).or_default() += w;
                        }
                    }
                }
            }
            let mut keep: Vec<((u32, u32, bool), f64)> = support
                .into_iter()
                .filter(|&(_, w)| w >= opt.min_pair_journeys)
                .collect();
            // Most frequent first; ties by pair, so the choice never depends on hash order.
            keep.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
            keep.truncate(opt.max_features - design.len());
            for ((c, d, ordered), _) in keep {
                if ordered {
                    design.ordered.push((c, d));
                } else {
                    design.pairs.push((c, d));
                }
            }
            design.pairs.sort_unstable();
            design.ordered.sort_unstable();
        }
        let mut data = Data {
            design,
            idx: Vec::new(),
            val: Vec::new(),
            ends: Vec::new(),
            of_row: Vec::with_capacity(table.len()),
        };
        let mut f = Vec::new();
        // Design rows by the high half of their hash (stored, so growing the index is cheap).
        let mut index = TagIndex::default();
        let hash = |f: &[(u32, f64)]| {
            let mut h = FxHasher::default();
            for &(j, x) in f {
                h.write_u32(j);
                h.write_u64(x.to_bits());
            }
            h.finish()
        };
        for row in table.rows() {
            s.build(row.path.iter().map(|id| Some(id.0)), &mut slot);
            f.clear();
            data.design.features(&s, &mut f);
            f.sort_unstable_by_key(|x| x.0);
            let h = (hash(&f) >> 32) as u32;
            index.reserve(1);
            let found = index.probe(h, |d| {
                let (idx, val) = data.row(d as usize);
                idx.len() == f.len()
                    && idx
                        .iter()
                        .zip(val)
                        .zip(&f)
                        .all(|((&j, &x), &(fj, fx))| j == fj && x.to_bits() == fx.to_bits())
            });
            let d = match found {
                Probe::Found(d) => d,
                Probe::Vacant(slot) => {
                    // Below u32::MAX: one design row per table row at most.
                    let d = data.ends.len() as u32;
                    data.idx.extend(f.iter().map(|x| x.0));
                    data.val.extend(f.iter().map(|x| x.1));
                    data.ends.push(data.idx.len());
                    index.fill(slot, h, d);
                    d
                }
            };
            data.of_row.push(d);
        }
        Ok(data)
    }

    /// Per-table-row weights summed per design row.
    pub fn pool(&self, w: &[(f64, f64)]) -> Vec<(f64, f64)> {
        let mut out = vec![(0.0, 0.0); self.ends.len()];
        for (&d, &(s, f)) in self.of_row.iter().zip(w) {
            out[d as usize].0 += s;
            out[d as usize].1 += f;
        }
        out
    }

    /// Linear predictor of table row r.
    pub fn eta_of_row(&self, beta: &[f64], r: usize) -> f64 {
        self.eta(beta, self.of_row[r] as usize)
    }

    fn row(&self, r: usize) -> (&[u32], &[f64]) {
        let start = if r == 0 { 0 } else { self.ends[r - 1] };
        let end = self.ends[r];
        (&self.idx[start..end], &self.val[start..end])
    }

    /// Linear predictor of design row r.
    pub fn eta(&self, beta: &[f64], r: usize) -> f64 {
        let (idx, val) = self.row(r);
        beta[0]
            + idx
                .iter()
                .zip(val)
                .map(|(&j, &x)| beta[j as usize] * x)
                .sum::<f64>()
    }
}

/// ln(1 + eˣ) without overflow.
pub(crate) fn softplus(x: f64) -> f64 {
    if x > 0.0 {
        x + (-x).exp().ln_1p()
    } else {
        x.exp().ln_1p()
    }
}

/// The logistic function.
pub(crate) fn sigmoid(x: f64) -> f64 {
    if x >= 0.0 {
        1.0 / (1.0 + (-x).exp())
    } else {
        let e = x.exp();
        e / (1.0 + e)
    }
}

/// Gradient, Hessian (lower triangle) and log-likelihood of one chunk.
struct Acc {
    grad: Array1<f64>,
    hess: Array2<f64>,
    ll: f64,
}

/// Newton's method options.
pub(crate) struct Newton {
    pub l2: f64,
    pub max_iter: usize,
    pub tol: f64,
}

/// A converged fit: coefficients, the Cholesky factor of the penalised Hessian at them, the
/// log-likelihood and the iterations taken.
pub(crate) struct Fitted {
    pub beta: Vec<f64>,
    pub chol: Array2<f64>,
    pub log_likelihood: f64,
    pub iterations: usize,
}

/// Log-likelihood, gradient and Hessian of the penalised objective at `beta`.
fn evaluate(data: &Data, w: &[(f64, f64)], beta: &[f64], l2: f64, hessian: bool) -> Result<Acc> {
    let p = beta.len();
    let init = || Acc {
        grad: Array1::zeros(p),
        hess: if hessian {
            Array2::zeros((p, p))
        } else {
            Array2::zeros((0, 0))
        },
        ll: 0.0,
    };
    let mut acc = fold_chunks(
        w.len(),
        CHUNK,
        init,
        |a, r| {
            let (s, f) = w[r];
            if s + f <= 0.0 {
                return Ok(());
            }
            let eta = data.eta(beta, r);
            let pr = sigmoid(eta);
            a.ll -= s * softplus(-eta) + f * softplus(eta);
            let g = s - (s + f) * pr;
            let h = (s + f) * pr * (1.0 - pr);
            let (idx, val) = data.row(r);
            a.grad[0] += g;
            for (&j, &x) in idx.iter().zip(val) {
                a.grad[j as usize] += g * x;
            }
            if hessian {
                a.hess[[0, 0]] += h;
                for (t, (&j, &x)) in idx.iter().zip(val).enumerate() {
                    let (j, hx) = (j as usize, h * x);
                    a.hess[[j, 0]] += hx;
                    // Indices are sorted: (j, k) with k ≤ j is the lower triangle.
                    for (&k, &y) in idx[..=t].iter().zip(&val[..=t]) {
                        a.hess[[j, k as usize]] += hx * y;
                    }
                }
            }
            Ok(())
        },
        |a, b| {
            a.grad += &b.grad;
            if hessian {
                a.hess += &b.hess;
            }
            a.ll += b.ll;
        },
    )?;
    // The penalty is per journey, so scaling every count scales the objective (same optimum).
    let l2 = l2 * w.iter().map(|x| x.0 + x.1).sum::<f64>();
    for (j, &b) in beta.iter().enumerate().skip(1) {
        acc.ll -= 0.5 * l2 * b * b;
        acc.grad[j] -= l2 * b;
        if hessian {
            acc.hess[[j, j]] += l2;
        }
    }
    if !acc.ll.is_finite() {
        return Err(numerical("the log-likelihood is not finite"));
    }
    Ok(acc)
}

fn numerical(reason: &str) -> Error {
    Error::Numerical {
        model: "logistic",
        reason: reason.to_string(),
    }
}

/// Maximises the penalised log-likelihood of weights `w` (per row: successes, failures) by
/// Newton's method with step halving.
pub(crate) fn newton(data: &Data, w: &[(f64, f64)], opt: &Newton) -> Result<Fitted> {
    let p = data.design.len();
    let (s, f) = w.iter().fold((0.0, 0.0), |a, x| (a.0 + x.0, a.1 + x.1));
    let mut beta = vec![0.0; p];
    // Start at the overall rate (clamped: a table of only conversions or only nulls).
    let rate = ((s + 0.5) / (s + f + 1.0)).clamp(1e-9, 1.0 - 1e-9);
    beta[0] = (rate / (1.0 - rate)).ln();
    let mut acc = evaluate(data, w, &beta, opt.l2, true)?;
    for iter in 1..=opt.max_iter {
        let chol = cholesky(&acc.hess).ok_or_else(|| {
            numerical("the Hessian is singular (a channel that is always present? raise l2)")
        })?;
        let step = solve(&chol, &acc.grad);
        let mut t = 1.0;
        let (new_beta, new_acc) = loop {
            let cand: Vec<f64> = beta.iter().zip(&step).map(|(b, d)| b + t * d).collect();
            let a = evaluate(data, w, &cand, opt.l2, true)?;
            if a.ll >= acc.ll - 1e-12 * acc.ll.abs() || t < 1e-10 {
                break (cand, a);
            }
            t *= 0.5;
        };
        let change = step.iter().fold(0.0f64, |m, d| m.max((t * d).abs()));
        let gain = new_acc.ll - acc.ll;
        beta = new_beta;
        acc = new_acc;
        if change < opt.tol || gain.abs() <= 1e-13 * acc.ll.abs().max(1.0) {
            let chol = cholesky(&acc.hess).ok_or_else(|| numerical("the Hessian is singular"))?;
            return Ok(Fitted {
                beta,
                chol,
                log_likelihood: acc.ll,
                iterations: iter,
            });
        }
    }
    Err(numerical(&format!(
        "Newton's method did not converge in {} iterations (raise l2 or max_iter)",
        opt.max_iter
    )))
}
