//! `touchpoint_journeys`: the table of journeys of a raw touch/conversion event log. The
//! partial state is the events themselves (journeys need every event of a user), sorted by
//! content before the journeys are built, so input order never matters.

use std::hash::{Hash, Hasher};
use std::sync::Arc;

use ::datafusion::arrow::array::{
    Array, ArrayRef, AsArray, Float64Array, Int64Array, ListArray, StringArray,
};
use ::datafusion::arrow::buffer::OffsetBuffer;
use ::datafusion::arrow::compute::cast;
use ::datafusion::arrow::datatypes::{DataType, Field, FieldRef, Int64Type};
use ::datafusion::common::ScalarValue;
use ::datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use ::datafusion::logical_expr::{Accumulator, AggregateUDFImpl, Signature};

use super::JOURNEYS;
use super::args::{
    DfResult, arity, external, float_column, internal, number, number_arg, state_field, string_arg,
    time_arg,
};
use crate::channel::{Channels, Interner};
use crate::codec;
use crate::error::{Error, Result};
use crate::events::{EventLog, JourneyOptions};

const EVENT_ARGS: [&str; 5] = ["user", "ts", "channel", "conversion", "value"];

#[derive(Debug)]
pub(super) struct JourneysUdaf {
    pub(super) options: Arc<JourneyOptions>,
    pub(super) signature: Signature,
}

impl PartialEq for JourneysUdaf {
    fn eq(&self, other: &Self) -> bool {
        self.options == other.options && self.signature == other.signature
    }
}

impl Eq for JourneysUdaf {}

impl Hash for JourneysUdaf {
    fn hash<H: Hasher>(&self, state: &mut H) {
        let o = &self.options;
        (
            o.lookback,
            o.inactivity_timeout,
            o.merge_repeats_within,
            o.keep_times,
            o.max_touches,
        )
            .hash(state);
        self.signature.hash(state);
    }
}

impl AggregateUDFImpl for JourneysUdaf {
    fn name(&self) -> &str {
        JOURNEYS
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _args: &[DataType]) -> DfResult<DataType> {
        Ok(DataType::Binary)
    }

    fn coerce_types(&self, args: &[DataType]) -> DfResult<Vec<DataType>> {
        arity(JOURNEYS, args, &EVENT_ARGS, 4)?;
        args.iter()
            .zip(EVENT_ARGS)
            .map(|(t, name)| match name {
                "user" if t.is_integer() => Ok(DataType::Utf8),
                "user" | "channel" => string_arg(JOURNEYS, name, t),
                "ts" => time_arg(JOURNEYS, name, t),
                _ => number_arg(JOURNEYS, name, t),
            })
            .collect()
    }

    fn accumulator(&self, _args: AccumulatorArgs<'_>) -> DfResult<Box<dyn Accumulator>> {
        Ok(Box::new(JourneysAccumulator {
            options: Arc::clone(&self.options),
            users: Interner::default(),
            channels: Interner::default(),
            events: Vec::new(),
        }))
    }

    fn state_fields(&self, args: StateFieldsArgs<'_>) -> DfResult<Vec<FieldRef>> {
        let list = |name: &str, item: DataType| -> FieldRef {
            state_field(
                &args,
                name,
                DataType::List(Arc::new(Field::new_list_field(item, true))),
            )
        };
        Ok(vec![
            list("users", DataType::Utf8),
            list("times", DataType::Int64),
            list("channels", DataType::Utf8),
            list("conversions", DataType::Float64),
            list("values", DataType::Float64),
        ])
    }
}

/// [`crate::channel::Interner`] with this aggregate's error (ids stay below [`NO_CHANNEL`]).
fn intern(interner: &mut Interner, s: &str) -> Result<u32> {
    interner.intern(s).ok_or_else(|| Error::InvalidParameter {
        model: "touchpoint_journeys",
        name: "events",
        reason: "more than 2^32 - 1 distinct users or channels".into(),
    })
}

/// `channel` of a pure conversion event.
const NO_CHANNEL: u32 = u32::MAX;

/// One event: a touch (`channel` set, `count` 0) or a conversion (`channel` unset, `count` > 0).
#[derive(Clone, Copy, Debug)]
struct RawEvent {
    user: u32,
    time: i64,
    channel: u32,
    count: f64,
    value: f64,
}

#[derive(Debug)]
struct JourneysAccumulator {
    options: Arc<JourneyOptions>,
    users: Interner,
    channels: Interner,
    events: Vec<RawEvent>,
}

/// The row problem of an event, as the crate's typed error.
fn event_error(name: &'static str, reason: impl Into<String>) -> Error {
    Error::InvalidParameter {
        model: "touchpoint_journeys",
        name,
        reason: reason.into(),
    }
}

