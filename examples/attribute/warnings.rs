//! Warnings about options no selected model reads and about the input.

use touchpoint::pipeline::{InputWarning, Loaded};
use touchpoint::registry::{Setting, entries};

use crate::Cli;
use crate::common::Failure;
use crate::values::HalfLife;

/// Warnings for options that no selected model reads (the readers come from the registry).
pub(crate) fn unused_option_warnings(cli: &Cli, models: &[String]) -> Vec<String> {
    let markov_options = cli.order.is_some()
        || cli.markov_value.is_some()
        || cli.markov_walks.is_some()
        || cli.markov_max_work.is_some()
        || cli.markov_max_walk_steps.is_some();
    let given = [
        (cli.weights.is_some(), Setting::Weights, "--weights applies"),
        (cli.direct.is_some(), Setting::Direct, "--direct applies"),
        // --transitions fits its own chain, so it needs no selected markov.
        (
            markov_options && cli.transitions.is_none(),
            Setting::Markov,
            "--order, --markov-value and --markov-walks apply",
        ),
        (
            cli.half_life.is_some(),
            Setting::HalfLife,
            "--half-life applies",
        ),
        (
            cli.shao_li_max_pairs.is_some(),
            Setting::ShaoLi,
            "--shao-li-max-pairs applies",
        ),
    ];
    let mut w = Vec::new();
    for (_, setting, flags) in given.into_iter().filter(|g| g.0) {
        let readers: Vec<&str> = entries()
            .iter()
            .filter(|e| e.reads(setting))
            .map(|e| e.name)
            .collect();
        if !readers.iter().any(|r| models.iter().any(|m| m == r)) {
            w.push(format!(
                "{flags} to {}, which {} not selected",
                readers.join(" and "),
                if readers.len() == 1 { "is" } else { "are" }
            ));
        }
    }
    w
}

/// Warnings about the input; an explicitly named optional column that is missing is an error.
pub(crate) fn input_warnings(
    cli: &Cli,
    file: &str,
    loaded: &Loaded,
) -> Result<Vec<String>, Failure> {
    let mut w = Vec::new();
    let defaults = touchpoint::formats::PathCsvOptions::default();
    let column = |given: &Option<String>, default: &Option<String>| {
        given.clone().or(default.clone()).unwrap_or_default()
    };
    for warning in loaded.warnings() {
        let (explicit, column, what) = match warning {
            InputWarning::NoValueColumn => (
                cli.csv.value_col.is_some(),
                column(&cli.csv.value_col, &defaults.value_column),
                "conversion values are 0",
            ),
            InputWarning::NoNullColumn => (
                cli.csv.null_col.is_some(),
                column(&cli.csv.null_col, &defaults.null_column),
                "no non-converting journeys (Markov models would see P(conversion) = 1)",
            ),
            InputWarning::SkippedRows { count, first } => {
                let shown = first.len().min(5);
                let listed = if shown < count as usize {
                    format!(" (first {shown} listed)")
                } else {
                    String::new()
                };
                w.push(format!("{file}: skipped {count} bad rows{listed}"));
                for (at, problem) in &first[..shown] {
                    w.push(format!("{file}:{}: {problem}", at.line));
                }
                continue;
            }
            _ => continue,
        };
        if explicit {
            return Err(format!("{file}:1: missing column `{column}` in the header").into());
        }
        w.push(format!("{file}: no `{column}` column: {what}"));
    }
    if let Some(HalfLife::Time(_, h)) = &cli.half_life
        && !loaded.table.has_times()
    {
        w.push(format!(
            "--half-life {h}: a duration applies to timestamped rows; {file} has none, so \
             time_decay uses the half-life in touches (give a plain number to set it)"
        ));
    }
    Ok(w)
}
