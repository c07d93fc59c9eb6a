//! A model's answer: credit per channel, with totals and model-specific extras.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::outcome::Outcome;
use crate::table::PathTable;

/// The credit one channel receives from one model.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChannelCredit {
    /// Channel name.
    pub channel: String,
    /// Attributed conversions.
    pub conversions: f64,
    /// Attributed conversion value.
    pub value: f64,
    /// `conversions / C` (C = the table's total conversions). For efficient models the shares
    /// sum to 1; for raw participation a share is the fraction of conversions the channel took
    /// part in.
    pub share: f64,
    /// `value / V`; 0 when the table's total value V is 0 (never NaN).
    pub value_share: f64,
    /// Bootstrap confidence intervals `[lo, hi]`, when computed
    /// ([`Intervals::annotate`](crate::bootstrap::Intervals::annotate)).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ci: Option<CreditTriple<[f64; 2]>>,
    /// Bootstrap standard errors, when computed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub se: Option<CreditTriple<f64>>,
    /// Cost, CPA and ROAS, when spend was given ([`Spend::annotate`](crate::spend::Spend::annotate));
    /// serialized inline as the keys `cost`, `cpa`, `roas` (`null` when undefined).
    #[serde(flatten, default, skip_serializing_if = "Option::is_none")]
    pub spend: Option<crate::spend::ChannelSpend>,
}

/// One statistic for a channel's conversions, value and share.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct CreditTriple<T> {
    /// For attributed conversions.
    pub conversions: T,
    /// For attributed value.
    pub value: T,
    /// For the conversion share.
    pub share: T,
}

/// The result of [`AttributionModel::attribute`](crate::AttributionModel::attribute).
///
/// Channels are sorted by name, so output never depends on the order in which a table interned
/// its channels. Every channel of the table's vocabulary is present, with 0 where it earns
/// nothing. `extras` holds model-specific results (Markov removal effects, sampling errors, …)
/// and serializes inline next to the standard fields.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Attribution {
    /// Model name, as [`AttributionModel::name`](crate::AttributionModel::name) gives it.
    pub model: String,
    /// Per-channel credit, sorted by channel name.
    pub channels: Vec<ChannelCredit>,
    /// Total conversions C of the table.
    pub total_conversions: f64,
    /// Total value V of the table.
    pub total_value: f64,
    /// Total null journeys U of the table.
    pub total_null: f64,
    /// Model-specific results, serialized inline (flattened) in JSON.
    #[serde(flatten)]
    pub extras: Map<String, Value>,
}

impl Attribution {
    /// Builds an attribution from credit vectors indexed by the table's channel ids.
    ///
    /// # Errors
    /// [`Error::Numerical`] if a credit is NaN or infinite (a bug or an overflow, never reported
    /// as a number).
    pub fn from_credit(
        model: impl Into<String>,
        table: &PathTable,
        conversions: &[f64],
        value: &[f64],
    ) -> Result<Attribution> {
        let totals = table.totals();
        Self::from_credit_with_totals(model, table, conversions, value, totals)
    }

    pub(crate) fn from_credit_with_totals(
        model: impl Into<String>,
        table: &PathTable,
        conversions: &[f64],
        value: &[f64],
        totals: Outcome,
    ) -> Result<Attribution> {
        let model = model.into();
        let ch = table.channels();
        debug_assert_eq!(conversions.len(), ch.len());
        debug_assert_eq!(value.len(), ch.len());
        let ratio = |x: f64, total: f64| if total > 0.0 { x / total } else { 0.0 };
        let mut channels = Vec::with_capacity(ch.len());
        for id in ch.ids_by_name() {
            let (c, v) = (conversions[id.index()], value[id.index()]);
            if !(c.is_finite() && v.is_finite()) {
                return Err(Error::Numerical {
                    model: "attribution",
                    reason: format!(
                        "{model}: credit of `{}` is not finite ({c}, {v})",
                        ch.name(id)
                    ),
                });
            }
            channels.push(ChannelCredit {
                channel: ch.name(id).to_string(),
                conversions: c,
                value: v,
                share: ratio(c, totals.conversions),
                value_share: ratio(v, totals.value),
                ci: None,
                se: None,
                spend: None,
            });
        }
        Ok(Attribution {
            model,
            channels,
            total_conversions: totals.conversions,
            total_value: totals.value,
            total_null: totals.nulls,
            extras: Map::new(),
        })
    }

    /// The credit of `channel`, if the table knows it.
    pub fn get(&self, channel: &str) -> Option<&ChannelCredit> {
        self.channels
            .binary_search_by(|c| c.channel.as_str().cmp(channel))
            .ok()
            .map(|i| &self.channels[i])
    }

    /// Attributed conversions of `channel` (0 for an unknown channel).
    pub fn conversions(&self, channel: &str) -> f64 {
        self.get(channel).map_or(0.0, |c| c.conversions)
    }

    /// Attributed value of `channel` (0 for an unknown channel).
    pub fn value(&self, channel: &str) -> f64 {
        self.get(channel).map_or(0.0, |c| c.value)
    }

    /// Sum of attributed conversions over channels (equals `total_conversions` for efficient
    /// models).
    pub fn credited_conversions(&self) -> f64 {
        self.channels.iter().map(|c| c.conversions).sum()
    }

    /// Sum of attributed value over channels.
    pub fn credited_value(&self) -> f64 {
        self.channels.iter().map(|c| c.value).sum()
    }

    /// Adds a model-specific extra (serialized inline in JSON).
    pub fn with_extra(mut self, key: &str, value: impl Serialize) -> Self {
        // Serializing plain data (maps, numbers, strings) into a Value cannot fail.
        if let Ok(v) = serde_json::to_value(value) {
            self.extras.insert(key.to_string(), v);
        }
        self
    }
}

/// Every channel named by any of `results`, sorted by name (the rows of the reports that put
/// several results side by side).
pub(crate) fn channel_names(results: &[Attribution]) -> Vec<&str> {
    let names: std::collections::BTreeSet<&str> = results
        .iter()
        .flat_map(|a| a.channels.iter().map(|c| c.channel.as_str()))
        .collect();
    names.into_iter().collect()
}

/// Columns of the long results table (one row per model and channel: the CSV of
/// [`crate::report::write_csv`], Parquet), in order.
pub const LONG_COLUMNS: [&str; 6] = [
    "model",
    "channel",
    "conversions",
    "value",
    "share",
    "value_share",
];

/// Columns that follow [`LONG_COLUMNS`] when any result carries confidence intervals.
pub const INTERVAL_COLUMNS: [&str; 9] = [
    "conversions_lo",
    "conversions_hi",
    "value_lo",
    "value_hi",
    "share_lo",
    "share_hi",
    "conversions_se",
    "value_se",
    "share_se",
];
