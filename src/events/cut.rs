//! The journey-cutting rules of [`JourneyOptions`], one user at a time: shared by the batch
//! builder ([`EventLog::build`](crate::events::EventLog::build)) and the incremental one
//! ([`JourneyStream`](crate::events::JourneyStream)), so both cut the same journeys.
//!
//! A user's events are fed in order (time, then input order); [`Cutter`] keeps nothing per user
//! itself: the user's state is a [`UserCut`] the caller owns, so the stream can hold one per
//! active user and checkpoint it.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::build::{JourneyOptions, JourneyReport, NullJourneys};
use crate::channel::ChannelId;
use crate::error::Result;
use crate::outcome::Outcome;

/// The state of one user between events: the touches since the last journey was closed.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct UserCut {
    /// `(channel, time)` of the touches not yet in a journey, in order.
    pub(crate) pending: Vec<(u32, i64)>,
    /// Time and tie number of the user's last conversion (for generated conversion ids).
    pub(crate) last_conversion: Option<(i64, u32)>,
}

impl UserCut {
    /// True when nothing is pending.
    pub(crate) fn is_empty(&self) -> bool {
        self.pending.is_empty()
    }
}

/// A conversion event.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Conversion<'a> {
    pub(crate) at: i64,
    pub(crate) count: f64,
    pub(crate) value: f64,
    pub(crate) order_id: Option<&'a str>,
}

/// The id of a conversion: its order id, or the generated `<user>@<µs>[#k]`.
#[derive(Clone, Copy, Debug)]
pub(crate) enum ConversionId<'a> {
    /// The event's order id.
    Order(&'a str),
    /// Generated from the user and the time; `tie` is 1 for the first conversion of the user at
    /// that microsecond, 2 for the second, …
    Generated { user: &'a str, at: i64, tie: u32 },
}

impl fmt::Display for ConversionId<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            ConversionId::Order(id) => f.write_str(id),
            ConversionId::Generated { user, at, tie: 1 } => write!(f, "{user}@{at}"),
            ConversionId::Generated { user, at, tie } => write!(f, "{user}@{at}#{tie}"),
        }
    }
}

/// One journey cut from a user's events (merged and truncated already).
pub(crate) struct Cut<'a> {
    pub(crate) user: &'a str,
    /// `Some` for a converting journey.
    pub(crate) conversion: Option<ConversionId<'a>>,
    pub(crate) path: &'a [ChannelId],
    pub(crate) times: &'a [i64],
    pub(crate) converted_at: Option<i64>,
    pub(crate) outcome: Outcome,
}

/// Where cut journeys go: a path table, a list of keyed journeys.
pub(crate) trait Sink {
    /// A journey.
    fn journey(&mut self, cut: Cut<'_>) -> Result<()>;
    /// A conversion `c` of `user`, with its id, without any touch in its window.
    fn unattributed(&mut self, user: &str, id: ConversionId<'_>, c: &Conversion<'_>) -> Result<()>;
}

/// `(count, value, attributed)` of conversions, in the order a cut summed them.
pub(crate) type Ledger = Vec<(f64, f64, bool)>;

/// The rules of a [`JourneyOptions`] in microseconds, and the report of what they did.
#[derive(Clone, Debug)]
pub(crate) struct Cutter {
    /// Lookback window (µs), `None` for unlimited.
    lookback: Option<i64>,
    /// Inactivity timeout (µs), `i64::MAX` when unset.
    timeout: i64,
    merge: Option<i64>,
    max_touches: usize,
    windowed: bool,
    pub(crate) report: JourneyReport,
    /// When kept: `(count, value, attributed)` of every conversion in the order it was added
    /// to the report's sums, so that the sums of parts cut in parallel can be made again in
    /// the serial order, to the bit.
    pub(crate) ledger: Option<Ledger>,
    path: Vec<ChannelId>,
    times: Vec<i64>,
}

impl Cutter {
    /// The cutter of validated options.
    pub(crate) fn new(opts: &JourneyOptions) -> Cutter {
        let us = |d: Option<chrono::TimeDelta>| d.map(|d| d.num_microseconds().unwrap_or(i64::MAX));
        Cutter {
            lookback: us(opts.lookback),
            timeout: us(opts.inactivity_timeout).unwrap_or(i64::MAX),
            merge: us(opts.merge_repeats_within),
            max_touches: opts.max_touches,
            windowed: opts.nulls == NullJourneys::Windowed,
            report: JourneyReport::default(),
            ledger: None,
            path: Vec::new(),
            times: Vec::new(),
        }
    }

