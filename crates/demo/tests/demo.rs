//! The demo generator's contract: deterministic output, a CUR 2.0 export that an
//! independent reader (DuckDB) reads back with the documented columns and line
//! item types, consistent prices and commitments, and a bundle that validates
//! against its published JSON Schema.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::process::Command;

use arrow::array::{AsArray, RecordBatch};
use arrow::datatypes::{Float64Type, TimestampMillisecondType};
use chrono::NaiveDate;
use orgpool_demo::{DemoConfig, generate, generate_org};
use orgpool_model::{OrgBundle, PolicyType};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use sha2::{Digest, Sha256};

use orgpool_testkit::{python, workspace};

fn run_python(script: &str, args: &[&Path]) -> (bool, String) {
    let out = Command::new(python())
        .arg(workspace().join("crates/demo/tests").join(script))
        .args(args)
        .output()
        .expect("python runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.is_empty() || out.status.success(),
        "{script} failed: {stderr}"
    );
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

fn small(seed: u64, months: u32) -> DemoConfig {
    DemoConfig {
        accounts: 12,
        months,
        seed,
        start: NaiveDate::from_ymd_opt(2026, 2, 1).unwrap(),
        ..DemoConfig::default()
    }
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let p = entry.unwrap().path();
            if p.is_dir() {
                stack.push(p)
            } else {
                out.push(p)
            }
        }
    }
    out.sort();
    out
}

fn digests(dir: &Path) -> BTreeMap<PathBuf, String> {
    files_under(dir)
        .into_iter()
        .map(|p| {
            let hash = format!("{:x}", Sha256::digest(std::fs::read(&p).unwrap()));
            (p.strip_prefix(dir).unwrap().to_owned(), hash)
        })
        .collect()
}

#[test]
fn same_arguments_give_the_same_bytes_whatever_the_thread_count() {
    let (a, b, c) = (
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
    );
    let mut one = small(7, 1);
    one.threads = 1;
    let mut two = small(7, 1);
    two.threads = 2;
    generate(&one, a.path()).unwrap();
    generate(&two, b.path()).unwrap();
    let (da, db) = (digests(a.path()), digests(b.path()));
    assert!(da.len() >= 4, "org.json, data and manifest files: {da:?}");
    assert_eq!(da, db);
    generate(&small(8, 1), c.path()).unwrap();
    let dc = digests(c.path());
    assert_ne!(
        da[Path::new("org.json")],
        dc[Path::new("org.json")],
        "another seed, another org"
    );
}

/// What Rust's own reading of the export finds.
#[derive(Default)]
struct Tally {
    rows: u64,
    by_type: HashMap<String, (u64, f64)>,
    by_account: HashMap<String, f64>,
    sp_effective: HashMap<(String, i64), f64>,
    sp_fee: HashMap<(String, i64), (f64, f64)>,
    ri_rate: HashMap<String, (f64, f64)>,
    worst_sp_rate_error: f64,
}

fn text<'a>(b: &'a RecordBatch, name: &str) -> &'a arrow::array::StringArray {
    b.column_by_name(name)
        .unwrap_or_else(|| panic!("column {name}"))
        .as_string::<i32>()
}
fn num<'a>(b: &'a RecordBatch, name: &str) -> &'a arrow::array::Float64Array {
    b.column_by_name(name)
        .unwrap_or_else(|| panic!("column {name}"))
        .as_primitive::<Float64Type>()
}

