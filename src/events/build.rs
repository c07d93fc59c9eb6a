//! From sorted events to journeys: lookback window, reset after conversion, null journeys.

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use super::cut::{Conversion, ConversionId, Cut, Cutter, Ledger, Sink, UserCut};
use super::log::{EventLog, NONE};
use super::parts::{Built, PART_EVENTS, TableSink, user_parts};
use crate::channel::Channels;
use crate::error::{Error, ParseProblem, Result};
use crate::journey::{Journey, Touchpoint};
use crate::table::{DEFAULT_MAX_PATH_LEN, PathTable};

/// What becomes of the touches no conversion claims (see [`JourneyOptions`], rules 2 and 4).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NullJourneys {
    /// The default: touches after a user's last conversion form the null journey(s); touches
    /// before a conversion but outside its lookback window are dropped (and counted). Whether a
    /// touch ends up dropped or in a null journey depends on whether the user ever converts
    /// again, so this needs the whole log: the batch builder only.
    #[default]
    AfterLastConversion,
    /// Every touch that no conversion claims is in a null journey: the touches of the user
    /// since the previous journey that are more than `lookback` before the next conversion (or
    /// all of them when no conversion follows). A null journey also ends where the next touch is
    /// more than `lookback` after the null journey's first touch (so no journey, converting or
    /// not, spans more than the lookback), or at an inactivity gap. Nothing is dropped. Each
    /// decision needs only the events up to `lookback` later, so the incremental
    /// [`JourneyStream`](crate::events::JourneyStream) can use it (and requires it): it cuts
    /// exactly the journeys the batch builder cuts with this rule.
    Windowed,
}

/// How [`EventLog::build`] cuts each user's events into journeys (the
/// [model reference](crate::reference), §Conventions / Path tables).
///
/// Per user, events are ordered by time; ties keep input order (a converting row's own touch
/// comes just before its conversion). Then:
///
/// 1. **Reset after conversion.** Each conversion event closes a journey made of the touches
///    since the previous conversion of the same user (or since the user's first event); the next
///    journey starts empty.
/// 2. **Lookback window.** Of those touches, only the ones at most `lookback` before the
///    conversion are kept: a touch at `τ` belongs to a conversion at `T` iff
///    `T − lookback ≤ τ ≤ T` (**inclusive**: a touch exactly `lookback` before counts). Older
///    touches are dropped ([`JourneyReport::dropped_touches`]); they do not start a journey of
///    their own.
///    With [`NullJourneys::Windowed`] they become null journeys instead (rule 4).
/// 3. **Unattributed conversions.** A conversion with no touch left is not a journey (a path
///    cannot be empty); it is counted with its value in [`JourneyReport`] (and listed, with its
///    key, by [`EventLog::build_journeys`]).
/// 4. **Null journeys.** Touches after a user's last conversion form one non-converting journey
///    (`total_null` = 1), or several when `inactivity_timeout` is set: a gap *longer* than the
///    timeout between two consecutive touches starts a new one. [`NullJourneys::Windowed`]
///    makes every unclaimed touch part of a null journey, none longer than the lookback.
/// 5. **Merging repeats** (optional). Within a journey, a touch on the same channel as the
///    previous touch and at most `merge_repeats_within` after it is folded into it (the run keeps
///    its first timestamp, like a session; the gap is measured from the previous touch, so a
///    chain of close touches is one). Counted in [`JourneyReport::merged_touches`].
/// 6. **Long journeys** keep their `max_touches` most recent touches; the others are counted in
///    [`JourneyReport::truncated_touches`].
///
/// A conversion event of count k > 1 gives one journey with k conversions and the event's value.
///
/// With `keep_times` (the default) every journey is a timed row of the [`PathTable`] (touch
/// times and the conversion time kept, so [`TimeDecay`](crate::TimeDecay) decays over real
/// time); otherwise journeys with equal paths are summed into untimed rows, which is what
/// [`PathTable::without_times`] would give, built without the intermediate timed table.
///
/// ```
/// use touchpoint::events::JourneyOptions;
/// use chrono::TimeDelta;
/// let o = JourneyOptions::default();
/// assert_eq!(o.lookback, Some(TimeDelta::days(30)));
/// assert_eq!(o.inactivity_timeout, None);
/// assert!(o.keep_times);
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct JourneyOptions {
    /// How far back from a conversion touches count (default 30 days, GA4's default for
    /// acquisition key events); `None` keeps every touch since the previous conversion.
    pub lookback: Option<TimeDelta>,
    /// Split the trailing null journey at gaps longer than this (default `None`: one null journey
    /// per user).
    pub inactivity_timeout: Option<TimeDelta>,
    /// Fold repeated same-channel touches at most this far apart (default `None`: keep all).
    pub merge_repeats_within: Option<TimeDelta>,
    /// Keep timestamps on the journeys (default `true`).
    pub keep_times: bool,
    /// Most touches kept in one journey, the most recent ones (default
    /// [`DEFAULT_MAX_PATH_LEN`]).
    pub max_touches: usize,
    /// What becomes of touches no conversion claims (default
    /// [`NullJourneys::AfterLastConversion`]).
    pub nulls: NullJourneys,
}

