//! Fitted models: fit once on a table, then credit any journey touch by touch.
//!
//! Every model of the crate (every [`AttributionModel`](crate::AttributionModel)) can be
//! *fitted* on a [`PathTable`]. The [`FittedModel`] it returns
//!
//! * holds the model's aggregate [`Attribution`] of the fitted table
//!   ([`FittedModel::attribution`]);
//! * credits any journey, the fitted rows and journeys it has never seen, touch by touch
//!   ([`FittedModel::credit`], or a reusable [`Scorer`] in a request handler: no allocation per
//!   call once warm);
//! * credits every row of a table ([`FittedModel::credit_table`]); on the fitted table the
//!   per-touch credits sum, per channel, to the aggregate attribution (up to the reported
//!   [`FittedModel::residual`], see below);
//! * saves and loads as versioned JSON ([`FittedModel::to_json`], [`FittedModel::from_json`]):
//!   a model saved by one process credits every journey bit-identically in another.
//!
//! # How a journey's credit is split
//!
//! There are two kinds of fitted model (the model reference, §Per-journey credit):
//!
//! * **Rules** (first/last touch, linear, position-based, time decay, raw participation,
//!   simplified Shapley): the rule itself says how one journey is split; per-touch credit is the
//!   rule's weight times the journey's conversions and value. Additive by construction.
//! * **Calibrated channel weights** (Markov, the Shapley games, Shao & Li, normalized
//!   participation, ordered Shapley): these models answer per channel for a whole table. A
//!   journey's conversions are split over its distinct channels in proportion to one weight
//!   β_k per channel (each channel's part shared equally by its touches), and the weights are
//!   *calibrated* so that, summed over the fitted table, every channel receives exactly its
//!   aggregate credit: β solves Σ_r c_r·β_k/Σ_{j∈r} β_j = A_k for every channel k (biproportional
//!   fitting; the solution is unique up to scale when it exists). Value is calibrated the same
//!   way against the value credit. This keeps the journey-level split consistent with the
//!   model's own channel totals. Splitting each journey by the model's channel scores alone
//!   (as DP6 does with removal effects) does not: summed back, it moves share towards channels
//!   that appear on many short converting journeys, typically lower-funnel ones.
//!
//! Where exact consistency is impossible the rest is reported, never hidden, as a per-channel
//! [`FittedModel::residual`] with `placed + residual = aggregate`. A channel whose credit no
//! journey can carry (it is on no converting row, or its credit is negative, as the global rate
//! game can give) gets weight 0; every journey still splits all of its conversions, so the
//! other channels' targets are rescaled in proportion to their credit to carry that share (a
//! negative residual on them). Margins no split can reach (a set of channels credited more
//! than all the conversions of the journeys that touch it) are approached as closely as the
//! iteration gets in 5,000 steps, and the rest shows in the residual.
//!
//! ```
//! use touchpoint::{AttributionModel, Journey, Linear, Markov, Outcome, PathTable};
//! let mut t = PathTable::new();
//! t.add(["Search", "Email", "Direct"], Outcome::new(3.0, 240.0, 10.0))?;
//! t.add(["Email"], Outcome::new(1.0, 40.0, 4.0))?;
//! t.add(["Display", "Search"], Outcome::null(25.0))?;
//!
//! let linear = Linear::default().fit(&t)?;
//! let order = Journey::from_channels(["Search", "Direct"], Outcome::converted(1.0, 50.0));
//! let credit = linear.credit(&order)?;
//! assert_eq!(credit[0].conversions, 0.5);
//! assert_eq!(credit[1].value, 25.0);
//!
//! let markov = AttributionModel::fit(&Markov::default(), &t)?; // (`Markov::fit` is the chain)
//! let credit = markov.credit(&order)?;
//! let total: f64 = credit.iter().map(|c| c.conversions).sum();
//! assert!((total - 1.0).abs() < 1e-12);
//!
//! // Saved by one process, loaded by another: the same credit to the last bit.
//! let loaded = touchpoint::fit::FittedModel::from_json(&markov.to_json()?)?;
//! assert_eq!(loaded.credit(&order)?, credit);
//! # Ok::<(), touchpoint::Error>(())
//! ```

