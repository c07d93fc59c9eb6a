//! The Markdown pipe table of results.

use std::io::Write;

use super::channel_names;
use super::layout::{md_row, md_rule};
use super::table::Group;
use crate::attribution::Attribution;
use crate::error::Result;

/// Writes a Markdown pipe table: channels as rows (then a `total` row), for each model the
/// columns `<model> conversions`, `<model> share`, `<model> value` and, when the model has
/// intervals, `<model> low`, `<model> high` (of conversions). Numbers with 2 decimals, shares as
/// percentages; `|` in names is escaped. For reading: the layout may change.
///
/// # Errors
/// [`Error::Io`](crate::Error::Io) when writing fails.
pub fn write_markdown<W: Write>(mut out: W, results: &[Attribution]) -> Result<()> {
    let names = channel_names(results);
    let groups: Vec<Group> = results.iter().map(|a| Group::new(a, &names)).collect();
    let header = groups
        .iter()
        .flat_map(|g| g.headers.iter().map(|h| format!("{} {h}", g.model)));
    writeln!(
        out,
        "{}",
        md_row(std::iter::once("channel".to_string()).chain(header))
    )?;
    let numeric: usize = groups.iter().map(|g| g.headers.len()).sum();
    writeln!(out, "{}", md_rule(numeric))?;
    let labels = names
        .iter()
        .map(|n| n.to_string())
        .chain(["**total**".into()]);
    for (r, label) in labels.enumerate() {
        let cells = groups.iter().flat_map(|g| g.cells[r].iter().cloned());
        writeln!(out, "{}", md_row(std::iter::once(label).chain(cells)))?;
    }
    out.flush()?;
    Ok(())
}
