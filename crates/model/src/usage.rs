//! Hourly usage that commitments can cover, as the engines consume it.
//!
//! A [`UsageSeries`] is the uncovered on-demand spend of one (commitment class,
//! region, family) key, one value per hour of a [`Window`]. The billing-data
//! reader produces them; the optimizer and backtests consume them.

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// What kind of commitment can cover a usage line.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum CommitmentClass {
    /// EC2 instances: Compute SP and EC2 Instance SP.
    Ec2,
    /// Fargate: Compute SP.
    Fargate,
    /// Lambda: Compute SP.
    Lambda,
    /// SageMaker ML instances: SageMaker SP.
    Sagemaker,
    /// RDS instances: RDS Reserved Instances.
    Rds,
}

/// The family of an instance type (`m5.large` → `m5`; `db.r5.large` and
/// `ml.r5.large` → `r5`). The billing data's view states the same rule in
/// SQL (`orgpool_cur::canonical::itype_family`).
pub fn instance_family(instance_type: &str) -> &str {
    let bare = instance_type
        .strip_prefix("db.")
        .or_else(|| instance_type.strip_prefix("ml."))
        .unwrap_or(instance_type);
    bare.split('.').next().unwrap_or(bare)
}

impl CommitmentClass {
    /// Parses the canonical view's `commitment_class` value.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "ec2" => Some(Self::Ec2),
            "fargate" => Some(Self::Fargate),
            "lambda" => Some(Self::Lambda),
            "sagemaker" => Some(Self::Sagemaker),
            "rds" => Some(Self::Rds),
            _ => None,
        }
    }

    /// The canonical spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ec2 => "ec2",
            Self::Fargate => "fargate",
            Self::Lambda => "lambda",
            Self::Sagemaker => "sagemaker",
            Self::Rds => "rds",
        }
    }
}

/// A span of whole hours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Window {
    /// First hour (inclusive).
    pub start: DateTime<Utc>,
    /// End (exclusive).
    pub end: DateTime<Utc>,
    /// Hours between them.
    pub hours: u32,
}

impl Window {
    /// The window from `start` to `end`, rounded to whole hours.
    pub fn new(start: DateTime<Utc>, end: DateTime<Utc>) -> Self {
        let hours = ((end - start).num_seconds().max(0) / 3600) as u32;
        Self { start, end, hours }
    }
}

/// Uncovered on-demand spend of one key, hour by hour.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UsageSeries {
    /// The commitment class.
    pub class: CommitmentClass,
    /// Region code ("" when unknown).
    pub region: String,
    /// Instance family, or `lambda`, `fargate` ("" when unknown).
    pub family: String,
    /// For RDS: the operation of its DB instances (`CreateDBInstance:0002`),
    /// which names their engine and licence. A reserved DB instance covers
    /// only instances of its own engine and licence (AWS RDS User Guide,
    /// "Reserved DB instances for Amazon RDS"; see
    /// [`crate::size_flexible`]), so each engine is a series of its own. ""
    /// for the other classes, whose plans cover every operation.
    #[serde(default)]
    pub operation: String,
    /// On-demand cost per hour of the window.
    pub hourly: Vec<f64>,
}

impl UsageSeries {
    /// What tells one series from another: class, region, family and
    /// operation.
    pub fn key(&self) -> (CommitmentClass, &str, &str, &str) {
        (self.class, &self.region, &self.family, &self.operation)
    }
}

/// Commitment paid for but left unused, hour by hour over a [`Window`]: what
/// the Savings Plans and RIs already held would still cover if more usage
/// came along (a pooled what-if gives it to another organization's usage).
///
/// Per Savings Plan fee line, the unused part is its total commitment less
/// its used commitment (CUR 2.0 `savings_plan_total_commitment_to_date` and
/// `savings_plan_used_commitment`, "Data Exports table dictionary", savings
/// plan page); per RI fee line, its unused recurring fee
/// (`reservation_unused_recurring_fee`, reservation page), spread evenly
/// over the hours the line covers: an `RIFee` line comes once per
/// reservation and billing period, from the period's start (or the
/// purchase) to its end.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct IdleCommitment {
    /// Compute Savings Plans' unused commitment, dollars per hour.
    pub compute_sp: Vec<f64>,
    /// SageMaker Savings Plans' unused commitment, dollars per hour.
    pub sagemaker_sp: Vec<f64>,
    /// EC2 Instance Savings Plans' unused commitment, dollars per hour.
    pub ec2_instance_sp: Vec<f64>,
    /// The part of `ec2_instance_sp` whose instance family and region the
    /// fee lines name, per (family, region): only that part can be lent, since
    /// such a plan covers its family in its region alone. Empty where the
    /// data carry no family or region (FOCUS; CURs without those columns).
    #[serde(default)]
    pub ec2_instance_sp_scoped: Vec<IdleInstanceSp>,
    /// Reserved Instances' unused recurring fee, dollars per hour.
    pub reserved_instances: Vec<f64>,
    /// Savings Plans' unused commitment whose offering type the data do not
    /// name, dollars per hour.
    pub unknown_sp: Vec<f64>,
}

