//! The fitted conversion models in the crate-wide fit abstraction ([`crate::fit`]): one way to
//! split any journey, used by [`FittedModel::credit_table`](crate::fit::FittedModel) and the
//! [`Scorer`](crate::fit::Scorer).

use std::hash::{Hash, Hasher};

use rustc_hash::FxHasher;

use super::credit::ChannelLookup;
use super::features::{Prepared, Summary};
use super::game::GameScratch;
use super::hazard_ctx::{Ctx, Layout};
use crate::attribution::Attribution;
use crate::error::{Error, Result};
use crate::fit::{ChannelResidual, TouchCredit};
use crate::journey::Journey;
use crate::table::{PathTable, micros};

/// Buffers for splitting one journey, reused across journeys: once it has seen the traffic's
/// path lengths, splitting a journey allocates nothing (checked by the counting-allocator test
/// of the scorers).
#[derive(Clone, Debug, Default)]
pub(crate) struct JourneyScratch {
    /// The journey's channels as indices of the fitted vocabulary.
    ids: Vec<Option<u32>>,
    times: Vec<i64>,
    frac: Vec<f64>,
    /// Logistic and dda: the journey's distinct channels, a slot per fitted channel (all
    /// `u32::MAX` between calls), the per-journey coefficient tables and the game's buffers.
    pub summary: Summary,
    pub slot: Vec<u32>,
    pub prep: Prepared,
    pub game: GameScratch,
    /// Additive hazard: the parameter vector and layout, touch features and log-hazards, and
    /// the instants of an untimed fit's touches.
    pub theta: Vec<f64>,
    pub layout: Layout,
    pub ctx: Ctx,
    pub levels: Vec<Option<f64>>,
    pub zeros: Vec<i64>,
}

/// A fitted model that splits one journey into per-touch fractions.
pub(crate) trait JourneySplit {
    /// The model's name, for errors.
    const MODEL: &'static str;
    /// The fitted vocabulary.
    fn lookup(&self) -> &ChannelLookup;
    /// The seed of the journey's Shapley sampling, mixed with its content; `None` when the
    /// split does not sample.
    fn sampling_seed(&self) -> Option<u64> {
        None
    }
    /// Fractions of the journey's conversion per touch into `out` (as long as its `ids`).
    fn split(
        &self,
        journey: &JourneyIds<'_>,
        scratch: &mut JourneyScratch,
        out: &mut [f64],
    ) -> Result<()>;
}

/// One journey as a fit sees it.
pub(crate) struct JourneyIds<'a> {
    /// The channels as fitted indices (`None`: unknown to the fit).
    pub ids: &'a [Option<u32>],
    /// Touch times, checked to be as long as `ids`.
    pub times: Option<&'a [i64]>,
    /// The conversion's instant, when known.
    pub converted_at: Option<i64>,
    /// The sampling seed mixed with the journey's content (0 when the split does not sample).
    pub seed: u64,
}

/// Splits a journey given by channel names into `out` (one fraction per touch): the lengths
/// are checked, names are looked up in the fit's vocabulary, and the sampling seed is mixed
/// with the journey's content exactly as for a table row (so a fitted row gets the same split
/// either way).
pub(crate) fn split_names<'a, F: JourneySplit>(
    fit: &F,
    names: impl Iterator<Item = &'a str> + Clone,
    times: Option<&[i64]>,
    converted_at: Option<i64>,
    scratch: &mut JourneyScratch,
    out: &mut [f64],
) -> Result<()> {
    let mut ids = std::mem::take(&mut scratch.ids);
    ids.clear();
    ids.extend(names.clone().map(|n| fit.lookup().get(n)));
    let result = if out.len() != ids.len() || times.is_some_and(|t| t.len() != ids.len()) {
        Err(Error::InvalidParameter {
            model: F::MODEL,
            name: "out",
            reason: format!(
                "{} output slots and {} timestamps for a journey of {} touches",
                out.len(),
                times.map_or(0, <[i64]>::len),
                ids.len()
            ),
        })
    } else if ids.is_empty() {
        Ok(())
    } else {
        let seed = fit.sampling_seed().map_or(0, |seed| {
            let mut h = FxHasher::default();
            seed.hash(&mut h);
            for n in names {
                n.hash(&mut h);
            }
            times.hash(&mut h);
            converted_at.hash(&mut h);
            h.finish()
        });
        let journey = JourneyIds {
            ids: &ids,
            times,
            converted_at,
            seed,
        };
        fit.split(&journey, scratch, out)
    };
    scratch.ids = ids;
    result
}

/// [`split_names`] with fresh buffers, for the fits' public `touch_shares`.
pub(crate) fn touch_shares<F: JourneySplit>(
    fit: &F,
    path: &[&str],
    times: Option<&[i64]>,
    out: &mut [f64],
) -> Result<()> {
    let mut scratch = JourneyScratch::default();
    split_names(fit, path.iter().copied(), times, None, &mut scratch, out)
}

