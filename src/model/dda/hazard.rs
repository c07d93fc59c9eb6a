//! The additive hazard model of Zhang, Wei & Ren (2014): every touch adds a channel-specific
//! conversion hazard that decays exponentially with the time since the touch.

use chrono::TimeDelta;
use ndarray::{Array1, Array2};
use serde::{Deserialize, Serialize};

use super::credit::ChannelLookup;
use super::journey::conversion_model;
use super::linalg::{cholesky, solve};
use super::logistic::bad;
use super::quality::{self, FitQuality};
use crate::attribution::Attribution;
use crate::error::{Error, Result};
use crate::model::rules::require_conversions;
use crate::table::{PathTable, Row};
use crate::walk::{fold_chunks, fold_rows};

/// Microseconds per day: times are measured in days inside the model.
const DAY: f64 = 86_400e6;

/// Additive hazard attribution (Zhang, Wei & Ren 2014) on timestamped journeys.
///
/// ```text
/// λ(t) = Σ_{touches i, τ_i ≤ t} β_{c_i} · exp(−ω_{c_i} · (t − τ_i))       (per day)
/// Λ(T) = Σ_i β_{c_i}/ω_{c_i} · (1 − exp(−ω_{c_i} · (T − τ_i)))
/// log-likelihood = Σ_converting ln λ(T_conv) − Λ(T_conv)  −  Σ_null Λ(T_last + window)
/// ```
///
/// β_c > 0 is channel c's hazard right after a touch and ω_c > 0 its decay rate (half-life
/// ln 2/ω_c), one per channel or one shared (`shared_decay`). A journey's conversion time is
/// its `converted_at` (the last touch when unknown); a null journey is observed until `window`
/// after its last touch. The fit maximises the log-likelihood in (ln β, ln ω) minus
/// `l2·W/2 · |θ − θ₀|²` (W journeys) (θ₀ the starting point: a rate matching the conversion count and a decay
/// matching the mean touch-to-conversion time) by damped Newton steps. There is no baseline
/// hazard: every conversion is due to a touch.
///
/// **Credit.** A converting journey's conversions and value are split among its touches by
/// their share of the hazard at the conversion, β_c e^{−ω_c (T − τ_i)} / λ(T).
///
/// **Fit quality.** The predicted probability of converting within `window` after the last
/// touch, 1 − e^{−Λ(T_last + window)}, scored on a seeded holdout (extras `fit`).
///
/// # Errors
/// [`Error::NeedsTimestamps`] on a table with untimed rows; [`Error::InvalidParameter`] for
/// options out of range; [`Error::NoConversions`]; [`Error::Numerical`] if the fit fails.
///
/// # Complexity
/// O(Σ_r L_r²) per Newton step (the Hessian of ln λ couples a journey's touches), with about
/// 10–30 steps; memory O(n²) per chunk of 65,536 rows. Credit O(T).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AdditiveHazard {
    /// How long a non-converting journey is observed after its last touch, and the horizon of
    /// the predicted probability (default 30 days).
    pub window: TimeDelta,
    /// One decay rate for every channel (default false: one per channel, as Zhang et al.).
    pub shared_decay: bool,
    /// Ridge penalty per journey on the log-parameters around the starting point (default 1e-6).
    pub l2: f64,
    /// Fraction of the journeys held out to measure fit quality, in [0, 1) (default 0.2).
    pub holdout: f64,
    /// Seed of the holdout split (default 42).
    pub seed: u64,
    /// Newton steps allowed (default 200).
    pub max_iter: usize,
}

impl Default for AdditiveHazard {
    fn default() -> Self {
        AdditiveHazard {
            window: TimeDelta::days(30),
            shared_decay: false,
            l2: 1e-6,
            holdout: 0.2,
            seed: 42,
            max_iter: 200,
        }
    }
}

/// The parameter vector's layout: ln β per channel, then ln ω per channel (or one).
#[derive(Clone, Copy, Debug)]
struct Layout {
    n: usize,
    shared: bool,
}

impl Layout {
    fn len(&self) -> usize {
        self.n + if self.shared { 1 } else { self.n }
    }
    fn b(&self, c: usize) -> usize {
        self.n + if self.shared { 0 } else { c }
    }
}

