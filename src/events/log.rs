//! The compact in-memory event store the journey builder sorts and walks.

use crate::channel::{ChannelId, Channels, Interner, NameCache};
use crate::error::{Error, ParseProblem, Result};

/// Sentinel for "no channel" / "no conversion" in [`Event`].
pub(crate) const NONE: u32 = u32::MAX;

/// One event, 24 bytes: exactly one of `channel` (a touch) and `conversion` (an index into
/// [`EventLog::conversions`]) is set. `seq` is the insertion order, so an unstable sort by
/// `(user, time, seq)` is a stable sort by `(user, time)` without a merge buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Event {
    pub time: i64,
    pub user: u32,
    pub channel: u32,
    pub conversion: u32,
    pub seq: u32,
}

/// Touch and conversion events of many users, stored compactly for
/// [`EventLog::build`](crate::events::EventLog::build).
///
/// Users are interned to `u32`, channels to [`ChannelId`]s of the log's own vocabulary; an event
/// takes 24 bytes (plus 16 per conversion for its count and value, and 16 more plus the text
/// for its order id once any conversion has one), in any order: the builder sorts them. Memory
/// is therefore about `24·events + 16·conversions + ~(30 + len)·users` bytes.
///
/// ```
/// use touchpoint::events::{EventLog, JourneyOptions};
/// let day = 86_400_000_000i64; // µs
/// let mut log = EventLog::new();
/// log.add_touch("u1", 2 * day, "Email")?;
/// log.add_touch("u1", 0, "Search")?;
/// log.add_conversion("u1", 3 * day, 1.0, 40.0)?;
/// log.add_touch("u2", day, "Display")?;
/// let (table, report) = log.build(&JourneyOptions::default())?;
/// assert_eq!(report.converting_journeys, 1);
/// assert_eq!(report.null_journeys, 1);
/// let rows = table.to_named_rows();
/// assert_eq!(rows[0].0, ["Search", "Email"]);
/// # Ok::<(), touchpoint::Error>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct EventLog {
    /// User names by id, interned.
    users: Interner,
    pub(crate) channels: Channels,
    /// Ids of `channels` by the bytes of the names they were added under (a touch's channel
    /// found without hashing its name; cleared whenever the ids change).
    channel_cache: NameCache,
    pub(crate) events: Vec<Event>,
    /// `(count, value)` of each conversion event.
    pub(crate) conversions: Vec<(f64, f64)>,
    /// The order id of each conversion; empty until the first conversion with an id.
    order_ids: Vec<Option<Box<str>>>,
    touches: u64,
    /// True while `events` is sorted by `(user, time, seq)`.
    sorted: bool,
}

/// A validated row, ready to be stored (nothing is stored for a bad row).
pub(crate) struct Parsed<'a> {
    pub user: &'a str,
    /// `Interner::tag(user)` when the reader computed it already (in parallel).
    pub user_tag: Option<u32>,
    pub time: i64,
    pub channel: Option<&'a str>,
    /// `(count, value)` when the row is a conversion.
    pub conversion: Option<(f64, f64)>,
    /// The conversion's order id (non-empty), if any.
    pub order_id: Option<&'a str>,
}

impl EventLog {
    /// An empty log.
    pub fn new() -> Self {
        EventLog {
            sorted: true,
            ..Default::default()
        }
    }

    /// Number of stored events (a conversion row that is also a touch counts twice).
    pub fn len(&self) -> usize {
        self.events.len()
    }

    /// True when no event is stored.
    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    /// Loads the index slot and name that adding an event of a user of tag `tag`
    /// (`Interner::tag`) will read (see `Interner::touch`).
    #[inline]
    pub(crate) fn touch_user(&self, tag: u32) -> u64 {
        self.users.touch(tag)
    }

    /// Number of distinct users.
    pub fn users(&self) -> usize {
        self.users.len()
    }

