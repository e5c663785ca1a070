//! Reading billing data: every public file in `shared/data/real` loads, its
//! totals match DuckDB's over the same files, the workshop CUR's uncovered
//! Savings-Plans-eligible spend matches the figure in that folder's README, and
//! bad input is refused with the file, the column and the reason.

use std::path::{Path, PathBuf};

use arrow::array::AsArray;
use arrow::datatypes::{DataType, Float64Type, Int64Type};
use orgpool_cur::{BillingData, Format};

use orgpool_testkit::{duckdb_execute, duckdb_rows, duckdb_scalar, real_data as real};

fn scalar(data: &BillingData, sql: &str) -> f64 {
    let batches = data.query(sql).unwrap();
    let col = arrow::compute::cast(batches[0].column(0), &DataType::Float64).unwrap();
    col.as_primitive::<Float64Type>().value(0)
}

fn count(data: &BillingData, sql: &str) -> i64 {
    let batches = data.query(sql).unwrap();
    batches[0].column(0).as_primitive::<Int64Type>().value(0)
}

const README_ELIGIBLE: &str = "SELECT payer_account_id, usage_account_id, usage_hour, sum(unblended_cost) AS c FROM line_items \
    WHERE line_item_type = 'Usage' AND commitment_class IN ('ec2', 'lambda', 'fargate') \
    AND product_code <> 'AWSDataTransfer' GROUP BY 1, 2, 3";

#[test]
fn workshop_cur_eligible_spend_matches_the_readme_and_duckdb() {
    let glob = real("workshop-cur-2018-1*.snappy.parquet");
    let data = BillingData::open(std::slice::from_ref(&glob), None).unwrap();
    assert!(data.files.iter().all(|f| f.format == Format::LegacyParquet));
    let rows = count(&data, &format!("SELECT count(*) FROM ({README_ELIGIBLE})"));
    let total = scalar(&data, &format!("SELECT sum(c) FROM ({README_ELIGIBLE})"));
    let first_hour = scalar(
        &data,
        &format!(
            "SELECT sum(c) FROM ({README_ELIGIBLE}) WHERE usage_hour = TIMESTAMP '2018-10-01 00:00:00'"
        ),
    );
    let duck = duckdb_scalar(&format!(
        "SELECT sum(line_item_unblended_cost) FROM read_parquet('{glob}', union_by_name=true) \
         WHERE line_item_line_item_type = 'Usage' AND ((line_item_product_code = 'AmazonEC2' AND line_item_operation LIKE 'RunInstances%') \
         OR (line_item_product_code = 'AWSLambda' AND (line_item_usage_type LIKE '%Lambda-GB-Second%' OR line_item_usage_type LIKE '%Provisioned%')) \
         OR line_item_usage_type LIKE '%Fargate%') AND line_item_usage_type NOT LIKE '%SpotUsage%' \
         AND line_item_usage_type NOT LIKE '%DataXfer%' AND line_item_product_code <> 'AWSDataTransfer'"
    ));
    assert_eq!(rows, 4416);
    assert!(
        (total - 1175.1736).abs() / 1175.1736 < 0.005,
        "orgpool {total}"
    );
    assert!(
        (total - duck).abs() / duck < 0.005,
        "orgpool {total} vs duckdb {duck}"
    );
    assert!(
        (first_hour - 0.558).abs() < 0.0005,
        "first hour {first_hour}"
    );
    // And the whole bill, line for line.
    let all = scalar(&data, "SELECT sum(unblended_cost) FROM line_items");
    let duck_all = duckdb_scalar(&format!(
        "SELECT sum(line_item_unblended_cost) FROM read_parquet('{glob}', union_by_name=true)"
    ));
    assert!((all - duck_all).abs() < 0.01, "{all} vs {duck_all}");
    assert_eq!(count(&data, "SELECT count(*) FROM line_items"), 334_911);
}

#[test]
fn legacy_csv_and_focus_samples_load_and_match_duckdb() {
    let legacy = real("legacy-cur-anonymized-2023-11.csv");
    let data = BillingData::open(std::slice::from_ref(&legacy), None).unwrap();
    assert_eq!(data.files[0].format, Format::LegacyCsv);
    let ours = scalar(&data, "SELECT sum(unblended_cost) FROM line_items");
    let duck = duckdb_scalar(&format!(
        "SELECT sum(\"lineItem/UnblendedCost\") FROM read_csv('{legacy}', header=true)"
    ));
    assert!((ours - duck).abs() < 0.005, "{ours} vs {duck}");
    assert_eq!(count(&data, "SELECT count(*) FROM line_items"), 1281);

    let focus = real("focus-1.0-sample.csv");
    let data = BillingData::open(std::slice::from_ref(&focus), None).unwrap();
    assert_eq!(data.files[0].format, Format::FocusCsv);
    let ours = scalar(&data, "SELECT sum(unblended_cost) FROM line_items");
    let duck = duckdb_scalar(&format!(
        "SELECT sum(BilledCost) FROM read_csv('{focus}', header=true, nullstr='NULL')"
    ));
    assert!((ours - duck).abs() < 0.005, "{ours} vs {duck}");
    let covered = count(
        &data,
        "SELECT count(*) FROM line_items WHERE line_item_type = 'SavingsPlanCoveredUsage'",
    );
    assert_eq!(covered, 4, "the README's four Savings Plan rows");
    let aws = count(
        &data,
        "SELECT count(*) FROM line_items WHERE provider = 'AWS'",
    );
    assert_eq!(aws, 942);
}

#[test]
fn gzip_csv_and_focus_parquet_read_like_their_plain_twins() {
    let dir = tempfile::tempdir().unwrap();
    // Legacy CUR as CSV.gz.
    let legacy = real("legacy-cur-anonymized-2023-11.csv");
    let gz = dir.path().join("legacy.csv.gz");
    let mut encoder = flate2::write::GzEncoder::new(
        std::fs::File::create(&gz).unwrap(),
        flate2::Compression::default(),
    );
    std::io::copy(&mut std::fs::File::open(&legacy).unwrap(), &mut encoder).unwrap();
    encoder.finish().unwrap();
    let plain = BillingData::open(std::slice::from_ref(&legacy), None).unwrap();
    let zipped = BillingData::open(&[gz.to_string_lossy().into_owned()], None).unwrap();
    assert_eq!(zipped.files[0].format, Format::LegacyCsv);
    let sum = "SELECT sum(unblended_cost) FROM line_items";
    assert!((scalar(&plain, sum) - scalar(&zipped, sum)).abs() < 1e-9);
    // FOCUS as Parquet, written by DuckDB from the CSV sample.
    let focus = real("focus-1.0-sample.csv");
    let parquet = dir.path().join("focus.parquet");
    duckdb_execute(&format!(
        "COPY (SELECT * FROM read_csv('{focus}', header=true, nullstr='NULL')) TO '{}' (FORMAT parquet)",
        parquet.display()
    ));
    let csv = BillingData::open(std::slice::from_ref(&focus), None).unwrap();
    let pq = BillingData::open(&[parquet.to_string_lossy().into_owned()], None).unwrap();
    assert_eq!(pq.files[0].format, Format::FocusParquet);
    assert!((scalar(&csv, sum) - scalar(&pq, sum)).abs() < 1e-6);
    let covered =
        "SELECT count(*) FROM line_items WHERE line_item_type = 'SavingsPlanCoveredUsage'";
    assert_eq!(count(&csv, covered), count(&pq, covered));
}

fn demo(dir: &Path) -> PathBuf {
    let config = orgpool_demo::DemoConfig {
        accounts: 12,
        months: 2,
        ..Default::default()
    };
    orgpool_demo::generate(&config, dir).unwrap();
    dir.join("cur")
}