mod calibrate;
mod per_touch;
mod rule;
mod scorer;
mod set_game;

use serde::{Deserialize, Serialize};

use crate::attribution::Attribution;
use crate::channel::Channels;
use crate::error::{Error, Result};
use crate::journey::Journey;
use crate::model::dda::journey::credit_rows;
use crate::model::{DdaFit, HazardFit, LogisticFit};
use crate::table::PathTable;
use crate::walk::PerTouch;

pub use calibrate::ChannelWeights;
pub use per_touch::{PER_TOUCH_COLUMNS, RESIDUAL, journeys_of_table, write_per_touch};
pub use rule::RuleSpec;
pub use scorer::Scorer;
pub use set_game::SetShares;

/// The `format` field of a saved fitted model.
pub const FORMAT: &str = "touchpoint.fitted_model";

/// The version of the saved format this build writes (and the newest it reads).
pub const VERSION: u32 = 1;

/// The credit one touch of a journey receives.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TouchCredit {
    /// Attributed conversions (a fraction of the journey's conversions).
    pub conversions: f64,
    /// Attributed conversion value.
    pub value: f64,
}

/// Credit that could not be placed on journeys, for one channel: `aggregate − placed`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChannelResidual {
    /// Channel name.
    pub channel: String,
    /// Conversions of the aggregate that no journey carries.
    pub conversions: f64,
    /// Value of the aggregate that no journey carries.
    pub value: f64,
}

/// How a fitted model splits one journey (see the [module docs](self)).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum FittedKind {
    /// A rule-based model: the rule splits each journey.
    Rule {
        /// The model's configuration.
        rule: RuleSpec,
    },
    /// A table-level model: each journey split by calibrated channel weights.
    Calibrated {
        /// The weights, by channel.
        weights: ChannelWeights,
    },
    /// A set game (`shapley_rate`): each journey split by the game of its channel set, or by
    /// calibrated weights when its set was not observed converting.
    SetGame {
        /// The per-set splits.
        shares: SetShares,
        /// The split of journeys without a game of their own.
        fallback: ChannelWeights,
    },
    /// A fitted logistic conversion model: each journey split by its channels' removal effects.
    Logistic {
        /// The fit.
        fit: LogisticFit,
    },
    /// `dda`: each journey split by the Shapley values of a fitted logistic conversion model.
    Dda {
        /// The fit.
        fit: DdaFit,
    },
    /// A fitted additive hazard model: each journey split by its touches' shares of the hazard.
    AdditiveHazard {
        /// The fit.
        fit: HazardFit,
    },
}

/// Per-touch credit of every row of a table (see [`FittedModel::credit_table`]).
///
/// Aligned with the table: `touches(r)` are the credits of the touches of row `r`, in order.
#[derive(Clone, Debug, PartialEq)]
pub struct TableCredit {
    credit: PerTouch<TouchCredit>,
}

impl TableCredit {
    /// Number of rows.
    pub fn len(&self) -> usize {
        self.credit.len()
    }

    /// True when there is no row.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Credits of the touches of row `r`.
    ///
    /// # Panics
    /// If `r >= self.len()`.
    pub fn touches(&self, r: usize) -> &[TouchCredit] {
        self.credit.row(r)
    }

    /// Sums the credit per channel of `table` (the table this was computed from), indexed by
    /// channel id.
    pub fn channel_sums(&self, table: &PathTable) -> (Vec<f64>, Vec<f64>) {
        let n = table.channels().len();
        let (mut conv, mut value) = (vec![0.0; n], vec![0.0; n]);
        for (r, row) in table.rows().enumerate() {
            for (&id, c) in row.path.iter().zip(self.touches(r)) {
                conv[id.index()] += c.conversions;
                value[id.index()] += c.value;
            }
        }
        (conv, value)
    }
}

