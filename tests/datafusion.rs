//! The DataFusion aggregates on a real session: identical tables and attributions on 1, 2, 4 and
//! 8 partitions, raw events, the SQL journey recipe, grouped queries, and errors.
//!
//! Run with `cargo test --features datafusion --test datafusion`.
#![cfg(feature = "datafusion")]

mod common;

use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, Float64Array, Int64Array, RecordBatch, StringArray,
};
use datafusion::arrow::datatypes::{DataType, Field, Schema, TimeUnit};
use datafusion::datasource::MemTable;
use datafusion::prelude::{SessionConfig, SessionContext};
use rand::rngs::Xoshiro256PlusPlus;
use rand::{RngExt, SeedableRng};
use touchpoint::datafusion::{journeys_udaf, register, table_from_batches, tables_from_array};
use touchpoint::events::synth::{SynthEvents, SynthOptions};
use touchpoint::events::{EventLog, JourneyOptions};
use touchpoint::{
    AttributionModel, FirstTouch, LastNonDirect, LastTouch, Linear, Markov, Outcome, Participation,
    PathTable, PositionBased, ShaoLi, Shapley, ShapleyGlobal, ShapleyOrdered, ShapleyRate,
    TimeDecay, WShaped, codec,
};

const PARTITIONS: [usize; 4] = [1, 2, 4, 8];

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .expect("tokio runtime")
}

/// Every model that exists on main (rule-based, Shapley family).
fn models() -> Vec<Box<dyn AttributionModel>> {
    vec![
        Box::new(FirstTouch),
        Box::new(LastTouch),
        Box::new(LastNonDirect::default()),
        Box::new(Linear::default()),
        Box::new(PositionBased::default()),
        Box::new(WShaped::default()),
        Box::new(Participation::default()),
        Box::new(TimeDecay::default()),
        Box::new(Shapley),
        Box::new(ShapleyOrdered::default()),
        Box::new(ShapleyRate::default()),
        Box::new(ShapleyGlobal::default()),
        Box::new(ShaoLi::default()),
        Box::new(Markov::default()),
        Box::new(Markov::with_order(2)),
    ]
}

/// A session with `partitions` target partitions, the touchpoint functions, and `batch` as
/// table `name` dealt round-robin into `partitions` MemTable partitions.
fn session(partitions: usize, name: &str, batch: &RecordBatch) -> SessionContext {
    let ctx =
        SessionContext::new_with_config(SessionConfig::new().with_target_partitions(partitions));
    register(&ctx);
    add_table(&ctx, partitions, name, batch);
    ctx
}

fn add_table(ctx: &SessionContext, partitions: usize, name: &str, batch: &RecordBatch) {
    let rows = batch.num_rows();
    let parts: Vec<Vec<RecordBatch>> = (0..partitions)
        .map(|p| {
            // Rows p, p + k, p + 2k, …: every partition sees a mix of paths and users.
            let idx: Vec<u64> = (p..rows).step_by(partitions).map(|i| i as u64).collect();
            let idx = datafusion::arrow::array::UInt64Array::from(idx);
            let cols = batch
                .columns()
                .iter()
                .map(|c| datafusion::arrow::compute::take(c, &idx, None).unwrap())
                .collect();
            vec![RecordBatch::try_new(batch.schema(), cols).unwrap()]
        })
        .collect();
    let mem = MemTable::try_new(batch.schema(), parts).unwrap();
    ctx.register_table(name, Arc::new(mem)).unwrap();
}