#[test]
fn demo_cur2_export_reads_and_matches_duckdb_by_line_item_type() {
    let dir = tempfile::tempdir().unwrap();
    let cur = demo(dir.path());
    let data = BillingData::open(&[cur.to_string_lossy().into_owned()], None).unwrap();
    assert!(data.files.iter().all(|f| f.format == Format::Cur2Parquet));
    for kind in [
        "Usage",
        "SavingsPlanCoveredUsage",
        "SavingsPlanNegation",
        "SavingsPlanRecurringFee",
        "DiscountedUsage",
        "RIFee",
        "Tax",
    ] {
        let ours = scalar(
            &data,
            &format!("SELECT sum(unblended_cost) FROM line_items WHERE line_item_type = '{kind}'"),
        );
        let duck = duckdb_scalar(&format!(
            "SELECT sum(line_item_unblended_cost) FROM read_parquet('{}/**/*.parquet') WHERE line_item_line_item_type = '{kind}'",
            cur.display()
        ));
        assert!((ours - duck).abs() < 0.01, "{kind}: {ours} vs {duck}");
    }
    assert!(data.warnings.is_empty(), "{:?}", data.warnings);
}

fn open_err(inputs: &[&Path]) -> String {
    let inputs: Vec<String> = inputs
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    match BillingData::open(&inputs, None) {
        Ok(_) => panic!("{inputs:?} should be refused"),
        Err(e) => {
            assert!(e.is_bad_input(), "{e}");
            e.to_string()
        }
    }
}

#[test]
fn bad_input_is_refused_with_file_column_and_reason() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let legacy = std::fs::read_to_string(real("legacy-cur-anonymized-2023-11.csv")).unwrap();
    let mut lines: Vec<String> = legacy.lines().map(str::to_owned).collect();
    let header: Vec<&str> = lines[0].split(',').collect();
    let cost_col = header
        .iter()
        .position(|h| *h == "lineItem/UnblendedCost")
        .unwrap();

    // A CSV with a bad number.
    let mut bad = lines.clone();
    let mut fields: Vec<String> = parse_csv_line(&bad[5]);
    fields[cost_col] = "12,5x".to_owned();
    bad[5] = fields
        .iter()
        .map(|f| format!("\"{f}\""))
        .collect::<Vec<_>>()
        .join(",");
    let bad_path = d.join("bad-number.csv");
    std::fs::write(&bad_path, bad.join("\n")).unwrap();
    let e = open_err(&[&bad_path]);
    assert!(
        e.contains("bad-number.csv") && e.contains("lineItem/UnblendedCost") && e.contains("12,5x"),
        "{e}"
    );
    // Numbers that parse but are no amount: not a number, infinite, or
    // too large for a double.
    for (i, value) in ["NaN", "-inf", "Infinity", "1e999"].into_iter().enumerate() {
        let mut bad = lines.clone();
        let mut fields: Vec<String> = parse_csv_line(&bad[5]);
        fields[cost_col] = value.to_owned();
        bad[5] = fields
            .iter()
            .map(|f| format!("\"{f}\""))
            .collect::<Vec<_>>()
            .join(",");
        let path = d.join(format!("non-finite-{i}.csv"));
        std::fs::write(&path, bad.join("\n")).unwrap();
        let e = open_err(&[&path]);
        let said = format!("lineItem/UnblendedCost: \"{value}\" is not a finite number");
        assert!(
            e.contains(&format!("non-finite-{i}.csv")) && e.contains(&said),
            "{e}"
        );
    }

    // A missing column.
    let drop_col = header
        .iter()
        .position(|h| *h == "lineItem/UsageStartDate")
        .unwrap();
    let missing: Vec<String> = lines
        .iter()
        .map(|l| {
            let mut f = parse_csv_line(l);
            f.remove(drop_col);
            f.iter()
                .map(|x| format!("\"{x}\""))
                .collect::<Vec<_>>()
                .join(",")
        })
        .collect();
    let missing_path = d.join("missing.csv");
    std::fs::write(&missing_path, missing.join("\n")).unwrap();
    let e = open_err(&[&missing_path]);
    assert!(
        e.contains("missing.csv") && e.contains("line_item_usage_start_date"),
        "{e}"
    );

    // Mixed currencies.
    let currency_col = header
        .iter()
        .position(|h| *h == "lineItem/CurrencyCode")
        .unwrap();
    let euro: Vec<String> = lines
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let mut f = parse_csv_line(l);
            if i > 0 {
                f[currency_col] = "EUR".to_owned();
            }
            f.iter()
                .map(|x| format!("\"{x}\""))
                .collect::<Vec<_>>()
                .join(",")
        })
        .collect();
    let (usd_dir, eur_dir) = (d.join("usd"), d.join("eur"));
    std::fs::create_dir_all(&usd_dir).unwrap();
    std::fs::create_dir_all(&eur_dir).unwrap();
    std::fs::write(usd_dir.join("a.csv"), &legacy).unwrap();
    let mut euro_text = euro.join("\n");
    euro_text = euro_text.replace("2023-11-", "2023-12-");
    std::fs::write(eur_dir.join("b.csv"), euro_text).unwrap();
    let e = open_err(&[&usd_dir, &eur_dir]);
    assert!(e.contains("EUR") && e.contains("USD"), "{e}");

    // Empty, header-only, not-a-billing-file, corrupt and truncated Parquet.
    let empty = d.join("empty.csv");
    std::fs::write(&empty, "").unwrap();
    assert!(open_err(&[&empty]).contains("empty file"));
    let unknown = d.join("other.csv");
    std::fs::write(&unknown, "a,b\n1,2\n").unwrap();
    assert!(open_err(&[&unknown]).contains("not a CUR 2.0, legacy CUR or FOCUS file"));
    let text_parquet = d.join("text.parquet");
    std::fs::write(&text_parquet, "this is not parquet").unwrap();
    assert!(open_err(&[&text_parquet]).contains("text.parquet: not a readable Parquet file"));
    let original = std::fs::read(real("workshop-cur-2018-10.snappy.parquet")).unwrap();
    let truncated = d.join("truncated.parquet");
    std::fs::write(&truncated, &original[..original.len() / 2]).unwrap();
    assert!(open_err(&[&truncated]).contains("truncated.parquet"));
    // A CSV cut short in the middle of a line, plain and compressed.
    let cut = &legacy[..legacy.len() * 2 / 3];
    let cut = &cut[..cut.rfind(',').unwrap()];
    let truncated_csv = d.join("truncated.csv");
    std::fs::write(&truncated_csv, cut).unwrap();
    let e = open_err(&[&truncated_csv]);
    assert!(
        e.starts_with(&format!(
            "{}: not a well-formed CSV file: ",
            truncated_csv.display()
        )) && e.contains("incorrect number of fields")
            && !e.contains("query failed"),
        "{e}"
    );
    let gzipped = gzip(legacy.as_bytes());
    let truncated_gz = d.join("truncated.csv.gz");
    std::fs::write(&truncated_gz, &gzipped[..gzipped.len() / 2]).unwrap();
    let e = open_err(&[&truncated_gz]);
    let unreadable_gzip =
        "not a readable gzip file (cut short or damaged; fetch or export it again)";
    assert!(
        e.starts_with(&format!("{}: {unreadable_gzip}", truncated_gz.display())),
        "{e}"
    );
    // Whole, but its checksum does not match what it holds.
    let mut damaged = gzip(legacy.as_bytes());
    let crc = damaged.len() - 6;
    damaged[crc] ^= 0xff;
    let bad_checksum = d.join("checksum.csv.gz");
    std::fs::write(&bad_checksum, damaged).unwrap();
    let e = open_err(&[&bad_checksum]);
    assert!(
        e.starts_with(&format!("{}: {unreadable_gzip}", bad_checksum.display())),
        "{e}"
    );
    assert!(open_err(&[&d.join("nope")]).contains("no such file"));
    let nothing = d.join("nothing");
    std::fs::create_dir_all(&nothing).unwrap();
    assert!(open_err(&[&nothing]).contains("no billing files"));
    lines.truncate(1);
    let header_only = d.join("header-only.csv");
    std::fs::write(&header_only, lines.join("\n")).unwrap();
    let data = BillingData::open(&[header_only.to_string_lossy().into_owned()], None).unwrap();
    assert_eq!(count(&data, "SELECT count(*) FROM line_items"), 0);
}

