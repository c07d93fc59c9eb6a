//! The additive hazard model of Zhang, Wei & Ren (2014): every touch adds a channel-specific
//! conversion hazard that decays exponentially with the time since the touch.

use chrono::TimeDelta;
use serde::{Deserialize, Serialize};

use super::credit::{ChannelLookup, mean_value};
use super::hazard_ctx::{
    Acc, Ctx, DAY, Layout, add_row, cumulative, deltas, probability, references, select_pairs,
    significant_pairs, start, untimed_cumulative,
};
use super::journey::{JourneyIds, JourneyScratch, JourneySplit, conversion_model, touch_shares};
use super::linalg::{cholesky, solve};
use super::logistic::bad;
use super::quality::{self, FitQuality};
use crate::attribution::Attribution;
use crate::error::{Error, Result};
use crate::model::rules::require_conversions;
use crate::table::PathTable;
use crate::walk::{fold_chunks, fold_rows};

/// Additive hazard attribution (Zhang, Wei & Ren 2014) on timestamped journeys.
///
/// ```text
/// λ(t) = Σ_{touches i, τ_i ≤ t} β_i · exp(−ω_{c_i} · (t − τ_i))       (per day)
/// β_i  = β_{c_i} · Π_{d touched before i} e^{ε_{d c_i}}                (interactions)
/// Λ(T) = Σ_i β_i/ω_{c_i} · (1 − exp(−ω_{c_i} · (T − τ_i)))
/// log-likelihood = Σ_converting ln λ(T_conv) − Λ(T_conv)  −  Σ_null Λ(T_last + window)
/// ```
///
/// β_c > 0 is channel c's hazard right after a touch and ω_c > 0 its decay rate (half-life
/// ln 2/ω_c), one per channel or one shared (`shared_decay`). With `interactions` (default) a
/// touch's hazard is also scaled by e^{ε_dc} for every other channel d touched before it, for
/// the ordered pairs (d, c) seen in at least `min_pair_journeys` journeys (the most frequent up
/// to `max_pairs`): synergy (both directions up) and order effects (one direction up, the other
/// down), the hazard counterpart of the logistic model's order features. A journey's conversion time is
/// its `converted_at` (the last touch when unknown); a null journey is observed until `window`
/// after its last touch. The fit maximises the log-likelihood in (ln β, ln ω) minus
/// `l2·W/2 · |θ − θ₀|²` (W journeys) (θ₀ the starting point: a rate matching the conversion count and a decay
/// matching the mean touch-to-conversion time) by damped Newton steps. There is no baseline
/// hazard: every conversion is due to a touch. With `prune_pairs` (default) the pair terms
/// that fail BIC's test are dropped and the model refitted; with `untimed` a path table is
/// fitted as touches without decay, P = 1 − exp(−Σ_i β_i) (the model reference,
/// §additive_hazard).
///
/// **Credit.** With [`HazardCredit::Removal`] (default), channel c's effect is the expected
/// number of conversions lost without its touches under the fitted model, over every journey
/// of the table: E_c = Σ_r (s_r + f_r)·(P̂(r) − P̂(r ∖ c)) with P̂ = 1 − e^{−Λ(T_last + window)}
/// (the others keep their times; their interaction terms are re-evaluated), conversions and
/// value shared out in proportion as for [`Logistic`](super::Logistic). With
/// [`HazardCredit::HazardShare`] (Zhang et al.) a converting journey is split among its touches
/// by their share of the hazard at the conversion, β_i e^{−ω_c (T − τ_i)} / λ(T). One journey
/// is always split by hazard shares ([`HazardFit::touch_shares`]); under `Removal` the
/// difference from the aggregate is the fitted model's residual.
///
/// **Fit quality.** The predicted probability of converting within `window` after the last
/// touch, 1 − e^{−Λ(T_last + window)}, scored on a seeded holdout (extras `fit`).
///
/// # Errors
/// [`Error::NeedsTimestamps`] on a table with untimed rows (with [`AdditiveHazard::untimed`]:
/// on a table mixing timed and untimed rows); [`Error::InvalidParameter`] for
/// options out of range; [`Error::NoConversions`]; [`Error::Numerical`] if the fit fails.
///
/// # Complexity
/// O(Σ_r L_r·m² + P³) per Newton step for m parameters per touch (1 + the pairs it meets)
/// and P parameters (the Hessian of ln λ couples a journey's touches), with about 10–30 steps;
/// memory O(P²) per chunk of 65,536 rows. Credit: O(Σ_r k_r·L_r·m) under `Removal`, O(T) by
/// hazard shares.
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
    /// Ordered-pair interaction terms ε_dc (default true).
    pub interactions: bool,
    /// Pairs seen in fewer journeys than this get no term (default 50).
    pub min_pair_journeys: f64,
    /// Most pair terms; the most frequent pairs are kept (default 120).
    pub max_pairs: usize,
    /// Keep only the pair terms the data support (default true): after the first fit, a pair
    /// stays when its Wald statistic passes BIC's test, ε̂²/var(ε̂) ≥ ln W for W journeys, and
    /// the model is refitted with those. Pairs without an effect then cost no variance.
    pub prune_pairs: bool,
    /// Ridge penalty per journey on the interaction terms ε, towards 0 (default 1e-6).
    pub pair_l2: f64,
    /// How the aggregate is credited (default [`HazardCredit::Removal`]).
    pub credit: HazardCredit,
    /// Fraction of the journeys held out to measure fit quality, in [0, 1) (default 0.2).
    pub holdout: f64,
    /// Seed of the holdout split (default 42).
    pub seed: u64,
    /// Newton steps allowed (default 200).
    pub max_iter: usize,
    /// Fit a table without timestamps as touches without decay (default false: such a table
    /// is refused with [`Error::NeedsTimestamps`]). Each touch then adds β_i = β_c·Π e^{ε_dc}
    /// once, P(convert) = 1 − exp(−Σ_i β_i), fitted by maximum likelihood on the conversions
    /// and nulls; ω is not fitted (reported as 0, half-life `null`). A table mixing timed and
    /// untimed rows is still refused.
    pub untimed: bool,
}

