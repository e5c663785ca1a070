//! Finding and recognising billing files.
//!
//! Inputs are folders (searched recursively), glob patterns or single files;
//! `s3://` inputs are listed by [`crate::s3`] and recognised by the same rules.
//! Each file's format is recognised from its columns, not its name:
//! - Parquet with a `product` map column: CUR 2.0 (Data Exports);
//! - Parquet with `line_item_usage_account_id` and no `product` map: legacy CUR as
//!   AWS writes it for Athena (snake_case);
//! - CSV (optionally gzip) with `lineItem/UsageAccountId`: legacy CUR;
//! - CSV with `line_item_usage_account_id`: CUR 2.0 delivered as CSV;
//! - CSV or Parquet with `ChargePeriodStart`: FOCUS 1.0 to 1.2.
//!
//! Reading the Parquet footer or the CSV header here is also where a corrupt,
//! truncated or empty file is caught, with its path in the error.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use std::sync::Arc;

use arrow::datatypes::{DataType, SchemaRef};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::file::metadata::ParquetMetaData;
use rayon::prelude::*;

use crate::CurError;

/// A billing file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Format {
    /// CUR 2.0 in Parquet.
    Cur2Parquet,
    /// CUR 2.0 in CSV (optionally gzip).
    Cur2Csv,
    /// Legacy CUR in Parquet with snake_case columns.
    LegacyParquet,
    /// Legacy CUR in CSV with `lineItem/…` headers (optionally gzip).
    LegacyCsv,
    /// FOCUS 1.x in Parquet.
    FocusParquet,
    /// FOCUS 1.x in CSV (optionally gzip).
    FocusCsv,
}

impl Format {
    /// The `--input-format` spelling.
    pub fn name(self) -> &'static str {
        match self {
            Format::Cur2Parquet => "cur2",
            Format::Cur2Csv => "cur2-csv",
            Format::LegacyParquet => "legacy-parquet",
            Format::LegacyCsv => "legacy-csv",
            Format::FocusParquet => "focus",
            Format::FocusCsv => "focus-csv",
        }
    }

    /// Every format, for help texts.
    pub const ALL: [Format; 6] = [
        Format::Cur2Parquet,
        Format::Cur2Csv,
        Format::LegacyParquet,
        Format::LegacyCsv,
        Format::FocusParquet,
        Format::FocusCsv,
    ];

    /// Parses an `--input-format` value.
    pub fn parse(text: &str) -> Result<Format, String> {
        Format::ALL
            .into_iter()
            .find(|f| f.name() == text)
            .ok_or_else(|| {
                let names: Vec<_> = Format::ALL.iter().map(|f| f.name()).collect();
                format!(
                    "unknown input format {text:?}; expected one of {}",
                    names.join(", ")
                )
            })
    }

    /// True for the CSV formats.
    pub fn is_csv(self) -> bool {
        matches!(self, Format::Cur2Csv | Format::LegacyCsv | Format::FocusCsv)
    }

    /// True for the FOCUS formats.
    pub fn is_focus(self) -> bool {
        matches!(self, Format::FocusParquet | Format::FocusCsv)
    }
}

/// A billing file found in the inputs.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// Its path.
    pub path: PathBuf,
    /// Its format.
    pub format: Format,
    /// Its column names, as written.
    pub columns: Vec<String>,
    /// True when gzip-compressed.
    pub gzip: bool,
    /// When it was last written (a rewritten billing period wins by it).
    pub modified: Option<std::time::SystemTime>,
    /// What tells this version of the file from another one at the same
    /// path: its size and modification time, and its inode locally or its
    /// ETag and version on S3. Empty when unknown.
    pub identity: String,
    /// The Arrow schema from a Parquet file's footer (none for CSV).
    pub schema: Option<SchemaRef>,
    /// A Parquet file's footer: row groups and their statistics (none for CSV).
    pub metadata: Option<Arc<ParquetMetaData>>,
}

/// True for `s3://` inputs.
pub fn is_s3(input: &str) -> bool {
    input.starts_with("s3://")
}

/// Expands inputs into billing files, recognising each one's format.
pub fn discover(inputs: &[String], forced: Option<Format>) -> Result<Vec<SourceFile>, CurError> {
    let mut paths = Vec::new();
    for input in inputs {
        if is_s3(input) {
            continue;
        }
        if input.contains(['*', '?', '[']) {
            let matches = glob::glob(input)
                .map_err(|e| CurError::BadInput(format!("bad glob {input:?}: {e}")))?;
            let before = paths.len();
            for m in matches.flatten() {
                collect(&m, &mut paths)?;
            }
            if paths.len() == before {
                return Err(CurError::BadInput(format!("{input}: no file matches")));
            }
        } else {
            let path = Path::new(input);
            if !path.exists() {
                return Err(CurError::BadInput(format!(
                    "{input}: no such file or folder"
                )));
            }
            collect(path, &mut paths)?;
        }
    }
    paths.sort();
    paths.dedup();
    if paths.is_empty() && inputs.iter().all(|i| !is_s3(i)) {
        return Err(CurError::BadInput(format!(
            "no billing files (.parquet, .csv, .csv.gz) under {}",
            inputs.join(", ")
        )));
    }
    // Each file's footer or header is read on every core; the first bad
    // file in path order is the one reported, whichever core finds it.
    let recognised: Vec<Result<SourceFile, CurError>> = paths
        .into_par_iter()
        .map(|p| recognise(&p, forced))
        .collect();
    recognised.into_iter().collect()
}

fn is_billing_file(path: &Path) -> bool {
    is_billing_name(path.file_name().and_then(|n| n.to_str()).unwrap_or(""))
}

