//! A deterministic synthetic AWS Organization and its CUR 2.0 billing export.
//!
//! `orgpool demo generate` calls [`generate`], which writes:
//! - `DIR/org.json`: the organization bundle ([`orgpool_model::OrgBundle`]);
//! - `DIR/cur/orgpool-demo/data/BILLING_PERIOD=YYYY-MM/orgpool-demo-NNNNN.snappy.parquet`
//!   and `DIR/cur/orgpool-demo/metadata/BILLING_PERIOD=YYYY-MM/orgpool-demo-Manifest.json`,
//!   the layout AWS Data Exports writes to S3.
//!
//! This crate stands in for AWS itself: it sits upstream of the files orgpool
//! reads, and it bills with the same simulator the engines use, because AWS
//! applies the same rules. Same arguments, same bytes.

pub mod billing;
pub mod catalog;
pub mod org;
pub mod sink;
pub mod workload;

use std::path::{Path, PathBuf};

use chrono::{Duration, NaiveDate, Utc};
use serde::Serialize;

pub use org::{DemoOrg, Role, generate_org};

/// The name of the demo's data export.
pub const EXPORT_NAME: &str = "orgpool-demo";

/// Arguments of `orgpool demo generate`.
#[derive(Debug, Clone)]
pub struct DemoConfig {
    /// Accounts in the organization, the management account included.
    pub accounts: usize,
    /// Months of billing data.
    pub months: u32,
    /// About this many line items, or the default demo's size.
    pub rows: Option<u64>,
    /// Seed for every random choice.
    pub seed: u64,
    /// The first billing period (day 1 of a month).
    pub start: NaiveDate,
    /// Worker threads (the output does not depend on it).
    pub threads: usize,
    /// The Savings Plans held, as a multiple of the default sizes (a Compute
    /// SP at 30 % of the eligible base, an EC2 Instance SP at 60 % of its
    /// family's): above about 2, an over-committed organization whose plans
    /// sit idle in its quiet hours.
    pub commitment_scale: f64,
}

impl Default for DemoConfig {
    fn default() -> Self {
        Self {
            accounts: 16,
            months: 3,
            rows: None,
            seed: 42,
            start: NaiveDate::from_ymd_opt(2026, 7, 1).unwrap_or_default(),
            threads: std::thread::available_parallelism().map_or(2, |n| n.get()),
            commitment_scale: 1.0,
        }
    }
}

/// Why generation failed.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    /// Bad arguments.
    #[error("{0}")]
    InvalidArgument(String),
    /// A file could not be written (its cause, `source`, follows the
    /// message where the error's causes are listed).
    #[error("cannot write {path}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The Parquet writer failed.
    #[error("cannot write Parquet file {path}: {message}")]
    Parquet {
        /// The file.
        path: PathBuf,
        /// The cause.
        message: String,
    },
    /// A bug in orgpool.
    #[error("internal error: {0}")]
    Internal(String),
}

impl DemoError {
    fn io(path: &Path, source: std::io::Error) -> Self {
        DemoError::Io {
            path: path.to_owned(),
            source,
        }
    }
    fn parquet(path: &Path, e: impl std::fmt::Display) -> Self {
        DemoError::Parquet {
            path: path.to_owned(),
            message: e.to_string(),
        }
    }
}

/// What was written.
#[derive(Debug, Clone, Serialize)]
pub struct DemoSummary {
    /// The bundle's path.
    pub org_path: PathBuf,
    /// The export's root folder.
    pub cur_path: PathBuf,
    /// Accounts in the org.
    pub accounts: usize,
    /// Organizational units.
    pub organizational_units: usize,
    /// Policies.
    pub policies: usize,
    /// Billing periods written.
    pub billing_periods: Vec<String>,
    /// Parquet files written.
    pub files: usize,
    /// Line items written.
    pub rows: u64,
    /// The row scale used.
    pub scale: f64,
    /// Commitments the org holds, as `plan owner $/h`.
    pub commitments: Vec<String>,
    /// Sum of `line_item_unblended_cost` over the export.
    pub unblended_cost: f64,
}