#[test]
fn a_billing_period_delivered_twice_is_read_once_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let cur = demo(dir.path());
    let once = BillingData::open(&[cur.to_string_lossy().into_owned()], None).unwrap();
    let total = scalar(&once, "SELECT sum(unblended_cost) FROM line_items");
    // AWS rewrites a period: the same month lands again in another folder.
    let period = cur.join("orgpool-demo/data/BILLING_PERIOD=2026-07");
    let again = dir.path().join("redelivered/BILLING_PERIOD=2026-07");
    std::fs::create_dir_all(&again).unwrap();
    for entry in std::fs::read_dir(&period).unwrap() {
        let p = entry.unwrap().path();
        std::fs::copy(&p, again.join(p.file_name().unwrap())).unwrap();
    }
    let twice = BillingData::open(
        &[
            cur.to_string_lossy().into_owned(),
            dir.path()
                .join("redelivered")
                .to_string_lossy()
                .into_owned(),
        ],
        None,
    )
    .unwrap();
    assert!((scalar(&twice, "SELECT sum(unblended_cost) FROM line_items") - total).abs() < 1e-6);
    assert_eq!(twice.warnings.len(), 1, "{:?}", twice.warnings);
    assert!(twice.warnings[0].contains("2026-07") && twice.warnings[0].contains("delivered twice"));
}

fn parse_csv_line(line: &str) -> Vec<String> {
    let mut r = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(line.as_bytes());
    r.records()
        .next()
        .unwrap()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect()
}

/// DuckDB's usage spend over the last `days` days of some usage lines, given
/// as a query with columns (account, t, cost): the total and the largest
/// account's, the window ending at the end of the last hour of usage.
fn duck_usage(usage: &str, days: u32) -> (f64, f64) {
    let windowed = format!(
        "WITH u AS ({usage}), b AS (SELECT max(date_trunc('hour', t)) + INTERVAL 1 HOUR AS e FROM u) \
         SELECT account, sum(cost) AS c FROM u, b \
         WHERE date_trunc('hour', t) >= e - INTERVAL {days} DAY AND date_trunc('hour', t) < e GROUP BY 1"
    );
    (
        duckdb_scalar(&format!("SELECT sum(c) FROM ({windowed})")),
        duckdb_scalar(&format!("SELECT max(c) FROM ({windowed})")),
    )
}

fn ours_usage(input: &str, days: u32) -> (f64, f64, usize) {
    let data = BillingData::open(&[input.to_owned()], None).unwrap();
    let u = data.account_usage(days).unwrap().expect("usage lines");
    assert_eq!(u.end - u.start, chrono::Duration::days(i64::from(days)));
    let total = u.cost_by_account.values().sum();
    let max = u.cost_by_account.values().copied().fold(f64::MIN, f64::max);
    (total, max, u.cost_by_account.len())
}

#[test]
fn account_usage_spend_matches_duckdb_on_every_real_file_and_the_demo() {
    let close = |what: &str, ours: f64, duck: f64| {
        assert!(
            (ours - duck).abs() <= 0.01,
            "{what}: ours {ours} vs DuckDB {duck}"
        );
    };
    // Legacy CUR Parquet: RI-covered lines at their effective cost; RI fees excluded.
    let workshop = real("workshop-cur-2018-1*.snappy.parquet");
    for days in [30, 7] {
        let (total, max, accounts) = ours_usage(&workshop, days);
        let (d_total, d_max) = duck_usage(
            &format!(
                "SELECT line_item_usage_account_id AS account, line_item_usage_start_date AS t, \
               CASE WHEN line_item_line_item_type = 'DiscountedUsage' THEN COALESCE(reservation_effective_cost, line_item_unblended_cost) \
                    ELSE line_item_unblended_cost END AS cost \
             FROM read_parquet('{workshop}') WHERE line_item_line_item_type IN ('Usage', 'DiscountedUsage')"
            ),
            days,
        );
        close("workshop total", total, d_total);
        close("workshop largest account", max, d_max);
        assert!(accounts >= 1 && total > 0.0);
    }
    // Legacy CUR CSV: tax excluded.
    let legacy = real("legacy-cur-anonymized-2023-11.csv");
    let (total, max, _) = ours_usage(&legacy, 30);
    let (d_total, d_max) = duck_usage(
        &format!(
            "SELECT \"lineItem/UsageAccountId\"::VARCHAR AS account, \"lineItem/UsageStartDate\"::TIMESTAMP AS t, \"lineItem/UnblendedCost\" AS cost \
         FROM read_csv('{legacy}', header=true) WHERE \"lineItem/LineItemType\" = 'Usage'"
        ),
        30,
    );
    close("legacy CSV total", total, d_total);
    close("legacy CSV largest account", max, d_max);
    // FOCUS: usage charges; Savings-Plan-covered at their effective cost; credits and adjustments excluded.
    let focus = real("focus-1.0-sample.csv");
    let (total, max, _) = ours_usage(&focus, 30);
    let (d_total, d_max) = duck_usage(
        &format!(
            "SELECT COALESCE(SubAccountId, BillingAccountId)::VARCHAR AS account, ChargePeriodStart::TIMESTAMP AS t, \
           CASE WHEN CommitmentDiscountType IN ('Savings Plan', 'Reservation') THEN EffectiveCost ELSE BilledCost END AS cost \
         FROM read_csv('{focus}', header=true, nullstr='NULL') \
         WHERE ChargeCategory = 'Usage' AND COALESCE(CommitmentDiscountStatus, '') <> 'Unused'"
        ),
        30,
    );
    close("FOCUS total", total, d_total);
    close("FOCUS largest account", max, d_max);
    // CUR 2.0 from the demo generator: SP-covered at effective cost; negations, fees and tax excluded.
    let dir = tempfile::tempdir().unwrap();
    let cur = demo(dir.path());
    let (total, max, accounts) = ours_usage(&cur.to_string_lossy(), 30);
    let (d_total, d_max) = duck_usage(
        &format!(
            "SELECT line_item_usage_account_id AS account, line_item_usage_start_date AS t, \
           CASE line_item_line_item_type WHEN 'SavingsPlanCoveredUsage' THEN savings_plan_savings_plan_effective_cost \
                WHEN 'DiscountedUsage' THEN reservation_effective_cost ELSE line_item_unblended_cost END AS cost \
         FROM read_parquet('{}/**/*.parquet') \
         WHERE line_item_line_item_type IN ('Usage', 'SavingsPlanCoveredUsage', 'DiscountedUsage')",
            cur.display()
        ),
        30,
    );
    close("demo total", total, d_total);
    close("demo largest account", max, d_max);
    assert!(accounts > 1);
}