impl Default for JourneyOptions {
    fn default() -> Self {
        JourneyOptions {
            lookback: Some(TimeDelta::days(30)),
            inactivity_timeout: None,
            merge_repeats_within: None,
            keep_times: true,
            max_touches: DEFAULT_MAX_PATH_LEN,
            nulls: NullJourneys::AfterLastConversion,
        }
    }
}

impl JourneyOptions {
    /// Checks the options.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] if `lookback` or `inactivity_timeout` is not positive,
    /// `merge_repeats_within` is negative, or `max_touches` is 0.
    pub fn validate(&self) -> Result<()> {
        let bad = |name, reason: String| Error::InvalidParameter {
            model: "journeys",
            name,
            reason,
        };
        for (name, d) in [
            ("lookback", self.lookback),
            ("inactivity_timeout", self.inactivity_timeout),
        ] {
            if let Some(d) = d.filter(|d| *d <= TimeDelta::zero()) {
                return Err(bad(name, format!("{d} must be > 0 (or unset)")));
            }
        }
        if let Some(d) = self.merge_repeats_within.filter(|d| *d < TimeDelta::zero()) {
            return Err(bad("merge_repeats_within", format!("{d} must be >= 0")));
        }
        if self.max_touches == 0 {
            return Err(bad("max_touches", "must be >= 1".into()));
        }
        Ok(())
    }
}

/// What [`EventLog::build`] did: every touch and conversion of the log is accounted for.
///
/// `touches = touches_in_journeys + dropped_touches + merged_touches + truncated_touches`, and
/// `conversion_events = converting_journeys + unattributed_events`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct JourneyReport {
    /// Users in the log (for a [`JourneyStream`](crate::events::JourneyStream): user states
    /// opened, so a user who comes back after their state was evicted counts again).
    pub users: u64,
    /// Touch events in the log.
    pub touches: u64,
    /// Conversion events in the log.
    pub conversion_events: u64,
    /// Journeys built (`converting_journeys + null_journeys`).
    pub journeys: u64,
    /// Journeys closed by a conversion.
    pub converting_journeys: u64,
    /// Non-converting journeys.
    pub null_journeys: u64,
    /// Conversions in converting journeys (the table's `total_conversions`).
    pub conversions: f64,
    /// Their value (the table's `total_conversion_value`).
    pub value: f64,
    /// Conversion events with no touch in their window.
    pub unattributed_events: u64,
    /// Conversions of those events (their counts summed).
    pub unattributed_conversions: f64,
    /// Value of those events.
    pub unattributed_value: f64,
    /// Touches older than the lookback window of the conversion that closed their journey.
    pub dropped_touches: u64,
    /// Touches folded into a previous same-channel touch.
    pub merged_touches: u64,
    /// Touches beyond `max_touches` in a long journey.
    pub truncated_touches: u64,
    /// Touches in the journeys of the table.
    pub touches_in_journeys: u64,
}

/// Journeys cut from an event log with their keys, and the conversions that got no journey.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Journeys {
    /// The journeys, each with its user id and (converting ones) conversion id and time.
    pub journeys: Vec<Journey>,
    /// Conversions with no touch in their window (not journeys: a path cannot be empty).
    pub unattributed: Vec<UnattributedConversion>,
}

impl Journeys {
    /// Adds every journey to a path table, returning the row each was written to (in journey
    /// order): with timed journeys (the builders' output) row `rows[i]` is journey `i`.
    ///
    /// # Errors
    /// As [`PathTable::add_journey`].
    pub fn add_to(&self, table: &mut PathTable) -> Result<Vec<usize>> {
        self.journeys.iter().map(|j| table.add_journey(j)).collect()
    }