impl IdleCommitment {
    /// No idle commitment over `hours` hours.
    pub fn zero(hours: usize) -> Self {
        Self {
            compute_sp: vec![0.0; hours],
            sagemaker_sp: vec![0.0; hours],
            ec2_instance_sp: vec![0.0; hours],
            ec2_instance_sp_scoped: Vec::new(),
            reserved_instances: vec![0.0; hours],
            unknown_sp: vec![0.0; hours],
        }
    }
}

/// EC2 Instance Savings Plans' unused commitment in one instance family and
/// region (CUR 2.0 `savings_plan_instance_type_family` and
/// `savings_plan_region` on their fee lines), hour by hour over a [`Window`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct IdleInstanceSp {
    /// Instance family (`m5`).
    pub family: String,
    /// Region, as the fee lines write it (`us-east-1`).
    pub region: String,
    /// Unused commitment, dollars per hour.
    pub hourly: Vec<f64>,
}

/// The commitment posture of some slice of the bill (the whole, an account, a
/// service, a family and region) over a window.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Posture {
    /// What the slice is (`total`, an account ID, a product code, `m5 us-east-1`).
    pub key: String,
    /// On-demand-equivalent cost of commitment-eligible usage, covered or not.
    pub on_demand_equivalent_cost: f64,
    /// The part of it commitments covered.
    pub covered_on_demand_equivalent_cost: f64,
    /// The part left at on-demand rates.
    pub uncovered_on_demand_cost: f64,
    /// What covered usage cost at the commitments' effective rates.
    pub covered_effective_cost: f64,
    /// Savings Plan and RI fees billed in the slice.
    pub commitment_cost: f64,
    /// Commitment the fees paid for that usage used.
    pub used_commitment: f64,
    /// Commitment the fees paid for.
    pub total_commitment: f64,
}

impl Posture {
    /// Covered share of the on-demand-equivalent cost.
    pub fn coverage(&self) -> f64 {
        ratio(
            self.covered_on_demand_equivalent_cost,
            self.on_demand_equivalent_cost,
        )
    }

    /// Used share of the commitment paid for.
    pub fn utilization(&self) -> f64 {
        ratio(self.used_commitment, self.total_commitment)
    }

    /// Effective savings rate: 1 − actual cost ÷ on-demand-equivalent cost, where
    /// the actual cost is the uncovered cost, the covered usage at its effective
    /// rate, and the commitment paid for but not used.
    pub fn effective_savings_rate(&self) -> f64 {
        let unused = (self.total_commitment - self.used_commitment).max(0.0);
        let actual = self.uncovered_on_demand_cost + self.covered_effective_cost + unused;
        if self.on_demand_equivalent_cost <= 0.0 {
            0.0
        } else {
            1.0 - actual / self.on_demand_equivalent_cost
        }
    }
}

fn ratio(a: f64, b: f64) -> f64 {
    if b <= 0.0 { 0.0 } else { a / b }
}

/// Usage spend per account over the last days of some billing data: what
/// decides whether an account is active.
///
/// Usage spend is the cost of usage lines only (`Usage`, and covered usage at
/// its effective cost: `SavingsPlanCoveredUsage`, `DiscountedUsage`); tax,
/// fees, credits, refunds and commitment fees are left out.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct AccountUsage {
    /// First hour counted.
    pub start: DateTime<Utc>,
    /// End of the last hour counted (exclusive): the end of the data.
    pub end: DateTime<Utc>,
    /// Usage spend per usage account ID, in the billing currency.
    pub cost_by_account: std::collections::BTreeMap<String, f64>,
}