/// Per-touch credit of every row of `table`, appended to `credit` (null rows get 0).
pub(crate) fn credit_rows<F: JourneySplit>(
    fit: &F,
    table: &PathTable,
    credit: &mut Vec<TouchCredit>,
) -> Result<()> {
    let mut scratch = JourneyScratch::default();
    let mut frac = Vec::new();
    for row in table.rows() {
        frac.clear();
        frac.resize(row.path.len(), 0.0);
        let o = row.outcome;
        if o.conversions > 0.0 {
            let names = row.path.iter().map(|&id| table.channels().name(id));
            split_names(
                fit,
                names,
                row.times,
                row.converted_at,
                &mut scratch,
                &mut frac,
            )?;
        }
        credit.extend(frac.iter().map(|&f| TouchCredit {
            conversions: o.conversions * f,
            value: o.value * f,
        }));
    }
    Ok(())
}

/// Credits one journey into `out` (one entry per touch; zero for a journey without
/// conversions), with `scratch`'s buffers.
pub(crate) fn credit_journey<F: JourneySplit>(
    fit: &F,
    journey: &Journey,
    scratch: &mut JourneyScratch,
    out: &mut [TouchCredit],
) -> Result<()> {
    let o = journey.outcome;
    if o.conversions <= 0.0 {
        return Ok(());
    }
    let names = journey.touches.iter().map(|t| t.channel.as_str());
    let mut times = std::mem::take(&mut scratch.times);
    let mut frac = std::mem::take(&mut scratch.frac);
    times.clear();
    let timed = journey.touches.iter().all(|t| t.at.is_some());
    if timed {
        times.extend(journey.touches.iter().filter_map(|t| t.at.map(micros)));
    }
    frac.clear();
    frac.resize(journey.touches.len(), 0.0);
    let conv = journey.converted_at.map(micros);
    let result = split_names(
        fit,
        names,
        timed.then_some(&times[..]),
        conv,
        scratch,
        &mut frac,
    );
    if result.is_ok() {
        for (c, f) in out.iter_mut().zip(&frac) {
            c.conversions = o.conversions * f;
            c.value = o.value * f;
        }
    }
    scratch.times = times;
    scratch.frac = frac;
    result
}

/// Per channel, what the per-journey split of `table` leaves of `attribution` (channels whose
/// difference exceeds 1e-9 of the totals).
pub(crate) fn residual<F: JourneySplit>(
    fit: &F,
    attribution: &Attribution,
    table: &PathTable,
) -> Result<Vec<ChannelResidual>> {
    let mut credit = Vec::with_capacity(table.touch_count());
    credit_rows(fit, table, &mut credit)?;
    let n = table.channels().len();
    let (mut conv, mut value) = (vec![0.0; n], vec![0.0; n]);
    let mut at = 0;
    for row in table.rows() {
        for &id in row.path {
            conv[id.index()] += credit[at].conversions;
            value[id.index()] += credit[at].value;
            at += 1;
        }
    }
    let (tc, tv) = (
        attribution.total_conversions.max(1e-300),
        attribution.total_value.max(1e-300),
    );
    let mut out = Vec::new();
    for c in &attribution.channels {
        let Some(id) = table.channels().get(&c.channel) else {
            continue;
        };
        let (rc, rv) = (
            c.conversions - conv[id.index()],
            c.value - value[id.index()],
        );
        if rc.abs() > 1e-9 * tc || rv.abs() > 1e-9 * tv {
            out.push(ChannelResidual {
                channel: c.channel.clone(),
                conversions: rc,
                value: rv,
            });
        }
    }
    Ok(out)
}

/// Implements [`AttributionModel`](crate::AttributionModel) for a conversion model `$t` whose
/// inherent `fit` returns a fitted type with `attribution(&PathTable)`: named `$name`, fitted
/// into [`FittedKind::$variant`](crate::fit::FittedKind) with its residual; `$doc` says how a
/// journey is split.
macro_rules! conversion_model {
    ($t:ident, $variant:ident, $name:literal, $doc:literal) => {
        impl $crate::model::AttributionModel for $t {
            fn name(&self) -> std::borrow::Cow<'static, str> {
                $name.into()
            }

            #[doc = $doc]
            fn fit(&self, table: &$crate::PathTable) -> $crate::Result<$crate::fit::FittedModel> {
                let fit = $t::fit(self, table)?;
                let attribution = fit.attribution(table)?;
                let residual = $crate::model::dda::journey::residual(&fit, &attribution, table)?;
                Ok($crate::fit::FittedModel::conversion(
                    attribution,
                    $crate::fit::FittedKind::$variant { fit },
                    residual,
                ))
            }

            fn attribute(&self, table: &$crate::PathTable) -> $crate::Result<$crate::Attribution> {
                $t::fit(self, table)?.attribution(table)
            }
        }
    };
}
pub(crate) use conversion_model;