fn query(rt: &tokio::runtime::Runtime, ctx: &SessionContext, sql: &str) -> Vec<RecordBatch> {
    rt.block_on(async { ctx.sql(sql).await?.collect().await })
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

fn query_err(rt: &tokio::runtime::Runtime, ctx: &SessionContext, sql: &str) -> String {
    match rt.block_on(async { ctx.sql(sql).await?.collect().await }) {
        Ok(_) => panic!("{sql}: expected an error"),
        Err(e) => e.to_string(),
    }
}

/// The physical plan, to check that several partitions really take the Partial → Final path.
fn plan(rt: &tokio::runtime::Runtime, ctx: &SessionContext, sql: &str) -> String {
    let batches = query(rt, ctx, &format!("EXPLAIN {sql}"));
    datafusion::arrow::util::pretty::pretty_format_batches(&batches)
        .unwrap()
        .to_string()
}

/// A seeded path table with repeated paths (so partitions hold overlapping rows), fractional
/// values in cents, and whole conversions and nulls.
fn path_rows(rows: usize, seed: u64) -> (RecordBatch, PathTable) {
    let names = &common::POOL[..6];
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let (mut paths, mut conv, mut value, mut nulls) = (vec![], vec![], vec![], vec![]);
    let mut reference = PathTable::new();
    for _ in 0..rows {
        let len = 1 + rng.random_range(0..4) as usize;
        let path: Vec<&str> = (0..len)
            .map(|_| names[rng.random_range(0..6).min(rng.random_range(0..6)) as usize])
            .collect();
        let c = rng.random_range(0..3) as f64;
        let v = if c > 0.0 {
            (rng.random_range(0..20_000) as f64) / 100.0
        } else {
            0.0
        };
        let u = rng.random_range(0..5) as f64;
        reference.add(&path, Outcome::new(c, v, u)).unwrap();
        paths.push(path.join(" > "));
        conv.push(c);
        value.push(v);
        nulls.push(u);
    }
    let batch = RecordBatch::try_from_iter_with_nullable([
        ("path", Arc::new(StringArray::from(paths)) as ArrayRef, true),
        (
            "total_conversions",
            Arc::new(Float64Array::from(conv)),
            true,
        ),
        (
            "total_conversion_value",
            Arc::new(Float64Array::from(value)),
            true,
        ),
        ("total_null", Arc::new(Float64Array::from(nulls)), true),
    ]);
    (batch.unwrap(), reference)
}

const PATHS_SQL: &str = "SELECT touchpoint_paths(path, total_conversions, total_conversion_value, \
                         total_null) FROM paths";

/// The encoded canonical table: equal bytes mean the same rows, order and bits.
fn bytes(t: &PathTable) -> Vec<u8> {
    codec::encode(&t.canonical())
}

/// Every model gives the same attribution on every `(partitions, table)` as on the first.
fn models_agree<'a>(mut rest: impl Iterator<Item = (usize, &'a PathTable)> + Clone) {
    let Some((_, first)) = rest.next() else {
        return;
    };
    for m in models() {
        let want = m.attribute(first).unwrap();
        for (p, t) in rest.clone() {
            assert_eq!(
                m.attribute(t).unwrap(),
                want,
                "{} on {p} partitions",
                m.name()
            );
        }
    }
}

#[test]
fn path_tables_are_identical_on_1_2_4_8_partitions() {
    let rt = runtime();
    let (batch, reference) = path_rows(3000, 7);
    let mut results = Vec::new();
    for p in PARTITIONS {
        let ctx = session(p, "paths", &batch);
        if p > 1 {
            let plan = plan(&rt, &ctx, PATHS_SQL);
            assert!(plan.contains("mode=Partial"), "{plan}");
        }
        let table = table_from_batches(&query(&rt, &ctx, PATHS_SQL)).unwrap();
        results.push((p, table));
    }
    // Whole-number conversions and nulls are exact; values (cents) equal the plain sums to
    // rounding, path by path.
    let (_, first) = &results[0];
    assert_eq!(first.len(), reference.len());
    assert_eq!(first.channels().len(), 6);
    let expected = reference.canonical();
    for (a, b) in first.rows().zip(expected.rows()) {
        let names = |t: &PathTable, p: &[touchpoint::ChannelId]| -> Vec<String> {
            p.iter()
                .map(|&id| t.channels().name(id).to_string())
                .collect()
        };
        assert_eq!(names(first, a.path), names(&expected, b.path));
        assert_eq!(a.outcome.conversions, b.outcome.conversions);
        assert_eq!(a.outcome.nulls, b.outcome.nulls);
        let (x, y) = (a.outcome.value, b.outcome.value);
        assert!((x - y).abs() <= 1e-12 * x.abs().max(1.0), "{x} vs {y}");
    }
    for (p, t) in &results[1..] {
        assert_eq!(t, first, "{p} partitions");
        assert_eq!(bytes(t), bytes(first), "{p} partitions: not bit-identical");
    }
    models_agree(results.iter().map(|(p, t)| (*p, t)));
}

