//! Hierarchical touch keys: `channel > campaign > ad`, and roll-ups from a finer level to a
//! coarser one.
//!
//! A touch key is one string whose levels are joined by a separator ([`SEPARATOR`], `/`):
//! `Paid Search/brand_q4/ad7` is channel `Paid Search`, campaign `brand_q4`, ad `ad7`.
//!
//! - **Path tables** write it inside a path element: `Paid Search/brand_q4 > Email/nl_12`.
//!   A key may have fewer levels than others (`Direct` beside `Paid Search/brand_q4`); it then
//!   stays as it is at every finer level.
//! - **Event logs** build it from columns: the channel (a column, or source/medium rules), then
//!   the columns of [`EventOptions::key_columns`](crate::events::EventOptions::key_columns)
//!   (for the default levels, `campaign`). An empty cell is `(not set)`; a value that contains
//!   the separator is a bad row, since its levels could not be told apart.
//!
//! [`KeyLevels`] names the levels (default `channel`, `campaign`). A run at a level sees each
//! key cut to that many levels ([`KeyLevels::project`]); a **roll-up** sums credit computed at
//! a finer level to a coarser one ([`KeyLevels::rollup`]), keyed exactly as a run at the
//! coarser level.
//!
//! # Which models add up
//!
//! A model is **additive over levels** when the roll-up of its credit at a fine level equals
//! its credit at the coarse level ([`AttributionModel::additive_over_levels`]). Models that
//! credit each touch by its position or time alone are: `first_touch`, `last_touch`,
//! `linear`, `position_based`, `j_curve`, `inverse_j`, `w_shaped`, `time_decay`. The others
//! are not, because cutting keys changes what they see: two campaigns of one channel become
//! one channel, so distinct channels, runs of repeats, channel sets and Markov states merge.
//! The model reference, §Levels and roll-ups, gives the differences measured on the bundled
//! sample data.
//!
//! ```
//! use touchpoint::levels::KeyLevels;
//! use touchpoint::{AttributionModel, Linear, LinearMode, Outcome, PathTable};
//! let mut t = PathTable::new();
//! t.add(["Paid Search/brand", "Email/nl", "Paid Search/generic"], Outcome::new(3.0, 30.0, 0.0))?;
//! let levels = KeyLevels::default();
//! let campaign = Linear::new(LinearMode::PerTouch).attribute(&t)?;
//! let rolled = levels.rollup(&campaign, levels.depth("channel")?)?;
//! let direct = Linear::new(LinearMode::PerTouch).attribute(&levels.project(&t, 1)?)?;
//! assert_eq!(rolled.conversions("Paid Search"), 2.0);
//! assert!((rolled.conversions("Paid Search") - direct.conversions("Paid Search")).abs() < 1e-12);
//! # Ok::<(), touchpoint::Error>(())
//! ```

use std::collections::BTreeMap;

use serde_json::Value;

use crate::attribution::{Attribution, ChannelCredit};
use crate::channel::ChannelId;
use crate::error::{Error, Result};
use crate::events::MAX_KEY_COLUMNS;
use crate::model::AttributionModel;
use crate::table::PathTable;

/// The default separator between the levels of a key.
pub const SEPARATOR: char = '/';

/// Most levels of a key: the channel and [`MAX_KEY_COLUMNS`] more.
pub const MAX_LEVELS: usize = 1 + MAX_KEY_COLUMNS;

/// The names of the levels of a touch key, coarsest first, and their separator.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct KeyLevels {
    /// Level names, coarsest first (default `channel`, `campaign`). For event logs, the names
    /// after the first are the columns the levels are read from.
    pub names: Vec<String>,
    /// The separator inside a key (default [`SEPARATOR`]).
    pub separator: char,
}

impl Default for KeyLevels {
    fn default() -> Self {
        KeyLevels {
            names: vec!["channel".into(), "campaign".into()],
            separator: SEPARATOR,
        }
    }
}

