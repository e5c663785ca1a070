//! Answers from Parquet footers instead of scans.
//!
//! The checks at open need, per file, the set of (payer, billing period) it
//! holds and its currencies. In CUR and FOCUS Parquet these columns are
//! constant within a row group, so the row groups' min/max statistics, already
//! read with the footer, give the answer without decoding a page. When
//! statistics are missing or a row group mixes values, the answer is `None` and
//! the caller scans instead, so a file without statistics is never misread.

use std::collections::BTreeSet;

use arrow::array::{Array, ArrayRef, AsArray};
use arrow::datatypes::DataType;
use parquet::arrow::arrow_reader::statistics::StatisticsConverter;

use crate::canonical;
use crate::source::{Format, SourceFile};

/// The distinct values of `column` in the file, if its statistics say them
/// exactly: every row group has one value (min = max) or only nulls.
fn constant_values(file: &SourceFile, column: &str, as_month: bool) -> Option<BTreeSet<String>> {
    let metadata = file.metadata.as_ref()?;
    let schema = file.schema.as_ref()?;
    let converter =
        StatisticsConverter::try_new(column, schema, metadata.file_metadata().schema_descr())
            .ok()?;
    let groups = metadata.row_groups();
    let mins = converter.row_group_mins(groups.iter()).ok()?;
    let maxes = converter.row_group_maxes(groups.iter()).ok()?;
    let nulls = converter.row_group_null_counts(groups.iter()).ok()?;
    let (mins, maxes) = (as_text(&mins, as_month)?, as_text(&maxes, as_month)?);
    let mut out = BTreeSet::new();
    for (i, group) in groups.iter().enumerate() {
        let all_null = nulls.is_valid(i) && nulls.value(i) == group.num_rows() as u64;
        if all_null {
            continue;
        }
        match (&mins[i], &maxes[i]) {
            (Some(lo), Some(hi)) if lo == hi => {
                out.insert(lo.clone());
            }
            _ => return None,
        }
    }
    Some(out)
}

/// Values as text; timestamps as their `YYYY-MM` month when `as_month`.
fn as_text(array: &ArrayRef, as_month: bool) -> Option<Vec<Option<String>>> {
    let text = if as_month {
        let t = arrow::compute::cast(
            array,
            &DataType::Timestamp(arrow::datatypes::TimeUnit::Microsecond, None),
        )
        .ok()?;
        arrow::compute::cast(&t, &DataType::Utf8).ok()?
    } else {
        arrow::compute::cast(array, &DataType::Utf8).ok()?
    };
    let text = text.as_string::<i32>();
    Some(
        (0..text.len())
            .map(|i| {
                text.is_valid(i).then(|| {
                    let v = text.value(i);
                    if as_month {
                        v.chars().take(7).collect()
                    } else {
                        v.to_owned()
                    }
                })
            })
            .collect(),
    )
}

/// The column a canonical CUR column comes from in this file.
fn source_column<'a>(file: &'a SourceFile, canonical_name: &str) -> Option<&'a str> {
    let column = canonical::CUR_COLUMNS
        .iter()
        .find(|c| c.name == canonical_name)?;
    column
        .sources
        .iter()
        .find_map(|s| canonical::resolve(&file.columns, s, file.format))
}

/// The (payer, `YYYY-MM` billing period) pairs of a Parquet file, from its
/// statistics; `None` when they do not say.
pub fn periods(file: &SourceFile) -> Option<BTreeSet<(String, String)>> {
    let (payer, period) = match file.format {
        Format::FocusParquet => ("BillingAccountId", "BillingPeriodStart"),
        Format::Cur2Parquet | Format::LegacyParquet => (
            source_column(file, "payer_account_id")?,
            source_column(file, "billing_period_start")?,
        ),
        _ => return None,
    };
    let payers = constant_values(file, payer, false)?;
    let months = constant_values(file, period, true)?;
    // Several payers and several months in one file cannot be paired from
    // statistics alone.
    if payers.len() > 1 && months.len() > 1 {
        return None;
    }
    Some(
        payers
            .iter()
            .flat_map(|p| months.iter().map(move |m| (p.clone(), m.clone())))
            .collect(),
    )
}

