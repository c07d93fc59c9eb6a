//! `dda`: Shapley values of every converting journey under a fitted conversion model.

use serde::{Deserialize, Serialize};

use super::credit::{ChannelLookup, credit_table, split_ids};
use super::game::{Credit, Sampling};
use super::journey::{JourneyIds, JourneyScratch, JourneySplit, conversion_model, touch_shares};
use super::logistic::{Logistic, LogisticFit, bad};
use super::quality::FitQuality;
use crate::attribution::Attribution;
use crate::error::Result;
use crate::table::PathTable;

/// Largest `max_exact_channels` of [`Dda`] (2^20 coalitions per journey).
pub const DDA_EXACT_LIMIT: usize = 20;

/// Data-driven attribution: the Shapley value of each converting journey's channels under a
/// fitted conversion model (the open counterpart of GA4's data-driven attribution).
///
/// ```text
/// v(S)   = p̂(the journey restricted to its touches of channels in S)    (order kept)
/// φ_c    = Σ_{S ⊆ N∖{c}} |S|!(k−|S|−1)!/k! · (v(S ∪ {c}) − v(S))     over the k channels N
/// credit_c += conversions · φ_c / (v(N) − v(∅)),  value likewise;  a channel's credit is
///            shared equally by its touches
/// ```
///
/// p̂ is the [`Logistic`] model `model` fitted on the table. Journeys with at most
/// `max_exact_channels` distinct channels are computed exactly (O(k·2^k)); longer ones are
/// estimated from `samples` antithetic pairs of orderings, seeded by `seed` and the journey's
/// content, and the standard errors of the credited conversions are in the extras
/// (`standard_error`, per channel). When v(N) − v(∅) ≤ 1e-12 (the model sees no lift) the
/// journey is split equally among its channels and counted in `degenerate_rows`. Credits are
/// efficient (they sum to the table's conversions and value) and can be negative for a channel
/// the model says hurts. The aggregate is the sum of the per-journey credits.
///
/// Extras: `fit` (held-out AUC and log-loss of the conversion model), `coefficients`,
/// `sampled_rows`, `degenerate_rows`, `standard_error`.
///
/// # Errors
/// As [`Logistic::fit`]; [`Error::InvalidParameter`](crate::Error::InvalidParameter) if
/// `max_exact_channels` > [`DDA_EXACT_LIMIT`] or `samples` < 2.
///
/// # Complexity
/// The fit of [`Logistic`], then per converting row O(k²·2^k) (exact, with pair features) or
/// O(samples·k³) (sampled). Memory: the fit's, plus O(2^k) per row in flight.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Dda {
    /// The conversion model (default [`Logistic::default`]).
    pub model: Logistic,
    /// Journeys with more distinct channels are sampled (default 15).
    pub max_exact_channels: usize,
    /// Antithetic pairs of orderings per sampled journey (default 500).
    pub samples: usize,
    /// Seed of the sampler (default 42).
    pub seed: u64,
}

impl Default for Dda {
    fn default() -> Self {
        Dda {
            model: Logistic::default(),
            max_exact_channels: 15,
            samples: 500,
            seed: 42,
        }
    }
}

impl Dda {
    /// Checks the options.
    ///
    /// # Errors
    /// See the type's docs.
    pub fn validate(&self) -> Result<()> {
        self.model.validate()?;
        if self.max_exact_channels > DDA_EXACT_LIMIT {
            return Err(bad(
                "dda",
                "max_exact_channels",
                format!(
                    "{} is above the limit {DDA_EXACT_LIMIT}",
                    self.max_exact_channels
                ),
            ));
        }
        if self.samples < 2 {
            return Err(bad("dda", "samples", "at least 2 pairs are needed".into()));
        }
        Ok(())
    }

    /// Fits the conversion model.
    ///
    /// # Errors
    /// See the type's docs.
    pub fn fit(&self, table: &PathTable) -> Result<DdaFit> {
        self.validate()?;
        Ok(DdaFit {
            model: self.model.fit(table)?,
            max_exact_channels: self.max_exact_channels,
            samples: self.samples,
            seed: self.seed,
        })
    }
}

conversion_model!(
    Dda,
    Dda,
    "dda",
    "Each journey is split by its own Shapley values: on the fitted table the split sums to the aggregate (no residual beyond rounding)."
);

/// A fitted [`Dda`]: the conversion model and the sampling settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DdaFit {
    model: LogisticFit,
    max_exact_channels: usize,
    samples: usize,
    seed: u64,
}

impl DdaFit {
    fn sampling(&self) -> Sampling {
        Sampling {
            max_exact: self.max_exact_channels,
            pairs: self.samples,
            seed: self.seed,
        }
    }

    /// The fitted conversion model.
    pub fn conversion_model(&self) -> &LogisticFit {
        &self.model
    }

    /// The conversion model's held-out fit quality, when measured.
    pub fn quality(&self) -> Option<&FitQuality> {
        self.model.quality()
    }

    /// Fractions of a journey's conversion per touch (Shapley, see [`Dda`]); `times` is
    /// ignored. Touches of channels the fit never saw get 0 (they change no prediction); a
    /// journey with no known channel is split equally among its touches.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`](crate::Error::InvalidParameter) if `out` is not as long as
    /// `path`.
    pub fn touch_shares(
        &self,
        path: &[&str],
        times: Option<&[i64]>,
        out: &mut [f64],
    ) -> Result<()> {
        touch_shares(self, path, times, out)
    }

    /// Credits `table` (see [`Dda`] for the extras).
    ///
    /// # Errors
    /// [`Error::NoConversions`](crate::Error::NoConversions).
    pub fn attribution(&self, table: &PathTable) -> Result<Attribution> {
        let c = credit_table(&self.model, table, "dda", Credit::Shapley, self.sampling())?;
        let mut a = c.attribution;
        if let Some(q) = self.model.quality() {
            a = a.with_extra("fit", q);
        }
        let ids = table.channels().ids_by_name();
        let se: serde_json::Map<String, serde_json::Value> = ids
            .iter()
            .map(|&id| {
                (
                    table.channels().name(id).to_string(),
                    c.se[id.index()].into(),
                )
            })
            .collect();
        Ok(a.with_extra("coefficients", self.model.coefficients())
            .with_extra("sampled_rows", c.sampled)
            .with_extra("degenerate_rows", c.degenerate)
            .with_extra("standard_error", se))
    }
}

impl JourneySplit for DdaFit {
    const MODEL: &'static str = "dda";
    fn lookup(&self) -> &ChannelLookup {
        &self.model.lookup
    }
    fn sampling_seed(&self) -> Option<u64> {
        Some(self.sampling().seed)
    }
    /// Shapley values of the journey's own channels (see [`DdaFit::touch_shares`]).
    fn split(
        &self,
        j: &JourneyIds<'_>,
        scratch: &mut JourneyScratch,
        out: &mut [f64],
    ) -> Result<()> {
        let fit = &self.model;
        fit.design.check(fit.beta.len(), "logistic")?;
        let mut sampling = self.sampling();
        sampling.seed = j.seed;
        split_ids(fit, j.ids, Credit::Shapley, sampling, scratch, out);
        Ok(())
    }
}
