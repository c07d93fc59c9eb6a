//! Path tables built by [Apache DataFusion](https://datafusion.apache.org) on any number of
//! partitions (feature `datafusion`), and through the same functions on a Ballista cluster.
//!
//! Three aggregate functions whose partial state is a binary path table ([`crate::codec`]):
//!
//! | SQL | input | result |
//! |---|---|---|
//! | `touchpoint_paths(path, conversions [, value [, nulls]])` | a ChannelAttribution-style path table (`A > B > C`, counts) | the merged table |
//! | `touchpoint_journeys(user, ts, channel, conversion [, value])` | a raw touch/conversion event log | the table of journeys ([`crate::events`] rules) |
//! | `touchpoint_merge(table)` | encoded tables (results of the two above, or shipped by any job) | the merged table |
//!
//! Each returns one `Binary` value (an encoded [`PathTable`]) per group; [`table_from_batches`]
//! decodes a query result, and every model runs on it:
//!
//! ```
//! use datafusion::prelude::{SessionConfig, SessionContext};
//! use touchpoint::{AttributionModel, Linear};
//!
//! let ctx = SessionContext::new_with_config(SessionConfig::new().with_target_partitions(8));
//! touchpoint::datafusion::register(&ctx);
//! // Any table works: `ctx.register_csv("paths", "paths.csv", CsvReadOptions::new())`, Parquet…
//! let sql = "SELECT touchpoint_paths(path, total_conversions, total_conversion_value, total_null)
//!            FROM (VALUES ('Search > Email', 2, 30.5, 1), ('Email', 1, 5.0, 4),
//!                         ('Search > Email', 0, 0.0, 2))
//!                 AS paths(path, total_conversions, total_conversion_value, total_null)";
//! let runtime = tokio::runtime::Runtime::new()?;
//! let batches = runtime.block_on(async { ctx.sql(sql).await?.collect().await })?;
//! let table = touchpoint::datafusion::table_from_batches(&batches)?;
//! assert_eq!(table.len(), 2);
//! // Linear: Search gets half of the 2 conversions of "Search > Email", Email the rest.
//! assert_eq!(Linear::default().attribute(&table)?.conversions("Email"), 2.0);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Exact on any number of partitions
//!
//! DataFusion runs an aggregate in two phases when the input has several partitions: one
//! accumulator per partition (`AggregateExec: mode=Partial`) ships its `state()`, and a final
//! accumulator merges the states (`mode=Final`). Here the state is the partial table, encoded,
//! plus the rounding residue of its sums (below). The result is made independent of the
//! partitioning, so that every model gives the same answer on 1 partition or 64:
//!
//! * **Rows**: the result is in canonical form ([`PathTable::canonical`]: channels and rows in
//!   name order), whatever order partitions finished in.
//! * **Counts and values** are summed with compensation: each untimed row keeps its sums as a
//!   float plus the exact rounding error of every addition (Neumaier's compensated sum, with
//!   TwoSum so the order of magnitudes does not matter), the residue travels in the state, and
//!   the result is the rounded compensated sum. Whole-number counts below 2^53 are exact anyway;
//!   for fractional values (revenue in cents) the sum is within about `n·ε²` (relative) of the
//!   exact sum of the inputs, so it is the correctly rounded sum except when the exact sum lies
//!   within that distance of a rounding boundary — no realistic table does, and the tests check
//!   bit-identical tables on 1, 2, 4 and 8 partitions with fractional values.
//! * **Events** (`touchpoint_journeys`) are sorted by content before journeys are built: by
//!   user, time, touches before conversions, then channel name. Input order, which a
//!   distributed engine does not keep, never matters; ties in time are broken by channel name
//!   (the file readers of [`crate::events`] keep input order instead).
//!
//! A NULL path or user is an error (filter it with `WHERE … IS NOT NULL`); a NULL count or value
//! counts as 0, as a missing column does in the CSV readers. Any invalid input (empty channel
//! name, reserved name, negative or NaN count, …) fails the query with the crate's [`Error`]
//! inside `DataFusionError::External`.
//!
//! # Raw events
//!
//! `touchpoint_journeys(user, ts, channel, conversion, value)` reads an event log: a row with a
//! channel is a touch; a row whose `conversion` is positive is a conversion of that count
//! (worth `value`), and a conversion row that also names a channel is a touch followed by the
//! conversion, as in [`crate::events::read_events`]. `ts` is a timestamp (any unit) or an integer
//! of microseconds since the epoch; `user` any string or integer. Journeys are cut with
//! [`JourneyOptions`] (default: 30-day lookback, timestamps kept so time decay uses real time);
//! register other options with [`journeys_udaf`].
//!
//! The partial state of this function is the events themselves (journeys need all events of a
//! user), so a global `SELECT touchpoint_journeys(…) FROM events` ships every event to one
//! final accumulator. For large logs, let the engine group by user first and merge the small
//! per-user tables:
//!
//! ```sql
//! SELECT touchpoint_merge(j) FROM (
//!   SELECT touchpoint_journeys(user_id, ts, channel, conversion, value) AS j
//!   FROM events GROUP BY user_id)
//! ```
//!
//! # Ballista (a DataFusion cluster) — documentation, not tested here
//!
//! Ballista runs the same physical plans on executors. A user-defined aggregate must be known in
//! three places: the client's session (to plan the query), the scheduler (to plan the stages)
//! and every executor (to run them); an executor that lacks it fails at task launch with an
//! unknown-function error. Ballista loads no plug-ins, so this means your own scheduler and
//! executor binaries (a few lines each, after Ballista's `examples/`), built with `touchpoint`
//! (feature `datafusion`) at the same version everywhere, against the Ballista release that
//! uses DataFusion 55:
//!
//! ```text
//! // The functions, for every process:
//! let udafs: Vec<Arc<AggregateUDF>> =
//!     touchpoint::datafusion::udafs().into_iter().map(Arc::new).collect();
//! // Client: a SessionState that knows them.
//! let state = SessionStateBuilder::new().with_default_features()
//!     .with_aggregate_functions(udafs.clone()).build();
//! let ctx = SessionContext::remote_with_state("df://scheduler:50050", state).await?;
//! // Scheduler: SchedulerConfig::with_override_session_builder(..), building the same state.
//! // Executor:  ExecutorProcessConfig { override_function_registry: Some(registry), .. },
//! //            a BallistaFunctionRegistry whose aggregate functions include `udafs`.
//! ```
//!
//! Nothing else is needed: partial states travel between stages as ordinary `Binary` columns,
//! so there is no custom codec, no shared file system and no logical-plan extension. Ballista's
//! names for these hooks change between releases; check its `examples/` for the one you run.
//!
//! # Spark (and other SQL engines) — documentation, not tested here
//!
//! Spark users need no `touchpoint` code on the cluster: Spark SQL builds the path table, and
//! [`read_paths`](crate::formats::read_paths) (CSV) reads its output. For an event table
//! `events(user_id, ts, channel, conversion, value)` (`channel` NULL on pure conversion rows,
//! `conversion` 0 on touches):
//!
//! ```sql
//! WITH tagged AS (
//!   SELECT *,
//!          -- journey number = conversions strictly before this row (reset after conversion)
//!          COALESCE(SUM(CASE WHEN conversion > 0 THEN 1 ELSE 0 END) OVER (
//!            PARTITION BY user_id ORDER BY ts, channel
//!            ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS journey
//!   FROM events),
//! journeys AS (
//!   SELECT user_id, journey,
//!          -- collect_list keeps no order after a shuffle: sort (ts, channel) structs explicitly
//!          array_sort(collect_list(CASE WHEN channel IS NOT NULL THEN struct(ts, channel) END))
//!            AS touches,
//!          MAX(conversion) AS conversions,
//!          SUM(CASE WHEN conversion > 0 THEN value ELSE 0 END) AS value
//!   FROM tagged GROUP BY user_id, journey)
//! SELECT concat_ws(' > ', transform(touches, t -> t.channel)) AS path,
//!        SUM(conversions) AS total_conversions,
//!        SUM(value) AS total_conversion_value,
//!        SUM(CASE WHEN conversions > 0 THEN 0 ELSE 1 END) AS total_null
//! FROM journeys
//! WHERE size(touches) > 0      -- conversions without touches are unattributed
//! GROUP BY 1
//! ```
//!
//! then `df.coalesce(1).write.option("header", True).csv(…)` and
//! `cargo run --example attribute -- part-*.csv`. This recipe is [`JourneyOptions`] with
//! `lookback: None` (every touch since the previous conversion counts); a lookback window
//! needs each touch's closing conversion time (`MIN(CASE WHEN conversion > 0 THEN ts END)`
//! over the journey) and a filter `ts >= conv_ts - INTERVAL 30 DAYS`. The same query in
//! DataFusion's dialect (`string_agg(channel, ' > ' ORDER BY ts, channel)` for the path) is
//! tested against `touchpoint_journeys` in `tests/datafusion.rs`. In BigQuery, use
//! `STRING_AGG(channel, ' > ' ORDER BY ts, channel)`.
//!
//! A Spark (or Flink, or hand-rolled) job that wants to do the merging itself can ship
//! [`codec::encode`]d partial tables instead and merge them with [`PathTable::merge`].
//!
//! # Build cost
//!
//! DataFusion is large: about 270 crates and ~9 minutes for a cold debug build on two cores,
//! which is why the feature is off by default and tested in its own CI step.