/// One journey for the likelihood: touches as (channel, days before the reference time) and
/// its weights.
struct Obs<'a> {
    row: Row<'a>,
    conv: f64,
    nulls: f64,
}

struct Acc {
    grad: Array1<f64>,
    hess: Array2<f64>,
    ll: f64,
}

impl AdditiveHazard {
    /// Checks the options.
    ///
    /// # Errors
    /// See the type's docs.
    pub fn validate(&self) -> Result<()> {
        let m = "additive_hazard";
        if self.window <= TimeDelta::zero() {
            return Err(bad(m, "window", format!("{} must be > 0", self.window)));
        }
        if !(self.l2.is_finite() && self.l2 > 0.0) {
            return Err(bad(m, "l2", format!("{} must be finite and > 0", self.l2)));
        }
        if !(self.holdout >= 0.0 && self.holdout < 1.0) {
            return Err(bad(m, "holdout", format!("{} not in [0, 1)", self.holdout)));
        }
        if self.max_iter == 0 {
            return Err(bad(m, "max_iter", "must be >= 1".into()));
        }
        Ok(())
    }

    fn window_days(&self) -> f64 {
        let w = &self.window;
        (w.num_seconds() as f64 * 1e6 + f64::from(w.subsec_nanos()) / 1e3) / DAY
    }

    /// Fits the model.
    ///
    /// # Errors
    /// See the type's docs.
    pub fn fit(&self, table: &PathTable) -> Result<HazardFit> {
        self.validate()?;
        require_conversions("additive_hazard", table)?;
        let untimed = table.rows().filter(|r| r.times.is_none()).count();
        if untimed > 0 {
            return Err(Error::NeedsTimestamps {
                model: "additive_hazard",
                untimed_rows: untimed,
                rows: table.len(),
            });
        }
        let layout = Layout {
            n: table.channels().len(),
            shared: self.shared_decay,
        };
        let w = quality::weights(table);
        let window = self.window_days();
        let (theta, ll, iterations) = self.newton(table, &w, layout, window)?;
        let quality = if self.holdout > 0.0 {
            let split = quality::split(table, self.holdout, self.seed);
            let (t, _, _) = self.newton(table, &split.train, layout, window)?;
            let pred: Vec<f64> = table
                .rows()
                .map(|r| probability(&t, layout, &r, window))
                .collect();
            Some(quality::score(&pred, &split.test, self.holdout, self.seed))
        } else {
            None
        };
        let channels: Vec<String> = table
            .channels()
            .iter()
            .map(|(_, n)| n.to_string())
            .collect();
        let beta = (0..layout.n).map(|c| theta[c].exp()).collect();
        let omega = (0..layout.n).map(|c| theta[layout.b(c)].exp()).collect();
        Ok(HazardFit {
            lookup: ChannelLookup::new(&channels),
            channels,
            beta,
            omega,
            window_days: window,
            log_likelihood: ll,
            iterations,
            quality,
        })
    }

