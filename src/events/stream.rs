//! The incremental journey builder: events in batches, slightly out of order; journeys out as
//! soon as they are decided; memory bounded by the active users.
//!
//! The rules are documented on [`JourneyStream`].

use std::collections::BTreeSet;

use chrono::TimeDelta;
use serde::{Deserialize, Serialize};

use super::build::{JourneyOptions, JourneyReport, JourneySink, Journeys, NullJourneys, datetime};
use super::cut::{Conversion, Cutter, UserCut};
use super::log::{EventLog, NONE};
use crate::channel::{Channels, Interner};
use crate::error::{Error, Result};
use crate::formats::MAX_SKIPPED_DETAILS;
use crate::tag_index::TagIndex;

/// What [`JourneyStream::push`] does with an event later than the allowed lateness.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LateEvents {
    /// Skip it, count it and list it in [`StreamReport::late`] (default).
    #[default]
    Count,
    /// Refuse the whole batch with [`Error::LateEvent`] (nothing of it is applied).
    Error,
}

/// The configuration of a [`JourneyStream`].
///
/// ```
/// use touchpoint::events::{NullJourneys, StreamConfig};
/// let c = StreamConfig::default();
/// assert_eq!(c.allowed_lateness, chrono::TimeDelta::minutes(10));
/// assert_eq!(c.journeys.nulls, NullJourneys::Windowed);
/// assert_eq!(c.journeys.lookback, Some(chrono::TimeDelta::days(30)));
/// c.validate()?;
/// # Ok::<(), touchpoint::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct StreamConfig {
    /// How journeys are cut (default: [`JourneyOptions::default`] with
    /// [`NullJourneys::Windowed`]). A lookback is required, and the windowed null rule.
    pub journeys: JourneyOptions,
    /// How far behind the latest event an event may be and still count (default 10 minutes).
    pub allowed_lateness: TimeDelta,
    /// What to do with a later event (default [`LateEvents::Count`]).
    pub late_events: LateEvents,
}

impl Default for StreamConfig {
    fn default() -> Self {
        StreamConfig {
            journeys: JourneyOptions {
                nulls: NullJourneys::Windowed,
                ..JourneyOptions::default()
            },
            allowed_lateness: TimeDelta::minutes(10),
            late_events: LateEvents::Count,
        }
    }
}

impl StreamConfig {
    /// Checks the configuration.
    ///
    /// # Errors
    /// As [`JourneyOptions::validate`]; [`Error::InvalidParameter`] when `journeys.lookback` is
    /// unset (a journey could then depend on events arbitrarily far back, which a stream cannot
    /// keep), `journeys.nulls` is not [`NullJourneys::Windowed`] (the other rule needs to know
    /// whether a user ever converts again), or `allowed_lateness` is negative or beyond ±2⁶³ µs.
    pub fn validate(&self) -> Result<()> {
        self.journeys.validate()?;
        let bad = |name, reason: &str| Error::InvalidParameter {
            model: "journey stream",
            name,
            reason: reason.into(),
        };
        if self.journeys.lookback.is_none() {
            return Err(bad(
                "lookback",
                "a journey stream needs a lookback window (journeys.lookback)",
            ));
        }
        if self.journeys.nulls != NullJourneys::Windowed {
            return Err(bad(
                "nulls",
                "a journey stream cuts null journeys with NullJourneys::Windowed",
            ));
        }
        if self.allowed_lateness < TimeDelta::zero()
            || self.allowed_lateness.num_microseconds().is_none()
        {
            return Err(bad(
                "allowed_lateness",
                "must be >= 0 and fit in 2^63 microseconds",
            ));
        }
        Ok(())
    }
}

/// An event [`JourneyStream::push`] did not apply because it came later than allowed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LateEvent {
    /// The user.
    pub user_id: String,
    /// The event's time (µs since the epoch).
    pub at: i64,
    /// The watermark it missed (µs since the epoch).
    pub watermark: i64,
    /// The channel of a touch; `None` for a conversion.
    pub channel: Option<String>,
    /// Conversions of a conversion event (0 for a touch).
    pub conversions: f64,
    /// Value of a conversion event.
    pub value: f64,
    /// Order id of a conversion event, if it had one.
    pub order_id: Option<String>,
}

