//! Arrow record batches and Parquet files in and out (feature `parquet`): the same tables as the
//! CSV reader, every column layout, typed errors with row numbers, results written and read
//! back.
#![cfg(feature = "parquet")]

mod common;

use std::fs::File;
use std::path::PathBuf;
use std::sync::Arc;

use arrow_array::builder::{LargeListBuilder, ListBuilder, StringBuilder, StringDictionaryBuilder};
use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, Int16Type};
use arrow_array::{
    Array, ArrayRef, BooleanArray, Decimal128Array, Float32Array, Float64Array, Int8Array,
    Int32Array, Int64Array, RecordBatch, StringArray, StringViewArray, StructArray, UInt32Array,
    UInt64Array,
};
use arrow_schema::{DataType, Field};
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::file::properties::WriterProperties;
use touchpoint::bootstrap::Bootstrap;
use touchpoint::formats::{
    BadRows, PathBatchReader, PathCsvOptions, attributions_to_arrow, read_paths, read_paths_arrow,
    read_paths_parquet, write_attributions_parquet, write_paths_parquet,
};
use touchpoint::{
    AttributionModel, CreditTriple, Error, LastTouch, Linear, Location, ParseProblem, PathTable,
};

use common::{T2, assert_close, table};

/// A temporary file path, removed on drop.
struct Temp(PathBuf);

impl Temp {
    fn new(name: &str) -> Temp {
        Temp(std::env::temp_dir().join(format!(
            "touchpoint-arrow-{}-{name}.parquet",
            std::process::id()
        )))
    }
}

impl Drop for Temp {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Writes `batches` as a Parquet file with row groups of at most `row_group` rows.
fn parquet_file(name: &str, batches: &[RecordBatch], row_group: usize) -> Temp {
    let tmp = Temp::new(name);
    let props = WriterProperties::builder()
        .set_max_row_group_row_count(Some(row_group))
        .build();
    let file = File::create(&tmp.0).unwrap();
    let mut w = ArrowWriter::try_new(file, batches[0].schema(), Some(props)).unwrap();
    for b in batches {
        w.write(b).unwrap();
    }
    w.close().unwrap();
    tmp
}

fn read_parquet(tmp: &Temp, opts: &PathCsvOptions) -> touchpoint::Result<PathTable> {
    read_paths_parquet(File::open(&tmp.0).unwrap(), opts).map(|(t, _)| t)
}

/// A batch whose fields are all nullable (so batches with and without nulls share a schema).
fn batch(columns: Vec<(&str, ArrayRef)>) -> RecordBatch {
    RecordBatch::try_from_iter_with_nullable(columns.into_iter().map(|(n, a)| (n, a, true)))
        .unwrap()
}

fn arc(a: impl Array + 'static) -> ArrayRef {
    Arc::new(a)
}

fn t2_paths() -> Vec<&'static str> {
    T2.iter().map(|r| r.0).collect()
}

fn t2_column(k: usize) -> Vec<f64> {
    T2.iter().map(|r| [r.1, r.2, r.3][k]).collect()
}

/// T2 with string paths and the given count columns.
fn t2_batch(path: ArrayRef, conv: ArrayRef, value: ArrayRef, nulls: ArrayRef) -> RecordBatch {
    batch(vec![
        ("path", path),
        ("total_conversions", conv),
        ("total_conversion_value", value),
        ("total_null", nulls),
    ])
}

fn t2_f64() -> RecordBatch {
    t2_batch(
        arc(StringArray::from(t2_paths())),
        arc(Float64Array::from(t2_column(0))),
        arc(Float64Array::from(t2_column(1))),
        arc(Float64Array::from(t2_column(2))),
    )
}

