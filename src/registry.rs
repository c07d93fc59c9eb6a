//! Models by name: the names the `attribute` example accepts, and one function that builds any
//! of them from a shared set of options.
//!
//! ```
//! use touchpoint::registry::{ModelOptions, TABLE_MODELS, build_model};
//! use touchpoint::{Outcome, PathTable};
//! let mut t = PathTable::new();
//! t.add(["Search", "Email"], Outcome::converted(2.0, 20.0))?;
//! let opts = ModelOptions::default();
//! for name in TABLE_MODELS {
//!     let a = build_model(name, &opts)?.attribute(&t)?;
//!     assert_eq!(a.model, *name);
//! }
//! assert!(build_model("no_such_model", &opts).is_err());
//! # Ok::<(), touchpoint::Error>(())
//! ```

use std::borrow::Cow;

use chrono::TimeDelta;
use serde::{Deserialize, Serialize};

use crate::attribution::Attribution;
use crate::error::{Error, Result};
use crate::fit::FittedModel;
use crate::model::{
    AdditiveHazard, AttributionModel, Dda, FirstTouch, LastNonDirect, LastTouch, Linear,
    LinearMode, Logistic, Markov, Order, Participation, PositionBased, ShaoLi, Shapley,
    ShapleyGlobal, ShapleyOrdered, ShapleyRate, TimeDecay, WShaped,
};
use crate::table::PathTable;

/// A group of [`ModelOptions`] fields: what an [`Entry`] reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Setting {
    /// [`ModelOptions::direct`].
    Direct,
    /// [`ModelOptions::weights`].
    Weights,
    /// [`ModelOptions::half_life`] and [`ModelOptions::positional_half_life`].
    HalfLife,
    /// [`ModelOptions::markov`].
    Markov,
    /// [`ModelOptions::seed`].
    Seed,
    /// [`ModelOptions::shao_li`].
    ShaoLi,
}

/// ChannelAttribution's output columns for one of its models (see
/// [`crate::report::write_channelattribution`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct ChannelAttributionColumns {
    /// The conversions column when the input has a value column.
    pub conversions: &'static str,
    /// The value column.
    pub value: &'static str,
    /// The conversions column when the input has no value column.
    pub conversions_only: &'static str,
}

/// One model of the registry: its name, what it is, which options it reads and how it is built.
///
/// ```
/// use touchpoint::registry::{ModelOptions, Setting, entries, entry};
/// assert_eq!(entries()[0].name, "first_touch");
/// let td = entry("time_decay").unwrap();
/// assert_eq!(td.reads, &[Setting::HalfLife]);
/// assert_eq!(td.build(&ModelOptions::default())?.name(), "time_decay");
/// # Ok::<(), touchpoint::Error>(())
/// ```
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub struct Entry {
    /// The name [`build_model`] accepts and the model's results carry.
    pub name: &'static str,
    /// One line saying what the model credits.
    pub description: &'static str,
    /// The [`ModelOptions`] fields the model reads (it ignores the others).
    pub reads: &'static [Setting],
    /// ChannelAttribution's columns for this model, if ChannelAttribution has it.
    pub channelattribution: Option<ChannelAttributionColumns>,
    /// Part of `all` ([`TABLE_MODELS`], [`entries`]). The fitted conversion models
    /// ([`CONVERSION_MODELS`]) are not: they fit a model first (seconds on large tables), and
    /// `additive_hazard` refuses untimed tables.
    pub in_all: bool,
    /// The model refuses tables with untimed rows ([`Error::NeedsTimestamps`]): it needs an
    /// event log.
    pub needs_timestamps: bool,
    builder: fn(&ModelOptions) -> Result<Box<dyn AttributionModel>>,
}