/// Late events so far: counts and the first ones.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LateReport {
    /// Late touch events.
    pub touches: u64,
    /// Late conversion events.
    pub conversion_events: u64,
    /// Their conversions (counts summed).
    pub conversions: f64,
    /// Their value.
    pub value: f64,
    /// The first [`MAX_SKIPPED_DETAILS`](crate::formats::MAX_SKIPPED_DETAILS) late events.
    pub details: Vec<LateEvent>,
}

/// What one [`JourneyStream::push`] did.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct PushReport {
    /// Events applied.
    pub accepted: u64,
    /// Events refused as late (counted in [`StreamReport::late`]).
    pub late: u64,
    /// Journeys closed by this push (waiting in [`JourneyStream::take_closed`]).
    pub closed: u64,
    /// Unattributed conversions closed by this push.
    pub unattributed: u64,
    /// The watermark after the push (µs since the epoch), once an event was seen.
    pub watermark: Option<i64>,
}

/// The state of a [`JourneyStream`]: what it closed, what it refused, what it holds.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StreamReport {
    /// The journeys closed so far and the events applied, as the batch builder reports them
    /// (`users` counts user states opened).
    pub journeys: JourneyReport,
    /// Late events.
    pub late: LateReport,
    /// Users with state now.
    pub active_users: usize,
    /// Events not yet final (at or after the watermark).
    pub buffered_events: usize,
    /// Touches not yet in a journey.
    pub pending_touches: usize,
    /// The watermark (µs since the epoch), once an event was seen.
    pub watermark: Option<i64>,
}

/// An event not yet final.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct Buffered {
    pub(crate) time: i64,
    /// Arrival order (ties at one microsecond keep it).
    pub(crate) seq: u64,
    /// Channel id of a touch, [`NONE`] for a conversion.
    pub(crate) channel: u32,
    #[serde(default)]
    pub(crate) count: f64,
    #[serde(default)]
    pub(crate) value: f64,
    #[serde(default)]
    pub(crate) order_id: Option<Box<str>>,
}

/// One active user.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct UserSlot {
    pub(crate) name: Box<str>,
    /// Events not yet final, in no particular order.
    pub(crate) buffered: Vec<Buffered>,
    pub(crate) cut: UserCut,
    /// Key of the user's entry in the timer set.
    due: Option<i64>,
}