    /// Removes and returns everything (keeps the allocations of `self`).
    pub fn take(&mut self) -> Journeys {
        Journeys {
            journeys: std::mem::take(&mut self.journeys),
            unattributed: std::mem::take(&mut self.unattributed),
        }
    }

    /// True when there is neither a journey nor an unattributed conversion.
    pub fn is_empty(&self) -> bool {
        self.journeys.is_empty() && self.unattributed.is_empty()
    }
}

/// A conversion event with no touch in its lookback window, with its keys.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UnattributedConversion {
    /// The user.
    pub user_id: String,
    /// The order id, or the generated id (rule in [`Journey`]).
    pub conversion_id: String,
    /// When it happened.
    pub converted_at: DateTime<Utc>,
    /// Conversions (the event's count, normally 1).
    pub conversions: f64,
    /// Their value.
    pub value: f64,
}

impl EventLog {
    /// Cuts the log into journeys (rules in [`JourneyOptions`]) and collects them in a new
    /// [`PathTable`]. The log is sorted in place first (once; later calls, for example with
    /// another lookback, reuse the order).
    ///
    /// Every channel of the log is in the table's vocabulary, also one whose touches were all
    /// dropped, so models report it with 0 credit. With `keep_times` (the default) row `i` of
    /// the table is journey `i` of [`EventLog::build_journeys`].
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for invalid options (see [`JourneyOptions::validate`]).
    ///
    /// # Complexity
    /// O(E log E) time for the sort of E events (parallel with the `parallel` feature), then
    /// O(E); extra memory O(touches of one user) plus the table (timed rows: about 12 bytes per
    /// touch and 40 per journey).
    pub fn build(&mut self, opts: &JourneyOptions) -> Result<(PathTable, JourneyReport)> {
        self.build_in_parts(opts, PART_EVENTS)
    }

    /// [`EventLog::build`] with the users cut in parts of about `part_events` events, in
    /// parallel (with the `parallel` feature), each into its own table; the parts are appended
    /// in order and their report sums made again in the serial order, so the table and the
    /// report are those of one serial cut, to the bit, whatever the part size.
    fn build_in_parts(
        &mut self,
        opts: &JourneyOptions,
        part_events: usize,
    ) -> Result<(PathTable, JourneyReport)> {
        opts.validate()?;
        self.sort();
        let mut empty = PathTable::new();
        empty.set_max_path_len(opts.max_touches);
        for (_, name) in self.channels.iter() {
            // Names of a vocabulary are valid; an empty table issues the same ids in the same
            // order, so the log's ids are the table's.
            empty.intern(name)?;
        }
        let parts = user_parts(&self.events, part_events);
        let cut = |part: &std::ops::Range<usize>| {
            let mut sink = TableSink {
                table: empty.clone(),
                keep_times: opts.keep_times,
            };
            let (report, ledger) = self.cut_events(part.clone(), opts, &mut sink, true)?;
            Ok::<_, Error>((sink.table, report, ledger))
        };
        let mut built = Built {
            table: None,
            timed: false,
            report: JourneyReport {
                touches: self.touches(),
                conversion_events: self.conversions.len() as u64,
                ..JourneyReport::default()
            },
        };
        // A wave of parts (one a thread) is cut while the calling thread appends the wave
        // before it, so that only two waves of parts are alive beside the table.
        let mut pending = Vec::new();
        for wave in parts.chunks(crate::par::threads().max(1)) {
            let previous = std::mem::take(&mut pending);
            let (added, cut) = crate::par::overlap(
                || built.add(previous),
                || crate::par::map_ordered(wave, cut),
            );
            added?;
            pending = cut;
        }
        built.add(pending)?;
        Ok((built.table.unwrap_or(empty), built.report))
    }

