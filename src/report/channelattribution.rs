//! ChannelAttribution's column names, for drop-in replacement.

use std::io::Write;
use std::str::FromStr;

use serde::Serialize;

use super::csv::write_pivot;
use crate::attribution::Attribution;
use crate::error::{Error, Result};

/// Output column names of another tool, for drop-in replacement.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Compat {
    /// The R/Python package ChannelAttribution ([`write_channelattribution`]).
    ChannelAttribution,
}

impl FromStr for Compat {
    type Err = Error;

    fn from_str(s: &str) -> Result<Compat> {
        match s {
            "channelattribution" | "ChannelAttribution" => Ok(Compat::ChannelAttribution),
            _ => Err(Error::Unknown {
                what: "compatibility mode",
                name: s.to_string(),
                valid: "channelattribution".into(),
            }),
        }
    }
}

/// Writes a CSV with ChannelAttribution's column names, one row per channel (sorted by name),
/// models in the given order. The mapping (ours → ChannelAttribution's):
///
/// | model | columns (with `value`) | columns (without `value`) |
/// |---|---|---|
/// | (channel) | `channel_name` | `channel_name` |
/// | `first_touch` | `first_touch_conversions`, `first_touch_value` | `first_touch` |
/// | `last_touch` | `last_touch_conversions`, `last_touch_value` | `last_touch` |
/// | `linear` (per touch) | `linear_touch_conversions`, `linear_touch_value` | `linear_touch` |
/// | `markov` | `total_conversions`, `total_conversion_value` | `total_conversions` |
///
/// So `first_touch,last_touch,linear` gives the frame of `heuristic_models(...)` and `markov`
/// alone that of `markov_model(...)`. ChannelAttribution itself names the Markov conversions
/// column `total_conversion` (singular) when it has a value column and `out_more=FALSE`; this
/// writer always uses `total_conversions`, the name of its `out_more=TRUE` output. `value`
/// should be false when the input had no value column (ChannelAttribution's `var_value=None`).
///
/// # Errors
/// [`Error::NoCompatModel`] when a result comes from a model ChannelAttribution does not
/// have (the message lists the ones it has); [`Error::Io`] when writing fails.
pub fn write_channelattribution<W: Write>(
    out: W,
    results: &[Attribution],
    value: bool,
) -> Result<()> {
    let mut header = vec!["channel_name".to_string()];
    for a in results {
        let Some(cols) = crate::registry::entry(&a.model).and_then(|e| e.channelattribution) else {
            let theirs: Vec<&str> = crate::registry::entries()
                .iter()
                .filter(|e| e.channelattribution.is_some())
                .map(|e| e.name)
                .collect();
            return Err(Error::NoCompatModel {
                tool: "ChannelAttribution",
                model: a.model.clone(),
                available: theirs.join(", "),
            });
        };
        if value {
            header.extend([cols.conversions.to_string(), cols.value.to_string()]);
        } else {
            header.push(cols.conversions_only.to_string());
        }
    }
    write_pivot(out, &header, results, value)
}