/// Generates the demo organization and its billing export into `out`.
pub fn generate(config: &DemoConfig, out: &Path) -> Result<DemoSummary, DemoError> {
    if config.accounts == 0 || config.accounts > 10_000 {
        return Err(DemoError::InvalidArgument(format!(
            "--accounts must be between 1 and 10000, got {}",
            config.accounts
        )));
    }
    if config.months == 0 || config.months > 36 {
        return Err(DemoError::InvalidArgument(format!(
            "--months must be between 1 and 36, got {}",
            config.months
        )));
    }
    let months = billing::months(config.start, config.months);
    let window_end = months
        .last()
        .map(|m| m.start + Duration::hours(i64::from(m.hours)))
        .unwrap_or_else(Utc::now);
    let taken_at = window_end - Duration::hours(1);
    let org = generate_org(config.seed, config.accounts, taken_at);
    std::fs::create_dir_all(out).map_err(|e| DemoError::io(out, e))?;
    let org_path = out.join("org.json");
    let json = serde_json::to_string_pretty(&org.bundle)
        .map_err(|e| DemoError::Internal(e.to_string()))?;
    std::fs::write(&org_path, json + "\n").map_err(|e| DemoError::io(&org_path, e))?;

    let scale = match config.rows {
        None => 1.0,
        Some(rows) => calibrate(&org, config, &months, rows)?,
    };
    let plan = billing::Plan::new(&org, config.seed, scale, config.commitment_scale, months);
    let export = out.join("cur").join(EXPORT_NAME);
    let jobs = billing::jobs(&plan);
    tracing::info!(jobs = jobs.len(), scale, "writing CUR 2.0 export");
    let results = run_parallel(&jobs, config.threads, |job| {
        let path = billing::part_path(&export, EXPORT_NAME, &plan.months[job.month], job.part);
        billing::write_job(&plan, *job, &path, None)
    })?;
    let mut summary_rows = 0;
    let mut unblended = results
        .iter()
        .map(|t| t.charges.values().sum::<f64>())
        .sum::<f64>();
    let mut files = jobs.len();
    let mut periods = Vec::new();
    for (m, month) in plan.months.iter().enumerate() {
        let mut totals = billing::PartTotals::default();
        let mut parts = Vec::new();
        for (job, result) in jobs.iter().zip(&results).filter(|(j, _)| j.month == m) {
            totals.merge(result.clone());
            parts.push(job.part);
        }
        let last = parts.iter().max().copied().unwrap_or(0) + 1;
        let end_job = billing::Job {
            month: m,
            from: 0,
            to: 0,
            part: last,
        };
        let path = billing::part_path(&export, EXPORT_NAME, month, last);
        let end = billing::write_job(&plan, end_job, &path, Some(&totals))?;
        files += 1;
        summary_rows += totals.rows + end.rows;
        unblended += end.charges.values().sum::<f64>();
        parts.push(last);
        let period = month.start.format("%Y-%m").to_string();
        write_manifest(&export, &period, &parts, totals.rows + end.rows)?;
        periods.push(period);
    }
    Ok(DemoSummary {
        org_path,
        cur_path: out.join("cur"),
        accounts: org.bundle.accounts.len(),
        organizational_units: org.bundle.organizational_units.len(),
        policies: org.bundle.policies.len(),
        billing_periods: periods,
        files,
        rows: summary_rows,
        scale,
        commitments: plan
            .held
            .iter()
            .map(|h| {
                let size = if h.plan.is_savings_plan() {
                    format!("${}/hour", h.sim.per_hour)
                } else {
                    format!("{} x {}", h.sim.per_hour, h.ri_class)
                };
                format!(
                    "{} owned by {} ({size})",
                    h.plan, org.accounts[h.owner].account.name
                )
            })
            .collect(),
        unblended_cost: unblended,
    })
}

/// Finds the row scale that gives about `rows` line items.
fn calibrate(
    org: &DemoOrg,
    config: &DemoConfig,
    months: &[billing::Month],
    rows: u64,
) -> Result<f64, DemoError> {
    if rows == 0 {
        return Err(DemoError::InvalidArgument(
            "--rows must be positive".to_owned(),
        ));
    }
    let hours: u32 = months.iter().map(|m| m.hours).sum();
    let mut scale = 1.0;
    for _ in 0..4 {
        let plan = billing::Plan::new(
            org,
            config.seed,
            scale,
            config.commitment_scale,
            months.to_vec(),
        );
        // Savings-Plan-covered lines come with a negation line, and partly covered
        // lines split in two (usage the simulator cannot tell apart shares a
        // commitment in proportion, so every line of the last tier it reaches
        // is split): the demo org writes about 59% more rows than usage lines.
        let expected = plan.estimate_rows(0, hours) * 1.59;
        if expected <= 0.0 {
            return Err(DemoError::InvalidArgument(
                "this organization has no usage to scale; use more --accounts".to_owned(),
            ));
        }
        scale *= rows as f64 / expected;
    }
    Ok(scale)
}

/// `work` of each job, in the jobs' order, on `threads` threads; the first
/// failure stops the others.
fn run_parallel<J: Sync, T: Send>(
    jobs: &[J],
    threads: usize,
    work: impl Fn(&J) -> Result<T, DemoError> + Sync,
) -> Result<Vec<T>, DemoError> {
    use rayon::prelude::*;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads.max(1))
        .build()
        .map_err(|e| DemoError::Internal(format!("cannot start {threads} threads: {e}")))?;
    pool.install(|| jobs.par_iter().map(&work).collect())
}

fn write_manifest(export: &Path, period: &str, parts: &[u32], rows: u64) -> Result<(), DemoError> {
    let dir = export
        .join("metadata")
        .join(format!("BILLING_PERIOD={period}"));
    std::fs::create_dir_all(&dir).map_err(|e| DemoError::io(&dir, e))?;
    let files: Vec<String> = parts
        .iter()
        .map(|p| {
            format!(
                "{EXPORT_NAME}/data/BILLING_PERIOD={period}/{EXPORT_NAME}-{p:05}.snappy.parquet"
            )
        })
        .collect();
    let manifest = serde_json::json!({
        "exportName": EXPORT_NAME,
        "billingPeriod": period,
        "exportType": "CUR2",
        "dataFiles": files,
        "recordCount": rows,
        "contentType": "Parquet",
        "compression": "SNAPPY",
    });
    let path = dir.join(format!("{EXPORT_NAME}-Manifest.json"));
    let text =
        serde_json::to_string_pretty(&manifest).map_err(|e| DemoError::Internal(e.to_string()))?;
    std::fs::write(&path, text + "\n").map_err(|e| DemoError::io(&path, e))
}
