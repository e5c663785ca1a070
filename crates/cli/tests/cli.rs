//! The `orgpool` binary as scripts see it: help with examples, exit codes
//! (0 ok, 1 failure, 2 bad usage or bad input), output formats and tracing.

use std::path::Path;
use std::process::{Command, Output};

use orgpool_testkit::{duckdb_execute, duckdb_rows, duckdb_scalar, real_data as real};

/// The summary cache the tests' runs share: in the build's folder, not the
/// user's home (entries of other builds are never read, and few are kept).
fn test_cache_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("orgpool-cache")
}

fn orgpool(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_orgpool"))
        .args(args)
        .env_remove("RUST_LOG")
        .env_remove("ORGPOOL_FORMAT")
        .env("ORGPOOL_CACHE_DIR", test_cache_dir())
        .output()
        .expect("the binary runs")
}

/// Generates a small demo organization and export into `dir`, requiring success.
fn generate_demo(dir: &Path, accounts: u32, months: u32) {
    generate_demo_with(dir, accounts, months, &[]);
}

/// [`generate_demo`] with more `demo generate` arguments.
fn generate_demo_with(dir: &Path, accounts: u32, months: u32, more: &[&str]) {
    let (accounts, months) = (accounts.to_string(), months.to_string());
    let mut args = vec![
        "demo",
        "generate",
        "--out",
        dir.to_str().unwrap(),
        "--accounts",
        &accounts,
        "--months",
        &months,
    ];
    args.extend(more);
    let out = orgpool(&args);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

/// Asserts two JSON values are equal but for floating-point noise: parallel
/// aggregation sums in a different order from run to run (relative 1e-6).
fn assert_json_close(a: &serde_json::Value, b: &serde_json::Value, at: &str) {
    use serde_json::Value;
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            let (x, y) = (x.as_f64().unwrap(), y.as_f64().unwrap());
            assert!(
                (x - y).abs() <= 1e-6 * x.abs().max(y.abs()).max(1.0),
                "{at}: {x} != {y}"
            );
        }
        (Value::Array(x), Value::Array(y)) => {
            assert_eq!(x.len(), y.len(), "{at}: lengths differ");
            for (i, (x, y)) in x.iter().zip(y).enumerate() {
                assert_json_close(x, y, &format!("{at}[{i}]"));
            }
        }
        (Value::Object(x), Value::Object(y)) => {
            assert_eq!(
                x.keys().collect::<Vec<_>>(),
                y.keys().collect::<Vec<_>>(),
                "{at}: fields differ"
            );
            for (k, v) in x {
                assert_json_close(v, &y[k], &format!("{at}.{k}"));
            }
        }
        _ => assert_eq!(a, b, "{at}"),
    }
}

/// Runs orgpool, requires success, and parses its JSON output.
fn json_of(args: &[&str]) -> serde_json::Value {
    let out = orgpool(args);
    assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr(&out));
    serde_json::from_str(&stdout(&out))
        .unwrap_or_else(|e| panic!("{args:?}: not JSON ({e}): {}", stdout(&out)))
}

/// Runs orgpool and requires exit 2, `expected` in the error, and nothing on
/// standard output.
fn assert_bad_input(args: &[&str], expected: &str) {
    let out = orgpool(args);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
    assert!(
        stderr(&out).contains(expected),
        "{args:?}: {}",
        stderr(&out)
    );
    assert!(stdout(&out).is_empty(), "{args:?}");
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}
fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn every_command_has_help_with_an_example() {
    for args in [
        &["--help"][..],
        &["demo", "--help"],
        &["demo", "generate", "--help"],
        &["estimate", "--help"],
        &["assess", "--help"],
        &["discover", "--help"],
        &["org", "--help"],
        &["org", "show", "--help"],
        &["org", "from-cli", "--help"],
        &["onboarding-template", "--help"],
        &["billing", "--help"],
        &["billing", "plan", "--help"],
        &["billing", "proforma", "--help"],
        &["billing", "cloudformation", "--help"],
    ] {
        let out = orgpool(args);
        assert_eq!(out.status.code(), Some(0), "{args:?}");
        let text = stdout(&out);
        assert!(text.contains("Example"), "{args:?} has no example:\n{text}");
        let command = args
            .iter()
            .take_while(|a| !a.starts_with('-'))
            .copied()
            .collect::<Vec<_>>()
            .join(" ");
        assert!(
            text.contains(&format!("orgpool {command}").trim().to_owned()),
            "{args:?} has no example of itself:\n{text}"
        );
    }
}