impl Entry {
    /// Builds the model configured by `opts`; its results carry [`Entry::name`].
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for options the model refuses (weights that do not sum to 1,
    /// a half-life ≤ 0, …).
    pub fn build(&self, opts: &ModelOptions) -> Result<Box<dyn AttributionModel>> {
        let model = (self.builder)(opts)?;
        Ok(if model.name() == self.name {
            model
        } else {
            Box::new(Named {
                name: self.name,
                model,
            })
        })
    }

    /// Does the model read `setting`?
    pub fn reads(&self, setting: Setting) -> bool {
        self.reads.contains(&setting)
    }
}

/// A table entry (shorthand for the list below).
const fn entry_of(
    name: &'static str,
    description: &'static str,
    reads: &'static [Setting],
    builder: fn(&ModelOptions) -> Result<Box<dyn AttributionModel>>,
) -> Entry {
    Entry {
        name,
        description,
        reads,
        channelattribution: None,
        in_all: true,
        needs_timestamps: false,
        builder,
    }
}

/// A fitted conversion model's entry: not part of `all`.
const fn conversion(mut e: Entry, needs_timestamps: bool) -> Entry {
    e.in_all = false;
    e.needs_timestamps = needs_timestamps;
    e
}

/// An entry with ChannelAttribution columns.
const fn with_ca(
    mut e: Entry,
    conversions: &'static str,
    value: &'static str,
    only: &'static str,
) -> Entry {
    e.channelattribution = Some(ChannelAttributionColumns {
        conversions,
        value,
        conversions_only: only,
    });
    e
}

/// Boxes a model that needs no options.
fn boxed<M: AttributionModel + 'static>(m: M) -> Result<Box<dyn AttributionModel>> {
    Ok(Box::new(m))
}

/// Entries of `all`: the first [`IN_ALL`] of [`ENTRIES`].
const IN_ALL: usize = 19;