impl KeyLevels {
    /// Levels called `names` (coarsest first) with `separator`, validated.
    ///
    /// # Errors
    /// As [`KeyLevels::validate`].
    pub fn new<I, S>(names: I, separator: char) -> Result<KeyLevels>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let levels = KeyLevels {
            names: names.into_iter().map(Into::into).collect(),
            separator,
        };
        levels.validate()?;
        Ok(levels)
    }

    /// Checks the configuration.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for no level, more than [`MAX_LEVELS`], an empty or repeated
    /// name, or a separator that is whitespace, a control character, `>` (the path separator)
    /// or `"`.
    pub fn validate(&self) -> Result<()> {
        let bad = |reason: String| {
            Err(Error::InvalidParameter {
                model: "levels",
                name: "levels",
                reason,
            })
        };
        if self.names.is_empty() || self.names.len() > MAX_LEVELS {
            return bad(format!(
                "between 1 and {MAX_LEVELS} levels, got {}",
                self.names.len()
            ));
        }
        for (i, n) in self.names.iter().enumerate() {
            if n.trim().is_empty() {
                return bad("a level name is empty".into());
            }
            if self.names[..i].contains(n) {
                return bad(format!("level `{n}` is named twice"));
            }
        }
        check_separator(self.separator)
    }

    /// The depth of level `name` (1 for the coarsest).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming the levels when `name` is not one of them.
    pub fn depth(&self, name: &str) -> Result<usize> {
        match self.names.iter().position(|n| n == name) {
            Some(i) => Ok(i + 1),
            None => Err(Error::InvalidParameter {
                model: "levels",
                name: "level",
                reason: format!("unknown level `{name}` (levels: {})", self.names.join(", ")),
            }),
        }
    }

    /// The name of the level at `depth` (1-based; the finest level when `depth` is larger).
    pub fn name(&self, depth: usize) -> &str {
        let i = depth.clamp(1, self.names.len()) - 1;
        &self.names[i]
    }

    /// The event-log columns of the levels after the channel, down to `depth`: the
    /// [`EventOptions::key_columns`](crate::events::EventOptions::key_columns) of a run at that
    /// level.
    pub fn key_columns(&self, depth: usize) -> Vec<String> {
        self.names
            .iter()
            .take(depth.max(1))
            .skip(1)
            .cloned()
            .collect()
    }

    /// `key` cut to its first `depth` levels (the whole key when it has fewer).
    ///
    /// ```
    /// let levels = touchpoint::levels::KeyLevels::default();
    /// assert_eq!(levels.prefix("Paid Search/brand/ad7", 1), "Paid Search");
    /// assert_eq!(levels.prefix("Paid Search/brand/ad7", 2), "Paid Search/brand");
    /// assert_eq!(levels.prefix("Direct", 2), "Direct");
    /// ```
    pub fn prefix<'k>(&self, key: &'k str, depth: usize) -> &'k str {
        match key.match_indices(self.separator).nth(depth.max(1) - 1) {
            Some((at, _)) => &key[..at],
            None => key,
        }
    }

    /// The table with every key cut to its first `depth` levels: equal paths merge, timed rows
    /// keep their times, and the result is in canonical row order (as [`crate::pipeline::load`]
    /// leaves a table). Consecutive touches that become equal stay two touches, as an event log
    /// read at the coarser level would give them.
    ///
    /// Cost: O(touches) time, one new table.
    ///
    /// # Errors
    /// [`Error::InvalidPath`] if a cut key is empty (a key that starts with the separator);
    /// the errors of [`PathTable::add_ids`] on overflow.
    pub fn project(&self, table: &PathTable, depth: usize) -> Result<PathTable> {
        let mut out = PathTable::new();
        out.set_max_path_len(table.max_path_len());
        let remap: Vec<ChannelId> = table
            .channels()
            .iter()
            .map(|(_, name)| out.intern(self.prefix(name, depth)))
            .collect::<Result<_>>()?;
        let mut ids = Vec::new();
        for row in table.rows() {
            ids.clear();
            ids.extend(row.path.iter().map(|id| remap[id.index()]));
            match row.times {
                None => out.add_ids(&ids, row.outcome)?,
                Some(times) => {
                    let names = ids.iter().map(|&id| out.channels().name(id).to_string());
                    let names: Vec<String> = names.collect();
                    out.add_timed(&names, times, row.converted_at, row.outcome)?
                }
            };
        }
        out.canonicalize();
        Ok(out)
    }

    /// `a`'s credit summed to keys cut at `depth`: channels sorted by name, shares recomputed,
    /// and in `extras` `level` (the name of `depth`), `basis: "rollup"` and `rolled_up_from`
    /// (`a`'s `level`, when it has one). Intervals, standard errors and spend figures are dropped (they
    /// do not add up; bootstrap the rolled-up model, [`RolledUp`], for intervals); so are the
    /// model's other extras, which describe the finer keys.
    ///
    /// # Errors
    /// [`Error::Numerical`] if a sum is not finite.
    pub fn rollup(&self, a: &Attribution, depth: usize) -> Result<Attribution> {
        let mut sums: BTreeMap<&str, (f64, f64)> = BTreeMap::new();
        for c in &a.channels {
            let s = sums.entry(self.prefix(&c.channel, depth)).or_default();
            s.0 += c.conversions;
            s.1 += c.value;
        }
        let ratio = |x: f64, total: f64| if total > 0.0 { x / total } else { 0.0 };
        let mut channels = Vec::with_capacity(sums.len());
        for (name, (c, v)) in sums {
            if !(c.is_finite() && v.is_finite()) {
                return Err(Error::Numerical {
                    model: "levels",
                    reason: format!("{}: rolled-up credit of `{name}` is not finite", a.model),
                });
            }
            channels.push(ChannelCredit {
                channel: name.to_string(),
                conversions: c,
                value: v,
                share: ratio(c, a.total_conversions),
                value_share: ratio(v, a.total_value),
                ci: None,
                se: None,
                spend: None,
            });
        }
        let mut out = Attribution {
            model: a.model.clone(),
            channels,
            total_conversions: a.total_conversions,
            total_value: a.total_value,
            total_null: a.total_null,
            extras: Default::default(),
        };
        out.extras
            .insert("level".into(), Value::from(self.name(depth).to_string()));
        out.extras.insert("basis".into(), Value::from("rollup"));
        let finest = a.extras.get("level").and_then(Value::as_str);
        if let Some(from) = finest {
            out.extras
                .insert("rolled_up_from".into(), Value::from(from.to_string()));
        }
        Ok(out)
    }
}