    fn newton(
        &self,
        table: &PathTable,
        w: &[(f64, f64)],
        layout: Layout,
        window: f64,
    ) -> Result<(Vec<f64>, f64, usize)> {
        let theta0 = start(table, w, layout);
        let obs = |r: usize| Obs {
            row: table.row(r),
            conv: w[r].0,
            nulls: w[r].1,
        };
        let eval = |theta: &[f64]| -> Result<Acc> {
            let p = layout.len();
            let mut acc = fold_chunks(
                table.len(),
                1 << 16,
                || Acc {
                    grad: Array1::zeros(p),
                    hess: Array2::zeros((p, p)),
                    ll: 0.0,
                },
                |a, r| {
                    add_row(a, &obs(r), theta, layout, window);
                    Ok(())
                },
                |a, b| {
                    a.grad += &b.grad;
                    a.hess += &b.hess;
                    a.ll += b.ll;
                },
            )?;
            // Negative penalised log-likelihood: gradient and Hessian of what is minimised.
            // Per journey, like the logistic model's: scaling every count keeps the optimum.
            let l2 = self.l2 * w.iter().map(|x| x.0 + x.1).sum::<f64>();
            for j in 0..p {
                let d = theta[j] - theta0[j];
                acc.ll -= 0.5 * l2 * d * d;
                acc.grad[j] = -acc.grad[j] + l2 * d;
                for k in 0..p {
                    acc.hess[[j, k]] = -acc.hess[[j, k]];
                }
                acc.hess[[j, j]] += l2;
            }
            if !acc.ll.is_finite() {
                return Err(numerical("the log-likelihood is not finite"));
            }
            Ok(acc)
        };
        let mut theta = theta0.clone();
        let mut acc = eval(&theta)?;
        let mut damping = 0.0f64;
        for iter in 1..=self.max_iter {
            // Levenberg–Marquardt: add μ·I until the system is positive definite and the step
            // improves the objective.
            let mut accepted = false;
            for _ in 0..60 {
                let mut h = acc.hess.clone();
                for j in 0..h.nrows() {
                    h[[j, j]] += damping;
                }
                let Some(l) = cholesky(&h) else {
                    damping = (damping * 10.0).max(1e-6);
                    continue;
                };
                let step = solve(&l, &acc.grad);
                let cand: Vec<f64> = theta.iter().zip(&step).map(|(t, s)| t - s).collect();
                let gain = match eval(&cand) {
                    Ok(a) if a.ll >= acc.ll => Some(a),
                    _ => None,
                };
                if let Some(a) = gain {
                    let change = step.iter().fold(0.0f64, |m, s| m.max(s.abs()));
                    let improved = a.ll - acc.ll;
                    theta = cand;
                    acc = a;
                    damping *= 0.1;
                    if change < 1e-8 || improved <= 1e-12 * acc.ll.abs().max(1.0) {
                        return Ok((theta, acc.ll, iter));
                    }
                    accepted = true;
                    break;
                }
                damping = (damping * 10.0).max(1e-6);
            }
            if !accepted {
                // No step improves the objective at any damping: a (numerical) optimum.
                return Ok((theta, acc.ll, iter));
            }
        }
        Err(numerical(&format!(
            "no convergence in {} Newton steps (raise max_iter)",
            self.max_iter
        )))
    }
}

fn numerical(reason: &str) -> Error {
    Error::Numerical {
        model: "additive_hazard",
        reason: reason.to_string(),
    }
}

/// Days from each touch to `reference` (never negative).
fn deltas(times: &[i64], reference: i64) -> impl Iterator<Item = f64> + '_ {
    times
        .iter()
        .map(move |&t| (reference.saturating_sub(t)).max(0) as f64 / DAY)
}

fn last(row: &Row<'_>) -> i64 {
    row.times.and_then(|t| t.last().copied()).unwrap_or(0)
}

/// The reference times of a row: (conversion, end of observation of a null).
fn references(row: &Row<'_>, window: f64) -> (i64, i64) {
    let last = last(row);
    let conv = row.converted_at.unwrap_or(last);
    (conv, last.saturating_add((window * DAY) as i64))
}

/// Starting point: ω₀ = 1 / mean touch-to-conversion time (days), β₀ so that the expected
/// conversions match the observed ones.
fn start(table: &PathTable, w: &[(f64, f64)], layout: Layout) -> Vec<f64> {
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
        if let Some(ts) = row.times {
            let (rc, _) = references(&row, 0.0);
            for d in deltas(ts, rc) {
                exposure += (w[r].0 + w[r].1) * (-(-omega * d).exp_m1()) / omega;
            }
        }
    }
    let beta = if exposure > 0.0 && conv > 0.0 {
        (conv / exposure).max(1e-12)
    } else {
        1e-3
    };
    let mut theta = vec![beta.ln(); layout.len()];
    for c in 0..layout.n {
        theta[layout.b(c)] = omega.ln();
    }
    theta
}

