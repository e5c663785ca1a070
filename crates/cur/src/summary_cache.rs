//! A cache of the estimate's hourly summary (the table `hourly`, see
//! [`crate::queries`]), so that asking again of the same export (another
//! term, payment, window, plan list or risk knob) skips the scan of every
//! line.
//!
//! The summary is a function of the files read and of the code that reads
//! them, and nothing else. An entry's key names both:
//! - each file kept: its path, format and identity (size, modification time,
//!   inode locally; ETag and version on S3) and a digest of its content (see
//!   [`content_digest`]: its footer for Parquet, its bytes for a local CSV);
//! - the SQL of the canonical view and of the summary, and the running
//!   program (its version, size and modification time), so a rebuilt or
//!   upgraded orgpool never reads a summary an older one wrote.
//!
//! An entry is `<sha256 of the key>.arrow` in the cache folder: the key's
//! text, the summary as an Arrow IPC file, and a SHA-256 of both. It is read
//! back only when the checksum holds and the stored key is the one asked
//! for. An entry that cannot be read is ignored (and rewritten); a folder
//! that cannot be written is skipped with a warning. So the cache can make a
//! run faster, but never wrong and never failed. Writes go to a temporary
//! file renamed into place, so two runs at once each see a whole entry or
//! none. The folder keeps the [`SummaryCache::KEEP`] newest entries, of at
//! most [`SummaryCache::MAX_BYTES`] together (by default).

use std::io::Write;
use std::path::{Path, PathBuf};

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use arrow::ipc::reader::FileReader;
use arrow::ipc::writer::FileWriter;
use parquet::file::metadata::ParquetMetaDataWriter;
use sha2::{Digest, Sha256};

use crate::source::SourceFile;

/// Where summaries are kept between runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SummaryCache {
    dir: PathBuf,
    keep: usize,
    max_bytes: u64,
}

/// What an entry starts with, so that a stray file is not taken for one.
const MAGIC: &[u8; 8] = b"orgpool1";
const CHECKSUM_BYTES: usize = 32;

impl SummaryCache {
    /// Entries kept in the folder by default; older ones are removed after a
    /// write.
    pub const KEEP: usize = 16;
    /// Bytes kept in the folder by default, all entries together.
    pub const MAX_BYTES: u64 = 1 << 30;

    /// A cache in `dir` (created when first written).
    pub fn at(dir: impl Into<PathBuf>) -> Self {
        SummaryCache {
            dir: dir.into(),
            keep: Self::KEEP,
            max_bytes: Self::MAX_BYTES,
        }
    }

    /// The same cache, keeping at most `entries` entries of at most `bytes`
    /// together (the newest entry always stays).
    pub fn with_limits(self, entries: usize, bytes: u64) -> Self {
        SummaryCache {
            keep: entries.max(1),
            max_bytes: bytes,
            ..self
        }
    }

    /// The cache folder: `$ORGPOOL_CACHE_DIR`, else `$XDG_CACHE_HOME/orgpool`,
    /// else `~/.cache/orgpool`; none when no home is known.
    pub fn default_dir() -> Option<PathBuf> {
        let var = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
        var("ORGPOOL_CACHE_DIR")
            .map(PathBuf::from)
            .or_else(|| var("XDG_CACHE_HOME").map(|d| PathBuf::from(d).join("orgpool")))
            .or_else(|| var("HOME").map(|d| PathBuf::from(d).join(".cache").join("orgpool")))
    }