fn tally(dir: &Path) -> Tally {
    let mut t = Tally::default();
    for path in files_under(dir)
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "parquet"))
    {
        let reader = ParquetRecordBatchReaderBuilder::try_new(std::fs::File::open(&path).unwrap())
            .unwrap()
            .build()
            .unwrap();
        for batch in reader {
            let b = batch.unwrap();
            let (kind, account, cost, amount) = (
                text(&b, "line_item_line_item_type"),
                text(&b, "line_item_usage_account_id"),
                num(&b, "line_item_unblended_cost"),
                num(&b, "line_item_usage_amount"),
            );
            let (arn, eff, rate) = (
                text(&b, "savings_plan_savings_plan_a_r_n"),
                num(&b, "savings_plan_savings_plan_effective_cost"),
                num(&b, "savings_plan_savings_plan_rate"),
            );
            let (used, total) = (
                num(&b, "savings_plan_used_commitment"),
                num(&b, "savings_plan_total_commitment_to_date"),
            );
            let (ri_arn, ri_eff) = (
                text(&b, "reservation_reservation_a_r_n"),
                num(&b, "reservation_effective_cost"),
            );
            let start = b
                .column_by_name("line_item_usage_start_date")
                .unwrap()
                .as_primitive::<TimestampMillisecondType>();
            for i in 0..b.num_rows() {
                t.rows += 1;
                let e = t.by_type.entry(kind.value(i).to_owned()).or_default();
                e.0 += 1;
                e.1 += cost.value(i);
                *t.by_account.entry(account.value(i).to_owned()).or_default() += cost.value(i);
                match kind.value(i) {
                    "SavingsPlanCoveredUsage" => {
                        *t.sp_effective
                            .entry((arn.value(i).to_owned(), start.value(i)))
                            .or_default() += eff.value(i);
                        t.worst_sp_rate_error = t
                            .worst_sp_rate_error
                            .max((eff.value(i) - rate.value(i) * amount.value(i)).abs());
                    }
                    "SavingsPlanRecurringFee" => {
                        t.sp_fee.insert(
                            (arn.value(i).to_owned(), start.value(i)),
                            (used.value(i), total.value(i)),
                        );
                    }
                    "DiscountedUsage" => {
                        let r = t
                            .ri_rate
                            .entry(ri_arn.value(i).to_owned())
                            .or_insert((f64::MAX, f64::MIN));
                        let per_hour = ri_eff.value(i) / amount.value(i);
                        r.0 = r.0.min(per_hour);
                        r.1 = r.1.max(per_hour);
                    }
                    _ => {}
                }
            }
        }
    }
    t
}