/// The incremental journey builder: events in batches, slightly out of order; journeys out as
/// soon as they are decided; memory bounded by the active users.
///
/// # Rules
///
/// [`JourneyStream`] cuts journeys with the rules of [`JourneyOptions`] and
/// [`NullJourneys::Windowed`] (every touch no conversion claims is in a null journey, none longer
/// than the lookback), and it cuts **exactly the journeys the batch builder
/// ([`EventLog::build_journeys`]) cuts from the same events** with the same options: the same
/// keys, touches, times and outcomes, whatever the batches and the order of arrival, as long as
/// no event is later than the allowed lateness. Only the order in which journeys come out
/// differs (the stream closes them as time passes).
///
/// * **Watermark.** `W = (latest event time seen) − allowed_lateness`, never decreasing;
///   [`JourneyStream::advance`] moves it without an event (a clock tick of a quiet stream).
/// * **Late events.** An event of a batch earlier than `W` as it was *before* the batch is late.
///   It is never applied and never dropped silently: with [`LateEvents::Count`] (the default)
///   it is counted in [`StreamReport::late`] and listed (the first
///   [`MAX_SKIPPED_DETAILS`](crate::formats::MAX_SKIPPED_DETAILS)); with [`LateEvents::Error`] the
///   whole batch is refused with [`Error::LateEvent`] and nothing of it is applied.
/// * **Closing.** Events before `W` are final (every later event is at `W` or after). A
///   conversion at `T` closes its journey as soon as `W > T`: then every touch at `T` or before,
///   late ones included, has arrived. A null journey closes as soon as `W` is more than the
///   lookback past its last touch: no later conversion can claim it, and no later touch can
///   join it. An unattributed conversion is reported when it closes, like a journey.
/// * **Ties.** Events of one user at the same microsecond keep their order of arrival (batch
///   by batch, then in each batch's insertion order), as the batch builder keeps input order:
///   the batch log equivalent to a stream is its batches concatenated in arrival order.
/// * **Memory.** A user's state (touches not yet in a journey, events not yet final) is freed
///   when it is empty, which it is at the latest `lookback + allowed_lateness` after the user's
///   last event: memory is bounded by the users active in that period and their events, not
///   by the events seen. [`JourneyStream::heap_bytes`] measures it.
/// * **End.** [`JourneyStream::flush`] closes everything, as the end of the log closes the batch
///   builder's journeys; afterwards every event is late.
/// * **Restart.** [`JourneyStream::checkpoint`] writes the whole state (versioned JSON),
///   [`JourneyStream::restore`] reads it back: a restored stream fed the remaining batches gives
///   what the uninterrupted one gives. Journeys closed but not yet taken are part of the state.
///
/// ```
/// use chrono::TimeDelta;
/// use touchpoint::events::{EventLog, JourneyStream, StreamConfig};
/// let hour = 3_600_000_000i64; // µs
/// let mut stream = JourneyStream::new(StreamConfig {
///     allowed_lateness: TimeDelta::hours(1),
///     ..StreamConfig::default()
/// })?;
/// let mut batch = EventLog::new();
/// batch.add_touch("u1", 10 * hour, "Search")?;
/// batch.add_conversion_with_id("u1", 12 * hour, 1.0, 40.0, "order-1")?;
/// stream.push(&batch)?;
/// // the watermark (12 h − 1 h) is not past the conversion yet: a late touch may still come
/// assert!(stream.take_closed().is_empty());
/// batch.clear();
/// batch.add_touch("u1", 11 * hour, "Email")?; // late, but within the allowed hour
/// batch.add_touch("u2", 14 * hour, "Display")?; // moves the watermark to 13 h
/// let pushed = stream.push(&batch)?;
/// assert_eq!(pushed.late, 0);
/// let closed = stream.take_closed();
/// let order = &closed.journeys[0];
/// assert_eq!(order.conversion_id.as_deref(), Some("order-1"));
/// let path: Vec<_> = order.touches.iter().map(|t| t.channel.as_str()).collect();
/// assert_eq!(path, ["Search", "Email"]);
/// // an event before the watermark is late: counted and listed, not applied
/// batch.clear();
/// batch.add_touch("u3", 12 * hour, "Email")?;
/// assert_eq!(stream.push(&batch)?.late, 1);
/// // the end of the stream closes u2's null journey
/// stream.flush()?;
/// let rest = stream.take_closed();
/// assert_eq!(rest.journeys[0].user_id.as_deref(), Some("u2"));
/// assert_eq!(rest.journeys[0].conversion_id, None);
/// assert_eq!(stream.report().journeys.journeys, 2);
/// assert_eq!(stream.report().late.touches, 1);
/// # Ok::<(), touchpoint::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct JourneyStream {
    pub(crate) config: StreamConfig,
    lateness: i64,
    pub(crate) cutter: Cutter,
    pub(crate) channels: Channels,
    /// User slots (`None`: free, listed in `free`).
    pub(crate) users: Vec<Option<UserSlot>>,
    pub(crate) free: Vec<u32>,
    /// Slot numbers by the interner's tag of the user's name.
    index: TagIndex,
    /// `(due, slot)`: the user is processed once the watermark is past `due`.
    timers: BTreeSet<(i64, u32)>,
    pub(crate) max_seen: Option<i64>,
    pub(crate) flushed: bool,
    pub(crate) seq: u64,
    pub(crate) closed: Journeys,
    pub(crate) late: LateReport,
}

fn hash_name(name: &str) -> u32 {
    Interner::tag(name)
}

impl JourneyStream {
    /// An empty stream.
    ///
    /// # Errors
    /// As [`StreamConfig::validate`].
    pub fn new(config: StreamConfig) -> Result<JourneyStream> {
        config.validate()?;
        Ok(JourneyStream::from_parts(config, JourneyReport::default()))
    }

    /// The configuration.
    pub fn config(&self) -> &StreamConfig {
        &self.config
    }

    /// The watermark (µs since the epoch): events before it are late. `None` before the first
    /// event; `i64::MAX` after [`JourneyStream::flush`].
    pub fn watermark(&self) -> Option<i64> {
        if self.flushed {
            return Some(i64::MAX);
        }
        self.max_seen.map(|m| m.saturating_sub(self.lateness))
    }

