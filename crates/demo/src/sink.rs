//! Streams CUR 2.0 rows into a Parquet file, one bounded batch at a time.
//!
//! A row is a fixed array of [`Value`]s indexed by the CUR 2.0 column list
//! ([`orgpool_cur::cur2::col`]); the sink appends it to Arrow builders and
//! flushes a record batch every [`BATCH_ROWS`] rows. Row groups are capped at
//! [`ROW_GROUP_ROWS`], so memory stays flat whatever the file's size.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::{
    ArrayRef, Float64Builder, MapBuilder, StringBuilder, TimestampMillisecondBuilder,
};
use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;
use orgpool_cur::cur2::{self, COLUMNS, ColumnKind};
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;

use crate::DemoError;

/// Rows per Arrow batch handed to the Parquet writer.
pub const BATCH_ROWS: usize = 32_768;
/// Rows per Parquet row group.
pub const ROW_GROUP_ROWS: usize = 262_144;
/// The number of CUR 2.0 columns.
pub const WIDTH: usize = COLUMNS.len();

/// One cell of a row.
#[derive(Debug, Clone, Copy, Default)]
pub enum Value<'a> {
    /// Null.
    #[default]
    Null,
    /// A string.
    Text(&'a str),
    /// A double.
    Number(f64),
    /// Milliseconds since the epoch.
    Time(i64),
    /// A `map<string,string>`.
    Map(&'a [(String, String)]),
}

/// A row: one value per CUR 2.0 column.
pub type Row<'a> = [Value<'a>; WIDTH];

enum Builder {
    Text(StringBuilder),
    Number(Float64Builder),
    Time(TimestampMillisecondBuilder),
    TextMap(MapBuilder<StringBuilder, StringBuilder>),
    NumberMap(MapBuilder<StringBuilder, Float64Builder>),
}

impl Builder {
    fn new(kind: ColumnKind) -> Self {
        match kind {
            ColumnKind::Text => {
                Builder::Text(StringBuilder::with_capacity(BATCH_ROWS, BATCH_ROWS * 8))
            }
            ColumnKind::Number => Builder::Number(Float64Builder::with_capacity(BATCH_ROWS)),
            ColumnKind::Timestamp => {
                Builder::Time(TimestampMillisecondBuilder::with_capacity(BATCH_ROWS))
            }
            ColumnKind::TextMap => Builder::TextMap(MapBuilder::new(
                None,
                StringBuilder::new(),
                StringBuilder::new(),
            )),
            ColumnKind::NumberMap => Builder::NumberMap(MapBuilder::new(
                None,
                StringBuilder::new(),
                Float64Builder::new(),
            )),
        }
    }

    fn append(&mut self, value: Value<'_>) {
        match (self, value) {
            (Builder::Text(b), Value::Text(s)) => b.append_value(s),
            (Builder::Text(b), _) => b.append_null(),
            (Builder::Number(b), Value::Number(x)) => b.append_value(x),
            (Builder::Number(b), _) => b.append_null(),
            (Builder::Time(b), Value::Time(t)) => b.append_value(t),
            (Builder::Time(b), _) => b.append_null(),
            (Builder::TextMap(b), Value::Map(entries)) => {
                for (k, v) in entries {
                    b.keys().append_value(k);
                    b.values().append_value(v);
                }
                b.append(true)
                    .expect("keys and values are appended in pairs");
            }
            (Builder::TextMap(b), _) => b.append(true).expect("an empty map is valid"),
            (Builder::NumberMap(b), _) => b.append(true).expect("an empty map is valid"),
        }
    }

    fn finish(&mut self) -> ArrayRef {
        match self {
            Builder::Text(b) => Arc::new(b.finish()),
            Builder::Number(b) => Arc::new(b.finish()),
            Builder::Time(b) => Arc::new(b.finish()),
            Builder::TextMap(b) => Arc::new(b.finish()),
            Builder::NumberMap(b) => Arc::new(b.finish()),
        }
    }
}

/// A Parquet file being written.
pub struct ParquetSink {
    path: PathBuf,
    schema: SchemaRef,
    writer: ArrowWriter<File>,
    builders: Vec<Builder>,
    pending: usize,
    written: u64,
}

impl ParquetSink {
    /// Creates the file (and its folder).
    pub fn create(path: &Path) -> Result<Self, DemoError> {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| DemoError::io(parent, e))?;
        }
        let file = File::create(path).map_err(|e| DemoError::io(path, e))?;
        let schema = cur2::arrow_schema();
        let props = WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
            .set_created_by("orgpool demo generator".to_owned())
            .build();
        let writer = ArrowWriter::try_new(file, schema.clone(), Some(props))
            .map_err(|e| DemoError::parquet(path, e))?;
        Ok(Self {
            path: path.to_owned(),
            schema,
            writer,
            builders: COLUMNS
                .iter()
                .map(|(_, kind)| Builder::new(*kind))
                .collect(),
            pending: 0,
            written: 0,
        })
    }

    /// Appends one row.
    pub fn push(&mut self, row: &Row<'_>) -> Result<(), DemoError> {
        for (builder, value) in self.builders.iter_mut().zip(row.iter()) {
            builder.append(*value);
        }
        self.pending += 1;
        if self.pending >= BATCH_ROWS {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<(), DemoError> {
        if self.pending == 0 {
            return Ok(());
        }
        let columns: Vec<ArrayRef> = self.builders.iter_mut().map(Builder::finish).collect();
        let batch = RecordBatch::try_new(self.schema.clone(), columns)
            .map_err(|e| DemoError::Internal(format!("batch for {}: {e}", self.path.display())))?;
        self.writer
            .write(&batch)
            .map_err(|e| DemoError::parquet(&self.path, e))?;
        self.written += self.pending as u64;
        self.pending = 0;
        Ok(())
    }

    /// Flushes and closes the file; returns the rows written.
    pub fn finish(mut self) -> Result<u64, DemoError> {
        self.flush()?;
        self.writer
            .close()
            .map_err(|e| DemoError::parquet(&self.path, e))?;
        Ok(self.written)
    }
}
