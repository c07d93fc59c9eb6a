//! A whole attribution run as typed values: input → table → models → optional bootstrap →
//! [`RunReport`]. The `attribute` and `compare` examples are thin shells around it; a service
//! calls the same stages.
//!
//! 1. [`Pipeline::new`] builds the models by name from the [registry](crate::registry), so an
//!    unknown name or a bad parameter fails before any input is read.
//! 2. [`load`] reads an [`Input`] (path table CSV or Parquet, event log CSV, JSON Lines or
//!    Parquet) into a [`Loaded`] table with the reader's [`InputReport`].
//! 3. [`Pipeline::run`] fits every model once (the Markov chain too: its fit gives both the
//!    `markov` results and, when asked, the transition matrix), then bootstraps each model
//!    when a [`Bootstrap`] is configured, and returns the [`RunReport`].
//!
//! ```
//! use touchpoint::pipeline::{Input, Pipeline, RunConfig, load};
//! let csv = "path,total_conversions,total_conversion_value,total_null\n\
//!            A > B,2,20,1\n\
//!            B,1,5,3\n";
//! let mut config = RunConfig::new(["linear", "markov"]);
//! config.transitions = true;
//! let pipeline = Pipeline::new(config)?;
//! let loaded = load(Input::PathReader {
//!     reader: Box::new(csv.as_bytes()),
//!     options: Default::default(),
//! })?;
//! let report = pipeline.run(&loaded.table, &mut ())?;
//! assert_eq!(report.results[0].conversions("B"), 2.0); // 2 × 1/2 + 1
//! assert!(report.markov.as_ref().is_some_and(|m| !m.transitions.is_empty()));
//! # Ok::<(), touchpoint::Error>(())
//! ```

use std::collections::BTreeMap;

use crate::attribution::Attribution;
use crate::bootstrap::{Bootstrap, Intervals};
use crate::error::Result;
use crate::fit::FittedModel;
use crate::levels::RolledUp;
use crate::model::dda::quality::markov_fit_quality;
use crate::model::{AttributionModel, MarkovFit, Transition};
use crate::registry::{Entry, ModelOptions, Setting, lookup, model_names};
use crate::report::{BootstrapSummary, Summary};
use crate::table::PathTable;

mod input;
mod levels;

pub use input::{Input, InputReport, InputWarning, Loaded, load, load_with_journeys};
pub use levels::LevelRun;

/// What to run: the models by registry name, their options, the bootstrap.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct RunConfig {
    /// Registry names, in report order (see [`crate::registry::TABLE_MODELS`]).
    pub models: Vec<String>,
    /// Options of the models.
    pub options: ModelOptions,
    /// Keep the Markov fit (with its transition matrix) in the report, fitting the chain of
    /// [`ModelOptions::markov`] when `markov` is not among the models.
    pub transitions: bool,
    /// Confidence intervals for every model.
    pub bootstrap: Option<Bootstrap>,
    /// Fit every model for per-journey credit ([`RunReport::fitted`]); table-level models then
    /// also calibrate their channel weights (see [`crate::fit`]).
    pub per_journey: bool,
    /// The key level of the run and its roll-up (see [`crate::levels`]); `None` runs on the
    /// keys as the table has them.
    pub levels: Option<LevelRun>,
}

impl RunConfig {
    /// The models called `names`, with default options, no transitions and no bootstrap.
    pub fn new<I, S>(names: I) -> RunConfig
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        RunConfig {
            models: names.into_iter().map(Into::into).collect(),
            options: ModelOptions::default(),
            transitions: false,
            bootstrap: None,
            per_journey: false,
            levels: None,
        }
    }

    /// The models of a comma-separated list (`all` for every model; see
    /// [`crate::registry::model_names`]).
    ///
    /// # Errors
    /// As [`crate::registry::model_names`].
    pub fn from_list(list: &str) -> Result<RunConfig> {
        Ok(RunConfig::new(model_names(list)?))
    }
}

/// One step of a run, for progress display ([`Observer`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Step<'a> {
    /// Fitting a model on the table.
    Model(&'a str),
    /// Bootstrapping a model.
    Bootstrap {
        /// The model.
        model: &'a str,
        /// Replicates drawn.
        replicates: usize,
    },
    /// Fitting the Markov chain for its transition matrix alone.
    Transitions,
}

