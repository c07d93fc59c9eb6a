//! What happened after a path: conversions, their value, and non-converting journeys.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result, check_count};

/// The outcome of a path (or the sum over many journeys with the same path).
///
/// Counts are `f64` so that weights and fractional counts work
/// ([model reference](crate::reference), §Conventions / Path tables). Every way into a
/// [`PathTable`](crate::PathTable) validates them with [`Outcome::validate`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Outcome {
    /// Conversions (`total_conversions`).
    pub conversions: f64,
    /// Conversion value, e.g. revenue (`total_conversion_value`).
    pub value: f64,
    /// Non-converting journeys (`total_null`).
    pub nulls: f64,
}

impl Outcome {
    /// An outcome from its three counts (not yet validated).
    pub fn new(conversions: f64, value: f64, nulls: f64) -> Self {
        Outcome {
            conversions,
            value,
            nulls,
        }
    }

    /// `n` converting journeys with total value `value`.
    pub fn converted(n: f64, value: f64) -> Self {
        Outcome::new(n, value, 0.0)
    }

    /// `n` non-converting journeys.
    pub fn null(n: f64) -> Self {
        Outcome::new(0.0, 0.0, n)
    }

    /// Journeys behind the outcome: `conversions + nulls` (the Markov transition weight).
    pub fn journeys(&self) -> f64 {
        self.conversions + self.nulls
    }

    /// Checks the contract of the [model reference](crate::reference), §Conventions / Path tables.
    ///
    /// # Errors
    /// [`Error::InvalidCount`] if a count is negative, NaN or infinite, or if `value > 0` with
    /// `conversions = 0`.
    pub fn validate(&self) -> Result<()> {
        check_count("conversions", self.conversions)?;
        check_count("value", self.value)?;
        check_count("nulls", self.nulls)?;
        if self.value > 0.0 && self.conversions == 0.0 {
            return Err(Error::InvalidCount {
                field: "value",
                value: self.value,
                reason: "value > 0 with 0 conversions",
            });
        }
        Ok(())
    }

    /// Component-wise sum.
    pub(crate) fn add(&mut self, o: &Outcome) {
        self.conversions += o.conversions;
        self.value += o.value;
        self.nulls += o.nulls;
    }

    /// Component-wise product with `k`.
    pub fn scaled(&self, k: f64) -> Outcome {
        Outcome::new(self.conversions * k, self.value * k, self.nulls * k)
    }
}

/// A compensated (Neumaier) running sum: the error of each addition is carried, so a sum of
/// many terms is as accurate as one rounding of the exact sum in all but pathological cases,
/// and nearly independent of the order of the terms.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Compensated {
    sum: f64,
    carry: f64,
}

impl Compensated {
    /// Adds `x`.
    #[inline]
    pub(crate) fn add(&mut self, x: f64) {
        let t = self.sum + x;
        if self.sum.abs() >= x.abs() {
            self.carry += (self.sum - t) + x;
        } else {
            self.carry += (x - t) + self.sum;
        }
        self.sum = t;
    }

    /// The sum (an infinite partial sum stays infinite).
    #[inline]
    pub(crate) fn value(&self) -> f64 {
        if self.sum.is_finite() {
            self.sum + self.carry
        } else {
            self.sum
        }
    }

    /// `(t, r)`: `t` is [`Compensated::value`] and `t + r` is exactly `sum + carry`, so a sum
    /// shipped as two floats (a DataFusion partial state) loses nothing. `r` is 0 for an
    /// infinite sum.
    #[cfg(any(test, feature = "datafusion"))]
    pub(crate) fn parts(&self) -> (f64, f64) {
        if !self.sum.is_finite() {
            return (self.sum, 0.0);
        }
        two_sum(self.sum, self.carry)
    }

    /// Adds a sum shipped as `(rounded, residue)` by [`Compensated::parts`].
    #[cfg(any(test, feature = "datafusion"))]
    pub(crate) fn add_parts(&mut self, rounded: f64, residue: f64) {
        self.add(rounded);
        self.carry += residue;
    }
}

/// `a + b` and its exact rounding error (Knuth's TwoSum, whatever the magnitudes; finite
/// operands whose sum does not overflow).
#[inline]
pub(crate) fn two_sum(a: f64, b: f64) -> (f64, f64) {
    let s = a + b;
    let bb = s - a;
    (s, (a - (s - bb)) + (b - bb))
}

/// The compensated sum of `xs`.
pub(crate) fn sum_compensated<'a>(xs: impl IntoIterator<Item = &'a f64>) -> f64 {
    let mut s = Compensated::default();
    for &x in xs {
        s.add(x);
    }
    s.value()
}

#[cfg(test)]
mod tests {
    #[test]
    fn compensated_sums_keep_small_terms() {
        let xs = [1e16, 1.0, -1e16, 1.0];
        assert_eq!(super::sum_compensated(&xs), 2.0);
        assert_eq!(xs.iter().sum::<f64>(), 1.0 - 0.0 + 0.0 + 0.0 * 1.0 + 0.0); // naive loses one
    }

    #[test]
    fn compensated_sums_round_once() {
        use super::Compensated;
        // fl(0.1) = 0.1000000000000000055511151231257827…; ten of them sum exactly to
        // 1.000000000000000055511…, whose nearest double is 1.0. A plain running sum ends at
        // 0.9999999999999999.
        let mut plain = 0.0;
        let mut c = Compensated::default();
        for _ in 0..10 {
            plain += 0.1;
            c.add(0.1);
        }
        assert_eq!(plain, 0.9999999999999999);
        assert_eq!(c.parts().0, 1.0);
        // Shipped as (rounded, residue) and merged in two halves, in either order: the same.
        let (mut a, mut b) = (Compensated::default(), Compensated::default());
        for _ in 0..3 {
            a.add(0.1);
        }
        for _ in 0..7 {
            b.add(0.1);
        }
        let (mut ab, mut ba) = (a, b);
        let (pa, pb) = (a.parts(), b.parts());
        ab.add_parts(pb.0, pb.1);
        ba.add_parts(pa.0, pa.1);
        assert_eq!(ab.parts().0, 1.0);
        assert_eq!(ba.parts().0, 1.0);
        // An overflowed sum stays infinite, with no residue.
        let mut big = Compensated::default();
        big.add(f64::MAX);
        big.add(f64::MAX);
        assert_eq!(big.parts(), (f64::INFINITY, 0.0));
    }

    use super::*;

    #[test]
    fn value_without_conversions_is_refused() {
        assert!(Outcome::new(0.0, 5.0, 1.0).validate().is_err());
        assert!(Outcome::new(0.0, 0.0, 1.0).validate().is_ok());
        assert!(Outcome::new(0.5, 5.0, 0.0).validate().is_ok());
    }

    #[test]
    fn nan_and_negative_counts_are_refused() {
        assert!(Outcome::new(f64::NAN, 0.0, 0.0).validate().is_err());
        assert!(Outcome::new(1.0, -1.0, 0.0).validate().is_err());
        assert!(Outcome::new(1.0, 1.0, f64::INFINITY).validate().is_err());
    }
}
