//! Billing data in: CUR 2.0, legacy CUR (Parquet or CSV) and FOCUS 1.x, read
//! through Apache DataFusion into one canonical line-item view.
//!
//! - [`cur2`]: the CUR 2.0 column set and its Arrow schema (the demo generator
//!   writes with it).
//! - [`source`]: finding files and recognising their format.
//! - [`canonical`]: the SQL that maps every format to the same columns.
//! - [`BillingData`]: a DataFusion session with the view `line_items` registered,
//!   after the checks that make bad input a clear error: missing columns, corrupt
//!   files, bad numbers, mixed currencies and billing periods delivered twice.
//! - `dictionary_text`: Parquet text columns read as Arrow dictionaries, each
//!   file with its own schema, so a line's text is a key into its column
//!   chunk's dictionary.
//! - `line_groups` and `summary`: the estimate's one scan, grouped, then
//!   summed by hour and commitment class in our own code into an in-memory
//!   summary, the same bit for bit from run to run.
//! - [`summary_cache`]: the estimate's hourly summary kept between runs, keyed
//!   by the files read and the orgpool build; `charges_cache` keeps the pro
//!   forma's charges in the same folder.
//! - [`charges`] and `charge_rows`: the pro forma's one scan, grouped by the
//!   same `line_groups`, then turned into charge rows in our own code, and the
//!   commitments held, from their fee lines; the same bit for bit from run to
//!   run.
//!
//! Queries stream: DataFusion reads files in bounded batches, and callers
//! aggregate in SQL, or batch by batch in `line_groups` (the two scans that
//! read every line), so no export is ever held in memory whole.

mod batch;
pub mod canonical;
mod charge_rows;
pub mod charges;
mod charges_cache;
pub mod cur2;
mod dictionary_text;
mod line_groups;
pub mod queries;
pub mod s3;
pub mod source;
mod stats;
mod summary;
pub mod summary_cache;
#[cfg(test)]
mod test_support;

use std::collections::{BTreeMap, BTreeSet};

/// One hour, in nanoseconds: the time unit every hourly question counts in.
pub(crate) const HOUR_NS: i64 = 3_600_000_000_000;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::datatypes::{DataType, Field, Schema};
use datafusion::datasource::file_format::file_compression_type::FileCompressionType;
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::listing::{
    ListingOptions, ListingTable, ListingTableConfig, ListingTableUrl,
};
use datafusion::prelude::{CsvReadOptions, SessionContext};
use futures::StreamExt;

pub use s3::S3Options;
pub use source::{Format, SourceFile};
pub use summary::LongLines;
pub use summary_cache::SummaryCache;

/// How to open billing data.
#[derive(Debug, Clone, Default)]
pub struct OpenOptions {
    /// Force this format instead of recognising each file's.
    pub format: Option<Format>,
    /// How to reach S3, for `s3://` inputs.
    pub s3: S3Options,
    /// Where to keep the estimate's summary between runs (none: scan every time).
    pub cache: Option<SummaryCache>,
}

/// Why billing data could not be read.
#[derive(Debug, thiserror::Error)]
pub enum CurError {
    /// The user's input is wrong: a missing column, a corrupt file, a bad value.
    #[error("{0}")]
    BadInput(String),
    /// Something orgpool does not support yet.
    #[error("{0}")]
    Unsupported(String),
    /// A file could not be read (the user's input: a wrong path or missing
    /// permission). The cause is the error's source, printed after it.
    #[error("cannot read {path}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The query engine failed.
    #[error("query failed: {0}")]
    Engine(String),
}

impl CurError {
    fn io(path: &Path, source: std::io::Error) -> Self {
        CurError::Io {
            path: path.to_owned(),
            source,
        }
    }
    fn engine(e: impl std::fmt::Display) -> Self {
        CurError::Engine(e.to_string())
    }
    /// True when the user can fix it (exit code 2).
    pub fn is_bad_input(&self) -> bool {
        matches!(
            self,
            CurError::BadInput(_) | CurError::Unsupported(_) | CurError::Io { .. }
        )
    }
}

/// Billing data opened for querying.
pub struct BillingData {
    runtime: tokio::runtime::Runtime,
    ctx: SessionContext,
    /// The files read, with their formats.
    pub files: Vec<SourceFile>,
    /// Things the user should know (a billing period delivered twice, …).
    pub warnings: Vec<String>,
    /// The estimate's hourly summary (see [`queries`]), once built.
    summary: BuiltOnce<summary::Summary>,
    /// Where the summary may be found or kept, with its key (see
    /// [`summary_cache`]).
    cache: Option<(SummaryCache, String)>,
    /// Set when the summary was read from the cache.
    summary_cached: std::sync::atomic::AtomicBool,
    /// Set when the pro forma's charges were read from the cache.
    charges_cached: std::sync::atomic::AtomicBool,
    /// What the charges spread over several hours, once read.
    charges_long_lines: std::sync::OnceLock<summary::LongLines>,
    /// Whether the commitments' fee table exists (see `held_commitments`).
    commitment_fees: BuiltOnce,
}

/// How what a scan found is kept in the [`SummaryCache`]: read back with
/// `decode`, written with `encode`; `hit` is set when it was read back and
/// `found` names it in the log ("the export's summary was").
pub(crate) struct CacheEntry<'a, T, D, E>
where
    D: Fn(&arrow::datatypes::SchemaRef, &[RecordBatch]) -> Result<T, String>,
    E: Fn(&T) -> Result<(arrow::datatypes::SchemaRef, Vec<RecordBatch>), String>,
{
    pub(crate) found: &'a str,
    pub(crate) hit: &'a std::sync::atomic::AtomicBool,
    pub(crate) decode: D,
    pub(crate) encode: E,
}

