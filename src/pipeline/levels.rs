//! The key level of a run and its roll-up (see [`crate::levels`]).

use crate::attribution::Attribution;
use crate::error::{Error, Result};
use crate::levels::{KeyLevels, mark_direct, max_share_difference};
use crate::model::AttributionModel;
use crate::table::PathTable;

use super::{Input, Loaded};

/// At which level of the touch keys a run happens, and whether its credit is rolled up to a
/// coarser level.
///
/// ```
/// use touchpoint::levels::KeyLevels;
/// use touchpoint::pipeline::{Input, LevelRun, Pipeline, RunConfig, load};
/// let csv = "path,total_conversions,total_null\n\
///            Paid Search/brand > Email/nl,2,1\n\
///            Paid Search/generic > Paid Search/brand,1,3\n";
/// let levels = KeyLevels::default();
/// let mut run = LevelRun::new(levels.clone());
/// run.rollup = Some(levels.depth("channel")?);
/// let mut config = RunConfig::new(["linear"]);
/// config.levels = Some(run);
/// let loaded = load(Input::PathReader { reader: Box::new(csv.as_bytes()), options: Default::default() })?;
/// let report = Pipeline::new(config)?.run(&loaded.table, &mut ())?;
/// let linear = &report.results[0];
/// assert_eq!(linear.conversions("Paid Search"), 2.0); // 2 × 1/2 + 1
/// assert_eq!(linear.extras["basis"], "rollup");
/// # Ok::<(), touchpoint::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct LevelRun {
    /// The levels and their separator.
    pub levels: KeyLevels,
    /// The depth models run at (1 = the coarsest level). `None`: path tables as written; event
    /// logs at the channel level, or at the finest level when `rollup` is set
    /// ([`LevelRun::prepare_input`] decides).
    pub level: Option<usize>,
    /// Sum each model's credit to this (coarser) depth; results are then keyed exactly as a
    /// run at that level.
    pub rollup: Option<usize>,
    /// With a roll-up, also run every model directly at the roll-up level and report both
    /// (the direct results are named `<model> (direct)`, with `basis: "direct"`).
    pub compare_direct: bool,
}

impl LevelRun {
    /// A run at the levels' default depth, no roll-up.
    pub fn new(levels: KeyLevels) -> LevelRun {
        LevelRun {
            levels,
            level: None,
            rollup: None,
            compare_direct: false,
        }
    }

    /// Checks the levels and depths.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for invalid levels, a depth outside `1..=levels`, a roll-up
    /// that is not coarser than the run's level, or `compare_direct` without a roll-up.
    pub fn validate(&self) -> Result<()> {
        self.levels.validate()?;
        let n = self.levels.names.len();
        let bad = |name: &'static str, reason: String| {
            Err(Error::InvalidParameter {
                model: "levels",
                name,
                reason,
            })
        };
        for (name, d) in [("level", self.level), ("rollup", self.rollup)] {
            if let Some(d) = d
                && !(1..=n).contains(&d)
            {
                return bad(name, format!("depth {d} is not in 1..={n}"));
            }
        }
        if let (Some(level), Some(rollup)) = (self.level, self.rollup)
            && rollup >= level
        {
            return bad(
                "rollup",
                format!(
                    "a roll-up goes to a coarser level: `{}` is not coarser than `{}`",
                    self.levels.name(rollup),
                    self.levels.name(level)
                ),
            );
        }
        if self.compare_direct && self.rollup.is_none() {
            return bad("compare_direct", "needs a roll-up level".into());
        }
        Ok(())
    }

    /// Sets up an event-log input to build keys down to the run's level (the key columns and
    /// separator of its [`EventOptions`](crate::events::EventOptions)) and fixes
    /// [`LevelRun::level`] for it; a path-table input is left as it is (see
    /// [`LevelRun::project`]).
    pub fn prepare_input(&mut self, input: &mut Input) {
        let read = match input {
            Input::EventFile { read, .. } | Input::EventReader { read, .. } => read,
            Input::PathFile { .. } | Input::PathReader { .. } => return,
        };
        let depth = self.level.unwrap_or(if self.rollup.is_some() {
            self.levels.names.len()
        } else {
            1
        });
        self.level = Some(depth);
        read.key_columns = self.levels.key_columns(depth);
        read.key_separator = self.levels.separator;
    }

    /// Cuts a loaded path table's keys to the run's level (when one is set; an event log read
    /// after [`LevelRun::prepare_input`] is already at it, and cutting again changes nothing).
    ///
    /// # Errors
    /// As [`KeyLevels::project`].
    pub fn project(&self, loaded: &mut Loaded) -> Result<()> {
        if let (Some(depth), Some(_)) = (self.level, loaded.report.paths()) {
            loaded.table = self.levels.project(&loaded.table, depth)?;
        }
        Ok(())
    }

    /// The results of a run at this level: marked with their level, rolled up when asked,
    /// then with the direct results at the roll-up level after them when asked.
    pub(super) fn finish(
        &self,
        results: Vec<Attribution>,
        models: &[&dyn AttributionModel],
        table: &PathTable,
    ) -> Result<(Vec<Attribution>, Vec<Attribution>)> {
        let mark = |mut a: Attribution| {
            if let Some(level) = self.level {
                mark_direct(&mut a, self.levels.name(level));
            }
            a
        };
        let Some(to) = self.rollup else {
            return Ok((results.into_iter().map(mark).collect(), Vec::new()));
        };
        let mut rolled = Vec::with_capacity(results.len());
        for (a, m) in results.into_iter().zip(models) {
            let mut r = self.levels.rollup(&mark(a), to)?;
            r.extras
                .insert("additive".into(), m.additive_over_levels().into());
            rolled.push(r);
        }
        let mut direct = Vec::new();
        if self.compare_direct {
            let coarse = self.levels.project(table, to)?;
            for (m, r) in models.iter().zip(&mut rolled) {
                let mut d = m.attribute(&coarse)?;
                mark_direct(&mut d, self.levels.name(to));
                d.model = format!("{} (direct)", r.model);
                r.extras.insert(
                    "direct_max_share_difference".into(),
                    max_share_difference(r, &d).into(),
                );
                direct.push(d);
            }
        }
        Ok((rolled, direct))
    }
}
