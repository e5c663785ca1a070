//! The summary cache: a second look at the same files reads the cached
//! summary and answers exactly as the scan did; a file rewritten, added or
//! removed is scanned afresh and never answered from a stale summary.

use std::path::Path;

use chrono::{TimeZone, Utc};
use orgpool_cur::queries::Dimension;
use orgpool_cur::{BillingData, Format, OpenOptions, SummaryCache};
use orgpool_model::{Posture, Window};

fn open(input: &Path, cache: Option<&Path>, format: Option<Format>) -> BillingData {
    let options = OpenOptions {
        format,
        cache: cache.map(SummaryCache::at),
        ..OpenOptions::default()
    };
    BillingData::open_with(&[input.to_string_lossy().into_owned()], &options).unwrap()
}

/// Every answer the estimate asks of the summary, over the whole of 2018's
/// last quarter (the workshop files' months).
struct Answers {
    range: Option<(chrono::DateTime<Utc>, chrono::DateTime<Utc>)>,
    postures: Vec<Vec<Posture>>,
    series: Vec<(String, String, Vec<f64>)>,
    /// (plan, term, payment, region, family) and discount, sorted.
    rates: Vec<(String, f64)>,
}

fn answers(data: &BillingData) -> Answers {
    let window = Window::new(
        Utc.with_ymd_and_hms(2018, 9, 1, 0, 0, 0).unwrap(),
        Utc.with_ymd_and_hms(2019, 1, 1, 0, 0, 0).unwrap(),
    );
    let postures = [
        Dimension::Total,
        Dimension::Account,
        Dimension::Service,
        Dimension::FamilyRegion,
    ]
    .into_iter()
    .map(|d| data.posture(&window, d).unwrap())
    .collect();
    let series = data
        .uncovered_series(&window)
        .unwrap()
        .into_iter()
        .map(|s| (s.region, s.family, s.hourly))
        .collect();
    let mut rates: Vec<(String, f64)> = data
        .observed_rates(&window)
        .unwrap()
        .into_iter()
        .map(|r| {
            let key = format!(
                "{:?} {:?} {:?} {} {}",
                r.plan, r.term, r.payment, r.region, r.family
            );
            (key, r.discount)
        })
        .collect();
    rates.sort_by(|a, b| a.0.cmp(&b.0));
    Answers {
        range: data.eligible_range().unwrap(),
        postures,
        series,
        rates,
    }
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

/// Equal but for the last bits of sums taken in another order.
fn assert_same(a: &Answers, b: &Answers, what: &str) {
    assert_eq!(a.range, b.range, "{what}: range");
    assert_eq!(a.postures.len(), b.postures.len());
    for (pa, pb) in a.postures.iter().zip(&b.postures) {
        let keys = |p: &[Posture]| {
            let mut k: Vec<String> = p.iter().map(|x| x.key.clone()).collect();
            k.sort();
            k
        };
        assert_eq!(keys(pa), keys(pb), "{what}: posture keys");
        for x in pa {
            let y = pb.iter().find(|y| y.key == x.key).unwrap();
            for (u, v) in [
                (x.on_demand_equivalent_cost, y.on_demand_equivalent_cost),
                (
                    x.covered_on_demand_equivalent_cost,
                    y.covered_on_demand_equivalent_cost,
                ),
                (x.uncovered_on_demand_cost, y.uncovered_on_demand_cost),
                (x.commitment_cost, y.commitment_cost),
                (x.used_commitment, y.used_commitment),
                (x.total_commitment, y.total_commitment),
            ] {
                assert!(close(u, v), "{what}: posture {}: {u} vs {v}", x.key);
            }
        }
    }
    assert_eq!(a.series.len(), b.series.len(), "{what}: series");
    for (x, y) in a.series.iter().zip(&b.series) {
        assert_eq!((&x.0, &x.1), (&y.0, &y.1), "{what}: series order");
        assert_eq!(x.2.len(), y.2.len());
        assert!(
            x.2.iter().zip(&y.2).all(|(u, v)| close(*u, *v)),
            "{what}: series {} {}",
            x.0,
            x.1
        );
    }
    assert_eq!(a.rates.len(), b.rates.len(), "{what}: rates");
    for (x, y) in a.rates.iter().zip(&b.rates) {
        assert_eq!(x.0, y.0, "{what}: rates");
        assert!(close(x.1, y.1), "{what}: rate {x:?} vs {y:?}");
    }
}

fn copy(from: &str, to: &Path) {
    std::fs::copy(orgpool_testkit::real_data(from), to).unwrap();
}

/// A cache folder and an export folder holding `files` of the public data,
/// each under its own name or the name given.
fn export(dir: &Path, files: &[(&str, &str)]) -> (std::path::PathBuf, std::path::PathBuf) {
    let cache = dir.join("cache");
    let cur = dir.join("cur");
    std::fs::create_dir(&cur).unwrap();
    for (from, name) in files {
        copy(from, &cur.join(name));
    }
    (cache, cur)
}

/// [`export`] of the workshop's October alone, as `export.snappy.parquet`
/// (a name the tests then rewrite in place).
fn october_as_export(dir: &Path) -> (std::path::PathBuf, std::path::PathBuf) {
    export(
        dir,
        &[(
            "workshop-cur-2018-10.snappy.parquet",
            "export.snappy.parquet",
        )],
    )
}

#[test]
fn a_second_look_reads_the_cached_summary_and_answers_as_the_scan_did() {
    let dir = tempfile::tempdir().unwrap();
    let months = ["10", "11", "12"].map(|m| format!("workshop-cur-2018-{m}.snappy.parquet"));
    let files: Vec<(&str, &str)> = months.iter().map(|m| (m.as_str(), m.as_str())).collect();
    let (cache, cur) = export(dir.path(), &files);
    let uncached = open(&cur, None, None);
    let expected = answers(&uncached);
    assert!(!uncached.summary_was_cached());
    assert!(!expected.series.is_empty() && !expected.rates.is_empty());

    let first = open(&cur, Some(&cache), None);
    assert_same(&answers(&first), &expected, "first, scanned");
    assert!(!first.summary_was_cached());
    assert_eq!(std::fs::read_dir(&cache).unwrap().count(), 1);

    let second = open(&cur, Some(&cache), None);
    assert_same(&answers(&second), &expected, "second, cached");
    assert!(
        second.summary_was_cached(),
        "the second look reads the cache"
    );
    // Reading it wrote nothing new.
    assert_eq!(std::fs::read_dir(&cache).unwrap().count(), 1);
}

#[test]
fn a_rewritten_added_or_removed_file_is_scanned_afresh() {
    let dir = tempfile::tempdir().unwrap();
    let (cache, cur) = october_as_export(dir.path());
    let file = cur.join("export.snappy.parquet");
    let look = |what: &str| {
        let cached = open(&cur, Some(&cache), None);
        let fresh = answers(&cached);
        assert!(!cached.summary_was_cached(), "{what}: must be scanned");
        assert_same(&fresh, &answers(&open(&cur, None, None)), what);
        // And the next look at the same files reads what this one stored.
        let again = open(&cur, Some(&cache), None);
        assert_same(&answers(&again), &fresh, what);
        assert!(again.summary_was_cached(), "{what}: then cached");
        fresh
    };
    let october = look("October");

    // AWS rewrites the file in place: same path, other content.
    copy("workshop-cur-2018-11.snappy.parquet", &file);
    let november = look("November at October's path");
    assert_ne!(october.range, november.range);

    // A file is added, then removed again.
    copy(
        "workshop-cur-2018-12.snappy.parquet",
        &cur.join("december.snappy.parquet"),
    );
    let both = look("November and December");
    assert_ne!(both.range, november.range);
    std::fs::remove_file(cur.join("december.snappy.parquet")).unwrap();
    let cached = open(&cur, Some(&cache), None);
    assert_same(&answers(&cached), &november, "December removed");

    // Forcing the format the files were recognised as reads them the same
    // way: the same summary.
    let forced = open(&cur, Some(&cache), Some(Format::LegacyParquet));
    assert_same(&answers(&forced), &november, "forced format");
    assert!(forced.summary_was_cached());
}

#[test]
fn a_damaged_cache_entry_is_scanned_around_and_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let (cache, cur) = export(
        dir.path(),
        &[("workshop-cur-2018-12.snappy.parquet", "dec.snappy.parquet")],
    );
    let expected = answers(&open(&cur, Some(&cache), None));
    let entry = std::fs::read_dir(&cache)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let bytes = std::fs::read(&entry).unwrap();
    std::fs::write(&entry, &bytes[..bytes.len() / 2]).unwrap();
    let after_damage = open(&cur, Some(&cache), None);
    assert_same(&answers(&after_damage), &expected, "damaged entry");
    assert!(!after_damage.summary_was_cached());
    let repaired = open(&cur, Some(&cache), None);
    assert_same(&answers(&repaired), &expected, "repaired entry");
    assert!(repaired.summary_was_cached());
}