#[test]
fn sample_csv_and_its_parquet_copy_give_equal_tables() {
    // The example file, read by the CSV reader, and the same rows as Parquet (paths as
    // strings, conversions Int64, value Float64, nulls UInt32; row groups of 64 rows, so the
    // 300 rows span 5 row groups).
    let text = std::fs::read_to_string("examples/data/sample_paths.csv").unwrap();
    let opts = PathCsvOptions::default();
    let (from_csv, csv_report) = read_paths(text.as_bytes(), &opts).unwrap();
    let (mut paths, mut conv, mut value, mut nulls) = (vec![], vec![], vec![], vec![]);
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        assert_eq!(f.len(), 4, "the sample has no quoted fields");
        paths.push(f[0].to_string());
        conv.push(f[1].parse::<i64>().unwrap());
        value.push(f[2].parse::<f64>().unwrap());
        nulls.push(f[3].parse::<u32>().unwrap());
    }
    let b = t2_batch(
        arc(StringArray::from(paths)),
        arc(Int64Array::from(conv)),
        arc(Float64Array::from(value)),
        arc(UInt32Array::from(nulls)),
    );
    let tmp = parquet_file("sample", &[b], 64);
    let (from_parquet, report) = read_paths_parquet(File::open(&tmp.0).unwrap(), &opts).unwrap();
    assert_eq!(from_parquet, from_csv);
    assert_eq!(report.rows, csv_report.rows);
    assert_eq!(report.rows, 300);
    assert!(report.has_value && report.has_nulls);
    // And the table written by the library reads back equal (paths as lists).
    let tmp2 = Temp::new("sample-written");
    write_paths_parquet(&from_csv, File::create(&tmp2.0).unwrap()).unwrap();
    assert_eq!(read_parquet(&tmp2, &opts).unwrap(), from_csv);
}

#[test]
fn list_paths_in_every_layout_equal_string_paths() {
    let want = table(T2);
    let opts = PathCsvOptions::default();
    let split = |p: &str| -> Vec<String> { p.split('>').map(|s| s.trim().to_string()).collect() };
    let counts = || {
        (
            arc(Float64Array::from(t2_column(0))),
            arc(Float64Array::from(t2_column(1))),
            arc(Float64Array::from(t2_column(2))),
        )
    };
    // List<Utf8>, with blanks around names (trimmed like CSV channel names).
    let mut list = ListBuilder::new(StringBuilder::new());
    for p in t2_paths() {
        list.append_value(split(p).into_iter().map(|s| Some(format!(" {s} "))));
    }
    // LargeList<Utf8>.
    let mut large = LargeListBuilder::new(StringBuilder::new());
    for p in t2_paths() {
        large.append_value(split(p).into_iter().map(Some));
    }
    // List<Dictionary<Int16, Utf8>>.
    let mut dict = ListBuilder::new(StringDictionaryBuilder::<Int16Type>::new());
    for p in t2_paths() {
        dict.append_value(split(p).into_iter().map(Some));
    }
    let layouts: Vec<ArrayRef> = vec![
        arc(list.finish()),
        arc(large.finish()),
        arc(dict.finish()),
        arc(StringViewArray::from(t2_paths())),
    ];
    for paths in layouts {
        let kind = paths.data_type().clone();
        let (c, v, n) = counts();
        let b = t2_batch(paths, c, v, n);
        let (got, _) = read_paths_arrow([&b], &opts).unwrap();
        assert_eq!(got, want, "{kind}");
        // Through a Parquet file as well (row groups of 2 rows).
        let tmp = parquet_file("lists", &[b], 2);
        assert_eq!(
            read_parquet(&tmp, &opts).unwrap(),
            want,
            "{kind} via Parquet"
        );
    }
}