impl<T, D, E> CacheEntry<'_, T, D, E>
where
    D: Fn(&arrow::datatypes::SchemaRef, &[RecordBatch]) -> Result<T, String>,
    E: Fn(&T) -> Result<(arrow::datatypes::SchemaRef, Vec<RecordBatch>), String>,
{
    /// The entry under `cache`'s key when one is there and reads back,
    /// else what `scan` finds, then stored under that key. A cache that
    /// fails only costs the scan (a warning says why).
    pub(crate) fn through(
        &self,
        cache: Option<(&SummaryCache, String)>,
        scan: impl FnOnce() -> Result<T, CurError>,
    ) -> Result<T, CurError> {
        if let Some((cache, key)) = &cache
            && let Some((schema, batches)) = cache.load(key)
        {
            match (self.decode)(&schema, &batches) {
                Ok(found) => {
                    tracing::info!("{} read from {}", self.found, cache.dir().display());
                    self.hit.store(true, std::sync::atomic::Ordering::Relaxed);
                    return Ok(found);
                }
                Err(why) => tracing::warn!(
                    "ignoring the cache entry for {}: {why}; scanning the export instead",
                    self.found
                ),
            }
        }
        let found = scan()?;
        if let Some((cache, key)) = &cache {
            let clock = std::time::Instant::now();
            match (self.encode)(&found) {
                Ok((schema, batches)) => {
                    let encoded = clock.elapsed().as_secs_f64();
                    cache.store(key, &schema, &batches);
                    tracing::debug!(
                        "cached: encoded in {encoded:.3} s, stored in {:.3} s",
                        clock.elapsed().as_secs_f64() - encoded
                    );
                }
                Err(why) => tracing::warn!("could not cache what was scanned: {why}"),
            }
        }
        Ok(found)
    }
}

/// The numeric and time columns of `file` that are stored as text (all of
/// a CSV's), with the kind of value each must hold.
fn text_value_checks(file: &SourceFile) -> Vec<(String, canonical::Kind)> {
    let is_text = |name: &str| {
        file.format.is_csv()
            || file.schema.as_ref().is_some_and(|schema| {
                schema
                    .field_with_name(name)
                    .is_ok_and(|f| dictionary_text::is_text(f.data_type()))
            })
    };
    let mut checks = number_and_time_columns(file);
    checks.retain(|(name, _)| is_text(name));
    checks
}

/// The numeric columns of a Parquet `file` stored as floating point, which
/// may hold a NaN or an infinity (a CSV's are text, checked when opened).
fn float_columns(file: &SourceFile) -> Vec<String> {
    let Some(schema) = file.schema.as_ref().filter(|_| !file.format.is_csv()) else {
        return Vec::new();
    };
    number_and_time_columns(file)
        .into_iter()
        .filter(|(name, kind)| {
            *kind == canonical::Kind::Number
                && schema
                    .field_with_name(name)
                    .is_ok_and(|f| f.data_type().is_floating())
        })
        .map(|(name, _)| name)
        .collect()
}

/// The columns of `file` that the canonical view reads as numbers or
/// times, with the kind of value each must hold.
fn number_and_time_columns(file: &SourceFile) -> Vec<(String, canonical::Kind)> {
    let mut checks = Vec::new();
    if file.format.is_focus() {
        for name in [
            "BilledCost",
            "ListCost",
            "EffectiveCost",
            "ConsumedQuantity",
        ] {
            checks.push((name.to_owned(), canonical::Kind::Number));
        }
        for name in ["ChargePeriodStart", "BillingPeriodStart"] {
            checks.push((name.to_owned(), canonical::Kind::Time));
        }
    } else {
        for col in canonical::CUR_COLUMNS
            .iter()
            .filter(|c| c.kind != canonical::Kind::Text)
        {
            if let Some(source) = col
                .sources
                .iter()
                .find_map(|s| canonical::resolve(&file.columns, s, file.format))
            {
                checks.push((source.to_owned(), col.kind));
            }
        }
    }
    checks.retain(|(name, _)| file.columns.iter().any(|c| c == name));
    checks
}

/// Whether an engine error `message` may come from Parquet pages that do
/// not decode: the Parquet reader's own errors and its decompressors'.
fn is_page_error(message: &str) -> bool {
    const SIGNS: [&str; 7] = [
        "Parquet error",
        "Parquet argument error",
        "snappy",
        "gzip",
        "zstd",
        "lz4",
        "brotli",
    ];
    SIGNS.iter().any(|sign| message.contains(sign))
}

/// What the CSV reader found wrong with a file's structure (a line with
/// too few or too many fields, as a file cut short has), from an engine
/// error `message`.
fn csv_structure_error(message: &str) -> Option<&str> {
    detail_after(message, "Csv error: ")
}

/// What the gzip decoder found wrong with a compressed CSV (a stream cut
/// short, a damaged block), from an engine error `message`.
fn gzip_stream_error(message: &str) -> Option<&str> {
    detail_after(message, "Io error: ").filter(|detail| {
        ["deflate", "gzip", "checksum"]
            .iter()
            .any(|sign| detail.contains(sign))
    })
}

/// The part of an engine error `message` after its cause's `label`.
fn detail_after<'a>(message: &'a str, label: &str) -> Option<&'a str> {
    message
        .find(label)
        .map(|at| message[at + label.len()..].trim())
}

/// Something built once per session (see [`BillingData::build_once`]).
type BuiltOnce<T = ()> = std::sync::OnceLock<Result<T, (bool, String)>>;

/// A delivery: files of one format in one folder, read as one table.
struct Delivery {
    dir: PathBuf,
    format: Format,
    files: Vec<SourceFile>,
    newest: std::time::SystemTime,
}

impl BillingData {
    /// Finds, recognises, checks and registers the billing files in `inputs`.
    pub fn open(inputs: &[String], forced: Option<Format>) -> Result<Self, CurError> {
        Self::open_with(
            inputs,
            &OpenOptions {
                format: forced,
                ..OpenOptions::default()
            },
        )
    }