#[test]
fn charge_rows_keep_free_tier_usage_apart_with_its_public_cost() {
    let glob = real("workshop-cur-2018-1*.snappy.parquet");
    let data = BillingData::open(std::slice::from_ref(&glob), None).unwrap();
    let rows = data.charge_rows().unwrap();
    let free: Vec<_> = rows.iter().filter(|r| r.free_tier).collect();
    let free_public: f64 = free.iter().map(|r| r.public_cost).sum();
    let free_list: f64 = free.iter().map(|r| r.paid_tier_cost).sum();
    let free_billed: f64 = free.iter().map(|r| r.actual_cost).sum();
    let duck_free = duckdb_scalar(&format!(
        "SELECT sum(pricing_public_on_demand_cost) FROM read_parquet('{glob}', union_by_name=true) \
         WHERE line_item_line_item_type = 'Usage' AND line_item_unblended_cost = 0 \
         AND pricing_public_on_demand_cost > 0"
    ));
    assert!(
        duck_free > 1.0,
        "the workshop has free-tier usage: {duck_free}"
    );
    assert!(
        (free_list - duck_free).abs() < 0.01,
        "{free_list} vs {duck_free}"
    );
    assert_eq!(free_public, 0.0);
    assert_eq!(free_billed, 0.0);
    // Paid rows cost the same with or without the free tier, and the whole
    // bill is kept: free rows and paid rows add up to DuckDB's usage cost.
    assert!(
        rows.iter()
            .filter(|r| !r.free_tier)
            .all(|r| r.paid_tier_cost == r.public_cost)
    );
    let usage_public: f64 = rows.iter().map(|r| r.public_cost).sum();
    let duck_public = duckdb_scalar(&format!(
        "SELECT sum(CASE WHEN line_item_line_item_type = 'DiscountedUsage' \
           THEN pricing_public_on_demand_cost ELSE line_item_unblended_cost END) \
         FROM read_parquet('{glob}', union_by_name=true)"
    ));
    assert!(
        (usage_public - duck_public).abs() < 0.01,
        "{usage_public} vs {duck_public}"
    );
}

#[test]
fn numbers_and_times_a_parquet_cur_writes_as_text_read_with_empty_as_null() {
    // The workshop writes RI units and terms as text, empty on every line
    // but the RI's fee: whole-column sums and ranges still read.
    let glob = real("workshop-cur-2018-1*.snappy.parquet");
    let data = BillingData::open(std::slice::from_ref(&glob), None).unwrap();
    let units = scalar(
        &data,
        "SELECT sum(ri_total_normalized_units) FROM line_items",
    );
    let duck_units = duckdb_scalar(&format!(
        "SELECT sum(CAST(NULLIF(reservation_total_reserved_normalized_units, '') AS DOUBLE)) \
         FROM read_parquet('{glob}', union_by_name=true)"
    ));
    assert!(duck_units > 1000.0, "{duck_units}");
    assert!((units - duck_units).abs() < 1e-6, "{units} vs {duck_units}");
    let starts = count(&data, "SELECT count(ri_start) FROM line_items");
    let duck_starts = duckdb_scalar(&format!(
        "SELECT count(NULLIF(reservation_start_time, '')) FROM read_parquet('{glob}', union_by_name=true)"
    ));
    assert_eq!(starts as f64, duck_starts);
}

#[test]
fn a_bad_number_a_parquet_cur_stores_as_text_is_refused_with_file_column_and_value() {
    // The workshop stores RI units as text; a file where one is no number.
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad-units.snappy.parquet");
    let source = real("workshop-cur-2018-10.snappy.parquet");
    let column = "reservation_total_reserved_normalized_units";
    duckdb_execute(&format!(
        "COPY (SELECT * REPLACE (CASE WHEN {column} <> '' THEN 'lots' ELSE {column} END AS {column}) \
         FROM read_parquet('{source}')) TO '{}' (FORMAT parquet)",
        bad.display()
    ));
    // It is found when a question reads the column (reading good files
    // costs nothing), and the error names the file, the column and the value.
    let data = BillingData::open(&[bad.to_string_lossy().into_owned()], None).unwrap();
    let e = data
        .query("SELECT sum(ri_total_normalized_units) FROM line_items")
        .expect_err("a text number that does not parse must be refused");
    assert!(e.is_bad_input(), "{e}");
    let message = e.to_string();
    assert!(
        message.contains("bad-units.snappy.parquet")
            && message.contains(column)
            && message.contains("\"lots\""),
        "{message}"
    );
    // The same file with its values intact reads.
    let good = BillingData::open(&[source], None).unwrap();
    assert!(
        good.query("SELECT sum(ri_total_normalized_units) FROM line_items")
            .is_ok()
    );
}

#[test]
fn parquet_pages_that_do_not_decode_are_refused_naming_the_file() {
    // Two workshop months; in the second, the first page of a column every
    // question reads is damaged behind a footer that reads well.
    let dir = tempfile::tempdir().unwrap();
    let good = "workshop-cur-2018-10.snappy.parquet";
    let damaged = "workshop-cur-2018-11.snappy.parquet";
    std::fs::copy(real(good), dir.path().join(good)).unwrap();
    orgpool_testkit::corrupt_first_page(
        &real(damaged),
        "line_item_unblended_cost",
        &dir.path().join(damaged),
    );
    // Opening reads footers only: both files open.
    let data = BillingData::open(&[dir.path().to_string_lossy().into_owned()], None).unwrap();
    let e = data
        .query("SELECT sum(unblended_cost) FROM line_items")
        .expect_err("pages that do not decode must be refused");
    assert!(e.is_bad_input(), "{e}");
    let message = e.to_string();
    let named = format!("{damaged}: not a readable Parquet file (corrupt data in its pages");
    assert!(message.contains(&named), "{message}");
    assert!(!message.contains(good), "{message}");
    // The good month alone reads, and its total is DuckDB's.
    std::fs::remove_file(dir.path().join(damaged)).unwrap();
    let data = BillingData::open(&[dir.path().to_string_lossy().into_owned()], None).unwrap();
    let ours = scalar(&data, "SELECT sum(unblended_cost) FROM line_items");
    let duck = duckdb_scalar(&format!(
        "SELECT sum(line_item_unblended_cost) FROM read_parquet('{}')",
        real(good)
    ));
    assert!((ours - duck).abs() < 1e-6, "{ours} against DuckDB's {duck}");
}

/// Idle EC2 Instance Savings Plans are split by the family and region their
/// fee lines name, adding up to the plans' idle total; an export without
/// those two columns still reports the total, with no part it could lend.
#[test]
fn idle_ec2_instance_savings_plans_split_by_the_family_and_region_the_data_name() {
    let dir = tempfile::tempdir().unwrap();
    let cur = demo(dir.path());
    let data = BillingData::open(&[cur.to_string_lossy().into_owned()], None).unwrap();
    // The whole export: from its first eligible hour to past its last.
    let (first, last) = data.eligible_range().unwrap().unwrap();
    let window = orgpool_model::Window::new(first, last + chrono::Duration::hours(1));
    let idle = data.idle_commitment(&window).unwrap();
    let total: f64 = idle.ec2_instance_sp.iter().sum();
    assert!(total > 0.0, "the demo's EC2 Instance SP has idle hours");
    let scoped: Vec<(&str, &str, f64)> = idle
        .ec2_instance_sp_scoped
        .iter()
        .map(|sp| (&*sp.family, &*sp.region, sp.hourly.iter().sum()))
        .collect();
    let expected = duckdb_scalar(&format!(
        "SELECT sum(savings_plan_total_commitment_to_date - savings_plan_used_commitment) \
         FROM read_parquet('{}/**/*.parquet') \
         WHERE line_item_line_item_type = 'SavingsPlanRecurringFee' \
           AND savings_plan_offering_type = 'EC2InstanceSavingsPlans' \
           AND savings_plan_instance_type_family = 'm5' AND savings_plan_region = 'us-east-1' \
           AND savings_plan_total_commitment_to_date - savings_plan_used_commitment > 1e-9",
        cur.display()
    ));
    assert_eq!(scoped.len(), 1, "{scoped:?}");
    assert_eq!((scoped[0].0, scoped[0].1), ("m5", "us-east-1"));
    assert!(
        (scoped[0].2 - expected).abs() < 1e-6,
        "{scoped:?} against {expected}"
    );
    assert!(
        (total - expected).abs() < 1e-6,
        "{total} against {expected}"
    );

    // The same export without the two columns.
    let bare = dir.path().join("bare.parquet");
    duckdb_execute(&format!(
        "COPY (SELECT * EXCLUDE (savings_plan_instance_type_family, savings_plan_region) \
               FROM read_parquet('{}/**/*.parquet')) TO '{}' (FORMAT parquet)",
        cur.display(),
        bare.display()
    ));
    let bare = BillingData::open(&[bare.to_string_lossy().into_owned()], None).unwrap();
    let idle = bare.idle_commitment(&window).unwrap();
    assert!((idle.ec2_instance_sp.iter().sum::<f64>() - total).abs() < 1e-6);
    assert!(idle.ec2_instance_sp_scoped.is_empty(), "{idle:?}");
}