use std::hash::{Hash, Hasher};
use std::sync::Arc;

use ::datafusion::arrow::array::{
    Array, ArrayRef, AsArray, Float64Array, Int64Array, ListArray, RecordBatch, StringArray,
};
use ::datafusion::arrow::buffer::OffsetBuffer;
use ::datafusion::arrow::compute::cast;
use ::datafusion::arrow::datatypes::{DataType, Field, FieldRef, Float64Type, Int64Type, TimeUnit};
use ::datafusion::common::{DataFusionError, ScalarValue};
use ::datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use ::datafusion::logical_expr::utils::format_state_name;
use ::datafusion::logical_expr::{
    Accumulator, AggregateUDF, AggregateUDFImpl, Signature, Volatility,
};
use ::datafusion::prelude::SessionContext;
use rustc_hash::FxHashMap;

use crate::channel::{ChannelId, Channels, Interner};
use crate::codec;
use crate::error::{Error, ParseProblem, Result};
use crate::events::{EventLog, JourneyOptions};
use crate::outcome::Outcome;
use crate::table::{DEFAULT_MAX_PATH_LEN, PathTable};

type DfResult<T> = std::result::Result<T, DataFusionError>;

/// SQL name of the path-table aggregate.
pub const PATHS: &str = "touchpoint_paths";
/// SQL name of the event-log aggregate.
pub const JOURNEYS: &str = "touchpoint_journeys";
/// SQL name of the aggregate that merges encoded tables.
pub const MERGE: &str = "touchpoint_merge";