/// Marks `a` as computed directly at level `name` (`extras`: `level`, `basis: "direct"`).
pub fn mark_direct(a: &mut Attribution, name: &str) {
    a.extras
        .insert("level".into(), Value::from(name.to_string()));
    a.extras.insert("basis".into(), Value::from("direct"));
}

/// A model whose credit is rolled up to a coarser level: it runs `model` on the table as given
/// (keys at a finer level) and sums its credit with [`KeyLevels::rollup`]. Bootstrapping it
/// gives intervals of the rolled-up credit.
#[derive(Debug)]
pub struct RolledUp<'m> {
    /// The model at the finer level.
    pub model: &'m dyn AttributionModel,
    /// The levels.
    pub levels: KeyLevels,
    /// The depth credit is summed to.
    pub depth: usize,
}

impl AttributionModel for RolledUp<'_> {
    fn name(&self) -> std::borrow::Cow<'static, str> {
        self.model.name()
    }

    /// The roll-up, with `additive` (the model's
    /// [`additive_over_levels`](AttributionModel::additive_over_levels)) in `extras`.
    fn attribute(&self, table: &PathTable) -> Result<Attribution> {
        let mut a = self
            .levels
            .rollup(&self.model.attribute(table)?, self.depth)?;
        a.extras
            .insert("additive".into(), self.model.additive_over_levels().into());
        Ok(a)
    }

    fn additive_over_levels(&self) -> bool {
        self.model.additive_over_levels()
    }
}

/// The largest difference of conversion share between two attributions of one model, over the
/// channels of either (a channel missing from one counts as 0 there).
pub fn max_share_difference(a: &Attribution, b: &Attribution) -> f64 {
    let mut shares: BTreeMap<&str, [f64; 2]> = BTreeMap::new();
    for (k, x) in [a, b].into_iter().enumerate() {
        for c in &x.channels {
            shares.entry(&c.channel).or_default()[k] = c.share;
        }
    }
    shares
        .values()
        .map(|[x, y]| (x - y).abs())
        .fold(0.0, f64::max)
}

