//! The stable JSON document and JSON Lines.

use std::io::{self, Write};

use serde::Serialize;

use super::{Summary, channel_names, totals};
use crate::attribution::{Attribution, ChannelCredit};
use crate::error::Result;

/// The JSON document (see the [module docs](self)).
#[derive(Serialize)]
struct JsonReport<'a> {
    total_conversions: f64,
    total_value: f64,
    total_null: f64,
    channels: Vec<&'a str>,
    models: Vec<ModelJson<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    summary: Option<&'a Summary>,
}

/// One model of the JSON document: its attribution and, for the models that measure it, the
/// held-out fit quality (`fit_quality`: `auc`, `log_loss`, `holdout`, `test_journeys`, `seed`;
/// the conversion models `logistic`, `dda` and `additive_hazard`, from their `fit` extra).
#[derive(Serialize)]
struct ModelJson<'a> {
    #[serde(flatten)]
    attribution: &'a Attribution,
    #[serde(skip_serializing_if = "Option::is_none")]
    fit_quality: Option<&'a serde_json::Value>,
}

impl<'a> ModelJson<'a> {
    fn new(attribution: &'a Attribution) -> Self {
        ModelJson {
            attribution,
            fit_quality: attribution.extras.get("fit"),
        }
    }
}

/// Writes the stable JSON document (pretty-printed, with a final newline). Totals are those of
/// the first result (every result of one table has the same), 0 when `results` is empty.
///
/// # Errors
/// [`Error::Io`](crate::Error::Io) when writing fails.
pub fn write_json<W: Write>(
    mut out: W,
    results: &[Attribution],
    summary: Option<&Summary>,
) -> Result<()> {
    let (c, v, u) = totals(results);
    let doc = JsonReport {
        total_conversions: c,
        total_value: v,
        total_null: u,
        channels: channel_names(results),
        models: results.iter().map(ModelJson::new).collect(),
        summary,
    };
    serde_json::to_writer_pretty(&mut out, &doc).map_err(io::Error::from)?;
    out.write_all(b"\n")?;
    out.flush()?;
    Ok(())
}

/// One line of [`write_jsonl`]: the model name and the channel's credit.
#[derive(Serialize)]
struct JsonlRow<'a> {
    model: &'a str,
    #[serde(flatten)]
    credit: &'a ChannelCredit,
}

/// Writes JSON Lines: one compact object per model and channel (models in the given order,
/// channels sorted by name) with the fields of the long CSV, `{"model", "channel",
/// "conversions", "value", "share", "value_share"}`, plus `ci` (`{"conversions": [lo, hi],
/// "value": [lo, hi], "share": [lo, hi]}`) and `se` (`{"conversions", "value", "share"}`) when
/// intervals were computed. Model extras (removal effects, …) are not repeated per line: use
/// [`write_json`] for them.
///
/// # Errors
/// [`Error::Io`](crate::Error::Io) when writing fails.
pub fn write_jsonl<W: Write>(mut out: W, results: &[Attribution]) -> Result<()> {
    for a in results {
        for credit in &a.channels {
            let row = JsonlRow {
                model: &a.model,
                credit,
            };
            serde_json::to_writer(&mut out, &row).map_err(io::Error::from)?;
            out.write_all(b"\n")?;
        }
    }
    out.flush()?;
    Ok(())
}