/// The registry, in report order: every model that runs on any path table (the first
/// [`IN_ALL`], `all`), then the fitted conversion models.
const ENTRIES: [Entry; IN_ALL + 3] = [
    with_ca(
        entry_of("first_touch", "all credit to the first touch", &[], |_| {
            boxed(FirstTouch)
        }),
        "first_touch_conversions",
        "first_touch_value",
        "first_touch",
    ),
    with_ca(
        entry_of("last_touch", "all credit to the last touch", &[], |_| {
            boxed(LastTouch)
        }),
        "last_touch_conversions",
        "last_touch_value",
        "last_touch",
    ),
    entry_of(
        "last_non_direct",
        "all credit to the last touch on a channel that is not direct",
        &[Setting::Direct],
        |o| boxed(LastNonDirect::new(o.direct.iter().cloned())),
    ),
    with_ca(
        entry_of("linear", "equal credit to every touch", &[], |_| {
            boxed(Linear::new(LinearMode::PerTouch))
        }),
        "linear_touch_conversions",
        "linear_touch_value",
        "linear_touch",
    ),
    entry_of(
        "linear_distinct",
        "equal credit to every distinct channel of the path",
        &[],
        |_| boxed(Linear::new(LinearMode::PerDistinct)),
    ),
    entry_of(
        "linear_run",
        "equal credit to every run of repeated touches",
        &[],
        |_| boxed(Linear::new(LinearMode::PerRun)),
    ),
    entry_of(
        "position_based",
        "first, middle and last touches by weights (default 40/20/40)",
        &[Setting::Weights],
        |o| {
            let m = match o.weights {
                Some((f, m, l)) => PositionBased::new(f, m, l),
                None => PositionBased::u_shaped(),
            };
            m.validate()?;
            boxed(m)
        },
    ),
    entry_of(
        "j_curve",
        "position-based 20/20/60 (most credit to the last touch)",
        &[],
        |_| boxed(PositionBased::j_curve()),
    ),
    entry_of(
        "inverse_j",
        "position-based 60/20/20 (most credit to the first touch)",
        &[],
        |_| boxed(PositionBased::inverse_j()),
    ),
    entry_of(
        "w_shaped",
        "first, middle and last touches 30/30/30, the other touches share 10",
        &[],
        |_| boxed(WShaped::default()),
    ),
    entry_of(
        "participation",
        "full credit to every channel of the path (sums exceed the total)",
        &[],
        |_| boxed(Participation::raw()),
    ),
    entry_of(
        "participation_normalized",
        "participation scaled so that credits sum to the conversions",
        &[],
        |_| boxed(Participation::normalized()),
    ),
    entry_of(
        "time_decay",
        "credit halves per half-life (touches or time) before the conversion",
        &[Setting::HalfLife],
        |o| {
            let m = TimeDecay {
                half_life: o.half_life,
                positional_half_life: o.positional_half_life,
            };
            m.validate()?;
            boxed(m)
        },
    ),
    with_ca(
        entry_of(
            "markov",
            "removal effects of a Markov chain over the paths (any order)",
            &[Setting::Markov],
            |o| {
                o.markov.validate()?;
                boxed(o.markov)
            },
        ),
        "total_conversions",
        "total_conversion_value",
        "total_conversions",
    ),
    entry_of(
        "shapley",
        "simplified Shapley value: conversions split among distinct channels",
        &[],
        |_| boxed(Shapley),
    ),
    entry_of(
        "shapley_rate",
        "Shapley value of the conversion rate over the observed channel sets",
        &[Setting::Seed],
        |o| {
            let mut m = ShapleyRate::default();
            m.seed = o.seed.unwrap_or(m.seed);
            boxed(m)
        },
    ),
    entry_of(
        "shapley_global",
        "Shapley value of the conversion rate over every channel subset",
        &[Setting::Seed],
        |o| {
            let mut m = ShapleyGlobal::default();
            m.seed = o.seed.unwrap_or(m.seed);
            boxed(m)
        },
    ),
    entry_of(
        "shapley_ordered",
        "simplified Shapley value spread over each channel's positions",
        &[],
        |_| boxed(ShapleyOrdered::default()),
    ),
    entry_of(
        "shao_li",
        "Shao and Li's probabilistic model (first- and second-order rates)",
        &[Setting::ShaoLi],
        |o| boxed(o.shao_li),
    ),
    conversion(
        entry_of(
            "logistic",
            "logistic conversion model credited by expected removal effects (fit: held-out AUC)",
            &[],
            |_| boxed(Logistic::default()),
        ),
        false,
    ),
    conversion(
        entry_of(
            "dda",
            "Shapley value of each converting journey under the logistic conversion model",
            &[],
            |_| boxed(Dda::default()),
        ),
        false,
    ),
    conversion(
        entry_of(
            "additive_hazard",
            "additive hazard of decaying touches (needs timestamps: an event log)",
            &[],
            |_| boxed(AdditiveHazard::default()),
        ),
        true,
    ),
];

/// Every model of `all`, in the order the `attribute` example reports them (`--models all`):
/// the models that run on any path table. The fitted conversion models are in
/// [`conversion_entries`].
pub fn entries() -> &'static [Entry] {
    &ENTRIES[..IN_ALL]
}

/// The fitted conversion models (`logistic`, `dda`, `additive_hazard`): named explicitly, never
/// part of `all`.
///
/// ```
/// use touchpoint::registry::{ModelOptions, build_model, conversion_entries};
/// let names: Vec<&str> = conversion_entries().iter().map(|e| e.name).collect();
/// assert_eq!(names, ["logistic", "dda", "additive_hazard"]);
/// assert!(conversion_entries()[2].needs_timestamps);
/// assert_eq!(build_model("dda", &ModelOptions::default())?.name(), "dda");
/// # Ok::<(), touchpoint::Error>(())
/// ```
pub fn conversion_entries() -> &'static [Entry] {
    &ENTRIES[IN_ALL..]
}

/// The registry entry called `name` (of `all` or a conversion model), if there is one.
pub fn entry(name: &str) -> Option<&'static Entry> {
    ENTRIES.iter().find(|e| e.name == name)
}