/// The three aggregates with default options: paths separated by `>`, journeys cut with
/// [`JourneyOptions::default`]. For Ballista's session builders and function registries.
pub fn udafs() -> Vec<AggregateUDF> {
    vec![
        paths_udaf(">"),
        journeys_from_valid(JourneyOptions::default()),
        merge_udaf(),
    ]
}

/// Registers [`udafs`] with a session (replacing functions of the same names).
pub fn register(ctx: &SessionContext) {
    for f in udafs() {
        ctx.register_udaf(f);
    }
}

/// `touchpoint_paths` with another channel separator (blank: split on whitespace; channel names
/// are trimmed either way, as in [`read_paths`](crate::formats::read_paths)).
pub fn paths_udaf(separator: &str) -> AggregateUDF {
    AggregateUDF::from(TableUdaf {
        name: PATHS,
        input: Input::Paths {
            separator: separator.trim().to_string(),
        },
        signature: Signature::user_defined(Volatility::Immutable),
    })
}

/// `touchpoint_merge`: merges encoded path tables (`Binary`), for example the per-group results
/// of the other two functions.
pub fn merge_udaf() -> AggregateUDF {
    AggregateUDF::from(TableUdaf {
        name: MERGE,
        input: Input::Tables,
        signature: Signature::user_defined(Volatility::Immutable),
    })
}

/// `touchpoint_journeys` with journey rules other than the defaults.
///
/// # Errors
/// As [`JourneyOptions::validate`].
pub fn journeys_udaf(options: JourneyOptions) -> Result<AggregateUDF> {
    options.validate()?;
    Ok(journeys_from_valid(options))
}

fn journeys_from_valid(options: JourneyOptions) -> AggregateUDF {
    AggregateUDF::from(JourneysUdaf {
        options: Arc::new(options),
        signature: Signature::user_defined(Volatility::Immutable),
    })
}

/// Decodes one result value of the aggregates (a `Binary` scalar).
///
/// # Errors
/// [`Error::InvalidParameter`] if the value is not a non-NULL binary; [`Error::Decode`] if its
/// bytes are not an encoded table.
pub fn table_from_scalar(value: &ScalarValue) -> Result<PathTable> {
    match value {
        ScalarValue::Binary(Some(b))
        | ScalarValue::LargeBinary(Some(b))
        | ScalarValue::BinaryView(Some(b)) => codec::decode(b),
        other => Err(not_a_table(&format!("{} value", other.data_type()))),
    }
}

/// Decodes every value of a `Binary` column (one per group of a grouped query); NULL stays
/// `None`.
///
/// # Errors
/// [`Error::InvalidParameter`] if the column is not binary; [`Error::Decode`] for bytes that are
/// not an encoded table.
pub fn tables_from_array(array: &dyn Array) -> Result<Vec<Option<PathTable>>> {
    let binary = match array.data_type() {
        DataType::Binary | DataType::LargeBinary | DataType::BinaryView => {
            cast(array, &DataType::Binary).map_err(|e| not_a_table(&e.to_string()))?
        }
        other => return Err(not_a_table(&format!("{other} column"))),
    };
    let binary = binary
        .as_binary_opt::<i32>()
        .ok_or_else(|| not_a_table("column that does not cast to Binary"))?;
    binary
        .iter()
        .map(|v| v.map(codec::decode).transpose())
        .collect()
}