    /// [`BillingData::open`], with S3 access for `s3://` inputs.
    pub fn open_with(inputs: &[String], options: &OpenOptions) -> Result<Self, CurError> {
        let forced = options.format;
        let clock = std::time::Instant::now();
        let lap =
            |what: &str| tracing::debug!("open: {what}, {:.3} s", clock.elapsed().as_secs_f64());
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .map_err(|e| CurError::Engine(format!("cannot start the query runtime: {e}")))?;
        lap("runtime");
        let mut files = source::discover(inputs, forced)?;
        lap("files found and recognised");
        let remote: Vec<&str> = inputs
            .iter()
            .map(String::as_str)
            .filter(|i| source::is_s3(i))
            .collect();
        let ctx = session();
        if !remote.is_empty() {
            let (found, stores) = runtime.block_on(s3::discover(&remote, forced, &options.s3))?;
            for (bucket, store) in stores {
                let url = url::Url::parse(&format!("s3://{bucket}"))
                    .map_err(|e| CurError::BadInput(format!("s3://{bucket}: {e}")))?;
                ctx.register_object_store(&url, store);
            }
            files.extend(found);
        }
        for f in &files {
            check_required_columns(f)?;
            check_column_types(f)?;
        }
        lap("columns checked");
        let mut data = BillingData {
            runtime,
            ctx,
            files: files.clone(),
            warnings: Vec::new(),
            summary: std::sync::OnceLock::new(),
            cache: None,
            summary_cached: Default::default(),
            charges_cached: Default::default(),
            charges_long_lines: std::sync::OnceLock::new(),
            commitment_fees: std::sync::OnceLock::new(),
        };
        let deliveries = group_deliveries(files);
        let mut selects = Vec::new();
        for (i, delivery) in deliveries.iter().enumerate() {
            selects.push((i, data.register_delivery(i, delivery)?));
        }
        lap("deliveries registered");
        let kept = data.drop_duplicate_periods(&deliveries, &selects)?;
        lap("periods checked");
        let union = kept
            .iter()
            .map(|&i| format!("({})", selects[i].1))
            .collect::<Vec<_>>()
            .join(" UNION ALL ");
        let view = canonical::enrich(&union);
        data.block(data.ctx.sql(&format!("CREATE VIEW line_items AS {view}")))?;
        let kept_files: Vec<&SourceFile> = kept
            .iter()
            .flat_map(|&i| deliveries[i].files.iter())
            .collect();
        lap("view created");
        data.check_currencies(&kept_files)?;
        lap("currencies checked");
        data.cache = options.cache.clone().and_then(|cache| {
            let key = summary_key(&view, &kept_files);
            if key.is_none() {
                tracing::warn!("the billing files could not be read to key the summary cache: scanning without it");
            }
            key.map(|key| (cache, key))
        });
        Ok(data)
    }

    /// Builds, once, the estimate's hourly summary: the commitment-relevant
    /// lines summed by hour, account, product, class, region, family, line
    /// type and commitment terms (the table `hourly`, see
    /// [`summary::schema`]). Every estimate question reads it, so the export
    /// is scanned once instead of once per question.
    ///
    /// The scan's lines are grouped by [`line_groups`]; [`summary`] derives
    /// the summary from those groups.
    ///
    /// With a [`SummaryCache`], the summary is read from it when these files
    /// were summarized before, and stored in it otherwise.
    pub(crate) fn summary(&self) -> Result<&summary::Summary, CurError> {
        self.build_once(&self.summary, || {
            let cache = self.cache.as_ref().map(|(c, k)| (c, k.clone()));
            let entry = CacheEntry {
                found: "the export's summary was",
                hit: &self.summary_cached,
                decode: |schema, batches| {
                    let mut summary =
                        summary::Summary::from_batches(batches).map_err(|e| e.to_string())?;
                    summary.long_lines = summary::LongLines::from_metadata(schema.metadata())?;
                    Ok(summary)
                },
                encode: |summary: &summary::Summary| {
                    let schema = Arc::new(
                        summary::schema()
                            .as_ref()
                            .clone()
                            .with_metadata(summary.long_lines.to_metadata()),
                    );
                    let batches = summary
                        .to_batches()
                        .map_err(|e| e.to_string())?
                        .into_iter()
                        .map(|b| b.with_schema(Arc::clone(&schema)))
                        .collect::<Result<Vec<_>, _>>()
                        .map_err(|e| e.to_string())?;
                    Ok((schema, batches))
                },
            };
            entry.through(cache, || self.scan_summary())
        })
    }

    /// [`Self::summary`] from a scan of the export.
    fn scan_summary(&self) -> Result<summary::Summary, CurError> {
        let clock = std::time::Instant::now();
        let groups = self.line_groups_of(&line_groups::ESTIMATE, "line_items")?;
        tracing::debug!(
            "line scan and grouping: {} groups, {:.2} s",
            groups.iter().map(|g| g.keys.len()).sum::<usize>(),
            clock.elapsed().as_secs_f64()
        );
        let summary = summary::summarize(self, &groups)?;
        tracing::debug!(
            "summary of the groups: {} rows, {:.2} s",
            summary.len(),
            clock.elapsed().as_secs_f64()
        );
        Ok(summary)
    }