    /// Applies a batch of events (any order; the batch's insertion order breaks ties of one
    /// user at one microsecond), then closes what the new watermark decides.
    ///
    /// # Errors
    /// [`Error::LateEvent`] with [`LateEvents::Error`] when an event is late (nothing applied);
    /// [`Error::InvalidPath`] when an event's time is outside [`chrono::DateTime`]'s range or the
    /// stream's vocabulary would exceed `u32::MAX` channels (nothing applied).
    pub fn push(&mut self, batch: &EventLog) -> Result<PushReport> {
        let before = self.watermark();
        let is_late = |t: i64| before.is_some_and(|w| t < w);
        if self.config.late_events == LateEvents::Error
            && let Some(ev) = batch.events.iter().find(|e| is_late(e.time))
        {
            return Err(Error::LateEvent {
                user_id: batch.user_name(ev.user).to_string(),
                at: ev.time,
                watermark: before.unwrap_or(i64::MIN),
            });
        }
        // Every closed journey's times become `DateTime`s: check them before applying anything.
        for ev in &batch.events {
            datetime(ev.time)?;
        }
        let remap = batch
            .channels
            .iter()
            .map(|(_, name)| self.channels.intern(name).map(|id| id.0))
            .collect::<Result<Vec<u32>>>()?;
        let mut report = PushReport::default();
        let mut latest = None::<i64>;
        for ev in &batch.events {
            let seq = self.seq + u64::from(ev.seq);
            let user = batch.user_name(ev.user);
            let (channel, count, value, order_id) = if ev.channel != NONE {
                (remap[ev.channel as usize], 0.0, 0.0, None)
            } else {
                let (c, v) = batch.conversions[ev.conversion as usize];
                (NONE, c, v, batch.order_id(ev.conversion))
            };
            if is_late(ev.time) {
                report.late += 1;
                self.late_event(
                    user,
                    ev.time,
                    before.unwrap_or(i64::MIN),
                    channel,
                    count,
                    value,
                    order_id,
                );
                continue;
            }
            report.accepted += 1;
            latest = latest.max(Some(ev.time));
            if channel != NONE {
                self.cutter.report.touches += 1;
            } else {
                self.cutter.report.conversion_events += 1;
            }
            let slot = self.slot(user);
            self.buffer(
                slot,
                Buffered {
                    time: ev.time,
                    seq,
                    channel,
                    count,
                    value,
                    order_id: order_id.map(Into::into),
                },
            );
        }
        self.seq += batch.events.len() as u64;
        self.max_seen = self.max_seen.max(latest);
        let (j, u) = (self.closed.journeys.len(), self.closed.unattributed.len());
        self.process()?;
        report.closed = (self.closed.journeys.len() - j) as u64;
        report.unattributed = (self.closed.unattributed.len() - u) as u64;
        report.watermark = self.watermark();
        Ok(report)
    }

    /// Moves the watermark to at least `now − allowed_lateness` without an event (for example
    /// on a clock tick when no event came), and closes what it decides. Returns the number of
    /// journeys and unattributed conversions closed.
    ///
    /// # Errors
    /// As [`JourneyStream::push`].
    pub fn advance(&mut self, now: i64) -> Result<usize> {
        let n = self.closed.journeys.len() + self.closed.unattributed.len();
        self.max_seen = self.max_seen.max(Some(now));
        self.process()?;
        Ok(self.closed.journeys.len() + self.closed.unattributed.len() - n)
    }

    /// The end of the stream: every buffered event is applied and every journey closed; the
    /// state is empty afterwards and every later event is late. Returns the number of journeys
    /// and unattributed conversions closed.
    ///
    /// # Errors
    /// As [`JourneyStream::push`].
    pub fn flush(&mut self) -> Result<usize> {
        let n = self.closed.journeys.len() + self.closed.unattributed.len();
        self.flushed = true;
        for slot in 0..self.users.len() as u32 {
            if self.users[slot as usize].is_some() {
                self.run(slot, i64::MAX, true)?;
            }
        }
        self.users = Vec::new();
        self.free = Vec::new();
        self.index = TagIndex::default();
        Ok(self.closed.journeys.len() + self.closed.unattributed.len() - n)
    }

    /// Removes and returns the journeys and unattributed conversions closed so far, in the
    /// order they closed.
    pub fn take_closed(&mut self) -> Journeys {
        self.closed.take()
    }

    /// The journeys and unattributed conversions closed and not yet taken.
    pub fn closed(&self) -> &Journeys {
        &self.closed
    }

    /// Counts so far and the state held.
    pub fn report(&self) -> StreamReport {
        let slots = self.users.iter().flatten();
        StreamReport {
            journeys: self.cutter.report.clone(),
            late: self.late.clone(),
            active_users: self.users.len() - self.free.len(),
            buffered_events: slots.clone().map(|s| s.buffered.len()).sum(),
            pending_touches: slots.map(|s| s.cut.pending.len()).sum(),
            watermark: self.watermark(),
        }
    }

