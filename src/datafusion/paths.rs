//! `touchpoint_paths` (a path table from `(path, conversions [, value [, nulls]])` rows) and
//! `touchpoint_merge` (encoded tables merged): one accumulator over a [`Partial`] table.

use ::datafusion::arrow::array::{Array, ArrayRef, AsArray};
use ::datafusion::arrow::datatypes::{DataType, FieldRef};
use ::datafusion::common::ScalarValue;
use ::datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use ::datafusion::logical_expr::{Accumulator, AggregateUDFImpl, Signature};

use super::args::{
    DfResult, arity, binary_arg, external, float_column, internal, number, number_arg, state_field,
    string_arg,
};
use super::partial::Partial;
use crate::codec;
use crate::error::{Error, ParseProblem};
use crate::outcome::Outcome;

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(super) enum Input {
    /// `(path, conversions [, value [, nulls]])`, path split on `separator`.
    Paths { separator: String },
    /// Encoded tables.
    Tables,
}

const PATH_ARGS: [&str; 4] = ["path", "conversions", "value", "nulls"];

#[derive(Debug, PartialEq, Eq, Hash)]
pub(super) struct TableUdaf {
    pub(super) name: &'static str,
    pub(super) input: Input,
    pub(super) signature: Signature,
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
                Ok(vec![binary_arg(self.name, "table", &args[0])?])
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
            state_field(&args, "table", DataType::Binary),
            state_field(&args, "residues", DataType::Binary),
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
        float_column(values, 1, internal)?,
        float_column(values, 2, internal)?,
        float_column(values, 3, internal)?,
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