/// `from` of the public data written again as plain, uncompressed Parquet,
/// with every cost multiplied by `factor`. Costs are 8-byte doubles, so every
/// factor gives a file of the same size.
fn plain_copy_with_costs_times(from: &str, factor: f64) -> Vec<u8> {
    use std::sync::Arc;

    use arrow::array::{ArrayRef, AsArray, Float64Array, RecordBatch};
    use arrow::datatypes::Float64Type;
    use parquet::arrow::ArrowWriter;
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
    use parquet::basic::Compression;
    use parquet::file::properties::WriterProperties;

    let file = std::fs::File::open(orgpool_testkit::real_data(from)).unwrap();
    let builder = ParquetRecordBatchReaderBuilder::try_new(file).unwrap();
    let schema = Arc::clone(builder.schema());
    let reader = builder.build().unwrap();
    let costs = ["line_item_unblended_cost", "pricing_public_on_demand_cost"];
    let props = WriterProperties::builder()
        .set_compression(Compression::UNCOMPRESSED)
        .set_dictionary_enabled(false)
        .build();
    let mut writer = ArrowWriter::try_new(Vec::new(), Arc::clone(&schema), Some(props)).unwrap();
    for batch in reader {
        let batch = batch.unwrap();
        let columns: Vec<ArrayRef> = schema
            .fields()
            .iter()
            .zip(batch.columns())
            .map(|(field, column)| {
                if !costs.contains(&field.name().as_str()) {
                    return Arc::clone(column);
                }
                let values = column.as_primitive::<Float64Type>();
                let scaled: Float64Array = values.iter().map(|v| v.map(|x| x * factor)).collect();
                Arc::new(scaled) as ArrayRef
            })
            .collect();
        writer
            .write(&RecordBatch::try_new(Arc::clone(&schema), columns).unwrap())
            .unwrap();
    }
    writer.into_inner().unwrap()
}

