//! Reading query results row by row: each column of a result batch is cast
//! once to the type its rows are read as, not once per value.

use arrow::array::{Array, ArrayRef, AsArray, RecordBatch};
use arrow::datatypes::{DataType, Float64Type, Int64Type, TimeUnit, TimestampMicrosecondType};

use crate::CurError;

/// A result batch with each column cast to the type rows are read as: text
/// as `Utf8`, integers as `Int64`, other numbers as `Float64`, times as
/// microseconds.
pub(crate) struct Columns(Vec<ArrayRef>);

impl Columns {
    pub(crate) fn read(b: &RecordBatch) -> Result<Self, CurError> {
        b.columns()
            .iter()
            .map(|c| {
                let to = match c.data_type() {
                    DataType::Boolean => DataType::Boolean,
                    DataType::Int8 | DataType::Int16 | DataType::Int32 | DataType::Int64 => {
                        DataType::Int64
                    }
                    DataType::Timestamp(_, _) | DataType::Date32 | DataType::Date64 => {
                        DataType::Timestamp(TimeUnit::Microsecond, None)
                    }
                    t if t.is_numeric() => DataType::Float64,
                    _ => DataType::Utf8,
                };
                arrow::compute::cast(c, &to).map_err(|e| CurError::Engine(e.to_string()))
            })
            .collect::<Result<_, _>>()
            .map(Columns)
    }

    pub(crate) fn is_valid(&self, i: usize, row: usize) -> bool {
        self.0[i].is_valid(row)
    }

    /// Text, or `None` when null.
    pub(crate) fn str(&self, i: usize, row: usize) -> Option<&str> {
        match self.0[i].as_string_opt::<i32>() {
            Some(c) if c.is_valid(row) => Some(c.value(row)),
            _ => None,
        }
    }

    /// Text, empty when null.
    pub(crate) fn text(&self, i: usize, row: usize) -> String {
        self.str(i, row).unwrap_or_default().to_owned()
    }

    /// A number, 0 when null.
    pub(crate) fn number(&self, i: usize, row: usize) -> f64 {
        let c = &self.0[i];
        if !c.is_valid(row) {
            return 0.0;
        }
        if let Some(f) = c.as_primitive_opt::<Float64Type>() {
            f.value(row)
        } else if let Some(n) = c.as_primitive_opt::<Int64Type>() {
            n.value(row) as f64
        } else {
            0.0
        }
    }

    /// An integer, 0 when null.
    pub(crate) fn integer(&self, i: usize, row: usize) -> i64 {
        match self.0[i].as_primitive_opt::<Int64Type>() {
            Some(n) if n.is_valid(row) => n.value(row),
            _ => 0,
        }
    }

    /// A time in microseconds since the epoch, or `None` when null.
    pub(crate) fn micros(&self, i: usize, row: usize) -> Option<i64> {
        match self.0[i].as_primitive_opt::<TimestampMicrosecondType>() {
            Some(t) if t.is_valid(row) => Some(t.value(row)),
            _ => None,
        }
    }

    /// True only when true.
    #[cfg(test)]
    pub(crate) fn boolean(&self, i: usize, row: usize) -> bool {
        match self.0[i].as_boolean_opt() {
            Some(c) => c.is_valid(row) && c.value(row),
            None => false,
        }
    }
}