/// Adds one row's log-likelihood, gradient and Hessian (of the log-likelihood) to `a`.
fn add_row(a: &mut Acc, o: &Obs<'_>, theta: &[f64], layout: Layout, window: f64) {
    let Some(ts) = o.row.times else { return };
    let (t_conv, t_null) = references(&o.row, window);
    let path = o.row.path;
    // −Λ terms.
    for (weight, reference) in [(o.conv, t_conv), (o.nulls, t_null)] {
        if weight <= 0.0 {
            continue;
        }
        for (&id, d) in path.iter().zip(deltas(ts, reference)) {
            let (ia, ib) = (id.index(), layout.b(id.index()));
            let (beta, omega) = (theta[ia].exp(), theta[ib].exp());
            let e = (-omega * d).exp();
            let one_minus = -(-omega * d).exp_m1();
            let h = beta * one_minus / omega;
            let hb = beta * (d * e - one_minus / omega);
            let hbb = beta * (-omega * d * d * e - d * e + one_minus / omega);
            a.ll -= weight * h;
            a.grad[ia] -= weight * h;
            a.grad[ib] -= weight * hb;
            a.hess[[ia, ia]] -= weight * h;
            a.hess[[ia, ib]] -= weight * hb;
            a.hess[[ib, ia]] -= weight * hb;
            a.hess[[ib, ib]] -= weight * hbb;
        }
    }
    if o.conv <= 0.0 {
        return;
    }
    // + ln λ(T_conv): with q_i = g_i/λ and ∂ln g_i = (1, −ω_i Δ_i) over (a_i, b_i).
    let lg: Vec<f64> = path
        .iter()
        .zip(deltas(ts, t_conv))
        .map(|(&id, d)| theta[id.index()] - theta[layout.b(id.index())].exp() * d)
        .collect();
    let m = lg.iter().fold(f64::NEG_INFINITY, |m, &x| m.max(x));
    let z: f64 = lg.iter().map(|&x| (x - m).exp()).sum();
    a.ll += o.conv * (m + z.ln());
    let p = layout.len();
    let mut mean = vec![0.0; p];
    for ((&id, d), &l) in path.iter().zip(deltas(ts, t_conv)).zip(&lg) {
        let q = (l - m).exp() / z;
        let (ia, ib) = (id.index(), layout.b(id.index()));
        let wd = theta[ib].exp() * d;
        mean[ia] += q;
        mean[ib] -= q * wd;
        // Σ q (∂²ln g + ∂ln g ∂ln gᵀ): ∂²ln g/∂b² = −ωΔ.
        a.hess[[ia, ia]] += o.conv * q;
        a.hess[[ia, ib]] -= o.conv * q * wd;
        a.hess[[ib, ia]] -= o.conv * q * wd;
        a.hess[[ib, ib]] += o.conv * q * (wd * wd - wd);
    }
    let nz: Vec<usize> = (0..p).filter(|&j| mean[j] != 0.0).collect();
    for &j in &nz {
        a.grad[j] += o.conv * mean[j];
        for &k in &nz {
            a.hess[[j, k]] -= o.conv * mean[j] * mean[k];
        }
    }
}

/// P(convert within `window` after the last touch) = 1 − e^{−Λ}.
fn probability(theta: &[f64], layout: Layout, row: &Row<'_>, window: f64) -> f64 {
    let Some(ts) = row.times else { return 0.0 };
    let (_, t_end) = references(row, window);
    let big: f64 = row
        .path
        .iter()
        .zip(deltas(ts, t_end))
        .map(|(&id, d)| {
            let (beta, omega) = (theta[id.index()].exp(), theta[layout.b(id.index())].exp());
            beta * (-(-omega * d).exp_m1()) / omega
        })
        .sum();
    -(-big).exp_m1()
}

conversion_model!(
    AdditiveHazard,
    AdditiveHazard,
    "additive_hazard",
    "Each journey is split by its touches' shares of the hazard at its conversion: exactly what the aggregate sums (no residual beyond rounding)."
);

/// One channel's fitted hazard.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HazardParameter {
    /// The channel.
    pub channel: String,
    /// Hazard right after a touch, per day.
    pub beta: f64,
    /// Decay rate, per day.
    pub omega: f64,
    /// ln 2 / ω, in days.
    pub half_life_days: f64,
}

/// A fitted [`AdditiveHazard`] model.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HazardFit {
    channels: Vec<String>,
    lookup: ChannelLookup,
    beta: Vec<f64>,
    omega: Vec<f64>,
    window_days: f64,
    log_likelihood: f64,
    iterations: usize,
    quality: Option<FitQuality>,
}

