//! Path analytics: what converting journeys look like, independent of any attribution model
//! ([model reference](crate::reference), §Path analytics). The figures of Google's
//! multi-channel funnel reports: top conversion paths, path length, time lag, and per channel
//! assisted and last-touch conversions with the roles its touches play.
//!
//! Every count is weighted by the table's conversions (a row with 3 conversions counts 3 times),
//! like every other output of the crate; conversion rates divide by the journeys of the path
//! (conversions + nulls).
//!
//! Table T2 of the model reference, by hand:
//!
//! ```
//! use touchpoint::analytics::{PathStats, PathStatsOptions};
//! use touchpoint::{Outcome, PathTable};
//! let mut t = PathTable::new();
//! for (path, c, v, u) in [
//!     ("A > B > C", 2.0, 20.0, 1.0),
//!     ("A > A > B", 1.0, 15.0, 2.0),
//!     ("B", 1.0, 5.0, 3.0),
//!     ("C > A", 1.0, 10.0, 1.0),
//!     ("B > C > B > A", 1.0, 12.0, 0.0),
//!     ("C", 1.0, 8.0, 1.0),
//! ] {
//!     t.add(path.split('>').map(str::trim), Outcome::new(c, v, u))?;
//! }
//! let stats = PathStats::new(&t, &PathStatsOptions::default());
//! let top = &stats.top_paths[0];
//! assert_eq!((top.path.as_str(), top.conversions, top.conversion_rate), ("A > B > C", 2.0, Some(2.0 / 3.0)));
//! let a = stats.channel("A").unwrap();
//! // A assists on A > B > C (2 conversions) and A > A > B (1); it is the last touch of C > A
//! // and B > C > B > A.
//! assert_eq!((a.assisted_conversions, a.last_touch_conversions, a.assist_ratio), (3.0, 2.0, Some(1.5)));
//! assert_eq!(stats.path_length[2].conversions, 3.0); // paths of 3 touches
//! # Ok::<(), touchpoint::Error>(())
//! ```

use std::cmp::Ordering;

use rustc_hash::FxHashMap;
use serde::Serialize;

use crate::channel::ChannelId;
use crate::table::PathTable;

mod text;

pub use text::{write_markdown, write_table};

/// Options of [`PathStats::new`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct PathStatsOptions {
    /// Length of each top-paths list (default 10; `usize::MAX` keeps every converting path).
    pub top: usize,
}

impl Default for PathStatsOptions {
    fn default() -> Self {
        PathStatsOptions { top: 10 }
    }
}

impl PathStatsOptions {
    /// Options keeping the `top` first paths of each ranking.
    pub fn with_top(top: usize) -> PathStatsOptions {
        PathStatsOptions { top }
    }
}

/// One conversion path (every row with this channel sequence, summed).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PathRow {
    /// The channels, first touch first, joined with `" > "` (as in the input).
    pub path: String,
    /// Touches on the path.
    pub length: usize,
    /// Conversions of the journeys with this path.
    pub conversions: f64,
    /// Their conversion value.
    pub value: f64,
    /// Journeys with this path: conversions + nulls.
    pub journeys: f64,
    /// `conversions / journeys`; `None` when the path has no journey.
    pub conversion_rate: Option<f64>,
    /// `conversions / C`, C the table's conversions.
    pub share: f64,
}

/// One bin of the path-length distribution: conversions whose path has `min..=max` touches.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LengthBin {
    /// `"1"`, `"2"`, …, `"10"`, `"11+"`.
    pub label: String,
    /// Fewest touches in the bin.
    pub min_touches: usize,
    /// Most touches in the bin; `None` for the open last bin.
    pub max_touches: Option<usize>,
    /// Conversions in the bin.
    pub conversions: f64,
    /// Their value.
    pub value: f64,
    /// `conversions / C`.
    pub share: f64,
}