    /// Cuts the log into journeys like [`EventLog::build`], and returns them one by one with
    /// their keys (user id, conversion id, conversion time; see [`Journey`]) instead of a table,
    /// with the unattributed conversions. Journeys always carry their timestamps (`keep_times`
    /// only concerns tables). Order: users in order of first appearance, each user's journeys in
    /// the order they close.
    ///
    /// ```
    /// use touchpoint::events::{EventLog, JourneyOptions};
    /// let day = 86_400_000_000i64; // µs
    /// let mut log = EventLog::new();
    /// log.add_touch("u1", 0, "Search")?;
    /// log.add_conversion_with_id("u1", day, 1.0, 40.0, "order-7")?;
    /// log.add_conversion("u1", 2 * day, 1.0, 5.0)?; // no touch since the last conversion
    /// log.add_touch("u2", day, "Display")?;
    /// let (built, report) = log.build_journeys(&JourneyOptions::default())?;
    /// assert_eq!(built.journeys.len(), 2);
    /// let order = &built.journeys[0];
    /// assert_eq!(order.user_id.as_deref(), Some("u1"));
    /// assert_eq!(order.conversion_id.as_deref(), Some("order-7"));
    /// assert_eq!(built.journeys[1].conversion_id, None); // u2's null journey
    /// // the second conversion of u1 had no touch: listed with its generated id
    /// assert_eq!(built.unattributed[0].conversion_id, "u1@172800000000");
    /// assert_eq!(report.unattributed_events, 1);
    /// # Ok::<(), touchpoint::Error>(())
    /// ```
    ///
    /// # Errors
    /// As [`EventLog::build`]; [`Error::InvalidPath`] with [`ParseProblem::Timestamps`] for a
    /// time outside the range of [`DateTime<Utc>`].
    pub fn build_journeys(&mut self, opts: &JourneyOptions) -> Result<(Journeys, JourneyReport)> {
        opts.validate()?;
        self.sort();
        let mut out = Journeys::default();
        let mut sink = JourneySink {
            channels: &self.channels,
            out: &mut out,
        };
        let report = self.cut(opts, &mut sink)?;
        Ok((out, report))
    }

    /// Runs the rules over the sorted log.
    fn cut(&self, opts: &JourneyOptions, sink: &mut impl Sink) -> Result<JourneyReport> {
        let (mut report, _) = self.cut_events(0..self.events.len(), opts, sink, false)?;
        report.touches = self.touches();
        report.conversion_events = self.conversions.len() as u64;
        Ok(report)
    }

    /// Runs the rules over the users of `self.events[range]` (whole users of the sorted log),
    /// with the ledger of the report's sums when `ledger` (see [`Cutter::ledger`]).
    fn cut_events(
        &self,
        range: std::ops::Range<usize>,
        opts: &JourneyOptions,
        sink: &mut impl Sink,
        ledger: bool,
    ) -> Result<(JourneyReport, Ledger)> {
        let mut cutter = Cutter::new(opts);
        if ledger {
            cutter.ledger = Some(Vec::new());
        }
        let mut st = UserCut::default();
        for events in self.events[range].chunk_by(|a, b| a.user == b.user) {
            cutter.report.users += 1;
            let user = self.user_name(events[0].user);
            for ev in events {
                if ev.channel != NONE {
                    st.pending.push((ev.channel, ev.time));
                } else {
                    let (count, value) = self.conversions[ev.conversion as usize];
                    let c = Conversion {
                        at: ev.time,
                        count,
                        value,
                        order_id: self.order_id(ev.conversion),
                    };
                    cutter.convert(&mut st, user, c, sink)?;
                }
            }
            cutter.finish(&mut st, user, sink)?;
            st.last_conversion = None;
        }
        Ok((cutter.report, cutter.ledger.unwrap_or_default()))
    }
}

/// Journeys as owned [`Journey`] values with their keys.
pub(crate) struct JourneySink<'c> {
    pub(crate) channels: &'c Channels,
    pub(crate) out: &'c mut Journeys,
}

/// A time in µs as a [`DateTime<Utc>`].
pub(crate) fn datetime(us: i64) -> Result<DateTime<Utc>> {
    DateTime::from_timestamp_micros(us).ok_or_else(|| {
        Error::InvalidPath(ParseProblem::Timestamps(format!(
            "{us} µs since the epoch is outside the representable range"
        )))
    })
}

