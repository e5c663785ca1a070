//! Hourly usage that commitments can cover, as the engines consume it.
//!
//! A [`UsageSeries`] is the uncovered on-demand spend of one (commitment class,
//! region, family) key, one value per hour of a [`Window`]. The billing-data
//! reader produces them; the optimizer and backtests consume them.

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// What kind of commitment can cover a usage line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
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
    /// On-demand cost per hour of the window.
    pub hourly: Vec<f64>,
}
