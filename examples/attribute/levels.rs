//! The key-level options of `attribute` (`--levels`, `--level`, `--rollup`, `--rollup-compare`,
//! `--level-separator`), mapped to the library's [`LevelRun`].

use clap::Args;
use touchpoint::levels::{KeyLevels, SEPARATOR};
use touchpoint::pipeline::LevelRun;

/// Touch keys with levels (`channel > campaign > ad`): see the model reference, §Levels and
/// roll-ups.
#[derive(Args, Debug, Clone)]
#[command(next_help_heading = "LEVELS")]
pub struct LevelArgs {
    /// Names of the key levels, coarsest first (default channel,campaign). For event logs the
    /// names after the first are the columns the levels are read from; in a path table a
    /// level is written after the separator inside a path element (`Paid Search/brand_q4`).
    #[arg(long, value_name = "LIST")]
    pub levels: Option<String>,
    /// Run the models at this level (event logs: default channel, or the finest level with
    /// --rollup; path tables: default the keys as written).
    #[arg(long, value_name = "LEVEL")]
    pub level: Option<String>,
    /// Sum each model's credit to this coarser level; the output is keyed exactly as a run at
    /// that level, and each model says whether it is additive over levels.
    #[arg(long, value_name = "LEVEL")]
    pub rollup: Option<String>,
    /// With --rollup: also run every model directly at the roll-up level and report both
    /// (`<model> (direct)`), with the largest share difference.
    #[arg(long)]
    pub rollup_compare: bool,
    /// The separator between levels inside a key (default /).
    #[arg(long, value_name = "CHAR")]
    pub level_separator: Option<char>,
}

impl LevelArgs {
    /// The level run the options ask for; `None` when no level option was given (the keys are
    /// used as the input has them, as before levels existed).
    pub fn run(&self) -> Result<Option<LevelRun>, touchpoint::Error> {
        if self.levels.is_none()
            && self.level.is_none()
            && self.rollup.is_none()
            && !self.rollup_compare
            && self.level_separator.is_none()
        {
            return Ok(None);
        }
        let defaults = KeyLevels::default();
        let names: Vec<String> = match &self.levels {
            Some(list) => list.split(',').map(|n| n.trim().to_string()).collect(),
            None => defaults.names,
        };
        let levels = KeyLevels::new(names, self.level_separator.unwrap_or(SEPARATOR))?;
        let mut run = LevelRun::new(levels);
        run.level = self
            .level
            .as_deref()
            .map(|l| run.levels.depth(l))
            .transpose()?;
        run.rollup = self
            .rollup
            .as_deref()
            .map(|l| run.levels.depth(l))
            .transpose()?;
        run.compare_direct = self.rollup_compare;
        run.validate()?;
        Ok(Some(run))
    }
}
