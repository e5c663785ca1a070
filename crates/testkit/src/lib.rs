//! Test support shared by orgpool's integration tests (a dev-dependency only).
//!
//! The independent peers the tests compare against live in the Python venv that
//! `scripts/test` builds (pinned DuckDB and jsonschema); this crate finds it and
//! runs queries there, and finds the public billing files in `shared/data/real`.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The workspace root.
///
/// Cargo and nextest set `CARGO_MANIFEST_DIR` when they run a test (to that
/// test's `crates/<name>`), which is preferred over the compile-time value:
/// a target directory shared by checkouts at different paths (as `.ci/run`
/// shares one) can reuse this crate compiled for another checkout.
pub fn workspace() -> PathBuf {
    let crate_dir = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")));
    crate_dir.join("../..")
}

/// The test venv's Python (`ORGPOOL_PYTHON`, else `.venv/bin/python`).
pub fn python() -> PathBuf {
    let path = std::env::var_os("ORGPOOL_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace().join(".venv/bin/python"));
    assert!(
        path.exists(),
        "{} is missing: run scripts/test, which builds the test venv",
        path.display()
    );
    path
}

/// Runs a DuckDB query in the venv and returns its first value as a number
/// (NULL reads as 0).
pub fn duckdb_scalar(sql: &str) -> f64 {
    let text = run_duckdb(&format!(
        "print(duckdb.connect().execute({sql:?}).fetchone()[0] or 0)"
    ));
    text.trim()
        .parse()
        .unwrap_or_else(|_| panic!("duckdb printed {text:?}"))
}

/// Runs a DuckDB query in the venv and returns its rows, each value as text
/// (`None` for NULL); no value may hold a tab or a line break.
pub fn duckdb_rows(sql: &str) -> Vec<Vec<Option<String>>> {
    let text = run_duckdb(&format!(
        "[print('\\t'.join('\\\\N' if v is None else str(v) for v in r)) \
         for r in duckdb.connect().execute({sql:?}).fetchall()]"
    ));
    text.lines()
        .map(|line| {
            line.split('\t')
                .map(|v| (v != "\\N").then(|| v.to_owned()))
                .collect()
        })
        .collect()
}

/// Runs a DuckDB statement in the venv, such as a `COPY … TO …` that writes
/// a test file.
pub fn duckdb_execute(sql: &str) {
    run_duckdb(&format!("duckdb.connect().execute({sql:?})"));
}

/// Writes the CUR 2.0 export in `cur` (a folder of Parquet files) to `out`
/// as AWS's FOCUS export with AWS columns would give it, by DuckDB: Savings
/// Plan negations folded in, covered usage billed at 0 with its public cost
/// as `ListCost` and its commitment's effective cost as `EffectiveCost`,
/// fees as `Purchase` charges, and the CUR's product code, operation and
/// usage type in `x_ServiceCode`, `x_Operation` and `usage_type_column`
/// (`x_UsageType` in FOCUS 1.0 with AWS columns, `SkuMeter` in 1.2). Each
/// fee line also gives a row of the commitment it left unused, as the FOCUS
/// specification's `CommitmentDiscountStatus` "Unused" says: a `Usage`
/// charge of the same commitment, account and period, billed at 0, whose
/// `EffectiveCost` is the Savings Plan's total commitment less its used
/// commitment, or the RI's unused recurring fee and unused amortized
/// upfront fee.
pub fn write_cur2_as_aws_focus(cur: &Path, usage_type_column: &str, out: &Path) {
    duckdb_execute(&format!(
        "COPY (WITH focus AS (SELECT \
           bill_payer_account_id AS BillingAccountId, line_item_usage_account_id AS SubAccountId, \
           bill_billing_period_start_date AS BillingPeriodStart, \
           line_item_usage_start_date AS ChargePeriodStart, line_item_usage_end_date AS ChargePeriodEnd, \
           CASE WHEN line_item_line_item_type IN ('Usage', 'SavingsPlanCoveredUsage', 'DiscountedUsage') THEN 'Usage' \
                WHEN line_item_line_item_type IN ('SavingsPlanRecurringFee', 'RIFee') THEN 'Purchase' \
                WHEN line_item_line_item_type IN ('Tax', 'Credit') THEN line_item_line_item_type \
                ELSE 'Adjustment' END AS ChargeCategory, \
           CASE WHEN line_item_line_item_type LIKE 'SavingsPlan%' THEN 'Savings Plan' \
                WHEN line_item_line_item_type IN ('DiscountedUsage', 'RIFee') THEN 'Reservation' END \
             AS CommitmentDiscountType, \
           CASE WHEN line_item_line_item_type IN ('SavingsPlanCoveredUsage', 'DiscountedUsage') THEN 'Used' END \
             AS CommitmentDiscountStatus, \
           COALESCE(savings_plan_savings_plan_a_r_n, reservation_reservation_a_r_n) AS CommitmentDiscountId, \
           CASE WHEN line_item_line_item_type IN ('SavingsPlanCoveredUsage', 'DiscountedUsage') THEN 0 \
                ELSE line_item_unblended_cost END AS BilledCost, \
           CASE line_item_line_item_type WHEN 'SavingsPlanCoveredUsage' THEN savings_plan_savings_plan_effective_cost \
                WHEN 'DiscountedUsage' THEN reservation_effective_cost ELSE line_item_unblended_cost END AS EffectiveCost, \
           pricing_public_on_demand_cost AS ListCost, \
           line_item_product_code AS ServiceName, line_item_product_code AS x_ServiceCode, \
           line_item_usage_type AS {usage_type_column}, line_item_operation AS x_Operation, \
           line_item_usage_amount AS ConsumedQuantity, pricing_unit AS ConsumedUnit, \
           CASE WHEN line_item_line_item_type IN ('SavingsPlanCoveredUsage', 'DiscountedUsage') THEN 'Committed' \
                WHEN line_item_usage_type LIKE '%SpotUsage%' THEN 'Dynamic' ELSE 'Standard' END AS PricingCategory, \
           product_region_code AS RegionId, line_item_currency_code AS BillingCurrency, 'AWS' AS ProviderName, \
           CASE line_item_line_item_type \
                WHEN 'SavingsPlanRecurringFee' THEN savings_plan_total_commitment_to_date - savings_plan_used_commitment \
                WHEN 'RIFee' THEN COALESCE(reservation_unused_recurring_fee, 0) \
                                  + COALESCE(reservation_unused_amortized_upfront_fee_for_billing_period, 0) \
           END AS unused_commitment \
         FROM read_parquet('{}/**/*.parquet') WHERE line_item_line_item_type <> 'SavingsPlanNegation') \
         SELECT * EXCLUDE (unused_commitment) FROM focus \
         UNION ALL \
         SELECT * EXCLUDE (unused_commitment) REPLACE ('Usage' AS ChargeCategory, 'Unused' AS CommitmentDiscountStatus, \
                0.0 AS BilledCost, unused_commitment AS EffectiveCost, 0.0 AS ListCost, \
                0.0 AS ConsumedQuantity, 'Committed' AS PricingCategory) \
         FROM focus WHERE ChargeCategory = 'Purchase' AND CommitmentDiscountId IS NOT NULL) \
       TO '{}' (FORMAT parquet)",
        cur.display(),
        out.display()
    ));
}

/// Writes the CUR export `source` (a DuckDB table expression such as
/// `read_parquet('…')`, CUR 2.0 or legacy columns in Parquet) to the Parquet
/// file `out` as an export at daily granularity holds it (Data Exports'
/// `TIME_GRANULARITY` DAILY): each day's hourly lines of one resource and
/// kind summed into one line from midnight to midnight, every amount
/// summed and every other column (rates and factors included) a key but the
/// line's own id and hour. Lines of more than an hour (an RI's monthly fee, tax) are
/// kept as they are.
pub fn write_as_daily_export(source: &str, out: &Path) {
    let (doubles, others) = columns_by_type(source);
    const TIMES: [&str; 2] = ["line_item_usage_start_date", "line_item_usage_end_date"];
    // A line's own id and hour, which a day's line does not keep.
    const IDENTITY: [&str; 2] = ["identity_line_item_id", "identity_time_interval"];
    let keys: Vec<&str> = others
        .iter()
        .map(String::as_str)
        .filter(|c| !IDENTITY.contains(c) && !TIMES.contains(c))
        .collect();
    let sums: Vec<String> = doubles.iter().map(|c| format!("sum({c}) AS {c}")).collect();
    let hourly = "line_item_usage_end_date <= line_item_usage_start_date + INTERVAL 1 HOUR";
    let identity: Vec<&str> = IDENTITY
        .iter()
        .copied()
        .filter(|c| others.iter().any(|o| o == c))
        .collect();
    let exclude = if identity.is_empty() {
        String::new()
    } else {
        format!("EXCLUDE ({})", identity.join(", "))
    };
    duckdb_execute(&format!(
        "COPY (SELECT date_trunc('day', line_item_usage_start_date) AS line_item_usage_start_date, \
                      date_trunc('day', line_item_usage_start_date) + INTERVAL 1 DAY AS line_item_usage_end_date, \
                      {keys}, {sums} \
               FROM {source} WHERE {hourly} GROUP BY ALL \
               UNION ALL BY NAME SELECT * {exclude} FROM {source} WHERE NOT ({hourly})) \
         TO '{}' (FORMAT parquet)",
        out.display(),
        keys = keys.join(", "),
        sums = sums.join(", "),
    ));
}

/// Writes the daily export `daily` ([`write_as_daily_export`]) to `out` with
/// each day's line as 24 hourly ones, every amount a 24th: the same usage,
/// flat within each day, at hourly granularity. Other lines stay as they are.
pub fn write_daily_export_as_hourly(daily: &Path, out: &Path) {
    let source = format!("read_parquet('{}')", daily.display());
    let (doubles, _) = columns_by_type(&source);
    let divided: Vec<String> = doubles.iter().map(|c| format!("{c} / 24 AS {c}")).collect();
    let a_day = "line_item_usage_end_date = line_item_usage_start_date + INTERVAL 1 DAY";
    duckdb_execute(&format!(
        "COPY (SELECT * REPLACE (line_item_usage_start_date + k * INTERVAL 1 HOUR AS line_item_usage_start_date, \
                                 line_item_usage_start_date + (k + 1) * INTERVAL 1 HOUR AS line_item_usage_end_date, \
                                 {}) \
               FROM {source}, range(24) AS r(k) WHERE {a_day} \
               UNION ALL BY NAME SELECT * FROM {source} WHERE NOT ({a_day})) \
         TO '{}' (FORMAT parquet)",
        divided.join(", "),
        out.display(),
    ));
}

/// The columns of `source` (a DuckDB table expression): its amounts (the
/// `DOUBLE` columns that add up over lines), then the others (rates,
/// normalization factors, a billing period's fees, which a line of several
/// hours has as each of its hours does), each in their order.
fn columns_by_type(source: &str) -> (Vec<String>, Vec<String>) {
    let per_unit_or_period = |name: &str| {
        name.ends_with("_rate")
            || name.ends_with("normalization_factor")
            || name.contains("for_billing_period")
            || name.ends_with("upfront_value")
    };
    let columns = duckdb_rows(&format!(
        "SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM {source})"
    ));
    let mut doubles = Vec::new();
    let mut others = Vec::new();
    for row in columns {
        let (Some(name), Some(kind)) = (row[0].clone(), row[1].as_deref()) else {
            continue;
        };
        if kind == "DOUBLE" && !per_unit_or_period(&name) {
            doubles.push(name);
        } else {
            others.push(name);
        }
    }
    (doubles, others)
}

/// Runs Python `code` with `duckdb` imported; panics with its error if it
/// fails, else returns what it printed.
fn run_duckdb(code: &str) -> String {
    let out = Command::new(python())
        .args(["-c", &format!("import duckdb; {code}")])
        .output()
        .expect("python runs");
    assert!(
        out.status.success(),
        "duckdb failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A file of the public billing data beside the checkout (`../shared/data/real`).
pub fn real_data(name: &str) -> String {
    let dir = workspace().join("../shared/data/real");
    assert!(
        dir.is_dir(),
        "{} is missing: the public billing data must sit beside the checkout",
        dir.display()
    );
    dir.join(name).to_string_lossy().into_owned()
}

/// Copies the Parquet file `src` to `dst` with the page header of `column`'s
/// first data page (in its first row group) overwritten: the footer still
/// reads well, but reading that column's pages fails. The page is found by
/// DuckDB's `parquet_metadata`, independently of the reader under test.
pub fn corrupt_first_page(src: &str, column: &str, dst: &Path) {
    let rows = duckdb_rows(&format!(
        "SELECT data_page_offset FROM parquet_metadata('{src}') \
         WHERE row_group_id = 0 AND path_in_schema = '{column}'"
    ));
    let offset: usize = rows
        .first()
        .and_then(|r| r[0].as_deref())
        .unwrap_or_else(|| panic!("{src} has no column {column}"))
        .parse()
        .unwrap();
    let mut bytes = std::fs::read(src).unwrap();
    // 0xFF is no valid field header in Thrift's compact protocol.
    bytes[offset..offset + 16].fill(0xFF);
    std::fs::write(dst, bytes).unwrap();
}

/// A real `moto_server` (from the test venv) on a free loopback port, stopped
/// when dropped. Tests talk to it with the AWS SDK (`--endpoint-url`) and set it
/// up with boto3 through [`MotoServer::boto3`].
pub struct MotoServer {
    child: std::process::Child,
    /// `http://127.0.0.1:PORT`.
    pub endpoint: String,
}

impl MotoServer {
    /// Starts a server and waits until it answers.
    pub fn start() -> MotoServer {
        Self::start_with_env(&[])
    }

    /// Starts a server with extra environment variables (for example
    /// `INITIAL_NO_AUTH_ACTION_COUNT`, after which moto enforces IAM policies).
    pub fn start_with_env(env: &[(&str, &str)]) -> MotoServer {
        let bin = python().with_file_name("moto_server");
        assert!(
            bin.exists(),
            "{} is missing: run scripts/test, which installs moto[server] into the venv",
            bin.display()
        );
        for _attempt in 0..5 {
            let port = free_port();
            let mut child = Command::new(&bin)
                .args(["-H", "127.0.0.1", "-p", &port.to_string()])
                .envs(env.iter().copied())
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .spawn()
                .expect("moto_server starts");
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
            while std::time::Instant::now() < deadline {
                if let Ok(Some(_)) = child.try_wait() {
                    break; // the port was taken meanwhile: try another
                }
                if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                    return MotoServer {
                        child,
                        endpoint: format!("http://127.0.0.1:{port}"),
                    };
                }
                std::thread::sleep(std::time::Duration::from_millis(100));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        panic!("moto_server did not start");
    }

    /// Environment that points an AWS client at this server with dummy keys.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("AWS_ACCESS_KEY_ID", "testing".to_owned()),
            ("AWS_SECRET_ACCESS_KEY", "testing".to_owned()),
            ("AWS_REGION", "us-east-1".to_owned()),
            ("AWS_DEFAULT_REGION", "us-east-1".to_owned()),
            ("AWS_EC2_METADATA_DISABLED", "true".to_owned()),
            (
                "AWS_CONFIG_FILE",
                "/nonexistent/orgpool-test-config".to_owned(),
            ),
            (
                "AWS_SHARED_CREDENTIALS_FILE",
                "/nonexistent/orgpool-test-credentials".to_owned(),
            ),
            ("MOTO_ENDPOINT", self.endpoint.clone()),
        ]
    }

    /// Runs a Python script with `boto3` against this server; the script finds
    /// the endpoint in `MOTO_ENDPOINT`. Returns its stdout.
    pub fn boto3(&self, script: &str) -> String {
        let out = Command::new(python())
            .args(["-c", script])
            .envs(self.env())
            .output()
            .expect("python runs");
        assert!(
            out.status.success(),
            "boto3 script failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}

impl Drop for MotoServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A loopback port free at the time of asking.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind(("127.0.0.1", 0))
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}