/// A held EC2 Instance Savings Plan takes its family and region from the
/// usage it covered; one that covered nothing (its covered lines removed
/// here), from what its fee lines name.
#[test]
fn an_ec2_instance_savings_plan_that_covered_nothing_is_placed_by_its_fee_lines() {
    let dir = tempfile::tempdir().unwrap();
    let cur = demo(dir.path());
    let instance_sp = |data: &BillingData| {
        data.held_commitments()
            .unwrap()
            .into_iter()
            .find_map(|c| match c.kind {
                orgpool_model::HeldKind::Ec2InstanceSp { family, region } => Some((family, region)),
                _ => None,
            })
            .expect("the demo holds an EC2 Instance SP")
    };
    let data = BillingData::open(&[cur.to_string_lossy().into_owned()], None).unwrap();
    let placed = ("m5".to_owned(), "us-east-1".to_owned());
    assert_eq!(instance_sp(&data), placed);
    let covered_by_instance_sps = |path: &str| {
        duckdb_scalar(&format!(
            "SELECT count(*) FROM read_parquet('{path}') \
             WHERE line_item_line_item_type = 'SavingsPlanCoveredUsage' \
               AND savings_plan_offering_type = 'EC2InstanceSavingsPlans'"
        ))
    };
    assert!(covered_by_instance_sps(&format!("{}/**/*.parquet", cur.display())) > 0.0);
    let unused = dir.path().join("unused.parquet");
    duckdb_execute(&format!(
        "COPY (SELECT * FROM read_parquet('{}/**/*.parquet') \
               WHERE NOT (line_item_line_item_type IN ('SavingsPlanCoveredUsage', 'SavingsPlanNegation') \
                          AND savings_plan_offering_type = 'EC2InstanceSavingsPlans')) \
         TO '{}' (FORMAT parquet)",
        cur.display(),
        unused.display()
    ));
    assert_eq!(covered_by_instance_sps(&unused.to_string_lossy()), 0.0);
    let unused = BillingData::open(&[unused.to_string_lossy().into_owned()], None).unwrap();
    assert_eq!(instance_sp(&unused), placed);
}

/// An RI's unused recurring fee comes once a month (its `RIFee` line, from
/// the month's start, or from its purchase when bought in the month, to the
/// month's end): the idle RI commitment of a window is that fee spread
/// evenly over the line's hours, so half of a month gets half of its fee.
/// Against DuckDB over the public workshop months, where one RI was bought
/// on 9 October, the span taken from each line's own end date.
#[test]
fn ri_fees_count_by_the_share_of_their_hours_the_window_holds() {
    let months = workshop_months();
    let files = sql_list(&months);
    let data = BillingData::open(&months, None).unwrap();
    let at = |t: &str| chrono::DateTime::parse_from_rfc3339(t).unwrap().to_utc();
    // Of the RI fee lines, `what` times each line's share of the window.
    let duckdb_share_of = |what: &str, start: &str, end: &str| {
        duckdb_scalar(&format!(
            "WITH fees AS ( \
               SELECT {what} AS unused, \
                      epoch(date_trunc('hour', line_item_usage_start_date)) AS s, \
                      epoch(date_trunc('hour', line_item_usage_end_date + INTERVAL 1 SECOND)) AS e \
               FROM read_parquet([{files}]) WHERE line_item_line_item_type = 'RIFee') \
             SELECT sum(unused * greatest(0, least(e, epoch(TIMESTAMP '{end}')) \
                                             - greatest(s, epoch(TIMESTAMP '{start}'))) / (e - s)) \
             FROM fees"
        ))
    };
    let idle_over = |start: &str, end: &str| {
        let window = orgpool_model::Window::new(at(start), at(end));
        let idle = data.idle_commitment(&window).unwrap();
        assert_eq!(idle.reserved_instances.len(), window.hours as usize);
        idle.reserved_instances.iter().sum::<f64>()
    };
    for (start, end) in [
        // The second half of October.
        ("2018-10-16T00:00:00Z", "2018-11-01T00:00:00Z"),
        // A window that starts after every fee line of its month.
        ("2018-10-31T00:00:00Z", "2018-11-01T00:00:00Z"),
        // One that ends before the RI bought on 9 October.
        ("2018-10-02T00:00:00Z", "2018-10-05T00:00:00Z"),
        // Across a month's end.
        ("2018-11-20T00:00:00Z", "2018-12-10T00:00:00Z"),
        // The three months whole: every fee, once.
        ("2018-10-01T00:00:00Z", "2019-01-01T00:00:00Z"),
    ] {
        let ours = idle_over(start, end);
        let (s, e) = (start.replace(['T', 'Z'], " "), end.replace(['T', 'Z'], " "));
        let duck = duckdb_share_of("reservation_unused_recurring_fee", &s, &e);
        assert!(duck > 0.0, "{start}: the workshop has idle RIs");
        assert!(
            (ours - duck).abs() <= 1e-9 * duck,
            "{start} to {end}: {ours} against duckdb {duck}"
        );
        // The posture's commitment cost takes the same share of each RI's
        // fee (the workshop months hold no Savings Plan).
        let window = orgpool_model::Window::new(at(start), at(end));
        let posture = data
            .posture(&window, orgpool_cur::queries::Dimension::Total)
            .unwrap();
        let cost = posture.first().map_or(0.0, |p| p.commitment_cost);
        let duck = duckdb_share_of("line_item_unblended_cost", &s, &e);
        assert!(
            (cost - duck).abs() <= 1e-9 * duck,
            "{start} to {end}: commitment cost {cost} against duckdb {duck}"
        );
    }
}