    /// Removes every event, user and channel (keeping the allocations), for example to reuse
    /// one log for each batch fed to a [`JourneyStream`](crate::events::JourneyStream).
    pub fn clear(&mut self) {
        self.users.clear();
        self.channels = Channels::new();
        self.channel_cache = NameCache::default();
        self.events.clear();
        self.conversions.clear();
        self.order_ids.clear();
        self.touches = 0;
        self.sorted = true;
    }

    /// The name of user `id` (ids are issued in order of first appearance, and renumbered in
    /// name order by the canonical sort).
    pub(crate) fn user_name(&self, id: u32) -> &str {
        self.users.name(id)
    }

    /// The order id of conversion `index`, if it has one.
    pub(crate) fn order_id(&self, index: u32) -> Option<&str> {
        self.order_ids
            .get(index as usize)
            .and_then(|o| o.as_deref())
    }

    /// Number of touch events.
    pub fn touches(&self) -> u64 {
        self.touches
    }

    /// Number of conversion events.
    pub fn conversion_events(&self) -> usize {
        self.conversions.len()
    }

    /// The channels of the log's touches, in order of first appearance.
    pub fn channels(&self) -> &Channels {
        &self.channels
    }

    /// Approximate heap bytes held (events, conversions, order ids, users and their names).
    pub fn heap_bytes(&self) -> usize {
        self.events.capacity() * size_of::<Event>()
            + self.conversions.capacity() * size_of::<(f64, f64)>()
            + self.order_ids.capacity() * size_of::<Option<Box<str>>>()
            + self
                .order_ids
                .iter()
                .flatten()
                .map(|o| o.len())
                .sum::<usize>()
            + self.users.heap_bytes()
    }

    /// Adds a touch of `user` on `channel` at `at` (µs since the Unix epoch, UTC).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for an empty user id, an empty or reserved channel name, or
    /// more than `u32::MAX` events or users.
    pub fn add_touch(&mut self, user: &str, at: i64, channel: &str) -> Result<()> {
        self.add_api(user, at, Some(channel), None, None)
    }

    /// Adds a conversion event of `user` at `at` (µs since the epoch): `conversions` conversions
    /// (normally 1) worth `value` in total.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for an empty user id, `conversions` not finite and > 0,
    /// `value` not finite and ≥ 0, or more than `u32::MAX` events or users.
    pub fn add_conversion(
        &mut self,
        user: &str,
        at: i64,
        conversions: f64,
        value: f64,
    ) -> Result<()> {
        self.add_api(user, at, None, Some((conversions, value)), None)
    }

    /// Like [`EventLog::add_conversion`], with the conversion's order id: the built journey's
    /// [`conversion_id`](crate::Journey::conversion_id) (otherwise generated, see
    /// [`Journey`](crate::Journey)).
    ///
    /// # Errors
    /// As [`EventLog::add_conversion`]; also for an empty `order_id`.
    pub fn add_conversion_with_id(
        &mut self,
        user: &str,
        at: i64,
        conversions: f64,
        value: f64,
        order_id: &str,
    ) -> Result<()> {
        if order_id.is_empty() {
            return Err(api_error(ParseProblem::EmptyField {
                field: "order_id".into(),
            }));
        }
        self.add_api(user, at, None, Some((conversions, value)), Some(order_id))
    }

    /// [`EventLog::add`] for the public adders, with their errors.
    fn add_api(
        &mut self,
        user: &str,
        time: i64,
        channel: Option<&str>,
        conversion: Option<(f64, f64)>,
        order_id: Option<&str>,
    ) -> Result<()> {
        self.add(&Parsed {
            user,
            user_tag: None,
            time,
            channel,
            conversion,
            order_id,
        })
        .map_err(api_error)
    }

