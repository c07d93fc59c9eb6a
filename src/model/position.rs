//! Position-based rules: U-shaped, J-curve, inverse J, custom weights, and W-shaped
//! (the model reference, §Rule-based models / Position-based, W-shaped).

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use super::rules::{Scratch, TouchWeights, rule_model};
use crate::error::{Error, Result};
use crate::table::{PathTable, Row};

/// How a position-based model treats 2-touch paths, which have no middle.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum TwoTouch {
    /// ω = (f/(f+l), l/(f+l)) (Adobe, mta).
    #[default]
    Renormalize,
    /// ω = (f + m/2, l + m/2) (DP6).
    SplitMiddle,
}

/// Position-based attribution with weights (first, middle, last) summing to 1.
///
/// ```text
/// L = 1 : ω = (1)
/// L = 2 : ω = (f/(f+l), l/(f+l))          (TwoTouch::Renormalize, default)
///         ω = (f + m/2, l + m/2)          (TwoTouch::SplitMiddle)
/// L ≥ 3 : ω_1 = f, ω_L = l, ω_t = m/(L-2) for 1 < t < L
/// ```
///
/// Presets: [`PositionBased::u_shaped`] 40/20/40 (the default, Google's "position-based"),
/// [`PositionBased::j_curve`] 20/20/60 and [`PositionBased::inverse_j`] 60/20/20. The model name
/// is `position_based`, `j_curve` or `inverse_j` (by weights), followed by `_split_middle` with
/// [`TwoTouch::SplitMiddle`].
///
/// # Errors
/// [`Error::InvalidParameter`] if a weight is negative or not finite, if the weights do not sum
/// to 1 (±1e-9), or if f + l = 0 with [`TwoTouch::Renormalize`].
///
/// # Complexity
/// O(T) time over T touches, O(n) extra memory per chunk of rows.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct PositionBased {
    /// Weight of the first touch.
    pub first: f64,
    /// Weight shared by the middle touches.
    pub middle: f64,
    /// Weight of the last touch.
    pub last: f64,
    /// 2-touch convention.
    pub two_touch: TwoTouch,
}

impl Default for PositionBased {
    fn default() -> Self {
        Self::u_shaped()
    }
}

impl PositionBased {
    /// Custom weights with the default 2-touch convention.
    pub fn new(first: f64, middle: f64, last: f64) -> Self {
        PositionBased {
            first,
            middle,
            last,
            two_touch: TwoTouch::Renormalize,
        }
    }

    /// U-shaped 40/20/40.
    pub fn u_shaped() -> Self {
        Self::new(0.4, 0.2, 0.4)
    }

    /// J-curve 20/20/60.
    pub fn j_curve() -> Self {
        Self::new(0.2, 0.2, 0.6)
    }

    /// Inverse J 60/20/20.
    pub fn inverse_j() -> Self {
        Self::new(0.6, 0.2, 0.2)
    }

    /// Checks the weights.
    ///
    /// # Errors
    /// See the type's docs.
    pub fn validate(&self) -> Result<()> {
        let name = self.base_name();
        check_weights(
            name,
            &[
                ("first", self.first),
                ("middle", self.middle),
                ("last", self.last),
            ],
        )?;
        if self.two_touch == TwoTouch::Renormalize && self.first + self.last <= 0.0 {
            return Err(bad(
                name,
                "first",
                "first + last must be > 0 to split 2-touch paths",
            ));
        }
        Ok(())
    }

    /// `j_curve` or `inverse_j` for those presets' weights, `position_based` otherwise.
    fn base_name(&self) -> &'static str {
        let w = (self.first, self.middle, self.last);
        let close = |a: (f64, f64, f64)| {
            (a.0 - w.0).abs() < 1e-12 && (a.1 - w.1).abs() < 1e-12 && (a.2 - w.2).abs() < 1e-12
        };
        if close((0.2, 0.2, 0.6)) {
            "j_curve"
        } else if close((0.6, 0.2, 0.2)) {
            "inverse_j"
        } else {
            "position_based"
        }
    }

    /// The base name, with `_split_middle` for DP6's 2-touch rule (its results differ, so the
    /// two conventions must not share a name in a report).
    fn model_name(&self) -> Cow<'static, str> {
        match self.two_touch {
            TwoTouch::Renormalize => self.base_name().into(),
            TwoTouch::SplitMiddle => format!("{}_split_middle", self.base_name()).into(),
        }
    }
}

fn bad(model: &'static str, name: &'static str, reason: &str) -> Error {
    Error::InvalidParameter {
        model,
        name,
        reason: reason.to_string(),
    }
}

/// Each weight finite and ≥ 0, the sum 1 (±1e-9).
fn check_weights(model: &'static str, w: &[(&'static str, f64)]) -> Result<()> {
    for &(name, x) in w {
        if !(x.is_finite() && x >= 0.0) {
            return Err(bad(
                model,
                name,
                &format!("{x} is not a finite weight >= 0"),
            ));
        }
    }
    let sum: f64 = w.iter().map(|p| p.1).sum();
    if (sum - 1.0).abs() > 1e-9 {
        return Err(bad(
            model,
            "weights",
            &format!("weights sum to {sum}, not 1"),
        ));
    }
    Ok(())
}

impl TouchWeights for PositionBased {
    type Prep = ();

    fn position_only(&self) -> bool {
        true
    }

    fn prepare(&self, _: &PathTable) -> Result<()> {
        self.validate()
    }

