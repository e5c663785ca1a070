//! Parquet tables whose text columns are read as Arrow dictionaries.
//!
//! A bill's text columns (account, product, usage type, line type, …) hold
//! few distinct values, and Parquet writers store them dictionary-encoded:
//! AWS's CUR files say `RLE_DICTIONARY` for them (see the workshop files in
//! the public data), and so does the demo generator. Read as
//! `Dictionary(Int32, Utf8)`, a column chunk's text arrives as the page's keys
//! and one array of its distinct values, shared by every batch of the chunk,
//! instead of a string or a string view per line. The scans that group every
//! line (`line_groups`) then number a line's text by its key, working out
//! each distinct value once per column chunk rather than once per line.
//!
//! DataFusion's Parquet reader takes a file's Arrow schema from the file's
//! [`PartitionedFile::arrow_schema`] when it is given, and a listing table
//! builds its files without one. [`DictionaryTextTable`] wraps a listing
//! table and hands each file of its scans the file's own schema with text as
//! dictionaries. (Without that, DataFusion reads strings and casts each
//! batch into dictionaries, which costs more than reading the strings.)
//!
//! A page that the writer did not dictionary-encode (it may give up on a
//! column chunk with too many distinct values) still reads correctly: the
//! reader builds the batch's dictionary itself.

use std::collections::HashMap;
use std::sync::Arc;

use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use async_trait::async_trait;
use datafusion::catalog::Session;
use datafusion::common::Constraints;
use datafusion::datasource::listing::{ListingTable, PartitionedFile};
use datafusion::datasource::physical_plan::{FileGroup, FileScanConfig};
use datafusion::datasource::source::DataSourceExec;
use datafusion::datasource::{TableProvider, TableType};
use datafusion::error::Result;
use datafusion::logical_expr::{Expr, TableProviderFilterPushDown};
use datafusion::physical_plan::ExecutionPlan;

/// The Arrow type text columns are read as.
pub(crate) fn dictionary_text() -> DataType {
    DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8))
}

/// Whether an Arrow type holds text, plain or dictionary-encoded.
pub(crate) fn is_text(t: &DataType) -> bool {
    match t {
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => true,
        DataType::Dictionary(_, values) => is_text(values),
        _ => false,
    }
}

/// `schema` with its text columns as [`dictionary_text`].
pub(crate) fn with_dictionary_text(schema: &Schema) -> Schema {
    let fields: Vec<Field> = schema
        .fields()
        .iter()
        .map(|f| {
            let field = f.as_ref().clone();
            if is_text(f.data_type()) {
                field.with_data_type(dictionary_text())
            } else {
                field
            }
        })
        .collect();
    Schema::new_with_metadata(fields, schema.metadata().clone())
}

/// A listing table of Parquet files whose scans read text as dictionaries.
#[derive(Debug)]
pub(crate) struct DictionaryTextTable {
    inner: ListingTable,
    /// Each file's schema with text as dictionaries, by its object-store
    /// location.
    file_schemas: HashMap<String, SchemaRef>,
}

impl DictionaryTextTable {
    /// Wraps `inner`, a listing table whose schema has text as dictionaries,
    /// over files whose own schemas (by object-store location) are
    /// `file_schemas`.
    pub(crate) fn new(inner: ListingTable, file_schemas: HashMap<String, SchemaRef>) -> Self {
        Self {
            inner,
            file_schemas,
        }
    }

    /// `file` with its schema, text as dictionaries, when it is known.
    fn with_schema(&self, file: PartitionedFile) -> PartitionedFile {
        match self.file_schemas.get(file.object_meta.location.as_ref()) {
            Some(schema) => file.with_arrow_schema(Arc::clone(schema)),
            None => file,
        }
    }

    /// `plan` with every file of its scan given its schema. A plan of
    /// another shape is returned as it is: DataFusion then casts what it
    /// reads into the table's types, which is slower but the same.
    fn give_schemas(&self, plan: Arc<dyn ExecutionPlan>) -> Arc<dyn ExecutionPlan> {
        let Some(scan) = plan
            .downcast_ref::<DataSourceExec>()
            .and_then(|exec| exec.data_source().downcast_ref::<FileScanConfig>())
        else {
            return plan;
        };
        let mut config = scan.clone();
        config.file_groups = config
            .file_groups
            .into_iter()
            .map(|group| {
                let statistics = group.file_statistics(None).cloned();
                let files = group
                    .into_inner()
                    .into_iter()
                    .map(|f| self.with_schema(f))
                    .collect();
                let group = FileGroup::new(files);
                match statistics {
                    Some(s) => group.with_statistics(Arc::new(s)),
                    None => group,
                }
            })
            .collect();
        DataSourceExec::from_data_source(config)
    }
}

#[async_trait]
impl TableProvider for DictionaryTextTable {
    fn schema(&self) -> SchemaRef {
        self.inner.schema()
    }

    fn constraints(&self) -> Option<&Constraints> {
        self.inner.constraints()
    }

    fn table_type(&self) -> TableType {
        self.inner.table_type()
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let plan = self.inner.scan(state, projection, filters, limit).await?;
        Ok(self.give_schemas(plan))
    }

    fn supports_filters_pushdown(
        &self,
        filters: &[&Expr],
    ) -> Result<Vec<TableProviderFilterPushDown>> {
        self.inner.supports_filters_pushdown(filters)
    }
}