    /// Whether the summary, once built, was read from the cache rather than
    /// scanned.
    pub fn summary_was_cached(&self) -> bool {
        self.summary_cached
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Registers the summary as the in-memory table `hourly`, for tests that
    /// put the questions to it in SQL.
    #[cfg(test)]
    pub(crate) fn register_summary(&self) -> Result<(), CurError> {
        let batches = self.summary()?.to_batches()?;
        let table = datafusion::datasource::MemTable::try_new(summary::schema(), vec![batches])
            .map_err(CurError::engine)?;
        self.ctx
            .register_table("hourly", Arc::new(table))
            .map_err(CurError::engine)?;
        Ok(())
    }

    /// Runs `then` with the lines of `line_items` grouped by `layout` in the
    /// table `name`, which is dropped afterwards.
    #[cfg(test)]
    pub(crate) fn with_groups<T>(
        &self,
        layout: &'static line_groups::Layout,
        name: &str,
        then: impl FnOnce() -> Result<T, CurError>,
    ) -> Result<T, CurError> {
        let clock = std::time::Instant::now();
        let partitions = self.group_lines_of(layout, "line_items")?;
        tracing::debug!(
            "{name}: {} groups, {:.2} s",
            partitions.iter().map(RecordBatch::num_rows).sum::<usize>(),
            clock.elapsed().as_secs_f64()
        );
        let table = datafusion::datasource::MemTable::try_new(
            layout.output_schema(),
            partitions.into_iter().map(|b| vec![b]).collect(),
        )
        .map_err(CurError::engine)?;
        self.ctx
            .register_table(name, Arc::new(table))
            .map_err(CurError::engine)?;
        let result = then();
        self.ctx.deregister_table(name).map_err(CurError::engine)?;
        result
    }

    /// Runs `then` with `batch` registered as the table `name`, which is
    /// dropped afterwards.
    pub(crate) fn with_table<T>(
        &self,
        name: &str,
        batch: RecordBatch,
        then: impl FnOnce() -> Result<T, CurError>,
    ) -> Result<T, CurError> {
        let table = datafusion::datasource::MemTable::try_new(batch.schema(), vec![vec![batch]])
            .map_err(CurError::engine)?;
        self.ctx
            .register_table(name, Arc::new(table))
            .map_err(CurError::engine)?;
        let result = then();
        self.ctx.deregister_table(name).map_err(CurError::engine)?;
        result
    }

    /// Runs `layout`'s scan over `table` and groups each partition of its
    /// result in a task of its own: one batch of groups per partition. The
    /// same key may appear in two partitions' batches; whoever reads them
    /// sums again.
    #[cfg(test)]
    fn group_lines_of(
        &self,
        layout: &'static line_groups::Layout,
        table: &str,
    ) -> Result<Vec<RecordBatch>, CurError> {
        self.line_groups_of(layout, table)?
            .iter()
            .map(line_groups::LineGroups::to_batch)
            .collect()
    }

    /// [`BillingData::group_lines_of`], each partition's groups as they
    /// come from its [`line_groups::Grouper`], in the partitions' order.
    fn line_groups_of(
        &self,
        layout: &'static line_groups::Layout,
        table: &str,
    ) -> Result<Vec<line_groups::LineGroups>, CurError> {
        let grouped = self.scan_partitions(
            &layout.scan_sql(table),
            move || line_groups::Grouper::new(layout),
            line_groups::Grouper::add,
        )?;
        let groups: Vec<line_groups::LineGroups> = grouped
            .into_iter()
            .map(line_groups::Grouper::finish)
            .collect();
        if groups.iter().all(line_groups::LineGroups::all_finite) {
            return Ok(groups);
        }
        // A NaN or an infinity read from a Parquet number makes its group's
        // sums so; finite amounts that overflow do too. Neither is a bill.
        Err(self.locate_non_finite_number().unwrap_or_else(|| {
            CurError::BadInput(
                "the billing data's amounts add up past a double's range (is one of them near 1e308?)"
                    .to_owned(),
            )
        }))
    }

    /// How many lines the estimate's line scan reads, read and decoded as
    /// the estimate reads them but grouped by nothing: what reading the
    /// export costs alone. `bench/estimate_vs_duckdb.sh` times it (through
    /// the hidden `orgpool estimate --scan-only`) beside the whole estimate.
    pub fn read_line_scan(&self) -> Result<usize, CurError> {
        let sql = line_groups::ESTIMATE.scan_sql("line_items");
        let counts = self.scan_partitions(
            &sql,
            || 0usize,
            |lines: &mut usize, batch: &RecordBatch| {
                *lines += batch.num_rows();
                Ok(())
            },
        )?;
        Ok(counts.into_iter().sum())
    }

    /// Runs `sql` with each of its plan's partitions in a task of its own,
    /// folding each partition's batches into a state that `start` makes,
    /// by `add`; the states in the partitions' order.
    fn scan_partitions<T: Send + 'static>(
        &self,
        sql: &str,
        start: impl Fn() -> T + Send + Clone + 'static,
        add: fn(&mut T, &RecordBatch) -> Result<(), CurError>,
    ) -> Result<Vec<T>, CurError> {
        type Folded<T> = Result<T, CurError>;
        let outcome = self.runtime.block_on(async {
            let clock = std::time::Instant::now();
            let df = self.ctx.sql(sql).await?;
            let task_context = Arc::new(df.task_ctx());
            let plan = df.create_physical_plan().await?;
            tracing::debug!("line scan planned: {:.3} s", clock.elapsed().as_secs_f64());
            tracing::trace!(
                "line scan plan:\n{}",
                datafusion::physical_plan::displayable(plan.as_ref()).indent(true)
            );
            let tasks: Vec<tokio::task::JoinHandle<datafusion::error::Result<Folded<T>>>> =
                datafusion::physical_plan::execute_stream_partitioned(plan, task_context)?
                    .into_iter()
                    .enumerate()
                    .map(|(partition, mut stream)| {
                        let start = start.clone();
                        tokio::spawn(async move {
                            let mut state = start();
                            let mut rows = 0;
                            while let Some(batch) = stream.next().await {
                                let batch = batch?;
                                rows += batch.num_rows();
                                if let Err(e) = add(&mut state, &batch) {
                                    return Ok(Err(e));
                                }
                            }
                            tracing::debug!(
                                "line scan partition {partition}: {rows} lines, done at {:.3} s",
                                clock.elapsed().as_secs_f64()
                            );
                            Ok(Ok(state))
                        })
                    })
                    .collect();
            let mut folded = Vec::new();
            for task in tasks {
                folded
                    .push(task.await.map_err(|e| {
                        datafusion::error::DataFusionError::External(Box::new(e))
                    })??);
            }
            Ok::<_, datafusion::error::DataFusionError>(folded)
        });
        outcome.map_err(|e| self.explain(e))?.into_iter().collect()
    }