/// The path table of a query result: the first column of every batch holds encoded tables
/// (one per group); all non-NULL values are decoded and merged into one table.
///
/// # Errors
/// As [`tables_from_array`]; [`Error::InvalidParameter`] for a batch without columns.
pub fn table_from_batches(batches: &[RecordBatch]) -> Result<PathTable> {
    let mut out: Option<PathTable> = None;
    for batch in batches {
        if batch.num_columns() == 0 {
            return Err(not_a_table("batch without columns"));
        }
        for t in tables_from_array(batch.column(0).as_ref())?
            .into_iter()
            .flatten()
        {
            match out.as_mut() {
                None => out = Some(t),
                Some(o) => o.merge(&t)?,
            }
        }
    }
    Ok(out.unwrap_or_default())
}

fn not_a_table(what: &str) -> Error {
    Error::InvalidParameter {
        model: "datafusion",
        name: "result",
        reason: format!("expected an encoded path table (Binary), found a {what}"),
    }
}

fn external(e: Error) -> DataFusionError {
    DataFusionError::External(Box::new(e))
}

fn internal(what: &str) -> DataFusionError {
    DataFusionError::Internal(format!("touchpoint: unexpected {what}"))
}

fn plan_error(function: &str, msg: String) -> DataFusionError {
    DataFusionError::Plan(format!("{function}: {msg}"))
}

/// The type a string-like argument is cast to.
fn string_arg(function: &str, name: &str, t: &DataType) -> DfResult<DataType> {
    match t {
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View | DataType::Null => {
            Ok(DataType::Utf8)
        }
        other => Err(plan_error(
            function,
            format!("`{name}` must be a string, not {other}"),
        )),
    }
}

/// The type a count argument is cast to.
fn number_arg(function: &str, name: &str, t: &DataType) -> DfResult<DataType> {
    if t.is_numeric() || matches!(t, DataType::Null | DataType::Boolean) {
        Ok(DataType::Float64)
    } else {
        Err(plan_error(
            function,
            format!("`{name}` must be a number, not {t}"),
        ))
    }
}

fn arity(function: &str, args: &[DataType], names: &[&str], required: usize) -> DfResult<()> {
    if args.len() < required || args.len() > names.len() {
        return Err(plan_error(
            function,
            format!(
                "takes ({}) with the first {required} required, got {} arguments",
                names.join(", "),
                args.len()
            ),
        ));
    }
    Ok(())
}

fn binary_field(args: &StateFieldsArgs<'_>, name: &str) -> FieldRef {
    Arc::new(Field::new(
        format_state_name(args.name, name),
        DataType::Binary,
        true,
    ))
}

fn float_column(values: &[ArrayRef], i: usize) -> DfResult<Option<&Float64Array>> {
    values
        .get(i)
        .map(|a| {
            a.as_primitive_opt::<Float64Type>()
                .ok_or_else(|| internal("count type"))
        })
        .transpose()
}

/// A column value, NULL (or a missing column) as 0.
fn number(column: Option<&Float64Array>, row: usize) -> f64 {
    match column {
        Some(c) if c.is_valid(row) => c.value(row),
        _ => 0.0,
    }
}

// ---------------------------------------------------------------------------------------------
// Compensated partial tables
// ---------------------------------------------------------------------------------------------

/// A sum with the exact rounding error of every addition kept aside (Neumaier's compensated
/// summation with Knuth's TwoSum, valid whatever the magnitudes).
#[derive(Clone, Copy, Debug, Default)]
struct Compensated {
    sum: f64,
    err: f64,
}

impl Compensated {
    fn add(&mut self, x: f64) {
        let s = self.sum + x;
        let b = s - self.sum;
        self.err += (self.sum - (s - b)) + (x - b);
        self.sum = s;
    }

    /// Adds a value shipped as `(rounded, residue)` by [`Compensated::parts`].
    fn add_parts(&mut self, rounded: f64, residue: f64) {
        self.add(rounded);
        self.err += residue;
    }

    /// `(t, r)` with `t` the rounded compensated sum and `t + r` exactly `sum + err`.
    fn parts(&self) -> (f64, f64) {
        let t = self.sum + self.err;
        let b = t - self.sum;
        (t, (self.sum - (t - b)) + (self.err - b))
    }
}