    /// Stores a row: its touch (if it names a channel), then its conversion (if any), so that
    /// a converting row's own touch belongs to the journey it closes. Checks everything before
    /// storing anything.
    pub(crate) fn add(&mut self, row: &Parsed<'_>) -> std::result::Result<(), ParseProblem> {
        if row.user.is_empty() {
            return Err(ParseProblem::EmptyField {
                field: "user".into(),
            });
        }
        if let Some((count, value)) = row.conversion {
            check_conversion(count, value)?;
        }
        let channel = match row.channel {
            Some(name) => Some(match self.channel_cache.get(name.as_bytes()) {
                Some(id) => id,
                None => {
                    let id = self.channels.intern(name).map_err(|e| match e {
                        Error::InvalidPath(ParseProblem::EmptyToken { .. }) => {
                            ParseProblem::EmptyField {
                                field: "channel".into(),
                            }
                        }
                        Error::InvalidPath(p) => p,
                        _ => too_many("channels"),
                    })?;
                    self.channel_cache.insert(name.as_bytes(), id);
                    id
                }
            }),
            None => None,
        };
        let new = usize::from(channel.is_some()) + usize::from(row.conversion.is_some());
        if self.events.len() + new > NONE as usize {
            return Err(too_many("events"));
        }
        // `intern` keeps `u32::MAX` (NONE) free.
        let tag = row.user_tag.unwrap_or_else(|| Interner::tag(row.user));
        let user = self
            .users
            .intern_tagged(row.user, tag)
            .ok_or_else(|| too_many("users"))?;
        // Canonical ids (users and channels in name order) are assigned by `sort`.
        self.sorted = false;
        let mut push = |channel: u32, conversion: u32| {
            let seq = self.events.len() as u32; // < NONE: checked above
            self.events.push(Event {
                time: row.time,
                user,
                channel,
                conversion,
                seq,
            });
        };
        if let Some(ChannelId(c)) = channel {
            push(c, NONE);
            self.touches += 1;
        }
        if let Some(c) = row.conversion {
            push(NONE, self.conversions.len() as u32);
            if let Some(id) = row.order_id.filter(|id| !id.is_empty()) {
                self.order_ids.resize(self.conversions.len(), None);
                self.order_ids.push(Some(id.into()));
            }
            self.conversions.push(c);
        }
        Ok(())
    }

    /// Puts the log in canonical order: users and channels renumbered in name order, events
    /// sorted by `(user, time)`, ties (one user, one instant) in insertion order, since the
    /// input order is the only sign of which came first. So the same events in any order that
    /// keeps the order of such ties give the same journeys, the same table and the same
    /// results to the last bit. A no-op when nothing was added since.
    pub(crate) fn sort(&mut self) {
        if self.sorted {
            return;
        }
        let users = name_order(
            self.users
                .names()
                .iter()
                .enumerate()
                .map(|(id, name)| (&**name, id as u32)),
        );
        self.users.renumber(&users);
        let order = self.channels.ids_by_name();
        let mut channels = vec![0u32; order.len()];
        let mut vocabulary = Channels::new();
        for (new, old) in order.iter().enumerate() {
            channels[old.index()] = new as u32;
            // Names of an existing vocabulary are valid and distinct.
            let _ = vocabulary.intern(self.channels.name(*old));
        }
        self.channels = vocabulary;
        self.channel_cache = NameCache::default();
        crate::par::for_each_chunk_mut(&mut self.events, 1 << 16, |part| {
            for e in part {
                e.user = users[e.user as usize];
                if e.channel != NONE {
                    e.channel = channels[e.channel as usize];
                }
            }
        });
        sort_by_user(&mut self.events, self.users.len());
        self.sorted = true;
    }
}

