//! Billing files in Amazon S3: `s3://bucket/prefix`, read in place through
//! `object_store`, never copied to disk.
//!
//! An input `s3://bucket/prefix` lists every object under the prefix (as Data
//! Exports writes an export: `prefix/name/data/BILLING_PERIOD=…/…`); an input
//! with `*`, `?` or `[` is a glob over the keys, listed from the part before the
//! first wildcard. Each object's format is recognised exactly as a local file's,
//! from its columns: the Parquet footer is read with ranged GETs, and for CSV only
//! the first bytes are fetched to find the header.
//!
//! Credentials and region come from the caller (the CLI resolves AWS's standard
//! chain: flags, environment, profiles, SSO, instance roles) as an
//! [`AwsCredentialProvider`]; without one, `object_store`'s environment chain
//! applies. `endpoint_url` points at an S3-compatible service (tests use moto).

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::sync::Arc;

use futures::TryStreamExt;
use object_store::aws::{AmazonS3Builder, AwsCredentialProvider};
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt};
use parquet::file::metadata::{FooterTail, ParquetMetaData, ParquetMetaDataReader};

use crate::CurError;
use crate::source::{self, Format, SourceFile};

/// How to reach S3.
#[derive(Clone, Default)]
pub struct S3Options {
    /// An S3-compatible endpoint instead of AWS's (`--endpoint-url`).
    pub endpoint_url: Option<String>,
    /// The bucket's region; `AWS_REGION` or `us-east-1` when absent.
    pub region: Option<String>,
    /// Where signing credentials come from; the environment when absent.
    pub credentials: Option<AwsCredentialProvider>,
}

impl std::fmt::Debug for S3Options {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Options")
            .field("endpoint_url", &self.endpoint_url)
            .field("region", &self.region)
            .field(
                "credentials",
                &self.credentials.as_ref().map(|_| "<provider>"),
            )
            .finish()
    }
}

/// How many bytes of a CSV object are fetched to find its header.
const CSV_HEAD_BYTES: u64 = 256 * 1024;

/// An `s3://bucket/key-or-prefix` input, split.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Url {
    /// The bucket.
    pub bucket: String,
    /// The key, prefix or key glob (may be empty).
    pub key: String,
}

impl S3Url {
    /// Parses `s3://bucket/prefix`.
    pub fn parse(input: &str) -> Result<S3Url, CurError> {
        let rest = input
            .strip_prefix("s3://")
            .ok_or_else(|| CurError::BadInput(format!("{input}: not an s3:// address")))?;
        let (bucket, key) = rest.split_once('/').unwrap_or((rest, ""));
        let valid_bucket = (3..=63).contains(&bucket.len())
            && bucket
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.');
        if !valid_bucket {
            return Err(CurError::BadInput(format!(
                "{input}: {bucket:?} is not an S3 bucket name (3 to 63 lowercase letters, digits, '-' or '.')"
            )));
        }
        Ok(S3Url {
            bucket: bucket.to_owned(),
            key: key.to_owned(),
        })
    }

    /// The key prefix to list: up to the last `/` before the first wildcard.
    fn list_prefix(&self) -> &str {
        match self.key.find(['*', '?', '[']) {
            Some(i) => match self.key[..i].rfind('/') {
                Some(slash) => &self.key[..=slash],
                None => "",
            },
            None => &self.key,
        }
    }

    fn is_glob(&self) -> bool {
        self.key.contains(['*', '?', '['])
    }
}

/// The object stores of the buckets read, to register with the query engine.
pub type Stores = BTreeMap<String, Arc<dyn ObjectStore>>;

fn store_for(bucket: &str, options: &S3Options) -> Result<Arc<dyn ObjectStore>, CurError> {
    let mut builder = AmazonS3Builder::from_env().with_bucket_name(bucket);
    if let Some(region) = &options.region {
        builder = builder.with_region(region);
    }
    if let Some(endpoint) = &options.endpoint_url {
        builder = builder
            .with_endpoint(endpoint)
            .with_allow_http(endpoint.starts_with("http://"))
            .with_virtual_hosted_style_request(false);
    }
    if let Some(credentials) = &options.credentials {
        builder = builder.with_credentials(credentials.clone());
    }
    let store = builder
        .build()
        .map_err(|e| CurError::BadInput(format!("s3://{bucket}: cannot configure S3: {e}")))?;
    Ok(Arc::new(store))
}

