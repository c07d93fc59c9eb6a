//! The regularised logistic conversion model and its fitted form.

use serde::{Deserialize, Serialize};
use statrs::distribution::{ContinuousCDF, Normal};

use super::credit::{ChannelLookup, credit_table, expected_removal};
use super::features::{Design, Interactions, Prepared, Summary};
use super::game::{Credit, Game, Sampling};
use super::irls::{Data, DesignOptions, Newton, newton, sigmoid};
use super::journey::{conversion_model, touch_shares};
use super::linalg::inverse_diagonal;
use super::quality::{self, FitQuality};
use crate::attribution::Attribution;
use crate::error::{Error, Result};
use crate::model::rules::require_conversions;
use crate::table::PathTable;

/// Regularised logistic regression of conversion on the journey's channels, credited by
/// removal effects under the fitted model.
///
/// ```text
/// P(convert | journey) = σ(β₀ + Σ_c β_c·[c touched] + Σ_c γ_c·ln(touches of c)
///                          + Σ_{c<d} δ_cd·[c and d touched]               (interactions)
///                          + Σ_{c,d} ε_cd·[a touch of c precedes one of d] (ordered)
///                          + Σ_c (f_c·[c first] + l_c·[c last]))           (position)
/// ```
///
/// fitted to every row's conversions (successes) and nulls (failures) by Newton's method (IRLS)
/// on the log-likelihood minus `l2·W/2 · Σ β²` (W journeys; the intercept is not penalised). Standard errors
/// are the square roots of the diagonal of the inverse penalised Hessian; Wald intervals and
/// two-sided p-values use the normal distribution.
///
/// **Credit: expected removal effects.** Under the fitted model, channel c's effect is the
/// expected number of conversions lost without it, over every journey of the table (converting
/// or not): E_c = Σ_r (s_r + f_r)·(p̂(r) − p̂(r ∖ c)), where r ∖ c drops c's touches and keeps
/// the order of the others, and a journey left without touches does not convert (path tables
/// have no untouched journeys to estimate that rate from; the intercept is a reference level).
/// Conversions are shared out in proportion, C·E_c / Σ_d E_d; value likewise, with each row's
/// effect weighted by its value per conversion (the table's mean for null rows). The extras
/// give the E_c (`effects`). [`LogisticFit::touch_shares`] splits one journey by its own
/// removal effects. (The [`Dda`](super::Dda) model splits each converting journey by Shapley
/// values of the same fit instead.)
///
/// **Fit quality.** With `holdout` > 0 the model is refitted on a seeded split of the journeys
/// and the held-out AUC and log-loss are reported in the extras under `fit`.
///
/// # Errors
/// [`Error::InvalidParameter`] for options out of range or more main-effect features than
/// `max_features`; [`Error::NoConversions`]; [`Error::Numerical`] if Newton's method meets a
/// singular Hessian (raise `l2`) or does not converge.
///
/// # Complexity
/// Building the design: O(T + Σ_r k_r²) for k_r distinct channels of row r. Each Newton step
/// O(Σ_r m_r² + p³) for m_r non-zero features of row r and p features (usually 5–10 steps).
/// Memory: the design matrix, 12 bytes per non-zero (about 12·(2k + k²/2) per row), plus one
/// p × p Hessian per chunk of 65,536 rows in flight. Credit: O(Σ_r k_r³) with pairs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Logistic {
    /// Add ln(touches) per channel (default true).
    pub counts: bool,
    /// Add first-touch and last-touch indicators per channel (default false).
    pub position: bool,
    /// Pairwise interaction features (default [`Interactions::Pairs`]).
    pub interactions: Interactions,
    /// Pairs seen in fewer journeys than this get no feature (default 50).
    pub min_pair_journeys: f64,
    /// Most features (coefficients) in all; the most frequent pairs are kept up to it
    /// (default 200: a 200 × 200 Hessian stays in cache).
    pub max_features: usize,
    /// Ridge penalty per journey on every coefficient but the intercept: the objective is the
    /// log-likelihood minus `l2 · W / 2 · Σ β²` for W journeys, so scaling every count leaves
    /// the fit unchanged (default 1e-5).
    pub l2: f64,
    /// Bagging (Shao & Li): refit on this many seeded subsamples and average the
    /// coefficients; 0 = no bagging (default 0).
    pub bags: usize,
    /// Fraction of the journeys in each bag, in (0, 1] (default 0.5).
    pub bag_fraction: f64,
    /// Fraction of the journeys held out to measure fit quality, in [0, 1); 0 = none
    /// (default 0.2).
    pub holdout: f64,
    /// Seed of the split and of the bags (default 42).
    pub seed: u64,
    /// Newton iterations allowed (default 100).
    pub max_iter: usize,
    /// Convergence: the largest coefficient change (default 1e-8).
    pub tol: f64,
    /// Level of the Wald intervals (default 0.95).
    pub confidence: f64,
}

