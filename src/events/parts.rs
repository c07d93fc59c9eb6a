//! The parallel half of [`EventLog::build`](crate::events::EventLog::build): users cut in
//! parts of about [`PART_EVENTS`] events, each into its own table, appended in order with their
//! reports' sums replayed in the serial order.

use super::build::JourneyReport;
use super::cut::{Conversion, ConversionId, Cut, Ledger, Sink};
use super::log::Event;
use crate::error::Result;
use crate::table::PathTable;

/// The table and report of the parts appended so far, in order.
pub(super) struct Built {
    pub(super) table: Option<PathTable>,
    /// `table` is [`PathTable::timed_only`].
    pub(super) timed: bool,
    pub(super) report: JourneyReport,
}

impl Built {
    /// Appends cut parts in order; stops at the first error.
    pub(super) fn add(
        &mut self,
        parts: Vec<Result<(PathTable, JourneyReport, Ledger)>>,
    ) -> Result<()> {
        for part in parts {
            let (table, report, ledger) = part?;
            self.report.add_part(&report, &ledger);
            match &mut self.table {
                None => {
                    self.timed = table.timed_only();
                    self.table = Some(table);
                }
                Some(t) => self.timed = t.append_timed(table, self.timed)?,
            }
        }
        Ok(())
    }
}

/// Events per part of [`EventLog::build`]'s parallel cut (then extended to the end of a
/// user's events): fixed, so the parts do not depend on the number of threads.
pub(super) const PART_EVENTS: usize = 1 << 18;

/// Ranges of about `size` events of the sorted `events`, each ending at the end of a user's
/// events (a user is never split), covering them all.
pub(super) fn user_parts(events: &[Event], size: usize) -> Vec<std::ops::Range<usize>> {
    let mut parts = Vec::with_capacity(events.len() / size.max(1) + 1);
    let mut start = 0;
    while start < events.len() {
        let mut end = start.saturating_add(size.max(1)).min(events.len());
        while end < events.len() && events[end].user == events[end - 1].user {
            end += 1;
        }
        parts.push(start..end);
        start = end;
    }
    parts
}

impl JourneyReport {
    /// Adds the counts of a part cut from the same log, and its sums replayed from its
    /// `ledger` one conversion at a time, as a serial cut adds them (the log-wide `touches`
    /// and `conversion_events` are set by the caller).
    fn add_part(&mut self, part: &JourneyReport, ledger: &Ledger) {
        let JourneyReport {
            users,
            touches: _,
            conversion_events: _,
            journeys,
            converting_journeys,
            null_journeys,
            conversions: _,
            value: _,
            unattributed_events,
            unattributed_conversions: _,
            unattributed_value: _,
            dropped_touches,
            merged_touches,
            truncated_touches,
            touches_in_journeys,
        } = *part;
        self.users += users;
        self.journeys += journeys;
        self.converting_journeys += converting_journeys;
        self.null_journeys += null_journeys;
        self.unattributed_events += unattributed_events;
        self.dropped_touches += dropped_touches;
        self.merged_touches += merged_touches;
        self.truncated_touches += truncated_touches;
        self.touches_in_journeys += touches_in_journeys;
        for &(count, value, attributed) in ledger {
            if attributed {
                self.conversions += count;
                self.value += value;
            } else {
                self.unattributed_conversions += count;
                self.unattributed_value += value;
            }
        }
    }
}

/// Journeys into a path table (timed rows, or untimed deduplicated rows).
pub(super) struct TableSink {
    pub(super) table: PathTable,
    pub(super) keep_times: bool,
}

impl Sink for TableSink {
    fn journey(&mut self, cut: Cut<'_>) -> Result<()> {
        // The table issued the log's ids (see `EventLog::build`): no name is looked up.
        if self.keep_times {
            self.table
                .add_timed_ids(cut.path, cut.times, cut.converted_at, cut.outcome)
        } else {
            self.table.add_ids(cut.path, cut.outcome)
        }
        .map(|_| ())
    }

    fn unattributed(&mut self, _: &str, _: ConversionId<'_>, _: &Conversion<'_>) -> Result<()> {
        Ok(())
    }
}