/// The accumulator state of `touchpoint_paths` / `touchpoint_merge`: untimed rows with
/// compensated sums, timed rows (from merged journey tables) kept as they are.
#[derive(Debug)]
struct Partial {
    channels: Channels,
    max_path_len: usize,
    rows: FxHashMap<Box<[ChannelId]>, [Compensated; 3]>,
    timed: PathTable,
    /// Touches in `rows` (for `size`).
    touches: usize,
    /// The path being added, in `channels` ids.
    ids: Vec<ChannelId>,
}

impl Default for Partial {
    fn default() -> Self {
        Partial {
            channels: Channels::new(),
            max_path_len: DEFAULT_MAX_PATH_LEN,
            rows: FxHashMap::default(),
            timed: PathTable::new(),
            touches: 0,
            ids: Vec::new(),
        }
    }
}

impl Partial {
    /// Adds the untimed path in `self.ids`.
    fn add_row(&mut self, outcome: Outcome, residue: [f64; 3]) -> Result<()> {
        let len = self.ids.len();
        crate::table::check_path_len(len, self.max_path_len)?;
        outcome.validate()?;
        let nums = [outcome.conversions, outcome.value, outcome.nulls];
        let sums = match self.rows.get_mut(self.ids.as_slice()) {
            Some(sums) => sums,
            None => {
                self.touches += len;
                self.rows
                    .entry(self.ids.as_slice().into())
                    .or_insert([Compensated::default(); 3])
            }
        };
        for ((s, x), r) in sums.iter_mut().zip(nums).zip(residue) {
            s.add_parts(x, r);
        }
        Ok(())
    }

    /// Adds a path given as channel names.
    fn add_names<'a>(
        &mut self,
        names: impl Iterator<Item = &'a str>,
        outcome: Outcome,
    ) -> Result<()> {
        self.ids.clear();
        for (i, name) in names.enumerate() {
            if name.is_empty() {
                return Err(Error::InvalidPath(ParseProblem::EmptyToken {
                    position: i + 1,
                }));
            }
            let id = self.channels.intern(name)?;
            self.ids.push(id);
        }
        self.add_row(outcome, [0.0; 3])
    }

    /// Adds every row of `table`; `residues` are the bytes [`Partial::to_table`] wrote with it
    /// (one entry per row), `None` for a table from elsewhere.
    fn merge_table(&mut self, table: &PathTable, residues: Option<&[u8]>) -> Result<()> {
        let remap: Vec<ChannelId> = table
            .channels()
            .iter()
            .map(|(_, name)| self.channels.intern(name))
            .collect::<Result<_>>()?;
        let mut residues = residues.map(|bytes| Residues {
            bytes,
            pos: 0,
            row: 0,
        });
        for row in table.rows() {
            let residue = match residues.as_mut() {
                Some(r) => r.next()?,
                None => [0.0; 3],
            };
            match row.times {
                None => {
                    self.ids.clear();
                    self.ids.extend(row.path.iter().map(|id| remap[id.index()]));
                    self.add_row(row.outcome, residue)?;
                }
                Some(times) => {
                    let names = row.path.iter().map(|&id| table.channels().name(id));
                    self.timed.set_max_path_len(self.max_path_len);
                    self.timed
                        .add_timed(names, times, row.converted_at, row.outcome)?;
                }
            }
        }
        match residues {
            Some(r) if r.pos != r.bytes.len() => Err(Error::Decode {
                offset: r.pos,
                problem: codec::DecodeProblem::TrailingBytes {
                    count: r.bytes.len() - r.pos,
                },
            }),
            _ => Ok(()),
        }
    }

    /// The partial table (rounded sums) and the residues of its rows: per row a mask byte (bit
    /// i: a residue for count i follows) and the residues as f64 little-endian.
    fn to_table(&self) -> Result<(PathTable, Vec<u8>)> {
        let mut t = PathTable::new();
        t.set_max_path_len(self.max_path_len);
        for (_, name) in self.channels.iter() {
            // Same names in the same order: the same ids as in `self.rows`.
            t.intern(name)?;
        }
        let mut residues = Vec::with_capacity(self.rows.len());
        for (path, sums) in &self.rows {
            let parts = sums.map(|s| s.parts());
            t.add_ids(path, Outcome::new(parts[0].0, parts[1].0, parts[2].0))?;
            let mask = parts
                .iter()
                .enumerate()
                .filter(|(_, p)| p.1 != 0.0)
                .fold(0u8, |m, (i, _)| m | 1 << i);
            residues.push(mask);
            for (_, r) in parts.iter().filter(|p| p.1 != 0.0) {
                residues.extend_from_slice(&r.to_le_bytes());
            }
        }
        t.merge(&self.timed)?;
        residues.resize(residues.len() + self.timed.len(), 0);
        Ok((t, residues))
    }

    fn heap_bytes(&self) -> usize {
        self.rows.capacity() * (size_of::<Box<[ChannelId]>>() + size_of::<[Compensated; 3]>() + 1)
            + self.touches * size_of::<ChannelId>()
            + self.timed.heap_bytes()
            + self.channels.len() * 48
    }
}

