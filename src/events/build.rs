//! From sorted events to journeys: lookback window, reset after conversion, null journeys.

use chrono::TimeDelta;
use serde::{Deserialize, Serialize};

use super::log::{EventLog, NONE};
use crate::channel::ChannelId;
use crate::error::{Error, Result};
use crate::outcome::Outcome;
use crate::table::{DEFAULT_MAX_PATH_LEN, PathTable};

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
/// 3. **Unattributed conversions.** A conversion with no touch left is not a journey (a path
///    cannot be empty); it is counted with its value in [`JourneyReport`].
/// 4. **Null journeys.** Touches after a user's last conversion form one non-converting journey
///    (`total_null` = 1), or several when `inactivity_timeout` is set: a gap *longer* than the
///    timeout between two consecutive touches starts a new one.
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
}

impl Default for JourneyOptions {
    fn default() -> Self {
        JourneyOptions {
            lookback: Some(TimeDelta::days(30)),
            inactivity_timeout: None,
            merge_repeats_within: None,
            keep_times: true,
            max_touches: DEFAULT_MAX_PATH_LEN,
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
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct JourneyReport {
    /// Users in the log.
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

impl EventLog {
    /// Cuts the log into journeys (rules in [`JourneyOptions`]) and collects them in a new
    /// [`PathTable`]. The log is sorted in place first (once; later calls, for example with
    /// another lookback, reuse the order).
    ///
    /// Every channel of the log is in the table's vocabulary, also one whose touches were all
    /// dropped, so models report it with 0 credit.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for invalid options (see [`JourneyOptions::validate`]).
    ///
    /// # Complexity
    /// O(E log E) time for the sort of E events (parallel with the `parallel` feature), then
    /// O(E); extra memory O(touches of one user) plus the table (timed rows: about 12 bytes per
    /// touch and 40 per journey).
    pub fn build(&mut self, opts: &JourneyOptions) -> Result<(PathTable, JourneyReport)> {
        opts.validate()?;
        self.sort();
        let mut table = PathTable::new();
        table.set_max_path_len(opts.max_touches);
        for (_, name) in self.channels.iter() {
            // Names of a vocabulary are valid; an empty table issues the same ids in the same
            // order, so the log's ids are the table's.
            table.intern(name)?;
        }
        let mut b = Builder {
            opts,
            log: self,
            table,
            report: JourneyReport {
                touches: self.touches(),
                conversion_events: self.conversions.len() as u64,
                ..JourneyReport::default()
            },
            pending: Vec::new(),
            path: Vec::new(),
            times: Vec::new(),
        };
        for user in self.events.chunk_by(|a, b| a.user == b.user) {
            b.report.users += 1;
            for ev in user {
                if ev.channel != NONE {
                    b.pending.push((ev.channel, ev.time));
                } else {
                    let (count, value) = self.conversions[ev.conversion as usize];
                    b.convert(ev.time, count, value)?;
                }
            }
            b.nulls()?;
        }
        Ok((b.table, b.report))
    }
}

/// State of one build: the touches of the current user since its last conversion.
struct Builder<'a> {
    opts: &'a JourneyOptions,
    log: &'a EventLog,
    table: PathTable,
    report: JourneyReport,
    /// `(channel, time)` of the touches since the user's previous conversion, in order.
    pending: Vec<(u32, i64)>,
    path: Vec<ChannelId>,
    times: Vec<i64>,
}

impl Builder<'_> {
    /// A conversion at `at`: closes the journey of the pending touches inside the window.
    fn convert(&mut self, at: i64, count: f64, value: f64) -> Result<()> {
        let start = match self.opts.lookback.and_then(|d| d.num_microseconds()) {
            Some(window) => at.saturating_sub(window),
            None => i64::MIN,
        };
        let first = self.pending.partition_point(|&(_, t)| t < start);
        self.report.dropped_touches += first as u64;
        let pending = std::mem::take(&mut self.pending);
        let r = if first == pending.len() {
            self.report.unattributed_events += 1;
            self.report.unattributed_conversions += count;
            self.report.unattributed_value += value;
            Ok(())
        } else {
            self.report.converting_journeys += 1;
            self.report.conversions += count;
            self.report.value += value;
            self.emit(
                &pending[first..],
                Some(at),
                Outcome::converted(count, value),
            )
        };
        self.pending = pending;
        self.pending.clear();
        r
    }

    /// The touches after the user's last conversion: one null journey per inactivity run.
    fn nulls(&mut self) -> Result<()> {
        let pending = std::mem::take(&mut self.pending);
        let timeout = self
            .opts
            .inactivity_timeout
            .and_then(|d| d.num_microseconds())
            .unwrap_or(i64::MAX);
        let mut r = Ok(());
        for run in pending.chunk_by(|a, b| b.1.saturating_sub(a.1) <= timeout) {
            self.report.null_journeys += 1;
            r = r.and_then(|()| self.emit(run, None, Outcome::null(1.0)));
        }
        self.pending = pending;
        self.pending.clear();
        r
    }

    /// Adds one journey: merges repeats, keeps the last `max_touches`, writes the row.
    fn emit(&mut self, touches: &[(u32, i64)], at: Option<i64>, outcome: Outcome) -> Result<()> {
        let within = self
            .opts
            .merge_repeats_within
            .and_then(|d| d.num_microseconds());
        self.path.clear();
        self.times.clear();
        let mut previous: Option<(u32, i64)> = None;
        for &(channel, time) in touches {
            let repeat = previous.is_some_and(|(c, t)| {
                c == channel && within.is_some_and(|w| time.saturating_sub(t) <= w)
            });
            previous = Some((channel, time));
            if repeat {
                self.report.merged_touches += 1;
                continue;
            }
            self.path.push(ChannelId(channel));
            self.times.push(time);
        }
        let cut = self.path.len().saturating_sub(self.opts.max_touches);
        self.report.truncated_touches += cut as u64;
        self.report.touches_in_journeys += (self.path.len() - cut) as u64;
        self.report.journeys += 1;
        let path = &self.path[cut..];
        if self.opts.keep_times {
            let names = path.iter().map(|&id| self.log.channels.name(id));
            self.table.add_timed(names, &self.times[cut..], at, outcome)
        } else {
            self.table.add_ids(path, outcome)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn reset_window_unattributed_and_null() {
        let mut log = EventLog::new();
        log.add_touch("u", 0, "A").unwrap();
        log.add_touch("u", 10 * D, "B").unwrap();
        log.add_conversion("u", 20 * D, 1.0, 50.0).unwrap();
        log.add_touch("u", 21 * D, "C").unwrap(); // 39 days before the next conversion
        log.add_conversion("u", 60 * D, 2.0, 8.0).unwrap();
        log.add_touch("u", 61 * D, "D").unwrap();
        log.add_touch("u", 70 * D, "E").unwrap();
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
