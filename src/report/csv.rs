//! The long CSV and the wide (channel × model) pivot CSV.

use std::io::Write;

use super::{channel_names, io_err};
use crate::attribution::{Attribution, INTERVAL_COLUMNS, LONG_COLUMNS};
use crate::error::Result;
use crate::spend::{ChannelSpend, SPEND_COLUMNS, SPEND_INTERVAL_COLUMNS};

/// Writes the long CSV: a header `model,channel,conversions,value,share,value_share`, then one
/// row per model and channel (models in the given order, channels sorted by name).
///
/// # Errors
/// [`Error::Io`](crate::Error::Io) when writing fails.
pub fn write_csv<W: Write>(out: W, results: &[Attribution]) -> Result<()> {
    let mut w = csv::Writer::from_writer(out);
    let intervals = results
        .iter()
        .any(|a| a.channels.iter().any(|c| c.ci.is_some()));
    let mut header = LONG_COLUMNS.to_vec();
    if intervals {
        header.extend(INTERVAL_COLUMNS);
    }
    let spend = crate::spend::has_spend(results);
    if spend {
        header.extend(SPEND_COLUMNS);
        if intervals {
            header.extend(SPEND_INTERVAL_COLUMNS);
        }
    }
    w.write_record(&header).map_err(io_err)?;
    let mut record: Vec<String> = Vec::with_capacity(header.len());
    for a in results {
        for c in &a.channels {
            record.clear();
            record.extend([
                a.model.clone(),
                c.channel.clone(),
                c.conversions.to_string(),
                c.value.to_string(),
                c.share.to_string(),
                c.value_share.to_string(),
            ]);
            if intervals {
                match (&c.ci, &c.se) {
                    (Some(ci), Some(se)) => record.extend(
                        [
                            ci.conversions[0],
                            ci.conversions[1],
                            ci.value[0],
                            ci.value[1],
                            ci.share[0],
                            ci.share[1],
                            se.conversions,
                            se.value,
                            se.share,
                        ]
                        .map(|x| x.to_string()),
                    ),
                    _ => record.extend(std::iter::repeat_n(String::new(), 9)),
                }
            }
            if spend {
                record.extend(ChannelSpend::csv_cells(c.spend.as_ref(), intervals));
            }
            w.write_record(&record).map_err(io_err)?;
        }
    }
    w.flush()?;
    Ok(())
}

/// Writes the wide pivot CSV: one row per channel (sorted by name), for each model (in the given
/// order) the columns `<model>_conversions,<model>_value`:
/// `channel,first_touch_conversions,first_touch_value,linear_conversions,linear_value`. A channel
/// a model does not report has empty cells. Intervals are not pivoted (use the long CSV).
///
/// # Errors
/// [`Error::Io`](crate::Error::Io) when writing fails.
pub fn write_wide<W: Write>(out: W, results: &[Attribution]) -> Result<()> {
    let columns: Vec<(String, String)> = results
        .iter()
        .map(|a| {
            (
                format!("{}_conversions", a.model),
                format!("{}_value", a.model),
            )
        })
        .collect();
    let header = std::iter::once("channel".to_string())
        .chain(columns.into_iter().flat_map(|(c, v)| [c, v]))
        .collect::<Vec<_>>();
    write_pivot(out, &header, results, true)
}

/// Writes one row per channel: the name, then for each result its conversions and (when
/// `value`) its value, under `header`.
pub(super) fn write_pivot<W: Write>(
    out: W,
    header: &[String],
    results: &[Attribution],
    value: bool,
) -> Result<()> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record(header).map_err(io_err)?;
    let mut record: Vec<String> = Vec::with_capacity(header.len());
    for name in channel_names(results) {
        record.clear();
        record.push(name.to_string());
        for a in results {
            match a.get(name) {
                Some(c) => {
                    record.push(c.conversions.to_string());
                    if value {
                        record.push(c.value.to_string());
                    }
                }
                None => record.extend(std::iter::repeat_n(String::new(), 1 + usize::from(value))),
            }
        }
        w.write_record(&record).map_err(io_err)?;
    }
    w.flush()?;
    Ok(())
}