    /// A conversion of `user` (all the user's earlier events, and the touches tied with it that
    /// come first in input order, have been fed): closes the journey of the pending touches
    /// inside its window. With [`NullJourneys::Windowed`] the older pending touches become null
    /// journeys; otherwise they are dropped.
    pub(crate) fn convert(
        &mut self,
        st: &mut UserCut,
        user: &str,
        c: Conversion<'_>,
        sink: &mut impl Sink,
    ) -> Result<()> {
        let tie = match st.last_conversion {
            Some((t, k)) if t == c.at => k.saturating_add(1),
            _ => 1,
        };
        st.last_conversion = Some((c.at, tie));
        let id = match c.order_id {
            Some(o) => ConversionId::Order(o),
            None => ConversionId::Generated {
                user,
                at: c.at,
                tie,
            },
        };
        let start = match self.lookback {
            Some(window) => c.at.saturating_sub(window),
            None => i64::MIN,
        };
        let pending = std::mem::take(&mut st.pending);
        let first = pending.partition_point(|&(_, t)| t < start);
        let mut r = if self.windowed {
            self.nulls(user, &pending[..first], sink)
        } else {
            self.report.dropped_touches += first as u64;
            Ok(())
        };
        let attributed = first < pending.len();
        if let Some(ledger) = &mut self.ledger {
            ledger.push((c.count, c.value, attributed));
        }
        if !attributed {
            self.report.unattributed_events += 1;
            self.report.unattributed_conversions += c.count;
            self.report.unattributed_value += c.value;
            r = r.and_then(|()| sink.unattributed(user, id, &c));
        } else {
            self.report.converting_journeys += 1;
            self.report.conversions += c.count;
            self.report.value += c.value;
            let outcome = Outcome::converted(c.count, c.value);
            r = r.and_then(|()| {
                self.emit(user, Some(id), &pending[first..], Some(c.at), outcome, sink)
            });
        }
        st.pending = pending;
        st.pending.clear();
        r
    }

    /// With [`NullJourneys::Windowed`]: every event of the user before `watermark` has been fed
    /// and none before it will come. Closes the null journeys that no later event can change:
    /// the leading group of pending touches whose last touch is more than the lookback before
    /// `watermark` (no later conversion can claim it, and no later touch can join the group).
    pub(crate) fn expire(
        &mut self,
        st: &mut UserCut,
        user: &str,
        watermark: i64,
        sink: &mut impl Sink,
    ) -> Result<()> {
        let mut closed = 0;
        let mut r = Ok(());
        while let Some(due) = self.due_at(&st.pending[closed..]) {
            if due >= watermark {
                break;
            }
            let end = closed + self.group_end(&st.pending[closed..]);
            r = self.nulls(user, &st.pending[closed..end], sink);
            closed = end;
            if r.is_err() {
                break;
            }
        }
        st.pending.drain(..closed);
        r
    }

    /// The time after which [`Cutter::expire`] closes the leading null group of `st`: the group
    /// is closed once the watermark is past it. `None` when nothing is pending or the rules
    /// never close a null journey before the end of the input.
    pub(crate) fn null_due(&self, st: &UserCut) -> Option<i64> {
        self.due_at(&st.pending)
    }

    fn due_at(&self, pending: &[(u32, i64)]) -> Option<i64> {
        let window = self.lookback.filter(|_| self.windowed)?;
        if pending.is_empty() {
            return None;
        }
        let last = pending[self.group_end(pending) - 1].1;
        Some(last.saturating_add(window))
    }

    /// The end of the input for this user: the pending touches become null journeys.
    pub(crate) fn finish(
        &mut self,
        st: &mut UserCut,
        user: &str,
        sink: &mut impl Sink,
    ) -> Result<()> {
        let pending = std::mem::take(&mut st.pending);
        let r = self.nulls(user, &pending, sink);
        st.pending = pending;
        st.pending.clear();
        r
    }

    /// Length of the leading null group of `touches` (non-empty): a touch joins the group of the
    /// previous one when the gap is at most the inactivity timeout and, with
    /// [`NullJourneys::Windowed`], it is at most the lookback after the group's first touch.
    fn group_end(&self, touches: &[(u32, i64)]) -> usize {
        let first = touches[0].1;
        let span = match self.lookback {
            Some(w) if self.windowed => w,
            _ => i64::MAX,
        };
        let mut end = 1;
        while end < touches.len() {
            let (prev, t) = (touches[end - 1].1, touches[end].1);
            if t.saturating_sub(prev) > self.timeout || t.saturating_sub(first) > span {
                break;
            }
            end += 1;
        }
        end
    }

    /// Touches no conversion claims: one null journey per group.
    fn nulls(
        &mut self,
        user: &str,
        mut touches: &[(u32, i64)],
        sink: &mut impl Sink,
    ) -> Result<()> {
        while !touches.is_empty() {
            let end = self.group_end(touches);
            self.report.null_journeys += 1;
            self.emit(user, None, &touches[..end], None, Outcome::null(1.0), sink)?;
            touches = &touches[end..];
        }
        Ok(())
    }

    /// Adds one journey: merges repeats, keeps the last `max_touches`, hands it to the sink.
    fn emit(
        &mut self,
        user: &str,
        conversion: Option<ConversionId<'_>>,
        touches: &[(u32, i64)],
        at: Option<i64>,
        outcome: Outcome,
        sink: &mut impl Sink,
    ) -> Result<()> {
        self.path.clear();
        self.times.clear();
        let mut previous: Option<(u32, i64)> = None;
        for &(channel, time) in touches {
            let repeat = previous.is_some_and(|(c, t)| {
                c == channel && self.merge.is_some_and(|w| time.saturating_sub(t) <= w)
            });
            previous = Some((channel, time));
            if repeat {
                self.report.merged_touches += 1;
                continue;
            }
            self.path.push(ChannelId(channel));
            self.times.push(time);
        }
        let cut = self.path.len().saturating_sub(self.max_touches);
        self.report.truncated_touches += cut as u64;
        self.report.touches_in_journeys += (self.path.len() - cut) as u64;
        self.report.journeys += 1;
        sink.journey(Cut {
            user,
            conversion,
            path: &self.path[cut..],
            times: &self.times[cut..],
            converted_at: at,
            outcome,
        })
    }
}