/// Lists and recognises the billing objects of S3 inputs, returning them with
/// the bucket stores they need.
pub async fn discover(
    inputs: &[&str],
    forced: Option<Format>,
    options: &S3Options,
) -> Result<(Vec<SourceFile>, Stores), CurError> {
    let mut stores = Stores::new();
    let mut files = Vec::new();
    for input in inputs {
        let url = S3Url::parse(input)?;
        let store = match stores.get(&url.bucket) {
            Some(s) => s.clone(),
            None => {
                let s = store_for(&url.bucket, options)?;
                stores.insert(url.bucket.clone(), s.clone());
                s
            }
        };
        let found = list(&store, &url, input).await?;
        if found.is_empty() {
            return Err(CurError::BadInput(format!(
                "{input}: no billing objects (.parquet, .csv, .csv.gz) under it"
            )));
        }
        for meta in found {
            files.push(recognise(&store, &url.bucket, meta, forced).await?);
        }
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    files.dedup_by(|a, b| a.path == b.path);
    Ok((files, stores))
}

async fn list(
    store: &Arc<dyn ObjectStore>,
    url: &S3Url,
    input: &str,
) -> Result<Vec<object_store::ObjectMeta>, CurError> {
    let prefix = url.list_prefix().trim_end_matches('/');
    let prefix = (!prefix.is_empty()).then(|| ObjectPath::from(prefix));
    let pattern = if url.is_glob() {
        Some(
            glob::Pattern::new(&url.key)
                .map_err(|e| CurError::BadInput(format!("bad glob {input:?}: {e}")))?,
        )
    } else {
        None
    };
    let objects: Vec<object_store::ObjectMeta> = store
        .list(prefix.as_ref())
        .try_collect()
        .await
        .map_err(|e| s3_error(input, e))?;
    Ok(objects
        .into_iter()
        .filter(|m| source::is_billing_name(m.location.as_ref()))
        .filter(|m| {
            pattern
                .as_ref()
                .is_none_or(|p| p.matches(m.location.as_ref()))
        })
        .collect())
}

fn s3_error(what: &str, e: object_store::Error) -> CurError {
    match e {
        object_store::Error::NotFound { .. } => {
            CurError::BadInput(format!("{what}: no such bucket or object"))
        }
        object_store::Error::PermissionDenied { .. }
        | object_store::Error::Unauthenticated { .. } => {
            CurError::BadInput(format!("{what}: access denied: {e}"))
        }
        other => CurError::BadInput(format!("{what}: cannot read from S3: {other}")),
    }
}

async fn recognise(
    store: &Arc<dyn ObjectStore>,
    bucket: &str,
    meta: object_store::ObjectMeta,
    forced: Option<Format>,
) -> Result<SourceFile, CurError> {
    let key = meta.location.as_ref().to_owned();
    let address = format!("s3://{bucket}/{key}");
    let modified = Some(std::time::SystemTime::from(meta.last_modified));
    let identity = format!(
        "size={} modified={} etag={} version={}",
        meta.size,
        meta.last_modified.to_rfc3339(),
        meta.e_tag.as_deref().unwrap_or("-"),
        meta.version.as_deref().unwrap_or("-")
    );
    let path = PathBuf::from(&address);
    if key.ends_with(".parquet") {
        let (schema, metadata) = parquet_footer(store, &meta).await.map_err(|e| {
            CurError::BadInput(format!(
                "{address}: not a readable Parquet file (corrupt or truncated?): {e}"
            ))
        })?;
        let format = forced
            .or_else(|| source::detect_parquet(&schema))
            .ok_or_else(|| source::unknown(&path))?;
        return Ok(SourceFile {
            columns: schema.fields().iter().map(|f| f.name().clone()).collect(),
            path,
            format,
            gzip: false,
            modified,
            identity,
            schema: Some(schema),
            metadata: Some(metadata),
        });
    }
    let gzip = key.ends_with(".gz");
    let head = store
        .get_range(&meta.location, 0..meta.size.min(CSV_HEAD_BYTES))
        .await
        .map_err(|e| s3_error(&address, e))?;
    let line = first_line(&head, gzip, &address)?;
    let columns = source::parse_csv_header(&line, &path)?;
    let format = forced
        .or_else(|| source::detect_csv(&columns))
        .ok_or_else(|| source::unknown(&path))?;
    Ok(SourceFile {
        path,
        format,
        columns,
        gzip,
        modified,
        identity,
        schema: None,
        metadata: None,
    })
}

/// A Parquet object's Arrow schema and metadata, from its footer alone: two
/// ranged GETs (the 8-byte tail, then the metadata it points to).
async fn parquet_footer(
    store: &Arc<dyn ObjectStore>,
    meta: &object_store::ObjectMeta,
) -> Result<(arrow::datatypes::SchemaRef, Arc<ParquetMetaData>), String> {
    const TAIL: u64 = 8;
    if meta.size < TAIL + 4 {
        return Err(format!("{} bytes is too short", meta.size));
    }
    let tail = store
        .get_range(&meta.location, meta.size - TAIL..meta.size)
        .await
        .map_err(|e| e.to_string())?;
    let tail = FooterTail::try_from(tail.as_ref()).map_err(|e| e.to_string())?;
    let length = tail.metadata_length() as u64;
    if length + TAIL + 4 > meta.size {
        return Err(format!(
            "its footer claims {length} bytes of metadata in a {}-byte file",
            meta.size
        ));
    }
    let footer = store
        .get_range(&meta.location, meta.size - TAIL - length..meta.size - TAIL)
        .await
        .map_err(|e| e.to_string())?;
    let metadata = ParquetMetaDataReader::decode_metadata(&footer).map_err(|e| e.to_string())?;
    let file = metadata.file_metadata();
    let schema =
        parquet::arrow::parquet_to_arrow_schema(file.schema_descr(), file.key_value_metadata())
            .map_err(|e| e.to_string())?;
    Ok((Arc::new(schema), Arc::new(metadata)))
}

/// The first line of a CSV object's first bytes, gunzipped when needed (the
/// gzip stream is cut short on purpose: only its start is decoded).
fn first_line(head: &[u8], gzip: bool, address: &str) -> Result<String, CurError> {
    let mut line = String::new();
    let read = if gzip {
        BufReader::new(flate2::read::GzDecoder::new(head)).read_line(&mut line)
    } else {
        BufReader::new(head).read_line(&mut line)
    };
    match read {
        Ok(_) => Ok(line),
        // A cut gzip stream ends in an error once the header line is read.
        Err(_) if line.ends_with('\n') => Ok(line),
        Err(e) => Err(CurError::BadInput(format!(
            "{address}: cannot read the CSV header: {e}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_split_into_bucket_and_key() {
        let url = S3Url::parse("s3://my-cur/exports/orgpool/data").unwrap();
        assert_eq!(url.bucket, "my-cur");
        assert_eq!(url.key, "exports/orgpool/data");
        assert_eq!(url.list_prefix(), "exports/orgpool/data");
        let bare = S3Url::parse("s3://my-cur").unwrap();
        assert_eq!(bare.key, "");
    }

    #[test]
    fn a_glob_lists_from_before_its_first_wildcard() {
        let url = S3Url::parse("s3://b-1/cur/data/BILLING_PERIOD=2026-*/*.parquet").unwrap();
        assert!(url.is_glob());
        assert_eq!(url.list_prefix(), "cur/data/");
        let top = S3Url::parse("s3://b-1/*.parquet").unwrap();
        assert_eq!(top.list_prefix(), "");
    }

    #[test]
    fn bad_bucket_names_are_refused_with_the_input() {
        for bad in ["s3://", "s3://A_B/x", "s3://ab", "s3://has space/x"] {
            let err = S3Url::parse(bad).unwrap_err().to_string();
            assert!(err.contains(bad), "{err}");
            assert!(err.contains("bucket"), "{err}");
        }
    }

    #[test]
    fn the_header_of_a_cut_gzip_stream_is_read() {
        use std::io::Write;
        let mut body = b"lineItem/UsageAccountId,lineItem/UnblendedCost\n".to_vec();
        for i in 0..20_000 {
            body.extend_from_slice(format!("{i:012},{}.5\n", i % 97).as_bytes());
        }
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        enc.write_all(&body).unwrap();
        let gz = enc.finish().unwrap();
        let cut = &gz[..gz.len() / 3];
        let line = first_line(cut, true, "s3://b/x.csv.gz").unwrap();
        assert_eq!(
            line.trim_end(),
            "lineItem/UsageAccountId,lineItem/UnblendedCost"
        );
        let err = first_line(&gz[..5], true, "s3://b/x.csv.gz").unwrap_err();
        assert!(err.to_string().contains("s3://b/x.csv.gz"), "{err}");
    }
}
