//! One row per (conversion, touch, model): the per-touch credit of every converting journey,
//! written as CSV for joining back to orders (the `attribute --per-touch` output).

use std::io::Write;

use chrono::SecondsFormat;

use super::FittedModel;
use crate::error::{Error, Result};
use crate::journey::Journey;
use crate::table::PathTable;

/// The columns of [`write_per_touch`], in order.
pub const PER_TOUCH_COLUMNS: [&str; 9] = [
    "model",
    "user_id",
    "conversion_id",
    "conversion_time",
    "touch_index",
    "touch_time",
    "channel",
    "credit",
    "value",
];

/// The conversion id of the rows that hold a model's residual (see [`write_per_touch`]).
pub const RESIDUAL: &str = "(residual)";

/// Journeys for the rows of a path table (which has no keys): row `r` becomes a journey with
/// conversion id `row-<r>` (0-based table row), no user, the row's outcome and, for timestamped
/// rows, its times.
pub fn journeys_of_table(table: &PathTable) -> Vec<Journey> {
    table
        .rows()
        .enumerate()
        .map(|(r, row)| {
            let names = row.path.iter().map(|&id| table.channels().name(id));
            let mut j = Journey::from_channels(names, row.outcome);
            if let Some(times) = row.times {
                for (t, &us) in j.touches.iter_mut().zip(times) {
                    t.at = chrono::DateTime::from_timestamp_micros(us);
                }
                j.converted_at = row
                    .converted_at
                    .and_then(chrono::DateTime::from_timestamp_micros);
            }
            j.conversion_id = (row.outcome.conversions > 0.0).then(|| format!("row-{r}"));
            j
        })
        .collect()
}

/// Writes the per-touch credit of every converting journey under every model: one CSV row per
/// (conversion, touch, model), columns [`PER_TOUCH_COLUMNS`]: `model`, `user_id` (empty when
/// unknown), `conversion_id`, `conversion_time` (RFC 3339 UTC, empty when unknown),
/// `touch_index` (1-based position in the journey), `touch_time` (RFC 3339 UTC or empty),
/// `channel`, `credit` (attributed conversions) and `value` (attributed value). Rows are in
/// model order, then journey order, then touch order. A model whose aggregate no split of the
/// journeys reproduces ([`FittedModel::residual`]) gets, after its journeys, one row per
/// channel with conversion id [`RESIDUAL`] and empty user, times and index, holding the credit
/// no journey carries; so summed per model and channel, `credit` and `value` give the model's
/// aggregate credit exactly. Null journeys have no row. Returns the number of rows written.
///
/// # Errors
/// [`Error::Io`] when writing fails; the scorer's errors for an invalid journey.
pub fn write_per_touch<W: Write>(
    models: &[FittedModel],
    journeys: &[Journey],
    out: W,
) -> Result<u64> {
    let mut w = csv::Writer::from_writer(out);
    let io = |e: csv::Error| Error::Io(e.into());
    w.write_record(PER_TOUCH_COLUMNS).map_err(io)?;
    let time = |t: Option<chrono::DateTime<chrono::Utc>>| {
        t.map(|t| t.to_rfc3339_opts(SecondsFormat::AutoSi, true))
            .unwrap_or_default()
    };
    let mut rows = 0u64;
    for model in models {
        let mut scorer = model.scorer();
        for j in journeys.iter().filter(|j| j.outcome.conversions > 0.0) {
            let credit = scorer.credit(j)?;
            let conversion_time = time(j.converted_at);
            for (i, (touch, c)) in j.touches.iter().zip(credit).enumerate() {
                w.write_record([
                    model.name(),
                    j.user_id.as_deref().unwrap_or(""),
                    j.conversion_id.as_deref().unwrap_or(""),
                    &conversion_time,
                    &(i + 1).to_string(),
                    &time(touch.at),
                    &touch.channel,
                    // Shortest text that reads back to the same f64.
                    &c.conversions.to_string(),
                    &c.value.to_string(),
                ])
                .map_err(io)?;
                rows += 1;
            }
        }
        for r in model.residual() {
            w.write_record([
                model.name(),
                "",
                RESIDUAL,
                "",
                "",
                "",
                &r.channel,
                &r.conversions.to_string(),
                &r.value.to_string(),
            ])
            .map_err(io)?;
            rows += 1;
        }
    }
    w.flush()?;
    Ok(rows)
}