/// What a saved fitted model holds (the JSON document, field for field).
#[derive(Serialize, Deserialize)]
struct Saved {
    format: String,
    version: u32,
    model: String,
    attribution: Attribution,
    #[serde(flatten)]
    kind: FittedKind,
    residual: Vec<ChannelResidual>,
}

/// A model fitted on a table: its aggregate answer and what it needs to credit any journey.
///
/// Made by [`AttributionModel::fit`](crate::AttributionModel::fit); see the
/// [module docs](self).
///
/// # Saved format
/// [`FittedModel::to_json`] writes one JSON object: `format` (`"touchpoint.fitted_model"`),
/// `version` (1), `model` (the registry name), `attribution` (the `attribute --format json`
/// entry of the model), `kind` (`"rule"` with `rule` = the model's configuration, or
/// `"calibrated"` with `weights` = channel names and their conversion and value weights), and
/// `residual` (per channel, credit no journey carries). Floats are written so that they read
/// back to the same bits. A later version may add fields; this build refuses other formats and
/// newer versions with [`Error::ModelFormat`].
#[derive(Clone, Debug, PartialEq)]
pub struct FittedModel {
    model: String,
    attribution: Attribution,
    kind: FittedKind,
    residual: Vec<ChannelResidual>,
}

impl FittedModel {
    /// A fitted rule-based model.
    pub(crate) fn rule(attribution: Attribution, rule: RuleSpec) -> FittedModel {
        FittedModel {
            model: attribution.model.clone(),
            attribution,
            kind: FittedKind::Rule { rule },
            residual: Vec::new(),
        }
    }

    /// A table-level model fitted on `table`: calibrates channel weights so that the per-journey
    /// split reproduces `attribution` (see the module docs).
    ///
    /// # Errors
    /// [`Error::Numerical`] if the attribution holds a non-finite credit.
    pub fn calibrated(attribution: Attribution, table: &PathTable) -> Result<FittedModel> {
        let (weights, residual) = calibrate::calibrate(&attribution, table)?;
        Ok(FittedModel {
            model: attribution.model.clone(),
            attribution,
            kind: FittedKind::Calibrated { weights },
            residual,
        })
    }

    /// A set game fitted on `table` (the fitted rows are split by their own sets, so no
    /// residual; the calibrated fallback serves unseen sets).
    pub(crate) fn set_game(
        attribution: Attribution,
        table: &PathTable,
        shares: SetShares,
    ) -> Result<FittedModel> {
        let (fallback, _) = calibrate::calibrate(&attribution, table)?;
        Ok(FittedModel {
            model: attribution.model.clone(),
            attribution,
            kind: FittedKind::SetGame { shares, fallback },
            residual: Vec::new(),
        })
    }

    /// A fitted conversion model (`logistic`, `dda`, `additive_hazard`) with the residual of
    /// its per-journey split of the fitted table.
    pub(crate) fn conversion(
        attribution: Attribution,
        kind: FittedKind,
        residual: Vec<ChannelResidual>,
    ) -> FittedModel {
        FittedModel {
            model: attribution.model.clone(),
            attribution,
            kind,
            residual,
        }
    }

    /// The same fitted model reported under `name` (the registry's name of a configured
    /// model, e.g. `j_curve` for a position-based rule).
    pub(crate) fn renamed(mut self, name: &str) -> FittedModel {
        self.model = name.to_string();
        self.attribution.model = name.to_string();
        self
    }

    /// The model's name (as [`AttributionModel::name`](crate::AttributionModel::name)).
    pub fn name(&self) -> &str {
        &self.model
    }

    /// The aggregate attribution of the fitted table.
    pub fn attribution(&self) -> &Attribution {
        &self.attribution
    }

    /// How the model splits a journey.
    pub fn kind(&self) -> &FittedKind {
        &self.kind
    }