#[test]
fn integer_float_decimal_and_boolean_columns() {
    let want = table(T2);
    let opts = PathCsvOptions::default();
    let ints: Vec<i8> = t2_column(0).iter().map(|&x| x as i8).collect();
    let nulls: Vec<u64> = t2_column(2).iter().map(|&x| x as u64).collect();
    // Value in cents at scale 2: 2000 → 20.00.
    let cents: Vec<i128> = t2_column(1).iter().map(|&x| (x * 100.0) as i128).collect();
    let values = [
        arc(Float32Array::from(
            t2_column(1).iter().map(|&x| x as f32).collect::<Vec<_>>(),
        )),
        arc(Decimal128Array::from(cents)
            .with_precision_and_scale(12, 2)
            .unwrap()),
    ];
    for value in values {
        let b = t2_batch(
            arc(StringArray::from(t2_paths())),
            arc(Int8Array::from(ints.clone())),
            value,
            arc(UInt64Array::from(nulls.clone())),
        );
        assert_eq!(read_paths_arrow([&b], &opts).unwrap().0, want);
        let tmp = parquet_file("numbers", &[b], 4);
        assert_eq!(read_parquet(&tmp, &opts).unwrap(), want);
    }
    // One journey per row with a Boolean "converted" flag (DP6 style): 2 conversions, 1 null.
    let b = batch(vec![
        ("path", arc(StringArray::from(vec!["A > B", "A > B", "B"]))),
        (
            "converted",
            arc(BooleanArray::from(vec![true, false, true])),
        ),
    ]);
    let opts = PathCsvOptions {
        conversions_column: "converted".into(),
        null_column: None,
        ..PathCsvOptions::default()
    };
    let (t, report) = read_paths_arrow([&b], &opts).unwrap();
    assert_eq!(t.totals().conversions, 2.0);
    assert_eq!(t.len(), 2);
    assert!(!report.has_value && !report.has_nulls);
}

#[test]
fn custom_names_and_separator_as_in_csv() {
    let csv = "journey;conv\nA | B;2\nB;1\n";
    let opts = PathCsvOptions {
        path_column: "journey".into(),
        conversions_column: "conv".into(),
        separator: "|".into(),
        ..PathCsvOptions::default()
    };
    let (want, _) = read_paths(csv.as_bytes(), &opts).unwrap();
    let b = batch(vec![
        ("journey", arc(StringArray::from(vec!["A | B", "B"]))),
        ("conv", arc(Int32Array::from(vec![2, 1]))),
    ]);
    assert_eq!(read_paths_arrow([&b], &opts).unwrap().0, want);
}

#[test]
fn nulls_are_errors_naming_the_row_across_batches_and_row_groups() {
    let opts = PathCsvOptions::default();
    // 2 batches of 6 rows; row 9 (the 3rd of the 2nd batch) has a null value.
    let second = t2_batch(
        arc(StringArray::from(t2_paths())),
        arc(Float64Array::from(t2_column(0))),
        arc(Float64Array::from(vec![
            Some(20.0),
            Some(15.0),
            None,
            Some(10.0),
            Some(12.0),
            Some(8.0),
        ])),
        arc(Float64Array::from(t2_column(2))),
    );
    let want = Error::Parse {
        at: Location { line: 9, record: 8 },
        problem: ParseProblem::Null {
            field: "total_conversion_value".into(),
        },
    };
    let err = read_paths_arrow([t2_f64(), second.clone()], &opts).unwrap_err();
    assert_eq!(err.to_string(), want.to_string());
    assert_eq!(err.to_string(), "line 9: total_conversion_value: null");
    // Parquet with row groups of 4 rows: row 9 is the first row of the 3rd row group.
    let tmp = parquet_file("nulls", &[t2_f64(), second], 4);
    let err = read_parquet(&tmp, &opts).unwrap_err();
    assert_eq!(err.to_string(), want.to_string());

    // A null path, a null list, and a null list element.
    let b = batch(vec![
        ("path", arc(StringArray::from(vec![Some("A"), None]))),
        ("total_conversions", arc(Int32Array::from(vec![1, 1]))),
    ]);
    let err = read_paths_arrow([&b], &opts).unwrap_err();
    assert_eq!(err.to_string(), "line 2: path: null");
    let mut list = ListBuilder::new(StringBuilder::new());
    list.append_value([Some("A"), Some("B")]);
    list.append_null();
    list.append_value([Some("A"), None, Some("B")]);
    list.append_value(Vec::<Option<&str>>::new());
    let b = batch(vec![
        ("path", arc(list.finish())),
        ("total_conversions", arc(Int32Array::from(vec![1, 1, 1, 1]))),
    ]);
    let err = read_paths_arrow([&b], &opts).unwrap_err();
    assert_eq!(err.to_string(), "line 2: path: null");
    let skip = PathCsvOptions {
        bad_rows: BadRows::Skip,
        ..PathCsvOptions::default()
    };
    let (t, report) = read_paths_arrow([&b], &skip).unwrap();
    assert_eq!((t.len(), report.rows, report.skipped), (1, 1, 3));
    let problems: Vec<(u64, ParseProblem)> = report
        .skipped_details
        .into_iter()
        .map(|(at, p)| (at.line, p))
        .collect();
    assert_eq!(
        problems,
        [
            (
                2,
                ParseProblem::Null {
                    field: "path".into()
                }
            ),
            (
                3,
                ParseProblem::Null {
                    field: "path[2]".into()
                }
            ),
            (4, ParseProblem::EmptyPath),
        ]
    );
}

