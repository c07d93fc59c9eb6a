//! Owned boundary types: touchpoints and journeys as callers build them.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::outcome::Outcome;

/// One marketing touch: a channel and, optionally, when it happened.
///
/// Serializes (serde) as `{"channel": "Email", "at": "2024-05-01T00:00:00Z"}` (`at` is RFC 3339
/// UTC, or `null`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Touchpoint {
    /// Channel name (interned when the journey enters a [`PathTable`](crate::PathTable)).
    pub channel: String,
    /// When the touch happened (UTC), if known.
    #[serde(default)]
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

/// An ordered journey of touches and its outcome, with the keys that join it back to the data it
/// came from.
///
/// Either every touch has a timestamp (then the order must be non-decreasing in time and no
/// touch may follow `converted_at`) or none has; [`PathTable::add_journey`](crate::PathTable::add_journey)
/// checks this.
///
/// **Keys.** Journeys cut from an event log ([`EventLog::build_journeys`](crate::events::EventLog::build_journeys),
/// [`JourneyStream`](crate::events::JourneyStream)) carry the user id and, when they convert,
/// the conversion id and time. The conversion id is the event's `order_id` when the log has one;
/// otherwise it is generated from the user and the conversion time as
/// `<user_id>@<µs since the Unix epoch>`, with `#2`, `#3`, … appended for the second, third, …
/// conversion of that user at the same microsecond (in input order). The rule needs no state,
/// so the batch and the streaming builders give the same ids. Null journeys carry the user id
/// and no conversion id; journeys built by hand carry whatever the caller sets (`None` by
/// default).
///
/// Serializes (serde) with the field names below; `user_id` and `conversion_id` may be absent
/// (read as `None`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Journey {
    /// Touches, first touch first.
    pub touches: Vec<Touchpoint>,
    /// What the journey led to (usually 1 conversion with its value, or 1 null).
    pub outcome: Outcome,
    /// When the conversion happened, if known (time decay measures back from it; without it,
    /// from the last touch, which gives the same shares: [model reference](crate::reference),
    /// §Rule-based models / Time decay).
    #[serde(default)]
    pub converted_at: Option<DateTime<Utc>>,
    /// The user the journey belongs to, when known.
    #[serde(default)]
    pub user_id: Option<String>,
    /// The conversion that closed the journey (an order id or a generated id, see above);
    /// `None` for a null journey.
    #[serde(default)]
    pub conversion_id: Option<String>,
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
            user_id: None,
            conversion_id: None,
        }
    }
}
