//! Attribution from a fitted conversion model: a model of P(convert | journey) is fitted to the
//! converting and null journeys, and every converting journey's touches are credited by their
//! counterfactual effect under it.
//!
//! | model | type | name | conversion model | credit |
//! |---|---|---|---|---|
//! | logistic regression | [`Logistic`] | `logistic` | σ(channels, counts, pairs, order, position) | removal effect per journey |
//! | data-driven (Shapley) | [`Dda`] | `dda` | the same | Shapley value per journey |
//! | additive hazard | [`AdditiveHazard`] | `additive_hazard` | Σ touches β_c e^{−ω_c Δt} (timestamps) | share of the hazard at conversion |
//!
//! Every fitted type ([`LogisticFit`], [`DdaFit`], [`HazardFit`]) serializes, and credits any
//! journey touch by touch (`touch_shares`), including journeys that are not in the fitted
//! table. Each model reports its held-out fit quality ([`FitQuality`]: AUC and log-loss on a
//! seeded split of the journeys) in the extras under `fit`.

mod credit;
mod features;
mod game;
mod hazard;
mod hazard_ctx;
mod irls;
pub(crate) mod journey;
mod linalg;
mod logistic;
pub(crate) mod quality;
mod shapley_dda;

pub use features::Interactions;
pub use hazard::{AdditiveHazard, HazardCredit, HazardFit, HazardInteraction, HazardParameter};
pub use logistic::{Coefficient, Logistic, LogisticFit};
pub use quality::FitQuality;
pub use shapley_dda::{DDA_EXACT_LIMIT, Dda, DdaFit};