/// Sorts `events` (of users `0..users`) by `(user, time, seq)`: a counting sort by user (each
/// thread places the events of its own range of users, into its own part of the output), then
/// each user's events by `(time, seq)` where they are not in that order already (they usually
/// are: logs come in time order). `seq` tells every event apart, so the order is total and
/// the result is that of any sort by the same key.
///
/// # Complexity
/// O(E·t) reads for t threads, O(E) writes, and O(E log E) only for users whose events are out
/// of order; 24·E bytes for the output and 4·U for the counts beside the input.
fn sort_by_user(events: &mut Vec<Event>, users: usize) {
    if events.len() < 2 {
        return;
    }
    // Events per user, counted in slices in parallel; `starts[u]` is then where user u's
    // events begin. Fits: fewer than u32::MAX events (their `seq` is a u32).
    let slices = crate::par::threads().max(1);
    let slice = events.len().div_ceil(slices);
    let counts = crate::par::map_tasks(slices, |k| {
        let mut c = crate::buffers::filled(users + 1, 0u32);
        for e in events.iter().skip(k * slice).take(slice) {
            c[e.user as usize + 1] += 1;
        }
        c
    });
    let mut counts = counts.into_iter();
    let mut starts = counts
        .next()
        .unwrap_or_else(|| crate::buffers::filled(users + 1, 0));
    for c in counts {
        starts.iter_mut().zip(c).for_each(|(s, c)| *s += c);
    }
    for u in 0..users {
        starts[u + 1] += starts[u];
    }
    // Ranges of users with about the same number of events, one a thread.
    let ranges = crate::par::threads().clamp(1, users.max(1));
    let n = events.len();
    let mut bounds: Vec<usize> = (0..=ranges)
        .map(|k| {
            starts
                .partition_point(|&s| (s as usize) < n * k / ranges)
                .min(users)
        })
        .collect();
    bounds[0] = 0;
    bounds[ranges] = users;
    bounds.dedup();
    let filler = events[0];
    // Filled in parallel: the pages of the output are first touched on every thread.
    let mut out = crate::par::map_range(n, |_| filler);
    let mut parts = Vec::with_capacity(bounds.len());
    let mut rest = &mut out[..];
    for w in bounds.windows(2) {
        let len = (starts[w[1]] - starts[w[0]]) as usize;
        let (part, tail) = std::mem::take(&mut rest).split_at_mut(len);
        parts.push((part, w[0]..w[1]));
        rest = tail;
    }
    let input = &events[..];
    let starts = &starts[..];
    crate::par::for_each_chunk_mut(&mut parts, 1, |part| {
        for (out, range) in part.iter_mut() {
            let base = starts[range.start];
            let mut next: Vec<u32> = starts[range.clone()].iter().map(|&s| s - base).collect();
            for e in input {
                let u = e.user as usize;
                if range.contains(&u) {
                    let at = &mut next[u - range.start];
                    out[*at as usize] = *e;
                    *at += 1;
                }
            }
            for u in range.clone() {
                let one = &mut out[(starts[u] - base) as usize..(starts[u + 1] - base) as usize];
                let key = |e: &Event| (e.time, e.seq);
                if !one.is_sorted_by_key(key) {
                    one.sort_unstable_by_key(key);
                }
            }
        }
    });
    *events = out;
}

/// `rank[id]` = the position of `id`'s name in name order, for ids `0..n` given with their names.
fn name_order<'a>(names: impl Iterator<Item = (&'a str, u32)>) -> Vec<u32> {
    let mut by_name: Vec<(&str, u32)> = names.collect();
    // Names are distinct: the order is total, the same on any number of threads.
    crate::par::sort_unstable_by(&mut by_name, |a, b| a.cmp(b));
    let mut rank = vec![0u32; by_name.len()];
    for (new, &(_, old)) in by_name.iter().enumerate() {
        rank[old as usize] = new as u32;
    }
    rank
}

/// Conversion count finite and > 0, value finite and ≥ 0 (NaN-aware).
pub(crate) fn check_conversion(count: f64, value: f64) -> std::result::Result<(), ParseProblem> {
    if !(count.is_finite() && count > 0.0) {
        return Err(ParseProblem::InvalidCount {
            field: "conversion".into(),
            value: count,
            reason: "a conversion count must be finite and > 0",
        });
    }
    if !(value.is_finite() && value >= 0.0) {
        return Err(ParseProblem::InvalidCount {
            field: "value".into(),
            value,
            reason: "must be finite and >= 0",
        });
    }
    Ok(())
}

fn too_many(what: &str) -> ParseProblem {
    ParseProblem::InvalidCount {
        field: what.into(),
        value: f64::from(NONE),
        reason: "one event log holds fewer than 2^32 - 1 events, users and channels",
    }
}

