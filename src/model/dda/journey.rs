//! The fitted conversion models in the crate-wide fit abstraction ([`crate::fit`]): one way to
//! split any journey, used by [`FittedModel::credit_table`](crate::fit::FittedModel) and the
//! [`Scorer`](crate::fit::Scorer).

use super::hazard::HazardFit;
use super::logistic::LogisticFit;
use super::shapley_dda::DdaFit;
use crate::attribution::Attribution;
use crate::error::Result;
use crate::fit::{ChannelResidual, TouchCredit};
use crate::journey::Journey;
use crate::table::{PathTable, micros};

/// A fitted model that splits one journey into per-touch fractions.
pub(crate) trait JourneySplit {
    /// Fractions of the journey's conversion per touch (`out` as long as `path`).
    fn fractions(
        &self,
        path: &[&str],
        times: Option<&[i64]>,
        converted_at: Option<i64>,
        out: &mut [f64],
    ) -> Result<()>;
}

impl JourneySplit for LogisticFit {
    fn fractions(
        &self,
        p: &[&str],
        t: Option<&[i64]>,
        c: Option<i64>,
        o: &mut [f64],
    ) -> Result<()> {
        self.fractions_at(p, t, c, o)
    }
}

impl JourneySplit for DdaFit {
    fn fractions(
        &self,
        p: &[&str],
        t: Option<&[i64]>,
        c: Option<i64>,
        o: &mut [f64],
    ) -> Result<()> {
        self.fractions_at(p, t, c, o)
    }
}

impl JourneySplit for HazardFit {
    fn fractions(
        &self,
        p: &[&str],
        t: Option<&[i64]>,
        c: Option<i64>,
        o: &mut [f64],
    ) -> Result<()> {
        self.fractions_at(p, t, c, o)
    }
}

/// Per-touch credit of every row of `table`, appended to `credit` (null rows get 0).
pub(crate) fn credit_rows<F: JourneySplit>(
    fit: &F,
    table: &PathTable,
    credit: &mut Vec<TouchCredit>,
) -> Result<()> {
    let mut names: Vec<&str> = Vec::new();
    let mut frac = Vec::new();
    for row in table.rows() {
        names.clear();
        names.extend(row.path.iter().map(|&id| table.channels().name(id)));
        frac.clear();
        frac.resize(names.len(), 0.0);
        let o = row.outcome;
        if o.conversions > 0.0 {
            fit.fractions(&names, row.times, row.converted_at, &mut frac)?;
        }
        credit.extend(frac.iter().map(|&f| TouchCredit {
            conversions: o.conversions * f,
            value: o.value * f,
        }));
    }
    Ok(())
}

/// Credits one journey into `out` (one entry per touch; zero for a journey without
/// conversions).
pub(crate) fn credit_journey<F: JourneySplit>(
    fit: &F,
    journey: &Journey,
    out: &mut [TouchCredit],
) -> Result<()> {
    let o = journey.outcome;
    if o.conversions <= 0.0 {
        return Ok(());
    }
    let names: Vec<&str> = journey.touches.iter().map(|t| t.channel.as_str()).collect();
    let times: Option<Vec<i64>> = journey.touches.iter().map(|t| t.at.map(micros)).collect();
    let mut frac = vec![0.0; names.len()];
    fit.fractions(
        &names,
        times.as_deref(),
        journey.converted_at.map(micros),
        &mut frac,
    )?;
    for (c, f) in out.iter_mut().zip(&frac) {
        c.conversions = o.conversions * f;
        c.value = o.value * f;
    }
    Ok(())
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
