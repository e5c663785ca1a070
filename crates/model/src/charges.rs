//! A bill's lines and the commitments behind them, as the pro forma engine
//! consumes them: what the billing-data reader produces from any format.
//!
//! "Actual" is what AWS billed in the amortized view: covered usage at the
//! commitment's effective cost, a commitment's unused part on its owner, a
//! Savings Plan negation at zero.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::CommitmentClass;

/// A text many rows share (an account, a service, a usage type…): cloning
/// it takes no allocation. A large bill has hundreds of thousands of rows
/// and a few thousand distinct texts.
pub type SharedText = Arc<str>;

/// Serde for [`SharedText`] fields, as plain strings.
pub mod shared_text {
    use std::sync::Arc;

    use serde::{Deserialize, Deserializer, Serializer};

    /// Writes the text as a string.
    pub fn serialize<S: Serializer>(text: &Arc<str>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(text)
    }

    /// Reads a string.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Arc<str>, D::Error> {
        String::deserialize(d).map(Arc::from)
    }
}

/// What kind of charge a row is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChargeKind {
    /// Usage, covered by a commitment or not.
    Usage,
    /// A commitment's own fee (RI fee, Savings Plan recurring or upfront fee).
    CommitmentFee,
    /// Tax, credits, refunds, support and other fees.
    Other,
}

/// The charges of one account, in one hour, for one usage type and
/// operation of one service in one region, summed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChargeRow {
    /// Hours since the Unix epoch.
    pub hour: i64,
    /// Billing period, `YYYY-MM`.
    #[serde(with = "shared_text")]
    pub period: SharedText,
    /// The usage account.
    #[serde(with = "shared_text")]
    pub account: SharedText,
    /// Product code.
    #[serde(with = "shared_text")]
    pub service: SharedText,
    /// Seller (`AWS`, `AWS Marketplace`).
    #[serde(with = "shared_text")]
    pub billing_entity: SharedText,
    /// Usage type.
    #[serde(with = "shared_text")]
    pub usage_type: SharedText,
    /// Operation.
    #[serde(with = "shared_text")]
    pub operation: SharedText,
    /// Region code, empty when none.
    #[serde(with = "shared_text")]
    pub region: SharedText,
    /// Instance family, empty when none.
    #[serde(with = "shared_text")]
    pub family: SharedText,
    /// Which commitments could cover it.
    pub class: Option<CommitmentClass>,
    /// Usage, commitment fee or other.
    pub kind: ChargeKind,
    /// Usage amount.
    pub amount: f64,
    /// AWS's size normalization factor of the usage (a large is 4), 0 when
    /// the bill gives none.
    pub normalization_factor: f64,
    /// At public on-demand rates, free tier applied (usage the free tier
    /// made free costs 0 here).
    pub public_cost: f64,
    /// At public on-demand rates without the free tier: for usage the free
    /// tier made free, AWS's public on-demand cost of it; else `public_cost`.
    pub paid_tier_cost: f64,
    /// Whether this is usage the free tier made free. Such usage is kept
    /// apart from paid usage of the same kind, so a commitment never covers
    /// it while the free tier is on (AWS applied the free tier to what its
    /// commitments left).
    pub free_tier: bool,
    /// What AWS billed, amortized.
    pub actual_cost: f64,
}

/// What a commitment held in the bill is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum HeldKind {
    /// A Compute Savings Plan.
    ComputeSp,
    /// An EC2 Instance Savings Plan for a family in a region.
    Ec2InstanceSp {
        /// Instance family.
        family: String,
        /// Region code.
        region: String,
    },
    /// A SageMaker Savings Plan.
    SagemakerSp,
    /// A Reserved Instance for usage with this key: `usage_type|operation|region`
    /// for one that counts instances, `flex|family|region|RunInstances` for a
    /// size-flexible (regional Linux) one, whose units are normalized.
    Reservation {
        /// The reservation key.
        key: String,
    },
}

/// A Savings Plan or Reserved Instance, as its fee lines and the usage it
/// covered show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CommitmentRow {
    /// ARN.
    pub id: String,
    /// The purchasing account.
    pub owner: String,
    /// What it is.
    pub kind: HeldKind,
    /// The product code its fee is billed under.
    pub service: String,
    /// Per hour: dollars for a Savings Plan, units for an RI.
    pub per_hour: f64,
    /// Amortized cost per hour.
    pub hourly_fee: f64,
    /// First hour held (hours since the epoch).
    pub first_hour: i64,
    /// Last hour held, inclusive.
    pub last_hour: i64,
    /// When it was bought, in seconds since the epoch (for a Savings Plan,
    /// its first hour in the data). Sources list commitments oldest first.
    pub purchased: i64,
    /// For Savings Plans: observed discount per `usage_type|operation|region`
    /// (1 - effective cost / public cost of the usage it covered).
    pub discounts: Vec<(String, f64)>,
}

/// The key of a size-flexible RI and of the Linux usage it can cover (AWS
/// EC2 User Guide, "Instance size flexibility": regional Linux/Unix RIs of
/// shared tenancy apply to any size of their family in their region, in
/// normalized units).
pub fn flex_reservation_key(family: &str, region: &str) -> String {
    format!("flex|{family}|{region}|RunInstances")
}