#[test]
fn bad_rows_are_the_csv_readers_bad_rows_one_line_up() {
    // The same rows as CSV and as Arrow: CSV line = Arrow row + 1 (the header).
    let rows = [
        ("A > B", "1", "10", "0"),
        ("A >> B", "1", "0", "0"),      // empty channel name
        ("(start) > A", "1", "0", "0"), // reserved name
        ("B", "-1", "0", "0"),          // negative count
        ("B", "0", "5", "1"),           // value without conversions
        ("C", "NaN", "0", "0"),         // NaN (a float in Arrow)
        ("C", "2", "3", "1"),
    ];
    let mut csv = String::from("path,total_conversions,total_conversion_value,total_null\n");
    for r in rows {
        csv.push_str(&format!("{},{},{},{}\n", r.0, r.1, r.2, r.3));
    }
    let skip = PathCsvOptions {
        bad_rows: BadRows::Skip,
        ..PathCsvOptions::default()
    };
    let (want, csv_report) = read_paths(csv.as_bytes(), &skip).unwrap();
    let num = |k: usize| -> ArrayRef {
        let v: Vec<f64> = rows
            .iter()
            .map(|r| [r.1, r.2, r.3][k].parse().unwrap())
            .collect();
        arc(Float64Array::from(v))
    };
    let b = t2_batch(
        arc(StringArray::from(
            rows.iter().map(|r| r.0).collect::<Vec<_>>(),
        )),
        num(0),
        num(1),
        num(2),
    );
    let (got, report) = read_paths_arrow([&b], &skip).unwrap();
    assert_eq!(got, want);
    assert_eq!(report.rows, 2);
    assert_eq!(report.skipped, csv_report.skipped);
    assert_eq!(report.skipped, 5);
    for ((a, pa), (c, pc)) in report
        .skipped_details
        .iter()
        .zip(&csv_report.skipped_details)
    {
        assert_eq!(a.line + 1, c.line);
        // Compared as text: NaN != NaN.
        assert_eq!(pa.to_string(), pc.to_string());
    }
    // Error mode stops at row 2 (CSV line 3), keeping row 1.
    let mut reader = PathBatchReader::new(&PathCsvOptions::default());
    let err = reader.push(&b).unwrap_err();
    assert_eq!(err.location(), Some(Location { line: 2, record: 1 }));
    assert_eq!(reader.table().len(), 1);
}

#[test]
fn wrong_types_are_schema_errors_at_line_0() {
    let opts = PathCsvOptions::default();
    let cases: Vec<(RecordBatch, &str, &str)> = vec![
        (
            batch(vec![
                ("path", arc(StringArray::from(vec!["A"]))),
                ("total_conversions", arc(StringArray::from(vec!["1"]))),
            ]),
            "total_conversions",
            "Utf8",
        ),
        (
            batch(vec![
                ("path", arc(Int64Array::from(vec![1]))),
                ("total_conversions", arc(Int64Array::from(vec![1]))),
            ]),
            "path",
            "Int64",
        ),
        (
            batch(vec![
                (
                    "path",
                    arc(ListBuilder::new(Int32Array::builder(0)).finish()),
                ),
                (
                    "total_conversions",
                    arc(Int64Array::from(Vec::<i64>::new())),
                ),
            ]),
            "path",
            "List(Int32)",
        ),
    ];
    for (b, column, found) in cases {
        let err = read_paths_arrow([&b], &opts).unwrap_err();
        match err {
            Error::Parse {
                at,
                problem:
                    ParseProblem::ColumnType {
                        column: c,
                        found: f,
                        ..
                    },
            } => {
                assert_eq!(at, Location { line: 0, record: 0 });
                assert_eq!(c, column);
                assert!(f.starts_with(found), "{f} for {column}");
            }
            other => panic!("expected a column type error, got {other:?}"),
        }
        // The same through Parquet (types survive the file).
        let tmp = parquet_file("types", &[b], 10);
        let err = read_parquet(&tmp, &opts).unwrap_err();
        assert!(
            matches!(
                err,
                Error::Parse {
                    problem: ParseProblem::ColumnType { .. },
                    ..
                }
            ),
            "{err}"
        );
    }
}