/// One bin of the time-lag distribution: conversions whose time from first touch to conversion
/// is in `[from_seconds, to_seconds)`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LagBin {
    /// `"< 1 h"`, `"1 h – 1 d"`, `"1–2 d"`, …, `"≥ 90 d"`.
    pub label: String,
    /// Lower bound (inclusive), in seconds.
    pub from_seconds: i64,
    /// Upper bound (exclusive), in seconds; `None` for the open last bin.
    pub to_seconds: Option<i64>,
    /// Conversions in the bin.
    pub conversions: f64,
    /// Their value.
    pub value: f64,
    /// `conversions / (conversions with a known time lag)`; 0 when there are none.
    pub share: f64,
}

/// The roles one channel plays on converting paths.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ChannelRoles {
    /// Channel name.
    pub channel: String,
    /// Conversions whose path touches the channel before its last touch (counted once per
    /// conversion, however many such touches; the last touch may be the channel too).
    pub assisted_conversions: f64,
    /// The value of those conversions.
    pub assisted_value: f64,
    /// Conversions whose last touch is the channel.
    pub last_touch_conversions: f64,
    /// The value of those conversions.
    pub last_touch_value: f64,
    /// `assisted_conversions / last_touch_conversions`; `None` when the channel is never the
    /// last touch. Above 1: the channel mostly assists; below 1: it mostly closes.
    pub assist_ratio: Option<f64>,
    /// Conversion-weighted touches of the channel in first position.
    pub first: f64,
    /// Conversion-weighted touches of the channel strictly between the first and the last.
    pub middle: f64,
    /// Conversion-weighted touches of the channel in last position (equals
    /// `last_touch_conversions`).
    pub last: f64,
}

/// Path analytics of a table ([`PathStats::new`]); serializes as the `--path-stats` JSON.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PathStats {
    /// Total conversions C.
    pub total_conversions: f64,
    /// Total value V.
    pub total_value: f64,
    /// Total journeys C + U.
    pub total_journeys: f64,
    /// Distinct paths with at least one conversion.
    pub converting_paths: usize,
    /// Converting paths by conversions (ties: value, then path name), the first `top`.
    pub top_paths: Vec<PathRow>,
    /// Converting paths by value (ties: conversions, then path name), the first `top`.
    pub top_paths_by_value: Vec<PathRow>,
    /// Converting paths by conversion rate (ties: conversions, value, path name), the first
    /// `top`.
    pub top_paths_by_rate: Vec<PathRow>,
    /// Conversions by touches on the path, bins [`LENGTH_BINS`].
    pub path_length: Vec<LengthBin>,
    /// Conversions by time from first touch to conversion, bins [`LAG_BINS`]; only timestamped
    /// rows with a known conversion time count.
    pub time_lag: Vec<LagBin>,
    /// Conversions not in `time_lag`: untimed rows, or timed rows without a conversion time.
    pub time_lag_unknown: f64,
    /// Per channel of the table, sorted by name.
    pub channels: Vec<ChannelRoles>,
}

/// Path-length bins: `1`, …, `10` touches one by one, then `11+`.
pub const LENGTH_BINS: usize = 11;

const HOUR: i64 = 3600;
const DAY: i64 = 24 * HOUR;

/// Time-lag bins, `(label, from, to)` in seconds, half-open `[from, to)`; `to = None` is open.
pub const LAG_BINS: [(&str, i64, Option<i64>); 10] = [
    ("< 1 h", 0, Some(HOUR)),
    ("1 h – 1 d", HOUR, Some(DAY)),
    ("1–2 d", DAY, Some(2 * DAY)),
    ("2–4 d", 2 * DAY, Some(4 * DAY)),
    ("4–7 d", 4 * DAY, Some(7 * DAY)),
    ("7–14 d", 7 * DAY, Some(14 * DAY)),
    ("14–30 d", 14 * DAY, Some(30 * DAY)),
    ("30–60 d", 30 * DAY, Some(60 * DAY)),
    ("60–90 d", 60 * DAY, Some(90 * DAY)),
    ("≥ 90 d", 90 * DAY, None),
];

