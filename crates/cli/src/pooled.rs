//! `orgpool estimate --pool-cur`: the pooled what-if. Reads the payer pool's
//! billing data over the estimate's window, asks the savings engine
//! (`orgpool_savings::pooling`) what sharing idle commitments and one
//! purchase would save beyond the two apart, and renders it.

use anyhow::Result;
use chrono::Duration;
use orgpool_cur::BillingData;
use orgpool_model::{IdleCommitment, UsageSeries, Window};
use orgpool_savings::RateTable;
use orgpool_savings::estimate::{HOURS_PER_MONTH, RateChain, Request};
use orgpool_savings::pooling::{PooledWhatIf, Side, pooled_what_if};
use serde_json::json;

use crate::BadInput;
use crate::args::EstimateArgs;
use crate::estimate::{cur_error, observed_rate_table, open_billing_with_cache, percent};
use crate::render::{Section, money};

/// The organization's rate tables, highest precedence first but for the
/// pool's observed rates, which come after the `--rates` file.
pub struct Rates<'a> {
    /// `--rates`.
    pub file: Option<&'a RateTable>,
    /// Observed on the organization's covered lines.
    pub observed: &'a RateTable,
    /// The embedded default table.
    pub default: &'a RateTable,
}

/// The what-if's JSON (`pooled`) and its table.
pub struct Pooled {
    /// The `pooled` object of the estimate's JSON.
    pub json: serde_json::Value,
    /// Its table.
    pub section: Section,
}

/// The pooled what-if of the organization whose billing data are `data`
/// joining the pool of `args.pool_cur`, over `window`.
pub fn what_if(
    args: &EstimateArgs,
    data: &BillingData,
    window: &Window,
    uncovered: &[UsageSeries],
    rates: Rates<'_>,
) -> Result<Pooled> {
    let pool = open_billing_with_cache(&args.pool_cur, args.input_format, &args.aws, args.cache())?;
    check_pool_covers(&pool, window, &args.pool_cur)?;
    let pool_uncovered = pool.uncovered_series(window).map_err(cur_error)?;
    let pool_idle = pool.idle_commitment(window).map_err(cur_error)?;
    let own_idle = data.idle_commitment(window).map_err(cur_error)?;
    let pool_observed = observed_rate_table(pool.observed_rates(window).map_err(cur_error)?);
    // The pool's commitments are the payer's: its observed discounts are
    // what its purchases get, so they come before the organization's.
    let mut tables: Vec<&RateTable> = rates.file.into_iter().collect();
    tables.extend([&pool_observed, rates.observed, rates.default]);
    let request = Request {
        term: args.term,
        payment: args.payment,
        plans: &args.plans,
        rates: RateChain { tables },
        max_commitment: None,
        target_utilization: None,
    };
    let result = pooled_what_if(
        Side {
            uncovered,
            idle: &own_idle,
        },
        Side {
            uncovered: &pool_uncovered,
            idle: &pool_idle,
        },
        &request,
    );
    let own = Totals::of(uncovered, &own_idle);
    let theirs = Totals::of(&pool_uncovered, &pool_idle);
    let per_month = HOURS_PER_MONTH / f64::from(window.hours.max(1));
    Ok(Pooled {
        json: to_json(&result, &own, &theirs, pool.files.len(), per_month),
        section: section(&result, &own, per_month),
    })
}

/// The pool's eligible usage must span the window: an hour it has no data
/// for would count as an hour with neither usage nor idle commitment.
fn check_pool_covers(pool: &BillingData, window: &Window, inputs: &[String]) -> Result<()> {
    let paths = inputs.join(" ");
    let Some((first, last)) = pool.eligible_range().map_err(cur_error)? else {
        return Err(BadInput(format!(
            "the pool's billing data ({paths}) hold no usage that Savings Plans or RIs can cover"
        ))
        .into());
    };
    let end = last + Duration::hours(1);
    if first > window.start || end < window.end {
        let at = |t: chrono::DateTime<chrono::Utc>| t.format("%Y-%m-%d %H:%M").to_string();
        return Err(BadInput(format!(
            "the pool's billing data ({paths}) cover {} to {}, not the whole window {} to {}; \
             choose a window inside both with --start and --end",
            at(first),
            at(end),
            at(window.start),
            at(window.end)
        ))
        .into());
    }
    Ok(())
}