/// Watches a run: [`Observer::start`] before each step, [`Observer::done`] after it.
/// `()` watches nothing.
pub trait Observer {
    /// A step starts.
    fn start(&mut self, step: Step<'_>) {
        let _ = step;
    }
    /// The step that started last is done.
    fn done(&mut self) {}
}

impl Observer for () {}

/// The Markov chain of a run, fitted once.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct MarkovRun {
    /// The fit: chain, removal effects, selected order.
    pub fit: MarkovFit,
    /// Its transition matrix, states `(start)`, `(conversion)`, `(null)` included.
    pub transitions: Vec<Transition>,
}

/// What a run produced.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct RunReport {
    /// Per model (in the configured order), its results; with a bootstrap, every channel
    /// carries its interval (`ci`) and standard error (`se`).
    pub results: Vec<Attribution>,
    /// Per model, the bootstrap intervals (empty without a bootstrap).
    pub intervals: Vec<Intervals>,
    /// The Markov fit, when `markov` ran or transitions were asked for.
    pub markov: Option<MarkovRun>,
    /// Per model (in the configured order), the fitted model that credits single journeys,
    /// when [`RunConfig::per_journey`] is set (empty otherwise).
    pub fitted: Vec<FittedModel>,
    /// The bootstrap configuration and its degenerate replicates, when one ran.
    pub bootstrap: Option<BootstrapSummary>,
}

impl RunReport {
    /// The `summary` object of the JSON report: `input` named `name`, read as `loaded`.
    pub fn summary(&self, name: &str, loaded: &Loaded) -> Summary {
        let mut s = match &loaded.report {
            InputReport::Paths(read) => Summary::from_read(name, read, &loaded.table),
            InputReport::Events(events) => {
                let mut s = Summary::from_table(name, &loaded.table);
                s.rows_read = events.read.rows;
                s.rows_skipped = events.read.skipped;
                s.events = Some(events.clone());
                s
            }
        };
        s.bootstrap = self.bootstrap.clone();
        s
    }
}

/// Models built from a [`RunConfig`], ready to run on any number of tables.
#[derive(Debug)]
pub struct Pipeline {
    models: Vec<(&'static Entry, Box<dyn AttributionModel>)>,
    options: ModelOptions,
    transitions: bool,
    bootstrap: Option<Bootstrap>,
    per_journey: bool,
    levels: Option<LevelRun>,
}

impl Pipeline {
    /// Builds every model of `config` (and checks the bootstrap configuration).
    ///
    /// # Errors
    /// [`crate::Error::InvalidParameter`] for an unknown model name or options a model
    /// refuses, or an invalid bootstrap configuration.
    pub fn new(config: RunConfig) -> Result<Pipeline> {
        let models = config
            .models
            .iter()
            .map(|name| {
                let e = lookup(name)?;
                Ok((e, e.build(&config.options)?))
            })
            .collect::<Result<Vec<_>>>()?;
        if let Some(b) = &config.bootstrap {
            b.validate()?;
        }
        if config.transitions {
            config.options.markov.validate()?;
        }
        if let Some(l) = &config.levels {
            l.validate()?;
        }
        Ok(Pipeline {
            models,
            options: config.options,
            transitions: config.transitions,
            bootstrap: config.bootstrap,
            per_journey: config.per_journey,
            levels: config.levels,
        })
    }

    /// The registry names of the models, in order.
    pub fn model_names(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.models.iter().map(|(e, _)| e.name)
    }