#[test]
fn bad_usage_exits_2_with_a_message() {
    let cases: [(&[&str], &str); 10] = [
        (&["frobnicate"], "unrecognized subcommand"),
        (
            &["discover", "--out", "x", "--regions", "us-east-1,Europe"],
            "\"Europe\" is not a region name",
        ),
        (
            &[
                "discover",
                "--out",
                "x",
                "--regions",
                "us-east-1,,eu-west-1",
            ],
            "\"\" is not a region name",
        ),
        (&["demo", "generate"], "--out"),
        (
            &["demo", "generate", "--out", "x", "--accounts", "0"],
            "--accounts",
        ),
        (
            &["demo", "generate", "--out", "x", "--start", "2026-13"],
            "not a month",
        ),
        (
            &["demo", "generate", "--out", "x", "--rows", "lots"],
            "--rows",
        ),
        (
            &["demo", "generate", "--out", "x", "--commitment-scale", "0"],
            "not a number above 0 and at most 20",
        ),
        (&["estimate", "--cur", "x", "--pool-cur"], "--pool-cur"),
        (&["--format", "xml", "demo"], "--format"),
    ];
    for (args, expected) in cases {
        let out = orgpool(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(
            stderr(&out).contains(expected),
            "{args:?}: {}",
            stderr(&out)
        );
    }
    assert!(!Path::new("x").exists(), "nothing written on bad usage");
}

#[test]
fn an_unwritable_output_exits_1_and_names_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("plain-file");
    std::fs::write(&file, "x").unwrap();
    let target = file.join("demo");
    let out = orgpool(&[
        "demo",
        "generate",
        "--out",
        target.to_str().unwrap(),
        "--accounts",
        "2",
        "--months",
        "1",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("plain-file"), "{}", stderr(&out));
    // The cause once, after the path.
    assert_eq!(
        stderr(&out).matches("Not a directory").count(),
        1,
        "{}",
        stderr(&out)
    );
}

#[test]
fn generate_writes_the_layout_and_speaks_json_markdown_and_tracing() {
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("demo");
    let out = orgpool(&[
        "demo",
        "generate",
        "--out",
        out_dir.to_str().unwrap(),
        "--accounts",
        "4",
        "--months",
        "1",
        "--format",
        "json",
        "-v",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(json["schema_version"], 1);
    assert_eq!(json["generated"]["accounts"], 4);
    assert!(json["generated"]["rows"].as_u64().unwrap() > 0);
    assert!(
        stderr(&out).contains("writing CUR 2.0 export"),
        "-v traces to stderr: {}",
        stderr(&out)
    );
    assert!(out_dir.join("org.json").is_file());
    let data = out_dir
        .join("cur/orgpool-demo/data/BILLING_PERIOD=2026-07/orgpool-demo-00001.snappy.parquet");
    assert!(data.is_file(), "{}", data.display());
    assert!(
        out_dir
            .join("cur/orgpool-demo/metadata/BILLING_PERIOD=2026-07/orgpool-demo-Manifest.json")
            .is_file()
    );

    let md = orgpool(&[
        "demo",
        "generate",
        "--out",
        out_dir.to_str().unwrap(),
        "--accounts",
        "4",
        "--months",
        "1",
        "--format",
        "markdown",
    ]);
    assert_eq!(md.status.code(), Some(0));
    assert!(
        stdout(&md).starts_with("### Generated demo data\n\n| item | value |"),
        "{}",
        stdout(&md)
    );
    assert!(stderr(&md).is_empty(), "quiet without -v: {}", stderr(&md));
}

#[test]
fn demo_runs_end_to_end_and_summarizes() {
    let dir = tempfile::tempdir().unwrap();
    let keep = dir.path().join("kept");
    let out = orgpool(&["demo", "--keep", keep.to_str().unwrap(), "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(json["organization"]["accounts"], 16);
    assert!(json["organization"]["ou_depth"].as_u64().unwrap() >= 3);
    assert_eq!(
        json["generated"]["billing_periods"],
        serde_json::json!(["2026-07", "2026-08", "2026-09"])
    );
    assert!(keep.join("org.json").is_file());
    // The payer's pool, over-committed, lends its idle plans in the what-if.
    assert_eq!(json["payer_pool"]["accounts"], 24);
    assert!(keep.join("payer-pool/org.json").is_file());
    let pooled = &json["estimate"]["pooled"];
    assert!(
        pooled["pool_lends"]["on_demand_covered"].as_f64().unwrap() > 0.0,
        "{pooled}"
    );
    assert!(pooled["gain"].as_f64().unwrap() > 0.0, "{pooled}");
    // The estimate names the accounts as the demo's bundle does.
    let bundle: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(keep.join("org.json")).unwrap()).unwrap();
    let name_in_bundle = |id: &str| {
        bundle["accounts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["id"] == id)
            .map(|a| a["name"].clone())
    };
    for a in json["estimate"]["breakdown"]["accounts"]
        .as_array()
        .unwrap()
    {
        let id = a["key"].as_str().unwrap();
        assert_eq!(Some(a["name"].clone()), name_in_bundle(id), "{id}");
    }
    assert_eq!(json["assessment"]["schema_version"], 1);
    assert_eq!(json["assessment"]["recommendation"], "import_whole");
    assert!(json["assessment"]["activity"]["known"] == true);
    // import_whole: the payer bills the organization as one billing group.
    let groups = json["billing_plan"]["billing_groups"].as_array().unwrap();
    assert_eq!(groups.len(), 1);
    assert_eq!(
        groups[0]["accounts"].as_array().unwrap().len(),
        15,
        "16 less the suspended one"
    );
    let table = orgpool(&["demo"]);
    assert_eq!(table.status.code(), Some(0));
    assert!(stdout(&table).contains("recommendation import_whole"));
    assert!(stdout(&table).contains("Pooled what-if"));
    assert!(
        stdout(&table).contains("Organization o-"),
        "{}",
        stdout(&table)
    );
}

#[test]
fn estimate_on_demo_data_honours_the_json_contract_and_matches_duckdb() {
    let dir = tempfile::tempdir().unwrap();
    let demo = dir.path().join("demo");
    generate_demo(&demo, 12, 2);
    let cur = demo.join("cur");
    let chart = dir.path().join("curve.svg");
    let j = json_of(&[
        "estimate",
        "--cur",
        cur.to_str().unwrap(),
        "--lookback-days",
        "30",
        "--format",
        "json",
        "--chart",
        chart.to_str().unwrap(),
    ]);
    assert_eq!(j["schema_version"], 1);
    assert_eq!(j["window"]["hours"], 720);
    assert_eq!(j["window"]["start"], "2026-08-02T00:00:00Z");
    for field in [
        "on_demand_equivalent_cost",
        "covered_on_demand_equivalent_cost",
        "uncovered_on_demand_cost",
    ] {
        assert!(
            j["savings_plans_eligible"][field].as_f64().unwrap() > 0.0,
            "{field}"
        );
    }
    for field in [
        "commitment_cost",
        "coverage",
        "utilization",
        "effective_savings_rate",
    ] {
        assert!(j["current"][field].is_number(), "{field}");
    }
    let recs = j["recommendations"].as_array().unwrap();
    assert!(!recs.is_empty());
    for r in recs {
        for field in [
            "plan",
            "term",
            "payment",
            "region",
            "family",
            "hourly_commitment",
            "estimated_savings",
            "estimated_utilization",
            "estimated_coverage",
        ] {
            assert!(!r[field].is_null(), "{field} in {r}");
        }
        assert!(
            ["compute_sp", "ec2_instance_sp", "sagemaker_sp", "rds_ri"]
                .contains(&r["plan"].as_str().unwrap())
        );
        // A reserved DB instance is bought for one engine: the demo's RDS
        // runs MySQL (CreateDBInstance:0002). A Savings Plan names none.
        if r["plan"] == "rds_ri" {
            assert_eq!(r["operation"], "CreateDBInstance:0002", "{r}");
            assert_eq!(r["database_engine"], "MySQL", "{r}");
        } else {
            assert!(
                r["operation"].is_null() && r["database_engine"].is_null(),
                "{r}"
            );
        }
    }
    assert!(recs.iter().any(|r| r["plan"] == "rds_ri"), "{recs:?}");
    // What each purchase costs, 1y No Upfront over 720 hours: the term's
    // 8,760 hours of its hourly commitment, nothing up front.
    let hours = 720.0;
    for r in recs {
        let f = |field: &str| {
            r[field]
                .as_f64()
                .unwrap_or_else(|| panic!("{field} in {r}"))
        };
        let hourly = f("hourly_commitment");
        let close = |a: f64, b: f64| (a - b).abs() <= 1e-9 * b.abs().max(1.0);
        assert!(close(f("term_commitment"), hourly * 8_760.0), "{r}");
        assert_eq!(f("upfront_cost"), 0.0, "{r}");
        assert!(close(f("recurring_hourly_cost"), hourly), "{r}");
        let savings = f("estimated_savings");
        assert!(
            close(f("estimated_monthly_savings"), savings / hours * 730.0),
            "{r}"
        );
        assert!(close(f("estimated_roi"), savings / (hourly * hours)), "{r}");
        // The uncovered spend it may cover, per hour: what it covers of it
        // (its coverage of the window's total) is its savings plus its cost.
        let spend = &r["uncovered_hourly_on_demand_spend"];
        let [lo, mean, hi] = ["minimum", "average", "maximum"].map(|k| spend[k].as_f64().unwrap());
        assert!(0.0 <= lo && lo <= mean && mean <= hi && mean > 0.0, "{r}");
        let covered = f("estimated_coverage") * mean * hours;
        assert!(close(covered, savings + hourly * hours), "{r}");
    }
    let term_sum: f64 = recs
        .iter()
        .map(|r| r["term_commitment"].as_f64().unwrap())
        .sum();
    assert!((j["projected"]["term_commitment"].as_f64().unwrap() - term_sum).abs() < 1e-6);
    assert_eq!(j["projected"]["upfront_cost"], 0.0);
    // 3y Partial Upfront: a Savings Plan pays half its 26,280 hours up front
    // and half by the hour; an RI's split is its offering's (null).
    let partial = json_of(&[
        "estimate",
        "--cur",
        cur.to_str().unwrap(),
        "--lookback-days",
        "30",
        "--term",
        "3y",
        "--payment",
        "partial_upfront",
        "--format",
        "json",
    ]);
    // One of them an RI: what the whole purchase pays up front is unknown.
    assert!(
        partial["projected"]["upfront_cost"].is_null(),
        "{}",
        partial["projected"]
    );
    let partial = partial["recommendations"].as_array().unwrap();
    assert!(partial.iter().any(|r| r["plan"] == "rds_ri"), "{partial:?}");
    for r in partial {
        let hourly = r["hourly_commitment"].as_f64().unwrap();
        if r["plan"] == "rds_ri" {
            assert!(r["upfront_cost"].is_null(), "{r}");
            assert!(r["recurring_hourly_cost"].is_null(), "{r}");
        } else {
            let upfront = r["upfront_cost"].as_f64().unwrap();
            assert!((upfront - hourly * 13_140.0).abs() < 1e-6 * upfront, "{r}");
            let recurring = r["recurring_hourly_cost"].as_f64().unwrap();
            assert!((recurring - hourly / 2.0).abs() < 1e-12, "{r}");
        }
    }
    assert!(
        j["projected"]["effective_savings_rate"].as_f64().unwrap()
            > j["current"]["effective_savings_rate"].as_f64().unwrap()
    );
    assert!(j["projected"]["savings_per_month"].as_f64().unwrap() > 0.0);
    assert_eq!(j["backtest"]["rows"].as_array().unwrap().len(), 3);
    // Rates: observed on the demo's covered lines (its Compute SP is 1y no upfront),
    // and a --rates file beats both the observed and the embedded ones.
    let compute = recs
        .iter()
        .find(|r| r["plan"] == "compute_sp")
        .expect("a compute_sp recommendation");
    assert!(
        compute["rate_source"]
            .as_str()
            .unwrap()
            .contains("observed in billing data"),
        "{compute}"
    );
    let rates = dir.path().join("rates.csv");
    std::fs::write(
        &rates,
        "plan,term,payment,region,family,discount\ncompute_sp,*,*,*,*,0.5\n",
    )
    .unwrap();
    let jf = json_of(&[
        "estimate",
        "--cur",
        cur.to_str().unwrap(),
        "--format",
        "json",
        "--plans",
        "compute_sp",
        "--rates",
        rates.to_str().unwrap(),
    ]);
    let only = jf["recommendations"].as_array().unwrap();
    assert!(only.iter().all(|r| r["plan"] == "compute_sp"));
    assert!(
        only[0]["rate_source"]
            .as_str()
            .unwrap()
            .starts_with("file "),
        "{}",
        only[0]
    );
    let svg = std::fs::read_to_string(&chart).unwrap();
    assert!(
        svg.starts_with("<svg") && svg.contains("<polyline"),
        "{svg}"
    );

    // DuckDB, over the same files and window, finds the same eligible spend.
    let files = format!("read_parquet('{}/**/*.parquet')", cur.display());
    let window = "line_item_usage_start_date >= TIMESTAMP '2026-08-02' AND line_item_usage_start_date < TIMESTAMP '2026-09-01'";
    let eligible = DUCKDB_ELIGIBLE;
    let uncovered = duckdb_uncovered(&cur, window);
    let covered = duckdb_scalar(&format!(
        "SELECT sum(pricing_public_on_demand_cost) FROM {files} WHERE line_item_line_item_type IN ('SavingsPlanCoveredUsage', 'DiscountedUsage') AND {eligible} AND {window}"
    ));
    let ours_uncovered = j["savings_plans_eligible"]["uncovered_on_demand_cost"]
        .as_f64()
        .unwrap();
    let ours_covered = j["savings_plans_eligible"]["covered_on_demand_equivalent_cost"]
        .as_f64()
        .unwrap();
    assert!(
        (ours_uncovered - uncovered).abs() < 1e-6 * uncovered,
        "{ours_uncovered} vs duckdb {uncovered}"
    );
    assert!(
        (ours_covered - covered).abs() < 1e-6 * covered,
        "{ours_covered} vs duckdb {covered}"
    );
}

/// Commitment-eligible usage in a CUR 2.0 export, as DuckDB is told it.
const DUCKDB_ELIGIBLE: &str = "((line_item_product_code = 'AmazonEC2' AND line_item_operation LIKE 'RunInstances%' AND line_item_usage_type NOT LIKE '%SpotUsage%' AND line_item_usage_type NOT LIKE '%Bytes%') \
        OR (line_item_product_code = 'AmazonECS' AND line_item_usage_type LIKE '%Fargate%') \
        OR (line_item_product_code = 'AWSLambda' AND line_item_usage_type LIKE '%Lambda-GB-Second%') \
        OR (line_item_product_code = 'AmazonSageMaker' AND line_item_usage_type LIKE '%ml.%') \
        OR (line_item_product_code = 'AmazonRDS' AND line_item_usage_type LIKE '%InstanceUsage%'))";

/// DuckDB's uncovered eligible on-demand spend of the export at `cur` in `window`.
fn duckdb_uncovered(cur: &Path, window: &str) -> f64 {
    duckdb_scalar(&format!(
        "SELECT sum(line_item_unblended_cost) FROM read_parquet('{}/**/*.parquet') \
         WHERE line_item_line_item_type = 'Usage' AND {DUCKDB_ELIGIBLE} AND {window}",
        cur.display()
    ))
}

/// DuckDB's unused Savings Plan commitment of one offering type in `window`.
fn duckdb_idle_savings_plans(cur: &Path, offering: &str, window: &str) -> f64 {
    duckdb_scalar(&format!(
        "SELECT sum(savings_plan_total_commitment_to_date - savings_plan_used_commitment) \
         FROM read_parquet('{}/**/*.parquet') \
         WHERE line_item_line_item_type = 'SavingsPlanRecurringFee' \
           AND savings_plan_offering_type = '{offering}' AND {window} \
           AND savings_plan_total_commitment_to_date - savings_plan_used_commitment > 1e-9",
        cur.display()
    ))
}

/// DuckDB's idle EC2 Instance Savings Plan commitment per (family, region)
/// in `window`, in (family, region) order.
fn duckdb_idle_instance_sps_by_family(cur: &Path, window: &str) -> Vec<(String, String, f64)> {
    let sql = format!(
        "SELECT savings_plan_instance_type_family, savings_plan_region, \
                sum(savings_plan_total_commitment_to_date - savings_plan_used_commitment) \
         FROM read_parquet('{}/**/*.parquet') \
         WHERE line_item_line_item_type = 'SavingsPlanRecurringFee' \
           AND savings_plan_offering_type = 'EC2InstanceSavingsPlans' AND {window} \
           AND savings_plan_total_commitment_to_date - savings_plan_used_commitment > 1e-9 \
         GROUP BY 1, 2 ORDER BY 1, 2",
        cur.display()
    );
    duckdb_rows(&sql)
        .into_iter()
        .map(|r| match &r[..] {
            [Some(family), Some(region), Some(idle)] => {
                (family.clone(), region.clone(), idle.parse().unwrap())
            }
            _ => panic!("a row with a family, a region and a sum: {r:?}"),
        })
        .collect()
}

/// The pooled what-if of `estimate --pool-cur`: an organization beside an
/// over-committed pool (its Savings Plans at three times the demo's size,
/// idle in quiet hours). The idle commitments and uncovered spend of both
/// sides equal DuckDB's over the same files; the pool's idle plans cover
/// some of the organization's usage, within what a discount allows; and the
/// parts add up.
#[test]
fn estimate_pooled_what_if_lends_idle_plans_and_matches_duckdb() {
    let dir = tempfile::tempdir().unwrap();
    let (org, pool) = (dir.path().join("org"), dir.path().join("pool"));
    generate_demo(&org, 12, 2);
    generate_demo_with(&pool, 12, 2, &["--seed", "7", "--commitment-scale", "3"]);
    let (org_cur, pool_cur) = (org.join("cur"), pool.join("cur"));
    let base = [
        "estimate",
        "--cur",
        org_cur.to_str().unwrap(),
        "--lookback-days",
        "30",
    ];
    let j = json_of(
        &[
            &base[..],
            &["--pool-cur", pool_cur.to_str().unwrap(), "--format", "json"],
        ]
        .concat(),
    );
    let p = &j["pooled"];
    let f = |v: &serde_json::Value| v.as_f64().unwrap_or_else(|| panic!("a number: {v}"));
    let close = |a: f64, b: f64, what: &str| {
        assert!(
            (a - b).abs() <= 1e-6 * a.abs().max(b.abs()).max(1.0),
            "{what}: {a} vs duckdb {b}"
        );
    };
    assert_eq!(p["applies_to"], "break_up");
    assert_eq!(j["window"]["start"], "2026-08-02T00:00:00Z");
    let window = "line_item_usage_start_date >= TIMESTAMP '2026-08-02' AND line_item_usage_start_date < TIMESTAMP '2026-09-01'";
    close(
        f(&p["organization"]["uncovered_on_demand_cost"]),
        duckdb_uncovered(&org_cur, window),
        "organization uncovered",
    );
    close(
        f(&p["pool"]["uncovered_on_demand_cost"]),
        duckdb_uncovered(&pool_cur, window),
        "pool uncovered",
    );
    close(
        f(&p["organization"]["uncovered_on_demand_cost"]),
        f(&j["savings_plans_eligible"]["uncovered_on_demand_cost"]),
        "the pooled side's uncovered spend is the estimate's",
    );
    for (side, cur) in [("organization", &org_cur), ("pool", &pool_cur)] {
        for (field, offering) in [
            ("compute_sp", "ComputeSavingsPlans"),
            ("ec2_instance_sp", "EC2InstanceSavingsPlans"),
        ] {
            close(
                f(&p[side]["idle_commitment"][field]),
                duckdb_idle_savings_plans(cur, offering, window),
                &format!("{side} idle {field}"),
            );
        }
    }
    let idle = f(&p["pool"]["idle_commitment"]["compute_sp"]);
    assert!(
        idle > 10.0,
        "the over-committed pool has idle Compute SP hours: {p}"
    );
    // The EC2 Instance SPs' idle commitment by the family and region their
    // fee lines name: DuckDB's per (family, region), adding up to the total.
    let mut scoped_idle = 0.0;
    for (side, cur) in [("organization", &org_cur), ("pool", &pool_cur)] {
        let by_family = p[side]["idle_ec2_instance_sp_by_family"]
            .as_array()
            .unwrap_or_else(|| panic!("{side}: {p}"));
        let expected = duckdb_idle_instance_sps_by_family(cur, window);
        assert_eq!(by_family.len(), expected.len(), "{side}: {by_family:?}");
        for (got, (family, region, want)) in by_family.iter().zip(&expected) {
            assert_eq!(
                (&got["family"], &got["region"]),
                (&serde_json::json!(family), &serde_json::json!(region))
            );
            close(
                f(&got["idle_commitment"]),
                *want,
                &format!("{side} {family}"),
            );
        }
        close(
            expected.iter().map(|(_, _, v)| v).sum(),
            f(&p[side]["idle_commitment"]["ec2_instance_sp"]),
            &format!("{side}: every EC2 Instance SP names its family and region"),
        );
        if side == "pool" {
            scoped_idle = expected.iter().map(|(_, _, v)| v).sum();
        }
    }
    assert!(scoped_idle > 0.0, "the pool has idle EC2 Instance SP hours");
    let lends = &p["pool_lends"];
    close(
        f(&lends["idle_commitment"]),
        idle + f(&p["pool"]["idle_commitment"]["sagemaker_sp"]) + scoped_idle,
        "idle lent",
    );
    let (used, covered) = (f(&lends["commitment_used"]), f(&lends["on_demand_covered"]));
    assert!(
        used > 0.0 && used <= f(&lends["idle_commitment"]) + 1e-9,
        "{lends}"
    );
    // A dollar of commitment covers between one dollar of on-demand usage
    // (no discount) and 1 / (1 - 0.72) (EC2 Instance SP's deepest).
    assert!(covered >= used && covered <= used / 0.28, "{lends}");
    // The parts add up, and pooling never loses (within the optimizer's
    // guarantee of 99.5 % of the optimum).
    let lent = covered + f(&p["organization_lends"]["on_demand_covered"]);
    let (together, alone, pool_alone) = (
        f(&p["together"]),
        f(&p["organization_alone"]),
        f(&p["pool_alone"]),
    );
    close(f(&p["gain"]), lent + together - alone - pool_alone, "gain");
    close(
        f(&p["value_of_joining"]),
        lent + together - pool_alone,
        "value of joining",
    );
    assert!(f(&p["gain"]) >= -0.005 * (lent + together), "{p}");
    assert!(f(&p["value_of_joining"]) > alone, "{p}");
    close(
        f(&p["value_of_joining_rate"]),
        f(&p["value_of_joining"]) / f(&p["organization"]["uncovered_on_demand_cost"]),
        "rate",
    );

    // The table says it; without --pool-cur there is no pooled what-if.
    let table = stdout(&orgpool(
        &[&base[..], &["--pool-cur", pool_cur.to_str().unwrap()]].concat(),
    ));
    assert!(
        table.contains("Pooled what-if") && table.contains("gain of pooling"),
        "{table}"
    );
    let plain = json_of(&[&base[..], &["--format", "json"]].concat());
    assert!(plain.get("pooled").is_none());

    // The assessment weighs it: the commitment sharing impact carries the
    // what-if's monthly figures, the same as the estimate's.
    let org_json = org.join("org.json");
    let a = json_of(&[
        "assess",
        "--org",
        org_json.to_str().unwrap(),
        "--cur",
        org_cur.to_str().unwrap(),
        "--pool-cur",
        pool_cur.to_str().unwrap(),
        "--format",
        "json",
    ]);
    close(
        f(&a["pooling"]["gain_per_month"]),
        f(&p["gain_per_month"]),
        "assessed gain",
    );
    close(
        f(&a["pooling"]["value_of_joining_per_month"]),
        f(&p["value_of_joining"]) * 730.0 / 720.0,
        "assessed value of joining",
    );
    let sharing = a["impacts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == "commitment_sharing")
        .unwrap();
    let effect = sharing["import_whole"]["effect"].as_str().unwrap();
    assert!(
        effect.contains(&format!(
            "{:.2} a month of pooling gain",
            f(&p["gain_per_month"])
        )),
        "{effect}"
    );
    assert_bad_input(
        &[
            "assess",
            "--org",
            org_json.to_str().unwrap(),
            "--pool-cur",
            pool_cur.to_str().unwrap(),
        ],
        "--cur",
    );

    // A pool whose data miss the window, or are not there, is bad input.
    let elsewhere = dir.path().join("elsewhere");
    generate_demo_with(&elsewhere, 3, 1, &["--start", "2025-01"]);
    let elsewhere_cur = elsewhere.join("cur");
    assert_bad_input(
        &[&base[..], &["--pool-cur", elsewhere_cur.to_str().unwrap()]].concat(),
        "not the whole window 2026-08-02 00:00 to 2026-09-01 00:00",
    );
    assert_bad_input(
        &[&base[..], &["--pool-cur", "/nonexistent/pool"]].concat(),
        "/nonexistent/pool",
    );
}

#[test]
fn estimate_reads_the_real_billing_files() {
    let workshop = real("workshop-cur-2018-1*.snappy.parquet");
    let out = orgpool(&[
        "estimate",
        "--cur",
        &workshop,
        "--lookback-days",
        "60",
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let j: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(
        j["inputs"]["formats"],
        serde_json::json!(["legacy-parquet"])
    );
    assert!(
        j["savings_plans_eligible"]["on_demand_equivalent_cost"]
            .as_f64()
            .unwrap()
            > 0.0
    );
    let focus = orgpool(&["estimate", "--cur", &real("focus-1.0-sample.csv")]);
    assert_eq!(focus.status.code(), Some(0), "{}", stderr(&focus));
}

/// A bill with usage but none a commitment may cover (the legacy sample: S3
/// and KMS) is an answer of zero with a warning, not an error: its window is
/// the last 30 days of its usage, as DuckDB finds them, and it recommends
/// nothing.
#[test]
fn estimate_over_a_bill_with_nothing_eligible_is_zero_with_a_warning() {
    let legacy = real("legacy-cur-anonymized-2023-11.csv");
    let out = orgpool(&["estimate", "--cur", &legacy, "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("no usage that Savings Plans or RIs can cover"),
        "{}",
        stderr(&out)
    );
    let j: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let warned = j["inputs"]["warnings"].as_array().unwrap();
    assert!(
        warned.iter().any(|w| w
            .as_str()
            .is_some_and(|w| w.contains("nothing to buy, and the estimate is zero"))),
        "{warned:?}"
    );
    let from_csv = |expr: &str| {
        duckdb_scalar(&format!(
            "SELECT {expr} FROM read_csv('{legacy}', all_varchar = true) \
             WHERE \"lineItem/LineItemType\" IN ('Usage', 'SavingsPlanCoveredUsage', 'DiscountedUsage')"
        ))
    };
    // The oracle agrees nothing is eligible: no usage of a product a
    // commitment may cover.
    let eligible_lines = from_csv(
        "count(*) FILTER (WHERE \"lineItem/ProductCode\" IN \
         ('AmazonEC2', 'AmazonECS', 'AmazonEKS', 'AWSLambda', 'AmazonSageMaker', 'AmazonRDS'))",
    );
    assert_eq!(eligible_lines, 0.0);
    let last_hour =
        from_csv("epoch(date_trunc('hour', max(\"lineItem/UsageStartDate\"::TIMESTAMPTZ)))");
    let first_hour =
        from_csv("epoch(date_trunc('hour', min(\"lineItem/UsageStartDate\"::TIMESTAMPTZ)))");
    let end = last_hour + 3600.0;
    let start = first_hour.max(end - 30.0 * 86400.0);
    let epoch = |t: &serde_json::Value| {
        chrono::DateTime::parse_from_rfc3339(t.as_str().unwrap())
            .unwrap()
            .timestamp() as f64
    };
    assert_eq!(epoch(&j["window"]["end"]), end);
    assert_eq!(epoch(&j["window"]["start"]), start);
    assert_eq!(j["window"]["hours"].as_f64(), Some((end - start) / 3600.0));
    for field in [
        "on_demand_equivalent_cost",
        "covered_on_demand_equivalent_cost",
        "uncovered_on_demand_cost",
    ] {
        assert_eq!(
            j["savings_plans_eligible"][field].as_f64(),
            Some(0.0),
            "{field}"
        );
    }
    assert_eq!(j["current"]["commitment_cost"].as_f64(), Some(0.0));
    assert_eq!(j["recommendations"], serde_json::json!([]));
    assert_eq!(j["projected"]["savings_per_month"].as_f64(), Some(0.0));

    // The tables say the same, with a dash for every share of nothing; a
    // window outside the usage is still bad input.
    let md = orgpool(&["estimate", "--cur", &legacy, "--format", "markdown"]);
    assert_eq!(md.status.code(), Some(0), "{}", stderr(&md));
    let headline = markdown_section(&stdout(&md), "Savings estimate");
    let item = |name: &str| headline.iter().find(|r| r[0] == name).unwrap()[1].clone();
    assert_eq!(item("added savings per month"), "0.00");
    for share in [
        "coverage",
        "utilization",
        "effective savings rate now",
        "effective savings rate with the purchase",
    ] {
        assert_eq!(item(share), "-", "{share}");
    }
    // The recommendation and both baselines, each committing nothing.
    let backtest = markdown_section(&stdout(&md), "Backtest");
    let strategies: Vec<&str> = backtest[2..].iter().map(|r| r[0].as_str()).collect();
    assert_eq!(
        strategies,
        [
            "recommended",
            "baseline_min_hourly",
            "baseline_average_hourly"
        ]
    );
    for row in &backtest[2..] {
        assert_eq!(row[1..], ["0.00", "0.00", "-", "-"], "{row:?}");
    }
    assert_bad_input(
        &[
            "estimate",
            "--cur",
            &legacy,
            "--start",
            "2020-01-01T00:00:00Z",
            "--end",
            "2020-02-01T00:00:00Z",
        ],
        "no billing data between 2020-01-01 00:00 and 2020-02-01 00:00; the usage covers",
    );

    // Its tax lines alone: no usage at all is bad input.
    let dir = tempfile::tempdir().unwrap();
    let tax_only = dir.path().join("tax-only.csv");
    duckdb_execute(&format!(
        "COPY (SELECT * FROM read_csv('{legacy}', all_varchar = true) \
         WHERE \"lineItem/LineItemType\" = 'Tax') TO '{}' (HEADER)",
        tax_only.display()
    ));
    assert_bad_input(
        &["estimate", "--cur", tax_only.to_str().unwrap()],
        "the billing data hold no usage lines",
    );
}

/// `estimate --scan-only` (the bench's measure of reading alone) reads every
/// line of the export, as DuckDB counts them, caches nothing and estimates
/// nothing; a duplicate delivery is read once, as the estimate reads it.
#[test]
fn estimate_scan_only_reads_every_line_and_estimates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let workshop = real("workshop-cur-2018-1*.snappy.parquet");
    let out = orgpool_env(
        &["estimate", "--cur", &workshop, "--scan-only"],
        &[("ORGPOOL_CACHE_DIR", cache.to_string_lossy().into_owned())],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let j: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let lines = duckdb_scalar(&format!(
        "SELECT count(*) FROM read_parquet('{workshop}', union_by_name = true)"
    ));
    assert_eq!(j["lines"].as_f64(), Some(lines));
    assert!(j["seconds"].as_f64().is_some_and(|s| s > 0.0));
    assert!(j.get("recommendations").is_none());
    assert!(!cache.exists(), "the scan alone caches nothing");

    // The same October delivered twice: read once.
    let twice = dir.path().join("twice");
    for copy in ["a", "b"] {
        let part = twice.join(copy);
        std::fs::create_dir_all(&part).unwrap();
        std::fs::copy(
            real("workshop-cur-2018-10.snappy.parquet"),
            part.join("october.snappy.parquet"),
        )
        .unwrap();
    }
    let (a, b) = (twice.join("a"), twice.join("b"));
    let out = orgpool(&[
        "estimate",
        "--cur",
        a.to_str().unwrap(),
        b.to_str().unwrap(),
        "--scan-only",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let j: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let october = duckdb_scalar(&format!(
        "SELECT count(*) FROM read_parquet('{}')",
        real("workshop-cur-2018-10.snappy.parquet")
    ));
    assert_eq!(j["lines"].as_f64(), Some(october));
    assert!(stderr(&out).contains("delivered twice"), "{}", stderr(&out));
}

#[test]
fn estimate_caches_the_summary_where_told_and_only_when_allowed() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let workshop = real("workshop-cur-2018-1*.snappy.parquet");
    let entries = || std::fs::read_dir(&cache).map_or(0, |d| d.count());
    let run = |extra: &[&str], env: &[(&str, String)]| {
        let mut args = vec!["estimate", "--cur", &workshop, "--format", "json"];
        args.extend_from_slice(extra);
        let mut env = env.to_vec();
        env.push(("RUST_LOG", "info".to_owned()));
        let out = orgpool_env(&args, &env);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr(&out));
        let json: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
        (json, stderr(&out).contains("summary was read from"))
    };
    let dir_flag = cache.to_str().unwrap();

    // --no-cache reads nothing and writes nothing, even with the variable set.
    let (uncached, hit) = run(&["--no-cache"], &[("ORGPOOL_CACHE_DIR", dir_flag.into())]);
    assert!(!hit);
    assert_eq!(entries(), 0);
    // The first run with --cache-dir scans and stores; the second reads.
    let (first, hit) = run(&["--cache-dir", dir_flag], &[]);
    assert!(!hit);
    assert_eq!(entries(), 1);
    let (second, hit) = run(&["--cache-dir", dir_flag], &[]);
    assert!(hit, "the second run reads the cached summary");
    assert_eq!(entries(), 1);
    // Another term or window asks the same summary other questions.
    let (three_year, hit) = run(
        &[
            "--cache-dir",
            dir_flag,
            "--term",
            "3y",
            "--lookback-days",
            "45",
        ],
        &[],
    );
    assert!(hit);
    assert_eq!(three_year["window"]["hours"], 45 * 24);
    // ORGPOOL_CACHE_DIR names the folder when --cache-dir is not given.
    let (from_env, hit) = run(&[], &[("ORGPOOL_CACHE_DIR", dir_flag.into())]);
    assert!(hit);
    for j in [&first, &second, &from_env] {
        assert_json_close(&uncached, j, "estimate");
    }
    // --no-cache wins over --cache-dir too.
    let (_, hit) = run(&["--no-cache", "--cache-dir", dir_flag], &[]);
    assert!(!hit);
}

/// `estimate --org` names each account of the per-account breakdown as the
/// bundle does. The oracle is the export itself: a CUR 2.0 line names its
/// usage account too (`line_item_usage_account_name`), read here by DuckDB.
#[test]
fn estimate_names_the_accounts_as_the_org_bundle_and_the_export_do() {
    let dir = tempfile::tempdir().unwrap();
    generate_demo(dir.path(), 6, 1);
    let cur = dir.path().join("cur");
    let org = dir.path().join("org.json");
    let (cur_arg, org_arg) = (cur.to_str().unwrap(), org.to_str().unwrap());
    let in_export: std::collections::BTreeMap<String, String> = duckdb_rows(&format!(
        "SELECT DISTINCT line_item_usage_account_id, line_item_usage_account_name \
         FROM read_parquet('{}/**/*.parquet')",
        cur.display()
    ))
    .into_iter()
    .map(|r| (r[0].clone().unwrap(), r[1].clone().unwrap()))
    .collect();

    let named = json_of(&[
        "estimate", "--cur", cur_arg, "--org", org_arg, "--format", "json",
    ]);
    let accounts = named["breakdown"]["accounts"].as_array().unwrap();
    assert!(accounts.len() >= 3, "{accounts:?}");
    for a in accounts {
        let id = a["key"].as_str().unwrap();
        assert_eq!(a["name"].as_str(), Some(in_export[id].as_str()), "{id}");
    }
    // Without a bundle the accounts are unnamed, and nothing else changes.
    let unnamed = json_of(&["estimate", "--cur", cur_arg, "--format", "json"]);
    let mut expected = named.clone();
    for a in expected["breakdown"]["accounts"].as_array_mut().unwrap() {
        a["name"] = serde_json::Value::Null;
    }
    assert_json_close(&unnamed, &expected, "estimate without --org");

    // The table gains a name column beside the ID.
    let table = orgpool(&["estimate", "--cur", cur_arg, "--org", org_arg]);
    assert_eq!(table.status.code(), Some(0), "{}", stderr(&table));
    let text = stdout(&table);
    let first = accounts[0]["key"].as_str().unwrap();
    let line = text
        .lines()
        .find(|l| l.contains(first))
        .unwrap_or_else(|| panic!("no row for {first}: {text}"));
    assert!(line.contains(&in_export[first]), "{line}");
    assert!(text.contains("name"), "{text}");

    // A bundle that cannot be read is the user's input: exit 2, before any scan.
    let broken = dir.path().join("broken.json");
    std::fs::write(&broken, "{\"format\": ").unwrap();
    assert_bad_input(
        &[
            "estimate",
            "--cur",
            cur_arg,
            "--org",
            broken.to_str().unwrap(),
        ],
        "broken.json",
    );
    assert_bad_input(
        &[
            "estimate",
            "--cur",
            cur_arg,
            "--org",
            "/nonexistent/org.json",
        ],
        "cannot read /nonexistent/org.json",
    );
}

#[test]
fn estimate_bad_input_exits_2_and_says_why() {
    let dir = tempfile::tempdir().unwrap();
    let bad_rates = dir.path().join("rates.csv");
    std::fs::write(
        &bad_rates,
        "plan,term,payment,region,family,discount\ncompute_sp,1y,no_upfront,*,*,lots\n",
    )
    .unwrap();
    let workshop = real("workshop-cur-2018-10.snappy.parquet");
    // A month whose footer reads well over a page that does not decode.
    let damaged = dir.path().join("workshop-cur-2018-11.snappy.parquet");
    orgpool_testkit::corrupt_first_page(
        &real("workshop-cur-2018-11.snappy.parquet"),
        "line_item_unblended_cost",
        &damaged,
    );
    // A month whose unblended costs are all NaN, as Parquet may store them.
    let nan = dir.path().join("nan.parquet");
    duckdb_execute(&format!(
        "COPY (SELECT * REPLACE ('NaN'::DOUBLE AS line_item_unblended_cost) \
         FROM read_parquet('{workshop}')) TO '{}' (FORMAT parquet)",
        nan.display()
    ));
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec!["estimate", "--cur", "/nonexistent/cur"],
            "no such file",
        ),
        (
            vec!["estimate", "--cur", nan.to_str().unwrap()],
            "nan.parquet: column line_item_unblended_cost: NaN is not a finite number",
        ),
        (
            vec!["estimate", "--cur", &workshop, damaged.to_str().unwrap()],
            "workshop-cur-2018-11.snappy.parquet: not a readable Parquet file (corrupt data in its pages",
        ),
        (
            vec![
                "estimate",
                "--cur",
                &workshop,
                "--start",
                "2020-01-01",
                "--end",
                "2020-02-01",
            ],
            "no billing data between",
        ),
        (
            vec![
                "estimate",
                "--cur",
                &workshop,
                "--rates",
                bad_rates.to_str().unwrap(),
            ],
            "column discount",
        ),
        (
            vec!["estimate", "--cur", &workshop, "--plans", "magic_sp"],
            "unknown plan \"magic_sp\"; expected one of: rds_ri, ec2_instance_sp",
        ),
        (
            vec!["estimate", "--cur", &workshop, "--term", "5y"],
            "unknown term \"5y\"; expected one of: 1y, 3y",
        ),
        (
            vec!["estimate", "--cur", &workshop, "--payment", "monthly"],
            "unknown payment option \"monthly\"",
        ),
        (
            vec![
                "estimate",
                "--cur",
                &workshop,
                "--start",
                "2018-12-10",
                "--end",
                "2018-12-01",
            ],
            "--end (2018-12-01 00:00) must be after --start (2018-12-10 00:00)",
        ),
        (
            vec!["estimate", "--cur", &workshop, "--target-utilization", "2"],
            "fraction",
        ),
        (
            vec!["estimate", "--cur", &workshop, "--input-format", "xml"],
            "unknown input format",
        ),
    ];
    for (args, expected) in cases {
        assert_bad_input(&args, expected);
    }
}

/// Runs orgpool with extra environment variables.
fn orgpool_env(args: &[&str], env: &[(&str, String)]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_orgpool"))
        .args(args)
        .env_remove("RUST_LOG")
        .env_remove("ORGPOOL_FORMAT")
        .env_remove("AWS_PROFILE")
        .env("ORGPOOL_CACHE_DIR", test_cache_dir())
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .output()
        .expect("the binary runs")
}

#[test]
fn estimate_reads_s3_in_place_and_agrees_with_the_local_files() {
    let moto = orgpool_testkit::MotoServer::start();
    let dir = tempfile::tempdir().unwrap();
    let demo = dir.path().join("demo");
    generate_demo(&demo, 6, 1);
    let real_dir = Path::new(&real("README.md")).parent().unwrap().to_owned();
    let damaged = dir.path().join("damaged.parquet");
    orgpool_testkit::corrupt_first_page(
        &real("workshop-cur-2018-11.snappy.parquet"),
        "line_item_unblended_cost",
        &damaged,
    );
    // Upload the demo export as Data Exports lays it out, the three workshop
    // months, a gzip copy of the legacy CSV, one corrupt Parquet object, and
    // one whose footer reads well over a page that does not decode.
    let listed = moto.boto3(&format!(
        r#"
import boto3, gzip, os
s3 = boto3.client("s3", endpoint_url=os.environ["MOTO_ENDPOINT"])
s3.create_bucket(Bucket="orgpool-cur")
root = {demo:?}
for d, _, files in os.walk(os.path.join(root, "cur")):
    for f in files:
        full = os.path.join(d, f)
        s3.upload_file(full, "orgpool-cur", "exports/" + os.path.relpath(full, os.path.join(root, "cur")))
real = {real:?}
for m in ("10", "11", "12"):
    name = "workshop-cur-2018-%s.snappy.parquet" % m
    s3.upload_file(os.path.join(real, name), "orgpool-cur", "workshop/" + name)
with open(os.path.join(real, "legacy-cur-anonymized-2023-11.csv"), "rb") as f:
    s3.put_object(Bucket="orgpool-cur", Key="legacy/cur-2023-11.csv.gz", Body=gzip.compress(f.read()))
s3.put_object(Bucket="orgpool-cur", Key="broken/part-0.parquet", Body=b"PAR1 not really")
s3.upload_file({damaged:?}, "orgpool-cur", "damaged/part-0.parquet")
print(sum(1 for _ in s3.list_objects_v2(Bucket="orgpool-cur")["Contents"]))
"#,
        demo = demo.to_str().unwrap(),
        real = real_dir.to_str().unwrap(),
        damaged = damaged.to_str().unwrap()
    ));
    assert!(listed.trim().parse::<u32>().unwrap() >= 6, "{listed}");
    let env = moto.env();
    let endpoint = moto.endpoint.as_str();
    // The estimate of `input` in S3, with `extra` arguments, and whether its
    // summary was read from the cache.
    let estimate_with = |input: &str, extra: &[&str]| {
        let mut args = vec![
            "estimate",
            "--cur",
            input,
            "--endpoint-url",
            endpoint,
            "--lookback-days",
            "3660",
            "--format",
            "json",
        ];
        args.extend_from_slice(extra);
        let mut env = env.clone();
        env.push(("RUST_LOG", "info".to_owned()));
        let out = orgpool_env(&args, &env);
        assert_eq!(out.status.code(), Some(0), "{input}: {}", stderr(&out));
        let json = serde_json::from_str::<serde_json::Value>(&stdout(&out)).unwrap();
        (json, stderr(&out).contains("summary was read from"))
    };
    let estimate = |input: &str| estimate_with(input, &[]).0;
    let local = json_of(&[
        "estimate",
        "--cur",
        demo.join("cur").to_str().unwrap(),
        "--lookback-days",
        "3660",
        "--format",
        "json",
    ]);
    let remote = estimate("s3://orgpool-cur/exports");
    assert_eq!(remote["inputs"]["formats"], serde_json::json!(["cur2"]));
    assert_eq!(remote["window"], local["window"]);
    for part in ["savings_plans_eligible", "current", "recommendations"] {
        assert_json_close(&remote[part], &local[part], part);
    }

    // A glob over keys, and the README's figure for the three workshop months.
    let workshop = estimate("s3://orgpool-cur/workshop/workshop-cur-2018-1*.parquet");
    assert_eq!(workshop["inputs"]["files"], 3);
    let local_workshop = json_of(&[
        "estimate",
        "--cur",
        &real("workshop-cur-2018-1*.snappy.parquet"),
        "--lookback-days",
        "3660",
        "--format",
        "json",
    ]);
    assert_json_close(
        &workshop["savings_plans_eligible"],
        &local_workshop["savings_plans_eligible"],
        "workshop",
    );

    // The summary is cached by each object's ETag: asking again reads it,
    // and an object rewritten in place is read afresh.
    let cache = dir.path().join("s3-cache");
    let upload = |month: &str| {
        moto.boto3(&format!(
            r#"
import boto3, os
s3 = boto3.client("s3", endpoint_url=os.environ["MOTO_ENDPOINT"])
s3.upload_file({path:?}, "orgpool-cur", "rewritten/cur.snappy.parquet")
"#,
            path = real(&format!("workshop-cur-2018-{month}.snappy.parquet"))
        ));
    };
    let cached = || {
        estimate_with(
            "s3://orgpool-cur/rewritten/",
            &["--cache-dir", cache.to_str().unwrap()],
        )
    };
    let local_month = |month: &str| {
        json_of(&[
            "estimate",
            "--cur",
            &real(&format!("workshop-cur-2018-{month}.snappy.parquet")),
            "--lookback-days",
            "3660",
            "--format",
            "json",
            "--no-cache",
        ])
    };
    upload("10");
    let (first, hit) = cached();
    assert!(!hit);
    let (again, hit) = cached();
    assert!(hit, "the same objects: the cached summary");
    assert_json_close(&first, &again, "cached S3 estimate");
    upload("11");
    let (rewritten, hit) = cached();
    assert!(!hit, "a rewritten object has another ETag");
    let november = local_month("11");
    assert_eq!(rewritten["window"], november["window"]);
    assert_json_close(
        &rewritten["savings_plans_eligible"],
        &november["savings_plans_eligible"],
        "rewritten object",
    );

    // Gzip CSV in S3: only its first bytes are fetched to recognise it.
    let legacy = orgpool_env(
        &[
            "estimate",
            "--cur",
            "s3://orgpool-cur/legacy/",
            "--endpoint-url",
            endpoint,
            "--format",
            "json",
        ],
        &env,
    );
    // Its S3 and KMS usage: nothing eligible, an estimate of zero.
    assert_eq!(legacy.status.code(), Some(0), "{}", stderr(&legacy));
    let legacy: serde_json::Value = serde_json::from_str(&stdout(&legacy)).unwrap();
    assert_eq!(
        legacy["inputs"]["formats"],
        serde_json::json!(["legacy-csv"])
    );
    assert!(legacy["window"]["hours"].as_f64().is_some_and(|h| h > 0.0));

    // Bad S3 input: exit 2 with the address and the reason.
    let cases: [(&str, &str); 5] = [
        ("s3://no-such-bucket/x", "s3://no-such-bucket/x"),
        (
            "s3://orgpool-cur/damaged/",
            "s3://orgpool-cur/damaged/part-0.parquet: not a readable Parquet file (corrupt data in its pages",
        ),
        ("s3://orgpool-cur/nothing-here/", "no billing objects"),
        (
            "s3://orgpool-cur/broken/",
            "s3://orgpool-cur/broken/part-0.parquet: not a readable Parquet file",
        ),
        ("s3://Not_A_Bucket/x", "not an S3 bucket name"),
    ];
    for (input, expected) in cases {
        let out = orgpool_env(
            &["estimate", "--cur", input, "--endpoint-url", endpoint],
            &env,
        );
        assert_eq!(out.status.code(), Some(2), "{input}: {}", stderr(&out));
        assert!(stderr(&out).contains(expected), "{input}: {}", stderr(&out));
    }
}

#[test]
fn s3_credentials_come_from_the_standard_chain() {
    let moto = orgpool_testkit::MotoServer::start();
    moto.boto3(
        r#"
import boto3, os
s3 = boto3.client("s3", endpoint_url=os.environ["MOTO_ENDPOINT"])
s3.create_bucket(Bucket="chain-test")
"#,
    );
    let dir = tempfile::tempdir().unwrap();
    let credentials = dir.path().join("credentials");
    std::fs::write(
        &credentials,
        "[billing]\naws_access_key_id = AKIDPROFILE\naws_secret_access_key = profile-secret\n",
    )
    .unwrap();
    let mut env: Vec<(&str, String)> = moto
        .env()
        .into_iter()
        .filter(|(k, _)| !k.starts_with("AWS_ACCESS") && !k.starts_with("AWS_SECRET"))
        .filter(|(k, _)| *k != "AWS_SHARED_CREDENTIALS_FILE")
        .collect();
    env.push((
        "AWS_SHARED_CREDENTIALS_FILE",
        credentials.to_string_lossy().into_owned(),
    ));
    let args = |profile: &'static str| {
        vec![
            "estimate",
            "--cur",
            "s3://chain-test/cur/",
            "--endpoint-url",
            &moto.endpoint,
            "--profile",
            profile,
        ]
        .into_iter()
        .map(str::to_owned)
        .collect::<Vec<_>>()
    };
    // The profile's keys sign the request: the bucket is reached (and is empty).
    let with_profile = args("billing");
    let refs: Vec<&str> = with_profile.iter().map(String::as_str).collect();
    let out = orgpool_env(&refs, &env);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("no billing objects"),
        "{}",
        stderr(&out)
    );
    // A profile that does not exist: no credentials, said plainly.
    let missing = args("nobody");
    let refs: Vec<&str> = missing.iter().map(String::as_str).collect();
    let out = orgpool_env(&refs, &env);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("credentials"), "{}", stderr(&out));
}

#[test]
fn discover_writes_a_bundle_that_org_show_prints_as_a_tree() {
    let moto = orgpool_testkit::MotoServer::start();
    moto.boto3(
        r#"
import boto3, json, os
org = boto3.client("organizations", endpoint_url=os.environ["MOTO_ENDPOINT"])
org.create_organization(FeatureSet="ALL")
root = org.list_roots()["Roots"][0]["Id"]
prod = org.create_organizational_unit(ParentId=root, Name="Prod")["OrganizationalUnit"]["Id"]
acct = org.create_account(Email="p@example.com", AccountName="payments")["CreateAccountStatus"]["AccountId"]
org.move_account(AccountId=acct, SourceParentId=root, DestinationParentId=prod)
scp = org.create_policy(Content=json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "organizations:LeaveOrganization", "Resource": "*"}]}),
    Description="", Name="DenyLeave", Type="SERVICE_CONTROL_POLICY")["Policy"]["PolicySummary"]["Id"]
org.attach_policy(PolicyId=scp, TargetId=prod)
org.register_delegated_administrator(AccountId=acct, ServicePrincipal="guardduty.amazonaws.com")
s3 = boto3.client("s3", endpoint_url=os.environ["MOTO_ENDPOINT"])
s3.create_bucket(Bucket="shared-by-org")
s3.put_bucket_policy(Bucket="shared-by-org", Policy=json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
    "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::shared-by-org/*",
    "Condition": {"StringEquals": {"aws:PrincipalOrgID": org.describe_organization()["Organization"]["Id"]}}}]}))