/// Integer-valued tables come out exactly equal to the table built directly.
#[test]
fn whole_number_tables_equal_the_direct_table() {
    let rt = runtime();
    let (batch, _) = path_rows(500, 11);
    // Round the values to whole numbers in SQL.
    let sql = "SELECT touchpoint_paths(path, total_conversions, round(total_conversion_value), \
               total_null) FROM paths";
    let mut direct = PathTable::new();
    let paths = batch
        .column(0)
        .as_any()
        .downcast_ref::<StringArray>()
        .unwrap();
    let f = |i: usize| {
        batch
            .column(i)
            .as_any()
            .downcast_ref::<Float64Array>()
            .unwrap()
    };
    for r in 0..batch.num_rows() {
        let o = Outcome::new(f(1).value(r), f(2).value(r).round(), f(3).value(r));
        direct
            .add(paths.value(r).split('>').map(str::trim), o)
            .unwrap();
    }
    for p in PARTITIONS {
        let ctx = session(p, "paths", &batch);
        let t = table_from_batches(&query(&rt, &ctx, sql)).unwrap();
        assert_eq!(bytes(&t), bytes(&direct), "{p} partitions");
    }
}

/// Events as a batch: user, ts (µs), channel (NULL on conversions), conversion, value.
fn event_batch(events: u64, seed: u64) -> RecordBatch {
    let opts = SynthOptions {
        events,
        seed,
        conversion_rate: 0.15,
        ..SynthOptions::default()
    };
    let channels = opts.channels.clone();
    let (mut user, mut ts, mut channel, mut conv, mut value) =
        (vec![], vec![], vec![], vec![], vec![]);
    for e in SynthEvents::new(opts).unwrap() {
        user.push(format!("u{}", e.user));
        ts.push(e.at);
        channel.push(e.channel.map(|c| channels[c].clone()));
        conv.push(if e.channel.is_none() { 1.0 } else { 0.0 });
        value.push(e.value);
    }
    RecordBatch::try_from_iter_with_nullable([
        (
            "user_id",
            Arc::new(StringArray::from(user)) as ArrayRef,
            false,
        ),
        ("ts", Arc::new(Int64Array::from(ts)), false),
        ("channel", Arc::new(StringArray::from(channel)), true),
        ("conversion", Arc::new(Float64Array::from(conv)), false),
        ("value", Arc::new(Float64Array::from(value)), false),
    ])
    .unwrap()
}

/// The journeys of `batch` built by the crate directly, events added in the documented content
/// order (user, time, touches before conversions, channel).
fn direct_journeys(batch: &RecordBatch, opts: &JourneyOptions) -> PathTable {
    let s = |i: usize| {
        batch
            .column(i)
            .as_any()
            .downcast_ref::<StringArray>()
            .unwrap()
    };
    let f = |i: usize| {
        batch
            .column(i)
            .as_any()
            .downcast_ref::<Float64Array>()
            .unwrap()
    };
    let ts = batch
        .column(1)
        .as_any()
        .downcast_ref::<Int64Array>()
        .unwrap();
    let mut order: Vec<usize> = (0..batch.num_rows()).collect();
    let channel = |r: usize| s(2).is_valid(r).then(|| s(2).value(r));
    order.sort_by(|&a, &b| {
        (s(0).value(a), ts.value(a), channel(a).is_none(), channel(a)).cmp(&(
            s(0).value(b),
            ts.value(b),
            channel(b).is_none(),
            channel(b),
        ))
    });
    let mut log = EventLog::new();
    for r in order {
        match channel(r) {
            Some(c) => log.add_touch(s(0).value(r), ts.value(r), c).unwrap(),
            None => log
                .add_conversion(s(0).value(r), ts.value(r), f(3).value(r), f(4).value(r))
                .unwrap(),
        }
    }
    log.build(opts).unwrap().0
}