    /// Runs `build` the first time only; a failure is kept, with its kind
    /// (bad input or not), and returned to every later caller too.
    pub(crate) fn build_once<'a, T>(
        &self,
        cell: &'a BuiltOnce<T>,
        build: impl FnOnce() -> Result<T, CurError>,
    ) -> Result<&'a T, CurError> {
        let result = cell.get_or_init(|| {
            build().map_err(|e| match e {
                CurError::BadInput(m) => (true, m),
                CurError::Engine(m) => (false, m),
                other => (other.is_bad_input(), other.to_string()),
            })
        });
        result.as_ref().map_err(|(bad_input, message)| {
            if *bad_input {
                CurError::BadInput(message.clone())
            } else {
                CurError::Engine(message.clone())
            }
        })
    }

    fn block<T>(
        &self,
        fut: impl std::future::Future<Output = datafusion::error::Result<T>>,
    ) -> Result<T, CurError> {
        self.runtime.block_on(fut).map_err(CurError::engine)
    }

    /// Runs SQL against the view `line_items` and collects the (aggregated) result.
    pub fn query(&self, sql: &str) -> Result<Vec<RecordBatch>, CurError> {
        self.runtime
            .block_on(async {
                let df = self.ctx.sql(sql).await?;
                df.collect().await
            })
            .map_err(|e| self.explain(e))
    }

    /// Keeps the rows of `sql`, run with filters pushed into the Parquet
    /// reader (in a session of its own, see [`BillingData::session_with`], so
    /// queries running at the same time are not affected), as the in-memory
    /// table `name`: in one partition, the query's partitions in turn, so
    /// that the table's rows come in the same order run after run.
    pub(crate) fn create_table_with_pushdown(&self, name: &str, sql: &str) -> Result<(), CurError> {
        let ctx = self.session_with(|o| o.execution.parquet.pushdown_filters = true);
        let (schema, partitions) = self
            .runtime
            .block_on(async {
                let df = ctx.sql(sql).await?;
                let schema = Arc::clone(df.schema().inner());
                Ok::<_, datafusion::error::DataFusionError>((
                    schema,
                    df.collect_partitioned().await?,
                ))
            })
            .map_err(|e| self.explain(e))?;
        let rows = partitions.into_iter().flatten().collect();
        let table = datafusion::datasource::MemTable::try_new(schema, vec![rows])
            .map_err(CurError::engine)?;
        self.ctx
            .register_table(name, Arc::new(table))
            .map_err(CurError::engine)?;
        Ok(())
    }

    /// Runs `sql` as [`BillingData::query`] does, in one partition: its sums
    /// are taken in the order of its tables' rows, so the same rows give the
    /// same result, bit for bit. For queries of small tables.
    pub(crate) fn query_in_order(&self, sql: &str) -> Result<Vec<RecordBatch>, CurError> {
        let ctx = self.session_with(|o| o.execution.target_partitions = 1);
        self.runtime
            .block_on(async { ctx.sql(sql).await?.collect().await })
            .map_err(|e| self.explain(e))
    }

    /// A session of its own with `settings` changed, which shares this one's
    /// tables (a table it creates is this one's too) but not its settings.
    fn session_with(
        &self,
        settings: impl FnOnce(&mut datafusion::config::ConfigOptions),
    ) -> SessionContext {
        let mut state = self.ctx.state();
        settings(state.config_mut().options_mut());
        SessionContext::new_with_state(state)
    }

    /// Turns an engine error into a user-facing one where the data are at fault.
    fn explain(&self, e: datafusion::error::DataFusionError) -> CurError {
        let message = e.to_string();
        if message.contains("Cast error") {
            self.locate_bad_text_value().unwrap_or_else(|| {
                CurError::BadInput(format!("bad value in the billing data: {message}"))
            })
        } else if let Some(corrupt) = is_page_error(&message)
            .then(|| self.locate_corrupt_parquet())
            .flatten()
        {
            corrupt
        } else if let Some(detail) = csv_structure_error(&message) {
            CurError::BadInput(format!("not a well-formed CSV file: {detail}"))
        } else if let Some(detail) = gzip_stream_error(&message) {
            CurError::BadInput(format!(
                "not a readable gzip file (cut short or damaged; fetch or export it again): {detail}"
            ))
        } else if message.contains("Parser error") || message.contains("Parquet error") {
            CurError::BadInput(format!("bad value in the billing data: {message}"))
        } else {
            CurError::Engine(message)
        }
    }

    fn register_delivery(&mut self, index: usize, delivery: &Delivery) -> Result<String, CurError> {
        let table = format!("delivery_{index}");
        if delivery.format.is_csv() {
            let mut parts = Vec::new();
            for (j, file) in delivery.files.iter().enumerate() {
                let name = format!("{table}_{j}");
                self.register_csv(&name, file)?;
                self.check_text_values(&name, file)?;
                parts.push(format!(
                    "({})",
                    select_for(&name, &file.columns, &[], file.format)
                ));
            }
            return Ok(parts.join(" UNION ALL "));
        }
        let mut merged = Schema::empty();
        for file in &delivery.files {
            let schema = file.schema.clone().ok_or_else(|| {
                CurError::Engine(format!("{}: Parquet schema not read", file.path.display()))
            })?;
            merged = Schema::try_merge([merged, schema.as_ref().clone()]).map_err(|e| {
                CurError::BadInput(format!(
                    "{}: its columns conflict with other files of {}: {e}",
                    file.path.display(),
                    delivery.dir.display()
                ))
            })?;
        }
        self.register_parquet(&table, &delivery.files, &merged)?;
        let columns: Vec<String> = merged.fields().iter().map(|f| f.name().clone()).collect();
        let text_columns: Vec<String> = merged
            .fields()
            .iter()
            .filter(|f| dictionary_text::is_text(f.data_type()))
            .map(|f| f.name().clone())
            .collect();
        Ok(select_for(&table, &columns, &text_columns, delivery.format))
    }

    /// The error naming the file, column and value behind a failed cast: a
    /// Parquet number or time stored as text that does not parse. (Checked
    /// only once a query has failed, so reading good files costs nothing;
    /// CSV files are checked when opened.)
    fn locate_bad_text_value(&self) -> Option<CurError> {
        let suspects = self
            .files
            .iter()
            .filter(|f| !f.format.is_csv() && !text_value_checks(f).is_empty());
        self.first_failing_file(suspects, |table, file| {
            self.check_text_values(table, file).err()
        })
    }

    /// The error naming the Parquet file, the column and the value behind a
    /// sum that is not finite: a NaN or an infinity stored as a floating
    /// point number, which Parquet allows and no bill holds. (Checked only
    /// once a scan's sums are not finite, so good files cost nothing; a
    /// CSV's are checked when opened.)
    fn locate_non_finite_number(&self) -> Option<CurError> {
        let suspects = self.files.iter().filter(|f| !float_columns(f).is_empty());
        self.first_failing_file(suspects, |table, file| {
            float_columns(file).into_iter().find_map(|column| {
                let quoted = format!("\"{}\"", column.replace('"', "\"\""));
                let sql = format!(
                    "SELECT {quoted} FROM {table} \
                     WHERE isnan({quoted}) OR abs({quoted}) = CAST('inf' AS DOUBLE) LIMIT 1"
                );
                let batches = self.query(&sql).ok()?;
                let bad = first_text(&batches)?;
                Some(CurError::BadInput(format!(
                    "{}: column {column}: {bad} is not a finite number",
                    file.path.display()
                )))
            })
        })
    }

    /// The error naming the Parquet file whose pages cannot be read: a
    /// footer that reads well over data that do not decode (a bad block of
    /// a compressed page, a dictionary index past the dictionary, a damaged
    /// page header). Each file is read whole, every column, until one fails;
    /// this runs only once a query has failed, so good files cost nothing.
    fn locate_corrupt_parquet(&self) -> Option<CurError> {
        let parquet = self.files.iter().filter(|f| !f.format.is_csv());
        self.first_failing_file(parquet, |table, file| {
            let read = self.runtime.block_on(async {
                let mut stream = self
                    .ctx
                    .sql(&format!("SELECT * FROM {table}"))
                    .await?
                    .execute_stream()
                    .await?;
                while let Some(batch) = stream.next().await {
                    batch?;
                }
                Ok::<_, datafusion::error::DataFusionError>(())
            });
            read.err().map(|e| {
                CurError::BadInput(format!(
                    "{}: not a readable Parquet file (corrupt data in its pages; fetch or export it again): {e}",
                    file.path.display()
                ))
            })
        })
    }

    /// Registers each Parquet file of `files` alone as a table, in turn,
    /// and returns the first error `check` finds in one (given the table's
    /// name and the file). A file that cannot be registered is skipped.
    fn first_failing_file<'a>(
        &self,
        files: impl Iterator<Item = &'a SourceFile>,
        check: impl Fn(&str, &SourceFile) -> Option<CurError>,
    ) -> Option<CurError> {
        for (i, file) in files.enumerate() {
            let Some(schema) = file.schema.as_deref() else {
                continue;
            };
            let name = format!("file_check_{i}");
            if self
                .register_parquet(&name, std::slice::from_ref(file), schema)
                .is_err()
            {
                continue;
            }
            let found = check(&name, file);
            let _ = self.ctx.deregister_table(name.as_str());
            if found.is_some() {
                return found;
            }
        }
        None
    }

    /// Registers Parquet `files` as one table with `schema`, text read as
    /// dictionaries (see [`dictionary_text`]).
    fn register_parquet(
        &self,
        name: &str,
        files: &[SourceFile],
        schema: &Schema,
    ) -> Result<(), CurError> {
        let mut urls = Vec::new();
        let mut file_schemas = std::collections::HashMap::new();
        for f in files {
            let url = ListingTableUrl::parse(f.path.to_string_lossy()).map_err(CurError::engine)?;
            if let Some(own) = &f.schema {
                file_schemas.insert(
                    url.prefix().to_string(),
                    Arc::new(dictionary_text::with_dictionary_text(own)),
                );
            }
            urls.push(url);
        }
        let options =
            ListingOptions::new(Arc::new(ParquetFormat::default())).with_file_extension(".parquet");
        let config = ListingTableConfig::new_with_multi_paths(urls)
            .with_listing_options(options)
            .with_schema(Arc::new(dictionary_text::with_dictionary_text(schema)));
        let listing = ListingTable::try_new(config).map_err(CurError::engine)?;
        let table = dictionary_text::DictionaryTextTable::new(listing, file_schemas);
        self.ctx
            .register_table(name, Arc::new(table))
            .map_err(CurError::engine)?;
        Ok(())
    }

    fn register_csv(&mut self, name: &str, file: &SourceFile) -> Result<(), CurError> {
        // Every column as text: types are applied by the canonical mapping, so a
        // bad number is reported with its column instead of failing inference.
        let schema = Schema::new(
            file.columns
                .iter()
                .map(|c| Field::new(c, DataType::Utf8, true))
                .collect::<Vec<_>>(),
        );
        let path = file.path.to_string_lossy().into_owned();
        let extension = if file.gzip { ".gz" } else { ".csv" };
        let mut options = CsvReadOptions::new()
            .has_header(true)
            .schema(&schema)
            .file_extension(extension);
        if file.gzip {
            options = options.file_compression_type(FileCompressionType::GZIP);
        }
        let fut = self.ctx.register_csv(name, &path, options);
        self.runtime
            .block_on(fut)
            .map_err(|e| CurError::BadInput(format!("{}: {e}", file.path.display())))
    }

    /// Refuses a file whose numeric or date column, stored as text, holds
    /// something else, naming the file, the column and the value. (Every
    /// column of a CSV is text; a Parquet CUR may store some so.)
    fn check_text_values(&self, table: &str, file: &SourceFile) -> Result<(), CurError> {
        let checks = text_value_checks(file);
        for (column, kind) in checks {
            let quoted = format!("\"{}\"", column.replace('"', "\"\""));
            let value = format!("NULLIF(NULLIF({quoted}, ''), 'NULL')");
            // A number must be finite: an amount of `NaN` or `inf` (or one
            // that overflows, `1e999`) parses, but no bill holds one.
            let unreadable = if kind == canonical::Kind::Time {
                format!("TRY_CAST({value} AS TIMESTAMP) IS NULL")
            } else {
                let number = format!("TRY_CAST({value} AS DOUBLE)");
                format!(
                    "{number} IS NULL OR isnan({number}) OR abs({number}) = CAST('inf' AS DOUBLE)"
                )
            };
            let sql = format!(
                "SELECT {quoted} FROM {table} WHERE {value} IS NOT NULL AND ({unreadable}) LIMIT 1"
            );
            let batches = self
                .query(&sql)
                .map_err(|e| CurError::BadInput(format!("{}: {e}", file.path.display())))?;
            if let Some(bad) = first_text(&batches) {
                let what = if kind == canonical::Kind::Time {
                    "a timestamp"
                } else {
                    "a finite number"
                };
                return Err(CurError::BadInput(format!(
                    "{}: column {column}: {bad:?} is not {what}",
                    file.path.display()
                )));
            }
        }
        Ok(())
    }

    /// The (payer, billing period) pairs of a delivery: from the Parquet
    /// footers' statistics when they say, else from a scan.
    fn delivery_periods(
        &self,
        delivery: &Delivery,
        select: &str,
    ) -> Result<BTreeSet<(String, String)>, CurError> {
        let from_stats: Option<Vec<_>> = delivery.files.iter().map(stats::periods).collect();
        if let Some(sets) = from_stats {
            return Ok(sets.into_iter().flatten().collect());
        }
        let sql = format!(
            "SELECT DISTINCT payer_account_id, to_char(billing_period_start, '%Y-%m') FROM ({select}) AS d"
        );
        let batches = self.query(&sql).map_err(|e| annotate(e, &delivery.dir))?;
        Ok(text_pairs(&batches).into_iter().collect())
    }

    /// Keeps one delivery per (payer, billing period): the newest, with a
    /// warning. Returns the indices of the deliveries kept.
    fn drop_duplicate_periods(
        &mut self,
        deliveries: &[Delivery],
        selects: &[(usize, String)],
    ) -> Result<Vec<usize>, CurError> {
        let mut owner: BTreeMap<(String, String), usize> = BTreeMap::new();
        let mut dropped = BTreeSet::new();
        for (i, select) in selects {
            for (payer, period) in self.delivery_periods(&deliveries[*i], select)? {
                match owner.get(&(payer.clone(), period.clone())) {
                    Some(&other) if other != *i => {
                        let (keep, drop) = if deliveries[*i].newest >= deliveries[other].newest {
                            (*i, other)
                        } else {
                            (other, *i)
                        };
                        self.warnings.push(format!(
                            "billing period {period} of payer {payer} was delivered twice ({} and {}); using the newer, {}",
                            deliveries[other].dir.display(),
                            deliveries[*i].dir.display(),
                            deliveries[keep].dir.display()
                        ));
                        dropped.insert(drop);
                        owner.insert((payer, period), keep);
                    }
                    _ => {
                        owner.insert((payer, period), *i);
                    }
                }
            }
        }
        Ok(selects
            .iter()
            .map(|(i, _)| *i)
            .filter(|i| !dropped.contains(i))
            .collect())
    }

    /// Refuses data in more than one currency. Parquet footers' statistics
    /// answer without a scan when they can.
    fn check_currencies(&self, files: &[&SourceFile]) -> Result<(), CurError> {
        let from_stats: Option<Vec<_>> = files.iter().map(|f| stats::currencies(f)).collect();
        let currencies: Vec<String> = match from_stats {
            Some(sets) => sets
                .into_iter()
                .flatten()
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect(),
            None => self.scan_currencies()?,
        };
        if currencies.len() > 1 {
            return Err(CurError::BadInput(format!(
                "the billing data mix currencies ({}); pass files of one currency at a time",
                currencies.join(", ")
            )));
        }
        Ok(())
    }

    fn scan_currencies(&self) -> Result<Vec<String>, CurError> {
        let batches =
            self.query("SELECT DISTINCT currency FROM line_items WHERE currency IS NOT NULL")?;
        let mut currencies: Vec<String> = Vec::new();
        for b in &batches {
            let col =
                arrow::compute::cast(b.column(0), &DataType::Utf8).map_err(CurError::engine)?;
            let col = col.as_string::<i32>();
            currencies.extend(
                (0..col.len())
                    .filter(|&i| col.is_valid(i))
                    .map(|i| col.value(i).to_owned()),
            );
        }
        currencies.sort();
        Ok(currencies)
    }
}