    /// Per model (registry name, in order), whether it is additive over key levels
    /// ([`AttributionModel::additive_over_levels`]).
    pub fn additivity(&self) -> impl Iterator<Item = (&'static str, bool)> + '_ {
        self.models
            .iter()
            .map(|(e, m)| (e.name, m.additive_over_levels()))
    }

    /// Steps [`Pipeline::run`] reports to its observer (models, then bootstraps).
    pub fn steps(&self) -> usize {
        self.models.len() * if self.bootstrap.is_some() { 2 } else { 1 }
    }

    /// Runs every model on `table`, each fitted once, then the bootstrap.
    ///
    /// # Errors
    /// The first model error ([`crate::Error::NoConversions`], …); the bootstrap's errors.
    pub fn run(&self, table: &PathTable, observer: &mut dyn Observer) -> Result<RunReport> {
        let mut markov = None;
        let mut results = Vec::with_capacity(self.models.len());
        let mut fitted = Vec::new();
        for (e, model) in &self.models {
            observer.start(Step::Model(e.name));
            let a = if e.reads(Setting::Markov) && markov.is_none() {
                // The registry builds `markov` from `options.markov`: fit it here once and keep
                // the fit for its transitions.
                let fit = self.options.markov.fit(table)?;
                let mut a = fit.attribution(table)?;
                a.model = e.name.to_string();
                // Held-out AUC and log-loss at the fitted order, on the conversion models' split.
                let collapse = self.options.markov.collapse_repeats;
                if let Some(q) = markov_fit_quality(table, fit.order(), collapse) {
                    a = a.with_extra("fit", q);
                }
                markov = Some(fit);
                if self.per_journey {
                    fitted.push(FittedModel::calibrated(a.clone(), table)?);
                }
                a
            } else if self.per_journey {
                let f = model.fit(table)?;
                let a = f.attribution().clone();
                fitted.push(f);
                a
            } else {
                model.attribute(table)?
            };
            observer.done();
            results.push(a);
        }
        let markov = match markov {
            Some(fit) => Some(fit),
            None if self.transitions => {
                observer.start(Step::Transitions);
                let fit = self.options.markov.fit(table)?;
                observer.done();
                Some(fit)
            }
            None => None,
        }
        .map(|fit| MarkovRun {
            transitions: fit.transitions(),
            fit,
        });
        let (mut results, direct) = match &self.levels {
            Some(l) => {
                let models: Vec<&dyn AttributionModel> =
                    self.models.iter().map(|(_, m)| m.as_ref()).collect();
                l.finish(results, &models, table)?
            }
            None => (results, Vec::new()),
        };
        let mut intervals = Vec::new();
        let mut bootstrap = None;
        if let Some(boot) = &self.bootstrap {
            let mut degenerate = BTreeMap::new();
            for ((_, model), result) in self.models.iter().zip(results.iter_mut()) {
                observer.start(Step::Bootstrap {
                    model: &result.model,
                    replicates: boot.replicates,
                });
                let rollup = self.levels.as_ref().and_then(|l| Some((l, l.rollup?)));
                let ci = match rollup {
                    Some((l, depth)) => {
                        let rolled = RolledUp {
                            model: model.as_ref(),
                            levels: l.levels.clone(),
                            depth,
                        };
                        boot.run(&rolled, table)?
                    }
                    None => boot.run(model.as_ref(), table)?,
                };
                observer.done();
                ci.annotate(result);
                degenerate.insert(result.model.clone(), ci.degenerate);
                intervals.push(ci);
            }
            bootstrap = Some(BootstrapSummary::new(boot, degenerate));
        }
        results.extend(direct);
        Ok(RunReport {
            results,
            intervals,
            markov,
            fitted,
            bootstrap,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::t2;
    use crate::model::Markov;

    /// Counts the steps it sees.
    #[derive(Default)]
    struct Count {
        started: Vec<String>,
        done: usize,
    }

    impl Observer for Count {
        fn start(&mut self, step: Step<'_>) {
            self.started.push(format!("{step:?}"));
        }
        fn done(&mut self) {
            self.done += 1;
        }
    }

    #[test]
    fn every_model_once_and_markov_shares_its_fit() {
        let t = t2();
        let mut config = RunConfig::from_list("linear,markov").unwrap();
        config.transitions = true;
        let p = Pipeline::new(config).unwrap();
        let mut seen = Count::default();
        let r = p.run(&t, &mut seen).unwrap();
        assert_eq!(seen.started, ["Model(\"linear\")", "Model(\"markov\")"]);
        assert_eq!(seen.done, 2);
        assert_eq!(r.results[0].model, "linear");
        // Linear per touch on T2: A = 25/12.
        assert!((r.results[0].conversions("A") - 25.0 / 12.0).abs() < 1e-12);
        // The pipeline's markov is the direct attribution plus its held-out fit quality.
        let quality = markov_fit_quality(&t, 1, false).unwrap();
        let direct = Markov::default()
            .attribute(&t)
            .unwrap()
            .with_extra("fit", quality);
        assert_eq!(r.results[1], direct);
        let m = r.markov.unwrap();
        assert_eq!(
            m.transitions,
            Markov::default().fit(&t).unwrap().transitions()
        );
        assert!(r.bootstrap.is_none() && r.intervals.is_empty());
    }

    #[test]
    fn transitions_alone_fit_the_chain_as_one_step() {
        let t = t2();
        let mut config = RunConfig::new(["first_touch"]);
        config.transitions = true;
        config.options.markov = Markov::with_order(2);
        let mut seen = Count::default();
        let r = Pipeline::new(config).unwrap().run(&t, &mut seen).unwrap();
        assert_eq!(seen.started, ["Model(\"first_touch\")", "Transitions"]);
        assert_eq!(r.markov.unwrap().fit.order(), 2);
        // Without transitions and without markov: no fit.
        let r = Pipeline::new(RunConfig::new(["first_touch"]))
            .unwrap()
            .run(&t, &mut ())
            .unwrap();
        assert!(r.markov.is_none());
    }

    #[test]
    fn bootstrap_annotates_every_model_and_reports_itself() {
        let t = t2();
        let mut config = RunConfig::new(["first_touch", "linear"]);
        config.bootstrap = Some(Bootstrap {
            replicates: 20,
            ..Bootstrap::default()
        });
        let p = Pipeline::new(config).unwrap();
        assert_eq!(p.steps(), 4);
        let r = p.run(&t, &mut ()).unwrap();
        assert_eq!(r.intervals.len(), 2);
        assert!(
            r.results
                .iter()
                .all(|a| a.channels.iter().all(|c| c.ci.is_some()))
        );
        let b = r.bootstrap.unwrap();
        assert_eq!(b.replicates, 20);
        assert_eq!(
            b.degenerate_replicates.keys().collect::<Vec<_>>(),
            ["first_touch", "linear"]
        );
    }

    #[test]
    fn bad_names_and_options_fail_before_any_input() {
        assert!(Pipeline::new(RunConfig::new(["nope"])).is_err());
        let mut config = RunConfig::new(["linear"]);
        config.bootstrap = Some(Bootstrap {
            replicates: 1,
            ..Bootstrap::default()
        });
        assert!(Pipeline::new(config).is_err());
        let mut config = RunConfig::new(["linear"]);
        config.transitions = true;
        config.options.markov = Markov::with_order(0);
        assert!(Pipeline::new(config).is_err());
    }

    #[test]
    fn input_stages_read_paths_and_events() {
        let csv = "path,total_conversions\nA > B,1\nA >> B,1\n";
        let loaded = load(Input::PathReader {
            reader: Box::new(csv.as_bytes()),
            options: crate::formats::PathCsvOptions {
                bad_rows: crate::formats::BadRows::Skip,
                ..Default::default()
            },
        })
        .unwrap();
        assert_eq!((loaded.report.rows(), loaded.report.skipped()), (1, 1));
        let w = loaded.warnings();
        assert_eq!(
            w[..2],
            [InputWarning::NoValueColumn, InputWarning::NoNullColumn]
        );
        assert!(
            matches!(&w[2], InputWarning::SkippedRows { count: 1, first } if first[0].0.line == 3)
        );
        let log = "user_id,timestamp,channel,conversion,value\n\
                   a,2024-05-01T00:00:00Z,Display,,\n\
                   a,2024-05-08T00:00:00Z,,1,30\n";
        let loaded = load(Input::EventReader {
            reader: Box::new(log.as_bytes()),
            read: Default::default(),
            journeys: Default::default(),
        })
        .unwrap();
        assert_eq!(
            loaded.report.events().unwrap().journeys.converting_journeys,
            1
        );
        assert!(loaded.warnings().is_empty());
        let r = Pipeline::new(RunConfig::new(["last_touch"]))
            .unwrap()
            .run(&loaded.table, &mut ())
            .unwrap();
        let s = r.summary("log.csv", &loaded);
        assert_eq!((s.rows_read, s.paths), (2, 1));
        assert!(s.events.is_some() && s.bootstrap.is_none());
    }
}