const JOURNEYS_SQL: &str =
    "SELECT touchpoint_journeys(user_id, ts, channel, conversion, value) FROM events";

#[test]
fn journeys_from_raw_events_are_identical_on_1_2_4_8_partitions() {
    let rt = runtime();
    let batch = event_batch(4000, 3);
    let direct = direct_journeys(&batch, &JourneyOptions::default());
    assert!(direct.has_times());
    let mut results = Vec::new();
    for p in PARTITIONS {
        let ctx = session(p, "events", &batch);
        let t = table_from_batches(&query(&rt, &ctx, JOURNEYS_SQL)).unwrap();
        assert_eq!(bytes(&t), bytes(&direct), "{p} partitions");
        // The big-log pattern: per-user tables merged.
        let per_user = table_from_batches(&query(
            &rt,
            &ctx,
            "SELECT touchpoint_merge(j) FROM (SELECT touchpoint_journeys(user_id, ts, channel, \
             conversion, value) AS j FROM events GROUP BY user_id)",
        ))
        .unwrap();
        assert_eq!(bytes(&per_user), bytes(&direct), "{p} partitions, per user");
        results.push(t);
    }
    // The same events with a timestamp column (µs, UTC) and integer users.
    let ts_type = DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()));
    let schema = Arc::new(Schema::new(vec![
        Field::new("user_id", DataType::Utf8, false),
        Field::new("ts", ts_type.clone(), false),
        Field::new("channel", DataType::Utf8, true),
        Field::new("conversion", DataType::Float64, false),
        Field::new("value", DataType::Float64, false),
    ]));
    let mut cols = batch.columns().to_vec();
    cols[1] = datafusion::arrow::compute::cast(&cols[1], &ts_type).unwrap();
    let stamped = RecordBatch::try_new(schema, cols).unwrap();
    let ctx = session(2, "events", &stamped);
    let t = table_from_batches(&query(&rt, &ctx, JOURNEYS_SQL)).unwrap();
    assert_eq!(bytes(&t), bytes(&direct), "timestamp column");

    models_agree(PARTITIONS.into_iter().zip(&results));
}