iam = boto3.client("iam", endpoint_url=os.environ["MOTO_ENDPOINT"])
iam.create_policy(PolicyName="data-perimeter", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Deny",
    "Action": "s3:*", "Resource": "*",
    "Condition": {"StringNotEqualsIfExists": {"aws:ResourceOrgID": org.describe_organization()["Organization"]["Id"]}}}]}))
"#,
    );
    let dir = tempfile::tempdir().unwrap();
    let bundle = dir.path().join("org.json");
    let env = moto.env();
    let out = orgpool_env(
        &[
            "discover",
            "--out",
            bundle.to_str().unwrap(),
            "--endpoint-url",
            &moto.endpoint,
            "--region",
            "us-east-1",
            "--format",
            "json",
        ],
        &env,
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let summary: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(summary["counts"]["accounts"], 2);
    // By default every enabled region is read; moto cannot list them, so the
    // gap says so and the configured region is read.
    assert_eq!(summary["regions"], serde_json::json!(["us-east-1"]));
    assert_eq!(
        summary["counts"]["resource_policies"], 1,
        "the bucket shared by organization: {}",
        summary["counts"]
    );
    let gaps = summary["gaps"].as_array().unwrap();
    assert!(
        gaps.iter().any(|g| g["api"] == "account:ListRegions"),
        "{gaps:?}"
    );
    assert_eq!(
        summary["counts"]["identity_policies"], 1,
        "the data perimeter: {}",
        summary["counts"]
    );
    assert_eq!(summary["counts"]["organizational_units"], 1);
    assert!(summary["api_calls"].as_u64().unwrap() > 5);

    // Told to skip identity policies: none kept, and a gap says they were
    // not read.
    let skipped = dir.path().join("skipped.json");
    let out = orgpool_env(
        &[
            "discover",
            "--out",
            skipped.to_str().unwrap(),
            "--endpoint-url",
            &moto.endpoint,
            "--region",
            "us-east-1",
            "--no-identity-policies",
            "--format",
            "json",
        ],
        &env,
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let summary: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(summary["counts"]["identity_policies"], 0);
    assert!(
        summary["gaps"]
            .as_array()
            .unwrap()
            .iter()
            .any(|g| g["api"] == "iam:GetAccountAuthorizationDetails"),
        "{}",
        summary["gaps"]
    );

    let tree = json_of(&["org", "show", bundle.to_str().unwrap(), "--format", "json"]);
    let prod = &tree["roots"][0]["organizational_units"][0];
    assert_eq!(prod["name"], "Prod");
    let policies = prod["policies"].as_array().unwrap();
    assert!(policies.contains(&"DenyLeave".into()), "{policies:?}");
    assert_eq!(prod["accounts"][0]["name"], "payments");
    assert_eq!(
        prod["accounts"][0]["delegated_admin_for"],
        serde_json::json!(["guardduty.amazonaws.com"])
    );
    let table = orgpool(&["org", "show", bundle.to_str().unwrap()]);
    assert_eq!(table.status.code(), Some(0));
    let text = stdout(&table);
    assert!(text.contains("└ Prod"), "{text}");
    assert!(text.contains("· payments"), "{text}");
    assert!(text.contains("guardduty.amazonaws.com"), "{text}");

    // The runbook's last check: discover again and compare. Unchanged, the
    // organization lost nothing (exit 0). Then the SCP is detached from Prod
    // and the data perimeter deleted: the comparison names both (exit 1).
    let same = orgpool(&[
        "org",
        "diff",
        bundle.to_str().unwrap(),
        bundle.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(same.status.code(), Some(0), "{}", stderr(&same));
    let report: serde_json::Value = serde_json::from_str(&stdout(&same)).unwrap();
    assert_eq!(report["nothing_lost"], true);
    assert_eq!(report["compared"]["account"], 2);
    moto.boto3(
        r#"
import boto3, os
ep = os.environ["MOTO_ENDPOINT"]
org = boto3.client("organizations", endpoint_url=ep)
policy = [p["Id"] for p in org.list_policies(Filter="SERVICE_CONTROL_POLICY")["Policies"] if p["Name"] == "DenyLeave"][0]
for t in org.list_targets_for_policy(PolicyId=policy)["Targets"]:
    org.detach_policy(PolicyId=policy, TargetId=t["TargetId"])
iam = boto3.client("iam", endpoint_url=ep)
arn = [p["Arn"] for p in iam.list_policies(Scope="Local")["Policies"] if p["PolicyName"] == "data-perimeter"][0]
iam.delete_policy(PolicyArn=arn)
"#,
    );
    let after = dir.path().join("after.json");
    let out = orgpool_env(
        &[
            "discover",
            "--out",
            after.to_str().unwrap(),
            "--endpoint-url",
            &moto.endpoint,
            "--region",
            "us-east-1",
        ],
        &env,
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let diff = orgpool(&[
        "org",
        "diff",
        bundle.to_str().unwrap(),
        after.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(diff.status.code(), Some(1), "{}", stderr(&diff));
    let report: serde_json::Value = serde_json::from_str(&stdout(&diff)).unwrap();
    assert_eq!(report["nothing_lost"], false);
    assert_eq!(
        report["changed"],
        serde_json::json!([{"change": "changed", "kind": "policy", "key": "SERVICE_CONTROL_POLICY/DenyLeave", "fields": ["targets"]}])
    );
    let lost = report["lost"].as_array().unwrap();
    assert_eq!(lost.len(), 1, "{lost:?}");
    assert_eq!(lost[0]["kind"], "identity_policy");
    assert!(
        lost[0]["key"]
            .as_str()
            .unwrap()
            .ends_with(":policy/data-perimeter"),
        "{lost:?}"
    );
    assert_eq!(report["unverified"], serde_json::json!([]));
    let table = stdout(&orgpool(&[
        "org",
        "diff",
        bundle.to_str().unwrap(),
        after.to_str().unwrap(),
    ]));
    assert!(table.contains("LOST OR CHANGED ITEMS"), "{table}");
    assert_bad_input(
        &[
            "org",
            "diff",
            bundle.to_str().unwrap(),
            "/nonexistent/after.json",
        ],
        "/nonexistent/after.json",
    );

    // The least-privilege policy: read-only actions, and AssumeRole only on
    // the member role.
    let policy = json_of(&["discover", "--print-policy", "--member-role", "Auditor"]);
    assert_eq!(policy["Statement"][1]["Action"], "sts:AssumeRole");
    assert_eq!(
        policy["Statement"][1]["Resource"],
        "arn:aws:iam::*:role/Auditor"
    );
    let actions = policy["Statement"][0]["Action"].as_array().unwrap();
    assert!(actions.len() >= 10);
    for a in actions {
        let name = a.as_str().unwrap().split(':').nth(1).unwrap();
        assert!(
            ["Describe", "List", "Get"]
                .iter()
                .any(|p| name.starts_with(p)),
            "{name} is not read-only"
        );
    }

    // Credentials that are not a management account's: exit 2, said plainly.
    let fresh = orgpool_testkit::MotoServer::start();
    let out = orgpool_env(
        &[
            "discover",
            "--out",
            dir.path().join("none.json").to_str().unwrap(),
            "--endpoint-url",
            &fresh.endpoint,
            "--region",
            "us-east-1",
        ],
        &fresh.env(),
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("DescribeOrganization"),
        "{}",
        stderr(&out)
    );
    assert!(!dir.path().join("none.json").exists());
}

#[test]
fn org_show_refuses_bad_bundles_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let demo = dir.path().join("demo");
    generate_demo(&demo, 5, 1);
    let good = demo.join("org.json");
    let shown = json_of(&["org", "show", good.to_str().unwrap(), "--format", "json"]);
    assert_eq!(shown["schema_version"], 1);
    let original: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&good).unwrap()).unwrap();
    let mut cases: Vec<(String, serde_json::Value, &str)> = Vec::new();
    let mut v = original.clone();
    v["version"] = 99.into();
    cases.push(("version.json".into(), v, "unsupported bundle format"));
    let mut v = original.clone();
    let first = v["accounts"][0].clone();
    v["accounts"].as_array_mut().unwrap().push(first);
    cases.push(("dup.json".into(), v, "duplicate id"));
    let mut v = original.clone();
    let ous = v["organizational_units"].as_array_mut().unwrap();
    assert!(ous.len() >= 2, "the demo has OUs to loop");
    let (a, b) = (ous[0]["id"].clone(), ous[1]["id"].clone());
    ous[0]["parent_id"] = b;
    ous[1]["parent_id"] = a;
    cases.push(("cycle.json".into(), v, "cycle"));
    let mut v = original.clone();
    v["accounts"][0]["parent_id"] = "ou-zzzz-nowhere1".into();
    cases.push(("parent.json".into(), v, "unknown parent"));
    let mut v = original.clone();
    v["accounts"][0]["status"] = "HAPPY".into();
    cases.push(("schema.json".into(), v, "not a valid org bundle"));
    cases.push((
        "array.json".into(),
        serde_json::json!([original.clone()]),
        "not a valid org bundle: a bundle is a JSON object, not an array",
    ));
    cases.push((
        "null.json".into(),
        serde_json::Value::Null,
        "not a valid org bundle: a bundle is a JSON object, not null",
    ));
    let mut v = original.clone();
    v["organization"]["id"] = "o-NOT_VALID".into();
    cases.push((
        "pattern.json".into(),
        v,
        "schema violation at /organization/id",
    ));
    for (name, value, expected) in cases {
        let path = dir.path().join(&name);
        std::fs::write(&path, value.to_string()).unwrap();
        let out = orgpool(&["org", "show", path.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(2), "{name}: {}", stderr(&out));
        assert!(stderr(&out).contains(expected), "{name}: {}", stderr(&out));
        assert!(stderr(&out).contains(&name), "{name}: {}", stderr(&out));
        // The reason once, not again as its own cause.
        assert_eq!(
            stderr(&out).replace(&name, "").matches(expected).count(),
            1,
            "{name}: {}",
            stderr(&out)
        );
    }
    let truncated = dir.path().join("cut.json");
    let text = std::fs::read_to_string(&good).unwrap();
    std::fs::write(&truncated, &text[..text.len() / 2]).unwrap();
    let out = orgpool(&["org", "show", truncated.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let empty = dir.path().join("empty.json");
    std::fs::write(&empty, "").unwrap();
    assert_eq!(
        orgpool(&["org", "show", empty.to_str().unwrap()])
            .status
            .code(),
        Some(2)
    );
    // A path that does not exist is the user's input too: exit 2, with the
    // cause once, after the file.
    let missing = orgpool(&["org", "show", "/nonexistent/org.json"]);
    assert_eq!(missing.status.code(), Some(2));
    assert_eq!(
        stderr(&missing).trim(),
        "error: cannot read /nonexistent/org.json: No such file or directory (os error 2)"
    );
}

#[test]
fn the_onboarding_template_deploys_a_role_with_external_id_and_the_policy() {
    let out = orgpool(&["onboarding-template"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let dir = tempfile::tempdir().unwrap();
    let template = dir.path().join("role.json");
    std::fs::write(&template, stdout(&out)).unwrap();
    let policy = json_of(&["discover", "--print-policy"]);
    let moto = orgpool_testkit::MotoServer::start();
    // Deploy it with CloudFormation (moto's), then read the role back with IAM.
    let role = moto.boto3(&format!(
        r#"
import boto3, json, os
ep = os.environ["MOTO_ENDPOINT"]
cfn = boto3.client("cloudformation", endpoint_url=ep)
cfn.create_stack(StackName="orgpool", TemplateBody=open({template:?}).read(), Capabilities=["CAPABILITY_NAMED_IAM"],
    Parameters=[{{"ParameterKey": "TrustedPrincipalArn", "ParameterValue": "arn:aws:iam::111122223333:root"}},
                {{"ParameterKey": "ExternalId", "ParameterValue": "s3cret-id"}}])
stack = cfn.describe_stacks(StackName="orgpool")["Stacks"][0]
assert stack["StackStatus"] == "CREATE_COMPLETE", stack["StackStatus"]
iam = boto3.client("iam", endpoint_url=ep)
r = iam.list_roles()["Roles"]
r = [x for x in r if x["RoleName"] == "OrgpoolDiscoveryReadOnly"][0]
names = iam.list_role_policies(RoleName="OrgpoolDiscoveryReadOnly")["PolicyNames"]
doc = iam.get_role_policy(RoleName="OrgpoolDiscoveryReadOnly", PolicyName=names[0])["PolicyDocument"]
if isinstance(doc, str):  # moto keeps a template's inline policy as Python's repr
    import ast
    doc = ast.literal_eval(doc)
print(json.dumps({{"trust": r["AssumeRolePolicyDocument"], "policy": doc,
                  "output": stack["Outputs"][0]["OutputValue"]}}))
"#,
        template = template.to_str().unwrap()
    ));
    let role: serde_json::Value = serde_json::from_str(&role).unwrap();
    let statement = &role["trust"]["Statement"][0];
    assert_eq!(
        statement["Principal"]["AWS"],
        "arn:aws:iam::111122223333:root"
    );
    assert_eq!(
        statement["Condition"]["StringEquals"]["sts:ExternalId"],
        "s3cret-id"
    );
    assert_eq!(role["policy"], policy);
    assert!(
        role["output"]
            .as_str()
            .unwrap()
            .ends_with(":role/OrgpoolDiscoveryReadOnly")
    );
}

#[test]
fn org_from_cli_builds_a_bundle_from_saved_outputs() {
    let dir = tempfile::tempdir().unwrap();
    let saved = dir.path().join("exports");
    std::fs::create_dir(&saved).unwrap();
    let write = |name: &str, body: serde_json::Value| {
        std::fs::write(saved.join(name), body.to_string()).unwrap();
    };
    write(
        "describe-organization.json",
        serde_json::json!({"Organization": {"Id": "o-abcdefghij", "Arn": "arn:aws:organizations::111111111111:organization/o-abcdefghij",
            "FeatureSet": "ALL", "MasterAccountId": "111111111111", "MasterAccountEmail": "root@example.com"}}),
    );
    write(
        "list-roots.json",
        serde_json::json!({"Roots": [{"Id": "r-ab12", "Name": "Root", "PolicyTypes": []}]}),
    );
    write(
        "list-organizational-units-for-parent-r-ab12.json",
        serde_json::json!({"OrganizationalUnits": []}),
    );
    write(
        "list-accounts-for-parent-r-ab12.json",
        serde_json::json!({"Accounts": [
            {"Id": "111111111111", "Name": "mgmt", "Email": "root@example.com", "State": "ACTIVE",
             "JoinedMethod": "CREATED", "JoinedTimestamp": "2024-03-01T10:00:00.000000+00:00"},
            {"Id": "222222222222", "Name": "closed", "Email": "c@example.com", "State": "SUSPENDED",
             "JoinedMethod": "INVITED", "JoinedTimestamp": 1709287200.5}]}),
    );
    let bundle = json_of(&["org", "from-cli", saved.to_str().unwrap()]);
    assert_eq!(bundle["format"], "orgpool.org-bundle");
    assert_eq!(bundle["source"]["kind"], "cli_exports");
    assert_eq!(bundle["accounts"][1]["status"], "SUSPENDED");
    assert_eq!(bundle["accounts"][1]["state"], "SUSPENDED");
    assert_eq!(bundle["accounts"][1]["joined_method"], "INVITED");
    assert_eq!(
        bundle["accounts"][0]["joined_timestamp"],
        "2024-03-01T10:00:00Z"
    );
    // Optional files not saved are gaps, not errors.
    assert!(!bundle["gaps"].as_array().unwrap().is_empty());
    // The active account's saved resource policies: a bucket shared with the
    // organization is kept; its regions' folder holds every listing.
    let account = saved.join("resource-policies/111111111111");
    std::fs::create_dir_all(account.join("us-east-1")).unwrap();
    let save = |name: &str, body: serde_json::Value| {
        std::fs::write(account.join(name), body.to_string()).unwrap();
    };
    save(
        "s3api-list-buckets.json",
        serde_json::json!({"Buckets": [{"Name": "shared-artifacts"}]}),
    );
    save(
        "s3api-get-bucket-location-shared-artifacts.json",
        serde_json::json!({"LocationConstraint": "eu-central-1"}),
    );
    let org_only = serde_json::json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::shared-artifacts/*",
        "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-abcdefghij"}}}]});
    save(
        "s3api-get-bucket-policy-shared-artifacts.json",
        serde_json::json!({"Policy": org_only.to_string()}),
    );
    for (name, list) in [
        ("kms-list-keys", "Keys"),
        ("sns-list-topics", "Topics"),
        ("lambda-list-functions", "Functions"),
        ("events-list-event-buses", "EventBuses"),
        ("ecr-describe-repositories", "repositories"),
        ("secretsmanager-list-secrets", "SecretList"),
    ] {
        save(
            &format!("us-east-1/{name}.json"),
            serde_json::json!({ list: [] }),
        );
    }
    std::fs::write(account.join("us-east-1/sqs-list-queues.json"), "").unwrap();
    let out_path = dir.path().join("org.json");
    let out = orgpool(&[
        "org",
        "from-cli",
        saved.to_str().unwrap(),
        "--out",
        out_path.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let summary = String::from_utf8_lossy(&out.stdout);
    assert!(summary.contains("1 resource policies"), "{summary}");
    let written: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out_path).unwrap()).unwrap();
    let kept = &written["resource_policies"][0];
    assert_eq!(kept["arn"], "arn:aws:s3:::shared-artifacts");
    assert_eq!(kept["region"], "eu-central-1");
    assert!(
        !written["gaps"]
            .as_array()
            .unwrap()
            .iter()
            .any(|g| g["api"].as_str().unwrap().starts_with("s3:")),
        "nothing of S3 is missing: {}",
        written["gaps"]
    );
    let shown = json_of(&[
        "org",
        "show",
        out_path.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(shown["roots"][0]["accounts"].as_array().unwrap().len(), 2);

    std::fs::write(saved.join("list-roots.json"), "not json").unwrap();
    let out = orgpool(&["org", "from-cli", saved.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("list-roots.json: not JSON"),
        "{}",
        stderr(&out)
    );
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let out = orgpool(&["org", "from-cli", empty.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("describe-organization.json"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn assess_on_demo_data_decides_explains_and_measures_activity_like_duckdb() {
    let dir = tempfile::tempdir().unwrap();
    generate_demo(dir.path(), 16, 3);
    let org = dir.path().join("org.json");
    let cur = dir.path().join("cur");
    let (org, cur) = (org.to_str().unwrap(), cur.to_str().unwrap());
    let j = json_of(&["assess", "--org", org, "--cur", cur, "--format", "json"]);
    assert_eq!(j["schema_version"], 1);
    // The demo organization uses Identity Center and shares a VPC: keep it whole.
    assert_eq!(j["recommendation"], "import_whole");
    let rules: Vec<&str> = j["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["rule"].as_str().unwrap())
        .collect();
    assert!(
        rules.contains(&"sso_in_use") && rules.contains(&"ram_shares"),
        "{rules:?}"
    );
    assert_eq!(j["activity"]["known"], true);
    let accounts = j["accounts"].as_array().unwrap();
    assert_eq!(accounts.len(), 16);
    // Each account's usage spend over the last 30 days, independently in DuckDB.
    let usage = format!(
        "WITH u AS (SELECT line_item_usage_account_id AS a, date_trunc('hour', line_item_usage_start_date) AS h, \
           CASE line_item_line_item_type WHEN 'SavingsPlanCoveredUsage' THEN savings_plan_savings_plan_effective_cost \
                WHEN 'DiscountedUsage' THEN reservation_effective_cost ELSE line_item_unblended_cost END AS c \
           FROM read_parquet('{cur}/**/*.parquet') \
           WHERE line_item_line_item_type IN ('Usage', 'SavingsPlanCoveredUsage', 'DiscountedUsage')), \
         b AS (SELECT max(h) + INTERVAL 1 HOUR AS e FROM u) \
         SELECT COALESCE(sum(c), 0) FROM u, b WHERE h >= e - INTERVAL 30 DAY AND h < e"
    );
    let mut active = 0;
    for a in accounts {
        let id = a["id"].as_str().unwrap();
        let duck = duckdb_scalar(&format!("{usage} AND a = '{id}'"));
        let ours = a["usage_cost"].as_f64().unwrap();
        assert!(
            (ours - duck).abs() <= 0.006,
            "{id}: {ours} vs DuckDB {duck}"
        );
        assert_eq!(a["active"], ours > 10.0 && a["status"] == "ACTIVE", "{id}");
        active += usize::from(a["active"] == true);
    }
    assert_eq!(j["activity"]["active_accounts"], active);
    for key in ["area", "severity", "title", "evidence", "remediation"] {
        assert!(j["impacts"][0].get(key).is_some(), "impacts[].{key}");
    }
    assert!(
        j["runbook"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["action"] == "create_billing_group")
    );

    // The same decision in every format.
    let md = stdout(&orgpool(&[
        "assess", "--org", org, "--cur", cur, "--format", "markdown",
    ]));
    assert!(
        md.contains("**Recommendation: `import_whole`**")
            && md.contains("## Runbook: import_whole"),
        "{md}"
    );
    let html = stdout(&orgpool(&[
        "assess", "--org", org, "--cur", cur, "--format", "html",
    ]));
    assert!(
        html.starts_with("<!doctype html>")
            && html.contains("data-recommendation=\"import_whole\"")
    );
    let table = stdout(&orgpool(&["assess", "--org", org, "--cur", cur]));
    assert!(
        table.contains("recommendation import_whole") && table.contains("Runbook: import_whole"),
        "{table}"
    );

    // A threshold above every account's spend leaves none active.
    let idle = json_of(&[
        "assess",
        "--org",
        org,
        "--cur",
        cur,
        "--active-threshold",
        "1000000000",
        "--format",
        "json",
    ]);
    assert_eq!(idle["activity"]["active_accounts"], 0);
    // The user may plan the other path: the runbook follows, the recommendation stays.
    let forced = json_of(&[
        "assess", "--org", org, "--cur", cur, "--path", "break_up", "--format", "json",
    ]);
    assert_eq!(
        (
            forced["recommendation"].as_str(),
            forced["planned_path"].as_str()
        ),
        (Some("import_whole"), Some("break_up"))
    );
    let actions: Vec<&str> = forced["runbook"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["action"].as_str().unwrap())
        .collect();
    for required in [
        "deregister_delegated_admin",
        "create_account_trail",
        "share_explicitly",
        "leave_organization",
        "accept_payer_invitation",
    ] {
        assert!(
            actions.contains(&required),
            "{required} missing: {actions:?}"
        );
    }
}

#[test]
fn assess_without_billing_data_says_activity_is_unknown() {
    let dir = tempfile::tempdir().unwrap();
    generate_demo(dir.path(), 4, 1);
    let org = dir.path().join("org.json");
    let j = json_of(&["assess", "--org", org.to_str().unwrap(), "--format", "json"]);
    assert_eq!(j["activity"]["known"], false);
    assert!(j["activity"]["note"].as_str().unwrap().contains("unknown"));
    assert!(
        j["accounts"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["active"].is_null() && a["usage_cost"].is_null())
    );
}

#[test]
fn assess_reads_the_real_billing_files_for_activity() {
    let dir = tempfile::tempdir().unwrap();
    generate_demo(dir.path(), 4, 1);
    let org = dir.path().join("org.json");
    for file in [
        "workshop-cur-2018-1*.snappy.parquet",
        "legacy-cur-anonymized-2023-11.csv",
        "focus-1.0-sample.csv",
    ] {
        let j = json_of(&[
            "assess",
            "--org",
            org.to_str().unwrap(),
            "--cur",
            &real(file),
            "--format",
            "json",
        ]);
        assert_eq!(j["activity"]["known"], true, "{file}");
        // None of those accounts are in the demo organization: the report names them.
        assert!(
            !j["activity"]["unknown_account_ids"]
                .as_array()
                .unwrap()
                .is_empty(),
            "{file}"
        );
    }
}

#[test]
fn assess_bad_input_exits_2_naming_what_is_wrong() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope.json");
    let broken = dir.path().join("broken.json");
    std::fs::write(
        &broken,
        "{\"format\": \"orgpool.org-bundle\", \"version\": 1, \"organ",
    )
    .unwrap();
    generate_demo(dir.path(), 3, 1);
    let org = dir.path().join("org.json");
    let empty_cur = dir.path().join("empty");
    std::fs::create_dir(&empty_cur).unwrap();
    let cases: [(Vec<&str>, &str); 5] = [
        (
            vec!["assess", "--org", missing.to_str().unwrap()],
            "nope.json",
        ),
        (
            vec!["assess", "--org", broken.to_str().unwrap()],
            "broken.json",
        ),
        (
            vec![
                "assess",
                "--org",
                org.to_str().unwrap(),
                "--cur",
                empty_cur.to_str().unwrap(),
            ],
            "empty",
        ),
        (
            vec![
                "assess",
                "--org",
                org.to_str().unwrap(),
                "--active-threshold=-3",
            ],
            "--active-threshold",
        ),
        (
            vec![
                "assess",
                "--org",
                org.to_str().unwrap(),
                "--path",
                "sideways",
            ],
            "--path",
        ),
    ];
    for (args, expected) in cases {
        assert_bad_input(&args, expected);
    }
}

#[test]
fn billing_plan_groups_the_demo_org_and_its_template_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    generate_demo(dir.path(), 12, 1);
    let org = dir.path().join("org.json");
    let bundle: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&org).unwrap()).unwrap();
    let active: Vec<&str> = bundle["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["status"] == "ACTIVE")
        .map(|a| a["id"].as_str().unwrap())
        .collect();
    for by in ["ou", "org"] {
        let j = json_of(&[
            "billing",
            "plan",
            "--org",
            org.to_str().unwrap(),
            "--by",
            by,
            "--format",
            "json",
        ]);
        assert_eq!(j["schema_version"], 1);
        let groups = j["billing_groups"].as_array().unwrap();
        let mut placed: Vec<&str> = Vec::new();
        for g in groups {
            for field in ["name", "primary_account", "accounts", "pricing_plan"] {
                assert!(!g[field].is_null(), "{by}: {field}");
            }
            let accounts: Vec<&str> = g["accounts"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a.as_str().unwrap())
                .collect();
            assert!(accounts.contains(&g["primary_account"].as_str().unwrap()));
            placed.extend(accounts);
        }
        placed.sort_unstable();
        let mut want = active.clone();
        want.sort_unstable();
        assert_eq!(placed, want, "{by}: every active account exactly once");
        if by == "org" {
            assert_eq!(groups.len(), 1);
        }
    }
    let plan = dir.path().join("plan.json");
    let out = orgpool(&[
        "billing",
        "plan",
        "--org",
        org.to_str().unwrap(),
        "--by",
        "ou",
        "--depth",
        "2",
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    std::fs::write(&plan, &out.stdout).unwrap();
    let table = stdout(&orgpool(&[
        "billing",
        "plan",
        "--org",
        org.to_str().unwrap(),
        "--by",
        "ou",
        "--depth",
        "2",
    ]));
    assert!(
        table.contains("Production-Workloads") && table.contains("public-rates"),
        "{table}"
    );
    let out = orgpool(&[
        "billing",
        "cloudformation",
        "--plan",
        plan.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let template: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let plan_json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&plan).unwrap()).unwrap();
    let groups_in_template = template["Resources"]
        .as_object()
        .unwrap()
        .values()
        .filter(|r| r["Type"] == "AWS::BillingConductor::BillingGroup")
        .count();
    assert_eq!(
        groups_in_template,
        plan_json["billing_groups"].as_array().unwrap().len()
    );
}

#[test]
fn billing_bad_input_exits_2_naming_the_file_and_what_is_wrong() {
    let dir = tempfile::tempdir().unwrap();
    generate_demo(dir.path(), 4, 1);
    let org = dir.path().join("org.json");
    let org = org.to_str().unwrap();
    let write = |name: &str, text: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p.to_str().unwrap().to_owned()
    };
    let typo = write("typo.yaml", "pricing_plans:\n  - name: p\n    rulez: []\n");
    let tiering = write(
        "tiering.yaml",
        "pricing_plans:\n  - name: p\n    rules:\n      - {name: t, scope: SERVICE, service: AmazonEC2, type: TIERING, free_tier: false}\ndefault_pricing_plan: p\n",
    );
    let undefined = write("undefined.yaml", "default_pricing_plan: gold\n");
    let empty = write("empty.yaml", "");
    let map = write("map.csv", "account_id,billing_group\n999999999999,a\n");
    let plan = write("plan.json", "{\"schema_version\": 1, \"billing_groups\": [");
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec![
                "billing",
                "plan",
                "--org",
                org,
                "--by",
                "ou",
                "--pricing-plan",
                &typo,
            ],
            "rulez",
        ),
        (
            vec![
                "billing",
                "plan",
                "--org",
                org,
                "--by",
                "ou",
                "--pricing-plan",
                &tiering,
            ],
            "TIERING rules are GLOBAL only",
        ),
        (
            vec![
                "billing",
                "plan",
                "--org",
                org,
                "--by",
                "ou",
                "--pricing-plan",
                &undefined,
            ],
            "pricing plan \"gold\" is not defined",
        ),
        (
            vec![
                "billing",
                "plan",
                "--org",
                org,
                "--by",
                "ou",
                "--pricing-plan",
                &empty,
            ],
            "empty.yaml: empty",
        ),
        (
            vec![
                "billing", "plan", "--org", org, "--by", "file", "--map", &map,
            ],
            "map.csv:2",
        ),
        (
            vec!["billing", "plan", "--org", org, "--by", "file"],
            "--map",
        ),
        (
            vec![
                "billing",
                "plan",
                "--org",
                org,
                "--by",
                "ou",
                "--pricing-plan",
                "/nonexistent.yaml",
            ],
            "cannot read /nonexistent.yaml",
        ),
        (
            vec![
                "billing", "plan", "--org", org, "--by", "ou", "--depth", "0",
            ],
            "--depth",
        ),
        (
            vec!["billing", "cloudformation", "--plan", &plan],
            "plan.json",
        ),
    ];
    for (args, expected) in cases {
        assert_bad_input(&args, expected);
    }
}

#[test]
fn billing_proforma_honours_the_json_contract_csv_and_focus_and_equals_the_bill_for_one_group() {
    let dir = tempfile::tempdir().unwrap();
    generate_demo(dir.path(), 8, 1);
    let org = dir.path().join("org.json");
    let org = org.to_str().unwrap();
    let cur = dir.path().join("cur");
    let cur = cur.to_str().unwrap();
    let save = |name: &str, out: &Output| {
        assert_eq!(out.status.code(), Some(0), "{}", stderr(out));
        let p = dir.path().join(name);
        std::fs::write(&p, &out.stdout).unwrap();
        p.to_str().unwrap().to_owned()
    };
    // One group, public rates: every account's pro forma is its bill.
    let whole = save(
        "whole.json",
        &orgpool(&[
            "billing", "plan", "--org", org, "--by", "org", "--format", "json",
        ]),
    );
    let j = json_of(&[
        "billing", "proforma", "--org", org, "--plan", &whole, "--cur", cur, "--format", "json",
    ]);
    let groups = j["groups"].as_array().unwrap();
    assert_eq!(groups.len(), 1);
    for a in groups[0]["accounts"].as_array().unwrap() {
        let (total, actual) = (a["total"].as_f64().unwrap(), a["actual"].as_f64().unwrap());
        assert!(
            (total - actual).abs() < 0.01,
            "{}: {total} vs {actual}",
            a["id"]
        );
    }

    // Groups per OU with a markup and a credit.
    let pricing = dir.path().join("pricing.yaml");
    std::fs::write(
        &pricing,
        "pricing_plans:\n  - name: plus10\n    rules:\n      - {name: up10, scope: GLOBAL, type: MARKUP, modifier_percentage: 10}\ndefault_pricing_plan: plus10\ncustom_line_items:\n  - {name: welcome, billing_group: root, type: CREDIT, charge: {flat: 5}, start: 2026-07}\n",
    )
    .unwrap();
    let plan = save(
        "plan.json",
        &orgpool(&[
            "billing",
            "plan",
            "--org",
            org,
            "--by",
            "ou",
            "--pricing-plan",
            pricing.to_str().unwrap(),
            "--format",
            "json",
        ]),
    );
    let focus = dir.path().join("focus.csv");
    let j = json_of(&[
        "billing",
        "proforma",
        "--org",
        org,
        "--plan",
        &plan,
        "--cur",
        cur,
        "--format",
        "json",
        "--focus",
        focus.to_str().unwrap(),
    ]);
    let mut grand = 0.0;
    for g in j["groups"].as_array().unwrap() {
        for field in ["name", "total"] {
            assert!(!g[field].is_null(), "{field}");
        }
        let total = g["total"].as_f64().unwrap();
        let by_account: f64 = g["accounts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| {
                assert!(a["id"].is_string());
                a["total"].as_f64().unwrap()
            })
            .sum();
        assert!((total - by_account).abs() < 1e-6, "{}", g["name"]);
        let margin = g["margin"].as_f64().unwrap();
        assert!((margin - (total - g["actual"].as_f64().unwrap())).abs() < 1e-6);
        grand += total;
    }
    let root = j["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["name"] == "root")
        .unwrap();
    assert_eq!(root["custom_line_items"][0]["amount"], -5.0);
    // The FOCUS export carries the same money, in FOCUS's columns.
    let text = std::fs::read_to_string(&focus).unwrap();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let headers = reader.headers().unwrap().clone();
    for column in [
        "BillingAccountId",
        "SubAccountId",
        "BillingPeriodStart",
        "ChargeCategory",
        "ServiceName",
        "BilledCost",
        "EffectiveCost",
        "ListCost",
        "BillingCurrency",
    ] {
        assert!(headers.iter().any(|h| h == column), "{column}");
    }
    let billed = headers.iter().position(|h| h == "BilledCost").unwrap();
    let sum: f64 = reader
        .records()
        .map(|r| r.unwrap()[billed].parse::<f64>().unwrap())
        .sum();
    assert!(
        (sum - grand).abs() < 1e-4 * grand.abs().max(1.0),
        "{sum} vs {grand}"
    );
    let table = orgpool(&[
        "billing", "proforma", "--org", org, "--plan", &plan, "--cur", cur, "--format", "csv",
    ]);
    assert!(stdout(&table).starts_with("billing group,pricing plan,pro forma,actual,margin"));

    // Bad input: exit 2, named.
    let broken = dir.path().join("broken.json");
    std::fs::write(&broken, "{\"schema_version\": 2}").unwrap();
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec!["billing", "proforma", "--org", org, "--plan", &plan],
            "--cur",
        ),
        (
            vec![
                "billing",
                "proforma",
                "--org",
                org,
                "--plan",
                broken.to_str().unwrap(),
                "--cur",
                cur,
            ],
            "broken.json",
        ),
        (
            vec![
                "billing",
                "proforma",
                "--org",
                org,
                "--plan",
                &plan,
                "--cur",
                "/nonexistent/cur",
            ],
            "/nonexistent/cur",
        ),
    ];
    for (args, expected) in cases {
        assert_bad_input(&args, expected);
    }
}

#[test]
fn a_reader_that_stops_early_ends_the_output_quietly_not_with_a_panic() {
    // `orgpool … | head`: the pipe closes before the output is written.
    for _ in 0..3 {
        let mut child = Command::new(env!("CARGO_BIN_EXE_orgpool"))
            .arg("onboarding-template")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("panicked"), "{stderr}");
        assert_eq!(out.status.code(), Some(0), "{stderr}");
    }
}