fn annotate(e: CurError, dir: &Path) -> CurError {
    match e {
        CurError::BadInput(m) => CurError::BadInput(format!("{}: {m}", dir.display())),
        CurError::Engine(m) => CurError::BadInput(format!("{}: cannot read: {m}", dir.display())),
        other => other,
    }
}

fn select_for(table: &str, columns: &[String], text_columns: &[String], format: Format) -> String {
    match format {
        Format::FocusCsv | Format::FocusParquet => {
            canonical::focus_select(table, columns, text_columns, format)
        }
        _ => canonical::cur_select(table, columns, text_columns, format),
    }
}

/// Refuses a Parquet file whose amount or time column is stored as a type
/// that holds none (a boolean, a list, a struct…), naming the file, the
/// column and its type: read anyway, a boolean would count as 1 or 0 and a
/// list would fail deep in a query. Numbers may be stored as integers,
/// floats, decimals or text; times as timestamps, dates or text (text is
/// checked value by value, see [`BillingData::check_text_values`]).
fn check_column_types(file: &SourceFile) -> Result<(), CurError> {
    let Some(schema) = file.schema.as_ref().filter(|_| !file.format.is_csv()) else {
        return Ok(());
    };
    for (name, kind) in number_and_time_columns(file) {
        let Ok(field) = schema.field_with_name(&name) else {
            continue;
        };
        let t = field.data_type();
        let fits = dictionary_text::is_text(t)
            || match kind {
                canonical::Kind::Time => matches!(
                    t,
                    DataType::Timestamp(..) | DataType::Date32 | DataType::Date64
                ),
                _ => t.is_numeric(),
            };
        if !fits {
            let what = if kind == canonical::Kind::Time {
                "time"
            } else {
                "number"
            };
            return Err(CurError::BadInput(format!(
                "{}: column {name}: stored as {t}, which holds no {what}",
                file.path.display()
            )));
        }
    }
    Ok(())
}