fn api_error(p: ParseProblem) -> Error {
    Error::InvalidParameter {
        model: "EventLog",
        name: "event",
        reason: p.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_event_is_24_bytes() {
        assert_eq!(size_of::<Event>(), 24);
    }

    #[test]
    fn bad_events_store_nothing() {
        let mut log = EventLog::new();
        assert!(log.add_touch("", 0, "A").is_err());
        assert!(log.add_touch("u", 0, "").is_err());
        assert!(log.add_touch("u", 0, "(null)").is_err());
        assert!(log.add_conversion("u", 0, 0.0, 1.0).is_err());
        assert!(log.add_conversion("u", 0, f64::NAN, 1.0).is_err());
        assert!(log.add_conversion("u", 0, 1.0, -1.0).is_err());
        assert!(log.add_conversion("u", 0, 1.0, f64::INFINITY).is_err());
        assert!(log.is_empty());
        assert_eq!(log.users(), 0);
        // a converting row with a bad channel stores neither part
        let bad = Parsed {
            user: "u",
            user_tag: None,
            time: 0,
            channel: Some("(start)"),
            conversion: Some((1.0, 1.0)),
            order_id: Some("o1"),
        };
        assert!(log.add(&bad).is_err());
        assert!(log.is_empty() && log.conversion_events() == 0);
    }

    #[test]
    fn the_counting_sort_orders_as_a_sort_by_user_time_and_seq() {
        use rand::{RngExt, SeedableRng};
        let mut rng = rand::rngs::Xoshiro256PlusPlus::seed_from_u64(5);
        for (n, users) in [(0, 1), (1, 1), (2, 3), (500, 7), (5000, 1200), (3000, 1)] {
            let mut events: Vec<Event> = (0..n)
                .map(|i| Event {
                    // Few distinct times: many ties, told apart by `seq` alone.
                    time: rng.random_range(-3..4),
                    user: rng.random_range(0..users as u32),
                    channel: i,
                    conversion: NONE,
                    // Not the position: a log sorted once and added to again.
                    seq: (i * 7919) % (n.max(1) * 8),
                })
                .collect();
            let mut expected = events.clone();
            expected.sort_by_key(|e| (e.user, e.time, e.seq));
            sort_by_user(&mut events, users);
            assert_eq!(events, expected, "{n} events of {users} users");
        }
    }

    #[test]
    fn sort_is_stable_for_ties_and_tracks_sortedness() {
        let order = |log: &EventLog| -> Vec<String> {
            log.events
                .iter()
                .map(|e| match e.channel {
                    NONE => format!("conv{}", log.conversions[e.conversion as usize].0),
                    c => log.channels.name(ChannelId(c)).to_string(),
                })
                .collect()
        };
        let mut log = EventLog::new();
        log.add_touch("b", 5, "X").unwrap();
        log.add_touch("a", 5, "Z").unwrap();
        log.add_conversion("a", 5, 2.0, 0.0).unwrap();
        log.add_touch("a", 5, "Y").unwrap();
        log.add_touch("a", 1, "W").unwrap();
        assert!(!log.sorted);
        log.sort();
        assert!(log.sorted);
        // Users in name order (a before b, whatever came first); a's ties at time 5 keep input
        // order; channel ids in name order.
        assert_eq!(order(&log), ["W", "Z", "conv2", "Y", "X"]);
        let users: Vec<u32> = log.events.iter().map(|e| e.user).collect();
        assert_eq!(users, [0, 0, 0, 0, 1]);
        let names: Vec<&str> = log.channels.iter().map(|(_, n)| n).collect();
        assert_eq!(names, ["W", "X", "Y", "Z"]);
        // The same events, the ties still in their order, give the same log.
        let mut shuffled = EventLog::new();
        shuffled.add_touch("a", 1, "W").unwrap();
        shuffled.add_touch("a", 5, "Z").unwrap();
        shuffled.add_touch("b", 5, "X").unwrap();
        shuffled.add_conversion("a", 5, 2.0, 0.0).unwrap();
        shuffled.add_touch("a", 5, "Y").unwrap();
        shuffled.sort();
        assert_eq!(order(&shuffled), order(&log));
        let again: Vec<u32> = shuffled.events.iter().map(|e| e.user).collect();
        assert_eq!(again, users);
    }
}