    fn weights(&self, _: &(), row: Row<'_>, _: &mut Scratch, out: &mut [f64]) -> Result<()> {
        let (f, m, l) = (self.first, self.middle, self.last);
        match out.len() {
            1 => out[0] = 1.0,
            2 => match self.two_touch {
                TwoTouch::Renormalize => {
                    out[0] = f / (f + l);
                    out[1] = l / (f + l);
                }
                TwoTouch::SplitMiddle => {
                    out[0] = f + m / 2.0;
                    out[1] = l + m / 2.0;
                }
            },
            len => {
                out.fill(m / (len - 2) as f64);
                out[0] = f;
                out[len - 1] = l;
            }
        }
        debug_assert_eq!(out.len(), row.path.len());
        Ok(())
    }
}

rule_model!(PositionBased);

/// W-shaped attribution: first touch, a middle milestone and last touch get fixed weights, the
/// other touches share the rest ([model reference](crate::reference), §Rule-based models /
/// W-shaped).
///
/// ```text
/// L = 1 : (1)            L = 2 : (f/(f+l), l/(f+l))
/// L = 3 : (f, s, l)/(f+s+l)
/// L ≥ 4 : ω_1 = f, ω_{M+1} = s, ω_L = l, every other touch ρ/(L-3),  M = ⌊(L-1)/2⌋
/// ```
///
/// A channel path carries no stage information, so the milestone is the lower middle touch.
/// Default (f, s, l, ρ) = (0.3, 0.3, 0.3, 0.1).
///
/// # Errors
/// [`Error::InvalidParameter`] if a weight is negative or not finite, if the four do not sum to
/// 1, or if f + l = 0.
///
/// # Complexity
/// O(T) time, O(n) extra memory per chunk of rows.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct WShaped {
    /// Weight of the first touch.
    pub first: f64,
    /// Weight of the milestone (lower middle) touch.
    pub milestone: f64,
    /// Weight of the last touch.
    pub last: f64,
    /// Weight shared by the remaining touches.
    pub rest: f64,
}

impl Default for WShaped {
    fn default() -> Self {
        WShaped {
            first: 0.3,
            milestone: 0.3,
            last: 0.3,
            rest: 0.1,
        }
    }
}

impl WShaped {
    /// Checks the weights.
    ///
    /// # Errors
    /// See the type's docs.
    pub fn validate(&self) -> Result<()> {
        let name = "w_shaped";
        check_weights(
            name,
            &[
                ("first", self.first),
                ("milestone", self.milestone),
                ("last", self.last),
                ("rest", self.rest),
            ],
        )?;
        if self.first + self.last <= 0.0 {
            return Err(bad(
                name,
                "first",
                "first + last must be > 0 to split 2-touch paths",
            ));
        }
        Ok(())
    }

    fn model_name(&self) -> Cow<'static, str> {
        "w_shaped".into()
    }
}

impl TouchWeights for WShaped {
    type Prep = ();

    fn position_only(&self) -> bool {
        true
    }

    fn prepare(&self, _: &PathTable) -> Result<()> {
        self.validate()
    }

    fn weights(&self, _: &(), _: Row<'_>, _: &mut Scratch, out: &mut [f64]) -> Result<()> {
        let (f, s, l, rho) = (self.first, self.milestone, self.last, self.rest);
        match out.len() {
            1 => out[0] = 1.0,
            2 => {
                out[0] = f / (f + l);
                out[1] = l / (f + l);
            }
            3 => {
                let z = f + s + l;
                out.copy_from_slice(&[f / z, s / z, l / z]);
            }
            len => {
                out.fill(rho / (len - 3) as f64);
                out[0] = f;
                out[(len - 1) / 2] = s;
                out[len - 1] = l;
            }
        }
        Ok(())
    }
}

rule_model!(WShaped);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::Outcome;

    /// The weight vector of `model` for a path of `len` distinct channels.
    fn weights<W: TouchWeights<Prep = ()>>(model: &W, len: usize) -> Vec<f64> {
        let names: Vec<String> = (0..len).map(|i| format!("c{i}")).collect();
        let mut t = PathTable::new();
        t.add(&names, Outcome::converted(1.0, 0.0)).unwrap();
        let mut out = vec![0.0; len];
        let mut s = Scratch::new(len);
        model.weights(&(), t.row(0), &mut s, &mut out).unwrap();
        out
    }

    #[test]
    fn weight_vectors_are_distributions_for_every_length() {
        let split = PositionBased {
            two_touch: TwoTouch::SplitMiddle,
            ..PositionBased::j_curve()
        };
        for len in 1..=12 {
            for w in [
                weights(&PositionBased::u_shaped(), len),
                weights(&PositionBased::inverse_j(), len),
                weights(&split, len),
                weights(&WShaped::default(), len),
            ] {
                assert_eq!(w.len(), len);
                assert!(w.iter().all(|&x| (0.0..=1.0).contains(&x)), "{w:?}");
                assert!((w.iter().sum::<f64>() - 1.0).abs() < 1e-12, "{w:?}");
            }
        }
        // W-shaped, L = 6: milestone at 0-based index ⌊5/2⌋ = 2, ρ = 0.1 over 3 touches.
        let w = weights(&WShaped::default(), 6);
        let r = 0.1 / 3.0;
        assert_eq!(w, [0.3, r, 0.3, r, r, 0.3]);
    }

    #[test]
    fn names_tell_the_presets_and_conventions_apart() {
        let split = |p: PositionBased| PositionBased {
            two_touch: TwoTouch::SplitMiddle,
            ..p
        };
        assert_eq!(PositionBased::u_shaped().model_name(), "position_based");
        assert_eq!(PositionBased::j_curve().model_name(), "j_curve");
        assert_eq!(PositionBased::inverse_j().model_name(), "inverse_j");
        assert_eq!(
            split(PositionBased::j_curve()).model_name(),
            "j_curve_split_middle"
        );
        assert_eq!(
            split(PositionBased::u_shaped()).model_name(),
            "position_based_split_middle"
        );
    }
}