fn check_required_columns(file: &SourceFile) -> Result<(), CurError> {
    let missing: Vec<&str> = match file.format {
        Format::FocusCsv | Format::FocusParquet => canonical::FOCUS_REQUIRED
            .iter()
            .copied()
            .filter(|c| !file.columns.iter().any(|x| x == c))
            .collect(),
        _ => canonical::CUR_COLUMNS
            .iter()
            .filter(|c| {
                c.required
                    && !c
                        .sources
                        .iter()
                        .any(|s| canonical::resolve(&file.columns, s, file.format).is_some())
            })
            .map(|c| c.sources[0])
            .collect(),
    };
    if missing.is_empty() {
        Ok(())
    } else {
        Err(CurError::BadInput(format!(
            "{}: missing column {} (read as {})",
            file.path.display(),
            missing.join(", "),
            file.format.name()
        )))
    }
}

fn group_deliveries(files: Vec<SourceFile>) -> Vec<Delivery> {
    let mut groups: BTreeMap<(PathBuf, Format), Vec<SourceFile>> = BTreeMap::new();
    for f in files {
        let dir = f.path.parent().map(Path::to_owned).unwrap_or_default();
        groups.entry((dir, f.format)).or_default().push(f);
    }
    groups
        .into_iter()
        .map(|((dir, format), files)| {
            let newest = files
                .iter()
                .filter_map(|f| f.modified)
                .max()
                .unwrap_or(std::time::UNIX_EPOCH);
            Delivery {
                dir,
                format,
                files,
                newest,
            }
        })
        .collect()
}