    /// Per channel, the aggregate credit that no journey of the fitted table carries (empty
    /// when the split reproduces the aggregate to 1e-9 relative). Rule-based models never leave
    /// a residual.
    pub fn residual(&self) -> &[ChannelResidual] {
        &self.residual
    }

    /// A reusable scorer: credits journeys one at a time without allocating once warm.
    pub fn scorer(&self) -> Scorer<'_> {
        Scorer::new(self)
    }

    /// Credits one journey touch by touch (its conversions and value are split). Allocates the
    /// result; a request handler should keep a [`Scorer`].
    ///
    /// # Errors
    /// As [`PathTable::add_journey`]: an empty or invalid path, inconsistent timestamps, an
    /// invalid outcome.
    pub fn credit(&self, journey: &Journey) -> Result<Vec<TouchCredit>> {
        self.scorer().credit(journey).map(<[TouchCredit]>::to_vec)
    }

    /// Credits every row of `table` touch by touch (the fitted table or any other; channels are
    /// matched by name). Null rows get zero credit.
    ///
    /// # Errors
    /// As the model's own checks (none for a valid table).
    pub fn credit_table(&self, table: &PathTable) -> Result<TableCredit> {
        let mut credit = Vec::with_capacity(table.touch_count());
        match &self.kind {
            FittedKind::Rule { rule } => rule.credit_table(table, &mut credit)?,
            FittedKind::Calibrated { weights } => weights.credit_table(table, &mut credit),
            FittedKind::SetGame { shares, fallback } => {
                shares.credit_table(fallback, table, &mut credit)
            }
            FittedKind::Logistic { fit } => credit_rows(fit, table, &mut credit)?,
            FittedKind::Dda { fit } => credit_rows(fit, table, &mut credit)?,
            FittedKind::AdditiveHazard { fit } => credit_rows(fit, table, &mut credit)?,
        }
        Ok(TableCredit {
            credit: PerTouch::aligned(credit, table),
        })
    }

    /// The saved form (see [Saved format](FittedModel#saved-format)).
    ///
    /// # Errors
    /// [`Error::ModelJson`] if serialization fails (it does not for a fitted model).
    pub fn to_json(&self) -> Result<String> {
        let saved = Saved {
            format: FORMAT.to_string(),
            version: VERSION,
            model: self.model.clone(),
            attribution: self.attribution.clone(),
            kind: self.kind.clone(),
            residual: self.residual.clone(),
        };
        serde_json::to_string(&saved).map_err(Error::ModelJson)
    }

    /// Loads a model saved by [`FittedModel::to_json`].
    ///
    /// # Errors
    /// [`Error::ModelFormat`] for another format or a newer version; [`Error::ModelJson`] for
    /// anything that is not a valid saved model (including weights that do not match their
    /// channels).
    pub fn from_json(json: &str) -> Result<FittedModel> {
        #[derive(Deserialize)]
        struct Header {
            format: String,
            version: u32,
        }
        let header: Header = serde_json::from_str(json).map_err(Error::ModelJson)?;
        if header.format != FORMAT || header.version == 0 || header.version > VERSION {
            return Err(Error::ModelFormat {
                format: header.format,
                version: header.version,
                supported: VERSION,
            });
        }
        let saved: Saved = serde_json::from_str(json).map_err(Error::ModelJson)?;
        Ok(FittedModel {
            model: saved.model,
            attribution: saved.attribution,
            kind: saved.kind,
            residual: saved.residual,
        })
    }
}

/// A vocabulary built from names known to be distinct and valid (saved weights).
fn vocabulary(names: &[String]) -> std::result::Result<Channels, String> {
    let mut ch = Channels::new();
    for name in names {
        let before = ch.len();
        ch.intern(name).map_err(|e| e.to_string())?;
        if ch.len() == before {
            return Err(format!("channel `{name}` appears twice"));
        }
    }
    Ok(ch)
}