impl Default for Logistic {
    fn default() -> Self {
        Logistic {
            counts: true,
            position: false,
            interactions: Interactions::Pairs,
            min_pair_journeys: 50.0,
            max_features: 200,
            l2: 1e-5,
            bags: 0,
            bag_fraction: 0.5,
            holdout: 0.2,
            seed: 42,
            max_iter: 100,
            tol: 1e-8,
            confidence: 0.95,
        }
    }
}

/// The table with its timestamps dropped (timed rows count like untimed ones here), borrowed
/// when it has none.
fn untimed_view(table: &PathTable) -> std::borrow::Cow<'_, PathTable> {
    if table.has_times() {
        std::borrow::Cow::Owned(table.without_times())
    } else {
        std::borrow::Cow::Borrowed(table)
    }
}

pub(crate) fn bad(model: &'static str, name: &'static str, reason: String) -> Error {
    Error::InvalidParameter {
        model,
        name,
        reason,
    }
}

impl Logistic {
    /// Checks the options.
    ///
    /// # Errors
    /// See the type's docs.
    pub fn validate(&self) -> Result<()> {
        let m = "logistic";
        if !(self.l2.is_finite() && self.l2 >= 0.0) {
            return Err(bad(m, "l2", format!("{} must be finite and >= 0", self.l2)));
        }
        if !(self.min_pair_journeys.is_finite() && self.min_pair_journeys >= 0.0) {
            return Err(bad(
                m,
                "min_pair_journeys",
                "must be finite and >= 0".into(),
            ));
        }
        if !(self.bag_fraction > 0.0 && self.bag_fraction <= 1.0) {
            return Err(bad(
                m,
                "bag_fraction",
                format!("{} not in (0, 1]", self.bag_fraction),
            ));
        }
        if !(self.holdout >= 0.0 && self.holdout < 1.0) {
            return Err(bad(m, "holdout", format!("{} not in [0, 1)", self.holdout)));
        }
        if !(self.confidence > 0.0 && self.confidence < 1.0) {
            return Err(bad(
                m,
                "confidence",
                format!("{} not in (0, 1)", self.confidence),
            ));
        }
        if !(self.tol.is_finite() && self.tol > 0.0) || self.max_iter == 0 {
            return Err(bad(m, "tol", "tol must be > 0 and max_iter >= 1".into()));
        }
        if self.bags > 10_000 {
            return Err(bad(m, "bags", format!("{} bags: at most 10000", self.bags)));
        }
        Ok(())
    }

    fn newton(&self) -> Newton {
        Newton {
            l2: self.l2,
            max_iter: self.max_iter,
            tol: self.tol,
        }
    }

    /// Fits the model to `table` (timestamps are ignored: timed rows count like untimed ones).
    ///
    /// # Errors
    /// See the type's docs.
    pub fn fit(&self, table: &PathTable) -> Result<LogisticFit> {
        self.validate()?;
        require_conversions("logistic", table)?;
        let table = &*untimed_view(table);
        let data = Data::build(
            table,
            &DesignOptions {
                counts: self.counts,
                position: self.position,
                interactions: self.interactions,
                min_pair_journeys: self.min_pair_journeys,
                max_features: self.max_features,
            },
        )?;
        let w = quality::weights(table);
        let full = newton(&data, &data.pool(&w), &self.newton())?;
        let p = data.design.len();
        let var = inverse_diagonal(&full.chol);
        let se: Vec<f64> = var.iter().map(|v| v.max(0.0).sqrt()).collect();
        let (mut beta, mut bag_se) = (full.beta.clone(), None);
        if self.bags > 0 {
            let mut sum = vec![0.0; p];
            let mut sq = vec![0.0; p];
            for b in 0..self.bags {
                let seed = self.seed ^ (b as u64 + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15);
                let bag = if self.bag_fraction < 1.0 {
                    data.pool(&quality::split(table, self.bag_fraction, seed).test)
                } else {
                    data.pool(&w)
                };
                let fit = newton(&data, &bag, &self.newton())?;
                for j in 0..p {
                    sum[j] += fit.beta[j];
                    sq[j] += fit.beta[j] * fit.beta[j];
                }
            }
            let nb = self.bags as f64;
            beta = sum.iter().map(|s| s / nb).collect();
            bag_se = Some(
                sum.iter()
                    .zip(&sq)
                    .map(|(s, q)| ((q / nb - (s / nb).powi(2)).max(0.0)).sqrt())
                    .collect(),
            );
        }
        let quality = quality::held_out(table, self.holdout, self.seed, |train| {
            let fit = newton(&data, &data.pool(train), &self.newton())?;
            Ok((0..table.len())
                .map(|r| sigmoid(data.eta_of_row(&fit.beta, r)))
                .collect())
        })?;
        let channels = ChannelLookup::names_of(table);
        Ok(LogisticFit {
            lookup: ChannelLookup::new(&channels),
            channels,
            design: data.design,
            beta,
            se,
            bag_se,
            log_likelihood: full.log_likelihood,
            iterations: full.iterations,
            confidence: self.confidence,
            quality,
        })
    }
}