    /// Approximate heap bytes held: user states (names, buffered events, pending touches), the
    /// indexes, the channel vocabulary's ids, and the closed journeys not yet taken.
    pub fn heap_bytes(&self) -> usize {
        let slots: usize = self
            .users
            .iter()
            .flatten()
            .map(|s| {
                s.name.len()
                    + s.buffered.capacity() * size_of::<Buffered>()
                    + s.buffered
                        .iter()
                        .filter_map(|b| b.order_id.as_ref())
                        .map(|o| o.len())
                        .sum::<usize>()
                    + s.cut.pending.capacity() * size_of::<(u32, i64)>()
            })
            .sum();
        let closed: usize = self
            .closed
            .journeys
            .iter()
            .map(|j| {
                size_of_val(j)
                    + j.touches.capacity() * size_of::<crate::Touchpoint>()
                    + j.touches.iter().map(|t| t.channel.len()).sum::<usize>()
                    + j.user_id.as_ref().map_or(0, String::len)
                    + j.conversion_id.as_ref().map_or(0, String::len)
            })
            .sum();
        self.users.capacity() * size_of::<Option<UserSlot>>()
            + slots
            + self.free.capacity() * size_of::<u32>()
            + self.index.heap_bytes()
            // A B-tree entry with its share of node overhead: about 1.5 × the key.
            + self.timers.len() * size_of::<(i64, u32)>() * 3 / 2
            + closed
            + self.late.details.capacity() * size_of::<LateEvent>()
    }

    #[allow(clippy::too_many_arguments)]
    fn late_event(
        &mut self,
        user: &str,
        at: i64,
        watermark: i64,
        channel: u32,
        count: f64,
        value: f64,
        order_id: Option<&str>,
    ) {
        let l = &mut self.late;
        if channel != NONE {
            l.touches += 1;
        } else {
            l.conversion_events += 1;
            l.conversions += count;
            l.value += value;
        }
        if l.details.len() < MAX_SKIPPED_DETAILS {
            l.details.push(LateEvent {
                user_id: user.to_string(),
                at,
                watermark,
                channel: (channel != NONE)
                    .then(|| self.channels.name(crate::ChannelId(channel)).to_string()),
                conversions: count,
                value,
                order_id: order_id.map(str::to_string),
            });
        }
    }

    /// The slot of `user`, opened if the user has no state.
    fn slot(&mut self, user: &str) -> u32 {
        let h = hash_name(user);
        let users = &self.users;
        let found = self.index.find(h, |s| {
            users[s as usize].as_ref().is_some_and(|u| &*u.name == user)
        });
        if let Some(s) = found {
            return s;
        }
        let state = UserSlot {
            name: user.into(),
            buffered: Vec::new(),
            cut: UserCut::default(),
            due: None,
        };
        let s = match self.free.pop() {
            Some(s) => {
                self.users[s as usize] = Some(state);
                s
            }
            None => {
                self.users.push(Some(state));
                // A stream holds fewer than 2^32 active users: each takes far more than 1 byte.
                (self.users.len() - 1) as u32
            }
        };
        self.index.insert_unique(h, s);
        self.cutter.report.users += 1;
        s
    }

    fn buffer(&mut self, slot: u32, ev: Buffered) {
        let Some(u) = self.users[slot as usize].as_mut() else {
            return; // `slot` was just opened
        };
        let due = u.due.map_or(ev.time, |d| d.min(ev.time));
        u.buffered.push(ev);
        self.set_due(slot, Some(due));
    }

    fn set_due(&mut self, slot: u32, due: Option<i64>) {
        let Some(u) = self.users[slot as usize].as_mut() else {
            return;
        };
        if u.due == due {
            return;
        }
        if let Some(old) = u.due {
            self.timers.remove(&(old, slot));
        }
        if let Some(new) = due {
            self.timers.insert((new, slot));
        }
        u.due = due;
    }

    /// Processes every user whose due time the watermark has passed.
    fn process(&mut self) -> Result<()> {
        let Some(w) = self.watermark() else {
            return Ok(());
        };
        while let Some(&(due, slot)) = self.timers.first() {
            if due >= w {
                break;
            }
            self.run(slot, w, false)?;
        }
        Ok(())
    }

