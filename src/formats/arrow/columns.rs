//! Typed, null-aware access to Arrow columns by name: the building blocks of the Arrow readers.
//!
//! Each getter is built once per record batch from a column (checking its type) and then read
//! row by row with `get(i)`, which returns `None` for a null. The path reader uses [`Strings`],
//! [`Numbers`] and [`Paths`]; an event-log reader uses the same [`Strings`] (user, channel,
//! source/medium), [`Numbers`] (conversion count, value) and [`Times`] (timestamps), so both
//! accept the same Arrow types.
//!
//! Accepted types:
//! * strings: `Utf8`, `LargeUtf8`, `Utf8View`, and dictionaries of those (any key type);
//! * numbers: every integer and float type, `Boolean` (1 or 0), `Decimal32/64/128` (as `f64`);
//! * paths: a string column (split like the CSV reader's) or a `List`/`LargeList` of strings;
//! * timestamps: `Timestamp` of any unit and time zone, `Date32`, `Date64` (exact), and integer,
//!   float or string columns read like the event CSV reader's text
//!   ([`parse_timestamp`](crate::events::parse_timestamp) with an [`EpochUnit`]).

use arrow_array::cast::AsArray;
use arrow_array::types::{
    Date32Type, Date64Type, Decimal32Type, Decimal64Type, Decimal128Type, Float16Type, Float32Type,
    Float64Type, Int8Type, Int16Type, Int32Type, Int64Type, TimestampMicrosecondType,
    TimestampMillisecondType, TimestampNanosecondType, TimestampSecondType, UInt8Type, UInt16Type,
    UInt32Type, UInt64Type,
};
use arrow_array::{Array, LargeStringArray, RecordBatch, StringArray, StringViewArray};
use arrow_schema::{DataType, TimeUnit};

use crate::error::{Error, Location, ParseProblem, Result};
use crate::formats::paths_csv::Splitter;
use crate::outcome::Outcome;
use crate::table::PathTable;
use crate::time::{EpochUnit, parse_timestamp};

/// Where schema problems (a missing column, a wrong type) are reported: line 0, before row 1.
pub(crate) const SCHEMA: Location = Location { line: 0, record: 0 };

/// The location of the 1-based `row` (counted across batches).
pub(crate) fn row_location(row: u64) -> Location {
    Location {
        line: row,
        record: row.saturating_sub(1),
    }
}

fn schema_error(problem: ParseProblem) -> Error {
    Error::Parse {
        at: SCHEMA,
        problem,
    }
}

fn type_error(column: &str, expected: &'static str, found: &DataType) -> Error {
    schema_error(ParseProblem::ColumnType {
        column: column.to_string(),
        expected,
        found: found.to_string(),
    })
}

/// The names of the columns of `batch`, in order.
pub(crate) fn column_names(batch: &RecordBatch) -> Vec<&str> {
    let fields = batch.schema_ref().fields();
    fields.iter().map(|f| f.name().as_str()).collect()
}

/// The column `name` of `batch`.
///
/// # Errors
/// [`ParseProblem::MissingColumn`] (listing the batch's columns) or
/// [`ParseProblem::DuplicateColumn`], at [`SCHEMA`].
pub(crate) fn column<'a>(batch: &'a RecordBatch, name: &str) -> Result<&'a dyn Array> {
    optional_column(batch, name)?.ok_or_else(|| {
        schema_error(ParseProblem::MissingColumn {
            name: name.to_string(),
            found: column_names(batch).join(","),
        })
    })
}

/// The column `name` of `batch`, `None` when the batch has no such column.
///
/// # Errors
/// [`ParseProblem::DuplicateColumn`] when two columns have the name.
pub(crate) fn optional_column<'a>(
    batch: &'a RecordBatch,
    name: &str,
) -> Result<Option<&'a dyn Array>> {
    let mut found = batch
        .schema_ref()
        .fields()
        .iter()
        .enumerate()
        .filter(|(_, f)| f.name() == name)
        .map(|(i, _)| i);
    match (found.next(), found.next()) {
        (None, _) => Ok(None),
        (Some(i), None) => Ok(Some(batch.column(i).as_ref())),
        (Some(_), Some(_)) => Err(schema_error(ParseProblem::DuplicateColumn {
            name: name.to_string(),
        })),
    }
}

#[cfg_attr(not(test), allow(dead_code))] // used by `Strings::new`
const STRING_TYPES: &str = "a string (Utf8, LargeUtf8, Utf8View, or a dictionary of strings)";