/// Writes `bytes` over `file` in place (its inode stays) and gives it back
/// the modification time of `stat`, its stat before: its size, time and
/// inode are then as they were.
fn rewrite_in_place(file: &Path, bytes: &[u8], stat: &std::fs::Metadata) {
    use std::os::unix::fs::MetadataExt;

    std::fs::write(file, bytes).unwrap();
    std::fs::File::options()
        .write(true)
        .open(file)
        .unwrap()
        .set_modified(stat.modified().unwrap())
        .unwrap();
    let now = std::fs::metadata(file).unwrap();
    assert_eq!(
        (now.len(), now.modified().unwrap(), now.ino(), now.dev()),
        (stat.len(), stat.modified().unwrap(), stat.ino(), stat.dev()),
        "the rewritten file must keep its size, time and inode"
    );
}

/// Whether a look at `cur` reads its summary from `cache`.
fn answered_from_cache(cur: &Path, cache: &Path) -> bool {
    let data = open(cur, Some(cache), None);
    data.eligible_range().unwrap();
    data.summary_was_cached()
}

#[test]
fn a_file_rewritten_with_the_same_size_time_and_inode_is_scanned_afresh() {
    let dir = tempfile::tempdir().unwrap();
    let (cache, cur) = export(dir.path(), &[]);
    let file = cur.join("export.parquet");
    let october = "workshop-cur-2018-10.snappy.parquet";
    let before = plain_copy_with_costs_times(october, 1.0);
    let after = plain_copy_with_costs_times(october, 2.0);
    assert_eq!(
        before.len(),
        after.len(),
        "the two versions must be the same size"
    );
    assert_ne!(before, after);

    std::fs::write(&file, &before).unwrap();
    let stat = std::fs::metadata(&file).unwrap();
    let first = answers(&open(&cur, Some(&cache), None));
    assert!(answered_from_cache(&cur, &cache));

    rewrite_in_place(&file, &after, &stat);
    assert!(
        !answered_from_cache(&cur, &cache),
        "a rewritten file must be scanned, not answered from its old summary"
    );
    let second = answers(&open(&cur, Some(&cache), None));
    assert_same(&second, &answers(&open(&cur, None, None)), "rewritten");
    let total = |a: &Answers| a.postures[0][0].on_demand_equivalent_cost;
    assert!(
        close(total(&second), 2.0 * total(&first)) && total(&first) > 0.0,
        "doubled costs: {} then {}",
        total(&first),
        total(&second)
    );
}

