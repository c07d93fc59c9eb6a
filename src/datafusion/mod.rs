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

mod args;
mod journeys;
mod partial;
mod paths;

use std::sync::Arc;

use ::datafusion::arrow::array::{Array, AsArray, RecordBatch};
use ::datafusion::arrow::compute::cast;
use ::datafusion::arrow::datatypes::DataType;
use ::datafusion::common::ScalarValue;
use ::datafusion::logical_expr::{AggregateUDF, Signature, Volatility};
use ::datafusion::prelude::SessionContext;

use crate::codec;
use crate::error::{Error, Result};
use crate::events::JourneyOptions;
use crate::table::PathTable;

use journeys::JourneysUdaf;
use paths::{Input, TableUdaf};

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