impl HazardFit {
    /// Every channel's hazard, in the fitted vocabulary's order.
    pub fn parameters(&self) -> Vec<HazardParameter> {
        self.channels
            .iter()
            .zip(self.beta.iter().zip(&self.omega))
            .map(|(c, (&beta, &omega))| HazardParameter {
                channel: c.clone(),
                beta,
                omega,
                half_life_days: std::f64::consts::LN_2 / omega,
            })
            .collect()
    }

    /// The held-out fit quality, when measured.
    pub fn quality(&self) -> Option<&FitQuality> {
        self.quality.as_ref()
    }

    /// Log-likelihood at the fit (penalty included).
    pub fn log_likelihood(&self) -> f64 {
        self.log_likelihood
    }

    /// Each touch's share of the hazard at `reference` (µs since the epoch), into `out`.
    fn shares_at(&self, ids: &[Option<u32>], times: &[i64], reference: i64, out: &mut [f64]) {
        let lg: Vec<Option<f64>> = ids
            .iter()
            .zip(deltas(times, reference))
            .map(|(id, d)| {
                id.and_then(|c| {
                    let (b, w) = (self.beta.get(c as usize)?, self.omega.get(c as usize)?);
                    Some(b.ln() - w * d)
                })
            })
            .collect();
        let m = lg
            .iter()
            .flatten()
            .fold(f64::NEG_INFINITY, |m, &x| m.max(x));
        if !m.is_finite() {
            let n = out.len() as f64;
            out.iter_mut().for_each(|o| *o = 1.0 / n);
            return;
        }
        let z: f64 = lg.iter().flatten().map(|&x| (x - m).exp()).sum();
        for (o, l) in out.iter_mut().zip(&lg) {
            *o = l.map_or(0.0, |l| (l - m).exp() / z);
        }
    }

    /// Fractions of a journey's conversion per touch: each touch's share of the hazard at the
    /// last touch (the conversion time is not given here). Touches of channels the fit never
    /// saw get 0; a journey with no known channel is split equally.
    ///
    /// # Errors
    /// [`Error::NeedsTimestamps`] when `times` is `None`; [`Error::InvalidParameter`] when
    /// `times` or `out` is not as long as `path`.
    pub fn touch_shares(
        &self,
        path: &[&str],
        times: Option<&[i64]>,
        out: &mut [f64],
    ) -> Result<()> {
        self.fractions_at(path, times, None, out)
    }

    /// As [`HazardFit::touch_shares`], at the conversion time when it is given.
    pub(crate) fn fractions_at(
        &self,
        path: &[&str],
        times: Option<&[i64]>,
        converted_at: Option<i64>,
        out: &mut [f64],
    ) -> Result<()> {
        let Some(times) = times else {
            return Err(Error::NeedsTimestamps {
                model: "additive_hazard",
                untimed_rows: 1,
                rows: 1,
            });
        };
        if times.len() != path.len() || out.len() != path.len() {
            return Err(bad(
                "additive_hazard",
                "times",
                "one timestamp and one output slot per touch are required".into(),
            ));
        }
        let ids: Vec<Option<u32>> = path.iter().map(|n| self.lookup.get(n)).collect();
        let last = times.iter().copied().max().unwrap_or(0);
        self.shares_at(&ids, times, converted_at.unwrap_or(last).max(last), out);
        Ok(())
    }