#[test]
fn a_local_csv_rewritten_with_the_same_size_time_and_inode_is_scanned_afresh() {
    let dir = tempfile::tempdir().unwrap();
    let (cache, cur) = export(dir.path(), &[("focus-1.0-sample.csv", "focus.csv")]);
    let file = cur.join("focus.csv");
    let stat = std::fs::metadata(&file).unwrap();
    assert!(!answered_from_cache(&cur, &cache));
    assert!(answered_from_cache(&cur, &cache));

    // One digit changed past the header.
    let mut bytes = std::fs::read(&file).unwrap();
    let at = bytes.len() / 2;
    let digit = bytes[at..].iter().position(u8::is_ascii_digit).unwrap() + at;
    bytes[digit] = if bytes[digit] == b'7' { b'8' } else { b'7' };
    rewrite_in_place(&file, &bytes, &stat);
    assert!(
        !answered_from_cache(&cur, &cache),
        "a rewritten CSV must be scanned, not answered from its old summary"
    );
}

/// The pro forma's charges are kept in the same folder, under a key of their
/// own: a second look reads them back as they were scanned, held
/// commitments included (the workshop months hold nine RIs), beside the
/// summary's entry; a file rewritten in place is scanned afresh.
#[test]
fn the_charges_are_cached_beside_the_summary_and_follow_the_files() {
    let dir = tempfile::tempdir().unwrap();
    let (cache, cur) = october_as_export(dir.path());
    let entries = || std::fs::read_dir(&cache).unwrap().count();
    let scanned = open(&cur, None, None).charges().unwrap();
    assert!(!scanned.0.is_empty() && !scanned.1.is_empty());

    let first = open(&cur, Some(&cache), None);
    assert_eq!(first.charges().unwrap(), scanned);
    assert!(!first.charges_were_cached());
    assert_eq!(entries(), 1);
    let second = open(&cur, Some(&cache), None);
    let back = second.charges().unwrap();
    for (a, b) in back.0.iter().zip(&scanned.0) {
        assert_eq!(a, b, "a charge row read back");
    }
    for (a, b) in back.1.iter().zip(&scanned.1) {
        assert_eq!(a, b, "a held commitment read back");
    }
    assert_eq!(back, scanned, "read back whole");
    assert!(second.charges_were_cached());
    // The summary is an entry of its own, not taken for the charges.
    answers(&second);
    assert!(!second.summary_was_cached());
    assert_eq!(entries(), 2);

    // AWS rewrites the file in place: its charges are scanned again.
    copy(
        "workshop-cur-2018-11.snappy.parquet",
        &cur.join("export.snappy.parquet"),
    );
    let rewritten = open(&cur, Some(&cache), None);
    let november = rewritten.charges().unwrap();
    assert!(!rewritten.charges_were_cached());
    assert_eq!(november, open(&cur, None, None).charges().unwrap());
    assert_ne!(november.0, scanned.0);
}