/// A DataFusion session for reading billing data.
///
/// Work stealing between the scan's partitions is off: each partition reads
/// its own files' byte ranges, as planned. The scans' groups are then the
/// same from run to run, and so are their sums, which [`summary`] adds up
/// in partition order: the same export gives the same estimate, bit for bit.
/// The partitions are not even (a range holds whole row groups: at 5 million
/// lines, 0.6 to 1.1 million lines each), but there are more of them than
/// cores (a scan per billing period, each in as many ranges as cores), and
/// each is grouped in a task of its own, which the runtime's workers share
/// out. The debug log says when each partition is done.
fn session() -> SessionContext {
    let mut config = datafusion::prelude::SessionConfig::new();
    let execution = &mut config.options_mut().execution;
    execution.enable_file_stream_work_stealing = false;
    // A listing table collecting statistics reads every file's footer again
    // each time a query over it is planned; no query here gains from them
    // (the checks at open read the footers once, in `stats`, and a scan
    // prunes row groups from the footer it reads anyway). Off, planning the
    // estimate's scan of a 5-million-line export takes 8–10 ms, not 21–24.
    execution.collect_statistics = false;
    SessionContext::new_with_config(config)
}

/// The [`summary_cache`] key of the summary of `files` read through `view`:
/// everything the table `hourly` depends on. `None` when a file's content
/// cannot be digested.
fn summary_key(view: &str, files: &[&SourceFile]) -> Option<String> {
    let mut key = format!(
        "{}\nlayout: {}\nsummary: {:?}\nview: {view}\n",
        summary_cache::program_identity(),
        line_groups::ESTIMATE.scan_sql("line_items"),
        summary::schema()
    );
    let mut files: Vec<&&SourceFile> = files.iter().collect();
    files.sort_by(|a, b| a.path.cmp(&b.path));
    for f in files {
        // A Parquet footer's digest covers its row count too.
        let digest = summary_cache::content_digest(f)?;
        key.push_str(&format!(
            "file: {} format={} gzip={} {} {digest}\n",
            f.path.display(),
            f.format.name(),
            f.gzip,
            f.identity
        ));
    }
    Some(key)
}

fn first_text(batches: &[RecordBatch]) -> Option<String> {
    let b = batches.iter().find(|b| b.num_rows() > 0)?;
    let col = arrow::compute::cast(b.column(0), &DataType::Utf8).ok()?;
    Some(col.as_string::<i32>().value(0).to_owned())
}

fn text_pairs(batches: &[RecordBatch]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for b in batches {
        let (Ok(a), Ok(c)) = (
            arrow::compute::cast(b.column(0), &DataType::Utf8),
            arrow::compute::cast(b.column(1), &DataType::Utf8),
        ) else {
            continue;
        };
        let (a, c) = (a.as_string::<i32>(), c.as_string::<i32>());
        for i in 0..b.num_rows() {
            out.push((a.value(i).to_owned(), c.value(i).to_owned()));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{csv_structure_error, gzip_stream_error, is_page_error};

    /// The engine errors the reader gave for damaged pages of a workshop
    /// file (a bad block inside a snappy page, a dictionary index past its
    /// dictionary, a damaged page header) send the error to the locator;
    /// others do not.
    #[test]
    fn page_errors_are_told_from_other_engine_errors() {
        let pages = [
            "Arrow error: Parquet argument error: External: snappy: corrupt input \
             (expected valid offset but got offset 63033; dst position: 6)",
            "Arrow error: Parquet argument error: Parquet error: dictionary index out of bounds: \
             the len is 4920 but the index is 5000",
            "Arrow error: Parquet argument error: Parquet error: Unexpected struct field type 14",
        ];
        assert!(pages.iter().all(|m| is_page_error(m)));
        let others = [
            "Cast error: Cannot cast string 'lots' to value of Float64 type",
            "Schema error: No field named x",
            "Resources exhausted: Failed to allocate",
        ];
        assert!(others.iter().all(|m| !is_page_error(m)));
    }

    #[test]
    fn csv_structure_and_gzip_stream_errors_are_told_apart() {
        let fields =
            "Arrow error: Csv error: incorrect number of fields for line 861, expected 94 got 52";
        assert_eq!(
            csv_structure_error(fields),
            Some("incorrect number of fields for line 861, expected 94 got 52")
        );
        assert_eq!(gzip_stream_error(fields), None);
        let cut = "Arrow error: Io error: incomplete deflate stream";
        assert_eq!(gzip_stream_error(cut), Some("incomplete deflate stream"));
        assert_eq!(csv_structure_error(cut), None);
        let disk = "Arrow error: Io error: No space left on device (os error 28)";
        assert_eq!(gzip_stream_error(disk), None);
    }
}