/// The lag bin of `seconds` (≥ 0).
fn lag_bin(seconds: i64) -> usize {
    LAG_BINS
        .iter()
        .position(|&(_, _, to)| to.is_none_or(|to| seconds < to))
        .unwrap_or(LAG_BINS.len() - 1)
}

#[derive(Clone, Copy, Default)]
struct PathSums {
    conversions: f64,
    value: f64,
    journeys: f64,
}

#[derive(Clone, Copy, Default)]
struct RoleSums {
    assisted: f64,
    assisted_value: f64,
    last: f64,
    last_value: f64,
    first: f64,
    middle: f64,
}

impl PathStats {
    /// Computes the analytics of `table`.
    ///
    /// A table without conversions gives empty top lists and zero counts (shares and ratios 0
    /// or `None`), never an error.
    ///
    /// # Complexity
    /// O(T + P log P) time for T touches and P distinct paths; O(P + channels) memory (paths are
    /// borrowed from the table, not copied).
    pub fn new(table: &PathTable, options: &PathStatsOptions) -> PathStats {
        let n = table.channels().len();
        let mut roles = vec![RoleSums::default(); n];
        let mut paths: FxHashMap<&[ChannelId], PathSums> = FxHashMap::default();
        let mut lengths = [(0.0, 0.0); LENGTH_BINS];
        let mut lags = [(0.0, 0.0); LAG_BINS.len()];
        let mut lag_known = 0.0;
        // Per channel, the last converting row that counted it as an assist (once per row).
        let mut assisted_in: Vec<usize> = vec![usize::MAX; n];
        let totals = table.totals();
        for (r, row) in table.rows().enumerate() {
            let o = row.outcome;
            let p = paths.entry(row.path).or_default();
            p.conversions += o.conversions;
            p.value += o.value;
            p.journeys += o.journeys();
            let c = o.conversions;
            if c <= 0.0 {
                continue;
            }
            let len = row.path.len();
            let bin = &mut lengths[len.min(LENGTH_BINS) - 1];
            bin.0 += c;
            bin.1 += o.value;
            if let (Some(times), Some(at)) = (row.times, row.converted_at) {
                // µs to whole seconds; the table guarantees at ≥ every touch time.
                let lag = (at - times[0]).max(0) / 1_000_000;
                let bin = &mut lags[lag_bin(lag)];
                bin.0 += c;
                bin.1 += o.value;
                lag_known += c;
            }
            let last = row.path[len - 1];
            roles[last.index()].last += c;
            roles[last.index()].last_value += o.value;
            roles[row.path[0].index()].first += c;
            for &id in &row.path[1..len.saturating_sub(1).max(1)] {
                roles[id.index()].middle += c;
            }
            for &id in &row.path[..len - 1] {
                if assisted_in[id.index()] != r {
                    assisted_in[id.index()] = r;
                    roles[id.index()].assisted += c;
                    roles[id.index()].assisted_value += o.value;
                }
            }
        }
        let share = |x: f64, total: f64| if total > 0.0 { x / total } else { 0.0 };
        let names = table.channels();
        let mut rows: Vec<PathRow> = paths
            .into_iter()
            .filter(|(_, s)| s.conversions > 0.0)
            .map(|(path, s)| PathRow {
                path: path
                    .iter()
                    .map(|&id| names.name(id))
                    .collect::<Vec<_>>()
                    .join(" > "),
                length: path.len(),
                conversions: s.conversions,
                value: s.value,
                journeys: s.journeys,
                conversion_rate: (s.journeys > 0.0).then(|| s.conversions / s.journeys),
                share: share(s.conversions, totals.conversions),
            })
            .collect();
        let converting_paths = rows.len();
        let desc = |a: f64, b: f64| b.total_cmp(&a);
        let by = |rows: &mut Vec<PathRow>, cmp: &dyn Fn(&PathRow, &PathRow) -> Ordering| {
            rows.sort_by(|a, b| cmp(a, b).then_with(|| a.path.cmp(&b.path)));
            rows.iter().take(options.top).cloned().collect::<Vec<_>>()
        };
        let top_paths = by(&mut rows, &|a, b| {
            desc(a.conversions, b.conversions).then(desc(a.value, b.value))
        });
        let top_paths_by_value = by(&mut rows, &|a, b| {
            desc(a.value, b.value).then(desc(a.conversions, b.conversions))
        });
        let rate = |p: &PathRow| p.conversion_rate.unwrap_or(0.0);
        let top_paths_by_rate = by(&mut rows, &|a, b| {
            desc(rate(a), rate(b))
                .then(desc(a.conversions, b.conversions))
                .then(desc(a.value, b.value))
        });
        let path_length = lengths
            .iter()
            .enumerate()
            .map(|(i, &(c, v))| {
                let open = i + 1 == LENGTH_BINS;
                LengthBin {
                    label: if open {
                        format!("{}+", i + 1)
                    } else {
                        (i + 1).to_string()
                    },
                    min_touches: i + 1,
                    max_touches: (!open).then_some(i + 1),
                    conversions: c,
                    value: v,
                    share: share(c, totals.conversions),
                }
            })
            .collect();
        let time_lag = LAG_BINS
            .iter()
            .zip(lags)
            .map(|(&(label, from, to), (c, v))| LagBin {
                label: label.to_string(),
                from_seconds: from,
                to_seconds: to,
                conversions: c,
                value: v,
                share: share(c, lag_known),
            })
            .collect();
        let channels = names
            .ids_by_name()
            .into_iter()
            .map(|id| {
                let s = roles[id.index()];
                ChannelRoles {
                    channel: names.name(id).to_string(),
                    assisted_conversions: s.assisted,
                    assisted_value: s.assisted_value,
                    last_touch_conversions: s.last,
                    last_touch_value: s.last_value,
                    assist_ratio: (s.last > 0.0).then(|| s.assisted / s.last),
                    first: s.first,
                    middle: s.middle,
                    last: s.last,
                }
            })
            .collect();
        PathStats {
            total_conversions: totals.conversions,
            total_value: totals.value,
            total_journeys: totals.journeys(),
            converting_paths,
            top_paths,
            top_paths_by_value,
            top_paths_by_rate,
            path_length,
            time_lag,
            time_lag_unknown: (totals.conversions - lag_known).max(0.0),
            channels,
        }
    }