/// Reader of the residue bytes of [`Partial::to_table`].
struct Residues<'a> {
    bytes: &'a [u8],
    pos: usize,
    row: u64,
}

impl Residues<'_> {
    fn next(&mut self) -> Result<[f64; 3]> {
        let truncated = |pos| Error::Decode {
            offset: pos,
            problem: codec::DecodeProblem::Truncated {
                what: "the residues",
            },
        };
        let &mask = self
            .bytes
            .get(self.pos)
            .ok_or_else(|| truncated(self.pos))?;
        if mask > 7 {
            return Err(Error::Decode {
                offset: self.pos,
                problem: codec::DecodeProblem::UnknownTag {
                    row: self.row,
                    what: "residue",
                    code: mask,
                },
            });
        }
        self.pos += 1;
        let mut out = [0.0; 3];
        for (i, r) in out
            .iter_mut()
            .enumerate()
            .filter(|(i, _)| mask >> i & 1 == 1)
        {
            let b = self
                .bytes
                .get(self.pos..self.pos + 8)
                .ok_or_else(|| truncated(self.pos))?;
            let mut a = [0u8; 8];
            a.copy_from_slice(b);
            *r = f64::from_le_bytes(a);
            if !r.is_finite() {
                return Err(Error::InvalidCount {
                    field: ["conversions", "value", "nulls"][i],
                    value: *r,
                    reason: "rounding residue must be finite",
                });
            }
            self.pos += 8;
        }
        self.row += 1;
        Ok(out)
    }
}

// ---------------------------------------------------------------------------------------------
// touchpoint_paths and touchpoint_merge
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Input {
    /// `(path, conversions [, value [, nulls]])`, path split on `separator`.
    Paths { separator: String },
    /// Encoded tables.
    Tables,
}

const PATH_ARGS: [&str; 4] = ["path", "conversions", "value", "nulls"];

#[derive(Debug, PartialEq, Eq, Hash)]
struct TableUdaf {
    name: &'static str,
    input: Input,
    signature: Signature,
}

impl AggregateUDFImpl for TableUdaf {
    fn name(&self) -> &str {
        self.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _args: &[DataType]) -> DfResult<DataType> {
        Ok(DataType::Binary)
    }

    fn coerce_types(&self, args: &[DataType]) -> DfResult<Vec<DataType>> {
        match self.input {
            Input::Paths { .. } => {
                arity(self.name, args, &PATH_ARGS, 2)?;
                args.iter()
                    .zip(PATH_ARGS)
                    .enumerate()
                    .map(|(i, (t, name))| {
                        if i == 0 {
                            string_arg(self.name, name, t)
                        } else {
                            number_arg(self.name, name, t)
                        }
                    })
                    .collect()
            }
            Input::Tables => {
                arity(self.name, args, &["table"], 1)?;
                match &args[0] {
                    DataType::Binary
                    | DataType::LargeBinary
                    | DataType::BinaryView
                    | DataType::Null => Ok(vec![DataType::Binary]),
                    other => Err(plan_error(
                        self.name,
                        format!("`table` must be binary (an encoded path table), not {other}"),
                    )),
                }
            }
        }
    }

    fn accumulator(&self, _args: AccumulatorArgs<'_>) -> DfResult<Box<dyn Accumulator>> {
        Ok(Box::new(TableAccumulator {
            input: self.input.clone(),
            partial: Partial::default(),
        }))
    }

    fn state_fields(&self, args: StateFieldsArgs<'_>) -> DfResult<Vec<FieldRef>> {
        Ok(vec![
            binary_field(&args, "table"),
            binary_field(&args, "residues"),
        ])
    }
}

#[derive(Debug)]
struct TableAccumulator {
    input: Input,
    partial: Partial,
}