impl Sink for JourneySink<'_> {
    fn journey(&mut self, cut: Cut<'_>) -> Result<()> {
        let touches = cut
            .path
            .iter()
            .zip(cut.times)
            .map(|(&id, &t)| Ok(Touchpoint::at(self.channels.name(id), datetime(t)?)))
            .collect::<Result<Vec<_>>>()?;
        self.out.journeys.push(Journey {
            touches,
            outcome: cut.outcome,
            converted_at: cut.converted_at.map(datetime).transpose()?,
            user_id: Some(cut.user.to_string()),
            conversion_id: cut.conversion.map(|c| c.to_string()),
        });
        Ok(())
    }

    fn unattributed(&mut self, user: &str, id: ConversionId<'_>, c: &Conversion<'_>) -> Result<()> {
        self.out.unattributed.push(UnattributedConversion {
            user_id: user.to_string(),
            conversion_id: id.to_string(),
            converted_at: datetime(c.at)?,
            conversions: c.count,
            value: c.value,
        });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::Outcome;

    const H: i64 = 3_600_000_000; // one hour in µs
    const D: i64 = 24 * H;

    /// `(path, outcome, touch times, conversion time)` of a row.
    type RowView = (String, Outcome, Option<Vec<i64>>, Option<i64>);

    fn rows(t: &PathTable) -> Vec<RowView> {
        t.rows()
            .map(|r| {
                let names: Vec<_> = r.path.iter().map(|&id| t.channels().name(id)).collect();
                (
                    names.join(">"),
                    r.outcome,
                    r.times.map(<[i64]>::to_vec),
                    r.converted_at,
                )
            })
            .collect()
    }

    #[test]
    fn parts_cut_in_parallel_give_the_serial_table_and_report_to_the_bit() {
        use rand::{RngExt, SeedableRng};
        let mut rng = rand::rngs::Xoshiro256PlusPlus::seed_from_u64(11);
        let mut log = EventLog::new();
        for _ in 0..4000 {
            let user = format!("u{}", rng.random_range(0..300));
            let at = rng.random_range(0..90) * D + rng.random_range(0..24) * H;
            if rng.random_range(0..6) == 0 {
                // Fractional counts and values: sums in another order would differ in the
                // last bits.
                let count = 0.1 + f64::from(rng.random_range(0..30u32)) / 7.0;
                let value = f64::from(rng.random_range(0..10_000u32)) / 3.0;
                log.add_conversion(&user, at, count, value).unwrap();
            } else {
                let channel = ["A", "B", "C", "D", "E"][rng.random_range(0..5)];
                log.add_touch(&user, at, channel).unwrap();
            }
        }
        let show = |(t, r): &(PathTable, JourneyReport)| format!("{:?}\n{r:?}", rows(t));
        for keep_times in [true, false] {
            for nulls in [NullJourneys::Windowed, NullJourneys::default()] {
                let opts = JourneyOptions {
                    lookback: Some(TimeDelta::days(30)),
                    keep_times,
                    nulls,
                    max_touches: 6,
                    ..JourneyOptions::default()
                };
                let serial = show(&log.clone().build_in_parts(&opts, usize::MAX).unwrap());
                for size in [1, 7, 100, 1000] {
                    let parts = show(&log.clone().build_in_parts(&opts, size).unwrap());
                    assert_eq!(parts, serial, "parts of {size}, keep_times {keep_times}");
                }
            }
        }
    }

    /// One user: A, B, a conversion (day 20), C 39 days before a second conversion (day 60),
    /// then D and E.
    fn two_conversions_and_a_tail() -> EventLog {
        let mut log = EventLog::new();
        log.add_touch("u", 0, "A").unwrap();
        log.add_touch("u", 10 * D, "B").unwrap();
        log.add_conversion("u", 20 * D, 1.0, 50.0).unwrap();
        log.add_touch("u", 21 * D, "C").unwrap(); // 39 days before the next conversion
        log.add_conversion("u", 60 * D, 2.0, 8.0).unwrap();
        log.add_touch("u", 61 * D, "D").unwrap();
        log.add_touch("u", 70 * D, "E").unwrap();
        log
    }

    #[test]
    fn reset_window_unattributed_and_null() {
        let mut log = two_conversions_and_a_tail();
        let (t, r) = log.build(&JourneyOptions::default()).unwrap();
        assert_eq!(
            rows(&t),
            [
                (
                    "A>B".into(),
                    Outcome::converted(1.0, 50.0),
                    Some(vec![0, 10 * D]),
                    Some(20 * D)
                ),
                (
                    "D>E".into(),
                    Outcome::null(1.0),
                    Some(vec![61 * D, 70 * D]),
                    None
                ),
            ]
        );
        assert_eq!(r.converting_journeys, 1);
        assert_eq!(r.null_journeys, 1);
        assert_eq!(r.journeys, 2);
        assert_eq!(r.unattributed_events, 1);
        assert_eq!(r.unattributed_conversions, 2.0);
        assert_eq!(r.unattributed_value, 8.0);
        assert_eq!(r.dropped_touches, 1);
        assert_eq!(r.touches_in_journeys, 4);
        assert_eq!(r.touches, 5);
        assert_eq!(t.channels().len(), 5); // C is known, with no touch in any path
    }

    #[test]
    fn window_is_inclusive_at_its_edge() {
        let mut log = EventLog::new();
        log.add_touch("u", 0, "Edge").unwrap();
        log.add_touch("v", -1, "Out").unwrap();
        log.add_touch("v", 0, "In").unwrap();
        log.add_conversion("u", 30 * D, 1.0, 0.0).unwrap();
        log.add_conversion("v", 30 * D, 1.0, 0.0).unwrap();
        let (t, r) = log.build(&JourneyOptions::default()).unwrap();
        let paths: Vec<_> = rows(&t).into_iter().map(|r| r.0).collect();
        assert_eq!(paths, ["Edge", "In"]);
        assert_eq!(r.dropped_touches, 1);
        // without a window nothing is dropped
        let all = JourneyOptions {
            lookback: None,
            ..Default::default()
        };
        let (t, r) = log.build(&all).unwrap();
        let paths: Vec<_> = rows(&t).into_iter().map(|r| r.0).collect();
        assert_eq!(paths, ["Edge", "Out>In"]);
        assert_eq!(r.dropped_touches, 0);
    }

    #[test]
    fn inactivity_splits_only_null_journeys_at_longer_gaps() {
        let mut log = EventLog::new();
        for (t, c) in [(0, "A"), (30, "B"), (61, "C"), (200, "D")] {
            log.add_touch("u", t * 60_000_000, c).unwrap(); // minutes
        }
        let opts = JourneyOptions {
            inactivity_timeout: Some(TimeDelta::minutes(30)),
            ..Default::default()
        };
        let (t, r) = log.build(&opts).unwrap();
        let paths: Vec<_> = rows(&t).into_iter().map(|r| r.0).collect();
        // gaps 30 (not longer: same journey), 31, 139
        assert_eq!(paths, ["A>B", "C", "D"]);
        assert_eq!(r.null_journeys, 3);
        // a converting journey is never split
        log.add_conversion("u", 201 * 60_000_000, 1.0, 0.0).unwrap();
        let (t, _) = log.build(&opts).unwrap();
        assert_eq!(rows(&t)[0].0, "A>B>C>D");
    }

    #[test]
    fn repeats_merge_in_chains_keeping_the_first_time() {
        let mut log = EventLog::new();
        let m = 60_000_000;
        for (t, c) in [
            (0, "A"),
            (20, "A"),
            (40, "A"),
            (100, "A"),
            (110, "B"),
            (115, "A"),
        ] {
            log.add_touch("u", t * m, c).unwrap();
        }
        log.add_conversion("u", 120 * m, 1.0, 1.0).unwrap();
        let opts = JourneyOptions {
            merge_repeats_within: Some(TimeDelta::minutes(30)),
            ..Default::default()
        };
        let (t, r) = log.build(&opts).unwrap();
        let row = &rows(&t)[0];
        assert_eq!(row.0, "A>A>B>A");
        assert_eq!(row.2, Some(vec![0, 100 * m, 110 * m, 115 * m]));
        assert_eq!(r.merged_touches, 2);
        assert_eq!(r.touches_in_journeys, 4);
    }

    #[test]
    fn long_journeys_keep_the_latest_touches() {
        let mut log = EventLog::new();
        for (i, c) in ["A", "B", "C", "D"].iter().enumerate() {
            log.add_touch("u", i as i64 * H, c).unwrap();
        }
        log.add_conversion("u", 5 * H, 1.0, 0.0).unwrap();
        let opts = JourneyOptions {
            max_touches: 2,
            ..Default::default()
        };
        let (t, r) = log.build(&opts).unwrap();
        assert_eq!(rows(&t)[0].0, "C>D");
        assert_eq!(r.truncated_touches, 2);
    }

    #[test]
    fn untimed_build_sums_equal_paths() {
        let mut log = EventLog::new();
        for u in ["a", "b", "c"] {
            log.add_touch(u, 0, "A").unwrap();
            log.add_touch(u, H, "B").unwrap();
            log.add_conversion(u, 2 * H, 1.0, 10.0).unwrap();
        }
        let opts = JourneyOptions {
            keep_times: false,
            ..Default::default()
        };
        let (untimed, _) = log.build(&opts).unwrap();
        assert_eq!(untimed.len(), 1);
        assert_eq!(untimed.row(0).outcome, Outcome::converted(3.0, 30.0));
        let (timed, _) = log.build(&JourneyOptions::default()).unwrap();
        assert_eq!(timed.len(), 3);
        assert_eq!(timed.without_times(), untimed);
    }

    #[test]
    fn windowed_nulls_keep_every_unclaimed_touch_and_span_at_most_the_lookback() {
        let mut log = two_conversions_and_a_tail();
        log.add_touch("u", 91 * D, "F").unwrap(); // exactly 30 days after D: same journey
        log.add_touch("u", 92 * D, "G").unwrap(); // 31 days after D: a new one
        let opts = JourneyOptions {
            nulls: NullJourneys::Windowed,
            ..Default::default()
        };
        let (t, r) = log.build(&opts).unwrap();
        let paths: Vec<_> = rows(&t).into_iter().map(|r| r.0).collect();
        assert_eq!(paths, ["A>B", "C", "D>E>F", "G"]);
        assert_eq!(r.dropped_touches, 0);
        assert_eq!((r.null_journeys, r.converting_journeys), (3, 1));
        assert_eq!(r.unattributed_events, 1);
        assert_eq!(r.touches_in_journeys, r.touches);
        // the default drops C and keeps D..G as one null journey
        let (t, r) = log.build(&JourneyOptions::default()).unwrap();
        let paths: Vec<_> = rows(&t).into_iter().map(|r| r.0).collect();
        assert_eq!(paths, ["A>B", "D>E>F>G"]);
        assert_eq!(r.dropped_touches, 1);
    }

    #[test]
    fn journeys_carry_keys_and_generated_ids_count_ties() {
        let mut log = EventLog::new();
        log.add_touch("a@x", 0, "A").unwrap();
        log.add_conversion("a@x", H, 1.0, 5.0).unwrap();
        log.add_conversion("a@x", H, 1.0, 6.0).unwrap(); // same µs: the second gets #2
        log.add_touch("a@x", 2 * H, "B").unwrap();
        log.add_conversion_with_id("a@x", 3 * H, 1.0, 7.0, "o-9")
            .unwrap();
        log.add_touch("b", 0, "C").unwrap();
        let (j, r) = log.build_journeys(&JourneyOptions::default()).unwrap();
        let keys: Vec<_> = j
            .journeys
            .iter()
            .map(|j| (j.user_id.as_deref(), j.conversion_id.as_deref()))
            .collect();
        assert_eq!(
            keys,
            [
                (Some("a@x"), Some("a@x@3600000000")),
                (Some("a@x"), Some("o-9")),
                (Some("b"), None)
            ]
        );
        assert_eq!(
            j.journeys[1].converted_at,
            DateTime::from_timestamp_micros(3 * H)
        );
        assert_eq!(j.unattributed.len(), 1);
        assert_eq!(j.unattributed[0].conversion_id, "a@x@3600000000#2");
        assert_eq!(j.unattributed[0].value, 6.0);
        assert_eq!(r.unattributed_events, 1);
        // the journeys give the table build() gives, row for row
        let (table, _) = log.build(&JourneyOptions::default()).unwrap();
        let mut again = PathTable::new();
        assert_eq!(j.add_to(&mut again).unwrap(), [0, 1, 2]);
        assert_eq!(again, table);
        // and round-trip through serde
        let text = serde_json::to_string(&j).unwrap();
        assert_eq!(serde_json::from_str::<Journeys>(&text).unwrap(), j);
    }

    #[test]
    fn invalid_options_are_refused() {
        let mut log = EventLog::new();
        for bad in [
            JourneyOptions {
                lookback: Some(TimeDelta::zero()),
                ..Default::default()
            },
            JourneyOptions {
                inactivity_timeout: Some(TimeDelta::seconds(-1)),
                ..Default::default()
            },
            JourneyOptions {
                merge_repeats_within: Some(TimeDelta::seconds(-1)),
                ..Default::default()
            },
            JourneyOptions {
                max_touches: 0,
                ..Default::default()
            },
        ] {
            assert!(matches!(
                log.build(&bad),
                Err(Error::InvalidParameter {
                    model: "journeys",
                    ..
                })
            ));
        }
    }
}
