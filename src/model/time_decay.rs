//! Time decay: more credit to touches closer to the conversion (the model reference,
//! §Rule-based models / Time decay).

use std::borrow::Cow;

use chrono::TimeDelta;
use serde::{Deserialize, Serialize};

use super::rules::{Scratch, TouchWeights, rule_model};
use crate::error::{Error, ParseProblem, Result};
use crate::table::{PathTable, Row};

/// Time decay with half-life H.
///
/// On rows with real timestamps (journeys built from events) the decay is continuous:
///
/// ```text
/// ω_t = 2^{-(T - τ_t)/H} / Σ_j 2^{-(T - τ_j)/H}
/// ```
///
/// with T the conversion time (or, when unknown, the last touch: the shares are the same because
/// normalisation removes the reference time). Equal timestamps get equal weight; H → ∞ gives
/// linear per touch, H → 0 gives the latest touch(es) everything.
///
/// Aggregated rows have no timestamps; they use *positional* decay, one unit per step back from
/// the last touch, with the half-life h in touches:
///
/// ```text
/// ω_t ∝ 2^{-(L - t)/h}        (h = 1, L = 3: 1/7, 2/7, 4/7)
/// ```
///
/// # Errors
/// [`Error::InvalidParameter`] if a half-life is not positive (or NaN, or infinite).
/// Touches after the conversion are refused when the table is built
/// ([`PathTable::add_journey`](crate::PathTable::add_journey)).
///
/// # Complexity
/// O(T) time over T touches, O(n) extra memory per chunk of rows.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct TimeDecay {
    /// Half-life for rows with timestamps (default 7 days, Google Ads and Adobe).
    pub half_life: TimeDelta,
    /// Half-life in touches for rows without timestamps (default 1).
    pub positional_half_life: f64,
}

impl Default for TimeDecay {
    fn default() -> Self {
        TimeDecay {
            half_life: TimeDelta::days(7),
            positional_half_life: 1.0,
        }
    }
}

impl TimeDecay {
    /// Checks the half-lives.
    ///
    /// # Errors
    /// See the type's docs.
    pub fn validate(&self) -> Result<()> {
        let bad = |name, reason: String| Error::InvalidParameter {
            model: "time_decay",
            name,
            reason,
        };
        if self.half_life <= TimeDelta::zero() {
            return Err(bad("half_life", format!("{} must be > 0", self.half_life)));
        }
        let h = self.positional_half_life;
        if !(h.is_finite() && h > 0.0) {
            return Err(bad(
                "positional_half_life",
                format!("{h} must be finite and > 0"),
            ));
        }
        Ok(())
    }

    fn model_name(&self) -> Cow<'static, str> {
        "time_decay".into()
    }
}

impl TouchWeights for TimeDecay {
    /// Half-life in microseconds.
    type Prep = f64;

    fn position_only(&self) -> bool {
        true
    }

    fn prepare(&self, _: &PathTable) -> Result<f64> {
        self.validate()?;
        // In f64 rather than `num_microseconds()`, which saturates at ~292,000 years and would
        // keep a huge half-life from approaching linear per touch (TimeDelta::MAX ≈ 9.2e21 µs).
        let h = &self.half_life;
        Ok(h.num_seconds() as f64 * 1e6 + f64::from(h.subsec_nanos()) / 1e3)
    }

    fn weights(&self, &h: &f64, row: Row<'_>, _: &mut Scratch, out: &mut [f64]) -> Result<()> {
        match row.times {
            Some(times) => {
                let latest = *times.last().unwrap_or(&0);
                let reference = row.converted_at.unwrap_or(latest);
                if reference < latest {
                    return Err(Error::InvalidPath(ParseProblem::Timestamps(
                        "a touch is later than the conversion".into(),
                    )));
                }
                // Measure from the latest touch: the same shares as from the conversion time
                // (the model reference, §Rule-based models / Time decay), without underflow
                // when the conversion is long after.
                for (o, &t) in out.iter_mut().zip(times) {
                    // `abs_diff`: the span of two i64 times can exceed i64 (never panics).
                    *o = (-(latest.abs_diff(t) as f64) / h).exp2();
                }
            }
            None => {
                let len = out.len();
                let h = self.positional_half_life;
                for (t, o) in out.iter_mut().enumerate() {
                    *o = (-((len - 1 - t) as f64) / h).exp2();
                }
            }
        }
        let z: f64 = out.iter().sum();
        out.iter_mut().for_each(|o| *o /= z);
        Ok(())
    }
}

rule_model!(TimeDecay);

#[cfg(test)]
mod tests {
    use super::*;

    fn micros(h: TimeDelta) -> f64 {
        let m = TimeDecay {
            half_life: h,
            ..TimeDecay::default()
        };
        m.prepare(&PathTable::new()).unwrap()
    }

    #[test]
    fn half_life_in_microseconds_is_exact_and_does_not_saturate() {
        assert_eq!(micros(TimeDelta::days(7)), 604_800e6);
        assert_eq!(micros(TimeDelta::nanoseconds(1_500)), 1.5);
        assert_eq!(micros(TimeDelta::nanoseconds(1)), 1e-3);
        // i64::MAX milliseconds: beyond the i64 microsecond range.
        let max = micros(TimeDelta::MAX);
        assert!(max.is_finite() && max > 9.2e21, "{max}");
    }
}