#[test]
fn missing_columns_are_errors_and_other_columns_are_ignored() {
    let opts = PathCsvOptions::default();
    let b = batch(vec![
        ("journey", arc(StringArray::from(vec!["A"]))),
        ("total_conversions", arc(Int64Array::from(vec![1]))),
    ]);
    let err = read_paths_arrow([&b], &opts).unwrap_err();
    assert_eq!(
        err.to_string(),
        "line 0: missing column `path` in the header (found: journey,total_conversions)"
    );
    let tmp = parquet_file("missing", &[b], 10);
    assert_eq!(
        read_parquet(&tmp, &opts).unwrap_err().to_string(),
        err.to_string()
    );
    // An extra struct column (a type no getter reads) is skipped, not decoded.
    let extra = StructArray::from(vec![(
        Arc::new(Field::new("x", DataType::Int32, false)),
        arc(Int32Array::from(vec![7])),
    )]);
    let b = batch(vec![
        ("device", arc(extra)),
        ("path", arc(StringArray::from(vec!["A > B"]))),
        ("total_conversions", arc(Int64Array::from(vec![1]))),
    ]);
    let tmp = parquet_file("extra", &[b], 10);
    let (t, report) = read_paths_parquet(File::open(&tmp.0).unwrap(), &opts).unwrap();
    assert_eq!(t, table(&[("A > B", 1.0, 0.0, 0.0)]));
    assert!(!report.has_value && !report.has_nulls);
    // Not a Parquet file at all.
    std::fs::write(&tmp.0, "path,total_conversions\nA,1\n").unwrap();
    assert!(matches!(read_parquet(&tmp, &opts), Err(Error::Io(_))));
}

