//! The files `attribute` writes beside its main output: the Markov transition matrix, and the
//! SVG charts of the `plot` feature.

use std::fs::File;
use std::io::BufWriter;

use touchpoint::{Attribution, Transition};

use crate::common::Failure;

/// Writes the Markov transition matrix as CSV (ChannelAttribution's column names with
/// `--compat`).
pub fn write_transitions(compat: bool, rows: &[Transition], path: &str) -> Result<(), Failure> {
    let io = |e: std::io::Error| Failure::Message(format!("{path}: {e}"));
    let mut w = csv::Writer::from_writer(BufWriter::new(File::create(path).map_err(io)?));
    let header = if compat {
        ["channel_from", "channel_to", "transition_probability"]
    } else {
        ["from", "to", "probability"]
    };
    let csv = |e: csv::Error| Failure::Message(format!("{path}: {e}"));
    w.write_record(header).map_err(csv)?;
    for t in rows {
        w.write_record([t.from.as_str(), t.to.as_str(), &t.probability.to_string()])
            .map_err(csv)?;
    }
    w.flush().map_err(io)
}

/// Draws the results as an SVG bar chart (feature `plot`).
#[cfg(feature = "plot")]
pub fn write_svg(path: &str, results: &[Attribution]) -> Result<(), Failure> {
    let svg = touchpoint::plot::grouped_bars_svg(results, touchpoint::plot::Metric::Conversions)?;
    std::fs::write(path, svg).map_err(|e| Failure::Message(format!("{path}: {e}")))
}

/// Draws the Markov transition matrix as an SVG heatmap (feature `plot`).
#[cfg(feature = "plot")]
pub fn write_heatmap(path: &str, rows: &[Transition]) -> Result<(), Failure> {
    let cells: Vec<(String, String, f64)> = rows
        .iter()
        .map(|t| (t.from.clone(), t.to.clone(), t.probability))
        .collect();
    let svg = touchpoint::plot::heatmap_svg(&cells)?;
    std::fs::write(path, svg).map_err(|e| Failure::Message(format!("{path}: {e}")))
}

// Without the feature `run` refuses --svg and --heatmap before reading: never called.
#[cfg(not(feature = "plot"))]
pub fn write_svg(_: &str, _: &[Attribution]) -> Result<(), Failure> {
    Ok(())
}

#[cfg(not(feature = "plot"))]
pub fn write_heatmap(_: &str, _: &[Transition]) -> Result<(), Failure> {
    Ok(())
}
