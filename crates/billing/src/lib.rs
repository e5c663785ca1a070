//! The payer side of orgpool: the customer's structure recreated as AWS
//! Billing Conductor billing groups, priced by pricing plans, with custom line
//! items, and exported as CloudFormation.
//!
//! - [`plan`]: billing groups from an organization bundle (by OU at a depth,
//!   the whole organization, or a CSV map) and the plan document the other
//!   commands read back.
//! - [`pricing`]: pricing plans, rules and custom line items from a YAML or
//!   JSON file, and the most-granular-rule pricing of a line.
//! - [`validate`]: Billing Conductor's rules and quotas on a plan.
//! - [`cloudformation`]: the plan as `AWS::BillingConductor::*` resources.
//! - [`proforma`]: each group's bill as its own billing family: its own
//!   commitments applied by the savings simulator, its pricing plan, its
//!   custom line items.
//!
//! No I/O: callers hand in text and lines and get values back.

pub mod cloudformation;
pub mod plan;
pub mod pricing;
pub mod proforma;
pub mod validate;

pub use plan::{BillingGroup, BillingPlan, Grouping, Source, plan};
pub use pricing::{PricingFile, PricingPlan};
pub use validate::validate;

/// Why a billing input was refused.
#[derive(Debug, thiserror::Error)]
pub enum BillingError {
    /// The user's file is wrong; the message names the file and the field.
    #[error("{0}")]
    BadInput(String),
}