/// True for names of billing files: `.parquet`, `.csv`, `.csv.gz`.
pub fn is_billing_name(name: &str) -> bool {
    name.ends_with(".parquet") || name.ends_with(".csv") || name.ends_with(".csv.gz")
}

/// A Parquet file's format, from its schema.
pub fn detect_parquet(schema: &arrow::datatypes::Schema) -> Option<Format> {
    let has = |c: &str| schema.field_with_name(c).is_ok();
    let has_product_map = schema
        .field_with_name("product")
        .is_ok_and(|f| matches!(f.data_type(), DataType::Map(..)));
    if has("ChargePeriodStart") {
        Some(Format::FocusParquet)
    } else if has_product_map {
        Some(Format::Cur2Parquet)
    } else if has("line_item_usage_account_id") {
        Some(Format::LegacyParquet)
    } else {
        None
    }
}

/// A CSV file's format, from its header.
pub fn detect_csv(columns: &[String]) -> Option<Format> {
    let has = |c: &str| columns.iter().any(|x| x == c);
    if has("ChargePeriodStart") {
        Some(Format::FocusCsv)
    } else if has("lineItem/UsageAccountId") {
        Some(Format::LegacyCsv)
    } else if has("line_item_usage_account_id") {
        Some(Format::Cur2Csv)
    } else {
        None
    }
}

fn collect(path: &Path, out: &mut Vec<PathBuf>) -> Result<(), CurError> {
    if path.is_dir() {
        let entries = std::fs::read_dir(path).map_err(|e| CurError::io(path, e))?;
        for entry in entries {
            let entry = entry.map_err(|e| CurError::io(path, e))?;
            collect(&entry.path(), out)?;
        }
    } else if is_billing_file(path) {
        out.push(path.to_owned());
    }
    Ok(())
}

fn recognise(path: &Path, forced: Option<Format>) -> Result<SourceFile, CurError> {
    let name = path.to_string_lossy();
    let gzip = name.ends_with(".gz");
    let stat = std::fs::metadata(path).ok();
    let modified = stat.as_ref().and_then(|m| m.modified().ok());
    let identity = stat.as_ref().map(local_identity).unwrap_or_default();
    let (columns, detected, footer) = if name.ends_with(".parquet") {
        let (schema, metadata) = parquet_footer(path)?;
        let columns = schema.fields().iter().map(|f| f.name().clone()).collect();
        let detected = detect_parquet(&schema);
        (columns, detected, Some((schema, metadata)))
    } else {
        let columns = csv_header(path, gzip)?;
        let detected = detect_csv(&columns);
        (columns, detected, None)
    };
    let (schema, metadata) = footer.unzip();
    let format = forced.or(detected).ok_or_else(|| unknown(path))?;
    Ok(SourceFile {
        path: path.to_owned(),
        format,
        columns,
        gzip,
        modified,
        identity,
        schema,
        metadata,
    })
}

/// When a file was last written, in nanoseconds since 1970 (0 if unknown).
pub(crate) fn modified_nanos(stat: &std::fs::Metadata) -> u128 {
    stat.modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos())
}

/// A local file's [`SourceFile::identity`].
fn local_identity(stat: &std::fs::Metadata) -> String {
    let nanos = modified_nanos(stat);
    #[cfg(unix)]
    let inode = {
        use std::os::unix::fs::MetadataExt;
        format!(" dev={} ino={}", stat.dev(), stat.ino())
    };
    #[cfg(not(unix))]
    let inode = String::new();
    format!("size={} mtime_ns={nanos}{inode}", stat.len())
}

pub(crate) fn unknown(path: &Path) -> CurError {
    CurError::BadInput(format!(
        "{}: not a CUR 2.0, legacy CUR or FOCUS file (no line_item_usage_account_id, lineItem/UsageAccountId or ChargePeriodStart column); pass --input-format to force one",
        path.display()
    ))
}

/// Reads a Parquet file's schema from its footer.
pub fn parquet_schema(path: &Path) -> Result<SchemaRef, CurError> {
    parquet_footer(path).map(|(schema, _)| schema)
}

/// Reads a Parquet file's footer: its Arrow schema and its metadata.
pub fn parquet_footer(path: &Path) -> Result<(SchemaRef, Arc<ParquetMetaData>), CurError> {
    let file = File::open(path).map_err(|e| CurError::io(path, e))?;
    let builder = ParquetRecordBatchReaderBuilder::try_new(file).map_err(|e| {
        CurError::BadInput(format!(
            "{}: not a readable Parquet file (corrupt or truncated?): {e}",
            path.display()
        ))
    })?;
    Ok((builder.schema().clone(), builder.metadata().clone()))
}

fn csv_header(path: &Path, gzip: bool) -> Result<Vec<String>, CurError> {
    let file = File::open(path).map_err(|e| CurError::io(path, e))?;
    let reader: Box<dyn Read> = if gzip {
        Box::new(flate2::read::GzDecoder::new(file))
    } else {
        Box::new(file)
    };
    let mut line = String::new();
    BufReader::new(reader).read_line(&mut line).map_err(|e| {
        CurError::BadInput(format!(
            "{}: cannot read the CSV header: {e}",
            path.display()
        ))
    })?;
    parse_csv_header(&line, path)
}

/// The column names of a CSV header line.
pub(crate) fn parse_csv_header(line: &str, path: &Path) -> Result<Vec<String>, CurError> {
    let line = line.trim_start_matches('\u{feff}').trim_end();
    if line.is_empty() {
        return Err(CurError::BadInput(format!(
            "{}: empty file, no CSV header",
            path.display()
        )));
    }
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(line.as_bytes());
    let record = reader
        .records()
        .next()
        .and_then(Result::ok)
        .ok_or_else(|| CurError::BadInput(format!("{}: malformed CSV header", path.display())))?;
    Ok(record.iter().map(str::to_owned).collect())
}