/// A string column.
pub(crate) enum Strings<'a> {
    Utf8(&'a StringArray),
    LargeUtf8(&'a LargeStringArray),
    View(&'a StringViewArray),
    /// A dictionary: the row's key (normalised to `usize`) indexes `values`.
    Dict {
        array: &'a dyn Array,
        keys: Vec<usize>,
        values: Box<Strings<'a>>,
    },
}

impl<'a> Strings<'a> {
    /// Reads `array` (the column `name`) as strings.
    ///
    /// For readers of plain string columns (the event-log reader); paths use [`Paths::new`].
    /// # Errors
    /// [`ParseProblem::ColumnType`] for any other type.
    #[cfg_attr(not(test), allow(dead_code))]
    pub(crate) fn new(name: &str, array: &'a dyn Array) -> Result<Strings<'a>> {
        Self::with_expected(name, array, STRING_TYPES)
    }

    fn with_expected(name: &str, array: &'a dyn Array, expected: &'static str) -> Result<Self> {
        if let Some(a) = array.as_string_opt::<i32>() {
            return Ok(Strings::Utf8(a));
        }
        if let Some(a) = array.as_string_opt::<i64>() {
            return Ok(Strings::LargeUtf8(a));
        }
        if let Some(a) = array.as_string_view_opt() {
            return Ok(Strings::View(a));
        }
        if let Some(dict) = array.as_any_dictionary_opt()
            && let Ok(values) = Self::with_expected(name, dict.values().as_ref(), expected)
        {
            // `normalized_keys` needs at least one value; without values every key is null
            // (Arrow's validity rule), which `get` reports as null.
            let keys = if dict.values().is_empty() {
                Vec::new()
            } else {
                dict.normalized_keys()
            };
            return Ok(Strings::Dict {
                array,
                keys,
                values: Box::new(values),
            });
        }
        Err(type_error(name, expected, array.data_type()))
    }

    /// Row `i`, `None` when null. `i` must be below the column's length.
    pub(crate) fn get(&self, i: usize) -> Option<&'a str> {
        match self {
            Strings::Utf8(a) => a.is_valid(i).then(|| a.value(i)),
            Strings::LargeUtf8(a) => a.is_valid(i).then(|| a.value(i)),
            Strings::View(a) => a.is_valid(i).then(|| a.value(i)),
            Strings::Dict {
                array,
                keys,
                values,
            } => {
                if array.is_null(i) {
                    return None;
                }
                keys.get(i).and_then(|&k| values.get(k))
            }
        }
    }
}

const NUMBER_TYPES: &str = "a number (an integer, float or decimal type, or Boolean)";

/// A numeric column, converted to `f64` once per batch (integers beyond 2^53 are rounded).
pub(crate) struct Numbers<'a> {
    array: &'a dyn Array,
    values: Vec<f64>,
}

impl<'a> Numbers<'a> {
    /// Reads `array` (the column `name`) as numbers.
    ///
    /// # Errors
    /// [`ParseProblem::ColumnType`] for a non-numeric type.
    pub(crate) fn new(name: &str, array: &'a dyn Array) -> Result<Numbers<'a>> {
        macro_rules! cast {
            ($t:ty) => {
                array
                    .as_primitive::<$t>()
                    .values()
                    .iter()
                    .map(|&v| v as f64)
                    .collect()
            };
        }
        macro_rules! decimal {
            ($t:ty, $scale:expr) => {{
                let scale = i32::from($scale);
                let unit = 10f64.powi(scale.abs());
                let values = array.as_primitive::<$t>().values().iter();
                if scale >= 0 {
                    values.map(|&v| v as f64 / unit).collect()
                } else {
                    values.map(|&v| v as f64 * unit).collect()
                }
            }};
        }
        let values: Vec<f64> = match array.data_type() {
            DataType::Int8 => cast!(Int8Type),
            DataType::Int16 => cast!(Int16Type),
            DataType::Int32 => cast!(Int32Type),
            DataType::Int64 => cast!(Int64Type),
            DataType::UInt8 => cast!(UInt8Type),
            DataType::UInt16 => cast!(UInt16Type),
            DataType::UInt32 => cast!(UInt32Type),
            DataType::UInt64 => cast!(UInt64Type),
            DataType::Float32 => cast!(Float32Type),
            DataType::Float64 => cast!(Float64Type),
            DataType::Float16 => array
                .as_primitive::<Float16Type>()
                .values()
                .iter()
                .map(|v| v.to_f64())
                .collect(),
            DataType::Decimal32(_, s) => decimal!(Decimal32Type, *s),
            DataType::Decimal64(_, s) => decimal!(Decimal64Type, *s),
            DataType::Decimal128(_, s) => decimal!(Decimal128Type, *s),
            DataType::Boolean => {
                let b = array.as_boolean();
                (0..b.len())
                    .map(|i| f64::from(u8::from(b.value(i))))
                    .collect()
            }
            other => return Err(type_error(name, NUMBER_TYPES, other)),
        };
        Ok(Numbers { array, values })
    }

    /// Row `i`, `None` when null. `i` must be below the column's length.
    pub(crate) fn get(&self, i: usize) -> Option<f64> {
        if self.array.is_null(i) {
            None
        } else {
            self.values.get(i).copied()
        }
    }
}

const TIME_TYPES: &str =
    "a timestamp (Timestamp, Date32, Date64, an integer or float since the epoch, or a string)";

/// Where the values of a [`Times`] column come from.
enum TimeSource<'a> {
    /// Typed instants: `raw × num / den` µs, floored.
    Typed { raw: Vec<i64>, num: i64, den: i64 },
    /// Integers since the epoch in the reader's [`EpochUnit`] (kept exact).
    Integers(Vec<i128>),
    /// Floats since the epoch in the reader's [`EpochUnit`].
    Floats(Vec<f64>),
    /// Text (RFC 3339 or a number).
    Text(Strings<'a>),
}

/// A timestamp column read as µs since the Unix epoch (UTC).
///
/// Typed columns (`Timestamp`, `Date32`, `Date64`) are exact (nanoseconds floored to µs); plain
/// numbers and strings are read exactly like the event CSV reader reads the same text, so a
/// column of `1710057600` means the same in CSV and in Parquet.
pub(crate) struct Times<'a> {
    name: String,
    array: &'a dyn Array,
    unit: EpochUnit,
    source: TimeSource<'a>,
}

impl<'a> Times<'a> {
    /// Reads `array` (the column `name`); plain numbers and numeric text use `unit`.
    ///
    /// # Errors
    /// [`ParseProblem::ColumnType`] for any other type.
    pub(crate) fn new(name: &str, array: &'a dyn Array, unit: EpochUnit) -> Result<Times<'a>> {
        macro_rules! raw {
            ($t:ty) => {
                array
                    .as_primitive::<$t>()
                    .values()
                    .iter()
                    .map(|&v| i64::from(v))
                    .collect()
            };
        }
        macro_rules! ints {
            ($t:ty) => {
                TimeSource::Integers(
                    array
                        .as_primitive::<$t>()
                        .values()
                        .iter()
                        .map(|&v| i128::from(v))
                        .collect(),
                )
            };
        }
        const DAY_US: i64 = 86_400_000_000;
        let typed = |raw: Vec<i64>, num: i64, den: i64| TimeSource::Typed { raw, num, den };
        let source = match array.data_type() {
            DataType::Timestamp(TimeUnit::Second, _) => {
                typed(raw!(TimestampSecondType), 1_000_000, 1)
            }
            DataType::Timestamp(TimeUnit::Millisecond, _) => {
                typed(raw!(TimestampMillisecondType), 1_000, 1)
            }
            DataType::Timestamp(TimeUnit::Microsecond, _) => {
                typed(raw!(TimestampMicrosecondType), 1, 1)
            }
            DataType::Timestamp(TimeUnit::Nanosecond, _) => {
                typed(raw!(TimestampNanosecondType), 1, 1_000)
            }
            DataType::Date32 => typed(raw!(Date32Type), DAY_US, 1),
            DataType::Date64 => typed(raw!(Date64Type), 1_000, 1),
            DataType::Int8 => ints!(Int8Type),
            DataType::Int16 => ints!(Int16Type),
            DataType::Int32 => ints!(Int32Type),
            DataType::Int64 => ints!(Int64Type),
            DataType::UInt8 => ints!(UInt8Type),
            DataType::UInt16 => ints!(UInt16Type),
            DataType::UInt32 => ints!(UInt32Type),
            DataType::UInt64 => ints!(UInt64Type),
            DataType::Float32 | DataType::Float64 => {
                TimeSource::Floats(Numbers::new(name, array)?.values)
            }
            _ => TimeSource::Text(Strings::with_expected(name, array, TIME_TYPES)?),
        };
        Ok(Times {
            name: name.to_string(),
            array,
            unit,
            source,
        })
    }

    /// Row `i` in µs since the epoch, `None` when null. `i` must be below the column's length.
    ///
    /// # Errors
    /// [`ParseProblem::BadTimestamp`] (no location: the caller knows the row) when the value is
    /// not a timestamp or the instant is out of range.
    pub(crate) fn get(&self, i: usize) -> Result<Option<i64>, ParseProblem> {
        if self.array.is_null(i) {
            return Ok(None);
        }
        let bad = |text: String| ParseProblem::BadTimestamp {
            field: self.name.clone(),
            text,
        };
        let parse = |text: String| match parse_timestamp(&text, self.unit) {
            Some(t) => Ok(Some(t)),
            None => Err(bad(text)),
        };
        match &self.source {
            TimeSource::Typed { raw, num, den } => {
                let v = raw.get(i).copied().unwrap_or_default();
                let micros = i128::from(v) * i128::from(*num);
                let micros = micros.div_euclid(i128::from(*den));
                match i64::try_from(micros) {
                    // Same range as the text reader: instants chrono can show again.
                    Ok(m) if chrono::DateTime::from_timestamp_micros(m).is_some() => Ok(Some(m)),
                    _ => Err(bad(v.to_string())),
                }
            }
            TimeSource::Integers(v) => parse(v.get(i).copied().unwrap_or_default().to_string()),
            TimeSource::Floats(v) => parse(v.get(i).copied().unwrap_or_default().to_string()),
            TimeSource::Text(s) => match s.get(i) {
                Some(text) => parse(text.to_string()),
                None => Ok(None),
            },
        }
    }
}

const PATH_TYPES: &str = "a string path (\"A > B\") or a list of strings";

/// A path column: text split like the CSV reader's, or a list of channel names.
pub(crate) enum Paths<'a> {
    /// `"A > B > C"`.
    Text(Strings<'a>),
    /// `["A", "B", "C"]`: `offsets[i]..offsets[i + 1]` index `values`.
    List {
        array: &'a dyn Array,
        offsets: Offsets<'a>,
        values: Strings<'a>,
    },
}

/// List offsets, 32- or 64-bit.
pub(crate) enum Offsets<'a> {
    Small(&'a [i32]),
    Large(&'a [i64]),
}

impl Offsets<'_> {
    /// The value range of row `i` (empty for an offset that is not a valid index).
    fn range(&self, i: usize) -> std::ops::Range<usize> {
        let pair = |a: Option<usize>, b: Option<usize>| match (a, b) {
            (Some(a), Some(b)) if a <= b => a..b,
            _ => 0..0,
        };
        match self {
            Offsets::Small(o) => pair(
                o.get(i).and_then(|&x| usize::try_from(x).ok()),
                o.get(i + 1).and_then(|&x| usize::try_from(x).ok()),
            ),
            Offsets::Large(o) => pair(
                o.get(i).and_then(|&x| usize::try_from(x).ok()),
                o.get(i + 1).and_then(|&x| usize::try_from(x).ok()),
            ),
        }
    }
}

impl<'a> Paths<'a> {
    /// Reads `array` (the column `name`) as paths.
    ///
    /// # Errors
    /// [`ParseProblem::ColumnType`] for any other type (including lists of non-strings).
    pub(crate) fn new(name: &str, array: &'a dyn Array) -> Result<Paths<'a>> {
        if let Some(list) = array.as_list_opt::<i32>() {
            let values = Strings::with_expected(name, list.values().as_ref(), PATH_TYPES)
                .map_err(|_| type_error(name, PATH_TYPES, array.data_type()))?;
            return Ok(Paths::List {
                array,
                offsets: Offsets::Small(list.value_offsets()),
                values,
            });
        }
        if let Some(list) = array.as_list_opt::<i64>() {
            let values = Strings::with_expected(name, list.values().as_ref(), PATH_TYPES)
                .map_err(|_| type_error(name, PATH_TYPES, array.data_type()))?;
            return Ok(Paths::List {
                array,
                offsets: Offsets::Large(list.value_offsets()),
                values,
            });
        }
        Ok(Paths::Text(Strings::with_expected(
            name, array, PATH_TYPES,
        )?))
    }

    /// Adds row `i`'s path with `outcome` to `table`: text is split by `splitter`, list
    /// elements are trimmed (as the CSV reader trims channel names).
    ///
    /// # Errors
    /// Without location: [`Error::InvalidPath`] for a null path or element
    /// ([`ParseProblem::Null`]) and for everything [`PathTable::add`] refuses;
    /// [`Error::InvalidCount`] for a bad outcome.
    pub(crate) fn add_row(
        &self,
        i: usize,
        name: &str,
        splitter: &mut Splitter,
        table: &mut PathTable,
        outcome: Outcome,
    ) -> Result<()> {
        let null = |field: String| Error::InvalidPath(ParseProblem::Null { field });
        match self {
            Paths::Text(s) => {
                let path = s.get(i).ok_or_else(|| null(name.to_string()))?;
                splitter.add_to(table, path, outcome)
            }
            Paths::List {
                array,
                offsets,
                values,
            } => {
                if array.is_null(i) {
                    return Err(null(name.to_string()));
                }
                let range = offsets.range(i);
                if range.is_empty() {
                    return Err(Error::InvalidPath(ParseProblem::EmptyPath));
                }
                if let Some(k) = range.clone().position(|j| values.get(j).is_none()) {
                    return Err(null(format!("{name}[{}]", k + 1)));
                }
                // Checked just above: no element is null.
                table
                    .add(range.map(|j| values.get(j).unwrap_or("").trim()), outcome)
                    .map(|_| ())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow_array::builder::{ListBuilder, StringBuilder, StringDictionaryBuilder};
    use arrow_array::types::Int8Type as Key;
    use arrow_array::{
        ArrayRef, BooleanArray, Date32Array, Decimal128Array, Float16Array, Int64Array,
        TimestampNanosecondArray, TimestampSecondArray, UInt64Array,
    };

    use super::*;

    fn batch(columns: Vec<(&str, ArrayRef)>) -> RecordBatch {
        RecordBatch::try_from_iter(columns).unwrap()
    }

    #[test]
    fn strings_of_every_layout_with_nulls() {
        let utf8: ArrayRef = Arc::new(StringArray::from(vec![Some("a"), None, Some("c")]));
        let large: ArrayRef = Arc::new(LargeStringArray::from(vec![Some("a"), None, Some("c")]));
        let view: ArrayRef = Arc::new(StringViewArray::from(vec![Some("a"), None, Some("c")]));
        let mut d = StringDictionaryBuilder::<Key>::new();
        d.append_value("a");
        d.append_null();
        d.append_value("c");
        let dict: ArrayRef = Arc::new(d.finish());
        for a in [utf8, large, view, dict] {
            let s = Strings::new("x", a.as_ref()).unwrap();
            assert_eq!((s.get(0), s.get(1), s.get(2)), (Some("a"), None, Some("c")));
            // A slice keeps its nulls where they are.
            let sliced = a.slice(1, 2);
            let s = Strings::new("x", sliced.as_ref()).unwrap();
            assert_eq!((s.get(0), s.get(1)), (None, Some("c")));
        }
        let ints: ArrayRef = Arc::new(Int64Array::from(vec![1]));
        let err = Strings::new("x", ints.as_ref()).err().unwrap();
        assert!(matches!(
            err,
            Error::Parse { at: SCHEMA, problem: ParseProblem::ColumnType { ref found, .. } }
                if found == "Int64"
        ));
    }

    #[test]
    fn numbers_of_every_type() {
        let cases: Vec<(ArrayRef, [Option<f64>; 2])> = vec![
            (
                Arc::new(Int64Array::from(vec![Some(-3), None])),
                [Some(-3.0), None],
            ),
            (
                Arc::new(UInt64Array::from(vec![7, 0])),
                [Some(7.0), Some(0.0)],
            ),
            (
                Arc::new(Float16Array::from(vec![half_of(1.5), half_of(0.25)])),
                [Some(1.5), Some(0.25)],
            ),
            // 12345 at scale 2 is 123.45; the division of exact integers rounds once.
            (
                Arc::new(
                    Decimal128Array::from(vec![12345, -5])
                        .with_precision_and_scale(10, 2)
                        .unwrap(),
                ),
                [Some(123.45), Some(-0.05)],
            ),
            (
                Arc::new(
                    Decimal128Array::from(vec![3, 1])
                        .with_precision_and_scale(10, -2)
                        .unwrap(),
                ),
                [Some(300.0), Some(100.0)],
            ),
            (
                Arc::new(BooleanArray::from(vec![Some(true), None])),
                [Some(1.0), None],
            ),
        ];
        for (a, want) in cases {
            let n = Numbers::new("n", a.as_ref()).unwrap();
            assert_eq!([n.get(0), n.get(1)], want, "{:?}", a.data_type());
        }
        let text: ArrayRef = Arc::new(StringArray::from(vec!["1"]));
        assert!(Numbers::new("n", text.as_ref()).is_err());
    }

    fn half_of(x: f32) -> <Float16Type as arrow_array::ArrowPrimitiveType>::Native {
        <Float16Type as arrow_array::ArrowPrimitiveType>::Native::from_f32(x)
    }

    #[test]
    fn times_typed_numeric_and_text_agree() {
        // 2024-03-10T08:00:00Z = 1_710_057_600 s.
        let us = 1_710_057_600_000_000;
        let cases: Vec<(ArrayRef, EpochUnit)> = vec![
            (
                Arc::new(TimestampSecondArray::from(vec![Some(1_710_057_600), None])),
                EpochUnit::Auto,
            ),
            (
                Arc::new(
                    TimestampNanosecondArray::from(vec![Some(1_710_057_600_000_000_999), None])
                        .with_timezone("+01:00"),
                ),
                EpochUnit::Auto,
            ),
            (
                Arc::new(Int64Array::from(vec![Some(1_710_057_600_000), None])),
                EpochUnit::Auto,
            ),
            (
                Arc::new(Int64Array::from(vec![Some(us), None])),
                EpochUnit::Micros,
            ),
            (
                Arc::new(StringArray::from(vec![
                    Some("2024-03-10T09:00:00+01:00"),
                    None,
                ])),
                EpochUnit::Auto,
            ),
            (
                Arc::new(arrow_array::Float64Array::from(vec![
                    Some(1_710_057_600.0),
                    None,
                ])),
                EpochUnit::Seconds,
            ),
        ];
        for (a, unit) in cases {
            let t = Times::new("ts", a.as_ref(), unit).unwrap();
            assert_eq!(t.get(0), Ok(Some(us)), "{:?}", a.data_type());
            assert_eq!(t.get(1), Ok(None));
        }
        // Days since the epoch: 19792 days = 2024-03-10.
        let d: ArrayRef = Arc::new(Date32Array::from(vec![19_792]));
        let t = Times::new("day", d.as_ref(), EpochUnit::Auto).unwrap();
        assert_eq!(t.get(0), Ok(Some(us - 8 * 3_600_000_000)));
        let bad: ArrayRef = Arc::new(StringArray::from(vec!["yesterday"]));
        let t = Times::new("ts", bad.as_ref(), EpochUnit::Auto).unwrap();
        assert!(
            matches!(t.get(0), Err(ParseProblem::BadTimestamp { ref text, .. }) if text == "yesterday")
        );
        let huge: ArrayRef = Arc::new(TimestampSecondArray::from(vec![i64::MAX]));
        let t = Times::new("ts", huge.as_ref(), EpochUnit::Auto).unwrap();
        assert!(t.get(0).is_err());
        let list: ArrayRef = Arc::new(ListBuilder::new(StringBuilder::new()).finish());
        assert!(Times::new("ts", list.as_ref(), EpochUnit::Auto).is_err());
    }

    #[test]
    fn columns_by_name() {
        let b = batch(vec![
            ("a", Arc::new(Int64Array::from(vec![1])) as ArrayRef),
            ("b", Arc::new(Int64Array::from(vec![2])) as ArrayRef),
        ]);
        assert!(column(&b, "b").is_ok());
        let err = column(&b, "c").err().unwrap();
        assert_eq!(
            err.to_string(),
            "line 0: missing column `c` in the header (found: a,b)"
        );
        assert!(optional_column(&b, "c").unwrap().is_none());
        let schema = Arc::new(arrow_schema::Schema::new(vec![
            arrow_schema::Field::new("a", DataType::Int64, false),
            arrow_schema::Field::new("a", DataType::Int64, false),
        ]));
        let dup = RecordBatch::try_new(
            schema,
            vec![
                Arc::new(Int64Array::from(vec![1])),
                Arc::new(Int64Array::from(vec![2])),
            ],
        )
        .unwrap();
        assert!(matches!(
            column(&dup, "a"),
            Err(Error::Parse {
                problem: ParseProblem::DuplicateColumn { .. },
                ..
            })
        ));
    }
}