impl JourneysAccumulator {
    /// Adds event rows from the five (or four) argument columns, cast to
    /// `Utf8, Int64, Utf8, Float64, Float64`. Also reads the accumulator's own state back.
    fn add_events(&mut self, values: &[ArrayRef]) -> Result<()> {
        let unexpected = |what: &str| event_error("arguments", format!("unexpected {what}"));
        let users = values
            .first()
            .and_then(|a| a.as_string_opt::<i32>())
            .ok_or_else(|| unexpected("user type"))?;
        let times = values
            .get(1)
            .map(|a| cast(a, &DataType::Int64))
            .transpose()
            .map_err(|e| unexpected(&e.to_string()))?
            .ok_or_else(|| unexpected("argument count"))?;
        let times = times
            .as_primitive_opt::<Int64Type>()
            .ok_or_else(|| unexpected("time type"))?;
        let channels = values
            .get(2)
            .and_then(|a| a.as_string_opt::<i32>())
            .ok_or_else(|| unexpected("channel type"))?;
        let (counts, amounts) = (
            float_column(values, 3, unexpected)?,
            float_column(values, 4, unexpected)?,
        );
        for row in 0..users.len() {
            if users.is_null(row) || users.value(row).is_empty() {
                return Err(event_error(
                    "user",
                    "NULL or empty user (filter with `WHERE user IS NOT NULL`)",
                ));
            }
            if times.is_null(row) {
                return Err(event_error("ts", "NULL timestamp"));
            }
            let time = times.value(row);
            let count = number(counts, row);
            let value = number(amounts, row);
            if !(count.is_finite() && count >= 0.0) {
                return Err(Error::InvalidCount {
                    field: "conversion",
                    value: count,
                    reason: "must be finite and >= 0 (0: not a conversion)",
                });
            }
            if !(value.is_finite() && value >= 0.0) {
                return Err(Error::InvalidCount {
                    field: "value",
                    value,
                    reason: "must be finite and >= 0",
                });
            }
            if count == 0.0 && value != 0.0 {
                return Err(Error::InvalidCount {
                    field: "value",
                    value,
                    reason: "a value on a row that is not a conversion",
                });
            }
            let channel = channels.is_valid(row).then(|| channels.value(row));
            if channel.is_none() && count == 0.0 {
                return Err(event_error(
                    "channel",
                    "a row with neither a channel nor a conversion",
                ));
            }
            let user = intern(&mut self.users, users.value(row))?;
            if let Some(name) = channel {
                let channel = match self.channels.get(name) {
                    Some(id) => id,
                    None => {
                        // A new name is checked like a table's channel (non-empty, not
                        // reserved), so that a bad row fails where it is read.
                        Channels::new().intern(name)?;
                        intern(&mut self.channels, name)?
                    }
                };
                self.events.push(RawEvent {
                    user,
                    time,
                    channel,
                    count: 0.0,
                    value: 0.0,
                });
            }
            if count > 0.0 {
                self.events.push(RawEvent {
                    user,
                    time,
                    channel: NO_CHANNEL,
                    count,
                    value,
                });
            }
        }
        Ok(())
    }

    /// Events sorted by content: user, time, touches before conversions, channel name, count,
    /// value. Input order never matters.
    fn sorted(&self) -> Vec<RawEvent> {
        let mut events = self.events.clone();
        let channel =
            |e: &RawEvent| (e.channel != NO_CHANNEL).then(|| self.channels.name(e.channel));
        events.sort_unstable_by(|a, b| {
            self.users
                .name(a.user)
                .cmp(self.users.name(b.user))
                .then(a.time.cmp(&b.time))
                .then((a.channel == NO_CHANNEL).cmp(&(b.channel == NO_CHANNEL)))
                .then(channel(a).cmp(&channel(b)))
                .then(a.count.total_cmp(&b.count))
                .then(a.value.total_cmp(&b.value))
        });
        events
    }

    fn list(values: ArrayRef) -> ScalarValue {
        let field = Arc::new(Field::new_list_field(values.data_type().clone(), true));
        let offsets = OffsetBuffer::from_lengths([values.len()]);
        ScalarValue::List(Arc::new(ListArray::new(field, offsets, values, None)))
    }
}

impl Accumulator for JourneysAccumulator {
    fn update_batch(&mut self, values: &[ArrayRef]) -> DfResult<()> {
        self.add_events(values).map_err(external)
    }

    fn state(&mut self) -> DfResult<Vec<ScalarValue>> {
        let e = &self.events;
        let users = StringArray::from_iter_values(e.iter().map(|e| self.users.name(e.user)));
        let times = Int64Array::from_iter_values(e.iter().map(|e| e.time));
        let channels = StringArray::from_iter(
            e.iter()
                .map(|e| (e.channel != NO_CHANNEL).then(|| self.channels.name(e.channel))),
        );
        let counts = Float64Array::from_iter_values(e.iter().map(|e| e.count));
        let amounts = Float64Array::from_iter_values(e.iter().map(|e| e.value));
        let columns: [ArrayRef; 5] = [
            Arc::new(users),
            Arc::new(times),
            Arc::new(channels),
            Arc::new(counts),
            Arc::new(amounts),
        ];
        Ok(columns.into_iter().map(Self::list).collect())
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> DfResult<()> {
        let lists = states
            .iter()
            .map(|s| s.as_list_opt::<i32>().ok_or_else(|| internal("state type")))
            .collect::<DfResult<Vec<_>>>()?;
        let rows = lists.first().map_or(0, |l| l.len());
        for i in 0..rows {
            if lists[0].is_null(i) {
                continue;
            }
            let columns: Vec<ArrayRef> = lists.iter().map(|l| l.value(i)).collect();
            self.add_events(&columns).map_err(external)?;
        }
        Ok(())
    }

    fn evaluate(&mut self) -> DfResult<ScalarValue> {
        let mut log = EventLog::new();
        for e in self.sorted() {
            let user = &self.users.name(e.user);
            let r = if e.channel == NO_CHANNEL {
                log.add_conversion(user, e.time, e.count, e.value)
            } else {
                log.add_touch(user, e.time, self.channels.name(e.channel))
            };
            r.map_err(external)?;
        }
        let (table, _report) = log.build(&self.options).map_err(external)?;
        Ok(ScalarValue::Binary(Some(codec::encode(&table.canonical()))))
    }

    fn size(&self) -> usize {
        size_of_val(self)
            + self.events.capacity() * size_of::<RawEvent>()
            + self.users.heap_bytes()
            + self.channels.heap_bytes()
    }
}