/// The names of [`ENTRIES`], in order (a const copy for [`TABLE_MODELS`] and
/// [`CONVERSION_MODELS`]).
const NAMES: [&str; ENTRIES.len()] = {
    let mut names = [""; ENTRIES.len()];
    let mut i = 0;
    while i < ENTRIES.len() {
        names[i] = ENTRIES[i].name;
        i += 1;
    }
    names
};

/// Every model that runs on a path table, by the name [`build_model`] accepts, in the order the
/// `attribute` example reports them (`--models all`): the names of [`entries`].
pub const TABLE_MODELS: &[&str] = NAMES.split_at(IN_ALL).0;

/// The fitted conversion models by name (the names of [`conversion_entries`]): accepted by
/// [`build_model`] and in model lists, not part of `all`.
pub const CONVERSION_MODELS: &[&str] = NAMES.split_at(IN_ALL).1;

/// Options shared by the models of the registry. Each model reads the fields that concern it
/// ([`Entry::reads`]) and ignores the others; the defaults are each model's own defaults.
///
/// New fields may be added (the struct is `#[non_exhaustive]`): start from
/// `ModelOptions::default()` and set fields.
///
/// ```
/// use touchpoint::registry::ModelOptions;
/// use touchpoint::Order;
/// let mut opts = ModelOptions::default();
/// opts.weights = Some((0.3, 0.4, 0.3));
/// opts.direct = vec!["Direct".into(), "Type-in".into()];
/// opts.markov.order = Order::Fixed(2);
/// ```
///
/// Serialized options of earlier versions (with a separate `order` field beside `markov`)
/// still deserialize: the `order` field sets `markov.order`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(from = "ModelOptionsWire")]
#[non_exhaustive]
pub struct ModelOptions {
    /// Channel names treated as direct by `last_non_direct` (default `Direct`, `(direct)`,
    /// `direct`).
    pub direct: Vec<String>,
    /// (first, middle, last) weights of `position_based` (default 40/20/40). The presets
    /// `j_curve` and `inverse_j` keep their weights.
    pub weights: Option<(f64, f64, f64)>,
    /// Half-life of `time_decay` in touches, on rows without timestamps (default 1).
    pub positional_half_life: f64,
    /// Half-life of `time_decay` on rows with timestamps (default 7 days).
    pub half_life: TimeDelta,
    /// The `markov` configuration: order (default 1; `Order::auto()` selects it by held-out
    /// AUC), value mode, solver, collapsing.
    pub markov: Markov,
    /// Seed of the sampled models (`shapley_rate` and `shapley_global` beyond their exact
    /// limits); `None` keeps each model's default seed.
    pub seed: Option<u64>,
    /// The `shao_li` configuration (its pair-work limit).
    pub shao_li: ShaoLi,
}

/// [`ModelOptions`] as serialized, now and by earlier versions (`order` beside an optional
/// `markov`).
#[derive(Deserialize)]
struct ModelOptionsWire {
    direct: Vec<String>,
    weights: Option<(f64, f64, f64)>,
    positional_half_life: f64,
    half_life: TimeDelta,
    #[serde(default)]
    order: Option<Order>,
    #[serde(default)]
    markov: Option<Markov>,
    seed: Option<u64>,
    #[serde(default)]
    shao_li: ShaoLi,
}

impl From<ModelOptionsWire> for ModelOptions {
    fn from(w: ModelOptionsWire) -> Self {
        let mut markov = w.markov.unwrap_or_default();
        if let Some(order) = w.order {
            markov.order = order;
        }
        ModelOptions {
            direct: w.direct,
            weights: w.weights,
            positional_half_life: w.positional_half_life,
            half_life: w.half_life,
            markov,
            seed: w.seed,
            shao_li: w.shao_li,
        }
    }
}