    /// The folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn entry(&self, key: &str) -> PathBuf {
        let digest = Sha256::digest(key.as_bytes());
        self.dir
            .join(format!("summary-{}.arrow", hex(&digest[..16])))
    }

    /// The summary stored under `key`, if a whole, matching entry exists.
    pub(crate) fn load(&self, key: &str) -> Option<(SchemaRef, Vec<RecordBatch>)> {
        let path = self.entry(key);
        let bytes = std::fs::read(&path).ok()?;
        match decode(&bytes, key) {
            Ok(found) => Some(found),
            Err(why) => {
                tracing::warn!(
                    "ignoring the cache entry {}: {why}; scanning the export instead",
                    path.display()
                );
                None
            }
        }
    }

    /// Stores `batches` under `key`; a failure is a warning, never an error.
    pub(crate) fn store(&self, key: &str, schema: &SchemaRef, batches: &[RecordBatch]) {
        let path = self.entry(key);
        if let Err(why) = self.write(&path, key, schema, batches) {
            tracing::warn!("could not write to the cache {}: {why}", self.dir.display());
            return;
        }
        tracing::debug!(
            "cached {} rows ({} bytes) in {}",
            batches.iter().map(RecordBatch::num_rows).sum::<usize>(),
            std::fs::metadata(&path).map_or(0, |m| m.len()),
            path.display()
        );
        self.evict(&path);
    }

    fn write(
        &self,
        path: &Path,
        key: &str,
        schema: &SchemaRef,
        batches: &[RecordBatch],
    ) -> Result<(), String> {
        std::fs::create_dir_all(&self.dir).map_err(|e| e.to_string())?;
        let file = tempfile::NamedTempFile::new_in(&self.dir).map_err(|e| e.to_string())?;
        let mut out = Hashing {
            inner: std::io::BufWriter::new(file),
            hasher: Sha256::new(),
        };
        encode(&mut out, key, schema, batches).map_err(|e| e.to_string())?;
        let checksum = out.hasher.finalize();
        let mut file = out.inner;
        file.write_all(&checksum).map_err(|e| e.to_string())?;
        let file = file.into_inner().map_err(|e| e.error().to_string())?;
        file.persist(path).map_err(|e| e.to_string())?;
        Ok(())
    }

    /// Removes the oldest entries until at most `keep` are left, of at most
    /// `max_bytes` together (`just_written` always stays), and temporary
    /// files an interrupted write left over an hour ago.
    fn evict(&self, just_written: &Path) {
        let Ok(listing) = std::fs::read_dir(&self.dir) else {
            return;
        };
        let hour_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
        let mut entries = Vec::new();
        for path in listing.filter_map(Result::ok).map(|e| e.path()) {
            let Some((modified, size)) = std::fs::metadata(&path)
                .ok()
                .and_then(|m| Some((m.modified().ok()?, m.len())))
            else {
                continue;
            };
            if is_entry(&path) && path != just_written {
                entries.push((modified, size, path));
            } else if is_leftover(&path) && modified < hour_ago {
                let _ = std::fs::remove_file(path);
            }
        }
        entries.sort_by_key(|e| std::cmp::Reverse(e.0));
        let mut count = 1;
        let mut bytes = std::fs::metadata(just_written).map_or(0, |m| m.len());
        for (_, size, path) in entries {
            count += 1;
            bytes += size;
            if count > self.keep || bytes > self.max_bytes {
                let _ = std::fs::remove_file(path);
            }
        }
    }
}

/// A temporary file of [`SummaryCache::write`] (as `tempfile` names them).
fn is_leftover(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.starts_with(".tmp"))
}

fn is_entry(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.starts_with("summary-") && n.ends_with(".arrow"))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A writer that hashes what passes through it.
struct Hashing<W> {
    inner: W,
    hasher: Sha256,
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// Writes `MAGIC`, the key's length (8 bytes, little-endian) and text, then
/// the Arrow IPC file. The entry ends with the SHA-256 of all that.
fn encode(
    out: &mut impl Write,
    key: &str,
    schema: &SchemaRef,
    batches: &[RecordBatch],
) -> Result<(), arrow::error::ArrowError> {
    out.write_all(MAGIC)?;
    out.write_all(&(key.len() as u64).to_le_bytes())?;
    out.write_all(key.as_bytes())?;
    let mut writer = FileWriter::try_new(out, schema)?;
    for b in batches {
        writer.write(b)?;
    }
    writer.finish()
}

/// The inverse of [`encode`], checking the checksum and that the entry is
/// `key`'s.
fn decode(bytes: &[u8], key: &str) -> Result<(SchemaRef, Vec<RecordBatch>), String> {
    let Some(body_len) = bytes.len().checked_sub(CHECKSUM_BYTES) else {
        return Err("truncated".into());
    };
    let (body, checksum) = bytes.split_at(body_len);
    if Sha256::digest(body).as_slice() != checksum {
        return Err("its checksum does not match (corrupt or truncated)".into());
    }
    let rest = body.strip_prefix(MAGIC).ok_or("not a summary entry")?;
    let (length, rest) = rest.split_at_checked(8).ok_or("truncated")?;
    let length = u64::from_le_bytes(length.try_into().map_err(|_| "truncated")?);
    let (stored_key, ipc) = usize::try_from(length)
        .ok()
        .and_then(|n| rest.split_at_checked(n))
        .ok_or("truncated")?;
    if stored_key != key.as_bytes() {
        return Err("it was written for other files".into());
    }
    let reader = FileReader::try_new(std::io::Cursor::new(ipc), None).map_err(|e| e.to_string())?;
    let schema = reader.schema();
    let batches = reader
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| e.to_string())?;
    Ok((schema, batches))
}