/// Adds `(path, conversions [, value [, nulls]])` rows, paths split on `separator`.
fn add_paths(partial: &mut Partial, values: &[ArrayRef], separator: &str) -> DfResult<()> {
    let paths = values
        .first()
        .and_then(|a| a.as_string_opt::<i32>())
        .ok_or_else(|| internal("path type"))?;
    let (c, v, u) = (
        float_column(values, 1)?,
        float_column(values, 2)?,
        float_column(values, 3)?,
    );
    for row in 0..paths.len() {
        if paths.is_null(row) {
            return Err(external(Error::InvalidParameter {
                model: "touchpoint_paths",
                name: "path",
                reason: "NULL path (filter with `WHERE path IS NOT NULL`)".into(),
            }));
        }
        let path = paths.value(row);
        let outcome = Outcome::new(number(c, row), number(v, row), number(u, row));
        let r = if path.trim().is_empty() {
            Err(Error::InvalidPath(ParseProblem::EmptyPath))
        } else if separator.is_empty() {
            partial.add_names(path.split_whitespace(), outcome)
        } else {
            partial.add_names(path.split(separator).map(str::trim), outcome)
        };
        r.map_err(external)?;
    }
    Ok(())
}

impl TableAccumulator {
    fn add_tables(&mut self, tables: &ArrayRef, residues: Option<&ArrayRef>) -> DfResult<()> {
        let tables = tables
            .as_binary_opt::<i32>()
            .ok_or_else(|| internal("table type"))?;
        let residues = residues
            .map(|r| {
                r.as_binary_opt::<i32>()
                    .ok_or_else(|| internal("residue type"))
            })
            .transpose()?;
        for i in 0..tables.len() {
            if tables.is_null(i) {
                continue;
            }
            let table = codec::decode(tables.value(i)).map_err(external)?;
            let res = residues.filter(|r| r.is_valid(i)).map(|r| r.value(i));
            self.partial.merge_table(&table, res).map_err(external)?;
        }
        Ok(())
    }
}

impl Accumulator for TableAccumulator {
    fn update_batch(&mut self, values: &[ArrayRef]) -> DfResult<()> {
        match &self.input {
            Input::Paths { separator } => add_paths(&mut self.partial, values, separator),
            Input::Tables => {
                let tables = values.first().ok_or_else(|| internal("argument count"))?;
                self.add_tables(tables, None)
            }
        }
    }

    fn state(&mut self) -> DfResult<Vec<ScalarValue>> {
        let (table, residues) = self.partial.to_table().map_err(external)?;
        Ok(vec![
            ScalarValue::Binary(Some(codec::encode(&table))),
            ScalarValue::Binary(Some(residues)),
        ])
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> DfResult<()> {
        let tables = states.first().ok_or_else(|| internal("state count"))?;
        self.add_tables(tables, states.get(1))
    }

    fn evaluate(&mut self) -> DfResult<ScalarValue> {
        let (table, _) = self.partial.to_table().map_err(external)?;
        Ok(ScalarValue::Binary(Some(codec::encode(&table.canonical()))))
    }

    fn size(&self) -> usize {
        size_of_val(self) + self.partial.heap_bytes()
    }
}

// ---------------------------------------------------------------------------------------------
// touchpoint_journeys
// ---------------------------------------------------------------------------------------------

const EVENT_ARGS: [&str; 5] = ["user", "ts", "channel", "conversion", "value"];

#[derive(Debug)]
struct JourneysUdaf {
    options: Arc<JourneyOptions>,
    signature: Signature,
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
                "ts" => match t {
                    DataType::Timestamp(_, tz) => {
                        Ok(DataType::Timestamp(TimeUnit::Microsecond, tz.clone()))
                    }
                    t if t.is_integer() => Ok(DataType::Int64),
                    other => Err(plan_error(
                        JOURNEYS,
                        format!("`ts` must be a timestamp or µs since the epoch, not {other}"),
                    )),
                },
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
            Arc::new(Field::new(
                format_state_name(args.name, name),
                DataType::List(Arc::new(Field::new_list_field(item, true))),
                true,
            ))
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
        let internal = |what: &str| event_error("arguments", format!("unexpected {what}"));
        let users = values
            .first()
            .and_then(|a| a.as_string_opt::<i32>())
            .ok_or_else(|| internal("user type"))?;
        let times = values
            .get(1)
            .map(|a| cast(a, &DataType::Int64))
            .transpose()
            .map_err(|e| internal(&e.to_string()))?
            .ok_or_else(|| internal("argument count"))?;
        let times = times
            .as_primitive_opt::<Int64Type>()
            .ok_or_else(|| internal("time type"))?;
        let channels = values
            .get(2)
            .and_then(|a| a.as_string_opt::<i32>())
            .ok_or_else(|| internal("channel type"))?;
        let float = |i: usize| -> Result<Option<&Float64Array>> {
            values
                .get(i)
                .map(|a| {
                    a.as_primitive_opt::<Float64Type>()
                        .ok_or_else(|| internal("count type"))
                })
                .transpose()
        };
        let (counts, amounts) = (float(3)?, float(4)?);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compensated_sums_round_once() {
        // fl(0.1) = 0.1000000000000000055511151231257827…; ten of them sum exactly to
        // 1.000000000000000055511…, whose nearest double is 1.0. A plain running sum ends at
        // 0.9999999999999999.
        let mut plain = 0.0;
        let mut c = Compensated::default();
        for _ in 0..10 {
            plain += 0.1;
            c.add(0.1);
        }
        assert_eq!(plain, 0.9999999999999999);
        assert_eq!(c.parts().0, 1.0);
        // Shipped as (rounded, residue) and merged in two halves, in either order: the same.
        let (mut a, mut b) = (Compensated::default(), Compensated::default());
        for _ in 0..3 {
            a.add(0.1);
        }
        for _ in 0..7 {
            b.add(0.1);
        }
        let (mut ab, mut ba) = (a, b);
        let (pa, pb) = (a.parts(), b.parts());
        ab.add_parts(pb.0, pb.1);
        ba.add_parts(pa.0, pa.1);
        assert_eq!(ab.parts().0, 1.0);
        assert_eq!(ba.parts().0, 1.0);
    }