conversion_model!(
    Logistic,
    Logistic,
    "logistic",
    "Each journey is split by its own removal effects; the aggregate weights the effects by every journey, converting or not, so the per-journey split of the fitted table differs from it and the difference is the reported residual."
);

/// One coefficient of a [`LogisticFit`] with its Wald statistics.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Coefficient {
    /// The feature (`(intercept)`, a channel name, `ln count Email`, `Email & Search`,
    /// `Email → Search`, `first Email`, `last Email`).
    pub feature: String,
    /// The estimate (log-odds).
    pub estimate: f64,
    /// Its standard error (from the penalised Hessian of the fit on the whole table).
    pub se: f64,
    /// estimate / se.
    pub z: f64,
    /// Two-sided p-value of z under the standard normal.
    pub p_value: f64,
    /// Wald interval `[estimate − q·se, estimate + q·se]` at the fit's confidence level.
    pub ci: [f64; 2],
    /// Standard deviation of the estimate over the bags, when bagged.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bag_se: Option<f64>,
}

/// A fitted [`Logistic`] model: coefficients with standard errors, fit quality, and the
/// per-journey credit of any journey.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LogisticFit {
    /// Channel names of the fitted vocabulary (feature c belongs to `channels[c]`).
    pub(crate) channels: Vec<String>,
    pub(crate) lookup: ChannelLookup,
    pub(crate) design: Design,
    pub(crate) beta: Vec<f64>,
    se: Vec<f64>,
    bag_se: Option<Vec<f64>>,
    log_likelihood: f64,
    iterations: usize,
    confidence: f64,
    quality: Option<FitQuality>,
}

/// The logistic model's game on one journey: v(S) = σ(η(S)).
pub(crate) struct LogitGame<'a> {
    pub design: &'a Design,
    pub prep: &'a Prepared,
}

impl Game for LogitGame<'_> {
    fn players(&self) -> usize {
        self.prep.own.len()
    }
    /// σ(η(S)), and 0 for the empty coalition: path tables hold no journey without a touch,
    /// so the intercept alone is a reference level, not a conversion rate, and a journey with
    /// no touch left is taken not to convert (as in the Markov and rate-Shapley models).
    fn value(&self, members: &[bool]) -> f64 {
        if !members.iter().any(|&m| m) {
            return 0.0;
        }
        sigmoid(self.design.eta_prepared(self.prep, members))
    }
}

impl LogisticFit {
    /// Every coefficient with its Wald statistics, in feature order (intercept first).
    pub fn coefficients(&self) -> Vec<Coefficient> {
        // Standard normal: statrs only refuses a non-positive standard deviation.
        let Ok(normal) = Normal::new(0.0, 1.0) else {
            return Vec::new();
        };
        let q = normal.inverse_cdf(0.5 + self.confidence / 2.0);
        (0..self.beta.len())
            .map(|j| {
                let (b, se) = (self.beta[j], self.se.get(j).copied().unwrap_or(f64::NAN));
                let z = b / se;
                Coefficient {
                    feature: self.design.feature_name(j, &self.channels),
                    estimate: b,
                    se,
                    z,
                    p_value: 2.0 * normal.sf(z.abs()),
                    ci: [b - q * se, b + q * se],
                    bag_se: self.bag_se.as_ref().map(|s| s[j]),
                }
            })
            .collect()
    }

    /// The held-out fit quality, when a holdout was asked for.
    pub fn quality(&self) -> Option<&FitQuality> {
        self.quality.as_ref()
    }

    /// Log-likelihood of the whole table at the fit (penalty included).
    pub fn log_likelihood(&self) -> f64 {
        self.log_likelihood
    }