    /// Applies the user's events before `w`, closes what `w` decides (everything with
    /// `finish`), reschedules or frees the slot.
    fn run(&mut self, slot: u32, w: i64, finish: bool) -> Result<()> {
        let Some(mut u) = self.users[slot as usize].take() else {
            return Ok(());
        };
        u.buffered.sort_unstable_by_key(|b| (b.time, b.seq));
        let ready = u.buffered.partition_point(|b| b.time < w || finish);
        let mut sink = JourneySink {
            channels: &self.channels,
            out: &mut self.closed,
        };
        let mut r = Ok(());
        for b in &u.buffered[..ready] {
            if b.channel != NONE {
                u.cut.pending.push((b.channel, b.time));
                continue;
            }
            let c = Conversion {
                at: b.time,
                count: b.count,
                value: b.value,
                order_id: b.order_id.as_deref(),
            };
            r = self.cutter.convert(&mut u.cut, &u.name, c, &mut sink);
            if r.is_err() {
                break;
            }
        }
        u.buffered.drain(..ready);
        r = r.and_then(|()| {
            if finish {
                self.cutter.finish(&mut u.cut, &u.name, &mut sink)
            } else {
                self.cutter.expire(&mut u.cut, &u.name, w, &mut sink)
            }
        });
        // Idle users are most of the state: keep only what they hold.
        if u.buffered.is_empty() {
            u.buffered = Vec::new();
        }
        let p = &mut u.cut.pending;
        if p.capacity() > 2 * p.len() + 4 {
            p.shrink_to_fit();
        }
        let due = u
            .buffered
            .first()
            .map(|b| b.time)
            .into_iter()
            .chain(self.cutter.null_due(&u.cut))
            .min();
        let empty = u.buffered.is_empty() && u.cut.is_empty();
        let name_hash = hash_name(&u.name);
        self.users[slot as usize] = Some(u);
        self.set_due(slot, due.filter(|_| !empty));
        if empty {
            self.index.remove(name_hash, |s| s == slot);
            self.users[slot as usize] = None;
            self.free.push(slot);
            if !finish && self.free.len() > 1024 && self.free.len() * 4 > self.users.len() * 3 {
                self.compact();
            }
        }
        r
    }

    /// Renumbers the used slots densely and releases the rest, so memory follows the active
    /// users down as well as up (amortized O(1) per eviction: it runs when 3/4 are free).
    fn compact(&mut self) {
        let mut users: Vec<Option<UserSlot>> = std::mem::take(&mut self.users)
            .into_iter()
            .filter(Option::is_some)
            .collect();
        users.shrink_to_fit();
        self.users = users;
        self.free = Vec::new();
        self.reindex();
    }

    /// Rebuilds the name index and the timers from the slots (after a restore).
    pub(crate) fn reindex(&mut self) {
        self.lateness = lateness_us(&self.config);
        self.index = TagIndex::default();
        self.index.reserve(self.users.len() - self.free.len());
        self.timers.clear();
        for u in self.users.iter_mut().flatten() {
            u.due = None;
        }
        let slots: Vec<u32> = (0..self.users.len() as u32)
            .filter(|&s| self.users[s as usize].is_some())
            .collect();
        for s in slots {
            let Some(u) = self.users[s as usize].as_ref() else {
                continue;
            };
            let h = hash_name(&u.name);
            let due = u
                .buffered
                .iter()
                .map(|b| b.time)
                .min()
                .into_iter()
                .chain(self.cutter.null_due(&u.cut))
                .min();
            self.index.insert_unique(h, s);
            self.set_due(s, due);
        }
    }

    /// A restored stream from its parts (checked by the caller).
    pub(crate) fn from_parts(config: StreamConfig, report: JourneyReport) -> JourneyStream {
        let mut cutter = Cutter::new(&config.journeys);
        cutter.report = report;
        JourneyStream {
            lateness: lateness_us(&config),
            cutter,
            config,
            channels: Channels::new(),
            users: Vec::new(),
            free: Vec::new(),
            index: TagIndex::default(),
            timers: BTreeSet::new(),
            max_seen: None,
            flushed: false,
            seq: 0,
            closed: Journeys::default(),
            late: LateReport::default(),
        }
    }

    /// A new user slot for a restore.
    pub(crate) fn restored_slot(name: Box<str>, buffered: Vec<Buffered>, cut: UserCut) -> UserSlot {
        UserSlot {
            name,
            buffered,
            cut,
            due: None,
        }
    }
}

/// The allowed lateness in µs of a validated configuration.
fn lateness_us(config: &StreamConfig) -> i64 {
    config
        .allowed_lateness
        .num_microseconds()
        .unwrap_or(i64::MAX)
}