    /// The roles of `channel`, if the table knows it.
    pub fn channel(&self, channel: &str) -> Option<&ChannelRoles> {
        self.channels
            .binary_search_by(|c| c.channel.as_str().cmp(channel))
            .ok()
            .map(|i| &self.channels[i])
    }

    /// True when some conversion has a known time lag (the table had timestamped journeys).
    pub fn has_time_lag(&self) -> bool {
        self.time_lag.iter().any(|b| b.conversions > 0.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lag_bins_are_contiguous_and_cover_every_lag() {
        for w in LAG_BINS.windows(2) {
            assert_eq!(w[0].2, Some(w[1].1));
        }
        assert_eq!(LAG_BINS[0].1, 0);
        assert_eq!(lag_bin(0), 0);
        assert_eq!(lag_bin(HOUR - 1), 0);
        assert_eq!(lag_bin(HOUR), 1);
        assert_eq!(lag_bin(90 * DAY), 9);
        assert_eq!(lag_bin(i64::MAX / 1_000_000), 9);
    }

    #[test]
    fn t2_roles_sum_to_the_conversions() {
        let stats = PathStats::new(&crate::fixtures::t2(), &PathStatsOptions::default());
        let first: f64 = stats.channels.iter().map(|c| c.first).sum();
        let last: f64 = stats.channels.iter().map(|c| c.last).sum();
        assert_eq!((first, last), (7.0, 7.0));
        assert_eq!(stats.time_lag_unknown, 7.0);
        assert!(!stats.has_time_lag());
    }
}
