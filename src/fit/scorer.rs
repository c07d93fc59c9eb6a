//! A reusable scorer: one journey at a time, no allocation per call once warm.

use super::rule::PrepCache;
use super::{FittedKind, FittedModel, TouchCredit};
use crate::error::{Error, ParseProblem, Result};
use crate::journey::Journey;
use crate::model::dda::journey::{JourneyScratch, credit_journey};
use crate::model::rules::Scratch;
use crate::outcome::Outcome;
use crate::table::{PathTable, micros};

/// Credits journeys with a [`FittedModel`], reusing its buffers between calls: once it has seen
/// the channels and path lengths of the traffic, a call allocates nothing.
///
/// ```
/// use touchpoint::{AttributionModel, Journey, Outcome, PathTable, TimeDecay};
/// let mut t = PathTable::new();
/// t.add(["Search", "Email"], Outcome::converted(2.0, 20.0))?;
/// let fitted = TimeDecay::default().fit(&t)?;
/// let mut scorer = fitted.scorer();
/// let j = Journey::from_channels(["Display", "Search", "Email"], Outcome::converted(1.0, 70.0));
/// let credit = scorer.credit(&j)?; // weights 1/4, 1/2, 1 of 7/4
/// assert!((credit[2].value - 40.0).abs() < 1e-12);
/// # Ok::<(), touchpoint::Error>(())
/// ```
#[derive(Debug)]
pub struct Scorer<'f> {
    fitted: &'f FittedModel,
    /// Rule-based models: a one-row table (its vocabulary grows with the names seen).
    row: PathTable,
    scratch: Scratch,
    prep: PrepCache,
    times: Vec<i64>,
    fractions: Vec<f64>,
    /// Calibrated models: the journey's channels as weight indices, and touch counts.
    ids: Vec<Option<u32>>,
    counts: Vec<u32>,
    /// Set games: touch counts by player, and the journey's sorted set.
    set_counts: Vec<u32>,
    key: Vec<u32>,
    /// Fitted conversion models: their per-journey buffers.
    journey: JourneyScratch,
    out: Vec<TouchCredit>,
}

impl<'f> Scorer<'f> {
    pub(crate) fn new(fitted: &'f FittedModel) -> Self {
        let (counts, set_counts) = match &fitted.kind {
            FittedKind::Calibrated { weights } => (vec![0; weights.len()], Vec::new()),
            FittedKind::SetGame { shares, fallback } => {
                (vec![0; fallback.len()], vec![0; shares.len()])
            }
            _ => (Vec::new(), Vec::new()),
        };
        Scorer {
            fitted,
            row: PathTable::new(),
            scratch: Scratch::new(0),
            prep: None,
            times: Vec::new(),
            fractions: Vec::new(),
            ids: Vec::new(),
            counts,
            set_counts,
            key: Vec::new(),
            journey: JourneyScratch::default(),
            out: Vec::new(),
        }
    }

    /// Credits `journey` touch by touch: one [`TouchCredit`] per touch, in order, splitting the
    /// journey's conversions and value. A journey without conversions gets zero credit.
    ///
    /// # Errors
    /// As [`PathTable::add_journey`]: an empty path, an empty or reserved channel name, touches
    /// with and without timestamps mixed or out of order, an invalid outcome.
    pub fn credit(&mut self, journey: &Journey) -> Result<&[TouchCredit]> {
        journey.outcome.validate()?;
        self.out.clear();
        self.out
            .resize(journey.touches.len(), TouchCredit::default());
        match &self.fitted.kind {
            FittedKind::Rule { rule } => {
                self.load_row(journey)?;
                let n = self.row.channels().len();
                if self.scratch.len() < n {
                    self.scratch = Scratch::new(n);
                }
                self.fractions.clear();
                self.fractions.resize(journey.touches.len(), 0.0);
                rule.single_row(
                    &self.row,
                    &mut self.scratch,
                    &mut self.prep,
                    &mut self.fractions,
                )?;
                let o = journey.outcome;
                if o.conversions > 0.0 {
                    for (c, &f) in self.out.iter_mut().zip(&self.fractions) {
                        c.conversions = o.conversions * f;
                        c.value = o.value * f;
                    }
                }
            }
            FittedKind::Calibrated { weights } => {
                check_path(journey)?;
                self.ids.clear();
                self.ids
                    .extend(journey.touches.iter().map(|t| weights.lookup(&t.channel)));
                let o = journey.outcome;
                let o = if o.conversions > 0.0 {
                    o
                } else {
                    Outcome::default()
                };
                weights.split(&self.ids, &mut self.counts, o, &mut self.out);
            }
            FittedKind::SetGame { shares, fallback } => {
                check_path(journey)?;
                let o = journey.outcome;
                let o = if o.conversions > 0.0 {
                    o
                } else {
                    Outcome::default()
                };
                self.ids.clear();
                self.ids
                    .extend(journey.touches.iter().map(|t| shares.lookup(&t.channel)));
                let own = shares.split(
                    &self.ids,
                    &mut self.set_counts,
                    &mut self.key,
                    o,
                    &mut self.out,
                );
                if !own {
                    self.ids.clear();
                    self.ids
                        .extend(journey.touches.iter().map(|t| fallback.lookup(&t.channel)));
                    fallback.split(&self.ids, &mut self.counts, o, &mut self.out);
                }
            }
            // Fitted conversion models: journeys are checked like table rows.
            FittedKind::Logistic { fit } => {
                self.load_row(journey)?;
                credit_journey(fit, journey, &mut self.journey, &mut self.out)?;
            }
            FittedKind::Dda { fit } => {
                self.load_row(journey)?;
                credit_journey(fit, journey, &mut self.journey, &mut self.out)?;
            }
            FittedKind::AdditiveHazard { fit } => {
                self.load_row(journey)?;
                credit_journey(fit, journey, &mut self.journey, &mut self.out)?;
            }
        }
        Ok(&self.out)
    }

    /// Puts `journey` as the only row of the scorer's table.
    fn load_row(&mut self, journey: &Journey) -> Result<()> {
        self.row.clear_rows();
        let names = journey.touches.iter().map(|t| &t.channel);
        let timed = journey.touches.iter().filter(|t| t.at.is_some()).count();
        if timed == 0 {
            if journey.converted_at.is_some() {
                // Same refusal as `PathTable::add_journey`.
                return self.row.add_journey(journey).map(|_| ());
            }
            return self.row.add(names, journey.outcome).map(|_| ());
        }
        if timed != journey.touches.len() {
            return self.row.add_journey(journey).map(|_| ());
        }
        self.times.clear();
        self.times
            .extend(journey.touches.iter().filter_map(|t| t.at.map(micros)));
        let conv = journey.converted_at.map(micros);
        self.row
            .add_timed(names, &self.times, conv, journey.outcome)
            .map(|_| ())
    }
}

/// The path checks of [`PathTable::add`] for a model that does not build a row.
fn check_path(journey: &Journey) -> Result<()> {
    if journey.touches.is_empty() {
        return Err(Error::InvalidPath(ParseProblem::EmptyPath));
    }
    for (i, t) in journey.touches.iter().enumerate() {
        if t.channel.is_empty() {
            return Err(Error::InvalidPath(ParseProblem::EmptyToken {
                position: i + 1,
            }));
        }
    }
    Ok(())
}