impl Default for ModelOptions {
    fn default() -> Self {
        let decay = TimeDecay::default();
        ModelOptions {
            direct: LastNonDirect::default().direct,
            weights: None,
            positional_half_life: decay.positional_half_life,
            half_life: decay.half_life,
            markov: Markov::default(),
            seed: None,
            shao_li: ShaoLi::default(),
        }
    }
}

/// Builds the model called `name` (one of [`TABLE_MODELS`]) configured by `opts`.
///
/// The model's results carry `name` as their model name, whatever the parameters (for example
/// `position_based` with weights 20/20/60 is still reported as `position_based`).
///
/// # Errors
/// [`Error::Unknown`] for an unknown name (the message lists the valid ones);
/// [`Error::InvalidParameter`] for options the model refuses (weights that do not sum to 1, a half-life ≤ 0, …).
pub fn build_model(name: &str, opts: &ModelOptions) -> Result<Box<dyn AttributionModel>> {
    lookup(name)?.build(opts)
}

/// The registry entry called `name`.
///
/// # Errors
/// [`Error::Unknown`] for an unknown name (the message lists the valid ones).
pub fn lookup(name: &str) -> Result<&'static Entry> {
    entry(name).ok_or_else(|| Error::Unknown {
        what: "model",
        name: name.to_string(),
        valid: NAMES.join(", "),
    })
}

/// Builds every model of a comma-separated list, or all of [`TABLE_MODELS`] for `all`.
/// Blanks around names are ignored; a name listed twice runs once.
///
/// # Errors
/// As [`build_model`]; also [`Error::ModelList`] for an empty list or an empty name.
pub fn build_models(list: &str, opts: &ModelOptions) -> Result<Vec<Box<dyn AttributionModel>>> {
    model_names(list)?
        .iter()
        .map(|name| build_model(name, opts))
        .collect()
}

/// The names a comma-separated model list stands for (`all` = [`TABLE_MODELS`]), in order,
/// without repeats. Names are not checked here ([`build_model`] does).
///
/// # Errors
/// [`Error::ModelList`] for an empty list or an empty name (`a,,b`).
pub fn model_names(list: &str) -> Result<Vec<String>> {
    let bad = |position| Error::ModelList {
        list: list.to_string(),
        position,
    };
    if list.trim() == "all" {
        return Ok(TABLE_MODELS.iter().map(|s| s.to_string()).collect());
    }
    if list.trim().is_empty() {
        return Err(bad(None));
    }
    let mut names: Vec<String> = Vec::new();
    for (i, name) in list.split(',').map(str::trim).enumerate() {
        if name.is_empty() {
            return Err(bad(Some(i + 1)));
        }
        if !names.iter().any(|n| n == name) {
            names.push(name.to_string());
        }
    }
    Ok(names)
}

/// A model reported under its registry name.
#[derive(Debug)]
struct Named {
    name: &'static str,
    model: Box<dyn AttributionModel>,
}

