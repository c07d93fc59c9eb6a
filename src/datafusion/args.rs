//! What both kinds of aggregate share: argument coercion at planning time, typed access to the
//! argument columns, and the conversion of the crate's errors into DataFusion's.

use std::sync::Arc;

use ::datafusion::arrow::array::{Array, ArrayRef, AsArray, Float64Array};
use ::datafusion::arrow::datatypes::{DataType, Field, FieldRef, Float64Type, TimeUnit};
use ::datafusion::common::DataFusionError;
use ::datafusion::logical_expr::function::StateFieldsArgs;
use ::datafusion::logical_expr::utils::format_state_name;

use crate::error::Error;

pub(super) type DfResult<T> = std::result::Result<T, DataFusionError>;

/// The crate's error, as the error of a query.
pub(super) fn external(e: Error) -> DataFusionError {
    DataFusionError::External(Box::new(e))
}

/// A column or state of a type the planner did not give it (a bug, not bad input).
pub(super) fn internal(what: &str) -> DataFusionError {
    DataFusionError::Internal(format!("touchpoint: unexpected {what}"))
}

fn plan_error(function: &str, msg: String) -> DataFusionError {
    DataFusionError::Plan(format!("{function}: {msg}"))
}

/// The type a string-like argument is cast to.
pub(super) fn string_arg(function: &str, name: &str, t: &DataType) -> DfResult<DataType> {
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
pub(super) fn number_arg(function: &str, name: &str, t: &DataType) -> DfResult<DataType> {
    if t.is_numeric() || matches!(t, DataType::Null | DataType::Boolean) {
        Ok(DataType::Float64)
    } else {
        Err(plan_error(
            function,
            format!("`{name}` must be a number, not {t}"),
        ))
    }
}

/// The type of `touchpoint_merge`'s argument (an encoded table).
pub(super) fn binary_arg(function: &str, name: &str, t: &DataType) -> DfResult<DataType> {
    match t {
        DataType::Binary | DataType::LargeBinary | DataType::BinaryView | DataType::Null => {
            Ok(DataType::Binary)
        }
        other => Err(plan_error(
            function,
            format!("`{name}` must be binary (an encoded path table), not {other}"),
        )),
    }
}

/// The type a time argument is cast to: a timestamp (in µs, time zone kept) or µs since the
/// epoch.
pub(super) fn time_arg(function: &str, name: &str, t: &DataType) -> DfResult<DataType> {
    match t {
        DataType::Timestamp(_, tz) => Ok(DataType::Timestamp(TimeUnit::Microsecond, tz.clone())),
        t if t.is_integer() => Ok(DataType::Int64),
        other => Err(plan_error(
            function,
            format!("`{name}` must be a timestamp or µs since the epoch, not {other}"),
        )),
    }
}

/// Checks that `args` has between `required` and `names.len()` arguments.
pub(super) fn arity(
    function: &str,
    args: &[DataType],
    names: &[&str],
    required: usize,
) -> DfResult<()> {
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

/// A state field named after the aggregate.
pub(super) fn state_field(args: &StateFieldsArgs<'_>, name: &str, t: DataType) -> FieldRef {
    Arc::new(Field::new(format_state_name(args.name, name), t, true))
}

/// Argument `i` as a float column (`None`: not passed); `err` for a column of another type.
pub(super) fn float_column<E>(
    values: &[ArrayRef],
    i: usize,
    err: impl Fn(&str) -> E,
) -> Result<Option<&Float64Array>, E> {
    values
        .get(i)
        .map(|a| {
            a.as_primitive_opt::<Float64Type>()
                .ok_or_else(|| err("count type"))
        })
        .transpose()
}

/// A column value, NULL (or a missing column) as 0.
pub(super) fn number(column: Option<&Float64Array>, row: usize) -> f64 {
    match column {
        Some(c) if c.is_valid(row) => c.value(row),
        _ => 0.0,
    }
}