/// A separator must not be whitespace, a control character, `>` or `"`.
pub(crate) fn check_separator(c: char) -> Result<()> {
    if c.is_whitespace() || c.is_control() || c == '>' || c == '"' {
        return Err(Error::InvalidParameter {
            model: "levels",
            name: "separator",
            reason: format!(
                "{c:?} cannot separate key levels (whitespace, control characters, `>` and `\"` \
                 are taken)"
            ),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::Outcome;

    #[test]
    fn levels_validate_and_name_depths() {
        let l = KeyLevels::default();
        assert_eq!(l.depth("channel").unwrap(), 1);
        assert_eq!(l.depth("campaign").unwrap(), 2);
        let e = l.depth("ad").unwrap_err().to_string();
        assert!(e.contains("unknown level `ad`") && e.contains("channel, campaign"));
        assert_eq!(l.key_columns(1), Vec::<String>::new());
        assert_eq!(l.key_columns(2), ["campaign"]);
        assert!(KeyLevels::new(["channel", "channel"], '/').is_err());
        assert!(KeyLevels::new(Vec::<String>::new(), '/').is_err());
        assert!(KeyLevels::new(["a", "b", "c", "d", "e"], '/').is_err());
        assert!(KeyLevels::new(["channel"], '>').is_err());
        assert!(KeyLevels::new(["channel"], ' ').is_err());
        assert!(KeyLevels::new(["channel", "campaign"], '|').is_ok());
    }

    #[test]
    fn projection_merges_paths_and_keeps_vocabulary_and_totals() {
        let mut t = PathTable::new();
        t.add(["A/x", "B/y"], Outcome::new(1.0, 10.0, 2.0)).unwrap();
        t.add(["A/z", "B/y"], Outcome::new(2.0, 5.0, 1.0)).unwrap();
        t.add(["C"], Outcome::new(0.0, 0.0, 4.0)).unwrap();
        let l = KeyLevels::default();
        let p = l.project(&t, 1).unwrap();
        assert_eq!(p.len(), 2);
        assert_eq!(p.totals(), t.totals());
        let mut names: Vec<&str> = p.channels().iter().map(|(_, n)| n).collect();
        names.sort_unstable();
        assert_eq!(names, ["A", "B", "C"]);
        let rows = p.to_named_rows();
        assert!(rows.contains(&(vec!["A", "B"], Outcome::new(3.0, 15.0, 3.0))));
        // Depth 2 keeps every key.
        assert_eq!(l.project(&t, 2).unwrap().len(), 3);
    }

    #[test]
    fn rollup_sums_by_prefix_and_says_so() {
        let mut t = PathTable::new();
        t.add(["A/x", "A/y", "B/y"], Outcome::new(3.0, 30.0, 0.0))
            .unwrap();
        let a = crate::Linear::new(crate::LinearMode::PerDistinct)
            .attribute(&t)
            .unwrap();
        let l = KeyLevels::default();
        let r = l.rollup(&a, 1).unwrap();
        assert_eq!(r.channels.len(), 2);
        assert_eq!(r.conversions("A"), 2.0);
        assert_eq!(r.value("B"), 10.0);
        assert!((r.channels[0].share - 2.0 / 3.0).abs() < 1e-15);
        assert_eq!(r.extras["basis"], "rollup");
        assert_eq!(r.extras["level"], "channel");
        // At the channel level linear_distinct sees {A, B}: 1.5 each.
        let direct = crate::Linear::new(crate::LinearMode::PerDistinct)
            .attribute(&l.project(&t, 1).unwrap())
            .unwrap();
        assert_eq!(direct.conversions("A"), 1.5);
        assert!((max_share_difference(&r, &direct) - (2.0 / 3.0 - 0.5)).abs() < 1e-15);
    }

    #[test]
    fn timed_rows_keep_their_times_when_projected() {
        let mut t = PathTable::new();
        t.add_timed(
            ["A/x", "B/y"],
            &[10, 20],
            Some(30),
            Outcome::new(1.0, 1.0, 0.0),
        )
        .unwrap();
        let p = KeyLevels::default().project(&t, 1).unwrap();
        let row = p.row(0);
        assert_eq!(row.times, Some(&[10, 20][..]));
        assert_eq!(row.converted_at, Some(30));
    }
}