#[test]
fn results_written_as_parquet_read_back() {
    let t = table(T2);
    let mut last = LastTouch.attribute(&t).unwrap();
    let linear = Linear::default().attribute(&t).unwrap();
    let tmp = Temp::new("results");
    write_attributions_parquet(
        &[last.clone(), linear.clone()],
        File::create(&tmp.0).unwrap(),
    )
    .unwrap();
    let read = |tmp: &Temp| -> RecordBatch {
        let reader = ParquetRecordBatchReaderBuilder::try_new(File::open(&tmp.0).unwrap())
            .unwrap()
            .build()
            .unwrap();
        let mut batches: Vec<RecordBatch> = reader.map(Result::unwrap).collect();
        assert_eq!(batches.len(), 1, "a results file this small is one batch");
        batches.remove(0)
    };
    let b = read(&tmp);
    let names: Vec<String> = b
        .schema_ref()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    assert_eq!(
        names,
        [
            "model",
            "channel",
            "conversions",
            "value",
            "share",
            "value_share"
        ]
    );
    assert_eq!(b.num_rows(), 6);
    let s = |i: usize| b.column(i).as_string::<i32>().clone();
    let f = |i: usize| b.column(i).as_primitive::<Float64Type>().clone();
    let (model, channel, conv, value, share, vshare) = (s(0), s(1), f(2), f(3), f(4), f(5));
    // Last touch on T2 (hand-computed): A gets the rows C > A and B > C > B > A (2, value 22),
    // B gets A > A > B and B (2, value 20), C gets A > B > C (2) and C (1) (3, value 28).
    let expected_last = [("A", 2.0, 22.0), ("B", 2.0, 20.0), ("C", 3.0, 28.0)];
    for (row, (ch, c, v)) in expected_last.iter().enumerate() {
        assert_eq!(model.value(row), "last_touch");
        assert_eq!(channel.value(row), *ch);
        assert_close(conv.value(row), *c);
        assert_close(value.value(row), *v);
        assert_close(share.value(row), c / 7.0);
        assert_close(vshare.value(row), v / 70.0);
    }
    // Linear, from the library's own result, rows 3..6 (the model reference, §Rule-based
    // results on T2: A = 25/12 of C).
    assert_eq!(model.value(3), linear.model);
    assert_close(conv.value(3), 25.0 / 12.0);
    for (k, c) in linear.channels.iter().enumerate() {
        assert_eq!(channel.value(3 + k), c.channel);
        assert_eq!(conv.value(3 + k), c.conversions);
        assert_eq!(value.value(3 + k), c.value);
    }

    // With intervals on one model: 9 nullable columns follow, null on the other model's rows.
    last.channels[0].ci = Some(CreditTriple {
        conversions: [1.0, 3.0],
        value: [10.0, 30.0],
        share: [0.1, 0.4],
    });
    last.channels[0].se = Some(CreditTriple {
        conversions: 0.5,
        value: 5.0,
        share: 0.05,
    });
    let both = [last, linear];
    write_attributions_parquet(&both, File::create(&tmp.0).unwrap()).unwrap();
    let b = read(&tmp);
    // The columns of the long CSV, in its order.
    let mut csv = Vec::new();
    touchpoint::report::write_csv(&mut csv, &both).unwrap();
    let csv = String::from_utf8(csv).unwrap();
    let names: Vec<&str> = b
        .schema_ref()
        .fields()
        .iter()
        .map(|f| f.name().as_str())
        .collect();
    assert_eq!(Some(names.join(",").as_str()), csv.lines().next());
    let col = |name: &str| {
        b.column_by_name(name)
            .unwrap_or_else(|| panic!("column {name}"))
            .as_primitive::<Float64Type>()
            .clone()
    };
    for (name, want) in [
        ("conversions_lo", 1.0),
        ("conversions_hi", 3.0),
        ("value_lo", 10.0),
        ("value_hi", 30.0),
        ("share_lo", 0.1),
        ("share_hi", 0.4),
        ("conversions_se", 0.5),
        ("value_se", 5.0),
        ("share_se", 0.05),
    ] {
        let c = col(name);
        assert_eq!(c.value(0), want, "{name}");
        assert!(c.is_null(1) && c.is_null(5), "{name}");
    }
    assert_eq!(b.num_columns(), 15);

    // A real bootstrap annotation fills every row of the model.
    let mut boot = LastTouch.attribute(&t).unwrap();
    Bootstrap {
        replicates: 50,
        seed: 3,
        ..Bootstrap::default()
    }
    .run(&LastTouch, &t)
    .unwrap()
    .annotate(&mut boot);
    let b = attributions_to_arrow(&[boot]).unwrap();
    let lo = b.column_by_name("conversions_lo").unwrap();
    assert_eq!(lo.null_count(), 0);
}

#[test]
fn empty_inputs() {
    let opts = PathCsvOptions::default();
    let b = t2_batch(
        arc(StringArray::from(Vec::<&str>::new())),
        arc(Int64Array::from(Vec::<i64>::new())),
        arc(Float64Array::from(Vec::<f64>::new())),
        arc(Float64Array::from(Vec::<f64>::new())),
    );
    let (t, report) = read_paths_arrow([&b], &opts).unwrap();
    assert!(t.is_empty());
    assert_eq!(report.rows, 0);
    let (t, _) = read_paths_arrow(Vec::<RecordBatch>::new(), &opts).unwrap();
    assert!(t.is_empty());
    let tmp = Temp::new("empty-results");
    write_attributions_parquet(&[], File::create(&tmp.0).unwrap()).unwrap();
    let reader = ParquetRecordBatchReaderBuilder::try_new(File::open(&tmp.0).unwrap()).unwrap();
    assert_eq!(reader.metadata().file_metadata().num_rows(), 0);
}