/// The part of a key that names the running program: its version, and the
/// size and modification time of its executable.
pub(crate) fn program_identity() -> String {
    let exe = std::env::current_exe()
        .ok()
        .and_then(|p| std::fs::metadata(p).ok());
    let stamp = exe.map_or_else(String::new, |m| {
        let nanos = crate::source::modified_nanos(&m);
        format!(" exe_size={} exe_mtime_ns={nanos}", m.len())
    });
    format!("orgpool {}{stamp}", env!("CARGO_PKG_VERSION"))
}

/// What tells one content of `file` from another beyond its
/// [`SourceFile::identity`], for the entry's key. A file rewritten in place
/// with the same size, modification time and inode (an `rsync -t` of the
/// same length, a restore from backup) must not be answered from the summary
/// of what it held before.
/// - A Parquet file: a SHA-256 of its footer, written back from the
///   metadata already read at open. The footer holds every column chunk's
///   offsets, sizes, encodings and statistics, so a file written again with
///   other lines has another footer. It costs no read of the data.
/// - A local CSV file: a SHA-256 of its bytes as stored (compressed, when
///   gzip). A CSV has no footer; hashing runs at over a gigabyte a second,
///   far faster than parsing the lines the cache lets a run skip.
/// - A CSV file on S3: nothing more. Its ETag and version, in its identity,
///   change with every write.
///
/// `None` when the file cannot be read for it: the run then does without
/// the cache rather than risk a stale answer.
pub(crate) fn content_digest(file: &SourceFile) -> Option<String> {
    let mut hasher = Sha256::new();
    if let Some(metadata) = &file.metadata {
        ParquetMetaDataWriter::new(&mut hasher, metadata)
            .finish()
            .ok()?;
        return Some(format!("footer_sha256={:x}", hasher.finalize()));
    }
    let address = file.path.to_string_lossy();
    if crate::source::is_s3(&address) {
        return Some(String::new());
    }
    let mut reader = std::fs::File::open(&file.path).ok()?;
    std::io::copy(&mut reader, &mut hasher).ok()?;
    Some(format!("content_sha256={:x}", hasher.finalize()))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{Float64Array, StringArray};
    use arrow::datatypes::{DataType, Field, Schema};

    use super::*;

    fn summary(rows: usize) -> (SchemaRef, Vec<RecordBatch>) {
        let schema = Arc::new(Schema::new(vec![
            Field::new("account", DataType::Utf8, true),
            Field::new("cost", DataType::Float64, true),
        ]));
        let accounts: StringArray = (0..rows).map(|i| Some(format!("{i:012}"))).collect();
        let costs: Float64Array = (0..rows).map(|i| Some(i as f64 * 0.25)).collect();
        let batch = RecordBatch::try_new(schema.clone(), vec![Arc::new(accounts), Arc::new(costs)])
            .unwrap();
        (schema, vec![batch])
    }

    #[test]
    fn a_stored_summary_comes_back_whole_for_its_key_only() {
        let dir = tempfile::tempdir().unwrap();
        let cache = SummaryCache::at(dir.path().join("nested"));
        let (schema, batches) = summary(1000);
        assert!(
            cache.load("files A").is_none(),
            "an empty cache has nothing"
        );
        cache.store("files A", &schema, &batches);
        let (got_schema, got) = cache.load("files A").expect("stored");
        assert_eq!(got_schema, schema);
        assert_eq!(got, batches);
        assert!(cache.load("files B").is_none());
    }

    #[test]
    fn a_damaged_entry_is_ignored_never_trusted() {
        let dir = tempfile::tempdir().unwrap();
        let cache = SummaryCache::at(dir.path());
        let (schema, batches) = summary(500);
        cache.store("k", &schema, &batches);
        let path = cache.entry("k");
        let good = std::fs::read(&path).unwrap();
        // One flipped bit in the data, a truncation, an empty file, garbage.
        let mut flipped = good.clone();
        let middle = flipped.len() / 2;
        flipped[middle] ^= 0x10;
        for damaged in [
            flipped,
            good[..good.len() - 7].to_vec(),
            good[..good.len() / 3].to_vec(),
            Vec::new(),
            b"orgpool1 not really".to_vec(),
            vec![0xff; 4096],
        ] {
            std::fs::write(&path, &damaged).unwrap();
            assert!(cache.load("k").is_none(), "{} bytes", damaged.len());
        }
        // Storing again repairs it.
        cache.store("k", &schema, &batches);
        assert_eq!(cache.load("k").unwrap().1, batches);
    }

    #[test]
    fn an_entry_whose_key_differs_though_its_name_matches_is_not_read() {
        let dir = tempfile::tempdir().unwrap();
        let cache = SummaryCache::at(dir.path());
        let (schema, batches) = summary(10);
        cache.store("other files", &schema, &batches);
        // As if two keys' hashes collided: the other key's entry under this name.
        std::fs::rename(cache.entry("other files"), cache.entry("these files")).unwrap();
        assert!(cache.load("these files").is_none());
    }

    #[test]
    fn an_unwritable_folder_is_skipped_without_failing() {
        let dir = tempfile::tempdir().unwrap();
        let blocker = dir.path().join("a file, not a folder");
        std::fs::write(&blocker, "x").unwrap();
        let cache = SummaryCache::at(blocker.join("cache"));
        let (schema, batches) = summary(10);
        cache.store("k", &schema, &batches);
        assert!(cache.load("k").is_none());
    }

    #[test]
    fn only_the_newest_entries_are_kept() {
        let dir = tempfile::tempdir().unwrap();
        let cache = SummaryCache::at(dir.path());
        std::fs::write(dir.path().join("unrelated.txt"), "mine").unwrap();
        let (schema, batches) = summary(3);
        let total = SummaryCache::KEEP + 4;
        for i in 0..total {
            cache.store(&format!("key {i}"), &schema, &batches);
            // Distinct modification times, oldest first.
            let t = std::time::SystemTime::UNIX_EPOCH
                + std::time::Duration::from_secs(1_000 + i as u64);
            std::fs::File::options()
                .write(true)
                .open(cache.entry(&format!("key {i}")))
                .unwrap()
                .set_modified(t)
                .unwrap();
        }
        let kept: Vec<usize> = (0..total)
            .filter(|i| cache.entry(&format!("key {i}")).exists())
            .collect();
        // Eviction runs after each write, so the last write sees KEEP + 1
        // entries (and keeps the newest KEEP).
        assert_eq!(
            kept,
            (total - SummaryCache::KEEP..total).collect::<Vec<_>>()
        );
        assert!(
            dir.path().join("unrelated.txt").exists(),
            "other files stay"
        );
    }

    fn age(path: &Path, seconds_ago: u64) {
        let t = std::time::SystemTime::now() - std::time::Duration::from_secs(seconds_ago);
        std::fs::File::options()
            .write(true)
            .open(path)
            .unwrap()
            .set_modified(t)
            .unwrap();
    }

    #[test]
    fn the_folder_stays_under_its_byte_limit_but_keeps_the_newest_entry() {
        let dir = tempfile::tempdir().unwrap();
        let (schema, batches) = summary(2000);
        let probe = SummaryCache::at(dir.path().join("probe"));
        probe.store("probe", &schema, &batches);
        let size = std::fs::metadata(probe.entry("probe")).unwrap().len();
        // Room for two entries and a half.
        let cache = SummaryCache::at(dir.path().join("c")).with_limits(100, size * 5 / 2);
        for (i, seconds_ago) in [(0, 40), (1, 30), (2, 20)] {
            cache.store(&format!("k{i}"), &schema, &batches);
            age(&cache.entry(&format!("k{i}")), seconds_ago);
        }
        let kept: Vec<bool> = (0..3)
            .map(|i| cache.entry(&format!("k{i}")).exists())
            .collect();
        assert_eq!(kept, [false, true, true], "the oldest goes");
        // An entry larger than the limit on its own still stays, alone.
        let tiny = SummaryCache::at(dir.path().join("c")).with_limits(100, 1);
        tiny.store("big", &schema, &batches);
        assert!(tiny.load("big").is_some());
        assert!(!cache.entry("k2").exists());
    }

    #[test]
    fn an_interrupted_writes_leftover_is_cleared_once_stale() {
        let dir = tempfile::tempdir().unwrap();
        let cache = SummaryCache::at(dir.path());
        let (schema, batches) = summary(3);
        let stale = dir.path().join(".tmpAbC123");
        let fresh = dir.path().join(".tmpXyZ789");
        std::fs::write(&stale, "half an entry").unwrap();
        std::fs::write(&fresh, "another run writing now").unwrap();
        age(&stale, 2 * 3600);
        cache.store("k", &schema, &batches);
        assert!(!stale.exists());
        assert!(fresh.exists(), "it may be another run's write in progress");
    }
}