/// One side's uncovered usage and idle commitments over the window.
struct Totals {
    uncovered: f64,
    idle: [(&'static str, f64); 5],
    /// The EC2 Instance Savings Plans' idle commitment per (family, region)
    /// the data name: the part that can be lent.
    instance_sps: Vec<(String, String, f64)>,
}

impl Totals {
    fn of(series: &[UsageSeries], idle: &IdleCommitment) -> Self {
        let sum = |v: &[f64]| v.iter().sum::<f64>();
        Self {
            uncovered: series.iter().map(|s| sum(&s.hourly)).sum(),
            idle: [
                ("compute_sp", sum(&idle.compute_sp)),
                ("sagemaker_sp", sum(&idle.sagemaker_sp)),
                ("ec2_instance_sp", sum(&idle.ec2_instance_sp)),
                ("reserved_instances", sum(&idle.reserved_instances)),
                ("unknown_sp", sum(&idle.unknown_sp)),
            ],
            instance_sps: idle
                .ec2_instance_sp_scoped
                .iter()
                .map(|sp| (sp.family.clone(), sp.region.clone(), sum(&sp.hourly)))
                .collect(),
        }
    }

    fn json(&self) -> serde_json::Value {
        let idle: serde_json::Map<String, serde_json::Value> = self
            .idle
            .iter()
            .map(|(k, v)| ((*k).to_owned(), json!(v)))
            .collect();
        let instance_sps: Vec<serde_json::Value> = self
            .instance_sps
            .iter()
            .map(|(family, region, idle)| {
                json!({ "family": family, "region": region, "idle_commitment": idle })
            })
            .collect();
        json!({
            "uncovered_on_demand_cost": self.uncovered,
            "idle_commitment": idle,
            "idle_ec2_instance_sp_by_family": instance_sps,
        })
    }
}

fn rate(part: f64, whole: f64) -> f64 {
    if whole > 0.0 { part / whole } else { 0.0 }
}

fn to_json(
    r: &PooledWhatIf,
    own: &Totals,
    pool: &Totals,
    pool_files: usize,
    per_month: f64,
) -> serde_json::Value {
    let mut out = json!({
        "applies_to": "break_up",
        "organization": own.json(),
        "pool": pool.json(),
        "gain_per_month": r.gain * per_month,
        "value_of_joining_per_month": r.value_of_joining * per_month,
        "organization_alone_per_month": r.organization_alone * per_month,
        "organization_alone_savings_rate": rate(r.organization_alone, own.uncovered),
        "value_of_joining_rate": rate(r.value_of_joining, own.uncovered),
    });
    out["pool"]["files"] = json!(pool_files);
    if let (Some(out), Ok(serde_json::Value::Object(fields))) =
        (out.as_object_mut(), serde_json::to_value(r))
    {
        out.extend(fields);
    }
    out
}

fn section(r: &PooledWhatIf, own: &Totals, per_month: f64) -> Section {
    let mut s = Section::new(
        "Pooled what-if: your accounts join the payer's pool (a break-up; a billing transfer keeps commitments inside your organization)",
        &["item", "over the window", "per month", "of your uncovered"],
    );
    let mut add = |item: &str, amount: f64, share: bool| {
        s.row([
            item.to_owned(),
            money(amount),
            money(amount * per_month),
            if share {
                percent(rate(amount, own.uncovered))
            } else {
                "-".to_owned()
            },
        ])
    };
    add(
        "your uncovered eligible on-demand cost",
        own.uncovered,
        true,
    );
    add(
        "apart: your best purchase saves",
        r.organization_alone,
        true,
    );
    add("apart: the pool's best purchase saves", r.pool_alone, false);
    add(
        "together: the pool's idle Savings Plans cover of your usage",
        r.pool_lends.on_demand_covered,
        true,
    );
    add(
        "together: your idle Savings Plans cover of the pool's usage",
        r.organization_lends.on_demand_covered,
        false,
    );
    add(
        "together: one purchase for what is left saves",
        r.together,
        false,
    );
    add("gain of pooling (together less apart)", r.gain, true);
    add(
        "joining saves, the pool no worse off (what the payer could pass on)",
        r.value_of_joining,
        true,
    );
    s
}

/// The figures the assessment weighs, from an estimate's `pooled` JSON.
pub fn assessment_figures(pooled: &serde_json::Value) -> Option<orgpool_assess::Pooling> {
    let f = |field: &str| pooled.get(field).and_then(serde_json::Value::as_f64);
    Some(orgpool_assess::Pooling {
        alone_per_month: f("organization_alone_per_month")?,
        value_of_joining_per_month: f("value_of_joining_per_month")?,
        gain_per_month: f("gain_per_month")?,
    })
}
