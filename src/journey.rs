//! Owned boundary types: touchpoints and journeys as callers build them.

use chrono::{DateTime, Utc};

use crate::outcome::Outcome;

/// One marketing touch: a channel and, optionally, when it happened.
#[derive(Clone, Debug, PartialEq)]
pub struct Touchpoint {
    /// Channel name (interned when the journey enters a [`PathTable`](crate::PathTable)).
    pub channel: String,
    /// When the touch happened (UTC), if known.
    pub at: Option<DateTime<Utc>>,
}

impl Touchpoint {
    /// A touch without timestamp.
    pub fn new(channel: impl Into<String>) -> Self {
        Touchpoint {
            channel: channel.into(),
            at: None,
        }
    }

    /// A touch at time `at`.
    pub fn at(channel: impl Into<String>, at: DateTime<Utc>) -> Self {
        Touchpoint {
            channel: channel.into(),
            at: Some(at),
        }
    }
}

/// An ordered journey of touches and its outcome.
///
/// Either every touch has a timestamp (then the order must be non-decreasing in time and no
/// touch may follow `converted_at`) or none has; [`PathTable::add_journey`](crate::PathTable::add_journey)
/// checks this.
#[derive(Clone, Debug, PartialEq)]
pub struct Journey {
    /// Touches, first touch first.
    pub touches: Vec<Touchpoint>,
    /// What the journey led to (usually 1 conversion with its value, or 1 null).
    pub outcome: Outcome,
    /// When the conversion happened, if known (time decay measures back from it; without it,
    /// from the last touch, which gives the same shares: [model reference](crate::reference),
    /// §Rule-based models / Time decay).
    pub converted_at: Option<DateTime<Utc>>,
}

impl Journey {
    /// A journey over untimed touches.
    ///
    /// ```
    /// use touchpoint::{Journey, Outcome, PathTable};
    /// let j = Journey::from_channels(["Display", "Search"], Outcome::converted(1.0, 40.0));
    /// let mut t = PathTable::new();
    /// t.add_journey(&j)?;
    /// assert_eq!(t.totals().value, 40.0);
    /// # Ok::<(), touchpoint::Error>(())
    /// ```
    pub fn from_channels<I, S>(channels: I, outcome: Outcome) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Journey {
            touches: channels.into_iter().map(Touchpoint::new).collect(),
            outcome,
            converted_at: None,
        }
    }
}