    /// Newton iterations taken.
    pub fn iterations(&self) -> usize {
        self.iterations
    }

    /// Number of coefficients (intercept included).
    pub fn features(&self) -> usize {
        self.beta.len()
    }

    /// The channel names the fit knows.
    pub fn channels(&self) -> &[String] {
        &self.channels
    }

    /// Predicted conversion probability of a journey given by channel names. Channels the fit
    /// never saw are dropped (they have no coefficient).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] if the fit is inconsistent (a deserialized fit whose
    /// coefficients do not match its features).
    pub fn predict(&self, path: &[&str]) -> Result<f64> {
        self.design.check(self.beta.len(), "logistic")?;
        let mut s = Summary::default();
        let mut slot = vec![u32::MAX; self.channels.len()];
        s.build(path.iter().map(|n| self.lookup.get(n)), &mut slot);
        let mut prep = Prepared::default();
        self.design.prepare(&self.beta, &s, &mut prep);
        let members = vec![true; s.ch.len()];
        Ok(sigmoid(self.design.eta_prepared(&prep, &members)))
    }

    /// Fractions of a journey's conversion per touch: its channels' removal effects
    /// p̂(journey) − p̂(journey ∖ c), normalised to sum to 1 over the journey, a channel's part
    /// shared equally by its touches; `times` is ignored. (The table's aggregate weights these
    /// effects by every journey, converting or not: see [`Logistic`].) Touches of channels the fit never saw get 0 (and, when no touch is
    /// known, every touch gets an equal share).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] if `out` is not as long as `path`, or the fit is
    /// inconsistent.
    pub fn touch_shares(
        &self,
        path: &[&str],
        times: Option<&[i64]>,
        out: &mut [f64],
    ) -> Result<()> {
        touch_shares(self, path, times, out)
    }

    /// Credits `table` (usually the fitted one) by the model's expected removal effects (see
    /// [`Logistic`]). Extras: `fit` (held-out quality), `effects` (per channel, the expected
    /// conversions lost without it), `predicted_conversions`, `coefficients`, `iterations`,
    /// `log_likelihood`.
    ///
    /// When the effects sum to ≤ 0 (an overfitted model on a tiny table, where every channel
    /// seems to hurt) each converting journey is split by its own removal effects instead, and
    /// the extras say `"fallback": "journey_removal"`.
    ///
    /// # Errors
    /// [`Error::NoConversions`].
    pub fn attribution(&self, table: &PathTable) -> Result<Attribution> {
        require_conversions("logistic", table)?;
        let table = &*untimed_view(table);
        let e = expected_removal(self, table)?;
        let totals = table.totals();
        let (ec, ev): (f64, f64) = (e.conversions.iter().sum(), e.value.iter().sum());
        let positive = |sum: f64, total: f64| total == 0.0 || (sum > 0.0 && sum.is_finite());
        if !(positive(ec, totals.conversions) && positive(ev, totals.value)) {
            // The effects sum to ≤ 0 (an overfitted model on a tiny table, where each channel
            // seems to hurt): split each converting journey by its own removal effects instead.
            let c = credit_table(self, table, "logistic", Credit::Removal, Sampling::exact())?;
            return Ok(self
                .annotate(c.attribution)
                .with_extra("fallback", "journey_removal")
                .with_extra("degenerate_rows", c.degenerate));
        }
        let scale = |x: &[f64], sum: f64, total: f64| -> Vec<f64> {
            if total == 0.0 {
                vec![0.0; x.len()]
            } else {
                x.iter().map(|v| v * total / sum).collect()
            }
        };
        let conv = scale(&e.conversions, ec, totals.conversions);
        let value = scale(&e.value, ev, totals.value);
        let a = Attribution::from_credit("logistic", table, &conv, &value)?;
        let ids = table.channels().ids_by_name();
        let effects: serde_json::Map<String, serde_json::Value> = ids
            .iter()
            .map(|&id| {
                let name = table.channels().name(id).to_string();
                (name, e.conversions[id.index()].into())
            })
            .collect();
        Ok(self
            .annotate(a)
            .with_extra("effects", effects)
            .with_extra("predicted_conversions", e.predicted))
    }

    /// The extras every logistic attribution carries.
    fn annotate(&self, mut a: Attribution) -> Attribution {
        if let Some(q) = &self.quality {
            a = a.with_extra("fit", q);
        }
        a.with_extra("coefficients", self.coefficients())
            .with_extra("iterations", self.iterations)
            .with_extra("log_likelihood", self.log_likelihood)
    }
}