#[test]
fn cur_export_reads_back_in_duckdb_with_consistent_prices_and_commitments() {
    let dir = tempfile::tempdir().unwrap();
    let config = DemoConfig {
        months: 2,
        ..small(42, 2)
    };
    let config = DemoConfig {
        accounts: 16,
        ..config
    };
    let summary = generate(&config, dir.path()).unwrap();
    let cur = dir.path().join("cur");
    let (ok, out) = run_python("duckdb_check.py", &[&cur]);
    assert!(ok);
    let duck: serde_json::Value = serde_json::from_str(&out).unwrap();

    // Column set and types, as CUR 2.0 defines them.
    let types = duck["types"].as_object().unwrap();
    assert_eq!(types.len(), orgpool_cur::cur2::COLUMNS.len());
    for (name, kind) in orgpool_cur::cur2::COLUMNS {
        let found = types[*name].as_str().unwrap();
        let expected = match kind {
            orgpool_cur::cur2::ColumnKind::Text => "VARCHAR",
            orgpool_cur::cur2::ColumnKind::Number => "DOUBLE",
            orgpool_cur::cur2::ColumnKind::Timestamp => "TIMESTAMP",
            orgpool_cur::cur2::ColumnKind::TextMap => "MAP(VARCHAR, VARCHAR)",
            orgpool_cur::cur2::ColumnKind::NumberMap => "MAP(VARCHAR, DOUBLE)",
        };
        assert_eq!(found, expected, "column {name}");
    }
    for name in ["product", "resource_tags", "discount", "cost_category"] {
        assert!(types[name].as_str().unwrap().starts_with("MAP("), "{name}");
    }
    // Every line item type the issue asks for, and the services.
    let by_type = duck["by_type"].as_object().unwrap();
    for t in [
        "Usage",
        "DiscountedUsage",
        "RIFee",
        "SavingsPlanCoveredUsage",
        "SavingsPlanNegation",
        "SavingsPlanRecurringFee",
        "Tax",
        "Credit",
        "Fee",
    ] {
        assert!(
            by_type
                .get(t)
                .is_some_and(|v| v["rows"].as_u64().unwrap() > 0),
            "line item type {t} missing: {by_type:?}"
        );
    }
    let services: Vec<&str> = duck["services"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    for s in [
        "AmazonEC2",
        "AWSLambda",
        "AmazonECS",
        "AmazonSageMaker",
        "AmazonRDS",
        "AmazonS3",
        "AWSDataTransfer",
        "AmazonCloudFront",
    ] {
        assert!(services.contains(&s), "{s} missing from {services:?}");
    }
    assert!(duck["ec2_families"].as_u64().unwrap() >= 6);
    assert_eq!(duck["ec2_regions"].as_u64().unwrap(), 3);
    assert_eq!(
        duck["ec2_operating_systems"].as_u64().unwrap(),
        2,
        "Linux and Windows"
    );
    assert!(duck["spot_rows"].as_u64().unwrap() > 0);
    assert_eq!(
        duck["billing_periods"],
        serde_json::json!(["2026-02", "2026-03"])
    );
    assert_eq!(
        duck["price_mismatches"].as_u64().unwrap(),
        0,
        "pricing_public_on_demand_cost = rate x amount"
    );

    // Seasonality, growth, bursts and idle accounts, as DuckDB sees them in the
    // hourly EC2 instance-hours.
    assert!(
        duck["ec2_weekday_over_weekend"].as_f64().unwrap() > 1.05,
        "weekly cycle: {duck}"
    );
    assert!(
        duck["ec2_peak_hour_over_trough_hour"].as_f64().unwrap() > 1.2,
        "daily cycle"
    );
    assert!(
        duck["ec2_month_over_month"][0].as_f64().unwrap() > 1.0,
        "growth"
    );
    assert!(duck["ec2_peak_over_p95"].as_f64().unwrap() > 1.1, "bursts");
    assert!(
        duck["idle_accounts"].as_u64().unwrap() >= 2,
        "idle sandboxes"
    );
    // The RDS RI covers part of the db.r5.large fleet: the rest stays on demand.
    assert!(duck["rds_on_demand_rows"].as_u64().unwrap() > 0);

    // Rust's reading agrees with DuckDB's, row for row and cent for cent.
    let t = tally(&cur);
    assert_eq!(t.rows, duck["rows"].as_u64().unwrap());
    assert_eq!(t.rows, summary.rows);
    for (kind, (rows, cost)) in &t.by_type {
        assert_eq!(*rows, by_type[kind]["rows"].as_u64().unwrap(), "{kind}");
        assert!(
            (cost - by_type[kind]["unblended"].as_f64().unwrap()).abs() < 0.01,
            "{kind}"
        );
    }
    for (account, cost) in &t.by_account {
        assert!(
            (cost - duck["by_account"][account].as_f64().unwrap()).abs() < 0.01,
            "account {account}"
        );
    }
    let total: f64 = t.by_type.values().map(|v| v.1).sum();
    assert!(
        (total - summary.unblended_cost).abs() < 0.01,
        "{total} vs {}",
        summary.unblended_cost
    );

    // Savings Plans: negation cancels covered usage; effective cost = rate x amount;
    // each hour's effective costs add up to the fee line's used commitment, within
    // the commitment.
    let covered = t.by_type["SavingsPlanCoveredUsage"].1;
    assert!((covered + t.by_type["SavingsPlanNegation"].1).abs() < 1e-6);
    assert!(t.worst_sp_rate_error < 1e-9);
    assert_eq!(t.sp_fee.len(), 2 * 24 * (28 + 31), "two plans, every hour");
    for (key, (used, commitment)) in &t.sp_fee {
        let effective = t.sp_effective.get(key).copied().unwrap_or(0.0);
        assert!(
            (effective - used).abs() < 1e-6,
            "{key:?}: {effective} vs {used}"
        );
        assert!(
            *used <= commitment + 1e-9,
            "{key:?}: used {used} > {commitment}"
        );
    }
    // An RI charges the same effective rate on every line it covers.
    assert_eq!(t.ri_rate.len(), 1);
    for (arn, (lo, hi)) in &t.ri_rate {
        assert!((hi - lo).abs() < 1e-12, "{arn}: {lo}..{hi}");
    }
}

#[test]
fn rows_flag_sizes_the_export() {
    let dir = tempfile::tempdir().unwrap();
    let config = DemoConfig {
        rows: Some(150_000),
        ..small(3, 1)
    };
    let summary = generate(&config, dir.path()).unwrap();
    let ratio = summary.rows as f64 / 150_000.0;
    assert!(
        (0.85..1.15).contains(&ratio),
        "asked 150000 rows, got {}",
        summary.rows
    );
}

#[test]
fn bad_arguments_are_refused_before_anything_is_written() {
    let dir = tempfile::tempdir().unwrap();
    for config in [
        DemoConfig {
            accounts: 0,
            ..small(1, 1)
        },
        DemoConfig {
            months: 0,
            ..small(1, 1)
        },
        DemoConfig {
            rows: Some(0),
            ..small(1, 1)
        },
    ] {
        let err = generate(&config, &dir.path().join("x")).unwrap_err();
        assert!(
            matches!(err, orgpool_demo::DemoError::InvalidArgument(_)),
            "{err}"
        );
    }
    // An output path that cannot be a folder.
    let file = dir.path().join("a-file");
    std::fs::write(&file, "x").unwrap();
    let err = generate(&small(1, 1), &file.join("sub")).unwrap_err();
    assert!(err.to_string().contains("a-file"), "{err}");
}

#[test]
fn bundle_holds_every_item_and_validates_against_the_published_schema() {
    let taken = chrono::DateTime::parse_from_rfc3339("2026-09-30T23:00:00Z")
        .unwrap()
        .to_utc();
    for accounts in [1, 12, 40] {
        let org = generate_org(5, accounts, taken);
        let b = &org.bundle;
        let text = serde_json::to_string_pretty(b).unwrap();
        assert_eq!(OrgBundle::from_json(&text).unwrap(), *b, "reads back");
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("org.json");
        std::fs::write(&path, &text).unwrap();
        let schema = workspace().join("docs/org-bundle.schema.json");
        let (ok, out) = run_python("validate_schema.py", &[&schema, &path]);
        assert!(ok, "schema validation failed: {out}");
        assert_eq!(b.accounts.len(), accounts);
        if accounts < 12 {
            continue;
        }
        let max_depth = b
            .organizational_units
            .iter()
            .map(|o| b.ou_depth(&o.id))
            .max()
            .unwrap();
        assert!(max_depth >= 3);
        for name in [
            "Production",
            "Workloads",
            "Security",
            "Sandbox",
            "Suspended",
        ] {
            assert!(
                b.organizational_units.iter().any(|o| o.name == name),
                "{name}"
            );
        }
        let denies_leave = b.policies.iter().any(|p| {
            p.policy_type == PolicyType::ServiceControlPolicy
                && p.content
                    .to_string()
                    .contains("organizations:LeaveOrganization")
                && !p.targets.is_empty()
        });
        assert!(denies_leave);
        for kind in [PolicyType::TagPolicy, PolicyType::BackupPolicy] {
            assert!(
                b.policies
                    .iter()
                    .any(|p| p.policy_type == kind && !p.targets.is_empty()),
                "{kind:?}"
            );
        }
        for service in [
            "guardduty.amazonaws.com",
            "securityhub.amazonaws.com",
            "config.amazonaws.com",
        ] {
            assert!(
                b.delegated_administrators
                    .iter()
                    .any(|d| d.service_principal == service),
                "{service}"
            );
            assert!(
                b.trusted_services
                    .iter()
                    .any(|t| t.service_principal == service)
            );
        }
        let sso = &b.identity_center[0];
        assert!(
            !sso.users.is_empty()
                && !sso.groups.is_empty()
                && !sso.permission_sets.is_empty()
                && !sso.account_assignments.is_empty()
        );
        assert!(b.cloudtrail_trails.iter().any(|t| t.is_organization_trail));
        assert!(
            b.ram_shares
                .iter()
                .any(|s| s.principals.contains(&b.organization.arn))
        );
        assert!(
            b.ram_shares
                .iter()
                .any(|s| s.principals.iter().any(|p| p.contains(":ou/")))
        );
        assert!(
            b.iam_roles
                .iter()
                .any(|r| r.trust_policy.to_string().contains("aws:PrincipalOrgID"))
        );
        // Resource policies keyed on the organization: the trail's bucket
        // (CloudTrail writes for the organization only), a shared bucket, a
        // base-image repository and a KMS key; each in an account of the
        // organization.
        let services: std::collections::BTreeSet<_> =
            b.resource_policies.iter().map(|p| p.service).collect();
        assert_eq!(
            services,
            [
                orgpool_model::ResourceService::S3,
                orgpool_model::ResourceService::Kms,
                orgpool_model::ResourceService::Ecr
            ]
            .into()
        );
        assert!(b.resource_policies.iter().all(|p| {
            !p.org_condition_keys().is_empty() && b.accounts.iter().any(|a| a.id == p.account_id)
        }));
        let trail_bucket = &b.cloudtrail_trails[0].s3_bucket_name;
        assert!(
            b.resource_policies
                .iter()
                .any(|p| p.name() == trail_bucket && p.org_condition_keys() == ["aws:SourceOrgID"]),
            "the trail's bucket policy names the organization"
        );
        // A data perimeter on the identity side: a managed policy keyed on
        // aws:ResourceOrgID, attached to a role of its own account.
        assert_eq!(b.identity_policies.len(), 1);
        let perimeter = &b.identity_policies[0];
        assert_eq!(perimeter.org_condition_keys(), ["aws:ResourceOrgID"]);
        assert!(
            perimeter
                .attached_to
                .iter()
                .all(|arn| arn.contains(&perimeter.account_id))
        );
        let ids: std::collections::HashSet<_> = b.accounts.iter().map(|a| &a.id).collect();
        assert!(
            b.iam_roles.iter().any(|r| {
                let trust = r.trust_policy.to_string();
                ids.iter()
                    .any(|id| *id != &r.account_id && trust.contains(id.as_str()))
            }),
            "a role trusting another account of the org"
        );
        assert!(
            b.accounts
                .iter()
                .any(|a| a.status == orgpool_model::AccountStatus::Suspended)
        );
        assert!(
            b.accounts
                .iter()
                .all(|a| a.email.contains('@') && !a.name.is_empty())
        );
    }
}

#[test]
fn schema_rejects_a_broken_bundle() {
    // The validator is real: a bundle with a bad account ID fails it.
    let taken = chrono::DateTime::parse_from_rfc3339("2026-09-30T23:00:00Z")
        .unwrap()
        .to_utc();
    let mut value = serde_json::to_value(&generate_org(5, 3, taken).bundle).unwrap();
    value["accounts"][0]["id"] = "not-an-id".into();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("org.json");
    std::fs::write(&path, value.to_string()).unwrap();
    let (ok, out) = run_python(
        "validate_schema.py",
        &[&workspace().join("docs/org-bundle.schema.json"), &path],
    );
    assert!(!ok);
    assert!(out.contains("accounts/0/id"), "{out}");
}