impl AttributionModel for Named {
    fn name(&self) -> Cow<'static, str> {
        self.name.into()
    }

    fn attribute(&self, table: &PathTable) -> Result<Attribution> {
        let mut a = self.model.attribute(table)?;
        a.model = self.name.to_string();
        Ok(a)
    }

    /// The wrapped model's own fit (a rule stays a rule), under the registry name.
    fn fit(&self, table: &PathTable) -> Result<FittedModel> {
        Ok(self.model.fit(table)?.renamed(self.name))
    }

    fn additive_over_levels(&self) -> bool {
        self.model.additive_over_levels()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::fixtures::t2;

    #[test]
    fn every_table_model_builds_and_reports_its_registry_name() {
        let t = t2();
        for name in TABLE_MODELS {
            let m = build_model(name, &ModelOptions::default()).unwrap();
            assert_eq!(m.name(), *name);
            assert_eq!(m.attribute(&t).unwrap().model, *name);
        }
    }

    #[test]
    fn entries_are_the_table_models_with_what_they_read() {
        assert_eq!(entries().len(), TABLE_MODELS.len());
        for (e, name) in entries().iter().zip(TABLE_MODELS) {
            assert_eq!(e.name, *name);
            assert!(!e.description.is_empty() && !e.description.contains('\n'));
        }
        let readers = |s: Setting| -> Vec<&str> {
            entries()
                .iter()
                .filter(|e| e.reads(s))
                .map(|e| e.name)
                .collect()
        };
        assert_eq!(readers(Setting::Weights), ["position_based"]);
        assert_eq!(readers(Setting::Direct), ["last_non_direct"]);
        assert_eq!(readers(Setting::HalfLife), ["time_decay"]);
        assert_eq!(readers(Setting::Markov), ["markov"]);
        assert_eq!(readers(Setting::Seed), ["shapley_rate", "shapley_global"]);
        assert_eq!(readers(Setting::ShaoLi), ["shao_li"]);
        let ca: Vec<&str> = entries()
            .iter()
            .filter(|e| e.channelattribution.is_some())
            .map(|e| e.name)
            .collect();
        assert_eq!(ca, ["first_touch", "last_touch", "linear", "markov"]);
    }

    #[test]
    fn markov_options_hold_the_order_once_and_old_json_still_reads() {
        let t = t2();
        let mut opts = ModelOptions::default();
        opts.markov.order = Order::Fixed(2);
        let m = build_model("markov", &opts).unwrap().attribute(&t).unwrap();
        // T2 at order 2, value-weighted: A 63/29 conversions (the model reference, §Markov
        // worked examples).
        assert!((m.conversions("A") - 63.0 / 29.0).abs() < 1e-9);
        let json = serde_json::to_value(&opts).unwrap();
        assert!(json.get("order").is_none());
        let back: ModelOptions = serde_json::from_value(json.clone()).unwrap();
        assert_eq!(back, opts);
        // The earlier shape: `order` beside an optional `markov`; `order` wins.
        let mut old = json;
        old["order"] = serde_json::to_value(Order::Fixed(3)).unwrap();
        old["markov"] = serde_json::Value::Null;
        let back: ModelOptions = serde_json::from_value(old.clone()).unwrap();
        assert_eq!(back.markov, Markov::with_order(3));
        old["markov"] = serde_json::to_value(opts.markov).unwrap();
        let back: ModelOptions = serde_json::from_value(old).unwrap();
        assert_eq!(back.markov.order, Order::Fixed(3));
    }

    #[test]
    fn names_are_unique() {
        for (i, a) in TABLE_MODELS.iter().enumerate() {
            assert!(!TABLE_MODELS[..i].contains(a), "{a} listed twice");
        }
        for (i, a) in NAMES.iter().enumerate() {
            assert!(!NAMES[..i].contains(a), "{a} listed twice");
        }
    }

    #[test]
    fn conversion_models_build_by_name_but_are_not_in_all() {
        assert_eq!(CONVERSION_MODELS, ["logistic", "dda", "additive_hazard"]);
        assert_eq!(TABLE_MODELS.len() + CONVERSION_MODELS.len(), ENTRIES.len());
        assert!(entries().iter().all(|e| e.in_all && !e.needs_timestamps));
        assert!(conversion_entries().iter().all(|e| !e.in_all));
        assert!(!model_names("all").unwrap().iter().any(|n| n == "dda"));
        let t = t2();
        for name in ["logistic", "dda"] {
            let m = build_model(name, &ModelOptions::default()).unwrap();
            let a = m.attribute(&t).unwrap();
            assert_eq!(a.model, name);
            assert!((a.credited_conversions() - t.totals().conversions).abs() < 1e-9);
        }
        // additive_hazard refuses an untimed table with a typed error naming the rows.
        let e = build_model("additive_hazard", &ModelOptions::default())
            .unwrap()
            .attribute(&t)
            .unwrap_err();
        assert!(
            matches!(e, Error::NeedsTimestamps { untimed_rows, rows, .. } if untimed_rows == rows && rows == t.len()),
            "{e}"
        );
        assert!(entry("additive_hazard").unwrap().needs_timestamps);
        // The unknown-name message lists them too.
        let msg = build_model("dd", &ModelOptions::default())
            .unwrap_err()
            .to_string();
        assert!(msg.contains("additive_hazard"), "{msg}");
    }

    #[test]
    fn unknown_model_lists_the_valid_names() {
        let e = build_model("linaer", &ModelOptions::default()).unwrap_err();
        let msg = e.to_string();
        assert!(msg.contains("unknown model `linaer`"), "{msg}");
        assert!(
            msg.contains("first_touch") && msg.contains("time_decay"),
            "{msg}"
        );
    }

    #[test]
    fn weights_apply_to_position_based_only() {
        let t = t2();
        let opts = ModelOptions {
            weights: Some((0.2, 0.2, 0.6)),
            ..ModelOptions::default()
        };
        // With J-curve weights position_based equals j_curve (the model reference, §Rule-based
        // results on T2: A 43/20, C 51/20)
        // but keeps its name.
        let pb = build_model("position_based", &opts)
            .unwrap()
            .attribute(&t)
            .unwrap();
        assert_eq!(pb.model, "position_based");
        assert!((pb.conversions("A") - 43.0 / 20.0).abs() < 1e-12);
        assert!((pb.conversions("C") - 51.0 / 20.0).abs() < 1e-12);
        // inverse_j keeps its preset: A 49/20.
        let ij = build_model("inverse_j", &opts)
            .unwrap()
            .attribute(&t)
            .unwrap();
        assert!((ij.conversions("A") - 49.0 / 20.0).abs() < 1e-12);
    }

    #[test]
    fn bad_weights_are_refused_when_building() {
        let mut opts = ModelOptions {
            weights: Some((0.5, 0.5, 0.5)),
            ..ModelOptions::default()
        };
        assert!(matches!(
            build_model("position_based", &opts),
            Err(Error::InvalidParameter { .. })
        ));
        opts.weights = Some((f64::NAN, 0.5, 0.5));
        assert!(build_model("position_based", &opts).is_err());
    }

    #[test]
    fn bad_half_life_is_refused_when_building() {
        let opts = ModelOptions {
            positional_half_life: 0.0,
            ..ModelOptions::default()
        };
        assert!(build_model("time_decay", &opts).is_err());
        let opts = ModelOptions {
            half_life: TimeDelta::zero(),
            ..ModelOptions::default()
        };
        assert!(build_model("time_decay", &opts).is_err());
    }

    #[test]
    fn direct_channels_configure_last_non_direct() {
        // T2 with D = {C}: rows ending in C credit the last non-C touch instead.
        // A>B>C → B (2), A>A>B → B (1), B → B (1), C>A → A (1), B>C>B>A → A (1), C → C (1).
        let t = t2();
        let opts = ModelOptions {
            direct: vec!["C".into()],
            ..ModelOptions::default()
        };
        let a = build_model("last_non_direct", &opts)
            .unwrap()
            .attribute(&t)
            .unwrap();
        assert_eq!(a.conversions("A"), 2.0);
        assert_eq!(a.conversions("B"), 4.0);
        assert_eq!(a.conversions("C"), 1.0);
    }

    #[test]
    fn model_lists() {
        assert_eq!(model_names("all").unwrap().len(), TABLE_MODELS.len());
        assert_eq!(
            model_names(" linear , first_touch,linear").unwrap(),
            vec!["linear", "first_touch"]
        );
        assert!(model_names("").is_err());
        assert!(model_names("linear,,first_touch").is_err());
        let ms = build_models("linear,w_shaped", &ModelOptions::default()).unwrap();
        assert_eq!(ms.len(), 2);
        assert!(build_models("linear,nope", &ModelOptions::default()).is_err());
    }
}