/// `files` as a DuckDB list's items: `'a', 'b'`.
fn sql_list(files: &[String]) -> String {
    files
        .iter()
        .map(|f| format!("'{f}'"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The three public workshop months' files.
fn workshop_months() -> Vec<String> {
    ["10", "11", "12"]
        .iter()
        .map(|m| real(&format!("workshop-cur-2018-{m}.snappy.parquet")))
        .collect()
}

/// In the posture's family-and-region slice, each RI's fee (its commitment
/// cost, and what of it was used) counts in the family and region its fee
/// line names: `HeavyUsage:c4.large` in `us-east-1` is c4 in us-east-1.
/// Against DuckDB over the workshop months, which hold RIs of four families
/// and no Savings Plan, the family read straight from the usage type.
#[test]
fn ri_fees_count_in_the_family_and_region_their_lines_name() {
    use orgpool_cur::queries::Dimension;
    let months = workshop_months();
    let files = sql_list(&months);
    let duck: std::collections::BTreeMap<String, (f64, f64)> = duckdb_rows(&format!(
        "SELECT split_part(split_part(line_item_usage_type, ':', 2), '.', 1) || ' ' || product_region, \
                sum(line_item_unblended_cost), \
                sum(line_item_unblended_cost - reservation_unused_recurring_fee) \
         FROM read_parquet([{files}], union_by_name = true) \
         WHERE line_item_line_item_type = 'RIFee' GROUP BY 1"
    ))
    .into_iter()
    .map(|r| {
        let number = |i: usize| r[i].as_deref().unwrap().parse::<f64>().unwrap();
        (r[0].clone().unwrap(), (number(1), number(2)))
    })
    .collect();
    assert!(duck.len() >= 3, "RIs of several families: {duck:?}");
    let data = BillingData::open(&months, None).unwrap();
    let at = |t: &str| chrono::DateTime::parse_from_rfc3339(t).unwrap().to_utc();
    // The three months whole: every fee, once.
    let window = orgpool_model::Window::new(at("2018-10-01T00:00:00Z"), at("2019-01-01T00:00:00Z"));
    let slice = data.posture(&window, Dimension::FamilyRegion).unwrap();
    assert_fees_per_key(&slice, &duck, 1e-9);
    // The slice's fees are the whole bill's (no Savings Plan here).
    let total: f64 = slice.iter().map(|p| p.commitment_cost).sum();
    let whole = data.posture(&window, Dimension::Total).unwrap()[0].commitment_cost;
    assert!(
        (total - whole).abs() <= 1e-9 * whole,
        "{total} against {whole}"
    );
}

/// Each key of `expected` costs in `slice` its (fee, used fee), to a
/// relative `tolerance`, and no other key costs any commitment.
fn assert_fees_per_key(
    slice: &[orgpool_model::Posture],
    expected: &std::collections::BTreeMap<String, (f64, f64)>,
    tolerance: f64,
) {
    let close = |a: f64, b: f64| (a - b).abs() <= tolerance * b.abs().max(1.0);
    for (key, (cost, used)) in expected {
        let p = slice
            .iter()
            .find(|p| &p.key == key)
            .unwrap_or_else(|| panic!("no {key} in the slice"));
        assert!(
            close(p.commitment_cost, *cost),
            "{key}: {} against {cost}",
            p.commitment_cost
        );
        assert!(
            close(p.used_commitment, *used),
            "{key}: used {} against {used}",
            p.used_commitment
        );
    }
    for p in slice.iter().filter(|p| !expected.contains_key(&p.key)) {
        assert_eq!(p.commitment_cost, 0.0, "{}", p.key);
    }
}

/// In the family-and-region slice, an EC2 Instance Savings Plan's fee counts
/// in the family and region the plan names (`savings_plan_instance_type_family`,
/// `savings_plan_region`), beside the RIs' fees in theirs; a Compute Savings
/// Plan's counts in none, as it spans every family. Against DuckDB over the
/// demo export's whole months, which hold both kinds of plan and two RIs.
#[test]
fn ec2_instance_savings_plan_fees_count_in_the_family_and_region_the_plan_names() {
    use orgpool_cur::queries::Dimension;
    let dir = tempfile::tempdir().unwrap();
    let cur = demo(dir.path());
    let files = format!("'{}/**/*.parquet'", cur.display());
    // Per (family, region): fee and used fee, each read straight from the
    // lines. An RI's family is in its usage type, `HeavyUsage:db.r5.large`.
    let by_scope = |filter: &str| -> std::collections::BTreeMap<String, (f64, f64)> {
        duckdb_rows(&format!(
            "SELECT key, sum(cost), sum(used) FROM ( \
               SELECT CASE WHEN line_item_line_item_type = 'RIFee' \
                        THEN regexp_extract(line_item_usage_type, ':(db\\.|ml\\.)?([a-z0-9-]+)\\.', 2) \
                             || ' ' || product_region_code \
                        ELSE savings_plan_instance_type_family || ' ' || savings_plan_region END AS key, \
                      line_item_unblended_cost AS cost, \
                      CASE WHEN line_item_line_item_type = 'RIFee' \
                        THEN line_item_unblended_cost - reservation_unused_recurring_fee \
                        ELSE savings_plan_used_commitment END AS used \
               FROM read_parquet({files}) WHERE {filter}) GROUP BY 1"
        ))
        .into_iter()
        .map(|r| {
            let number = |i: usize| r[i].as_deref().unwrap().parse::<f64>().unwrap();
            (r[0].clone().unwrap(), (number(1), number(2)))
        })
        .collect()
    };
    let instance_sps = by_scope(
        "line_item_line_item_type = 'SavingsPlanRecurringFee' \
         AND savings_plan_offering_type = 'EC2InstanceSavingsPlans'",
    );
    assert!(
        !instance_sps.is_empty(),
        "the demo holds an EC2 Instance SP"
    );
    let mut expected = by_scope("line_item_line_item_type = 'RIFee'");
    for (key, (cost, used)) in &instance_sps {
        let e = expected.entry(key.clone()).or_default();
        e.0 += cost;
        e.1 += used;
    }
    let compute_sp_fees = duckdb_scalar(&format!(
        "SELECT sum(line_item_unblended_cost) FROM read_parquet({files}) \
         WHERE line_item_line_item_type = 'SavingsPlanRecurringFee' \
           AND savings_plan_offering_type <> 'EC2InstanceSavingsPlans'"
    ));
    assert!(compute_sp_fees > 0.0, "the demo holds a Compute SP");

    let data = BillingData::open(&[cur.to_string_lossy().into_owned()], None).unwrap();
    // Whole months, so every RI fee counts whole.
    let (first, last) = data.eligible_range().unwrap().unwrap();
    let month_start = |t: chrono::DateTime<chrono::Utc>| {
        use chrono::Datelike;
        chrono::NaiveDate::from_ymd_opt(t.year(), t.month(), 1)
            .unwrap()
            .and_hms_opt(0, 0, 0)
            .unwrap()
            .and_utc()
    };
    let end = month_start(last + chrono::Duration::days(31));
    let window = orgpool_model::Window::new(month_start(first), end);
    let slice = data.posture(&window, Dimension::FamilyRegion).unwrap();
    assert_fees_per_key(&slice, &expected, 1e-6);
    let close = |a: f64, b: f64| (a - b).abs() <= 1e-6 * b.abs().max(1.0);
    // The slice holds every fee but the Compute SP's.
    let total: f64 = slice.iter().map(|p| p.commitment_cost).sum();
    let whole = data.posture(&window, Dimension::Total).unwrap()[0].commitment_cost;
    assert!(
        close(total + compute_sp_fees, whole),
        "{total} + {compute_sp_fees} against {whole}"
    );
}

/// The demo's reserved DB instance (MySQL, db.r5.large) is size-flexible:
/// the pro forma gets it keyed by its family, region and engine, with its
/// reserved hours in normalized units (4 per large instance-hour) as its
/// RIFee lines give them, per hour held. DuckDB reads the same lines.
#[test]
fn a_mysql_reserved_db_instance_is_held_in_normalized_units_of_its_family() {
    let dir = tempfile::tempdir().unwrap();
    let cur = demo(dir.path());
    let data = BillingData::open(&[cur.to_string_lossy().into_owned()], None).unwrap();
    let held = data.held_commitments().unwrap();
    let rds: Vec<_> = held.iter().filter(|c| c.service == "AmazonRDS").collect();
    // One row per billing period of the two months.
    assert_eq!(rds.len(), 2, "{held:?}");
    let key = orgpool_model::flex_reservation_key("r5", "us-east-1", "CreateDBInstance:0002");
    for ri in &rds {
        assert_eq!(
            ri.kind,
            orgpool_model::HeldKind::Reservation { key: key.clone() }
        );
    }
    // Per hour held: its instances times the normalized units of each
    // reserved instance-hour.
    let (instances, units_per_instance_hour) = {
        let rows = duckdb_rows(&format!(
            "SELECT max(CAST(reservation_number_of_reservations AS DOUBLE)), \
                    sum(CAST(reservation_total_reserved_normalized_units AS DOUBLE)) \
                    / sum(line_item_usage_amount) \
             FROM read_parquet('{}/**/*.parquet') WHERE line_item_line_item_type = 'RIFee' \
               AND line_item_product_code = 'AmazonRDS'",
            cur.display()
        ));
        let number = |i: usize| rows[0][i].as_deref().unwrap().parse::<f64>().unwrap();
        (number(0), number(1))
    };
    assert_eq!(units_per_instance_hour, 4.0, "a large is 4 units");
    for ri in &rds {
        assert!(
            (ri.per_hour - instances * units_per_instance_hour).abs() < 1e-9,
            "{} units an hour against {instances} × {units_per_instance_hour}",
            ri.per_hour
        );
    }
}

/// The eligible usage of each (family, region) of `data` over all its
/// hours: its on-demand-equivalent cost, covered and uncovered.
fn eligible_by_family_region(
    data: &BillingData,
) -> std::collections::BTreeMap<String, (f64, f64, f64)> {
    use orgpool_cur::queries::Dimension;
    let (first, last) = data.eligible_range().unwrap().unwrap();
    let window = orgpool_model::Window::new(first, last + chrono::Duration::hours(1));
    data.posture(&window, Dimension::FamilyRegion)
        .unwrap()
        .into_iter()
        .filter(|p| p.on_demand_equivalent_cost.abs() > 1e-12)
        .map(|p| {
            let sums = (
                p.on_demand_equivalent_cost,
                p.covered_on_demand_equivalent_cost,
                p.uncovered_on_demand_cost,
            );
            (p.key, sums)
        })
        .collect()
}

/// A FOCUS file without AWS's own columns (the FinOps Foundation's sample)
/// names an EC2 instance hour's type only in its description (`$0.0464 per
/// On Demand Linux t2.medium Instance Hour`): those lines are eligible, in
/// that type's family; an EC2 line of hours that names none (a NAT
/// gateway's) is not, nor are volumes; Fargate and Lambda compute are.
/// DuckDB reads the same file, taking the type as the word before
/// `Instance Hour`.
#[test]
fn a_focus_file_without_aws_columns_is_eligible_by_the_instance_hours_it_describes() {
    let focus = real("focus-1.0-sample.csv");
    let data = BillingData::open(std::slice::from_ref(&focus), None).unwrap();
    let ours = eligible_by_family_region(&data);
    let expected: std::collections::BTreeMap<String, f64> = duckdb_rows(&format!(
        "WITH l AS ( \
           SELECT *, string_split(ChargeDescription, ' ') AS words, \
                  CASE WHEN CommitmentDiscountType IS NULL THEN BilledCost ELSE ListCost END AS od \
           FROM read_csv('{focus}', header=true, nullstr='NULL') \
           WHERE ProviderName = 'AWS' AND ChargeCategory = 'Usage' \
             AND COALESCE(CommitmentDiscountStatus, '') <> 'Unused'), \
         k AS ( \
           SELECT od, RegionId, CASE \
             WHEN ServiceName = 'Amazon Elastic Compute Cloud' AND ConsumedUnit IN ('Hours', 'Hrs') \
                  AND PricingCategory <> 'Dynamic' AND len(words) >= 3 \
                  AND words[len(words) - 1] = 'Instance' AND words[len(words)] = 'Hour' \
                  AND contains(words[len(words) - 2], '.') \
               THEN split_part(words[len(words) - 2], '.', 1) \
             WHEN ServiceName = 'Amazon Elastic Container Service' AND ChargeDescription LIKE 'AWS Fargate%' THEN 'fargate' \
             WHEN ServiceName = 'AWS Lambda' AND ConsumedUnit LIKE '%Second%' THEN 'lambda' END AS family \
           FROM l) \
         SELECT family || ' ' || RegionId, sum(od) FROM k WHERE family IS NOT NULL GROUP BY 1 HAVING sum(od) <> 0"
    ))
    .into_iter()
    .map(|r| {
        let cost = r[1].as_deref().unwrap().parse::<f64>().unwrap();
        (r[0].clone().unwrap(), cost)
    })
    .collect();
    assert!(expected.contains_key("g5 us-east-1"), "{expected:?}");
    assert!(expected.contains_key("fargate us-west-2"), "{expected:?}");
    assert_eq!(
        ours.keys().collect::<Vec<_>>(),
        expected.keys().collect::<Vec<_>>()
    );
    for (key, cost) in &expected {
        let (od, covered, uncovered) = ours[key];
        assert!((od - cost).abs() < 1e-9, "{key}: {od} against {cost}");
        assert!((covered + uncovered - od).abs() < 1e-9, "{key}");
    }
    // The NAT gateway's hours are EC2 hours, but no commitment covers them.
    let nat = duckdb_scalar(&format!(
        "SELECT sum(BilledCost) FROM read_csv('{focus}', header=true, nullstr='NULL') \
         WHERE ChargeDescription LIKE '%NAT Gateway Hour%'"
    ));
    assert!(nat > 0.0);
    let total: f64 = ours.values().map(|v| v.0).sum();
    let expected_total: f64 = expected.values().sum();
    assert!((total - expected_total).abs() < 1e-9);
}

/// AWS's FOCUS exports carry the CUR's product code, usage type and
/// operation (`x_ServiceCode`, `x_UsageType`, `x_Operation` in FOCUS 1.0
/// with AWS columns; FOCUS 1.2 moves the usage type to `SkuMeter`). The
/// demo's CUR 2.0 export, converted to each by DuckDB as AWS maps it
/// (Savings Plan negations folded in, covered usage billed at 0 with its
/// public cost as `ListCost`), gives the same eligible usage per (family,
/// region), covered and uncovered, as the CUR itself: RDS and EC2 alike.
#[test]
fn an_aws_focus_export_is_eligible_as_the_cur_it_comes_from() {
    let dir = tempfile::tempdir().unwrap();
    let cur = demo(dir.path());
    let from_cur = eligible_by_family_region(
        &BillingData::open(&[cur.to_string_lossy().into_owned()], None).unwrap(),
    );
    assert!(
        from_cur.keys().any(|k| k.starts_with("r5 ")),
        "the demo's RDS: {from_cur:?}"
    );
    assert!(
        from_cur.values().any(|v| v.1 > 0.0),
        "some usage is covered"
    );
    for (version, usage_type_column) in [("1.0", "x_UsageType"), ("1.2", "SkuMeter")] {
        let focus = dir.path().join(format!("focus-{version}.parquet"));
        orgpool_testkit::write_cur2_as_aws_focus(&cur, usage_type_column, &focus);
        let data = BillingData::open(&[focus.to_string_lossy().into_owned()], None).unwrap();
        assert_eq!(data.files[0].format, Format::FocusParquet);
        let from_focus = eligible_by_family_region(&data);
        assert_eq!(
            from_focus.keys().collect::<Vec<_>>(),
            from_cur.keys().collect::<Vec<_>>(),
            "FOCUS {version}"
        );
        for (key, a) in &from_cur {
            let b = from_focus[key];
            let close = |x: f64, y: f64| (x - y).abs() <= 1e-6 * y.abs().max(1.0);
            assert!(
                close(a.0, b.0) && close(a.1, b.1) && close(a.2, b.2),
                "FOCUS {version}, {key}: CUR {a:?} against FOCUS {b:?}"
            );
        }
    }
}

/// A FOCUS file may leave `ChargeDescription` null (or lack it): its EC2
/// lines of hours (not Spot) then count as instance hours of an unknown
/// family, as before descriptions were read, rather than as nothing.
/// DuckDB sums the same lines of the sample with the column dropped.
#[test]
fn a_focus_file_without_descriptions_counts_its_ec2_hours_as_instance_hours() {
    let dir = tempfile::tempdir().unwrap();
    let focus = real("focus-1.0-sample.csv");
    let bare = dir.path().join("no-descriptions.parquet");
    duckdb_execute(&format!(
        "COPY (SELECT * EXCLUDE (ChargeDescription) FROM read_csv('{focus}', header=true, nullstr='NULL')) \
         TO '{}' (FORMAT parquet)",
        bare.display()
    ));
    let data = BillingData::open(&[bare.to_string_lossy().into_owned()], None).unwrap();
    let ours: f64 = eligible_by_family_region(&data).values().map(|v| v.0).sum();
    let expected = duckdb_scalar(&format!(
        "SELECT sum(CASE WHEN CommitmentDiscountType IS NULL THEN BilledCost ELSE ListCost END) \
         FROM read_parquet('{}') \
         WHERE ProviderName = 'AWS' AND ChargeCategory = 'Usage' \
           AND COALESCE(CommitmentDiscountStatus, '') <> 'Unused' \
           AND ((ServiceName = 'Amazon Elastic Compute Cloud' AND ConsumedUnit IN ('Hours', 'Hrs') \
                 AND PricingCategory <> 'Dynamic') \
             OR (ServiceName = 'AWS Lambda' AND ConsumedUnit LIKE '%Second%'))",
        bare.display()
    ));
    assert!(expected > 0.0);
    assert!((ours - expected).abs() < 1e-9, "{ours} against {expected}");
}

/// `bytes`, gzip-compressed in memory.
fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

/// `source` copied to `out` with `column` set to `value` (a DuckDB double
/// such as `'NaN'::DOUBLE`) on the one EC2 instance hour of line type
/// `Usage` with the smallest line id: a line every estimate reads.
fn poison_one_instance_hour(source: &str, column: &str, value: &str, out: &Path) {
    let instance_hour = "line_item_line_item_type = 'Usage' \
        AND line_item_usage_type LIKE '%BoxUsage%' AND line_item_unblended_cost > 0";
    duckdb_execute(&format!(
        "COPY (SELECT * REPLACE (CASE WHEN identity_line_item_id = \
              (SELECT min(identity_line_item_id) FROM read_parquet('{source}') WHERE {instance_hour}) \
              AND {instance_hour} THEN {value} ELSE {column} END AS {column}) \
         FROM read_parquet('{source}')) TO '{}' (FORMAT parquet)",
        out.display()
    ));
}

/// A Parquet amount that is NaN or infinite (Parquet stores them; no bill
/// holds one) is refused by the estimate's summary and by the pro forma's
/// charges alike, naming the file, the column and the value, even beside a
/// good file; before, it was summed into every figure it touched. The same
/// months intact read, so the check costs good files nothing but a look at
/// the sums.
#[test]
fn a_parquet_amount_that_is_nan_or_infinite_is_refused_with_file_column_and_value() {
    use orgpool_cur::queries::Dimension;
    let good = "workshop-cur-2018-10.snappy.parquet";
    let source = real("workshop-cur-2018-11.snappy.parquet");
    let cases = [
        ("line_item_unblended_cost", "'NaN'::DOUBLE", "NaN"),
        ("pricing_public_on_demand_cost", "'inf'::DOUBLE", "inf"),
        ("line_item_unblended_cost", "'-inf'::DOUBLE", "-inf"),
    ];
    for (column, value, shown) in cases {
        // Two deliveries: the good month as AWS wrote it, the other as
        // DuckDB rewrote it (its times in another unit).
        let dir = tempfile::tempdir().unwrap();
        let bad = dir.path().join("poisoned.snappy.parquet");
        poison_one_instance_hour(&source, column, value, &bad);
        let inputs = [real(good), bad.to_string_lossy().into_owned()];
        let expected =
            format!("poisoned.snappy.parquet: column {column}: {shown} is not a finite number");

        // Opening reads footers only; the first question refuses it.
        let data = BillingData::open(&inputs, None).unwrap();
        let e = data
            .eligible_range()
            .expect_err("a NaN or infinite amount must be refused");
        assert!(e.is_bad_input(), "{e}");
        assert!(e.to_string().contains(&expected), "{e}");
        assert!(!e.to_string().contains(good), "{e}");

        let data = BillingData::open(&inputs, None).unwrap();
        let e = data
            .charges()
            .expect_err("the pro forma must refuse it too");
        assert!(e.is_bad_input() && e.to_string().contains(&expected), "{e}");
    }
    // The poisoned month intact reads beside the good one.
    let dir = tempfile::tempdir().unwrap();
    let intact = dir.path().join("intact.snappy.parquet");
    poison_one_instance_hour(
        &source,
        "line_item_unblended_cost",
        "line_item_unblended_cost",
        &intact,
    );
    let data =
        BillingData::open(&[real(good), intact.to_string_lossy().into_owned()], None).unwrap();
    let (first, last) = data.eligible_range().unwrap().unwrap();
    let window = orgpool_model::Window::new(first, last + chrono::Duration::hours(1));
    let total = data.posture(&window, Dimension::Total).unwrap();
    assert!(
        total
            .iter()
            .all(|p| p.on_demand_equivalent_cost.is_finite())
    );
    assert!(data.charges().is_ok());
}

/// A Parquet file whose amount or time column is stored as a type that
/// holds none is refused at open, naming the file, the column and the type:
/// a boolean cost (before, read as 1 or 0 and estimated from), a list of
/// costs (before, "query failed" and exit 1), a boolean start time. Integers
/// and decimals are numbers, and read.
#[test]
fn a_parquet_amount_or_time_of_a_type_that_holds_none_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let source = real("workshop-cur-2018-10.snappy.parquet");
    let cases = [
        (
            "line_item_unblended_cost",
            "line_item_unblended_cost > 0",
            "Boolean",
            "number",
        ),
        (
            "line_item_unblended_cost",
            "[line_item_unblended_cost]",
            "List",
            "number",
        ),
        ("line_item_usage_start_date", "true", "Boolean", "time"),
    ];
    for (i, (column, value, type_name, what)) in cases.into_iter().enumerate() {
        let bad = dir.path().join(format!("typed-{i}.parquet"));
        duckdb_execute(&format!(
            "COPY (SELECT * REPLACE ({value} AS {column}) FROM read_parquet('{source}')) TO '{}' (FORMAT parquet)",
            bad.display()
        ));
        let message = open_err(&[&bad]);
        let expected = format!("typed-{i}.parquet: column {column}: stored as {type_name}");
        assert!(message.contains(&expected), "{message}");
        assert!(message.contains(&format!("holds no {what}")), "{message}");
    }
    // An integer and a decimal cost are numbers: the file opens and sums
    // as DuckDB sums it.
    for (i, cast) in ["BIGINT", "DECIMAL(18, 8)"].into_iter().enumerate() {
        let ok = dir.path().join(format!("numeric-{i}.parquet"));
        duckdb_execute(&format!(
            "COPY (SELECT * REPLACE (CAST(line_item_unblended_cost AS {cast}) AS line_item_unblended_cost) \
             FROM read_parquet('{source}')) TO '{}' (FORMAT parquet)",
            ok.display()
        ));
        let data = BillingData::open(&[ok.to_string_lossy().into_owned()], None).unwrap();
        let ours = scalar(&data, "SELECT sum(unblended_cost) FROM line_items");
        let duck = duckdb_scalar(&format!(
            "SELECT sum(line_item_unblended_cost) FROM read_parquet('{}')",
            ok.display()
        ));
        assert!(
            (ours - duck).abs() < 1e-6 * duck.abs().max(1.0),
            "{cast}: {ours} against {duck}"
        );
    }
}