/// The bundled event log as Arrow columns (user and channel strings, a `Timestamp(µs, UTC)`
/// column, integer conversions, float values), written as Parquet with several row groups, reads
/// into the same journeys as the CSV reader; a null timestamp names its row.
#[test]
fn event_logs_from_arrow_and_parquet_match_csv() {
    use arrow_array::TimestampMicrosecondArray;
    use touchpoint::events::{
        EventOptions, JourneyOptions, parse_timestamp, read_events, read_events_arrow,
        read_events_parquet,
    };
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/data/sample_events.csv"
    );
    let text = std::fs::read_to_string(path).unwrap();
    let (mut users, mut times, mut channels, mut conv, mut values) =
        (vec![], vec![], vec![], vec![], vec![]);
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        users.push(f[0].to_string());
        times.push(parse_timestamp(f[1], Default::default()).unwrap());
        channels.push((!f[2].is_empty()).then(|| f[2].to_string()));
        conv.push(f[3].parse::<i32>().unwrap_or(0));
        values.push(f[4].parse::<f64>().ok());
    }
    let batch = RecordBatch::try_from_iter([
        ("user_id", Arc::new(StringArray::from(users)) as ArrayRef),
        (
            "timestamp",
            Arc::new(TimestampMicrosecondArray::from(times.clone()).with_timezone("UTC")),
        ),
        ("channel", Arc::new(StringArray::from(channels))),
        ("conversion", Arc::new(Int32Array::from(conv))),
        ("value", Arc::new(Float64Array::from(values))),
    ])
    .unwrap();
    let opts = EventOptions::default();
    let build = JourneyOptions::default();
    let (mut from_csv, csv_report) = read_events(File::open(path).unwrap(), &opts).unwrap();
    let (expected, _) = from_csv.build(&build).unwrap();
    let (mut from_arrow, arrow_report) = read_events_arrow([&batch], &opts).unwrap();
    assert_eq!(arrow_report.rows, csv_report.rows);
    assert_eq!(arrow_report.conversion_rows, csv_report.conversion_rows);
    assert!(from_arrow.build(&build).unwrap().0 == expected);
    let tmp = parquet_file("events", std::slice::from_ref(&batch), 700);
    let (mut from_parquet, _) = read_events_parquet(File::open(&tmp.0).unwrap(), &opts).unwrap();
    assert!(from_parquet.build(&build).unwrap().0 == expected);

    // A null timestamp in row 3 is an error naming row 3.
    let mut with_null: Vec<Option<i64>> = times.iter().map(|&t| Some(t)).collect();
    with_null[2] = None;
    let schema = batch.schema();
    let mut cols: Vec<(&str, ArrayRef)> = schema
        .fields()
        .iter()
        .zip(batch.columns())
        .map(|(f, c)| (f.name().as_str(), c.clone()))
        .collect();
    cols[1].1 = Arc::new(TimestampMicrosecondArray::from(with_null).with_timezone("UTC"));
    let bad = RecordBatch::try_from_iter(cols).unwrap();
    match read_events_arrow([&bad], &opts) {
        Err(Error::Parse { at, .. }) => assert_eq!(at.line, 3),
        other => panic!("{other:?}"),
    }
    // Batches are prepared in parallel and stored in order: a bad row of the first batch comes
    // before a schema problem of the second, unless bad rows are skipped.
    let no_user = batch.project(&[1, 2, 3, 4]).unwrap();
    match read_events_arrow([&bad, &no_user], &opts) {
        Err(Error::Parse { at, .. }) => assert_eq!(at.line, 3),
        other => panic!("{other:?}"),
    }
    let skip = EventOptions {
        bad_rows: touchpoint::formats::BadRows::Skip,
        ..EventOptions::default()
    };
    match read_events_arrow([&bad, &no_user], &skip) {
        Err(Error::Parse { at, .. }) => assert_eq!(at.line, 0),
        other => panic!("{other:?}"),
    }
    // Rows are numbered across batches.
    let (_, two) = read_events_arrow([&batch, &bad], &skip).unwrap();
    assert_eq!(two.skipped, 1);
    assert_eq!(two.skipped_details[0].0.line, batch.num_rows() as u64 + 3);
    // A missing column is a schema error at line 0.
    assert!(matches!(
        read_events_arrow([&no_user], &opts),
        Err(Error::Parse {
            at: Location { line: 0, .. },
            ..
        })
    ));
}