/// `orgpool org replay`: the demo organization's OUs and custom policies as
/// a template. Every OU is replayed under the root's stand-in with its name
/// and nesting, every custom policy with its content and its targets mapped
/// to the replayed OUs, AWS managed policies left out; each active account's
/// OU is in the metadata. The real `cfn-lint` accepts it, and rejects it once
/// an OU loses its parent.
#[test]
fn replay_recreates_the_ous_and_custom_policies_as_a_template_cfn_lint_accepts() {
    let dir = tempfile::tempdir().unwrap();
    generate_demo(dir.path(), 6, 1);
    let org = dir.path().join("org.json");
    let bundle: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&org).unwrap()).unwrap();
    let template = json_of(&["org", "replay", org.to_str().unwrap()]);
    let resources = template["Resources"].as_object().unwrap();
    let of_type = |t: &str| -> Vec<(&String, &serde_json::Value)> {
        resources.iter().filter(|(_, r)| r["Type"] == t).collect()
    };
    let ous = bundle["organizational_units"].as_array().unwrap();
    assert_eq!(
        of_type("AWS::Organizations::OrganizationalUnit").len(),
        ous.len() + 1
    );
    let custom: Vec<&serde_json::Value> = bundle["policies"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["aws_managed"] == false)
        .collect();
    assert!(!custom.is_empty());
    assert_eq!(of_type("AWS::Organizations::Policy").len(), custom.len());
    // A replayed OU's or target's name, through its Ref.
    let name_of = |r: &serde_json::Value| -> String {
        let id = r["Ref"].as_str().unwrap();
        resources[id]["Properties"]["Name"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let root_id = bundle["roots"][0]["id"].as_str().unwrap();
    let original_name = |id: &str| -> String {
        if id == root_id {
            return resources["OrganizationRoot"]["Properties"]["Name"]
                .as_str()
                .unwrap()
                .to_owned();
        }
        ous.iter().find(|o| o["id"] == id).unwrap()["name"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    for ou in ous {
        let (_, replayed) = of_type("AWS::Organizations::OrganizationalUnit")
            .into_iter()
            .find(|(_, r)| r["Properties"]["Name"] == ou["name"])
            .unwrap_or_else(|| panic!("no replay of {}", ou["name"]));
        assert_eq!(
            name_of(&replayed["Properties"]["ParentId"]),
            original_name(ou["parent_id"].as_str().unwrap()),
            "{} keeps its parent",
            ou["name"]
        );
    }
    for p in &custom {
        // The name behind the PolicyNamePrefix parameter.
        let (_, replayed) = of_type("AWS::Organizations::Policy")
            .into_iter()
            .find(|(_, r)| r["Properties"]["Name"]["Fn::Join"][1][1] == p["name"])
            .unwrap();
        assert_eq!(
            replayed["Properties"]["Name"]["Fn::Join"][1][0]["Ref"],
            "PolicyNamePrefix"
        );
        let content: serde_json::Value =
            serde_json::from_str(replayed["Properties"]["Content"].as_str().unwrap()).unwrap();
        assert_eq!(content, p["content"]);
        assert_eq!(replayed["Properties"]["Type"], p["type"]);
        let targets: Vec<String> = replayed["Properties"]["TargetIds"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| {
                if t.is_string() {
                    t.as_str().unwrap().to_owned()
                } else {
                    name_of(t)
                }
            })
            .collect();
        let expected: Vec<String> = p["targets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t.as_str().unwrap())
            .map(|t| {
                if t.len() == 12 && t.chars().all(|c| c.is_ascii_digit()) {
                    t.to_owned()
                } else {
                    original_name(t)
                }
            })
            .collect();
        assert_eq!(targets, expected, "{}", p["name"]);
    }
    let placed = template["Metadata"]["orgpool:accounts"]
        .as_object()
        .unwrap();
    for a in bundle["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["status"] == "ACTIVE")
    {
        let ou = placed[a["id"].as_str().unwrap()].as_str().unwrap();
        assert_eq!(
            resources[ou]["Properties"]["Name"].as_str().unwrap(),
            original_name(a["parent_id"].as_str().unwrap())
        );
        assert_eq!(template["Outputs"][ou]["Value"]["Ref"], ou);
    }

    let path = dir.path().join("replay.json");
    std::fs::write(&path, serde_json::to_string_pretty(&template).unwrap()).unwrap();
    let cfn_lint = orgpool_testkit::python().parent().unwrap().join("cfn-lint");
    let lint = |path: &Path| Command::new(&cfn_lint).arg(path).output().unwrap();
    let out = lint(&path);
    assert!(
        out.status.success(),
        "cfn-lint: {}{}",
        stdout(&out),
        stderr(&out)
    );
    let mut broken = template.clone();
    broken["Resources"]["OrganizationRoot"]["Properties"]
        .as_object_mut()
        .unwrap()
        .remove("ParentId");
    std::fs::write(&path, serde_json::to_string_pretty(&broken).unwrap()).unwrap();
    assert!(
        !lint(&path).status.success(),
        "cfn-lint accepted an OU without a parent"
    );

    assert_bad_input(
        &["org", "replay", "/nonexistent/org.json"],
        "/nonexistent/org.json",
    );
    // A subtree the bundle after does not hold, or a kind that does not
    // exist: bad usage, said plainly.
    let org = org.to_str().unwrap();
    assert_bad_input(
        &["org", "diff", org, org, "--after-root", "Root/Nowhere"],
        "Root/Nowhere",
    );
    assert_bad_input(&["org", "diff", org, org, "--kinds", "buckets"], "buckets");
    let only_accounts = json_of(&[
        "org", "diff", org, org, "--kinds", "account", "--format", "json",
    ]);
    assert_eq!(
        only_accounts["compared"]
            .as_object()
            .unwrap()
            .keys()
            .collect::<Vec<_>>(),
        ["account"]
    );
}

/// The table and markdown show each slice's utilization beside its commitment
/// cost, as the JSON gives it; where nothing is held, a dash. In the family
/// and region slice the demo's EC2 Instance Savings Plan counts in its own
/// family and region, m5 us-east-1, as the plan's fee lines name them.
/// The cells of the first markdown table after `title` in `text`, its
/// header first.
fn markdown_section(text: &str, title: &str) -> Vec<Vec<String>> {
    let start = text
        .find(title)
        .unwrap_or_else(|| panic!("no {title}: {text}"));
    text[start..]
        .lines()
        .skip_while(|l| !l.starts_with('|'))
        .take_while(|l| l.starts_with('|'))
        .map(|l| {
            l.trim_matches('|')
                .split('|')
                .map(|c| c.trim().to_owned())
                .collect()
        })
        .collect()
}

/// Coverage and ESR are shares of the eligible usage, utilization a share
/// of the commitment held: where that is nothing, the tables show a dash
/// (the JSON keeps its 0). The workshop months hold a c4 RI with no c4
/// usage left in the window, and the FOCUS sample holds no commitment.
#[test]
fn estimate_tables_show_a_dash_for_a_share_of_nothing() {
    let workshop = real("workshop-cur-2018-1*.snappy.parquet");
    let json = json_of(&["estimate", "--cur", &workshop, "--format", "json"]);
    let md = orgpool(&["estimate", "--cur", &workshop, "--format", "markdown"]);
    assert_eq!(md.status.code(), Some(0), "{}", stderr(&md));
    let rows = markdown_section(&stdout(&md), "Per instance family and region");
    let column = |name: &str| rows[0].iter().position(|h| h == name).unwrap();
    let (coverage, esr) = (column("coverage"), column("ESR"));
    let mut dashes = 0;
    for p in json["breakdown"]["family_region"].as_array().unwrap() {
        let key = p["key"].as_str().unwrap();
        let row = rows.iter().find(|r| r[0] == key).unwrap();
        let shown = |field: &str| {
            if p["on_demand_equivalent_cost"].as_f64().unwrap() > 0.0 {
                format!("{:.1}%", 100.0 * p[field].as_f64().unwrap())
            } else {
                "-".to_owned()
            }
        };
        dashes += usize::from(shown("coverage") == "-");
        assert_eq!(row[coverage], shown("coverage"), "{key}");
        assert_eq!(row[esr], shown("effective_savings_rate"), "{key}");
    }
    let c4 = rows.iter().find(|r| r[0] == "c4 us-east-1").unwrap();
    assert_ne!(c4[column("commitment cost")], "0.00", "{c4:?}");
    assert!(dashes >= 1, "the idle c4 RI's slice has no usage: {rows:?}");

    let focus = real("focus-1.0-sample.csv");
    let json = json_of(&["estimate", "--cur", &focus, "--format", "json"]);
    assert_eq!(json["current"]["commitment_cost"].as_f64(), Some(0.0));
    let md = orgpool(&["estimate", "--cur", &focus, "--format", "markdown"]);
    let headline = markdown_section(&stdout(&md), "Savings estimate");
    let item = |name: &str| {
        let row = headline.iter().find(|r| r[0] == name).unwrap();
        row[1].clone()
    };
    assert_eq!(item("utilization"), "-");
    assert_eq!(
        item("coverage"),
        format!(
            "{:.1}%",
            100.0 * json["current"]["coverage"].as_f64().unwrap()
        )
    );
}

#[test]
fn estimate_tables_show_each_slices_utilization_as_the_json_does() {
    let dir = tempfile::tempdir().unwrap();
    generate_demo(dir.path(), 12, 1);
    let cur = dir.path().join("cur");
    let cur_arg = cur.to_str().unwrap();
    let json = json_of(&["estimate", "--cur", cur_arg, "--format", "json"]);
    let md = orgpool(&["estimate", "--cur", cur_arg, "--format", "markdown"]);
    assert_eq!(md.status.code(), Some(0), "{}", stderr(&md));
    let text = stdout(&md);
    let section = |title: &str| markdown_section(&text, title);
    let instance_sp = duckdb_rows(&format!(
        "SELECT DISTINCT savings_plan_instance_type_family || ' ' || savings_plan_region \
         FROM read_parquet('{}/**/*.parquet') \
         WHERE savings_plan_offering_type = 'EC2InstanceSavingsPlans'",
        cur.display()
    ));
    assert_eq!(instance_sp.len(), 1, "{instance_sp:?}");
    let instance_sp = instance_sp[0][0].clone().unwrap();
    for (title, slice) in [
        ("Per account", "accounts"),
        ("Per service", "services"),
        ("Per instance family and region", "family_region"),
    ] {
        let rows = section(title);
        let header = &rows[0];
        let column = |name: &str| header.iter().position(|h| h == name).unwrap();
        let (utilization, cost) = (column("utilization"), column("commitment cost"));
        let expected = json["breakdown"][slice].as_array().unwrap();
        let mut held = 0;
        for p in expected.iter().take(25) {
            let key = p["key"].as_str().unwrap();
            let row = rows
                .iter()
                .find(|r| r[0] == key)
                .unwrap_or_else(|| panic!("{title}: no row {key}"));
            let shown = if row[cost] == "0.00" {
                "-".to_owned()
            } else {
                held += 1;
                format!("{:.1}%", 100.0 * p["utilization"].as_f64().unwrap())
            };
            assert_eq!(row[utilization], shown, "{title}, {key}");
        }
        assert!(held > 0, "{title}: some commitment is held");
    }
    let families = json["breakdown"]["family_region"].as_array().unwrap();
    let placed = families
        .iter()
        .find(|p| p["key"] == instance_sp.as_str())
        .unwrap_or_else(|| panic!("no {instance_sp}: {families:?}"));
    assert!(
        placed["commitment_cost"].as_f64().unwrap() > 0.0,
        "{placed}"
    );
}

/// `billing proforma` keeps the export's charges in the cache folder as the
/// estimate keeps its summary: a second run over the same files reads them
/// back and gives the same pro forma, to the bit, under another plan too;
/// `--no-cache` reads and writes nothing. The workshop months hold RIs, so
/// the held commitments travel through the cache as well.
#[test]
fn billing_proforma_caches_the_charges_where_told_and_only_when_allowed() {
    let dir = tempfile::tempdir().unwrap();
    generate_demo(dir.path(), 6, 1);
    let org = dir.path().join("org.json");
    let org = org.to_str().unwrap();
    let cache = dir.path().join("cache");
    let dir_flag = cache.to_str().unwrap();
    let entries = || std::fs::read_dir(&cache).map_or(0, |d| d.count());
    let plan = |by: &str| {
        let out = orgpool(&[
            "billing", "plan", "--org", org, "--by", by, "--format", "json",
        ]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let path = dir.path().join(format!("plan-{by}.json"));
        std::fs::write(&path, &out.stdout).unwrap();
        path.to_str().unwrap().to_owned()
    };
    let (by_org, by_ou) = (plan("org"), plan("ou"));
    for cur in [
        dir.path().join("cur").to_str().unwrap().to_owned(),
        real("workshop-cur-2018-1*.snappy.parquet"),
    ] {
        let run = |plan: &str, extra: &[&str]| {
            let mut args = vec![
                "billing", "proforma", "--org", org, "--plan", plan, "--cur", &cur, "--format",
                "json",
            ];
            args.extend_from_slice(extra);
            let out = orgpool_env(&args, &[("RUST_LOG", "info".to_owned())]);
            assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr(&out));
            let hit = stderr(&out).contains("charges were read from");
            (stdout(&out), hit)
        };
        let _ = std::fs::remove_dir_all(&cache);
        let (uncached, hit) = run(&by_org, &["--no-cache", "--cache-dir", dir_flag]);
        assert!(!hit);
        assert_eq!(entries(), 0, "--no-cache writes nothing");
        let (first, hit) = run(&by_org, &["--cache-dir", dir_flag]);
        assert!(!hit);
        assert_eq!(entries(), 1);
        let (second, hit) = run(&by_org, &["--cache-dir", dir_flag]);
        assert!(hit, "{cur}: the second run reads the cached charges");
        assert_eq!(entries(), 1);
        assert_eq!(first, uncached, "{cur}");
        assert_eq!(
            second, uncached,
            "{cur}: cached charges give the same pro forma"
        );
        // Another plan asks the same charges other questions.
        let (per_ou_cached, hit) = run(&by_ou, &["--cache-dir", dir_flag]);
        assert!(hit);
        let (per_ou, _) = run(&by_ou, &["--no-cache"]);
        assert_eq!(per_ou_cached, per_ou, "{cur}");
        // The estimate's summary of the same files is an entry of its own.
        let out = orgpool(&[
            "estimate",
            "--cur",
            &cur,
            "--cache-dir",
            dir_flag,
            "--format",
            "json",
        ]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        assert_eq!(entries(), 2);
    }
}

/// AWS's FOCUS export of the demo's bill (converted from its CUR 2.0 by
/// DuckDB, `orgpool_testkit::write_cur2_as_aws_focus`, with a row of each
/// commitment's unused part) gives the CUR's eligible usage, coverage and
/// recommendation, and, from its Used and Unused rows, the CUR's
/// utilization and effective savings rates for the whole bill, per account
/// and per service (the CUR's from its fee lines' used and total
/// commitment: two ways to the same figures). Per family and region FOCUS
/// does not say what a commitment is for, so the estimate says so and shows
/// no utilization or ESR there rather than wrong ones. Without the Unused
/// rows (no `CommitmentDiscountStatus` column) it cannot say it at all.
#[test]
fn estimate_over_aws_focus_recommends_as_over_its_cur_and_says_what_it_cannot_know() {
    let dir = tempfile::tempdir().unwrap();
    generate_demo(dir.path(), 6, 1);
    let cur = dir.path().join("cur");
    let focus = dir.path().join("focus.parquet");
    orgpool_testkit::write_cur2_as_aws_focus(&cur, "x_UsageType", &focus);
    let (cur, focus) = (cur.to_str().unwrap(), focus.to_str().unwrap());
    let from_cur = json_of(&["estimate", "--cur", cur, "--format", "json"]);
    let from_focus = json_of(&["estimate", "--cur", focus, "--format", "json"]);
    let warned = |j: &serde_json::Value| {
        j["inputs"]["warnings"].as_array().unwrap().iter().any(|w| {
            w.as_str()
                .unwrap()
                .contains("FOCUS files say how much of each")
        })
    };
    assert!(warned(&from_focus));
    assert!(!warned(&from_cur));
    let close = |a: &serde_json::Value, b: &serde_json::Value| {
        let (a, b) = (a.as_f64().unwrap(), b.as_f64().unwrap());
        (a - b).abs() <= 1e-6 * b.abs().max(1.0)
    };
    for field in [
        "on_demand_equivalent_cost",
        "covered_on_demand_equivalent_cost",
    ] {
        let (a, b) = (
            &from_focus["savings_plans_eligible"][field],
            &from_cur["savings_plans_eligible"][field],
        );
        assert!(close(a, b), "{field}: {a} against {b}");
    }
    for field in ["coverage", "utilization", "effective_savings_rate"] {
        let (a, b) = (&from_focus["current"][field], &from_cur["current"][field]);
        assert!(close(a, b), "{field}: {a} against {b}");
    }
    let utilization = from_cur["current"]["utilization"].as_f64().unwrap();
    assert!(utilization > 0.5 && utilization < 1.0, "{utilization}");
    // Per account and per service, key by key: the owners' commitments.
    for slice in ["accounts", "services"] {
        let by_key =
            |j: &serde_json::Value| -> std::collections::BTreeMap<String, serde_json::Value> {
                j["breakdown"][slice]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|p| (p["key"].as_str().unwrap().to_owned(), p.clone()))
                    .collect()
            };
        let (a, b) = (by_key(&from_focus), by_key(&from_cur));
        assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
        let owners = b
            .values()
            .filter(|p| p["commitment_cost"].as_f64().unwrap() > 0.0);
        assert!(owners.count() >= 1, "{slice}: {b:?}");
        for (key, b) in &b {
            for field in ["utilization", "effective_savings_rate"] {
                let a = &a[key][field];
                assert!(
                    close(a, &b[field]),
                    "{slice} {key} {field}: {a} against {}",
                    b[field]
                );
            }
        }
    }
    let (a, b) = (
        &from_focus["projected"]["effective_savings_rate"],
        &from_cur["projected"]["effective_savings_rate"],
    );
    assert!(close(a, b), "projected ESR: {a} against {b}");
    let backtest_esr = |j: &serde_json::Value| -> Vec<f64> {
        j["backtest"]["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["effective_savings_rate"].as_f64().unwrap())
            .collect()
    };
    let (a, b) = (backtest_esr(&from_focus), backtest_esr(&from_cur));
    assert_eq!(a.len(), 3);
    for (a, b) in a.iter().zip(&b) {
        assert!((a - b).abs() <= 1e-6, "backtest ESR: {a} against {b}");
    }
    let recommendations = |j: &serde_json::Value| j["recommendations"].as_array().unwrap().clone();
    let (a, b) = (recommendations(&from_focus), recommendations(&from_cur));
    assert!(!b.is_empty());
    assert_eq!(a.len(), b.len());
    for (a, b) in a.iter().zip(&b) {
        assert_eq!(
            (&a["plan"], &a["family"], &a["region"]),
            (&b["plan"], &b["family"], &b["region"])
        );
        assert!(
            close(&a["hourly_commitment"], &b["hourly_commitment"]),
            "{a} against {b}"
        );
    }

    let md = orgpool(&["estimate", "--cur", focus, "--format", "markdown"]);
    assert_eq!(md.status.code(), Some(0), "{}", stderr(&md));
    let headline = markdown_section(&stdout(&md), "Savings estimate");
    let item = |name: &str| headline.iter().find(|r| r[0] == name).unwrap()[1].clone();
    let percent = |x: &serde_json::Value| format!("{:.1}%", x.as_f64().unwrap() * 100.0);
    assert_eq!(
        item("utilization"),
        percent(&from_cur["current"]["utilization"])
    );
    assert_eq!(
        item("effective savings rate now"),
        percent(&from_cur["current"]["effective_savings_rate"])
    );
    assert_ne!(item("effective savings rate with the purchase"), "-");
    assert!(stderr(&md).contains("FOCUS files say how much of each"));
    // Per family and region, nothing says what a commitment is for: dashes.
    let families = markdown_section(&stdout(&md), "Per instance family and region");
    let column = |name: &str| families[0].iter().position(|h| h == name).unwrap();
    let (utilization, esr) = (column("utilization"), column("ESR"));
    assert!(families.len() > 2, "{families:?}");
    for row in &families[2..] {
        assert_eq!(
            (row[utilization].as_str(), row[esr].as_str()),
            ("-", "-"),
            "{row:?}"
        );
    }
    // Per account, an ESR wherever the account has eligible usage, and the
    // owner's utilization where it holds a commitment.
    let accounts = markdown_section(&stdout(&md), "Per account");
    let column = |name: &str| accounts[0].iter().position(|h| h == name).unwrap();
    let (usage, fees) = (column("on-demand equiv."), column("commitment cost"));
    let (utilization, esr) = (column("utilization"), column("ESR"));
    for row in &accounts[2..] {
        assert_eq!(row[esr] == "-", row[usage] == "0.00", "{row:?}");
        assert_eq!(row[utilization] == "-", row[fees] == "0.00", "{row:?}");
    }
    // The backtest's ESR rests on today's, known for the whole bill.
    let backtest = markdown_section(&stdout(&md), "Backtest");
    let esr = backtest[0].iter().position(|h| h == "ESR").unwrap();
    assert!(backtest.len() > 2, "{backtest:?}");
    for row in &backtest[2..] {
        assert_ne!(row[esr], "-", "{row:?}");
    }

    // The same file without its Unused rows and its status column cannot
    // say how much was used: dashes and the warning that says so.
    let bare = dir.path().join("bare.parquet");
    orgpool_testkit::duckdb_execute(&format!(
        "COPY (SELECT * EXCLUDE (CommitmentDiscountStatus) FROM read_parquet('{focus}') \
               WHERE COALESCE(CommitmentDiscountStatus, '') <> 'Unused') \
         TO '{}' (FORMAT parquet)",
        bare.display()
    ));
    let md = orgpool(&[
        "estimate",
        "--cur",
        bare.to_str().unwrap(),
        "--format",
        "markdown",
    ]);
    assert_eq!(md.status.code(), Some(0), "{}", stderr(&md));
    assert!(stderr(&md).contains("FOCUS files do not say"));
    let headline = markdown_section(&stdout(&md), "Savings estimate");
    let item = |name: &str| headline.iter().find(|r| r[0] == name).unwrap()[1].clone();
    for unknown in [
        "utilization",
        "effective savings rate now",
        "effective savings rate with the purchase",
    ] {
        assert_eq!(item(unknown), "-", "{unknown}");
    }
    assert_ne!(item("coverage"), "-");
    let backtest = markdown_section(&stdout(&md), "Backtest");
    for row in &backtest[2..] {
        assert_eq!(row[esr], "-", "{row:?}");
    }
}

/// The export `source` (a DuckDB table expression) at daily granularity,
/// and that daily export flattened back into hours (each day's line as 24
/// of a 24th): each in a folder of its own under `dir`, by DuckDB (see
/// `orgpool_testkit::write_as_daily_export`).
fn daily_and_flat(source: &str, dir: &Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let daily = dir.join("daily").join("daily.parquet");
    let flat = dir.join("flat").join("flat.parquet");
    for file in [&daily, &flat] {
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    }
    orgpool_testkit::write_as_daily_export(source, &daily);
    orgpool_testkit::write_daily_export_as_hourly(&daily, &flat);
    (daily, flat)
}

/// An export at daily granularity (Data Exports' `TIME_GRANULARITY` DAILY:
/// a line per day, from its first hour to the next day's) gives the same
/// estimate as the same usage spread evenly over the day's hours, line by
/// line, in an hourly export that DuckDB writes: posture, recommendation,
/// curve and backtest, with a warning that says what was assumed. Before,
/// a day's usage counted in its first hour only and the estimate recommended
/// nothing. The three workshop months serve, their lines moved to whole
/// days (RI fee lines, a month's, as they are).
#[test]
fn a_daily_export_is_estimated_as_its_usage_spread_over_each_days_hours() {
    let dir = tempfile::tempdir().unwrap();
    let workshop = real("workshop-cur-2018-1*.snappy.parquet");
    let (daily, flat) = daily_and_flat(
        &format!("read_parquet('{workshop}', union_by_name = true)"),
        dir.path(),
    );
    let estimate = |path: &Path| {
        json_of(&[
            "estimate",
            "--cur",
            path.to_str().unwrap(),
            "--lookback-days",
            "60",
            "--format",
            "json",
            "--no-cache",
        ])
    };
    let (by_day, by_hour) = (estimate(&daily), estimate(&flat));
    let savings = by_day["projected"]["savings_per_month"].as_f64().unwrap();
    assert!(
        savings > 1.0,
        "a daily export's estimate recommends: {savings}"
    );
    assert_daily_estimate_is_the_flat_ones(by_day, by_hour, &[]);
}

/// Asserts that a daily export's estimate (`by_day`) warns that it spread
/// lines of a day, and that it otherwise equals the estimate of the same
/// usage flattened into hours (`by_hour`), which does not warn: but for the
/// fields `apart`, which the caller compares its own way.
fn assert_daily_estimate_is_the_flat_ones(
    mut by_day: serde_json::Value,
    mut by_hour: serde_json::Value,
    apart: &[&str],
) {
    let warnings = |j: &serde_json::Value| j["inputs"]["warnings"].to_string();
    assert!(
        warnings(&by_day).contains("lines of more than an hour (up to 24 hours"),
        "{}",
        warnings(&by_day)
    );
    assert!(!warnings(&by_hour).contains("more than an hour"));
    for j in [&mut by_day, &mut by_hour] {
        let j = j.as_object_mut().unwrap();
        for field in std::iter::once(&"inputs").chain(apart) {
            j.remove(*field);
        }
    }
    assert_json_close(&by_day, &by_hour, "estimate");
}

/// A FOCUS export at daily granularity (`ChargePeriodStart` to
/// `ChargePeriodEnd` a day apart) is spread over each day's hours as a CUR
/// is: AWS's FOCUS export of the demo's bill as a daily export gives the
/// estimate of the same usage flattened into hours, with the warning.
#[test]
fn a_daily_focus_export_is_estimated_as_its_usage_spread_over_each_days_hours() {
    let dir = tempfile::tempdir().unwrap();
    generate_demo(dir.path(), 6, 1);
    let cur = dir.path().join("cur");
    let (daily, flat) = daily_and_flat(
        &format!(
            "read_parquet('{}/**/*.parquet', union_by_name = true)",
            cur.display()
        ),
        dir.path(),
    );
    let estimate = |cur: &Path, name: &str| {
        let focus = dir.path().join(name);
        orgpool_testkit::write_cur2_as_aws_focus(cur.parent().unwrap(), "x_UsageType", &focus);
        json_of(&[
            "estimate",
            "--cur",
            focus.to_str().unwrap(),
            "--format",
            "json",
            "--no-cache",
        ])
    };
    let (by_day, by_hour) = (
        estimate(&daily, "daily-focus.parquet"),
        estimate(&flat, "flat-focus.parquet"),
    );
    assert!(
        !by_day["recommendations"].as_array().unwrap().is_empty(),
        "a daily FOCUS export's estimate recommends"
    );
    // The backtest's recommendation is optimized on half the window, where
    // savings are flat across a range of commitments: the sums' last bits
    // (spread in Rust here, by DuckDB there) pick different points of it,
    // 0.2 % apart, whose realized savings agree to 0.1 %.
    let realized = |j: &serde_json::Value| {
        j["backtest"]["rows"][0]["realized_savings"]
            .as_f64()
            .unwrap()
    };
    let (a, b) = (realized(&by_day), realized(&by_hour));
    assert!(a > 0.0 && (a - b).abs() <= 1e-3 * b, "{a} against {b}");
    assert_daily_estimate_is_the_flat_ones(by_day, by_hour, &["backtest"]);
}

/// The pro forma of an export at daily granularity equals that of the same
/// usage spread evenly over each day's hours (as the estimate's does, see
/// above): the simulator applies each hour's commitments to that hour's
/// usage, so a day's usage is spread over its hours first, and a Savings
/// Plan's daily fee line gives a 24th of it per hour. Before, a day's usage
/// met one hour's RI units in its first hour: the workshop's commitments
/// saved $12.99 there instead of $310.29. Both the workshop months (RIs, in an org
/// bundle whose accounts are the workshop's) and the demo (Savings Plans)
/// serve, billed per OU, so that commitments serve their owners' groups.
#[test]
fn a_daily_exports_pro_forma_is_that_of_its_usage_spread_over_each_days_hours() {
    let dir = tempfile::tempdir().unwrap();
    generate_demo(dir.path(), 8, 1);
    let demo_org = std::fs::read_to_string(dir.path().join("org.json")).unwrap();
    let bundle: serde_json::Value = serde_json::from_str(&demo_org).unwrap();
    // The workshop's payer as the management account, its other account
    // in an OU of its own.
    let management = bundle["organization"]["management_account_id"]
        .as_str()
        .unwrap();
    let other = bundle["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap())
        .find(|id| *id != management)
        .unwrap();
    let workshop_org = dir.path().join("workshop-org.json");
    std::fs::write(
        &workshop_org,
        demo_org
            .replace(management, "836060457634")
            .replace(other, "011254002932"),
    )
    .unwrap();
    let workshop = real("workshop-cur-2018-1*.snappy.parquet");
    let cases = [
        (
            workshop_org,
            format!("read_parquet('{workshop}', union_by_name = true)"),
        ),
        (
            dir.path().join("org.json"),
            format!(
                "read_parquet('{}/**/*.parquet', union_by_name = true)",
                dir.path().join("cur").display()
            ),
        ),
    ];
    for (i, (org, source)) in cases.iter().enumerate() {
        let case = dir.path().join(format!("case-{i}"));
        let (daily, flat) = daily_and_flat(source, &case);
        let org = org.to_str().unwrap();
        let plan = case.join("plan.json");
        let out = orgpool(&[
            "billing", "plan", "--org", org, "--by", "ou", "--format", "json",
        ]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        std::fs::write(&plan, &out.stdout).unwrap();
        // The pro forma's JSON, and whether it warned of lines spread.
        let cache = case.join("cache");
        let proforma = |cur: &Path, cache_flag: &str| {
            let out = orgpool(&[
                "billing",
                "proforma",
                "--org",
                org,
                "--plan",
                plan.to_str().unwrap(),
                "--cur",
                cur.to_str().unwrap(),
                "--format",
                "json",
                cache_flag,
                cache.to_str().unwrap(),
            ]);
            assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
            let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
            let warned = stderr(&out).contains("lines of more than an hour (up to 24 hours");
            (json, warned)
        };
        let ((by_day, warned), (by_hour, flat_warned)) = (
            proforma(&daily, "--cache-dir"),
            proforma(&flat, "--cache-dir"),
        );
        assert!(
            warned && !flat_warned,
            "{source}: the warning, for the daily export alone"
        );
        // Read back from the cache, the same pro forma and the same warning.
        let (cached, cached_warned) = proforma(&daily, "--cache-dir");
        assert!(cached_warned, "{source}: the warning, from the cache too");
        assert_eq!(cached, by_day, "{source}: from the cache");
        let savings: f64 = by_day["groups"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| g["savings"].as_f64().unwrap())
            .sum();
        assert!(savings > 100.0, "{source}: commitments save: {savings}");
        assert_json_close(&by_day, &by_hour, source);
    }
}

/// A line whose end date is damaged (a usage hour said to end in 2200) is
/// spread over a month at most, as no line of a bill spans more: the
/// estimate ends at once with the lines' cost kept and the warning, where
/// spreading it over 180 years would not end.
#[test]
fn a_line_that_claims_to_end_in_two_centuries_is_spread_over_a_month_at_most() {
    let dir = tempfile::tempdir().unwrap();
    let workshop = real("workshop-cur-2018-10.snappy.parquet");
    let damaged = dir.path().join("far-end.parquet");
    duckdb_execute(&format!(
        "COPY (SELECT * REPLACE (CASE WHEN line_item_line_item_type = 'Usage' AND line_item_usage_type LIKE '%BoxUsage%' \
                    THEN TIMESTAMP '2200-01-01' ELSE line_item_usage_end_date END AS line_item_usage_end_date) \
               FROM read_parquet('{workshop}')) TO '{}' (FORMAT parquet)",
        damaged.display()
    ));
    let args = |path: &str| {
        [
            "estimate",
            "--cur",
            path,
            "--lookback-days",
            "3660",
            "--format",
            "json",
            "--no-cache",
        ]
        .map(str::to_owned)
    };
    let started = std::time::Instant::now();
    let far = json_of(
        &args(damaged.to_str().unwrap())
            .each_ref()
            .map(String::as_str),
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(120));
    let warnings = far["inputs"]["warnings"].to_string();
    assert!(warnings.contains("up to 744 hours"), "{warnings}");
    // Every line's cost is kept: the eligible spend is the intact month's.
    let intact = json_of(&args(&workshop).each_ref().map(String::as_str));
    let eligible = |j: &serde_json::Value| {
        j["savings_plans_eligible"]["on_demand_equivalent_cost"]
            .as_f64()
            .unwrap()
    };
    let (far, intact) = (eligible(&far), eligible(&intact));
    assert!(
        (far - intact).abs() < 1e-6 * intact,
        "{far} against {intact}"
    );
}