    fn partial(rows: &[(&str, f64, f64, f64)]) -> Partial {
        let mut p = Partial::default();
        for &(path, c, v, u) in rows {
            p.add_names(path.split('>').map(str::trim), Outcome::new(c, v, u))
                .unwrap();
        }
        p
    }

    #[test]
    fn states_merge_with_their_residues() {
        // Five conversions worth fl(12.34) each: the exact sum, 5·fl(12.34), rounds to 61.7
        // (checked with exact rationals); summing the halves' rounded sums gives
        // 61.699999999999996.
        let rows = [("A > B", 1.0, 12.34, 0.0); 5];
        let whole = partial(&rows);
        let (left, right) = (partial(&rows[..2]), partial(&rows[2..]));
        let mut merged = Partial::default();
        for p in [&right, &left] {
            let (t, res) = p.to_table().unwrap();
            let t = codec::decode(&codec::encode(&t)).unwrap();
            merged.merge_table(&t, Some(&res)).unwrap();
        }
        let (a, _) = merged.to_table().unwrap();
        let (b, _) = whole.to_table().unwrap();
        assert_eq!(a, b);
        assert_eq!(a.row(0).outcome, Outcome::new(5.0, 61.7, 0.0));
        // Without the residues the rounding errors of the halves are lost.
        let mut lossy = Partial::default();
        for p in [&right, &left] {
            lossy.merge_table(&p.to_table().unwrap().0, None).unwrap();
        }
        assert_eq!(
            lossy.to_table().unwrap().0.row(0).outcome.value,
            61.699999999999996
        );
    }

    #[test]
    fn bad_residues_are_decode_errors() {
        let p = partial(&[("A", 1.0, 0.1, 0.0), ("B", 3.0, 0.3, 0.0)]);
        let (t, res) = p.to_table().unwrap();
        let mut m = Partial::default();
        assert!(matches!(
            m.merge_table(&t, Some(&res[..res.len() - 1])),
            Err(Error::Decode { .. })
        ));
        let mut extra = res.clone();
        extra.push(0);
        assert!(matches!(
            Partial::default().merge_table(&t, Some(&extra)),
            Err(Error::Decode {
                problem: codec::DecodeProblem::TrailingBytes { count: 1 },
                ..
            })
        ));
        let mut bad = res.clone();
        bad[0] = 8;
        assert!(matches!(
            Partial::default().merge_table(&t, Some(&bad)),
            Err(Error::Decode {
                problem: codec::DecodeProblem::UnknownTag { row: 0, .. },
                ..
            })
        ));
    }

    #[test]
    fn paths_are_checked_like_the_csv_reader() {
        let mut p = Partial::default();
        let ok = Outcome::converted(1.0, 0.0);
        assert!(matches!(
            p.add_names(["A", ""].into_iter(), ok),
            Err(Error::InvalidPath(ParseProblem::EmptyToken { position: 2 }))
        ));
        assert!(matches!(
            p.add_names(std::iter::empty(), ok),
            Err(Error::InvalidPath(ParseProblem::EmptyPath))
        ));
        assert!(p.add_names(["(null)"].into_iter(), ok).is_err());
        assert!(
            p.add_names(["A"].into_iter(), Outcome::new(0.0, 1.0, 0.0))
                .is_err()
        );
        p.max_path_len = 2;
        assert!(matches!(
            p.add_names(["A"; 3].into_iter(), ok),
            Err(Error::InvalidPath(ParseProblem::PathTooLong {
                len: 3,
                limit: 2
            }))
        ));
        assert!(p.rows.is_empty());
    }
}