/// The currencies of a Parquet file, from its statistics; `None` when they do
/// not say. A file without a currency column has none.
pub fn currencies(file: &SourceFile) -> Option<BTreeSet<String>> {
    let column = match file.format {
        Format::FocusParquet => "BillingCurrency",
        Format::Cur2Parquet | Format::LegacyParquet => match source_column(file, "currency") {
            Some(c) => c,
            None => return Some(BTreeSet::new()),
        },
        _ => return None,
    };
    if !file.columns.iter().any(|c| c == column) {
        return Some(BTreeSet::new());
    }
    constant_values(file, column, false)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{RecordBatch, StringArray, TimestampMicrosecondArray};
    use arrow::datatypes::{Field, Schema, TimeUnit};
    use parquet::arrow::ArrowWriter;
    use parquet::file::properties::{EnabledStatistics, WriterProperties};

    use super::*;
    use crate::source;

    fn file(path: &str) -> SourceFile {
        source::discover(&[path.to_owned()], None)
            .unwrap()
            .remove(0)
    }

    #[test]
    fn workshop_footers_give_the_same_periods_and_currency_as_duckdb() {
        for month in ["10", "11", "12"] {
            let path =
                orgpool_testkit::real_data(&format!("workshop-cur-2018-{month}.snappy.parquet"));
            let f = file(&path);
            let periods = periods(&f).expect("the workshop files carry statistics");
            let rows = orgpool_testkit::duckdb_scalar(&format!(
                "SELECT count(DISTINCT (bill_payer_account_id, strftime(bill_billing_period_start_date, '%Y-%m'))) FROM read_parquet('{path}')"
            ));
            assert_eq!(periods.len() as f64, rows, "{path}");
            assert!(
                periods.iter().all(|(_, m)| m == &format!("2018-{month}")),
                "{periods:?}"
            );
            let currency = currencies(&f).expect("statistics say the currency");
            let distinct = orgpool_testkit::duckdb_scalar(&format!(
                "SELECT count(DISTINCT line_item_currency_code) FROM read_parquet('{path}')"
            ));
            assert_eq!(currency.len() as f64, distinct, "{currency:?}");
        }
    }

    fn write(path: &std::path::Path, rows: &[(&str, i64, &str)], stats: EnabledStatistics) {
        let schema = Arc::new(Schema::new(vec![
            Field::new("bill_payer_account_id", DataType::Utf8, true),
            Field::new(
                "bill_billing_period_start_date",
                DataType::Timestamp(TimeUnit::Microsecond, None),
                true,
            ),
            Field::new("line_item_usage_account_id", DataType::Utf8, true),
            Field::new("line_item_currency_code", DataType::Utf8, true),
        ]));
        let batch = RecordBatch::try_new(
            schema.clone(),
            vec![
                Arc::new(StringArray::from_iter_values(rows.iter().map(|r| r.0))),
                Arc::new(TimestampMicrosecondArray::from_iter_values(
                    rows.iter().map(|r| r.1),
                )),
                Arc::new(StringArray::from_iter_values(rows.iter().map(|r| r.0))),
                Arc::new(StringArray::from_iter_values(rows.iter().map(|r| r.2))),
            ],
        )
        .unwrap();
        let props = WriterProperties::builder()
            .set_statistics_enabled(stats)
            .build();
        let mut w = ArrowWriter::try_new(std::fs::File::create(path).unwrap(), schema, Some(props))
            .unwrap();
        w.write(&batch).unwrap();
        w.close().unwrap();
    }

    #[test]
    fn mixed_row_groups_or_missing_statistics_say_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let oct = 1_538_352_000_000_000; // 2018-10-01
        let nov = 1_541_030_400_000_000; // 2018-11-01
        let one = dir.path().join("one.parquet");
        write(
            &one,
            &[("111", oct, "USD"), ("111", oct, "USD")],
            EnabledStatistics::Chunk,
        );
        let f = file(one.to_str().unwrap());
        assert_eq!(
            periods(&f),
            Some(BTreeSet::from([("111".to_owned(), "2018-10".to_owned())]))
        );
        assert_eq!(currencies(&f), Some(BTreeSet::from(["USD".to_owned()])));

        let mixed = dir.path().join("mixed.parquet");
        write(
            &mixed,
            &[("111", oct, "USD"), ("111", nov, "EUR")],
            EnabledStatistics::Chunk,
        );
        let f = file(mixed.to_str().unwrap());
        assert_eq!(periods(&f), None, "two months in one row group");
        assert_eq!(currencies(&f), None, "two currencies in one row group");

        let bare = dir.path().join("bare.parquet");
        write(&bare, &[("111", oct, "USD")], EnabledStatistics::None);
        let f = file(bare.to_str().unwrap());
        assert_eq!(periods(&f), None);
        assert_eq!(currencies(&f), None);
    }
}