impl Default for AdditiveHazard {
    fn default() -> Self {
        AdditiveHazard {
            window: TimeDelta::days(30),
            shared_decay: false,
            l2: 1e-6,
            interactions: true,
            min_pair_journeys: 50.0,
            max_pairs: 120,
            prune_pairs: true,
            pair_l2: 1e-6,
            credit: HazardCredit::Removal,
            holdout: 0.2,
            seed: 42,
            max_iter: 200,
            untimed: false,
        }
    }
}

/// How [`AdditiveHazard`] credits a table.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HazardCredit {
    /// Expected conversions lost without each channel under the fitted model.
    #[default]
    Removal,
    /// Each converting journey split by its touches' shares of the hazard at the conversion
    /// (Zhang, Wei & Ren).
    HazardShare,
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
        if !(self.pair_l2.is_finite() && self.pair_l2 > 0.0) {
            return Err(bad(
                m,
                "pair_l2",
                format!("{} must be finite and > 0", self.pair_l2),
            ));
        }
        if !(self.min_pair_journeys.is_finite() && self.min_pair_journeys >= 0.0) {
            return Err(bad(
                m,
                "min_pair_journeys",
                "must be finite and >= 0".into(),
            ));
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
        let timed = untimed == 0;
        let untimed_ok = self.untimed && untimed == table.len();
        if !(timed || untimed_ok) {
            return Err(Error::NeedsTimestamps {
                model: "additive_hazard",
                untimed_rows: untimed,
                rows: table.len(),
            });
        }
        let w = quality::weights(table);
        let pairs = if self.interactions {
            select_pairs(table, &w, self.min_pair_journeys, self.max_pairs)
        } else {
            Vec::new()
        };
        let mut layout = Layout {
            n: table.channels().len(),
            // Untimed: one (unused) decay parameter.
            shared: self.shared_decay || !timed,
            pairs,
        };
        let window = self.window_days();
        let (mut theta, mut ll, mut iterations, hess) = self.newton(table, &w, &layout, window)?;
        if self.prune_pairs && !layout.pairs.is_empty() {
            let journeys: f64 = w.iter().map(|x| x.0 + x.1).sum();
            let keep = significant_pairs(&hess, &theta, &layout, journeys.max(1.0).ln());
            if keep.len() < layout.pairs.len() {
                layout.pairs = keep;
                (theta, ll, iterations, _) = self.newton(table, &w, &layout, window)?;
            }
        }
        let quality = quality::held_out(table, self.holdout, self.seed, |train| {
            let (t, _, _, _) = self.newton(table, train, &layout, window)?;
            let mut ctx = Ctx::default();
            Ok(table
                .rows()
                .map(|r| probability(&t, &layout, &mut ctx, &r, window, None))
                .collect())
        })?;
        let channels = ChannelLookup::names_of(table);
        let beta = (0..layout.n).map(|c| theta[c].exp()).collect();
        let omega = (0..layout.n)
            .map(|c| if timed { theta[layout.b(c)].exp() } else { 0.0 })
            .collect();
        let epsilon = theta[layout.pairs_at()..].to_vec();
        Ok(HazardFit {
            lookup: ChannelLookup::new(&channels),
            channels,
            beta,
            omega,
            pairs: layout.pairs,
            epsilon,
            credit: self.credit,
            window_days: window,
            timed,
            log_likelihood: ll,
            iterations,
            quality,
        })
    }

    fn newton(
        &self,
        table: &PathTable,
        w: &[(f64, f64)],
        layout: &Layout,
        window: f64,
    ) -> Result<(Vec<f64>, f64, usize, ndarray::Array2<f64>)> {
        let theta0 = start(table, w, layout);
        let eval = |theta: &[f64]| -> Result<Acc> {
            let p = layout.len();
            let mut acc = fold_chunks(
                table.len(),
                1 << 16,
                || Acc::new(p),
                |a, r| {
                    add_row(a, &table.row(r), w[r], theta, layout, window);
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
            let journeys = w.iter().map(|x| x.0 + x.1).sum::<f64>();
            for j in 0..p {
                let l2 = journeys
                    * if j >= layout.pairs_at() {
                        self.pair_l2
                    } else {
                        self.l2
                    };
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
                        return Ok((theta, acc.ll, iter, acc.hess));
                    }
                    accepted = true;
                    break;
                }
                damping = (damping * 10.0).max(1e-6);
            }
            if !accepted {
                // No step improves the objective at any damping: a (numerical) optimum.
                return Ok((theta, acc.ll, iter, acc.hess));
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

conversion_model!(
    AdditiveHazard,
    AdditiveHazard,
    "additive_hazard",
    "Each journey is split by its touches' shares of the hazard at its conversion: exactly what the aggregate sums under hazard-share credit; under removal credit (default) the difference from the aggregate is the reported residual."
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
    /// Ordered pairs `(d, c)` with an interaction term (fits saved before interactions have
    /// none).
    #[serde(default)]
    pairs: Vec<(u32, u32)>,
    /// ε of each pair.
    #[serde(default)]
    epsilon: Vec<f64>,
    #[serde(default)]
    credit: HazardCredit,
    window_days: f64,
    /// Fitted on timestamped journeys (false: an untimed fit without decay, see
    /// [`AdditiveHazard::untimed`]; fits saved before it are timed).
    #[serde(default = "timed_default")]
    timed: bool,
    log_likelihood: f64,
    iterations: usize,
    quality: Option<FitQuality>,
}

fn timed_default() -> bool {
    true
}

/// One fitted interaction term of [`AdditiveHazard`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HazardInteraction {
    /// The channel touched before.
    pub before: String,
    /// The channel whose touch's hazard is scaled.
    pub after: String,
    /// ε: the touch's hazard is multiplied by e^ε.
    pub epsilon: f64,
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
                // An untimed fit has no decay: ω = 0, half-life ∞ (`null` in JSON).
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

    /// The parameter vector and its layout (one decay rate per channel).
    fn model(&self) -> (Vec<f64>, Layout) {
        let (mut theta, mut layout) = (Vec::new(), Layout::default());
        self.model_into(&mut theta, &mut layout);
        (theta, layout)
    }

    /// [`HazardFit::model`] into reused buffers (no allocation once they are large enough).
    fn model_into(&self, theta: &mut Vec<f64>, layout: &mut Layout) {
        let n = self.channels.len();
        let ok = self.beta.len() == n && self.omega.len() == n;
        let pairs_ok = self.pairs.len() == self.epsilon.len()
            && self
                .pairs
                .iter()
                .all(|&(d, c)| (d as usize) < n && (c as usize) < n);
        layout.n = if ok { n } else { 0 };
        layout.shared = false;
        layout.pairs.clear();
        if ok && pairs_ok {
            layout.pairs.extend_from_slice(&self.pairs);
        }
        theta.clear();
        if ok {
            theta.extend(self.beta.iter().map(|b| b.ln()));
            // Untimed fits: ω = 0 is never used; keep θ finite.
            theta.extend(
                self.omega
                    .iter()
                    .map(|&w| if w > 0.0 { w.ln() } else { 0.0 }),
            );
            if pairs_ok {
                theta.extend_from_slice(&self.epsilon);
            }
        }
    }

    /// The fitted interaction terms.
    pub fn interactions(&self) -> Vec<HazardInteraction> {
        let name = |c: u32| self.channels.get(c as usize).cloned().unwrap_or_default();
        self.pairs
            .iter()
            .zip(&self.epsilon)
            .map(|(&(d, c), &epsilon)| HazardInteraction {
                before: name(d),
                after: name(c),
                epsilon,
            })
            .collect()
    }

    /// Each touch's share of the hazard at `reference` (µs since the epoch), into `out`.
    fn shares_at(
        &self,
        ids: &[Option<u32>],
        times: &[i64],
        reference: i64,
        w: &mut JourneyScratch,
        out: &mut [f64],
    ) {
        self.model_into(&mut w.theta, &mut w.layout);
        let (theta, layout, ctx) = (&w.theta, &w.layout, &mut w.ctx);
        ctx.build(layout, ids.iter().copied(), None);
        w.levels.clear();
        w.levels
            .extend(deltas(times, reference).enumerate().map(|(i, d)| {
                let c = ctx.channel[i]? as usize;
                Some(ctx.level(theta, i) - theta[layout.b(c)].exp() * d)
            }));
        let lg = &w.levels;
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
        for (o, l) in out.iter_mut().zip(lg) {
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
        touch_shares(self, path, times, out)
    }

    /// Per channel (by table id) the expected conversions lost without it, Σ_r (s_r + f_r)·
    /// (P̂(r) − P̂(r ∖ c)), and the same weighted by the row's value per conversion (the
    /// table's mean for null rows).
    fn removal(&self, table: &PathTable, remap: &[Option<u32>]) -> Result<(Vec<f64>, Vec<f64>)> {
        let (theta, layout) = self.model();
        let mean_value = mean_value(table);
        let n = table.channels().len();
        let window = self.window_days;
        let acc = fold_rows(
            table,
            || (vec![0.0; n], vec![0.0; n], Ctx::default(), Vec::new()),
            |a, _, row| {
                let o = row.outcome;
                let w = o.journeys();
                if self.timed && row.times.is_none() {
                    return Err(Error::NeedsTimestamps {
                        model: "additive_hazard",
                        untimed_rows: 1,
                        rows: table.len(),
                    });
                }
                if w <= 0.0 {
                    return Ok(());
                }
                let (_, t_end) = references(&row, window);
                // P̂ = 1 − e^{−Λ}; an untimed fit ignores the row's times (no decay).
                let p = |ctx: &Ctx| {
                    let lambda = match row.times {
                        Some(ts) if self.timed => cumulative(&theta, &layout, ctx, ts, t_end),
                        _ => untimed_cumulative(&theta, ctx),
                    };
                    -(-lambda).exp_m1()
                };
                let ids = row.path.iter().map(|id| remap[id.index()]);
                a.2.build(&layout, ids.clone(), None);
                let full = p(&a.2);
                let per = if o.conversions > 0.0 {
                    o.value / o.conversions
                } else {
                    mean_value
                };
                // Each distinct table channel once.
                a.3.clear();
                a.3.extend(row.path.iter().map(|id| id.index()));
                a.3.sort_unstable();
                a.3.dedup();
                for k in 0..a.3.len() {
                    let id = a.3[k];
                    let Some(c) = remap[id] else { continue };
                    a.2.build(&layout, ids.clone(), Some(c));
                    let without = p(&a.2);
                    a.0[id] += w * (full - without);
                    a.1[id] += w * (full - without) * per;
                }
                Ok(())
            },
            |a, b| {
                for i in 0..n {
                    a.0[i] += b.0[i];
                    a.1[i] += b.1[i];
                }
            },
        )?;
        Ok((acc.0, acc.1))
    }

    /// Credits `table` (see [`AdditiveHazard`] for the two ways). Extras: `fit`, `hazards`
    /// (per channel β, ω, half-life), `interactions` (ε per ordered pair), `log_likelihood`,
    /// `iterations`; under removal also `effects` (per channel, the expected conversions lost
    /// without it). When the removal effects sum to ≤ 0 the hazard shares are used instead and
    /// the extras say `"fallback": "hazard_share"`.
    ///
    /// # Errors
    /// [`Error::NeedsTimestamps`], [`Error::NoConversions`].
    pub fn attribution(&self, table: &PathTable) -> Result<Attribution> {
        require_conversions("additive_hazard", table)?;
        let n = table.channels().len();
        let remap = self.lookup.remap(table);
        let mut fallback = false;
        if self.credit == HazardCredit::Removal {
            let (ec, ev) = self.removal(table, &remap)?;
            let totals = table.totals();
            let (sc, sv): (f64, f64) = (ec.iter().sum(), ev.iter().sum());
            let positive = |sum: f64, total: f64| total == 0.0 || (sum > 0.0 && sum.is_finite());
            if positive(sc, totals.conversions) && positive(sv, totals.value) {
                let scale = |x: &[f64], sum: f64, total: f64| -> Vec<f64> {
                    x.iter()
                        .map(|v| if total == 0.0 { 0.0 } else { v * total / sum })
                        .collect()
                };
                let conv = scale(&ec, sc, totals.conversions);
                let value = scale(&ev, sv, totals.value);
                let a = Attribution::from_credit("additive_hazard", table, &conv, &value)?;
                let effects: serde_json::Map<String, serde_json::Value> = table
                    .channels()
                    .ids_by_name()
                    .iter()
                    .map(|&id| (table.channels().name(id).to_string(), ec[id.index()].into()))
                    .collect();
                return Ok(self.annotate(a).with_extra("effects", effects));
            }
            fallback = true;
        }
        let (conv, value) = fold_rows(
            table,
            || {
                let w = JourneyScratch::default();
                (
                    vec![0.0; n],
                    vec![0.0; n],
                    Vec::new(),
                    Vec::new(),
                    Vec::new(),
                    w,
                )
            },
            |a, _, row| {
                if row.outcome.conversions <= 0.0 {
                    return Ok(());
                }
                a.2.clear();
                a.2.extend(row.path.iter().map(|id| remap[id.index()]));
                a.3.clear();
                a.3.resize(row.path.len(), 0.0);
                match row.times {
                    Some(ts) if self.timed => {
                        let (t_conv, _) = references(&row, self.window_days);
                        self.shares_at(&a.2, ts, t_conv, &mut a.5, &mut a.3);
                    }
                    // Untimed fit: shares of the levels, every touch at one instant.
                    _ if !self.timed => {
                        a.4.clear();
                        a.4.resize(row.path.len(), 0);
                        self.shares_at(&a.2, &a.4, 0, &mut a.5, &mut a.3);
                    }
                    _ => {
                        return Err(Error::NeedsTimestamps {
                            model: "additive_hazard",
                            untimed_rows: 1,
                            rows: table.len(),
                        });
                    }
                }
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
        let a = Attribution::from_credit("additive_hazard", table, &conv, &value)?;
        let a = self.annotate(a);
        Ok(if fallback {
            a.with_extra("fallback", "hazard_share")
        } else {
            a
        })
    }

    /// The extras every additive-hazard attribution carries.
    fn annotate(&self, mut a: Attribution) -> Attribution {
        if let Some(q) = &self.quality {
            a = a.with_extra("fit", q);
        }
        a.with_extra("hazards", self.parameters())
            .with_extra("interactions", self.interactions())
            .with_extra("log_likelihood", self.log_likelihood)
            .with_extra("iterations", self.iterations)
    }
}

impl JourneySplit for HazardFit {
    const MODEL: &'static str = "additive_hazard";
    fn lookup(&self) -> &ChannelLookup {
        &self.lookup
    }
    /// Hazard shares at the conversion (the last touch when unknown); an untimed fit puts
    /// every touch at one instant.
    fn split(
        &self,
        j: &JourneyIds<'_>,
        scratch: &mut JourneyScratch,
        out: &mut [f64],
    ) -> Result<()> {
        let ids = j.ids;
        let mut zeros = std::mem::take(&mut scratch.zeros);
        let times = match j.times {
            _ if !self.timed => {
                zeros.clear();
                zeros.resize(ids.len(), 0);
                &zeros[..]
            }
            Some(t) => t,
            None => {
                scratch.zeros = zeros;
                return Err(Error::NeedsTimestamps {
                    model: "additive_hazard",
                    untimed_rows: 1,
                    rows: 1,
                });
            }
        };
        let last = times.iter().copied().max().unwrap_or(0);
        let reference = j.converted_at.unwrap_or(last).max(last);
        self.shares_at(ids, times, reference, scratch, out);
        scratch.zeros = zeros;
        Ok(())
    }
}

#[cfg(test)]
#[path = "hazard_tests.rs"]
mod tests;
