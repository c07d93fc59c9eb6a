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