    /// Credits `table`. Extras: `fit`, `hazards` (per channel β, ω, half-life),
    /// `log_likelihood`, `iterations`.
    ///
    /// # Errors
    /// [`Error::NeedsTimestamps`], [`Error::NoConversions`].
    pub fn attribution(&self, table: &PathTable) -> Result<Attribution> {
        require_conversions("additive_hazard", table)?;
        let n = table.channels().len();
        let remap: Vec<Option<u32>> = table
            .channels()
            .iter()
            .map(|(_, name)| self.lookup.get(name))
            .collect();
        let (conv, value) = fold_rows(
            table,
            || (vec![0.0; n], vec![0.0; n], Vec::new(), Vec::new()),
            |a, _, row| {
                if row.outcome.conversions <= 0.0 {
                    return Ok(());
                }
                let Some(ts) = row.times else {
                    return Err(Error::NeedsTimestamps {
                        model: "additive_hazard",
                        untimed_rows: 1,
                        rows: table.len(),
                    });
                };
                let (t_conv, _) = references(&row, self.window_days);
                a.2.clear();
                a.2.extend(row.path.iter().map(|id| remap[id.index()]));
                a.3.clear();
                a.3.resize(row.path.len(), 0.0);
                self.shares_at(&a.2, ts, t_conv, &mut a.3);
                for (&id, &f) in row.path.iter().zip(&a.3) {
                    a.0[id.index()] += row.outcome.conversions * f;
                    a.1[id.index()] += row.outcome.value * f;
                }
                Ok(())
            },
            |a, b| {
                for i in 0..n {
                    a.0[i] += b.0[i];
                    a.1[i] += b.1[i];
                }
            },
        )
        .map(|a| (a.0, a.1))?;
        let mut a = Attribution::from_credit("additive_hazard", table, &conv, &value)?;
        if let Some(q) = &self.quality {
            a = a.with_extra("fit", q);
        }
        Ok(a.with_extra("hazards", self.parameters())
            .with_extra("log_likelihood", self.log_likelihood)
            .with_extra("iterations", self.iterations))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::AttributionModel;

    fn timed_table() -> PathTable {
        let mut t = PathTable::new();
        let d = DAY as i64;
        for k in 0..40i64 {
            let conv = k % 3 == 0;
            let o = if conv {
                crate::Outcome::converted(1.0, 10.0)
            } else {
                crate::Outcome::null(1.0)
            };
            let times = [k * d, k * d + (k % 5) * d / 2];
            let path = if k % 2 == 0 { ["A", "B"] } else { ["B", "C"] };
            t.add_timed(path, &times, conv.then_some(times[1] + d), o)
                .unwrap();
        }
        t
    }

    #[test]
    fn gradient_and_hessian_match_finite_differences() {
        let t = timed_table();
        let layout = Layout {
            n: t.channels().len(),
            shared: false,
        };
        let eval = |theta: &[f64]| {
            let p = layout.len();
            let mut a = Acc {
                grad: Array1::zeros(p),
                hess: Array2::zeros((p, p)),
                ll: 0.0,
            };
            for row in t.rows() {
                let o = Obs {
                    row,
                    conv: row.outcome.conversions,
                    nulls: row.outcome.nulls,
                };
                add_row(&mut a, &o, theta, layout, 3.0);
            }
            a
        };
        let theta: Vec<f64> = (0..layout.len()).map(|j| -1.0 + 0.3 * j as f64).collect();
        let a = eval(&theta);
        let eps = 1e-6;
        for j in 0..layout.len() {
            let mut up = theta.clone();
            up[j] += eps;
            let mut down = theta.clone();
            down[j] -= eps;
            let (au, ad) = (eval(&up), eval(&down));
            let g = (au.ll - ad.ll) / (2.0 * eps);
            assert!(
                (g - a.grad[j]).abs() < 1e-5 * (1.0 + g.abs()),
                "grad {j}: {g} vs {}",
                a.grad[j]
            );
            for k in 0..layout.len() {
                let h = (au.grad[k] - ad.grad[k]) / (2.0 * eps);
                assert!(
                    (h - a.hess[[j, k]]).abs() < 1e-4 * (1.0 + h.abs()),
                    "hess {j},{k}: {h} vs {}",
                    a.hess[[j, k]]
                );
            }
        }
    }

    #[test]
    fn untimed_tables_are_refused_with_a_typed_error() {
        let t = crate::fixtures::t2();
        let e = AdditiveHazard::default().fit(&t).unwrap_err();
        assert!(
            matches!(
                e,
                Error::NeedsTimestamps {
                    untimed_rows: 6,
                    ..
                }
            ),
            "{e}"
        );
        assert!(e.to_string().contains("timestamps"));
    }

    #[test]
    fn credit_is_efficient_on_a_timed_table() {
        let t = timed_table();
        let a = AdditiveHazard::default().attribute(&t).unwrap();
        assert!((a.credited_conversions() - t.totals().conversions).abs() < 1e-9);
        assert!((a.credited_value() - t.totals().value).abs() < 1e-9);
    }
}