/// The SQL recipe of the module docs, in DataFusion's dialect, gives the journeys of
/// `touchpoint_journeys` with `lookback: None` and no timestamps.
#[test]
fn the_sql_journey_recipe_matches_touchpoint_journeys() {
    let rt = runtime();
    let batch = event_batch(3000, 5);
    let opts = JourneyOptions {
        lookback: None,
        keep_times: false,
        ..JourneyOptions::default()
    };
    let direct = direct_journeys(&batch, &opts);
    let recipe = "WITH tagged AS (
          SELECT user_id, ts, channel, conversion, value,
                 COALESCE(SUM(CASE WHEN conversion > 0 THEN 1 ELSE 0 END) OVER (
                   PARTITION BY user_id ORDER BY ts, channel NULLS LAST
                   ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS journey
          FROM events),
        journeys AS (
          SELECT user_id, journey,
                 string_agg(channel, ' > ' ORDER BY ts, channel) AS path,
                 MAX(conversion) AS conversions,
                 SUM(CASE WHEN conversion > 0 THEN value ELSE 0 END) AS value
          FROM tagged GROUP BY user_id, journey)
        SELECT touchpoint_paths(path, conversions, value,
                                CASE WHEN conversions > 0 THEN 0 ELSE 1 END)
        FROM journeys WHERE path IS NOT NULL";
    for p in [1, 4] {
        let ctx = session(p, "events", &batch);
        ctx.register_udaf(journeys_udaf(opts.clone()).unwrap());
        let from_sql = table_from_batches(&query(&rt, &ctx, recipe)).unwrap();
        let from_udaf = table_from_batches(&query(&rt, &ctx, JOURNEYS_SQL)).unwrap();
        assert!(!from_udaf.has_times());
        assert_eq!(from_udaf, direct.canonical());
        // Same paths, same whole-number counts; values equal to rounding (summed in another
        // order).
        assert_eq!(from_sql.len(), from_udaf.len());
        assert_eq!(from_sql.touch_count(), from_udaf.touch_count());
        for (a, b) in from_sql.rows().zip(from_udaf.rows()) {
            assert_eq!(a.path, b.path);
            assert_eq!(a.outcome.conversions, b.outcome.conversions);
            assert_eq!(a.outcome.nulls, b.outcome.nulls);
            let (x, y) = (a.outcome.value, b.outcome.value);
            assert!((x - y).abs() <= 1e-9 * x.abs().max(1.0), "{x} vs {y}");
        }
    }
}

#[test]
fn grouped_queries_give_one_table_per_group() {
    let rt = runtime();
    let (batch, reference) = path_rows(600, 13);
    let ctx = session(4, "paths", &batch);
    let sql = "SELECT touchpoint_paths(path, total_conversions, total_conversion_value, \
               total_null) AS t, length(path) % 3 AS g FROM paths GROUP BY g ORDER BY g";
    let batches = query(&rt, &ctx, sql);
    let tables: Vec<PathTable> = batches
        .iter()
        .flat_map(|b| tables_from_array(b.column(0).as_ref()).unwrap())
        .map(Option::unwrap)
        .collect();
    assert_eq!(tables.len(), 3);
    assert_eq!(
        tables.iter().map(PathTable::len).sum::<usize>(),
        reference.len()
    );
    let mut merged = PathTable::new();
    for t in &tables {
        merged.merge(t).unwrap();
    }
    let all = table_from_batches(&batches).unwrap();
    assert_eq!(bytes(&merged), bytes(&all));
    assert_eq!(merged.totals().conversions, reference.totals().conversions);
    assert_eq!(merged.totals().nulls, reference.totals().nulls);
}

#[test]
fn bad_input_fails_the_query_with_the_crate_error() {
    let rt = runtime();
    let (batch, _) = path_rows(10, 1);
    let ctx = session(2, "paths", &batch);
    for (sql, message) in [
        (
            "SELECT touchpoint_paths('A > (start)', 1.0) FROM paths",
            "reserved",
        ),
        (
            "SELECT touchpoint_paths('A >> B', 1) FROM paths",
            "empty channel name at position 2",
        ),
        (
            "SELECT touchpoint_paths('A', -1) FROM paths",
            "invalid conversions = -1",
        ),
        (
            "SELECT touchpoint_paths(CAST(NULL AS VARCHAR), 1) FROM paths",
            "NULL path",
        ),
        (
            "SELECT touchpoint_paths(path) FROM paths",
            "got 1 arguments",
        ),
        ("SELECT touchpoint_merge(path) FROM paths", "must be binary"),
        (
            "SELECT touchpoint_merge(X'0000000001') FROM paths",
            "bad magic",
        ),
    ] {
        let e = query_err(&rt, &ctx, sql);
        assert!(e.contains(message), "{sql}: {e}");
    }
    // A path table from elsewhere merges; NULL counts are 0.
    let shipped = codec::encode(&{
        let mut t = PathTable::new();
        t.add(["Email"], Outcome::converted(2.0, 3.0)).unwrap();
        t
    });
    let hex: String = shipped.iter().map(|b| format!("{b:02x}")).collect();
    let t = table_from_batches(&query(
        &rt,
        &ctx,
        &format!("SELECT touchpoint_merge(X'{hex}') FROM (SELECT 1) AS one"),
    ))
    .unwrap();
    assert_eq!(t.totals(), Outcome::converted(2.0, 3.0));
    let t = table_from_batches(&query(
        &rt,
        &ctx,
        "SELECT touchpoint_paths('A', 1, NULL, NULL) FROM (SELECT 1) AS one",
    ))
    .unwrap();
    assert_eq!(t.totals(), Outcome::converted(1.0, 0.0));
}
